//! The segmentation job over any storage: gather curated Parquet, run the engine, publish a dated
//! run folder (manifest last), then move `segments/latest/` and the model state. A folder's
//! manifest is taken away before its files change and written back last, so a run that fails
//! part-way leaves no folder that looks complete but mixes two runs; a run that fails before
//! publishing leaves the previous outputs untouched.

use std::path::{Path, PathBuf};

use serde::Serialize;

use segflow_engine::EngineError;
use segflow_engine::segment::{self, Previous, SegmentInputs, SegmentParams};
use segflow_storage::{ObjectStore, StorageError};

use crate::config::SegmentConfig;
use crate::request::SegmentRequest;

pub const STATE_KEY: &str = "state/segments/model.json";

/// Name prefix of a run's spool folder in the temp dir.
pub const WORK_PREFIX: &str = "segflow-segment-";

const LATEST: &str = "segments/latest";
/// Where an experiment's runs go: `segments/experiments/k=<k>/run_date=<date>/`.
pub const EXPERIMENTS: &str = "segments/experiments";
/// Names the run folder `latest/` copies, written in one PUT before the copy starts: a tool that
/// needs one run's files together reads them through it, whatever state a failed copy left
/// `latest/` in.
pub const LATEST_POINTER: &str = "segments/latest.json";

/// (Glue table, file) pairs: each run's copy of the file goes to
/// [`athena_key`]`(table, run date, file)`, one file per folder (see infra/template.yaml).
pub const ATHENA_TABLES: [(&str, &str); 2] = [
    ("segment_customers", "customers.parquet"),
    ("segment_summary", "segments.parquet"),
];

/// Where a run's copy of a Glue table's file goes: `segments/athena/<table>/run_date=<date>/<file>`.
/// Athena reads every object under a table's location, so each table has a folder of its own,
/// outside the run folders (which hold CSV, JSON and Markdown beside the Parquet), and
/// Hive-partitioned by run date.
pub fn athena_key(table: &str, as_of: chrono::NaiveDate, file: &str) -> String {
    format!("segments/athena/{table}/run_date={as_of}/{file}")
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Segment(#[from] segment::SegmentError),
    #[error("no curated sales data under curated/sales/: ingest some exports first")]
    NoSalesData,
    /// A curated object the engine cannot read: the error names its key, not the spool file it
    /// was downloaded to. The run fails (see [`run_job`] on why it is not skipped).
    #[error("unreadable curated object {key}: {detail}; re-ingest the upload it came from or remove it")]
    CuratedObject { key: String, detail: String },
    /// Features as of a day that has not come would make every customer lapsed and move
    /// `segments/latest/` ahead of the nightly runs.
    #[error("the run date {as_of} is after today ({today} in {tz}): give a date up to today")]
    FutureRunDate {
        as_of: chrono::NaiveDate,
        today: chrono::NaiveDate,
        tz: chrono_tz::Tz,
    },
    #[error("{0}")]
    Other(String),
}

#[derive(Debug, Serialize)]
pub struct JobSummary {
    pub as_of: chrono::NaiveDate,
    pub run_prefix: String,
    pub files: Vec<String>,
    pub manifest: serde_json::Value,
    /// Whether `segments/latest/` now holds this run: not when it already holds a later run
    /// date, nor for an experiment.
    pub latest: bool,
    /// Whether the model state was saved for the next run to continue from: not for a run that
    /// moved no `latest/`, nor for an on-demand k other than the configured one (an experiment
    /// must not become the nightly's k), nor when the saved state is from a later run date.
    pub model_saved: bool,
    /// The run date of the saved state, when it is later than this run's (kept, not replaced).
    pub later_state: Option<chrono::NaiveDate>,
    /// The run's k when it is an experiment (an on-demand k other than the configured one),
    /// published under `segments/experiments/` only.
    pub experiment: Option<usize>,
}

/// Downloads every Parquet object under `prefix` into `dir`, noting in `spool` which key each local
/// file holds.
async fn fetch_parquet<S: ObjectStore>(
    store: &S,
    prefix: &str,
    dir: &Path,
    spool: &mut Vec<(PathBuf, String)>,
) -> Result<Vec<PathBuf>, JobError> {
    std::fs::create_dir_all(dir).map_err(|e| JobError::Other(format!("{}: {e}", dir.display())))?;
    let mut paths = Vec::new();
    for (i, obj) in store
        .list(prefix)
        .await?
        .into_iter()
        .filter(|o| o.key.ends_with(".parquet"))
        .enumerate()
    {
        // Numbered in key order so the engine sees the same order as the listing.
        let dest = dir.join(format!("{i:06}.parquet"));
        match store.download(&obj.key, &dest).await {
            Ok(_) => {
                spool.push((dest.clone(), obj.key.clone()));
                paths.push(dest);
            }
            // A corrected upload being ingested retires its old months while we read: the
            // listing named a file that is gone, and its rows are in the new version's files.
            Err(StorageError::NotFound(_)) => {
                tracing::warn!(key = %segflow_engine::printable::Printable(&obj.key), "curated file removed while the run read; skipped");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(paths)
}

/// An engine error about a spool file, told about the curated object it holds: the local path
/// means nothing to whoever has to fix the object. Errors about no spool file pass unchanged.
fn name_curated_object(e: impl Into<JobError>, spool: &[(PathBuf, String)]) -> JobError {
    let e = e.into();
    let text = e.to_string();
    for (path, key) in spool {
        let path = path.to_string_lossy();
        if text.contains(path.as_ref()) {
            let detail = text.replace(&format!("{path}: "), "").replace(path.as_ref(), key);
            return JobError::CuratedObject {
                key: key.clone(),
                detail,
            };
        }
    }
    e
}

/// The day of the latest sale, but never after today: one mistyped date (2099) would otherwise
/// move the run decades ahead and make every customer lapsed. The rows after it are left out
/// and the manifest warns about them.
fn default_as_of(
    latest: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) -> chrono::NaiveDate {
    latest.min(now).with_timezone(&tz).date_naive()
}

/// Refuses a run date after today in the shop's zone. [`run_job`] checks it before reading
/// anything; the CLI's `run` before it ingests.
pub fn check_run_date(as_of: Option<chrono::NaiveDate>, tz: chrono_tz::Tz) -> Result<(), JobError> {
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    match as_of {
        Some(as_of) if as_of > today => Err(JobError::FutureRunDate { as_of, today, tz }),
        _ => Ok(()),
    }
}

pub async fn run_job<D: ObjectStore, O: ObjectStore>(
    data: &D,
    out: &O,
    request: &SegmentRequest,
    config: &SegmentConfig,
) -> Result<JobSummary, JobError> {
    check_run_date(request.as_of, config.timezone)?;
    let work = tempfile::Builder::new()
        .prefix(WORK_PREFIX)
        .tempdir_in(&config.tmp_dir)
        .map_err(|e| JobError::Other(format!("{}: {e}", config.tmp_dir.display())))?;
    let mut spool = Vec::new();
    let sales = fetch_parquet(data, "curated/sales/", &work.path().join("sales"), &mut spool).await?;
    if sales.is_empty() {
        return Err(JobError::NoSalesData);
    }
    let customers = fetch_parquet(
        data,
        "curated/customers/",
        &work.path().join("customers"),
        &mut spool,
    )
    .await?;
    let activity = fetch_parquet(
        data,
        "curated/activity/",
        &work.path().join("activity"),
        &mut spool,
    )
    .await?;
    // Refusals kept from rows ingest quarantined (an unsubscribe without a readable date): no
    // dataset of their own, read for consent beside the activity.
    let refusals = fetch_parquet(
        data,
        &format!("{}/", segflow_engine::ingest::convert::REFUSALS_PREFIX),
        &work.path().join("refusals"),
        &mut spool,
    )
    .await?;
    let as_of = match request.as_of {
        Some(d) => d,
        None => {
            let latest = segflow_engine::curated::latest_timestamp(&sales, "order_ts")
                .map_err(|e| name_curated_object(e, &spool))?
                .ok_or(JobError::NoSalesData)?;
            default_as_of(latest, chrono::Utc::now(), config.timezone)
        }
    };
    // A state file we cannot use only costs label stability for one night; the manifest says so.
    let saved = out.get(STATE_KEY).await?;
    // A state saved by a later date: this run does not start from it (see `Previous`), nor
    // replaces it, whatever its date came from (a run dated by the data lands before the
    // night's when that day has no orders yet): the next night continues from that state, not
    // from one fitted afresh, which would rename its segments for good.
    let later_state = saved
        .as_deref()
        .and_then(segment::saved_run_date)
        .filter(|&d| d > as_of);
    let previous = Previous::from_saved(saved.as_deref(), as_of);
    let mut params = SegmentParams::new(as_of);
    config.apply(&mut params);
    params.k = request.k.or(config.k);
    let checked = params.check()?;
    let inputs = SegmentInputs {
        sales_files: sales,
        customers_files: customers,
        activity_files: activity,
        refusal_files: refusals,
        previous,
    };
    let out_dir = work.path().join("out");
    std::fs::create_dir_all(&out_dir).map_err(|e| JobError::Other(format!("{}: {e}", out_dir.display())))?;
    let od = out_dir.clone();
    // An unreadable curated object fails the run, naming its key. It is not skipped: a run
    // without one month of an export would publish customers with orders missing (lapsed,
    // on the win-back list), move `segments/latest/` and the model state, and repeat it every
    // night while the object stays; a failed run leaves the last good outputs in place, and the
    // error (CorruptCuratedObject) says which object to re-ingest or remove.
    let result = tokio::task::spawn_blocking(move || segment::run(&inputs, &checked, &od))
        .await
        .map_err(|e| JobError::Other(format!("segmentation task failed: {e}")))?
        .map_err(|e| name_curated_object(e, &spool))?;

    // An on-demand k other than the configured one is an experiment: its files go to a folder
    // of their own, so the night's folder, `latest/` and the Athena copies keep the nightly's
    // segments (an experiment on the night's date had replaced its folder and `latest/` while
    // the dashboards kept the night's: two answers for one date).
    let experiment = request.k.filter(|&k| config.k != Some(k));
    let run_prefix = match experiment {
        Some(k) => format!("{EXPERIMENTS}/k={k}/run_date={as_of}"),
        None => format!("segments/run_date={as_of}"),
    };
    let (manifest, data_files) = result
        .files
        .split_last()
        .ok_or_else(|| JobError::Other("run wrote no files".into()))?;
    if let Some((table, name)) = ATHENA_TABLES
        .iter()
        .find(|(_, n)| !data_files.iter().any(|f| f == n))
    {
        return Err(JobError::Other(format!(
            "the run wrote no {name} for the {table} table"
        )));
    }
    // Decided before anything is written. An on-demand run for a date before the one `latest/`
    // holds is a look back: it publishes its dated folder only. The nightly run and a run that
    // takes its date from the data always move `latest/`: after a deleted upload or a corrected
    // date, the data's latest day may be earlier than the last run's, and `latest/` must not
    // keep serving rows that are gone.
    let published = latest_as_of(out).await?;
    let latest = experiment.is_none()
        && (request.scheduled || request.as_of.is_none() || published.is_none_or(|d| as_of >= d));
    let model_saved = latest && later_state.is_none();

    // A re-run of a date replaces its folder: its manifest goes first, so a failure part-way
    // leaves a folder without one (incomplete), not one that mixes two runs.
    out.delete(&format!("{run_prefix}/{manifest}")).await?;
    for name in data_files {
        out.upload_file(&format!("{run_prefix}/{name}"), &out_dir.join(name))
            .await?;
    }
    // The Glue tables' copies, before the manifest too. Not an experiment's: the dashboards
    // reading them by date would show its segments as that night's, with nothing to tell.
    for (table, name) in ATHENA_TABLES.iter().filter(|_| experiment.is_none()) {
        out.upload_file(&athena_key(table, as_of, name), &out_dir.join(name))
            .await?;
    }
    out.upload_file(&format!("{run_prefix}/{manifest}"), &out_dir.join(manifest))
        .await?;
    if latest {
        let pointer = serde_json::json!({
            "as_of": as_of.to_string(),
            "run_id": result.manifest["run_id"],
            "folder": format!("{run_prefix}/"),
        });
        let pointer = serde_json::to_vec_pretty(&pointer).map_err(EngineError::from)?;
        out.put(LATEST_POINTER, pointer).await?;
        let stale: Vec<String> = out
            .list(&format!("{LATEST}/"))
            .await?
            .into_iter()
            .map(|o| o.key)
            .filter(|k| !result.files.iter().any(|n| k == &format!("{LATEST}/{n}")))
            .collect();
        out.delete(&format!("{LATEST}/{manifest}")).await?;
        for name in data_files {
            out.upload_file(&format!("{LATEST}/{name}"), &out_dir.join(name))
                .await?;
        }
        for key in stale {
            out.delete(&key).await?;
        }
        out.upload_file(&format!("{LATEST}/{manifest}"), &out_dir.join(manifest))
            .await?;
    }
    if model_saved {
        let state = serde_json::to_vec_pretty(&result.state).map_err(EngineError::from)?;
        out.put(STATE_KEY, state).await?;
    }
    Ok(JobSummary {
        as_of,
        run_prefix,
        files: result.files,
        manifest: result.manifest,
        latest,
        model_saved,
        later_state,
        experiment,
    })
}

/// The run date `segments/latest/` holds: the pointer's, else (outputs of a version without the
/// pointer) its manifest's. The pointer also holds while a failed copy left `latest/` without
/// a manifest, so a look back run then does not take `latest/` over.
async fn latest_as_of<O: ObjectStore>(out: &O) -> Result<Option<chrono::NaiveDate>, JobError> {
    let as_of = |b: Vec<u8>| {
        serde_json::from_slice::<serde_json::Value>(&b)
            .ok()
            .and_then(|m| m["as_of"].as_str()?.parse().ok())
    };
    if let Some(d) = out.get(LATEST_POINTER).await?.and_then(as_of) {
        return Ok(Some(d));
    }
    Ok(out.get(&format!("{LATEST}/manifest.json")).await?.and_then(as_of))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    #[test]
    fn athena_copies_go_to_a_hive_partitioned_folder_per_table() {
        let day = NaiveDate::from_ymd_opt(2023, 12, 8).unwrap();
        assert_eq!(
            athena_key("segment_summary", day, "segments.parquet"),
            "segments/athena/segment_summary/run_date=2023-12-08/segments.parquet"
        );
        // Parquet only: the tables use the Parquet SerDe.
        assert!(ATHENA_TABLES.iter().all(|(_, f)| f.ends_with(".parquet")));
    }

    #[test]
    fn the_default_run_date_is_the_latest_sale_but_never_after_today() {
        let now = Utc.with_ymd_and_hms(2024, 7, 1, 21, 0, 0).unwrap();
        let tehran = chrono_tz::Asia::Tehran;
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let sale = Utc.with_ymd_and_hms(2024, 6, 29, 10, 0, 0).unwrap();
        assert_eq!(default_as_of(sale, now, tehran), day(2024, 6, 29));
        let typo = Utc.with_ymd_and_hms(2099, 6, 1, 10, 0, 0).unwrap();
        // 21:00 UTC is already 2 July in Tehran.
        assert_eq!(default_as_of(typo, now, tehran), day(2024, 7, 2));
        assert_eq!(default_as_of(typo, now, chrono_tz::UTC), day(2024, 7, 1));
    }
}
