//! The Lambda handler, generic over storage: it turns any supported event into work items, runs the
//! pipeline for each (an upload is ingested, a deletion retracts the source's rows), and answers
//! in the shape the invoker expects (SQS partial batch failures).

use serde::Serialize;
use serde_json::Value;

use segflow_storage::ObjectStore;

use crate::config::IngestConfig;
use crate::events::{self, Invocation, Parsed};
use crate::pipeline::{self, Summary};

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct BatchItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

#[derive(Debug, Serialize)]
pub struct Response {
    /// Read by Lambda for SQS event sources with `ReportBatchItemFailures`.
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<BatchItemFailure>,
    pub processed: Vec<Summary>,
}

#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} objects failed with retryable errors; first: {first}")]
pub struct RetryableFailure {
    pub failed: usize,
    pub total: usize,
    pub first: String,
}

/// `errorType` `Retryable`: Lambda retries an asynchronous invocation that fails, and only
/// failures that may pass on a retry fail it (a file that is not an export gets a report instead).
impl From<RetryableFailure> for lambda_runtime::Diagnostic {
    fn from(e: RetryableFailure) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "Retryable".into(),
            error_message: e.to_string(),
        }
    }
}

pub struct IngestHandler<F> {
    stores: F,
    config: IngestConfig,
}

impl<F, S> IngestHandler<F>
where
    F: Fn(&str) -> S,
    S: ObjectStore,
{
    /// `stores` opens the store for a bucket name.
    pub fn new(stores: F, config: IngestConfig) -> Self {
        IngestHandler { stores, config }
    }

    pub async fn handle(&self, payload: &Value) -> Result<Response, RetryableFailure> {
        let (invocation, items) = events::parse(payload);
        let mut failures: Vec<BatchItemFailure> = Vec::new();
        let mut processed = Vec::new();
        let mut first_error = None;
        let opts = self.config.engine_options();
        for item in &items {
            let obj = match &item.outcome {
                Parsed::Object(o) => o,
                Parsed::Ignored(why) => {
                    tracing::info!(reason = %why, "event ignored");
                    continue;
                }
                Parsed::Unreadable(why) => {
                    // Retrying an unreadable payload can never succeed: log it and acknowledge.
                    tracing::error!(reason = %why, "unreadable event acknowledged without work");
                    continue;
                }
            };
            if !pipeline::is_trigger_key(&obj.key) {
                // Defence in depth: a misconfigured trigger must never make us eat our own outputs,
                // nor a forged event read a file as another dataset than its folder's.
                tracing::warn!(key = %obj.key, "object outside incoming/<dataset>/ ignored");
                processed.push(Summary::skipped(&obj.key, "ignored_outside_incoming"));
                continue;
            }
            // The other reading of the key is tried when the key is missing: it must be one too.
            let alt_key = obj.alt_key.as_deref().filter(|k| pipeline::is_trigger_key(k));
            let input = (self.stores)(&obj.bucket);
            let output = (self.stores)(self.config.output_bucket.as_deref().unwrap_or(&obj.bucket));
            let result = if obj.removed {
                pipeline::sync_removed(&input, &obj.key, alt_key, &output, &opts, &self.config.tmp_dir).await
            } else {
                pipeline::ingest_object(&input, &obj.key, alt_key, &output, &opts, &self.config.tmp_dir).await
            };
            match result {
                Ok(summary) => {
                    tracing::info!(
                        key = %summary.key,
                        outcome = summary.outcome,
                        dataset = summary.dataset,
                        rows_read = summary.rows_read,
                        rows_written = summary.rows_written,
                        rows_rejected = summary.rows_rejected,
                        "object processed"
                    );
                    processed.push(summary);
                }
                Err(e) => {
                    tracing::error!(key = %obj.key, error = %e, retryable = e.is_retryable(), "object failed");
                    first_error.get_or_insert_with(|| format!("{}: {e}", obj.key));
                    if let Some(id) = &item.message_id {
                        let f = BatchItemFailure {
                            item_identifier: id.clone(),
                        };
                        if !failures.contains(&f) {
                            failures.push(f);
                        }
                    } else {
                        failures.push(BatchItemFailure {
                            item_identifier: obj.key.clone(),
                        });
                    }
                }
            }
        }
        if invocation == Invocation::Direct && !failures.is_empty() {
            // Direct (async) invocations are retried by Lambda only when the handler fails.
            return Err(RetryableFailure {
                failed: failures.len(),
                total: items.len(),
                first: first_error.unwrap_or_default(),
            });
        }
        Ok(Response {
            batch_item_failures: failures,
            processed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_direct_invocation_reaches_lambda_as_retryable() {
        let e = RetryableFailure {
            failed: 1,
            total: 2,
            first: "incoming/sales/a.csv: transient storage error: GetObject incoming/sales/a.csv: HTTP 503 SlowDown".into(),
        };
        let message = e.to_string();
        let d = lambda_runtime::Diagnostic::from(e);
        assert_eq!((d.error_type.as_str(), d.error_message), ("Retryable", message));
        let d = lambda_runtime::Diagnostic::from(crate::config::ConfigError(
            "SEGFLOW_TIMEZONE: unknown time zone".into(),
        ));
        assert_eq!(d.error_type, "Config");
    }
}
