//! Refusals of marketing carried by rows that are quarantined. A row is quarantined whole when
//! its date or amount cannot be read, but an unsubscribe or a "no" at checkout means the same
//! whatever else the row got wrong: dropping it with the row would put the person back on the
//! activation lists. So a quarantined row that carries a refusal under a key (a customer
//! number, an email, a mobile) leaves that refusal behind, as a row of `curated/refusals/`: the
//! activity columns, `event_type` `unsubscribe`, `event_ts` null (the time is what could not be
//! read). The segmentation reads them as unsubscribes dated after any run date, which the lists
//! obey whatever their date. Only refusals are kept: a "yes" on a row that could not be read
//! lets no one in. The row itself stays quarantined and counted as rejected.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{Field as ArrowField, SchemaRef};

use super::activity::activity_schema;
use super::{batch_by_name, constant_text, schema_of};
use crate::error::Result;

/// Where the refusals go, beside the datasets' folders; one file per source version.
pub const REFUSALS_PREFIX: &str = "curated/refusals";

/// The activity columns, with `event_ts` nullable: a refusal kept from a row whose time could
/// not be read has none (and one kept from a sales row has no event time of its own).
pub fn refusals_schema() -> SchemaRef {
    let fields: Vec<ArrowField> = activity_schema()
        .fields()
        .iter()
        .map(|f| match f.name().as_str() {
            "event_ts" => f.as_ref().clone().with_nullable(true),
            _ => f.as_ref().clone(),
        })
        .collect();
    schema_of(fields)
}

/// The refusals kept since the last batch. Rows are appended only for quarantined rows, so none
/// of this runs for a row that is written.
pub(crate) struct Refusals {
    contact: StringBuilder,
    email: StringBuilder,
    phone: StringBuilder,
    event_raw: StringBuilder,
    source_line: Int64Builder,
    rows: usize,
    schema: SchemaRef,
}

impl Refusals {
    pub(crate) fn new() -> Self {
        Refusals {
            contact: StringBuilder::new(),
            email: StringBuilder::new(),
            phone: StringBuilder::new(),
            event_raw: StringBuilder::new(),
            source_line: Int64Builder::new(),
            rows: 0,
            schema: refusals_schema(),
        }
    }

    /// The person keyed `contact` (with `email` and `phone` in their key forms) refused on
    /// `line`; `event_raw` is the event as exported, None for a consent cell.
    pub(crate) fn keep(
        &mut self,
        line: u64,
        contact: &str,
        (email, phone): (Option<&str>, Option<&str>),
        event_raw: Option<&str>,
    ) {
        self.contact.append_value(contact);
        self.email.append_option(email);
        self.phone.append_option(phone);
        self.event_raw.append_option(event_raw);
        self.source_line.append_value(line as i64);
        self.rows += 1;
    }

    pub(crate) fn buffered(&self) -> usize {
        self.rows
    }

    /// The refusals kept since the last call; None when there are none.
    pub(crate) fn finish_batch(&mut self, source_key: &str) -> Result<Option<RecordBatch>> {
        if self.rows == 0 {
            return Ok(None);
        }
        let rows = std::mem::take(&mut self.rows);
        batch_by_name(&self.schema, rows, source_key, |name| -> Option<ArrayRef> {
            Some(match name {
                "contact_id" => Arc::new(self.contact.finish()),
                "email" => Arc::new(self.email.finish()),
                "phone" => Arc::new(self.phone.finish()),
                "event_type" => constant_text("unsubscribe", rows),
                "event_raw" => Arc::new(self.event_raw.finish()),
                "source_line" => Arc::new(self.source_line.finish()),
                _ => return None,
            })
        })
        .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file reads as activity: the same columns in the same order and types, only the time
    /// may be missing.
    #[test]
    fn refusals_have_the_activity_columns_with_an_optional_time() {
        let (a, r) = (activity_schema(), refusals_schema());
        assert_eq!(a.fields().len(), r.fields().len());
        for (a, r) in a.fields().iter().zip(r.fields()) {
            assert_eq!((a.name(), a.data_type()), (r.name(), r.data_type()));
            assert_eq!(
                r.is_nullable(),
                a.is_nullable() || a.name() == "event_ts",
                "{}",
                a.name()
            );
        }
        let mut k = Refusals::new();
        assert!(k.finish_batch("incoming/activity/a.csv").unwrap().is_none());
        k.keep(
            7,
            "ann@x.example",
            (Some("ann@x.example"), None),
            Some("Unsubscribe"),
        );
        let b = k.finish_batch("incoming/activity/a.csv").unwrap().unwrap();
        assert_eq!(b.num_rows(), 1);
        assert_eq!(b.column_by_name("event_ts").unwrap().null_count(), 1);
        assert_eq!(k.buffered(), 0);
    }
}
