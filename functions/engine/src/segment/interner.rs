//! Strings to dense `u32` indices, in first-seen order (so indices are deterministic).
//!
//! Called for customer ids, products and places of every sales dictionary (~800 k lookups on
//! 10 M rows, in a table of ~200 k ids that does not fit in cache). Short strings, which ids
//! nearly always are, are keyed by their bytes packed into a `u128`: a lookup compares the key in
//! the table slot instead of following a pointer to the string, one cache miss fewer. The packing
//! holds the length, so it is exact, not a hash.

use super::hash::MixMap;

/// Longest string packed into a [`u128`] key (the last byte holds the length).
const SHORT: usize = 15;

fn packed(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    (b.len() <= SHORT).then(|| {
        let mut buf = [0u8; 16];
        buf[..b.len()].copy_from_slice(b);
        buf[SHORT] = b.len() as u8;
        u128::from_le_bytes(buf)
    })
}

#[derive(Default)]
pub(super) struct Interner {
    // The fast hasher matters here, and the keys are our own data, not attacker-chosen.
    short: MixMap<u128, u32>,
    long: MixMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    pub(super) fn intern(&mut self, s: &str) -> u32 {
        if let Some(i) = self.get(s) {
            return i;
        }
        let i = u32::try_from(self.names.len()).expect("fewer than 4 billion distinct values");
        self.names.push(s.into());
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
        &self.names[i as usize]
    }

    pub(super) fn len(&self) -> usize {
        self.names.len()
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
}
