//! Record readers over every supported container. Each appends rows, with their source line
//! numbers, after the header row, to [`Rows`] (whose buffers are reused, so the hot loop does not
//! allocate per row).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::ops::RangeInclusive;
use std::path::Path;

use super::convert::names_returns;
use super::delimited::{DelimitedReader, Step};
use super::grouped::{GroupedSource, HEADING_SAMPLE, heading_labels, may_be_grouped};
use super::reject::RejectReason;
use super::rows::{Entry, Rows};
use super::sniff::{self, Container, Format, Limits, TextEncoding};
use crate::error::{EngineError, Result};
use crate::mapping::{ColumnMapping, header_score, normalize_header};
use crate::schema::{Dataset, Field};

/// How far down the header row is searched for (exports often put a title or blank lines on top).
const HEADER_SEARCH_ROWS: usize = 10;
/// The largest element of a JSON array read; a larger one is an unclosed bracket or string.
const MAX_JSON_ELEMENT_BYTES: usize = 64 * 1024 * 1024;

pub trait RecordSource: Send {
    /// Appends the next row, or the next row that could not be decoded (with the reason it is
    /// quarantined for), to `out`; false at the end.
    fn next(&mut self, out: &mut Rows) -> Result<bool>;
}

pub struct Opened {
    pub source: Box<dyn RecordSource>,
    pub headers: Vec<String>,
    /// Source line of the header row (1-based), 0 for JSON.
    pub header_line: u64,
    /// Non-empty lines above the header row (titles, notes) that are not data.
    pub preamble_rows: u64,
    /// The dataset the header looks most like, when the caller did not say.
    pub guessed: Option<Dataset>,
    /// Workbooks: which sheets were read and which skipped.
    pub sheets: Vec<SheetReport>,
    /// Sales workbooks: the source lines of sheets named as returns ([`names_returns`]).
    pub returns_lines: Vec<RangeInclusive<u64>>,
    /// The currency the title rows above the header give the amounts in, see
    /// [`crate::mapping::title_currency`].
    pub title_currency: Option<&'static str>,
    /// How the file was read where the sniffed container was not it (an object wrapping a JSON
    /// array, sniffed as JSON Lines).
    pub read_as: Option<Container>,
}

/// Opens `path` as described by `fmt` and positions it after the header row.
pub fn open(path: &Path, fmt: &Format, limits: Limits, dataset: Option<Dataset>) -> Result<Opened> {
    match fmt.container {
        Container::Delimited => open_delimited(path, fmt, limits, dataset),
        Container::Xlsx | Container::Xls => open_sheet(path, fmt, limits, dataset),
        Container::JsonLines => open_json_lines(path, fmt, limits, dataset),
        Container::JsonArray => open_json_array(path, fmt, limits, dataset, &[]),
    }
}

/// The source as it stands, or for a grouped report ([`heading_labels`]) with the headings'
/// labels as extra columns.
fn grouped(
    source: Box<dyn RecordSource>,
    headers: &mut Vec<String>,
    labels: Option<Vec<(String, Field)>>,
    sheet_starts: Vec<u64>,
) -> Box<dyn RecordSource> {
    match labels {
        Some(labels) => {
            let source = GroupedSource::new(source, headers.len(), &labels, sheet_starts);
            headers.extend(labels.into_iter().map(|(l, _)| l));
            Box::new(source)
        }
        None => source,
    }
}

fn score(cells: &[&str], dataset: Option<Dataset>) -> (usize, Option<Dataset>) {
    match dataset {
        Some(d) => (header_score(cells, d), Some(d)),
        None => Dataset::ALL
            .into_iter()
            .map(|d| (header_score(cells, d), Some(d)))
            .max_by_key(|(s, _)| *s)
            .unwrap_or((0, None)),
    }
}

/// Picks the header among the first rows: the one that looks most like a header of the dataset.
/// Returns (index of header row, guessed dataset).
fn pick_header(rows: &[Vec<String>], dataset: Option<Dataset>) -> (usize, Option<Dataset>) {
    let mut best = (0usize, 0usize, None);
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        let (s, d) = score(&cells, dataset);
        if s > best.1 {
            best = (i, s, d);
        }
    }
    // Nothing recognisable: the first non-empty row is the header, and mapping will explain.
    (best.0, if best.1 > 0 { best.2 } else { None })
}

// ---------------------------------------------------------------------------------------------
// Delimited text

struct DelimitedSource {
    rdr: DelimitedReader<Box<dyn Read + Send>>,
    /// Rows read while looking for the header that come after it.
    pending: VecDeque<(u64, Vec<String>)>,
    path: std::path::PathBuf,
}

fn decoded_reader(path: &Path, fmt: &Format, limits: Limits) -> Result<Box<dyn Read + Send>> {
    let raw = sniff::open_decompressed(path, fmt.compression, limits)?;
    Ok(match fmt.encoding {
        // The reader drops a UTF-8 BOM itself; plain UTF-8 goes straight through without transcoding.
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => raw,
        enc => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(enc.encoding()))
                .bom_override(true)
                .build(raw),
        ),
    })
}

/// A line read before the header is settled that is not text: the file is not one.
fn not_utf8(line: u64) -> EngineError {
    RejectReason::Malformed {
        format: "text",
        detail: format!("line {line} is not valid UTF-8"),
    }
    .into()
}

fn open_delimited(path: &Path, fmt: &Format, limits: Limits, dataset: Option<Dataset>) -> Result<Opened> {
    let reader = decoded_reader(path, fmt, limits)?;
    let mut source = DelimitedSource {
        rdr: DelimitedReader::new(reader, fmt.delimiter, fmt.quote),
        pending: VecDeque::new(),
        path: path.to_path_buf(),
    };
    let mut head = Rows::default();
    while head.len() < HEADER_SEARCH_ROWS && source.next(&mut head)? {
        match head.last() {
            Some(Entry::Bad(line, ..)) => return Err(not_utf8(line)),
            // Usually the header: the width to check records against until the header is known.
            Some(Entry::Row(_, r)) if head.len() == 1 => source.rdr.expect_fields(r.len()),
            _ => {}
        }
    }
    let (mut lines, mut rows): (Vec<u64>, Vec<Vec<String>>) = head
        .iter()
        .filter_map(|e| match e {
            Entry::Row(line, r) => Some((line, r.iter().map(str::to_string).collect())),
            Entry::Bad(..) => None,
        })
        .unzip();
    if rows.is_empty() {
        return Err(RejectReason::Empty.into());
    }
    let (hi, guessed) = pick_header(&rows, dataset);
    let mut headers: Vec<String> = rows[hi]
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let header_line = lines[hi];
    source.rdr.expect_fields(rows[hi].len());
    let title_currency = crate::mapping::title_currency(rows[..hi].iter().flatten().map(String::as_str));
    // A grouped report's first heading may come below more title or page lines than the header
    // search reads: look further when the header lacks what headings would give.
    if may_be_grouped(&headers, dataset.or(guessed)) {
        let mut more = Rows::default();
        while rows.len() < hi + 1 + HEADING_SAMPLE && source.next(&mut more)? {
            match more.last() {
                Some(Entry::Bad(line, ..)) => return Err(not_utf8(line)),
                Some(Entry::Row(line, r)) => {
                    lines.push(line);
                    rows.push(r.iter().map(str::to_string).collect());
                }
                None => {}
            }
            more.clear();
        }
    }
    let labels = heading_labels(
        &headers,
        rows[hi + 1..].iter().map(Vec::as_slice),
        dataset.or(guessed),
    );
    source.pending = lines.into_iter().zip(rows).skip(hi + 1).collect();
    Ok(Opened {
        source: grouped(Box::new(source), &mut headers, labels, Vec::new()),
        headers,
        header_line,
        preamble_rows: hi as u64,
        guessed,
        sheets: Vec::new(),
        returns_lines: Vec::new(),
        title_currency,
        read_as: None,
    })
}

impl RecordSource for DelimitedSource {
    fn next(&mut self, out: &mut Rows) -> Result<bool> {
        if let Some((line, r)) = self.pending.pop_front() {
            out.push_cells(line, &r);
            return Ok(true);
        }
        loop {
            match self
                .rdr
                .next(out)
                .map_err(|e| sniff::classify_read_error(&self.path, e))?
            {
                Step::Record(_) => {
                    // Lines of only delimiters (",,,,") are padding some tools emit, not rows.
                    if let Some(Entry::Row(_, r)) = out.last()
                        && r.iter().all(|c| c.trim().is_empty())
                    {
                        out.pop();
                        continue;
                    }
                    return Ok(true);
                }
                Step::BadUtf8(line) => {
                    out.push_bad(line, "bad_encoding", "row is not valid UTF-8".into());
                    return Ok(true);
                }
                Step::End => return Ok(false),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Excel

struct SheetSource {
    rows: std::vec::IntoIter<(u64, Vec<String>)>,
}

impl RecordSource for SheetSource {
    fn next(&mut self, out: &mut Rows) -> Result<bool> {
        let Some((line, cells)) = self.rows.next() else {
            return Ok(false);
        };
        out.push_cells(line, &cells);
        Ok(true)
    }
}

fn cell_text(d: &calamine::Data) -> String {
    use calamine::Data;
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => format_float(*f),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            // A serial below 1 has no day: it is a time-of-day cell ("Order Time" beside "Order
            // Date"), which as a datetime would fall on Excel's day zero (1899-12-30/31) and be
            // refused as a time.
            Some(t) if dt.is_datetime() && (0.0..1.0).contains(&dt.as_f64()) => {
                t.format("%H:%M:%S").to_string()
            }
            Some(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => format_float(dt.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        // As Excel shows it (`#N/A`, `#DIV/0!`), for the quarantine record a user looks up.
        Data::Error(e) => e.to_string(),
    }
}

fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// Refuse zip bombs before calamine inflates sheets into memory.
fn check_zip(path: &Path, limits: Limits) -> Result<()> {
    let f = File::open(path).map_err(|e| EngineError::io(path, e))?;
    let compressed = f.metadata().map_err(|e| EngineError::io(path, e))?.len();
    // An .xlsx is a zip archive whose directory is at its end: a copy cut short has none.
    let mut zip = zip::ZipArchive::new(BufReader::new(f)).map_err(|e| RejectReason::Malformed {
        format: "xlsx",
        detail: format!("{e} (the workbook is cut short or damaged; upload the whole file again)"),
    })?;
    if zip.index_for_name("xl/workbook.xml").is_none() {
        // LibreOffice's and Numbers' spreadsheets are zip archives too; unzipping one helps no one.
        let what = match zip.index_for_name("content.xml").is_some()
            && zip.index_for_name("mimetype").is_some()
        {
            true => {
                "an OpenDocument spreadsheet (.ods), which is not read: save it as Excel (.xlsx) or CSV (UTF-8) and upload that"
            }
            false => "a zip archive that is not an Excel workbook (unzip it and upload the files inside)",
        };
        return Err(RejectReason::UnsupportedFormat(what.into()).into());
    }
    let (mut total, mut cells) = (0u64, 0u64);
    for i in 0..zip.len() {
        let e = zip.by_index_raw(i).map_err(|e| RejectReason::Malformed {
            format: "xlsx",
            detail: e.to_string(),
        })?;
        total = total.saturating_add(e.size());
        let name = e.name_raw();
        if name.starts_with(b"xl/worksheets/") || name == b"xl/sharedStrings.xml" {
            cells = cells.saturating_add(e.size());
        }
    }
    if cells > limits.max_workbook_bytes {
        return Err(RejectReason::WorkbookTooLarge {
            size: cells,
            limit: limits.max_workbook_bytes,
        }
        .into());
    }
    let limit = compressed
        .saturating_mul(limits.max_ratio)
        .max(64 * 1024 * 1024)
        .min(limits.max_expanded_bytes);
    if total > limit {
        return Err(RejectReason::CompressionBomb { compressed, limit }.into());
    }
    Ok(())
}

fn open_sheet(path: &Path, fmt: &Format, limits: Limits, dataset: Option<Dataset>) -> Result<Opened> {
    use calamine::Reader;
    let malformed = |e: &dyn std::fmt::Display| RejectReason::Malformed {
        format: "Excel",
        detail: e.to_string(),
    };
    let file = || {
        File::open(path)
            .map(BufReader::new)
            .map_err(|e| EngineError::io(path, e))
    };
    let sheets = if fmt.container == Container::Xlsx {
        check_zip(path, limits)?;
        let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(file()?).map_err(|e| malformed(&e))?;
        nonempty_sheets(&mut wb).map_err(|e| malformed(&e))?
    } else {
        let size = std::fs::metadata(path)
            .map_err(|e| EngineError::io(path, e))?
            .len();
        if size > limits.max_workbook_bytes {
            return Err(RejectReason::WorkbookTooLarge {
                size,
                limit: limits.max_workbook_bytes,
            }
            .into());
        }
        let mut wb: calamine::Xls<_> = calamine::Xls::new(file()?).map_err(|e| match encrypted(path) {
            true => RejectReason::UnsupportedFormat(
                "a password-protected workbook, which cannot be read: open it in Excel, remove the password \
                 (File > Info > Protect Workbook > Encrypt with Password, empty) and upload it again"
                    .into(),
            ),
            false => malformed(&e),
        })?;
        nonempty_sheets(&mut wb).map_err(|e| malformed(&e))?
    };
    choose_sheets(sheets, dataset)
}

/// Whether an Excel file in a compound document is an encrypted .xlsx: Excel stores a workbook
/// saved with a password as an `EncryptedPackage` stream, which no reader opens without it.
fn encrypted(path: &Path) -> bool {
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    // Only read when the workbook failed to open, and within the size already checked.
    std::fs::read(path).is_ok_and(|bytes| bytes.windows(name.len()).any(|w| w == name))
}

/// A sheet with data: its name, whether it is visible, and its non-empty rows with their 1-based
/// row numbers in the sheet.
struct SheetRows {
    name: String,
    visible: bool,
    rows: Vec<(u64, Vec<String>)>,
}

fn nonempty_sheets<RS, R>(wb: &mut R) -> std::result::Result<Vec<SheetRows>, R::Error>
where
    RS: Read + std::io::Seek,
    R: calamine::Reader<RS>,
{
    let meta: Vec<(String, bool)> = wb
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == calamine::SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible == calamine::SheetVisible::Visible))
        .collect();
    let mut out = Vec::new();
    for (name, visible) in meta {
        let range = wb.worksheet_range(&name)?;
        let start_row = range.start().map_or(0, |(r, _)| r as u64);
        let rows: Vec<(u64, Vec<String>)> = range
            .rows()
            .enumerate()
            .map(|(i, r)| {
                (
                    start_row + i as u64 + 1,
                    r.iter().map(cell_text).collect::<Vec<_>>(),
                )
            })
            .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
            .collect();
        if !rows.is_empty() {
            out.push(SheetRows { name, visible, rows });
        }
    }
    Ok(out)
}

/// Which sheets of a workbook are the export. Workbooks open with cover or notes sheets, keep
/// scratch data and backups on hidden sheets, and split long exports into a sheet per month. The
/// export is the sheet whose header row is most like the dataset's (visible sheets first, then the
/// first), together with every other visible sheet, before or after it, that has its columns (by header, or by the
/// field a header maps to, in any order); the others are listed in the report as skipped. Rows are numbered across the sheets read: a sheet's `line_offset` plus
/// its own row number.
fn choose_sheets(sheets: Vec<SheetRows>, dataset: Option<Dataset>) -> Result<Opened> {
    if sheets.is_empty() {
        return Err(RejectReason::Empty.into());
    }
    let headers: Vec<(usize, usize, Option<Dataset>)> = sheets
        .iter()
        .map(|s| {
            let head: Vec<Vec<String>> = s
                .rows
                .iter()
                .take(HEADER_SEARCH_ROWS)
                .map(|(_, r)| r.clone())
                .collect();
            let (hi, guessed) = pick_header(&head, dataset);
            let cells: Vec<&str> = head[hi].iter().map(String::as_str).collect();
            (hi, score(&cells, guessed.or(dataset)).0, guessed)
        })
        .collect();
    let primary = (0..sheets.len())
        .max_by_key(|&i| (headers[i].1, sheets[i].visible, std::cmp::Reverse(i)))
        .expect("at least one sheet");
    let header = header_of_rows(&sheets[primary].rows, headers[primary].0);
    // In the export sheet; numbered across the sheets read below, like `source_line`.
    let mut header_line = sheets[primary].rows[headers[primary].0].0;
    let guessed = headers[primary].2;
    let title_currency = crate::mapping::title_currency(
        sheets[primary].rows[..headers[primary].0]
            .iter()
            .flat_map(|(_, cells)| cells.iter().map(String::as_str)),
    );

    let mut report = Vec::new();
    let mut data: Vec<(u64, Vec<String>)> = Vec::new();
    let mut offset = 0u64;
    let mut preamble_rows = 0u64;
    let mut returns_lines = Vec::new();
    let primary_visible = sheets[primary].visible;
    // The fields the headers map to: how a later sheet's columns are found and their units read.
    let fields = |h: &[String]| {
        dataset
            .or(guessed)
            .map(|d| crate::mapping::map_headers(h, d, None))
    };
    let mine = fields(&header);
    for (i, sheet) in sheets.into_iter().enumerate() {
        // Sheets before the export sheet count like those after it: a first sheet whose header
        // has fewer known columns (one month of several, or "Orders" before a "Returns" sheet
        // with an extra column) is still part of the export. Cover and notes sheets lack its
        // columns and are skipped.
        let skipped = match i.cmp(&primary) {
            std::cmp::Ordering::Equal => {
                Ok(((0..header.len()).map(Some).collect(), vec![None; header.len()]))
            }
            // A hidden copy is a backup, not more orders.
            _ if primary_visible && !sheet.visible => Err("hidden"),
            std::cmp::Ordering::Less | std::cmp::Ordering::Greater => {
                let other = header_of_rows(&sheet.rows, headers[i].0);
                let theirs = fields(&other);
                column_order(&header, &other, mine.as_ref(), theirs.as_ref())
                    .ok_or("its header lacks columns of the export sheet")
                    .and_then(|order| {
                        let units = sheet_units(&header, &other, &order, mine.as_ref(), theirs.as_ref())?;
                        Ok((order, units))
                    })
            }
        };
        let (order, units): (Vec<Option<usize>>, Vec<Option<String>>) = match skipped {
            Ok(order) => order,
            Err(why) => {
                report.push(SheetReport {
                    name: sheet.name,
                    line_offset: None,
                    skipped: Some(why),
                    read_as_returns: false,
                });
                continue;
            }
        };
        let last = sheet.rows.last().map_or(0, |(r, _)| *r);
        preamble_rows += headers[i].0 as u64;
        data.extend(sheet.rows.into_iter().skip(headers[i].0 + 1).map(|(row, cells)| {
            let cells = order
                .iter()
                .zip(&units)
                .map(|(c, unit)| {
                    let cell = c.and_then(|c| cells.get(c).cloned()).unwrap_or_default();
                    match unit {
                        Some(u) if !cell.trim().is_empty() => format!("{cell} {u}"),
                        _ => cell,
                    }
                })
                .collect();
            (offset + row, cells)
        }));
        if i == primary {
            header_line += offset;
        }
        // A "Returns" sheet beside the orders lists what went back, often as positive numbers.
        let returns = dataset.or(guessed) == Some(Dataset::Sales) && names_returns(&sheet.name);
        if returns {
            returns_lines.push(offset + 1..=offset + last);
        }
        report.push(SheetReport {
            name: sheet.name,
            line_offset: Some(offset),
            skipped: None,
            read_as_returns: returns,
        });
        offset += last;
    }
    let mut header = header;
    let labels = heading_labels(
        &header,
        data.iter().map(|(_, r)| r.as_slice()),
        dataset.or(guessed),
    );
    Ok(Opened {
        source: grouped(
            Box::new(SheetSource {
                rows: data.into_iter(),
            }),
            &mut header,
            labels,
            // Each sheet read after the first starts its own groups.
            report
                .iter()
                .filter_map(|s| s.line_offset)
                .filter(|&o| o > 0)
                .collect(),
        ),
        headers: header,
        header_line,
        preamble_rows,
        guessed,
        sheets: report,
        returns_lines,
        title_currency,
        read_as: None,
    })
}

/// Where each column of the export sheet is in another sheet: under the same header, else under
/// a header for the same field ("Invoice" for "Order ID", columns in another order). `None`
/// when the other sheet lacks a column the export sheet maps for ids, dates, amounts or
/// consent: it is something else (a summary). A descriptive column it lacks (status, category,
/// place, channel, …: a "Returns" sheet with a "Reason" or "Status" column the "Orders" sheet
/// has not) is left empty on its rows. `mine` and `theirs` are the two headers' fields, when the
/// dataset is known.
fn column_order(
    export: &[String],
    other: &[String],
    mine: Option<&ColumnMapping>,
    theirs: Option<&ColumnMapping>,
) -> Option<Vec<Option<usize>>> {
    export
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if let Some(j) = other.iter().position(|o| o == h) {
                return Some(Some(j));
            }
            match mine.and_then(|m| m.columns[i]) {
                Some(f) => match theirs?.column_of(f) {
                    Some(j) => Some(Some(j)),
                    None if descriptive(f) => Some(None),
                    None => None,
                },
                None if mine.is_some() => Some(None),
                // Without a dataset, only the same header names say the sheets match.
                None => None,
            }
        })
        .collect()
}

/// A field a sheet may lack while the export sheet has it: it describes rows, and no row needs it
/// to be read. A month's sheet without the currency column has its amounts in the currency the
/// file's other sheets name (or none, as a file without one), not no orders.
fn descriptive(f: Field) -> bool {
    matches!(
        f,
        Field::ProductName
            | Field::Currency
            | Field::Gender
            | Field::JobTitle
            | Field::Category
            | Field::Country
            | Field::City
            | Field::Channel
            | Field::Status
            | Field::Page
            | Field::DurationSeconds
    )
}

/// The currency a later sheet's money columns name in their headers, where it differs from the
/// export sheet's ("مبلغ (تومان)" under "مبلغ (ریال)": shops switch mid-year). Each cell of such
/// a column then carries it, as if written beside the number, and a unit in the cell is read
/// before the header's. A sheet whose amounts are scaled differently ("هزار ریال") cannot be
/// read with the export sheet's scale and is skipped, with that reason in the report.
fn sheet_units(
    export: &[String],
    other: &[String],
    order: &[Option<usize>],
    mine: Option<&ColumnMapping>,
    theirs: Option<&ColumnMapping>,
) -> std::result::Result<Vec<Option<String>>, &'static str> {
    let (Some(mine), Some(theirs)) = (mine, theirs) else {
        return Ok(vec![None; export.len()]);
    };
    let scale = |h: &str| crate::mapping::amount_scale_hint(h).unwrap_or(1);
    (0..export.len())
        .map(|i| {
            let money = matches!(
                mine.columns[i],
                Some(crate::schema::Field::UnitPrice | crate::schema::Field::LineAmount)
            );
            let Some(j) = order[i].filter(|_| money) else {
                return Ok(None);
            };
            if scale(&export[i]) != scale(&other[j]) {
                return Err("its amounts are in another multiple (thousands) than the export sheet's");
            }
            let (a, b) = (mine.currency_hints[i], theirs.currency_hints[j]);
            Ok(b.filter(|b| a != Some(*b)).map(str::to_string))
        })
        .collect()
}

fn header_of_rows(rows: &[(u64, Vec<String>)], at: usize) -> Vec<String> {
    rows[at].1.iter().map(|h| h.trim().to_string()).collect()
}

/// How one sheet of a workbook was used, for the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SheetReport {
    pub name: String,
    /// Read: `source_line` minus this is the row number in this sheet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_offset: Option<u64>,
    /// Not read, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<&'static str>,
    /// Named as returns: its positive quantities were read as returns.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_as_returns: bool,
}

// ---------------------------------------------------------------------------------------------
// JSON

type JsonObject = serde_json::Map<String, serde_json::Value>;

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
}

struct JsonLinesSource {
    lines: std::io::Lines<BufReader<Box<dyn Read + Send>>>,
    line_no: u64,
    headers: Vec<String>,
    /// Orders' line items are rows ([`split_lines`]).
    split_items: bool,
    pending: Option<Pending>,
    path: std::path::PathBuf,
}

impl JsonLinesSource {
    fn read_item(&mut self) -> Result<Option<JsonItem>> {
        loop {
            let Some(line) = self.lines.next() else {
                return Ok(None);
            };
            self.line_no += 1;
            let line = match line {
                Ok(l) => l,
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData && e.get_ref().is_none() => {
                    return Ok(Some(JsonItem::Bad(
                        self.line_no,
                        "line is not valid UTF-8".into(),
                    )));
                }
                Err(e) => return Err(sniff::classify_read_error(&self.path, e)),
            };
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            return Ok(Some(match serde_json::from_str::<JsonObject>(t) {
                Ok(o) => JsonItem::Obj(self.line_no, o),
                Err(e) => JsonItem::Bad(self.line_no, e.to_string()),
            }));
        }
    }
}

/// The rows of a record not yet handed out, all under its source line: an order's line items
/// are rows of their own (see [`split_lines`]), so a report's rows read count lines, not orders.
type Pending = (u64, Box<dyn Iterator<Item = SplitRow> + Send>);

/// Rows handed out per call: an order of 150,000 items as one batch was held whole by whoever
/// reads a call's rows (header search, samples, a prefetched chunk).
const ROWS_PER_CALL: usize = 1024;

fn pending(item: JsonItem, lines: bool) -> Pending {
    match item {
        JsonItem::Obj(line, o) => (line, split_lines(o, lines)),
        JsonItem::Bad(line, detail) => (line, Box::new(std::iter::once(Err(("bad_json", detail))))),
    }
}

/// Hands out the next rows of the record being read; `None` once it has no more.
fn emit(pending: &mut Option<Pending>, out: &mut Rows, headers: &[String]) {
    let Some((line, rows)) = pending.as_mut() else {
        return;
    };
    for _ in 0..ROWS_PER_CALL {
        match rows.next() {
            Some(Ok(o)) => push_object(out, *line, headers, &o),
            Some(Err((reason, detail))) => out.push_bad(*line, reason, detail),
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

/// A record's row, or why a part of it is quarantined (reason, detail).
type SplitRow = std::result::Result<JsonObject, (&'static str, String)>;

/// A record as the rows it holds. An order with line items (Shopify's and WooCommerce's REST
/// exports) is one row per item, read only when `lines` (sales): each carries the order's fields
/// but its totals, which are no line's, overlaid with the item's own, which win where both name
/// the same field. Without items (none, or an empty list) the order is one row as it stands.
/// Only this one order is held, as the readers hold it anyway.
fn split_lines(mut obj: JsonObject, lines: bool) -> Box<dyn Iterator<Item = SplitRow> + Send> {
    let mut keys: Vec<String> = if lines {
        line_arrays(&obj).into_iter().map(str::to_string).collect()
    } else {
        Vec::new()
    };
    if keys.is_empty() {
        return Box::new(std::iter::once(Ok(obj)));
    }
    let key = keys.remove(0);
    let Some(serde_json::Value::Array(items)) = obj.remove(&key) else {
        return Box::new(std::iter::once(Ok(obj)));
    };
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
    // order id in sales, but an order's is. Given as the number, the column its siblings use.
    if !obj.keys().any(|k| sales_field(k) == Some(Field::OrderId))
        && let Some(id) = obj.get("id").cloned()
    {
        obj.insert("number".into(), id);
    }
    // Rows are made one at a time as they are handed out, not all of an order's at once: each
    // is a copy of the order, and 150,000 of them were held together.
    let rows = items.into_iter().enumerate().map(move |(i, item)| match item {
        serde_json::Value::Object(mut item) => {
            allocated_discount(&mut item);
            let mut row = obj.clone();
            for (k, v) in item {
                // An item's own order id (BigCommerce's products repeat it) is its order's at
                // best: over the order's it would become the file's order id column, and
                // orders whose items lack it would have none.
                if ITEM_OWN.contains(&normalize_header(&k).as_str())
                    || sales_field(&k) == Some(Field::OrderId)
                {
                    row.insert(format!("item.{k}"), v);
                } else {
                    row.insert(k, v);
                }
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
    Box::new(rows.chain(skipped))
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

impl RecordSource for JsonLinesSource {
    fn next(&mut self, out: &mut Rows) -> Result<bool> {
        if self.pending.is_none() {
            let Some(item) = self.read_item()? else {
                return Ok(false);
            };
            self.pending = Some(pending(item, self.split_items));
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

impl JsonLinesSource {
    fn open(path: &Path, fmt: &Format, limits: Limits) -> Result<Self> {
        Ok(JsonLinesSource {
            lines: BufReader::with_capacity(1 << 20, decoded_reader(path, fmt, limits)?).lines(),
            line_no: 0,
            headers: Vec::new(),
            split_items: false,
            pending: None,
            path: path.to_path_buf(),
        })
    }
}

/// The columns of a JSON file, from every object in it: exports leave out a key where its value
/// is null, so a field first seen in row 5,000 (an email only registered customers have) would be
/// lost for the whole file by a sample. A first pass reads the keys; objects are not kept.
fn scan_keys(lines: bool, mut next: impl FnMut() -> Result<Option<JsonItem>>) -> Result<KeyUnion> {
    let mut keys = KeyUnion::default();
    while let Some(item) = next()? {
        if let JsonItem::Obj(_, o) = item {
            for row in split_lines(o, lines).flatten() {
                keys.add(&row);
            }
        }
    }
    Ok(keys)
}

/// Whether orders' line items are rows: in sales, or where the dataset is to be guessed.
fn reads_lines(dataset: Option<Dataset>) -> bool {
    dataset.is_none_or(|d| d == Dataset::Sales)
}

fn open_json_lines(path: &Path, fmt: &Format, limits: Limits, dataset: Option<Dataset>) -> Result<Opened> {
    if let ObjectFile::Wrapped(within) = object_file(path, fmt, limits, dataset)? {
        return open_json_array(path, fmt, limits, dataset, &within);
    }
    let lines = reads_lines(dataset);
    let mut scan = JsonLinesSource::open(path, fmt, limits)?;
    let (headers, guessed) = json_headers(scan_keys(lines, || scan.read_item())?, dataset)?;
    let mut src = JsonLinesSource::open(path, fmt, limits)?;
    src.headers = headers.clone();
    src.split_items = lines;
    Ok(Opened {
        source: Box::new(src),
        headers,
        header_line: 0,
        preamble_rows: 0,
        guessed,
        sheets: Vec::new(),
        returns_lines: Vec::new(),
        title_currency: None,
        read_as: None,
    })
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
        let mut reader = BufReader::with_capacity(1 << 20, decoded_reader(path, fmt, limits)?);
        let start = reader
            .fill_buf()
            .map_err(|e| sniff::classify_read_error(path, e))?;
        if start.starts_with(&[0xEF, 0xBB, 0xBF]) {
            reader.consume(3);
        }
        Ok(Scanner {
            reader,
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
    /// ends inside it.
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
            if let Some(k) = keep.as_deref_mut() {
                k.extend_from_slice(&buf[..used]);
                if k.len() > MAX_JSON_ELEMENT_BYTES {
                    // An unbalanced bracket would otherwise take the rest of the file as one value.
                    return Err(malformed_json(format!(
                        "{} is larger than {MAX_JSON_ELEMENT_BYTES} bytes (an unclosed bracket or string?)",
                        what()
                    )));
                }
            }
            self.reader.consume(used);
            if done {
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
                "meta" | "links" | "pagination" | "paging" | "metadata"
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
        return Err(RejectReason::NoRecords(format!("its {list} list is empty")).into());
    }
    match path {
        Some(p) if !(a_record && p.len() == 1 && LINE_ARRAYS.contains(&normalize_header(&p[0]).as_str())) => {
            return Ok(ObjectFile::Wrapped(p));
        }
        _ if !pretty && a_record => return Ok(ObjectFile::Lines),
        _ => {}
    }
    let listed = |kind: Option<MemberKind>| {
        let keys: Vec<&str> = members
            .iter()
            .filter(|m| kind.is_none_or(|k| m.kind == k))
            .map(|m| m.key.as_str())
            .collect();
        let more = if keys.len() > 8 { ", …" } else { "" };
        format!("{}{more}", keys[..keys.len().min(8)].join(", "))
    };
    let arrays = members.iter().filter(|m| m.kind == MemberKind::Records).count();
    Err(RejectReason::UnsupportedFormat(if a_record {
        format!(
            "one JSON object printed over several lines, not a list of records (keys: {}); export the records as a JSON array or JSON Lines",
            listed(None)
        )
    } else if arrays > 1 {
        format!(
            "a JSON object holding several lists of records ({}), and which one to read is not clear; upload one of them as a JSON array",
            listed(Some(MemberKind::Records))
        )
    } else if members.is_empty() {
        "an empty JSON object, not a list of records".into()
    } else {
        format!(
            "a JSON object, not a list of records (its keys: {}); upload an export of orders, customers or events as CSV, Excel, a JSON array or JSON Lines",
            listed(None)
        )
    })
    .into())
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
    headers: Vec<String>,
    /// Orders' line items are rows ([`split_lines`]).
    split_items: bool,
    pending: Option<Pending>,
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
                Ok(Some(
                    match serde_json::from_slice::<serde_json::Value>(&self.raw) {
                        Ok(serde_json::Value::Object(o)) => JsonItem::Obj(line, o),
                        Ok(other) => JsonItem::Bad(
                            line,
                            format!("array element is not an object: {}", kind_of(&other)),
                        ),
                        Err(e) => JsonItem::Bad(line, e.to_string()),
                    },
                ))
            }
        }
    }
}

impl RecordSource for JsonArraySource {
    fn next(&mut self, out: &mut Rows) -> Result<bool> {
        if self.pending.is_none() {
            let Some(item) = self.read_item()? else {
                return Ok(false);
            };
            self.pending = Some(pending(item, self.split_items));
        }
        emit(&mut self.pending, out, &self.headers);
        Ok(true)
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
            headers: Vec::new(),
            split_items: false,
            pending: None,
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

fn open_json_array(
    path: &Path,
    fmt: &Format,
    limits: Limits,
    dataset: Option<Dataset>,
    within: &[String],
) -> Result<Opened> {
    let lines = reads_lines(dataset);
    let mut scan = JsonArraySource::open(path, fmt, limits, within)?;
    let keys = scan_keys(lines, || scan.read_item())?;
    if scan.index == 0 {
        return Err(RejectReason::NoRecords(if within.is_empty() {
            "the JSON array is empty".into()
        } else {
            format!("its {} list is empty", within.join("."))
        })
        .into());
    }
    let (headers, guessed) = json_headers(keys, dataset)?;
    let mut src = JsonArraySource::open(path, fmt, limits, within)?;
    src.headers = headers.clone();
    src.split_items = lines;
    Ok(Opened {
        source: Box::new(src),
        headers,
        header_line: 0,
        preamble_rows: 0,
        guessed,
        sheets: Vec::new(),
        returns_lines: Vec::new(),
        title_currency: None,
        read_as: (fmt.container != Container::JsonArray).then_some(Container::JsonArray),
    })
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
    use super::*;
    use std::io::Write;

    fn xlsx_with_entry(dir: &Path, name: &str, entry_bytes: usize) -> std::path::PathBuf {
        let path = dir.join(name);
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        let opts =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/workbook.xml", opts).unwrap();
        zip.write_all(b"<workbook/>").unwrap();
        zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..entry_bytes / chunk.len() {
            zip.write_all(&chunk).unwrap();
        }
        zip.finish().unwrap();
        path
    }

    /// An order of many items is handed out a slice at a time, as any other file's rows are:
    /// whoever reads a call's rows (header search, samples, a chunk) holds them all.
    #[test]
    fn an_order_of_many_items_is_read_a_slice_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let items: Vec<String> = (0..5000)
            .map(|i| format!(r#"{{"sku": "S{i}", "quantity": 1, "price": "1.00"}}"#))
            .collect();
        let text = format!(
            r#"[{{"number": "BIG", "date_created": "2024-03-01T10:00:00Z", "line_items": [{}]}}]"#,
            items.join(",")
        );
        let path = dir.path().join("big_order.json");
        std::fs::write(&path, text).unwrap();
        let limits = Limits::default();
        let fmt = sniff::sniff(&path, "big_order.json", limits).unwrap();
        let mut opened = open(&path, &fmt, limits, Some(Dataset::Sales)).unwrap();
        let mut rows = Rows::default();
        let mut calls = 0;
        let mut total = 0;
        while opened.source.next(&mut rows).unwrap() {
            calls += 1;
            assert!(rows.len() <= 1024, "{} rows in one call", rows.len());
            total += rows.len();
            rows.clear();
        }
        assert_eq!(total, 5000);
        assert!(calls >= 5, "{calls}");
    }

    #[test]
    fn workbooks_too_large_to_read_in_memory_are_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let book = xlsx_with_entry(dir.path(), "big.xlsx", 3 << 20);
        let limits = Limits {
            max_workbook_bytes: 2 << 20,
            ..Limits::default()
        };
        let fmt = sniff::sniff(&book, "big.xlsx", limits).unwrap();
        match open(&book, &fmt, limits, None) {
            Err(EngineError::Rejected(r)) => {
                assert_eq!(r.code(), "too_large");
                assert!(r.to_string().contains("save it as CSV"), "{r}");
            }
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("opened"),
        }
        assert_eq!(Limits::workbook_bytes_for_memory(1024), 1024 * 1024 * 1024 / 3);
    }

    #[test]
    fn zip_bombs_are_refused_before_inflating() {
        let dir = tempfile::tempdir().unwrap();
        // A small ceiling keeps the test fast; the production floor is 64 MiB.
        let limits = Limits {
            max_expanded_bytes: 2 << 20,
            ..Limits::default()
        };
        let bomb = xlsx_with_entry(dir.path(), "bomb.xlsx", 4 << 20);
        let fmt = sniff::sniff(&bomb, "bomb.xlsx", limits).unwrap();
        match open(&bomb, &fmt, limits, None) {
            Err(EngineError::Rejected(r)) => assert_eq!(r.code(), "compression_bomb"),
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("a zip bomb was opened"),
        }
    }

    /// .xlsx and .xls cells alike: a time-of-day cell (a serial below 1, in either date system)
    /// is its time; a date with a time stays a date-time.
    #[test]
    fn an_excel_time_of_day_cell_is_a_time() {
        use calamine::{Data, ExcelDateTime, ExcelDateTimeType::DateTime};
        let cell =
            |v: f64, is_1904: bool| cell_text(&Data::DateTime(ExcelDateTime::new(v, DateTime, is_1904)));
        assert_eq!(cell(0.979_166_666_666_666_6, false), "23:30:00");
        assert_eq!(cell(0.979_166_666_666_666_6, true), "23:30:00");
        assert_eq!(cell(0.0, false), "00:00:00");
        assert_eq!(cell(45_372.979_166_667, false), "2024-03-21T23:30:00");
        assert_eq!(cell(45_372.0, false), "2024-03-21T00:00:00");
        assert_eq!(cell_text(&Data::Error(calamine::CellErrorType::Div0)), "#DIV/0!");
        assert_eq!(cell_text(&Data::Error(calamine::CellErrorType::NA)), "#N/A");
    }

    #[test]
    fn a_plain_zip_archive_is_not_taken_for_a_workbook() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exports.zip");
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        zip.start_file("orders.csv", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"a,b\n1,2\n").unwrap();
        zip.finish().unwrap();
        let fmt = sniff::sniff(&path, "exports.zip", Limits::default()).unwrap();
        match open(&path, &fmt, Limits::default(), None) {
            Err(EngineError::Rejected(r)) => assert_eq!(r.code(), "unsupported_format", "{r}"),
            _ => panic!("expected a rejection"),
        }
    }

    /// A workbook saved with a password (`fixtures/broken/password.xlsx`, encrypted as Excel
    /// does) and a LibreOffice spreadsheet (`sheet.ods`) are refused saying what they are and
    /// what to do, not with a reader's error or advice to unzip them.
    #[test]
    fn a_password_protected_workbook_and_an_ods_file_are_named_as_such() {
        let broken = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/broken");
        for (name, says) in [
            ("password.xlsx", "a password-protected workbook"),
            ("sheet.ods", "an OpenDocument spreadsheet (.ods)"),
        ] {
            let path = broken.join(name);
            let fmt = sniff::sniff(&path, name, Limits::default()).unwrap();
            match open(&path, &fmt, Limits::default(), None) {
                Err(EngineError::Rejected(r)) => {
                    assert_eq!(r.code(), "unsupported_format", "{name}: {r}");
                    assert!(r.to_string().starts_with(says), "{name}: {r}");
                }
                _ => panic!("{name}: expected a rejection"),
            }
        }
    }
}
