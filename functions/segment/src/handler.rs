//! The invocation, as Lambda sees it: a payload in, the run's summary or a typed error out. The
//! error's type (`errorType` in the invoke response, and in what the segment DLQ receives) tells
//! alarms and operators what went wrong without parsing the message:
//!
//! | `errorType` | Meaning | Retry? |
//! | --- | --- | --- |
//! | `InvalidRequest` | The payload is not one of the documented shapes, or asks for an invalid run (a date to come, `k` outside 2–10). Nothing was read or written. | No: fix the payload. |
//! | `NoData` | Nothing to segment: no curated sales, or none up to the run date. | Not until exports are ingested. |
//! | `CorruptCuratedObject` | A curated object cannot be read; the message names its key. | Not until that object is re-ingested or removed. |
//! | `BadInput` | The curated data could be read but not segmented. | No. |
//! | `TransientStorage` | S3 throttling, a 5xx, a network error, or a local disk error. | Yes. |
//! | `Storage` | Another S3 error (access denied, a missing bucket). | Not until the cause is fixed. |
//! | `Config` | The function's configuration is invalid (reported at start-up, see [`crate::lambda`]). | Not until it is fixed. |
//! | `Internal` | A defect in segflow. | No. |

use serde_json::Value;

use segflow_engine::segment::SegmentError;
use segflow_storage::{ObjectStore, StorageError};

use crate::config::{ConfigError, SegmentConfig};
use crate::job::{JobError, run_job};
use crate::request::{self, RequestError};

/// An invocation's failure: Lambda answers with `{"errorType": error_type, "errorMessage": message}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error_type}: {message}")]
pub struct FunctionError {
    pub error_type: &'static str,
    pub message: String,
}

impl FunctionError {
    pub fn new(error_type: &'static str, message: impl Into<String>) -> Self {
        FunctionError {
            error_type,
            message: message.into(),
        }
    }
}

impl From<FunctionError> for lambda_runtime::Diagnostic {
    fn from(e: FunctionError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.error_type.to_string(),
            error_message: e.message,
        }
    }
}

impl From<RequestError> for FunctionError {
    fn from(e: RequestError) -> Self {
        FunctionError::new("InvalidRequest", e.to_string())
    }
}

impl From<ConfigError> for FunctionError {
    fn from(e: ConfigError) -> Self {
        FunctionError::new("Config", e.to_string())
    }
}

impl From<JobError> for FunctionError {
    fn from(e: JobError) -> Self {
        FunctionError::new(error_type(&e), e.to_string())
    }
}

/// The `errorType` of a failed run (see the module's table).
pub fn error_type(e: &JobError) -> &'static str {
    match e {
        JobError::Storage(s) => storage_error_type(s),
        JobError::NoSalesData => "NoData",
        JobError::FutureRunDate { .. } => "InvalidRequest",
        JobError::CuratedObject { .. } => "CorruptCuratedObject",
        JobError::Engine(segflow_engine::EngineError::Io { .. }) => "TransientStorage",
        JobError::Engine(_) => "BadInput",
        JobError::Segment(s) => match s {
            SegmentError::NoData(_) => "NoData",
            SegmentError::InvalidParams(_) => "InvalidRequest",
            SegmentError::Io { .. } => "TransientStorage",
            SegmentError::Parquet(_)
            | SegmentError::Arrow(_)
            | SegmentError::Json(_)
            | SegmentError::Activity(_) => "BadInput",
            SegmentError::Clustering(_) => "Internal",
        },
        JobError::Other(_) => "Internal",
    }
}

fn storage_error_type(e: &StorageError) -> &'static str {
    if e.is_retryable() {
        "TransientStorage"
    } else {
        "Storage"
    }
}

/// One invocation: the payload is checked before anything is read, then the job runs.
pub async fn handle<S: ObjectStore>(
    store: &S,
    payload: &Value,
    config: &SegmentConfig,
) -> Result<Value, FunctionError> {
    let result = async {
        let req = request::parse(payload, config.timezone)?;
        let summary = run_job(store, store, &req, config).await?;
        tracing::info!(as_of = %summary.as_of, files = summary.files.len(), latest = summary.latest, "segmentation published");
        serde_json::to_value(&summary).map_err(|e| FunctionError::new("Internal", format!("the summary: {e}")))
    }
    .await;
    if let Err(e) = &result {
        tracing::error!(error_type = e.error_type, error = %segflow_engine::printable::Printable(&e.message), "segmentation failed");
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Lambda answers with: `errorType` is the error's kind, not a Rust type name.
    #[test]
    fn errors_reach_lambda_with_their_type() {
        let cases = [
            (JobError::NoSalesData, "NoData"),
            (
                JobError::Storage(StorageError::Transient("GetObject k: HTTP 503 SlowDown".into())),
                "TransientStorage",
            ),
            (
                JobError::Storage(StorageError::Other("PutObject k: HTTP 403 AccessDenied".into())),
                "Storage",
            ),
            (
                JobError::Segment(SegmentError::InvalidParams("k must be between 2 and 10".into())),
                "InvalidRequest",
            ),
            (
                JobError::CuratedObject {
                    key: "curated/sales/x.parquet".into(),
                    detail: "Corrupt footer".into(),
                },
                "CorruptCuratedObject",
            ),
            (JobError::Other("a defect".into()), "Internal"),
        ];
        for (e, kind) in cases {
            let message = e.to_string();
            let d = lambda_runtime::Diagnostic::from(FunctionError::from(e));
            assert_eq!((d.error_type.as_str(), d.error_message), (kind, message));
        }
        let d = lambda_runtime::Diagnostic::from(FunctionError::from(ConfigError("SEGFLOW_K: 11".into())));
        assert_eq!(d.error_type, "Config");
        let e = request::parse(&Value::Null, chrono_tz::UTC).unwrap_err();
        assert_eq!(
            lambda_runtime::Diagnostic::from(FunctionError::from(e)).error_type,
            "InvalidRequest"
        );
    }
}
