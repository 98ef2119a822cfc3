//! Lambda entry point: wires the S3 client and configuration, nothing else.

use std::process::ExitCode;

use lambda_runtime::{LambdaEvent, service_fn};
use segflow_lambda as lambda;
use segflow_segment_fn::config::ConfigError;
use segflow_segment_fn::{FunctionError, SegmentConfig, handle};
use segflow_storage::S3Store;
use serde_json::Value;

#[tokio::main]
async fn main() -> ExitCode {
    segflow_engine::memory::release_freed_memory_promptly();
    segflow_lambda::init_logging();
    let config = match SegmentConfig::from_env().and_then(|c| match c.data_bucket.clone() {
        Some(bucket) => Ok((c, bucket)),
        None => Err(ConfigError(
            "SEGFLOW_DATA_BUCKET must be set to the data bucket's name".into(),
        )),
    }) {
        Ok(c) => c,
        Err(e) => return lambda::init_failed(FunctionError::from(e)).await,
    };
    let (config, bucket) = config;
    // A new process: any spool folder in the temp dir is from a run cut short.
    segflow_engine::scratch::remove_leftovers(&config.tmp_dir, segflow_segment_fn::job::WORK_PREFIX);
    let store = S3Store::new(S3Store::client_from_env().await, bucket, "");
    let (config, store) = (&config, &store);
    let run = lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // Boxed: the run's future is deep, and nested in the runtime's it overflows the
        // compiler's query depth when computing main's layout.
        Box::pin(handle(store, &event.payload, config)).await
    }))
    .await;
    lambda::stopped(run)
}
