//! The per-upload ingest report: what was detected, how columns were mapped, and where every row went.

use std::collections::BTreeMap;

use serde::Serialize;

use super::convert::{ConvertStats, ParseSettings};
use super::sniff::Format;
use super::writer::OutputFile;

#[derive(Debug, Clone, Serialize)]
pub struct SourceRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    pub size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every row was written.
    Ok,
    /// Some rows were quarantined.
    Partial,
    /// The file as a whole was not ingested; see `error`.
    Rejected,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportError {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RowCounts {
    /// Data rows after the header (blank lines and title lines above the header excluded).
    pub read: u64,
    pub written: u64,
    pub rejected: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Of the rows rejected, those whose refusal of marketing (an unsubscribe, a "no" at
    /// checkout) was kept in `curated/refusals` although the row was not: left out when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub refusals_kept: u64,
    /// Non-empty lines above the header row (report titles and notes).
    pub preamble_skipped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize)]
pub struct MappingReport {
    /// canonical field → source header
    pub used: BTreeMap<String, String>,
    pub unmapped: Vec<String>,
    pub override_file: bool,
    /// Activity: the event type given to every row, and what says so (a time column naming the
    /// event, a column only form-entry exports have, or the mapping file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implied_event_type: Option<crate::mapping::ImpliedEvent>,
    /// Sales: the platform whose layout the header shows and whose rows and values are read its
    /// own way (`shopify`, `amazon`, `ebay`, `magento`, `odoo`, `lightspeed`, `paypal`,
    /// `quickbooks`, `toast`, `shopify_bulk`, `sage`, `etsy`, `stripe_balance`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<crate::mapping::Layout>,
    /// Activity: a message log's direction column, whose outbound rows are the shop's own
    /// messages (quarantined as `outgoing_message`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_direction: Option<String>,
    /// Customers and sales: consent columns read beside the one `used` names for
    /// `marketing_consent` (a refusal in any refuses).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_consent: Vec<String>,
    /// The consent columns read as opt-outs ("Email Opt Out"): a yes there is a refusal.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub opt_out: Vec<String>,
    /// Customers, sales and activity: a second phone column ("Phone" beside the "Mobile" that
    /// `used` names for `phone`), read for a row whose mapped phone cell gives no number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_fallback: Option<String>,
    /// Activity: a second id column ("Lead ID" beside the "Contact ID" that `used` names for
    /// `customer_id`), read for a row whose mapped id cell is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_fallback: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub report_version: u32,
    pub schema_version: u32,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportError>,
    pub source: SourceRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<&'static str>,
    /// The dataset was given (`--dataset`, the key's folder) and the header reads more like
    /// another's: a sales export dropped into `incoming/customers/` is ingested as customers, and
    /// this says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_line: Option<u64>,
    /// Workbooks: the sheets read (with their line offsets) and those skipped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<super::source::SheetReport>,
    /// Sales: the file (or a folder of its key) is named as returns, so positive quantities in
    /// it were read as returns (counted in `stats.listed_returns`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_as_returns: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<MappingReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parsing: Option<ParseSettings>,
    pub rows: RowCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<ConvertStats>,
    pub outputs: Vec<OutputFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<String>,
    /// A rejected or failed version of a source that had readable rows: those rows stay, and this
    /// is the report of the version they came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_previous: Option<String>,
    /// What the user should know although the file was read: dates read day-first because
    /// nothing told their order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl IngestReport {
    pub fn new(source: SourceRef) -> Self {
        IngestReport {
            report_version: 1,
            schema_version: crate::schema::SCHEMA_VERSION,
            status: Status::Ok,
            error: None,
            source,
            dataset: None,
            dataset_note: None,
            format: None,
            header_line: None,
            sheets: Vec::new(),
            read_as_returns: false,
            mapping: None,
            parsing: None,
            rows: RowCounts::default(),
            stats: None,
            outputs: Vec::new(),
            quarantine: None,
            kept_previous: None,
            warnings: Vec::new(),
        }
    }
}
