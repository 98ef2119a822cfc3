//! Order-preserving data parallelism over std threads: the per-customer work after reading is a
//! pure function of the customer, so splitting the index range into one contiguous part per core
//! and concatenating the parts gives exactly the sequential result.

use std::num::NonZeroUsize;
use std::thread;

/// Cores to use: what the machine (or Lambda) offers.
pub(super) fn threads() -> usize {
    thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// `(0..n).map(f).collect()`, computed on up to [`threads`] threads. Each thread writes its
/// part straight into the result: collecting parts and concatenating them copied every value
/// once more, 40 MB of freshly faulted pages for the customers of a 200,000-customer run.
pub(super) fn map_range<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let parts = threads().min(n / 1024).max(1);
    if parts == 1 {
        return (0..n).map(f).collect();
    }
    let f = &f;
    let chunk = n.div_ceil(parts);
    let mut out: Vec<T> = Vec::with_capacity(n);
    thread::scope(|s| {
        let handles: Vec<_> = out.spare_capacity_mut()[..n]
            .chunks_mut(chunk)
            .enumerate()
            .map(|(p, slots)| {
                s.spawn(move || {
                    for (k, slot) in slots.iter_mut().enumerate() {
                        slot.write(f(p * chunk + k));
                    }
                })
            })
            .collect();
        // A panic is carried on before the length is set: the values written are leaked, never
        // read.
        handles.into_iter().for_each(join);
    });
    // SAFETY: every thread returned, so each of the `n` slots (the chunks cover `0..n`) was
    // written exactly once.
    unsafe { out.set_len(n) };
    out
}

/// The result of a scoped thread; a panic in it is a bug, carried to the caller unchanged.
pub(super) fn join<T>(h: thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_as_sequential() {
        for n in [0, 1, 1023, 1024, 5000, 100_003] {
            assert_eq!(
                super::map_range(n, |i| i * 3),
                (0..n).map(|i| i * 3).collect::<Vec<_>>()
            );
            // Values that own memory: each written once, none dropped twice.
            assert_eq!(
                super::map_range(n, |i| i.to_string()),
                (0..n).map(|i| i.to_string()).collect::<Vec<_>>()
            );
        }
    }
}
