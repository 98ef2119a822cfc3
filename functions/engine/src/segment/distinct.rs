//! Distinct products per customer. One global hash set of (customer, product) pairs costs a
//! random probe per row and ~16 bytes per pair; a small vector per customer, compacted by sorting
//! when it fills up, costs an append per row and ~4–8 bytes per distinct pair.

#[derive(Default)]
pub(super) struct DistinctProducts {
    per_customer: Vec<Vec<u32>>,
}

impl DistinctProducts {
    pub(super) fn insert(&mut self, customer: u32, product: u32) {
        let c = customer as usize;
        if self.per_customer.len() <= c {
            self.per_customer.resize_with(c + 1, Vec::new);
        }
        let v = &mut self.per_customer[c];
        // Consecutive lines often repeat a product (same order exported twice, quantity splits).
        if v.last() == Some(&product) {
            return;
        }
        if v.len() == v.capacity() {
            v.sort_unstable();
            v.dedup();
            // Grow unless compaction freed at least half, so each compaction is paid for by as
            // many appends as the vector holds.
            if v.len() > v.capacity() / 2 {
                v.reserve(v.capacity());
            }
        }
        v.push(product);
    }

    /// The number of distinct products of customers `0..n`.
    pub(super) fn counts(self, n: usize) -> Vec<u32> {
        let mut counts = vec![0u32; n];
        for (c, mut v) in self.per_customer.into_iter().enumerate() {
            v.sort_unstable();
            v.dedup();
            counts[c] = u32::try_from(v.len()).expect("fewer than 4 billion products");
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
