//! Text from outside (object keys, file names, and messages that quote them or a file's cells) as
//! it may be written to a log line or a terminal.

use std::borrow::Cow;
use std::fmt;

/// Displays text with its control characters escaped as Rust writes them (`\n`, `\r`, `\t`,
/// `\u{1b}`), and the Unicode line and paragraph separators that some log viewers break lines
/// at: a key holding a line break cannot forge a log line or a row of the CLI's table, nor an
/// escape sequence recolour or clear a terminal. Everything else is shown as it is, so Persian
/// names stay readable, with their zero-width non-joiners and direction marks (which `{:?}`
/// would escape). A backslash is not escaped: `\n` typed in a name reads the same as an escaped
/// line break, which misleads no one about where a line ends.
#[derive(Clone, Copy)]
pub struct Printable<'a>(pub &'a str);

fn escaped(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| escaped(c)) {
            f.write_str(&rest[..at])?;
            write!(f, "{}", c.escape_debug())?;
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

impl fmt::Debug for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `text` as [`Printable`] shows it; borrowed when there is nothing to escape.
pub fn printable(text: &str) -> Cow<'_, str> {
    match text.contains(escaped) {
        true => Cow::Owned(Printable(text).to_string()),
        false => Cow::Borrowed(text),
    }
}

/// A message of several lines (an error listing files) with each line's control characters
/// escaped, its own line breaks kept.
pub fn printable_lines(text: &str) -> String {
    text.split('\n').map(printable).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_other_text_kept() {
        assert_eq!(
            printable("incoming/sales/evil\nERROR injected\r\t\u{1b}[2J\u{7f}\u{9b}\u{2028}.csv"),
            r"incoming/sales/evil\nERROR injected\r\t\u{1b}[2J\u{7f}\u{9b}\u{2028}.csv"
        );
        let persian = "incoming/sales/فروش\u{200c}های ۱۴۰۲ \u{200f}(نسخه ۲).csv";
        assert!(matches!(printable(persian), Cow::Borrowed(p) if p == persian));
        assert_eq!(Printable(persian).to_string(), persian);
        assert_eq!(printable(r"a\nb"), r"a\nb");
        assert_eq!(
            printable_lines("2 inputs:\n  a\u{1b}[31m.csv: x\n  b.csv: y"),
            "2 inputs:\n  a\\u{1b}[31m.csv: x\n  b.csv: y"
        );
    }
}
