//! Parsing of single cell values: numbers, dates and times, yes/no flags, genders, durations and
//! countries.
//!
//! These parsers run once per cell on files of ten million rows and more, so the common ASCII
//! shapes ("3.75", "2023-11-04 14:30") take allocation-free fast paths and only unusual input
//! (Persian digits, currency signs, month names, ...) pays for the general path.

pub(crate) mod country;
pub mod date;
pub mod digits;
pub mod jalali;
pub mod number;
pub(crate) mod phone;
pub mod text;

pub(crate) use country::country_shown;
pub use date::{DateOrder, DateParser, parse_run_date, parse_time_of_day};
pub use digits::normalize_digits;
pub use number::{Ambiguous, DecimalMark, MarkEvidence, NumberParser, ParsedNumber};
pub use phone::{PHONE_COUNTRIES, PhoneCountry};
pub(crate) use phone::{
    bare_mobiles_iranian, canonical_mobile, dialable, is_phone_key, national_tails, no_number, phone_key,
};
pub(crate) use text::{key_chars, name_key};
pub use text::{normalize_gender, parse_bool, parse_duration_seconds, parse_opt_out};

/// Why a cell could not be parsed. The [`ValueError::code`] strings are stable: they end up as
/// quarantine reason codes in the ingest report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("not a number")]
    BadNumber,
    #[error("not a date")]
    BadDate,
    #[error("not a time of day")]
    BadTime,
    #[error("date out of range")]
    DateOutOfRange,
    #[error("not a yes/no value")]
    BadBool,
    #[error("not a duration")]
    BadDuration,
}

impl ValueError {
    pub fn code(&self) -> &'static str {
        match self {
            ValueError::BadNumber => "bad_number",
            ValueError::BadDate => "bad_date",
            ValueError::BadTime => "bad_time",
            ValueError::DateOutOfRange => "date_out_of_range",
            ValueError::BadBool => "bad_bool",
            ValueError::BadDuration => "bad_duration",
        }
    }
}

/// Zero-width and bidi control characters. Exports from right-to-left spreadsheets sprinkle these
/// around values (an RLM before a number, a BOM on the first cell), and they carry no meaning.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}'
    )
}

/// Trims Unicode whitespace (which includes NBSP, U+202F and U+2009) and invisible marks.
/// Inlined for its usual case, a cell that starts and ends with a visible ASCII character: the
/// ingest calls it for every cell, and out of line it cost 7 % of the ingest's CPU, most of it
/// saving and restoring the registers the rare path needs.
#[inline]
pub(crate) fn trim_value(s: &str) -> &str {
    let visible = |b: &u8| b.is_ascii_graphic();
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(first), Some(last)) if visible(first) && visible(last) => s,
        (None, _) => s,
        _ => trim_value_slow(s),
    }
}

#[cold]
#[inline(never)]
fn trim_value_slow(s: &str) -> &str {
    let t = s.trim_ascii();
    // Printable ASCII at both ends (or empty): nothing more to trim, and no char decoding needed.
    let plain = |b: u8| b.is_ascii() && !b.is_ascii_control();
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(&first), Some(&last)) if plain(first) && plain(last) => t,
        (None, _) => t,
        // Legacy exports pad fixed-width fields with NULs ("K1\0\0"), which no one means as data.
        _ => t.trim_matches(|c: char| c.is_whitespace() || c.is_control() || is_invisible(c)),
    }
}

/// Markers that spreadsheets, databases and pandas write for "no value". Expects a trimmed string.
pub(crate) fn is_null_marker(s: &str) -> bool {
    const MARKERS: [&str; 11] = [
        "-", "--", "–", "—", "na", "n/a", "#n/a", "nan", "nil", "null", "none",
    ];
    // Every marker is at most 4 bytes, so longer strings (almost all real values) exit here.
    s.is_empty() || (s.len() <= 4 && MARKERS.iter().any(|m| s.eq_ignore_ascii_case(m)))
}

/// Folds Arabic-script spelling variants onto one form, so that words typed on an Arabic keyboard
/// (or by software that prefers Arabic code points) compare equal to the Persian spelling.
pub(crate) fn fold_char(c: char) -> char {
    match persian_letter(c) {
        // Alef with madda or hamza -> bare alef: "آبان" is often typed "ابان".
        '\u{0622}' | '\u{0623}' | '\u{0625}' => '\u{0627}',
        // Waw with hamza -> waw: "مؤنث" and "مونث" are both common.
        '\u{0624}' => '\u{0648}',
        folded => folded,
    }
}

/// A letter for each Arabic presentation form (the shape a letter takes at the start, middle or
/// end of a word, which some SMS panels and old software store instead of the letter: «ﻟﻐﻮ» for
/// «لغو»), and lam and alef for their ligature. Anything else is itself.
pub(crate) fn presentation_letters(c: char) -> impl Iterator<Item = char> {
    let (first, second) = match c {
        '\u{FEF5}' | '\u{FEF6}' => ('\u{0644}', Some('\u{0622}')),
        '\u{FEF7}' | '\u{FEF8}' => ('\u{0644}', Some('\u{0623}')),
        '\u{FEF9}' | '\u{FEFA}' => ('\u{0644}', Some('\u{0625}')),
        '\u{FEFB}' | '\u{FEFC}' => ('\u{0644}', Some('\u{0627}')),
        '\u{FB50}'..='\u{FEFF}' => {
            let i = PRESENTATION_FORMS.partition_point(|&(_, last, _)| last < c);
            match PRESENTATION_FORMS.get(i) {
                Some(&(from, _, letter)) if from <= c => (letter, None),
                _ => (c, None),
            }
        }
        _ => (c, None),
    };
    std::iter::once(first).chain(second)
}

/// (first form, last form, letter), sorted: generated from Unicode's compatibility mappings
/// (NFKC) of U+FB50–U+FDFF and U+FE70–U+FEFF to single letters of the Arabic block.
const PRESENTATION_FORMS: [(char, char, char); 76] = [
    ('\u{FB50}', '\u{FB51}', '\u{0671}'),
    ('\u{FB52}', '\u{FB55}', '\u{067B}'),
    ('\u{FB56}', '\u{FB59}', '\u{067E}'),
    ('\u{FB5A}', '\u{FB5D}', '\u{0680}'),
    ('\u{FB5E}', '\u{FB61}', '\u{067A}'),
    ('\u{FB62}', '\u{FB65}', '\u{067F}'),
    ('\u{FB66}', '\u{FB69}', '\u{0679}'),
    ('\u{FB6A}', '\u{FB6D}', '\u{06A4}'),
    ('\u{FB6E}', '\u{FB71}', '\u{06A6}'),
    ('\u{FB72}', '\u{FB75}', '\u{0684}'),
    ('\u{FB76}', '\u{FB79}', '\u{0683}'),
    ('\u{FB7A}', '\u{FB7D}', '\u{0686}'),
    ('\u{FB7E}', '\u{FB81}', '\u{0687}'),
    ('\u{FB82}', '\u{FB83}', '\u{068D}'),
    ('\u{FB84}', '\u{FB85}', '\u{068C}'),
    ('\u{FB86}', '\u{FB87}', '\u{068E}'),
    ('\u{FB88}', '\u{FB89}', '\u{0688}'),
    ('\u{FB8A}', '\u{FB8B}', '\u{0698}'),
    ('\u{FB8C}', '\u{FB8D}', '\u{0691}'),
    ('\u{FB8E}', '\u{FB91}', '\u{06A9}'),
    ('\u{FB92}', '\u{FB95}', '\u{06AF}'),
    ('\u{FB96}', '\u{FB99}', '\u{06B3}'),
    ('\u{FB9A}', '\u{FB9D}', '\u{06B1}'),
    ('\u{FB9E}', '\u{FB9F}', '\u{06BA}'),
    ('\u{FBA0}', '\u{FBA3}', '\u{06BB}'),
    ('\u{FBA4}', '\u{FBA5}', '\u{06C0}'),
    ('\u{FBA6}', '\u{FBA9}', '\u{06C1}'),
    ('\u{FBAA}', '\u{FBAD}', '\u{06BE}'),
    ('\u{FBAE}', '\u{FBAF}', '\u{06D2}'),
    ('\u{FBB0}', '\u{FBB1}', '\u{06D3}'),
    ('\u{FBD3}', '\u{FBD6}', '\u{06AD}'),
    ('\u{FBD7}', '\u{FBD8}', '\u{06C7}'),
    ('\u{FBD9}', '\u{FBDA}', '\u{06C6}'),
    ('\u{FBDB}', '\u{FBDC}', '\u{06C8}'),
    ('\u{FBDE}', '\u{FBDF}', '\u{06CB}'),
    ('\u{FBE0}', '\u{FBE1}', '\u{06C5}'),
    ('\u{FBE2}', '\u{FBE3}', '\u{06C9}'),
    ('\u{FBE4}', '\u{FBE7}', '\u{06D0}'),
    ('\u{FBE8}', '\u{FBE9}', '\u{0649}'),
    ('\u{FBFC}', '\u{FBFF}', '\u{06CC}'),
    ('\u{FE80}', '\u{FE80}', '\u{0621}'),
    ('\u{FE81}', '\u{FE82}', '\u{0622}'),
    ('\u{FE83}', '\u{FE84}', '\u{0623}'),
    ('\u{FE85}', '\u{FE86}', '\u{0624}'),
    ('\u{FE87}', '\u{FE88}', '\u{0625}'),
    ('\u{FE89}', '\u{FE8C}', '\u{0626}'),
    ('\u{FE8D}', '\u{FE8E}', '\u{0627}'),
    ('\u{FE8F}', '\u{FE92}', '\u{0628}'),
    ('\u{FE93}', '\u{FE94}', '\u{0629}'),
    ('\u{FE95}', '\u{FE98}', '\u{062A}'),
    ('\u{FE99}', '\u{FE9C}', '\u{062B}'),
    ('\u{FE9D}', '\u{FEA0}', '\u{062C}'),
    ('\u{FEA1}', '\u{FEA4}', '\u{062D}'),
    ('\u{FEA5}', '\u{FEA8}', '\u{062E}'),
    ('\u{FEA9}', '\u{FEAA}', '\u{062F}'),
    ('\u{FEAB}', '\u{FEAC}', '\u{0630}'),
    ('\u{FEAD}', '\u{FEAE}', '\u{0631}'),
    ('\u{FEAF}', '\u{FEB0}', '\u{0632}'),
    ('\u{FEB1}', '\u{FEB4}', '\u{0633}'),
    ('\u{FEB5}', '\u{FEB8}', '\u{0634}'),
    ('\u{FEB9}', '\u{FEBC}', '\u{0635}'),
    ('\u{FEBD}', '\u{FEC0}', '\u{0636}'),
    ('\u{FEC1}', '\u{FEC4}', '\u{0637}'),
    ('\u{FEC5}', '\u{FEC8}', '\u{0638}'),
    ('\u{FEC9}', '\u{FECC}', '\u{0639}'),
    ('\u{FECD}', '\u{FED0}', '\u{063A}'),
    ('\u{FED1}', '\u{FED4}', '\u{0641}'),
    ('\u{FED5}', '\u{FED8}', '\u{0642}'),
    ('\u{FED9}', '\u{FEDC}', '\u{0643}'),
    ('\u{FEDD}', '\u{FEE0}', '\u{0644}'),
    ('\u{FEE1}', '\u{FEE4}', '\u{0645}'),
    ('\u{FEE5}', '\u{FEE8}', '\u{0646}'),
    ('\u{FEE9}', '\u{FEEC}', '\u{0647}'),
    ('\u{FEED}', '\u{FEEE}', '\u{0648}'),
    ('\u{FEEF}', '\u{FEF0}', '\u{0649}'),
    ('\u{FEF1}', '\u{FEF4}', '\u{064A}'),
];

/// Arabic yeh (ي) and alef maksura (ى) as the Persian yeh ی, Arabic kaf (ك) as the Persian
/// keheh ک: Windows-1256 software and Arabic keyboards write "تبريز" and "كرج" for the "تبریز"
/// and "کرج" of everyone else. Narrower than [`fold_char`] (which is for lookups): alef forms and
/// hamzas are real spelling in text that is kept and shown.
pub(crate) fn persian_letter(c: char) -> char {
    match c {
        '\u{064A}' | '\u{0649}' => '\u{06CC}',
        '\u{0643}' => '\u{06A9}',
        _ => c,
    }
}

/// [`persian_letter`] over text that is kept and shown, so that a city, country or job title
/// does not split in two. Borrows when there is nothing to fold.
pub(crate) fn persian_letters(s: &str) -> std::borrow::Cow<'_, str> {
    // All three are encoded with lead byte 0xD9, so ASCII and most Persian text exit on a byte scan.
    if !s.bytes().any(|b| b == 0xD9) || !s.chars().any(|c| persian_letter(c) != c) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(s.chars().map(persian_letter).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presentation_forms_are_letters() {
        let letters = |s: &str| s.chars().flat_map(presentation_letters).collect::<String>();
        assert_eq!(letters("ﻟﻐﻮ"), "لغو");
        assert_eq!(letters("ﭘﯿﺎﻣﮏ ﻧﻔﺮﺳﺘﯿﺪ"), "پیامک نفرستید");
        assert_eq!(letters("ﻻ"), "لا");
        assert_eq!(letters("لغو 11"), "لغو 11");
    }

    #[test]
    fn persian_letters_in_kept_text() {
        assert_eq!(persian_letters("تبريز"), "تبریز");
        assert_eq!(persian_letters("كرج"), "کرج");
        assert_eq!(persian_letters("مصطفى"), "مصطفی");
        assert_eq!(persian_letters("مدير عامل"), "مدیر عامل");
        // Alef forms are spelling, not variants, in text that is shown.
        assert_eq!(persian_letters("آبادان"), "آبادان");
        for s in ["Berlin", "تبریز", "کرج", "لرستان", ""] {
            assert!(matches!(persian_letters(s), std::borrow::Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn codes_are_stable() {
        let all = [
            (ValueError::BadNumber, "bad_number"),
            (ValueError::BadDate, "bad_date"),
            (ValueError::BadTime, "bad_time"),
            (ValueError::DateOutOfRange, "date_out_of_range"),
            (ValueError::BadBool, "bad_bool"),
            (ValueError::BadDuration, "bad_duration"),
        ];
        for (e, code) in all {
            assert_eq!(e.code(), code);
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(ValueError::BadNumber.to_string(), "not a number");
        assert_eq!(ValueError::DateOutOfRange.to_string(), "date out of range");
        assert_eq!(ValueError::BadDuration.to_string(), "not a duration");
    }

    #[test]
    fn trims_unicode_spaces_and_marks() {
        assert_eq!(trim_value("\u{00A0}\u{202F} 12 \u{2009}"), "12");
        assert_eq!(trim_value("\u{200F}12\u{200E}"), "12");
        assert_eq!(trim_value("\u{FEFF}abc"), "abc");
        assert_eq!(trim_value("a b"), "a b");
    }

    /// The inlined shortcut returns a cell as it is only when the full trim would too: every
    /// string of up to three characters from edge cases (space, tab, NUL, DEL, NBSP, RLM, BOM,
    /// the first and last visible ASCII, a Persian letter).
    #[test]
    fn trim_shortcut_agrees_with_the_full_trim() {
        let alphabet = [
            ' ', '\t', '\0', '\u{7f}', '\u{a0}', '\u{200f}', '\u{feff}', '!', '~', 'a', 'ب',
        ];
        let mut cases = vec![String::new()];
        for len in 1..=3u32 {
            for n in 0..alphabet.len().pow(len) {
                let (mut s, mut n) = (String::new(), n);
                for _ in 0..len {
                    s.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                cases.push(s);
            }
        }
        for s in &cases {
            assert_eq!(trim_value(s), trim_value_slow(s), "{s:?}");
        }
        assert_eq!(trim_value("K1\0\0"), "K1");
        assert_eq!(trim_value("~x\u{7f}"), "~x");
    }

    #[test]
    fn null_markers() {
        for s in [
            "", "-", "--", "NA", "N/A", "n/a", "#N/A", "null", "NULL", "None", "NaN", "nil", "—",
        ] {
            assert!(is_null_marker(s), "{s:?}");
        }
        for s in ["0", "no", "n", "nulls", "none1", "x", "-1"] {
            assert!(!is_null_marker(s), "{s:?}");
        }
    }

    #[test]
    fn folds_arabic_variants() {
        assert_eq!(fold_char('ي'), 'ی');
        assert_eq!(fold_char('ك'), 'ک');
        assert_eq!(fold_char('آ'), 'ا');
        assert_eq!(fold_char('ؤ'), 'و');
        assert_eq!(fold_char('a'), 'a');
    }
}
