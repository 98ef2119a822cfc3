//! Dates and date-times in the shapes shop exports use: ISO 8601, d/m/y and m/d/y with any common
//! separator, English month names, 12-hour clocks (with English, Persian and Arabic markers),
//! compact YYYYMMDD, Excel serial numbers, Unix epochs and Jalali (Solar Hijri) dates.
//!
//! Plain ASCII ISO and d/m/y values take fixed-shape fast paths on bytes. Everything else is split
//! into a few tokens (numbers, words, punctuation) in a stack array and matched by hand, so no
//! value allocates unless it contains Persian or Arabic digits.

use chrono::{
    DateTime, Datelike, FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::digits::normalize_digits;
use super::jalali::jalali_to_gregorian;
use super::{ValueError, fold_char, is_invisible, is_null_marker, trim_value};

/// Gregorian years accepted; anything else is almost certainly a typo or a placeholder
/// ("0001-01-01", "9999-12-31") and is reported as out of range rather than stored.
const MIN_YEAR: i32 = 1900;
const MAX_YEAR: i32 = 2100;

/// A four-digit year in this range is a Jalali year: no Gregorian year in range overlaps it.
pub(crate) const JALALI_YEARS: std::ops::RangeInclusive<i32> = 1200..=1500;

/// How to read an ambiguous `a/b/yyyy` date when the column gives no evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateOrder {
    Auto,
    DayFirst,
    MonthFirst,
    /// `yy/mm/dd` with a two-digit Jalali year ("02/07/15" is 1402/07/15), as Persian software
    /// writes short dates.
    JalaliYearFirst,
    /// `dd/mm/yy` with a two-digit Jalali year ("15/07/02" is 1402/07/15).
    JalaliDayFirst,
}

/// The dominant way a column is written; decides how bare numbers are read and what the ingest
/// report says. The order of [`Style::ALL`] breaks ties in inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Iso,
    Jalali,
    Dmy,
    MonthName,
    Yyyymmdd,
    Excel,
    UnixSeconds,
    UnixMillis,
    /// GA4's BigQuery export (`event_timestamp`) counts microseconds.
    UnixMicros,
    UnixNanos,
}

impl Style {
    const ALL: [Style; 10] = [
        Style::Iso,
        Style::Jalali,
        Style::Dmy,
        Style::MonthName,
        Style::Yyyymmdd,
        Style::Excel,
        Style::UnixSeconds,
        Style::UnixMillis,
        Style::UnixMicros,
        Style::UnixNanos,
    ];
}

/// Parses the dates of one column, with the conventions inferred for that column.
#[derive(Debug, Clone)]
pub struct DateParser {
    style: Style,
    day_first: bool,
    /// `a/b/c` with two-digit parts is a Jalali `yy/mm/dd` ([`DateOrder::JalaliYearFirst`]).
    jalali_year_first: bool,
    /// How a column of Jalali dates writes a two-digit year, as its four-digit dates do.
    short_jalali: ShortJalali,
    tz: Tz,
    /// The zone's offset when it never changes (UTC, Etc/GMT+3, ...): converting then needs no
    /// transition lookup.
    fixed: Option<FixedOffset>,
}

/// Dates with a two-digit year in a column of Jalali dates (inferred, [`DateOrder::Auto`] only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShortJalali {
    /// Not a Jalali column, or an order was configured: read as everywhere else.
    No,
    /// The column writes `1402/07/01`: `۰۲/۰۷/۱۵` is Persian software's short form of it.
    YearFirst,
    /// The column writes `15/07/1402` (or month names): `15/07/02` is 1402.
    YearLast,
    /// Both: a short date is refused (quarantined) rather than guessed.
    Unclear,
}

/// A parsed value before it is placed on the time line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stamp {
    /// A calendar date and wall-clock time, in the column's zone unless it carries an offset.
    Local {
        date: NaiveDate,
        time: Option<NaiveTime>,
        offset: Option<FixedOffset>,
    },
    /// An instant (Unix epochs), independent of any zone.
    Instant(DateTime<Utc>),
}

impl DateParser {
    /// A parser with no inferred conventions: `a/b/yyyy` is read in `order` (day-first for
    /// [`DateOrder::Auto`]) and bare numbers are never Excel serials.
    pub fn new(order: DateOrder, tz: Tz) -> Self {
        DateParser {
            style: Style::Dmy,
            day_first: order != DateOrder::MonthFirst,
            jalali_year_first: order == DateOrder::JalaliYearFirst,
            short_jalali: if order == DateOrder::JalaliDayFirst {
                ShortJalali::YearLast
            } else {
                ShortJalali::No
            },
            tz,
            fixed: fixed_offset(tz),
        }
    }

    /// Decides, from sample values of one column, how the column is written: day-first vs
    /// month-first (a sample whose first part is > 12 is evidence for day-first, second part > 12
    /// for month-first; the majority of evidence wins and without evidence `order` decides, Auto
    /// meaning day-first), and whether a purely numeric column is YYYYMMDD, Jalali YYYYMMDD, an
    /// Excel serial number, or Unix epoch seconds or milliseconds.
    pub fn infer<'a, I: IntoIterator<Item = &'a str>>(samples: I, order: DateOrder, tz: Tz) -> Self {
        let mut votes = [0usize; Style::ALL.len()];
        let (mut day_first_evidence, mut month_first_evidence) = (0usize, 0usize);
        // Jalali dates written year first, and Jalali dates written otherwise (`15/07/1402`,
        // `۱۵ مهر ۱۴۰۲`): only a column of the first kind reads `02/07/15` as 1402/07/15.
        let (mut jalali_year_first, mut jalali_other) = (0usize, 0usize);
        for sample in samples {
            match classify(sample) {
                Some(Evidence::JalaliYearFirst) => {
                    votes[Style::Jalali as usize] += 1;
                    jalali_year_first += 1;
                }
                Some(Evidence::Style(style)) => {
                    votes[style as usize] += 1;
                    if style == Style::Jalali {
                        jalali_other += 1;
                    }
                }
                Some(Evidence::Dmy {
                    first_over_12,
                    second_over_12,
                }) => {
                    votes[Style::Dmy as usize] += 1;
                    if first_over_12 && !second_over_12 {
                        day_first_evidence += 1;
                    } else if second_over_12 && !first_over_12 {
                        month_first_evidence += 1;
                    }
                }
                None => {}
            }
        }
        let mut style = Style::Dmy;
        let mut best = 0;
        for candidate in Style::ALL {
            if votes[candidate as usize] > best {
                best = votes[candidate as usize];
                style = candidate;
            }
        }
        let day_first = match day_first_evidence.cmp(&month_first_evidence) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => order != DateOrder::MonthFirst,
        };
        // A day or month order given in the configuration is kept for short dates.
        let short_jalali = match (jalali_year_first > 0, jalali_other > 0) {
            _ if order == DateOrder::JalaliDayFirst => ShortJalali::YearLast,
            _ if style != Style::Jalali || order != DateOrder::Auto => ShortJalali::No,
            (true, false) => ShortJalali::YearFirst,
            (false, _) => ShortJalali::YearLast,
            (true, true) => ShortJalali::Unclear,
        };
        DateParser {
            style,
            day_first,
            jalali_year_first: order == DateOrder::JalaliYearFirst,
            short_jalali,
            tz,
            fixed: fixed_offset(tz),
        }
    }

    /// Whether ambiguous `a/b/yyyy` dates are read day-first.
    pub fn day_first(&self) -> bool {
        self.day_first
    }

    /// Whether the column is written in the Jalali calendar (a Persian export).
    pub fn is_jalali(&self) -> bool {
        self.style == Style::Jalali || self.jalali_year_first || self.short_jalali != ShortJalali::No
    }

    /// The zone naive values are interpreted in.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The zone naive values are read in, as the report names it: the zone's name, or
    /// "UTC+01:00" for an offset a header gave.
    pub fn zone_label(&self) -> String {
        match self.fixed {
            Some(f) if fixed_offset(self.tz) != Some(f) => format!("UTC{f}"),
            _ => self.tz.name().to_string(),
        }
    }

    /// The same conventions with naive values read in the zone a row's own time-zone cell
    /// names.
    pub fn in_zone(&self, zone: RowZone) -> DateParser {
        match zone {
            RowZone::Named(tz) => DateParser {
                tz,
                fixed: fixed_offset(tz),
                ..self.clone()
            },
            RowZone::Offset(offset) => DateParser {
                fixed: Some(offset),
                ..self.clone()
            },
        }
    }

    /// Parses one cell into an instant. `Ok(None)` for empty cells and null markers. Naive values
    /// are wall-clock times in the column's zone (a time in a DST gap moves forward by the length
    /// of the gap; an ambiguous one takes the earlier instant); values with an offset or `Z` use
    /// it; Unix epochs are UTC.
    pub fn parse(&self, raw: &str) -> Result<Option<DateTime<Utc>>, ValueError> {
        Ok(self.stamp(raw, false)?.map(|stamp| self.resolve(stamp)))
    }

    /// Combines a date column and a time column. An empty time means the date cell alone is
    /// parsed (so midnight, unless that cell carries a time itself); otherwise any time in the date
    /// cell is ignored in favour of the time column. The time may be an Excel day fraction.
    pub fn parse_parts(&self, date: &str, time: &str) -> Result<Option<DateTime<Utc>>, ValueError> {
        let time = trim_value(time);
        if is_null_marker(time) {
            return self.parse(date);
        }
        let Some(date) = self.parse_date(date)? else {
            return Ok(None);
        };
        let (time, offset) = parse_time_cell(time)?;
        Ok(Some(self.resolve(Stamp::Local {
            date,
            time: Some(time),
            offset,
        })))
    }

    /// The calendar date of a cell, ignoring any time part (for birth or sign-up dates). Unix
    /// epochs give their date in the column's zone.
    pub fn parse_date(&self, raw: &str) -> Result<Option<NaiveDate>, ValueError> {
        Ok(self.stamp(raw, true)?.map(|stamp| match stamp {
            Stamp::Local { date, .. } => date,
            Stamp::Instant(instant) => instant.with_timezone(&self.tz).date_naive(),
        }))
    }

    /// Short description of how the column is written, for the ingest report.
    pub fn describe(&self) -> &'static str {
        match self.style {
            Style::Iso => "iso-8601",
            Style::Jalali => "jalali",
            Style::Dmy if self.jalali_year_first => "jalali-year-first",
            Style::Dmy if self.short_jalali == ShortJalali::YearLast => "jalali-day-first",
            Style::Dmy if self.day_first => "day-first",
            Style::Dmy => "month-first",
            Style::MonthName => "month-name",
            Style::Yyyymmdd => "yyyymmdd",
            Style::Excel => "excel-serial",
            Style::UnixSeconds => "unix-seconds",
            Style::UnixMillis => "unix-millis",
            Style::UnixMicros => "unix-micros",
            Style::UnixNanos => "unix-nanos",
        }
    }

    fn stamp(&self, raw: &str, date_only: bool) -> Result<Option<Stamp>, ValueError> {
        let trimmed = trim_value(raw);
        if is_null_marker(trimmed) {
            return Ok(None);
        }
        if let Some(result) = fast_iso(trimmed.as_bytes()) {
            return result.map(Some);
        }
        if let Some(result) = fast_dmy(trimmed.as_bytes(), self.day_first) {
            return result.map(Some);
        }
        let normalized = normalize_digits(trimmed);
        let s = normalized.as_ref();
        if is_numeric(s) {
            return self.numeric(s).map(Some);
        }
        // An Excel serial with a decimal comma, as a German or French export writes its fraction.
        if self.style == Style::Excel
            && let Some(serial) = comma_serial(s)
        {
            return excel_serial(serial).map(Some);
        }
        let tokens = tokenize(s)?;
        let tokens = tokens.as_slice();
        if let Some(leading) = leading_time(tokens) {
            let (time, start) = leading?;
            let (date, next) = self.date_tokens(&tokens[start..])?;
            if start + next != tokens.len() {
                return Err(ValueError::BadDate);
            }
            return Ok(Some(Stamp::Local {
                date,
                time: (!date_only).then_some(time),
                offset: None,
            }));
        }
        let (date, next) = self.date_tokens(tokens)?;
        if date_only {
            return Ok(Some(Stamp::Local {
                date,
                time: None,
                offset: None,
            }));
        }
        let (time, offset) = time_after_date(tokens, next)?;
        Ok(Some(Stamp::Local { date, time, offset }))
    }

    fn resolve(&self, stamp: Stamp) -> DateTime<Utc> {
        match stamp {
            Stamp::Instant(instant) => instant,
            Stamp::Local { date, time, offset } => {
                let local = date.and_time(time.unwrap_or(NaiveTime::MIN));
                match offset.or(self.fixed) {
                    Some(offset) => utc_from_offset(local, offset),
                    None => self.zoned_to_utc(local),
                }
            }
        }
    }

    fn zoned_to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.tz.from_local_datetime(&local) {
            MappedLocalTime::Single(dt) => dt.with_timezone(&Utc),
            MappedLocalTime::Ambiguous(a, b) => a.with_timezone(&Utc).min(b.with_timezone(&Utc)),
            MappedLocalTime::None => {
                // In a DST gap: read the wall-clock time with the offset in force before the gap,
                // which lands as far past the gap as the time was into it (02:30 -> 03:30).
                let before = self
                    .tz
                    .offset_from_utc_datetime(&(local - TimeDelta::days(1)))
                    .fix();
                utc_from_offset(local, before)
            }
        }
    }

    /// Cells that are only digits (with an optional fraction).
    fn numeric(&self, s: &str) -> Result<Stamp, ValueError> {
        let bad = ValueError::BadDate;
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if self.style == Style::Excel && int.len() <= 7 {
            return excel_serial(s.parse().map_err(|_| bad)?);
        }
        match int.len() {
            8 if frac.is_empty() => {
                let v: u32 = int.parse().map_err(|_| bad)?;
                let date = ymd4((v / 10_000) as i32, v / 100 % 100, v % 100)?;
                Ok(Stamp::Local {
                    date,
                    time: None,
                    offset: None,
                })
            }
            9 | 10 => {
                let secs: i64 = int.parse().map_err(|_| bad)?;
                instant(DateTime::from_timestamp(secs, fraction_nanos(frac)))
            }
            12 | 13 => {
                let millis: i64 = int.parse().map_err(|_| bad)?;
                let nanos = (millis % 1000) as u32 * 1_000_000 + fraction_nanos(frac) / 1000;
                instant(DateTime::from_timestamp(millis / 1000, nanos))
            }
            // Microseconds (GA4's event_timestamp: 1718877600000123) and nanoseconds, from 1973
            // on; a fraction after them is dropped.
            15 | 16 => {
                let micros: i64 = int.parse().map_err(|_| bad)?;
                instant(DateTime::from_timestamp_micros(micros))
            }
            18 | 19 => {
                let nanos: i64 = int.parse().map_err(|_| bad)?;
                instant(Some(DateTime::from_timestamp_nanos(nanos)))
            }
            _ => Err(bad),
        }
    }

    /// Parses the date at the start of `t`; returns it and the index of the first token after it.
    fn date_tokens(&self, t: &[Tok<'_>]) -> Result<(NaiveDate, usize), ValueError> {
        let bad = ValueError::BadDate;
        let i = skip_weekday(t);
        match t.get(i).copied() {
            Some(Tok::Num { v: a, len: a_len }) => {
                if let (Some(Tok::Sym(sep)), Some(Tok::Num { v: b, len: b_len })) =
                    (t.get(i + 1), t.get(i + 2))
                    && is_date_sep(*sep)
                {
                    let Some(&Tok::Num { v: c, len: c_len }) = t.get(i + 4) else {
                        return Err(bad);
                    };
                    if t.get(i + 3) != Some(&Tok::Sym(*sep)) || *b_len > 2 {
                        return Err(bad);
                    }
                    let (a, b, c) = (a as u32, *b as u32, c as u32);
                    let date = match (a_len, c_len) {
                        (4, 1 | 2) => ymd4(a as i32, b, c)?,
                        (1 | 2, 1 | 2) if self.short_jalali == ShortJalali::Unclear => return Err(bad),
                        (2, 1 | 2)
                            if self.jalali_year_first || self.short_jalali == ShortJalali::YearFirst =>
                        {
                            jalali(expand_jalali_year(a), b, c)?
                        }
                        (1 | 2, 2 | 4) => {
                            let year = match c_len {
                                4 => c as i32,
                                _ if self.short_jalali == ShortJalali::YearLast => expand_jalali_year(c),
                                _ => expand_year(c),
                            };
                            if JALALI_YEARS.contains(&year) {
                                // Persian usage is day/month/year, never month-first.
                                jalali(year, b, a)?
                            } else if self.day_first {
                                gregorian(year, b, a)?
                            } else {
                                gregorian(year, a, b)?
                            }
                        }
                        _ => return Err(bad),
                    };
                    return Ok((date, i + 5));
                }
                match a_len {
                    // "2023-Jan-05"
                    4 => {
                        let mut j = skip_sep(t, i + 1);
                        let Some(Tok::Word(w)) = t.get(j) else {
                            return Err(bad);
                        };
                        let (month, persian) = month_word(w).ok_or(bad)?;
                        j = skip_sep(t, skip_mah(t, j + 1, persian));
                        let Some(&Tok::Num { v: d, len: 1 | 2 }) = t.get(j) else {
                            return Err(bad);
                        };
                        let date = if persian {
                            jalali(a as i32, month, d as u32)?
                        } else {
                            gregorian(a as i32, month, d as u32)?
                        };
                        Ok((date, j + 1))
                    }
                    // "20231104T1430..." (a bare 8-digit cell never reaches here).
                    8 => {
                        let v = a as u32;
                        Ok((ymd4((v / 10_000) as i32, v / 100 % 100, v % 100)?, i + 1))
                    }
                    // "01-Jan-2023", "5 January 2023", "5th of May, 2023", "۱۳ آبان ۱۴۰۲"
                    1 | 2 => {
                        let mut j = skip_ordinal(t, i + 1);
                        j = skip_sep(t, j);
                        if matches!(t.get(j), Some(Tok::Word(w)) if word_is(w, "of")) {
                            j += 1;
                        }
                        let Some(Tok::Word(w)) = t.get(j) else {
                            return Err(bad);
                        };
                        let (month, persian) = month_word(w).ok_or(bad)?;
                        j = skip_sep(t, skip_mah(t, j + 1, persian));
                        let year = year_token(t.get(j), persian)?;
                        let date = if persian {
                            jalali(year, month, a as u32)?
                        } else {
                            gregorian(year, month, a as u32)?
                        };
                        Ok((date, j + 1))
                    }
                    _ => Err(bad),
                }
            }
            // "Jan 5, 2023", "January 5th 2023", "Nov-04-2023"
            Some(Tok::Word(w)) => {
                let (month, persian) = month_word(w).ok_or(bad)?;
                let j = skip_sep(t, skip_mah(t, i + 1, persian));
                let Some(&Tok::Num { v: d, len: 1 | 2 }) = t.get(j) else {
                    return Err(bad);
                };
                let j = skip_sep(t, skip_ordinal(t, j + 1));
                let year = year_token(t.get(j), persian)?;
                let date = if persian {
                    jalali(year, month, d as u32)?
                } else {
                    gregorian(year, month, d as u32)?
                };
                Ok((date, j + 1))
            }
            _ => Err(bad),
        }
    }
}

/// Parses a time-of-day cell: "8:26", "08:26:00", "14:30:00.250", "8:26 PM", "8 pm",
/// "02:30 ب.ظ". `Ok(None)` for empty cells and null markers.
pub fn parse_time_of_day(raw: &str) -> Result<Option<NaiveTime>, ValueError> {
    let trimmed = trim_value(raw);
    if is_null_marker(trimmed) {
        return Ok(None);
    }
    if let Some(time) = fast_time(trimmed.as_bytes()) {
        return Ok(Some(time));
    }
    let normalized = normalize_digits(trimmed);
    let tokens = tokenize(&normalized).map_err(|_| ValueError::BadTime)?;
    let t = tokens.as_slice();
    let start = usize::from(matches!(t.first(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case("t")));
    match parse_time(t, start)? {
        (time, None, end) if end == t.len() => Ok(Some(time)),
        _ => Err(ValueError::BadTime),
    }
}

/// The time column of [`DateParser::parse_parts`]: a clock time (optionally with an offset) or an
/// Excel day fraction such as "0.5".
fn parse_time_cell(s: &str) -> Result<(NaiveTime, Option<FixedOffset>), ValueError> {
    let bad = ValueError::BadTime;
    let normalized = normalize_digits(s);
    let s = normalized.as_ref();
    if is_numeric(s) {
        let fraction: f64 = s.parse().map_err(|_| bad)?;
        if !(0.0..1.0).contains(&fraction) {
            return Err(bad);
        }
        let ms = (fraction * 86_400_000.0).round() as u32;
        let time =
            NaiveTime::from_num_seconds_from_midnight_opt((ms / 1000).min(86_399), ms % 1000 * 1_000_000);
        return Ok((time.ok_or(bad)?, None));
    }
    let tokens = tokenize(s).map_err(|_| bad)?;
    let t = tokens.as_slice();
    let start = usize::from(matches!(t.first(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case("t")));
    match parse_time(t, start)? {
        (time, offset, end) if end == t.len() => Ok((time, offset)),
        _ => Err(bad),
    }
}

fn utc_from_offset(local: NaiveDateTime, offset: FixedOffset) -> DateTime<Utc> {
    match offset.local_minus_utc() {
        // Most columns are UTC; skip the date arithmetic for them.
        0 => local.and_utc(),
        secs => (local - TimeDelta::seconds(i64::from(secs))).and_utc(),
    }
}

/// The offset of zones that have no transitions; chrono-tz names them Etc/* or plain UTC aliases.
fn fixed_offset(tz: Tz) -> Option<FixedOffset> {
    let name = tz.name();
    let fixed = name.starts_with("Etc/")
        || matches!(
            name,
            "UTC" | "UCT" | "GMT" | "GMT0" | "GMT+0" | "GMT-0" | "Greenwich" | "Universal" | "Zulu"
        );
    fixed.then(|| {
        tz.offset_from_utc_datetime(&DateTime::UNIX_EPOCH.naive_utc())
            .fix()
    })
}

/// `YYYY-MM-DD`, optionally followed by `[T ]H[H]:MM[:SS]` and `Z`, at fixed byte positions.
/// `None` sends anything else (including invalid times and non-Gregorian years) to the general
/// path, which also produces the right error.
#[inline]
fn fast_iso(b: &[u8]) -> Option<Result<Stamp, ValueError>> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = fast_year(&b[..4])?;
    let month = two_digits(b[5], b[6])?;
    let day = two_digits(b[8], b[9])?;
    let mut rest = &b[10..];
    let mut offset = None;
    if let [head @ .., b'Z'] = rest {
        if head.is_empty() {
            return None;
        }
        rest = head;
        offset = Some(FixedOffset::east_opt(0)?);
    }
    let time = fast_clock(rest)?;
    Some(
        NaiveDate::from_ymd_opt(year, u32::from(month), u32::from(day))
            .map(|date| Stamp::Local { date, time, offset })
            .ok_or(ValueError::BadDate),
    )
}

/// `D[D]/M[M]/YYYY` (or with '.' or '-'), optionally followed by `[T ]H[H]:MM[:SS]`. Like
/// [`fast_iso`], `None` defers to the general path.
#[inline]
fn fast_dmy(b: &[u8], day_first: bool) -> Option<Result<Stamp, ValueError>> {
    let (a, i) = fast_one_or_two(b, 0)?;
    let sep = *b.get(i)?;
    if !is_date_sep(sep) {
        return None;
    }
    let (c, j) = fast_one_or_two(b, i + 1)?;
    if b.get(j) != Some(&sep) {
        return None;
    }
    let year = fast_year(b.get(j + 1..j + 5)?)?;
    let time = fast_clock(&b[j + 5..])?;
    let (day, month) = if day_first { (a, c) } else { (c, a) };
    Some(
        NaiveDate::from_ymd_opt(year, u32::from(month), u32::from(day))
            .map(|date| Stamp::Local {
                date,
                time,
                offset: None,
            })
            .ok_or(ValueError::BadDate),
    )
}

/// Four ASCII digits forming a Gregorian year in range (Jalali and out-of-range years are left
/// to the general path).
#[inline]
fn fast_year(b: &[u8]) -> Option<i32> {
    let [y1, y2, y3, y4] = *b else {
        return None;
    };
    let year = i32::from(two_digits(y1, y2)?) * 100 + i32::from(two_digits(y3, y4)?);
    (MIN_YEAR..=MAX_YEAR).contains(&year).then_some(year)
}

/// One or two ASCII digits at `b[i..]`: the value and the index after them.
#[inline]
fn fast_one_or_two(b: &[u8], i: usize) -> Option<(u8, usize)> {
    let first = digit(*b.get(i)?)?;
    match b.get(i + 1).and_then(|&c| digit(c)) {
        Some(second) => Some((first * 10 + second, i + 2)),
        None => Some((first, i + 1)),
    }
}

/// Nothing, or `[T ]` and a time for [`fast_time`].
#[inline]
fn fast_clock(rest: &[u8]) -> Option<Option<NaiveTime>> {
    match rest {
        [] => Some(None),
        [b'T' | b' ', time @ ..] => fast_time(time).map(Some),
        _ => None,
    }
}

/// `H:MM`, `HH:MM` and `HH:MM:SS` in ASCII.
#[inline]
fn fast_time(b: &[u8]) -> Option<NaiveTime> {
    let (h, rest) = match b {
        [h, b':', rest @ ..] => (u32::from(digit(*h)?), rest),
        [h1, h2, b':', rest @ ..] => (u32::from(two_digits(*h1, *h2)?), rest),
        _ => return None,
    };
    match rest {
        [m1, m2] => NaiveTime::from_hms_opt(h, u32::from(two_digits(*m1, *m2)?), 0),
        [m1, m2, b':', s1, s2] => NaiveTime::from_hms_opt(
            h,
            u32::from(two_digits(*m1, *m2)?),
            u32::from(two_digits(*s1, *s2)?),
        ),
        _ => None,
    }
}

#[inline]
fn digit(b: u8) -> Option<u8> {
    b.is_ascii_digit().then(|| b - b'0')
}

#[inline]
fn two_digits(a: u8, b: u8) -> Option<u8> {
    Some(digit(a)? * 10 + digit(b)?)
}

/// Only ASCII digits, with at most one '.' that has digits before it.
fn is_numeric(s: &str) -> bool {
    let b = s.as_bytes();
    let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    int_len > 0
        && match &b[int_len..] {
            [] => true,
            [b'.', frac @ ..] => frac.iter().all(u8::is_ascii_digit),
            _ => false,
        }
}

/// A number written with a decimal comma, `45234,5` (a serial with its time of day, as a
/// spreadsheet in a decimal-comma locale saves it): 5 ASCII digits (1927 to 2173), one ',' and
/// digits.
fn comma_serial(s: &str) -> Option<f64> {
    let (int, frac) = s.split_once(',')?;
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (int.len() == 5 && digits(int) && digits(frac))
        .then(|| format!("{int}.{frac}").parse().ok())
        .flatten()
}

/// Nanoseconds of a fraction written as digits after the decimal point (extra digits dropped).
fn fraction_nanos(frac: &str) -> u32 {
    let mut nanos = 0u32;
    let mut scale = 100_000_000u32;
    for b in frac.bytes().take(9) {
        nanos += u32::from(b - b'0') * scale;
        scale /= 10;
    }
    nanos
}

fn instant(dt: Option<DateTime<Utc>>) -> Result<Stamp, ValueError> {
    let dt = dt.ok_or(ValueError::DateOutOfRange)?;
    if (MIN_YEAR..=MAX_YEAR).contains(&dt.year()) {
        Ok(Stamp::Instant(dt))
    } else {
        Err(ValueError::DateOutOfRange)
    }
}

/// Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 is the 29 February 1900 that
/// Excel invents for Lotus compatibility, so from 61 on the epoch is 1899-12-30 (25569 is
/// 1970-01-01). The fraction is the time of day, rounded to the millisecond to undo float noise.
fn excel_serial(serial: f64) -> Result<Stamp, ValueError> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return Err(ValueError::DateOutOfRange);
    }
    let mut days = serial.trunc() as i64;
    let mut ms = ((serial - serial.trunc()) * 86_400_000.0).round() as i64;
    if ms >= 86_400_000 {
        days += 1;
        ms -= 86_400_000;
    }
    let epoch = match days {
        ..60 => NaiveDate::from_ymd_opt(1899, 12, 31),
        60 => return Err(ValueError::BadDate),
        _ => NaiveDate::from_ymd_opt(1899, 12, 30),
    };
    let date = epoch
        .and_then(|e| e.checked_add_signed(TimeDelta::days(days)))
        .ok_or(ValueError::DateOutOfRange)?;
    if !(MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
        return Err(ValueError::DateOutOfRange);
    }
    let time =
        NaiveTime::from_num_seconds_from_midnight_opt((ms / 1000) as u32, (ms % 1000) as u32 * 1_000_000);
    Ok(Stamp::Local {
        date,
        time,
        offset: None,
    })
}

fn gregorian(y: i32, m: u32, d: u32) -> Result<NaiveDate, ValueError> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&y) {
        return Err(ValueError::DateOutOfRange);
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or(ValueError::BadDate)
}

fn jalali(y: i32, m: u32, d: u32) -> Result<NaiveDate, ValueError> {
    let date = jalali_to_gregorian(y, m, d).ok_or(ValueError::BadDate)?;
    if (MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
        Ok(date)
    } else {
        Err(ValueError::DateOutOfRange)
    }
}

/// A date with a four-digit year first: Jalali when the year says so.
fn ymd4(y: i32, m: u32, d: u32) -> Result<NaiveDate, ValueError> {
    if JALALI_YEARS.contains(&y) {
        jalali(y, m, d)
    } else {
        gregorian(y, m, d)
    }
}

/// Two-digit years pivot at 70, like most spreadsheet software.
fn expand_year(yy: u32) -> i32 {
    let yy = yy as i32;
    if yy < 70 { 2000 + yy } else { 1900 + yy }
}

/// The three parts of an `a/b/c` date whose parts all have one or two digits, the last two (a
/// time may follow).
fn short_parts(v: &str) -> Option<(u32, u32, u32)> {
    let v = normalize_digits(v.trim());
    let mut parts = v.split(['/', '.', '-', ' ', 'T']).filter(|p| !p.is_empty());
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if a.len() > 2 || b.len() > 2 || c.len() != 2 {
        return None;
    }
    Some((a.parse().ok()?, b.parse().ok()?, c.parse().ok()?))
}

/// A date of [`short_parts`] read as Jalali, `yy/mm/dd` or `dd/mm/yy`.
pub(crate) fn short_jalali(v: &str, year_first: bool) -> Option<NaiveDate> {
    let (a, m, c) = short_parts(v)?;
    let (y, d) = if year_first { (a, c) } else { (c, a) };
    jalali_to_gregorian(expand_jalali_year(y), m, d)
}

/// Whether the dates run in one direction under a reading (never both forwards and backwards
/// from one row to the next: an export sorted by date, newest first or last), and the days
/// between consecutive dates (see [`chronology`]); None when a value is no date under it.
pub(crate) fn in_order<'a>(
    values: impl Iterator<Item = &'a str>,
    read: &dyn Fn(&str) -> Option<NaiveDate>,
) -> Option<(bool, i64)> {
    let (mut prev, mut total, mut forwards, mut backwards) = (None::<NaiveDate>, 0i64, false, false);
    for v in values.filter(|v| !v.trim().is_empty()) {
        let date = read(v)?;
        if let Some(p) = prev {
            let step = (date - p).num_days();
            forwards |= step > 0;
            backwards |= step < 0;
            total += step.abs();
        }
        prev = Some(date);
    }
    Some((!(forwards && backwards), total))
}

/// Days between consecutive dates under one reading; None when a value is no date under it.
pub(crate) fn chronology<'a>(
    values: impl Iterator<Item = &'a str>,
    read: &dyn Fn(&str) -> Option<NaiveDate>,
) -> Option<i64> {
    let mut prev: Option<NaiveDate> = None;
    let mut total = 0i64;
    for v in values.filter(|v| !v.trim().is_empty()) {
        let date = read(v)?;
        if let Some(p) = prev {
            total += (date - p).num_days().abs();
        }
        prev = Some(date);
    }
    Some(total)
}

/// The first day of 1370 (1991): a sale or a website event read as earlier is a misreading.
pub(crate) fn earliest_event() -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1991, 3, 21)
}

/// Two-digit years written in Persian digits (۰–۹) are Jalali: Iranian software writes Gregorian
/// dates with four. Which part is the year: the reading under which more values are plausible
/// dates (not after a year from `today`, nor before `earliest` when given), then the one under
/// which they run closer to date order (exports are written in date order), then the one whose
/// last date is later (a one-day export is recent). Gregorian readings ("۱۵/۰۷/۰۲" as 15 July
/// 2002) are not candidates, unless neither Jalali reading gives a plausible date: then None, as
/// for values that are not such dates (Arabic-Indic digits are Arabic software's, Gregorian).
pub(crate) fn persian_short_order<'a>(
    values: impl Iterator<Item = &'a str> + Clone,
    today: NaiveDate,
    earliest: Option<NaiveDate>,
) -> Option<DateOrder> {
    let present = values.filter(|v| !is_null_marker(trim_value(v)));
    let mut any = false;
    for v in present.clone() {
        short_parts(v)?;
        any |= v.chars().any(|c| matches!(c, '\u{06F0}'..='\u{06F9}'));
    }
    if !any {
        return None;
    }
    let latest = today + chrono::Days::new(366);
    let plausible = |d: NaiveDate| d <= latest && earliest.is_none_or(|e| d >= e);
    let year_first = |v: &str| short_jalali(v, true).filter(|d| plausible(*d));
    let day_first = |v: &str| short_jalali(v, false).filter(|d| plausible(*d));
    // (plausible values, −days of jumps between them, last date): larger is better.
    let score = |read: &dyn Fn(&str) -> Option<NaiveDate>| {
        let dates = || present.clone().filter(|v| read(v).is_some());
        let jumps = chronology(dates(), read).unwrap_or(0);
        let last = dates().filter_map(read).max();
        (dates().count(), -jumps, last)
    };
    let (y, d) = (score(&year_first), score(&day_first));
    if y.0 == 0 && d.0 == 0 {
        return None;
    }
    Some(if d > y {
        DateOrder::JalaliDayFirst
    } else {
        DateOrder::JalaliYearFirst
    })
}

/// Two-digit Jalali years: 1400–1419 below 20, else 13yy ("۰۲" is 1402, "۹۸" 1398, "۶۲" 1362).
/// The year is 1405 at the time of writing: at 70, as for Gregorian years, a birth year "62"
/// would be 1462, 57 years ahead.
pub(crate) fn expand_jalali_year(yy: u32) -> i32 {
    let yy = yy as i32;
    if yy < 20 { 1400 + yy } else { 1300 + yy }
}

fn year_token(tok: Option<&Tok<'_>>, persian: bool) -> Result<i32, ValueError> {
    match tok {
        Some(&Tok::Num { v, len: 4 }) => Ok(v as i32),
        Some(&Tok::Num { v, len: 2 }) if persian => Ok(expand_jalali_year(v as u32)),
        Some(&Tok::Num { v, len: 2 }) => Ok(expand_year(v as u32)),
        _ => Err(ValueError::BadDate),
    }
}

fn is_date_sep(c: u8) -> bool {
    matches!(c, b'-' | b'/' | b'.')
}

/// Skips one separator between the parts of a date written with a month name.
fn skip_sep(t: &[Tok<'_>], i: usize) -> usize {
    match t.get(i) {
        Some(Tok::Sym(b'-' | b'/' | b'.' | b',')) => i + 1,
        _ => i,
    }
}

/// Skips the word "ماه" (month) after a Persian month name: "۱۵ مهر ماه ۱۴۰۲".
fn skip_mah(t: &[Tok<'_>], i: usize, persian: bool) -> usize {
    match t.get(i) {
        Some(Tok::Word(w)) if persian && word_is(w, "ماه") => i + 1,
        _ => i,
    }
}

fn skip_ordinal(t: &[Tok<'_>], i: usize) -> usize {
    match t.get(i) {
        // English "5th", French "1er" (le premier) and "1re".
        Some(Tok::Word(w)) if ["st", "nd", "rd", "th", "er", "re"].iter().any(|o| word_is(w, o)) => i + 1,
        _ => i,
    }
}

const WEEKDAYS: [&str; 29] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
    // Persian, folded (no ZWNJ).
    "شنبه",
    "یکشنبه",
    "دوشنبه",
    "سهشنبه",
    "چهارشنبه",
    "پنجشنبه",
    "جمعه",
    // First halves of weekdays written with a space instead of a ZWNJ ("سه شنبه").
    "یک",
    "دو",
    "سه",
    "چهار",
    "پنج",
];

/// Skips a leading weekday name ("Sat, 04 Nov 2023", "شنبه ۱۳ آبان ۱۴۰۲", "سه شنبه ...").
fn skip_weekday(t: &[Tok<'_>]) -> usize {
    let mut i = 0;
    while let Some(Tok::Word(w)) = t.get(i)
        && WEEKDAYS.iter().any(|d| word_is(w, d))
    {
        i += 1;
        if let Some(Tok::Sym(b',')) = t.get(i) {
            i += 1;
        }
    }
    i
}

/// Month names and abbreviations of English, German and French exports, lowercase; a dot after
/// an abbreviation ("Okt.", "févr.") is ignored. Umlauts and accents also in their ASCII forms
/// ("Maerz", "fevr", "aout").
const LATIN_MONTHS: [(&str, u32); 66] = [
    ("jan", 1),
    ("january", 1),
    ("feb", 2),
    ("february", 2),
    ("mar", 3),
    ("march", 3),
    ("apr", 4),
    ("april", 4),
    ("may", 5),
    ("jun", 6),
    ("june", 6),
    ("jul", 7),
    ("july", 7),
    ("aug", 8),
    ("august", 8),
    ("sep", 9),
    ("sept", 9),
    ("september", 9),
    ("oct", 10),
    ("october", 10),
    ("nov", 11),
    ("november", 11),
    ("dec", 12),
    ("december", 12),
    // German (and Austrian "Jänner"), where they differ from the English.
    ("januar", 1),
    ("jän", 1),
    ("jaen", 1),
    ("jänner", 1),
    ("jaenner", 1),
    ("februar", 2),
    ("mär", 3),
    ("mrz", 3),
    ("maer", 3),
    ("märz", 3),
    ("maerz", 3),
    ("marz", 3),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("okt", 10),
    ("oktober", 10),
    ("dez", 12),
    ("dezember", 12),
    // French.
    ("janv", 1),
    ("janvier", 1),
    ("févr", 2),
    ("fevr", 2),
    ("fév", 2),
    ("fev", 2),
    ("février", 2),
    ("fevrier", 2),
    ("mars", 3),
    ("avr", 4),
    ("avril", 4),
    ("juin", 6),
    ("juil", 7),
    ("juillet", 7),
    ("août", 8),
    ("aout", 8),
    ("aoû", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("déc", 12),
    ("décembre", 12),
    ("decembre", 12),
];

/// Jalali month names in folded spelling (Persian yeh, bare alef), in calendar order.
const PERSIAN_MONTHS: [&str; 12] = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "ابان",
    "اذر",
    "دی",
    "بهمن",
    "اسفند",
];

/// The Jalali months as they are written in Latin letters, with the usual variants.
const JALALI_LATIN: [(&str, u32); 17] = [
    ("farvardin", 1),
    ("ordibehesht", 2),
    ("khordad", 3),
    ("tir", 4),
    ("mordad", 5),
    ("amordad", 5),
    ("shahrivar", 6),
    ("mehr", 7),
    ("aban", 8),
    ("azar", 9),
    ("dey", 10),
    ("dei", 10),
    ("bahman", 11),
    ("esfand", 12),
    ("espand", 12),
    ("khordaad", 3),
    ("shahrivaar", 6),
];

/// Whether a word is a month's name or abbreviation that dates are read with (English, German,
/// French, Jalali in Persian or Latin letters).
pub(crate) fn is_month_name(w: &str) -> bool {
    !w.is_empty() && month_word(w).is_some()
}

/// The month number of an English, German, French or Persian month name, and whether it is Persian (Jalali).
fn month_word(w: &str) -> Option<(u32, bool)> {
    if w.as_bytes()[0].is_ascii_alphabetic() {
        LATIN_MONTHS
            .iter()
            .find(|(name, _)| word_is(w, name))
            .map(|&(_, m)| (m, false))
            .or_else(|| {
                // The Jalali months in Latin letters ("20 Mehr 1403", "1 Farvardin 1402").
                JALALI_LATIN
                    .iter()
                    .find(|(name, _)| word_is(w, name))
                    .map(|&(_, m)| (m, true))
            })
    } else {
        // "مهرماه", "مهر‌ماه": the month name with "ماه" (month) run on, with or without a ZWNJ.
        let w = match w.strip_suffix("ماه") {
            Some(head) if !head.is_empty() => head,
            _ => w,
        };
        // «امرداد» is Mordad's older, official spelling; some calendar libraries print it.
        let w = match w {
            "امرداد" => "مرداد",
            w => w,
        };
        PERSIAN_MONTHS
            .iter()
            .position(|name| word_is(w, name))
            .map(|i| (i as u32 + 1, true))
    }
}

/// Compares a word with a lowercase, folded name, ignoring case, dots ("Jan.", "a.m."),
/// ZWNJ and tatweel, and Arabic spelling variants of Persian letters.
fn word_is(w: &str, name: &str) -> bool {
    w.chars()
        .filter(|&c| !matches!(c, '.' | '\u{200C}' | '\u{200D}' | '\u{0640}'))
        .map(|c| match fold_char(c) {
            c if c.is_ascii() => c.to_ascii_lowercase(),
            // "MÄR", "FÉVR."
            c => c.to_lowercase().next().unwrap_or(c),
        })
        .eq(name.chars().filter(|&c| c != '.'))
}

/// Whether a word marks the afternoon (Some(true)) or the morning (Some(false)).
fn meridiem(w: &str) -> Option<bool> {
    const AM: [&str; 5] = ["am", "قظ", "صبح", "ص", "قبلازظهر"];
    const PM: [&str; 5] = ["pm", "بظ", "عصر", "م", "بعدازظهر"];
    if AM.iter().any(|m| word_is(w, m)) {
        Some(false)
    } else if PM.iter().any(|m| word_is(w, m)) {
        Some(true)
    } else {
        None
    }
}

/// The am/pm marker starting at `t[i]` and how many words it takes: one ("PM", "ب.ظ",
/// «بعدازظهر») or, as Persian software spells it out, three («بعد از ظهر», «قبل از ظهر»).
fn meridiem_at(t: &[Tok<'_>], i: usize) -> Option<(bool, usize)> {
    let Some(Tok::Word(w)) = t.get(i) else {
        return None;
    };
    if let Some(is_pm) = meridiem(w) {
        return Some((is_pm, 1));
    }
    let [Some(Tok::Word(a)), Some(Tok::Word(b))] = [t.get(i + 1), t.get(i + 2)] else {
        return None;
    };
    let is_pm = match (word_is(w, "بعد"), word_is(w, "قبل")) {
        (true, _) => true,
        (_, true) => false,
        _ => return None,
    };
    (word_is(a, "از") && word_is(b, "ظهر")).then_some((is_pm, 3))
}

/// After the date: nothing, or an optional 'T' / ',' / '-' / "at" / "ساعت" and a time
/// ("1402/07/15 - 14:30", as Persian shop software writes it).
fn time_after_date(
    t: &[Tok<'_>],
    mut i: usize,
) -> Result<(Option<NaiveTime>, Option<FixedOffset>), ValueError> {
    if i == t.len() {
        return Ok((None, None));
    }
    match t[i] {
        Tok::Word(w) if word_is(w, "t") || word_is(w, "at") || word_is(w, "ساعت") => i += 1,
        Tok::Sym(b',' | b'-') => i += 1,
        _ => {}
    }
    let (time, offset, end) = parse_time(t, i)?;
    if end != t.len() {
        return Err(ValueError::BadTime);
    }
    Ok((Some(time), offset))
}

/// A time before the date ("14:30 1402/07/15", as some Persian point-of-sale software writes
/// it): None unless the value starts with `H:` or `HH:`, which no date does; else the time and
/// the index of the date's first token (after an optional ',' or '-'). No offset is read here:
/// in "14:30 - 1402/07/15" the dash separates, it does not start "-1402".
fn leading_time(t: &[Tok<'_>]) -> Option<Result<(NaiveTime, usize), ValueError>> {
    if !matches!(
        (t.first(), t.get(1)),
        (Some(Tok::Num { len: 1 | 2, .. }), Some(Tok::Sym(b':')))
    ) {
        return None;
    }
    Some(parse_clock(t, 0).map(|(time, end)| {
        let start = match t.get(end) {
            Some(Tok::Sym(b',' | b'-')) => end + 1,
            _ => end,
        };
        (time, start)
    }))
}

/// `H[:MM[:SS[.fff]]] [am/pm] [offset]` starting at `t[i]` (the hour alone needs an am/pm
/// marker). Returns the time, the offset if any and the index after the last token used.
fn parse_time(t: &[Tok<'_>], i: usize) -> Result<(NaiveTime, Option<FixedOffset>, usize), ValueError> {
    let (time, i) = parse_clock(t, i)?;
    let (offset, i) = parse_offset(t, i)?;
    Ok((time, offset, i))
}

/// `H[:MM[:SS[.fff]]] [am/pm]` starting at `t[i]`: the time and the index after it.
fn parse_clock(t: &[Tok<'_>], mut i: usize) -> Result<(NaiveTime, usize), ValueError> {
    let bad = ValueError::BadTime;
    let Some(&Tok::Num { v: hour, len: 1 | 2 }) = t.get(i) else {
        return Err(bad);
    };
    i += 1;
    let (mut minute, mut second, mut nano) = (0, 0, 0);
    let mut has_minutes = false;
    if let Some(Tok::Sym(b':')) = t.get(i) {
        let Some(&Tok::Num { v, len: 2 }) = t.get(i + 1) else {
            return Err(bad);
        };
        minute = v;
        has_minutes = true;
        i += 2;
        if let Some(Tok::Sym(b':')) = t.get(i) {
            let Some(&Tok::Num { v, len: 2 }) = t.get(i + 1) else {
                return Err(bad);
            };
            second = v;
            i += 2;
            if let (Some(Tok::Sym(b'.' | b',')), Some(&Tok::Num { v, len })) = (t.get(i), t.get(i + 1)) {
                nano = frac_tok_nanos(v, len);
                i += 2;
            }
        }
    }
    let pm = meridiem_at(t, i);
    if let Some((_, words)) = pm {
        i += words;
    }
    let pm = pm.map(|(is_pm, _)| is_pm);
    if !has_minutes && pm.is_none() {
        return Err(bad);
    }
    let hour = match pm {
        None => hour,
        Some(_) if hour > 12 => return Err(bad),
        // 12 AM is midnight and 12 PM is noon.
        Some(is_pm) => hour % 12 + if is_pm { 12 } else { 0 },
    };
    let time = NaiveTime::from_hms_nano_opt(hour as u32, minute as u32, second as u32, nano).ok_or(bad)?;
    Ok((time, i))
}

fn frac_tok_nanos(v: u64, len: u8) -> u32 {
    let mut v = v;
    let mut len = len;
    while len > 9 {
        v /= 10;
        len -= 1;
    }
    (v * 10u64.pow(u32::from(9 - len))) as u32
}

/// Names of zones that are not their IANA city, as point-of-sale and shop systems write them
/// (Square and Shopify use Rails' names: "Eastern Time (US & Canada)", "Mumbai").
const ZONE_NAMES: &[(&str, Tz)] = &[
    ("easterntimeuscanada", Tz::America__New_York),
    ("centraltimeuscanada", Tz::America__Chicago),
    ("mountaintimeuscanada", Tz::America__Denver),
    ("pacifictimeuscanada", Tz::America__Los_Angeles),
    ("atlantictimecanada", Tz::America__Halifax),
    ("alaska", Tz::America__Juneau),
    ("hawaii", Tz::Pacific__Honolulu),
    ("arizona", Tz::America__Phoenix),
    ("newfoundland", Tz::America__St_Johns),
    ("indianaeast", Tz::America__Indiana__Indianapolis),
    ("saskatchewan", Tz::America__Regina),
    ("centralamerica", Tz::America__Guatemala),
    ("brasilia", Tz::America__Sao_Paulo),
    ("edinburgh", Tz::Europe__London),
    ("bern", Tz::Europe__Zurich),
    ("stpetersburg", Tz::Europe__Moscow),
    ("abudhabi", Tz::Asia__Muscat),
    ("islamabad", Tz::Asia__Karachi),
    ("mumbai", Tz::Asia__Kolkata),
    ("newdelhi", Tz::Asia__Kolkata),
    ("chennai", Tz::Asia__Kolkata),
    ("beijing", Tz::Asia__Shanghai),
    ("hanoi", Tz::Asia__Bangkok),
    ("osaka", Tz::Asia__Tokyo),
    ("sapporo", Tz::Asia__Tokyo),
    ("canberra", Tz::Australia__Melbourne),
    ("wellington", Tz::Pacific__Auckland),
    ("pretoria", Tz::Africa__Johannesburg),
    ("tehran", Tz::Asia__Tehran),
    ("iran", Tz::Asia__Tehran),
    ("irst", Tz::Asia__Tehran),
    ("تهران", Tz::Asia__Tehran),
    ("ایران", Tz::Asia__Tehran),
    ("وقتتهران", Tz::Asia__Tehran),
    ("بهوقتتهران", Tz::Asia__Tehran),
    ("وقتایران", Tz::Asia__Tehran),
    ("ساعتاستانداردایران", Tz::Asia__Tehran),
    ("mitteleuropäischezeit", Tz::Europe__Berlin),
    ("utc", Tz::UTC),
    ("gmt", Tz::UTC),
    ("coordinateduniversaltime", Tz::UTC),
    // Windows zone ids (Dynamics, SQL Server, .NET exports).
    ("easternstandardtime", Tz::America__New_York),
    ("centralstandardtime", Tz::America__Chicago),
    ("mountainstandardtime", Tz::America__Denver),
    ("usmountainstandardtime", Tz::America__Phoenix),
    ("pacificstandardtime", Tz::America__Los_Angeles),
    ("alaskanstandardtime", Tz::America__Anchorage),
    ("hawaiianstandardtime", Tz::Pacific__Honolulu),
    ("atlanticstandardtime", Tz::America__Halifax),
    ("saeasternstandardtime", Tz::America__Cayenne),
    ("esouthamericastandardtime", Tz::America__Sao_Paulo),
    ("sapacificstandardtime", Tz::America__Bogota),
    ("argentinastandardtime", Tz::America__Argentina__Buenos_Aires),
    ("centralstandardtimemexico", Tz::America__Mexico_City),
    ("gmtstandardtime", Tz::Europe__London),
    ("greenwichstandardtime", Tz::Atlantic__Reykjavik),
    ("weuropestandardtime", Tz::Europe__Berlin),
    ("centraleuropestandardtime", Tz::Europe__Budapest),
    ("centraleuropeanstandardtime", Tz::Europe__Warsaw),
    ("romancestandardtime", Tz::Europe__Paris),
    ("gtbstandardtime", Tz::Europe__Bucharest),
    ("flestandardtime", Tz::Europe__Kyiv),
    ("eeuropestandardtime", Tz::Europe__Chisinau),
    ("turkeystandardtime", Tz::Europe__Istanbul),
    ("russianstandardtime", Tz::Europe__Moscow),
    ("israelstandardtime", Tz::Asia__Jerusalem),
    ("egyptstandardtime", Tz::Africa__Cairo),
    ("southafricastandardtime", Tz::Africa__Johannesburg),
    ("arabstandardtime", Tz::Asia__Riyadh),
    ("arabicstandardtime", Tz::Asia__Baghdad),
    ("arabianstandardtime", Tz::Asia__Dubai),
    ("iranstandardtime", Tz::Asia__Tehran),
    ("afghanistanstandardtime", Tz::Asia__Kabul),
    ("pakistanstandardtime", Tz::Asia__Karachi),
    ("indiastandardtime", Tz::Asia__Kolkata),
    ("bangladeshstandardtime", Tz::Asia__Dhaka),
    ("seasiastandardtime", Tz::Asia__Bangkok),
    ("chinastandardtime", Tz::Asia__Shanghai),
    ("singaporestandardtime", Tz::Asia__Singapore),
    ("tokyostandardtime", Tz::Asia__Tokyo),
    ("koreastandardtime", Tz::Asia__Seoul),
    ("auseasternstandardtime", Tz::Australia__Sydney),
    ("newzealandstandardtime", Tz::Pacific__Auckland),
];

/// A zone a row's own time-zone cell names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RowZone {
    Named(Tz),
    /// An offset ("-05:00", "UTC+3:30") or an abbreviation of one ("EST", "CEST").
    Offset(FixedOffset),
}

/// What a row's time-zone cell says: an offset (`-05:00`, `+0330`, `UTC-5`, `GMT+3:30`,
/// `UTC −03:00`) or one-offset abbreviation (`EST`, `CET`, `MEZ`: before the zone names, since
/// tzdb's `CET` zone keeps summer time and the abbreviation does not); else a zone's name (see
/// [`zone_named`]); else a Windows display name's offset ("(UTC+01:00) …" when none of its cities
/// is known).
pub fn row_zone(raw: &str) -> Option<RowZone> {
    let raw = trim_value(raw);
    // The offset grammar of values ("14:30 -05:00", "2:30 PM EST"), as the whole cell.
    let offset = |s: &str| {
        let s = normalize_digits(s);
        let t = tokenize(&s).ok()?;
        match parse_offset(t.as_slice(), 0) {
            Ok((Some(o), used)) if used == t.len => Some(RowZone::Offset(o)),
            _ => None,
        }
    };
    offset(raw)
        .or_else(|| zone_named(raw).map(RowZone::Named))
        .or_else(|| offset(raw.strip_prefix('(')?.split_once(')')?.0))
}

/// The zone a per-row time-zone cell names: an IANA name in any case ("America/New_York"), a
/// city that is one's last part ("London", "Buenos Aires"), a Windows zone id ("Eastern Standard
/// Time") or a system's own name of it (see [`ZONE_NAMES`]). Of a display name such as
/// "(UTC+01:00) Amsterdam, Berlin, Bern" the first city known. `None` for anything else.
pub fn zone_named(raw: &str) -> Option<Tz> {
    let raw = trim_value(raw);
    // Windows and Rails lists prefix the offset: "(GMT-05:00) Eastern Time (US & Canada)".
    let name = match raw.strip_prefix('(').and_then(|r| r.split_once(')')) {
        Some((inside, rest)) if inside.starts_with("GMT") || inside.starts_with("UTC") => rest.trim(),
        _ => raw,
    };
    one_zone(name).or_else(|| {
        name.contains(',')
            .then(|| name.split(',').find_map(|city| one_zone(city.trim())))
            .flatten()
    })
}

fn one_zone(name: &str) -> Option<Tz> {
    if let Ok(tz) = name.parse::<Tz>() {
        return Some(tz);
    }
    if name.contains('/') {
        return chrono_tz::TZ_VARIANTS
            .iter()
            .copied()
            .find(|tz| tz.name().eq_ignore_ascii_case(name));
    }
    let key: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if key.is_empty() {
        return None;
    }
    if let Some(&(_, tz)) = ZONE_NAMES.iter().find(|(k, _)| *k == key) {
        return Some(tz);
    }
    chrono_tz::TZ_VARIANTS.iter().copied().find(|tz| {
        let city = tz.name().rsplit('/').next().unwrap_or_default();
        city.len() == key.len() + city.matches('_').count()
            && city
                .chars()
                .filter(|c| *c != '_')
                .flat_map(char::to_lowercase)
                .eq(key.chars())
    })
}

/// Zone abbreviations exports print after a time ("Nov 5, 2023 2:30 PM EST"), with their offsets
/// in seconds. Only those that name one offset: IST, AST, CST (US or China) and BST (British or
/// Bangladesh) are left out.
const ZONE_ABBREVIATIONS: &[(&str, i32)] = &[
    ("z", 0),
    ("utc", 0),
    ("gmt", 0),
    ("est", -5 * 3600),
    ("edt", -4 * 3600),
    ("cdt", -5 * 3600),
    ("mst", -7 * 3600),
    ("mdt", -6 * 3600),
    ("pst", -8 * 3600),
    ("pdt", -7 * 3600),
    ("akst", -9 * 3600),
    ("akdt", -8 * 3600),
    ("hst", -10 * 3600),
    ("mez", 3600),
    ("mesz", 2 * 3600),
    ("wet", 0),
    ("west", 3600),
    ("cet", 3600),
    ("cest", 2 * 3600),
    ("eet", 2 * 3600),
    ("eest", 3 * 3600),
    ("irst", 3 * 3600 + 1800),
    ("irdt", 4 * 3600 + 1800),
    ("jst", 9 * 3600),
    ("aest", 10 * 3600),
    ("aedt", 11 * 3600),
];

/// `Z`, `UTC`, `GMT`, a zone abbreviation (`EST`, `CET`, `IRST`), `±HH`, `±HHMM`, `±HH:MM`, or
/// `UTC±...`.
fn parse_offset(t: &[Tok<'_>], mut i: usize) -> Result<(Option<FixedOffset>, usize), ValueError> {
    let bad = ValueError::BadTime;
    let mut seconds = None;
    if let Some(Tok::Word(w)) = t.get(i)
        && let Some(&(_, offset)) = ZONE_ABBREVIATIONS.iter().find(|(name, _)| word_is(w, name))
    {
        seconds = Some(offset);
        i += 1;
    }
    if let Some(&Tok::Sym(sign @ (b'+' | b'-'))) = t.get(i) {
        let Some(&Tok::Num { v, len }) = t.get(i + 1) else {
            return Err(bad);
        };
        let (hours, minutes) = match len {
            1 | 2 => match (t.get(i + 2), t.get(i + 3)) {
                (Some(Tok::Sym(b':')), Some(&Tok::Num { v: m, len: 2 })) => {
                    i += 2;
                    (v, m)
                }
                _ => (v, 0),
            },
            4 => (v / 100, v % 100),
            _ => return Err(bad),
        };
        i += 2;
        if hours > 23 || minutes > 59 {
            return Err(bad);
        }
        let magnitude = (hours * 3600 + minutes * 60) as i32;
        seconds = Some(if sign == b'-' { -magnitude } else { magnitude });
    }
    match seconds {
        None => Ok((None, i)),
        Some(s) => Ok((Some(FixedOffset::east_opt(s).ok_or(bad)?), i)),
    }
}

/// What one sample says about its column.
enum Evidence {
    Style(Style),
    /// A Jalali date written year first (`1402/07/01`, `14020701`).
    JalaliYearFirst,
    Dmy {
        first_over_12: bool,
        second_over_12: bool,
    },
}

fn classify(sample: &str) -> Option<Evidence> {
    let trimmed = trim_value(sample);
    if is_null_marker(trimmed) {
        return None;
    }
    let normalized = normalize_digits(trimmed);
    let s = normalized.as_ref();
    if is_numeric(s) {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        return match int.len() {
            8 if frac.is_empty() => {
                let v: u32 = int.parse().ok()?;
                let (y, m, d) = ((v / 10_000) as i32, v / 100 % 100, v % 100);
                if JALALI_YEARS.contains(&y) {
                    jalali(y, m, d).ok().map(|_| Evidence::JalaliYearFirst)
                } else {
                    gregorian(y, m, d).ok().map(|_| Evidence::Style(Style::Yyyymmdd))
                }
            }
            9 | 10 => Some(Evidence::Style(Style::UnixSeconds)),
            12 | 13 => Some(Evidence::Style(Style::UnixMillis)),
            15 | 16 => Some(Evidence::Style(Style::UnixMicros)),
            18 | 19 => Some(Evidence::Style(Style::UnixNanos)),
            5 => {
                let serial: f64 = s.parse().ok()?;
                (20_000.0..=80_000.0)
                    .contains(&serial)
                    .then_some(Evidence::Style(Style::Excel))
            }
            _ => None,
        };
    }
    if let Some(serial) = comma_serial(s) {
        return (20_000.0..=80_000.0)
            .contains(&serial)
            .then_some(Evidence::Style(Style::Excel));
    }
    let tokens = tokenize(s).ok()?;
    let mut t = tokens.as_slice();
    if let Some(Ok((_, start))) = leading_time(t) {
        t = &t[start..];
    }
    let i = skip_weekday(t);
    match (t.get(i), t.get(i + 1), t.get(i + 2), t.get(i + 3), t.get(i + 4)) {
        (Some(&Tok::Num { v, len: 4 }), Some(Tok::Sym(sep)), ..) if is_date_sep(*sep) => {
            if JALALI_YEARS.contains(&(v as i32)) {
                Some(Evidence::JalaliYearFirst)
            } else {
                Some(Evidence::Style(Style::Iso))
            }
        }
        (
            Some(&Tok::Num { v: a, len: 1 | 2 }),
            Some(Tok::Sym(s1)),
            Some(&Tok::Num { v: b, len: 1 | 2 }),
            Some(Tok::Sym(s2)),
            Some(&Tok::Num {
                v: y,
                len: y_len @ (2 | 4),
            }),
        ) if is_date_sep(*s1) && s1 == s2 => {
            if y_len == 4 && JALALI_YEARS.contains(&(y as i32)) {
                Some(Evidence::Style(Style::Jalali))
            } else {
                Some(Evidence::Dmy {
                    first_over_12: a > 12,
                    second_over_12: b > 12,
                })
            }
        }
        _ => t.iter().find_map(|tok| match tok {
            Tok::Word(w) => month_word(w)
                .map(|(_, persian)| Evidence::Style(if persian { Style::Jalali } else { Style::MonthName })),
            _ => None,
        }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    /// A run of ASCII digits: its value and how many digits it had ("08" is 8, len 2).
    Num { v: u64, len: u8 },
    /// Letters (any script), with any dots attached to them ("Jan.", "a.m.", "ق.ظ").
    Word(&'a str),
    /// One of `- / . : , +` (the Arabic comma and the Unicode minus map onto ',' and '-').
    Sym(u8),
}

const MAX_TOKENS: usize = 24;

struct Tokens<'a> {
    buf: [Tok<'a>; MAX_TOKENS],
    len: usize,
}

impl<'a> Tokens<'a> {
    fn push(&mut self, tok: Tok<'a>) -> Result<(), ValueError> {
        *self.buf.get_mut(self.len).ok_or(ValueError::BadDate)? = tok;
        self.len += 1;
        Ok(())
    }

    fn as_slice(&self) -> &[Tok<'a>] {
        &self.buf[..self.len]
    }
}

/// Splits a digit-normalised value into tokens; whitespace only separates them.
fn tokenize(s: &str) -> Result<Tokens<'_>, ValueError> {
    let bad = ValueError::BadDate;
    let b = s.as_bytes();
    let mut out = Tokens {
        buf: [Tok::Sym(0); MAX_TOKENS],
        len: 0,
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            let start = i;
            let mut v = 0u64;
            while i < b.len() && b[i].is_ascii_digit() {
                v = v.wrapping_mul(10).wrapping_add(u64::from(b[i] - b'0'));
                i += 1;
            }
            // 18 digits always fit in a u64; no date needs more.
            let len = u8::try_from(i - start).ok().filter(|&n| n <= 18).ok_or(bad)?;
            out.push(Tok::Num { v, len })?;
        } else if matches!(c, b'-' | b'/' | b'.' | b':' | b',' | b'+') {
            out.push(Tok::Sym(c))?;
            i += 1;
        } else if c == b' ' || c == b'\t' {
            i += 1;
        } else {
            let ch = s[i..].chars().next().ok_or(bad)?;
            if ch.is_whitespace() || is_invisible(ch) {
                i += ch.len_utf8();
            } else if ch == '\u{060C}' {
                out.push(Tok::Sym(b','))?;
                i += ch.len_utf8();
            } else if ch == '\u{2212}' {
                out.push(Tok::Sym(b'-'))?;
                i += ch.len_utf8();
            } else if ch.is_alphabetic() {
                let start = i;
                for ch in s[i..].chars() {
                    if ch.is_alphabetic() || matches!(ch, '.' | '\u{200C}' | '\u{0640}') {
                        i += ch.len_utf8();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Word(&s[start..i]))?;
            } else {
                return Err(bad);
            }
        }
    }
    Ok(out)
}

/// A run date as a person types it: `YYYY-MM-DD` (or `/`), in any digits, Gregorian or Jalali
/// (`1402-12-20`, `۱۴۰۲/۱۲/۲۰`).
pub fn parse_run_date(raw: &str) -> Result<NaiveDate, String> {
    let expected = || {
        format!("{raw:?} is not a date: expected YYYY-MM-DD, Gregorian (2024-03-10) or Jalali (1402-12-20)")
    };
    let s = normalize_digits(raw.trim());
    let mut parts = s.split(['-', '/']);
    let mut num = |max_len: usize| {
        parts
            .next()
            .filter(|p| (1..=max_len).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<u32>().ok())
    };
    let (Some(y), Some(m), Some(d)) = (num(4), num(2), num(2)) else {
        return Err(expected());
    };
    if parts.next().is_some() {
        return Err(expected());
    }
    let y = i32::try_from(y).map_err(|_| expected())?;
    if JALALI_YEARS.contains(&y) {
        return jalali_to_gregorian(y, m, d)
            .ok_or_else(|| format!("{raw:?}: no such day in the Jalali calendar"));
    }
    if !(MIN_YEAR..=MAX_YEAR).contains(&y) {
        return Err(expected());
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("{raw:?}: no such day"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    #[test]
    fn zones_named_as_exports_name_them() {
        use chrono_tz::{America, Asia, Europe};
        for (raw, tz) in [
            ("America/New_York", America::New_York),
            ("Eastern Time (US & Canada)", America::New_York),
            ("(GMT-08:00) Pacific Time (US & Canada)", America::Los_Angeles),
            ("London", Europe::London),
            ("Buenos Aires", America::Argentina::Buenos_Aires),
            ("Tehran", Asia::Tehran),
            ("تهران", Asia::Tehran),
            ("Mumbai", Asia::Kolkata),
            ("UTC", chrono_tz::UTC),
        ] {
            assert_eq!(zone_named(raw), Some(tz), "{raw}");
        }
        for raw in ["", "Local", "Mars/Olympus", "Time (US & Canada)", "York"] {
            assert_eq!(zone_named(raw), None, "{raw}");
        }
        let offset =
            |h: i32, m: i32| Some(RowZone::Offset(FixedOffset::east_opt(h * 3600 + m * 60).unwrap()));
        assert_eq!(row_zone("-05:00"), offset(-5, 0));
        assert_eq!(row_zone("UTC+3:30"), offset(3, 30));
        assert_eq!(row_zone("GMT -0800"), offset(-8, 0));
        assert_eq!(row_zone("+04"), offset(4, 0));
        assert_eq!(row_zone("CEST"), offset(2, 0));
        assert_eq!(row_zone("IRST"), offset(3, 30));
        assert_eq!(row_zone("CET"), offset(1, 0));
        assert_eq!(row_zone("Tehran"), Some(RowZone::Named(Asia::Tehran)));
        for (raw, tz) in [
            ("Eastern Standard Time", America::New_York),
            ("Iran Standard Time", Asia::Tehran),
            (
                "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
                Europe::Amsterdam,
            ),
            ("(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", Asia::Kolkata),
            ("(UTC) Coordinated Universal Time", chrono_tz::UTC),
            ("Europe/berlin", Europe::Berlin),
            ("Mitteleuropäische Zeit", Europe::Berlin),
            ("ساعت استاندارد ایران", Asia::Tehran),
        ] {
            assert_eq!(row_zone(raw), Some(RowZone::Named(tz)), "{raw}");
        }
        assert_eq!(row_zone("MEZ"), offset(1, 0));
        assert_eq!(row_zone("UTC \u{2212}03:00"), offset(-3, 0));
        assert_eq!(row_zone("(UTC+04:00) Nowhere, Elsewhere"), offset(4, 0));
        for raw in ["+25:00", "-05:75", "GMT+xx", "5", "Local"] {
            assert_eq!(row_zone(raw), None, "{raw}");
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, mi, s).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn hms(h: u32, m: u32, s: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, s).unwrap()
    }

    fn p() -> DateParser {
        DateParser::new(DateOrder::Auto, Tz::UTC)
    }

    fn month_first() -> DateParser {
        DateParser::new(DateOrder::MonthFirst, Tz::UTC)
    }

    fn ok(parser: &DateParser, s: &str) -> DateTime<Utc> {
        match parser.parse(s) {
            Ok(Some(dt)) => dt,
            other => panic!("{s:?} -> {other:?}"),
        }
    }

    fn date(parser: &DateParser, s: &str) -> NaiveDate {
        match parser.parse_date(s) {
            Ok(Some(d)) => d,
            other => panic!("{s:?} -> {other:?}"),
        }
    }

    #[test]
    fn iso_dates_and_datetimes() {
        let p = p();
        assert_eq!(ok(&p, "2023-11-04"), utc(2023, 11, 4, 0, 0, 0));
        assert_eq!(ok(&p, "2023-11-04T14:30"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 14:30"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "2023-11-04T14:30:15"), utc(2023, 11, 4, 14, 30, 15));
        assert_eq!(ok(&p, "2023-11-04 14:30:15"), utc(2023, 11, 4, 14, 30, 15));
        assert_eq!(ok(&p, "2023-11-04T14:30:15Z"), utc(2023, 11, 4, 14, 30, 15));
        assert_eq!(ok(&p, "2023-11-04T14:30Z"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(
            ok(&p, "2023-11-04T14:30:15.250Z"),
            utc(2023, 11, 4, 14, 30, 15) + TimeDelta::milliseconds(250)
        );
        assert_eq!(
            ok(&p, "2023-11-04T14:30:15,5"),
            utc(2023, 11, 4, 14, 30, 15) + TimeDelta::milliseconds(500)
        );
        assert_eq!(
            ok(&p, "2023-11-04T14:30:15.123456789"),
            utc(2023, 11, 4, 14, 30, 15) + TimeDelta::nanoseconds(123_456_789)
        );
        assert_eq!(
            ok(&p, "2023-11-04T14:30:15.1234567891"),
            utc(2023, 11, 4, 14, 30, 15) + TimeDelta::nanoseconds(123_456_789)
        );
        assert_eq!(ok(&p, "2023-1-4"), utc(2023, 1, 4, 0, 0, 0));
        assert_eq!(ok(&p, "2023/11/04"), utc(2023, 11, 4, 0, 0, 0));
        assert_eq!(ok(&p, "2023.11.04"), utc(2023, 11, 4, 0, 0, 0));
        assert_eq!(ok(&p, "2023-11-04 8:26"), utc(2023, 11, 4, 8, 26, 0));
    }

    #[test]
    fn offsets() {
        let p = p();
        assert_eq!(ok(&p, "2023-11-04T14:30:00+03:30"), utc(2023, 11, 4, 11, 0, 0));
        assert_eq!(ok(&p, "2023-11-04T14:30:00+0330"), utc(2023, 11, 4, 11, 0, 0));
        assert_eq!(ok(&p, "2023-11-04T14:30:00+03"), utc(2023, 11, 4, 11, 30, 0));
        assert_eq!(ok(&p, "2023-11-04T14:30:00-05:00"), utc(2023, 11, 4, 19, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 14:30 -0500"), utc(2023, 11, 4, 19, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 14:30 UTC"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 14:30 GMT+2"), utc(2023, 11, 4, 12, 30, 0));
        assert_eq!(ok(&p, "2023-11-04T00:30:00+01:00"), utc(2023, 11, 3, 23, 30, 0));
        // Zone abbreviations that name one offset.
        assert_eq!(ok(&p, "Nov 4, 2023 2:30 PM EST"), utc(2023, 11, 4, 19, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 14:30:00 CET"), utc(2023, 11, 4, 13, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 14:30 IRST"), utc(2023, 11, 4, 11, 0, 0));
        assert_eq!(ok(&p, "2023-07-04 14:30 PDT"), utc(2023, 7, 4, 21, 30, 0));
        assert_eq!(
            p.parse("2023-11-04 14:30 IST"),
            Err(ValueError::BadTime),
            "India, Ireland or Israel"
        );
        assert_eq!(
            p.parse("2023-11-04 14:30 CST"),
            Err(ValueError::BadTime),
            "US or China"
        );
        // An explicit offset wins over the column's zone.
        let tehran = DateParser::new(DateOrder::Auto, chrono_tz::Asia::Tehran);
        assert_eq!(ok(&tehran, "2023-11-04T14:30:00Z"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(p.parse("2023-11-04T14:30:00+25:00"), Err(ValueError::BadTime));
        assert_eq!(p.parse("2023-11-04T14:30:00+03:75"), Err(ValueError::BadTime));
        assert_eq!(p.parse("2023-11-04T14:30:00+033"), Err(ValueError::BadTime));
        assert_eq!(p.parse("2023-11-04T14:30:00+"), Err(ValueError::BadTime));
    }

    #[test]
    fn day_first_and_month_first() {
        let p = p();
        assert_eq!(date(&p, "04/11/2023"), day(2023, 11, 4));
        assert_eq!(date(&p, "4/11/2023"), day(2023, 11, 4));
        assert_eq!(date(&p, "4.11.2023"), day(2023, 11, 4));
        assert_eq!(date(&p, "04-11-2023"), day(2023, 11, 4));
        assert_eq!(date(&p, "4/11/23"), day(2023, 11, 4));
        assert_eq!(date(&p, "4/11/99"), day(1999, 11, 4));
        assert_eq!(date(&p, "4/11/69"), day(2069, 11, 4));
        assert_eq!(date(&p, "4/11/70"), day(1970, 11, 4));
        let m = month_first();
        assert_eq!(date(&m, "11/04/2023"), day(2023, 11, 4));
        assert_eq!(date(&m, "11/4/23"), day(2023, 11, 4));
        assert_eq!(ok(&m, "11/4/2023 2:30 PM"), utc(2023, 11, 4, 14, 30, 0));
        // The configured order is strict: a day in the month slot is an error, not a guess.
        assert_eq!(m.parse("25/12/2023"), Err(ValueError::BadDate));
        assert_eq!(p.parse("12/25/2023"), Err(ValueError::BadDate));
    }

    #[test]
    fn mismatched_or_malformed_separators() {
        let p = p();
        for s in [
            "04/11-2023",
            "04/11",
            "2023-11",
            "2023",
            "04//2023",
            "2023-11-04-",
            "4/11/2023/5",
            "04/11/123",
        ] {
            assert!(p.parse(s).is_err(), "{s:?}");
        }
    }

    /// German and French exports write their own month names and abbreviations, with or
    /// without the dot, umlaut and accent (or their ASCII forms), and "1er" for the first.
    #[test]
    fn german_and_french_month_names() {
        let p = p();
        for (s, want) in [
            ("04-Okt-23", day(2023, 10, 4)),
            ("02-Dez-23", day(2023, 12, 2)),
            ("05-Mär-23", day(2023, 3, 5)),
            ("05-MÄR-23", day(2023, 3, 5)),
            ("05-Mrz-23", day(2023, 3, 5)),
            ("5. Maerz 2023", day(2023, 3, 5)),
            ("1. Mai 2023", day(2023, 5, 1)),
            ("7. Januar 2023", day(2023, 1, 7)),
            ("7. Jänner 2023", day(2023, 1, 7)),
            ("12. Okt. 2023", day(2023, 10, 12)),
            ("3. Juni 2023", day(2023, 6, 3)),
            ("Juli 3, 2023", day(2023, 7, 3)),
            ("31. Dezember 2023", day(2023, 12, 31)),
            ("4 nov. 2023", day(2023, 11, 4)),
            ("13 févr. 2023", day(2023, 2, 13)),
            ("13 FÉVR. 2023", day(2023, 2, 13)),
            ("13 fevr 2023", day(2023, 2, 13)),
            ("2 décembre 2023", day(2023, 12, 2)),
            ("2 déc. 2023", day(2023, 12, 2)),
            ("1er mai 2023", day(2023, 5, 1)),
            ("04-juil.-23", day(2023, 7, 4)),
            ("15 août 2023", day(2023, 8, 15)),
            ("15 aout 2023", day(2023, 8, 15)),
            ("9 juin 2023", day(2023, 6, 9)),
            ("9 janv. 2023", day(2023, 1, 9)),
            ("9 avr. 2023", day(2023, 4, 9)),
            ("9 mars 2023", day(2023, 3, 9)),
        ] {
            assert_eq!(date(&p, s), want, "{s}");
        }
        let inferred = DateParser::infer(["04-Okt-23", "1. Mai 2023"], DateOrder::Auto, Tz::UTC);
        assert_eq!(inferred.describe(), "month-name");
        let inferred = DateParser::infer(["13 févr. 2023", "1er mai 2023"], DateOrder::Auto, Tz::UTC);
        assert_eq!(inferred.describe(), "month-name");
        assert_eq!(p.parse("5 Foo 2023"), Err(ValueError::BadDate));
        assert_eq!(p.parse("30 févr. 2023"), Err(ValueError::BadDate));
    }

    #[test]
    fn month_names() {
        let p = p();
        assert_eq!(date(&p, "01-Jan-2023"), day(2023, 1, 1));
        assert_eq!(date(&p, "Jan 5, 2023"), day(2023, 1, 5));
        assert_eq!(date(&p, "5 January 2023"), day(2023, 1, 5));
        assert_eq!(date(&p, "2023-Jan-05"), day(2023, 1, 5));
        assert_eq!(date(&p, "January 5th, 2023"), day(2023, 1, 5));
        assert_eq!(date(&p, "5th of May, 2023"), day(2023, 5, 5));
        assert_eq!(date(&p, "5 Sept. 2023"), day(2023, 9, 5));
        assert_eq!(date(&p, "5 sep 2023"), day(2023, 9, 5));
        assert_eq!(date(&p, "05-DEC-23"), day(2023, 12, 5));
        assert_eq!(date(&p, "Nov-04-2023"), day(2023, 11, 4));
        assert_eq!(date(&p, "04.Nov.2023"), day(2023, 11, 4));
        assert_eq!(
            ok(&p, "Sat, 04 Nov 2023 14:30:00 +0000"),
            utc(2023, 11, 4, 14, 30, 0)
        );
        assert_eq!(
            ok(&p, "Saturday, November 4, 2023 2:30 PM"),
            utc(2023, 11, 4, 14, 30, 0)
        );
        assert_eq!(ok(&p, "Jan 5, 2023 at 8:00am"), utc(2023, 1, 5, 8, 0, 0));
        assert_eq!(p.parse("Foo 5, 2023"), Err(ValueError::BadDate));
        assert_eq!(p.parse("Feb 30, 2023"), Err(ValueError::BadDate));
        assert_eq!(p.parse("January 2023"), Err(ValueError::BadDate));
        assert_eq!(p.parse("5 January"), Err(ValueError::BadDate));
    }

    #[test]
    fn twelve_hour_clock() {
        let p = p();
        assert_eq!(ok(&p, "2023-11-04 2:30 PM"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 2:30pm"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 2:30 p.m."), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 2:30 a.m."), utc(2023, 11, 4, 2, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 12:15 AM"), utc(2023, 11, 4, 0, 15, 0));
        assert_eq!(ok(&p, "2023-11-04 12:15 PM"), utc(2023, 11, 4, 12, 15, 0));
        assert_eq!(ok(&p, "2023-11-04 12:15:30 am"), utc(2023, 11, 4, 0, 15, 30));
        assert_eq!(ok(&p, "2023-11-04 8 pm"), utc(2023, 11, 4, 20, 0, 0));
        assert_eq!(ok(&p, "2023-11-04 02:30 ب.ظ"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 02:30 ق.ظ"), utc(2023, 11, 4, 2, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 09:30 صبح"), utc(2023, 11, 4, 9, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 05:30 عصر"), utc(2023, 11, 4, 17, 30, 0));
        // Spelt out in three words, as Persian accounting software prints it.
        assert_eq!(ok(&p, "2023-11-04 02:30 بعد از ظهر"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "2023-11-04 11:30 قبل از ظهر"), utc(2023, 11, 4, 11, 30, 0));
        assert_eq!(p.parse("2023-11-04 02:30 بعد از"), Err(ValueError::BadTime));
        assert_eq!(p.parse("2023-11-04 13:30 PM"), Err(ValueError::BadTime));
        assert_eq!(p.parse("2023-11-04 25:00"), Err(ValueError::BadTime));
        assert_eq!(p.parse("2023-11-04 14:60"), Err(ValueError::BadTime));
        assert_eq!(p.parse("2023-11-04 14"), Err(ValueError::BadTime));
        assert_eq!(p.parse("2023-11-04 14:3"), Err(ValueError::BadTime));
        assert_eq!(p.parse("2023-11-04 foo"), Err(ValueError::BadTime));
    }

    #[test]
    fn jalali_dates() {
        let p = p();
        assert_eq!(ok(&p, "۱۴۰۲/۰۸/۱۳"), utc(2023, 11, 4, 0, 0, 0));
        assert_eq!(ok(&p, "1402/08/13"), utc(2023, 11, 4, 0, 0, 0));
        assert_eq!(ok(&p, "1402/8/13"), utc(2023, 11, 4, 0, 0, 0));
        assert_eq!(ok(&p, "1402-08-13 14:30"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "۱۴۰۲-۰۸-۱۳ ۱۴:۳۰:۰۰"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "۱۴۰۲/۰۸/۱۳ ۰۲:۳۰ ب.ظ"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "۱۴۰۲/۰۸/۱۳ ساعت ۱۴:۳۰"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "٢٠٢٣-١١-٠٤"), utc(2023, 11, 4, 0, 0, 0));
        assert_eq!(date(&p, "13/08/1402"), day(2023, 11, 4));
        // Jalali day/month/year is day-first even in a month-first column.
        assert_eq!(date(&month_first(), "13/08/1402"), day(2023, 11, 4));
        assert_eq!(date(&p, "14020813"), day(2023, 11, 4));
        assert_eq!(date(&p, "1403/01/01"), day(2024, 3, 20));
        assert_eq!(date(&p, "1399/12/30"), day(2021, 3, 20));
        assert_eq!(p.parse("1402/12/30"), Err(ValueError::BadDate));
        assert_eq!(p.parse("1402/07/31"), Err(ValueError::BadDate));
        assert_eq!(p.parse("1402/13/01"), Err(ValueError::BadDate));
        // Jalali years before 1279 are Gregorian years before 1900.
        assert_eq!(p.parse("1250/01/01"), Err(ValueError::DateOutOfRange));
    }

    #[test]
    fn persian_month_names() {
        let p = p();
        assert_eq!(date(&p, "۱۳ آبان ۱۴۰۲"), day(2023, 11, 4));
        assert_eq!(date(&p, "13 ابان 1402"), day(2023, 11, 4));
        assert_eq!(date(&p, "۱ فروردین ۱۴۰۳"), day(2024, 3, 20));
        // Arabic yeh and kaf variants.
        assert_eq!(date(&p, "۱ فروردين ۱۴۰۳"), day(2024, 3, 20));
        assert_eq!(date(&p, "۲۹ اسفند ۱۴۰۲"), day(2024, 3, 19));
        assert_eq!(date(&p, "۳۱ شهریور ۱۴۰۲"), day(2023, 9, 22));
        assert_eq!(date(&p, "۳۱ شهريور ۱۴۰۲"), day(2023, 9, 22));
        assert_eq!(date(&p, "۱ مهر ۱۴۰۲"), day(2023, 9, 23));
        // In Latin letters, as English-language Iranian software writes them.
        assert_eq!(date(&p, "1 Mehr 1402"), day(2023, 9, 23));
        assert_eq!(date(&p, "20 mehr 1403"), day(2024, 10, 11));
        assert_eq!(date(&p, "29 Esfand 1402"), day(2024, 3, 19));
        assert_eq!(date(&p, "Dey 5, 1402"), day(2023, 12, 26));
        assert_eq!(date(&p, "۱ دی ۱۴۰۲"), day(2023, 12, 22));
        assert_eq!(date(&p, "شنبه ۱۳ آبان ۱۴۰۲"), day(2023, 11, 4));
        assert_eq!(date(&p, "سه شنبه، ۱۳ آبان ۱۴۰۲"), day(2023, 11, 4));
        assert_eq!(date(&p, "سه‌شنبه ۱۳ آبان ۱۴۰۲"), day(2023, 11, 4));
        assert_eq!(date(&p, "يكشنبه ۱۳ آبان ۱۴۰۲"), day(2023, 11, 4));
        assert_eq!(date(&p, "چهار شنبه ۱۳ آبان ۱۴۰۲"), day(2023, 11, 4));
        assert_eq!(date(&p, "۱۳ آبان ۰۲"), day(2023, 11, 4));
        assert_eq!(date(&p, "۱۲ امرداد ۱۴۰۳"), date(&p, "۱۲ مرداد ۱۴۰۳"));
        assert_eq!(ok(&p, "۱۳ آبان ۱۴۰۲ ساعت ۱۴:۳۰"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "۱۳ آبان ۱۴۰۲، ۱۴:۳۰"), utc(2023, 11, 4, 14, 30, 0));
        let all = [
            "فروردین",
            "اردیبهشت",
            "خرداد",
            "تیر",
            "مرداد",
            "شهریور",
            "مهر",
            "آبان",
            "آذر",
            "دی",
            "بهمن",
            "اسفند",
        ];
        for (i, name) in all.iter().enumerate() {
            let d = date(&p, &format!("1 {name} 1402"));
            assert_eq!(d, jalali_to_gregorian(1402, i as u32 + 1, 1).unwrap(), "{name}");
        }
        assert_eq!(p.parse("۳۰ اسفند ۱۴۰۲"), Err(ValueError::BadDate));
        assert_eq!(p.parse("۱۳ آبانن ۱۴۰۲"), Err(ValueError::BadDate));
    }

    /// Shapes Persian shop and point-of-sale software writes: a dash between date and time, "ماه"
    /// (month) after the month name, and the time before the date.
    #[test]
    fn persian_shop_date_shapes() {
        let p = p();
        let at = utc(2023, 10, 7, 14, 30, 0);
        for s in [
            "1402/07/15 - 14:30",
            "۱۴۰۲/۰۷/۱۵ - ۱۴:۳۰",
            "۱۵ مهر ۱۴۰۲ - ۱۴:۳۰",
            "14:30 1402/07/15",
            "۱۴:۳۰ ۱۴۰۲/۰۷/۱۵",
            "14:30 - 1402/07/15",
            "14:30, 1402/07/15",
            "14:30:00 1402-07-15",
            "02:30 ب.ظ 1402/07/15",
            "14:30 ۱۵ مهر ماه ۱۴۰۲",
        ] {
            assert_eq!(ok(&p, s), at, "{s:?}");
        }
        assert_eq!(ok(&p, "2:30 PM 2023-10-07"), at);
        for s in [
            "۱۵ مهر ماه ۱۴۰۲",
            "۱۵ مهرماه ۱۴۰۲",
            "۱۵ مهر\u{200c}ماه ۱۴۰۲",
            "مهر ماه ۱۵، ۱۴۰۲",
        ] {
            assert_eq!(date(&p, s), day(2023, 10, 7), "{s:?}");
        }
        assert_eq!(date(&p, "۲۹ اسفند ماه ۱۴۰۲"), day(2024, 3, 19));
        assert_eq!(date(&p, "14:30 1402/07/15"), day(2023, 10, 7));
        for s in [
            "14:30 1402/07/15 x",
            "14:30 1402/07",
            "۱۵ ماه ۱۴۰۲",
            "۱۵ مهر ماه ماه ۱۴۰۲",
            "1402/07/15 -",
        ] {
            assert!(p.parse(s).is_err(), "{s:?}");
        }
        assert_eq!(p.parse("25:00 1402/07/15"), Err(ValueError::BadTime));
        // A column written time-first is still recognised as Jalali.
        let col = DateParser::infer(["14:30 1402/07/15", "09:05 1402/08/01"], DateOrder::Auto, Tz::UTC);
        assert_eq!(col.describe(), "jalali");
    }

    #[test]
    fn invalid_and_out_of_range() {
        let p = p();
        assert_eq!(p.parse("2023-02-30"), Err(ValueError::BadDate));
        assert_eq!(p.parse("2023-13-01"), Err(ValueError::BadDate));
        assert_eq!(p.parse("2023-00-10"), Err(ValueError::BadDate));
        assert_eq!(p.parse("2024-02-29").map(|d| d.is_some()), Ok(true));
        assert_eq!(p.parse("2023-02-29"), Err(ValueError::BadDate));
        assert_eq!(p.parse("30/02/2023"), Err(ValueError::BadDate));
        assert_eq!(p.parse("0001-01-01"), Err(ValueError::DateOutOfRange));
        assert_eq!(p.parse("9999-12-31"), Err(ValueError::DateOutOfRange));
        assert_eq!(p.parse("1899-12-31"), Err(ValueError::DateOutOfRange));
        assert_eq!(p.parse("2101-01-01"), Err(ValueError::DateOutOfRange));
        assert_eq!(p.parse("01/01/1800"), Err(ValueError::DateOutOfRange));
        assert_eq!(p.parse("99991231"), Err(ValueError::DateOutOfRange));
        assert!(p.parse("1900-01-01").unwrap().is_some());
        assert!(p.parse("2100-12-31").unwrap().is_some());
        for s in [
            "hello",
            "2023-11-04x",
            "12:30",
            "@",
            "2023-11-04 14:30 ✓",
            "1.2.3.4",
            "1/2/3",
        ] {
            assert!(p.parse(s).is_err(), "{s:?}");
        }
        assert_eq!(p.parse("123456"), Err(ValueError::BadDate));
        assert_eq!(p.parse(&"1".repeat(30)), Err(ValueError::BadDate));
        assert_eq!(p.parse(&"1/".repeat(30)), Err(ValueError::BadDate));
    }

    #[test]
    fn nulls() {
        let p = p();
        for s in ["", "  ", "-", "NA", "N/A", "null", "NULL", "None"] {
            assert_eq!(p.parse(s), Ok(None), "{s:?}");
            assert_eq!(p.parse_date(s), Ok(None), "{s:?}");
            assert_eq!(parse_time_of_day(s), Ok(None), "{s:?}");
            assert_eq!(p.parse_parts(s, "10:00"), Ok(None), "{s:?}");
        }
    }

    #[test]
    fn yyyymmdd_and_epochs() {
        let p = p();
        assert_eq!(ok(&p, "20231104"), utc(2023, 11, 4, 0, 0, 0));
        assert_eq!(p.parse("20230230"), Err(ValueError::BadDate));
        assert_eq!(ok(&p, "1699108200"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(
            ok(&p, "1699108200.5"),
            utc(2023, 11, 4, 14, 30, 0) + TimeDelta::milliseconds(500)
        );
        assert_eq!(
            ok(&p, "1699108200123"),
            utc(2023, 11, 4, 14, 30, 0) + TimeDelta::milliseconds(123)
        );
        assert_eq!(ok(&p, "946684800"), utc(2000, 1, 1, 0, 0, 0));
        assert_eq!(ok(&p, "۱۶۹۹۱۰۸۲۰۰"), utc(2023, 11, 4, 14, 30, 0));
        // Epochs are instants: the column's zone does not shift them.
        let tehran = DateParser::new(DateOrder::Auto, chrono_tz::Asia::Tehran);
        assert_eq!(ok(&tehran, "1699108200"), utc(2023, 11, 4, 14, 30, 0));
        // ... but their calendar date is the local one.
        assert_eq!(date(&tehran, "1699137000"), day(2023, 11, 5));
        assert_eq!(date(&p, "1699137000"), day(2023, 11, 4));
        assert_eq!(p.parse("9999999999"), Err(ValueError::DateOutOfRange));
        assert_eq!(p.parse("12345678901"), Err(ValueError::BadDate));
        // Microseconds (GA4's event_timestamp) and nanoseconds.
        assert_eq!(
            ok(&p, "1718877600000123"),
            utc(2024, 6, 20, 10, 0, 0) + TimeDelta::microseconds(123)
        );
        assert_eq!(
            ok(&p, "1718877600000123456"),
            utc(2024, 6, 20, 10, 0, 0) + TimeDelta::nanoseconds(123_456)
        );
        assert_eq!(ok(&p, "946684800000000"), utc(2000, 1, 1, 0, 0, 0));
        assert_eq!(ok(&p, "946684800000000000"), utc(2000, 1, 1, 0, 0, 0));
        assert_eq!(p.parse("9999999999999999"), Err(ValueError::DateOutOfRange));
        assert_eq!(p.parse("12345678901234"), Err(ValueError::BadDate));
        assert_eq!(p.parse("12345678901234567"), Err(ValueError::BadDate));
    }

    #[test]
    fn excel_serials_only_when_inferred() {
        let excel = DateParser::infer(["45234", "45235.5", "44927"], DateOrder::Auto, Tz::UTC);
        assert_eq!(excel.describe(), "excel-serial");
        assert_eq!(ok(&excel, "25569"), utc(1970, 1, 1, 0, 0, 0));
        assert_eq!(ok(&excel, "45234"), utc(2023, 11, 4, 0, 0, 0));
        assert_eq!(ok(&excel, "45234.5"), utc(2023, 11, 4, 12, 0, 0));
        assert_eq!(ok(&excel, "45234.604166666664"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&excel, "45234.999999999"), utc(2023, 11, 5, 0, 0, 0));
        assert_eq!(date(&excel, "45234.75"), day(2023, 11, 4));
        assert_eq!(ok(&excel, "1"), utc(1900, 1, 1, 0, 0, 0));
        assert_eq!(ok(&excel, "59"), utc(1900, 2, 28, 0, 0, 0));
        assert_eq!(excel.parse("60"), Err(ValueError::BadDate));
        assert_eq!(ok(&excel, "61"), utc(1900, 3, 1, 0, 0, 0));
        assert_eq!(excel.parse("0"), Err(ValueError::DateOutOfRange));
        assert_eq!(excel.parse("2958465"), Err(ValueError::DateOutOfRange));
        assert_eq!(excel.parse("3000000"), Err(ValueError::DateOutOfRange));
        // Other shapes still parse in an Excel column.
        assert_eq!(ok(&excel, "2023-11-04"), utc(2023, 11, 4, 0, 0, 0));
        assert_eq!(ok(&excel, "20231104"), utc(2023, 11, 4, 0, 0, 0));
        // Excel serials are wall-clock times in the column's zone.
        let tehran = DateParser::infer(["45234"], DateOrder::Auto, chrono_tz::Asia::Tehran);
        assert_eq!(ok(&tehran, "45234.5"), utc(2023, 11, 4, 8, 30, 0));
        // Without inference a five-digit number is not a date.
        assert_eq!(p().parse("45234"), Err(ValueError::BadDate));
    }

    /// A German or French spreadsheet writes a serial's fraction with a decimal comma.
    #[test]
    fn excel_serials_with_a_decimal_comma() {
        let excel = DateParser::infer(["45234,5", "45243,75", "45250"], DateOrder::Auto, Tz::UTC);
        assert_eq!(excel.describe(), "excel-serial");
        assert_eq!(ok(&excel, "45234,5"), utc(2023, 11, 4, 12, 0, 0));
        assert_eq!(ok(&excel, "45243,75"), utc(2023, 11, 13, 18, 0, 0));
        assert_eq!(ok(&excel, "45250"), utc(2023, 11, 20, 0, 0, 0));
        let only_commas = DateParser::infer(["45234,5", "45243,75"], DateOrder::Auto, Tz::UTC);
        assert_eq!(only_commas.describe(), "excel-serial");
        // Not in another column: "45234,5" is no date there.
        assert_eq!(p().parse("45234,5"), Err(ValueError::BadDate));
        assert_eq!(excel.parse("45,5"), Err(ValueError::BadDate));
    }

    #[test]
    fn infer_order() {
        let tz = Tz::UTC;
        let dayf = DateParser::infer(["01/02/2023", "25/12/2023"], DateOrder::Auto, tz);
        assert!(dayf.day_first());
        assert_eq!(dayf.describe(), "day-first");
        let monthf = DateParser::infer(["01/02/2023", "12/25/2023"], DateOrder::Auto, tz);
        assert!(!monthf.day_first());
        assert_eq!(monthf.describe(), "month-first");
        assert_eq!(date(&monthf, "01/02/2023"), day(2023, 1, 2));
        // Evidence overrides the configured order.
        assert!(DateParser::infer(["25/12/2023"], DateOrder::MonthFirst, tz).day_first());
        assert!(!DateParser::infer(["12/25/2023"], DateOrder::DayFirst, tz).day_first());
        // No evidence: the configured order, day-first for Auto.
        assert!(DateParser::infer(["01/02/2023"], DateOrder::Auto, tz).day_first());
        assert!(DateParser::infer(["01/02/2023"], DateOrder::DayFirst, tz).day_first());
        assert!(!DateParser::infer(["01/02/2023"], DateOrder::MonthFirst, tz).day_first());
        assert!(!DateParser::infer(std::iter::empty(), DateOrder::MonthFirst, tz).day_first());
        assert_eq!(
            DateParser::infer(std::iter::empty(), DateOrder::Auto, tz).describe(),
            "day-first"
        );
        // The majority of evidence wins.
        let mixed = DateParser::infer(["13/01/2023", "14/01/2023", "01/13/2023"], DateOrder::Auto, tz);
        assert!(mixed.day_first());
        // Samples with evidence mixed into ISO values still set the order.
        let iso = DateParser::infer(
            ["2023-01-01", "2023-01-02", "2023-01-03", "12/25/2023"],
            DateOrder::Auto,
            tz,
        );
        assert_eq!(iso.describe(), "iso-8601");
        assert!(!iso.day_first());
    }

    #[test]
    fn infer_styles() {
        let tz = Tz::UTC;
        let describe =
            |samples: &[&str]| DateParser::infer(samples.iter().copied(), DateOrder::Auto, tz).describe();
        assert_eq!(describe(&["2023-11-04", "2023-11-05T10:00:00Z", ""]), "iso-8601");
        assert_eq!(describe(&["۱۴۰۲/۰۸/۱۳", "1402/08/14"]), "jalali");
        assert_eq!(describe(&["۱۳ آبان ۱۴۰۲"]), "jalali");
        assert_eq!(describe(&["13/08/1402"]), "jalali");
        assert_eq!(describe(&["14020813", "14020901"]), "jalali");
        assert_eq!(describe(&["20231104", "20231105"]), "yyyymmdd");
        assert_eq!(describe(&["45234", "45234.5"]), "excel-serial");
        assert_eq!(describe(&["1699108200", "1699108260"]), "unix-seconds");
        assert_eq!(describe(&["1699108200000", "1699108260000"]), "unix-millis");
        assert_eq!(describe(&["1718877600000123", "1718877661000007"]), "unix-micros");
        assert_eq!(
            describe(&["1718877600000123456", "1718877661000007000"]),
            "unix-nanos"
        );
        assert_eq!(describe(&["Jan 5, 2023", "01-Feb-2023"]), "month-name");
        assert_eq!(describe(&["NA", "", "garbage"]), "day-first");
        // Numbers that fit no numeric date shape carry no evidence.
        assert_eq!(describe(&["12", "123456", "99999"]), "day-first");
        assert_eq!(describe(&["2023-11-04", "2023-11-05", "45234"]), "iso-8601");
    }

    #[test]
    fn short_dates_in_a_jalali_column_are_jalali() {
        let infer = |samples: &[&str], order| DateParser::infer(samples.iter().copied(), order, Tz::UTC);
        let p = infer(&["۱۴۰۲/۰۷/۰۱", "۰۲/۰۷/۱۵", "۱۴۰۲/۰۷/۲۰"], DateOrder::Auto);
        assert_eq!(p.describe(), "jalali");
        assert_eq!(date(&p, "۰۲/۰۷/۱۵"), day(2023, 10, 7));
        assert_eq!(date(&p, "98/1/5"), day(2019, 3, 25));
        assert_eq!(p.parse("02/13/01"), Err(ValueError::BadDate), "no 13th month");
        assert_eq!(
            date(&infer(&["14020701"], DateOrder::Auto), "02/07/15"),
            day(2023, 10, 7)
        );
        // Jalali dates written day first: a short one is day first too, with its year last.
        let p = infer(&["15/07/1402", "16/07/1402"], DateOrder::Auto);
        assert_eq!(p.describe(), "jalali");
        assert_eq!(date(&p, "15/07/02"), day(2023, 10, 7));
        // Either way round in one column, a short date is not guessed: it is quarantined.
        let p = infer(&["1402/07/01", "15/07/1402"], DateOrder::Auto);
        assert_eq!(p.parse("15/07/02"), Err(ValueError::BadDate));
        assert_eq!(p.parse("5/7/02"), Err(ValueError::BadDate));
        assert_eq!(
            date(&p, "1402/07/15"),
            day(2023, 10, 7),
            "long dates are read as before"
        );
        // A day order given in the configuration is kept.
        let p = infer(&["1402/07/01", "1402/07/20"], DateOrder::DayFirst);
        assert_eq!(date(&p, "15/07/23"), day(2023, 7, 15));
        // Elsewhere two-digit years stay Gregorian.
        let g = infer(&["15/07/2023", "16/07/2023"], DateOrder::Auto);
        assert_eq!(date(&g, "02/07/15"), day(2015, 7, 2));
    }

    #[test]
    fn short_jalali_dates_day_first() {
        let p = DateParser::new(DateOrder::JalaliDayFirst, chrono_tz::UTC);
        assert_eq!(date(&p, "۱۵/۰۷/۰۲"), day(2023, 10, 7));
        assert_eq!(date(&p, "29/12/02"), day(2024, 3, 19));
        assert_eq!(
            date(&p, "15/07/1402"),
            day(2023, 10, 7),
            "four-digit years as ever"
        );
        assert_eq!(p.describe(), "jalali-day-first");
        let inferred = DateParser::infer(
            ["۱۵/۰۷/۰۲", "۲۰/۰۷/۰۲"],
            DateOrder::JalaliDayFirst,
            chrono_tz::UTC,
        );
        assert_eq!(date(&inferred, "۲۰/۰۷/۰۲"), day(2023, 10, 12));
    }

    #[test]
    fn short_dates_in_persian_digits_are_jalali() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let since_1991 = NaiveDate::from_ymd_opt(1991, 3, 21);
        let order = |v: &[&str]| persian_short_order(v.iter().copied(), today, None);
        let sales = |v: &[&str]| persian_short_order(v.iter().copied(), today, since_1991);
        // Birth dates, unsorted: only year first reads ۶۲ as a year.
        assert_eq!(
            order(&["۶۲/۰۷/۱۵", "۷۵/۰۱/۲۰", ""]),
            Some(DateOrder::JalaliYearFirst)
        );
        assert_eq!(order(&["۱۵/۰۷/۶۲", "۲۰/۰۱/۷۵"]), Some(DateOrder::JalaliDayFirst));
        // Both readable: the order of the dates decides.
        assert_eq!(
            order(&["۰۱/۰۲/۰۳", "۰۱/۰۲/۱۰", "۰۱/۰۳/۰۱"]),
            Some(DateOrder::JalaliYearFirst)
        );
        assert_eq!(
            order(&["۰۳/۰۲/۰۱", "۱۰/۰۲/۰۱", "۰۱/۰۳/۰۱"]),
            Some(DateOrder::JalaliDayFirst)
        );
        // A one-day export: 1415 is ten years ahead, 1402 is the day.
        assert_eq!(sales(&["۱۵/۰۷/۰۲", "۱۵/۰۷/۰۲"]), Some(DateOrder::JalaliDayFirst));
        assert_eq!(sales(&["۱۵/۰۷/۰۲"]), Some(DateOrder::JalaliDayFirst));
        // One impossible day (Mehr has 30) or a placeholder does not swing the column.
        assert_eq!(
            sales(&["۳۱/۰۷/۰۲", "۱۵/۰۷/۰۲", "-", "۲۰/۰۷/۰۲"]),
            Some(DateOrder::JalaliDayFirst)
        );
        // Gregorian short dates in Persian digits (a week of December 2011): no Jalali reading
        // is a plausible sales date, so the Gregorian readings decide as before.
        assert_eq!(sales(&["۱۲/۰۲/۱۱", "۱۲/۰۵/۱۱", "۱۲/۰۹/۱۱"]), None);
        // Not such a column: ASCII or Arabic-Indic digits, or a four-digit year anywhere.
        assert_eq!(order(&["15/07/02", "20/07/02"]), None);
        assert_eq!(order(&["١٥/٠٧/٢٣"]), None);
        assert_eq!(order(&["۱۵/۰۷/۰۲", "۱۵/۰۷/۱۴۰۲"]), None);
        assert_eq!(order(&[]), None);
    }

    #[test]
    fn two_digit_jalali_years_pivot_at_20() {
        assert_eq!(expand_jalali_year(2), 1402);
        assert_eq!(expand_jalali_year(19), 1419);
        assert_eq!(expand_jalali_year(20), 1320);
        assert_eq!(expand_jalali_year(62), 1362, "a birth year, not 1462");
        assert_eq!(expand_jalali_year(98), 1398);
    }

    #[test]
    fn jalali_yyyymmdd_column() {
        let p = DateParser::infer(["14020813", "14021229"], DateOrder::Auto, Tz::UTC);
        assert_eq!(date(&p, "14020813"), day(2023, 11, 4));
        assert_eq!(date(&p, "14021229"), day(2024, 3, 19));
        assert_eq!(date(&p, "۱۴۰۲۰۸۱۳"), day(2023, 11, 4));
        assert_eq!(p.parse("14021230"), Err(ValueError::BadDate));
    }

    #[test]
    fn time_zones_and_dst() {
        let berlin = DateParser::new(DateOrder::Auto, chrono_tz::Europe::Berlin);
        assert_eq!(ok(&berlin, "2023-07-01 12:00"), utc(2023, 7, 1, 10, 0, 0));
        assert_eq!(ok(&berlin, "2023-01-01 12:00"), utc(2023, 1, 1, 11, 0, 0));
        // Spring-forward gap: 02:30 does not exist and moves to 03:30 CEST.
        assert_eq!(ok(&berlin, "2023-03-26 02:30"), utc(2023, 3, 26, 1, 30, 0));
        // Fall-back overlap: 02:30 happens twice; the earlier (CEST) one wins.
        assert_eq!(ok(&berlin, "2023-10-29 02:30"), utc(2023, 10, 29, 0, 30, 0));
        let ny = DateParser::new(DateOrder::Auto, chrono_tz::America::New_York);
        assert_eq!(ok(&ny, "2023-03-12 02:30"), utc(2023, 3, 12, 7, 30, 0));
        assert_eq!(ok(&ny, "2023-11-05 01:30"), utc(2023, 11, 5, 5, 30, 0));
        let tehran = DateParser::new(DateOrder::Auto, chrono_tz::Asia::Tehran);
        assert_eq!(ok(&tehran, "1402/08/13 14:30"), utc(2023, 11, 4, 11, 0, 0));
        assert_eq!(ok(&tehran, "2023-11-04"), utc(2023, 11, 3, 20, 30, 0));
        let etc = DateParser::new(DateOrder::Auto, chrono_tz::Etc::GMTPlus5);
        assert_eq!(etc.fixed, FixedOffset::east_opt(-5 * 3600));
        assert_eq!(ok(&etc, "2023-11-04 12:00"), utc(2023, 11, 4, 17, 0, 0));
        assert!(p().fixed.is_some());
        assert!(berlin.fixed.is_none());
        assert_eq!(berlin.tz(), chrono_tz::Europe::Berlin);
    }

    #[test]
    fn parse_parts_combines_columns() {
        let p = p();
        assert_eq!(
            p.parse_parts("2023-11-04", "14:30"),
            Ok(Some(utc(2023, 11, 4, 14, 30, 0)))
        );
        assert_eq!(
            p.parse_parts("2023-11-04", ""),
            Ok(Some(utc(2023, 11, 4, 0, 0, 0)))
        );
        assert_eq!(
            p.parse_parts("2023-11-04", "  "),
            Ok(Some(utc(2023, 11, 4, 0, 0, 0)))
        );
        assert_eq!(
            p.parse_parts("04/11/2023", "2:30 PM"),
            Ok(Some(utc(2023, 11, 4, 14, 30, 0)))
        );
        assert_eq!(
            p.parse_parts("۱۴۰۲/۰۸/۱۳", "۱۴:۳۰"),
            Ok(Some(utc(2023, 11, 4, 14, 30, 0)))
        );
        assert_eq!(
            p.parse_parts("1402/08/13", "02:30 ب.ظ"),
            Ok(Some(utc(2023, 11, 4, 14, 30, 0)))
        );
        assert_eq!(
            p.parse_parts("2023-11-04", "14:30+01:00"),
            Ok(Some(utc(2023, 11, 4, 13, 30, 0)))
        );
        assert_eq!(
            p.parse_parts("2023-11-04", "0.5"),
            Ok(Some(utc(2023, 11, 4, 12, 0, 0)))
        );
        // A midnight time inside the date cell gives way to the time column.
        assert_eq!(
            p.parse_parts("2023-11-04 00:00:00", "14:30"),
            Ok(Some(utc(2023, 11, 4, 14, 30, 0)))
        );
        // Without a time column, a time in the date cell is kept.
        assert_eq!(
            p.parse_parts("2023-11-04 09:15", ""),
            Ok(Some(utc(2023, 11, 4, 9, 15, 0)))
        );
        assert_eq!(p.parse_parts("2023-11-04", "25:00"), Err(ValueError::BadTime));
        assert_eq!(p.parse_parts("2023-11-04", "1.5"), Err(ValueError::BadTime));
        assert_eq!(p.parse_parts("2023-11-04", "noon"), Err(ValueError::BadTime));
        assert_eq!(p.parse_parts("2023-02-30", "10:00"), Err(ValueError::BadDate));
        let berlin = DateParser::new(DateOrder::Auto, chrono_tz::Europe::Berlin);
        assert_eq!(
            berlin.parse_parts("2023-07-01", "12:00"),
            Ok(Some(utc(2023, 7, 1, 10, 0, 0)))
        );
    }

    #[test]
    fn parse_date_ignores_time() {
        let p = p();
        assert_eq!(date(&p, "2023-11-04T23:30:00-05:00"), day(2023, 11, 4));
        assert_eq!(date(&p, "2023-11-04 99:99"), day(2023, 11, 4));
        assert_eq!(date(&p, "04/11/2023 14:30"), day(2023, 11, 4));
        assert_eq!(date(&p, "1402/08/13 14:30"), day(2023, 11, 4));
        assert_eq!(p.parse_date("2023-02-30"), Err(ValueError::BadDate));
        assert_eq!(p.parse_date("1850-01-01"), Err(ValueError::DateOutOfRange));
    }

    #[test]
    fn time_of_day() {
        let t = |s: &str| parse_time_of_day(s).unwrap().unwrap();
        assert_eq!(t("8:26"), hms(8, 26, 0));
        assert_eq!(t("08:26"), hms(8, 26, 0));
        assert_eq!(t("08:26:00"), hms(8, 26, 0));
        assert_eq!(t("23:59:59"), hms(23, 59, 59));
        assert_eq!(t(" 8:26 "), hms(8, 26, 0));
        assert_eq!(t("8:26 PM"), hms(20, 26, 0));
        assert_eq!(t("8:26pm"), hms(20, 26, 0));
        assert_eq!(t("8:26 a.m."), hms(8, 26, 0));
        assert_eq!(t("12:00 AM"), hms(0, 0, 0));
        assert_eq!(t("12:00 PM"), hms(12, 0, 0));
        assert_eq!(t("12:00:01 p.m."), hms(12, 0, 1));
        assert_eq!(t("0:30 AM"), hms(0, 30, 0));
        assert_eq!(t("8 PM"), hms(20, 0, 0));
        assert_eq!(t("۰۸:۲۶"), hms(8, 26, 0));
        assert_eq!(t("۰۲:۳۰ ب.ظ"), hms(14, 30, 0));
        assert_eq!(t("۰۲:۳۰ ق.ظ"), hms(2, 30, 0));
        assert_eq!(t("10:00 صبح"), hms(10, 0, 0));
        assert_eq!(t("4:00 عصر"), hms(16, 0, 0));
        assert_eq!(t("۰۲:۳۰ بعد از ظهر"), hms(14, 30, 0));
        assert_eq!(t("۰۹:۱۵ قبل از ظهر"), hms(9, 15, 0));
        assert_eq!(t("۰۲:۳۰ بعد\u{200c}از\u{200c}ظهر"), hms(14, 30, 0));
        assert_eq!(t("T14:30"), hms(14, 30, 0));
        assert_eq!(t("14:30:15.5").nanosecond(), 500_000_000);
        for s in [
            "24:00",
            "12:60",
            "8",
            "8:6",
            "13:00 PM",
            "14:30Z",
            "14:30 +01:00",
            "noon",
            "8:26 xm",
            "1:2:3",
        ] {
            assert_eq!(parse_time_of_day(s), Err(ValueError::BadTime), "{s:?}");
        }
    }

    #[test]
    fn fast_paths_agree_with_general_path() {
        let general = |parser: &DateParser, s: &str| {
            let tokens = tokenize(s).unwrap();
            parser.date_tokens(tokens.as_slice()).and_then(|(date, next)| {
                let (time, offset) = time_after_date(tokens.as_slice(), next)?;
                Ok(Stamp::Local { date, time, offset })
            })
        };
        let iso = [
            "2023-11-04",
            "2023-11-04 14:30",
            "2023-11-04 8:30",
            "2023-11-04T14:30:15",
            "2023-11-04T14:30:15Z",
            "2023-02-30",
            "1900-01-01",
        ];
        for s in iso {
            assert_eq!(fast_iso(s.as_bytes()).unwrap(), general(&p(), s), "{s:?}");
        }
        let dmy = [
            "04/11/2023",
            "4/11/2023",
            "4.1.2023 8:30",
            "04-11-2023T14:30:15",
            "31/02/2023",
            "13/13/2023",
        ];
        for parser in [p(), month_first()] {
            for s in dmy {
                assert_eq!(
                    fast_dmy(s.as_bytes(), parser.day_first()).unwrap(),
                    general(&parser, s),
                    "{s:?}"
                );
            }
        }
        for s in [
            "1402-08-13",
            "2023-11-04 25:00",
            "2023/11/04",
            "2023-11-04Z",
            "2023-11-04 14:30 PM",
            "2023-11-4",
        ] {
            assert!(fast_iso(s.as_bytes()).is_none(), "{s:?}");
        }
        for s in [
            "13/08/1402",
            "04/11/23",
            "04/11-2023",
            "4/11/2023 2:30 PM",
            "04/11/2023 25:00",
            "004/11/2023",
        ] {
            assert!(fast_dmy(s.as_bytes(), true).is_none(), "{s:?}");
        }
        assert_eq!(fast_time(b"8:26"), Some(hms(8, 26, 0)));
        assert_eq!(fast_time(b"24:00"), None);
        assert_eq!(fast_time(b"8:26 PM"), None);
    }

    #[test]
    fn whitespace_and_invisible_marks() {
        let p = p();
        assert_eq!(date(&p, "\u{200F}۱۴۰۲/۰۸/۱۳\u{200E}"), day(2023, 11, 4));
        assert_eq!(date(&p, "\u{00A0}2023-11-04\u{00A0}"), day(2023, 11, 4));
        assert_eq!(ok(&p, "2023-11-04\u{00A0}14:30"), utc(2023, 11, 4, 14, 30, 0));
        assert_eq!(ok(&p, "2023-11-04   14:30"), utc(2023, 11, 4, 14, 30, 0));
    }

    #[test]
    fn short_jalali_dates_year_first() {
        let p = DateParser::new(DateOrder::JalaliYearFirst, chrono_tz::UTC);
        assert_eq!(date(&p, "02/07/15"), day(2023, 10, 7));
        assert_eq!(date(&p, "۰۲/۱۲/۲۹"), day(2024, 3, 19));
        assert_eq!(date(&p, "98-1-5"), day(2019, 3, 25));
        // Four-digit years keep their own reading.
        assert_eq!(date(&p, "1402/07/15"), day(2023, 10, 7));
        assert_eq!(date(&p, "15/07/1402"), day(2023, 10, 7));
        assert_eq!(p.describe(), "jalali-year-first");
        // Esfand 30 only in a leap year.
        assert!(p.parse_date("02/12/30").is_err());
    }

    /// A hand-kept column mixing Jalali dates written year first and year last: a short date in
    /// Persian digits is Jalali, but which part is its year the column does not say.
    #[test]
    fn a_short_persian_date_among_both_jalali_orders_is_refused() {
        let p = DateParser::infer(
            ["1403/05/10", "۰۳/۰۵/۱۲", "12/05/1403"],
            DateOrder::Auto,
            chrono_tz::UTC,
        );
        assert_eq!(date(&p, "12/05/1403"), day(2024, 8, 2));
        assert!(
            p.parse_date("۰۳/۰۵/۱۲").is_err(),
            "{:?}",
            p.parse_date("۰۳/۰۵/۱۲")
        );
        let p = DateParser::infer(
            ["1403/05/10", "۰۳/۰۵/۱۲", "12/05/1403"],
            DateOrder::Auto,
            chrono_tz::Asia::Tehran,
        );
        assert!(p.parse("۰۳/۰۵/۱۲").is_err(), "{:?}", p.parse("۰۳/۰۵/۱۲"));
    }

    #[test]
    fn run_dates_in_any_digits_and_either_calendar() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(parse_run_date("2024-03-10"), Ok(d(2024, 3, 10)));
        assert_eq!(parse_run_date("۲۰۲۴-۰۳-۱۰"), Ok(d(2024, 3, 10)));
        assert_eq!(parse_run_date("1402-12-20"), Ok(d(2024, 3, 10)));
        assert_eq!(parse_run_date(" ۱۴۰۲/۱۲/۲۰ "), Ok(d(2024, 3, 10)));
        assert_eq!(parse_run_date("1403-12-30"), Ok(d(2025, 3, 20)), "leap Esfand");
        assert!(parse_run_date("1402-12-30").unwrap_err().contains("Jalali"));
        for bad in [
            "2024-02-30",
            "10/03/2024",
            "2024-03",
            "yesterday",
            "0001-01-01",
            "2024-03-10-1",
        ] {
            assert!(parse_run_date(bad).is_err(), "{bad}");
        }
    }
}
