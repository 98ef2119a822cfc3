//! Rejected rows, one JSON object per line, with everything needed to fix and re-upload them.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::rows::Row;
use super::writer::OutputFile;
use crate::error::{EngineError, Result};

#[derive(Serialize)]
struct Entry<'a> {
    line: u64,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<Vec<&'a str>>,
    /// The row's refusal of marketing was kept although the row was not (see
    /// `convert::refusals`): the person stays off the lists.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    refusal_kept: bool,
}

pub struct Quarantine {
    key: String,
    path: PathBuf,
    out: Option<BufWriter<File>>,
    rows: u64,
}

impl Quarantine {
    pub fn new(staging: &Path, key: String) -> Self {
        let path = staging.join(&key);
        Quarantine {
            key,
            path,
            out: None,
            rows: 0,
        }
    }

    fn out(&mut self) -> Result<&mut BufWriter<File>> {
        if self.out.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| EngineError::io(dir, e))?;
            }
            let f = File::create(&self.path).map_err(|e| EngineError::io(&self.path, e))?;
            self.out = Some(BufWriter::new(f));
        }
        Ok(self.out.as_mut().expect("created above"))
    }

    pub fn reject(
        &mut self,
        line: u64,
        reason: &str,
        column: Option<(&str, &str)>,
        detail: Option<&str>,
        record: Option<&Row<'_>>,
        refusal_kept: bool,
    ) -> Result<()> {
        let entry = Entry {
            line,
            reason,
            column: column.map(|c| c.0),
            value: column.map(|c| c.1),
            detail,
            record: record.map(|r| r.iter().collect()),
            refusal_kept,
        };
        let path = self.path.clone();
        let out = self.out()?;
        serde_json::to_writer(&mut *out, &entry)?;
        out.write_all(b"\n").map_err(|e| EngineError::io(&path, e))?;
        self.rows += 1;
        Ok(())
    }

    pub fn finish(self) -> Result<Option<OutputFile>> {
        match self.out {
            None => Ok(None),
            Some(mut w) => {
                w.flush().map_err(|e| EngineError::io(&self.path, e))?;
                Ok(Some(OutputFile {
                    key: self.key,
                    path: self.path,
                    rows: self.rows,
                }))
            }
        }
    }
}
