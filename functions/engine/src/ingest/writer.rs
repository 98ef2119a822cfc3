//! Parquet output, one file per (dataset, partition, source): `curated/<dataset>/[<col>=<value>/]<name>.parquet`.
//! Writers are opened lazily per partition and their buffered row groups are flushed when the total
//! buffered size passes a budget. At most [`MAX_OPEN_WRITERS`] are open at once: a writer holds
//! its column encoders (~0.4 MB) and a file descriptor whether it has buffered a row or a
//! million, so a file spanning thousands of months (a column of numbers read as Excel serials)
//! took 800 MB and more descriptors than a Lambda has. Past the cap the writer written least
//! recently is closed, and its partition, should it come again, continues in a file of its own
//! (`<name>-2.parquet`, `-3`, …). Memory then stays bounded however the rows are spread over months.
//! [`BackgroundWriter`] runs the encoding on its own thread: Parquet encoding and compression take
//! about a third of an ingest, and the other core is busy parsing.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use arrow::array::{Array, AsArray, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{
    EnabledStatistics, WriterProperties, WriterPropertiesBuilder, WriterVersion,
};
use parquet::schema::types::ColumnPath;

use super::convert::month_label;
use crate::error::{EngineError, Result};

/// Rows per row group: large enough for good compression and Athena split sizes, small enough to
/// keep a writer's buffer in tens of MB.
pub const ROW_GROUP_ROWS: usize = 256 * 1024;
/// Total bytes the open writers may buffer before the biggest one is flushed.
pub const WRITER_MEMORY_BUDGET: usize = 96 * 1024 * 1024;
/// Writers (files) open at once: ~50 MB of column encoders at most, and well under the 1,024
/// descriptors of a Lambda. An export unsorted by date keeps one file per month up to ten
/// years; past that, months far apart in the file take several files each.
pub const MAX_OPEN_WRITERS: usize = 128;

/// Settings of every Parquet file segflow writes.
pub fn writer_properties() -> WriterProperties {
    base_properties().build()
}

fn base_properties() -> WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("valid zstd level"),
        ))
        .set_statistics_enabled(EnabledStatistics::Page)
        // Line numbers are distinct and rising: a dictionary is wasted work that falls back anyway,
        // and deltas of 1 pack into almost nothing.
        .set_column_dictionary_enabled(ColumnPath::from("source_line"), false)
        .set_column_encoding(ColumnPath::from("source_line"), Encoding::DELTA_BINARY_PACKED)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("segflow {}", env!("CARGO_PKG_VERSION")))
}

/// The key-value metadata entry of a curated file that names the upload its rows come from (its
/// `source_key` on every row).
pub const SOURCE_KEY_METADATA: &str = "segflow.source_key";

/// The key-value metadata entry of a curated file that counts its lines without a product id. The
/// files keep no statistics on product ids, null counts included (see
/// [`curated_writer_properties`]), and the segment job reads product names, the product of a line
/// without an id, only from files that have such lines.
pub const PRODUCT_ID_NULLS_METADATA: &str = "segflow.product_id_nulls";

/// The key-value metadata entry of a curated sales file that counts its purchase lines whose order
/// number is `C` and digits (`C1001`). Such a number is a cancellation invoice in UCI's export
/// (`C536379`, a return), a shop's own order number where ingest read it as a sale: the segment
/// job then keys that number's return lines to the order (see `segment::sales`).
pub const C_NUMBERED_ORDERS_METADATA: &str = "segflow.c_numbered_orders";

/// The curated files: as [`writer_properties`], without min/max statistics on the ids and product
/// names, which never prune a month's rows (they are not sorted) and cost a comparison of every
/// value, about a tenth of the encoding time; nor on `source_key`, the same in every row of a
/// file: comparing that key twice a row was 1.5 % of an ingest's instructions, and the file's
/// metadata names it once ([`SOURCE_KEY_METADATA`]) for the segment job. Nor on emails and
/// phones: a footer's min and max would be two people's addresses, in plain text to every
/// catalog and metadata reader.
pub fn curated_writer_properties(source_key: Option<&str>) -> WriterProperties {
    [
        "order_id",
        "customer_id",
        "product_id",
        "product_name",
        "source_key",
        "email",
        "phone",
    ]
    .into_iter()
    .fold(base_properties(), |b, c| {
        b.set_column_statistics_enabled(ColumnPath::from(c), EnabledStatistics::None)
    })
    // An order's lines are adjacent and its number is rarely seen again: a dictionary of order
    // numbers costs an interning of every value and compresses worse than the plain run of them
    // (10 M rows: -2 % of the convert's instructions, curated files -5 %). Customer ids keep
    // theirs, which the segment job resolves once per dictionary value instead of per order.
    .set_column_dictionary_enabled(ColumnPath::from("order_id"), false)
    .set_key_value_metadata(
        source_key.map(|k| vec![KeyValue::new(SOURCE_KEY_METADATA.to_string(), k.to_string())]),
    )
    .build()
}

/// A file written by the run: its key relative to the output root, where it is staged, and rows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutputFile {
    pub key: String,
    #[serde(skip)]
    pub path: PathBuf,
    pub rows: u64,
}

/// One open file of a partition.
struct Open {
    key: String,
    w: ArrowWriter<File>,
    rows: u64,
    /// Rows without a product id (see [`PRODUCT_ID_NULLS_METADATA`]).
    product_id_nulls: u64,
    /// See [`C_NUMBERED_ORDERS_METADATA`].
    c_numbered_orders: u64,
    /// When it was last written, in writes: the smallest is closed first.
    used: u64,
}

/// The rows of `batch` that are no return and whose order number (column `id`) is `C` and
/// digits. Only the first byte of most numbers is looked at: this runs on every row written.
fn c_numbered_orders(batch: &RecordBatch, id: usize, ret: usize) -> u64 {
    let (Some(ids), Some(ret)) = (
        batch.column(id).as_string_opt::<i32>(),
        batch.column(ret).as_boolean_opt(),
    ) else {
        return 0;
    };
    let (offsets, bytes) = (ids.value_offsets(), ids.value_data());
    (0..ids.len())
        .filter(|&i| {
            let start = offsets[i] as usize;
            offsets[i + 1] as usize > start
                && bytes[start] | 0x20 == b'c'
                && ids.is_valid(i)
                && !(ret.is_valid(i) && ret.value(i))
                && crate::ingest::convert::is_cancellation_invoice(ids.value(i))
        })
        .count() as u64
}

pub struct PartitionedWriter {
    staging: PathBuf,
    prefix: String,
    partition_column: Option<&'static str>,
    file_name: String,
    schema: SchemaRef,
    /// The schema's `product_id` column, where it has one.
    product_id: Option<usize>,
    /// The schema's `order_id` and `is_return` columns, where it has both.
    orders: Option<(usize, usize)>,
    props: WriterProperties,
    writers: BTreeMap<i32, Open>,
    max_open: usize,
    /// Files closed to make room for another partition's.
    closed: Vec<OutputFile>,
    /// Files each partition has had, to name the next (a few bytes per month, not a writer).
    files: BTreeMap<i32, u32>,
    writes: u64,
    most_open: usize,
}

impl PartitionedWriter {
    /// `prefix` is e.g. `curated/sales`; `file_name` e.g. `<source_id>.<version>.parquet`.
    pub fn new(
        staging: &Path,
        prefix: &str,
        partition_column: Option<&'static str>,
        file_name: &str,
        schema: SchemaRef,
    ) -> Self {
        PartitionedWriter {
            staging: staging.to_path_buf(),
            prefix: prefix.to_string(),
            partition_column,
            file_name: file_name.to_string(),
            product_id: schema.index_of("product_id").ok(),
            orders: schema
                .index_of("order_id")
                .ok()
                .zip(schema.index_of("is_return").ok()),
            schema,
            props: curated_writer_properties(None),
            writers: BTreeMap::new(),
            max_open: MAX_OPEN_WRITERS,
            closed: Vec::new(),
            files: BTreeMap::new(),
            writes: 0,
            most_open: 0,
        }
    }

    /// Files of the upload `key`: their metadata names it ([`SOURCE_KEY_METADATA`]).
    pub fn for_source(mut self, key: &str) -> Self {
        self.props = curated_writer_properties(Some(key));
        self
    }

    /// Another cap on open writers than [`MAX_OPEN_WRITERS`] (at least 1).
    pub fn with_max_open(mut self, max_open: usize) -> Self {
        self.max_open = max_open.max(1);
        self
    }

    /// The most writers that were open at once.
    pub fn most_open(&self) -> usize {
        self.most_open
    }

    /// The key of a partition's `n`th file: `<name>.parquet`, then `<name>-2.parquet`, …
    fn key_for(&self, part: i32, n: u32) -> String {
        let name = match (n, self.file_name.rsplit_once('.')) {
            (1, _) => self.file_name.clone(),
            (n, Some((stem, ext))) => format!("{stem}-{n}.{ext}"),
            (n, None) => format!("{}-{n}", self.file_name),
        };
        match self.partition_column {
            Some(c) => format!("{}/{}={}/{name}", self.prefix, c, month_label(part)),
            None => format!("{}/{name}", self.prefix),
        }
    }

    fn writer(&mut self, part: i32) -> Result<&mut Open> {
        self.writes += 1;
        if !self.writers.contains_key(&part) {
            if self.writers.len() >= self.max_open {
                self.close_least_recent()?;
            }
            let n = {
                let n = self.files.entry(part).or_default();
                *n += 1;
                *n
            };
            let key = self.key_for(part, n);
            let path = self.staging.join(&key);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| EngineError::io(dir, e))?;
            }
            let file = File::create(&path).map_err(|e| EngineError::io(&path, e))?;
            let w = ArrowWriter::try_new(file, self.schema.clone(), Some(self.props.clone()))?;
            self.writers.insert(
                part,
                Open {
                    key,
                    w,
                    rows: 0,
                    product_id_nulls: 0,
                    c_numbered_orders: 0,
                    used: 0,
                },
            );
            self.most_open = self.most_open.max(self.writers.len());
        }
        let open = self.writers.get_mut(&part).expect("inserted above");
        open.used = self.writes;
        Ok(open)
    }

    /// Closes the writer written least recently (the same one on every run: writes come in the
    /// file's order, so outputs stay byte-identical).
    /// Writes `batch` to partition `part`'s open file, counting its rows.
    fn write_to(&mut self, part: i32, batch: &RecordBatch) -> Result<()> {
        let nulls = self.product_id.map_or(0, |c| batch.column(c).null_count() as u64);
        let c_numbered = self
            .orders
            .map_or(0, |(id, ret)| c_numbered_orders(batch, id, ret));
        let o = self.writer(part)?;
        o.w.write(batch)?;
        o.rows += batch.num_rows() as u64;
        o.product_id_nulls += nulls;
        o.c_numbered_orders += c_numbered;
        Ok(())
    }

    fn close_least_recent(&mut self) -> Result<()> {
        let Some(part) = self.writers.iter().min_by_key(|(_, o)| o.used).map(|(p, _)| *p) else {
            return Ok(());
        };
        let open = self.writers.remove(&part).expect("found above");
        self.closed.push(self.close(open)?);
        Ok(())
    }

    fn close(&self, mut open: Open) -> Result<OutputFile> {
        if self.product_id.is_some() {
            open.w.append_key_value_metadata(KeyValue::new(
                PRODUCT_ID_NULLS_METADATA.to_string(),
                open.product_id_nulls.to_string(),
            ));
        }
        if self.orders.is_some() {
            open.w.append_key_value_metadata(KeyValue::new(
                C_NUMBERED_ORDERS_METADATA.to_string(),
                open.c_numbered_orders.to_string(),
            ));
        }
        open.w.close()?;
        let path = self.staging.join(&open.key);
        Ok(OutputFile {
            key: open.key,
            path,
            rows: open.rows,
        })
    }

    /// Writes a batch whose rows belong to `parts[i]` (ignored when unpartitioned).
    pub fn write(&mut self, batch: &RecordBatch, parts: &[i32]) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if self.partition_column.is_none() {
            self.write_to(0, batch)?;
        } else if parts.iter().all(|p| *p == parts[0]) {
            // Exports are usually in date order: most batches fall in one month, no copy needed.
            self.write_to(parts[0], batch)?;
        } else {
            let mut groups: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
            for (i, p) in parts.iter().enumerate() {
                groups.entry(*p).or_default().push(i as u32);
            }
            for (p, idx) in groups {
                let sub = take_record_batch(batch, &UInt32Array::from(idx))?;
                self.write_to(p, &sub)?;
            }
        }
        self.enforce_budget()
    }

    fn enforce_budget(&mut self) -> Result<()> {
        loop {
            let total: usize = self.writers.values().map(|o| o.w.memory_size()).sum();
            if total <= WRITER_MEMORY_BUDGET {
                return Ok(());
            }
            let Some((_, o)) = self.writers.iter_mut().max_by_key(|(_, o)| o.w.memory_size()) else {
                return Ok(());
            };
            if o.w.memory_size() == 0 {
                return Ok(());
            }
            o.w.flush()?;
        }
    }

    /// Closes every file; returns them all, those closed early included, in key order.
    pub fn finish(mut self) -> Result<Vec<OutputFile>> {
        let mut out = std::mem::take(&mut self.closed);
        for open in std::mem::take(&mut self.writers).into_values() {
            out.push(self.close(open)?);
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }
}

/// Batches in flight between the converter and the writer thread. Two keep both threads busy;
/// more would only add memory (a batch is ~10 MB).
const QUEUE_BATCHES: usize = 2;

/// A [`PartitionedWriter`] on its own thread behind a bounded queue.
pub struct BackgroundWriter {
    tx: Option<SyncSender<(RecordBatch, Vec<i32>)>>,
    handle: Option<JoinHandle<Result<Vec<OutputFile>>>>,
}

impl BackgroundWriter {
    pub fn spawn(mut w: PartitionedWriter) -> Self {
        let (tx, rx) = sync_channel::<(RecordBatch, Vec<i32>)>(QUEUE_BATCHES);
        let handle = std::thread::Builder::new()
            .name("parquet-writer".into())
            .spawn(move || {
                for (batch, parts) in rx {
                    w.write(&batch, &parts)?;
                }
                w.finish()
            })
            .expect("spawning a thread");
        BackgroundWriter {
            tx: Some(tx),
            handle: Some(handle),
        }
    }

    /// Queues a batch; blocks while the writer is two batches behind.
    pub fn write(&mut self, batch: RecordBatch, parts: Vec<i32>) -> Result<()> {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send((batch, parts)).is_ok());
        if sent {
            return Ok(());
        }
        // The writer thread stopped early: its error explains why.
        match self.join() {
            Err(e) => Err(e),
            Ok(_) => Err(EngineError::Invalid("the Parquet writer stopped early".into())),
        }
    }

    /// Waits for the queued batches, closes every file and returns them in key order.
    pub fn finish(mut self) -> Result<Vec<OutputFile>> {
        self.join()
    }

    fn join(&mut self) -> Result<Vec<OutputFile>> {
        self.tx = None;
        let handle = self
            .handle
            .take()
            .ok_or_else(|| EngineError::Invalid("the Parquet writer was already joined".into()))?;
        match handle.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for BackgroundWriter {
    fn drop(&mut self) {
        // An abandoned ingest (rejected file, error) still waits for the thread, so that no file
        // is being written behind the caller's back when it cleans the staging folder.
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(n: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..n))]).unwrap()
    }

    #[test]
    fn background_writer_writes_every_row_per_partition() {
        let dir = tempfile::tempdir().unwrap();
        let b = batch(10);
        let w = PartitionedWriter::new(dir.path(), "curated/t", Some("m"), "s.parquet", b.schema());
        let mut bg = BackgroundWriter::spawn(w);
        for _ in 0..5 {
            bg.write(
                b.clone(),
                vec![24_276; 6].into_iter().chain([24_277; 4]).collect(),
            )
            .unwrap();
        }
        let files = bg.finish().unwrap();
        let keys: Vec<_> = files.iter().map(|f| (f.key.as_str(), f.rows)).collect();
        assert_eq!(
            keys,
            [
                ("curated/t/m=2023-01/s.parquet", 30),
                ("curated/t/m=2023-02/s.parquet", 20)
            ]
        );
        assert!(files.iter().all(|f| f.path.is_file()));
    }

    /// A file spanning more months than writers may be open: never more open than the cap,
    /// every row in a listed file, a month that comes again continues in `-2`, `-3` files, and
    /// the same input gives the same files byte for byte.
    #[test]
    fn open_writers_stay_under_the_cap_however_many_months() {
        let write = |dir: &Path| {
            let b = batch(300);
            let mut w = PartitionedWriter::new(dir, "curated/t", Some("m"), "s.e-1.parquet", b.schema())
                .with_max_open(8);
            // 300 months in each batch, twice over: months leave the open set and come back.
            let parts: Vec<i32> = (0..300).map(|i| 24_000 + i).collect();
            w.write(&b, &parts).unwrap();
            w.write(&b, &parts).unwrap();
            // One month alone, then again after others: the least recently written is closed.
            w.write(&b, &[24_000; 300]).unwrap();
            assert_eq!(w.most_open(), 8);
            w.finish().unwrap()
        };
        let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let files = write(d1.path());
        assert_eq!(files.iter().map(|f| f.rows).sum::<u64>(), 900);
        let keys: Vec<&str> = files.iter().map(|f| f.key.as_str()).collect();
        assert!(keys.windows(2).all(|k| k[0] < k[1]), "sorted, no key twice");
        let first: Vec<(&str, u64)> = files
            .iter()
            .filter(|f| f.key.contains("m=2000-01/"))
            .map(|f| (f.key.as_str(), f.rows))
            .collect();
        assert_eq!(
            first,
            [
                ("curated/t/m=2000-01/s.e-1-2.parquet", 1),
                ("curated/t/m=2000-01/s.e-1-3.parquet", 300),
                ("curated/t/m=2000-01/s.e-1.parquet", 1)
            ]
        );
        // Every file on disk is listed, and every listed file holds its rows.
        let on_disk = walk(d1.path());
        assert_eq!(on_disk.len(), files.len());
        for f in &files {
            let r = parquet::file::reader::SerializedFileReader::new(File::open(&f.path).unwrap()).unwrap();
            use parquet::file::reader::FileReader;
            assert_eq!(
                r.metadata().file_metadata().num_rows() as u64,
                f.rows,
                "{}",
                f.key
            );
        }
        let again = write(d2.path());
        assert_eq!(again.len(), files.len());
        for (a, b) in files.iter().zip(&again) {
            assert_eq!(a.key, b.key);
            assert_eq!(
                std::fs::read(&a.path).unwrap(),
                std::fs::read(&b.path).unwrap(),
                "{}",
                a.key
            );
        }
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }

    /// The data contract: no min/max on ids, product names, emails, phones and the upload's key
    /// (named once in the file's metadata instead), statistics elsewhere, `order_id` without a dictionary, and
    /// `source_line` delta-encoded without one.
    #[test]
    fn curated_files_follow_the_documented_encodings() {
        use arrow::array::StringArray;
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let dir = tempfile::tempdir().unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("order_id", DataType::Utf8, true),
            Field::new("product_name", DataType::Utf8, true),
            Field::new("email", DataType::Utf8, true),
            Field::new("country", DataType::Utf8, true),
            Field::new("source_key", DataType::Utf8, false),
            Field::new("source_line", DataType::Int64, false),
        ]));
        let text = |v: &str| {
            Arc::new(StringArray::from_iter_values(
                (0..50).map(|i| format!("{v}{}", i % 7)),
            ))
        };
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![
                text("o"),
                text("p"),
                text("e@x.example"),
                text("c"),
                crate::ingest::convert::constant_text("incoming/sales/a.csv", 50),
                Arc::new(Int64Array::from_iter_values(1..51)),
            ],
        )
        .unwrap();
        let mut w = PartitionedWriter::new(dir.path(), "curated/t", None, "s.parquet", schema)
            .for_source("incoming/sales/a.csv");
        w.write(&b, &[]).unwrap();
        let files = w.finish().unwrap();
        let r = SerializedFileReader::new(File::open(&files[0].path).unwrap()).unwrap();
        let named: Vec<(&str, Option<&str>)> = r
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .into_iter()
            .flatten()
            .filter(|kv| kv.key.starts_with("segflow."))
            .map(|kv| (kv.key.as_str(), kv.value.as_deref()))
            .collect();
        assert_eq!(named, [(SOURCE_KEY_METADATA, Some("incoming/sales/a.csv"))]);
        let rg = r.metadata().row_group(0);
        let col = |name: &str| {
            rg.columns()
                .iter()
                .find(|c| c.column_path().string() == name)
                .unwrap()
        };
        assert!(
            col("order_id")
                .statistics()
                .is_none_or(|s| s.min_bytes_opt().is_none())
        );
        assert!(
            col("product_name")
                .statistics()
                .is_none_or(|s| s.min_bytes_opt().is_none())
        );
        for c in ["source_key", "email"] {
            assert!(
                col(c).statistics().is_none_or(|s| s.min_bytes_opt().is_none()),
                "{c}"
            );
        }
        assert!(col("order_id").dictionary_page_offset().is_none());
        assert!(col("product_name").dictionary_page_offset().is_some());
        let country = col("country").statistics().expect("country statistics");
        assert_eq!(country.min_bytes_opt(), Some(&b"c0"[..]));
        let line = col("source_line");
        assert!(line.dictionary_page_offset().is_none());
        assert!(line.encodings().any(|e| e == Encoding::DELTA_BINARY_PACKED));
    }

    #[test]
    fn background_writer_reports_the_threads_error() {
        // The staging "folder" is a file, so the writer thread cannot create its output.
        let file = tempfile::NamedTempFile::new().unwrap();
        let b = batch(3);
        let w = PartitionedWriter::new(file.path(), "curated/t", None, "s.parquet", b.schema());
        let mut bg = BackgroundWriter::spawn(w);
        // The first write may be queued before the thread fails; a later one or finish reports it.
        let err = (0..QUEUE_BATCHES + 2)
            .find_map(|_| bg.write(b.clone(), Vec::new()).err())
            .or_else(|| bg.finish().err())
            .expect("an error");
        assert!(matches!(err, EngineError::Io { .. }), "{err}");
    }
}
