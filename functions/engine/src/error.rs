use std::path::PathBuf;

/// Errors that stop a whole input or run. Row-level problems never surface here: they are
/// quarantined with a reason code and counted in the report.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The input is not something we can ingest (empty, binary, wrong columns, bomb…). Never retried.
    #[error("{0}")]
    Rejected(#[from] crate::ingest::RejectReason),
    #[error("{0}")]
    Invalid(String),
}

impl EngineError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EngineError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
