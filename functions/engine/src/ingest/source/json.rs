//! JSON exports: arrays (also wrapped in an object, as APIs answer) read element by element, and
//! JSON Lines; nested objects become columns named by their path, an order's nested line items
//! rows of their own, and its nested refunds return lines ([`refunds`]).

use super::*;

mod bulk;
mod refunds;

type JsonObject = serde_json::Map<String, serde_json::Value>;

/// A record as JSON, or as the JSON its writer meant: Python's `json.dumps` writes a float that
/// is no number as `NaN`, `Infinity` or `-Infinity` (its default), and a number past what a
/// double holds (`1e400`, a price of a million digits) is no JSON number serde can read. One such
/// value, in any field, made the whole record `bad_json`, and a file whose every record has one
/// was refused as holding no records. Such a value is read as its text, as a CSV cell would be
/// (`NaN` is then an empty value, `Infinity` or `1e400` in an amount a number refused as
/// implausible), and the rest of the record as written. Anything else wrong stays the error it
/// was.
fn lenient<T: serde::de::DeserializeOwned>(raw: &[u8]) -> serde_json::Result<T> {
    serde_json::from_slice(raw).or_else(|e| match repaired(raw) {
        Some(fixed) => serde_json::from_slice(&fixed).map_err(|_| e),
        None => Err(e),
    })
}

/// `raw` with its non-numbers and its numbers too large for a double, where a value stands
/// outside strings, made strings; None when it has neither. Only a value in JSON's number
/// grammar that overflows is quoted, and `NaN`, `Infinity`, `-Infinity` only as a value: every
/// other fault (`1.2.3`, `-`, `{NaN: 1}`) is left for the parser to refuse.
fn repaired(raw: &[u8]) -> Option<Vec<u8>> {
    const NON_NUMBERS: [&[u8]; 3] = [b"NaN", b"Infinity", b"-Infinity"];
    let mut out = Vec::with_capacity(raw.len() + 16);
    let (mut i, mut changed) = (0, false);
    // Open containers (`{` or `[`) and the last byte outside a string that was no whitespace:
    // a value follows `:`, `[`, or `,` in an array.
    let mut open: Vec<u8> = Vec::new();
    let mut last = 0u8;
    let is_value =
        |last: u8, open: &[u8]| matches!(last, b':' | b'[') || (last == b',' && open.last() == Some(&b'['));
    let quote = |out: &mut Vec<u8>, token: &[u8]| {
        out.push(b'"');
        out.extend_from_slice(token);
        out.push(b'"');
    };
    while i < raw.len() {
        let b = raw[i];
        match b {
            b'"' => {
                // A string, escapes and all, copied as it is.
                let start = i;
                i += 1;
                while i < raw.len() && raw[i] != b'"' {
                    i += if raw[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(raw.len());
                out.extend_from_slice(&raw[start..i]);
                last = b'"';
                continue;
            }
            b'N' | b'I' | b'-' if is_value(last, &open) => {
                if let Some(w) = NON_NUMBERS.iter().find(|w| raw[i..].starts_with(w)) {
                    let end = i + w.len();
                    // A whole token: `NaNa` or `Infinity1` is no value.
                    if raw.get(end).is_none_or(|c| !c.is_ascii_alphanumeric()) {
                        quote(&mut out, w);
                        i = end;
                        last = b'0';
                        changed = true;
                        continue;
                    }
                }
            }
            _ => {}
        }
        if matches!(b, b'-' | b'0'..=b'9') && is_value(last, &open) {
            let start = i;
            while i < raw.len() && matches!(raw[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                i += 1;
            }
            let token = &raw[start..i];
            let overflows = json_number(token)
                && std::str::from_utf8(token)
                    .ok()
                    .and_then(|t| t.parse::<f64>().ok())
                    .is_some_and(|v| v.is_infinite());
            if overflows {
                quote(&mut out, token);
                changed = true;
            } else {
                out.extend_from_slice(token);
            }
            last = b'0';
            continue;
        }
        match b {
            b'{' | b'[' => open.push(b),
            b'}' | b']' => {
                open.pop();
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            last = b;
        }
        out.push(b);
        i += 1;
    }
    changed.then_some(out)
}

/// Whether `t` is a number in JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn json_number(t: &[u8]) -> bool {
    let digits = |t: &[u8]| t.iter().take_while(|b| b.is_ascii_digit()).count();
    let t = t.strip_prefix(b"-").unwrap_or(t);
    let int = digits(t);
    if int == 0 || (int > 1 && t[0] == b'0') {
        return false;
    }
    let mut t = &t[int..];
    if let Some(frac) = t.strip_prefix(b".") {
        let n = digits(frac);
        if n == 0 {
            return false;
        }
        t = &frac[n..];
    }
    if let Some(exp) = t.strip_prefix(b"e").or_else(|| t.strip_prefix(b"E")) {
        let exp = exp
            .strip_prefix(b"+")
            .or_else(|| exp.strip_prefix(b"-"))
            .unwrap_or(exp);
        let n = digits(exp);
        if n == 0 {
            return false;
        }
        t = &exp[n..];
    }
    t.is_empty()
}

/// A GA4 BigQuery export's event parameters, a list of `{"key": …, "value": {"string_value":
/// …}}` pairs, as the object they stand for: `event_params.page_location` is then a column, read
/// as the page (see `crate::mapping`), as the page of a GA4 export from the interface is. Only
/// a list whose every element is such a pair; a parameter's value is the one typed value it has.
fn with_params_unpacked(mut obj: JsonObject) -> JsonObject {
    use serde_json::Value;
    let Some(Value::Array(params)) = obj.get("event_params") else {
        return obj;
    };
    let pair = |p: &Value| {
        let p = p.as_object()?;
        let key = p.get("key")?.as_str()?;
        let value = match p.get("value")? {
            Value::Object(typed) => typed
                .values()
                .find(|v| !v.is_null())
                .cloned()
                .unwrap_or(Value::Null),
            v => v.clone(),
        };
        Some((key.to_string(), value))
    };
    if let Some(pairs) = params.iter().map(pair).collect::<Option<JsonObject>>() {
        obj.insert("event_params".into(), Value::Object(pairs));
    }
    obj
}

/// Nested objects are read as columns named by their path ("customer.id"), this deep.
const JSON_NESTING: usize = 3;
/// At most this many columns from nested objects.
const MAX_NESTED_COLUMNS: usize = 256;

fn value_text(v: &serde_json::Value) -> Cow<'_, str> {
    match v {
        serde_json::Value::Null => Cow::Borrowed(""),
        serde_json::Value::String(s) => Cow::Borrowed(s),
        serde_json::Value::Bool(b) => Cow::Owned(b.to_string()),
        serde_json::Value::Number(n) => Cow::Owned(n.to_string()),
        // An object's fields are columns of their own ("customer.id"): the object itself is no
        // value (as text it would become, say, a customer id made of JSON).
        serde_json::Value::Object(_) => Cow::Borrowed(""),
        other => Cow::Owned(other.to_string()),
    }
}

/// The value under `key`, where a key with dots may be the path into nested objects.
fn lookup<'a>(obj: &'a JsonObject, key: &str) -> Option<&'a serde_json::Value> {
    if let Some(v) = obj.get(key) {
        return Some(v);
    }
    key.match_indices('.').find_map(|(i, _)| {
        let inner = obj.get(&key[..i])?.as_object()?;
        lookup(inner, &key[i + 1..])
    })
}

/// One object as a row: its values under `headers`, empty where it has no such key.
fn push_object(out: &mut Rows, line: u64, headers: &[String], obj: &JsonObject) {
    out.push_cells(
        line,
        headers
            .iter()
            .map(|h| lookup(obj, h).map_or(Cow::Borrowed(""), value_text)),
    );
}

/// The columns of a JSON export: the union of its objects' keys, nested objects' fields as paths
/// ("customer.id"). Top-level keys come first, in the order first seen, then nested paths: where
/// both name a field ("customer_id" and "customer.id"), the top-level one is the column.
#[derive(Default)]
struct KeyUnion {
    keys: Vec<String>,
    nested: Vec<String>,
    seen: std::collections::HashSet<String>,
}

impl KeyUnion {
    fn add(&mut self, obj: &JsonObject) {
        fn nested(
            obj: &JsonObject,
            prefix: &str,
            depth: usize,
            keys: &mut Vec<String>,
            seen: &mut std::collections::HashSet<String>,
        ) {
            for (k, v) in obj {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match v.as_object() {
                    Some(inner) if depth < JSON_NESTING => nested(inner, &key, depth + 1, keys, seen),
                    _ if v.is_null() => {}
                    // Objects keyed by data ({"items": {"<sku>": 2}}) would add a column per
                    // distinct key: past this many, nested fields are not columns.
                    _ if keys.len() >= MAX_NESTED_COLUMNS => {}
                    _ => {
                        if !seen.contains(&key) {
                            seen.insert(key.clone());
                            keys.push(key);
                        }
                    }
                }
            }
        }
        // A null says nothing about what the key holds (`"customer": null` beside objects).
        for (k, v) in obj {
            if !v.is_object() && !v.is_null() && !self.seen.contains(k) {
                self.seen.insert(k.clone());
                self.keys.push(k.clone());
            }
        }
        nested(obj, "", 1, &mut self.nested, &mut self.seen);
    }

    fn finish(mut self) -> Vec<String> {
        self.keys.append(&mut self.nested);
        self.keys
    }
}

enum JsonItem {
    Obj(u64, JsonObject),
    Bad(u64, String),
    /// A line longer than [`MAX_JSON_ELEMENT_BYTES`], skipped unread.
    TooLarge(u64, String),
}

struct JsonLinesSource {
    reader: BufReader<Box<dyn Read + Send>>,
    line: Vec<u8>,
    line_no: u64,
    path: std::path::PathBuf,
}

impl JsonLinesSource {
    /// The next line into `self.line`, at most [`MAX_JSON_ELEMENT_BYTES`] of it: a longer one is
    /// read to its end without being kept (one giant line must not take the function's memory).
    /// None at the end of the file; Some(false) for a line cut.
    fn next_line(&mut self) -> std::io::Result<Option<bool>> {
        self.line.clear();
        let mut whole = true;
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok((!self.line.is_empty() || !whole).then_some(whole));
            }
            let (take, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if whole && self.line.len() + take <= MAX_JSON_ELEMENT_BYTES {
                self.line.extend_from_slice(&buf[..take]);
            } else if whole {
                whole = false;
                self.line = Vec::new();
            }
            self.reader.consume(take);
            if done {
                return Ok(Some(whole));
            }
        }
    }
}

impl ReadItems for JsonLinesSource {
    fn read_item(&mut self) -> Result<Option<JsonItem>> {
        loop {
            let whole = match self.next_line() {
                Ok(Some(whole)) => whole,
                Ok(None) => return Ok(None),
                Err(e) => return Err(sniff::classify_read_error(&self.path, e)),
            };
            self.line_no += 1;
            if !whole {
                return Ok(Some(JsonItem::TooLarge(
                    self.line_no,
                    format!(
                        "the line is longer than {MAX_JSON_ELEMENT_BYTES} bytes and was not read: export smaller records (or CSV)"
                    ),
                )));
            }
            let Ok(line) = std::str::from_utf8(&self.line) else {
                return Ok(Some(JsonItem::Bad(
                    self.line_no,
                    "line is not valid UTF-8".into(),
                )));
            };
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            return Ok(Some(match lenient::<JsonObject>(t.as_bytes()) {
                Ok(o) => JsonItem::Obj(self.line_no, with_params_unpacked(o)),
                Err(e) => JsonItem::Bad(self.line_no, e.to_string()),
            }));
        }
    }
}

/// The rows of a record not yet handed out, each under its source line: an order's line items
/// are rows of their own (see [`split_lines`]), so a report's rows read count lines, not orders.
/// (A Shopify bulk refund's rows may stand under an earlier line, see [`bulk`].)
type Pending = Box<dyn Iterator<Item = (u64, SplitRow)> + Send>;

/// Rows handed out per call: an order of 150,000 items as one batch was held whole by whoever
/// reads a call's rows (header search, samples, a prefetched chunk).
const ROWS_PER_CALL: usize = 1024;

/// A record's rows. In sales (`lines`), a Shopify bulk export's refund lines are read with the
/// refunds they belong to (see [`bulk`]); `bulk_file`: the file is such an export, whose order
/// objects' nested refunds name their order as its line items do.
fn pending(item: JsonItem, lines: bool, bulk: &mut bulk::Bulk, bulk_file: bool) -> Pending {
    match item {
        JsonItem::Obj(line, o) => {
            let o = match lines {
                true => match bulk.take(line, o) {
                    Ok(rows) => return Box::new(rows.into_iter()),
                    Err(o) => o,
                },
                false => o,
            };
            Box::new(split_lines(o, lines, bulk_file).map(move |r| (line, r)))
        }
        JsonItem::Bad(line, detail) => Box::new(std::iter::once((line, Err(("bad_json", detail))))),
        JsonItem::TooLarge(line, detail) => Box::new(std::iter::once((line, Err(("row_too_large", detail))))),
    }
}

/// Hands out the next rows of the record being read; `None` once it has no more.
fn emit(pending: &mut Option<Pending>, out: &mut Rows, headers: &[String]) {
    let Some(rows) = pending.as_mut() else {
        return;
    };
    for _ in 0..ROWS_PER_CALL {
        match rows.next() {
            Some((line, Ok(o))) => push_object(out, line, headers, &o),
            Some((line, Err((reason, detail)))) => out.push_bad(line, reason, detail),
            None => {
                *pending = None;
                return;
            }
        }
    }
}

/// Names of an order's array of line items, normalised: Shopify's and WooCommerce's
/// `line_items`, `lineItems`, and the usual generic ones.
const LINE_ARRAYS: &[&str] = &["lineitems", "items", "products", "orderitems"];

/// A JSON value that says nothing: null, or text of spaces only.
fn blank(v: &serde_json::Value) -> bool {
    v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty())
}

/// An item's fields whose bare names mean the order at its level (its id, its name, its total):
/// the line's are read as the item's ("item.name" is what was sold), and the order keeps its own.
/// An item's `total` (WooCommerce's, after the line's discount) is thus the line's amount, read
/// where the item gives it, beside quantity × price for items that do not: a bare "total" is an
/// order's total, which the file's first items would decide is no line's for all of them.
const ITEM_OWN: &[&str] = &["id", "name", "title", "total"];

/// [`crate::mapping::sales_field`], remembered: every order of a file asks it of the same few
/// keys, and a lookup normalises the key several ways.
fn sales_field(key: &str) -> Option<Field> {
    thread_local! {
        static SEEN: std::cell::RefCell<std::collections::HashMap<String, Option<Field>>> =
            Default::default();
    }
    SEEN.with_borrow_mut(|seen| {
        if let Some(f) = seen.get(key) {
            return *f;
        }
        let f = crate::mapping::sales_field(key);
        // Keys made of data (ids as keys) would grow it without end.
        if seen.len() < 4096 {
            seen.insert(key.to_string(), f);
        }
        f
    })
}

/// Whether a field gives a line's own numbers (quantity, unit price, line amount or an order
/// total): an order's such fields say nothing of one of its lines.
fn names_line_numbers(key: &str) -> bool {
    matches!(
        sales_field(key),
        Some(Field::Quantity | Field::UnitPrice | Field::LineAmount)
    )
}

/// The keys of an order's arrays of line items, the preferred first (in [`LINE_ARRAYS`]' order):
/// named like one, and holding objects that give a quantity, a price or an amount. A list of
/// bare SKUs or tags is no lines, and an order total spread over such items would be counted
/// once per item.
fn line_arrays(obj: &JsonObject) -> Vec<&str> {
    let mut found: Vec<(usize, &str)> = obj
        .iter()
        .filter_map(|(k, v)| {
            let items = v.as_array()?;
            let priced = items.iter().any(|i| {
                i.as_object()
                    .is_some_and(|o| o.keys().any(|k| names_line_numbers(k)))
            });
            let rank = LINE_ARRAYS.iter().position(|a| *a == normalize_header(k))?;
            priced.then_some((rank, k.as_str()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, k)| k).collect()
}

/// An order's line items as Shopify's GraphQL gives them, a connection (`{"nodes": [...]}` or
/// `{"edges": [{"node": ...}]}`), made the array the REST exports give, so they are read as
/// lines alike.
fn unwrap_connections(obj: &mut JsonObject) {
    for (k, v) in obj.iter_mut() {
        let serde_json::Value::Object(o) = v else {
            continue;
        };
        if !LINE_ARRAYS.contains(&normalize_header(k).as_str()) {
            continue;
        }
        let items = if let Some(serde_json::Value::Array(nodes)) = o.get_mut("nodes") {
            std::mem::take(nodes)
        } else if let Some(serde_json::Value::Array(edges)) = o.get_mut("edges") {
            edges
                .iter_mut()
                .filter_map(|e| e.get_mut("node").map(serde_json::Value::take))
                .collect()
        } else {
            continue;
        };
        *v = serde_json::Value::Array(items);
    }
}

/// A record's row, or why a part of it is quarantined (reason, detail).
type SplitRow = std::result::Result<JsonObject, (&'static str, String)>;

/// A record as the rows it holds. An order with line items (Shopify's and WooCommerce's REST
/// exports) is one row per item: each carries the order's fields but its totals, which are no
/// line's, overlaid with the item's own, which win where both name the same field. Without items
/// (none, or an empty list) the order is one row as it stands. In sales an order's nested refunds
/// are return lines after its items (see [`refunds`]); in a Shopify bulk export (`bulk_file`),
/// an order object's return lines name it by `__parentId`, as its line items on their own lines
/// do, so they are read as its lines, not as its summary. Only this one order is held, as the
/// readers hold it anyway.
fn split_lines(
    mut obj: JsonObject,
    lines: bool,
    bulk_file: bool,
) -> Box<dyn Iterator<Item = SplitRow> + Send> {
    // A GraphQL connection's edge (`{"node": {...}}`, `data.orders.edges`) is its node.
    if obj.len() == 1
        && let Some(serde_json::Value::Object(node)) = obj.get_mut("node")
    {
        obj = std::mem::take(node);
    }
    if !lines {
        return Box::new(std::iter::once(Ok(obj)));
    }
    cancelled_status(&mut obj);
    let refunds = refunds::take(&mut obj);
    unwrap_connections(&mut obj);
    let mut keys: Vec<String> = line_arrays(&obj).into_iter().map(str::to_string).collect();
    let items = match keys.first().map(|k| obj.remove(k)) {
        Some(Some(serde_json::Value::Array(items))) => Some(items),
        _ => None,
    };
    // A bulk order object (no `__parentId` of its own): its return lines name it.
    let parent = obj
        .get("id")
        .filter(|_| bulk_file && !obj.contains_key(refunds::BULK_PARENT))
        .cloned();
    let Some(mut items) = items else {
        // An order read by its own total: its refunds are returns of it all the same.
        let returns = refunds::lines(refunds, &mut []);
        if returns.is_empty() {
            return Box::new(std::iter::once(Ok(obj)));
        }
        let mut base = obj.clone();
        base.retain(|k, _| !names_line_numbers(k));
        if let Some(id) = parent {
            base.insert(refunds::BULK_PARENT.into(), id);
        }
        let returned = returns.into_iter().map(move |r| r.map(|l| l.row(&base)));
        return Box::new(std::iter::once(Ok(obj)).chain(returned));
    };
    let returns = refunds::lines(refunds, &mut items);
    let key = keys.remove(0);
    // A second list of lines (`items` beside `line_items`) may repeat the first or hold other
    // lines: summing both could count an order twice, and dropping one unsaid loses rows. Its
    // items are quarantined, each saying which list was read.
    let others: Vec<(String, Vec<serde_json::Value>)> = keys
        .into_iter()
        .filter_map(|other| match obj.remove(&other) {
            Some(serde_json::Value::Array(more)) => Some((other, more)),
            _ => None,
        })
        .collect();
    let read = key.clone();
    let skipped = others.into_iter().flat_map(move |(other, more)| {
        let read = read.clone();
        more.into_iter().enumerate().map(move |(i, item)| {
            let mut text = item.to_string();
            if text.len() > 1000 {
                let cut = (0..=1000).rev().find(|&c| text.is_char_boundary(c)).unwrap_or(0);
                text.truncate(cut);
                text.push('…');
            }
            Err((
                "other_item_array",
                format!(
                    "item {} of the order's {other}, beside its {read}, which were read (an order's lines are read from one list): {text}",
                    i + 1
                ),
            ))
        })
    });
    obj.retain(|k, _| !names_line_numbers(k));
    // WooCommerce's REST orders are named by their `number`, else their `id`: a bare id is no
    // order id in sales, but an order's is. Given as the number, the column its siblings use; or
    // as the number fields the order leaves null (`"order_number": null`), where its siblings
    // give theirs: else each of its lines would be a purchase of its own.
    if let Some(id) = obj.get("id").filter(|v| !blank(v)).cloned() {
        let numbers: Vec<(String, bool)> = obj
            .iter()
            .filter(|(k, _)| sales_field(k) == Some(Field::OrderId))
            .map(|(k, v)| (k.clone(), blank(v)))
            .collect();
        if numbers.is_empty() {
            obj.insert("number".into(), id);
        } else if numbers.iter().all(|(_, blank)| *blank) {
            for (k, _) in numbers {
                obj.insert(k, id.clone());
            }
        }
    }
    // The order as its return lines start from: copied only for an order with refunds.
    let base = if returns.is_empty() {
        JsonObject::new()
    } else {
        let mut base = obj.clone();
        if let Some(id) = parent {
            base.insert(refunds::BULK_PARENT.into(), id);
        }
        base
    };
    // Rows are made one at a time as they are handed out, not all of an order's at once: each
    // is a copy of the order, and 150,000 of them were held together.
    let rows = items.into_iter().enumerate().map(move |(i, item)| match item {
        serde_json::Value::Object(mut item) => {
            allocated_discount(&mut item);
            let mut row = obj.clone();
            for (k, v) in item {
                row.insert(item_key(&k), v);
            }
            Ok(row)
        }
        other => Err((
            "bad_json",
            format!(
                "item {} of the order's {key} is not an object: {}",
                i + 1,
                kind_of(&other)
            ),
        )),
    });
    let returned = returns.into_iter().map(move |r| r.map(|l| l.row(&base)));
    Box::new(rows.chain(returned).chain(skipped))
}

/// Shopify's orders say a cancellation by `cancelled_at` (`cancelledAt`), not by their status:
/// a cancelled order refunded keeps `financial_status: refunded`, and counted as bought and
/// returned. Such an order's statuses read `cancelled` (its refunds are then quarantined
/// `cancelled_order_refund`), unless one says already that it never counted (`unpaid`). An order
/// of items without a status column gets one.
fn cancelled_status(order: &mut JsonObject) {
    let cancelled = order.iter().any(|(k, v)| {
        normalize_header(k) == "cancelledat"
            && match v {
                serde_json::Value::Null => false,
                serde_json::Value::String(s) => !s.trim().is_empty(),
                _ => true,
            }
    });
    if !cancelled {
        return;
    }
    let is_status =
        |k: &str| sales_field(k) == Some(Field::Status) || normalize_header(k) == "displayfinancialstatus";
    let never_counted = order.iter().any(|(k, v)| {
        is_status(k)
            && v.as_str().is_some_and(|s| {
                crate::ingest::convert::never_happened(&crate::ingest::convert::normalize_status(s).0)
            })
    });
    if never_counted {
        return;
    }
    let mut found = false;
    for (k, v) in order.iter_mut() {
        if is_status(k) {
            *v = "cancelled".into();
            found = true;
        }
    }
    if !found && !line_arrays(order).is_empty() {
        order.insert("status".into(), "cancelled".into());
    }
}

/// The key an item's field takes in its row. An item's own order id (BigCommerce's products
/// repeat it) is its order's at best: over the order's it would become the file's order id
/// column, and orders whose items lack it would have none.
fn item_key(k: &str) -> String {
    if ITEM_OWN.contains(&normalize_header(k).as_str()) || sales_field(k) == Some(Field::OrderId) {
        format!("item.{k}")
    } else {
        k.to_string()
    }
}

/// Shopify's line item: its discount is its `discount_allocations`' amounts, which Shopify
/// fills where the older `total_discount` may say 0. Both tell the same discount, so the larger
/// is the line's `total_discount` (read as the shopify layout's item discount).
fn allocated_discount(item: &mut JsonObject) {
    let Some(serde_json::Value::Array(allocations)) = item.get("discount_allocations") else {
        return;
    };
    let amount = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        v => v.as_f64(),
    };
    let allocated: f64 = allocations
        .iter()
        .filter_map(|a| a.get("amount").and_then(amount))
        .sum();
    let stated = item.get("total_discount").and_then(amount).unwrap_or(0.0);
    if allocated > stated {
        item.insert("total_discount".into(), allocated.to_string().into());
    }
}

/// A JSON file's records one after another (the JSON Lines and the array reader).
trait ReadItems: Send {
    fn read_item(&mut self) -> Result<Option<JsonItem>>;
}

/// A JSON file's rows: each record's, or its line items' when orders are split.
struct JsonRows<R> {
    items: R,
    headers: Vec<String>,
    /// Orders' line items are rows ([`split_lines`]).
    split_items: bool,
    pending: Option<Pending>,
    bulk: bulk::Bulk,
    /// A Shopify bulk export: its columns hold `__parentId`.
    bulk_file: bool,
    /// The records are read and the bulk refunds' last rows handed out.
    done: bool,
}

impl<R: ReadItems> JsonRows<R> {
    fn new(items: R, headers: Vec<String>, split_items: bool) -> Self {
        let bulk_file = headers.iter().any(|h| h == refunds::BULK_PARENT);
        JsonRows {
            items,
            headers,
            split_items,
            pending: None,
            bulk: bulk::Bulk::default(),
            bulk_file,
            done: false,
        }
    }
}

impl<R: ReadItems> RecordSource for JsonRows<R> {
    fn next(&mut self, out: &mut Rows) -> Result<bool> {
        if self.pending.is_none() {
            if self.done {
                return Ok(false);
            }
            self.pending = Some(match self.items.read_item()? {
                Some(item) => pending(item, self.split_items, &mut self.bulk, self.bulk_file),
                None => {
                    self.done = true;
                    Box::new(self.bulk.finish().into_iter())
                }
            });
        }
        emit(&mut self.pending, out, &self.headers);
        Ok(true)
    }
}

fn json_headers(keys: KeyUnion, dataset: Option<Dataset>) -> Result<(Vec<String>, Option<Dataset>)> {
    let headers = keys.finish();
    if headers.is_empty() {
        return Err(RejectReason::Malformed {
            format: "JSON",
            detail: "no JSON objects found".into(),
        }
        .into());
    }
    let cells: Vec<&str> = headers.iter().map(String::as_str).collect();
    let (s, d) = score(&cells, dataset);
    Ok((headers, if s > 0 { d } else { None }))
}

/// The file's decoded text, from the first byte after a UTF-8 byte-order mark.
fn past_bom(path: &Path, fmt: &Format, limits: Limits) -> Result<BufReader<Box<dyn Read + Send>>> {
    let mut reader = BufReader::with_capacity(1 << 20, decoded_reader(path, fmt, limits)?);
    let start = reader
        .fill_buf()
        .map_err(|e| sniff::classify_read_error(path, e))?;
    if start.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
    }
    Ok(reader)
}

impl JsonLinesSource {
    /// At the first byte after a byte-order mark: left in, it made the first line no JSON.
    fn open(path: &Path, fmt: &Format, limits: Limits) -> Result<Self> {
        Ok(JsonLinesSource {
            reader: past_bom(path, fmt, limits)?,
            line: Vec::new(),
            line_no: 0,
            path: path.to_path_buf(),
        })
    }
}

/// The columns of a JSON file, from every object in it: exports leave out a key where its value
/// is null, so a field first seen in row 5,000 (an email only registered customers have) would be
/// lost for the whole file by a sample. A first pass reads the keys; objects are not kept.
/// Also whether any record is an order read by its line items or with nested refunds
/// ([`Opened::itemised_orders`]).
fn scan_keys(lines: bool, mut next: impl FnMut() -> Result<Option<JsonItem>>) -> Result<(KeyUnion, bool)> {
    let mut keys = KeyUnion::default();
    let mut itemised = false;
    // The rows as the second pass makes them (a bulk order object's return lines would only add
    // `__parentId`, which a bulk file's other lines give anyway).
    let mut bulk = bulk::Bulk::default();
    while let Some(item) = next()? {
        if let JsonItem::Obj(_, o) = &item {
            itemised = itemised || (lines && (!line_arrays(o).is_empty() || refunds::has(o)));
        }
        if matches!(item, JsonItem::Obj(..)) {
            for (_, row) in pending(item, lines, &mut bulk, false) {
                if let Ok(row) = row {
                    keys.add(&row);
                }
            }
        }
    }
    for (_, row) in bulk.finish() {
        if let Ok(row) = row {
            keys.add(&row);
        }
    }
    Ok((keys, itemised || bulk.returns))
}

/// Whether orders' line items are rows: in sales, or where the dataset is to be guessed.
fn reads_lines(dataset: Option<Dataset>) -> bool {
    dataset.is_none_or(|d| d == Dataset::Sales)
}

pub(super) fn open_json_lines(
    path: &Path,
    fmt: &Format,
    limits: Limits,
    dataset: Option<Dataset>,
    read_as: &mut Option<Container>,
) -> Result<Opened> {
    match object_file(path, fmt, limits, dataset)? {
        ObjectFile::Lines => {}
        // A wrapped array is read, and refused, as the array it wraps.
        ObjectFile::Wrapped(within) => {
            *read_as = Some(Container::JsonArray);
            return open_json_array(path, fmt, limits, dataset, &within);
        }
        ObjectFile::EmptyPage(list) => {
            *read_as = Some(Container::JsonArray);
            return Err(RejectReason::NoRecords(format!("its {list} list is empty")).into());
        }
    }
    let lines = reads_lines(dataset);
    let mut scan = JsonLinesSource::open(path, fmt, limits)?;
    let (keys, itemised) = scan_keys(lines, || scan.read_item())?;
    let (headers, guessed) = json_headers(keys, dataset)?;
    let src = JsonRows::new(JsonLinesSource::open(path, fmt, limits)?, headers.clone(), lines);
    Ok(opened(Box::new(src), headers, guessed, itemised))
}

/// A JSON file's rows: no header line, preamble, sheets or title above them.
fn opened(
    source: Box<dyn RecordSource>,
    headers: Vec<String>,
    guessed: Option<Dataset>,
    itemised_orders: bool,
) -> Opened {
    Opened {
        itemised_orders,
        source,
        headers,
        header_line: 0,
        preamble_rows: 0,
        guessed,
        sheets: Vec::new(),
        returns_lines: Vec::new(),
        title_currency: None,
    }
}

/// A JSON text read token by token, without holding more of it than the caller keeps.
struct Scanner {
    reader: BufReader<Box<dyn Read + Send>>,
    /// Line breaks passed outside values kept whole (a pretty-printed object has some).
    line_breaks: u64,
    path: std::path::PathBuf,
}

impl Scanner {
    /// At the first byte after a byte-order mark.
    fn open(path: &Path, fmt: &Format, limits: Limits) -> Result<Self> {
        Ok(Scanner {
            reader: past_bom(path, fmt, limits)?,
            line_breaks: 0,
            path: path.to_path_buf(),
        })
    }

    /// The next byte that is not JSON whitespace; consumed unless `peek`.
    fn token(&mut self, peek: bool) -> Result<Option<u8>> {
        loop {
            let buf = self
                .reader
                .fill_buf()
                .map_err(|e| sniff::classify_read_error(&self.path, e))?;
            let pos = buf
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
            let skipped = pos.unwrap_or(buf.len());
            self.line_breaks += buf[..skipped].iter().filter(|&&b| b == b'\n').count() as u64;
            let Some(pos) = pos else {
                if buf.is_empty() {
                    return Ok(None);
                }
                let n = buf.len();
                self.reader.consume(n);
                continue;
            };
            let b = buf[pos];
            self.reader.consume(if peek { pos } else { pos + 1 });
            return Ok(Some(b));
        }
    }

    fn next_token(&mut self) -> Result<Option<u8>> {
        self.token(false)
    }

    /// The rest of the value whose first byte, `first`, was read: up to the comma, bracket or
    /// whitespace that ends it outside any string, nested object or array. Its bytes are
    /// appended to `keep` (with `first`), up to `MAX_JSON_ELEMENT_BYTES`; false when the file
    /// ends inside it. A kept value over that size is read to its end and refused
    /// ([`RejectReason::JsonElementTooLarge`]), or, when the file ends inside it, taken for an
    /// unclosed bracket or string.
    fn value(
        &mut self,
        first: u8,
        mut keep: Option<&mut Vec<u8>>,
        what: &dyn Fn() -> String,
    ) -> Result<bool> {
        if let Some(k) = keep.as_deref_mut() {
            k.push(first);
        }
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        // Past the limit: the value's bytes are no longer kept, only counted.
        let (mut over, mut size) = (false, 1u64);
        match first {
            b'{' | b'[' => depth = 1,
            b'"' => in_string = true,
            _ => {}
        }
        loop {
            let buf = self
                .reader
                .fill_buf()
                .map_err(|e| sniff::classify_read_error(&self.path, e))?;
            if buf.is_empty() {
                if over {
                    return Err(malformed_json(format!(
                        "{} is not closed before the file ends (an unclosed bracket or string?)",
                        what()
                    )));
                }
                return Ok(depth == 0 && !in_string);
            }
            let mut used = 0;
            let mut done = false;
            for &b in buf {
                if in_string {
                    used += 1;
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                        done = depth == 0;
                    }
                } else if depth == 0 && matches!(b, b',' | b']' | b'}' | b':' | b' ' | b'\t' | b'\n' | b'\r')
                {
                    // The end of a scalar: the delimiter stays for the next call.
                    done = true;
                } else {
                    used += 1;
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            done = depth == 0;
                        }
                        _ => {}
                    }
                }
                if done {
                    break;
                }
            }
            size += used as u64;
            if let Some(k) = keep.as_deref_mut() {
                k.extend_from_slice(&buf[..used]);
                if k.len() > MAX_JSON_ELEMENT_BYTES {
                    // Too large to parse here (~16× its size at the peak). Whether it is a
                    // record too large or an unbalanced bracket that would take the rest of
                    // the file as one value is told by reading on to its end, keeping nothing.
                    keep = None;
                    over = true;
                }
            }
            self.reader.consume(used);
            if done {
                if over {
                    return Err(RejectReason::JsonElementTooLarge {
                        what: what(),
                        size,
                        limit: MAX_JSON_ELEMENT_BYTES as u64,
                    }
                    .into());
                }
                return Ok(true);
            }
        }
    }

    /// An object's key, its opening quote read, and the colon after it.
    fn key(&mut self) -> Result<String> {
        let mut raw = Vec::new();
        let whole = self.value(b'"', Some(&mut raw), &|| "a key".into())?;
        let key = whole
            .then(|| serde_json::from_slice::<String>(&raw).ok())
            .flatten()
            .ok_or_else(|| malformed_json("an object's key is not a string"))?;
        if self.next_token()? != Some(b':') {
            return Err(malformed_json(format!("no colon after the key {key:?}")));
        }
        Ok(key)
    }

    /// After a member's value: true at a comma (the next key's quote read), false at the
    /// object's closing brace.
    fn more_members(&mut self) -> Result<bool> {
        match self.next_token()? {
            Some(b',') if self.next_token()? == Some(b'"') => Ok(true),
            Some(b'}') => Ok(false),
            None => Err(malformed_json("the file ends inside an object (cut off?)")),
            _ => Err(malformed_json("an object's members are not separated by commas")),
        }
    }

    /// After an object's opening brace: true at its first key's quote, false if it is empty.
    fn first_member(&mut self) -> Result<bool> {
        match self.next_token()? {
            Some(b'"') => Ok(true),
            Some(b'}') => Ok(false),
            _ => Err(malformed_json("an object's member does not start with a key")),
        }
    }

    /// Skips a member's value.
    fn skip(&mut self) -> Result<()> {
        let first = self
            .next_token()?
            .ok_or_else(|| malformed_json("the file ends inside an object (cut off?)"))?;
        if self.value(first, None, &String::new)? {
            Ok(())
        } else {
            Err(malformed_json("the file ends inside an object (cut off?)"))
        }
    }
}

/// What an object member holds, as far as finding the records goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum MemberKind {
    /// An array whose first element is an object: records, perhaps.
    Records,
    /// `[]`: an empty page of records, or an order without items.
    EmptyList,
    Object,
    Other,
}

struct Member {
    key: String,
    kind: MemberKind,
    /// An object's members, two levels down from the top.
    members: Vec<Member>,
}

/// Members listed per object: an object keyed by ids is no wrapper, and its keys are not kept.
const MAX_MEMBERS: usize = 1000;
/// Names of the array of records in an object wrapping it (`{"orders": [...]}`), normalised.
const WRAPPER_NAMES: &[&str] = &[
    "orders",
    "data",
    "items",
    "results",
    "records",
    "customers",
    "events",
    "rows",
    "result",
    "value",
    "contacts",
    "transactions",
    "sales",
    "invoices",
    "payments",
    "leads",
    "subscribers",
    "activities",
];

/// The members of the object whose opening brace was read, consumed through its closing one.
fn members(s: &mut Scanner, depth: usize) -> Result<Vec<Member>> {
    let mut out = Vec::new();
    let mut more = s.first_member()?;
    while more {
        let key = s.key()?;
        let first = s
            .next_token()?
            .ok_or_else(|| malformed_json("the file ends inside an object (cut off?)"))?;
        let (kind, inner) = match first {
            b'{' if depth < 2 => (MemberKind::Object, members(s, depth + 1)?),
            b'[' | b'{' => {
                let kind = match first {
                    b'[' => match s.token(true)? {
                        Some(b'{') => MemberKind::Records,
                        Some(b']') => MemberKind::EmptyList,
                        _ => MemberKind::Other,
                    },
                    _ => MemberKind::Object,
                };
                if !s.value(first, None, &String::new)? {
                    return Err(malformed_json("the file ends inside an object (cut off?)"));
                }
                (kind, Vec::new())
            }
            b => {
                s.value(b, None, &String::new)?;
                (MemberKind::Other, Vec::new())
            }
        };
        if out.len() < MAX_MEMBERS {
            out.push(Member {
                key,
                kind,
                members: inner,
            });
        }
        more = s.more_members()?;
    }
    Ok(out)
}

/// The keys leading to the array of records among `members`: the one array of objects in the
/// object or its member objects, else the one of them obviously named so (`data.items` beside
/// `links`).
fn records_path(members: &[Member]) -> Option<Vec<String>> {
    fn found(members: &[Member], prefix: &[String], out: &mut Vec<Vec<String>>) {
        for m in members {
            let path: Vec<String> = prefix.iter().cloned().chain([m.key.clone()]).collect();
            match m.kind {
                MemberKind::Records => out.push(path),
                MemberKind::Object => found(&m.members, &path, out),
                MemberKind::Other | MemberKind::EmptyList => {}
            }
        }
    }
    let mut all = Vec::new();
    found(members, &[], &mut all);
    let named = |p: &Vec<String>| {
        p.last()
            .is_some_and(|k| WRAPPER_NAMES.contains(&normalize_header(k).as_str()))
    };
    if all.len() > 1 {
        all.retain(named);
    }
    // A list under another name is the records only beside paging alone (`{"sales_2024": [...],
    // "total": 40}`): a settings or results file (segflow's own `segments.json`) holds a list of
    // objects among its other fields, and its entries are no customers.
    (all.len() == 1 && (named(&all[0]) || only_paging_beside(members, &all[0]))).then(|| all.remove(0))
}

/// Whether every member beside `path`, at each level down to it, is about paging (`total`,
/// `next`, a `meta` or `links` object).
fn only_paging_beside(members: &[Member], path: &[String]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    members.iter().all(|m| {
        if m.key == *first {
            return rest.is_empty() || only_paging_beside(&m.members, rest);
        }
        names_paging(&m.key)
            || matches!(
                normalize_header(&m.key).as_str(),
                "meta" | "links" | "pagination" | "paging" | "metadata" | "pageinfo"
            )
    })
}

/// The path ("data.orders") of an empty array named as a wrapper's list of records.
fn empty_records(members: &[Member]) -> Option<String> {
    members.iter().find_map(|m| match m.kind {
        MemberKind::EmptyList if WRAPPER_NAMES.contains(&normalize_header(&m.key).as_str()) => {
            Some(m.key.clone())
        }
        MemberKind::Object => empty_records(&m.members).map(|p| format!("{}.{p}", m.key)),
        _ => None,
    })
}

/// Whether a field of an object wrapping records ("total", "meta.page") is about the page of
/// records, not a record's.
fn names_paging(field: &str) -> bool {
    let last = field.rsplit('.').next().unwrap_or(field);
    matches!(
        normalize_header(last).as_str(),
        "total"
            | "totalcount"
            | "totalpages"
            | "totalresults"
            | "count"
            | "page"
            | "pages"
            | "perpage"
            | "pagesize"
            | "limit"
            | "offset"
            | "next"
            | "nextpage"
            | "prev"
            | "previous"
            | "cursor"
            | "nextcursor"
            | "hasmore"
            | "self"
            | "first"
            | "last"
            | "status"
            | "success"
            | "message"
    )
}

/// How a text starting with `{` is read.
enum ObjectFile {
    /// JSON Lines: objects one after another (or one object that is a record itself).
    Lines,
    /// One object wrapping the array of records at this path of keys.
    Wrapped(Vec<String>),
    /// An API's empty page (`{"orders": [], "total": 0}`): a wrapper whose list (named here) is
    /// empty.
    EmptyPage(String),
}

/// Tells JSON Lines from one object wrapping the records (`{"orders": [...]}`, as APIs answer),
/// and refuses, saying what it is, an object that holds no list of records (a settings file).
/// Reads the first object without keeping it; a file that is not well-formed is left to the
/// JSON Lines reader, which quarantines what it cannot read line by line.
fn object_file(path: &Path, fmt: &Format, limits: Limits, dataset: Option<Dataset>) -> Result<ObjectFile> {
    let mut s = Scanner::open(path, fmt, limits)?;
    if s.next_token()? != Some(b'{') {
        return Ok(ObjectFile::Lines);
    }
    // Blank lines above the object print nothing over several lines.
    s.line_breaks = 0;
    let members = match members(&mut s, 0) {
        Ok(m) => m,
        Err(EngineError::Rejected(_)) => return Ok(ObjectFile::Lines),
        Err(e) => return Err(e),
    };
    let pretty = s.line_breaks > 0;
    if s.next_token()?.is_some() {
        return Ok(ObjectFile::Lines);
    }
    // Its fields as a record's columns would be, nested ones by their path ("customer.id").
    let fields: Vec<String> = members
        .iter()
        .flat_map(|m| match m.kind {
            MemberKind::Other | MemberKind::EmptyList => vec![m.key.clone()],
            MemberKind::Object => m
                .members
                .iter()
                .filter(|c| matches!(c.kind, MemberKind::Other | MemberKind::EmptyList))
                .map(|c| format!("{}.{}", m.key, c.key))
                .collect(),
            MemberKind::Records => Vec::new(),
        })
        .collect();
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    // An order with its line items is one record, not a wrapper of its items.
    let a_record = score(&fields, dataset).0 > 0;
    let path = records_path(&members);
    // An API's empty page (`{"orders": [], "total": 0}`) holds no records; it is no record
    // itself unless it has fields other than the page's.
    if path.is_none()
        && let Some(list) = empty_records(&members)
        && (!a_record || fields.iter().all(|f| f == &list || names_paging(f)))
    {
        return Ok(ObjectFile::EmptyPage(list));
    }
    match path {
        Some(p) if !(a_record && p.len() == 1 && LINE_ARRAYS.contains(&normalize_header(&p[0]).as_str())) => {
            return Ok(ObjectFile::Wrapped(p));
        }
        _ if !pretty && a_record => return Ok(ObjectFile::Lines),
        _ => {}
    }
    // "`label`: the keys", or how many there are when they must not be shown.
    let listed = |kind: Option<MemberKind>, label: &str| {
        let keys: Vec<&str> = members
            .iter()
            .filter(|m| kind.is_none_or(|k| m.kind == k))
            .map(|m| m.key.as_str())
            .collect();
        let shown = &keys[..keys.len().min(8)];
        // An object keyed by its records' ids, names or emails (Firebase's export) would put
        // customers in the report and the logs: keys are named only when all are known names.
        if !shown.iter().all(|k| names_a_field(k)) {
            return format!(
                "{} keys, not shown: none of them a column name segflow knows (they may be values)",
                keys.len()
            );
        }
        let more = if keys.len() > 8 { ", …" } else { "" };
        format!("{label}{}{more}", shown.join(", "))
    };
    let arrays = members.iter().filter(|m| m.kind == MemberKind::Records).count();
    Err(RejectReason::UnsupportedFormat(if a_record {
        format!(
            "one JSON object printed over several lines, not a list of records ({}); export the records as a JSON array or JSON Lines",
            listed(None, "keys: ")
        )
    } else if arrays > 1 {
        format!(
            "a JSON object holding several lists of records ({}), and which one to read is not clear; upload one of them as a JSON array",
            listed(Some(MemberKind::Records), "")
        )
    } else if members.is_empty() {
        "an empty JSON object, not a list of records".into()
    } else {
        format!(
            "a JSON object, not a list of records ({}); upload an export of orders, customers or events as CSV, Excel, a JSON array or JSON Lines",
            listed(None, "its keys: ")
        )
    })
    .into())
}

/// Whether an object's key may be shown: a column name segflow knows (`Order Date`, `تاریخ`, in
/// any dataset), or a list or paging name of an API's wrapper (`orders`, `line_items`, `total`).
/// Any other key may be a value (`anna`, `anna_schmidt`, an email, a push id): an object keyed by
/// its records' ids, names or emails would put customers in the report and the logs.
fn names_a_field(key: &str) -> bool {
    let normalized = normalize_header(key);
    crate::schema::Dataset::ALL
        .iter()
        .any(|d| crate::mapping::header_score(&[key], *d) > 0)
        || WRAPPER_NAMES.contains(&normalized.as_str())
        || LINE_ARRAYS.contains(&normalized.as_str())
        || names_paging(key)
}

/// A JSON array read element by element: a 300 MB export parsed whole took 11× its size in
/// memory. Only the element being read is held (its raw bytes, then its object).
struct JsonArraySource {
    scanner: Scanner,
    /// Elements read so far (an element's `source_line` is its 1-based index).
    index: u64,
    /// After the opening bracket; `finished` after the closing one (or the end of a cut-off file).
    finished: bool,
    /// The array is a member of an object, whose other members after it are not read.
    wrapped: bool,
    raw: Vec<u8>,
}

/// How the raw bytes of one array element ended.
enum Element {
    /// Complete: the bytes in `raw`.
    Whole,
    /// The closing bracket: no more elements.
    End,
    /// The file ends inside an element or before the closing bracket.
    CutOff,
}

impl JsonArraySource {
    /// Reads the raw bytes of the next element into `self.raw`.
    fn read_element(&mut self) -> Result<Element> {
        self.raw.clear();
        let first = match self.scanner.next_token()? {
            None => return Ok(Element::CutOff),
            Some(b']') if self.index == 0 => return Ok(Element::End),
            Some(b) => b,
        };
        let first = if self.index > 0 {
            // Between elements: a comma, or the closing bracket.
            match first {
                b',' => {}
                b']' => return Ok(Element::End),
                _ => {
                    return Err(malformed_json(format!(
                        "no comma or closing bracket after element {} of the array",
                        self.index
                    )));
                }
            }
            match self.scanner.next_token()? {
                None => return Ok(Element::CutOff),
                Some(b) => b,
            }
        } else {
            first
        };
        let index = self.index;
        let what = move || format!("element {} of the array", index + 1);
        Ok(if self.scanner.value(first, Some(&mut self.raw), &what)? {
            Element::Whole
        } else {
            Element::CutOff
        })
    }
}

impl ReadItems for JsonArraySource {
    fn read_item(&mut self) -> Result<Option<JsonItem>> {
        if self.finished {
            return Ok(None);
        }
        let element = self.read_element()?;
        let line = self.index + 1;
        match element {
            Element::End => {
                self.finished = true;
                // Anything but whitespace after the array (a second array pasted on) is a file
                // this reader does not understand: refused, not half read. A wrapping object's
                // other members (a page count, a next link) are no records.
                if !self.wrapped && self.scanner.next_token()?.is_some() {
                    return Err(malformed_json("data after the array's closing bracket"));
                }
                Ok(None)
            }
            // Rows after the cut are lost, and nothing in the file says how many: refused whole,
            // like a cut-off gzip, rather than ingested in part as if complete.
            Element::CutOff => Err(malformed_json(format!(
                "the file ends after element {} of the array, without its closing bracket (cut off?)",
                self.index
            ))),
            Element::Whole => {
                self.index += 1;
                Ok(Some(match lenient::<serde_json::Value>(&self.raw) {
                    Ok(serde_json::Value::Object(o)) => JsonItem::Obj(line, with_params_unpacked(o)),
                    Ok(other) => JsonItem::Bad(
                        line,
                        format!("array element is not an object: {}", kind_of(&other)),
                    ),
                    Err(e) => JsonItem::Bad(line, e.to_string()),
                }))
            }
        }
    }
}

impl JsonArraySource {
    /// Positioned after the opening bracket (after a byte-order mark and whitespace): of the
    /// array itself, or of the one at the path of keys `within` the object wrapping it.
    fn open(path: &Path, fmt: &Format, limits: Limits, within: &[String]) -> Result<Self> {
        let mut scanner = Scanner::open(path, fmt, limits)?;
        if within.is_empty() {
            if scanner.next_token()? != Some(b'[') {
                return Err(malformed_json("a JSON array must start with ["));
            }
        } else {
            for (depth, wanted) in within.iter().enumerate() {
                let last = depth + 1 == within.len();
                if scanner.next_token()? != Some(b'{') || !scanner.first_member()? {
                    return Err(malformed_json(format!("no member {wanted:?} found")));
                }
                loop {
                    if scanner.key()? == *wanted {
                        if last && scanner.next_token()? != Some(b'[') {
                            return Err(malformed_json(format!("{wanted:?} is no array")));
                        }
                        break;
                    }
                    scanner.skip()?;
                    if !scanner.more_members()? {
                        return Err(malformed_json(format!("no member {wanted:?} found")));
                    }
                }
            }
        }
        Ok(JsonArraySource {
            scanner,
            index: 0,
            finished: false,
            wrapped: !within.is_empty(),
            raw: Vec::new(),
        })
    }
}

fn malformed_json(detail: impl Into<String>) -> EngineError {
    RejectReason::Malformed {
        format: "JSON",
        detail: detail.into(),
    }
    .into()
}

pub(super) fn open_json_array(
    path: &Path,
    fmt: &Format,
    limits: Limits,
    dataset: Option<Dataset>,
    within: &[String],
) -> Result<Opened> {
    let lines = reads_lines(dataset);
    let mut scan = JsonArraySource::open(path, fmt, limits, within)?;
    let (keys, itemised) = scan_keys(lines, || scan.read_item())?;
    if scan.index == 0 {
        return Err(RejectReason::NoRecords(if within.is_empty() {
            "the JSON array is empty".into()
        } else {
            format!("its {} list is empty", within.join("."))
        })
        .into());
    }
    let (headers, guessed) = json_headers(keys, dataset)?;
    let src = JsonRows::new(
        JsonArraySource::open(path, fmt, limits, within)?,
        headers.clone(),
        lines,
    );
    Ok(opened(Box::new(src), headers, guessed, itemised))
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::{json_number, repaired};

    fn fixed(raw: &str) -> Option<String> {
        repaired(raw.as_bytes()).map(|v| String::from_utf8(v).unwrap())
    }

    /// Only a value that JSON's grammar would take but a double cannot hold, or a non-number where
    /// a value stands, is quoted; every other fault is left for the parser to refuse.
    #[test]
    fn only_non_numbers_and_overflowing_numbers_are_quoted() {
        assert_eq!(fixed(r#"{"a": NaN}"#).as_deref(), Some(r#"{"a": "NaN"}"#));
        assert_eq!(
            fixed(r#"{"a": [1, NaN, Infinity, -Infinity]}"#).as_deref(),
            Some(r#"{"a": [1, "NaN", "Infinity", "-Infinity"]}"#)
        );
        assert_eq!(
            fixed(r#"{"a": 1e400, "b": -1E+400}"#).as_deref(),
            Some(r#"{"a": "1e400", "b": "-1E+400"}"#)
        );
        for left in [
            r#"{"a": "NaN", "b": "1e400 \" NaN"}"#,
            r#"{"d": -}"#,
            r#"{"d": -1-2}"#,
            r#"{"d": 1e5e5}"#,
            r#"{"p": 1.2.3}"#,
            r#"{NaN: 1}"#,
            r#"{"a": 1, NaN: 2}"#,
            r#"{"a": NaNa}"#,
            r#"{"a": Infinity1}"#,
            r#"{"a": 1e308}"#,
        ] {
            assert_eq!(fixed(left), None, "{left}");
        }
        assert!(json_number(b"-0.5e-3") && json_number(b"12") && !json_number(b"012") && !json_number(b"1."));
    }
}
