//! Reading ahead on a second thread. Decoding and splitting the text into records is a fifth of an
//! ingest; done beside the conversion instead of before it, it costs no wall time.
//!
//! Records travel in chunks and the chunks travel back empty, so the record buffers are reused
//! and the steady state allocates nothing per row.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use csv::StringRecord;

use super::source::{Next, RecordSource};
use crate::error::Result;

/// Records per chunk: large enough that channel traffic is negligible, small enough that a few
/// chunks in flight hold little memory.
const CHUNK_ROWS: usize = 4096;
/// Chunks read ahead of the consumer.
const AHEAD: usize = 2;

#[derive(Default)]
struct Chunk {
    outcomes: Vec<Result<Next>>,
    records: Vec<StringRecord>,
}

/// A [`RecordSource`] that reads its inner source on a background thread.
pub struct Prefetch {
    rx: Option<Receiver<Chunk>>,
    recycle: SyncSender<Chunk>,
    current: Chunk,
    pos: usize,
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
                    let mut chunk = recycled.try_recv().unwrap_or_default();
                    chunk.outcomes.clear();
                    let mut finished = false;
                    for i in 0..CHUNK_ROWS {
                        if i == chunk.records.len() {
                            chunk.records.push(StringRecord::new());
                        }
                        let outcome = inner.next(&mut chunk.records[i]);
                        finished = !matches!(outcome, Ok(Next::Record { .. } | Next::Bad { .. }));
                        chunk.outcomes.push(outcome);
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
            current: Chunk::default(),
            pos: 0,
            handle: Some(handle),
        }
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

impl RecordSource for Prefetch {
    fn next(&mut self, rec: &mut StringRecord) -> Result<Next> {
        loop {
            if self.pos < self.current.outcomes.len() {
                let i = self.pos;
                self.pos += 1;
                // Swap rather than copy: the caller's old buffer goes back to the reader for reuse.
                std::mem::swap(rec, &mut self.current.records[i]);
                return std::mem::replace(&mut self.current.outcomes[i], Ok(Next::End));
            }
            let used = std::mem::take(&mut self.current);
            if !used.records.is_empty() {
                let _ = self.recycle.try_send(used);
            }
            self.pos = 0;
            match self.rx.as_ref().map(Receiver::recv) {
                Some(Ok(chunk)) => self.current = chunk,
                // The reader stopped after its last outcome (End or an error) was consumed, or
                // it panicked: re-raise that here.
                _ => {
                    self.join();
                    return Ok(Next::End);
                }
            }
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
    use crate::error::EngineError;

    /// `n` records, a bad row every 1000, then `end`.
    struct Counting {
        n: u64,
        i: u64,
        fail_at_end: bool,
    }

    impl RecordSource for Counting {
        fn next(&mut self, rec: &mut StringRecord) -> Result<Next> {
            self.i += 1;
            if self.i > self.n {
                return if self.fail_at_end {
                    Err(EngineError::Invalid("disk gone".into()))
                } else {
                    Ok(Next::End)
                };
            }
            if self.i.is_multiple_of(1000) {
                return Ok(Next::Bad {
                    line: self.i,
                    reason: "bad_encoding",
                    detail: String::new(),
                });
            }
            rec.clear();
            rec.push_field(&self.i.to_string());
            Ok(Next::Record { line: self.i })
        }
    }

    fn drain(p: &mut Prefetch) -> (Vec<u64>, Vec<u64>, Result<()>) {
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        let mut rec = StringRecord::new();
        loop {
            match p.next(&mut rec) {
                Ok(Next::Record { line }) => {
                    assert_eq!(rec.get(0), Some(line.to_string().as_str()));
                    good.push(line);
                }
                Ok(Next::Bad { line, .. }) => bad.push(line),
                Ok(Next::End) => return (good, bad, Ok(())),
                Err(e) => return (good, bad, Err(e)),
            }
        }
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
        assert!(matches!(p.next(&mut StringRecord::new()), Ok(Next::End)));
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
        let mut rec = StringRecord::new();
        assert!(matches!(p.next(&mut rec), Ok(Next::Record { line: 1 })));
        drop(p); // joins the reader; a hang here would fail the test run
    }
}
