//! The Lambda handler, generic over storage: it turns any supported event into work items, runs the
//! pipeline for each (an upload is ingested, a deletion retracts the source's rows), and answers
//! in the shape the invoker expects (SQS partial batch failures).

use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::Value;

use segflow_engine::printable::Printable;
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
    /// Uploads read again after this invocation's own objects because their export layout's date
    /// order became known (see [`pipeline::reread_guessed`]), in the shape of `processed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reread: Vec<Summary>,
}

/// The time the re-reads of an invocation may take, of what is left before its deadline: a tenth
/// (at least 5 s) is kept back, for a re-read that takes longer than the one before it and for
/// answering, since an invocation cut off by its timeout is retried whole.
pub fn reread_budget(remaining: Duration) -> Duration {
    remaining.saturating_sub((remaining / 10).max(Duration::from_secs(5)))
}

/// Objects of a direct invocation that failed: storage errors, never a bad file (that gets a
/// report instead). The invocation fails so that Lambda retries it and, once its retries are
/// spent, hands the event to the on-failure destination for a replay.
#[derive(Debug, thiserror::Error)]
#[error(
    "{failed} of {total} objects failed, {retryable} of them with errors a retry may pass; first: {first}"
)]
pub struct ObjectsFailed {
    pub failed: usize,
    /// Of `failed`, those whose error may pass on a retry (throttling, a 5xx, a network error).
    pub retryable: usize,
    /// Of `failed`, those that are defects of segflow's (see `PipelineError::is_defect`).
    pub defects: usize,
    /// The objects the invocation tried, not counting events it ignored.
    pub total: usize,
    pub first: String,
}

impl ObjectsFailed {
    /// `Retryable` when some error may pass on a retry; else `Internal` when one is a defect of
    /// segflow's; else `Storage` (AccessDenied, a missing bucket or key grant), which retries
    /// cannot fix: the cause must be.
    pub fn error_type(&self) -> &'static str {
        match (self.retryable, self.defects) {
            (1.., _) => "Retryable",
            (0, 1..) => "Internal",
            (0, 0) => "Storage",
        }
    }
}

impl From<ObjectsFailed> for lambda_runtime::Diagnostic {
    fn from(e: ObjectsFailed) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.error_type().into(),
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

    /// [`Self::handle_until`] without a deadline: the uploads listed to be read again are all read.
    pub async fn handle(&self, payload: &Value) -> Result<Response, ObjectsFailed> {
        self.handle_until(payload, None).await
    }

    /// Handles an invocation due to end at `deadline` (the Lambda context's): after the event's own
    /// objects, uploads read before their layout's date order was known are read again while
    /// [`reread_budget`] of the time left lasts; the rest wait for a later invocation.
    pub async fn handle_until(
        &self,
        payload: &Value,
        deadline: Option<SystemTime>,
    ) -> Result<Response, ObjectsFailed> {
        let (invocation, items) = events::parse(payload);
        // (input bucket, output bucket) of the objects, for the re-reads.
        let mut buckets: Vec<(String, String)> = Vec::new();
        let mut failures: Vec<BatchItemFailure> = Vec::new();
        let mut processed = Vec::new();
        let mut first_error = None;
        let (mut tried, mut retryable, mut defects) = (0, 0, 0);
        let opts = self.config.engine_options();
        for item in &items {
            let obj = match &item.outcome {
                Parsed::Object(o) => o,
                Parsed::Ignored(why) => {
                    tracing::info!(reason = %Printable(why), "event ignored");
                    continue;
                }
                Parsed::Unreadable(why) => {
                    // Retrying an unreadable payload can never succeed: log it and acknowledge.
                    tracing::error!(reason = %Printable(why), "unreadable event acknowledged without work");
                    continue;
                }
            };
            if !pipeline::is_trigger_key(&obj.key) {
                // Defence in depth: a misconfigured trigger must never make us eat our own outputs,
                // nor a forged event read a file as another dataset than its folder's.
                tracing::warn!(key = %Printable(&obj.key), "object outside incoming/<dataset>/ ignored");
                processed.push(Summary::skipped(&obj.key, "ignored_outside_incoming"));
                continue;
            }
            tried += 1;
            let output_bucket = self.config.output_bucket.as_deref().unwrap_or(&obj.bucket);
            let pair = (obj.bucket.clone(), output_bucket.to_string());
            if !buckets.contains(&pair) {
                buckets.push(pair);
            }
            // The other reading of the key is tried when the key is missing: it must be one too.
            let alt_key = obj.alt_key.as_deref().filter(|k| pipeline::is_trigger_key(k));
            let input = (self.stores)(&obj.bucket);
            let output = (self.stores)(output_bucket);
            let result = if obj.removed {
                pipeline::sync_removed(&input, &obj.key, alt_key, &output, &opts, &self.config.tmp_dir).await
            } else {
                pipeline::ingest_object(&input, &obj.key, alt_key, &output, &opts, &self.config.tmp_dir).await
            };
            match result {
                Ok(summary) => {
                    tracing::info!(
                        key = %Printable(&summary.key),
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
                    let error = e.to_string();
                    tracing::error!(
                        key = %Printable(&obj.key),
                        error = %Printable(&error),
                        retryable = e.is_retryable(),
                        "object failed"
                    );
                    retryable += usize::from(e.is_retryable());
                    defects += usize::from(!e.is_retryable() && e.is_defect());
                    first_error
                        .get_or_insert_with(|| format!("{}: {}", Printable(&obj.key), Printable(&error)));
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
        let mut reread = Vec::new();
        for (input_bucket, output_bucket) in &buckets {
            let budget =
                deadline.map(|d| reread_budget(d.duration_since(SystemTime::now()).unwrap_or_default()));
            let (input, output) = ((self.stores)(input_bucket), (self.stores)(output_bucket));
            match pipeline::reread_guessed(&input, &output, &opts, &self.config.tmp_dir, budget).await {
                Ok(s) => reread.extend(s),
                // The event's own objects are done: the list waits for the next invocation.
                Err(e) => {
                    tracing::warn!(bucket = %output_bucket, error = %e, "uploads read before their date order was known not read again")
                }
            }
        }
        if invocation == Invocation::Direct && !failures.is_empty() {
            // Direct (async) invocations are retried by Lambda only when the handler fails.
            return Err(ObjectsFailed {
                failed: failures.len(),
                retryable,
                defects,
                total: tried,
                first: first_error.unwrap_or_default(),
            });
        }
        Ok(Response {
            batch_item_failures: failures,
            processed,
            reread,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_direct_invocation_reaches_lambda_as_retryable() {
        let e = ObjectsFailed {
            failed: 1,
            retryable: 1,
            defects: 0,
            total: 2,
            first: "incoming/sales/a.csv: transient storage error: GetObject incoming/sales/a.csv: HTTP 503 SlowDown".into(),
        };
        let message = e.to_string();
        let d = lambda_runtime::Diagnostic::from(e);
        assert_eq!((d.error_type.as_str(), d.error_message), ("Retryable", message));
        let kind = |retryable, defects| {
            ObjectsFailed {
                failed: 2,
                retryable,
                defects,
                total: 2,
                first: String::new(),
            }
            .error_type()
        };
        assert_eq!(
            [kind(1, 1), kind(0, 1), kind(0, 0)],
            ["Retryable", "Internal", "Storage"]
        );
        let d = lambda_runtime::Diagnostic::from(crate::config::ConfigError(
            "SEGFLOW_TIMEZONE: unknown time zone".into(),
        ));
        assert_eq!(d.error_type, "Config");
    }

    #[test]
    fn re_reads_leave_a_tenth_of_the_time_left_and_at_least_five_seconds() {
        let s = Duration::from_secs;
        assert_eq!(reread_budget(s(900)), s(810));
        assert_eq!(reread_budget(s(40)), s(35));
        assert_eq!(reread_budget(s(3)), Duration::ZERO);
    }
}
