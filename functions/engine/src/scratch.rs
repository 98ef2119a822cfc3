//! The spool folders runs leave in the temp dir. A Lambda run cut short (a timeout, out of memory)
//! never drops its folder, and `/tmp` outlives the process in a warm environment: without a sweep
//! each such run shrinks the space the next uploads have, until they all fail.

use std::path::Path;

/// Removes folders under `dir` named `<prefix>…`, returning how many. Only for processes that run
/// one job at a time in `dir` (a Lambda environment at start-up): a folder of a live run would go too.
pub fn remove_leftovers(dir: &Path, prefix: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| std::fs::remove_dir_all(e.path()).is_ok())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_folders_go() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["segflow-ingest-a1", "segflow-ingest-b2/staging", "other-x"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(dir.path().join("segflow-ingest-file"), "x").unwrap();
        assert_eq!(remove_leftovers(dir.path(), "segflow-ingest-"), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["other-x", "segflow-ingest-file"]);
        assert_eq!(remove_leftovers(&dir.path().join("missing"), "segflow-"), 0);
    }
}
