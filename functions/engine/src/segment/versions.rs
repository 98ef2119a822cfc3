//! Orders that several uploads give, and which upload tells each of them.
//!
//! A shop's exports overlap (Q1, then the half year; a full-year export and last week's), a
//! marketplace's order-level file stands beside its items file (Etsy's Sold Orders and Sold Order
//! Items, WooCommerce's orders and order items), and a gateway's payments export can name the
//! shop's order (PayPal's invoice number). Each such order is one order, told by one upload:
//! added up, it would count twice, and an older export's paid line would stand beside the newer
//! export's refund of it.
//!
//! Which upload tells it: one that lists the order's items over one that gives the order in a
//! row without a product; then the one whose status went further (paid after pending, refunded or
//! cancelled after paid: statuses only move one way); then the newer export, whose orders reach
//! later (then the later upload key). An order-level row still says what happened to the order:
//! its refund counts against the itemised order, its cancellation cancels it.
//!
//! Two versions are one order only when they are close in time (time zones, a date-only export
//! beside one with times, a payment a minute after its order) and, when both list items, share
//! one: two branches numbering their invoices from 1 each, or an order exported in two parts,
//! are not versions of each other.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, TimestampMicrosecondType};

use super::SegmentError;
use super::hash::{MixMap, content_hash, str_hash};
use super::interner::Interner;
use super::sales::{alias, arrow_err, column, f64_at, open_parquet, projected_reader, str_at, ts_type};

/// How far apart two versions of one order may be dated: a day and a half covers any two time
/// zones, a date without a time beside one with it, and a payment stamped after its order.
pub(super) const MARGIN_MICROS: i64 = 36 * 3_600_000_000;

/// Products remembered per version: enough to find one in common with another version.
const PRODUCTS: usize = 32;

/// What becomes of an upload's rows of an order another upload tells.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Outcome {
    /// Left out: the order is told by another upload, or cancelled by one.
    Drop,
    /// An order-level row refunded by its status: the refund counts against the order that
    /// another upload itemises, nothing else does.
    RefundOnly,
}

/// One upload's rows of one order.
struct Version {
    source: u32,
    itemised: bool,
    status: u8,
    ts: i64,
    /// Sorted hashes of the products' codes and names, at most [`PRODUCTS`].
    products: Vec<u64>,
}

/// How far an order's status went: unpaid, paid, partly refunded, refunded, cancelled.
fn status_rank(status: Option<&str>) -> u8 {
    match status {
        Some("unpaid" | "pending") => 0,
        Some("partially_refunded") => 2,
        Some("refunded" | "returned") => 3,
        Some("cancelled" | "failed" | "declined" | "denied") => 4,
        _ => 1,
    }
}
const REFUNDED: u8 = 3;
const CANCELLED: u8 = 4;

/// The order lines of a row, as opposed to a return: a line refunded by its status is the
/// order's line itself (see `Prepare::batch`).
pub(super) fn order_line(is_return: bool, qty: f64, amount: f64) -> bool {
    !is_return || (qty > 0.0 && amount > 0.0)
}

/// An order: its customer (empty for a guest) and number.
fn order_key(customer: &str, order: &str) -> u128 {
    content_hash(&(customer, order))
}

/// The columns read to find the versions.
const COLUMNS: [&str; 10] = [
    "order_ts",
    "order_id",
    "customer_id",
    "product_id",
    "product_name",
    "quantity",
    "line_amount",
    "is_return",
    "status",
    "source_key",
];

#[derive(Default)]
pub(super) struct Versions {
    outcomes: MixMap<(u128, u32), Outcome>,
}

impl Versions {
    /// Reads the order lines of `files` that `in_window` keeps (those dated where uploads
    /// overlap) and decides, for every order two uploads give, what becomes of each one's rows.
    /// `newness`: per source, the time its orders reach.
    pub(super) fn read(
        files: &[PathBuf],
        in_window: impl Fn(i64) -> bool,
        sources: &mut Interner,
        newness: &[(u32, i64)],
        aliases: &HashMap<String, String>,
    ) -> Result<Versions, SegmentError> {
        let mut orders: MixMap<u128, Vec<Version>> = MixMap::default();
        for path in files {
            read_file(path, &in_window, sources, aliases, &mut orders)?;
        }
        // Newer: reaching later, then the later key.
        let mut by_reach: Vec<(i64, &str, u32)> = newness
            .iter()
            .map(|&(s, reach)| (reach, sources.name(s), s))
            .collect();
        by_reach.sort_unstable();
        let mut rank = vec![0u32; sources.len()];
        for (r, &(_, _, s)) in by_reach.iter().enumerate() {
            rank[s as usize] = r as u32 + 1;
        }
        let mut outcomes = MixMap::default();
        for (key, versions) in orders {
            if versions.len() < 2 {
                continue;
            }
            let owner = versions
                .iter()
                .max_by_key(|v| (v.itemised, v.status, rank.get(v.source as usize), v.source))
                .expect("two versions");
            for v in versions.iter().filter(|v| v.source != owner.source) {
                let same = (v.ts - owner.ts).abs() <= MARGIN_MICROS
                    && (!v.itemised || !owner.itemised || shares_a_product(v, owner));
                if !same {
                    continue;
                }
                let outcome = if !v.itemised && v.status == CANCELLED && owner.status < CANCELLED {
                    outcomes.insert((key, owner.source), Outcome::Drop);
                    Outcome::Drop
                } else if !v.itemised && v.status == REFUNDED && owner.status < REFUNDED {
                    Outcome::RefundOnly
                } else {
                    Outcome::Drop
                };
                outcomes.insert((key, v.source), outcome);
            }
        }
        Ok(Versions { outcomes })
    }

    /// What becomes of `source`'s rows of the order, if another upload tells it.
    pub(super) fn outcome(&self, customer: Option<&str>, order: &str, source: u32) -> Option<Outcome> {
        if self.outcomes.is_empty() {
            return None;
        }
        self.outcomes
            .get(&(order_key(customer.unwrap_or(""), order), source))
            .copied()
    }
}

fn shares_a_product(a: &Version, b: &Version) -> bool {
    a.products.iter().any(|p| b.products.binary_search(p).is_ok())
}

fn read_file(
    path: &Path,
    in_window: &impl Fn(i64) -> bool,
    sources: &mut Interner,
    aliases: &HashMap<String, String>,
    orders: &mut MixMap<u128, Vec<Version>>,
) -> Result<(), SegmentError> {
    let text = |batch: &RecordBatch, name: &str| column(path, batch, name, &DataType::Utf8, false);
    for batch in projected_reader(path, open_parquet(path)?, &COLUMNS)? {
        let batch = batch.map_err(|e| arrow_err(path, e))?;
        let number = |name| column(path, &batch, name, &DataType::Float64, true);
        let (Some(order_id), Some(quantity), Some(line_amount), Some(ts), Some(is_return)) = (
            text(&batch, "order_id")?,
            number("quantity")?,
            number("line_amount")?,
            column(path, &batch, "order_ts", &ts_type(), true)?,
            column(path, &batch, "is_return", &DataType::Boolean, true)?,
        ) else {
            continue;
        };
        let strings = |name| -> Result<Option<arrow::array::StringArray>, SegmentError> {
            Ok(text(&batch, name)?.map(|a| a.as_string::<i32>().clone()))
        };
        let (customer_id, product_id, product_name, status, source_key) = (
            strings("customer_id")?,
            strings("product_id")?,
            strings("product_name")?,
            strings("status")?,
            strings("source_key")?,
        );
        let order_id = order_id.as_string::<i32>();
        let (quantity, line_amount) = (
            quantity.as_primitive::<Float64Type>(),
            line_amount.as_primitive::<Float64Type>(),
        );
        let ts = ts.as_primitive::<TimestampMicrosecondType>();
        let is_return = is_return.as_boolean();
        for i in 0..batch.num_rows() {
            if ts.is_null(i) || !in_window(ts.value(i)) {
                continue;
            }
            let Some(order) = str_at(Some(order_id), i) else {
                continue;
            };
            let (Some(qty), Some(amount)) = (f64_at(Some(quantity), i), f64_at(Some(line_amount), i)) else {
                continue;
            };
            if !order_line(is_return.is_valid(i) && is_return.value(i), qty, amount) {
                continue;
            }
            let customer = str_at(customer_id.as_ref(), i)
                .map(|c| alias(aliases, c))
                .unwrap_or("");
            let source = sources.intern(str_at(source_key.as_ref(), i).unwrap_or(""));
            // Its code and its name alike: a hand-kept sheet names products, the shop's system
            // gives codes beside the names.
            let products = [str_at(product_id.as_ref(), i), str_at(product_name.as_ref(), i)];
            let versions = orders.entry(order_key(customer, order)).or_default();
            let v = match versions.iter_mut().position(|v| v.source == source) {
                Some(j) => &mut versions[j],
                None => {
                    versions.push(Version {
                        source,
                        itemised: false,
                        status: 0,
                        ts: i64::MAX,
                        products: Vec::new(),
                    });
                    versions.last_mut().expect("pushed")
                }
            };
            v.ts = v.ts.min(ts.value(i));
            v.status = v.status.max(status_rank(str_at(status.as_ref(), i)));
            for p in products.into_iter().flatten() {
                v.itemised = true;
                let h = str_hash(&crate::values::persian_letters(p));
                if let Err(at) = v.products.binary_search(&h)
                    && v.products.len() < PRODUCTS
                {
                    v.products.insert(at, h);
                }
            }
        }
    }
    Ok(())
}
