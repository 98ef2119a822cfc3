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

/// Reads a payload. A scheduled event runs "as of yesterday" in the shop's zone, relative to the
/// time the schedule fired (not to when the function happens to run, so retries give the same run).
pub fn parse(payload: &Value, tz: chrono_tz::Tz) -> Result<SegmentRequest, RequestError> {
    let scheduled = matches!(
        payload.get("detail-type").and_then(Value::as_str),
        Some("Scheduled Event")
    );
    if scheduled {
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
}
