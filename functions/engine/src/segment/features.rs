//! Per-customer behavioural features, RFM scores and lifecycle stages.

use chrono::{DateTime, Datelike, NaiveDate, Timelike};
use chrono_tz::Tz;

use super::customers::Attrs;
use super::interner::{Interner, sort_key};
use super::rfm::{Ties, group_of, quintile_scores, rank_value};
use super::sales::{MICROS_PER_DAY, NONE, Order, SalesData};
use super::{RfmRule, SegmentParams};

pub(super) const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
pub(super) const HOUR_BANDS: [&str; 5] = ["00-08", "08-12", "12-17", "17-21", "21-24"];
pub(super) const AGE_BANDS: [&str; 6] = ["<25", "25-34", "35-44", "45-54", "55-64", "65+"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Stage {
    Prospect,
    Lapsed,
    New,
    AtRisk,
    Active,
}

impl Stage {
    pub(super) const ALL: [Stage; 5] = [
        Stage::Prospect,
        Stage::Lapsed,
        Stage::New,
        Stage::AtRisk,
        Stage::Active,
    ];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Stage::Prospect => "prospect",
            Stage::Lapsed => "lapsed",
            Stage::New => "new",
            Stage::AtRisk => "at_risk",
            Stage::Active => "active",
        }
    }
}

#[derive(Clone, Debug)]
pub(super) struct Behaviour {
    pub recency_days: f64,
    pub frequency: u32,
    pub monetary: f64,
    pub gross: f64,
    pub returned: f64,
    pub avg_order_value: f64,
    pub tenure_days: f64,
    pub days_between_orders: Option<f64>,
    /// The median of the positive gaps between consecutive orders: what lifecycle stages compare
    /// the recency with. One long pause raises the mean gap (`days_between_orders`) enough to
    /// keep a weekly buyer who stopped a month ago "active".
    pub usual_gap_days: Option<f64>,
    pub items_per_order: f64,
    pub multi_item_share: f64,
    /// Orders with at least two distinct lines: group shares are taken over orders from these.
    pub multi_orders: u32,
    pub return_rate: f64,
    /// The weekday and hour band of more orders than any other; `None` when two tie.
    pub weekday: Option<usize>,
    pub hour_band: Option<usize>,
    /// The weekday × hour-band cell (weekday × 5 + band) of more orders than any other; `None` on
    /// a tie. Taken here, where each order's local time is already known.
    pub pattern: Option<usize>,
    pub country: Option<u32>,
    pub city: Option<u32>,
    pub distinct_products: u32,
    /// Local dates (in the run's time zone), days since 1970-01-01.
    pub first_day: i32,
    pub last_day: i32,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Rfm {
    pub r: u8,
    pub f: u8,
    pub m: u8,
    /// Index into the rules.
    pub group: usize,
}

#[derive(Clone, Debug)]
pub(super) struct Customer {
    pub idx: u32,
    pub behaviour: Option<Behaviour>,
    pub attrs: Option<Attrs>,
    /// Net value (negative) of a customer seen only on returns up to the run date: they bought
    /// before the data starts. Not a prospect, and not in the purchaser figures.
    pub returns_only: Option<f64>,
    pub rfm: Option<Rfm>,
    pub stage: Stage,
    /// Index into the run's segment list.
    pub segment: Option<usize>,
}

/// Where a customer's country or city comes from: their orders (interned in the run's places) or
/// the customers dataset (in its strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Place {
    Orders(u32),
    List(u32),
}

impl Place {
    pub(super) fn name<'a>(self, places: &'a Interner, strings: &'a Interner) -> &'a str {
        match self {
            Place::Orders(i) => places.name(i),
            Place::List(i) => strings.name(i),
        }
    }
}

impl Customer {
    /// The customer's country and city: their orders' (the most common), each filled in from
    /// the customers dataset where the orders give none, unless the dataset's place is another
    /// than the orders': its Berlin beside orders from France is no city of theirs, nor its
    /// Germany the country of orders from Paris.
    pub(super) fn places(&self, places: &Interner, strings: &Interner) -> (Option<Place>, Option<Place>) {
        let b = self.behaviour.as_ref();
        let a = self.attrs.as_ref();
        let (orders_country, orders_city) = (b.and_then(|b| b.country), b.and_then(|b| b.city));
        let (list_country, list_city) = (a.and_then(|a| a.country), a.and_then(|a| a.city));
        let another = |orders: Option<u32>, list: Option<u32>| matches!((orders, list), (Some(o), Some(l)) if places.name(o) != strings.name(l));
        let country = orders_country.map(Place::Orders).or_else(|| {
            list_country
                .filter(|_| !another(orders_city, list_city))
                .map(Place::List)
        });
        let city = orders_city.map(Place::Orders).or_else(|| {
            list_city
                .filter(|_| !another(orders_country, list_country))
                .map(Place::List)
        });
        (country, city)
    }
}

/// Facts about the run date every feature needs.
#[derive(Clone, Copy, Debug)]
pub(super) struct Clock {
    pub as_of: NaiveDate,
    pub tz: Tz,
    /// First instant after `as_of` in `tz`, UTC microseconds.
    pub cutoff: i64,
}

pub(super) fn epoch_days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

pub(super) fn from_epoch_days(days: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(i64::from(days))
}

fn local(tz: Tz, ts: i64) -> chrono::DateTime<Tz> {
    DateTime::from_timestamp_micros(ts)
        .unwrap_or_default()
        .with_timezone(&tz)
}

pub(super) fn hour_band(hour: u32) -> usize {
    match hour {
        0..8 => 0,
        8..12 => 1,
        12..17 => 2,
        17..21 => 3,
        _ => 4,
    }
}

/// [`mode_by_name`] of the known (not [`NONE`]) `values`, gathered in `scratch` (as long as they).
fn mode_of(scratch: &mut [u32], values: impl Iterator<Item = u32>, names: &Interner) -> Option<u32> {
    let mut k = 0;
    for v in values.filter(|&v| v != NONE) {
        scratch[k] = v;
        k += 1;
    }
    mode_by_name(&mut scratch[..k], names)
}

/// Most frequent value; ties go to the name first in code-point order (`str` order).
fn mode_by_name(values: &mut [u32], names: &Interner) -> Option<u32> {
    values.sort_unstable();
    let mut best: Option<(usize, u32)> = None;
    for run in values.chunk_by(|a, b| a == b) {
        let better = match best {
            None => true,
            Some((n, v)) => run.len() > n || (run.len() == n && names.name(run[0]) < names.name(v)),
        };
        if better {
            best = Some((run.len(), run[0]));
        }
    }
    best.map(|(_, v)| v)
}

/// The index holding more than any other, or `None` on a tie: a customer with one Monday and one
/// Friday order has no preferred day, and breaking the tie by position made Mondays and 08–12
/// look preferred by everyone with two orders.
pub(super) fn unique_mode(counts: &[u32]) -> Option<usize> {
    let best = (0..counts.len()).max_by_key(|&i| counts[i])?;
    let ties = counts.iter().filter(|&&c| c == counts[best]).count();
    (counts[best] > 0 && ties == 1).then_some(best)
}

/// The median of the positive gaps between consecutive orders (sorted by time). Orders at one
/// instant (a split checkout) give a zero gap, which says nothing about the rhythm. Most
/// customers have a few orders: their gaps are kept on the stack, not in one allocation each.
fn usual_gap(orders: &[Order]) -> Option<f64> {
    let gaps = orders
        .windows(2)
        .map(|w| (w[1].ts - w[0].ts) as f64 / MICROS_PER_DAY)
        .filter(|&g| g > 0.0);
    let mut small = [0.0f64; 32];
    if orders.len() <= small.len() {
        let mut n = 0;
        for g in gaps {
            small[n] = g;
            n += 1;
        }
        median(&mut small[..n])
    } else {
        median(&mut gaps.collect::<Vec<_>>())
    }
}

fn behaviour(orders: &[Order], sales: &SalesData, places: &Interner, clock: &Clock) -> Behaviour {
    let c = orders[0].cust as usize;
    let n = orders.len();
    let (first, last) = (orders[0].ts, orders[n - 1].ts);
    let (mut gross, mut units, mut multi) = (0.0, 0.0, 0usize);
    let (mut weekdays, mut bands, mut cells) = ([0u32; 7], [0u32; 5], [0u32; 35]);
    for o in orders {
        gross += o.value;
        units += o.units;
        multi += usize::from(o.multi);
        let t = local(clock.tz, o.ts);
        let day = t.weekday().num_days_from_monday() as usize;
        weekdays[day] += 1;
        // The first instant of the local day is how an export with dates but no times is stored
        // (midnight, or 01:00 where the clocks jump forward at midnight): the day is known, the
        // hour is not. A real order at that instant loses only its hour.
        // (A clock change moves the day's start to 01:00 at most; later hours need no second
        // conversion.)
        let day_start = t.hour() < 3 && local(clock.tz, o.ts - 1).date_naive() != t.date_naive();
        if !day_start {
            let band = hour_band(t.hour());
            bands[band] += 1;
            cells[day * 5 + band] += 1;
        }
    }
    let usual_gap_days = usual_gap(orders);
    // On the stack for most customers, as in `usual_gap`.
    let (mut small, mut large) = ([0u32; 64], Vec::new());
    let scratch: &mut [u32] = if n <= small.len() {
        &mut small[..n]
    } else {
        large.resize(n, 0);
        &mut large
    };
    let country = mode_of(scratch, orders.iter().map(|o| o.country), places);
    let city = mode_of(scratch, orders.iter().map(|o| o.city), places);

    let returned = sales.returned[c];
    let days = |micros: i64| micros as f64 / MICROS_PER_DAY;
    // Returns of purchases made before the data window can exceed in-window purchases; capping
    // keeps the rate a rate.
    let return_rate = if gross > 0.0 {
        (returned / gross).min(1.0)
    } else if returned > 0.0 {
        1.0
    } else {
        0.0
    };
    Behaviour {
        recency_days: days(clock.cutoff - last),
        frequency: n as u32,
        monetary: gross - returned,
        gross,
        returned,
        avg_order_value: gross / n as f64,
        tenure_days: days(clock.cutoff - first),
        days_between_orders: (n >= 2).then(|| days(last - first) / (n - 1) as f64),
        usual_gap_days,
        items_per_order: units / n as f64,
        multi_item_share: multi as f64 / n as f64,
        multi_orders: multi as u32,
        return_rate,
        weekday: unique_mode(&weekdays),
        hour_band: unique_mode(&bands),
        pattern: unique_mode(&cells),
        country,
        city,
        distinct_products: sales.distinct_products[c],
        first_day: epoch_days(local(clock.tz, first).date_naive()),
        last_day: epoch_days(local(clock.tz, last).date_naive()),
    }
}

/// The share of a group's orders that have at least two distinct lines: over orders, as the
/// return rate is over value, so a customer with 40 orders weighs 40 times one with one order.
pub(super) fn multi_order_share<'a>(buyers: impl Iterator<Item = &'a Behaviour>) -> Option<f64> {
    let (multi, orders) = buyers.fold((0u64, 0u64), |(m, n), b| {
        (m + u64::from(b.multi_orders), n + u64::from(b.frequency))
    });
    (orders > 0).then(|| multi as f64 / orders as f64)
}

/// Customers with purchases plus known customers without any (prospects, and ids seen only on
/// returns), sorted by customer id. Prospects who signed up after the run date did not exist yet
/// and are left out.
pub(super) fn build_customers(
    sales: &SalesData,
    attrs: &[Option<Attrs>],
    ids: &Interner,
    places: &Interner,
    clock: &Clock,
) -> Vec<Customer> {
    let runs: Vec<&[Order]> = sales.orders.chunk_by(|a, b| a.cust == b.cust).collect();
    let mut run_of = vec![u32::MAX; ids.len()];
    for (j, run) in runs.iter().enumerate() {
        run_of[run[0].cust as usize] = j as u32;
    }
    let as_of_days = epoch_days(clock.as_of);
    let mut keep: Vec<(u128, u32)> = (0..ids.len())
        .filter(|&i| {
            let a = attrs.get(i).copied().flatten();
            let returns_only = sales.returned.get(i).is_some_and(|&r| r > 0.0);
            run_of[i] != u32::MAX
                || returns_only
                || a.is_some_and(|a| a.signup_date.is_none_or(|d| d <= as_of_days))
        })
        .map(|i| (sort_key(ids.name(i as u32)), i as u32))
        .collect();
    // By id. The keys order ids as their strings do, exactly for short ids, so the strings are
    // compared only for long ids sharing their first bytes. Ids are distinct, so an unstable sort
    // gives the one order there is.
    keep.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| ids.name(a.1).cmp(ids.name(b.1))));
    // Each customer depends on their own orders alone: built on all cores, in place. Behaviours
    // computed first and moved into customers after took a single-threaded pass of copying.
    super::par::map_range(keep.len(), |j| {
        let i = keep[j].1;
        // `u32::MAX` (no orders) is past the end of `runs`.
        let run = runs.get(run_of[i as usize] as usize);
        Customer {
            idx: i,
            behaviour: run.map(|run| behaviour(run, sales, places, clock)),
            attrs: attrs.get(i as usize).copied().flatten(),
            returns_only: run
                .is_none()
                .then(|| sales.returned.get(i as usize).copied())
                .flatten()
                .filter(|&r| r > 0.0)
                .map(|r| -r),
            rfm: None,
            stage: Stage::Prospect,
            segment: None,
        }
    })
}

/// The median (mean of the middle two for an even count). Reorders `values`: a selection, not a
/// sort, since profiles take ~20 medians over all customers.
pub(super) fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let (below, &mut mid, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    Some(if n % 2 == 1 {
        mid
    } else {
        // The largest value below the middle is the other middle one.
        let lower = below.iter().copied().max_by(f64::total_cmp).expect("n ≥ 2");
        (lower + mid) / 2.0
    })
}

/// RFM scores and groups for every customer with purchases.
pub(super) fn score_rfm(customers: &mut [Customer], rules: &[RfmRule]) {
    let buyers: Vec<usize> = (0..customers.len())
        .filter(|&i| customers[i].behaviour.is_some())
        .collect();
    if buyers.is_empty() {
        return;
    }
    let b = |i: usize| customers[i].behaviour.as_ref().expect("buyer");
    let scores = |f: &(dyn Fn(&Behaviour) -> f64 + Sync), ties| {
        quintile_scores(&buyers.iter().map(|&i| f(b(i))).collect::<Vec<_>>(), ties)
    };
    // Three independent sorts over all buyers, side by side.
    let (r, f, m) = std::thread::scope(|s| {
        // Smaller recency is better: negated, a larger value is better.
        let r = s.spawn(|| scores(&|b| -b.recency_days, Ties::Middle));
        let f = s.spawn(|| scores(&|b| f64::from(b.frequency), Ties::Lowest));
        let m = scores(&|b| rank_value(b.monetary), Ties::Middle);
        (super::par::join(r), super::par::join(f), m)
    });
    for (j, &i) in buyers.iter().enumerate() {
        let group = group_of(rules, r[j], f[j]).expect("rules are checked to cover every cell");
        customers[i].rfm = Some(Rfm {
            r: r[j],
            f: f[j],
            m: m[j],
            group,
        });
    }
}

/// Lifecycle stages; returns the median gap between orders of repeat customers (the expected gap
/// for one-order customers), if any.
pub(super) fn assign_stages(customers: &mut [Customer], p: &SegmentParams) -> Option<f64> {
    let mut gaps: Vec<f64> = customers
        .iter()
        .filter_map(|c| c.behaviour.as_ref()?.usual_gap_days)
        .collect();
    let median_gap = median(&mut gaps);
    // The thresholds count local calendar days: elapsed time would put a purchase 179 days
    // before the run date past 180 days whenever the clocks went back an hour in between.
    // A purchase on the day `lapsed_days` before the run date is more than that many days
    // before the run date's end, at any time of that day; a first purchase `new_days` before
    // it is not within them.
    let today = epoch_days(p.as_of);
    let days_before = |day: i32| i64::from(today) - i64::from(day);
    for c in customers.iter_mut() {
        c.stage = match &c.behaviour {
            // Their purchase is older than the data: a customer gone quiet, not a prospect.
            None if c.returns_only.is_some() => Stage::Lapsed,
            None => Stage::Prospect,
            Some(b) if days_before(b.last_day) >= i64::from(p.lapsed_days) => Stage::Lapsed,
            Some(b) if days_before(b.first_day) < i64::from(p.new_days) => Stage::New,
            Some(b) => {
                let expected = b.usual_gap_days.or(median_gap);
                match expected {
                    Some(g) if b.recency_days > p.at_risk_factor * g => Stage::AtRisk,
                    _ => Stage::Active,
                }
            }
        };
    }
    median_gap
}

/// Age band from the stated age or else from the birth date as of the run date.
pub(super) fn age_band(a: &Attrs, as_of: NaiveDate) -> Option<&'static str> {
    let age = match (a.age, a.birth_date) {
        (Some(age), _) => age,
        (None, Some(b)) => i32::try_from(as_of.years_since(from_epoch_days(b))?).ok()?,
        (None, None) => return None,
    };
    Some(match age {
        ..0 => return None,
        0..25 => AGE_BANDS[0],
        25..35 => AGE_BANDS[1],
        35..45 => AGE_BANDS[2],
        45..55 => AGE_BANDS[3],
        55..65 => AGE_BANDS[4],
        65..=120 => AGE_BANDS[5],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orders(days: &[f64]) -> Vec<Order> {
        days.iter()
            .map(|&d| Order {
                cust: 0,
                ts: (d * MICROS_PER_DAY) as i64,
                value: 1.0,
                returned: 0.0,
                units: 1.0,
                multi: false,
                country: NONE,
                city: NONE,
            })
            .collect()
    }

    /// The same median on the stack (few orders) and on the heap (many), zero gaps left out.
    #[test]
    fn usual_gap_is_the_median_positive_gap() {
        assert_eq!(usual_gap(&orders(&[0.0])), None);
        assert_eq!(usual_gap(&orders(&[0.0, 0.0])), None);
        assert_eq!(usual_gap(&orders(&[0.0, 3.0, 3.0, 6.0, 9.0, 60.0])), Some(3.0));
        for n in [31usize, 32, 33, 40] {
            // Gaps 1, 2, …, n − 1 days: the median of 1..n−1.
            let mut day = 0.0;
            let days: Vec<f64> = (0..n)
                .map(|i| {
                    day += i as f64;
                    day
                })
                .collect();
            let gaps = (n - 1) as f64;
            assert_eq!(usual_gap(&orders(&days)), Some((gaps + 1.0) / 2.0), "{n} orders");
        }
    }
}
