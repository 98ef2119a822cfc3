//! A small object-store abstraction: the handlers and the CLI are generic over [`ObjectStore`], with
//! an S3 implementation (any S3-compatible endpoint) and a local-folder one that lays files out
//! exactly as the bucket would be.

mod any;
mod local;
mod s3;

use std::future::Future;
use std::path::Path;

pub use any::AnyStore;
pub use local::LocalStore;
pub use s3::{S3Store, https_client};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
    pub version_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object not found: {0}")]
    NotFound(String),
    /// Network trouble, throttling, 5xx: worth retrying the whole event later.
    #[error("transient storage error: {0}")]
    Transient(String),
    #[error("storage error: {0}")]
    Other(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl StorageError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, StorageError::Transient(_) | StorageError::Io { .. })
    }
    fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        StorageError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// The operations the product needs, no more. Keys are relative to the store's root (a bucket,
/// optionally with a prefix, or a folder).
pub trait ObjectStore: Send + Sync {
    /// Metadata of the object, `None` if it does not exist.
    fn head(&self, key: &str) -> impl Future<Output = Result<Option<ObjectMeta>>> + Send;
    /// Streams the object into `dest` (never whole in memory).
    fn download(&self, key: &str, dest: &Path) -> impl Future<Output = Result<ObjectMeta>> + Send;
    /// Uploads a local file (multipart when large).
    fn upload_file(&self, key: &str, src: &Path) -> impl Future<Output = Result<()>> + Send;
    /// Small objects (manifests, state): whole in memory.
    fn put(&self, key: &str, bytes: Vec<u8>) -> impl Future<Output = Result<()>> + Send;
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>>> + Send;
    /// A small object with its change tag (S3: the ETag), for a later [`ObjectStore::put_if`].
    fn get_tagged(&self, key: &str) -> impl Future<Output = Result<Option<(Vec<u8>, String)>>> + Send;
    /// Compare-and-swap of a small object: writes `bytes` only if the object is unchanged since it
    /// was read with tag `expected`, or, with `None`, only if it does not exist. Returns the new
    /// tag, or `None` when the condition failed (someone else wrote it meanwhile): nothing was
    /// written then.
    fn put_if(
        &self,
        key: &str,
        bytes: Vec<u8>,
        expected: Option<&str>,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
    /// Every object under `prefix`, sorted by key.
    fn list(&self, prefix: &str) -> impl Future<Output = Result<Vec<ObjectMeta>>> + Send;
    /// Deleting a missing object is not an error.
    fn delete(&self, key: &str) -> impl Future<Output = Result<()>> + Send;
    /// A human-readable location for logs and reports (`s3://bucket/prefix` or a path).
    fn describe(&self) -> String;
}

/// Parses `s3://bucket[/prefix]` into (bucket, prefix).
pub fn parse_s3_uri(uri: &str) -> Option<(String, String)> {
    let rest = uri.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return None;
    }
    Some((bucket.to_string(), prefix.trim_matches('/').to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris() {
        assert_eq!(parse_s3_uri("s3://b"), Some(("b".into(), "".into())));
        assert_eq!(parse_s3_uri("s3://b/x/y/"), Some(("b".into(), "x/y".into())));
        assert_eq!(parse_s3_uri("s3:///x"), None);
        assert_eq!(parse_s3_uri("/tmp/x"), None);
    }
}
