//! Splitting delimited text into records. Almost every line of a real export has no quote
//! character: such a line is found with `memchr`, split in one SSE2 pass over its bytes and copied
//! once into [`Rows`]; only lines that hold a quote (or a lone carriage return) go through
//! `csv_core`'s state machine. On the 10 M-row benchmark file `csv::Reader` spent ~1.3 s of CPU
//! here, a fifth of the ingest; this reader 0.9 s (BENCHMARKS.md, "Update (18:50 UTC)").
//!
//! Records mean what they mean to `csv` with `flexible(true)` and the CRLF terminator: fields
//! split at the delimiter; `\n`, `\r\n` or a lone `\r` end a record; quoted fields may hold
//! delimiters, quotes (doubled) and line breaks; blank lines are skipped; a UTF-8 byte order mark
//! at the start is dropped. Each record comes with the physical line it starts on (1-based).
//! One departure: once the header's width is known, a quote that opens a field and never closes
//! does not swallow the lines after it (see `stray_quote_line`).

use std::io::Read;

use csv_core::{ReadRecordResult, ReaderBuilder};

use super::rows::Rows;
use super::sniff;

/// Read size; also the longest line split without the state machine.
const BLOCK: usize = 1 << 20;

/// The most bytes of cell text one record may hold (8 MiB). A longer record (a runaway quoted
/// cell, a dump pasted into a note) is not collected: its first cells are kept, cut (see
/// [`KEEP_CELLS`]), the rest of it is read past, and it is quarantined `row_too_large`. Held
/// whole, such a record cost ~6× its size by the time it was written (a 100 MB cell: 615 MB).
pub const MAX_RECORD_BYTES: usize = 8 << 20;
/// The fewest fields a record may have before it is cut: Excel's column limit (16,384).
const MIN_FIELD_CAP: usize = 16 * 1024;
/// With a header, a record may have 8 times its fields, between [`MIN_FIELD_CAP`] and this.
const MAX_FIELD_CAP: usize = 128 * 1024;
/// A record cut for its size keeps at most this many cells (or the header's count, if more)...
const KEEP_CELLS: usize = 64;
/// ...each at most this many bytes, so that its quarantine line stays small.
pub const KEEP_CELL_BYTES: usize = 1024;

/// One step of [`DelimitedReader::next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The record that starts on this line was appended to the rows.
    Record(u64),
    /// The record starting on this line is not valid UTF-8 nor text in a legacy code page (see
    /// [`push_not_utf8`]): it was appended as a bad row, its cells decoded lossily.
    BadUtf8(u64),
    /// The record starting on this line has more fields than any row can (`too_many_fields`) or
    /// more than [`MAX_RECORD_BYTES`] of text (`row_too_large`): it was read past and appended
    /// as a bad row with its first cells, cut.
    TooLarge(u64),
    End,
}

pub struct DelimitedReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Unread data is `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
    /// Line of `buf[start]`.
    line: u64,
    /// `buf[start..scanned]` is known to hold no `\n` (saves rescanning long CR-only text).
    scanned: usize,
    bom_checked: bool,
    delimiter: u8,
    quote: u8,
    /// Quoted records are split by `csv_core` into these.
    core: csv_core::Reader,
    fields: Vec<u8>,
    ends: Vec<usize>,
    /// Delimiter positions in the current line.
    cuts: Vec<usize>,
    /// Fields of a record, once the header is known (see [`Self::expect_fields`]).
    width: Option<usize>,
    /// A record with more fields than this is cut (see [`field_cap`]).
    max_fields: usize,
    /// The data read so far ends with a `\r` whose line is not counted yet (see [`line_breaks`]).
    cr_pending: bool,
}

impl<R: Read> DelimitedReader<R> {
    pub fn new(inner: R, delimiter: u8, quote: u8) -> Self {
        DelimitedReader {
            inner,
            buf: vec![0; BLOCK],
            start: 0,
            end: 0,
            eof: false,
            line: 1,
            scanned: 0,
            bom_checked: false,
            delimiter,
            quote,
            core: ReaderBuilder::new().delimiter(delimiter).quote(quote).build(),
            fields: vec![0; 4096],
            ends: vec![0; 64],
            cuts: Vec::new(),
            width: None,
            max_fields: field_cap(None),
            cr_pending: false,
        }
    }

    /// The line the next record starts on (1-based): 1 until a line break is read past.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Tells the reader how many fields a record has (the header's). With it, a quote that opens a
    /// field and never closes is recognised before it stretches a record over later lines.
    pub fn expect_fields(&mut self, width: usize) {
        self.width = Some(width);
        self.max_fields = field_cap(self.width);
    }

    /// Moves the unread data to the front and reads more after it. Sets `eof` when the source
    /// has nothing more.
    fn fill(&mut self) -> std::io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.scanned = self.scanned.saturating_sub(self.start);
            self.start = 0;
        }
        // The callers read only when there is room, but a full buffer must never pass for the
        // end of the data (a zero-byte read).
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The index of the next `\n` in the unread data, if it is in the buffer.
    fn next_newline(&mut self) -> Option<usize> {
        let from = self.scanned.max(self.start);
        match memchr::memchr(b'\n', &self.buf[from..self.end]) {
            Some(i) => Some(from + i),
            None => {
                self.scanned = self.end;
                None
            }
        }
    }

    pub fn next(&mut self, out: &mut Rows) -> std::io::Result<Step> {
        loop {
            if self.cr_pending && self.start < self.end {
                // A lone CR ended the last record, unless a LF follows (then that LF is counted).
                self.cr_pending = false;
                if self.buf[self.start] != b'\n' {
                    self.line += 1;
                }
            }
            // Blank lines of old Mac text (lone CRs) are lines too; a CR whose next byte is not
            // read yet waits for it.
            if self.start < self.end && self.buf[self.start] == b'\r' {
                match self.buf[self.start + 1..self.end].first() {
                    Some(b'\n') => {}
                    None if !self.eof => {
                        self.fill()?;
                        continue;
                    }
                    _ => {
                        self.start += 1;
                        self.line += 1;
                        continue;
                    }
                }
            }
            if self.start == self.end {
                if self.eof {
                    return Ok(Step::End);
                }
                self.fill()?;
                continue;
            }
            if !self.bom_checked {
                // Only decided once three bytes are in (or the source ended).
                if self.end - self.start < 3 && !self.eof {
                    self.fill()?;
                    continue;
                }
                self.bom_checked = true;
                if self.buf[self.start..self.end].starts_with(b"\xEF\xBB\xBF") {
                    self.start += 3;
                }
                continue;
            }
            let line_end = match self.next_newline() {
                Some(i) => i,
                None if self.eof => self.end,
                // Room to read the rest of the line: read and look again.
                None if self.start > 0 || self.end < self.buf.len() => {
                    self.fill()?;
                    continue;
                }
                // A "line" longer than the buffer (or text ending lines with CR only).
                None => return self.quoted(out),
            };
            let text = &self.buf[self.start..line_end];
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if text.is_empty() {
                self.consume_line(line_end);
                continue;
            }
            if !self.delimiter.is_ascii() {
                return self.quoted(out);
            }
            self.cuts.clear();
            let found = scan(text, self.delimiter, self.quote, &mut self.cuts);
            if found.special {
                return self.quoted(out);
            }
            let line = self.line;
            // One compare per line: a line under `BLOCK` with more fields than any row can have
            // (`,abc` repeated) is quarantined with its first cells, not handed up whole.
            if self.cuts.len() >= self.max_fields {
                let fields = self.cuts.len() + 1;
                let cells = self.cuts.iter().copied().chain([text.len()]).scan(0, |from, to| {
                    let cell = &text[*from..to];
                    *from = to + 1;
                    Some(cell)
                });
                let (reason, detail) = self.oversize_detail(fields, text.len());
                push_cut(out, line, reason, detail, self.keep_cells(), cells);
                self.consume_line(line_end);
                return Ok(Step::TooLarge(line));
            }
            let utf8 = if found.ascii {
                // SAFETY: every byte is ASCII, so the bytes are valid UTF-8.
                Ok(unsafe { std::str::from_utf8_unchecked(text) })
            } else {
                std::str::from_utf8(text)
            };
            let step = match utf8 {
                // An ASCII delimiter's positions are char boundaries.
                Ok(s) => {
                    out.push_line(line, s, &self.cuts);
                    Step::Record(line)
                }
                Err(_) => {
                    let cells = self.cuts.iter().copied().chain([text.len()]).scan(0, |from, to| {
                        let cell = &text[*from..to];
                        *from = to + 1;
                        Some(cell)
                    });
                    push_not_utf8(out, line, &cells.collect::<Vec<_>>())
                }
            };
            self.consume_line(line_end);
            return Ok(step);
        }
    }

    /// Skips past the line ending at `line_end` (a `\n`, or the end of the data).
    fn consume_line(&mut self, line_end: usize) {
        if line_end < self.end {
            self.start = line_end + 1;
            self.line += 1;
        } else {
            self.start = line_end;
        }
    }

    /// Reads one record with `csv_core`, from the current position (the start of a record).
    fn quoted(&mut self, rows: &mut Rows) -> std::io::Result<Step> {
        if let Some(step) = self.stray_quote_line(rows)? {
            return Ok(step);
        }
        let line = self.line;
        let (mut out, mut nends) = (0, 0);
        // Once the record passes a cap, the cells read so far stay as they are and the rest of
        // the record is read into `skip` and dropped, counted in `over` (fields, bytes).
        let mut over: Option<(usize, usize)> = None;
        let (mut skip, mut skip_ends) = (Vec::new(), Vec::new());
        loop {
            let input = &self.buf[self.start..self.end];
            let (res, nin, nout, nend) = match over {
                None => self
                    .core
                    .read_record(input, &mut self.fields[out..], &mut self.ends[nends..]),
                Some(_) => self.core.read_record(input, &mut skip, &mut skip_ends),
            };
            self.line += line_breaks(&input[..nin], &mut self.cr_pending);
            self.start += nin;
            match &mut over {
                None => {
                    out += nout;
                    nends += nend;
                }
                Some((fields, bytes)) => {
                    *fields += nend;
                    *bytes += nout;
                }
            }
            match res {
                ReadRecordResult::InputEmpty => {
                    // An empty input tells csv_core the data ended, so only fill when there is more.
                    if !self.eof {
                        self.fill()?;
                    }
                }
                // A check per growth of a buffer, not per row.
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull if over.is_none() => {
                    if out >= MAX_RECORD_BYTES || nends >= self.max_fields {
                        over = Some((nends, out));
                        (skip, skip_ends) = (vec![0; 64 * 1024], vec![0; 1024]);
                    } else if res == ReadRecordResult::OutputFull {
                        let n = self.fields.len();
                        self.fields.resize(n * 2, 0);
                    } else {
                        let n = self.ends.len();
                        self.ends.resize(n * 2, 0);
                    }
                }
                // Skipping: `skip` is read into again.
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::Record => break,
                ReadRecordResult::End => return Ok(Step::End),
            }
        }
        if let Some((fields, bytes)) = over {
            // The cell being read when the cap was hit is kept too, as far as it was read.
            let last = nends.checked_sub(1).map_or(0, |i| self.ends[i]);
            let cells = self.ends[..nends]
                .iter()
                .copied()
                .chain((last < out).then_some(out))
                .scan(0, |from, to| {
                    let cell = &self.fields[*from..to];
                    *from = to;
                    Some(cell)
                });
            let (reason, detail) = self.oversize_detail(fields, bytes);
            push_cut(rows, line, reason, detail, self.keep_cells(), cells);
            // The buffers grown for it go back to their first size.
            self.fields = vec![0; 4096];
            self.ends = vec![0; 64];
            return Ok(Step::TooLarge(line));
        }
        let ends = &self.ends[..nends];
        let Ok(s) = std::str::from_utf8(&self.fields[..out]) else {
            let cells: Vec<&[u8]> = ends
                .iter()
                .scan(0, |from, &to| {
                    let cell = &self.fields[*from..to];
                    *from = to;
                    Some(cell)
                })
                .collect();
            return Ok(push_not_utf8(rows, line, &cells));
        };
        // Cells end where csv_core says; with a delimiter that is not ASCII such an end can fall
        // inside a character, and the record cannot be read as text.
        if !ends.iter().all(|&e| s.is_char_boundary(e)) {
            rows.push_bad(line, "bad_encoding", NOT_UTF8.into());
            return Ok(Step::BadUtf8(line));
        }
        rows.push_cells(
            line,
            ends.iter().scan(0, |from, &to| {
                let cell = &s[*from..to];
                *from = to;
                Some(cell)
            }),
        );
        Ok(Step::Record(line))
    }
}

const NOT_UTF8: &str = "row is not valid UTF-8";

/// The most fields a record may have: 8 times the header's, between [`MIN_FIELD_CAP`] and
/// [`MAX_FIELD_CAP`] (with the floor while the header is not known). A row with more cells than
/// the header is quarantined `too_many_fields` anyway; this only keeps such a row from being
/// held whole (~200 bytes a field by the time it was quarantined: a 20 MB line of `,abc`, 1 GB).
fn field_cap(width: Option<usize>) -> usize {
    width.map_or(MIN_FIELD_CAP, |w| {
        w.saturating_mul(8).clamp(MIN_FIELD_CAP, MAX_FIELD_CAP)
    })
}

impl<R> DelimitedReader<R> {
    /// How many of a cut record's cells are kept.
    fn keep_cells(&self) -> usize {
        self.width.unwrap_or(0).max(KEEP_CELLS)
    }

    /// The reason and detail of a record cut for having `fields` fields and `bytes` bytes of text.
    fn oversize_detail(&self, fields: usize, bytes: usize) -> (&'static str, String) {
        let kept = format!(
            "the record keeps at most its first {} cells, each cut to {KEEP_CELL_BYTES} bytes",
            self.keep_cells()
        );
        if fields >= self.max_fields {
            let header = self
                .width
                .map(|w| format!(" (the header has {w})"))
                .unwrap_or_default();
            (
                "too_many_fields",
                format!(
                    "the row has {fields} fields{header}, more than the {} a row may have: {kept}",
                    self.max_fields
                ),
            )
        } else {
            (
                "row_too_large",
                format!(
                    "the row holds {bytes} bytes of text, more than the {MAX_RECORD_BYTES} bytes \
                     (8 MiB) a row may hold: {kept}"
                ),
            )
        }
    }
}

/// Appends a record cut for its size as a bad row: its first `keep` cells, each cut to
/// [`KEEP_CELL_BYTES`] (at a character boundary), decoded lossily.
fn push_cut<'a>(
    out: &mut Rows,
    line: u64,
    reason: &'static str,
    detail: String,
    keep: usize,
    cells: impl Iterator<Item = &'a [u8]>,
) {
    let cells = cells.take(keep).map(|c| {
        let mut n = c.len().min(KEEP_CELL_BYTES);
        // Back off to the start of a UTF-8 character.
        while n < c.len() && n > 0 && c[n] & 0xC0 == 0x80 {
            n -= 1;
        }
        String::from_utf8_lossy(&c[..n])
    });
    out.push_bad_cells(line, reason, detail, cells);
}

/// A record of a file read as UTF-8 that is not valid UTF-8, given as its cells' bytes. A row a
/// Windows tool appended to a UTF-8 export (or a whole legacy file whose first accented letter
/// lies past the sniffer's sample) holds no UTF-8 character at all: when it decodes cleanly in
/// the code page its bytes point to (Windows-1256 for Persian or Arabic words, else Windows-1252,
/// see [`sniff::windows_code_page`]), it is read as that, like any other row.
/// Otherwise (UTF-8 damaged in the export, a Persian name cut in the middle of a character by a
/// byte-limited field) it is quarantined `bad_encoding`, with its cells decoded lossily (U+FFFD
/// for each byte that is not UTF-8) as the record, so that nothing of it is lost. Only rows that
/// are not UTF-8 come here: valid rows pay nothing for it.
pub(super) fn push_not_utf8(out: &mut Rows, line: u64, cells: &[&[u8]]) -> Step {
    let (mut valid, mut invalid) = (0usize, 0usize);
    for chunk in cells.iter().flat_map(|c| c.utf8_chunks()) {
        valid += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    if valid < invalid {
        let enc = sniff::windows_code_page(&cells.join(&b","[..]));
        if let Some(decoded) = cells
            .iter()
            .map(|c| enc.decode_clean(c))
            .collect::<Option<Vec<String>>>()
        {
            out.push_cells(line, decoded);
            return Step::Record(line);
        }
    }
    out.push_bad_cells(
        line,
        "bad_encoding",
        format!("{NOT_UTF8}: the record shows each byte that is not as \u{FFFD}"),
        cells.iter().map(|c| String::from_utf8_lossy(c)),
    );
    Step::BadUtf8(line)
}

impl<R: Read> DelimitedReader<R> {
    /// A quote that opens a field and is never closed (`"17 inch`, or `"broken note` in the last
    /// column) would make `csv_core` read on to the next quote, or to the end of the file, as one
    /// record: the rows after it lost, and memory growing with them. So before a line with a quote
    /// goes to `csv_core`: when its quotes do not pair up, and it and the line after it, each split
    /// at every delimiter with quotes kept as text, both have exactly the header's fields, the
    /// line is a row of its own and is taken so. A genuine line break inside a quoted field (an
    /// address, a note) continues with text, not with a whole row; narrow files (under three
    /// fields) are left alone, where a whole row is no evidence.
    fn stray_quote_line(&mut self, rows: &mut Rows) -> std::io::Result<Option<Step>> {
        let Some(width) = self.width.filter(|&w| w >= 3) else {
            return Ok(None);
        };
        if !self.delimiter.is_ascii() {
            return Ok(None);
        }
        // The line and the next one, both whole, in the buffer (or the data ends first). Text
        // without line feeds (old Mac) is not read ahead without end: 64 KiB at most.
        const LOOKAHEAD: usize = 64 * 1024;
        let (first_end, next_end) = loop {
            let data = &self.buf[self.start..self.end];
            let first = memchr::memchr(b'\n', data);
            let next = first.map(|f| memchr::memchr(b'\n', &data[f + 1..]).map_or(data.len(), |n| f + 1 + n));
            match (first, next) {
                (Some(f), Some(n)) if n < data.len() || self.eof => break (f, n),
                _ if self.eof || data.len() >= LOOKAHEAD => return Ok(None),
                _ => self.fill()?,
            }
        };
        let data = &self.buf[self.start..self.end];
        let strip = |l: &'_ [u8]| -> usize { l.len() - usize::from(l.last() == Some(&b'\r')) };
        let first = &data[..strip(&data[..first_end])];
        let next = &data[first_end + 1..first_end + 1 + strip(&data[first_end + 1..next_end])];
        let delimiter = self.delimiter;
        let quotes = first.iter().filter(|&&b| b == self.quote).count();
        // Paired quotes (every field quoted, say) are csv_core's to read.
        if quotes % 2 == 0 || next.iter().filter(|&&b| b == delimiter).count() + 1 != width {
            return Ok(None);
        }
        self.cuts.clear();
        scan(first, delimiter, self.quote, &mut self.cuts);
        if self.cuts.len() + 1 != width {
            return Ok(None);
        }
        let line = self.line;
        let step = match std::str::from_utf8(first) {
            Ok(text) => {
                rows.push_line(line, text, &self.cuts);
                Step::Record(line)
            }
            Err(_) => {
                let cells: Vec<&[u8]> = self
                    .cuts
                    .iter()
                    .copied()
                    .chain([first.len()])
                    .scan(0, |from, to| {
                        let cell = &first[*from..to];
                        *from = to + 1;
                        Some(cell)
                    })
                    .collect();
                push_not_utf8(rows, line, &cells)
            }
        };
        self.consume_line(self.start + first_end);
        Ok(Some(step))
    }
}

/// Line breaks in `bytes`: `\n`, `\r\n`, and a lone `\r` (old Mac text, which reaches only
/// `csv_core`). A `\r` ending the slice is left for later (`cr_pending`): its `\n` may be the
/// next byte.
fn line_breaks(bytes: &[u8], cr_pending: &mut bool) -> u64 {
    let Some(&first) = bytes.first() else {
        return 0;
    };
    let carried = std::mem::take(cr_pending) && first != b'\n';
    let lf = memchr::memchr_iter(b'\n', bytes).count();
    let lone_cr = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1).is_some_and(|&b| b != b'\n'))
        .count();
    *cr_pending = bytes.last() == Some(&b'\r');
    (usize::from(carried) + lf + lone_cr) as u64
}

/// What [`scan`] found in a line.
struct Scan {
    /// A quote or a carriage return: only csv_core can split the line.
    special: bool,
    ascii: bool,
}

/// Pushes the positions of `delimiter` in `text` to `cuts`, in one pass that also looks for what
/// only csv_core can read and for bytes beyond ASCII. Cells are ~10 bytes, so a `memchr` call
/// per cell costs more than this.
fn scan(text: &[u8], delimiter: u8, quote: u8, cuts: &mut Vec<usize>) -> Scan {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86_64 baseline: every CPU that runs this binary has it.
        unsafe { scan_sse2(text, delimiter, quote, cuts) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        scan_bytes(text, 0, delimiter, quote, cuts)
    }
}

/// [`scan`] one byte at a time; `offset` is added to the positions.
fn scan_bytes(text: &[u8], offset: usize, delimiter: u8, quote: u8, cuts: &mut Vec<usize>) -> Scan {
    let (mut special, mut high) = (false, 0u8);
    for (i, &b) in text.iter().enumerate() {
        if b == delimiter {
            cuts.push(offset + i);
        }
        special |= b == quote || b == b'\r';
        high |= b;
    }
    Scan {
        special,
        ascii: high.is_ascii(),
    }
}

/// [`scan`] 16 bytes at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn scan_sse2(text: &[u8], delimiter: u8, quote: u8, cuts: &mut Vec<usize>) -> Scan {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let chunks = text.chunks_exact(16);
    let rest = chunks.remainder();
    let (d, q, cr) = (
        _mm_set1_epi8(delimiter as i8),
        _mm_set1_epi8(quote as i8),
        _mm_set1_epi8(b'\r' as i8),
    );
    let (mut special, mut high) = (0i32, 0i32);
    for (k, chunk) in chunks.enumerate() {
        // SAFETY: `chunk` is 16 readable bytes; the load has no alignment requirement.
        let v = unsafe { _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>()) };
        let mut delims = _mm_movemask_epi8(_mm_cmpeq_epi8(v, d)) as u32;
        special |= _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, cr)));
        high |= _mm_movemask_epi8(v);
        while delims != 0 {
            cuts.push(k * 16 + delims.trailing_zeros() as usize);
            delims &= delims - 1;
        }
    }
    let tail = scan_bytes(rest, text.len() - rest.len(), delimiter, quote, cuts);
    Scan {
        special: special != 0 || tail.special,
        ascii: high == 0 && tail.ascii,
    }
}

#[cfg(test)]
mod tests {
    use csv::StringRecord;

    use super::*;
    use crate::ingest::rows::Entry;

    /// The wide scan agrees with the byte loop on every position, quote, CR and non-ASCII byte.
    #[test]
    fn both_scans_agree() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let alphabet = b",;\"\rab1 \xC3\xA9";
        for len in 0..200 {
            for _ in 0..20 {
                let text: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        // Every other line has no quote or CR, so both outcomes are common.
                        let k = (state % 24) as usize;
                        match alphabet.get(k) {
                            Some(b'"' | b'\r') if len % 2 == 0 => b'x',
                            Some(&b) => b,
                            None => b'x',
                        }
                    })
                    .collect();
                let (mut a, mut b) = (Vec::new(), Vec::new());
                let wide = scan(&text, b',', b'"', &mut a);
                let bytes = scan_bytes(&text, 0, b',', b'"', &mut b);
                assert_eq!(a, b, "{text:?}");
                assert_eq!(
                    (wide.special, wide.ascii),
                    (bytes.special, bytes.ascii),
                    "{text:?}"
                );
            }
        }
    }

    /// Every record as (line, fields) or (line, "<bad utf-8>"), read through buffers of `block`
    /// bytes by a reader that hands out at most `chunk` bytes per read.
    /// A reader that hands out at most `.1` bytes per read.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(out.len()).min(self.1);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn read_all(data: &[u8], delimiter: u8, chunk: usize) -> Vec<(u64, Vec<String>)> {
        read_all_expecting(data, delimiter, chunk, None)
    }

    /// As [`read_all`], with the header's width told to the reader.
    fn read_all_expecting(
        data: &[u8],
        delimiter: u8,
        chunk: usize,
        width: Option<usize>,
    ) -> Vec<(u64, Vec<String>)> {
        let mut r = DelimitedReader::new(Trickle(data, chunk), delimiter, b'"');
        if let Some(w) = width {
            r.expect_fields(w);
        }
        let mut rows = Rows::default();
        let mut out = Vec::new();
        loop {
            match r.next(&mut rows).unwrap() {
                Step::Record(l) => {
                    let Some(Entry::Row(line, row)) = rows.last() else {
                        panic!("no row appended")
                    };
                    assert_eq!(line, l);
                    out.push((l, row.iter().map(str::to_string).collect()));
                }
                Step::BadUtf8(l) => out.push((l, vec!["<bad utf-8>".to_string()])),
                Step::TooLarge(l) => {
                    let Some(Entry::Bad(line, reason, _, Some(row))) = rows.last() else {
                        panic!("no bad row appended")
                    };
                    assert_eq!(line, l);
                    let mut cells = vec![format!("<{reason}>")];
                    cells.extend(row.iter().map(str::to_string));
                    out.push((l, cells));
                }
                Step::End => return out,
            }
        }
    }

    /// The same records, lines and fields as `csv::Reader` (flexible, no headers), whose
    /// lines are right for LF files without blank lines.
    fn csv_crate(data: &[u8], delimiter: u8) -> Vec<(u64, Vec<String>)> {
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(data);
        let mut rec = StringRecord::new();
        let mut out = Vec::new();
        loop {
            match r.read_record(&mut rec) {
                Ok(true) => out.push((
                    rec.position().unwrap().line(),
                    rec.iter().map(str::to_string).collect(),
                )),
                Ok(false) => return out,
                Err(e) => match e.kind() {
                    csv::ErrorKind::Utf8 { pos, .. } => {
                        out.push((pos.as_ref().unwrap().line(), vec!["<bad utf-8>".to_string()]))
                    }
                    _ => panic!("{e}"),
                },
            }
        }
    }

    fn fields(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plain_and_quoted_records_split_like_the_csv_crate() {
        let data = "id,name,note\n1,Ali,plain\n2,\"Doe, Jane\",\"said \"\"hi\"\"\"\n3,,\n\
                    4,\"two\nlines\",x\n5,رضا,۱۲۳\n6,a\"b,c\n7\n8,x,y,z,w\n"
            .as_bytes();
        for chunk in [1, 2, 3, 7, 64, 1 << 20] {
            let got = read_all(data, b',', chunk);
            assert_eq!(got, csv_crate(data, b','), "chunk {chunk}");
        }
        let got = read_all(data, b',', 1 << 20);
        assert_eq!(got[2], (3, fields(&["2", "Doe, Jane", "said \"hi\""])));
        assert_eq!(got[4], (5, fields(&["4", "two\nlines", "x"])));
        // The record after a quoted line break starts on the line after it.
        assert_eq!(got[5], (7, fields(&["5", "رضا", "۱۲۳"])));
        assert_eq!(got[6].1, fields(&["6", "a\"b", "c"]));
    }

    #[test]
    fn line_endings_blank_lines_and_bom() {
        let crlf = b"\xEF\xBB\xBFa;b\r\n1;2\r\n\r\n3;\"x\r\ny\"\r\n4;5";
        assert_eq!(
            read_all(crlf, b';', 1 << 20),
            [
                (1, fields(&["a", "b"])),
                (2, fields(&["1", "2"])),
                // Line 3 is blank; lines are physical lines, also with CRLF.
                (4, fields(&["3", "x\r\ny"])),
                (6, fields(&["4", "5"])),
            ]
        );
        for chunk in [1, 2, 5] {
            assert_eq!(
                read_all(crlf, b';', chunk),
                read_all(crlf, b';', 1 << 20),
                "chunk {chunk}"
            );
        }
        // Old Mac line endings: every CR ends a record and a line.
        for chunk in [1, 2, 3, 1 << 20] {
            assert_eq!(
                read_all(b"a,b\r1,\"x\ry\"\r3,4\r\r5,6", b',', chunk),
                [
                    (1, fields(&["a", "b"])),
                    (2, fields(&["1", "x\ry"])),
                    (4, fields(&["3", "4"])),
                    (6, fields(&["5", "6"]))
                ],
                "chunk {chunk}"
            );
        }
        assert!(read_all(b"", b',', 4).is_empty());
        assert!(read_all(b"\n\r\n\n", b',', 4).is_empty());
        // Two bytes of a byte order mark are not one: text in Windows-1252.
        assert_eq!(read_all(b"\xEF\xBB", b',', 1), [(1, fields(&["ï»"]))]);
    }

    #[test]
    fn a_stray_quote_is_caught_whatever_the_read_size() {
        let data = b"id,name,qty\n1,\"17 inch,2\n2,lamp,1\n3,\"two\nlines\",4\n4,pen,5\n";
        for chunk in [1, 2, 3, 7, 64, 1 << 20] {
            assert_eq!(
                read_all_expecting(data, b',', chunk, Some(3)),
                [
                    (1, fields(&["id", "name", "qty"])),
                    (2, fields(&["1", "\"17 inch", "2"])),
                    (3, fields(&["2", "lamp", "1"])),
                    (4, fields(&["3", "two\nlines", "4"])),
                    (6, fields(&["4", "pen", "5"])),
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn invalid_utf8_spoils_only_its_record() {
        // Bytes undefined in Windows-1252 (and no Persian word in Windows-1256).
        let data = b"a,b\n1,\x81\n\"2\",\"\x8D\x9D\"\n3,ok\n";
        let got = read_all(data, b',', 1 << 20);
        assert_eq!(
            got,
            [
                (1, fields(&["a", "b"])),
                (2, fields(&["<bad utf-8>"])),
                (3, fields(&["<bad utf-8>"])),
                (4, fields(&["3", "ok"])),
            ]
        );
        assert_eq!(got, csv_crate(data, b','));
    }

    #[test]
    fn lines_longer_than_the_buffer() {
        let long = "x".repeat(3 * BLOCK);
        let data = format!("a,b\n1,{long}\n\"2\",\"{long}\"\n3,z\n");
        let got = read_all(data.as_bytes(), b',', 1 << 16);
        assert_eq!(got.len(), 4);
        assert_eq!(got[1], (2, vec!["1".to_string(), long.clone()]));
        assert_eq!(got[2], (3, vec!["2".to_string(), long]));
        assert_eq!(got[3], (4, fields(&["3", "z"])));
    }

    /// A line of a million fields (longer than the read buffer, so csv_core's), one of 100 k
    /// (split by the fast path) and one whose quoted cells span lines are each handed up as a
    /// `too_many_fields` bad row of their first cells; the rows around them are read as usual.
    #[test]
    fn a_record_with_too_many_fields_is_cut() {
        let header = "a,b,c,d,e,f,g,h\n";
        let many = ",abc".repeat(1_000_000);
        let some = ",abc".repeat(100_000);
        let quoted = ",\"x\ny\"".repeat(20_000);
        let data = format!("{header}1,2,3,4,5,6,7,8{many}\n2,x\n3{some}\n4{quoted}\n5,y\n");
        let mut r = DelimitedReader::new(Trickle(data.as_bytes(), 1 << 16), b',', b'"');
        r.expect_fields(8);
        let mut rows = Rows::default();
        let mut got = Vec::new();
        loop {
            match r.next(&mut rows).unwrap() {
                Step::End => break,
                step => {
                    // The reader never holds more than the cap's worth of a record.
                    assert!(r.ends.len() <= 2 * MIN_FIELD_CAP, "{}", r.ends.len());
                    let e = rows.last().unwrap();
                    got.push(match e {
                        Entry::Row(l, row) => (step, l, String::new(), row.len(), row.get(0).map(str::len)),
                        Entry::Bad(l, reason, detail, Some(row)) => {
                            assert_eq!(reason, "too_many_fields");
                            (step, l, detail.to_string(), row.len(), row.get(1).map(str::len))
                        }
                        Entry::Bad(..) => panic!("no cells"),
                    });
                }
            }
        }
        let kept = "more than the 16384 a row may have: the record keeps at most its first 64 cells";
        assert_eq!(got.len(), 6);
        assert_eq!(got[1].0, Step::TooLarge(2));
        assert!(
            got[1]
                .2
                .starts_with("the row has 1000008 fields (the header has 8), "),
            "{}",
            got[1].2
        );
        assert!(got[1].2.contains(kept), "{}", got[1].2);
        assert_eq!(got[1].3, 64);
        assert_eq!((got[2].0, got[2].3), (Step::Record(3), 2));
        assert_eq!(got[3].0, Step::TooLarge(4));
        assert!(got[3].2.starts_with("the row has 100001 fields"), "{}", got[3].2);
        assert_eq!(got[3].3, 64);
        // The quoted cells' line breaks are counted: the next row is on line 20,006.
        assert_eq!(got[4].0, Step::TooLarge(5));
        assert!(got[4].2.starts_with("the row has 20001 fields"), "{}", got[4].2);
        assert_eq!((got[4].3, got[4].4), (64, Some(3)));
        assert_eq!((got[5].0, got[5].3), (Step::Record(20_006), 2));
        // Rows of up to the cap's fields are read whole.
        let wide = format!("{header}1{}\n", ",".repeat(MIN_FIELD_CAP - 1));
        let got = read_all_expecting(wide.as_bytes(), b',', 1 << 20, Some(8));
        assert_eq!(got[1].1.len(), MIN_FIELD_CAP);
    }

    /// A quoted cell larger than `MAX_RECORD_BYTES`, with line breaks in it, is read past
    /// without being held: its row is a `row_too_large` bad row whose cells are cut.
    #[test]
    fn a_record_over_the_byte_cap_is_cut() {
        let cell = "0123456789\n".repeat(MAX_RECORD_BYTES / 10);
        let data = format!(
            "id,note,qty\n1,ok,2\n2,\"{cell}\",3,4\n3,\"é{}\",5\n4,z,6\n",
            "x".repeat(3 << 20)
        );
        for chunk in [1 << 16, 1 << 20] {
            let got = read_all_expecting(data.as_bytes(), b',', chunk, Some(3));
            assert_eq!(got.len(), 5, "chunk {chunk}");
            assert_eq!(got[1], (2, fields(&["1", "ok", "2"])));
            let (line, cut) = &got[2];
            assert_eq!(*line, 3);
            assert_eq!(cut[0], "<row_too_large>");
            assert_eq!(cut[1], "2");
            // The cell is cut; the cells after it were not reached.
            assert_eq!(cut[2], cell[..KEEP_CELL_BYTES]);
            assert_eq!(cut.len(), 3);
            // A cell under the cap is read whole; the row after the cut one is on its own line.
            assert_eq!(got[3].0, 4 + MAX_RECORD_BYTES as u64 / 10);
            assert_eq!(got[3].1[1].len(), 2 + (3 << 20));
            assert_eq!(
                got[4],
                (5 + MAX_RECORD_BYTES as u64 / 10, fields(&["4", "z", "6"]))
            );
        }
        let mut r = DelimitedReader::new(data.as_bytes(), b',', b'"');
        let mut rows = Rows::default();
        for _ in 0..3 {
            r.next(&mut rows).unwrap();
        }
        let Some(Entry::Bad(_, "row_too_large", detail, _)) = rows.last() else {
            panic!()
        };
        assert!(
            detail.starts_with("the row holds 9227463 bytes of text, more than the 8388608 bytes (8 MiB)"),
            "{detail}"
        );
        assert!(r.fields.len() <= MAX_RECORD_BYTES);
    }
}
