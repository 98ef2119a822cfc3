//! Distinct products per customer. One global hash set of (customer, product) pairs costs a
//! random probe per row and ~16 bytes per pair; a list per customer, compacted by sorting when it
//! has doubled since it last was, costs an append per row and ~4 bytes per pair.
//!
//! The lists are chains of fixed-size chunks in one pool, so that a growing list never moves and
//! leaves nothing behind. Lists of their own (`Vec` each) took ~680,000 allocations for 200,000
//! customers. One pool of contiguous lists, each moved to the pool's end to grow, kept the old
//! copies and each list's room: 134 MB of pool for the benchmark's 6.9 M distinct pairs (28 MB),
//! and a peak of 186 MB against 151 MB now for 10 M rows of 5,000 customers.

/// Products per chunk: with the link to the next chunk, 64 bytes, one cache line.
const CHUNK: usize = 15;

/// No chunk.
const NIL: u32 = u32::MAX;

/// Lists shorter than this are left to the final count: compacting them saves little room.
const MIN_COMPACT: u32 = 2 * CHUNK as u32;

#[derive(Clone, Copy)]
struct Chunk {
    values: [u32; CHUNK],
    /// The list's previous (older, full) chunk.
    next: u32,
}

#[derive(Clone, Copy)]
struct List {
    /// The newest chunk, the only one that may be part full; [`NIL`] for an empty list.
    head: u32,
    len: u32,
    /// The length after the last compaction: the next one waits until the list doubles.
    compacted: u32,
}

impl Default for List {
    fn default() -> List {
        List {
            head: NIL,
            len: 0,
            compacted: 0,
        }
    }
}

#[derive(Default)]
pub(super) struct DistinctProducts {
    /// Per customer.
    lists: Vec<List>,
    chunks: Vec<Chunk>,
    /// Chunks that compactions gave back.
    free: Vec<u32>,
    /// A list being compacted, reused.
    scratch: Vec<u32>,
}

impl DistinctProducts {
    pub(super) fn insert(&mut self, customer: u32, product: u32) {
        let c = customer as usize;
        if self.lists.len() <= c {
            self.lists.resize(c + 1, List::default());
        }
        let l = self.lists[c];
        let used = head_len(l.len);
        // Consecutive lines often repeat a product (same order exported twice, quantity splits).
        if l.head != NIL && self.chunks[l.head as usize].values[used - 1] == product {
            return;
        }
        if l.head == NIL || used == CHUNK {
            if l.len >= MIN_COMPACT && l.len >= 2 * l.compacted {
                self.compact(c);
                if head_len(self.lists[c].len) < CHUNK {
                    return self.push(c, product);
                }
            }
            let chunk = self.new_chunk(self.lists[c].head);
            self.lists[c].head = chunk;
        }
        self.push(c, product);
    }

    /// Appends to customer `c`'s head chunk, which has room.
    fn push(&mut self, c: usize, product: u32) {
        let l = &mut self.lists[c];
        // A list ending on a full chunk has its room in a new head (`head_len` of a multiple of
        // CHUNK is CHUNK): after `insert`, the head's free slot is at `len % CHUNK`.
        self.chunks[l.head as usize].values[l.len as usize % CHUNK] = product;
        l.len += 1;
    }

    fn new_chunk(&mut self, next: u32) -> u32 {
        let chunk = Chunk {
            values: [0; CHUNK],
            next,
        };
        match self.free.pop() {
            Some(i) => {
                self.chunks[i as usize] = chunk;
                i
            }
            None => {
                let i = u32::try_from(self.chunks.len()).expect("fewer than 4 billion chunks");
                self.chunks.push(chunk);
                i
            }
        }
    }

    /// Customer `c`'s products, in `out` (cleared first).
    fn gather(&self, c: usize, out: &mut Vec<u32>) {
        out.clear();
        let l = self.lists[c];
        let mut chunk = l.head;
        let mut take = head_len(l.len);
        while chunk != NIL {
            let ch = &self.chunks[chunk as usize];
            out.extend_from_slice(&ch.values[..take]);
            chunk = ch.next;
            take = CHUNK;
        }
    }

    /// Rewrites customer `c`'s list without repeats, in as few chunks as it needs (all full but
    /// the head), and gives the rest back.
    fn compact(&mut self, c: usize) {
        let mut values = std::mem::take(&mut self.scratch);
        self.gather(c, &mut values);
        values.sort_unstable();
        values.dedup();
        let len = u32::try_from(values.len()).expect("fewer than 4 billion products");
        // The head takes what does not fill whole chunks, the chunks after it CHUNK each.
        let mut rest = &values[..];
        let mut chunk = self.lists[c].head;
        let mut take = head_len(len);
        let mut last = NIL;
        while !rest.is_empty() {
            let ch = &mut self.chunks[chunk as usize];
            ch.values[..take].copy_from_slice(&rest[..take]);
            rest = &rest[take..];
            last = chunk;
            chunk = ch.next;
            take = CHUNK;
        }
        self.chunks[last as usize].next = NIL;
        while chunk != NIL {
            self.free.push(chunk);
            chunk = self.chunks[chunk as usize].next;
        }
        self.lists[c].len = len;
        self.lists[c].compacted = len;
        self.scratch = values;
    }

    /// The number of distinct products of customers `0..n`.
    pub(super) fn counts(mut self, n: usize) -> Vec<u32> {
        let mut counts = vec![0u32; n];
        let mut values = std::mem::take(&mut self.scratch);
        for (c, count) in counts.iter_mut().enumerate().take(self.lists.len()) {
            self.gather(c, &mut values);
            values.sort_unstable();
            values.dedup();
            *count = u32::try_from(values.len()).expect("fewer than 4 billion products");
        }
        counts
    }
}

/// The entries in the head chunk of a list of `len`: all chunks after the head are full.
fn head_len(len: u32) -> usize {
    match len as usize % CHUNK {
        0 if len > 0 => CHUNK,
        r => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn counts_distinct_products_through_compactions() {
        let mut d = DistinctProducts::default();
        for i in 0..1000u32 {
            d.insert(2, i % 37);
            d.insert(0, i);
        }
        d.insert(2, 5);
        // Customer 2's list compacted down to its 37 products; customer 0's never shrank.
        assert!(d.lists[2].len as usize <= 2 * 37 + CHUNK, "{}", d.lists[2].len);
        assert_eq!(d.lists[0].len, 1000);
        assert_eq!(d.counts(4), vec![1000, 0, 37, 0]);
    }

    /// Many interleaved customers grow, compact and reuse chunks; the counts stay those of a set
    /// per customer, and compactions keep repeat buyers' lists near their distinct products.
    #[test]
    fn counts_match_sets_when_lists_grow_and_shrink() {
        use rand_xoshiro::Xoshiro256Plus;
        use rand_xoshiro::rand_core::{RngCore, SeedableRng};
        let mut rng = Xoshiro256Plus::seed_from_u64(11);
        let mut d = DistinctProducts::default();
        let mut sets = vec![BTreeSet::new(); 300];
        for _ in 0..200_000 {
            let c = (rng.next_u64() % 300) as u32;
            // Customers buy from ranges of different widths, so lists grow to different sizes.
            let p = (rng.next_u64() % (u64::from(c) * 3 + 1)) as u32;
            d.insert(c, p);
            sets[c as usize].insert(p);
        }
        assert!(!d.free.is_empty(), "compactions gave chunks back");
        for (c, set) in sets.iter().enumerate() {
            let l = d.lists[c];
            let mut values = Vec::new();
            d.gather(c, &mut values);
            assert_eq!(values.len(), l.len as usize, "customer {c}");
            // At most twice its products (and a head chunk) between compactions.
            assert!(
                l.len as usize <= (2 * set.len()).max(MIN_COMPACT as usize) + CHUNK,
                "customer {c}"
            );
        }
        let expected: Vec<u32> = sets.iter().map(|s| s.len() as u32).collect();
        assert_eq!(d.counts(300), expected);
    }

    #[test]
    fn head_length_of_full_and_partial_chunks() {
        assert_eq!(head_len(0), 0);
        assert_eq!(head_len(1), 1);
        assert_eq!(head_len(CHUNK as u32), CHUNK);
        assert_eq!(head_len(CHUNK as u32 + 1), 1);
    }
}
