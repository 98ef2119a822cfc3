//! Configuration of the segmentation job, read from the environment in this one place.

use std::path::PathBuf;

use segflow_engine::segment::{IdealRule, RfmRule, SegmentParams};

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
    /// `SEGFLOW_RFM_RULES`: the RFM group table, `Name:R<scores>:F<scores>;…` in match order
    /// (default: the engine's table, see docs/data-contract.md).
    pub rfm_rules: Option<Vec<RfmRule>>,
    /// `SEGFLOW_IDEAL_RFM_GROUPS`: `Champions,Loyal` makes the customers in those RFM groups the
    /// ideal group (default: the top segments).
    pub ideal_rfm_groups: Option<Vec<String>>,
    /// `SEGFLOW_IDEAL_MIN_SHARE`: the least share of purchasers the top segments cover as the
    /// ideal group, `0.2` or `20%` (default 0.2).
    pub ideal_min_share: Option<f64>,
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
            .field("rfm_rules", &self.rfm_rules)
            .field("ideal_rfm_groups", &self.ideal_rfm_groups)
            .field("ideal_min_share", &self.ideal_min_share)
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
            rfm_rules: None,
            ideal_rfm_groups: None,
            ideal_min_share: None,
        }
    }
}

/// A share as a fraction (`0.2`) or a percentage (`20%`); the range is [`SegmentParams::check`]'s.
fn share(name: &str, v: &str) -> Result<f64, ConfigError> {
    let v = v.trim();
    let x: f64 = match v.strip_suffix('%') {
        Some(pct) => num::<f64>(name, pct)? / 100.0,
        None => num(name, v)?,
    };
    if x > 1.0 && x <= 100.0 && !v.ends_with('%') {
        // 20 almost certainly meant 20 %, but a share is never guessed.
        return Err(ConfigError(format!(
            "{name}: {v} is not a share between 0 and 1; write {} or {v}%",
            x / 100.0
        )));
    }
    Ok(x)
}

fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, ConfigError> {
    v.trim()
        .parse()
        .map_err(|_| ConfigError(format!("{name}: not a valid number: {v:?}")))
}

/// A count or a number of days: "-5" and "30d" are refused saying what is expected.
fn whole<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, ConfigError> {
    v.trim()
        .parse()
        .map_err(|_| ConfigError(format!("{name}: expected a whole number, 0 or more, got {v:?}")))
}

impl SegmentConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let raw = &get;
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let mut c = SegmentConfig {
            data_bucket: get("SEGFLOW_DATA_BUCKET"),
            ..Default::default()
        };
        if let Some(k) = get("SEGFLOW_K") {
            c.k = if k.trim().eq_ignore_ascii_case("auto") {
                None
            } else {
                Some(whole("SEGFLOW_K", &k)?)
            };
        }
        if let Some(v) = get("SEGFLOW_MIN_GROUP_SIZE") {
            c.min_group_size = whole("SEGFLOW_MIN_GROUP_SIZE", &v)?;
        }
        if let Some(tz) = get("SEGFLOW_TIMEZONE") {
            c.timezone = tz
                .parse()
                .map_err(|_| ConfigError(format!("SEGFLOW_TIMEZONE: unknown time zone {tz:?}")))?;
        }
        if let Some(v) = get("SEGFLOW_LAPSED_DAYS") {
            c.lapsed_days = whole("SEGFLOW_LAPSED_DAYS", &v)?;
        }
        if let Some(v) = get("SEGFLOW_NEW_DAYS") {
            c.new_days = whole("SEGFLOW_NEW_DAYS", &v)?;
        }
        if let Some(v) = get("SEGFLOW_SEED") {
            c.seed = whole("SEGFLOW_SEED", &v)?;
        }
        if let Some(v) = get("SEGFLOW_TMP_DIR") {
            c.tmp_dir = v.into();
        }
        if let Some(v) = get("SEGFLOW_CURRENCY_RATES") {
            c.currency_rates = segflow_engine::segment::parse_currency_rates(&v)
                .map_err(|e| ConfigError(format!("SEGFLOW_CURRENCY_RATES: {e}")))?;
        }
        if let Some(v) = get("SEGFLOW_RFM_RULES") {
            c.rfm_rules = Some(
                segflow_engine::segment::parse_rfm_rules(&v)
                    .map_err(|e| ConfigError(format!("SEGFLOW_RFM_RULES: {e}")))?,
            );
        }
        if let Some(v) = get("SEGFLOW_IDEAL_MIN_SHARE") {
            c.ideal_min_share = Some(share("SEGFLOW_IDEAL_MIN_SHARE", &v)?);
        }
        if let Some(v) = get("SEGFLOW_IDEAL_RFM_GROUPS") {
            let rules = c
                .rfm_rules
                .clone()
                .unwrap_or_else(segflow_engine::segment::default_rfm_rules);
            // Written as the table spells them, whatever case was typed; a name the table lacks
            // is kept as typed for the check to refuse with the list of groups.
            let mut groups: Vec<String> = Vec::new();
            for g in v.split(',').map(str::trim).filter(|g| !g.is_empty()) {
                let g = rules
                    .iter()
                    .find(|r| r.name.eq_ignore_ascii_case(g))
                    .map_or(g, |r| r.name.as_str())
                    .to_string();
                // "Champions,champions" is one group, named once in the rule text.
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
            c.ideal_rfm_groups = Some(groups);
        }
        if c.ideal_rfm_groups.is_some() && c.ideal_min_share.is_some() {
            return Err(ConfigError(
                "SEGFLOW_IDEAL_MIN_SHARE sizes the default ideal group (the top segments) and has no effect with SEGFLOW_IDEAL_RFM_GROUPS: set one of them".into(),
            ));
        }
        c.pseudonym_key = pseudonym_key(raw("SEGFLOW_PSEUDONYM_KEY"))?;
        c.validate()?;
        Ok(c)
    }

    /// Sets the run parameters this configuration holds (all but the run date and an on-demand
    /// k, which come with the request). The Lambda and the CLI both run through here.
    pub fn apply(&self, p: &mut SegmentParams) {
        p.k = self.k;
        p.timezone = self.timezone;
        p.seed = self.seed;
        p.lapsed_days = self.lapsed_days;
        p.new_days = self.new_days;
        p.min_group_size = self.min_group_size;
        p.pseudonym_key = self
            .pseudonym_key
            .clone()
            .map(segflow_engine::segment::PseudonymKey);
        p.currency_rates = self.currency_rates.clone();
        if let Some(rules) = &self.rfm_rules {
            p.rfm_rules = rules.clone();
        }
        if let Some(groups) = &self.ideal_rfm_groups {
            p.ideal_rule = IdealRule::RfmGroups(groups.clone());
        }
        if let Some(share) = self.ideal_min_share {
            p.ideal_min_share = share;
        }
    }

    /// Refuses a configuration the run would refuse, before any data is fetched, with the
    /// engine's own check ([`SegmentParams::check`]). The settings are added one at a time, so
    /// the error names the variable that made the parameters invalid.
    fn validate(&self) -> Result<(), ConfigError> {
        let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("a valid date");
        let mut p = SegmentParams::new(day);
        let check = |p: &SegmentParams, name: &str| {
            p.clone().check().map(drop).map_err(|e| {
                ConfigError(if name.is_empty() {
                    e.to_string()
                } else {
                    format!("{name}: {e}")
                })
            })
        };
        if let Some(rules) = &self.rfm_rules {
            p.rfm_rules = rules.clone();
            check(&p, "SEGFLOW_RFM_RULES")?;
        }
        if let Some(share) = self.ideal_min_share {
            p.ideal_min_share = share;
            check(&p, "SEGFLOW_IDEAL_MIN_SHARE")?;
        }
        if let Some(groups) = &self.ideal_rfm_groups {
            p.ideal_rule = IdealRule::RfmGroups(groups.clone());
            check(&p, "SEGFLOW_IDEAL_RFM_GROUPS")?;
        }
        self.apply(&mut p);
        check(&p, "")
    }
}

/// Shortest pseudonym key taken: HMAC pseudonyms of guessable ids (`C0001`, mobile numbers) are
/// only as secret as the key, and a short one is found by trying them all.
const PSEUDONYM_KEY_MIN_BYTES: usize = 16;

/// `SEGFLOW_PSEUDONYM_KEY` as set. Set but blank, or short, is refused rather than read as unset:
/// a secret that resolved to nothing would otherwise publish real ids to BI without a word. Not
/// trimmed beyond that: the key is exactly what the deployment set.
fn pseudonym_key(v: Option<String>) -> Result<Option<Vec<u8>>, ConfigError> {
    match v {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Err(ConfigError(
            "SEGFLOW_PSEUDONYM_KEY is set but empty: set a key (e.g. `openssl rand -hex 32`), or unset it to keep real ids".into(),
        )),
        Some(v) if v.len() < PSEUDONYM_KEY_MIN_BYTES => Err(ConfigError(format!(
            "SEGFLOW_PSEUDONYM_KEY is shorter than {PSEUDONYM_KEY_MIN_BYTES} bytes: such a key is guessed by trying them all (e.g. `openssl rand -hex 32` makes one)"
        ))),
        Some(v) => Ok(Some(v.into_bytes())),
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
        let key = |v: &str| {
            let v = v.to_string();
            SegmentConfig::from_lookup(move |k| (k == "SEGFLOW_PSEUDONYM_KEY").then(|| v.clone()))
        };
        let c = key("s3cret-s3cret-s3cret").unwrap();
        assert_eq!(c.pseudonym_key.as_deref(), Some(&b"s3cret-s3cret-s3cret"[..]));
        assert!(!format!("{c:?}").contains("s3cret"), "the key is never printed");
        // Set but blank (a secret that resolved to nothing) or short: refused, not unset.
        for v in ["", "  ", "s3cret"] {
            let e = key(v).unwrap_err().to_string();
            assert!(
                e.contains("SEGFLOW_PSEUDONYM_KEY") && !e.contains("s3cret"),
                "{e}"
            );
        }
        assert_eq!(SegmentConfig::default().pseudonym_key, None);
        let c =
            SegmentConfig::from_lookup(|k| (k == "SEGFLOW_CURRENCY_RATES").then(|| "eur=1, GBP=1.17".into()))
                .unwrap();
        assert_eq!(c.currency_rates.get("GBP"), Some(&1.17));
        assert!(
            SegmentConfig::from_lookup(|k| (k == "SEGFLOW_CURRENCY_RATES").then(|| "GBP=x".into())).is_err()
        );
    }

    fn with(vars: &[(&str, &str)]) -> Result<SegmentConfig, ConfigError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        SegmentConfig::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    fn params(c: &SegmentConfig) -> SegmentParams {
        let mut p = SegmentParams::new(chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap());
        c.apply(&mut p);
        p
    }

    #[test]
    fn the_ideal_group_and_the_rfm_table_are_configurable() {
        // Unset: the engine's defaults.
        let p = params(&with(&[]).unwrap());
        assert_eq!(p.ideal_rule, IdealRule::TopSegments);
        assert_eq!(p.ideal_min_share, 0.2);
        assert_eq!(p.rfm_rules, segflow_engine::segment::default_rfm_rules());

        // Group names in any case, as the table spells them.
        let c = with(&[("SEGFLOW_IDEAL_RFM_GROUPS", " champions, Loyal ,")]).unwrap();
        assert_eq!(
            params(&c).ideal_rule,
            IdealRule::RfmGroups(vec!["Champions".into(), "Loyal".into()])
        );
        let c = with(&[("SEGFLOW_IDEAL_RFM_GROUPS", "Champions,champions")]).unwrap();
        assert_eq!(
            params(&c).ideal_rule,
            IdealRule::RfmGroups(vec!["Champions".into()]),
            "one group, named once"
        );
        for (v, share) in [("0.35", 0.35), ("35%", 0.35), ("0.5", 0.5)] {
            let c = with(&[("SEGFLOW_IDEAL_MIN_SHARE", v)]).unwrap();
            assert_eq!(params(&c).ideal_min_share, share, "{v}");
        }
        let c = with(&[
            ("SEGFLOW_RFM_RULES", "Best:R4-5:F4-5; Rest:R1-5:F1-5"),
            ("SEGFLOW_IDEAL_RFM_GROUPS", "best"),
        ])
        .unwrap();
        let p = params(&c);
        assert_eq!(p.rfm_rules.len(), 2);
        assert_eq!(p.rfm_rules[0].r, (4, 5));
        assert_eq!(p.ideal_rule, IdealRule::RfmGroups(vec!["Best".into()]));
        assert!(p.check().is_ok());

        // Bad values, each refused naming its variable.
        let errors = std::cell::RefCell::new(Vec::new());
        let err = |vars: &[(&str, &str)]| {
            let e = with(vars).unwrap_err().to_string();
            errors.borrow_mut().push(e.clone());
            e
        };
        let e = err(&[("SEGFLOW_IDEAL_RFM_GROUPS", "Champions,Whales")]);
        assert!(
            e.contains("SEGFLOW_IDEAL_RFM_GROUPS") && e.contains("\"Whales\""),
            "{e}"
        );
        assert!(
            e.contains("Lost, Hibernating, At Risk"),
            "the allowed groups are listed: {e}"
        );
        let e = err(&[
            ("SEGFLOW_RFM_RULES", "Best:R4-5:F4-5;Rest:R1-5:F1-5"),
            ("SEGFLOW_IDEAL_RFM_GROUPS", "Champions"),
        ]);
        assert!(
            e.contains("SEGFLOW_IDEAL_RFM_GROUPS") && e.contains("the groups are Best, Rest"),
            "{e}"
        );
        for share in ["0", "-0.1", "1.5", "150%", "20", "lots", "NaN"] {
            let e = err(&[("SEGFLOW_IDEAL_MIN_SHARE", share)]);
            assert!(e.contains("SEGFLOW_IDEAL_MIN_SHARE"), "{share}: {e}");
        }
        assert!(err(&[("SEGFLOW_IDEAL_MIN_SHARE", "20")]).contains("0.2 or 20%"));
        let e = err(&[("SEGFLOW_IDEAL_MIN_SHARE", "0.7")]);
        assert!(e.contains("at most 0.5"), "{e}");
        for rules in [
            "Champions",
            "Champions:R5:F4-5:extra:",
            "Champions:R5:Fx",
            // Scores outside 1–5, a reversed range, cells no rule covers.
            "All:R0-5:F1-5",
            "All:R1-6:F1-5",
            "All:R5-1:F1-5",
            "Champions:R5:F4-5;Loyal:R3-4:F4-5",
        ] {
            let e = err(&[("SEGFLOW_RFM_RULES", rules)]);
            assert!(e.contains("SEGFLOW_RFM_RULES"), "{rules}: {e}");
        }
        assert!(
            errors
                .borrow()
                .iter()
                .any(|e| e.contains("the R scores 0-5 must be from 1 to 5")),
            "{errors:?}"
        );
        let e = err(&[
            ("SEGFLOW_IDEAL_RFM_GROUPS", "Champions"),
            ("SEGFLOW_IDEAL_MIN_SHARE", "0.3"),
        ]);
        assert!(e.contains("no effect"), "{e}");
        // The texts speak of the variables, not of the engine's parameter names.
        for e in errors.borrow().iter() {
            assert!(
                !["ideal_rule", "rfm_rules", "ideal_min_share"]
                    .iter()
                    .any(|p| e.contains(p)),
                "{e}"
            );
        }
        assert!(
            err(&[("SEGFLOW_LAPSED_DAYS", "-5")]).contains("expected a whole number, 0 or more"),
            "a negative count says what is expected"
        );
        // The run's other checks come before any data is fetched too.
        assert!(with(&[("SEGFLOW_K", "50")]).is_err());
    }
}
