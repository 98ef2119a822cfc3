//! Strings to dense `u32` indices, in first-seen order (so indices are deterministic).
//!
//! Called for customer ids, products and places of every sales dictionary (~800 k lookups on
//! 10 M rows, in a table of ~200 k ids that does not fit in cache). Short strings, which ids
//! nearly always are, are keyed by their bytes packed into a `u128`: a lookup compares the key in
//! the table slot instead of following a pointer to the string, one cache miss fewer. The packing
//! holds the length, so it is exact, not a hash.

use super::hash::MixMap;
use crate::values::phone::NATIONAL_PREFIX;

/// Longest string packed into a [`u128`] key (the last byte holds the length).
const SHORT: usize = 15;

/// The table key of a short string: its [`sort_key`], which holds all of it.
fn packed(s: &str) -> Option<u128> {
    (s.len() <= SHORT).then(|| sort_key(s))
}

/// A key whose order is the order of the strings (byte-wise, as `str::cmp`): the first 15 bytes,
/// zero-padded, then the length capped at 16. Equal keys mean equal strings for strings of up to
/// 15 bytes; longer strings with the same first 15 bytes tie and need comparing in full.
pub(super) fn sort_key(s: &str) -> u128 {
    let b = s.as_bytes();
    let n = b.len().min(SHORT);
    let mut buf = [0u8; 16];
    buf[..n].copy_from_slice(&b[..n]);
    buf[SHORT] = b.len().min(SHORT + 1) as u8;
    u128::from_be_bytes(buf)
}

#[derive(Default)]
pub(super) struct Interner {
    // The fast hasher matters here, and the keys are our own data, not attacker-chosen.
    short: MixMap<u128, u32>,
    long: MixMap<Box<str>, u32>,
    /// All names, one after another: a box per name was an allocation per customer.
    text: String,
    /// Where each name ends in `text`.
    ends: Vec<usize>,
    /// Some name could be an email or a phone key (see [`Self::may_hold_addresses`]).
    addresses: bool,
}

impl Interner {
    pub(super) fn intern(&mut self, s: &str) -> u32 {
        if let Some(i) = self.get(s) {
            return i;
        }
        let i = u32::try_from(self.ends.len()).expect("fewer than 4 billion distinct values");
        self.text.push_str(s);
        self.ends.push(self.text.len());
        self.addresses |= s.contains('@') || s.starts_with('+') || s.starts_with(NATIONAL_PREFIX);
        match packed(s) {
            Some(k) => self.short.insert(k, i),
            None => self.long.insert(s.into(), i),
        };
        i
    }

    pub(super) fn get(&self, s: &str) -> Option<u32> {
        match packed(s) {
            Some(k) => self.short.get(&k),
            None => self.long.get(s),
        }
        .copied()
    }

    pub(super) fn name(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether some name holds `@` or starts with `+` or `tel:`, as every email and phone key
    /// does. Most shops key customers by number: then no id is an address, and the lists need
    /// not read each customer's id to tell (a cache miss per customer, several times over).
    pub(super) fn may_hold_addresses(&self) -> bool {
        self.addresses
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_seen_order_across_short_and_long_strings() {
        let mut t = Interner::default();
        let words = [
            "",
            "a",
            "a\0",
            "145933",
            "fifteen-bytes!!",
            "sixteen-bytes!!!",
            "a much longer customer id, over sixteen bytes",
            "تهران",
            "حسین@example.ir",
        ];
        for (n, w) in words.iter().enumerate() {
            assert_eq!(t.get(w), None, "{w:?} before interning");
            assert_eq!(t.intern(w), n as u32, "{w:?}");
        }
        for (n, w) in words.iter().enumerate() {
            assert_eq!(t.intern(w), n as u32, "{w:?} again");
            assert_eq!(t.get(w), Some(n as u32));
            assert_eq!(t.name(n as u32), *w);
        }
        assert_eq!(t.len(), words.len());
        // A trailing NUL or a prefix is another string, not the same packed key.
        assert_eq!(t.get("a\0\0"), None);
        assert_eq!(t.get("fifteen-bytes!"), None);
    }

    /// Numbers and names hold no address; one email, `+` number or `tel:` key among them does,
    /// and every address `is_address` knows is one of those.
    #[test]
    fn knows_whether_a_name_may_be_an_address() {
        for address in ["ann@x.example", "+989121234567", "tel:02188776655"] {
            let mut t = Interner::default();
            for n in ["145933", "C-1", "sara", "0912 123 4567"] {
                t.intern(n);
            }
            assert!(!t.may_hold_addresses());
            t.intern(address);
            assert!(t.may_hold_addresses(), "{address}");
            assert!(super::super::customers::is_address(address), "{address}");
        }
    }

    #[test]
    fn sort_keys_order_as_the_strings_do() {
        let words = [
            "",
            "\0",
            "\0\0",
            "a",
            "a\0",
            "a\u{1}",
            "ab",
            "b",
            "145933",
            "145933\0",
            "99",
            "ÿ",
            "تهران",
            "fifteen-bytes!!",
            "fifteen-bytes!!!",
            "fifteen-bytes!!\0",
            "fifteen-bytes!!a-longer",
            "fifteen-bytes!\0",
            "fifteen-bytes!",
            "zzzzzzzzzzzzzzzzzzzz",
        ];
        for a in words {
            for b in words {
                let (ka, kb) = (sort_key(a), sort_key(b));
                if a.len() <= SHORT && b.len() <= SHORT {
                    assert_eq!(ka.cmp(&kb), a.cmp(b), "{a:?} vs {b:?}");
                } else if ka != kb {
                    // Only a tie may disagree (then the strings decide).
                    assert_eq!(ka.cmp(&kb), a.cmp(b), "{a:?} vs {b:?}");
                }
            }
        }
    }
}
