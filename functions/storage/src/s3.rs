use std::path::Path;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{ObjectMeta, ObjectStore, Result, StorageError};

/// Parts of a multipart upload. 16 MiB keeps memory small and stays far below the 10,000-part
/// limit up to 160 GB.
const PART_BYTES: usize = 16 * 1024 * 1024;
/// Downloads interrupted mid-stream are restarted this many times before giving up.
const DOWNLOAD_ATTEMPTS: u32 = 3;

/// `text` with its control characters (and Unicode line separators) escaped, `\n` for a line
/// break: as `segflow_engine::printable` shows text, which this crate does not depend on.
fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            true => out.extend(c.escape_debug()),
            false => out.push(c),
        }
    }
    out
}

#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
}

fn classify<E>(what: &str, key: &str, e: SdkError<E, HttpResponse>) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let transient = match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(s) => {
            let status = s.raw().status().as_u16();
            status >= 500 || status == 429 || matches!(s.err().code(), Some("SlowDown" | "RequestTimeout"))
        }
        _ => false,
    };
    let code = e.code().map(str::to_string);
    let msg = format!("{what} {key}: {}", describe(&e));
    if matches!(code.as_deref(), Some("NoSuchKey" | "NotFound")) {
        StorageError::NotFound(key.to_string())
    } else if transient {
        StorageError::Transient(msg)
    } else {
        StorageError::Other(msg)
    }
}

/// A short, readable account of an SDK error, for messages that reach Lambda's `errorMessage`
/// and the logs: the HTTP status, S3's error code and message for an answer, or the chain of
/// causes for a request that got none (timeout, connection refused). Never the SDK's `Debug`
/// dump (raw response, headers and all), which `DisplayErrorContext` appends.
fn describe<E>(e: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let SdkError::ServiceError(s) = e {
        let status = s.raw().status().as_u16();
        let code = s.err().code().unwrap_or("no error code");
        return match s.err().message().filter(|m| !m.is_empty()) {
            Some(m) => format!("HTTP {status} {code}: {m}"),
            None => format!("HTTP {status} {code}"),
        };
    }
    // The causes' own texts, outermost first, each once.
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// The SDK's hyper + rustls client with ring as the crypto provider (the SDK default, aws-lc, adds
/// ~1.3 MB to each binary). Plain `http://` endpoints, such as a local S3 server, work too.
pub fn https_client() -> aws_sdk_s3::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

impl S3Store {
    pub fn new(client: Client, bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        S3Store {
            client,
            bucket: bucket.into(),
            prefix: prefix.into().trim_matches('/').to_string(),
        }
    }

    /// A client from the standard AWS environment. `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`) points
    /// it at any S3-compatible server; such servers usually want path-style addressing.
    pub async fn client_from_env() -> Client {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(https_client())
            .load()
            .await;
        let custom = std::env::var_os("AWS_ENDPOINT_URL").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        let s3conf = aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(custom)
            .build();
        Client::from_conf(s3conf)
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn full(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{}", self.prefix, key)
        }
    }

    fn rel(&self, full: &str) -> String {
        if self.prefix.is_empty() {
            full.to_string()
        } else {
            full.strip_prefix(&self.prefix)
                .map(|k| k.trim_start_matches('/'))
                .unwrap_or(full)
                .to_string()
        }
    }

    /// S3 answers a read of a missing key with 403 instead of 404 when the caller may not list the
    /// bucket without a prefix condition, as our least-privilege roles may not. A listing of exactly
    /// that key (allowed by the prefix-scoped ListBucket) tells "missing" from "really forbidden".
    async fn missing_despite_403(&self, full: &str) -> bool {
        match self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(full)
            .max_keys(1)
            .send()
            .await
        {
            Ok(r) => !r.contents().iter().any(|o| o.key() == Some(full)),
            Err(_) => false,
        }
    }

    async fn download_once(&self, key: &str, dest: &Path) -> Result<ObjectMeta> {
        let full = self.full(key);
        let resp = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&full)
            .send()
            .await
        {
            Ok(r) => r,
            // A file listed a moment ago and deleted since (a corrected upload retiring a month)
            // answers 403 to our roles, as for `head`.
            Err(SdkError::ServiceError(s))
                if s.raw().status().as_u16() == 403 && self.missing_despite_403(&full).await =>
            {
                return Err(StorageError::NotFound(key.to_string()));
            }
            Err(e) => return Err(classify("GetObject", &full, e)),
        };
        let meta = ObjectMeta {
            key: key.to_string(),
            size: resp.content_length().unwrap_or(0).max(0) as u64,
            etag: resp.e_tag().map(str::to_string),
            version_id: resp.version_id().map(str::to_string),
        };
        let mut file = tokio::fs::File::create(dest)
            .await
            .map_err(|e| StorageError::io(dest, e))?;
        let mut body = resp.body;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| StorageError::Transient(format!("reading {full}: {e}")))?
        {
            file.write_all(&chunk)
                .await
                .map_err(|e| StorageError::io(dest, e))?;
        }
        file.flush().await.map_err(|e| StorageError::io(dest, e))?;
        Ok(meta)
    }

    async fn upload_multipart(&self, full: &str, src: &Path) -> Result<()> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(full)
            .send()
            .await
            .map_err(|e| classify("CreateMultipartUpload", full, e))?;
        let upload_id = created.upload_id().unwrap_or_default().to_string();
        let result = async {
            let mut file = tokio::fs::File::open(src)
                .await
                .map_err(|e| StorageError::io(src, e))?;
            let mut parts = Vec::new();
            let mut number = 1;
            loop {
                let mut buf = Vec::with_capacity(PART_BYTES);
                (&mut file)
                    .take(PART_BYTES as u64)
                    .read_to_end(&mut buf)
                    .await
                    .map_err(|e| StorageError::io(src, e))?;
                if buf.is_empty() {
                    break;
                }
                let part = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(full)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .body(ByteStream::from(buf))
                    .send()
                    .await
                    .map_err(|e| classify("UploadPart", full, e))?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(part.e_tag().map(str::to_string))
                        .build(),
                );
                number += 1;
            }
            self.client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(full)
                .upload_id(&upload_id)
                .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
                .send()
                .await
                .map_err(|e| classify("CompleteMultipartUpload", full, e))?;
            Ok(())
        }
        .await;
        if result.is_err() {
            // Do not leave billable orphan parts behind.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(full)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }
}

impl ObjectStore for S3Store {
    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>> {
        let full = self.full(key);
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(&full)
            .send()
            .await
        {
            Ok(r) => Ok(Some(ObjectMeta {
                key: key.to_string(),
                size: r.content_length().unwrap_or(0).max(0) as u64,
                etag: r.e_tag().map(str::to_string),
                version_id: r.version_id().map(str::to_string),
            })),
            Err(SdkError::ServiceError(s)) if s.raw().status().as_u16() == 404 => Ok(None),
            Err(SdkError::ServiceError(s))
                if s.raw().status().as_u16() == 403 && self.missing_despite_403(&full).await =>
            {
                Ok(None)
            }
            Err(e) => Err(classify("HeadObject", &full, e)),
        }
    }

    async fn download(&self, key: &str, dest: &Path) -> Result<ObjectMeta> {
        let mut attempt = 1;
        loop {
            match self.download_once(key, dest).await {
                Err(e) if e.is_retryable() && attempt < DOWNLOAD_ATTEMPTS => {
                    // The error names the key, which may hold any character: a line break in it must
                    // not start a line of its own in the log.
                    let error = escape_controls(&e.to_string());
                    tracing::warn!(attempt, %error, "download interrupted, retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt))).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn upload_file(&self, key: &str, src: &Path) -> Result<()> {
        let full = self.full(key);
        let size = tokio::fs::metadata(src)
            .await
            .map_err(|e| StorageError::io(src, e))?
            .len();
        if size as usize > PART_BYTES {
            return self.upload_multipart(&full, src).await;
        }
        let body = ByteStream::from_path(src)
            .await
            .map_err(|e| StorageError::Other(format!("{}: {e}", src.display())))?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&full)
            .body(body)
            .send()
            .await
            .map_err(|e| classify("PutObject", &full, e))?;
        Ok(())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        let full = self.full(key);
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&full)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| classify("PutObject", &full, e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_tagged(key).await?.map(|(bytes, _)| bytes))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let full = self.full(prefix);
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&full)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("ListObjectsV2", &full, e))?;
            for o in page.contents() {
                if let Some(k) = o.key() {
                    out.push(ObjectMeta {
                        key: self.rel(k),
                        size: o.size().unwrap_or(0).max(0) as u64,
                        etag: o.e_tag().map(str::to_string),
                        version_id: None,
                    });
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let full = self.full(key);
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(&full)
            .send()
            .await
            .map_err(|e| classify("DeleteObject", &full, e))?;
        Ok(())
    }

    async fn get_tagged(&self, key: &str) -> Result<Option<(Vec<u8>, String)>> {
        let full = self.full(key);
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&full)
            .send()
            .await
        {
            Ok(r) => {
                let tag = r.e_tag().unwrap_or_default().to_string();
                let data = r
                    .body
                    .collect()
                    .await
                    .map_err(|e| StorageError::Transient(format!("reading {full}: {e}")))?;
                Ok(Some((data.into_bytes().to_vec(), tag)))
            }
            Err(SdkError::ServiceError(s))
                if s.raw().status().as_u16() == 403 && self.missing_despite_403(&full).await =>
            {
                Ok(None)
            }
            Err(e) => match classify("GetObject", &full, e) {
                StorageError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    /// A conditional PutObject: `If-Match: <etag>` to replace, `If-None-Match: *` to create.
    /// S3 answers 412 when the condition fails (404 when there is no object to match), and 409 when
    /// another conditional write to the key is in flight: all mean someone else wrote it meanwhile.
    async fn put_if(&self, key: &str, bytes: Vec<u8>, expected: Option<&str>) -> Result<Option<String>> {
        let full = self.full(key);
        let req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&full)
            .body(ByteStream::from(bytes));
        let req = match expected {
            Some(tag) => req.if_match(tag),
            None => req.if_none_match("*"),
        };
        match req.send().await {
            Ok(r) => Ok(Some(r.e_tag().unwrap_or_default().to_string())),
            Err(SdkError::ServiceError(s)) if matches!(s.raw().status().as_u16(), 409 | 412) => Ok(None),
            // If-Match on a key that has no object (any more).
            Err(SdkError::ServiceError(s)) if expected.is_some() && s.raw().status().as_u16() == 404 => {
                Ok(None)
            }
            Err(e) => Err(classify("PutObject", &full, e)),
        }
    }

    fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_in_a_logged_error_are_escaped() {
        assert_eq!(
            super::escape_controls(
                "GetObject incoming/sales/x\nERROR \u{1b}[2J فروش\u{200c}ها.csv: HTTP 503"
            ),
            "GetObject incoming/sales/x\\nERROR \\u{1b}[2J فروش\u{200c}ها.csv: HTTP 503"
        );
    }
}
