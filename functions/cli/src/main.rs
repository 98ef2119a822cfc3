//! `segflow`: the product's engine and handlers on the command line, for local folders and s3:// URIs.

mod ingest_cmd;
mod segment_cmd;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use segflow_segment_fn::JobError;

#[derive(Parser)]
#[command(
    name = "segflow",
    version,
    about = "Sales exports to typed Parquet and customer segments"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum DatasetArg {
    Sales,
    Customers,
    Activity,
}

#[derive(clap::Args, Clone)]
pub struct IngestArgs {
    /// Force the dataset; by default it comes from an `incoming/<dataset>/` path or a parent folder
    /// named sales/customers/activity, else from the header.
    #[arg(long, value_enum)]
    pub dataset: Option<DatasetArg>,
    /// JSON file mapping source headers to canonical fields, for exports the synonyms cannot read.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// IANA time zone of naive timestamps, and with `run` the segmentation's too (weekdays and
    /// hours, the run date); default: SEGFLOW_TIMEZONE, else UTC.
    #[arg(long)]
    pub timezone: Option<String>,
    /// How to read dates like 03/04/2024: auto, day-first, month-first, jalali-year-first
    /// (02/07/15 is 1402/07/15) or jalali-day-first (15/07/02 is 1402/07/15); default:
    /// SEGFLOW_DATE_ORDER, else auto.
    #[arg(long)]
    pub date_order: Option<String>,
    /// The shop's country (US, GB, DE, IR, …): phone numbers written without one are read as
    /// its numbers (`(415) 555-2106` is +14155552106); default: SEGFLOW_PHONE_COUNTRY, else
    /// none (such numbers stay `tel:…`).
    #[arg(long)]
    pub phone_country: Option<String>,
}

#[derive(clap::Args, Clone)]
pub struct SegmentArgs {
    /// Run date (features as of the end of this day), Gregorian or Jalali (1402-12-20);
    /// default: the day of the latest order, never after today.
    #[arg(long, value_parser = segflow_engine::values::parse_run_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Number of clusters (2–10); default: SEGFLOW_K, else chosen automatically. A k other than
    /// SEGFLOW_K is an experiment, written to segments/experiments/k=<k>/ only (set SEGFLOW_K to
    /// make it the run's k).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=10))]
    pub k: Option<u8>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Convert exports (files, folders or s3:// URIs) into the bucket layout under --out.
    Ingest {
        #[arg(required = true)]
        inputs: Vec<String>,
        /// Root of the bucket layout: a folder or s3://bucket[/prefix].
        #[arg(long)]
        out: String,
        #[command(flatten)]
        args: IngestArgs,
    },
    /// Compute customer features, RFM, lifecycle and clusters from curated data.
    Segment {
        /// Root of the bucket layout holding curated/ (folder or s3://).
        #[arg(long)]
        data: String,
        /// Root to write segments/ and state/ under (folder or s3://).
        #[arg(long)]
        out: String,
        #[command(flatten)]
        args: SegmentArgs,
        /// IANA time zone of weekdays, hours and the run date: the one the data was ingested
        /// with (default: SEGFLOW_TIMEZONE, else UTC).
        #[arg(long)]
        timezone: Option<String>,
    },
    /// The whole job on a local folder: ingest everything under DIR, then segment.
    Run {
        /// Folder of exports (in sales/, customers/ and activity/ subfolders, or named by header).
        dir: PathBuf,
        /// Root of the bucket layout to write curated/, segments/ and reports/ under (folder or
        /// s3://bucket[/prefix]).
        #[arg(long)]
        out: String,
        #[command(flatten)]
        ingest: IngestArgs,
        #[command(flatten)]
        segment: SegmentArgs,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `RUST_LOG` as targets and levels (`info`, `segflow_engine=debug,warn`): an `EnvFilter`'s
    // span and field filters need a regex engine, a fifth of the binary's margin under 20 MB.
    let filter = segflow_lambda::log_filter(
        std::env::var("RUST_LOG").ok().as_deref(),
        tracing_subscriber::filter::LevelFilter::WARN,
    );
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(filter)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Messages quote file names and keys, and what a rejected file holds: their control
            // characters are escaped, and only the message's own line breaks kept.
            eprintln!(
                "error: {}",
                segflow_engine::printable::printable_lines(&format!("{e:#}"))
            );
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Ingest { inputs, out, args } => ingest_cmd::ingest(&inputs, &out, &args).await,
        Cmd::Segment {
            data,
            out,
            args,
            timezone,
        } => {
            let mut config = segment_cmd::config()?;
            if let Some(tz) = &timezone {
                config.timezone = segment_cmd::timezone(tz)?;
            }
            segment_cmd::segment(&data, &out, &args, &config).await
        }
        Cmd::Run {
            dir,
            out,
            ingest,
            segment,
        } => {
            // A mistyped setting is said before minutes of ingest, not after; an ingest setting
            // also before any segmentation of data already there.
            let mut config = segment_cmd::config()?;
            ingest_cmd::options(&ingest)?;
            // One zone for the whole job: the ingest's reading of local times and the
            // segmentation's weekdays, hours and run date.
            if let Some(tz) = &ingest.timezone {
                config.timezone = segment_cmd::timezone(tz)?;
            }
            segflow_segment_fn::check_run_date(segment.as_of, config.timezone)?;
            let (summaries, ingested) =
                match ingest_cmd::ingest_all(&[dir.display().to_string()], &out, &ingest).await {
                    Ok(s) => {
                        let checked = ingest_cmd::check(&s);
                        (Some(s), checked)
                    }
                    Err(e) => (None, Err(e)),
                };
            // Segment even when some file was rejected: the other files' data is valid, and the
            // error is still reported through the exit status. When both fail, the inputs that
            // could not be ingested are usually why, so both are said.
            let mut segmented = segment_cmd::segment(&out, &out, &segment, &config).await;
            if let (Err(e), Some(summaries)) = (&segmented, &summaries)
                && matches!(e.downcast_ref::<JobError>(), Some(JobError::NoSalesData))
            {
                // The ingest just ran: say what became of its sales rows.
                segmented = Err(anyhow::anyhow!(
                    ingest_cmd::no_sales_rows(&out, &dir, summaries).await
                ));
            }
            match (ingested, segmented) {
                (Err(i), Err(s)) => Err(anyhow::anyhow!("{i:#}\nsegmentation did not run: {s:#}")),
                (ingested, segmented) => segmented.and(ingested),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_takes_jalali_dates_and_says_what_it_expects() {
        let as_of = |v: &str| match Cli::try_parse_from([
            "segflow", "segment", "--data", "d", "--out", "o", "--as-of", v,
        ]) {
            Ok(Cli {
                cmd: Cmd::Segment { args, .. },
            }) => Ok(args.as_of),
            Ok(_) => unreachable!("segment parses as segment"),
            Err(e) => Err(e.to_string()),
        };
        assert_eq!(
            as_of("1402-12-20"),
            Ok(chrono::NaiveDate::from_ymd_opt(2024, 3, 10))
        );
        assert_eq!(
            as_of("2024-03-10"),
            Ok(chrono::NaiveDate::from_ymd_opt(2024, 3, 10))
        );
        let err = as_of("tomorrow").unwrap_err();
        assert!(err.contains("Jalali (1402-12-20)"), "{err}");
    }
}
