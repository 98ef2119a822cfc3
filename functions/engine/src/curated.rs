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
    // A time past chrono's range (year 262,000; another tool's file can hold i64::MAX) is a
    // time in the future like any other, which the caller caps at today; read as no time at
    // all, it made the job say there were no sales.
    Ok(latest
        .and_then(|l| DateTime::from_timestamp_micros(l).or((l > 0).then_some(DateTime::<Utc>::MAX_UTC))))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{RecordBatch, TimestampMicrosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use parquet::arrow::ArrowWriter;

    use super::*;

    fn file_with(dir: &Path, name: &str, times: Vec<i64>) -> std::path::PathBuf {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "order_ts",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        )]));
        let array = TimestampMicrosecondArray::from(times).with_timezone("UTC");
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(array)]).unwrap();
        let path = dir.join(name);
        let mut w = ArrowWriter::try_new(File::create(&path).unwrap(), schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        path
    }

    #[test]
    fn a_time_past_chronos_range_is_the_far_future_not_no_time() {
        let dir = tempfile::tempdir().unwrap();
        let day = 86_400_000_000;
        let plain = file_with(dir.path(), "a.parquet", vec![day, 2 * day]);
        let huge = file_with(dir.path(), "b.parquet", vec![day, i64::MAX]);
        let latest = |files: &[&Path]| latest_timestamp(files, "order_ts").unwrap();
        assert_eq!(latest(&[&plain]), DateTime::from_timestamp_micros(2 * day));
        assert_eq!(latest(&[&plain, &huge]), Some(DateTime::<Utc>::MAX_UTC));
        let ancient = file_with(dir.path(), "c.parquet", vec![i64::MIN]);
        assert_eq!(latest(&[&ancient]), None);
    }
}
