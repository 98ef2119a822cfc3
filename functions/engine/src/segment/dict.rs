//! String columns of the sales batches. The curated Parquet stores ids and places dictionary
//! encoded, and a 10 M-row run repeats each customer id ~50 times: reading the dictionary keys
//! and resolving each distinct value once per dictionary (not once per row) avoids materialising,
//! hashing and comparing millions of strings. Column chunks whose dictionary overflowed into
//! plain pages are read as plain strings instead (the Parquet reader would otherwise rebuild a
//! dictionary per batch by hashing every value); there, consecutive equal values (the lines of
//! one order) are resolved once.

use arrow::array::{Array, ArrayRef, AsArray, StringArray};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Int32Type};

/// The Arrow type dictionary-encoded string columns are read as.
pub(super) fn dict_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// One batch of a string column.
pub(super) enum StrColumn<'a> {
    Dict {
        /// The dictionary itself, whose identity tells [`ValueCache`] when it changes.
        dict: &'a ArrayRef,
        values: &'a StringArray,
        keys: &'a [i32],
        nulls: Option<&'a NullBuffer>,
    },
    Plain(&'a StringArray),
}

/// Empty strings count as missing, as everywhere in segment.
fn non_empty(a: &StringArray, i: usize) -> Option<&str> {
    Some(a)
        .filter(|a| a.is_valid(i))
        .map(|a| a.value(i))
        .filter(|s| !s.is_empty())
}

impl<'a> StrColumn<'a> {
    /// `array` must be [`dict_type`] or `Utf8`.
    pub(super) fn new(array: &'a ArrayRef) -> StrColumn<'a> {
        match array.as_dictionary_opt::<Int32Type>() {
            Some(d) => StrColumn::Dict {
                dict: d.values(),
                values: d.values().as_string::<i32>(),
                keys: d.keys().values(),
                nulls: d.keys().nulls(),
            },
            None => StrColumn::Plain(array.as_string::<i32>()),
        }
    }

    /// Dictionary index of row `i` of a dictionary column, `None` for a null row.
    #[inline]
    fn key(keys: &[i32], nulls: Option<&NullBuffer>, i: usize) -> Option<usize> {
        if nulls.is_some_and(|n| n.is_null(i)) {
            return None;
        }
        // Keys of a valid Arrow dictionary array are in range, so this never wraps.
        Some(keys[i] as usize)
    }

    /// The value of row `i`, `None` when null or empty.
    pub(super) fn str(&self, i: usize) -> Option<&'a str> {
        match self {
            StrColumn::Dict {
                values, keys, nulls, ..
            } => Self::key(keys, *nulls, i).and_then(|k| non_empty(values, k)),
            StrColumn::Plain(a) => non_empty(a, i),
        }
    }
}

/// Something derived from each string value (an interned index, a hash), computed the first
/// time a row needs it and reused while the batches share a dictionary (the Parquet reader hands
/// out one dictionary per column chunk). Computing lazily, at the row that first needs the value,
/// keeps interning in first-use order, exactly as a row-by-row reader does it; `derive` must
/// depend on the string only.
pub(super) struct ValueCache<T> {
    /// Holding the dictionary keeps its address from being reused by another one.
    dict: Option<ArrayRef>,
    slots: Vec<Option<T>>,
    /// Plain columns: the last row resolved in this batch and its value.
    last: Option<(usize, T)>,
    /// The value of a null or empty string: derived once, as `derive` depends on the string
    /// only. An export without currencies asked it of every row (2 % of a segment run).
    none: Option<T>,
}

impl<T> Default for ValueCache<T> {
    fn default() -> Self {
        ValueCache {
            dict: None,
            slots: Vec::new(),
            last: None,
            none: None,
        }
    }
}

impl<T: Copy> ValueCache<T> {
    /// Call once per batch, before [`Self::get`] on that batch's column.
    pub(super) fn follow(&mut self, col: &StrColumn) {
        self.last = None;
        match col {
            StrColumn::Dict { dict, .. } => {
                if self
                    .dict
                    .as_ref()
                    .is_some_and(|d| std::sync::Arc::ptr_eq(d, dict))
                {
                    return;
                }
                self.dict = Some((*dict).clone());
                self.slots.clear();
                self.slots.resize(dict.len(), None);
            }
            StrColumn::Plain(_) => {
                self.dict = None;
                self.slots.clear();
            }
        }
    }

    /// The value derived from row `i` of `col`; `derive` sees `None` for a null or empty string.
    #[inline]
    pub(super) fn get(&mut self, col: &StrColumn, i: usize, derive: impl FnOnce(Option<&str>) -> T) -> T {
        match col {
            StrColumn::Dict {
                values, keys, nulls, ..
            } => match StrColumn::key(keys, *nulls, i) {
                Some(k) => {
                    let ValueCache { slots, none, .. } = self;
                    *slots[k].get_or_insert_with(|| match non_empty(values, k) {
                        Some(s) => derive(Some(s)),
                        None => *none.get_or_insert_with(|| derive(None)),
                    })
                }
                None => *self.none.get_or_insert_with(|| derive(None)),
            },
            StrColumn::Plain(a) => {
                let Some(s) = non_empty(a, i) else {
                    return *self.none.get_or_insert_with(|| derive(None));
                };
                if let Some((j, v)) = self.last
                    && non_empty(a, j) == Some(s)
                {
                    return v;
                }
                let v = derive(Some(s));
                self.last = Some((i, v));
                v
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::DictionaryArray;
    use std::sync::Arc;

    /// Each distinct string, and null-or-empty once, is derived once; every row gets its value.
    #[test]
    fn derives_each_value_and_the_missing_value_once() {
        let plain: ArrayRef = Arc::new(StringArray::from(vec![
            Some("a"),
            Some("a"),
            None,
            Some(""),
            Some("b"),
            None,
        ]));
        let dict: ArrayRef = Arc::new(
            vec![Some("a"), None, Some("b"), Some(""), Some("a"), None]
                .into_iter()
                .collect::<DictionaryArray<Int32Type>>(),
        );
        for array in [plain, dict] {
            let col = StrColumn::new(&array);
            let mut cache = ValueCache::default();
            cache.follow(&col);
            let mut derived = Vec::new();
            let values: Vec<u32> = (0..array.len())
                .map(|i| {
                    cache.get(&col, i, |s| {
                        derived.push(s.map(str::to_string));
                        s.map_or(0, |s| u32::from(s.as_bytes()[0]))
                    })
                })
                .collect();
            let expected: Vec<u32> = (0..array.len())
                .map(|i| col.str(i).map_or(0, |s| u32::from(s.as_bytes()[0])))
                .collect();
            assert_eq!(values, expected);
            let mut distinct = derived.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(derived.len(), distinct.len(), "derived twice: {derived:?}");
            assert!(derived.contains(&None));
        }
    }
}
