//! The event shapes that deliver "an object was uploaded" (or deleted): S3 notifications invoked
//! directly, the same wrapped in SQS (optionally via SNS), and EventBridge "Object Created" and
//! "Object Deleted" events.

use serde_json::Value;

/// One uploaded object named by an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    pub bucket: String,
    /// The decoded key to try first, and the other reading of the raw key to fall back on when the
    /// first does not exist (S3 notifications URL-encode keys, EventBridge does not; both claims
    /// have exceptions in the wild).
    pub key: String,
    pub alt_key: Option<String>,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    pub size: Option<u64>,
    /// Deleted (or a delete marker put over it) rather than uploaded.
    pub removed: bool,
}

/// One unit of work: an SQS message carries its id so it can be reported as a batch item failure.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkItem {
    pub message_id: Option<String>,
    pub outcome: Parsed,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Object(ObjectEvent),
    /// `s3:TestEvent` and other events that need no work.
    Ignored(String),
    /// A payload we cannot read; retrying will not help.
    Unreadable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invocation {
    Sqs,
    Direct,
}

/// Decodes an S3-notification key: `+` is a space and `%XX` are UTF-8 bytes.
pub fn decode_key(raw: &str) -> String {
    let plus = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str)
}

fn object_from(bucket: Option<&str>, obj: Option<&Value>, encoded: bool, removed: bool) -> Parsed {
    let (Some(bucket), Some(obj)) = (bucket, obj) else {
        return Parsed::Unreadable("event names no bucket or object".into());
    };
    let Some(raw) = obj.get("key").and_then(Value::as_str) else {
        return Parsed::Unreadable("event names no object key".into());
    };
    let decoded = decode_key(raw);
    let (key, alt) = if encoded {
        (decoded, raw.to_string())
    } else {
        (raw.to_string(), decoded)
    };
    let etag = obj
        .get("eTag")
        .or_else(|| obj.get("etag"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let version_id = obj
        .get("versionId")
        .or_else(|| obj.get("version-id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Parsed::Object(ObjectEvent {
        bucket: bucket.to_string(),
        alt_key: (alt != key).then_some(alt),
        key,
        etag,
        version_id,
        size: obj.get("size").and_then(Value::as_u64),
        removed,
    })
}

/// Items of a plain S3 notification (`{"Records":[{"eventSource":"aws:s3",...}]}`) or a test event.
fn s3_notification(v: &Value) -> Vec<Parsed> {
    if str_at(v, &["Event"]) == Some("s3:TestEvent") {
        return vec![Parsed::Ignored("s3:TestEvent".into())];
    }
    let Some(records) = v.get("Records").and_then(Value::as_array) else {
        return vec![Parsed::Unreadable("not an S3 notification".into())];
    };
    records
        .iter()
        .map(|r| {
            let name = str_at(r, &["eventName"]).unwrap_or("");
            let kind = name.strip_prefix("s3:").unwrap_or(name);
            let removed = if kind.starts_with("ObjectCreated") {
                false
            } else if kind.starts_with("ObjectRemoved") {
                true
            } else {
                return Parsed::Ignored(format!("event {name}"));
            };
            object_from(
                str_at(r, &["s3", "bucket", "name"]),
                r.get("s3").and_then(|s| s.get("object")),
                true,
                removed,
            )
        })
        .collect()
}

fn eventbridge(v: &Value) -> Parsed {
    match str_at(v, &["detail-type"]) {
        Some(kind @ ("Object Created" | "Object Deleted")) => object_from(
            str_at(v, &["detail", "bucket", "name"]),
            v.get("detail").and_then(|d| d.get("object")),
            false,
            kind == "Object Deleted",
        ),
        Some(other) => Parsed::Ignored(format!("EventBridge {other}")),
        None => Parsed::Unreadable("EventBridge event without detail-type".into()),
    }
}

/// A message body: an S3 notification, a test event, an EventBridge event, or any of them in an
/// SNS envelope.
fn body_items(body: &Value) -> Vec<Parsed> {
    if str_at(body, &["Type"]) == Some("Notification")
        && let Some(inner) = str_at(body, &["Message"]).and_then(|m| serde_json::from_str::<Value>(m).ok())
    {
        return body_items(&inner);
    }
    if body.get("detail-type").is_some() {
        return vec![eventbridge(body)];
    }
    s3_notification(body)
}

/// Splits any supported payload into work items.
pub fn parse(payload: &Value) -> (Invocation, Vec<WorkItem>) {
    let records = payload.get("Records").and_then(Value::as_array);
    let is_sqs =
        records.is_some_and(|r| r.first().and_then(|r| str_at(r, &["eventSource"])) == Some("aws:sqs"));
    if is_sqs {
        let items = records
            .into_iter()
            .flatten()
            .flat_map(|m| {
                let id = str_at(m, &["messageId"]).map(str::to_string);
                let parsed = match str_at(m, &["body"]).map(serde_json::from_str::<Value>) {
                    Some(Ok(body)) => body_items(&body),
                    Some(Err(e)) => vec![Parsed::Unreadable(format!("SQS body is not JSON: {e}"))],
                    None => vec![Parsed::Unreadable("SQS message without body".into())],
                };
                parsed.into_iter().map(move |p| WorkItem {
                    message_id: id.clone(),
                    outcome: p,
                })
            })
            .collect();
        return (Invocation::Sqs, items);
    }
    let items = body_items(payload)
        .into_iter()
        .map(|p| WorkItem {
            message_id: None,
            outcome: p,
        })
        .collect();
    (Invocation::Direct, items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_decoded() {
        assert_eq!(
            decode_key("incoming/sales/My+File+%282%29.csv"),
            "incoming/sales/My File (2).csv"
        );
        assert_eq!(
            decode_key("incoming/sales/%D9%81%D8%B1%D9%88%D8%B4+%DB%B1%DB%B4%DB%B0%DB%B2.csv"),
            "incoming/sales/فروش ۱۴۰۲.csv"
        );
        assert_eq!(decode_key("a%2Bb.csv"), "a+b.csv");
    }

    #[test]
    fn direct_s3_with_two_records_and_a_delete() {
        let v: Value = serde_json::json!({"Records": [
            {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
             "s3": {"bucket": {"name": "b"}, "object": {"key": "incoming/sales/a+b.csv", "size": 10, "eTag": "e1"}}},
            {"eventSource": "aws:s3", "eventName": "ObjectRemoved:Delete",
             "s3": {"bucket": {"name": "b"}, "object": {"key": "incoming/sales/x.csv"}}}
        ]});
        let (inv, items) = parse(&v);
        assert_eq!(inv, Invocation::Direct);
        assert_eq!(items.len(), 2);
        match &items[0].outcome {
            Parsed::Object(o) => {
                assert_eq!(o.key, "incoming/sales/a b.csv");
                assert_eq!(o.alt_key.as_deref(), Some("incoming/sales/a+b.csv"));
                assert_eq!((o.size, o.etag.as_deref()), (Some(10), Some("e1")));
            }
            other => panic!("{other:?}"),
        }
        match &items[1].outcome {
            Parsed::Object(o) => assert!(o.removed && o.key == "incoming/sales/x.csv"),
            other => panic!("{other:?}"),
        }
        let restore = serde_json::json!({"Records": [{"eventSource": "aws:s3",
            "eventName": "ObjectRestore:Completed",
            "s3": {"bucket": {"name": "b"}, "object": {"key": "incoming/sales/x.csv"}}}]});
        assert!(matches!(parse(&restore).1[0].outcome, Parsed::Ignored(_)));
    }

    #[test]
    fn sqs_wrapped_test_event_and_garbage() {
        let v = serde_json::json!({"Records": [
            {"eventSource": "aws:sqs", "messageId": "m1",
             "body": "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Bucket\":\"b\"}"},
            {"eventSource": "aws:sqs", "messageId": "m2", "body": "not json"}
        ]});
        let (inv, items) = parse(&v);
        assert_eq!(inv, Invocation::Sqs);
        assert_eq!(items[0].message_id.as_deref(), Some("m1"));
        assert!(matches!(items[0].outcome, Parsed::Ignored(_)));
        assert!(matches!(items[1].outcome, Parsed::Unreadable(_)));
    }

    #[test]
    fn eventbridge_keys_are_taken_as_is() {
        let v = serde_json::json!({"version": "0", "detail-type": "Object Created", "source": "aws.s3",
            "detail": {"bucket": {"name": "b"}, "object": {"key": "incoming/sales/a+b.csv", "etag": "x", "version-id": "v1"}}});
        let (_, items) = parse(&v);
        match &items[0].outcome {
            Parsed::Object(o) => {
                assert_eq!(o.key, "incoming/sales/a+b.csv");
                assert_eq!(o.alt_key.as_deref(), Some("incoming/sales/a b.csv"));
                assert_eq!(o.version_id.as_deref(), Some("v1"));
                assert!(!o.removed);
            }
            other => panic!("{other:?}"),
        }
        let deleted = serde_json::json!({"version": "0", "detail-type": "Object Deleted", "source": "aws.s3",
            "detail": {"bucket": {"name": "b"}, "object": {"key": "incoming/sales/a.csv"}}});
        match &parse(&deleted).1[0].outcome {
            Parsed::Object(o) => assert!(o.removed),
            other => panic!("{other:?}"),
        }
    }
}
