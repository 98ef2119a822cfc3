use anyhow::Result;
use segflow_segment_fn::{SegmentConfig, SegmentRequest, run_job};
use segflow_storage::AnyStore;

use crate::SegmentArgs;

/// The segmentation settings from the environment, as the Lambda reads them at start-up.
pub fn config() -> Result<SegmentConfig> {
    Ok(SegmentConfig::from_env()?)
}

/// A `--timezone` value, as `SEGFLOW_TIMEZONE` is read.
pub fn timezone(name: &str) -> Result<chrono_tz::Tz> {
    name.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("--timezone: unknown time zone {name:?}"))
}

pub async fn segment(data: &str, out: &str, args: &SegmentArgs, config: &SegmentConfig) -> Result<()> {
    segflow_engine::memory::release_freed_memory_promptly();
    let data = AnyStore::open(data).await;
    let out_store = AnyStore::open(out).await;
    let req = SegmentRequest {
        as_of: args.as_of,
        k: args.k.map(usize::from),
        scheduled: false,
    };
    let summary = run_job(&data, &out_store, &req, config).await?;
    println!(
        "segments as of {} written to {}/{}",
        summary.as_of,
        out.trim_end_matches('/'),
        summary.run_prefix
    );
    for f in &summary.files {
        println!("  {f}");
    }
    // The manifest's warnings (amounts added across currencies, sales after the run date) change
    // how every figure reads: said where the person running the job looks, not only in the file.
    for w in summary.manifest["warnings"].as_array().into_iter().flatten() {
        if let Some(w) = w.as_str() {
            eprintln!("warning: {}", segflow_engine::printable::Printable(w));
        }
    }
    if let Some(k) = summary.experiment {
        println!(
            "k = {k} is not the configured k (SEGFLOW_K): an experiment, written to its own folder only; segments/latest/, the run date's folder and the model state are left as they are (set SEGFLOW_K={k} to make it the run's k)"
        );
    } else if !summary.latest {
        println!("segments/latest/ keeps its later run date; this run is only in its dated folder");
    } else if let Some(later) = summary.later_state {
        println!(
            "the model state was not saved: the saved one is from a later run date ({later}), which the next run continues from"
        );
    }
    Ok(())
}
