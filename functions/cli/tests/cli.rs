//! The `segflow` binary as a user runs it: the README's main command on the bundled fixtures, and
//! the exit status and message for inputs that cannot be ingested.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn segflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_segflow"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("runs")
}

fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(root).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn run_on_the_bundled_fixtures_writes_the_whole_layout_deterministically() {
    let a = tempfile::tempdir().unwrap();
    let out = segflow(&["run", "fixtures/exports", "--out", a.path().to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "customers.parquet",
        "customers.csv",
        "segments.csv",
        "segments.json",
        "rfm_matrix.csv",
        "winback.csv",
        "manifest.json",
    ] {
        assert!(
            a.path().join("segments/latest").join(f).is_file(),
            "segments/latest/{f} missing; stdout: {stdout}"
        );
    }
    assert!(a.path().join("state/segments/model.json").is_file());
    assert!(a.path().join("curated/customers").is_dir() && a.path().join("curated/activity").is_dir());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.path().join("segments/latest/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["as_of"], "2023-12-08",
        "the latest order day in the fixtures"
    );
    // The manifest's warnings (the fixtures add Toman to euros) are said on the console too.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings = manifest["warnings"].as_array().unwrap();
    assert!(!warnings.is_empty());
    for w in warnings {
        assert!(
            stderr.contains(&format!("warning: {}", w.as_str().unwrap())),
            "{w} not on stderr: {stderr}"
        );
    }

    // The same inputs into a fresh folder: byte-identical data and segment files.
    let b = tempfile::tempdir().unwrap();
    assert!(
        segflow(&["run", "fixtures/exports", "--out", b.path().to_str().unwrap()])
            .status
            .success()
    );
    let data = |root: &Path| -> Vec<(String, Vec<u8>)> {
        tree(root)
            .into_iter()
            .filter(|(k, _)| k.starts_with("curated/") || k.starts_with("segments/"))
            .collect()
    };
    assert_eq!(data(a.path()), data(b.path()));

    // Running again on the same output is a no-op for ingest (every file is a duplicate).
    let again = segflow(&["ingest", "fixtures/exports", "--out", a.path().to_str().unwrap()]);
    assert!(again.status.success());
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(text.lines().skip(1).all(|l| l.starts_with("duplicate")), "{text}");
}

#[test]
fn an_input_that_is_not_an_export_fails_with_a_clear_message_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "ingest",
        "fixtures/broken/not_sales.csv",
        "--dataset",
        "sales",
        "--out",
        dir.path().to_str().unwrap(),
    ];
    let out = segflow(&args);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("could not be ingested") && err.contains("not_sales.csv") && err.contains("order date"),
        "{err}"
    );
    let reports = tree(&dir.path().join("reports"));
    assert_eq!(reports.len(), 1);
    assert!(!dir.path().join("curated").exists());
    // Again, unchanged: still rejected, and the run still fails (a scheduled re-run must not
    // report success for it).
    let again = segflow(&args);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("unchanged since it was rejected"), "{err}");
    assert_eq!(tree(&dir.path().join("reports")).len(), 1, "no second report");
    let missing = segflow(&[
        "ingest",
        "fixtures/nope.csv",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such file"));
}

#[test]
fn segment_without_data_fails_cleanly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = segflow(&[
        "segment",
        "--data",
        dir.path().to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no curated sales data"));
    assert!(tree(dir.path()).is_empty());
}

/// `run` on exports none of whose rows could be used says so, with where the rejected rows and the
/// reports are, not "ingest some exports first" after the ingest it just did; it still fails.
#[test]
fn run_on_exports_without_a_usable_sales_row_says_where_the_rows_went() {
    let dir = tempfile::tempdir().unwrap();
    let header =
        "Name,Email,Financial Status,Currency,Created at,Lineitem quantity,Lineitem name,Lineitem price\n";
    let run = |name: &str, rows: &str| {
        let exports = dir.path().join(name).join("exports/sales");
        std::fs::create_dir_all(&exports).unwrap();
        std::fs::write(exports.join("orders.csv"), format!("{header}{rows}")).unwrap();
        let out = dir.path().join(name).join("out");
        let args = [
            "run",
            exports.parent().unwrap().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--as-of",
            "2026-11-20",
        ];
        let first = segflow(&args);
        assert!(!first.status.success());
        // Again: the unchanged file is a duplicate, its rows still went nowhere.
        let again = segflow(&args);
        assert!(!again.status.success());
        let err = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(err(&first), err(&again));
        (err(&first), tree(&out))
    };
    let (err, files) = run(
        "bad_dates",
        "#1,a@x.com,paid,EUR,not a date,1,Mug,12.5\n#2,b@x.com,paid,EUR,someday,1,Tea,3\n",
    );
    assert!(!err.contains("ingest some exports first"), "{err}");
    assert!(
        err.contains("the exports gave no usable sales rows: 2 rows read, 2 rejected"),
        "{err}"
    );
    for (file, _) in &files {
        if file.starts_with("quarantine/") || file.starts_with("reports/") {
            assert!(err.contains(file.as_str()), "{file} not named: {err}");
        }
    }
    assert!(
        files.iter().any(|(f, _)| f.starts_with("quarantine/sales/")),
        "{files:?}"
    );

    let (err, files) = run("header_only", "");
    assert!(!err.contains("ingest some exports first"), "{err}");
    assert!(
        err.contains("the exports gave no usable sales rows: 0 rows read"),
        "{err}"
    );
    let report = files.iter().find(|(f, _)| f.starts_with("reports/")).unwrap();
    assert!(err.contains(report.0.as_str()), "{err}");

    // Exports without a sales file: said too.
    let exports = dir.path().join("customers_only/exports/customers");
    std::fs::create_dir_all(&exports).unwrap();
    std::fs::write(exports.join("crm.csv"), "customer_id,email\nc1,a@x.com\n").unwrap();
    let out = segflow(&[
        "run",
        exports.parent().unwrap().to_str().unwrap(),
        "--out",
        dir.path().join("customers_only/out").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no export was read as sales (orders), which segmentation needs"),
        "{err}"
    );
}

/// A bad segmentation setting stops `run` before the ingest, not after it.
#[test]
fn run_refuses_a_bad_segmentation_setting_before_ingesting() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_segflow"))
        .args(["run", "fixtures/exports", "--out", dir.path().to_str().unwrap()])
        .env("SEGFLOW_RFM_RULES", "Top:R5:F4-5")
        .current_dir(repo())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SEGFLOW_RFM_RULES"));
    assert!(tree(dir.path()).is_empty(), "nothing ingested");
    for (flag, value, says) in [
        ("--k", "1", "2..=10"),
        ("--timezone", "Mars/Olympus", "unknown time zone"),
        ("--as-of", "2099-01-01", "after today"),
    ] {
        let out = segflow(&[
            "run",
            "fixtures/exports",
            "--out",
            dir.path().to_str().unwrap(),
            flag,
            value,
        ]);
        assert!(!out.status.success(), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{flag} {value}: {err}");
        assert!(tree(dir.path()).is_empty(), "{flag} {value}: nothing ingested");
    }
}

/// `run --timezone` is the zone of the whole job: the segmentation's weekdays and hours too.
#[test]
fn run_timezone_reaches_the_segmentation() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    let out = segflow(&[
        "run",
        "fixtures/exports",
        "--out",
        root,
        "--timezone",
        "Asia/Tehran",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("segments/latest/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["timezone"], "Asia/Tehran", "{manifest:#}");
    let md = std::fs::read_to_string(dir.path().join("segments/latest/ideal_customer_profile.md")).unwrap();
    assert!(md.contains("Weekdays and hours are in Asia/Tehran"), "{md}");
    // segment on its own takes the zone as a flag too.
    let again = tempfile::tempdir().unwrap();
    let out = segflow(&[
        "segment",
        "--data",
        root,
        "--out",
        again.path().to_str().unwrap(),
        "--timezone",
        "Asia/Tehran",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(again.path().join("segments/latest/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["timezone"], "Asia/Tehran");
}

#[test]
fn logs_never_contain_row_contents_even_at_trace_level() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_segflow"))
        .args(["run", "fixtures/exports", "--out", dir.path().to_str().unwrap()])
        .env("RUST_LOG", "trace")
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(out.status.success());
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        logs.contains("rows_read") || logs.contains("segment"),
        "trace logging is on: {}",
        &logs[..logs.len().min(500)]
    );
    // Values that occur only inside rows: product names, customer ids, emails, amounts, cities.
    for secret in [
        "WHITE HANGING HEART",
        "12346",
        "sara@example.com",
        "۱۲٬۵۰۰٬۰۰۰",
        "Teekanne",
        "c12347@example.com",
        "تهران",
    ] {
        assert!(
            !logs.contains(secret),
            "log output contains row content {secret:?}"
        );
    }
}

/// An export without a header row has a customer in its first row. Rejected, it is reported
/// without repeating that row, on stderr or in its report, and `run` still names the input.
#[test]
fn a_headerless_export_is_rejected_without_repeating_its_first_row() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in/customers");
    std::fs::create_dir_all(&inputs).unwrap();
    let first_row = [
        "12345",
        "john.doe@secret.com",
        "Ali Rezaei",
        "1980-01-01",
        "London",
    ];
    std::fs::write(
        inputs.join("crm.csv"),
        format!(
            "{}\n12346,jane@secret.com,Sara Ahmadi,1982-02-02,Leeds\n",
            first_row.join(",")
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let res = Command::new(env!("CARGO_BIN_EXE_segflow"))
        .args([
            "run",
            dir.path().join("in").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(!res.status.success());
    let logs = String::from_utf8_lossy(&res.stderr);
    assert!(
        logs.contains("incoming/customers/crm.csv"),
        "names the input: {logs}"
    );
    assert!(
        logs.contains("5 columns, none of them a known column name"),
        "{logs}"
    );
    assert!(logs.contains("segmentation did not run"), "{logs}");
    let mut reports = Vec::new();
    let mut stack = vec![out.join("reports")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                reports.push(std::fs::read_to_string(p).unwrap())
            }
        }
    }
    assert_eq!(reports.len(), 1);
    for cell in first_row {
        assert!(!logs.contains(cell), "stderr repeats {cell:?}: {logs}");
        assert!(
            !reports[0].contains(cell),
            "the report repeats {cell:?}: {}",
            reports[0]
        );
    }
}

/// `--phone-country` names the shop's country: an unknown code is refused before anything is
/// read, with the codes that are known.
#[test]
fn an_unknown_phone_country_is_refused_with_the_known_ones() {
    let a = tempfile::tempdir().unwrap();
    let out = segflow(&[
        "ingest",
        "fixtures/exports/sales",
        "--out",
        a.path().to_str().unwrap(),
        "--phone-country",
        "USA",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("phone country must be one of US, CA, GB"),
        "{stderr}"
    );
    assert!(
        std::fs::read_dir(a.path()).unwrap().next().is_none(),
        "nothing is written"
    );
    // Nor does `run` segment again what an output already holds.
    let b = tempfile::tempdir().unwrap();
    let dir = b.path().to_str().unwrap();
    assert!(
        segflow(&["run", "fixtures/exports", "--out", dir])
            .status
            .success()
    );
    let before = tree(b.path());
    let out = segflow(&["run", "fixtures/exports", "--out", dir, "--phone-country", "XX"]);
    assert!(!out.status.success());
    assert!(tree(b.path()) == before, "the output changed");
}

/// `run shop --out shop/out` run again does not read its own outputs back as exports: its
/// customer lists would count as customers files, and their refusals would stand for ever.
#[test]
fn an_output_folder_inside_the_exports_is_not_read_as_exports() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    for sub in ["sales", "customers", "activity"] {
        let from = repo().join("fixtures/exports").join(sub);
        std::fs::create_dir_all(shop.join(sub)).unwrap();
        for e in std::fs::read_dir(&from).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, shop.join(sub).join(p.file_name().unwrap())).unwrap();
        }
    }
    let (shop_arg, out) = (shop.to_str().unwrap(), shop.join("out"));
    let run = || segflow(&["run", shop_arg, "--out", out.to_str().unwrap()]);
    assert!(run().status.success());
    let first = std::fs::read(out.join("segments/latest/customers.csv")).unwrap();
    let second = run();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("holds segflow's outputs; not read as exports"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("segments/latest/manifest.json")).unwrap()).unwrap();
    // The CRM list and the links the Shopify JSON's orders give (ids with their emails); not the
    // output's own customer lists.
    assert_eq!(manifest["inputs"]["customers_files"], 2);
    assert_eq!(
        std::fs::read(out.join("segments/latest/customers.csv")).unwrap(),
        first
    );
}

/// With k = 3 the fixtures' best segment is 5 customers, under the minimum group size (10): it is
/// not taken (its place would tell where those few rank), and the next by value, 45 of 79, is
/// past half: the group is its 16 best by RFM score (20 % of the purchasers), published, and the
/// lookalike list is not empty. The description says which segments were ranked.
#[test]
fn a_best_segment_under_the_minimum_is_not_taken_and_the_next_gives_its_best() {
    let dir = tempfile::tempdir().unwrap();
    // The configured k (a `--k` other than it is an experiment, in a folder of its own).
    let out = Command::new(env!("CARGO_BIN_EXE_segflow"))
        .args(["run", "fixtures/exports", "--out", dir.path().to_str().unwrap()])
        .env("SEGFLOW_K", "3")
        .current_dir(repo())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("segments/latest/manifest.json")).unwrap())
            .unwrap();
    let counts = &manifest["counts"];
    assert_eq!(counts["ideal_customers"], 16, "{counts}");
    let icp: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("segments/latest/ideal_customer_profile.json")).unwrap(),
    )
    .unwrap();
    let rule = &icp["ideal_rule"]["rule"];
    assert_eq!(rule["kind"], "top_of_segment", "{rule:#}");
    assert_eq!(rule["customers"], 16, "{rule:#}");
    let ranking = rule["ranking"].as_array().unwrap();
    let of_45 = ranking.iter().find(|s| s["customers"] == 45).unwrap();
    assert_eq!(rule["segment_id"], of_45["segment_id"], "{rule:#}");
    let of_5 = ranking.iter().find(|s| s["customers"] == 5).unwrap();
    assert_eq!(
        (&of_5["ideal"], &of_5["value"]),
        (&serde_json::json!(false), &serde_json::Value::Null)
    );
    let said = icp["ideal_rule"]["description"].as_str().unwrap();
    assert!(
        said.starts_with("Segments of at least 10 purchasing customers"),
        "{said}"
    );
    assert!(!icp["ideal"]["suppressed"].as_bool().unwrap(), "{icp:#}");
    assert!(counts["ideal_customers_listed"].as_u64().unwrap() > 0, "{counts}");
}

/// A US shop's exports in one folder: the daily export of the 5th (only 11/5/2026, which reads
/// both ways) sorts before the weekly one whose 11/13 shows the month comes first. The daily is
/// read again once the weekly has shown the order; another system's daily, of its own layout, is
/// read day-first with a warning, and read again month-first once the order is set.
#[test]
fn a_daily_export_takes_the_order_its_weekly_export_showed_in_the_same_run() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";
    let line = |n: u32, date: &str| format!("{n},A1,Mug,1,{date},2.50,100{n},United States\n");
    let write = |rel: &str, text: String| {
        let p = shop.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "sales/weekly/week.csv",
        format!(
            "{header}\n{}{}{}",
            line(1, "10/30/2026 09:00"),
            line(2, "11/5/2026 14:30"),
            line(3, "11/13/2026 16:00")
        ),
    );
    write(
        "sales/daily/2026-11-05.csv",
        format!(
            "{header}\n{}{}",
            line(2, "11/5/2026 14:30"),
            line(4, "11/5/2026 18:00")
        ),
    );
    write(
        "sales/pos/2026-11-05.csv",
        "Order ID,Order Date,Customer,Quantity,Price\n7,11/5/2026 14:30,c7,1,2.50\n".to_string(),
    );
    let out = dir.path().join("out");
    let ingest = |extra: &[&str]| {
        let mut args = vec!["ingest", shop.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend(extra);
        let run = segflow(&args);
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        String::from_utf8_lossy(&run.stderr).into_owned()
    };
    // The report of the source whose key ends with `key_end`, and the months its rows fell in.
    let source = |key_end: &str| -> (serde_json::Value, Vec<String>) {
        let report = tree(&out.join("reports/ingest/sales"))
            .into_iter()
            .map(|(_, b)| serde_json::from_slice::<serde_json::Value>(&b).unwrap())
            .find(|r| r["source"]["key"].as_str().unwrap().ends_with(key_end))
            .unwrap_or_else(|| panic!("no report for {key_end}"));
        let mut months: Vec<String> = report["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["key"].as_str().unwrap().split('/').nth(2).unwrap().to_string())
            .collect();
        months.sort();
        (report, months)
    };
    let err = ingest(&[]);
    let (daily, months) = source("daily/2026-11-05.csv");
    assert_eq!(months, ["order_month=2026-11"], "{daily}");
    assert_eq!(daily["parsing"]["date_format"], "month-first");
    assert_eq!(daily["parsing"]["date_order_from"], "earlier_upload");
    assert_eq!(
        daily["parsing"]["date_order_learned_from"],
        "incoming/sales/weekly/week.csv"
    );
    assert_eq!(daily["stats"]["min_ts"], "2026-11-05T14:30:00Z");
    // The May file of its first reading is gone: only the other system's export has one.
    let may = tree(&out.join("curated/sales/order_month=2026-05"));
    assert_eq!(may.len(), 1, "{may:?}");
    let (pos, months) = source("pos/2026-11-05.csv");
    assert_eq!(months, ["order_month=2026-05"], "{pos}");
    assert_eq!(pos["parsing"]["date_order_from"], "default");
    assert!(
        err.contains("warning: incoming/sales/pos/2026-11-05.csv: the dates in \"Order Date\"")
            && err.contains("--date-order month-first"),
        "{err}"
    );
    assert!(!err.contains("daily/2026-11-05.csv: the dates"), "{err}");
    // Unchanged, without an order: nothing is read again, nothing warned again.
    ingest(&[]);
    assert_eq!(source("pos/2026-11-05.csv").1, ["order_month=2026-05"]);
    // With the order set, the file read by default is read again.
    let err = ingest(&["--date-order", "month-first"]);
    let (pos, months) = source("pos/2026-11-05.csv");
    assert_eq!(months, ["order_month=2026-11"], "{pos}");
    assert_eq!(pos["parsing"]["date_order_from"], "configuration");
    assert!(!err.contains("warning:"), "{err}");
    let curated = tree(&out.join("curated/sales"));
    assert!(
        !curated.iter().any(|(p, _)| p.starts_with("order_month=2026-05")),
        "{curated:?}"
    );
}

/// A US shop's export with the dates of one day (`11/5/2026`, which reads both ways) in the
/// layout of `InvoiceDate` exports, and the weekly one whose `11/13` shows the month comes first.
fn us_exports(shop: &Path) -> (impl Fn(&str), impl Fn(&str)) {
    let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";
    let line = |n: u32, date: &str| format!("{n},A1,Mug,1,{date},2.50,100{n},United States\n");
    let write = |shop: &Path, rel: &str, text: String| {
        let p = shop.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let (s1, s2) = (shop.to_path_buf(), shop.to_path_buf());
    let daily = move |rel: &str| {
        write(
            &s1,
            rel,
            format!(
                "{header}\n{}{}",
                line(2, "11/5/2026 14:30"),
                line(4, "11/5/2026 18:00")
            ),
        )
    };
    let weekly = move |rel: &str| {
        write(
            &s2,
            rel,
            format!(
                "{header}\n{}{}{}",
                line(1, "10/30/2026 09:00"),
                line(2, "11/5/2026 14:30"),
                line(3, "11/13/2026 16:00")
            ),
        )
    };
    (daily, weekly)
}

/// The current report of the source whose key ends with `key_end` under `out` (the one its
/// manifest names), and the months its current rows fall in.
fn sales_report(out: &Path, key_end: &str) -> (serde_json::Value, Vec<String>) {
    let manifest = tree(&out.join("state/ingest/sources"))
        .into_iter()
        .map(|(_, b)| serde_json::from_slice::<serde_json::Value>(&b).unwrap())
        .find(|m| m["source_key"].as_str().unwrap().ends_with(key_end))
        .unwrap_or_else(|| panic!("no manifest for {key_end}"));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(manifest["report"].as_str().unwrap())).unwrap())
            .unwrap();
    let mut months: Vec<String> = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o.as_str().unwrap().split('/').nth(2).map(str::to_string))
        .filter(|m| m.starts_with("order_month="))
        .collect();
    months.sort();
    months.dedup();
    (report, months)
}

fn ingest_into(inputs: &[&Path], out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["ingest"];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend(extra);
    let run = segflow(&args);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    String::from_utf8_lossy(&run.stderr).into_owned()
}

/// A monthly file whose dates run in order both ways (1/5 … 10/5/2026) is read by its chronology,
/// the nearer reading: 1–10 May. When a later run's weekly export shows the layout month-first by
/// a value (`11/13/2026`), the file is read again by that: 5 January to 5 October, as if the
/// weekly had arrived first.
#[test]
fn a_file_read_by_its_chronology_is_read_again_when_its_layout_shows_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    let out = dir.path().join("out");
    let (_, weekly) = us_exports(&shop);
    let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";
    let renewals: String = (1..=10)
        .map(|m| format!("{m},A1,Mug,1,{m}/5/2026 09:00,2.50,200{m},United States\n"))
        .collect();
    std::fs::create_dir_all(shop.join("sales")).unwrap();
    std::fs::write(shop.join("sales/renewals.csv"), format!("{header}\n{renewals}")).unwrap();
    ingest_into(&[&shop], &out, &[]);
    let (report, months) = sales_report(&out, "sales/renewals.csv");
    assert_eq!(report["parsing"]["date_order_from"], "chronology", "{report}");
    assert_eq!(months, ["order_month=2026-05"]);
    weekly("sales/week.csv");
    ingest_into(&[&shop], &out, &[]);
    let (report, months) = sales_report(&out, "sales/renewals.csv");
    assert_eq!(report["parsing"]["date_order_from"], "earlier_upload", "{report}");
    assert_eq!(months.len(), 10, "{months:?}");
    assert_eq!(months[0], "order_month=2026-01");
}

/// Night 1 the folder holds only the daily export (read day-first, warned); night 2 the weekly is
/// added and `segflow ingest` runs over the same folder: the daily, unchanged and so skipped in
/// the first pass, is read again month-first once the weekly has shown the order.
#[test]
fn a_daily_guessed_in_an_earlier_run_is_read_again_when_a_later_run_learns_its_order() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    let out = dir.path().join("out");
    let (daily, weekly) = us_exports(&shop);
    daily("sales/daily/2026-11-05.csv");
    let err = ingest_into(&[&shop], &out, &[]);
    assert!(err.contains("daily/2026-11-05.csv: the dates"), "{err}");
    assert_eq!(
        sales_report(&out, "daily/2026-11-05.csv").1,
        ["order_month=2026-05"]
    );
    weekly("sales/weekly/week.csv");
    let err = ingest_into(&[&shop], &out, &[]);
    let (report, months) = sales_report(&out, "daily/2026-11-05.csv");
    assert_eq!(months, ["order_month=2026-11"], "{report}");
    assert_eq!(report["parsing"]["date_order_from"], "earlier_upload");
    assert!(!err.contains("warning:"), "{err}");
    assert!(
        tree(&out.join("curated/sales"))
            .iter()
            .all(|(p, _)| !p.starts_with("order_month=2026-05"))
    );
}

/// A daily export read month-first by the order its weekly export showed is read again when the
/// configuration then says day-first (`--date-order` or `SEGFLOW_DATE_ORDER`): the configuration
/// always wins, also over an unchanged file's earlier reading.
#[test]
fn a_configured_order_reads_again_a_file_read_by_a_learned_order() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    let out = dir.path().join("out");
    let (daily, weekly) = us_exports(&shop);
    weekly("sales/week.csv");
    daily("sales/2026-11-05.csv");
    let daily_file = shop.join("sales/2026-11-05.csv");
    ingest_into(&[&shop.join("sales/week.csv")], &out, &[]);
    ingest_into(&[&daily_file], &out, &[]);
    let (report, months) = sales_report(&out, "sales/2026-11-05.csv");
    assert_eq!(report["parsing"]["date_order_from"], "earlier_upload", "{report}");
    assert_eq!(months, ["order_month=2026-11"]);
    ingest_into(&[&daily_file], &out, &["--date-order", "day-first"]);
    let (report, months) = sales_report(&out, "sales/2026-11-05.csv");
    assert_eq!(report["parsing"]["date_order_from"], "configuration", "{report}");
    assert_eq!(months, ["order_month=2026-05"]);
    // The same order again: unchanged, not read again.
    let run = segflow(&[
        "ingest",
        daily_file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--date-order",
        "day-first",
    ]);
    assert!(String::from_utf8_lossy(&run.stdout).contains("duplicate"));
    // Back to month-first by the environment.
    let run = Command::new(env!("CARGO_BIN_EXE_segflow"))
        .args([
            "ingest",
            daily_file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("SEGFLOW_DATE_ORDER", "month-first")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(
        sales_report(&out, "sales/2026-11-05.csv").1,
        ["order_month=2026-11"]
    );
    // A customer list has no dates to read either way: a configured order leaves it unchanged.
    let crm = shop.join("customers/crm.csv");
    std::fs::create_dir_all(crm.parent().unwrap()).unwrap();
    std::fs::write(&crm, "Customer ID,Email\nC-1,c1@x.com\n").unwrap();
    ingest_into(&[&crm], &out, &[]);
    let run = segflow(&[
        "ingest",
        crm.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--date-order",
        "month-first",
    ]);
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("duplicate"),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
}

/// Two systems with the same header names, one writing the month first (a US shop's weekly
/// export, `11/13/2026`), the other the day first (a UK shop's, `13/01/2026`): their uploads
/// disagree on the layout's order, so a later daily of that layout whose dates read both ways gets
/// no learned order — it is read day-first with the warning, which says the uploads disagree —
/// rather than the order of whichever was ingested last.
#[test]
fn uploads_of_one_layout_that_disagree_teach_no_order() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    let out = dir.path().join("out");
    let (daily, weekly) = us_exports(&shop);
    weekly("sales/us_week.csv");
    let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";
    std::fs::write(
        shop.join("sales/uk_week.csv"),
        format!(
            "{header}\n1,A1,Mug,1,13/01/2026 10:00,4.00,2001,United Kingdom\n2,A1,Mug,1,14/01/2026 10:00,4.00,2002,United Kingdom\n"
        ),
    )
    .unwrap();
    daily("sales/2026-11-05.csv");
    ingest_into(&[&shop.join("sales/us_week.csv")], &out, &[]);
    ingest_into(&[&shop.join("sales/uk_week.csv")], &out, &[]);
    let err = ingest_into(&[&shop.join("sales/2026-11-05.csv")], &out, &[]);
    let (report, months) = sales_report(&out, "sales/2026-11-05.csv");
    assert_eq!(report["parsing"]["date_order_from"], "default", "{report}");
    assert_eq!(months, ["order_month=2026-05"]);
    assert!(err.contains("disagree"), "{err}");
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("state/ingest/date_orders.json")).unwrap()).unwrap();
    let entry = state["layouts"].as_object().unwrap().values().next().unwrap();
    assert_eq!(entry["order"], "month-first", "{state}");
    assert_eq!(entry["learned_from"], "incoming/sales/us_week.csv", "{state}");
    assert_eq!(entry["disagreed_by"], "incoming/sales/uk_week.csv", "{state}");
    // The configuration settles it.
    ingest_into(
        &[&shop.join("sales/2026-11-05.csv")],
        &out,
        &["--date-order", "month-first"],
    );
    assert_eq!(
        sales_report(&out, "sales/2026-11-05.csv").1,
        ["order_month=2026-11"]
    );
}

/// `--date-order day-first` cannot make `11/13/2026` a day-first date: the file's own values read
/// it month-first, and the report says that they decided, not the configuration. Ingested again
/// with the same setting, the file is unchanged (not read again each time).
#[test]
fn values_that_overrule_the_configured_order_are_named_as_what_decided() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop");
    let out = dir.path().join("out");
    let (_, weekly) = us_exports(&shop);
    weekly("sales/week.csv");
    let file = shop.join("sales/week.csv");
    ingest_into(&[&file], &out, &["--date-order", "day-first"]);
    let (report, _) = sales_report(&out, "sales/week.csv");
    assert_eq!(report["parsing"]["date_format"], "month-first", "{report}");
    assert_eq!(
        report["parsing"]["date_order_from"], "unambiguous_value",
        "{report}"
    );
    let run = segflow(&[
        "ingest",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--date-order",
        "day-first",
    ]);
    assert!(String::from_utf8_lossy(&run.stdout).contains("duplicate"));
}

/// The security review's case: unsubscribes whose date is `n/a`, empty or impossible are
/// quarantined, and `run` still keeps those customers off every list (the segment job reads the
/// refusals the ingest kept under `curated/refusals/`), as it does one with a readable date.
#[test]
fn run_keeps_unsubscribes_without_a_readable_date_off_the_lists() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    for d in ["sales", "customers", "activity"] {
        std::fs::create_dir_all(exports.join(d)).unwrap();
    }
    let mut crm = String::from("Customer ID,Email,Accepts Marketing\n");
    let mut orders = String::from("Order ID,Order Date,Customer ID,Quantity,Unit Price\n");
    for i in 0..12 {
        crm.push_str(&format!("C{i:02},user{i}@shop.example,yes\n"));
        for k in 0..=(i % 3) {
            orders.push_str(&format!(
                "O{i}-{k},2023-{:02}-{:02},C{i:02},1,{}.50\n",
                1 + (i + k) % 11,
                1 + (i * 7 + k) % 28,
                20 + i * 13 + k * 5
            ));
        }
    }
    std::fs::write(exports.join("customers/crm.csv"), crm).unwrap();
    std::fs::write(exports.join("sales/orders.csv"), orders).unwrap();
    std::fs::write(
        exports.join("activity/events.csv"),
        "Email,Activity Type,Timestamp\n\
         user1@shop.example,Unsubscribe,n/a\n\
         user2@shop.example,Unsubscribe,\n\
         user3@shop.example,Unsubscribe,31/31/2023\n\
         user4@shop.example,Unsubscribe,2023-10-05 10:00\n\
         user5@shop.example,Page View,2023-10-05 10:00\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = segflow(&["run", exports.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let latest = out.join("segments/latest");
    let read = |name: &str| String::from_utf8(std::fs::read(latest.join(name)).unwrap()).unwrap();
    let customers = read("customers.csv");
    let header: Vec<&str> = customers.lines().next().unwrap().split(',').collect();
    let consent_at = header.iter().position(|h| *h == "marketing_consent").unwrap();
    let consent = |id: &str| -> String {
        let row = customers
            .lines()
            .find(|l| l.split(',').next() == Some(id))
            .unwrap_or_else(|| panic!("{id} not in customers.csv"));
        row.split(',').nth(consent_at).unwrap().to_string()
    };
    for id in ["C01", "C02", "C03", "C04"] {
        assert_eq!(consent(id), "false", "{id}");
        for list in ["ideal_customers.csv", "winback.csv", "lead_scores.csv"] {
            let text = read(list);
            assert!(
                !text
                    .lines()
                    .any(|l| l.split(',').next() == Some(id) || l.contains(&format!("user{}@", &id[2..]))),
                "{id} in {list}"
            );
        }
    }
    // Lists are not empty: the page view's contact, who refused nothing, is scored.
    assert_eq!(consent("C05"), "true");
    assert!(read("lead_scores.csv").contains("user5@shop.example"));
    let quarantine = tree(&out)
        .into_iter()
        .find(|(k, _)| k.starts_with("quarantine/activity/"))
        .unwrap();
    let kept = String::from_utf8(quarantine.1)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"refusal_kept\":true"))
        .count();
    assert_eq!(kept, 3);
}

/// A file name with a line break and escape sequences is printed with them escaped, in the
/// result table and in the message naming the rejected input: it cannot forge a line of either,
/// nor clear the terminal. A Persian name is printed as it is.
#[test]
fn control_characters_in_file_names_are_escaped_in_the_table_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let sales = dir.path().join("in/sales");
    std::fs::create_dir_all(&sales).unwrap();
    let evil = "evil\nERROR injected \u{1b}[2J\u{1b}[31mred.csv";
    std::fs::write(sales.join(evil), "colour,size\nred,large\n").unwrap();
    let persian = "فروش\u{200c}های ۱۴۰۲.csv";
    std::fs::write(
        sales.join(persian),
        "Order ID,Order Date,Amount\nA-1,2024-03-01,12.50\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = segflow(&[
        "ingest",
        dir.path().join("in").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert!(!run.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    for text in [&stdout, &stderr] {
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(
            !text.lines().any(|l| l.starts_with("ERROR")),
            "a forged line: {text}"
        );
    }
    let shown = r"incoming/sales/evil\nERROR injected \u{1b}[2J\u{1b}[31mred.csv";
    // The header, then one line per file.
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("rejected") && l.ends_with(shown)),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.ends_with(&format!("incoming/sales/{persian}"))),
        "{stdout}"
    );
    assert!(
        stderr.contains(&format!("  {shown}: missing_columns")),
        "{stderr}"
    );
}
