//! Persian (U+06F0–U+06F9) and Arabic-Indic (U+0660–U+0669) digits to ASCII.

use std::borrow::Cow;

/// The value of an ASCII, Persian or Arabic-Indic digit.
#[inline]
pub(crate) fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{06F0}'..='\u{06F9}' => Some((c as u32 - 0x06F0) as u8),
        '\u{0660}'..='\u{0669}' => Some((c as u32 - 0x0660) as u8),
        _ => None,
    }
}

/// The ASCII replacement of a character that [`normalize_digits`] rewrites, if any.
#[inline]
pub(crate) fn ascii_replacement(c: char) -> Option<char> {
    match c {
        '\u{06F0}'..='\u{06F9}' | '\u{0660}'..='\u{0669}' => digit_value(c).map(|d| char::from(b'0' + d)),
        '\u{066B}' => Some('.'),
        '\u{066C}' => Some(','),
        _ => None,
    }
}

/// Rewrites Persian and Arabic-Indic digits to ASCII, the Arabic decimal separator (U+066B) to
/// '.' and the Arabic thousands separator (U+066C) to ','. Borrows when nothing changes.
pub fn normalize_digits(s: &str) -> Cow<'_, str> {
    // ASCII, the overwhelmingly common case, is settled a word at a time.
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    // Every character rewritten here is encoded with lead byte 0xD9 or 0xDB. Those are lead
    // bytes, hence char boundaries.
    let Some(lead) = s.bytes().position(|b| b == 0xD9 || b == 0xDB) else {
        return Cow::Borrowed(s);
    };
    let Some((offset, _)) = s[lead..]
        .char_indices()
        .find(|&(_, c)| ascii_replacement(c).is_some())
    else {
        // Persian or Arabic letters but no digits.
        return Cow::Borrowed(s);
    };
    let split = lead + offset;
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..split]);
    out.extend(s[split..].chars().map(|c| ascii_replacement(c).unwrap_or(c)));
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_digits() {
        assert_eq!(normalize_digits("۰۱۲۳۴۵۶۷۸۹"), "0123456789");
        assert_eq!(normalize_digits("۱۴۰۲/۰۸/۱۳"), "1402/08/13");
    }

    #[test]
    fn arabic_indic_digits() {
        assert_eq!(normalize_digits("٠١٢٣٤٥٦٧٨٩"), "0123456789");
    }

    #[test]
    fn arabic_separators() {
        assert_eq!(normalize_digits("۱۲٬۵۰۰٫۷۵"), "12,500.75");
    }

    #[test]
    fn mixed_text_keeps_other_characters() {
        assert_eq!(normalize_digits("۱۳ آبان ۱۴۰۲"), "13 آبان 1402");
        assert_eq!(normalize_digits("abc ۵ def"), "abc 5 def");
    }

    #[test]
    fn borrows_when_unchanged() {
        for s in ["", "12345", "2023-11-04", "آبان", "ریال", "€1.234,56", "تومان 12"] {
            assert!(matches!(normalize_digits(s), Cow::Borrowed(_)), "{s:?}");
        }
        assert!(matches!(normalize_digits("۱"), Cow::Owned(_)));
    }

    #[test]
    fn digit_values() {
        assert_eq!(digit_value('7'), Some(7));
        assert_eq!(digit_value('۷'), Some(7));
        assert_eq!(digit_value('٧'), Some(7));
        assert_eq!(digit_value('a'), None);
        assert_eq!(digit_value('٫'), None);
    }
}
