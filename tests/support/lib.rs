//! Shared helpers for the end-to-end tests: a real S3-protocol server (s3s + s3s-fs) started
//! in-process on a loopback port, a real `aws-sdk-s3` client for it, fixtures and Parquet readers.

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use hyper_util::rt::{TokioExecutor, TokioIo};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use segflow_storage::{ObjectMeta, ObjectStore, S3Store, StorageError};

pub const BUCKET: &str = "segflow-data";
const ACCESS_KEY: &str = "segflow-test";
const SECRET_KEY: &str = "segflow-test-secret";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("fixtures").join(rel)
}

pub fn event(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture(&format!("events/{name}"))).expect("event fixture");
    serde_json::from_str(&text).expect("event fixture is JSON")
}

/// An S3 server backed by a temporary folder; stops with the test's runtime.
pub struct S3Server {
    pub endpoint: String,
    pub client: aws_sdk_s3::Client,
    _root: tempfile::TempDir,
}

pub fn client_for(endpoint: &str) -> aws_sdk_s3::Client {
    client_signing_with(endpoint, SECRET_KEY)
}

/// A client that signs with `secret`: with another than the server's, every request is refused
/// (403), as a role without the grant is.
pub fn client_signing_with(endpoint: &str, secret: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(ACCESS_KEY, secret, None, None, "tests"))
        .force_path_style(true)
        .http_client(segflow_storage::https_client())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Answers as S3 does to a role without an unconditioned `s3:ListBucket` (ours): a read of a
/// missing key is 403 AccessDenied, not 404. Listing stays allowed, as the roles' prefix-scoped
/// ListBucket allows it.
struct LikeIam {
    root: PathBuf,
}

#[async_trait::async_trait]
impl s3s::access::S3Access for LikeIam {
    async fn check(&self, cx: &mut s3s::access::S3AccessContext<'_>) -> s3s::S3Result<()> {
        if cx.credentials().is_none() {
            return Err(s3s::s3_error!(AccessDenied, "signed requests only"));
        }
        if matches!(cx.s3_op().name(), "GetObject" | "HeadObject")
            && let s3s::path::S3Path::Object { bucket, key } = cx.s3_path()
            && !self.root.join(bucket.as_ref()).join(key.as_ref()).is_file()
        {
            return Err(s3s::s3_error!(AccessDenied));
        }
        Ok(())
    }
}

impl S3Server {
    pub async fn start() -> S3Server {
        Self::start_with(false).await
    }

    /// A server that answers reads of missing keys with 403, as S3 answers our functions' roles.
    pub async fn start_like_aws() -> S3Server {
        Self::start_with(true).await
    }

    async fn start_with(like_iam: bool) -> S3Server {
        let root = tempfile::tempdir().expect("temp dir");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        if like_iam {
            builder.set_access(LikeIam {
                root: root.path().to_path_buf(),
            });
        }
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        let client = client_for(&endpoint);
        client
            .create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .expect("create bucket");
        S3Server {
            endpoint,
            client,
            _root: root,
        }
    }

    pub fn store(&self) -> S3Store {
        S3Store::new(self.client.clone(), BUCKET, "")
    }

    pub async fn upload(&self, key: &str, file: &Path) {
        self.upload_bytes(key, std::fs::read(file).expect("fixture readable"))
            .await;
    }

    pub async fn upload_bytes(&self, key: &str, bytes: Vec<u8>) {
        self.client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .expect("put");
    }

    pub async fn get(&self, key: &str) -> Vec<u8> {
        let o = self
            .client
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("get {key}: {e:?}"));
        o.body.collect().await.expect("body").into_bytes().to_vec()
    }

    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(p) = pages.next().await {
            for o in p.expect("list").contents() {
                out.push(o.key().unwrap_or_default().to_string());
            }
        }
        out.sort();
        out
    }

    pub async fn json(&self, key: &str) -> serde_json::Value {
        serde_json::from_slice(&self.get(key).await).expect("json object")
    }

    pub async fn delete(&self, key: &str) {
        self.client
            .delete_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .expect("delete");
    }
}

/// The server's store with one thing made to happen around a call, for tests of what the code
/// does then: another version uploaded while an object is downloaded (two runs on one key), or
/// the upload of one key failing (a run cut short part-way). Every other call goes to the server.
pub struct Hooked {
    pub inner: S3Store,
    /// After a download, these bytes are put under the downloaded key.
    pub upload_during_download: Option<Vec<u8>>,
    /// Uploads of this key fail.
    pub fail_upload_of: Option<String>,
    /// After a listing, this key is deleted (a corrected upload retiring a month meanwhile).
    pub delete_after_list: Option<String>,
    /// Conditional writes of keys under this prefix fail (S3 answering 503 to the manifest).
    pub fail_put_if_under: Option<String>,
}

impl ObjectStore for Hooked {
    async fn head(&self, key: &str) -> segflow_storage::Result<Option<ObjectMeta>> {
        self.inner.head(key).await
    }
    async fn download(&self, key: &str, dest: &Path) -> segflow_storage::Result<ObjectMeta> {
        let meta = self.inner.download(key, dest).await?;
        if let Some(bytes) = &self.upload_during_download {
            self.inner.put(key, bytes.clone()).await?;
        }
        Ok(meta)
    }
    async fn upload_file(&self, key: &str, src: &Path) -> segflow_storage::Result<()> {
        if self.fail_upload_of.as_deref() == Some(key) {
            return Err(StorageError::Transient(format!(
                "injected failure uploading {key}"
            )));
        }
        self.inner.upload_file(key, src).await
    }
    async fn put(&self, key: &str, bytes: Vec<u8>) -> segflow_storage::Result<()> {
        self.inner.put(key, bytes).await
    }
    async fn get(&self, key: &str) -> segflow_storage::Result<Option<Vec<u8>>> {
        self.inner.get(key).await
    }
    async fn get_tagged(&self, key: &str) -> segflow_storage::Result<Option<(Vec<u8>, String)>> {
        self.inner.get_tagged(key).await
    }
    async fn put_if(
        &self,
        key: &str,
        bytes: Vec<u8>,
        expected: Option<&str>,
    ) -> segflow_storage::Result<Option<String>> {
        if self
            .fail_put_if_under
            .as_deref()
            .is_some_and(|p| key.starts_with(p))
        {
            return Err(StorageError::Transient(format!("injected failure writing {key}")));
        }
        self.inner.put_if(key, bytes, expected).await
    }
    async fn list(&self, prefix: &str) -> segflow_storage::Result<Vec<ObjectMeta>> {
        let listed = self.inner.list(prefix).await?;
        if let Some(key) = self
            .delete_after_list
            .as_deref()
            .filter(|k| k.starts_with(prefix))
        {
            self.inner.delete(key).await?;
        }
        Ok(listed)
    }
    async fn delete(&self, key: &str) -> segflow_storage::Result<()> {
        self.inner.delete(key).await
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// Something done meanwhile, by [`BeforeWrite`].
pub type Hook = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// The server's store with something done (another run publishing) before the first write under a
/// prefix is forwarded: a slow PUT, made deterministic. Every other call goes to the server.
pub struct BeforeWrite {
    pub inner: S3Store,
    prefix: String,
    hook: std::sync::Mutex<Option<Hook>>,
}

impl BeforeWrite {
    pub fn new(inner: S3Store, prefix: &str, hook: Hook) -> BeforeWrite {
        BeforeWrite {
            inner,
            prefix: prefix.to_string(),
            hook: std::sync::Mutex::new(Some(hook)),
        }
    }

    async fn meanwhile(&self, key: &str) {
        let hook = if key.starts_with(&self.prefix) {
            self.hook.lock().unwrap().take()
        } else {
            None
        };
        if let Some(hook) = hook {
            hook.await;
        }
    }
}

impl ObjectStore for BeforeWrite {
    async fn head(&self, key: &str) -> segflow_storage::Result<Option<ObjectMeta>> {
        self.inner.head(key).await
    }
    async fn download(&self, key: &str, dest: &Path) -> segflow_storage::Result<ObjectMeta> {
        self.inner.download(key, dest).await
    }
    async fn upload_file(&self, key: &str, src: &Path) -> segflow_storage::Result<()> {
        self.meanwhile(key).await;
        self.inner.upload_file(key, src).await
    }
    async fn put(&self, key: &str, bytes: Vec<u8>) -> segflow_storage::Result<()> {
        self.meanwhile(key).await;
        self.inner.put(key, bytes).await
    }
    async fn get(&self, key: &str) -> segflow_storage::Result<Option<Vec<u8>>> {
        self.inner.get(key).await
    }
    async fn get_tagged(&self, key: &str) -> segflow_storage::Result<Option<(Vec<u8>, String)>> {
        self.inner.get_tagged(key).await
    }
    async fn put_if(
        &self,
        key: &str,
        bytes: Vec<u8>,
        expected: Option<&str>,
    ) -> segflow_storage::Result<Option<String>> {
        self.meanwhile(key).await;
        self.inner.put_if(key, bytes, expected).await
    }
    async fn list(&self, prefix: &str) -> segflow_storage::Result<Vec<ObjectMeta>> {
        self.inner.list(prefix).await
    }
    async fn delete(&self, key: &str) -> segflow_storage::Result<()> {
        self.inner.delete(key).await
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// Reads a Parquet file's bytes into batches.
pub fn read_parquet(bytes: Vec<u8>) -> Vec<RecordBatch> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .expect("parquet")
        .build()
        .expect("reader");
    reader.collect::<Result<Vec<_>, _>>().expect("batches")
}

pub fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

/// A Glue table as `infra/athena_tables.json` declares it (the infra tests check the template
/// against the same file).
#[derive(Debug)]
pub struct AthenaTable {
    pub name: String,
    /// Below the bucket, ending in `/`.
    pub location: String,
    /// The Hive partition column (`<partition>=<value>/` folders under the location); `None`:
    /// the files lie in the location itself.
    pub partition: Option<String>,
    /// Column name and Athena type, in order.
    pub columns: Vec<(String, String)>,
}

pub fn athena_tables() -> Vec<AthenaTable> {
    let path = repo_root().join("infra/athena_tables.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("athena_tables.json")).expect("JSON");
    let tables = doc["tables"].as_object().expect("tables");
    tables
        .iter()
        .map(|(name, t)| {
            let s = |k: &str| t[k].as_str().expect(k).to_string();
            let columns = t["columns"]
                .as_array()
                .expect("columns")
                .iter()
                .map(|c| {
                    (
                        c[0].as_str().unwrap().to_string(),
                        c[1].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            AthenaTable {
                name: name.clone(),
                location: s("location"),
                partition: t["partition"].as_str().map(str::to_string),
                columns,
            }
        })
        .collect()
}

/// A Parquet file's columns with the Athena type that reads each one, from the file's own
/// physical and logical types (not Arrow's view of them): `string` over UTF-8 BYTE_ARRAY, `int`
/// over INT32, `bigint` over INT64, `double`, `boolean`, `date` over INT32 DATE, `timestamp` over
/// INT64 TIMESTAMP. Anything else (nested or other types) panics: no table declares one.
pub fn athena_columns(bytes: Vec<u8>) -> Vec<(String, String)> {
    use parquet::basic::{LogicalType, Type as Physical};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).expect("parquet");
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    schema
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| {
            let name = f.name().to_string();
            assert!(f.is_primitive(), "{name}: nested column");
            let logical = f.get_basic_info().logical_type_ref();
            let int = |bits: i8| match logical {
                None => true,
                Some(LogicalType::Integer(t)) => t.bit_width == bits && t.is_signed,
                _ => false,
            };
            let ty = match (f.get_physical_type(), logical) {
                (Physical::BYTE_ARRAY, Some(LogicalType::String)) => "string",
                (Physical::INT32, Some(LogicalType::Date)) => "date",
                (Physical::INT32, _) if int(32) => "int",
                (Physical::INT64, Some(LogicalType::Timestamp(_))) => "timestamp",
                (Physical::INT64, _) if int(64) => "bigint",
                (Physical::DOUBLE, None) => "double",
                (Physical::BOOLEAN, None) => "boolean",
                (p, l) => panic!("{name}: {p:?} {l:?} has no Athena type declared here"),
            };
            (name, ty.to_string())
        })
        .collect()
}
