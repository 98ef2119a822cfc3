//! Ingest: one uploaded export → typed Parquet under `curated/`, rejected rows under `quarantine/`,
//! and a JSON report under `reports/ingest/`, all written into a local staging folder that the
//! caller publishes. Every data row ends up written or rejected; the report's counts reconcile.

pub mod convert;
pub mod delimited;
mod grouped;
pub mod naming;
pub mod prefetch;
pub mod quarantine;
pub mod reject;
pub mod report;
pub mod rows;
pub mod sniff;
pub mod source;
pub mod writer;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

pub use reject::RejectReason;
pub use report::{IngestReport, SourceRef, Status};
pub use writer::OutputFile;

use crate::error::{EngineError, Result};
use crate::mapping::{self, MappingOverride};
use crate::schema::{Dataset, Field};
use crate::values::{DateOrder, normalize_digits};
use convert::{ConvertConfig, Converter};
use quarantine::Quarantine;
use report::{MappingReport, ReportError};
use rows::{Entry, Row, Rows};
use source::RecordSource;

/// Rows used to infer date order and decimal marks before converting.
const SAMPLE_ROWS: usize = 20_000;
/// Rows per Arrow batch handed to the Parquet writer.
const BATCH_ROWS: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The dataset, when the upload prefix says it; otherwise it is guessed from the header.
    pub dataset: Option<Dataset>,
    pub mapping: Option<MappingOverride>,
    /// Zone of naive timestamps in the exports.
    pub timezone: chrono_tz::Tz,
    pub date_order: DateOrder,
    pub limits: sniff::Limits,
    pub max_input_bytes: u64,
    /// The shop's country, for phone numbers written without one (see
    /// [`crate::values::PhoneCountry`]).
    pub phone_country: Option<crate::values::PhoneCountry>,
    /// Date orders earlier uploads showed, by export layout ([`date_layout_key`]): used for a file
    /// whose own dates read both ways, when `date_order` is `Auto`.
    pub learned_date_orders: BTreeMap<String, LearnedOrder>,
    /// Why the learned date orders could not be read at all (the state object is not JSON), for
    /// the warning of a file whose dates cannot tell their order.
    pub learned_date_orders_error: Option<String>,
    /// The first year the shop's query tables show (Athena's partition projection starts in its
    /// January): a file with rows before it gets a warning, as those rows are stored but not
    /// visible there.
    pub queryable_from_year: Option<i32>,
}

/// The order of `a/b/yyyy` dates an earlier upload of one export layout showed by its own dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnedOrder {
    /// [`DateOrder::DayFirst`] or [`DateOrder::MonthFirst`].
    pub order: DateOrder,
    /// The key of the upload that showed it.
    pub source_key: String,
    /// Another upload of the layout whose unambiguous values showed the other order (two systems
    /// with the same header names): the layout's uploads disagree, and no order is taken from
    /// them.
    pub disagreed_by: Option<String>,
}

/// What a file's own dates showed about their order, to be remembered for its export layout (see
/// [`IngestOptions::learned_date_orders`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateEvidence {
    /// [`date_layout_key`] of the file.
    pub layout: String,
    /// [`DateOrder::DayFirst`] or [`DateOrder::MonthFirst`].
    pub order: DateOrder,
    /// The date column's header, for people reading the state.
    pub date_column: String,
}

/// Where the order of a file's `a/b/yyyy` dates came from (the report's `parsing.date_order_from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrderFrom {
    /// A value that reads one way only (`13/01/2023`), in the file.
    UnambiguousValue,
    /// The file's dates run in date order read this way only.
    Chronology,
    /// An earlier upload of the same export layout showed it by its own dates.
    EarlierUpload,
    /// `SEGFLOW_DATE_ORDER` / `--date-order` (unless the file's own values overrule it:
    /// `11/13/2026` is month-first whatever it says, and that is `UnambiguousValue`).
    Configuration,
    /// The platform layout's own order (Toast, QuickBooks and PayPal write the month first).
    Layout,
    /// Nothing told: read day-first, and the report warns.
    Default,
}

/// How a file's `a/b/yyyy` dates are read, and why (see [`decide_date_order`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateOrderDecision {
    /// The order handed to the date parser (`Auto`: the parser sees the evidence itself, or there
    /// is nothing to decide).
    pub order: DateOrder,
    /// Why; `None` when there was nothing to decide (no ambiguous date, Jalali dates).
    pub from: Option<DateOrderFrom>,
    /// The day or month order the file's unambiguous values show, all agreeing (`13/01/2023`):
    /// worth remembering for the layout. Never the chronology test's, which is too weak.
    pub evidence: Option<DateOrder>,
}

impl DateOrderDecision {
    fn undecided() -> Self {
        DateOrderDecision {
            order: DateOrder::Auto,
            from: None,
            evidence: None,
        }
    }

    fn by_evidence(order: DateOrder, parser_order: DateOrder, from: DateOrderFrom) -> Self {
        DateOrderDecision {
            order: parser_order,
            from: Some(from),
            evidence: matches!(order, DateOrder::DayFirst | DateOrder::MonthFirst).then_some(order),
        }
    }
}

/// The export layout a file's date order is remembered under: its dataset, its header names
/// (trimmed, lower-cased, sorted, duplicates once) and its date column's header, hashed. A shop's
/// daily and weekly exports of one system share it; another system's file does not.
pub fn date_layout_key(dataset: Dataset, headers: &[String], date_col: usize) -> String {
    use sha2::{Digest, Sha256};
    let norm = |h: &str| h.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let mut names: Vec<String> = headers
        .iter()
        .map(|h| norm(h))
        .filter(|h| !h.is_empty())
        .collect();
    names.sort();
    names.dedup();
    let mut h = Sha256::new();
    h.update(dataset.name());
    h.update([0]);
    h.update(norm(headers.get(date_col).map_or("", String::as_str)));
    for n in &names {
        h.update([0x1f]);
        h.update(n);
    }
    let digest = h.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", dataset.name())
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            dataset: None,
            mapping: None,
            timezone: chrono_tz::UTC,
            date_order: DateOrder::Auto,
            limits: sniff::Limits::default(),
            max_input_bytes: 20 * 1024 * 1024 * 1024,
            phone_country: None,
            learned_date_orders: BTreeMap::new(),
            learned_date_orders_error: None,
            queryable_from_year: None,
        }
    }
}

/// The dataset a file's header says it holds, for callers that must name a file before ingesting
/// it (the CLI keys a loose file by its dataset, as an upload to `incoming/<dataset>/` would be, so
/// the same file is one source with or without `--dataset`). `None` when the file cannot be read or
/// no header row looks like a dataset's.
pub fn guess_dataset(input: &Path, key: &str, limits: sniff::Limits) -> Option<Dataset> {
    let fmt = sniff::sniff(input, key, limits).ok()?;
    source::guess(input, &fmt, limits)
}

/// When the header matches another dataset's columns more than the given one's.
fn other_dataset_note(headers: &[String], given: Dataset) -> Option<String> {
    let cells: Vec<&str> = headers.iter().map(String::as_str).collect();
    let own = mapping::header_score(&cells, given);
    let (best, score) = Dataset::ALL
        .into_iter()
        .map(|d| (d, mapping::header_score(&cells, d)))
        .max_by_key(|(_, s)| *s)?;
    (best != given && score > own).then(|| {
        format!(
            "the header reads as a {} export ({score} of its columns known, {own} as {}); it was ingested as {} because the dataset was given (--dataset, or the incoming/{}/ folder)",
            best.name(),
            given.name(),
            given.name(),
            given.name()
        )
    })
}

pub struct IngestOutcome {
    pub report: IngestReport,
    /// Where the report is staged and its key.
    pub report_file: OutputFile,
    /// Parquet and quarantine files, staged.
    pub files: Vec<OutputFile>,
    pub source_id: String,
    pub dataset: Option<Dataset>,
    /// The date order the file's own dates showed, to remember for its layout.
    pub date_evidence: Option<DateEvidence>,
    /// The file's dates were read by their chronology, or day-first for want of anything telling
    /// their order (the report warns): the [`date_layout_key`] under which a later upload may
    /// tell it, and the file is then read again by it.
    pub date_order_guessed: Option<String>,
}

/// Ingests the local file `input` (a copy of the object `src`) into `staging`.
/// Returns `Err` only for failures worth retrying (I/O); a file that cannot be ingested at all
/// gives `Ok` with a rejected report.
pub fn ingest_file(
    input: &Path,
    src: SourceRef,
    opts: &IngestOptions,
    staging: &Path,
) -> Result<IngestOutcome> {
    let start = Instant::now();
    let source_id = naming::source_id(&src.key);
    let version = naming::version_tag(src.etag.as_deref(), src.version_id.as_deref());
    let mut report = IngestReport::new(src.clone());
    let mut dataset = opts.dataset;
    let file_stem = naming::file_stem(&source_id, &version);
    let mut dates = DatesOutcome::default();
    let files = match run(
        input,
        &src,
        opts,
        staging,
        &file_stem,
        &mut report,
        &mut dataset,
        &mut dates,
    ) {
        Ok(files) => files,
        Err(EngineError::Rejected(reason)) => {
            report.status = Status::Rejected;
            report.error = Some(ReportError {
                code: reason.code(),
                message: reason.to_string(),
            });
            // Nothing partial is published for a rejected file.
            for d in ["curated", "quarantine"] {
                let _ = std::fs::remove_dir_all(staging.join(d));
            }
            report.outputs.clear();
            report.quarantine = None;
            dates = DatesOutcome::default();
            Vec::new()
        }
        Err(e) => return Err(e),
    };
    report.dataset = dataset.map(Dataset::name);
    // Logged, not reported: a report holds what the file gave, so that reading it again gives
    // the same bytes.
    tracing::info!(
        // Escaped: a key's control characters would forge log lines.
        key = %crate::printable::Printable(&src.key),
        status = ?report.status,
        rows_read = report.rows.read,
        rows_written = report.rows.written,
        rows_rejected = report.rows.rejected,
        duration_ms = start.elapsed().as_millis() as u64,
        "ingest: file read"
    );
    let key = naming::report_key(dataset, &source_id, &version);
    let path = staging.join(&key);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| EngineError::io(dir, e))?;
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&report)?).map_err(|e| EngineError::io(&path, e))?;
    Ok(IngestOutcome {
        report,
        report_file: OutputFile { key, path, rows: 0 },
        files,
        source_id,
        dataset,
        date_evidence: dates.evidence,
        date_order_guessed: dates.guessed,
    })
}

/// What [`run`] learned about the file's date order, for [`IngestOutcome`].
#[derive(Default)]
struct DatesOutcome {
    evidence: Option<DateEvidence>,
    guessed: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn run(
    input: &Path,
    src: &SourceRef,
    opts: &IngestOptions,
    staging: &Path,
    file_stem: &str,
    report: &mut IngestReport,
    dataset_out: &mut Option<Dataset>,
    dates: &mut DatesOutcome,
) -> Result<Vec<OutputFile>> {
    if src.size > opts.max_input_bytes {
        return Err(RejectReason::TooLarge {
            size: src.size,
            limit: opts.max_input_bytes,
        }
        .into());
    }
    let fmt = sniff::sniff(input, &src.key, opts.limits)?;
    report.format = Some(fmt.clone());
    let mut read_as = None;
    let opened = source::open_as(input, &fmt, opts.limits, opts.dataset, &mut read_as);
    if let (Some(c), Some(f)) = (read_as, report.format.as_mut()) {
        f.container = c;
    }
    let opened = opened?;
    let headers = opened.headers;
    report.header_line = (opened.header_line > 0).then_some(opened.header_line);
    report.rows.preamble_skipped = opened.preamble_rows;
    // A skipped sheet of the dataset's rows: said where the upload's problems are read.
    report.warnings.extend(opened.sheets.iter().filter_map(|s| {
        let rows = s.rows_not_read?;
        Some(format!(
            "sheet \"{}\" ({rows} row{}) was not read: {}; give it the export sheet's columns, or upload it as a file of its own",
            s.name,
            if rows == 1 { "" } else { "s" },
            s.skipped.as_deref().unwrap_or_default()
        ))
    }));
    report.sheets = opened.sheets;
    let dataset = opts.dataset.or(opened.guessed).ok_or_else(|| {
        RejectReason::UnknownDataset(format!(
            "none of the headers is a known column name; headers found: {}",
            mapping::list_headers(&headers)
        ))
    })?;
    *dataset_out = Some(dataset);
    // A mapping file says what the columns are: the header's own reading is then beside the point.
    if opts.dataset.is_some() && opts.mapping.is_none() {
        report.dataset_note = other_dataset_note(&headers, dataset);
    }
    let mut cmap = mapping::map_headers(&headers, dataset, opts.mapping.as_ref());
    let mut src_rows = prefetch::Prefetch::spawn(opened.source);
    // The first rows decide date order and number format; they are converted like the rest.
    let mut held: Vec<prefetch::Chunk> = Vec::new();
    let mut sampled = 0;
    while sampled < SAMPLE_ROWS {
        let Some(mut chunk) = src_rows.next_chunk() else {
            break;
        };
        if let Some(e) = chunk.error.take() {
            return Err(e);
        }
        sampled += chunk.rows.len();
        held.push(chunk);
    }
    let whole_file_sampled = sampled < SAMPLE_ROWS;
    let good: Vec<Row<'_>> = held
        .iter()
        .flat_map(|c| c.rows.iter())
        .take(SAMPLE_ROWS)
        .filter_map(|e| match e {
            Entry::Row(_, r) => Some(r),
            Entry::Bad(..) => None,
        })
        .collect();
    // A mapping file says what every column is.
    if opts.mapping.is_none() {
        convert::phone_by_values(&mut cmap, dataset, &headers, &good);
        convert::order_number_by_values(&mut cmap, dataset, &headers, &good);
    }
    let shown = |cols: &[usize]| -> Vec<String> {
        cols.iter()
            .map(|&i| mapping::shown_header(&headers[i], i))
            .collect()
    };
    report.mapping = Some(MappingReport {
        used: cmap
            .used(&headers)
            .into_iter()
            .map(|(f, h)| (f.name().to_string(), h))
            .collect(),
        unmapped: cmap.unmapped.clone(),
        override_file: opts.mapping.is_some(),
        implied_event_type: cmap.implied_event.clone(),
        layout: Some(cmap.layout).filter(|l| *l != mapping::Layout::Other),
        message_direction: cmap
            .message_direction
            .map(|i| mapping::shown_header(&headers[i], i)),
        more_consent: shown(&cmap.more_consent),
        opt_out: shown(&cmap.opt_out),
        phone_fallback: cmap.alt_phone.map(|i| mapping::shown_header(&headers[i], i)),
        id_fallback: cmap.alt_id.map(|i| mapping::shown_header(&headers[i], i)),
    });
    // Two columns under one name (`unit_price,unit_price`, `Order ID`/`order_id`, `Email`/
    // `E-Mail`): the first mapped is read, and which one that is, and that the other is not, is
    // said where problems are read. Names compare as the mapping reads them, but a JSON record's
    // nested path (`customer.id` beside `customer_id`) is a field of its own, the top-level one
    // read by design.
    let dup_name = |h: &str| match h.contains('.') {
        true => h.trim().to_lowercase(),
        false => mapping::normalize_header(h),
    };
    for (i, f) in cmap.columns.iter().enumerate() {
        let Some(f) = f else { continue };
        let name = dup_name(&headers[i]);
        for j in (0..headers.len()).filter(|&j| {
            // Not read: listed as unmapped, as the mapping lists the columns it reads no way
            // (not a second consent or phone column, nor one a layout reads).
            j != i
                && cmap.columns[j].is_none()
                && cmap.unmapped.contains(&mapping::shown_header(&headers[j], j))
                && !name.is_empty()
                && dup_name(&headers[j]) == name
        }) {
            report.warnings.push(format!(
                "columns {} and {} are both named \"{}\": column {} is read as {}, column {} is not read",
                i.min(j) + 1,
                i.max(j) + 1,
                mapping::shown_header(&headers[i], i),
                i + 1,
                f.name(),
                j + 1
            ));
        }
    }
    // A column that may hold consent or its refusal, read no way: its refusals would not keep
    // anyone off the lists, and nothing else would tell.
    for (j, h) in headers.iter().enumerate() {
        let shown = mapping::shown_header(h, j);
        if cmap.columns[j].is_none() && cmap.unmapped.contains(&shown) && mapping::may_be_consent(h) {
            report.warnings.push(format!(
                "column \"{shown}\" may record marketing consent or its refusal, but is not read: the refusals in it do not keep anyone off the lists. If it does, rename it \"Marketing Consent\" (a yes consents) or \"Opt-Out\" (a yes refuses), or name it marketing_consent or marketing_opt_out in a mapping file, and upload the file again"
            ));
        }
    }
    mapping::check_required(dataset, &cmap, &headers).map_err(|e| match e {
        mapping::MappingError::BadOverride(m) => RejectReason::MappingConflict(m),
        e => RejectReason::MissingColumns {
            dataset: dataset.name(),
            source: e,
        },
    })?;

    let date_col = match dataset {
        Dataset::Sales => cmap.column_of(Field::OrderDate),
        Dataset::Activity => cmap.column_of(Field::EventTime),
        Dataset::Customers => None,
    };
    let mut date_order = opts.date_order;
    let mut order_from =
        (date_col.is_some() && opts.date_order != DateOrder::Auto).then_some(DateOrderFrom::Configuration);
    let mut learned_from = None;
    let mut order_warning = None;
    if let (Some(dc), DateOrder::Auto) = (date_col, opts.date_order) {
        let persian = headers.iter().any(|h| h.chars().any(is_arabic_script))
            || good
                .iter()
                .filter_map(|r| r.get(dc))
                .any(|v| v.chars().any(is_arabic_script));
        let layout_key = date_layout_key(dataset, &headers, dc);
        // A platform whose layout fixes the order (Toast writes the month first) needs no other
        // upload to tell it.
        let known = (cmap.layout.date_order() == DateOrder::Auto)
            .then(|| opts.learned_date_orders.get(&layout_key))
            .flatten();
        // Uploads of the layout that disagree teach nothing: not whichever was recorded first.
        let learned = known.filter(|l| l.disagreed_by.is_none());
        let disagreement = known.and_then(|l| {
            l.disagreed_by
                .as_ref()
                .map(|other| (l.order, l.source_key.clone(), other.clone()))
        });
        let decision = decide_date_order(
            &good,
            dc,
            persian,
            whole_file_sampled,
            learned.map(|l| l.order),
            || Ok(source::open(input, &fmt, opts.limits, Some(dataset))?.source),
        )?;
        date_order = decision.order;
        order_from = decision.from;
        match decision.from {
            Some(DateOrderFrom::EarlierUpload) => learned_from = learned.map(|l| l.source_key.clone()),
            // Weak evidence: once an upload of the layout shows the order by a value, the file is
            // read again by it, whichever arrived first (a monthly file dated 1/5 … 10/5 runs in
            // order both ways).
            Some(DateOrderFrom::Chronology) => dates.guessed = Some(layout_key.clone()),
            Some(DateOrderFrom::Default) if cmap.layout.date_order() != DateOrder::Auto => {
                order_from = Some(DateOrderFrom::Layout);
            }
            Some(DateOrderFrom::Default) => {
                let header = mapping::shown_header(&headers[dc], dc);
                let example = good.iter().filter_map(|r| r.get(dc)).find(|v| looks_ambiguous(v));
                let unlearned = match (&disagreement, &opts.learned_date_orders_error) {
                    (Some(d), _) => Unlearned::Disagree(d),
                    (None, Some(e)) if known.is_none() => Unlearned::Unreadable(e),
                    _ => Unlearned::Nothing,
                };
                order_warning = example.map(|v| undecided_order_warning(&header, v, unlearned));
                dates.guessed = Some(layout_key.clone());
            }
            _ => {}
        }
        dates.evidence = decision.evidence.map(|order| DateEvidence {
            layout: layout_key,
            order,
            date_column: headers[dc].trim().to_string(),
        });
    }
    // An upload named as returns ("incoming/sales/returns/2023-11.csv", "برگشت از فروش.xlsx"),
    // or dated only by its returns ("Return Date"), lists what went back; a "Returns" sheet of a
    // workbook does so for its own lines. JSON orders with their items or refunds say per
    // record what went back ("refunds.json" of Shopify orders is orders).
    let named_returns = !opened.itemised_orders && src.key.split('/').any(convert::names_returns);
    let returns_lines = if dataset == Dataset::Sales && (cmap.returns_by_header || named_returns) {
        report.read_as_returns = true;
        vec![0..=u64::MAX]
    } else {
        opened.returns_lines
    };
    let cfg = ConvertConfig {
        source_key: src.key.clone(),
        returns_lines,
        timezone: opts.timezone,
        date_order,
        // Spreadsheets save `;`-separated text where the comma is the decimal mark.
        semicolon_separated: fmt.container == sniff::Container::Delimited && fmt.delimiter == b';',
        title_currency: opened.title_currency,
        phone_country: opts.phone_country,
    };
    let mut conv = convert::converter(dataset, &cmap, &headers, &good, &cfg);
    drop(good);
    let prefix = format!("curated/{}", dataset.name());
    let mut out = writer::BackgroundWriter::spawn(
        writer::PartitionedWriter::new(
            staging,
            &prefix,
            conv.partition_column(),
            &format!("{file_stem}.parquet"),
            conv.schema(),
        )
        .for_source(&src.key),
    );
    // A sales export's customer numbers with their emails and phones (see `convert::contacts`):
    // a file of its own under curated/customers, opened only when there are any.
    let mut contacts = (dataset == Dataset::Sales).then(|| {
        writer::PartitionedWriter::new(
            staging,
            &format!("curated/{}", Dataset::Customers.name()),
            None,
            &format!("{file_stem}.parquet"),
            convert::customers_schema(),
        )
        .for_source(&src.key)
    });
    // Refusals of rows quarantined (see `convert::refusals`): a file of its own under
    // curated/refusals, opened only when there are any. Customer lists quarantine only rows
    // without a key, which can refuse under none.
    let mut refusals = (dataset != Dataset::Customers).then(|| {
        writer::PartitionedWriter::new(
            staging,
            convert::REFUSALS_PREFIX,
            None,
            &format!("{file_stem}.parquet"),
            convert::refusals_schema(),
        )
        .for_source(&src.key)
    });
    let quarantine_key = format!("quarantine/{}/{file_stem}.jsonl", dataset.name());
    let mut q = Quarantine::new(staging, quarantine_key);
    let mut ctx = RowCtx {
        headers: &headers,
        conv: conv.as_mut(),
        q: &mut q,
        out: &mut out,
        contacts: contacts.as_mut(),
        refusals: refusals.as_mut(),
        report,
    };
    let mut chunks = held.into_iter();
    loop {
        let Some(mut chunk) = chunks.next().or_else(|| src_rows.next_chunk()) else {
            break;
        };
        for e in chunk.rows.iter() {
            match e {
                Entry::Row(line, r) => ctx.row(line, &r)?,
                Entry::Bad(line, reason, detail, record) => ctx.bad(line, reason, detail, record.as_ref())?,
            }
        }
        if let Some(e) = chunk.error.take() {
            return Err(e);
        }
        src_rows.recycle(chunk);
    }
    ctx.flush()?;
    let mut parsing = conv.settings();
    // The order matters only to dates written `a/b/yyyy`.
    if matches!(
        parsing.date_format,
        "day-first" | "month-first" | "jalali-year-first" | "jalali-day-first"
    ) {
        // A configured order the file's own values overrule (`--date-order day-first` cannot make
        // `11/13/2026` a day-first date): they decided, and the report says so.
        let configured = match opts.date_order {
            DateOrder::DayFirst => Some("day-first"),
            DateOrder::MonthFirst => Some("month-first"),
            _ => None,
        };
        parsing.date_order_from = match (order_from, configured) {
            (Some(DateOrderFrom::Configuration), Some(c)) if c != parsing.date_format => {
                Some(DateOrderFrom::UnambiguousValue)
            }
            (from, _) => from,
        };
        parsing.date_order_learned_from = learned_from;
        report.warnings.extend(order_warning);
    } else {
        dates.guessed = None;
    }
    report.warnings.extend(conv.warnings());
    let stats = conv.stats();
    if let (Some(year), Some(first)) = (opts.queryable_from_year, stats.min_ts)
        && chrono::Datelike::year(&first) < year
    {
        report.warnings.push(format!(
            "rows dated from {} are before {year}-01, where the query tables (Athena) start: they are \
             stored and segmented, but queries do not show them; lower ProjectionStartYear to {} to \
             see them",
            first.format("%Y-%m-%d"),
            chrono::Datelike::year(&first),
        ));
    }
    report.parsing = Some(parsing);
    report.stats = Some(stats);
    let mut files = out.finish()?;
    if let Some(c) = contacts {
        files.extend(c.finish()?);
    }
    if let Some(r) = refusals {
        files.extend(r.finish()?);
    }
    report.outputs = files.clone();
    if let Some(qf) = q.finish()? {
        report.quarantine = Some(qf.key.clone());
        files.push(qf);
    }
    let rows = &report.rows;
    debug_assert_eq!(rows.read, rows.written + rows.rejected);
    // Rows the export's own layout says are no sale lines (an order's summary row, a payment,
    // a group total) are expected: quarantined to account for every row, not a problem.
    let expected: u64 = rows
        .rejected_by_reason
        .iter()
        .filter(|(reason, _)| convert::EXPECTED_REJECTS.contains(&reason.as_str()))
        .map(|(_, n)| n)
        .sum();
    report.status = if rows.rejected == expected {
        Status::Ok
    } else {
        Status::Partial
    };
    Ok(files)
}

struct RowCtx<'a> {
    headers: &'a [String],
    conv: &'a mut dyn Converter,
    q: &'a mut Quarantine,
    out: &'a mut writer::BackgroundWriter,
    contacts: Option<&'a mut writer::PartitionedWriter>,
    refusals: Option<&'a mut writer::PartitionedWriter>,
    report: &'a mut IngestReport,
}

impl RowCtx<'_> {
    fn row(&mut self, line: u64, rec: &Row<'_>) -> Result<()> {
        self.report.rows.read += 1;
        // More cells than headers means an unquoted delimiter shifted the row: its values cannot be
        // trusted column by column.
        if rec.len() > self.headers.len() && rec.iter().skip(self.headers.len()).any(|c| !c.trim().is_empty())
        {
            let detail = format!(
                "the row has {} fields, the header {}: a value holding the delimiter without quotes shifted it",
                rec.len(),
                self.headers.len()
            );
            return self.reject(line, "too_many_fields", None, Some(&detail), Some(rec));
        }
        match self.conv.push(line, rec) {
            Ok(()) => {
                self.report.rows.written += 1;
                if self.conv.buffered() >= BATCH_ROWS {
                    self.flush()?;
                }
                Ok(())
            }
            Err(rr) => {
                let column = rr.column.map(|c| {
                    (
                        self.headers.get(c).map_or("", String::as_str),
                        rec.get(c).unwrap_or(""),
                    )
                });
                // The row stays rejected; a refusal it carries is kept apart.
                let kept = self.refusals.is_some() && self.conv.keep_refusal(line, rec, rr.reason);
                if kept {
                    self.report.rows.refusals_kept += 1;
                    // A file whose every row is quarantined never fills a batch of written rows.
                    if self.conv.refusals_buffered() >= BATCH_ROWS {
                        self.flush_refusals()?;
                    }
                }
                self.reject_row(line, rr.reason, column, None, Some(rec), kept)
            }
        }
    }

    fn bad(&mut self, line: u64, reason: &'static str, detail: &str, record: Option<&Row<'_>>) -> Result<()> {
        self.report.rows.read += 1;
        self.reject(line, reason, None, Some(detail), record)
    }

    fn reject(
        &mut self,
        line: u64,
        reason: &str,
        column: Option<(&str, &str)>,
        detail: Option<&str>,
        rec: Option<&Row<'_>>,
    ) -> Result<()> {
        self.reject_row(line, reason, column, detail, rec, false)
    }

    /// `refusal_kept`: the row's refusal of marketing was kept (see `convert::refusals`).
    fn reject_row(
        &mut self,
        line: u64,
        reason: &str,
        column: Option<(&str, &str)>,
        detail: Option<&str>,
        rec: Option<&Row<'_>>,
        refusal_kept: bool,
    ) -> Result<()> {
        self.report.rows.rejected += 1;
        *self
            .report
            .rows
            .rejected_by_reason
            .entry(reason.to_string())
            .or_insert(0) += 1;
        self.q.reject(line, reason, column, detail, rec, refusal_kept)
    }

    fn flush_refusals(&mut self) -> Result<()> {
        if let Some(r) = self.refusals.as_deref_mut()
            && let Some(refusals) = self.conv.finish_refusals()?
        {
            r.write(&refusals, &[])?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if let Some(c) = self.contacts.as_deref_mut()
            && let Some(links) = self.conv.finish_contacts()?
        {
            c.write(&links, &[])?;
        }
        self.flush_refusals()?;
        if self.conv.buffered() == 0 {
            return Ok(());
        }
        let (batch, parts) = self.conv.finish_batch()?;
        self.out.write(batch, parts)
    }
}

/// Day-first or month-first evidence in one value such as `13/01/2023` or `01/13/2023`.
fn order_evidence(v: &str) -> Option<DateOrder> {
    let (a, b, _) = abc(v)?;
    match (
        a > 12 && a <= 31 && (1..=12).contains(&b),
        b > 12 && b <= 31 && (1..=12).contains(&a),
    ) {
        (true, _) => Some(DateOrder::DayFirst),
        (_, true) => Some(DateOrder::MonthFirst),
        _ => None,
    }
}

fn looks_ambiguous(v: &str) -> bool {
    abc(v).is_some_and(|(a, b, _)| (1..=12).contains(&a) && (1..=12).contains(&b))
}

/// The three numbers of an `a/b/yyyy`-style date, if the value is one.
fn abc(v: &str) -> Option<(u32, u32, i32)> {
    let v = normalize_digits(v.trim());
    let mut parts = v.split(['/', '.', '-', ' ', 'T']).filter(|p| !p.is_empty());
    let a = parts.next()?;
    let b = parts.next()?;
    let y = parts.next()?;
    if a.len() > 2 || b.len() > 2 || !(y.len() == 2 || y.len() == 4) {
        return None;
    }
    let y: i32 = y.parse().ok()?;
    Some((
        a.parse().ok()?,
        b.parse().ok()?,
        if y < 100 { 2000 + y } else { y },
    ))
}

/// How to read `a/b/yyyy` dates when the configuration says `auto`. In order: a value that can only
/// be read one way (`13/01`) decides, first in the sample, then — for a file larger than the
/// sample — further down the file; else the order an earlier upload of the same export layout
/// showed by such a value (`learned`: a daily file of the 5th has only dates that read both ways,
/// the weekly export of the same system had a 13th); else the reading under which the dates run
/// closest to chronological order (exports are written in date order: 12/2 … 12/9 is a week of
/// December, not eight months of 2011), for this file only; else the default (day-first,
/// [`DateOrderFrom::Default`], which the report warns about). In a Persian export (`persian`: Persian
/// headers or digits) whose dates all have two-digit parts, Persian software's `yy/mm/dd` with a
/// Jalali year ("02/07/15" is 1402/07/15) is a third reading, by the same test. Before all
/// that, short dates in Persian digits are Jalali, year first or last
/// ([`crate::values::date::persian_short_order`]).
///
/// The decision says whether an unambiguous value of the file decided it (`evidence`), for the
/// caller to remember for the layout; the chronology test is too weak to remember.
pub fn decide_date_order(
    sample: &[Row<'_>],
    col: usize,
    persian: bool,
    whole_file_sampled: bool,
    learned: Option<DateOrder>,
    reopen: impl FnOnce() -> Result<Box<dyn RecordSource>>,
) -> Result<DateOrderDecision> {
    let values = || sample.iter().filter_map(|r| r.get(col));
    let today = chrono::Utc::now().date_naive();
    let since = crate::values::date::earliest_event();
    if persian && let Some(order) = crate::values::date::persian_short_order(values(), today, since) {
        return Ok(DateOrderDecision {
            order,
            from: None,
            evidence: None,
        });
    }
    let (mut day_first, mut month_first) = (0usize, 0usize);
    for v in values() {
        match order_evidence(v) {
            Some(DateOrder::DayFirst) => day_first += 1,
            Some(_) => month_first += 1,
            None => {}
        }
    }
    if day_first + month_first > 0 {
        // The date parser sees the evidence itself (the majority wins); only evidence that agrees
        // is worth remembering.
        let shown = match (day_first, month_first) {
            (_, 0) => DateOrder::DayFirst,
            (0, _) => DateOrder::MonthFirst,
            _ => DateOrder::Auto,
        };
        return Ok(DateOrderDecision::by_evidence(
            shown,
            DateOrder::Auto,
            DateOrderFrom::UnambiguousValue,
        ));
    }
    if !values().any(looks_ambiguous) {
        // Nothing ambiguous.
        return Ok(DateOrderDecision::undecided());
    }
    // A column with Jalali years (`12/05/1403`) is a Persian one: its `a/b` is day and month,
    // and its short dates the parser reads as Jalali or refuses; read as Gregorian, 1403 and the
    // short dates would decide a month-first order that makes `۰۳/۰۵/۱۲` a day of 2012.
    if values().any(|v| abc(v).is_some_and(|(_, _, y)| crate::values::date::JALALI_YEARS.contains(&y))) {
        return Ok(DateOrderDecision::undecided());
    }
    if !whole_file_sampled {
        let mut src = reopen()?;
        let mut rows = Rows::default();
        while src.next(&mut rows)? {
            if let Some(Entry::Row(_, r)) = rows.last()
                && let Some(order) = r.get(col).and_then(order_evidence)
            {
                return Ok(DateOrderDecision::by_evidence(
                    order,
                    order,
                    DateOrderFrom::UnambiguousValue,
                ));
            }
            rows.clear();
        }
    }
    // An earlier upload of the layout showed the order by an unambiguous value: stronger than
    // the chronology test, which dates a few months apart pass both ways.
    if let Some(order @ (DateOrder::DayFirst | DateOrder::MonthFirst)) = learned {
        return Ok(DateOrderDecision {
            order,
            from: Some(DateOrderFrom::EarlierUpload),
            evidence: None,
        });
    }
    let jumps = |read: &dyn Fn(&str) -> Option<chrono::NaiveDate>| {
        crate::values::date::in_order(values().filter(|v| abc(v).is_some()), read)
    };
    let gregorian = |day_first: bool| {
        move |v: &str| {
            let (a, b, y) = abc(v)?;
            let (d, m) = if day_first { (a, b) } else { (b, a) };
            chrono::NaiveDate::from_ymd_opt(y, m, d)
        }
    };
    let readings = [
        (jumps(&gregorian(true)), DateOrder::DayFirst),
        (jumps(&gregorian(false)), DateOrder::MonthFirst),
        (
            persian
                .then(|| jumps(&|v: &str| crate::values::date::short_jalali(v, true)))
                .flatten(),
            DateOrder::JalaliYearFirst,
        ),
    ];
    // Only a reading under which the dates run in one direction (exports are sorted by date,
    // oldest or newest first); of several, the one whose consecutive rows are closest in time
    // (12/2 … 12/9 is a week of December, not eight months). A file in no date order says
    // nothing: read by the default, with the warning.
    let in_order: Vec<(i64, DateOrder)> = readings
        .iter()
        .filter_map(|(j, o)| match j {
            Some((true, days)) => Some((*days, *o)),
            _ => None,
        })
        .collect();
    let best = in_order.iter().min_by_key(|(days, _)| *days).copied();
    Ok(match best {
        // Decided by chronology: weak evidence, used for this file only and never remembered
        // for the layout.
        Some((days, order)) if in_order.iter().filter(|(d, _)| *d == days).count() == 1 => {
            DateOrderDecision {
                order,
                from: Some(DateOrderFrom::Chronology),
                evidence: None,
            }
        }
        // A tie says nothing: the default.
        _ => DateOrderDecision {
            order: DateOrder::Auto,
            from: Some(DateOrderFrom::Default),
            evidence: None,
        },
    })
}

/// Why no earlier upload told a file's date order, for [`undecided_order_warning`].
#[derive(Clone, Copy)]
enum Unlearned<'a> {
    /// No upload of the layout showed it.
    Nothing,
    /// The layout's uploads disagree: its recorded order, the upload that showed it and the one
    /// that showed the other.
    Disagree(&'a (DateOrder, String, String)),
    /// The learned orders could not be read at all: why.
    Unreadable(&'a str),
}

/// The report's warning for dates read day-first because nothing told their order.
fn undecided_order_warning(header: &str, example: &str, unlearned: Unlearned<'_>) -> String {
    let read = |day_first: bool| {
        abc(example)
            .and_then(|(a, b, y)| {
                let (d, m) = if day_first { (a, b) } else { (b, a) };
                chrono::NaiveDate::from_ymd_opt(y, m, d)
            })
            .map(|d| d.format("%-d %B %Y").to_string())
    };
    let readings = match (read(true), read(false)) {
        (Some(d), Some(m)) => format!(" ({d} day-first, {m} month-first)"),
        _ => String::new(),
    };
    let name = |o: DateOrder| {
        if o == DateOrder::MonthFirst {
            "month-first"
        } else {
            "day-first"
        }
    };
    // A Persian export's `a/b/yy` may be Jalali, year first (`02/08/01` for 1402/08/01), which
    // neither reading above is.
    let jalali = match header.chars().any(is_arabic_script) {
        true => {
            "; if they are Jalali dates with the year first (\"02/08/01\" for 1402/08/01), set \
             SEGFLOW_DATE_ORDER=jalali-year-first (segflow ingest --date-order jalali-year-first) instead"
        }
        false => "",
    };
    let warning = match unlearned {
        Unlearned::Disagree((order, by, other)) => format!(
            "the dates in \"{header}\" read both day-first and month-first, such as \"{}\"{readings}, and \
             neither this file nor the configuration tells which, and the uploads of this export layout \
             disagree ({by} showed {}, {other} {}: two systems with the same columns?): they were read \
             day-first. Set SEGFLOW_DATE_ORDER=day-first or month-first (segflow ingest --date-order …) \
             for this shop's files and ingest the file again",
            example.trim(),
            name(*order),
            name(if *order == DateOrder::MonthFirst {
                DateOrder::DayFirst
            } else {
                DateOrder::MonthFirst
            }),
        ),
        Unlearned::Unreadable(error) => format!(
            "the dates in \"{header}\" read both day-first and month-first, such as \"{}\"{readings}, and \
             neither this file nor the configuration tells which, and the orders earlier uploads showed \
             could not be read ({error}): they were read day-first. If the shop writes the month first, \
             set SEGFLOW_DATE_ORDER=month-first (segflow ingest --date-order month-first) and ingest the \
             file again",
            example.trim()
        ),
        Unlearned::Nothing => format!(
            "the dates in \"{header}\" read both day-first and month-first, such as \"{}\"{readings}, and \
             neither this file, an earlier upload of the same export layout, nor the configuration tells \
             which: they were read day-first. If the shop writes the month first, set \
             SEGFLOW_DATE_ORDER=month-first (segflow ingest --date-order month-first) and ingest the file \
             again; an upload of this layout whose dates tell the order (a 13th or later) also settles it",
            example.trim()
        ),
    };
    warning + jalali
}

/// Letters of the Arabic script, in which Persian is written (and Persian digits).
fn is_arabic_script(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFC}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chronology_decides_when_no_value_is_unambiguous() {
        let list = rows_of;
        let never = || -> Result<Box<dyn RecordSource>> { panic!("whole file was sampled") };
        let week_of_december = recs(&[
            "12/2/2011 8:26",
            "12/5/2011 9:00",
            "12/7/2011 10:00",
            "12/9/2011 12:50",
        ]);
        assert_eq!(
            decide_date_order(&list(&week_of_december), 0, false, true, None, never)
                .unwrap()
                .order,
            DateOrder::MonthFirst
        );
        let early_days = recs(&["01.02.2023", "03.02.2023", "07.02.2023", "10.02.2023"]);
        assert_eq!(
            decide_date_order(&list(&early_days), 0, false, true, None, never)
                .unwrap()
                .order,
            DateOrder::DayFirst
        );
        // Only a reading under which the dates run in one direction counts, not the one whose
        // dates lie closest together: 3 Jan, 3 Feb, 12 Jan go back.
        let order_of = |vals: &[&str]| {
            let rows = recs(vals);
            let d = decide_date_order(&list(&rows), 0, false, true, None, never).unwrap();
            (d.order, d.from)
        };
        let chronology = Some(DateOrderFrom::Chronology);
        assert_eq!(
            order_of(&["3/1/2026", "3/2/2026", "12/1/2026"]),
            (DateOrder::MonthFirst, chronology)
        );
        assert_eq!(
            order_of(&["1/3/2026", "2/3/2026", "1/12/2026"]),
            (DateOrder::DayFirst, chronology)
        );
        // Newest first is an order too.
        assert_eq!(
            order_of(&["12/1/2026", "3/2/2026", "3/1/2026"]),
            (DateOrder::MonthFirst, chronology)
        );
        // In no order either way: nothing decides.
        assert_eq!(
            order_of(&["1/2/2026", "3/1/2026", "2/3/2026"]),
            (DateOrder::Auto, Some(DateOrderFrom::Default))
        );
        let evidence = recs(&["12/2/2011", "12/13/2011"]);
        assert_eq!(
            decide_date_order(&list(&evidence), 0, false, true, None, never)
                .unwrap()
                .order,
            DateOrder::Auto
        );
        let one_value = recs(&["05/06/2023"]);
        assert_eq!(
            decide_date_order(&list(&one_value), 0, false, true, None, never)
                .unwrap()
                .order,
            DateOrder::Auto
        );
        // Short Jalali dates (1402/07/15 … 1402/12/29): read as d/m/yy or m/d/yy they jump
        // between 2001 and 2029.
        let short_jalali = recs(&["02/07/15", "02/08/01", "02/09/20", "02/12/29"]);
        assert_eq!(
            decide_date_order(&list(&short_jalali), 0, true, true, None, never)
                .unwrap()
                .order,
            DateOrder::JalaliYearFirst
        );
        // Only in a Persian export: elsewhere the two Gregorian readings compete as before.
        assert_ne!(
            decide_date_order(&list(&short_jalali), 0, false, true, None, never)
                .unwrap()
                .order,
            DateOrder::JalaliYearFirst
        );
        // Two-digit years in Persian digits are Jalali, year first or last as the dates run.
        let day_first = recs(&["۱۵/۰۷/۰۲", "۲۰/۰۷/۰۲", "۰۳/۰۸/۰۲", "۲۹/۱۲/۰۲"]);
        assert_eq!(
            decide_date_order(&list(&day_first), 0, true, true, None, never)
                .unwrap()
                .order,
            DateOrder::JalaliDayFirst
        );
        let year_first = recs(&["۰۲/۰۷/۱۵", "۰۲/۰۸/۰۱", "۰۲/۰۹/۲۰"]);
        assert_eq!(
            decide_date_order(&list(&year_first), 0, true, true, None, never)
                .unwrap()
                .order,
            DateOrder::JalaliYearFirst
        );
        // Gregorian short dates in a Persian export keep their reading (a week of December 2011).
        let week = recs(&["12/02/11", "12/05/11", "12/07/11", "12/09/11"]);
        assert_eq!(
            decide_date_order(&list(&week), 0, true, true, None, never)
                .unwrap()
                .order,
            DateOrder::MonthFirst
        );
    }

    fn recs(vals: &[&str]) -> Rows {
        let mut rows = Rows::default();
        for (i, v) in vals.iter().enumerate() {
            rows.push_cells(i as u64 + 2, [*v]);
        }
        rows
    }

    fn rows_of(rows: &Rows) -> Vec<Row<'_>> {
        rows.iter()
            .filter_map(|e| match e {
                Entry::Row(_, r) => Some(r),
                Entry::Bad(..) => None,
            })
            .collect()
    }

    fn decide(vals: &[&str], learned: Option<DateOrder>) -> DateOrderDecision {
        let rows = recs(vals);
        let never = || -> Result<Box<dyn RecordSource>> { panic!("whole file was sampled") };
        decide_date_order(&rows_of(&rows), 0, false, true, learned, never).unwrap()
    }

    /// A daily export of the 5th of November (US style, month first) reads both ways and its one
    /// day runs in date order either way: the order an earlier upload of its layout showed decides,
    /// and says so; without one it is the default, which the report warns about.
    #[test]
    fn an_earlier_upload_decides_what_the_file_cannot() {
        let one_day = ["11/5/2026 09:10", "11/5/2026 14:30", "11/5/2026 18:02"];
        assert_eq!(
            decide(&one_day, Some(DateOrder::MonthFirst)),
            DateOrderDecision {
                order: DateOrder::MonthFirst,
                from: Some(DateOrderFrom::EarlierUpload),
                evidence: None,
            }
        );
        assert_eq!(
            decide(&one_day, None),
            DateOrderDecision {
                order: DateOrder::Auto,
                from: Some(DateOrderFrom::Default),
                evidence: None,
            }
        );
        // The file's own evidence outranks the earlier upload, and is worth remembering.
        let weekly = ["10/30/2026 10:00", "11/2/2026 11:00", "11/13/2026 12:00"];
        assert_eq!(
            decide(&weekly, Some(DateOrder::DayFirst)),
            DateOrderDecision {
                order: DateOrder::Auto,
                from: Some(DateOrderFrom::UnambiguousValue),
                evidence: Some(DateOrder::MonthFirst),
            }
        );
        let week_of_december = ["12/2/2011 8:26", "12/5/2011 9:00", "12/9/2011 12:50"];
        assert_eq!(
            decide(&week_of_december, None),
            DateOrderDecision {
                order: DateOrder::MonthFirst,
                from: Some(DateOrderFrom::Chronology),
                evidence: None,
            }
        );
        // Values that contradict each other are read by their majority, and teach nothing.
        let mixed = decide(&["13/01/2023", "14/01/2023", "01/13/2023"], None);
        assert_eq!(
            (mixed.from, mixed.evidence),
            (Some(DateOrderFrom::UnambiguousValue), None)
        );
        // Nothing ambiguous: nothing to decide, nothing to say.
        assert_eq!(decide(&["2026-11-05"], Some(DateOrder::MonthFirst)).from, None);
    }

    /// The chronology test is weak evidence: dates a few months apart often run in date order
    /// both ways (2/3, 5/6, 9/10 is March, June, October day-first and February, May, September
    /// month-first). It decides only what nothing stronger does, and is never remembered for the
    /// layout: the order an unambiguous value of an earlier upload showed beats it.
    #[test]
    fn a_learned_order_beats_chronology_and_chronology_is_not_learned() {
        let returns = ["2/3/2026 10:00", "5/6/2026 11:00", "9/10/2026 12:00"];
        let alone = decide(&returns, None);
        assert_eq!(alone.from, Some(DateOrderFrom::Chronology), "{alone:?}");
        assert_eq!(alone.evidence, None, "chronology must not be remembered");
        for learned in [DateOrder::DayFirst, DateOrder::MonthFirst] {
            assert_eq!(
                decide(&returns, Some(learned)),
                DateOrderDecision {
                    order: learned,
                    from: Some(DateOrderFrom::EarlierUpload),
                    evidence: None,
                }
            );
        }
        // A week of December read month-first by its chronology; a day-first layout reads it
        // day-first (2 December … 9 December is as plausible as February … September).
        let week_of_december = ["12/2/2011 8:26", "12/5/2011 9:00", "12/9/2011 12:50"];
        assert_eq!(
            decide(&week_of_december, Some(DateOrder::DayFirst)).order,
            DateOrder::DayFirst
        );
        // Configuration > the file's unambiguous values > the learned order > chronology >
        // default: an unambiguous value still beats the learned order, and is remembered.
        let with_13th = ["2/3/2026 10:00", "13/6/2026 11:00"];
        assert_eq!(
            decide(&with_13th, Some(DateOrder::MonthFirst)),
            DateOrderDecision {
                order: DateOrder::Auto,
                from: Some(DateOrderFrom::UnambiguousValue),
                evidence: Some(DateOrder::DayFirst),
            }
        );
    }

    #[test]
    fn the_layout_key_is_the_header_whatever_its_order_and_case() {
        let h = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let weekly = date_layout_key(Dataset::Sales, &h(&["InvoiceNo", "InvoiceDate", "Quantity"]), 1);
        let daily = date_layout_key(Dataset::Sales, &h(&["quantity ", "InvoiceNo", "invoicedate"]), 2);
        assert_eq!(weekly, daily);
        assert!(weekly.starts_with("sales-"), "{weekly}");
        let other = date_layout_key(Dataset::Sales, &h(&["Order ID", "Order Date", "Quantity"]), 1);
        assert_ne!(weekly, other);
        assert_ne!(
            weekly,
            date_layout_key(
                Dataset::Activity,
                &h(&["InvoiceNo", "InvoiceDate", "Quantity"]),
                1
            )
        );
    }

    #[test]
    fn the_warning_names_the_column_an_example_and_the_setting() {
        let w = undecided_order_warning("InvoiceDate", " 11/5/2026 14:30", Unlearned::Nothing);
        for part in [
            "\"InvoiceDate\"",
            "\"11/5/2026 14:30\"",
            "11 May 2026 day-first",
            "5 November 2026 month-first",
            "read day-first",
            "SEGFLOW_DATE_ORDER=month-first",
            "--date-order month-first",
        ] {
            assert!(w.contains(part), "{part} not in {w}");
        }
        let disagree = (
            DateOrder::MonthFirst,
            "incoming/sales/us.csv".to_string(),
            "incoming/sales/uk.csv".to_string(),
        );
        let w = undecided_order_warning("InvoiceDate", "11/5/2026", Unlearned::Disagree(&disagree));
        for part in [
            "uploads of this export layout disagree",
            "incoming/sales/us.csv showed month-first, incoming/sales/uk.csv day-first",
            "read day-first",
            "SEGFLOW_DATE_ORDER",
        ] {
            assert!(w.contains(part), "{part} not in {w}");
        }
        let w = undecided_order_warning(
            "InvoiceDate",
            "11/5/2026",
            Unlearned::Unreadable("state/ingest/date_orders.json: EOF while parsing"),
        );
        for part in [
            "could not be read (state/ingest/date_orders.json: EOF while parsing)",
            "read day-first",
        ] {
            assert!(w.contains(part), "{part} not in {w}");
        }
        assert!(!w.contains("neither this file, an earlier upload"), "{w}");
        assert!(!w.contains("jalali"), "an English header: {w}");
        // A Persian export's `a/b/yy` may be Jalali with the year first.
        let w = undecided_order_warning("تاریخ", "02/08/01", Unlearned::Nothing);
        assert!(w.contains("SEGFLOW_DATE_ORDER=jalali-year-first"), "{w}");
    }

    #[test]
    fn order_evidence_from_values() {
        assert_eq!(order_evidence("13/01/2023"), Some(DateOrder::DayFirst));
        assert_eq!(order_evidence("12/13/2010 8:26"), Some(DateOrder::MonthFirst));
        assert_eq!(order_evidence("12/1/2010 8:26"), None);
        assert_eq!(order_evidence("2023-01-13"), None);
        assert!(looks_ambiguous("12/1/2010 8:26"));
        assert!(!looks_ambiguous("2010-12-01"));
    }
}

#[cfg(test)]
mod fixture_tests;
