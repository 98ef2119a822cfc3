//! Rows read ahead, in one text buffer with field boundaries: a text line is copied once, whole,
//! and its cells are slices of it. A `csv::StringRecord` per row cost a copy call per cell, which
//! on exports of short cells was a tenth of an ingest (BENCHMARKS.md).

/// One row: cell `i` is `text[start_i..ends[i]]`, where `start_0` is `start` and every other
/// cell starts one byte (a separator) after the previous one ends.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    text: &'a str,
    start: usize,
    ends: &'a [usize],
}

impl<'a> Row<'a> {
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { self.start } else { self.ends[i - 1] + 1 };
        // Boundaries are ASCII separators or the ends of pushed strings: char boundaries.
        self.text.get(start..end)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.ends.len()).filter_map(|i| self.get(i))
    }
}

#[derive(Debug, Clone)]
enum Item {
    Row {
        line: u64,
        start: usize,
        /// Its cells' ends are `ends[first..last]`.
        first: usize,
        last: usize,
    },
    /// Boxed: rows are most items, and a slot is as wide as the widest variant.
    Bad(Box<BadItem>),
}

#[derive(Debug, Clone)]
struct BadItem {
    line: u64,
    reason: &'static str,
    detail: String,
    /// The row's cells, where they could be read (as `Item::Row`'s fields).
    record: Option<(usize, usize, usize)>,
}

/// What one item of [`Rows`] is.
pub enum Entry<'a> {
    Row(u64, Row<'a>),
    /// A row the reader could not decode, with its reason, detail and, when it could be split
    /// into cells (text that is not valid UTF-8, shown lossily), its cells.
    Bad(u64, &'static str, &'a str, Option<Row<'a>>),
}

/// Rows and undecodable rows in reading order.
#[derive(Debug, Default, Clone)]
pub struct Rows {
    text: String,
    ends: Vec<usize>,
    items: Vec<Item>,
}

impl Rows {
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.items.clear();
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Memory the rows use (text, cell bounds, row slots; not bad rows' boxed details).
    pub fn bytes(&self) -> usize {
        self.text.len() + self.ends.len() * size_of::<usize>() + self.items.len() * size_of::<Item>()
    }

    /// Memory the buffers hold, used or not.
    pub fn capacity_bytes(&self) -> usize {
        self.text.capacity()
            + self.ends.capacity() * size_of::<usize>()
            + self.items.capacity() * size_of::<Item>()
    }

    /// A line whose cells end at the byte offsets `cuts` (separators) and at its end.
    pub fn push_line(&mut self, line_no: u64, line: &str, cuts: &[usize]) {
        let start = self.text.len();
        let first = self.ends.len();
        self.text.push_str(line);
        self.ends.extend(cuts.iter().map(|c| start + c));
        self.ends.push(start + line.len());
        self.items.push(Item::Row {
            line: line_no,
            start,
            first,
            last: self.ends.len(),
        });
    }

    pub fn push_cells<C: AsRef<str>>(&mut self, line_no: u64, cells: impl IntoIterator<Item = C>) {
        let start = self.text.len();
        let first = self.ends.len();
        for (i, c) in cells.into_iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            self.text.push_str(c.as_ref());
            self.ends.push(self.text.len());
        }
        self.items.push(Item::Row {
            line: line_no,
            start,
            first,
            last: self.ends.len(),
        });
    }

    pub fn push_bad(&mut self, line: u64, reason: &'static str, detail: String) {
        self.items.push(Item::Bad(Box::new(BadItem {
            line,
            reason,
            detail,
            record: None,
        })));
    }

    /// A row that could not be read, with the cells it holds, for its quarantine record.
    pub fn push_bad_cells<C: AsRef<str>>(
        &mut self,
        line: u64,
        reason: &'static str,
        detail: String,
        cells: impl IntoIterator<Item = C>,
    ) {
        self.push_cells(line, cells);
        if let Some(Item::Row {
            start, first, last, ..
        }) = self.items.pop()
        {
            self.items.push(Item::Bad(Box::new(BadItem {
                line,
                reason,
                detail,
                record: Some((start, first, last)),
            })));
        }
    }

    /// Drops the last item (a row found to be padding after it was read).
    pub fn pop(&mut self) {
        if let Some(Item::Row { start, first, .. }) = self.items.pop() {
            self.text.truncate(start);
            self.ends.truncate(first);
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<Entry<'_>> {
        Some(match self.items.get(i)? {
            Item::Row {
                line,
                start,
                first,
                last,
            } => Entry::Row(
                *line,
                Row {
                    text: &self.text,
                    start: *start,
                    ends: &self.ends[*first..*last],
                },
            ),
            Item::Bad(bad) => self.bad_entry(bad),
        })
    }

    /// Out of [`Self::get`]'s way: one row in millions is bad, and `get` runs for every row.
    #[cold]
    fn bad_entry<'s>(&'s self, bad: &'s BadItem) -> Entry<'s> {
        let BadItem {
            line,
            reason,
            detail,
            record,
        } = bad;
        Entry::Bad(
            *line,
            reason,
            detail,
            record.map(|(start, first, last)| Row {
                text: &self.text,
                start,
                ends: &self.ends[first..last],
            }),
        )
    }

    pub fn last(&self) -> Option<Entry<'_>> {
        self.get(self.items.len().checked_sub(1)?)
    }

    pub fn iter(&self) -> impl Iterator<Item = Entry<'_>> {
        (0..self.items.len()).filter_map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_cells_give_the_same_rows() {
        let mut rows = Rows::default();
        rows.push_line(3, "a,,رضا,d", &[1, 2, 9]);
        rows.push_cells(4, ["a", "", "x,y", "d"]);
        rows.push_bad(5, "bad_encoding", "not UTF-8".into());
        rows.push_bad_cells(5, "bad_encoding", "lossy".into(), ["x", "Cr\u{FFFD}me"]);
        rows.push_cells(6, ["only"]);
        rows.push_cells(7, ["dropped"]);
        rows.pop();
        let got: Vec<_> = rows
            .iter()
            .map(|e| match e {
                Entry::Row(l, r) => (l, r.iter().collect::<Vec<_>>().join("|")),
                Entry::Bad(l, reason, d, r) => (
                    l,
                    format!(
                        "{reason}: {d}{}",
                        r.map(|r| format!(" [{}]", r.iter().collect::<Vec<_>>().join("|")))
                            .unwrap_or_default()
                    ),
                ),
            })
            .collect();
        assert_eq!(
            got,
            [
                (3, "a||رضا|d".to_string()),
                (4, "a||x,y|d".to_string()),
                (5, "bad_encoding: not UTF-8".to_string()),
                (5, "bad_encoding: lossy [x|Cr\u{FFFD}me]".to_string()),
                (6, "only".to_string()),
            ]
        );
        let Some(Entry::Row(_, r)) = rows.get(1) else {
            panic!()
        };
        assert_eq!((r.len(), r.get(2), r.get(4)), (4, Some("x,y"), None));
        assert_eq!(r.iter().collect::<Vec<_>>(), ["a", "", "x,y", "d"]);
    }
}
