//! One object through the engine and back to storage: spool, skip if this version was done, convert,
//! publish outputs, retire the previous version's files, then record the version. The manifest is
//! written last, so a crash part-way leaves a state that the retry completes.

use std::path::Path;

use serde::{Deserialize, Serialize};

use segflow_engine::EngineError;
use segflow_engine::ingest::{self, IngestOptions, SourceRef, Status};
use segflow_engine::schema::Dataset;
use segflow_storage::{ObjectMeta, ObjectStore, StorageError};

/// Uploads are only ever read from here; outputs are never written below it.
pub const TRIGGER_PREFIX: &str = "incoming/";

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("worker task failed: {0}")]
    Join(String),
    #[error("{0}")]
    Io(String),
}

impl PipelineError {
    /// Whether delivering the same event again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            PipelineError::Storage(e) => e.is_retryable(),
            PipelineError::Engine(EngineError::Io { .. }) | PipelineError::Io(_) => true,
            PipelineError::Engine(_) | PipelineError::Join(_) => false,
        }
    }
}

/// What happened to one object; logged and returned by the handler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub key: String,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<&'static str>,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_rejected: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Summary {
    pub fn skipped(key: &str, outcome: &'static str) -> Self {
        Summary {
            key: key.to_string(),
            outcome,
            dataset: None,
            rows_read: 0,
            rows_written: 0,
            rows_rejected: 0,
            report: None,
            error: None,
        }
    }
}

/// Bookkeeping per source key: which version was ingested and which files it produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceManifest {
    pub source_key: String,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    pub dataset: Option<String>,
    pub outputs: Vec<String>,
    pub report: String,
    pub status: String,
}

pub fn manifest_key(source_id: &str) -> String {
    format!("state/ingest/sources/{source_id}.json")
}

/// The dataset a trigger key belongs to: `incoming/<dataset>/...`.
pub fn dataset_of_key(key: &str) -> Option<Dataset> {
    let rest = key.strip_prefix(TRIGGER_PREFIX)?;
    Dataset::from_name(rest.split('/').next()?)
}

/// Ingests `key` from `input` into `output`. `alt_key` is tried when `key` does not exist.
/// The dataset comes from `opts`, else from an `incoming/<dataset>/` key, else from the header.
pub async fn ingest_object<I: ObjectStore, O: ObjectStore>(
    input: &I,
    key: &str,
    alt_key: Option<&str>,
    output: &O,
    opts: &IngestOptions,
    tmp_root: &Path,
) -> Result<Summary, PipelineError> {
    let (key, meta) = match input.head(key).await? {
        Some(m) => (key, m),
        None => match alt_key {
            Some(alt) => match input.head(alt).await? {
                Some(m) => (alt, m),
                None => return Ok(Summary::skipped(key, "missing")),
            },
            None => return Ok(Summary::skipped(key, "missing")),
        },
    };
    if key.ends_with('/') {
        return Ok(Summary::skipped(key, "ignored_folder_marker"));
    }
    if already_ingested(output, &meta).await? {
        return Ok(Summary::skipped(key, "duplicate"));
    }
    let work = tempfile::Builder::new()
        .prefix("segflow-ingest-")
        .tempdir_in(tmp_root)
        .map_err(|e| PipelineError::Io(format!("{}: {e}", tmp_root.display())))?;
    let spool = work.path().join("input");
    let meta = input.download(key, &spool).await?;
    let mut opts = opts.clone();
    if opts.dataset.is_none() {
        opts.dataset = dataset_of_key(key);
    }
    process_file(&spool, meta, input.describe(), output, &opts, work.path()).await
}

/// Ingests a local file already on disk, known to the product as `meta.key`, and publishes the
/// outputs to `output`. Callers check [`already_ingested`] first.
pub async fn process_file<O: ObjectStore>(
    file: &Path,
    meta: ObjectMeta,
    origin: String,
    output: &O,
    opts: &IngestOptions,
    work: &Path,
) -> Result<Summary, PipelineError> {
    let source_id = ingest::naming::source_id(&meta.key);
    let staging = work.join("staging");
    let src = SourceRef {
        bucket: Some(origin),
        key: meta.key.clone(),
        etag: meta.etag.clone(),
        version_id: meta.version_id.clone(),
        size: meta.size,
    };
    let (file, o, st) = (file.to_path_buf(), opts.clone(), staging.clone());
    let outcome = tokio::task::spawn_blocking(move || ingest::ingest_file(&file, src, &o, &st))
        .await
        .map_err(|e| PipelineError::Join(e.to_string()))??;
    let report = &outcome.report;

    for f in &outcome.files {
        output.upload_file(&f.key, &f.path).await?;
    }
    let new_keys: Vec<String> = outcome.files.iter().map(|f| f.key.clone()).collect();
    if let Some(old) = load_manifest(output, &source_id).await? {
        for stale in old.outputs.iter().filter(|k| !new_keys.contains(k)) {
            output.delete(stale).await?;
        }
    }
    output
        .upload_file(&outcome.report_file.key, &outcome.report_file.path)
        .await?;
    let status = match report.status {
        Status::Ok => "ok",
        Status::Partial => "partial",
        Status::Rejected => "rejected",
    };
    let manifest = SourceManifest {
        source_key: meta.key.clone(),
        etag: meta.etag.clone(),
        version_id: meta.version_id.clone(),
        dataset: outcome.dataset.map(|d| d.name().to_string()),
        outputs: new_keys,
        report: outcome.report_file.key.clone(),
        status: status.to_string(),
    };
    output
        .put(
            &manifest_key(&source_id),
            serde_json::to_vec_pretty(&manifest).map_err(EngineError::from)?,
        )
        .await?;
    Ok(Summary {
        key: meta.key,
        outcome: status,
        dataset: outcome.dataset.map(Dataset::name),
        rows_read: report.rows.read,
        rows_written: report.rows.written,
        rows_rejected: report.rows.rejected,
        report: Some(outcome.report_file.key.clone()),
        error: report
            .error
            .as_ref()
            .map(|e| format!("{}: {}", e.code, e.message)),
    })
}

async fn load_manifest<O: ObjectStore>(
    output: &O,
    source_id: &str,
) -> Result<Option<SourceManifest>, PipelineError> {
    Ok(match output.get(&manifest_key(source_id)).await? {
        // An unreadable manifest is treated as absent: the run then simply rewrites everything.
        Some(bytes) => serde_json::from_slice(&bytes).ok(),
        None => None,
    })
}

/// Whether this exact version of the source (same key and ETag/version) was already ingested, so a
/// duplicate delivery costs one small read.
pub async fn already_ingested<O: ObjectStore>(output: &O, meta: &ObjectMeta) -> Result<bool, PipelineError> {
    let source_id = ingest::naming::source_id(&meta.key);
    Ok(load_manifest(output, &source_id).await?.is_some_and(|m| {
        m.source_key == meta.key && m.etag.is_some() && m.etag == meta.etag && m.version_id == meta.version_id
    }))
}
