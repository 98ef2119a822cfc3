use crate::mapping::MappingError;

/// Why a whole input was not ingested. These are final: retrying the same bytes gives the same
/// answer, so handlers write a report and acknowledge the event instead of failing it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RejectReason {
    #[error("the file is empty")]
    Empty,
    /// A file that is well-formed but lists nothing (`[]`, `{"orders": []}`): an API's empty
    /// page, told as empty rather than as a file of the wrong kind.
    #[error("the file holds no records: {0}")]
    NoRecords(String),
    #[error("the file is binary data, not a text, Excel or JSON export ({0})")]
    Binary(String),
    #[error("{0}")]
    UnsupportedFormat(String),
    #[error(
        "the file expands to more than {limit} bytes when decompressed (compressed size {compressed}); refusing it as a possible compression bomb"
    )]
    CompressionBomb { compressed: u64, limit: u64 },
    #[error("the file is {size} bytes, above the configured limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error(
        "the workbook holds {size} bytes of sheets, shared strings, styles and other parts (uncompressed, with what its styles and shared strings take once read), more than can be read at once here ({limit} bytes); save it as CSV (UTF-8) or split it into smaller workbooks, and upload those"
    )]
    WorkbookTooLarge { size: u64, limit: u64 },
    /// A sheet whose used cells are few but far apart (a stray value at `XFD1048576`): read
    /// row by row, its rows that hold anything times its columns are more cells than fit.
    #[error(
        "sheet \"{sheet}\" spans {range}: its {rows} rows with data × {columns} columns are more cells than can be read at once here ({limit} cells); delete what lies outside the data (a stray value far below or to the right of it) or save the sheet as CSV (UTF-8), and upload it again"
    )]
    SheetTooLarge {
        sheet: String,
        range: String,
        rows: u64,
        columns: u64,
        limit: u64,
    },
    /// An `.xls` file whose sheets the reader would lay out larger than fits, before reading any
    /// cell: cells far apart (its grid spans them all), a declared size, shared strings copied.
    #[error(
        "sheet \"{sheet}\"{range} would take the workbook's sheets to {bytes} bytes as the .xls reader lays them out (a grid of every cell from the first to the last, shared texts copied into each cell), more than can be read at once here ({limit} bytes); delete what lies outside the data (a stray value far below or to the right of it), or save the workbook as .xlsx or CSV (UTF-8), and upload it again"
    )]
    XlsTooLarge {
        sheet: String,
        /// " spans A1:IV65536 and", or empty when it holds no cell.
        range: String,
        bytes: u64,
        limit: u64,
    },
    /// A sheet whose cells repeat long shared strings: small as XML, each reference is a copy of
    /// the text once read.
    #[error(
        "sheet \"{sheet}\" holds more than {limit} bytes of text once its shared strings are written into its cells (a long text repeated in many cells), more than can be read at once here; save the sheet as CSV (UTF-8), and upload it again"
    )]
    SheetTextTooLarge { sheet: String, limit: u64 },
    /// One element of a JSON array (an order with its line items, say) too large to be read
    /// at once; the file itself may be valid JSON.
    #[error(
        "{what} is {size} bytes, more than the {limit} bytes one JSON record may hold to be read here; export the data in smaller pages, or as JSON Lines or CSV, and upload those"
    )]
    JsonElementTooLarge { what: String, size: u64, limit: u64 },
    #[error("could not tell which dataset this is (sales, customers or activity): {0}")]
    UnknownDataset(String),
    #[error("this does not look like {} {dataset} export: {source}", article(dataset))]
    MissingColumns {
        dataset: &'static str,
        source: MappingError,
    },
    #[error("the file is not readable as {format}: {detail}")]
    Malformed { format: &'static str, detail: String },
    #[error("the mapping file does not fit this export: {0}")]
    MappingConflict(String),
}

/// "a sales export", "a customers export", "an activity export".
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

impl RejectReason {
    /// Stable machine-readable code for reports and alarms.
    pub fn code(&self) -> &'static str {
        match self {
            RejectReason::Empty | RejectReason::NoRecords(_) => "empty_file",
            RejectReason::Binary(_) => "binary_file",
            RejectReason::UnsupportedFormat(_) => "unsupported_format",
            RejectReason::CompressionBomb { .. } => "compression_bomb",
            RejectReason::TooLarge { .. }
            | RejectReason::WorkbookTooLarge { .. }
            | RejectReason::SheetTooLarge { .. }
            | RejectReason::SheetTextTooLarge { .. }
            | RejectReason::XlsTooLarge { .. }
            | RejectReason::JsonElementTooLarge { .. } => "too_large",
            RejectReason::UnknownDataset(_) => "unknown_dataset",
            RejectReason::MissingColumns { .. } => "missing_columns",
            RejectReason::Malformed { .. } => "malformed_file",
            RejectReason::MappingConflict(_) => "mapping_conflict",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_takes_its_article() {
        let missing = |dataset| RejectReason::MissingColumns {
            dataset,
            source: MappingError::BadOverride("x".into()),
        };
        assert!(
            missing("activity")
                .to_string()
                .starts_with("this does not look like an activity export: ")
        );
        assert!(
            missing("sales")
                .to_string()
                .starts_with("this does not look like a sales export: ")
        );
        assert!(
            missing("customers")
                .to_string()
                .starts_with("this does not look like a customers export: ")
        );
    }
}
