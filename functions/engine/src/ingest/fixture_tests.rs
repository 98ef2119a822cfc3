//! Ingest of every bundled fixture format through `ingest_file`, with values read back.

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, TimestampMicrosecondType};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::*;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

fn ingest(rel: &str, opts: &IngestOptions) -> (IngestOutcome, tempfile::TempDir) {
    ingest_path(&fixture(rel), rel, opts)
}

fn ingest_path(path: &Path, rel: &str, opts: &IngestOptions) -> (IngestOutcome, tempfile::TempDir) {
    ingest_upload(path, "sales", rel, opts)
}

/// Ingests `path` as an upload to `incoming/<folder>/`, checking that its rows reconcile.
fn ingest_upload(
    path: &Path,
    folder: &str,
    rel: &str,
    opts: &IngestOptions,
) -> (IngestOutcome, tempfile::TempDir) {
    let size = std::fs::metadata(path).unwrap().len();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let src = SourceRef {
        bucket: None,
        key: format!("incoming/{folder}/{name}"),
        etag: Some("e".into()),
        version_id: None,
        size,
    };
    let staging = tempfile::tempdir().unwrap();
    let out = ingest_file(path, src, opts, staging.path()).unwrap();
    let r = &out.report.rows;
    assert_eq!(r.read, r.written + r.rejected, "{rel}: rows must reconcile");
    (out, staging)
}

/// The rows of the upload's own dataset.
fn batches(out: &IngestOutcome) -> Vec<RecordBatch> {
    let dataset = out.dataset.expect("ingested").name();
    parquet_under(out, &format!("curated/{dataset}/"))
}

fn parquet_under(out: &IngestOutcome, prefix: &str) -> Vec<RecordBatch> {
    let mut all = Vec::new();
    for f in out
        .files
        .iter()
        .filter(|f| f.key.ends_with(".parquet") && f.key.starts_with(prefix))
    {
        let file = std::fs::File::open(&f.path).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        all.extend(reader.map(Result::unwrap));
    }
    all
}

fn strings(b: &[RecordBatch], col: &str) -> Vec<Option<String>> {
    b.iter()
        .flat_map(|b| {
            let a = b.column_by_name(col).unwrap().as_string::<i32>().clone();
            (0..a.len())
                .map(move |i| a.is_valid(i).then(|| a.value(i).to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn bools(b: &[RecordBatch], col: &str) -> Vec<bool> {
    b.iter()
        .flat_map(|b| {
            let a = b.column_by_name(col).unwrap().as_boolean().clone();
            (0..a.len()).map(move |i| a.value(i)).collect::<Vec<_>>()
        })
        .collect()
}

fn ints(b: &[RecordBatch], col: &str) -> Vec<i64> {
    b.iter()
        .flat_map(|b| {
            let a = b
                .column_by_name(col)
                .unwrap()
                .as_primitive::<arrow::datatypes::Int64Type>()
                .clone();
            (0..a.len()).map(move |i| a.value(i)).collect::<Vec<_>>()
        })
        .collect()
}

fn floats(b: &[RecordBatch], col: &str) -> Vec<f64> {
    b.iter()
        .flat_map(|b| {
            b.column_by_name(col)
                .unwrap()
                .as_primitive::<Float64Type>()
                .values()
                .to_vec()
        })
        .collect()
}

fn times(b: &[RecordBatch]) -> Vec<String> {
    timestamps(b, "order_ts")
}

/// A timestamp column's values as RFC 3339 text.
fn timestamps(b: &[RecordBatch], col: &str) -> Vec<String> {
    b.iter()
        .flat_map(|b| {
            let a = b
                .column_by_name(col)
                .unwrap()
                .as_primitive::<TimestampMicrosecondType>()
                .clone();
            a.values()
                .iter()
                .map(|v| chrono::DateTime::from_timestamp_micros(*v).unwrap().to_rfc3339())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn excel_workbook_with_a_cover_sheet_and_a_title_row() {
    let (out, _s) = ingest("exports/sales/erp_orders.xlsx", &IngestOptions::default());
    let r = &out.report;
    assert_eq!((r.rows.read, r.rows.written, r.rows.preamble_skipped), (3, 3, 1));
    assert_eq!(r.header_line, Some(3));
    let b = batches(&out);
    assert_eq!(times(&b)[0], "2023-09-04T10:00:00+00:00");
    // The report's range is that of the rows written.
    let mut all = times(&b);
    all.sort();
    let stats = r.stats.as_ref().unwrap();
    let rfc = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339());
    assert_eq!(rfc(stats.min_ts), all.first().cloned());
    assert_eq!(rfc(stats.max_ts), all.last().cloned());
    assert_ne!(stats.min_ts, stats.max_ts);
    assert_eq!(floats(&b, "line_amount"), [39.9, 120.0, 39.9]);
    assert_eq!(floats(&b, "quantity"), [1.0, 2.0, 1.0]);
    assert_eq!(strings(&b, "customer_id")[0].as_deref(), Some("9001"));
}

#[test]
fn gzipped_json_lines_with_epochs_and_a_guest() {
    let (out, _s) = ingest("exports/sales/woo_orders.jsonl.gz", &IngestOptions::default());
    let fmt = out.report.format.as_ref().unwrap();
    assert_eq!(
        (fmt.compression, fmt.container),
        (sniff::Compression::Gzip, sniff::Container::JsonLines)
    );
    assert_eq!(out.report.parsing.as_ref().unwrap().date_format, "unix-seconds");
    assert_eq!(out.report.stats.as_ref().unwrap().guest_rows, Some(1));
    let b = batches(&out);
    assert_eq!(times(&b)[0], "2023-10-01T09:00:00+00:00");
    assert_eq!(
        strings(&b, "customer_id"),
        [Some("501".into()), Some("502".into()), None]
    );
    assert_eq!(floats(&b, "line_amount"), [19.99, 11.0, 19.99]);
}

#[test]
fn windows_1256_export_with_rial_header_and_jalali_dates() {
    let (out, _s) = ingest("exports/sales/sefaresh_cp1256.csv", &IngestOptions::default());
    assert_eq!(
        out.report.format.as_ref().unwrap().encoding,
        sniff::TextEncoding::Windows1256
    );
    let b = batches(&out);
    assert_eq!(
        times(&b)[0],
        "2023-09-23T00:00:00+00:00",
        "1402/07/01 is 23 September 2023"
    );
    assert_eq!(floats(&b, "line_amount"), [1_250_000.0, 3_400_000.0]);
    assert_eq!(strings(&b, "currency")[0].as_deref(), Some("IRR"));
    assert_eq!(strings(&b, "customer_id")[0].as_deref(), Some("C-20"));
}

#[test]
fn shopify_orders_keyed_by_email_with_a_refund() {
    let (out, _s) = ingest(
        "exports/sales/orders_export_shopify.csv",
        &IngestOptions::default(),
    );
    let b = batches(&out);
    let customers = strings(&b, "customer_id");
    assert_eq!(
        customers[0].as_deref(),
        Some("sara@example.com"),
        "emails are lower-cased into the key"
    );
    assert_eq!(customers[3].as_deref(), Some("sara@example.com"));
    assert_eq!(floats(&b, "line_amount")[0], 25.0, "quantity × line-item price");
    // Shopify states the currency on an order's first line only.
    assert_eq!(
        strings(&b, "currency")[..2],
        [Some("EUR".to_string()), Some("EUR".to_string())]
    );
    let returns: Vec<bool> = b
        .iter()
        .flat_map(|b| {
            b.column_by_name("is_return")
                .unwrap()
                .as_boolean()
                .iter()
                .flatten()
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(returns, [false, false, false, true, false]);
    assert_eq!(
        times(&b)[0],
        "2023-11-04T09:15:00+00:00",
        "the +0100 offset is honoured"
    );
    assert!(
        out.report
            .mapping
            .as_ref()
            .unwrap()
            .unmapped
            .contains(&"Total".to_string())
    );
}

#[test]
fn naive_times_take_the_configured_zone() {
    let opts = IngestOptions {
        timezone: chrono_tz::Europe::Berlin,
        ..IngestOptions::default()
    };
    let (out, _s) = ingest("exports/sales/Bestellungen 2023.csv", &opts);
    assert_eq!(
        times(&batches(&out))[0],
        "2023-11-03T23:00:00+00:00",
        "midnight in Berlin is 23:00 UTC"
    );
    assert_eq!(out.report.parsing.as_ref().unwrap().date_format, "day-first");
}

/// A dataset given by a flag or a folder wins, but a header that reads as another's is noted.
#[test]
fn a_given_dataset_the_header_contradicts_is_noted() {
    let rel = "exports/sales/Online Retail 2023.csv";
    let (out, _s) = ingest(rel, &IngestOptions::default());
    assert_eq!(out.report.dataset_note, None, "no dataset given");
    let sales = IngestOptions {
        dataset: Some(Dataset::Sales),
        ..IngestOptions::default()
    };
    assert_eq!(ingest(rel, &sales).0.report.dataset_note, None);
    let customers = IngestOptions {
        dataset: Some(Dataset::Customers),
        ..IngestOptions::default()
    };
    let (out, _s) = ingest_upload(&fixture(rel), "customers", rel, &customers);
    assert_eq!(out.report.dataset, Some("customers"));
    let note = out
        .report
        .dataset_note
        .expect("a sales header given as customers");
    assert!(note.starts_with("the header reads as a sales export"), "{note}");
}

/// A header that says UTC (Stripe's "Created date (UTC)") outranks the configured zone.
#[test]
fn a_utc_header_outranks_the_configured_zone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unified_payments.csv");
    std::fs::write(
        &path,
        "id,Created date (UTC),Amount,Currency,Customer Email\nch_1,2023-11-05 19:30:00,45.00,usd,a@x.com\n",
    )
    .unwrap();
    let opts = IngestOptions {
        timezone: chrono_tz::America::New_York,
        ..IngestOptions::default()
    };
    let (out, _s) = ingest_path(&path, "unified_payments.csv", &opts);
    assert_eq!(times(&batches(&out)), ["2023-11-05T19:30:00+00:00"]);
    // So does a separate time column's.
    let path = dir.path().join("orders.csv");
    std::fs::write(
        &path,
        "Order ID,Order Date,Order Time (UTC),Amount\n1,2023-11-05,19:30:00,45.00\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "orders.csv", &opts);
    assert_eq!(times(&batches(&out)), ["2023-11-05T19:30:00+00:00"]);
    assert_eq!(out.report.parsing.as_ref().unwrap().timezone, "UTC");
    // A header's other offset is that offset.
    std::fs::write(
        &path,
        "Order ID,Order Date,Order Time (UTC+01:00),Amount\n1,2023-11-05,14:30:00,45.00\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "orders.csv", &opts);
    assert_eq!(times(&batches(&out)), ["2023-11-05T13:30:00+00:00"]);
    assert_eq!(out.report.parsing.as_ref().unwrap().timezone, "UTC+01:00");
}

#[test]
fn same_input_gives_byte_identical_parquet() {
    let (a, _sa) = ingest("exports/sales/Online Retail 2023.csv", &IngestOptions::default());
    let (b, _sb) = ingest("exports/sales/Online Retail 2023.csv", &IngestOptions::default());
    assert_eq!(a.files.len(), b.files.len());
    for (x, y) in a.files.iter().zip(&b.files) {
        assert_eq!(x.key, y.key);
        assert_eq!(
            std::fs::read(&x.path).unwrap(),
            std::fs::read(&y.path).unwrap(),
            "{}",
            x.key
        );
    }
}

/// The report too: it carried the read's duration, so no two runs wrote the same bytes.
#[test]
fn same_input_gives_byte_identical_reports() {
    for rel in [
        "exports/sales/Online Retail 2023.csv",
        "exports/sales/erp_orders.xlsx",
    ] {
        let (a, _sa) = ingest(rel, &IngestOptions::default());
        let (b, _sb) = ingest(rel, &IngestOptions::default());
        assert_eq!(a.report_file.key, b.report_file.key);
        let bytes = std::fs::read(&a.report_file.path).unwrap();
        assert_eq!(bytes, std::fs::read(&b.report_file.path).unwrap(), "{rel}");
        assert!(!String::from_utf8(bytes).unwrap().contains("duration"), "{rel}");
    }
}

#[test]
fn mapping_override_reads_a_file_the_synonyms_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.csv");
    std::fs::write(&path, "col_a;col_b;col_c\n2024-01-02;3;9,50\n").unwrap();
    let src = SourceRef {
        bucket: None,
        key: "incoming/sales/odd.csv".into(),
        etag: None,
        version_id: None,
        size: 40,
    };
    let staging = tempfile::tempdir().unwrap();
    let out = ingest_file(
        &path,
        src.clone(),
        &IngestOptions {
            dataset: Some(Dataset::Sales),
            ..Default::default()
        },
        staging.path(),
    )
    .unwrap();
    assert_eq!(out.report.error.as_ref().unwrap().code, "missing_columns");
    let over = MappingOverride::from_json(
        r#"{"columns": {"col_a": "order_date", "col_b": "quantity", "col_c": "unit_price"}}"#,
    )
    .unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Sales),
        mapping: Some(over),
        ..Default::default()
    };
    let staging = tempfile::tempdir().unwrap();
    let out = ingest_file(&path, src, &opts, staging.path()).unwrap();
    assert_eq!(out.report.rows.written, 1);
    assert_eq!(floats(&batches(&out), "line_amount"), [28.5]);
}

/// Past the sniffer's sample, so the file is read as UTF-8: a row in Windows-1252 is read as
/// that; a row with a byte that is not UTF-8 nor a letter in Windows-1252 is quarantined under
/// its own line, with its cells (the byte shown as U+FFFD); the rows around them are kept, blank
/// lines and a quoted line break count as lines, and the counts reconcile.
#[test]
fn a_row_that_is_not_utf8_is_quarantined_and_the_others_kept() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(
        f,
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    )
    .unwrap();
    let plain = 5000;
    for i in 0..plain {
        writeln!(
            f,
            "{},{},PLAIN ITEM {},2,1/{}/2023 10:00,1.5,{},Iran",
            100 + i / 4,
            i % 50,
            i,
            1 + i % 28,
            1000 + i % 90
        )
        .unwrap();
    }
    // Line plain + 2: Latin-1 "é", not UTF-8.
    f.write_all(b"9001,7,CAF\xC9 AU LAIT,1,2/1/2023 10:00,3.0,1001,France\n")
        .unwrap();
    // A blank line, then a quoted line break: the next rows start on lines plain + 4 and + 6.
    f.write_all(b"\n9002,8,\"TWO\nLINES\",1,2/2/2023 10:00,4.0,1002,France\n")
        .unwrap();
    f.write_all(b"9003,9,LAST,1,2/3/2023 10:00,5.0,1003,France\n")
        .unwrap();
    // Line plain + 7: 0x81 is no character in Windows-1252.
    f.write_all(b"9004,9,CAF\x81 NOIR,1,2/3/2023 10:00,5.0,1003,France\n")
        .unwrap();
    drop(f);
    let opts = IngestOptions {
        date_order: DateOrder::MonthFirst,
        ..Default::default()
    };
    let (out, _staging) = ingest_path(&path, "export.csv", &opts);
    let rows = &out.report.rows;
    assert_eq!(
        (rows.read, rows.written, rows.rejected),
        (plain + 4, plain + 3, 1)
    );
    assert_eq!(rows.rejected_by_reason.get("bad_encoding"), Some(&1));
    let q = out
        .files
        .iter()
        .find(|f| f.key.starts_with("quarantine/"))
        .unwrap();
    let entry: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&q.path).unwrap().trim()).unwrap();
    assert_eq!(entry["line"], plain + 7);
    assert_eq!(entry["reason"], "bad_encoding");
    assert_eq!(entry["record"][2], "CAF\u{FFFD} NOIR");
    assert_eq!(entry["record"][7], "France");

    let b = batches(&out);
    let ids = strings(&b, "order_id");
    let lines: Vec<i64> = b
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name("source_line")
                .unwrap()
                .as_primitive::<arrow::datatypes::Int64Type>();
            a.values().to_vec()
        })
        .collect();
    let at = |id: &str| lines[ids.iter().position(|o| o.as_deref() == Some(id)).unwrap()];
    assert_eq!(
        (at("100"), at("9001"), at("9002"), at("9003")),
        (2, plain as i64 + 2, plain as i64 + 4, plain as i64 + 6)
    );
    let names = strings(&b, "product_name");
    assert!(names.contains(&Some("TWO\nLINES".to_string())));
    assert!(names.contains(&Some("CAFÉ AU LAIT".to_string())));
}

fn ingest_bytes(name: &str, bytes: &[u8]) -> (IngestOutcome, tempfile::TempDir, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Sales),
        ..Default::default()
    };
    let (out, staging) = ingest_path(&path, name, &opts);
    (out, staging, dir)
}

fn quarantine_lines(out: &IngestOutcome) -> Vec<serde_json::Value> {
    out.files
        .iter()
        .filter(|f| f.key.starts_with("quarantine/"))
        .flat_map(|q| {
            std::fs::read_to_string(&q.path)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A UTF-8 export with one row a Windows tool appended in Windows-1252: the file is read as
/// UTF-8 (it had been decoded whole as Windows-1256, every accented letter an Arabic one), and
/// that row in Windows-1252, so every row is read right.
#[test]
fn a_utf8_export_with_one_windows_1252_row_is_read_as_utf8() {
    let mut bytes = b"Order ID,Customer,Order Date,Product,Quantity,Price,City\n".to_vec();
    for i in 0..200 {
        let city = ["Köln", "Zürich", "Málaga", "København", "Kraków"][i % 5];
        bytes.extend_from_slice(format!("A{i},C{},2023-11-20,Crème {i},1,5.50,{city}\n", i % 9).as_bytes());
        if i == 150 {
            bytes.extend_from_slice(b"X1,C9,2023-11-20,Cr\xE8me br\xFBl\xE9e,1,5.50,Besan\xE7on\n");
        }
    }
    let (out, _s, _d) = ingest_bytes("export.csv", &bytes);
    assert_eq!(
        out.report.format.as_ref().unwrap().encoding,
        sniff::TextEncoding::Utf8
    );
    assert_eq!((out.report.rows.written, out.report.rows.rejected), (201, 0));
    let b = batches(&out);
    let names = strings(&b, "product_name");
    assert_eq!(names[0].as_deref(), Some("Crème 0"));
    assert!(names.contains(&Some("Crème brûlée".to_string())), "{names:?}");
    assert!(strings(&b, "city").contains(&Some("Besançon".to_string())));
}

/// A Persian UTF-8 export whose product name a byte-limited field cut in the middle of a
/// character: the file is read (it had been decoded as Windows-1256 and refused for want of
/// known columns), and that row is quarantined with its cells, the cut byte as U+FFFD.
#[test]
fn a_persian_utf8_export_with_a_cut_character_quarantines_that_row_only() {
    let mut bytes = "شماره فاکتور,کد مشتری,نام مشتری,تاریخ,شرح کالا,تعداد,مبلغ (تومان)\n\
        1001,C-1,گلناز پژوهش,1402/07/01,چای سبز,2,125000\n\
        1002,C-2,ژاله چگینی,1402/07/15,کیک شکلاتی,1,340000\n\
        1003,C-3,محمد رضایی,1402/08/13,پنیر لیقوان,3,45000\n\
        1004,C-4,علی,1402/08/20,زعفر"
        .as_bytes()
        .to_vec();
    // «زعفران» cut after the first byte of «ا».
    bytes.extend_from_slice(
        b"\xD8,1,990000\n1005,C-5,\xD8\xB1\xD8\xB6\xD8\xA7,1402/08/21,\xDA\x86\xD8\xA7\xDB\x8C,1,5000\n",
    );
    let (out, _s, _d) = ingest_bytes("fa.csv", &bytes);
    assert_eq!(
        out.report.format.as_ref().unwrap().encoding,
        sniff::TextEncoding::Utf8
    );
    assert_eq!((out.report.rows.written, out.report.rows.rejected), (4, 1));
    let b = batches(&out);
    assert_eq!(
        strings(&b, "product_name"),
        ["چای سبز", "کیک شکلاتی", "پنیر لیقوان", "چای"].map(|s| Some(s.to_string()))
    );
    let q = quarantine_lines(&out);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0]["line"], 5);
    assert_eq!(q[0]["reason"], "bad_encoding");
    assert_eq!(q[0]["record"][2], "علی");
    assert_eq!(q[0]["record"][4], "زعفر\u{FFFD}");
}

/// Rows in a legacy code page past the sniffer's sample (the file is read as UTF-8): a Persian
/// row in Windows-1256 and a German one in Windows-1252 are read in those, not quarantined
/// without their cells.
#[test]
fn legacy_rows_past_the_sample_are_read_in_their_code_page() {
    let mut bytes = b"Order ID;Customer;Order Date;Product;Quantity;Price\n".to_vec();
    for i in 0..12_000 {
        bytes.extend_from_slice(format!("R{i};K{};30.11.2023;Tea {i};2;1,50\n", i % 90).as_bytes());
    }
    let (fa, _, _) = encoding_rs::WINDOWS_1256.encode("F1;K1;30.11.2023;گلناز پژوهش;1;2,00\n");
    bytes.extend_from_slice(&fa);
    bytes.extend_from_slice(b"D1;K2;30.11.2023;Gr\xFCner Tee \x84Spezial\x93;1;2,00\r\n");
    let (out, _s, _d) = ingest_bytes("late.csv", &bytes);
    assert_eq!(
        out.report.format.as_ref().unwrap().encoding,
        sniff::TextEncoding::Utf8
    );
    assert_eq!((out.report.rows.written, out.report.rows.rejected), (12_002, 0));
    let names = strings(&batches(&out), "product_name");
    assert!(names.contains(&Some("گلناز پژوهش".to_string())));
    assert!(names.contains(&Some("Grüner Tee „Spezial“".to_string())));
}

/// JSON Lines saved with a UTF-8 byte order mark: its first record is read (it had been
/// quarantined `bad_json`, and a file of one record refused).
#[test]
fn json_lines_with_a_byte_order_mark_keep_their_first_record() {
    let one = "\u{FEFF}{\"order_id\": \"1\", \"created_at\": \"2024-03-01T10:00:00Z\", \"customer_id\": \"c1\", \"total\": 3.5}\n";
    let (out, _s, _d) = ingest_bytes("one.jsonl", one.as_bytes());
    assert_eq!((out.report.rows.written, out.report.rows.rejected), (1, 0));
    let two = format!(
        "{one}{}",
        one.trim_start_matches('\u{FEFF}').replace("\"1\"", "\"2\"")
    );
    let (out, _s, _d) = ingest_bytes("two.jsonl", two.as_bytes());
    assert_eq!((out.report.rows.written, out.report.rows.rejected), (2, 0));
    assert_eq!(
        strings(&batches(&out), "order_id"),
        [Some("1".into()), Some("2".into())]
    );
}

/// An upload cut short (or damaged) past the sniffer's sample fails while rows are being
/// converted: the file is rejected with a readable reason and nothing partial is published.
#[test]
fn a_truncated_gzip_is_rejected_without_partial_output() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    writeln!(gz, "InvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID").unwrap();
    for i in 0..40_000 {
        writeln!(
            gz,
            "{},{},2023-0{}-1{} 10:00,{}.25,{}",
            1000 + i / 3,
            1 + i % 4,
            1 + i % 9,
            i % 10,
            i % 97,
            i * 7919 % 10_007
        )
        .unwrap();
    }
    let bytes = gz.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.csv.gz");
    std::fs::write(&path, &bytes[..bytes.len() * 3 / 4]).unwrap();
    let (out, staging) = ingest_path(&path, "orders.csv.gz", &IngestOptions::default());
    let err = out.report.error.as_ref().expect("rejected");
    assert_eq!(err.code, "malformed_file");
    assert!(
        err.message.contains("upload the whole file again"),
        "{}",
        err.message
    );
    assert!(out.files.is_empty());
    assert!(!staging.path().join("curated").exists());
}

/// A workbook cut short (an interrupted download) says so, as a cut gzip does.
#[test]
fn a_truncated_workbook_is_rejected_saying_so() {
    let bytes = std::fs::read(fixture("exports/sales/erp_orders.xlsx")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.xlsx");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let (out, _s) = ingest_path(&path, "orders.xlsx", &IngestOptions::default());
    let err = out.report.error.as_ref().expect("rejected");
    assert_eq!(err.code, "malformed_file");
    assert!(err.message.contains("cut short or damaged"), "{}", err.message);
}

/// Shopify gives an order's "Financial Status" on its first line only: a refunded order's other
/// lines are refunded too, a paid order's paid; a partial refund marks no line.
#[test]
fn an_orders_status_on_its_first_line_holds_for_all_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders_export_1.csv");
    std::fs::write(
        &path,
        "Name,Email,Financial Status,Created at,Lineitem quantity,Lineitem price,Lineitem name\n\
         #1003,joe@x.com,refunded,2023-11-05 10:00:00 -0500,1,12,A\n\
         #1003,joe@x.com,,2023-11-05 10:00:00 -0500,1,20,B\n\
         #1004,ann@x.com,paid,2023-11-06 10:00:00 -0500,1,5,C\n\
         #1004,ann@x.com,,2023-11-06 10:00:00 -0500,1,6,D\n\
         #1005,cy@x.com,partially_refunded,2023-11-07 10:00:00 -0500,3,10,E\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "orders_export_1.csv", &IngestOptions::default());
    let b = batches(&out);
    assert_eq!(bools(&b, "is_return"), [true, true, false, false, false]);
    let status: Vec<Option<String>> = strings(&b, "status");
    assert_eq!(
        status,
        ["refunded", "refunded", "paid", "paid", "partially_refunded"].map(|s| Some(s.to_string()))
    );
}

/// WooCommerce's order export can fill an order's cells on its first line only (Advanced Order
/// Export's "fill order columns for 1st row only"): the later lines of the order are at its
/// time, the buyer's and in its status. A line of another order without a date is still bad.
#[test]
fn an_orders_later_lines_without_a_date_are_at_its_time() {
    let (out, _s, _d) = ingest_text(
        "orders-1402-08-14.csv",
        "شماره سفارش,تاریخ سفارش,وضعیت سفارش,ایمیل صورتحساب,نام محصول,تعداد,قیمت\n\
         4527,1402/08/10 11:20,تکمیل شده,sara@example.com,کیف,1,1200000\n\
         4528,1402/08/12 09:05,تکمیل شده,sara@example.com,کفش,1,2380000\n\
         4528,,,,جوراب,2,320000\n\
         4529,,تکمیل شده,neda@example.com,کلاه,1,500000\n",
    );
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [1_200_000.0, 2_380_000.0, 640_000.0]);
    let t = times(&b);
    assert_eq!(t[2], t[1]);
    assert_eq!(t[1], "2023-11-03T09:05:00+00:00");
    assert_eq!(strings(&b, "customer_id")[2].as_deref(), Some("sara@example.com"));
    assert_eq!(strings(&b, "status")[2].as_deref(), Some("completed"));
    assert_eq!(rejected_by_reason(&out), [("missing_date", 1)]);
}

/// A payment gateway's account statement (Zarinpal's): payments are purchases, a refund a
/// return of its buyer, the fee and the settlement to the shop's bank no sales, and the
/// statement's totals row is expected.
#[test]
fn a_gateway_statement_reads_payments_as_purchases() {
    let (out, _s, _d) = ingest_text(
        "zarinpal-statement-1402-08.csv",
        "ردیف,تاریخ,نوع تراکنش,شرح,شماره سفارش,ایمیل,مبلغ (تومان)\n\
         1,1402/08/01 10:12,پرداخت,پرداخت سفارش #4521,4521,sara@example.com,\"1,510,000\"\n\
         2,1402/08/01 10:12,کارمزد,کارمزد تراکنش,4521,,\"-15,100\"\n\
         3,1402/08/03 16:40,پرداخت,پرداخت سفارش #4524,4524,naz@example.com,۷۵۰،۰۰۰\n\
         4,1402/08/04 09:00,تسویه,تسویه حساب به شبا,,,\"-2,244,900\"\n\
         5,1402/08/06 11:30,بازگشت وجه,بازگشت وجه سفارش #4524,4524,naz@example.com,\"-750,000\"\n\
         ,,,جمع کل,,,\"-750,000\"\n",
    );
    assert_eq!(rejected_by_reason(&out), [("group_row", 1), ("not_a_sale", 2)]);
    assert_eq!(out.report.status, Status::Ok);
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [1_510_000.0, 750_000.0, -750_000.0]);
    assert_eq!(bools(&b, "is_return"), [false, false, true]);
    assert_eq!(
        strings(&b, "customer_id"),
        ["sara@example.com", "naz@example.com", "naz@example.com"].map(|s| Some(s.to_string()))
    );
}

/// A shop builder's orders list gives the order's status and its payment's: an order awaiting
/// review whose payment never came is no purchase; a paid one keeps its order status.
#[test]
fn an_unpaid_payment_status_outranks_the_orders() {
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "شماره سفارش,تاریخ ثبت,ایمیل,مبلغ کل (تومان),وضعیت سفارش,وضعیت پرداخت\n\
         10231,1402/08/02 10:00,a@example.com,980000,تکمیل شده,پرداخت شده\n\
         10232,1402/08/02 18:35,b@example.com,1040000,در انتظار بررسی,پرداخت نشده\n\
         10233,1402/08/03 09:00,c@example.com,500000,در انتظار بررسی,مسترد شده\n\
         10234,1402/08/03 10:00,d@example.com,700000,تکمیل شده,پرداخت نشده\n",
    );
    let unmapped = out.report.mapping.as_ref().map(|m| m.unmapped.clone());
    assert_eq!(unmapped, Some(vec![]));
    let b = batches(&out);
    // A completed order paid later (on invoice) stays a sale.
    assert_eq!(
        strings(&b, "status"),
        ["completed", "unpaid", "refunded", "completed"].map(|s| Some(s.to_string()))
    );
    assert_eq!(bools(&b, "is_return"), [false, true, true, false]);
}

/// Wix marks an order paid offline (at pickup, on delivery) "Not paid" until the shop records the
/// money, which many never do: handed over ("Fulfilled", «ارسال شده»), it is a sale awaiting
/// payment; not handed over, a checkout never paid.
#[test]
fn an_order_handed_over_but_not_marked_paid_is_a_sale() {
    let (out, _s, _d) = ingest_text(
        "wix.csv",
        "Order number,Date created,Buyer's Email,Item's Name,Qty,Price,Payment Status,Fulfillment Status\n\
         10001,2024-03-01,ann@example.com,Mug,1,12.00,Paid,Fulfilled\n\
         10002,2024-03-02,bob@example.com,Mug,1,12.00,Not paid,Fulfilled\n\
         10003,2024-03-03,cy@example.com,Mug,1,12.00,Not paid,Not fulfilled\n",
    );
    let unmapped = out.report.mapping.as_ref().map(|m| m.unmapped.clone());
    assert_eq!(unmapped, Some(vec![]));
    let b = batches(&out);
    assert_eq!(
        strings(&b, "status"),
        ["paid", "pending", "unpaid"].map(|s| Some(s.to_string()))
    );
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "شماره سفارش,تاریخ,ایمیل,مبلغ,وضعیت پرداخت,وضعیت ارسال\n\
         1,1402/08/02,a@example.com,1000,پرداخت نشده,ارسال شده\n\
         2,1402/08/02,b@example.com,1000,پرداخت نشده,در انتظار ارسال\n",
    );
    assert_eq!(
        strings(&batches(&out), "status"),
        ["pending", "unpaid"].map(|s| Some(s.to_string()))
    );
}

/// Hesabfa's list of sales invoices, one row per invoice: «مبلغ» is the items' sum before the
/// discount, «جمع کل» what the invoice came to after it (and tax). The total is what was sold;
/// with products on the rows, «مبلغ» is each line's and stays the amount.
#[test]
fn an_invoice_lists_total_after_discount_is_its_amount() {
    let (out, _s, _d) = ingest_text(
        "factor_ha.csv",
        "شماره,تاریخ,مشتری,مبلغ,تخفیف,مالیات,جمع کل,وضعیت\n\
         1001,1402/08/02,مشتری ۱,1000000,100000,81000,981000,پرداخت شده\n\
         1002,1402/08/03,مشتری ۲,500000,0,45000,545000,پرداخت شده\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [981000.0, 545000.0]);
    // A bare «شماره» holding no mobiles is the invoice's number (in a hand-kept sheet it may be
    // the buyer's mobile, and is read so): two invoices of one customer on one day stay two.
    assert_eq!(strings(&batches(&out), "order_id"), some(&["1001", "1002"]));
    let unmapped = out.report.mapping.as_ref().map(|m| m.unmapped.clone()).unwrap();
    assert!(unmapped.contains(&"مبلغ".to_string()), "{unmapped:?}");
    // Headers that name their unit.
    let (out, _s, _d) = ingest_text(
        "factor_ha_rial.csv",
        "شماره,تاریخ,مشتری,مبلغ (ریال),تخفیف (ریال),مالیات (ریال),جمع کل (ریال)\n\
         1001,1403/07/15,علی احمدی,1000000,100000,81000,981000\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [981000.0]);
    // With the invoice's description.
    let (out, _s, _d) = ingest_text(
        "factor_ha_desc.csv",
        "شماره,تاریخ,مشتری,شرح,مبلغ,تخفیف,جمع کل\n\
         1001,1403/07/15,علی احمدی,فروش اقساطی,1000000,100000,900000\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [900000.0]);
    let (out, _s, _d) = ingest_text(
        "factor_lines.csv",
        "شماره,تاریخ,مشتری,کالا,مبلغ,تخفیف,جمع کل\n\
         1001,1402/08/02,مشتری ۱,چای,600000,100000,900000\n\
         1001,1402/08/02,مشتری ۱,قهوه,400000,0,900000\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [600000.0, 400000.0]);
}

/// Invoices with a due date are sales on credit: one awaiting payment is a sale, not an
/// order abandoned before payment.
#[test]
fn an_unpaid_invoice_is_a_sale_on_credit() {
    let (out, _s, _d) = ingest_text(
        "invoices.csv",
        "Invoice Number,Contact Email,Invoice Date,Due Date,Total,Status\n\
         INV-0001,ann@example.com,2023-11-01,2023-12-01,120.00,Paid\n\
         INV-0002,bob@example.com,2023-11-02,2023-12-02,80.00,Unpaid\n",
    );
    let b = batches(&out);
    assert_eq!(
        strings(&b, "status"),
        ["paid", "pending"].map(|s| Some(s.to_string()))
    );
    assert_eq!(bools(&b, "is_return"), [false, false]);
}

/// An accounting program's invoice details (Sepidar's, Holoo's) as report tools export them: the
/// invoice's number, date and customer on its first line only (merged down in Excel), the amount
/// after discount beside «مبلغ کل» before it, a subtotal per invoice repeating its number and
/// date, and a proforma in a document column headed «نوع».
#[test]
fn invoice_details_of_an_accounting_program() {
    let (out, _s, _d) = ingest_text(
        "riz_factor_foroosh.csv",
        "شرکت بازرگانی نیک‌آوران پارس\n\
         از تاریخ 1402/08/01 تا تاریخ 1402/08/30          مبالغ به ریال\n\
         شماره فاکتور,تاریخ,نوع,مشتری,کد کالا,شرح کالا,مقدار,فی,مبلغ کل,تخفیف,مبلغ کل پس از تخفیف\n\
         6101,1402/08/05,فاکتور فروش,10021,A1,چای,2,100000,200000,20000,180000\n\
         ,,,,A2,قهوه,1,50000,50000,0,50000\n\
         6101,1402/08/05,,,,جمع فاکتور,3,,250000,20000,230000\n\
         6102,1402/08/06,پیش فاکتور,10022,A1,چای,5,100000,500000,0,500000\n\
         ,,,,A2,قهوه,2,50000,100000,0,100000\n\
         6103,1402/08/07,برگشت از فروش,10021,A2,قهوه,1,50000,50000,0,50000\n\
         ,,,,A1,چای,1,100000,100000,0,100000\n\
         ,,,,,جمع کل فروش دوره,,,,,\n",
    );
    let b = batches(&out);
    // The proforma's second line is the proforma's, the return's the return's.
    assert_eq!(
        floats(&b, "line_amount"),
        [180_000.0, 50_000.0, -50_000.0, -100_000.0]
    );
    // The title says the amounts are in rials.
    assert_eq!(strings(&b, "currency"), vec![Some("IRR".to_string()); 4]);
    assert_eq!(
        strings(&b, "order_id"),
        ["6101", "6101", "6103", "6103"].map(|s| Some(s.to_string()))
    );
    assert_eq!(strings(&b, "customer_id"), vec![Some("10021".to_string()); 4]);
    let t = times(&b);
    assert_eq!(t[1], t[0]);
    assert_eq!(rejected_by_reason(&out), [("group_row", 2), ("not_a_sale", 2)]);
    assert_eq!(out.report.status, Status::Ok);
}

/// A `C` before an invoice number marks a cancellation where the file numbers its invoices with
/// digits (UCI Online Retail: 536365, then C536379), not in a shop that numbers its orders
/// "C1001": read so, all its sales were returns.
#[test]
fn c_numbers_are_cancellations_only_beside_plain_invoice_numbers() {
    let (out, _s, _d) = ingest_text(
        "c_orders.csv",
        "Order ID,Order Date,Customer ID,Product,Quantity,Unit Price\n\
         C1001,2024-01-05,K1,tea,2,10\n\
         c1002,2024-01-06,K2,tea,1,10\n",
    );
    assert_eq!(bools(&batches(&out), "is_return"), [false, false]);
    let (out, _s, _d) = ingest_text(
        "uci.csv",
        "InvoiceNo,InvoiceDate,CustomerID,StockCode,Quantity,UnitPrice\n\
         536365,2024-01-05,17850,85123A,6,2.55\n\
         C536379,2024-01-06,17850,85123A,1,2.55\n",
    );
    assert_eq!(bools(&batches(&out), "is_return"), [false, true]);
}

/// The same invoice details without the column after the discount: «مبلغ کل» is before it,
/// so the discount comes off where the amount is quantity × price; an amount already net of it
/// is kept, and a percent discount is a percent of the amount.
#[test]
fn an_amount_before_its_discount_has_the_discount_taken_off() {
    let (out, _s, _d) = ingest_text(
        "mablagh_kol.csv",
        "شماره فاکتور,تاریخ,کد مشتری,نام کالا,تعداد,فی (تومان),مبلغ کل,تخفیف\n\
         1,1402/08/01,C-1,چای,2,\"100,000\",\"200,000\",\"20,000\"\n\
         2,1402/08/01,C-1,قهوه,1,\"50,000\",\"50,000\",\n\
         3,1402/08/02,C-2,چای,2,\"100,000\",\"180,000\",\"20,000\"\n\
         4,1402/08/03,C-3,چای,2,\"100,000\",\"200,000\",10%\n\
         5,1402/08/03,C-3,چای,2,\"100,000\",\"200,000\",۱۰٪\n",
    );
    assert_eq!(
        out.report.rows.rejected, 0,
        "{:?}",
        out.report.rows.rejected_by_reason
    );
    assert_eq!(
        floats(&batches(&out), "line_amount"),
        [180_000.0, 50_000.0, 180_000.0, 180_000.0, 180_000.0]
    );
    // An English `Amount` beside a discount is the line's value as exported.
    let (out, _s, _d) = ingest_text(
        "amount.csv",
        "Order,Date,Customer,Product,Quantity,Price,Amount,Discount\n1,2024-01-05,C-1,tea,2,100,200,20\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [200.0]);
}

/// Accounting programs book buyers without an account to one walk-in account (Holoo's «مشتری
/// متفرقه (نقدی)», code 10000): its sales are guests', not one huge customer's.
#[test]
fn a_walk_in_account_is_guests() {
    let (out, _s, _d) = ingest_text(
        "holoo.csv",
        "شماره فاکتور,تاریخ,کد طرف حساب,نام طرف حساب,نام کالا,تعداد,فی\n\
         2301,1401/05/03,10021,علی رضایی,یخچال,1,480000\n\
         2302,1401/05/07,10000,مشتری متفرقه (نقدی),چای ساز,1,12800\n\
         2303,1401/05/08,10000,مشتری متفرقه (نقدی),اتو,1,18500\n",
    );
    let b = batches(&out);
    assert_eq!(
        strings(&b, "customer_id"),
        [Some("10021".to_string()), None, None]
    );
    assert_eq!(out.report.stats.as_ref().unwrap().guest_rows, Some(2));
    // The account written as its code and name in the one customer column: the code keys the
    // customer, as a grouped report's heading does.
    let (out, _s, _d) = ingest_text(
        "holoo_report.csv",
        "شماره فاکتور,تاریخ,مشتری,نام کالا,تعداد,فی\n\
         2302,1401/05/07,10000 - مشتری متفرقه (نقدی),چای ساز,1,12800\n\
         2304,1401/05/09,30012 - کافه آرامش,اتو,1,18500\n",
    );
    assert_eq!(
        strings(&batches(&out), "customer_id"),
        [None, Some("30012".to_string())]
    );
    // A file keyed by the name itself.
    let (out, _s, _d) = ingest_text(
        "till.csv",
        "Receipt No,Date,Customer Name,Item,Qty,Price\n\
         1,2023-11-01,Ann Lee,Tea,1,4.5\n\
         2,2023-11-01,Walk-in Customer,Tea,1,4.5\n",
    );
    assert_eq!(
        strings(&batches(&out), "customer_id"),
        [Some("ann lee".to_string()), None]
    );
    // Other names of the account; a mobile given on the walk-in's invoice is its buyer's, and
    // the account is linked to no one's addresses.
    let (out, _s, _d) = ingest_text(
        "tills.csv",
        "شماره فاکتور,تاریخ,کد مشتری,نام مشتری,موبایل,مبلغ\n\
         1,1402/08/01,1,مشتری گذری,09121234567,100\n\
         2,1402/08/01,1,مهمان,,100\n\
         3,1402/08/01,1,عمومی,09351112233,100\n\
         4,1402/08/01,7,رضا کریمی,09127654321,100\n",
    );
    assert_eq!(
        strings(&batches(&out), "customer_id"),
        some(&["+989121234567", "", "+989351112233", "7"])
    );
    let links = parquet_under(&out, "curated/customers/");
    assert_eq!(strings(&links, "customer_id"), some(&["7"]));
}

/// A buyer's link is dated by the order's day in the job's zone, as the segment job counts days:
/// 01:00 on 1 June in Tehran is still 31 May in UTC, and a run dated 31 May offered the buyer,
/// whose order it rightly left out, as a prospect.
#[test]
fn a_buyers_link_is_dated_by_the_local_day() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.csv");
    std::fs::write(
        &path,
        "Order ID,Customer ID,Email,Order Date,Quantity,Unit Price\n1,15,e@x.example,2024-06-01 01:00,1,50\n",
    )
    .unwrap();
    let opts = IngestOptions {
        timezone: chrono_tz::Asia::Tehran,
        ..IngestOptions::default()
    };
    let (out, _s) = ingest_path(&path, "orders.csv", &opts);
    let links = parquet_under(&out, "curated/customers/");
    let signup = links[0]
        .column_by_name("signup_date")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow::array::Date32Array>()
        .unwrap()
        .value(0);
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    assert_eq!(
        epoch + chrono::Duration::days(i64::from(signup)),
        chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap()
    );
}

/// The walk-in account written as the customer id itself (a till's "Walk-in Customer", a shop's
/// "Guest"), with no name column beside it: a row with an email or a mobile is that buyer's, one
/// with neither a guest's, not all of them one customer with everyone's spend and addresses.
#[test]
fn a_walk_in_account_as_the_id_is_guests() {
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "Order ID,Customer ID,Email,Phone,Order Date,Product,Quantity,Unit Price\n\
         O1,A1,a1@example.com,,2023-01-11,P0,1,501\n\
         O901,Walk-in Customer,g1@example.com,,2023-02-01,P1,5,900\n\
         O902,Walk-in Customer,,+1 415 555 0177,2023-02-02,P1,5,900\n\
         O903,Walk-in Customer,G3@Example.com,,2023-02-03,P1,5,900\n\
         O904,Walk-in Customer,,,2023-02-04,P1,5,900\n",
    );
    let b = batches(&out);
    assert_eq!(
        strings(&b, "customer_id"),
        some(&["A1", "g1@example.com", "+14155550177", "g3@example.com", ""])
    );
    assert_eq!(out.report.stats.as_ref().unwrap().guest_rows, Some(1));
    // The account is linked to no one's addresses.
    let links = parquet_under(&out, "curated/customers/");
    assert_eq!(strings(&links, "customer_id"), some(&["A1"]));
    // The account's other names, in any case, in the id column; a customer whose id merely
    // holds such a word is a customer.
    let walk_ins = [
        "Walk-in Customer",
        "WALK-IN CUSTOMER",
        "walk-in customer",
        "Walk-In",
        "Walkin",
        "WALKIN",
        "Walk in customer",
        "Walk-in Customers",
        "Guest",
        "GUEST",
        "guest",
        "Guest Customer",
        "Cash Customer",
        "Cash Sale",
        "CASH SALE",
        "Anonymous",
        "Laufkunde",
        "Barverkauf",
        "Client de passage",
        "مشتری متفرقه",
        "مشتری متفرقه (نقدی)",
        "10000 - مشتری متفرقه",
        "مشتری عمومی",
        "مهمان",
        "نقدی",
    ];
    let customers = [
        "Guesthouse Ltd",
        "Guest House Ltd",
        "Walkinshaw",
        "Cashmere & Co",
        "G-100",
    ];
    let mut csv = String::from("Order ID,Customer ID,Email,Order Date,Amount\n");
    for (i, id) in walk_ins.iter().chain(&customers).enumerate() {
        csv.push_str(&format!("{i},{id},,2023-03-01,10\n"));
    }
    // A walk-in row with an email is that buyer's.
    csv.push_str("99,Guest,buyer@example.com,2023-03-02,10\n");
    let (out, _s, _d) = ingest_text("till.csv", &csv);
    assert_eq!(out.report.status, Status::Ok);
    let mut expected = vec![None; walk_ins.len()];
    expected.extend(customers.map(|c| Some(c.to_string())));
    expected.push(Some("buyer@example.com".to_string()));
    assert_eq!(strings(&batches(&out), "customer_id"), expected);
    assert_eq!(
        out.report.stats.as_ref().unwrap().guest_rows,
        Some(walk_ins.len() as u64)
    );
}

/// A grouped report (Sepidar's invoice details as its report tool exports them): each invoice's
/// number, date and customer in a heading above its lines, a subtotal below them.
#[test]
fn a_grouped_report_gives_its_headings_to_the_lines_below() {
    let (out, _s, _d) = ingest_text(
        "sepidar_grouped.csv",
        "گزارش ریز فاکتورهای فروش - مبالغ به ریال,,,,\n\
         کد کالا,شرح کالا,مقدار,فی,مبلغ کل\n\
         شماره فاکتور: 6101   تاریخ: 1402/09/03   مشتری: 30012 - کافه آرامش,,,,\n\
         K-1,قهوه عربیکا,2,5000000,10900000\n\
         K-7,شکر قهوه,5,300000,1526000\n\
         ,جمع فاکتور,,,12426000\n\
         شماره فاکتور: 6102   تاریخ: 1402/09/05   مشتری: 30019 - رستوران بهار,,,,\n\
         K-1,قهوه عربیکا,1,5000000,5232000\n\
         ,جمع فاکتور,,,5232000\n",
    );
    assert_eq!(out.report.status, Status::Ok);
    let b = batches(&out);
    assert_eq!(
        strings(&b, "order_id"),
        ["6101", "6101", "6102"].map(|s| Some(s.to_string()))
    );
    assert_eq!(
        strings(&b, "customer_id"),
        ["30012", "30012", "30019"].map(|s| Some(s.to_string()))
    );
    assert_eq!(
        floats(&b, "line_amount"),
        [10_900_000.0, 1_526_000.0, 5_232_000.0]
    );
    assert_eq!(strings(&b, "currency"), vec![Some("IRR".to_string()); 3]);
    let t = times(&b);
    assert_eq!(
        (t[0].as_str(), t[2].as_str()),
        ("2023-11-24T00:00:00+00:00", "2023-11-26T00:00:00+00:00")
    );
    // Every row accounted for: the headings and subtotals are expected.
    assert_eq!(rejected_by_reason(&out), [("group_row", 4)]);
}

/// A row without an order number or date below an order's line continues it only when it names
/// no buyer of its own: another buyer's row is not that order's.
#[test]
fn a_row_naming_another_buyer_continues_no_order() {
    let (out, _s, _d) = ingest_text(
        "invoices.csv",
        "Invoice,Date,Email,Item,Qty,Price\n\
         INV-104,2023-11-01,anna@example.com,Tea,1,4.5\n\
         ,,,Cups,2,3\n\
         ,,tom@example.com,Tea,1,4.5\n",
    );
    let b = batches(&out);
    assert_eq!(
        strings(&b, "order_id"),
        [Some("INV-104".to_string()), Some("INV-104".to_string())]
    );
    assert_eq!(rejected_by_reason(&out), [("missing_date", 1)]);
}

/// A grouped report as exported by hand or by tools that trim rows: a line short of its trailing
/// cells and a page footer («تاریخ: …», «صفحه: 2») inside an invoice keep the invoice; a
/// «جمع فاکتور: …» subtotal is expected; a heading naming the walk-in account is guests'.
#[test]
fn a_grouped_report_survives_short_lines_footers_and_walk_ins() {
    let (out, _s, _d) = ingest_text(
        "sepidar_grouped.csv",
        "کد کالا,شرح کالا,مقدار,فی,مبلغ کل\n\
         شماره فاکتور: 6101   تاریخ: 1402/09/03   مشتری: 30012 - کافه آرامش,,,,\n\
         K-1,قهوه عربیکا,2,5000000,10000000\n\
         تاریخ: 1402/10/01   صفحه: 2,,,,\n\
         K-7,شکر قهوه,5,300000\n\
         جمع فاکتور: 11500000,,,,\n\
         شماره فاکتور: 6102   تاریخ: 1402/09/05   مشتری: 10000 - مشتری متفرقه (نقدی),,,,\n\
         K-1,قهوه عربیکا,1,5000000,5000000\n",
    );
    let b = batches(&out);
    assert_eq!(
        strings(&b, "order_id"),
        ["6101", "6101", "6102"].map(|s| Some(s.to_string()))
    );
    assert_eq!(
        strings(&b, "customer_id"),
        [Some("30012".to_string()), Some("30012".to_string()), None]
    );
    // The short line is worth its quantity × price; the footer changed no date.
    assert_eq!(
        floats(&b, "line_amount"),
        [10_000_000.0, 1_500_000.0, 5_000_000.0]
    );
    let t = times(&b);
    assert_eq!(t[1], t[0]);
    // The page footer («تاریخ: … صفحه: 2») is set aside as the headings are: no line.
    assert_eq!(rejected_by_reason(&out), [("group_row", 4)]);
}

/// A text file's first heading may come below more lines than the header search reads: its rows
/// are looked at further when the header has no date.
#[test]
fn a_grouped_reports_first_heading_may_come_late() {
    let (out, _s, _d) = ingest_text(
        "sepidar_grouped.csv",
        "کد کالا,شرح کالا,مقدار,فی,مبلغ کل\n\
         یادداشت 0,,,,\n\
         یادداشت 1,,,,\n\
         یادداشت 2,,,,\n\
         یادداشت 3,,,,\n\
         یادداشت 4,,,,\n\
         یادداشت 5,,,,\n\
         یادداشت 6,,,,\n\
         یادداشت 7,,,,\n\
         یادداشت 8,,,,\n\
         یادداشت 9,,,,\n\
         یادداشت 10,,,,\n\
         یادداشت 11,,,,\n\
         شماره فاکتور: 6101   تاریخ: 1402/09/03   مشتری: 30012,,,,\n\
         K-1,قهوه عربیکا,2,5000000,10000000\n",
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), [Some("6101".to_string())]);
    assert_eq!(rejected_by_reason(&out), [("group_row", 1), ("missing_date", 12)]);
}

/// A grouped workbook with a sheet per month: the second sheet's line before its first heading
/// belongs to no invoice of the first sheet.
#[test]
fn a_grouped_workbooks_sheets_start_their_own_groups() {
    let (out, _s) = ingest("workbooks/grouped_two_sheets.xlsx", &IngestOptions::default());
    let b = batches(&out);
    assert_eq!(
        strings(&b, "order_id"),
        ["6101", "6102"].map(|s| Some(s.to_string()))
    );
    assert_eq!(
        strings(&b, "customer_id"),
        ["30012", "30019"].map(|s| Some(s.to_string()))
    );
    assert_eq!(rejected_by_reason(&out), [("group_row", 2), ("missing_date", 1)]);
}

/// Xero's invoices export: "Type" tells a credit note from an invoice, and the contact's name is
/// the customer. Zoho Books' "Invoice Status" says which invoices are void or drafts.
#[test]
fn xero_credit_notes_and_zoho_void_invoices() {
    let (out, _s, _d) = ingest_text(
        "xero_invoices.csv",
        "ContactName,InvoiceNumber,InvoiceDate,Description,Quantity,UnitAmount,Type,Currency\n\
         Acme Ltd,INV-001,2024-03-01,Widget,2,50,Sales invoice,GBP\n\
         Acme Ltd,CN-0001,2024-03-05,Widget,1,50,Sales credit note,GBP\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::Xero));
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [100.0, -50.0]);
    assert_eq!(bools(&b, "is_return"), [false, true]);
    assert_eq!(strings(&b, "customer_id"), some(&["acme ltd", "acme ltd"]));
    let (out, _s, _d) = ingest_text(
        "zoho_invoices.csv",
        "Invoice Date,Invoice Number,Invoice Status,Customer Name,Item Name,Quantity,Item Price\n\
         2024-03-01,INV-000042,Paid,Acme,Widget,1,2700\n\
         2024-03-02,INV-000043,Void,Acme,Widget,1,800\n\
         2024-03-03,INV-000044,Draft,Acme,Widget,1,800\n",
    );
    let statuses = strings(&batches(&out), "status");
    assert_eq!(statuses[1].as_deref(), Some("cancelled"), "{statuses:?}");
    assert_eq!(statuses[2].as_deref(), Some("cancelled"), "{statuses:?}");
}

/// A count footer below the lines ("Row count: 2") is an expected row, like a totals row: the
/// export is read `ok`, not `partial` with a missing date.
#[test]
fn a_row_count_footer_is_expected() {
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "Order ID,Customer ID,Order Date,Quantity,Unit Price\n1,C1,2024-03-01,1,10\n2,C2,2024-03-02,1,20\nRow count: 2,,,,\n",
    );
    assert_eq!(rejected_by_reason(&out), [("group_row", 1)]);
    assert_eq!(out.report.rows.written, 2);
}

/// A buyer who checked out as a guest with an email is that buyer, whatever the name column
/// says; and in a file keyed by email a row without one is a guest's, not its name's.
#[test]
fn a_guest_checkout_with_an_email_is_its_buyer() {
    let (out, _s, _d) = ingest_text(
        "orders_export.csv",
        "Name,Email,Phone,Billing Name,Created at,Lineitem quantity,Lineitem price\n\
         #1001,ann@example.com,,Guest,2023-11-01 10:00:00,1,10\n\
         #1002,,,Bob Stone,2023-11-02 10:00:00,1,20\n",
    );
    assert_eq!(
        strings(&batches(&out), "customer_id"),
        [Some("ann@example.com".to_string()), None]
    );
}

/// A grouped report's totals rows, an invoice's «جمع فاکتور» with its quantity and sum and the
/// report's «جمع کل» footer, are no lines of the invoice above them: given its number, date and
/// customer they had been read as one more sale each, doubling the revenue.
#[test]
fn a_grouped_reports_totals_rows_are_no_sales() {
    let (out, _s, _d) = ingest_text(
        "sepidar_lines.csv",
        "ردیف,کد کالا,نام کالا,مقدار,مبلغ واحد,مبلغ\n\
         شماره فاکتور: 6101    تاریخ: 1403/02/05    مشتری: 30012 - کافه آرامش,,,,,\n\
         1,K-1,قهوه,2,1500000,3000000\n\
         جمع فاکتور,,,2,,3000000\n\
         شماره فاکتور: 6102    تاریخ: 1403/02/06    مشتری: 30013 - رستوران نارنج,,,,,\n\
         1,K-2,چای,10,1500000,15000000\n\
         جمع کل,,,12,,18000000\n",
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), some(&["6101", "6102"]));
    assert_eq!(floats(&b, "line_amount"), [3_000_000.0, 15_000_000.0]);
    assert_eq!(rejected_by_reason(&out), [("group_row", 4)]);
}

/// Iranian invoices as accounting programs export them: a bare «مبلغ» beside «تخفیف» is before
/// the discount (it comes off where the amount is quantity × price), Sepidar's «خالص» is the net;
/// Hesabfa's invoice list names the customer «مخاطب» and numbers the invoice under a bare
/// «شماره»; WooCommerce Analytics' Persian labels give «فروش خالص» and «آیتم‌های فروخته شده».
#[test]
fn iranian_accounting_exports_amounts_numbers_and_customers() {
    let (out, _s, _d) = ingest_text(
        "invoice_lines.csv",
        "شماره فاکتور,تاریخ,کد مشتری,نام کالا,مقدار,مبلغ واحد,مبلغ,تخفیف\n\
         901,1403/02/01,501,قهوه,10,\"1,500,000\",\"15,000,000\",\"1,500,000\"\n\
         902,1403/02/01,502,چای,2,\"1,000,000\",\"1,800,000\",\"200,000\"\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [13_500_000.0, 1_800_000.0]);
    let (out, _s, _d) = ingest_text(
        "sepidar.csv",
        "شماره فاکتور,تاریخ,کد مشتری,نام کالا,مقدار,مبلغ واحد,مبلغ,تخفیف,اضافات,خالص\n\
         901,1403/02/01,501,قهوه,10,\"1,500,000\",\"15,000,000\",\"1,500,000\",0,\"13,500,000\"\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [13_500_000.0]);
    let (out, _s, _d) = ingest_text(
        "hesabfa.csv",
        "شماره,تاریخ,مخاطب,مبلغ,تخفیف,جمع کل\n1001,1403/02/01,کافه آرامش,\"10,000,000\",\"190,000\",\"9,810,000\"\n",
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), some(&["1001"]));
    assert_eq!(strings(&b, "customer_id"), some(&["کافه آرامش"]));
    assert_eq!(floats(&b, "line_amount"), [9_810_000.0]);
    let (out, _s, _d) = ingest_text(
        "wc-orders-report.csv",
        "تاریخ,سفارش #,وضعیت,مشتری,نوع مشتری,محصول(ها),آیتم‌های فروخته شده,کوپن(ها),فروش خالص\n\
         1403-02-01,2001,تکمیل شده,علی رضایی,جدید,قهوه,2,,\"300,000\"\n",
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), some(&["2001"]));
    assert_eq!(floats(&b, "line_amount"), [300_000.0]);
    assert_eq!(floats(&b, "quantity"), [2.0]);
}

/// A footer "Total: 5,00 €" is a totals row; another note with a colon alone on its row is no
/// heading of a grouped report, and no line either: both are set aside as expected (`group_row`),
/// so a report's page footers do not make its upload `partial`.
#[test]
fn a_footer_note_is_no_heading() {
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "Order ID,Date,Amount\n\
         1,2024-01-01,5\n\
         Seller ID : teashop_us,,\n\
         ,,Total : 5\n",
    );
    assert_eq!(rejected_by_reason(&out), [("group_row", 2)]);
    assert_eq!(out.report.status, Status::Ok);
}

/// A shop till's day export lists each receipt's tender after its items: the tender is no sale.
#[test]
fn a_tills_tender_rows_are_no_sales() {
    let (out, _s, _d) = ingest_text(
        "صندوق فروشگاهی ۱۴۰۲-۱۱-۲۰.csv",
        "شماره رسید,تاریخ,مشتری,بارکد,شرح,تعداد,فی (تومان),مبلغ (تومان),وضعیت\n\
         501,1402/11/20 10:05,09123456789,6260001,شیر,2,30000,60000,ثبت شده\n\
         501,1402/11/20 10:05,09123456789,6260002,نان,3,20000,60000,ثبت شده\n\
         501,1402/11/20 10:05,09123456789,,پرداخت با کارتخوان,,,120000,ثبت شده\n\
         502,1402/11/20 11:40,,6260003,پنیر,1,95000,95000,ثبت شده\n\
         502,1402/11/20 11:40,,,پرداخت نقدی,,,95000,ثبت شده\n\
         503,1402/11/20 12:15,09121112233,6260001,شیر,1,30000,30000,ثبت شده\n",
    );
    assert_eq!(rejected_by_reason(&out), [("payment_row", 2)]);
    let b = batches(&out);
    assert_eq!(
        floats(&b, "line_amount"),
        [60_000.0, 60_000.0, 95_000.0, 30_000.0]
    );
    // «ثبت شده» (recorded) is no status of the vocabulary: each line counts as a purchase, and
    // the report names the value (held by three people: two customers and a guest's order) so
    // that a missing word for a cancelled sale would show.
    let other = &out.report.stats.as_ref().unwrap().other_statuses;
    assert_eq!(
        other
            .iter()
            .map(|e| (e.value.as_str(), e.rows))
            .collect::<Vec<_>>(),
        [("ثبت شده", 4)]
    );
}

/// Writes `text` as `name` in a temporary folder and ingests it as a sales upload.
fn ingest_text(name: &str, text: &str) -> (IngestOutcome, tempfile::TempDir, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let (out, staging) = ingest_path(&path, name, &IngestOptions::default());
    (out, staging, dir)
}

/// As [`ingest_text`], read as a sales export whatever its header suggests.
fn sales_text(name: &str, text: &str) -> (IngestOutcome, tempfile::TempDir, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Sales),
        ..Default::default()
    };
    let (out, staging) = ingest_path(&path, name, &opts);
    (out, staging, dir)
}

/// Python's `json.dumps` writes a float that is no number as `NaN` or `Infinity`, and a number
/// may be too large for a double: such a value is read as its text, in that field only. `NaN`
/// in a field nobody reads spoils nothing; in the price it is an empty price, and an infinite
/// or overlong amount a number refused, each row quarantined with its value. (Each such record
/// had been `bad_json`, and a file of only such records refused as holding none.)
#[test]
fn json_non_numbers_are_read_as_text_in_their_field_only() {
    for (name, text) in [
        (
            "orders.jsonl",
            "{\"order_id\":\"A\",\"order_date\":\"2024-01-01\",\"unit_price\":2.5,\"quantity\":1,\"discount\":NaN}\n\
             {\"order_id\":\"B\",\"order_date\":\"2024-01-02\",\"unit_price\":NaN,\"quantity\":1,\"discount\":0}\n\
             {\"order_id\":\"C\",\"order_date\":\"2024-01-03\",\"unit_price\":1e400,\"quantity\":1,\"discount\":-Infinity}\n\
             {\"order_id\":\"D\",\"order_date\":\"2024-01-04\",\"unit_price\":Infinity,\"quantity\":1,\"note\":\"NaN in text\"}\n",
        ),
        (
            "orders.json",
            "[{\"order_id\":\"A\",\"order_date\":\"2024-01-01\",\"unit_price\":2.5,\"quantity\":1,\"discount\":NaN},\n\
              {\"order_id\":\"B\",\"order_date\":\"2024-01-02\",\"unit_price\":NaN,\"quantity\":1,\"discount\":0},\n\
              {\"order_id\":\"C\",\"order_date\":\"2024-01-03\",\"unit_price\":1e400,\"quantity\":1,\"discount\":-Infinity},\n\
              {\"order_id\":\"D\",\"order_date\":\"2024-01-04\",\"unit_price\":Infinity,\"quantity\":1,\"note\":\"NaN in text\"}]",
        ),
    ] {
        let (out, _s, _d) = sales_text(name, text);
        let r = &out.report.rows;
        assert_eq!(
            (r.read, r.written, r.rejected),
            (4, 1, 3),
            "{name}: {:?}",
            r.rejected_by_reason
        );
        assert_eq!(r.rejected_by_reason.get("bad_json"), None, "{name}");
        let q: Vec<(String, String)> = quarantine_lines(&out)
            .iter()
            .map(|q| {
                (
                    q["reason"].as_str().unwrap().to_string(),
                    q["value"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        assert_eq!(
            q,
            [
                ("missing_amount".to_string(), "NaN".to_string()),
                ("bad_number".to_string(), "1e400".to_string()),
                ("bad_number".to_string(), "Infinity".to_string()),
            ],
            "{name}"
        );
        assert_eq!(floats(&batches(&out), "line_amount"), [2.5], "{name}");
    }
}

/// A GA4 BigQuery export (one event per line, its parameters a list of key and typed value)
/// gives each event's page in `event_params`' `page_location`: read as the page, so a pricing
/// page's view earns its bonus.
#[test]
fn a_ga4_bigquery_exports_page_is_its_page_location_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events_20240603.json");
    std::fs::write(
        &path,
        "{\"event_timestamp\":\"1717400000000000\",\"event_name\":\"page_view\",\"user_id\":\"c1@x.example\",\"user_pseudo_id\":\"1.2\",\
         \"event_params\":[{\"key\":\"page_location\",\"value\":{\"string_value\":\"https://shop.example/pricing\",\"int_value\":null}},\
         {\"key\":\"ga_session_id\",\"value\":{\"int_value\":123}}]}\n\
         {\"event_timestamp\":\"1717400060000000\",\"event_name\":\"page_view\",\"user_id\":\"c2@x.example\",\"user_pseudo_id\":\"1.3\",\
         \"event_params\":[]}\n",
    )
    .unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Activity),
        ..Default::default()
    };
    let (out, _staging) = ingest_upload(&path, "activity", "events_20240603.json", &opts);
    assert_eq!(out.report.rows.written, 2);
    let b = parquet_under(&out, "curated/activity/");
    assert_eq!(
        strings(&b, "page"),
        [Some("https://shop.example/pricing".into()), None]
    );
}

/// Two columns under one name: the first is read, and the report's warnings say which and that
/// the other is not (it was only listed as unmapped, under the very name of the column read).
#[test]
fn two_columns_of_one_name_are_a_warning() {
    let (out, _s, _d) = sales_text(
        "orders.csv",
        "order_id,order_date,unit_price,Unit_Price ,quantity\n1,2024-01-01,1.00,100.00,1\n",
    );
    assert_eq!(out.report.rows.written, 1);
    assert_eq!(
        out.report.warnings,
        [
            "columns 3 and 4 are both named \"unit_price\": column 3 is read as unit_price, column 4 is not read"
        ]
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [1.0]);
    // Names compare as the mapping reads them: `Email` and `E-Mail` are one name.
    let (out, _s, _d) = sales_text(
        "orders.csv",
        "order_id,order_date,amount,Email,E-Mail\n1,2024-01-01,5,a@x.example,b@x.example\n",
    );
    assert_eq!(
        out.report.warnings,
        ["columns 4 and 5 are both named \"Email\": column 4 is read as email, column 5 is not read"]
    );
}

/// A value with the delimiter in it, unquoted, shifts its row: quarantined `too_many_fields`, its
/// `detail` saying how many fields it has against the header.
#[test]
fn a_shifted_row_says_how_many_fields_it_has() {
    let (out, _s, _d) = sales_text(
        "orders.csv",
        "order_id,order_date,product,amount\n1,2024-01-01,Mug, blue,5.00\n2,2024-01-02,Pen,1.00\n",
    );
    let q = quarantine_lines(&out);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0]["reason"], "too_many_fields");
    assert_eq!(
        q[0]["detail"],
        "the row has 5 fields, the header 4: a value holding the delimiter without quotes shifted it"
    );
}

/// A return line whose amount is an unsigned 0, or a free item returned (−2 × 0.00), stores 0,
/// not −0.0.
#[test]
fn a_returned_zero_is_stored_as_zero() {
    let (out, _s, _d) = ingest_text(
        "zero.csv",
        "order_id,order_date,product,quantity,unit_price,line_total\n1,2024-01-01,Gift,-2,0.00,0\n2,2024-01-01,Gift,-1,0.00,\n",
    );
    let amounts = floats(&batches(&out), "line_amount");
    assert_eq!(amounts, [0.0, 0.0]);
    assert!(amounts.iter().all(|a| a.is_sign_positive()), "{amounts:?}");
}

/// An invoice cancelled by a cancellation invoice (sevDesk, lexoffice): the invoice stays in the
/// list marked "Storniert", which keeps it from counting, so the "Stornorechnung" is no return
/// (read as one, it took the 84 € off the customer a second time: −84 € for an invoice never
/// paid). Without a status column to carry the cancellation, it stays the invoice's return.
#[test]
fn a_cancellation_invoice_beside_its_cancelled_invoice_takes_nothing_off() {
    let (out, _s, _d) = ingest_text(
        "rechnungen.csv",
        "Rechnungsnummer;Rechnungsdatum;Kundennummer;Rechnungstyp;Status;Betrag brutto\n\
         RE-1001;01.03.2024;K1;Rechnung;Storniert;84,00\n\
         SR-1001;05.03.2024;K1;Stornorechnung;Bezahlt;-84,00\n\
         RE-1002;06.03.2024;K2;Rechnung;Bezahlt;50,00\n",
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), some(&["RE-1001", "RE-1002"]));
    assert_eq!(strings(&b, "status"), some(&["cancelled", "paid"]));
    assert_eq!(rejected_by_reason(&out), [("not_a_sale", 1)]);
    let (out, _s, _d) = ingest_text(
        "rechnungen.csv",
        "Rechnungsnummer;Rechnungsdatum;Kundennummer;Rechnungstyp;Betrag brutto\n\
         RE-1001;01.03.2024;K1;Rechnung;84,00\n\
         SR-1001;05.03.2024;K1;Stornorechnung;-84,00\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [84.0, -84.0]);
    // Nor where the status column holds payments only (no invoice marked cancelled), and never
    // a partial cancellation, whose invoice stays counted.
    let (out, _s, _d) = ingest_text(
        "rechnungen.csv",
        "Rechnungsnummer;Rechnungsdatum;Kundennummer;Rechnungstyp;Status;Betrag brutto\n\
         RE-1001;01.03.2024;K1;Rechnung;Bezahlt;84,00\n\
         SR-1001;05.03.2024;K1;Stornorechnung;Bezahlt;-84,00\n\
         RE-1002;06.03.2024;K2;Rechnung;Offen;100,00\n\
         TS-1002;07.03.2024;K2;Teilstornorechnung;Offen;-40,00\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [84.0, -84.0, 100.0, -40.0]);
    let (out, _s, _d) = ingest_text(
        "rechnungen.csv",
        "Rechnungsnummer;Rechnungsdatum;Kundennummer;Rechnungstyp;Status;Betrag brutto\n\
         RE-1001;01.03.2024;K1;Rechnung;Storniert;84,00\n\
         RE-1002;06.03.2024;K2;Rechnung;Offen;100,00\n\
         TS-1002;07.03.2024;K2;Teilstornorechnung;Offen;-40,00\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [84.0, 100.0, -40.0]);
    // A draft, or a partial cancellation worded otherwise, is no cancelled invoice's mark: the
    // cancellation invoices stay returns.
    let (out, _s, _d) = ingest_text(
        "rechnungen.csv",
        "Rechnungsnummer;Rechnungsdatum;Kundennummer;Rechnungstyp;Status;Betrag brutto\n\
         RE-1001;01.03.2024;K1;Rechnung;Bezahlt;84,00\n\
         RE-1009;02.03.2024;K9;Rechnung;Entwurf;10,00\n\
         SR-1001;05.03.2024;K1;Stornorechnung;Bezahlt;-84,00\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [84.0, 10.0, -84.0]);
    let (out, _s, _d) = ingest_text(
        "rechnungen.csv",
        "Rechnungsnummer;Rechnungsdatum;Kundennummer;Rechnungstyp;Status;Betrag brutto\n\
         RE-1001;01.03.2024;K1;Rechnung;Storniert;84,00\n\
         RE-1002;06.03.2024;K2;Rechnung;Offen;100,00\n\
         TS-1002;07.03.2024;K2;Storno (teilweise);Offen;-40,00\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [84.0, 100.0, -40.0]);
}

/// A currency cell naming another currency than the amount's header (`مبلغ (تومان)` over
/// `ریال` cells, ten times apart) is read as the cell says, and the report's warnings say so.
#[test]
fn a_currency_cell_against_the_headers_currency_is_a_warning() {
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "شماره سفارش,تاریخ,مبلغ (تومان),واحد پول\n1,1403/02/01,1000,ریال\n2,1403/02/02,2000,\n3,1403/02/03,3000,ریال\n",
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "currency"), some(&["IRR", "IRT", "IRR"]));
    assert_eq!(
        out.report.warnings,
        [
            "the amounts' header names IRT, but the currency column names another currency or unit on 2 rows (first: line 2, IRR): those rows are read in the currency and unit their cell names"
        ]
    );
    // The same currency in thousands (Persian WooCommerce's `IRHT`) under a Toman header: read
    // ×1000, said in the report; a header in thousands over it agrees, and says nothing.
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "شماره سفارش,تاریخ,مبلغ (تومان),واحد پول\n1,1403/02/01,80,IRHT\n2,1403/02/02,2000,IRT\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [80_000.0, 2000.0]);
    assert_eq!(
        out.report.warnings,
        [
            "the amounts' header names IRT, but the currency column names another currency or unit on 1 row (first: line 2, IRT ×1000): those rows are read in the currency and unit their cell names"
        ]
    );
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "شماره سفارش,تاریخ,مبلغ (هزار تومان),واحد پول\n1,1403/02/01,80,IRHT\n2,1403/02/02,2,\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [80_000.0, 2000.0]);
    assert!(out.report.warnings.is_empty(), "{:?}", out.report.warnings);
}

/// A bare number column is an order number only when it holds document numbers that can be
/// orders: not a line-level export's row counter (quantities, and a number new on every line:
/// read as orders, every line was a purchase), not a second column of mobiles beside a phone.
#[test]
fn a_bare_number_column_of_row_counts_or_mobiles_is_no_order_number() {
    let (out, _s, _d) = ingest_text(
        "lines.csv",
        "No,Date,Customer Email,Product,Quantity,Price\n\
         1,2024-01-01,a@x.example,Pen,1,2\n2,2024-01-01,a@x.example,Ink,1,3\n3,2024-01-02,b@x.example,Pen,1,2\n",
    );
    assert_eq!(strings(&batches(&out), "order_id"), [None, None, None]);
    let (out, _s, _d) = ingest_text(
        "lines.csv",
        "No,Date,Customer Email,Product,Quantity,Price\n\
         1,2024-01-01,a@x.example,Pen,1,2\n1,2024-01-01,a@x.example,Ink,1,3\n2,2024-01-02,b@x.example,Pen,1,2\n",
    );
    assert_eq!(strings(&batches(&out), "order_id"), some(&["1", "1", "2"]));
    // Lines counted within each invoice: 1, 2 on each date.
    let (out, _s, _d) = ingest_text(
        "lines.csv",
        "Date,Email,No,Product,Quantity,Price\n\
         2024-01-01,a@x.example,1,Pen,1,2\n2024-01-01,a@x.example,2,Ink,1,3\n\
         2024-01-02,b@x.example,1,Pen,1,2\n2024-01-02,b@x.example,2,Ink,1,3\n\
         2024-01-03,a@x.example,1,Pen,1,2\n2024-01-03,a@x.example,2,Ink,1,3\n",
    );
    assert_eq!(
        strings(&batches(&out), "order_id"),
        [None, None, None, None, None, None]
    );
    let (out, _s, _d) = ingest_text(
        "customers_orders.csv",
        "نام,تلفن,شماره,تاریخ,مبلغ\n\
         علی,02188776655,09121234567,1403/02/01,1000\n\
         رضا,02188776656,09351234567,1403/02/02,2000\n",
    );
    assert_eq!(strings(&batches(&out), "order_id"), [None, None]);
}

/// A DATEV booking batch (`EXTF` first line) is no sales export: refused with what it is, not
/// read as sales with its bookings as amounts and its `DDMM` dates as bad rows.
#[test]
fn a_datev_booking_batch_is_refused_for_what_it_is() {
    let (out, _s, _d) = ingest_text(
        "EXTF_Buchungsstapel.csv",
        "\"EXTF\";700;21;\"Buchungsstapel\";12;20250101120000000;;\"RE\";\"\";\"\";12345;67890;20250101;4;20250101;20251231;\"Umsatz\"\n\
         Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Konto;Gegenkonto (ohne BU-Schlüssel);Belegdatum;Belegfeld 1;Buchungstext\n\
         119,00;S;EUR;10001;8400;0201;RE-1001;Rechnung Kunde A\n",
    );
    assert_eq!(out.report.status, Status::Rejected);
    let e = out.report.error.as_ref().unwrap();
    assert_eq!(e.code, "unsupported_format");
    assert!(e.message.contains("DATEV"), "{}", e.message);
}

/// A currency cell that is a null marker (`N/A`, `-`) names no currency: the row takes the
/// header's, with no warning; a header's `R$` is Brazil's real, not US dollars.
#[test]
fn null_currency_cells_and_lettered_dollars_in_headers() {
    let (out, _s, _d) = sales_text(
        "orders.csv",
        "order_id,order_date,Total (EUR),Currency\n1,2024-01-01,5,N/A\n2,2024-01-02,6,EUR\n3,2024-01-03,7,-\n",
    );
    assert_eq!(strings(&batches(&out), "currency"), some(&["EUR", "EUR", "EUR"]));
    assert!(out.report.warnings.is_empty(), "{:?}", out.report.warnings);
    let (out, _s, _d) = sales_text(
        "orders.csv",
        "order_id,order_date,Total (R$),Currency\n1,2024-01-01,5,BRL\n",
    );
    assert_eq!(strings(&batches(&out), "currency"), some(&["BRL"]));
    assert!(out.report.warnings.is_empty(), "{:?}", out.report.warnings);
}

fn rejected_by_reason(out: &IngestOutcome) -> Vec<(&str, u64)> {
    out.report
        .rows
        .rejected_by_reason
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect()
}

fn layout_of(out: &IngestOutcome) -> Option<crate::mapping::Layout> {
    out.report.mapping.as_ref().and_then(|m| m.layout)
}

/// Lightspeed (X-Series) lists a receipt's "Sale" row, its "Sale Line" rows and its "Payment"
/// rows together: only the lines are sales, and they are the customer's and take the status of
/// their sale (a voided sale's lines are cancelled).
#[test]
fn lightspeed_sale_and_payment_rows_are_not_lines() {
    let (out, _s, _d) = ingest_text(
        "sales.csv",
        "Date,Receipt Number,Line Type,Customer Code,Quantity,Total,Details,Register,Status,Sku\n\
         2023-11-05 14:30:00,1001,Sale,C-0042,3,33.00,,Main,CLOSED,\n\
         2023-11-05 14:30:00,1001,Sale Line,,2,25.00,Mug,,,MUG-1\n\
         2023-11-05 14:30:00,1001,Sale Line,,1,8.00,Tea,,,TEA-1\n\
         2023-11-05 14:30:00,1001,Payment,,,33.00,Credit Card,,,\n\
         2023-11-06 10:00:00,1002,Sale,,1,45.00,,Main,VOIDED,\n\
         2023-11-06 10:00:00,1002,Sale Line,,1,45.00,Teapot,,,POT-1\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::Lightspeed));
    assert_eq!(
        rejected_by_reason(&out),
        [("order_summary", 2), ("payment_row", 1)]
    );
    // Those rows are expected: the file is read whole.
    assert_eq!(out.report.status, Status::Ok);
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [25.0, 8.0, 45.0]);
    assert_eq!(
        strings(&b, "customer_id"),
        [Some("C-0042".to_string()), Some("C-0042".to_string()), None]
    );
    assert_eq!(
        strings(&b, "product_name"),
        ["Mug", "Tea", "Teapot"].map(|s| Some(s.to_string()))
    );
    assert_eq!(bools(&b, "is_return"), [false, false, true]);
    assert!(
        !out.report
            .mapping
            .as_ref()
            .unwrap()
            .unmapped
            .contains(&"Line Type".to_string()),
        "the line type is read"
    );
}

/// eBay's "Total Price" includes shipping: a line is worth quantity × "Sold For". An order of
/// several items has a summary row (buyer, total) and item rows without the buyer.
#[test]
fn ebay_orders_are_read_by_item() {
    let (out, _s, _d) = ingest_text(
        "ebay.csv",
        "Sales Record Number,Order Number,Buyer Username,Buyer Email,Item Number,Item Title,Custom Label,Quantity,Sold For,Shipping And Handling,Total Price,Sale Date\n\
         5001,12-10501-23456,sara_k88,a1@members.ebay.com,2345678901,Mug,MUG-1,2,£12.50,£3.00,£28.00,Nov-05-23\n\
         5002,14-10502-99999,jbloggs,f6@members.ebay.com,,,,2,,£0.00,£53.00,Nov-12-23\n\
         5003,14-10502-99999,,,2345678902,Teapot,POT-1,1,£45.00,,,Nov-12-23\n\
         5004,14-10502-99999,,,2345678903,Tea,,1,£8.00,,,Nov-12-23\n\
         5005,03-10503-11111,anna.lee,z9@members.ebay.com,2345678904,Candle,,1,,£0.00,£12.00,Dec-01-23\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::Ebay));
    assert_eq!(rejected_by_reason(&out), [("order_summary", 1)]);
    let b = batches(&out);
    // A line without its Sold For is worth its order's total.
    assert_eq!(floats(&b, "line_amount"), [25.0, 45.0, 8.0, 12.0]);
    assert_eq!(
        strings(&b, "customer_id"),
        ["sara_k88", "jbloggs", "jbloggs", "anna.lee"].map(|s| Some(s.to_string()))
    );
    // The seller's SKU, where there is one.
    assert_eq!(
        strings(&b, "product_id"),
        [Some("MUG-1".to_string()), Some("POT-1".to_string()), None, None]
    );
}

/// Magento's order grid numbers orders in "ID", and "Closed" is an order refunded by a credit memo.
#[test]
fn magento_closed_orders_are_refunded() {
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "ID,Purchase Point,Purchase Date,Grand Total (Base),Grand Total (Purchased),Status,Customer Email\n\
         000000101,Main Website,\"Nov 5, 2023 2:30:45 PM\",$30.00,$30.00,Complete,sara@example.com\n\
         000000103,Main Website,\"Nov 7, 2023 12:00:00 PM\",$30.00,$30.00,Closed,anna@example.com\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::Magento));
    let b = batches(&out);
    assert_eq!(
        strings(&b, "order_id"),
        ["000000101", "000000103"].map(|s| Some(s.to_string()))
    );
    assert_eq!(bools(&b, "is_return"), [false, true]);
    assert_eq!(
        strings(&b, "status"),
        ["completed", "refunded"].map(|s| Some(s.to_string()))
    );
    // Elsewhere "closed" is only a word: Lightspeed closes every completed sale.
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "Order ID,Date,Amount,Status\n1,2023-11-05,30,Closed\n",
    );
    assert_eq!(bools(&batches(&out), "is_return"), [false]);
}

/// Odoo fills an order's own cells (number, date, customer, status) on its first line only.
#[test]
fn odoo_order_lines_take_their_orders_cells() {
    let (out, _s, _d) = ingest_text(
        "sale.order.csv",
        "Order Reference,Order Date,Customer,Status,Currency,Order Lines/Product,Order Lines/Quantity,Order Lines/Unit Price,Order Lines/Subtotal,Total\n\
         S00021,2023-11-05 14:30:00,Deco Addict,Sales Order,USD,Desk,2,450,900,1045\n\
         ,,,,,Customizable Desk,1,145,145,\n\
         S00023,2023-11-13 16:45:00,Gemini Furniture,Cancelled,USD,Desk,1,450,450,450\n\
         ,,,,,Lamp,1,40,40,\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::Odoo));
    assert_eq!(out.report.rows.rejected, 0);
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [900.0, 145.0, 450.0, 40.0]);
    assert_eq!(
        strings(&b, "order_id"),
        ["S00021", "S00021", "S00023", "S00023"].map(|s| Some(s.to_string()))
    );
    // "Customer" names the buyer: keyed as a name, in lower case.
    assert_eq!(
        strings(&b, "customer_id"),
        [
            "deco addict",
            "deco addict",
            "gemini furniture",
            "gemini furniture"
        ]
        .map(|s| Some(s.to_string()))
    );
    assert_eq!(bools(&b, "is_return"), [false, false, true, true]);
    assert_eq!(timestamps(&b, "order_ts")[1], timestamps(&b, "order_ts")[0]);
    // A total below the lines, labelled or after a blank line, is no line of the last order.
    let (out, _s, _d) = ingest_text(
        "sale.order.csv",
        "Order Reference,Order Date,Customer,Order Lines/Product,Order Lines/Quantity,Order Lines/Subtotal\n\
         S00042,2023-11-05 14:30:00,Ready Mat,Desk,1,45\n\
         ,,,Lamp,1,90\n\
         ,,,Total,2,135\n\
         \n\
         ,,,,,135\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [45.0, 90.0]);
    assert_eq!(out.report.rows.rejected, 2);
    // A description over several lines does not end the order.
    let (out, _s, _d) = ingest_text(
        "sale.order.csv",
        "Order Reference,Order Date,Customer,Order Lines/Product,Order Lines/Quantity,Order Lines/Subtotal\n\
         S00042,2023-11-05 14:30:00,Ready Mat,\"[D1] Desk\nOak, 160 cm\",1,45\n\
         ,,,Lamp,1,90\n",
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [45.0, 90.0]);
    // A blank line elsewhere is no order's: a totals row stays out.
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "Order ID,Date,Customer,Product,Quantity,Price\nB-1,2023-11-05,K1,Mug,2,12.5\n,,,Summe,2,\n",
    );
    assert_eq!(out.report.rows.written, 1);
}

/// PayPal's activity download lists every movement of the account: payments received are sales
/// (placed by their TimeZone), a refund is a return of the buyer it went to, withdrawals and
/// currency conversions are no sales.
#[test]
fn paypal_activity_is_read_by_type() {
    let (out, _s, _d) = ingest_text(
        "Download.CSV",
        "\"Date\",\"Time\",\"TimeZone\",\"Name\",\"Type\",\"Status\",\"Currency\",\"Gross\",\"Fee\",\"Net\",\"From Email Address\",\"To Email Address\",\"Transaction ID\",\"Item Title\",\"Invoice Number\",\"Quantity\",\"Balance\",\"Balance Impact\"\n\
         \"11/05/2023\",\"11:30:00\",\"PST\",\"Sara Klein\",\"Express Checkout Payment\",\"Completed\",\"USD\",\"1,234.56\",\"-36.10\",\"1,198.46\",\"sara@example.com\",\"shop@teashop.com\",\"8AB1\",\"Sofa\",\"INV-1001\",\"1\",\"1,198.46\",\"Credit\"\n\
         \"11/06/2023\",\"08:00:00\",\"PST\",\"Joe Bloggs\",\"Website Payment\",\"Completed\",\"USD\",\"45.00\",\"-1.61\",\"43.39\",\"joe@example.com\",\"shop@teashop.com\",\"9CD1\",\"Teapot\",\"INV-1002\",\"1\",\"1,241.85\",\"Credit\"\n\
         \"11/08/2023\",\"09:00:00\",\"PST\",\"Joe Bloggs\",\"Payment Refund\",\"Completed\",\"USD\",\"-45.00\",\"1.31\",\"-43.69\",\"shop@teashop.com\",\"joe@example.com\",\"1EF1\",\"Teapot\",\"INV-1002\",\"1\",\"1,198.16\",\"Debit\"\n\
         \"11/09/2023\",\"10:00:00\",\"PST\",\"\",\"General Withdrawal\",\"Completed\",\"USD\",\"-1,000.00\",\"0.00\",\"-1,000.00\",\"shop@teashop.com\",\"\",\"2GH1\",\"\",\"\",\"\",\"198.16\",\"Debit\"\n\
         \"11/10/2023\",\"10:00:00\",\"PST\",\"PayPal\",\"General Currency Conversion\",\"Completed\",\"USD\",\"-10.00\",\"0.00\",\"-10.00\",\"shop@teashop.com\",\"\",\"3IJ1\",\"\",\"\",\"\",\"188.16\",\"Debit\"\n\
         \"11/11/2023\",\"10:00:00\",\"PST\",\"Mass Pay\",\"Mass Pay Payment\",\"Completed\",\"USD\",\"-20.00\",\"0.00\",\"-20.00\",\"shop@teashop.com\",\"x@y.com\",\"4KL1\",\"\",\"\",\"\",\"168.16\",\"Debit\"\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::PayPal));
    assert_eq!(rejected_by_reason(&out), [("not_a_sale", 3)]);
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [1234.56, 45.0, -45.0]);
    assert_eq!(
        strings(&b, "customer_id"),
        ["sara@example.com", "joe@example.com", "joe@example.com"].map(|s| Some(s.to_string()))
    );
    assert_eq!(bools(&b, "is_return"), [false, false, true]);
    assert_eq!(timestamps(&b, "order_ts")[0], "2023-11-05T19:30:00+00:00");
    let unmapped = &out.report.mapping.as_ref().unwrap().unmapped;
    assert!(
        !unmapped.contains(&"To Email Address".to_string()),
        "{unmapped:?}"
    );
}

/// A ledger (Dynamics' customer ledger entries, QuickBooks' transaction list) mixes invoices
/// with credit memos and payments: a payment pays an invoice and is no sale; a credit memo is a
/// return, whatever its sign.
#[test]
fn a_ledgers_payments_are_no_sales_and_credit_memos_returns() {
    let (out, _s, _d) = ingest_text(
        "ledger.csv",
        "Posting Date,Document Type,Document No.,Customer No.,Amount\n\
         2023-11-05,Invoice,103001,10000,1500\n\
         2023-11-10,Payment,2593,10000,-1500\n\
         2023-11-12,Credit Memo,104001,10000,200\n\
         2023-11-13,Sales Receipt,103002,20000,80\n\
         2023-11-14,Prepayment Invoice,103003,20000,50\n",
    );
    assert_eq!(rejected_by_reason(&out), [("not_a_sale", 1)]);
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [1500.0, -200.0, 80.0, 50.0]);
    assert_eq!(bools(&b, "is_return"), [false, true, false, false]);
    assert_eq!(out.report.stats.as_ref().unwrap().listed_returns, None);
    // A shop's "Transaction Type" that is a payment method, or a till's "Sale", is no ledger.
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "Order ID,Date,Customer,Qty,Price,Transaction Type\n\
         A1,2024-03-01,c1,1,10.00,Online Payment\n\
         A2,2024-03-02,c2,1,10.00,Bank Transfer\n\
         A3,2024-03-03,c3,1,10.00,Sale\n\
         A4,2024-03-04,c4,1,10.00,Deposit\n",
    );
    assert_eq!(out.report.rows.written, 4);
}

/// QuickBooks' "Sales by Customer Detail" names each customer on a row of its own above their
/// lines and totals them below: the lines are that customer's, the group rows no sales.
#[test]
fn quickbooks_groups_name_the_customer() {
    let (out, _s, _d) = ingest_text(
        "Sales by Customer Detail.csv",
        "Sales by Customer Detail\n\
         Craig's Design and Landscaping Services\n\
         \n\
         ,Date,Transaction Type,Num,Product/Service,Qty,Sales Price,Amount,Balance\n\
         Amy's Bird Sanctuary,,,,,,,,\n\
         ,11/05/2023,Invoice,1021,Mug,2,12.50,25.00,25.00\n\
         ,11/05/2023,Invoice,1021,Tea,1,8.00,8.00,33.00\n\
         Total for Amy's Bird Sanctuary,,,,,3,,$33.00,\n\
         Bill's Windsurf Shop,,,,,,,,\n\
         ,11/12/2023,Sales Receipt,1022,Teapot,1,45.00,45.00,45.00\n\
         ,11/20/2023,Credit Memo,1023,Teapot,-1,45.00,-45.00,0.00\n\
         Total for Bill's Windsurf Shop,,,,,0,,$0.00,\n\
         Total Care Clinic\n\
         ,11/21/2023,Invoice,1024,Rocks,10,12.00,120.00,120.00\n\
         Total for Total Care Clinic,,,,,10,,$120.00,\n\
         TOTAL,,,,,13,,$153.00,\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::QuickBooks));
    assert_eq!(rejected_by_reason(&out), [("group_row", 7)]);
    let b = batches(&out);
    // A heading names the customer: keyed as a name column's value is.
    assert_eq!(
        strings(&b, "customer_id"),
        [
            "amy's bird sanctuary",
            "amy's bird sanctuary",
            "bill's windsurf shop",
            "bill's windsurf shop",
            "total care clinic"
        ]
        .map(|s| Some(s.to_string()))
    );
    assert_eq!(
        strings(&b, "order_id"),
        ["1021", "1021", "1022", "1023", "1024"].map(|s| Some(s.to_string()))
    );
    assert_eq!(floats(&b, "line_amount"), [25.0, 8.0, 45.0, -45.0, 120.0]);
    assert_eq!(bools(&b, "is_return"), [false, false, false, true, false]);
    // Sales by Product/Service Detail groups by product and has a customer column.
    let (out, _s, _d) = ingest_text(
        "Sales by Product Detail.csv",
        ",Date,Transaction Type,Num,Customer,Qty,Sales Price,Amount,Balance\n\
         Design,,,,,,,,\n\
         ,01/15/2024,Invoice,1001,Amy's Bird Sanctuary,5,75.00,375.00,375.00\n\
         Total for Design,,,,,5,,$375.00,\n",
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "product_name"), [Some("Design".to_string())]);
    assert_eq!(
        strings(&b, "customer_id"),
        [Some("amy's bird sanctuary".to_string())]
    );
}

/// Toast's "Net Price" is the line's after its discount, and "Void?" True a voided item.
#[test]
fn toast_items_net_of_discount_and_voids() {
    let (out, _s, _d) = ingest_text(
        "ItemSelectionDetails.csv",
        "Location,Order Id,Order #,Order Date,Item Selection Id,Menu Item,Gross Price,Discount,Net Price,Qty,Void?\n\
         Downtown,400000012345,17,11/5/23 7:30 PM,4001,Burger,30.00,0.00,30.00,2,False\n\
         Downtown,400000012345,17,11/5/23 7:30 PM,4002,Fries,5.00,1.00,4.00,1,False\n\
         Downtown,400000012345,17,11/5/23 7:30 PM,4003,Steak,42.00,0.00,42.00,1,True\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::Toast));
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [30.0, 4.0, 42.0]);
    assert_eq!(bools(&b, "is_return"), [false, false, true]);
    assert_eq!(strings(&b, "status")[2].as_deref(), Some("cancelled"));
    assert_eq!(timestamps(&b, "order_ts")[0], "2023-11-05T19:30:00+00:00");
}

/// Shopify's bulk operation output lists an order object, then its line items naming it by
/// `__parentId`: the lines are the order's (number, time, buyer, status, currency).
#[test]
fn shopify_bulk_line_items_take_their_order() {
    let (out, _s, _d) = ingest_text(
        "bulk-orders.jsonl",
        "{\"id\": \"gid://shopify/Order/1\", \"name\": \"#1001\", \"createdAt\": \"2023-11-05T19:30:00Z\", \"email\": \"sara@example.com\", \"displayFinancialStatus\": \"REFUNDED\", \"currencyCode\": \"CAD\"}\n\
         {\"id\": \"gid://shopify/LineItem/1\", \"sku\": \"MUG-1\", \"title\": \"Mug\", \"quantity\": 2, \"originalUnitPrice\": \"12.50\", \"__parentId\": \"gid://shopify/Order/1\"}\n\
         {\"id\": \"gid://shopify/Order/2\", \"name\": \"#1002\", \"createdAt\": \"2023-11-06T10:00:00Z\", \"email\": \"joe@example.com\", \"displayFinancialStatus\": \"PAID\", \"currencyCode\": \"USD\"}\n\
         {\"id\": \"gid://shopify/LineItem/2\", \"sku\": \"TEA-1\", \"title\": \"Tea\", \"quantity\": 1, \"originalUnitPrice\": \"8.00\", \"__parentId\": \"gid://shopify/Order/2\"}\n\
         {\"id\": \"gid://shopify/LineItem/3\", \"sku\": \"POT-1\", \"title\": \"Pot\", \"quantity\": 1, \"originalUnitPriceSet\": {\"shopMoney\": {\"amount\": \"45.00\"}}, \"__parentId\": \"gid://shopify/Order/2\"}\n\
         {\"id\": \"gid://shopify/Order/3\", \"name\": \"#1003\", \"createdAt\": \"2023-11-07T10:00:00Z\", \"customer\": {\"id\": \"gid://shopify/Customer/9\", \"email\": \"cy@example.com\"}, \"displayFinancialStatus\": \"PAID\", \"currencyCode\": \"EUR\"}\n\
         {\"id\": \"gid://shopify/LineItem/4\", \"sku\": \"CUP-1\", \"title\": \"Cup\", \"quantity\": 1, \"originalUnitPrice\": \"5.00\", \"__parentId\": \"gid://shopify/Order/1\"}\n\
         {\"id\": \"gid://shopify/LineItem/5\", \"name\": \"Cup - Large\", \"sku\": \"CUP-1\", \"title\": \"Cup\", \"quantity\": 1, \"originalUnitPrice\": \"6.00\", \"__parentId\": \"gid://shopify/Order/3\"}\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::ShopifyBulk));
    // A line item may come after another order; the nested price and the customer's email are
    // read where the plain ones are missing, and the email, not the customer's gid, is the key.
    assert_eq!(rejected_by_reason(&out), [("order_summary", 3)]);
    let b = batches(&out);
    let texts = |col: &str| {
        strings(&b, col)
            .into_iter()
            .map(Option::unwrap)
            .collect::<Vec<_>>()
    };
    assert_eq!(texts("order_id"), ["#1001", "#1002", "#1002", "#1001", "#1003"]);
    assert_eq!(
        texts("customer_id"),
        [
            "sara@example.com",
            "joe@example.com",
            "joe@example.com",
            "sara@example.com",
            "cy@example.com"
        ]
    );
    assert_eq!(texts("currency"), ["CAD", "USD", "USD", "CAD", "EUR"]);
    assert_eq!(floats(&b, "line_amount"), [25.0, 8.0, 45.0, 5.0, 6.0]);
    assert_eq!(bools(&b, "is_return"), [true, false, false, true, false]);
    assert_eq!(
        timestamps(&b, "order_ts"),
        [
            "2023-11-05T19:30:00+00:00",
            "2023-11-06T10:00:00+00:00",
            "2023-11-06T10:00:00+00:00",
            "2023-11-05T19:30:00+00:00",
            "2023-11-07T10:00:00+00:00"
        ]
    );
}

/// A return cancelled by the order's status, given on its first line only, stays as it was.
#[test]
fn a_cancelled_return_is_not_negated_whichever_line_says_so() {
    let (out, _s, _d) = ingest_text(
        "Returns.csv",
        "Order ID,Date,Customer,Product,Quantity,Price,Status\n\
         R1,2023-11-05,K1,Mug,1,12.50,Cancelled\n\
         R1,2023-11-05,K1,Tea,1,8.00,\n\
         R2,2023-11-06,K2,Pot,1,45.00,\n",
    );
    assert_eq!(floats(&batches(&out), "quantity"), [1.0, 1.0, -1.0]);
}

/// Stripe's balance history lists payouts and fees beside charges: a payout is no return.
#[test]
fn stripe_balance_history_payouts_are_no_sales() {
    let (out, _s, _d) = ingest_text(
        "balance_history.csv",
        "id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Available On (UTC),Description\n\
         txn_1,charge,ch_1,45.00,1.61,43.39,usd,2023-11-05 19:30:00,2023-11-07 00:00:00,Teapot\n\
         txn_3,refund,re_1,-45.00,0.00,-45.00,usd,2023-11-08 09:00:00,2023-11-08 09:00:00,REFUND FOR CHARGE\n\
         txn_4,payout,po_1,-1000.00,0.00,-1000.00,usd,2023-11-09 00:00:00,2023-11-09 00:00:00,STRIPE PAYOUT\n\
         txn_5,stripe_fee,,-2.00,0.00,-2.00,usd,2023-11-10 00:00:00,2023-11-10 00:00:00,Radar fee\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::StripeBalance));
    assert_eq!(rejected_by_reason(&out), [("not_a_sale", 2)]);
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [45.0, -45.0]);
    assert_eq!(bools(&b, "is_return"), [false, true]);
    assert_eq!(strings(&b, "channel"), [None, None]);
}

/// Etsy's Sold Orders file: an order is worth its items' value, as in its Sold Order Items
/// file, not its total with shipping and tax.
#[test]
fn etsy_orders_are_worth_their_items() {
    let (out, _s, _d) = ingest_text(
        "EtsySoldOrders2023.csv",
        "Sale Date,Order ID,Buyer,Number of Items,Currency,Order Value,Shipping,Sales Tax,Order Total,Adjusted Order Total\n\
         11/05/23,3012345678,saraklein88,3,USD,33.00,4.50,0,37.50,\n\
         12/01/23,3012345680,saraklein88,1,USD,12.50,4.50,0,17.00,0.00\n\
         12/02/23,3012345681,jonas_k,2,USD,40.00,0,0,40.00,25.00\n\
         12/03/23,3012345682,jonas_k,1,USD,18.00,0,0,18.00,18.00\n\
         12/04/23,3012345683,jonas_k,1,USD,60.00,0,4.80,64.80,60.00\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::Etsy));
    let unmapped = out.report.mapping.as_ref().map(|m| m.unmapped.clone());
    assert_eq!(unmapped, Some(vec!["Shipping".to_string()]));
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [33.0, 12.5, 40.0, 18.0, 60.0]);
    // An adjusted total of 0 is a refund of the whole order; one below the order total of a
    // part of it, which the file does not say (as other partial refunds, nothing is returned).
    // An adjusted total without the tax Etsy collected is no refund.
    assert_eq!(bools(&b, "is_return"), [false, true, false, false, false]);
    assert_eq!(
        strings(&b, "status"),
        [None, Some("refunded"), Some("partially_refunded"), None, None].map(|s| s.map(String::from))
    );
}

/// Etsy's Sold Orders file names the buyer twice: `Buyer User ID` (the Etsy username, which its
/// Sold Order Items file gives as `Buyer`) and `Buyer` (the full name). The username is the key,
/// so the two files' orders are one customer's.
#[test]
fn etsy_orders_are_keyed_by_the_buyers_username() {
    let (out, _s, _d) = ingest_text(
        "EtsySoldOrders2024.csv",
        "Sale Date,Order ID,Buyer User ID,Full Name,Number of Items,Currency,Order Value,Order Total,Adjusted Order Total,Buyer\n\
         01/05/24,3100000000,jdoe88,Jane Doe,1,USD,18.00,23.44,,Jane Doe\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::Etsy));
    assert_eq!(
        strings(&batches(&out), "customer_id"),
        [Some("jdoe88".to_string())]
    );
}

/// Amounts whose cells name their currency, in a file without a currency column: the cells
/// that name none are in the same currency, as a currency column's blanks are.
#[test]
fn amounts_naming_one_currency_speak_for_the_bare_ones() {
    let (out, _s, _d) = ingest_text(
        "فروش.csv",
        "شماره فاکتور,تاریخ,مشتری,مبلغ\n\
         1,1402/07/01,علی,۱٬۲۵۰٬۰۰۰ تومان\n\
         2,1402/07/02,رضا,۸۰۰٬۰۰۰\n\
         3,1402/07/03,مریم,۹۰۰٬۰۰۰ تومان\n",
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "currency"), vec![Some("IRT".to_string()); 3]);
    assert_eq!(floats(&b, "line_amount"), [1_250_000.0, 800_000.0, 900_000.0]);
    // Two currencies in the cells: a bare number's is not known.
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "Order,Date,Customer,Amount\n1,2024-01-01,a,12.50 EUR\n2,2024-01-02,b,0.99\n3,2024-01-03,c,$4\n",
    );
    assert_eq!(
        strings(&batches(&out), "currency"),
        [Some("EUR".to_string()), None, Some("USD".to_string())]
    );
}

/// A hand-kept sheet mixing Jalali dates written year first and year last: a short date in
/// Persian digits is Jalali, but which part is its year the column does not say, so it is
/// quarantined rather than read as a Gregorian 2012.
#[test]
fn a_short_persian_date_among_both_jalali_orders_is_quarantined() {
    let (out, _s, _d) = ingest_text(
        "daftar.csv",
        "شماره سفارش,تاریخ,موبایل,مبلغ (تومان)\n\
         1,1403/05/10,09125550000,\"۱۲۵,۰۰۰\"\n\
         2,۰۳/۰۵/۱۲,09125550001,\"۱۲۵,۰۰۰\"\n\
         3,12/05/1403,09125550002,\"۱۲۵,۰۰۰\"\n",
    );
    assert_eq!(
        out.report.rows.rejected_by_reason.get("bad_date"),
        Some(&1),
        "{:?}",
        out.report.rows
    );
    assert_eq!(
        strings(&batches(&out), "order_id"),
        [Some("1".to_string()), Some("3".to_string())]
    );
}

/// Sage 50's day book codes its rows: SI an invoice, SC a credit note (a return, written
/// positive), SR a receipt of money (no sale).
#[test]
fn sage_transaction_codes() {
    let (out, _s, _d) = ingest_text(
        "Customer Day Book.csv",
        "No,Type,A/C,Date,Inv Ref,N/C,Details,Net Amnt,Tax Amnt,T/C,Gross Amnt\n\
         101,SI,SARA001,05/11/2023,INV0021,4000,Mugs x2,20.83,4.17,T1,25.00\n\
         102,SI,BLOG001,13/11/2023,INV0022,4000,Teapot,37.50,7.50,T1,45.00\n\
         103,SC,BLOG001,20/11/2023,CRN0004,4000,Teapot returned,37.50,7.50,T1,45.00\n\
         104,SR,SARA001,21/11/2023,,1200,Payment,25.00,0.00,T9,25.00\n\
         ,,,,,,Totals:,95.83,19.17,,115.00\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::Sage));
    // The totals row below is expected, as the receipt is.
    assert_eq!(rejected_by_reason(&out), [("group_row", 1), ("not_a_sale", 1)]);
    assert_eq!(out.report.status, Status::Ok);
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [25.0, 45.0, -45.0]);
    assert_eq!(
        strings(&b, "customer_id"),
        ["SARA001", "BLOG001", "BLOG001"].map(|s| Some(s.to_string()))
    );
}

/// A bare "$" names no country: beside a currency column saying CAD, the amount is Canadian. A
/// value that names its dollar, or a column naming no dollar, leaves the value's.
#[test]
fn a_bare_dollar_is_the_currency_columns_dollar() {
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "Order ID,Date,Amount,Currency\n\
         1,2023-11-05,$10.00,CAD\n\
         2,2023-11-05,US$10.00,CAD\n\
         3,2023-11-05,$10.00,EUR\n\
         4,2023-11-05,10.00,CAD\n",
    );
    assert_eq!(
        strings(&batches(&out), "currency"),
        ["CAD", "USD", "USD", "CAD"].map(|s| Some(s.to_string()))
    );
}

/// Square writes each row's zone beside its naive date and time: the row's zone, not the
/// configured one, places it. A zone nobody can place rejects the row, naming the column.
#[test]
fn a_rows_own_time_zone_places_its_time() {
    let (out, _s, _d) = ingest_text(
        "items-2023-11-05.csv",
        "Date,Time,Time Zone,Item,Qty,Net Sales,Transaction ID\n\
         2023-11-05,14:30:12,Eastern Time (US & Canada),Latte,2,$9.00,T1\n\
         2023-11-05,23:45:00,Eastern Time (US & Canada),Espresso,1,$3.00,T2\n\
         2023-11-06,09:10:00,Tehran,Latte,1,$4.50,T3\n\
         2023-11-06,09:10:00,,Latte,1,$4.50,T4\n\
         2023-11-06,09:10:00,UTC-05:00,Latte,1,$4.50,T6\n\
         2023-11-06,09:10:00,Atlantis,Latte,1,$4.50,T5\n",
    );
    assert_eq!(
        timestamps(&batches(&out), "order_ts"),
        [
            "2023-11-05T19:30:12+00:00",
            "2023-11-06T04:45:00+00:00",
            "2023-11-06T05:40:00+00:00",
            "2023-11-06T09:10:00+00:00",
            "2023-11-06T14:10:00+00:00"
        ]
    );
    assert_eq!(rejected_by_reason(&out), [("bad_time_zone", 1)]);
    assert_eq!(
        out.report.parsing.as_ref().unwrap().timezone,
        "per row (Time Zone), else UTC"
    );
    assert_eq!(
        out.report
            .mapping
            .as_ref()
            .unwrap()
            .used
            .get("time_zone")
            .map(String::as_str),
        Some("Time Zone")
    );
}

/// Placeholders that exports write for a guest are no customer id: counted as guest rows, not
/// merged into one customer called "-".
#[test]
fn guest_placeholders_are_no_customer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.csv");
    std::fs::write(
        &path,
        "Order,Date,Amount,Customer\n1,2024-01-02,10,C1\n2,2024-01-02,11,-\n3,2024-01-03,12,N/A\n4,2024-01-03,13,\n5,2024-01-04,14,#N/A\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "orders.csv", &IngestOptions::default());
    assert_eq!(out.report.rows.written, 5);
    let b = batches(&out);
    assert_eq!(
        strings(&b, "customer_id"),
        [Some("C1".to_string()), None, None, None, None]
    );
    // WooCommerce and BigCommerce give guests customer 0: each is known by the email, if any.
    let path = dir.path().join("woo.csv");
    std::fs::write(
        &path,
        "Order,Date,Amount,Customer ID,Billing Email\n1,2024-01-02,10,0,ann@x.com\n2,2024-01-02,11,0,bob@x.com\n3,2024-01-03,12,0,\n4,2024-01-03,13,17,cy@x.com\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "woo.csv", &IngestOptions::default());
    assert_eq!(
        strings(&batches(&out), "customer_id"),
        [
            Some("ann@x.com".to_string()),
            Some("bob@x.com".to_string()),
            None,
            Some("17".to_string())
        ]
    );
    // A customers export lists people: there 0 is one.
    let path = dir.path().join("customers.csv");
    std::fs::write(&path, "Customer ID,Email\n0,zed@x.com\n17,cy@x.com\n").unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Customers),
        ..IngestOptions::default()
    };
    let (out, _s) = ingest_upload(&path, "customers", "customers.csv", &opts);
    assert_eq!(
        strings(&batches(&out), "customer_id"),
        [Some("0".to_string()), Some("17".to_string())]
    );
}

/// A return signed twice (−2 × −10) or refunded as a positive amount lowers net revenue; an
/// ordinary negative amount (a discount line) stays as exported.
#[test]
fn a_return_never_adds_revenue() {
    let dir = tempfile::tempdir().unwrap();
    let both = dir.path().join("both.csv");
    std::fs::write(
        &both,
        "Order,Date,Quantity,Price,Customer\n1,2024-01-02,2,10,C1\n2,2024-01-03,-2,-10,C1\n3,2024-01-04,-1,5,C2\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&both, "both.csv", &IngestOptions::default());
    assert_eq!(floats(&batches(&out), "line_amount"), [20.0, -20.0, -5.0]);

    // (Not named "refunds.csv": a file named as returns is read as returns whole.)
    let refund = dir.path().join("signed_twice.csv");
    std::fs::write(
        &refund,
        "Order,Date,Quantity,Amount,Customer\n1,2024-01-02,2,20,C1\n2,2024-01-03,-2,20,C1\n3,2024-01-04,1,-3,C2\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&refund, "signed_twice.csv", &IngestOptions::default());
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [20.0, -20.0, -3.0]);
}

/// Persian shop software writes short dates year first with a two-digit Jalali year; read as
/// d/m/yy or m/d/yy they land between 2001 and 2029, out of order, and nothing says so.
#[test]
fn short_jalali_dates_in_a_persian_export() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("faktor.csv");
    std::fs::write(
        &path,
        "شماره فاکتور,کد مشتری,تاریخ,تعداد,مبلغ\n1,۱۰۱,02/07/15,1,100000\n2,۱۰۲,02/08/01,1,200000\n3,۱۰۱,02/12/29,2,150000\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "faktor.csv", &IngestOptions::default());
    assert_eq!(
        out.report.parsing.as_ref().unwrap().date_format,
        "jalali-year-first"
    );
    // 1402/07/15, 1402/08/01 and 1402/12/29 at midnight in UTC (the default zone).
    assert_eq!(
        times(&batches(&out)),
        [
            "2023-10-07T00:00:00+00:00",
            "2023-10-23T00:00:00+00:00",
            "2024-03-19T00:00:00+00:00"
        ]
    );
}

/// Each sheet's header says its unit: Rial for two months, then Toman, then thousands of Rial.
#[test]
fn a_later_sheet_in_another_currency_keeps_its_currency() {
    let (out, _s) = ingest("workbooks/rial_then_toman.xlsx", &IngestOptions::default());
    let b = batches(&out);
    let rows: Vec<(Option<String>, f64, Option<String>)> = strings(&b, "order_id")
        .into_iter()
        .zip(floats(&b, "line_amount"))
        .zip(strings(&b, "currency"))
        .map(|((o, a), c)| (o, a, c))
        .collect();
    let row = |o: &str, a: f64, c: &str| (Some(o.to_string()), a, Some(c.to_string()));
    assert_eq!(
        rows,
        [
            row("ف-1", 1_200_000.0, "IRR"),
            row("ا-1", 950_000.0, "IRR"),
            row("خ-1", 95_000.0, "IRT")
        ]
    );
    // Read with the Rial sheets' scale, thousands of Rial would be 1000× too small: not read,
    // and the report says why.
    let tir = out.report.sheets.iter().find(|s| s.name == "تیر").unwrap();
    assert_eq!(
        tir.skipped.as_deref(),
        Some("its amounts are in another multiple (thousands) than the export sheet's")
    );
}

/// A "Returns" sheet lists what went back with positive quantities: read as returns, so the
/// lamp returned is not counted as a third one sold. A return already signed stays as it is.
/// Its extra Status column makes it the sheet most like an export, and the Orders sheet before
/// it is read all the same.
#[test]
fn a_returns_sheet_is_read_as_returns() {
    let (out, _s) = ingest("workbooks/orders_and_returns.xlsx", &IngestOptions::default());
    let b = batches(&out);
    let rows: Vec<(f64, f64, bool)> = floats(&b, "quantity")
        .into_iter()
        .zip(floats(&b, "line_amount"))
        .zip(bools(&b, "is_return"))
        .map(|((q, a), r)| (q, a, r))
        .collect();
    assert_eq!(
        rows,
        [
            (2.0, 80.0, false),
            (1.0, 250.0, false),
            (-1.0, -40.0, true),
            (-1.0, -250.0, true)
        ]
    );
    let r = &out.report;
    let read_as_returns: Vec<(&str, bool)> = r
        .sheets
        .iter()
        .map(|s| (s.name.as_str(), s.read_as_returns))
        .collect();
    assert_eq!(
        read_as_returns,
        [("Orders", false), ("Returns", true), ("Summary", false)]
    );
    // The Returns sheet is the export sheet (its Status column maps too); its header line is
    // numbered after the Orders sheet's three rows, like the rows' source lines.
    assert!(r.mapping.as_ref().unwrap().used.contains_key("status"));
    assert_eq!(r.header_line, Some(4));
    let stats = r.stats.as_ref().unwrap();
    assert_eq!((stats.returns, stats.listed_returns), (Some(2), Some(1)));
    assert!(!r.read_as_returns);
}

/// A file named as returns (here a Persian accounting report, "sales returns 1402") is read as
/// returns whole; the same rows under an ordinary name are sales.
#[test]
fn a_file_named_as_returns_is_read_as_returns() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "شماره فاکتور,کد مشتری,تاریخ,تعداد,مبلغ (تومان)\nف-1,۱۰۱,1402/07/15,2,\"250,000\"\n";
    for (name, returned) in [("برگشت از فروش ۱۴۰۲.csv", true), ("فروش ۱۴۰۲.csv", false)]
    {
        let path = dir.path().join(name);
        std::fs::write(&path, csv).unwrap();
        let (out, _s) = ingest_path(&path, name, &IngestOptions::default());
        let b = batches(&out);
        let sign = if returned { -1.0 } else { 1.0 };
        assert_eq!(floats(&b, "quantity"), [2.0 * sign], "{name}");
        assert_eq!(floats(&b, "line_amount"), [250_000.0 * sign], "{name}");
        assert_eq!(bools(&b, "is_return"), [returned], "{name}");
        assert_eq!(out.report.read_as_returns, returned, "{name}");
    }
}

/// A returns list says so by its headers when its name does not: dated by the return and valued
/// by the refund, in English or Persian, its lines are returns. An order export's refund column
/// beside its order date is no such list, and feeds nothing.
#[test]
fn a_returns_list_is_known_by_its_return_date_and_refund_amount() {
    for (csv, amount) in [
        (
            "Order ID,Customer ID,Return Date,Product,Quantity,Refund Amount,Currency\nA1,C1,2024-01-20,Mug,1,10.00,EUR\n",
            -10.0,
        ),
        (
            "شماره فاکتور,کد مشتری,تاریخ برگشت,تعداد برگشتی,مبلغ برگشتی (تومان)\nف-1,۱۰۱,1402/10/30,2,\"250,000\"\n",
            -250_000.0,
        ),
    ] {
        let (out, _s, _d) = ingest_text("export-2024-01.csv", csv);
        let b = batches(&out);
        assert_eq!(floats(&b, "line_amount"), [amount], "{csv}");
        assert!(floats(&b, "quantity")[0] < 0.0, "{csv}");
        assert_eq!(bools(&b, "is_return"), [true], "{csv}");
        assert!(out.report.read_as_returns, "{csv}");
        assert_eq!(out.report.rows.written, 1, "{csv}");
    }
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "Order ID,Customer ID,Order Date,Quantity,Unit Price,Refund Amount\nA1,C1,2024-01-05,2,10.00,10.00\n",
    );
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [20.0]);
    assert_eq!(bools(&b, "is_return"), [false]);
    assert!(!out.report.read_as_returns);
    let unmapped = &out.report.mapping.as_ref().unwrap().unmapped;
    assert_eq!(unmapped, &["Refund Amount".to_string()]);
}

/// Business Central's lines in two document currencies: the amounts in the shop's own currency
/// are read, and no line is said to be in the document's currency (a blank code, the shop's own,
/// had taken the other line's USD).
#[test]
fn dynamics_lines_are_read_in_the_local_currency() {
    let (out, _s, _d) = ingest_text(
        "sales_lines.csv",
        "Document No.,Sell-to Customer No.,Posting Date,No.,Description,Quantity,Unit Price,Line Amount,Currency Code,Amount (LCY)\n\
         SI-1001,C10000,01/15/2024,1896-S,ATHENS Desk,2,500.00,1000.00,USD,920.00\n\
         SI-1002,C20000,01/16/2024,1900-S,PARIS Chair,1,200.00,200.00,,200.00\n",
    );
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [920.0, 200.0]);
    assert_eq!(strings(&b, "currency"), [None, None]);
    let unmapped = &out.report.mapping.as_ref().unwrap().unmapped;
    assert!(unmapped.contains(&"Currency Code".to_string()), "{unmapped:?}");
}

/// In a returns list, a cancelled return never happened: it is not negated, and its status keeps
/// it out of the sums (segmentation ignores positive cancelled lines).
#[test]
fn a_cancelled_return_in_a_returns_list_is_not_a_return_of_goods() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Returns.csv");
    std::fs::write(
        &path,
        "order_id,customer_id,order_date,quantity,unit_price,status\n1,K1,2024-03-01,1,10,refunded\n2,K2,2024-03-02,1,10,Cancelled\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "Returns.csv", &IngestOptions::default());
    let b = batches(&out);
    assert_eq!(floats(&b, "quantity"), [-1.0, 1.0]);
    assert_eq!(strings(&b, "status")[1].as_deref(), Some("cancelled"));
}

/// An export of one amount per order and no quantity column: a blank amount is what is missing.
#[test]
fn a_blank_amount_without_a_quantity_column_is_a_missing_amount() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.csv");
    std::fs::write(
        &path,
        "Order,Customer,Date,Amount\n1,K1,2024-03-01,\n2,K2,2024-03-02,10\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "orders.csv", &IngestOptions::default());
    let r = &out.report.rows;
    assert_eq!((r.read, r.written, r.rejected), (2, 1, 1));
    assert_eq!(
        r.rejected_by_reason.keys().collect::<Vec<_>>(),
        ["missing_amount"]
    );
    let q = out
        .files
        .iter()
        .find(|f| f.key.starts_with("quarantine/"))
        .unwrap();
    let text = String::from_utf8_lossy(&std::fs::read(&q.path).unwrap()).into_owned();
    assert!(
        text.contains(r#""column":"Amount""#),
        "the column is named: {text}"
    );
}

/// Birth dates with two-digit years in Persian digits are Jalali (۶۲ is 1362), as sales dates are.
#[test]
fn short_persian_birth_dates_are_jalali() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customers.csv");
    std::fs::write(
        &path,
        "کد مشتری,تاریخ تولد\nC1,۶۲/۰۷/۱۵\nC2,۷۵/۰۱/۲۰\nC3,۵۸/۱۲/۰۱\n",
    )
    .unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Customers),
        ..IngestOptions::default()
    };
    let (out, _s) = ingest_upload(&path, "customers", "customers.csv", &opts);
    let b = batches(&out);
    let days: Vec<Option<i32>> = b
        .iter()
        .flat_map(|b| {
            let a = b.column_by_name("birth_date").unwrap();
            let a = a.as_any().downcast_ref::<arrow::array::Date32Array>().unwrap();
            (0..a.len())
                .map(|i| a.is_valid(i).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let day = |y, m, d| Some((chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap() - epoch).num_days() as i32);
    assert_eq!(days, [day(1983, 10, 7), day(1996, 4, 8), day(1980, 2, 20)]);
}

/// A legacy export pads fields with NULs and ends in a zero-filled block (a copy cut short): the
/// file is read, the padding is not part of any value, and the NUL line is quarantined.
#[test]
fn nul_padding_does_not_reject_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("legacy.csv");
    let mut bytes = b"order_id,customer_id,order_date,quantity,unit_price\n".to_vec();
    bytes.extend_from_slice(b"1\0\0,K1\0\0\0,2023-01-02,1,10\n2,K2,2023-01-03,2,5\n");
    bytes.extend_from_slice(&[0u8; 40]);
    bytes.push(b'\n');
    std::fs::write(&path, &bytes).unwrap();
    let (out, _s) = ingest_path(&path, "legacy.csv", &IngestOptions::default());
    let b = batches(&out);
    assert_eq!(strings(&b, "customer_id"), [Some("K1".into()), Some("K2".into())]);
    assert_eq!(strings(&b, "order_id"), [Some("1".into()), Some("2".into())]);
    let r = &out.report.rows;
    assert_eq!((r.read, r.written, r.rejected), (3, 2, 1));
    assert_eq!(r.rejected_by_reason.keys().collect::<Vec<_>>(), ["missing_date"]);
}

/// A notes sheet, a hidden scratch sheet, a sheet per month (the last from another tool), a hidden
/// backup and a summary: the months are read,
/// numbered across sheets, and the report says which sheets were skipped and why.
#[test]
fn a_workbook_with_a_sheet_per_month_is_read_whole() {
    let (out, _s) = ingest("workbooks/monthly_sheets.xlsx", &IngestOptions::default());
    let r = &out.report;
    assert_eq!((r.rows.read, r.rows.written), (6, 6));
    let b = batches(&out);
    let ids = strings(&b, "order_id");
    assert_eq!(ids.len(), 6);
    for id in ["M-1", "M-2", "A-1", "A-2", "Y-1", "Y-2"] {
        assert!(ids.contains(&Some(id.to_string())), "{id}: {ids:?}");
    }
    let sheets: Vec<(String, Option<u64>, Option<&str>)> = r
        .sheets
        .iter()
        .map(|s| (s.name.clone(), s.line_offset, s.skipped.as_deref()))
        .collect();
    // The report names the columns a skipped sheet lacks.
    let lacks_all = "its header lacks columns of the export sheet: \"Invoice\", \"Customer ID\", \"Invoice Date\", \"Qty\", \"Unit Price\"";
    assert_eq!(
        sheets,
        [
            ("Notes".to_string(), None, Some(lacks_all)),
            ("Scratch".to_string(), None, Some("hidden")),
            ("March".to_string(), Some(0), None),
            ("April".to_string(), Some(3), None),
            ("May".to_string(), Some(6), None),
            ("Backup".to_string(), None, Some("hidden")),
            ("Summary".to_string(), None, Some(lacks_all)),
        ]
    );
    // May's columns are in another order under other words, and land in the right fields.
    let y2 = ids.iter().position(|o| o.as_deref() == Some("Y-2")).unwrap();
    assert_eq!(strings(&b, "customer_id")[y2].as_deref(), Some("K4"));
    assert_eq!(floats(&b, "line_amount")[y2], 80.0);
    assert_eq!(times(&b)[y2], "2024-05-07T09:00:00+00:00");
    // April's first order is row 2 of its sheet: line 3 + 2.
    let lines: Vec<i64> = b
        .iter()
        .flat_map(|b| {
            b.column_by_name("source_line")
                .unwrap()
                .as_primitive::<arrow::datatypes::Int64Type>()
                .values()
                .to_vec()
        })
        .collect();
    let a1 = ids.iter().position(|o| o.as_deref() == Some("A-1")).unwrap();
    assert_eq!(lines[a1], 5);
}

/// Amounts whose every separator could be either ("1.234", "12.500") follow the file's
/// convention: thousands in a `;`-separated export and in Toman or Rial, a decimal point otherwise.
#[test]
fn ambiguous_amounts_follow_the_file_convention() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "de.csv",
            "Beleg;Datum;Kunde;Betrag\n1;04.03.2024;K1;1.234\n2;05.03.2024;K2;12.500\n3;06.03.2024;K3;3.000\n",
            [1234.0, 12500.0, 3000.0],
        ),
        (
            "fa.csv",
            "شماره سفارش,تاریخ,مشتری,مبلغ (تومان)\n1,1402/12/01,C1,125.000\n2,1402/12/02,C2,2.500\n3,1402/12/03,C3,12.000\n",
            [125000.0, 2500.0, 12000.0],
        ),
        (
            "en.csv",
            "Order,Date,Customer,Amount\n1,2024-03-04,K1,1.234\n2,2024-03-05,K2,12.500\n3,2024-03-06,K3,3.000\n",
            [1.234, 12.5, 3.0],
        ),
        // Toman prices by the currency column; weights in kg (0.5, 1.500) stay weights.
        (
            "toman_kg.csv",
            "Order,Date,Customer,Qty,Unit Price,Currency\n1,2024-03-04,K1,0.5,250.000,IRT\n2,2024-03-05,K2,1.500,120.000,IRT\n3,2024-03-06,K3,2,85.000,IRT\n",
            [125000.0, 180000.0, 170000.0],
        ),
        // A currency column filled on some rows only speaks for its blanks.
        (
            "toman_blanks.csv",
            "Order,Date,Customer,Qty,Unit Price,Currency\n1,2024-03-04,K1,1,250.000,IRT\n2,2024-03-05,K2,1,120.000,\n3,2024-03-06,K3,1,85.000,\n",
            [250000.0, 120000.0, 85000.0],
        ),
        // One column, two currencies: only the Toman rows group.
        (
            "mixed.csv",
            "Order,Date,Customer,Qty,Unit Price,Currency\n1,2024-03-04,K1,1,12.500,EUR\n2,2024-03-05,K2,1,125.000,IRT\n3,2024-03-06,K3,2,3.250,EUR\n",
            [12.5, 125000.0, 6.5],
        ),
    ];
    for (name, text, amounts) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (out, _s) = ingest_path(&path, name, &IngestOptions::default());
        assert_eq!(floats(&batches(&out), "line_amount"), amounts, "{name}");
    }
}

/// The file's number convention is decided from all its money columns and its language: a
/// Persian `;` export as Excel saves it on Persian Windows (`,` grouping thousands, no currency
/// unit anywhere) reads `85,000` as 85000, in Persian digits too; an English `;` export whose
/// `Total` writes `1,234.00` reads its `Unit Price` `1,234` as 1234; a `;` export with only
/// ambiguous `1,234` amounts groups thousands with that comma. German exports keep their
/// decimal comma.
#[test]
fn the_number_convention_is_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &[f64]); 9] = [
        (
            "fa_semicolon.csv",
            "\u{feff}شماره فاکتور;کد مشتری;تاریخ فاکتور;شرح کالا;تعداد;فی\n1001;C-1;1402/07/01;چای سبز;2;85,000\n1002;C-2;1402/07/03;قهوه;1;340,000\n1003;C-1;1402/07/05;کیک;3;125,000\n1004;C-3;1402/07/09;عسل;1;999,000\n",
            &[170000.0, 340000.0, 375000.0, 999000.0],
        ),
        (
            "fa_digits.csv",
            "شماره فاکتور;کد مشتری;تاریخ فاکتور;تعداد;فی\n۱۰۰۱;C-1;۱۴۰۲/۰۷/۰۱;۲;۸۵,۰۰۰\n۱۰۰۲;C-2;۱۴۰۲/۰۷/۰۳;۱;۳۴۰,۰۰۰\n",
            &[170000.0, 340000.0],
        ),
        (
            "en_semicolon.csv",
            "Order ID;Customer ID;Order Date;Product;Quantity;Unit Price;Total\nA1;C1;2023-11-04;TV;1;1,234;1,234.00\nA2;C2;2023-11-05;Laptop;1;2,500;2,500.00\nA3;C3;2023-11-06;Phone;2;1,050;2,100.00\n",
            &[1234.0, 2500.0, 2100.0],
        ),
        // Only ambiguous amounts: a `;` export is written where the decimal mark is a comma
        // (a fuel station's price per litre).
        (
            "de_fuel.csv",
            "Bestellnummer;Datum;Kundennummer;Artikelnummer;Menge;Einzelpreis;Gesamtpreis\n1001;05.01.2024;K1;DIESEL;50;1,799;89,950\n1002;06.01.2024;K2;SUPER;40;1,869;74,760\n",
            &[89.95, 74.76],
        ),
        // The read price column's own `1.234,56` decides, not an unread US-dollar column.
        (
            "de_with_usd.csv",
            "Bestellnummer;Datum;Kundennummer;Artikelnummer;Menge;Einzelpreis;Gesamtpreis;Preis USD\n1001;05.01.2024;K1;A1;1;1.200;1.200;1,296.00\n1002;06.01.2024;K2;A2;2;1.234,56;2.469,12;1,333.32\n",
            &[1200.0, 2469.12],
        ),
        // A US file's ambiguous amounts beside a euro column written the European way.
        (
            "us_with_eur.csv",
            "Order ID,Customer ID,Order Date,Quantity,Unit Price,Price (EUR)\nA1,C1,2024-01-05,1,\"1,200\",\"1.104,00\"\nA2,C2,2024-01-06,2,\"2,500\",\"2.300,00\"\n",
            &[1200.0, 5000.0],
        ),
        // Tab-separated, dotted day-first dates, the euro sign after the number: German.
        (
            "de_tab.csv",
            "Beleg\tDatum\tKunde\tMenge\tEinzelpreis\n1\t05.01.2024\tK1\t1\t1.200 €\n2\t06.01.2024\tK2\t2\t2.500 €\n",
            &[1200.0, 5000.0],
        ),
        (
            "de_semicolon.csv",
            "Beleg;Datum;Kunde;Menge;Einzelpreis;Summe\n1;04.03.2024;K1;2;1.234;2.468,00\n2;05.03.2024;K2;1;12,50;12,50\n",
            &[2468.0, 12.5],
        ),
        (
            "de_semicolon_cents.csv",
            "Beleg;Datum;Kunde;Menge;Einzelpreis\n1;04.03.2024;K1;2;5,00\n2;05.03.2024;K2;1;1.234,56\n",
            &[10.0, 1234.56],
        ),
    ];
    for (name, text, amounts) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (out, _s) = ingest_path(&path, name, &IngestOptions::default());
        assert_eq!(out.report.rows.rejected, 0, "{name}");
        assert_eq!(floats(&batches(&out), "line_amount"), amounts, "{name}");
    }
}

/// A German `;` export's Excel serials with a decimal comma (`45234,5`: noon) are dates.
#[test]
fn excel_serials_with_a_decimal_comma_are_dates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("de_serial.csv");
    std::fs::write(
        &path,
        "Rechnungsnummer;Kundennummer;Rechnungsdatum;Artikel;Menge;Einzelpreis\nR1;K1;45234,5;Tee;1;5,00\nR2;K2;45243,75;Tee;1;5,00\nR3;K3;45250;Tee;1;5,00\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "de_serial.csv", &IngestOptions::default());
    assert_eq!(out.report.rows.rejected, 0);
    assert_eq!(
        timestamps(&batches(&out), "order_ts"),
        [
            "2023-11-04T12:00:00+00:00",
            "2023-11-13T18:00:00+00:00",
            "2023-11-20T00:00:00+00:00"
        ]
    );
}

/// German and French exports' month names are dates (`04-Okt-23`, `1. Mai 2023`,
/// `13 févr. 2023`, `1er mai 2023`), in a Windows code page too.
#[test]
fn german_and_french_month_names_are_dates() {
    let dir = tempfile::tempdir().unwrap();
    let de = "Rechnungsnummer;Kundennummer;Rechnungsdatum;Artikel;Menge;Einzelpreis\nR1;K1;04-Okt-23;Tee;1;5,00\nR2;K2;02-Dez-23;Tee;1;5,00\nR3;K3;05-Mär-23;Tee;1;5,00\nR4;K4;1. Mai 2023;Tee;1;5,00\nR5;K5;7. Januar 2023;Tee;1;5,00\n";
    let fr = "N° de facture;Client;Date;Produit;Quantité;Prix unitaire\nF1;C1;4 nov. 2023;Thé;1;5,00\nF2;C2;13 févr. 2023;Thé;1;5,00\nF3;C3;2 décembre 2023;Thé;1;5,00\nF4;C4;1er mai 2023;Thé;1;5,00\nF5;C5;04-juil.-23;Thé;1;5,00\n";
    let latin1 = |t: &str| {
        t.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect::<Vec<u8>>()
    };
    let cases: [(&str, Vec<u8>, &[&str]); 3] = [
        (
            "de.csv",
            de.as_bytes().to_vec(),
            &[
                "2023-10-04",
                "2023-12-02",
                "2023-03-05",
                "2023-05-01",
                "2023-01-07",
            ],
        ),
        (
            "de_1252.csv",
            latin1(de),
            &[
                "2023-10-04",
                "2023-12-02",
                "2023-03-05",
                "2023-05-01",
                "2023-01-07",
            ],
        ),
        (
            "fr.csv",
            fr.as_bytes().to_vec(),
            &[
                "2023-11-04",
                "2023-02-13",
                "2023-12-02",
                "2023-05-01",
                "2023-07-04",
            ],
        ),
    ];
    for (name, bytes, days) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (out, _s) = ingest_path(&path, name, &IngestOptions::default());
        assert_eq!(out.report.rows.rejected, 0, "{name}");
        let got: Vec<String> = times(&batches(&out))
            .iter()
            .map(|t| t[..10].to_string())
            .collect();
        let mut want: Vec<&str> = days.to_vec();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        want.sort();
        assert_eq!(got_sorted, want, "{name}");
    }
}

/// A quote that opens a field and never closes (`"17 inch`, or a note in the last column) must
/// not swallow the rows after it (here across several read buffers): its line is read as a row of
/// its own, quote and all, and every line after it as before. A quoted field that really spans
/// lines stays one row, also where rows end with a delimiter the header lacks.
#[test]
fn a_stray_quote_does_not_swallow_the_rows_after_it() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.csv");
    let mut text = String::from("Order,Date,Product,Qty,Price,Customer\n");
    text.push_str("1,2024-03-01,\"17 inch monitor,1,10,C1\n");
    text.push_str("2,2024-03-01,lamp,1,12,C2\n");
    text.push_str("3,2024-03-01,\"desk\nwith drawer\",1,12,C3\n");
    let rows = 70_000;
    for i in 4..rows {
        writeln!(text, "{i},2024-03-02,cable {i},2,3.5,C{}", i % 500).unwrap();
    }
    text.push_str(&format!("{rows},2024-03-03,cable,1,3.5,\"broken note\n"));
    text.push_str(&format!("{},2024-03-03,cable,1,3.5,C9\n", rows + 1));
    assert!(text.len() > 2 << 20, "spans more than one read buffer");
    std::fs::write(&path, &text).unwrap();
    let (out, _s) = ingest_path(&path, "orders.csv", &IngestOptions::default());
    let r = &out.report.rows;
    assert_eq!((r.read, r.written, r.rejected), (rows + 1, rows + 1, 0));
    let b = batches(&out);
    let names = strings(&b, "product_name");
    assert_eq!(names[0].as_deref(), Some("\"17 inch monitor"));
    assert_eq!(names[1].as_deref(), Some("lamp"));
    assert_eq!(names[2].as_deref(), Some("desk\nwith drawer"));
    assert_eq!(strings(&b, "customer_id").last().unwrap().as_deref(), Some("C9"));

    // Every data row ends with a delimiter; a note breaks over two lines, legitimately.
    let trailing = dir.path().join("trailing.csv");
    std::fs::write(
        &trailing,
        "Order,Date,Product,Qty,Price,Note\n1,2024-03-01,lamp,1,10,\"call\nfirst\",\n2,2024-03-01,desk,1,12,,\n3,2024-03-02,pen,2,1,,\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&trailing, "trailing.csv", &IngestOptions::default());
    let r = &out.report.rows;
    assert_eq!(
        (r.read, r.written, r.rejected),
        (3, 3, 0),
        "{:?}",
        r.rejected_by_reason
    );
}

/// Nested objects are columns named by their path: `customer.id` is the customer id, never the
/// object's JSON text.
#[test]
fn nested_json_objects_are_read_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.json");
    std::fs::write(
        &path,
        r#"[{"id": "1", "customer": {"id": "C1", "email": "a@b.com"}, "created_at": "2024-03-01T10:00:00Z", "line_items": [{"sku": "A"}], "total": "13.00"},
            {"id": "2", "customer": null, "created_at": "2024-03-02T10:00:00Z", "total": "5.00"}]"#,
    )
    .unwrap();
    // The pipeline takes the dataset from the upload's prefix (incoming/sales/).
    let opts = IngestOptions {
        dataset: Some(Dataset::Sales),
        ..Default::default()
    };
    let (out, _s) = ingest_path(&path, "orders.json", &opts);
    assert_eq!(
        out.report.rows.written, 2,
        "{:?}",
        out.report.rows.rejected_by_reason
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "customer_id"), [Some("C1".to_string()), None]);
    assert_eq!(floats(&b, "line_amount"), [13.0, 5.0]);
    let used = &out.report.mapping.as_ref().unwrap().used;
    assert_eq!(
        used.get("customer_id").map(String::as_str),
        Some("customer.id"),
        "{used:?}"
    );
}

/// A JSON array is read element by element: brackets, braces and escaped quotes inside strings
/// do not end an element, an element that is not an object is quarantined with its index, and a
/// file cut off mid-element keeps every element before it and quarantines the partial one.
#[test]
fn json_arrays_are_read_element_by_element() {
    let dir = tempfile::tempdir().unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Sales),
        ..Default::default()
    };
    let whole = concat!(
        "\u{feff} [\n",
        r#"{"id": "1", "customer_id": "C]1", "created_at": "2024-03-01T10:00:00Z", "total": 13, "note": "a \"}\" b [x"},"#,
        "\n  42 ,\n",
        r#"{"id": "2", "customer_id": "C2", "created_at": "2024-03-02T10:00:00Z", "total": 5.5, "items": [{"sku": "A"}, {"sku": "B"}]}"#,
        "\n]\n"
    );
    let (out, _s, _d) = sales_text("orders.json", whole);
    let r = &out.report.rows;
    assert_eq!(
        (r.read, r.written, r.rejected),
        (3, 2, 1),
        "{:?}",
        r.rejected_by_reason
    );
    let b = batches(&out);
    assert_eq!(
        strings(&b, "customer_id"),
        [Some("C]1".to_string()), Some("C2".to_string())]
    );
    assert_eq!(floats(&b, "line_amount"), [13.0, 5.5]);
    assert_eq!(ints(&b, "source_line"), [1, 3]);

    // A file cut off, a missing comma or a second array pasted on: rows would be lost without a
    // count, so the file is refused whole with the reason, as the parser of the whole file did.
    let cut = &whole[..whole.find(r#""items""#).unwrap()];
    let no_comma = whole.replacen("},\n  42 ,", "}\n  42 ,", 1);
    let two = format!("{whole}[]");
    for (name, text, says) in [
        ("cut.json", cut.to_string(), "without its closing bracket"),
        (
            "no_comma.json",
            no_comma,
            "no comma or closing bracket after element 1",
        ),
        ("two.json", two, "after the array's closing bracket"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (out, _s) = ingest_path(&path, name, &opts);
        let err = out.report.error.as_ref().expect(name);
        assert_eq!(err.code, "malformed_file", "{name}");
        assert!(err.message.contains(says), "{name}: {}", err.message);
        assert!(out.files.is_empty(), "{name}");
    }
}

/// A JSON export leaves out keys whose value is null: a field first seen after many objects (an
/// email only registered customers have) is a column all the same, in arrays and JSON Lines.
#[test]
fn json_columns_come_from_every_object() {
    let dir = tempfile::tempdir().unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Sales),
        ..Default::default()
    };
    let row = |i: usize| {
        let email = if i == 2500 {
            r#", "email": "late@x.com""#
        } else {
            ""
        };
        format!(r#"{{"id": "{i}", "created_at": "2024-03-01T10:00:00Z", "total": 1{email}}}"#)
    };
    let objects: Vec<String> = (0..3000).map(row).collect();
    for (name, text) in [
        ("late.json", format!("[{}]", objects.join(","))),
        ("late.jsonl", objects.join("\n")),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (out, _s) = ingest_path(&path, name, &opts);
        assert_eq!(out.report.rows.written, 3000, "{name}");
        let ids = strings(&batches(&out), "customer_id");
        assert_eq!(ids.iter().flatten().collect::<Vec<_>>(), ["late@x.com"], "{name}");
    }
}

/// An order with a nested array of line items (Shopify's Admin API and WooCommerce's REST
/// exports) is one row per item: the item's product, quantity and price, with the order's number,
/// date, buyer and address. The order's total (tax and shipping included) is no line's amount, and
/// one row per order lost every product with status ok. Rows read count the items, all under the
/// order's source line; an order without items is one row as before.
#[test]
fn nested_line_items_are_rows_of_their_order() {
    let shopify = r##"[
  {"id": 450789469001, "name": "#1001", "order_number": 1001, "email": "a@example.com",
   "created_at": "2024-01-01T19:30:00-05:00", "currency": "USD", "financial_status": "paid",
   "total_price": "35.00", "subtotal_price": "30.00", "total_tax": "5.00",
   "customer": {"id": 207119552, "email": "a@example.com"},
   "billing_address": {"city": "Ottawa", "country": "Canada"},
   "line_items": [
     {"id": 11, "sku": "IPOD-342", "title": "iPod Nano", "name": "iPod Nano - green", "quantity": 1, "price": "10.00"},
     {"id": 12, "sku": "CASE-1", "title": "Case", "name": "Case - black", "quantity": 2, "price": "10.00"},
     "gift wrap"
   ]},
  {"id": 450789469002, "name": "#1002", "order_number": 1002, "email": "b@example.com",
   "created_at": "2024-01-02T10:00:00Z", "currency": "USD", "financial_status": "paid",
   "total_price": "7.00", "billing_address": {"city": "Toronto", "country": "Canada"},
   "line_items": []}
]"##;
    let (out, _s, _d) = sales_text("shopify_orders.json", shopify);
    let r = &out.report.rows;
    assert_eq!(
        (r.read, r.written, r.rejected),
        (4, 3, 1),
        "{:?}",
        r.rejected_by_reason
    );
    assert_eq!(r.rejected_by_reason.get("bad_json"), Some(&1));
    let b = batches(&out);
    let some = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
    // The order's `name`, as Shopify's CSV export and bulk JSONL give it: the same orders
    // uploaded both ways are one order each.
    assert_eq!(strings(&b, "order_id"), some(&["#1001", "#1001", "#1002"]));
    assert_eq!(
        strings(&b, "product_id"),
        [Some("IPOD-342".into()), Some("CASE-1".into()), None]
    );
    assert_eq!(
        strings(&b, "product_name"),
        [
            Some("iPod Nano - green".into()),
            Some("Case - black".into()),
            None
        ]
    );
    assert_eq!(floats(&b, "quantity"), [1.0, 2.0, 1.0]);
    assert_eq!(floats(&b, "line_amount"), [10.0, 20.0, 7.0]);
    assert_eq!(strings(&b, "city"), some(&["Ottawa", "Ottawa", "Toronto"]));
    assert_eq!(ints(&b, "source_line"), [1, 1, 2]);
    let used = &out.report.mapping.as_ref().unwrap().used;
    assert_eq!(
        used.get("product_name").map(String::as_str),
        Some("item.name"),
        "{used:?}"
    );

    // WooCommerce's REST orders, as JSON Lines: the order is its `number`, the item's `id`,
    // `name` and `total` are the line's.
    let woo = [
        r#"{"id": 701, "number": "W-701", "status": "processing", "currency": "EUR", "date_created": "2024-02-01T10:15:00", "total": "29.80", "customer_id": 41, "billing": {"email": "eva@example.de", "city": "Berlin", "country": "DE"}, "line_items": [{"id": 11, "name": "Kaffee", "sku": "KAF-1", "quantity": 2, "subtotal": "19.80", "total": "19.80", "price": 9.9}, {"id": 12, "name": "Tasse", "sku": "TAS-1", "quantity": 1, "subtotal": "10.00", "total": "10.00", "price": 10}]}"#,
        r#"{"id": 702, "status": "completed", "currency": "EUR", "date_created": "2024-02-02T10:15:00", "total": "5.00", "customer_id": 42, "billing": {"email": "max@example.de", "city": "Köln", "country": "DE"}, "line_items": [{"id": 21, "name": "Tee", "sku": "TEE-1", "quantity": 1, "total": "5.00", "price": 5}]}"#,
    ];
    let (out, _s, _d) = sales_text("woo_orders.jsonl", &woo.join("\n"));
    let r = &out.report.rows;
    assert_eq!((r.read, r.written), (3, 3), "{:?}", r.rejected_by_reason);
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), some(&["W-701", "W-701", "702"]));
    assert_eq!(strings(&b, "product_name"), some(&["Kaffee", "Tasse", "Tee"]));
    assert_eq!(floats(&b, "line_amount"), [19.8, 10.0, 5.0]);
    assert_eq!(ints(&b, "source_line"), [1, 1, 2]);
    assert_eq!(strings(&b, "country"), some(&["DE", "DE", "DE"]));
}

/// BigCommerce's V2 products name their order (`order_id`) and their line (`id`) beside the
/// product (`product_id`, `sku`): the order's id is the order id for all its items, also where an
/// item does not repeat it, and the product is the product's, not the line's.
#[test]
fn an_items_own_order_id_and_line_id_do_not_take_over() {
    let json = r#"[
 {"id": 101, "date_created": "2024-03-06T12:00:00Z", "currency": "USD", "customer_id": 12,
  "line_items": [{"id": 1, "order_id": 101, "product_id": 77, "name": "Widget", "quantity": 2, "price": "10.00"},
                 {"id": 2, "order_id": 101, "product_id": 78, "name": "Gadget", "quantity": 1, "price": "8.00"}]},
 {"id": 102, "date_created": "2024-03-07T12:00:00Z", "currency": "USD", "customer_id": 13,
  "line_items": [{"id": 3, "product_id": 79, "name": "Pin", "quantity": 1, "price": "5.00"}]}
]"#;
    let (out, _s, _d) = sales_text("orders.json", json);
    let r = &out.report.rows;
    assert_eq!((r.read, r.written), (3, 3), "{:?}", r.rejected_by_reason);
    let b = batches(&out);
    let some = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
    assert_eq!(strings(&b, "order_id"), some(&["101", "101", "102"]));
    assert_eq!(strings(&b, "product_id"), some(&["77", "78", "79"]));
}

/// Shopify states a line's price before its discount and the discount beside it ("Lineitem
/// discount"; an Admin API item's `total_discount` or `discount_allocations`): the line's value
/// is after it, as the data contract's line_amount says.
#[test]
fn shopify_line_discounts_are_taken_off_the_line() {
    let csv = "Name,Email,Financial Status,Currency,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem discount\n\
               #1,a@x.com,paid,USD,22.00,2024-01-10 10:00:00 +0000,2,A,10.00,3.00\n\
               #1,a@x.com,,,,2024-01-10 10:00:00 +0000,1,B,5.00,0\n\
               #2,b@x.com,paid,USD,0.00,2024-01-11 10:00:00 +0000,1,C,5.00,5.00\n";
    let (out, _s, _d) = sales_text("orders_export.csv", csv);
    assert_eq!(out.report.rows.written, 3, "{:?}", out.report.rows);
    assert_eq!(floats(&batches(&out), "line_amount"), [17.0, 5.0, 0.0]);
    let mapping = out.report.mapping.as_ref().unwrap();
    assert!(
        !mapping.unmapped.iter().any(|h| h == "Lineitem discount"),
        "{:?}",
        mapping.unmapped
    );

    let json = r##"{"orders": [
  {"id": 1, "name": "#1001", "order_number": 1001, "email": "a@x.com", "financial_status": "paid",
   "created_at": "2024-03-01T10:00:00Z", "currency": "USD", "total_price": "45.00",
   "line_items": [
     {"id": 11, "sku": "A", "name": "A", "quantity": 2, "price": "10.00", "total_discount": "5.00",
      "discount_allocations": [{"amount": "5.00", "discount_application_index": 0}]},
     {"id": 12, "sku": "B", "name": "B", "quantity": 3, "price": "10.00", "total_discount": "0.00",
      "discount_allocations": [{"amount": "2.50"}, {"amount": "2.50"}]},
     {"id": 13, "sku": "C", "name": "C", "quantity": 1, "price": "4.00"}
   ]}
]}"##;
    let (out, _s, _d) = sales_text("orders.json", json);
    assert_eq!(out.report.rows.written, 3, "{:?}", out.report.rows);
    assert_eq!(floats(&batches(&out), "line_amount"), [15.0, 25.0, 4.0]);
}

/// An order with two lists of lines (`line_items` and `items`) is read from `line_items`; the
/// other list's items are quarantined, each saying so, not lost unsaid.
#[test]
fn an_orders_second_list_of_items_is_quarantined_not_lost() {
    let json = r#"[{"id": 1, "number": "J1", "date_created": "2024-03-02T10:00:00Z", "currency": "USD", "customer_id": 101, "total": "999",
  "line_items": [{"name": "A", "sku": "A", "quantity": 1, "price": "2.00"}],
  "items": [{"name": "Z", "sku": "Z", "quantity": 9, "price": "9.00"}, {"name": "Y", "sku": "Y", "quantity": 1, "price": "1.00"}]}]"#;
    let (out, _s, _d) = sales_text("orders.json", json);
    let r = &out.report.rows;
    assert_eq!((r.read, r.written, r.rejected), (3, 1, 2), "{r:?}");
    assert_eq!(r.rejected_by_reason.get("other_item_array"), Some(&2));
    let b = batches(&out);
    assert_eq!(strings(&b, "product_id"), [Some("A".to_string())]);
    assert_eq!(floats(&b, "line_amount"), [2.0]);
}

/// Which amount an item gives may change along a file: items giving only their `total` after
/// thousands giving a price are read by their total, not quarantined for the price the first
/// items decided on; an order without items is still read by its own total.
#[test]
fn items_giving_only_their_total_after_priced_ones_are_read() {
    let priced = (0..3000).map(|i| {
        format!(
            r#"{{"id": {i}, "number": "J{i}", "date_created": "2024-03-01T10:00:00Z", "currency": "USD", "customer_id": {i}, "total": "999", "line_items": [{{"name": "A", "sku": "A", "quantity": 2, "price": "2.00"}}]}}"#
        )
    });
    let late = [
        r#"{"id": 9001, "number": "L1", "date_created": "2024-03-02T10:00:00Z", "currency": "USD", "customer_id": 9001, "total": "999", "line_items": [{"name": "L", "sku": "L", "quantity": 2, "total": "7.00"}]}"#.to_string(),
        r#"{"id": 9002, "number": "L2", "date_created": "2024-03-03T10:00:00Z", "currency": "USD", "customer_id": 9002, "total": "30.00", "line_items": []}"#.to_string(),
    ];
    let text = format!("[{}]", priced.chain(late).collect::<Vec<_>>().join(",\n"));
    let (out, _s, _d) = sales_text("orders.json", &text);
    let r = &out.report.rows;
    assert_eq!((r.read, r.written), (3002, 3002), "{:?}", r.rejected_by_reason);
    let amounts = floats(&batches(&out), "line_amount");
    assert_eq!(amounts[..2], [4.0, 4.0]);
    assert_eq!(amounts[3000..], [7.0, 30.0]);
}

/// An order whose number fields are null (a draft or POS order beside numbered ones) is named
/// by its `id`, as one without the fields is: its lines are one order, not each a purchase.
#[test]
fn a_json_order_with_a_null_number_is_named_by_its_id() {
    let order = |id: u32, number: &str| {
        format!(
            r#"{{"id": {id}, "order_number": {number}, "name": null, "created_at": "2024-03-01T10:15:00Z", "currency": "EUR", "customer_id": {id}, "line_items": [{{"sku": "MUG", "quantity": 1, "price": "10.00"}}, {{"sku": "POT", "quantity": 1, "price": "40.00"}}]}}"#
        )
    };
    for (numbers, want) in [
        (["1001", "null"], ["1001", "1001", "9002", "9002"]),
        (["null", "null"], ["9001", "9001", "9002", "9002"]),
        (["\"\"", "1002"], ["9001", "9001", "1002", "1002"]),
    ] {
        let text = format!("[{},{}]", order(9001, numbers[0]), order(9002, numbers[1]));
        let (out, _s, _d) = sales_text("orders.json", &text);
        assert_eq!(
            out.report.rows.written, 4,
            "{:?}",
            out.report.rows.rejected_by_reason
        );
        let got = strings(&batches(&out), "order_id");
        let want: Vec<Option<String>> = want.iter().map(|w| Some(w.to_string())).collect();
        assert_eq!(got, want, "{numbers:?}");
    }
}

/// An API's answer wraps the records in an object (`{"orders": [...]}`, Shopify's Admin API;
/// `{"data": {"items": [...]}}`): the array is read as if it were the file, pretty-printed or on
/// one line, whatever other members (counts, links) stand beside it. Such files were refused as
/// "no JSON objects found" or as a sales export of one column. An object holding no list of
/// records (a settings file) is refused saying so.
#[test]
fn json_objects_wrapping_the_records_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Sales),
        ..Default::default()
    };
    let order = |i: usize| {
        format!(
            r#"{{"order_id": "N{i}", "order_date": "2024-03-0{i} 14:00:00", "customer_id": "10{i}", "product": "Soap", "quantity": {i}, "unit_price": "3.50"}}"#
        )
    };
    let orders = [order(1), order(2)].join(",\n    ");
    for (name, text) in [
        (
            "pretty.json",
            format!("{{\n  \"count\": 2,\n  \"orders\": [\n    {orders}\n  ],\n  \"next\": null\n}}\n"),
        ),
        (
            "deep.json",
            format!(
                r#"{{"meta": {{"page": 1}}, "data": {{"total": 2, "items": [{orders}]}}, "links": [{{"rel": "next"}}, {{"rel": "prev"}}]}}"#
            ),
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (out, _s) = ingest_path(&path, name, &opts);
        assert_eq!(out.report.error.as_ref().map(|e| &e.message), None, "{name}");
        let r = &out.report.rows;
        assert_eq!((r.read, r.written), (2, 2), "{name}: {:?}", r.rejected_by_reason);
        let b = batches(&out);
        assert_eq!(floats(&b, "line_amount"), [3.5, 7.0], "{name}");
        assert_eq!(ints(&b, "source_line"), [1, 2], "{name}");
        let container = out.report.format.as_ref().map(|f| f.container);
        assert_eq!(container, Some(sniff::Container::JsonArray), "{name}");
    }

    // One order on one line is a record, not a wrapper of its line items.
    let path = dir.path().join("one.jsonl");
    std::fs::write(
        &path,
        r#"{"id": "1", "created_at": "2024-03-01T10:00:00Z", "email": "a@b.com", "items": [{"sku": "A", "quantity": 2, "price": 3}]}"#,
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "one.jsonl", &opts);
    assert_eq!(out.report.rows.written, 1);
    assert_eq!(
        strings(&batches(&out), "customer_id"),
        [Some("a@b.com".to_string())]
    );

    for (name, text, says) in [
        (
            "config.json",
            "{\n  \"version\": 2,\n  \"database\": {\"host\": \"localhost\", \"port\": 5432},\n  \"features\": [\"a\", \"b\"],\n  \"debug\": true\n}\n".to_string(),
            "a JSON object, not a list of records (4 keys, not shown: none of them a column name segflow knows (they may be values))",
        ),
        (
            "two_lists.json",
            format!(r#"{{"customers": [{{"id": 1}}], "orders": [{orders}]}}"#),
            "several lists of records (customers, orders)",
        ),
        // Keyed by customers' emails or push ids (Firebase): the keys are values, never shown.
        (
            "firebase_customers.json",
            "{\n  \"alice.secret@victim.example\": {\"plan\": \"pro\"},\n  \"bob.hidden@victim.example\": {\"plan\": \"free\"}\n}\n".to_string(),
            "a JSON object, not a list of records (2 keys, not shown: none of them a column name segflow knows (they may be values))",
        ),
        // Keyed by people's names, in any script, case or spelling.
        (
            "lower_names.json",
            "{\n  \"anna\": {\"plan\": \"pro\"},\n  \"anna_schmidt\": {\"plan\": \"free\"},\n  \"annaSchmidt\": {\"plan\": \"free\"}\n}\n".to_string(),
            "(3 keys, not shown: none of them a column name segflow knows (they may be values))",
        ),
        (
            "names.json",
            "{\n  \"Anna Schmidt\": {\"plan\": \"pro\"},\n  \"Bob\": {\"plan\": \"free\"},\n  \"مریم\": {\"plan\": \"free\"}\n}\n".to_string(),
            "(3 keys, not shown: none of them a column name segflow knows (they may be values))",
        ),
        (
            "firebase_push_ids.json",
            "{\n  \"-Mx3kQ9aZ1\": {\"plan\": \"pro\"},\n  \"user_12345\": {\"plan\": \"free\"},\n  \"version\": 2\n}\n".to_string(),
            "(3 keys, not shown: none of them a column name segflow knows (they may be values))",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (out, _s) = ingest_path(&path, name, &opts);
        let err = out.report.error.as_ref().expect(name);
        assert_eq!(err.code, "unsupported_format", "{name}: {}", err.message);
        assert!(err.message.contains(says), "{name}: {}", err.message);
        assert!(
            ["victim", "12345", "Anna", "anna", "Bob", "مریم"]
                .iter()
                .all(|v| !err.message.contains(v)),
            "{}",
            err.message
        );
    }

    // A list under a name no export uses is the records beside paging alone; among other
    // fields (segflow's own model.json) its entries are no customers.
    let path = dir.path().join("sales_2024.json");
    std::fs::write(&path, format!(r#"{{"sales_2024": [{orders}], "total": 2}}"#)).unwrap();
    assert_eq!(
        ingest_path(&path, "sales_2024.json", &opts).0.report.rows.written,
        2
    );
    let path = dir.path().join("model.json");
    std::fs::write(
        &path,
        r#"{"state_version": 1, "as_of": "2024-12-31", "k": 3, "feature_names": ["a", "b"], "segments": [{"id": 1, "name": "Lapsed"}, {"id": 2, "name": "Steady"}]}"#,
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "model.json", &IngestOptions::default());
    let err = out.report.error.as_ref().expect("model.json");
    assert_eq!(err.code, "unsupported_format", "{}", err.message);
}

/// An API's empty page (`[]`, `{"orders": []}`, with or without its counts) is an empty file, said
/// so, not a file of the wrong kind or a guessed dataset of one record; an order without items
/// is still a record.
#[test]
fn empty_json_results_are_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    for dataset in [None, Some(Dataset::Sales)] {
        let opts = IngestOptions {
            dataset,
            ..Default::default()
        };
        for (name, text) in [
            ("empty.json", "[]"),
            ("empty_pretty.json", "[\n]\n"),
            ("wrapped.json", r#"{"orders": []}"#),
            ("paged.json", r#"{"orders": [], "total": 0, "page": 1}"#),
            (
                "nested.json",
                "{\n \"data\": {\"items\": []},\n \"meta\": {\"count\": 0}\n}",
            ),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let (out, _s) = ingest_path(&path, name, &opts);
            let err = out.report.error.as_ref().expect(name);
            assert_eq!(err.code, "empty_file", "{name}: {}", err.message);
            assert!(err.message.contains("no records"), "{name}: {}", err.message);
        }
    }
    let opts = IngestOptions {
        dataset: Some(Dataset::Sales),
        ..Default::default()
    };
    let path = dir.path().join("one.jsonl");
    std::fs::write(
        &path,
        r#"{"id": "1", "created_at": "2024-03-01T10:00:00Z", "email": "a@b.com", "total": "5.00", "items": []}"#,
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "one.jsonl", &opts);
    assert_eq!(out.report.error.as_ref().map(|e| e.code), None);
    assert_eq!(out.report.rows.read, 1);
}

/// Persian currency words (in the currency column or after the amount) are Toman and Rial, not
/// unknown currencies; thousand-Toman and thousand-Rial units (Persian WooCommerce's IRHT and
/// IRHR, "هزار تومان") multiply the amounts once, wherever the unit is stated.
#[test]
fn persian_currency_words_and_thousand_units() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &[f64], &[&str]); 9] = [
        (
            "words.csv",
            "Order,Date,Customer,Amount,Currency\n1,2024-03-04,K1,1250000,ریال ایران\n2,2024-03-04,K2,125000,تومان ایران\n3,2024-03-04,K3,125000,ت\n4,2024-03-04,K4,125000,تومن\n5,2024-03-04,K5,125,هزار تومان\n6,2024-03-04,K6,125,IRHT\n7,2024-03-04,K7,1250,IRHR\n",
            &[
                1_250_000.0,
                125_000.0,
                125_000.0,
                125_000.0,
                125_000.0,
                125_000.0,
                1_250_000.0,
            ],
            &["IRR", "IRT", "IRT", "IRT", "IRT", "IRT", "IRR"],
        ),
        // A blank cell under a column that says IRHT everywhere else is in thousands too.
        (
            "irht_blank.csv",
            "Order,Date,Customer,Qty,Unit Price,Currency\n1,2024-03-04,K1,2,125,IRHT\n2,2024-03-05,K2,1,80,\n",
            &[250_000.0, 80_000.0],
            &["IRT", "IRT"],
        ),
        // Shopify-style: the currency on an order's first line only, two currencies in the file.
        (
            "irht_order.csv",
            "Order,Date,Customer,Qty,Unit Price,Currency\n1,2024-03-04,K1,1,125,IRHT\n1,2024-03-04,K1,1,80,\n2,2024-03-05,K2,1,5,EUR\n",
            &[125_000.0, 80_000.0, 5.0],
            &["IRT", "IRT", "EUR"],
        ),
        // The header and the column both say thousand Toman: once, not a million times.
        (
            "header_and_column.csv",
            "Order,Date,Customer,مبلغ (هزار تومان),Currency\n1,2024-03-04,K1,125,IRHT\n2,2024-03-05,K2,80,IRT\n",
            &[125_000.0, 80_000.0],
            &["IRT", "IRT"],
        ),
        // The amount cell states its own unit: the header's is not applied on top.
        (
            "cell_unit.csv",
            "Order,Date,Customer,مبلغ (هزار تومان)\n1,2024-03-04,K1,۸۰ هزار تومان\n2,2024-03-05,K2,125\n",
            &[80_000.0, 125_000.0],
            &["IRT", "IRT"],
        ),
        (
            "t_suffix.csv",
            "شماره فاکتور,کد مشتری,تاریخ,مبلغ\n1,C-1,1402/07/15,\"125,000 ت\"\n2,C-2,1402/07/16,۱۲۵٬۰۰۰ت\n3,C-3,1402/07/17,۸۰ هزار تومان\n",
            &[125_000.0, 125_000.0, 80_000.0],
            &["IRT", "IRT", "IRT"],
        ),
        // Slashes between thousands; one before other than three digits is the decimal mark.
        (
            "slashes.csv",
            "شماره فاکتور,کد مشتری,تاریخ,مبلغ (تومان)\n1,C-1,1402/07/15,3/750\n2,C-2,1402/07/16,۱/۲۰۰/۰۰۰\n3,C-3,1402/07/17,12/5\n4,C-4,1402/07/17,۳/۵۰۰/۰۰۰\n",
            &[3_750.0, 1_200_000.0, 12.5, 3_500_000.0],
            &["IRT", "IRT", "IRT", "IRT"],
        ),
        // The decimal mark ٫ typed between thousands: once is thousands in Toman, as beside it
        // twice; before fewer than three digits it stays the decimal mark.
        (
            "arabic_marks.csv",
            "شماره فاکتور,تاریخ,کد مشتری,نام کالا,تعداد,فی (تومان)\n1,1402/08/01,C-1,چای,1,۱٫۲۵۰٫۰۰۰\n2,1402/08/01,C-1,چای,1,۸۵٫۰۰۰\n3,1402/08/01,C-1,چای,1,۸۵/۰۰۰\n4,1402/08/01,C-1,چای,1,۱۲٫۵\n",
            &[1_250_000.0, 85_000.0, 85_000.0, 12.5],
            &["IRT", "IRT", "IRT", "IRT"],
        ),
        // An English export whose cells name Toman or Rial, two currencies: each cell's own.
        (
            "cell_words_slashes.csv",
            "Order ID,Customer ID,Order Date,Product,Quantity,Unit Price\n1,A1,2023-11-04,x,1,12/500 تومان\n2,A2,2023-11-04,x,1,1/000 ریال\n3,A3,2023-11-04,x,1,3/750 تومان\n",
            &[12_500.0, 1_000.0, 3_750.0],
            &["IRT", "IRR", "IRT"],
        ),
    ];
    for (name, text, amounts, currencies) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (out, _s) = ingest_path(&path, name, &IngestOptions::default());
        let r = &out.report.rows;
        assert_eq!(r.rejected, 0, "{name}: {:?}", r.rejected_by_reason);
        let b = batches(&out);
        assert_eq!(floats(&b, "line_amount"), amounts, "{name}");
        let got: Vec<Option<String>> = currencies.iter().map(|c| Some(c.to_string())).collect();
        assert_eq!(strings(&b, "currency"), got, "{name}");
    }
}

/// A price header in Toman beside an amount header in Rial: the rows are the amount's currency,
/// and the prices (and an amount worked out from them) are converted at Toman's fixed 10 Rial.
/// Two currencies with no fixed rate between them are not converted, and the report says so.
#[test]
fn price_and_amount_headers_in_different_currencies() {
    let (out, _s, _d) = ingest_text(
        "mixed.csv",
        "شماره فاکتور,کد مشتری,تاریخ,تعداد,فی (تومان),مبلغ (ریال)\n\
         1,C-1,1402/07/15,2,\"125,000\",\"2,500,000\"\n\
         2,C-2,1402/07/16,1,\"80,000\",\n",
    );
    assert_eq!(rejected_by_reason(&out), []);
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [2_500_000.0, 800_000.0]);
    assert_eq!(floats(&b, "unit_price"), [1_250_000.0, 800_000.0]);
    assert_eq!(strings(&b, "currency"), some(&["IRR", "IRR"]));
    assert!(out.report.warnings.is_empty(), "{:?}", out.report.warnings);

    let (out, _s, _d) = ingest_text(
        "usd_eur.csv",
        "Order,Date,Customer,Qty,Price (USD),Amount (EUR)\n1,2024-03-04,K1,2,10.00,18.40\n",
    );
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [18.4]);
    assert_eq!(floats(&b, "unit_price"), [10.0]);
    assert_eq!(strings(&b, "currency"), some(&["EUR"]));
    let w = out.report.warnings.join("\n");
    assert!(
        w.contains("\"Price (USD)\" names USD") && w.contains("labelled EUR"),
        "{w}"
    );
}

/// A unit word after a quantity ("۲ عدد", "2 pcs") is read as the count, not quarantined.
#[test]
fn quantities_with_unit_words_are_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qty.csv");
    std::fs::write(
        &path,
        "شماره فاکتور,کد مشتری,تاریخ,تعداد,قیمت واحد\n1,C-1,1402/07/15,۲ عدد,\"125,000\"\n2,C-2,1402/07/16,۱٫۵ کیلوگرم,\"100,000\"\n3,C-3,1402/07/17,2 pcs,\"10,000\"\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "qty.csv", &IngestOptions::default());
    assert_eq!(
        out.report.rows.rejected, 0,
        "{:?}",
        out.report.rows.rejected_by_reason
    );
    let b = batches(&out);
    assert_eq!(floats(&b, "quantity"), [2.0, 1.5, 2.0]);
    assert_eq!(floats(&b, "line_amount"), [250_000.0, 150_000.0, 20_000.0]);
}

/// Cities written with Arabic yeh and kaf (Windows-1256 software, Arabic keyboards) are the same
/// cities as the Persian spellings; product names and ids are kept exactly as written.
#[test]
fn arabic_letter_variants_of_a_city_are_one_city() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cities.csv");
    std::fs::write(
        &path,
        "شماره فاکتور,کد مشتری,تاریخ,مبلغ,شهر,کشور,نام کالا\n1,C-1,1402/07/15,100,تبريز,ايران,كتاب\n2,C-2,1402/07/16,100,تبریز,ایران,کتاب\n3,C-ك,1402/07/17,100,كرج,ايران,كتاب\n4,C-4,1402/07/18,100,کرج,ایران,کتاب\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "cities.csv", &IngestOptions::default());
    let b = batches(&out);
    let s = |v: &[&str]| v.iter().map(|c| Some(c.to_string())).collect::<Vec<_>>();
    assert_eq!(strings(&b, "city"), s(&["تبریز", "تبریز", "کرج", "کرج"]));
    assert_eq!(strings(&b, "country"), s(&["ایران"; 4]));
    assert_eq!(strings(&b, "product_name"), s(&["كتاب", "کتاب", "كتاب", "کتاب"]));
    assert_eq!(strings(&b, "customer_id")[2].as_deref(), Some("C-ك"));

    // Customer lists: city and job title are grouped by in the profiles.
    let path = dir.path().join("customers.csv");
    std::fs::write(
        &path,
        "کد مشتری,ایمیل,شهر,شغل\nC-1,a@x.ir,تبريز,مدير عامل\nC-2,b@x.ir,تبریز,مدیر عامل\n",
    )
    .unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Customers),
        ..Default::default()
    };
    let (out, _s) = ingest_path(&path, "customers.csv", &opts);
    let b = batches(&out);
    assert_eq!(strings(&b, "city"), s(&["تبریز"; 2]));
    assert_eq!(strings(&b, "job_title"), s(&["مدیر عامل"; 2]));
}

/// Ingests `text` as the activity export `name`.
fn ingest_activity(
    name: &str,
    text: &str,
    mapping: Option<MappingOverride>,
) -> (IngestOutcome, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Activity),
        mapping,
        ..Default::default()
    };
    ingest_upload(&path, "activity", name, &opts)
}

/// GA4's BigQuery export counts `event_timestamp` in microseconds; other pipelines write
/// nanoseconds. Both are read, and the report names the unit.
#[test]
fn ga4_microsecond_and_nanosecond_timestamps() {
    for (digits, unit, ts) in [
        ("micros", "unix-micros", ["1718877600000007", "1718877661000007"]),
        (
            "nanos",
            "unix-nanos",
            ["1718877600000007000", "1718877661000007000"],
        ),
    ] {
        let text = format!(
            "event_date,event_timestamp,event_name,user_id,page_location\n\
             20240620,{},page_view,U0,https://x/pricing\n\
             20240620,{},page_view,U1,https://x/pricing\n",
            ts[0], ts[1]
        );
        let (out, _s) = ingest_activity(&format!("ga4_{digits}.csv"), &text, None);
        let r = &out.report;
        assert_eq!(
            (r.rows.written, r.rows.rejected),
            (2, 0),
            "{digits}: {:?}",
            r.rows
        );
        assert_eq!(r.parsing.as_ref().unwrap().date_format, unit);
        assert_eq!(
            timestamps(&batches(&out), "event_ts"),
            [
                "2024-06-20T10:00:00.000007+00:00",
                "2024-06-20T10:01:01.000007+00:00"
            ]
        );
    }
}

/// Exports without an event column whose rows are all one event: Mailchimp's unsubscribed
/// members, Gravity Forms and Contact Form 7 entries; and a mapping file's constant.
#[test]
fn an_export_of_one_kind_of_event_needs_no_event_column() {
    let (out, _s) = ingest_activity(
        "unsubscribed_members_export_abc123.csv",
        "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_REASON,LEID,EUID\n\
         f006@shop.example,Fritz,Six,2,2023-01-01 10:00:00,2024-06-21 09:00:00,June News,No longer interested,123,abc\n",
        None,
    );
    let r = &out.report;
    assert_eq!((r.status, r.rows.written), (Status::Ok, 1), "{:?}", r.error);
    let implied = r.mapping.as_ref().unwrap().implied_event_type.as_ref().unwrap();
    assert_eq!(
        (implied.event_type, implied.from.as_str()),
        ("unsubscribe", "UNSUB_TIME")
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "event_type"), [Some("unsubscribe".to_string())]);
    assert_eq!(strings(&b, "event_raw"), [None]);
    assert_eq!(strings(&b, "contact_id"), [Some("f006@shop.example".to_string())]);
    assert_eq!(timestamps(&b, "event_ts"), ["2024-06-21T09:00:00+00:00"]);
    let json = serde_json::to_value(r).unwrap();
    assert_eq!(
        json["mapping"]["implied_event_type"],
        serde_json::json!({"event_type": "unsubscribe", "from": "UNSUB_TIME"})
    );

    let (out, _s) = ingest_activity(
        "gravityforms-request-a-quote-export-2024-06-30.csv",
        "Entry Id,Entry Date,Name (First),Name (Last),Email,Job Title,Source Url,User IP\n\
         17,06/18/2024 2:23 pm,Lina,Moser,lina.moser@gf.example,CEO,https://shop.example/quote,203.0.113.5\n\
         18,06/19/2024 9:05 am,Paul,Roth,paul.roth@gf.example,Student,https://shop.example/quote,203.0.113.6\n",
        None,
    );
    let r = &out.report;
    assert_eq!((r.status, r.rows.written), (Status::Ok, 2), "{:?}", r.error);
    let b = batches(&out);
    assert_eq!(
        strings(&b, "event_type"),
        [Some("form_submit".to_string()), Some("form_submit".to_string())]
    );
    assert_eq!(strings(&b, "job_title")[0].as_deref(), Some("CEO"));
    assert_eq!(
        strings(&b, "page")[0].as_deref(),
        Some("https://shop.example/quote")
    );
    assert_eq!(timestamps(&b, "event_ts")[0], "2024-06-18T14:23:00+00:00");

    let (out, _s) = ingest_activity(
        "cfdb7-contact-form-1.csv",
        "your-name,your-email,your-subject,your-message,Date\n\
         Ali Rezaei,ali.rezaei@cf7.example,Quote,Please send prices,2024-06-20 10:00:00\n",
        None,
    );
    let r = &out.report;
    assert_eq!((r.status, r.rows.written), (Status::Ok, 1), "{:?}", r.error);
    assert_eq!(
        strings(&batches(&out), "event_type"),
        [Some("form_submit".to_string())]
    );
    assert_eq!(r.stats.as_ref().unwrap().event_types["form_submit"], 1);

    // Without anything that says what the rows are, the file is still refused, and the message
    // says how to name the event.
    let (out, _s) = ingest_activity("signups.csv", "Email,Date\na@x.example,2024-06-20\n", None);
    let err = out.report.error.as_ref().unwrap();
    assert_eq!(err.code, "missing_columns");
    assert!(
        err.message
            .starts_with("this does not look like an activity export: "),
        "{}",
        err.message
    );
    assert!(
        err.message.contains(r#"{"event_type": "form_submit"}"#),
        "{}",
        err.message
    );
    let over = MappingOverride::from_json(r#"{"event_type": "newsletter_signup"}"#).unwrap();
    let (out, _s) = ingest_activity("signups.csv", "Email,Date\na@x.example,2024-06-20\n", Some(over));
    let r = &out.report;
    assert_eq!((r.status, r.rows.written), (Status::Ok, 1), "{:?}", r.error);
    let implied = r.mapping.as_ref().unwrap().implied_event_type.as_ref().unwrap();
    assert_eq!(
        (implied.event_type, implied.from.as_str()),
        ("newsletter_signup", "mapping file")
    );
    assert_eq!(
        strings(&batches(&out), "event_type"),
        [Some("newsletter_signup".to_string())]
    );
}

/// The report counts rows per event type and lists the names read as `other`, so a vocabulary
/// the product does not know is seen.
#[test]
fn the_report_counts_event_types_and_lists_unrecognised_names() {
    use std::fmt::Write as _;
    let mut text = String::from("Contact ID,Event Type,Timestamp\n");
    let long = "x".repeat(70);
    let mut rows = vec![
        ("page_view", 3),
        ("session_start", 5),
        ("scroll", 4),
        ("unsub", 1),
        ("video_progress", 3),
        (long.as_str(), 1),
    ];
    // 25 names of 3 rows each: 20 are listed, the names that repeat are event names.
    let names: Vec<String> = (0..25).map(|i| format!("custom_event_{i:02}")).collect();
    rows.extend(names.iter().map(|n| (n.as_str(), 3)));
    // Rare values (a note on one row) are counted without being named.
    rows.extend([("Note one", 1), ("Note two", 2)]);
    let mut line = 0;
    for (event, n) in &rows {
        for _ in 0..*n {
            line += 1;
            writeln!(text, "C{line},{event},2024-06-01 10:{:02}", line % 60).unwrap();
        }
    }
    // A note about one person on each of her calls, and one of two people, however many rows
    // (a privacy review found names in the report so): counted, never named.
    for i in 0..4 {
        writeln!(text, "S1,Call - Sara Jones,2024-06-02 10:0{i}").unwrap();
        writeln!(text, "R{},Meeting Dr Reza Karimi,2024-06-02 11:0{i}", i % 2).unwrap();
    }
    let (out, _s) = ingest_activity("events.csv", &text, None);
    let stats = out.report.stats.as_ref().unwrap();
    let other = 5 + 4 + 3 + 1 + 75 + 3 + 8;
    assert_eq!(
        stats.event_types,
        [("other", other), ("page_view", 3), ("unsubscribe", 1)]
            .into_iter()
            .collect()
    );
    let listed: Vec<(&str, u64)> = stats
        .other_events
        .iter()
        .map(|e| (e.value.as_str(), e.rows))
        .collect();
    assert_eq!(listed.len(), 20);
    assert_eq!(
        &listed[..5],
        [
            ("(free text or rare, not shown)", 12),
            ("session_start", 5),
            ("scroll", 4),
            ("custom_event_00", 3),
            ("custom_event_01", 3)
        ]
    );
    let json = serde_json::to_value(&out.report).unwrap();
    assert_eq!(json["stats"]["event_types"]["page_view"], 3);
    assert_eq!(
        json["stats"]["other_events"][1],
        serde_json::json!({"value": "session_start", "rows": 5})
    );

    let (out, _s) = ingest_activity(
        "long.csv",
        &format!("Contact ID,Event Type,Timestamp\nC1,{long},2024-06-01\n"),
        None,
    );
    // Longer than an event name: counted, never shown.
    let stats = out.report.stats.as_ref().unwrap();
    assert_eq!(stats.other_events[0].value, "(free text or rare, not shown)");
    // Sales and customers reports have no event counts.
    let (out, _s) = ingest("exports/sales/erp_orders.xlsx", &IngestOptions::default());
    let json = serde_json::to_value(&out.report).unwrap();
    assert!(json["stats"].get("event_types").is_none() && json["stats"].get("other_events").is_none());
}

/// Ingests `text` as `name` uploaded to `incoming/<dataset>/`; the outcome and the staging folder
/// its files are in.
fn ingest_as(dataset: Dataset, name: &str, text: &str) -> (IngestOutcome, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let opts = IngestOptions {
        dataset: Some(dataset),
        ..IngestOptions::default()
    };
    ingest_upload(&path, dataset.name(), name, &opts)
}

/// Ingests `text` as `name` uploaded to `incoming/<dataset>/`; the customer (or contact) ids of
/// its written rows.
fn keys_of(dataset: Dataset, name: &str, text: &str) -> (Vec<Option<String>>, IngestOutcome) {
    let (out, _s) = ingest_as(dataset, name, text);
    let col = if dataset == Dataset::Activity {
        "contact_id"
    } else {
        "customer_id"
    };
    (strings(&batches(&out), col), out)
}

fn some(v: &[&str]) -> Vec<Option<String>> {
    v.iter().map(|s| (!s.is_empty()).then(|| s.to_string())).collect()
}

/// A Basalam-style order sheet names the buyer and gives their mobile: the mobile keys the
/// customer, written however the shop wrote it, so two «علی احمدی» with two mobiles are two
/// customers and one mobile in three spellings is one. A row without a plausible mobile is its
/// name's buyer: the mobile the name had on an earlier row, else the name (a hand-kept sheet
/// leaves a repeat buyer's mobile out).
#[test]
fn a_mobile_number_keys_the_buyer_before_a_name() {
    let (keys, out) = keys_of(
        Dataset::Sales,
        "basalam.csv",
        "شماره سفارش,نام مشتری,شماره موبایل,تاریخ سفارش,مبلغ (تومان)\n\
         1,علی احمدی,09121234567,2024-01-05,100000\n\
         2,علی احمدی,۰۹۳۵ ۱۱۱ ۲۲۳۳,2024-01-06,200000\n\
         3,علی احمدي,+98 912 123 4567,2024-01-07,300000\n\
         4,زهرا محمدی,00989121234567,2024-01-08,400000\n\
         5,زهرا محمدی,,2024-01-09,500000\n\
         6,زهرا محمدی,تماس نگیرید,2024-01-10,600000\n\
         7,لیلا نقدی,,2024-01-11,700000\n\
         8,مشتری متفرقه,,2024-01-12,800000\n\
         9,علی احمدی,,2024-01-13,900000\n",
    );
    assert_eq!(
        keys,
        some(&[
            "+989121234567",
            "+989351112233",
            "+989121234567",
            "+989121234567",
            "+989121234567",
            "+989121234567",
            "لیلا نقدی",
            "",
            // «علی احمدی» had two mobiles: two people, neither of whom this row can be said to be.
            "علی احمدی"
        ])
    );
    // The walk-in account is no name to key by.
    let guests = out.report.stats.as_ref().and_then(|s| s.guest_rows);
    assert_eq!(guests, Some(1));
}

/// The key order is a real id, else the email, else the mobile; WooCommerce's guest id 0 falls
/// through to both.
#[test]
fn a_real_id_and_an_email_key_before_a_mobile() {
    let (keys, _) = keys_of(
        Dataset::Sales,
        "woo.csv",
        "Order Number,Customer User ID,Billing Email,Billing Phone,Order Date,Order Total\n\
         1,17,ann@x.com,09121234567,2024-01-05,10\n\
         2,,Bob@X.com,09121234567,2024-01-06,10\n\
         3,,,09121234567,2024-01-07,10\n\
         4,0,,0912 123 4567,2024-01-08,10\n\
         5,0,cy@x.com,09351112233,2024-01-09,10\n",
    );
    assert_eq!(
        keys,
        some(&["17", "bob@x.com", "+989121234567", "+989121234567", "cy@x.com"])
    );
}

/// Customers and activity exports key people by the same rule, so they join the sales: a
/// customer list or an SMS campaign log keyed by mobile alone is read, not rejected.
#[test]
fn customers_and_activity_keyed_by_mobile() {
    let (keys, out) = keys_of(
        Dataset::Customers,
        "customers.csv",
        "نام,موبایل,رضایت دریافت پیامک تبلیغاتی\n\
         علی احمدی,۰۹۱۲۱۲۳۴۵۶۷,خیر\n\
         زهرا محمدی,9351112233,بله\n\
         بی‌شماره,,بله\n",
    );
    assert_eq!(keys, some(&["+989121234567", "+989351112233"]));
    assert_eq!(out.report.rows.rejected, 1);
    let (keys, _) = keys_of(
        Dataset::Activity,
        "sms.csv",
        "Mobile,Event,Timestamp\n+98 912 123 4567,unsubscribe,2024-02-01 10:00\n",
    );
    assert_eq!(keys, some(&["+989121234567"]));
}

/// Ten bare digits from 9 are an Iranian mobile whose zero a spreadsheet dropped only in a file
/// that shows it is Iranian (Persian in its header or cells, or the same column's other numbers
/// written in full); in an American shop's list they are the New York number they look like.
#[test]
fn bare_ten_digit_numbers_are_iranian_mobiles_only_in_an_iranian_file() {
    let (keys, _) = keys_of(
        Dataset::Sales,
        "us.csv",
        "Name,Phone,Date,Amount\n\
         Amy Lee,9175550123,2024-01-05,20\n\
         Bo Chan,(917) 555-0123,2024-01-06,20\n",
    );
    assert_eq!(keys, some(&["tel:9175550123", "tel:9175550123"]));
    let (keys, _) = keys_of(
        Dataset::Sales,
        "ir.csv",
        "Name,Phone,Date,Amount\n\
         Ali,9121234567,2024-01-05,20\n\
         Reza,0912 765 4321,2024-01-06,20\n",
    );
    assert_eq!(keys, some(&["+989121234567", "+989127654321"]));
    let (keys, _) = keys_of(Dataset::Customers, "ir.csv", "موبایل,شهر\n9121234567,Tehran\n");
    assert_eq!(keys, some(&["+989121234567"]));
}

/// A shop's orders keyed by customer number that also give the buyer's email and mobile
/// (WooCommerce's customer id, billing email and phone) link each number to its addresses in a
/// customers file of the upload's own: once per link, none for a guest (customer 0, keyed by its
/// email) or a row without an address, and no such file for an export without addresses.
#[test]
fn a_sales_exports_numbers_are_linked_to_their_emails_and_mobiles() {
    let (out, _s, _d) = ingest_text(
        "woo.csv",
        "Order Number,Order Date,Customer User ID,Billing Email,Billing Phone,Order Total,Status\n\
         1,2024-01-05,17,Ann@X.com,0912 123 4567,100,completed\n\
         2,2024-01-06,17,ann@x.com,09121234567,100,completed\n\
         3,2024-01-07,0,guest@x.com,09350000000,100,completed\n\
         4,2024-01-08,18,,,100,completed\n\
         5,2024-01-09,19,cy@x.com,,100,completed\n\
         6,2024-01-10,17,ann@work.com,09121234567,100,completed\n\
         7,2024-01-11,0,ho@x.com,09121000019,100,completed\n\
         8,2024-01-12,20,test@x.com,09121000020,100,cancelled\n",
    );
    // The guest keyed by its email links its mobile; the cancelled test order links no one.
    let links = parquet_under(&out, "curated/customers/");
    assert_eq!(
        strings(&links, "customer_id"),
        some(&["17", "19", "17", "ho@x.com"])
    );
    assert_eq!(
        strings(&links, "email"),
        some(&["ann@x.com", "cy@x.com", "ann@work.com", ""])
    );
    assert_eq!(
        strings(&links, "phone"),
        some(&["+989121234567", "", "+989121234567", "+989121000019"])
    );
    // Nothing else is said of them: no consent either way.
    for col in ["marketing_consent", "age", "city", "job_title"] {
        assert!(
            links
                .iter()
                .all(|b| b.column_by_name(col).unwrap().null_count() == b.num_rows())
        );
    }
    assert_eq!(ints(&links, "source_line"), [2, 6, 7, 8]);
    assert_eq!(out.report.outputs.len(), 2, "{:?}", out.report.outputs);
    let (out, _s, _d) = ingest_text(
        "erp.csv",
        "Order Number,Order Date,Customer ID,Amount\n1,2024-01-05,17,100\n",
    );
    assert!(parquet_under(&out, "curated/customers/").is_empty());
    assert!(out.files.iter().all(|f| !f.key.starts_with("curated/customers/")));
}

/// An Iranian SMS panel's inbox: the sender's mobile, the message and its date. A reply of
/// «لغو11» or a request in a sentence is an unsubscribe; any other message is `other`, though it
/// mentions an order.
#[test]
fn an_sms_panels_inbox_reads_its_refusals_only() {
    let (out, _s) = ingest_as(
        Dataset::Activity,
        "inbox.csv",
        "فرستنده,متن پیام,تاریخ\n\
         09121234567,لغو11,1403/02/10 10:00\n\
         09351112233,سلام، سفارشم کی میرسه؟,1403/02/10 11:00\n\
         09351112233,لغو عضویت پیامک,1403/02/11 09:00\n\
         09131112233,لطفا دیگه پیامک نفرستید,1403/02/12 09:00\n",
    );
    let b = batches(&out);
    assert_eq!(
        strings(&b, "contact_id"),
        some(&["+989121234567", "+989351112233", "+989351112233", "+989131112233"])
    );
    assert_eq!(
        strings(&b, "event_type"),
        some(&["unsubscribe", "other", "unsubscribe", "unsubscribe"])
    );
    // Other panels name the sender «ارسال کننده» or «از شماره».
    for header in ["ارسال کننده", "از شماره"] {
        let (out, _s) = ingest_as(
            Dataset::Activity,
            "inbox.csv",
            &format!("{header},متن پیام,تاریخ\n09121234567,لغو11,1403/02/10 10:00\n"),
        );
        let b = batches(&out);
        assert_eq!(strings(&b, "contact_id"), some(&["+989121234567"]), "{header}");
        assert_eq!(strings(&b, "event_type"), some(&["unsubscribe"]), "{header}");
    }
    // A contact form's entries with a message field stay form submissions.
    let (out, _s) = ingest_as(
        Dataset::Activity,
        "cf7.csv",
        "your-email,your-message,Message,Submitted At\n\
         a@x.com,hi,Where is my order?,2024-05-01 10:00\n",
    );
    assert_eq!(strings(&batches(&out), "event_type"), some(&["form_submit"]));
}

/// A messaging log gives the texts both ways (Twilio's `From,To,Body,…,Direction`, a panel's
/// «فرستنده,گیرنده,متن پیام,تاریخ,نوع»): the shop's own messages, whose footers tell how to
/// refuse, are quarantined as expected rows, so the shop's line is no contact and its footer no
/// refusal; the contacts' replies are read.
#[test]
fn a_message_logs_outgoing_messages_are_the_shops() {
    let (out, _s) = ingest_as(
        Dataset::Activity,
        "twilio.csv",
        "From,To,Body,Status,SentDate,Direction\n\
         +14155550101,+18005550199,STOP,received,2024-07-01 10:00:00,inbound\n\
         +14155550102,+18005550199,Where is my order?,received,2024-07-01 11:00:00,inbound\n\
         +18005550199,+14155550103,Sale today! Reply STOP to opt out,delivered,2024-07-01 09:00:00,outbound-api\n",
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "contact_id"), some(&["+14155550101", "+14155550102"]));
    assert_eq!(strings(&b, "event_type"), some(&["unsubscribe", "other"]));
    assert_eq!(rejected_by_reason(&out), [("outgoing_message", 1)]);
    assert_eq!(out.report.status, crate::ingest::report::Status::Ok);
    let m = out.report.mapping.as_ref().unwrap();
    assert_eq!(m.message_direction.as_deref(), Some("Direction"));
    let (out, _s) = ingest_as(
        Dataset::Activity,
        "log.csv",
        "فرستنده,گیرنده,متن پیام,تاریخ دریافت,نوع\n\
         10004346,09121112233,جشنواره پاییزه! ۳۰٪ تخفیف. لغو۱۱,1403/07/01 10:00,ارسالی\n\
         09121112255,10004346,لغو11,1403/07/01 10:30,دریافتی\n",
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "contact_id"), some(&["+989121112255"]));
    assert_eq!(strings(&b, "event_type"), some(&["unsubscribe"]));
    assert_eq!(rejected_by_reason(&out), [("outgoing_message", 1)]);
    // A log whose direction is a bare `Type` (Incoming/Outgoing), beside `From` and `Message`.
    let (out, _s) = ingest_as(
        Dataset::Activity,
        "type.csv",
        "From,To,Message,Date,Type\n\
         +18005550199,+14155550601,Sale! Reply STOP to opt out,2024-07-01 09:00:00,Outgoing\n\
         +14155550602,+18005550199,STOP,2024-07-01 10:00:00,Incoming\n",
    );
    assert_eq!(strings(&batches(&out), "contact_id"), some(&["+14155550602"]));
    assert_eq!(strings(&batches(&out), "event_type"), some(&["unsubscribe"]));
    assert_eq!(rejected_by_reason(&out), [("outgoing_message", 1)]);
    // Melipayamak's names: «نوع پیام» and «تاریخ ارسال».
    let (out, _s) = ingest_as(
        Dataset::Activity,
        "meli.csv",
        "شماره,متن,تاریخ ارسال,نوع پیام\n\
         09121112233,تخفیف ویژه! برای لغو ۱۱ ارسال کنید,1403/07/01 10:00,ارسال\n\
         09121112266,دیگه پیامک نفرستید,1403/07/01 10:30,دریافت\n",
    );
    assert_eq!(strings(&batches(&out), "contact_id"), some(&["+989121112266"]));
    assert_eq!(rejected_by_reason(&out), [("outgoing_message", 1)]);
}

/// A US shop that names its country: its orders' `(415) 555-2106` is `+14155552106`, the key its
/// SMS service gives the same person; numbers written with a country keep theirs, and numbers
/// that fit no US number stay without one.
#[test]
fn a_shops_phone_country_puts_its_numbers_in_e164() {
    let text = "Order Number,Order Date,Billing Phone,Order Total\n\
                1,2024-01-05,(415) 555-2106,10\n\
                2,2024-01-06,+44 20 7946 0958,10\n\
                3,2024-01-07,555-2106,10\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("woo.csv");
    std::fs::write(&path, text).unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Sales),
        phone_country: crate::values::PhoneCountry::from_iso("US"),
        ..IngestOptions::default()
    };
    let (out, _s) = ingest_upload(&path, "sales", "woo.csv", &opts);
    assert_eq!(
        strings(&batches(&out), "customer_id"),
        some(&["+14155552106", "+442079460958", "tel:5552106"])
    );
    // Without the setting, the number keeps no country.
    let (keys, _) = keys_of(Dataset::Sales, "woo.csv", text);
    assert_eq!(keys[0].as_deref(), Some("tel:4155552106"));
}

/// A CRM keys its customers by number and lists their mobile: the mobile is kept in its key
/// form, the way a shop keying buyers by mobile writes them, so segmentation joins the two.
#[test]
fn a_customers_mobile_is_kept_in_key_form_beside_its_number() {
    let (out, _s) = ingest_as(
        Dataset::Customers,
        "crm.csv",
        "کد مشتری,موبایل,ایمیل\n\
         C-1,۰۹۱۲ ۱۲۳ ۴۵۶۷,A@x.com\n\
         C-2,,\n\
         C-3,call me,\n",
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "customer_id"), some(&["C-1", "C-2", "C-3"]));
    assert_eq!(strings(&b, "phone"), some(&["+989121234567", "", ""]));
    assert_eq!(strings(&b, "email"), some(&["a@x.com", "", ""]));
}

/// Where a name is all a file has to key buyers by, one name typed several ways (a double space,
/// Arabic yeh or kaf, a ZWNJ, capitals) is one customer, in every dataset.
#[test]
fn a_name_key_is_one_customer_however_typed() {
    let (keys, _) = keys_of(
        Dataset::Sales,
        "insta.csv",
        "خریدار,تاریخ,مبلغ\n\
         زهرا محمدی,2024-01-05,100\n\
         زهرا  محمدي,2024-01-06,100\n\
         محمد‌حسین كريمی,2024-01-07,100\n\
         محمد حسین کریمی,2024-01-08,100\n\
         Ali AHMADI,2024-01-09,100\n\
         ali ahmadi,2024-01-10,100\n",
    );
    assert_eq!(
        keys,
        some(&[
            "زهرا محمدی",
            "زهرا محمدی",
            "محمد حسین کریمی",
            "محمد حسین کریمی",
            "ali ahmadi",
            "ali ahmadi"
        ])
    );
    for dataset in [Dataset::Customers, Dataset::Activity] {
        let (keys, _) = keys_of(
            dataset,
            "people.csv",
            "Customer Name,Event,Timestamp\nزهرا  محمدي,page_view,2024-01-05 10:00\n",
        );
        assert_eq!(keys, some(&["زهرا محمدی"]), "{dataset:?}");
    }
}

/// A hand-kept list headed `نام,شماره` (name, number): a bare «شماره» is a mobile or an invoice
/// number, and its values say which. Mobiles key the customers and join their orders; an
/// invoice number stays unmapped, and so does a number column beside a phone column. (Before,
/// such a list keyed no one: every row was quarantined.)
#[test]
fn a_bare_number_column_of_mobiles_is_the_phone() {
    let (out, _s) = ingest_as(
        Dataset::Customers,
        "مشتریان.csv",
        "نام,شماره\n\
         زهرا محمدی,09121234567\n\
         علی احمدی,۰۹۳۵ ۱۱۱ ۲۲۳۳\n\
         مریم کریمی,\n",
    );
    let b = batches(&out);
    assert_eq!(
        strings(&b, "customer_id"),
        some(&["+989121234567", "+989351112233"])
    );
    assert_eq!(strings(&b, "phone"), some(&["+989121234567", "+989351112233"]));
    // A name alone keys no one in a customer list: quarantined, with its reason.
    assert_eq!(
        out.report.rows.rejected_by_reason.get("missing_customer_id"),
        Some(&1)
    );
    let m = out.report.mapping.as_ref().unwrap();
    assert!(
        m.used.iter().any(|(f, h)| f == "phone" && h == "شماره"),
        "{:?}",
        m.used
    );
    assert!(m.unmapped.is_empty(), "{:?}", m.unmapped);
    // Saved from Excel, which drops the zero, with a dash and a dummy for buyers who gave none.
    let (keys, _) = keys_of(
        Dataset::Customers,
        "لیست.csv",
        "نام,شماره\n\
         زهرا محمدی,9121234567\n\
         علی احمدی,9351112233\n\
         رضا رضایی,-\n\
         مینا حسینی,09123456789\n\
         سارا کریمی,9197654321\n",
    );
    assert_eq!(keys, some(&["+989121234567", "+989351112233", "+989197654321"]));
    // A Tehran shop's customers all have 0912 mobiles: millions apart, no counter.
    let (keys, _) = keys_of(
        Dataset::Customers,
        "تهران.csv",
        "نام,شماره\nزهرا,9121234567\nعلی,9125550011\nرضا,9129876501\n",
    );
    assert_eq!(keys, some(&["+989121234567", "+989125550011", "+989129876501"]));
    // A hand-kept sales sheet: its bare «نام» is the buyer's, keying a row without a mobile by
    // the mobile its name had, else by the name.
    let (keys, _) = keys_of(
        Dataset::Sales,
        "فروش دستی.csv",
        "نام,شماره,تاریخ,مبلغ\n\
         زهرا محمدی,09121234567,1403/01/05,100000\n\
         علی احمدی,9351112233,1403/01/06,200000\n\
         زهرا محمدی,,1403/02/05,50000\n\
         رضا رضایی,-,1403/02/06,70000\n",
    );
    let mut keys: Vec<String> = keys.into_iter().flatten().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["+989121234567", "+989121234567", "+989351112233", "رضا رضایی"]
    );
    // Invoice numbers (a counter's ten digits from 9 too), and international numbers among too
    // many others, are no phones.
    for (name, text) in [
        (
            "فاکتورها.csv",
            "نام,شماره,تاریخ,مبلغ\nزهرا,9000000101,1403/01/05,100000\nعلی,9000000102,1403/01/06,200000\n",
        ),
        (
            "فروش.csv",
            "نام,شماره,تاریخ,مبلغ\nزهرا,1001,1403/01/05,100000\nعلی,1002,1403/01/06,200000\n",
        ),
        (
            "sales.csv",
            "Name,No,Date,Amount\nA,+44 20 7946 0958,2024-01-05,10\nB,200034,2024-01-06,10\n",
        ),
        (
            "both.csv",
            "Name,Mobile,Number,Date,Amount\nA,09121234567,09351112233,2024-01-05,10\n",
        ),
    ] {
        let (_, out) = keys_of(Dataset::Sales, name, text);
        let m = out.report.mapping.as_ref().unwrap();
        assert!(
            m.used.iter().filter(|(f, _)| *f == "phone").count() <= 1
                && !m
                    .used
                    .iter()
                    .any(|(f, h)| f == "phone" && ["شماره", "No", "Number"].contains(&h.as_str())),
            "{name}: {:?}",
            m.used
        );
    }
}

/// A cell of a workbook built in a test: text, a number, or an Excel serial under a date
/// (`yyyy-mm-dd`) or time-of-day (`hh:mm`) format.
enum Cell {
    T(&'static str),
    N(f64),
    Date(f64),
    Time(f64),
    /// A number under a percentage format (`0%`): 0.1 shows as 10%.
    Pct(f64),
    /// A number under this custom number format (`#,##0.00 "€"`).
    Fmt(f64, &'static str),
}

/// Writes the smallest .xlsx calamine reads, with these sheets (name, rows), as `name` in `dir`.
fn write_xlsx(dir: &Path, name: &str, sheets: &[(&str, Vec<Vec<Cell>>)]) -> PathBuf {
    use std::io::Write;
    let path = dir.join(name);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    let mut put = |entry: &str, xml: String| {
        zip.start_file(entry, opts).unwrap();
        zip.write_all(xml.as_bytes()).unwrap();
    };
    const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let (mut listed, mut rels) = (String::new(), String::new());
    // The custom formats of `Fmt` cells, styled 4, 5, … after the fixed ones.
    let mut formats: Vec<&str> = Vec::new();
    for cell in sheets.iter().flat_map(|(_, rows)| rows.iter().flatten()) {
        if let Cell::Fmt(_, f) = cell
            && !formats.contains(f)
        {
            formats.push(f);
        }
    }
    for (i, (sheet, rows)) in sheets.iter().enumerate() {
        let n = i + 1;
        listed.push_str(&format!(r#"<sheet name="{sheet}" sheetId="{n}" r:id="rId{n}"/>"#));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
        let mut data = String::new();
        for (r, row) in rows.iter().enumerate() {
            data.push_str(&format!(r#"<row r="{}">"#, r + 1));
            for (c, cell) in row.iter().enumerate() {
                let at = format!("{}{}", (b'A' + c as u8) as char, r + 1);
                data.push_str(&match cell {
                    Cell::T(t) => format!(r#"<c r="{at}" t="inlineStr"><is><t>{t}</t></is></c>"#),
                    Cell::N(v) => format!(r#"<c r="{at}"><v>{v}</v></c>"#),
                    Cell::Date(v) => format!(r#"<c r="{at}" s="1"><v>{v}</v></c>"#),
                    Cell::Time(v) => format!(r#"<c r="{at}" s="2"><v>{v}</v></c>"#),
                    Cell::Pct(v) => format!(r#"<c r="{at}" s="3"><v>{v}</v></c>"#),
                    Cell::Fmt(v, f) => {
                        let s = 4 + formats.iter().position(|x| x == f).unwrap();
                        format!(r#"<c r="{at}" s="{s}"><v>{v}</v></c>"#)
                    }
                });
            }
            data.push_str("</row>");
        }
        put(
            &format!("xl/worksheets/sheet{n}.xml"),
            format!(r#"<worksheet xmlns="{NS}"><sheetData>{data}</sheetData></worksheet>"#),
        );
    }
    put(
        "_rels/.rels",
        format!(
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        ),
    );
    put(
        "xl/workbook.xml",
        format!(r#"<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets>{listed}</sheets></workbook>"#),
    );
    put(
        "xl/_rels/workbook.xml.rels",
        format!(
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}<Relationship Id="rIdS" Type="{REL}/styles" Target="styles.xml"/></Relationships>"#
        ),
    );
    let (mut num_fmts, mut xfs) = (String::new(), String::new());
    for (i, f) in formats.iter().enumerate() {
        let code = f
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        num_fmts.push_str(&format!(
            r#"<numFmt numFmtId="{}" formatCode="{code}"/>"#,
            166 + i
        ));
        xfs.push_str(&format!(r#"<xf numFmtId="{}" applyNumberFormat="1"/>"#, 166 + i));
    }
    put(
        "xl/styles.xml",
        format!(
            r#"<styleSheet xmlns="{NS}"><numFmts count="{}"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="hh:mm"/>{num_fmts}</numFmts><cellXfs count="{}"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165" applyNumberFormat="1"/><xf numFmtId="9" applyNumberFormat="1"/>{xfs}</cellXfs></styleSheet>"#,
            2 + formats.len(),
            4 + formats.len()
        ),
    );
    zip.finish().unwrap();
    path
}

/// A workbook gives the order's date and its time of day in two cells, the time a real Excel
/// time (a serial below 1): the order is at that time on that date.
#[test]
fn excel_time_of_day_cells_complete_the_date_beside_them() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let row = |id, date, time, customer| {
        vec![
            T(id),
            Date(date),
            Time(time),
            T(customer),
            T("Tea"),
            N(1.0),
            N(5.0),
        ]
    };
    let path = write_xlsx(
        dir.path(),
        "orders.xlsx",
        &[(
            "Orders",
            vec![
                [
                    "Order ID",
                    "Order Date",
                    "Order Time",
                    "Customer ID",
                    "Product",
                    "Quantity",
                    "Unit Price",
                ]
                .map(T)
                .into(),
                // 2024-03-21 at 23:30, and 2024-03-22 at 08:15.
                row("O1", 45372.0, 0.979_166_666_666_666_6, "C1"),
                row("O2", 45373.0, 0.343_75, "C2"),
            ],
        )],
    );
    let (out, _s) = ingest_path(&path, "orders.xlsx", &IngestOptions::default());
    assert_eq!(rejected_by_reason(&out), []);
    assert_eq!(
        times(&batches(&out)),
        ["2024-03-21T23:30:00+00:00", "2024-03-22T08:15:00+00:00"]
    );
}

/// A date format on the quantity and amount cells (formats copied across a sheet) shows dates
/// where the cells hold numbers: the numbers are read, not quarantined as `bad_number`.
#[test]
fn numbers_under_a_date_format_in_number_columns_are_read_as_numbers() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let path = write_xlsx(
        dir.path(),
        "orders.xlsx",
        &[(
            "Orders",
            vec![
                [
                    "Order ID",
                    "Order Date",
                    "Customer ID",
                    "Product",
                    "Quantity",
                    "Line Total",
                ]
                .map(T)
                .into(),
                vec![T("O1"), Date(45372.0), T("C1"), T("Tea"), Date(2.0), Date(20.0)],
                vec![T("O2"), Date(45373.0), T("C2"), T("Tea"), N(1.0), Date(40.5)],
            ],
        )],
    );
    let (out, _s) = ingest_path(&path, "orders.xlsx", &IngestOptions::default());
    assert_eq!(rejected_by_reason(&out), []);
    let b = batches(&out);
    assert_eq!(floats(&b, "quantity"), [2.0, 1.0]);
    assert_eq!(floats(&b, "line_amount"), [20.0, 40.5]);
    assert_eq!(
        times(&b),
        ["2024-03-21T00:00:00+00:00", "2024-03-22T00:00:00+00:00"]
    );
}

/// Rows dated before the first year the query tables show are stored, and the report says they
/// are not queryable there (Athena's partition projection starts at `ProjectionStartYear`).
#[test]
fn rows_before_the_queryable_years_are_named_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.csv");
    std::fs::write(
        &path,
        "Order ID,Order Date,Customer ID,Amount\n1,2008-03-01,C-1,10\n2,2012-05-01,C-2,10\n",
    )
    .unwrap();
    let warned = |year: Option<i32>| {
        let opts = IngestOptions {
            queryable_from_year: year,
            ..IngestOptions::default()
        };
        let (out, _s) = ingest_path(&path, "old.csv", &opts);
        assert_eq!(out.report.rows.written, 2);
        out.report
            .warnings
            .iter()
            .find(|w| w.contains("ProjectionStartYear"))
            .cloned()
    };
    let w = warned(Some(2010)).expect("a warning");
    assert!(
        w.starts_with("rows dated from 2008-03-01 are before 2010-01"),
        "{w}"
    );
    assert!(
        w.ends_with("lower ProjectionStartYear to 2008 to see them"),
        "{w}"
    );
    assert_eq!(warned(Some(2008)), None);
    assert_eq!(warned(None), None);
}

/// An activity workbook's durations, formatted as a time (`hh:mm:ss`) or as elapsed time past a
/// day (`[h]:mm:ss`, `[mm]:ss`): the time they show, in seconds.
#[test]
fn workbook_durations_read_as_the_time_they_show() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let row = |email, d: Cell| vec![T(email), T("video_view"), Date(45372.0), d];
    let path = write_xlsx(
        dir.path(),
        "views.xlsx",
        &[(
            "Views",
            vec![
                ["Email", "Event", "Date", "Duration"].map(T).into(),
                row("a@x.com", Fmt(205.0 / 86_400.0, "hh:mm:ss")),
                row("b@x.com", Fmt(0.5 / 24.0, "[h]:mm:ss")),
                row("c@x.com", Fmt(50.0 / 24.0, "[h]:mm:ss")),
                row("d@x.com", Fmt(90.0 / 1440.0, "[mm]:ss")),
            ],
        )],
    );
    let opts = IngestOptions {
        dataset: Some(Dataset::Activity),
        ..IngestOptions::default()
    };
    let (out, _s) = ingest_path(&path, "views.xlsx", &opts);
    assert_eq!(rejected_by_reason(&out), []);
    assert_eq!(
        floats(&batches(&out), "duration_seconds"),
        [205.0, 1800.0, 180_000.0, 5400.0]
    );
}

/// A Shopify bulk line item naming an order the file does not hold is no line of the order above
/// it: it takes no other order's number, time or buyer, and is quarantined saying so.
#[test]
fn a_shopify_bulk_line_item_of_an_order_not_in_the_file_is_quarantined() {
    let (out, _s, _d) = ingest_text(
        "bulk-orders.jsonl",
        "{\"id\": \"gid://shopify/Order/1\", \"name\": \"#101\", \"createdAt\": \"2024-05-01T10:00:00Z\", \"email\": \"a@ex.com\", \"displayFinancialStatus\": \"PAID\", \"currencyCode\": \"CAD\"}\n\
         {\"id\": \"gid://shopify/LineItem/10\", \"title\": \"Thing\", \"quantity\": 1, \"originalUnitPrice\": \"4.50\", \"__parentId\": \"gid://shopify/Order/1\"}\n\
         {\"id\": \"gid://shopify/LineItem/99\", \"title\": \"Orphan\", \"quantity\": 1, \"originalUnitPrice\": \"100.00\", \"__parentId\": \"gid://shopify/Order/999\"}\n\
         {\"id\": \"gid://shopify/Order/2\", \"name\": \"#102\", \"createdAt\": \"2024-05-02T10:00:00Z\", \"email\": \"b@ex.com\", \"displayFinancialStatus\": \"PAID\", \"currencyCode\": \"CAD\"}\n\
         {\"id\": \"gid://shopify/LineItem/20\", \"title\": \"Thing\", \"quantity\": 1, \"originalUnitPrice\": \"4.50\", \"__parentId\": \"gid://shopify/Order/2\"}\n",
    );
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::ShopifyBulk));
    assert_eq!(
        rejected_by_reason(&out),
        [("missing_order", 1), ("order_summary", 2)]
    );
    // Not a row the layout expects: the file is not clean.
    assert_eq!(out.report.status, Status::Partial);
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), some(&["#101", "#102"]));
    assert_eq!(strings(&b, "product_name"), some(&["Thing", "Thing"]));
    assert_eq!(floats(&b, "line_amount"), [4.5, 4.5]);
}

/// A month's sheet without the currency (or status) column of the others is part of the export;
/// one without an amount is not.
#[test]
fn a_monthly_sheet_without_a_currency_column_is_read() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let row = |id, date, total: f64, rest: &[&'static str]| {
        let mut r = vec![T(id), Date(date), T("C1"), T("Pen"), N(1.0), N(total)];
        r.extend(rest.iter().map(|c| T(c)));
        r
    };
    let head = |cols: &[&'static str]| cols.iter().map(|c| T(c)).collect::<Vec<_>>();
    let path = write_xlsx(
        dir.path(),
        "sales.xlsx",
        &[
            (
                "Jan",
                vec![
                    head(&[
                        "Order ID",
                        "Order Date",
                        "Customer ID",
                        "Product",
                        "Quantity",
                        "Total",
                    ]),
                    row("J1", 45292.0, 10.0, &[]),
                ],
            ),
            (
                "Feb",
                vec![
                    head(&[
                        "Order ID",
                        "Order Date",
                        "Customer ID",
                        "Product",
                        "Quantity",
                        "Total",
                        "Status",
                        "Currency",
                    ]),
                    row("F1", 45323.0, 10.0, &["Paid", "EUR"]),
                    row("F2", 45324.0, 12.0, &["Paid", "EUR"]),
                ],
            ),
            (
                "Mar",
                vec![
                    head(&["Order ID", "Order Date", "Customer ID", "Product", "Quantity"]),
                    vec![T("M1"), Date(45352.0), T("C1"), T("Pen"), N(1.0)],
                ],
            ),
        ],
    );
    let (out, _s) = ingest_path(&path, "sales.xlsx", &IngestOptions::default());
    let sheets: Vec<(&str, Option<&str>)> = out
        .report
        .sheets
        .iter()
        .map(|s| (s.name.as_str(), s.skipped.as_deref()))
        .collect();
    assert_eq!(
        sheets,
        [
            ("Jan", None),
            ("Feb", None),
            (
                "Mar",
                Some("its header lacks columns of the export sheet: \"Total\"")
            )
        ]
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), some(&["J1", "F1", "F2"]));
    // The one currency the file names is its blank cells'.
    assert_eq!(strings(&b, "currency"), some(&["EUR", "EUR", "EUR"]));
}

/// A visible copy of the orders sheet ("Orders (2)", as Excel names a copy) is read once: its
/// orders had counted twice. A sheet of other orders under the same header is read.
#[test]
fn a_visible_copy_of_a_sheet_is_read_once() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let orders = |ids: &[&'static str]| {
        let mut rows = vec![vec![T("Order ID"), T("Order Date"), T("Customer"), T("Amount")]];
        rows.extend(ids.iter().map(|&id| vec![T(id), Date(45292.0), T("C1"), N(10.0)]));
        rows
    };
    let path = write_xlsx(
        dir.path(),
        "sales.xlsx",
        &[
            ("Orders", orders(&["1", "2"])),
            ("Orders (2)", orders(&["1", "2"])),
            ("More", orders(&["3"])),
        ],
    );
    let (out, _s) = ingest_path(&path, "sales.xlsx", &IngestOptions::default());
    assert_eq!(strings(&batches(&out), "order_id"), some(&["1", "2", "3"]));
    let copy = out.report.sheets.iter().find(|s| s.name == "Orders (2)").unwrap();
    assert_eq!(
        copy.skipped.as_deref(),
        Some("a copy of sheet \"Orders\", read once")
    );
}

/// A visible sheet that continues the orders without a header row is not read (its columns
/// cannot be told), but the report says so with all its rows, instead of an `ok` with them lost.
/// A notes sheet is skipped quietly.
#[test]
fn a_sheet_of_orders_without_a_header_is_a_warning_with_its_rows() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let path = write_xlsx(
        dir.path(),
        "sales.xlsx",
        &[
            (
                "Sheet1",
                vec![
                    vec![T("Order ID"), T("Order Date"), T("Customer"), T("Amount")],
                    vec![T("1001"), Date(45292.0), T("C1"), N(10.0)],
                ],
            ),
            (
                "Sheet2",
                (0..4)
                    .map(|i| {
                        vec![
                            T(["1002", "1003", "1004", "1005"][i]),
                            Date(45300.0 + i as f64),
                            T("C2"),
                            N(10.0),
                        ]
                    })
                    .collect(),
            ),
            // Guests' orders (no customer) with dates written with the month's name (a Jalali
            // month's first: the sheet is told by its first row).
            (
                "Sheet3",
                vec![
                    vec![T("1008"), T("15 فروردین 1403"), T(""), N(10.0)],
                    vec![T("1006"), T("06 Jan 2024"), T(""), N(10.0)],
                    vec![T("1007"), T("Jan 7, 2024"), T(""), N(10.0)],
                ],
            ),
            (
                "Notes",
                vec![vec![T("Exported by the shop"), T("see the first sheet")]],
            ),
            // Summaries by month and by quarter, without headers either: no orders.
            (
                "By month",
                vec![
                    vec![T("2024-01"), T("Berlin"), N(10.0)],
                    vec![T("2024-02"), T("Paris"), N(12.0)],
                ],
            ),
            ("Pivot", vec![vec![N(2024.0), T("Q1"), N(30.0)]]),
            (
                "By week",
                vec![vec![T("W1"), T("Week 1 2024"), T("Berlin"), N(30.0)]],
            ),
        ],
    );
    let (out, _s) = ingest_path(&path, "sales.xlsx", &IngestOptions::default());
    assert_eq!(out.report.rows.written, 1);
    assert_eq!(
        out.report.warnings,
        [
            "sheet \"Sheet2\" (4 rows) was not read: it has no header row (its first row is data); give it the export sheet's columns, or upload it as a file of its own",
            "sheet \"Sheet3\" (3 rows) was not read: it has no header row (its first row is data); give it the export sheet's columns, or upload it as a file of its own"
        ]
    );
    for quiet in ["Notes", "By month", "Pivot", "By week"] {
        let sheet = out.report.sheets.iter().find(|s| s.name == quiet).unwrap();
        assert!(
            sheet.skipped.is_some() && sheet.rows_not_read.is_none(),
            "{quiet}"
        );
    }
}

/// A month's sheet whose only amount is a bare `Total` beside months with quantity and price:
/// merged, its `Total` is its lines' amount, as in the sheet alone (beside a price column in the
/// merged header, "Total" had been read as nothing, and the month's rows quarantined
/// `missing_quantity`).
#[test]
fn a_month_sheet_with_a_bare_total_keeps_it_as_its_line_amount() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let head = |cols: &[&'static str]| cols.iter().map(|c| T(c)).collect::<Vec<_>>();
    let path = write_xlsx(
        dir.path(),
        "sales.xlsx",
        &[
            (
                "Jan",
                vec![
                    head(&[
                        "Order ID",
                        "Customer",
                        "Order Date",
                        "Product",
                        "Qty",
                        "Unit Price",
                    ]),
                    vec![T("J1"), T("C1"), Date(45292.0), T("Pen"), N(2.0), N(3.0)],
                ],
            ),
            (
                "Feb",
                vec![
                    head(&["Order ID", "Customer", "Order Date", "Product", "Total"]),
                    vec![T("F1"), T("C2"), Date(45323.0), T("Pen"), N(7.5)],
                    vec![T("F2"), T("C3"), Date(45324.0), T("Ink"), N(2.5)],
                ],
            ),
        ],
    );
    let (out, _s) = ingest_path(&path, "sales.xlsx", &IngestOptions::default());
    let r = &out.report.rows;
    assert_eq!((r.read, r.written, r.rejected), (3, 3, 0), "{:?}", out.report);
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [6.0, 7.5, 2.5]);
    assert_eq!(floats(&b, "quantity"), [2.0, 1.0, 1.0]);
    // Its unit stays with it: amounts in thousands in both months are read in thousands (named
    // by the field alone, the month had been skipped as "in another multiple", its rows lost).
    let path = write_xlsx(
        dir.path(),
        "thousands.xlsx",
        &[
            (
                "Jan",
                vec![
                    head(&[
                        "Order ID",
                        "Customer",
                        "Order Date",
                        "Product",
                        "Qty",
                        "Unit Price (USD thousands)",
                    ]),
                    vec![T("J1"), T("C1"), Date(45292.0), T("Pen"), N(2.0), N(3.0)],
                ],
            ),
            (
                "Feb",
                vec![
                    head(&[
                        "Order ID",
                        "Customer",
                        "Order Date",
                        "Product",
                        "Total (USD thousands)",
                    ]),
                    vec![T("F1"), T("C2"), Date(45323.0), T("Pen"), N(7.0)],
                ],
            ),
        ],
    );
    let (out, _s) = ingest_path(&path, "thousands.xlsx", &IngestOptions::default());
    assert_eq!(floats(&batches(&out), "line_amount"), [6000.0, 7000.0]);
    assert_eq!(
        out.report.mapping.as_ref().unwrap().used["line_amount"],
        "line_amount (Total (USD thousands))"
    );
}

/// Monthly sheets whose amounts are in other columns (January's quantity and price, February's
/// with a line total too, March's line total alone) are one export: every row is read, each by
/// the amounts its own sheet gives. (They had been skipped but the sheet with the most columns,
/// and their rows lost with the upload reported `ok`.) A summary sheet is still skipped, quietly;
/// a sheet of orders without their dates is skipped with a warning that counts its rows.
#[test]
fn monthly_sheets_with_other_amount_columns_are_all_read() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let head = |cols: &[&'static str]| cols.iter().map(|c| T(c)).collect::<Vec<_>>();
    let path = write_xlsx(
        dir.path(),
        "sales.xlsx",
        &[
            (
                "Jan",
                vec![
                    head(&[
                        "Order ID",
                        "Customer",
                        "Order Date",
                        "Product",
                        "Qty",
                        "Unit Price",
                    ]),
                    vec![T("J1"), T("C1"), Date(45292.0), T("Pen"), N(2.0), N(3.0)],
                ],
            ),
            (
                "Feb",
                vec![
                    head(&[
                        "Order ID",
                        "Customer",
                        "Order Date",
                        "Product",
                        "Qty",
                        "Unit Price",
                        "Line Total",
                    ]),
                    vec![T("F1"), T("C2"), Date(45323.0), T("Pen"), N(1.0), N(4.0), N(4.0)],
                    vec![T("F2"), T("C3"), Date(45324.0), T("Ink"), N(3.0), N(5.0), N(15.0)],
                ],
            ),
            (
                "Mar",
                vec![
                    head(&["Order ID", "Customer", "Order Date", "Product", "Line Total"]),
                    vec![T("M1"), T("C1"), Date(45352.0), T("Pen"), N(7.5)],
                ],
            ),
            (
                "Summary",
                vec![head(&["Month", "Revenue"]), vec![T("2024-01"), N(6.0)]],
            ),
            // The orders of the lines above, one row each with its total: no lines, however
            // many columns it shares (read, each order would count twice).
            (
                "Orders",
                vec![
                    head(&["Order ID", "Customer", "Order Date", "Line Total"]),
                    vec![T("F2"), T("C3"), Date(45324.0), N(15.0)],
                ],
            ),
            (
                "Apr",
                vec![
                    head(&["Order ID", "Order Date", "Product", "Line Total"]),
                    vec![T("A1"), Date(45383.0), T("Pen"), N(2.0)],
                    vec![T("A2"), Date(45384.0), T("Pen"), N(2.0)],
                ],
            ),
        ],
    );
    let (out, _s) = ingest_path(&path, "sales.xlsx", &IngestOptions::default());
    let skipped: Vec<(&str, bool)> = out
        .report
        .sheets
        .iter()
        .map(|s| (s.name.as_str(), s.skipped.is_some()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("Jan", false),
            ("Feb", false),
            ("Mar", false),
            ("Summary", true),
            ("Orders", true),
            ("Apr", true)
        ]
    );
    assert_eq!(
        out.report.warnings,
        [
            "sheet \"Orders\" (1 row) was not read: its header lacks columns of the export sheet: \"Qty\", \"Unit Price\"; give it the export sheet's columns, or upload it as a file of its own",
            "sheet \"Apr\" (2 rows) was not read: its header lacks columns of the export sheet: \"Customer\", \"Qty\", \"Unit Price\"; give it the export sheet's columns, or upload it as a file of its own"
        ]
    );
    let r = &out.report.rows;
    assert_eq!((r.read, r.written, r.rejected), (4, 4, 0));
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), some(&["J1", "F1", "F2", "M1"]));
    assert_eq!(floats(&b, "line_amount"), [6.0, 4.0, 15.0, 7.5]);
    assert_eq!(floats(&b, "quantity"), [2.0, 1.0, 3.0, 1.0]);
    // A month whose amounts name another currency than the export sheet's is not merged: its
    // added cells would carry no currency, and its rows be read in the other's.
    let path = write_xlsx(
        dir.path(),
        "fx.xlsx",
        &[
            (
                "Jan",
                vec![
                    head(&[
                        "Order ID",
                        "Customer",
                        "Order Date",
                        "Product",
                        "Qty",
                        "Unit Price (EUR)",
                    ]),
                    vec![T("J1"), T("C1"), Date(45292.0), T("Pen"), N(2.0), N(3.0)],
                    vec![T("J2"), T("C2"), Date(45293.0), T("Ink"), N(1.0), N(4.0)],
                ],
            ),
            (
                "Feb",
                vec![
                    head(&[
                        "Order ID",
                        "Customer",
                        "Order Date",
                        "Product",
                        "Line Total (USD)",
                    ]),
                    vec![T("F1"), T("C2"), Date(45323.0), T("Pen"), N(4.0)],
                ],
            ),
        ],
    );
    let (out, _s) = ingest_path(&path, "fx.xlsx", &IngestOptions::default());
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), some(&["J1", "J2"]));
    assert_eq!(strings(&b, "currency"), some(&["EUR", "EUR"]));
    // Invoice lists without products (a hand-kept sheet per month) merge as line lists do.
    let path = write_xlsx(
        dir.path(),
        "invoices.xlsx",
        &[
            (
                "Jan",
                vec![
                    head(&["Date", "Invoice", "Email", "Qty", "Price"]),
                    vec![Date(45292.0), T("I1"), T("a@x.example"), N(2.0), N(3.0)],
                    vec![Date(45293.0), T("I2"), T("b@x.example"), N(1.0), N(4.0)],
                ],
            ),
            (
                "Feb",
                vec![
                    head(&["Date", "Invoice", "Email", "Amount"]),
                    vec![Date(45323.0), T("I3"), T("a@x.example"), N(9.0)],
                ],
            ),
        ],
    );
    let (out, _s) = ingest_path(&path, "invoices.xlsx", &IngestOptions::default());
    assert_eq!(floats(&batches(&out), "line_amount"), [6.0, 4.0, 9.0]);
}

/// Quantity, unit price, a discount and a total: the line is worth its total, after its
/// discount, where the row's numbers agree; a total that cannot be the line's (an order's,
/// repeated on its lines) is not read.
#[test]
fn a_total_after_a_lines_discount_is_its_amount() {
    let (out, _s, _d) = ingest_text(
        "orders.csv",
        "Order ID,Order Date,Customer ID,Product,Quantity,Unit Price,Discount,Total\n\
         D1,2024-06-01,C1,Pen,2,10,5,15\n\
         D2,2024-06-02,C2,Pen,1,10,0,10\n\
         D3,2024-06-03,C3,Ink,3,4,2,10\n\
         D4,2024-06-04,C4,Pen,1,10,,40\n\
         D4,2024-06-04,C4,Ink,3,10,,40\n",
    );
    assert_eq!(rejected_by_reason(&out), []);
    assert_eq!(
        floats(&batches(&out), "line_amount"),
        [15.0, 10.0, 10.0, 10.0, 30.0]
    );
}

/// The consents of the written customers rows (None: not recorded).
fn consents(out: &IngestOutcome) -> Vec<Option<bool>> {
    batches(out)
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name("marketing_consent")
                .unwrap()
                .as_boolean()
                .clone();
            (0..a.len())
                .map(move |i| a.is_valid(i).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Consent written as its refusal (Salesforce's "Email Opt Out", HubSpot's "Do Not Email",
/// «لغو عضویت»): a yes there refuses, a no refuses nothing (and consents to nothing), an unclear
/// value refuses as in a consent column.
#[test]
fn an_opt_out_column_refuses_by_its_yes() {
    for (header, yes, no) in [
        ("Email Opt Out", "true", "false"),
        ("HasOptedOutOfEmail", "1", "0"),
        ("Do Not Email", "yes", "no"),
        ("Unsubscribed", "Yes", "No"),
        ("لغو عضویت", "بله", "خیر"),
        ("عدم دریافت پیامک", "بله", "خیر"),
        ("Werbewiderspruch", "ja", "nein"),
        ("Désabonné", "oui", "non"),
    ] {
        let (out, _s) = ingest_as(
            Dataset::Customers,
            "crm.csv",
            &format!(
                "Customer ID,Email,{header}\nS1,s1@x.com,{yes}\nS2,s2@x.com,{no}\nS3,s3@x.com,\n\
                 S4,s4@x.com,maybe\nS5,s5@x.com,unsubscribed\n"
            ),
        );
        assert_eq!(
            consents(&out),
            [Some(false), None, None, Some(false), Some(false)],
            "{header}"
        );
        let mapping = out.report.mapping.as_ref().unwrap();
        assert_eq!(mapping.used["marketing_consent"], header);
        assert_eq!(mapping.opt_out, [header]);
        assert!(mapping.unmapped.is_empty(), "{header}");
        assert_eq!(out.report.stats.as_ref().unwrap().consent_unclear, Some(1));
    }
}

/// When someone unsubscribed, in a customer list (Mailchimp's unsubscribed members, `UNSUB_TIME`;
/// a list of opt-out dates): a time there is a refusal, not a clear one refused as unclear; an
/// empty cell says nothing. Such files were read with no consent at all.
#[test]
fn an_opt_out_time_in_a_customer_list_refuses() {
    for (header, when) in [
        ("UNSUB_TIME", "2025-03-04 11:22:33"),
        ("Opt-out date", "2025-06-01"),
        ("Unsubscribed At", "03/04/2025"),
        ("تاریخ لغو عضویت", "۱۴۰۴/۰۱/۱۵"),
    ] {
        let (out, _s) = ingest_as(
            Dataset::Customers,
            "members.csv",
            &format!(
                "Email Address,First Name,{header}\n\
                 u1@x.com,Ann,{when}\n\
                 u2@x.com,Bo,\n\
                 u3@x.com,Cy,yes\n\
                 u4@x.com,Di,0000-00-00 00:00:00\n\
                 u5@x.com,Ed,Never\n\
                 u6@x.com,Fa,1970-01-01 00:00:00\n\
                 u7@x.com,Gi,۰۰۰۰-۰۰-۰۰\n"
            ),
        );
        assert_eq!(
            consents(&out),
            [Some(false), None, Some(false), None, None, None, None],
            "{header}"
        );
        assert_eq!(
            out.report.mapping.as_ref().unwrap().used["marketing_consent"],
            header
        );
        assert_eq!(
            out.report.stats.as_ref().unwrap().consent_unclear.unwrap_or(0),
            0,
            "{header}"
        );
    }
}

/// A consent column no synonym lists, read by its header's words («اشتراک خبرنامه»): its plain
/// answers count, «خیر» a refusal; other values say nothing, as such a header may be about
/// something else (an unclear value of a listed consent column refuses).
#[test]
fn a_consent_column_read_by_its_words_counts_plain_answers_only() {
    let (out, _s) = ingest_as(
        Dataset::Customers,
        "crm.csv",
        "کد مشتری,اشتراک خبرنامه\n1,بله\n2,خیر\n3,popup\n4,\n",
    );
    assert_eq!(consents(&out), [Some(true), Some(false), None, None]);
    assert_eq!(out.report.stats.as_ref().unwrap().consent_unclear.unwrap_or(0), 0);
}

/// Ages as CRMs write them: with their unit ("34 years", «۲۹ سال», "41 Jahre"), and 0 where no
/// age is kept (a placeholder, not a baby: it put every such customer in the youngest band).
#[test]
fn ages_with_their_unit_are_read_and_zero_is_none() {
    let (out, _s) = ingest_as(
        Dataset::Customers,
        "crm.csv",
        "Customer ID,Age\nA,34 years\nB,۲۹ سال\nC,41 Jahre\nD,0\nE,52\nF,\n",
    );
    assert_eq!(rejected_by_reason(&out), []);
    let ages: Vec<Option<i32>> = batches(&out)
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name("age")
                .unwrap()
                .as_primitive::<arrow::datatypes::Int32Type>()
                .clone();
            (0..a.len())
                .map(move |i| a.is_valid(i).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(ages, [Some(34), Some(29), Some(41), None, Some(52), None]);
    assert_eq!(
        out.report.stats.as_ref().unwrap().unreadable_values.get("age"),
        None
    );
}

/// Shopify's customers export: "yes" to email and "no" to SMS is a refusal (the lists would
/// publish the phone an SMS tool texts). Consent only when no column refuses and one says yes;
/// unknown when all are empty. An opt-out beside them counts as well.
#[test]
fn a_refusal_in_any_consent_column_refuses() {
    let (out, _s) = ingest_as(
        Dataset::Customers,
        "customers_export.csv",
        "Customer ID,Email,Phone,Accepts Email Marketing,Accepts SMS Marketing,Do Not Contact\n\
         A1,a1@x.com,+14155550301,yes,no,\n\
         A2,a2@x.com,+14155550302,no,yes,\n\
         A3,a3@x.com,+14155550303,yes,yes,\n\
         A4,a4@x.com,,yes,,\n\
         A5,a5@x.com,,,,\n\
         A6,a6@x.com,,yes,yes,true\n\
         A7,a7@x.com,,yes,maybe,false\n\
         A8,a8@x.com,,,,no\n",
    );
    assert_eq!(
        consents(&out),
        [
            Some(false),
            Some(false),
            Some(true),
            Some(true),
            None,
            Some(false),
            Some(false),
            None
        ]
    );
    let mapping = out.report.mapping.as_ref().unwrap();
    assert_eq!(mapping.used["marketing_consent"], "Accepts Email Marketing");
    assert_eq!(mapping.more_consent, ["Accepts SMS Marketing", "Do Not Contact"]);
    assert_eq!(mapping.opt_out, ["Do Not Contact"]);
    assert!(mapping.unmapped.is_empty());
    assert_eq!(out.report.stats.as_ref().unwrap().consent_unclear, Some(1));
}

/// A sales export's consent columns link the buyer's refusal as a customer list's do.
#[test]
fn a_sales_export_reads_every_consent_column() {
    let (out, _s) = ingest_as(
        Dataset::Sales,
        "orders.csv",
        "Order ID,Order Date,Customer ID,Email,Amount,Accepts Email Marketing,Accepts SMS Marketing\n\
         1,2024-01-02,C1,c1@x.com,10,yes,no\n\
         2,2024-01-03,C2,c2@x.com,10,yes,yes\n",
    );
    let links = parquet_under(&out, "curated/customers/");
    let consent = links[0].column_by_name("marketing_consent").unwrap().as_boolean();
    assert_eq!(
        (0..consent.len()).map(|i| consent.value(i)).collect::<Vec<_>>(),
        [false, true]
    );
}

/// Consent and opt-out headers as CRMs and shop plugins write them (a privacy review found each
/// unread, and the people who refused in them on the lists): each refusal is read.
#[test]
fn common_consent_headers_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let customers = |text: String| {
        let path = dir.path().join("crm.csv");
        std::fs::write(&path, text).unwrap();
        let opts = IngestOptions {
            dataset: Some(Dataset::Customers),
            ..IngestOptions::default()
        };
        // With its staging folder, which holds the files.
        ingest_upload(&path, "customers", "crm.csv", &opts)
    };
    for (header, no) in [
        ("Unsubscribe", "Y"),
        ("Email subscription", "Unsubscribed"),
        ("Opted In", "no"),
        ("Email Consent", "no"),
        ("Permission to email", "no"),
        ("Consent Status", "opted_out"),
        ("Receive offers", "no"),
        ("E-Mail-Werbung erlaubt", "nein"),
        ("Contact Permission", "no"),
        ("Marketing Emails", "no"),
        ("Email Permission Status", "unsubscribed"),
    ] {
        let (out, _s) = customers(format!("Email,{header}\na@x.com,{no}\nb@x.com,\n"));
        assert_eq!(consents(&out), [Some(false), None], "{header}");
        assert!(
            out.report.warnings.is_empty(),
            "{header}: {:?}",
            out.report.warnings
        );
    }
    // What else tools write under these headers refuses no one (a review found each read as a
    // refusal): a date, a kind of consent, a frequency, a channel, a count, a link. Words of
    // consent given are consent.
    for (header, value, read) in [
        ("Opted In", "2023-05-01", None),
        ("Email Permission Status", "Implicit", None),
        ("Email Permission Status", "Explicit", Some(true)),
        ("Consent Status", "Given", Some(true)),
        ("Consent Status", "Confirmed", Some(true)),
        ("Email Subscription", "Weekly", None),
        ("Contact Permission", "Email", None),
        ("Marketing Emails", "12", None),
        ("Unsubscribe", "https://shop.example/unsubscribe?u=1", None),
        // Refusals in words, which a header read by plain answers still reads.
        ("Consent Status", "Not given", Some(false)),
        ("Consent Status", "No consent", Some(false)),
        ("Consent Status", "Do not email", Some(false)),
        ("Werbeerlaubnis", "keine", Some(false)),
        ("Werbeerlaubnis", "erteilt", Some(true)),
        ("Werbung erlaubt", "Nicht erlaubt", Some(false)),
        ("Consent Status", "Consent withdrawn", Some(false)),
        ("Consent Status", "Not consented", Some(false)),
        ("Consent Status", "لغو شده", Some(false)),
        // Under an opt-out header they refuse too, but «keine» (no block) says nothing.
        ("Unsubscribe", "Consent withdrawn", Some(false)),
        ("Unsubscribe", "keine", None),
        ("Email Opt Out", "No consent", Some(false)),
        ("Werbesperre", "keine", None),
        ("Werbesperre", "Widersprochen", Some(false)),
        ("Werbewiderspruch", "nicht erteilt", None),
        ("Email Opt Out", "Not given", None),
    ] {
        let (out, _s) = customers(format!("Email,{header}\na@x.com,{value}\n"));
        assert_eq!(consents(&out), [read], "{header}: {value}");
    }
}

/// A column that may hold consent but that no rule reads ("Email Status", "Communication
/// preference") is a report warning, naming it: its refusals keep no one off the lists. A
/// date of consent or a source is not, nor a subscription plan, another preference or an app's
/// permissions (a review found each warned about).
#[test]
fn an_unread_column_that_may_hold_consent_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.csv");
    std::fs::write(
        &path,
        "Email,Email Status,Communication preference,Newsletter Status,Subscription,Suppression Status,Permission,Consent Date,Signup Source,Subscription Plan,Subscription Interval,Size Preference,Delivery Preference,Permissions,Newsletter Topic,Contact Preference\n\
         a@x.com,cleaned,none,cleaned,cleaned,cleaned,cleaned,2024-01-01,web,Pro,monthly,M,evening,admin,Recipes,call\n",
    )
    .unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Customers),
        ..IngestOptions::default()
    };
    let (out, _s) = ingest_upload(&path, "customers", "crm.csv", &opts);
    let warned: Vec<&str> = out
        .report
        .warnings
        .iter()
        .filter_map(|w| w.strip_prefix("column \""))
        .filter_map(|w| w.split('"').next())
        .collect();
    assert_eq!(
        warned,
        [
            "Email Status",
            "Communication preference",
            "Newsletter Status",
            "Subscription",
            "Suppression Status",
            "Permission"
        ],
        "{:?}",
        out.report.warnings
    );
    assert!(out.report.warnings[0].contains("the refusals in it do not keep anyone off the lists"));
}

/// A mapping file says a column is an opt-out with `marketing_opt_out`.
#[test]
fn a_mapping_file_names_an_opt_out_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.csv");
    std::fs::write(
        &path,
        "Customer ID,Email,Keine Werbung\nK1,k1@x.com,ja\nK2,k2@x.com,nein\n",
    )
    .unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Customers),
        mapping: Some(
            crate::mapping::MappingOverride::from_json(
                r#"{"columns": {"Keine Werbung": "marketing_opt_out"}}"#,
            )
            .unwrap(),
        ),
        ..IngestOptions::default()
    };
    let (out, _s) = ingest_upload(&path, "customers", "crm.csv", &opts);
    assert_eq!(consents(&out), [Some(false), None]);
}

/// A row with a runaway cell (over the 8 MiB a row may hold) and one with millions of fields are
/// quarantined with their first cells, cut, while the rows around them are written and every
/// row is counted.
#[test]
fn oversized_rows_are_quarantined_cut_and_the_others_kept() {
    use super::delimited::{KEEP_CELL_BYTES, MAX_RECORD_BYTES};
    let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";
    let row = |id: u32, desc: &str| format!("{id},90625,{desc},1,12/1/2022 0:00,2.65,45008,Spain");
    let text = format!(
        "{header}{}\n{}\n{}\n{}{}\n{}\n",
        row(1, "SET OF 6"),
        row(2, &format!("\"{}\"", "x".repeat(MAX_RECORD_BYTES + 10))),
        row(3, "LAMP"),
        row(4, "MUG"),
        ",abc".repeat(2_000_000),
        row(5, "PEN"),
    );
    let (out, _s, _d) = sales_text("big.csv", &text);
    assert_eq!(out.report.error.as_ref().map(|e| &e.message), None);
    let r = &out.report.rows;
    assert_eq!((r.read, r.written, r.rejected), (5, 3, 2));
    assert_eq!(
        rejected_by_reason(&out),
        [("row_too_large", 1), ("too_many_fields", 1)]
    );
    assert_eq!(
        strings(&batches(&out), "order_id"),
        [Some("1".into()), Some("3".into()), Some("5".into())]
    );
    let q = quarantine_lines(&out);
    assert_eq!(
        (q[0]["line"].as_u64(), q[0]["reason"].as_str()),
        (Some(3), Some("row_too_large"))
    );
    let cells = q[0]["record"].as_array().unwrap();
    assert_eq!(cells.len(), 3);
    assert_eq!(cells[2].as_str().unwrap().len(), KEEP_CELL_BYTES);
    assert!(q[0]["detail"].as_str().unwrap().contains("8 MiB"));
    assert_eq!(
        (q[1]["line"].as_u64(), q[1]["reason"].as_str()),
        (Some(5), Some("too_many_fields"))
    );
    assert_eq!(q[1]["record"].as_array().unwrap().len(), 64);
    assert!(
        q[1]["detail"]
            .as_str()
            .unwrap()
            .starts_with("the row has 2000008 fields (the header has 8)"),
        "{}",
        q[1]["detail"]
    );
}

/// A JSON Lines record longer than a JSON record may be is skipped unread and quarantined as
/// `row_too_large`; the lines around it are read (one giant line had been held whole).
#[test]
fn a_json_line_over_the_limit_is_quarantined_and_the_others_read() {
    use super::source::MAX_JSON_ELEMENT_BYTES;
    let item = r#"{"sku": "A1", "name": "Soap", "quantity": 1, "price": "3.50"}"#;
    let items = vec![item; MAX_JSON_ELEMENT_BYTES / item.len() + 10].join(",");
    let order = |id: u32, items: &str| {
        format!(
            r#"{{"order_id": "N{id}", "order_date": "2024-03-01", "customer_id": "7", "line_items": [{items}]}}"#
        )
    };
    let text = format!("{}\n{}\n{}\n", order(1, item), order(2, &items), order(3, item));
    let (out, _s, _d) = ingest_bytes("orders.jsonl", text.as_bytes());
    assert_eq!(rejected_by_reason(&out), [("row_too_large", 1)]);
    assert_eq!(
        strings(&batches(&out), "order_id"),
        ["N1", "N3"].map(|s| Some(s.to_string()))
    );
}

/// An order whose line items make it larger than a JSON record may be is refused as too large,
/// naming the limit and what to do, not as a malformed file: the file is valid JSON. One that
/// never closes is still malformed.
#[test]
fn a_json_element_over_the_limit_is_refused_as_too_large() {
    use super::source::MAX_JSON_ELEMENT_BYTES;
    let item = r#"{"sku": "A1", "name": "Soap", "quantity": 1, "price": "3.50"}"#;
    let items = vec![item; MAX_JSON_ELEMENT_BYTES / item.len() + 10].join(",");
    let order = |id: u32, items: &str| {
        format!(
            r#"{{"order_id": "N{id}", "order_date": "2024-03-01", "customer_id": "7", "line_items": [{items}]}}"#
        )
    };
    let text = format!(r#"{{"orders": [{}, {}]}}"#, order(1, item), order(2, &items));
    let (out, _s, _d) = ingest_bytes("orders.json", text.as_bytes());
    let err = out.report.error.as_ref().expect("rejected");
    assert_eq!(err.code, "too_large");
    assert!(
        err.message.contains("element 2 of the array is"),
        "{}",
        err.message
    );
    assert!(
        err.message
            .contains(&format!("more than the {MAX_JSON_ELEMENT_BYTES} bytes")),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("smaller pages, or as JSON Lines or CSV"),
        "{}",
        err.message
    );
    assert!(out.files.is_empty());
    let cut = &text[..text.len() - 3];
    let (out, _s, _d) = ingest_bytes("cut.json", cut.as_bytes());
    let err = out.report.error.as_ref().expect("rejected");
    assert_eq!(err.code, "malformed_file", "{}", err.message);
}

/// A CRM's contacts export gives "Phone" and "Mobile", each filled for some people only: a
/// contact without a mobile keeps the other number (so that their orders keyed by phone are
/// theirs), and the report names the second column as read, not unmapped.
#[test]
fn an_empty_mobile_falls_back_to_the_other_phone_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("salesforce_contacts.csv");
    std::fs::write(
        &path,
        "Contact ID,Email,Phone,Mobile\nC1,c1@x.example,+1 415 555 0132,\nC2,c2@x.example,,+1 415 555 0177\nC3,c3@x.example,+1 415 555 0150,+1 415 555 0199\n",
    )
    .unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Customers),
        ..IngestOptions::default()
    };
    let (out, _s) = ingest_upload(&path, "customers", "salesforce_contacts.csv", &opts);
    let m = out.report.mapping.as_ref().unwrap();
    assert_eq!(m.used.get("phone").map(String::as_str), Some("Mobile"));
    assert_eq!(m.phone_fallback.as_deref(), Some("Phone"));
    assert!(m.unmapped.is_empty(), "{:?}", m.unmapped);
    // The mobile where there is one.
    assert_eq!(
        strings(&batches(&out), "phone"),
        [
            Some("+14155550132".to_string()),
            Some("+14155550177".to_string()),
            Some("+14155550199".to_string())
        ]
    );

    // In sales the row is keyed by whichever number it gives.
    let path = dir.path().join("pos.csv");
    std::fs::write(
        &path,
        "Order ID,Order Date,Phone,Mobile,Product,Quantity,Price\nO1,2024-06-01,+1 415 555 0132,,A,1,9\nO2,2024-06-01,,+1 415 555 0177,A,1,9\nO3,2024-06-01,,,A,1,9\n",
    )
    .unwrap();
    let (out, _s) = ingest_path(&path, "pos.csv", &IngestOptions::default());
    assert_eq!(
        strings(&batches(&out), "customer_id"),
        [
            Some("+14155550132".to_string()),
            Some("+14155550177".to_string()),
            None
        ]
    );
    assert_eq!(
        out.report.mapping.as_ref().unwrap().phone_fallback.as_deref(),
        Some("Phone")
    );

    // A mapping file that names the phone column says which one is meant.
    let path = dir.path().join("contacts.csv");
    std::fs::write(&path, "Contact ID,Phone,Mobile\nC1,+1 415 555 0132,\n").unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Customers),
        mapping: Some(crate::mapping::MappingOverride {
            columns: [("Mobile".to_string(), "phone".to_string())].into(),
            ..Default::default()
        }),
        ..IngestOptions::default()
    };
    let (out, _s) = ingest_upload(&path, "customers", "contacts.csv", &opts);
    assert_eq!(strings(&batches(&out), "phone"), [None]);
}

/// HubSpot's email-events export names the address "Recipient"; its spam report is a refusal.
/// Its form-submissions export dates the entries by "Conversion Date": every row is a form.
#[test]
fn hubspot_email_events_and_form_submissions() {
    let (out, _s) = ingest_activity(
        "hubspot_email_events.csv",
        "Recipient,Event type,Created,Campaign name,URL\n\
         spam.hub@acme.example,DELIVERED,2023-12-01 08:00,Dec,\n\
         spam.hub@acme.example,OPEN,2023-12-01 08:10,Dec,\n\
         spam.hub@acme.example,SPAMREPORT,2023-12-01 08:12,Dec,\n",
        None,
    );
    let r = &out.report;
    assert_eq!((r.status, r.rows.written), (Status::Ok, 3), "{:?}", r.error);
    let b = batches(&out);
    assert_eq!(
        strings(&b, "event_type"),
        s(&["other", "email_open", "unsubscribe"])
    );
    assert_eq!(strings(&b, "email"), s(&["spam.hub@acme.example"; 3]));

    let (out, _s) = ingest_activity(
        "hubspot_form_submissions.csv",
        "Conversion Date,Conversion Page,Form,Email,First Name,Last Name,Job Title,Company\n\
         2023-12-02 10:00,https://acme.example/demo,Demo request,hsform1@acme.example,Hana,S,CEO,Acme\n",
        None,
    );
    let r = &out.report;
    assert_eq!((r.status, r.rows.written), (Status::Ok, 1), "{:?}", r.error);
    let implied = r.mapping.as_ref().unwrap().implied_event_type.as_ref().unwrap();
    assert_eq!(
        (implied.event_type, implied.from.as_str()),
        ("form_submit", "Conversion Date")
    );
    let b = batches(&out);
    assert_eq!(strings(&b, "event_type"), s(&["form_submit"]));
    assert_eq!(strings(&b, "page"), s(&["https://acme.example/demo"]));
    assert_eq!(strings(&b, "job_title"), s(&["CEO"]));
    assert_eq!(timestamps(&b, "event_ts"), ["2023-12-02T10:00:00+00:00"]);
}

/// Salesforce campaign members exported with the member status under a bare "Status"; a
/// "Status" elsewhere (no campaign and lead or contact id beside it) is no event column.
#[test]
fn campaign_members_status_is_the_event_only_in_a_campaign_member_export() {
    let (out, _s) = ingest_activity(
        "sf_campaign_members.csv",
        "Campaign Name,Lead ID,Contact ID,Email,Title,Status,First Responded Date\n\
         Webinar Q4,00Q5g000001AAA,,sf1@gamma.example,VP Marketing,Responded,2023-12-03\n\
         Webinar Q4,00Q5g000001AAB,,sf2@gamma.example,CTO,Attended,2023-12-03\n",
        None,
    );
    let r = &out.report;
    assert_eq!((r.status, r.rows.written), (Status::Ok, 2), "{:?}", r.error);
    let b = batches(&out);
    assert_eq!(strings(&b, "event_type"), s(&["form_submit", "video_view"]));
    assert_eq!(strings(&b, "job_title"), s(&["VP Marketing", "CTO"]));

    let (out, _s) = ingest_activity(
        "tickets.csv",
        "Contact ID,Email,Status,Created\nC1,c1@x.example,Open,2023-12-03\n",
        None,
    );
    assert_eq!(out.report.error.as_ref().unwrap().code, "missing_columns");
}

/// A Salesforce campaign member is a contact or a lead: its row fills "Contact ID" or "Lead ID".
/// A lead's row is keyed by its Lead ID, the id the CRM's other exports give it, not by its
/// email (a converted lead, with both, is the contact); the report names the column as read.
#[test]
fn a_campaign_member_without_a_contact_id_is_keyed_by_its_lead_id() {
    for header in [
        "Campaign Name,Contact ID,Lead ID,Email,Mobile,Status,First Responded Date",
        "Campaign Name,Lead ID,Contact ID,Email,Mobile,Status,First Responded Date",
    ] {
        let lead_first = header.contains("Lead ID,Contact");
        let row = |contact: &str, lead: &str, rest: &str| match lead_first {
            true => format!("Webinar,{lead},{contact},{rest}\n"),
            false => format!("Webinar,{contact},{lead},{rest}\n"),
        };
        let text = [
            format!("{header}\n"),
            row("0035g000002BBB", "", "c@x.example,,Responded,2024-06-03"),
            row(
                "",
                "00Q5g000001AAA",
                "l@x.example,09121234567,Responded,2024-06-04",
            ),
            row("", "00Q5g000001AAB", ",09122222222,Sent,2024-06-05"),
            row(
                "0035g000002BBC",
                "00Q5g000001AAC",
                "v@x.example,,Attended,2024-06-06",
            ),
            row("", "", "n@x.example,,Responded,2024-06-07"),
        ]
        .concat();
        let (out, _s) = ingest_activity("sf_campaign_members.csv", &text, None);
        let r = &out.report;
        assert_eq!((r.status, r.rows.written), (Status::Ok, 5), "{:?}", r.error);
        let b = batches(&out);
        assert_eq!(
            strings(&b, "contact_id"),
            s(&[
                "0035g000002BBB",
                "00Q5g000001AAA",
                "00Q5g000001AAB",
                "0035g000002BBC",
                "n@x.example"
            ]),
            "{header}"
        );
        // The lead's email and mobile stay beside its id.
        assert_eq!(strings(&b, "email")[1].as_deref(), Some("l@x.example"));
        assert_eq!(strings(&b, "phone")[1].as_deref(), Some("+989121234567"));
        let m = r.mapping.as_ref().unwrap();
        assert_eq!(m.used.get("customer_id").map(String::as_str), Some("Contact ID"));
        assert_eq!(m.id_fallback.as_deref(), Some("Lead ID"));
        assert_eq!(m.unmapped, ["Campaign Name"]);
    }
}

/// GA4's automatic `click` is an outbound-link click on the site, not an email click; an ESP's
/// `click` still is.
#[test]
fn ga4_clicks_are_no_email_clicks() {
    let (out, _s) = ingest_activity(
        "ga4_events.csv",
        "event_date,event_timestamp,event_name,user_pseudo_id,user_id,page_location,link_url\n\
         20231201,1701421200000000,page_view,123.170,G-U100,https://shop.example/blog/x,\n\
         20231201,1701421260000000,click,123.170,G-U100,https://shop.example/blog/x,https://partner.example/\n\
         20231201,1701421270000000,email_link_click,123.170,G-U100,https://shop.example/blog/x,\n",
        None,
    );
    let r = &out.report;
    assert_eq!((r.status, r.rows.written), (Status::Ok, 3), "{:?}", r.error);
    assert_eq!(
        strings(&batches(&out), "event_type"),
        s(&["page_view", "other", "email_click"])
    );

    let (out, _s) = ingest_activity(
        "mailchimp_activity.csv",
        "Email Address,Action,Timestamp,URL\n\
         a@x.example,open,2023-12-01 08:00,\n\
         a@x.example,click,2023-12-01 08:01,https://shop.example/pricing\n",
        None,
    );
    assert_eq!(
        strings(&batches(&out), "event_type"),
        s(&["email_open", "email_click"])
    );
}

/// Form plugins name the job-title field `your-job-title`, `job-title`, `jobtitle`, `your-title`.
#[test]
fn form_plugins_job_title_fields() {
    for field in ["your-job-title", "job-title", "jobtitle", "your-title"] {
        let (out, _s) = ingest_activity(
            "cf7_entries.csv",
            &format!(
                "your-name,your-email,your-subject,{field},your-message,Date\n\
                 Sara K,sara@delta.example,Quote request,CEO,Please send a quote,2023-12-04 12:00:00\n"
            ),
            None,
        );
        let r = &out.report;
        assert_eq!(
            (r.status, r.rows.written),
            (Status::Ok, 1),
            "{field}: {:?}",
            r.error
        );
        assert_eq!(strings(&batches(&out), "job_title"), s(&["CEO"]), "{field}");
    }
}

/// The cells of a text column, all present.
fn s(v: &[&str]) -> Vec<Option<String>> {
    v.iter().map(|c| Some(c.to_string())).collect()
}

/// Curated activity keeps the row's mobile beside an email key (schema version 3), so an SMS
/// opt-out from that number reaches the contact.
#[test]
fn activity_keyed_by_email_keeps_the_rows_mobile() {
    let (out, _s) = ingest_activity(
        "site_activity.csv",
        "نام,موبایل,ایمیل,رویداد,تاریخ,صفحه,سمت\n\
         مریم احمدی,09351112233,maryam@x.ir,دانلود,2023-12-03 10:00,/ebook,کارشناس فروش\n\
         مریم احمدی,,maryam@x.ir,ثبت فرم,2023-12-03 10:05,/demo,کارشناس فروش\n",
        None,
    );
    let r = &out.report;
    assert_eq!((r.status, r.rows.written), (Status::Ok, 2), "{:?}", r.error);
    assert_eq!(r.schema_version, crate::schema::SCHEMA_VERSION);
    let b = batches(&out);
    assert_eq!(strings(&b, "contact_id"), s(&["maryam@x.ir"; 2]));
    assert_eq!(strings(&b, "phone"), [Some("+989351112233".to_string()), None]);
}

/// A number pasted into a workbook's date column keeps its value and loses its date format
/// ("General"): it is the Excel serial of a date, as the column's other cells are.
#[test]
fn an_unformatted_serial_in_a_workbook_date_column_is_a_date() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let row = |id, date, amount| vec![T(id), date, T("K1"), T("Lamp"), N(1.0), N(amount)];
    let path = write_xlsx(
        dir.path(),
        "orders.xlsx",
        &[(
            "Orders",
            vec![
                ["Order ID", "Order Date", "Customer", "Product", "Qty", "Amount"]
                    .map(T)
                    .into(),
                row("1001", Date(45414.0), 80.0),
                row("1003", N(45420.0), 59.97),
                row("1004", Date(45418.0), 12.0),
            ],
        )],
    );
    let (out, _s) = ingest_path(&path, "orders.xlsx", &IngestOptions::default());
    assert_eq!(rejected_by_reason(&out), []);
    assert_eq!(
        times(&batches(&out)),
        [
            "2024-05-02T00:00:00+00:00",
            "2024-05-08T00:00:00+00:00",
            "2024-05-06T00:00:00+00:00"
        ]
    );
}

/// A workbook whose first sheet is blank ("Sheet1" as Excel made it) lists it as skipped, empty.
#[test]
fn an_empty_sheet_is_listed_as_skipped() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let path = write_xlsx(
        dir.path(),
        "orders.xlsx",
        &[
            ("Sheet1", vec![]),
            (
                "Orders",
                vec![
                    ["Order ID", "Order Date", "Customer", "Product", "Qty", "Amount"]
                        .map(T)
                        .into(),
                    vec![T("A-1"), Date(45294.0), T("c1"), T("Mug"), N(1.0), N(12.5)],
                ],
            ),
        ],
    );
    let (out, _s) = ingest_path(&path, "orders.xlsx", &IngestOptions::default());
    let sheets: Vec<(&str, Option<u64>, Option<&str>)> = out
        .report
        .sheets
        .iter()
        .map(|s| (s.name.as_str(), s.line_offset, s.skipped.as_deref()))
        .collect();
    assert_eq!(
        sheets,
        [("Sheet1", None, Some("empty")), ("Orders", Some(0), None)]
    );
    assert_eq!(floats(&batches(&out), "line_amount"), [12.5]);
}

/// A two-row header: "Order" merged over "No." and "Date", "Line" over the line's columns. "No."
/// names nothing alone; under "Order" it is the order number, and one order's lines stay one
/// order.
#[test]
fn a_group_row_above_the_header_names_the_column_under_it() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let row = |id, date, product, qty, price, amount| {
        vec![
            T(id),
            Date(date),
            T("K1"),
            T(product),
            N(qty),
            N(price),
            N(amount),
        ]
    };
    let path = write_xlsx(
        dir.path(),
        "report.xlsx",
        &[(
            "Report",
            vec![
                vec![T("Sales report Q1 2024")],
                vec![T("Order"), T(""), T("Customer"), T("Line"), T(""), T(""), T("")],
                ["No.", "Date", "Customer ID", "Product", "Qty", "Price", "Amount"]
                    .map(T)
                    .into(),
                row("1001", 45296.0, "Lamp", 2.0, 40.0, 80.0),
                row("1001", 45296.0, "Shade", 1.0, 15.0, 15.0),
                row("1002", 45297.0, "Desk", 1.0, 250.0, 250.0),
            ],
        )],
    );
    let (out, _s) = ingest_path(&path, "report.xlsx", &IngestOptions::default());
    let m = out.report.mapping.as_ref().unwrap();
    assert!(
        m.used.iter().any(|(f, h)| f == "order_id" && h == "Order No."),
        "{:?}",
        m.used
    );
    assert!(m.unmapped.is_empty(), "{:?}", m.unmapped);
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), some(&["1001", "1001", "1002"]));
}

/// Quantity, unit price and a discount, without a line amount: the line is worth quantity × price
/// less its discount, a percent where the header, the cell or its Excel format says so, else an
/// amount.
#[test]
fn a_discount_without_a_line_amount_is_taken_off_the_line() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let row = |id, qty, price, discount| {
        vec![
            T(id),
            Date(45413.0),
            T("K1"),
            T("Lamp"),
            N(qty),
            N(price),
            discount,
        ]
    };
    let head = [
        "Order ID",
        "Order Date",
        "Customer ID",
        "Product",
        "Quantity",
        "Unit Price",
        "Discount",
    ];
    let path = write_xlsx(
        dir.path(),
        "orders.xlsx",
        &[(
            "Orders",
            vec![
                head.map(T).into(),
                row("1", 2.0, 100.0, Pct(0.1)),
                row("2", 1.0, 200.0, Pct(0.0)),
            ],
        )],
    );
    let (out, _s) = ingest_path(&path, "orders.xlsx", &IngestOptions::default());
    assert_eq!(floats(&batches(&out), "line_amount"), [180.0, 200.0]);
    let m = out.report.mapping.as_ref().unwrap();
    assert!(m.unmapped.is_empty(), "{:?}", m.unmapped);

    for (name, text, expected) in [
        (
            "amount.csv",
            "Order ID,Order Date,Customer ID,Product,Quantity,Unit Price,Discount\n1,2024-05-01,K1,Lamp,2,100,20\n2,2024-05-02,K2,Desk,1,200,\n",
            [180.0, 200.0],
        ),
        (
            "written.csv",
            "Order ID,Order Date,Customer ID,Product,Quantity,Unit Price,Discount\n1,2024-05-01,K1,Lamp,2,100,10%\n2,2024-05-02,K2,Desk,1,200,0%\n",
            [180.0, 200.0],
        ),
        (
            "header.csv",
            "Order ID,Order Date,Customer ID,Product,Quantity,Unit Price,Discount (%)\n1,2024-05-01,K1,Lamp,2,100,10\n2,2024-05-02,K2,Desk,1,200,0\n",
            [180.0, 200.0],
        ),
        (
            "rabatt.csv",
            "Order ID,Order Date,Customer ID,Product,Quantity,Unit Price,Rabatt %\n1,2024-05-01,K1,Lamp,2,100,10\n2,2024-05-02,K2,Desk,1,200,100\n",
            [180.0, 0.0],
        ),
        (
            "prefix.csv",
            "Order ID,Order Date,Customer ID,Product,Quantity,Unit Price,% Discount\n1,2024-05-01,K1,Lamp,2,100,10\n2,2024-05-02,K2,Desk,1,200,0\n",
            [180.0, 200.0],
        ),
    ] {
        let (out, _s, _d) = ingest_text(name, text);
        assert_eq!(rejected_by_reason(&out), [], "{name}");
        assert_eq!(floats(&batches(&out), "line_amount"), expected, "{name}");
    }
}

/// A sales sheet without a currency column, its amounts formatted with their currency
/// (`#,##0.00 "€"`, as Excel's currency formats do): the currency shown is the row's, as if
/// written beside the number. A workbook with a € sheet and a $ sheet keeps them apart.
#[test]
fn the_currency_of_an_amount_cells_number_format_is_read() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let head = || -> Vec<Cell> {
        [
            "Order ID",
            "Order Date",
            "Customer ID",
            "Product",
            "Quantity",
            "Amount",
        ]
        .map(T)
        .into()
    };
    let row = |id, amount| vec![T(id), Date(45413.0), T("K1"), T("Lamp"), N(1.0), amount];
    let path = write_xlsx(
        dir.path(),
        "orders.xlsx",
        &[
            (
                "EU",
                vec![
                    head(),
                    row("1", Fmt(1234.5, r##"#,##0.00 "€""##)),
                    row("2", Fmt(12.0, r##"#,##0.00\ "€";[Red]\-#,##0.00\ "€""##)),
                    row("3", Fmt(20.0, "[$€-407] #,##0.00")),
                    row("4", Fmt(-5.25, "#,##0.00 [$€-1]")),
                    row(
                        "5",
                        Fmt(
                            7.0,
                            r##"_-* #,##0.00\ [$€-407]_-;\-* #,##0.00\ [$€-407]_-;_-* "-"??\ [$€-407]_-;_-@_-"##,
                        ),
                    ),
                ],
            ),
            (
                "US",
                vec![
                    head(),
                    row("6", Fmt(30.0, r##""$"#,##0.00"##)),
                    row("7", Fmt(40.0, "[$$-409]#,##0.00")),
                    row(
                        "8",
                        Fmt(
                            50.0,
                            r##"_("$"* #,##0.00_);_("$"* \(#,##0.00\);_("$"* "-"??_);_(@_)"##,
                        ),
                    ),
                    row("9", Fmt(60.0, "£#,##0.00")),
                    row("10", Fmt(70.0, "[$$-1009]#,##0.00")),
                ],
            ),
        ],
    );
    let (out, _s) = ingest_path(&path, "orders.xlsx", &IngestOptions::default());
    assert_eq!(rejected_by_reason(&out), []);
    let b = batches(&out);
    assert_eq!(
        floats(&b, "line_amount"),
        [1234.5, 12.0, 20.0, -5.25, 7.0, 30.0, 40.0, 50.0, 60.0, 70.0]
    );
    assert_eq!(
        strings(&b, "currency"),
        some(&[
            "EUR", "EUR", "EUR", "EUR", "EUR", "USD", "USD", "USD", "GBP", "CAD"
        ])
    );

    // A unit price's format, where the line amount is worked out from it.
    let path = write_xlsx(
        dir.path(),
        "prices.xlsx",
        &[(
            "Orders",
            vec![
                ["Order ID", "Order Date", "Customer ID", "Quantity", "Unit Price"]
                    .map(T)
                    .into(),
                vec![
                    T("1"),
                    Date(45413.0),
                    T("K1"),
                    N(2.0),
                    Fmt(9.5, "[$€-407] #,##0.00"),
                ],
            ],
        )],
    );
    let (out, _s) = ingest_path(&path, "prices.xlsx", &IngestOptions::default());
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [19.0]);
    assert_eq!(strings(&b, "currency"), some(&["EUR"]));
}

/// Iranian shops' formats: Rial and Toman written after the number (`#,##0 "ریال"`, in an
/// accounting format's padding), and the code in a locale tag (`[$IRR]`).
#[test]
fn rial_and_toman_number_formats_give_the_currency() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let row = |id, amount| vec![T(id), Date(45413.0), T("K1"), T("Lamp"), N(1.0), amount];
    let path = write_xlsx(
        dir.path(),
        "sales.xlsx",
        &[(
            "Sales",
            vec![
                [
                    "Order ID",
                    "Order Date",
                    "Customer ID",
                    "Product",
                    "Quantity",
                    "Amount",
                ]
                .map(T)
                .into(),
                row(
                    "1",
                    Fmt(1_250_000.0, r##"_-* #,##0 "ریال"_-;\-* #,##0 "ریال"_-"##),
                ),
                row("2", Fmt(125_000.0, r##"#,##0 "تومان""##)),
                row("3", Fmt(2_500_000.0, "[$IRR] #,##0")),
                row("4", Fmt(80_000.0, "#,##0\u{200f} \"تومان\"")),
            ],
        )],
    );
    let (out, _s) = ingest_path(&path, "sales.xlsx", &IngestOptions::default());
    assert_eq!(rejected_by_reason(&out), []);
    let b = batches(&out);
    assert_eq!(
        floats(&b, "line_amount"),
        [1_250_000.0, 125_000.0, 2_500_000.0, 80_000.0]
    );
    assert_eq!(strings(&b, "currency"), some(&["IRR", "IRT", "IRR", "IRT"]));
}

/// A format is read only where the row says nothing itself: a filled currency cell wins over
/// it, a blank one takes it. A number or General format, or a padding `_€` (French Excel's
/// number format aligning with currency cells), shows no currency, and none is made up.
#[test]
fn a_currency_column_wins_over_the_number_format_and_plain_formats_give_none() {
    use Cell::*;
    let dir = tempfile::tempdir().unwrap();
    let euro = r##"#,##0.00 "€""##;
    let path = write_xlsx(
        dir.path(),
        "orders.xlsx",
        &[(
            "Orders",
            vec![
                ["Order ID", "Order Date", "Customer ID", "Amount", "Currency"]
                    .map(T)
                    .into(),
                vec![T("1"), Date(45413.0), T("K1"), Fmt(10.0, euro), T("USD")],
                vec![T("2"), Date(45413.0), T("K2"), Fmt(11.0, euro), T("")],
                vec![T("3"), Date(45413.0), T("K3"), Fmt(12.0, euro), T("GBP")],
            ],
        )],
    );
    let (out, _s) = ingest_path(&path, "orders.xlsx", &IngestOptions::default());
    assert_eq!(rejected_by_reason(&out), []);
    assert_eq!(strings(&batches(&out), "currency"), some(&["USD", "EUR", "GBP"]));

    let path = write_xlsx(
        dir.path(),
        "plain.xlsx",
        &[(
            "Orders",
            vec![
                ["Order ID", "Order Date", "Customer ID", "Amount"].map(T).into(),
                vec![T("1"), Date(45413.0), T("K1"), N(10.0)],
                vec![T("2"), Date(45413.0), T("K2"), Fmt(11.0, "#,##0.00")],
                vec![T("3"), Date(45413.0), T("K3"), Fmt(12.0, "General")],
                vec![T("4"), Date(45413.0), T("K4"), Fmt(13.0, "#,##0.00 _€")],
                vec![T("5"), Date(45413.0), T("K5"), Fmt(14.0, r##"#,##0.00 "kr""##)],
            ],
        )],
    );
    let (out, _s) = ingest_path(&path, "plain.xlsx", &IngestOptions::default());
    assert_eq!(rejected_by_reason(&out), []);
    let b = batches(&out);
    assert_eq!(floats(&b, "line_amount"), [10.0, 11.0, 12.0, 13.0, 14.0]);
    assert_eq!(strings(&b, "currency"), [None, None, None, None, None]);
}

/// An Indian shop's export groups its rupee amounts in lakhs and crores (`1,00,000`): they are
/// read as the numbers they are, as its western-grouped amounts are, not quarantined.
#[test]
fn amounts_grouped_in_lakhs_are_read() {
    let csv = "Order ID,Order Date,Customer ID,Amount\n\
               1,2024-05-01,K1,\"₹1,00,000.00\"\n\
               2,2024-05-01,K2,\"12,34,567.89\"\n\
               3,2024-05-02,K3,\"-2,50,000\"\n\
               4,2024-05-02,K4,\"1,500.00\"\n\
               5,2024-05-03,K5,\"10,00,00,000\"\n";
    let (out, _s, _d) = ingest_bytes("orders.csv", csv.as_bytes());
    assert_eq!(rejected_by_reason(&out), []);
    let b = batches(&out);
    assert_eq!(
        floats(&b, "line_amount"),
        [100_000.0, 1_234_567.89, -250_000.0, 1_500.0, 100_000_000.0]
    );
}

/// A refused OpenDocument spreadsheet's report gives its container as `ods`, whether its type
/// is stored as its archive's first entry (LibreOffice) or only its directory shows it.
#[test]
fn a_refused_opendocument_spreadsheets_container_is_ods() {
    use std::io::Write;
    let (out, _s) = ingest("broken/sheet.ods", &IngestOptions::default());
    assert_eq!(
        refusal_and_container(&out),
        ("unsupported_format".into(), "ods".into())
    );
    let dir = tempfile::tempdir().unwrap();
    // The type after the content: as some zip tools rewrite an .ods.
    let path = dir.path().join("rewritten.ods");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("content.xml", opts).unwrap();
    zip.write_all(b"<office:document-content/>").unwrap();
    zip.start_file("mimetype", opts).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.finish().unwrap();
    let (out, _s) = ingest_path(&path, "rewritten.ods", &IngestOptions::default());
    assert_eq!(
        refusal_and_container(&out),
        ("unsupported_format".into(), "ods".into())
    );
    let message = &out.report.error.as_ref().unwrap().message;
    assert!(message.contains("OpenDocument"), "{message}");
}

/// A refused file's error code and `format.container`, as its report writes them.
fn refusal_and_container(out: &IngestOutcome) -> (String, String) {
    let report = serde_json::to_value(&out.report).unwrap();
    (
        report["error"]["code"].as_str().expect("rejected").to_string(),
        report["format"]["container"]
            .as_str()
            .expect("a container")
            .to_string(),
    )
}

/// A refused object wrapping a list of records (`{"orders": [...]}`) gives its container as the
/// `json_array` it wraps, as when it is read, not the `json_lines` it was sniffed as: when its
/// list is empty (an API's empty page) or one of its records is too large.
#[test]
fn a_refused_wrapped_json_files_container_is_json_array() {
    let (out, _s, _d) = ingest_bytes("page.json", br#"{"orders": [], "total": 0}"#);
    assert_eq!(
        refusal_and_container(&out),
        ("empty_file".into(), "json_array".into())
    );
    let big = format!(
        r#"{{"orders": [{{"id": 1, "created_at": "2024-05-01", "total": "1", "note": "{}"}}]}}"#,
        "x".repeat(16 * 1024 * 1024)
    );
    let (out, _s, _d) = ingest_bytes("big.json", big.as_bytes());
    assert_eq!(
        refusal_and_container(&out),
        ("too_large".into(), "json_array".into())
    );
    // Refused for its columns, as before.
    let (out, _s, _d) = ingest_bytes("other.json", br#"{"orders": [{"foo": 1, "bar": 2}]}"#);
    assert_eq!(
        refusal_and_container(&out),
        ("missing_columns".into(), "json_array".into())
    );
    // A settings object wraps no records: it stays what it was sniffed as.
    let (out, _s, _d) = ingest_bytes(
        "settings.json",
        b"{\n  \"theme\": \"dark\",\n  \"lang\": \"en\"\n}\n",
    );
    assert_eq!(
        refusal_and_container(&out),
        ("unsupported_format".into(), "json_lines".into())
    );
}

/// The refusals an upload kept from its quarantined rows (`curated/refusals`): contact, email
/// and phone of each.
fn refusals_of(out: &IngestOutcome) -> Vec<(Option<String>, Option<String>, Option<String>)> {
    let b = parquet_under(out, &format!("{}/", convert::REFUSALS_PREFIX));
    let (contact, email, phone) = (
        strings(&b, "contact_id"),
        strings(&b, "email"),
        strings(&b, "phone"),
    );
    assert!(
        strings(&b, "event_type")
            .iter()
            .all(|e| e.as_deref() == Some("unsubscribe"))
    );
    assert!(b.iter().all(|b| {
        let ts = b.column_by_name("event_ts").unwrap();
        ts.null_count() == ts.len()
    }));
    contact
        .into_iter()
        .zip(email)
        .zip(phone)
        .map(|((c, e), p)| (c, e, p))
        .collect()
}

/// An SMS log: a STOP whose time cannot be read still refuses, kept under the sender's number;
/// the shop's own outgoing message is its line's, never a refusal, whatever it says.
#[test]
fn a_message_logs_refusal_is_kept_and_the_shops_own_message_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sms.csv");
    std::fs::write(
        &path,
        "From,To,Message,Date,Direction\n\
         +14155550101,+18005550199,STOP,n/a,inbound\n\
         +18005550199,+14155550102,STOP,n/a,outbound-api\n\
         +14155550103,+18005550199,When does my order ship?,2024-06-01 10:00,inbound\n",
    )
    .unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Activity),
        ..Default::default()
    };
    let (out, _staging) = ingest_upload(&path, "activity", "sms.csv", &opts);
    let r = &out.report.rows;
    assert_eq!((r.read, r.written, r.rejected, r.refusals_kept), (3, 1, 2, 1));
    let q = quarantine_lines(&out);
    let said: Vec<(&str, bool)> = q
        .iter()
        .map(|q| (q["reason"].as_str().unwrap(), q["refusal_kept"] == true))
        .collect();
    assert_eq!(said, [("missing_date", true), ("outgoing_message", false)]);
    assert_eq!(
        refusals_of(&out),
        [(Some("+14155550101".into()), None, Some("+14155550101".into()))]
    );
}

/// An activity export's opt-out column (Salesforce's campaign members' "Email Opt Out") keeps
/// the refusal of each contact it names once, also from a row quarantined for its date; the
/// events are written as usual. A bare consent header beside the events ("Newsletter") counts
/// only a plain answer: a newsletter's name there refuses no one.
#[test]
fn an_activity_exports_opt_out_column_keeps_its_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("members.csv");
    std::fs::write(
        &path,
        "Campaign Name,Lead ID,Email,Member Status,Created Date,Email Opt Out,Newsletter\n\
         Webinar Q2,00Q1,ann@corp.example,Responded,2024-06-03,1,June issue\n\
         Webinar Q3,00Q1,ann@corp.example,Responded,2024-07-03,1,\n\
         Webinar Q2,00Q2,bob@corp.example,Responded,2024-06-03,0,June issue\n\
         Webinar Q2,00Q5,eve@corp.example,Responded,n/a,true,\n\
         Webinar Q2,00Q6,fay@corp.example,Responded,2024-06-04,,no\n",
    )
    .unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Activity),
        ..Default::default()
    };
    let (out, _staging) = ingest_upload(&path, "activity", "members.csv", &opts);
    let r = &out.report.rows;
    assert_eq!((r.read, r.written, r.rejected, r.refusals_kept), (5, 4, 1, 1));
    let m = out.report.mapping.as_ref().unwrap();
    assert_eq!(m.more_consent, ["Email Opt Out", "Newsletter"]);
    assert_eq!(m.opt_out, ["Email Opt Out"]);
    assert!(
        !m.unmapped.iter().any(|h| h.contains("Opt Out")),
        "{:?}",
        m.unmapped
    );
    let kept: Vec<Option<String>> = refusals_of(&out).into_iter().map(|(c, ..)| c).collect();
    assert_eq!(
        kept,
        [Some("00Q1".into()), Some("00Q5".into()), Some("00Q6".into())]
    );
}

/// A file whose every row is quarantined fills no batch of written rows: its refusals are
/// written as they come, every one of them.
#[test]
fn every_refusal_of_a_file_of_quarantined_rows_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unsubscribed.csv");
    let mut text = String::from("Email,Activity Type,Timestamp\n");
    let n = BATCH_ROWS + 10;
    for i in 0..n {
        text.push_str(&format!("u{i}@x.example,Unsubscribe,n/a\n"));
    }
    std::fs::write(&path, text).unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Activity),
        ..Default::default()
    };
    let (out, _staging) = ingest_upload(&path, "activity", "unsubscribed.csv", &opts);
    let r = &out.report.rows;
    assert_eq!((r.written, r.rejected, r.refusals_kept), (0, n as u64, n as u64));
    let kept = refusals_of(&out);
    assert_eq!(kept.len(), n);
    assert_eq!(
        kept[n - 1].0.as_deref(),
        Some(format!("u{}@x.example", n - 1).as_str())
    );
    let file = out
        .files
        .iter()
        .find(|f| f.key.starts_with(convert::REFUSALS_PREFIX))
        .unwrap();
    assert_eq!(file.rows, n as u64);
}

/// A "no" at checkout on an order that never happened (cancelled, unpaid) links no one, but
/// still refuses: it is kept in `curated/refusals`, as from a row that could not be read. The
/// row itself is written (it counts in no refusal of a quarantined row), and a "yes" on a
/// cancelled order keeps nothing.
#[test]
fn a_no_at_checkout_on_a_cancelled_order_still_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.csv");
    std::fs::write(
        &path,
        "Order ID,Customer ID,Email,Status,Accepts Marketing,Order Date,Amount\n\
         1001,C30,c30@x.example,Cancelled,no,2024-06-01,10.00\n\
         1002,C31,c31@x.example,Cancelled,yes,2024-06-01,12.00\n\
         1003,C32,c32@x.example,Paid,no,2024-06-01,14.00\n",
    )
    .unwrap();
    let opts = IngestOptions {
        dataset: Some(Dataset::Sales),
        ..Default::default()
    };
    let (out, _staging) = ingest_upload(&path, "sales", "orders.csv", &opts);
    let r = &out.report.rows;
    assert_eq!((r.read, r.written, r.rejected, r.refusals_kept), (3, 3, 0, 0));
    assert_eq!(
        refusals_of(&out),
        [(Some("C30".into()), Some("c30@x.example".into()), None)]
    );
}

mod refunds;

/// A file whose rows cycle through more months than writers may be open, over more than one
/// batch (the fuzz review's column of numbers read as Excel serials spanned 2,062 months and
/// peaked at 816 MB, one open writer per month): each month's later rows continue in a `-2`
/// file, every file written is listed with its rows, and the outputs are byte-identical from run
/// to run. Generated here, not committed: 140,000 rows.
#[test]
fn a_file_spanning_more_months_than_open_writers_lists_every_file() {
    let months = writer::MAX_OPEN_WRITERS + 72;
    let rows = 140_000;
    let mut text = String::from("InvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID\n");
    for i in 0..rows {
        let m = i % months;
        text.push_str(&format!(
            "{i},1,{}-{:02}-15,2,C{}\n",
            2000 + m / 12,
            m % 12 + 1,
            i % 50
        ));
    }
    let (a, sa, _da) = ingest_bytes("cycling_months.csv", text.as_bytes());
    let (b, _sb, _db) = ingest_bytes("cycling_months.csv", text.as_bytes());
    assert_eq!(a.report.rows.written, rows as u64);
    let curated: Vec<&writer::OutputFile> = a
        .report
        .outputs
        .iter()
        .filter(|f| f.key.starts_with("curated/sales/"))
        .collect();
    assert_eq!(curated.iter().map(|f| f.rows).sum::<u64>(), rows as u64);
    let partitions: std::collections::BTreeSet<&str> = curated
        .iter()
        .map(|f| f.key.rsplit_once('/').unwrap().0)
        .collect();
    assert_eq!(partitions.len(), months);
    assert!(
        curated.len() > months,
        "months past the cap continue in more files"
    );
    assert!(
        curated.iter().any(|f| f.key.ends_with(".e-3f79bb7b-2.parquet")),
        "{:?}",
        curated[0].key
    );
    // Every staged Parquet file is listed: what the manifest's `outputs` will name.
    let mut staged = Vec::new();
    let mut dirs = vec![sa.path().join("curated")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                staged.push(p.strip_prefix(sa.path()).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    staged.sort();
    let mut listed: Vec<&str> = a
        .files
        .iter()
        .filter(|f| f.key.starts_with("curated/"))
        .map(|f| f.key.as_str())
        .collect();
    listed.sort();
    assert_eq!(staged, listed);
    assert_eq!(a.files.len(), b.files.len());
    for (x, y) in a.files.iter().zip(&b.files) {
        assert_eq!(x.key, y.key);
        assert_eq!(
            std::fs::read(&x.path).unwrap(),
            std::fs::read(&y.path).unwrap(),
            "{}",
            x.key
        );
    }
}

/// Blank lines above the header, more than the 256 KiB the sniffer reads (the fuzz review's file
/// was refused as empty), after a BOM, in CRLF, or above one JSON Lines record: read past. A file
/// of nothing but blank lines is still empty.
#[test]
fn blank_lines_above_the_header_are_read_past_however_many() {
    let header = "InvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,2,2023-01-05,1.50,C1\n";
    let blank = "\n".repeat(256 * 1024);
    let (out, _s, _d) = ingest_bytes("blank.csv", format!("{blank}{header}").as_bytes());
    assert_eq!(out.report.status, report::Status::Ok, "{:?}", out.report.error);
    assert_eq!(out.report.header_line, Some(256 * 1024 + 1));
    assert_eq!(out.report.rows.written, 1);

    let crlf = "\r\n".repeat(200_000);
    let semicolons = "InvoiceNo;Quantity;InvoiceDate;UnitPrice;CustomerID\r\n1;2;2023-01-05;1,50;C1\r\n";
    let bytes = [&b"\xEF\xBB\xBF"[..], crlf.as_bytes(), semicolons.as_bytes()].concat();
    let (out, _s, _d) = ingest_bytes("bom.csv", &bytes);
    let f = out.report.format.as_ref().unwrap();
    assert_eq!(
        (f.encoding, f.delimiter, f.crlf),
        (sniff::TextEncoding::Utf8Bom, b';', true)
    );
    assert_eq!(floats(&batches(&out), "unit_price"), [1.5]);

    let record =
        r#"{"order_id":"1","customer_id":"C1","order_date":"2023-01-05","quantity":2,"unit_price":1.5}"#;
    let (out, _s, _d) = ingest_bytes("one.jsonl", format!("{blank}{record}\n").as_bytes());
    assert_eq!(out.report.status, report::Status::Ok, "{:?}", out.report.error);
    assert_eq!(out.report.rows.written, 1);

    let (out, _s, _d) = ingest_bytes("nothing.csv", blank.repeat(2).as_bytes());
    assert_eq!(out.report.error.as_ref().unwrap().code, "empty_file");
}

/// The same in UTF-16, either byte order, with a BOM or without (the verify review's file of
/// 300 KiB of blank lines was refused as empty): the blanks are skipped a whole unit at a time.
#[test]
fn utf16_blank_lines_above_the_header_are_read_past() {
    let text = format!(
        "{}InvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID\r\n1,2,2023-01-05,1.50,C1\r\n",
        "\r\n".repeat(80_000)
    );
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for (name, bytes, encoding) in [
        (
            "le_bom.csv",
            [&[0xFF, 0xFE][..], &le].concat(),
            sniff::TextEncoding::Utf16Le,
        ),
        (
            "be_bom.csv",
            [&[0xFE, 0xFF][..], &be].concat(),
            sniff::TextEncoding::Utf16Be,
        ),
        ("le.csv", le.clone(), sniff::TextEncoding::Utf16Le),
        ("be.csv", be.clone(), sniff::TextEncoding::Utf16Be),
    ] {
        let (out, _s, _d) = ingest_bytes(name, &bytes);
        assert_eq!(
            out.report.status,
            report::Status::Ok,
            "{name}: {:?}",
            out.report.error
        );
        assert_eq!(out.report.format.as_ref().unwrap().encoding, encoding, "{name}");
        assert_eq!(out.report.rows.written, 1, "{name}");
        assert_eq!(floats(&batches(&out), "unit_price"), [1.5], "{name}");
    }
    let nothing: Vec<u8> = "\n"
        .repeat(200_000)
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let (out, _s, _d) = ingest_bytes("nothing16.csv", &[&[0xFF, 0xFE][..], &nothing].concat());
    assert_eq!(out.report.error.as_ref().unwrap().code, "empty_file");
}

/// A price so large that the line's amount overflows (2 × 1e308), or that parses to infinity
/// itself (401 digits), is an implausible price: it was quarantined `bad_number` naming the
/// quantity, whose value was fine. A line whose quantity and price are each under the bound but whose
/// product is over it is an implausible amount, named by its price column.
#[test]
fn an_overflowing_line_amount_is_implausible_not_a_bad_quantity() {
    let huge = format!("1{}", "0".repeat(400));
    let csv = format!(
        "InvoiceNo,InvoiceDate,CustomerID,Quantity,UnitPrice\n\
         1,2023-05-05,A,2,1e308\n\
         2,2023-05-05,B,1,{huge}\n\
         3,2023-05-05,C,100000000,100000000\n\
         4,2023-05-05,D,1,10\n"
    );
    let (out, _s, _d) = sales_text("sales.csv", &csv);
    assert_eq!(rejected_by_reason(&out), [("implausible_amount", 3)]);
    let q = quarantine_lines(&out);
    let named: Vec<(&str, &str)> = q
        .iter()
        .map(|l| (l["column"].as_str().unwrap(), l["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        named,
        [
            ("UnitPrice", "1e308"),
            ("UnitPrice", huge.as_str()),
            ("UnitPrice", "100000000")
        ]
    );
}

/// Shopify's GraphQL orders (`data.orders.edges[].node`, line items as `nodes` or `edges`, prices
/// as `originalUnitPriceSet.shopMoney.amount`) were refused `missing_columns`: read as the REST
/// orders are, one row per line item.
#[test]
fn shopify_graphql_orders_are_read_by_their_line_items() {
    let money = |amount: &str| format!(r#"{{"shopMoney":{{"amount":"{amount}","currencyCode":"USD"}}}}"#);
    let order = |id: u32, email: &str, items: String| {
        let paid = if id == 501 { "PAID" } else { "REFUNDED" };
        format!(
            r##"{{"node":{{"id":"gid://shopify/Order/{id}","name":"#{id}","createdAt":"2023-11-05T10:00:00Z","displayFinancialStatus":"{paid}","customer":{{"id":"gid://shopify/Customer/{id}","email":"{email}"}},"lineItems":{items}}}}}"##
        )
    };
    let item = |sku: &str, qty: u32, price: &str| {
        format!(
            r#"{{"sku":"{sku}","name":"{sku} mug","quantity":{qty},"originalUnitPriceSet":{}}}"#,
            money(price)
        )
    };
    let nodes = format!(r#"{{"nodes":[{}]}}"#, item("GA", 2, "30.0"));
    let edges = format!(
        r#"{{"edges":[{{"node":{}}},{{"node":{}}}]}}"#,
        item("GB", 1, "12.5"),
        item("GC", 3, "4.0")
    );
    let file = format!(
        r#"{{"data":{{"orders":{{"edges":[{},{}],"pageInfo":{{"hasNextPage":false}}}}}}}}"#,
        order(501, "a@ex.com", nodes),
        order(502, "b@ex.com", edges)
    );
    let (out, _s, _d) = ingest_bytes("orders.json", file.as_bytes());
    assert_eq!(out.report.status, report::Status::Ok, "{:?}", out.report.error);
    let b = batches(&out);
    assert_eq!(floats(&b, "unit_price"), [30.0, 12.5, 4.0]);
    assert_eq!(floats(&b, "quantity"), [2.0, 1.0, 3.0]);
    let some = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
    assert_eq!(strings(&b, "product_id"), some(&["GA", "GB", "GC"]));
    assert_eq!(strings(&b, "product_name"), some(&["GA mug", "GB mug", "GC mug"]));
    let customers = strings(&b, "customer_id");
    assert!(
        customers[1] == customers[2] && customers[0] != customers[1],
        "{customers:?}"
    );
    // Keyed by `name`, as Shopify's CSV export keys the same orders.
    assert_eq!(strings(&b, "order_id"), some(&["#501", "#502", "#502"]));
    // The order's financial status is its status, as in a bulk export.
    assert_eq!(strings(&b, "status"), some(&["paid", "refunded", "refunded"]));
}
