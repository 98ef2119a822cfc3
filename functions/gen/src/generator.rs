//! The generator proper: a product catalogue, a customer base and an invoice plan, all drawn from
//! seeded xoshiro streams, then written out invoice by invoice in chronological order.
//!
//! How the pieces fit:
//! - **Plan.** Every planned invoice is a point in "invoice order" space `[0, 1)`: each customer
//!   gets a number of invoices (skewed popularity) spread over its own active window (so some
//!   customers are new, some lapse), guests get uniform points. Sorting the points gives the
//!   order in which customers buy.
//! - **Clock.** An invoice's time is the inverse CDF of a weekday × hour × month weight over the
//!   period, taken at the share of rows written so far. Times therefore never go backwards, busy
//!   hours get more invoices, and the last row lands at the end of the period whatever `--rows` is.
//! - **Returns.** After a customer invoice, a cancellation (`C` + a new invoice number, negative
//!   quantities of some of its lines) may be scheduled some days of rows later.
//!
//! Distributions are written by hand (inverse CDFs) so that the output depends only on the seed
//! and on this file.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};

pub const HEADER: &str =
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";

/// Number of products in the catalogue.
pub const N_PRODUCTS: usize = 4000;
/// Share of invoices without a customer id.
pub const GUEST_SHARE: f64 = 0.20;
/// Share of multi-line invoices that have a single line.
const SINGLE_LINE_SHARE: f64 = 0.10;
/// Mean lines of the other invoices (so that all invoices average ~10 lines).
const BASKET_MEAN: f64 = 11.0;
const MAX_LINES: u64 = 600;
/// Chance that a customer invoice is later partly cancelled. With ~1.4 lines per cancellation
/// this makes ~2 % of all lines returns.
const CANCEL_SHARE: f64 = 0.18;
const RETURN_LINES_MEAN: f64 = 1.4;
/// Delay of a cancellation after its invoice: at least half a day, then exponential.
const CANCEL_MIN_DAYS: f64 = 0.5;
const CANCEL_MEAN_EXTRA_DAYS: f64 = 6.0;
const FIRST_INVOICE: u64 = 536_365;
const FIRST_CUSTOMER_ID: u64 = 12_346;
const GUEST: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub struct Config {
    /// Data rows to write (the header is extra).
    pub rows: u64,
    pub customers: u32,
    pub seed: u64,
    /// First day of the period, days since 1970-01-01.
    pub start_day: i64,
    pub days: u32,
}

/// What was written, for the summary line and the tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub rows: u64,
    pub invoices: u64,
    pub guest_invoices: u64,
    pub cancellations: u64,
    pub return_rows: u64,
    pub customers_used: u32,
}

// ---------------------------------------------------------------------------------------------
// Random numbers

struct Rng(Xoshiro256PlusPlus);

impl Rng {
    /// Independent stream per purpose, so that e.g. the catalogue does not change when the
    /// number of rows does.
    fn new(seed: u64, stream: u64) -> Rng {
        Rng(Xoshiro256PlusPlus::seed_from_u64(
            seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        ))
    }

    fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1], safe for `ln`.
    fn open01(&mut self) -> f64 {
        1.0 - self.f64()
    }

    /// Uniform integer in [0, n).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.u64()) * u128::from(n)) >> 64) as u64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Standard normal (Box–Muller, one of the pair).
    fn normal(&mut self) -> f64 {
        let r = (-2.0 * self.open01().ln()).sqrt();
        r * (std::f64::consts::TAU * self.f64()).cos()
    }

    /// Exponential with the given mean (inverse CDF).
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * self.open01().ln()
    }

    /// Rounds `x` down or up at random so that the expectation is `x`.
    fn round_stochastic(&mut self, x: f64) -> u64 {
        let f = x.floor();
        f as u64 + u64::from(self.chance(x - f))
    }

    /// `1 + Geometric` with the given mean (≥ 1), capped (inverse CDF).
    fn lines(&mut self, mean: f64) -> u64 {
        if mean <= 1.0 {
            return 1;
        }
        let q = 1.0 - 1.0 / mean;
        (1 + (self.open01().ln() / q.ln()) as u64).min(MAX_LINES)
    }
}

/// A discrete distribution over indices, sampled by inverse CDF (binary search).
struct Discrete {
    cdf: Vec<f64>,
}

impl Discrete {
    fn new(weights: impl IntoIterator<Item = f64>) -> Discrete {
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = weights
            .into_iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        for c in &mut cdf {
            *c /= acc;
        }
        Discrete { cdf }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.f64();
        self.cdf.partition_point(|&c| c <= u).min(self.cdf.len() - 1)
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar (proleptic Gregorian, days since 1970-01-01; H. Hinnant's algorithms)

pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD` to days since 1970-01-01, checking the day exists.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// Monday = 0.
fn weekday(days: i64) -> usize {
    (days + 3).rem_euclid(7) as usize
}

const WEEKDAY_WEIGHT: [f64; 7] = [1.0, 1.05, 1.0, 1.1, 0.85, 0.35, 0.12];
const HOUR_WEIGHT: [f64; 24] = [
    0.005, 0.003, 0.002, 0.002, 0.003, 0.01, 0.04, 0.12, 0.5, 0.9, 1.2, 1.2, 1.1, 1.0, 0.9, 0.8, 0.55, 0.3,
    0.2, 0.15, 0.1, 0.06, 0.03, 0.01,
];
/// Retail seasonality: a build-up to November.
const MONTH_WEIGHT: [f64; 12] = [0.8, 0.8, 0.95, 0.85, 1.0, 0.95, 0.95, 0.95, 1.2, 1.3, 1.5, 1.1];

/// Inverse CDF of the weekday × hour × month weight over the period, read with a moving pointer
/// (queries only ever move forward).
struct Clock {
    /// Cumulative weight at the start of each hour slot; one extra entry at the end.
    cum: Vec<f64>,
    slot: usize,
    /// `M/D/YYYY ` per day of the period.
    day_prefix: Vec<Vec<u8>>,
}

impl Clock {
    fn new(start_day: i64, days: u32) -> Clock {
        let mut cum = Vec::with_capacity(days as usize * 24 + 1);
        let mut day_prefix = Vec::with_capacity(days as usize);
        let mut acc = 0.0;
        for d in 0..i64::from(days) {
            let day = start_day + d;
            let (y, m, dd) = civil_from_days(day);
            day_prefix.push(format!("{m}/{dd}/{y} ").into_bytes());
            let w = WEEKDAY_WEIGHT[weekday(day)] * MONTH_WEIGHT[m as usize - 1];
            for h in HOUR_WEIGHT {
                cum.push(acc);
                acc += w * h;
            }
        }
        cum.push(acc);
        Clock {
            cum,
            slot: 0,
            day_prefix,
        }
    }

    /// Appends `M/D/YYYY H:MM` for the time at share `u` ∈ [0, 1) of the period's weight.
    fn write_time(&mut self, u: f64, out: &mut Vec<u8>) {
        let total = *self.cum.last().expect("at least one slot");
        let target = u.clamp(0.0, 1.0) * total;
        let last_slot = self.cum.len() - 2;
        while self.slot < last_slot && self.cum[self.slot + 1] <= target {
            self.slot += 1;
        }
        let (lo, hi) = (self.cum[self.slot], self.cum[self.slot + 1]);
        let minute = if hi > lo {
            (((target - lo) / (hi - lo)) * 60.0) as u64
        } else {
            0
        }
        .min(59);
        out.extend_from_slice(&self.day_prefix[self.slot / 24]);
        push_u64(out, (self.slot % 24) as u64);
        out.push(b':');
        out.push(b'0' + (minute / 10) as u8);
        out.push(b'0' + (minute % 10) as u8);
    }
}

// ---------------------------------------------------------------------------------------------
// Catalogue

struct Product {
    code: Vec<u8>,
    /// CSV-ready (quoted when needed).
    desc: Vec<u8>,
    cents: u32,
}

const ADJECTIVES: [&str; 50] = [
    "WHITE",
    "RED",
    "PINK",
    "BLUE",
    "GREEN",
    "IVORY",
    "BLACK",
    "VINTAGE",
    "RETRO",
    "REGENCY",
    "SWEETHEART",
    "GLASS",
    "WOODEN",
    "ZINC",
    "ENAMEL",
    "CERAMIC",
    "PAPER",
    "FELTCRAFT",
    "HANGING",
    "HEART",
    "STAR",
    "SPOTTY",
    "FLORAL",
    "CHRISTMAS",
    "EASTER",
    "JUMBO",
    "SMALL",
    "LARGE",
    "MINI",
    "ANTIQUE",
    "FRENCH",
    "SET OF 3",
    "SET OF 6",
    "PACK OF 12",
    "ROSES",
    "POLKADOT",
    "SKULL",
    "ALARM",
    "LUNCH",
    "PARTY",
    "GARDEN",
    "KITCHEN",
    "BATHROOM",
    "CHILDRENS",
    "DOLLY GIRL",
    "SPACEBOY",
    "LOVE",
    "HOME SWEET HOME",
    "SCANDINAVIAN",
    "CAKE",
];
const NOUNS: [&str; 40] = [
    "T-LIGHT HOLDER",
    "LANTERN",
    "CANDLE",
    "MUG",
    "TEACUP AND SAUCER",
    "BAG",
    "LUNCH BOX",
    "CLOCK",
    "MIRROR",
    "PHOTO FRAME",
    "SIGN",
    "CUSHION COVER",
    "NAPKINS",
    "PAPER PLATES",
    "CAKE CASES",
    "BUNTING",
    "DOORMAT",
    "TIN",
    "STORAGE JAR",
    "BOTTLE",
    "PURSE",
    "NOTEBOOK",
    "PENCILS",
    "STICKERS",
    "GIFT WRAP",
    "CARD",
    "DECORATION",
    "ORNAMENT",
    "HOT WATER BOTTLE",
    "APRON",
    "OVEN GLOVE",
    "TEA TOWEL",
    "PLANT POT",
    "BIRD FEEDER",
    "WALL ART",
    "COASTER",
    "TRAY",
    "BOWL",
    "JUG",
    "SPOON",
];
const COMMA_SUFFIXES: [&str; 4] = ["PANTRY DESIGN", "ASSORTED", "PINK/WHITE", "SET OF 4"];

fn csv_field(s: &str) -> Vec<u8> {
    if s.contains([',', '"', '\n']) {
        let mut v = Vec::with_capacity(s.len() + 2);
        v.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                v.push(b'"');
            }
            v.push(b);
        }
        v.push(b'"');
        v
    } else {
        s.as_bytes().to_vec()
    }
}

struct Catalogue {
    products: Vec<Product>,
    popularity: Discrete,
}

impl Catalogue {
    fn new(rng: &mut Rng) -> Catalogue {
        let products = (0..N_PRODUCTS)
            .map(|i| {
                // 7919 and 89 990 are coprime, so the codes are distinct.
                let mut code = (10_002 + (i as u64 * 7919) % 89_990).to_string();
                if rng.chance(0.15) {
                    code.push((b'A' + rng.below(7) as u8) as char);
                }
                let mut desc = String::new();
                desc.push_str(ADJECTIVES[rng.below(ADJECTIVES.len() as u64) as usize]);
                if rng.chance(0.6) {
                    desc.push(' ');
                    desc.push_str(ADJECTIVES[rng.below(ADJECTIVES.len() as u64) as usize]);
                }
                desc.push(' ');
                desc.push_str(NOUNS[rng.below(NOUNS.len() as u64) as usize]);
                if rng.chance(0.004) {
                    desc.push_str(" 7\" X 5\"");
                }
                if rng.chance(0.03) {
                    desc.push_str(", ");
                    desc.push_str(COMMA_SUFFIXES[rng.below(COMMA_SUFFIXES.len() as u64) as usize]);
                }
                // Log-normal around 2.00 within 0.29–50, plus a few expensive items.
                let price = if rng.chance(0.005) {
                    50.0 + rng.f64() * 250.0
                } else {
                    (2.0f64.ln() + 0.8 * rng.normal()).exp().clamp(0.29, 50.0)
                };
                let cents = if price < 1.0 {
                    (price * 100.0).round()
                } else {
                    (price * 20.0).round() * 5.0
                };
                Product {
                    code: code.into_bytes(),
                    desc: csv_field(&desc),
                    cents: cents.max(1.0) as u32,
                }
            })
            .collect();
        // Zipf-like popularity with a flattened head.
        let popularity = Discrete::new((0..N_PRODUCTS).map(|k| (k as f64 + 21.0).powf(-0.9)));
        Catalogue { products, popularity }
    }
}

/// Quantities: mostly 1–12, some trade packs of 24–100, a few odd 13–23.
struct Quantities {
    small: Discrete,
    packs: Discrete,
}

const SMALL_QTY: [(u32, f64); 9] = [
    (1, 30.0),
    (2, 18.0),
    (3, 8.0),
    (4, 10.0),
    (5, 3.0),
    (6, 14.0),
    (8, 4.0),
    (10, 5.0),
    (12, 8.0),
];
const PACK_QTY: [(u32, f64); 8] = [
    (24, 30.0),
    (25, 8.0),
    (36, 6.0),
    (48, 12.0),
    (50, 6.0),
    (72, 4.0),
    (96, 6.0),
    (100, 4.0),
];

impl Quantities {
    fn new() -> Quantities {
        Quantities {
            small: Discrete::new(SMALL_QTY.iter().map(|q| q.1)),
            packs: Discrete::new(PACK_QTY.iter().map(|q| q.1)),
        }
    }

    fn sample(&self, rng: &mut Rng) -> u32 {
        let u = rng.f64();
        if u < 0.80 {
            SMALL_QTY[self.small.sample(rng)].0
        } else if u < 0.97 {
            PACK_QTY[self.packs.sample(rng)].0
        } else {
            13 + rng.below(11) as u32
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Customers and plan

const COUNTRIES: [(&str, f64); 23] = [
    ("United Kingdom", 0.850),
    ("Germany", 0.025),
    ("France", 0.022),
    ("EIRE", 0.020),
    ("Spain", 0.009),
    ("Netherlands", 0.008),
    ("Belgium", 0.007),
    ("Switzerland", 0.006),
    ("Portugal", 0.006),
    ("Australia", 0.005),
    ("Norway", 0.005),
    ("Italy", 0.005),
    ("Channel Islands", 0.004),
    ("Finland", 0.004),
    ("Cyprus", 0.003),
    ("Sweden", 0.003),
    ("Austria", 0.003),
    ("Denmark", 0.003),
    ("Japan", 0.003),
    ("Poland", 0.003),
    ("USA", 0.002),
    ("Canada", 0.002),
    ("Greece", 0.002),
];

struct Customer {
    country: u8,
    /// Mean lines of this customer's multi-line invoices.
    basket: f32,
}

/// Expected rows per planned invoice (its own lines plus its share of cancellation lines).
fn rows_per_invoice() -> f64 {
    let lines = SINGLE_LINE_SHARE + (1.0 - SINGLE_LINE_SHARE) * BASKET_MEAN;
    lines + (1.0 - GUEST_SHARE) * CANCEL_SHARE * RETURN_LINES_MEAN
}

fn to_fixed(u: f64) -> u64 {
    ((u.clamp(0.0, 1.0) * 4_294_967_296.0) as u64).min(u64::from(u32::MAX))
}

/// Sorted `(position << 32) | customer` keys; customer `GUEST` for guest invoices.
fn plan(cfg: &Config, customers_used: u32, rng: &mut Rng) -> Vec<u64> {
    let planned = ((cfg.rows as f64 / rows_per_invoice()) * 1.03).ceil() as u64 + 16;
    let guests = (planned as f64 * GUEST_SHARE).round() as u64;
    let for_customers = planned - guests;
    let mut keys = Vec::with_capacity(planned as usize + planned as usize / 20);

    // Popularity: Lomax (Pareto II) weights: many near zero (one-time buyers), a heavy tail of
    // regulars. Everyone in the base buys at least once.
    let c = customers_used as usize;
    let weights: Vec<f64> = (0..c)
        .map(|_| (rng.open01().powf(-1.0 / 1.5) - 1.0).min(300.0))
        .collect();
    let total: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let extra = for_customers.saturating_sub(c as u64) as f64;
    for (i, w) in weights.iter().enumerate() {
        let n = 1 + rng.round_stochastic(extra * w / total);
        // Active window: some customers were there from the start, others join later; some
        // stay to the end, others lapse.
        let a = if rng.chance(0.55) { 0.0 } else { rng.f64() * 0.95 };
        let mut b = if rng.chance(0.6) {
            1.0
        } else {
            a + (1.0 - a) * rng.f64()
        };
        b = b.max((a + 0.02).min(1.0));
        let regular = rng.chance(0.5);
        for k in 0..n {
            let u = if regular {
                // Stratified: one invoice per slice of the window, a steady rhythm.
                a + (b - a) * ((k as f64 + 0.5 + 0.8 * (rng.f64() - 0.5)) / n as f64)
            } else {
                a + (b - a) * rng.f64()
            };
            keys.push((to_fixed(u) << 32) | i as u64);
        }
    }
    for _ in 0..guests {
        keys.push((to_fixed(rng.f64()) << 32) | u64::from(GUEST));
    }
    keys.sort_unstable();
    keys
}

// ---------------------------------------------------------------------------------------------
// Output

fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

fn push_cents(out: &mut Vec<u8>, cents: u32) {
    push_u64(out, u64::from(cents / 100));
    let c = cents % 100;
    out.push(b'.');
    out.push(b'0' + (c / 10) as u8);
    out.push(b'0' + (c % 10) as u8);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
struct Line {
    product: u16,
    qty: u32,
    cents: u32,
}

/// A scheduled cancellation. Ordered by due row, then by scheduling order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    due: u64,
    seq: u64,
    customer: u32,
    n: u8,
    lines: [Line; 3],
}

struct Writer<'a> {
    cfg: &'a Config,
    catalogue: &'a Catalogue,
    countries: Vec<Vec<u8>>,
    clock: Clock,
    stats: Stats,
    next_invoice: u64,
    /// One invoice's rows, written in one go.
    buf: Vec<u8>,
    /// The invoice's shared fields: number, time.
    inv: Vec<u8>,
    date: Vec<u8>,
    cust: Vec<u8>,
}

impl Writer<'_> {
    fn done(&self) -> bool {
        self.stats.rows >= self.cfg.rows
    }

    /// Starts an invoice: number (with `C` for cancellations), time, customer id.
    fn begin(&mut self, cancel: bool, customer: u32) {
        self.inv.clear();
        if cancel {
            self.inv.push(b'C');
        }
        push_u64(&mut self.inv, self.next_invoice);
        self.next_invoice += 1;
        self.date.clear();
        let u = self.stats.rows as f64 / self.cfg.rows as f64;
        self.clock.write_time(u, &mut self.date);
        self.cust.clear();
        if customer != GUEST {
            push_u64(&mut self.cust, FIRST_CUSTOMER_ID + u64::from(customer));
        }
        self.buf.clear();
        self.stats.invoices += 1;
    }

    fn row(&mut self, line: Line, negative: bool, country: u8) {
        let p = &self.catalogue.products[line.product as usize];
        let b = &mut self.buf;
        b.extend_from_slice(&self.inv);
        b.push(b',');
        b.extend_from_slice(&p.code);
        b.push(b',');
        b.extend_from_slice(&p.desc);
        b.push(b',');
        if negative {
            b.push(b'-');
        }
        push_u64(b, u64::from(line.qty));
        b.push(b',');
        b.extend_from_slice(&self.date);
        b.push(b',');
        push_cents(b, line.cents);
        b.push(b',');
        b.extend_from_slice(&self.cust);
        b.push(b',');
        b.extend_from_slice(&self.countries[country as usize]);
        b.push(b'\n');
        self.stats.rows += 1;
        if negative {
            self.stats.return_rows += 1;
        }
    }
}

/// Writes the header and exactly `cfg.rows` data rows.
pub fn generate<W: Write>(cfg: &Config, out: W) -> io::Result<Stats> {
    let mut out = out;
    out.write_all(HEADER.as_bytes())?;
    if cfg.rows == 0 {
        out.flush()?;
        return Ok(Stats::default());
    }
    let days = cfg.days.max(1);
    let mut rng_catalogue = Rng::new(cfg.seed, 1);
    let mut rng_customers = Rng::new(cfg.seed, 2);
    let mut rng_plan = Rng::new(cfg.seed, 3);
    let mut rng = Rng::new(cfg.seed, 4);

    let catalogue = Catalogue::new(&mut rng_catalogue);
    let quantities = Quantities::new();
    let country_dist = Discrete::new(COUNTRIES.iter().map(|c| c.1));
    // Every customer in the base buys at least once; with few rows, fewer customers take part
    // (at least two planned invoices each on average).
    let planned_customer_invoices = (cfg.rows as f64 / rows_per_invoice() * (1.0 - GUEST_SHARE)) as u64;
    let customers_used = u64::from(cfg.customers.max(1)).min((planned_customer_invoices / 2).max(1)) as u32;
    let customers: Vec<Customer> = (0..customers_used)
        .map(|_| Customer {
            country: country_dist.sample(&mut rng_customers) as u8,
            // Log-normal with mean 1 (σ = 0.6): some customers buy small baskets, some large.
            basket: (BASKET_MEAN * (0.6 * rng_customers.normal() - 0.18).exp()) as f32,
        })
        .collect();
    let keys = plan(cfg, customers_used, &mut rng_plan);

    let mut w = Writer {
        cfg,
        catalogue: &catalogue,
        countries: COUNTRIES.iter().map(|c| csv_field(c.0)).collect(),
        clock: Clock::new(cfg.start_day, days),
        stats: Stats {
            customers_used,
            ..Stats::default()
        },
        next_invoice: FIRST_INVOICE,
        buf: Vec::with_capacity(1 << 16),
        inv: Vec::with_capacity(16),
        date: Vec::with_capacity(24),
        cust: Vec::with_capacity(16),
    };
    let rows_per_day = cfg.rows as f64 / f64::from(days);
    let mut pending: BinaryHeap<Reverse<Pending>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut lines: Vec<Line> = Vec::with_capacity(MAX_LINES as usize);
    let mut next_key = 0usize;

    while !w.done() {
        let due = pending.peek().is_some_and(|Reverse(p)| p.due <= w.stats.rows);
        if due || (next_key >= keys.len() && !pending.is_empty()) {
            let Reverse(p) = pending.pop().expect("peeked");
            let country = customers[p.customer as usize].country;
            w.begin(true, p.customer);
            w.stats.cancellations += 1;
            for line in &p.lines[..p.n as usize] {
                if w.done() {
                    break;
                }
                w.row(*line, true, country);
            }
            out.write_all(&w.buf)?;
            continue;
        }
        // Past the plan (only when the row estimate was far off): more guest invoices.
        let customer = keys.get(next_key).map_or(GUEST, |k| *k as u32);
        next_key += 1;
        let (country, basket) = if customer == GUEST {
            w.stats.guest_invoices += 1;
            (country_dist.sample(&mut rng) as u8, BASKET_MEAN)
        } else {
            let c = &customers[customer as usize];
            (c.country, f64::from(c.basket))
        };
        let n = if rng.chance(SINGLE_LINE_SHARE) {
            1
        } else {
            rng.lines(basket)
        };
        w.begin(false, customer);
        lines.clear();
        for _ in 0..n {
            if w.done() {
                break;
            }
            let product = catalogue.popularity.sample(&mut rng);
            let qty = quantities.sample(&mut rng);
            let base = catalogue.products[product].cents;
            // Trade packs get a bulk price.
            let cents = if qty >= 24 {
                ((f64::from(base) * 0.85).round() as u32).max(1)
            } else {
                base
            };
            let line = Line {
                product: product as u16,
                qty,
                cents,
            };
            w.row(line, false, country);
            lines.push(line);
        }
        out.write_all(&w.buf)?;
        if customer != GUEST && !lines.is_empty() && rng.chance(CANCEL_SHARE) {
            let u = rng.f64();
            let count = if u < 0.7 {
                1
            } else if u < 0.9 {
                2
            } else {
                3
            }
            .min(lines.len());
            let start = rng.below(lines.len() as u64) as usize;
            let mut ret = [Line::default(); 3];
            for (j, r) in ret.iter_mut().enumerate().take(count) {
                let l = lines[(start + j) % lines.len()];
                let qty = if rng.chance(0.7) {
                    l.qty
                } else {
                    1 + rng.below(u64::from(l.qty)) as u32
                };
                *r = Line { qty, ..l };
            }
            let delay_days = CANCEL_MIN_DAYS + rng.exp(CANCEL_MEAN_EXTRA_DAYS);
            let due = w.stats.rows + ((delay_days * rows_per_day) as u64).max(1);
            seq += 1;
            pending.push(Reverse(Pending {
                due,
                seq,
                customer,
                n: count as u8,
                lines: ret,
            }));
        }
    }
    out.flush()?;
    Ok(w.stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(rows: u64, seed: u64) -> Config {
        Config {
            rows,
            customers: 2000,
            seed,
            start_day: parse_date("2022-12-01").unwrap(),
            days: 374,
        }
    }

    fn run(c: &Config) -> (Vec<u8>, Stats) {
        let mut out = Vec::new();
        let stats = generate(c, &mut out).unwrap();
        (out, stats)
    }

    /// Splits a CSV line on commas outside quotes.
    fn fields(line: &str) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    out.last_mut().unwrap().push('"');
                }
                '"' => quoted = !quoted,
                ',' if !quoted => out.push(String::new()),
                c => out.last_mut().unwrap().push(c),
            }
        }
        out
    }

    #[test]
    fn calendar_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(parse_date("2022-12-01").unwrap()), (2022, 12, 1));
        assert_eq!(parse_date("2024-02-29").map(civil_from_days), Some((2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-13-01"), None);
        // 2022-12-01 was a Thursday.
        assert_eq!(weekday(parse_date("2022-12-01").unwrap()), 3);
    }

    #[test]
    fn header_is_exact() {
        let (out, _) = run(&cfg(10, 1));
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines().next().unwrap(),
            "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
        );
        let (out, stats) = run(&cfg(0, 1));
        assert_eq!(out, HEADER.as_bytes());
        assert_eq!(stats.rows, 0);
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let (a, _) = run(&cfg(20_000, 7));
        let (b, _) = run(&cfg(20_000, 7));
        let (c, _) = run(&cfg(20_000, 8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn exact_row_count() {
        for rows in [1, 2, 9, 10, 11, 1234, 50_001] {
            let (out, stats) = run(&cfg(rows, 3));
            let lines = out.iter().filter(|&&b| b == b'\n').count() as u64;
            assert_eq!(lines, rows + 1, "rows = {rows}");
            assert_eq!(stats.rows, rows);
        }
    }

    #[test]
    fn shares_look_like_a_shop() {
        let (out, stats) = run(&cfg(200_000, 11));
        let text = String::from_utf8(out).unwrap();
        let mut invoices = std::collections::HashMap::<String, (bool, String)>::new();
        let (mut returns, mut rows, mut uk) = (0u64, 0u64, 0u64);
        let mut last_date = (0u32, 0u32, 0u32, 0u32, 0u32);
        let mut qty_small = 0u64;
        for line in text.lines().skip(1) {
            let f = fields(line);
            assert_eq!(f.len(), 8, "{line}");
            rows += 1;
            let qty: i64 = f[3].parse().unwrap();
            let price: f64 = f[5].parse().unwrap();
            assert!(
                price > 0.0 && f[5].split('.').nth(1).unwrap().len() == 2,
                "{line}"
            );
            if f[0].starts_with('C') {
                returns += 1;
                assert!(qty < 0, "{line}");
                assert!(!f[6].is_empty(), "returns belong to a customer: {line}");
            } else {
                assert!(qty > 0, "{line}");
                invoices
                    .entry(f[0].clone())
                    .or_insert((f[6].is_empty(), f[6].clone()));
                if (1..=12).contains(&qty) {
                    qty_small += 1;
                }
            }
            if f[7] == "United Kingdom" {
                uk += 1;
            }
            // Month-first dates in chronological order.
            let (date, time) = f[4].split_once(' ').unwrap();
            let d: Vec<u32> = date.split('/').map(|x| x.parse().unwrap()).collect();
            let t: Vec<u32> = time.split(':').map(|x| x.parse().unwrap()).collect();
            assert!(d[0] <= 12 && d[1] <= 31 && t[0] < 24 && t[1] < 60, "{line}");
            let now = (d[2], d[0], d[1], t[0], t[1]);
            assert!(now >= last_date, "{line} after {last_date:?}");
            last_date = now;
        }
        assert_eq!(rows, 200_000);
        let guests = invoices.values().filter(|v| v.0).count() as f64 / invoices.len() as f64;
        assert!((0.17..0.23).contains(&guests), "guest invoice share {guests}");
        let ret = returns as f64 / rows as f64;
        assert!((0.013..0.027).contains(&ret), "return line share {ret}");
        assert_eq!(returns, stats.return_rows);
        let lines_per_invoice = (rows - returns) as f64 / invoices.len() as f64;
        assert!(
            (8.5..11.5).contains(&lines_per_invoice),
            "lines per invoice {lines_per_invoice}"
        );
        let uk = uk as f64 / rows as f64;
        assert!((0.78..0.92).contains(&uk), "UK share {uk}");
        assert!(qty_small as f64 / (rows - returns) as f64 > 0.7);
        // The period is covered: the last invoice is in the last days (2023-12-09 is day 374).
        assert_eq!((last_date.0, last_date.1), (2023, 12));
        // Popularity is skewed: the busiest customer has many invoices, many have one.
        let mut per_customer = std::collections::HashMap::<String, u32>::new();
        for (guest, id) in invoices.values() {
            if !guest {
                *per_customer.entry(id.clone()).or_default() += 1;
            }
        }
        let max = *per_customer.values().max().unwrap();
        let once = per_customer.values().filter(|&&n| n == 1).count() as f64 / per_customer.len() as f64;
        assert!(max >= 30, "busiest customer has {max} invoices");
        assert!((0.15..0.6).contains(&once), "one-time buyers {once}");
    }

    #[test]
    fn cancellations_follow_their_invoice() {
        let (out, _) = run(&cfg(100_000, 5));
        let text = String::from_utf8(out).unwrap();
        // customer -> (stock code -> first row index of a purchase)
        let mut bought = std::collections::HashMap::<(String, String), usize>::new();
        let mut checked = 0;
        for (i, line) in text.lines().skip(1).enumerate() {
            let f = fields(line);
            let key = (f[6].clone(), f[1].clone());
            if f[0].starts_with('C') {
                let first = bought.get(&key).copied();
                assert!(
                    first.is_some_and(|j| j < i),
                    "return without an earlier purchase: {line}"
                );
                checked += 1;
            } else {
                bought.entry(key).or_insert(i);
            }
        }
        assert!(checked > 500);
    }
}
