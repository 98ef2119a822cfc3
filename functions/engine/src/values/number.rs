//! Numbers as people type them: thousands separators, decimal commas, currency signs, Persian
//! digits and accounting-style negatives.
//!
//! [`NumberParser::parse`] first tries a byte-level fast path that accepts only an optional sign,
//! ASCII digits and at most one decimal mark, and hands those straight to the standard library's
//! float parser (which is correctly rounded and does not allocate). Everything else goes through
//! the general path, which is also allocation-free: it copies the digits into a stack buffer in
//! canonical form and parses that.

use serde::{Deserialize, Serialize};

use super::digits::digit_value;
use super::{ValueError, is_null_marker, trim_value};

/// The magnitude from which a sales line's quantity, unit price or amount (in the file's
/// currency unit, after a header's or cell's multiplier) is no sale of a shop: a typo, a cell
/// pasted from another column (an IBAN, a card number), or a value made to break the sums. A big
/// Iranian B2B invoice reaches 10^12 Rial; this leaves a thousand times that. Ingest quarantines
/// such a line (`implausible_amount`), and segmentation leaves out any curated line beyond it
/// (written before the check existed, or by another tool), so sums over a customer's lines stay
/// far from what a float can hold.
pub const IMPLAUSIBLE_AMOUNT: f64 = 1e15;

/// Which character separates the integer part from the fraction in a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecimalMark {
    Dot,
    Comma,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParsedNumber {
    pub value: f64,
    /// ISO 4217 code of a currency sign or name found next to the number ("IRT" for toman,
    /// which has no ISO code of its own but is how Iranian shops usually price).
    pub currency: Option<&'static str>,
    /// The cell carried its own multiplier ("۸۰ هزار تومان"), already applied to `value`: units
    /// stated elsewhere (a header's "(هزار تومان)") must not multiply it again.
    pub scaled: bool,
}

/// How to read a column whose every mark could be either ("1.234", "12.500", "3,000").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ambiguous {
    /// As in English-language exports: "1.234" is one point two three four.
    Decimal,
    /// As in `;`-separated (European) exports: a comma is the decimal mark, "1.234" is 1234.
    CommaDecimal,
}

/// What the samples of one or more columns say about the decimal mark: the values that can be
/// read one way only ("1.234,56", "12,5" for comma; "1,234.00", "12.5" for dot).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MarkEvidence {
    dot: usize,
    comma: usize,
}

impl MarkEvidence {
    pub fn of<'a, I: IntoIterator<Item = &'a str>>(samples: I) -> Self {
        let mut e = MarkEvidence::default();
        for sample in samples {
            match mark_evidence(sample) {
                Some(DecimalMark::Dot) => e.dot += 1,
                Some(DecimalMark::Comma) => e.comma += 1,
                None => {}
            }
        }
        e
    }

    /// The mark the unambiguous values vote for (a tie is dot), if any carries evidence.
    pub fn decided(&self) -> Option<DecimalMark> {
        (self.dot + self.comma > 0).then_some(if self.comma > self.dot {
            DecimalMark::Comma
        } else {
            DecimalMark::Dot
        })
    }

    /// [`Self::decided`], else what `ambiguous` says.
    pub fn decide(&self, ambiguous: Ambiguous) -> DecimalMark {
        self.decided().unwrap_or(match ambiguous {
            Ambiguous::Decimal => DecimalMark::Dot,
            Ambiguous::CommaDecimal => DecimalMark::Comma,
        })
    }
}

/// A value with a `.` or `,` that could be a decimal mark or grouping ("1.234", "12,500").
fn ambiguous_mark(s: &str) -> bool {
    (s.contains('.') || s.contains(',')) && mark_evidence(s).is_none()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberParser {
    pub decimal: DecimalMark,
}

/// Currency signs and names, matched before or after the number. Latin ones ignore ASCII case.
/// Order matters: a longer token must come before any token that is its suffix or prefix
/// ("US$" before "$", "Rials" before "Rial").
const CURRENCIES: &[(&str, &str)] = &[
    ("US$", "USD"),
    ("USD", "USD"),
    // Dollars of other countries, before the bare "$".
    ("NZ$", "NZD"),
    ("HK$", "HKD"),
    ("CA$", "CAD"),
    ("AU$", "AUD"),
    // eBay writes a foreign price with a space: "US $29.99", "AU $45.00", "C $45.00".
    ("US $", "USD"),
    ("AU $", "AUD"),
    ("CA $", "CAD"),
    ("NZ $", "NZD"),
    ("HK $", "HKD"),
    ("C $", "CAD"),
    ("A $", "AUD"),
    ("MX$", "MXN"),
    ("C$", "CAD"),
    ("A$", "AUD"),
    ("S$", "SGD"),
    ("R$", "BRL"),
    ("$", "USD"),
    ("CAD", "CAD"),
    ("AUD", "AUD"),
    ("NZD", "NZD"),
    ("HKD", "HKD"),
    ("SGD", "SGD"),
    ("MXN", "MXN"),
    ("BRL", "BRL"),
    ("CHF", "CHF"),
    ("SEK", "SEK"),
    ("NOK", "NOK"),
    ("DKK", "DKK"),
    ("PLN", "PLN"),
    ("CZK", "CZK"),
    ("HUF", "HUF"),
    ("JPY", "JPY"),
    ("CNY", "CNY"),
    ("INR", "INR"),
    ("₹", "INR"),
    // Rupees as Indian invoices abbreviate them ("Rs. 1,00,000", "Rs 500/-"); the dotted one
    // first, else its dot would be left before the number.
    ("Rs.", "INR"),
    ("Rs", "INR"),
    ("ZAR", "ZAR"),
    ("TRY", "TRY"),
    ("₺", "TRY"),
    ("AED", "AED"),
    ("SAR", "SAR"),
    ("KRW", "KRW"),
    ("₩", "KRW"),
    ("EUR", "EUR"),
    ("€", "EUR"),
    ("GBP", "GBP"),
    ("£", "GBP"),
    ("IRR", "IRR"),
    ("Rials", "IRR"),
    ("Rial", "IRR"),
    ("ریال", "IRR"),
    ("ريال", "IRR"),
    ("﷼", "IRR"),
    ("IRT", "IRT"),
    ("Tomans", "IRT"),
    ("Toman", "IRT"),
    ("تومان", "IRT"),
    ("تومن", "IRT"),
    // The abbreviation after Toman prices ("125,000 ت"). Last: it is the first letter of
    // "تومان" and "تومن", which must match whole.
    ("ت", "IRT"),
];

/// Multiplier words written between a number and its currency ("۸۰ هزار تومان", "۲ میلیون ریال"),
/// in folded spelling. Persian only: English and German exports write the digits out.
const SCALES: &[(&str, f64)] = &[("هزار", 1e3), ("میلیون", 1e6), ("ملیون", 1e6)];

/// Unit words written after a quantity ("۲ عدد", "1 بسته", "2 pcs", "3 Stk."): pieces, packs
/// and the kilogram shops price by, so the number is still the count the unit price is for.
/// Lowercase and folded (Persian yeh and kaf); '×' and 'x' may also come first ("x2").
const QUANTITY_UNITS: &[&str] = &[
    "عدد",
    "دانه",
    "تا",
    "بسته",
    "کارتن",
    "جعبه",
    "قلم",
    "جفت",
    "کیلو",
    "کیلوگرم",
    // Devices, sets, and goods sold by length or volume. Not grams: prices are per kilogram,
    // and "۵۰۰ گرم" read as 500 would cost a thousand times too much.
    "دستگاه",
    "ست",
    "دست",
    "رول",
    "شاخه",
    "متر",
    "لیتر",
    "pcs",
    "pc",
    "piece",
    "pieces",
    "unit",
    "units",
    "ea",
    "each",
    "pack",
    "packs",
    "box",
    "boxes",
    "kg",
    "x",
    "×",
    "stk",
    "stück",
    "st",
];

/// Exact powers of ten as doubles (10^22 is the last one a double holds exactly).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19, 1e20, 1e21, 1e22,
];

/// `[+-]digits[mark digits]` as `str::parse` rounds it; None for anything else, and for more than
/// 15 bytes after the sign (left to `str::parse`). With at most 15 digits the integer is exact in
/// a double, and so is 10^k for k ≤ 22, so one IEEE division gives the correctly rounded value,
/// which is what `str::parse` returns (Clinger's fast path) — without its general machinery, a
/// tenth of an ingest's conversion. Checks and accumulates in one pass: this is per number cell.
#[inline]
fn exact_decimal(b: &[u8], mark: u8) -> Option<f64> {
    let (negative, body) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    // At most 15 digits: below 2^53.
    if body.len() > 15 {
        return None;
    }
    let (mut m, mut fraction, mut marks) = (0u64, 0usize, 0usize);
    for (i, &c) in body.iter().enumerate() {
        if c.is_ascii_digit() {
            m = m * 10 + u64::from(c - b'0');
        } else if c == mark {
            marks += 1;
            fraction = body.len() - i - 1;
        } else {
            return None;
        }
    }
    if marks > 1 || body.len() == marks {
        return None;
    }
    let v = m as f64 / POW10[fraction];
    Some(if negative { -v } else { v })
}

impl NumberParser {
    pub fn new(decimal: DecimalMark) -> Self {
        NumberParser { decimal }
    }

    /// Decides the decimal mark of a column from sample values by majority of the samples that
    /// carry evidence ("1.234,56", "12,5", "0,99" vote comma; "1,234.56", "12.5" vote dot; an
    /// ambiguous "1,234" votes for nothing). No evidence, or a tie, means dot.
    pub fn infer<'a, I: IntoIterator<Item = &'a str>>(samples: I) -> Self {
        Self::infer_with(samples, Ambiguous::Decimal)
    }

    /// As [`Self::infer`], but a column in which every mark is ambiguous ("1.234", "12.500",
    /// "3,000") is read as the file's convention says (see [`Ambiguous`]).
    pub fn infer_with<'a, I: IntoIterator<Item = &'a str>>(samples: I, ambiguous: Ambiguous) -> Self {
        NumberParser::new(MarkEvidence::of(samples).decide(ambiguous))
    }

    /// As [`Self::parse`], for money. In Toman or Rial (`iranian`, or a currency word in the cell)
    /// a value whose only separator could be either ("125.000", "12,000") is thousands: those
    /// currencies have no fractions in practice. Decided per value, so a quantity of 0.5 or a
    /// euro row in the same column changes nothing.
    ///
    /// Slashes: Iranian prices are also written with a slash between thousands ("۱/۲۰۰/۰۰۰
    /// تومان"), the slash that elsewhere types the Persian decimal mark ("۱۲/۵"). Two or more
    /// slashes between groups of three digits can only be grouping, in any file; in Toman or Rial
    /// one is enough ("3/750" is 3,750 as "125.000" is 125,000), while "12/5" stays 12.5. So is
    /// the decimal mark `٫` itself: "۸۵٫۰۰۰" in Toman is 85,000, as "۱٫۲۵۰٫۰۰۰" beside it is
    /// 1,250,000 (read as 85 it made a price a thousandth of itself).
    #[inline]
    pub fn parse_money(&self, raw: &str, iranian: bool) -> Result<Option<ParsedNumber>, ValueError> {
        let grouped = slash_thousands(raw);
        if let Some((plain, _)) = &grouped {
            if iranian {
                return self.parse(plain);
            }
            // The cell may name Toman or Rial itself ("12/500 تومان"), whatever the file's rows do.
            if let Ok(Some(n)) = self.parse(plain)
                && matches!(n.currency, Some("IRT" | "IRR"))
            {
                return Ok(Some(n));
            }
        }
        let parsed = match (self.parse(raw), grouped) {
            (Ok(parsed), _) => parsed,
            (Err(_), Some((plain, slashes))) if slashes >= 2 => self.parse(&plain)?,
            (Err(e), _) => return Err(e),
        };
        match parsed {
            Some(n) if (iranian || matches!(n.currency, Some("IRT" | "IRR"))) && ambiguous_mark(raw) => {
                // The mark the value uses is grouping, so the decimal mark is the other one.
                let decimal = if raw.contains('.') {
                    DecimalMark::Comma
                } else {
                    DecimalMark::Dot
                };
                NumberParser::new(decimal).parse(raw)
            }
            other => Ok(other),
        }
    }

    /// As [`Self::parse`], for quantities: a unit word after the number ([`QUANTITY_UNITS`]) is
    /// dropped. Only tried once the cell has failed as a plain number.
    pub fn parse_quantity(&self, raw: &str) -> Result<Option<ParsedNumber>, ValueError> {
        let err = match self.parse(raw) {
            Err(err) => err,
            ok => return ok,
        };
        let rest = strip_quantity_unit(trim_value(raw)).ok_or(err)?;
        match self.parse(rest)? {
            Some(n) if n.currency.is_none() => Ok(Some(n)),
            _ => Err(err),
        }
    }

    /// Parses one cell. `Ok(None)` for blank cells and null markers ("", "-", "NA", "N/A",
    /// "null", "None", "NaN", ...).
    pub fn parse(&self, raw: &str) -> Result<Option<ParsedNumber>, ValueError> {
        if let Some(value) = self.parse_fast(raw.trim_ascii()) {
            return Ok(Some(ParsedNumber {
                // `-0` is 0: a negative zero would print as "-0" and sort before 0.
                value: value + 0.0,
                currency: None,
                scaled: false,
            }));
        }
        self.parse_general(raw)
    }

    /// `[+-]digits[mark digits]` in ASCII, or None to defer to the general path.
    #[inline]
    fn parse_fast(&self, s: &str) -> Option<f64> {
        let b = s.as_bytes();
        let mark = match self.decimal {
            DecimalMark::Dot => b'.',
            DecimalMark::Comma => b',',
        };
        if let Some(v) = exact_decimal(b, mark) {
            return Some(v);
        }
        // Longer numbers: the same shape, read by the standard parser.
        let body = match b.first() {
            Some(b'-' | b'+') => &b[1..],
            _ => b,
        };
        let (mut digits, mut marks) = (0usize, 0usize);
        for &c in body {
            if c.is_ascii_digit() {
                digits += 1;
            } else if c == mark {
                marks += 1;
            } else {
                return None;
            }
        }
        if digits == 0 || marks > 1 {
            return None;
        }
        if marks == 0 || mark == b'.' {
            return s.parse().ok();
        }
        let mut buf = [0u8; 64];
        let out = buf.get_mut(..b.len())?;
        for (o, &c) in out.iter_mut().zip(b) {
            *o = if c == b',' { b'.' } else { c };
        }
        std::str::from_utf8(out).ok()?.parse().ok()
    }

    fn parse_general(&self, raw: &str) -> Result<Option<ParsedNumber>, ValueError> {
        let mut s = trim_value(raw);
        if is_null_marker(s) {
            return Ok(None);
        }
        let mut negative = false;
        let mut signed = false;
        let mut parenthesised = false;
        let mut currency = None;
        let mut scale = None;
        let mut no_paise = false;
        // Sign, currency and parentheses nest in every order in the wild ("-$5", "$-5", "$(5)",
        // "(5 €)", "5-"), so peel them off until nothing changes, each at most once.
        loop {
            let before = s.len();
            if !parenthesised && s.len() >= 2 && s.starts_with('(') && s.ends_with(')') {
                parenthesised = true;
                s = trim_value(&s[1..s.len() - 1]);
            }
            // "/-" after an Indian amount says "and no paise" ("1,00,000/-"); before the sign,
            // which would take its dash for a trailing minus.
            if !no_paise && let Some(rest) = s.strip_suffix("/-") {
                no_paise = true;
                s = trim_value(rest);
            }
            if currency.is_none()
                && let Some((code, rest)) = strip_code_with_symbol(s).or_else(|| strip_currency(s))
            {
                currency = Some(code);
                s = trim_value(rest);
            }
            // After the currency is gone: "۸۰ هزار تومان" leaves "۸۰ هزار".
            if scale.is_none()
                && let Some((factor, rest)) = strip_scale(s)
            {
                scale = Some(factor);
                s = trim_value(rest);
            }
            if !signed && let Some((neg, rest)) = strip_sign(s) {
                signed = true;
                negative = neg;
                s = trim_value(rest);
            }
            if s.len() == before {
                break;
            }
        }
        if s.is_empty() || (parenthesised && signed) {
            return Err(ValueError::BadNumber);
        }
        let magnitude = match compound(s, scale, self.decimal)? {
            Some(sum) => sum,
            None => parse_magnitude(s, self.decimal)? * scale.unwrap_or(1.0),
        };
        if !magnitude.is_finite() {
            return Err(ValueError::BadNumber);
        }
        let value = if negative || parenthesised {
            0.0 - magnitude
        } else {
            magnitude
        };
        Ok(Some(ParsedNumber {
            value,
            currency,
            scaled: scale.is_some(),
        }))
    }
}

/// Whether `c` continues a word: a currency or scale word that runs into another letter is part
/// of some other word ("12 ساعت" is twelve hours, not twelve "ت"). A ZWNJ separates words.
fn is_letter(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphabetic() || c == '\u{0640}')
}

/// The ISO code of a currency sign or name standing alone ("€", "ریال", "us$", "IRT"), as the
/// same token beside a number reads ([`CURRENCIES`]; a bare "$" is USD). For currency written
/// outside the cell's text: an Excel number format's literal.
pub fn currency_of(token: &str) -> Option<&'static str> {
    CURRENCIES
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(token))
        .map(|(_, code)| *code)
}

/// Whether `code` is a currency written with a bare "$".
pub fn is_dollar(code: &str) -> bool {
    matches!(code, "USD" | "CAD" | "AUD" | "NZD" | "HKD" | "SGD" | "MXN")
}

/// An ISO code beside its currency's symbol ("CAD $45", "$45.00 CAD", "USD $1,234.50",
/// "EUR €5"): the code says which dollar the symbol is. `s` without both.
fn strip_code_with_symbol(s: &str) -> Option<(&'static str, &str)> {
    const SYMBOLS: &[(&str, &str)] = &[
        ("USD", "$"),
        ("CAD", "$"),
        ("AUD", "$"),
        ("NZD", "$"),
        ("HKD", "$"),
        ("SGD", "$"),
        ("MXN", "$"),
        ("EUR", "€"),
        ("GBP", "£"),
        ("INR", "₹"),
        ("TRY", "₺"),
        ("KRW", "₩"),
    ];
    let n = 3;
    SYMBOLS.iter().find_map(|&(code, symbol)| {
        let rest = if s.len() > n && s.is_char_boundary(n) && s[..n].eq_ignore_ascii_case(code) {
            &s[n..]
        } else if s.len() > n
            && s.is_char_boundary(s.len() - n)
            && s[s.len() - n..].eq_ignore_ascii_case(code)
        {
            &s[..s.len() - n]
        } else {
            return None;
        };
        let rest = trim_value(rest);
        let rest = rest.strip_prefix(symbol).or_else(|| rest.strip_suffix(symbol))?;
        Some((code, rest))
    })
}

fn strip_currency(s: &str) -> Option<(&'static str, &str)> {
    for &(token, code) in CURRENCIES {
        let n = token.len();
        let wordy = token.chars().any(char::is_alphabetic);
        if s.len() > n {
            if s.is_char_boundary(n)
                && s[..n].eq_ignore_ascii_case(token)
                && !(wordy && is_letter(s[n..].chars().next()))
            {
                return Some((code, &s[n..]));
            }
            let at = s.len() - n;
            if s.is_char_boundary(at)
                && s[at..].eq_ignore_ascii_case(token)
                && !(wordy && is_letter(s[..at].chars().next_back()))
            {
                return Some((code, &s[..at]));
            }
        }
    }
    None
}

/// `s` without a quantity unit word at its end ("۲ عدد", "2pcs", "3 Stk.", "2×") or an 'x' before
/// the number ("x2", "× 2"); None when there is none.
fn strip_quantity_unit(s: &str) -> Option<&str> {
    let is_unit = |w: &str| {
        let w = w.trim_end_matches('.');
        QUANTITY_UNITS.iter().any(|u| {
            w.chars()
                .filter(|&c| c != '\u{0640}')
                .flat_map(|c| super::fold_char(c).to_lowercase())
                .eq(u.chars())
        })
    };
    let unit_char = |c: char| c.is_alphabetic() || matches!(c, '.' | '×' | '\u{0640}');
    let word_start = s
        .char_indices()
        .rev()
        .take_while(|&(_, c)| unit_char(c))
        .last()
        .map(|(i, _)| i);
    if let Some(at) = word_start
        && at > 0
        && is_unit(&s[at..])
    {
        return Some(&s[..at]);
    }
    let first = s.chars().next()?;
    let rest = &s[first.len_utf8()..];
    (matches!(first, 'x' | 'X' | '×') && rest.trim_start().starts_with(|c: char| digit_value(c).is_some()))
        .then_some(rest)
}

/// A multiplier word at the end of `s` ([`SCALES`]), as a whole word, and what is before it.
/// «۲ میلیون و ۵۰۰ هزار» (2 million and 500 thousand): parts joined by «و», each with a
/// larger scale than the next; `last_scale` is the one already taken off the last part. None
/// when `s` is one number.
fn compound(s: &str, last_scale: Option<f64>, mark: DecimalMark) -> Result<Option<f64>, ValueError> {
    if !s.contains(" و ") {
        return Ok(None);
    }
    let parts: Vec<&str> = s.split(" و ").map(trim_value).collect();
    let Some((last, head)) = parts.split_last().filter(|(_, head)| !head.is_empty()) else {
        return Ok(None);
    };
    let mut total = 0.0;
    let mut previous = f64::INFINITY;
    for part in head {
        let (factor, digits) = strip_scale(part).ok_or(ValueError::BadNumber)?;
        if factor >= previous {
            return Err(ValueError::BadNumber);
        }
        previous = factor;
        total += parse_magnitude(trim_value(digits), mark)? * factor;
    }
    let factor = last_scale.unwrap_or(1.0);
    if factor >= previous {
        return Err(ValueError::BadNumber);
    }
    Ok(Some(total + parse_magnitude(last, mark)? * factor))
}

fn strip_scale(s: &str) -> Option<(f64, &str)> {
    let word_start = s
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_letter(Some(c)))
        .last()
        .map(|(i, _)| i)?;
    let (rest, word) = s.split_at(word_start);
    let folded = word.chars().filter(|&c| c != '\u{0640}').map(super::fold_char);
    SCALES
        .iter()
        .find(|(name, _)| folded.clone().eq(name.chars()))
        .map(|&(_, factor)| (factor, rest))
}

/// A leading sign, or a trailing minus as some accounting exports write it ("12-").
fn strip_sign(s: &str) -> Option<(bool, &str)> {
    let mut chars = s.chars();
    let first = chars.next()?;
    if chars.as_str().is_empty() {
        return None;
    }
    match first {
        '-' | '\u{2212}' => return Some((true, chars.as_str())),
        '+' => return Some((false, chars.as_str())),
        _ => {}
    }
    let mut rev = s.chars();
    match rev.next_back()? {
        '-' | '\u{2212}' => Some((true, rev.as_str())),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    Dot,
    Comma,
    Apostrophe,
    Space,
    ArabicDecimal,
    ArabicThousands,
    /// '/' as a decimal mark: Persian writes the decimal separator ٫, which looks like a slash and
    /// is typed as one ("۱۲/۵" is 12.5). Never grouping; see [`slash_is_a_fraction`].
    Slash,
}

impl Sep {
    fn of(c: char) -> Option<Sep> {
        Some(match c {
            '.' => Sep::Dot,
            ',' => Sep::Comma,
            '\'' | '\u{2019}' | '\u{02BC}' => Sep::Apostrophe,
            ' ' | '\u{00A0}' | '\u{202F}' | '\u{2009}' | '\u{2007}' => Sep::Space,
            '\u{066B}' => Sep::ArabicDecimal,
            // The Arabic comma is the comma of Persian keyboards: "۸۷۰،۰۰۰" is 870,000.
            '\u{066C}' | '\u{060C}' => Sep::ArabicThousands,
            '/' => Sep::Slash,
            _ => return None,
        })
    }

    /// Separators that count as the same thousands separator within one number.
    fn thousands_class(self) -> u8 {
        match self {
            Sep::Dot => 0,
            Sep::Comma | Sep::ArabicThousands => 1,
            Sep::Apostrophe => 2,
            Sep::Space => 3,
            Sep::ArabicDecimal => 4,
            Sep::Slash => 5,
        }
    }
}

const MAX_GROUPS: usize = 16;
const MAX_DIGITS: usize = 64;

/// Parses an unsigned number whose sign and currency are already gone.
fn parse_magnitude(s: &str, mark: DecimalMark) -> Result<f64, ValueError> {
    let bad = ValueError::BadNumber;
    let mut digits = [0u8; MAX_DIGITS];
    let mut n_digits = 0;
    // Digit groups and the separator in front of each (seps[0] is unused).
    let mut lens = [0usize; MAX_GROUPS];
    let mut seps = [Sep::Dot; MAX_GROUPS];
    let mut n_groups = 1;
    let mut exponent = "";
    let mut ascii_digits = true;
    for (i, c) in s.char_indices() {
        if let Some(d) = digit_value(c) {
            ascii_digits &= c.is_ascii_digit();
            *digits.get_mut(n_digits).ok_or(bad)? = b'0' + d;
            n_digits += 1;
            lens[n_groups - 1] += 1;
        } else if let Some(sep) = Sep::of(c) {
            *seps.get_mut(n_groups).ok_or(bad)? = sep;
            n_groups += 1;
        } else if (c == 'e' || c == 'E') && n_digits > 0 {
            exponent = &s[i..];
            break;
        } else {
            return Err(bad);
        }
    }
    if n_digits == 0 {
        return Err(bad);
    }
    let lens = &lens[..n_groups];
    let seps = &seps[..n_groups];
    let decimal_at = decimal_group(lens, seps, mark, digits[0])?;
    if decimal_at.is_some() && seps[n_groups - 1] == Sep::Slash {
        let int_digits: usize = lens[..n_groups - 1].iter().sum();
        let (int, fraction) = digits[..n_digits].split_at(int_digits);
        if int.is_empty() || fraction.is_empty() || (ascii_digits && slash_is_a_fraction(int, fraction)) {
            return Err(bad);
        }
    }
    let int_end = decimal_at.unwrap_or(n_groups);
    if int_end > 1 {
        let class = seps[1].thousands_class();
        let grouped = (1..=3).contains(&lens[0])
            && digits[0] != b'0'
            && (1..int_end).all(|j| lens[j] == 3 && seps[j].thousands_class() == class);
        // Tried only once the usual grouping has failed, so the common path pays nothing.
        let lakh = || {
            exponent.is_empty()
                && ascii_digits
                && indian_grouping(&lens[..int_end], &seps[..int_end], digits[0])
                && decimal_at.is_none_or(|at| seps[at] == Sep::Dot)
        };
        if !grouped && !lakh() {
            return Err(bad);
        }
    }
    let int_digits: usize = lens[..int_end].iter().sum();

    let mut out = [0u8; MAX_DIGITS + 24];
    let mut n = 0;
    let mut push = |b: u8| -> Result<(), ValueError> {
        *out.get_mut(n).ok_or(bad)? = b;
        n += 1;
        Ok(())
    };
    for &d in &digits[..int_digits] {
        push(d)?;
    }
    if decimal_at.is_some() {
        push(b'.')?;
        for &d in &digits[int_digits..n_digits] {
            push(d)?;
        }
    }
    if !exponent.is_empty() {
        push(b'e')?;
        let mut rest = exponent[1..].chars().peekable();
        match rest.peek() {
            Some('+') => {
                rest.next();
            }
            Some('-' | '\u{2212}') => {
                rest.next();
                push(b'-')?;
            }
            _ => {}
        }
        let mut exp_digits = 0;
        for c in rest {
            push(b'0' + digit_value(c).ok_or(bad)?)?;
            exp_digits += 1;
        }
        if exp_digits == 0 {
            return Err(bad);
        }
    }
    let value: f64 = std::str::from_utf8(&out[..n])
        .map_err(|_| bad)?
        .parse()
        .map_err(|_| bad)?;
    if value.is_finite() { Ok(value) } else { Err(bad) }
}

/// Indian grouping of an integer part, as lakhs and crores are written (`1,00,000`,
/// `12,34,56,789`): commas only, the last group of three digits, the ones before it of two,
/// the first of one or two. Needs three groups or more: with two, `1,234` is grouped either way.
/// ASCII digits only: a `۱,۲۰,۰۰۰` in a Persian export is more likely a typo than a lakh, and
/// stays quarantined.
fn indian_grouping(lens: &[usize], seps: &[Sep], first_digit: u8) -> bool {
    let n = lens.len();
    n >= 3
        && first_digit != b'0'
        && (1..=2).contains(&lens[0])
        && lens[n - 1] == 3
        && lens[1..n - 1].iter().all(|&l| l == 2)
        && seps[1..].iter().all(|&s| s == Sep::Comma)
}

/// Index of the digit group that starts the fraction, if any. Only the last separator can be
/// the decimal mark; which of '.' and ',' it is depends on the column's mark unless the number
/// itself settles it (both marks present, or a repeated mark, which can only be grouping).
fn decimal_group(
    lens: &[usize],
    seps: &[Sep],
    mark: DecimalMark,
    first_digit: u8,
) -> Result<Option<usize>, ValueError> {
    let n = lens.len();
    if n == 1 {
        return Ok(None);
    }
    let count = |kind: Sep| seps[1..].iter().filter(|&&s| s == kind).count();
    let last = seps[n - 1];
    // Marks that can only be the decimal mark: one, and last.
    let decimal_only = count(Sep::ArabicDecimal) + count(Sep::Slash);
    // ٫ twice or more can be no decimal mark: typed for ٬ ("۱٫۲۵۰٫۰۰۰"), when it groups thousands.
    let arabic_grouped = decimal_only == count(Sep::ArabicDecimal)
        && decimal_only > 1
        && (1..=3).contains(&lens[0])
        && lens[1..].iter().all(|&l| l == 3);
    if arabic_grouped {
        return Ok(None);
    }
    if decimal_only > 0 {
        return if decimal_only == 1 && matches!(last, Sep::ArabicDecimal | Sep::Slash) {
            Ok(Some(n - 1))
        } else {
            Err(ValueError::BadNumber)
        };
    }
    let (own, other) = match last {
        Sep::Dot => (DecimalMark::Dot, Sep::Comma),
        Sep::Comma => (DecimalMark::Comma, Sep::Dot),
        _ => return Ok(None),
    };
    if count(last) > 1 {
        return Ok(None);
    }
    if count(other) > 0 || own == mark {
        return Ok(Some(n - 1));
    }
    // The column's other mark, alone: grouping if it looks like "1,234" (in a dot column) or
    // "1.234" (in a comma column); otherwise, as in "3.75" in a comma column, it can only be
    // meant as the decimal mark.
    let looks_grouped = n == 2 && lens[1] == 3 && (1..=3).contains(&lens[0]) && first_digit != b'0';
    Ok(if looks_grouped { None } else { Some(n - 1) })
}

/// `raw` without its grouping marks, and how many it had, when its one run of digits and marks
/// reads as thousands grouped by the marks Persian keyboards type for the decimal mark, the
/// slash or `٫` itself: 1–3 digits (not starting with 0), then groups of exactly three
/// ("1/200/000", "۳/۷۵۰", "۸۵٫۰۰۰"). Dates ("1402/08/13", "13/08/1402") never do.
fn slash_thousands(raw: &str) -> Option<(String, usize)> {
    // Every money cell asks: a byte loop, as `str::contains` calls memchr, whose set-up cost
    // more than the few bytes of an amount (~1 % of a convert's instructions). 0xAB ends `٫`
    // (U+066B) in UTF-8, and other characters too: the mark is told below.
    if !raw.bytes().any(|b| b == b'/' || b == 0xAB) {
        return None;
    }
    let mark = if raw.contains('/') {
        '/'
    } else if raw.contains('\u{066B}') {
        '\u{066B}'
    } else {
        return None;
    };
    let is_part = |c: char| c == mark || digit_value(c).is_some();
    let start = raw.find(is_part)?;
    let len = raw[start..]
        .find(|c: char| !is_part(c))
        .unwrap_or(raw.len() - start);
    let run = &raw[start..start + len];
    // A second run with a mark ("1/200 - 3/400") is not one amount.
    if raw[start + len..].contains(mark) {
        return None;
    }
    let mut groups = run.split(mark);
    let first = groups.next()?;
    let first_digits = first.chars().count();
    let leading_zero = first.chars().next().and_then(digit_value) == Some(0);
    let mut slashes = 0;
    for g in groups {
        if g.chars().count() != 3 {
            return None;
        }
        slashes += 1;
    }
    if slashes == 0 || !(1..=3).contains(&first_digits) || leading_zero {
        return None;
    }
    let plain = format!(
        "{}{}{}",
        &raw[..start],
        run.replace(mark, ""),
        &raw[start + len..]
    );
    Some((plain, slashes))
}

/// Whether `int/fraction` (ASCII digit values) reads as a vulgar fraction: a single non-zero
/// digit over a larger number ("1/2", "3/4", "1/16"). Those mean a half or three quarters in an
/// English export and 1.2 or 3.4 in a Persian one, so they stay unreadable rather than be
/// guessed. Persian digits ("۱/۲") settle it: that is how Persian writes 1.2.
fn slash_is_a_fraction(int: &[u8], fraction: &[u8]) -> bool {
    let value = |d: &[u8]| {
        d.iter()
            .try_fold(0u64, |v, &c| v.checked_mul(10)?.checked_add(u64::from(c - b'0')))
    };
    match (int, value(fraction)) {
        ([d], Some(f)) => *d != b'0' && u64::from(d - b'0') < f,
        ([_], None) => true,
        _ => false,
    }
}

/// What one sample says about the column's decimal mark.
fn mark_evidence(s: &str) -> Option<DecimalMark> {
    // The dot of "Rs." abbreviates; left in, "Rs. 1,00,000" would vote for a decimal comma.
    let s = s.trim_start();
    let s = match s.get(..3) {
        Some(rs) if rs.eq_ignore_ascii_case("rs.") => &s[3..],
        _ => s,
    };
    let (mut dots, mut commas) = (0usize, 0usize);
    let (mut last_dot, mut last_comma) = (None, None);
    for (i, c) in s.char_indices() {
        match c {
            '.' => {
                dots += 1;
                last_dot = Some(i);
            }
            ',' => {
                commas += 1;
                last_comma = Some(i);
            }
            _ => {}
        }
    }
    match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(if d > c {
            DecimalMark::Dot
        } else {
            DecimalMark::Comma
        }),
        // A repeated mark is grouping, so the decimal mark is the other one.
        (Some(_), None) if dots > 1 => Some(DecimalMark::Comma),
        (None, Some(_)) if commas > 1 => Some(DecimalMark::Dot),
        (Some(at), None) => single_mark_evidence(s, at, DecimalMark::Dot),
        (None, Some(at)) => single_mark_evidence(s, at, DecimalMark::Comma),
        (None, None) => None,
    }
}

/// A lone mark is the decimal mark unless it could be grouping ("1,234", "12.500").
fn single_mark_evidence(s: &str, at: usize, mark: DecimalMark) -> Option<DecimalMark> {
    let after = s[at + 1..]
        .chars()
        .take_while(|&c| digit_value(c).is_some())
        .count();
    let mut before_digits = s[..at].chars().rev().take_while(|&c| digit_value(c).is_some());
    let last_before = before_digits.next();
    let before = last_before.map_or(0, |_| 1 + before_digits.count());
    let leading_zero = before == 1 && last_before.and_then(digit_value) == Some(0);
    if after == 3 && (1..=3).contains(&before) && !leading_zero {
        None
    } else {
        Some(mark)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path gives the very double `str::parse` gives, across lengths, marks and signs.
    #[test]
    fn exact_decimals_match_the_standard_parser() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut checked = 0;
        for _ in 0..400_000 {
            let len = 1 + (next() % 17) as usize;
            let mut t: String = (0..len).map(|_| char::from(b'0' + (next() % 10) as u8)).collect();
            match next() % 4 {
                0 => {}
                _ => {
                    let at = (next() as usize) % (len + 1);
                    t.insert(at, '.');
                }
            }
            match next() % 6 {
                0 => t.insert(0, '-'),
                1 => t.insert(0, '+'),
                _ => {}
            }
            if t.trim_start_matches(['-', '+']) == "." {
                continue;
            }
            let want: f64 = t.parse().unwrap();
            if let Some(got) = exact_decimal(t.as_bytes(), b'.') {
                assert_eq!(got.to_bits(), want.to_bits(), "{t}");
                checked += 1;
            }
            let comma = t.replace('.', ",");
            if let Some(got) = exact_decimal(comma.as_bytes(), b',') {
                assert_eq!(got.to_bits(), want.to_bits(), "{comma}");
            }
        }
        assert!(checked > 250_000, "the fast path took only {checked} values");
        // It also decides the shape: anything else goes to the other paths.
        for bad in [
            "", "-", "+", ".", "-.", "1.2.3", "1a", "1,5", "--1", "1-", " 1", "١",
        ] {
            assert_eq!(exact_decimal(bad.as_bytes(), b'.'), None, "{bad:?}");
        }
        assert_eq!(exact_decimal(b"1.5", b','), None);
        assert_eq!(exact_decimal(b"+.5", b'.'), Some(0.5));
    }

    const DOT: NumberParser = NumberParser {
        decimal: DecimalMark::Dot,
    };
    const COMMA: NumberParser = NumberParser {
        decimal: DecimalMark::Comma,
    };

    fn val(p: NumberParser, s: &str) -> f64 {
        match p.parse(s) {
            Ok(Some(n)) => n.value,
            other => panic!("{s:?} -> {other:?}"),
        }
    }

    fn cur(p: NumberParser, s: &str) -> (f64, Option<&'static str>) {
        match p.parse(s) {
            Ok(Some(n)) => (n.value, n.currency),
            other => panic!("{s:?} -> {other:?}"),
        }
    }

    fn assert_bad(p: NumberParser, s: &str) {
        assert_eq!(p.parse(s), Err(ValueError::BadNumber), "{s:?}");
    }

    #[test]
    fn plain_ascii() {
        assert_eq!(val(DOT, "3.75"), 3.75);
        assert_eq!(val(DOT, "-12"), -12.0);
        assert_eq!(val(DOT, "1234"), 1234.0);
        assert_eq!(val(DOT, "+7"), 7.0);
        assert_eq!(val(DOT, "-2"), -2.0);
        assert_eq!(val(DOT, "0"), 0.0);
        assert_eq!(val(DOT, "007"), 7.0);
        assert_eq!(val(DOT, ".5"), 0.5);
        assert_eq!(val(DOT, "5."), 5.0);
        assert_eq!(val(DOT, "  3.75\t"), 3.75);
        assert_eq!(val(DOT, "0.1"), 0.1);
        assert_eq!(val(DOT, "123456789012345678"), 123456789012345678.0);
    }

    #[test]
    fn fast_path_covers_common_shapes() {
        assert_eq!(DOT.parse_fast("3.75"), Some(3.75));
        assert_eq!(DOT.parse_fast("-12"), Some(-12.0));
        assert_eq!(COMMA.parse_fast("12,5"), Some(12.5));
        assert_eq!(DOT.parse_fast("1,234"), None);
        assert_eq!(DOT.parse_fast("-"), None);
        assert_eq!(DOT.parse_fast("1e5"), None);
        assert_eq!(COMMA.parse_fast("3.75"), None);
        assert_eq!(DOT.parse_fast("inf"), None);
        assert_eq!(DOT.parse_fast("NaN"), None);
    }

    #[test]
    fn nulls() {
        for s in [
            "", "   ", "-", "NA", "N/A", "null", "NULL", "None", "\u{00A0}", "nan", "#N/A",
        ] {
            assert_eq!(DOT.parse(s), Ok(None), "{s:?}");
            assert_eq!(COMMA.parse(s), Ok(None), "{s:?}");
        }
    }

    #[test]
    fn unicode_whitespace_around() {
        assert_eq!(val(DOT, "\u{00A0}12.5\u{202F}"), 12.5);
        assert_eq!(val(DOT, "\u{2009}12\u{2009}"), 12.0);
        assert_eq!(val(DOT, "\u{200F}12\u{200E}"), 12.0);
    }

    #[test]
    fn thousands_separators_dot_mode() {
        assert_eq!(val(DOT, "1,234"), 1234.0);
        assert_eq!(val(DOT, "1,234,567.89"), 1234567.89);
        assert_eq!(val(DOT, "1'234.50"), 1234.5);
        assert_eq!(val(DOT, "1’234’567"), 1234567.0);
        assert_eq!(val(DOT, "1 234 567"), 1234567.0);
        assert_eq!(val(DOT, "1\u{00A0}234.5"), 1234.5);
        assert_eq!(val(DOT, "1\u{202F}234"), 1234.0);
        assert_eq!(val(DOT, "12٬500٬000"), 12500000.0);
        assert_eq!(val(DOT, "۸۷۰،۰۰۰"), 870000.0);
        assert_eq!(val(COMMA, "1،250،000"), 1250000.0);
        // Never a decimal mark.
        assert!(DOT.parse("12،5").is_err());
        // Repeated dots can only be grouping.
        assert_eq!(val(DOT, "1.234.567"), 1234567.0);
    }

    #[test]
    fn comma_mode() {
        assert_eq!(val(COMMA, "1,5"), 1.5);
        assert_eq!(val(COMMA, "1.234"), 1234.0);
        assert_eq!(val(COMMA, "1.234,56"), 1234.56);
        assert_eq!(val(COMMA, "1 234,50"), 1234.5);
        assert_eq!(val(COMMA, "1.234.567"), 1234567.0);
        assert_eq!(val(COMMA, "0,99"), 0.99);
        assert_eq!(val(COMMA, "-12,5"), -12.5);
        assert_eq!(val(COMMA, "1,234"), 1.234);
        assert_eq!(cur(COMMA, "€1.234,56"), (1234.56, Some("EUR")));
        assert_eq!(cur(COMMA, "1.234,56 €"), (1234.56, Some("EUR")));
    }

    #[test]
    fn number_itself_settles_the_mark() {
        // Both marks present: the last one is the decimal mark, whatever the column says.
        assert_eq!(val(DOT, "1.234,56"), 1234.56);
        assert_eq!(val(COMMA, "1,234.56"), 1234.56);
        // A lone foreign mark that cannot be grouping is a decimal mark.
        assert_eq!(val(COMMA, "3.75"), 3.75);
        assert_eq!(val(COMMA, "0.125"), 0.125);
        assert_eq!(val(DOT, "12,5"), 12.5);
        assert_eq!(val(DOT, "1234,567"), 1234.567);
        assert_eq!(val(DOT, "1,2345"), 1.2345);
    }

    #[test]
    fn persian_and_arabic_digits() {
        assert_eq!(cur(DOT, "۱۲٬۵۰۰٬۰۰۰ ریال"), (12500000.0, Some("IRR")));
        assert_eq!(cur(DOT, "۱۲,۵۰۰,۰۰۰ تومان"), (12500000.0, Some("IRT")));
        assert_eq!(val(DOT, "۱۲٫۵"), 12.5);
        assert_eq!(val(COMMA, "۱٫۲۳۴"), 1.234);
        assert_eq!(val(DOT, "٢٫٥"), 2.5);
        assert_eq!(val(DOT, "-۴۵"), -45.0);
        assert_eq!(val(DOT, "۱۲۳۴"), 1234.0);
        assert_bad(DOT, "۱٫۲٫۳");
        assert_bad(DOT, "۱٫۲۳۴,۵");
        assert_eq!(cur(DOT, "۱٫۲۵۰٫۰۰۰ ریال"), (1250000.0, Some("IRR")));
        assert_eq!(val(COMMA, "۱۲٫۵۰۰٫۰۰۰"), 12500000.0);
    }

    #[test]
    fn currencies() {
        assert_eq!(cur(DOT, "$ 3.99"), (3.99, Some("USD")));
        assert_eq!(cur(DOT, "$3.99"), (3.99, Some("USD")));
        assert_eq!(cur(DOT, "3.99$"), (3.99, Some("USD")));
        assert_eq!(cur(DOT, "US$ 10"), (10.0, Some("USD")));
        assert_eq!(cur(DOT, "10 US$"), (10.0, Some("USD")));
        assert_eq!(cur(DOT, "USD 1,000.00"), (1000.0, Some("USD")));
        for (s, v, code) in [
            ("CHF 45.00", 45.0, "CHF"),
            ("45.00 CAD", 45.0, "CAD"),
            ("C$45.00", 45.0, "CAD"),
            ("A$45.00", 45.0, "AUD"),
            ("JPY 4500", 4500.0, "JPY"),
            ("₹45.00", 45.0, "INR"),
            ("45.00 PLN", 45.0, "PLN"),
            ("US$ 7", 7.0, "USD"),
            ("CA$45.00", 45.0, "CAD"),
            ("AU$45.00", 45.0, "AUD"),
            ("CAD $45.00", 45.0, "CAD"),
            ("$45.00 CAD", 45.0, "CAD"),
            ("USD $1,234.50", 1234.5, "USD"),
            ("EUR €5", 5.0, "EUR"),
            ("US $29.99", 29.99, "USD"),
            ("AU $45.00", 45.0, "AUD"),
            ("C $45.00", 45.0, "CAD"),
            ("CA $45.00", 45.0, "CAD"),
        ] {
            assert_eq!(cur(DOT, s), (v, Some(code)), "{s}");
        }
        assert_eq!(cur(COMMA, "SEK 45,00"), (45.0, Some("SEK")));
        assert_eq!(cur(COMMA, "R$ 45,00"), (45.0, Some("BRL")));
        assert_eq!(cur(DOT, "1000usd"), (1000.0, Some("USD")));
        assert_eq!(cur(DOT, "€5"), (5.0, Some("EUR")));
        assert_eq!(cur(DOT, "5 EUR"), (5.0, Some("EUR")));
        assert_eq!(cur(DOT, "eur 5"), (5.0, Some("EUR")));
        assert_eq!(cur(DOT, "£12.50"), (12.5, Some("GBP")));
        assert_eq!(cur(DOT, "12.50 GBP"), (12.5, Some("GBP")));
        assert_eq!(cur(DOT, "﷼ 5000"), (5000.0, Some("IRR")));
        assert_eq!(cur(DOT, "5000﷼"), (5000.0, Some("IRR")));
        assert_eq!(cur(DOT, "5000 ريال"), (5000.0, Some("IRR")));
        assert_eq!(cur(DOT, "ریال ۵۰۰۰"), (5000.0, Some("IRR")));
        assert_eq!(cur(DOT, "5000 IRR"), (5000.0, Some("IRR")));
        assert_eq!(cur(DOT, "5000 Rials"), (5000.0, Some("IRR")));
        assert_eq!(cur(DOT, "5000 rial"), (5000.0, Some("IRR")));
        assert_eq!(cur(DOT, "50 Toman"), (50.0, Some("IRT")));
        assert_eq!(cur(DOT, "50 TOMANS"), (50.0, Some("IRT")));
        assert_eq!(cur(DOT, "50 IRT"), (50.0, Some("IRT")));
        assert_eq!(cur(DOT, "تومان ۵۰"), (50.0, Some("IRT")));
        assert_eq!(cur(DOT, "\u{00A0}$\u{00A0}3.99\u{00A0}"), (3.99, Some("USD")));
        assert_eq!(DOT.parse("3.99").unwrap().unwrap().currency, None);
    }

    /// "ت" after a price is Toman, and "هزار" (thousand) before the currency multiplies; both
    /// only as whole words.
    #[test]
    fn toman_abbreviation_and_thousands() {
        assert_eq!(cur(DOT, "125,000 ت"), (125000.0, Some("IRT")));
        assert_eq!(cur(DOT, "۱۲۵٬۰۰۰ت"), (125000.0, Some("IRT")));
        assert_eq!(cur(DOT, "ت ۵۰"), (50.0, Some("IRT")));
        assert_eq!(cur(DOT, "۸۰ هزار تومان"), (80000.0, Some("IRT")));
        assert_eq!(cur(DOT, "۸۰هزار‌تومان"), (80000.0, Some("IRT")));
        assert_eq!(cur(DOT, "۲ میليون ریال"), (2_000_000.0, Some("IRR")));
        assert_eq!(val(DOT, "۸۰ هزار"), 80000.0);
        assert_eq!(val(DOT, "-۸۰ هزار تومان"), -80000.0);
        // Written out as people say it.
        assert_eq!(cur(DOT, "۲ میلیون و ۵۰۰ هزار تومان"), (2_500_000.0, Some("IRT")));
        assert_eq!(val(DOT, "۱ میلیون و ۲۵۰"), 1_000_250.0);
        assert_eq!(val(DOT, "۳ میلیون و ۲۰۰ هزار و ۵۰۰"), 3_200_500.0);
        for s in [
            "۵۰۰ هزار و ۲ میلیون",
            "۲ میلیون و",
            "و ۵۰۰",
            "۲ و ۵۰۰",
            "۲ میلیون و ۳ میلیون",
        ] {
            assert_bad(DOT, s);
        }
        let n = DOT.parse("۸۰ هزار تومان").unwrap().unwrap();
        assert!(n.scaled);
        assert!(!DOT.parse("80 تومان").unwrap().unwrap().scaled);
        assert!(!DOT.parse("80").unwrap().unwrap().scaled);
        // A letter that runs on is part of another word: twelve hours, not twelve Toman.
        for s in ["12 ساعت", "12ساعت", "هزار", "ت", "12 هزارم", "12 thousand"] {
            assert_bad(DOT, s);
        }
    }

    /// '/' is the decimal mark Persian keyboards type for ٫: one slash, digits on both sides,
    /// no date shape; a single ASCII digit over a larger number is a vulgar fraction, not read.
    #[test]
    fn slash_as_persian_decimal_mark() {
        for p in [DOT, COMMA] {
            assert_eq!(val(p, "۱۲/۵"), 12.5);
            assert_eq!(val(p, "1250/75"), 1250.75);
            assert_eq!(val(p, "99/9"), 99.9);
            assert_eq!(val(p, "0/5"), 0.5);
            assert_eq!(val(p, "۱/۵"), 1.5);
            assert_eq!(val(p, "۱/۲"), 1.2);
            assert_eq!(val(p, "5/2"), 5.2);
            assert_eq!(val(p, "-۱۲/۵"), -12.5);
            assert_eq!(cur(p, "۱۲/۵ تومان"), (12.5, Some("IRT")));
        }
        assert_eq!(val(DOT, "1,250/75"), 1250.75);
        assert_eq!(val(COMMA, "1.250/75"), 1250.75);
        assert_eq!(val(DOT, "۱٬۲۵۰/۷۵"), 1250.75);
        for s in [
            "1/2",
            "3/4",
            "1/16",
            "1/5",
            "1402/07/15",
            "07/15/2023",
            "12/",
            "/5",
            "1/2/3",
            "1/2.5",
            "1.5/2",
            "1٫5/2",
            "1 / 2",
            "1/1000000000000000000000",
        ] {
            assert_bad(DOT, s);
        }
    }

    fn qty(s: &str) -> Result<Option<f64>, ValueError> {
        DOT.parse_quantity(s).map(|n| n.map(|n| n.value))
    }

    /// A unit word after a quantity is the unit the count is in, not an unreadable number.
    #[test]
    fn quantities_with_unit_words() {
        for (s, v) in [
            ("۲ عدد", 2.0),
            ("3 عدد", 3.0),
            ("۱٫۵ کیلوگرم", 1.5),
            ("1 بسته", 1.0),
            ("۲ عدد", 2.0),
            ("2 pcs", 2.0),
            ("2pcs", 2.0),
            ("2 PCS", 2.0),
            ("3 Stk.", 3.0),
            ("2x", 2.0),
            ("x2", 2.0),
            ("× 2", 2.0),
            ("2 ×", 2.0),
            ("1,000 units", 1000.0),
            ("-1 عدد", -1.0),
            ("۲ كارتن", 2.0),
            ("۱ دستگاه", 1.0),
            ("۶ متر", 6.0),
            ("2 ست", 2.0),
            ("2", 2.0),
        ] {
            assert_eq!(qty(s), Ok(Some(v)), "{s:?}");
        }
        assert_eq!(qty(""), Ok(None));
        for s in [
            "عدد",
            "2 apples",
            "2 عددها",
            "2 pcs pcs",
            "x",
            "2 تومان pcs",
            "pcs2",
            "2 x 3",
            // Prices are per kilogram: 500 grams is not 500 of them.
            "۵۰۰ گرم",
        ] {
            assert_eq!(qty(s), Err(ValueError::BadNumber), "{s:?}");
        }
        // Only quantities take unit words.
        assert_bad(DOT, "2 pcs");
    }

    #[test]
    fn negatives() {
        assert_eq!(val(DOT, "(45.00)"), -45.0);
        assert_eq!(val(DOT, "(1,234.50)"), -1234.5);
        assert_eq!(val(DOT, "\u{2212}5"), -5.0);
        assert_eq!(val(DOT, "12-"), -12.0);
        assert_eq!(val(DOT, "1,234.50-"), -1234.5);
        assert_eq!(val(DOT, "- 5"), -5.0);
        assert_eq!(cur(DOT, "-$3.99"), (-3.99, Some("USD")));
        assert_eq!(cur(DOT, "$-3.99"), (-3.99, Some("USD")));
        assert_eq!(cur(DOT, "$(3.99)"), (-3.99, Some("USD")));
        assert_eq!(cur(DOT, "(3.99 €)"), (-3.99, Some("EUR")));
        assert_eq!(cur(COMMA, "-1.234,56 €"), (-1234.56, Some("EUR")));
        assert_eq!(val(DOT, "+1,000"), 1000.0);
    }

    #[test]
    fn scientific_notation() {
        assert_eq!(val(DOT, "1.5e3"), 1500.0);
        assert_eq!(val(DOT, "1.5E3"), 1500.0);
        assert_eq!(val(DOT, "2e-2"), 0.02);
        assert_eq!(val(DOT, "2e+2"), 200.0);
        assert_eq!(val(DOT, "-1.5e3"), -1500.0);
        assert_eq!(val(COMMA, "1,5e3"), 1500.0);
        assert_bad(DOT, "1e");
        assert_bad(DOT, "1e+");
        assert_bad(DOT, "e5");
        assert_bad(DOT, "1e999");
        assert_bad(DOT, "1e5x");
    }

    #[test]
    fn garbage() {
        for s in [
            "12abc",
            "abc",
            "1.2.3",
            "1,23,4",
            "1,2,3",
            "1,,234",
            "12 34",
            "0,123,456",
            ",234,5",
            "$",
            "€ €",
            "(5",
            "5)",
            "(-5)",
            "--5",
            "+-5",
            "5%",
            "1.234,5.6",
            "1'23",
            "1 234'567",
            "inf",
            "infinity",
            "12 EURO",
            "$5$",
            "1٫2٫3",
            "1/2",
            "..",
            ".",
        ] {
            assert_bad(DOT, s);
        }
        for s in ["12abc", "1,2,3", "1.23.4", "1.2,3,4", ","] {
            assert_bad(COMMA, s);
        }
    }

    /// Lakhs and crores: commas grouping by two before the last three digits.
    #[test]
    fn indian_grouping() {
        for p in [DOT, COMMA] {
            assert_eq!(val(p, "1,00,000"), 100_000.0);
            assert_eq!(val(p, "1,23,456.00"), 123_456.0);
            assert_eq!(val(p, "12,34,567.89"), 1_234_567.89);
            assert_eq!(val(p, "-2,50,000"), -250_000.0);
            assert_eq!(val(p, "(2,50,000)"), -250_000.0);
            assert_eq!(val(p, "10,00,00,000"), 100_000_000.0);
            assert_eq!(val(p, "1,23,45,678.5"), 12_345_678.5);
            assert_eq!(cur(p, "₹1,00,000.00"), (100_000.0, Some("INR")));
            assert_eq!(cur(p, "INR 12,34,567"), (1_234_567.0, Some("INR")));
        }
        // A repeated comma groups, so a lakh says the file's decimal mark is a dot.
        assert_eq!(
            MarkEvidence::of(["1,00,000", "12,34,567.89"]).decided(),
            Some(DecimalMark::Dot)
        );
        // Anything but that exact pattern stays unread.
        for s in [
            "123,45,678",    // a first group of three
            "1,2,34,567",    // a group of one inside
            "1,23,4567",     // a last group of four
            "1,234,56",      // a last group of two
            "1,23,45",       // a last group of two
            "0,12,345",      // a leading zero
            "1.00.000",      // dots
            "1 00 000",      // spaces
            "1'00'000",      // apostrophes
            "1,00,000,00",   // a group of two after the last three
            "1,00,000.00,5", // grouping after the decimal part
            "1,00,000e3",    // an exponent
            "۱,۰۰,۰۰۰",      // Persian digits
            "1،00،000",      // the Arabic comma
            "1,00,000,50",
        ] {
            assert_bad(DOT, s);
        }
        // A comma decimal after lakh grouping is no Indian number.
        assert_bad(COMMA, "1.00.000,50");
        assert_bad(DOT, "1,00,000,5");
    }

    /// Indian invoices write rupees as "Rs." or "Rs" and close an amount with "/-" (no paise).
    #[test]
    fn rupees_and_no_paise() {
        for p in [DOT, COMMA] {
            assert_eq!(cur(p, "Rs. 1,00,000"), (100_000.0, Some("INR")));
            assert_eq!(cur(p, "rs.1,00,000"), (100_000.0, Some("INR")));
            assert_eq!(cur(p, "Rs 500/-"), (500.0, Some("INR")));
            assert_eq!(cur(p, "1,00,000/-"), (100_000.0, None));
            assert_eq!(cur(p, "₹ 1,250.00/-"), (1_250.0, Some("INR")));
            assert_eq!(cur(p, "INR 2,50,000/-"), (250_000.0, Some("INR")));
            assert_eq!(cur(p, "-Rs. 500/-"), (-500.0, Some("INR")));
            assert_eq!(cur(p, "500 Rs"), (500.0, Some("INR")));
        }
        // "Rs." is no vote for a decimal comma: its lakh is dot-decimal evidence.
        assert_eq!(
            MarkEvidence::of(["Rs. 1,00,000", "Rs. 2,50,000", "1,250.00/-"]).decided(),
            Some(DecimalMark::Dot)
        );
        // Only as a whole word, and "/-" once.
        for s in ["2 hrs", "Rsx 5", "5/-/-", "/-", "Rs."] {
            assert_bad(DOT, s);
        }
    }

    /// What read before reads the same: lakh grouping only fills a gap.
    #[test]
    fn indian_grouping_changes_no_other_number() {
        assert_eq!(val(DOT, "1,000"), 1000.0);
        assert_eq!(val(DOT, "12,345"), 12345.0);
        assert_eq!(val(DOT, "1,234,567.89"), 1_234_567.89);
        assert_eq!(val(DOT, "1,000,000"), 1_000_000.0);
        assert_eq!(val(COMMA, "1.234,56"), 1234.56);
        assert_eq!(val(COMMA, "1.234.567"), 1_234_567.0);
        assert_eq!(val(COMMA, "1,5"), 1.5);
        assert_eq!(val(DOT, "12,5"), 12.5);
        assert_eq!(val(COMMA, "1,234"), 1.234);
        assert_eq!(val(DOT, "1,234"), 1234.0);
        assert_eq!(val(DOT, "1234,567"), 1234.567);
        assert_eq!(val(DOT, "12٬500٬000"), 12_500_000.0);
        assert_eq!(val(DOT, "۸۷۰،۰۰۰"), 870_000.0);
        assert_eq!(val(DOT, "۱٫۲۵۰٫۰۰۰"), 1_250_000.0);
        assert_eq!(val(DOT, "۱۲٫۵"), 12.5);
        assert_eq!(val(DOT, "۱۲/۵"), 12.5);
        assert_eq!(cur(DOT, "۱۲,۵۰۰,۰۰۰ تومان"), (12_500_000.0, Some("IRT")));
        assert_eq!(val(DOT, "1 234 567"), 1_234_567.0);
        let money = |p: NumberParser, s: &str| p.parse_money(s, true).unwrap().unwrap().value;
        assert_eq!(money(COMMA, "85,000"), 85_000.0);
        assert_eq!(money(DOT, "125.000"), 125_000.0);
        for s in ["1,23,4", "1,2,3", "0,123,456", "1,,234"] {
            assert_bad(DOT, s);
        }
        assert_bad(COMMA, "1,2,3");
    }

    /// Slashes between thousands: always when there are two or more, and in Toman or Rial also
    /// one; a slash before fewer or more than three digits stays the decimal mark, and dates,
    /// vulgar fractions and two amounts in a cell stay unreadable.
    #[test]
    fn slashes_between_thousands() {
        for p in [DOT, COMMA] {
            let money = |s: &str, iranian| p.parse_money(s, iranian).map(|n| n.map(|n| n.value));
            for iranian in [false, true] {
                assert_eq!(money("1/200/000", iranian), Ok(Some(1_200_000.0)));
                assert_eq!(money("۱/۲۰۰/۰۰۰", iranian), Ok(Some(1_200_000.0)));
                assert_eq!(money("-3/500/000", iranian), Ok(Some(-3_500_000.0)));
                assert_eq!(money("12/5", iranian), Ok(Some(12.5)));
                assert_eq!(money("۱۲/۵", iranian), Ok(Some(12.5)));
                for bad in [
                    "1402/08/13",
                    "13/08/1402",
                    "1/200/00",
                    "01/200/000",
                    "1/200 - 3/400",
                    "1/2/3",
                ] {
                    assert!(money(bad, iranian).is_err(), "{bad} {iranian}");
                }
            }
            let toman = p.parse_money("۱/۲۰۰/۰۰۰ تومان", false).unwrap().unwrap();
            assert_eq!((toman.value, toman.currency), (1_200_000.0, Some("IRT")));
            // A cell naming Toman or Rial is in Toman or Rial, in any file.
            for (raw, v, c) in [
                ("12/500 تومان", 12_500.0, "IRT"),
                ("3/750 تومان", 3_750.0, "IRT"),
                ("1/000 ریال", 1_000.0, "IRR"),
                ("12/5 تومان", 12.5, "IRT"),
            ] {
                let n = p.parse_money(raw, false).unwrap().unwrap();
                assert_eq!((n.value, n.currency), (v, Some(c)), "{raw}");
            }
            // One slash: thousands in Toman or Rial; elsewhere the decimal mark, or a fraction.
            assert_eq!(money("3/750", true), Ok(Some(3750.0)));
            assert_eq!(money("۳/۷۵۰", true), Ok(Some(3750.0)));
            assert_eq!(money("12/500", true), Ok(Some(12_500.0)));
            assert_eq!(money("12/500", false), Ok(Some(12.5)));
            assert!(money("3/750", false).is_err());
            assert!(money("1/2", true).is_err());
            // The decimal mark ٫ once before three digits: thousands in Toman or Rial, as the
            // slash; elsewhere, and before fewer or more digits, the decimal mark.
            assert_eq!(money("۸۵٫۰۰۰", true), Ok(Some(85_000.0)));
            assert_eq!(money("۸۵٫۰۰۰", false), Ok(Some(85.0)));
            assert_eq!(money("۱۲٫۵", true), Ok(Some(12.5)));
            assert_eq!(money("۱٫۲۵۰٫۰۰۰", true), Ok(Some(1_250_000.0)));
            let n = p.parse_money("۸۵٫۰۰۰ تومان", false).unwrap().unwrap();
            assert_eq!((n.value, n.currency), (85_000.0, Some("IRT")));
            let n = p.parse_money("۸۵۰٫۰۰۰ ریال", false).unwrap().unwrap();
            assert_eq!((n.value, n.currency), (850_000.0, Some("IRR")));
        }
    }

    /// A zero written with a sign is 0, not −0.0 (which prints "-0" and sorts first), on the fast
    /// path and the general one.
    #[test]
    fn a_signed_zero_is_zero() {
        for s in ["-0", "-0.00", "-0,00", "(0)", "-$0.00", "0-", "-۰"] {
            let v = val(if s.contains(',') { COMMA } else { DOT }, s);
            assert!(v == 0.0 && v.is_sign_positive(), "{s:?} -> {v:?}");
        }
        assert_eq!(val(DOT, "-2.5"), -2.5);
    }

    #[test]
    fn overlong_input_is_rejected_not_panicking() {
        let long = "1".repeat(200);
        assert_bad(DOT, &format!("{long}x"));
        assert_bad(DOT, &format!("{long}.5e3"));
        assert_eq!(val(DOT, &long), long.parse::<f64>().unwrap());
        let groups = "1,000".repeat(20);
        assert_bad(DOT, &groups);
    }

    /// A value that can be read one way only decides for all; without one, the file's default.
    #[test]
    fn evidence_decides_else_the_default() {
        let of = |v: &[&str], a| MarkEvidence::of(v.iter().copied()).decide(a);
        assert_eq!(
            of(&["1,234", "1,234.00"], Ambiguous::CommaDecimal),
            DecimalMark::Dot
        );
        assert_eq!(of(&["1,234", "12,50"], Ambiguous::Decimal), DecimalMark::Comma);
        assert_eq!(
            of(&["1,799", "1,869"], Ambiguous::CommaDecimal),
            DecimalMark::Comma
        );
        assert_eq!(of(&["1,200", "2,500"], Ambiguous::Decimal), DecimalMark::Dot);
    }

    #[test]
    fn infer_comma() {
        assert_eq!(
            NumberParser::infer(["1.234,56", "12,5", "7"]).decimal,
            DecimalMark::Comma
        );
        assert_eq!(NumberParser::infer(["0,99"]).decimal, DecimalMark::Comma);
        assert_eq!(NumberParser::infer(["1.234.567"]).decimal, DecimalMark::Comma);
        assert_eq!(
            NumberParser::infer(["€ 1 234,50", "3"]).decimal,
            DecimalMark::Comma
        );
        assert_eq!(NumberParser::infer(["۱۲,۵"]).decimal, DecimalMark::Comma);
    }

    #[test]
    fn ambiguous_columns_follow_the_file_convention() {
        let de = ["1.234", "12.500", "3.000"];
        assert_eq!(NumberParser::infer(de).decimal, DecimalMark::Dot);
        let p = NumberParser::infer_with(de, Ambiguous::CommaDecimal);
        assert_eq!(p.parse("12.500").unwrap().unwrap().value, 12500.0);
        // Toman: per value, whatever the column's decimal mark.
        for decimal in [DecimalMark::Dot, DecimalMark::Comma] {
            let p = NumberParser::new(decimal);
            for (raw, v) in [
                ("125.000", 125000.0),
                ("2,500", 2500.0),
                ("12.5", 12.5),
                ("7", 7.0),
            ] {
                assert_eq!(
                    p.parse_money(raw, true).unwrap().unwrap().value,
                    v,
                    "{raw} {decimal:?}"
                );
            }
            assert_eq!(
                p.parse_money("125.000 تومان", false).unwrap().unwrap().value,
                125000.0
            );
        }
        let dot = NumberParser::new(DecimalMark::Dot);
        assert_eq!(dot.parse_money("12.500", false).unwrap().unwrap().value, 12.5);
        // One unambiguous value decides, whatever the convention.
        let p = NumberParser::infer_with(["1.234", "12.5"], Ambiguous::CommaDecimal);
        assert_eq!(p.decimal, DecimalMark::Dot);
    }

    #[test]
    fn infer_dot() {
        assert_eq!(
            NumberParser::infer(["1,234.56", "12.5"]).decimal,
            DecimalMark::Dot
        );
        assert_eq!(NumberParser::infer(["1,234,567"]).decimal, DecimalMark::Dot);
        assert_eq!(NumberParser::infer(["0.125"]).decimal, DecimalMark::Dot);
        assert_eq!(NumberParser::infer(["1.5e3"]).decimal, DecimalMark::Dot);
    }

    #[test]
    fn infer_without_evidence_is_dot() {
        assert_eq!(NumberParser::infer(std::iter::empty()).decimal, DecimalMark::Dot);
        assert_eq!(
            NumberParser::infer(["1,234", "1.234", "12", "", "۱۲٬۵۰۰"]).decimal,
            DecimalMark::Dot
        );
        // A tie goes to dot as well.
        assert_eq!(NumberParser::infer(["12,5", "12.5"]).decimal, DecimalMark::Dot);
    }

    #[test]
    fn infer_majority_wins() {
        assert_eq!(
            NumberParser::infer(["12,5", "3,25", "1.5"]).decimal,
            DecimalMark::Comma
        );
        assert_eq!(
            NumberParser::infer(["12.5", "3.25", "1,5"]).decimal,
            DecimalMark::Dot
        );
    }

    #[test]
    fn constructor() {
        assert_eq!(NumberParser::new(DecimalMark::Comma), COMMA);
        assert_eq!(NumberParser::new(DecimalMark::Dot), DOT);
    }
}
