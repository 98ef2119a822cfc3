use std::path::{Path, PathBuf};

use change_tag::etag_of;

use crate::{ObjectMeta, ObjectStore, Result, StorageError};

/// A folder laid out like the bucket. Writes go through a temporary file and a rename, so a reader
/// never sees half a file.
///
/// Objects are immutable, as in S3: a key is only ever replaced by a rename, never written in
/// place. So copies in and out of the folder are hard links where the filesystem allows (a
/// later write to the key gives it a new inode and leaves the linked copy as it was), and real
/// copies otherwise. A segment run over 10 M rows copied ~230 MB of Parquet and CSV through the page
/// cache, a tenth of its time. Callers must not write into a downloaded or uploaded file in place.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    fn meta(&self, key: &str, path: &Path) -> Result<Option<ObjectMeta>> {
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => Ok(Some(ObjectMeta {
                key: key.to_string(),
                size: m.len(),
                etag: Some(etag_of(&m)),
                version_id: None,
            })),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StorageError::io(path, e)),
        }
    }

    fn write_atomic(&self, key: &str, write: impl FnOnce(&Path) -> std::io::Result<()>) -> Result<()> {
        let dest = self.path(key);
        let dir = dest.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| StorageError::io(&dir, e))?;
        let tmp = dir.join(format!(
            ".{}.tmp",
            dest.file_name().and_then(|n| n.to_str()).unwrap_or("object")
        ));
        write(&tmp).map_err(|e| StorageError::io(&tmp, e))?;
        std::fs::rename(&tmp, &dest).map_err(|e| StorageError::io(&dest, e))
    }
}

/// A hard link to `src` at `dest`, else a copy (other filesystem, no link support). An existing
/// `dest` is removed first: it may be a link to `src` itself, which a copy would truncate. A
/// symbolic link is resolved first, since `link` would copy the link itself (and a relative one
/// would point elsewhere from `dest`).
fn link_or_copy(src: &Path, dest: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(dest) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let src = std::fs::canonicalize(src)?;
    match std::fs::hard_link(&src, dest) {
        Ok(()) => Ok(()),
        Err(_) => std::fs::copy(&src, dest).map(|_| ()),
    }
}

mod change_tag {
    use sha2::{Digest, Sha256};

    /// A change tag from size and modification time: what S3's ETag is for our purposes (did the
    /// object change?), without reading the file.
    pub fn etag_of(m: &std::fs::Metadata) -> String {
        let mut h = Sha256::new();
        h.update(m.len().to_le_bytes());
        if let Ok(d) = m
            .modified()
            .map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default())
        {
            h.update(d.as_nanos().to_le_bytes());
        }
        h.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A tag of the bytes themselves, for compare-and-swap.
    pub fn of_content(bytes: &[u8]) -> String {
        Sha256::digest(bytes)[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl ObjectStore for LocalStore {
    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>> {
        self.meta(key, &self.path(key))
    }

    async fn download(&self, key: &str, dest: &Path) -> Result<ObjectMeta> {
        let src = self.path(key);
        let meta = self
            .meta(key, &src)?
            .ok_or_else(|| StorageError::NotFound(key.to_string()))?;
        link_or_copy(&src, dest).map_err(|e| StorageError::io(&src, e))?;
        Ok(meta)
    }

    async fn upload_file(&self, key: &str, src: &Path) -> Result<()> {
        self.write_atomic(key, |tmp| link_or_copy(src, tmp))
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        self.write_atomic(key, |tmp| std::fs::write(tmp, &bytes))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let p = self.path(key);
        match std::fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StorageError::io(&p, e)),
        }
    }

    /// The tag is a hash of the content (not the size and modification time of `head`, which a
    /// filesystem with coarse timestamps may leave unchanged by a quick rewrite).
    async fn get_tagged(&self, key: &str) -> Result<Option<(Vec<u8>, String)>> {
        Ok(self.get(key).await?.map(|b| {
            let tag = change_tag::of_content(&b);
            (b, tag)
        }))
    }

    /// Compares with the current content's tag, then writes: atomic against readers, but not
    /// against a second writer between the two steps. A local folder is written by one process at
    /// a time (the CLI); concurrent writers need S3, where the condition is checked by the server.
    async fn put_if(&self, key: &str, bytes: Vec<u8>, expected: Option<&str>) -> Result<Option<String>> {
        let current = self.get_tagged(key).await?.map(|(_, tag)| tag);
        if current.as_deref() != expected {
            return Ok(None);
        }
        let tag = change_tag::of_content(&bytes);
        self.write_atomic(key, |tmp| std::fs::write(tmp, &bytes))?;
        Ok(Some(tag))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let mut out = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StorageError::io(&dir, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| StorageError::io(&dir, e))?;
                let path = entry.path();
                let rel = path
                    .strip_prefix(&self.root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                let name = entry.file_name();
                if name.to_string_lossy().starts_with('.') {
                    continue;
                }
                if path.is_dir() {
                    // Only descend where the prefix can still match.
                    let dir_key = format!("{rel}/");
                    if dir_key.starts_with(prefix) || prefix.starts_with(&dir_key) {
                        stack.push(path);
                    }
                } else if rel.starts_with(prefix)
                    && let Some(m) = self.meta(&rel, &path)?
                {
                    out.push(m);
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let p = self.path(key);
        match std::fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::io(&p, e)),
        }
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    /// Linked copies behave as copies: replacing a key, or a downloaded file, leaves the others.
    #[test]
    fn copies_in_and_out_are_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("bucket"));
        let staged = dir.path().join("staged.csv");
        std::fs::write(&staged, "v1").unwrap();
        block_on(store.upload_file("runs/a/out.csv", &staged)).unwrap();
        block_on(store.upload_file("latest/out.csv", &staged)).unwrap();
        let got = dir.path().join("got.csv");
        block_on(store.download("latest/out.csv", &got)).unwrap();
        // A second download onto an existing file replaces it (no link can be made there).
        block_on(store.download("runs/a/out.csv", &got)).unwrap();
        assert_eq!(std::fs::read_to_string(&got).unwrap(), "v1");

        block_on(store.put("latest/out.csv", b"v2".to_vec())).unwrap();
        std::fs::remove_file(&staged).unwrap();
        assert_eq!(block_on(store.get("latest/out.csv")).unwrap().unwrap(), b"v2");
        assert_eq!(block_on(store.get("runs/a/out.csv")).unwrap().unwrap(), b"v1");
        assert_eq!(std::fs::read_to_string(&got).unwrap(), "v1");
    }

    /// A conditional write succeeds only against the content it was read with, or, expecting
    /// nothing, only where there is no object yet.
    #[test]
    fn put_if_compares_with_the_current_content() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        let key = "state/m.json";
        assert_eq!(block_on(store.get_tagged(key)).unwrap(), None);
        let t1 = block_on(store.put_if(key, b"one".to_vec(), None))
            .unwrap()
            .expect("created");
        assert_eq!(
            block_on(store.put_if(key, b"again".to_vec(), None)).unwrap(),
            None
        );
        let (bytes, tag) = block_on(store.get_tagged(key)).unwrap().unwrap();
        assert_eq!((bytes.as_slice(), tag.as_str()), (&b"one"[..], t1.as_str()));
        let t2 = block_on(store.put_if(key, b"two".to_vec(), Some(&t1)))
            .unwrap()
            .expect("replaced");
        assert_ne!(t1, t2);
        // A writer still holding the first tag lost: nothing is written.
        assert_eq!(
            block_on(store.put_if(key, b"stale".to_vec(), Some(&t1))).unwrap(),
            None
        );
        assert_eq!(
            block_on(store.put_if(key, b"stale".to_vec(), Some("nonsense"))).unwrap(),
            None
        );
        assert_eq!(block_on(store.get(key)).unwrap().unwrap(), b"two");
        assert_eq!(block_on(store.get_tagged(key)).unwrap().unwrap().1, t2);
    }

    /// An object that is a relative symbolic link (an export linked into the folder) downloads
    /// as its target's content, not as a link that points nowhere from the download folder.
    #[cfg(unix)]
    #[test]
    fn a_symlinked_object_downloads_as_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let bucket = dir.path().join("bucket");
        std::fs::create_dir_all(bucket.join("curated")).unwrap();
        std::fs::write(bucket.join("real.csv"), "data").unwrap();
        std::os::unix::fs::symlink("../real.csv", bucket.join("curated/linked.csv")).unwrap();
        let store = LocalStore::new(&bucket);
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        let got = work.join("got.csv");
        block_on(store.download("curated/linked.csv", &got)).unwrap();
        assert_eq!(std::fs::read_to_string(&got).unwrap(), "data");
        assert!(!std::fs::symlink_metadata(&got).unwrap().file_type().is_symlink());
    }
}
