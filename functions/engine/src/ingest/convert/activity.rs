use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field as ArrowField, SchemaRef};

use super::*;
use crate::values::parse_duration_seconds;

struct Cols {
    contact: Option<usize>,
    email: Option<usize>,
    event: Option<usize>,
    time: Option<usize>,
    page: Option<usize>,
    duration: Option<usize>,
    job_title: Option<usize>,
}

pub fn activity_schema() -> SchemaRef {
    let mut fields = vec![
        ArrowField::new("contact_id", DataType::Utf8, false),
        utf8("email"),
        ArrowField::new("event_type", DataType::Utf8, false),
        utf8("event_raw"),
        ts_field("event_ts", false),
        utf8("page"),
        ArrowField::new("duration_seconds", DataType::Float64, true),
        utf8("job_title"),
    ];
    fields.extend(provenance_fields());
    schema_of(fields)
}

/// Canonical event types used by lead scoring; unknown events keep `other` and their raw text.
/// Matched after lower-casing, with hyphens, underscores and ZWNJ as spaces and Arabic letter
/// variants folded ("باز‌کردن ايميل" is "باز کردن ایمیل").
pub fn normalize_event_type(raw: &str) -> &'static str {
    let l: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            '-' | '_' | '\u{200C}' => ' ',
            c => crate::values::fold_char(c),
        })
        .flat_map(char::to_lowercase)
        .collect();
    let has = |words: &[&str]| words.iter().any(|w| l.contains(w));
    // Checked first: an "unsubscribe from newsletter" is an unsubscribe, and any wording of a
    // refusal must keep the contact out of the lists.
    if has(&[
        "unsubscrib",
        "opt out",
        "optout",
        "opted out",
        "optedout",
        "do not email",
        "do not contact",
        "spam complaint",
        "marked as spam",
        "abmeld",
        "abgemeldet",
        "لغو عضویت",
        "لغو اشتراک",
        "انصراف",
    ]) {
        "unsubscribe"
    } else if has(&["newsletter", "subscrib", "sign up", "signup", "خبرنامه", "عضویت"]) {
        "newsletter_signup"
    } else if has(&["download", "دانلود", "herunterlad"]) {
        "download"
    } else if has(&[
        "form",
        "submit",
        "فرم",
        "contact request",
        "demo request",
        "anfrage",
    ]) {
        "form_submit"
    } else if has(&["video", "webinar", "ویدیو", "ویدئو", "فیلم"]) {
        "video_view"
    } else if has(&[
        "email open",
        "mail open",
        "opened",
        "open",
        // "Opening the email", "email opened", "viewing the email".
        "باز کردن ایمیل",
        "بازکردن ایمیل",
        "باز شدن ایمیل",
        "ایمیل باز شد",
        "مشاهده ایمیل",
    ]) {
        "email_open"
    } else if has(&["click", "کلیک"]) {
        "email_click"
    } else if has(&["page", "view", "visit", "seitenaufruf", "بازدید", "صفحه"]) {
        "page_view"
    } else if has(&["purchase", "order", "kauf", "خرید"]) {
        "purchase"
    } else {
        "other"
    }
}

pub struct ActivityConverter {
    cols: Cols,
    dates: DateParser,
    source_key: String,
    tz_name: String,
    contact: StringBuilder,
    email: StringBuilder,
    event: StringBuilder,
    event_raw: StringBuilder,
    ts: TimestampMicrosecondBuilder,
    page: StringBuilder,
    duration: Float64Builder,
    job_title: StringBuilder,
    source_line: Int64Builder,
    months: Vec<i32>,
    stats: ConvertStats,
    schema: SchemaRef,
}

impl ActivityConverter {
    pub fn new(m: &ColumnMapping, samples: &[Row<'_>], cfg: &ConvertConfig) -> Self {
        let cols = Cols {
            contact: col(m, Field::CustomerId),
            email: col(m, Field::Email),
            event: col(m, Field::EventType),
            time: col(m, Field::EventTime),
            page: col(m, Field::Page),
            duration: col(m, Field::DurationSeconds),
            job_title: col(m, Field::JobTitle),
        };
        ActivityConverter {
            dates: date_parser(samples, cols.time, cfg),
            cols,
            source_key: cfg.source_key.clone(),
            tz_name: cfg.timezone.name().to_string(),
            contact: StringBuilder::new(),
            email: StringBuilder::new(),
            event: StringBuilder::new(),
            event_raw: StringBuilder::new(),
            ts: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            page: StringBuilder::new(),
            duration: Float64Builder::new(),
            job_title: StringBuilder::new(),
            source_line: Int64Builder::new(),
            months: Vec::new(),
            stats: ConvertStats::default(),
            schema: activity_schema(),
        }
    }
}

impl Converter for ActivityConverter {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn partition_column(&self) -> Option<&'static str> {
        Some("event_month")
    }

    fn push(&mut self, line: u64, rec: &Row<'_>) -> std::result::Result<(), RowReject> {
        let c = &self.cols;
        let Some(contact) = customer_key(rec, c.contact, c.email) else {
            return Err(RowReject::at("missing_contact", c.contact.or(c.email)));
        };
        let Some(event_raw) = text(rec, c.event) else {
            return Err(RowReject::at("missing_event_type", c.event));
        };
        let ts = match self.dates.parse(cell(rec, c.time)) {
            Ok(Some(ts)) => ts,
            Ok(None) => return Err(RowReject::at("missing_date", c.time)),
            Err(e) => return Err(RowReject::at(e.code(), c.time)),
        };
        let duration =
            parse_duration_seconds(cell(rec, c.duration)).map_err(|e| RowReject::at(e.code(), c.duration))?;
        self.contact.append_value(&contact);
        self.email
            .append_option(email_value(cell(rec, c.email)).as_deref());
        self.event.append_value(normalize_event_type(event_raw));
        self.event_raw.append_value(event_raw);
        self.ts.append_value(ts.timestamp_micros());
        self.page.append_option(text(rec, c.page));
        self.duration.append_option(duration);
        self.job_title.append_option(grouped_text(rec, c.job_title));
        self.source_line.append_value(line as i64);
        self.months.push(month_key(ts));
        self.stats.see_ts(ts);
        Ok(())
    }

    fn buffered(&self) -> usize {
        self.months.len()
    }

    fn finish_batch(&mut self) -> Result<(RecordBatch, Vec<i32>)> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.contact.finish()),
            Arc::new(self.email.finish()),
            Arc::new(self.event.finish()),
            Arc::new(self.event_raw.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.page.finish()),
            Arc::new(self.duration.finish()),
            Arc::new(self.job_title.finish()),
            constant_text(&self.source_key, self.months.len()),
            Arc::new(self.source_line.finish()),
        ];
        Ok((
            RecordBatch::try_new(self.schema.clone(), columns)?,
            std::mem::take(&mut self.months),
        ))
    }

    fn stats(&self) -> &ConvertStats {
        &self.stats
    }

    fn settings(&self) -> ParseSettings {
        ParseSettings {
            date_format: self.dates.describe(),
            decimal_mark: None,
            timezone: self.tz_name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_event_type as n;

    #[test]
    fn event_types() {
        assert_eq!(n("Page View"), "page_view");
        assert_eq!(n("pageview"), "page_view");
        assert_eq!(n("Whitepaper Download"), "download");
        assert_eq!(n("form_submission"), "form_submit");
        assert_eq!(n("Video watched"), "video_view");
        assert_eq!(n("Newsletter Sign-up"), "newsletter_signup");
        assert_eq!(n("Unsubscribed"), "unsubscribe");
        assert_eq!(n("email_open"), "email_open");
        assert_eq!(n("Email Click"), "email_click");
        assert_eq!(n("بازدید صفحه"), "page_view");
        assert_eq!(n("لغو عضویت خبرنامه"), "unsubscribe");
        assert_eq!(n("عضویت در خبرنامه"), "newsletter_signup");
        for open in [
            "باز کردن ایمیل",
            "باز\u{200c}کردن ایمیل",
            "بازکردن ايميل",
            "ایمیل باز شد",
            "مشاهده ایمیل",
        ] {
            assert_eq!(n(open), "email_open", "{open}");
        }
        assert_eq!(n("کلیک ایمیل"), "email_click");
        assert_eq!(n("كليك ايميل"), "email_click");
        for refusal in [
            "Opted out",
            "Opted-Out",
            "Do Not Email",
            "Spam complaint",
            "Newsletter abgemeldet",
            "انصراف از خبرنامه",
        ] {
            assert_eq!(n(refusal), "unsubscribe", "{refusal}");
        }
        assert_eq!(n("something"), "other");
    }
}
