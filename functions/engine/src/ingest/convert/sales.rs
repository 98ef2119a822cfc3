use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, RecordBatch, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field as ArrowField, SchemaRef};

use super::documents::{DocKind, DocumentTypes};
use super::orders::{BULK_ORDERS_KEPT, OrderCarry, same_text};
use super::*;
use crate::mapping::Layout;
use crate::values::number::IMPLAUSIBLE_AMOUNT;
use crate::values::text::Key;
use crate::values::{DecimalMark, MarkEvidence, ValueError};

/// Source columns feeding the sales schema.
struct Cols {
    order_id: Option<usize>,
    customer: KeyCols,
    date: Option<usize>,
    time: Option<usize>,
    time_zone: Option<usize>,
    product_id: Option<usize>,
    product_name: Option<usize>,
    category: Option<usize>,
    quantity: Option<usize>,
    unit_price: Option<usize>,
    line_amount: Option<usize>,
    currency: Option<usize>,
    country: Option<usize>,
    city: Option<usize>,
    channel: Option<usize>,
    status: Option<usize>,
    document_type: Option<usize>,
    /// The buyer's marketing consent at the order (Shopify's `Accepts Marketing`).
    consent: ConsentCols,
}

struct Builders {
    order_id: TextColumn,
    customer_id: TextColumn,
    order_ts: TimestampMicrosecondBuilder,
    product_id: TextColumn,
    product_name: TextColumn,
    category: TextColumn,
    quantity: Float64Builder,
    unit_price: Float64Builder,
    line_amount: Float64Builder,
    currency: TextColumn,
    country: TextColumn,
    city: TextColumn,
    channel: TextColumn,
    status: TextColumn,
    is_return: BooleanBuilder,
    source_line: Int64Builder,
}

impl Builders {
    /// `extra`: columns by which the layout names customers (QuickBooks' groups) or statuses
    /// (Toast's "Void?", Etsy's adjusted total) other than by a customer or status column.
    fn new(c: &Cols, extra: &crate::mapping::LayoutColumns) -> Self {
        let customer = extra.group_field == Some(Field::CustomerId);
        let text = |col: Option<usize>| TextColumn::new(col.is_some());
        Builders {
            order_id: text(c.order_id),
            customer_id: TextColumn::new(customer || c.customer.any()),
            order_ts: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            product_id: text(c.product_id),
            product_name: TextColumn::new(
                c.product_name.is_some() || extra.group_field == Some(Field::ProductName),
            ),
            category: text(c.category),
            quantity: Float64Builder::new(),
            unit_price: Float64Builder::new(),
            line_amount: Float64Builder::new(),
            // Also read from amounts ("€12") and headers ("Price (Toman)").
            currency: TextColumn::new(true),
            country: text(c.country),
            city: text(c.city),
            channel: text(c.channel),
            status: TextColumn::new(
                c.status.is_some() || extra.void.is_some() || extra.adjusted_total.is_some(),
            ),
            is_return: BooleanBuilder::new(),
            source_line: Int64Builder::new(),
        }
    }
}

pub fn sales_schema() -> SchemaRef {
    let mut fields = vec![
        utf8("order_id"),
        utf8("customer_id"),
        ts_field("order_ts", false),
        utf8("product_id"),
        utf8("product_name"),
        utf8("category"),
        ArrowField::new("quantity", DataType::Float64, false),
        ArrowField::new("unit_price", DataType::Float64, true),
        ArrowField::new("line_amount", DataType::Float64, false),
        utf8("currency"),
        utf8("country"),
        utf8("city"),
        utf8("channel"),
        utf8("status"),
        ArrowField::new("is_return", DataType::Boolean, false),
    ];
    fields.extend(provenance_fields());
    schema_of(fields)
}

pub struct SalesConverter {
    cols: Cols,
    dates: DateParser,
    quantities: NumberParser,
    money: NumberParser,
    /// A Persian export: its ambiguous amounts are thousands (see [`NumberParser::parse_money`]).
    persian: bool,
    header_currency: Option<&'static str>,
    /// The currency the report's title rows give all amounts in, for rows that name none.
    title_currency: Option<&'static str>,
    /// Money columns whose headers name another currency than the row's, with no fixed rate
    /// between the two (see [`Converter::warnings`]).
    currency_warnings: Vec<String>,
    /// Rows whose currency cell names another currency than the amount's header, and the first
    /// of them (line, the cell's code): read in the cell's, as documented, and said in the
    /// report, as a Toman header over Rial cells is ten times apart.
    cell_over_header: (u64, Option<(u64, String)>),
    /// The one currency (and unit size) every filled cell of the currency column names, for its
    /// blank cells.
    file_currency: Option<CurrencyUnit>,
    /// Multipliers from headers such as "مبلغ (هزار تومان)" (amounts in thousands).
    price_scale: f64,
    amount_scale: f64,
    /// Those of [`crate::mapping::LayoutColumns::line_total`] and `line_discount`.
    total_scale: f64,
    discount_scale: f64,
    /// That of [`crate::mapping::LayoutColumns::item_discount`].
    item_discount_scale: f64,
    source_key: ConstantText,
    /// Source lines of sheets (or the whole file) named as returns, see [`names_returns`].
    returns_lines: Vec<std::ops::RangeInclusive<u64>>,
    b: Builders,
    months: Vec<i32>,
    stats: ConvertStats,
    schema: SchemaRef,
    /// The last date cell parsed and its instant.
    last_date: (String, DateTime<Utc>),
    layout: Layout,
    extra: crate::mapping::LayoutColumns,
    /// Statuses kept as written, for the report.
    other_statuses: super::unread::UnreadValues,
    /// The file lists invoices, which may be paid later: a due date, or document types read.
    on_credit: bool,
    /// A file keyed by phone with a name column: each name's key (its phone) as met, for its
    /// rows without a phone.
    /// None for a name met with two phones: two people, neither of whom its rows without a phone
    /// can be said to be.
    names_phones: Option<std::collections::HashMap<String, Option<String>>>,
    order: OrderCarry,
    /// An order id of digits alone has been read: the file numbers its invoices so, and a
    /// `C`-prefixed one beside them is a cancellation (see [`is_cancellation_invoice`]).
    plain_invoices: bool,
    /// The job's zone (`SEGFLOW_TIMEZONE`): a link's `signup_date` is the order's day there, as
    /// the segment job counts days.
    job_zone: chrono_tz::Tz,
    /// The header of the rows' own time-zone column, for the report.
    zone_header: Option<String>,
    /// The time-zone cells seen, with the date parser of each: a handful per file.
    zones: Vec<(String, Option<DateParser>)>,
    /// [`Layout::QuickBooks`]: the customer whose group the rows are in.
    group: Option<String>,
    /// [`Layout::ShopifyBulk`]: the `id` of the current order object, which its line items
    /// name as their `__parentId`.
    parent: String,
    document_types: DocumentTypes,
    /// [`Layout::ShopifyBulk`]: the order objects read, by `id`, for line items further down.
    bulk_orders: HashMap<String, OrderCarry>,
    /// A file keying buyers by number that also gives their email or phone: the links.
    contacts: Option<super::contacts::ContactLinks>,
    /// A file with a consent column: the refusals of rows quarantined (see [`super::refusals`]).
    refusals: Option<super::refusals::Refusals>,
}

impl SalesConverter {
    pub fn new(m: &ColumnMapping, headers: &[String], samples: &[Row<'_>], cfg: &ConvertConfig) -> Self {
        let cols = Cols {
            order_id: col(m, Field::OrderId),
            customer: KeyCols::of(m, headers, samples, cfg),
            date: col(m, Field::OrderDate),
            time: col(m, Field::OrderTime),
            time_zone: col(m, Field::TimeZone),
            product_id: col(m, Field::ProductId),
            product_name: col(m, Field::ProductName),
            category: col(m, Field::Category),
            quantity: col(m, Field::Quantity),
            unit_price: col(m, Field::UnitPrice),
            line_amount: col(m, Field::LineAmount),
            currency: col(m, Field::Currency),
            country: col(m, Field::Country),
            city: col(m, Field::City),
            channel: col(m, Field::Channel),
            status: col(m, Field::Status),
            document_type: col(m, Field::DocumentType),
            consent: ConsentCols::of(m, headers),
        };
        let hint = |c: Option<usize>| c.and_then(|c| m.currency_hints.get(c).copied().flatten());
        // The line's amount is the money that counts: where its header and the price's name
        // different currencies («فی (تومان)» beside «مبلغ (ریال)»), the amount's labels the row.
        let labelled_by = [cols.line_amount, cols.unit_price]
            .into_iter()
            .flatten()
            .find(|&c| hint(Some(c)).is_some());
        let header_currency = hint(labelled_by);
        let mut currency_warnings = Vec::new();
        // Each money column's multiplier into the row's unit: its header's ("هزار تومان"), and
        // Toman's 10 Rial where its header names the other of the two.
        let scale = |c: Option<usize>| {
            let own = c
                .and_then(|c| headers.get(c))
                .and_then(|h| crate::mapping::amount_scale_hint(h))
                .map_or(1.0, f64::from);
            own * hint(c)
                .zip(header_currency)
                .and_then(|(from, to)| fixed_rate(from, to))
                .unwrap_or(1.0)
        };
        for c in [
            cols.unit_price,
            m.layout_columns.line_total,
            m.layout_columns.line_discount,
        ]
        .into_iter()
        .flatten()
        {
            if let (Some(own), Some(row)) = (hint(Some(c)), header_currency)
                && fixed_rate(own, row).is_none()
            {
                currency_warnings.push(format!(
                    "\"{}\" names {own} and \"{}\" names {row}: the rows are labelled {row}, the \
                     currency of their amounts, and the values of \"{}\" were kept as written, in {own}",
                    crate::mapping::shown_header(&headers[c], c),
                    labelled_by.map_or_else(String::new, |a| crate::mapping::shown_header(&headers[a], a)),
                    crate::mapping::shown_header(&headers[c], c),
                ));
            }
        }
        // The file's number convention. A Persian export (Persian headers, Jalali dates) never
        // writes a decimal comma (Persian's decimal marks are `٫` and `/`): its ambiguous amounts
        // ("85,000", "125.000") are thousands, as in Toman or Rial, whatever the separator
        // (Persian Windows saves `;` with `,` grouping). Otherwise values of the money columns
        // read that can be read one way only decide ("1.234,56", "1,234.00"); without any, those
        // of other columns named as amounts ("Total" beside "Unit Price"), but not of one naming
        // a currency ("Preis USD", "Price (EUR)"): a second currency is often written in its own
        // country's way. Without any, the file's locale: a `;` separator (Excel's where the
        // decimal mark is a comma), day-first dotted dates (`05.01.2024`) or a euro sign after
        // the number (`1.200 €`) read a decimal comma ("1,799" per litre), else a dot.
        let date_col = date_parser(samples, m, cols.date, cfg, crate::values::date::earliest_event());
        let persian = date_col.is_jalali()
            || headers
                .iter()
                .any(|h| h.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)));
        let read_money: Vec<usize> = [cols.unit_price, cols.line_amount]
            .into_iter()
            .chain(m.layout_columns.money())
            .flatten()
            .collect();
        let other_money = (0..headers.len()).filter(|&i| {
            m.columns.get(i).is_some_and(|f| f.is_none())
                && !read_money.contains(&i)
                && crate::mapping::names_money(&headers[i])
                && crate::mapping::currency_hint(&headers[i]).is_none()
        });
        let money_evidence = MarkEvidence::of(read_money.iter().flat_map(|&c| samples_of(samples, Some(c))))
            .decided()
            .or_else(|| MarkEvidence::of(other_money.flat_map(|c| samples_of(samples, Some(c)))).decided());
        let comma_locale = cfg.semicolon_separated
            || samples_of(samples, cols.date).take(20).any(dotted_day_first)
            || read_money
                .iter()
                .flat_map(|&c| samples_of(samples, Some(c)).take(20))
                .any(|v| v.trim_end().ends_with('€') && !v.trim_start().starts_with('€'));
        let locale_mark = if comma_locale {
            DecimalMark::Comma
        } else {
            DecimalMark::Dot
        };
        let money = NumberParser::new(if persian {
            DecimalMark::Dot
        } else {
            money_evidence.unwrap_or(locale_mark)
        });
        // Quantities have their own evidence first (a weight of 0.5 kg), else the money's, else
        // the locale's ("1,500" kg in a `;` export).
        let quantities = NumberParser::new(if persian {
            DecimalMark::Dot
        } else {
            MarkEvidence::of(samples_of(samples, cols.quantity))
                .decided()
                .or(money_evidence)
                .unwrap_or(locale_mark)
        });
        // A currency column that names one currency wherever it is filled speaks for its blanks
        // too (exports leave it empty on some rows); with two currencies, a blank says nothing.
        let named: Vec<CurrencyUnit> = samples_of(samples, cols.currency)
            .filter_map(normalize_currency)
            .collect();
        // Without a currency column, header or title, amounts whose cells name one currency
        // («۱٬۲۵۰٬۰۰۰ تومان», "12,50 €") speak for the column's bare numbers as a currency
        // column does for its blanks.
        let in_cells = || -> Option<CurrencyUnit> {
            if cols.currency.is_some() || header_currency.is_some() || cfg.title_currency.is_some() {
                return None;
            }
            let codes: Vec<&'static str> = samples_of(samples, cols.line_amount)
                .chain(samples_of(samples, cols.unit_price))
                .filter_map(|v| money.parse(v).ok().flatten()?.currency)
                .collect();
            let first = *codes.first()?;
            codes.iter().all(|c| *c == first).then_some(CurrencyUnit {
                code: Cow::Borrowed(first),
                scale: 1,
            })
        };
        let file_currency = named
            .first()
            .filter(|first| named.iter().all(|c| c == *first))
            .cloned()
            .or_else(in_cells);
        let b = Builders::new(&cols, &m.layout_columns);
        // Only a file keyed by phone: with an id or an email column, a row without them is a
        // guest's, as the key rule says.
        let names_phones = (m.layout_columns.customer_name.is_some()
            && cols.customer.phone.is_some()
            && cols.customer.id.is_none()
            && cols.customer.email.is_none())
        .then(std::collections::HashMap::new);
        let bare_type = cols
            .document_type
            .and_then(|c| headers.get(c))
            .is_some_and(|h| crate::mapping::normalize_header(h) == "نوع");
        let mut document_types =
            DocumentTypes::infer(m.layout, samples_of(samples, cols.document_type), bare_type);
        // The file marks invoices cancelled in their status ("Storniert"), not only paid or
        // open: there a cancellation invoice takes nothing off (see `DocumentTypes`).
        document_types.status_cancels = samples_of(samples, cols.status).any(cancelled_invoice);
        // An invoice number beside an order number (a shop's invoicing plugin) says nothing.
        let of_orders = headers.iter().any(|h| {
            let h = crate::mapping::normalize_header(h);
            ["order", "bestell", "commande", "سفارش"]
                .iter()
                .any(|w| h.contains(w))
        });
        let on_credit = document_types.read
            || headers
                .iter()
                .any(|h| lists_invoices(h) && (!of_orders || is_due_date(h)));
        let zone_header = cols
            .time_zone
            .and_then(|c| Some(crate::mapping::shown_header(headers.get(c)?, c)));
        let k = &cols.customer;
        // Two of id, email and phone: rows keyed by one may give another; or a consent column.
        let keys = [k.id.filter(|_| !k.named), k.email, k.phone];
        let contacts = (keys.iter().flatten().count() >= 2 || cols.consent.is_some())
            .then(super::contacts::ContactLinks::new);
        let refusals = cols.consent.is_some().then(super::refusals::Refusals::new);
        SalesConverter {
            b,
            price_scale: scale(cols.unit_price),
            amount_scale: scale(cols.line_amount),
            total_scale: scale(m.layout_columns.line_total),
            discount_scale: scale(m.layout_columns.line_discount),
            item_discount_scale: scale(m.layout_columns.item_discount),
            dates: date_col,
            quantities,
            money,
            persian,
            cols,
            header_currency,
            file_currency,
            source_key: ConstantText::new(&cfg.source_key),
            returns_lines: cfg.returns_lines.clone(),
            months: Vec::new(),
            stats: ConvertStats {
                returns: Some(0),
                guest_rows: Some(0),
                ..Default::default()
            },
            schema: sales_schema(),
            last_date: (String::new(), DateTime::<Utc>::MIN_UTC),
            layout: m.layout,
            extra: m.layout_columns,
            other_statuses: Default::default(),
            names_phones,
            title_currency: cfg.title_currency,
            currency_warnings,
            cell_over_header: (0, None),
            on_credit,
            order: OrderCarry::default(),
            plain_invoices: false,
            job_zone: cfg.timezone,
            zone_header,
            zones: Vec::new(),
            group: None,
            parent: String::new(),
            document_types,
            bulk_orders: HashMap::new(),
            contacts,
            refusals,
        }
    }

    /// The key a quarantined row's refusal is kept under: the buyer's own number, else its
    /// email or mobile, as a written row links them (see [`super::contacts`]). None for a
    /// file keyed by names, and for the walk-in account and guest number `0` without an
    /// address: a name, a heading or everyone's account is no one who can refuse.
    fn own_key<'a>(&self, rec: &Row<'a>) -> Option<Cow<'a, str>> {
        let k = &self.cols.customer;
        if k.named {
            return None;
        }
        let own_id = id_value(cell(rec, k.id));
        let walk_in = own_id.as_deref().is_some_and(crate::values::text::names_walk_in)
            || self.extra.customer_name.is_some_and(|i| {
                !cell(rec, k.id).is_empty() && crate::values::text::names_walk_in(cell(rec, Some(i)))
            });
        match own_id {
            _ if walk_in => contact_key(rec, k),
            Some(id) if id == "0" => contact_key(rec, k),
            Some(id) => Some(id),
            None => customer_key(rec, k),
        }
    }

    /// The refusal a row carries in a file with a consent column: whether its consent cell could
    /// not be read (which counts as a refusal), and, when it refuses, the key it is kept under with
    /// the row's email and mobile in their key forms.
    #[allow(clippy::type_complexity)]
    fn refusal<'a>(
        &self,
        rec: &Row<'a>,
    ) -> (
        bool,
        Option<(Cow<'a, str>, Option<Cow<'a, str>>, Option<Cow<'a, str>>)>,
    ) {
        if self.refusals.is_none() {
            return (false, None);
        }
        let (refused, unclear) = match self.cols.consent.read(rec) {
            Ok(consent) => (consent == Some(false), false),
            Err(_) => (true, true),
        };
        if !refused {
            return (unclear, None);
        }
        let c = &self.cols.customer;
        let found = self
            .own_key(rec)
            .map(|key| (key, email_value(cell(rec, c.email)), c.phone_key(rec)));
        (unclear, found)
    }

    /// A money cell; `iranian`: the row is in Toman or Rial (see [`NumberParser::parse_money`]).
    // Inlined: a parsed number returned through memory and copied on, padding and all, stalled
    // on every row (about 4 % of an ingest's CPU in the profile).
    #[inline(always)]
    fn money(
        &self,
        rec: &Row<'_>,
        c: Option<usize>,
        iranian: bool,
    ) -> Result<Option<crate::values::ParsedNumber>, RowReject> {
        self.money
            .parse_money(cell(rec, c), iranian)
            .map_err(|_| RowReject::at("bad_number", c))
    }

    /// A row's line discount cell (see [`crate::mapping::LayoutColumns::line_discount`]), and
    /// whether it is a percent: the header or the cell says so ("10%").
    fn line_discount(
        &self,
        rec: &Row<'_>,
        iranian: bool,
    ) -> Result<Option<(crate::values::ParsedNumber, bool)>, RowReject> {
        let raw = cell(rec, self.extra.line_discount).trim();
        // "10%", "%10", «۱۰٪» (the Persian percent sign).
        const PERCENT: [char; 2] = ['%', '٪'];
        let percent = self.extra.discount_percent || raw.starts_with(PERCENT) || raw.ends_with(PERCENT);
        Ok(self
            .money
            .parse_money(raw.trim_matches(PERCENT).trim(), iranian)
            .map_err(|_| RowReject::at("bad_number", self.extra.line_discount))?
            .map(|d| (d, percent)))
    }

    /// The currency a row's amounts are in unless a cell names its own: the currency cell, else
    /// the header's, else the one the column names everywhere else in the file, else that of the
    /// same order's earlier line (Shopify fills only an order's first line).
    /// `in_order`: the row names its order (which `push` has made the current one).
    fn row_unit(&self, currency_cell: &str, in_order: bool) -> Option<CurrencyUnit> {
        if let Some(unit) = normalize_currency(currency_cell) {
            return Some(unit);
        }
        if let Some(code) = self.header_currency {
            // Scale 1: the header's own multiplier is applied as `price_scale`/`amount_scale`.
            return Some(CurrencyUnit {
                code: Cow::Borrowed(code),
                scale: 1,
            });
        }
        if self.file_currency.is_some() {
            return self.file_currency.clone();
        }
        if let Some(code) = self.title_currency {
            return Some(CurrencyUnit {
                code: Cow::Borrowed(code),
                scale: 1,
            });
        }
        self.order.currency.clone().filter(|_| in_order)
    }

    /// Why a row of the file's layout is not an order line, if it is not: Lightspeed's "Sale"
    /// row (the receipt's customer, status and total) and "Payment" rows; eBay's summary row of an
    /// order of several items (buyer and total, no item). The lines follow with the items.
    fn not_a_line(&self, rec: &Row<'_>) -> Option<&'static str> {
        let c = &self.cols;
        match self.layout {
            Layout::Lightspeed => match Key::new(cell(rec, self.extra.line_type))?.as_str() {
                "sale" => Some(ORDER_SUMMARY),
                "payment" => Some(PAYMENT_ROW),
                _ => None,
            },
            // A group's heading (the customer) or its "Total for …" row: nothing else filled.
            Layout::QuickBooks => {
                let label = text(rec, self.extra.group)?;
                ((1..rec.len()).all(|i| text(rec, Some(i)).is_none()) || group_total(label))
                    .then_some(GROUP_ROW)
            }
            // The order object; its line items follow.
            Layout::ShopifyBulk => cell(rec, self.extra.parent_id)
                .is_empty()
                .then_some(ORDER_SUMMARY),
            // No item (neither the seller's SKU nor a title) and no price: the order's own row.
            Layout::Ebay => (!cell(rec, c.order_id).is_empty()
                && cell(rec, c.product_id).is_empty()
                && cell(rec, c.product_name).is_empty()
                && cell(rec, c.unit_price).is_empty())
            .then_some(ORDER_SUMMARY),
            _ => None,
        }
    }

    /// The date parser for a row's own time-zone cell (an index into `zones`), `None` when the
    /// row has none. A zone no one can place rejects the row: its hour is unknown.
    fn row_zone(&mut self, rec: &Row<'_>) -> Result<Option<usize>, RowReject> {
        let raw = cell(rec, self.cols.time_zone);
        if crate::values::is_null_marker(raw) {
            return Ok(None);
        }
        let i = match self.zones.iter().position(|(z, _)| z == raw) {
            Some(i) => i,
            None => {
                // A file names a few zones; a column of anything else must not grow without
                // bound. Unplaceable ones are kept too, so as not to be looked up again.
                if self.zones.len() >= 64 {
                    self.zones.pop();
                }
                let parser = crate::values::date::row_zone(raw).map(|zone| self.dates.in_zone(zone));
                self.zones.push((raw.to_string(), parser));
                self.zones.len() - 1
            }
        };
        match self.zones[i].1 {
            Some(_) => Ok(Some(i)),
            None => Err(RowReject::at("bad_time_zone", self.cols.time_zone)),
        }
    }

    /// A status cell as this layout means it: Magento's "Closed" is an order refunded by a
    /// credit memo.
    fn status(&self, raw: &str) -> (String, bool) {
        if self.layout == Layout::Magento && Key::new(raw).is_some_and(|k| k.as_str() == "closed") {
            return ("refunded".to_string(), true);
        }
        normalize_status(raw)
    }

    /// A return line the JSON reader made of an order's nested refund: its refunded quantity
    /// and, where the refund gives it, amount (as counts, whatever sign the export used).
    #[inline]
    fn refund_line(&self, rec: &Row<'_>) -> Result<Option<(f64, Option<f64>)>, RowReject> {
        // Only the JSON reader's refund lines have the column: every other row returns here.
        if self.extra.refund_quantity.is_none() {
            return Ok(None);
        }
        let number = |col: Option<usize>| {
            let raw = cell(rec, col).trim();
            if raw.is_empty() {
                return Ok(None);
            }
            match raw.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(Some(n.abs())),
                _ => Err(RowReject::at("bad_number", col)),
            }
        };
        let Some(quantity) = number(self.extra.refund_quantity)? else {
            return Ok(None);
        };
        Ok(Some((quantity, number(self.extra.refund_amount)?)))
    }

    /// Etsy fills an order's "Adjusted Order Total" only when it refunds some of it: whether
    /// the refund was whole (an adjusted total of 0), else partial (below the order total).
    fn etsy_refund(&self, rec: &Row<'_>) -> Option<bool> {
        let adjusted = self
            .money
            .parse(cell(rec, self.extra.adjusted_total))
            .ok()??
            .value;
        if adjusted == 0.0 {
            return Some(true);
        }
        let total = self.money.parse(cell(rec, self.extra.order_total)).ok().flatten();
        // The adjusted total may leave out the sales tax Etsy collects itself.
        let tax = self.money.parse(cell(rec, self.extra.sales_tax)).ok().flatten();
        let kept = total.map(|t| t.value - tax.map_or(0.0, |t| t.value));
        kept.is_none_or(|k| adjusted < k).then_some(false)
    }

    /// Keeps an order's cells from its summary row for the lines that follow it, or a group's
    /// customer from its heading. Why the row is bad, if its order's date is (Shopify's bulk
    /// order object: its line items have no date of their own).
    fn carry_summary(&mut self, rec: &Row<'_>) -> Option<RowReject> {
        if self.extra.group.is_some() {
            let label = text(rec, self.extra.group).unwrap_or_default();
            self.group = match self.extra.group_field {
                _ if group_total(label) => None,
                // A heading names the customer as a name column does: keyed alike, so that this
                // report and one with a customer column (Sales by Product/Service Detail) give one
                // customer.
                Some(Field::CustomerId) => crate::values::name_key(label).map(Cow::into_owned),
                Some(_) => Some(label.to_string()),
                None => None,
            };
            return None;
        }
        let c = &self.cols;
        let order_id = id_value(cell(rec, c.order_id))?;
        let customer =
            customer_key(rec, &c.customer).or_else(|| email_value(cell(rec, self.extra.alt_email)));
        let status = text(rec, c.status).map(|t| self.status(t));
        self.order.enter(&order_id);
        if let Some(customer) = customer {
            self.order.keep_customer(&customer);
        }
        if status.is_some() {
            self.order.status = status;
        }
        if self.layout == Layout::ShopifyBulk {
            self.parent.clear();
            self.parent.push_str(cell(rec, self.extra.object_id));
            self.order.ts = match self.dates.parse(cell(rec, c.date)) {
                Ok(Some(ts)) => Some(ts),
                Ok(None) => return Some(RowReject::at("missing_date", c.date)),
                Err(e) => return Some(RowReject::at(e.code(), c.date)),
            };
            self.order.currency = normalize_currency(cell(rec, c.currency));
            // Shopify does not promise a line item comes right after its order.
            if self.bulk_orders.len() >= BULK_ORDERS_KEPT {
                self.bulk_orders.clear();
            }
            self.bulk_orders.insert(self.parent.clone(), self.order.clone());
        }
        None
    }

    /// [`Layout::ShopifyBulk`]: makes the order object a line item names its current order.
    fn enter_bulk_parent(&mut self, rec: &Row<'_>) -> bool {
        let parent = cell(rec, self.extra.parent_id);
        if parent.is_empty() {
            return false;
        }
        if same_text(parent, &self.parent) {
            return true;
        }
        let Some(o) = self.bulk_orders.get(parent) else {
            return false;
        };
        self.order.clone_from(o);
        self.parent.clear();
        self.parent.push_str(parent);
        true
    }
}

/// Canonical status values; anything else is kept lower-cased as written. Statuses are looked up
/// by their vocabulary key (see [`Key`]): case, spaces, ZWNJ, hyphens and underscores, Arabic
/// yeh/kaf and alef forms and Persian digits do not matter, so "لغو‌شده" (ZWNJ), "لغو شده" and
/// "لغوشده", or "تحويل شده" (Arabic yeh) and "تحویل شده", need one entry each.
pub fn normalize_status(raw: &str) -> (String, bool) {
    let trimmed = crate::values::trim_value(raw);
    let canon = status_word(trimmed).or_else(|| {
        // "لغو شده توسط مشتری", "Cancelled by customer": who did it does not change what happened.
        let head = before_agent(trimmed)?;
        status_word(head)
    });
    match canon {
        Some(canon) => (
            canon.to_string(),
            matches!(canon, "cancelled" | "unpaid" | "refunded" | "returned"),
        ),
        None => (trimmed.to_lowercase(), false),
    }
}

/// Whether a sheet or file name says it lists returns ("Returns", "Sales Return Register",
/// "Return orders", "Returned items", "برگشت از فروش ۱۴۰۲", «برگشت کالا», "Retouren_Nov",
/// "مرجوعی‌ها"). Its leading words, after an optional "sales" or "customer", are a noun for return
/// transactions ("returns", "refunds", «مرجوعی»), or "return"/"returned"/«برگشت» followed by what
/// was returned or the register it is kept in ("orders", "items", "goods", "register", «کالا»);
/// and no word after "and" names orders or sales ("Returns and orders" is both). Such lists often
/// give the returned quantity as a positive number, which read as it stands counts every return
/// as one more sale. "Return ticket sales", "Refunded orders" and "Returning customers" list
/// sales.
pub fn names_returns(name: &str) -> bool {
    let words: Vec<String> = name
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(|w| Key::new(w).map(|k| k.as_str().to_string()).unwrap_or_default())
        .collect();
    // A bare "Return" after "Sales" or "Customer" is a returns list ("Sales Return.xlsx").
    let sales_prefix = matches!(
        words.first().map(String::as_str),
        Some("sales" | "sale" | "customer" | "customers")
    );
    let words = match words.first().map(String::as_str) {
        Some(
            "sales" | "sale" | "customer" | "customers" | "order" | "orders" | "shopify" | "woocommerce"
            | "فاکتور" | "invoice" | "report" | "list" | "گزارش" | "لیست" | "فهرست",
        ) => &words[1..],
        _ => &words[..],
    };
    let word = |i: usize| words.get(i).map_or("", String::as_str);
    let noun = (1..=words.len().min(3)).find(|&n| {
        matches!(
            words[..n].concat().as_str(),
            "returns"
                | "refunds"
                | "creditnote"
                | "creditnotes"
                | "retouren"
                | "rücksendungen"
                | "erstattungen"
                | "gutschriften"
                | "مرجوعی"
                | "مرجوعیها"
                | "مرجوعات"
                | "برگشتی"
                | "برگشتیها"
                | "برگشتازفروش"
        )
    });
    // "Sales Return", "Return orders", "Returned items", «برگشت کالا»: a return of something.
    let goods = |w: &str| {
        matches!(
            w,
            "order"
                | "orders"
                | "item"
                | "items"
                | "goods"
                | "products"
                | "register"
                | "voucher"
                | "vouchers"
                | "note"
                | "notes"
                | "merchandise"
                | "کالا"
                | "کالاها"
                | "اجناس"
                | "سفارش"
                | "سفارشات"
                | "فروش"
        )
    };
    let return_word = matches!(word(0), "return" | "returned" | "برگشت" | "برگشتی");
    let of_goods = if return_word && goods(word(1)) {
        Some(2)
    } else if return_word && sales_prefix {
        Some(1)
    } else {
        None
    };
    let leading = noun.or(of_goods);
    leading.is_some_and(|n| {
        // A later word naming orders or sales is a second kind of row ("Returns & Orders",
        // "Returns by order", "Returns 2023 sales"), and rates, policies and statuses are
        // reports about returns, not lists of them.
        !words[n..].iter().any(|w| {
            matches!(
                w.as_str(),
                "order"
                    | "orders"
                    | "sales"
                    | "sale"
                    | "bestellungen"
                    | "exchanges"
                    | "فروش"
                    | "سفارش"
                    | "سفارشات"
                    | "سفارشها"
                    | "rate"
                    | "rates"
                    | "policy"
                    | "status"
            )
        })
    })
}

/// The canonical status of a whole cell, by its vocabulary key.
/// A fulfilment status saying the goods left the shop, wholly or in part: `Fulfilled`,
/// `Partially fulfilled`, `Shipped`, `Delivered`, `In transit`, `Versendet`, `Expédiée`,
/// «ارسال شد», «ارسال شده به پست», «تحویل داده شد». Not `Unfulfilled`, `Not shipped`,
/// «ارسال نشده», «در انتظار ارسال», `Ready for pickup`.
fn handed_over(s: &str) -> bool {
    let Some(key) = Key::new(s) else {
        return false;
    };
    let k = key.as_str();
    // "Delivery failed", "Shipped back", «به پست تحویل نشد», «برگشت خورد»: the goods did not
    // stay with the buyer.
    if ["fail", "back", "return", "نشد", "برگشت", "مرجوع"]
        .iter()
        .any(|w| k.contains(w))
    {
        return false;
    }
    let k = k.strip_prefix("partially").unwrap_or(k);
    [
        "fulfilled",
        "shipped",
        "delivered",
        "intransit",
        "pickedup",
        "collected",
    ]
    .iter()
    .any(|w| k.starts_with(w))
        || [
            "versendet",
            "verschickt",
            "geliefert",
            "zugestellt",
            "teilweiseversendet",
            "expédié",
            "livré",
            "ارسالشد",
            "ارسالگردید",
            "تحویلشد",
            "تحویلدادهشد",
            "تحویلپستشد",
            "بهپستتحویل",
            "تحویلمشتری",
        ]
        .iter()
        .any(|w| k.starts_with(w))
}

/// A status saying an invoice was cancelled (by a cancellation invoice, as German invoicing
/// does: "Storniert"), not one that never was a sale for another reason (a draft, a quote, a
/// failed payment), which the same canonical `cancelled` also covers.
fn cancelled_invoice(s: &str) -> bool {
    Key::new(s).is_some_and(|k| {
        matches!(
            k.as_str(),
            "storniert"
                | "storno"
                | "cancelled"
                | "canceled"
                | "void"
                | "voided"
                | "annulliert"
                | "annulée"
                | "annulé"
                | "annulee"
                | "annule"
                | "ابطال"
                | "ابطالشده"
                | "باطلشده"
        )
    })
}

fn status_word(s: &str) -> Option<&'static str> {
    let key = Key::new(s)?;
    // WooCommerce's database slugs ("wc-refunded") are its statuses with a prefix.
    let key = key.as_str();
    // Its "pending" is "Pending payment".
    if key == "wcpending" {
        return Some("unpaid");
    }
    let key = key.strip_prefix("wc").filter(|k| !k.is_empty()).unwrap_or(key);
    Some(match key {
        // A failed payment is an order that never happened, as a cancelled one: WooCommerce
        // exports both, and counting "failed" as a sale adds revenue no one paid.
        "cancelled"
        | "canceled"
        | "cancel"
        | "void"
        | "voided"
        | "storniert"
        | "storno"
        | "annulliert"
        | "failed"
        | "paymentfailed"
        // A declined payment, a quotation or a draft is no sale either.
        | "declined"
        | "paymentdeclined"
        | "quote"
        | "quotation"
        | "quotationsent"
        | "draft"
        | "لغوگردید"
        // «لغو سفارش», «سفارش لغو شد»: the order cancelled.
        | "لغوسفارش"
        | "سفارشلغوشد"
        | "سفارشلغوشده"
        | "fehlgeschlagen"
        | "لغو"
        | "لغوشده"
        | "لغوشد"
        | "ابطال"
        | "ابطالشده"
        | "ابطالشد"
        | "باطل"
        | "باطلشده"
        | "کنسل"
        | "کنسلشده"
        | "کنسلشد"
        | "ناموفق"
        | "پرداختناموفق"
        | "annulée"
        | "annulé"
        | "annulee"
        | "annule"
        | "échouée"
        | "échec"
        // Rejected by the shop or, in a returns list, a return the shop refused.
        | "rejected"
        | "abgelehnt"
        | "refusée"
        | "ردشده"
        | "ردشد"
        | "rejeté"
        | "rejete"
        | "rejetée"
        | "paymenterror"
        // Shopware's cancelled state, a draft, a payment error.
        | "abgebrochen"
        | "entwurf"
        | "erreurdepaiement"
        | "پیشنویس"
        // IDPay's transaction states, as its panel and API word them.
        | "پرداختناموفقبودهاست"
        | "خطارخدادهاست" => "cancelled",
        "refunded"
        | "refund"
        | "erstattet"
        | "rückerstattet"
        | "zurückerstattet"
        | "مسترد"
        | "مستردشده"
        | "مستردشد"
        | "بازپرداخت"
        | "بازپرداختشده"
        | "بازگشتوجه"
        | "بازگشتوجهشده"
        | "بازگشتوجهانجامشد"
        | "استرداد"
        | "استردادوجه"
        | "استردادشده"
        | "عودتوجه"
        // A gateway's payment sent back to the payer.
        | "برگشتبهپرداختکننده"
        | "برگشتخوردهسیستمی"
        | "بازگشتدادهشده"
        | "remboursée"
        | "remboursé"
        | "remboursee"
        | "rembourse" => "refunded",
        // "برگشت از فروش" is the accounting term for a sales return.
        "returned"
        | "return"
        | "retoure"
        | "zurückgesendet"
        | "retourniert"
        | "zurückgegeben"
        | "مرجوع"
        | "مرجوعی"
        | "مرجوعشده"
        | "مرجوعشد"
        | "عودت"
        | "عودتشده"
        // «عودت داده شد», «برگشت داده شد»: the goods given back.
        | "عودتدادهشد"
        | "عودتدادهشده"
        | "برگشتدادهشد"
        | "برگشتدادهشده"
        | "برگشتازفروش"
        | "برگشتی"
        | "برگشتشده"
        | "retournée"
        | "retourné"
        | "retournee"
        | "retourne" => "returned",
        "paid"
        | "bezahlt"
        | "پرداختشده"
        | "پرداختشد"
        | "پرداختگردید"
        | "موفق"
        | "پرداختموفق"
        | "تاییدشده"
        | "پرداختتاییدشده"
        | "پرداختتاییدشدهاست"
        | "پرداختقبلاتاییدشدهاست"
        | "بهدریافتکنندهواریزشد"
        | "واریزشد"
        | "payée"
        | "payé"
        | "payee"
        | "paye" => "paid",
        // No money came: a payment awaited (WooCommerce's "Pending payment", most often a
        // gateway payment the buyer never finished), abandoned or not yet confirmed. Counted as
        // a purchase it adds revenue no one paid; the paid retry is usually the next order.
        // A bare "pending" (Shopify's manual payments, "processing") says not so much.
        "pendingpayment"
        | "awaitingpayment"
        | "unpaid"
        | "notpaid"
        | "abandoned"
        | "درانتظارپرداخت"
        | "پرداختنشده"
        | "انصرافازپرداخت"
        | "درانتظارتاییدپرداخت"
        | "پرداختانجامنشدهاست"
        | "بهدرگاهپرداختمنتقلشد"
        | "بلوکهشده"
        | "enattentedepaiement"
        | "nonpayée"
        | "impayée"
        | "impayee"
        | "unbezahlt"
        | "nichtbezahlt"
        | "zahlungausstehend"
        | "ausstehendezahlung"
        | "notpaidyet"
        // PrestaShop's French "awaiting bank wire / cheque payment".
        | "enattentedepaiementparvirementbancaire"
        | "enattentedepaiementparchèque"
        | "enattentedepaiementparcheque"
        // PrestaShop's payments awaited by wire or cheque.
        | "awaitingbankwirepayment"
        | "awaitingcheckpayment" => "unpaid",
        // A denied payment never happened; a reversed one went back (PayPal).
        "denied" => "cancelled",
        "reversed" => "refunded",
        // Part of the order went back, not this line: which part the export does not say.
        "partiallyrefunded"
        | "rembourséepartiellement"
        | "remboursépartiellement"
        | "partiellementremboursé"
        | "partiellementremboursée"
        | "teilweiseerstattet"
        | "teilerstattet" => "partially_refunded",
        "completed"
        | "complete"
        | "fulfilled"
        | "delivered"
        | "abgeschlossen"
        | "geliefert"
        | "تکمیلشده"
        | "تحویلشده"
        | "تحویلدادهشده"
        | "ارسالشده"
        | "livrée"
        | "livré"
        | "expédiée"
        | "expédié"
        | "terminée"
        | "terminé" => "completed",
        // WooCommerce's Persian translation says "in progress" and "awaiting review" for
        // processing and on-hold.
        "pending"
        | "processing"
        | "onhold"
        | "offen"
        | "درانتظار"
        | "درحالپردازش"
        | "درانتظارارسال"
        | "درحالانجام"
        | "درانتظاربررسی"
        | "enattente"
        | "encours" => "pending",
        _ => return None,
    })
}

/// What [`normalize_status`] reads statuses as; any other is kept as written (lower-cased).
const CANONICAL_STATUSES: [&str; 8] = [
    "paid",
    "completed",
    "pending",
    "cancelled",
    "unpaid",
    "refunded",
    "partially_refunded",
    "returned",
];

/// A header of a file of invoices, which may be paid after they are sent: a due date, or the
/// invoice's number or date (Xero's "Awaiting Payment" is an invoice approved and sent). Headers
/// are compared folded (`Fälligkeitsdatum` as `faelligkeitsdatum`).
fn lists_invoices(header: &str) -> bool {
    is_due_date(header)
        || matches!(
            crate::mapping::normalize_header(header).as_str(),
            "invoicenumber"
                | "invoiceno"
                | "invoiceid"
                | "invoicedate"
                | "rechnungsnummer"
                | "rechnungsnr"
                | "rechnungsdatum"
                | "numerodefacture"
                | "nodefacture"
                | "ndefacture"
                | "numerofacture"
                | "datedefacture"
                | "datefacture"
        )
}

/// A due date's header: an invoice payable later.
fn is_due_date(header: &str) -> bool {
    matches!(
        crate::mapping::normalize_header(header).as_str(),
        "duedate"
            | "paymentdue"
            | "faelligkeitsdatum"
            | "faelligam"
            | "faelligkeit"
            | "zahlbarbis"
            | "echeance"
            | "dateecheance"
            | "datedecheance"
            | "سررسید"
            | "تاریخسررسید"
    )
}

/// Names remembered with their phone keys in one file; past that, a name without its phone is
/// keyed by the name.
const NAMES_PHONES_KEPT: usize = 100_000;

/// A status under which an order never counted: cancelled, or never paid.
pub(crate) fn never_happened(status: &str) -> bool {
    matches!(status, "cancelled" | "unpaid")
}

/// A QuickBooks group's closing row: "Total for Amy's Bird Sanctuary", or the report's "TOTAL"
/// (a customer called "Total Care Clinic" is a heading).
fn group_total(label: &str) -> bool {
    let label = label.trim();
    label.eq_ignore_ascii_case("total")
        || label
            .get(..10)
            .is_some_and(|head| head.eq_ignore_ascii_case("total for "))
}

/// A product cell that labels a totals row ("Total", "Summe", «جمع کل»), not a product. In
/// Persian the word «جمع» or «مجموع» first says it, whatever follows («جمع کل فروش روز»).
/// A date written day first with dots, as German, Austrian and Eastern European exports do
/// (`05.01.2024`, `5.1.24`): the locale writes a decimal comma.
fn dotted_day_first(v: &str) -> bool {
    let mut parts = v.trim().split(' ').next().unwrap_or("").split('.');
    let (Some(d), Some(m), Some(y)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    parts.next().is_none()
        && digits(d, 1..=2)
        && digits(m, 1..=2)
        && (y.len() == 2 || y.len() == 4)
        && digits(y, 2..=4)
}

pub(crate) fn is_total_label(s: &str) -> bool {
    let s = s.trim();
    let mut words = s.split_whitespace().map(|w| w.trim_end_matches(':'));
    if matches!(words.next(), Some("جمع" | "مجموع"))
        && matches!(
            words.next(),
            None | Some(
                "کل" | "فاکتور"
                    | "فروش"
                    | "روز"
                    | "دوره"
                    | "نهایی"
                    | "اقلام"
                    | "سفارش"
                    | "دریافت"
                    | "پرداخت"
                    | "مبلغ"
            )
        )
    {
        return true;
    }
    Key::new(s.trim_end_matches(':')).is_some_and(|k| {
        matches!(
            k.as_str(),
            "total"
                | "totals"
                | "grandtotal"
                | "subtotal"
                | "sum"
                | "summe"
                | "gesamt"
                | "gesamtsumme"
                | "جمع"
                | "جمعکل"
                | "جمعفاکتور"
                | "جمعکلفاکتور"
                | "مجموع"
                // Count footers ("Row count: 2", «تعداد ردیف: ۲») close an export as totals do.
                | "rowcount"
                | "recordcount"
                | "totalrows"
                | "totalrecords"
                | "numberofrows"
                | "numberofrecords"
                | "anzahlzeilen"
                | "anzahldatensätze"
                | "تعدادردیف"
                | "تعدادرکورد"
                | "تعدادسطر"
        )
    })
}

/// A product that is a discount on its order ("Discount", "Coupon SUMMER10", "Rabatt 10 %",
/// «تخفیف», «کد تخفیف»): its first word says so. Such a line is one only at a negative price
/// (or without one): a positive price with a negative amount is a return of what was bought. At
/// a negative price (`priced`) a voucher or promotion code is one too ("Voucher WELCOME",
/// "Gutschein SOMMER10", «کوپن تخفیف»): no product sells below nothing; without a price, "Promo
/// Pack" may be a product returned.
fn names_a_discount(s: &str, priced: bool) -> bool {
    let mut words = s
        .split(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | '_' | '(' | '\u{200c}'))
        .filter(|w| !w.is_empty())
        .map(Key::new);
    let (Some(Some(first)), second) = (words.next(), words.next().flatten()) else {
        return false;
    };
    let first = first.as_str();
    matches!(
        first,
        "discount" | "discounts" | "coupon" | "rabatt" | "remise" | "réduction" | "تخفیف"
    ) || (matches!(first, "کد" | "بن") && second.is_some_and(|w| w.as_str() == "تخفیف"))
        || (priced && matches!(first, "voucher" | "promo" | "promotion" | "gutschein" | "کوپن"))
}

/// A till's tender («پرداخت نقدی», «کارتخوان», «بازپرداخت نقدی», "Cash payment").
fn names_a_payment(s: &str) -> bool {
    // The whole name, but for what follows a colon ("Tender: Visa"): "Chicken Tenders", "Down
    // payment" and "Payment Card Holder" are products.
    let name = s.split(':').next().unwrap_or(s);
    Key::new(name).is_some_and(|k| {
        matches!(
            k.as_str(),
            "payment"
                | "cashpayment"
                | "cardpayment"
                | "creditcardpayment"
                | "tender"
                | "پرداخت"
                | "پرداختنقدی"
                | "پرداختکارتی"
                | "پرداختباکارت"
                | "پرداختباکارتخوان"
                | "پرداختکارتخوان"
                | "بازپرداخت"
                | "بازپرداختنقدی"
                | "کارتخوان"
        )
    })
}

/// The words before "توسط" / "by" / "von" (who did it), when the cell has such a qualifier.
fn before_agent(s: &str) -> Option<&str> {
    let mut words = s.split_whitespace();
    // The first word is the status itself, never the agent marker.
    words.next()?;
    let marker = words.find(|w| ["by", "von"].iter().any(|m| w.eq_ignore_ascii_case(m)) || *w == "توسط")?;
    // `marker` is a subslice of `s`, so its offset is where the qualifier starts.
    let at = marker.as_ptr() as usize - s.as_ptr() as usize;
    Some(s[..at].trim_end())
}

/// What a currency cell says: the code, and the unit size its amounts are counted in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyUnit {
    pub code: Cow<'static, str>,
    /// 1000 for "IRHT" (Persian WooCommerce's thousand-Toman code) or "هزار تومان".
    pub scale: u32,
}

/// Currency column values to ISO-ish codes; Toman has no ISO code and is written IRT as Iranian
/// shops and payment providers do. Words beyond the common codes and signs are read with the
/// header-unit vocabulary ([`crate::mapping::currency_word_hint`]), so "تومان ایران", "ت" and
/// "ریال ایران" are Toman and Rial, and "هزار تومان" or "IRHT" carry their × 1000 as a header
/// would. Other values are kept upper-cased ("R$" stays "R$": its "$" is no US dollar).
pub fn normalize_currency(raw: &str) -> Option<CurrencyUnit> {
    let t = raw.trim();
    // A null marker ("N/A", "-") names no currency: the row takes the header's or the file's.
    if crate::values::is_null_marker(t) {
        return None;
    }
    let plain = |code: Cow<'static, str>| Some(CurrencyUnit { code, scale: 1 });
    // Most exports repeat one ISO code on every row: no allocation for those.
    if t.len() == 3 && t.bytes().all(|b| b.is_ascii_uppercase()) {
        return plain(match t {
            "USD" => Cow::Borrowed("USD"),
            "EUR" => Cow::Borrowed("EUR"),
            "GBP" => Cow::Borrowed("GBP"),
            "IRR" => Cow::Borrowed("IRR"),
            "IRT" => Cow::Borrowed("IRT"),
            other => Cow::Owned(other.to_string()),
        });
    }
    let code = match t.to_lowercase().as_str() {
        "$" | "us$" | "usd" | "dollar" | "dollars" => "USD",
        "€" | "eur" | "euro" | "euros" => "EUR",
        "£" | "gbp" | "pound" | "pounds" => "GBP",
        "ریال" | "ريال" | "﷼" | "irr" | "rial" | "rials" => "IRR",
        "تومان" | "toman" | "tomans" | "irt" => "IRT",
        _ => {
            return match crate::mapping::currency_word_hint(t) {
                Some(code) => Some(CurrencyUnit {
                    code: Cow::Borrowed(code),
                    scale: crate::mapping::amount_scale_hint(t).unwrap_or(1),
                }),
                None => plain(Cow::Owned(t.to_uppercase())),
            };
        }
    };
    plain(Cow::Borrowed(code))
}

/// How many of `to` one `from` is, where that never changes: one Toman is ten Rial.
fn fixed_rate(from: &str, to: &str) -> Option<f64> {
    match (from, to) {
        _ if from == to => Some(1.0),
        ("IRT", "IRR") => Some(10.0),
        ("IRR", "IRT") => Some(0.1),
        _ => None,
    }
}

/// UCI-style: "C536379" marks a cancellation of invoice 536379, in a file that numbers its
/// invoices with digits alone (ingest asks that too).
pub(crate) fn is_cancellation_invoice(order_id: &str) -> bool {
    let b = order_id.as_bytes();
    b.len() > 1 && (b[0] == b'C' || b[0] == b'c') && b[1..].iter().all(u8::is_ascii_digit)
}

impl Converter for SalesConverter {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn partition_column(&self) -> Option<&'static str> {
        Some("order_month")
    }

    fn push(&mut self, line: u64, rec: &Row<'_>) -> std::result::Result<(), RowReject> {
        if self.layout != Layout::Other
            && let Some(reason) = self.not_a_line(rec)
        {
            // A summary row whose own cells are bad says so, rather than pass for an expected one.
            return Err(self.carry_summary(rec).unwrap_or(RowReject::at(
                reason,
                self.extra.line_type.or(self.extra.group).or(self.cols.order_id),
            )));
        }
        let own_document = match self.document_types.read {
            false => None,
            true => text(rec, self.cols.document_type).map(|t| {
                self.document_types
                    .kind(self.layout, t, cell(rec, self.extra.balance_impact))
            }),
        };
        let bulk_line = self.layout == Layout::ShopifyBulk && self.enter_bulk_parent(rec);
        // A line item of an order the file does not hold (or no longer remembers) has no number,
        // time or buyer of its own: read as a row of the order above, it would be credited to
        // another buyer.
        if self.layout == Layout::ShopifyBulk && !bulk_line {
            return Err(RowReject::at(MISSING_ORDER, self.extra.parent_id));
        }
        let c = &self.cols;
        let date_raw = cell(rec, c.date);
        // A bulk refund's return line is a line of its order dated by the refund (see the JSON
        // reader's `bulk`): its own date, which is not the order's for the lines after it.
        let own_date = bulk_line
            && !date_raw.is_empty()
            && self
                .extra
                .refund_quantity
                .is_some_and(|i| !cell(rec, Some(i)).is_empty());
        let mut order_id = id_value(cell(rec, c.order_id));
        // Odoo leaves the order's cells blank on its further lines, which follow it directly and
        // name a product, and so do report tools that merge an invoice's cells down its lines
        // (Sepidar's invoice details in Excel); a total someone added below, or after a blank
        // line, is no line. A bulk line item is its order object's, whatever its own cells (a
        // line's `name`).
        let continued = bulk_line
            || order_id.is_none()
                && date_raw.is_empty()
                // A row naming a buyer of its own is no line of another's order.
                && cell(rec, c.customer.id).is_empty()
                && cell(rec, c.customer.email).is_empty()
                && c.customer.phone_cell(rec).is_empty()
                && (self.order.ts.is_some() || self.order.document == Some(DocKind::NotASale))
                && line == self.order.line + 1
                && text(rec, c.product_name).is_some_and(|p| !is_total_label(p));
        if continued {
            order_id = Some(Cow::Owned(self.order.id.clone()));
        }
        if let Some(o) = order_id.as_deref() {
            if !self.plain_invoices {
                self.plain_invoices = o.bytes().all(|b| b.is_ascii_digit());
            }
            self.order.enter(o);
            // The line the row ends on: an Odoo description may hold line breaks.
            self.order.line = match self.layout {
                Layout::Odoo => {
                    line + (0..rec.len())
                        .map(|i| cell(rec, Some(i)).matches('\n').count() as u64)
                        .sum::<u64>()
                }
                _ => line,
            };
        }
        // An invoice's type given on its first line holds for its later lines (a return's, a
        // proforma's), as its other cells do.
        let document = match (own_document, order_id.is_some()) {
            (Some(d), true) => {
                self.order.document = Some(d);
                d
            }
            (Some(d), false) => d,
            (None, true) => self.order.document.unwrap_or(DocKind::Sale),
            (None, false) => DocKind::Sale,
        };
        if document == DocKind::NotASale {
            return Err(RowReject::at(NOT_A_SALE, self.cols.document_type));
        }
        let zoned = match c.time_zone {
            Some(_) => self.row_zone(rec)?,
            None => None,
        };
        let c = &self.cols;
        let dates = zoned
            .and_then(|i| self.zones[i].1.as_ref())
            .unwrap_or(&self.dates);
        // The lines of one order repeat its timestamp: parse each distinct run once.
        let ts = match c.time {
            _ if continued && !own_date => Ok(self.order.ts),
            // An order's later line without a date is at the order's time: WooCommerce's order
            // export can fill the order's cells on its first line only.
            _ if date_raw.is_empty()
                && order_id.is_some()
                && self.order.ts.is_some()
                && cell(rec, c.time).is_empty() =>
            {
                Ok(self.order.ts)
            }
            Some(_) => dates.parse_parts(date_raw, cell(rec, c.time)),
            None if zoned.is_none() && !date_raw.is_empty() && same_text(date_raw, &self.last_date.0) => {
                Ok(Some(self.last_date.1))
            }
            None => {
                let ts = dates.parse(date_raw);
                if zoned.is_none()
                    && let Ok(Some(t)) = ts
                {
                    self.last_date.0.clear();
                    self.last_date.0.push_str(date_raw);
                    self.last_date.1 = t;
                }
                ts
            }
        };
        let ts = match ts {
            Ok(Some(ts)) => ts,
            // A totals row the export adds below its lines («جمع کل», "Totals:") is expected.
            Ok(None) => {
                // The label is the product's, or the row's first cell (a report's "Total:").
                let label = c
                    .product_name
                    .filter(|&i| !cell(rec, Some(i)).is_empty())
                    .or_else(|| (0..rec.len()).find(|&i| !cell(rec, Some(i)).is_empty()));
                // So is a row of one "label: value" cell: a "Total : 2 413,16 €", a report's page
                // footer («تاریخ چاپ: 1403/04/01    صفحه: 1 از 1», "Printed: … Page 1 of 3"), a
                // note ("Seller ID : teashop_us"), none of them a line.
                let heading = || crate::ingest::grouped::group_heading(rec.iter()).is_some();
                return Err(
                    match label.filter(|&i| is_total_label(cell(rec, Some(i))) || heading()) {
                        Some(i) => RowReject::at(GROUP_ROW, Some(i)),
                        None => RowReject::at("missing_date", c.date),
                    },
                );
            }
            Err(ValueError::BadTime) => return Err(RowReject::at("bad_time", c.time.or(c.date))),
            Err(e) => return Err(RowReject::at(e.code(), c.date)),
        };
        let qty = self
            .quantities
            .parse_quantity(cell(rec, c.quantity))
            .map_err(|_| RowReject::at("bad_number", c.quantity))?;
        let listed_return = self.returns_lines.iter().any(|r| r.contains(&line));
        if order_id.is_some() && !own_date {
            self.order.ts = Some(ts);
        }
        let unit = self.row_unit(cell(rec, c.currency), order_id.is_some());
        // With a header currency, a unit of another code can only be the cell's (see `row_unit`);
        // so is one of the same code in another unit size (`IRHT`, thousands of Toman, under a
        // Toman header): read ×1000, which the report must say.
        if let (Some(u), Some(header)) = (&unit, self.header_currency)
            && (u.code != header
                || (u.scale != 1 && ![self.price_scale, self.amount_scale].contains(&f64::from(u.scale))))
        {
            let seen = &mut self.cell_over_header;
            seen.0 += 1;
            seen.1.get_or_insert_with(|| {
                let named = match u.scale {
                    1 => u.code.to_string(),
                    s => format!("{} ×{s}", u.code),
                };
                (line, named)
            });
        }
        let iranian = self.persian
            || unit
                .as_ref()
                .is_some_and(|u| matches!(u.code.as_ref(), "IRT" | "IRR"));
        // The unit size comes from the most specific place that states one: the amount cell
        // itself ("۸۰ هزار تومان", applied by the parser), else the currency column ("IRHT",
        // "هزار تومان"), else the header ("مبلغ (هزار تومان)"). A plain code such as "IRT" says
        // which currency, not the unit size, so the header's still applies next to it.
        let column_scale = unit.as_ref().map_or(1, |u| u.scale);
        let scaled = |n: crate::values::ParsedNumber, header_scale: f64| crate::values::ParsedNumber {
            value: match (n.scaled, column_scale) {
                (true, _) => n.value,
                (false, 1) => n.value * header_scale,
                (false, s) => n.value * f64::from(s),
            },
            ..n
        };
        // What the line discount takes off a line worth `gross` (≥ 0) before it: a percent of
        // it, or an amount.
        // (`this`: the converter, lent for the call only; the row's status is set in between.)
        let discount_off = |this: &Self, gross: f64| -> Result<f64, RowReject> {
            Ok(this
                .line_discount(rec, iranian)?
                .map_or(0.0, |(d, percent)| match percent {
                    true => gross * d.value.abs() / 100.0,
                    false => scaled(d, this.discount_scale).value.abs(),
                }))
        };
        let price = match self.money(rec, c.unit_price, iranian)? {
            // Shopify's bulk output gives a line's price in one of two fields.
            None if self.extra.alt_price.is_some() => self.money(rec, self.extra.alt_price, iranian)?,
            p => p,
        }
        .map(|p| scaled(p, self.price_scale));
        // Rows naming no item (no product id, no price) that a file adds between its lines: a
        // till's tender rows («پرداخت نقدی», «پرداخت با کارتخوان») where the file has quantities
        // and this row none, and an invoice's subtotal («جمع فاکتور») repeating its number and date.
        if price.is_none()
            && (c.unit_price.is_some() || c.product_id.is_some())
            && cell(rec, c.product_id).is_empty()
        {
            let name = text(rec, c.product_name).unwrap_or_default();
            if is_total_label(name) {
                return Err(RowReject::at(GROUP_ROW, c.product_name));
            }
            if c.quantity.is_some() && qty.is_none() && names_a_payment(name) {
                return Err(RowReject::at(PAYMENT_ROW, c.product_name));
            }
        }
        let amount = match self.money(rec, c.line_amount, iranian)? {
            // eBay gives a line without its "Sold For" only its order's total.
            None if price.is_none() && self.extra.alt_amount.is_some() => {
                self.money(rec, self.extra.alt_amount, iranian)?
            }
            a => a,
        }
        .map(|a| scaled(a, self.amount_scale));
        // "Total" beside quantity, price and a discount is the line's value after its discount
        // only where the row's own numbers say so: an order's total repeated on each of its
        // lines is not, and those lines stay quantity × price.
        let amount = match (amount, qty, price) {
            (None, Some(q), Some(p)) if self.extra.line_total.is_some() => {
                let number = |col, scale| {
                    self.money
                        .parse_money(cell(rec, col), iranian)
                        .ok()
                        .map(|n| n.map(|n| scaled(n, scale)))
                };
                match (
                    number(self.extra.line_total, self.total_scale).flatten(),
                    number(self.extra.line_discount, self.discount_scale),
                ) {
                    (Some(t), Some(d)) => {
                        let after = (q.value * p.value).abs() - d.map_or(0.0, |d| d.value.abs());
                        ((t.value.abs() - after).abs() <= 0.005 + 1e-9 * after.abs()).then_some(t)
                    }
                    _ => None,
                }
            }
            (a, ..) => a,
        };
        // «مبلغ کل» is the line's value before its discount: the discount beside it comes off
        // where the row's own numbers say so (the amount is quantity × price), as it comes off
        // quantity × price without an amount.
        let amount = match (amount, qty, price) {
            (Some(a), Some(q), Some(p)) if self.extra.amount_before_discount => {
                let gross = (q.value * p.value).abs();
                Some(match (a.value.abs() - gross).abs() <= 0.005 + 1e-9 * gross {
                    true => crate::values::ParsedNumber {
                        value: a.value.signum() * (gross - discount_off(self, gross)?).max(0.0),
                        ..a
                    },
                    false => a,
                })
            }
            (a, ..) => a,
        };
        // A refund's return line is worth what the refund gave back, not what the item's own
        // columns (the sale's) say.
        let refunded = self.refund_line(rec)?;
        let amount = match refunded {
            Some((_, amount)) => amount.map(|value| {
                scaled(
                    crate::values::ParsedNumber {
                        value,
                        currency: None,
                        scaled: false,
                    },
                    1.0,
                )
            }),
            None => amount,
        };
        let quantity = match (refunded, qty, amount) {
            // 0 − q: a refund of no pieces (money only) is 0, not −0.
            (Some((q, _)), ..) => 0.0 - q,
            (None, Some(q), _) => q.value,
            // One row = one purchase of the stated amount.
            (None, None, Some(_)) => 1.0,
            // Without a quantity column a row is one purchase of its amount: that is what is
            // missing.
            (None, None, None) if c.quantity.is_none() => {
                return Err(RowReject::at("missing_amount", c.line_amount.or(c.unit_price)));
            }
            (None, None, None) => return Err(RowReject::at("missing_quantity", c.quantity)),
        };
        // Toast marks a voided item "Void?" True.
        let voided = self.layout == Layout::Toast
            && crate::values::text::parse_bool(cell(rec, self.extra.void)) == Ok(Some(true));
        let refund = match self.layout {
            Layout::Etsy => self.etsy_refund(rec),
            _ => None,
        };
        let own_status = if voided {
            Some(("cancelled".to_string(), true))
        } else if let Some(whole) = refund {
            Some(normalize_status(if whole {
                "refunded"
            } else {
                "partially_refunded"
            }))
        } else {
            let own = text(rec, c.status).map(|t| self.status(t));
            // A payment that never came or went back outranks an order status that does not
            // say otherwise (a shop builder's "در انتظار بررسی" order whose payment is "پرداخت
            // نشده"); an order shipped or completed and paid on invoice stays a sale.
            let undecided = own.as_ref().is_none_or(|(s, _)| s == "pending");
            let payment = text(rec, self.extra.payment_status)
                .filter(|_| undecided)
                .and_then(status_word)
                .filter(|w| matches!(*w, "unpaid" | "cancelled" | "refunded" | "returned"));
            payment.map(normalize_status).or(own)
        };
        // An unpaid invoice is a sale on credit, not an order abandoned before payment; so is an
        // order handed over and not marked paid (Wix's "Not paid" beside "Fulfilled": paid at
        // pickup or on delivery, which shops seldom record).
        let own_status = match own_status {
            Some((s, _))
                if s == "unpaid"
                    && (self.on_credit || text(rec, self.extra.fulfillment).is_some_and(handed_over)) =>
            {
                Some(("pending".to_string(), false))
            }
            s => s,
        };
        let own_unread = own_status
            .as_ref()
            .is_some_and(|(s, _)| !CANONICAL_STATUSES.contains(&s.as_str()));
        let status = match (own_status, order_id.is_some()) {
            (Some(s), true) => {
                self.order.status = Some(s.clone());
                Some(s)
            }
            (None, true) => self.order.status.clone(),
            (s, false) => s,
        };
        // An order that never counted (cancelled, never paid) has nothing to take a refund off.
        if refunded.is_some() && status.as_ref().is_some_and(|(s, _)| never_happened(s)) {
            return Err(RowReject::at(CANCELLED_ORDER_REFUND, c.status));
        }
        // A row of a sheet or file named as returns, or a credit memo, went back, whatever its
        // sign. A cancelled return never happened: left positive, its status keeps it out of the
        // sums.
        let negated = (listed_return || document == DocKind::Return)
            && quantity > 0.0
            && status.as_ref().is_none_or(|(s, _)| !never_happened(s));
        let quantity = if negated { -quantity } else { quantity };
        let line_amount = match (amount, price) {
            (Some(a), _) => a.value,
            // A refund that gives no amount gave back the item's price for each piece: the
            // discounts beside it are the sale's.
            (None, Some(p)) if refunded.is_some() => quantity * p.value,
            // Shopify gives a line's price before its discount and the discount beside it: the
            // line's value is what was paid for it (never below nothing, a 100 % discount is 0).
            (None, Some(p)) if self.extra.item_discount.is_some() => {
                let gross = quantity * p.value;
                let discount = self
                    .money
                    .parse_money(cell(rec, self.extra.item_discount), iranian)
                    .map_err(|_| RowReject::at("bad_number", self.extra.item_discount))?
                    .map_or(0.0, |d| scaled(d, self.item_discount_scale).value.abs());
                gross.signum() * (gross.abs() - discount).max(0.0)
            }
            // A discount beside quantity and price, without a line amount or a total: the line
            // is worth quantity × price less its discount, a percent of it or an amount.
            (None, Some(p)) if self.extra.line_discount.is_some() && self.extra.line_total.is_none() => {
                let gross = quantity * p.value;
                gross.signum() * (gross.abs() - discount_off(self, gross.abs())?).max(0.0)
            }
            (None, Some(p)) => quantity * p.value,
            (None, None) => {
                return Err(RowReject::at("missing_amount", c.unit_price.or(c.line_amount)));
            }
        };
        // Some systems sign a return twice (−2 × −10) or give its refund as a positive amount;
        // either way money went back, and net revenue must fall.
        let line_amount = if refunded.is_some() {
            // Whatever sign the export gave it (WooCommerce writes "-10.00"); 0 − a keeps a
            // refund of nothing at 0, not −0.
            0.0 - line_amount.abs()
        } else if quantity < 0.0 {
            -line_amount.abs()
        } else {
            line_amount
        };
        // Finished numbers only: one comparison each, nothing on the parse path. A price over
        // the bound with a quantity of 0 would still be no sale anyone made. Sizes before the
        // NaN check: a 400-digit price parses to infinity and 2 × 1e308 overflows to it, which
        // is an implausible price or amount, not a bad quantity.
        if quantity.abs() >= IMPLAUSIBLE_AMOUNT {
            return Err(RowReject::at(IMPLAUSIBLE, c.quantity));
        }
        if price.is_some_and(|p| p.value.abs() >= IMPLAUSIBLE_AMOUNT) {
            return Err(RowReject::at(IMPLAUSIBLE, c.unit_price));
        }
        if line_amount.abs() >= IMPLAUSIBLE_AMOUNT {
            return Err(RowReject::at(IMPLAUSIBLE, c.line_amount.or(c.unit_price)));
        }
        if quantity.is_nan() || line_amount.is_nan() {
            return Err(RowReject::at("bad_number", c.quantity));
        }
        let column_unit = unit.unwrap_or(CurrencyUnit {
            code: Cow::Borrowed(""),
            scale: 1,
        });
        let value_currency = match amount.and_then(|a| a.currency).or(price.and_then(|p| p.currency)) {
            // A bare "$" names no country: beside a currency column saying CAD, it is Canadian.
            Some("USD")
                if column_unit.code != "USD"
                    && crate::values::number::is_dollar(&column_unit.code)
                    && [c.line_amount, c.unit_price]
                        .iter()
                        .all(|&col| !cell(rec, col).chars().any(char::is_alphabetic)) =>
            {
                None
            }
            v => v,
        };
        let currency: Option<Cow<'static, str>> = match value_currency {
            Some(code) => Some(Cow::Borrowed(code)),
            None if column_unit.code.is_empty() => None,
            None => Some(column_unit.code.clone()),
        };
        if let (Some(cur), Some(_)) = (&currency, order_id.as_deref()) {
            // The unit size travels with the currency only when the row's amounts were in it.
            let scale = if *cur == column_unit.code {
                column_unit.scale
            } else {
                1
            };
            if self
                .order
                .currency
                .as_ref()
                .is_none_or(|last| last.code != *cur || last.scale != scale)
            {
                self.order.currency = Some(CurrencyUnit {
                    code: cur.clone(),
                    scale,
                });
            }
        }
        // A line of an order that takes money off it (Odoo's and many tills' "Discount" or
        // "Coupon" product at a negative price) lowers the order's value: no return of anything.
        let discount_line = quantity > 0.0
            && line_amount < 0.0
            && price.is_none_or(|p| p.value < 0.0)
            && order_id.is_some()
            && refunded.is_none()
            && [text(rec, c.product_name), text(rec, c.product_id)]
                .into_iter()
                .flatten()
                .any(|name| names_a_discount(name, price.is_some()));
        let is_return = refunded.is_some()
            || quantity < 0.0
            || (line_amount < 0.0 && !discount_line)
            // A shop that numbers its orders "C1001", "C1002" cancels none by it.
            || self.plain_invoices && order_id.as_deref().is_some_and(is_cancellation_invoice)
            || status.as_ref().is_some_and(|(_, r)| *r);
        // WooCommerce and BigCommerce write customer 0 on a guest's order: not one customer of
        // all guests. (A customers or activity export lists people, so 0 stays one there.)
        let own_id = id_value(cell(rec, c.customer.id)).filter(|_| !c.customer.named);
        // The walk-in account written as the id itself ("Walk-in Customer", "Guest", «10000 -
        // مشتری متفرقه»): as when a name column beside the id names it, below.
        let id_walk_in = own_id.as_deref().is_some_and(crate::values::text::names_walk_in);
        // `own_key`: the key is the row's own id, email or phone (not a name, a heading's or a
        // refund's recipient), so the row's other addresses are that customer's.
        let (customer, own_key) = match own_id {
            Some(id) if id == "0" => (contact_key(rec, &c.customer), true),
            Some(id) => (Some(id), true),
            // PayPal's refund goes from the shop to the buyer.
            None if document == DocKind::Return && self.extra.refund_email.is_some() => {
                (email_value(cell(rec, self.extra.refund_email)), false)
            }
            None if self.extra.group_field == Some(Field::CustomerId) => {
                (self.group.as_deref().map(Cow::Borrowed), false)
            }
            // Shopify's GraphQL orders: the customer's email where the order gives none.
            _ => (
                customer_key(rec, &c.customer).or_else(|| email_value(cell(rec, self.extra.alt_email))),
                !c.customer.named,
            ),
        };
        // The account an accounting program books walk-in buyers to is everyone's: a guest.
        // Only a key that is the account's (its id, or its name beside the id or as the key): a
        // guest checkout named "Guest" with an email or a mobile is that buyer's.
        let walk_in = id_walk_in
            || match self.extra.customer_name {
                Some(name) => Some(name),
                None if c.customer.named => c.customer.id,
                None => None,
            }
            .is_some_and(|i| {
                (c.customer.named || !cell(rec, c.customer.id).is_empty())
                    && crate::values::text::names_walk_in(cell(rec, Some(i)))
            });
        // The walk-in account is no one; a mobile or email the row gives is its buyer's.
        let customer = match walk_in {
            true => contact_key(rec, &c.customer),
            false => customer,
        };
        // An order that never happened (cancelled, never paid) links no one: a test or fraud
        // order's number would become a prospect.
        if let Some(links) = &mut self.contacts
            && own_key
            && !walk_in
            && let Some(key) = &customer
            && status.as_ref().is_none_or(|(s, _)| !never_happened(s))
            && !links.repeats(
                key,
                cell(rec, c.customer.email),
                c.customer.phone_cell(rec),
                c.consent.cells(rec),
            )
        {
            // As in a customer list, a consent value that cannot be read counts as a refusal.
            let consent = c.consent.read(rec).unwrap_or_else(|_| {
                *self.stats.consent_unclear.get_or_insert(0) += 1;
                Some(false)
            });
            // The local day: in Tehran an order at 01:00 on 1 June is 31 May in UTC, and a run
            // dated 31 May would offer its buyer as a prospect.
            let day = ts.with_timezone(&self.job_zone).date_naive();
            links.see(
                line,
                (day - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32,
                key,
                (
                    email_value(cell(rec, c.customer.email)).as_deref(),
                    c.customer.phone_key(rec).as_deref(),
                ),
                consent,
            );
        }
        // An order that never happened still carries its buyer's word: a "no" at checkout on a
        // cancelled or unpaid order refuses, as it would on a row that could not be read.
        if own_key && !walk_in && status.as_ref().is_some_and(|(s, _)| never_happened(s)) {
            let (unclear, refusal) = self.refusal(rec);
            if unclear {
                *self.stats.consent_unclear.get_or_insert(0) += 1;
            }
            if let (Some((key, email, phone)), Some(r)) = (refusal, &mut self.refusals) {
                r.keep(line, &key, (email.as_deref(), phone.as_deref()), None);
            }
        }
        // An order's later lines without a buyer are the buyer's of its earlier ones.
        let customer = match (customer, order_id.is_some()) {
            (Some(cust), true) => {
                self.order.keep_customer(&cust);
                Some(cust)
            }
            (None, true) => self.order.customer().map(Cow::Borrowed),
            (cust, false) => cust,
        };
        // A file keyed by phone whose row has none (a hand-kept sheet's repeat order): the buyer
        // that row's name had a phone on before, else the name, rather than a guest.
        let customer = match (&mut self.names_phones, customer) {
            (Some(known), None)
                if !walk_in && !crate::values::text::names_walk_in(cell(rec, self.extra.customer_name)) =>
            {
                crate::values::name_key(cell(rec, self.extra.customer_name)).map(|name| {
                    match known.get(name.as_ref()) {
                        Some(Some(key)) => Cow::Owned(key.clone()),
                        Some(None) | None => Cow::Owned(name.into_owned()),
                    }
                })
            }
            (Some(known), Some(key)) => {
                if let Some(name) = crate::values::name_key(cell(rec, self.extra.customer_name)) {
                    let room = known.len() < NAMES_PHONES_KEPT;
                    match known.get_mut(name.as_ref()) {
                        Some(seen) if seen.as_deref().is_some_and(|k| k != key.as_ref()) => *seen = None,
                        Some(_) => {}
                        None if room => {
                            known.insert(name.into_owned(), Some(key.to_string()));
                        }
                        None => {}
                    }
                }
                Some(key)
            }
            (_, key) => key,
        };

        // The row is good: append every column.
        let b = &mut self.b;
        b.order_id.append(order_id.as_deref());
        b.customer_id.append(customer.as_deref());
        if own_unread && let Some((s, _)) = &status {
            // A guest's order is someone other than the other guests'.
            self.other_statuses
                .count(s, customer.as_deref().or(order_id.as_deref()));
        }
        let micros = ts.timestamp_micros();
        b.order_ts.append_value(micros);
        b.product_id.append(id_value(cell(rec, c.product_id)).as_deref());
        let product_name = match text(rec, c.product_name) {
            None if self.extra.group_field == Some(Field::ProductName) => self.group.as_deref(),
            name => name,
        };
        b.product_name.append(product_name);
        b.category.append(text(rec, c.category));
        // `+ 0.0`: a zero negated as a return's, or multiplied by a negative quantity, is 0, not
        // −0 (which prints "-0" and sorts before 0).
        b.quantity.append_value(quantity + 0.0);
        b.unit_price.append_option(price.map(|p| p.value + 0.0));
        b.line_amount.append_value(line_amount + 0.0);
        b.currency.append(currency.as_deref());
        b.country.append(grouped_text(rec, c.country).as_deref());
        b.city.append(grouped_text(rec, c.city).as_deref());
        b.channel.append(text(rec, c.channel));
        b.status.append(status.as_ref().map(|(s, _)| s.as_str()));
        b.is_return.append_value(is_return);
        b.source_line.append_value(line as i64);
        self.months.push(month_key(ts));
        self.stats.see_ts(micros);
        if is_return {
            *self.stats.returns.get_or_insert(0) += 1;
        }
        if negated && listed_return {
            *self.stats.listed_returns.get_or_insert(0) += 1;
        }
        if refunded.is_some() {
            *self.stats.refund_lines.get_or_insert(0) += 1;
        }
        if customer.is_none() {
            *self.stats.guest_rows.get_or_insert(0) += 1;
        }
        if let Some(cur) = currency
            && !self.stats.currencies.contains(cur.as_ref())
        {
            self.stats.currencies.insert(cur.into_owned());
        }
        Ok(())
    }

    fn buffered(&self) -> usize {
        self.months.len()
    }

    fn finish_batch(&mut self) -> Result<(RecordBatch, Vec<i32>)> {
        let n = self.months.len();
        let b = &mut self.b;
        let columns: Vec<ArrayRef> = vec![
            b.order_id.finish(n),
            b.customer_id.finish(n),
            Arc::new(b.order_ts.finish()),
            b.product_id.finish(n),
            b.product_name.finish(n),
            b.category.finish(n),
            Arc::new(b.quantity.finish()),
            Arc::new(b.unit_price.finish()),
            Arc::new(b.line_amount.finish()),
            b.currency.finish(n),
            b.country.finish(n),
            b.city.finish(n),
            b.channel.finish(n),
            b.status.finish(n),
            Arc::new(b.is_return.finish()),
            self.source_key.rows(n),
            Arc::new(b.source_line.finish()),
        ];
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        Ok((batch, std::mem::take(&mut self.months)))
    }

    fn finish_contacts(&mut self) -> Result<Option<RecordBatch>> {
        match &mut self.contacts {
            Some(links) => links.finish_batch(self.source_key.value()),
            None => Ok(None),
        }
    }

    /// A "no" at checkout (or an opt-out, or a consent value that cannot be read, as on a
    /// written row) on a row quarantined for its date, amount or anything else still refuses:
    /// a customer list's refusal stands on a row whose other cells cannot be read, and so does
    /// this one. So does one on the written row of an order that never happened (cancelled,
    /// unpaid), which links no one. A "yes" is not kept: only refusals are.
    fn keep_refusal(&mut self, line: u64, rec: &Row<'_>, _reason: &str) -> bool {
        let (unclear, refusal) = self.refusal(rec);
        if unclear {
            *self.stats.consent_unclear.get_or_insert(0) += 1;
        }
        match (refusal, &mut self.refusals) {
            (Some((key, email, phone)), Some(r)) => {
                r.keep(line, &key, (email.as_deref(), phone.as_deref()), None);
                true
            }
            _ => false,
        }
    }

    fn finish_refusals(&mut self) -> Result<Option<RecordBatch>> {
        match &mut self.refusals {
            Some(r) => r.finish_batch(self.source_key.value()),
            None => Ok(None),
        }
    }

    fn refusals_buffered(&self) -> usize {
        self.refusals
            .as_ref()
            .map_or(0, super::refusals::Refusals::buffered)
    }

    fn stats(&self) -> ConvertStats {
        ConvertStats {
            other_statuses: self.other_statuses.listed(),
            ..self.stats.snapshot()
        }
    }

    fn warnings(&self) -> Vec<String> {
        let mut warnings = self.currency_warnings.clone();
        if let (n, Some((line, code))) = &self.cell_over_header {
            warnings.push(format!(
                "the amounts' header names {}, but the currency column names another currency or unit on {n} row{} (first: line {line}, {code}): those rows are read in the currency and unit their cell names",
                self.header_currency.unwrap_or_default(),
                if *n == 1 { "" } else { "s" },
            ));
        }
        warnings
    }

    fn settings(&self) -> ParseSettings {
        ParseSettings {
            date_format: self.dates.describe(),
            date_order_from: None,
            date_order_learned_from: None,
            decimal_mark: Some(self.money.decimal),
            timezone: match &self.zone_header {
                Some(h) => format!("per row ({h}), else {}", self.dates.zone_label()),
                None => self.dates.zone_label(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_say_returns() {
        for name in [
            "Returns",
            "returns_2023-11.csv",
            "Sales Return.xlsx",
            "Sales Return Register",
            "Return orders",
            "Returned items",
            "برگشت کالا",
            "Order returns.csv",
            "order_returns_export.csv",
            "Order Refunds",
            "برگشت فروش",
            "فاکتور برگشت از فروش",
            "برگشت سفارشات",
            "Credit Note Register",
            "shopify_returns.csv",
            "Sales Returns",
            "Customer returns March",
            "Refunds Q3",
            "Retouren_November.xlsx",
            "برگشت از فروش ۱۴۰۲.xlsx",
            "مرجوعی‌ها",
            "مرجوعی مهر",
            "برگشتی",
            "گزارش مرجوعی آبان ۱۴۰۲.xlsx",
            "Returns report.csv",
            "Report returns Q3",
            "لیست مرجوعی‌ها",
        ] {
            assert!(names_returns(name), "{name}");
        }
        for name in [
            "orders.csv",
            "Sales",
            "sales_and_returns.csv",
            "Orders 2023 (incl. returns)",
            "Returns and orders.xlsx",
            "Returns & Orders.xlsx",
            "returns-orders-export.csv",
            "Returns - Sales 2023.csv",
            "Returns by order",
            "Refunds per order.csv",
            "Sales return (Q1) orders",
            "Sales Return Rate",
            "Customer Return Policy",
            "Return Order Status",
            "Return ticket sales.csv",
            "Return tickets",
            "Refunded orders",
            "Partially refunded orders.csv",
            "Returning customers",
            "returnable_items.csv",
            "برگشت بلیط",
            "فروش ۱۴۰۲",
            "گزارش فروش",
            "Report",
            "مهر ۱۴۰۲",
            "incoming",
            "Summary",
            "",
        ] {
            assert!(!names_returns(name), "{name}");
        }
    }

    /// Totals and tenders are told by whole leading words: products that merely hold them are
    /// products.
    #[test]
    fn totals_and_tenders_by_their_words() {
        for label in [
            "Total",
            "Totals:",
            "Grand Total",
            "Summe",
            "جمع",
            "جمع کل",
            "جمع فاکتور",
            "جمع کل فروش دوره",
            "جمع دریافت نقدی",
            "مجموع",
            "Row count",
            "Record Count:",
            "تعداد ردیف",
        ] {
            assert!(is_total_label(label), "{label}");
        }
        for name in ["Total Gym", "جمع کن سیم", "جمع آوری زباله", "Sum 41 CD"] {
            assert!(!is_total_label(name), "{name}");
        }
        for tender in [
            "پرداخت نقدی",
            "پرداخت با کارتخوان",
            "بازپرداخت نقدی",
            "Payment",
            "Cash payment",
            "Tender: Visa",
            "Card Payment",
        ] {
            assert!(names_a_payment(tender), "{tender}");
        }
        for name in [
            "Chicken Tenders",
            "Beef Tenderloin",
            "Down payment",
            "Card holder",
            "چای نقدی",
            "Payment Card Holder (engraved)",
            "پرداخت کاری",
        ] {
            assert!(!names_a_payment(name), "{name}");
        }
    }

    /// Headers of files of invoices, compared folded as headers are.
    #[test]
    fn headers_of_invoice_files() {
        for h in [
            "Due Date",
            "*DueDate",
            "Fälligkeitsdatum",
            "Fällig am",
            "Date d'échéance",
            "Échéance",
            "Invoice Number",
            "Rechnungsnr.",
            "N° de facture",
            "سررسید",
        ] {
            assert!(lists_invoices(h), "{h}");
        }
        for h in ["Order Number", "Order Date", "Bestellnummer", "Name"] {
            assert!(!lists_invoices(h), "{h}");
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(normalize_status("Canceled"), ("cancelled".into(), true));
        assert_eq!(normalize_status("لغو شده"), ("cancelled".into(), true));
        for raw in ["لغو سفارش", "سفارش لغو شد", "سفارش لغو‌شده"] {
            assert_eq!(normalize_status(raw), ("cancelled".into(), true), "{raw}");
        }
        for raw in ["عودت داده شد", "عودت داده‌شده", "برگشت داده شد"] {
            assert_eq!(normalize_status(raw), ("returned".into(), true), "{raw}");
        }
        assert_eq!(
            normalize_status("partially_refunded"),
            ("partially_refunded".into(), false)
        );
        assert_eq!(normalize_status("Declined"), ("cancelled".into(), true));
        assert_eq!(normalize_status("Quotation"), ("cancelled".into(), true));
        assert_eq!(normalize_status("Paid"), ("paid".into(), false));
        assert_eq!(normalize_status("Weird"), ("weird".into(), false));
        assert_eq!(normalize_status("On-Hold"), ("pending".into(), false));
        for (raw, canon, is_return) in [
            ("Payée", "paid", false),
            ("Annulée", "cancelled", true),
            ("Remboursée", "refunded", true),
            ("Retourné", "returned", true),
            ("Livrée", "completed", false),
            ("En attente", "pending", false),
            // Shopware's, JTL's and PrestaShop's German and French words.
            ("Zurückerstattet", "refunded", true),
            ("Retourniert", "returned", true),
            ("Zurückgegeben", "returned", true),
            ("Abgebrochen", "cancelled", true),
            ("Entwurf", "cancelled", true),
            ("Ausstehende Zahlung", "unpaid", true),
            ("Erreur de paiement", "cancelled", true),
            ("En attente de paiement par virement bancaire", "unpaid", true),
            ("Remboursé partiellement", "partially_refunded", false),
        ] {
            assert_eq!(normalize_status(raw), (canon.into(), is_return), "{raw}");
        }
    }

    /// Persian returns and cancellations are what keeps them out of revenue; spelling variants
    /// (ZWNJ or space, Arabic or Persian yeh and kaf) are folded before the lookup.
    #[test]
    fn persian_statuses() {
        for (raw, canon, is_return) in [
            ("برگشت از فروش", "returned", true),
            ("برگشت‌از‌فروش", "returned", true),
            ("مرجوع شده", "returned", true),
            ("ابطال شده", "cancelled", true),
            ("کنسل شده", "cancelled", true),
            ("لغو\u{200c}شده", "cancelled", true),
            ("لغو شده توسط مشتری", "cancelled", true),
            ("Cancelled by customer", "cancelled", true),
            ("مسترد شده", "refunded", true),
            ("بازپرداخت شده", "refunded", true),
            ("بازگشت وجه", "refunded", true),
            ("لغو شد", "cancelled", true),
            ("ناموفق", "cancelled", true),
            ("Failed", "cancelled", true),
            ("Payment failed", "cancelled", true),
            ("wc-refunded", "refunded", true),
            ("wc-cancelled", "cancelled", true),
            ("wc-completed", "completed", false),
            ("wc-on-hold", "pending", false),
            ("لغو گردید", "cancelled", true),
            ("بازگشت وجه انجام شد", "refunded", true),
            ("عودت شده", "returned", true),
            ("تحویل داده شده", "completed", false),
            ("تحويل شده", "completed", false),
            ("ارسال شده", "completed", false),
            ("پرداخت\u{200c}شده", "paid", false),
            ("پرداخت شد", "paid", false),
            ("در انتظار پرداخت", "unpaid", true),
            ("پرداخت نشده", "unpaid", true),
            ("انصراف از پرداخت", "unpaid", true),
            ("در انتظار تایید پرداخت", "unpaid", true),
            ("Pending payment", "unpaid", true),
            ("wc-pending", "unpaid", true),
            ("برگشت به پرداخت کننده", "refunded", true),
            ("بازگشت داده شده", "refunded", true),
            ("موفق", "paid", false),
            ("پرداخت تایید شده است", "paid", false),
            ("در انتظار ارسال", "pending", false),
            ("رد شده", "cancelled", true),
            ("پیش نویس", "cancelled", true),
            ("پیش\u{200c}نویس", "cancelled", true),
            ("پرداخت انجام نشده است", "unpaid", true),
            ("به درگاه پرداخت منتقل شد", "unpaid", true),
            ("پرداخت ناموفق بوده است", "cancelled", true),
            ("برگشت خورده سیستمی", "refunded", true),
            ("به دریافت کننده واریز شد", "paid", false),
            ("Rejected", "cancelled", true),
            ("در حال انجام", "pending", false),
        ] {
            assert_eq!(normalize_status(raw), (canon.into(), is_return), "{raw}");
        }
        // An agent alone, or an unknown status with one, is kept as written.
        assert_eq!(normalize_status("توسط مشتری"), ("توسط مشتری".into(), false));
        assert_eq!(normalize_status("Held by bank"), ("held by bank".into(), false));
        assert_eq!(normalize_status("لغو نشده"), ("لغو نشده".into(), false));
    }

    fn unit(raw: &str) -> Option<(String, u32)> {
        normalize_currency(raw).map(|u| (u.code.into_owned(), u.scale))
    }

    #[test]
    fn currencies() {
        let one = |code: &str| Some((code.to_string(), 1));
        assert_eq!(unit("تومان"), one("IRT"));
        assert_eq!(unit("ريال"), one("IRR"));
        assert_eq!(unit("eur"), one("EUR"));
        assert_eq!(unit("chf"), one("CHF"));
        assert_eq!(unit("XAU"), one("XAU"));
        assert_eq!(unit("R$"), one("R$"));
        assert_eq!(unit("A$"), one("A$"));
        assert_eq!(unit(" "), None);
    }

    /// Persian currency words are Toman and Rial, not unknown currencies; thousand-Toman and
    /// thousand-Rial units carry their × 1000.
    #[test]
    fn persian_currency_words_and_units() {
        let one = |code: &str| Some((code.to_string(), 1));
        for raw in ["ت", "تومن", "تومان ایران", "تومان ايران"] {
            assert_eq!(unit(raw), one("IRT"), "{raw}");
        }
        for raw in ["ریال ایران", "﷼"] {
            assert_eq!(unit(raw), one("IRR"), "{raw}");
        }
        let thousand = |code: &str| Some((code.to_string(), 1000));
        assert_eq!(unit("IRHT"), thousand("IRT"));
        assert_eq!(unit("irht"), thousand("IRT"));
        assert_eq!(unit("هزار تومان"), thousand("IRT"));
        assert_eq!(unit("IRHR"), thousand("IRR"));
        assert_eq!(unit("هزار ریال"), thousand("IRR"));
    }

    #[test]
    fn cancellation_invoices() {
        assert!(is_cancellation_invoice("C536379"));
        assert!(!is_cancellation_invoice("536379"));
        assert!(!is_cancellation_invoice("CA-1"));
    }

    #[test]
    fn fulfilment_statuses_that_say_the_goods_left() {
        for left in [
            "Fulfilled",
            "Partially Fulfilled",
            "Shipped",
            "Delivered",
            "In transit",
            "Picked up",
            "Versendet",
            "Expédiée",
            "ارسال شد",
            "ارسال شده",
            "ارسال شده است",
            "ارسال شده به پست",
            "ارسال شده (پست پیشتاز)",
            "تحویل داده شد",
            "تحویل داده شده",
            "تحویل شده",
        ] {
            assert!(handed_over(left), "{left}");
        }
        for kept in [
            "Not fulfilled",
            "Unfulfilled",
            "Not shipped",
            "Undelivered",
            "Ready for pickup",
            "ارسال نشده",
            "در انتظار ارسال",
            "آماده ارسال",
            "به پست تحویل نشد",
            "تحویل مشتری نشد",
            "Delivery failed",
            "Delivered failed",
            "Shipped back",
            "Returned to sender",
            "",
        ] {
            assert!(!handed_over(kept), "{kept}");
        }
    }
}
