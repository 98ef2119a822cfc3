//! One object through the engine and back to storage: spool, skip if this version was done, convert,
//! publish outputs, record the version, then retire the previous version's files.
//!
//! Several runs may work on one key at once (a corrected export uploaded while the first is still
//! converted; up to five function instances). Each version's files have names of their own, and
//! the source manifest is only ever replaced by a compare-and-swap against the manifest the run
//! read: a run that finds its upload replaced, or loses the swap to a run that published a newer
//! version, removes its own files and answers `superseded`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use segflow_engine::EngineError;
use segflow_engine::ingest::{
    self, DateEvidence, DateOrderFrom, IngestOptions, LearnedOrder, SourceRef, Status,
};
use segflow_engine::printable::Printable;
use segflow_engine::schema::{Dataset, SCHEMA_VERSION};
use segflow_engine::values::DateOrder;
use segflow_storage::{ObjectMeta, ObjectStore, StorageError};

/// Uploads are only ever read from here; outputs are never written below it.
pub const TRIGGER_PREFIX: &str = "incoming/";

/// Name prefix of a run's spool folder in the temp dir.
pub const WORK_PREFIX: &str = "segflow-ingest-";

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("worker task failed: {0}")]
    Join(String),
    #[error("{0}")]
    Io(String),
}

impl PipelineError {
    /// A failure of our own code on this input (a panic, an Arrow or Parquet error): it fails the
    /// same way on every delivery. Storage errors are not defects: access and configuration
    /// problems are fixed by an operator, and the message is redriven from the dead-letter queue.
    pub fn is_defect(&self) -> bool {
        match self {
            PipelineError::Join(_) => true,
            PipelineError::Engine(e) => !caused_by_io(e),
            PipelineError::Storage(_) | PipelineError::Io(_) => false,
        }
    }

    /// Whether delivering the same event again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            PipelineError::Storage(e) => e.is_retryable(),
            PipelineError::Io(_) => true,
            PipelineError::Engine(e) => caused_by_io(e),
            PipelineError::Join(_) => false,
        }
    }
}

/// Whether an I/O error is behind `e`: a full disk while the Parquet writer flushes surfaces as a
/// Parquet error, and is worth a retry on another day (or in another environment), not a defect.
fn caused_by_io(e: &EngineError) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<std::io::Error>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// What happened to one object; logged and returned by the handler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub key: String,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<&'static str>,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_rejected: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The report's `dataset_note`: a given dataset the header contradicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The report's `warnings` (dates read day-first because nothing told their order).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The dates were read by their chronology, or day-first for want of anything telling their
    /// order: the export layout ([`ingest::date_layout_key`]) whose learned order would have them
    /// read again. Also set on
    /// a `duplicate` whose recorded version was read so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_order_guessed: Option<String>,
    /// The report's `parsing.date_order_from` of the version read now: `earlier_upload` on a file
    /// [`reread_guessed`] read again because its layout's order became known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_order_from: Option<DateOrderFrom>,
    /// The report's `parsing.date_order_learned_from`: the upload that showed the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_order_learned_from: Option<String>,
}

impl Summary {
    pub fn skipped(key: &str, outcome: &'static str) -> Self {
        Summary {
            key: key.to_string(),
            outcome,
            dataset: None,
            rows_read: 0,
            rows_written: 0,
            rows_rejected: 0,
            report: None,
            error: None,
            note: None,
            warnings: Vec::new(),
            date_order_guessed: None,
            date_order_from: None,
            date_order_learned_from: None,
        }
    }
}

/// Bookkeeping per source key: which version was ingested and which files it produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceManifest {
    pub source_key: String,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    pub dataset: Option<String>,
    pub outputs: Vec<String>,
    pub report: String,
    pub status: String,
    /// When `outputs` are an earlier version's (this one was rejected or failed): that version's
    /// report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs_report: Option<String>,
    /// The data contract version this version of the upload was read in (manifests from before
    /// this field are version 1). A source read in an older one is read again when delivered
    /// again, so re-running an upgrade over the same uploads brings the curated data up to date.
    /// (When this version was rejected or failed, the outputs kept are an earlier version's and
    /// may be older still.)
    #[serde(default = "first_schema_version")]
    pub schema_version: u32,
    /// The shop's phone country this version was read with (`SEGFLOW_PHONE_COUNTRY`), which
    /// decides its phone keys: read with another, an unchanged upload is read again when
    /// delivered again, so that setting the country and re-running re-keys its numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_country: Option<String>,
    /// Files of earlier versions this one replaced, to be deleted: recorded with the version, so
    /// that a run interrupted after recording it (a timeout, an S3 error) has them deleted by the
    /// next delivery or version. Emptied once they are gone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<String>,
    /// This version's dates were read by their chronology, or day-first for want of anything
    /// telling their order: the export layout ([`ingest::date_layout_key`]) under which a later upload, or the
    /// configuration, may tell it. Delivered again once one does, the version is read again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_order_guessed: Option<String>,
    /// The order this version's `a/b/yyyy` dates were read in (`day-first`, `month-first`, …):
    /// a configured order other than `auto` that differs reads an unchanged upload again when it
    /// is delivered again, unless its own unambiguous values decided it (`date_order_from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_order: Option<DateOrder>,
    /// What decided `date_order` (the report's `parsing.date_order_from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_order_from: Option<DateOrderFrom>,
}

fn first_schema_version() -> u32 {
    1
}

impl SourceManifest {
    /// Whether `key` is one of the files this manifest keeps: a data or quarantine file, or a
    /// report.
    fn lists(&self, key: &str) -> bool {
        self.outputs.iter().any(|k| k == key)
            || self.report == key
            || self.outputs_report.as_deref() == Some(key)
    }

    /// The report of the version whose rows `outputs` hold.
    fn rows_report(&self) -> &str {
        self.outputs_report.as_deref().unwrap_or(&self.report)
    }
}

pub fn manifest_key(source_id: &str) -> String {
    format!("state/ingest/sources/{source_id}.json")
}

/// Where a run notes the files it is about to upload until its manifest records them:
/// `state/ingest/pending/<source_id>/<version>-<run>.json`. A run cut off between its uploads and its
/// manifest (a timeout, an error, its retries spent) leaves files under `curated/` that no
/// manifest lists, which the segment job and Athena would count beside the version that replaces
/// it; the next run that records, re-delivers or deletes the source deletes them by the note
/// once it is stale (see [`clear_pending`]).
pub fn pending_prefix(source_id: &str) -> String {
    format!("state/ingest/pending/{source_id}/")
}

/// A run's note of the files it uploads (see [`pending_prefix`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingNote {
    pub keys: Vec<String>,
    /// When the run wrote it, in Unix seconds.
    pub since: u64,
}

/// A note older than this is of a run that has ended (Lambda stops a run at 15 minutes): its
/// files are no run's to record any more. A younger one may be of a run still uploading, whose
/// files a newer run must leave alone (that run finds itself superseded and removes them).
pub const PENDING_STALE: Duration = Duration::from_secs(30 * 60);

/// How often a run writes its note again while it uploads, well within [`PENDING_STALE`]. The
/// note's time is the writer's clock: a machine whose clock runs 30 minutes behind the others'
/// writes notes that look old to them at once.
const NOTE_REFRESH: Duration = Duration::from_secs(5 * 60);

/// A name part no other run takes: the process, the time, and a counter.
fn run_nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    format!("{:x}{:x}{n:x}", std::process::id(), nanos)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn note_pending<O: ObjectStore>(output: &O, note: &str, keys: &[String]) -> Result<(), PipelineError> {
    let body = PendingNote {
        keys: keys.to_vec(),
        since: unix_now(),
    };
    output
        .put(note, serde_json::to_vec(&body).map_err(EngineError::from)?)
        .await?;
    Ok(())
}

/// Removes a run's own note once its files are recorded or removed. Best effort: left behind,
/// the note is cleared by a later run of the source (and an ingest role without the grant to
/// delete notes, before the template is redeployed, still publishes).
async fn drop_note<O: ObjectStore>(output: &O, note: &str) {
    if let Err(e) = output.delete(note).await {
        tracing::warn!(note, error = %Printable(&e.to_string()), "could not remove a run's note of its files");
    }
}

/// The source's notes, each with its content (an unreadable one names no files and dates from
/// 1970: it goes once found).
async fn read_notes<O: ObjectStore>(
    output: &O,
    source_id: &str,
) -> Result<Vec<(String, PendingNote)>, PipelineError> {
    let mut notes = Vec::new();
    for note in output.list(&pending_prefix(source_id)).await? {
        if let Some(bytes) = output.get(&note.key).await? {
            let n = serde_json::from_slice(&bytes).unwrap_or(PendingNote {
                keys: Vec::new(),
                since: 0,
            });
            notes.push((note.key, n));
        }
    }
    Ok(notes)
}

/// After `manifest` is recorded: removes this run's note (`own`), and the data and quarantine
/// files of stale notes of the source that the manifest does not list, with those notes; not a
/// file a young note lists (a run still uploading it, read again just before), nor a report (a
/// replaced version's stays). Best effort: the version is published, and what is left is found
/// again by the source's next run.
async fn clear_pending<O: ObjectStore>(
    output: &O,
    source_id: &str,
    own: Option<&str>,
    manifest: &SourceManifest,
) {
    let result: Result<(), PipelineError> = async {
        let stale = |n: &PendingNote| unix_now().saturating_sub(n.since) >= PENDING_STALE.as_secs();
        if let Some(own) = own {
            output.delete(own).await?;
        }
        for (note, n) in read_notes(output, source_id).await? {
            if Some(note.as_str()) == own || !stale(&n) {
                continue;
            }
            let young: std::collections::BTreeSet<String> = read_notes(output, source_id)
                .await?
                .into_iter()
                .filter(|(_, n)| !stale(n))
                .flat_map(|(_, n)| n.keys)
                .collect();
            for k in n.keys.iter().filter(|k| {
                !manifest.lists(k)
                    && !young.contains(k.as_str())
                    && (k.starts_with("curated/") || k.starts_with("quarantine/"))
            }) {
                output.delete(k).await?;
            }
            output.delete(&note).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(source_id, error = %Printable(&e.to_string()), "could not clear the notes of files uploaded before their manifest");
    }
}

/// The date orders uploads showed by their own dates, by export layout: one object for all
/// layouts, replaced by compare-and-swap so that no run loses another layout's entry.
pub const DATE_ORDERS_KEY: &str = "state/ingest/date_orders.json";

/// `state/ingest/date_orders.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DateOrders {
    /// [`ingest::date_layout_key`] → the order its uploads showed.
    #[serde(default)]
    pub layouts: BTreeMap<String, LayoutOrder>,
    /// [`ingest::date_layout_key`] → the keys of the uploads whose current version was read by
    /// their chronology or day-first while the layout had no entry in `layouts`, oldest first: once
    /// it has one, [`reread_guessed`] reads them again. An index, so that no run lists every source
    /// manifest to find them (a shop has thousands); only uploads read before their layout's order
    /// was known are ever added, at most [`MAX_GUESSED_PER_LAYOUT`] per layout.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub guessed: BTreeMap<String, Vec<String>>,
}

/// Uploads listed in [`DateOrders::guessed`] per layout. A daily export shows its order within
/// twelve days (the 13th); a layout that never does (a monthly file dated the 1st) would grow the
/// object every run loads without end. Past this, an upload is not listed (logged), and is read
/// again only when delivered again.
pub const MAX_GUESSED_PER_LAYOUT: usize = 500;

/// The date order uploads of one export layout showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutOrder {
    /// `day-first` or `month-first`.
    pub order: DateOrder,
    /// The date column's header.
    pub date_column: String,
    /// The upload whose unambiguous values showed it.
    pub learned_from: String,
    /// An upload whose unambiguous values showed the other order (two systems with the same
    /// header names): the layout's uploads disagree, and later files of the layout whose dates
    /// cannot tell get no learned order (the default, with a warning saying so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disagreed_by: Option<String>,
}

/// The learned date orders with their tag for [`ObjectStore::put_if`], read entry by entry: an
/// entry that cannot be read (an order other than day-first or month-first, a missing field) is
/// logged and skipped, the others kept — and a recorded order writes back only those. An object
/// that cannot be read at all is treated as empty, its tag kept (the next recorded order replaces
/// it), and the third value says why.
async fn load_date_orders<O: ObjectStore>(
    output: &O,
) -> Result<(DateOrders, Option<String>, Option<String>), PipelineError> {
    let Some((bytes, tag)) = output.get_tagged(DATE_ORDERS_KEY).await? else {
        return Ok((DateOrders::default(), None, None));
    };
    let mut guessed = None;
    let layouts = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut o)) => {
            guessed = o.remove("guessed");
            match o.remove("layouts") {
                None | Some(serde_json::Value::Null) => Ok(serde_json::Map::new()),
                Some(serde_json::Value::Object(l)) => Ok(l),
                Some(_) => Err("\"layouts\" is not an object".to_string()),
            }
        }
        Ok(_) => Err("not a JSON object".to_string()),
        Err(e) => Err(e.to_string()),
    };
    let layouts = match layouts {
        Ok(l) => l,
        Err(e) => {
            let error = format!("{DATE_ORDERS_KEY}: {e}");
            tracing::warn!(error = %Printable(&error), "the learned date orders cannot be read; none are used");
            return Ok((DateOrders::default(), Some(tag), Some(error)));
        }
    };
    let mut orders = DateOrders {
        guessed: guessed_index(guessed),
        ..DateOrders::default()
    };
    for (layout, entry) in layouts {
        match serde_json::from_value::<LayoutOrder>(entry) {
            Ok(l) if matches!(l.order, DateOrder::DayFirst | DateOrder::MonthFirst) => {
                orders.layouts.insert(layout, l);
            }
            Ok(l) => {
                tracing::warn!(layout = %Printable(&layout), order = ?l.order, "{DATE_ORDERS_KEY}: entry skipped: not day-first or month-first")
            }
            Err(e) => {
                tracing::warn!(layout = %Printable(&layout), error = %Printable(&e.to_string()), "{DATE_ORDERS_KEY}: entry skipped: cannot be read")
            }
        }
    }
    Ok((orders, Some(tag), None))
}

/// [`DateOrders::guessed`] read layout by layout, as the orders are: a layout whose list cannot be
/// read (not a list of keys) is logged and dropped — its uploads are then read again only when
/// delivered again —, the others kept.
fn guessed_index(value: Option<serde_json::Value>) -> BTreeMap<String, Vec<String>> {
    let map = match value {
        None | Some(serde_json::Value::Null) => return BTreeMap::new(),
        Some(serde_json::Value::Object(m)) => m,
        Some(_) => {
            tracing::warn!("{DATE_ORDERS_KEY}: \"guessed\" skipped: not an object");
            return BTreeMap::new();
        }
    };
    map.into_iter()
        .filter_map(|(layout, keys)| match serde_json::from_value::<Vec<String>>(keys) {
            Ok(keys) if !keys.is_empty() => Some((layout, keys)),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(layout = %Printable(&layout), error = %Printable(&e.to_string()), "{DATE_ORDERS_KEY}: guessed uploads skipped: not a list of keys");
                None
            }
        })
        .collect()
}

/// Changes the learned date orders by compare-and-swap, so that runs at once keep each other's
/// changes: `change` is applied to the object as read and says whether it changed it (nothing is
/// written otherwise). Returns whether it was written; `what` names the change in the error of a
/// run that keeps losing the swap.
async fn update_date_orders<O: ObjectStore>(
    output: &O,
    what: &str,
    mut change: impl FnMut(&mut DateOrders) -> bool,
) -> Result<bool, PipelineError> {
    for _ in 0..PUBLISH_ATTEMPTS {
        let (mut orders, tag, _) = load_date_orders(output).await?;
        if !change(&mut orders) {
            return Ok(false);
        }
        let bytes = serde_json::to_vec_pretty(&orders).map_err(EngineError::from)?;
        if output
            .put_if(DATE_ORDERS_KEY, bytes, tag.as_deref())
            .await?
            .is_some()
        {
            return Ok(true);
        }
    }
    Err(PipelineError::Storage(StorageError::Transient(format!(
        "{DATE_ORDERS_KEY}: changed by other runs {PUBLISH_ATTEMPTS} times while this one tried to {what}"
    ))))
}

/// `opts` with the date orders earlier uploads showed, when the configuration leaves the order to
/// the data.
async fn with_learned_orders<O: ObjectStore>(
    output: &O,
    opts: &IngestOptions,
) -> Result<IngestOptions, PipelineError> {
    let mut opts = opts.clone();
    if opts.date_order == DateOrder::Auto {
        let (orders, _, error) = load_date_orders(output).await?;
        opts.learned_date_orders_error = error;
        opts.learned_date_orders = orders
            .layouts
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    LearnedOrder {
                        order: v.order,
                        source_key: v.learned_from,
                        disagreed_by: v.disagreed_by,
                    },
                )
            })
            .collect();
    }
    Ok(opts)
}

/// Remembers the date order a published upload showed by its unambiguous values, for later uploads
/// of its layout whose dates cannot tell. Evidence from one shop's system agrees: an upload that
/// shows the other order (another system with the same header names) marks the layout as
/// disagreeing rather than replacing its order, unless it is the upload that showed it (corrected).
/// The compare-and-swap keeps the other layouts' entries.
async fn record_date_order<O: ObjectStore>(
    output: &O,
    evidence: &DateEvidence,
    source_key: &str,
) -> Result<(), PipelineError> {
    update_date_orders(output, "record a date order", |orders| {
        let entry = match orders.layouts.get(&evidence.layout) {
            Some(l) if l.order == evidence.order => return false,
            // The upload that showed the order, corrected: its new order stands. A disagreement
            // stays marked: the upload that disagreed may have been corrected too.
            Some(l) if l.learned_from == source_key => LayoutOrder {
                order: evidence.order,
                date_column: evidence.date_column.clone(),
                learned_from: source_key.to_string(),
                disagreed_by: l.disagreed_by.clone(),
            },
            Some(l) if l.disagreed_by.is_some() => return false,
            Some(l) => LayoutOrder {
                disagreed_by: Some(source_key.to_string()),
                ..l.clone()
            },
            None => LayoutOrder {
                order: evidence.order,
                date_column: evidence.date_column.clone(),
                learned_from: source_key.to_string(),
                disagreed_by: None,
            },
        };
        orders.layouts.insert(evidence.layout.clone(), entry);
        true
    })
    .await?;
    Ok(())
}

/// Moves `key` in [`DateOrders::guessed`] from the layout its previous version was listed under
/// (`from`) to the one its current version is to be listed under (`to`; `None`: not listed — read
/// by a known order, failed, deleted). An upload is not listed under a layout whose uploads
/// disagree (no learned order will come to read it again), nor past [`MAX_GUESSED_PER_LAYOUT`].
async fn index_guess<O: ObjectStore>(
    output: &O,
    key: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(), PipelineError> {
    if from.is_none() && to.is_none() {
        return Ok(());
    }
    update_date_orders(output, "list the uploads read before their date order was known", |orders| {
        let to = to.filter(|l| orders.layouts.get(*l).is_none_or(|e| e.disagreed_by.is_none()));
        let mut changed = false;
        for layout in from.into_iter().filter(|l| Some(*l) != to) {
            if let Some(keys) = orders.guessed.get_mut(layout)
                && let Some(i) = keys.iter().position(|k| k == key)
            {
                keys.remove(i);
                if keys.is_empty() {
                    orders.guessed.remove(layout);
                }
                changed = true;
            }
        }
        if let Some(layout) = to {
            let keys = orders.guessed.entry(layout.to_string()).or_default();
            if !keys.iter().any(|k| k == key) {
                if keys.len() < MAX_GUESSED_PER_LAYOUT {
                    keys.push(key.to_string());
                    changed = true;
                } else {
                    tracing::warn!(key = %Printable(key), layout = %Printable(layout), limit = MAX_GUESSED_PER_LAYOUT, "upload not listed to be read again once its layout's date order is known: the layout lists the most it may");
                }
            }
            if keys.is_empty() {
                orders.guessed.remove(layout);
            }
        }
        changed
    })
    .await?;
    Ok(())
}

/// Whether a version whose dates were read by their chronology or day-first for want of evidence
/// would now be read by something stronger: the configuration gives an order, or an upload of its layout has shown one.
async fn order_now_known<O: ObjectStore>(
    output: &O,
    m: &SourceManifest,
    date_order: DateOrder,
) -> Result<bool, PipelineError> {
    let Some(layout) = &m.date_order_guessed else {
        return Ok(false);
    };
    if date_order != DateOrder::Auto {
        return Ok(true);
    }
    let (orders, _, _) = load_date_orders(output).await?;
    if let Some(l) = orders.layouts.get(layout) {
        return Ok(l.disagreed_by.is_none());
    }
    // Still unknown. A version not listed to be read again (the run that read it could not list
    // it, or it was read before the list existed) is listed now, so that this delivery of it is
    // the last one needed.
    if !orders
        .guessed
        .get(layout)
        .is_some_and(|keys| keys.contains(&m.source_key))
        && let Err(e) = index_guess(output, &m.source_key, None, Some(layout)).await
    {
        tracing::warn!(key = %Printable(&m.source_key), error = %Printable(&e.to_string()), "could not list the upload to be read again once its date order is known");
    }
    Ok(false)
}

/// Whether the configured date order (not `auto`) would read a recorded version's dates otherwise:
/// they were read in the other order, by anything but the file's own unambiguous values (which
/// the configuration does not override: `11/13/2026` is month-first whatever it says).
fn configured_otherwise(m: &SourceManifest, date_order: DateOrder) -> bool {
    let day_or_month = |o: &DateOrder| matches!(o, DateOrder::DayFirst | DateOrder::MonthFirst);
    day_or_month(&date_order)
        && m.date_order
            .as_ref()
            .is_some_and(|o| day_or_month(o) && *o != date_order)
        && m.date_order_from != Some(DateOrderFrom::UnambiguousValue)
}

/// The order a report's `a/b/yyyy` dates were read in, and what decided it. None for a file
/// that has no such dates to read (a customer list, ISO dates): nothing decided their order, and
/// a changed configuration would read them alike.
fn date_reading(report: &ingest::IngestReport) -> Option<(DateOrder, Option<DateOrderFrom>)> {
    let p = report.parsing.as_ref()?;
    p.date_order_from?;
    let order = match p.date_format {
        "day-first" => DateOrder::DayFirst,
        "month-first" => DateOrder::MonthFirst,
        "jalali-year-first" => DateOrder::JalaliYearFirst,
        "jalali-day-first" => DateOrder::JalaliDayFirst,
        _ => return None,
    };
    Some((order, p.date_order_from))
}

/// Whether `key` is one the trigger delivers: under `incoming/sales/`, `incoming/customers/` or
/// `incoming/activity/` exactly, with no `.` or `..` segment. The S3 notification's filters let
/// nothing else through, but a direct invocation or a hand-written SQS message can name any key:
/// `incoming/other/x.csv` would be read as whatever its header says, and
/// `incoming/customers/../sales/pii.csv` (the sales upload) as customers.
pub fn is_trigger_key(key: &str) -> bool {
    let Some((folder, _)) = key
        .strip_prefix(TRIGGER_PREFIX)
        .and_then(|rest| rest.split_once('/'))
    else {
        return false;
    };
    Dataset::from_name(folder).is_some() && !key.split('/').any(|s| s == "." || s == "..")
}

/// The dataset a trigger key belongs to: `incoming/<dataset>/...`.
pub fn dataset_of_key(key: &str) -> Option<Dataset> {
    let rest = key.strip_prefix(TRIGGER_PREFIX)?;
    Dataset::from_name(rest.split('/').next()?)
}

/// Ingests `key` from `input` into `output`. `alt_key` is tried when `key` does not exist.
/// The dataset comes from `opts`, else from an `incoming/<dataset>/` key, else from the header.
pub async fn ingest_object<I: ObjectStore, O: ObjectStore>(
    input: &I,
    key: &str,
    alt_key: Option<&str>,
    output: &O,
    opts: &IngestOptions,
    tmp_root: &Path,
) -> Result<Summary, PipelineError> {
    let (key, meta) = match input.head(key).await? {
        Some(m) => (key, m),
        None => match alt_key {
            Some(alt) => match input.head(alt).await? {
                Some(m) => (alt, m),
                None => return Ok(Summary::skipped(key, "missing")),
            },
            None => return Ok(Summary::skipped(key, "missing")),
        },
    };
    if key.ends_with('/') {
        return Ok(Summary::skipped(key, "ignored_folder_marker"));
    }
    if let Some(previous) =
        previous_ingest(output, &meta, opts.phone_country.map(|c| c.iso), opts.date_order).await?
    {
        return Ok(previous);
    }
    let work = tempfile::Builder::new()
        .prefix(WORK_PREFIX)
        .tempdir_in(tmp_root)
        .map_err(|e| PipelineError::Io(format!("{}: {e}", tmp_root.display())))?;
    let spool = work.path().join("input");
    let meta = if meta.size > opts.max_input_bytes {
        // The engine rejects it on its size before reading a byte: downloading it would only fill
        // the disk (a 12 GB upload does not fit in the function's /tmp) and fail without a report.
        std::fs::File::create(&spool).map_err(|e| PipelineError::Io(format!("{}: {e}", spool.display())))?;
        meta
    } else {
        input.download(key, &spool).await?
    };
    let mut opts = with_learned_orders(output, opts).await?;
    if opts.dataset.is_none() {
        opts.dataset = dataset_of_key(key);
    }
    let staged = match stage(&spool, meta.clone(), input.describe(), &opts, work.path()).await {
        Ok(s) => s,
        Err(e) if e.is_defect() => {
            return record_failure(output, &meta, opts.dataset, &e, Some(input)).await;
        }
        Err(e) => return Err(e),
    };
    publish(output, staged, Some(input)).await
}

/// Reads again the uploads listed in [`DateOrders::guessed`] under layouts whose order is known
/// now — an upload of the layout showed it by a value, or the configuration gives one —, from
/// `input` (the bucket their keys are in), oldest first, while `budget` lasts (`None`: no limit).
/// Each is taken off the list before it is read: one whose upload is gone (`missing`), has
/// changed or fails is not tried again by a later run (its summary and a warning say so; uploading
/// it again reads it). So a source that cannot be read, or that a timeout cuts off, costs one
/// attempt, not one per run. What the budget leaves stays listed for a later run.
///
/// Err only when the list itself cannot be read or changed; a source's own failure is its
/// summary (`reread_failed`).
pub async fn reread_guessed<I: ObjectStore, O: ObjectStore>(
    input: &I,
    output: &O,
    opts: &IngestOptions,
    tmp_root: &Path,
    budget: Option<Duration>,
) -> Result<Vec<Summary>, PipelineError> {
    let start = Instant::now();
    let mut done = Vec::new();
    // The longest read so far: the next one is started only if that much is left.
    let mut longest = Duration::ZERO;
    // A bound on the loop whatever other runs do to the list meanwhile.
    let mut rounds = None;
    loop {
        let (orders, tag, _) = load_date_orders(output).await?;
        let known = |layout: &str| {
            opts.date_order != DateOrder::Auto
                || orders
                    .layouts
                    .get(layout)
                    .is_some_and(|l| l.disagreed_by.is_none())
        };
        let mut due = orders
            .guessed
            .iter()
            .filter(|(layout, _)| known(layout))
            .flat_map(|(layout, keys)| keys.iter().map(move |k| (layout, k)));
        let Some((layout, key)) = due.next() else {
            break;
        };
        let left = rounds.get_or_insert(due.count() + 1 + PUBLISH_ATTEMPTS);
        if *left == 0 {
            break;
        }
        *left -= 1;
        let (layout, key) = (layout.clone(), key.clone());
        if let Some(budget) = budget {
            let estimate = longest.max(last_read_time(output, &key).await);
            if start.elapsed() + estimate >= budget {
                tracing::info!(key = %Printable(&key), "read again by a later run: this one's time is up");
                break;
            }
        }
        let mut claimed = orders;
        let keys = claimed.guessed.entry(layout.clone()).or_default();
        keys.retain(|k| *k != key);
        if keys.is_empty() {
            claimed.guessed.remove(&layout);
        }
        let bytes = serde_json::to_vec_pretty(&claimed).map_err(EngineError::from)?;
        if output
            .put_if(DATE_ORDERS_KEY, bytes, tag.as_deref())
            .await?
            .is_none()
        {
            // Another run changed the list (and may have taken this source): look again.
            continue;
        }
        let began = Instant::now();
        let summary = match ingest_object(input, &key, None, output, opts, tmp_root).await {
            Ok(s) if s.outcome == "missing" => {
                tracing::info!(key = %Printable(&key), "listed to be read again, but the upload is gone: dropped from the list");
                s
            }
            Ok(s) => {
                tracing::info!(
                    key = %Printable(&key),
                    outcome = s.outcome,
                    rows_read = s.rows_read,
                    rows_written = s.rows_written,
                    rows_rejected = s.rows_rejected,
                    date_order_from = ?s.date_order_from,
                    "read again: its layout's date order is known now"
                );
                s
            }
            Err(e) => {
                tracing::warn!(key = %Printable(&key), error = %Printable(&e.to_string()), "could not read again the upload read before its layout's date order was known; not tried again until it is uploaded again");
                Summary {
                    error: Some(e.to_string()),
                    ..Summary::skipped(&key, "reread_failed")
                }
            }
        };
        longest = longest.max(began.elapsed());
        done.push(summary);
    }
    Ok(done)
}

/// How long reading a source again may take, from what its last read's report says the upload
/// is: its size (`source.size`) over the slowest throughput of its kind, plus [`REREAD_FIXED`].
/// Zero when there is no report to tell. The report carries no read time: it would differ from
/// run to run, and reports are byte-identical.
async fn last_read_time<O: ObjectStore>(output: &O, key: &str) -> Duration {
    let Ok(Some(m)) = load_manifest(output, &ingest::naming::source_id(key)).await else {
        return Duration::ZERO;
    };
    match output.get(&m.report).await {
        Ok(Some(bytes)) => serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|r| {
                let size = r["source"]["size"].as_u64()?;
                let format = &r["format"];
                Some(reread_estimate(
                    size,
                    format["container"].as_str(),
                    format["compression"].as_str() == Some("gzip"),
                ))
            })
            .unwrap_or_default(),
        _ => Duration::ZERO,
    }
}

/// What every read costs whatever its size: the manifest, the object's head and download, the
/// staged uploads, the conditional writes, each a request of tens to hundreds of milliseconds.
const REREAD_FIXED: Duration = Duration::from_secs(2);

/// Bytes per second of the upload (as stored: compressed, for gzip and workbooks) a read gets
/// through at least in the smallest function this deploys (1,024 MB, about 0.6 of a vCPU),
/// download included. Measured on two cores (BENCHMARKS.md), CSV converts at ~300 MB/s; these
/// are ten times and more below that share, so that a re-read started is seldom cut off.
fn reread_bytes_per_second(container: Option<&str>, gzip: bool) -> u64 {
    const MB: u64 = 1_000_000;
    match (container, gzip) {
        // Excel's XML, unzipped and parsed cell by cell, is several times the file.
        (Some("xlsx" | "xls") | None, _) => MB,
        // About five to ten times as many bytes to read as were downloaded.
        (_, true) => 2 * MB,
        (Some("json_lines" | "json_array"), false) => 5 * MB,
        (_, false) => 10 * MB,
    }
}

/// [`last_read_time`] of an upload of `size` bytes stored as `container` (the report's
/// `format.container`; `None` when it gives none, a file refused before it was sniffed).
fn reread_estimate(size: u64, container: Option<&str>, gzip: bool) -> Duration {
    let per_second = reread_bytes_per_second(container, gzip);
    REREAD_FIXED + Duration::from_millis(size.saturating_mul(1000) / per_second)
}

fn same_version(a: &ObjectMeta, b: &ObjectMeta) -> bool {
    a.etag == b.etag && a.version_id == b.version_id
}

/// How many times a run re-reads the manifest after losing the compare-and-swap to another run
/// before it gives up (with a retryable error): each loss means another run recorded a version
/// meanwhile, so more than a few means something keeps writing it.
const PUBLISH_ATTEMPTS: usize = 5;

/// Why a version may not be recorded: the upload it was read from is no longer current. A newer
/// version uploaded, or the object deleted, while this one was converted: publishing it now would
/// replace the newer version's rows or bring back deleted ones, and the newer event does the
/// publishing. `None` when it is still current, or when there is no upload to check (the CLI).
async fn replaced<I: ObjectStore>(
    input: Option<&I>,
    meta: &ObjectMeta,
) -> Result<Option<&'static str>, PipelineError> {
    let Some(input) = input else {
        return Ok(None);
    };
    Ok(match input.head(&meta.key).await? {
        Some(now) if same_version(&now, meta) => None,
        Some(_) => Some("superseded"),
        None => Some("deleted_meanwhile"),
    })
}

/// Whether `m` records exactly this version of the upload, read as it would be now.
fn records(m: &SourceManifest, meta: &ObjectMeta, phone_country: Option<&str>) -> bool {
    m.source_key == meta.key
        && m.etag.is_some()
        && m.etag == meta.etag
        && m.version_id == meta.version_id
        && m.schema_version == SCHEMA_VERSION
        && m.phone_country.as_deref() == phone_country
}

/// A run that may not record its version removes what it wrote, except files the manifest names
/// now (another run of the same version may have recorded them).
async fn abandon<O: ObjectStore>(
    output: &O,
    source_id: &str,
    written: &[String],
) -> Result<(), PipelineError> {
    let now = load_manifest(output, source_id).await?;
    for k in written {
        if !now.as_ref().is_some_and(|m| m.lists(k)) {
            output.delete(k).await?;
        }
    }
    Ok(())
}

/// Deletes the files a recorded manifest retired, then records that they are gone (when the
/// manifest has not changed meanwhile; otherwise the newer manifest carries them on).
async fn finish_retiring<O: ObjectStore>(
    output: &O,
    source_id: &str,
    manifest: &SourceManifest,
    tag: &str,
) -> Result<(), PipelineError> {
    if manifest.retired.is_empty() {
        return Ok(());
    }
    for k in &manifest.retired {
        output.delete(k).await?;
    }
    let done = SourceManifest {
        retired: Vec::new(),
        ..manifest.clone()
    };
    put_manifest_if(output, source_id, &done, Some(tag)).await?;
    Ok(())
}

/// An object removed from `incoming/` (deleted, or its newest version deleted): the source's rows
/// go with it. When an older version became current instead, that version is ingested.
/// `alt_key` is the other reading of an event's raw key, as for [`ingest_object`].
pub async fn sync_removed<I: ObjectStore, O: ObjectStore>(
    input: &I,
    key: &str,
    alt_key: Option<&str>,
    output: &O,
    opts: &IngestOptions,
    tmp_root: &Path,
) -> Result<Summary, PipelineError> {
    // Each reading in turn, the event's own first: when both name objects ("a b.csv" deleted,
    // "a+b.csv" still there), the deleted one is this event's.
    let mut found = None;
    for k in std::iter::once(key).chain(alt_key) {
        if input.head(k).await?.is_some() {
            return ingest_object(input, k, None, output, opts, tmp_root).await;
        }
        if let Some(m) = load_manifest(output, &ingest::naming::source_id(k)).await?
            && taken_by(&m, k).is_none()
        {
            found = Some((k, m));
            break;
        }
    }
    let Some((key, _)) = found else {
        return Ok(Summary::skipped(key, "missing"));
    };
    let source_id = ingest::naming::source_id(key);
    for attempt in 0..PUBLISH_ATTEMPTS {
        // Looked at above for the first attempt. Uploaded again meanwhile (or an older version
        // current again): that version is ingested instead.
        if attempt > 0 && input.head(key).await?.is_some() {
            return ingest_object(input, key, None, output, opts, tmp_root).await;
        }
        let Some((old, tag)) = load_manifest_tagged(output, &source_id)
            .await?
            .filter(|(m, _)| taken_by(m, key).is_none())
        else {
            return Ok(Summary::skipped(key, "missing"));
        };
        if old.status == "deleted" {
            return Ok(Summary::skipped(key, "duplicate"));
        }
        // Deleted before the tombstone is recorded, so that a retry after a failure part-way
        // finds them still listed. Each version's files have names of their own: these are the
        // recorded version's, which a version recorded meanwhile replaces anyway.
        for k in old.outputs.iter().chain(&old.retired) {
            output.delete(k).await?;
        }
        let dataset = old.dataset.as_deref().and_then(Dataset::from_name);
        let was_guessed = old.date_order_guessed.clone();
        let tombstone = SourceManifest {
            source_key: key.to_string(),
            etag: None,
            version_id: None,
            dataset: old.dataset,
            outputs: Vec::new(),
            report: old.report,
            status: "deleted".into(),
            outputs_report: None,
            schema_version: SCHEMA_VERSION,
            phone_country: None,
            retired: Vec::new(),
            date_order_guessed: None,
            date_order: None,
            date_order_from: None,
        };
        if put_manifest_if(output, &source_id, &tombstone, Some(&tag)).await? {
            clear_pending(output, &source_id, None, &tombstone).await;
            unlist_guess(output, key, was_guessed.as_deref()).await;
            return Ok(Summary {
                dataset: dataset.map(Dataset::name),
                ..Summary::skipped(key, "deleted")
            });
        }
        // Another run recorded a version meanwhile: look again.
    }
    Err(contended(&source_id))
}

/// Takes a source whose version is no longer read by a guess off [`DateOrders::guessed`]. A
/// failure only leaves it listed: read again later, it is a duplicate (or missing) and dropped.
async fn unlist_guess<O: ObjectStore>(output: &O, key: &str, layout: Option<&str>) {
    if let Err(e) = index_guess(output, key, layout, None).await {
        tracing::warn!(key = %Printable(key), error = %Printable(&e.to_string()), "could not take the upload off the list of uploads to read again once their date order is known");
    }
}

fn contended(source_id: &str) -> PipelineError {
    PipelineError::Storage(StorageError::Transient(format!(
        "{}: changed by other runs {PUBLISH_ATTEMPTS} times while this one tried to record its version",
        manifest_key(source_id)
    )))
}

/// Ingests a local file already on disk, known to the product as `meta.key`, and publishes the
/// outputs to `output`. Callers check [`previous_ingest`] first.
pub async fn process_file<O: ObjectStore>(
    file: &Path,
    meta: ObjectMeta,
    origin: String,
    output: &O,
    opts: &IngestOptions,
    work: &Path,
) -> Result<Summary, PipelineError> {
    let opts = with_learned_orders(output, opts).await?;
    let staged = stage(file, meta, origin, &opts, work).await?;
    publish(output, staged, None::<&O>).await
}

/// One version of a source converted into local files, not yet published.
struct Staged {
    meta: ObjectMeta,
    outcome: ingest::IngestOutcome,
    phone_country: Option<&'static str>,
    /// The configured date order it was read with.
    date_order: DateOrder,
    /// The layout to list the version under in [`DateOrders::guessed`]: its dates were guessed
    /// while the layout had no entry at all. Guessed with one (its uploads disagree, or a
    /// platform layout such as Toast's reads by its own order), it would be read the same way
    /// again: listed, it would only cost a run a read for nothing.
    list_guess: Option<String>,
}

async fn stage(
    file: &Path,
    meta: ObjectMeta,
    origin: String,
    opts: &IngestOptions,
    work: &Path,
) -> Result<Staged, PipelineError> {
    let staging = work.join("staging");
    let src = SourceRef {
        bucket: Some(origin),
        key: meta.key.clone(),
        etag: meta.etag.clone(),
        version_id: meta.version_id.clone(),
        size: meta.size,
    };
    let (file, o) = (file.to_path_buf(), opts.clone());
    // The engine's log lines go where the handler's go, on the blocking pool's thread too.
    let logs = tracing::dispatcher::get_default(Clone::clone);
    let outcome = tokio::task::spawn_blocking(move || {
        tracing::dispatcher::with_default(&logs, || ingest::ingest_file(&file, src, &o, &staging))
    })
    .await
    .map_err(|e| PipelineError::Join(e.to_string()))??;
    let list_guess = outcome
        .date_order_guessed
        .clone()
        .filter(|l| !opts.learned_date_orders.contains_key(l));
    Ok(Staged {
        meta,
        outcome,
        phone_country: opts.phone_country.map(|c| c.iso),
        date_order: opts.date_order,
        list_guess,
    })
}

/// Publishes a staged version: uploads its files (named for this version, so no other version's
/// are touched), checks that the upload is still this version, records the version by a
/// compare-and-swap of the source manifest against the one read, and then deletes the files of
/// the version it replaced. A run that finds its upload replaced, or loses the swap to a run that
/// recorded a newer version, removes its own files and answers `superseded` (or
/// `deleted_meanwhile`); one that loses to a run of the same version answers `duplicate`.
async fn publish<O: ObjectStore, I: ObjectStore>(
    output: &O,
    staged: Staged,
    input: Option<&I>,
) -> Result<Summary, PipelineError> {
    let Staged {
        meta,
        mut outcome,
        phone_country,
        date_order,
        list_guess,
    } = staged;
    let source_id = outcome.source_id.clone();
    let own: Vec<String> = outcome.files.iter().map(|f| f.key.clone()).collect();
    let written: Vec<String> = own
        .iter()
        .cloned()
        .chain(std::iter::once(outcome.report_file.key.clone()))
        .collect();
    let mut uploaded = false;
    // A name of this run's own: two runs of one version (a redelivery, a re-read) keep a note each.
    let note = format!(
        "{}{}-{}.json",
        pending_prefix(&source_id),
        ingest::naming::version_tag(meta.etag.as_deref(), meta.version_id.as_deref()),
        run_nonce()
    );
    for _ in 0..PUBLISH_ATTEMPTS {
        let (old, tag) = match load_manifest_tagged(output, &source_id).await? {
            Some((m, t)) => (Some(m), Some(t)),
            None => (None, None),
        };
        if let Some(other) = old.as_ref().and_then(|m| taken_by(m, &meta.key)) {
            // The other upload's first run recorded it while this one converted.
            if uploaded {
                abandon(output, &source_id, &written).await?;
                drop_note(output, &note).await;
            }
            return Ok(id_taken(&meta.key, other));
        }
        // A version read by its chronology or day-first for want of evidence is read again once
        // an order is known: this run's reading replaces it.
        let settles_guess =
            |m: &SourceManifest| m.date_order_guessed.is_some() && outcome.date_order_guessed.is_none();
        if let Some(m) = old.as_ref().filter(|m| {
            records(m, &meta, phone_country) && !settles_guess(m) && !configured_otherwise(m, date_order)
        }) {
            // Another run of this very version recorded it meanwhile (a redelivery overlapping
            // the first delivery): its files are these files, but for any its own reading put
            // elsewhere (its dates read in another order: other months). Those are left to its
            // note: a later run deletes what the manifest then does not list (deleted now, with
            // this manifest, they might be a third run's it records meanwhile).
            return Ok(duplicate(m, &meta.key));
        }
        // A re-upload that cannot be read at all (an empty file, a changed header, a cut-off
        // download) must not wipe the rows the last readable version gave: they stay until a
        // readable version replaces them or the upload is deleted, and the report says so.
        let kept = match &old {
            Some(m) if outcome.report.status == Status::Rejected && !m.outputs.is_empty() => {
                Some((m.outputs.clone(), m.rows_report().to_string()))
            }
            _ => None,
        };
        let kept_previous = kept.as_ref().map(|(_, r)| r.clone());
        if outcome.report.kept_previous != kept_previous {
            outcome.report.kept_previous = kept_previous;
            let path = &outcome.report_file.path;
            std::fs::write(
                path,
                serde_json::to_vec_pretty(&outcome.report).map_err(EngineError::from)?,
            )
            .map_err(|e| PipelineError::Io(format!("{}: {e}", path.display())))?;
        }
        if !uploaded {
            note_pending(output, &note, &written).await?;
            let mut noted = Instant::now();
            for f in &outcome.files {
                // Kept young while the uploads last (a slow link from the CLI has no 15-minute
                // cap): an old note's files are a run's that ended, which another run deletes.
                if noted.elapsed() > NOTE_REFRESH {
                    note_pending(output, &note, &written).await?;
                    noted = Instant::now();
                }
                output.upload_file(&f.key, &f.path).await?;
            }
            uploaded = true;
        }
        output
            .upload_file(&outcome.report_file.key, &outcome.report_file.path)
            .await?;
        if let Some(outcome) = replaced(input, &meta).await? {
            abandon(output, &source_id, &written).await?;
            drop_note(output, &note).await;
            return Ok(Summary::skipped(&meta.key, outcome));
        }
        let new_keys: Vec<String> = match &kept {
            Some((outputs, _)) => outputs.clone(),
            None => own.clone(),
        };
        let retired: Vec<String> = old
            .iter()
            .flat_map(|m| m.outputs.iter().chain(&m.retired))
            .filter(|k| !new_keys.contains(k))
            .fold(Vec::new(), |mut v, k| {
                if !v.contains(k) {
                    v.push(k.clone());
                }
                v
            });
        let report = &outcome.report;
        let read_order = date_reading(report);
        let status = match report.status {
            Status::Ok => "ok",
            Status::Partial => "partial",
            Status::Rejected => "rejected",
        };
        let manifest = SourceManifest {
            source_key: meta.key.clone(),
            etag: meta.etag.clone(),
            version_id: meta.version_id.clone(),
            dataset: outcome.dataset.map(|d| d.name().to_string()),
            outputs: new_keys,
            report: outcome.report_file.key.clone(),
            status: status.to_string(),
            outputs_report: outcome.report.kept_previous.clone(),
            schema_version: SCHEMA_VERSION,
            phone_country: phone_country.map(str::to_string),
            retired,
            date_order_guessed: outcome.date_order_guessed.clone(),
            date_order: read_order.map(|(o, _)| o),
            date_order_from: read_order.and_then(|(_, f)| f),
        };
        let Some(new_tag) = put_manifest_tagged(output, &source_id, &manifest, tag.as_deref()).await? else {
            // Another run recorded a version meanwhile: read again what it recorded.
            continue;
        };
        finish_retiring(output, &source_id, &manifest, &new_tag).await?;
        clear_pending(output, &source_id, Some(&note), &manifest).await;
        if let Some(evidence) = &outcome.date_evidence
            && let Err(e) = record_date_order(output, evidence, &meta.key).await
        {
            // The upload is published; only later uploads of its layout miss the order.
            tracing::warn!(key = %Printable(&meta.key), error = %Printable(&e.to_string()), "could not record the date order the upload showed");
        }
        let was_guessed = old.as_ref().and_then(|m| m.date_order_guessed.as_deref());
        if let Err(e) = index_guess(output, &meta.key, was_guessed, list_guess.as_deref()).await {
            // Published; a delivery of it again while its order is unknown lists it.
            tracing::warn!(key = %Printable(&meta.key), error = %Printable(&e.to_string()), "could not update the list of uploads to read again once their date order is known");
        }
        return Ok(Summary {
            key: meta.key,
            outcome: status,
            dataset: outcome.dataset.map(Dataset::name),
            rows_read: report.rows.read,
            rows_written: report.rows.written,
            rows_rejected: report.rows.rejected,
            report: Some(outcome.report_file.key.clone()),
            error: report
                .error
                .as_ref()
                .map(|e| format!("{}: {}", e.code, e.message)),
            note: report.dataset_note.clone(),
            warnings: report.warnings.clone(),
            date_order_guessed: outcome.date_order_guessed.clone(),
            date_order_from: report.parsing.as_ref().and_then(|p| p.date_order_from),
            date_order_learned_from: report
                .parsing
                .as_ref()
                .and_then(|p| p.date_order_learned_from.clone()),
        });
    }
    Err(contended(&source_id))
}

/// A defect met while converting (a panic, an Arrow or Parquet error) fails the same way on every
/// delivery: retrying would only delay the dead-letter queue by hours and tell the user nothing.
/// The version gets a report saying so and is recorded as done, keeping the rows of the
/// previous version; uploading the file again (after a fix) retries it.
async fn record_failure<O: ObjectStore, I: ObjectStore>(
    output: &O,
    meta: &ObjectMeta,
    dataset: Option<Dataset>,
    error: &PipelineError,
    input: Option<&I>,
) -> Result<Summary, PipelineError> {
    tracing::error!(key = %Printable(&meta.key), error = %Printable(&error.to_string()), "object failed with a defect; reported, not retried");
    let source_id = ingest::naming::source_id(&meta.key);
    let version = ingest::naming::version_tag(meta.etag.as_deref(), meta.version_id.as_deref());
    let report_key = ingest::naming::report_key(dataset, &source_id, &version);
    for _ in 0..PUBLISH_ATTEMPTS {
        let (old, tag) = match load_manifest_tagged(output, &source_id).await? {
            Some((m, t)) => (Some(m), Some(t)),
            None => (None, None),
        };
        if let Some(other) = old.as_ref().and_then(|m| taken_by(m, &meta.key)) {
            return Ok(id_taken(&meta.key, other));
        }
        let mut report = ingest::IngestReport::new(SourceRef {
            bucket: None,
            key: meta.key.clone(),
            etag: meta.etag.clone(),
            version_id: meta.version_id.clone(),
            size: meta.size,
        });
        report.status = Status::Rejected;
        report.dataset = dataset.map(Dataset::name);
        report.error = Some(ingest::report::ReportError {
            code: "internal_error",
            message: format!(
                "segflow failed on this file ({error}); it is not retried automatically. Upload it again \
                 once the cause is fixed"
            ),
        });
        report.kept_previous = old
            .as_ref()
            .filter(|m| !m.outputs.is_empty())
            .map(|m| m.rows_report().to_string());
        output
            .put(
                &report_key,
                serde_json::to_vec_pretty(&report).map_err(EngineError::from)?,
            )
            .await?;
        if let Some(outcome) = replaced(input, meta).await? {
            abandon(output, &source_id, std::slice::from_ref(&report_key)).await?;
            return Ok(Summary::skipped(&meta.key, outcome));
        }
        let was_guessed = old.as_ref().and_then(|m| m.date_order_guessed.clone());
        let manifest = SourceManifest {
            source_key: meta.key.clone(),
            etag: meta.etag.clone(),
            version_id: meta.version_id.clone(),
            dataset: dataset.map(|d| d.name().to_string()),
            outputs: old.as_ref().map(|m| m.outputs.clone()).unwrap_or_default(),
            report: report_key.clone(),
            status: "failed".into(),
            outputs_report: report.kept_previous.clone(),
            schema_version: SCHEMA_VERSION,
            phone_country: None,
            retired: old.map(|m| m.retired).unwrap_or_default(),
            date_order_guessed: None,
            date_order: None,
            date_order_from: None,
        };
        if put_manifest_if(output, &source_id, &manifest, tag.as_deref()).await? {
            // Not read again by a learned order: this version fails whatever the order, and only
            // an upload again (after a fix) reads it.
            unlist_guess(output, &meta.key, was_guessed.as_deref()).await;
            return Ok(Summary {
                dataset: dataset.map(Dataset::name),
                report: Some(report_key),
                error: report.error.map(|e| format!("{}: {}", e.code, e.message)),
                ..Summary::skipped(&meta.key, "failed")
            });
        }
    }
    Err(contended(&source_id))
}

/// Records `manifest` if the stored one is still the one read with tag `expected` (`None`: if there
/// is none); returns the new tag, or `None` when another run wrote it meanwhile.
async fn put_manifest_tagged<O: ObjectStore>(
    output: &O,
    source_id: &str,
    manifest: &SourceManifest,
    expected: Option<&str>,
) -> Result<Option<String>, PipelineError> {
    let bytes = serde_json::to_vec_pretty(manifest).map_err(EngineError::from)?;
    Ok(output.put_if(&manifest_key(source_id), bytes, expected).await?)
}

async fn put_manifest_if<O: ObjectStore>(
    output: &O,
    source_id: &str,
    manifest: &SourceManifest,
    expected: Option<&str>,
) -> Result<bool, PipelineError> {
    Ok(put_manifest_tagged(output, source_id, manifest, expected)
        .await?
        .is_some())
}

/// The manifest with its tag for [`put_manifest_if`]. An unreadable manifest is treated as absent
/// for what it records, but its tag is kept: the swap replaces it.
async fn load_manifest_tagged<O: ObjectStore>(
    output: &O,
    source_id: &str,
) -> Result<Option<(SourceManifest, String)>, PipelineError> {
    Ok(output
        .get_tagged(&manifest_key(source_id))
        .await?
        .map(|(bytes, tag)| {
            let m = serde_json::from_slice(&bytes).unwrap_or_else(|_| unreadable_manifest());
            (m, tag)
        }))
}

/// Stands in for a manifest that cannot be parsed: records nothing, so the run rewrites everything.
fn unreadable_manifest() -> SourceManifest {
    SourceManifest {
        source_key: String::new(),
        etag: None,
        version_id: None,
        dataset: None,
        outputs: Vec::new(),
        report: String::new(),
        status: "unreadable".into(),
        outputs_report: None,
        schema_version: SCHEMA_VERSION,
        phone_country: None,
        retired: Vec::new(),
        date_order_guessed: None,
        date_order: None,
        date_order_from: None,
    }
}

async fn load_manifest<O: ObjectStore>(
    output: &O,
    source_id: &str,
) -> Result<Option<SourceManifest>, PipelineError> {
    Ok(match output.get(&manifest_key(source_id)).await? {
        // An unreadable manifest is treated as absent: the run then simply rewrites everything.
        Some(bytes) => serde_json::from_slice(&bytes).ok(),
        None => None,
    })
}

/// The summary of a source whose exact version (same key and ETag/version) was already ingested
/// in this data contract version, so a duplicate delivery costs one small read. It says how that version ended: a file that was
/// rejected and is delivered again unchanged is still rejected (`error` set), so that a re-run of
/// a folder does not report success for it. Also the refusal of an upload whose source id another
/// upload's manifest holds (see [`id_taken`]), read from the same manifest.
pub async fn previous_ingest<O: ObjectStore>(
    output: &O,
    meta: &ObjectMeta,
    phone_country: Option<&str>,
    date_order: DateOrder,
) -> Result<Option<Summary>, PipelineError> {
    let source_id = ingest::naming::source_id(&meta.key);
    let Some((m, tag)) = load_manifest_tagged(output, &source_id).await? else {
        return Ok(None);
    };
    if let Some(other) = taken_by(&m, &meta.key) {
        return Ok(Some(id_taken(&meta.key, other)));
    }
    if !records(&m, meta, phone_country)
        || configured_otherwise(&m, date_order)
        || order_now_known(output, &m, date_order).await?
    {
        return Ok(None);
    }
    // The run that recorded it stopped before deleting the files it replaced, or an earlier
    // run before recording its own.
    finish_retiring(output, &source_id, &m, &tag).await?;
    clear_pending(output, &source_id, None, &m).await;
    Ok(Some(duplicate(&m, &meta.key)))
}

/// The other upload whose manifest holds the id `key` has too (see [`id_taken`]), if any. An
/// unreadable manifest names none and is replaced.
fn taken_by<'m>(m: &'m SourceManifest, key: &str) -> Option<&'m str> {
    Some(m.source_key.as_str()).filter(|k| !k.is_empty() && *k != key)
}

/// Two upload keys with one source id (the file's name and 32 bits of its key's hash: about one
/// pair in a million among 100 uploads of one file name in different folders). Read, the upload
/// would replace the other's rows: it is refused instead, and renaming it reads it.
fn id_taken(key: &str, other: &str) -> Summary {
    tracing::error!(key = %Printable(key), other = %Printable(other), "upload not read: its source id is another upload's");
    Summary {
        error: Some(format!(
            "source_id_taken: this upload's id ({}) is that of {} already: reading it would replace that upload's rows. Rename the file (or its folder) and upload it again",
            ingest::naming::source_id(key),
            Printable(other)
        )),
        ..Summary::skipped(key, "rejected")
    }
}

/// The answer for a version that `m` already records.
fn duplicate(m: &SourceManifest, key: &str) -> Summary {
    Summary {
        dataset: m
            .dataset
            .as_deref()
            .and_then(Dataset::from_name)
            .map(Dataset::name),
        report: Some(m.report.clone()),
        error: matches!(m.status.as_str(), "rejected" | "failed").then(|| {
            format!(
                "unchanged since it was {} (see its report): fix the file and upload it again; if an option such as --dataset or --mapping is the fix, save the file again (a new modification time) so that it is read again",
                m.status
            )
        }),
        // Read day-first for want of an order: a caller that learns one later (the CLI's second
        // pass over a folder) reads it again.
        date_order_guessed: m.date_order_guessed.clone(),
        ..Summary::skipped(key, "duplicate")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use segflow_storage::LocalStore;

    #[test]
    fn trigger_keys_are_under_a_dataset_folder_without_dot_segments() {
        for key in [
            "incoming/sales/a.csv",
            "incoming/customers/shopA/2024/crm.xlsx",
            "incoming/activity/فروش ۱۴۰۲.csv",
            "incoming/sales/",
            "incoming/sales/v1..v2.csv",
            "incoming/sales/.hidden.csv",
        ] {
            assert!(is_trigger_key(key), "{key}");
        }
        for key in [
            "incoming/other/x.csv",
            "incoming/Sales/x.csv",
            "incoming/x.csv",
            "incoming/sales",
            "incoming/customers/../sales/pii.csv",
            "incoming/sales/./x.csv",
            "incoming/sales/..",
            "curated/sales/x.parquet",
        ] {
            assert!(!is_trigger_key(key), "{key}");
        }
    }

    #[test]
    fn only_our_own_failures_are_defects() {
        assert!(PipelineError::Join("task panicked".into()).is_defect());
        assert!(PipelineError::Engine(EngineError::Invalid("x".into())).is_defect());
        let io = EngineError::io("/tmp/x", std::io::Error::other("disk full"));
        assert!(!PipelineError::Engine(io).is_defect());
        assert!(!PipelineError::Storage(StorageError::Other("AccessDenied".into())).is_defect());
        assert!(!PipelineError::Io("tmp".into()).is_defect());
        // A full /tmp while the Parquet writer flushes: retried, not recorded as a defect.
        let full = std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device");
        let parquet = EngineError::Parquet(parquet::errors::ParquetError::External(Box::new(full)));
        let e = PipelineError::Engine(parquet);
        assert!(!e.is_defect() && e.is_retryable());
        let e = PipelineError::Engine(EngineError::Parquet(parquet::errors::ParquetError::General(
            "bad".into(),
        )));
        assert!(e.is_defect() && !e.is_retryable());
    }

    /// A defect gets a report and the version is recorded, so a redelivery is a duplicate, not
    /// five more failures and a dead letter hours later; the previous version's rows stay.
    #[tokio::test]
    async fn a_defect_is_reported_once_and_keeps_the_previous_rows() {
        let dir = tempfile::tempdir().unwrap();
        let out = LocalStore::new(dir.path());
        let meta = ObjectMeta {
            key: "incoming/sales/a.csv".into(),
            size: 10,
            etag: Some("e2".into()),
            version_id: None,
        };
        let source_id = ingest::naming::source_id(&meta.key);
        let previous = SourceManifest {
            source_key: meta.key.clone(),
            etag: Some("e1".into()),
            version_id: None,
            dataset: Some("sales".into()),
            outputs: vec!["curated/sales/order_month=2024-01/a.parquet".into()],
            report: "reports/ingest/sales/a/e-e1.json".into(),
            status: "ok".into(),
            outputs_report: None,
            schema_version: SCHEMA_VERSION,
            phone_country: None,
            retired: Vec::new(),
            date_order_guessed: None,
            date_order: None,
            date_order_from: None,
        };
        assert!(put_manifest_if(&out, &source_id, &previous, None).await.unwrap());

        let err = PipelineError::Join("task panicked".into());
        let s = record_failure(&out, &meta, Some(Dataset::Sales), &err, None::<&LocalStore>)
            .await
            .unwrap();
        assert_eq!(s.outcome, "failed");
        let bytes = out.get(s.report.as_deref().unwrap()).await.unwrap().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(report["status"], "rejected");
        assert_eq!(report["error"]["code"], "internal_error");
        assert_eq!(report["kept_previous"], "reports/ingest/sales/a/e-e1.json");
        assert!(
            previous_ingest(&out, &meta, None, DateOrder::Auto)
                .await
                .unwrap()
                .is_some()
        );
        let state = load_manifest(&out, &source_id).await.unwrap().unwrap();
        assert_eq!(
            (state.status.as_str(), state.outputs),
            ("failed", previous.outputs)
        );
    }

    /// A run that recorded its version but stopped before deleting the files it replaced (a
    /// timeout): the next delivery of that version deletes them, and records that they are gone.
    #[tokio::test]
    async fn a_duplicate_delivery_finishes_retiring_the_replaced_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = LocalStore::new(dir.path());
        let meta = ObjectMeta {
            key: "incoming/sales/a.csv".into(),
            size: 10,
            etag: Some("e2".into()),
            version_id: None,
        };
        let source_id = ingest::naming::source_id(&meta.key);
        let old = format!("curated/sales/order_month=2024-01/{source_id}.e-11111111.parquet");
        let new = format!("curated/sales/order_month=2024-01/{source_id}.e-22222222.parquet");
        for k in [&old, &new] {
            out.put(k, b"x".to_vec()).await.unwrap();
        }
        let recorded = SourceManifest {
            source_key: meta.key.clone(),
            etag: Some("e2".into()),
            version_id: None,
            dataset: Some("sales".into()),
            outputs: vec![new.clone()],
            report: "reports/ingest/sales/a/e-e2.json".into(),
            status: "ok".into(),
            outputs_report: None,
            schema_version: SCHEMA_VERSION,
            phone_country: None,
            retired: vec![old.clone()],
            date_order_guessed: None,
            date_order: None,
            date_order_from: None,
        };
        assert!(put_manifest_if(&out, &source_id, &recorded, None).await.unwrap());
        let s = previous_ingest(&out, &meta, None, DateOrder::Auto)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.outcome, "duplicate");
        assert_eq!(out.get(&old).await.unwrap(), None);
        assert!(out.get(&new).await.unwrap().is_some());
        let state = load_manifest(&out, &source_id).await.unwrap().unwrap();
        assert_eq!((state.outputs, state.retired), (vec![new], Vec::<String>::new()));
    }

    /// An unchanged upload is skipped only when it was read in this data contract version: after
    /// an upgrade (a manifest without the field is version 1) delivering it again reads it again.
    #[tokio::test]
    async fn an_upload_read_in_an_older_contract_version_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let out = LocalStore::new(dir.path());
        let meta = ObjectMeta {
            key: "incoming/customers/crm.csv".into(),
            size: 10,
            etag: Some("e1".into()),
            version_id: None,
        };
        let source_id = ingest::naming::source_id(&meta.key);
        let mut manifest = serde_json::json!({
            "source_key": meta.key,
            "etag": "e1",
            "version_id": null,
            "dataset": "customers",
            "outputs": ["curated/customers/crm.parquet"],
            "report": "reports/ingest/customers/crm/e-e1.json",
            "status": "ok",
        });
        let key = manifest_key(&source_id);
        out.put(&key, serde_json::to_vec(&manifest).unwrap())
            .await
            .unwrap();
        const { assert!(SCHEMA_VERSION > 1) };
        assert!(
            previous_ingest(&out, &meta, None, DateOrder::Auto)
                .await
                .unwrap()
                .is_none()
        );
        manifest["schema_version"] = SCHEMA_VERSION.into();
        out.put(&key, serde_json::to_vec(&manifest).unwrap())
            .await
            .unwrap();
        assert!(
            previous_ingest(&out, &meta, None, DateOrder::Auto)
                .await
                .unwrap()
                .is_some()
        );
        // Read without a phone country: setting one reads it again, to key its numbers.
        assert!(
            previous_ingest(&out, &meta, Some("US"), DateOrder::Auto)
                .await
                .unwrap()
                .is_none()
        );
        manifest["phone_country"] = "US".into();
        out.put(&key, serde_json::to_vec(&manifest).unwrap())
            .await
            .unwrap();
        assert!(
            previous_ingest(&out, &meta, Some("US"), DateOrder::Auto)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            previous_ingest(&out, &meta, None, DateOrder::Auto)
                .await
                .unwrap()
                .is_none()
        );
    }

    /// A version read in one order by anything but its own unambiguous values is read again when
    /// the configuration gives the other one; `auto`, the same order, or an order the file's own
    /// values decided (`11/13/2026`, which no configuration reads day-first) keep it.
    #[tokio::test]
    async fn a_configured_order_reads_again_a_version_read_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let out = LocalStore::new(dir.path());
        let meta = ObjectMeta {
            key: "incoming/sales/daily.csv".into(),
            size: 10,
            etag: Some("e1".into()),
            version_id: None,
        };
        let source_id = ingest::naming::source_id(&meta.key);
        let key = manifest_key(&source_id);
        let mut manifest = serde_json::json!({
            "source_key": meta.key,
            "etag": "e1",
            "dataset": "sales",
            "outputs": [],
            "report": "reports/ingest/sales/daily/e-e1.json",
            "status": "ok",
            "schema_version": SCHEMA_VERSION,
            "date_order": "month-first",
            "date_order_from": "earlier_upload",
        });
        let skipped = |order| {
            let (out, meta) = (&out, &meta);
            async move { previous_ingest(out, meta, None, order).await.unwrap().is_some() }
        };
        out.put(&key, serde_json::to_vec(&manifest).unwrap())
            .await
            .unwrap();
        assert!(skipped(DateOrder::Auto).await);
        assert!(skipped(DateOrder::MonthFirst).await);
        assert!(!skipped(DateOrder::DayFirst).await);
        manifest["date_order_from"] = "unambiguous_value".into();
        out.put(&key, serde_json::to_vec(&manifest).unwrap())
            .await
            .unwrap();
        assert!(skipped(DateOrder::DayFirst).await);
        // Recorded before the field: nothing to compare.
        manifest.as_object_mut().unwrap().remove("date_order");
        manifest.as_object_mut().unwrap().remove("date_order_from");
        out.put(&key, serde_json::to_vec(&manifest).unwrap())
            .await
            .unwrap();
        assert!(skipped(DateOrder::DayFirst).await);
    }

    /// One malformed entry of the learned date orders is skipped, not the whole state: the other
    /// layouts keep their orders, and recording a new one keeps them. A state that cannot be read
    /// at all is said so to the engine, for its warning.
    #[tokio::test]
    async fn a_malformed_date_order_entry_loses_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let out = LocalStore::new(dir.path());
        let state = serde_json::json!({"layouts": {
            "sales-good": {"order": "month-first", "date_column": "InvoiceDate", "learned_from": "incoming/sales/w.csv"},
            "sales-bad": {"order": "sideways", "date_column": "Date"},
            "sales-auto": {"order": "auto", "date_column": "Date", "learned_from": "incoming/sales/x.csv"},
        }});
        out.put(DATE_ORDERS_KEY, serde_json::to_vec(&state).unwrap())
            .await
            .unwrap();
        let opts = with_learned_orders(&out, &IngestOptions::default())
            .await
            .unwrap();
        assert_eq!(
            opts.learned_date_orders.keys().collect::<Vec<_>>(),
            ["sales-good"]
        );
        assert_eq!(opts.learned_date_orders_error, None);
        let evidence = DateEvidence {
            layout: "sales-new".into(),
            order: DateOrder::DayFirst,
            date_column: "Order Date".into(),
        };
        record_date_order(&out, &evidence, "incoming/sales/uk.csv")
            .await
            .unwrap();
        let written: serde_json::Value =
            serde_json::from_slice(&out.get(DATE_ORDERS_KEY).await.unwrap().unwrap()).unwrap();
        let keys: Vec<&String> = written["layouts"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["sales-good", "sales-new"], "{written}");

        out.put(DATE_ORDERS_KEY, b"{not json".to_vec()).await.unwrap();
        let opts = with_learned_orders(&out, &IngestOptions::default())
            .await
            .unwrap();
        assert!(opts.learned_date_orders.is_empty());
        let error = opts.learned_date_orders_error.unwrap();
        assert!(error.contains(DATE_ORDERS_KEY), "{error}");
    }

    /// Another system's upload of the same layout showing the other order marks the layout as
    /// disagreeing; the upload that taught the order, corrected, then replaces it also while the
    /// layout is marked, and the mark stays (the other upload may have been corrected as well).
    #[tokio::test]
    async fn the_upload_that_taught_an_order_corrects_it_also_while_another_disagrees() {
        let dir = tempfile::tempdir().unwrap();
        let out = LocalStore::new(dir.path());
        let shows = |order| DateEvidence {
            layout: "sales-x".into(),
            order,
            date_column: "Date".into(),
        };
        let entry = || async {
            let written: serde_json::Value =
                serde_json::from_slice(&out.get(DATE_ORDERS_KEY).await.unwrap().unwrap()).unwrap();
            written["layouts"]["sales-x"].clone()
        };
        record_date_order(&out, &shows(DateOrder::MonthFirst), "incoming/sales/us_week.csv")
            .await
            .unwrap();
        record_date_order(&out, &shows(DateOrder::DayFirst), "incoming/sales/uk_week.csv")
            .await
            .unwrap();
        let e = entry().await;
        assert_eq!(
            (e["order"].as_str(), e["disagreed_by"].as_str()),
            (Some("month-first"), Some("incoming/sales/uk_week.csv")),
            "{e}"
        );
        record_date_order(&out, &shows(DateOrder::DayFirst), "incoming/sales/us_week.csv")
            .await
            .unwrap();
        let e = entry().await;
        assert_eq!(
            (
                e["order"].as_str(),
                e["learned_from"].as_str(),
                e["disagreed_by"].as_str()
            ),
            (
                Some("day-first"),
                Some("incoming/sales/us_week.csv"),
                Some("incoming/sales/uk_week.csv")
            ),
            "{e}"
        );
    }

    /// A version read day-first for want of an order that replaced an earlier version keeps its
    /// mark once the replaced files are deleted: it is still read again when its layout's order
    /// becomes known.
    #[tokio::test]
    async fn finishing_retiring_keeps_the_guessed_date_order_mark() {
        let dir = tempfile::tempdir().unwrap();
        let out = LocalStore::new(dir.path());
        let meta = ObjectMeta {
            key: "incoming/sales/daily.csv".into(),
            size: 10,
            etag: Some("e2".into()),
            version_id: None,
        };
        let source_id = ingest::naming::source_id(&meta.key);
        let old = format!("curated/sales/order_month=2026-05/{source_id}.e-11111111.parquet");
        out.put(&old, b"x".to_vec()).await.unwrap();
        let recorded = SourceManifest {
            source_key: meta.key.clone(),
            etag: Some("e2".into()),
            version_id: None,
            dataset: Some("sales".into()),
            outputs: Vec::new(),
            report: "reports/ingest/sales/daily/e-e2.json".into(),
            status: "ok".into(),
            outputs_report: None,
            schema_version: SCHEMA_VERSION,
            phone_country: None,
            retired: vec![old.clone()],
            date_order_guessed: Some("sales-0123456789abcdef".into()),
            date_order: Some(DateOrder::DayFirst),
            date_order_from: Some(DateOrderFrom::Default),
        };
        assert!(put_manifest_if(&out, &source_id, &recorded, None).await.unwrap());
        let s = previous_ingest(&out, &meta, None, DateOrder::Auto)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.date_order_guessed, recorded.date_order_guessed);
        assert_eq!(out.get(&old).await.unwrap(), None);
        let state = load_manifest(&out, &source_id).await.unwrap().unwrap();
        assert_eq!(state.retired, Vec::<String>::new());
        assert_eq!(state.date_order_guessed, recorded.date_order_guessed);
        // Configured now: read again.
        assert!(
            previous_ingest(&out, &meta, None, DateOrder::MonthFirst)
                .await
                .unwrap()
                .is_none()
        );
    }
}

/// Uploads read before their export layout's date order was known, read again once it is.
#[cfg(test)]
mod reread_tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use segflow_storage::LocalStore;

    const HEADER: &str = "Invoice,Date,Customer,Amount";

    /// A US shop's daily export of November `day`: every date reads both ways up to the 12th.
    fn daily(day: u32) -> (String, Vec<u8>) {
        let key = format!("incoming/sales/daily/2026-11-{day:02}.csv");
        let body =
            format!("{HEADER}\n{day}01,11/{day}/2026 09:00,c1,12.50\n{day}02,11/{day}/2026 17:30,c2,8.00\n");
        (key, body.into_bytes())
    }

    struct Shop {
        dir: tempfile::TempDir,
        tmp: tempfile::TempDir,
        store: LocalStore,
    }

    impl Shop {
        fn new() -> Shop {
            let dir = tempfile::tempdir().unwrap();
            let store = LocalStore::new(dir.path());
            Shop {
                dir,
                tmp: tempfile::tempdir().unwrap(),
                store,
            }
        }

        /// Uploads `body` under `key` and runs the ingest of it, as one invocation's own object.
        async fn upload(&self, key: &str, body: Vec<u8>) -> Summary {
            self.store.put(key, body).await.unwrap();
            self.deliver(key).await
        }

        /// Runs the ingest of `key` as it is (a delivery of the same version again).
        async fn deliver(&self, key: &str) -> Summary {
            ingest_object(
                &self.store,
                key,
                None,
                &self.store,
                &IngestOptions::default(),
                self.tmp.path(),
            )
            .await
            .unwrap()
        }

        async fn reread(&self, budget: Option<Duration>) -> Vec<Summary> {
            reread_guessed(
                &self.store,
                &self.store,
                &IngestOptions::default(),
                self.tmp.path(),
                budget,
            )
            .await
            .unwrap()
        }

        async fn orders(&self) -> DateOrders {
            load_date_orders(&self.store).await.unwrap().0
        }

        async fn manifest(&self, key: &str) -> SourceManifest {
            load_manifest(&self.store, &ingest::naming::source_id(key))
                .await
                .unwrap()
                .unwrap()
        }

        /// The days (`yyyy-mm-dd`) of the `order_ts` of the curated sales rows `key` has now,
        /// read back from its Parquet files.
        async fn order_days(&self, key: &str) -> Vec<String> {
            let mut days = Vec::new();
            for k in self.manifest(key).await.outputs {
                if !k.starts_with("curated/sales/") {
                    continue;
                }
                let file = std::fs::File::open(self.dir.path().join(&k)).unwrap();
                let reader = SerializedFileReader::new(file).unwrap();
                for row in reader.get_row_iter(None).unwrap() {
                    let row = row.unwrap();
                    let (_, ts) = row
                        .get_column_iter()
                        .find(|(name, _)| name.as_str() == "order_ts")
                        .unwrap();
                    days.push(ts.to_string()[..10].to_string());
                }
            }
            days.sort();
            days
        }
    }

    /// Three dailies of 3–5 November read day-first (March to May) for want of an order, listed
    /// under their layout; then the daily of the 13th shows the month comes first.
    async fn three_guessed_dailies_then_the_13th() -> (Shop, Vec<String>, String) {
        let shop = Shop::new();
        let mut keys = Vec::new();
        let mut layout = None;
        for day in 3..=5 {
            let (key, body) = daily(day);
            let s = shop.upload(&key, body).await;
            assert_eq!(s.outcome, "ok", "{s:?}");
            assert!(s.date_order_guessed.is_some(), "{s:?}");
            layout = s.date_order_guessed;
            keys.push(key);
            // Nothing known yet: nothing to read again.
            assert_eq!(shop.reread(None).await, []);
        }
        let layout = layout.unwrap();
        assert_eq!(shop.order_days(&keys[0]).await, ["2026-03-11", "2026-03-11"]);
        let orders = shop.orders().await;
        assert_eq!(orders.guessed.get(&layout), Some(&keys));
        let (teller, body) = daily(13);
        let s = shop.upload(&teller, body).await;
        assert_eq!(
            (s.outcome, s.date_order_from, s.date_order_guessed),
            ("ok", Some(DateOrderFrom::UnambiguousValue), None)
        );
        assert_eq!(shop.orders().await.layouts[&layout].order, DateOrder::MonthFirst);
        (shop, keys, teller)
    }

    async fn assert_read_again_in_november(shop: &Shop, keys: &[String], teller: &str, reread: &[Summary]) {
        let read: Vec<(&str, &str, Option<DateOrderFrom>, Option<&str>)> = reread
            .iter()
            .map(|s| {
                (
                    s.key.as_str(),
                    s.outcome,
                    s.date_order_from,
                    s.date_order_learned_from.as_deref(),
                )
            })
            .collect();
        let expected: Vec<_> = keys
            .iter()
            .map(|k| (k.as_str(), "ok", Some(DateOrderFrom::EarlierUpload), Some(teller)))
            .collect();
        assert_eq!(read, expected);
        for (key, day) in keys.iter().zip(3..) {
            let d = format!("2026-11-{day:02}");
            assert_eq!(shop.order_days(key).await, [d.clone(), d], "{key}");
            let m = shop.manifest(key).await;
            assert_eq!(m.date_order_guessed, None, "{key}");
            assert_eq!(m.date_order_from, Some(DateOrderFrom::EarlierUpload), "{key}");
            let report: serde_json::Value =
                serde_json::from_slice(&shop.store.get(&m.report).await.unwrap().unwrap()).unwrap();
            assert_eq!(report["parsing"]["date_order_learned_from"], teller, "{report}");
        }
        // The March to May files of the first reading are gone.
        for month in ["2026-03", "2026-04", "2026-05"] {
            let left = shop
                .store
                .list(&format!("curated/sales/order_month={month}/"))
                .await
                .unwrap();
            assert!(left.is_empty(), "{left:?}");
        }
        assert!(shop.orders().await.guessed.is_empty());
        let state: serde_json::Value =
            serde_json::from_slice(&shop.store.get(DATE_ORDERS_KEY).await.unwrap().unwrap()).unwrap();
        assert!(state.get("guessed").is_none(), "{state}");
    }

    /// The dailies of 3–5 November, read day-first before the 13th showed the order, are read
    /// again month-first by the run that learned it, without being delivered again.
    #[tokio::test]
    async fn dailies_read_before_their_order_was_known_are_read_again_once_it_is() {
        let (shop, keys, teller) = three_guessed_dailies_then_the_13th().await;
        let reread = shop.reread(None).await;
        assert_read_again_in_november(&shop, &keys, &teller, &reread).await;
        // Done: a later run has nothing to read again, and a delivery of one is a duplicate.
        assert_eq!(shop.reread(None).await, []);
        assert_eq!(shop.deliver(&keys[0]).await.outcome, "duplicate");
    }

    /// A run whose time is up reads nothing again and leaves the list as it was; the next run
    /// reads them.
    #[tokio::test]
    async fn what_a_run_has_no_time_for_a_later_run_reads_again() {
        let (shop, keys, teller) = three_guessed_dailies_then_the_13th().await;
        let layout = shop.manifest(&keys[0]).await.date_order_guessed.unwrap();
        assert_eq!(shop.reread(Some(Duration::ZERO)).await, []);
        assert_eq!(shop.orders().await.guessed.get(&layout), Some(&keys));
        assert_eq!(shop.order_days(&keys[1]).await, ["2026-04-11", "2026-04-11"]);
        let reread = shop.reread(Some(Duration::from_secs(3600))).await;
        assert_read_again_in_november(&shop, &keys, &teller, &reread).await;
    }

    /// A run starts a re-read only when what is left of its budget exceeds the file's estimate
    /// from its size (at least the requests every read makes): with one second left, the three
    /// small dailies stay listed for a later run, untouched.
    #[tokio::test]
    async fn a_reread_starts_only_when_its_estimate_fits_the_budget() {
        let (shop, keys, teller) = three_guessed_dailies_then_the_13th().await;
        let layout = shop.manifest(&keys[0]).await.date_order_guessed.unwrap();
        assert_eq!(shop.reread(Some(Duration::from_secs(1))).await, []);
        assert_eq!(shop.orders().await.guessed.get(&layout), Some(&keys));
        let reread = shop.reread(Some(REREAD_FIXED * 4)).await;
        assert_read_again_in_november(&shop, &keys, &teller, &reread).await;
    }

    /// The estimate grows with the upload's size and is slower per byte for compressed and
    /// spreadsheet uploads, whose bytes expand when read.
    #[test]
    fn reread_estimates_follow_size_and_container() {
        let secs = |size, container, gzip| reread_estimate(size, container, gzip).as_secs_f64();
        assert_eq!(secs(0, Some("delimited"), false), 2.0);
        assert_eq!(secs(100_000_000, Some("delimited"), false), 12.0);
        assert_eq!(secs(100_000_000, Some("json_lines"), false), 22.0);
        assert_eq!(secs(100_000_000, Some("delimited"), true), 52.0);
        assert_eq!(secs(100_000_000, Some("xlsx"), false), 102.0);
        // A report without a format (refused before it was sniffed): as slow as a workbook.
        assert_eq!(secs(100_000_000, None, false), 102.0);
        // No overflow, however large the size a report gives.
        assert!(secs(u64::MAX, Some("xlsx"), false) > 1e9);
    }

    /// A listed upload deleted since (its deletion not processed here) is dropped from the list
    /// without an error; the others are read again.
    #[tokio::test]
    async fn a_listed_upload_that_is_gone_is_dropped_from_the_list() {
        let (shop, keys, _) = three_guessed_dailies_then_the_13th().await;
        shop.store.delete(&keys[1]).await.unwrap();
        let reread = shop.reread(None).await;
        let outcomes: Vec<(&str, &str)> = reread.iter().map(|s| (s.key.as_str(), s.outcome)).collect();
        assert_eq!(
            outcomes,
            [
                (keys[0].as_str(), "ok"),
                (keys[1].as_str(), "missing"),
                (keys[2].as_str(), "ok")
            ]
        );
        assert!(shop.orders().await.guessed.is_empty());
        assert_eq!(shop.reread(None).await, []);
    }

    /// A listed upload whose reading fails (here: no spool folder) is taken off the list and
    /// not tried again by every later run.
    #[tokio::test]
    async fn a_listed_upload_that_fails_to_read_again_is_tried_once() {
        let (shop, keys, _) = three_guessed_dailies_then_the_13th().await;
        let gone = shop.tmp.path().join("no-such-folder");
        let run = |tmp: std::path::PathBuf| {
            let shop = &shop;
            async move {
                reread_guessed(&shop.store, &shop.store, &IngestOptions::default(), &tmp, None)
                    .await
                    .unwrap()
            }
        };
        let failed = run(gone.clone()).await;
        assert_eq!(failed.len(), 3, "{failed:?}");
        assert!(
            failed
                .iter()
                .all(|s| s.outcome == "reread_failed" && s.error.is_some()),
            "{failed:?}"
        );
        assert!(shop.orders().await.guessed.is_empty());
        assert_eq!(run(gone).await, []);
        // Still as first read: an upload again reads them.
        assert_eq!(
            shop.manifest(&keys[0]).await.date_order,
            Some(DateOrder::DayFirst)
        );
    }

    /// Only uploads read while their layout had no entry are listed: under a layout whose
    /// uploads disagree no learned order comes, and a version read otherwise, deleted or failed
    /// is taken off.
    #[tokio::test]
    async fn the_list_holds_only_versions_read_before_their_order_was_known() {
        let shop = Shop::new();
        let (a, body) = daily(3);
        let layout = shop.upload(&a, body).await.date_order_guessed.unwrap();
        let (b, body) = daily(4);
        shop.upload(&b, body).await;
        assert_eq!(shop.orders().await.guessed[&layout], [a.clone(), b.clone()]);
        // Corrected with a date that tells: read month-first by its own values, off the list.
        let told = format!("{HEADER}\n1,11/3/2026 09:00,c1,12.50\n2,11/14/2026 09:00,c1,1.00\n");
        assert_eq!(shop.upload(&a, told.into_bytes()).await.date_order_guessed, None);
        // Deleted: off the list.
        shop.store.delete(&b).await.unwrap();
        let s = sync_removed(
            &shop.store,
            &b,
            None,
            &shop.store,
            &IngestOptions::default(),
            shop.tmp.path(),
        )
        .await
        .unwrap();
        assert_eq!(s.outcome, "deleted");
        assert!(shop.orders().await.guessed.is_empty());
        // Another system's upload of the layout disagrees: a file read day-first then is not
        // listed, since no learned order will read it otherwise.
        let uk = format!("{HEADER}\n1,13/11/2026 09:00,c1,1.00\n");
        shop.upload("incoming/sales/uk/week.csv", uk.into_bytes()).await;
        assert!(shop.orders().await.layouts[&layout].disagreed_by.is_some());
        let (c, body) = daily(5);
        assert_eq!(
            shop.upload(&c, body).await.date_order_guessed.as_ref(),
            Some(&layout)
        );
        assert!(shop.orders().await.guessed.is_empty());
        assert_eq!(shop.reread(None).await, []);
    }

    /// A file read by its chronology although its layout's order was known (Toast's layout
    /// reads by its own order, not a learned one) would be read the same way again: it is not
    /// listed, or a run would read it again for nothing.
    #[tokio::test]
    async fn a_guess_made_with_its_layouts_order_known_is_not_listed() {
        let shop = Shop::new();
        let header = "Location,Order Id,Order #,Order Date,Item Selection Id,Menu Item,Gross Price,Discount,Net Price,Qty,Void?";
        let rows: String = (1..=10)
            .map(|m| {
                format!("Downtown,4000{m},{m},{m}/5/26 7:30 PM,400{m},Burger,30.00,0.00,30.00,1,False\n")
            })
            .collect();
        let key = "incoming/sales/toast/ItemSelectionDetails.csv";
        let s = shop.upload(key, format!("{header}\n{rows}").into_bytes()).await;
        assert_eq!(s.date_order_from, Some(DateOrderFrom::Chronology), "{s:?}");
        let layout = s.date_order_guessed.unwrap();
        assert_eq!(shop.orders().await.guessed[&layout], [key]);
        // Another Toast export showed the layout's order: the file is read again, by its
        // chronology as before, and not listed again.
        let evidence = DateEvidence {
            layout: layout.clone(),
            order: DateOrder::MonthFirst,
            date_column: "Order Date".into(),
        };
        record_date_order(&shop.store, &evidence, "incoming/sales/toast/week.csv")
            .await
            .unwrap();
        let reread = shop.reread(None).await;
        let read: Vec<_> = reread
            .iter()
            .map(|s| (s.outcome, s.date_order_guessed.as_ref()))
            .collect();
        assert_eq!(read, [("duplicate", Some(&layout))]);
        assert!(shop.orders().await.guessed.is_empty());
        let other = "incoming/sales/toast/ItemSelectionDetails-2.csv";
        let s = shop.upload(other, format!("{header}\n{rows}").into_bytes()).await;
        assert_eq!(s.date_order_guessed.as_ref(), Some(&layout));
        assert!(shop.orders().await.guessed.is_empty());
        assert_eq!(shop.reread(None).await, []);
    }

    /// A version read before its layout's order was known but not listed (the run could not
    /// write the list, or it was read by a version before the list) is listed when delivered
    /// again unchanged.
    #[tokio::test]
    async fn a_delivery_of_an_unlisted_guessed_version_lists_it() {
        let shop = Shop::new();
        let (a, body) = daily(3);
        let layout = shop.upload(&a, body).await.date_order_guessed.unwrap();
        shop.store.delete(DATE_ORDERS_KEY).await.unwrap();
        assert_eq!(shop.deliver(&a).await.outcome, "duplicate");
        assert_eq!(shop.orders().await.guessed[&layout], [a]);
    }

    /// The list of a layout stops growing at its bound; a malformed list loses only its layout.
    #[tokio::test]
    async fn a_layouts_list_is_bounded_and_read_layout_by_layout() {
        let shop = Shop::new();
        let full: Vec<String> = (0..MAX_GUESSED_PER_LAYOUT)
            .map(|i| format!("incoming/sales/{i}.csv"))
            .collect();
        let state = serde_json::json!({
            "layouts": {},
            "guessed": {"sales-full": full, "sales-bad": "incoming/sales/x.csv"},
        });
        shop.store
            .put(DATE_ORDERS_KEY, serde_json::to_vec(&state).unwrap())
            .await
            .unwrap();
        index_guess(
            &shop.store,
            "incoming/sales/one-more.csv",
            None,
            Some("sales-full"),
        )
        .await
        .unwrap();
        index_guess(&shop.store, "incoming/sales/y.csv", None, Some("sales-other"))
            .await
            .unwrap();
        let orders = shop.orders().await;
        assert_eq!(orders.guessed["sales-full"], full);
        assert_eq!(orders.guessed["sales-other"], ["incoming/sales/y.csv"]);
        assert!(!orders.guessed.contains_key("sales-bad"));
    }
}
