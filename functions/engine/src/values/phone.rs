//! Phone numbers as customer keys. Iranian shops (Basalam, Persian WooCommerce, Instagram order
//! sheets, payment gateways) know their buyers by their mobile number alone, written every way a
//! person or a form can write it: `09121234567`, `۰۹۱۲ ۱۲۳ ۴۵۶۷`, `+98 912 123 4567`,
//! `00989121234567`, or `9121234567` where a spreadsheet dropped the leading zero. One person must
//! be one key however the number was written, so every form is brought to one:
//!
//! - an Iranian mobile (`09…` followed by nine digits, also after `98`, `+98` or `0098`; `9…`
//!   and nine digits, bare, in a file that shows it is Iranian) is `+989xxxxxxxxx` (E.164);
//! - any other number written with its country (a leading `+` or `00`) is E.164, `+` and its digits;
//! - any other number written without a country is `tel:` and its digits as written (leading
//!   zeros kept). Without a country it cannot be put in E.164, and guessing one (+98 for an
//!   Iranian shop) would give a German or French shop's customers wrong numbers that could meet
//!   real Iranian ones. `tel:` keeps the same number written twice alike, and no customer number,
//!   email or E.164 key starts with it.
//!
//! Anything else (letters, an extension, two numbers in one cell, fewer than seven digits, more
//! than fifteen) is no phone number and keys nothing: a key made of it would be a guess.

use std::borrow::Cow;

use super::digits::digit_value;
use super::{is_invisible, is_null_marker, trim_value};

/// E.164 allows at most fifteen digits, country code included.
const MAX_DIGITS: usize = 15;
/// The fewest digits of a number written without its country (a local number of many
/// countries); fewer is a code or a count, not a phone.
const MIN_NATIONAL_DIGITS: usize = 7;
/// The fewest digits of a number written with its country: a short national number and a
/// one- to three-digit country code.
const MIN_INTERNATIONAL_DIGITS: usize = 8;
const IRAN: &[u8] = b"98";
/// The prefix of a number written without its country.
pub(crate) const NATIONAL_PREFIX: &str = "tel:";

/// The digits of a cell and whether the number was written with its country.
struct Digits {
    buf: [u8; MAX_DIGITS],
    len: usize,
    /// A leading `+` (a leading `00` is read after the digits are collected).
    plus: bool,
}

impl Digits {
    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The key of a phone number cell (see the module's documentation), or None when the cell holds
/// no plausible phone number. Borrows when the cell is already in its key form (`+989121234567`),
/// as a file written by segflow or a payment gateway is. `bare_iranian`: ten bare digits from 9
/// are an Iranian mobile whose zero a spreadsheet dropped; only a file that shows it is Iranian
/// says so (see [`bare_mobiles_iranian`]), since `9175550123` is as likely a New York number
/// typed without separators.
pub(crate) fn phone_key(raw: &str, bare_iranian: bool) -> Option<Cow<'_, str>> {
    let s = trim_value(raw);
    if is_null_marker(s) {
        return None;
    }
    // Meta's lead-ads downloads write every phone as `p:+989351112233` (and ids as `l:…`), so
    // that a spreadsheet keeps it as text.
    let s = s.strip_prefix("p:").unwrap_or(s);
    let number = spreadsheet_number(s);
    // Only a spreadsheet drops the zero, leaving bare digits: "(917) 555-0123" is American.
    let bare = bare_iranian
        && number
            .chars()
            .all(|c| crate::values::digits::digit_value(c).is_some());
    let d = digits(number)?;
    let mut key = KeyBuf::default();
    let all = d.as_slice();
    let international = if d.plus {
        Some(all)
    } else {
        all.strip_prefix(b"00")
    };
    match international {
        Some(intl) => {
            let intl = match intl.strip_prefix(IRAN) {
                // "+98 0912 …": the national trunk zero written after the country code.
                Some(rest) if rest.len() == 11 && rest.starts_with(b"09") => {
                    key.push_str("+98");
                    key.push_digits(&rest[1..]);
                    let subscriber = &rest[1..];
                    return (!is_placeholder(subscriber, 0) && !unassigned_mobile(subscriber))
                        .then(|| key.into_cow(s));
                }
                _ => intl,
            };
            if intl.len() < MIN_INTERNATIONAL_DIGITS || intl.starts_with(b"0") {
                return None;
            }
            // The country code is one to three digits.
            if is_placeholder(intl, 3) || intl.strip_prefix(IRAN).is_some_and(unassigned_mobile) {
                return None;
            }
            key.push_str("+");
            key.push_digits(intl);
        }
        None => match iranian_mobile(all, bare) {
            Some(subscriber) if is_placeholder(subscriber, 0) || unassigned_mobile(subscriber) => {
                return None;
            }
            Some(subscriber) => {
                key.push_str("+98");
                key.push_digits(subscriber);
            }
            None if all.len() >= MIN_NATIONAL_DIGITS && !is_placeholder(all, 0) => {
                key.push_str(NATIONAL_PREFIX);
                key.push_digits(all);
            }
            None => return None,
        },
    }
    Some(key.into_cow(s))
}

/// A number a form or a clerk put in for a buyer who gave none, which would make one customer
/// of everyone who gave it: one digit repeated (`0000000000`, `09999999999`, `+1 111 111 1111`)
/// or a run of digits (`1234567`, `0123456789`). Round numbers that people own
/// (`0912 111 1111`) are not: the operator's prefix differs. `prefix`: up to how many leading
/// digits may be a country code.
fn is_placeholder(d: &[u8], prefix: usize) -> bool {
    let repeated = |t: &[u8]| t.len() >= MIN_NATIONAL_DIGITS && t.iter().all(|&b| b == t[0]);
    let unzeroed = |skip: usize| {
        let t = d.get(skip..).unwrap_or_default();
        &t[t.iter().take_while(|&&b| b == b'0').count()..]
    };
    // A run is the whole number, or all of it after a country code: "+1 123 456 7890" is no
    // one's, "+49 30 1234567" Berlin's (its run is the subscriber's part only).
    let run = |t: &[u8], least: usize| {
        t.len() >= least && (b"1234567890".starts_with(t) || b"9876543210".starts_with(t))
    };
    let whole = unzeroed(0);
    whole.is_empty()
        || run(whole, MIN_NATIONAL_DIGITS)
        || (0..=prefix).any(|skip| repeated(unzeroed(skip)) || (skip > 0 && run(unzeroed(skip), 9)))
}

/// An Iranian mobile's ten digits `9xx` + seven zeros (`0912 000 0000`): an operator's prefix
/// typed before the number a buyer did not give; or the mobile's `9` and a run of the other
/// nine digits (`0912 345 6789`, `0901 234 5678`, `0998 765 4321`), what forms and clerks type
/// for "no number".
/// (A landline ending in zeros, Tehran's `021 8000 0000`, is a company's.)
fn unassigned_mobile(subscriber: &[u8]) -> bool {
    subscriber.len() == 10
        && subscriber.starts_with(b"9")
        && (subscriber[3..].iter().all(|&b| b == b'0')
            || b"0123456789".windows(9).any(|w| w == &subscriber[1..])
            || b"9876543210".windows(9).any(|w| w == &subscriber[1..]))
}

/// A cell that stands for no number: empty, a null marker (`-`, `N/A`), or a number put in for
/// a buyer who gave none (see [`is_placeholder`], [`unassigned_mobile`]). Such cells say nothing
/// about what a column holds.
pub(crate) fn no_number(raw: &str) -> bool {
    let s = trim_value(raw);
    if is_null_marker(s) {
        return true;
    }
    let Some(d) = digits(spreadsheet_number(s)) else {
        return false;
    };
    let all = d.as_slice();
    let intl = if d.plus {
        Some(all)
    } else {
        all.strip_prefix(b"00")
    };
    let mobile = match intl {
        Some(i) => i.strip_prefix(IRAN).filter(|m| m.len() == 10),
        None => iranian_mobile(all, true),
    };
    all.len() >= MIN_NATIONAL_DIGITS && (is_placeholder(all, 3) || mobile.is_some_and(unassigned_mobile))
}

/// Whether a file's ten bare digits from 9 are Iranian mobiles ([`phone_key`]'s `bare_iranian`):
/// its header is in Persian or Arabic letters, or a quarter of its sample rows have a cell in
/// them (names, cities, products), or its phone column has more Iranian mobiles written in full
/// (`0912…`, `+98…`, or in Persian digits) than numbers that are clearly of elsewhere (`+1…`,
/// `030 1234567`), and at least a quarter as many as bare ten digits from 9. One Arabic-script
/// name or one Iranian customer does not make an American shop's list Iranian.
pub(crate) fn bare_mobiles_iranian<'a, R>(
    mut header: impl Iterator<Item = &'a str>,
    rows: impl Iterator<Item = R>,
    phones: impl IntoIterator<Item = &'a str>,
) -> bool
where
    R: IntoIterator<Item = &'a str>,
{
    let arabic_letter = |c: char| {
        matches!(
            c,
            '\u{0620}'
                ..='\u{064A}' | '\u{067E}' | '\u{0686}' | '\u{0698}' | '\u{06A9}' | '\u{06AF}' | '\u{06CC}'
        )
    };
    let arabic = |s: &str| s.chars().any(arabic_letter);
    if header.any(arabic) {
        return true;
    }
    let (mut total, mut written) = (0usize, 0usize);
    for row in rows {
        total += 1;
        written += usize::from(row.into_iter().any(arabic));
    }
    if written > 0 && written * 4 >= total {
        return true;
    }
    let (mut iranian, mut elsewhere, mut bare) = (0usize, 0usize, 0usize);
    // Persian digits (not the Arabic ones, which Arab shops write) are an Iranian's.
    let persian_digits = |p: &str| p.chars().any(|c| ('\u{06F0}'..='\u{06F9}').contains(&c));
    for p in phones {
        match phone_key(p, false) {
            Some(k) if k.starts_with("+989") || persian_digits(p) => iranian += 1,
            // Bare ten digits from 9 are the question, not an answer.
            Some(k) if mobile_alternative(&k).is_some() && phone_key(p, true).is_some_and(|b| b != k) => {
                bare += 1;
            }
            Some(_) => elsewhere += 1,
            None => {}
        }
    }
    // And not one Iranian buyer among a New York shop's bare 917 numbers.
    iranian > elsewhere && iranian * 4 >= bare
}

/// The other key an Iranian mobile may have: `tel:9121234567` for `+989121234567` and back. A file
/// that shows nothing Iranian (an English export of an Iranian shop, an SMS panel's list) keys
/// ten bare digits from 9 as `tel:`; where another file knows the same digits as an Iranian
/// mobile, they are that mobile. An American number with those digits would have to meet an
/// Iranian mobile with the same ten digits in one shop's data.
pub(crate) fn mobile_alternative(key: &str) -> Option<String> {
    let digits = |d: &str| d.len() == 10 && d.starts_with('9') && d.bytes().all(|b| b.is_ascii_digit());
    if let Some(d) = key.strip_prefix("+98").filter(|d| digits(d)) {
        return Some(format!("{NATIONAL_PREFIX}{d}"));
    }
    key.strip_prefix(NATIONAL_PREFIX)
        .filter(|d| digits(d))
        .map(|d| format!("+98{d}"))
}

/// A shop's own country for numbers its exports write without one (`SEGFLOW_PHONE_COUNTRY`,
/// `--phone-country`): a US shop's `(415) 555-2106` is then `+14155552106`, the key its SMS
/// service's log gives the same person. Without it such numbers stay `tel:` (see the module's
/// documentation): a country is not guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhoneCountry {
    /// ISO 3166 alpha-2 code, upper case.
    pub iso: &'static str,
    calling: &'static str,
    /// National numbers are written with a leading trunk `0` (`030 1234567`, `07700 900123`),
    /// which E.164 drops; Italy's leading `0` (`06 1234 5678`) is the number's own and stays.
    trunk: Trunk,
    /// Digits of a national significant number (the number without trunk prefix or country).
    nsn: (usize, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trunk {
    /// A leading `0` is the trunk prefix.
    Zero,
    /// No trunk prefix; a national number never starts with `0`.
    None,
    /// No trunk prefix; a leading `0` is part of the number (Italy's landlines).
    ZeroKept,
}

const fn country(
    iso: &'static str,
    calling: &'static str,
    trunk: Trunk,
    nsn: (usize, usize),
) -> PhoneCountry {
    PhoneCountry {
        iso,
        calling,
        trunk,
        nsn,
    }
}

/// The countries a shop may name, with their numbering plans' lengths.
pub const PHONE_COUNTRIES: &[PhoneCountry] = &[
    country("US", "1", Trunk::None, (10, 10)),
    country("CA", "1", Trunk::None, (10, 10)),
    country("GB", "44", Trunk::Zero, (9, 10)),
    country("IE", "353", Trunk::Zero, (7, 9)),
    country("DE", "49", Trunk::Zero, (6, 11)),
    country("AT", "43", Trunk::Zero, (4, 13)),
    country("CH", "41", Trunk::Zero, (9, 9)),
    country("FR", "33", Trunk::Zero, (9, 9)),
    country("BE", "32", Trunk::Zero, (8, 9)),
    country("NL", "31", Trunk::Zero, (9, 9)),
    country("ES", "34", Trunk::None, (9, 9)),
    country("IT", "39", Trunk::ZeroKept, (6, 11)),
    country("SE", "46", Trunk::Zero, (7, 9)),
    country("AU", "61", Trunk::Zero, (9, 9)),
    country("NZ", "64", Trunk::Zero, (8, 10)),
    country("IN", "91", Trunk::Zero, (10, 10)),
    country("IR", "98", Trunk::Zero, (10, 10)),
    country("TR", "90", Trunk::Zero, (10, 10)),
    country("AE", "971", Trunk::Zero, (8, 9)),
    country("SA", "966", Trunk::Zero, (8, 9)),
];

impl PhoneCountry {
    /// The country of an ISO code (any case), else None.
    pub fn from_iso(code: &str) -> Option<PhoneCountry> {
        PHONE_COUNTRIES
            .iter()
            .copied()
            .find(|c| c.iso.eq_ignore_ascii_case(code.trim()))
    }

    /// Whether `nsn` can be a national significant number of the country: its length, and
    /// the leading digits the plan never gives (a NANP area code or exchange from 0 or 1; a UK
    /// number from 0, 4 or 6, a UK mobile of other than ten digits).
    fn plausible(&self, nsn: &str) -> bool {
        let d = nsn.as_bytes();
        let plan = match self.iso {
            "US" | "CA" => d.len() == 10 && d[0] >= b'2' && d[3] >= b'2',
            "GB" => {
                !matches!(d.first(), Some(b'0' | b'4' | b'6')) && (d.first() != Some(&b'7') || d.len() == 10)
            }
            _ => true,
        };
        plan && (self.nsn.0..=self.nsn.1).contains(&d.len())
            && (self.trunk == Trunk::ZeroKept || !nsn.starts_with('0'))
    }

    /// A key of a number written without its country (`tel:…`) in this country's E.164 form,
    /// when its digits fit the numbering plan: the trunk zero dropped (`tel:07700900123` →
    /// `+447700900123`), or the calling code typed without `+` (`tel:14155552106` →
    /// `+14155552106`). Any other key, or digits that fit no number of the country, as they are.
    pub(crate) fn apply<'a>(&self, key: Cow<'a, str>) -> Cow<'a, str> {
        let Some(digits) = key.strip_prefix(NATIONAL_PREFIX) else {
            return key;
        };
        let fits = |nsn: &str| self.plausible(nsn);
        // The calling code typed without `+` (`49 30 1234567`), else the trunk zero dropped.
        let international = digits.strip_prefix(self.calling).filter(|n| fits(n));
        let nsn = international.or_else(|| {
            match digits.strip_prefix('0') {
                Some(rest) if self.trunk == Trunk::Zero => Some(rest),
                Some(_) if self.trunk == Trunk::None => None,
                _ => Some(digits),
            }
            .filter(|n| fits(n))
        });
        match nsn {
            Some(n) => Cow::Owned(format!("+{}{n}", self.calling)),
            None => key,
        }
    }
}

/// The digits two phone keys of one number meet on when one was written without its country
/// (`tel:4155552106`, `tel:07700900123`, as a buyer typed it into an order form) and the other
/// with it (`+14155552106`, `+447700900123`, as an SMS service logs it): a `tel:` key's digits
/// without trunk zeros; an E.164 key's digits whole and after a one-, two- or three-digit
/// country code. Only tails of at least nine digits, so that short local numbers meet nothing by
/// chance. Used for consent alone (a refusal under one form holds for the other); keys are never
/// merged this way, since the country is a guess.
pub(crate) fn national_tails(key: &str) -> Vec<&str> {
    const LEAST: usize = 9;
    if let Some(d) = key.strip_prefix(NATIONAL_PREFIX) {
        let d = d.trim_start_matches('0');
        return if d.len() >= LEAST { vec![d] } else { vec![] };
    }
    match key.strip_prefix('+') {
        Some(d) if d.bytes().all(|b| b.is_ascii_digit()) => (0..=3)
            .filter_map(|cc| d.get(cc..))
            .filter(|t| t.len() >= LEAST && !t.starts_with('0'))
            .collect(),
        _ => vec![],
    }
}

/// A phone key as a list prints it for a marketing tool to dial: E.164 as it is, a number
/// without its country as its digits as written (`tel:02188776655` → `02188776655`), which the
/// tool reads in the shop's default country as the shop's staff would.
pub(crate) fn dialable(key: &str) -> &str {
    key.strip_prefix(NATIONAL_PREFIX).unwrap_or(key)
}

/// A phone key in the one form two keys of the same mobile meet in: `tel:9121234567` (a bare
/// mobile of a file that showed nothing Iranian) as `+989121234567`; any other key as it is.
pub(crate) fn canonical_mobile(key: &str) -> Cow<'_, str> {
    match key.starts_with(NATIONAL_PREFIX) {
        true => mobile_alternative(key).map_or(Cow::Borrowed(key), Cow::Owned),
        false => Cow::Borrowed(key),
    }
}

/// Whether a customer key is a phone number's (what [`phone_key`] gives: `+` and 8–15 digits, or
/// `tel:` and 7–15), not a customer number or an email. Customer keys are matched against
/// customers-dataset phones only when they are.
pub(crate) fn is_phone_key(key: &str) -> bool {
    let (digits, min) = match (key.strip_prefix('+'), key.strip_prefix(NATIONAL_PREFIX)) {
        (Some(d), _) => (d, MIN_INTERNATIONAL_DIGITS),
        (_, Some(d)) => (d, MIN_NATIONAL_DIGITS),
        _ => return false,
    };
    (min..=MAX_DIGITS).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `9121234567.0`: a number column that a spreadsheet or pandas wrote as a float.
fn spreadsheet_number(s: &str) -> &str {
    match s.strip_suffix(".0") {
        Some(head) if !head.is_empty() && head.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => s,
    }
}

/// The digits of `s` in any script, with the separators people put between them (spaces, dashes,
/// dots, slashes, parentheses, bidi marks) dropped and a `(0)` after the country code (`+49 (0)30
/// …`) left out. None for anything else in the cell, or too many digits.
fn digits(s: &str) -> Option<Digits> {
    let mut d = Digits {
        buf: [0; MAX_DIGITS],
        len: 0,
        plus: false,
    };
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if let Some(v) = digit_value(c) {
            *d.buf.get_mut(d.len)? = v + b'0';
            d.len += 1;
        } else if c == '+' && d.len == 0 && !d.plus {
            d.plus = true;
        } else if c == '('
            && d.len > 0
            && (d.plus || d.as_slice().starts_with(b"00"))
            && s[i..].starts_with("(0)")
        {
            chars.nth(1);
        } else if !is_separator(c) {
            return None;
        }
    }
    Some(d)
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        '-' | '.' | '/' | '(' | ')' | '\u{2010}'..='\u{2015}' | '\u{2212}'
    ) || c.is_whitespace()
        || is_invisible(c)
}

/// The ten digits `9xxxxxxxxx` of an Iranian mobile written without `+`: `09xxxxxxxxx`,
/// `9xxxxxxxxx` (a spreadsheet dropped the zero), `989xxxxxxxxx` or `9809xxxxxxxxx` (the country
/// code without its `+`).
fn iranian_mobile(d: &[u8], bare: bool) -> Option<&[u8]> {
    let subscriber = match d.len() {
        10 if bare => d,
        11 => d.strip_prefix(b"0")?,
        12 => d.strip_prefix(IRAN)?,
        13 => d.strip_prefix(b"980")?,
        _ => return None,
    };
    subscriber.starts_with(b"9").then_some(subscriber)
}

/// A key being written, on the stack: `tel:` and fifteen digits at most.
#[derive(Default)]
struct KeyBuf {
    buf: [u8; NATIONAL_PREFIX.len() + MAX_DIGITS],
    len: usize,
}

impl KeyBuf {
    fn push_str(&mut self, s: &str) {
        self.push_digits(s.as_bytes());
    }

    fn push_digits(&mut self, bytes: &[u8]) {
        // The key is never longer than the buffer: at most fifteen digits were read, and a prefix
        // replaces the digits it stands for or is `tel:`.
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn as_str(&self) -> &str {
        // Only ASCII is ever written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }

    /// Borrows `cell` when it is written exactly as its key.
    fn into_cow(self, cell: &str) -> Cow<'_, str> {
        if self.as_str() == cell {
            Cow::Borrowed(cell)
        } else {
            Cow::Owned(self.as_str().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Option<String> {
        phone_key(s, true).map(Cow::into_owned)
    }

    #[test]
    fn an_iranian_mobile_is_one_key_however_written() {
        for s in [
            "09121234567",
            "9121234567",
            "+989121234567",
            "00989121234567",
            "989121234567",
            "98 912 123 4567",
            "+98 912 123 4567",
            "+98 (0)912 123 4567",
            "+98 0912 123 4567",
            "۰۹۱۲ ۱۲۳ ۴۵۶۷",
            "۰۹۱۲۱۲۳۴۵۶۷",
            "٠٩١٢١٢٣٤٥٦٧",
            "0912-123-4567",
            "(0912) 123 4567",
            "0912.123.4567",
            "\u{200F}۰۹۱۲۱۲۳۴۵۶۷\u{200E}",
            "+\u{06F9}\u{06F8}\u{06F9}\u{06F1}\u{06F2}\u{06F1}\u{06F2}\u{06F3}\u{06F4}\u{06F5}\u{06F6}\u{06F7}",
            "9121234567.0",
            " 0912 123 4567 ",
            // Meta's lead-ads downloads.
            "p:+989121234567",
        ] {
            assert_eq!(key(s).as_deref(), Some("+989121234567"), "{s:?}");
        }
        assert_ne!(key("09121234567"), key("09121234568"));
    }

    #[test]
    fn other_numbers_with_a_country_are_e164() {
        assert_eq!(key("+49 30 1234567").as_deref(), Some("+49301234567"));
        assert_eq!(key("0049 (0)30 1234567").as_deref(), Some("+49301234567"));
        assert_eq!(key("+49 (0)30 1234567").as_deref(), Some("+49301234567"));
        assert_eq!(key("+1 (415) 555-0134").as_deref(), Some("+14155550134"));
        assert_eq!(key("+33 6 12 34 56 78").as_deref(), Some("+33612345678"));
        // An Iranian landline keeps its area code.
        assert_eq!(key("+98 21 8877 6655").as_deref(), Some("+982188776655"));
    }

    #[test]
    fn other_numbers_without_a_country_keep_their_digits_apart() {
        assert_eq!(key("021-8877 6655").as_deref(), Some("tel:02188776655"));
        assert_eq!(key("۰۲۱ ۸۸۷۷ ۶۶۵۵").as_deref(), Some("tel:02188776655"));
        assert_eq!(key("030 1234567").as_deref(), Some("tel:0301234567"));
        assert_eq!(key("8877 6655").as_deref(), Some("tel:88776655"));
        // Never an Iranian mobile's key: the country is unknown.
        assert!(!key("06 12 34 56 78").unwrap().starts_with('+'));
        // Ten digits from 9 are an Iranian mobile without its zero only as a spreadsheet writes
        // it, bare: written as an American number, they are one.
        assert_eq!(key("(917) 555-0123").as_deref(), Some("tel:9175550123"));
        assert_eq!(key("917-555-0123").as_deref(), Some("tel:9175550123"));
        assert_eq!(key("9121234567").as_deref(), Some("+989121234567"));
        // Bare, in a file that shows nothing Iranian, they are as likely a New York number.
        assert_eq!(phone_key("9175550123", false).as_deref(), Some("tel:9175550123"));
        assert_eq!(phone_key("09121234567", false).as_deref(), Some("+989121234567"));
    }

    #[test]
    fn a_file_shows_its_bare_mobiles_are_iranian_by_its_letters_or_its_full_numbers() {
        let iranian = |header: &[&str], rows: &[&[&str]], phones: &[&str]| {
            bare_mobiles_iranian(
                header.iter().copied(),
                rows.iter().map(|r| r.iter().copied()),
                phones.iter().copied(),
            )
        };
        assert!(iranian(
            &["نام", "موبایل"],
            &[&["Ali", "9121234567"]],
            &["9121234567"]
        ));
        assert!(iranian(
            &["Name", "Phone"],
            &[&["علی احمدی", "9121234567"]],
            &["9121234567"]
        ));
        assert!(iranian(
            &["Name", "Phone"],
            &[&["Ali", "9121234567"], &["Reza", "0912 765 4321"]],
            &["9121234567", "0912 765 4321"]
        ));
        assert!(iranian(&["Name"], &[&["كتاب"], &["Ali"], &["Reza"]], &[]));
        let us: Vec<&[&str]> = vec![&["Amy Lee", "New York"]; 9];
        assert!(!iranian(
            &["Name", "City"],
            &us,
            &["9175550123", "(212) 555-0188"]
        ));
        assert!(!iranian(
            &["Name"],
            &[&["Jürgen", "Köln", "€"]],
            &["0171 2345678"]
        ));
        // Digits in a name column say nothing; a mobile in Persian digits is an Iranian's
        // (Arabic shops write the Arabic ones).
        assert!(!iranian(&["Name"], &[&["۱۲۳"]], &["9121234567"]));
        assert!(iranian(&["Name"], &[&["Ali"]], &["۹۱۲۱۲۳۴۵۶۷"]));
        assert!(!iranian(&["Name"], &[&["Ali"]], &["٩١٢١٢٣٤٥٦٧"]));
        // One Arabic-script name, or one Iranian buyer, in an American shop's list.
        let mut mixed = us.clone();
        mixed.push(&["محمد علي", "Dearborn"]);
        assert!(!iranian(&["Name", "City"], &mixed, &["9175550123"]));
        assert!(!iranian(
            &["Name"],
            &us,
            &["+98 912 765 4321", "(212) 555-0188", "+1 917 555 0123"]
        ));
        let mut new_york = vec!["9175550100"; 12];
        new_york.push("09121234567");
        assert!(!iranian(&["Name"], &us, &new_york));
    }

    #[test]
    fn what_is_no_phone_number_keys_nothing() {
        for s in [
            "",
            "-",
            "N/A",
            "0",
            "123456",
            "+98 912",
            "+0912 123 4567",
            "call me",
            "0912 123 4567 ext 12",
            "09121234567 / 09351234567",
            "09121234567, 09351234567",
            "ali@example.com",
            "+98+912 123 4567",
            "0912 123 4567 +",
            "1234567890123456",
        ] {
            assert_eq!(key(s), None, "{s:?}");
        }
    }

    #[test]
    fn borrows_a_cell_in_key_form() {
        assert!(matches!(phone_key("+989121234567", true), Some(Cow::Borrowed(_))));
        assert!(matches!(phone_key("+14155550134", true), Some(Cow::Borrowed(_))));
        assert!(matches!(phone_key("09121234567", true), Some(Cow::Owned(_))));
    }

    #[test]
    fn keys_phone_numbers_give_are_told_from_customer_numbers_and_emails() {
        for s in ["09121234567", "+1 415 555 0134", "030 1234567", "۰۹۱۲ ۱۲۳ ۴۵۶۷"] {
            assert!(is_phone_key(&key(s).unwrap()), "{s:?}");
        }
        for k in [
            "C-1001",
            "12345",
            "+1234",
            "tel:123",
            "ali@example.com",
            "+98912x234567",
            "",
            "+",
        ] {
            assert!(!is_phone_key(k), "{k:?}");
        }
    }

    #[test]
    fn an_iranian_mobile_keyed_without_its_country_has_its_e164_key_as_alternative() {
        let alt = |k: &str| mobile_alternative(k);
        assert_eq!(alt("+989121234567").as_deref(), Some("tel:9121234567"));
        assert_eq!(alt("tel:9121234567").as_deref(), Some("+989121234567"));
        for none in [
            "+982188776655",
            "tel:02188776655",
            "+14155550134",
            "tel:8121234567",
            "C-1",
        ] {
            assert_eq!(alt(none), None, "{none}");
        }
    }

    /// Numbers put in for buyers who gave none key nothing: they would make one customer of all
    /// of them.
    #[test]
    fn placeholder_numbers_key_nothing() {
        for s in [
            "09120000000",
            "09999999999",
            "0000000000",
            "1111111111",
            "1234567",
            "0123456789",
            "+1 111 111 1111",
            "+98 912 000 0000",
            "00989120000000",
            "9999999999",
            "09123456789",
            "+98 912 345 6789",
            "۰۹۱۲۳۴۵۶۷۸۹",
            "09876543210",
            "09012345678",
            "09987654321",
            "+1 123 456 7890",
            "+1 987 654 3210",
        ] {
            assert_eq!(key(s), None, "{s:?}");
        }
        // Round numbers are sold and owned; a landline's zeros are a company's.
        assert_eq!(key("0912 111 1111").as_deref(), Some("+989121111111"));
        assert_eq!(key("021 8000 0000").as_deref(), Some("tel:02180000000"));
        assert_eq!(key("+98 21 8000 0000").as_deref(), Some("+982180000000"));
        assert_eq!(key("0935 777 7777").as_deref(), Some("+989357777777"));
        assert_eq!(key("0912 345 6780").as_deref(), Some("+989123456780"));
        assert_eq!(key("+1 212 456 7890").as_deref(), Some("+12124567890"));
    }

    /// A shop's country puts its numbers written without one in E.164; numbers that fit no
    /// number of the country, and keys that are not `tel:`, stay as they are.
    #[test]
    fn a_shops_country_completes_its_national_numbers() {
        let us = super::PhoneCountry::from_iso("us").unwrap();
        let gb = super::PhoneCountry::from_iso("GB").unwrap();
        let ir = super::PhoneCountry::from_iso("IR").unwrap();
        let k = |c: super::PhoneCountry, raw: &str| c.apply(Cow::Owned(key(raw).unwrap())).into_owned();
        assert_eq!(k(us, "(415) 555-2106"), "+14155552106");
        assert_eq!(k(us, "1-415-555-2106"), "+14155552106");
        assert_eq!(k(us, "555-2106"), "tel:5552106");
        assert_eq!(k(us, "+44 20 7946 0958"), "+442079460958");
        assert_eq!(k(gb, "07700 900123"), "+447700900123");
        assert_eq!(k(gb, "447700900123"), "+447700900123");
        assert_eq!(k(ir, "021 8877 6655"), "+982188776655");
        assert_eq!(k(ir, "09121234567"), "+989121234567");
        // Digits no number of the plan has stay as they are.
        assert_eq!(k(us, "415-055-2106"), "tel:4150552106");
        assert_eq!(k(us, "(115) 555-2106"), "tel:1155552106");
        assert_eq!(k(gb, "(415) 555-2106"), "tel:4155552106");
        assert_eq!(k(gb, "07700 90012"), "tel:0770090012");
        let de = super::PhoneCountry::from_iso("DE").unwrap();
        assert_eq!(k(de, "49 30 1234567"), "+49301234567");
        assert_eq!(k(de, "030 1234567"), "+49301234567");
        let it = super::PhoneCountry::from_iso("IT").unwrap();
        assert_eq!(k(it, "06 1234 5678"), "+390612345678");
        assert_eq!(k(it, "347 123 4567"), "+393471234567");
        assert_eq!(super::PhoneCountry::from_iso("XX"), None);
    }

    /// A number written without its country meets its E.164 form on the national digits.
    #[test]
    fn national_tails_meet_across_the_country_code() {
        use super::national_tails as t;
        let meet = |a: &str, b: &str| t(a).iter().any(|x| t(b).contains(x));
        assert!(meet("tel:4155552106", "+14155552106"));
        assert!(meet("tel:07700900123", "+447700900123"));
        assert!(meet("tel:02188776655", "+982188776655"));
        assert!(meet("tel:14155552106", "+14155552106"));
        // Short local numbers meet nothing; different numbers do not meet.
        assert!(!meet("tel:5552106", "+15552106"));
        assert!(!meet("tel:4155552107", "+14155552106"));
        assert!(t("C-1").is_empty() && t("a@x.com").is_empty());
        for none in [
            "-",
            "N/A",
            "",
            "09123456789",
            "0000000000",
            "+98 912 000 0000",
            "9123456789",
        ] {
            assert!(super::no_number(none), "{none:?}");
        }
        for number in ["09121234567", "1001", "INV-12", "+44 20 7946 0958", "9121234567"] {
            assert!(!super::no_number(number), "{number:?}");
        }
        assert_eq!(key("+49 30 1234567").as_deref(), Some("+49301234567"));
    }
}
