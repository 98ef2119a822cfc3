use std::path::Path;

use crate::{LocalStore, ObjectMeta, ObjectStore, Result, S3Store};

/// Either store, chosen at run time from a path or an `s3://` URI (the CLI takes both).
#[derive(Debug, Clone)]
pub enum AnyStore {
    Local(LocalStore),
    S3(S3Store),
}

impl AnyStore {
    /// `s3://bucket[/prefix]` or a local folder.
    pub async fn open(location: &str) -> AnyStore {
        match crate::parse_s3_uri(location) {
            Some((bucket, prefix)) => {
                AnyStore::S3(S3Store::new(S3Store::client_from_env().await, bucket, prefix))
            }
            None => AnyStore::Local(LocalStore::new(location)),
        }
    }
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Local($s) => $e,
            AnyStore::S3($s) => $e,
        }
    };
}

impl ObjectStore for AnyStore {
    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>> {
        delegate!(self, s => s.head(key).await)
    }
    async fn download(&self, key: &str, dest: &Path) -> Result<ObjectMeta> {
        delegate!(self, s => s.download(key, dest).await)
    }
    async fn upload_file(&self, key: &str, src: &Path) -> Result<()> {
        delegate!(self, s => s.upload_file(key, src).await)
    }
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        delegate!(self, s => s.put(key, bytes).await)
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        delegate!(self, s => s.get(key).await)
    }
    async fn get_tagged(&self, key: &str) -> Result<Option<(Vec<u8>, String)>> {
        delegate!(self, s => s.get_tagged(key).await)
    }
    async fn put_if(&self, key: &str, bytes: Vec<u8>, expected: Option<&str>) -> Result<Option<String>> {
        delegate!(self, s => s.put_if(key, bytes, expected).await)
    }
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        delegate!(self, s => s.list(prefix).await)
    }
    async fn delete(&self, key: &str) -> Result<()> {
        delegate!(self, s => s.delete(key).await)
    }
    fn describe(&self) -> String {
        delegate!(self, s => s.describe())
    }
}
