//! The ideal customer profile (ICP): the most valuable customers by a documented rule, how they
//! differ from the whole base (lift = share in the group / share in the base), the same for the
//! customers who cost money, and the lift tables the lookalike fit score is built from.
//!
//! Every figure over fewer than `min_group_size` customers is left out, so neither the JSON nor
//! the Markdown can describe a handful of identifiable people.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::features::{Customer, HOUR_BANDS, Place, Stage, WEEKDAYS, age_band, median};
use super::interner::Interner;
use super::output::{Report, fixed, markdown_safe, round};
use super::sales::SalesData;

/// Which customers form the ideal group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum IdealRule {
    /// Segments ranked by value = median net revenue per customer × (1 − share lapsed), taken in
    /// that order until they cover at least `ideal_min_share` of the purchasing customers (at
    /// least `min_group_size`), never more than half of them: a segment that would take the group
    /// past half gives only its customers with the best RFM scores, as many as still wanted.
    TopSegments,
    /// Customers in these RFM groups (names of `rfm_rules`), e.g. Champions and Loyal.
    RfmGroups(Vec<String>),
}

pub(super) const ICP_JSON: &str = "ideal_customer_profile.json";
pub(super) const ICP_MD: &str = "ideal_customer_profile.md";

/// The negative-value group's name: most of its members still bring in some revenue, so it says
/// what they do rather than "customers who cost you money".
const NEGATIVE_HEADING: &str = "Frequent returners and customers with no net revenue";

/// Return rate from which a customer belongs to the negative-value profile.
pub(super) const NEGATIVE_RETURN_RATE: f64 = 0.3;
/// Lifts outside [LIFT_LOW, LIFT_HIGH] are highlighted (1 / 1.3 ≈ 0.77).
pub(super) const LIFT_HIGH: f64 = 1.3;
pub(super) const LIFT_LOW: f64 = 0.77;
/// Medians that differ by at least this share are highlighted.
pub(super) const MEDIAN_DIFF: f64 = 0.25;
/// Whether a trait's lift is called out, judged as printed (two decimals): a lift of 1.296 is
/// shown as 1.3, and a reader applying the rule to it expects the highlight.
pub(super) fn lift_highlighted(lift: f64) -> bool {
    let shown = round(lift, 2);
    shown >= LIFT_HIGH || shown <= LIFT_LOW
}

/// Whether a figure's ratio to the base is called out, judged as printed (two decimals).
fn ratio_highlighted(ratio: f64) -> bool {
    (round(ratio, 2) - 1.0).abs() >= MEDIAN_DIFF
}

/// Pseudo-customers that pull the lift of thinly supported values towards 1 in the fit score.
const SMOOTHING: f64 = 10.0;
/// Largest |ln lift| one trait can add to the fit: no single trait decides it.
const CLIP: f64 = 1.5;

pub(super) const N_DIMS: usize = 14;
/// The first five dimensions are explicit attributes, known for prospects and leads too; the
/// others come from purchases.
pub(super) const DIM_NAMES: [&str; N_DIMS] = [
    "country",
    "city",
    "age_band",
    "gender",
    "job_title",
    "purchase_pattern",
    "basket",
    "order_value",
    "spend",
    "frequency",
    "recency",
    "tenure",
    "rhythm",
    "returns",
];
const JOB_TITLE: usize = 4;
/// The weight of every term of the fit (see [`Scoring::fit`]).
const TERM_WEIGHT: f64 = 0.5;

/// One person's value per dimension (job titles lower-cased, so "CEO" and "ceo" are one value),
/// as an index into that dimension's table in [`TraitValues`].
pub(super) type Traits = [Option<u32>; N_DIMS];

/// The distinct values of each dimension, stored once. 200 k customers × 13 dimensions as
/// separate strings were the largest block of a segment run's memory, and lift tables indexed by
/// value instead of keyed by string spare millions of string comparisons. Indices are internal:
/// everything written lists values in name order.
#[derive(Default)]
pub(super) struct TraitValues([Interner; N_DIMS]);

impl TraitValues {
    fn name(&self, d: usize, v: u32) -> &str {
        self.0[d].name(v)
    }

    /// The values of dimension `d` in name order.
    fn sorted(&self, d: usize) -> Vec<u32> {
        let n = u32::try_from(self.0[d].len()).expect("interned indices fit in u32");
        let mut ids: Vec<u32> = (0..n).collect();
        ids.sort_unstable_by(|&a, &b| self.name(d, a).cmp(self.name(d, b)));
        ids
    }
}

/// One value per job title however it is spelt: case, spaces and ZWNJ, Arabic or Persian letters
/// ("مدیرعامل", "مدیر عامل", "مدير‌عامل" are one title, as lead scoring weighs them).
pub(super) fn job_key(title: &str) -> Option<String> {
    let t: String = crate::values::key_chars(title).collect();
    (!t.is_empty()).then_some(t)
}

/// "Mondays 08–12" for a weekday × hour-band cell.
pub(super) fn pattern_label(cell: usize) -> String {
    format!(
        "{}s {}",
        WEEKDAYS[cell / 5],
        HOUR_BANDS[cell % 5].replace('-', "–")
    )
}

/// Per-order facts the customer features do not keep: the order values, net of what returns
/// under the same order id took back, without the orders they took back whole (a refunded order
/// sets no spend threshold).
pub(super) struct OrderFacts {
    values: Vec<f64>,
    span: Vec<(usize, usize)>,
}

impl OrderFacts {
    fn order_values(&self, i: usize) -> &[f64] {
        &self.values[self.span[i].0..self.span[i].1]
    }
}

pub(super) fn order_facts(sales: &SalesData, customers: &[Customer]) -> OrderFacts {
    let max_idx = customers.iter().map(|c| c.idx as usize + 1).max().unwrap_or(0);
    let mut pos = vec![usize::MAX; max_idx];
    for (i, c) in customers.iter().enumerate() {
        pos[c.idx as usize] = i;
    }
    let n = customers.len();
    let mut span = vec![(0, 0); n];
    let mut values: Vec<f64> = Vec::with_capacity(sales.orders.len());
    for run in sales.orders.chunk_by(|a, b| a.cust == b.cust) {
        let start = values.len();
        values.extend(run.iter().filter_map(|o| {
            let net = o.value - o.returned;
            // Half a cent: sums of the same amounts in another order differ in the last bits.
            (o.returned == 0.0 || net > 0.005).then_some(net)
        }));
        if let Some(&p) = pos.get(run[0].cust as usize)
            && p != usize::MAX
        {
            span[p] = (start, values.len());
        }
    }
    OrderFacts { values, span }
}

/// Spend and average-order-value bands of the purchasers.
struct Bands {
    spend: Band,
    aov: Band,
}

/// Quartile cut points (nearest rank) of one purchaser figure, with each band's label built once.
struct Band {
    cuts: [f64; 3],
    labels: [u32; 4],
}

impl Band {
    fn new(values: Vec<f64>, what: &str, unit: Option<&str>, table: &mut Interner) -> Band {
        let cuts = quartiles(values);
        let f = |v: f64| money_text(v, unit);
        let labels = [
            format!("{what} under {}", f(cuts[0])),
            format!("{what} {}–{}", f(cuts[0]), f(cuts[1])),
            format!("{what} {}–{}", f(cuts[1]), f(cuts[2])),
            format!("{what} {} and more", f(cuts[2])),
        ]
        .map(|l| table.intern(&l));
        Band { cuts, labels }
    }

    /// The band of `x`: as many cut points as lie at or below it.
    fn label(&self, x: f64) -> u32 {
        self.labels[self.cuts.iter().filter(|&&t| x >= t).count()]
    }
}

/// Figures in money, which the Markdown and the band names print with [`money_text`].
const MONEY_FIGURES: [&str; 5] = [
    "min_order_value",
    "median_order_value",
    "max_order_value",
    "median_net_revenue",
    "median_avg_order_value",
];

/// Money as a reader expects it: thousands grouped, and in Toman whole (no one prices in tenths
/// of a Toman): "6,795,000" where "6795000.00" had to be counted digit by digit.
pub(super) fn money_text(v: f64, unit: Option<&str>) -> String {
    let decimals = if matches!(unit, Some("IRT" | "IRR")) { 0 } else { 2 };
    let s = fixed(v, decimals);
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::from(sign);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

fn quartiles(mut v: Vec<f64>) -> [f64; 3] {
    if v.is_empty() {
        return [0.0; 3];
    }
    v.sort_by(f64::total_cmp);
    let at = |q: usize| v[(q * v.len() / 4).min(v.len() - 1)];
    [at(1), at(2), at(3)]
}

/// "Mostly" is more than half: a customer with as many of each is neither.
const BASKET: [&str; 3] = [
    "mostly single-item orders",
    "as many single- as multi-item orders",
    "mostly multi-item orders",
];
const FREQUENCY: [&str; 4] = ["1 order", "2–3 orders", "4–9 orders", "10+ orders"];
const RECENCY: [&str; 5] = [
    "last order within 30 days",
    "last order 31–90 days ago",
    "last order 91–180 days ago",
    "last order 181–365 days ago",
    "last order over a year ago",
];
const TENURE: [&str; 4] = [
    "customer for under 90 days",
    "customer for 90–365 days",
    "customer for 1–2 years",
    "customer for over 2 years",
];
/// Customers who return 30 % or more of what they buy (the negative-value profile's rule):
/// without the trait, one who sends most things back but ordered lately ranked above steady
/// buyers who keep what they buy. Fewer returns are no trait: frequent buyers return a little
/// more often than others, and "no returns" or "returns under 30 %" as traits cut the fit's
/// top-10 % precision in the evaluation (docs/lookalike-evaluation.md).
const RETURNS: [&str; 1] = ["returns 30% or more of purchases"];
/// The returns dimension: a flag, which every buyer without it does not have, rather than a value
/// some are unknown for. Its shares are of every customer, else the flag would be held by all
/// the customers "known" for it (shares and lift 1 whatever the counts, no weight in the fit).
const RETURNS_DIM: usize = 13;
const RHYTHM: [&str; 3] = [
    "reorders within 30 days",
    "reorders every 31–90 days",
    "reorders less often than every 90 days",
];

/// Builds every customer's traits. Each distinct value is interned once and then found by what
/// it was derived from (a phrase number, a place's index), not hashed again per customer.
struct TraitBuilder {
    values: TraitValues,
    /// Per dimension and phrase number (weekday × hour-band cell for the purchase pattern).
    phrases: [[Option<u32>; 35]; N_DIMS],
    /// Countries (0) and cities (1) by their index in the sales rows' and in the customers
    /// dataset's interner.
    sales_places: [Vec<Option<u32>>; 2],
    customer_places: [Vec<Option<u32>>; 2],
}

impl TraitBuilder {
    fn new(r: &Report) -> TraitBuilder {
        TraitBuilder {
            values: TraitValues::default(),
            phrases: [[None; 35]; N_DIMS],
            sales_places: [vec![None; r.places.len()], vec![None; r.places.len()]],
            customer_places: [vec![None; r.strings.len()], vec![None; r.strings.len()]],
        }
    }

    fn phrase(&mut self, d: usize, k: usize, text: impl FnOnce() -> String) -> u32 {
        let values = &mut self.values.0[d];
        *self.phrases[d][k].get_or_insert_with(|| values.intern(&text()))
    }

    fn fixed(&mut self, d: usize, phrases: &[&str], k: usize) -> Option<u32> {
        Some(self.phrase(d, k, || phrases[k].to_string()))
    }

    /// Dimension `d` (0 country, 1 city) of a place as customers.csv gives it (see
    /// `Customer::places`).
    fn place(&mut self, r: &Report, d: usize, place: Option<Place>) -> Option<u32> {
        let values = &mut self.values.0[d];
        Some(match place? {
            Place::Orders(i) => {
                *self.sales_places[d][i as usize].get_or_insert_with(|| values.intern(r.places.name(i)))
            }
            Place::List(i) => {
                *self.customer_places[d][i as usize].get_or_insert_with(|| values.intern(r.strings.name(i)))
            }
        })
    }

    fn customer(&mut self, r: &Report, bands: &Bands, i: usize) -> Traits {
        let c = &r.customers[i];
        let b = c.behaviour.as_ref();
        let a = c.attrs.as_ref();
        let mut t: Traits = Default::default();
        let (country, city) = c.places(r.places, r.strings);
        t[0] = self.place(r, 0, country);
        t[1] = self.place(r, 1, city);
        let v = &mut self.values.0;
        t[2] = a
            .and_then(|a| age_band(a, r.params.as_of))
            .map(|s| v[2].intern(s));
        t[3] = a.and_then(|a| a.gender).map(|g| v[3].intern(r.strings.name(g)));
        t[4] = a
            .and_then(|a| a.job_title)
            .and_then(|j| job_key(r.strings.name(j)))
            .map(|k| v[4].intern(&k));
        let Some(b) = b else { return t };
        t[5] = b.pattern.map(|cell| self.phrase(5, cell, || pattern_label(cell)));
        let basket = match b.multi_item_share.total_cmp(&0.5) {
            std::cmp::Ordering::Less => 0,
            std::cmp::Ordering::Equal => 1,
            std::cmp::Ordering::Greater => 2,
        };
        t[6] = self.fixed(6, &BASKET, basket);
        t[7] = Some(bands.aov.label(b.avg_order_value));
        t[8] = Some(bands.spend.label(b.monetary));
        let frequency = match b.frequency {
            0..=1 => 0,
            2..=3 => 1,
            4..=9 => 2,
            _ => 3,
        };
        t[9] = self.fixed(9, &FREQUENCY, frequency);
        let recency = match b.recency_days {
            d if d <= 30.0 => 0,
            d if d <= 90.0 => 1,
            d if d <= 180.0 => 2,
            d if d <= 365.0 => 3,
            _ => 4,
        };
        t[10] = self.fixed(10, &RECENCY, recency);
        let tenure = match b.tenure_days {
            d if d < 90.0 => 0,
            d if d < 365.0 => 1,
            d if d < 730.0 => 2,
            _ => 3,
        };
        t[11] = self.fixed(11, &TENURE, tenure);
        // One order has no rhythm: the frequency band already says "1 order", and saying it
        // again would count it twice in the fit and list it twice in the profile.
        if let Some(g) = b.days_between_orders {
            let rhythm = match g {
                g if g <= 30.0 => 0,
                g if g <= 90.0 => 1,
                _ => 2,
            };
            t[12] = self.fixed(12, &RHYTHM, rhythm);
        }
        if b.return_rate >= NEGATIVE_RETURN_RATE {
            t[RETURNS_DIM] = self.fixed(RETURNS_DIM, &RETURNS, 0);
        }
        t
    }
}

/// Group and base counts per dimension value.
pub(super) struct Lifts {
    /// Per dimension, per value index: (group, base) customers with that value.
    counts: Vec<Vec<(usize, usize)>>,
    /// Per dimension: group and base customers whose value is known.
    known: Vec<(usize, usize)>,
    min_group: usize,
}

impl Lifts {
    fn new(
        traits: &[Traits],
        values: &TraitValues,
        base: &[usize],
        group: &[bool],
        min_group: usize,
    ) -> Lifts {
        let mut counts: Vec<Vec<(usize, usize)>> = values.0.iter().map(|t| vec![(0, 0); t.len()]).collect();
        let mut known = vec![(0, 0); N_DIMS];
        for &i in base {
            for (d, v) in traits[i].iter().enumerate() {
                if let &Some(v) = v {
                    let e = &mut counts[d][v as usize];
                    e.1 += 1;
                    if group[i] {
                        e.0 += 1;
                    }
                }
                if v.is_some() || d == RETURNS_DIM {
                    known[d].1 += 1;
                    known[d].0 += usize::from(group[i]);
                }
            }
        }
        Lifts {
            counts,
            known,
            min_group,
        }
    }

    /// (shares in group and base, lift) of one value; `None` when a denominator is 0.
    fn raw(&self, d: usize, v: u32) -> Option<(usize, usize, f64, f64, f64)> {
        let (g, b) = self.counts[d][v as usize];
        let (gk, bk) = self.known[d];
        if gk == 0 || bk == 0 || b == 0 {
            return None;
        }
        let (sg, sb) = (g as f64 / gk as f64, b as f64 / bk as f64);
        Some((g, b, sg, sb, sg / sb))
    }

    /// Contribution of one trait to the fit (clipped ln of the smoothed lift) and the smoothed
    /// lift itself; values seen on fewer than `min_group` base customers say nothing. Unlike the
    /// profile's trait table, a value held almost only by the group still counts: it is the
    /// strongest evidence there is (leaving such values out cut the evaluation's top-10 %
    /// precision from 0.54 to 0.47), and the lists that show it are about single people anyway.
    fn contribution(&self, d: usize, v: u32) -> Option<(f64, f64)> {
        let (g, b) = self.counts[d][v as usize];
        let (gk, bk) = self.known[d];
        if b < self.min_group.max(1) || bk == 0 {
            return None;
        }
        let pb = b as f64 / bk as f64;
        let lift = ((g as f64 + SMOOTHING * pb) / (gk as f64 + SMOOTHING)) / pb;
        Some((lift.ln().clamp(-CLIP, CLIP), lift))
    }
}

/// A trait as a reason phrase, e.g. "job title CEO (×2.5)"; `None` when the trait does not raise
/// the fit: a reason says why someone resembles the ideal customers, so a lift of 1 or below
/// (also one above 1 that shows as "×1.0") is no reason, whatever its size.
fn reason_phrase(d: usize, value: &str, lift: f64) -> Option<String> {
    let factor = fixed(lift, 1);
    if lift <= 1.0 || factor == fixed(1.0, 1) {
        return None;
    }
    let what = match d {
        0 => format!("country {value}"),
        1 => format!("city {value}"),
        2 => format!("age {value}"),
        3 => format!("gender {value}"),
        4 => format!("job title {value}"),
        5 => format!("buys {value}"),
        _ => value.to_string(),
    };
    Some(format!("{what} (×{factor})"))
}

/// How a marketer reads a trait: "… are {phrase}".
fn sentence_phrase(d: usize, value: &str) -> String {
    match d {
        0 => format!("from {value}"),
        1 => format!("in {value}"),
        2 => format!("aged {value}"),
        3 => format!("of gender \"{value}\""),
        4 => format!("working as \"{value}\""),
        5 => format!("buying mostly on {value}"),
        6 => format!("placing {value}"),
        9 => format!("on {value}"),
        13 => format!("with {value}"),
        _ => format!("at \"{value}\""),
    }
}

/// A fit score with its reasons.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Fit {
    /// 0–100, one decimal.
    pub fit: f64,
    pub reasons: Reasons,
}

/// What a lead's activity adds to a fit: its term of the log-odds (±1 at most) and the score and
/// band its reason phrase names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Engagement {
    pub effect: f64,
    pub score: f64,
    pub band: crate::leads::Band,
}

impl Engagement {
    fn phrase(&self) -> String {
        format!(
            "engagement {} points ({})",
            fixed(self.score, 0),
            self.band.as_str()
        )
    }
}

/// The three largest contributions that raise a fit, largest first, by where their phrases are
/// (the [`Scoring`]'s table, or the lead's engagement): [`Icp::push_reasons`] writes them, joined
/// by "; ". Held by value: a formatted string per person was 200,000 allocations, 18 MB at the
/// segment job's peak, for the ranked list of a 200,000-customer run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Reasons {
    parts: [Reason; 3],
    /// The engagement among the parts, if one is.
    engagement: Option<Engagement>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Reason {
    #[default]
    None,
    /// Value `v` of trait dimension `d`.
    Trait {
        d: u8,
        v: u32,
    },
    Engagement,
}

/// What one trait value adds to the fit (clipped ln lift) and its reason phrase, if it raises the
/// fit.
type TraitScore = (f64, Option<String>);

/// What each trait value adds to the fit and its reason phrase: both depend on the value alone,
/// so they are computed once per value, not once per customer.
pub(super) struct Scoring {
    /// Per dimension, per value index: `None` for values too rare to say anything.
    per_value: Vec<Vec<Option<TraitScore>>>,
    /// The log-odds of someone of whom nothing is known: the ideal group's share of purchasers.
    prior: f64,
}

impl Scoring {
    fn new(
        lifts: &Lifts,
        values: &TraitValues,
        display: &BTreeMap<String, String>,
        ideal_share: f64,
    ) -> Scoring {
        let p = ideal_share.clamp(0.01, 0.99);
        let per_value = (0..N_DIMS)
            .map(|d| {
                (0..values.0[d].len() as u32)
                    .map(|v| {
                        let (c, lift) = lifts.contribution(d, v)?;
                        Some((c, reason_phrase(d, shown(values, display, d, v), lift)))
                    })
                    .collect()
            })
            .collect();
        Scoring {
            per_value,
            prior: (p / (1.0 - p)).ln(),
        }
    }

    /// Fit = 100 × logistic(prior + ½ × (Σ clipped ln lift of the person's traits +
    /// engagement)): a fixed transform, so a score means the same whoever else is scored, and
    /// every term moves it its own way (a trait that raises the fit never lowers it). With
    /// nothing known it is the ideal group's share of purchasers, not an even 50 that put empty
    /// records above real customers. The ½: spend, order count, recency, tenure and rhythm move
    /// together, and at full weight fourteen traits added up as fourteen pieces of evidence,
    /// which pinned most customers at 0.0 or 100.0. One weight for all keeps the ranking of
    /// the plain sum, which docs/lookalike-evaluation.md measures. Reasons: the three
    /// largest contributions that raise the fit (traits that lower it count in the fit but are
    /// not reasons for it).
    fn fit(&self, traits: &Traits, engagement: Option<Engagement>) -> Fit {
        // Engagement is a reason by the rule for traits: when, as a factor on the odds, it would
        // show above ×1.0. Not for a negative score (an unsubscribe), nor for a few page views
        // that barely move the fit.
        let engagement_phrase = engagement
            .filter(|e| e.effect > 0.0 && round(e.effect.exp(), 1) != 1.0)
            .map(|e| e.phrase());
        let mut raw = 0.0;
        // On the stack: this runs for every customer and lead.
        let mut parts = [(0.0, Reason::None, ""); N_DIMS + 1];
        let mut n = 0;
        for (d, v) in traits.iter().enumerate() {
            if let &Some(v) = v
                && let Some((c, phrase)) = &self.per_value[d][v as usize]
            {
                raw += c;
                if let Some(phrase) = phrase {
                    let d = u8::try_from(d).expect("few trait dimensions");
                    parts[n] = (*c, Reason::Trait { d, v }, phrase.as_str());
                    n += 1;
                }
            }
        }
        if let Some(e) = &engagement {
            raw += e.effect;
            if let Some(phrase) = &engagement_phrase {
                parts[n] = (e.effect, Reason::Engagement, phrase.as_str());
                n += 1;
            }
        }
        let parts = &mut parts[..n];
        let fit = round(100.0 / (1.0 + (-(self.prior + TERM_WEIGHT * raw)).exp()), 1);
        // Largest effect first; the phrase breaks ties so the order never depends on the input order.
        parts.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.2.cmp(b.2)));
        let mut reasons = Reasons::default();
        for (slot, &(_, part, _)) in reasons.parts.iter_mut().zip(parts.iter()) {
            *slot = part;
            if part == Reason::Engagement {
                reasons.engagement = engagement;
            }
        }
        Fit { fit, reasons }
    }

    /// The phrase of value `v` of dimension `d`, which a fit named as a reason.
    fn phrase(&self, d: u8, v: u32) -> &str {
        self.per_value[usize::from(d)][v as usize]
            .as_ref()
            .and_then(|(_, phrase)| phrase.as_deref())
            .expect("a reason has a phrase")
    }
}

/// How value `v` of dimension `d` is shown: job titles in their display spelling.
fn shown<'a>(values: &'a TraitValues, display: &'a BTreeMap<String, String>, d: usize, v: u32) -> &'a str {
    let name = values.name(d, v);
    if d == JOB_TITLE {
        display.get(name).map_or(name, String::as_str)
    } else {
        name
    }
}

/// The profiles and what the lookalike score needs.
pub(super) struct Icp {
    /// Per customer: in the ideal group.
    pub ideal: Vec<bool>,
    pub negative: Vec<bool>,
    traits: Vec<Traits>,
    values: TraitValues,
    /// `None` when the ideal group is withheld (the fit is made of the group's lifts, so scores
    /// and reasons would publish what the profile withholds) or holds every purchaser (no one
    /// resembles it more than anyone else).
    scoring: Option<Scoring>,
    pub json: Value,
    pub markdown: String,
}

impl Icp {
    /// Fits of purchasers (from their traits alone); `None` for the others.
    pub(super) fn buyer_fit(&self, r: &Report, i: usize) -> Option<Fit> {
        r.customers[i].behaviour.as_ref()?;
        Some(self.scoring.as_ref()?.fit(&self.traits[i], None))
    }

    /// Fit of customer `i`, with the engagement of the lead they also are.
    pub(super) fn customer_fit(&self, i: usize, engagement: Option<Engagement>) -> Option<Fit> {
        Some(self.scoring.as_ref()?.fit(&self.traits[i], engagement))
    }

    /// Appends `reasons` to `out` as `ideal_customers.csv` gives them: phrases joined by "; ".
    pub(super) fn push_reasons(&self, reasons: &Reasons, out: &mut String) {
        for part in &reasons.parts {
            let phrase = match *part {
                Reason::None => continue,
                Reason::Trait { d, v } => self.scoring.as_ref().expect("fits were scored").phrase(d, v),
                Reason::Engagement => &reasons.engagement.expect("an engagement reason").phrase(),
            };
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(phrase);
        }
    }

    /// The fit of someone of whom nothing is known (unrounded), when fits are published.
    pub(super) fn nothing_known(&self) -> Option<f64> {
        Some(100.0 / (1.0 + (-self.scoring.as_ref()?.prior).exp()))
    }

    /// Fit of a lead known only from activity: the job title and the engagement.
    pub(super) fn lead_fit(&self, job_title: Option<&str>, engagement: Option<Engagement>) -> Option<Fit> {
        let mut t: Traits = Default::default();
        // A title no customer holds has no lift to contribute.
        t[JOB_TITLE] = job_title
            .and_then(job_key)
            .and_then(|k| self.values.0[JOB_TITLE].get(&k));
        Some(self.scoring.as_ref()?.fit(&t, engagement))
    }
}

/// Share of purchasers the top-segment ideal group never goes beyond: a segment that would take
/// it past this gives only its best customers by RFM score.
pub(super) const IDEAL_MAX_SHARE: f64 = 0.5;

/// The purchasers of segment `s`, best first by RFM score (R + F + M), ties by net revenue, then
/// id. RFM, not spend alone: a big spender who has not bought for a year is no one to find more
/// of (docs/lookalike-evaluation.md: by net revenue the fit's precision in its top 10 % fell from
/// 0.54 to 0.45; by RFM score it is 0.55).
fn best_by_rfm(r: &Report, buyers: &[usize], s: usize) -> Vec<usize> {
    let id = |i: usize| r.ids.name(r.customers[i].idx);
    // Keys computed once: the best segment may hold most of 200 000 customers.
    let mut members: Vec<(u8, f64, usize)> = buyers
        .iter()
        .copied()
        .filter(|&i| r.customers[i].segment == Some(s))
        .map(|i| {
            let c = &r.customers[i];
            let rfm = c.rfm.as_ref().map_or(0, |q| q.r + q.f + q.m);
            (rfm, c.behaviour.as_ref().map_or(0.0, |b| b.monetary), i)
        })
        .collect();
    members.sort_unstable_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| b.1.total_cmp(&a.1))
            .then_with(|| id(a.2).cmp(id(b.2)))
    });
    members.into_iter().map(|(_, _, i)| i).collect()
}

/// The ideal group under the configured rule, a description of the rule and, for the segment
/// rule, the ranking that was used.
fn select_ideal(r: &Report, buyers: &[usize]) -> (Vec<bool>, String, Value) {
    let p = r.params;
    let mut ideal = vec![false; r.customers.len()];
    match &p.ideal_rule {
        IdealRule::RfmGroups(groups) => {
            for &i in buyers {
                if let Some(rfm) = r.customers[i].rfm
                    && groups.iter().any(|g| g == &p.rfm_rules[rfm.group].name)
                {
                    ideal[i] = true;
                }
            }
            let text = format!("Customers in the RFM groups {}.", groups.join(", "));
            (ideal, text, json!({ "kind": "rfm_groups", "groups": groups }))
        }
        IdealRule::TopSegments => {
            let mut ranked: Vec<(usize, f64, usize)> = (0..r.segments.len())
                .map(|s| {
                    let members: Vec<usize> = buyers
                        .iter()
                        .copied()
                        .filter(|&i| r.customers[i].segment == Some(s))
                        .collect();
                    let lapsed = members
                        .iter()
                        .filter(|&&i| r.customers[i].stage == Stage::Lapsed)
                        .count();
                    let share_lapsed = if members.is_empty() {
                        0.0
                    } else {
                        lapsed as f64 / members.len() as f64
                    };
                    let value = r.segments[s].profile.median_monetary.unwrap_or(0.0) * (1.0 - share_lapsed);
                    (s, value, members.len())
                })
                .collect();
            ranked.sort_by(|a, b| {
                b.1.total_cmp(&a.1)
                    .then(r.segments[a.0].id.cmp(&r.segments[b.0].id))
            });
            let need = (p.ideal_min_share * buyers.len() as f64).ceil() as usize;
            let most = (IDEAL_MAX_SHARE * buyers.len() as f64).floor() as usize;
            // At least the minimum group size, so that the group can be described (a smaller
            // one is withheld, and no fit is given), but never past half.
            let want = need.max(p.min_group_size).min(most).max(1);
            // Segments in rank order, whole, until the group covers the minimum share. A segment
            // that would take it past half ends the group: a group of nearly everyone has no
            // traits that stand out, and passing over that segment for a later, smaller one made
            // a group of the best and the worst segments, below the base on the very figure they
            // were ranked by. Its best customers join only as many as the group needs: the
            // minimum share when it is the best segment, else the minimum group size (a distinct
            // best segment is not diluted with another's customers only to reach the share).
            // A segment the continued model left empty covers no one.
            // As in segments.csv: withheld there (small, or a small segment's complement), withheld
            // here. A segment under the minimum size is no part of the group either: its being
            // taken, or named in the order taken, would bound the value of those few customers
            // as its place in the ranking would. (A small segment's complement is no small
            // group: it may be taken, and only its figures are withheld.)
            let hidden = |s: usize, n: usize| n < p.min_group_size || r.segments[s].withheld;
            let (mut covered, mut taken, mut partial, mut stopped_by) = (0usize, Vec::new(), None, None);
            for &(s, _, n) in &ranked {
                if n == 0 || n < p.min_group_size {
                    continue;
                }
                if covered >= need.max(1) {
                    break;
                }
                if covered + n > most {
                    let count = match covered {
                        0 => want,
                        _ => p.min_group_size.saturating_sub(covered).min(most - covered),
                    };
                    if count == 0 {
                        stopped_by = Some(s);
                        break;
                    }
                    taken.push(s);
                    for i in best_by_rfm(r, buyers, s).into_iter().take(count) {
                        ideal[i] = true;
                    }
                    partial = Some((s, n, count));
                    break;
                }
                taken.push(s);
                covered += n;
                for &i in buyers {
                    if r.customers[i].segment == Some(s) {
                        ideal[i] = true;
                    }
                }
            }
            let names: Vec<&str> = taken
                .iter()
                .filter(|&&s| partial.is_none_or(|(t, _, _)| t != s))
                .map(|&s| r.segments[s].name.as_str())
                .collect();
            // Which segments may be taken is said whenever one may not: "the best" is the best of
            // those.
            let value = "median net revenue per customer × (1 − share lapsed)";
            let ranked_by = match ranked.iter().any(|&(_, _, n)| n > 0 && n < p.min_group_size) {
                true => format!(
                    "Segments of at least {} purchasing customers (SEGFLOW_MIN_GROUP_SIZE) ranked by {value}",
                    p.min_group_size
                ),
                false => format!("Segments ranked by {value}"),
            };
            let text = match partial {
                Some((s, n, count)) if names.is_empty() => format!(
                    "{ranked_by}; the best, {}, holds more than half of purchasing customers ({} of {}), too many to stand out, so the ideal customers are the {} of its customers with the best RFM scores (recency + frequency + monetary, ties by net revenue; {:.0}% of purchasing customers).",
                    r.segments[s].name,
                    n,
                    buyers.len(),
                    count,
                    100.0 * count as f64 / buyers.len() as f64,
                ),
                Some((s, _, count)) => format!(
                    "{ranked_by}, taken in that order until they cover at least {:.0}% of purchasing customers (never more than {:.0}%): {}, and the {} customers of {} with the best RFM scores (recency + frequency + monetary, ties by net revenue), as the whole of it would pass half.",
                    100.0 * p.ideal_min_share,
                    100.0 * IDEAL_MAX_SHARE,
                    names.join(", "),
                    count,
                    r.segments[s].name,
                ),
                // Every segment under the minimum size: none may be taken.
                None if names.is_empty() => format!(
                    "Segments ranked by {value}: no segment has at least {} purchasing customers (SEGFLOW_MIN_GROUP_SIZE), so none is taken and there is no ideal group.",
                    p.min_group_size
                ),
                None => {
                    let mut text = format!(
                        "{ranked_by}, taken in that order until they cover at least {:.0}% of purchasing customers (never more than {:.0}%): {}",
                        100.0 * p.ideal_min_share,
                        100.0 * IDEAL_MAX_SHARE,
                        names.join(", ")
                    );
                    // Short of the share: say why the group stops there.
                    if let Some(next) = stopped_by {
                        text.push_str(&format!(
                            "; the next, {}, would take the group past half, so it stops at {:.0}%",
                            r.segments[next].name,
                            100.0 * covered as f64 / buyers.len() as f64
                        ));
                    }
                    text.push('.');
                    text
                }
            };
            let top_of = partial.map(|(s, _, count)| (s, count, names.is_empty()));
            // Withheld segments are listed after the others, in id order: their place among them
            // would bound their value.
            let mut listed: Vec<&(usize, f64, usize)> = ranked.iter().collect();
            listed.sort_by_key(|&&(s, _, n)| hidden(s, n).then_some(r.segments[s].id));
            let ranking: Vec<Value> = listed
                .into_iter()
                .map(|&(s, v, n)| {
                    let seg = &r.segments[s];
                    json!({ "segment_id": seg.id, "segment_name": seg.name, "customers": n,
                            "value": if hidden(s, n) { Value::Null } else { json!(round(v, 2)) },
                            "ideal": taken.contains(&s) })
                })
                .collect();
            let rule = match top_of {
                Some((s, count, true)) => json!({
                    "kind": "top_of_segment", "min_share": p.ideal_min_share,
                    "segment_id": r.segments[s].id, "segment_name": r.segments[s].name,
                    "customers": count, "ranking": ranking,
                }),
                Some((s, count, false)) => json!({
                    "kind": "top_segments", "min_share": p.ideal_min_share, "ranking": ranking,
                    "partial": { "segment_id": r.segments[s].id, "segment_name": r.segments[s].name,
                                 "customers": count },
                }),
                None => json!({ "kind": "top_segments", "min_share": p.ideal_min_share, "ranking": ranking }),
            };
            (ideal, text, rule)
        }
    }
}

struct Figure {
    name: &'static str,
    group: Option<f64>,
    base: Option<f64>,
    decimals: i32,
    /// Published: at least [`needed`] customers are behind it in the group and in the base.
    shown: bool,
}

/// One figure of a set of purchasers: name, value, decimals, and how many of the set's customers
/// it is over (those who have it: repeat buyers for the days between orders).
type Stat = (&'static str, Option<f64>, i32, usize);
type Stats = Vec<Stat>;

/// Figures whose value is an extreme, never called out (see [`needed`]).
const EXTREMES: [&str; 2] = ["min_order_value", "max_order_value"];

/// Customers a figure must be over, in the group and in the base, to be published: the minimum
/// group size; for the smallest and largest order twice that. They are the order value `m`
/// customers reach from the bottom and from the top, and with fewer than 2·m customers those
/// overlap (the smallest 165 above the largest 60): they describe single customers' orders
/// rather than the group.
fn needed(name: &str, m: usize) -> usize {
    let m = m.max(1);
    if EXTREMES.contains(&name) { 2 * m } else { m }
}

fn stats(r: &Report, facts: &OrderFacts, set: &[usize]) -> Stats {
    let b = |i: usize| r.customers[i].behaviour.as_ref().expect("purchasers only");
    let med =
        |f: &dyn Fn(usize) -> Option<f64>| median(&mut set.iter().filter_map(|&i| f(i)).collect::<Vec<_>>());
    let count = |f: &dyn Fn(usize) -> bool| set.iter().filter(|&&i| f(i)).count();
    let mut orders: Vec<f64> = Vec::new();
    // Per customer their largest and their smallest order.
    let mut largest: Vec<f64> = Vec::new();
    let mut smallest: Vec<f64> = Vec::new();
    for &i in set {
        let own = facts.order_values(i);
        orders.extend_from_slice(own);
        if let Some(v) = own.iter().copied().max_by(f64::total_cmp) {
            largest.push(v);
        }
        if let Some(v) = own.iter().copied().min_by(f64::total_cmp) {
            smallest.push(v);
        }
    }
    // Customers with an order they kept (not refunded whole): the order-value figures' customers.
    let with_orders = largest.len();
    // Never one customer's own order: the largest order at least `min_group_size` customers
    // reach (per customer their largest, the min_group_size-th from the top), and the smallest
    // at least that many go down to; none when fewer customers have an order.
    // A selection, not a sort, as for the medians: the base holds every purchaser.
    let m = r.params.min_group_size.max(1);
    let nth = |values: &mut [f64], cmp: fn(&f64, &f64) -> std::cmp::Ordering| {
        (values.len() >= m).then(|| *values.select_nth_unstable_by(m - 1, cmp).1)
    };
    let max_order = nth(&mut largest, |a, b| b.total_cmp(a));
    let min_order = nth(&mut smallest, f64::total_cmp);
    let median_order = median(&mut orders);
    let gross: f64 = set.iter().map(|&i| b(i).gross).sum();
    let returned: f64 = set.iter().map(|&i| b(i).returned).sum();
    let all = set.len();
    vec![
        ("min_order_value", min_order, 2, with_orders),
        ("median_order_value", median_order, 2, with_orders),
        ("max_order_value", max_order, 2, with_orders),
        ("median_net_revenue", med(&|i| Some(b(i).monetary)), 2, all),
        ("median_orders", med(&|i| Some(f64::from(b(i).frequency))), 1, all),
        (
            "median_avg_order_value",
            med(&|i| Some(b(i).avg_order_value)),
            2,
            all,
        ),
        ("median_tenure_days", med(&|i| Some(b(i).tenure_days)), 1, all),
        (
            "median_days_between_orders",
            med(&|i| b(i).days_between_orders),
            1,
            count(&|i| b(i).days_between_orders.is_some()),
        ),
        (
            "return_rate",
            (gross > 0.0).then(|| (returned / gross).min(1.0)),
            3,
            all,
        ),
        (
            "multi_item_share",
            super::features::multi_order_share(set.iter().map(|&i| b(i))),
            3,
            all,
        ),
    ]
}

/// The group's figures beside the base's; a figure is withheld (both sides) when fewer than
/// [`needed`] customers are behind it on either side: 3 repeat buyers in a group of 10 would
/// publish the median of their gaps. (The base holds the group, so in practice the group decides.)
fn figures(group: Stats, base: &Stats, m: usize) -> Vec<Figure> {
    group
        .into_iter()
        .zip(base)
        .map(|((name, group, decimals, n_group), &(_, base, _, n_base))| {
            let need = needed(name, m);
            let shown = n_group >= need && n_base >= need;
            Figure {
                name,
                group: group.filter(|_| shown),
                base: base.filter(|_| shown),
                decimals,
                shown,
            }
        })
        .collect()
}

/// Why a figure is not shown, for the Markdown.
fn withheld_figure_text(name: &str, m: usize) -> String {
    let m = m.max(1);
    match name {
        "min_order_value" | "max_order_value" => format!(
            "The smallest and largest order are not shown for a group of fewer than {} customers with orders (twice SEGFLOW_MIN_GROUP_SIZE={m}): in a smaller one, the order values {m} customers reach from the bottom and from the top overlap.",
            2 * m
        ),
        "median_days_between_orders" => format!(
            "Median days between orders is not shown: fewer than {m} customers of this group ordered more than once (SEGFLOW_MIN_GROUP_SIZE={m})."
        ),
        _ => format!(
            "{} is not shown: fewer than {m} customers of this group are behind it (SEGFLOW_MIN_GROUP_SIZE={m}).",
            figure_text(name, m)
        ),
    }
}

/// The Markdown's names of the figures but the smallest and largest order (see [`figure_text`]).
const FIGURE_TEXT: [(&str, &str); 8] = [
    ("median_order_value", "Median order value"),
    ("median_net_revenue", "Median net revenue per customer"),
    ("median_orders", "Median number of orders"),
    ("median_avg_order_value", "Median average order value"),
    ("median_tenure_days", "Median days since first order"),
    ("median_days_between_orders", "Median days between orders"),
    ("return_rate", "Return rate (returned / purchased value)"),
    ("multi_item_share", "Share of multi-item orders"),
];

/// A figure's name in the Markdown. The smallest and largest order say how many customers reach
/// them (see [`stats`]): `m`, the minimum group size.
fn figure_text(name: &str, m: usize) -> String {
    let m = m.max(1);
    match name {
        "max_order_value" => format!("Largest order (reached by at least {m} customers)"),
        "min_order_value" => format!("Smallest order (at least {m} customers go this low)"),
        _ => FIGURE_TEXT
            .iter()
            .find(|t| t.0 == name)
            .map_or(name, |t| t.1)
            .to_string(),
    }
}

/// (dimension, value, group customers, base customers, group share, base share, lift, highlighted)
type TraitRow = (usize, String, usize, usize, f64, f64, f64, bool);

/// Whether a group of `members` among `base` purchasers is too small to describe. The group is
/// compared with all purchasers, so when all but a few are in it, each figure and trait count
/// beside the base's gives away those few (the largest order outside the group is the base's
/// largest; a trait 23 customers have against 15 in the group is held by all 8 outside it).
fn withheld(members: usize, base: usize, min_group: usize) -> bool {
    let rest = base.saturating_sub(members);
    members < min_group.max(1) || (rest > 0 && rest < min_group)
}

/// Whether a count may be published beside others it can be subtracted from: none, or at least
/// the minimum group size.
fn publishable(count: usize, min_group: usize) -> bool {
    count == 0 || count >= min_group.max(1)
}

/// One group's JSON and Markdown section.
#[allow(clippy::too_many_arguments)]
fn describe_group(
    r: &Report,
    facts: &OrderFacts,
    traits: &[Traits],
    values: &TraitValues,
    members: &[usize],
    base: &[usize],
    base_stats: &Stats,
    display: &BTreeMap<String, String>,
    who: &str,
) -> (Value, String) {
    let m = r.params.min_group_size;
    let rest = base.len().saturating_sub(members.len());
    let hide = withheld(members.len(), base.len(), m);
    let mut md = String::new();
    let share = if base.is_empty() {
        0.0
    } else {
        members.len() as f64 / base.len() as f64
    };
    if hide {
        if members.len() < m.max(1) {
            md.push_str(&format!(
                "Fewer than {m} customers are in this group ({} found), so nothing more is shown to protect their privacy (SEGFLOW_MIN_GROUP_SIZE={m}).\n",
                members.len()
            ));
        } else {
            md.push_str(&format!(
                "All but {rest} of the {} customers with purchases are in this group ({} customers): set against all customers, its figures would describe those {rest}, fewer than {m}, so nothing more is shown to protect their privacy (SEGFLOW_MIN_GROUP_SIZE={m}).\n",
                base.len(),
                members.len()
            ));
        }
        return (
            json!({ "customers": members.len(), "share_of_purchasers": round(share, 3), "suppressed": true,
                        "figures": Value::Null, "traits": [], "highlights": [] }),
            md,
        );
    }
    md.push_str(&format!(
        "{} customers ({:.1}% of the {} customers with purchases).\n\n",
        members.len(),
        100.0 * share,
        base.len()
    ));

    let mut fig_json = serde_json::Map::new();
    let mut table =
        String::from("| Figure | This group | All customers | Ratio |\n| --- | ---: | ---: | ---: |\n");
    let mut fig_sentences = Vec::new();
    let mut not_shown: Vec<String> = Vec::new();
    for f in figures(stats(r, facts, members), base_stats, m) {
        let ratio = match (f.group, f.base) {
            (Some(g), Some(b)) if b.abs() > 1e-12 => Some(g / b),
            _ => None,
        };
        // Extremes are no tendency of a group (its medians are): never called out.
        let highlight = !EXTREMES.contains(&f.name) && ratio.is_some_and(ratio_highlighted);
        if !f.shown {
            let why = withheld_figure_text(f.name, m);
            if !not_shown.contains(&why) {
                not_shown.push(why);
            }
        }
        fig_json.insert(
            f.name.to_string(),
            json!({ "group": f.group.map(|v| round(v, f.decimals)), "base": f.base.map(|v| round(v, f.decimals)),
                    "ratio": ratio.map(|v| round(v, 2)), "highlight": highlight }),
        );
        let text = figure_text(f.name, m);
        let d = f.decimals as usize;
        let money = MONEY_FIGURES.contains(&f.name);
        let cell = |v: Option<f64>| {
            v.map_or("–".to_string(), |v| {
                if money {
                    money_text(v, r.money_unit)
                } else {
                    fixed(v, d)
                }
            })
        };
        table.push_str(&format!(
            "| {text} | {} | {} | {} |\n",
            cell(f.group),
            cell(f.base),
            ratio.map_or("–".into(), |x| format!("{}×", fixed(x, 2)))
        ));
        if highlight {
            fig_sentences.push(format!(
                "{text}: {} against {} for all customers ({}×).",
                cell(f.group),
                cell(f.base),
                fixed(ratio.unwrap_or(1.0), 2)
            ));
        }
    }

    let in_group: Vec<bool> = {
        let mut v = vec![false; r.customers.len()];
        for &i in members {
            v[i] = true;
        }
        v
    };
    let own = Lifts::new(traits, values, base, &in_group, m);
    let mut rows: Vec<TraitRow> = Vec::new();
    // Per dimension: which traits a reader misses is no one's secret, and it says where a
    // smaller minimum group (if the shop's privacy rules allow one) would show more.
    let mut withheld_by_dim = [0usize; N_DIMS];
    for (d, suppressed_values) in withheld_by_dim.iter_mut().enumerate() {
        let mut candidates = Vec::new();
        for v in values.sorted(d) {
            let Some((g, b, sg, sb, lift)) = own.raw(d, v) else {
                continue;
            };
            // Also the customers outside the group who hold the value: "12 with this title, 10 of
            // them in the group" says the other 2 are not.
            if g < m.max(1) || b < m.max(1) || !publishable(b - g, m) {
                // A value no one in the group holds is not missing from its description.
                *suppressed_values += usize::from(g > 0);
                continue;
            }
            candidates.push((v, g, b, sg, sb, lift));
        }
        // What the shown values leave over is known by subtraction from the group and base sizes:
        // Germany at 40 of a group of 43 and 265 of 268 purchasers says that the 3 others are all
        // in the group. Values are withheld, smallest first, until what is left over is no such
        // small group.
        let (gk, bk) = own.known[d];
        // The shares (over customers whose value is known) give away how many have none: when
        // those are a small group, in the group, overall or outside it, nothing of the trait is
        // listed (4 of a group of 6 in Germany at a share of 1.0 says that its other 2 have no
        // country; with 2 such purchasers in all, both are in the group).
        let (gu, bu) = (members.len() - gk, base.len() - bk);
        if !(publishable(gu, m) && publishable(bu, m) && publishable(bu - gu, m)) {
            *suppressed_values += candidates.len();
            candidates.clear();
        }
        loop {
            let (sg, sb) = candidates.iter().fold((0, 0), |(g, b), c| (g + c.1, b + c.2));
            let (hidden_g, hidden_b) = (gk - sg, bk - sb);
            if publishable(hidden_g, m) && publishable(hidden_b, m) && publishable(hidden_b - hidden_g, m) {
                break;
            }
            let Some(smallest) = (0..candidates.len()).min_by_key(|&i| candidates[i].2) else {
                break;
            };
            candidates.remove(smallest);
            *suppressed_values += 1;
        }
        for (v, g, b, sg, sb, lift) in candidates {
            let highlight = lift_highlighted(lift);
            let shown = shown(values, display, d, v).to_string();
            rows.push((d, shown, g, b, sg, sb, lift, highlight));
        }
    }
    let traits_json: Vec<Value> = rows
        .iter()
        .map(|(d, v, g, b, sg, sb, lift, h)| {
            json!({ "trait": DIM_NAMES[*d], "value": v, "group_customers": g, "group_share": round(*sg, 3),
                    "base_customers": b, "base_share": round(*sb, 3), "lift": round(*lift, 2), "highlight": h })
        })
        .collect();
    let mut hl: Vec<&TraitRow> = rows.iter().filter(|r| r.7).collect();
    hl.sort_by(|a, b| {
        b.6.ln()
            .abs()
            .total_cmp(&a.6.ln().abs())
            .then(a.0.cmp(&b.0))
            .then(a.1.cmp(&b.1))
    });
    // Figures first, then traits: the Markdown's "What stands out" list, which the JSON repeats
    // with the values as exported (the Markdown escapes them: a reader renders it).
    let mut highlights = fig_sentences.clone();
    let mut md_highlights = fig_sentences;
    for (d, v, _, _, sg, sb, lift, _) in &hl {
        let sentence = |phrase: String| {
            if *lift >= 1.0 {
                format!(
                    "{who} are {}× as often {phrase} as your customers overall ({:.0}% against {:.0}%).",
                    fixed(*lift, 2),
                    100.0 * sg,
                    100.0 * sb
                )
            } else {
                format!(
                    "{who} are less often {phrase}: {:.0}% against {:.0}% overall ({}×).",
                    100.0 * sg,
                    100.0 * sb,
                    fixed(*lift, 2)
                )
            }
        };
        highlights.push(sentence(sentence_phrase(*d, v)));
        md_highlights.push(sentence(sentence_phrase(*d, &markdown_safe(v))));
    }
    if md_highlights.is_empty() {
        md.push_str("No trait differs clearly from your customers overall.\n\n");
    } else {
        md.push_str("What stands out:\n\n");
        for s in &md_highlights {
            md.push_str(&format!("- {s}\n"));
        }
        md.push('\n');
    }
    md.push_str(&table);
    for why in &not_shown {
        md.push_str(&format!("\n{why}\n"));
    }
    let suppressed_values: usize = withheld_by_dim.iter().sum();
    let by_dim: Vec<(&str, usize)> = (0..N_DIMS)
        .filter(|&d| withheld_by_dim[d] > 0)
        .map(|d| (DIM_NAMES[d], withheld_by_dim[d]))
        .collect();
    if suppressed_values > 0 {
        let list: Vec<String> = by_dim
            .iter()
            .map(|(d, n)| format!("{} {n}", d.replace('_', " ")))
            .collect();
        md.push_str(&format!(
            "\n{suppressed_values} trait values are not shown ({}): fewer than {m} customers hold them (in the group, outside it or overall), or their counts would give away such a small group (SEGFLOW_MIN_GROUP_SIZE={m}).\n",
            list.join(", ")
        ));
    }
    let json = json!({
        "customers": members.len(),
        "share_of_purchasers": round(share, 3),
        "suppressed": false,
        "figures": Value::Object(fig_json),
        "traits": traits_json,
        "suppressed_trait_values": suppressed_values,
        "suppressed_trait_values_by_trait": by_dim.iter().map(|(d, n)| (d.to_string(), json!(n))).collect::<serde_json::Map<String, Value>>(),
        "highlights": highlights,
    });
    (json, md)
}

/// Guests' share of net revenue above which the outputs warn that they describe the rest only.
const GUEST_WARNING_SHARE: f64 = 0.5;

/// The warning a shop gets when guests (orders without a customer id) brought more than half of
/// the net revenue (`guest_share`, as `guest_revenue_share` in the manifest): every segment and
/// profile describes known customers only.
pub(super) fn guest_warning(guest_share: f64) -> Option<String> {
    (guest_share > GUEST_WARNING_SHARE).then(|| {
        let pct = (100.0 * guest_share).round();
        format!(
            "Guests (orders without a customer id) brought {pct:.0}% of net revenue: the segments, the ideal customer profile and the lists describe only the {:.0}% from known customers.",
            (100.0 - pct).max(0.0)
        )
    })
}

/// Says what unit the amounts are in: Rial and Toman differ tenfold, so a bare number is not enough.
fn money_sentence(unit: Option<&str>) -> String {
    match unit {
        Some("IRT") => "Amounts are in Toman (IRT; Rial amounts divided by 10).".into(),
        Some(u) => format!("Amounts are in {u}."),
        None => {
            "Amounts are as exported: the exports name no single currency (manifest.json lists them).".into()
        }
    }
}

/// Computes both profiles and the lift tables.
pub(super) fn build(r: &Report, facts: &OrderFacts) -> Icp {
    let p = r.params;
    let n = r.customers.len();
    let buyers: Vec<usize> = (0..n).filter(|&i| r.customers[i].behaviour.is_some()).collect();
    // The base figures need no traits: computed beside everything up to the group descriptions.
    std::thread::scope(|s| {
        let base_stats = s.spawn(|| stats(r, facts, &buyers));
        let mut builder = TraitBuilder::new(r);
        let bands = {
            let b = |i: &usize| r.customers[*i].behaviour.as_ref().expect("buyer");
            Bands {
                spend: Band::new(
                    buyers.iter().map(|i| b(i).monetary).collect(),
                    "net spend",
                    r.money_unit,
                    &mut builder.values.0[8],
                ),
                aov: Band::new(
                    buyers.iter().map(|i| b(i).avg_order_value).collect(),
                    "average order",
                    r.money_unit,
                    &mut builder.values.0[7],
                ),
            }
        };
        let traits: Vec<Traits> = (0..n).map(|i| builder.customer(r, &bands, i)).collect();
        let values = builder.values;
        let mut job_display: BTreeMap<String, String> = BTreeMap::new();
        for c in r.customers {
            if let Some(j) = c.attrs.and_then(|a| a.job_title) {
                let shown = r.strings.name(j).trim();
                if let Some(k) = job_key(shown) {
                    let e = job_display.entry(k).or_insert_with(|| shown.to_string());
                    if shown < e.as_str() {
                        *e = shown.to_string();
                    }
                }
            }
        }
        let (ideal, rule_text, rule_json) = select_ideal(r, &buyers);
        let negative: Vec<bool> = (0..n)
            .map(|i| {
                r.customers[i]
                    .behaviour
                    .as_ref()
                    .is_some_and(|b| b.monetary <= 0.0 || b.return_rate >= NEGATIVE_RETURN_RATE)
            })
            .collect();
        let ideal_members: Vec<usize> = buyers.iter().copied().filter(|&i| ideal[i]).collect();
        let negative_members: Vec<usize> = buyers.iter().copied().filter(|&i| negative[i]).collect();
        // The fit's lift table, the base figures and the two group descriptions are independent
        // passes over all purchasers: side by side.
        let lifts = Lifts::new(&traits, &values, &buyers, &ideal, p.min_group_size);
        // A group of every purchaser has nothing that sets it apart: every lift is 1, and every
        // fit would be the same 99.0.
        let everyone = ideal_members.len() == buyers.len();
        let scoring =
            (!everyone && !withheld(ideal_members.len(), buyers.len(), p.min_group_size)).then(|| {
                let share = ideal_members.len() as f64 / buyers.len().max(1) as f64;
                Scoring::new(&lifts, &values, &job_display, share)
            });
        let base_stats = super::par::join(base_stats);
        let describe = |members: &[usize], who: &str| {
            describe_group(
                r,
                facts,
                &traits,
                &values,
                members,
                &buyers,
                &base_stats,
                &job_display,
                who,
            )
        };
        let ((ideal_json, ideal_md), (neg_json, neg_md)) = std::thread::scope(|s| {
            let negative = s.spawn(|| describe(&negative_members, NEGATIVE_HEADING));
            let ideal = describe(&ideal_members, "Your best customers");
            (ideal, super::par::join(negative))
        });

        let products_note = "Top products and categories are not profiled: the profile describes customers, not baskets (each customer's number of distinct products is in customers.csv).";
        let json = json!({
            "as_of": p.as_of.to_string(),
            "timezone": p.timezone.name(),
            "money_unit": r.money_unit,
            "min_group_size": p.min_group_size,
            "purchasers": buyers.len(),
            "ideal_rule": { "description": rule_text, "rule": rule_json },
            "highlight_rule": { "lift_at_least": LIFT_HIGH, "lift_at_most": LIFT_LOW, "median_differs_by": MEDIAN_DIFF,
                                "min_customers": p.min_group_size },
            "ideal": ideal_json,
            "negative": {
                "rule": format!("Net revenue ≤ 0 or return rate ≥ {:.0}%.", 100.0 * NEGATIVE_RETURN_RATE),
                "profile": neg_json,
            },
            "products": { "available": false, "note": products_note },
            // The fit of `ideal_customers.csv`, `customers.csv` and `lead_scores.csv`.
            "fit": {
                "published": scoring.is_some(),
                "nothing_known": scoring.as_ref().map(|sc| round(100.0 / (1.0 + (-sc.prior).exp()), 1)),
            },
        });
        let ranking_note = match &scoring {
            Some(sc) => format!(
                "`ideal_customers.csv` ranks every customer, prospect and lead with marketing consent by how much \
                 they resemble your best customers (fit 0–100; someone of whom nothing is known scores {:.1}, the \
                 best customers' share of all customers with purchases).",
                100.0 / (1.0 + (-sc.prior).exp())
            ),
            None if everyone => "`ideal_customers.csv` is empty and no fit is given in `customers.csv` or \
                                 `lead_scores.csv`: every customer with purchases is one of your best customers \
                                 under this rule, so no one resembles them more than anyone else."
                .to_string(),
            None => "`ideal_customers.csv` is empty and no fit is given in `customers.csv` or `lead_scores.csv`: the \
                     fit is built from your best customers' traits, which are not shown here."
                .to_string(),
        };
        let guests = r
            .guest_revenue_share
            .and_then(guest_warning)
            .map_or(String::new(), |w| format!("**{w}**\n\n"));
        let markdown = format!(
            "# Ideal customer profile ({as_of})\n\n{guests}\
         ## Who counts as an ideal customer\n\n{rule_text}\n\n\
         A trait is called out when your best customers have it at least {hi}× as often as all customers \
         (or at most {lo}× as often), with at least {m} customers behind it; a median is called out when it \
         differs by at least {md:.0}%. Weekdays and hours are in {tz}. {money}\n\n\
         ## Your best customers\n\n{ideal_md}\n\
         ## {NEGATIVE_HEADING}\n\n\
         Customers whose returns and refunds cancel their purchases (net revenue 0 or below) or who return at \
         least {neg:.0}% of what they buy: most still bring in some revenue, but less than their orders \
         suggest.\n\n{neg_md}\n\
         ## Notes\n\n\
         - Figures over fewer than {m} customers are never shown (the minimum group size, SEGFLOW_MIN_GROUP_SIZE={m}).\n\
         - {products_note}\n\
         - {ranking_note}\n",
            as_of = p.as_of,
            hi = LIFT_HIGH,
            lo = LIFT_LOW,
            m = p.min_group_size,
            md = 100.0 * MEDIAN_DIFF,
            tz = p.timezone.name(),
            money = money_sentence(r.money_unit),
            neg = 100.0 * NEGATIVE_RETURN_RATE,
        );
        Icp {
            ideal,
            negative,
            traits,
            values,
            scoring,
            json,
            markdown,
        }
    })
}
