//! What a segmentation invocation asks for: the nightly schedule (EventBridge rule or Scheduler) or
//! an on-demand payload such as `{"as_of": "2011-12-10", "k": 6}`; every field optional.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SegmentRequest {
    /// None: the job decides (the day before the schedule fired, or the latest order day locally).
    pub as_of: Option<NaiveDate>,
    pub k: Option<usize>,
    /// The nightly schedule's run: it always moves `segments/latest/` (see the job).
    pub scheduled: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid request: {0}")]
pub struct RequestError(pub String);

/// The fields an on-demand payload may carry.
pub const ON_DEMAND_FIELDS: [&str; 2] = ["as_of", "k"];

const SHAPES: &str = "the function takes the nightly schedule's event (\"detail-type\": \"Scheduled Event\") \
or an on-demand object {\"as_of\": \"YYYY-MM-DD\", \"k\": N}, both fields optional";

/// Reads a payload. A scheduled event runs "as of yesterday" in the shop's zone, relative to the
/// time the schedule fired (not to when the function happens to run, so retries give the same run).
///
/// Only the documented shapes are accepted: the schedule's event, or a JSON object with no fields
/// but `as_of` and `k`. Anything else (a misspelt field, another service's event, a string, `null`)
/// is refused: running it as "no date given" would move `segments/latest/` and the model state.
pub fn parse(payload: &Value, tz: chrono_tz::Tz) -> Result<SegmentRequest, RequestError> {
    let Some(fields) = payload.as_object() else {
        let what = match payload {
            Value::Null => "null".to_string(),
            Value::String(_) => "a string".to_string(),
            Value::Array(_) => "an array".to_string(),
            other => other.to_string(),
        };
        return Err(RequestError(format!("the payload is {what}; {SHAPES}")));
    };
    if let Some(detail_type) = fields.get("detail-type") {
        if detail_type.as_str() != Some("Scheduled Event") {
            return Err(RequestError(format!(
                "an event with \"detail-type\": {detail_type} is not the nightly schedule's; {SHAPES}"
            )));
        }
        let fired = payload
            .get("time")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| RequestError("scheduled event without a valid time".into()))?;
        let day = fired.with_timezone(&tz).date_naive() - Duration::days(1);
        return Ok(SegmentRequest {
            as_of: Some(day),
            k: None,
            scheduled: true,
        });
    }
    let mut unknown: Vec<&str> = fields
        .keys()
        .map(String::as_str)
        .filter(|f| !ON_DEMAND_FIELDS.contains(f))
        .collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        let names = unknown
            .iter()
            .map(|f| format!("{f:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let field = if unknown.len() == 1 { "field" } else { "fields" };
        return Err(RequestError(format!("unknown {field} {names}; {SHAPES}")));
    }
    let as_of = match payload.get("as_of") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(segflow_engine::values::parse_run_date(s).map_err(|e| RequestError(format!("as_of: {e}")))?)
        }
        Some(other) => return Err(RequestError(format!("as_of must be a string, not {other}"))),
    };
    let k = match payload.get("k") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("auto") => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| RequestError(format!("k must be a number or \"auto\", not {v}")))?
                as usize,
        ),
    };
    Ok(SegmentRequest {
        as_of,
        k,
        scheduled: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scheduled_runs_as_of_the_day_before_in_the_shop_zone() {
        let ev = json!({"version": "0", "detail-type": "Scheduled Event", "source": "aws.events",
                        "time": "2026-11-22T21:00:00Z", "detail": {}});
        // 21:00 UTC is 00:30 on the 23rd in Tehran: the finished day there is the 22nd.
        let r = parse(&ev, chrono_tz::Asia::Tehran).unwrap();
        assert_eq!(r.as_of, NaiveDate::from_ymd_opt(2026, 11, 22));
        assert!(r.scheduled);
        let r = parse(&ev, chrono_tz::UTC).unwrap();
        assert_eq!(r.as_of, NaiveDate::from_ymd_opt(2026, 11, 21));
    }

    #[test]
    fn on_demand_payloads() {
        let r = parse(&json!({"as_of": "2011-12-10", "k": 6}), chrono_tz::UTC).unwrap();
        assert_eq!(
            r,
            SegmentRequest {
                as_of: NaiveDate::from_ymd_opt(2011, 12, 10),
                k: Some(6),
                scheduled: false,
            }
        );
        assert_eq!(
            parse(&json!({}), chrono_tz::UTC).unwrap(),
            SegmentRequest::default()
        );
        assert_eq!(parse(&json!({"k": "auto"}), chrono_tz::UTC).unwrap().k, None);
        assert!(parse(&json!({"as_of": "10/12/2011"}), chrono_tz::UTC).is_err());
        // A Jalali run date, as an Iranian shop's team would type it.
        let r = parse(&json!({"as_of": "۱۳۹۰-۰۹-۱۹"}), chrono_tz::UTC).unwrap();
        assert_eq!(r.as_of, NaiveDate::from_ymd_opt(2011, 12, 10));
        assert!(parse(&json!({"k": "six"}), chrono_tz::UTC).is_err());
    }

    /// Anything but the documented shapes is refused, naming what was wrong: run as "no date
    /// given", it would move `segments/latest/` (back) and overwrite the model state.
    #[test]
    fn other_payloads_are_refused() {
        let refused = |v: Value| {
            parse(&v, chrono_tz::UTC)
                .expect_err(&format!("{v} must be refused"))
                .to_string()
        };
        let e = refused(json!({"asOf": "2023-06-01"}));
        assert!(e.starts_with("invalid request: unknown field \"asOf\""), "{e}");
        assert!(e.contains("\"as_of\""), "the message shows the right shape: {e}");
        let e = refused(json!({"as-of": "2023-06-01", "K": 3}));
        assert!(e.contains("unknown fields \"K\", \"as-of\""), "{e}");
        // Beside a known field too.
        assert!(refused(json!({"as_of": "2023-06-01", "dry_run": true})).contains("\"dry_run\""));
        for v in [
            json!(null),
            json!("run please"),
            json!([]),
            json!(42),
            json!(true),
        ] {
            assert!(refused(v).starts_with("invalid request: the payload is "));
        }
        // Another EventBridge event than the schedule's.
        let e = refused(json!({"detail-type": "Object Created", "source": "aws.s3",
                               "time": "2023-12-09T01:00:00Z", "detail": {}}));
        assert!(e.contains("\"Object Created\""), "{e}");
        assert!(refused(json!({"detail-type": "Scheduled Event"})).contains("without a valid time"));
    }
}
