//! Lambda entry point: wires the S3 client and configuration, nothing else.

use anyhow::Context;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use segflow_segment_fn::{SegmentConfig, request, run_job};
use segflow_storage::S3Store;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    segflow_engine::memory::release_freed_memory_promptly();
    lambda_runtime::tracing::init_default_subscriber();
    let config = SegmentConfig::from_env()?;
    // A new process: any spool folder in the temp dir is from a run cut short.
    segflow_engine::scratch::remove_leftovers(&config.tmp_dir, segflow_segment_fn::job::WORK_PREFIX);
    let bucket = config
        .data_bucket
        .clone()
        .context("SEGFLOW_DATA_BUCKET must be set")?;
    let store = S3Store::new(S3Store::client_from_env().await, bucket, "");
    let (config, store) = (&config, &store);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let req = request::parse(&event.payload, config.timezone)?;
        let summary = run_job(store, store, &req, config).await?;
        tracing::info!(as_of = %summary.as_of, files = summary.files.len(), "segmentation published");
        Ok::<_, Error>(serde_json::to_value(&summary)?)
    }))
    .await
}
