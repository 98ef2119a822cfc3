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
use super::delimited::{DelimitedReader, KEEP_CELL_BYTES, MAX_RECORD_BYTES, Step};
use super::grouped::{GroupedSource, HEADING_SAMPLE, heading_labels, may_be_grouped};
use super::reject::RejectReason;
use super::rows::{Entry, Rows};
use super::sniff::{self, Container, Format, Limits, TextEncoding};
use crate::error::{EngineError, Result};
use crate::mapping::{ColumnMapping, header_score, normalize_header};
use crate::schema::{Dataset, Field};

mod json;
mod xls;
use json::{open_json_array, open_json_lines};

/// How far down the header row is searched for (exports often put a title or blank lines on top).
const HEADER_SEARCH_ROWS: usize = 10;
/// The largest element of a JSON array read (16 MiB). Parsing one costs ~16× its size at the
/// peak (an order of 540 k line items, 66 MB: 1,064 MB), so a larger one is refused
/// ([`RejectReason::JsonElementTooLarge`]) instead of ending the function out of memory.
pub const MAX_JSON_ELEMENT_BYTES: usize = 16 * 1024 * 1024;

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
    /// JSON: some record is an order read by its line items or listing nested refunds. Such a
    /// file says by its records what was bought and what went back, so its name does not make
    /// it a returns list: negating its items as well would count each refund twice.
    pub itemised_orders: bool,
}

/// Opens `path` as described by `fmt` and positions it after the header row.
pub fn open(path: &Path, fmt: &Format, limits: Limits, dataset: Option<Dataset>) -> Result<Opened> {
    open_as(path, fmt, limits, dataset, &mut None)
}

/// [`open`], setting `read_as` where the file is found to be another container than the sniffed
/// one: an object wrapping a JSON array (sniffed as JSON Lines), an OpenDocument spreadsheet
/// whose type is not its archive's first entry (sniffed as a workbook). Set before the file is
/// refused too, so that its report names what it is.
pub fn open_as(
    path: &Path,
    fmt: &Format,
    limits: Limits,
    dataset: Option<Dataset>,
    read_as: &mut Option<Container>,
) -> Result<Opened> {
    match fmt.container {
        Container::Delimited => open_delimited(path, fmt, limits, dataset),
        Container::Xlsx | Container::Xls => {
            contained(|| open_sheet(path, fmt, limits, dataset, read_as, None))
        }
        Container::Ods => Err(RejectReason::UnsupportedFormat(sniff::OPEN_DOCUMENT.into()).into()),
        Container::JsonLines => open_json_lines(path, fmt, limits, dataset, read_as),
        Container::JsonArray => open_json_array(path, fmt, limits, dataset, &[]),
    }
}

/// The dataset the header of the file at `path` looks most like ([`Opened::guessed`]), read as
/// little as that takes: a workbook's sheets only as far as their header search, not whole (the
/// CLI guessed a loose workbook's dataset by reading it all, then read it again to ingest it).
pub fn guess(path: &Path, fmt: &Format, limits: Limits) -> Option<Dataset> {
    match fmt.container {
        Container::Xlsx | Container::Xls => {
            contained(|| open_sheet(path, fmt, limits, None, &mut None, Some(HEADER_SEARCH_ROWS)))
                .ok()?
                .guessed
        }
        _ => open(path, fmt, limits, None).ok()?.guessed,
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

/// The reason and detail of a row read that is not text.
type BadRow = (&'static str, String);

struct DelimitedSource {
    rdr: DelimitedReader<Box<dyn Read + Send>>,
    /// Rows read while looking for the header that come after it, with the reason and detail of
    /// those that are not text (shown lossily).
    pending: VecDeque<(u64, Vec<String>, Option<BadRow>)>,
    path: std::path::PathBuf,
}

fn decoded_reader(path: &Path, fmt: &Format, limits: Limits) -> Result<Box<dyn Read + Send>> {
    let plain = matches!(fmt.encoding, TextEncoding::Utf8 | TextEncoding::Utf8Bom);
    // A UTF-16 byte order mark before text that is not UTF-16 is skipped: it is no text, and
    // the decoder would take it for the file's encoding.
    let skip = if fmt.ignored_bom.is_some() { 2 } else { 0 };
    if plain && fmt.compression == sniff::Compression::None {
        // The readers ask for a megabyte at a time themselves: a buffer in between would copy
        // every byte of the file once more.
        let mut file = File::open(path).map_err(|e| EngineError::io(path, e))?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(skip))
            .map_err(|e| EngineError::io(path, e))?;
        return Ok(Box::new(file));
    }
    let mut raw = sniff::open_decompressed(path, fmt.compression, limits)?;
    std::io::copy(&mut raw.by_ref().take(skip), &mut std::io::sink())
        .map_err(|e| sniff::classify_read_error(path, e))?;
    Ok(match fmt.encoding {
        // The reader drops a UTF-8 BOM itself; plain UTF-8 goes straight through without transcoding.
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => raw,
        TextEncoding::Ibm850 => Box::new(sniff::Cp850Reader::new(raw)),
        enc => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(enc.encoding()))
                .bom_override(true)
                .build(raw),
        ),
    })
}

/// Why a file none of whose first lines is a row (each `bad` with its reason) is not read,
/// from the first: not text, or too long or too wide to be a row. `ended_at` is the line the
/// reader stopped at, when the file ended before the header search did: still line 1, the file
/// has no line break at all (a 1.1 GB file of one line was called "not valid UTF-8"). `why` is the
/// reader's detail of the first line.
fn unreadable(line: u64, reason: &str, why: &str, ended_at: Option<u64>) -> EngineError {
    let detail = match reason {
        "row_too_large" if ended_at == Some(1) => format!(
            "it has no line break, and its one line holds more than the {MAX_RECORD_BYTES} bytes (8 MiB) of text a row may hold"
        ),
        "row_too_large" => format!(
            "line {line} is too long: it holds more than the {MAX_RECORD_BYTES} bytes (8 MiB) of text a row may hold"
        ),
        // The reader's count and limit ("the row has 16385 fields, more than the 16384 …"),
        // without what a quarantined row keeps.
        "too_many_fields" => format!(
            "line {line} has too many columns to be the header or a row: {}",
            why.split_once(": ")
                .map_or(why, |(count, _)| count)
                .replacen("the row has", "it has", 1)
        ),
        _ => format!("line {line} is not valid UTF-8"),
    };
    RejectReason::Malformed {
        format: "text",
        detail,
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
    let mut ended_at = None;
    while head.len() < HEADER_SEARCH_ROWS {
        if !source.next(&mut head)? {
            ended_at = Some(source.rdr.line());
            break;
        }
        // Usually the header: the width to check records against until the header is known.
        if let Some(Entry::Row(_, r)) = head.last()
            && head.len() == 1
        {
            source.rdr.expect_fields(r.len());
        }
    }
    // A row that is not text (a Persian name cut inside a character) is neither header nor
    // heading: it is searched as an empty row, and quarantined in its place with its cells.
    let mut bad: Vec<Option<(&'static str, String, Vec<String>)>> = Vec::new();
    let (mut lines, mut rows): (Vec<u64>, Vec<Vec<String>>) = head
        .iter()
        .map(|e| match e {
            Entry::Row(line, r) => {
                bad.push(None);
                (line, r.iter().map(str::to_string).collect())
            }
            Entry::Bad(line, reason, detail, record) => {
                let cells = record.map_or_else(Vec::new, |r| r.iter().map(str::to_string).collect());
                bad.push(Some((reason, detail.to_string(), cells)));
                (line, Vec::new())
            }
        })
        .unzip();
    let Some(first_good) = bad.iter().position(Option::is_none) else {
        return Err(match (lines.first(), bad.first()) {
            (Some(&line), Some(Some((reason, why, _)))) => unreadable(line, reason, why, ended_at),
            _ => RejectReason::Empty.into(),
        });
    };
    // DATEV's export format (its `EXTF` or `DTVF` first line: a Buchungsstapel, the bookings an
    // accountant imports) holds account bookings, not orders or people: read as sales, its
    // `Umsatz` became amounts and its `DDMM` dates bad rows.
    if rows
        .first()
        .and_then(|r| r.first())
        .is_some_and(|c| matches!(c.trim().trim_start_matches('\u{feff}'), "EXTF" | "DTVF"))
    {
        return Err(RejectReason::UnsupportedFormat(
            "a DATEV export (its first line says EXTF): account bookings for an accountant, not the shop's orders or \
             customers; export the orders from the shop or ERP instead"
                .into(),
        )
        .into());
    }
    let (mut hi, guessed) = pick_header(&rows, dataset);
    if bad[hi].is_some() {
        hi = first_good;
    }
    let mut headers: Vec<String> = rows[hi]
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    if hi > 0 && lines[hi - 1] + 1 == lines[hi] && bad[hi - 1].is_none() {
        headers = group_header(&rows[hi - 1], headers, dataset.or(guessed));
    }
    let header_line = lines[hi];
    source.rdr.expect_fields(rows[hi].len());
    let title_currency = crate::mapping::title_currency(rows[..hi].iter().flatten().map(String::as_str));
    // A grouped report's first heading may come below more title or page lines than the header
    // search reads: look further when the header lacks what headings would give.
    if may_be_grouped(&headers, dataset.or(guessed)) {
        let mut more = Rows::default();
        while rows.len() < hi + 1 + HEADING_SAMPLE && source.next(&mut more)? {
            match more.last() {
                Some(Entry::Bad(line, reason, detail, record)) => {
                    let cells = record.map_or_else(Vec::new, |r| r.iter().map(str::to_string).collect());
                    bad.push(Some((reason, detail.to_string(), cells)));
                    lines.push(line);
                    rows.push(Vec::new());
                }
                Some(Entry::Row(line, r)) => {
                    bad.push(None);
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
    source.pending = lines
        .into_iter()
        .zip(rows)
        .zip(bad)
        .skip(hi + 1)
        .map(|((line, row), bad)| match bad {
            Some((reason, detail, cells)) => (line, cells, Some((reason, detail))),
            None => (line, row, None),
        })
        .collect();
    Ok(Opened {
        source: grouped(Box::new(source), &mut headers, labels, Vec::new()),
        headers,
        header_line,
        preamble_rows: hi as u64,
        guessed,
        sheets: Vec::new(),
        returns_lines: Vec::new(),
        title_currency,
        itemised_orders: false,
    })
}

impl RecordSource for DelimitedSource {
    fn next(&mut self, out: &mut Rows) -> Result<bool> {
        if let Some((line, r, bad)) = self.pending.pop_front() {
            match bad {
                Some((reason, detail)) => out.push_bad_cells(line, reason, detail, &r),
                None => out.push_cells(line, &r),
            }
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
                // Appended as a bad row, with its cells (decoded lossily, or cut).
                Step::BadUtf8(_) | Step::TooLarge(_) => return Ok(true),
                Step::End => return Ok(false),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Excel

struct SheetSource {
    rows: std::vec::IntoIter<(u64, Vec<String>)>,
    /// The rows among `rows` that are quarantined whatever they hold, by line, in order.
    bad: std::iter::Peekable<std::vec::IntoIter<BadLine>>,
}

/// A workbook row quarantined as it is read: its line, reason and detail.
type BadLine = (u64, &'static str, String);

impl RecordSource for SheetSource {
    fn next(&mut self, out: &mut Rows) -> Result<bool> {
        let Some((line, cells)) = self.rows.next() else {
            return Ok(false);
        };
        while self.bad.next_if(|b| b.0 < line).is_some() {}
        match self.bad.next_if(|b| b.0 == line) {
            Some((_, reason, detail)) => out.push_bad_cells(line, reason, detail, &cells),
            None => out.push_cells(line, &cells),
        }
        Ok(true)
    }
}

/// `text` cut to at most [`KEEP_CELL_BYTES`], at a character boundary.
fn cut_cell(text: &str) -> &str {
    &text[..text.floor_char_boundary(KEEP_CELL_BYTES)]
}

fn cell_text(d: &calamine::Data) -> String {
    use calamine::Data;
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => format_float(*f),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        // Elapsed time (`[h]:mm:ss`, `[mm]:ss`): hours past a day's 24, as Excel shows it.
        Data::DateTime(dt) if dt.is_duration() => {
            let ms = (dt.as_f64() * 86_400_000.0).round() as i64;
            let (s, ms) = (ms.div_euclid(1000), ms.rem_euclid(1000));
            let clock = format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
            match ms {
                0 => clock,
                ms => format!("{clock}.{ms:03}"),
            }
        }
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

/// The most cells the rows read from a workbook may hold, each row as wide as its sheet: twice
/// the workbook limit at the 24 bytes an empty cell's text takes. Sheet XML takes at least 15
/// bytes a cell (`<c><v>1</v></c>`), so a workbook within the limit whose rows are filled stays
/// below this; only sheets that are mostly gaps reach it, and those cost calamine's grid 32 bytes
/// a cell more (every row, not only those with data) and ended the process for want of memory.
fn max_grid_cells(limits: Limits) -> u64 {
    limits.max_workbook_bytes.saturating_mul(2) / std::mem::size_of::<String>() as u64
}

/// The most bytes of cell text read from a workbook: the workbook limit. Only shared strings
/// make the text larger than the XML it comes from, and reading it peaks at about three times
/// the text (calamine's copy, ours, and the rows built from them): 488 MiB of text written out
/// of one shared string peaked at 1,483 MB, past the 1,024 MB function whose limit (256 MiB)
/// had allowed twice as much.
fn max_text_bytes(limits: Limits) -> u64 {
    limits.max_workbook_bytes
}

/// What calamine holds per element of the styles part (a format, a font, an `xf` record): 225 MB
/// of `<xf/>`, 45 million records, peaked at 6.7 GB, about 150 bytes each.
const STYLE_ELEMENT_BYTES: u64 = 128;
/// What it holds per shared string beyond the text: a `String` and its allocation (225 MB of
/// `<si/>`, 45 million empty strings, peaked at 1.06 GB).
const SHARED_STRING_BYTES: u64 = 24;

/// Elements in a part read as it inflates: every element (`local` None), or those whose local
/// name is `local` (`si`), with or without a namespace prefix (`<x:si/>`, as some writers give
/// every element).
fn count_elements(part: &mut impl Read, local: Option<&[u8]>) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 1 << 16];
    let mut carry: Vec<u8> = Vec::new();
    let mut n = 0u64;
    loop {
        let got = part.read(&mut buf)?;
        let at_end = got == 0;
        carry.extend_from_slice(&buf[..got]);
        let mut i = 0;
        while let Some(at) = carry[i..].iter().position(|&b| b == b'<') {
            let open = i + at;
            // The element's name runs to a space, `>` or `/`; a name cut off by the chunk's end
            // is read with the next chunk.
            let name_end = carry[open + 1..]
                .iter()
                .position(|b| matches!(b, b' ' | b'>' | b'/' | b'\t' | b'\r' | b'\n'))
                .map(|p| open + 1 + p);
            let Some(name_end) = name_end.or(at_end.then_some(carry.len())) else {
                break;
            };
            let name = &carry[open + 1..name_end];
            let start_tag = name.first().is_some_and(|b| !matches!(b, b'/' | b'?' | b'!'));
            let local_name = name.rsplit(|&b| b == b':').next().unwrap_or(name);
            if start_tag && local.is_none_or(|l| local_name == l) {
                n += 1;
            }
            i = name_end;
        }
        if at_end {
            return Ok(n);
        }
        // Keep an element whose name is not complete yet.
        let keep = carry
            .iter()
            .rposition(|&b| b == b'<')
            .filter(|&p| p >= i)
            .unwrap_or(carry.len());
        carry.drain(..keep);
    }
}

/// Refuse zip bombs before calamine inflates sheets into memory.
fn check_zip(path: &Path, limits: Limits, read_as: &mut Option<Container>) -> Result<()> {
    let f = File::open(path).map_err(|e| EngineError::io(path, e))?;
    let compressed = f.metadata().map_err(|e| EngineError::io(path, e))?.len();
    // An .xlsx is a zip archive whose directory is at its end: a copy cut short has none.
    let mut zip = zip::ZipArchive::new(BufReader::new(f)).map_err(|e| RejectReason::Malformed {
        format: "xlsx",
        detail: format!("{e} (the workbook is cut short or damaged; upload the whole file again)"),
    })?;
    if zip.index_for_name("xl/workbook.xml").is_none() {
        // LibreOffice's and Numbers' spreadsheets are zip archives too; unzipping one helps no one.
        let what =
            match zip.index_for_name("content.xml").is_some() && zip.index_for_name("mimetype").is_some() {
                true => {
                    *read_as = Some(Container::Ods);
                    sniff::OPEN_DOCUMENT
                }
                false => "a zip archive that is not an Excel workbook (unzip it and upload the files inside)",
            };
        return Err(RejectReason::UnsupportedFormat(what.into()).into());
    }
    // Every part counts, as the zip declares it uncompressed, not only the sheets and shared
    // strings: calamine also parses the styles (78 MB of upload holding 2.1 GB of number formats
    // peaked at 8.8 GB), the workbook and its relationships, and finds parts by relationship and
    // by name in any case (`XL/SharedStrings.xml`), so a part's name does not say it is unread.
    let mut total = 0u64;
    let mut parsed_whole = Vec::new();
    for i in 0..zip.len() {
        let e = zip.by_index_raw(i).map_err(|e| RejectReason::Malformed {
            format: "xlsx",
            detail: e.to_string(),
        })?;
        total = total.saturating_add(e.size());
        let name = e.name().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
        if name.ends_with("styles.xml") || name.ends_with("sharedstrings.xml") {
            parsed_whole.push((i, name.ends_with("styles.xml")));
        }
    }
    // Calamine holds the styles and the shared strings whole, at more than their XML's size
    // for small entries: 225 MB of `<xf/>` took 6.7 GB, of `<si/>` 1.06 GB. Their entries are
    // counted (only when the parts fit at all) and what they take added.
    if total <= limits.max_workbook_bytes {
        for (i, styles) in parsed_whole {
            let mut part = zip.by_index(i).map_err(|e| RejectReason::Malformed {
                format: "xlsx",
                detail: e.to_string(),
            })?;
            let (local, cost): (Option<&[u8]>, u64) = match styles {
                true => (None, STYLE_ELEMENT_BYTES),
                false => (Some(b"si"), SHARED_STRING_BYTES),
            };
            // A part that cannot be inflated (a bad checksum) is the file's fault, as calamine's
            // own errors on it are.
            let n = count_elements(&mut part, local).map_err(|e| RejectReason::Malformed {
                format: "xlsx",
                detail: format!(
                    "{e} (the workbook is damaged; save it again from Excel, or as CSV, and upload that)"
                ),
            })?;
            total = total.saturating_add(n.saturating_mul(cost));
        }
    }
    if total > limits.max_workbook_bytes {
        return Err(RejectReason::WorkbookTooLarge {
            size: total,
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

fn open_sheet(
    path: &Path,
    fmt: &Format,
    limits: Limits,
    dataset: Option<Dataset>,
    read_as: &mut Option<Container>,
    first_rows: Option<usize>,
) -> Result<Opened> {
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
        check_zip(path, limits, read_as)?;
        let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(file()?).map_err(|e| malformed(&e))?;
        let is_1904 = wb.has_1904_epoch();
        // The workbook's formats are looked at first: reading each cell's is a second pass over
        // the sheet (a third of a large sheet's ingest), and most workbooks have none that says
        // anything.
        let styles = |wb: &mut calamine::Xlsx<_>, name: &str, wanted: &dyn Fn(&str) -> bool| {
            let used = wb
                .worksheet_cells_reader(name)
                .ok()?
                .styles()
                .iter()
                .any(|s| s.number_format.as_ref().is_some_and(|n| wanted(&n.format_code)));
            used.then(|| wb.worksheet_style(name).ok()).flatten()
        };
        let read = |wb: &mut calamine::Xlsx<_>, name: &str| xlsx_cells(wb, name, limits, first_rows);
        workbook_sheets(&mut wb, is_1904, dataset, limits, first_rows, read, styles)?
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
        xls::check(
            &std::fs::read(path).map_err(|e| EngineError::io(path, e))?,
            limits,
        )?;
        let mut wb: calamine::Xls<_> = calamine::Xls::new(file()?).map_err(|e| match encrypted(path) {
            true => RejectReason::UnsupportedFormat(
                "a password-protected workbook, which cannot be read: open it in Excel, remove the password \
                 (File > Info > Protect Workbook > Encrypt with Password, empty) and upload it again"
                    .into(),
            ),
            false => malformed(&e),
        })?;
        let is_1904 = wb.has_1904_epoch();
        let read = |wb: &mut calamine::Xls<_>, name: &str| {
            wb.worksheet_range(name)
                .map(|r| SheetCells::from_range(&r))
                .map_err(|e| malformed(&e).into())
        };
        // Calamine gives no cell formats of an .xls: no percent or currency is read from them.
        workbook_sheets(&mut wb, is_1904, dataset, limits, first_rows, read, |_, _, _| {
            None
        })?
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

/// The cells of a sheet that hold something, row by row. Unlike calamine's `Range` (every cell
/// between the first and the last used one), rows and cells with nothing in them take no memory:
/// a lone value at `XFD1048576` is one cell here, not 17 billion (549 GB as a `Range`).
#[derive(Default)]
struct SheetCells {
    /// Row and column (0-based) of the first row and of the first column that hold anything.
    start: (u32, u32),
    /// The last column that holds anything.
    end_col: u32,
    /// Each row that holds a cell: its row (0-based) and where its cells start in `cells`.
    rows: Vec<(u32, usize)>,
    /// Every row's cells, one row after the other, as (column, value) in column order: one
    /// allocation for the sheet, not one per row (200,000 small ones fragmented the heap: a third
    /// more memory than calamine's grid for a dense sheet).
    cells: Vec<(u32, calamine::Data)>,
    /// Cells of more text than a whole row may hold, kept cut ([`cut_cell`]): (row, column, bytes
    /// left out), by position. Their rows are quarantined `row_too_large` in any case; a copy of
    /// such a cell per step (cells, text, rows, Parquet) took a 200 MB cell to 1.4 GB.
    long: Vec<(u32, u32, u64)>,
    /// Cells whose value could not be read, (row, column, why), by position; each holds an empty
    /// cell in `cells`.
    unreadable: Vec<(u32, u32, String)>,
}

impl SheetCells {
    /// From (row, column, value) of the cells that hold something, in any order; of two at one
    /// place the later is kept, as calamine does.
    fn new(cells: Vec<(u32, u32, calamine::Data)>) -> Self {
        Self::with_first_repeat(cells).0
    }

    /// [`SheetCells::new`], and the first place that held two cells: no spreadsheet program
    /// writes one, and a reference past row 4,294,967,295 lands on one (calamine's row number
    /// wraps round: `A4294967299` is `A3`, and overwrote a header cell).
    fn with_first_repeat(mut cells: Vec<(u32, u32, calamine::Data)>) -> (Self, Option<(u32, u32)>) {
        cells.sort_by_key(|&(r, c, _)| (r, c));
        let mut sheet = SheetCells::default();
        let mut repeat = None;
        for (r, c, d) in cells {
            if let Err(d) = sheet.push(r, c, d) {
                // The same place again (sorted, nothing else comes before the last cell).
                repeat = repeat.or(Some((r, c)));
                if let Some(last) = sheet.cells.last_mut() {
                    last.1 = d;
                }
            }
        }
        (sheet.finish(), repeat)
    }

    /// Appends a cell that comes after every cell so far (in a later row, or further right in the
    /// last one); hands it back otherwise.
    fn push(&mut self, r: u32, c: u32, d: calamine::Data) -> std::result::Result<(), calamine::Data> {
        match self.rows.last() {
            Some(&(row, _)) if row == r && self.cells.last().is_some_and(|&(col, _)| col < c) => {}
            Some(&(row, _)) if row >= r => return Err(d),
            _ => self.rows.push((r, self.cells.len())),
        }
        self.cells.push((c, d));
        Ok(())
    }

    /// Every cell, as (row, column, value), in order: for a sheet whose cells came in another.
    fn into_cells(self) -> Vec<(u32, u32, calamine::Data)> {
        let mut out = Vec::with_capacity(self.cells.len());
        let mut cells = self.cells.into_iter();
        for (i, &(r, from)) in self.rows.iter().enumerate() {
            let to = self.rows.get(i + 1).map_or(usize::MAX, |&(_, s)| s);
            out.extend(cells.by_ref().take(to - from).map(|(c, d)| (r, c, d)));
        }
        out
    }

    /// Sets the span once every cell is in.
    fn finish(mut self) -> Self {
        let (first_col, end_col) = self.rows().fold((u32::MAX, 0), |(lo, hi), (_, cells)| {
            match (cells.first(), cells.last()) {
                (Some(a), Some(b)) => (lo.min(a.0), hi.max(b.0)),
                _ => (lo, hi),
            }
        });
        match self.rows.first() {
            Some(&(r, _)) => {
                self.start = (r, first_col);
                self.end_col = end_col;
                self
            }
            None => SheetCells::default(),
        }
    }

    /// Row `i`: its row (0-based) and its cells.
    fn row(&self, i: usize) -> Option<(u32, &[(u32, calamine::Data)])> {
        let &(r, from) = self.rows.get(i)?;
        let to = self.rows.get(i + 1).map_or(self.cells.len(), |&(_, s)| s);
        Some((r, &self.cells[from..to]))
    }

    fn rows(&self) -> impl Iterator<Item = (u32, &[(u32, calamine::Data)])> {
        (0..self.rows.len()).filter_map(|i| self.row(i))
    }

    /// An .xls sheet, which calamine only gives as a `Range`.
    fn from_range(range: &calamine::Range<calamine::Data>) -> Self {
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let mut long = Vec::new();
        let mut sheet = SheetCells::new(
            range
                .used_cells()
                .map(|(r, c, d)| {
                    let (r, c) = (r0 + r as u32, c0 + c as u32);
                    match d {
                        calamine::Data::String(s) => (r, c, held_string(s, r, c, &mut long)),
                        d => (r, c, d.clone()),
                    }
                })
                .collect(),
        );
        sheet.long = long;
        sheet
    }

    /// Columns from the first to the last that hold anything.
    fn width(&self) -> usize {
        match self.rows.is_empty() {
            true => 0,
            false => (self.end_col - self.start.1) as usize + 1,
        }
    }

    /// The cell of row `i` (of [`SheetCells::rows`]) in column `c` (0 being the first column that
    /// holds anything).
    fn get(&self, i: usize, c: usize) -> Option<&calamine::Data> {
        let (_, cells) = self.row(i)?;
        let col = self.start.1.checked_add(u32::try_from(c).ok()?)?;
        let at = cells.binary_search_by_key(&col, |&(c, _)| c).ok()?;
        Some(&cells[at].1)
    }

    /// The cells the sheet spans, as Excel names them (`A1:XFD1048576`).
    fn range_name(&self) -> String {
        let last = self.rows.last().map_or(0, |&(r, _)| r);
        format!(
            "{}{}:{}{}",
            column_name(self.start.1),
            self.start.0 as u64 + 1,
            column_name(self.end_col),
            last as u64 + 1
        )
    }
}

/// The text of the cell at (`r`, `c`) as it is held: whole, or cut when it holds more than a row
/// may ([`MAX_RECORD_BYTES`]), noted in `long`.
fn held_string(s: &str, r: u32, c: u32, long: &mut Vec<(u32, u32, u64)>) -> calamine::Data {
    if s.len() <= MAX_RECORD_BYTES {
        return calamine::Data::String(s.to_string());
    }
    let kept = cut_cell(s);
    long.push((r, c, (s.len() - kept.len()) as u64));
    calamine::Data::String(kept.to_string())
}

/// Excel's name of a cell from its 0-based row and column: A1, XFD1048576.
fn cell_name(r: u32, c: u32) -> String {
    format!("{}{}", column_name(c), r as u64 + 1)
}

/// Runs a third-party reader over an upload. Calamine parses untrusted bytes, and a damaged
/// record can make it panic (an index past a record's end in an `.xls`): that is the file's
/// fault, not the run's, so it refuses the file as malformed, with a report, instead of failing
/// the invocation's other uploads and sending the message round its retries to the dead-letter
/// queue. A build with `panic = "abort"` (the CLI's `dist`) still ends there.
fn contained<T>(read: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(RejectReason::Malformed {
            format: "Excel",
            detail: "its reader stopped on a damaged part of the workbook; open it in Excel and save it again, or save it as CSV (UTF-8), and upload that".into(),
        }
        .into())
    })
}

/// Columns and rows of Excel's grid (`XFD1048576`).
const EXCEL_COLUMNS: u32 = 16_384;
const EXCEL_ROWS: u32 = 1_048_576;

/// Excel's name of a 0-based column: A, Z, AA, XFD.
fn column_name(col: u32) -> String {
    let mut n = col as u64 + 1;
    let mut name = Vec::new();
    while n > 0 {
        name.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// The cells of an .xlsx sheet that hold something, read one at a time. Calamine's
/// `worksheet_range` puts every cell between the first and the last used one in a grid before
/// anything can be checked: a 1.6 KB workbook with a value at `XFD1048576` ended the process.
/// Cells with nothing in them (formatting only) are skipped, as calamine skips them.
///
/// A cell that refers to a shared string is a copy of it once read: a 53 KB workbook whose 3,000
/// cells name one string of 1 MB needed 3 GB. The text read is counted as it is read, and past
/// [`max_text_bytes`] the sheet is refused ([`RejectReason::SheetTextTooLarge`]).
///
/// A cell whose value does not fit its type (`t="n"` holding `abc`, a shared string index past
/// the table) is one cell's fault, not the workbook's: calamine's reader stops at it with an
/// error and can go on past it. Where the error gives the cell's text (a boolean or error cell),
/// the cell is that text; else it is listed in [`SheetCells::unreadable`] and its row quarantined.
/// Any other error refuses the workbook, naming the sheet and the last cell read.
///
/// With `first_rows`, reading stops before the first cell of a row past that many rows with
/// text, while the cells come in order (as Excel writes them).
fn xlsx_cells<RS: Read + std::io::Seek>(
    wb: &mut calamine::Xlsx<RS>,
    name: &str,
    limits: Limits,
    first_rows: Option<usize>,
) -> Result<SheetCells> {
    let malformed = |e: calamine::XlsxError, after: Option<(u32, u32)>| -> EngineError {
        let at = after.map_or_else(String::new, |(r, c)| format!(", after cell {}", cell_name(r, c)));
        RejectReason::Malformed {
            format: "Excel",
            detail: format!("sheet \"{name}\"{at}: {e}"),
        }
        .into()
    };
    let max_text = max_text_bytes(limits);
    let mut text = 0u64;
    let mut sheet = SheetCells::default();
    let mut unordered = Vec::new();
    let mut long = Vec::new();
    // Cells calamine could not read, by their place among the sheet's cells, with its error.
    let mut failed: Vec<(usize, calamine::XlsxError)> = Vec::new();
    // Rows with text so far, and the last of them.
    let (mut filled, mut last_filled) = (0usize, None);
    {
        let mut reader = match wb.worksheet_cells_reader(name) {
            Ok(reader) => reader,
            // Listed as a worksheet but something else (a chart): nothing to read, as for calamine.
            Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(SheetCells::default()),
            Err(e) => return Err(malformed(e, None)),
        };
        let mut last = None;
        for at in 0.. {
            let cell = match reader.next_cell() {
                Ok(Some(cell)) => cell,
                Ok(None) => break,
                Err(e) if cell_value_error(&e) => {
                    failed.push((at, e));
                    continue;
                }
                Err(e) => return Err(malformed(e, last)),
            };
            use calamine::DataRef;
            let value = cell.get_value();
            let (r, c) = cell.get_position();
            last = Some((r, c));
            // Excel's grid ends at XFD1048576; a reference beyond it is no Excel's (a 2 KB file
            // with a value in column 5,500,000 listed that many columns in its report and peaked
            // at 1.4 GB).
            if c >= EXCEL_COLUMNS || r >= EXCEL_ROWS {
                return Err(RejectReason::Malformed {
                    format: "Excel",
                    detail: format!(
                        "sheet \"{name}\" has a cell at row {} of column {}, outside Excel's grid (XFD1048576): the workbook is damaged or was not written by a spreadsheet program; save it again from Excel or as CSV (UTF-8)",
                        r as u64 + 1,
                        c as u64 + 1
                    ),
                }
                .into());
            }
            let string = match value {
                DataRef::String(s) => Some(s.as_str()),
                DataRef::SharedString(s) => Some(*s),
                _ => None,
            };
            if let Some(wanted) = first_rows
                && unordered.is_empty()
                && last_filled != Some(r)
                && has_text(value)
            {
                if filled == wanted {
                    break;
                }
                (filled, last_filled) = (filled + 1, Some(r));
            }
            // As held: a cell too long for any row is kept cut.
            text = text.saturating_add(match value {
                DataRef::Empty => continue,
                DataRef::String(_) | DataRef::SharedString(_) => string.map_or(0, |s| match s.len() {
                    n if n > MAX_RECORD_BYTES => cut_cell(s).len(),
                    n => n,
                }) as u64,
                DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.len() as u64,
                _ => 0,
            });
            if text > max_text {
                return Err(RejectReason::SheetTextTooLarge {
                    sheet: name.to_string(),
                    limit: max_text,
                }
                .into());
            }
            let d = match string {
                Some(s) => held_string(s, r, c, &mut long),
                None => calamine::Data::from(value.clone()),
            };
            // Excel writes cells row by row, left to right: they go straight into their rows, and a
            // list to sort is made only for a file that writes them otherwise, so a sheet's cells
            // are not held twice.
            if unordered.is_empty() {
                match sheet.push(r, c, d) {
                    Ok(()) => continue,
                    Err(d) => {
                        unordered = std::mem::take(&mut sheet).into_cells();
                        unordered.push((r, c, d));
                    }
                }
            } else {
                unordered.push((r, c, d));
            }
        }
    }
    let mut unreadable = Vec::new();
    if !failed.is_empty() {
        // The error does not say where the cell is: a second pass that reads no values (only
        // formulas) gives every cell's place, in the same order.
        let places =
            cell_places(wb, name, failed.iter().map(|(at, _)| *at)).map_err(|e| malformed(e, None))?;
        if unordered.is_empty() {
            unordered = std::mem::take(&mut sheet).into_cells();
        }
        for ((r, c), (_, e)) in places.into_iter().zip(failed) {
            let d = match e {
                calamine::XlsxError::Unrecognized { val, .. } | calamine::XlsxError::CellError(val) => {
                    held_string(&val, r, c, &mut long)
                }
                e => {
                    unreadable.push((r, c, unreadable_cell(name, r, c, &e)));
                    // Holds the row's place: a row of only this cell is still quarantined.
                    calamine::Data::Empty
                }
            };
            unordered.push((r, c, d));
        }
    }
    let mut sheet = match unordered.is_empty() {
        true => sheet.finish(),
        false => match SheetCells::with_first_repeat(unordered) {
            (sheet, None) => sheet,
            (_, Some((r, c))) => {
                return Err(RejectReason::Malformed {
                    format: "Excel",
                    detail: format!(
                        "sheet \"{name}\" has two cells at {}, which no spreadsheet program writes (a row number past Excel's grid wraps round onto an earlier row): the workbook is damaged; save it again from Excel or as CSV (UTF-8)",
                        cell_name(r, c)
                    ),
                }
                .into());
            }
        },
    };
    long.sort_unstable();
    sheet.long = long;
    unreadable.sort_unstable_by_key(|u| (u.0, u.1));
    sheet.unreadable = unreadable;
    Ok(sheet)
}

/// Whether a cell's text is more than blanks, as [`workbook_sheets`] reads a row with text.
fn has_text(value: &calamine::DataRef<'_>) -> bool {
    use calamine::DataRef;
    match value {
        DataRef::Empty => false,
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => !s.trim().is_empty(),
        DataRef::SharedString(s) => !s.trim().is_empty(),
        _ => true,
    }
}

/// Whether calamine's reader failed on one cell's value, and can read on past it: it has read the
/// value's text and stops before the cell's end, which the next call skips to.
fn cell_value_error(e: &calamine::XlsxError) -> bool {
    use calamine::XlsxError as E;
    match e {
        E::ParseFloat(_) | E::CellError(_) | E::CellTAttribute(_) => true,
        E::Unrecognized { typ, .. } => *typ == "boolean cell value",
        E::Unexpected(what) => what.contains("shared strings"),
        _ => false,
    }
}

/// The (row, column) of the sheet's cells at the places `wanted` (in order) among its cells.
fn cell_places<RS: Read + std::io::Seek>(
    wb: &mut calamine::Xlsx<RS>,
    name: &str,
    wanted: impl Iterator<Item = usize>,
) -> std::result::Result<Vec<(u32, u32)>, calamine::XlsxError> {
    let mut reader = wb.worksheet_cells_reader(name)?;
    let mut places = Vec::new();
    let mut at = 0;
    for want in wanted {
        loop {
            let cell = reader
                .next_formula()?
                .ok_or(calamine::XlsxError::Unexpected("a cell read before is missing"))?;
            at += 1;
            if at - 1 == want {
                places.push(cell.get_position());
                break;
            }
        }
    }
    Ok(places)
}

/// Why the cell at (`r`, `c`) of sheet `sheet` could not be read, for its row's quarantine line.
fn unreadable_cell(sheet: &str, r: u32, c: u32, e: &calamine::XlsxError) -> String {
    let cell = cell_name(r, c);
    let what = match e {
        calamine::XlsxError::ParseFloat(_) => {
            "is stored as a number but holds something else, whose text the workbook reader does not \
             give (type the value again in Excel)"
                .to_string()
        }
        calamine::XlsxError::Unexpected(_) => "names a shared text the workbook does not have".to_string(),
        calamine::XlsxError::CellTAttribute(t) => format!("has a type Excel does not write (t=\"{t}\")"),
        e => format!("cannot be read: {e}"),
    };
    format!("cell {cell} of sheet \"{sheet}\" {what}")
}

/// A sheet of a workbook: its name, whether it is visible, and its non-empty rows with their
/// 1-based row numbers in the sheet (none for an empty sheet, listed in the report as skipped).
struct SheetRows {
    name: String,
    visible: bool,
    rows: Vec<(u64, Vec<String>)>,
    /// Which of `rows` is the header, and the dataset it reads as (see [`pick_header`]).
    header: (usize, Option<Dataset>),
    /// Rows of `rows` to quarantine whatever they hold, by row number, in order.
    bad: Vec<BadLine>,
}

/// Whether a field holds dates, so that a number in its column is an Excel serial.
fn date_field(f: Field) -> bool {
    matches!(
        f,
        Field::OrderDate | Field::BirthDate | Field::SignupDate | Field::EventTime
    )
}

/// Fields whose cells are numbers, whatever format a workbook shows them in. Not a duration: one
/// formatted as a time (`hh:mm:ss`) is read as the time it shows.
fn number_field(f: Field) -> bool {
    matches!(
        f,
        Field::Quantity | Field::UnitPrice | Field::LineAmount | Field::Age
    )
}

/// The worksheets of a workbook, in order, with their cells as text. A number in a date column
/// (a column whose header maps to a date field) is an Excel serial in the workbook's date system,
/// as its date-formatted cells are: a value pasted into a date column keeps its number but loses
/// the date format ("General"), and is read as the date the other cells show. A number in a
/// discount column formatted as a percentage (0.1 shown as "10%") is read as Excel shows it,
/// "10%"; one in a sales amount or price column formatted with a currency has it written beside
/// it ([`format_currency`]) where the row's currency cell is blank. `styles` gives the sheet's
/// cell formats (.xlsx) when the workbook has a format `wanted` (the caller's test of a format
/// code), else none. `read` gives a sheet's cells.
///
/// Each row read is as wide as its sheet (from its first to its last used column), so rows of a
/// few cells far apart hold many: once the rows of all sheets would hold more than
/// [`max_grid_cells`], the workbook is refused ([`RejectReason::SheetTooLarge`]) before the row
/// that would pass it is made.
///
/// With `first_rows`, only that many rows with text of each sheet are read (the header search),
/// and cell formats are not (they change cells below the header only).
fn workbook_sheets<RS, R>(
    wb: &mut R,
    is_1904: bool,
    dataset: Option<Dataset>,
    limits: Limits,
    first_rows: Option<usize>,
    read: impl Fn(&mut R, &str) -> Result<SheetCells>,
    styles: impl Fn(&mut R, &str, &dyn Fn(&str) -> bool) -> Option<calamine::StyleRange>,
) -> Result<Vec<SheetRows>>
where
    RS: Read + std::io::Seek,
    R: calamine::Reader<RS>,
{
    use calamine::Data;
    let meta: Vec<(String, bool)> = wb
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == calamine::SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible == calamine::SheetVisible::Visible))
        .collect();
    let (max_cells, max_text) = (max_grid_cells(limits), max_text_bytes(limits));
    let (mut held, mut text) = (0u64, 0u64);
    let mut out = Vec::new();
    for (name, visible) in meta {
        let sheet = read(wb, &name)?;
        let width = sheet.width();
        let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
        let mut bad = Vec::new();
        let mut at: Vec<usize> = Vec::new();
        let mut long = sheet.long.iter().peekable();
        let mut unreadable = sheet.unreadable.iter().peekable();
        for (i, (r, cells)) in sheet.rows().enumerate() {
            let mut texts: Vec<(usize, String)> = cells
                .iter()
                .map(|(c, d)| ((c - sheet.start.1) as usize, cell_text(d)))
                .collect();
            while unreadable.next_if(|u| u.0 < r).is_some() {}
            let mut why = Vec::new();
            while let Some(u) = unreadable.next_if(|u| u.0 == r) {
                why.push(u.2.as_str());
            }
            while long.next_if(|l| l.0 < r).is_some() {}
            let mut left_out = 0u64;
            while let Some(&(_, _, n)) = long.next_if(|l| l.0 == r) {
                left_out = left_out.saturating_add(n);
            }
            if why.is_empty() && left_out == 0 && texts.iter().all(|(_, t)| t.trim().is_empty()) {
                continue;
            }
            if first_rows.is_some_and(|n| rows.len() == n) {
                break;
            }
            // A row of more text than a CSV row may hold is quarantined as one would be, with its
            // cells cut; the sheet's other rows are read.
            let bytes = texts
                .iter()
                .map(|(_, t)| t.len() as u64)
                .sum::<u64>()
                .saturating_add(left_out);
            if bytes > MAX_RECORD_BYTES as u64 {
                for (_, t) in &mut texts {
                    t.truncate(cut_cell(t).len());
                }
                bad.push((
                    r as u64 + 1,
                    "row_too_large",
                    format!(
                        "the row holds {bytes} bytes of text, more than the {MAX_RECORD_BYTES} bytes \
                         (8 MiB) a row may hold: its cells are kept cut to {KEEP_CELL_BYTES} bytes"
                    ),
                ));
            } else if let Some(first) = why.first() {
                let more = match why.len() {
                    1 => String::new(),
                    n => format!(" (and {} more cells of the row)", n - 1),
                };
                bad.push((r as u64 + 1, "bad_cell", format!("{first}{more}")));
            }
            // The text of every sheet read is kept until the export sheets are chosen.
            text = texts
                .iter()
                .fold(text, |n, (_, t)| n.saturating_add(t.len() as u64));
            if text > max_text {
                return Err(RejectReason::SheetTextTooLarge {
                    sheet: name,
                    limit: max_text,
                }
                .into());
            }
            held = held.saturating_add(width as u64);
            if held > max_cells {
                return Err(RejectReason::SheetTooLarge {
                    sheet: name,
                    range: sheet.range_name(),
                    rows: sheet.rows.len() as u64,
                    columns: width as u64,
                    limit: max_cells,
                }
                .into());
            }
            let mut row = vec![String::new(); width];
            for (c, t) in texts {
                row[c] = t;
            }
            rows.push((r as u64 + 1, row));
            at.push(i);
        }
        let mut picked = (0, None);
        if !rows.is_empty() {
            let head: Vec<Vec<String>> = rows
                .iter()
                .take(HEADER_SEARCH_ROWS)
                .map(|(_, r)| r.clone())
                .collect();
            picked = pick_header(&head, dataset);
            let (hi, guessed) = picked;
            let header = header_of_rows(&rows, hi, dataset.or(guessed));
            let discounts: Vec<usize> = (0..header.len())
                .filter(|&c| crate::mapping::names_discount(&header[c]))
                .collect();
            let mapped = dataset
                .or(guessed)
                .map(|d| crate::mapping::map_headers(&header, d, None));
            // Sales amounts and prices whose header names no currency: the one their cells'
            // format shows ("12,50 €" from `#,##0.00 "€"`) is all a sheet without a currency
            // column says about it.
            let (money, currency_col) = match &mapped {
                Some(m) if dataset.or(guessed) == Some(Dataset::Sales) => (
                    (0..m.columns.len())
                        .filter(|&c| {
                            matches!(m.columns[c], Some(Field::UnitPrice | Field::LineAmount))
                                && m.currency_hints.get(c).copied().flatten().is_none()
                        })
                        .collect(),
                    m.column_of(Field::Currency),
                ),
                _ => (Vec::new(), None),
            };
            let wanted = |code: &str| {
                (!discounts.is_empty() && code.contains('%'))
                    || (!money.is_empty() && format_currency(code).is_some())
            };
            let style = match (discounts.is_empty() && money.is_empty()) || first_rows.is_some() {
                true => None,
                false => styles(wb, &name, &wanted),
            };
            if let Some(style) = style {
                let format_of = |i: usize, c: usize| {
                    style
                        .get((sheet.rows[i].0, sheet.start.1 + c as u32))
                        .and_then(|s| s.number_format.as_ref())
                        .map(|n| n.format_code.as_str())
                };
                // A sheet uses a few formats over many cells: each is read once.
                let mut shown: Vec<(&str, Option<&'static str>)> = Vec::new();
                for ((_, cells), &i) in rows.iter_mut().zip(&at).skip(hi + 1) {
                    for &c in &discounts {
                        let Some(Data::Float(f)) = sheet.get(i, c) else {
                            continue;
                        };
                        let percent = format_of(i, c).is_some_and(|n| n.contains('%'));
                        if percent && let Some(cell) = cells.get_mut(c) {
                            *cell = format!("{}%", format_float((f * 1e6 * 100.0).round() / 1e6));
                        }
                    }
                    // A filled currency cell is the row's currency, whatever the format shows.
                    if currency_col.is_some_and(|cc| cells.get(cc).is_some_and(|v| !v.trim().is_empty())) {
                        continue;
                    }
                    for &c in &money {
                        if !matches!(sheet.get(i, c), Some(Data::Float(_) | Data::Int(_))) {
                            continue;
                        }
                        let Some(code) = format_of(i, c) else { continue };
                        let currency = match shown.iter().find(|(f, _)| *f == code) {
                            Some(&(_, currency)) => currency,
                            None => {
                                let currency = format_currency(code);
                                shown.push((code, currency));
                                currency
                            }
                        };
                        // Written beside the number, as if typed there: the converter reads it as
                        // it reads "12.50 EUR", and a currency of the row's own wins over it.
                        if let Some(currency) = currency
                            && let Some(cell) = cells.get_mut(c)
                        {
                            cell.push(' ');
                            cell.push_str(currency);
                        }
                    }
                }
            }
            if let Some(mapped) = mapped {
                let dates: Vec<usize> = (0..mapped.columns.len())
                    .filter(|&c| mapped.columns[c].is_some_and(date_field))
                    .collect();
                // A date format on a number column (an accident of copying formats) shows a date
                // where the cell holds the quantity or the amount: the number is what was meant.
                let numbers: Vec<usize> = (0..mapped.columns.len())
                    .filter(|&c| mapped.columns[c].is_some_and(number_field))
                    .chain(mapped.layout_columns.money().into_iter().flatten())
                    .chain(discounts.iter().copied())
                    .collect();
                for ((_, cells), i) in rows.iter_mut().zip(at.drain(..)).skip(hi + 1) {
                    for &c in &numbers {
                        if let Some(Data::DateTime(dt)) = sheet.get(i, c)
                            && let Some(cell) = cells.get_mut(c)
                        {
                            *cell = format_float(dt.as_f64());
                        }
                    }
                    for &c in &dates {
                        let serial = match sheet.get(i, c) {
                            Some(Data::Float(f)) => *f,
                            Some(Data::Int(n)) => *n as f64,
                            _ => continue,
                        };
                        // Before day one it is a time of day, not a date; past 9999 no date.
                        if (1.0..2_958_466.0).contains(&serial)
                            && let Some(cell) = cells.get_mut(c)
                        {
                            let dt = calamine::ExcelDateTime::new(
                                serial,
                                calamine::ExcelDateTimeType::DateTime,
                                is_1904,
                            );
                            *cell = cell_text(&Data::DateTime(dt));
                        }
                    }
                }
            }
        }
        out.push(SheetRows {
            name,
            visible,
            rows,
            header: picked,
            bad,
        });
    }
    Ok(out)
}

/// What to write beside a number to say the currency an Excel number format shows it in:
/// `#,##0.00 "€"`, `[$€-407] #,##0.00`, `£#,##0.00`, `_-* #,##0 "ریال"_-`, `[$IRR] #,##0` give
/// the ISO code, read with the table a currency written in a cell is ([`currency_of`]). A bare
/// `$` stays `$`, as if typed: the converter reads it as typed dollars are (US, unless a currency
/// column names another dollar); `$` tagged with a locale is that locale's dollar (`[$$-409]`
/// US, `[$$-1009]` Canadian), none for a locale not known here. None for a format showing no
/// currency (General, `#,##0.00`, a padding `_€` that only keeps columns aligned), an unknown
/// one (`"kr"`), or two different ones.
///
/// [`currency_of`]: crate::values::number::currency_of
fn format_currency(code: &str) -> Option<&'static str> {
    let read = |token: &str| -> Option<&'static str> {
        let token = token
            .trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{200c}'..='\u{200f}' | '\u{061c}'));
        match token {
            "" => None,
            "$" => Some("$"),
            t => crate::values::number::currency_of(t),
        }
    };
    let mut found: Option<&'static str> = None;
    let mut conflict = false;
    let mut note = |currency: Option<&'static str>| {
        let Some(new) = currency else { return };
        let iso = |c: &'static str| crate::values::number::currency_of(c).unwrap_or(c);
        match found {
            None => found = Some(new),
            Some(old) if iso(old) == iso(new) => {
                // "$" and "USD" together: the code is the more exact.
                if old == "$" {
                    found = Some(new);
                }
            }
            Some(_) => conflict = true,
        }
    };
    // Characters that are the number's layout, not text shown beside it.
    let layout = |c: char| {
        c.is_ascii_digit()
            || c.is_whitespace()
            || "#?.,%+-()/:;@!^&'~{}<>=".contains(c)
            || matches!(c, '\u{200c}'..='\u{200f}' | '\u{061c}')
    };
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        rest = match c {
            '"' => {
                let (literal, tail) = after.split_once('"').unwrap_or((after, ""));
                note(read(literal));
                tail
            }
            '\\' => {
                let next = after.chars().next().map_or(0, char::len_utf8);
                note(read(&after[..next]));
                &after[next..]
            }
            // `_x` leaves the width of x blank, `*x` repeats x to fill: neither shows x as text.
            '_' | '*' => {
                let next = after.chars().next().map_or(0, char::len_utf8);
                &after[next..]
            }
            '[' => {
                let (tag, tail) = after.split_once(']').unwrap_or((after, ""));
                // `[$sym-LCID]`: a currency sign and the locale it is written for; other tags
                // are colours and conditions.
                if let Some(sign) = tag.strip_prefix('$') {
                    let (sign, locale) = match sign.rsplit_once('-') {
                        Some((s, l)) if !l.is_empty() && l.chars().all(|c| c.is_ascii_hexdigit()) => {
                            (s, Some(l))
                        }
                        _ => (sign, None),
                    };
                    note(match (sign.trim(), locale) {
                        ("$", Some(l)) => locale_dollar(l),
                        (s, _) => read(s),
                    });
                }
                tail
            }
            c if layout(c) => after,
            _ => {
                let end = rest
                    .char_indices()
                    .find(|&(_, c)| layout(c) || matches!(c, '"' | '\\' | '_' | '*' | '['))
                    .map_or(rest.len(), |(i, _)| i);
                note(read(&rest[..end]));
                &rest[end..]
            }
        };
    }
    found.filter(|_| !conflict)
}

/// The dollar of a Windows locale id (hex) in an Excel format's `[$$-…]`, for the dollars
/// [`currency_of`](crate::values::number::currency_of) knows; None for other locales.
fn locale_dollar(lcid: &str) -> Option<&'static str> {
    let id = u32::from_str_radix(lcid, 16).ok()?;
    Some(match id {
        0x409 | 0x540a => "USD",
        0x1009 | 0xc0c => "CAD",
        0xc09 => "AUD",
        0x1409 => "NZD",
        0xc04 | 0x3c09 => "HKD",
        0x1004 | 0x4809 => "SGD",
        0x80a => "MXN",
        _ => return None,
    })
}

/// Which sheets of a workbook are the export. Workbooks open with cover or notes sheets, keep
/// scratch data and backups on hidden sheets, and split long exports into a sheet per month. The
/// export is the sheet whose header row is most like the dataset's (visible sheets first, then the
/// first), together with every other visible sheet, before or after it, that has its columns (by header, or by the
/// field a header maps to, in any order); the others are listed in the report as skipped. Rows are numbered across the sheets read: a sheet's `line_offset` plus
/// its own row number.
fn choose_sheets(sheets: Vec<SheetRows>, dataset: Option<Dataset>) -> Result<Opened> {
    if sheets.iter().all(|s| s.rows.is_empty()) {
        return Err(RejectReason::Empty.into());
    }
    let headers: Vec<(usize, usize, Option<Dataset>)> = sheets
        .iter()
        .map(|s| {
            if s.rows.is_empty() {
                return (0, 0, None);
            }
            let (hi, guessed) = s.header;
            let cells: Vec<&str> = s.rows[hi].1.iter().map(String::as_str).collect();
            (hi, score(&cells, guessed.or(dataset)).0, guessed)
        })
        .collect();
    let primary = (0..sheets.len())
        .filter(|&i| !sheets[i].rows.is_empty())
        .max_by_key(|&i| (headers[i].1, sheets[i].visible, std::cmp::Reverse(i)))
        .expect("at least one sheet");
    let mut header = header_of_rows(
        &sheets[primary].rows,
        headers[primary].0,
        dataset.or(headers[primary].2),
    );
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
    let mut bad: Vec<BadLine> = Vec::new();
    let mut offset = 0u64;
    let mut preamble_rows = 0u64;
    let mut returns_lines = Vec::new();
    // The sheets read: their rows' count and hash from the header down, and name.
    let mut read_sheets: Vec<((usize, u64), String)> = Vec::new();
    let primary_visible = sheets[primary].visible;
    // The fields the headers map to: how a later sheet's columns are found and their units read.
    let fields = |h: &[String]| {
        dataset
            .or(guessed)
            .map(|d| crate::mapping::map_headers(h, d, None))
    };
    let mut mine = fields(&header);
    for (i, sheet) in sheets.into_iter().enumerate() {
        // Sheets before the export sheet count like those after it: a first sheet whose header
        // has fewer known columns (one month of several, or "Orders" before a "Returns" sheet
        // with an extra column) is still part of the export. Cover and notes sheets lack its
        // columns and are skipped.
        let skipped = match i.cmp(&primary) {
            std::cmp::Ordering::Equal => {
                Ok(((0..header.len()).map(Some).collect(), vec![None; header.len()]))
            }
            // A blank first sheet ("Sheet1" left as Excel made it) has nothing to read.
            _ if sheet.rows.is_empty() => Err(("empty".to_string(), 0)),
            // A hidden copy is a backup, not more orders.
            _ if primary_visible && !sheet.visible => Err(("hidden".to_string(), 0)),
            std::cmp::Ordering::Less | std::cmp::Ordering::Greater => {
                let other = header_of_rows(&sheet.rows, headers[i].0, dataset.or(headers[i].2));
                let theirs = fields(&other);
                let (mut order, mut lacking) = column_order(&header, &other, mine.as_ref(), theirs.as_ref());
                // A month's sheet that gives its amounts other columns than the export sheet
                // (line totals only, or prices without totals) is still that export's: read
                // with what it has (the amounts it lacks empty on its rows, as on a row that
                // leaves them blank), its other amount columns added to the file's.
                if let Some(added) = other_amounts(
                    &lacking,
                    &other,
                    mine.as_ref(),
                    theirs.as_ref(),
                    dataset.or(guessed),
                ) {
                    let first = header.len();
                    for &j in &added {
                        header.push(other[j].clone());
                        order.push(Some(j));
                    }
                    mine = fields(&header);
                    // Among the export sheet's amounts a header may read otherwise than in its
                    // own sheet (a bare "Total" beside a price is no line amount): such a column
                    // is named by the field it is in its sheet, its own header after it in
                    // brackets, whose unit and currency still read ("line_amount (Total (هزار
                    // تومان))").
                    if let (Some(m), Some(t)) = (&mine, &theirs) {
                        let mut renamed = false;
                        for (p, &j) in (first..).zip(&added) {
                            if let Some(f) = t.columns[j].filter(|&f| m.columns[p] != Some(f)) {
                                header[p] = format!("{} ({})", f.name(), header[p]);
                                renamed = true;
                            }
                        }
                        if renamed {
                            mine = fields(&header);
                        }
                    }
                    lacking.clear();
                }
                (lacking.is_empty())
                    .then_some(order)
                    .ok_or(lacking)
                    .map_err(|lacking| {
                        let names: Vec<String> = lacking
                            .iter()
                            .map(|&c| format!("\"{}\"", crate::mapping::shown_header(&header[c], c)))
                            .collect();
                        // A sheet of orders (or people, or events) in columns the export sheet's
                        // cannot take: its rows are not read, and the report's warnings say so
                        // (see below). A cover, notes or summary sheet is skipped quietly.
                        let export_like = theirs.as_ref().is_some_and(|t| {
                            let has = |fs: &[Field]| fs.iter().any(|&f| t.column_of(f).is_some());
                            has(&[Field::OrderDate, Field::EventTime, Field::SignupDate])
                                && has(&[Field::OrderId, Field::CustomerId, Field::Email, Field::Phone])
                        });
                        let after_header = sheet.rows.len().saturating_sub(headers[i].0 + 1) as u64;
                        let not_read = match export_like {
                            true => after_header,
                            false if continues_without_header(&other, mine.as_ref(), theirs.as_ref()) => {
                                return (
                                    "it has no header row (its first row is data)".to_string(),
                                    after_header + 1,
                                );
                            }
                            false => 0,
                        };
                        (
                            format!(
                                "its header lacks columns of the export sheet: {}",
                                names.join(", ")
                            ),
                            not_read,
                        )
                    })
                    .and_then(|order| {
                        let units = sheet_units(&header, &other, &order, mine.as_ref(), theirs.as_ref())
                            .map_err(|why| (why, 0))?;
                        Ok((order, units))
                    })
            }
        };
        let (order, units): (Vec<Option<usize>>, Vec<Option<String>>) = match skipped {
            Ok(order) => order,
            Err((why, not_read)) => {
                let rows_not_read = (not_read > 0).then_some(not_read);
                report.push(SheetReport {
                    name: sheet.name,
                    line_offset: None,
                    skipped: Some(why),
                    rows_not_read,
                    read_as_returns: false,
                });
                continue;
            }
        };
        // A visible copy of a sheet read already ("Orders (2)", Excel's name for a copy) would
        // count every order twice: the same header and cells, row by row.
        let content = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            for (_, cells) in &sheet.rows[headers[i].0..] {
                cells.hash(&mut h);
            }
            (sheet.rows.len() - headers[i].0, h.finish())
        };
        if let Some((_, original)) = read_sheets.iter().find(|(c, _)| *c == content) {
            report.push(SheetReport {
                name: sheet.name,
                line_offset: None,
                skipped: Some(format!("a copy of sheet \"{original}\", read once")),
                rows_not_read: None,
                read_as_returns: false,
            });
            continue;
        }
        read_sheets.push((content, sheet.name.clone()));
        let last = sheet.rows.last().map_or(0, |(r, _)| *r);
        let header_row = sheet.rows[headers[i].0].0;
        bad.extend(
            sheet
                .bad
                .into_iter()
                .filter(|b| b.0 > header_row)
                .map(|(row, reason, detail)| (offset + row, reason, detail)),
        );
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
            rows_not_read: None,
            read_as_returns: returns,
        });
        offset += last;
    }
    let labels = heading_labels(
        &header,
        data.iter().map(|(_, r)| r.as_slice()),
        dataset.or(guessed),
    );
    Ok(Opened {
        source: grouped(
            Box::new(SheetSource {
                rows: data.into_iter(),
                bad: bad.into_iter().peekable(),
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
        itemised_orders: false,
    })
}

/// Where each column of the export sheet is in another sheet: under the same header, else under
/// a header for the same field ("Invoice" for "Order ID", columns in another order). `None`
/// when the other sheet lacks a column the export sheet maps for ids, dates, amounts or
/// consent: it is something else (a summary). A descriptive column it lacks (status, category,
/// place, channel, …: a "Returns" sheet with a "Reason" or "Status" column the "Orders" sheet
/// has not) is left empty on its rows. `mine` and `theirs` are the two headers' fields, when the
/// dataset is known.
/// Which of `other`'s columns is each of the export sheet's (`None`: the sheet may lack it), or
/// the export sheet's columns the sheet lacks, for the report.
fn column_order(
    export: &[String],
    other: &[String],
    mine: Option<&ColumnMapping>,
    theirs: Option<&ColumnMapping>,
) -> (Vec<Option<usize>>, Vec<usize>) {
    let per: Vec<Option<Option<usize>>> = export
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
        .collect();
    let lacking: Vec<usize> = (0..per.len()).filter(|&i| per[i].is_none()).collect();
    (per.into_iter().map(Option::flatten).collect(), lacking)
}

/// A sheet that lacks only amount columns of the export sheet (quantity, unit price, line
/// amount) and is an export of the dataset on its own, of the export sheet's grain (its header
/// has every field the dataset needs, and a product column if and only if the export sheet has
/// one; a month's sheet with line totals beside months with prices): the columns of its amounts
/// the export sheet has not, to add to the file's header. None for any other sheet lacking columns (a summary by month, an
/// order-level sheet of totals beside the lines, notes), which is skipped, and for one whose
/// amounts are in a currency its headers name other than the export sheet's (its added cells
/// would carry none, and the rows be read in the other sheet's).
fn other_amounts(
    lacking: &[usize],
    other: &[String],
    mine: Option<&ColumnMapping>,
    theirs: Option<&ColumnMapping>,
    dataset: Option<Dataset>,
) -> Option<Vec<usize>> {
    let (mine, theirs, dataset) = (mine?, theirs?, dataset?);
    let amount = |f: Option<Field>| matches!(f, Some(Field::Quantity | Field::UnitPrice | Field::LineAmount));
    let lines = |m: &ColumnMapping| {
        [Field::ProductId, Field::ProductName]
            .iter()
            .any(|&f| m.column_of(f).is_some())
    };
    let named = |m: &ColumnMapping| -> std::collections::BTreeSet<&'static str> {
        (0..m.columns.len())
            .filter(|&c| matches!(m.columns[c], Some(Field::UnitPrice | Field::LineAmount)))
            .filter_map(|c| m.currency_hints.get(c).copied().flatten())
            .collect()
    };
    if lacking.is_empty()
        || !lacking.iter().all(|&c| amount(mine.columns[c]))
        || lines(mine) != lines(theirs)
        || !(0..theirs.columns.len()).any(|c| amount(theirs.columns[c]))
        || crate::mapping::check_required(dataset, theirs, other).is_err()
        || named(mine) != named(theirs)
    {
        return None;
    }
    Some(
        (0..other.len())
            .filter(|&j| {
                amount(theirs.columns[j]) && theirs.columns[j].is_some_and(|f| mine.column_of(f).is_none())
            })
            .collect(),
    )
}

/// Whether a sheet whose first row reads as no header continues the export sheet's rows without
/// one (a month pasted below no header, a "Sheet2" of more orders): that row, taken column by
/// column as the export sheet's, fills half its mapped columns at least (a guest's order leaves
/// email, phone and city empty), has a whole date where the export sheet has its date (three
/// groups of digits, `2024-01-05`, `1402/10/15`, or a day and a year beside a month's name,
/// `06 Jan 2024`; not a month, `2024-01`, `Jan 2024`, nor a year) and a value where it has its
/// order, customer or email. Its rows are then not read, and the report says so with their count; a
/// notes, summary or pivot sheet is skipped quietly.
fn continues_without_header(
    first: &[String],
    mine: Option<&ColumnMapping>,
    theirs: Option<&ColumnMapping>,
) -> bool {
    let (Some(mine), Some(theirs)) = (mine, theirs) else {
        return false;
    };
    if theirs.columns.iter().any(Option::is_some) {
        return false;
    }
    let cell = |f: &[Field]| {
        f.iter()
            .find_map(|&f| mine.column_of(f))
            .and_then(|c| first.get(c))
            .map(|v| v.trim())
    };
    let whole_date = |v: &str| {
        let groups: Vec<&str> = v
            .split(|c: char| !c.is_numeric())
            .filter(|g| !g.is_empty())
            .collect();
        // A month's name, as dates are read with ("15 فروردین 1403"; "Week 1 2024" is no date).
        let month_name = v
            .split(|c: char| !c.is_alphabetic())
            .any(crate::values::date::is_month_name);
        groups.len() >= 3 || (groups.len() == 2 && month_name && groups.iter().any(|g| g.len() == 4))
    };
    let mapped: Vec<usize> = (0..mine.columns.len())
        .filter(|&c| mine.columns[c].is_some())
        .collect();
    let filled = mapped
        .iter()
        .filter(|&&c| first.get(c).is_some_and(|v| !v.trim().is_empty()))
        .count();
    2 * filled >= mapped.len()
        && filled >= 2
        && cell(&[Field::OrderDate, Field::EventTime, Field::SignupDate]).is_some_and(whole_date)
        && cell(&[Field::OrderId, Field::CustomerId, Field::Email, Field::Phone])
            .is_some_and(|v| !v.is_empty())
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
) -> std::result::Result<Vec<Option<String>>, String> {
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
                return Err(
                    "its amounts are in another multiple (thousands) than the export sheet's".to_string(),
                );
            }
            let (a, b) = (mine.currency_hints[i], theirs.currency_hints[j]);
            Ok(b.filter(|b| a != Some(*b)).map(str::to_string))
        })
        .collect()
}

/// The header of a sheet whose header row is `rows[at]`, with the group row directly above it
/// read into it where it names what a column is ([`group_header`]).
fn header_of_rows(rows: &[(u64, Vec<String>)], at: usize, dataset: Option<Dataset>) -> Vec<String> {
    let header = rows[at].1.iter().map(|h| h.trim().to_string()).collect();
    match at.checked_sub(1).map(|a| &rows[a]) {
        Some((line, above)) if line + 1 == rows[at].0 => group_header(above, header, dataset),
        _ => header,
    }
}

/// A two-row header: a sparse group row ("Order" merged over two columns, "Customer", "Line")
/// directly above the header row ("No.", "Date", "Customer ID", …). A group cell heads its own
/// column and the blank ones after it (a merged cell's others are blank, and so is a group label
/// written once). A header cell that maps to no field alone is read with its group's label before
/// it, when that maps ("Order" + "No." is "Order No."); the others keep their own names.
/// The row above is a group row only with at least two labels, fewer than the header's cells: a
/// title above the header is not one.
fn group_header(above: &[String], header: Vec<String>, dataset: Option<Dataset>) -> Vec<String> {
    let Some(d) = dataset else { return header };
    let filled = |r: &[String]| r.iter().filter(|c| !c.trim().is_empty()).count();
    let labels = filled(above);
    if labels < 2 || labels >= filled(&header) {
        return header;
    }
    let mut parent: Option<&str> = None;
    let parents: Vec<Option<&str>> = (0..header.len())
        .map(|j| {
            match above.get(j).map(|c| c.trim()) {
                Some(c) if !c.is_empty() => parent = Some(c),
                _ => {}
            }
            parent
        })
        .collect();
    let alone = crate::mapping::map_headers(&header, d, None);
    let mut combined = header.clone();
    let mut tried = Vec::new();
    for (j, h) in header.iter().enumerate() {
        if let Some(p) = parents[j]
            && alone.columns[j].is_none()
            && !h.is_empty()
            && !h.to_lowercase().contains(&p.to_lowercase())
        {
            combined[j] = format!("{p} {h}");
            tried.push(j);
        }
    }
    if tried.is_empty() {
        return header;
    }
    let together = crate::mapping::map_headers(&combined, d, None);
    // Only columns that now map gain their group's name, and no other column changes field.
    let kept = (0..header.len()).all(|j| tried.contains(&j) || together.columns[j] == alone.columns[j]);
    if !kept {
        return header;
    }
    header
        .into_iter()
        .enumerate()
        .map(|(j, h)| match together.columns[j] {
            Some(_) if tried.contains(&j) => combined[j].clone(),
            _ => h,
        })
        .collect()
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
    pub skipped: Option<String>,
    /// A sheet skipped for lacking the export sheet's columns that looks like an export of the
    /// dataset (a date beside an order id, a customer id, an email or a phone): its rows below
    /// the header, none of them read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_not_read: Option<u64>,
    /// Named as returns: its positive quantities were read as returns.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_as_returns: bool,
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

    /// A workbook of one sheet whose `<sheetData>` is `rows`, with `extra` parts beside it.
    fn xlsx_of(dir: &Path, name: &str, rows: &str, extra: &[(&str, &[u8])]) -> std::path::PathBuf {
        let path = dir.join(name);
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        let opts =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let rel = |id: &str, kind: &str, target: &str| {
            format!(
                r#"<Relationship Id="{id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}" Target="{target}"/>"#
            )
        };
        let rels = |inner: String| {
            format!(
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{inner}</Relationships>"#
            )
        };
        let parts: [(&str, String); 4] = [
            ("_rels/.rels", rels(rel("rId1", "officeDocument", "xl/workbook.xml"))),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>"#
                    .into(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                rels(rel("rId1", "worksheet", "worksheets/sheet1.xml")),
            ),
            (
                "xl/worksheets/sheet1.xml",
                format!(
                    r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
                ),
            ),
        ];
        for (part, text) in parts {
            zip.start_file(part, opts).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        for (part, bytes) in extra {
            zip.start_file(*part, opts).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
        path
    }

    const ORDERS_HEADER: &str = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Order ID</t></is></c><c r="B1" t="inlineStr"><is><t>Order Date</t></is></c><c r="C1" t="inlineStr"><is><t>Amount</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>A-1</t></is></c><c r="B2"><v>45000</v></c><c r="C2"><v>12.5</v></c></row>"#;

    fn rows_of(opened: &mut Opened) -> Vec<(u64, Vec<String>)> {
        let mut rows = Rows::default();
        while opened.source.next(&mut rows).unwrap() {}
        rows.iter()
            .map(|e| match e {
                Entry::Row(line, cells) => (line, cells.iter().map(str::to_string).collect()),
                Entry::Bad(line, ..) => (line, Vec::new()),
            })
            .collect()
    }

    /// Elements are counted by their local name, with or without a prefix, across the chunks the
    /// part is read in; end tags, declarations and `<sst>` are not shared strings.
    #[test]
    fn elements_are_counted_by_local_name_across_chunks() {
        let xml = format!(
            "<?xml version=\"1.0\"?><x:sst xmlns:x=\"m\"><x:si/><si><t>a</t></si>{}<si\n/></x:sst>",
            "<x:si><x:t/></x:si>".repeat(20_000)
        );
        let count = |local: Option<&[u8]>| count_elements(&mut xml.as_bytes(), local).unwrap();
        assert_eq!(count(Some(b"si")), 20_003);
        assert_eq!(count(Some(b"t")), 20_001);
        // Every start tag: sst, the 20,003 strings and their 20,001 texts.
        assert_eq!(count(None), 40_005);
    }

    /// A styles part whose data is damaged (its checksum fails as it inflates) refuses that
    /// workbook as malformed, as calamine's own errors do; it is no error of the run, which
    /// would stop the other files of a folder or an invocation.
    #[test]
    fn a_damaged_styles_part_refuses_its_workbook_not_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let styles = format!(
            r#"<?xml version="1.0"?><styleSheet xmlns="m"><cellXfs>{}</cellXfs></styleSheet>"#,
            "<xf numFmtId=\"0\"/>".repeat(2_000)
        );
        let book = xlsx_of(
            dir.path(),
            "crc.xlsx",
            ORDERS_HEADER,
            &[("xl/styles.xml", styles.as_bytes())],
        );
        let mut bytes = std::fs::read(&book).unwrap();
        // The local header of xl/styles.xml, then its data: one byte of it flipped.
        let name = b"xl/styles.xml";
        let at = bytes.windows(name.len()).position(|w| w == name).unwrap();
        let header = at - 30;
        let extra = u16::from_le_bytes([bytes[header + 28], bytes[header + 29]]) as usize;
        let data = at + name.len() + extra;
        bytes[data + 20] ^= 0x5a;
        std::fs::write(&book, bytes).unwrap();
        let limits = Limits::default();
        let fmt = sniff::sniff(&book, "crc.xlsx", limits).unwrap();
        match open(&book, &fmt, limits, Some(Dataset::Sales)) {
            Err(EngineError::Rejected(r)) => assert_eq!(r.code(), "malformed_file", "{r}"),
            Err(e) => panic!("an error of the run: {e}"),
            Ok(_) => panic!("opened"),
        }
    }

    /// A reader that panics on a damaged workbook refuses that file, as malformed, and nothing
    /// else: the panic does not reach the run.
    #[test]
    fn a_panicking_reader_refuses_its_file_as_malformed() {
        let refused: Result<()> =
            contained(|| panic!("index out of bounds: the len is 4 but the index is 9"));
        match refused {
            Err(EngineError::Rejected(r)) => {
                assert_eq!(r.code(), "malformed_file");
                assert!(r.to_string().contains("damaged part of the workbook"), "{r}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(contained(|| Ok(7)).unwrap(), 7);
    }

    /// A reference past Excel's last column or row (`XFE3`, row 1048577) is no Excel file's: the
    /// workbook is refused as damaged, naming the sheet and the cell, not read as millions of
    /// columns; `XFD1048576` itself is Excel's and read.
    #[test]
    fn a_cell_outside_excels_grid_refuses_the_workbook() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits::default();
        for (name, cell, refused) in [
            ("xfe.xlsx", r#"<row r="3"><c r="XFE3"><v>1</v></c></row>"#, true),
            (
                "far_row.xlsx",
                r#"<row r="1048577"><c r="A1048577"><v>1</v></c></row>"#,
                true,
            ),
            (
                "last.xlsx",
                r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
                false,
            ),
        ] {
            let book = xlsx_of(dir.path(), name, &format!("{ORDERS_HEADER}{cell}"), &[]);
            let fmt = sniff::sniff(&book, name, limits).unwrap();
            match open(&book, &fmt, limits, Some(Dataset::Sales)) {
                Err(EngineError::Rejected(r)) if refused => {
                    assert_eq!(r.code(), "malformed_file", "{name}: {r}");
                    assert!(r.to_string().contains("outside Excel's grid"), "{name}: {r}");
                }
                Ok(_) if !refused => {}
                Err(e) => panic!("{name}: {e}"),
                Ok(_) => panic!("{name}: opened"),
            }
        }
    }

    /// Excel writes a sheet's cells row by row, left to right, and they are read into their rows
    /// as they come; a file that writes them in another order (rows backwards, a cell before its
    /// left neighbour) reads the same as the ordered one. One place given twice (which a row
    /// number past the grid makes, wrapping round: `A4294967299` is `A3`) refuses the workbook
    /// as damaged, naming the cell, rather than let one cell overwrite another.
    #[test]
    fn cells_written_out_of_order_read_as_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits::default();
        let cell = |r: &str, v: &str| format!(r#"<c r="{r}" t="inlineStr"><is><t>{v}</t></is></c>"#);
        let header = format!(
            r#"<row r="1">{}{}{}</row>"#,
            cell("A1", "Order ID"),
            cell("B1", "Order Date"),
            cell("C1", "Amount")
        );
        let row = |n: u32, cells: &[String]| format!(r#"<row r="{n}">{}</row>"#, cells.concat());
        let ordered = [
            header.clone(),
            row(
                2,
                &[cell("A2", "A-1"), cell("B2", "2023-03-15"), cell("C2", "12.5")],
            ),
            row(3, &[cell("A3", "A-2"), cell("B3", "2023-03-16"), cell("C3", "7")]),
        ]
        .concat();
        let shuffled = [
            row(3, &[cell("C3", "7"), cell("A3", "A-2"), cell("B3", "2023-03-16")]),
            header,
            row(
                2,
                &[cell("B2", "2023-03-15"), cell("A2", "A-1"), cell("C2", "12.5")],
            ),
        ]
        .concat();
        let read = |name: &str, rows: &str| {
            let book = xlsx_of(dir.path(), name, rows, &[]);
            let fmt = sniff::sniff(&book, name, limits).unwrap();
            let mut opened = open(&book, &fmt, limits, Some(Dataset::Sales)).unwrap();
            (opened.headers.clone(), rows_of(&mut opened))
        };
        let (headers, rows) = read("ordered.xlsx", &ordered);
        assert_eq!(headers, ["Order ID", "Order Date", "Amount"]);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(read("shuffled.xlsx", &shuffled), (headers, rows));
        for (name, twice) in [
            ("twice.xlsx", row(4, &[cell("A3", "A-2"), cell("A3", "A-3")])),
            (
                "wrapped.xlsx",
                format!(r#"<row r="4294967299">{}</row>"#, cell("A4294967299", "C2")),
            ),
        ] {
            let rows = format!("{ordered}{twice}");
            let book = xlsx_of(dir.path(), name, &rows, &[]);
            let fmt = sniff::sniff(&book, name, limits).unwrap();
            match open(&book, &fmt, limits, Some(Dataset::Sales)) {
                // A wrapped row number overflows in calamine: in a build with overflow checks
                // (these tests) its reader panics, which refuses the file too.
                Err(EngineError::Rejected(r)) => {
                    assert_eq!(r.code(), "malformed_file", "{name}: {r}");
                    let said = ["two cells at A3", "damaged part of the workbook"];
                    assert!(said.iter().any(|s| r.to_string().contains(s)), "{name}: {r}");
                    if name == "twice.xlsx" {
                        assert!(r.to_string().contains(said[0]), "{r}");
                    }
                }
                Err(e) => panic!("{name}: {e}"),
                Ok(_) => panic!("{name}: opened"),
            }
        }
    }

    /// A value at the last cell Excel has (`XFD1048576`) below a small export made calamine
    /// allocate a grid of 17 billion cells (549 GB) and end the process. Only rows that hold
    /// something are read, so the workbook is read, in a few MB; a cell with nothing in it
    /// (formatting only) there changes nothing at all.
    #[test]
    fn a_stray_cell_at_the_far_corner_of_a_sheet_is_read_without_a_grid_of_the_gap() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            max_workbook_bytes: 4 << 20,
            ..Limits::default()
        };
        let far = format!(r#"{ORDERS_HEADER}<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#);
        let book = xlsx_of(dir.path(), "far.xlsx", &far, &[]);
        let fmt = sniff::sniff(&book, "far.xlsx", limits).unwrap();
        let mut opened = open(&book, &fmt, limits, Some(Dataset::Sales)).unwrap();
        assert_eq!(opened.headers.len(), 16_384);
        assert_eq!(&opened.headers[..3], ["Order ID", "Order Date", "Amount"]);
        let rows = rows_of(&mut opened);
        assert_eq!(
            rows.len(),
            2,
            "{:?}",
            rows.iter().map(|r| r.0).collect::<Vec<_>>()
        );
        assert_eq!(
            (rows[0].0, &rows[0].1[..3]),
            (2, &["A-1", "2023-03-15T00:00:00", "12.5"].map(String::from)[..])
        );
        assert_eq!((rows[1].0, rows[1].1[16_383].as_str()), (1_048_576, "1"));

        let styled = format!(r#"{ORDERS_HEADER}<row r="1048576"><c r="XFD1048576" s="0"/></row>"#);
        let book = xlsx_of(dir.path(), "styled.xlsx", &styled, &[]);
        let mut opened = open(&book, &fmt, limits, Some(Dataset::Sales)).unwrap();
        assert_eq!(opened.headers, ["Order ID", "Order Date", "Amount"]);
        assert_eq!(rows_of(&mut opened).len(), 1);
    }

    /// Rows of one stray cell each, far to the right: few bytes of XML, but every row read is as
    /// wide as the sheet. Past the limit the workbook is refused, naming the sheet and the cells
    /// it spans, before the rows are made.
    #[test]
    fn a_sheet_of_gaps_too_wide_to_read_is_refused_naming_its_cells() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            max_workbook_bytes: 1 << 20,
            ..Limits::default()
        };
        // 2 MiB of cells' text allowed: 87,381 cells, 5 rows of 16,384 fit and 6 do not.
        assert_eq!(max_grid_cells(limits), 87_381);
        let sheet = |rows: u32| {
            let far: String = (3..3 + rows)
                .map(|r| format!(r#"<row r="{r}"><c r="XFD{r}"><v>1</v></c></row>"#))
                .collect();
            format!("{ORDERS_HEADER}{far}")
        };
        let fits = xlsx_of(dir.path(), "fits.xlsx", &sheet(3), &[]);
        let fmt = sniff::sniff(&fits, "fits.xlsx", limits).unwrap();
        assert!(open(&fits, &fmt, limits, Some(Dataset::Sales)).is_ok());
        let gaps = xlsx_of(dir.path(), "gaps.xlsx", &sheet(4), &[]);
        match open(&gaps, &fmt, limits, Some(Dataset::Sales)) {
            Err(EngineError::Rejected(r)) => {
                assert_eq!(r.code(), "too_large");
                let text = r.to_string();
                assert!(
                    text.starts_with("sheet \"Orders\" spans A1:XFD6: its 6 rows"),
                    "{text}"
                );
                assert!(text.contains("save the sheet as CSV"), "{text}");
            }
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("opened"),
        }
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16_383), "XFD");
    }

    /// Calamine holds every styles record and shared string as a struct or a `String`, however
    /// few bytes its XML takes (`<xf/>`, `<si/>`: 2.3 MB of upload holding 225 MB of them took
    /// 6.7 GB): a workbook whose parts fit the limit as bytes is refused when what they take
    /// once read does not, and read when it does.
    #[test]
    fn styles_and_shared_strings_count_what_they_take_once_read() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            max_workbook_bytes: 8 << 20,
            ..Limits::default()
        };
        let styles = format!(
            r#"<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs>{}</cellXfs></styleSheet>"#,
            "<xf/>".repeat(200_000)
        );
        let strings = format!(
            r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</sst>"#,
            "<si/>".repeat(600_000)
        );
        // 1 MB and 3 MB of XML: within the 8 MB as bytes, not as 200,000 records and 600,000 strings.
        assert!(styles.len() < 2 << 20 && strings.len() < 4 << 20);
        for (name, part, body) in [
            ("styles.xlsx", "xl/styles.xml", &styles),
            ("strings.xlsx", "xl/sharedStrings.xml", &strings),
        ] {
            let book = xlsx_of(dir.path(), name, ORDERS_HEADER, &[(part, body.as_bytes())]);
            let fmt = sniff::sniff(&book, name, limits).unwrap();
            match open(&book, &fmt, limits, Some(Dataset::Sales)) {
                Err(EngineError::Rejected(r)) => assert_eq!(r.code(), "too_large", "{name}: {r}"),
                Err(e) => panic!("{name}: unexpected error {e}"),
                Ok(_) => panic!("{name}: opened"),
            }
            let roomy = Limits {
                max_workbook_bytes: 64 << 20,
                ..Limits::default()
            };
            assert!(open(&book, &fmt, roomy, Some(Dataset::Sales)).is_ok(), "{name}");
        }
    }

    /// A workbook of a few cells whose styles part holds more than the limit (number formats by
    /// the million: 78 MB uploaded peaked at 8.8 GB) is refused as too large, as a sheet that
    /// size is, before anything is parsed.
    #[test]
    fn a_styles_part_over_the_workbook_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            max_workbook_bytes: 2 << 20,
            ..Limits::default()
        };
        let formats: String = (0..60_000)
            .map(|i| format!(r#"<numFmt numFmtId="{}" formatCode="0.00"/>"#, 200 + i))
            .collect();
        let styles = format!(
            r#"<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts>{formats}</numFmts></styleSheet>"#
        );
        assert!(styles.len() > 2 << 20);
        let book = xlsx_of(
            dir.path(),
            "styles.xlsx",
            ORDERS_HEADER,
            &[("xl/styles.xml", styles.as_bytes())],
        );
        let fmt = sniff::sniff(&book, "styles.xlsx", limits).unwrap();
        match open(&book, &fmt, limits, Some(Dataset::Sales)) {
            Err(EngineError::Rejected(r)) => {
                assert_eq!(r.code(), "too_large");
                assert!(r.to_string().contains("save it as CSV"), "{r}");
            }
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("opened"),
        }
        // Within the limit (its 60,000 formats counted as read, not only as XML), the same
        // workbook is read.
        let roomy = Limits {
            max_workbook_bytes: 16 << 20,
            ..limits
        };
        assert!(open(&book, &fmt, roomy, Some(Dataset::Sales)).is_ok());
    }

    /// Cells that each name one long shared string are each a copy of it once read: a 53 KB
    /// workbook needed 3 GB and ended the process. Past the workbook limit of text the sheet is
    /// refused while it is read; the same workbook with fewer such cells is read.
    #[test]
    fn a_long_shared_string_repeated_in_many_cells_is_refused_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            max_workbook_bytes: 1 << 20,
            ..Limits::default()
        };
        assert_eq!(max_text_bytes(limits), 1 << 20);
        let shared = format!(
            r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>{}</t></si></sst>"#,
            "x".repeat(64 * 1024)
        );
        let book = |name: &str, cells: u32| {
            let rows: String = (3..3 + cells)
                .map(|r| format!(r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>A-{r}</t></is></c><c r="B{r}"><v>45000</v></c><c r="C{r}"><v>1</v></c><c r="D{r}" t="s"><v>0</v></c></row>"#))
                .collect();
            xlsx_of(
                dir.path(),
                name,
                &format!("{ORDERS_HEADER}{rows}"),
                &[("xl/sharedStrings.xml", shared.as_bytes())],
            )
        };
        // 20 copies of 64 KiB (1.25 MiB) from 70 KB of parts.
        let repeated = book("repeated.xlsx", 20);
        let fmt = sniff::sniff(&repeated, "repeated.xlsx", limits).unwrap();
        match open(&repeated, &fmt, limits, Some(Dataset::Sales)) {
            Err(EngineError::Rejected(r)) => {
                assert_eq!(r.code(), "too_large");
                assert!(
                    r.to_string()
                        .starts_with("sheet \"Orders\" holds more than 1048576 bytes of text"),
                    "{r}"
                );
            }
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("opened"),
        }
        let few = book("few.xlsx", 10);
        let mut opened = open(&few, &fmt, limits, Some(Dataset::Sales)).unwrap();
        assert_eq!(rows_of(&mut opened).len(), 11);
    }

    /// A UTF-8 file that starts with a UTF-16 byte order mark (`FF FE`) was read as UTF-16 into
    /// one garbage column and refused `missing_columns`: the mark is skipped and the rows read,
    /// also gzip-compressed, whose reader cannot seek past it.
    #[test]
    fn a_utf16_bom_before_utf8_text_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let text =
            b"\xFF\xFEInvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,2,2023-01-05,1.50,C\xC3\xB6\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text).unwrap();
        for (name, bytes) in [("bom.csv", text.to_vec()), ("bom.csv.gz", gz.finish().unwrap())] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let fmt = sniff::sniff(&path, name, Limits::default()).unwrap();
            assert_eq!(fmt.ignored_bom, Some("utf-16le"), "{name}");
            let mut opened = open(&path, &fmt, Limits::default(), None).unwrap();
            assert_eq!(opened.headers[0], "InvoiceNo", "{name}");
            assert_eq!(opened.guessed, Some(Dataset::Sales), "{name}");
            assert_eq!(
                rows_of(&mut opened),
                [(
                    2,
                    ["1", "2", "2023-01-05", "1.50", "Cö"].map(String::from).to_vec()
                )],
                "{name}"
            );
        }
    }

    /// The CLI guesses a loose workbook's dataset before ingesting it: it read every sheet whole
    /// for that, then again for the ingest. The guess reads each sheet only as far as the header
    /// search: a workbook whose rows below would refuse it for their size is not read that far,
    /// and the guess is the one opening it gives.
    #[test]
    fn a_workbook_is_read_only_to_its_header_for_the_dataset_guess() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            max_workbook_bytes: 1 << 20,
            ..Limits::default()
        };
        let shared = format!(
            r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>{}</t></si></sst>"#,
            "x".repeat(64 * 1024)
        );
        let title = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Sales 2024</t></is></c></row>"#;
        let header = r#"<row r="3"><c r="A3" t="inlineStr"><is><t>Order ID</t></is></c><c r="B3" t="inlineStr"><is><t>Order Date</t></is></c><c r="C3" t="inlineStr"><is><t>Amount</t></is></c></row>"#;
        let book = |name: &str, cells: u32| {
            let rows: String = (5..5 + cells)
                .map(|r| format!(r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>A-{r}</t></is></c><c r="B{r}"><v>45000</v></c><c r="C{r}"><v>1</v></c><c r="D{r}" t="s"><v>0</v></c></row>"#))
                .collect();
            xlsx_of(
                dir.path(),
                name,
                &format!("{title}{header}{rows}"),
                &[("xl/sharedStrings.xml", shared.as_bytes())],
            )
        };
        let few = book("few.xlsx", 10);
        let fmt = sniff::sniff(&few, "few.xlsx", limits).unwrap();
        let opened = open(&few, &fmt, limits, None).unwrap();
        assert_eq!((opened.guessed, opened.header_line), (Some(Dataset::Sales), 3));
        assert_eq!(guess(&few, &fmt, limits), Some(Dataset::Sales));
        // 20 copies of 64 KiB are more text than the limit lets a sheet hold.
        let many = book("many.xlsx", 20);
        match open(&many, &fmt, limits, None) {
            Err(EngineError::Rejected(r)) => assert_eq!(r.code(), "too_large", "{r}"),
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("opened"),
        }
        assert_eq!(guess(&many, &fmt, limits), Some(Dataset::Sales));
    }

    /// Every row read, as (line, reason of a quarantined row, cells).
    fn entries_of(opened: &mut Opened) -> Vec<(u64, Option<String>, Vec<String>)> {
        let mut rows = Rows::default();
        while opened.source.next(&mut rows).unwrap() {}
        let cells = |r: super::super::rows::Row<'_>| r.iter().map(str::to_string).collect();
        rows.iter()
            .map(|e| match e {
                Entry::Row(line, r) => (line, None, cells(r)),
                Entry::Bad(line, reason, detail, r) => (
                    line,
                    Some(format!("{reason}: {detail}")),
                    r.map_or_else(Vec::new, cells),
                ),
            })
            .collect()
    }

    /// A workbook row of more text than a CSV row may hold (one runaway cell, from the shared
    /// strings, or several long ones) is quarantined `row_too_large` with its cells cut, as a CSV
    /// row is, and the rows around it are read. A 200 MB cell had been written into Parquet as a
    /// product name (1.4 GB at the peak).
    #[test]
    fn a_workbook_row_over_the_row_limit_is_quarantined_cut() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits::default();
        let shared = format!(
            r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>{}</t></si></sst>"#,
            "x".repeat(MAX_RECORD_BYTES + 10)
        );
        let row = |r: u32, extra: &str| {
            format!(
                r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>A-{r}</t></is></c><c r="B{r}"><v>45000</v></c><c r="C{r}"><v>1</v></c>{extra}</row>"#
            )
        };
        let half = "y".repeat(MAX_RECORD_BYTES / 2 + 1);
        let rows = [
            ORDERS_HEADER.to_string(),
            row(3, r#"<c r="D3" t="s"><v>0</v></c>"#),
            row(
                4,
                &format!(r#"<c r="D4" t="inlineStr"><is><t>{half}</t></is></c><c r="E4" t="inlineStr"><is><t>{half}</t></is></c>"#),
            ),
            row(5, ""),
        ]
        .concat();
        let book = xlsx_of(
            dir.path(),
            "long.xlsx",
            &rows,
            &[("xl/sharedStrings.xml", shared.as_bytes())],
        );
        let fmt = sniff::sniff(&book, "long.xlsx", limits).unwrap();
        let got = entries_of(&mut open(&book, &fmt, limits, Some(Dataset::Sales)).unwrap());
        let lines: Vec<(u64, Option<&str>)> = got
            .iter()
            .map(|(l, bad, _)| (*l, bad.as_deref().map(|b| b.split(':').next().unwrap())))
            .collect();
        assert_eq!(
            lines,
            [
                (2, None),
                (3, Some("row_too_large")),
                (4, Some("row_too_large")),
                (5, None)
            ]
        );
        let detail = got[1].1.as_deref().unwrap();
        assert!(
            detail.contains(&format!(
                "the row holds {} bytes of text",
                MAX_RECORD_BYTES + 10 + 9
            )),
            "{detail}"
        );
        for (_, _, cells) in &got[1..3] {
            assert_eq!(cells[0].len(), 3);
            assert!(cells.iter().all(|c| c.len() <= KEEP_CELL_BYTES));
            assert_eq!(cells[3].len(), KEEP_CELL_BYTES);
        }
        assert_eq!(got[3].2, ["A-5", "2023-03-15T00:00:00", "1", "", ""]);
        // Held cut, such cells count as what is held against the sheet's text: three copies of
        // the 8 MiB string would pass twice a 10 MiB workbook limit, their cut ends do not.
        let tight = Limits {
            max_workbook_bytes: 10 << 20,
            ..limits
        };
        let copies = (3..6)
            .map(|r| row(r, &format!(r#"<c r="D{r}" t="s"><v>0</v></c>"#)))
            .collect::<String>();
        let book = xlsx_of(
            dir.path(),
            "copies.xlsx",
            &format!("{ORDERS_HEADER}{copies}"),
            &[("xl/sharedStrings.xml", shared.as_bytes())],
        );
        let got = entries_of(&mut open(&book, &fmt, tight, Some(Dataset::Sales)).unwrap());
        let bad = got.iter().filter(|(_, bad, _)| bad.is_some()).count();
        assert_eq!((got.len(), bad), (4, 3));
    }

    /// A cell whose value does not fit its type rejected the whole workbook ("Parse float error",
    /// no sheet or cell named). Now such a cell is read as its text where calamine's error gives
    /// it (a boolean or error cell), else its row is quarantined `bad_cell` naming the cell,
    /// even a row holding nothing else; the rows around it are read. An error that is not one
    /// cell's still refuses the workbook, naming the sheet and the last cell read.
    #[test]
    fn a_cell_whose_value_does_not_fit_its_type_costs_its_row_not_the_workbook() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits::default();
        let row = |r: u32, amount: &str, extra: &str| {
            format!(
                r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>A-{r}</t></is></c><c r="B{r}"><v>45000</v></c>{amount}{extra}</row>"#
            )
        };
        let good = |r: u32| row(r, &format!(r#"<c r="C{r}"><v>{r}</v></c>"#), "");
        let rows = [
            ORDERS_HEADER.to_string(),
            row(3, r#"<c r="C3" t="n"><v>abc</v></c>"#, ""),
            good(4),
            row(
                5,
                r#"<c r="C5"><v>5</v></c>"#,
                r#"<c r="D5" t="b"><v>banana</v></c><c r="E5" t="e"><v>#OOPS!</v></c>"#,
            ),
            row(
                6,
                r#"<c r="C6" t="s"><v>7</v></c>"#,
                r#"<c r="D6" t="x"><v>1</v></c>"#,
            ),
            r#"<row r="7"><c r="C7" t="n"><v>1,5</v></c></row>"#.to_string(),
            good(8),
        ]
        .concat();
        let book = xlsx_of(dir.path(), "cells.xlsx", &rows, &[]);
        let fmt = sniff::sniff(&book, "cells.xlsx", limits).unwrap();
        let got = entries_of(&mut open(&book, &fmt, limits, Some(Dataset::Sales)).unwrap());
        let shown: Vec<(u64, Option<&str>, Vec<&str>)> = got
            .iter()
            .map(|(l, bad, cells)| (*l, bad.as_deref(), cells.iter().map(String::as_str).collect()))
            .collect();
        let day = "2023-03-15T00:00:00";
        assert_eq!(
            shown,
            [
                (2, None, vec!["A-1", day, "12.5", "", ""]),
                (
                    3,
                    Some(
                        "bad_cell: cell C3 of sheet \"Orders\" is stored as a number but holds something else, \
                         whose text the workbook reader does not give (type the value again in Excel)"
                    ),
                    vec!["A-3", day, "", "", ""]
                ),
                (4, None, vec!["A-4", day, "4", "", ""]),
                (5, None, vec!["A-5", day, "5", "banana", "#OOPS!"]),
                (
                    6,
                    Some(
                        "bad_cell: cell C6 of sheet \"Orders\" names a shared text the workbook does not have \
                         (and 1 more cells of the row)"
                    ),
                    vec!["A-6", day, "", "", ""]
                ),
                (
                    7,
                    Some(
                        "bad_cell: cell C7 of sheet \"Orders\" is stored as a number but holds something else, \
                         whose text the workbook reader does not give (type the value again in Excel)"
                    ),
                    vec!["", "", "", "", ""]
                ),
                (8, None, vec!["A-8", day, "8", "", ""]),
            ]
        );

        let broken = xlsx_of(
            dir.path(),
            "broken.xlsx",
            &format!(r#"{ORDERS_HEADER}<row r="3"><c r="A3"><x>1</x></c></row>"#),
            &[],
        );
        match open(&broken, &fmt, limits, Some(Dataset::Sales)) {
            Err(EngineError::Rejected(r)) => {
                assert_eq!(r.code(), "malformed_file");
                assert!(
                    r.to_string().contains(r#"sheet "Orders", after cell C2: "#),
                    "{r}"
                );
            }
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("opened"),
        }
    }

    /// A text file whose first lines are all too long to be rows is refused saying so: as one
    /// line without any line break, as a line too long, or as a header of more columns than a row
    /// may have, with the limit; none is "not valid UTF-8".
    #[test]
    fn a_file_of_lines_too_long_is_refused_as_such_not_as_bad_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let long = "a".repeat(MAX_RECORD_BYTES + 1000);
        for (name, text, says) in [
            (
                "one_line.csv",
                long.clone(),
                "the file is not readable as text: it has no line break, and its one line holds more than the 8388608 bytes (8 MiB)",
            ),
            (
                "long_lines.csv",
                format!("{long}\n{long}\n"),
                "the file is not readable as text: line 1 is too long: it holds more than the 8388608 bytes (8 MiB)",
            ),
            // Plain ASCII: it was called "not valid UTF-8", then "more fields than a row may have".
            (
                "wide.csv",
                format!(
                    "{}\n{}\n",
                    (0..16_385).map(|i| format!("c{i}")).collect::<Vec<_>>().join(","),
                    ",1".repeat(16_384)
                ),
                "the file is not readable as text: line 1 has too many columns to be the header or a row: \
                 it has 16385 fields, more than the 16384 a row may have",
            ),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let fmt = sniff::sniff(&path, name, Limits::default()).unwrap();
            match open(&path, &fmt, Limits::default(), None) {
                Err(EngineError::Rejected(r)) => {
                    assert_eq!(r.code(), "malformed_file", "{name}: {r}");
                    assert!(r.to_string().starts_with(says), "{name}: {r}");
                }
                Err(e) => panic!("{name}: unexpected error {e}"),
                Ok(_) => panic!("{name}: opened"),
            }
        }
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
        assert_eq!(Limits::workbook_bytes_for_memory(1024), 256 * 1024 * 1024);
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

    /// What each kind of Excel number format says about the currency it shows.
    #[test]
    fn the_currency_a_number_format_shows() {
        for (code, shown) in [
            (r##"#,##0.00 "€""##, Some("EUR")),
            (r##"#,##0.00\ "€";[Red]\-#,##0.00\ "€""##, Some("EUR")),
            ("[$€-407] #,##0.00", Some("EUR")),
            ("#,##0.00 [$€-1]", Some("EUR")),
            ("#,##0.00 €", Some("EUR")),
            (r##"#,##0.00 "EUR""##, Some("EUR")),
            ("[$EUR] #,##0.00", Some("EUR")),
            ("£#,##0.00", Some("GBP")),
            (r##""£"#,##0.00"##, Some("GBP")),
            // A bare dollar is left to be read as a typed one is.
            (r##""$"#,##0.00"##, Some("$")),
            (r##"\$#,##0.00"##, Some("$")),
            (
                r##"_("$"* #,##0.00_);_("$"* \(#,##0.00\);_("$"* "-"??_);_(@_)"##,
                Some("$"),
            ),
            (r##""$"#,##0.00" USD""##, Some("USD")),
            // Excel's built-in accounting format (id 44).
            (
                r##"_($* #,##0.00_);_($* (#,##0.00);_($* "-"??_);_(@_)"##,
                Some("$"),
            ),
            ("[$$-409]#,##0.00", Some("USD")),
            ("[$$-1009]#,##0.00", Some("CAD")),
            ("[$$-C09]#,##0.00", Some("AUD")),
            ("[$$-2C0A]#,##0.00", None),
            ("US$#,##0.00", Some("USD")),
            (
                r##"_-* #,##0 "ریال"_-;\-* #,##0 "ریال"_-;_-* "-"_-;_-@_-"##,
                Some("IRR"),
            ),
            ("[$ريال-429] #,##0", Some("IRR")),
            ("#,##0 ریال", Some("IRR")),
            (r##"#,##0 "تومان""##, Some("IRT")),
            ("#,##0\u{200f} \"تومان\"", Some("IRT")),
            (r##"#,##0" ت""##, Some("IRT")),
            ("[$IRR] #,##0", Some("IRR")),
            // No currency: plain numbers, dates, padding the width of a sign, unknown signs, a
            // locale tag without one, and two currencies at once.
            ("General", None),
            ("#,##0.00", None),
            ("0%", None),
            ("yyyy-mm-dd", None),
            ("[$-409]mmmm d, yyyy", None),
            ("#,##0.00 _€", None),
            ("* #,##0.00", None),
            (r##"#,##0.00 "kr""##, None),
            ("[Red]#,##0.00", None),
            (r##"#,##0 "هزار تومان""##, None),
            (r##""$"#,##0.00;"€"#,##0.00"##, None),
        ] {
            assert_eq!(format_currency(code), shown, "{code}");
        }
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
    /// what to do, not with a reader's error or advice to unzip them. The spreadsheet is known by
    /// its first bytes, so the report calls its container `ods`, not `xlsx`.
    #[test]
    fn a_password_protected_workbook_and_an_ods_file_are_named_as_such() {
        let broken = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/broken");
        let path = broken.join("password.xlsx");
        let fmt = sniff::sniff(&path, "password.xlsx", Limits::default()).unwrap();
        let ods = broken.join("sheet.ods");
        let ods_fmt = sniff::sniff(&ods, "sheet.ods", Limits::default()).unwrap();
        assert_eq!(ods_fmt.container, Container::Ods);
        let refusals = [
            (
                "password.xlsx",
                open(&path, &fmt, Limits::default(), None).map(|_| ()),
            ),
            (
                "sheet.ods",
                open(&ods, &ods_fmt, Limits::default(), None).map(|_| ()),
            ),
        ];
        for ((name, got), says) in refusals.into_iter().zip([
            "a password-protected workbook",
            "an OpenDocument spreadsheet (.ods)",
        ]) {
            match got {
                Err(EngineError::Rejected(r)) => {
                    assert_eq!(r.code(), "unsupported_format", "{name}: {r}");
                    assert!(r.to_string().starts_with(says), "{name}: {r}");
                }
                _ => panic!("{name}: expected a rejection"),
            }
        }
    }
}
