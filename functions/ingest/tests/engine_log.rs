//! The engine's own log line about an upload ("ingest: file read") escapes the key's control
//! characters as the handler's lines do. A process of its own: the log is captured by a global
//! subscriber, which tests on other threads of a shared test binary would interfere with.

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

#[tokio::test]
async fn the_engines_line_escapes_control_characters_in_keys() {
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
    let key = "incoming/sales/ctl\rFAKE ERROR line\u{1b}[31m.csv";
    let path = dir.path().join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "Order ID,Order Date,Customer ID,Amount\n1,2024-06-01,C-1,10\n",
    )
    .unwrap();
    let handler = IngestHandler::new(
        |_: &str| segflow_storage::LocalStore::new(dir.path()),
        IngestConfig::default(),
    );
    let records = serde_json::json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": "b"}, "object": {"key": key}}}]});
    let resp = handler.handle(&records).await.unwrap();
    assert_eq!(resp.processed[0].outcome, "ok");
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
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
