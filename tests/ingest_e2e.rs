//! The ingest Lambda handler end to end: real event JSON from fixtures/, a real S3-protocol server,
//! the real aws-sdk-s3 client, and the Parquet, quarantine and reports read back.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float64Type, TimeUnit, TimestampMicrosecondType};
use segflow_e2e::*;
use segflow_engine::ingest::naming::source_id;
use segflow_ingest_fn::pipeline::{ingest_object, manifest_key, pending_prefix, sync_removed};
use segflow_ingest_fn::{IngestConfig, IngestHandler};
use segflow_storage::{ObjectStore, S3Store};
use serde_json::Value;

fn handler(server: &S3Server) -> IngestHandler<impl Fn(&str) -> S3Store + '_> {
    let config = IngestConfig {
        timezone: chrono_tz::Asia::Tehran,
        ..IngestConfig::default()
    };
    handler_with(server, config)
}

fn handler_with(server: &S3Server, config: IngestConfig) -> IngestHandler<impl Fn(&str) -> S3Store + '_> {
    IngestHandler::new(
        move |bucket: &str| {
            if bucket == "unreachable-bucket" {
                // Nothing listens on port 9 of loopback: every request fails like a network outage.
                S3Store::new(client_for("http://127.0.0.1:9"), bucket, "")
            } else {
                S3Store::new(server.client.clone(), bucket, "")
            }
        },
        config,
    )
}

async fn report_for(server: &S3Server, key_part: &str) -> Value {
    let keys = server.keys("reports/ingest/").await;
    let key = keys
        .iter()
        .find(|k| k.contains(key_part))
        .unwrap_or_else(|| panic!("no report for {key_part} in {keys:?}"));
    server.json(key).await
}

fn counts(report: &Value) -> (u64, u64, u64) {
    let r = &report["rows"];
    (
        r["read"].as_u64().unwrap(),
        r["written"].as_u64().unwrap(),
        r["rejected"].as_u64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn direct_s3_event_converts_uploads_and_duplicate_delivery_changes_nothing() {
    let server = S3Server::start().await;
    let uci = "incoming/sales/Online Retail 2023.csv";
    let persian = "incoming/sales/فروش ۱۴۰۲.csv";
    server
        .upload(uci, &fixture("exports/sales/Online Retail 2023.csv"))
        .await;
    server
        .upload(persian, &fixture("exports/sales/فروش ۱۴۰۲.csv"))
        .await;

    let h = handler(&server);
    let resp = h.handle(&event("s3_put.json")).await.expect("handled");
    let outcomes: Vec<&str> = resp.processed.iter().map(|s| s.outcome).collect();
    assert_eq!(outcomes, ["ok", "ok"], "{:?}", resp.processed);
    assert!(resp.batch_item_failures.is_empty());

    // UCI: every data line of the file is a row; cancellations are flagged, not dropped.
    let report = report_for(&server, "online_retail_2023-").await;
    let lines = std::fs::read_to_string(fixture("exports/sales/Online Retail 2023.csv"))
        .unwrap()
        .lines()
        .count() as u64
        - 1;
    assert_eq!(counts(&report), (lines, lines, 0));
    assert_eq!(report["format"]["delimiter"], ",");
    assert_eq!(report["parsing"]["date_format"], "month-first");
    assert_eq!(report["mapping"]["used"]["order_date"], "InvoiceDate");
    let parquet_keys: Vec<String> = server
        .keys("curated/sales/")
        .await
        .into_iter()
        .filter(|k| k.contains("online_retail_2023-"))
        .collect();
    assert!(
        parquet_keys.iter().all(|k| k.contains("/order_month=20")),
        "{parquet_keys:?}"
    );
    let mut total = 0;
    let mut returns = 0;
    for k in &parquet_keys {
        let batches = read_parquet(server.get(k).await);
        total += rows(&batches);
        for b in &batches {
            returns += b.column_by_name("is_return").unwrap().as_boolean().true_count();
            let ts = b.column_by_name("order_ts").unwrap();
            assert_eq!(
                ts.data_type(),
                &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
            );
        }
    }
    assert_eq!(total as u64, lines);
    assert_eq!(returns as u64, report["stats"]["returns"].as_u64().unwrap());
    assert!(returns > 0);

    // Persian: Jalali dates in Tehran time, Persian digits, Toman with Persian thousands separators.
    let report = report_for(&server, "src-").await;
    assert_eq!(counts(&report), (6, 6, 0));
    assert_eq!(report["format"]["encoding"], "utf-8-bom");
    let key = server
        .keys("curated/sales/order_month=2023-11/")
        .await
        .into_iter()
        .find(|k| k.contains("src-"))
        .unwrap();
    let batches = read_parquet(server.get(&key).await);
    let b = &batches[0];
    let ts = b
        .column_by_name("order_ts")
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>();
    // ۱۴۰۲/۰۸/۱۳ ۱۰:۳۰ in Tehran (+03:30) is 2023-11-04T07:00:00Z.
    assert_eq!(
        ts.value(0),
        chrono::DateTime::parse_from_rfc3339("2023-11-04T07:00:00Z")
            .unwrap()
            .timestamp_micros()
    );
    let amount = b
        .column_by_name("line_amount")
        .unwrap()
        .as_primitive::<Float64Type>();
    assert_eq!(amount.value(1), 12_500_000.0);
    assert_eq!(
        b.column_by_name("currency").unwrap().as_string::<i32>().value(1),
        "IRT"
    );
    assert_eq!(
        b.column_by_name("customer_id")
            .unwrap()
            .as_string::<i32>()
            .value(0),
        "C-17"
    );

    // The same event again: nothing is rewritten, nothing is duplicated.
    let before: Vec<(String, Vec<u8>)> = {
        let mut v = Vec::new();
        for k in server.keys("curated/").await {
            let bytes = server.get(&k).await;
            v.push((k, bytes));
        }
        v
    };
    let resp = h.handle(&event("s3_put.json")).await.expect("handled");
    assert!(
        resp.processed.iter().all(|s| s.outcome == "duplicate"),
        "{:?}",
        resp.processed
    );
    let mut after = Vec::new();
    for k in server.keys("curated/").await {
        let bytes = server.get(&k).await;
        after.push((k, bytes));
    }
    assert_eq!(before, after);
}

#[tokio::test(flavor = "multi_thread")]
async fn corrected_reupload_replaces_the_old_rows() {
    let server = S3Server::start().await;
    let key = "incoming/sales/Online Retail 2023.csv";
    let original = std::fs::read_to_string(fixture("exports/sales/Online Retail 2023.csv")).unwrap();
    server.upload_bytes(key, original.clone().into_bytes()).await;
    let h = handler(&server);
    h.handle(&event("s3_put.json")).await.expect("first version");
    let first_keys = server.keys("curated/sales/").await;

    // The corrected export keeps only the 2023 rows: the December 2022 partition must disappear.
    let corrected: String = original
        .lines()
        .filter(|l| !l.contains("/2022 "))
        .map(|l| format!("{l}\r\n"))
        .collect();
    let kept = corrected.lines().count() - 1;
    server.upload_bytes(key, corrected.into_bytes()).await;
    let resp = h.handle(&event("s3_put.json")).await.expect("second version");
    assert_eq!(resp.processed[0].outcome, "ok");
    let keys = server.keys("curated/sales/").await;
    assert!(first_keys.iter().any(|k| k.contains("order_month=2022-12")));
    assert!(
        !keys.iter().any(|k| k.contains("order_month=2022-12")),
        "stale partition left: {keys:?}"
    );
    let mut total = 0;
    for k in keys.iter().filter(|k| k.contains("online_retail_2023-")) {
        total += rows(&read_parquet(server.get(k).await));
    }
    assert_eq!(
        total, kept,
        "rows of the old version must be replaced, not added to"
    );
    // Each upload keeps its own report.
    assert_eq!(
        server
            .keys("reports/ingest/sales/")
            .await
            .iter()
            .filter(|k| k.contains("online_retail_2023-"))
            .count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sqs_batch_reports_only_retryable_failures() {
    let server = S3Server::start().await;
    server
        .upload(
            "incoming/sales/Bestellungen 2023.csv",
            &fixture("exports/sales/Bestellungen 2023.csv"),
        )
        .await;
    server
        .upload("incoming/sales/not_sales.csv", &fixture("broken/not_sales.csv"))
        .await;
    server
        .upload(
            "incoming/customers/crm_customers.csv",
            &fixture("exports/customers/crm_customers.csv"),
        )
        .await;
    let mut payload = event("sqs_s3.json");
    // A fifth message for a bucket whose endpoint is down: the only one Lambda should redeliver.
    let mut outage = payload["Records"][0].clone();
    outage["messageId"] = "outage-1".into();
    outage["body"] = outage["body"]
        .as_str()
        .unwrap()
        .replace(BUCKET, "unreachable-bucket")
        .into();
    payload["Records"].as_array_mut().unwrap().push(outage);

    let resp = handler(&server)
        .handle(&payload)
        .await
        .expect("SQS batches never fail whole");
    let failed: Vec<&str> = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["outage-1"]);
    let by_key = |k: &str| {
        resp.processed
            .iter()
            .find(|s| s.key.ends_with(k))
            .unwrap_or_else(|| panic!("{k}"))
    };
    assert_eq!(by_key("Bestellungen 2023.csv").outcome, "partial");
    assert_eq!(by_key("not_sales.csv").outcome, "rejected");
    assert_eq!(by_key("crm_customers.csv").outcome, "ok");

    // German export: cp1252, `;`, decimal comma, day-first dates; two bad rows quarantined.
    let report = report_for(&server, "bestellungen_2023-").await;
    assert_eq!(report["format"]["encoding"], "windows-1252");
    assert_eq!(report["format"]["delimiter"], ";");
    assert_eq!(counts(&report), (6, 4, 2));
    assert_eq!(report["rows"]["rejected_by_reason"]["bad_date"], 1);
    assert_eq!(report["rows"]["rejected_by_reason"]["bad_number"], 1);
    let q = String::from_utf8(server.get(report["quarantine"].as_str().unwrap()).await).unwrap();
    let entries: Vec<Value> = q.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0]["line"].as_u64(), entries[0]["column"].as_str()),
        (Some(5), Some("Rechnungsdatum"))
    );
    assert_eq!(entries[1]["value"], "abc");
    let key = server
        .keys("curated/sales/order_month=2023-11/")
        .await
        .into_iter()
        .find(|k| k.contains("bestellungen"))
        .unwrap();
    let b = &read_parquet(server.get(&key).await)[0];
    let price = b
        .column_by_name("unit_price")
        .unwrap()
        .as_primitive::<Float64Type>();
    assert!(
        price.iter().flatten().any(|p| p == 1045.0),
        "1.045,00 is one thousand forty-five"
    );

    // A file that is not a sales export: a report with a clear error, no data, no retry.
    let report = report_for(&server, "not_sales-").await;
    assert_eq!(report["status"], "rejected");
    assert_eq!(report["error"]["code"], "missing_columns");
    let msg = report["error"]["message"].as_str().unwrap();
    // Not one known column name: the first row may be data, so its cells are not repeated.
    assert!(
        msg.contains("3 columns, none of them a known column name"),
        "{msg}"
    );
    assert!(!msg.contains("colour"), "{msg}");
    assert!(
        server
            .keys("curated/sales/")
            .await
            .iter()
            .all(|k| !k.contains("not_sales"))
    );
}

/// A direct invocation whose objects cannot be read for a cause retries cannot fix (the server
/// refuses the function's signature, as S3 refuses a role without the grant) fails as `Storage`,
/// not `Retryable`, and counts the objects it tried, not the events it ignored.
#[tokio::test(flavor = "multi_thread")]
async fn a_direct_invocation_failing_for_good_is_no_retryable_error() {
    let server = S3Server::start().await;
    let mut payload = event("s3_put.json");
    let ignored = serde_json::json!({"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"});
    payload["Records"].as_array_mut().unwrap().push(ignored);
    let h = IngestHandler::new(
        |bucket: &str| {
            S3Store::new(
                client_signing_with(&server.endpoint, "not-the-secret"),
                bucket,
                "",
            )
        },
        IngestConfig::default(),
    );
    let e = h.handle(&payload).await.expect_err("the objects failed");
    assert_eq!((e.failed, e.retryable, e.total), (2, 0, 2));
    assert_eq!(e.error_type(), "Storage");
    let message = e.to_string();
    assert!(
        message.starts_with("2 of 2 objects failed, 0 of them with errors a retry may pass; first: "),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn eventbridge_and_test_events() {
    let server = S3Server::start().await;
    server
        .upload(
            "incoming/sales/excel_unicode_text.txt",
            &fixture("exports/sales/excel_unicode_text.txt"),
        )
        .await;
    let h = handler(&server);
    let resp = h.handle(&event("eventbridge_object_created.json")).await.unwrap();
    assert_eq!(resp.processed.len(), 1);
    assert_eq!(resp.processed[0].outcome, "ok");
    let report = report_for(&server, "excel_unicode_text-").await;
    assert_eq!(report["format"]["encoding"], "utf-16le");
    assert_eq!(report["format"]["delimiter"], "\\t");
    assert_eq!(counts(&report), (3, 3, 0));

    let resp = h.handle(&event("s3_test_event.json")).await.unwrap();
    assert!(resp.processed.is_empty() && resp.batch_item_failures.is_empty());
}

/// An event naming a key the S3 notification's filters never let through (only a direct
/// invocation or a hand-written SQS message can) is answered `ignored_outside_incoming`, and
/// nothing is read: not a folder other than the three datasets' (read as whatever its header
/// said), nor a path through `..` (the sales upload read as customers) or `.`.
#[tokio::test(flavor = "multi_thread")]
async fn a_forged_event_outside_the_dataset_folders_is_ignored() {
    let server = S3Server::start().await;
    let sales = fixture("exports/sales/Online Retail 2023.csv");
    server.upload("incoming/other/x.csv", &sales).await;
    server.upload("incoming/sales/pii.csv", &sales).await;
    let record = |key: &str| {
        serde_json::json!({"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": BUCKET}, "object": {"key": key, "size": 10}}})
    };
    let forged = [
        "incoming/other/x.csv",
        "incoming/customers/../sales/pii.csv",
        "incoming/customers/%2E%2E/sales/pii.csv",
        "incoming/sales/./pii.csv",
        "incoming/Sales/pii.csv",
        "incoming/pii.csv",
    ];
    let payload = serde_json::json!({"Records": forged.iter().map(|k| record(k)).collect::<Vec<_>>()});
    let resp = handler(&server).handle(&payload).await.expect("handled");
    let outcomes: Vec<(&str, &str)> = resp
        .processed
        .iter()
        .map(|s| (s.key.as_str(), s.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("incoming/other/x.csv", "ignored_outside_incoming"),
            ("incoming/customers/../sales/pii.csv", "ignored_outside_incoming"),
            ("incoming/customers/../sales/pii.csv", "ignored_outside_incoming"),
            ("incoming/sales/./pii.csv", "ignored_outside_incoming"),
            ("incoming/Sales/pii.csv", "ignored_outside_incoming"),
            ("incoming/pii.csv", "ignored_outside_incoming"),
        ]
    );
    assert!(resp.batch_item_failures.is_empty());
    assert!(server.keys("curated/").await.is_empty());
    assert!(server.keys("reports/").await.is_empty());

    // The same upload under its own key is read.
    let resp = handler(&server)
        .handle(&serde_json::json!({"Records": [record("incoming/sales/pii.csv")]}))
        .await
        .expect("handled");
    assert_eq!(resp.processed[0].outcome, "ok", "{:?}", resp.processed);
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_files_get_readable_reports_and_rows_reconcile() {
    let server = S3Server::start().await;
    let cases = [
        ("empty.csv", "empty_file"),
        ("photo.csv", "binary_file"),
        ("not_sales.csv", "missing_columns"),
        ("bomb.csv.gz", "compression_bomb"),
    ];
    let mut records = Vec::new();
    for (name, _) in cases.iter().chain([("bad_rows.csv", "")].iter()) {
        let key = format!("incoming/sales/{name}");
        server.upload(&key, &fixture(&format!("broken/{name}"))).await;
        records.push(
            serde_json::json!({"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": BUCKET}, "object": {"key": key}}}),
        );
    }
    let resp = handler(&server)
        .handle(&serde_json::json!({ "Records": records }))
        .await
        .expect("no retry for bad files");
    for (name, code) in cases {
        let stem = name.split('.').next().unwrap();
        let report = report_for(&server, &format!("/{stem}-")).await;
        assert_eq!(report["status"], "rejected", "{name}");
        assert_eq!(report["error"]["code"], code, "{name}: {}", report["error"]);
        assert!(!report["error"]["message"].as_str().unwrap().is_empty());
    }
    let s = resp
        .processed
        .iter()
        .find(|s| s.key.ends_with("bad_rows.csv"))
        .unwrap();
    assert_eq!((s.rows_read, s.rows_written, s.rows_rejected), (6, 2, 4));
    let report = report_for(&server, "bad_rows-").await;
    let reasons = &report["rows"]["rejected_by_reason"];
    assert_eq!(reasons["bad_number"], 1);
    assert_eq!(reasons["bad_date"], 1);
    assert_eq!(reasons["missing_amount"], 1);
    assert_eq!(reasons["too_many_fields"], 1);
    let q = String::from_utf8(server.get(report["quarantine"].as_str().unwrap()).await).unwrap();
    assert_eq!(q.lines().count(), 4);
    // Rejected files publish nothing but their report.
    assert!(
        server
            .keys("curated/")
            .await
            .iter()
            .all(|k| k.contains("bad_rows"))
    );
    assert!(
        server
            .keys("quarantine/")
            .await
            .iter()
            .all(|k| k.contains("bad_rows"))
    );
}

fn without_2022(original: &str) -> String {
    original
        .lines()
        .filter(|l| !l.contains("/2022 "))
        .map(|l| format!("{l}\r\n"))
        .collect()
}

const UCI_KEY: &str = "incoming/sales/Online Retail 2023.csv";

fn uci() -> String {
    std::fs::read_to_string(fixture("exports/sales/Online Retail 2023.csv")).unwrap()
}

/// A corrected export uploaded while the first one is still being converted: the stale run must
/// not publish (it could overwrite the newer rows or leave months no manifest names); the newer
/// version's own event does.
#[tokio::test(flavor = "multi_thread")]
async fn a_version_replaced_while_converting_is_not_published() {
    let server = S3Server::start().await;
    server.upload_bytes(UCI_KEY, uci().into_bytes()).await;
    let corrected = without_2022(&uci());
    let input = Hooked {
        inner: server.store(),
        upload_during_download: Some(corrected.clone().into_bytes()),
        fail_upload_of: None,
        delete_after_list: None,
        fail_put_if_under: None,
    };
    let opts = IngestConfig::default().engine_options();
    let tmp = tempfile::tempdir().unwrap();
    let out = server.store();
    let s = ingest_object(&input, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(s.outcome, "superseded");
    assert!(server.keys("curated/").await.is_empty());
    assert!(server.keys("state/").await.is_empty());

    let s = ingest_object(&out, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(s.outcome, "ok");
    assert_eq!(s.rows_written as usize, corrected.lines().count() - 1);
}

/// The curated and quarantine files no manifest lists.
async fn unlisted(server: &S3Server, key: &str) -> Vec<String> {
    let state = server.json(&manifest_key(&source_id(key))).await;
    let listed: Vec<&str> = state["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    let mut files = server.keys("curated/").await;
    files.extend(server.keys("quarantine/").await);
    files.retain(|k| !listed.contains(&k.as_str()));
    files
}

/// A run cut off between its uploads and its manifest (here S3 refuses the manifest's write; a
/// timeout does the same) leaves curated files no manifest lists, which the segment job and
/// Athena would count beside the next version's. Its note of them lets a later run of the source
/// delete them, once the note is older than any run can last (a younger one may be of a run
/// still uploading, whose files are left to it).
#[tokio::test(flavor = "multi_thread")]
async fn files_of_a_run_cut_off_before_its_manifest_are_deleted_by_a_later_run() {
    let server = S3Server::start().await;
    let (out, opts, tmp) = (
        server.store(),
        IngestConfig::default().engine_options(),
        tempfile::tempdir().unwrap(),
    );
    server.upload_bytes(UCI_KEY, uci().into_bytes()).await;
    let s = ingest_object(&out, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(s.outcome, "ok");

    // The second version's run uploads its files and fails to record them.
    server
        .upload_bytes(UCI_KEY, without_2022(&uci()).into_bytes())
        .await;
    let failing = Hooked {
        inner: server.store(),
        upload_during_download: None,
        fail_upload_of: None,
        delete_after_list: None,
        fail_put_if_under: Some("state/ingest/sources/".into()),
    };
    let e = ingest_object(&out, UCI_KEY, None, &failing, &opts, tmp.path())
        .await
        .expect_err("the manifest's write failed");
    assert!(e.is_retryable(), "{e}");
    let orphans = unlisted(&server, UCI_KEY).await;
    assert!(!orphans.is_empty());
    let notes = server.keys(&pending_prefix(&source_id(UCI_KEY))).await;
    assert_eq!(notes.len(), 1);

    // A third version, at once: the note is young, its files are left alone.
    let third = uci().replace("WHITE HANGING HEART", "WHITE HEART");
    server.upload_bytes(UCI_KEY, third.clone().into_bytes()).await;
    let s = ingest_object(&out, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(s.outcome, "ok");
    assert_eq!(unlisted(&server, UCI_KEY).await, orphans);
    assert_eq!(server.keys(&pending_prefix(&source_id(UCI_KEY))).await, notes);

    // Half an hour later (the note made old), the next delivery of the source deletes them.
    let mut note: Value = server.json(&notes[0]).await;
    note["since"] = 0.into();
    server
        .upload_bytes(&notes[0], serde_json::to_vec(&note).unwrap())
        .await;
    let s = ingest_object(&out, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(s.outcome, "duplicate");
    assert_eq!(unlisted(&server, UCI_KEY).await, Vec::<String>::new());
    assert!(server.keys("state/ingest/pending/").await.is_empty());
    let mut total = 0;
    for k in server.keys("curated/sales/").await {
        total += rows(&read_parquet(server.get(&k).await));
    }
    assert_eq!(total, third.lines().count() - 1, "the third version's rows only");

    // Old notes of any version go with their data files, the upload's current version's too
    // (their runs are over); but not a file a young note lists (a run uploading it now), nor a
    // report.
    let prefix = pending_prefix(&source_id(UCI_KEY));
    let (dead, uploading) = (
        "curated/sales/order_month=2011-02/dead.parquet",
        "curated/sales/order_month=2011-01/uploading.parquet",
    );
    let report = "reports/ingest/sales/old/e-0.json";
    for k in [dead, uploading, report] {
        server.upload_bytes(k, b"x".to_vec()).await;
    }
    let note = |keys: &[&str], since: u64| {
        serde_json::to_vec(&serde_json::json!({"keys": keys, "since": since})).unwrap()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // The stale note is of the version the upload is now (a run of it cut off), named as runs
    // name theirs.
    let recorded = server.json(&manifest_key(&source_id(UCI_KEY))).await;
    let version = recorded["report"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".json")
        .to_string();
    server
        .upload_bytes(
            &format!("{prefix}{version}-a.json"),
            note(&[dead, uploading, report], 0),
        )
        .await;
    server
        .upload_bytes(&format!("{prefix}e-1-b.json"), note(&[uploading], now))
        .await;
    let s = ingest_object(&out, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(s.outcome, "duplicate");
    let left = server.keys("").await;
    assert!(!left.contains(&dead.to_string()), "{left:?}");
    assert!(
        left.contains(&uploading.to_string()) && left.contains(&report.to_string()),
        "{left:?}"
    );
    assert_eq!(server.keys(&prefix).await, [format!("{prefix}e-1-b.json")]);
}

/// Two upload keys whose source ids are equal (same file name, same 32-bit hash): the second is
/// refused, naming the first, and the first's rows stay (reading it replaced them).
#[tokio::test(flavor = "multi_thread")]
async fn an_upload_whose_source_id_is_taken_is_refused_and_replaces_nothing() {
    // Found by trying keys: both are `export-565ec460`.
    let (first, second) = (
        "incoming/sales/store-969/export.csv",
        "incoming/sales/store-162890/export.csv",
    );
    assert_eq!(source_id(first), source_id(second));
    let server = S3Server::start().await;
    let (out, opts, tmp) = (
        server.store(),
        IngestConfig::default().engine_options(),
        tempfile::tempdir().unwrap(),
    );
    server.upload_bytes(first, uci().into_bytes()).await;
    server
        .upload_bytes(second, without_2022(&uci()).into_bytes())
        .await;
    let s = ingest_object(&out, first, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(s.outcome, "ok");
    let curated = server.keys("curated/").await;
    let s = ingest_object(&out, second, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(s.outcome, "rejected");
    let error = s.error.unwrap();
    assert!(
        error.starts_with("source_id_taken:") && error.contains(first),
        "{error}"
    );
    assert_eq!(server.keys("curated/").await, curated);
    assert_eq!(
        server.json(&manifest_key(&source_id(first))).await["source_key"],
        first
    );
    // Deleting the refused upload leaves the other's rows.
    server.delete(second).await;
    let s = sync_removed(&out, second, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(s.outcome, "missing");
    assert_eq!(server.keys("curated/").await, curated);
}

/// An unreadable re-upload (here an empty file) is reported, and the rows of the last readable
/// version stay until a readable one replaces them.
#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_reupload_keeps_the_rows_of_the_last_readable_version() {
    let server = S3Server::start().await;
    let (out, opts, tmp) = (
        server.store(),
        IngestConfig::default().engine_options(),
        tempfile::tempdir().unwrap(),
    );
    server.upload_bytes(UCI_KEY, uci().into_bytes()).await;
    let first = ingest_object(&out, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    let curated = server.keys("curated/").await;
    assert!(!curated.is_empty());

    server.upload_bytes(UCI_KEY, Vec::new()).await;
    let s = ingest_object(&out, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(s.outcome, "rejected");
    assert_eq!(server.keys("curated/").await, curated);
    let report = server.json(s.report.as_deref().unwrap()).await;
    assert_eq!(report["error"]["code"], "empty_file");
    assert_eq!(report["kept_previous"].as_str(), first.report.as_deref());
    // A second unreadable version still names the version whose rows stay, not the first reject.
    server
        .upload_bytes(UCI_KEY, b"\x89PNG\r\n\x1a\nnot an export".to_vec())
        .await;
    let s = ingest_object(&out, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    let report = server.json(s.report.as_deref().unwrap()).await;
    assert_eq!(report["error"]["code"], "binary_file");
    assert_eq!(report["kept_previous"].as_str(), first.report.as_deref());
    assert_eq!(server.keys("curated/").await, curated);

    // A readable version replaces them as usual, the 2022 month included.
    server
        .upload_bytes(UCI_KEY, without_2022(&uci()).into_bytes())
        .await;
    let s = ingest_object(&out, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(s.outcome, "ok");
    let keys = server.keys("curated/").await;
    assert!(curated.iter().any(|k| k.contains("order_month=2022-12")));
    assert!(
        !keys.iter().any(|k| k.contains("order_month=2022-12")),
        "{keys:?}"
    );
}

/// Deleting an upload takes its rows out of curated/ (a file sent to the wrong folder, a test
/// file); a second delivery of the deletion changes nothing, and uploading it again brings the
/// rows back. The server answers reads of missing keys with 403, as S3 answers the function.
#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_upload_retracts_its_rows() {
    let server = S3Server::start_like_aws().await;
    server.upload_bytes(UCI_KEY, uci().into_bytes()).await;
    let h = handler(&server);
    h.handle(&event("s3_put.json")).await.expect("upload");
    let mine = |keys: Vec<String>| {
        keys.into_iter()
            .filter(|k| k.contains("online_retail_2023-"))
            .count()
    };
    assert!(mine(server.keys("curated/").await) > 0);

    server.delete(UCI_KEY).await;
    let resp = h.handle(&event("s3_delete.json")).await.expect("deletion");
    assert_eq!(resp.processed[0].outcome, "deleted");
    assert_eq!(resp.processed[0].dataset, Some("sales"));
    assert_eq!(mine(server.keys("curated/").await), 0);
    assert_eq!(mine(server.keys("quarantine/").await), 0);
    let state_key = server
        .keys("state/ingest/sources/")
        .await
        .into_iter()
        .find(|k| k.contains("online_retail_2023-"))
        .unwrap();
    let state = server.json(&state_key).await;
    assert_eq!(
        (
            state["status"].as_str(),
            state["outputs"].as_array().map(Vec::len)
        ),
        (Some("deleted"), Some(0))
    );
    let again = h.handle(&event("s3_delete.json")).await.expect("redelivery");
    assert_eq!(again.processed[0].outcome, "duplicate");

    server.upload_bytes(UCI_KEY, uci().into_bytes()).await;
    let back = h.handle(&event("s3_put.json")).await.expect("upload again");
    assert_eq!(back.processed[0].outcome, "ok");
    assert!(mine(server.keys("curated/").await) > 0);
}

/// EventBridge names a deleted key as stored, while the notification encodes it: the deletion
/// finds the source under either reading.
#[tokio::test(flavor = "multi_thread")]
async fn a_deletion_event_finds_the_source_under_either_reading_of_its_key() {
    let server = S3Server::start().await;
    let key = "incoming/sales/Online Retail 2023.csv";
    server.upload_bytes(key, uci().into_bytes()).await;
    let h = handler(&server);
    h.handle(&event("s3_put.json")).await.expect("upload");
    server.delete(key).await;
    let deleted = serde_json::json!({"version": "0", "detail-type": "Object Deleted", "source": "aws.s3",
        "detail": {"bucket": {"name": BUCKET}, "object": {"key": "incoming/sales/Online+Retail+2023.csv"}}});
    let resp = h.handle(&deleted).await.expect("deletion");
    assert_eq!(resp.processed[0].outcome, "deleted");
    assert!(server.keys("curated/").await.is_empty());
}

/// An upload over the size limit is reported as such without being downloaded (it may not fit
/// in /tmp): were it downloaded, the hook would put a new version and the run would stop as
/// superseded.
#[tokio::test(flavor = "multi_thread")]
async fn an_upload_over_the_limit_is_reported_without_a_download() {
    let server = S3Server::start().await;
    server.upload_bytes(UCI_KEY, uci().into_bytes()).await;
    let input = Hooked {
        inner: server.store(),
        upload_during_download: Some(b"changed".to_vec()),
        fail_upload_of: None,
        delete_after_list: None,
        fail_put_if_under: None,
    };
    let opts = IngestConfig {
        max_input_bytes: 1000,
        ..IngestConfig::default()
    }
    .engine_options();
    let tmp = tempfile::tempdir().unwrap();
    let out = server.store();
    let s = ingest_object(&input, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(s.outcome, "rejected");
    let report = server.json(s.report.as_deref().unwrap()).await;
    assert_eq!(report["error"]["code"], "too_large");
    assert_eq!(server.get(UCI_KEY).await, uci().into_bytes());
}

/// Two runs on one key at once (production runs up to five instances): the run of the first
/// version is slow to write (`slow`: its first write under that prefix waits), and meanwhile a
/// corrected export is uploaded and its run publishes completely. Both versions have rows in the
/// same months. The stale run must not overwrite the newer rows, leave files of its own, or take
/// the source's manifest over: it answers `superseded`, and deleting the upload afterwards leaves
/// no curated file behind.
async fn a_stale_run_loses_the_race(slow: &str) {
    let server = S3Server::start_like_aws().await;
    server.upload_bytes(UCI_KEY, uci().into_bytes()).await;
    let corrected = without_2022(&uci());
    let opts = IngestConfig::default().engine_options();
    let tmp = tempfile::tempdir().unwrap();
    let newer: Hook = {
        let (store, opts, dir, bytes) = (
            server.store(),
            opts.clone(),
            tmp.path().to_path_buf(),
            corrected.clone().into_bytes(),
        );
        Box::pin(async move {
            store.put(UCI_KEY, bytes).await.unwrap();
            let s = ingest_object(&store, UCI_KEY, None, &store, &opts, &dir)
                .await
                .unwrap();
            assert_eq!(s.outcome, "ok");
        })
    };
    let out = BeforeWrite::new(server.store(), slow, newer);
    let s = ingest_object(&server.store(), UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    assert_eq!(
        (s.outcome, s.rows_written, s.report.as_deref()),
        ("superseded", 0, None),
        "{s:?}"
    );

    let current = server.store().head(UCI_KEY).await.unwrap().unwrap();
    let state = server.json(&manifest_key(&source_id(UCI_KEY))).await;
    assert_eq!(state["etag"].as_str(), current.etag.as_deref());
    assert_eq!(state["status"], "ok");
    let mut outputs: Vec<String> = state["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    outputs.sort();
    let mut written = server.keys("curated/").await;
    written.extend(server.keys("quarantine/").await);
    assert_eq!(written, outputs, "files no manifest names");
    assert!(!written.iter().any(|k| k.contains("order_month=2022-12")));
    let mut total = 0;
    for k in written
        .iter()
        .filter(|k| k.ends_with(".parquet") && k.starts_with("curated/sales/"))
    {
        total += rows(&read_parquet(server.get(k).await));
    }
    assert_eq!(total, corrected.lines().count() - 1, "the newer version's rows");
    // Only the version that was published has a report.
    assert_eq!(
        server.keys("reports/ingest/").await,
        [state["report"].as_str().unwrap()]
    );

    server.delete(UCI_KEY).await;
    let resp = handler(&server)
        .handle(&event("s3_delete.json"))
        .await
        .expect("deletion");
    assert_eq!(resp.processed[0].outcome, "deleted");
    assert_eq!(server.keys("curated/").await, Vec::<String>::new());
    assert_eq!(server.keys("quarantine/").await, Vec::<String>::new());
}

/// The newer version publishes while the stale run uploads its curated files: the stale run finds
/// its upload replaced before it records anything.
#[tokio::test(flavor = "multi_thread")]
async fn a_stale_run_slow_to_upload_is_superseded() {
    a_stale_run_loses_the_race("curated/").await;
}

/// The newer version publishes after the stale run checked its upload, before it records the
/// version: the stale run's write of the manifest fails its condition, and it stands down.
#[tokio::test(flavor = "multi_thread")]
async fn a_stale_run_slow_to_record_is_superseded() {
    a_stale_run_loses_the_race("state/ingest/sources/").await;
}

/// Versions' files have names of their own: a corrected upload writes beside the previous
/// version's files and then retires them, so the manifest names exactly the files there are.
#[tokio::test(flavor = "multi_thread")]
async fn each_version_has_files_of_its_own() {
    let server = S3Server::start().await;
    let (out, opts, tmp) = (
        server.store(),
        IngestConfig::default().engine_options(),
        tempfile::tempdir().unwrap(),
    );
    server.upload_bytes(UCI_KEY, uci().into_bytes()).await;
    ingest_object(&out, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    let first = server.keys("curated/").await;
    server
        .upload_bytes(UCI_KEY, without_2022(&uci()).into_bytes())
        .await;
    ingest_object(&out, UCI_KEY, None, &out, &opts, tmp.path())
        .await
        .unwrap();
    let second = server.keys("curated/").await;
    assert!(!second.is_empty());
    assert!(second.iter().all(|k| !first.contains(k)), "{first:?} {second:?}");
    let id = source_id(UCI_KEY);
    for k in &second {
        let file = k.rsplit('/').next().unwrap();
        assert!(
            file.starts_with(&format!("{id}.e-")) && file.ends_with(".parquet"),
            "{k}"
        );
    }
    let state = server.json(&manifest_key(&id)).await;
    assert_eq!(state["outputs"].as_array().unwrap().len(), second.len());
    assert!(state.get("retired").is_none(), "{state}");
}

/// The `order_ts` of the curated sales rows of sources whose files' keys hold `key_part`, sorted.
async fn order_ts(server: &S3Server, key_part: &str) -> Vec<String> {
    let mut ts = Vec::new();
    for k in server
        .keys("curated/sales/")
        .await
        .iter()
        .filter(|k| k.contains(key_part))
    {
        for b in read_parquet(server.get(k).await) {
            let col = b
                .column_by_name("order_ts")
                .unwrap()
                .as_primitive::<TimestampMicrosecondType>();
            ts.extend(
                col.iter()
                    .flatten()
                    .map(|v| chrono::DateTime::from_timestamp_micros(v).unwrap().to_rfc3339()),
            );
        }
    }
    ts.sort();
    ts
}

/// A US shop's weekly export (its 11/13 says the month comes first) and its daily export of the
/// 5th (only 11/5/2026, which reads both ways): the daily takes the order the weekly showed, its
/// report says so, and another system's daily in the same bucket does not take it.
#[tokio::test(flavor = "multi_thread")]
async fn a_daily_export_takes_the_date_order_its_weekly_export_showed() {
    const HEADER: &str = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";
    let line = |n: u32, date: &str| format!("{n},A1,Mug,1,{date},2.50,100{n},United States");
    let weekly: String = std::iter::once(HEADER.to_string())
        .chain(
            [
                "10/30/2026 09:00",
                "11/2/2026 10:00",
                "11/5/2026 14:30",
                "11/13/2026 16:00",
            ]
            .iter()
            .enumerate()
            .map(|(i, d)| line(i as u32 + 1, d)),
        )
        .map(|l| l + "\n")
        .collect();
    let daily = format!(
        "{}\n{}\n{}\n",
        HEADER.to_lowercase(),
        line(3, "11/5/2026 14:30"),
        line(5, "11/5/2026 18:00")
    );
    let other = "Order ID,Order Date,Customer,Quantity,Price\n7,11/5/2026 14:30,c7,1,2.50\n8,11/5/2026 15:00,c8,1,2.50\n"
        .to_string();
    let server = S3Server::start().await;
    let (out, opts, tmp) = (
        server.store(),
        IngestConfig::default().engine_options(),
        tempfile::tempdir().unwrap(),
    );
    let keys = [
        "incoming/sales/weekly/week_ending_2026-11-13.csv",
        "incoming/sales/daily/2026-11-05.csv",
        "incoming/sales/pos/2026-11-05.csv",
    ];
    for (key, body) in keys.iter().zip([weekly, daily, other]) {
        server.upload_bytes(key, body.into_bytes()).await;
        let s = ingest_object(&out, key, None, &out, &opts, tmp.path())
            .await
            .unwrap();
        assert_eq!(s.outcome, "ok", "{s:?}");
    }
    let weekly_report = report_for(&server, "week_ending").await;
    assert_eq!(weekly_report["parsing"]["date_order_from"], "unambiguous_value");
    let daily_id = source_id(keys[1]);
    let daily_report = report_for(&server, &daily_id).await;
    assert_eq!(daily_report["parsing"]["date_format"], "month-first");
    assert_eq!(daily_report["parsing"]["date_order_from"], "earlier_upload");
    assert_eq!(daily_report["parsing"]["date_order_learned_from"], keys[0]);
    assert!(daily_report.get("warnings").is_none(), "{daily_report}");
    assert_eq!(
        order_ts(&server, &daily_id).await,
        ["2026-11-05T14:30:00+00:00", "2026-11-05T18:00:00+00:00"]
    );
    // Another system's export: its own layout, nothing learned for it, read day-first and warned.
    let pos_report = report_for(&server, &source_id(keys[2])).await;
    assert_eq!(pos_report["parsing"]["date_format"], "day-first");
    assert_eq!(pos_report["parsing"]["date_order_from"], "default");
    let warning = pos_report["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("\"Order Date\"") && warning.contains("SEGFLOW_DATE_ORDER=month-first"),
        "{warning}"
    );
    let state = server.json("state/ingest/date_orders.json").await;
    let layouts = state["layouts"].as_object().unwrap();
    assert_eq!(layouts.len(), 1, "{state}");
    let (_, learned) = layouts.iter().next().unwrap();
    assert_eq!(learned["order"], "month-first");
    assert_eq!(learned["learned_from"], keys[0]);
}

/// A real S3 notification (the shape of `fixtures/events/s3_put.json`) of uploads of `keys`.
fn s3_put_of(keys: &[&str]) -> Value {
    let mut event = event("s3_put.json");
    let template = event["Records"][0].clone();
    event["Records"] = keys
        .iter()
        .map(|k| {
            let mut r = template.clone();
            r["s3"]["object"]["key"] = (*k).into();
            r
        })
        .collect();
    event
}

/// A US shop's daily export of November `day` (every date up to the 12th reads both ways).
fn us_daily(day: u32) -> (String, Vec<u8>) {
    let key = format!("incoming/sales/daily/2026-11-{day:02}.csv");
    let body = format!(
        "Invoice,Date,Customer,Amount\n{day}01,11/{day}/2026 09:00,c1,12.50\n{day}02,11/{day}/2026 17:30,c2,8.00\n"
    );
    (key, body.into_bytes())
}

/// Invocation 1: the dailies of 3–5 November, all read day-first for want of an order (March to
/// May) and listed to be read again. Returns their keys and the layout they are listed under.
async fn three_guessed_dailies(
    h: &IngestHandler<impl Fn(&str) -> S3Store>,
    server: &S3Server,
) -> (Vec<String>, String) {
    let mut keys = Vec::new();
    for day in 3..=5 {
        let (key, body) = us_daily(day);
        server.upload_bytes(&key, body).await;
        keys.push(key);
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let resp = h.handle(&s3_put_of(&refs)).await.expect("handled");
    let outcomes: Vec<&str> = resp.processed.iter().map(|s| s.outcome).collect();
    assert_eq!(outcomes, ["ok", "ok", "ok"], "{:?}", resp.processed);
    assert!(resp.reread.is_empty(), "{:?}", resp.reread);
    assert_eq!(
        order_ts(server, &source_id(&keys[0])).await,
        ["2026-03-11T09:00:00+00:00", "2026-03-11T17:30:00+00:00"]
    );
    let layout = resp.processed[0].date_order_guessed.clone().unwrap();
    let state = server.json("state/ingest/date_orders.json").await;
    assert_eq!(state["guessed"][&layout], serde_json::json!(keys), "{state}");
    (keys, layout)
}

/// The first three dailies are read again month-first, as the response, their reports, their
/// manifests, their Parquet files and the emptied list show.
async fn assert_dailies_in_november(server: &S3Server, resp_reread: &Value, keys: &[String], teller: &str) {
    let listed: Vec<(&str, &str, &str, &str)> = resp_reread
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["key"].as_str().unwrap(),
                s["outcome"].as_str().unwrap(),
                s["date_order_from"].as_str().unwrap(),
                s["date_order_learned_from"].as_str().unwrap(),
            )
        })
        .collect();
    let expected: Vec<_> = keys
        .iter()
        .map(|k| (k.as_str(), "ok", "earlier_upload", teller))
        .collect();
    assert_eq!(listed, expected);
    for (key, day) in keys.iter().zip(3..) {
        let id = source_id(key);
        assert_eq!(
            order_ts(server, &id).await,
            [
                format!("2026-11-{day:02}T09:00:00+00:00"),
                format!("2026-11-{day:02}T17:30:00+00:00")
            ]
        );
        let state = server.json(&manifest_key(&id)).await;
        assert!(state.get("date_order_guessed").is_none(), "{state}");
        let report = server.json(state["report"].as_str().unwrap()).await;
        assert_eq!(report["parsing"]["date_order_from"], "earlier_upload", "{report}");
        assert_eq!(report["parsing"]["date_order_learned_from"], teller, "{report}");
        assert!(report.get("warnings").is_none(), "{report}");
    }
    assert_eq!(
        server.keys("curated/sales/order_month=2026-03/").await,
        Vec::<String>::new()
    );
    let state = server.json("state/ingest/date_orders.json").await;
    assert!(state.get("guessed").is_none(), "{state}");
}

/// Dailies of 3–5 November uploaded before the shop's export showed its order are read again by
/// the invocation of the 13th's daily, which shows it: not only when S3 delivers them again.
#[tokio::test(flavor = "multi_thread")]
async fn the_invocation_that_learns_a_date_order_reads_the_guessed_dailies_again() {
    let server = S3Server::start().await;
    let h = handler_with(&server, IngestConfig::default());
    let (keys, _) = three_guessed_dailies(&h, &server).await;
    let (teller, body) = us_daily(13);
    server.upload_bytes(&teller, body).await;
    let resp = h.handle(&s3_put_of(&[&teller])).await.expect("handled");
    let resp = serde_json::to_value(&resp).unwrap();
    assert_eq!(resp["processed"][0]["outcome"], "ok", "{resp}");
    assert_eq!(
        resp["processed"][0]["date_order_from"], "unambiguous_value",
        "{resp}"
    );
    assert_dailies_in_november(&server, &resp["reread"], &keys, &teller).await;
}

/// An invocation without time left for the re-reads leaves them listed; the next invocation (here
/// the same event delivered again) reads them.
#[tokio::test(flavor = "multi_thread")]
async fn re_reads_an_invocation_has_no_time_for_are_done_by_the_next() {
    let server = S3Server::start().await;
    let h = handler_with(&server, IngestConfig::default());
    let (keys, layout) = three_guessed_dailies(&h, &server).await;
    let (teller, body) = us_daily(13);
    server.upload_bytes(&teller, body).await;
    let event = s3_put_of(&[&teller]);
    let resp = h
        .handle_until(&event, Some(std::time::SystemTime::now()))
        .await
        .expect("handled");
    assert_eq!(resp.processed[0].outcome, "ok");
    assert!(resp.reread.is_empty(), "{:?}", resp.reread);
    let state = server.json("state/ingest/date_orders.json").await;
    assert_eq!(state["guessed"][&layout], serde_json::json!(keys), "{state}");
    let far = std::time::SystemTime::now() + std::time::Duration::from_secs(900);
    let resp = h.handle_until(&event, Some(far)).await.expect("handled");
    assert_eq!(resp.processed[0].outcome, "duplicate");
    let resp = serde_json::to_value(&resp).unwrap();
    assert_dailies_in_november(&server, &resp["reread"], &keys, &teller).await;
}
