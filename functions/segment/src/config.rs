//! Configuration of the segmentation job, read from the environment in this one place.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

#[derive(Clone)]
pub struct SegmentConfig {
    /// `SEGFLOW_DATA_BUCKET`: the bucket holding curated/ and receiving segments/ (Lambda only).
    pub data_bucket: Option<String>,
    /// `SEGFLOW_K`: `auto` (default) or a number of clusters 2–10.
    pub k: Option<usize>,
    /// `SEGFLOW_MIN_GROUP_SIZE`: groups smaller than this are not published (default 10).
    pub min_group_size: usize,
    /// `SEGFLOW_TIMEZONE`: the shop's zone, for "Mondays 8–12" and for the nightly run date.
    pub timezone: chrono_tz::Tz,
    /// `SEGFLOW_LAPSED_DAYS` (default 180) and `SEGFLOW_NEW_DAYS` (default 30).
    pub lapsed_days: u32,
    pub new_days: u32,
    /// `SEGFLOW_SEED`: k-means seed (default 42).
    pub seed: u64,
    /// `SEGFLOW_TMP_DIR`: where inputs are spooled (default the system temp dir).
    pub tmp_dir: PathBuf,
    /// `SEGFLOW_PSEUDONYM_KEY`: when set, customers.parquet carries HMAC pseudonyms instead of
    /// customer ids. The value is the key itself (its UTF-8 bytes); never logged.
    pub pseudonym_key: Option<Vec<u8>>,
    /// `SEGFLOW_CURRENCY_RATES`: `CODE=rate,…`, the value of one unit of each currency in the
    /// reporting currency (default none: Rial to Toman only).
    pub currency_rates: std::collections::BTreeMap<String, f64>,
}

impl std::fmt::Debug for SegmentConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentConfig")
            .field("data_bucket", &self.data_bucket)
            .field("k", &self.k)
            .field("min_group_size", &self.min_group_size)
            .field("timezone", &self.timezone)
            .field("lapsed_days", &self.lapsed_days)
            .field("new_days", &self.new_days)
            .field("seed", &self.seed)
            .field("tmp_dir", &self.tmp_dir)
            .field("pseudonym_key", &self.pseudonym_key.as_ref().map(|_| "(set)"))
            .field("currency_rates", &self.currency_rates)
            .finish()
    }
}

impl Default for SegmentConfig {
    fn default() -> Self {
        SegmentConfig {
            data_bucket: None,
            k: None,
            min_group_size: 10,
            timezone: chrono_tz::UTC,
            lapsed_days: 180,
            new_days: 30,
            seed: 42,
            tmp_dir: std::env::temp_dir(),
            pseudonym_key: None,
            currency_rates: Default::default(),
        }
    }
}

fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, ConfigError> {
    v.trim()
        .parse()
        .map_err(|_| ConfigError(format!("{name}: not a valid number: {v:?}")))
}

impl SegmentConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let mut c = SegmentConfig {
            data_bucket: get("SEGFLOW_DATA_BUCKET"),
            ..Default::default()
        };
        if let Some(k) = get("SEGFLOW_K") {
            c.k = if k.trim().eq_ignore_ascii_case("auto") {
                None
            } else {
                Some(num("SEGFLOW_K", &k)?)
            };
        }
        if let Some(v) = get("SEGFLOW_MIN_GROUP_SIZE") {
            c.min_group_size = num("SEGFLOW_MIN_GROUP_SIZE", &v)?;
        }
        if let Some(tz) = get("SEGFLOW_TIMEZONE") {
            c.timezone = tz
                .parse()
                .map_err(|_| ConfigError(format!("SEGFLOW_TIMEZONE: unknown time zone {tz:?}")))?;
        }
        if let Some(v) = get("SEGFLOW_LAPSED_DAYS") {
            c.lapsed_days = num("SEGFLOW_LAPSED_DAYS", &v)?;
        }
        if let Some(v) = get("SEGFLOW_NEW_DAYS") {
            c.new_days = num("SEGFLOW_NEW_DAYS", &v)?;
        }
        if let Some(v) = get("SEGFLOW_SEED") {
            c.seed = num("SEGFLOW_SEED", &v)?;
        }
        if let Some(v) = get("SEGFLOW_TMP_DIR") {
            c.tmp_dir = v.into();
        }
        if let Some(v) = get("SEGFLOW_CURRENCY_RATES") {
            c.currency_rates = segflow_engine::segment::parse_currency_rates(&v)
                .map_err(|e| ConfigError(format!("SEGFLOW_CURRENCY_RATES: {e}")))?;
        }
        // Not trimmed beyond the emptiness check: the key is exactly what the deployment set.
        c.pseudonym_key = get("SEGFLOW_PSEUDONYM_KEY").map(String::into_bytes);
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_is_validated() {
        let c = SegmentConfig::from_lookup(|k| match k {
            "SEGFLOW_K" => Some("6".into()),
            "SEGFLOW_DATA_BUCKET" => Some("b".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            (c.k, c.data_bucket.as_deref(), c.min_group_size),
            (Some(6), Some("b"), 10)
        );
        assert_eq!(
            SegmentConfig::from_lookup(|k| (k == "SEGFLOW_K").then(|| "auto".into()))
                .unwrap()
                .k,
            None
        );
        assert!(SegmentConfig::from_lookup(|k| (k == "SEGFLOW_K").then(|| "six".into())).is_err());
        assert!(SegmentConfig::from_lookup(|k| (k == "SEGFLOW_TIMEZONE").then(|| "Nowhere".into())).is_err());
        let c =
            SegmentConfig::from_lookup(|k| (k == "SEGFLOW_PSEUDONYM_KEY").then(|| "s3cret".into())).unwrap();
        assert_eq!(c.pseudonym_key.as_deref(), Some(&b"s3cret"[..]));
        assert!(!format!("{c:?}").contains("s3cret"), "the key is never printed");
        assert_eq!(SegmentConfig::default().pseudonym_key, None);
        let c =
            SegmentConfig::from_lookup(|k| (k == "SEGFLOW_CURRENCY_RATES").then(|| "eur=1, GBP=1.17".into()))
                .unwrap();
        assert_eq!(c.currency_rates.get("GBP"), Some(&1.17));
        assert!(
            SegmentConfig::from_lookup(|k| (k == "SEGFLOW_CURRENCY_RATES").then(|| "GBP=x".into())).is_err()
        );
    }
}
