//! What an order's earlier rows said, for its later rows that leave it blank.

use chrono::{DateTime, Utc};

use super::documents::DocKind;
use super::sales::CurrencyUnit;

/// What the current order's earlier rows said, for its later rows that leave it blank. Shopify
/// gives an order's currency and "Financial Status" on its first line only (so a refunded
/// order's other lines were sales); eBay and Lightspeed give the buyer and status on the order's
/// summary row only; Odoo gives every order cell, its number included, on the first line only.
#[derive(Default, Clone)]
pub(super) struct OrderCarry {
    /// Empty before the first row with an order id.
    pub(super) id: String,
    /// The source line of the order's latest row.
    pub(super) line: u64,
    pub(super) ts: Option<DateTime<Utc>>,
    /// Reused across orders: one copy per order, not one allocation.
    customer: String,
    has_customer: bool,
    pub(super) status: Option<(String, bool)>,
    pub(super) currency: Option<CurrencyUnit>,
    /// What the order's document type says it is, when a line gave one.
    pub(super) document: Option<DocKind>,
}

/// `a == b` for the short texts compared on every row (an order id, a date): two overlapping
/// word loads instead of a `memcmp` call, which costs more than the comparison itself.
#[inline(always)]
pub(super) fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let u64_at = |s: &[u8], i: usize| s[i..i + 8].try_into().map(u64::from_ne_bytes).ok();
    let u32_at = |s: &[u8], i: usize| s[i..i + 4].try_into().map(u32::from_ne_bytes).ok();
    match n {
        8..=16 => u64_at(a, 0) == u64_at(b, 0) && u64_at(a, n - 8) == u64_at(b, n - 8),
        4..=7 => u32_at(a, 0) == u32_at(b, 0) && u32_at(a, n - 4) == u32_at(b, n - 4),
        _ => a == b,
    }
}

impl OrderCarry {
    /// Makes `id` the current order, forgetting the previous one's cells if it is another.
    #[inline(always)]
    pub(super) fn enter(&mut self, id: &str) {
        if !same_text(&self.id, id) {
            self.start(id);
        }
    }

    fn start(&mut self, id: &str) {
        self.id.clear();
        self.id.push_str(id);
        self.ts = None;
        self.has_customer = false;
        self.status = None;
        self.currency = None;
        self.document = None;
    }

    #[inline(always)]
    pub(super) fn customer(&self) -> Option<&str> {
        self.has_customer.then_some(self.customer.as_str())
    }

    #[inline(always)]
    pub(super) fn keep_customer(&mut self, customer: &str) {
        if !self.has_customer {
            self.set_customer(customer);
        }
    }

    fn set_customer(&mut self, customer: &str) {
        self.customer.clear();
        self.customer.push_str(customer);
        self.has_customer = true;
    }
}

/// How many of a bulk file's latest order objects are kept for line items that come later.
pub(crate) const BULK_ORDERS_KEPT: usize = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_is_equality() {
        let texts: Vec<String> = (0..24)
            .flat_map(|n| {
                let base: String = "0123456789abcdefghijklmn"[..n].to_string();
                let mut last = base.clone();
                if n > 0 {
                    last.replace_range(n - 1.., "x");
                }
                let mut first = base.clone();
                if n > 0 {
                    first.replace_range(..1, "x");
                }
                let mut mid = base.clone();
                if n > 2 {
                    mid.replace_range(n / 2..n / 2 + 1, "x");
                }
                [base, first, mid, last]
            })
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(same_text(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }
}
