//! The emails and phones a sales export gives beside its customer numbers (WooCommerce's
//! customer id with its billing email and phone, an ERP's customer number with a mobile). The
//! sales rows are keyed by the number and keep no address, so the links are written as rows of
//! `curated/customers`: the number with that email or phone, every attribute empty. Segmentation
//! then knows the buyer by those addresses as by a customer list's: a guest checkout or another
//! shop keyed by the email or mobile is that customer, an unsubscribe under the address keeps
//! them off the lists, and the lists carry the address. An export's marketing consent
//! (Shopify's `Accepts Marketing`) is written with the link, also for buyers keyed by their
//! email: a "no" at checkout keeps them off the lists as a customer list's would.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, Date32Builder, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::SchemaRef;

use super::batch_by_name;
use super::customers::customers_schema;
use crate::error::Result;

/// Links remembered to write each once, by a 64-bit hash of the link (~20 MB at most). A bound,
/// not a limit: past it the memory is cleared and a link seen again is written again (a repeated
/// row changes nothing the customers dataset says), so an export of millions of customers keeps
/// its memory flat.
const REMEMBERED: usize = 1_000_000;

pub(crate) struct ContactLinks {
    /// Hashes of the links written (SipHash with fixed keys: the same on every run, so a
    /// collision, never seen at these counts, would at least drop the same link every time).
    seen: HashSet<u64>,
    /// The link being looked up, reused: no allocation per row.
    key: String,
    /// The previous row's key and address cells as written, and this row's: an order's lines
    /// repeat them, and a repeat needs no parsing or hashing.
    last: String,
    cells: String,
    customer_id: StringBuilder,
    email: StringBuilder,
    phone: StringBuilder,
    consent: BooleanBuilder,
    /// The day of the order that gave the link, as `signup_date`: the customer was known from
    /// then, so a run dated before it does not offer them as a prospect.
    since: Date32Builder,
    source_line: Int64Builder,
    rows: usize,
    schema: SchemaRef,
}

impl ContactLinks {
    pub(crate) fn new() -> Self {
        ContactLinks {
            seen: HashSet::new(),
            key: String::new(),
            last: String::new(),
            cells: String::new(),
            customer_id: StringBuilder::new(),
            email: StringBuilder::new(),
            phone: StringBuilder::new(),
            consent: BooleanBuilder::new(),
            since: Date32Builder::new(),
            source_line: Int64Builder::new(),
            rows: 0,
            schema: customers_schema(),
        }
    }

    /// Whether the row's key, address and consent cells are the previous row's (then
    /// [`Self::see`] has nothing to learn from it).
    pub(crate) fn repeats<'a>(
        &mut self,
        key: &'a str,
        email_cell: &'a str,
        phone_cell: &'a str,
        consent_cells: impl Iterator<Item = &'a str>,
    ) -> bool {
        self.cells.clear();
        for part in [key, email_cell, phone_cell].into_iter().chain(consent_cells) {
            self.cells.push_str(part);
            self.cells.push('\u{1f}');
        }
        if self.cells == self.last {
            return true;
        }
        std::mem::swap(&mut self.cells, &mut self.last);
        false
    }

    /// The customer keyed `id` (a number, or an email or phone when the row has no number) has
    /// `email` and `phone` (keys, as the customers dataset writes them) and gave `consent` on
    /// `line`, an order of `day` (days since 1970-01-01). An address that is the key itself
    /// says nothing new.
    pub(crate) fn see(
        &mut self,
        line: u64,
        day: i32,
        id: &str,
        (email, phone): (Option<&str>, Option<&str>),
        consent: Option<bool>,
    ) {
        let email = email.filter(|e| *e != id);
        let phone = phone.filter(|p| *p != id);
        if email.is_none() && phone.is_none() && consent.is_none() {
            return;
        }
        let consent_part = consent.map(|c| if c { "y" } else { "n" });
        self.key.clear();
        for part in [Some(id), email, phone, consent_part] {
            self.key.push_str(part.unwrap_or_default());
            // Keys hold no control characters.
            self.key.push('\u{1f}');
        }
        let mut h = DefaultHasher::new();
        self.key.hash(&mut h);
        let hash = h.finish();
        if self.seen.contains(&hash) {
            return;
        }
        if self.seen.len() >= REMEMBERED {
            self.seen.clear();
        }
        self.seen.insert(hash);
        self.customer_id.append_value(id);
        self.email.append_option(email);
        self.phone.append_option(phone);
        self.consent.append_option(consent);
        self.since.append_value(day);
        self.source_line.append_value(line as i64);
        self.rows += 1;
    }

    /// The links seen since the last call, as `curated/customers` rows; None when there are none.
    pub(crate) fn finish_batch(&mut self, source_key: &str) -> Result<Option<RecordBatch>> {
        if self.rows == 0 {
            return Ok(None);
        }
        let rows = std::mem::take(&mut self.rows);
        batch_by_name(&self.schema, rows, source_key, |name| -> Option<ArrayRef> {
            Some(match name {
                "customer_id" => Arc::new(self.customer_id.finish()),
                "email" => Arc::new(self.email.finish()),
                "phone" => Arc::new(self.phone.finish()),
                "marketing_consent" => Arc::new(self.consent.finish()),
                "signup_date" => Arc::new(self.since.finish()),
                "source_line" => Arc::new(self.source_line.finish()),
                _ => return None,
            })
        })
        .map(Some)
    }
}
