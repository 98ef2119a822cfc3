//! In the text log format (the default), a key is logged as it is but for its control characters,
//! in the handler's lines and in the engine's ("ingest: file read"): a line break in a key cannot
//! start a forged log line, nor an escape sequence reach the terminal of whoever reads the log.
//! Persian keys stay readable. A process of its own: the log is captured by a global subscriber
//! (the engine logs on the blocking pool's threads), which tests on other threads of a shared
//! test binary would interfere with.

use std::sync::{Arc, Mutex};

use segflow_ingest_fn::{IngestConfig, IngestHandler};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// What was logged since the last call.
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

fn put_event(keys: &[&str]) -> serde_json::Value {
    let records: Vec<serde_json::Value> = keys
        .iter()
        .map(|k| {
            serde_json::json!({"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": "b"}, "object": {"key": k}}})
        })
        .collect();
    serde_json::json!({ "Records": records })
}

#[tokio::test]
async fn control_characters_in_keys_are_escaped_in_text_logs() {
    let log = Captured::default();
    let writer = log.clone();
    tracing::subscriber::set_global_default(
        lambda_runtime::tracing::subscriber::fmt()
            .without_time()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let handler = IngestHandler::new(
        |_: &str| segflow_storage::LocalStore::new(dir.path()),
        IngestConfig::default(),
    );

    // The handler's lines, for keys that are not there or not read.
    let keys = [
        "incoming/sales/evil\nERROR injected line\u{1b}[2J.csv",
        "incoming/other/evil\r\nERROR injected\u{9b}31m.csv",
        "incoming/sales/فروش\u{200c}های ۱۴۰۲.csv",
    ];
    let resp = handler.handle(&put_event(&keys)).await.unwrap();
    let outcomes: Vec<&str> = resp.processed.iter().map(|s| s.outcome).collect();
    assert_eq!(outcomes, ["missing", "ignored_outside_incoming", "missing"]);
    let text = log.take();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(!text.contains(['\u{1b}', '\u{9b}', '\r']), "{text:?}");
    assert!(
        lines[0].contains(r"key=incoming/sales/evil\nERROR injected line\u{1b}[2J.csv"),
        "{text}"
    );
    assert!(
        lines[1].contains(r"key=incoming/other/evil\r\nERROR injected\u{9b}31m.csv"),
        "{text}"
    );
    assert!(
        lines[2].contains("key=incoming/sales/فروش\u{200c}های ۱۴۰۲.csv"),
        "{text}"
    );

    // An upload that is there is read, and the engine's line about it escapes the key too.
    let key = "incoming/sales/ctl\rFAKE ERROR line\u{1b}[31m.csv";
    let path = dir.path().join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "Order ID,Order Date,Customer ID,Amount\n1,2024-06-01,C-1,10\n",
    )
    .unwrap();
    let resp = handler.handle(&put_event(&[key])).await.unwrap();
    assert_eq!(resp.processed[0].outcome, "ok");
    let text = log.take();
    let engine = text
        .lines()
        .find(|l| l.contains("ingest: file read"))
        .expect(&text);
    assert!(
        engine.contains(r"key=incoming/sales/ctl\rFAKE ERROR line\u{1b}[31m.csv"),
        "{engine}"
    );
    assert!(!text.contains(['\u{1b}', '\r']), "{text:?}");
}
