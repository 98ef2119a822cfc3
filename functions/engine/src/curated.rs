//! Facts about curated Parquet files that can be read from their footers alone.

use std::fs::File;
use std::path::Path;

use chrono::{DateTime, Utc};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::statistics::Statistics;

use crate::error::{EngineError, Result};

/// The latest value of a timestamp column over `files`, from row-group statistics (no data pages
/// are read). `None` when the files hold no rows.
pub fn latest_timestamp(files: &[impl AsRef<Path>], column: &str) -> Result<Option<DateTime<Utc>>> {
    let mut latest: Option<i64> = None;
    for path in files {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| EngineError::io(path, e))?;
        // The file named, as the segmentation's own reads name it.
        let reader = SerializedFileReader::new(file).map_err(|e| {
            EngineError::Parquet(parquet::errors::ParquetError::General(format!(
                "{}: {e}",
                path.display()
            )))
        })?;
        let meta = reader.metadata();
        let Some(idx) = meta
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .position(|c| c.name() == column)
        else {
            return Err(EngineError::Invalid(format!(
                "{}: no column {column}",
                path.display()
            )));
        };
        for rg in meta.row_groups() {
            if let Some(Statistics::Int64(s)) = rg.column(idx).statistics()
                && let Some(max) = s.max_opt()
            {
                latest = Some(latest.map_or(*max, |l| l.max(*max)));
            }
        }
    }
    Ok(latest.and_then(DateTime::from_timestamp_micros))
}
