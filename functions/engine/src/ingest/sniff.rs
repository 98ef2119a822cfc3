//! Format detection from the first bytes of a file: compression, container, text encoding,
//! delimiter and quoting. Works on a bounded prefix so that a multi-GB file costs the same as a
//! small one.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde::Serialize;

use super::reject::RejectReason;
use crate::error::{EngineError, Result};

const SAMPLE_BYTES: usize = 256 * 1024;
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    None,
    Gzip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    Delimited,
    Xlsx,
    Xls,
    /// An OpenDocument spreadsheet: named in the report of its refusal, never read.
    Ods,
    JsonLines,
    JsonArray,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TextEncoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-8-bom")]
    Utf8Bom,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
    #[serde(rename = "windows-1252")]
    Windows1252,
    #[serde(rename = "windows-1256")]
    Windows1256,
    /// Central European (Polish, Czech, Slovak, Hungarian): `ł` is 0xB3, `ą` 0xB9, `ż` 0xBF.
    #[serde(rename = "windows-1250")]
    Windows1250,
    /// Latin-9: Windows-1252's letters, with `€` at 0xA4.
    #[serde(rename = "iso-8859-15")]
    Iso8859_15,
    /// DOS Latin-1 (code page 850), as old DOS and AS/400 software in Germany still writes:
    /// `ü` is 0x81, `ö` 0x94, `ß` 0xE1.
    #[serde(rename = "ibm850")]
    Ibm850,
}

impl TextEncoding {
    /// `bytes` in this encoding, when they decode without error to text without C1 control
    /// codes (bytes a single-byte code page leaves undefined).
    pub fn decode_clean(self, bytes: &[u8]) -> Option<String> {
        let text = match self {
            TextEncoding::Ibm850 => decode_cp850(bytes),
            enc => match enc.encoding().decode_without_bom_handling(bytes) {
                (_, true) => return None,
                (text, false) => text.into_owned(),
            },
        };
        (!text.chars().any(|c| ('\u{80}'..='\u{9F}').contains(&c))).then_some(text)
    }
}

/// Code page 850's characters for the bytes 0x80–0xFF.
const CP850: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u{AD}±‗¾¶§÷¸°¨·¹³²■\u{A0}";

/// Decodes code page 850 text.
pub fn decode_cp850(bytes: &[u8]) -> String {
    let high: Vec<char> = CP850.chars().collect();
    bytes
        .iter()
        .map(|&b| {
            if b < 0x80 {
                b as char
            } else {
                high[usize::from(b - 0x80)]
            }
        })
        .collect()
}

/// A reader of code page 850 text that yields it as UTF-8.
pub struct Cp850Reader<R> {
    inner: R,
    high: Vec<char>,
    raw: Vec<u8>,
    /// Decoded bytes not yet handed out: `out[at..]`.
    out: Vec<u8>,
    at: usize,
}

impl<R: Read> Cp850Reader<R> {
    pub fn new(inner: R) -> Self {
        Cp850Reader {
            inner,
            high: CP850.chars().collect(),
            raw: vec![0; 1 << 16],
            out: Vec::new(),
            at: 0,
        }
    }
}

impl<R: Read> Read for Cp850Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.out.len() {
            let n = self.inner.read(&mut self.raw)?;
            self.out.clear();
            self.at = 0;
            for &b in &self.raw[..n] {
                if b < 0x80 {
                    self.out.push(b);
                } else {
                    let mut utf8 = [0; 4];
                    let c = self.high[usize::from(b - 0x80)].encode_utf8(&mut utf8);
                    self.out.extend_from_slice(c.as_bytes());
                }
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl TextEncoding {
    /// The encoding_rs encoding; code page 850, which it lacks, is decoded by [`decode_cp850`]
    /// and [`Cp850Reader`] instead.
    pub fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Ibm850 => encoding_rs::WINDOWS_1252,
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => encoding_rs::UTF_8,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
            TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
            TextEncoding::Windows1256 => encoding_rs::WINDOWS_1256,
            TextEncoding::Windows1250 => encoding_rs::WINDOWS_1250,
            TextEncoding::Iso8859_15 => encoding_rs::ISO_8859_15,
        }
    }
}

/// LibreOffice's, Numbers' and Google's OpenDocument export: a zip archive, but no workbook.
pub const OPEN_DOCUMENT: &str = "an OpenDocument spreadsheet (.ods), which is not read: save it as Excel (.xlsx) or CSV (UTF-8) and upload that";

/// What the sniffer decided; recorded verbatim in the ingest report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Format {
    pub compression: Compression,
    pub container: Container,
    /// Only meaningful for text containers.
    pub encoding: TextEncoding,
    #[serde(serialize_with = "ser_byte")]
    pub delimiter: u8,
    #[serde(serialize_with = "ser_byte")]
    pub quote: u8,
    /// Windows line endings; the CSV reader reports their line numbers one short (see source.rs).
    pub crlf: bool,
    /// A UTF-16 byte order mark (`utf-16le` for `FF FE`, `utf-16be` for `FE FF`) the file starts
    /// with, though the text after it is not UTF-16 (see [`stray_utf16_bom`]): skipped, and the
    /// text read in `encoding`. Left out of the report otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored_bom: Option<&'static str>,
}

fn ser_byte<S: serde::Serializer>(b: &u8, s: S) -> std::result::Result<S::Ok, S::Error> {
    let text = match *b {
        b'\t' => "\\t".to_string(),
        b => (b as char).to_string(),
    };
    s.serialize_str(&text)
}

/// Limits that protect a function from hostile or accidental giant inputs.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest decompressed size accepted.
    pub max_expanded_bytes: u64,
    /// Largest decompressed/compressed ratio accepted once past 64 MiB of output.
    pub max_ratio: u64,
    /// Largest workbook accepted, counted as all its parts uncompressed (sheets, shared strings,
    /// styles, …; or an `.xls` file's size). Excel readers hold a whole sheet, and the styles and
    /// shared strings, in memory, about 3× their size at the peak (356 MB of sheet XML: 1,061 MB
    /// peak RSS), so a larger workbook would end the process for want of memory, with no report.
    pub max_workbook_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_expanded_bytes: 64 * 1024 * 1024 * 1024,
            max_ratio: 200,
            max_workbook_bytes: 4 * 1024 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// The workbook limit for a process with `memory_mb` of memory: a quarter of it, so that a
    /// workbook just under the limit (~3× at the peak) leaves room for the rest of the run. With
    /// a third, one of 356 MB in a 1024 MB function peaked at 1,061 MB.
    pub fn workbook_bytes_for_memory(memory_mb: u64) -> u64 {
        memory_mb * 1024 * 1024 / 4
    }
}

/// A reader that turns a runaway decompression into an error instead of filling the disk or RAM.
pub struct BombGuard<R> {
    inner: R,
    produced: u64,
    compressed: u64,
    limits: Limits,
}

#[derive(Debug)]
pub struct BombError {
    pub compressed: u64,
    pub limit: u64,
}

impl std::fmt::Display for BombError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "decompressed data exceeds {} bytes", self.limit)
    }
}
impl std::error::Error for BombError {}

impl<R: Read> Read for BombGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        let ratio_limit = self
            .compressed
            .saturating_mul(self.limits.max_ratio)
            .max(64 * 1024 * 1024);
        let limit = ratio_limit.min(self.limits.max_expanded_bytes);
        if self.produced > limit {
            return Err(io::Error::other(BombError {
                compressed: self.compressed,
                limit,
            }));
        }
        Ok(n)
    }
}

/// Maps an I/O error raised while reading an input into the right outcome: a bomb is a rejection,
/// anything else is an I/O failure of the run.
pub fn classify_read_error(path: &Path, e: io::Error) -> EngineError {
    if let Some(b) = e.get_ref().and_then(|i| i.downcast_ref::<BombError>()) {
        return RejectReason::CompressionBomb {
            compressed: b.compressed,
            limit: b.limit,
        }
        .into();
    }
    // A corrupt stream is InvalidData/InvalidInput, a truncated one (an interrupted upload)
    // UnexpectedEof; reading the same bytes again would fail the same way, so it is a rejection.
    if matches!(
        e.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof
    ) {
        return RejectReason::Malformed {
            format: "gzip",
            detail: format!("{e} (the compressed data is cut short or damaged; upload the whole file again)"),
        }
        .into();
    }
    EngineError::io(path, e)
}

/// Opens the file and undoes any compression; the result yields the raw (still encoded) bytes.
pub fn open_decompressed(
    path: &Path,
    compression: Compression,
    limits: Limits,
) -> Result<Box<dyn Read + Send>> {
    let file = File::open(path).map_err(|e| EngineError::io(path, e))?;
    let compressed = file.metadata().map_err(|e| EngineError::io(path, e))?.len();
    let reader = BufReader::with_capacity(1 << 20, file);
    Ok(match compression {
        Compression::None => Box::new(reader),
        Compression::Gzip => Box::new(BombGuard {
            inner: GzMembers::new(reader),
            produced: 0,
            compressed,
            limits,
        }),
    })
}

/// The members of a gzip file one after another, as `gzip -d` reads them, and then zero bytes
/// up to the end: tape and block-device copies, and some upload tools, pad a file to a whole
/// block with them. Anything else after a member that is not another member is damage (an
/// error, as before); so is anything but zeros after the first zero.
struct GzMembers<R: BufRead> {
    member: Option<flate2::bufread::GzDecoder<R>>,
}

impl<R: BufRead> GzMembers<R> {
    fn new(inner: R) -> Self {
        GzMembers {
            member: Some(flate2::bufread::GzDecoder::new(inner)),
        }
    }
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = self.member.as_mut() else {
                return Ok(0);
            };
            let n = member.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The member is whole; its decoder read nothing past its trailer.
            let mut rest = self.member.take().expect("checked above").into_inner();
            let mut padded = false;
            loop {
                let data = rest.fill_buf()?;
                let Some(first) = data.first() else {
                    return Ok(0);
                };
                if *first != 0 && !padded {
                    break;
                }
                match data.iter().position(|&b| b != 0) {
                    None => {
                        let len = data.len();
                        rest.consume(len);
                        padded = true;
                    }
                    Some(_) => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "data after the zero bytes that follow the compressed data",
                        ));
                    }
                }
            }
            self.member = Some(flate2::bufread::GzDecoder::new(rest));
        }
    }
}

fn read_prefix(mut r: impl Read, max: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(max.min(1 << 16));
    r.by_ref().take(max as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The first `max` bytes of the text, passing over blank lines above it however many there are
/// (the readers skip them too): a file whose first 256 KiB are line breaks, and a header and rows
/// below them, is no empty file. Only when the whole prefix is blank in one encoding: bytes of
/// ASCII whitespace after a UTF-8 BOM if any, or UTF-16 units of it (either byte order, BOM or
/// not), skipped whole so the units after them stay aligned.
fn read_sample(mut r: impl Read, max: usize) -> io::Result<Vec<u8>> {
    let mut sample = read_prefix(r.by_ref(), max)?;
    if sample.len() < max {
        return Ok(sample);
    }
    let Some((bom, blank)) = blank_prefix(&sample) else {
        return Ok(sample);
    };
    let unit = blank.width();
    sample.truncate(bom);
    let mut chunk = vec![0; 64 * 1024];
    // The bytes of a unit a read split, ahead of the next read's.
    let mut data = Vec::new();
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => return Ok(sample),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        data.extend_from_slice(&chunk[..n]);
        let whole = data.len() / unit * unit;
        if let Some(at) = data[..whole].chunks_exact(unit).position(|u| !blank.is(u)) {
            sample.extend_from_slice(&data[at * unit..]);
            let rest = max.saturating_sub(sample.len());
            r.take(rest as u64).read_to_end(&mut sample)?;
            sample.truncate(max);
            return Ok(sample);
        }
        data.drain(..whole);
    }
}

/// A blank character in one of the encodings [`read_sample`] reads past blank lines in.
#[derive(Clone, Copy)]
enum Blank {
    Byte,
    Utf16Le,
    Utf16Be,
}

impl Blank {
    fn width(self) -> usize {
        match self {
            Blank::Byte => 1,
            Blank::Utf16Le | Blank::Utf16Be => 2,
        }
    }

    fn is(self, unit: &[u8]) -> bool {
        match (self, unit) {
            (Blank::Byte, [b]) => b.is_ascii_whitespace(),
            (Blank::Utf16Le, [b, 0]) | (Blank::Utf16Be, [0, b]) => b.is_ascii_whitespace(),
            _ => false,
        }
    }
}

/// The length of the BOM a wholly blank `sample` starts with, and the encoding of its blanks;
/// None when something in it is not blank (or a unit would straddle its end).
fn blank_prefix(sample: &[u8]) -> Option<(usize, Blank)> {
    let candidates: [(&[u8], Blank); 6] = [
        (&[0xEF, 0xBB, 0xBF], Blank::Byte),
        (&[0xFF, 0xFE], Blank::Utf16Le),
        (&[0xFE, 0xFF], Blank::Utf16Be),
        (&[], Blank::Byte),
        (&[], Blank::Utf16Le),
        (&[], Blank::Utf16Be),
    ];
    candidates.into_iter().find_map(|(bom, blank)| {
        let rest = sample.strip_prefix(bom)?;
        (rest.len() % blank.width() == 0 && rest.chunks_exact(blank.width()).all(|u| blank.is(u)))
            .then_some((bom.len(), blank))
    })
}

/// Detects the format of the file at `path`. `name` (the source key) is used only as a tie-breaker
/// hint, never trusted over the bytes.
pub fn sniff(path: &Path, name: &str, limits: Limits) -> Result<Format> {
    let raw_head = {
        let f = File::open(path).map_err(|e| EngineError::io(path, e))?;
        read_prefix(f, 8).map_err(|e| EngineError::io(path, e))?
    };
    if raw_head.is_empty() {
        return Err(RejectReason::Empty.into());
    }
    let compression = if raw_head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else {
        Compression::None
    };
    let sample = {
        let r = open_decompressed(path, compression, limits)?;
        read_sample(r, SAMPLE_BYTES).map_err(|e| classify_read_error(path, e))?
    };
    if sample.is_empty() {
        return Err(RejectReason::Empty.into());
    }
    let mut fmt = Format {
        compression,
        container: Container::Delimited,
        encoding: TextEncoding::Utf8,
        delimiter: b',',
        quote: b'"',
        crlf: false,
        ignored_bom: None,
    };
    if sample.starts_with(b"PK\x03\x04") {
        if compression == Compression::Gzip {
            return Err(RejectReason::UnsupportedFormat("a gzip-compressed zip archive".into()).into());
        }
        // OpenDocument files store their type uncompressed as the archive's first entry, so the
        // report can say what the file is instead of calling it a workbook. One whose type is
        // not there is told by its archive's directory when opened (see `source::open_as`).
        fmt.container = match sample
            .get(30..)
            .is_some_and(|rest| rest.starts_with(b"mimetypeapplication/vnd.oasis.opendocument"))
        {
            true => Container::Ods,
            false => Container::Xlsx,
        };
        return Ok(fmt);
    }
    if sample.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        fmt.container = Container::Xls;
        return Ok(fmt);
    }
    if let Some(kind) = binary_signature(&sample) {
        return Err(RejectReason::Binary(kind.into()).into());
    }
    fmt.ignored_bom = stray_utf16_bom(&sample);
    let sample = &sample[if fmt.ignored_bom.is_some() { 2 } else { 0 }..];
    fmt.encoding = detect_encoding(sample)?;
    let text = decode_sample(sample, fmt.encoding);
    if text.chars().all(char::is_whitespace) {
        return Err(RejectReason::Empty.into());
    }
    let control = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n' | '\0'))
        .count();
    if control * 100 > text.chars().count() {
        return Err(RejectReason::Binary("control characters in text".into()).into());
    }
    fmt.crlf = text.contains("\r\n");
    let trimmed = text.trim_start();
    if let Some(kind) = markup(trimmed) {
        return Err(RejectReason::UnsupportedFormat(kind.into()).into());
    }
    let lower_name = name.to_ascii_lowercase();
    if trimmed.starts_with('[') {
        fmt.container = Container::JsonArray;
    } else if trimmed.starts_with('{') || lower_name.ends_with(".jsonl") || lower_name.ends_with(".ndjson") {
        fmt.container = Container::JsonLines;
    } else {
        fmt.delimiter = sniff_delimiter(&text, &lower_name);
    }
    Ok(fmt)
}

/// Web panels often export an HTML table under an .xls name, and old Excel saves XML
/// spreadsheets: both open in Excel, neither is a sheet segflow reads.
fn markup(text: &str) -> Option<&'static str> {
    let head: String = text.chars().take(1024).collect::<String>().to_ascii_lowercase();
    if head.contains("urn:schemas-microsoft-com:office:spreadsheet") && !head.contains("<html") {
        return Some(
            "an Excel 2003 XML spreadsheet: open it in Excel, save it as .xlsx (Excel Workbook) or CSV, and upload that",
        );
    }
    let html = [
        "<!doctype html",
        "<html",
        "<table",
        "<head",
        "<body",
        "<meta",
        "<style",
        "<tr",
        "<!--",
    ]
    .iter()
    .any(|t| head.starts_with(t))
        || (head.starts_with("<?xml") && head.contains("<html"));
    html.then_some(
        "an HTML page (a web table saved under a spreadsheet or CSV name, as many web panels export): open it in Excel, save it as .xlsx (Excel Workbook) or CSV, and upload that",
    )
}

fn binary_signature(s: &[u8]) -> Option<&'static str> {
    const SIGS: &[(&[u8], &str)] = &[
        (b"%PDF", "PDF document"),
        (b"\x89PNG", "PNG image"),
        (b"\xFF\xD8\xFF", "JPEG image"),
        (b"GIF8", "GIF image"),
        (b"PAR1", "Parquet file"),
        (b"7z\xBC\xAF", "7-Zip archive"),
        (b"Rar!", "RAR archive"),
        (b"\x7FELF", "executable"),
        (b"BZh", "bzip2 archive"),
        (b"\xFD7zXZ", "xz archive"),
        (b"\x28\xB5\x2F\xFD", "zstd archive"),
    ];
    SIGS.iter()
        .find(|(sig, _)| s.starts_with(sig))
        .map(|(_, name)| *name)
}

/// The UTF-16 byte order mark `s` starts with, when the text after it cannot be UTF-16: it has
/// line breaks and no NUL byte. UTF-16 writes a line break, as every ASCII character (delimiters,
/// digits), with a NUL byte beside it; a tool that put `FF FE` before UTF-8 text (or a file cut
/// and joined) had it read as UTF-16 into one garbage column, refused as `missing_columns`.
fn stray_utf16_bom(s: &[u8]) -> Option<&'static str> {
    let bom = match s {
        [0xFF, 0xFE, ..] => "utf-16le",
        [0xFE, 0xFF, ..] => "utf-16be",
        _ => return None,
    };
    let rest = &s[2..];
    (memchr::memchr(b'\n', rest).is_some() && memchr::memchr(0, rest).is_none()).then_some(bom)
}

fn detect_encoding(s: &[u8]) -> Result<TextEncoding> {
    if s.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok(TextEncoding::Utf8Bom);
    }
    // Before UTF-16: UTF-32's little-endian BOM starts with UTF-16's, and read as UTF-16 its
    // text comes out with a NUL after every character, into ids and emails.
    if let Some(order) = utf32(s) {
        return Err(RejectReason::UnsupportedFormat(format!(
            "UTF-32 text ({order}), which is not read: save it as CSV UTF-8 (or UTF-16) and upload that"
        ))
        .into());
    }
    if s.starts_with(&[0xFF, 0xFE]) {
        return Ok(TextEncoding::Utf16Le);
    }
    if s.starts_with(&[0xFE, 0xFF]) {
        return Ok(TextEncoding::Utf16Be);
    }
    let head = &s[..s.len().min(4096)];
    // UTF-16 without BOM shows in the high byte of each two-byte unit: 0x00 for ASCII and Latin-1
    // text, 0x06 for Persian and Arabic (U+0600–U+06FF). Neither byte occurs in UTF-8 or
    // Windows-125x text. The high byte is the odd one in little-endian, the even one in big-endian.
    let (mut even_high, mut odd_high) = (0usize, 0usize);
    let mut nul = 0usize;
    for (i, &b) in head.iter().enumerate() {
        nul += usize::from(b == 0);
        if b == 0x00 || b == 0x06 {
            if i % 2 == 0 { even_high += 1 } else { odd_high += 1 }
        }
    }
    let half = head.len() / 2;
    if odd_high * 10 > half * 6 && even_high * 10 < half {
        return Ok(TextEncoding::Utf16Le);
    }
    if even_high * 10 > half * 6 && odd_high * 10 < half {
        return Ok(TextEncoding::Utf16Be);
    }
    // NULs in text are padding from a legacy export (fixed-width fields, a zero-filled tail): the
    // rows holding them are dealt with one by one, and the control-character test below, which
    // leaves NULs out, tells binary data. Fields padded to width may be mostly NULs; a sample
    // with almost nothing else (under 1 byte in 20) holds no text to judge.
    if (head.len() - nul) * 20 < head.len() {
        return Err(RejectReason::Binary("NUL bytes in a non-UTF-16 file".into()).into());
    }
    match std::str::from_utf8(s) {
        Ok(_) => return Ok(TextEncoding::Utf8),
        // The sample may end in the middle of a multi-byte character.
        Err(e) if e.error_len().is_none() => return Ok(TextEncoding::Utf8),
        Err(_) => {}
    }
    if mostly_utf8(s) {
        return Ok(TextEncoding::Utf8);
    }
    Ok(legacy_code_page(s))
}

/// UTF-32 text, by its BOM or, without one, by its four-byte units: a character of any script
/// in use (below U+10000, as every letter of an export is) has two NUL bytes on one side of each
/// unit and something on the other. NUL padding in a legacy file comes in runs that leave no such
/// pattern in nine units of ten.
fn utf32(s: &[u8]) -> Option<&'static str> {
    if s.starts_with(&[0xFF, 0xFE, 0x00, 0x00]) {
        return Some("little-endian");
    }
    if s.starts_with(&[0x00, 0x00, 0xFE, 0xFF]) {
        return Some("big-endian");
    }
    let units = s[..s.len().min(4096)].chunks_exact(4);
    let n = units.len();
    if n < 4 {
        return None;
    }
    let (mut le, mut be) = (0usize, 0usize);
    for u in units {
        le += usize::from(u[2] == 0 && u[3] == 0 && (u[0] | u[1]) != 0);
        be += usize::from(u[0] == 0 && u[1] == 0 && (u[2] | u[3]) != 0);
    }
    if le * 10 >= n * 9 {
        Some("little-endian")
    } else if be * 10 >= n * 9 {
        Some("big-endian")
    } else {
        None
    }
}

/// A UTF-8 export with a few lines that are not UTF-8 (a row appended by a Windows tool, a
/// Persian name cut in the middle of a character by a byte-limited field): at least twice as
/// many lines with non-ASCII text are valid UTF-8 as are not. Legacy text almost never forms a
/// valid UTF-8 sequence by accident, let alone a whole line of them, so in a Windows-125x file
/// nearly every line with a non-ASCII byte is invalid. The few lines are then read one by one
/// (see `delimited::not_utf8_row`) instead of every row being decoded in the wrong code page.
fn mostly_utf8(s: &[u8]) -> bool {
    let (mut good, mut bad) = (0usize, 0usize);
    let mut lines = s.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        if line.is_ascii() {
            continue;
        }
        match std::str::from_utf8(line) {
            Ok(_) => good += 1,
            // The sample's last line may be cut in the middle of a character.
            Err(e) if e.error_len().is_none() && lines.peek().is_none() => {}
            Err(_) => bad += 1,
        }
    }
    good > 0 && good >= 2 * bad
}

/// The single-byte code page of text that is not UTF-8: Windows-1256 for Persian or Arabic,
/// else ISO-8859-15 where a `¤` (its `€`) stands beside a number, else DOS code page 850 where
/// its letters stand in words, else Windows-1250 where its letters stand in words as
/// Windows-1252 symbols, else Windows-1252.
fn legacy_code_page(s: &[u8]) -> TextEncoding {
    match windows_code_page(s) {
        TextEncoding::Windows1252 => {}
        enc => return enc,
    }
    if iso_8859_15_euro(s) {
        return TextEncoding::Iso8859_15;
    }
    if dos_latin(s) {
        return TextEncoding::Ibm850;
    }
    if central_european(s) {
        return TextEncoding::Windows1250;
    }
    TextEncoding::Windows1252
}

/// Windows-1250 text: letters of Polish, Czech and Slovak at bytes that are symbols or undefined
/// in Windows-1252, inside words: `Wroc³aw` is Wrocław (0xB3), `£ódŸ` Łódź, `Bia³ystok`,
/// `¿ó³w` żółw, `Ťažký` (0x8D). Western text has these bytes beside digits (`£12`, `m³`) or
/// spaces (`¿Qué?`), not between letters. The letters both code pages have, at different
/// places (Czech `ř` is Windows-1252's `ø`), tell nothing, so Czech without `ť`, `ľ` or `ž`-like
/// symbols stays Windows-1252.
fn central_european(s: &[u8]) -> bool {
    // Letters of either code page: ASCII ones, the accented range both share, and Windows-1250's
    // Š Ś Ť Ž Ź š ś ť ž ź below it (`Piešťany`: ť after š).
    let letter = |b: Option<&u8>| {
        b.is_some_and(|&b| {
            b.is_ascii_alphabetic() || b >= 0xC0 || matches!(b, 0x8A | 0x8C..=0x8F | 0x9A | 0x9C..=0x9F)
        })
    };
    let mut hits = 0usize;
    for (i, &b) in s.iter().enumerate() {
        if !matches!(
            b,
            0x8D | 0x8F | 0x9D | 0xA3 | 0xA5 | 0xAF | 0xB3 | 0xB9 | 0xBC | 0xBE | 0xBF
        ) {
            continue;
        }
        let (before, after) = (i.checked_sub(1).and_then(|j| s.get(j)), s.get(i + 1));
        let inside = letter(before) && letter(after);
        // Ť, Ź and ť are undefined in Windows-1252: one inside a word is enough.
        if inside && matches!(b, 0x8D | 0x8F | 0x9D) {
            return true;
        }
        // Capitals start words (`£ódŸ`, `¯ory`); `¿` and `¡` open Spanish questions and `¼` `¾`
        // follow digits, so those count only between letters.
        let starts_word =
            !letter(before) && letter(after) && matches!(b, 0x8D | 0x8F | 0xA3 | 0xA5 | 0xAF | 0xBC);
        if inside || starts_word {
            hits += 1;
            if hits >= 2 {
                return true;
            }
        }
    }
    false
}

/// DOS code page 850 text: German or French letters at bytes that are undefined (0x81 `ü`, 0x90
/// `É`) or punctuation (0x84 `ä` as `„`, 0x94 `ö` as `”`) in Windows-1252, between letters.
fn dos_latin(s: &[u8]) -> bool {
    let letter = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphabetic());
    let (mut dos, mut windows) = (0usize, 0usize);
    for (i, &b) in s.iter().enumerate() {
        if b < 0x80 {
            continue;
        }
        // Inside a word: a letter on at least one side, and no space on the other.
        let (before, after) = (i.checked_sub(1).and_then(|j| s.get(j)), s.get(i + 1));
        let in_word = letter(before) || letter(after);
        match b {
            // DOS letters that are undefined or punctuation in Windows-1252. Not 0x8A, 0x8E and
            // 0x9A (DOS `è`, `Ä`, `Ü`): Windows-1252 has `Š`, `Ž` and `š` there, and an English
            // shop's `Škoda Octavia` is no DOS text.
            0x81 | 0x84 | 0x94 | 0x99 | 0x82 | 0x85 | 0x87 | 0x88 | 0x90 if in_word => dos += 1,
            // Windows-1252's own letters (é ü ö ä ß à è …, and `ž`, DOS `×`) are DOS
            // box-drawing characters or symbols.
            0xC0..=0xFF | 0x9E if in_word && !matches!(b, 0xE1 | 0xE0 | 0xE2 | 0xE3 | 0xE9 | 0xC7) => {
                windows += 1
            }
            _ => {}
        }
    }
    dos > windows
}

/// Windows-1256 for Persian or Arabic words, else Windows-1252: the code page of one row that is
/// not UTF-8, too little text to tell the rarer code pages by.
pub(crate) fn windows_code_page(s: &[u8]) -> TextEncoding {
    if looks_arabic_script(s) && arabic_words(&decode_sample(s, TextEncoding::Windows1256)) {
        TextEncoding::Windows1256
    } else {
        TextEncoding::Windows1252
    }
}

/// Whether text decoded as Windows-1256 reads as Persian or Arabic: more words of Arabic letters
/// only than words mixing them with Latin ones. Latin text in another code page decoded so
/// shows Arabic letters inside Latin words (DOS cp850's `ü`, 0x81, is Windows-1256's `پ`:
/// `Mپller`), or none at all.
fn arabic_words(text: &str) -> bool {
    let (mut arabic, mut mixed) = (0usize, 0usize);
    let (mut ar, mut latin) = (0usize, 0usize);
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_alphabetic() {
            if matches!(c, '\u{0600}'..='\u{06FF}' | '\u{FB50}'..='\u{FEFF}') {
                ar += 1;
            } else {
                latin += 1;
            }
            continue;
        }
        match (ar, latin) {
            (0, _) => {}
            (_, 0) if ar >= 2 => arabic += 1,
            (_, 0) => {}
            _ => mixed += 1,
        }
        (ar, latin) = (0, 0);
    }
    arabic > mixed
}

/// ISO-8859-15 puts `€` at 0xA4, Windows-1252's `¤`, which no export writes beside a number
/// (`12,50 ¤`). 0x80–0x9F are control codes in ISO-8859-15, printable in Windows-1252: text
/// with them is not ISO-8859-15.
fn iso_8859_15_euro(s: &[u8]) -> bool {
    if s.iter().any(|b| (0x80..=0x9F).contains(b)) {
        return false;
    }
    s.iter().enumerate().any(|(i, &b)| {
        b == 0xA4 && {
            let before = s[..i].iter().rev().find(|&&c| c != b' ');
            let after = s[i + 1..].iter().find(|&&c| c != b' ');
            before.is_some_and(u8::is_ascii_digit) || after.is_some_and(u8::is_ascii_digit)
        }
    })
}

/// Windows-1256 text (Persian/Arabic) has whole words of high bytes, and uses 0x81/0x8D/0x8E/0x90
/// for پ چ ژ گ, which are undefined in Windows-1252. Western text has isolated accented letters.
fn looks_arabic_script(s: &[u8]) -> bool {
    let mut persian_letters = 0usize;
    let mut high_runs = 0usize;
    let mut isolated = 0usize;
    let mut run = 0usize;
    for &b in s.iter().chain(std::iter::once(&b' ')) {
        if b >= 0x80 {
            if matches!(b, 0x81 | 0x8D | 0x8E | 0x90) {
                persian_letters += 1;
            }
            run += 1;
        } else {
            match run {
                0 => {}
                1 => isolated += 1,
                _ => high_runs += 1,
            }
            run = 0;
        }
    }
    persian_letters > 0 || high_runs > isolated
}

fn decode_sample(s: &[u8], enc: TextEncoding) -> String {
    if enc == TextEncoding::Ibm850 {
        return decode_cp850(s);
    }
    let (text, _, _) = enc.encoding().decode(s);
    text.into_owned()
}

/// Picks the delimiter whose field count is the most consistent over the first lines (and > 1).
fn sniff_delimiter(text: &str, lower_name: &str) -> u8 {
    // Drop a possibly truncated last line.
    let body = match text.rfind('\n') {
        Some(i) if i + 1 < text.len() => &text[..i],
        _ => text,
    };
    let mut best: Option<(u8, usize, usize)> = None; // (delim, agreeing rows, fields)
    // Also read without quoting: one quote that never closes would otherwise swallow the sample
    // and hand the file to a delimiter that merely splits its decimal commas.
    for (d, quoting) in DELIMITERS.iter().flat_map(|&d| [(d, true), (d, false)]) {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(d)
            .quoting(quoting)
            .has_headers(false)
            .flexible(true)
            .from_reader(body.as_bytes());
        let mut counts: Vec<usize> = Vec::new();
        for rec in rdr.records().take(60) {
            match rec {
                Ok(r) if r.len() > 1 || !r.iter().all(str::is_empty) => counts.push(r.len()),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        if counts.is_empty() {
            continue;
        }
        // Skip possible title lines above the table: look at the mode of the field counts.
        let mut freq = std::collections::BTreeMap::new();
        for c in &counts {
            *freq.entry(*c).or_insert(0usize) += 1;
        }
        let (&fields, &agree) = freq.iter().max_by_key(|(f, n)| (**n, **f)).unwrap();
        if fields < 2 {
            continue;
        }
        let better = match best {
            None => true,
            Some((_, a, f)) => agree > a || (agree == a && fields > f),
        };
        if better {
            best = Some((d, agree, fields));
        }
    }
    match best {
        Some((d, _, _)) => d,
        None if lower_name.ends_with(".tsv") || lower_name.ends_with(".tab") => b'\t',
        None => b',',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn sniff_bytes(bytes: &[u8], name: &str) -> Result<Format> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, bytes).unwrap();
        sniff(&p, name, Limits::default())
    }

    #[test]
    fn web_tables_and_xml_spreadsheets_are_named() {
        let html = "\u{FEFF}<html dir=\"rtl\"><head><meta charset=\"utf-8\"></head><body><table><tr><td>شماره فاکتور</td></tr></table></body></html>";
        for (bytes, name) in [
            (html.as_bytes(), "panel_export.xls"),
            (
                b"  <table><tr><td>Order</td></tr></table>".as_slice(),
                "orders.csv",
            ),
            (b"<!DOCTYPE html>\n<html>".as_slice(), "x.xls"),
        ] {
            let e = sniff_bytes(bytes, name).unwrap_err().to_string();
            assert!(e.contains("an HTML page") && e.contains(".xlsx"), "{name}: {e}");
        }
        let xml =
            b"<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">";
        let e = sniff_bytes(xml, "old.xls").unwrap_err().to_string();
        assert!(e.contains("Excel 2003 XML spreadsheet"), "{e}");
        let e = sniff_bytes(b"<!-- saved from panel -->\n<table>", "x.xls").unwrap_err();
        assert!(e.to_string().contains("an HTML page"), "{e}");
        // A CSV with markup in a cell, even the first, is still a CSV.
        assert!(sniff_bytes(b"note,amount\n<b>x</b>,1\n", "a.csv").is_ok());
        assert!(sniff_bytes(b"<b>Order</b>,amount\n1,2\n", "a.csv").is_ok());
    }

    #[test]
    fn delimiters() {
        for (d, name) in [(',', "a.csv"), (';', "a.csv"), ('\t', "a.txt"), ('|', "a.txt")] {
            let text = format!("a{d}b{d}c\n1{d}\"x{d}y\"{d}3\n4{d}5{d}6\n");
            let f = sniff_bytes(text.as_bytes(), name).unwrap();
            assert_eq!(f.delimiter, d as u8, "delimiter {d:?}");
            assert_eq!(f.container, Container::Delimited);
        }
    }

    #[test]
    fn european_semicolon_with_decimal_comma() {
        let f = sniff_bytes(
            b"Datum;Menge;Preis\n01.02.2023;2;3,50\n02.02.2023;1;12,00\n",
            "x.csv",
        )
        .unwrap();
        assert_eq!(f.delimiter, b';');
        // A quote that never closes in the first row does not hand the file to the comma.
        let f = sniff_bytes(
            b"Datum;Menge;Preis;Notiz\n01.02.2023;2;3,50;\"x\n02.02.2023;1;12,00;y\n03.02.2023;1;8,99;z\n",
            "x.csv",
        )
        .unwrap();
        assert_eq!(f.delimiter, b';');
    }

    #[test]
    fn title_line_above_table_does_not_confuse() {
        let f = sniff_bytes(b"Sales report, 2023\n\na;b;c\n1;2;3\n4;5;6\n7;8;9\n", "x.csv").unwrap();
        assert_eq!(f.delimiter, b';');
    }

    /// UTF-32 with or without its BOM, either byte order, Latin or Persian text: refused
    /// saying what it is, never read as UTF-16 with a NUL after every character. UTF-16 and
    /// NUL-padded legacy text are not taken for it.
    #[test]
    fn utf32_is_refused_not_read_as_utf16() {
        let texts = [
            "Customer ID,Email,City\nC1,a@x.example,Berlin\nC2,b@x.example,Köln\n",
            "کد مشتری,ایمیل,شهر\nC1,a@x.example,تهران\n",
        ];
        for text in texts {
            let le: Vec<u8> = text.chars().flat_map(|c| u32::from(c).to_le_bytes()).collect();
            let be: Vec<u8> = text.chars().flat_map(|c| u32::from(c).to_be_bytes()).collect();
            for (bytes, order) in [
                (
                    [0xFF, 0xFE, 0, 0].iter().chain(&le).copied().collect::<Vec<u8>>(),
                    "little-endian",
                ),
                (
                    [0, 0, 0xFE, 0xFF].iter().chain(&be).copied().collect(),
                    "big-endian",
                ),
                (le.clone(), "little-endian"),
                (be.clone(), "big-endian"),
            ] {
                let e = sniff_bytes(&bytes, "customers.csv").unwrap_err();
                assert!(
                    matches!(&e, EngineError::Rejected(RejectReason::UnsupportedFormat(m))
                        if m.starts_with(&format!("UTF-32 text ({order})")) && m.contains("UTF-8")),
                    "{e}"
                );
            }
            let utf16: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
            assert_eq!(
                sniff_bytes(&utf16, "x.csv").unwrap().encoding,
                TextEncoding::Utf16Le
            );
        }
        // Fields padded to width with NULs, as legacy exports leave them: still one-byte text.
        let mut padded = Vec::new();
        for i in 0..40 {
            padded.extend_from_slice(format!("C{i:03},").as_bytes());
            padded.extend_from_slice(&[0; 6]);
            padded.extend_from_slice(b",12.50\n");
        }
        assert_eq!(
            sniff_bytes(&padded, "x.csv").unwrap().encoding,
            TextEncoding::Utf8
        );
    }

    #[test]
    fn encodings() {
        assert_eq!(
            sniff_bytes(b"\xEF\xBB\xBFa,b\n1,2\n", "x").unwrap().encoding,
            TextEncoding::Utf8Bom
        );
        let (utf16, _, _) = encoding_rs::UTF_16LE.encode("a\tb\n1\t2\n");
        // encoding_rs encodes UTF-16 as UTF-8 (per the Encoding Standard), so build it by hand.
        let _ = utf16;
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a\tb\n1\t2\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        let f = sniff_bytes(&le, "x.txt").unwrap();
        assert_eq!((f.encoding, f.delimiter), (TextEncoding::Utf16Le, b'\t'));
        let be: Vec<u8> = "a\tb\n1\t2\n"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        assert_eq!(sniff_bytes(&be, "x.txt").unwrap().encoding, TextEncoding::Utf16Be);
        // Without a BOM, mostly Persian: the high bytes are 0x06, not NUL.
        let fa = "شماره فاکتور\tکد مشتری\tتاریخ\tمبلغ\n۱۰۰۱\tمشتری-۱\t۱۴۰۲/۰۷/۱۵\t۱۲۵٬۰۰۰\n";
        let le: Vec<u8> = fa.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let f = sniff_bytes(&le, "x.txt").unwrap();
        assert_eq!((f.encoding, f.delimiter), (TextEncoding::Utf16Le, b'\t'));
        let be: Vec<u8> = fa.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(sniff_bytes(&be, "x.txt").unwrap().encoding, TextEncoding::Utf16Be);
        assert_eq!(f.ignored_bom, None);
        // A UTF-16 BOM before text that has line breaks and no NUL byte is not UTF-16: the BOM
        // is skipped and the rest read as any text is, as UTF-8 or in a code page.
        let f = sniff_bytes(b"\xFF\xFEInvoiceNo,Quantity\n1,2\n", "x.csv").unwrap();
        assert_eq!(
            (f.encoding, f.delimiter, f.ignored_bom),
            (TextEncoding::Utf8, b',', Some("utf-16le"))
        );
        let f = sniff_bytes(b"\xFE\xFFName;Stra\xDFe\nA;B\n", "x.csv").unwrap();
        assert_eq!(
            (f.encoding, f.delimiter, f.ignored_bom),
            (TextEncoding::Windows1252, b';', Some("utf-16be"))
        );
        // Persian in UTF-8 has no 0x06 or NUL bytes: still UTF-8.
        assert_eq!(
            sniff_bytes(fa.as_bytes(), "x.txt").unwrap().encoding,
            TextEncoding::Utf8
        );
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode("Stückpreis;Menge\n2,50;1\n");
        assert_eq!(
            sniff_bytes(&cp1252, "x").unwrap().encoding,
            TextEncoding::Windows1252
        );
        let (cp1256, _, _) = encoding_rs::WINDOWS_1256.encode("کد مشتری,تعداد,قیمت\n1,2,3\n");
        assert_eq!(
            sniff_bytes(&cp1256, "x").unwrap().encoding,
            TextEncoding::Windows1256
        );
    }

    /// A UTF-8 file with a few lines that are not UTF-8 is UTF-8 (those lines are read one by
    /// one); a legacy file is never taken for Persian unless it reads as Persian words.
    #[test]
    fn a_few_bad_lines_leave_a_file_utf8() {
        let mut text = b"Order,Customer,Product,City\n".to_vec();
        for i in 0..20 {
            text.extend_from_slice(format!("A{i},Ren\u{e9}e,Cr\u{e8}me,K\u{f6}ln\n").as_bytes());
        }
        text.extend_from_slice(b"X1,Ren\xE9e,Cr\xE8me,Besan\xE7on\n");
        assert_eq!(sniff_bytes(&text, "x.csv").unwrap().encoding, TextEncoding::Utf8);
        // Two UTF-8 lines with accents beside one in Windows-1252.
        let mixed = b"a;b\nJ\xC3\xBCrgen;K\xC3\xB6ln\nJos\xC3\xA9;Z\xC3\xBCrich\nZo\xEB;D\xFCsseldorf\n";
        assert_eq!(sniff_bytes(mixed, "x.csv").unwrap().encoding, TextEncoding::Utf8);
        // A Persian name cut inside a character.
        let mut fa = "شماره,نام,شرح\n1,گلناز پژوهش,چای سبز\n2,علی,زعفر"
            .as_bytes()
            .to_vec();
        fa.extend_from_slice(b"\xD8\n");
        assert_eq!(sniff_bytes(&fa, "x.csv").unwrap().encoding, TextEncoding::Utf8);
        // Windows-1252 throughout stays so.
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode("Kunde;Stadt\nJürgen;Köln\nJosé;Zürich\n");
        assert_eq!(
            sniff_bytes(&cp1252, "x").unwrap().encoding,
            TextEncoding::Windows1252
        );
        // Persian in Windows-1256, some of whose letter pairs are valid UTF-8 (بک is C8 98).
        let (cp1256, _, _) = encoding_rs::WINDOWS_1256
            .encode("نام,شرح\nبکتاش,کیک شکلاتی\nگلناز پژوهش,چای سبز\nمحمد رضایی,پنیر لیقوان\n");
        assert_eq!(
            sniff_bytes(&cp1256, "x").unwrap().encoding,
            TextEncoding::Windows1256
        );
    }

    #[test]
    fn latin_code_pages_are_not_taken_for_arabic() {
        // DOS cp850 German: ü is 0x81 (Windows-1256's پ), ö 0x94, ß 0xE1 (Windows-1256's ل).
        let cp850 = b"Kunde;Artikel;Stadt\nJ\x81rgen M\x81ller;Gr\x81ner Tee;K\x94ln\nHans Stra\xE1er;Tee;M\x81nchen\n";
        let f = sniff_bytes(cp850, "x").unwrap();
        assert_eq!(f.encoding, TextEncoding::Ibm850);
        assert_eq!(
            decode_sample(cp850, f.encoding),
            "Kunde;Artikel;Stadt\nJürgen Müller;Grüner Tee;Köln\nHans Straßer;Tee;München\n"
        );
        // ISO-8859-15: € at 0xA4, beside the amounts.
        let latin9 = b"Artikel;Preis\nCr\xE8me br\xFBl\xE9e;12,50 \xA4\nF\xF6rmchen;\xA4 3,00\n";
        assert_eq!(
            sniff_bytes(latin9, "x").unwrap().encoding,
            TextEncoding::Iso8859_15
        );
        // Polish in Windows-1250: ł, ą, ż and Ł as Windows-1252's ³ ¹ ¿ £.
        let cp1250 =
            b"Klient;Miasto;Kwota\nJan Ko\xB3odziej;Wroc\xB3aw;12,50\nAnna W\xB9s;\xA3\xF3d\x9F;3,00\n";
        // Detected as Windows-1250, and decoded so.
        let reads_1250 = |bytes: &[u8], text: &str| {
            let f = sniff_bytes(bytes, "x").unwrap();
            assert_eq!(f.encoding, TextEncoding::Windows1250, "{text}");
            assert_eq!(decode_sample(bytes, f.encoding), text);
        };
        reads_1250(
            cp1250,
            "Klient;Miasto;Kwota\nJan Kołodziej;Wrocław;12,50\nAnna Wąs;Łódź;3,00\n",
        );
        // Windows-1252 text whose accented letters are mostly Š, Ž and š (DOS è, Ä, Ü): an
        // English shop's car parts.
        let skoda =
            b"Item;City\n\x8Akoda Octavia;Ko\x9Aice\n\x8Akoda Fabia;\x8Eilina\n\x8Akoda Superb;K\xF6ln\n";
        assert_eq!(
            sniff_bytes(skoda, "x").unwrap().encoding,
            TextEncoding::Windows1252
        );
        // Slovak: ť (0x9D, undefined in Windows-1252) after š in Piešťany.
        let slovak = b"Mesto;Suma\nPie\x9A\x9Dany;12,50\nBratislava;3,00\n";
        reads_1250(slovak, "Mesto;Suma\nPiešťany;12,50\nBratislava;3,00\n");
        // Western text with those bytes beside digits and spaces: a price in pounds, cubic
        // metres, a Spanish question, a quarter.
        let western =
            b"Item;Note\nTank 2 m\xB3;\xA312.50\n\xBFQu\xE9 tal?;1\xBC kg\nCaf\xE9 cr\xE8me;\xA3 3\n";
        assert_eq!(
            sniff_bytes(western, "x").unwrap().encoding,
            TextEncoding::Windows1252
        );
        // A currency sign alone, or Windows-1252's own bytes, leave Windows-1252.
        let cp1252 = b"Artikel;Preis\nK\xF6ln \xA4;12,50\n\x84Tee\x93;1\n12 \xA4\n";
        assert_eq!(
            sniff_bytes(cp1252, "x").unwrap().encoding,
            TextEncoding::Windows1252
        );
    }

    #[test]
    fn containers() {
        assert_eq!(
            sniff_bytes(b"{\"a\":1}\n{\"a\":2}\n", "x").unwrap().container,
            Container::JsonLines
        );
        assert_eq!(
            sniff_bytes(b" [{\"a\":1}]", "x").unwrap().container,
            Container::JsonArray
        );
        assert_eq!(
            sniff_bytes(b"PK\x03\x04rest", "x.xlsx").unwrap().container,
            Container::Xlsx
        );
    }

    #[test]
    fn gzip_is_seen_through() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"a;b\n1;2\n").unwrap();
        let f = sniff_bytes(&gz.finish().unwrap(), "x.csv.gz").unwrap();
        assert_eq!((f.compression, f.delimiter), (Compression::Gzip, b';'));
    }

    /// Members one after another, then zero padding (as `gzip -d` accepts): read whole. Other
    /// bytes after a member, or after the padding, are damage. Small buffers make the padding
    /// span several reads.
    #[test]
    fn gzip_members_and_trailing_zeros() {
        let member = |text: &str| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(text.as_bytes()).unwrap();
            gz.finish().unwrap()
        };
        let read = |bytes: &[u8], capacity: usize| {
            let mut out = Vec::new();
            GzMembers::new(BufReader::with_capacity(capacity, bytes))
                .read_to_end(&mut out)
                .map(|_| String::from_utf8(out).unwrap())
        };
        let two = [member("a,b\n"), member("1,2\n")].concat();
        for capacity in [3, 64, 1 << 20] {
            assert_eq!(read(&two, capacity).unwrap(), "a,b\n1,2\n");
            let padded = [two.clone(), vec![0; 1000]].concat();
            assert_eq!(read(&padded, capacity).unwrap(), "a,b\n1,2\n", "{capacity}");
            for tail in [
                &b"x"[..],
                &[0, 0, 0, 7][..],
                &[0; 10].iter().chain(b"\x1f\x8b").copied().collect::<Vec<_>>(),
            ] {
                let bad = [two.clone(), tail.to_vec()].concat();
                let e = read(&bad, capacity).unwrap_err();
                assert!(
                    matches!(
                        e.kind(),
                        io::ErrorKind::InvalidData
                            | io::ErrorKind::InvalidInput
                            | io::ErrorKind::UnexpectedEof
                    ),
                    "{e}"
                );
            }
        }
        // Through the sniffer, as the fuzz review's file was refused as damaged.
        let f = sniff_bytes(&[member("a;b\n1;2\n"), vec![0; 600]].concat(), "x.csv.gz").unwrap();
        assert_eq!((f.compression, f.delimiter), (Compression::Gzip, b';'));
    }

    #[test]
    fn bad_inputs_are_rejected_with_reasons() {
        let code = |b: &[u8]| match sniff_bytes(b, "x") {
            Err(EngineError::Rejected(r)) => r.code(),
            other => panic!("expected rejection, got {other:?}"),
        };
        assert_eq!(code(b""), "empty_file");
        assert_eq!(code(b"  \n\n "), "empty_file");
        assert_eq!(code(b"%PDF-1.7 ..."), "binary_file");
        assert_eq!(code(b"abc\x00\x01\x02\x03\x00\x00\x00\x05def\x00"), "binary_file");
        assert_eq!(code(&[0u8; 4096]), "binary_file");
        // Binary data with no NUL in the sample still shows its control bytes.
        let noise: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 255 + 1) as u8).collect();
        assert_eq!(code(&noise), "binary_file");
        // NUL padding in text is not a reason to refuse the file, even when fields padded to
        // width make it mostly NULs.
        assert!(sniff_bytes(b"id,name\n1\0\0\0,Ann\0\0\n2,Bob\n", "x").is_ok());
        let mut padded = b"id,name\n".to_vec();
        for i in 0..40 {
            padded.extend_from_slice(format!("{i}").as_bytes());
            padded.extend_from_slice(&[0; 20]);
            padded.extend_from_slice(b",Ann");
            padded.extend_from_slice(&[0; 36]);
            padded.push(b'\n');
        }
        assert!(sniff_bytes(&padded, "x").is_ok());
    }

    #[test]
    fn gzip_bomb_is_refused() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![b'0'; 1 << 20];
        for _ in 0..4 {
            gz.write_all(&zeros).unwrap();
        }
        let bytes = gz.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bomb.csv.gz");
        std::fs::write(&p, &bytes).unwrap();
        // A small ceiling keeps the test fast; the production floor is 64 MiB (see the e2e test).
        let limits = Limits {
            max_expanded_bytes: 2 << 20,
            ..Limits::default()
        };
        let mut r = open_decompressed(&p, Compression::Gzip, limits).unwrap();
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        match classify_read_error(&p, err) {
            EngineError::Rejected(r) => assert_eq!(r.code(), "compression_bomb"),
            other => panic!("{other:?}"),
        }
    }
}
