//! Small vocabularies: yes/no flags, genders and durations, in English, German and Persian.

use super::digits::ascii_replacement;
use super::number::{DecimalMark, NumberParser};
use super::{ValueError, fold_char, is_invisible, is_null_marker, trim_value};

/// A word reduced for vocabulary lookup, on the stack: lowercase, Persian digits as ASCII, Arabic
/// letter variants folded, and spaces, hyphens, underscores and invisible marks removed (so
/// "Opt-In", "opted in" and "OPTED_IN" all meet "optin"/"optedin"). Also used for the order-status
/// vocabulary, so that "لغو‌شده" (ZWNJ), "لغو شده" and "لغوشده" are one word.
pub(crate) struct Key {
    buf: [u8; 48],
    len: usize,
}

/// The characters of [`Key`]: lower-cased and folded, without spaces, joiners and invisible
/// marks.
pub(crate) fn key_chars(raw: &str) -> impl Iterator<Item = char> + '_ {
    let mut started = false;
    raw.chars()
        .filter(move |&c| {
            // A hyphen only joins words ("opt-in"); a leading one is a sign ("-1" is no flag).
            let joiner = matches!(c, '-' | '_') && started;
            let skip = c.is_whitespace() || is_invisible(c) || joiner || c == '\u{0640}';
            started |= !skip;
            !skip
        })
        .flat_map(|c| fold_char(ascii_replacement(c).unwrap_or(c)).to_lowercase())
}

impl Key {
    /// None when the value is too long to be any vocabulary word.
    pub(crate) fn new(raw: &str) -> Option<Key> {
        let mut key = Key { buf: [0; 48], len: 0 };
        for lower in key_chars(raw) {
            let end = key.len + lower.len_utf8();
            lower.encode_utf8(key.buf.get_mut(key.len..end)?);
            key.len = end;
        }
        Some(key)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only whole UTF-8 encodings are ever written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// The code of an account written as its code and name, as Holoo and Sepidar write a customer
/// («30012 - کافه آرامش», `K102 - Ann Lee`): the code, which stands for the customer whatever the
/// name's spelling, and is how a grouped report's heading keys them too.
pub fn account_code(value: &str) -> Option<&str> {
    account(value).map(|(code, _)| code)
}

/// An account written as its code and name: (code, name).
fn account(value: &str) -> Option<(&str, &str)> {
    let (code, name) = value.split_once(" - ")?;
    let code = code.trim();
    (code.chars().any(char::is_numeric) && !code.contains(' ')).then_some((code, name))
}

/// Whether a customer's name is a till's or an accounting program's account for walk-in
/// buyers («مشتری متفرقه (نقدی)», «مشتری عمومی», "Walk-in Customer", "Cash Sale", "Laufkunde"):
/// everyone who bought without an account, not one customer.
#[inline]
pub fn names_walk_in(name: &str) -> bool {
    // Every sales row's id passes here: codes ("17850") and emails, most ids, are told apart
    // without building a key (a letter is an ASCII letter or a byte of a non-ASCII character).
    !name.contains('@')
        && name.bytes().any(|b| b.is_ascii_alphabetic() || b >= 0x80)
        && names_walk_in_account(name)
}

fn names_walk_in_account(name: &str) -> bool {
    // The whole name, but for a note in brackets («مشتری متفرقه (نقدی)»): Walkinshaw and
    // «فروشگاه متفرقه‌جات امید» are customers.
    let name = name.split(['(', '[']).next().unwrap_or(name);
    // Holoo and Sepidar write the account as its code and name: «10000 - مشتری متفرقه».
    let name = account(name).map_or(name, |(_, name)| name);
    Key::new(name).is_some_and(|k| {
        matches!(
            k.as_str(),
            "متفرقه"
                | "مشتریمتفرقه"
                | "مشتریانمتفرقه"
                | "مشتریعمومی"
                | "مشتریانعمومی"
                | "عمومی"
                | "مشتریگذری"
                | "گذری"
                | "مهمان"
                | "مشتریمهمان"
                | "کاربرمهمان"
                | "خریدارمتفرقه"
                | "مشترینقدی"
                | "فروشنقدی"
                | "نقدی"
                | "walkin"
                | "walkincustomer"
                | "walkincustomers"
                | "cashcustomer"
                | "cashsale"
                | "cashsales"
                | "guest"
                | "guestcustomer"
                | "anonymous"
                | "laufkunde"
                | "barverkauf"
                | "barkunde"
                | "clientdepassage"
                | "clientcomptoir"
        )
    })
}

/// Plain yes words: they say yes to whatever the column asks (consent, or an opt-out).
const PLAIN_YES: &[&str] = &[
    "yes", "y", "true", "t", "1", "1.0", "on", "ja", "j", "an", "oui", "بله", "اری", "اره", "بلی", "دارد",
    // «فعال» / «غیرفعال»: on and off, as Persian CRMs and WooCommerce plugins show a setting.
    "فعال", "✓", "✔", "☑",
];
/// Plain no words.
const PLAIN_NO: &[&str] = &[
    "no",
    "n",
    "false",
    "f",
    "0",
    "0.0",
    "off",
    "nein",
    "aus",
    "non",
    "خیر",
    "نه",
    "ندارد",
    "غیرفعال",
    "✗",
    "✘",
    "☐",
];
/// Words that state a subscription, whatever the column is called: an opt-out column that says
/// "subscribed" says the person is subscribed.
const SUBSCRIBED: &[&str] = &[
    "optin",
    "optedin",
    "subscribed",
    "abonniert",
    "angemeldet",
    "abonné",
    "abonne",
    "inscrit",
];
/// Words of consent given that, in an opt-out column, might be said of the opt-out ("agreed"
/// to be left alone): a yes only in a consent column.
const CONSENTED: &[&str] = &[
    "consent",
    "consented",
    "given",
    "confirmed",
    "express",
    "explicit",
    "erteilt",
    "granted",
    "accepted",
    "accepté",
    "agreed",
    "allowed",
    "zugestimmt",
    "موافق",
];
/// Words of a refusal, or of an address no one may market to (Mailchimp's `cleaned`, a bounced
/// address; `transactional` and `nonsubscribed` contacts, who never subscribed; `pending`, a
/// double opt-in never confirmed), whatever the column is called.
const REFUSED: &[&str] = &[
    "donotemail",
    "donotcontact",
    "optout",
    "optedout",
    "notoptedin",
    "unsubscribed",
    "notsubscribed",
    "neversubscribed",
    "nonsubscribed",
    "pending",
    "cleaned",
    "bounced",
    "transactional",
    "spamcomplaint",
    "redacted",
    "denied",
    "declined",
    "refused",
    "refusé",
    "rejected",
    "revoked",
    "withdrawn",
    "abgemeldet",
    "abgelehnt",
    "widerrufen",
    "désabonné",
    "desabonne",
    "désinscrit",
    "desinscrit",
    "مخالف",
    "لغو",
];
/// A consent column's "no" in words ("Not given", "Nicht erteilt", «keine»): under an opt-out
/// header the same words deny the opt-out ("Werbewiderspruch: nicht erteilt", no objection
/// given), and say nothing there.
const NOT_GIVEN: &[&str] = &["notgiven", "notgranted", "keine", "nichterteilt", "nichterlaubt"];
/// Refusals that name consent ("No consent", "Consent withdrawn", «keine Einwilligung», «عدم
/// رضایت»): a refusal under any header.
const CONSENT_REFUSED: &[&str] = &[
    "noconsent",
    "noconsentgiven",
    "notconsented",
    "consentwithdrawn",
    "consentrevoked",
    "keineeinwilligung",
    "verweigert",
    "widersprochen",
    "nonconsenti",
    "refus",
    "pasdeconsentement",
    "retiré",
    "retire",
    "عدمرضایت",
    "رضایتندارد",
    "لغوشده",
];
/// Consent not recorded.
const UNRECORDED: &[&str] = &["unknown", "unset", "notset", "unbekannt", "نامشخص", "?"];

/// A yes/no cell's key; `None` for an empty cell or a null marker.
fn answer_key(raw: &str) -> Result<Option<Key>, ValueError> {
    let trimmed = trim_value(raw);
    if is_null_marker(trimmed) {
        return Ok(None);
    }
    Key::new(trimmed).map(Some).ok_or(ValueError::BadBool)
}

/// Parses a yes/no cell. `Ok(None)` for empty cells and null markers; anything outside the
/// vocabulary is [`ValueError::BadBool`].
pub fn parse_bool(raw: &str) -> Result<Option<bool>, ValueError> {
    let Some(key) = answer_key(raw)? else {
        return Ok(None);
    };
    let k = key.as_str();
    let is = |words: &[&str]| words.contains(&k);
    if is(PLAIN_YES) || is(SUBSCRIBED) || is(CONSENTED) {
        Ok(Some(true))
    } else if is(PLAIN_NO) || is(REFUSED) || is(NOT_GIVEN) || is(CONSENT_REFUSED) {
        Ok(Some(false))
    } else if is(UNRECORDED) {
        Ok(None)
    } else {
        Err(ValueError::BadBool)
    }
}

/// Parses an opt-out cell ("Email Opt Out", "Do Not Email", «لغو عضویت») into the consent it
/// gives: a plain yes is a refusal (`Some(false)`). A plain no is `None`: the person did not opt
/// out, which is no consent either (Salesforce writes `false` for every contact who never
/// opted out), and the lists only leave out refusals. A word that states the subscription
/// keeps its own sense ("unsubscribed" refuses, "subscribed" consents); a word of consent
/// ("agreed") could be said of the opt-out and is [`ValueError::BadBool`], as is anything
/// outside the vocabulary: the caller reads it as a refusal.
pub fn parse_opt_out(raw: &str) -> Result<Option<bool>, ValueError> {
    let Some(key) = answer_key(raw)? else {
        return Ok(None);
    };
    let k = key.as_str();
    let is = |words: &[&str]| words.contains(&k);
    if is(PLAIN_YES) || is(REFUSED) {
        Ok(Some(false))
    } else if is(SUBSCRIBED) {
        Ok(Some(true))
    } else if is(NOT_GIVEN) || is(PLAIN_NO) || is(UNRECORDED) {
        // "Werbesperre: keine", "Werbewiderspruch: nicht erteilt": no block, no objection.
        Ok(None)
    } else if is(CONSENT_REFUSED) {
        // Words naming consent refused ("Consent withdrawn") refuse under any header.
        Ok(Some(false))
    } else {
        Err(ValueError::BadBool)
    }
}

/// The key of a cell that *names* a customer ("Customer Name", «نام مشتری»), when a file has
/// nothing better to key them by: one name typed several ways must be one customer. Lower case,
/// unless the value holds a digit: "C1" or "K102" in a "Customer" column is a code, kept as
/// written so it still meets the same code in a customers export's id column; Arabic yeh and kaf as the Persian letters (Windows-1256 software writes «محمدي»); Persian and
/// Arabic digits as ASCII; spaces, ZWNJs and tabs between words as one space (`زهرا  محمدی`,
/// `محمد‌حسین` and `محمد حسین` are one name); tatweel and bidi marks dropped. Alef forms and
/// hamzas are kept ([`super::persian_letters`]): they are spelling, and the key is shown as the
/// customer's id. Borrows when the cell is already so written. None for an empty cell or a null
/// marker: "-" for every guest must not make one customer of all of them.
pub(crate) fn name_key(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    let s = trim_value(raw);
    if is_null_marker(s) {
        return None;
    }
    // A letter typed as its base and a combining mark (`u` + U+0308 for `ü`, «ا» + U+0653 for
    // «آ»: macOS, some web forms) is the one letter: composed first. Composing again changes
    // nothing, so the second call goes on below.
    let combining = |c: char| matches!(c, '\u{0300}'..='\u{036F}' | '\u{0653}'..='\u{0655}');
    if s.chars().any(combining)
        && let std::borrow::Cow::Owned(composed) =
            icu_normalizer::ComposingNormalizerBorrowed::new_nfc().normalize(s)
    {
        return name_key(&composed).map(|k| std::borrow::Cow::Owned(k.into_owned()));
    }
    // A word break: whitespace or a ZWNJ (which joins no letters when it stands between words).
    let gap = |c: char| c.is_whitespace() || c == '\u{200C}';
    let dropped = |c: char| c == '\u{0640}' || (is_invisible(c) && c != '\u{200C}');
    let fold_case = !s.chars().any(|c| super::digits::digit_value(c).is_some());
    // Whether the key writes `c` otherwise than the cell does (`after_gap`: it follows a break).
    let rewritten = |c: char, after_gap: bool| {
        (fold_case && c.is_uppercase())
            || dropped(c)
            || super::persian_letter(c) != c
            || ascii_replacement(c).is_some()
            || (gap(c) && (c != ' ' || after_gap))
    };
    let mut prev_gap = false;
    let written = s.chars().all(|c| {
        let same = !rewritten(c, prev_gap);
        prev_gap = gap(c);
        same
    });
    if written {
        return Some(std::borrow::Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|&c| !dropped(c)) {
        if gap(c) {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            continue;
        }
        let c = super::persian_letter(ascii_replacement(c).unwrap_or(c));
        if fold_case {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    // A trailing ZWNJ or tatweel left a space.
    out.truncate(out.trim_end().len());
    (!out.is_empty()).then_some(std::borrow::Cow::Owned(out))
}

/// Maps a gender cell onto "female", "male" or "other"; None for empty or unrecognised values
/// (gender is optional everywhere downstream, so unknown values are dropped, not quarantined).
pub fn normalize_gender(raw: &str) -> Option<&'static str> {
    // A salutation's abbreviation dot ("Mrs.") says nothing.
    let key = Key::new(trim_value(raw).trim_end_matches('.'))?;
    match key.as_str() {
        // Salutations say it too (Salesforce's `Salutation`, «آقای» before a name).
        "f" | "female" | "woman" | "w" | "weiblich" | "frau" | "زن" | "خانم" | "مونث" | "mrs" | "ms"
        | "miss" | "madam" | "madame" | "mme" | "mlle" | "sra" | "señora" => Some("female"),
        "m" | "male" | "man" | "männlich" | "maennlich" | "herr" | "مرد" | "اقا" | "مذکر" | "mr"
        | "mister" | "monsieur" | "sr" | "señor" | "اقای" => Some("male"),
        // "d" is the German "divers" of the m/w/d forms. Persian forms say "other" («سایر»,
        // «دیگر», «غیره») or "non-binary" («نان‌باینری», «غیردودویی»), as English ones do.
        "other" | "diverse" | "divers" | "d" | "x" | "nonbinary" | "nb" | "enby" | "genderqueer" | "سایر"
        | "دیگر" | "دیگری" | "غیره" | "نانباینری" | "ناباینری" | "غیرباینری" | "غیردودویی" => {
            Some("other")
        }
        // Unknown or withheld ("unspecified", «نامشخص», «ترجیح می‌دهم نگویم») is no gender at all,
        // like every other value outside the vocabulary.
        _ => None,
    }
}

/// Parses a duration cell into seconds: a bare number of seconds ("150"), a clock ("02:30" is
/// mm:ss, "01:02:03" is hh:mm:ss), numbers with units ("2m 30s", "1h", "45 sec", "1.5 min",
/// "۲ دقیقه و ۳۰ ثانیه", "1h30"), or ISO 8601 ("PT2M30S"). `Ok(None)` for empty cells.
pub fn parse_duration_seconds(raw: &str) -> Result<Option<f64>, ValueError> {
    let bad = ValueError::BadDuration;
    let trimmed = trim_value(raw);
    if is_null_marker(trimmed) {
        return Ok(None);
    }
    // The common case, a plain ASCII number of seconds, needs no further work.
    if trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return trimmed.parse::<f64>().map(Some).map_err(|_| bad);
    }
    let normalized = super::digits::normalize_digits(trimmed);
    let s = normalized.as_ref();
    if !s.starts_with(['-', '+', '(', '\u{2212}'])
        && let Ok(Some(n)) = NumberParser::new(DecimalMark::Dot).parse(s)
        && n.currency.is_none()
    {
        return Ok(Some(n.value));
    }
    let seconds = if s.contains(':') {
        clock(s)
    } else if let Some(rest) = s.strip_prefix(['P', 'p']) {
        iso(rest)
    } else {
        with_units(s)
    }
    .ok_or(bad)?;
    if seconds.is_finite() {
        Ok(Some(seconds))
    } else {
        Err(bad)
    }
}

/// `m:ss`, `mm:ss` or `h:mm:ss`, with an optional fraction on the seconds. The first field may
/// exceed 59 ("90:00" is ninety minutes); the others may not.
fn clock(s: &str) -> Option<f64> {
    let mut fields = [0.0f64; 3];
    let mut n = 0;
    for (i, part) in s.split(':').enumerate() {
        let part = trim_value(part);
        let (int, frac) = part.split_once('.').unwrap_or((part, ""));
        let digits_ok = !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit());
        if !digits_ok || (i > 0 && int.len() != 2) {
            return None;
        }
        *fields.get_mut(i)? = part.parse().ok()?;
        n = i + 1;
    }
    let fields = &fields[..n];
    // Only the seconds field may carry a fraction, and later fields must be below 60.
    if fields[..n - 1].iter().any(|f| f.fract() != 0.0) || fields[1..].iter().any(|&f| f >= 60.0) {
        return None;
    }
    match fields {
        [m, s] => Some(m * 60.0 + s),
        [h, m, s] => Some(h * 3600.0 + m * 60.0 + s),
        _ => None,
    }
}

/// The seconds in one unit name, or None if it is not a unit.
fn unit_seconds(word: &str) -> Option<f64> {
    const UNITS: [(&str, f64); 22] = [
        ("ms", 0.001),
        ("msec", 0.001),
        ("millisecond", 0.001),
        ("milliseconds", 0.001),
        ("s", 1.0),
        ("sec", 1.0),
        ("secs", 1.0),
        ("second", 1.0),
        ("seconds", 1.0),
        ("ثانیه", 1.0),
        ("m", 60.0),
        ("min", 60.0),
        ("mins", 60.0),
        ("minute", 60.0),
        ("minutes", 60.0),
        ("دقیقه", 60.0),
        ("h", 3600.0),
        ("hr", 3600.0),
        ("hrs", 3600.0),
        ("hour", 3600.0),
        ("hours", 3600.0),
        ("ساعت", 3600.0),
    ];
    let word = word.trim_end_matches('.');
    let eq = |name: &str| {
        word.chars()
            .map(|c| fold_char(c).to_ascii_lowercase())
            .eq(name.chars())
    };
    if eq("d") || eq("day") || eq("days") || eq("روز") {
        return Some(86_400.0);
    }
    UNITS.iter().find(|(name, _)| eq(name)).map(|&(_, secs)| secs)
}

/// A number at the start of `s` (digits with an optional '.' fraction) and the rest.
fn leading_number(s: &str) -> Option<(f64, &str)> {
    let b = s.as_bytes();
    let int = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut end = int;
    if b.get(end) == Some(&b'.') {
        let frac = b[end + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if frac > 0 {
            end += 1 + frac;
        }
    }
    if int == 0 && end == 0 {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// "2m 30s", "1 hour, 5 minutes", "۲ دقیقه و ۳۰ ثانیه". A trailing bare number takes the unit
/// below the previous one ("1h30" is 1h30m, "2m30" is 2m30s).
fn with_units(s: &str) -> Option<f64> {
    let mut rest = s;
    let mut total = 0.0;
    let mut last_unit: Option<f64> = None;
    loop {
        rest =
            rest.trim_start_matches(|c: char| c.is_whitespace() || is_invisible(c) || c == ',' || c == '،');
        if rest.is_empty() {
            break;
        }
        let (word, after) = split_word(rest);
        if !word.is_empty() {
            // Connectors between pairs; any other word here is out of place.
            if word.eq_ignore_ascii_case("and") || word == "و" {
                rest = after;
                continue;
            }
            return None;
        }
        let (value, after) = leading_number(rest)?;
        let after = after.trim_start();
        let (word, after) = split_word(after);
        let unit = if word.is_empty() {
            if !after.trim().is_empty() {
                return None;
            }
            match last_unit {
                Some(3600.0) => 60.0,
                Some(60.0) => 1.0,
                _ => return None,
            }
        } else {
            unit_seconds(word)?
        };
        total += value * unit;
        last_unit = Some(unit);
        rest = after;
    }
    last_unit.map(|_| total)
}

/// Splits off a leading run of letters (and dots, for "sec.").
fn split_word(s: &str) -> (&str, &str) {
    let end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_alphabetic() || c == '\u{200C}' || (c == '.' && i > 0)))
        .map_or(s.len(), |(i, _)| i);
    s.split_at(end)
}

/// The part of an ISO 8601 duration after 'P': `[nW][nD][T[nH][nM][nS]]`. Years and months are
/// rejected because their length in seconds is not fixed.
fn iso(s: &str) -> Option<f64> {
    let mut rest = s;
    let mut in_time = false;
    let mut total = 0.0;
    let mut fields = 0;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix(['T', 't']) {
            if in_time {
                return None;
            }
            in_time = true;
            rest = r;
            continue;
        }
        let (value, after) = leading_number(rest)?;
        let mut chars = after.chars();
        let unit = match (in_time, chars.next()?.to_ascii_uppercase()) {
            (false, 'W') => 604_800.0,
            (false, 'D') => 86_400.0,
            (true, 'H') => 3600.0,
            (true, 'M') => 60.0,
            (true, 'S') => 1.0,
            _ => return None,
        };
        total += value * unit;
        fields += 1;
        rest = chars.as_str();
    }
    (fields > 0).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_in_accounts() {
        for name in [
            "مشتری متفرقه (نقدی)",
            "10000 - مشتری متفرقه (نقدی)",
            "K10 - Walk-in Customer",
            "متفرقه",
            "مشتري عمومي",
            "نقدی",
            "Walk-in Customer",
            "WALK IN",
            "Cash Sale",
            "Guest",
            "Laufkunde",
            "Client de passage",
            "Walk-In",
            "Walkin",
            "Walk in customer",
            "walk-in customer",
            "GUEST CUSTOMER",
            "Cash Customer",
            "cash sale",
            "ANONYMOUS",
            "barverkauf",
            "10000 - مشتری متفرقه",
        ] {
            assert!(names_walk_in(name), "{name}");
        }
        for name in [
            "Ann Lee",
            "Guest House Ltd",
            "Guesthouse Ltd",
            "Guest Services GmbH",
            "نقدی‌زاده",
            "Cashmere & Co",
            "فروشگاه عمومی ستاره",
            "Walkinshaw",
            "John Walkington",
            "فروشگاه متفرقه‌جات امید",
            "شرکت فروش نقدی البرز",
            "30012 - کافه آرامش",
        ] {
            assert!(!names_walk_in(name), "{name}");
        }
    }
    #[test]
    fn a_name_typed_several_ways_is_one_key() {
        let key = |s| name_key(s).map(std::borrow::Cow::into_owned);
        for s in [
            "زهرا  محمدي",
            "زهرا محمدی",
            " زهرا\tمحمدی ",
            "زهرا\u{200C}محمدی",
            "زهرا محمـدی",
            "\u{200F}زهرا محمدی",
        ] {
            assert_eq!(key(s).as_deref(), Some("زهرا محمدی"), "{s:?}");
        }
        assert_eq!(key("كامران  Ahmadi").as_deref(), Some("کامران ahmadi"));
        assert_eq!(key("ALI AHMADI").as_deref(), Some("ali ahmadi"));
        assert_eq!(key("فروشگاه ۲").as_deref(), Some("فروشگاه 2"));
        // A code keeps its case, so it meets the same code in an id column.
        assert_eq!(key("C1").as_deref(), Some("C1"));
        assert_eq!(key("K 102").as_deref(), Some("K 102"));
        // Spelling stays: alef with madda is another letter in a name that is shown.
        assert_ne!(key("آرش"), key("ارش"));
        // A letter and its combining mark are the composed letter.
        assert_eq!(
            key("Ju\u{0308}rgen Mu\u{0308}ller").as_deref(),
            Some("jürgen müller")
        );
        assert_eq!(key("ا\u{0653}رش").as_deref(), key("آرش").as_deref());
        assert_eq!(key("e\u{0301}\u{0331}").as_deref(), Some("é\u{0331}"));
        for s in ["", "-", "N/A", "\u{200C}"] {
            assert_eq!(key(s), None, "{s:?}");
        }
        for s in ["ali ahmadi", "زهرا محمدی", "c1", "C1"] {
            assert!(
                matches!(name_key(s), Some(std::borrow::Cow::Borrowed(_))),
                "{s:?}"
            );
        }
    }

    #[test]
    fn bool_true() {
        for s in [
            "yes",
            "Yes",
            "YES",
            "y",
            "Y",
            "true",
            "TRUE",
            "t",
            "1",
            "opt-in",
            "Opt In",
            "optin",
            "opted in",
            "Opted-In",
            "subscribed",
            "consent",
            "granted",
            "ja",
            "JA",
            "بله",
            "آری",
            "بلی",
            "دارد",
            "✓",
            " yes ",
            "۱",
            "بلي",
            "1.0",
            "on",
            "Accepted",
            "موافق",
            "فعال",
            "آره",
            "angemeldet",
            "inscrit",
        ] {
            assert_eq!(parse_bool(s), Ok(Some(true)), "{s:?}");
        }
    }

    #[test]
    fn bool_false() {
        for s in [
            "no",
            "No",
            "NO",
            "n",
            "false",
            "False",
            "f",
            "0",
            "opt-out",
            "opt out",
            "opted out",
            "Opted_Out",
            "unsubscribed",
            "denied",
            "nein",
            "Nein",
            "خیر",
            "خير",
            "نه",
            "ندارد",
            "۰",
            "0.0",
            "off",
            "declined",
            "Not opted in",
            "NEVER_SUBSCRIBED",
            "pending",
            "abgelehnt",
            "مخالف",
            "غیرفعال",
            "غیر فعال",
            "غير‌فعال",
        ] {
            assert_eq!(parse_bool(s), Ok(Some(false)), "{s:?}");
        }
    }

    #[test]
    fn bool_empty_and_bad() {
        for s in ["", "  ", "NA", "null", "N/A", "unknown", "نامشخص"] {
            assert_eq!(parse_bool(s), Ok(None), "{s:?}");
        }
        for s in ["maybe", "2", "yess", "vielleicht", "10", "-1", &"y".repeat(100)] {
            assert_eq!(parse_bool(s), Err(ValueError::BadBool), "{s:?}");
        }
    }

    /// Email marketing statuses (Mailchimp's, Shopify's, Klaviyo's) and French answers.
    #[test]
    fn subscription_statuses_and_french_answers() {
        for s in ["subscribed", "SUBSCRIBED", "oui", "Oui", "abonné", "Abonne"] {
            assert_eq!(parse_bool(s), Ok(Some(true)), "{s:?}");
        }
        for s in [
            "unsubscribed",
            "not_subscribed",
            "NOT_SUBSCRIBED",
            "cleaned",
            "pending",
            "transactional",
            "nonsubscribed",
            "non",
            "désabonné",
            "Désinscrit",
        ] {
            assert_eq!(parse_bool(s), Ok(Some(false)), "{s:?}");
        }
    }

    /// An opt-out column's yes is a refusal; its no says nothing of consent.
    #[test]
    fn opt_out_cells() {
        for s in ["true", "TRUE", "yes", "1", "بله", "ja", "oui", "✓"] {
            assert_eq!(parse_opt_out(s), Ok(Some(false)), "{s:?}");
        }
        for s in [
            "unsubscribed",
            "opted out",
            "Opt-Out",
            "cleaned",
            "لغو",
            "declined",
        ] {
            assert_eq!(parse_opt_out(s), Ok(Some(false)), "{s:?}");
        }
        for s in ["false", "no", "0", "خیر", "nein", "non", "", "null", "unknown"] {
            assert_eq!(parse_opt_out(s), Ok(None), "{s:?}");
        }
        for s in ["subscribed", "Opted in"] {
            assert_eq!(parse_opt_out(s), Ok(Some(true)), "{s:?}");
        }
        // "Do Not Email: agreed" might be agreement to the opt-out: unclear, as anything else.
        for s in ["agreed", "granted", "maybe", "2"] {
            assert_eq!(parse_opt_out(s), Err(ValueError::BadBool), "{s:?}");
        }
    }

    #[test]
    fn genders() {
        for s in [
            "f", "F", "female", "Female", "woman", "w", "W", "weiblich", "Frau", "زن", "خانم", "مونث",
            "مؤنث", "Mrs.", "Ms.", "Ms", "Miss", "Mme", "Madame",
        ] {
            assert_eq!(normalize_gender(s), Some("female"), "{s:?}");
        }
        for s in [
            "m",
            "M",
            "male",
            "MALE",
            "man",
            "männlich",
            "MÄNNLICH",
            "maennlich",
            "Herr",
            "مرد",
            "آقا",
            "مذکر",
            "Mr.",
            "MR",
            "Monsieur",
            "آقای",
        ] {
            assert_eq!(normalize_gender(s), Some("male"), "{s:?}");
        }
        for s in [
            "other",
            "Other",
            "diverse",
            "divers",
            "d",
            "x",
            "X",
            "non-binary",
            "nonbinary",
            "Non Binary",
            "genderqueer",
            "سایر",
            "ساير",
            "دیگر",
            "غیره",
            "نان\u{200c}باینری",
            "نان باینری",
            "ناباینری",
            "غیر باینری",
            "غیر دودویی",
        ] {
            assert_eq!(normalize_gender(s), Some("other"), "{s:?}");
        }
        for s in [
            "",
            " ",
            "unknown",
            "?",
            "NA",
            &"f".repeat(100),
            "unspecified",
            "prefer not to say",
            "نامشخص",
            "نامعلوم",
            "ترجیح می\u{200c}دهم نگویم",
        ] {
            assert_eq!(normalize_gender(s), None, "{s:?}");
        }
        assert_eq!(normalize_gender(" Female\u{200F} "), Some("female"));
    }

    fn secs(s: &str) -> f64 {
        match parse_duration_seconds(s) {
            Ok(Some(v)) => v,
            other => panic!("{s:?} -> {other:?}"),
        }
    }

    #[test]
    fn durations_plain_and_clock() {
        assert_eq!(secs("150"), 150.0);
        assert_eq!(secs("150.5"), 150.5);
        assert_eq!(secs("1,200"), 1200.0);
        assert_eq!(secs("02:30"), 150.0);
        assert_eq!(secs("2:30"), 150.0);
        assert_eq!(secs("01:02:03"), 3723.0);
        assert_eq!(secs("1:02:03"), 3723.0);
        assert_eq!(secs("90:00"), 5400.0);
        assert_eq!(secs("00:01.5"), 1.5);
        assert_eq!(secs("۰۲:۳۰"), 150.0);
        assert_eq!(secs("۱۵۰"), 150.0);
        assert_eq!(secs("0"), 0.0);
    }

    #[test]
    fn durations_with_units() {
        assert_eq!(secs("2m 30s"), 150.0);
        assert_eq!(secs("2m30s"), 150.0);
        assert_eq!(secs("1h"), 3600.0);
        assert_eq!(secs("45 sec"), 45.0);
        assert_eq!(secs("45 sec."), 45.0);
        assert_eq!(secs("1.5 min"), 90.0);
        assert_eq!(secs("1 hour, 5 minutes"), 3900.0);
        assert_eq!(secs("1 hour and 5 minutes"), 3900.0);
        assert_eq!(secs("2 Hours 3 Mins 4 Secs"), 7384.0);
        assert_eq!(secs("1d 2h"), 93_600.0);
        assert_eq!(secs("250ms"), 0.25);
        assert_eq!(secs("1h30"), 5400.0);
        assert_eq!(secs("2m30"), 150.0);
        assert_eq!(secs("۲ دقیقه و ۳۰ ثانیه"), 150.0);
        assert_eq!(secs("۱ ساعت"), 3600.0);
        assert_eq!(secs("۱٫۵ دقیقه"), 90.0);
        assert_eq!(secs("۲ دقيقه"), 120.0);
    }

    #[test]
    fn durations_iso() {
        assert_eq!(secs("PT2M30S"), 150.0);
        assert_eq!(secs("PT1H"), 3600.0);
        assert_eq!(secs("P1DT2H"), 93_600.0);
        assert_eq!(secs("PT1.5S"), 1.5);
        assert_eq!(secs("P1W"), 604_800.0);
        assert_eq!(secs("pt45s"), 45.0);
    }

    #[test]
    fn durations_empty_and_bad() {
        for s in ["", " ", "NA", "-"] {
            assert_eq!(parse_duration_seconds(s), Ok(None), "{s:?}");
        }
        for s in [
            "abc",
            "-5",
            "-2m",
            "(5)",
            "$5",
            "2 parsecs",
            "1:2",
            "1:02:03:04",
            "1:60",
            "1:2.5:00",
            ":30",
            "1h 30 x",
            "30 2m",
            "5 5",
            "P",
            "PT",
            "P1M",
            "P1Y",
            "PT1D",
            "P1H",
            "PTT1H",
            "1..5s",
            "m",
            "and",
            "2m and",
            "1.2.3",
            "1h,",
            "5 xs",
        ] {
            let r = parse_duration_seconds(s);
            if s == "2m and" || s == "1h," {
                // Trailing connectors are harmless.
                assert!(r.is_ok(), "{s:?} -> {r:?}");
            } else {
                assert_eq!(r, Err(ValueError::BadDuration), "{s:?}");
            }
        }
    }

    #[test]
    fn key_folding() {
        assert_eq!(Key::new(" Opt-In ").unwrap().as_str(), "optin");
        assert_eq!(Key::new("MÄNNLICH").unwrap().as_str(), "männlich");
        assert_eq!(Key::new("آري").unwrap().as_str(), "اری");
        assert_eq!(Key::new("۱").unwrap().as_str(), "1");
        assert!(Key::new(&"a".repeat(49)).is_none());
    }
}
