//! Does the ideal-customer fit mean something? Fit the whole run on the history up to a cut-off
//! date, then check how well its fit ranks the customers who turn out most valuable in the
//! following days, against plain RFM ordering and spend to date.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use serde::Serialize;

use super::interner::Interner;
use super::sales::read_sales;
use super::{SegmentError, SegmentInputs, SegmentParams, end_of_day};

/// Share of the cut-off's purchasers that counts as "top value" in the horizon.
pub const TOP_SHARE: f64 = 0.2;
/// Precision is measured in this top share of each ranking.
pub const PRECISION_SHARE: f64 = 0.1;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EvalReport {
    pub cutoff: NaiveDate,
    pub horizon_days: u32,
    /// Customers with purchases on or before the cut-off: the ranked population.
    pub customers: usize,
    /// Of them, the top 20 % by net revenue in the horizon (only those with positive revenue).
    pub positives: usize,
    pub base_rate: f64,
    /// Area under the ROC curve (0.5 = random), ties counted half.
    pub auc_fit: f64,
    pub auc_rfm: f64,
    pub auc_monetary: f64,
    /// Share of positives among the top 10 % of each ranking (ties broken by customer id).
    pub precision_at_10_fit: f64,
    pub precision_at_10_rfm: f64,
    pub precision_at_10_monetary: f64,
}

/// Net revenue (purchases − returns) per customer id up to `cutoff` (UTC µs, exclusive).
fn net_by_customer(
    files: &[PathBuf],
    cutoff: i64,
    params: &SegmentParams,
) -> Result<HashMap<String, f64>, SegmentError> {
    let (mut ids, mut places) = (Interner::default(), Interner::default());
    let sales = read_sales(
        files,
        cutoff,
        &params.currency_rates,
        &HashMap::new(),
        &mut ids,
        &mut places,
    )?;
    let mut net = vec![0.0; ids.len()];
    for o in &sales.orders {
        net[o.cust as usize] += o.value;
    }
    for (i, r) in sales.returned.iter().enumerate() {
        net[i] -= r;
    }
    Ok((0..ids.len())
        .map(|i| (ids.name(i as u32).to_string(), net[i]))
        .collect())
}

/// AUC by the rank-sum (Mann–Whitney) statistic with average ranks for ties.
pub(super) fn auc(scores: &[f64], positive: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = avg;
        }
        i = j + 1;
    }
    let np = positive.iter().filter(|&&p| p).count() as f64;
    let nn = positive.len() as f64 - np;
    if np == 0.0 || nn == 0.0 {
        return 0.5;
    }
    let rank_sum: f64 = ranks
        .iter()
        .zip(positive)
        .filter(|(_, p)| **p)
        .map(|(r, _)| r)
        .sum();
    (rank_sum - np * (np + 1.0) / 2.0) / (np * nn)
}

/// Share of positives among the top `share` of the ranking (score desc, then the given order).
pub(super) fn precision_at(scores: &[f64], positive: &[bool], share: f64) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let k = ((share * scores.len() as f64).ceil() as usize).clamp(1, scores.len().max(1));
    order.iter().take(k).filter(|&&i| positive[i]).count() as f64 / k as f64
}

fn scratch_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "segflow-eval-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

struct Scored {
    id: String,
    fit: f64,
    rfm: f64,
    monetary: f64,
}

/// The fit and RFM of every purchaser, read back from the run's own customers.csv: what is
/// evaluated is exactly what a run ships.
fn scored(out: &Path) -> Result<Vec<Scored>, SegmentError> {
    let path = out.join(super::output::CUSTOMERS_CSV);
    let text = std::fs::read_to_string(&path).map_err(|source| SegmentError::Io {
        path: path.clone(),
        source,
    })?;
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let bad = |e: csv::Error| SegmentError::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    };
    let headers = r.headers().map_err(bad)?.clone();
    let col = |n: &str| {
        headers
            .iter()
            .position(|h| h == n)
            .expect("customers.csv columns are ours")
    };
    let (id, fit, rr, rf, rm, mon) = (
        col("customer_id"),
        col("ideal_fit"),
        col("rfm_r"),
        col("rfm_f"),
        col("rfm_m"),
        col("monetary"),
    );
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(bad)?;
        let num = |i: usize| rec[i].parse::<f64>().ok();
        let (Some(f), Some(r_), Some(f_), Some(m_), Some(m)) =
            (num(fit), num(rr), num(rf), num(rm), num(mon))
        else {
            continue; // prospects: no purchases before the cut-off
        };
        // R+F+M, with the R-F-M code as a tie-break so the RFM baseline ranks as finely as it can.
        let rfm = (r_ + f_ + m_) * 1000.0 + r_ * 100.0 + f_ * 10.0 + m_;
        out.push(Scored {
            id: rec[id].to_string(),
            fit: f,
            rfm,
            monetary: m,
        });
    }
    Ok(out)
}

/// Runs the segmentation as of `cutoff` (customers, activity and previous state left out), then
/// scores its ranking against the top 20 % of net revenue in the `horizon_days` after it.
pub fn evaluate_lookalike(
    sales_files: &[PathBuf],
    cutoff: NaiveDate,
    horizon_days: u32,
    params: &SegmentParams,
) -> Result<EvalReport, SegmentError> {
    if horizon_days == 0 {
        return Err(SegmentError::InvalidParams(
            "horizon_days must be positive".into(),
        ));
    }
    let mut p = params.clone();
    p.as_of = cutoff;
    p.pseudonym_key = None;
    let checked = p.check()?;
    let dir = scratch_dir();
    let inputs = SegmentInputs {
        sales_files: sales_files.to_vec(),
        customers_files: vec![],
        activity_files: vec![],
        refusal_files: vec![],
        previous: super::Previous::None,
    };
    let result = super::run(&inputs, &checked, &dir).and_then(|_| scored(&dir));
    // Scratch output only: a leftover folder in the temp dir is harmless.
    let _ = std::fs::remove_dir_all(&dir);
    let rows = result?;

    let end_cut = end_of_day(cutoff, checked.timezone)?;
    let horizon_end = cutoff + chrono::Duration::days(i64::from(horizon_days));
    let end_h = end_of_day(horizon_end, checked.timezone)?;
    let (before, after) = (
        net_by_customer(sales_files, end_cut, params)?,
        net_by_customer(sales_files, end_h, params)?,
    );
    let future: Vec<f64> = rows
        .iter()
        .map(|s| after.get(&s.id).copied().unwrap_or(0.0) - before.get(&s.id).copied().unwrap_or(0.0))
        .collect();

    let n = rows.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        future[b]
            .total_cmp(&future[a])
            .then_with(|| rows[a].id.cmp(&rows[b].id))
    });
    let top = (TOP_SHARE * n as f64).ceil() as usize;
    let mut positive = vec![false; n];
    for &i in order.iter().take(top) {
        positive[i] = future[i] > 0.0;
    }
    let positives = positive.iter().filter(|&&x| x).count();
    let fit: Vec<f64> = rows.iter().map(|s| s.fit).collect();
    let rfm: Vec<f64> = rows.iter().map(|s| s.rfm).collect();
    let mon: Vec<f64> = rows.iter().map(|s| s.monetary).collect();
    let r4 = |v: f64| super::output::round(v, 4);
    Ok(EvalReport {
        cutoff,
        horizon_days,
        customers: n,
        positives,
        base_rate: r4(if n == 0 { 0.0 } else { positives as f64 / n as f64 }),
        auc_fit: r4(auc(&fit, &positive)),
        auc_rfm: r4(auc(&rfm, &positive)),
        auc_monetary: r4(auc(&mon, &positive)),
        precision_at_10_fit: r4(precision_at(&fit, &positive, PRECISION_SHARE)),
        precision_at_10_rfm: r4(precision_at(&rfm, &positive, PRECISION_SHARE)),
        precision_at_10_monetary: r4(precision_at(&mon, &positive, PRECISION_SHARE)),
    })
}
