//! Turning source records into typed Arrow columns, one converter per dataset. A row either lands
//! whole in the builders or is rejected with a reason: converters parse every cell first and
//! append only once the row is known good.

mod activity;
mod contacts;
mod customers;
mod documents;
mod message;
mod orders;
mod refusals;
mod sales;
mod unread;

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringBuilder, new_null_array};
use arrow::datatypes::{DataType, Field as ArrowField, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

use super::rows::Row;
use crate::error::Result;
use crate::mapping::ColumnMapping;
use crate::schema::{Dataset, Field};
use crate::values::date::RowZone;
use crate::values::{DateOrder, DateParser, NumberParser, normalize_digits};
pub(crate) use orders::BULK_ORDERS_KEPT;

pub use activity::normalize_event_type;
pub use refusals::{REFUSALS_PREFIX, refusals_schema};
pub use sales::names_returns;
pub(crate) use sales::{is_cancellation_invoice, is_total_label, never_happened, normalize_status};

/// Quarantine reasons of rows that are no sale lines (or no contact's activity) by the export's
/// own account (the data contract's "Platform layouts" and "Document types"): expected, so they
/// leave a file's status `ok`.
pub(crate) const ORDER_SUMMARY: &str = "order_summary";
pub(crate) const PAYMENT_ROW: &str = "payment_row";
pub(crate) const GROUP_ROW: &str = "group_row";
pub(crate) const NOT_A_SALE: &str = "not_a_sale";
/// A messaging log's message the shop sent: no activity of the contact's.
pub(crate) const OUTGOING_MESSAGE: &str = "outgoing_message";
/// A JSON order's refund that gave back shipping only (or a refund's shipping part): no product
/// went back, so it is no return line.
pub(crate) const SHIPPING_REFUND: &str = "shipping_refund";
/// A JSON order's refund that gives back no product and no money (Shopify records one when an
/// unpaid order is cancelled and restocked).
pub(crate) const EMPTY_REFUND: &str = "empty_refund";
/// A return line of a JSON order's refund where the order never counted (cancelled, unpaid): its
/// lines add nothing, so taking its refund off would leave the buyer below what they paid.
pub(crate) const CANCELLED_ORDER_REFUND: &str = "cancelled_order_refund";
pub(crate) const EXPECTED_REJECTS: [&str; 8] = [
    ORDER_SUMMARY,
    PAYMENT_ROW,
    GROUP_ROW,
    NOT_A_SALE,
    OUTGOING_MESSAGE,
    SHIPPING_REFUND,
    EMPTY_REFUND,
    CANCELLED_ORDER_REFUND,
];
/// A sales line whose quantity, unit price or amount is at or beyond
/// [`crate::values::number::IMPLAUSIBLE_AMOUNT`]: no shop's sale, and one such line would take
/// all of a customer's (or the shop's) revenue, or overflow the sums segmentation clusters on.
pub(crate) const IMPLAUSIBLE: &str = "implausible_amount";
/// A line item naming an order (Shopify's bulk `__parentId`) that no row of the file gives: a
/// row that cannot be placed, not an expected one.
pub(crate) const MISSING_ORDER: &str = "missing_order";

/// Why one row was rejected; `column` is the source column index when one cell is to blame.
#[derive(Debug, Clone, PartialEq)]
pub struct RowReject {
    pub reason: &'static str,
    pub column: Option<usize>,
}

impl RowReject {
    fn at(reason: &'static str, column: Option<usize>) -> Self {
        RowReject { reason, column }
    }
}

/// Facts about the converted rows for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConvertStats {
    pub min_ts: Option<DateTime<Utc>>,
    pub max_ts: Option<DateTime<Utc>>,
    /// `min_ts` and `max_ts` as they are seen, in microseconds: on every row, and two integers
    /// compare without branches where `DateTime`s compare field by field.
    #[serde(skip)]
    range: Option<(i64, i64)>,
    /// Sales: rows flagged as returns/cancellations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returns: Option<u64>,
    /// Sales: rows with a positive quantity read as returns because their sheet or file is named
    /// as returns (included in `returns`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed_returns: Option<u64>,
    /// Sales: return lines read from JSON orders' nested refunds (included in `returns`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_lines: Option<u64>,
    /// Sales: rows without a customer (guest checkouts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest_rows: Option<u64>,
    /// Customers: marketing-consent cells outside the yes/no vocabulary. They are read as no
    /// consent: only a clear yes lets a customer into the lists marketing tools import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_unclear: Option<u64>,
    /// Customers: optional attributes (birth date, age, sign-up date) that could not be read, by
    /// column. The customer is kept with that attribute empty: dropping the whole row would also
    /// drop their id and consent.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub unreadable_values: std::collections::BTreeMap<&'static str, u64>,
    pub currencies: std::collections::BTreeSet<String>,
    /// Activity: rows written per canonical event type.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub event_types: std::collections::BTreeMap<&'static str, u64>,
    /// Activity: the event names read as `other` (not scored), most rows first (then by name),
    /// at most [`OTHER_EVENTS_LISTED`], each cut to [`OTHER_EVENT_CHARS`] characters: what to add
    /// to a mapping or to the vocabulary. Values that do not read as event names (free text that
    /// may be about a person) are counted under one placeholder, never shown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_events: Vec<EventCount>,
    /// Sales: statuses kept as written, not read as one of the canonical statuses (listed as
    /// `other_events` is): each counts as a purchase, so a word for an unpaid or cancelled order
    /// missing from the vocabulary shows here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_statuses: Vec<EventCount>,
}

/// One event name and the rows that had it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventCount {
    pub value: String,
    pub rows: u64,
}

/// How many of the names read as `other` the report lists.
pub const OTHER_EVENTS_LISTED: usize = 20;
/// Characters of such a name kept in the report.
pub const OTHER_EVENT_CHARS: usize = 60;

impl ConvertStats {
    fn see_ts(&mut self, micros: i64) {
        let (lo, hi) = self.range.get_or_insert((micros, micros));
        *lo = (*lo).min(micros);
        *hi = (*hi).max(micros);
    }

    /// The stats as reported, with the range of times seen.
    fn snapshot(&self) -> ConvertStats {
        let at = |us| DateTime::<Utc>::from_timestamp_micros(us);
        ConvertStats {
            min_ts: self.range.and_then(|(lo, _)| at(lo)),
            max_ts: self.range.and_then(|(_, hi)| at(hi)),
            ..self.clone()
        }
    }
}

/// How the values of a file were read; recorded in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ParseSettings {
    pub date_format: &'static str,
    /// Dates written `a/b/yyyy`: what decided their order (see [`super::DateOrderFrom`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_order_from: Option<super::DateOrderFrom>,
    /// With `date_order_from: earlier_upload`: the key of the upload that showed the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_order_learned_from: Option<String>,
    pub decimal_mark: Option<crate::values::DecimalMark>,
    pub timezone: String,
}

pub trait Converter: Send {
    fn schema(&self) -> SchemaRef;
    /// Hive partition column written in the path (e.g. `order_month`), if the dataset is partitioned.
    fn partition_column(&self) -> Option<&'static str>;
    fn push(&mut self, line: u64, rec: &Row<'_>) -> std::result::Result<(), RowReject>;
    fn buffered(&self) -> usize;
    /// The buffered rows as one batch, with each row's partition (months since year 0), if partitioned.
    fn finish_batch(&mut self) -> Result<(RecordBatch, Vec<i32>)>;
    fn stats(&self) -> ConvertStats;
    fn settings(&self) -> ParseSettings;
    /// What the report should tell about how the file was read, beyond its settings.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
    /// Sales: the emails and phones the rows give beside customer numbers since the last call, as
    /// `curated/customers` rows (see [`contacts`]).
    fn finish_contacts(&mut self) -> Result<Option<RecordBatch>> {
        Ok(None)
    }
    /// A row [`Self::push`] rejected for `reason`: when it carries a refusal of marketing under a
    /// key, keeps the refusal (see [`refusals`]) and says so. Called for rejected rows only, so
    /// the rows that are written pay nothing for it.
    fn keep_refusal(&mut self, _line: u64, _rec: &Row<'_>, _reason: &str) -> bool {
        false
    }
    /// The refusals kept since the last call, as `curated/refusals` rows.
    fn finish_refusals(&mut self) -> Result<Option<RecordBatch>> {
        Ok(None)
    }
    /// How many refusals [`Self::finish_refusals`] would return.
    fn refusals_buffered(&self) -> usize {
        0
    }
}

pub use customers::customers_schema;

/// What converters need besides the mapping.
#[derive(Debug, Clone)]
pub struct ConvertConfig {
    pub source_key: String,
    pub timezone: chrono_tz::Tz,
    pub date_order: DateOrder,
    /// The file is `;`-separated text: numbers whose every mark is ambiguous use a decimal comma.
    pub semicolon_separated: bool,
    /// Sales: lines of sheets, or the whole file, named as returns: positive quantities there are
    /// returns and are negated.
    pub returns_lines: Vec<std::ops::RangeInclusive<u64>>,
    /// Sales: the currency the file's title rows give its amounts in, for amounts that say none.
    pub title_currency: Option<&'static str>,
    /// The shop's country, for phone numbers written without one.
    pub phone_country: Option<crate::values::PhoneCountry>,
}

pub fn converter(
    dataset: Dataset,
    mapping: &ColumnMapping,
    headers: &[String],
    samples: &[Row<'_>],
    cfg: &ConvertConfig,
) -> Box<dyn Converter> {
    match dataset {
        Dataset::Sales => Box::new(sales::SalesConverter::new(mapping, headers, samples, cfg)),
        Dataset::Customers => Box::new(customers::CustomersConverter::new(mapping, headers, samples, cfg)),
        Dataset::Activity => Box::new(activity::ActivityConverter::new(mapping, headers, samples, cfg)),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared cell helpers

#[inline]
pub(crate) fn cell<'a>(rec: &Row<'a>, col: Option<usize>) -> &'a str {
    crate::values::trim_value(col.and_then(|c| rec.get(c)).unwrap_or(""))
}

pub(crate) fn text<'a>(rec: &Row<'a>, col: Option<usize>) -> Option<&'a str> {
    let s = cell(rec, col);
    (!s.is_empty()).then_some(s)
}

/// A text cell that is grouped by downstream (city, country, job title): Arabic letter variants
/// as the Persian letters (see [`crate::values::persian_letters`]), so one city is one value. Ids
/// and product names are kept as written: there a different letter may be a different thing.
pub(crate) fn grouped_text<'a>(rec: &Row<'a>, col: Option<usize>) -> Option<Cow<'a, str>> {
    text(rec, col).map(crate::values::persian_letters)
}

/// Identifiers: digits normalised, and the ".0" that spreadsheets and pandas add to numeric ids
/// ("17850.0") removed, so the same customer has one id whichever tool wrote the file.
pub(crate) fn id_value(raw: &str) -> Option<Cow<'_, str>> {
    let raw = crate::values::trim_value(raw);
    // "-" or "N/A" for a guest is no id: such rows must not all become one customer.
    if crate::values::is_null_marker(raw) {
        return None;
    }
    // Shopify writes its long numeric ids as `'7283462766787` so that Excel keeps their digits:
    // the apostrophe is no part of the id another export gives.
    let raw = match raw.strip_prefix('\'') {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => digits,
        _ => raw,
    };
    let s = normalize_digits(raw);
    let trimmed = match s.strip_suffix(".0") {
        Some(head) if !head.is_empty() && head.bytes().all(|b| b.is_ascii_digit()) => Some(head.to_string()),
        _ => None,
    };
    Some(match trimmed {
        Some(t) => Cow::Owned(t),
        None => s,
    })
}

/// An email cell's address, lower-cased: also from `Yas <yas@x.com>` and `mailto:yas@x.com`.
/// None for anything else, and for two addresses in one cell (`a@x.com; b@x.com`): a key made of
/// both would be no one's, and either alone a guess.
pub(crate) fn email_value(raw: &str) -> Option<Cow<'_, str>> {
    let mut s = crate::values::trim_value(raw);
    if let Some(open) = s.rfind('<')
        && let Some(inner) = s[open + 1..].strip_suffix('>')
    {
        // "<a@x.com> <b@x.com>": two addresses.
        if s[..open].contains('@') {
            return None;
        }
        s = inner.trim();
    }
    if let Some(head) = s.get(..7)
        && head.eq_ignore_ascii_case("mailto:")
    {
        s = &s[7..];
    }
    let at = s.find('@')?;
    if at == 0 || at + 1 == s.len() || s[at + 1..].contains('@') || s.contains([' ', ';', ',', '<', '>']) {
        return None;
    }
    Some(if s.chars().any(char::is_uppercase) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    })
}

/// The columns that key a customer (or an activity contact), in the data contract's order: a real
/// id, else the email, else the phone. A column that *names* the customer keys them only when the
/// file has none of these (see [`crate::mapping::map_headers`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct KeyCols {
    pub id: Option<usize>,
    pub email: Option<usize>,
    pub phone: Option<usize>,
    /// A second phone column, read where `phone`'s cell gives no number (see
    /// [`ColumnMapping::alt_phone`]).
    pub alt_phone: Option<usize>,
    /// A second id column, read where `id`'s cell is empty (see [`ColumnMapping::alt_id`]).
    pub alt_id: Option<usize>,
    /// `id` is a name column ("Customer Name", «نام مشتری»): its values are folded by
    /// [`crate::values::name_key`].
    pub named: bool,
    /// Ten bare digits from 9 in the phone column are Iranian mobiles (see
    /// [`crate::values::phone_key`]).
    pub bare_iranian: bool,
    /// The shop's country, for numbers written without one.
    pub country: Option<crate::values::PhoneCountry>,
}

impl KeyCols {
    pub(crate) fn of(
        m: &ColumnMapping,
        headers: &[String],
        samples: &[Row<'_>],
        cfg: &ConvertConfig,
    ) -> Self {
        let phone = col(m, Field::Phone);
        let alt_phone = m.alt_phone.filter(|_| phone.is_some());
        KeyCols {
            id: col(m, Field::CustomerId),
            email: col(m, Field::Email),
            phone,
            alt_phone,
            alt_id: m.alt_id,
            named: m.customer_named,
            // Persian in the header or the cells, or a full Iranian mobile.
            bare_iranian: phone.is_some()
                && crate::values::bare_mobiles_iranian(
                    headers.iter().map(String::as_str),
                    samples.iter().map(Row::iter),
                    samples_of(samples, phone).chain(samples_of(samples, alt_phone)),
                ),
            country: cfg.phone_country,
        }
    }

    /// The key form of the row's phone: the phone column's, else, where that cell gives no
    /// number (a contact with a landline and no mobile), the second phone column's.
    pub(crate) fn phone_key<'a>(&self, rec: &Row<'a>) -> Option<Cow<'a, str>> {
        let key = self
            .phone
            .and_then(|c| crate::values::phone_key(cell(rec, Some(c)), self.bare_iranian))
            .or_else(|| crate::values::phone_key(cell(rec, Some(self.alt_phone?)), self.bare_iranian))?;
        Some(match self.country {
            Some(country) => country.apply(key),
            None => key,
        })
    }

    /// The phone cell [`Self::phone_key`] reads: the phone column's, else the second one's
    /// when the first gives no number ("" without a phone column).
    pub(crate) fn phone_cell<'a>(&self, rec: &Row<'a>) -> &'a str {
        let first = cell(rec, self.phone);
        match self.alt_phone {
            Some(alt) if crate::values::phone_key(first, self.bare_iranian).is_none() => {
                match cell(rec, Some(alt)) {
                    "" => first,
                    other => other,
                }
            }
            _ => first,
        }
    }

    /// The file has a column that can key a customer.
    pub(crate) fn any(&self) -> bool {
        self.id.is_some() || self.email.is_some() || self.phone.is_some()
    }

    /// The column to blame for a row without a key.
    pub(crate) fn first(&self) -> Option<usize> {
        self.id.or(self.email).or(self.phone)
    }
}

/// Customer key: the id when there is one (a lead's id where a contact's is empty, see
/// [`ColumnMapping::alt_id`]), else the lower-cased email (so exports keyed by email,
/// such as Shopify's, still give customers), else the phone number in one form (Iranian shops
/// key buyers by their mobile), see [`contact_key`]; a name column's value folded, see
/// [`crate::values::name_key`].
pub(crate) fn customer_key<'a>(rec: &Row<'a>, k: &KeyCols) -> Option<Cow<'a, str>> {
    if k.named {
        let name = cell(rec, k.id);
        return match crate::values::text::account_code(name) {
            Some(code) => Some(Cow::Borrowed(code)),
            None => crate::values::name_key(name),
        };
    }
    id_value(cell(rec, k.id))
        .or_else(|| id_value(cell(rec, k.alt_id)))
        .or_else(|| contact_key(rec, k))
}

/// The key of a row without a customer id (or with a guest's): its email, else its phone.
pub(crate) fn contact_key<'a>(rec: &Row<'a>, k: &KeyCols) -> Option<Cow<'a, str>> {
    email_value(cell(rec, k.email)).or_else(|| k.phone_key(rec))
}

/// A column headed by a bare "number" (`نام,شماره`, see [`crate::mapping::BARE_NUMBER`]) is the
/// phone when the file has no phone column and nine in ten of its sampled cells that give a
/// number are phone numbers written so that nothing else reads like them: Iranian mobiles
/// (`0912…`, `+98 912…`, `۰۹۱۲…`; `912…` with its zero dropped in a file that shows it is
/// Iranian, unless the numbers lie close together like a counter's) or numbers with their
/// country (`+44 …`). An invoice or an order number is neither. Cells that stand for no number
/// (`-`, `09123456789`) are left out of the count. In a sales sheet, a bare «نام» beside it
/// names the buyer. A mapping file says what every column is: not called then.
pub(crate) fn phone_by_values(
    m: &mut ColumnMapping,
    dataset: Dataset,
    headers: &[String],
    samples: &[Row<'_>],
) {
    if !dataset.fields().contains(&Field::Phone) || m.column_of(Field::Phone).is_some() {
        return;
    }
    let bare_number = |i: usize| {
        m.columns[i].is_none()
            && crate::mapping::BARE_NUMBER.contains(&crate::mapping::normalize_header(&headers[i]).as_str())
    };
    let Some(i) = (0..headers.len()).find(|&i| {
        bare_number(i) && {
            let cells = || samples_of(samples, Some(i)).filter(|v| !crate::values::no_number(v));
            let iranian = crate::values::bare_mobiles_iranian(
                headers.iter().map(String::as_str),
                samples.iter().map(Row::iter),
                cells(),
            );
            // Ten digits from 9 in a narrow range are a counter's (invoices 9000000101, …).
            let bare: Vec<u64> = cells()
                .filter_map(|v| {
                    let k = crate::values::phone_key(v, true)?;
                    let dropped = crate::values::phone_key(v, false).is_some_and(|f| f != k);
                    dropped
                        .then(|| k.trim_start_matches("+98").parse().ok())
                        .flatten()
                })
                .collect();
            // A counter's numbers lie close together (a hundred apart on average at most); one
            // operator's mobiles (a Tehran shop's 0912s) lie millions apart.
            let spread = bare.iter().max().zip(bare.iter().min()).map_or(0, |(a, b)| a - b);
            let counter = bare.len() > 1 && spread < 100 * bare.len() as u64;
            // `00` and digits may be a zero-padded invoice number; `0098 912…` is still a mobile.
            let phone = |v: &str| match crate::values::phone_key(v, iranian && !counter) {
                Some(k) if k.starts_with("+989") => true,
                Some(k) => k.starts_with('+') && !v.trim_start().starts_with("00"),
                None => false,
            };
            let (filled, phones) =
                cells().fold((0usize, 0usize), |(f, p), v| (f + 1, p + usize::from(phone(v))));
            filled > 0 && phones * 10 >= filled * 9
        }
    }) else {
        return;
    };
    m.columns[i] = Some(Field::Phone);
    let listed = |m: &mut ColumnMapping, i: usize| {
        let shown = crate::mapping::shown_header(&headers[i], i);
        if let Some(u) = m.unmapped.iter().position(|h| *h == shown) {
            m.unmapped.remove(u);
        }
    };
    listed(m, i);
    // The hand-kept sales sheet's bare «نام» (Name) beside it is the buyer's, as a «نام مشتری»
    // would be (a row without a mobile is its name's buyer), unless the sheet lists products,
    // whose name it may be («کد,نام,تعداد,مبلغ»).
    let products = [Field::ProductId, Field::ProductName]
        .iter()
        .any(|&f| m.column_of(f).is_some());
    if dataset == Dataset::Sales
        && !products
        && m.layout_columns.customer_name.is_none()
        && let Some(n) = (0..headers.len()).find(|&n| {
            m.columns[n].is_none()
                && matches!(
                    crate::mapping::normalize_header(&headers[n]).as_str(),
                    "نام" | "name"
                )
        })
    {
        m.layout_columns.customer_name = Some(n);
        listed(m, n);
    }
}

/// A sales export without an order number column whose bare «شماره» / `Number` / `No` column
/// (left unmapped, see [`phone_by_values`]) holds document numbers is numbered by it: Hesabfa's
/// invoice list (`شماره,تاریخ,مخاطب,مبلغ,تخفیف,جمع کل`) names each invoice so. Without it every
/// invoice was a guest's line of no order. Not a column of mobiles (a second number column
/// beside a phone column), and not a line-level export's line counter: where the file has
/// quantities, its lines are an order's only if some number repeats (an order of several
/// lines), and a number that comes back on other dates (lines counted within each invoice, 1, 2,
/// 1, 2) counts something else. Read as orders, such counters made each line a purchase, or
/// one purchase of many days' lines.
pub(crate) fn order_number_by_values(
    m: &mut ColumnMapping,
    dataset: Dataset,
    headers: &[String],
    samples: &[Row<'_>],
) {
    if dataset != Dataset::Sales || m.column_of(Field::OrderId).is_some() {
        return;
    }
    let document_number = |v: &str| {
        let v = crate::values::digits::normalize_digits(v);
        v.len() <= 20
            && v.chars().any(|c| c.is_ascii_digit())
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '_'))
    };
    let mobile = |v: &str| crate::values::phone_key(v, true).is_some_and(|k| k.starts_with('+'));
    let lines = m.column_of(Field::Quantity).is_some();
    let date = m.column_of(Field::OrderDate);
    let Some(i) = (0..headers.len()).find(|&i| {
        if m.columns[i].is_some()
            || !crate::mapping::BARE_NUMBER.contains(&crate::mapping::normalize_header(&headers[i]).as_str())
        {
            return false;
        }
        // One pass over the samples: how many cells are document numbers and mobiles, and of
        // the numbers seen again, how many on the date they were first seen on. An order's number
        // stays on its date: one that comes back on other dates (lines counted within each
        // invoice, 1, 2, 1, 2; a counter restarting each month) counts something else.
        let (mut filled, mut numbers, mut mobiles, mut again, mut elsewhere) = (0usize, 0, 0, 0, 0);
        let mut first: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
        for r in samples {
            let v = cell(r, Some(i));
            if v.is_empty() {
                continue;
            }
            filled += 1;
            numbers += usize::from(document_number(v));
            mobiles += usize::from(mobile(v));
            let d = cell(r, date);
            match first.insert(v, d) {
                Some(before) if before != d => elsewhere += 1,
                Some(_) => again += 1,
                None => {}
            }
        }
        filled > 0
            && numbers * 10 >= filled * 9
            && mobiles * 2 < filled
            && (!lines || again + elsewhere > 0)
            && elsewhere * 10 <= again + elsewhere
    }) else {
        return;
    };
    m.columns[i] = Some(Field::OrderId);
    let shown = crate::mapping::shown_header(&headers[i], i);
    m.unmapped.retain(|h| *h != shown);
}

pub(crate) fn samples_of<'a>(
    samples: &'a [Row<'a>],
    col: Option<usize>,
) -> impl Iterator<Item = &'a str> + Clone {
    samples
        .iter()
        .map(move |r| cell(r, col))
        .filter(|s| !s.is_empty())
}

/// `earliest`: the first plausible date of the column, for short dates in Persian digits (see
/// [`crate::values::date::persian_short_order`]); None for birth dates.
pub(crate) fn date_parser(
    samples: &[Row<'_>],
    m: &ColumnMapping,
    col: Option<usize>,
    cfg: &ConvertConfig,
    earliest: Option<chrono::NaiveDate>,
) -> DateParser {
    // Birth and sign-up dates get no chronology check before this: a column of short dates in
    // Persian digits is Jalali here too (۶۲/۰۷/۱۵ is 1362).
    let order = match cfg.date_order {
        DateOrder::Auto => crate::values::date::persian_short_order(
            samples_of(samples, col),
            chrono::Utc::now().date_naive(),
            earliest,
        )
        .unwrap_or(m.layout.date_order()),
        order => order,
    };
    // A header that names an offset ("Created date (UTC)", the separate "Order Time (UTC+01:00)")
    // outranks the shop's zone.
    let header = col
        .into_iter()
        .chain(m.column_of(Field::OrderTime))
        .find_map(|c| m.zone_hints.get(c).copied().flatten());
    let parser = DateParser::infer(samples_of(samples, col), order, cfg.timezone);
    match header {
        Some(o) if o.local_minus_utc() == 0 => parser.in_zone(RowZone::Named(chrono_tz::UTC)),
        Some(o) => parser.in_zone(RowZone::Offset(o)),
        None => parser,
    }
}

pub(crate) fn number_parser(
    samples: &[Row<'_>],
    cols: &[Option<usize>],
    ambiguous: crate::values::Ambiguous,
) -> NumberParser {
    NumberParser::infer_with(cols.iter().flat_map(|c| samples_of(samples, *c)), ambiguous)
}

pub(crate) fn month_key(ts: DateTime<Utc>) -> i32 {
    ts.year() * 12 + ts.month0() as i32
}

pub fn month_label(key: i32) -> String {
    format!("{:04}-{:02}", key.div_euclid(12), key.rem_euclid(12) + 1)
}

pub(crate) fn col(m: &ColumnMapping, f: Field) -> Option<usize> {
    m.column_of(f)
}

/// The columns a row's marketing consent is read from: the one mapped to `marketing_consent`
/// and any more the file has (see [`ColumnMapping::more_consent`]), each with how it says it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConsentCols(Vec<(usize, Says)>);

/// An unsubscribe-time cell that is no yes or no: a time refuses (`Some(false)`); a placeholder
/// does not ("Never", MySQL's zero date `0000-00-00`, the epoch `1970-01-01`, Excel's `1900-01-01`).
fn unsubscribed_at(raw: &str) -> Option<bool> {
    let v = crate::values::digits::normalize_digits(raw.trim());
    let placeholder = ["1970-01-01", "1900-01-01", "1899-12-30", "1899-12-31"]
        .iter()
        .any(|p| v.starts_with(p))
        || !v.bytes().any(|b| matches!(b, b'1'..=b'9'));
    (!placeholder).then_some(false)
}

/// How a consent column says its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Says {
    /// Yes is consent.
    Consent,
    /// Yes is a refusal ("Email Opt Out").
    OptOut,
    /// When the person unsubscribed (`UNSUB_TIME`, "Opt-out date"): a time, or a yes, is a
    /// refusal; empty or a no says nothing.
    OptOutTime,
    /// A column read by its header's words, not a listed header (see
    /// [`crate::mapping::consent_by_words_only`]), as a consent (`false`) or an opt-out (`true`):
    /// only a plain answer counts, as the header may be about something else.
    ByWords { opt_out: bool },
}

impl ConsentCols {
    pub(crate) fn of(m: &ColumnMapping, headers: &[String]) -> ConsentCols {
        let cols = col(m, Field::MarketingConsent)
            .into_iter()
            .chain(m.more_consent.iter().copied())
            .map(|i| {
                let opt_out = m.opt_out.contains(&i);
                let by_words = headers
                    .get(i)
                    .is_some_and(|h| crate::mapping::consent_by_words_only(h));
                let says = match opt_out {
                    _ if by_words => Says::ByWords { opt_out },
                    false => Says::Consent,
                    true if headers
                        .get(i)
                        .is_some_and(|h| crate::mapping::names_unsubscribe_time(h)) =>
                    {
                        Says::OptOutTime
                    }
                    true => Says::OptOut,
                };
                (i, says)
            })
            .collect();
        ConsentCols(cols)
    }

    /// As [`Self::of`], for an activity export, where a consent column is read beside the
    /// events: there a bare consent header ("Newsletter", "Subscribed") may as well name what the
    /// event was about, so only its plain yes or no counts. Opt-outs ("Email Opt Out") and
    /// unsubscribe times are read as everywhere.
    pub(crate) fn beside_events(m: &ColumnMapping, headers: &[String]) -> ConsentCols {
        let mut cols = ConsentCols::of(m, headers);
        for (_, says) in &mut cols.0 {
            if *says == Says::Consent {
                *says = Says::ByWords { opt_out: false };
            }
        }
        cols
    }

    pub(crate) fn is_some(&self) -> bool {
        !self.0.is_empty()
    }

    /// The row's cells, for telling a repeated row.
    pub(crate) fn cells<'a>(&'a self, rec: &'a Row<'a>) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().map(move |&(i, _)| cell(rec, Some(i)))
    }

    /// The row's consent: a refusal in any column refuses (a "no" to SMS beside a "yes" to
    /// email must keep the person's phone off the lists); else a yes in any consents; else
    /// unknown. `Err` when a cell is unclear: the caller counts it and reads it as a refusal,
    /// so an unclear value never lets anyone into the lists.
    pub(crate) fn read(&self, rec: &Row<'_>) -> std::result::Result<Option<bool>, crate::values::ValueError> {
        let mut consent = None;
        let mut unclear = None;
        for &(i, says) in &self.0 {
            let raw = cell(rec, Some(i));
            let read = match says {
                Says::Consent => crate::values::parse_bool(raw),
                Says::OptOut => crate::values::parse_opt_out(raw),
                Says::ByWords { opt_out: false } => crate::values::parse_bool(raw).or(Ok(None)),
                Says::ByWords { opt_out: true } => crate::values::parse_opt_out(raw).or(Ok(None)),
                Says::OptOutTime => crate::values::parse_opt_out(raw).or(Ok(unsubscribed_at(raw))),
            };
            match read {
                Ok(Some(false)) => consent = Some(false),
                Ok(Some(true)) => consent = consent.or(Some(true)),
                Ok(None) => {}
                Err(e) => unclear = Some(e),
            }
        }
        match unclear {
            Some(e) => Err(e),
            None => Ok(consent),
        }
    }
}

/// A string column of the output. When the file has no source for it, rows cost nothing and the
/// batch gets an all-null array; otherwise the builder is sized from the previous batch so it
/// does not regrow (and copy) its buffers on every batch.
pub(crate) struct TextColumn {
    builder: Option<StringBuilder>,
    bytes_hint: usize,
}

impl TextColumn {
    pub(crate) fn new(has_source: bool) -> Self {
        TextColumn {
            builder: has_source.then(StringBuilder::new),
            bytes_hint: 0,
        }
    }

    #[inline]
    pub(crate) fn append(&mut self, v: Option<&str>) {
        if let Some(b) = &mut self.builder {
            b.append_option(v);
        }
    }

    pub(crate) fn finish(&mut self, rows: usize) -> ArrayRef {
        match &mut self.builder {
            Some(b) => {
                let array = b.finish();
                self.bytes_hint = array.value_data().len();
                *b = StringBuilder::with_capacity(rows, self.bytes_hint);
                Arc::new(array)
            }
            None => new_null_array(&DataType::Utf8, rows),
        }
    }
}

/// A column with the same value on every row (the upload's key): built once per batch rather than
/// appended per row, in buffers of its final size (growing one value by value copied it over
/// and over).
pub(crate) fn constant_text(value: &str, rows: usize) -> ArrayRef {
    let offsets = arrow::buffer::OffsetBuffer::<i32>::from_lengths(std::iter::repeat_n(value.len(), rows));
    let values = arrow::buffer::Buffer::from(value.repeat(rows).into_bytes());
    Arc::new(arrow::array::StringArray::new(offsets, values, None))
}

/// A batch of `rows` in `schema`: the columns `column` gives by name, the upload's key in
/// `source_key`, nulls in every other (the rows a converter keeps beside its own: contact links,
/// refusals).
pub(crate) fn batch_by_name(
    schema: &SchemaRef,
    rows: usize,
    source_key: &str,
    mut column: impl FnMut(&str) -> Option<ArrayRef>,
) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| match f.name().as_str() {
            "source_key" => constant_text(source_key, rows),
            name => column(name).unwrap_or_else(|| new_null_array(f.data_type(), rows)),
        })
        .collect();
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// [`constant_text`] for a converter's batches: built for the largest batch yet and handed out
/// as slices of it, so a batch costs no copy of the value per row.
pub(crate) struct ConstantText {
    value: String,
    column: Option<ArrayRef>,
}

impl ConstantText {
    pub(crate) fn new(value: &str) -> Self {
        ConstantText {
            value: value.to_string(),
            column: None,
        }
    }

    pub(crate) fn value(&self) -> &str {
        &self.value
    }

    pub(crate) fn rows(&mut self, rows: usize) -> ArrayRef {
        match &self.column {
            Some(c) if c.len() >= rows => c.slice(0, rows),
            _ => {
                let c = constant_text(&self.value, rows);
                self.column = Some(c.clone());
                c
            }
        }
    }
}

pub(crate) fn utf8(name: &str) -> ArrowField {
    ArrowField::new(name, DataType::Utf8, true)
}

pub(crate) fn ts_field(name: &str, nullable: bool) -> ArrowField {
    ArrowField::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        nullable,
    )
}

pub(crate) fn provenance_fields() -> [ArrowField; 2] {
    [
        ArrowField::new("source_key", DataType::Utf8, false),
        ArrowField::new("source_line", DataType::Int64, false),
    ]
}

pub(crate) fn schema_of(fields: Vec<ArrowField>) -> SchemaRef {
    Arc::new(Schema::new(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shopify's `'7283462766787` is the id 7283462766787; an apostrophe before anything but
    /// digits is the id's own.
    #[test]
    fn an_ids_excel_apostrophe_is_dropped() {
        let id = |s| id_value(s).map(Cow::into_owned);
        assert_eq!(id("'7283462766787").as_deref(), Some("7283462766787"));
        assert_eq!(id("12346.0").as_deref(), Some("12346"));
        assert_eq!(id("'A-1").as_deref(), Some("'A-1"));
        assert_eq!(id("'"), Some("'".to_string()));
    }

    #[test]
    fn an_email_cell_gives_its_one_address() {
        let e = |s| email_value(s).map(Cow::into_owned);
        for (cell, address) in [
            ("Ann@X.com", "ann@x.com"),
            (" ann@x.com ", "ann@x.com"),
            ("Yas <Yas@x.com>", "yas@x.com"),
            ("<yas@x.com>", "yas@x.com"),
            ("mailto:z@x.com", "z@x.com"),
            ("MAILTO:Z@x.com", "z@x.com"),
        ] {
            assert_eq!(e(cell).as_deref(), Some(address), "{cell}");
        }
        for cell in [
            "",
            "-",
            "ann",
            "@x.com",
            "ann@",
            "a@x.com; b@x.com",
            "a@x.com,b@x.com",
            "a b@x.com",
            "a@b@x.com",
            "<a@x.com> <b@x.com>",
        ] {
            assert_eq!(e(cell), None, "{cell}");
        }
    }
}
