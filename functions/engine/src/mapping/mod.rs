//! Maps the headers of an export onto the canonical fields of a dataset.
//!
//! Exports come from shop systems and ERPs in English, German and Persian, hand-edited in Excel, so
//! the same column turns up as "Stückpreis", "Stueckpreis", "STÜCKPREIS " or "قيمت واحد" (Arabic yeh).
//! Headers are compared after `normalize_header`, against the synonym tables in `synonyms.rs`.
//! Only headers are looked at here; values are parsed by the converters.

mod synonyms;

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use crate::schema::{Dataset, Field};
use synonyms::{
    CURRENCY_SIGNS, CURRENCY_WORDS, FORM_ENTRY_MARKERS, GROUPS, Kind, SCALE_WORDS, SUBMISSION_TIMES,
    UNIT_FILLERS, UNSUBSCRIBE_TIMES,
};

/// Lowercase; strip BOM, surrounding quotes and whitespace; remove spaces, '_', '-', '.', '/', '#', '(',
/// ')', ':' and other punctuation; Persian normalisation: Arabic yeh ي and alef maksura ى → ی, Arabic
/// kaf ك → ک, remove ZWNJ U+200C and tatweel U+0640, Persian/Arabic-Indic digits → ASCII; German ß → ss,
/// and ä/ö/ü → ae/oe/ue so "Stückpreis" and "Stueckpreis" match.
///
/// Also folds other Latin accents (é → e), Arabic teh marbuta and alef/heh variants, and decomposed
/// (NFD, as written by macOS) umlauts, since all of these show up in hand-typed headers.
///
/// The ezafe written as a separate "ی" after a ZWNJ or a space ("شماره‌ی فاکتور", "شماره ی فاکتور")
/// is dropped: it only links two words ("number of invoice") and is usually left out.
pub fn normalize_header(h: &str) -> String {
    let mut out = String::with_capacity(h.len());
    let mut chars = h.chars().peekable();
    let mut prev: Option<char> = None;
    while let Some(c) = chars.next() {
        let ezafe = matches!(c, 'ی' | 'ي' | 'ى')
            && !out.is_empty()
            && prev.is_some_and(|p| p == '\u{200C}' || p.is_whitespace())
            && !chars.peek().is_some_and(|n| n.is_alphabetic());
        if !ezafe {
            push_normalized(c, &mut out);
        }
        prev = Some(c);
    }
    out
}

fn push_normalized(c: char, out: &mut String) {
    match c {
        'ي' | 'ى' => out.push('ی'),
        'ك' => out.push('ک'),
        'ة' | 'ۀ' => out.push('ه'),
        'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
        // Tatweel only stretches a word for looks; it is a letter to Unicode, so it must go explicitly.
        'ـ' => {}
        '۰'..='۹' => out.push(char::from(b'0' + (c as u32 - 0x06F0) as u8)),
        '٠'..='٩' => out.push(char::from(b'0' + (c as u32 - 0x0660) as u8)),
        // A combining diaeresis after a, o or u is a decomposed umlaut: fold it like the composed one.
        '\u{0308}' => {
            if out.ends_with(['a', 'o', 'u']) {
                out.push('e');
            }
        }
        _ => {
            for lc in c.to_lowercase() {
                match lc {
                    'ß' => out.push_str("ss"),
                    'ä' | 'æ' => out.push_str("ae"),
                    'ö' | 'œ' => out.push_str("oe"),
                    'ü' => out.push_str("ue"),
                    'à' | 'á' | 'â' | 'ã' | 'å' => out.push('a'),
                    'ç' => out.push('c'),
                    'è' | 'é' | 'ê' | 'ë' => out.push('e'),
                    'ì' | 'í' | 'î' | 'ï' => out.push('i'),
                    'ñ' => out.push('n'),
                    'ò' | 'ó' | 'ô' | 'õ' | 'ø' => out.push('o'),
                    'ù' | 'ú' | 'û' => out.push('u'),
                    'ý' | 'ÿ' => out.push('y'),
                    // Everything else that is not a letter or digit is spacing, punctuation, a BOM, a
                    // ZWNJ, a bidi mark or a diacritic: none of it tells headers apart.
                    _ if lc.is_alphanumeric() => out.push(lc),
                    _ => {}
                }
            }
        }
    }
}

// -------------------------------------------------------------------------------------------------
// Overrides

/// A user-supplied override (JSON file passed with --mapping): source header (as written, matched
/// after normalize_header) → canonical field name (`Field::name()`) or "ignore"; and, for activity
/// exports that list one kind of event without saying so, the event type of every row.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct MappingOverride {
    pub columns: BTreeMap<String, String>,
    /// Activity: a canonical event type (`crate::schema::EVENT_TYPES`) given to every row of the
    /// file, whatever an event column says. Ignored by the other datasets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
}

const IGNORE: &str = "ignore";
/// The mapping file's target for a consent column in the opposite sense ("Email Opt Out"): it
/// feeds `marketing_consent`, a yes there a refusal.
pub const OPT_OUT_TARGET: &str = "marketing_opt_out";

impl MappingOverride {
    /// Accepts `{"columns": {"Header": "field"}, "event_type": "unsubscribe"}` (either key may be
    /// left out) and, because people write it that way, the bare `{"Header": "field"}`, where
    /// `"event_type": "<an event type>"` is the constant event type too (no field is named like an
    /// event type). Field names and event types are checked here so that a typo fails the run up
    /// front instead of silently leaving a column unmapped.
    pub fn from_json(s: &str) -> Result<Self, MappingError> {
        let bad = |m: String| MappingError::BadOverride(m);
        let value: serde_json::Value =
            serde_json::from_str(s).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        let top = value.as_object().ok_or_else(|| {
            bad(r#"expected a JSON object such as {"columns": {"Rechnungsdatum": "order_date"}}"#.into())
        })?;
        let constant = |v: &serde_json::Value| -> Result<String, MappingError> {
            v.as_str()
                .and_then(canonical_event_type)
                .map(str::to_string)
                .ok_or_else(|| {
                    bad(format!(
                        "\"event_type\": expected one of {}, got {v}",
                        crate::schema::EVENT_TYPES.join(", ")
                    ))
                })
        };
        let mut event_type = None;
        let (columns, bare) = match top.get("columns").and_then(|c| c.as_object()) {
            Some(columns) => {
                if let Some(k) = top.keys().find(|k| !is_override_key(k)) {
                    return Err(bad(format!(
                        "unknown key \"{k}\" (expected only \"columns\" and \"event_type\")"
                    )));
                }
                if let Some(v) = top.get("event_type") {
                    event_type = Some(constant(v)?);
                }
                (columns, false)
            }
            None => (top, true),
        };
        let mut out = BTreeMap::new();
        let mut seen: HashMap<String, (&str, &'static str)> = HashMap::new();
        for (header, target) in columns {
            // The bare form: `"event_type": "unsubscribe"` names an event type, which no field is.
            if bare
                && canonical_target(header) == Some("event_type")
                && target.as_str().and_then(canonical_event_type).is_some()
            {
                event_type = Some(constant(target)?);
                continue;
            }
            let Some(t) = target.as_str() else {
                return Err(bad(format!(
                    "column \"{header}\": expected a field name as a string, got {target}"
                )));
            };
            // `"event_type": "foo"` in the bare form meant a constant event type far more often
            // than a column named event_type: say what event types there are.
            if bare && canonical_target(header) == Some("event_type") && canonical_target(t).is_none() {
                return Err(bad(format!(
                    "\"event_type\": expected one of {}, got {target}",
                    crate::schema::EVENT_TYPES.join(", ")
                )));
            }
            let canonical = canonical_target(t).ok_or_else(|| {
                bad(format!(
                    "column \"{header}\": unknown field \"{t}\"; expected one of {}, or \"{IGNORE}\"",
                    all_field_names()
                ))
            })?;
            // Read as consent, an opt-out column's "true" would let every person who opted out into
            // the lists: the worst misreading there is, so it is refused up front.
            if canonical == Field::MarketingConsent.name()
                && [Dataset::Customers, Dataset::Sales]
                    .iter()
                    .any(|&d| candidate(header, d, Layout::Other).is_some_and(|c| c.kind == Kind::OptOut))
            {
                return Err(bad(format!(
                    "column \"{header}\" is an opt-out (a yes there is a refusal): map it to \
                     \"{OPT_OUT_TARGET}\", not \"{canonical}\""
                )));
            }
            if let Some((first, first_target)) = seen.insert(normalize_header(header), (header, canonical))
                && first_target != canonical
            {
                return Err(bad(format!(
                    "columns \"{first}\" and \"{header}\" are the same header but are mapped to \
                     \"{first_target}\" and \"{canonical}\""
                )));
            }
            out.insert(header.clone(), canonical.to_string());
        }
        Ok(MappingOverride {
            columns: out,
            event_type,
        })
    }
}

/// Top-level keys of the `{"columns": …}` form; keys starting with '$' or '_' are left for
/// "$schema" and "_comment".
fn is_override_key(k: &str) -> bool {
    k == "columns" || k == "event_type" || k.starts_with(['$', '_'])
}

/// "Form Submit", "form-submit" and "FORM_SUBMIT" are `form_submit`, as for field names.
fn canonical_event_type(t: &str) -> Option<&'static str> {
    let t = t.trim().to_lowercase().replace([' ', '-'], "_");
    crate::schema::EVENT_TYPES.into_iter().find(|e| *e == t)
}

/// "Order Date", "order-date" and "ORDER_DATE" all mean `order_date`: being strict about the spelling
/// of a field name would only produce errors, not catch mistakes.
fn canonical_target(t: &str) -> Option<&'static str> {
    let t = t.trim().to_lowercase().replace([' ', '-'], "_");
    if t == IGNORE {
        return Some(IGNORE);
    }
    if t == OPT_OUT_TARGET {
        return Some(OPT_OUT_TARGET);
    }
    Field::from_name(&t).map(Field::name)
}

fn all_field_names() -> String {
    crate::schema::ALL_FIELDS
        .iter()
        .map(|f| f.name())
        .chain([OPT_OUT_TARGET])
        .collect::<Vec<_>>()
        .join(", ")
}

// -------------------------------------------------------------------------------------------------
// Mapping

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ColumnMapping {
    /// One entry per source column: the field it feeds, if any.
    pub columns: Vec<Option<Field>>,
    /// Source headers that feed nothing (listed in the ingest report), in source order. Headers are
    /// trimmed of whitespace, BOM and quotes; an empty header is listed as "(column N)", 1-based, so
    /// the report still says which column was dropped.
    pub unmapped: Vec<String>,
    /// Per source column: a currency implied by the header itself, e.g. "Price (€)" → Some("EUR"),
    /// "مبلغ (تومان)" → Some("IRT"), "قیمت (ریال)" → Some("IRR"), "Amount USD" → Some("USD").
    pub currency_hints: Vec<Option<&'static str>>,
    /// Per source column: the offset the header says its times are in, whatever zone the shop's
    /// other exports are in: UTC ("Created date (UTC)", Stripe's; "Time UTC", "Order Date GMT") or
    /// another ("Order Time (UTC+01:00)", "Date (GMT+3:30)"). See [`header_offset`].
    #[serde(skip)]
    pub zone_hints: Vec<Option<chrono::FixedOffset>>,
    /// Fields the mapping file assigns to more than one column present in this file, as
    /// "\"A\" and \"B\" → order_date". Such a file is rejected: which column is meant is a guess.
    pub override_conflicts: Vec<String>,
    /// Activity: the event type of every row, when the file says it other than in an event
    /// column (see [`implied_event`]).
    pub implied_event: Option<ImpliedEvent>,
    /// Sales: the platform layout the header shows, for the rows and values it reads its own way.
    pub layout: Layout,
    /// Sales: columns the layout reads beyond the canonical fields.
    pub layout_columns: LayoutColumns,
    /// The customer id column is one that names the customer ("Customer Name", «نام مشتری»)
    /// by a synonym, not an id: its values are keyed as names (see
    /// [`crate::ingest::convert::customer_key`]). A mapping file's `customer_id` is an id.
    #[serde(skip)]
    pub customer_named: bool,
    /// Activity: the event column is a message's text (see `Kind::Message`): only refusals are
    /// read from it.
    #[serde(skip)]
    pub event_from_message: bool,
    /// Activity, with `event_from_message`: a message log's direction column (`Direction`,
    /// «نوع»: inbound or outbound), whose outbound rows are the shop's own messages.
    #[serde(skip)]
    pub message_direction: Option<usize>,
    /// Sales: the file's only date is a return's ("Return Date", «تاریخ برگشت»): every line is
    /// a return, as in an upload named as returns.
    #[serde(skip)]
    pub returns_by_header: bool,
    /// Customers and sales: consent columns beyond the one mapped to `marketing_consent`
    /// (Shopify's "Accepts SMS Marketing" beside "Accepts Email Marketing", an opt-out beside a
    /// consent column). One refusal among them refuses (the converters' `ConsentCols`).
    pub more_consent: Vec<usize>,
    /// The consent columns (the mapped one or more) that are opt-outs ("Email Opt Out", a
    /// mapping file's `marketing_opt_out`): a yes there is a refusal.
    pub opt_out: Vec<usize>,
    /// A second phone column beside the one mapped to `phone` (a CRM's "Phone" beside its
    /// "Mobile", Shopify's "Phone" beside "Billing Phone"): a row whose mapped cell gives no
    /// number is read at this one (see [`crate::ingest::convert::KeyCols::phone_key`]). Not with
    /// a mapping file that names the phone column.
    pub alt_phone: Option<usize>,
    /// Activity: Salesforce's "Lead ID" beside the "Contact ID" mapped to `customer_id`: a row
    /// whose contact id is empty (a campaign member who is a lead) is keyed by it (see
    /// [`crate::ingest::convert::customer_key`]). Not with a mapping file that names the id
    /// column.
    pub alt_id: Option<usize>,
}

/// Columns the JSON reader gives the return lines it makes of an order's nested refunds (see
/// `ingest::source::json::refunds`): the refunded quantity and amount, each a plain number.
/// Read by these names only, never as synonyms (taken for the file's amount column, they would
/// value its sales by nothing), and their cell marks a row as such a return line.
pub const REFUND_QUANTITY: &str = "refund_line.quantity";
pub const REFUND_AMOUNT: &str = "refund_line.amount";

/// Columns a platform layout reads beyond the canonical fields (not listed as unmapped).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct LayoutColumns {
    /// [`Layout::Lightspeed`]'s "Line Type": what kind of row each is.
    pub line_type: Option<usize>,
    /// [`Layout::PayPal`]'s "To Email Address": the buyer a refund went to (the shop sent it).
    pub refund_email: Option<usize>,
    /// [`Layout::PayPal`]'s "Balance Impact": Credit, Debit or Memo.
    pub balance_impact: Option<usize>,
    /// [`Layout::QuickBooks`]' first column, of group headings and totals.
    pub group: Option<usize>,
    /// What a group heading names: the customer in Sales by Customer Detail (no customer
    /// column of its own), the product in Sales by Product/Service Detail.
    pub group_field: Option<Field>,
    /// [`Layout::Toast`]'s "Void?".
    pub void: Option<usize>,
    /// [`Layout::Etsy`]'s "Adjusted Order Total", filled when the order was refunded, and its
    /// "Order Total", which a partial refund leaves the adjusted total below.
    pub adjusted_total: Option<usize>,
    pub order_total: Option<usize>,
    /// [`Layout::Etsy`]'s "Sales Tax", which the adjusted total may leave out.
    pub sales_tax: Option<usize>,
    /// [`Layout::ShopifyBulk`]'s `id` and `__parentId`.
    pub object_id: Option<usize>,
    pub parent_id: Option<usize>,
    /// [`Layout::ShopifyBulk`]'s (and Shopify's GraphQL orders') `customer.email`, for an order
    /// without its own `email`.
    pub alt_email: Option<usize>,
    /// [`Layout::ShopifyBulk`]'s other unit price field (`originalUnitPrice` beside
    /// `originalUnitPriceSet.shopMoney.amount`), for a line without the one read.
    pub alt_price: Option<usize>,
    /// [`Layout::Ebay`]'s "Total Price", for a line without its "Sold For"; in JSON orders whose
    /// items give their own `total` (read as `item.total`), an order's `total`, for an order
    /// without items (its totals are stripped from its items' rows).
    pub alt_amount: Option<usize>,
    /// Any layout: a payment status beside the order status that was mapped ("وضعیت پرداخت"
    /// beside "وضعیت سفارش"), whose unpaid, failed or refunded outranks the order's.
    pub payment_status: Option<usize>,
    /// Any layout: a column naming the customer beside the id, email or phone that keys them
    /// («نام طرف حساب» beside «کد طرف حساب»), read to tell a walk-in account (see
    /// [`crate::values::text::names_walk_in`]) and, in a file keyed by phone, to key a row
    /// without one.
    pub customer_name: Option<usize>,
    /// Any layout: a fulfilment status beside the (payment) status that was mapped (Wix's and
    /// Shopify's "Fulfillment Status", «وضعیت ارسال»): an order handed over is a sale, paid or
    /// not yet.
    pub fulfillment: Option<usize>,
    /// [`Layout::Other`]: a total ("Total", "Summe", «جمع کل») and a discount column beside
    /// quantity and unit price, without a line amount. Where a row's total is its quantity ×
    /// price less its discount, the total is the line's value after its discount (else it may
    /// be the order's, repeated on its lines, and is not read).
    pub line_total: Option<usize>,
    /// Without a total, the discount column is taken off quantity × price: a percent of it where
    /// [`LayoutColumns::discount_percent`] or the cell says so ("10%", or a workbook cell
    /// formatted as a percentage, read as "10%"), else an amount off the line.
    pub line_discount: Option<usize>,
    /// The discount column's header names a percent ("Discount %", "Rabatt (%)", «درصد تخفیف»):
    /// its numbers are percents (10 is 10 %).
    pub discount_percent: bool,
    /// The line amount read is the line's value before its discount («مبلغ کل», «قیمت کل» of
    /// Iranian invoices, beside «تخفیف»), and [`LayoutColumns::line_discount`] comes off it on
    /// each row whose amount is its quantity × price.
    pub amount_before_discount: bool,
    /// [`Layout::Shopify`]'s "Lineitem discount" (an Admin API item's `total_discount`): the
    /// line's discount, which its quantity × price does not yet take off.
    pub item_discount: Option<usize>,
    /// Any layout: [`REFUND_QUANTITY`] and [`REFUND_AMOUNT`], of the return lines made of JSON
    /// orders' nested refunds.
    pub refund_quantity: Option<usize>,
    pub refund_amount: Option<usize>,
}

impl LayoutColumns {
    /// The columns of money the converter reads besides the price and the amount.
    pub fn money(&self) -> [Option<usize>; 8] {
        [
            self.line_total,
            self.line_discount,
            self.item_discount,
            self.order_total,
            self.adjusted_total,
            self.sales_tax,
            self.alt_price,
            self.alt_amount,
        ]
    }

    fn find(layout: Layout, headers: &[String], columns: &[Option<Field>]) -> LayoutColumns {
        let at = |key: &str| headers.iter().position(|h| normalize_header(h) == key);
        // A second status column, read beside the one mapped.
        let beside_status = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| at(k))
                .filter(|&i| columns[i].is_none() && columns.contains(&Some(Field::Status)))
        };
        let payment_status = beside_status(&[
            "paymentstatus",
            "financialstatus",
            "zahlungsstatus",
            "وضعیتپرداخت",
        ]);
        let fulfillment = beside_status(&[
            "fulfillmentstatus",
            "fulfilmentstatus",
            "shippingstatus",
            "deliverystatus",
            "versandstatus",
            "lieferstatus",
            "وضعیتارسال",
            "وضعیتتحویل",
        ]);
        let keyed = [Field::CustomerId, Field::Email, Field::Phone].map(|f| columns.contains(&Some(f)));
        let customer_name = (0..headers.len()).find(|&i| {
            columns[i].is_none()
                && keyed.contains(&true)
                && candidate(&headers[i], Dataset::Sales, layout)
                    .is_some_and(|c| c.field == Field::CustomerId && c.kind == Kind::NameLike)
        });
        let of_layout = match layout {
            Layout::Lightspeed => LayoutColumns {
                line_type: at("linetype"),
                ..LayoutColumns::default()
            },
            Layout::PayPal => LayoutColumns {
                refund_email: at("toemailaddress"),
                balance_impact: at("balanceimpact"),
                ..LayoutColumns::default()
            },
            Layout::Toast => LayoutColumns {
                void: at("void"),
                ..LayoutColumns::default()
            },
            Layout::Ebay => LayoutColumns {
                alt_amount: at("totalprice").filter(|&i| columns[i].is_none()),
                ..LayoutColumns::default()
            },
            Layout::Etsy => LayoutColumns {
                adjusted_total: at("adjustedordertotal"),
                order_total: at("ordertotal").filter(|&i| columns[i].is_none()),
                sales_tax: at("salestax").filter(|&i| columns[i].is_none()),
                ..LayoutColumns::default()
            },
            Layout::ShopifyBulk => LayoutColumns {
                object_id: at("id"),
                parent_id: at("parentid"),
                alt_email: at("customeremail").filter(|&i| columns[i].is_none()),
                alt_price: [at("originalunitprice"), at("originalunitpricesetshopmoneyamount")]
                    .into_iter()
                    .flatten()
                    .find(|&i| columns[i].is_none()),
                ..LayoutColumns::default()
            },
            Layout::Shopify => LayoutColumns {
                item_discount: at("lineitemdiscount")
                    .or_else(|| at("totaldiscount"))
                    .filter(|&i| columns[i].is_none()),
                // GraphQL orders are keyed by email as the bulk export's are: the customer's
                // where the order gives none of its own.
                alt_email: at("customeremail")
                    .filter(|&i| columns[i].is_none() && shopify_graphql(layout, headers)),
                ..LayoutColumns::default()
            },
            Layout::QuickBooks => LayoutColumns {
                group: Some(0),
                group_field: if !columns.contains(&Some(Field::CustomerId))
                    && !columns.contains(&Some(Field::Email))
                {
                    Some(Field::CustomerId)
                } else if !columns.contains(&Some(Field::ProductName)) {
                    Some(Field::ProductName)
                } else {
                    None
                },
                ..LayoutColumns::default()
            },
            Layout::Other => LayoutColumns {
                alt_amount: columns
                    .iter()
                    .position(|c| *c == Some(Field::LineAmount))
                    .filter(|&i| headers[i] == "item.total")
                    .and_then(|_| headers.iter().position(|h| h == "total"))
                    .filter(|&i| columns[i].is_none()),
                ..LayoutColumns::default()
            },
            _ => LayoutColumns::default(),
        };
        let has = |f: Field| columns.contains(&Some(f));
        // Iranian invoices give «مبلغ کل» (or a bare «مبلغ») before the discount (the
        // after-discount headers, «مبلغ خالص», «خالص», are read first when the file has them).
        // The discount comes off only on rows where the amount is quantity × price.
        let amount_before_discount = columns
            .iter()
            .position(|c| *c == Some(Field::LineAmount))
            .is_some_and(|i| matches!(unnoted(&headers[i]).as_str(), "مبلغکل" | "قیمتکل" | "مبلغ"));
        let line_discount = (0..headers.len())
            .find(|&i| columns[i].is_none() && names_discount(&headers[i]))
            .filter(|_| {
                layout == Layout::Other
                    && has(Field::Quantity)
                    && has(Field::UnitPrice)
                    && (!has(Field::LineAmount) || amount_before_discount)
            });
        // The most specific total, as `best` picks among synonyms.
        let line_total = line_discount.and_then(|_| {
            (0..headers.len())
                .filter(|&i| columns[i].is_none())
                .filter_map(|i| {
                    let c = candidate(&headers[i], Dataset::Sales, layout)?;
                    (c.field == Field::LineAmount && c.kind == Kind::OrderTotal)
                        .then_some((c.rank, c.form, i))
                })
                .min()
                .map(|(.., i)| i)
        });
        let exactly = |name: &str| headers.iter().position(|h| h == name);
        LayoutColumns {
            payment_status,
            customer_name,
            fulfillment,
            refund_quantity: exactly(REFUND_QUANTITY),
            refund_amount: exactly(REFUND_AMOUNT),
            line_total,
            line_discount,
            discount_percent: line_discount.is_some_and(|i| names_percent(&headers[i])),
            amount_before_discount: amount_before_discount && line_discount.is_some(),
            ..of_layout
        }
    }

    fn contains(&self, i: usize) -> bool {
        // Destructured, not read field by field: a column added to the struct and forgotten
        // here would be listed as unmapped, and the compiler now says so.
        let LayoutColumns {
            line_type,
            refund_email,
            balance_impact,
            group,
            group_field: _,
            void,
            adjusted_total,
            order_total,
            sales_tax,
            object_id,
            parent_id,
            alt_email,
            alt_price,
            alt_amount,
            payment_status,
            fulfillment,
            line_total,
            line_discount,
            item_discount,
            refund_quantity,
            refund_amount,
            discount_percent: _,
            amount_before_discount: _,
            // Feeds no field: still listed as unmapped.
            customer_name: _,
        } = *self;
        [
            line_type,
            refund_email,
            balance_impact,
            group,
            void,
            adjusted_total,
            order_total,
            sales_tax,
            object_id,
            parent_id,
            alt_email,
            alt_price,
            alt_amount,
            payment_status,
            fulfillment,
            line_total,
            line_discount,
            item_discount,
            refund_quantity,
            refund_amount,
        ]
        .contains(&Some(i))
    }
}

/// The offset a header says its times are in: UTC for "Created date (UTC)", "Time UTC", "Order
/// Date GMT"; +01:00 for "Order Time (UTC+01:00)", −05:00 for "Date (GMT-5)". None for "UTC
/// Offset", "(not UTC)", "(UTC converted to EST)" and headers naming no zone.
pub fn header_offset(header: &str) -> Option<chrono::FixedOffset> {
    let h = header.to_ascii_lowercase().replace('\u{2212}', "-");
    if h.contains("not ") || h.contains("convert") {
        return None;
    }
    ["utc", "gmt"].iter().find_map(|zone| {
        h.match_indices(zone).find_map(|(at, _)| {
            let rest = h[at + zone.len()..].trim_start();
            if h[..at].ends_with(|c: char| c.is_ascii_alphanumeric())
                || rest.starts_with(|c: char| c.is_ascii_alphanumeric())
            {
                return None;
            }
            if !rest.starts_with(['+', '-']) {
                return chrono::FixedOffset::east_opt(0);
            }
            let offset: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ':'))
                .collect();
            match crate::values::date::row_zone(&offset)? {
                crate::values::date::RowZone::Offset(o) => Some(o),
                crate::values::date::RowZone::Named(_) => None,
            }
        })
    })
}

/// The one event type of every row of an activity export, and what says so.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImpliedEvent {
    pub event_type: &'static str,
    /// The header that implies it ("UNSUB_TIME", "Entry Date", "your-email"), or "mapping file".
    pub from: String,
}

impl ColumnMapping {
    pub fn column_of(&self, f: Field) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(f))
    }

    /// (field, source header) pairs in source order, for the report.
    pub fn used(&self, headers: &[String]) -> Vec<(Field, String)> {
        self.columns
            .iter()
            .zip(headers)
            .enumerate()
            .filter_map(|(i, (f, h))| f.map(|f| (f, display_header(h, i))))
            .collect()
    }
}

/// Headers that say only "number": a phone in a hand-kept list (`نام,شماره`), an invoice's or
/// an order's number elsewhere, so no synonym of either. The values tell which (see
/// `ingest::convert::phone_by_values`).
pub(crate) const BARE_NUMBER: [&str; 4] = ["شماره", "number", "no", "nr"];

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MappingError {
    #[error("mapping file: {0}")]
    BadOverride(String),
    /// A clear, human message: which required fields are missing, e.g. "no column for the order date
    /// (looked for: InvoiceDate, Order Date, Created at, تاریخ, …); headers found: a, b, c".
    /// `missing` holds the requirements by field name, e.g. "order_date", "customer_id, email or phone".
    #[error("{message}")]
    MissingRequired {
        dataset: Dataset,
        missing: Vec<String>,
        message: String,
    },
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    field: Field,
    kind: Kind,
    /// Position among the synonyms of `field`: lower is more specific.
    rank: u16,
}

type Table = HashMap<String, Entry>;

/// Builds one dataset's lookup table and reports entries that normalise to a key already taken.
fn build_table(dataset: Dataset) -> (Table, Vec<String>) {
    let mut table = Table::new();
    let mut problems = Vec::new();
    let mut next_rank: HashMap<Field, u16> = HashMap::new();
    for group in GROUPS {
        if !dataset.fields().contains(&group.field) || group.only.is_some_and(|d| d != dataset) {
            continue;
        }
        for word in group.words {
            let rank = next_rank.entry(group.field).or_default();
            let entry = Entry {
                field: group.field,
                kind: group.kind,
                rank: *rank,
            };
            *rank += 1;
            let key = normalize_header(word);
            if key.is_empty() {
                problems.push(format!("{word:?} normalises to nothing"));
            } else if let Some(prev) = table.get(&key) {
                problems.push(format!(
                    "{word:?} ({}) normalises to {key:?}, already taken by {}",
                    group.field.name(),
                    prev.field.name()
                ));
            } else {
                table.insert(key, entry);
            }
        }
    }
    (table, problems)
}

static TABLES: LazyLock<[Table; 3]> = LazyLock::new(|| Dataset::ALL.map(|d| build_table(d).0));

fn table(dataset: Dataset) -> &'static Table {
    let i = Dataset::ALL.iter().position(|d| *d == dataset).unwrap_or(0);
    &TABLES[i]
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    field: Field,
    kind: Kind,
    rank: u16,
    /// Which form of the header matched (see `header_forms`): an exact match beats one that needed a
    /// unit cut off.
    form: usize,
}

/// Exports whose own names, rows or values mean something else than the synonym tables and the
/// usual one-row-per-line reading say. Told from the header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    #[default]
    Other,
    /// Shopify's orders export names the order number "Name" (it holds "#1001") and prefixes
    /// line fields with "Lineitem". A bare "Name" anywhere else is a product or a person, so it
    /// is only trusted next to Shopify's line columns.
    Shopify,
    /// Amazon's order reports (`amazon-order-id`) give `item-price` for the line, quantity
    /// included, where elsewhere an item price is a unit price.
    Amazon,
    /// eBay's orders report ("Sales Record Number", "Sold For"): "Total Price" is the order's,
    /// shipping included, and an order of several items has a summary row (buyer, total, no
    /// item) followed by one row per item (item, "Sold For", no buyer).
    Ebay,
    /// Magento's order grid ("Purchase Point", "Grand Total (Base)"): "ID" is the order number,
    /// and "Closed" means refunded by a credit memo, not done.
    Magento,
    /// Odoo's exports of sale orders with their lines ("Order Lines/Product"): the order's own
    /// cells are filled on its first line only; its further lines leave them blank.
    Odoo,
    /// Lightspeed Retail (X-Series) sales ("Line Type" beside "Receipt Number"): a "Sale" row
    /// (customer, status, total) is followed by its "Sale Line" rows (products) and "Payment"
    /// rows (tenders). Only the sale lines are lines.
    Lightspeed,
    /// PayPal's activity download ("Gross", "Fee", "Net", "Balance"): every movement of the
    /// account. Payments received are sales, refunds and reversals returns (to the "To Email
    /// Address"), withdrawals, conversions, holds and fees no sales.
    #[serde(rename = "paypal")]
    PayPal,
    /// QuickBooks' detail reports ("Sales by Customer Detail": a blank first header, "Transaction
    /// Type", "Num"): the first column holds group rows, the customer's name above its lines and
    /// "Total for …" below them; "Num" is the invoice number.
    #[serde(rename = "quickbooks")]
    QuickBooks,
    /// Toast's item selection details ("Item Selection Id", "Menu Item"): "Net Price" is the
    /// line's, after its discount; "Void?" True is a voided item.
    Toast,
    /// Shopify's bulk operation output (JSON Lines with `__parentId`): an order object is
    /// followed by its line item objects, which name the order only by its `id`.
    ShopifyBulk,
    /// Stripe's balance history ("Type", "Fee", "Net", "Available On (UTC)"): every movement of
    /// the balance. Charges are sales, refunds returns; payouts, fees, adjustments and transfers
    /// move money only.
    #[serde(rename = "stripe_balance")]
    StripeBalance,
    /// Etsy's Sold Orders file ("Number of Items", "Order Value", "Adjusted Order Total"): an
    /// order's "Order Value" is its items' worth, as its Sold Order Items file gives it; "Order
    /// Total" adds shipping and tax.
    Etsy,
    /// Sage 50's day books and audit trail ("A/C", "N/C", "Inv Ref", "Net Amnt"): "Type" is a
    /// transaction code (SI invoice, SC credit note, SR/SA receipts and payments on account).
    Sage,
    /// Xero's invoices export ("ContactName", "InvoiceNumber", "UnitAmount"): "Type" says
    /// "Sales invoice" or "Sales credit note", and the customer is the contact's name.
    Xero,
}

impl Layout {
    /// How `a/b/yy` dates read when the column gives no evidence: month first for platforms that
    /// write US dates whatever the shop's country (Toast, QuickBooks, PayPal's US download).
    pub fn date_order(self) -> crate::values::DateOrder {
        match self {
            Layout::Toast | Layout::QuickBooks | Layout::PayPal => crate::values::DateOrder::MonthFirst,
            _ => crate::values::DateOrder::Auto,
        }
    }
}

/// Shopify's GraphQL orders read page by page (not a bulk export): the [`Layout::Shopify`] of
/// GraphQL's own fields, money as `…Set.shopMoney.amount` or the `displayFinancialStatus`.
fn shopify_graphql(layout: Layout, headers: &[String]) -> bool {
    layout == Layout::Shopify
        && headers.iter().any(|h| {
            let h = h.trim();
            h.ends_with("Set.shopMoney.amount") || h == "displayFinancialStatus"
        })
}

fn layout(headers: impl IntoIterator<Item = impl AsRef<str>>) -> Layout {
    let raw: Vec<String> = headers
        .into_iter()
        .map(|h| h.as_ref().trim().to_string())
        .collect();
    let keys: Vec<String> = raw.iter().map(|h| normalize_header(h)).collect();
    let has = |k: &str| keys.iter().any(|h| h == k);
    // Exactly Shopify's key: WooCommerce's orders have a "parent_id" too.
    if raw.iter().any(|h| h == "__parentId") && has("id") {
        Layout::ShopifyBulk
    } else if ["lineitemname", "lineitemquantity", "lineitemprice", "lineitemsku"]
        .iter()
        .any(|k| has(k))
    {
        // Shopify's own CSV columns: a JSON order's `line_items` array (WooCommerce's REST API)
        // normalises alike, and its "name" is no order number.
        Layout::Shopify
    } else if has("name") && has("ordernumber") && has("financialstatus") {
        // Shopify's Admin API orders: the CSV export and the bulk JSONL key an order by its
        // `name` ("#1001"), so the same orders uploaded as JSON must too, or they count twice.
        Layout::Shopify
    } else if has("name") && raw.iter().any(|h| h.ends_with("Set.shopMoney.amount")) {
        // Shopify's GraphQL orders (money as `…Set.shopMoney.amount`): keyed by `name` too.
        Layout::Shopify
    } else if has("amazonorderid") {
        Layout::Amazon
    } else if has("salesrecordnumber") && has("soldfor") {
        Layout::Ebay
    } else if has("purchasepoint") || has("grandtotalpurchased") {
        Layout::Magento
    } else if keys.iter().any(|h| h.starts_with("orderlines")) && has("orderreference") {
        Layout::Odoo
    } else if has("linetype") && has("receiptnumber") && (has("register") || has("paid")) {
        Layout::Lightspeed
    } else if has("gross") && has("fee") && has("net") && has("balance") && has("type") {
        Layout::PayPal
    } else if keys.first().is_some_and(String::is_empty) && has("transactiontype") && has("num") {
        Layout::QuickBooks
    } else if has("itemselectionid") && has("menuitem") {
        Layout::Toast
    } else if has("type") && has("fee") && has("net") && (has("availableonutc") || has("availableon")) {
        Layout::StripeBalance
    } else if has("numberofitems") && has("ordervalue") && has("adjustedordertotal") {
        Layout::Etsy
    } else if has("ac") && has("nc") && (has("invref") || has("netamnt")) {
        Layout::Sage
    } else if has("contactname") && has("invoicenumber") {
        Layout::Xero
    } else {
        Layout::Other
    }
}

/// Sales: the field a header names by the synonym tables alone, before any layout is known (a
/// JSON order's fields, read before its rows are).
pub fn sales_field(header: &str) -> Option<Field> {
    candidate(header, Dataset::Sales, Layout::Other).map(|c| c.field)
}

/// A column whose meaning the layout fixes, whatever the synonym tables say of its header.
fn layout_field(layout: Layout, header: &str, key: &str) -> Option<(Field, Kind)> {
    Some(match (layout, key) {
        (Layout::Shopify, "name") => (Field::OrderId, Kind::Plain),
        (Layout::Amazon, "itemprice") => (Field::LineAmount, Kind::Plain),
        (Layout::Ebay, "soldfor") => (Field::UnitPrice, Kind::Plain),
        (Layout::Ebay, "buyerusername") => (Field::CustomerId, Kind::Plain),
        // The seller's own SKU; "Item Number" is the listing's.
        (Layout::Ebay, "customlabel") => (Field::ProductId, Kind::Plain),
        // The product on a sale line (the tender on a payment row).
        (Layout::Lightspeed, "details") => (Field::ProductName, Kind::Plain),
        (Layout::PayPal, "type") => (Field::DocumentType, Kind::Plain),
        (Layout::PayPal, "gross") => (Field::LineAmount, Kind::Plain),
        (Layout::PayPal, "fromemailaddress") => (Field::Email, Kind::Plain),
        (Layout::QuickBooks, "num") => (Field::OrderId, Kind::Plain),
        (Layout::QuickBooks, "productservice") => (Field::ProductName, Kind::Plain),
        (Layout::Toast, "netprice") => (Field::LineAmount, Kind::Plain),
        (Layout::Toast, "menuitem") => (Field::ProductName, Kind::Plain),
        (Layout::ShopifyBulk, "name") => (Field::OrderId, Kind::Plain),
        (Layout::ShopifyBulk, "title") => (Field::ProductName, Kind::Plain),
        (
            Layout::ShopifyBulk,
            "originalunitprice"
            | "discountedunitprice"
            | "originalunitpricesetshopmoneyamount"
            | "discountedunitpricesetshopmoneyamount",
        ) => (Field::UnitPrice, Kind::Plain),
        // Shopify's GraphQL orders, bulk or paged, give the order's financial status here.
        (Layout::ShopifyBulk | Layout::Shopify, "displayfinancialstatus") => (Field::Status, Kind::Plain),
        (Layout::Etsy, "ordervalue") => (Field::LineAmount, Kind::Plain),
        (Layout::StripeBalance, "type") => (Field::DocumentType, Kind::Plain),
        // The charge, refund or payout the movement belongs to ("ch_…"), not a sales channel.
        (Layout::StripeBalance, "source") => (Field::OrderId, Kind::Plain),
        (Layout::Sage, "ac" | "acref") => (Field::CustomerId, Kind::Plain),
        (Layout::Sage, "invref" | "ref") => (Field::OrderId, Kind::Plain),
        (Layout::Sage, "type") => (Field::DocumentType, Kind::Plain),
        (Layout::Sage, "details") => (Field::ProductName, Kind::Plain),
        (Layout::Xero, "type") => (Field::DocumentType, Kind::Plain),
        (Layout::Xero, "contactname") => (Field::CustomerId, Kind::NameLike),
        (Layout::Xero, "unitamount") => (Field::UnitPrice, Kind::Plain),
        // VAT included, as a shop's own prices are.
        (Layout::Sage, "grossamnt" | "grossamount") => (Field::LineAmount, Kind::Plain),
        // Shipping included: the order's, only read when nothing line-level is.
        (Layout::Ebay, "totalprice") => (Field::LineAmount, Kind::OrderTotal),
        (Layout::Magento, "id") => (Field::OrderId, Kind::Plain),
        // "Order Lines/Subtotal" is the line's; "Order Lines/Product" its product, and so on.
        (Layout::Odoo, _) => {
            let (parent, child) = header.rsplit_once('/')?;
            if !normalize_header(parent).starts_with("orderline") {
                return None;
            }
            match normalize_header(child).as_str() {
                "subtotal" | "subtotalwithouttax" | "total" => (Field::LineAmount, Kind::Plain),
                "product" | "description" => (Field::ProductName, Kind::Plain),
                "quantity" => (Field::Quantity, Kind::Plain),
                "unitprice" => (Field::UnitPrice, Kind::Plain),
                _ => return None,
            }
        }
        _ => return None,
    })
}

fn candidate(header: &str, dataset: Dataset, layout: Layout) -> Option<Candidate> {
    let table = table(dataset);
    let forms = header_forms(header);
    let found = forms.iter().enumerate().find_map(|(form, key)| {
        let special = layout_field(layout, header, key);
        if let Some((field, kind)) = special.filter(|_| dataset == Dataset::Sales) {
            return Some(Candidate {
                field,
                kind,
                rank: 0,
                form,
            });
        }
        table.get(key).map(|e| Candidate {
            field: e.field,
            kind: e.kind,
            rank: e.rank,
            form,
        })
    });
    found.or_else(|| {
        // Customer lists only: a sales export's columns about messages are the order's.
        let kind = (dataset == Dataset::Customers)
            .then(|| consent_by_words(header))
            .flatten()?;
        Some(Candidate {
            field: Field::MarketingConsent,
            kind,
            // After every listed header of consent.
            rank: u16::MAX,
            form: forms.len(),
        })
    })
}

/// A header no synonym lists that still names a marketing consent by its words: what is sent
/// (SMS, a newsletter, promotions) and a word of wanting it («اشتراک خبرنامه», «تمایل به دریافت
/// پیامک», «دریافت اس ام اس», "SMS marketing permission"): a consent column, or an opt-out one
/// where a negation stands in it («عدم ...», "Do not send SMS"). Missed, such a column let every
/// refusal in it onto the lists; read, its values count only where they are a plain yes or no
/// (see `crate::ingest::convert::ConsentCols`), so a column misread here refuses no one. Not a
/// header of a date, a count, a source or a reason («تاریخ ارسال پیامک», "SMS Consent Method"),
/// nor one naming both answers ("Opt-in/Opt-out").
fn consent_by_words(header: &str) -> Option<Kind> {
    // Words, not substrings: «روش» (method) stands inside «فروشگاه», «زمان» inside «سازمان».
    let words = header_words(header);
    let h = words.concat();
    let is = |ws: &[&str]| words.iter().any(|w| ws.iter().any(|x| normalize_header(x) == *w));
    let starts = |ws: &[&str]| any_starts(&words, ws);
    let sent = is(&[
        "sms",
        "text",
        "newsletter",
        "newsletters",
        "marketing",
        "promotional",
        "promotions",
    ]) || starts(&["پیامک", "خبرنامه", "تبلیغ", "بازاریابی"])
        || h.contains(&normalize_header("اس ام اس"));
    let wanted = is(&[
        "consent",
        "optin",
        "permission",
        "permissions",
        "subscribed",
        "subscribe",
        "subscriber",
        "subscription",
        "accept",
        "accepts",
        "accepted",
        "agree",
        "agreed",
        "allow",
        "allowed",
        "wants",
    ]) || h.contains("optin")
        || starts(&[
            "اشتراک",
            "عضویت",
            "تمایل",
            "مایل",
            "اجازه",
            "رضایت",
            "موافقت",
            "دریافت",
        ]);
    let negated = is(&[
        "not",
        "dont",
        "unsubscribe",
        "unsubscribed",
        "optout",
        "out",
        "revoked",
        "withdrawn",
        "cancelled",
        "canceled",
        "declined",
        "removed",
    ]) || h.contains("donot")
        || h.contains("optout")
        || starts(&["عدم", "لغو", "انصراف", "مخالفت", "نمیخواهد"]);
    let not_a_flag = not_a_flag(&words);
    // "Opt-in/Opt-out", «دریافت یا عدم دریافت»: which answer a yes gives, the header cannot say. A
    // bracket's "(Y/N)" only lists the answers.
    let unbracketed = strip_brackets(header);
    let alternatives = unbracketed.contains('/') || is(&["or", "یا"]);
    let both = negated && wanted && alternatives;
    match (sent && !not_a_flag && !both, negated, wanted) {
        (true, true, _) => Some(Kind::OptOut),
        (true, false, true) => Some(Kind::Plain),
        _ => None,
    }
}

/// A header's words, normalised, split at spaces and ZWNJs.
fn header_words(header: &str) -> Vec<String> {
    tokens(header)
        .flat_map(|t| t.split('\u{200c}'))
        .map(normalize_header)
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether a word starts with one of `prefixes` (normalised).
fn any_starts(words: &[String], prefixes: &[&str]) -> bool {
    words
        .iter()
        .any(|w| prefixes.iter().any(|x| w.starts_with(&normalize_header(x))))
}

/// A header's words (normalised) name a date, a count, a source, a reason, an id or the like of
/// something, not a yes or no: «تاریخ ارسال پیامک», "SMS Consent Method", "Opted Out At".
fn not_a_flag(words: &[String]) -> bool {
    let is = |ws: &[&str]| words.iter().any(|w| ws.iter().any(|x| normalize_header(x) == *w));
    let last = words.last().map(String::as_str);
    is(&[
        "date",
        "time",
        "count",
        "number",
        "cost",
        "fee",
        "source",
        "method",
        "level",
        "link",
        "url",
        "reason",
        "type",
        "id",
        "template",
        "campaign",
        "collected",
        "تاریخ",
        "زمان",
        "ساعت",
        "تعداد",
        "شماره",
        "متن",
        "هزینه",
        "لینک",
        "دلیل",
        "منبع",
        "روش",
    ]) || matches!(last, Some("at" | "on"))
}

/// Whether a header no rule reads may hold marketing consent or its refusal ("Email Status",
/// "Communication preference: none", "GDPR", «رضایت مشتری»): a word of consent, subscription,
/// permission or refusal, and none of a date, source or reason. Such a column left unread lets
/// the refusals in it onto the lists, so the report warns about it.
pub fn may_be_consent(header: &str) -> bool {
    let words = header_words(header);
    let h = words.concat();
    let starts = |ws: &[&str]| any_starts(&words, ws);
    // Words that say consent or its refusal whatever else the header says.
    let consent = starts(&[
        "consent",
        "optin",
        "optout",
        "opted",
        "unsubscri",
        "gdpr",
        "dsgvo",
        "dnc",
        "blocklist",
        "blacklist",
        "einwilligung",
        "werbung",
        "werbe",
        "abmeld",
        "abgemeldet",
        "consentement",
        "desabonn",
        "désabonn",
        "desinscri",
        "désinscri",
        "robinson",
        "رضایت",
        "انصراف",
        // A subscription, a newsletter, a suppression: but not a subscription's plan or
        // interval, a newsletter's topic (below).
        "subscri",
        "newsletter",
        "suppress",
        "خبرنامه",
    ]) || h.contains("optin")
        || h.contains("optout")
        || h.contains("donot")
        || words == ["permission"]
        // A permission or preference only of what is sent ("Communication preference", "SMS
        // permission"; not a "Delivery Preference", an app's "Permissions").
        || (starts(&["permission", "preference"])
            && starts(&["email", "mail", "sms", "text", "marketing", "newsletter", "communication", "promo", "خبرنامه", "پیامک", "تبلیغ"]))
        // "Email Status: unsubscribed", a bare "Marketing": yes or no to what is sent.
        || (starts(&["email", "mail", "sms"]) && words.iter().any(|w| w == "status"))
        || words == ["marketing"];
    let about_something_else = words.iter().any(|w| {
        [
            "topic",
            "plan",
            "interval",
            "frequency",
            "size",
            "delivery",
            "shipping",
            "language",
            "format",
        ]
        .contains(&w.as_str())
    });
    consent && !about_something_else && !not_a_flag(&words)
}

/// Whether a consent header is read by its words (see [`consent_by_words`]), not a synonym, or
/// is one of [`synonyms::LENIENT_CONSENT_HEADERS`] or [`synonyms::LENIENT_OPT_OUT_HEADERS`]:
/// only a plain answer in it counts.
pub fn consent_by_words_only(header: &str) -> bool {
    candidate(header, Dataset::Customers, Layout::Other)
        .is_some_and(|c| c.field == Field::MarketingConsent && c.rank == u16::MAX)
        || synonyms::LENIENT_CONSENT_HEADERS
            .iter()
            .chain(synonyms::LENIENT_OPT_OUT_HEADERS)
            .any(|l| normalize_header(l) == normalize_header(header))
}

/// The normalised keys a header is looked up under, most literal first.
fn header_forms(h: &str) -> Vec<String> {
    fn push(forms: &mut Vec<String>, key: String) {
        if !key.is_empty() && !forms.contains(&key) {
            forms.push(key);
        }
    }
    let mut forms = Vec::with_capacity(4);
    // '#' reads "number" ("Order #", "Item #"); normalising it away would turn "Item #" into "Item".
    if h.contains('#') {
        push(&mut forms, normalize_header(&h.replace('#', " number ")));
    }
    push(&mut forms, normalize_header(h));
    // A unit or qualifier in brackets: "Price (€)", "مبلغ (تومان)", "Email (Billing)".
    push(&mut forms, normalize_header(&strip_brackets(h)));
    // A unit written as a word: "Amount USD", "Betrag in EUR", "مبلغ به تومان".
    if let Some(rest) = without_currency(h) {
        push(&mut forms, normalize_header(&rest));
    }
    // Shopify's GraphQL writes money as a bag in two currencies: `originalUnitPriceSet.shopMoney.
    // amount` is the shop's `originalUnitPrice`, and its `currencyCode` that amount's currency.
    if let Some(bag) = h.strip_suffix(".shopMoney.amount") {
        let field = bag.rsplit('.').next().unwrap_or(bag);
        push(
            &mut forms,
            normalize_header(field.strip_suffix("Set").unwrap_or(field)),
        );
    } else if h.ends_with("Set.shopMoney.currencyCode") {
        push(&mut forms, normalize_header("Currency Code"));
    }
    // A GA4 BigQuery export's event parameter ("event_params.page_location"): its own name.
    if let Some(param) = h.strip_prefix("event_params.") {
        push(&mut forms, normalize_header(param));
    }
    // A nested JSON field ("order.customer.id"): its last two keys, and those two the other way
    // round, which is how Persian says it ("مشتری.کد" is the "کد مشتری", the customer's code).
    if !h.contains(' ')
        && let Some((parent, key)) = h.rsplit_once('.')
    {
        let parent = parent.rsplit('.').next().unwrap_or(parent);
        if !parent.is_empty() && !key.is_empty() {
            push(&mut forms, normalize_header(&format!("{parent} {key}")));
            push(&mut forms, normalize_header(&format!("{key} {parent}")));
        }
    }
    forms
}

fn is_open(c: char) -> bool {
    matches!(c, '(' | '[' | '{' | '（' | '［')
}

fn is_close(c: char) -> bool {
    matches!(c, ')' | ']' | '}' | '）' | '］')
}

/// Drops bracketed parts; an unclosed bracket runs to the end ("Price (EUR").
fn strip_brackets(h: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::with_capacity(h.len());
    for c in h.chars() {
        if is_open(c) {
            depth += 1;
        } else if is_close(c) {
            depth = depth.saturating_sub(1);
        } else if depth == 0 {
            out.push(c);
        }
    }
    out
}

/// Splits at spacing and punctuation but not inside words (ZWNJ and combining marks stay in).
fn tokens(h: &str) -> impl Iterator<Item = &str> {
    h.split(|c: char| c.is_whitespace() || c.is_ascii_punctuation() || is_open(c) || is_close(c))
        .filter(|t| !t.is_empty())
}

fn currency_word(token: &str) -> Option<&'static str> {
    let n = normalize_header(token);
    CURRENCY_WORDS
        .iter()
        .find(|(w, _)| *w == n)
        .map(|(_, code)| *code)
}

/// The header with currency words, and the fillers they leave behind at the end, removed; `None` when
/// there was no currency word.
fn without_currency(h: &str) -> Option<String> {
    let all: Vec<&str> = tokens(h).collect();
    let mut kept: Vec<&str> = all
        .iter()
        .copied()
        .filter(|t| currency_word(t).is_none())
        .collect();
    if kept.len() == all.len() {
        return None;
    }
    while kept
        .last()
        .is_some_and(|t| UNIT_FILLERS.contains(&normalize_header(t).as_str()))
    {
        kept.pop();
    }
    Some(kept.join(" "))
}

/// The currency a header names, by ISO code: "Price (€)" → EUR, "مبلغ (تومان)" → IRT (the toman,
/// 10 rials, which Iranian shops price in), "قیمت (ریال)" → IRR, "Amount USD" → USD.
pub fn currency_hint(header: &str) -> Option<&'static str> {
    currency_word_hint(header).or_else(|| {
        header.char_indices().find_map(|(i, c)| {
            // A dollar written with its country's letters ("Total (R$)", "A$", "CA$") is that
            // dollar, or none the reader knows: not US dollars.
            if c == '$' {
                let letters: String = header[..i]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if !letters.is_empty() {
                    return match letters.to_ascii_uppercase().as_str() {
                        "US" => Some("USD"),
                        "R" => Some("BRL"),
                        "A" | "AU" => Some("AUD"),
                        "C" | "CA" => Some("CAD"),
                        "NZ" => Some("NZD"),
                        "HK" => Some("HKD"),
                        "S" => Some("SGD"),
                        "MX" => Some("MXN"),
                        _ => None,
                    };
                }
            }
            CURRENCY_SIGNS
                .iter()
                .find(|(s, _)| *s == c)
                .map(|(_, code)| *code)
        })
    })
}

/// The currency a word of `text` names ("Amount USD", "تومان ایران", "IRHT"), ignoring signs: a
/// "$" alone does not tell "R$" or "A$" from US dollars.
pub fn currency_word_hint(text: &str) -> Option<&'static str> {
    tokens(text).find_map(currency_word)
}

/// The currency a report's title rows give all its amounts in ("از تاریخ … مبالغ به ریال",
/// "(ارقام به تومان)", "واحد پول: ریال", "All amounts in EUR"), when they name exactly one.
/// Iranian accounting programs state the rial or toman there only, and the two differ tenfold.
pub fn title_currency<'a>(cells: impl Iterator<Item = &'a str>) -> Option<&'static str> {
    let mut found = None;
    for cell in cells {
        let lower = cell.to_lowercase();
        let says_unit = [
            "مبالغ",
            "ارقام",
            "واحد پول",
            "مبلغ به",
            "amounts in",
            "currency:",
            "montants en",
            "beträge in",
        ]
        .iter()
        .any(|w| lower.contains(w));
        let Some(code) = says_unit.then(|| currency_word_hint(cell)).flatten() else {
            continue;
        };
        // "مبالغ به هزار ریال": thousands, which a unit without its multiplier would misread.
        if tokens(cell).any(|t| {
            let n = normalize_header(t);
            SCALE_WORDS.iter().any(|(w, _)| *w == n)
        }) {
            return None;
        }
        if found.is_some_and(|f| f != code) {
            return None;
        }
        found = Some(code);
    }
    found
}

/// Whether a sales header names an amount or a price ("Total", "Unit Price", «مبلغ», "Summe"),
/// mapped or not: such a column's numbers are written as the file's money is.
pub fn names_money(header: &str) -> bool {
    candidate(header, Dataset::Sales, Layout::Other)
        .is_some_and(|c| matches!(c.field, Field::LineAmount | Field::UnitPrice))
}

/// Whether a header names when someone unsubscribed (`UNSUB_TIME`, "Opt-out Date", «تاریخ لغو
/// عضویت»): as a consent column, any time in it is a refusal.
pub fn names_unsubscribe_time(header: &str) -> bool {
    header_forms(header)
        .iter()
        .any(|k| UNSUBSCRIBE_TIMES.iter().any(|w| normalize_header(w) == *k))
}

/// A multiplier a header puts on its amounts: "مبلغ (هزار تومان)" → 1000, "Umsatz (Mio. EUR)" →
/// 1000000. Only counted next to a currency, so "Thousand Island Dressing" is not scaled.
pub fn amount_scale_hint(header: &str) -> Option<u32> {
    currency_hint(header)?;
    tokens(header).find_map(|t| {
        let n = normalize_header(t);
        SCALE_WORDS.iter().find(|(w, _)| *w == n).map(|(_, s)| *s)
    })
}

/// The header as it should appear in reports and messages.
fn display_header(h: &str, index: usize) -> String {
    let t = h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '"' || c == '\'');
    if t.is_empty() {
        format!("(column {})", index + 1)
    } else {
        t.to_string()
    }
}

/// Map source headers onto the dataset's canonical fields. Each field is fed by at most one column:
/// when several headers match the same field, the best (most specific) synonym wins and the others
/// are unmapped. An override entry always wins over synonyms. Only fields in `dataset.fields()` are
/// used.
///
/// Choices beyond that:
/// - An override naming a field this dataset does not have leaves the column unmapped (the user said
///   what it is, so no synonym guess is made for it). Entries whose target is not a field name or
///   "ignore" (possible only when the struct is built by hand) are disregarded.
/// - A plain "Date" feeds the order date in sales and the event time in activity, but nothing in
///   customers: a customer list's bare "Date" is as often the last change or last order as the
///   sign-up, and a wrong sign-up date skews tenure for every customer.
/// - Name-like customer columns ("Customer", "Kunde", "مشتری") feed the customer id only when there
///   is no id and no email column.
/// - Order totals ("Total", "Subtotal", "Gesamtbetrag", "جمع کل") feed the line amount only when there
///   is no line amount and not both quantity and unit price.
/// - A lone time column ("Order Time", "زمان سفارش") with no date column becomes the order date: on
///   its own it holds the full timestamp.
pub fn map_headers(headers: &[String], dataset: Dataset, over: Option<&MappingOverride>) -> ColumnMapping {
    let allowed = dataset.fields();
    let n = headers.len();
    let mut columns: Vec<Option<Field>> = vec![None; n];
    let mut settled = vec![false; n];

    let mut override_conflicts = Vec::new();
    let mut more_consent = Vec::new();
    let mut opt_out = Vec::new();
    if let Some(over) = over {
        let targets: HashMap<String, &'static str> = over
            .columns
            .iter()
            .filter_map(|(k, v)| Some((normalize_header(k), canonical_target(v)?)))
            .collect();
        for (i, h) in headers.iter().enumerate() {
            let Some(target) = targets.get(&normalize_header(h)) else {
                continue;
            };
            settled[i] = true;
            let inverted = *target == OPT_OUT_TARGET;
            let field = if inverted {
                Some(Field::MarketingConsent)
            } else {
                Field::from_name(target)
            };
            // Activity has no consent field of its own, but a consent column there refuses as
            // elsewhere (see below): a mapping file may name one.
            if dataset == Dataset::Activity && field == Some(Field::MarketingConsent) {
                if inverted {
                    opt_out.push(i);
                }
                more_consent.push(i);
                continue;
            }
            if let Some(f) = field
                && allowed.contains(&f)
            {
                if f == Field::MarketingConsent && inverted {
                    opt_out.push(i);
                }
                match columns.iter().position(|c| *c == Some(f)) {
                    None => columns[i] = Some(f),
                    // Every consent column is read: which one is meant is no guess.
                    Some(_) if f == Field::MarketingConsent => more_consent.push(i),
                    Some(first) => override_conflicts.push(format!(
                        "\"{}\" and \"{}\" → {}",
                        display_header(&headers[first], first),
                        display_header(h, i),
                        f.name()
                    )),
                }
            }
        }
    }

    let layout = layout(headers);
    let cands: Vec<Option<Candidate>> = headers
        .iter()
        .zip(&settled)
        .map(|(h, settled)| {
            if *settled {
                None
            } else {
                candidate(h, dataset, layout)
            }
        })
        .collect();
    let best = |field: Field, kinds: &[Kind]| {
        cands
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (i, c)))
            .filter(|(_, c)| c.field == field && kinds.contains(&c.kind))
            .min_by_key(|(i, c)| (c.rank, c.form, *i))
    };

    let mut from_synonym: Vec<Option<Kind>> = vec![None; n];
    for &field in allowed {
        if columns.contains(&Some(field)) {
            continue;
        }
        if let Some((i, c)) = best(field, &[Kind::Plain, Kind::NameLike, Kind::OptOut]) {
            columns[i] = Some(field);
            from_synonym[i] = Some(c.kind);
        }
    }

    let has = |columns: &[Option<Field>], f: Field| columns.contains(&Some(f));
    // Shopify's GraphQL orders, bulk or paged, name a customer by a gid only when the order has
    // an account, and Shopify's CSV export of the same orders gives no customer id at all: the
    // email keys every buyer alike, whichever of the three exports the orders come in (a
    // mapping file that names the customer id column still wins).
    if (layout == Layout::ShopifyBulk || shopify_graphql(layout, headers))
        && dataset == Dataset::Sales
        && has(&columns, Field::Email)
        && let Some(i) = columns.iter().position(|c| *c == Some(Field::CustomerId))
        && !settled[i]
    {
        columns[i] = None;
    }
    // A name keys the customer only without an email or a phone: two «علی احمدی» are two
    // people, and their addresses or mobiles tell them apart.
    if (has(&columns, Field::Email) || has(&columns, Field::Phone))
        && let Some(i) = columns.iter().position(|c| *c == Some(Field::CustomerId))
        && from_synonym[i] == Some(Kind::NameLike)
    {
        columns[i] = None;
    }
    let customer_named = columns
        .iter()
        .zip(&from_synonym)
        .any(|(c, k)| *c == Some(Field::CustomerId) && *k == Some(Kind::NameLike));
    // Dynamics' "Amount (LCY)" and SAP Business One's "Total (LC)" are in the shop's own
    // currency, whatever the document's currency column says (blank there means that own
    // currency): in one unit, they are what was sold. The document currency is not theirs.
    let given = |f: Field| (0..n).any(|i| settled[i] && columns[i] == Some(f));
    if dataset == Dataset::Sales
        && !given(Field::LineAmount)
        && !given(Field::Currency)
        && let Some(i) = (0..n)
            .filter(|&i| !settled[i] && in_local_currency(&headers[i]))
            .filter_map(|i| {
                cands[i]
                    .filter(|c| c.field == Field::LineAmount)
                    .map(|c| (c.rank, c.form, i))
            })
            .min()
            .map(|(.., i)| i)
    {
        for (c, k) in columns.iter_mut().zip(from_synonym.iter_mut()) {
            if matches!(*c, Some(Field::LineAmount | Field::Currency)) {
                (*c, *k) = (None, None);
            }
        }
        columns[i] = Some(Field::LineAmount);
        from_synonym[i] = cands[i].map(|c| c.kind);
    }
    // A returns list (Shopify's or WooCommerce's refunds report, a «برگشت از فروش» list) dates
    // its lines by the return and values them by the refund. Beside an order date, the same
    // headers are an order's refund column, which its status already tells: left unmapped.
    let returns_by_header = allowed.contains(&Field::OrderDate)
        && !has(&columns, Field::OrderDate)
        && best(Field::OrderDate, &[Kind::ReturnOnly]).is_some();
    if returns_by_header {
        for field in [Field::OrderDate, Field::Quantity, Field::LineAmount] {
            if !has(&columns, field)
                && let Some((i, c)) = best(field, &[Kind::ReturnOnly])
            {
                columns[i] = Some(field);
                from_synonym[i] = Some(c.kind);
            }
        }
    }
    if allowed.contains(&Field::LineAmount)
        && !has(&columns, Field::LineAmount)
        && !(has(&columns, Field::Quantity) && has(&columns, Field::UnitPrice))
        && let Some((i, _)) = best(Field::LineAmount, &[Kind::OrderTotal])
    {
        columns[i] = Some(Field::LineAmount);
    }
    // An invoice list, one row per invoice (Hesabfa's), gives a bare amount («مبلغ») before the
    // discount beside the total after it («جمع کل»): what was sold is the total.
    let bare_amount = |h: &str| matches!(unnoted(h).as_str(), "مبلغ" | "amount" | "betrag" | "montant");
    if let Some(a) = columns.iter().position(|c| *c == Some(Field::LineAmount))
        && from_synonym[a].is_some()
        && bare_amount(&headers[a])
        && ![Field::Quantity, Field::UnitPrice, Field::ProductId]
            .iter()
            .any(|&f| has(&columns, f))
        // A bare description («شرح») is the invoice's, not a product's.
        && columns
            .iter()
            .position(|c| *c == Some(Field::ProductName))
            .is_none_or(|p| {
                matches!(
                    unnoted(&headers[p]).as_str(),
                    "شرح" | "توضیحات" | "description" | "memo" | "beschreibung"
                )
            })
        && headers.iter().any(|h| names_discount(h))
        && let Some((i, _)) = best(Field::LineAmount, &[Kind::OrderTotal])
        && columns[i].is_none()
    {
        columns[a] = None;
        columns[i] = Some(Field::LineAmount);
    }
    // A message log's bare "Type" (Incoming/Outgoing) is its direction, not its events:
    // Salesforce's "Type" names events where no message and sender columns stand beside it.
    if let Some(t) = columns.iter().position(|c| *c == Some(Field::EventType))
        && from_synonym[t].is_some()
        && normalize_header(&headers[t]) == "type"
        && best(Field::EventType, &[Kind::Message]).is_some_and(|(i, _)| columns[i].is_none())
        && headers.iter().any(|h| {
            matches!(
                normalize_header(h).as_str(),
                "from" | "sender" | "فرستنده" | "ارسالکننده" | "ازشماره"
            )
        })
    {
        columns[t] = None;
    }
    // Salesforce's campaign members (`CampaignMember.Status`: "Sent", "Responded", "Attended")
    // give what each member did under a bare "Status" when exported by API or a report. Only in
    // such an export — a campaign column beside a lead or contact id — is it the event: elsewhere
    // a status is an order's, a ticket's or a subscription's.
    if dataset == Dataset::Activity
        && !has(&columns, Field::EventType)
        && is_campaign_member_export(headers)
        && let Some(i) =
            (0..n).find(|&i| !settled[i] && columns[i].is_none() && normalize_header(&headers[i]) == "status")
    {
        columns[i] = Some(Field::EventType);
    }
    // Not where the file says its events otherwise: a contact form's entries with a "Message"
    // field are form submissions.
    let event_from_message = allowed.contains(&Field::EventType)
        && !has(&columns, Field::EventType)
        && implied_event(headers, &columns, over).is_none()
        && match best(Field::EventType, &[Kind::Message]) {
            Some((i, _)) if columns[i].is_none() => {
                columns[i] = Some(Field::EventType);
                true
            }
            _ => false,
        };
    // A messaging service's log (Twilio's `From,To,Body,…,Direction`) gives the texts both ways:
    // a received message's sender is the contact, a sent one's the shop. Only the contact's
    // messages are read.
    let message_direction = (0..n)
        .find(|&i| {
            columns[i].is_none()
                && matches!(
                    normalize_header(&headers[i]).as_str(),
                    "direction"
                        | "type"
                        | "نوع"
                        | "جهت"
                        | "نوعپیام"
                        | "نوعپیامک"
                        | "جهتپیام"
                        | "messagedirection"
                        | "messagetype"
                )
        })
        .filter(|_| event_from_message);
    if event_from_message
        && ![Field::CustomerId, Field::Email, Field::Phone]
            .iter()
            .any(|&f| has(&columns, f))
        && let Some(i) = (0..n).find(|&i| columns[i].is_none() && normalize_header(&headers[i]) == "from")
    {
        columns[i] = Some(Field::Phone);
    }
    if allowed.contains(&Field::OrderDate)
        && !has(&columns, Field::OrderDate)
        && let Some(i) = columns.iter().position(|c| *c == Some(Field::OrderTime))
        && from_synonym[i].is_some()
    {
        columns[i] = Some(Field::OrderDate);
    }
    // A bare "Title" in an activity export is the person's job title only in a list of people
    // (Salesforce campaign members: campaign, name and company columns, no page). In an event log
    // it is what was viewed or downloaded ("The CEO guide" would weigh the download ×2).
    let of_people = headers.iter().any(|h| {
        let h = h.to_lowercase().replace(['_', '-'], " ");
        matches!(
            h.trim(),
            "campaign name"
                | "campaign"
                | "first name"
                | "firstname"
                | "last name"
                | "lastname"
                | "company"
                | "company name"
                | "account name"
        )
    });
    if dataset == Dataset::Activity
        && of_people
        && !has(&columns, Field::JobTitle)
        && !has(&columns, Field::Page)
        && let Some(i) =
            (0..n).find(|&i| !settled[i] && columns[i].is_none() && normalize_header(&headers[i]) == "title")
    {
        columns[i] = Some(Field::JobTitle);
    }

    // A file may give consent in several columns (email and SMS, a consent and an opt-out): a
    // refusal in any of them must count, so all are read, not only the best.
    if allowed.contains(&Field::MarketingConsent) {
        for (i, c) in cands.iter().enumerate() {
            let Some(c) = c.filter(|c| c.field == Field::MarketingConsent) else {
                continue;
            };
            if c.kind == Kind::OptOut {
                opt_out.push(i);
            }
            if columns[i].is_none() && matches!(c.kind, Kind::Plain | Kind::OptOut) {
                more_consent.push(i);
            }
        }
        if !has(&columns, Field::MarketingConsent) {
            more_consent.clear();
        }
    }
    // An activity export may carry its contacts' consent beside their events (Salesforce's
    // campaign members with "Email Opt Out", HubSpot's form submissions with "Unsubscribed from
    // all email"): the event is what happened, the column what the person said about marketing.
    // Left unread, an opted-out contact would be scored and listed. Read as a customer list
    // reads it (only refusals are kept, see `crate::ingest::convert::ConsentCols`); the event
    // time's own column ("Opt-out date" of an unsubscribes list) is already mapped.
    if dataset == Dataset::Activity {
        for (i, h) in headers.iter().enumerate() {
            if settled[i] || columns[i].is_some() || more_consent.contains(&i) {
                continue;
            }
            let Some(c) = candidate(h, Dataset::Customers, layout).filter(|c| {
                c.field == Field::MarketingConsent
                    && matches!(c.kind, Kind::Plain | Kind::OptOut)
                    && c.rank != u16::MAX
            }) else {
                continue;
            };
            if c.kind == Kind::OptOut {
                opt_out.push(i);
            }
            more_consent.push(i);
        }
    }

    // CRM exports (Salesforce's "Phone" and "Mobile", HubSpot's, Shopify's customers) give two
    // phone columns, each filled for some people only: a row without the mobile is read at the
    // other, rather than losing the person's number.
    let alt_phone = columns
        .iter()
        .position(|c| *c == Some(Field::Phone))
        .filter(|&p| from_synonym[p] == Some(Kind::Plain))
        .and_then(|_| {
            (0..n)
                .filter(|&i| columns[i].is_none())
                .filter_map(|i| {
                    cands[i]
                        .filter(|c| c.field == Field::Phone && c.kind == Kind::Plain)
                        .map(|c| (c.rank, c.form, i))
                })
                .min()
                .map(|(.., i)| i)
        });

    // Salesforce names the person of a campaign member or an activity in "Contact ID" or, for
    // a lead, "Lead ID": a lead's row, whose contact id is empty, is keyed by the lead id its
    // other exports give it, not by its email. A converted lead has both: it is the contact.
    let alt_id = columns
        .iter()
        .position(|c| *c == Some(Field::CustomerId))
        .filter(|&i| {
            dataset == Dataset::Activity
                && from_synonym[i].is_some()
                && normalize_header(&headers[i]) == "contactid"
        })
        .and_then(|_| {
            (0..n).find(|&i| !settled[i] && columns[i].is_none() && normalize_header(&headers[i]) == "leadid")
        });

    // The cells of a row that is not a header at all are data: not repeated in the report.
    let recognised = columns.iter().any(Option::is_some) || header_row_recognised(headers);
    let layout_columns = if dataset == Dataset::Sales {
        LayoutColumns::find(layout, headers, &columns)
    } else {
        LayoutColumns::default()
    };
    let unmapped = headers
        .iter()
        .zip(&columns)
        .enumerate()
        .filter(|(i, (_, f))| {
            recognised
                && f.is_none()
                && !layout_columns.contains(*i)
                && message_direction != Some(*i)
                && !more_consent.contains(i)
                && alt_phone != Some(*i)
                && alt_id != Some(*i)
        })
        .map(|(i, (h, _))| shown_header(h, i))
        .collect();
    let currency_hints = headers.iter().map(|h| currency_hint(h)).collect();
    let zone_hints = headers.iter().map(|h| header_offset(h)).collect();
    let implied_event = if dataset == Dataset::Activity {
        implied_event(headers, &columns, over)
    } else {
        None
    };
    ColumnMapping {
        columns,
        unmapped,
        currency_hints,
        zone_hints,
        override_conflicts,
        implied_event,
        layout: if dataset == Dataset::Sales {
            layout
        } else {
            Layout::Other
        },
        layout_columns,
        customer_named,
        returns_by_header,
        event_from_message,
        message_direction,
        more_consent,
        opt_out,
        alt_phone,
        alt_id,
    }
}

/// A campaign-member export (Salesforce's campaign members, by report or API): a campaign column
/// beside a lead or contact id.
fn is_campaign_member_export(headers: &[String]) -> bool {
    let any = |keys: &[&str]| {
        headers
            .iter()
            .any(|h| keys.contains(&normalize_header(h).as_str()))
    };
    any(&["campaign", "campaignname", "campaignid"]) && any(&["leadid", "contactid", "leadorcontactid"])
}

/// A Google Analytics 4 event export (BigQuery's `events_*` tables, or a download of one): an
/// `event_name` column beside GA4's own `event_timestamp`, `event_date` or `user_pseudo_id`. Its
/// automatic `click` event is an outbound-link click on the site, no email engagement.
pub fn is_ga4_export(headers: &[String]) -> bool {
    let any = |keys: &[&str]| {
        headers
            .iter()
            .any(|h| keys.contains(&h.trim().to_lowercase().as_str()))
    };
    any(&["event_name"]) && any(&["event_timestamp", "event_date", "user_pseudo_id"])
}

/// An amount header noted as in the local currency: "Amount (LCY)", "Line Amount (LCY)",
/// "Total (LC)".
fn in_local_currency(h: &str) -> bool {
    let upper = h.trim().to_ascii_uppercase();
    ["(LCY)", "(LC)", " LCY"].iter().any(|note| upper.ends_with(note))
}

/// A header compared without a unit note: «مبلغ (ریال)», "Discount (EUR)".
fn unnoted(h: &str) -> String {
    normalize_header(h.split(['(', '[']).next().unwrap_or(h))
}

/// A discount column's header («تخفیف», "Discount", "Rabatt"), or one of its percent ("Discount
/// %", "% Discount", "Discount (%)", "Rabatt %", «تخفیف (%)», «درصد تخفیف», "Discount Percent").
pub(crate) fn names_discount(h: &str) -> bool {
    let bare = unnoted(&h.replace(['%', '٪'], ""));
    matches!(
        bare.as_str(),
        "تخفیف" | "مبلغتخفیف" | "discount" | "discountamount" | "rabatt" | "remise"
    ) || names_percent(h)
        && matches!(
            bare.trim_end_matches("percent")
                .trim_end_matches("pct")
                .trim_start_matches("درصد")
                .trim_end_matches("درصد"),
            "تخفیف" | "discount" | "rabatt" | "remise"
        )
}

/// A header naming a percent: with `%` or the word ("Discount Percent", «درصد تخفیف»).
fn names_percent(h: &str) -> bool {
    let n = normalize_header(h);
    h.contains(['%', '٪']) || n.ends_with("percent") || n.ends_with("pct") || n.contains("درصد")
}

/// The event type of every row of an activity export that has no event-type column but says what
/// its rows are: the mapping file's `event_type` (only for a file without an event column); else an
/// event time whose header names the event (`UNSUB_TIME`, "Unsubscribed At", «تاریخ لغو عضویت»:
/// an unsubscribe; "Entry Date", "Submitted At": a form submission); else, with any event time,
/// a column only form-entry exports have (Contact Form 7's `your-email`, Gravity Forms' "Entry
/// Id"): a form submission.
fn implied_event(
    headers: &[String],
    columns: &[Option<Field>],
    over: Option<&MappingOverride>,
) -> Option<ImpliedEvent> {
    // A file with an event column says its events itself: a mapping file's type is for exports
    // without one (one `--mapping` may be given for a whole folder, and an "Unsubscribed" row
    // read as a form submission would put a refusal on the lists).
    if columns.contains(&Some(Field::EventType)) {
        return None;
    }
    if let Some(t) = over
        .and_then(|o| o.event_type.as_deref())
        .and_then(canonical_event_type)
    {
        return Some(ImpliedEvent {
            event_type: t,
            from: "mapping file".into(),
        });
    }
    let time = columns.iter().position(|c| *c == Some(Field::EventTime))?;
    let named = |words: &[&str], h: &str| {
        header_forms(h)
            .iter()
            .any(|k| words.iter().any(|w| normalize_header(w) == *k))
    };
    let implied = |event_type: &'static str, i: usize| ImpliedEvent {
        event_type,
        from: display_header(&headers[i], i),
    };
    if named(UNSUBSCRIBE_TIMES, &headers[time]) {
        return Some(implied("unsubscribe", time));
    }
    if named(SUBMISSION_TIMES, &headers[time]) {
        return Some(implied("form_submit", time));
    }
    headers
        .iter()
        .position(|h| named(FORM_ENTRY_MARKERS, h))
        .map(|i| implied("form_submit", i))
}

// -------------------------------------------------------------------------------------------------
// Required fields

/// How many headers are listed in an error message before the rest is summarised as a count.
const MAX_LISTED_HEADERS: usize = 40;

/// Required fields: Sales needs OrderDate and either LineAmount or both Quantity and UnitPrice
/// (Quantity alone with LineAmount is fine; a LineAmount alone means quantity 1); Customers needs
/// CustomerId or Email; Activity needs (CustomerId or Email), EventType and EventTime.
pub fn check_required(
    dataset: Dataset,
    mapping: &ColumnMapping,
    headers: &[String],
) -> Result<(), MappingError> {
    use synonyms::examples as ex;
    if !mapping.override_conflicts.is_empty() {
        return Err(MappingError::BadOverride(format!(
            "it maps more than one column of this file to one field ({}); a field takes one column, so map the others to \"ignore\"",
            mapping.override_conflicts.join(", ")
        )));
    }
    let col = |f: Field| mapping.column_of(f);
    let header_of = |i: usize| headers.get(i).map(|h| display_header(h, i)).unwrap_or_default();
    let mut missing: Vec<String> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut need = |missing_name: &str, reason: String| {
        missing.push(missing_name.to_string());
        reasons.push(reason);
    };

    match dataset {
        Dataset::Sales => {
            if col(Field::OrderDate).is_none() {
                need(
                    "order_date",
                    format!(
                        "no column for the order date (looked for: {})",
                        looked_for(&[ex::ORDER_DATE])
                    ),
                );
            }
            match (
                col(Field::LineAmount),
                col(Field::Quantity),
                col(Field::UnitPrice),
            ) {
                (Some(_), _, _) | (None, Some(_), Some(_)) => {}
                (None, Some(q), None) => need(
                    "unit_price or line_amount",
                    format!(
                        "a quantity column (\"{}\") but no unit price or line amount (looked for: {})",
                        header_of(q),
                        looked_for(&[ex::UNIT_PRICE, ex::LINE_AMOUNT])
                    ),
                ),
                (None, None, Some(p)) => need(
                    "quantity or line_amount",
                    format!(
                        "a unit price column (\"{}\") but no quantity or line amount (looked for: {}); \
                         if every row is a single item, map that column to line_amount in a mapping file",
                        header_of(p),
                        looked_for(&[ex::QUANTITY, ex::LINE_AMOUNT])
                    ),
                ),
                (None, None, None) => need(
                    "line_amount or quantity and unit_price",
                    format!(
                        "no column for the line amount, nor for quantity and unit price (looked for: {})",
                        looked_for(&[ex::LINE_AMOUNT, ex::QUANTITY, ex::UNIT_PRICE])
                    ),
                ),
            }
        }
        Dataset::Customers | Dataset::Activity => {
            if col(Field::CustomerId).is_none() && col(Field::Email).is_none() && col(Field::Phone).is_none()
            {
                need(
                    "customer_id, email or phone",
                    format!(
                        "no column identifying the customer (looked for: {})",
                        looked_for(&[ex::CUSTOMER_ID, ex::EMAIL, ex::PHONE])
                    ),
                );
            }
            if dataset == Dataset::Activity {
                if col(Field::EventType).is_none() && mapping.implied_event.is_none() {
                    need(
                        "event_type",
                        format!(
                            "no column for the event type (looked for: {}); when every row is one kind \
                             of event, name it in a mapping file: {{\"event_type\": \"form_submit\"}}",
                            looked_for(&[ex::EVENT_TYPE])
                        ),
                    );
                }
                if col(Field::EventTime).is_none() {
                    need(
                        "event_time",
                        format!(
                            "no column for the event time (looked for: {})",
                            looked_for(&[ex::EVENT_TIME])
                        ),
                    );
                }
            }
        }
    }

    if missing.is_empty() {
        return Ok(());
    }
    let message = format!("{}; headers found: {}", reasons.join("; "), list_headers(headers));
    Err(MappingError::MissingRequired {
        dataset,
        missing,
        message,
    })
}

/// "A, B, …; C, D, …": examples per alternative, each marked as incomplete.
fn looked_for(alternatives: &[&[&str]]) -> String {
    alternatives
        .iter()
        .map(|words| format!("{}, …", words.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether the row holds known column names of a dataset (two, or its one cell). Messages and
/// reports must never carry customer data, and a row without them may well be data (an export
/// without a header row): its cells are then not repeated anywhere.
pub fn header_row_recognised(headers: &[String]) -> bool {
    let cells: Vec<&str> = headers.iter().map(String::as_str).collect();
    // Two known names, since one value may happen to be a word like "Date" or "Email".
    let needed = cells.len().min(2);
    Dataset::ALL
        .into_iter()
        .any(|d| header_score(&cells, d) >= needed.max(1))
}

/// A header as shown in messages and reports; one that looks like a value (an email, mostly
/// digits) is replaced by its position.
pub fn shown_header(h: &str, index: usize) -> String {
    let digits = h.chars().filter(|c| c.is_numeric()).count();
    let letters = h.chars().filter(|c| c.is_alphabetic()).count();
    if h.contains('@') || digits > letters {
        format!("(column {}, a value)", index + 1)
    } else {
        display_header(h, index)
    }
}

/// The headers, for an error message (see [`header_row_recognised`]).
pub fn list_headers(headers: &[String]) -> String {
    if !header_row_recognised(headers) {
        // Known column names are shown (they are words of the synonym tables, not data), the
        // other cells never.
        let layout = layout(headers);
        let known: Vec<String> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| Dataset::ALL.iter().any(|d| candidate(h, *d, layout).is_some()))
            .map(|(i, h)| format!("\"{}\"", shown_header(h, i)))
            .collect();
        let columns = match headers.len() {
            1 => "1 column".to_string(),
            n => format!("{n} columns"),
        };
        let others = headers.len() - known.len();
        let others = if others == 1 {
            "the other is".to_string()
        } else {
            format!("the other {others} are")
        };
        return match known.as_slice() {
            [] => format!(
                "{columns}, none of them a known column name (their contents are not shown: the first row may be data)"
            ),
            [one] => format!(
                "{columns}, of which only {one} is a known column name ({others} not shown: the first row may be data)"
            ),
            [init @ .., last] => format!(
                "{columns}, of which only {} and {last} are known column names ({others} not shown: the first row may be data)",
                init.join(", ")
            ),
        };
    }
    let shown: Vec<String> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| shown_header(h, i))
        .take(MAX_LISTED_HEADERS)
        .collect();
    let mut s = shown.join(", ");
    if headers.len() > MAX_LISTED_HEADERS {
        s.push_str(&format!(", … ({} more)", headers.len() - MAX_LISTED_HEADERS));
    }
    s
}

/// How many cells of a row are known header synonyms for this dataset (used to tell a header row from
/// a data row and to guess which dataset a file is).
pub fn header_score(cells: &[&str], dataset: Dataset) -> usize {
    let layout = layout(cells);
    cells
        .iter()
        .filter(|c| candidate(c, dataset, layout).is_some())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Field::*;

    /// The columns of JSON orders' return lines feed no field, whatever synonyms come to
    /// match, and are read by the sales converter, so not listed as unmapped.
    #[test]
    fn refund_line_columns_are_read_by_their_names_only() {
        let headers = strings(&[
            "number",
            "date_created",
            "customer_id",
            "quantity",
            "price",
            REFUND_QUANTITY,
            REFUND_AMOUNT,
        ]);
        let m = map_headers(&headers, Dataset::Sales, None);
        assert_eq!(m.columns[5..], [None, None]);
        assert_eq!(m.column_of(LineAmount), None);
        assert!(m.unmapped.is_empty(), "{:?}", m.unmapped);
        let extra = m.layout_columns;
        assert_eq!((extra.refund_quantity, extra.refund_amount), (Some(5), Some(6)));
    }

    fn strings(headers: &[&str]) -> Vec<String> {
        headers.iter().map(|h| h.to_string()).collect()
    }

    /// Asserts the complete mapping of a header row: every column and what it feeds.
    #[track_caller]
    fn check(dataset: Dataset, expected: &[(&str, Option<Field>)]) -> ColumnMapping {
        check_with(dataset, None, expected)
    }

    #[track_caller]
    fn check_with(
        dataset: Dataset,
        over: Option<&MappingOverride>,
        expected: &[(&str, Option<Field>)],
    ) -> ColumnMapping {
        let headers: Vec<String> = expected.iter().map(|(h, _)| h.to_string()).collect();
        let m = map_headers(&headers, dataset, over);
        let got: Vec<(&str, Option<Field>)> = headers
            .iter()
            .map(String::as_str)
            .zip(m.columns.iter().copied())
            .collect();
        assert_eq!(got, expected, "mapping of {dataset:?} headers");
        // Columns the layout reads for its rules are no field's and not unmapped either.
        let unmapped: Vec<String> = expected
            .iter()
            .enumerate()
            .filter(|&(i, (_, f))| {
                f.is_none()
                    && !m.layout_columns.contains(i)
                    && !m.more_consent.contains(&i)
                    && m.alt_phone != Some(i)
                    && m.alt_id != Some(i)
            })
            .map(|(_, (h, _))| h.trim().to_string())
            .collect();
        assert_eq!(m.unmapped, unmapped);
        assert_eq!(m.currency_hints.len(), headers.len());
        m
    }

    #[track_caller]
    fn assert_complete(dataset: Dataset, m: &ColumnMapping, headers: &[(&str, Option<Field>)]) {
        let headers: Vec<String> = headers.iter().map(|(h, _)| h.to_string()).collect();
        assert_eq!(check_required(dataset, m, &headers), Ok(()));
    }

    // --- normalisation ---------------------------------------------------------------------------

    #[test]
    fn normalizes_case_spacing_and_punctuation() {
        assert_eq!(normalize_header("\u{feff}\"Customer ID\" "), "customerid");
        assert_eq!(normalize_header("customer_id"), "customerid");
        assert_eq!(normalize_header("Customer-ID"), "customerid");
        assert_eq!(normalize_header("Rechnungsnr.:"), "rechnungsnr");
        assert_eq!(normalize_header("Order #"), "order");
        assert_eq!(normalize_header("Date/Time (UTC)"), "datetimeutc");
        assert_eq!(normalize_header("  Page\u{a0}URL\t"), "pageurl");
        assert_eq!(normalize_header("'Lineitem quantity'"), "lineitemquantity");
    }

    #[test]
    fn normalizes_german_spellings() {
        assert_eq!(normalize_header("Stückpreis"), normalize_header("Stueckpreis"));
        assert_eq!(normalize_header("STÜCKPREIS"), "stueckpreis");
        assert_eq!(normalize_header("Stu\u{0308}ckpreis"), "stueckpreis");
        assert_eq!(normalize_header("Straße"), "strasse");
        assert_eq!(normalize_header("Währung"), "waehrung");
        assert_eq!(normalize_header("Größe"), "groesse");
        assert_eq!(normalize_header("Catégorie"), "categorie");
    }

    #[test]
    fn normalizes_persian_variants() {
        // Arabic yeh and kaf, as typed on Arabic keyboards or exported by older Windows software.
        assert_eq!(normalize_header("كد مشتري"), normalize_header("کد مشتری"));
        assert_eq!(normalize_header("فى"), normalize_header("فی"));
        // ZWNJ and plain space are both just word separators.
        assert_eq!(
            normalize_header("دسته\u{200c}بندی"),
            normalize_header("دسته بندی")
        );
        assert_eq!(normalize_header("دستهبندی"), normalize_header("دسته بندی"));
        assert_eq!(normalize_header("مبـــلغ"), "مبلغ");
        assert_eq!(normalize_header("قیمت ۱۲"), "قیمت12");
        assert_eq!(normalize_header("قیمت ١٢"), "قیمت12");
        // Bidi marks from right-to-left spreadsheets.
        assert_eq!(normalize_header("\u{200f}تاریخ\u{200e}"), "تاریخ");
        // The ezafe after a ZWNJ or a space links two words and is left out as often as not.
        for h in [
            "شماره\u{200c}ی فاکتور",
            "شماره ی فاکتور",
            "شماره\u{200c}ي فاکتور",
            "شماره\u{200c}ی\u{200c}فاکتور",
        ] {
            assert_eq!(normalize_header(h), normalize_header("شماره فاکتور"), "{h}");
        }
        // A yeh inside or at the start of a word stays.
        assert_eq!(normalize_header("ی شماره"), "یشماره");
        assert_eq!(normalize_header("مشتری"), "مشتری");
        assert_eq!(normalize_header("کد\u{200c}یکتا"), "کدیکتا");
    }

    // --- synonym tables --------------------------------------------------------------------------

    #[test]
    fn synonym_tables_have_no_conflicts_or_duplicates() {
        for d in Dataset::ALL {
            let (_, problems) = build_table(d);
            assert!(problems.is_empty(), "{d:?}:\n{}", problems.join("\n"));
        }
    }

    #[test]
    fn every_group_feeds_a_field_of_some_dataset() {
        for g in GROUPS {
            let datasets: Vec<Dataset> = g.only.map_or(Dataset::ALL.to_vec(), |d| vec![d]);
            assert!(
                datasets.iter().any(|d| d.fields().contains(&g.field)),
                "{:?} synonyms are used by no dataset",
                g.field
            );
        }
    }

    // --- real exports ----------------------------------------------------------------------------

    #[test]
    fn uci_online_retail() {
        let e = [
            ("InvoiceNo", Some(OrderId)),
            ("StockCode", Some(ProductId)),
            ("Description", Some(ProductName)),
            ("Quantity", Some(Quantity)),
            ("InvoiceDate", Some(OrderDate)),
            ("UnitPrice", Some(UnitPrice)),
            ("CustomerID", Some(CustomerId)),
            ("Country", Some(Country)),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
        assert!(m.currency_hints.iter().all(Option::is_none));
    }

    #[test]
    fn uci_online_retail_ii() {
        let e = [
            ("Invoice", Some(OrderId)),
            ("StockCode", Some(ProductId)),
            ("Description", Some(ProductName)),
            ("Quantity", Some(Quantity)),
            ("InvoiceDate", Some(OrderDate)),
            ("Price", Some(UnitPrice)),
            ("Customer ID", Some(CustomerId)),
            ("Country", Some(Country)),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
    }

    #[test]
    fn shopify_orders_export() {
        let e = [
            ("Name", Some(OrderId)),
            ("Email", Some(Email)),
            ("Financial Status", Some(Status)),
            ("Paid at", None),
            ("Fulfillment Status", None),
            ("Fulfilled at", None),
            ("Accepts Marketing", Some(MarketingConsent)),
            ("Currency", Some(Currency)),
            ("Subtotal", None),
            ("Shipping", None),
            ("Taxes", None),
            ("Total", None),
            ("Discount Code", None),
            ("Discount Amount", None),
            ("Shipping Method", None),
            ("Created at", Some(OrderDate)),
            ("Lineitem quantity", Some(Quantity)),
            ("Lineitem name", Some(ProductName)),
            ("Lineitem price", Some(UnitPrice)),
            ("Lineitem compare at price", None),
            ("Lineitem sku", Some(ProductId)),
            ("Lineitem requires shipping", None),
            ("Lineitem taxable", None),
            ("Lineitem fulfillment status", None),
            ("Billing Name", None),
            ("Billing Street", None),
            ("Billing City", Some(City)),
            ("Billing Zip", None),
            ("Billing Province", None),
            ("Billing Country", Some(Country)),
            ("Billing Phone", Some(Phone)),
            ("Shipping Name", None),
            ("Shipping City", None),
            ("Shipping Country", None),
            ("Notes", None),
            ("Cancelled at", None),
            ("Payment Method", None),
            ("Refunded Amount", None),
            ("Vendor", None),
            ("Id", None),
            ("Tags", None),
            ("Risk Level", None),
            ("Source", Some(Channel)),
            ("Lineitem discount", None),
            ("Phone", None),
            ("Receipt Number", None),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
        assert_eq!(m.column_of(OrderDate), Some(15));
        let fulfillment = e.iter().position(|(h, _)| *h == "Fulfillment Status");
        assert_eq!(m.layout_columns.fulfillment, fulfillment);
        assert!(m.unmapped.contains(&"Lineitem fulfillment status".to_string()));
    }

    #[test]
    fn nested_json_fields_in_either_word_order() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let m = map_headers(
            &h(&["سفارش.شماره", "سفارش.مشتری.کد", "تاریخ", "مبلغ"]),
            Dataset::Sales,
            None,
        );
        assert_eq!(m.columns[0], Some(Field::OrderId), "{m:?}");
        assert_eq!(m.columns[1], Some(Field::CustomerId), "{m:?}");
        let m = map_headers(
            &h(&["order.customer.id", "order.date", "line.amount"]),
            Dataset::Sales,
            None,
        );
        assert_eq!(m.columns[0], Some(Field::CustomerId), "{m:?}");
        assert_eq!(m.columns[1], Some(Field::OrderDate), "{m:?}");
        // A dot that is an abbreviation, not a path, is left alone.
        let m = map_headers(&h(&["Nr.", "Qty.", "Datum"]), Dataset::Sales, None);
        assert_eq!(m.columns[1], Some(Field::Quantity), "{m:?}");
    }

    #[test]
    fn shopify_customer_id_when_present() {
        let e = [
            ("Name", Some(OrderId)),
            ("Email", Some(Email)),
            ("Customer ID", Some(CustomerId)),
            ("Created at", Some(OrderDate)),
            ("Lineitem quantity", Some(Quantity)),
            ("Lineitem price", Some(UnitPrice)),
            ("Total", None),
        ];
        check(Dataset::Sales, &e);
    }

    #[test]
    fn bare_name_is_not_an_order_id_outside_shopify() {
        check(
            Dataset::Sales,
            &[
                ("Name", None),
                ("Date", Some(OrderDate)),
                ("Amount", Some(LineAmount)),
            ],
        );
    }

    #[test]
    fn layouts_are_told_from_the_header() {
        let of = |h: &[&str]| layout(h.iter().copied());
        assert_eq!(
            of(&["id", "name", "createdAt", "__parentId"]),
            Layout::ShopifyBulk
        );
        assert_eq!(of(&["id", "parent_id", "status", "total"]), Layout::Other);
        assert_eq!(
            of(&["Name", "Email", "Lineitem quantity", "Lineitem name"]),
            Layout::Shopify
        );
        assert_eq!(
            of(&[
                "id",
                "name",
                "order_number",
                "financial_status",
                "item.name",
                "quantity"
            ]),
            Layout::Shopify
        );
        assert_eq!(
            of(&["id", "name", "createdAt", "originalUnitPriceSet.shopMoney.amount"]),
            Layout::Shopify
        );
        assert_eq!(
            of(&["id", "number", "status", "total", "line_items", "billing.city"]),
            Layout::Other
        );
        assert_eq!(
            of(&["Date", "Receipt Number", "Line Type", "Register"]),
            Layout::Lightspeed
        );
        assert_eq!(of(&["Receipt Number", "Line Type", "Item"]), Layout::Other);
        assert_eq!(
            of(&["", "Date", "Transaction Type", "Num", "Amount"]),
            Layout::QuickBooks
        );
    }

    /// An SMS list's consent column: a "no" there is a refusal like a newsletter's.
    #[test]
    fn sms_consent_columns() {
        for header in [
            "SMS Consent",
            "SMS Marketing Consent",
            "SMS Opt-in",
            "Text Opt-in",
        ] {
            check(
                Dataset::Customers,
                &[("Phone", Some(Phone)), (header, Some(MarketingConsent))],
            );
        }
    }

    /// Opt-out columns feed the consent in the opposite sense, in every language read.
    #[test]
    fn opt_out_columns_are_consent_read_inverted() {
        for header in [
            "Email Opt Out",
            "HasOptedOutOfEmail",
            "Do Not Email",
            "Do Not Contact",
            "DoNotContact",
            "Unsubscribed",
            "Marketing Opt-Out",
            "Opted Out",
            "لغو عضویت",
            "عدم دریافت پیامک",
            "عدم تمایل به دریافت پیامک",
            "Werbewiderspruch",
            "Désabonné",
            "Désinscrit",
            // Intercom's users and leads.
            "Unsubscribed from Emails",
            "Unsubscribed from email",
            "Marked Email as Spam",
            // German and French refusals of advertising.
            "Keine Werbung",
            "Kein Newsletter",
            "Robinsonliste",
            "Refus publicité",
            "Opposition prospection",
            // Brevo's contacts.
            "emailBlacklisted",
            "SMS Blacklisted",
            "Blocklisted",
        ] {
            for dataset in [Dataset::Customers, Dataset::Sales] {
                let m = map_headers(&strings(&["Email", header]), dataset, None);
                assert_eq!(m.columns[1], Some(MarketingConsent), "{header} ({dataset:?})");
                assert_eq!(m.opt_out, [1], "{header} ({dataset:?})");
                assert!(m.unmapped.is_empty(), "{header}: {:?}", m.unmapped);
            }
        }
        // Consent headers that were not read.
        for header in [
            "Email Marketing",
            "Email Subscription Status",
            "Newsletter-Einwilligung",
            "Einwilligung Newsletter",
            "Consentement marketing",
            "Opt-in newsletter",
            "Accepte le marketing",
            "Abonné newsletter",
        ] {
            let m = map_headers(&strings(&["Email", header]), Dataset::Customers, None);
            assert_eq!(m.columns[1], Some(MarketingConsent), "{header}");
            assert!(m.opt_out.is_empty(), "{header}");
        }
        // A bare "Status" is an order's or a member's, too often something else than consent.
        let m = map_headers(&strings(&["Email", "Status"]), Dataset::Customers, None);
        assert_eq!(m.columns[1], None);
    }

    /// Shopify's customer export gives consent to email and to SMS: both are read, and so is an
    /// opt-out beside a consent column, none of them listed as unmapped.
    #[test]
    fn every_consent_column_of_a_file_is_read() {
        let m = check(
            Dataset::Customers,
            &[
                ("Customer ID", Some(CustomerId)),
                ("Email", Some(Email)),
                ("Accepts Email Marketing", Some(MarketingConsent)),
                ("Accepts SMS Marketing", None),
                ("Do Not Contact", None),
            ],
        );
        assert_eq!(m.more_consent, [3, 4]);
        assert_eq!(m.opt_out, [4]);
        assert!(m.unmapped.is_empty());
        // A consent column beats an opt-out for the mapped one; the opt-out is still read.
        let m = map_headers(
            &strings(&["Email", "Email Opt Out", "Newsletter"]),
            Dataset::Customers,
            None,
        );
        assert_eq!(m.columns, [Some(Email), None, Some(MarketingConsent)]);
        assert_eq!((m.more_consent, m.opt_out), (vec![1], vec![1]));
        // Activity has no consent field, but its consent columns are read beside the events
        // (Salesforce's campaign members, HubSpot's form submissions), also one a mapping file
        // names; not the unsubscribe time an unsubscribes list dates its rows by.
        let m = map_headers(
            &strings(&[
                "Campaign Name",
                "Lead ID",
                "Email",
                "Member Status",
                "Created Date",
                "Email Opt Out",
            ]),
            Dataset::Activity,
            None,
        );
        assert_eq!((m.more_consent, m.opt_out), (vec![5], vec![5]));
        let m = map_headers(
            &strings(&[
                "Email",
                "Activity Type",
                "Timestamp",
                "Unsubscribed from all email",
                "Newsletter",
            ]),
            Dataset::Activity,
            None,
        );
        assert_eq!((m.more_consent, m.opt_out), (vec![3, 4], vec![3]));
        assert!(m.unmapped.is_empty(), "{:?}", m.unmapped);
        let over =
            MappingOverride::from_json(r#"{"columns": {"Keine Werbung": "marketing_opt_out"}}"#).unwrap();
        let m = map_headers(
            &strings(&["Email", "Event", "Timestamp", "Keine Werbung"]),
            Dataset::Activity,
            Some(&over),
        );
        assert_eq!((m.more_consent, m.opt_out), (vec![3], vec![3]));
        let m = map_headers(
            &strings(&["Email Address", "UNSUB_TIME"]),
            Dataset::Activity,
            None,
        );
        assert_eq!(m.columns[1], Some(EventTime));
        assert!(m.more_consent.is_empty());
    }

    /// A mapping file names an opt-out column `marketing_opt_out`; naming a known opt-out
    /// `marketing_consent` would read every "true" as consent, and is refused.
    #[test]
    fn a_mapping_file_can_name_an_opt_out() {
        let over =
            MappingOverride::from_json(r#"{"columns": {"Keine Werbung": "marketing_opt_out", "Newsletter": "Marketing Consent", "SMS": "marketing-opt-out"}}"#)
                .unwrap();
        assert_eq!(over.columns["Keine Werbung"], OPT_OUT_TARGET);
        let m = check_with(
            Dataset::Customers,
            Some(&over),
            &[
                ("Email", Some(Email)),
                ("Keine Werbung", Some(MarketingConsent)),
                ("Newsletter", None),
                ("SMS", None),
            ],
        );
        assert_eq!(m.more_consent, [2, 3]);
        assert_eq!(m.opt_out, [1, 3]);
        assert!(m.override_conflicts.is_empty());
        let err =
            MappingOverride::from_json(r#"{"columns": {"Email Opt Out": "marketing_consent"}}"#).unwrap_err();
        let MappingError::BadOverride(msg) = err else {
            panic!("{err:?}")
        };
        assert!(msg.contains("marketing_opt_out"), "{msg}");
        assert!(MappingOverride::from_json(r#"{"columns": {"Email Opt Out": "marketing_opt_out"}}"#).is_ok());
        // The field list of an unknown name's error offers it.
        let err = MappingOverride::from_json(r#"{"columns": {"X": "opt_out"}}"#).unwrap_err();
        assert!(format!("{err:?}").contains("marketing_opt_out"), "{err:?}");
    }

    #[test]
    fn wix_and_amazon_orders() {
        check(
            Dataset::Sales,
            &[
                ("Order number", Some(OrderId)),
                ("Date created", Some(OrderDate)),
                ("Buyer's Email", Some(Email)),
                ("Item's Name", Some(ProductName)),
                ("Qty", Some(Quantity)),
            ],
        );
        // Amazon's item-price is the line's, quantity included; elsewhere an item price is a
        // unit price.
        let amazon = [
            "amazon-order-id",
            "purchase-date",
            "sku",
            "quantity",
            "item-price",
        ];
        let m = map_headers(&strings(&amazon), Dataset::Sales, None);
        assert_eq!(m.columns[0], Some(OrderId));
        assert_eq!(m.columns[4], Some(LineAmount));
        let other = ["Order ID", "Order Date", "SKU", "Quantity", "Item Price"];
        let m = map_headers(&strings(&other), Dataset::Sales, None);
        assert_eq!(m.columns[4], Some(UnitPrice));
    }

    #[test]
    fn headers_that_name_a_zone() {
        let offset = |h: i32, m: i32| chrono::FixedOffset::east_opt(h * 3600 + m * 60);
        for h in [
            "Created date (UTC)",
            "Time UTC",
            "Order Date GMT",
            "utc_time",
            "Date [UTC]",
        ] {
            assert_eq!(header_offset(h), offset(0, 0), "{h}");
        }
        assert_eq!(header_offset("Order Date (UTC-05:00)"), offset(-5, 0));
        assert_eq!(header_offset("Order Date (UTC+1)"), offset(1, 0));
        assert_eq!(header_offset("Order Time (UTC+01:00)"), offset(1, 0));
        assert_eq!(header_offset("Order Date (GMT+3:30)"), offset(3, 30));
        for h in [
            "UTC Offset",
            "Date (not UTC)",
            "Date (UTC converted to EST)",
            "Order Date",
            "Date (UTC+99)",
        ] {
            assert_eq!(header_offset(h), None, "{h}");
        }
    }

    #[test]
    fn woocommerce_order_export() {
        let e = [
            ("Order ID", Some(OrderId)),
            ("Order Number", None),
            ("Order Date", Some(OrderDate)),
            ("Order Status", Some(Status)),
            ("Customer User ID", Some(CustomerId)),
            ("Billing Email", Some(Email)),
            ("Billing City", Some(City)),
            ("Billing Country", Some(Country)),
            ("Order Currency", Some(Currency)),
            ("Item Name", Some(ProductName)),
            ("SKU", Some(ProductId)),
            ("Item Quantity", Some(Quantity)),
            ("Item Cost", Some(UnitPrice)),
            ("Line Total", Some(LineAmount)),
            ("Order Total", None),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
    }

    #[test]
    fn woocommerce_advanced_order_export() {
        let e = [
            ("Order Number", Some(OrderId)),
            ("Order Status", Some(Status)),
            ("Order Date", Some(OrderDate)),
            ("First Name (Billing)", None),
            ("Last Name (Billing)", None),
            ("City (Billing)", Some(City)),
            ("Country Code (Billing)", Some(Country)),
            ("Email (Billing)", Some(Email)),
            ("City (Shipping)", None),
            ("Customer ID", Some(CustomerId)),
            ("Order Subtotal Amount", None),
            ("Order Total Amount", None),
            ("SKU", Some(ProductId)),
            ("Item #", None),
            ("Product Name", Some(ProductName)),
            ("Quantity (- Refund)", Some(Quantity)),
            ("Item Price", Some(UnitPrice)),
            ("Item Cost", None),
            ("Discount Amount", None),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
    }

    #[test]
    fn woocommerce_analytics_orders() {
        // WooCommerce › Analytics › Orders › Download: one row per order, so the customer column
        // (a name) and net sales are all there is.
        let e = [
            ("Date", Some(OrderDate)),
            ("Order #", Some(OrderId)),
            ("Status", Some(Status)),
            ("Customer", Some(CustomerId)),
            ("Customer type", None),
            ("Product(s)", Some(ProductName)),
            ("Items sold", Some(Quantity)),
            ("Coupon(s)", None),
            ("Net Sales", Some(LineAmount)),
            ("Attribution", None),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
    }

    /// Persian WooCommerce's order export: the same columns as the English one, translated; they
    /// map exactly as their English equivalents do (Item Price before Item Cost, Order Total only
    /// without line amounts, billing address before shipping).
    #[test]
    fn woocommerce_order_export_persian() {
        let e = [
            ("شناسه سفارش", Some(OrderId)),
            ("تاریخ سفارش", Some(OrderDate)),
            ("وضعیت سفارش", Some(Status)),
            ("نام صورتحساب", None),
            ("نام خانوادگی صورتحساب", None),
            ("ایمیل صورتحساب", Some(Email)),
            ("تلفن صورتحساب", Some(Phone)),
            ("شهر صورتحساب", Some(City)),
            ("استان صورتحساب", None),
            ("کشور صورتحساب", Some(Country)),
            ("واحد پول سفارش", Some(Currency)),
            ("نام محصول", Some(ProductName)),
            ("شناسه محصول", None),
            ("کد محصول", Some(ProductId)),
            ("تعداد", Some(Quantity)),
            ("قیمت مورد", Some(UnitPrice)),
            ("هزینه مورد", None),
            ("مجموع سفارش", None),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
        // One row per order: the order total is the amount.
        for total in ["مجموع سفارش", "مبلغ کل سفارش"] {
            let e = [
                ("شماره سفارش", Some(OrderId)),
                ("تاریخ سفارش", Some(OrderDate)),
                ("ایمیل صورتحساب", Some(Email)),
                (total, Some(LineAmount)),
            ];
            let m = check(Dataset::Sales, &e);
            assert_complete(Dataset::Sales, &m, &e);
        }
        let sales = |h: &str| map_headers(&strings(&[h]), Dataset::Sales, None).columns[0];
        for (h, f) in [
            ("هزینه مورد", UnitPrice),
            ("قیمت کالا", UnitPrice),
            ("قیمت هر واحد", UnitPrice),
            ("قيمت هر واحد", UnitPrice),
        ] {
            assert_eq!(sales(h), Some(f), "{h}");
        }
    }

    #[test]
    fn german_invoice_lines() {
        let e = [
            ("Rechnungsnr.", Some(OrderId)),
            ("Rechnungsdatum", Some(OrderDate)),
            ("Uhrzeit", Some(OrderTime)),
            ("Kunden-Nr.", Some(CustomerId)),
            ("Kunde", None),
            ("E-Mail", Some(Email)),
            ("Artikel-Nr.", Some(ProductId)),
            ("Artikelbezeichnung", Some(ProductName)),
            ("Warengruppe", Some(Category)),
            ("Menge", Some(Quantity)),
            ("Einzelpreis (€)", Some(UnitPrice)),
            ("Gesamtpreis", Some(LineAmount)),
            ("Währung", Some(Currency)),
            ("Land", Some(Country)),
            ("Ort", Some(City)),
            ("Vertriebskanal", Some(Channel)),
            ("Status", Some(Status)),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
        assert_eq!(m.currency_hints[10], Some("EUR"));
    }

    #[test]
    fn french_orders() {
        let e = [
            ("N° de commande", Some(OrderId)),
            ("Date de commande", Some(OrderDate)),
            ("Heure", Some(OrderTime)),
            ("Code client", Some(CustomerId)),
            ("Nom du client", None),
            ("Courriel", Some(Email)),
            ("Référence produit", Some(ProductId)),
            ("Désignation", Some(ProductName)),
            ("Catégorie", Some(Category)),
            ("Quantité", Some(Quantity)),
            ("Prix unitaire", Some(UnitPrice)),
            ("Montant", Some(LineAmount)),
            ("Devise", Some(Currency)),
            ("Pays", Some(Country)),
            ("Ville", Some(City)),
            ("Canal de vente", Some(Channel)),
            ("Statut", Some(Status)),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
    }

    /// SAP Business One's and Dynamics' sales analyses: the posting date is the invoice's.
    #[test]
    fn erp_sales_analysis() {
        let e = [
            ("Customer Code", Some(CustomerId)),
            ("Customer Name", None),
            ("Document Type", Some(DocumentType)),
            ("Document No.", Some(OrderId)),
            ("Posting Date", Some(OrderDate)),
            ("Item No.", Some(ProductId)),
            ("Item Description", Some(ProductName)),
            ("Quantity", Some(Quantity)),
            ("Unit Price", Some(UnitPrice)),
            ("Total (LC)", Some(LineAmount)),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
    }

    /// Business Central's posted sales lines: "Line Amount" is in the document's currency (a blank
    /// "Currency Code" meaning the shop's own), "Amount (LCY)" in the shop's own currency for
    /// every line. The latter is read, without the document currency.
    #[test]
    fn dynamics_amounts_in_the_local_currency() {
        let e = [
            ("Document No.", Some(OrderId)),
            ("Sell-to Customer No.", Some(CustomerId)),
            ("Posting Date", Some(OrderDate)),
            ("Description", Some(ProductName)),
            ("Quantity", Some(Quantity)),
            ("Unit Price", Some(UnitPrice)),
            ("Line Amount", None),
            ("Currency Code", None),
            ("Amount (LCY)", Some(LineAmount)),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
        // A mapping file naming the currency column keeps it, and its document amounts.
        let headers: Vec<String> = e.iter().map(|(h, _)| h.to_string()).collect();
        let over = MappingOverride::from_json(r#"{"columns": {"Currency Code": "currency"}}"#).unwrap();
        let m = map_headers(&headers, Dataset::Sales, Some(&over));
        assert_eq!(m.column_of(Currency), Some(7));
        assert_eq!(m.column_of(LineAmount), Some(6));
    }

    #[test]
    fn german_variants() {
        check(
            Dataset::Sales,
            &[
                ("Belegnummer", Some(OrderId)),
                ("Belegdatum", Some(OrderDate)),
                ("Kundennummer", Some(CustomerId)),
                ("Artikelnummer", Some(ProductId)),
                ("Bezeichnung", Some(ProductName)),
                ("Kategorie", Some(Category)),
                ("Stück", Some(Quantity)),
                ("Stückpreis", Some(UnitPrice)),
                ("Betrag", Some(LineAmount)),
                ("Stadt", Some(City)),
                ("Kanal", Some(Channel)),
            ],
        );
        check(
            Dataset::Sales,
            &[
                ("Bestellnummer", Some(OrderId)),
                ("Rechnungsnummer", None),
                ("Bestelldatum", Some(OrderDate)),
                ("Datum", None),
                ("Kunde", Some(CustomerId)),
                ("Artikel", Some(ProductName)),
                ("Anzahl", Some(Quantity)),
                ("Preis", Some(UnitPrice)),
                ("Umsatz", Some(LineAmount)),
                ("Summe", None),
            ],
        );
        check(
            Dataset::Sales,
            &[
                ("Datum", Some(OrderDate)),
                ("Produkt", Some(ProductName)),
                ("Stueckpreis", Some(UnitPrice)),
                ("Anzahl", Some(Quantity)),
                ("Gesamtbetrag", None),
            ],
        );
    }

    #[test]
    fn order_total_is_the_amount_when_rows_are_orders() {
        let e = [
            ("Rechnungsnummer", Some(OrderId)),
            ("Datum", Some(OrderDate)),
            ("Kundennummer", Some(CustomerId)),
            ("Gesamtbetrag", Some(LineAmount)),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
        // "Total" before "Subtotal": what the customer paid.
        check(
            Dataset::Sales,
            &[
                ("Order", Some(OrderId)),
                ("Date", Some(OrderDate)),
                ("Email", Some(Email)),
                ("Subtotal", None),
                ("Total", Some(LineAmount)),
            ],
        );
        // With a quantity but no unit price, the total is still the line's amount.
        check(
            Dataset::Sales,
            &[
                ("Date", Some(OrderDate)),
                ("Qty", Some(Quantity)),
                ("Total", Some(LineAmount)),
            ],
        );
    }

    #[test]
    fn persian_invoice_lines() {
        let e = [
            ("ردیف", None),
            ("شماره فاکتور", Some(OrderId)),
            ("تاریخ", Some(OrderDate)),
            ("ساعت", Some(OrderTime)),
            ("کد مشتری", Some(CustomerId)),
            ("نام مشتری", None),
            ("کد کالا", Some(ProductId)),
            ("شرح کالا", Some(ProductName)),
            ("گروه کالا", Some(Category)),
            ("تعداد", Some(Quantity)),
            ("فی (ریال)", Some(UnitPrice)),
            ("مبلغ کل (ریال)", Some(LineAmount)),
            ("جمع کل", None),
            ("شهر", Some(City)),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
        assert_eq!(m.currency_hints[10], Some("IRR"));
        assert_eq!(m.currency_hints[11], Some("IRR"));
        assert_eq!(m.currency_hints[9], None);
    }

    #[test]
    fn persian_shop_orders_with_arabic_letters_and_zwnj() {
        let e = [
            ("شناسه سفارش", Some(OrderId)),
            ("تاريخ سفارش", Some(OrderDate)),
            ("وضعيت سفارش", Some(Status)),
            ("شناسه\u{200c}مشتری", Some(CustomerId)),
            ("پست الكترونيك", Some(Email)),
            ("شناسه محصول", Some(ProductId)),
            ("نام محصول", Some(ProductName)),
            ("دسته\u{200c}بندی", Some(Category)),
            ("مقدار", Some(Quantity)),
            ("قیمت واحد (تومان)", Some(UnitPrice)),
            ("مبلغ (تومان)", Some(LineAmount)),
            ("واحد پول", Some(Currency)),
            ("کانال فروش", Some(Channel)),
            ("کشور", Some(Country)),
            ("شهر", Some(City)),
        ];
        let m = check(Dataset::Sales, &e);
        assert_complete(Dataset::Sales, &m, &e);
        assert_eq!(m.currency_hints[9], Some("IRT"));
        assert_eq!(m.currency_hints[10], Some("IRT"));
    }

    #[test]
    fn persian_synonym_variants() {
        let sales = |h: &str| map_headers(&strings(&[h]), Dataset::Sales, None).columns[0];
        for (h, f) in [
            ("شماره سفارش", OrderId),
            ("کد سفارش", OrderId),
            ("شماره مشتری", CustomerId),
            ("مشتری", CustomerId),
            ("ایمیل", Email),
            ("پست الکترونیک", Email),
            ("تاریخ فاکتور", OrderDate),
            ("تاریخ خرید", OrderDate),
            ("کد محصول", ProductId),
            ("نام کالا", ProductName),
            ("کالا", ProductName),
            ("محصول", ProductName),
            ("دسته بندی", Category),
            ("فی", UnitPrice),
            ("في", UnitPrice),
            ("مبلغ واحد", UnitPrice),
            ("قیمت", UnitPrice),
            ("مبلغ", LineAmount),
            ("مبلغ کل", LineAmount),
            ("ارز", Currency),
            ("وضعیت", Status),
            ("جمع کل", LineAmount),
            ("شماره\u{200c}ی فاکتور", OrderId),
            ("کد\u{200c}مشتری", CustomerId),
            ("قیمت\u{200c}واحد", UnitPrice),
        ] {
            assert_eq!(sales(h), Some(f), "{h}");
        }
    }

    #[test]
    fn customers_english() {
        let e = [
            ("Customer ID", Some(CustomerId)),
            ("Email", Some(Email)),
            ("Date of Birth", Some(BirthDate)),
            ("Age", Some(Age)),
            ("Gender", Some(Gender)),
            ("City", Some(City)),
            ("Country", Some(Country)),
            ("Job Title", Some(JobTitle)),
            ("Signup Date", Some(SignupDate)),
            ("Accepts Marketing", Some(MarketingConsent)),
        ];
        let m = check(Dataset::Customers, &e);
        assert_complete(Dataset::Customers, &m, &e);
        check(
            Dataset::Customers,
            &[
                ("id", Some(CustomerId)),
                ("e-mail", Some(Email)),
                ("DOB", Some(BirthDate)),
                ("Sex", Some(Gender)),
                ("Occupation", Some(JobTitle)),
                ("Registered", Some(SignupDate)),
                ("Opt-in", Some(MarketingConsent)),
            ],
        );
        check(
            Dataset::Customers,
            &[
                ("Email", Some(Email)),
                ("Birthday", Some(BirthDate)),
                ("Title", Some(JobTitle)),
                ("Customer Since", Some(SignupDate)),
                ("Newsletter", Some(MarketingConsent)),
            ],
        );
        check(
            Dataset::Customers,
            &[
                ("Email", Some(Email)),
                ("Birth Date", Some(BirthDate)),
                ("Role", Some(JobTitle)),
                ("Created At", Some(SignupDate)),
                ("Email Subscribed", Some(MarketingConsent)),
            ],
        );
        check(
            Dataset::Customers,
            &[
                ("Email", Some(Email)),
                ("Position", Some(JobTitle)),
                ("Subscribed", Some(MarketingConsent)),
            ],
        );
        check(
            Dataset::Customers,
            &[
                ("Email", Some(Email)),
                ("Marketing Consent", Some(MarketingConsent)),
            ],
        );
    }

    #[test]
    fn shopify_customers_exports() {
        check(
            Dataset::Customers,
            &[
                ("First Name", None),
                ("Last Name", None),
                ("Email", Some(Email)),
                ("Company", None),
                ("Address1", None),
                ("City", Some(City)),
                ("Province", None),
                ("Country", Some(Country)),
                ("Country Code", None),
                ("Zip", None),
                ("Phone", Some(Phone)),
                ("Accepts Marketing", Some(MarketingConsent)),
                ("Total Spent", None),
                ("Total Orders", None),
                ("Tags", None),
            ],
        );
        check(
            Dataset::Customers,
            &[
                ("Customer ID", Some(CustomerId)),
                ("First Name", None),
                ("Last Name", None),
                ("Email", Some(Email)),
                ("Accepts Email Marketing", Some(MarketingConsent)),
                ("Default Address City", Some(City)),
                ("Default Address Country Code", Some(Country)),
                ("Phone", Some(Phone)),
                ("Accepts SMS Marketing", None),
                ("Total Spent", None),
            ],
        );
    }

    #[test]
    fn customers_german() {
        let e = [
            ("Kundennummer", Some(CustomerId)),
            ("E-Mail", Some(Email)),
            ("Geburtsdatum", Some(BirthDate)),
            ("Alter", Some(Age)),
            ("Geschlecht", Some(Gender)),
            ("Beruf", Some(JobTitle)),
            ("Ort", Some(City)),
            ("Land", Some(Country)),
            ("Kunde seit", Some(SignupDate)),
            ("Newsletter", Some(MarketingConsent)),
        ];
        let m = check(Dataset::Customers, &e);
        assert_complete(Dataset::Customers, &m, &e);
        check(
            Dataset::Customers,
            &[
                ("Kunden-Nr.", Some(CustomerId)),
                ("Berufsbezeichnung", Some(JobTitle)),
                ("Anmeldedatum", Some(SignupDate)),
                ("Marketing-Einwilligung", Some(MarketingConsent)),
                ("Stadt", Some(City)),
            ],
        );
        check(
            Dataset::Customers,
            &[
                ("Kunde", Some(CustomerId)),
                ("Position", Some(JobTitle)),
                ("Registriert am", Some(SignupDate)),
                ("Einwilligung", Some(MarketingConsent)),
            ],
        );
    }

    #[test]
    fn customers_persian() {
        let e = [
            ("شناسه مشتری", Some(CustomerId)),
            ("ایمیل", Some(Email)),
            ("تاریخ تولد", Some(BirthDate)),
            ("سن", Some(Age)),
            ("جنسیت", Some(Gender)),
            ("شغل", Some(JobTitle)),
            ("شهر", Some(City)),
            ("کشور", Some(Country)),
            ("تاریخ عضویت", Some(SignupDate)),
            ("رضایت تبلیغات", Some(MarketingConsent)),
        ];
        let m = check(Dataset::Customers, &e);
        assert_complete(Dataset::Customers, &m, &e);
        check(
            Dataset::Customers,
            &[
                ("کد مشتری", Some(CustomerId)),
                ("عنوان شغلی", Some(JobTitle)),
                ("تاریخ ثبت نام", Some(SignupDate)),
                ("عضویت خبرنامه", Some(MarketingConsent)),
            ],
        );
        check(
            Dataset::Customers,
            &[
                ("پست الکترونیک", Some(Email)),
                ("سمت", Some(JobTitle)),
                ("تاریخ ثبت‌نام", Some(SignupDate)),
            ],
        );
        // Consent headers no synonym lists, read by their words; an opt-out by its negation;
        // a date, a count or a number of such messages is none.
        for (header, kind) in [
            ("اشتراک خبرنامه", Some(Kind::Plain)),
            ("دریافت پیامک تبلیغاتی", Some(Kind::Plain)),
            ("تمایل به دریافت پیامک", Some(Kind::Plain)),
            ("اجازه ارسال پیامک", Some(Kind::Plain)),
            ("مایل به دریافت پیامک", Some(Kind::Plain)),
            ("دریافت اس ام اس", Some(Kind::Plain)),
            ("دريافت پيامك تبليغاتي", Some(Kind::Plain)),
            ("SMS marketing permission", Some(Kind::Plain)),
            ("Wants newsletter", Some(Kind::Plain)),
            ("عدم ارسال پیامک تبلیغاتی", Some(Kind::OptOut)),
            ("Do not send SMS marketing", Some(Kind::OptOut)),
            ("تاریخ ارسال پیامک", None),
            ("شماره دریافت پیامک", None),
            ("تعداد پیامک دریافتی", None),
            ("Newsletter opt-in date", None),
            ("Newsletter consent at", None),
            ("Marketing campaign", None),
            // Columns about the messages, their source or cost, or naming both answers.
            ("ارسال پیامک", None),
            ("وضعیت ارسال پیامک", None),
            ("هزینه ارسال پیامک", None),
            ("Marketing Allowance", None),
            ("Promotional Agreement", None),
            ("SMS Opt-in Source", None),
            ("SMS Unsubscribe Link", None),
            ("Newsletter Subscription Source", None),
            ("SMS Consent Method", None),
            ("Marketing Opt-in Level", None),
            ("SMS marketing consent collected from", None),
            ("لینک لغو اشتراک خبرنامه", None),
            ("دلیل لغو اشتراک خبرنامه", None),
            ("SMS marketing opt-in/opt-out", None),
            ("Newsletter subscribe/unsubscribe", None),
            ("اشتراک/لغو اشتراک خبرنامه", None),
            ("دریافت یا عدم دریافت پیامک", None),
            ("Marketing Permissions", Some(Kind::Plain)),
            // A second review's list: refusals and consents the first rules missed or misread.
            ("عدم دریافت پیامک تبلیغاتی فروشگاه", Some(Kind::OptOut)),
            ("تمایل به دریافت خبرنامه فروشگاه", Some(Kind::Plain)),
            ("Newsletter opt-out (Y/N)", Some(Kind::OptOut)),
            ("لغو اشتراک خبرنامه (بله/خیر)", Some(Kind::OptOut)),
            ("Do not send SMS or email", Some(Kind::OptOut)),
            ("عدم ارسال پیامک یا ایمیل تبلیغاتی", Some(Kind::OptOut)),
            ("Unsubscribed from newsletter", Some(Kind::OptOut)),
            ("SMS Consent Revoked", Some(Kind::OptOut)),
            ("Marketing Consent Withdrawn", Some(Kind::OptOut)),
            ("Newsletter Subscription Cancelled", Some(Kind::OptOut)),
            ("Text Marketing Consent", Some(Kind::Plain)),
            ("Subscribed to newsletter at checkout", Some(Kind::Plain)),
            ("Accept Marketing", Some(Kind::Plain)),
            ("Newsletter Subscriber", Some(Kind::Plain)),
            ("عضویت در خبرنامه سازمانی", Some(Kind::Plain)),
            ("Marketing SMS opt-in/out", None),
        ] {
            assert_eq!(consent_by_words(header), kind, "{header}");
        }
        let m = map_headers(
            &strings(&["کد مشتری", "موبایل", "اشتراک خبرنامه", "عدم ارسال پیامک تبلیغاتی"]),
            Dataset::Customers,
            None,
        );
        assert_eq!(m.column_of(MarketingConsent), Some(2));
        assert_eq!((m.more_consent.clone(), m.opt_out.clone()), (vec![3], vec![3]));
        assert!(m.unmapped.is_empty(), "{:?}", m.unmapped);
        // A marketplace's report names the buyer's city by where the parcel goes.
        check(
            Dataset::Sales,
            &[("شماره سفارش", Some(OrderId)), ("شهر مقصد", Some(City))],
        );
        // The usual Persian CRM headers of a job title.
        for title in ["سمت شغلی", "پست سازمانی", "سمت سازمانی"] {
            for dataset in [Dataset::Customers, Dataset::Activity] {
                check(dataset, &[("ایمیل", Some(Email)), (title, Some(JobTitle))]);
            }
        }
    }

    #[test]
    fn activity_english_exports() {
        let e = [
            ("Contact ID", Some(CustomerId)),
            ("Email", Some(Email)),
            ("Activity Type", Some(EventType)),
            ("Activity Date", Some(EventTime)),
            ("Page URL", Some(Page)),
            ("Duration", Some(DurationSeconds)),
            ("Job Title", Some(JobTitle)),
        ];
        let m = check(Dataset::Activity, &e);
        assert_complete(Dataset::Activity, &m, &e);
        // Mailchimp subscriber activity.
        let e = [
            ("Email Address", Some(Email)),
            ("Action", Some(EventType)),
            ("Timestamp", Some(EventTime)),
            ("URL", Some(Page)),
        ];
        let m = check(Dataset::Activity, &e);
        assert_complete(Dataset::Activity, &m, &e);
        check(
            Dataset::Activity,
            &[
                ("Visitor ID", Some(CustomerId)),
                ("Event", Some(EventType)),
                ("Event Time", Some(EventTime)),
                ("Page Path", Some(Page)),
                ("Time on Page", Some(DurationSeconds)),
            ],
        );
        check(
            Dataset::Activity,
            &[
                ("Lead ID", Some(CustomerId)),
                ("Event Type", Some(EventType)),
                ("Occurred At", Some(EventTime)),
                ("Path", Some(Page)),
                ("Seconds", Some(DurationSeconds)),
                ("Title", None),
            ],
        );
        check(
            Dataset::Activity,
            &[
                ("Customer ID", Some(CustomerId)),
                ("Activity", Some(EventType)),
                ("Created", Some(EventTime)),
                ("Page", Some(Page)),
                ("Duration (s)", Some(DurationSeconds)),
            ],
        );
    }

    #[test]
    fn activity_persian() {
        let e = [
            ("کد مشتری", Some(CustomerId)),
            ("نوع رویداد", Some(EventType)),
            ("زمان رویداد", Some(EventTime)),
            ("آدرس صفحه", Some(Page)),
            ("مدت زمان", Some(DurationSeconds)),
            ("عنوان شغلی", Some(JobTitle)),
        ];
        let m = check(Dataset::Activity, &e);
        assert_complete(Dataset::Activity, &m, &e);
        check(
            Dataset::Activity,
            &[
                ("ایمیل", Some(Email)),
                ("رویداد", Some(EventType)),
                ("زمان", Some(EventTime)),
                ("صفحه", Some(Page)),
                ("مدت", Some(DurationSeconds)),
            ],
        );
        check(
            Dataset::Activity,
            &[("فعالیت", Some(EventType)), ("تاریخ", Some(EventTime))],
        );
    }

    #[track_caller]
    fn implied(
        dataset: Dataset,
        headers: &[&str],
        over: Option<&MappingOverride>,
    ) -> Option<(&'static str, String)> {
        map_headers(&strings(headers), dataset, over)
            .implied_event
            .map(|i| (i.event_type, i.from))
    }

    /// Salesforce fills a campaign member's `First Responded Date` for responders only: its
    /// `Created Date` dates every member. Meta's lead-ads download (`created_time`, a form's
    /// `form_name`) is a file of form submissions.
    #[test]
    fn campaign_members_and_meta_lead_ads_are_dated_for_every_row() {
        let h = [
            "Campaign Name",
            "Lead ID",
            "Contact ID",
            "Status",
            "First Responded Date",
            "Created Date",
        ];
        let m = map_headers(&strings(&h), Dataset::Activity, None);
        assert_eq!(m.columns[5], Some(EventTime));
        assert_eq!(m.columns[4], None);
        let h = [
            "id",
            "created_time",
            "ad_id",
            "form_id",
            "form_name",
            "email",
            "full_name",
            "phone_number",
        ];
        let m = map_headers(&strings(&h), Dataset::Activity, None);
        assert_eq!(m.columns[1], Some(EventTime));
        assert_eq!(
            implied(Dataset::Activity, &h, None),
            Some(("form_submit", "form_name".into()))
        );
    }

    #[test]
    fn activity_exports_of_marketing_tools() {
        // Mautic's contact timeline.
        let e = [
            ("Contact ID", Some(CustomerId)),
            ("Email", Some(Email)),
            ("Event Type", Some(EventType)),
            ("Event Name", None),
            ("Date Added", Some(EventTime)),
            ("URL", Some(Page)),
        ];
        let m = check(Dataset::Activity, &e);
        assert_complete(Dataset::Activity, &m, &e);
        // A download log: "Title" is what was downloaded, not a job title, also beside a UTM
        // campaign.
        let e = [
            ("Email", Some(Email)),
            ("Activity", Some(EventType)),
            ("Date", Some(EventTime)),
            ("Title", None),
            ("utm_campaign", None),
        ];
        check(Dataset::Activity, &e);
        // Salesforce campaign members: no page, so "Title" is the person's.
        let e = [
            ("Campaign Name", None),
            ("Campaign Type", None),
            ("Member Status", Some(EventType)),
            ("First Responded Date", Some(EventTime)),
            ("Contact ID", Some(CustomerId)),
            ("Lead ID", None),
            ("Email", Some(Email)),
            ("Title", Some(JobTitle)),
        ];
        let m = check(Dataset::Activity, &e);
        assert_complete(Dataset::Activity, &m, &e);
        // Dated by when the member joined the campaign, as Salesforce's API writes it too.
        for created in ["Created Date", "CreatedDate"] {
            let e = [
                ("Campaign Name", None),
                ("Lead ID", None),
                ("Contact ID", Some(CustomerId)),
                ("Email", Some(Email)),
                ("Status", Some(EventType)),
                (created, Some(EventTime)),
            ];
            check(Dataset::Activity, &e);
        }
        // A member without a contact id is a lead, keyed by its lead id; not when a mapping
        // file names the id column.
        assert_eq!(m.alt_id, Some(5));
        let headers: Vec<String> = e.iter().map(|(h, _)| h.to_string()).collect();
        let over = MappingOverride {
            columns: [("Contact ID".to_string(), "customer_id".to_string())].into(),
            ..Default::default()
        };
        assert_eq!(map_headers(&headers, Dataset::Activity, Some(&over)).alt_id, None);
        // HubSpot's contact activity.
        let e = [
            ("Record ID", Some(CustomerId)),
            ("First Name", None),
            ("Last Name", None),
            ("Email", Some(Email)),
            ("Job Title", Some(JobTitle)),
            ("Activity Type", Some(EventType)),
            ("Activity Date", Some(EventTime)),
            ("Page URL", Some(Page)),
        ];
        let m = check(Dataset::Activity, &e);
        assert_complete(Dataset::Activity, &m, &e);
        // Gravity Forms' entries.
        let e = [
            ("Entry Id", None),
            ("Entry Date", Some(EventTime)),
            ("Name (First)", None),
            ("Name (Last)", None),
            ("Email", Some(Email)),
            ("Job Title", Some(JobTitle)),
            ("Source Url", Some(Page)),
            ("User IP", None),
        ];
        let m = check(Dataset::Activity, &e);
        assert_complete(Dataset::Activity, &m, &e);
        // Contact Form 7's entries (CFDB7).
        let e = [
            ("your-name", None),
            ("your-email", Some(Email)),
            ("your-subject", None),
            ("your-message", None),
            ("Date", Some(EventTime)),
        ];
        let m = check(Dataset::Activity, &e);
        assert_complete(Dataset::Activity, &m, &e);
        // Mailchimp's unsubscribed members.
        let e = [
            ("Email Address", Some(Email)),
            ("First Name", None),
            ("Last Name", None),
            ("MEMBER_RATING", None),
            ("OPTIN_TIME", None),
            ("UNSUB_TIME", Some(EventTime)),
            ("UNSUB_CAMPAIGN_TITLE", None),
            ("UNSUB_REASON", None),
            ("LEID", None),
            ("EUID", None),
        ];
        let m = check(Dataset::Activity, &e);
        assert_complete(Dataset::Activity, &m, &e);
        // A Persian CRM's contact id.
        check(
            Dataset::Activity,
            &[
                ("شناسه مخاطب", Some(CustomerId)),
                ("پست الکترونیک", Some(Email)),
                ("فعالیت", Some(EventType)),
                ("تاریخ و ساعت", Some(EventTime)),
            ],
        );
        // "Record ID" is the contact's in HubSpot's contacts too, but a deal's in its deals.
        check(
            Dataset::Customers,
            &[("Record ID", Some(CustomerId)), ("Date Added", Some(SignupDate))],
        );
        check(Dataset::Sales, &[("Record ID", None), ("Create Date", None)]);
        check(Dataset::Customers, &[("شناسه مخاطب", Some(CustomerId))]);
        // HubSpot's, Salesforce's and Mailchimp's contact lists: where they live, since when.
        check(
            Dataset::Customers,
            &[("Record ID", Some(CustomerId)), ("Country/Region", Some(Country))],
        );
        check(
            Dataset::Customers,
            &[
                ("Contact ID", Some(CustomerId)),
                ("Mailing City", Some(City)),
                ("Mailing Country", Some(Country)),
                ("Created Date", Some(SignupDate)),
            ],
        );
        check(
            Dataset::Customers,
            &[("Email Address", Some(Email)), ("CC", Some(Country))],
        );
        check(Dataset::Sales, &[("CC", None)]);
    }

    #[test]
    fn a_time_column_can_say_what_every_row_is() {
        let a = Dataset::Activity;
        let unsub = |h: &str| Some(("unsubscribe", h.to_string()));
        let form = |h: &str| Some(("form_submit", h.to_string()));
        assert_eq!(
            implied(a, &["Email Address", "OPTIN_TIME", "UNSUB_TIME"], None),
            unsub("UNSUB_TIME")
        );
        assert_eq!(
            implied(a, &["Email", "Unsubscribed At"], None),
            unsub("Unsubscribed At")
        );
        assert_eq!(
            implied(a, &["Email", "Opt-out date"], None),
            unsub("Opt-out date")
        );
        assert_eq!(
            implied(a, &["E-Mail", "Abgemeldet am"], None),
            unsub("Abgemeldet am")
        );
        // In a customer list, such a column refuses by its times.
        let m = map_headers(
            &strings(&[
                "Kundennummer",
                "E-Mail",
                "Newsletter",
                "Keine Werbung",
                "Abgemeldet am",
            ]),
            Dataset::Customers,
            None,
        );
        assert_eq!(
            (m.more_consent.clone(), m.opt_out.clone()),
            (vec![3, 4], vec![3, 4])
        );
        assert!(names_unsubscribe_time("Abgemeldet am") && names_unsubscribe_time("Désabonné le"));
        assert_eq!(
            implied(a, &["ایمیل", "تاریخ لغو عضویت"], None),
            unsub("تاریخ لغو عضویت")
        );
        assert_eq!(
            implied(a, &["ایمیل", "تاریخ لغو\u{200c}عضويت"], None),
            unsub("تاریخ لغو\u{200c}عضويت")
        );
        assert_eq!(
            implied(a, &["Entry Id", "Entry Date", "Email"], None),
            form("Entry Date")
        );
        assert_eq!(implied(a, &["Email", "Submitted At"], None), form("Submitted At"));
        assert_eq!(
            implied(a, &["Email", "Submission Date"], None),
            form("Submission Date")
        );
        // Contact Form 7 dates its entries with a plain "Date": its own fields say what the file is.
        assert_eq!(
            implied(a, &["your-name", "your-email", "Date"], None),
            form("your-name")
        );
        // A form's own "Date" field is not the entry's time.
        let m = map_headers(&strings(&["Date", "Entry Date", "Email"]), a, None);
        assert_eq!(m.columns, [None, Some(EventTime), Some(Email)]);
        // An event column says it row by row, and then the time column is only a time.
        assert_eq!(implied(a, &["Email", "Event", "UNSUB_TIME"], None), None);
        let m = map_headers(&strings(&["Email", "Event", "Timestamp", "UNSUB_TIME"]), a, None);
        assert_eq!(m.columns, [Some(Email), Some(EventType), Some(EventTime), None]);
        // Times that name no event, and other datasets, imply nothing.
        assert_eq!(implied(a, &["Email", "Date"], None), None);
        assert_eq!(implied(a, &["Email", "OPTIN_TIME"], None), None);
        assert_eq!(implied(Dataset::Customers, &["Email", "UNSUB_TIME"], None), None);
        let (missing, msg) = required_error(a, &["Email", "Date"]);
        assert_eq!(missing, ["event_type"]);
        assert!(msg.contains(r#"{"event_type": "form_submit"}"#), "{msg}");
    }

    #[test]
    fn a_mapping_file_can_give_every_row_one_event_type() {
        let a = Dataset::Activity;
        let over = MappingOverride::from_json(r#"{"event_type": "Form Submit"}"#).unwrap();
        assert_eq!(over.event_type.as_deref(), Some("form_submit"));
        assert!(over.columns.is_empty());
        let from_file = |t: &'static str| Some((t, "mapping file".to_string()));
        assert_eq!(
            implied(a, &["Email", "Date"], Some(&over)),
            from_file("form_submit")
        );
        let headers = strings(&["Email", "Date"]);
        assert_eq!(
            check_required(a, &map_headers(&headers, a, Some(&over)), &headers),
            Ok(())
        );
        // A file with an event column keeps its own events (one mapping file may serve a folder
        // whose other exports say "Unsubscribed").
        assert_eq!(implied(a, &["Email", "Event", "Date"], Some(&over)), None);
        let over =
            MappingOverride::from_json(r#"{"columns": {"Wann": "event_time"}, "event_type": "unsubscribe"}"#)
                .unwrap();
        assert_eq!(
            implied(a, &["Email", "Wann"], Some(&over)),
            from_file("unsubscribe")
        );
        // The bare form: an "event_type" key naming an event type is the constant; naming a
        // field, it is a header as before.
        let over = MappingOverride::from_json(r#"{"Wann": "event_time", "event_type": "download"}"#).unwrap();
        assert_eq!(over.event_type.as_deref(), Some("download"));
        assert_eq!(over.columns.len(), 1);
        let over = MappingOverride::from_json(r#"{"event_type": "event_type"}"#).unwrap();
        assert_eq!(
            (over.event_type, over.columns["event_type"].as_str()),
            (None, "event_type")
        );
        // Other datasets have no event type.
        let over = MappingOverride::from_json(r#"{"event_type": "download"}"#).unwrap();
        assert_eq!(implied(Dataset::Customers, &["Email"], Some(&over)), None);
        // Round trip.
        let over =
            MappingOverride::from_json(r#"{"columns": {"A": "email"}, "event_type": "purchase"}"#).unwrap();
        let json = serde_json::to_string(&over).unwrap();
        assert_eq!(json, r#"{"columns":{"A":"email"},"event_type":"purchase"}"#);
        let back: MappingOverride = serde_json::from_str(&json).unwrap();
        assert_eq!(back.event_type.as_deref(), Some("purchase"));
    }

    // --- generic headers -------------------------------------------------------------------------

    #[test]
    fn plain_date_depends_on_the_dataset() {
        check(Dataset::Sales, &[("Date", Some(OrderDate))]);
        check(Dataset::Activity, &[("Date", Some(EventTime))]);
        check(Dataset::Customers, &[("Email", Some(Email)), ("Date", None)]);
    }

    #[test]
    fn specific_synonyms_beat_generic_ones() {
        check(
            Dataset::Sales,
            &[
                ("Date", None),
                ("Order Date", Some(OrderDate)),
                ("Price", None),
                ("Unit Price", Some(UnitPrice)),
                ("Amount", None),
                ("Line Total", Some(LineAmount)),
                ("Shipping City", None),
                ("Billing City", Some(City)),
            ],
        );
        // "Created at" wins over the payment date; fulfilment and cancellation dates never map.
        check(
            Dataset::Sales,
            &[
                ("Paid at", None),
                ("Fulfilled at", None),
                ("Cancelled at", None),
                ("Created at", Some(OrderDate)),
            ],
        );
        check(
            Dataset::Sales,
            &[("Paid at", Some(OrderDate)), ("Fulfilled at", None)],
        );
        // On a tie the first column wins.
        check(
            Dataset::Sales,
            &[("Amount (1)", Some(LineAmount)), ("Amount (2)", None)],
        );
        // German and French amounts with VAT are what the customer paid: read before those
        // without, whatever the column order.
        for (net, gross) in [
            ("Betrag (netto)", "Betrag (brutto)"),
            ("Nettobetrag", "Bruttobetrag"),
            ("Montant HT", "Montant TTC"),
            ("Gesamt Netto", "Gesamt Brutto"),
        ] {
            check(Dataset::Sales, &[(net, None), (gross, Some(LineAmount))]);
            check(Dataset::Sales, &[(gross, Some(LineAmount)), (net, None)]);
        }
        check(
            Dataset::Sales,
            &[
                ("Einzelpreis Netto", None),
                ("Einzelpreis Brutto", Some(UnitPrice)),
            ],
        );
    }

    #[test]
    fn customer_names_are_ids_only_without_ids_or_emails() {
        check(
            Dataset::Sales,
            &[("Customer", Some(CustomerId)), ("Date", Some(OrderDate))],
        );
        check(
            Dataset::Sales,
            &[("Customer", None), ("Customer ID", Some(CustomerId))],
        );
        check(Dataset::Sales, &[("Kunde", None), ("E-Mail", Some(Email))]);
        check(Dataset::Customers, &[("مشتری", None), ("ایمیل", Some(Email))]);
        // A bare id is a customer id only in a customer list.
        check(Dataset::Sales, &[("id", None), ("Date", Some(OrderDate))]);
        check(Dataset::Activity, &[("id", None), ("Email", Some(Email))]);
        // A real id stays even next to an email.
        check(
            Dataset::Customers,
            &[("ID", Some(CustomerId)), ("Email", Some(Email))],
        );
    }

    /// Iranian shops know buyers by their mobile: a phone column keys the customer after a real
    /// id and an email, and before a name (two «علی احمدی» are two people, their mobiles tell).
    #[test]
    fn phone_columns_key_customers_before_names() {
        for h in [
            "شماره موبایل",
            "شماره موبایل خریدار",
            "موبایل",
            "تلفن همراه",
            "شماره همراه",
            "شماره تماس",
            "تلفن",
            "تلفن (صورتحساب)",
            "تلفن صورتحساب",
            "Mobile",
            "Mobile Number",
            "Phone",
            "Phone Number",
            "Billing Phone",
            "Customer Phone",
            "Telefon",
            "Téléphone",
            "Handynummer",
            "Mobilnummer",
        ] {
            for d in Dataset::ALL {
                let m = map_headers(&strings(&[h]), d, None);
                assert_eq!(m.column_of(Phone), Some(0), "{h} in {d:?}");
            }
        }
        check(
            Dataset::Sales,
            &[
                ("نام مشتری", None),
                ("شماره موبایل", Some(Phone)),
                ("تاریخ", Some(OrderDate)),
            ],
        );
        check(
            Dataset::Customers,
            &[("Customer Name", None), ("Mobile", Some(Phone))],
        );
        check(
            Dataset::Activity,
            &[("خریدار", None), ("تلفن همراه", Some(Phone))],
        );
        // A real id and an email stay beside it (the key falls back row by row).
        check(
            Dataset::Sales,
            &[
                ("Customer ID", Some(CustomerId)),
                ("Email", Some(Email)),
                ("Phone", Some(Phone)),
            ],
        );
        // The billing phone is the buyer's; a shipping phone may be a gift's recipient. The other
        // phone is read where the billing phone is missing.
        let m = check(
            Dataset::Sales,
            &[
                ("Shipping Phone", None),
                ("Billing Phone", Some(Phone)),
                ("Phone", None),
            ],
        );
        assert_eq!(m.alt_phone, Some(2));
        assert_eq!(m.unmapped, ["Shipping Phone"]);
        // A CRM's mobile and landline: the mobile first, the other where it is empty.
        let m = check(
            Dataset::Customers,
            &[
                ("Contact ID", Some(CustomerId)),
                ("Phone", None),
                ("Mobile", Some(Phone)),
            ],
        );
        assert_eq!(m.alt_phone, Some(1));
        // One phone column: nothing to fall back to.
        let m = check(
            Dataset::Customers,
            &[("Email", Some(Email)), ("Phone", Some(Phone))],
        );
        assert_eq!(m.alt_phone, None);
        // A customers or activity export keyed by mobile alone is complete.
        for d in [Dataset::Customers, Dataset::Activity] {
            let h = strings(&["موبایل", "نوع رویداد", "زمان رویداد"]);
            let m = map_headers(&h, d, None);
            assert_eq!(check_required(d, &m, &h), Ok(()), "{d:?}");
        }
        assert_eq!(Field::from_name("phone"), Some(Phone));
    }

    #[test]
    fn lone_time_column_is_the_order_date() {
        check(
            Dataset::Sales,
            &[("زمان سفارش", Some(OrderDate)), ("مبلغ", Some(LineAmount))],
        );
        check(
            Dataset::Sales,
            &[
                ("تاریخ سفارش", Some(OrderDate)),
                ("زمان سفارش", Some(OrderTime)),
                ("مبلغ", Some(LineAmount)),
            ],
        );
    }

    #[test]
    fn hash_reads_as_number() {
        check(
            Dataset::Sales,
            &[
                ("Order #", Some(OrderId)),
                ("Item #", Some(ProductId)),
                ("Item", Some(ProductName)),
            ],
        );
    }

    #[test]
    fn fields_of_other_datasets_are_not_used() {
        check(
            Dataset::Sales,
            &[
                ("Order ID", Some(OrderId)),
                ("Age", None),
                ("Event Type", None),
                ("Gender", None),
                ("Job Title", None),
            ],
        );
        check(
            Dataset::Customers,
            &[("Email", Some(Email)), ("Quantity", None), ("Order Date", None)],
        );
        check(
            Dataset::Activity,
            &[("Email", Some(Email)), ("City", None), ("Event", Some(EventType))],
        );
    }

    // --- currency --------------------------------------------------------------------------------

    #[test]
    fn currency_from_title_rows() {
        let title = |cells: &[&str]| title_currency(cells.iter().copied());
        assert_eq!(
            title(&[
                "شرکت نیک‌آوران",
                "از تاریخ 1402/08/01 تا 1402/08/30   مبالغ به ریال"
            ]),
            Some("IRR")
        );
        assert_eq!(title(&["(ارقام به تومان)"]), Some("IRT"));
        assert_eq!(title(&["All amounts in EUR"]), Some("EUR"));
        // A title naming a currency without saying the amounts are in it, or naming two.
        assert_eq!(title(&["فروشگاه تومان‌شاپ"]), None);
        assert_eq!(title(&["مبالغ به ریال", "ارقام به تومان"]), None);
        // In thousands: left to the amounts' own headers rather than read a thousand times
        // too small.
        assert_eq!(title(&["مبالغ به هزار ریال"]), None);
    }

    #[test]
    fn currency_hints_from_headers() {
        let e = [
            ("Price (€)", Some(UnitPrice)),
            ("Amount USD", Some(LineAmount)),
            ("Currency", Some(Currency)),
            ("Date", Some(OrderDate)),
        ];
        let m = check(Dataset::Sales, &e);
        assert_eq!(m.currency_hints, vec![Some("EUR"), Some("USD"), None, None]);

        for (h, field, hint) in [
            ("مبلغ (تومان)", LineAmount, "IRT"),
            ("قیمت (ریال)", UnitPrice, "IRR"),
            ("قيمت (ريال)", UnitPrice, "IRR"),
            ("Price (€)", UnitPrice, "EUR"),
            ("Amount USD", LineAmount, "USD"),
            ("Amount [GBP]", LineAmount, "GBP"),
            ("Betrag in EUR", LineAmount, "EUR"),
            ("Umsatz €", LineAmount, "EUR"),
            ("Preis in Euro", UnitPrice, "EUR"),
            ("Unit_Price_CHF", UnitPrice, "CHF"),
            ("Amount $", LineAmount, "USD"),
            ("Amount (CAD $)", LineAmount, "CAD"),
            ("مبلغ به تومان", LineAmount, "IRT"),
            ("مبلغ بر حسب ریال", LineAmount, "IRR"),
            ("مبلغ (هزار تومان)", LineAmount, "IRT"),
            ("قیمت واحد (ریال)", UnitPrice, "IRR"),
            ("فی (تومن)", UnitPrice, "IRT"),
            // The adjective: an amount "in Rial".
            ("مبلغ ریالی", LineAmount, "IRR"),
            ("قیمت تومانی", UnitPrice, "IRT"),
            ("قیمت (ت)", UnitPrice, "IRT"),
            ("Item Cost (IRHT)", UnitPrice, "IRT"),
        ] {
            let m = map_headers(&strings(&[h]), Dataset::Sales, None);
            assert_eq!(m.columns[0], Some(field), "{h}");
            assert_eq!(m.currency_hints[0], Some(hint), "{h}");
        }
        for h in ["Quantity", "Currency", "Country", "Europe Region", "Serial"] {
            assert_eq!(currency_hint(h), None, "{h}");
        }
    }

    #[test]
    fn amount_scale_hints() {
        assert_eq!(amount_scale_hint("مبلغ (هزار تومان)"), Some(1000));
        assert_eq!(amount_scale_hint("Umsatz (Mio. EUR)"), Some(1_000_000));
        assert_eq!(amount_scale_hint("Amount in thousand USD"), Some(1000));
        assert_eq!(amount_scale_hint("مبلغ (تومان)"), None);
        // Persian WooCommerce's thousand-Toman and thousand-Rial codes.
        assert_eq!(amount_scale_hint("Order Total (IRHT)"), Some(1000));
        assert_eq!(amount_scale_hint("قیمت (IRHR)"), Some(1000));
        assert_eq!(amount_scale_hint("Thousand Island"), None);
    }

    // --- overrides -------------------------------------------------------------------------------

    #[test]
    fn override_wins_over_synonyms_and_can_ignore() {
        let over = MappingOverride::from_json(
            r#"{"columns": {"Datum": "ignore", "Lieferdatum": "order_date", "Kunde": "customer_id",
                "Shipping City": "city", "Wert": "line_amount"}}"#,
        )
        .unwrap();
        let e = [
            ("Datum", None),
            ("Lieferdatum", Some(OrderDate)),
            ("Kundennummer", None),
            ("KUNDE ", Some(CustomerId)),
            ("Billing City", None),
            ("shipping_city", Some(City)),
            // Both normalise to "wert": the first column takes the field, as with synonyms.
            ("Wert (€)", Some(LineAmount)),
            ("Wert", None),
        ];
        let m = check_with(Dataset::Sales, Some(&over), &e);
        assert_eq!(m.currency_hints[6], Some("EUR"));
    }

    #[test]
    fn override_accepts_flat_form_and_loose_field_spelling() {
        let over =
            MappingOverride::from_json(r#"{"Spalte 1": "Order Date", "Spalte 2": "LINE-AMOUNT"}"#).unwrap();
        assert_eq!(over.columns["Spalte 1"], "order_date");
        assert_eq!(over.columns["Spalte 2"], "line_amount");
        check_with(
            Dataset::Sales,
            Some(&over),
            &[
                ("Spalte 1", Some(OrderDate)),
                ("Spalte 2", Some(LineAmount)),
                ("Spalte 3", None),
            ],
        );
    }

    #[test]
    fn override_to_a_field_of_another_dataset_leaves_the_column_unmapped() {
        let over = MappingOverride::from_json(r#"{"columns": {"Datum": "birth_date"}}"#).unwrap();
        check_with(
            Dataset::Sales,
            Some(&over),
            &[("Datum", None), ("Betrag", Some(LineAmount))],
        );
    }

    #[test]
    fn override_round_trips_through_serde() {
        let over = MappingOverride::from_json(r#"{"columns": {"A": "email"}, "_comment": "x"}"#).unwrap();
        let json = serde_json::to_string(&over).unwrap();
        assert_eq!(json, r#"{"columns":{"A":"email"}}"#);
        let back: MappingOverride = serde_json::from_str(&json).unwrap();
        assert_eq!(back.columns, over.columns);
    }

    #[test]
    fn two_columns_mapped_to_one_field_is_an_error_for_that_file() {
        // One mapping file may name both spellings of a header for two export variants…
        let over = MappingOverride::from_json(r#"{"Rechnungsdatum": "order_date", "Belegdatum": "order_date", "Kunde": "customer_id", "Betrag": "line_amount"}"#).unwrap();
        let one = strings(&["Rechnungsdatum", "Kunde", "Betrag"]);
        let m = map_headers(&one, Dataset::Sales, Some(&over));
        assert_eq!(check_required(Dataset::Sales, &m, &one), Ok(()));
        // …but a file with both cannot feed one field from two columns.
        let both = strings(&["Belegdatum", "Kunde", "Rechnungsdatum", "Betrag"]);
        let m = map_headers(&both, Dataset::Sales, Some(&over));
        match check_required(Dataset::Sales, &m, &both) {
            Err(MappingError::BadOverride(msg)) => {
                assert!(
                    msg.contains("\"Belegdatum\" and \"Rechnungsdatum\" → order_date"),
                    "{msg}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_overrides_are_rejected() {
        let err = |s: &str| match MappingOverride::from_json(s) {
            Err(MappingError::BadOverride(m)) => m,
            other => panic!("expected BadOverride for {s}, got {other:?}"),
        };
        let m = err(r#"{"columns": {"Datum": "orderdate"}}"#);
        assert!(
            m.contains("\"Datum\"") && m.contains("orderdate") && m.contains("order_date"),
            "{m}"
        );
        assert!(
            MappingOverride::from_json(r#"{"columns": {"Datum": "orderdate"}}"#)
                .unwrap_err()
                .to_string()
                .starts_with("mapping file: ")
        );
        err("not json");
        err(r#"["order_date"]"#);
        err(r#"{"columns": {"Datum": 3}}"#);
        err(r#"{"columns": {"Datum": "order_date"}, "colums": {}}"#);
        let m = err(r#"{"columns": {}, "event_type": "download_pdf"}"#);
        assert!(m.contains("\"event_type\"") && m.contains("form_submit"), "{m}");
        // The bare form too: the event types are listed, not the fields.
        let m = err(r#"{"event_type": "foo"}"#);
        assert!(m.contains("form_submit") && !m.contains("order_id"), "{m}");
        let m = err(r#"{"columns": {"Datum": "order_date", "DATUM": "event_time"}}"#);
        assert!(m.contains("same header"), "{m}");
        // The same header twice with the same meaning is harmless.
        MappingOverride::from_json(r#"{"columns": {"Datum": "order_date", "datum": "order_date"}}"#).unwrap();
    }

    // --- required fields -------------------------------------------------------------------------

    fn required_error(dataset: Dataset, headers: &[&str]) -> (Vec<String>, String) {
        let headers = strings(headers);
        let m = map_headers(&headers, dataset, None);
        match check_required(dataset, &m, &headers) {
            Err(MappingError::MissingRequired {
                dataset: d,
                missing,
                message,
            }) => {
                assert_eq!(d, dataset);
                (missing, message)
            }
            other => panic!("expected MissingRequired, got {other:?}"),
        }
    }

    #[test]
    fn unrelated_columns_explain_what_is_missing() {
        let (missing, msg) = required_error(Dataset::Sales, &["name", "colour", "size"]);
        assert_eq!(missing, ["order_date", "line_amount or quantity and unit_price"]);
        assert!(
            msg.contains("no column for the order date (looked for: Order Date, InvoiceDate"),
            "{msg}"
        );
        assert!(msg.contains("no column for the line amount"), "{msg}");
        // Not one known column name: the row may be data, so its cells are not repeated.
        const NOT_SHOWN: &str = "headers found: 3 columns, none of them a known column name (their contents are not shown: the first row may be data)";
        assert!(msg.ends_with(NOT_SHOWN), "{msg}");

        let (missing, msg) = required_error(Dataset::Customers, &["name", "colour", "size"]);
        assert_eq!(missing, ["customer_id, email or phone"]);
        assert!(msg.contains("no column identifying the customer"), "{msg}");
        assert!(msg.ends_with(NOT_SHOWN), "{msg}");

        let (missing, msg) = required_error(Dataset::Activity, &["name", "colour", "size"]);
        assert_eq!(
            missing,
            ["customer_id, email or phone", "event_type", "event_time"]
        );
        assert!(msg.contains("event type") && msg.contains("event time"), "{msg}");
        assert!(msg.ends_with(NOT_SHOWN), "{msg}");
    }

    #[test]
    fn a_data_row_taken_for_a_header_is_never_repeated() {
        let row = [
            "ORD991",
            "secret.person@leak.test",
            "Ali Rezaei",
            "2024-03-01",
            "987654.32",
        ];
        for d in Dataset::ALL {
            let (_, msg) = required_error(d, &row);
            assert!(msg.ends_with("5 columns, none of them a known column name (their contents are not shown: the first row may be data)"), "{msg}");
            for cell in row {
                assert!(!msg.contains(cell), "{msg}");
            }
            assert!(map_headers(&strings(&row), d, None).unmapped.is_empty());
        }
        // One cell that happens to be a column name does not make a data row a header: that
        // name is said (it is a word of the tables, not data), the other cells are not.
        let (_, msg) = required_error(Dataset::Sales, &["ORD9", "Amount", "Secret Name", "London"]);
        assert!(
            msg.ends_with(
                "headers found: 4 columns, of which only \"Amount\" is a known column name (the other 3 \
                 are not shown: the first row may be data)"
            ),
            "{msg}"
        );
        assert!(!msg.contains("Secret Name") && !msg.contains("London"), "{msg}");
        // Known names of different datasets, none of which has two.
        let (_, msg) = required_error(Dataset::Activity, &["Gender", "x1", "Amount", "x2"]);
        assert!(
            msg.ends_with(
                "headers found: 4 columns, of which only \"Gender\" and \"Amount\" are known column \
                 names (the other 2 are not shown: the first row may be data)"
            ),
            "{msg}"
        );
        // A real header row with one value-like cell (a header row shifted by a stray cell).
        let (_, msg) = required_error(Dataset::Sales, &["Price", "Qty", "bob@example.com", "12345"]);
        assert!(
            msg.ends_with("headers found: Price, Qty, (column 3, a value), (column 4, a value)"),
            "{msg}"
        );
    }

    #[test]
    fn sales_amount_requirements() {
        let ok = |h: &[&str]| {
            let h = strings(h);
            check_required(Dataset::Sales, &map_headers(&h, Dataset::Sales, None), &h)
        };
        assert_eq!(ok(&["Date", "Amount"]), Ok(()));
        assert_eq!(ok(&["Date", "Qty", "Amount"]), Ok(()));
        assert_eq!(ok(&["Date", "Qty", "Price"]), Ok(()));

        let (missing, msg) = required_error(Dataset::Sales, &["Date", "Qty"]);
        assert_eq!(missing, ["unit_price or line_amount"]);
        assert!(msg.contains("a quantity column (\"Qty\")"), "{msg}");

        let (missing, msg) = required_error(Dataset::Sales, &["Date", "Price"]);
        assert_eq!(missing, ["quantity or line_amount"]);
        assert!(
            msg.contains("a unit price column (\"Price\")") && msg.contains("line_amount"),
            "{msg}"
        );

        let (missing, msg) = required_error(Dataset::Sales, &["Price", "Qty", "\u{feff}Colour", ""]);
        assert_eq!(missing, ["order_date"]);
        assert!(
            msg.ends_with("headers found: Price, Qty, Colour, (column 4)"),
            "{msg}"
        );
    }

    #[test]
    fn activity_requirements() {
        let (missing, _) = required_error(Dataset::Activity, &["Email", "Timestamp"]);
        assert_eq!(missing, ["event_type"]);
        let (missing, _) = required_error(Dataset::Activity, &["Event", "Date", "Page"]);
        assert_eq!(missing, ["customer_id, email or phone"]);
    }

    #[test]
    fn long_header_lists_are_cut() {
        // "Gender" and "City" are known column names, so this is a header row and its cells are
        // listed.
        let headers: Vec<String> = ["Gender".to_string(), "City".to_string()]
            .into_iter()
            .chain((2..50).map(|i| format!("col{i}")))
            .collect();
        let m = map_headers(&headers, Dataset::Customers, None);
        let Err(MappingError::MissingRequired { message, .. }) =
            check_required(Dataset::Customers, &m, &headers)
        else {
            panic!("expected an error");
        };
        assert!(message.ends_with("col39, … (10 more)"), "{message}");
    }

    // --- report helpers --------------------------------------------------------------------------

    #[test]
    fn used_and_unmapped_are_in_source_order() {
        let headers = strings(&[
            "\u{feff}InvoiceNo",
            "Foo",
            "Quantity",
            " ",
            "InvoiceDate",
            "UnitPrice",
        ]);
        let m = map_headers(&headers, Dataset::Sales, None);
        assert_eq!(
            m.used(&headers),
            vec![
                (OrderId, "InvoiceNo".to_string()),
                (Quantity, "Quantity".to_string()),
                (OrderDate, "InvoiceDate".to_string()),
                (UnitPrice, "UnitPrice".to_string()),
            ]
        );
        assert_eq!(m.unmapped, ["Foo", "(column 4)"]);
        assert_eq!(m.column_of(UnitPrice), Some(5));
        assert_eq!(m.column_of(Email), None);
    }

    #[test]
    fn mapping_serializes_with_field_names() {
        let m = map_headers(&strings(&["Order ID", "x", "Price (€)"]), Dataset::Sales, None);
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["columns"], serde_json::json!(["order_id", null, "unit_price"]));
        assert_eq!(v["currency_hints"], serde_json::json!([null, null, "EUR"]));
    }

    // --- header detection ------------------------------------------------------------------------

    #[test]
    fn header_score_tells_header_rows_from_data_rows() {
        let header = [
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
        ];
        let data = [
            "536365",
            "85123A",
            "WHITE HANGING HEART T-LIGHT HOLDER",
            "6",
            "12/1/2010 8:26",
            "2.55",
            "17850",
            "United Kingdom",
        ];
        assert_eq!(header_score(&header, Dataset::Sales), 8);
        assert_eq!(header_score(&data, Dataset::Sales), 0);
        for d in Dataset::ALL {
            assert_eq!(header_score(&data, d), 0, "{d:?}");
        }
        let title = ["Sales report 2024", "", ""];
        assert_eq!(header_score(&title, Dataset::Sales), 0);
        let persian_data = ["۱۰۲۳", "۱۴۰۲/۰۵/۱۲", "کفش ورزشی", "۲", "۱۲۰۰۰۰۰"];
        assert_eq!(header_score(&persian_data, Dataset::Sales), 0);
    }

    #[test]
    fn header_score_points_at_the_right_dataset() {
        let guess = |cells: &[&str]| {
            let scores: Vec<usize> = Dataset::ALL.iter().map(|d| header_score(cells, *d)).collect();
            let best = *scores.iter().max().unwrap();
            assert_eq!(
                scores.iter().filter(|s| **s == best).count(),
                1,
                "tie: {scores:?} for {cells:?}"
            );
            Dataset::ALL[scores.iter().position(|s| *s == best).unwrap()]
        };
        assert_eq!(
            guess(&[
                "Name",
                "Email",
                "Financial Status",
                "Created at",
                "Lineitem quantity",
                "Lineitem price",
                "Total"
            ]),
            Dataset::Sales
        );
        assert_eq!(
            guess(&[
                "Customer ID",
                "Email",
                "Date of Birth",
                "Gender",
                "City",
                "Signup Date",
                "Accepts Marketing"
            ]),
            Dataset::Customers
        );
        assert_eq!(
            guess(&[
                "Contact ID",
                "Email",
                "Event Type",
                "Timestamp",
                "Page URL",
                "Duration"
            ]),
            Dataset::Activity
        );
        assert_eq!(
            guess(&["شماره فاکتور", "تاریخ", "کد مشتری", "تعداد", "فی", "مبلغ"]),
            Dataset::Sales
        );
        assert_eq!(
            guess(&[
                "Kundennummer",
                "E-Mail",
                "Geburtsdatum",
                "Geschlecht",
                "Kunde seit"
            ]),
            Dataset::Customers
        );
    }
}
