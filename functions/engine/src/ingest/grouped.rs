//! Grouped reports: accounting programs' report tools (Stimulsoft, DevExpress: Sepidar's, Holoo's
//! invoice details) can export an invoice's number, date and customer once, in a heading row
//! above its lines ("شماره فاکتور: 6101   تاریخ: 1402/09/03   مشتری: 30012 - کافه آرامش"),
//! and not in the header. The headings' labels become columns of their own, which every line
//! below a heading takes its values in; the heading rows themselves are quarantined as
//! `group_row`.

use super::convert::GROUP_ROW;
use super::rows::{Entry, Row, Rows};
use super::source::RecordSource;
use crate::error::Result;
use crate::mapping::{map_headers, normalize_header};
use crate::schema::{Dataset, Field};

/// Rows below the header looked at for headings when a file is opened.
pub(crate) const HEADING_SAMPLE: usize = 200;

/// Whether a sales header lacks the order date, which a grouped report's headings give: only then
/// are a text file's rows looked at for headings beyond those read with the header (without a
/// date the file could not be read anyway, so reading ahead changes nothing else).
pub(crate) fn may_be_grouped(headers: &[String], dataset: Option<Dataset>) -> bool {
    dataset == Some(Dataset::Sales)
        && !map_headers(headers, Dataset::Sales, None)
            .columns
            .contains(&Some(Field::OrderDate))
}

/// A grouped report's heading: the row's one filled cell, read as `label: value` pairs separated
/// by a gap of two spaces or more, a tab or `|`. None for any other row.
pub(crate) fn group_heading<'a>(cells: impl IntoIterator<Item = &'a str>) -> Option<Vec<(&'a str, String)>> {
    let mut filled = cells.into_iter().map(str::trim).filter(|c| !c.is_empty());
    let cell = filled.next()?;
    if filled.next().is_some() || !cell.contains(':') {
        return None;
    }
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for part in cell
        .split(['\t', '|'])
        .flat_map(|p| p.split("  "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part.split_once(':') {
            // A label has a letter: "10:15" after a date's gap is the date's time.
            Some((label, value)) if label.chars().any(char::is_alphabetic) => {
                pairs.push((label.trim(), value.trim().to_string()));
            }
            // Words after a value, past a gap: still the value ("30012 - کافه  آرامش").
            _ => {
                let (_, value) = pairs.last_mut()?;
                value.push(' ');
                value.push_str(part);
            }
        }
    }
    (!pairs.is_empty()).then_some(pairs)
}

/// The labels of the sampled rows' headings that give an order's number, date or customer the
/// header lacks, with their fields, the order number's first (it starts a group); None when the
/// file has no such headings.
pub(crate) fn heading_labels<'a>(
    headers: &[String],
    rows: impl Iterator<Item = &'a [String]>,
    dataset: Option<Dataset>,
) -> Option<Vec<(String, Field)>> {
    if dataset != Some(Dataset::Sales) {
        return None;
    }
    let own = map_headers(headers, Dataset::Sales, None);
    let mut labels: Vec<(String, Field)> = Vec::new();
    for row in rows.take(HEADING_SAMPLE) {
        let Some(pairs) = group_heading(row.iter().map(String::as_str)) else {
            continue;
        };
        let names: Vec<String> = pairs.iter().map(|(l, _)| l.to_string()).collect();
        let theirs = map_headers(&names, Dataset::Sales, None);
        let gives = |f: Field| theirs.columns.contains(&Some(f)) && !own.columns.contains(&Some(f));
        if !(gives(Field::OrderId) || gives(Field::OrderDate) || gives(Field::CustomerId)) {
            continue;
        }
        let mut given: Vec<(String, Field)> = names
            .into_iter()
            .zip(&theirs.columns)
            .filter_map(|(n, f)| f.filter(|f| !own.columns.contains(&Some(*f))).map(|f| (n, f)))
            .collect();
        given.sort_by_key(|(_, f)| *f != Field::OrderId);
        for (name, field) in given {
            if !labels
                .iter()
                .any(|(l, _)| normalize_header(l) == normalize_header(&name))
            {
                labels.push((name, field));
            }
        }
    }
    (!labels.is_empty()).then_some(labels)
}

/// Gives every row the values of the latest heading above it, as extra cells after the
/// header's own.
pub(crate) struct GroupedSource {
    inner: Box<dyn RecordSource>,
    /// The header's own width: where the extra cells go, whatever a row's width.
    width: usize,
    /// The labels' normalised forms and fields, one per extra column; the first starts a group.
    keys: Vec<(String, Field)>,
    current: Vec<String>,
    /// Workbooks: the line offsets where later sheets start, each starting groups afresh.
    sheet_starts: std::collections::VecDeque<u64>,
    scratch: Rows,
}

impl GroupedSource {
    pub(crate) fn new(
        inner: Box<dyn RecordSource>,
        width: usize,
        labels: &[(String, Field)],
        sheet_starts: Vec<u64>,
    ) -> Self {
        GroupedSource {
            inner,
            width,
            keys: labels.iter().map(|(l, f)| (normalize_header(l), *f)).collect(),
            current: vec![String::new(); labels.len()],
            sheet_starts: sheet_starts.into(),
            scratch: Rows::default(),
        }
    }
}

/// A heading's customer: "30012 - کافه آرامش" is a code and the name it stands for, and the code
/// keys the customer; an accounting program's walk-in account («10000 - مشتری متفرقه (نقدی)») is
/// no one's.
fn customer_of(value: &str) -> &str {
    if crate::values::text::names_walk_in(value) {
        return "";
    }
    crate::values::text::account_code(value).unwrap_or(value)
}

/// The row's cells up to the header's width (blank where it is short), the extra cells, then any
/// cells past the width, which the ingest quarantines as too many fields.
fn padded<'a>(
    row: Row<'a>,
    width: usize,
    extra: impl Iterator<Item = &'a str>,
) -> impl Iterator<Item = &'a str> {
    (0..width)
        .map(move |i| row.get(i).unwrap_or(""))
        .chain(extra)
        .chain((width..row.len()).filter_map(move |i| row.get(i)))
}

/// A row set aside as a heading or totals row, as one text: its filled cells.
fn filled_text(row: &Row<'_>) -> String {
    let text: Vec<&str> = row.iter().filter(|c| !c.trim().is_empty()).collect();
    text.join(" ")
}

impl RecordSource for GroupedSource {
    fn next(&mut self, out: &mut Rows) -> Result<bool> {
        self.scratch.clear();
        if !self.inner.next(&mut self.scratch)? {
            return Ok(false);
        }
        let line = match self.scratch.last() {
            Some(Entry::Row(line, _) | Entry::Bad(line, ..)) => line,
            None => 0,
        };
        // A later sheet's lines before its first heading belong to no invoice of the sheet before.
        while self.sheet_starts.front().is_some_and(|&start| line > start) {
            self.sheet_starts.pop_front();
            self.current.iter_mut().for_each(String::clear);
        }
        match self.scratch.last() {
            Some(Entry::Row(line, row)) => match group_heading(row.iter()) {
                // A heading with the group's first label starts a group; it is no line.
                Some(pairs) if pairs.iter().any(|(l, _)| normalize_header(l) == self.keys[0].0) => {
                    for ((key, field), value) in self.keys.iter().zip(&mut self.current) {
                        value.clear();
                        if let Some((_, v)) = pairs.iter().find(|(l, _)| normalize_header(l) == *key) {
                            value.push_str(match field {
                                Field::CustomerId => customer_of(v),
                                _ => v,
                            });
                        }
                    }
                    out.push_bad(line, GROUP_ROW, filled_text(&row));
                }
                // Another "label: value" note (a page footer «تاریخ: …», «جمع فاکتور: …»)
                // changes no group and takes none of its values.
                Some(_) => out.push_cells(line, padded(row, self.width, self.keys.iter().map(|_| ""))),
                // A totals row (an invoice's «جمع فاکتور | | | 10 | | 15000000», the report's «جمع
                // کل» footer): its first filled cell says so. Given the group's number, date and
                // customer it would read as one more line of the invoice above, its sum counted
                // again.
                None if (0..self.width)
                    .map(|i| row.get(i).unwrap_or("").trim())
                    .find(|c| !c.is_empty())
                    .is_some_and(crate::ingest::convert::is_total_label) =>
                {
                    out.push_bad(line, GROUP_ROW, filled_text(&row));
                }
                None => out.push_cells(
                    line,
                    padded(row, self.width, self.current.iter().map(String::as_str)),
                ),
            },
            Some(Entry::Bad(line, reason, detail, None)) => out.push_bad(line, reason, detail.to_string()),
            Some(Entry::Bad(line, reason, detail, Some(r))) => {
                out.push_bad_cells(line, reason, detail.to_string(), r.iter())
            }
            None => {}
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_read_as_label_value_pairs() {
        let h = group_heading([
            "شماره فاکتور: 6101   تاریخ: 1402/09/03 10:15   مشتری: 30012 - کافه آرامش",
            "",
            "",
        ])
        .unwrap();
        assert_eq!(
            h,
            [
                ("شماره فاکتور", "6101".to_string()),
                ("تاریخ", "1402/09/03 10:15".to_string()),
                ("مشتری", "30012 - کافه آرامش".to_string())
            ]
        );
        assert_eq!(customer_of("30012 - کافه آرامش"), "30012");
        assert_eq!(customer_of("کافه آرامش"), "کافه آرامش");
        assert_eq!(customer_of("10000 - مشتری متفرقه (نقدی)"), "");
        // A date's time after a gap is the date's.
        let h = group_heading(["تاریخ: 1402/09/03  10:15   شماره فاکتور: 7"]).unwrap();
        assert_eq!(h[0], ("تاریخ", "1402/09/03 10:15".to_string()));
        // A line, a note without a label, two filled cells: no heading.
        assert!(group_heading(["K-1", "قهوه", "2"]).is_none());
        assert!(group_heading(["جمع کل"]).is_none());
        assert!(group_heading(["Invoice: 1", "x"]).is_none());
    }

    #[test]
    fn labels_that_give_what_the_header_lacks() {
        let headers: Vec<String> = ["کد کالا", "شرح کالا", "مقدار", "فی", "مبلغ"]
            .map(String::from)
            .to_vec();
        let rows: Vec<Vec<String>> = vec![
            vec![
                "شماره فاکتور: 6101   تاریخ: 1402/09/03   مشتری: 30012".into(),
                String::new(),
            ],
            vec!["K-1".into(), "قهوه".into()],
            vec!["Note: prices include VAT".into(), String::new()],
        ];
        let labels = heading_labels(&headers, rows.iter().map(Vec::as_slice), Some(Dataset::Sales));
        assert_eq!(
            labels,
            Some(vec![
                ("شماره فاکتور".to_string(), Field::OrderId),
                ("تاریخ".to_string(), Field::OrderDate),
                ("مشتری".to_string(), Field::CustomerId)
            ])
        );
        // A note alone gives nothing the header lacks.
        let notes = [vec!["Note: prices include VAT".to_string()]];
        assert_eq!(
            heading_labels(&headers, notes.iter().map(Vec::as_slice), Some(Dataset::Sales)),
            None
        );
    }
}
