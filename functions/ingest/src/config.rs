//! Configuration of the ingest function, read from the environment in this one place.

use std::path::PathBuf;

use segflow_engine::ingest::IngestOptions;
use segflow_engine::ingest::sniff::Limits;
use segflow_engine::values::{DateOrder, PHONE_COUNTRIES, PhoneCountry};

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// `errorType` `Config`, reported at start-up (see [`crate::lambda`]).
impl From<ConfigError> for lambda_runtime::Diagnostic {
    fn from(e: ConfigError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "Config".into(),
            error_message: e.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// `SEGFLOW_TIMEZONE`: IANA zone of naive timestamps in exports (default UTC).
    pub timezone: chrono_tz::Tz,
    /// `SEGFLOW_DATE_ORDER`: auto | day-first | month-first, for dates like 03/04/2024.
    pub date_order: DateOrder,
    /// `SEGFLOW_PHONE_COUNTRY`: the shop's country (`US`, `GB`, `DE`, `IR`, …), for phone
    /// numbers written without one; unset, they stay without (`tel:…`).
    pub phone_country: Option<PhoneCountry>,
    /// `SEGFLOW_MAX_INPUT_BYTES`: larger uploads are rejected with a report (default 20 GiB).
    pub max_input_bytes: u64,
    /// `SEGFLOW_OUTPUT_BUCKET`: where outputs go; default the bucket of the upload.
    pub output_bucket: Option<String>,
    /// `SEGFLOW_TMP_DIR`: spool folder (default the system temp dir, `/tmp` in Lambda).
    pub tmp_dir: PathBuf,
    /// `SEGFLOW_MAX_WORKBOOK_BYTES`: largest workbook (all its parts uncompressed) read; larger ones
    /// are rejected with a report asking for CSV. Default: a quarter of the function's memory
    /// (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, which Lambda sets), else 4 GiB.
    pub max_workbook_bytes: u64,
    /// `SEGFLOW_QUERYABLE_FROM_YEAR`: the first year the Athena tables show (the template's
    /// `ProjectionStartYear`); an upload with rows before it gets a warning in its report.
    pub queryable_from_year: Option<i32>,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            timezone: chrono_tz::UTC,
            date_order: DateOrder::Auto,
            phone_country: None,
            max_input_bytes: IngestOptions::default().max_input_bytes,
            output_bucket: None,
            tmp_dir: std::env::temp_dir(),
            max_workbook_bytes: Limits::default().max_workbook_bytes,
            queryable_from_year: None,
        }
    }
}

impl IngestConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut c = IngestConfig::default();
        if let Some(tz) = get("SEGFLOW_TIMEZONE").filter(|s| !s.is_empty()) {
            c.timezone = tz
                .parse()
                .map_err(|_| ConfigError(format!("SEGFLOW_TIMEZONE: unknown time zone {tz:?}")))?;
        }
        if let Some(o) = get("SEGFLOW_DATE_ORDER").filter(|s| !s.is_empty()) {
            c.date_order = parse_date_order(&o)?;
        }
        if let Some(p) = get("SEGFLOW_PHONE_COUNTRY").filter(|s| !s.is_empty()) {
            c.phone_country = Some(parse_phone_country(&p)?);
        }
        if let Some(m) = get("SEGFLOW_MAX_INPUT_BYTES").filter(|s| !s.is_empty()) {
            c.max_input_bytes = m.parse().map_err(|_| {
                ConfigError(format!(
                    "SEGFLOW_MAX_INPUT_BYTES: expected a number of bytes, got {m:?}"
                ))
            })?;
        }
        c.output_bucket = get("SEGFLOW_OUTPUT_BUCKET").filter(|s| !s.is_empty());
        if let Some(t) = get("SEGFLOW_TMP_DIR").filter(|s| !s.is_empty()) {
            c.tmp_dir = t.into();
        }
        if let Some(m) = get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").filter(|s| !s.is_empty()) {
            let mb: u64 = m
                .parse()
                .map_err(|_| ConfigError(format!("AWS_LAMBDA_FUNCTION_MEMORY_SIZE: not a number: {m:?}")))?;
            c.max_workbook_bytes = Limits::workbook_bytes_for_memory(mb);
        }
        if let Some(m) = get("SEGFLOW_MAX_WORKBOOK_BYTES").filter(|s| !s.is_empty()) {
            c.max_workbook_bytes = m.parse().map_err(|_| {
                ConfigError(format!(
                    "SEGFLOW_MAX_WORKBOOK_BYTES: expected a number of bytes, got {m:?}"
                ))
            })?;
        }
        if let Some(y) = get("SEGFLOW_QUERYABLE_FROM_YEAR").filter(|s| !s.is_empty()) {
            c.queryable_from_year = Some(y.parse().ok().filter(|y| (1000..=9999).contains(y)).ok_or_else(
                || ConfigError(format!("SEGFLOW_QUERYABLE_FROM_YEAR: expected a year, got {y:?}")),
            )?);
        }
        Ok(c)
    }

    pub fn engine_options(&self) -> IngestOptions {
        IngestOptions {
            timezone: self.timezone,
            date_order: self.date_order,
            phone_country: self.phone_country,
            max_input_bytes: self.max_input_bytes,
            queryable_from_year: self.queryable_from_year,
            limits: Limits {
                max_workbook_bytes: self.max_workbook_bytes,
                ..Limits::default()
            },
            ..IngestOptions::default()
        }
    }
}

/// A country by its ISO code, as `SEGFLOW_PHONE_COUNTRY` and `--phone-country` take it.
pub fn parse_phone_country(s: &str) -> Result<PhoneCountry, ConfigError> {
    PhoneCountry::from_iso(s).ok_or_else(|| {
        let known: Vec<&str> = PHONE_COUNTRIES.iter().map(|c| c.iso).collect();
        ConfigError(format!(
            "phone country must be one of {}, not {s:?}",
            known.join(", ")
        ))
    })
}

pub fn parse_date_order(s: &str) -> Result<DateOrder, ConfigError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "auto" => Ok(DateOrder::Auto),
        "day-first" | "dmy" => Ok(DateOrder::DayFirst),
        "month-first" | "mdy" => Ok(DateOrder::MonthFirst),
        "jalali-year-first" | "jalali-ymd" => Ok(DateOrder::JalaliYearFirst),
        "jalali-day-first" | "jalali-dmy" => Ok(DateOrder::JalaliDayFirst),
        other => Err(ConfigError(format!(
            "date order must be auto, day-first, month-first, jalali-year-first or jalali-day-first, not {other:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_validates_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        let c = IngestConfig::from_lookup(env(&[
            ("SEGFLOW_TIMEZONE", "Asia/Tehran"),
            ("SEGFLOW_DATE_ORDER", "month-first"),
        ]))
        .unwrap();
        assert_eq!(c.timezone, chrono_tz::Asia::Tehran);
        assert_eq!(c.date_order, DateOrder::MonthFirst);
        assert!(IngestConfig::from_lookup(env(&[("SEGFLOW_TIMEZONE", "Mars/Olympus")])).is_err());
        assert!(IngestConfig::from_lookup(env(&[("SEGFLOW_DATE_ORDER", "sideways")])).is_err());
        let c = IngestConfig::from_lookup(env(&[("SEGFLOW_DATE_ORDER", "jalali-year-first")])).unwrap();
        assert_eq!(c.date_order, DateOrder::JalaliYearFirst);
        assert!(IngestConfig::from_lookup(env(&[("SEGFLOW_MAX_INPUT_BYTES", "lots")])).is_err());
        let c = IngestConfig::from_lookup(env(&[("SEGFLOW_PHONE_COUNTRY", "us")])).unwrap();
        assert_eq!(c.engine_options().phone_country.map(|p| p.iso), Some("US"));
        let e = IngestConfig::from_lookup(env(&[("SEGFLOW_PHONE_COUNTRY", "USA")])).unwrap_err();
        assert!(e.to_string().contains("US, CA, GB"), "{e}");
        // In Lambda the workbook limit follows the function's memory, unless set.
        let c = IngestConfig::from_lookup(env(&[("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1536")])).unwrap();
        assert_eq!(c.engine_options().limits.max_workbook_bytes, 384 * 1024 * 1024);
        let c = IngestConfig::from_lookup(env(&[
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1536"),
            ("SEGFLOW_MAX_WORKBOOK_BYTES", "1000"),
        ]))
        .unwrap();
        assert_eq!(c.max_workbook_bytes, 1000);
        let c = IngestConfig::from_lookup(env(&[("SEGFLOW_QUERYABLE_FROM_YEAR", "2010")])).unwrap();
        assert_eq!(c.engine_options().queryable_from_year, Some(2010));
        assert!(IngestConfig::from_lookup(env(&[("SEGFLOW_QUERYABLE_FROM_YEAR", "ten")])).is_err());
    }
}
