//! An order's nested refunds as return lines of that order, beside the rows of its items (see
//! [`super::split_lines`]): Shopify's REST orders (`refunds[].refund_line_items`, else their
//! `transactions` of kind `refund`), Shopify's GraphQL orders (`refunds.refundLineItems`, lists
//! or connections), WooCommerce's REST orders (`refunds[].total`, and items' own `refunds` where
//! a version gives them). Without them a refunded order's lines all counted as bought.

use super::*;
use crate::ingest::convert::{EMPTY_REFUND, SHIPPING_REFUND};
use crate::mapping::{REFUND_AMOUNT, REFUND_QUANTITY};

type Value = serde_json::Value;

/// A return line: what it lays over its order's fields (the refunded item's product, the
/// refunded quantity and amount), and the refund's own date.
pub(super) struct ReturnLine {
    pub(super) fields: JsonObject,
    pub(super) date: Option<Value>,
}

/// How a refunded item's fields are named in its return line.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Keys {
    /// As in its order's rows: `item.title`, `item.id` beside the order's own (see [`item_key`]).
    Nested,
    /// As a Shopify bulk export's line item lines name them (`title`, `sku`), so the return line
    /// fills the columns its item's line does; without the item's `id` and `name` (the bulk
    /// layout's order id), which are the line's, not the return's.
    Bulk,
}

/// A return line, or why a refund (or part of one) is quarantined (reason, detail).
pub(super) type Refunded = std::result::Result<ReturnLine, (&'static str, String)>;

impl ReturnLine {
    /// The row: the order's fields (without its totals, as for its items), dated by the refund
    /// where it gives a date, with the line's own over them.
    pub(super) fn row(self, order: &JsonObject) -> JsonObject {
        let mut row = order.clone();
        if let Some(date) = self.date {
            // Under every key of the order that names its date: the file's mapping reads one of
            // them, which one is not known here.
            for (k, v) in row.iter_mut() {
                if sales_field(k) == Some(Field::OrderDate) {
                    *v = date.clone();
                }
            }
            // A separate time of the order would put the refund's day at the order's hour.
            row.retain(|k, _| sales_field(k) != Some(Field::OrderTime));
        }
        row.extend(self.fields);
        row
    }

    /// The row of a return line in a Shopify bulk export: naming its order by `__parentId`, as
    /// the order's line items do (the converter gives it the order's number, buyer and status),
    /// dated by the refund's `createdAt` where it gives one.
    pub(super) fn bulk_row(self, order: &str) -> JsonObject {
        let mut row = JsonObject::new();
        row.insert(BULK_PARENT.into(), order.into());
        if let Some(date) = self.date {
            row.insert("createdAt".into(), date);
        }
        row.extend(self.fields);
        row
    }
}

/// The key by which a Shopify bulk export's line names the object it belongs to.
pub(super) const BULK_PARENT: &str = "__parentId";

/// Takes an order's list of refunds out of it: left in, it was a column of JSON text that fed
/// nothing. None where the order has none.
pub(super) fn take(order: &mut JsonObject) -> Option<Value> {
    let key = order
        .iter()
        .find(|(k, v)| normalize_header(k) == "refunds" && list(v).is_some())
        .map(|(k, _)| k.clone())?;
    order.remove(&key)
}

/// Whether an order lists refunds ([`take`] would find them).
pub(super) fn has(order: &JsonObject) -> bool {
    order
        .iter()
        .any(|(k, v)| normalize_header(k) == "refunds" && list(v).is_some())
}

/// The return lines of an order's `refunds` and of its items' own (taken out of `items`, whose
/// rows they are not). An item's own refunds tell the money the order's refunds of a bare total
/// tell again (WooCommerce lists both): where items give theirs, such order refunds are not read.
pub(super) fn lines(refunds: Option<Value>, items: &mut [Value]) -> Vec<Refunded> {
    let mut out = Vec::new();
    for item in items.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let Some(own) = take(item) else {
            continue;
        };
        for (n, refund) in list(&own).unwrap_or_default().into_iter().enumerate() {
            out.push(match refund.as_object() {
                Some(r) => Ok(ReturnLine {
                    fields: line_fields(
                        Some(item),
                        quantity(r),
                        money(r, &["refund_total", "total", "subtotal", "amount"]),
                        Keys::Nested,
                    ),
                    date: refund_date(r),
                }),
                None => Err(not_an_object(format!("refund {} of an item", n + 1), refund)),
            });
        }
    }
    let itemised = !out.is_empty();
    let items: &[Value] = items;
    let refunds = refunds.as_ref().and_then(list).unwrap_or_default();
    for (n, refund) in refunds.into_iter().enumerate() {
        match refund.as_object() {
            Some(r) => order_refund(
                r,
                &refund_name(r, n + 1),
                &of_items(items),
                itemised,
                Keys::Nested,
                &mut out,
            ),
            None => out.push(Err(not_an_object(
                format!("refund {} of the order", n + 1),
                refund,
            ))),
        }
    }
    out
}

/// One refund of the order's `refunds`: a return line per refunded item where it lists them
/// (then its transactions are the same money, not added), else one line of the money it gave
/// back. Shipping given back is no product return: quarantined apart.
pub(super) fn order_refund<'i>(
    r: &JsonObject,
    named: &str,
    item: &dyn Fn(&Value) -> Option<&'i JsonObject>,
    itemised: bool,
    keys: Keys,
    out: &mut Vec<Refunded>,
) {
    let date = refund_date(r);
    let shipping = shipping(r);
    let refund_lines = refund_lines(r);
    if !refund_lines.is_empty() {
        for (i, line) in refund_lines.into_iter().enumerate() {
            out.push(match line.as_object() {
                Some(l) => Ok(refund_line(l, item, date.clone(), keys)),
                None => Err(not_an_object(format!("line {} of {named}", i + 1), line)),
            });
        }
        if shipping > 0.0 {
            out.push(Err((
                SHIPPING_REFUND,
                format!("{named} also gave back {shipping} of shipping, which is no product return"),
            )));
        }
        return;
    }
    let transactions = refund_transactions(r);
    // A bare total beside items that give their own refunds is those refunds told again.
    if itemised && transactions.is_none() {
        return;
    }
    let given = transactions.or_else(|| refund_total(r));
    let goods = given.map_or(0.0, |g| cents(g.abs() - shipping));
    if goods > 0.0 {
        out.push(Ok(money_line(goods, date, keys)));
    }
    if shipping > 0.0 {
        out.push(Err((
            SHIPPING_REFUND,
            format!("{named} gave back {shipping} of shipping, which is no product return"),
        )));
    } else if goods <= 0.0 {
        out.push(Err((
            EMPTY_REFUND,
            format!("{named} lists no refunded item and gives back no money"),
        )));
    }
}

/// A refund's lines (Shopify REST `refund_line_items`, GraphQL `refundLineItems`), where it
/// lists them.
pub(super) fn refund_lines(r: &JsonObject) -> Vec<&Value> {
    ["refund_line_items", "refundLineItems"]
        .iter()
        .find_map(|k| r.get(*k).and_then(list))
        .unwrap_or_default()
}

/// The money a refund says it gave back in all (its transactions aside).
pub(super) fn refund_total(r: &JsonObject) -> Option<f64> {
    money(
        r,
        &[
            "total",
            "amount",
            "totalRefundedSet.shopMoney.amount",
            "totalRefunded.amount",
        ],
    )
}

/// The return line of a refund that names no item: one piece of the money it gave back.
pub(super) fn money_line(goods: f64, date: Option<Value>, keys: Keys) -> ReturnLine {
    ReturnLine {
        fields: line_fields(None, 1.0, Some(goods), keys),
        date,
    }
}

/// The order's item with this `id`, for [`order_refund`].
fn of_items<'a>(items: &'a [Value]) -> impl Fn(&Value) -> Option<&'a JsonObject> + 'a {
    move |id| {
        items
            .iter()
            .filter_map(Value::as_object)
            .find(|item| item.get("id").is_some_and(|own| same_id(own, id)))
    }
}

/// A refund line item: the item it names (by `line_item_id`, or the `line_item`/`lineItem` it
/// embeds, the order's own item where the ids agree: `item` finds it), its quantity, and its
/// `subtotal` (after the line's discount, before tax, as the items' rows are valued); without
/// one the converter values it at the item's unit price.
pub(super) fn refund_line<'i>(
    l: &JsonObject,
    item: &dyn Fn(&Value) -> Option<&'i JsonObject>,
    date: Option<Value>,
    keys: Keys,
) -> ReturnLine {
    let embedded = ["line_item", "lineItem"]
        .iter()
        .find_map(|k| l.get(*k).and_then(Value::as_object));
    let id = l
        .get("line_item_id")
        .or_else(|| embedded.and_then(|e| e.get("id")))
        .filter(|v| !v.is_null());
    let of_order: Option<&JsonObject> = id.and_then(item);
    let amount = money(
        l,
        &[
            "subtotal",
            "subtotal_set.shop_money.amount",
            "subtotalSet.shopMoney.amount",
        ],
    );
    ReturnLine {
        fields: line_fields(of_order.or(embedded), quantity(l), amount, keys),
        date,
    }
}

/// What a return line lays over its order: the item's fields as its own row has them (its
/// product, name and unit price; not its quantity or value, which are the sale's), and the
/// refunded quantity and amount in columns of their own.
fn line_fields(item: Option<&JsonObject>, quantity: f64, amount: Option<f64>, keys: Keys) -> JsonObject {
    let mut fields = JsonObject::new();
    for (k, v) in item.into_iter().flatten() {
        if matches!(sales_field(k), Some(Field::Quantity | Field::LineAmount))
            || normalize_header(k) == "refunds"
        {
            continue;
        }
        match keys {
            Keys::Nested => {
                fields.insert(item_key(k), v.clone());
            }
            Keys::Bulk if matches!(k.as_str(), "id" | "name" | BULK_PARENT) => {}
            Keys::Bulk => {
                fields.insert(k.clone(), v.clone());
            }
        }
    }
    fields.insert(REFUND_QUANTITY.into(), quantity.into());
    if let Some(a) = amount {
        fields.insert(REFUND_AMOUNT.into(), a.into());
    }
    fields
}

/// The money a refund's transactions of kind `refund` gave back, those that failed aside; None
/// without such a transaction.
pub(super) fn refund_transactions(r: &JsonObject) -> Option<f64> {
    let mut total = None;
    for t in r.get("transactions").and_then(list).unwrap_or_default() {
        if let Some(a) = t.as_object().and_then(refunded_by) {
            *total.get_or_insert(0.0) += a;
        }
    }
    total.map(cents)
}

/// What one transaction gave back: its amount if it is a refund that did not fail.
pub(super) fn refunded_by(t: &JsonObject) -> Option<f64> {
    let is = |key: &str, word: &str| {
        t.get(key)
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case(word))
    };
    // A pending, failed or errored transaction gave nothing back.
    if !is("kind", "refund") || t.get("status").is_some_and(|_| !is("status", "success")) {
        return None;
    }
    money(
        t,
        &[
            "amount",
            "amount_set.shop_money.amount",
            "amountSet.shopMoney.amount",
        ],
    )
    .map(f64::abs)
}

/// The shipping a refund gave back: Shopify's `order_adjustments` of kind `shipping_refund`
/// (their tax too: the transaction paid it), and GraphQL's `refundShippingLines`.
pub(super) fn shipping(r: &JsonObject) -> f64 {
    let adjustments = r.get("order_adjustments").and_then(list).unwrap_or_default();
    let adjusted: f64 = adjustments
        .into_iter()
        .filter_map(Value::as_object)
        .filter(|a| a.get("kind").and_then(Value::as_str) == Some("shipping_refund"))
        .map(|a| {
            money(a, &["amount"]).map_or(0.0, f64::abs) + money(a, &["tax_amount"]).map_or(0.0, f64::abs)
        })
        .sum();
    let lines: f64 = ["refundShippingLines", "refund_shipping_lines"]
        .iter()
        .find_map(|k| r.get(*k).and_then(list))
        .unwrap_or_default()
        .into_iter()
        .filter_map(Value::as_object)
        .filter_map(|s| {
            money(
                s,
                &[
                    "subtotalAmountSet.shopMoney.amount",
                    "subtotal_amount_set.shop_money.amount",
                ],
            )
        })
        .map(f64::abs)
        .sum();
    cents(adjusted + lines)
}

/// A refunded quantity, as a count (1 where the refund gives none).
pub(super) fn quantity(r: &JsonObject) -> f64 {
    r.get("quantity").and_then(number).map_or(1.0, f64::abs)
}

pub(super) fn refund_date(r: &JsonObject) -> Option<Value> {
    ["created_at", "createdAt", "date_created"]
        .iter()
        .filter_map(|k| r.get(*k))
        .find(|v| !value_text(v).trim().is_empty())
        .cloned()
}

/// "refund 2 of the order (id 726)", for a quarantined row's detail.
pub(super) fn refund_name(r: &JsonObject, n: usize) -> String {
    match r.get("id").map(value_text).filter(|id| !id.is_empty()) {
        Some(id) => format!("refund {n} of the order (id {id})"),
        None => format!("refund {n} of the order"),
    }
}

fn not_an_object(what: String, v: &Value) -> (&'static str, String) {
    ("bad_json", format!("{what} is not an object: {}", kind_of(v)))
}

/// A list as APIs give one: an array, or a GraphQL connection (`{"nodes": [...]}`,
/// `{"edges": [{"node": ...}]}`).
pub(super) fn list(v: &Value) -> Option<Vec<&Value>> {
    match v {
        Value::Array(a) => Some(a.iter().collect()),
        Value::Object(o) => match (o.get("nodes"), o.get("edges")) {
            (Some(Value::Array(nodes)), _) => Some(nodes.iter().collect()),
            (_, Some(Value::Array(edges))) => Some(edges.iter().filter_map(|e| e.get("node")).collect()),
            _ => None,
        },
        _ => None,
    }
}

/// The first of `paths` (dotted into nested objects) that holds a number.
pub(super) fn money(obj: &JsonObject, paths: &[&str]) -> Option<f64> {
    paths.iter().find_map(|p| lookup(obj, p).and_then(number))
}

/// A JSON number, or a string of one ("-10.00", as WooCommerce and Shopify write money).
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|x: &f64| x.is_finite())
}

/// Sums of money to a hundredth of a cent: 30.3 − 5.1 is 25.2, not 25.199999999999996.
pub(super) fn cents(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Ids as APIs write them, a number in one place and a string in another.
fn same_id(a: &Value, b: &Value) -> bool {
    value_text(a) == value_text(b)
}
