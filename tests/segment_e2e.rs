//! The segmentation job end to end against a real S3-protocol server: curated data written by the
//! ingest handler, then the nightly scheduled event and an on-demand event from fixtures/.

use segflow_e2e::*;
use segflow_ingest_fn::{IngestConfig, IngestHandler};
use segflow_segment_fn::{JobError, SegmentConfig, request, run_job};
use segflow_storage::{ObjectStore, S3Store};

async fn ingest_fixtures(server: &S3Server) {
    for (key, file) in [
        (
            "incoming/sales/Online Retail 2023.csv",
            "exports/sales/Online Retail 2023.csv",
        ),
        (
            "incoming/sales/online_retail_last_week.csv",
            "exports/sales/online_retail_last_week.csv",
        ),
        (
            "incoming/customers/crm_customers.csv",
            "exports/customers/crm_customers.csv",
        ),
        (
            "incoming/activity/web_activity.csv",
            "exports/activity/web_activity.csv",
        ),
    ] {
        server.upload(key, &fixture(file)).await;
    }
    let records: Vec<serde_json::Value> = server
        .keys("incoming/")
        .await
        .into_iter()
        .map(|k| {
            serde_json::json!({"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": k.replace(' ', "+")}}})
        })
        .collect();
    let h = IngestHandler::new(
        |b: &str| S3Store::new(server.client.clone(), b, ""),
        IngestConfig::default(),
    );
    let resp = h
        .handle(&serde_json::json!({ "Records": records }))
        .await
        .expect("ingest");
    assert!(
        resp.processed.iter().all(|s| s.outcome == "ok"),
        "{:?}",
        resp.processed
    );
}

fn config() -> SegmentConfig {
    SegmentConfig {
        data_bucket: Some(BUCKET.into()),
        ..SegmentConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn scheduled_then_on_demand_runs_publish_dated_folders_and_latest() {
    let server = S3Server::start().await;
    ingest_fixtures(&server).await;
    let store = server.store();
    let cfg = config();

    // The nightly schedule fired at 2023-12-09T01:00Z: the run is as of the finished day before.
    let req = request::parse(&event("scheduled.json"), cfg.timezone).unwrap();
    let summary = run_job(&store, &store, &req, &cfg).await.expect("scheduled run");
    assert_eq!(summary.as_of.to_string(), "2023-12-08");
    let run_keys = server.keys("segments/run_date=2023-12-08/").await;
    for f in [
        "customers.parquet",
        "customers.csv",
        "segments.csv",
        "segments.parquet",
        "segments.json",
        "rfm_matrix.csv",
        "winback.csv",
        "ideal_customer_profile.json",
        "ideal_customer_profile.md",
        "ideal_customers.csv",
        "lead_scores.csv",
        "manifest.json",
    ] {
        assert!(
            run_keys.contains(&format!("segments/run_date=2023-12-08/{f}")),
            "{f} missing: {run_keys:?}"
        );
    }
    // The curated activity reaches lead scoring; the lead who unsubscribed is never listed.
    let leads = String::from_utf8(server.get("segments/latest/lead_scores.csv").await).unwrap();
    assert!(
        leads.contains("L-1,lead1@example.com,,CEO,152.00,medium"),
        "{leads}"
    );
    assert!(!leads.contains("L-2"), "{leads}");
    let manifest = server.json("segments/latest/manifest.json").await;
    assert_eq!(manifest["privacy"]["customer_ids_pseudonymized"], false);
    assert_eq!(manifest["as_of"], "2023-12-08");
    // The weekly re-export repeats the last days' orders: they are counted once, as the newer
    // export gives them.
    assert!(
        manifest["inputs"]["order_rows_superseded"].as_u64().unwrap() > 0,
        "{manifest}"
    );
    let customers = read_parquet(server.get("segments/latest/customers.parquet").await);
    assert!(rows(&customers) >= 60);
    assert!(
        server
            .keys("state/segments/")
            .await
            .contains(&"state/segments/model.json".to_string())
    );
    check_athena_tables(&server, "2023-12-08").await;
    assert!(
        !run_keys.iter().any(|k| k.contains("/athena/")),
        "no Athena copies inside the run folder: {run_keys:?}"
    );
    let first_customers = server.get("segments/latest/customers.csv").await;

    // On demand with an explicit date and a k other than the configured one: an experiment,
    // published in a folder of its own. The night's folder, latest/, the Athena tables and the
    // model state keep the nightly's segments: one answer per date, and a one-off k does not
    // become the next night's.
    let state = server.get("state/segments/model.json").await;
    let athena = athena_copies(&server, "2023-12-08").await;
    let night: Vec<Vec<u8>> = {
        let mut files = Vec::new();
        for k in server.keys("segments/run_date=2023-12-08/").await {
            files.push(server.get(&k).await);
        }
        files
    };
    let req = request::parse(&event("on_demand.json"), cfg.timezone).unwrap();
    assert_eq!(req.k, Some(4));
    let summary = run_job(&store, &store, &req, &cfg).await.expect("on-demand run");
    assert_eq!(summary.as_of.to_string(), "2023-12-08");
    assert!(!summary.latest && !summary.model_saved);
    assert_eq!(summary.experiment, Some(4));
    assert_eq!(summary.run_prefix, "segments/experiments/k=4/run_date=2023-12-08");
    assert_eq!(server.get("state/segments/model.json").await, state);
    assert_eq!(athena_copies(&server, "2023-12-08").await, athena);
    assert_eq!(server.get("segments/latest/customers.csv").await, first_customers);
    let mut after = Vec::new();
    for k in server.keys("segments/run_date=2023-12-08/").await {
        after.push(server.get(&k).await);
    }
    assert_eq!(after, night, "the night's folder is the nightly's");
    let segments = server
        .json("segments/experiments/k=4/run_date=2023-12-08/segments.json")
        .await;
    let n = segments
        .as_array()
        .or_else(|| segments["segments"].as_array())
        .map(Vec::len)
        .unwrap();
    assert_eq!(n, 4, "{segments}");
    assert_ne!(first_customers.len(), 0);
    // The nightly run again: it replaces the date's folder and the Athena copies, still one file
    // per folder, the run's own.
    let req = request::parse(&event("scheduled.json"), cfg.timezone).unwrap();
    run_job(&store, &store, &req, &cfg)
        .await
        .expect("scheduled run again");
    assert_eq!(server.get("segments/latest/customers.csv").await, first_customers);
    check_athena_tables(&server, "2023-12-08").await;
}

/// The bytes of the segment tables' files for one run date, by key.
async fn athena_copies(server: &S3Server, run_date: &str) -> Vec<(String, Vec<u8>)> {
    let mut copies = Vec::new();
    for key in server.keys("segments/athena/").await {
        if key.contains(&format!("/run_date={run_date}/")) {
            let bytes = server.get(&key).await;
            copies.push((key, bytes));
        }
    }
    let keys: Vec<&String> = copies.iter().map(|(k, _)| k).collect();
    assert_eq!(copies.len(), 2, "{keys:?}");
    copies
}

/// What Athena reads: under each Glue table's location (infra/athena_tables.json, which the
/// infra tests hold the template to), Hive partition folders of one Parquet file each for the
/// segment tables, every file with exactly the table's columns, in order, with the Athena type
/// of its Parquet type. The segment copies are the run's own files.
async fn check_athena_tables(server: &S3Server, run_date: &str) {
    let tables = athena_tables();
    assert_eq!(tables.len(), 5, "{tables:?}");
    for AthenaTable {
        name: table,
        location,
        partition,
        columns,
    } in tables
    {
        let keys = server.keys(&location).await;
        assert!(!keys.is_empty(), "{table}: nothing under {location}");
        let mut folders = std::collections::BTreeMap::<String, Vec<String>>::new();
        for key in &keys {
            let rest = key.strip_prefix(&location).unwrap();
            let Some(partition) = &partition else {
                assert!(
                    !rest.contains('/') && rest.ends_with(".parquet"),
                    "{key}: not {location}<file>.parquet"
                );
                assert_eq!(
                    athena_columns(server.get(key).await),
                    columns,
                    "{table}: columns of {key}"
                );
                continue;
            };
            let (folder, file) = rest
                .split_once('/')
                .unwrap_or_else(|| panic!("{key}: not in a partition folder"));
            assert!(
                folder.starts_with(&format!("{partition}="))
                    && !file.contains('/')
                    && file.ends_with(".parquet"),
                "{key}: not {location}{partition}=…/<file>.parquet"
            );
            folders
                .entry(folder.to_string())
                .or_default()
                .push(file.to_string());
            assert_eq!(
                athena_columns(server.get(key).await),
                columns,
                "{table}: columns of {key}"
            );
        }
        if partition.as_deref() == Some("run_date") {
            let file = match table.as_str() {
                "segment_customers" => "customers.parquet",
                "segment_summary" => "segments.parquet",
                other => panic!("unexpected segment table {other}"),
            };
            let folder = format!("run_date={run_date}");
            assert_eq!(
                folders,
                [(folder.clone(), vec![file.to_string()])].into(),
                "{table}: one file per run date"
            );
            assert_eq!(
                server.get(&format!("{location}{folder}/{file}")).await,
                server.get(&format!("segments/{folder}/{file}")).await,
                "{table}: a copy of the run's {file}"
            );
        }
    }
    // The summary's rows are segments.csv's (the engine's tests compare them cell by cell).
    let summary = read_parquet(
        server
            .get(&format!(
                "segments/athena/segment_summary/run_date={run_date}/segments.parquet"
            ))
            .await,
    );
    let csv = server
        .get(&format!("segments/run_date={run_date}/segments.csv"))
        .await;
    let csv_rows = String::from_utf8(csv).unwrap().lines().count() - 1;
    assert_eq!(rows(&summary), csv_rows);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_run_leaves_previous_outputs_untouched() {
    let server = S3Server::start().await;
    ingest_fixtures(&server).await;
    let store = server.store();
    let cfg = config();
    run_job(&store, &store, &request::SegmentRequest::default(), &cfg)
        .await
        .expect("first run");
    let before = server.keys("segments/").await;
    let latest = server.get("segments/latest/manifest.json").await;
    // As of a date before any sale: nothing to segment, a clear error, and nothing published.
    let req = request::SegmentRequest {
        as_of: chrono::NaiveDate::from_ymd_opt(2001, 1, 1),
        ..Default::default()
    };
    let err = run_job(&store, &store, &req, &cfg)
        .await
        .expect_err("no data as of 2001");
    assert!(!err.to_string().is_empty());
    assert_eq!(server.keys("segments/").await, before);
    assert_eq!(server.get("segments/latest/manifest.json").await, latest);
    // A run date still to come would make everyone lapsed and move latest/ ahead of the nightly
    // runs: refused before anything is read.
    let req = request::SegmentRequest {
        as_of: chrono::NaiveDate::from_ymd_opt(2099, 1, 1),
        ..Default::default()
    };
    let err = run_job(&store, &store, &req, &cfg)
        .await
        .expect_err("2099 has not come");
    assert!(matches!(err, JobError::FutureRunDate { .. }), "{err}");
    assert!(err.to_string().contains("after today"), "{err}");
    assert_eq!(server.keys("segments/").await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backdated_run_leaves_latest_and_the_model_alone() {
    let server = S3Server::start().await;
    ingest_fixtures(&server).await;
    let store = server.store();
    let cfg = config();
    let nightly = request::parse(&event("scheduled.json"), cfg.timezone).unwrap();
    run_job(&store, &store, &nightly, &cfg)
        .await
        .expect("nightly run");
    let (latest, state) = (
        server.get("segments/latest/manifest.json").await,
        server.get("state/segments/model.json").await,
    );
    let req = request::SegmentRequest {
        as_of: chrono::NaiveDate::from_ymd_opt(2023, 11, 30),
        ..Default::default()
    };
    let summary = run_job(&store, &store, &req, &cfg).await.expect("backdated run");
    assert!(!summary.latest && !summary.model_saved);
    assert!(
        server
            .keys("segments/run_date=2023-11-30/")
            .await
            .contains(&"segments/run_date=2023-11-30/manifest.json".to_string())
    );
    assert_eq!(server.get("segments/latest/manifest.json").await, latest);
    assert_eq!(server.get("state/segments/model.json").await, state);

    // A run that takes its date from the data moves latest/ even to an earlier date: the newest
    // rows may have been deleted or corrected since (here latest/ holds an on-demand 2023-12-20).
    let ahead = request::SegmentRequest {
        as_of: chrono::NaiveDate::from_ymd_opt(2023, 12, 20),
        ..Default::default()
    };
    assert!(run_job(&store, &store, &ahead, &cfg).await.unwrap().latest);
    let state = server.get("state/segments/model.json").await;
    let summary = run_job(&store, &store, &request::SegmentRequest::default(), &cfg)
        .await
        .expect("run as of the data");
    assert_eq!(summary.as_of.to_string(), "2023-12-08");
    assert!(summary.latest);
    let manifest = server.json("segments/latest/manifest.json").await;
    assert_eq!(manifest["as_of"], "2023-12-08");
    // But the model state stays the later date's: the next night continues from it, not from
    // this run's fresh fit (which renamed the segments for good).
    assert!(!summary.model_saved);
    assert_eq!(summary.later_state, chrono::NaiveDate::from_ymd_opt(2023, 12, 20));
    assert_eq!(server.get("state/segments/model.json").await, state);
}

/// A run cut short while replacing a folder leaves it without a manifest (incomplete), never
/// with the old manifest over a mix of two runs' files.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_cut_short_leaves_no_folder_that_looks_complete() {
    let server = S3Server::start().await;
    ingest_fixtures(&server).await;
    let store = server.store();
    let cfg = config();
    let nightly = request::parse(&event("scheduled.json"), cfg.timezone).unwrap();
    run_job(&store, &store, &nightly, &cfg)
        .await
        .expect("nightly run");
    let has = |keys: Vec<String>, k: &str| keys.iter().any(|x| x == k);
    let dated = "segments/run_date=2023-12-08/manifest.json";
    let latest = "segments/latest/manifest.json";

    // Cut short while writing latest/: the dated folder is complete, latest/ says it is not.
    let failing = Hooked {
        inner: server.store(),
        upload_during_download: None,
        fail_upload_of: Some("segments/latest/customers.csv".into()),
        delete_after_list: None,
        fail_put_if_under: None,
    };
    run_job(&store, &failing, &nightly, &cfg)
        .await
        .expect_err("injected failure");
    assert!(has(server.keys("segments/run_date=2023-12-08/").await, dated));
    assert!(!has(server.keys("segments/latest/").await, latest));
    // The pointer names the complete folder, and still says which date latest/ holds: a look
    // back meanwhile publishes its own folder only.
    let pointer = server.json("segments/latest.json").await;
    assert_eq!(
        (pointer["as_of"].as_str(), pointer["folder"].as_str()),
        (Some("2023-12-08"), Some("segments/run_date=2023-12-08/"))
    );
    let manifest = server.json(dated).await;
    assert_eq!(pointer["run_id"], manifest["run_id"]);
    let back = request::SegmentRequest {
        as_of: chrono::NaiveDate::from_ymd_opt(2023, 11, 30),
        ..Default::default()
    };
    assert!(!run_job(&store, &store, &back, &cfg).await.unwrap().latest);
    assert_eq!(server.json("segments/latest.json").await, pointer);

    // Cut short while re-writing the dated folder: that folder has no manifest either.
    let failing = Hooked {
        fail_upload_of: Some("segments/run_date=2023-12-08/customers.csv".into()),
        ..failing
    };
    run_job(&store, &failing, &nightly, &cfg)
        .await
        .expect_err("injected failure");
    assert!(!has(server.keys("segments/run_date=2023-12-08/").await, dated));

    // The next run completes both.
    run_job(&store, &store, &nightly, &cfg).await.expect("retry");
    assert!(has(server.keys("segments/run_date=2023-12-08/").await, dated));
    assert!(has(server.keys("segments/latest/").await, latest));
}

/// A curated file listed by the nightly run and deleted before it is read (a corrected upload
/// retiring a month meanwhile) is skipped, also where S3 answers the missing key with 403.
#[tokio::test(flavor = "multi_thread")]
async fn a_curated_file_removed_while_the_run_reads_is_skipped() {
    let server = S3Server::start_like_aws().await;
    ingest_fixtures(&server).await;
    let sales = server.keys("curated/sales/").await;
    let gone = sales
        .iter()
        .find(|k| k.contains("online_retail_last_week"))
        .expect("a last-week file")
        .clone();
    let data = Hooked {
        inner: server.store(),
        upload_during_download: None,
        fail_upload_of: None,
        delete_after_list: Some(gone),
        fail_put_if_under: None,
    };
    let store = server.store();
    let cfg = config();
    let nightly = request::parse(&event("scheduled.json"), cfg.timezone).unwrap();
    let summary = run_job(&data, &store, &nightly, &cfg)
        .await
        .expect("the run reads what is left");
    assert_eq!(summary.manifest["inputs"]["sales_files"], sales.len() - 1);
}

/// `SEGFLOW_IDEAL_RFM_GROUPS` reaches the run: the ideal group is the customers of the named RFM
/// groups instead of the top segments, and the manifest and the profile say which rule was used.
#[tokio::test(flavor = "multi_thread")]
async fn the_configured_rfm_groups_are_the_ideal_group() {
    let server = S3Server::start().await;
    ingest_fixtures(&server).await;
    let store = server.store();
    let req = request::SegmentRequest::default();
    run_job(&store, &store, &req, &config())
        .await
        .expect("default run");
    let default_icp = server.json("segments/latest/ideal_customer_profile.json").await;
    // The fixtures' best segment is most of their purchasers: by default its most valuable
    // customers are the group.
    assert_eq!(default_icp["ideal_rule"]["rule"]["kind"], "top_of_segment");

    let cfg = SegmentConfig::from_lookup(|k| match k {
        "SEGFLOW_DATA_BUCKET" => Some(BUCKET.into()),
        "SEGFLOW_IDEAL_RFM_GROUPS" => Some("champions, Loyal".into()),
        _ => None,
    })
    .expect("valid configuration");
    run_job(&store, &store, &req, &cfg)
        .await
        .expect("run with RFM groups");
    let icp = server.json("segments/latest/ideal_customer_profile.json").await;
    assert_eq!(icp["ideal_rule"]["rule"]["kind"], "rfm_groups", "{icp}");
    assert_eq!(
        icp["ideal_rule"]["rule"]["groups"],
        serde_json::json!(["Champions", "Loyal"])
    );
    let manifest = server.json("segments/latest/manifest.json").await;
    assert_eq!(
        manifest["parameters"]["ideal_rule"],
        serde_json::json!({"RfmGroups": ["Champions", "Loyal"]})
    );
    // Exactly the customers whose RFM group is one of the two.
    let customers = read_parquet(server.get("segments/latest/customers.parquet").await);
    let in_groups: usize = customers
        .iter()
        .map(|b| {
            let g = b
                .column_by_name("rfm_group")
                .unwrap()
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .unwrap();
            g.iter()
                .filter(|v| matches!(v, Some("Champions" | "Loyal")))
                .count()
        })
        .sum();
    assert!(in_groups > 0);
    assert_eq!(
        manifest["counts"]["ideal_customers"].as_u64(),
        Some(in_groups as u64),
        "{manifest}"
    );
    assert_eq!(icp["ideal"]["customers"].as_u64(), Some(in_groups as u64));
    assert_ne!(
        icp["ideal"]["customers"], default_icp["ideal"]["customers"],
        "the default group is another one"
    );
}

/// Only the documented payloads start a run. A misspelt field, another service's event, a string
/// or `null` used to run as "no date given": a full run for the data's latest day that moved
/// `segments/latest/` back and overwrote the model state.
#[tokio::test(flavor = "multi_thread")]
async fn payloads_other_than_the_documented_shapes_are_refused_without_a_run() {
    let server = S3Server::start().await;
    ingest_fixtures(&server).await;
    let store = server.store();
    let cfg = config();
    // The nightly run of 2023-12-19 (the schedule fired on the 20th).
    let mut nightly = event("scheduled.json");
    nightly["time"] = "2023-12-20T01:00:00Z".into();
    let summary = segflow_segment_fn::handle(&store, &nightly, &cfg)
        .await
        .expect("nightly run");
    assert_eq!(summary["as_of"], "2023-12-19");
    let before = server.keys("segments/").await;
    let (latest, state) = (
        server.get("segments/latest/manifest.json").await,
        server.get("state/segments/model.json").await,
    );
    for (what, payload) in [
        ("misspelt as_of", event("on_demand_misspelt.json")),
        ("an unknown field", event("on_demand_unknown_field.json")),
        ("an S3 event", event("s3_put.json")),
        (
            "an EventBridge S3 event",
            event("eventbridge_object_created.json"),
        ),
        ("a string", serde_json::json!("run please")),
        ("null", serde_json::Value::Null),
    ] {
        let e = segflow_segment_fn::handle(&store, &payload, &cfg)
            .await
            .expect_err(what);
        assert_eq!(e.error_type, "InvalidRequest", "{what}: {e}");
        assert!(e.message.starts_with("invalid request: "), "{what}: {e}");
    }
    assert_eq!(server.keys("segments/").await, before, "nothing written");
    assert_eq!(server.get("segments/latest/manifest.json").await, latest);
    assert_eq!(server.get("state/segments/model.json").await, state);
    // The documented shapes still run.
    let summary = segflow_segment_fn::handle(&store, &event("on_demand.json"), &cfg)
        .await
        .expect("on-demand run");
    assert_eq!(summary["as_of"], "2023-12-08");
    segflow_segment_fn::handle(&store, &serde_json::json!({}), &cfg)
        .await
        .expect("an empty object: both fields are optional");
}

/// An unreadable object under curated/ fails the run with an error that names its key (not the
/// spool file in /tmp it was downloaded to) and the type `CorruptCuratedObject`; nothing is
/// published.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_curated_object_is_named_by_its_key() {
    let server = S3Server::start().await;
    ingest_fixtures(&server).await;
    let store = server.store();
    let cfg = config();
    let junk = "curated/sales/order_month=2023-12/junk.parquet";
    server.upload_bytes(junk, b"this is not parquet".to_vec()).await;
    // The nightly run (the engine reads the file) and a run dated by the data (the latest
    // order is looked up in the files' footers first).
    for payload in [event("scheduled.json"), serde_json::json!({})] {
        let e = segflow_segment_fn::handle(&store, &payload, &cfg)
            .await
            .expect_err("an unreadable object");
        assert_eq!(e.error_type, "CorruptCuratedObject", "{e}");
        assert!(e.message.contains(junk), "{e}");
        assert!(
            !e.message.contains(segflow_segment_fn::job::WORK_PREFIX)
                && !e.message.contains(&*std::env::temp_dir().to_string_lossy()),
            "no spool path: {e}"
        );
    }
    assert!(server.keys("segments/").await.is_empty(), "nothing published");
}

/// S3 errors read as the operation, the key, the HTTP status and S3's error code, never as the
/// SDK's Debug dump of the raw response; the retryable ones have the type `TransientStorage`.
#[tokio::test(flavor = "multi_thread")]
async fn storage_errors_are_short_and_typed() {
    let server = S3Server::start().await;
    let missing = S3Store::new(server.client.clone(), "no-such-bucket", "");
    let e = missing.list("curated/sales/").await.expect_err("no such bucket");
    let text = e.to_string();
    assert!(!e.is_retryable(), "{text}");
    assert!(
        text.contains("ListObjectsV2 curated/sales/: HTTP 404 NoSuchBucket"),
        "{text}"
    );
    for dump in ["ServiceError", "raw:", "Response {", "headers"] {
        assert!(!text.contains(dump), "{text}");
    }

    // Nothing listening: a dispatch failure, worth a retry.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        port
    };
    let unreachable = S3Store::new(client_for(&format!("http://127.0.0.1:{closed}")), BUCKET, "");
    let e = segflow_segment_fn::handle(&unreachable, &event("scheduled.json"), &config())
        .await
        .expect_err("S3 unreachable");
    assert_eq!(e.error_type, "TransientStorage", "{e}");
    assert!(
        e.message
            .contains("ListObjectsV2 curated/sales/: dispatch failure"),
        "{e}"
    );
    for dump in ["DispatchFailure(", "ConnectorError {", "source:"] {
        assert!(!e.message.contains(dump), "{e}");
    }
}
