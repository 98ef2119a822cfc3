//! What calamine would build from an `.xls` file, summed from its records before calamine opens
//! it. `Xls::new` lays every sheet out at once as a grid from its first to its last cell (32 bytes
//! a cell), reserves room for the cells each sheet's DIMENSIONS record declares (40 bytes a cell)
//! and copies a shared string into every cell that names it, before anything can be checked: a
//! few kilobytes with two cells far apart, a DIMENSIONS record declaring four billion rows, or one
//! long shared string named by many cells ended the process. The workbook stream is found in the
//! compound file as calamine finds it; a file whose sectors loop or point outside it (calamine
//! read such a directory forever) is refused here too.

use super::{Limits, RejectReason, Result, cell_name};

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const RESERVED: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn words(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}

/// Refuses an `.xls` file (its bytes) whose sheets calamine would build larger than twice the
/// workbook limit, naming the sheet that passes it, or whose container cannot be followed.
pub(super) fn check(file: &[u8], limits: Limits) -> Result<()> {
    let malformed = |what: &str| RejectReason::Malformed {
        format: "Excel",
        detail: format!("{what} (the workbook is damaged; save it again in Excel, as .xlsx)"),
    };
    // Without one, calamine says what the file is (an encrypted .xlsx, say).
    let Some(stream) = workbook_stream(file).map_err(malformed)? else {
        return Ok(());
    };
    let limit = limits.max_workbook_bytes.saturating_mul(2);
    let mut total = 0u64;
    let (sheets, strings) = globals(&stream);
    for (at, name) in sheets {
        let sheet = stream
            .get(at..)
            .ok_or_else(|| malformed("a sheet starts past the end of the workbook"))?;
        let (bytes, span) = sheet_cost(sheet, &strings);
        total = total.saturating_add(bytes);
        if total > limit {
            let range = span.map_or_else(String::new, |((r0, c0), (r1, c1))| {
                format!(" spans {}:{} and", cell_name(r0, c0), cell_name(r1, c1))
            });
            return Err(RejectReason::XlsTooLarge {
                sheet: name,
                range,
                bytes: total,
                limit,
            }
            .into());
        }
    }
    Ok(())
}

/// The stream named `Workbook` (else `Book`) of the compound file `b`, read as calamine reads it.
fn workbook_stream(b: &[u8]) -> std::result::Result<Option<Vec<u8>>, &'static str> {
    let size: usize = match u16_at(b, 30) {
        Some(9) => 512,
        Some(12) => 4096,
        _ => return Err("not a compound file"),
    };
    let sector = |id: u32| -> std::result::Result<&[u8], &'static str> {
        let start = (id as usize + 1) * size;
        b.get(start..b.len().min(start + size))
            .filter(|s| !s.is_empty())
            .ok_or("a sector lies past the end of the file")
    };
    let mut difat: Vec<u32> = words(b.get(76..512).ok_or("not a compound file")?).collect();
    let mut next = u32_at(b, 68).ok_or("not a compound file")?;
    for _ in 0..=b.len() / size {
        if next >= RESERVED {
            break;
        }
        difat.extend(words(sector(next)?));
        next = difat.pop().unwrap_or(ENDOFCHAIN);
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|&id| id < DIFSECT) {
        fat.extend(words(sector(id)?));
    }
    let dirs = chain(u32_at(b, 48).unwrap_or(ENDOFCHAIN), &fat, usize::MAX, sector)?;
    // (name, first sector, length) of each directory entry.
    let entries: Vec<(String, u32, usize)> = dirs
        .chunks_exact(128)
        .map(|d| {
            let units: Vec<u16> = d[..64]
                .chunks_exact(2)
                .map(|u| u16::from_le_bytes([u[0], u[1]]))
                .collect();
            let name = String::from_utf16_lossy(&units);
            let len = match size {
                512 => u32_at(d, 120).map_or(0, |n| n as usize),
                _ => u64::from_le_bytes(d[120..128].try_into().unwrap_or_default()) as usize,
            };
            (
                name.split('\0').next().unwrap_or("").to_string(),
                u32_at(d, 116).unwrap_or(ENDOFCHAIN),
                len,
            )
        })
        .collect();
    let named = |n: &str| entries.iter().find(|e| e.0.eq_ignore_ascii_case(n));
    let (Some(root), Some(&(_, start, len))) = (entries.first(), named("Workbook").or_else(|| named("Book")))
    else {
        return Ok(None);
    };
    if len >= 4096 {
        return chain(start, &fat, len, sector).map(Some);
    }
    // Small streams are 64-byte sectors of the root entry's stream, chained by the mini FAT.
    let mini_sectors = u32_at(b, 64).unwrap_or(0) as usize;
    let mini = chain(root.1, &fat, root.2, sector)?;
    let mini_fat: Vec<u32> = words(&chain(
        u32_at(b, 60).unwrap_or(ENDOFCHAIN),
        &fat,
        mini_sectors * size,
        sector,
    )?)
    .collect();
    let mini_sector = |id: u32| -> std::result::Result<&[u8], &'static str> {
        let start = id as usize * 64;
        mini.get(start..mini.len().min(start + 64))
            .filter(|s| !s.is_empty())
            .ok_or("a small sector lies past its stream")
    };
    chain(start, &mini_fat, len, mini_sector).map(Some)
}

/// The bytes of a chain of sectors (`get` gives one) from `start`, linked by `table`, cut at
/// `len`. Each sector once at most: a chain that loops is refused, not followed forever.
fn chain<'a>(
    start: u32,
    table: &[u32],
    len: usize,
    get: impl Fn(u32) -> std::result::Result<&'a [u8], &'static str>,
) -> std::result::Result<Vec<u8>, &'static str> {
    let (mut out, mut id) = (Vec::new(), start);
    for _ in 0..=table.len() {
        if id == ENDOFCHAIN || out.len() >= len {
            return Ok(out);
        }
        let s = get(id)?;
        out.extend_from_slice(&s[..s.len().min(len - out.len())]);
        id = *table
            .get(id as usize)
            .ok_or("a sector chain leaves the sector table")?;
    }
    Err("a sector chain loops")
}

/// The records of a BIFF stream as calamine splits them: (type, data).
fn records(mut s: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let (typ, len) = (u16_at(s, 0)?, u16_at(s, 2)? as usize);
        let data = s.get(4..4 + len)?;
        s = &s[4 + len..];
        Some((typ, data))
    })
}

/// The workbook globals: each sheet's start in the stream and name, and the most bytes of text
/// each shared string can be once decoded.
fn globals(stream: &[u8]) -> (Vec<(usize, String)>, Vec<u64>) {
    let (mut sheets, mut strings, mut utf16) = (Vec::new(), Vec::new(), true);
    let mut recs = records(stream).peekable();
    while let Some((typ, data)) = recs.next() {
        match typ {
            0x000A => break,
            // CodePage: strings are decoded in it from here on (UTF-16 unless it says otherwise).
            0x0042 => utf16 = matches!(u16_at(data, 0), Some(1200 | 1201)),
            // BoundSheet8: the sheet's BOF, then its name (1-byte count, flags, characters).
            0x0085 if data.len() >= 8 => {
                let (cch, wide) = (data[6] as usize, data[7] & 1 == 1);
                let name = match wide {
                    true => String::from_utf16_lossy(
                        &data[8..]
                            .chunks_exact(2)
                            .take(cch)
                            .map(|u| u16::from_le_bytes([u[0], u[1]]))
                            .collect::<Vec<_>>(),
                    ),
                    false => data[8..].iter().take(cch).map(|&b| b as char).collect(),
                };
                sheets.push((u32_at(data, 0).unwrap_or(0) as usize, name));
            }
            // SST and its CONTINUE records.
            0x00FC if data.len() >= 8 => {
                let mut parts = vec![&data[8..]];
                while let Some((_, more)) = recs.next_if(|r| r.0 == 0x003C) {
                    parts.push(more);
                }
                strings = shared_string_sizes(&parts, utf16);
            }
            _ => {}
        }
    }
    (sheets, strings)
}

/// The most bytes each string of a shared string table (split over `parts`) decodes to: its
/// characters, 1 or 2 bytes each in the file, are at most 2 or 3 bytes of UTF-8, and twice that
/// in a code page other than UTF-16 (calamine decodes the character with a NUL byte as two).
/// A string's characters run on into the next part behind a byte of flags; its formatting runs
/// do not.
fn shared_string_sizes(parts: &[&[u8]], utf16: bool) -> Vec<u64> {
    let per_unit = if utf16 { 1 } else { 2 };
    let (mut sizes, mut part, mut at) = (Vec::new(), 0, 0);
    // Moves past `n` bytes, across parts.
    let skip = |mut n: usize, part: &mut usize, at: &mut usize| {
        while n > 0 && *part < parts.len() {
            let step = n.min(parts[*part].len() - *at);
            (n, *at) = (n - step, *at + step);
            if *at == parts[*part].len() && n > 0 {
                (*part, *at) = (*part + 1, 0);
            }
        }
    };
    while part < parts.len() {
        if at == parts[part].len() {
            (part, at) = (part + 1, 0);
            continue;
        }
        let p = parts[part];
        let (Some(cch), Some(&flags)) = (u16_at(p, at), p.get(at + 2)) else {
            break;
        };
        at += 3;
        let runs = if flags & 8 != 0 {
            at += 2;
            u16_at(p, at - 2).unwrap_or(0) as usize * 4
        } else {
            0
        };
        let ext = if flags & 4 != 0 {
            at += 4;
            u32_at(p, at - 4).unwrap_or(0) as usize
        } else {
            0
        };
        let (mut left, mut wide, mut bytes) = (cch as usize, flags & 1 == 1, 0u64);
        while left > 0 && part < parts.len() {
            let unit = if wide { 2 } else { 1 };
            let n = left.min(parts[part].len().saturating_sub(at) / unit);
            (left, at) = (left - n, at + n * unit);
            bytes += n as u64 * (unit as u64 + 1) * per_unit;
            if left > 0 {
                (part, at) = (part + 1, 1);
                wide = parts
                    .get(part)
                    .and_then(|p| p.first())
                    .is_some_and(|f| f & 1 == 1);
            }
        }
        sizes.push(bytes);
        skip(runs + ext, &mut part, &mut at);
    }
    sizes
}

/// The first and the last (row, column) of cells, when there are any.
type Span = Option<((u32, u32), (u32, u32))>;

/// The bytes calamine builds for the sheet whose records start `sheet`, and the cells it spans:
/// its cells (40 bytes each, or as many as its DIMENSIONS record declares), the grid of values
/// from its first to its last cell (32 bytes a cell) and of formulas (24), and the shared strings
/// its cells copy.
fn sheet_cost(sheet: &[u8], strings: &[u64]) -> (u64, Span) {
    let (mut cells, mut declared, mut text, mut depth) = (0u64, 0u64, 0u64, 0u32);
    let (mut span, mut formulas): (Span, Span) = (None, None);
    let widen = |s: &mut Span, r: u32, c: u32| {
        let ((r0, c0), (r1, c1)) = s.unwrap_or(((r, c), (r, c)));
        *s = Some(((r0.min(r), c0.min(c)), (r1.max(r), c1.max(c))));
    };
    let mut seen_bof = false;
    for (typ, data) in records(sheet) {
        // Embedded charts are substreams of their own, between a BOF after the sheet's and its EOF.
        if depth > 0 {
            match typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        match typ {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x000A => break,
            _ => {}
        }
        let (Some(r), Some(c)) = (u16_at(data, 0), u16_at(data, 2)) else {
            continue;
        };
        let (r, c) = (r as u32, c as u32);
        match typ {
            0x0200 => declared = declared.max(declared_cells(data)),
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E => {
                cells += 1;
                widen(&mut span, r, c);
            }
            0x00FD => {
                if let Some(len) = u32_at(data, 6).and_then(|i| strings.get(i as usize)) {
                    (cells, text) = (cells + 1, text.saturating_add(*len));
                    widen(&mut span, r, c);
                }
            }
            // MulRk: a value every 6 bytes from the first column on (calamine does not read the
            // last column the record gives).
            0x00BD if data.len() > 6 => {
                let n = (data.len() - 6).div_ceil(6) as u32;
                cells += n as u64;
                widen(&mut span, r, c);
                widen(&mut span, r, c + n - 1);
            }
            0x0006 => {
                cells += 1;
                widen(&mut span, r, c);
                widen(&mut formulas, r, c);
            }
            _ => {}
        }
    }
    let area = |s: Span| {
        s.map_or(0, |((r0, c0), (r1, c1))| {
            (r1 - r0 + 1) as u64 * (c1 - c0 + 1) as u64
        })
    };
    let bytes = cells
        .max(declared)
        .saturating_mul(40)
        .saturating_add(area(span).saturating_mul(32))
        .saturating_add(area(formulas).saturating_mul(24))
        .saturating_add(text);
    (bytes, span)
}

/// The cells a DIMENSIONS record makes calamine reserve room for, computed as it does (in 32-bit
/// arithmetic that wraps, so a last row before the first is four billion rows).
fn declared_cells(d: &[u8]) -> u64 {
    let short = |at| u16_at(d, at).map_or(0, u32::from);
    let (rf, rl, cf, cl) = match d.len() {
        10 => (short(0), short(2), short(4), short(6)),
        14 | 16 => (
            u32_at(d, 0).unwrap_or(0),
            u32_at(d, 4).unwrap_or(0),
            short(8),
            short(10),
        ),
        _ => return 0,
    };
    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
    let (end_r, end_c) = if rl >= 1 && cl >= 1 {
        (rl - 1, cl - 1)
    } else {
        (rf, cf)
    };
    let rows = end_r.wrapping_sub(rf).wrapping_add(1) as u64;
    let cols = end_c.wrapping_sub(cf).wrapping_add(1) as u64;
    rows.saturating_mul(cols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::EngineError;
    use crate::ingest::rows::{Entry, Rows};
    use crate::ingest::sniff;
    use crate::schema::Dataset;

    fn rec(typ: u16, data: &[u8]) -> Vec<u8> {
        [&typ.to_le_bytes()[..], &(data.len() as u16).to_le_bytes(), data].concat()
    }

    fn cell(typ: u16, r: u16, c: u16, rest: &[u8]) -> Vec<u8> {
        rec(
            typ,
            &[&r.to_le_bytes()[..], &c.to_le_bytes(), &[0, 0], rest].concat(),
        )
    }

    fn label(r: u16, c: u16, text: &str) -> Vec<u8> {
        cell(
            0x0204,
            r,
            c,
            &[&(text.len() as u16).to_le_bytes()[..], &[0], text.as_bytes()].concat(),
        )
    }

    fn number(r: u16, c: u16, v: f64) -> Vec<u8> {
        cell(0x0203, r, c, &v.to_le_bytes())
    }

    /// A BIFF8 workbook stream: `globals` records, then one sheet "Orders" of `cells` records.
    fn book(globals: &[Vec<u8>], cells: &[Vec<u8>]) -> Vec<u8> {
        let bof = |dt: u16| rec(0x0809, &[&[0, 6][..], &dt.to_le_bytes(), &[0; 12]].concat());
        let mut out = [bof(5)]
            .into_iter()
            .chain(globals.iter().cloned())
            .collect::<Vec<_>>()
            .concat();
        let pos = (out.len() + 4 + 14 + 4) as u32;
        out.extend(rec(
            0x0085,
            &[&pos.to_le_bytes()[..], &[0, 0, 6, 0], b"Orders"].concat(),
        ));
        out.extend(rec(0x000A, &[]));
        assert_eq!(out.len() as u32, pos);
        out.extend(
            [bof(0x10)]
                .iter()
                .chain(cells)
                .chain([&rec(0x000A, &[])])
                .flatten(),
        );
        out
    }

    /// A compound file (512-byte sectors) holding `stream` as "Workbook": in sectors of its own,
    /// or, `small`, in 64-byte sectors of the root entry's stream.
    fn cfb(stream: &[u8], small: bool) -> Vec<u8> {
        let le = |n: u32| n.to_le_bytes();
        let padded = |b: &[u8], to: usize| [b, &vec![0; b.len().next_multiple_of(to) - b.len()]].concat();
        // Sector 0 the FAT, 1 the directory, 2 the mini FAT, then the data.
        let data = match small {
            true => padded(stream, 512),
            false => padded(stream, 4096.max(stream.len()).next_multiple_of(512)),
        };
        let n = (data.len() / 512) as u32;
        let mut fat = vec![0xFFFF_FFFD, ENDOFCHAIN, ENDOFCHAIN];
        fat.extend((4..4 + n).map(|next| if next == 3 + n { ENDOFCHAIN } else { next }));
        // One sector of mini FAT: a small stream is under 4096 bytes, 64 sectors of 64.
        let small_sectors = if small {
            stream.len().div_ceil(64) as u32
        } else {
            0
        };
        let mut mini_fat: Vec<u32> = (1..=small_sectors)
            .map(|next| if next == small_sectors { ENDOFCHAIN } else { next })
            .collect();
        mini_fat.resize(128, 0xFFFF_FFFF);
        let entry = |name: &str, typ: u8, start: u32, len: usize| {
            let mut e = vec![0u8; 128];
            for (i, u) in name.encode_utf16().enumerate() {
                e[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
            }
            e[64] = (name.len() as u8 + 1) * 2;
            e[66] = typ;
            e[116..120].copy_from_slice(&le(start));
            e[120..124].copy_from_slice(&le(len as u32));
            e
        };
        let (root, book) = match small {
            true => (
                entry("Root Entry", 5, 3, data.len()),
                entry("Workbook", 2, 0, stream.len()),
            ),
            false => (
                entry("Root Entry", 5, ENDOFCHAIN, 0),
                entry("Workbook", 2, 3, data.len()),
            ),
        };
        let mut header = [
            &b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"[..],
            &[0; 16],
            &[0x3E, 0, 3, 0, 0xFE, 0xFF, 9, 0, 6, 0],
        ]
        .concat();
        header.resize(44, 0);
        for n in [1, 1, 0, 4096, 2, u32::from(small), ENDOFCHAIN, 0, 0] {
            header.extend(le(n));
        }
        header.resize(512, 0xFF);
        let words = |w: &[u32]| padded(&w.iter().flat_map(|n| le(*n)).collect::<Vec<_>>(), 512);
        [
            header,
            words(&fat),
            padded(&[root, book].concat(), 512),
            words(&mini_fat),
            data,
        ]
        .concat()
    }

    fn open(bytes: &[u8], limits: Limits) -> Result<Vec<Vec<String>>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.xls");
        std::fs::write(&path, bytes).unwrap();
        let fmt = sniff::sniff(&path, "orders.xls", limits).unwrap();
        let mut opened = super::super::open(&path, &fmt, limits, Some(Dataset::Sales))?;
        let mut rows = Rows::default();
        while opened.source.next(&mut rows)? {}
        Ok(rows
            .iter()
            .map(|e| match e {
                Entry::Row(_, r) => r.iter().map(str::to_string).collect(),
                Entry::Bad(..) => Vec::new(),
            })
            .collect())
    }

    fn too_large(got: Result<Vec<Vec<String>>>) -> String {
        match got {
            Err(EngineError::Rejected(r)) if r.code() == "too_large" => r.to_string(),
            other => panic!("not refused as too large: {:?}", other.map_err(|e| e.to_string())),
        }
    }

    /// Calamine lays every sheet of an .xls out as a grid at open, before anything can be
    /// checked: two cells far apart, a DIMENSIONS record declaring a huge sheet, or a shared
    /// string copied into many cells took memory by the gigabyte from a few kilobytes, and a
    /// cell at column 65535 of row 65535 (137 GB) ended the process. Such a workbook is refused
    /// as too large, naming the sheet, from its records; an ordinary one (in large or small
    /// sectors) is read.
    #[test]
    fn an_xls_that_calamine_would_lay_out_too_large_is_refused_before_it_opens() {
        let limits = Limits {
            max_workbook_bytes: 1 << 20,
            ..Limits::default()
        };
        let header = [
            label(0, 0, "Order ID"),
            label(0, 1, "Order Date"),
            label(0, 2, "Amount"),
        ];
        let row = [label(1, 0, "A-1"), number(1, 1, 45000.0), number(1, 2, 12.5)];
        let cells = [&header[..], &row].concat();
        for small in [false, true] {
            assert_eq!(
                open(&cfb(&book(&[], &cells), small), limits).unwrap(),
                [["A-1", "2023-03-15T00:00:00", "12.5"]]
            );
            let far = [&cells[..], &[number(65_535, 255, 1.0)]].concat();
            let text = too_large(open(&cfb(&book(&[], &far), small), limits));
            assert!(
                text.starts_with("sheet \"Orders\" spans A1:IV65536 and would take"),
                "{text}"
            );
        }
        // Rows 0 to 65535 of 256 columns declared, 671 MB reserved.
        let dims = rec(
            0x0200,
            &[
                &0u32.to_le_bytes()[..],
                &65_536u32.to_le_bytes(),
                &[0, 0, 0, 1, 0, 0],
            ]
            .concat(),
        );
        let declared = [&[dims][..], &cells].concat();
        too_large(open(&cfb(&book(&[], &declared), false), limits));
        // One shared string of 8,000 characters, named by 300 cells: 2.4 MB of copies.
        let sst = rec(
            0x00FC,
            &[&[0; 8][..], &8000u16.to_le_bytes(), &[0], &[b'x'; 8000]].concat(),
        );
        let copies: Vec<Vec<u8>> = (2..302)
            .map(|r| cell(0x00FD, r, 3, &0u32.to_le_bytes()))
            .collect();
        let copied = [&cells[..], &copies].concat();
        assert_eq!(shared_string_sizes(&[&sst[12..]], true), [16_000]);
        // Split over a CONTINUE record, whose first byte says its characters are two bytes each.
        let split = [&[3, 0, 0, b'a'][..], &[1, b'b', 0, b'c', 0, 1, 0, 0, b'z']];
        assert_eq!(shared_string_sizes(&split, true), [2 + 3 + 3, 2]);
        assert_eq!(shared_string_sizes(&split, false), [4 + 6 + 6, 4]);
        too_large(open(
            &cfb(&book(std::slice::from_ref(&sst), &copied), false),
            limits,
        ));
        let roomy = Limits {
            max_workbook_bytes: 4 << 20,
            ..limits
        };
        assert_eq!(
            open(&cfb(&book(&[sst], &copied), false), roomy).unwrap().len(),
            301
        );
    }

    /// A compound file whose directory's sectors loop: calamine followed it forever, its memory
    /// growing; it is refused as damaged.
    #[test]
    fn a_compound_file_whose_sectors_loop_is_refused() {
        let mut file = cfb(&book(&[], &[label(0, 0, "Order ID")]), false);
        // The FAT entry of the directory (sector 1) points back to it.
        file[512 + 4..512 + 8].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(workbook_stream(&file), Err("a sector chain loops"));
        match check(&file, Limits::default()) {
            Err(EngineError::Rejected(r)) => assert_eq!(r.code(), "malformed_file", "{r}"),
            other => panic!("not refused: {:?}", other.map_err(|e| e.to_string())),
        }
    }
}
