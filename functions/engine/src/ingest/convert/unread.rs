//! Values a column held that the vocabulary does not read (event names read as `other`,
//! statuses kept as written), counted for the report: what to add to a mapping or to the
//! vocabulary. Values that do not read as names (free text that may be about a person), are rare
//! or are seen for fewer than three people are counted under one placeholder, never shown.

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

/// A value is named in the report only when this many rows, of this many people, have it: a
/// name repeats across people, a note about one person ("Call - Sara Jones", logged on each of
/// her calls) does not.
const OTHER_EVENT_MIN_ROWS: u64 = 3;
const OTHER_EVENT_MIN_PEOPLE: usize = 3;

/// A value's rows, and the first people (hashes of their keys) it was seen for, up to
/// [`OTHER_EVENT_MIN_PEOPLE`].
#[derive(Debug, Default)]
struct Seen {
    rows: u64,
    people: Vec<u64>,
}

impl Seen {
    fn add(&mut self, who: Option<&str>) {
        self.rows += 1;
        if self.people.len() < OTHER_EVENT_MIN_PEOPLE
            && let Some(who) = who
        {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            who.hash(&mut h);
            let h = h.finish();
            if !self.people.contains(&h) {
                self.people.push(h);
            }
        }
    }

    fn shown(&self) -> bool {
        self.rows >= OTHER_EVENT_MIN_ROWS && self.people.len() >= OTHER_EVENT_MIN_PEOPLE
    }
}

/// Distinct values counted; past that, new ones are not (an export with a
/// unique id in every value must not grow this without bound).
const OTHER_EVENTS_COUNTED: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct UnreadValues(HashMap<String, Seen>);

impl UnreadValues {
    /// Counts a row's value; `who`: the key of the person the row is about (none for a guest,
    /// who then counts as no one).
    pub(crate) fn count(&mut self, raw: &str, who: Option<&str>) {
        let cut = match raw.char_indices().nth(OTHER_EVENT_CHARS) {
            Some((end, _)) => &raw[..end],
            None => raw,
        };
        // A value met before is counted without reading it again: exports repeat a few.
        if let Some(n) = self.0.get_mut(cut) {
            n.add(who);
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
            n.add(who);
        } else if self.0.len() < OTHER_EVENTS_COUNTED {
            self.0.entry(name.to_string()).or_default().add(who);
        }
    }

    /// The values with their rows, most rows first (then by value), at most
    /// [`OTHER_EVENTS_LISTED`].
    pub(crate) fn listed(&self) -> Vec<EventCount> {
        let mut hidden = 0;
        let mut listed: Vec<EventCount> = Vec::new();
        for (value, seen) in &self.0 {
            if seen.shown() && value != FREE_TEXT {
                listed.push(EventCount {
                    value: value.clone(),
                    rows: seen.rows,
                });
            } else {
                hidden += seen.rows;
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
