//! Distinct products per customer. One global hash set of (customer, product) pairs costs a
//! random probe per row and ~16 bytes per pair; a small list per customer, compacted by sorting
//! when it fills up, costs an append per row and ~4–8 bytes per distinct pair. The lists share
//! one pool instead of an allocation each: 200,000 customers' own vectors took ~680,000
//! allocations as they grew, a tenth of the segment job's allocator calls.

#[derive(Default)]
pub(super) struct DistinctProducts {
    /// Per customer: where its list is in `pool`.
    lists: Vec<Span>,
    pool: Vec<u32>,
    /// Slots of `pool` that lists left when they moved to grow.
    garbage: usize,
}

#[derive(Clone, Copy, Default)]
struct Span {
    start: usize,
    len: u32,
    cap: u32,
}

impl DistinctProducts {
    pub(super) fn insert(&mut self, customer: u32, product: u32) {
        let c = customer as usize;
        if self.lists.len() <= c {
            self.lists.resize(c + 1, Span::default());
        }
        let s = self.lists[c];
        let list = &mut self.pool[s.start..s.start + s.len as usize];
        // Consecutive lines often repeat a product (same order exported twice, quantity splits).
        if list.last() == Some(&product) {
            return;
        }
        if s.len == s.cap {
            list.sort_unstable();
            let len = dedup_sorted(list);
            self.lists[c].len = len;
            // A new list gets room; a full one grows unless compaction freed at least half, so
            // each compaction is paid for by as many appends as the list holds.
            if s.cap == 0 || len > s.cap / 2 {
                self.grow(c);
            }
        }
        let s = &mut self.lists[c];
        self.pool[s.start + s.len as usize] = product;
        s.len += 1;
    }

    /// Doubles customer `c`'s room (4 to start with): in place when its list ends the pool, else
    /// at the pool's end, the old place left as garbage until a compaction.
    fn grow(&mut self, c: usize) {
        let s = self.lists[c];
        let cap = (s.cap * 2).max(4);
        if s.start + s.cap as usize == self.pool.len() {
            self.pool.resize(s.start + cap as usize, 0);
        } else {
            if self.garbage > self.pool.len() / 2 {
                self.compact();
            }
            let s = self.lists[c];
            let start = self.pool.len();
            self.pool.extend_from_within(s.start..s.start + s.len as usize);
            self.pool.resize(start + cap as usize, 0);
            self.garbage += s.cap as usize;
            self.lists[c].start = start;
        }
        self.lists[c].cap = cap;
    }

    /// Moves every list to the front of the pool, in pool order, keeping its room.
    fn compact(&mut self) {
        let mut order: Vec<usize> = (0..self.lists.len()).filter(|&c| self.lists[c].cap > 0).collect();
        order.sort_unstable_by_key(|&c| self.lists[c].start);
        let mut next = 0;
        for c in order {
            let s = &mut self.lists[c];
            // Never after its old place: the lists before it moved as far or further.
            self.pool.copy_within(s.start..s.start + s.len as usize, next);
            s.start = next;
            next += s.cap as usize;
        }
        self.pool.truncate(next);
        self.garbage = 0;
    }

    /// The number of distinct products of customers `0..n`.
    pub(super) fn counts(mut self, n: usize) -> Vec<u32> {
        let mut counts = vec![0u32; n];
        for (c, s) in self.lists.iter().enumerate() {
            let list = &mut self.pool[s.start..s.start + s.len as usize];
            list.sort_unstable();
            counts[c] = dedup_sorted(list);
        }
        counts
    }
}

/// Moves the distinct values of sorted `list` to its front; their number.
fn dedup_sorted(list: &mut [u32]) -> u32 {
    let mut n = 0;
    for i in 0..list.len() {
        if n == 0 || list[i] != list[n - 1] {
            list[n] = list[i];
            n += 1;
        }
    }
    u32::try_from(n).expect("fewer than 4 billion products")
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
        assert_eq!(d.counts(4), vec![1000, 0, 37, 0]);
    }

    /// Many interleaved customers make lists move and the pool compact (by itself, and forced in
    /// between); the counts stay those of a set per customer.
    #[test]
    fn counts_match_sets_when_lists_move() {
        use rand_xoshiro::Xoshiro256Plus;
        use rand_xoshiro::rand_core::{RngCore, SeedableRng};
        let mut rng = Xoshiro256Plus::seed_from_u64(11);
        let mut d = DistinctProducts::default();
        let mut sets = vec![BTreeSet::new(); 300];
        for i in 0..200_000 {
            if i % 50_000 == 25_000 {
                d.compact();
            }
            let c = (rng.next_u64() % 300) as u32;
            // Customers buy from ranges of different widths, so lists grow to different sizes.
            let p = (rng.next_u64() % (u64::from(c) * 3 + 1)) as u32;
            d.insert(c, p);
            sets[c as usize].insert(p);
        }
        assert!(d.garbage < d.pool.len(), "compactions kept the garbage bounded");
        let expected: Vec<u32> = sets.iter().map(|s| s.len() as u32).collect();
        assert_eq!(d.counts(300), expected);
    }
}
