//! Output names. Data files, quarantine files and reports are named after the source key and the
//! object version: two versions of one upload never share a key, so a run still writing an old
//! version (two runs of one key overlap when a corrected export follows within minutes) cannot
//! overwrite the newer version's files, and a run that loses can remove its own. Which files a
//! source has now is recorded in its manifest (`state/ingest/sources/`), and a corrected re-upload
//! retires the previous version's files once it has published its own.

use sha2::{Digest, Sha256};

/// `<readable slug>-<8 hex of sha256(key)>`: readable in a listing, unique per key, ASCII-only so every
/// downstream tool accepts it whatever the uploader named the file (Persian names, spaces…).
pub fn source_id(key: &str) -> String {
    let file = key.rsplit('/').next().unwrap_or(key);
    let stem = file.split('.').next().unwrap_or(file);
    let mut slug = String::new();
    for ch in stem.chars() {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch.to_ascii_lowercase());
        } else if !slug.ends_with('_') && !slug.is_empty() {
            slug.push('_');
        }
        if slug.len() >= 48 {
            break;
        }
    }
    let slug = slug.trim_end_matches('_');
    let hash = hex8(key.as_bytes());
    if slug.is_empty() {
        format!("src-{hash}")
    } else {
        format!("{slug}-{hash}")
    }
}

/// Where the report of one version of a source goes (`unknown/` when the dataset could not be told).
pub fn report_key(dataset: Option<crate::schema::Dataset>, source_id: &str, version: &str) -> String {
    format!(
        "reports/ingest/{}/{source_id}/{version}.json",
        dataset.map_or("unknown", crate::schema::Dataset::name)
    )
}

/// A short, filesystem-safe tag for one version of a source (its ETag or version id).
pub fn version_tag(etag: Option<&str>, version_id: Option<&str>) -> String {
    match (version_id, etag) {
        (Some(v), _) if !v.is_empty() && v != "null" => format!("v-{}", hex8(v.as_bytes())),
        (_, Some(e)) if !e.is_empty() => format!("e-{}", hex8(e.trim_matches('"').as_bytes())),
        _ => "unversioned".to_string(),
    }
}

/// The name of a version's data and quarantine files, before the extension:
/// `<source_id>.<version tag>` (e.g. `online_retail_2023-1a2b3c4d.e-9f8e7d6c`).
pub fn file_stem(source_id: &str, version: &str) -> String {
    format!("{source_id}.{version}")
}

/// The first 8 hex digits of the bytes' SHA-256.
pub(crate) fn hex8(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d[..4].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_readable_and_distinct() {
        let a = source_id("incoming/sales/Online Retail 2011.csv");
        assert!(a.starts_with("online_retail_2011-"), "{a}");
        assert_eq!(a, source_id("incoming/sales/Online Retail 2011.csv"));
        assert_ne!(a, source_id("incoming/sales/online retail 2011.csv"));
        let p = source_id("incoming/sales/فروش ۱۴۰۲.csv");
        assert!(p.starts_with("src-") && p.is_ascii(), "{p}");
        assert_eq!(version_tag(Some("\"abc\""), None), version_tag(Some("abc"), None));
        assert_ne!(
            version_tag(Some("abc"), Some("v1")),
            version_tag(Some("abc"), Some("v2"))
        );
    }
}
