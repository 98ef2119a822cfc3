//! Reading ahead on a second thread. Decoding and splitting the text into rows is a fifth of an
//! ingest; done beside the conversion instead of before it, it costs no wall time.
//!
//! Rows travel in chunks and the chunks travel back empty, so their buffers are reused and the
//! steady state allocates nothing per row.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::rows::Rows;
use super::source::RecordSource;
use crate::error::EngineError;

/// Rows per chunk: large enough that channel traffic is negligible.
const CHUNK_ROWS: usize = 4096;
/// A chunk also ends at this much memory (text, cell bounds, row slots), so wide exports, whose
/// rows are ten times the benchmark's, hold no more in flight than narrow ones.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks read ahead of the consumer: ~64 k narrow rows, ~16 MiB at most. The reader shares two
/// cores with the converter and the Parquet writer; with two chunks ahead it was starved while
/// the other two ran and the converter then waited for it, a fifth of the cores idle. Sixteen
/// absorb those stretches: the 10 M-row benchmark converts 9 % faster (BENCHMARKS.md).
const AHEAD: usize = 16;

/// Rows in reading order, then the error that stopped the reading, if one did.
#[derive(Default)]
pub struct Chunk {
    pub rows: Rows,
    pub error: Option<EngineError>,
}

/// A [`RecordSource`] read on a background thread.
pub struct Prefetch {
    rx: Option<Receiver<Chunk>>,
    recycle: SyncSender<Chunk>,
    handle: Option<JoinHandle<()>>,
}

impl Prefetch {
    pub fn spawn(mut inner: Box<dyn RecordSource>) -> Self {
        let (tx, rx) = sync_channel::<Chunk>(AHEAD);
        // Room for every chunk that can exist, so returning one never blocks.
        let (recycle, recycled) = sync_channel::<Chunk>(AHEAD + 3);
        let handle = std::thread::Builder::new()
            .name("record-reader".into())
            .spawn(move || {
                loop {
                    let mut chunk = recycled
                        .try_recv()
                        .ok()
                        // One huge row must not keep its buffers alive in every chunk.
                        .filter(|c| c.rows.capacity_bytes() <= 4 * CHUNK_BYTES)
                        .unwrap_or_default();
                    chunk.rows.clear();
                    let mut finished = false;
                    while chunk.rows.len() < CHUNK_ROWS && chunk.rows.bytes() < CHUNK_BYTES {
                        match inner.next(&mut chunk.rows) {
                            Ok(true) => {}
                            Ok(false) => finished = true,
                            Err(e) => {
                                chunk.error = Some(e);
                                finished = true;
                            }
                        }
                        if finished {
                            break;
                        }
                    }
                    // A send fails only when the consumer has gone: stop reading.
                    if tx.send(chunk).is_err() || finished {
                        return;
                    }
                }
            })
            .expect("spawning a thread");
        Prefetch {
            rx: Some(rx),
            recycle,
            handle: Some(handle),
        }
    }

    /// The next chunk; `None` once every row (and the error, if any) has been handed out.
    pub fn next_chunk(&mut self) -> Option<Chunk> {
        match self.rx.as_ref().map(Receiver::recv) {
            Some(Ok(chunk)) => Some(chunk),
            // The reader stopped after its last chunk, or it panicked: re-raise that here.
            _ => {
                self.join();
                None
            }
        }
    }

    /// Hands a used chunk back for its buffers to be reused.
    pub fn recycle(&mut self, chunk: Chunk) {
        let _ = self.recycle.try_send(chunk);
    }

    fn join(&mut self) {
        self.rx = None;
        if let Some(h) = self.handle.take()
            && let Err(panic) = h.join()
        {
            std::panic::resume_unwind(panic);
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        // Dropping the receiver makes the reader's next send fail, so it stops promptly.
        self.rx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;
    use crate::ingest::rows::Entry;

    /// `n` records, a bad row every 1000, then `end`.
    struct Counting {
        n: u64,
        i: u64,
        fail_at_end: bool,
    }

    impl RecordSource for Counting {
        fn next(&mut self, out: &mut Rows) -> Result<bool> {
            self.i += 1;
            if self.i > self.n {
                return if self.fail_at_end {
                    Err(EngineError::Invalid("disk gone".into()))
                } else {
                    Ok(false)
                };
            }
            if self.i.is_multiple_of(1000) {
                out.push_bad(self.i, "bad_encoding", String::new());
            } else {
                out.push_cells(self.i, [self.i.to_string()]);
            }
            Ok(true)
        }
    }

    fn drain(p: &mut Prefetch) -> (Vec<u64>, Vec<u64>, Result<()>) {
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        while let Some(mut chunk) = p.next_chunk() {
            for e in chunk.rows.iter() {
                match e {
                    Entry::Row(line, r) => {
                        assert_eq!(r.get(0), Some(line.to_string().as_str()));
                        good.push(line);
                    }
                    Entry::Bad(line, ..) => bad.push(line),
                }
            }
            if let Some(e) = chunk.error.take() {
                return (good, bad, Err(e));
            }
            p.recycle(chunk);
        }
        (good, bad, Ok(()))
    }

    #[test]
    fn yields_every_record_in_order_across_chunks() {
        let n = (CHUNK_ROWS * 5 + 17) as u64;
        let mut p = Prefetch::spawn(Box::new(Counting {
            n,
            i: 0,
            fail_at_end: false,
        }));
        let (good, bad, end) = drain(&mut p);
        end.unwrap();
        assert_eq!(good.len() + bad.len(), n as usize);
        assert_eq!(bad, (1..=n).filter(|i| i % 1000 == 0).collect::<Vec<_>>());
        assert!(good.windows(2).all(|w| w[0] < w[1]));
        // Reading past the end stays at the end.
        assert!(p.next_chunk().is_none());
    }

    #[test]
    fn passes_the_error_through_after_the_records() {
        let mut p = Prefetch::spawn(Box::new(Counting {
            n: 10,
            i: 0,
            fail_at_end: true,
        }));
        let (good, _, end) = drain(&mut p);
        assert_eq!(good.len(), 10);
        assert!(matches!(end, Err(EngineError::Invalid(m)) if m == "disk gone"));
    }

    #[test]
    fn dropping_early_stops_the_reader() {
        let mut p = Prefetch::spawn(Box::new(Counting {
            n: u64::MAX,
            i: 0,
            fail_at_end: false,
        }));
        let chunk = p.next_chunk().expect("a chunk");
        assert!(matches!(chunk.rows.get(0), Some(Entry::Row(1, _))));
        drop(p); // joins the reader; a hang here would fail the test run
    }

    /// Rows of 10 kB each: a chunk ends near `CHUNK_BYTES`, not at `CHUNK_ROWS`, so what is in
    /// flight stays bounded however wide the export.
    struct Wide(u64);

    impl RecordSource for Wide {
        fn next(&mut self, out: &mut Rows) -> Result<bool> {
            self.0 += 1;
            out.push_cells(self.0, ["x".repeat(10_000)]);
            Ok(true)
        }
    }

    #[test]
    fn wide_rows_make_short_chunks() {
        let mut p = Prefetch::spawn(Box::new(Wide(0)));
        for _ in 0..3 {
            let chunk = p.next_chunk().expect("a chunk");
            let rows = chunk.rows.len();
            assert!((100..=110).contains(&rows), "{rows} rows");
            assert!(chunk.rows.bytes() < CHUNK_BYTES + 11_000);
            p.recycle(chunk);
        }
    }
}
