//! Lambda entry point: wires the S3 client and configuration, nothing else.

use std::process::ExitCode;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use segflow_ingest_fn::{IngestConfig, IngestHandler, pipeline};
use segflow_lambda as lambda;
use segflow_storage::S3Store;
use serde_json::Value;

#[tokio::main]
async fn main() -> ExitCode {
    segflow_lambda::init_logging();
    let config = match IngestConfig::from_env() {
        Ok(c) => c,
        Err(e) => return lambda::init_failed(e).await,
    };
    // A new process: any spool folder in the temp dir is from a run cut short.
    segflow_engine::scratch::remove_leftovers(&config.tmp_dir, pipeline::WORK_PREFIX);
    let client = S3Store::client_from_env().await;
    let handler = IngestHandler::new(
        move |bucket: &str| S3Store::new(client.clone(), bucket, ""),
        config,
    );
    let handler = &handler;
    let run = lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let response = handler
            .handle_until(&event.payload, Some(event.context.deadline()))
            .await?;
        serde_json::to_value(response).map_err(|e| Diagnostic {
            error_type: "Internal".into(),
            error_message: format!("the response: {e}"),
        })
    }))
    .await;
    lambda::stopped(run)
}
