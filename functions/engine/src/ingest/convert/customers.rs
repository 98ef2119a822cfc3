use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
};
use arrow::datatypes::{DataType, Field as ArrowField, SchemaRef};
use chrono::NaiveDate;

use super::*;
use crate::values::normalize_gender;

struct Cols {
    key: KeyCols,
    birth_date: Option<usize>,
    age: Option<usize>,
    gender: Option<usize>,
    city: Option<usize>,
    country: Option<usize>,
    job_title: Option<usize>,
    signup_date: Option<usize>,
    consent: ConsentCols,
}

pub fn customers_schema() -> SchemaRef {
    let mut fields = vec![
        ArrowField::new("customer_id", DataType::Utf8, false),
        utf8("email"),
        utf8("phone"),
        ArrowField::new("birth_date", DataType::Date32, true),
        ArrowField::new("age", DataType::Int32, true),
        utf8("gender"),
        utf8("city"),
        utf8("country"),
        utf8("job_title"),
        ArrowField::new("signup_date", DataType::Date32, true),
        ArrowField::new("marketing_consent", DataType::Boolean, true),
    ];
    fields.extend(provenance_fields());
    schema_of(fields)
}

pub struct CustomersConverter {
    cols: Cols,
    birth: DateParser,
    signup: DateParser,
    ages: NumberParser,
    source_key: String,
    tz_name: String,
    customer_id: StringBuilder,
    email: StringBuilder,
    phone: StringBuilder,
    birth_date: Date32Builder,
    age: Int32Builder,
    gender: StringBuilder,
    city: StringBuilder,
    country: StringBuilder,
    job_title: StringBuilder,
    signup_date: Date32Builder,
    consent: BooleanBuilder,
    source_line: Int64Builder,
    rows: usize,
    stats: ConvertStats,
    schema: SchemaRef,
}

/// An age with its unit written after it ("34 years", «۲۹ سال», "41 Jahre"): the number.
fn without_age_unit(raw: &str) -> &str {
    const UNITS: [&str; 9] = ["years", "year", "yrs", "yr", "y", "jahre", "ans", "سال", "ساله"];
    let t = raw.trim();
    match t.rsplit_once(char::is_whitespace) {
        Some((n, unit)) if UNITS.iter().any(|u| unit.eq_ignore_ascii_case(u)) => n.trim_end(),
        _ => t,
    }
}

fn days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

impl CustomersConverter {
    pub fn new(m: &ColumnMapping, headers: &[String], samples: &[Row<'_>], cfg: &ConvertConfig) -> Self {
        let cols = Cols {
            key: KeyCols::of(m, headers, samples, cfg),
            birth_date: col(m, Field::BirthDate),
            age: col(m, Field::Age),
            gender: col(m, Field::Gender),
            city: col(m, Field::City),
            country: col(m, Field::Country),
            job_title: col(m, Field::JobTitle),
            signup_date: col(m, Field::SignupDate),
            consent: ConsentCols::of(m, headers),
        };
        CustomersConverter {
            birth: date_parser(samples, m, cols.birth_date, cfg, None),
            signup: date_parser(
                samples,
                m,
                cols.signup_date,
                cfg,
                crate::values::date::earliest_event(),
            ),
            ages: number_parser(samples, &[cols.age], crate::values::Ambiguous::Decimal),
            cols,
            source_key: cfg.source_key.clone(),
            tz_name: cfg.timezone.name().to_string(),
            customer_id: StringBuilder::new(),
            email: StringBuilder::new(),
            phone: StringBuilder::new(),
            birth_date: Date32Builder::new(),
            age: Int32Builder::new(),
            gender: StringBuilder::new(),
            city: StringBuilder::new(),
            country: StringBuilder::new(),
            job_title: StringBuilder::new(),
            signup_date: Date32Builder::new(),
            consent: BooleanBuilder::new(),
            source_line: Int64Builder::new(),
            rows: 0,
            stats: ConvertStats::default(),
            schema: customers_schema(),
        }
    }
}

impl Converter for CustomersConverter {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn partition_column(&self) -> Option<&'static str> {
        None
    }

    fn push(&mut self, line: u64, rec: &Row<'_>) -> std::result::Result<(), RowReject> {
        let c = &self.cols;
        let Some(key) = customer_key(rec, &c.key) else {
            return Err(RowReject::at("missing_customer_id", c.key.first()));
        };
        let stats = &mut self.stats;
        let mut unreadable = |column: &'static str| *stats.unreadable_values.entry(column).or_insert(0) += 1;
        let birth = self
            .birth
            .parse_date(cell(rec, c.birth_date))
            .unwrap_or_else(|_| {
                unreadable("birth_date");
                None
            });
        let signup = self
            .signup
            .parse_date(cell(rec, c.signup_date))
            .unwrap_or_else(|_| {
                unreadable("signup_date");
                None
            });
        let age = match self.ages.parse(without_age_unit(cell(rec, c.age))) {
            // 0 is the placeholder of CRMs that keep no age: no buyer is under a year old.
            Ok(Some(n)) if n.value == 0.0 => None,
            Ok(Some(n)) if (0.0..=130.0).contains(&n.value) => Some(n.value.floor() as i32),
            Ok(None) => None,
            Ok(Some(_)) | Err(_) => {
                unreadable("age");
                None
            }
        };
        // An unreadable consent value must not drop the customer (and with it their refusal):
        // it counts as no consent.
        let consent = c.consent.read(rec).unwrap_or_else(|_| {
            *self.stats.consent_unclear.get_or_insert(0) += 1;
            Some(false)
        });
        self.customer_id.append_value(&key);
        self.email
            .append_option(email_value(cell(rec, c.key.email)).as_deref());
        // In its key form, so that sales an Iranian shop keys by mobile join this customer.
        self.phone.append_option(c.key.phone_key(rec).as_deref());
        self.birth_date.append_option(birth.map(days));
        self.age.append_option(age);
        self.gender.append_option(normalize_gender(cell(rec, c.gender)));
        self.city.append_option(grouped_text(rec, c.city));
        self.country.append_option(grouped_text(rec, c.country));
        self.job_title.append_option(grouped_text(rec, c.job_title));
        self.signup_date.append_option(signup.map(days));
        self.consent.append_option(consent);
        self.source_line.append_value(line as i64);
        self.rows += 1;
        Ok(())
    }

    fn buffered(&self) -> usize {
        self.rows
    }

    fn finish_batch(&mut self) -> Result<(RecordBatch, Vec<i32>)> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.customer_id.finish()),
            Arc::new(self.email.finish()),
            Arc::new(self.phone.finish()),
            Arc::new(self.birth_date.finish()),
            Arc::new(self.age.finish()),
            Arc::new(self.gender.finish()),
            Arc::new(self.city.finish()),
            Arc::new(self.country.finish()),
            Arc::new(self.job_title.finish()),
            Arc::new(self.signup_date.finish()),
            Arc::new(self.consent.finish()),
            constant_text(&self.source_key, self.rows),
            Arc::new(self.source_line.finish()),
        ];
        self.rows = 0;
        Ok((RecordBatch::try_new(self.schema.clone(), columns)?, Vec::new()))
    }

    fn stats(&self) -> ConvertStats {
        self.stats.clone()
    }

    fn settings(&self) -> ParseSettings {
        ParseSettings {
            date_format: self.birth.describe(),
            date_order_from: None,
            date_order_learned_from: None,
            decimal_mark: None,
            timezone: self.tz_name.clone(),
        }
    }
}
