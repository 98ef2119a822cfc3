//! Values a column held that the vocabulary does not read (event names read as `other`,
//! statuses kept as written), counted for the report: what to add to a mapping or to the
//! vocabulary. Values that do not read as names (free text that may be about a person) or are rare
//! are counted under one placeholder, never shown.

use std::collections::HashMap;

use super::{EventCount, OTHER_EVENT_CHARS, OTHER_EVENTS_LISTED};

/// What the report shows instead of a value that is not a name.
pub(crate) const FREE_TEXT: &str = "(free text or rare, not shown)";

/// An event name, as tools write them ("user_engagement", "Webinar registered", «ثبت نام»): short,
/// few words, no address and no long number. Anything else may be a note about a person.
pub(crate) fn looks_like_event_name(raw: &str) -> bool {
    let mut digits = 0usize;
    let mut longest_digits = 0usize;
    for c in raw.chars() {
        digits = if c.is_numeric() { digits + 1 } else { 0 };
        longest_digits = longest_digits.max(digits);
    }
    // "Call with Maryam", «تماس با مریم»: a preposition before a name.
    let about_someone = raw.split_whitespace().any(|w| {
        matches!(
            w.to_lowercase().as_str(),
            "with" | "to" | "for" | "from" | "by" | "mit" | "an" | "für" | "با" | "به" | "برای" | "از"
        )
    });
    raw.chars().count() <= 40
        && !raw.contains('@')
        && longest_digits < 3
        && raw.split_whitespace().count() <= 4
        && !about_someone
}

/// A value is named in the report only when this many rows have it: a name
/// repeats, a note about one person rarely does.
const OTHER_EVENT_MIN_ROWS: u64 = 3;

/// Distinct values counted; past that, new ones are not (an export with a
/// unique id in every value must not grow this without bound).
const OTHER_EVENTS_COUNTED: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct UnreadValues(HashMap<String, u64>);

impl UnreadValues {
    pub(crate) fn count(&mut self, raw: &str) {
        let cut = match raw.char_indices().nth(OTHER_EVENT_CHARS) {
            Some((end, _)) => &raw[..end],
            None => raw,
        };
        // A value met before is counted without reading it again: exports repeat a few.
        if let Some(n) = self.0.get_mut(cut) {
            *n += 1;
            return;
        }
        // CRM timelines put free text in the activity column ("Email sent to ann@x.com", "Call
        // with Maryam"): only what reads as a name is named in the report.
        let name = if looks_like_event_name(raw) {
            cut
        } else {
            FREE_TEXT
        };
        if let Some(n) = self.0.get_mut(name) {
            *n += 1;
        } else if self.0.len() < OTHER_EVENTS_COUNTED {
            self.0.insert(name.to_string(), 1);
        }
    }

    /// The values with their rows, most rows first (then by value), at most
    /// [`OTHER_EVENTS_LISTED`].
    pub(crate) fn listed(&self) -> Vec<EventCount> {
        let mut hidden = 0;
        let mut listed: Vec<EventCount> = Vec::new();
        for (value, &rows) in &self.0 {
            if rows >= OTHER_EVENT_MIN_ROWS && value != FREE_TEXT {
                listed.push(EventCount {
                    value: value.clone(),
                    rows,
                });
            } else {
                hidden += rows;
            }
        }
        if hidden > 0 {
            listed.push(EventCount {
                value: FREE_TEXT.to_string(),
                rows: hidden,
            });
        }
        listed.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.value.cmp(&b.value)));
        listed.truncate(OTHER_EVENTS_LISTED);
        listed
    }
}
