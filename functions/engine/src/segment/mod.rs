//! Nightly segmentation: customer features, RFM scores, lifecycle stages and k-means clusters
//! whose ids and names stay stable from one night to the next. Pure and synchronous: curated
//! Parquet in, a folder of result files out; storage and scheduling live in the Lambda and CLI.
//!
//! Minimum data: at least one usable sales row on or before `as_of`, and at least 2 × k
//! customers with purchases (k = the given k, else 2), so that every cluster can hold more than
//! one customer. Anything less fails with [`SegmentError::NoData`] before any file is written.

mod activation;
mod cluster;
mod currency;
mod customers;
mod dict;
mod distinct;
mod evaluate;
mod features;
mod hash;
mod icp;
#[cfg(test)]
mod icp_tests;
mod interner;
mod output;
mod par;
mod profile;
mod rfm;
mod sales;
#[cfg(test)]
mod tests;
mod versions;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use features::{Clock, Customer, Stage};
use interner::Interner;
use output::{Report, SegmentOut};

pub use activation::PseudonymKey;
pub use currency::parse_rates as parse_currency_rates;
pub use evaluate::{EvalReport, evaluate_lookalike};
pub use icp::IdealRule;
pub use rfm::parse_rules as parse_rfm_rules;

/// Settings of one segmentation run. Build with [`SegmentParams::new`], adjust fields, then
/// [`SegmentParams::check`].
#[derive(Clone, Debug)]
pub struct SegmentParams {
    /// Features are computed as of the end of this day (in `timezone`); later rows are ignored.
    pub as_of: NaiveDate,
    /// `None`: chosen automatically in 2..=10 by silhouette (or kept from the previous run).
    pub k: Option<usize>,
    /// For weekday / hour of purchase, purchase dates and the end of `as_of`.
    pub timezone: chrono_tz::Tz,
    pub seed: u64,
    /// k-means initialisations.
    pub n_runs: usize,
    pub lapsed_days: u32,
    pub new_days: u32,
    /// Overdue (at risk) when recency > factor × expected gap between orders.
    pub at_risk_factor: f64,
    /// Segment and RFM-cell figures over fewer customers are suppressed.
    pub min_group_size: usize,
    /// Most customers used to fit k-means and pick k.
    pub sample_size: usize,
    pub rfm_rules: Vec<RfmRule>,
    /// Who the ideal customers are (ideal_customer_profile.json explains the rule it used).
    pub ideal_rule: IdealRule,
    /// With [`IdealRule::TopSegments`]: the least share of purchasers the ideal segments cover.
    pub ideal_min_share: f64,
    pub lead_scoring: crate::leads::LeadScoring,
    /// When set, customers.parquet (the BI output) carries keyed pseudonyms instead of customer
    /// ids; the CSV activation lists keep the real ids, since they are for contacting people.
    pub pseudonym_key: Option<PseudonymKey>,
    /// Currency code → value of one unit in the reporting currency; amounts are converted before
    /// any figure is computed. Rial without a rate is always taken to Toman (÷ 10).
    pub currency_rates: BTreeMap<String, f64>,
}

impl SegmentParams {
    /// The defaults: automatic k, UTC, seed 42, 4 runs, lapsed after 180 days, new within 30,
    /// at risk at 1.5 × the usual gap, groups of at least 10, a 20 000-customer sample, and
    /// [`default_rfm_rules`].
    pub fn new(as_of: NaiveDate) -> Self {
        SegmentParams {
            as_of,
            k: None,
            timezone: chrono_tz::UTC,
            seed: 42,
            n_runs: 4,
            lapsed_days: 180,
            new_days: 30,
            at_risk_factor: 1.5,
            min_group_size: 10,
            sample_size: 20_000,
            rfm_rules: default_rfm_rules(),
            ideal_rule: IdealRule::TopSegments,
            ideal_min_share: 0.2,
            lead_scoring: crate::leads::LeadScoring::default(),
            pseudonym_key: None,
            currency_rates: BTreeMap::new(),
        }
    }

    pub fn check(self) -> Result<CheckedParams, SegmentError> {
        let bad = |m: String| Err(SegmentError::InvalidParams(m));
        if let Some(k) = self.k
            && !(2..=cluster::K_MAX).contains(&k)
        {
            return bad(format!("k must be between 2 and {}, got {k}", cluster::K_MAX));
        }
        if self.n_runs == 0 {
            return bad("n_runs must be at least 1".into());
        }
        if !(self.at_risk_factor.is_finite() && self.at_risk_factor > 0.0) {
            return bad(format!(
                "at_risk_factor must be a positive number, got {}",
                self.at_risk_factor
            ));
        }
        if self.lapsed_days == 0 {
            return bad("lapsed_days must be positive".into());
        }
        if let Some((code, rate)) = self
            .currency_rates
            .iter()
            .find(|(_, r)| !(r.is_finite() && **r > 0.0))
        {
            return bad(format!(
                "the rate of {code} must be a positive number, got {rate}"
            ));
        }
        if self.sample_size < 100 {
            return bad(format!(
                "sample_size must be at least 100, got {}",
                self.sample_size
            ));
        }
        rfm::check_rules(&self.rfm_rules).map_err(SegmentError::InvalidParams)?;
        // The top-segment group never grows past half of the purchasers (a group of nearly
        // everyone has nothing that stands out), so more could not be honoured.
        if !(self.ideal_min_share > 0.0 && self.ideal_min_share <= icp::IDEAL_MAX_SHARE) {
            return bad(format!(
                "the ideal group's least share of purchasers must be more than 0 and at most {}, got {}: the ideal group never grows past half of the purchasers",
                icp::IDEAL_MAX_SHARE,
                self.ideal_min_share
            ));
        }
        if let IdealRule::RfmGroups(groups) = &self.ideal_rule {
            if groups.is_empty() {
                return bad("the ideal group needs at least one RFM group".into());
            }
            if let Some(g) = groups
                .iter()
                .find(|g| !self.rfm_rules.iter().any(|r| &r.name == *g))
            {
                let mut known: Vec<&str> = Vec::new();
                for r in &self.rfm_rules {
                    if !known.contains(&r.name.as_str()) {
                        known.push(&r.name);
                    }
                }
                return bad(format!(
                    "the ideal group names the RFM group {g:?}, which no RFM rule defines; the groups are {}",
                    known.join(", ")
                ));
            }
        }
        self.lead_scoring
            .check()
            .map_err(|e| SegmentError::InvalidParams(e.to_string()))?;
        if self.pseudonym_key.as_ref().is_some_and(|k| k.0.is_empty()) {
            return bad("pseudonym_key must not be empty (leave it unset to keep real ids)".into());
        }
        end_of_day(self.as_of, self.timezone)?;
        Ok(CheckedParams(self))
    }
}

/// Parameters that passed [`SegmentParams::check`].
#[derive(Clone, Debug)]
pub struct CheckedParams(SegmentParams);

impl CheckedParams {
    pub fn params(&self) -> &SegmentParams {
        &self.0
    }
}

impl std::ops::Deref for CheckedParams {
    type Target = SegmentParams;
    fn deref(&self) -> &SegmentParams {
        &self.0
    }
}

/// Maps an R×F cell range (inclusive, scores 1–5) to a group name; the first matching rule wins.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RfmRule {
    pub name: String,
    pub r: (u8, u8),
    pub f: (u8, u8),
}

pub fn default_rfm_rules() -> Vec<RfmRule> {
    let rule = |name: &str, r, f| RfmRule {
        name: name.into(),
        r,
        f,
    };
    vec![
        rule("Lost", (1, 1), (1, 1)),
        rule("Hibernating", (1, 2), (1, 2)),
        rule("At Risk", (1, 2), (3, 4)),
        rule("Can't Lose Them", (1, 2), (5, 5)),
        rule("About to Sleep", (3, 3), (1, 2)),
        rule("Need Attention", (3, 3), (3, 3)),
        rule("Loyal", (3, 4), (4, 5)),
        rule("Promising", (4, 4), (1, 1)),
        rule("New", (5, 5), (1, 1)),
        rule("Potential Loyalist", (4, 5), (2, 3)),
        rule("Champions", (5, 5), (4, 5)),
    ]
}

/// What the next run needs to keep segment ids and names stable.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ModelState {
    /// Version of this structure.
    pub state_version: u32,
    /// The run date that produced it, `YYYY-MM-DD`.
    pub as_of: String,
    pub k: usize,
    pub feature_names: Vec<String>,
    /// Sorted by id.
    pub segments: Vec<SegmentState>,
    /// The state this run was given, when an earlier date saved it: a re-run of this date starts
    /// from it again, not from this run's own centroids, so re-running a night gives the same
    /// ids, names, figures and state (see [`Previous::from_saved`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Box<ModelState>>,
}

/// The saved state as a run may use it.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Previous {
    #[default]
    None,
    Use(ModelState),
    /// A state was saved but this run may not start from it; why, for the manifest.
    Ignored(String),
}

/// The run date of a saved state, when it can be read.
pub fn saved_run_date(bytes: &[u8]) -> Option<NaiveDate> {
    #[derive(Deserialize)]
    struct Dated {
        as_of: String,
    }
    let d: Dated = serde_json::from_slice(bytes).ok()?;
    NaiveDate::parse_from_str(&d.as_of, "%Y-%m-%d").ok()
}

impl Previous {
    /// What a run dated `as_of` may start from, given the saved state file (`None` when there
    /// is none): a state an earlier date saved. A later date's state knows orders after the run
    /// date, and one this date saved is the run's own result; either may still hold the state
    /// it was given, and that one is used when an earlier date saved it. So a look back is not
    /// shaped by the future, and a re-run of a night reproduces the night.
    pub fn from_saved(saved: Option<&[u8]>, as_of: NaiveDate) -> Previous {
        let Some(bytes) = saved else {
            return Previous::None;
        };
        let state: ModelState = match serde_json::from_slice(bytes) {
            Ok(s) => s,
            Err(e) => return Previous::Ignored(format!("the saved state cannot be read ({e})")),
        };
        if state.state_version != MODEL_STATE_VERSION {
            return Previous::Ignored(format!(
                "the saved state is of version {}, this segflow reads version {MODEL_STATE_VERSION}",
                state.state_version
            ));
        }
        // Ids are published as int32 (`segment_id` in the Parquet files): a larger one, from a
        // hand-edited state, would read one id in the CSV and another in the Parquet.
        if let Some(s) = state.segments.iter().find(|s| i32::try_from(s.id).is_err()) {
            return Previous::Ignored(format!("the saved state's segment id {} is out of range", s.id));
        }
        let date = |s: &ModelState| NaiveDate::parse_from_str(&s.as_of, "%Y-%m-%d").ok();
        let Some(saved_on) = date(&state) else {
            return Previous::Ignored(format!(
                "the saved state's run date {:?} cannot be read",
                state.as_of
            ));
        };
        if saved_on < as_of {
            return Previous::Use(ModelState {
                before: None,
                ..state
            });
        }
        match state.before {
            Some(before) if date(&before).is_some_and(|d| d < as_of) => Previous::Use(ModelState {
                before: None,
                ..*before
            }),
            _ if saved_on == as_of => Previous::None,
            _ => Previous::Ignored(format!(
                "the saved state is from a run dated {saved_on}, after this run's date"
            )),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SegmentState {
    pub id: u32,
    /// The segment's name, kept by the next runs; `None` (`null`) while it has none: a segment
    /// whose figures were withheld on every run so far was only published under a placeholder
    /// ("Segment 3"), and gets a name from its profile on the first run that publishes them. A
    /// named segment whose figures are withheld keeps its name here for that run.
    #[serde(default)]
    pub name: Option<String>,
    /// In the transformed (log1p…) but unscaled feature space, so it stays meaningful when the
    /// next run's scaler differs.
    pub centroid: Vec<f64>,
}

pub const MODEL_STATE_VERSION: u32 = 1;

pub struct SegmentInputs {
    pub sales_files: Vec<PathBuf>,
    pub customers_files: Vec<PathBuf>,
    /// Curated activity (web/CRM events) for lead scoring; may be empty.
    pub activity_files: Vec<PathBuf>,
    /// `curated/refusals`: refusals kept from rows ingest quarantined (unsubscribes without a
    /// readable time, a "no" at checkout on a row without a readable amount), read for consent
    /// only; may be empty.
    pub refusal_files: Vec<PathBuf>,
    pub previous: Previous,
}

pub struct SegmentRun {
    /// File names written into the output folder, `manifest.json` last.
    pub files: Vec<String>,
    pub state: ModelState,
    pub manifest: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// Nothing to segment; never retried, the data has to change.
    #[error("no data: {0}")]
    NoData(String),
    #[error("invalid parameters: {0}")]
    InvalidParams(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("clustering: {0}")]
    Clustering(String),
    #[error("activity: {0}")]
    Activity(#[from] crate::EngineError),
}

/// First instant after `as_of` in `tz`, UTC microseconds. Some zones skip local midnight on DST
/// days, so the first local time that exists is used.
fn end_of_day(as_of: NaiveDate, tz: chrono_tz::Tz) -> Result<i64, SegmentError> {
    let invalid = || SegmentError::InvalidParams(format!("as_of {as_of} has no end of day in {tz}"));
    let mut t = as_of
        .succ_opt()
        .ok_or_else(invalid)?
        .and_hms_opt(0, 0, 0)
        .ok_or_else(invalid)?;
    for _ in 0..96 {
        if let Some(d) = tz.from_local_datetime(&t).earliest() {
            return Ok(d.timestamp_micros());
        }
        t += chrono::Duration::minutes(15);
    }
    Err(invalid())
}

/// Computes everything, then writes the result files into `out_dir` (created if missing),
/// `manifest.json` last so its presence means the set is complete.
pub fn run(
    inputs: &SegmentInputs,
    params: &CheckedParams,
    out_dir: &Path,
) -> Result<SegmentRun, SegmentError> {
    let p = &params.0;
    if inputs.sales_files.is_empty() {
        return Err(SegmentError::NoData("no sales files were given".into()));
    }
    let started = std::time::Instant::now();
    let ms = || started.elapsed().as_millis() as u64;
    let clock = Clock {
        as_of: p.as_of,
        tz: p.timezone,
        cutoff: end_of_day(p.as_of, p.timezone)?,
    };
    let (mut ids, mut places, mut strings) = (Interner::default(), Interner::default(), Interner::default());
    let aliases = customers::contact_aliases(&inputs.customers_files)?;
    let mut sales = sales::read_sales(
        &inputs.sales_files,
        clock.cutoff,
        &p.currency_rates,
        &aliases,
        &mut ids,
        &mut places,
    )?;
    let st = &sales.stats;
    tracing::info!(
        rows_read = st.rows_read,
        rows_used = st.rows_used,
        orders = sales.orders.len(),
        elapsed_ms = ms(),
        "segment: sales read"
    );
    if st.rows_used == 0 {
        return Err(SegmentError::NoData(format!(
            "no usable sales rows on or before {}: {} rows read from {} files, {} after that date, {} duplicates, {} unusable",
            p.as_of, st.rows_read, st.files, st.rows_after_as_of, st.duplicates_dropped, st.rows_unusable
        )));
    }
    let customers::CustomersRead {
        attrs,
        rows: customers_rows,
        links: customer_links,
        merged: merged_records,
    } = customers::read_customers(&inputs.customers_files, &aliases, &mut ids, &mut strings)?;
    let mut customers = features::build_customers(&sales, &attrs, &ids, &places, &clock);
    // A customers-dataset record dated after the run (a sign-up the day after with "no
    // marketing") is no customer of the run yet, but its refusal stands for the lists, which are
    // used now: it joins the refusals, under its id and addresses.
    let late_refusals: Vec<crate::leads::Activity> = {
        let mut in_run = vec![false; attrs.len()];
        for c in &customers {
            if let Some(k) = in_run.get_mut(c.idx as usize) {
                *k = true;
            }
        }
        attrs
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let a = a.filter(|a| !in_run[i] && a.marketing_consent == Some(false))?;
                Some(crate::leads::Activity {
                    contact: ids.name(i as u32).to_string(),
                    email: a.email.map(|e| strings.name(e).to_string()),
                    phone: a.phone.map(|p| strings.name(p).to_string()),
                    event_type: "unsubscribe".into(),
                    ts: crate::leads::UNDATED,
                    page: None,
                    job_title: None,
                })
            })
            .collect()
    };
    drop(attrs);
    // Lines at or beyond `IMPLAUSIBLE_AMOUNT` are left out when read, but a currency rate can
    // still carry a customer's sums past what a float holds, and one infinite feature fails
    // every k-means fit, night after night. Such a customer keeps their figures and gets no
    // segment; the manifest says how many.
    let transformed: Vec<Option<[f64; cluster::N_FEATURES]>> = par::map_range(customers.len(), |i| {
        customers[i].behaviour.as_ref().map(cluster::transform)
    });
    let (buyers, unclustered): (Vec<usize>, Vec<usize>) = (0..customers.len())
        .filter(|&i| transformed[i].is_some())
        .partition(|&i| transformed[i].is_some_and(|row| row.iter().all(|x| x.is_finite())));
    let min_buyers = 2 * p.k.unwrap_or(2);
    if buyers.len() < min_buyers {
        let left_out = match unclustered.len() {
            0 => String::new(),
            n => format!(", {n} more whose figures are too large to cluster"),
        };
        return Err(SegmentError::NoData(format!(
            "only {} customers with purchases on or before {} ({} guest rows excluded{left_out}); segmentation needs at least {min_buyers}",
            buyers.len(),
            p.as_of,
            st.guest_rows
        )));
    }

    features::score_rfm(&mut customers, &p.rfm_rules);
    let median_gap = features::assign_stages(&mut customers, p);
    tracing::info!(
        customers = customers.len(),
        purchasers = buyers.len(),
        elapsed_ms = ms(),
        "segment: features computed"
    );

    let rows: Vec<_> = buyers.iter().map(|&i| transformed[i].expect("buyer")).collect();
    drop(transformed);
    // A SHA-256 per customer: on all cores.
    let keys: Vec<(u64, &str)> = par::map_range(buyers.len(), |j| {
        let id = ids.name(customers[buyers[j]].idx);
        (hash::stable_hash(id), id)
    });
    let clustering = cluster::cluster(&rows, &keys, p, &inputs.previous)?;
    drop(rows);
    tracing::info!(
        k = clustering.k,
        chosen_by = clustering.choice.as_str(),
        elapsed_ms = ms(),
        "segment: clustered"
    );
    for (j, &i) in buyers.iter().enumerate() {
        customers[i].segment = Some(clustering.labels[j]);
    }

    let rules = &p.rfm_rules;
    let mut members: Vec<Vec<&Customer>> = vec![Vec::new(); clustering.k];
    for c in &customers {
        if let Some(s) = c.segment {
            members[s].push(c);
        }
    }
    // Three independent passes over all customers, side by side.
    let (base, profiles, facts) = std::thread::scope(|s| {
        let base = s.spawn(|| profile::profile(customers.iter(), &places, &strings, rules, p.min_group_size));
        let facts = s.spawn(|| icp::order_facts(&sales, &customers));
        let profiles: Vec<profile::Profile> = members
            .iter()
            .map(|m| profile::profile(m.iter().copied(), &places, &strings, rules, p.min_group_size))
            .collect();
        (par::join(base), profiles, par::join(facts))
    });
    drop(members);
    // The orders live on in the features and the facts: what follows needs only their counts.
    // Freed here, they are not held through the ideal-customer profile and the lists, where the
    // run peaks (37 MB of 778,696 orders at 10 M rows).
    let sales_stats = std::mem::take(&mut sales.stats);
    drop(sales);
    tracing::debug!(elapsed_ms = ms(), "segment: profiles built");
    let sizes: Vec<usize> = profiles.iter().map(|s| s.customers).collect();
    let withheld = profile::withheld(&sizes, p.min_group_size);
    let names = profile::names(&clustering.clusters, &profiles, &base, p, &withheld);
    let segments: Vec<SegmentOut> = clustering
        .clusters
        .iter()
        .zip(names)
        .zip(profiles)
        .zip(withheld)
        .map(|(((c, name), prof), withheld)| SegmentOut {
            id: c.id,
            name,
            description: profile::describe(&prof, &base, withheld, p, sales_stats.money_unit.as_deref()),
            profile: prof,
            withheld,
        })
        .collect();
    let median_monetary = base.median_monetary.expect("there are buyers");
    let pseudonymizer = p
        .pseudonym_key
        .as_ref()
        .and_then(|k| crate::privacy::Pseudonymizer::new(&k.0));
    let mut activity_files = inputs.activity_files.clone();
    activity_files.sort();
    activity_files.dedup();
    let mut activity = crate::leads::read_activity(&activity_files)?;
    let mut refusal_files = inputs.refusal_files.clone();
    refusal_files.sort();
    refusal_files.dedup();
    // Refusals kept from quarantined rows join their contact's id as its other rows do, but are
    // no events to count once: each stands, whatever address it gives.
    let mut refusals = crate::leads::read_activity(&refusal_files)?;
    crate::leads::unify_contacts_with(&mut activity, &mut refusals);
    let activity_duplicates = crate::leads::dedup_activity(&mut activity);
    let activity_events = activity.len();
    // Scored only up to the run date (see `activation::build`); counted, as sales rows are.
    let activity_after_as_of = activity.iter().filter(|a| a.ts >= clock.cutoff).count();
    let refusals_read = refusals.len();
    activity.append(&mut refusals);
    activity.extend(late_refusals);

    let mut report = Report {
        params: p,
        customers: &customers,
        ids: &ids,
        places: &places,
        strings: &strings,
        segments: &segments,
        base: &base,
        median_monetary,
        ideal_fit: Vec::new(),
        opted_out: Vec::new(),
        pseudonymizer: pseudonymizer.as_ref(),
        money_unit: sales_stats.money_unit.as_deref(),
        guest_revenue_share: guest_share(&sales_stats),
        merged_records: &merged_records,
        aliases: &aliases,
    };
    let (icp, activation, (winback_len, winback_blanked, winback_dropped)) =
        std::thread::scope(|s| -> Result<_, SegmentError> {
            // Most of customers.parquet is known now: encoded beside the ideal-customer profile
            // and the lists, which keep one core busy for much of their time, from a copy of the
            // report without the fits and refusals the lists add to it.
            let snapshot = report.clone();
            let early = s.spawn(move || output::CustomerColumns::encode(&snapshot));
            let icp = icp::build(&report, &facts);
            tracing::debug!(elapsed_ms = ms(), "segment: ideal-customer profile built");
            let activation = activation::build(&report, &icp, &activity, clock.cutoff);
            tracing::debug!(elapsed_ms = ms(), "segment: fits and lead scores computed");
            report.ideal_fit = activation.fit.clone();
            report.opted_out = activation.opted_out.clone();
            let report = &report;
            let mut winback = output::winback(report);
            // Unsubscribing in the activity data counts as refusing marketing.
            let opted_out: std::collections::HashSet<u32> = (0..customers.len())
                .filter(|&i| activation.opted_out[i])
                .map(|i| customers[i].idx)
                .collect();
            winback.retain(|c| !opted_out.contains(&c.idx));
            let (winback, winback_blanked, winback_dropped) =
                output::winback_rows(report, &winback, &activation.shared);

            std::fs::create_dir_all(out_dir).map_err(|source| SegmentError::Io {
                path: out_dir.to_path_buf(),
                source,
            })?;
            let path = |name: &str| out_dir.join(name);
            // The three largest outputs side by side: the ranked lists, customers.csv, and the
            // rest of customers.parquet, which its early part leaves the shortest, so the small
            // files follow it.
            std::thread::scope(|s| {
                let lists = s.spawn(|| {
                    activation::write_ideal_customers(
                        &activation.ideal,
                        &icp,
                        report,
                        &path(activation::IDEAL_CUSTOMERS_CSV),
                    )?;
                    activation::write_lead_scores(
                        &activation.leads,
                        p.timezone,
                        &path(activation::LEAD_SCORES_CSV),
                    )
                });
                let rest = s.spawn(|| {
                    par::join(early)?.finish(report, &path(output::CUSTOMERS_PARQUET))?;
                    output::write_segments_csv(report, &path(output::SEGMENTS_CSV))?;
                    output::write_segments_parquet(report, &path(output::SEGMENTS_PARQUET))?;
                    output::write_json(&path(output::SEGMENTS_JSON), &output::segments_json(report))?;
                    output::write_rfm_matrix(report, &path(output::RFM_MATRIX_CSV))?;
                    output::write_winback(report, &winback, &path(output::WINBACK_CSV))?;
                    output::write_json(&path(icp::ICP_JSON), &icp.json)?;
                    std::fs::write(path(icp::ICP_MD), icp.markdown.as_bytes()).map_err(|source| {
                        SegmentError::Io {
                            path: path(icp::ICP_MD),
                            source,
                        }
                    })
                });
                let csv = output::write_customers_csv(report, &path(output::CUSTOMERS_CSV));
                par::join(lists).and(par::join(rest)).and(csv)
            })?;
            Ok((icp, activation, (winback.len(), winback_blanked, winback_dropped)))
        })?;
    tracing::debug!(elapsed_ms = ms(), "segment: output files written");

    // In the order the manifest and the CLI list them.
    let mut files: Vec<String> = [
        output::CUSTOMERS_PARQUET,
        output::CUSTOMERS_CSV,
        output::SEGMENTS_CSV,
        output::SEGMENTS_PARQUET,
        output::SEGMENTS_JSON,
        output::RFM_MATRIX_CSV,
        output::WINBACK_CSV,
        icp::ICP_JSON,
        icp::ICP_MD,
        activation::IDEAL_CUSTOMERS_CSV,
        activation::LEAD_SCORES_CSV,
    ]
    .map(String::from)
    .to_vec();

    let state = ModelState {
        state_version: MODEL_STATE_VERSION,
        as_of: p.as_of.to_string(),
        k: clustering.k,
        feature_names: cluster::FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
        segments: clustering
            .clusters
            .iter()
            .zip(&segments)
            .map(|(c, s)| SegmentState {
                id: c.id,
                // Not the placeholder a withheld segment is published under.
                name: if s.withheld {
                    c.kept_name.clone()
                } else {
                    Some(s.name.clone())
                },
                centroid: c.centroid.to_vec(),
            })
            .collect(),
        before: match &inputs.previous {
            Previous::Use(given) => Some(Box::new(given.clone())),
            _ => None,
        },
    };
    let mut manifest = manifest(
        &report,
        &sales_stats,
        inputs,
        (customers_rows, customer_links),
        &clustering,
        median_gap,
        winback_len,
        &files,
    );
    let ideal_count = icp.ideal.iter().filter(|&&x| x).count();
    let negative_count = icp.negative.iter().filter(|&&x| x).count();
    manifest["inputs"]["activity_files"] = json!(activity_files.len());
    manifest["inputs"]["activity_events"] = json!(activity_events);
    manifest["inputs"]["activity_after_as_of"] = json!(activity_after_as_of);
    manifest["inputs"]["activity_duplicates_dropped"] = json!(activity_duplicates);
    manifest["inputs"]["refusal_files"] = json!(refusal_files.len());
    manifest["inputs"]["refusals_read"] = json!(refusals_read);
    manifest["counts"]["ideal_customers"] = json!(ideal_count);
    manifest["counts"]["negative_value_customers"] = json!(negative_count);
    manifest["counts"]["ideal_customers_listed"] = json!(activation.ideal.len());
    manifest["counts"]["leads_scored"] = json!(activation.leads.len());
    manifest["counts"]["leads_excluded_no_consent"] = json!(activation.leads_excluded);
    manifest["counts"]["winback_dropped_no_address"] = json!(winback_dropped);
    manifest["counts"]["addresses_left_out"] = json!({
        "winback": winback_blanked,
        "ideal_customers": activation.ideal_blanked,
        "lead_scores": activation.leads_blanked,
    });
    manifest["counts"]["customers_opted_out"] = json!(activation.opted_out.iter().filter(|&&x| x).count());
    manifest["parameters"]["ideal_rule"] = serde_json::to_value(&p.ideal_rule)?;
    manifest["parameters"]["ideal_min_share"] = json!(p.ideal_min_share);
    manifest["parameters"]["lead_scoring"] = serde_json::to_value(&p.lead_scoring)?;
    if !unclustered.is_empty() {
        let (who, have) = match unclustered.len() {
            1 => ("1 customer".to_string(), "has"),
            n => (format!("{n} customers"), "have"),
        };
        let note = format!(
            "{who} {have} figures too large to compare (sums of their lines, converted by SEGFLOW_CURRENCY_RATES, beyond what a number holds) and {have} no segment: check their lines and the rates."
        );
        if let Some(w) = manifest["warnings"].as_array_mut() {
            w.push(json!(note));
        }
    }
    // Whether ids were replaced, never the key.
    manifest["privacy"] = json!({ "customer_ids_pseudonymized": report.pseudonymizer.is_some() });
    // Names this run's content, not its clock: the same inputs and parameters give the same id
    // (and byte-identical files), and any difference in them gives another.
    let content = serde_json::to_vec(&manifest)?;
    manifest["run_id"] = json!(format!("{}-{}", p.as_of, crate::ingest::naming::hex8(&content)));
    output::write_json(&out_dir.join(output::MANIFEST_JSON), &manifest)?;
    files.push(output::MANIFEST_JSON.to_string());
    tracing::info!(files = files.len(), elapsed_ms = ms(), "segment: outputs written");
    Ok(SegmentRun {
        files,
        state,
        manifest,
    })
}

/// Guests' share of net revenue; `None` when there is none.
fn guest_share(st: &sales::SalesStats) -> Option<f64> {
    (st.total_net_revenue.abs() > 0.0).then(|| st.guest_net_revenue / st.total_net_revenue)
}

/// What a reader of the outputs should know about the inputs: amounts added across currencies,
/// sales left out for being dated after the run date, guests bringing most of the revenue.
fn warnings(st: &sales::SalesStats, p: &SegmentParams) -> Vec<String> {
    let mut w: Vec<String> = st.currency_warning.iter().cloned().collect();
    w.extend(guest_share(st).and_then(icp::guest_warning));
    if st.rows_after_as_of > 0 {
        let (rows, were) = match st.rows_after_as_of {
            1 => ("1 sales row is".to_string(), "was"),
            n => (format!("{n} sales rows are"), "were"),
        };
        w.push(format!(
            "{rows} dated after the run date {} and {were} left out (a backdated run, or dates in the future in the exports).",
            p.as_of
        ));
    }
    if st.superseded_rows > 0 {
        let rows = match st.superseded_rows {
            1 => "1 order line was".to_string(),
            n => format!("{n} order lines were"),
        };
        w.push(format!(
            "{rows} left out because another upload gives the same order (overlapping exports, or an order-level file such as Etsy's Sold Orders beside its Sold Order Items): the one listing its items tells it, then the one with its later status, then the newer export."
        ));
    }
    w
}

#[allow(clippy::too_many_arguments)]
fn manifest(
    r: &Report,
    st: &sales::SalesStats,
    inputs: &SegmentInputs,
    // Rows of customer lists, and sales exports' links (see `ingest::convert::contacts`).
    (customers_rows, customer_links): (u64, u64),
    c: &cluster::Clustering,
    median_gap: Option<f64>,
    winback: usize,
    files: &[String],
) -> Value {
    let p = r.params;
    let customers: &[Customer] = r.customers;
    // Counted by index, then named: a map lookup by name per customer was a visible part of the
    // run's single-threaded tail.
    let mut by_stage = [0usize; Stage::ALL.len()];
    let mut by_rule = vec![0usize; p.rfm_rules.len()];
    for cu in customers {
        by_stage[cu.stage as usize] += 1;
        if let Some(rfm) = cu.rfm {
            by_rule[rfm.group] += 1;
        }
    }
    let stages: BTreeMap<&str, usize> = Stage::ALL
        .iter()
        .map(|s| (s.as_str(), by_stage[*s as usize]))
        .collect();
    let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
    for (rule, n) in p.rfm_rules.iter().zip(by_rule) {
        *groups.entry(rule.name.as_str()).or_default() += n;
    }
    let purchasers = customers.iter().filter(|c| c.behaviour.is_some()).count();
    let segment_counts: BTreeMap<String, usize> = r
        .segments
        .iter()
        .map(|s| (s.id.to_string(), s.profile.customers))
        .collect();
    let silhouette_by_k: BTreeMap<String, Option<f64>> = c
        .silhouette_by_k
        .iter()
        .map(|(k, s)| (k.to_string(), s.map(|s| output::round(s, 6))))
        .collect();
    let smallest_by_k: BTreeMap<String, usize> =
        c.smallest_by_k.iter().map(|(k, s)| (k.to_string(), *s)).collect();
    let (previous_state, previous_note) = match &c.previous {
        cluster::PreviousUse::None => ("none", None),
        cluster::PreviousUse::Continued => ("continued", None),
        cluster::PreviousUse::Matched => ("matched", None),
        cluster::PreviousUse::Ignored(why) => ("ignored", Some(why.as_str())),
    };
    let guest_share = guest_share(st).map(|s| output::round(s, 6));
    json!({
        "schema_version": crate::schema::SCHEMA_VERSION,
        "software_version": env!("CARGO_PKG_VERSION"),
        "as_of": p.as_of.to_string(),
        "timezone": p.timezone.name(),
        "money_unit": st.money_unit,
        "inputs": {
            "sales_files": st.files,
            "customers_files": inputs.customers_files.len(),
            "customers_rows_read": customers_rows,
            "customer_links_read": customer_links,
            "rows_read": st.rows_read,
            "rows_used": st.rows_used,
            "rows_after_as_of": st.rows_after_as_of,
            "rows_unusable": st.rows_unusable,
            "duplicates_dropped": st.duplicates_dropped,
            "order_rows_superseded": st.superseded_rows,
            "rows_checked_for_duplicates": st.rows_checked_for_duplicates,
            "overlap_windows": st.overlap_windows,
            "return_rows": st.return_rows,
            "cancelled_rows": st.cancelled_rows,
            "guest_rows": st.guest_rows,
            "returns_matched_to_orders": st.returns_matched_to_orders,
            "guest_revenue_share": guest_share,
            "net_revenue": output::round(st.total_net_revenue, 2),
            "currencies": st.currencies,
        },
        "warnings": warnings(st, p),
        "counts": {
            "customers": customers.len(),
            "purchasers": purchasers,
            "prospects": stages["prospect"],
            "lifecycle": stages,
            "rfm_groups": groups,
            "segments": segment_counts,
            "winback": winback,
        },
        "parameters": {
            "k": p.k,
            "seed": p.seed,
            "n_runs": p.n_runs,
            "lapsed_days": p.lapsed_days,
            "new_days": p.new_days,
            "at_risk_factor": p.at_risk_factor,
            "min_group_size": p.min_group_size,
            "sample_size": p.sample_size,
            "rfm_rules": p.rfm_rules,
            "currency_rates": p.currency_rates,
        },
        "clustering": {
            "k": c.k,
            "k_chosen_by": c.choice.as_str(),
            "silhouette_by_k": silhouette_by_k,
            "smallest_segment_by_k": smallest_by_k,
            "silhouette": c.silhouette.map(|s| output::round(s, 6)),
            "inertia": output::round(c.inertia, 6),
            "features": cluster::FEATURE_NAMES,
            "fit_sample": c.fit_sample,
            "silhouette_sample": c.silhouette_sample,
            "previous_state": previous_state,
            "previous_state_note": previous_note,
            "median_gap_days": median_gap.map(|g| output::round(g, 3)),
        },
        "files": files,
    })
}
