//! Streaming the curated sales Parquet into per-order aggregates.
//!
//! Memory is what matters here (~10 M rows, 200 k customers): rows are never kept, customer ids,
//! products and places are interned to `u32` once per dictionary value rather than once per row,
//! and an order costs one small map entry keyed by (customer, hash of the order id). The duplicate-line set is only built for rows in the time
//! windows where two sources overlap, since lines outside such a window cannot have been exported
//! twice.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, RecordBatch, StringArray, new_null_array,
};
use arrow::datatypes::{DataType, FieldRef, Float64Type, Schema, TimeUnit, TimestampMicrosecondType};
use arrow::error::ArrowError;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::basic::Encoding;
use parquet::column::page::{Page, PageReader};
use parquet::errors::ParquetError;
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData};
use parquet::file::serialized_reader::SerializedPageReader;
use parquet::file::statistics::Statistics;

use super::SegmentError;
use super::currency::Currencies;
use super::dict::{StrColumn, ValueCache, dict_type};
use super::distinct::DistinctProducts;
use super::hash::{MixMap, content_hash, str_hash};
use super::interner::Interner;
use super::par;
use super::versions::{MARGIN_MICROS, Outcome, Versions, order_line};
use crate::ingest::writer::{C_NUMBERED_ORDERS_METADATA, PRODUCT_ID_NULLS_METADATA, SOURCE_KEY_METADATA};
use crate::values::number::IMPLAUSIBLE_AMOUNT;

/// Marks "no value" in interned `u32` slots.
pub(super) const NONE: u32 = u32::MAX;

pub(super) const MICROS_PER_DAY: f64 = 86_400_000_000.0;
const DAY_MICROS: i64 = 86_400_000_000;

const BATCH_ROWS: usize = 8192;

/// One non-return order.
#[derive(Clone, Copy, Debug)]
pub(super) struct Order {
    pub cust: u32,
    pub ts: i64,
    pub value: f64,
    /// What return lines under the same order id took back (a refund by status, Shopify's and
    /// WooCommerce's way, returns the whole order). Returns under their own ids (`C536379`) are
    /// the customer's but no order's.
    pub returned: f64,
    pub units: f64,
    /// At least two distinct lines (products).
    pub multi: bool,
    pub country: u32,
    pub city: u32,
}

#[derive(Clone, Copy)]
struct OrderAcc {
    ts: i64,
    value: f64,
    /// Set once all lines are in (see `Orders::finish`): returns may come before their order.
    returned: f64,
    units: f64,
    first_product: u32,
    lines: u32,
    multi: bool,
    country: u32,
    city: u32,
}

impl OrderAcc {
    fn new(ts: i64) -> OrderAcc {
        OrderAcc {
            ts,
            value: 0.0,
            returned: 0.0,
            units: 0.0,
            first_product: NONE,
            lines: 0,
            multi: false,
            country: NONE,
            city: NONE,
        }
    }

    fn add_line(&mut self, ts: i64, amount: f64, qty: f64, product: u32) {
        self.ts = self.ts.min(ts);
        self.value += amount;
        if amount < 0.0 {
            // A discount on the order (ingest keeps "Discount" and "Coupon" lines as purchase
            // lines of negative value): it lowers the order's value and is no item.
            return;
        }
        self.units += qty;
        if self.lines == 0 {
            self.first_product = product;
        } else if product == NONE || self.first_product == NONE || product != self.first_product {
            // A line without a product (neither id nor name) is a distinct line by definition.
            self.multi = true;
        }
        self.lines = self.lines.saturating_add(1);
    }

    /// Adds lines of the same order that arrived apart from the first ones.
    fn merge(&mut self, o: &OrderAcc) {
        // Either part may hold no item, only a discount line.
        if self.lines == 0 {
            self.first_product = o.first_product;
            self.multi = o.multi;
        } else if o.lines > 0 {
            self.multi = self.multi
                || o.multi
                || self.first_product == NONE
                || o.first_product == NONE
                || self.first_product != o.first_product;
        }
        self.ts = self.ts.min(o.ts);
        self.value += o.value;
        self.units += o.units;
        self.lines = self.lines.saturating_add(o.lines);
        if self.country == NONE {
            self.country = o.country;
        }
        if self.city == NONE {
            self.city = o.city;
        }
    }
}

/// (customer, order key, time of the return): see [`Orders::returned_by_order`].
type ReturnKey = (u32, u64, i64);

/// Files `acc` under its order (see [`flush`]), noting a later order under the same number.
fn put(
    orders: &mut MixMap<(u32, u64), OrderAcc>,
    renumbered: &mut MixMap<(u32, u64), Vec<u64>>,
    key: (u32, u64),
    acc: OrderAcc,
) {
    let k = flush(orders, key, acc);
    if k != key {
        let later = renumbered.entry(key).or_default();
        if !later.contains(&k.1) {
            later.push(k.1);
        }
    }
}

/// Which of the orders under one number (`key`'s and the `later` ones) a return made at `at`
/// took back (see [`followed`]); `key` when none of them is left.
fn refunded_order(
    orders: &MixMap<(u32, u64), OrderAcc>,
    key: (u32, u64),
    later: &[u64],
    at: i64,
) -> (u32, u64) {
    let placed = std::iter::once(key.1)
        .chain(later.iter().copied())
        .filter_map(|k| Some((orders.get(&(key.0, k))?.ts, k)));
    followed(placed, at).map_or(key, |(_, k)| (key.0, k))
}

/// Of the orders under one number, as (time placed, which), the one a return made at `at`
/// followed: the last placed by the return's day (a day's leeway for a date without a time), else
/// the first.
fn followed<T: Ord + Copy>(placed: impl Iterator<Item = (i64, T)> + Clone, at: i64) -> Option<(i64, T)> {
    placed
        .clone()
        .filter(|(ts, _)| *ts <= at.saturating_add(DAY_MICROS))
        .max()
        .or_else(|| placed.min())
}

/// The order key of a customer's lines without an order id at time `ts`: [`ANON`] with the time.
fn anon_order(ts: i64) -> u64 {
    ANON | (ts as u64 & !ANON)
}

/// Lines of one customer's order number further apart than this (90 days) are orders of their
/// own: a shop that numbers its invoices afresh each (fiscal) year gives a customer invoice 57 of
/// two years, and merged into one, the second purchase would vanish into the first one's date.
/// The lines of one order lie hours or days apart at most (a date without a time, shipments).
const ORDER_SPAN_MICROS: i64 = 90 * DAY_MICROS;

/// The key of the `n`th (from 1) later order under the number whose key is `order` (see
/// [`ORDER_SPAN_MICROS`]): another order id's key, as far as the map can tell.
fn renumbered(order: u64, n: u32) -> u64 {
    content_hash(&(order, n)) as u64 & !ANON
}

/// Adds `acc`, lines of order `key`, to the order they belong to: the one of that number within
/// [`ORDER_SPAN_MICROS`], else a new one. Returns the key it went under.
fn flush(orders: &mut MixMap<(u32, u64), OrderAcc>, key: (u32, u64), acc: OrderAcc) -> (u32, u64) {
    use std::collections::hash_map::Entry;
    let mut k = key;
    for n in 1.. {
        match orders.entry(k) {
            Entry::Occupied(mut e) if e.get().ts.abs_diff(acc.ts) <= ORDER_SPAN_MICROS as u64 => {
                e.get_mut().merge(&acc);
                break;
            }
            Entry::Occupied(_) => k = (key.0, renumbered(key.1, n)),
            Entry::Vacant(e) => {
                e.insert(acc);
                break;
            }
        }
    }
    k
}

#[derive(Debug, Default, Clone)]
pub(super) struct SalesStats {
    pub files: usize,
    pub rows_read: u64,
    pub rows_after_as_of: u64,
    /// Rows without a time, or whose amount or quantity is not a finite number or is at or
    /// beyond [`IMPLAUSIBLE_AMOUNT`].
    pub rows_unusable: u64,
    pub duplicates_dropped: u64,
    /// Order lines of an order another upload tells (see `super::versions`).
    pub superseded_rows: u64,
    pub rows_used: u64,
    /// Rows inside a window where sources overlap, i.e. checked against the duplicate set.
    pub rows_checked_for_duplicates: u64,
    pub overlap_windows: usize,
    pub return_rows: u64,
    /// Lines of cancelled orders as the export lists them (positive, cancelled by status only).
    pub cancelled_rows: u64,
    pub guest_rows: u64,
    pub guest_net_revenue: f64,
    /// Returns without a buyer booked to the customer whose order they name.
    pub returns_matched_to_orders: u64,
    pub total_net_revenue: f64,
    /// Rows used per currency as exported (see `currency.rs`).
    pub currencies: BTreeMap<String, u64>,
    pub currency_warning: Option<String>,
    /// The unit every figure is in, when one is known (see `Currencies::unit`).
    pub money_unit: Option<String>,
}

pub(super) struct SalesData {
    /// Sorted by (customer, time, order key): downstream float sums then never depend on
    /// hash-map iteration order, which keeps outputs byte-identical from run to run.
    pub orders: Vec<Order>,
    /// Per customer index: sum of |line_amount| of return rows.
    pub returned: Vec<f64>,
    pub distinct_products: Vec<u32>,
    pub stats: SalesStats,
}

const SALES_COLUMNS: [&str; 14] = [
    "currency",
    "status",
    "order_id",
    "customer_id",
    "order_ts",
    "product_id",
    // Read only in row groups that may have lines without a product id (see `product_columns`).
    "product_name",
    "quantity",
    "unit_price",
    "line_amount",
    "country",
    "city",
    "is_return",
    "source_key",
];

/// Columns read only to compare lines in windows where sources overlap.
const DEDUP_ONLY: [&str; 2] = ["unit_price", "source_key"];

pub(super) fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

pub(super) fn parquet_err(path: &Path, e: ParquetError) -> SegmentError {
    SegmentError::Parquet(ParquetError::General(format!("{}: {e}", path.display())))
}

pub(super) fn arrow_err(path: &Path, e: ArrowError) -> SegmentError {
    SegmentError::Arrow(ArrowError::ExternalError(
        format!("{}: {e}", path.display()).into(),
    ))
}

pub(super) fn open_parquet(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>, SegmentError> {
    let file = File::open(path).map_err(|source| SegmentError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_err(path, e))
}

/// Projects `builder` onto `columns` and returns a batch reader.
pub(super) fn projected_reader(
    path: &Path,
    builder: ParquetRecordBatchReaderBuilder<File>,
    columns: &[&str],
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader, SegmentError> {
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
    builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| parquet_err(path, e))
}

/// The named column, cast to `ty` when a foreign writer used a compatible but different type.
pub(super) fn column(
    path: &Path,
    batch: &RecordBatch,
    name: &str,
    ty: &DataType,
    required: bool,
) -> Result<Option<ArrayRef>, SegmentError> {
    match batch.column_by_name(name) {
        None if required => Err(SegmentError::Arrow(ArrowError::SchemaError(format!(
            "{}: required column {name} is missing",
            path.display()
        )))),
        None => Ok(None),
        Some(c) if c.data_type() == ty => Ok(Some(c.clone())),
        Some(c) => arrow::compute::cast(c, ty)
            .map(Some)
            .map_err(|e| arrow_err(path, e)),
    }
}

pub(super) fn str_at(a: Option<&StringArray>, i: usize) -> Option<&str> {
    a.filter(|a| a.is_valid(i))
        .map(|a| a.value(i))
        .filter(|s| !s.is_empty())
}

pub(super) fn f64_at(a: Option<&Float64Array>, i: usize) -> Option<f64> {
    a.filter(|a| a.is_valid(i)).map(|a| a.value(i))
}

/// What a line is, for deciding whether two exports carry the same line.
#[derive(Hash)]
struct LineKey<'a> {
    order_id: Option<&'a str>,
    customer_id: Option<&'a str>,
    ts: i64,
    // No product name: whether names are read depends on each row group's statistics, and one
    // line exported twice must hash alike in both exports.
    product_id: Option<&'a str>,
    quantity: u64,
    unit_price: Option<i64>,
    line_amount: i64,
    is_return: bool,
}

/// `0.0` and `-0.0` compare equal, so they must hash equal too.
fn float_bits(x: f64) -> u64 {
    if x == 0.0 { 0 } else { x.to_bits() }
}

/// The time range covered by one source's rows in one file.
#[derive(Clone, Copy, Debug)]
struct Range {
    source: u32,
    min: i64,
    max: i64,
}

/// Ranges from the row-group statistics when they are conclusive (one source key, exact
/// microsecond min/max); otherwise from a scan of the two columns. Also, from the same footer,
/// whether the file numbers orders with `C` (see [`numbers_orders_with_c`]).
fn file_ranges(path: &Path, sources: &mut Interner) -> Result<(Vec<Range>, bool), SegmentError> {
    let builder = open_parquet(path)?;
    let c_numbered = numbers_orders_with_c(builder.metadata());
    if let Some(r) = ranges_from_stats(&builder, sources) {
        return Ok((r, c_numbered));
    }
    let reader = projected_reader(path, builder, &["order_ts", "source_key"])?;
    let mut by_source: std::collections::BTreeMap<u32, (i64, i64)> = Default::default();
    for batch in reader {
        let batch = batch.map_err(|e| arrow_err(path, e))?;
        let ts = column(path, &batch, "order_ts", &ts_type(), true)?.expect("required");
        let sk = column(path, &batch, "source_key", &DataType::Utf8, true)?.expect("required");
        let (ts, sk) = (
            ts.as_primitive::<TimestampMicrosecondType>(),
            sk.as_string::<i32>(),
        );
        for i in 0..batch.num_rows() {
            if ts.is_null(i) {
                continue;
            }
            let s = sources.intern(if sk.is_valid(i) { sk.value(i) } else { "" });
            let t = ts.value(i);
            let e = by_source.entry(s).or_insert((t, t));
            e.0 = e.0.min(t);
            e.1 = e.1.max(t);
        }
    }
    let ranges = by_source
        .into_iter()
        .map(|(source, (min, max))| Range { source, min, max })
        .collect();
    Ok((ranges, c_numbered))
}

fn ranges_from_stats(
    builder: &ParquetRecordBatchReaderBuilder<File>,
    sources: &mut Interner,
) -> Option<Vec<Range>> {
    let ts_field = builder.schema().field_with_name("order_ts").ok()?;
    if !matches!(
        ts_field.data_type(),
        DataType::Timestamp(TimeUnit::Microsecond, _)
    ) {
        return None;
    }
    let cols = builder.parquet_schema().columns();
    let ts_idx = cols.iter().position(|c| c.path().string() == "order_ts")?;
    let sk_idx = cols.iter().position(|c| c.path().string() == "source_key")?;
    // Files of this version name their upload in their metadata; earlier ones by min = max
    // statistics of `source_key`.
    let named = metadata_value(builder.metadata(), SOURCE_KEY_METADATA);
    let mut key: Option<Vec<u8>> = named.map(|k| k.as_bytes().to_vec());
    let (mut min, mut max) = (i64::MAX, i64::MIN);
    for rg in builder.metadata().row_groups() {
        if rg.num_rows() == 0 {
            continue;
        }
        let Some(Statistics::Int64(ts)) = rg.column(ts_idx).statistics() else {
            return None;
        };
        min = min.min(*ts.min_opt()?);
        max = max.max(*ts.max_opt()?);
        if named.is_some() {
            continue;
        }
        let Some(Statistics::ByteArray(sk)) = rg.column(sk_idx).statistics() else {
            return None;
        };
        let (lo, hi) = (sk.min_opt()?, sk.max_opt()?);
        if !sk.min_is_exact() || !sk.max_is_exact() || lo != hi {
            return None;
        }
        match &key {
            None => key = Some(lo.data().to_vec()),
            Some(k) if k.as_slice() == lo.data() => {}
            Some(_) => return None,
        }
    }
    let Some(key) = key else { return Some(Vec::new()) };
    // A file without rows has no range, whatever its metadata names.
    if min > max {
        return Some(Vec::new());
    }
    let source = sources.intern(std::str::from_utf8(&key).ok()?);
    Some(vec![Range { source, min, max }])
}

fn in_windows(windows: &[(i64, i64)], ts: i64) -> bool {
    let i = windows.partition_point(|w| w.1 < ts);
    windows.get(i).is_some_and(|w| w.0 <= ts)
}

/// Merged, sorted intersections of the ranges of different sources.
fn overlap_windows(ranges: &[Range]) -> Vec<(i64, i64)> {
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| (r.min, r.max, r.source));
    let mut windows = Vec::new();
    for (i, a) in sorted.iter().enumerate() {
        for b in &sorted[i + 1..] {
            if b.min > a.max {
                break;
            }
            if a.source != b.source {
                windows.push((b.min, a.max.min(b.max)));
            }
        }
    }
    windows.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(windows.len());
    for (lo, hi) in windows {
        match merged.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    merged
}

/// How often one line content has been delivered, per source.
#[derive(Clone, Copy, Default)]
struct Seen {
    /// The highest per-source count so far.
    max: u32,
    /// (source + 1, count); 0 marks a free slot. Two slots cover the usual case of one line in
    /// two overlapping exports; further sources spill into `Dedup::more`.
    slots: [(u32, u32); 2],
}

struct Dedup {
    windows: Vec<(i64, i64)>,
    sources: Interner,
    seen: MixMap<u128, Seen>,
    more: MixMap<(u32, u128), u32>,
    /// Which upload tells each order two uploads give (see [`super::versions`]).
    versions: Versions,
}

impl Dedup {
    fn new(windows: Vec<(i64, i64)>, sources: Interner) -> Dedup {
        Dedup {
            windows,
            sources,
            seen: MixMap::default(),
            more: MixMap::default(),
            versions: Versions::default(),
        }
    }

    fn in_window(&self, ts: i64) -> bool {
        in_windows(&self.windows, ts)
    }

    /// The n-th copy (0-based) of a content within a source is the same line as the n-th copy in
    /// any other source, so it is a duplicate exactly when another source already delivered
    /// more than n copies, i.e. when n is below the highest count so far. Repeats inside one
    /// source raise only that source's count, so they are kept.
    fn is_duplicate(&mut self, source: u32, content: u128) -> bool {
        let tag = source + 1;
        let e = self.seen.entry(content).or_default();
        let count = match e.slots.iter().position(|&(t, _)| t == tag || t == 0) {
            Some(i) => {
                e.slots[i].0 = tag;
                &mut e.slots[i].1
            }
            None => self.more.entry((tag, content)).or_default(),
        };
        let n = *count;
        *count += 1;
        let duplicate = n < e.max;
        e.max = e.max.max(n + 1);
        duplicate
    }
}

/// Marks the product index of a line known by its product name only (see [`Prepare`]).
const NAMED: u32 = 1 << 31;

/// Rows without an order id are orders of their own; they get keys from a separate range.
const ANON: u64 = 1 << 63;

/// String columns that [`Columns::of`] reads as all null when absent.
const OPTIONAL_TEXT: [&str; 7] = [
    "order_id",
    "customer_id",
    "product_id",
    "country",
    "city",
    "currency",
    "status",
];

/// Whether the statistics of row group `rg` say that `column` holds only nulls.
pub(super) fn all_null(meta: &ParquetMetaData, rg: usize, column: &str) -> bool {
    let rg = meta.row_group(rg);
    rg.columns().iter().any(|c| {
        c.column_path().string() == column
            && c.statistics()
                .and_then(|s| s.null_count_opt())
                .is_some_and(|n| n as i64 == rg.num_rows())
    })
}

/// Whether the product ids and the product names of row group `rg` are read. The name is the
/// product of a line without an id: in exports that name products but carry no SKU, it is all
/// there is to tell products apart. Read only where an id may be missing, so exports with ids
/// (the common case, and the benchmark's) decode no extra column. The ids are left out of the
/// read where the row group has none: an empty dictionary would make the reader rebuild every
/// batch.
///
/// Where nothing says whether some line lacks an id (no statistics, no count in the metadata:
/// curated by a version before the count, or written by another tool), both are read: reading
/// ids alone counted each named line of a file mixing ids and names as a product of its own.
fn product_columns(file: &File, meta: &ParquetMetaData, rg: usize) -> Result<(bool, bool), ParquetError> {
    let group = meta.row_group(rg);
    let Some(ids) = group
        .columns()
        .iter()
        .find(|c| c.column_path().string() == "product_id")
    else {
        return Ok((false, true));
    };
    Ok(match ids.statistics().and_then(|s| s.null_count_opt()) {
        Some(0) => (true, false),
        Some(n) if n as i64 == group.num_rows() => (false, true),
        Some(_) => (true, true),
        // The curated files keep no statistics on product ids (see `curated_writer_properties`):
        // their metadata counts the lines without one, and a dictionary without entries means
        // that no line has one.
        None if metadata_value(meta, PRODUCT_ID_NULLS_METADATA) == Some("0") => (true, false),
        None if empty_dictionary(file, ids, group.num_rows())? => (false, true),
        None => (true, true),
    })
}

/// The value of the file's key-value metadata entry `key`.
fn metadata_value<'m>(meta: &'m ParquetMetaData, key: &str) -> Option<&'m str> {
    meta.file_metadata()
        .key_value_metadata()?
        .iter()
        .find(|e| e.key == key)?
        .value
        .as_deref()
}

/// Whether the column chunk is dictionary encoded with an empty dictionary, i.e. holds only
/// nulls. Reads the dictionary page alone.
fn empty_dictionary(file: &File, chunk: &ColumnChunkMetaData, rows: i64) -> Result<bool, ParquetError> {
    if chunk.dictionary_page_offset().is_none() {
        return Ok(false);
    }
    let mut pages = SerializedPageReader::new(
        Arc::new(file.try_clone()?),
        chunk,
        usize::try_from(rows).unwrap_or(0),
        None,
    )?;
    Ok(matches!(
        pages.get_next_page()?,
        Some(Page::DictionaryPage { num_values: 0, .. })
    ))
}

/// Whether every data page of `column` in every row group is dictionary encoded.
fn all_dictionary_pages(meta: &ParquetMetaData, column: &str) -> bool {
    let Some(idx) = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.path().string() == column)
    else {
        return false;
    };
    meta.row_groups().iter().all(|rg| {
        let c = rg.column(idx);
        c.dictionary_page_offset().is_some()
            && c.page_encoding_stats_mask()
                .is_some_and(|m| m.is_only(Encoding::RLE_DICTIONARY) || m.is_only(Encoding::PLAIN_DICTIONARY))
    })
}

/// Batch readers of `columns`, one per row group, that read those string columns whose pages are
/// all dictionary encoded as dictionary arrays (see [`super::dict`]); other columns keep the
/// file's types. One reader per row group keeps every batch inside one column chunk: a batch
/// that straddled two chunks would hold two dictionaries, and the Parquet reader would rebuild
/// it by hashing every value of the batch.
fn sales_readers(
    path: &Path,
    columns: &[&str],
) -> Result<Vec<parquet::arrow::arrow_reader::ParquetRecordBatchReader>, SegmentError> {
    let file = File::open(path).map_err(|source| SegmentError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let meta =
        ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).map_err(|e| parquet_err(path, e))?;
    let fields: Vec<FieldRef> = meta
        .schema()
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8
                if columns.contains(&f.name().as_str())
                    && all_dictionary_pages(meta.metadata(), f.name()) =>
            {
                Arc::new(f.as_ref().clone().with_data_type(dict_type()))
            }
            _ => f.clone(),
        })
        .collect();
    let schema = Schema::new_with_metadata(fields, meta.schema().metadata().clone());
    let options = ArrowReaderOptions::new().with_schema(Arc::new(schema));
    let meta =
        ArrowReaderMetadata::try_new(meta.metadata().clone(), options).map_err(|e| parquet_err(path, e))?;
    (0..meta.metadata().num_row_groups())
        .map(|rg| {
            let file = file.try_clone().map_err(|source| SegmentError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            // An all-null string column (e.g. `city` when the export has none) is left out and
            // read as absent: its empty dictionary would make the reader rebuild every batch.
            let (ids, names) =
                product_columns(&file, meta.metadata(), rg).map_err(|e| parquet_err(path, e))?;
            let read: Vec<&str> = columns
                .iter()
                .copied()
                .filter(|c| !(OPTIONAL_TEXT.contains(c) && all_null(meta.metadata(), rg, c)))
                .filter(|&c| match c {
                    "product_id" => ids,
                    "product_name" => names,
                    _ => true,
                })
                .collect();
            let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
                .with_row_groups(vec![rg]);
            projected_reader(path, builder, &read)
        })
        .collect()
}

/// Whether the file's purchase lines number some orders `C` and digits (see
/// [`C_NUMBERED_ORDERS_METADATA`]): then such numbers are a shop's order numbers, in every file of
/// the run (a refund may come in another month's file or upload than its order), not UCI's
/// cancellation invoices.
fn numbers_orders_with_c(meta: &ParquetMetaData) -> bool {
    metadata_value(meta, C_NUMBERED_ORDERS_METADATA).is_some_and(|n| n != "0")
}

/// A string column as read by [`sales_readers`] (dictionary or `Utf8`), cast to `Utf8` when a
/// foreign writer used another type, all nulls when an optional column is absent.
fn string_column(
    path: &Path,
    batch: &RecordBatch,
    name: &str,
    required: bool,
) -> Result<ArrayRef, SegmentError> {
    match batch.column_by_name(name) {
        Some(c) if c.data_type() == &dict_type() => Ok(c.clone()),
        _ => {
            Ok(column(path, batch, name, &DataType::Utf8, required)?
                .unwrap_or_else(|| nulls(batch.num_rows())))
        }
    }
}

/// An all-null string column of `n` rows, for an optional column the file lacks or leaves empty.
/// Sliced from one shared array: a fresh one per column and batch, allocated on the thread that
/// also frees the decoded batches, raised the peak RSS of the 10 M-row benchmark's segment run
/// from 286 to 398 MB (heap fragmentation across the three read threads; same outputs).
fn nulls(n: usize) -> ArrayRef {
    static NULLS: std::sync::OnceLock<ArrayRef> = std::sync::OnceLock::new();
    let all = NULLS.get_or_init(|| new_null_array(&DataType::Utf8, BATCH_ROWS));
    if n <= all.len() {
        all.slice(0, n)
    } else {
        new_null_array(&DataType::Utf8, n)
    }
}

/// The columns of one sales batch, in the types the aggregation reads.
struct Columns {
    order_id: ArrayRef,
    customer_id: ArrayRef,
    product_id: ArrayRef,
    /// All nulls where the row group's lines all have a product id (see [`product_columns`]).
    product_name: ArrayRef,
    country: ArrayRef,
    city: ArrayRef,
    source_key: ArrayRef,
    quantity: ArrayRef,
    unit_price: Option<ArrayRef>,
    line_amount: ArrayRef,
    currency: ArrayRef,
    status: ArrayRef,
    ts: ArrayRef,
    is_return: ArrayRef,
}

impl Columns {
    fn of(path: &Path, batch: &RecordBatch) -> Result<Columns, SegmentError> {
        let text = |name: &str, required: bool| string_column(path, batch, name, required);
        let number = |name: &str, required: bool| column(path, batch, name, &DataType::Float64, required);
        let required = |c: Option<ArrayRef>| c.expect("required columns are present or an error");
        Ok(Columns {
            order_id: text("order_id", false)?,
            customer_id: text("customer_id", false)?,
            product_id: text("product_id", false)?,
            product_name: text("product_name", false)?,
            country: text("country", false)?,
            city: text("city", false)?,
            // Present in every sales file (`file_ranges` checks), read only for duplicates.
            source_key: text("source_key", false)?,
            quantity: required(number("quantity", true)?),
            unit_price: number("unit_price", false)?,
            line_amount: required(number("line_amount", true)?),
            currency: text("currency", false)?,
            status: text("status", false)?,
            ts: required(column(path, batch, "order_ts", &ts_type(), true)?),
            is_return: required(column(path, batch, "is_return", &DataType::Boolean, true)?),
        })
    }
}

/// What each dictionary value of the string columns maps to (see [`ValueCache`]).
#[derive(Default)]
struct Caches {
    customer: ValueCache<u32>,
    /// The order key: `str_hash` of the order id, or [`ANON`] for none.
    order: ValueCache<u64>,
    product: ValueCache<u32>,
    /// [`NAMED`] with the index of the product name.
    product_name: ValueCache<u32>,
    country: ValueCache<u32>,
    city: ValueCache<u32>,
    source: ValueCache<u32>,
    /// Index into [`Currencies`].
    currency: ValueCache<u32>,
}

/// One usable line of a known customer, its strings resolved to interned indices: what the
/// order aggregation needs of a row.
#[derive(Clone, Copy)]
struct Line {
    cust: u32,
    /// `str_hash` of the order id, or [`ANON`] with the time for lines without one (see
    /// [`anon_order`]).
    order: u64,
    ts: i64,
    amount: f64,
    qty: f64,
    product: u32,
    country: u32,
    city: u32,
    is_return: bool,
}

impl Line {
    fn returned(cust: u32, order: u64, ts: i64, amount: f64, qty: f64) -> Line {
        Line {
            cust,
            order,
            ts,
            amount,
            qty,
            product: NONE,
            country: NONE,
            city: NONE,
            is_return: true,
        }
    }
}

/// First stage of the aggregation: filters, de-duplicates and counts rows and resolves their
/// strings to interned indices. Runs in file order on its own thread, so that the interning order
/// (first use) is the one a row-by-row reader gives.
struct Prepare<'a> {
    cutoff: i64,
    dedup: Dedup,
    stats: SalesStats,
    /// Buyers known by email who have a customer number (see [`read_sales`]).
    aliases: &'a HashMap<String, String>,
    ids: &'a mut Interner,
    places: &'a mut Interner,
    products: Interner,
    /// Products known by name only: their own indices, marked [`NAMED`], so that a name never
    /// counts as the product whose id happens to be spelt alike.
    product_names: Interner,
    caches: Caches,
    currencies: Currencies,
    /// See [`numbers_orders_with_c`].
    c_numbered_orders: bool,
}

impl Prepare<'_> {
    /// Appends the usable lines of known customers in `batch` to `out`.
    fn batch(&mut self, path: &Path, batch: &RecordBatch, out: &mut Vec<Line>) -> Result<(), SegmentError> {
        let cols = Columns::of(path, batch)?;
        let Prepare {
            cutoff,
            dedup,
            stats,
            aliases,
            ids,
            places,
            products,
            product_names,
            caches,
            currencies,
            c_numbered_orders,
        } = self;
        let order_id = StrColumn::new(&cols.order_id);
        let customer_id = StrColumn::new(&cols.customer_id);
        let product_id = StrColumn::new(&cols.product_id);
        let product_name = StrColumn::new(&cols.product_name);
        // Known per batch, so rows whose ids are all there pay one comparison, never a lookup.
        let names = batch.column_by_name("product_name").is_some();
        let country = StrColumn::new(&cols.country);
        let city = StrColumn::new(&cols.city);
        let source_key = StrColumn::new(&cols.source_key);
        let currency = StrColumn::new(&cols.currency);
        let status = StrColumn::new(&cols.status);
        caches.currency.follow(&currency);
        caches.order.follow(&order_id);
        caches.customer.follow(&customer_id);
        caches.product.follow(&product_id);
        caches.product_name.follow(&product_name);
        caches.country.follow(&country);
        caches.city.follow(&city);
        caches.source.follow(&source_key);
        let quantity = cols.quantity.as_primitive::<Float64Type>();
        let unit_price = cols.unit_price.as_ref().map(|a| a.as_primitive::<Float64Type>());
        let line_amount = cols.line_amount.as_primitive::<Float64Type>();
        let ts = cols.ts.as_primitive::<TimestampMicrosecondType>();
        let is_return: &BooleanArray = cols.is_return.as_boolean();
        // `C536379` cancels an invoice in UCI's export, a return no order of the file names; a
        // shop that numbers its orders `C1001` returns one of them under its own number.
        let c_numbered_orders = *c_numbered_orders;
        let cancellation = |o: &str| !c_numbered_orders && crate::ingest::convert::is_cancellation_invoice(o);

        for i in 0..batch.num_rows() {
            stats.rows_read += 1;
            if ts.is_null(i) {
                stats.rows_unusable += 1;
                continue;
            }
            let t = ts.value(i);
            if t >= *cutoff {
                stats.rows_after_as_of += 1;
                continue;
            }
            let (Some(qty), Some(amount)) = (f64_at(Some(quantity), i), f64_at(Some(line_amount), i)) else {
                stats.rows_unusable += 1;
                continue;
            };
            // Curated by a version before ingest's bound, or written by another tool: such a
            // line is no sale, and a few of them would overflow a customer's sums.
            if !(qty.abs() < IMPLAUSIBLE_AMOUNT && amount.abs() < IMPLAUSIBLE_AMOUNT) {
                stats.rows_unusable += 1;
                continue;
            }
            let ret = is_return.is_valid(i) && is_return.value(i);
            let cur = caches.currency.get(&currency, i, |s| currencies.index(s));
            let factor = currencies.factor(cur);
            // A refund by status in an order-level row of an order another upload itemises:
            // the refund is all that row adds.
            let mut refund_only = false;
            if dedup.in_window(t) {
                stats.rows_checked_for_duplicates += 1;
                // Under the customer it is counted for: one order exported by a shop keyed by
                // email and by one keyed by number is one order.
                let customer = customer_id.str(i).map(|s| alias(aliases, s));
                let sources = &mut dedup.sources;
                let src = caches
                    .source
                    .get(&source_key, i, |s| sources.intern(s.unwrap_or("")));
                let order = order_id.str(i).filter(|_| order_line(ret, qty, amount));
                match order.map(|o| dedup.versions.outcome(customer, o, src)) {
                    Some(Some(Outcome::Drop)) => {
                        stats.superseded_rows += 1;
                        continue;
                    }
                    Some(Some(Outcome::RefundOnly)) if ret => refund_only = true,
                    Some(Some(Outcome::RefundOnly)) => {
                        stats.superseded_rows += 1;
                        continue;
                    }
                    // An order's lines are versions of it, compared as such above.
                    Some(None) => {}
                    None => {
                        // Amounts in the unit they are counted in, to the cent's hundredth: a
                        // re-export in Rial of a sheet kept in Toman has the same lines.
                        let money = |x: f64| (x * factor * 10_000.0).round() as i64;
                        let key = LineKey {
                            order_id: order_id.str(i),
                            // A return naming its order is that order's buyer's (see
                            // `Orders::finish`): a returns list without buyers beside the shop's
                            // export naming them lists the same returns.
                            customer_id: customer.filter(|_| !(ret && order_id.str(i).is_some())),
                            ts: t,
                            product_id: product_id.str(i),
                            quantity: float_bits(qty),
                            unit_price: f64_at(unit_price, i).map(money),
                            line_amount: money(amount),
                            is_return: ret,
                        };
                        if dedup.is_duplicate(src, content_hash(&key)) {
                            stats.duplicates_dropped += 1;
                            continue;
                        }
                    }
                }
            }
            stats.rows_used += 1;
            currencies.count(cur);
            let amount = amount * factor;
            // A return the export shows only by its status, on a positive line, is the original
            // order line itself (Shopify, WooCommerce): no purchase line elsewhere stands against
            // it. Cancelled or never paid, it never counted; refunded or returned, it was bought
            // and returned.
            let reversed = ret && qty > 0.0 && amount > 0.0;
            if reversed && status.str(i).is_some_and(crate::ingest::convert::never_happened) {
                stats.cancelled_rows += 1;
                continue;
            }
            let net = if reversed && !refund_only {
                0.0
            } else if ret {
                -amount.abs()
            } else {
                amount
            };
            stats.total_net_revenue += net;
            if ret {
                stats.return_rows += 1;
            }
            let c = caches.customer.get(&customer_id, i, |s| {
                s.map_or(NONE, |s| ids.intern(alias(aliases, s)))
            });
            if c == NONE {
                stats.guest_rows += 1;
                stats.guest_net_revenue += net;
                // A returns list may name the order and not its buyer: the order's customer,
                // once all orders are in, took it back (see `Orders::finish`).
                if ret
                    && !reversed
                    && let Some(o) = order_id.str(i)
                    && !cancellation(o)
                {
                    let order = caches.order.get(&order_id, i, |_| str_hash(o) & !ANON);
                    out.push(Line::returned(NONE, order, t, amount, qty));
                }
                continue;
            }
            let mut order = caches
                .order
                .get(&order_id, i, |s| s.map_or(ANON, |o| str_hash(o) & !ANON));
            // Lines without an order id are one order per time of the customer's: a hand-kept
            // sheet's three products bought together are one purchase, not three. One that its
            // status says was refunded is returned from that order: keyed with it, so that what
            // came back is set against the order, as for an order with an id.
            let bought_and_returned = reversed && !refund_only;
            if order == ANON {
                order = anon_order(t);
            }
            if ret {
                // Keyed only when the export gives an id, and one that can be its order's: a
                // cancellation invoice ("C536379") is a document of its own.
                let of_order = if (order_id.str(i).is_none() && !bought_and_returned)
                    || order_id.str(i).is_some_and(cancellation)
                {
                    ANON
                } else {
                    order
                };
                out.push(Line::returned(c, of_order, t, amount, qty));
                if !bought_and_returned {
                    continue;
                }
            }
            let mut product = caches
                .product
                .get(&product_id, i, |s| s.map_or(NONE, |p| products.intern(p)));
            if product == NONE && names {
                // «چاي» in a windows-1256 row and «چای» in a UTF-8 one are one product.
                product = caches.product_name.get(&product_name, i, |s| {
                    s.map_or(NONE, |p| {
                        NAMED | product_names.intern(&crate::values::persian_letters(p))
                    })
                });
            }
            out.push(Line {
                cust: c,
                order,
                ts: t,
                amount,
                qty,
                product,
                // Once per dictionary value: `DE` and `Deutschland` are one country.
                country: caches.country.get(&country, i, |s| {
                    s.map_or(NONE, |s| places.intern(crate::values::country_shown(s)))
                }),
                city: caches
                    .city
                    .get(&city, i, |s| s.map_or(NONE, |s| places.intern(s))),
                is_return: false,
            });
        }
        Ok(())
    }
}

/// Second stage: lines into orders, returned value per customer and distinct products.
#[derive(Default)]
struct Orders {
    orders: MixMap<(u32, u64), OrderAcc>,
    returned: Vec<f64>,
    distinct: DistinctProducts,
    /// Per customer: purchase lines with neither a product id nor a name, each a product of its
    /// own (as for multi-item orders).
    unnamed: Vec<u32>,
    /// Returned value by (customer, order id, time of the return) for return lines that carry an
    /// order id, as (refunded by status on the order's own positive lines, returned by negative
    /// lines); set against the orders once all lines are in (a return may be read before its
    /// order), each against the order of its number it followed (see [`ORDER_SPAN_MICROS`]).
    returned_by_order: MixMap<ReturnKey, (f64, f64)>,
    /// The keys of the later orders under one customer's order number (see [`ORDER_SPAN_MICROS`]),
    /// by the number's own key.
    renumbered: MixMap<(u32, u64), Vec<u64>>,
    /// The order whose lines are being read: lines of one order usually arrive together, so
    /// most lines skip the order map.
    pending: Option<((u32, u64), OrderAcc)>,
    /// Returns without a buyer that name an order: (order key, amount, time), in reading order.
    unowned_returns: Vec<(u64, f64, i64)>,
    /// Some purchase line was a discount (negative): orders of discount lines alone may exist.
    discount_lines: bool,
}

impl Orders {
    fn add(&mut self, lines: &[Line]) {
        let Orders {
            orders,
            returned,
            distinct,
            unnamed,
            returned_by_order,
            renumbered,
            pending,
            unowned_returns,
            discount_lines,
        } = self;
        for l in lines {
            if l.cust == NONE {
                unowned_returns.push((l.order, l.amount, l.ts));
                continue;
            }
            if returned.len() <= l.cust as usize {
                returned.resize(l.cust as usize + 1, 0.0);
                unnamed.resize(l.cust as usize + 1, 0);
            }
            if l.is_return {
                returned[l.cust as usize] += l.amount.abs();
                if l.order != ANON {
                    let (by_status, by_lines) = returned_by_order.entry((l.cust, l.order, l.ts)).or_default();
                    if l.amount > 0.0 {
                        *by_status += l.amount;
                    } else {
                        *by_lines -= l.amount;
                    }
                }
                continue;
            }
            let key = (l.cust, l.order);
            if pending
                .as_ref()
                .is_some_and(|(k, o)| *k != key || o.ts.abs_diff(l.ts) > ORDER_SPAN_MICROS as u64)
                && let Some((k, acc)) = pending.take()
            {
                put(orders, renumbered, k, acc);
            }
            let (_, o) = pending.get_or_insert_with(|| (key, OrderAcc::new(l.ts)));
            o.add_line(l.ts, l.amount, l.qty, l.product);
            if o.country == NONE {
                o.country = l.country;
            }
            if o.city == NONE {
                o.city = l.city;
            }
            if l.amount < 0.0 {
                // A discount line (see `OrderAcc::add_line`): no product bought.
                *discount_lines = true;
            } else if l.product != NONE {
                distinct.insert(l.cust, l.product);
            } else {
                unnamed[l.cust as usize] += 1;
            }
        }
    }

    fn finish(mut self, customers: usize, mut stats: SalesStats) -> SalesData {
        if let Some((k, acc)) = self.pending.take() {
            put(&mut self.orders, &mut self.renumbered, k, acc);
        }
        let mut returned = self.returned;
        returned.resize(customers, 0.0);
        // An "order" of discount lines alone (a coupon line whose items another upload gives, or
        // none) bought nothing: what it took off is money back, as a return line's is. In key
        // order, so that the sums are the same from run to run.
        let mut discounts: Vec<((u32, u64), f64)> = Vec::new();
        if self.discount_lines {
            self.orders.retain(|&key, o| {
                if o.lines == 0 {
                    discounts.push((key, o.value));
                }
                o.lines > 0
            });
        }
        discounts.sort_unstable_by_key(|(k, _)| *k);
        for ((cust, _), value) in discounts {
            returned[cust as usize] -= value;
        }
        let Orders {
            mut orders,
            distinct,
            unnamed,
            returned_by_order,
            renumbered,
            unowned_returns,
            ..
        } = self;
        // Each return against its order: under a number used again (see `ORDER_SPAN_MICROS`), the
        // one it followed. Summed in key order, so that each sum is the same from run to run.
        let mut returns: Vec<_> = returned_by_order.into_iter().collect();
        returns.sort_unstable_by_key(|(k, _)| *k);
        let mut by_order: MixMap<(u32, u64), (f64, f64)> = MixMap::default();
        for ((cust, order, at), (by_status, by_lines)) in returns {
            let key = match renumbered.get(&(cust, order)) {
                Some(later) => refunded_order(&orders, (cust, order), later, at),
                None => (cust, order),
            };
            let e = by_order.entry(key).or_default();
            e.0 += by_status;
            e.1 += by_lines;
        }
        // A return without a buyer whose order one customer placed is that customer's: a
        // returns list keyed by order number only. Of a number used again, the order placed last
        // by the return's day; an order number two customers used at about one time (two
        // branches numbering alike) says neither.
        if !unowned_returns.is_empty() {
            let wanted: std::collections::HashSet<u64> = unowned_returns.iter().map(|r| r.0).collect();
            let base_of: HashMap<(u32, u64), u64> = renumbered
                .iter()
                .flat_map(|(&(c, base), later)| later.iter().map(move |&k| ((c, k), base)))
                .collect();
            let mut placed: HashMap<u64, Vec<(i64, u32, u64)>> = HashMap::new();
            for (&(cust, okey), o) in &orders {
                let base = base_of.get(&(cust, okey)).copied().unwrap_or(okey);
                if wanted.contains(&base) {
                    placed.entry(base).or_default().push((o.ts, cust, okey));
                }
            }
            for (order, amount, at) in unowned_returns {
                let Some(candidates) = placed.get(&order) else {
                    continue;
                };
                let Some((ts, (cust, okey))) = followed(candidates.iter().map(|&(t, c, k)| (t, (c, k))), at)
                else {
                    continue;
                };
                if candidates
                    .iter()
                    .any(|&(t, c, _)| c != cust && t.abs_diff(ts) <= ORDER_SPAN_MICROS as u64)
                {
                    continue;
                }
                returned[cust as usize] += amount.abs();
                by_order.entry((cust, okey)).or_default().1 += amount.abs();
                stats.guest_rows -= 1;
                stats.guest_net_revenue += amount.abs();
                stats.returns_matched_to_orders += 1;
            }
        }
        // What came back of an order is the larger of its refund by status and its refund lines:
        // an order refunded by its status and by a negative refund line as well (WooCommerce
        // Analytics lists both; the shop's export beside the gateway's) went back once. And at
        // most what the order was worth: a refund of a total with shipping returns the items.
        // The customer's sum and the total had taken every line; the difference is corrected in
        // key order, so that each sum is the same from run to run (the map's order is not).
        let mut twice: Vec<((u32, u64), f64)> = Vec::new();
        for (key, (by_status, by_lines)) in by_order {
            let worth = orders.get(&key).map_or(f64::INFINITY, |o| o.value.max(0.0));
            let came_back = by_status.max(by_lines).min(worth);
            let counted_over = by_status + by_lines - came_back;
            if counted_over > 0.0 {
                twice.push((key, counted_over));
            }
            if let Some(o) = orders.get_mut(&key) {
                o.returned = came_back;
            }
        }
        twice.sort_unstable_by_key(|(k, _)| *k);
        for ((cust, _), amount) in twice {
            returned[cust as usize] -= amount;
            stats.total_net_revenue += amount;
        }
        let (orders, mut distinct_products) = std::thread::scope(|s| {
            let distinct = s.spawn(move || distinct.counts(customers));
            (sorted_orders(orders), par::join(distinct))
        });
        for (d, u) in distinct_products.iter_mut().zip(unnamed) {
            *d += u;
        }
        SalesData {
            orders,
            returned,
            distinct_products,
            stats,
        }
    }
}

/// The orders sorted by (customer, time, order key), the halves sorted on two cores and merged.
/// The keys are distinct, so the order is the one there is, whatever the split.
fn sorted_orders(orders: MixMap<(u32, u64), OrderAcc>) -> Vec<Order> {
    let mut keyed: Vec<(u64, Order)> = orders
        .into_iter()
        .map(|((cust, okey), a)| {
            let o = Order {
                cust,
                ts: a.ts,
                value: a.value,
                returned: a.returned,
                units: a.units,
                multi: a.multi,
                country: a.country,
                city: a.city,
            };
            (okey, o)
        })
        .collect();
    let key = |(k, o): &(u64, Order)| (o.cust, o.ts, *k);
    let mid = keyed.len() / 2;
    let (a, b) = keyed.split_at_mut(mid);
    std::thread::scope(|s| {
        let h = s.spawn(|| a.sort_unstable_by_key(key));
        b.sort_unstable_by_key(key);
        par::join(h);
    });
    let (a, b) = keyed.split_at(mid);
    let mut out = Vec::with_capacity(keyed.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if key(&a[i]) <= key(&b[j]) {
            out.push(a[i].1);
            i += 1;
        } else {
            out.push(b[j].1);
            j += 1;
        }
    }
    out.extend(a[i..].iter().chain(&b[j..]).map(|(_, o)| *o));
    out
}

/// Batches waiting between two stages of the reading pipeline: enough to absorb uneven batches
/// and the scheduling of three stages on two cores, few enough (each ~0.5 MB) to keep memory
/// flat. With 4 the cores idled a quarter of the time; 8 reads 10 M rows ~8 % faster for ~4 MB
/// more peak memory; 16 gained ~3 % more for another 11 MB.
const BATCHES_IN_FLIGHT: usize = 8;

/// Every batch of `files` in order, each with its file; reading stops after the first error.
fn batches<'a>(
    files: &'a [PathBuf],
    columns: &'a [&'a str],
) -> impl Iterator<Item = (&'a Path, Result<RecordBatch, SegmentError>)> {
    files.iter().flat_map(|path| {
        let path = path.as_path();
        let batches: Box<dyn Iterator<Item = Result<RecordBatch, SegmentError>> + Send> =
            match sales_readers(path, columns) {
                Ok(readers) => Box::new(
                    readers
                        .into_iter()
                        .flatten()
                        .map(move |b| b.map_err(|e| arrow_err(path, e))),
                ),
                Err(e) => Box::new(std::iter::once(Err(e))),
            };
        batches.map(move |b| (path, b))
    })
}

/// The customer number `key` is known under (see [`super::customers::contact_aliases`]), else
/// `key`. A mobile keyed without its country (`tel:9121234567`) is looked up in its one form.
pub(super) fn alias<'a>(aliases: &'a HashMap<String, String>, key: &'a str) -> &'a str {
    let found = match key.starts_with(crate::values::phone::NATIONAL_PREFIX) {
        true => aliases.get(crate::values::canonical_mobile(key).as_ref()),
        false => aliases.get(key),
    };
    found.map_or(key, String::as_str)
}

/// Reads every sales file (sorted by path) and aggregates rows with `order_ts < cutoff`.
/// Customer ids go into `ids`; countries and cities into `places`. A buyer whose id is an email
/// that `aliases` files under a customer number is that customer: one person who bought in a shop
/// keyed by email (Shopify) and in one keyed by number is one customer, not two half ones.
pub(super) fn read_sales(
    files: &[PathBuf],
    cutoff: i64,
    currency_rates: &BTreeMap<String, f64>,
    aliases: &HashMap<String, String>,
    ids: &mut Interner,
    places: &mut Interner,
) -> Result<SalesData, SegmentError> {
    let mut files = files.to_vec();
    files.sort();
    files.dedup();

    let mut sources = Interner::default();
    let mut ranges = Vec::new();
    let mut c_numbered_orders = false;
    for f in &files {
        let (r, c_numbered) = file_ranges(f, &mut sources)?;
        ranges.extend(r);
        c_numbered_orders |= c_numbered;
    }
    // Widened: two exports of one order may date it hours apart (time zones, a date without a
    // time), so its versions may lie just outside where the exact ranges meet.
    let widened: Vec<Range> = ranges
        .iter()
        .map(|r| Range {
            min: r.min.saturating_sub(MARGIN_MICROS),
            max: r.max.saturating_add(MARGIN_MICROS),
            ..*r
        })
        .collect();
    let mut dedup = Dedup::new(overlap_windows(&widened), sources);
    if !dedup.windows.is_empty() {
        let mut reach: BTreeMap<u32, i64> = BTreeMap::new();
        for r in &ranges {
            let e = reach.entry(r.source).or_insert(r.max);
            *e = (*e).max(r.max);
        }
        let reach: Vec<(u32, i64)> = reach.into_iter().collect();
        let (windows, sources) = (&dedup.windows, &mut dedup.sources);
        dedup.versions = Versions::read(&files, |t| in_windows(windows, t), sources, &reach, aliases)?;
    }
    let stats = SalesStats {
        files: files.len(),
        overlap_windows: dedup.windows.len(),
        ..Default::default()
    };
    let mut prepare = Prepare {
        cutoff,
        dedup,
        stats,
        aliases,
        ids,
        places,
        products: Interner::default(),
        product_names: Interner::default(),
        caches: Caches::default(),
        currencies: Currencies::new(currency_rates),
        c_numbered_orders,
    };
    // Without windows where sources overlap, no line is compared with another: the columns only
    // the duplicate check reads are not decoded at all.
    let columns: Vec<&str> = SALES_COLUMNS
        .into_iter()
        .filter(|c| !prepare.dedup.windows.is_empty() || !DEDUP_ONLY.contains(c))
        .collect();
    let mut orders = Orders::default();
    if par::threads() == 1 {
        let mut lines = Vec::new();
        for (path, batch) in batches(&files, &columns) {
            lines.clear();
            prepare.batch(path, &batch?, &mut lines)?;
            orders.add(&lines);
        }
    } else {
        // Three stages, each on its own thread, in file order: decoding (decompression, levels,
        // dictionaries), preparing lines (filters, duplicates, interning) and aggregating orders.
        // The channels keep the order and bound what is in flight.
        let (files, columns) = (&files, &columns);
        let prepare = &mut prepare;
        std::thread::scope(|s| {
            let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel(BATCHES_IN_FLIGHT);
            let (line_tx, line_rx) = std::sync::mpsc::sync_channel::<Vec<Line>>(BATCHES_IN_FLIGHT);
            s.spawn(move || {
                for item in batches(files, columns) {
                    let stop = item.1.is_err();
                    // The receiver is gone only when a later stage failed; its error is reported.
                    if batch_tx.send(item).is_err() || stop {
                        break;
                    }
                }
            });
            // Line buffers go back to the preparing stage: fresh ones would be fresh pages.
            let (free_tx, free_rx) = std::sync::mpsc::sync_channel::<Vec<Line>>(BATCHES_IN_FLIGHT + 2);
            let prepared = s.spawn(move || -> Result<(), SegmentError> {
                for (path, batch) in batch_rx {
                    let batch = batch?;
                    let mut lines = free_rx.try_recv().unwrap_or_default();
                    lines.clear();
                    prepare.batch(path, &batch, &mut lines)?;
                    if line_tx.send(lines).is_err() {
                        break;
                    }
                }
                Ok(())
            });
            for lines in line_rx {
                orders.add(&lines);
                // Full only if the preparing stage stopped; the buffer is then dropped.
                let _ = free_tx.try_send(lines);
            }
            par::join(prepared)
        })?;
    }
    let customers = prepare.ids.len();
    prepare.stats.currencies = prepare.currencies.rows();
    prepare.stats.currency_warning = prepare.currencies.warning();
    prepare.stats.money_unit = prepare.currencies.unit();
    Ok(orders.finish(customers, prepare.stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(order: u64, day: i64, amount: f64) -> Line {
        Line {
            cust: 0,
            order,
            ts: day * DAY_MICROS,
            amount,
            qty: amount.signum(),
            product: 1,
            country: NONE,
            city: NONE,
            is_return: amount < 0.0,
        }
    }

    /// One number, two orders a year apart: each return is set against the order it followed.
    #[test]
    fn a_return_under_a_number_used_twice_takes_back_the_order_before_it() {
        for refund_day in [400, 10] {
            let mut orders = Orders::default();
            orders.add(&[line(7, 0, 100.0), line(7, 1, 50.0), line(7, 365, 80.0)]);
            orders.add(&[line(7, refund_day, -30.0)]);
            let data = orders.finish(1, SalesStats::default());
            let got: Vec<(i64, f64, f64)> = data
                .orders
                .iter()
                .map(|o| (o.ts / DAY_MICROS, o.value, o.returned))
                .collect();
            let (first, second) = if refund_day > 365 {
                (0.0, 30.0)
            } else {
                (30.0, 0.0)
            };
            assert_eq!(
                got,
                [(0, 150.0, first), (365, 80.0, second)],
                "refund on day {refund_day}"
            );
        }
    }

    /// A curated file names its upload in its metadata (no `source_key` statistics): its range
    /// comes from the footer, with no column read; without either it is scanned.
    #[test]
    fn a_curated_files_range_comes_from_its_footer() {
        use arrow::array::{ArrayRef, StringArray, TimestampMicrosecondArray};
        use arrow::datatypes::{Field, Schema};
        let dir = tempfile::tempdir().unwrap();
        let schema = std::sync::Arc::new(Schema::new(vec![
            Field::new(
                "order_ts",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
            Field::new("source_key", DataType::Utf8, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                std::sync::Arc::new(TimestampMicrosecondArray::from(vec![30, 10, 20]).with_timezone("UTC"))
                    as ArrayRef,
                std::sync::Arc::new(StringArray::from(vec!["incoming/sales/a.csv"; 3])),
            ],
        )
        .unwrap();
        let write = |name: &str, named: bool| {
            let w =
                crate::ingest::writer::PartitionedWriter::new(dir.path(), "c", None, name, schema.clone());
            let mut w = if named {
                w.for_source("incoming/sales/a.csv")
            } else {
                w
            };
            w.write(&batch, &[]).unwrap();
            w.finish().unwrap().remove(0).path
        };
        let mut sources = Interner::default();
        let named = open_parquet(&write("named.parquet", true)).unwrap();
        let ranges = ranges_from_stats(&named, &mut sources).expect("from the footer");
        assert_eq!(ranges.len(), 1);
        assert_eq!((ranges[0].min, ranges[0].max), (10, 30));
        assert_eq!(sources.name(ranges[0].source), "incoming/sales/a.csv");
        // Unnamed and without statistics on the key: left to the scan.
        let unnamed = write("unnamed.parquet", false);
        assert!(ranges_from_stats(&open_parquet(&unnamed).unwrap(), &mut sources).is_none());
        let (scanned, _) = file_ranges(&unnamed, &mut sources).unwrap();
        assert_eq!(
            (scanned[0].min, scanned[0].max, scanned[0].source),
            (10, 30, ranges[0].source)
        );
    }

    #[test]
    fn windows_only_where_different_sources_overlap() {
        let r = |source, min, max| Range { source, min, max };
        // Same source overlapping itself (two months of one upload) is not a window.
        assert!(overlap_windows(&[r(0, 0, 10), r(0, 5, 20)]).is_empty());
        assert_eq!(
            overlap_windows(&[r(0, 0, 10), r(1, 5, 20), r(2, 8, 30)]),
            vec![(5, 20)]
        );
        assert_eq!(
            overlap_windows(&[r(0, 0, 10), r(1, 10, 20), r(0, 30, 40), r(1, 35, 50)]),
            vec![(10, 10), (35, 40)]
        );
        assert!(overlap_windows(&[r(0, 0, 10), r(1, 11, 20)]).is_empty());
    }

    #[test]
    fn dedup_keeps_repeats_within_a_source() {
        let mut d = Dedup::new(vec![(0, 100)], Interner::default());
        assert!(d.in_window(0) && d.in_window(100) && !d.in_window(101) && !d.in_window(-1));
        assert!(!d.is_duplicate(0, 7));
        assert!(!d.is_duplicate(0, 7));
        assert!(d.is_duplicate(1, 7));
        assert!(d.is_duplicate(1, 7));
        assert!(
            !d.is_duplicate(1, 7),
            "a third copy in b is more than a delivered"
        );
        // More sources than inline slots.
        assert!(!d.is_duplicate(2, 8));
        assert!(d.is_duplicate(3, 8));
        assert!(d.is_duplicate(4, 8));
        assert!(!d.is_duplicate(4, 8));
        assert!(d.is_duplicate(2, 8));
        assert!(!d.is_duplicate(2, 8));
    }
}
