//! Segment profiles, and the names and one-line descriptions derived from them.

use std::collections::BTreeMap;
use std::hash::Hash;

use super::cluster::Cluster;
use super::features::{Customer, Place, Stage, median};
use super::hash::MixMap;
use super::interner::Interner;
use super::{RfmRule, SegmentParams};

/// The return rate of a "Frequent returners" segment, and of each member it counts as one.
const RETURNER_RATE: f64 = 0.2;

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
    /// Share of the members who return at least [`RETURNER_RATE`] of what they buy: a few
    /// heavy returners can carry the group's value-weighted rate alone.
    pub returner_share: Option<f64>,
    pub multi_item_share: Option<f64>,
    pub new_share: Option<f64>,
    pub top_country: Option<String>,
    pub top_city: Option<String>,
    pub top_rfm_group: Option<String>,
}

/// Most common value, ties to the first in code-point order, when at least `min` customers hold
/// it: a place held by fewer would point at them. Values are counted by key (an interned index) and names compared
/// only between the few distinct keys; keys with the same name count as one value.
fn top<'a, K: Hash + Eq>(
    keys: impl Iterator<Item = K>,
    name: impl Fn(&K) -> &'a str,
    min: usize,
) -> Option<String> {
    let mut by_key: MixMap<K, usize> = MixMap::default();
    for k in keys {
        *by_key.entry(k).or_default() += 1;
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (k, n) in by_key {
        *counts.entry(name(&k)).or_default() += n;
    }
    // max_by_key returns the last maximum; iterate in reverse so the first name wins.
    counts
        .into_iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n >= min)
        .map(|(v, _)| v.to_string())
}

/// `min_group_size`: the top country, city and RFM group are named only when at least that many
/// of the members share them.
pub(super) fn profile<'a>(
    members: impl Iterator<Item = &'a Customer> + Clone,
    places: &Interner,
    strings: &Interner,
    rules: &[RfmRule],
    min_group_size: usize,
) -> Profile {
    let place_name = |p: &Place| p.name(places, strings);
    let buyers = || {
        members
            .clone()
            .filter_map(|c| c.behaviour.as_ref().map(|b| (c, b)))
    };
    let n = buyers().count();
    if n == 0 {
        return Profile::default();
    }
    let med = |f: &dyn Fn(&super::features::Behaviour) -> f64| {
        median(&mut buyers().map(|(_, b)| f(b)).collect::<Vec<_>>())
    };
    // As in customers.csv (see `Customer::places`): each customer's country and city told once.
    let (countries, cities): (Vec<Option<Place>>, Vec<Option<Place>>) =
        buyers().map(|(c, _)| c.places(places, strings)).unzip();
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
        return_rate: Some(if gross > 0.0 {
            (returned / gross).min(1.0)
        } else {
            0.0
        }),
        returner_share: Some(
            buyers().filter(|(_, b)| b.return_rate >= RETURNER_RATE).count() as f64 / n as f64,
        ),
        multi_item_share: super::features::multi_order_share(buyers().map(|(_, b)| b)),
        new_share: Some(buyers().filter(|(c, _)| c.stage == Stage::New).count() as f64 / n as f64),
        top_country: top(countries.into_iter().flatten(), place_name, min_group_size),
        top_city: top(cities.into_iter().flatten(), place_name, min_group_size),
        top_rfm_group: top(
            buyers().filter_map(|(c, _)| c.rfm.map(|r| r.group)),
            |&g| rules[g].name.as_str(),
            min_group_size,
        ),
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
    // Most of its members, not a few who return most of a large spend: a list of "returners"
    // is acted on customer by customer.
    if rr >= RETURNER_RATE
        && rr >= 2.0 * base.return_rate.unwrap_or(0.0)
        && s.returner_share.unwrap_or(0.0) >= 0.5
    {
        return "Frequent returners";
    }
    if s.median_recency_days.unwrap_or(0.0) > f64::from(p.lapsed_days) {
        return if rel_m >= 1.0 {
            "Lapsed high spenders"
        } else {
            "Lapsed low spenders"
        };
    }
    if s.new_share.unwrap_or(0.0) >= 0.5 {
        return if freq <= 1.0 {
            "New first-time buyers"
        } else {
            "New repeat buyers"
        };
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
        // "Modest" only for those who spend less than the typical customer.
        return if rel_m < 1.0 {
            "Frequent modest spenders"
        } else {
            "Frequent buyers"
        };
    }
    // Repeat buyers spending clearly less than the typical customer are not "mid-value".
    if rel_m < 0.8 {
        return "Repeat low spenders";
    }
    "Steady mid-value customers"
}

/// Which groups of a published breakdown have their figures withheld, given each group's size:
/// those under `min` customers and, while the hidden groups hold between 1 and `min` − 1
/// customers together, the smallest shown group too (complementary suppression). The hidden
/// groups' figures together follow from the base's less the published ones (their revenue share
/// is one minus the others'): together they must be a group of `min` at least, or two hidden
/// segments of 3 and 2 give away those five customers' revenue.
pub(super) fn withheld(sizes: &[usize], min: usize) -> Vec<bool> {
    let mut hide: Vec<bool> = sizes.iter().map(|&n| n < min).collect();
    let hidden = |hide: &[bool]| {
        (0..sizes.len())
            .filter(|&i| hide[i])
            .map(|i| sizes[i])
            .sum::<usize>()
    };
    while (1..min).contains(&hidden(&hide)) {
        let smallest_shown = (0..sizes.len())
            .filter(|&i| !hide[i])
            .min_by_key(|&i| (sizes[i], i));
        match smallest_shown {
            Some(i) => hide[i] = true,
            None => break,
        }
    }
    hide
}

/// `unit`: the run's money unit, for writing the spend as people read it (see
/// [`super::icp::money_text`]).
pub(super) fn describe(
    s: &Profile,
    base: &Profile,
    withheld: bool,
    p: &SegmentParams,
    unit: Option<&str>,
) -> String {
    if s.customers == 0 {
        return "No customers in this segment on this run.".into();
    }
    if withheld && s.customers < p.min_group_size {
        let m = p.min_group_size;
        return format!("Fewer than {m} customers (SEGFLOW_MIN_GROUP_SIZE={m}): figures suppressed.");
    }
    if withheld {
        let m = p.min_group_size;
        return format!(
            "Figures withheld: with them, those of a segment of fewer than {m} customers (SEGFLOW_MIN_GROUP_SIZE={m}) could be worked out."
        );
    }
    let count = |v: Option<f64>, unit: &str| match v {
        None => format!("no {unit}s"),
        Some(v) if v.fract() == 0.0 => format!("{v:.0} {unit}{}", if v == 1.0 { "" } else { "s" }),
        Some(v) => format!("{v:.1} {unit}s"),
    };
    let days = |v: Option<f64>| count(v.map(f64::round), "day");
    format!(
        "Median {} (base {}), last purchase {} ago (base {}), spend {} ({:.2}× the base median), return rate {:.1}%.",
        count(s.median_frequency, "order"),
        count(base.median_frequency, "order"),
        days(s.median_recency_days),
        days(base.median_recency_days),
        s.median_monetary
            .map_or("-".to_string(), |v| super::icp::money_text(v, unit)),
        ratio(s.median_monetary, base.median_monetary),
        100.0 * s.return_rate.unwrap_or(0.0),
    )
}

/// The name a segment whose figures are withheld is published under: a placeholder, not a name.
/// It is never kept from one run to the next (the state saves no name for such a segment), and
/// one an older segflow saved is read as no name (see [`super::cluster::cluster`]).
pub(super) fn placeholder(id: u32) -> String {
    format!("Segment {id}")
}

/// Names for the clusters: kept names stay, others are derived from the profile and made unique
/// with a number (higher-spending clusters claim the plain name first). A segment whose figures
/// are withheld is published under its [`placeholder`]: "Frequent returners" would say what its
/// figures may not. Its kept name, if it has one, is still its own (the state keeps it for the
/// night its figures are published again), so no other segment takes it.
pub(super) fn names(
    clusters: &[Cluster],
    profiles: &[Profile],
    base: &Profile,
    p: &SegmentParams,
    withheld: &[bool],
) -> Vec<String> {
    let mut names: Vec<Option<String>> = clusters
        .iter()
        .zip(withheld)
        .map(|(c, &w)| {
            if w {
                Some(placeholder(c.id))
            } else {
                c.kept_name.clone()
            }
        })
        .collect();
    let mut used: std::collections::BTreeSet<String> = names
        .iter()
        .flatten()
        .chain(clusters.iter().filter_map(|c| c.kept_name.as_ref()))
        .cloned()
        .collect();
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
    names
        .into_iter()
        .map(|n| n.expect("every cluster named"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn a_top_place_is_named_only_when_enough_customers_share_it() {
        let names = ["Paris", "Lyon"];
        let keys = || [0usize, 0, 0, 1, 1].into_iter();
        assert_eq!(top(keys(), |&k| names[k], 3).as_deref(), Some("Paris"));
        // Paris leads with 3 customers: under a minimum of 4 it would point at them.
        assert_eq!(top(keys(), |&k| names[k], 4), None);
        // Ties go to the alphabetically first.
        assert_eq!(
            top([0usize, 1].into_iter(), |&k| names[k], 1).as_deref(),
            Some("Lyon")
        );
    }

    #[test]
    fn hidden_groups_under_the_minimum_together_take_the_smallest_shown_one_with_them() {
        // Alone, the 3-customer group's revenue share would be one minus the others'.
        assert_eq!(withheld(&[40, 3, 25, 12], 10), [false, true, false, true]);
        // Ties go to the first; empty groups hide nothing and are not taken as the partner.
        assert_eq!(withheld(&[0, 12, 5, 12], 10), [true, true, true, false]);
        // Two hidden groups of 10 together cover each other; none hidden, nothing to cover.
        assert_eq!(withheld(&[4, 30, 6, 20], 10), [true, false, true, false]);
        // Two hidden groups of fewer than 10 together (3 and 2: their revenue follows from the
        // base's less the rest) take the smallest shown one with them.
        assert_eq!(withheld(&[3, 2, 40, 25], 10), [true, true, false, true]);
        assert_eq!(withheld(&[4, 5, 30, 20, 0], 10), [true, true, false, true, true]);
        assert_eq!(withheld(&[30, 0, 20], 10), [false, true, false]);
        // Nothing else to hide: the base is then under the minimum and withheld as well.
        assert_eq!(withheld(&[3], 10), [true]);
    }

    fn prof(recency: f64, freq: f64, monetary: f64, aov: f64, return_rate: f64, new_share: f64) -> Profile {
        Profile {
            customers: 50,
            median_recency_days: Some(recency),
            median_frequency: Some(freq),
            median_monetary: Some(monetary),
            median_avg_order_value: Some(aov),
            return_rate: Some(return_rate),
            // Every member returns as much as the group does.
            returner_share: Some(if return_rate >= RETURNER_RATE { 1.0 } else { 0.0 }),
            new_share: Some(new_share),
            ..Profile::default()
        }
    }

    #[test]
    fn names_follow_the_profile_and_stay_unique() {
        let p = SegmentParams::new(NaiveDate::from_ymd_opt(2024, 6, 30).unwrap());
        let base = prof(60.0, 2.0, 200.0, 100.0, 0.05, 0.1);
        let cases = [
            (prof(30.0, 3.0, 300.0, 100.0, 0.3, 0.0), "Frequent returners"),
            // The same rate carried by a few: 5 of 68 members returned anything.
            (
                Profile {
                    returner_share: Some(5.0 / 68.0),
                    ..prof(30.0, 1.0, 100.0, 100.0, 0.28, 0.0)
                },
                "One-time buyers",
            ),
            (prof(30.0, 4.0, 210.0, 100.0, 0.0, 0.0), "Frequent buyers"),
            (
                prof(30.0, 4.0, 150.0, 100.0, 0.0, 0.0),
                "Frequent modest spenders",
            ),
            (prof(300.0, 1.0, 500.0, 500.0, 0.0, 0.0), "Lapsed high spenders"),
            (prof(300.0, 1.0, 50.0, 50.0, 0.0, 0.0), "Lapsed low spenders"),
            (prof(10.0, 1.0, 80.0, 80.0, 0.0, 0.9), "New first-time buyers"),
            (
                prof(120.0, 4.0, 900.0, 225.0, 0.0, 0.0),
                "Big spenders drifting away",
            ),
            (prof(10.0, 6.0, 900.0, 150.0, 0.0, 0.0), "High-value regulars"),
            (prof(70.0, 1.0, 40.0, 40.0, 0.0, 0.0), "One-time bargain buyers"),
            (
                prof(60.0, 2.0, 210.0, 105.0, 0.0, 0.0),
                "Steady mid-value customers",
            ),
            (prof(60.0, 2.0, 150.0, 75.0, 0.0, 0.0), "Repeat low spenders"),
        ];
        for (profile, name) in &cases {
            assert_eq!(base_name(profile, &base, &p), *name, "{profile:?}");
        }
        let clusters: Vec<Cluster> = (1..=3)
            .map(|id| Cluster {
                id,
                kept_name: (id == 3).then(|| "Lapsed low spenders".to_string()),
                centroid: [0.0; 6],
            })
            .collect();
        let lapsed_low = cases
            .iter()
            .find(|c| c.1 == "Lapsed low spenders")
            .unwrap()
            .0
            .clone();
        let profiles = vec![
            lapsed_low.clone(),
            prof(300.0, 1.0, 40.0, 40.0, 0.0, 0.0),
            lapsed_low,
        ];
        assert_eq!(
            names(&clusters, &profiles, &base, &p, &[false; 3]),
            [
                "Lapsed low spenders (2)",
                "Lapsed low spenders (3)",
                "Lapsed low spenders"
            ]
        );
        // A segment whose figures are withheld is published under its id, kept name or not; its
        // kept name stays its own (the state keeps it), so no other segment takes it.
        assert_eq!(
            names(&clusters, &profiles, &base, &p, &[false, true, true]),
            ["Lapsed low spenders (2)", "Segment 2", "Segment 3"]
        );
        assert_eq!(
            names(&clusters, &profiles, &base, &p, &[false, true, false]),
            ["Lapsed low spenders (2)", "Segment 2", "Lapsed low spenders"]
        );
        assert!(
            describe(&cases[0].0, &base, false, &p, None)
                .starts_with("Median 3 orders (base 2 orders), last purchase 30 days ago")
        );
        // Toman spends are grouped and whole, as people read them.
        let toman = prof(30.0, 3.0, 323_466_000.0, 100.0, 0.0, 0.0);
        assert!(
            describe(&toman, &base, false, &p, Some("IRT")).contains("spend 323,466,000 ("),
            "{}",
            describe(&toman, &base, false, &p, Some("IRT"))
        );
    }
}
