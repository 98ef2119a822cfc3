//! Ideal customer profile, lookalike fit, activation lists, consent and the evaluation, on a small
//! hand-checkable set (as of 2024-06-30, UTC, min_group_size 2, k = 3):
//!
//! - b1–b4 ("big"): 3 orders of 500 on Mondays 09:00 (Jun 10, 17, 24), from DE/Berlin; b1–b3 are
//!   CEOs, b4 an Engineer. Net 1500 each.
//! - s1–s8 ("small"): one order of 20 on Friday Jun 28 19:00, IR/Tehran; s1–s4 Engineers,
//!   s5–s8 Students. s8 refused marketing.
//! - n1–n3: one order of 50 on Friday Jun 21, returned the next day: net 0 (negative profile);
//!   Students.
//! - w1, w2: one order of 25 on 2023-09-05: lapsed high spenders (win-back); Owners. w1
//!   unsubscribed in the activity data (contact id = customer id).
//! - p1: a prospect (no purchases) whose email matches an unsubscribed activity contact.
//!
//! 17 purchasers; 20 % of them is 4 (rounded up), so the top segment (b1–b4) alone is ideal.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;

use super::tests::{Line, by_id, checked, date, l, micros, read_csv, read_json, write_sales};
use super::*;

fn lines() -> Vec<Line> {
    let mut v = Vec::new();
    for c in ["b1", "b2", "b3", "b4"] {
        for d in ["10", "17", "24"] {
            v.push(
                l(
                    &format!("{c}-{d}"),
                    c,
                    &format!("2024-06-{d} 09:00"),
                    "p1",
                    1.0,
                    500.0,
                )
                .at("DE", "Berlin"),
            );
        }
    }
    for i in 1..=8 {
        let c = format!("s{i}");
        v.push(l(&format!("{c}-o"), &c, "2024-06-28 19:00", "p2", 1.0, 20.0));
    }
    for i in 1..=3 {
        let c = format!("n{i}");
        v.push(l(&format!("{c}-o"), &c, "2024-06-21 19:00", "p3", 1.0, 50.0));
        v.push(l(&format!("{c}-r"), &c, "2024-06-22 10:00", "p3", -1.0, -50.0));
    }
    for c in ["w1", "w2"] {
        v.push(l(&format!("{c}-o"), c, "2023-09-05 12:00", "p4", 1.0, 25.0));
    }
    v
}

/// (id, email, job title, consent)
type Cust = (&'static str, &'static str, &'static str, Option<bool>);

fn customers_rows() -> Vec<Cust> {
    let mut v: Vec<Cust> = vec![
        ("b1", "b1@x.com", "CEO", Some(true)),
        ("b2", "b2@x.com", "CEO", Some(true)),
        ("b3", "b3@x.com", "ceo", Some(true)),
        ("b4", "b4@x.com", "Engineer", Some(true)),
        ("n1", "", "Student", Some(true)),
        ("n2", "", "Student", Some(true)),
        ("n3", "", "Student", Some(true)),
        ("w1", "w1@x.com", "Owner", Some(true)),
        ("w2", "w2@x.com", "Owner", Some(true)),
        ("p1", "P1@x.com", "", Some(true)),
    ];
    let jobs = [
        "Engineer", "Engineer", "Engineer", "Engineer", "Student", "Student", "Student", "Student",
    ];
    let ids = ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"];
    for (id, job) in ids.iter().zip(jobs) {
        v.push((id, "", job, Some(*id != "s8")));
    }
    v
}

fn write_customers_with_email(dir: &Path, rows: &[Cust]) -> PathBuf {
    let utf8 = |n: &str| Field::new(n, DataType::Utf8, true);
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Utf8, false),
        utf8("email"),
        utf8("job_title"),
        Field::new("marketing_consent", DataType::Boolean, true),
    ]));
    let s = |f: &dyn Fn(&Cust) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter(
            rows.iter().map(|r| Some(f(r)).filter(|v| !v.is_empty())),
        ))
    };
    let columns: Vec<ArrayRef> = vec![
        s(&|r| r.0),
        s(&|r| r.1),
        s(&|r| r.2),
        Arc::new(BooleanArray::from_iter(rows.iter().map(|r| r.3))),
    ];
    write_parquet(&dir.join("customers/crm.parquet"), schema, columns)
}

fn write_parquet(path: &Path, schema: Arc<Schema>, columns: Vec<ArrayRef>) -> PathBuf {
    let batch = RecordBatch::try_new(schema.clone(), columns).expect("batch");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).expect("create"), schema, None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    path.to_path_buf()
}

/// (contact, email, event, ts, page, job title)
type Act = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

fn activity_rows() -> Vec<Act> {
    vec![
        (
            "L-1",
            "lead1@example.com",
            "page_view",
            "2024-06-01 09:00",
            "/pricing",
            "CEO",
        ),
        (
            "L-1",
            "lead1@example.com",
            "download",
            "2024-06-01 09:05",
            "/whitepaper",
            "CEO",
        ),
        (
            "L-1",
            "lead1@example.com",
            "form_submit",
            "2024-06-02 10:00",
            "/demo",
            "CEO",
        ),
        (
            "L-2",
            "lead2@example.com",
            "newsletter_signup",
            "2024-06-03 14:03",
            "/newsletter",
            "Student",
        ),
        (
            "L-2",
            "lead2@example.com",
            "unsubscribe",
            "2024-06-05 08:00",
            "",
            "Student",
        ),
        (
            "L-3",
            "lead3@example.com",
            "page_view",
            "2024-06-06 08:00",
            "/blog",
            "Engineer",
        ),
        ("w1", "w1@x.com", "unsubscribe", "2024-06-07 08:00", "", ""),
        ("L-7", "p1@X.com", "unsubscribe", "2024-06-07 08:00", "", ""),
        (
            "b1",
            "b1@x.com",
            "video_view",
            "2024-06-08 20:00",
            "/video",
            "CEO",
        ),
        // After the run date: ignored.
        (
            "L-4",
            "lead4@example.com",
            "form_submit",
            "2024-07-02 10:00",
            "/demo",
            "CEO",
        ),
    ]
}

fn write_activity(dir: &Path, rows: &[Act]) -> PathBuf {
    write_activity_with_phones(dir, rows, None)
}

/// `write_activity` with each row's `phone` (schema version 3); without, the file has no phone
/// column, as files written before.
fn write_activity_with_phones(dir: &Path, rows: &[Act], phones: Option<&[&str]>) -> PathBuf {
    let utf8 = |n: &str| Field::new(n, DataType::Utf8, true);
    let mut fields = vec![
        Field::new("contact_id", DataType::Utf8, false),
        utf8("email"),
        Field::new("event_type", DataType::Utf8, false),
        Field::new(
            "event_ts",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        utf8("page"),
        utf8("job_title"),
    ];
    let s = |f: &dyn Fn(&Act) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter(
            rows.iter().map(|r| Some(f(r)).filter(|v| !v.is_empty())),
        ))
    };
    let mut columns: Vec<ArrayRef> = vec![
        s(&|r| r.0),
        s(&|r| r.1),
        s(&|r| r.2),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| micros(r.3)))
                .with_timezone("UTC"),
        ),
        s(&|r| r.4),
        s(&|r| r.5),
    ];
    if let Some(phones) = phones {
        fields.push(utf8("phone"));
        columns.push(Arc::new(StringArray::from_iter(
            phones.iter().map(|p| Some(*p).filter(|v| !v.is_empty())),
        )));
    }
    write_parquet(
        &dir.join("activity/event_month=2024-06/web.parquet"),
        Arc::new(Schema::new(fields)),
        columns,
    )
}

struct Setup {
    _dir: tempfile::TempDir,
    inputs: SegmentInputs,
    out: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let sales = write_sales(dir.path(), "sales/order_month=2024-06/s1.parquet", "s1", &lines());
    let customers = write_customers_with_email(dir.path(), &customers_rows());
    let activity = write_activity(dir.path(), &activity_rows());
    let out = dir.path().join("out");
    let inputs = SegmentInputs {
        sales_files: vec![sales],
        customers_files: vec![customers],
        activity_files: vec![activity],
        refusal_files: vec![],
        previous: Previous::None,
    };
    Setup {
        _dir: dir,
        inputs,
        out,
    }
}

fn params(m: usize) -> SegmentParams {
    let mut p = checked("2024-06-30", Some(3)).params().clone();
    p.min_group_size = m;
    p
}

fn trait_row<'a>(group: &'a Value, name: &str, value: &str) -> Option<&'a Value> {
    group["traits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["trait"] == name && t["value"] == value)
}

/// One title however it is spelt, as lead scoring weighs it.
#[test]
fn job_titles_are_one_value_however_spelt() {
    use super::icp::job_key;
    let k = |t: &str| job_key(t).unwrap();
    assert_eq!(k("مدیرعامل"), k("مدیر عامل"));
    assert_eq!(k("مدیرعامل"), k("مدیر\u{200c}عامل"), "ZWNJ");
    assert_eq!(k("مدیرعامل"), k("مدير عامل"), "Arabic yeh");
    assert_eq!(k("CEO"), k(" ceo "));
    assert_eq!(k("Sales-Rep"), k("sales rep"));
    assert_ne!(k("Sales Rep"), k("Sales Manager"));
    assert_eq!(job_key("  "), None);
    // Longer than any vocabulary word: still one key.
    let long = "Senior Vice President of Global Procurement and Supply";
    assert_eq!(k(long), k(&long.to_uppercase()));
}

#[test]
fn ideal_profile_traits_and_lifts() {
    let s = setup();
    let run = run(&s.inputs, &params(2).check().unwrap(), &s.out).unwrap();
    let icp = read_json(&s.out.join("ideal_customer_profile.json"));
    let ideal = &icp["ideal"];
    assert_eq!(icp["purchasers"], 17);
    assert_eq!(ideal["customers"], 4, "{ideal:#}");
    assert_eq!(ideal["suppressed"], false);
    // 4/4 of the group against 4/17 of the base: lift 17/4 = 4.25.
    // The country is shown by its English name, however the export wrote it.
    for (name, value) in [
        ("country", "Germany"),
        ("city", "Berlin"),
        ("purchase_pattern", "Mondays 08–12"),
        ("frequency", "2–3 orders"),
    ] {
        let t = trait_row(ideal, name, value).unwrap_or_else(|| panic!("{name} {value}: {ideal:#}"));
        assert_eq!(
            (t["group_customers"].as_u64(), t["base_customers"].as_u64()),
            (Some(4), Some(4)),
            "{name}"
        );
        assert_eq!(t["lift"], 4.25, "{name}");
        assert_eq!(t["highlight"], true);
    }
    // Job titles are compared case-insensitively ("CEO" and "ceo") and shown as first spelled.
    // One Engineer in the group: under min_group_size, so not shown at all. Nor is CEO: 3 of
    // the group's 4 would say that one group member has another title.
    assert!(trait_row(ideal, "job_title", "Engineer").is_none());
    assert!(trait_row(ideal, "job_title", "CEO").is_none(), "{ideal:#}");
    assert!(ideal["suppressed_trait_values"].as_u64().unwrap() > 0);
    // CEO and Engineer; not Student and Owner, which no one in the group holds.
    assert_eq!(
        ideal["suppressed_trait_values_by_trait"]["job_title"], 2,
        "{ideal:#}"
    );
    let md = std::fs::read_to_string(s.out.join("ideal_customer_profile.md")).unwrap();
    assert!(md.contains("job title 2"), "the Markdown names the traits: {md}");
    let by_trait = ideal["suppressed_trait_values_by_trait"].as_object().unwrap();
    assert_eq!(
        by_trait.values().map(|n| n.as_u64().unwrap()).sum::<u64>(),
        ideal["suppressed_trait_values"].as_u64().unwrap()
    );
    // (Job titles are still compared case-insensitively, "CEO" and "ceo", for the fit: see
    // `lead_score_rows_and_grades`.)
    // Base: 0,0,0, 20×8, 25×2, 1500×4 → median 20.
    let f = &ideal["figures"];
    assert_eq!(
        (
            f["median_net_revenue"]["group"].as_f64(),
            f["median_net_revenue"]["base"].as_f64()
        ),
        (Some(1500.0), Some(20.0))
    );
    assert_eq!(f["median_net_revenue"]["ratio"], 75.0);
    assert_eq!(f["median_net_revenue"]["highlight"], true);
    for k in ["min_order_value", "median_order_value", "max_order_value"] {
        assert_eq!(f[k]["group"], 500.0, "{k}");
    }
    assert_eq!(
        (
            f["median_days_between_orders"]["group"].as_f64(),
            f["median_tenure_days"]["group"].as_f64()
        ),
        (Some(7.0), Some(20.6)),
        "Jun 10 09:00 to Jul 1 00:00 = 20.625 days"
    );
    assert_eq!(f["multi_item_share"]["group"], 0.0, "single-product orders");
    assert_eq!(icp["ideal_rule"]["rule"]["kind"], "top_segments");
    assert_eq!(icp["products"]["available"], false);

    // Negative profile: n1–n3 (net 0, everything returned).
    let neg = &icp["negative"]["profile"];
    assert_eq!(neg["customers"], 3);
    let student = trait_row(neg, "job_title", "Student").expect("Student");
    assert_eq!(
        (
            student["group_share"].as_f64(),
            student["base_customers"].as_u64()
        ),
        (Some(1.0), Some(7))
    );
    assert_eq!(student["lift"], round2(17.0 / 7.0));
    assert_eq!(neg["figures"]["return_rate"]["group"], 1.0);
    // Returning 30 % or more is a flag every other buyer lacks: its base share is of all 17
    // buyers, not of the 3 who hold it.
    let returns = trait_row(neg, "returns", "returns 30% or more of purchases").expect("returns");
    assert_eq!(
        (
            returns["group_share"].as_f64(),
            returns["base_share"].as_f64(),
            returns["lift"].as_f64()
        ),
        (Some(1.0), Some(0.176), Some(round2(17.0 / 3.0))),
        "{returns:#}"
    );

    let md = std::fs::read_to_string(s.out.join("ideal_customer_profile.md")).unwrap();
    assert!(
        md.contains(
            "Your best customers are 4.25× as often from Germany as your customers overall (100% against 24%)."
        ),
        "{md}"
    );
    assert!(md.contains("buying mostly on Mondays 08–12"), "{md}");
    assert!(
        md.contains("Median net revenue per customer: 1,500 against 20 for all customers (75.00×)."),
        "{md}"
    );
    assert!(md.contains("Frequent returners and customers with no net revenue"));
    assert!(run.files.contains(&"ideal_customer_profile.md".to_string()));
    // Every figure the JSON highlights is said in the Markdown, not only the medians: the
    // negative group is defined by its return rate.
    let rate = &neg["figures"]["return_rate"];
    assert_eq!(rate["highlight"], true, "{rate}");
    let negative_md = &md[md.find("## Frequent returners").unwrap()..];
    let said = format!(
        "- Return rate (returned / purchased value): 1.000 against {:.3} for all customers",
        rate["base"].as_f64().unwrap()
    );
    assert!(negative_md.contains(&said), "{said}\n{md}");
    // One order is said once (frequency "1 order"), not again as a "single order" rhythm.
    for group in [&icp["ideal"], neg] {
        assert!(trait_row(group, "rhythm", "single order").is_none(), "{group:#}");
    }
    assert!(trait_row(neg, "frequency", "1 order").is_some(), "{neg:#}");
}

/// Inputs of one sales file holding `lines`, a customers dataset of `people` (none when empty)
/// and no activity.
fn inputs_of(dir: &Path, lines: &[Line], people: &[Cust]) -> SegmentInputs {
    SegmentInputs {
        sales_files: vec![write_sales(
            dir,
            "sales/order_month=2024-06/s1.parquet",
            "s1",
            lines,
        )],
        customers_files: if people.is_empty() {
            vec![]
        } else {
            vec![write_customers_with_email(dir, people)]
        },
        activity_files: vec![],
        refusal_files: vec![],
        previous: Previous::None,
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[test]
fn small_groups_are_suppressed() {
    let s = setup();
    run(&s.inputs, &params(5).check().unwrap(), &s.out).unwrap();
    let icp = read_json(&s.out.join("ideal_customer_profile.json"));
    // The best segment by value has 4 customers, under the minimum of 5: withheld in
    // segments.csv, and no part of the ideal group, which is the best 5 of the next segment.
    assert_eq!(icp["ideal_rule"]["rule"]["kind"], "top_of_segment");
    assert_eq!(icp["ideal"]["customers"], 5);
    assert_eq!(icp["negative"]["profile"]["suppressed"], true);
    assert_eq!(icp["negative"]["profile"]["figures"], Value::Null);
    assert_eq!(icp["negative"]["profile"]["traits"].as_array().unwrap().len(), 0);
    // The segment ranking hides the value of segments under the threshold too, and lists them
    // last (their place among the others would bound their value).
    let ranking = icp["ideal_rule"]["rule"]["ranking"].as_array().unwrap();
    for seg in ranking {
        if seg["customers"].as_u64().unwrap() < 5 {
            assert_eq!(seg["value"], Value::Null);
        }
    }
    let hidden: Vec<bool> = ranking.iter().map(|s| s["value"].is_null()).collect();
    assert!(hidden.windows(2).all(|w| w[0] <= w[1]), "{hidden:?}");
    assert!(hidden.contains(&true) && hidden.contains(&false), "{hidden:?}");
    // Nor is a segment under the minimum taken into the ideal group or named in the order
    // taken: that would tell where it ranks.
    let said = icp["ideal_rule"]["description"].as_str().unwrap();
    for seg in ranking.iter().filter(|s| s["customers"].as_u64().unwrap() < 5) {
        assert_eq!(seg["ideal"], false, "{seg}");
        assert!(!said.contains(seg["segment_name"].as_str().unwrap()), "{said}");
    }
}

#[test]
fn consent_and_unsubscribes_keep_people_off_every_list() {
    let s = setup();
    let run = run(&s.inputs, &params(2).check().unwrap(), &s.out).unwrap();
    let ideal = read_csv(&s.out.join("ideal_customers.csv"));
    let ids: Vec<&str> = ideal.iter().map(|r| r["id"].as_str()).collect();
    for gone in ["s8", "w1", "p1", "L-2", "L-7"] {
        assert!(!ids.contains(&gone), "{gone} must not be listed: {ids:?}");
    }
    assert!(!ids.contains(&"L-4"), "activity after the run date is ignored");
    // 17 purchasers + p1 − s8 − w1 − p1 = 15 customers, plus leads L-1 and L-3.
    assert_eq!(ideal.len(), 17, "{ids:?}");
    let leads = read_csv(&s.out.join("lead_scores.csv"));
    let contacts: Vec<&str> = leads.iter().map(|r| r["contact_id"].as_str()).collect();
    assert_eq!(
        contacts,
        vec!["L-1", "b1", "L-3"],
        "by score; unsubscribed w1, L-2 and L-7 left out"
    );
    let winback = read_csv(&s.out.join("winback.csv"));
    assert_eq!(
        winback
            .iter()
            .map(|r| r["customer_id"].as_str())
            .collect::<Vec<_>>(),
        vec!["w2"],
        "w1 unsubscribed"
    );
    // Still counted everywhere else.
    let m = &run.manifest;
    assert_eq!(m["counts"]["lifecycle"]["lapsed"], 2);
    assert_eq!(m["counts"]["customers_opted_out"], 3, "s8, w1, p1");
    assert_eq!(m["counts"]["leads_excluded_no_consent"], 3);
    let customers = by_id(read_csv(&s.out.join("customers.csv")));
    assert_eq!(customers.len(), 18);
    assert!(!customers["s8"]["ideal_fit"].is_empty());
}

/// `ann+shop@x.com` delivers to `ann@x.com`'s inbox: an unsubscribe from either address keeps
/// the person off the lists, whichever of the two the sales know.
#[test]
fn an_unsubscribe_from_a_tagged_address_holds_for_the_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let mut sales = lines();
    for c in ["ann@x.com", "bob+news@x.com", "cat@x.com"] {
        sales.push(l(&format!("{c}-o"), c, "2024-06-26 11:00", "p2", 1.0, 30.0));
    }
    let mut acts = activity_rows();
    acts.push(("ann+shop@x.com", "", "unsubscribe", "2024-06-20 08:00", "", ""));
    acts.push(("L-9", "Bob@x.com", "unsubscribe", "2024-06-21 08:00", "", ""));
    let inputs = SegmentInputs {
        sales_files: vec![write_sales(dir.path(), "s1.parquet", "s1", &sales)],
        customers_files: vec![],
        activity_files: vec![write_activity(dir.path(), &acts)],
        refusal_files: vec![],
        previous: Previous::None,
    };
    let out = dir.path().join("out");
    run(&inputs, &params(2).check().unwrap(), &out).unwrap();
    let customers = by_id(read_csv(&out.join("customers.csv")));
    for (id, consent) in [
        ("ann@x.com", "false"),
        ("bob+news@x.com", "false"),
        ("cat@x.com", ""),
    ] {
        assert_eq!(customers[id]["marketing_consent"], consent, "{id}");
    }
    let ideal: Vec<String> = read_csv(&out.join("ideal_customers.csv"))
        .into_iter()
        .map(|r| r["id"].clone())
        .collect();
    assert!(ideal.iter().any(|id| id == "cat@x.com"), "{ideal:?}");
    assert!(
        !ideal.iter().any(|id| id == "ann@x.com" || id == "bob+news@x.com"),
        "{ideal:?}"
    );
}

/// A refusal dated after the run date still counts (lists are used now), and a person the sales
/// know by email is the customers dataset's record with that email: one customer under its
/// customer number, carrying its consent, listed with the address.
#[test]
fn later_refusals_and_people_known_by_email_stay_off_the_lists() {
    let dir = tempfile::tempdir().unwrap();
    let mut sales = lines();
    for c in ["e1@x.com", "e2@x.com", "e3@x.com", "e4@x.com", "e5@x.com"] {
        sales.push(l(&format!("{c}-o"), c, "2024-06-26 11:00", "p2", 1.0, 30.0));
    }
    // b4 (three orders under its number) also bought once in a shop that keys by email.
    sales.push(l("web-1", "b4@x.com", "2024-06-27 11:00", "p2", 1.0, 30.0));
    // One person buying under two numbers with one email (N-1, N-2), who unsubscribes as N-2.
    sales.push(l("n1-o", "N-1", "2024-06-26 12:00", "p2", 1.0, 40.0));
    sales.push(l("n2-o", "N-2", "2024-06-27 12:00", "p2", 1.0, 40.0));
    let mut people = customers_rows();
    people.extend([
        // Refused marketing; known to the sales only by email (in other letter case).
        ("K-9", "E1@x.com", "Engineer", Some(false)),
        // Unsubscribed under the customer number, with no email in the activity row.
        ("K-8", "e2@x.com", "Owner", Some(true)),
        ("K-7", "e3@x.com", "Owner", Some(true)),
        // Two records for one address: the refusal stands although the consent comes first.
        ("K-5", "e4@x.com", "Owner", Some(true)),
        ("K-6", "e4@x.com", "Owner", Some(false)),
        // b1 (a buyer under its number) refused under a second number with its email.
        ("K-4", "B1@X.com", "", Some(false)),
        // e5 buys by email; its second record K-2 unsubscribes in the activity data.
        ("K-3", "e5@x.com", "Owner", Some(true)),
        ("K-2", "e5@x.com", "Owner", Some(true)),
        ("N-1", "n@x.com", "Owner", Some(true)),
        ("N-2", "n@x.com", "Owner", Some(true)),
    ]);
    let mut acts = activity_rows();
    acts.push(("K-8", "", "unsubscribe", "2024-06-20 08:00", "", ""));
    acts.push(("K-2", "", "unsubscribe", "2024-06-21 08:00", "", ""));
    acts.push(("N-2", "", "unsubscribe", "2024-06-21 09:00", "", ""));
    // b2 opts out after the run date.
    acts.push(("b2", "", "unsubscribe", "2024-07-05 08:00", "", ""));
    // No job title in the activity export; the customers dataset has K-7 as an Owner (×2).
    acts.push(("K-7", "", "download", "2024-06-15 08:00", "/whitepaper", ""));
    let inputs = SegmentInputs {
        sales_files: vec![write_sales(
            dir.path(),
            "sales/order_month=2024-06/s1.parquet",
            "s1",
            &sales,
        )],
        customers_files: vec![write_customers_with_email(dir.path(), &people)],
        activity_files: vec![write_activity(dir.path(), &acts)],
        refusal_files: vec![],
        previous: Previous::None,
    };
    let out = dir.path().join("out");
    let run = run(&inputs, &params(2).check().unwrap(), &out).unwrap();

    let customers = by_id(read_csv(&out.join("customers.csv")));
    // Each buyer known by email is the customer number with that email: one customer with the
    // record's attributes and consent, its purchases under the number.
    for (id, consent, job) in [
        ("K-9", "false", "Engineer"),
        // Consented in the customers dataset, unsubscribed as K-8: the column says what the
        // lists obey.
        ("K-8", "false", "Owner"),
        ("K-7", "true", "Owner"),
        // Two numbers share e4: the purchases stay under the email, both records fold into that
        // buyer, and the refusal of one covers it.
        ("e4@x.com", "false", "Owner"),
    ] {
        let c = &customers[id];
        assert_eq!(
            (c["marketing_consent"].as_str(), c["job_title"].as_str()),
            (consent, job),
            "{id}"
        );
        assert_eq!(c["lifecycle_stage"], "new", "{id}");
        assert_eq!(c["frequency"], "1", "{id}");
    }
    // The second records fold into the buyer: no prospects of their own.
    for folded in ["K-5", "K-6", "K-4", "K-3", "K-2"] {
        assert!(!customers.contains_key(folded), "{folded}");
    }
    // An unsubscribe under a second record, or under the other number of one email, stands.
    for id in ["e5@x.com", "N-1", "N-2"] {
        assert_eq!(customers[id]["marketing_consent"], "false", "{id}");
    }
    assert_eq!(
        (
            customers["b4"]["frequency"].as_str(),
            customers["b4"]["monetary"].as_str()
        ),
        ("4", "1530.00")
    );
    assert!(!customers.contains_key("b4@x.com"));
    for email in ["e1@x.com", "e2@x.com", "e3@x.com", "b4@x.com"] {
        assert!(
            !customers.contains_key(email),
            "{email} is a customer number's buyer"
        );
    }
    let ideal = read_csv(&out.join("ideal_customers.csv"));
    let listed: Vec<String> = ideal
        .iter()
        .map(|r| r["id"].clone())
        .chain(
            read_csv(&out.join("lead_scores.csv"))
                .into_iter()
                .map(|r| r["contact_id"].clone()),
        )
        .collect();
    assert_eq!(customers["b1"]["marketing_consent"], "false");
    for gone in [
        "K-9", "K-8", "K-5", "K-6", "b1", "b2", "K-4", "K-3", "K-2", "N-1", "N-2", "e4@x.com", "e5@x.com",
    ] {
        assert!(
            !listed.iter().any(|id| id == gone),
            "{gone} must not be listed: {listed:?}"
        );
    }
    // Listed under its number, with the address the marketing tool needs.
    let k7 = ideal.iter().find(|r| r["id"] == "K-7").expect("K-7 listed");
    assert_eq!(k7["email"], "e3@x.com");
    let leads = read_csv(&out.join("lead_scores.csv"));
    let k7 = leads
        .iter()
        .find(|r| r["contact_id"] == "K-7")
        .expect("K-7 scored");
    assert_eq!(
        (k7["job_title"].as_str(), k7["contributions"].as_str()),
        ("Owner", "download×1 +60")
    );
    // The activity row has no email: the matched customer's fills the column.
    assert_eq!(k7["email"], "e3@x.com");
    // s8, w1, p1 as in the base set, plus K-9 (e1) and e4 (refused as K-6) who refused, K-8
    // (e2, unsubscribed), b2, b1 (refused as K-4), e5 (unsubscribed as K-2), N-1 and N-2.
    assert_eq!(run.manifest["counts"]["customers_opted_out"], 11);
}

/// One order exported by an ERP keyed by customer number and by a shop keyed by email (the two
/// exports overlap) counts once, under the number.
#[test]
fn an_order_in_an_email_keyed_and_a_number_keyed_export_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut erp = lines();
    erp.push(l("o-7", "N-7", "2024-06-20 10:00", "p2", 1.0, 70.0));
    let shop = vec![
        l("o-7", "n7@x.com", "2024-06-20 10:00", "p2", 1.0, 70.0),
        l("o-8", "n7@x.com", "2024-06-22 10:00", "p2", 1.0, 20.0),
    ];
    let mut people = customers_rows();
    people.push(("N-7", "n7@x.com", "Owner", Some(true)));
    let inputs = SegmentInputs {
        sales_files: vec![
            write_sales(dir.path(), "sales/order_month=2024-06/erp.parquet", "erp", &erp),
            write_sales(
                dir.path(),
                "sales/order_month=2024-06/shop.parquet",
                "shop",
                &shop,
            ),
        ],
        customers_files: vec![write_customers_with_email(dir.path(), &people)],
        activity_files: vec![],
        refusal_files: vec![],
        previous: Previous::None,
    };
    let out = dir.path().join("out");
    let run = run(&inputs, &params(2).check().unwrap(), &out).unwrap();
    let customers = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(
        (
            customers["N-7"]["frequency"].as_str(),
            customers["N-7"]["monetary"].as_str()
        ),
        ("2", "90.00")
    );
    assert_eq!(run.manifest["inputs"]["order_rows_superseded"], 1);
    assert_eq!(run.manifest["inputs"]["duplicates_dropped"], 0);
}

#[test]
fn lead_score_rows_and_grades() {
    let s = setup();
    run(&s.inputs, &params(2).check().unwrap(), &s.out).unwrap();
    let leads = read_csv(&s.out.join("lead_scores.csv"));
    let l1 = &leads[0];
    // 2 + 10 (pricing) + 30×2 + 40×2 (CEO) = 152: medium.
    assert_eq!((l1["score"].as_str(), l1["band"].as_str()), ("152.00", "medium"));
    assert_eq!(
        l1["contributions"],
        "form_submit×1 +80, download×1 +60, page_view×1 +12"
    );
    assert_eq!(
        (
            l1["email"].as_str(),
            l1["job_title"].as_str(),
            l1["last_activity"].as_str()
        ),
        ("lead1@example.com", "CEO", "2024-06-02")
    );
    // Fit: from the prior, the ideal group's 4 of 17 purchasers, plus the one known trait, the
    // CEO smoothed lift ((3 + 10·3/17)/(4 + 10))/(3/17); the engagement (152/200) is the grade's
    // digit, not part of its letter.
    let prior = (4.0f64 / 13.0).ln();
    let pb: f64 = 3.0 / 17.0;
    let raw = (((3.0 + 10.0 * pb) / 14.0) / pb).ln();
    let logistic = |x: f64| 100.0 / (1.0 + (-x).exp());
    // Every term at half weight.
    assert_eq!(l1["fit"], format!("{:.1}", logistic(prior + raw / 2.0)));
    assert_eq!(l1["fit"], "29.9");
    // Odds of 29.9 : 70.1 against the prior's 4 : 13, ×1.39: a B (×1.25 or more), not an A
    // (×2.5): one known trait the best customers have more often.
    assert_eq!(l1["grade"], "B2");
    // ideal_customers.csv ranks the lead with its engagement added.
    let ranked = read_csv(&s.out.join("ideal_customers.csv"));
    let ranked_l1 = ranked.iter().find(|r| r["id"] == l1["contact_id"]).unwrap();
    let with_engagement = logistic(prior + (raw + 152.0 / 200.0) / 2.0);
    assert_eq!(ranked_l1["fit"], format!("{with_engagement:.1}"));
    assert_eq!(ranked_l1["fit"], "38.5");
    // Positive engagement only ever raises a fit.
    assert!(ranked_l1["fit"].parse::<f64>().unwrap() > l1["fit"].parse::<f64>().unwrap());
    // An Engineer (one of the five is in the group): a little under the prior of 4/17 = 23.5.
    let l3 = leads.iter().find(|r| r["contact_id"] == "L-3").unwrap();
    assert_eq!(
        (
            l3["score"].as_str(),
            l3["band"].as_str(),
            l3["fit"].as_str(),
            l3["grade"].as_str()
        ),
        ("2.00", "weak", "23.1", "C3")
    );
    // A customer with activity takes the customer's fit.
    let b1 = leads.iter().find(|r| r["contact_id"] == "b1").unwrap();
    let customers = by_id(read_csv(&s.out.join("customers.csv")));
    assert_eq!(b1["fit"], customers["b1"]["ideal_fit"]);
    let b1_fit: f64 = b1["fit"].parse().unwrap();
    assert!(b1_fit >= 70.0, "{b1_fit}");
    assert_eq!(b1["grade"], "A3");
}

/// Overlapping activity exports (and a row pasted twice) score each event once: L-1's download
/// and form are delivered again by a second file and its form twice in the first.
/// A lead's job title comes from its activity rows when any gives one, else from the customer it
/// matches; all its downloads weigh by that one title, as the CSV lists it.
#[test]
fn a_leads_title_from_any_of_its_rows_weighs_all_its_downloads() {
    let dir = tempfile::tempdir().unwrap();
    let mut people = customers_rows();
    people.push(("K-7", "e7@x.com", "Owner", Some(true)));
    people.push(("K-6", "e6@x.com", "Owner", Some(true)));
    let mut inputs = inputs_of(dir.path(), &lines(), &people);
    let acts: Vec<Act> = vec![
        // The CRM row first, then a download without a title: the customers dataset's does not
        // replace the title the activity gives.
        ("K-7", "", "page_view", "2024-06-15 08:00", "/blog", "Intern"),
        ("K-7", "", "download", "2024-06-15 09:00", "/whitepaper", ""),
        ("K-6", "", "download", "2024-06-15 08:00", "/whitepaper", ""),
    ];
    inputs.activity_files = vec![write_activity(dir.path(), &acts)];
    let out = dir.path().join("out");
    run(&inputs, &params(2).check().unwrap(), &out).unwrap();
    let leads = read_csv(&out.join("lead_scores.csv"));
    let row = |id: &str| {
        let r = leads.iter().find(|r| r["contact_id"] == id).expect(id);
        (r["job_title"].clone(), r["contributions"].clone())
    };
    assert_eq!(
        row("K-7"),
        ("Intern".into(), "download×1 +15, page_view×1 +2".into())
    );
    assert_eq!(row("K-6"), ("Owner".into(), "download×1 +60".into()));
}

/// A lead whose rows give a tagged address (`ann+news@x.example`) is the customer with the
/// inbox it delivers to (`ann@x.example`), as consent compares them: it takes that customer's
/// job title. An address a customer has as written still names that customer, not the first
/// holder of its inbox.
#[test]
fn a_lead_under_a_tagged_address_is_the_customer_of_its_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let mut people = customers_rows();
    people.extend([
        ("K-6", "ann@x.example", "Owner", Some(true)),
        ("K-5", "bob@x.example", "Owner", Some(true)),
        ("K-3", "cat@x.example", "Engineer", Some(true)),
        ("K-4", "cat+shop@x.example", "Owner", Some(true)),
    ]);
    let mut inputs = inputs_of(dir.path(), &lines(), &people);
    let acts: Vec<Act> = vec![
        // A CRM id whose rows give the tagged address, in other letter case.
        (
            "L-7",
            "Ann+News@x.example",
            "download",
            "2024-06-15 08:00",
            "/whitepaper",
            "",
        ),
        // A newsletter tool keying the contact by the tagged address itself.
        (
            "bob+shop@x.example",
            "bob+shop@x.example",
            "download",
            "2024-06-15 09:00",
            "/ebook",
            "",
        ),
        (
            "L-8",
            "cat+shop@x.example",
            "download",
            "2024-06-15 10:00",
            "/ebook",
            "",
        ),
    ];
    inputs.activity_files = vec![write_activity(dir.path(), &acts)];
    let out = dir.path().join("out");
    run(&inputs, &params(2).check().unwrap(), &out).unwrap();
    let leads = read_csv(&out.join("lead_scores.csv"));
    let row = |id: &str| {
        let r = leads.iter().find(|r| r["contact_id"] == id).expect(id);
        (
            r["job_title"].as_str(),
            r["contributions"].as_str(),
            r["email"].as_str(),
        )
    };
    assert_eq!(
        row("L-7"),
        ("Owner", "download×1 +60", "Ann+News@x.example"),
        "L-7 is K-6"
    );
    assert_eq!(
        row("bob+shop@x.example"),
        ("Owner", "download×1 +60", "bob+shop@x.example"),
        "the contact is K-5"
    );
    assert_eq!(
        row("L-8"),
        ("Owner", "download×1 +60", "cat+shop@x.example"),
        "K-4 has the address as written; K-3 (an Engineer) only its inbox"
    );
}

/// An SMS opt-out from the mobile a lead's own activity rows give reaches the lead, which the
/// website knows by email; the lead's row carries that mobile when nothing else gives one.
#[test]
fn an_sms_opt_out_reaches_the_lead_whose_rows_give_that_mobile() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = inputs_of(dir.path(), &lines(), &customers_rows());
    let acts: Vec<Act> = vec![
        (
            "maryam@x.ir",
            "maryam@x.ir",
            "download",
            "2024-06-12 10:00",
            "/ebook",
            "",
        ),
        (
            "maryam@x.ir",
            "maryam@x.ir",
            "form_submit",
            "2024-06-12 10:05",
            "/demo",
            "",
        ),
        ("+989351112233", "", "unsubscribe", "2024-06-16 12:00", "", ""),
        (
            "sara@x.ir",
            "sara@x.ir",
            "form_submit",
            "2024-06-12 10:05",
            "/demo",
            "",
        ),
    ];
    let phones = ["+989351112233", "+989351112233", "+989351112233", "+989121110000"];
    inputs.activity_files = vec![write_activity_with_phones(dir.path(), &acts, Some(&phones))];
    let out = dir.path().join("out");
    run(&inputs, &params(2).check().unwrap(), &out).unwrap();
    let leads = read_csv(&out.join("lead_scores.csv"));
    let listed: Vec<(&str, &str)> = leads
        .iter()
        .map(|r| (r["contact_id"].as_str(), r["phone"].as_str()))
        .collect();
    assert_eq!(listed, [("sara@x.ir", "+989121110000")]);
}

#[test]
fn repeated_activity_rows_score_once() {
    let s = setup();
    let mut first = activity_rows();
    first.push(first[2]);
    let repeat = vec![activity_rows()[1], activity_rows()[2]];
    let second = write_activity(&s._dir.path().join("second"), &repeat);
    let inputs = SegmentInputs {
        sales_files: s.inputs.sales_files.clone(),
        customers_files: s.inputs.customers_files.clone(),
        activity_files: vec![write_activity(s._dir.path(), &first), second],
        refusal_files: vec![],
        previous: Previous::None,
    };
    let run = run(&inputs, &params(2).check().unwrap(), &s.out).unwrap();
    let leads = read_csv(&s.out.join("lead_scores.csv"));
    let l1 = leads.iter().find(|r| r["contact_id"] == "L-1").unwrap();
    // As without the copies: 2 + 10 (pricing) + 30×2 + 40×2 (CEO).
    assert_eq!(l1["score"], "152.00");
    assert_eq!(
        l1["contributions"],
        "form_submit×1 +80, download×1 +60, page_view×1 +12"
    );
    assert_eq!(run.manifest["inputs"]["activity_duplicates_dropped"], 3);
    assert_eq!(run.manifest["inputs"]["activity_events"], activity_rows().len());
}

/// Activity after the run date is not scored (a form of next week is no engagement yet) and is
/// counted in the manifest, as sales rows after it are.
#[test]
fn activity_after_the_run_date_is_counted_not_scored() {
    let s = setup();
    let mut rows = activity_rows();
    rows.push((
        "L-FUT",
        "future@example.com",
        "form_submit",
        "2024-07-05 10:00",
        "/demo",
        "CEO",
    ));
    let inputs = SegmentInputs {
        sales_files: s.inputs.sales_files.clone(),
        customers_files: s.inputs.customers_files.clone(),
        activity_files: vec![write_activity(s._dir.path(), &rows)],
        refusal_files: vec![],
        previous: Previous::None,
    };
    let run = run(&inputs, &params(2).check().unwrap(), &s.out).unwrap();
    let leads = read_csv(&s.out.join("lead_scores.csv"));
    assert!(leads.iter().all(|r| r["contact_id"] != "L-FUT"));
    assert!(leads.iter().any(|r| r["contact_id"] == "L-1"));
    // This one and the shared rows' event of 2 July.
    let after = rows.iter().filter(|r| r.3 > "2024-06-30 24").count();
    assert_eq!(after, 2);
    assert_eq!(run.manifest["inputs"]["activity_after_as_of"], after);
    assert_eq!(run.manifest["inputs"]["activity_events"], rows.len());
}

#[test]
fn fit_ranks_ideal_like_people_first_with_reasons() {
    let s = setup();
    run(&s.inputs, &params(2).check().unwrap(), &s.out).unwrap();
    let rows = read_csv(&s.out.join("ideal_customers.csv"));
    let fit = |id: &str| {
        rows.iter().find(|r| r["id"] == id).unwrap()["fit"]
            .parse::<f64>()
            .unwrap()
    };
    for b in ["b1", "b2", "b3", "b4"] {
        for other in ["s1", "s5", "n1", "w2", "L-1", "L-3"] {
            assert!(fit(b) > fit(other), "{b} {} vs {other} {}", fit(b), fit(other));
        }
    }
    assert!(
        fit("b1") > fit("b4"),
        "a CEO resembles the best customers more than their one Engineer"
    );
    assert!(
        fit("L-1") > fit("L-3"),
        "an engaged CEO lead above a barely engaged Engineer"
    );
    // Sorted by fit, then id.
    let order: Vec<f64> = rows.iter().map(|r| r["fit"].parse().unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] >= w[1]));
    let b1 = rows.iter().find(|r| r["id"] == "b1").unwrap();
    assert_eq!(
        (b1["kind"].as_str(), b1["lifecycle_stage"].as_str()),
        ("customer", "new"),
        "first order 20 days ago"
    );
    assert_eq!(b1["reasons"].split("; ").count(), 3, "{}", b1["reasons"]);
    assert!(b1["reasons"].contains("(×"), "{}", b1["reasons"]);
    let l1 = rows.iter().find(|r| r["id"] == "L-1").unwrap();
    assert_eq!((l1["kind"].as_str(), l1["segment_name"].as_str()), ("lead", ""));
    assert!(
        l1["reasons"].contains("job title CEO (×1.9)")
            && l1["reasons"].contains("engagement 152 points (medium)"),
        "{}",
        l1["reasons"]
    );
}

/// Reasons say why someone resembles the ideal customers: traits that lower the fit (a Student
/// title, ×0.5 or so here) or leave it as it is (×1.0) are never listed, only what raises it.
#[test]
fn reasons_list_only_what_raises_the_fit() {
    let s = setup();
    let mut acts = activity_rows();
    // Student leads: one with a download, one who only opened an email.
    acts.push((
        "L-5",
        "lead5@example.com",
        "download",
        "2024-06-10 10:00",
        "/guide",
        "Student",
    ));
    acts.push((
        "L-8",
        "lead8@example.com",
        "email_open",
        "2024-06-10 10:00",
        "",
        "Student",
    ));
    let inputs = SegmentInputs {
        sales_files: s.inputs.sales_files.clone(),
        customers_files: s.inputs.customers_files.clone(),
        activity_files: vec![write_activity(s._dir.path(), &acts)],
        refusal_files: vec![],
        previous: Previous::None,
    };
    run(&inputs, &params(2).check().unwrap(), &s.out).unwrap();
    let rows = read_csv(&s.out.join("ideal_customers.csv"));
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap();
    // 30 × 0.5 = 15 points: the engagement raises the fit, the title lowers it.
    assert_eq!(row("L-5")["reasons"], "engagement 15 points (weak)");
    assert!(
        row("L-5")["fit"].parse::<f64>().unwrap() < 50.0,
        "the title still counts"
    );
    // 3 points: ×1.015 on the odds, which would show as ×1.0: no reason.
    assert_eq!(row("L-8")["reasons"], "");
    // Students among the customers: their title is no reason either.
    assert!(
        !row("s5")["reasons"].contains("Student"),
        "{}",
        row("s5")["reasons"]
    );
    for r in &rows {
        for phrase in r["reasons"].split("; ").filter(|p| !p.is_empty()) {
            if let Some(f) = phrase.split("(×").nth(1) {
                let factor: f64 = f.trim_end_matches(')').parse().unwrap();
                assert!(factor > 1.0, "{}: {phrase}", r["id"]);
            } else {
                assert!(phrase.starts_with("engagement "), "{}: {phrase}", r["id"]);
            }
        }
    }
}

#[test]
fn outputs_are_deterministic_and_complete() {
    let s = setup();
    let p = params(2).check().unwrap();
    let a = run(&s.inputs, &p, &s.out.join("a")).unwrap();
    let b = run(&s.inputs, &p, &s.out.join("b")).unwrap();
    assert_eq!(a.files, b.files);
    let expected = [
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
    ];
    assert_eq!(a.files, expected);
    for f in &a.files {
        assert_eq!(
            std::fs::read(s.out.join("a").join(f)).unwrap(),
            std::fs::read(s.out.join("b").join(f)).unwrap(),
            "{f}"
        );
    }
    for f in ["ideal_customers.csv", "lead_scores.csv"] {
        assert!(
            std::fs::read(s.out.join("a").join(f))
                .unwrap()
                .starts_with("\u{feff}".as_bytes()),
            "{f} BOM"
        );
    }
    assert_eq!(a.manifest["privacy"]["customer_ids_pseudonymized"], false);
}

#[test]
fn pseudonyms_replace_ids_in_the_bi_output_only() {
    use arrow::array::{Array, AsArray};
    let s = setup();
    let mut p = params(2);
    p.pseudonym_key = Some(PseudonymKey(b"k1".to_vec()));
    let run = run(&s.inputs, &p.check().unwrap(), &s.out).unwrap();
    let file = std::fs::File::open(s.out.join("customers.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let pz = crate::privacy::Pseudonymizer::new(b"k1").unwrap();
    let mut ids = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let col = batch
            .column_by_name("customer_id")
            .unwrap()
            .as_string::<i32>()
            .clone();
        let fit = batch.column_by_name("ideal_fit").unwrap();
        assert_eq!(fit.data_type(), &DataType::Float64);
        assert_eq!(fit.null_count(), 0);
        ids.extend((0..col.len()).map(|i| col.value(i).to_string()));
    }
    assert!(ids.contains(&pz.pseudonym("b1")) && !ids.iter().any(|i| i == "b1"));
    assert!(
        by_id(read_csv(&s.out.join("customers.csv"))).contains_key("b1"),
        "CSV keeps real ids"
    );
    assert!(
        read_csv(&s.out.join("ideal_customers.csv"))
            .iter()
            .any(|r| r["id"] == "b1")
    );
    assert_eq!(run.manifest["privacy"]["customer_ids_pseudonymized"], true);
    assert!(!serde_json::to_string(&run.manifest).unwrap().contains("k1\""));
}

/// customers.csv lists real ids in id order; were customers.parquet in that order too, its row i
/// would pair a pseudonym with the real id on row i of the CSV. Pseudonymised, it is in
/// pseudonym order, the same from run to run.
#[test]
fn pseudonymised_rows_are_in_pseudonym_order_not_id_order() {
    use arrow::array::AsArray;
    let s = setup();
    let mut p = params(2);
    p.pseudonym_key = Some(PseudonymKey(b"k1".to_vec()));
    let p = p.check().unwrap();
    run(&s.inputs, &p, &s.out.join("a")).unwrap();
    run(&s.inputs, &p, &s.out.join("b")).unwrap();
    let file = |d: &str| std::fs::read(s.out.join(d).join("customers.parquet")).unwrap();
    assert_eq!(file("a"), file("b"), "stable from run to run");
    let batch = super::tests::read_parquet(&s.out.join("a").join("customers.parquet"));
    let pseudonyms: Vec<&str> = batch.column(0).as_string::<i32>().iter().flatten().collect();
    let real: Vec<String> = read_csv(&s.out.join("a").join("customers.csv"))
        .into_iter()
        .map(|r| r["customer_id"].clone())
        .collect();
    assert_eq!(pseudonyms.len(), real.len());
    assert!(pseudonyms.is_sorted(), "{pseudonyms:?}");
    let pz = crate::privacy::Pseudonymizer::new(b"k1").unwrap();
    let in_csv_order: Vec<String> = real.iter().map(|id| pz.pseudonym(id)).collect();
    assert_ne!(pseudonyms, in_csv_order, "rows would line up with customers.csv");
    // The same customers, each row with its own figures: the stage of a pseudonym's row is its
    // customer's.
    let stages = batch
        .column_by_name("lifecycle_stage")
        .unwrap()
        .as_string::<i32>();
    let csv = by_id(read_csv(&s.out.join("a").join("customers.csv")));
    for id in &real {
        let row = pseudonyms.iter().position(|q| *q == pz.pseudonym(id)).unwrap();
        assert_eq!(stages.value(row), csv[id]["lifecycle_stage"], "{id}");
    }
}

#[test]
fn ideal_params_are_checked_and_rfm_rule_works() {
    let mut p = params(2);
    p.ideal_min_share = 0.0;
    assert!(p.clone().check().is_err());
    p.ideal_min_share = 0.2;
    p.ideal_rule = IdealRule::RfmGroups(vec!["Nope".into()]);
    assert!(p.clone().check().is_err());
    p.lead_scoring.medium_from = 500.0;
    p.ideal_rule = IdealRule::TopSegments;
    assert!(p.clone().check().is_err());
    p.lead_scoring = crate::leads::LeadScoring::default();
    p.pseudonym_key = Some(PseudonymKey(vec![]));
    assert!(p.clone().check().is_err());
    assert_eq!(
        format!("{:?}", PseudonymKey(b"secret".to_vec())),
        "PseudonymKey(..)"
    );

    // RFM rule: as of Jun 30, b1–b4 have F = 5 (3 orders) and R = 3 (6.5 days: 4 customers
    // of 17 are more recent… see quintiles) — whatever their cells, the rule takes exactly
    // the customers in the named groups.
    let s = setup();
    let mut p = params(2);
    p.ideal_rule = IdealRule::RfmGroups(vec!["Loyal".into(), "Champions".into(), "Need Attention".into()]);
    run(&s.inputs, &p.check().unwrap(), &s.out).unwrap();
    let icp = read_json(&s.out.join("ideal_customer_profile.json"));
    let customers = by_id(read_csv(&s.out.join("customers.csv")));
    let in_groups = customers
        .values()
        .filter(|r| ["Loyal", "Champions", "Need Attention"].contains(&r["rfm_group"].as_str()))
        .count();
    assert_eq!(icp["ideal"]["customers"].as_u64(), Some(in_groups as u64));
    assert_eq!(icp["ideal_rule"]["rule"]["kind"], "rfm_groups");
}

#[test]
fn auc_and_precision_on_known_rankings() {
    use super::evaluate::{auc, precision_at};
    let pos = [false, false, true, true];
    assert_eq!(auc(&[1.0, 2.0, 3.0, 4.0], &pos), 1.0);
    assert_eq!(auc(&[4.0, 3.0, 2.0, 1.0], &pos), 0.0);
    assert_eq!(auc(&[1.0, 1.0, 1.0, 1.0], &pos), 0.5);
    assert_eq!(auc(&[1.0, 3.0, 2.0, 4.0], &pos), 0.75);
    assert_eq!(precision_at(&[1.0, 2.0, 3.0, 4.0], &pos, 0.5), 1.0);
    assert_eq!(precision_at(&[4.0, 3.0, 2.0, 1.0], &pos, 0.5), 0.0);
}

/// 10 "ideal" customers (Mondays, DE, 3 × 500) keep buying after the cut-off; 40 others (one
/// small order, IR) do not: the top 20 % of the horizon's revenue is exactly the ideal ten, so a
/// meaningful fit ranks them first (AUC 1, precision at 10 % = 1).
#[test]
fn evaluation_finds_the_known_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vec::new();
    for i in 0..10 {
        let c = format!("g{i:02}");
        for d in ["03", "10", "17"] {
            v.push(
                l(
                    &format!("{c}-{d}"),
                    &c,
                    &format!("2024-06-{d} 09:00"),
                    "p1",
                    1.0,
                    500.0,
                )
                .at("DE", "Berlin"),
            );
        }
        v.push(
            l(
                &format!("{c}-future"),
                &c,
                "2024-07-15 09:00",
                "p1",
                1.0,
                100.0 + i as f64,
            )
            .at("DE", "Berlin"),
        );
    }
    for i in 0..40 {
        let c = format!("o{i:02}");
        v.push(l(
            &format!("{c}-1"),
            &c,
            &format!("2024-06-{:02} 19:00", 1 + i % 28),
            "p2",
            1.0,
            20.0 + i as f64,
        ));
    }
    let sales = write_sales(dir.path(), "s.parquet", "s1", &v);
    let mut p = params(2);
    p.k = None;
    let r = evaluate_lookalike(&[sales], date("2024-06-30"), 30, &p).unwrap();
    assert_eq!((r.customers, r.positives), (50, 10));
    assert_eq!(r.base_rate, 0.2);
    assert_eq!((r.auc_fit, r.precision_at_10_fit), (1.0, 1.0), "{r:?}");
    assert_eq!(r.auc_rfm, 1.0, "{r:?}");
}

/// Figures for docs/lookalike-evaluation.md: set SEGFLOW_EVAL_SALES to a folder of curated sales
/// Parquet, SEGFLOW_EVAL_CUTOFF (YYYY-MM-DD) and optionally SEGFLOW_EVAL_HORIZON (days, 90).
#[test]
#[ignore]
fn evaluation_on_generated_data() {
    fn parquet_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                parquet_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    let dir = std::env::var("SEGFLOW_EVAL_SALES").expect("SEGFLOW_EVAL_SALES");
    let cutoff = date(&std::env::var("SEGFLOW_EVAL_CUTOFF").expect("SEGFLOW_EVAL_CUTOFF"));
    let horizon: u32 = std::env::var("SEGFLOW_EVAL_HORIZON").map_or(90, |v| v.parse().unwrap());
    let mut files = Vec::new();
    parquet_files(Path::new(&dir), &mut files);
    files.sort();
    let mut p = SegmentParams::new(cutoff);
    p.min_group_size = 10;
    let r = evaluate_lookalike(&files, cutoff, horizon, &p).unwrap();
    println!("{}", serde_json::to_string_pretty(&r).unwrap());
}

/// Someone of whom nothing is known scores the prior, the ideal group's share of purchasers
/// (4 of 17), not an even 50 that put empty records above real customers; and the profile says
/// so.
#[test]
fn nothing_known_scores_the_share_of_ideal_customers() {
    let dir = tempfile::tempdir().unwrap();
    let mut people = customers_rows();
    people.push(("z1", "z1@x.com", "", Some(true)));
    let inputs = inputs_of(dir.path(), &lines(), &people);
    let out = dir.path().join("out");
    run(&inputs, &params(2).check().unwrap(), &out).unwrap();
    let rows = read_csv(&out.join("ideal_customers.csv"));
    let fit = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap()["fit"].clone();
    assert_eq!(fit("z1"), "23.5");
    let icp = read_json(&out.join("ideal_customer_profile.json"));
    assert_eq!(icp["fit"]["nothing_known"], 23.5);
    assert_eq!(icp["fit"]["published"], true);
    for b in ["b1", "b2", "b3", "b4"] {
        assert!(fit(b).parse::<f64>().unwrap() > 23.5, "{b} {}", fit(b));
    }
    // Fits spread out instead of piling up at the ends.
    assert!(
        rows.iter().all(|r| r["fit"] != "100.0" && r["fit"] != "0.0"),
        "{rows:?}"
    );
}

/// When the ideal group is withheld, so is everything built from its traits: no fit, no reasons,
/// no ranked list.
#[test]
fn a_withheld_ideal_group_publishes_no_fit() {
    let s = setup();
    // 17 purchasers: the group, at most half of them, is under the minimum of 9.
    run(&s.inputs, &params(9).check().unwrap(), &s.out).unwrap();
    let icp = read_json(&s.out.join("ideal_customer_profile.json"));
    assert_eq!(icp["ideal"]["suppressed"], true);
    assert_eq!(icp["fit"]["published"], false);
    assert!(read_csv(&s.out.join("ideal_customers.csv")).is_empty());
    let customers = read_csv(&s.out.join("customers.csv"));
    assert!(customers.iter().all(|r| r["ideal_fit"].is_empty()));
    let leads = read_csv(&s.out.join("lead_scores.csv"));
    assert!(!leads.is_empty());
    assert!(leads.iter().all(|r| r["fit"].is_empty() && r["grade"].is_empty()));
    let md = std::fs::read_to_string(s.out.join("ideal_customer_profile.md")).unwrap();
    assert!(md.contains("`ideal_customers.csv` is empty"), "{md}");
}

/// Two orders in two weekday × hour cells name no pattern: one Monday 09:15 and one Friday 15:40
/// order each made everyone look like a "Mondays 08–12" buyer when ties went to the first cell.
#[test]
fn tied_weekdays_and_hours_name_no_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for i in 0..12 {
        let c = format!("t{i:02}");
        lines.push(l(&format!("{c}-a"), &c, "2024-06-03 09:15", "p1", 1.0, 50.0));
        lines.push(l(&format!("{c}-b"), &c, "2024-06-07 15:40", "p1", 1.0, 50.0));
    }
    for i in 0..12 {
        let c = format!("u{i:02}");
        lines.push(l(&format!("{c}-a"), &c, "2024-06-05 18:30", "p1", 1.0, 20.0));
    }
    let inputs = inputs_of(dir.path(), &lines, &[]);
    let out = dir.path().join("out");
    run(&inputs, &params(2).check().unwrap(), &out).unwrap();
    let customers = by_id(read_csv(&out.join("customers.csv")));
    assert_eq!(
        (
            customers["t00"]["preferred_weekday"].as_str(),
            customers["t00"]["preferred_hour_band"].as_str()
        ),
        ("", "")
    );
    assert_eq!(
        (
            customers["u00"]["preferred_weekday"].as_str(),
            customers["u00"]["preferred_hour_band"].as_str()
        ),
        ("Wednesday", "17-21")
    );
    let icp = read_json(&out.join("ideal_customer_profile.json"));
    for group in [&icp["ideal"], &icp["negative"]["profile"]] {
        assert!(
            trait_row(group, "purchase_pattern", "Mondays 08–12").is_none(),
            "{group:#}"
        );
    }
    let md = std::fs::read_to_string(out.join("ideal_customer_profile.md")).unwrap();
    assert!(!md.contains("Mondays"), "{md}");
}

/// The multi-item share of a group is a share of its orders, as its return rate is of its value:
/// one multi-item order among sixteen is 0.0625, not the 1/6 an average of customers' shares gave.
#[test]
fn multi_item_share_is_over_orders() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![
        l("m-1", "m1", "2024-06-03 10:00", "p1", 1.0, 50.0),
        l("m-1", "m1", "2024-06-03 10:00", "p2", 1.0, 50.0),
    ];
    for i in 0..5 {
        for d in ["2024-06-04", "2024-06-11", "2024-06-18"] {
            let c = format!("s{i}");
            lines.push(l(&format!("{c}-{d}"), &c, d, "p1", 1.0, 10.0));
        }
    }
    let inputs = inputs_of(dir.path(), &lines, &[]);
    let out = dir.path().join("out");
    let mut p = params(1);
    p.k = Some(2);
    run(&inputs, &p.check().unwrap(), &out).unwrap();
    let icp = read_json(&out.join("ideal_customer_profile.json"));
    assert_eq!(
        icp["ideal"]["figures"]["multi_item_share"]["base"], 0.062,
        "{icp:#}"
    );
}

#[test]
fn money_is_grouped_and_whole_in_toman() {
    assert_eq!(super::icp::money_text(6_795_000.0, Some("IRT")), "6,795,000");
    assert_eq!(super::icp::money_text(323_466_000.4, Some("IRT")), "323,466,000");
    assert_eq!(super::icp::money_text(1500.0, Some("EUR")), "1,500.00");
    assert_eq!(super::icp::money_text(-1234.5, None), "-1,234.50");
    assert_eq!(super::icp::money_text(999.99, None), "999.99");
    assert_eq!(super::icp::money_text(100.0, None), "100.00");
}

/// Customers whose value is unknown are left over too: a group of 6, 4 of them in Germany at a
/// share of 1.0, says that its 2 others have no country; with 2 such purchasers in all, both are
/// in the group. Under a minimum of 3, no country is listed.
#[test]
fn unknown_values_count_as_left_over() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for i in 0..30 {
        let c = format!("c{i:02}");
        // c00–c05 bought last (the top recency quintile); c00 and c01 have no country.
        let day = if i < 6 { "2024-06-28" } else { "2024-05-01" };
        let country = if i < 2 { "" } else { "DE" };
        lines.push(l(&format!("{c}-a"), &c, day, "p1", 1.0, 10.0 + i as f64).at(country, ""));
    }
    let inputs = inputs_of(dir.path(), &lines, &[]);
    let out = dir.path().join("out");
    let mut p = params(3);
    p.k = Some(2);
    p.rfm_rules = vec![
        RfmRule {
            name: "Top".into(),
            r: (5, 5),
            f: (1, 5),
        },
        RfmRule {
            name: "Rest".into(),
            r: (1, 5),
            f: (1, 5),
        },
    ];
    p.ideal_rule = IdealRule::RfmGroups(vec!["Top".into()]);
    run(&inputs, &p.check().unwrap(), &out).unwrap();
    let icp = read_json(&out.join("ideal_customer_profile.json"));
    let ideal = &icp["ideal"];
    assert_eq!(
        (ideal["customers"].as_u64(), icp["purchasers"].as_u64()),
        (Some(6), Some(30))
    );
    assert!(trait_row(ideal, "country", "Germany").is_none(), "{ideal:#}");
}

/// An ideal group of every purchaser (all RFM groups named) sets no one apart: no fit, and the
/// profile says why.
#[test]
fn an_ideal_group_of_everyone_publishes_no_fit() {
    let s = setup();
    let mut p = params(2);
    super::tests::everyone_ideal(&mut p);
    run(&s.inputs, &p.check().unwrap(), &s.out).unwrap();
    let icp = read_json(&s.out.join("ideal_customer_profile.json"));
    assert_eq!(icp["ideal"]["customers"], icp["purchasers"]);
    assert_eq!(icp["fit"]["published"], false);
    assert!(read_csv(&s.out.join("ideal_customers.csv")).is_empty());
    let md = std::fs::read_to_string(s.out.join("ideal_customer_profile.md")).unwrap();
    assert!(
        md.contains("every customer with purchases is one of your best customers"),
        "{md}"
    );
}

/// Customers who send back most of what they buy rank below customers like them who keep it:
/// n1–n3 returned their one order, k1–k3 bought the same and kept it.
#[test]
fn heavy_returners_rank_below_customers_who_keep_what_they_buy() {
    let dir = tempfile::tempdir().unwrap();
    let mut sales = lines();
    let mut people = customers_rows();
    for (c, p) in [("k1", "k1-o"), ("k2", "k2-o"), ("k3", "k3-o")] {
        sales.push(l(p, c, "2024-06-21 19:00", "p3", 1.0, 50.0));
        people.push((c, "", "Student", Some(true)));
    }
    let inputs = inputs_of(dir.path(), &sales, &people);
    let out = dir.path().join("out");
    run(&inputs, &params(2).check().unwrap(), &out).unwrap();
    let rows = read_csv(&out.join("ideal_customers.csv"));
    let fit = |id: &str| -> f64 {
        rows.iter().find(|r| r["id"] == id).unwrap()["fit"]
            .parse()
            .unwrap()
    };
    for (n, k) in [("n1", "k1"), ("n2", "k2"), ("n3", "k3")] {
        assert!(fit(n) < fit(k), "{n} {} vs {k} {}", fit(n), fit(k));
    }
    let icp = read_json(&out.join("ideal_customer_profile.json"));
    let neg = &icp["negative"]["profile"];
    assert!(
        trait_row(neg, "returns", "returns 30% or more of purchases").is_some(),
        "{neg:#}"
    );
}

/// A shop whose sales system writes `DE` and whose CRM writes `Deutschland` (or `Allemagne`, or
/// `آلمان`) has one country, not four: the ideal group (the 6 who bought last, under a minimum of
/// 3) is all German, a share of 1.0 with a lift of 2.5 (12 of the 30 purchasers are), which the
/// pieces, one or two customers each, would neither show nor reach the minimum with. c04 and c05
/// give no country with their orders, only in the customers dataset. The other 18 are Iranian,
/// written six ways.
#[test]
fn one_country_written_several_ways_is_one_trait_value() {
    let dir = tempfile::tempdir().unwrap();
    let german = ["Germany", "Deutschland", "DE", "germany", "", ""];
    let also_german = ["Germany", "Deutschland", "DE", "DEU", "Allemagne", "آلمان"];
    let iranian = [
        "Iran",
        "ایران",
        "IR",
        "Iran, Islamic Republic of",
        "I.R. Iran",
        "ايران",
    ];
    let mut lines = Vec::new();
    for i in 0..30 {
        let c = format!("c{i:02}");
        let (day, country) = match i {
            0..6 => ("2024-06-28", german[i]),
            6..12 => ("2024-05-01", also_german[i - 6]),
            _ => ("2024-05-01", iranian[i % 6]),
        };
        lines.push(l(&format!("{c}-a"), &c, day, "p1", 1.0, 10.0 + i as f64).at(country, ""));
    }
    let mut inputs = inputs_of(dir.path(), &lines, &[]);
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Utf8, false),
        Field::new("country", DataType::Utf8, true),
    ]));
    inputs.customers_files = vec![write_parquet(
        &dir.path().join("customers/crm.parquet"),
        schema,
        vec![
            Arc::new(StringArray::from(vec!["c04", "c05", "c12"])),
            Arc::new(StringArray::from(vec!["Allemagne", "DEU", "Deutschland"])),
        ],
    )];
    let out = dir.path().join("out");
    let mut p = params(3);
    p.k = Some(2);
    p.rfm_rules = vec![
        RfmRule {
            name: "Top".into(),
            r: (5, 5),
            f: (1, 5),
        },
        RfmRule {
            name: "Rest".into(),
            r: (1, 5),
            f: (1, 5),
        },
    ];
    p.ideal_rule = IdealRule::RfmGroups(vec!["Top".into()]);
    run(&inputs, &p.check().unwrap(), &out).unwrap();

    let icp = read_json(&out.join("ideal_customer_profile.json"));
    let ideal = &icp["ideal"];
    assert_eq!(ideal["customers"].as_u64(), Some(6), "{ideal:#}");
    let row = trait_row(ideal, "country", "Germany").unwrap_or_else(|| panic!("{ideal:#}"));
    assert_eq!(
        (
            row["group_customers"].as_u64(),
            row["group_share"].as_f64(),
            row["base_customers"].as_u64(),
            row["lift"].as_f64()
        ),
        (Some(6), Some(1.0), Some(12), Some(2.5)),
        "{row:#}"
    );
    let countries: Vec<&str> = ideal["traits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["trait"] == "country")
        .filter_map(|t| t["value"].as_str())
        .collect();
    assert_eq!(countries, ["Germany"], "{ideal:#}");
    assert_eq!(
        ideal["suppressed_trait_values_by_trait"].get("country"),
        None,
        "{ideal:#}"
    );

    // Every output names the country one way: a sales row's spelling and the customers
    // dataset's meet, and the base's most common country is Iran, 18 of 30.
    let customers = read_csv(&out.join("customers.csv"));
    let main = |id: &str| customers.iter().find(|r| r["customer_id"] == id).unwrap()["main_country"].clone();
    for (id, want) in [
        ("c00", "Germany"),
        ("c01", "Germany"),
        ("c02", "Germany"),
        ("c04", "Germany"),
        ("c05", "Germany"),
        ("c11", "Germany"),
        ("c12", "Iran"),
        ("c13", "Iran"),
        ("c17", "Iran"),
    ] {
        assert_eq!(main(id), want, "{id}");
    }
    let segments = read_json(&out.join("segments.json"));
    assert_eq!(segments["base"]["profile"]["top_country"], "Iran", "{segments:#}");
}

/// A country the table does not know keeps its spelling: never dropped, never guessed.
#[test]
fn an_unknown_country_keeps_its_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<Line> = (0..6)
        .map(|i| {
            let c = format!("c{i}");
            l(&format!("{c}-a"), &c, "2024-06-28", "p1", 1.0, 10.0).at("Atlantis", "")
        })
        .collect();
    let inputs = inputs_of(dir.path(), &lines, &[]);
    let out = dir.path().join("out");
    run(&inputs, &params(2).check().unwrap(), &out).unwrap();
    let customers = read_csv(&out.join("customers.csv"));
    assert!(
        customers.iter().all(|r| r["main_country"] == "Atlantis"),
        "{customers:?}"
    );
}

/// The best segment holds 30 of the 40 purchasers (k = 2): taking it whole made the "ideal"
/// group three quarters of the base, someone of whom nothing is known fitted at 75 and every
/// prospect was listed as a look-alike. The ideal customers are now that segment's best by RFM
/// score, up to the minimum share (20 %: 8 of 40): not v21, its second biggest spender, who has
/// not bought for two months.
#[test]
fn a_best_segment_of_most_purchasers_gives_its_best_customers_by_rfm() {
    let as_of = date("2024-06-30");
    let mut v = Vec::new();
    // v00–v29: 4 recent orders each of 100 + 10·c, net 400 to 1560; but v21 two of 640 two
    // months ago, net 1280.
    for c in 0..30 {
        let id = format!("v{c:02}");
        let (orders, amount, first) = if c == 21 {
            (2, 640.0, 60)
        } else {
            (4, 100.0 + 10.0 * c as f64, 2)
        };
        for o in 0..orders {
            let day = super::tests::days_ago(as_of, first + 7 * o + (c % 3) as i64);
            v.push(l(&format!("{id}-{o}"), &id, &day, "p1", 1.0, amount));
        }
    }
    // o00–o09: one small order long ago.
    for c in 0..10 {
        let id = format!("o{c:02}");
        let day = super::tests::days_ago(as_of, 200 + c as i64);
        v.push(l(&format!("{id}-o"), &id, &day, "p2", 1.0, 15.0));
    }
    let dir = tempfile::tempdir().unwrap();
    // A prospect the exports say nothing else about.
    let people: Vec<Cust> = vec![("p1", "p1@x.com", "", Some(true))];
    let out = dir.path().join("out");
    let run = run(
        &inputs_of(dir.path(), &v, &people),
        &checked("2024-06-30", Some(2)),
        &out,
    )
    .unwrap();
    let icp = read_json(&out.join("ideal_customer_profile.json"));
    assert_eq!(icp["purchasers"], 40);
    let ranking = icp["ideal_rule"]["rule"]["ranking"].as_array().unwrap();
    assert_eq!(ranking[0]["customers"], 30, "{:#}", icp["ideal_rule"]);
    // At most half of the purchasers: 8 of the best segment, by R + F + M, then net revenue,
    // then id, as customers.csv scores them.
    assert_eq!(icp["ideal"]["customers"], 8, "{:#}", icp["ideal_rule"]);
    assert_eq!(run.manifest["counts"]["ideal_customers"], 8);
    let customers = read_csv(&out.join("customers.csv"));
    let segment = ranking[0]["segment_id"].to_string();
    let num = |r: &std::collections::HashMap<String, String>, k: &str| r[k].parse::<f64>().unwrap();
    let mut best: Vec<&std::collections::HashMap<String, String>> =
        customers.iter().filter(|r| r["segment_id"] == segment).collect();
    best.sort_by(|a, b| {
        let rfm = |r: &std::collections::HashMap<String, String>| {
            num(r, "rfm_r") + num(r, "rfm_f") + num(r, "rfm_m")
        };
        rfm(b)
            .total_cmp(&rfm(a))
            .then(num(b, "monetary").total_cmp(&num(a, "monetary")))
            .then(a["customer_id"].cmp(&b["customer_id"]))
    });
    best.truncate(8);
    assert!(best.iter().all(|r| r["customer_id"] != "v21"), "{best:?}");
    let mut net: Vec<f64> = best.iter().map(|r| num(r, "monetary")).collect();
    net.sort_by(f64::total_cmp);
    let f = &icp["ideal"]["figures"];
    assert_eq!(
        f["median_net_revenue"]["group"],
        round2((net[3] + net[4]) / 2.0),
        "{f:#}"
    );
    // By spend alone v21 (1280, tied with v22) would have been in.
    let mut by_spend: Vec<&std::collections::HashMap<String, String>> =
        customers.iter().filter(|r| r["segment_id"] == segment).collect();
    by_spend.sort_by(|a, b| num(b, "monetary").total_cmp(&num(a, "monetary")));
    assert!(
        by_spend[..8].iter().any(|r| r["customer_id"] == "v21"),
        "{by_spend:?}"
    );
    let rule = &icp["ideal_rule"]["rule"];
    assert_eq!(rule["kind"], "top_of_segment", "{rule:#}");
    assert_eq!(rule["segment_id"], ranking[0]["segment_id"]);
    assert_eq!(rule["min_share"], 0.2);
    assert_eq!(rule["customers"], 8);
    let description = icp["ideal_rule"]["description"].as_str().unwrap();
    let name = ranking[0]["segment_name"].as_str().unwrap();
    assert!(
        description.contains(name) && description.contains("more than half"),
        "{description}"
    );
    let md = std::fs::read_to_string(out.join("ideal_customer_profile.md")).unwrap();
    assert!(md.contains(description), "{md}");
    // Someone of whom nothing is known scores the group's share, 20 (75 before), half what the
    // best customers' look-alikes score.
    assert_eq!(icp["fit"]["nothing_known"], 20.0, "{:#}", icp["fit"]);
    let listed = read_csv(&out.join("ideal_customers.csv"));
    let fit = |id: &str| -> f64 {
        listed.iter().find(|r| r["id"] == id).unwrap()["fit"]
            .parse()
            .unwrap()
    };
    assert_eq!(fit("p1"), 20.0);
    assert!(fit(&listed[0]["id"]) >= 40.0, "{listed:?}");
    // The ideal customers score above someone of whom nothing is known, the lapsed small
    // buyers far below.
    assert!(
        best.iter().all(|r| fit(&r["customer_id"]) > 20.0) && fit("o00") < 10.0,
        "{listed:?}"
    );
}

/// An address more than two customers (or leads) carry is an office's or a placeholder (the
/// shop's own `info@`), not a person's: no list carries it. Within one list an address is on
/// one row, the best-ranked; a win-back row left without any address is dropped (the others stay,
/// keyed by id). Emails that cannot be delivered to (`test@test`) or say there is none
/// (`unknown@unknown.com`) are left out too.
#[test]
fn lists_carry_each_address_once_and_no_shared_or_invalid_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut sales = lines();
    for c in ["w3", "w4", "w5", "w6", "w7"] {
        sales.push(l(&format!("{c}-o"), c, "2023-09-05 12:00", "p4", 1.0, 25.0));
    }
    let mut custs = customers_rows();
    let mut set = |id: &'static str, email: &'static str| match custs.iter_mut().find(|r| r.0 == id) {
        Some(r) => r.1 = email,
        None => custs.push((id, email, "Owner", Some(true))),
    };
    // The shop's own address on four records; a household's on two; one invalid, one placeholder.
    for id in ["b1", "b2", "s1", "w3"] {
        set(id, "info@myshop.example");
    }
    set("w2", "fam@x.com");
    set("w4", "FAM@x.com");
    set("w5", "test@test");
    set("w6", "unknown@unknown.com");
    set("w7", "");
    let mut acts = activity_rows();
    let lead = |id: &'static str, email: &'static str, ts: &'static str| -> Act {
        (id, email, "page_view", ts, "/pricing", "")
    };
    acts.extend([
        lead("L-5", "office@corp.example", "2024-06-10 09:00"),
        lead("L-6", "office@corp.example", "2024-06-11 09:00"),
        lead("L-8", "office@corp.example", "2024-06-12 09:00"),
        lead("L-9", "pair@corp.example", "2024-06-13 09:00"),
        lead("L-10", "pair@corp.example", "2024-06-14 09:00"),
    ]);
    let mut phones = vec![""; acts.len() - 5];
    phones.extend(["+989351112233", "+989351112233", "+989351112233", "", ""]);
    let inputs = SegmentInputs {
        sales_files: vec![write_sales(
            dir.path(),
            "sales/order_month=2024-06/s1.parquet",
            "s1",
            &sales,
        )],
        customers_files: vec![write_customers_with_email(dir.path(), &custs)],
        activity_files: vec![write_activity_with_phones(dir.path(), &acts, Some(&phones))],
        refusal_files: vec![],
        previous: Previous::None,
    };
    let out = dir.path().join("out");
    let run = run(&inputs, &params(2).check().unwrap(), &out).unwrap();

    // Win-back: w1 unsubscribed; w2 keeps the household's address, w4 (its second holder, no
    // phone) is dropped, and so are w3, w5 and w6, whose only address is left out; w7 never had
    // one and is listed by id as before.
    let winback = read_csv(&out.join("winback.csv"));
    let listed: Vec<(&str, &str)> = winback
        .iter()
        .map(|r| (r["customer_id"].as_str(), r["email"].as_str()))
        .collect();
    assert_eq!(listed, [("w2", "fam@x.com"), ("w7", "")]);
    let counts = &run.manifest["counts"];
    assert_eq!(counts["winback"], 2);
    assert_eq!(counts["winback_dropped_no_address"], 4, "{counts:#}");

    // The ranked lists keep their rows, without the addresses.
    let ideal = read_csv(&out.join("ideal_customers.csv"));
    let email_of = |id: &str| {
        ideal
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} listed"))["email"]
            .clone()
    };
    for id in ["b1", "b2", "s1", "w3", "w5", "w6"] {
        assert_eq!(email_of(id), "", "{id}");
    }
    assert_eq!(email_of("b3"), "b3@x.com");
    let fam: Vec<&str> = ideal
        .iter()
        .filter(|r| r["email"].eq_ignore_ascii_case("fam@x.com"))
        .map(|r| r["id"].as_str())
        .collect();
    assert_eq!(fam.len(), 1, "one row carries the household's address: {fam:?}");
    let leads = read_csv(&out.join("lead_scores.csv"));
    for list in [&ideal, &leads] {
        let mut seen = std::collections::BTreeSet::new();
        for r in list.iter() {
            for a in [&r["email"], &r["phone"]] {
                assert!(a.is_empty() || seen.insert(a.to_lowercase()), "{a} twice");
            }
            assert!(
                ![
                    "info@myshop.example",
                    "test@test",
                    "unknown@unknown.com",
                    "office@corp.example"
                ]
                .contains(&r["email"].as_str()),
                "{r:?}"
            );
            assert_ne!(r["phone"], "+989351112233", "{r:?}");
        }
    }
    let lead_email = |id: &str| {
        leads
            .iter()
            .find(|r| r["contact_id"] == id)
            .unwrap_or_else(|| panic!("{id} listed"))["email"]
            .clone()
    };
    for id in ["L-5", "L-6", "L-8"] {
        assert_eq!(lead_email(id), "", "{id}");
    }
    // L-10's view is the later one, so it scores a little higher and keeps the pair's address.
    assert_eq!(
        (lead_email("L-10").as_str(), lead_email("L-9").as_str()),
        ("pair@corp.example", "")
    );
}

/// A refusal by one holder of a shared address still keeps every holder out, although the
/// lists no longer carry the address.
#[test]
fn a_refusal_by_one_holder_of_a_shared_address_keeps_all_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut sales = lines();
    sales.push(l("w3-o", "w3", "2023-09-05 12:00", "p4", 1.0, 25.0));
    let mut custs = customers_rows();
    for r in custs.iter_mut() {
        if ["w2", "s8", "b4"].contains(&r.0) {
            r.1 = "info@myshop.example";
        }
    }
    custs.push(("w3", "info@myshop.example", "Owner", Some(true)));
    let inputs = SegmentInputs {
        sales_files: vec![write_sales(
            dir.path(),
            "sales/order_month=2024-06/s1.parquet",
            "s1",
            &sales,
        )],
        customers_files: vec![write_customers_with_email(dir.path(), &custs)],
        activity_files: vec![write_activity(dir.path(), &activity_rows())],
        refusal_files: vec![],
        previous: Previous::None,
    };
    let out = dir.path().join("out");
    run(&inputs, &params(2).check().unwrap(), &out).unwrap();
    // s8 refused: w2, w3 and b4, who share its address, are on no list.
    for (file, col) in [("winback.csv", "customer_id"), ("ideal_customers.csv", "id")] {
        let rows = read_csv(&out.join(file));
        for id in ["s8", "w2", "w3", "b4"] {
            assert!(!rows.iter().any(|r| r[col] == id), "{id} in {file}");
        }
    }
}

#[test]
fn emails_the_lists_can_carry() {
    for e in ["ann@x.com", "Ann.Lee@X.co.uk", "a+shop@x.example"] {
        assert!(activation::listable_email(e), "{e}");
    }
    for e in [
        "test@test",
        "x@",
        "@x.com",
        "bo @x.com",
        "ann@x.com; bob@x.com",
        "a@b@c.com",
        "ann@x.",
        "ann@.com",
        "noemail",
        "noemail@shop.com",
        "Unknown@Unknown.com",
        "na@na.com",
    ] {
        assert!(!activation::listable_email(e), "{e}");
    }
}

/// 16 purchasers, everyone in the ideal group (all RFM groups named): a01–a08 one order of 100;
/// r1, r2 two orders of 100, 3 and 5 days apart; n1–n6 (the negative group: half of each order
/// sent back) one order of 400 with 200 returned, n1 and n2 a second such order 2 days later.
/// Repeat buyers: 4 overall, 2 in the negative group.
fn figures_lines() -> Vec<Line> {
    let mut v = Vec::new();
    for i in 1..=8 {
        let c = format!("a{i:02}");
        v.push(l(
            &format!("{c}-1"),
            &c,
            &format!("2024-06-0{i}"),
            "p1",
            1.0,
            100.0,
        ));
    }
    for (c, second) in [("r1", "2024-06-13"), ("r2", "2024-06-15")] {
        v.push(l(&format!("{c}-1"), c, "2024-06-10", "p1", 1.0, 100.0));
        v.push(l(&format!("{c}-2"), c, second, "p1", 1.0, 100.0));
    }
    for i in 1..=6 {
        let c = format!("n{i}");
        let orders: &[(&str, &str)] = if i <= 2 {
            &[("1", "2024-06-20"), ("2", "2024-06-22")]
        } else {
            &[("1", "2024-06-20")]
        };
        for (k, d) in orders {
            let o = format!("{c}-{k}");
            v.push(l(&o, &c, &format!("{d} 10:00"), "p1", 2.0, 400.0));
            v.push(l(&o, &c, &format!("{d} 18:00"), "p1", -1.0, -200.0));
        }
    }
    v
}

fn run_figures(m: usize) -> (tempfile::TempDir, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let inputs = inputs_of(dir.path(), &figures_lines(), &[]);
    let out = dir.path().join("out");
    let mut p = params(m);
    p.k = Some(2);
    super::tests::everyone_ideal(&mut p);
    run(&inputs, &p.check().unwrap(), &out).unwrap();
    let icp = read_json(&out.join("ideal_customer_profile.json"));
    let md = std::fs::read_to_string(out.join("ideal_customer_profile.md")).unwrap();
    (dir, icp, md)
}

/// The Markdown section of the negative group.
fn negative_md(md: &str) -> &str {
    let start = md.find("## Frequent returners").unwrap();
    let end = md[start..].find("## Notes").map_or(md.len(), |e| start + e);
    &md[start..end]
}

/// A figure only some of a group's customers have (days between orders: repeat buyers) is over
/// those customers: under the minimum group size of them, in the group or overall, it is not
/// published, however large the group. 2 repeat buyers among 6 said the median of their two gaps.
#[test]
fn a_figure_over_fewer_than_the_minimum_of_its_customers_is_withheld() {
    let (_dir, icp, md) = run_figures(3);
    let neg = &icp["negative"]["profile"];
    assert_eq!(neg["customers"], 6, "{neg:#}");
    assert_eq!(neg["suppressed"], false);
    let gap = &neg["figures"]["median_days_between_orders"];
    assert_eq!(
        (&gap["group"], &gap["base"], &gap["ratio"], &gap["highlight"]),
        (&Value::Null, &Value::Null, &Value::Null, &json!(false)),
        "2 repeat buyers in the group: {gap:#}"
    );
    let section = negative_md(&md);
    assert!(
        section.contains("| Median days between orders | – | – | – |"),
        "{section}"
    );
    assert!(
        section.contains("Median days between orders is not shown")
            && section.contains("SEGFLOW_MIN_GROUP_SIZE=3"),
        "{section}"
    );
    // 4 repeat buyers in the ideal group (everyone): 2, 2, 3, 5 days → 2.5.
    let gap = &icp["ideal"]["figures"]["median_days_between_orders"];
    assert_eq!(
        (gap["group"].as_f64(), gap["base"].as_f64()),
        (Some(2.5), Some(2.5))
    );

    // Under a minimum of 5, the 4 repeat buyers overall are too few for any group.
    let (_dir, icp, md) = run_figures(5);
    assert_eq!(icp["ideal"]["suppressed"], false, "{:#}", icp["ideal"]);
    let gap = &icp["ideal"]["figures"]["median_days_between_orders"];
    assert_eq!(
        (&gap["group"], &gap["base"]),
        (&Value::Null, &Value::Null),
        "{gap:#}"
    );
    let ideal_md = &md[md.find("## Your best customers").unwrap()..md.find("## Frequent returners").unwrap()];
    assert!(
        ideal_md.contains("| Median days between orders | – | – | – |")
            && ideal_md.contains("Median days between orders is not shown"),
        "{ideal_md}"
    );
}

/// The smallest and largest order are the order values the minimum group size of customers
/// reach from the bottom and from the top: in a group of fewer than twice that many they can
/// cross (smallest 165 > largest 60), so they are shown only from twice the minimum, and never
/// called out (extremes are no tendency of a group; its medians are).
#[test]
fn order_value_extremes_need_twice_the_minimum_and_are_never_called_out() {
    let (_dir, icp, md) = run_figures(3);
    let f = &icp["negative"]["profile"]["figures"];
    // 6 customers, twice the minimum: shown. Their smallest order (200) is twice the base's
    // (100), but it is not highlighted.
    assert_eq!(
        (
            f["min_order_value"]["group"].as_f64(),
            f["min_order_value"]["base"].as_f64()
        ),
        (Some(200.0), Some(100.0)),
        "{f:#}"
    );
    for k in ["min_order_value", "max_order_value"] {
        assert_eq!(f[k]["highlight"], false, "{k}: {f:#}");
    }
    let section = negative_md(&md);
    let stands_out = &section[..section.find("| Figure |").unwrap()];
    assert!(
        !stands_out.contains("Smallest order") && !stands_out.contains("Largest order"),
        "{section}"
    );

    let (_dir, icp, md) = run_figures(5);
    let neg = &icp["negative"]["profile"];
    assert_eq!(neg["suppressed"], false, "{neg:#}");
    for k in ["min_order_value", "max_order_value"] {
        let v = &neg["figures"][k];
        assert_eq!(
            (&v["group"], &v["base"]),
            (&Value::Null, &Value::Null),
            "{k}: {v:#}"
        );
    }
    let section = negative_md(&md);
    assert!(
        section.contains("| Smallest order (at least 5 customers go this low) | – | – | – |")
            && section.contains("not shown for a group of fewer than 10 customers"),
        "{section}"
    );
    // The ideal group (16, everyone) has them.
    let f = &icp["ideal"]["figures"];
    assert_eq!(f["min_order_value"]["group"], 100.0, "{f:#}");
    assert_eq!(f["max_order_value"]["group"], 200.0, "{f:#}");
}

/// `highlights` in the JSON are the Markdown's "What stands out" sentences, figures and traits,
/// in the same order.
#[test]
fn json_highlights_are_every_sentence_the_markdown_calls_out() {
    let (_dir, icp, md) = run_figures(3);
    let neg = &icp["negative"]["profile"];
    let json: Vec<&str> = neg["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let section = negative_md(&md);
    let start = section.find("What stands out:").expect("called out") + "What stands out:".len();
    let end = section.find("| Figure |").unwrap();
    let markdown: Vec<&str> = section[start..end]
        .lines()
        .filter_map(|s| s.strip_prefix("- "))
        .collect();
    assert_eq!(json, markdown, "{section}");
    assert!(
        json.iter()
            .any(|s| s.starts_with("Median net revenue per customer: 200 against 150 ")),
        "{json:?}"
    );
    assert!(
        json.iter().any(|s| s.contains("with returns 30% or more")),
        "{json:?}"
    );
}

/// A city from a web form that is HTML, a link or an image (`<img onerror=…>`,
/// `[click](javascript:…)`) is escaped in the Markdown profile, which wikis and dashboards
/// render, and stays as exported in the JSON, whose readers get plain text: the ideal group (the
/// 6 who bought last, under a minimum of 3) all live there, 6 of the 30 purchasers.
#[test]
fn values_from_the_uploads_open_no_html_or_link_in_the_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let city = "<img src=x onerror=alert(1)> [click](javascript:alert(1))";
    let mut lines = Vec::new();
    for i in 0..30 {
        let c = format!("c{i:02}");
        let (day, at) = if i < 6 {
            ("2024-06-28", city)
        } else {
            ("2024-05-01", "Tehran")
        };
        lines.push(l(&format!("{c}-a"), &c, day, "p1", 1.0, 10.0 + i as f64).at("", at));
    }
    let inputs = inputs_of(dir.path(), &lines, &[]);
    let out = dir.path().join("out");
    let mut p = params(3);
    p.k = Some(2);
    p.rfm_rules = vec![
        RfmRule {
            name: "Top".into(),
            r: (5, 5),
            f: (1, 5),
        },
        RfmRule {
            name: "Rest".into(),
            r: (1, 5),
            f: (1, 5),
        },
    ];
    p.ideal_rule = IdealRule::RfmGroups(vec!["Top".into()]);
    run(&inputs, &p.check().unwrap(), &out).unwrap();

    let icp = read_json(&out.join("ideal_customer_profile.json"));
    let ideal = &icp["ideal"];
    assert!(trait_row(ideal, "city", city).is_some(), "{ideal:#}");
    let said = |s: &&Value| {
        s.as_str()
            .is_some_and(|s| s.contains(" in <img src=x onerror=alert(1)> [click]"))
    };
    assert!(
        ideal["highlights"].as_array().unwrap().iter().any(|s| said(&s)),
        "the JSON keeps the value as exported: {ideal:#}"
    );
    let md = std::fs::read_to_string(out.join("ideal_customer_profile.md")).unwrap();
    assert!(
        md.contains(
            r"in \<img src=x onerror=alert(1)\> \[click\](javascript:alert(1)) as your customers overall"
        ),
        "{md}"
    );
    assert!(
        !md.contains(" <img") && !md.contains(" [click]"),
        "nowhere unescaped: {md}"
    );
}

/// A lift or ratio is highlighted as printed: 1.296 shows as 1.3 and 0.7703 as 0.77, both on
/// the rule's bounds; 1.294 shows as 1.29, inside them.
#[test]
fn highlights_follow_the_printed_rounding() {
    use super::icp::lift_highlighted;
    assert!(lift_highlighted(1.296) && lift_highlighted(0.7703) && lift_highlighted(1.3));
    assert!(!lift_highlighted(1.294) && !lift_highlighted(0.7751) && !lift_highlighted(1.0));
    assert!(lift_highlighted(0.5) && lift_highlighted(2.0));
}

/// When every segment is under the minimum group size, none is taken: the description says so
/// (it had ended in an empty list, "…: .") and the group is empty and withheld.
#[test]
fn no_segment_large_enough_makes_no_ideal_group() {
    let s = setup();
    run(&s.inputs, &params(11).check().unwrap(), &s.out).unwrap();
    let icp = read_json(&s.out.join("ideal_customer_profile.json"));
    let said = icp["ideal_rule"]["description"].as_str().unwrap();
    assert!(
        said.ends_with("no segment has at least 11 purchasing customers (SEGFLOW_MIN_GROUP_SIZE), so none is taken and there is no ideal group."),
        "{said}"
    );
    assert_eq!(icp["ideal"]["customers"], 0);
    assert_eq!(icp["ideal"]["suppressed"], true);
    let ranking = icp["ideal_rule"]["rule"]["ranking"].as_array().unwrap();
    assert!(
        ranking
            .iter()
            .all(|s| s["ideal"] == false && s["value"].is_null())
    );
}
