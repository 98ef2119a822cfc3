//! Lambda entry point: wires the S3 client and configuration, nothing else.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use segflow_ingest_fn::{IngestConfig, IngestHandler, pipeline};
use segflow_storage::S3Store;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = IngestConfig::from_env()?;
    // A new process: any spool folder in the temp dir is from a run cut short.
    segflow_engine::scratch::remove_leftovers(&config.tmp_dir, pipeline::WORK_PREFIX);
    let client = S3Store::client_from_env().await;
    let handler = IngestHandler::new(
        move |bucket: &str| S3Store::new(client.clone(), bucket, ""),
        config,
    );
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let response = handler.handle(&event.payload).await?;
        Ok::<_, Error>(serde_json::to_value(response)?)
    }))
    .await
}
