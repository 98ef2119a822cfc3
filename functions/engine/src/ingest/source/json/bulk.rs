//! Refunds in Shopify's bulk operation output. A bulk query's JSON Lines give each object of a
//! nested connection on a line of its own, naming the object it belongs to by `__parentId`, and
//! Shopify lists a child after its parent but not necessarily right after it. A `Refund` line
//! names its order; its refund line items (`refundLineItems`), shipping lines
//! (`refundShippingLines`) and transactions name the refund. Read as they stand, the refund lines
//! were line items of an order the file does not hold and the order counted as bought whole.
//!
//! Here they become return lines of their order as the nested refunds are (see [`super::refunds`]):
//! each row names the order by `__parentId`, so the converter gives it the order's number, buyer,
//! status and currency as it does the order's line items. Whether a refund returned items or
//! money only is known once a refund line names it, else only at the end of the file: a refund
//! of money only gives its return line then (or, past [`REFUNDS_KEPT`] refunds, when the memory
//! starts afresh), under its own line.

use std::collections::{HashMap, HashSet};

use super::refunds::{self, BULK_PARENT, Keys};
use super::*;
use crate::ingest::convert::{
    BULK_ORDERS_KEPT, EMPTY_REFUND, MISSING_ORDER, ORDER_SUMMARY, PAYMENT_ROW, SHIPPING_REFUND,
};

type Value = serde_json::Value;

const ORDER_GID: &str = "gid://shopify/Order/";
const REFUND_GID: &str = "gid://shopify/Refund/";
const LINE_ITEM_GID: &str = "gid://shopify/LineItem/";
/// Refunds remembered for the lines that name them: as many as the converter remembers orders.
const REFUNDS_KEPT: usize = BULK_ORDERS_KEPT;
/// Line items remembered for refund lines that name their item by id only (`lineItem { id }`),
/// and the bytes their fields may take: past either the memory starts afresh. A line item of
/// more than [`LINE_ITEM_MAX_BYTES`] is not remembered (no real one is that large).
const LINE_ITEMS_KEPT: usize = BULK_ORDERS_KEPT;
const LINE_ITEMS_BYTES: usize = 16 << 20;
const LINE_ITEM_MAX_BYTES: usize = 16 << 10;
/// Ids and dates are kept to this many bytes (Shopify's are far shorter): a hostile file's
/// megabyte-long "id" must not fill the memory. A text cut short matches no order and parses as
/// no date, so such a line is quarantined, not read as another's.
const KEPT_TEXT: usize = 256;

/// A rows batch of a bulk line: each row under its own source line (a refund's return line of
/// money only is given under the refund's line, later).
pub(super) type BulkRows = Vec<(u64, SplitRow)>;

/// A refund read, until the end of the file (or of the memory).
struct Refund {
    /// The order's gid, as the refund's `__parentId` gives it.
    order: String,
    date: Option<Value>,
    line: u64,
    /// What it says it gave back in all (`totalRefundedSet`): its money if no line names an item.
    total: Option<f64>,
    /// Its successful transactions of kind refund, read from their own lines.
    transactions: Option<f64>,
    /// The shipping its shipping lines gave back.
    shipping: f64,
    /// A refund line item of it was read: its return lines are those, and its own line was
    /// quarantined as its summary.
    itemised: bool,
    /// Its order's line came before it (the converter checks the orders of return lines; a
    /// refund that gives no return line is checked here).
    order_known: bool,
}

/// What a bulk file's lines read so far say of its refunds.
#[derive(Default)]
pub(super) struct Bulk {
    refunds: HashMap<String, Refund>,
    /// Orders read, as many as the converter remembers (see [`Refund::order_known`]).
    orders: HashSet<String>,
    line_items: HashMap<String, JsonObject>,
    line_item_bytes: usize,
    /// Whether a return line was made: the file holds orders with refunds (see
    /// [`super::Opened::itemised_orders`]).
    pub(super) returns: bool,
}

impl Bulk {
    /// The rows of a refund's line or of one of its parts; the record back for any other line,
    /// to be read as it stands (a line item is remembered for the refund lines naming it by id).
    pub(super) fn take(&mut self, line: u64, obj: JsonObject) -> std::result::Result<BulkRows, JsonObject> {
        let Some(parent) = obj.get(BULK_PARENT).and_then(Value::as_str) else {
            if let Some(id) = obj.get("id").and_then(Value::as_str)
                && id.starts_with(ORDER_GID)
            {
                if self.orders.len() >= BULK_ORDERS_KEPT {
                    self.orders.clear();
                }
                self.orders.insert(kept(id));
            }
            return Err(obj);
        };
        let id = obj.get("id").and_then(Value::as_str).unwrap_or_default();
        if id.starts_with(REFUND_GID) {
            let (id, parent) = (kept(id), kept(parent));
            return Ok(self.refund(line, id, parent, &obj));
        }
        if parent.starts_with(REFUND_GID) {
            let parent = kept(parent);
            return Ok(self.part(line, &parent, &obj));
        }
        if id.starts_with(LINE_ITEM_GID) {
            self.remember(kept(id), &obj);
        }
        Err(obj)
    }

    /// A `Refund` line. One that lists its refund lines itself is read at once, as a nested
    /// refund is; otherwise its lines come on lines of their own, and it is kept until one does
    /// (or the file ends).
    fn refund(&mut self, line: u64, id: String, order: String, r: &JsonObject) -> BulkRows {
        let mut out = BulkRows::new();
        if !refunds::refund_lines(r).is_empty() {
            let named = format!("refund {id} of order {order}");
            let mut lines = Vec::new();
            let items = &self.line_items;
            refunds::order_refund(
                r,
                &named,
                &|id| items.get(&*value_text(id)),
                false,
                Keys::Bulk,
                &mut lines,
            );
            for l in lines {
                out.push((line, l.map(|l| l.bulk_row(&order))));
            }
            self.returns |= out.iter().any(|(_, r)| r.is_ok());
            return out;
        }
        if self.refunds.len() >= REFUNDS_KEPT && !self.refunds.contains_key(&id) {
            out = self.finish();
        }
        let refund = Refund {
            date: refunds::refund_date(r).map(kept_date),
            line,
            total: refunds::refund_total(r),
            transactions: None,
            shipping: refunds::shipping(r),
            itemised: false,
            order_known: self.orders.contains(&order),
            order,
        };
        // The same refund twice: the first one's money is not lost unsaid.
        if let Some(before) = self.refunds.insert(id.clone(), refund) {
            out.extend(self.resolve(&id, before));
        }
        out
    }

    /// A line naming a refund: a refund line item (a return line), a shipping line (no product
    /// return), or a transaction (the refund's money, read with it).
    fn part(&mut self, line: u64, refund_id: &str, obj: &JsonObject) -> BulkRows {
        let Bulk {
            refunds: known,
            line_items,
            returns,
            ..
        } = self;
        let Some(refund) = known.get_mut(refund_id) else {
            return vec![(
                line,
                Err((
                    MISSING_ORDER,
                    format!(
                        "a line of refund {refund_id}, which no line before it gives (or, past {REFUNDS_KEPT} refunds, no longer remembered): its order is unknown"
                    ),
                )),
            )];
        };
        let named = format!("refund {refund_id} of order {}", refund.order);
        if let Some(kind) = obj.get("kind").and_then(Value::as_str) {
            // An order adjustment or a transaction.
            let amount = refunds::money(obj, &["amount", "amountSet.shopMoney.amount"]).map_or(0.0, f64::abs);
            if kind.eq_ignore_ascii_case("shipping_refund") {
                refund.shipping = refunds::cents(refund.shipping + amount);
                return vec![(line, Err((SHIPPING_REFUND, shipping_detail(&named, amount))))];
            }
            let given = refunds::refunded_by(obj);
            if let Some(given) = given {
                let sum = refund.transactions.get_or_insert(0.0);
                *sum = refunds::cents(*sum + given);
            }
            let what = match given {
                Some(_) => "the money it gave back, read with the refund",
                None => "which gave nothing back",
            };
            return vec![(
                line,
                Err((PAYMENT_ROW, format!("a {kind} transaction of {named}: {what}"))),
            )];
        }
        if obj.contains_key("subtotalAmountSet") || obj.contains_key("shippingLine") {
            let amount = refunds::money(obj, &["subtotalAmountSet.shopMoney.amount"]).map_or(0.0, f64::abs);
            refund.shipping = refunds::cents(refund.shipping + amount);
            return vec![(line, Err((SHIPPING_REFUND, shipping_detail(&named, amount))))];
        }
        let mut out = BulkRows::new();
        // The refund's own line is its summary once its lines are known to follow: expected, as
        // the order's line is.
        if !refund.itemised {
            refund.itemised = true;
            out.push((
                refund.line,
                Err((
                    ORDER_SUMMARY,
                    format!("{named}: its refund line items, on the lines naming it, are its return lines"),
                )),
            ));
        }
        let items = &*line_items;
        let l = refunds::refund_line(
            obj,
            &|id| items.get(&*value_text(id)),
            refund.date.clone(),
            Keys::Bulk,
        );
        out.push((line, Ok(l.bulk_row(&refund.order))));
        *returns = true;
        out
    }

    /// A line item's fields, but its numbers and ids, for a refund line naming it by id only.
    fn remember(&mut self, id: String, item: &JsonObject) {
        let fields: JsonObject = item
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "id" | "name" | BULK_PARENT))
            .filter(|(k, _)| !matches!(sales_field(k), Some(Field::Quantity | Field::LineAmount)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let bytes = id.len() + fields.iter().map(|(k, v)| k.len() + size(v)).sum::<usize>();
        if bytes > LINE_ITEM_MAX_BYTES {
            return;
        }
        if self.line_items.len() >= LINE_ITEMS_KEPT || self.line_item_bytes + bytes > LINE_ITEMS_BYTES {
            self.line_items.clear();
            self.line_item_bytes = 0;
        }
        self.line_item_bytes += bytes;
        if let Some(before) = self.line_items.insert(id, fields) {
            self.line_item_bytes -= before
                .iter()
                .map(|(k, v)| k.len() + size(v))
                .sum::<usize>()
                .min(self.line_item_bytes);
        }
    }

    /// The rows of the refunds no refund line named (money only, shipping only, or nothing),
    /// in the order of their lines; the memory starts afresh.
    pub(super) fn finish(&mut self) -> BulkRows {
        let mut open: Vec<(String, Refund)> = self.refunds.drain().filter(|(_, r)| !r.itemised).collect();
        open.sort_by_key(|(_, r)| r.line);
        let mut out = BulkRows::new();
        for (id, refund) in open {
            out.extend(self.resolve(&id, refund));
        }
        out
    }

    /// A refund no refund line named: a return line of the money it gave back less shipping,
    /// else quarantined saying why it returned no product.
    fn resolve(&mut self, id: &str, r: Refund) -> BulkRows {
        if r.itemised {
            return Vec::new();
        }
        let named = format!("refund {id} of order {}", r.order);
        let given = r.transactions.or(r.total);
        let goods = given.map_or(0.0, |g| refunds::cents(g.abs() - r.shipping));
        let row = if goods <= 0.0 && !r.order_known {
            Err((
                MISSING_ORDER,
                format!(
                    "{named}, which no line before it gives (or, past {BULK_ORDERS_KEPT} orders, no longer remembered)"
                ),
            ))
        } else if goods > 0.0 {
            self.returns = true;
            Ok(refunds::money_line(goods, r.date, Keys::Bulk).bulk_row(&r.order))
        } else if r.shipping > 0.0 {
            Err((
                SHIPPING_REFUND,
                format!(
                    "{named} gave back {} of shipping only, which is no product return",
                    r.shipping
                ),
            ))
        } else {
            Err((
                EMPTY_REFUND,
                format!("{named} names no refunded item and gives back no money"),
            ))
        };
        vec![(r.line, row)]
    }
}

fn shipping_detail(named: &str, amount: f64) -> String {
    format!("a shipping line of {named} gave back {amount} of shipping, which is no product return")
}

/// At most [`KEPT_TEXT`] bytes of an id (cut at a character boundary).
fn kept(s: &str) -> String {
    let cut = (0..=s.len().min(KEPT_TEXT))
        .rev()
        .find(|&c| s.is_char_boundary(c))
        .unwrap_or(0);
    s[..cut].to_string()
}

/// A date kept as [`kept`] keeps ids; a date that is not text is none.
fn kept_date(v: Value) -> Value {
    match v {
        Value::String(s) if s.len() > KEPT_TEXT => Value::String(kept(&s)),
        Value::String(_) | Value::Number(_) => v,
        _ => Value::Null,
    }
}

/// About what a value takes in memory: its text's bytes.
fn size(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.iter().map(size).sum::<usize>() + 8,
        Value::Object(o) => o.iter().map(|(k, v)| k.len() + size(v)).sum::<usize>() + 8,
        _ => 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(json: &str) -> JsonObject {
        serde_json::from_str(json).unwrap()
    }

    fn refund(n: usize) -> JsonObject {
        obj(&format!(
            r#"{{"id":"gid://shopify/Refund/{n}","createdAt":"2024-04-05T09:00:00Z","totalRefundedSet":{{"shopMoney":{{"amount":"2.00"}}}},"__parentId":"gid://shopify/Order/{n}"}}"#
        ))
    }

    /// Past [`REFUNDS_KEPT`] refunds the memory starts afresh: the refunds of money only held so
    /// far give their return lines then (none is lost), and a later line of one of them is
    /// quarantined naming it, never read as another's.
    #[test]
    fn the_refunds_remembered_are_bounded() {
        let mut bulk = Bulk::default();
        for n in 0..REFUNDS_KEPT {
            assert!(bulk.take(n as u64 + 1, refund(n)).unwrap().is_empty());
        }
        let flushed = bulk.take(REFUNDS_KEPT as u64 + 1, refund(REFUNDS_KEPT)).unwrap();
        assert_eq!(flushed.len(), REFUNDS_KEPT);
        assert!(flushed.iter().all(|(_, r)| r.is_ok()));
        assert_eq!(flushed[0].0, 1, "in the order of their lines");
        assert_eq!(bulk.refunds.len(), 1);
        let late = obj(
            r#"{"quantity":1,"lineItem":{"id":"gid://shopify/LineItem/1","sku":"A"},"__parentId":"gid://shopify/Refund/0"}"#,
        );
        let rows = bulk.take(REFUNDS_KEPT as u64 + 2, late).unwrap();
        assert!(
            matches!(&rows[..], [(_, Err((MISSING_ORDER, d)))] if d.contains("gid://shopify/Refund/0")),
            "{:?}",
            rows.iter()
                .map(|(l, r)| (l, r.as_ref().err()))
                .collect::<Vec<_>>()
        );
    }

    /// A hostile line's megabyte-long ids are kept cut, and a line item too large to be a real
    /// one is not remembered: the memory stays small whatever the file holds.
    #[test]
    fn long_ids_and_large_line_items_are_not_kept_whole() {
        let mut bulk = Bulk::default();
        let long = "9".repeat(1 << 20);
        let r = obj(&format!(
            r#"{{"id":"gid://shopify/Refund/{long}","__parentId":"gid://shopify/Order/{long}"}}"#
        ));
        assert!(bulk.take(1, r).unwrap().is_empty());
        assert!(bulk.refunds.keys().all(|k| k.len() <= KEPT_TEXT));
        assert!(bulk.refunds.values().all(|r| r.order.len() <= KEPT_TEXT));
        let item = obj(&format!(
            r#"{{"id":"gid://shopify/LineItem/1","title":"{}","quantity":1,"__parentId":"gid://shopify/Order/1"}}"#,
            "x".repeat(LINE_ITEM_MAX_BYTES)
        ));
        assert!(bulk.take(2, item).is_err(), "a line item is read as it stands");
        assert!(bulk.line_items.is_empty());
        // The refund of nothing, of an order the file never gave, is quarantined when it ends.
        let rest = bulk.finish();
        assert!(matches!(&rest[..], [(1, Err((MISSING_ORDER, _)))]));
    }

    /// A refund that gives no return line (nothing, or shipping only) is quarantined for what it
    /// gave back when its order came before it, and as `missing_order` when none did, as its
    /// return lines would be.
    #[test]
    fn a_refund_of_no_goods_names_its_unknown_order() {
        let mut bulk = Bulk::default();
        let order =
            obj(r##"{"id":"gid://shopify/Order/1","name":"#1001","createdAt":"2024-04-01T09:00:00Z"}"##);
        assert!(bulk.take(1, order).is_err(), "an order line is read as it stands");
        let nothing = |n: u32, order: u32| {
            obj(&format!(
                r#"{{"id":"gid://shopify/Refund/{n}","createdAt":"2024-04-05T09:00:00Z","__parentId":"gid://shopify/Order/{order}"}}"#
            ))
        };
        assert!(bulk.take(2, nothing(1, 1)).unwrap().is_empty());
        assert!(bulk.take(3, nothing(2, 998)).unwrap().is_empty());
        let shipping = obj(
            r#"{"id":"gid://shopify/Refund/3","createdAt":"2024-04-05T09:00:00Z","refundShippingLines":{"nodes":[{"subtotalAmountSet":{"shopMoney":{"amount":"4.00"}}}]},"__parentId":"gid://shopify/Order/999"}"#,
        );
        let rows = bulk.take(4, shipping).unwrap();
        let rest = bulk.finish();
        let reasons: Vec<(u64, &str)> = rows
            .iter()
            .chain(&rest)
            .map(|(l, r)| (*l, r.as_ref().err().map_or("ok", |e| e.0)))
            .collect();
        assert_eq!(
            reasons,
            [(2, EMPTY_REFUND), (3, MISSING_ORDER), (4, MISSING_ORDER)],
            "{rows:?} {rest:?}"
        );
    }
}
