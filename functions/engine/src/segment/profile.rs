//! Segment profiles, and the names and one-line descriptions derived from them.

use std::collections::BTreeMap;

use super::cluster::Cluster;
use super::features::{Customer, Stage, median};
use super::sales::Interner;
use super::{RfmRule, SegmentParams};

#[derive(Clone, Debug, Default)]
pub(super) struct Profile {
    pub customers: usize,
    /// Sum of monetary (net revenue).
    pub revenue: f64,
    pub median_recency_days: Option<f64>,
    pub median_frequency: Option<f64>,
    pub median_monetary: Option<f64>,
    pub median_avg_order_value: Option<f64>,
    pub median_tenure_days: Option<f64>,
    /// Returned value over purchased value of the whole group.
    pub return_rate: Option<f64>,
    pub multi_item_share: Option<f64>,
    pub new_share: Option<f64>,
    pub top_country: Option<String>,
    pub top_city: Option<String>,
    pub top_rfm_group: Option<String>,
}

/// Most common value, ties alphabetical.
fn top<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    // max_by_key returns the last maximum; iterate in reverse so the alphabetically first wins.
    counts.into_iter().rev().max_by_key(|(_, n)| *n).map(|(v, _)| v.to_string())
}

pub(super) fn profile<'a>(
    members: impl Iterator<Item = &'a Customer> + Clone,
    places: &Interner,
    strings: &Interner,
    rules: &[RfmRule],
) -> Profile {
    let buyers = || members.clone().filter_map(|c| c.behaviour.as_ref().map(|b| (c, b)));
    let n = buyers().count();
    if n == 0 {
        return Profile::default();
    }
    let med = |f: &dyn Fn(&super::features::Behaviour) -> f64| median(&mut buyers().map(|(_, b)| f(b)).collect::<Vec<_>>());
    let gross: f64 = buyers().map(|(_, b)| b.gross).sum();
    let returned: f64 = buyers().map(|(_, b)| b.returned).sum();
    Profile {
        customers: n,
        revenue: buyers().map(|(_, b)| b.monetary).sum(),
        median_recency_days: med(&|b| b.recency_days),
        median_frequency: med(&|b| f64::from(b.frequency)),
        median_monetary: med(&|b| b.monetary),
        median_avg_order_value: med(&|b| b.avg_order_value),
        median_tenure_days: med(&|b| b.tenure_days),
        return_rate: Some(if gross > 0.0 { (returned / gross).min(1.0) } else { 0.0 }),
        multi_item_share: Some(buyers().map(|(_, b)| b.multi_item_share).sum::<f64>() / n as f64),
        new_share: Some(buyers().filter(|(c, _)| c.stage == Stage::New).count() as f64 / n as f64),
        top_country: top(buyers().filter_map(|(c, b)| {
            b.country.map(|i| places.name(i)).or_else(|| c.attrs?.country.map(|i| strings.name(i)))
        })),
        top_city: top(buyers().filter_map(|(c, b)| b.city.map(|i| places.name(i)).or_else(|| c.attrs?.city.map(|i| strings.name(i))))),
        top_rfm_group: top(buyers().filter_map(|(c, _)| c.rfm.map(|r| rules[r.group].name.as_str()))),
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> f64 {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => a / b,
        _ => 1.0,
    }
}

/// A name from how the segment differs from the whole base. Rules are ordered from the most
/// actionable (returns, lapsing) to the least.
fn base_name(s: &Profile, base: &Profile, p: &SegmentParams) -> &'static str {
    let rel_m = ratio(s.median_monetary, base.median_monetary);
    let rel_r = ratio(s.median_recency_days, base.median_recency_days);
    let freq = s.median_frequency.unwrap_or(0.0);
    let base_freq = base.median_frequency.unwrap_or(0.0);
    let rr = s.return_rate.unwrap_or(0.0);
    if rr >= 0.2 && rr >= 2.0 * base.return_rate.unwrap_or(0.0) {
        return "Frequent returners";
    }
    if s.median_recency_days.unwrap_or(0.0) > f64::from(p.lapsed_days) {
        return if rel_m >= 1.0 { "Lapsed high spenders" } else { "Lapsed low spenders" };
    }
    if s.new_share.unwrap_or(0.0) >= 0.5 {
        return if freq <= 1.0 { "New first-time buyers" } else { "New repeat buyers" };
    }
    if rel_m >= 1.5 {
        return if rel_r >= 1.5 {
            "Big spenders drifting away"
        } else if freq >= base_freq.max(2.0) {
            "High-value regulars"
        } else {
            "Big-ticket occasional buyers"
        };
    }
    if freq <= 1.0 {
        return if ratio(s.median_avg_order_value, base.median_avg_order_value) < 1.0 {
            "One-time bargain buyers"
        } else {
            "One-time buyers"
        };
    }
    if rel_r >= 1.5 {
        return "Occasional buyers drifting away";
    }
    if freq > base_freq {
        return "Frequent modest spenders";
    }
    "Steady mid-value customers"
}

pub(super) fn suppressed(s: &Profile, p: &SegmentParams) -> bool {
    s.customers < p.min_group_size
}

pub(super) fn describe(s: &Profile, base: &Profile, p: &SegmentParams) -> String {
    if s.customers == 0 {
        return "No customers in this segment on this run.".into();
    }
    if suppressed(s, p) {
        return format!("Fewer than {} customers: figures suppressed.", p.min_group_size);
    }
    let f = |v: Option<f64>, d: usize| v.map_or("-".to_string(), |v| format!("{v:.d$}"));
    format!(
        "Median {} orders (base {}), last purchase {} days ago (base {}), spend {} ({:.1}× the base median), return rate {:.1}%.",
        f(s.median_frequency, 0),
        f(base.median_frequency, 0),
        f(s.median_recency_days, 0),
        f(base.median_recency_days, 0),
        f(s.median_monetary, 2),
        ratio(s.median_monetary, base.median_monetary),
        100.0 * s.return_rate.unwrap_or(0.0),
    )
}

/// Names for the clusters: kept names stay, others are derived from the profile and made unique
/// with a number (higher-spending clusters claim the plain name first).
pub(super) fn names(clusters: &[Cluster], profiles: &[Profile], base: &Profile, p: &SegmentParams) -> Vec<String> {
    let mut names: Vec<Option<String>> = clusters.iter().map(|c| c.kept_name.clone()).collect();
    let mut used: std::collections::BTreeSet<String> = names.iter().flatten().cloned().collect();
    let mut order: Vec<usize> = (0..clusters.len()).filter(|&i| names[i].is_none()).collect();
    order.sort_by(|&a, &b| {
        let m = |i: usize| profiles[i].median_monetary.unwrap_or(f64::NEG_INFINITY);
        m(b).total_cmp(&m(a)).then(clusters[a].id.cmp(&clusters[b].id))
    });
    for i in order {
        let stem = base_name(&profiles[i], base, p);
        let name = std::iter::once(stem.to_string())
            .chain((2..).map(|n| format!("{stem} ({n})")))
            .find(|n| !used.contains(n))
            .expect("an unused numbered name exists");
        used.insert(name.clone());
        names[i] = Some(name);
    }
    names.into_iter().map(|n| n.expect("every cluster named")).collect()
}
