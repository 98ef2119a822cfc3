//! `segflow-gen`: writes a deterministic, realistic sales export in the UCI "Online Retail" layout
//! (`InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country`, month-first
//! dates) for benchmarks. Same arguments, same bytes.

mod generator;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "segflow-gen",
    version,
    about = "Deterministic generator of realistic sales exports (UCI Online Retail layout)"
)]
struct Args {
    /// Data rows to write (exactly; the header is extra).
    #[arg(long, default_value_t = 10_000_000)]
    rows: u64,
    /// Customers in the base (fewer take part when there are too few rows for all of them).
    #[arg(long, default_value_t = 200_000)]
    customers: u32,
    /// Seed: the same seed and options give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First day of the period, YYYY-MM-DD.
    #[arg(long, default_value = "2022-12-01")]
    start: String,
    /// Length of the period in days.
    #[arg(long, default_value_t = 374)]
    days: u32,
    /// Output file (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

const BUFFER: usize = 8 << 20;

fn main() -> ExitCode {
    let args = Args::parse();
    let Some(start_day) = generator::parse_date(&args.start) else {
        eprintln!("error: --start must be a date YYYY-MM-DD, got {:?}", args.start);
        return ExitCode::FAILURE;
    };
    if args.days == 0 {
        eprintln!("error: --days must be at least 1");
        return ExitCode::FAILURE;
    }
    let cfg = generator::Config {
        rows: args.rows,
        customers: args.customers,
        seed: args.seed,
        start_day,
        days: args.days,
    };
    let started = std::time::Instant::now();
    let result = match &args.out {
        Some(path) => {
            File::create(path).and_then(|f| generator::generate(&cfg, BufWriter::with_capacity(BUFFER, f)))
        }
        None => {
            let stdout = io::stdout().lock();
            generator::generate(&cfg, BufWriter::with_capacity(BUFFER, stdout))
        }
    };
    match result {
        Ok(s) => {
            eprintln!(
                "segflow-gen: {} rows, {} invoices ({} guest, {} cancellations, {} return rows), {} customers, {:.1} s",
                s.rows,
                s.invoices,
                s.guest_invoices,
                s.cancellations,
                s.return_rows,
                s.customers_used,
                started.elapsed().as_secs_f64()
            );
            let _ = io::stderr().flush();
            ExitCode::SUCCESS
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
