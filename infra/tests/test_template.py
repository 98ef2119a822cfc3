"""Properties of infra/template.yaml that matter even where no linter has a rule.

Every property is written as a `check_*` function that raises AssertionError on
a violation. The `test_*` functions run them on the real template, and
`test_regression_is_caught` runs each of them on deliberately broken copies of
the template, so a check that stopped checking anything fails the suite too.

Set SEGFLOW_TEMPLATE=/path/to/other.yaml to run the checks on another file.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

INFRA = Path(__file__).resolve().parents[1]
TEMPLATE = Path(os.environ.get("SEGFLOW_TEMPLATE", INFRA / "template.yaml"))

TRIGGER_PREFIXES = {"incoming/sales/", "incoming/customers/", "incoming/activity/"}
TRIGGER_EVENTS = {"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}
OUTPUT_PREFIXES = {"curated/", "quarantine/", "reports/", "segments/", "state/"}
# A nightly run's customer-level files: kept for RunHistoryDays.
RUN_HISTORY_PREFIXES = {"segments/run_date=", "segments/athena/segment_customers/", "segments/experiments/"}

# What each function may do in the data bucket: action -> key prefixes.
INGEST_S3 = {
    "s3:GetObject": {"incoming/", "state/ingest/", "reports/ingest/"},
    "s3:GetObjectVersion": {"incoming/"},
    "s3:PutObject": {"state/ingest/", "curated/", "quarantine/", "reports/ingest/"},
    "s3:AbortMultipartUpload": {"state/ingest/", "curated/", "quarantine/", "reports/ingest/"},
    "s3:DeleteObject": {"curated/", "quarantine/", "reports/ingest/", "state/ingest/pending/"},
    "s3:ListBucket": {"state/ingest/", "incoming/"},
}
SEGMENT_S3 = {
    "s3:GetObject": {"curated/", "state/segments/", "segments/"},
    "s3:PutObject": {"segments/", "state/segments/"},
    "s3:AbortMultipartUpload": {"segments/", "state/segments/"},
    "s3:DeleteObject": {"segments/latest/", "segments/run_date=*/manifest.json", "segments/experiments/*/manifest.json"},
    "s3:ListBucket": {"curated/", "state/segments/", "segments/"},
}
EXPECTED_S3 = {"IngestRole": INGEST_S3, "SegmentRole": SEGMENT_S3}
ALLOWED_MANAGED_POLICIES = {"AWSXRayDaemonWriteAccess"}

FUNCTIONS = {"IngestFunction": "ingest", "SegmentFunction": "segment"}

# The Glue tables: location, partition and columns. tests/segment_e2e.rs checks the Parquet files
# the functions write against the same file, so a column added to an output without the table
# (or the other way round) fails one of the two.
ATHENA_TABLES = json.loads((INFRA / "athena_tables.json").read_text())["tables"]
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
# Athena's relative date syntax for projection ranges (docs: partition-projection-supported-types).
RELATIVE_DATE = re.compile(r"^\s*NOW\s*(?:([+-])\s*([0-9]+)\s*(YEARS?|MONTHS?|WEEKS?|DAYS?|HOURS?|MINUTES?|SECONDS?)\s*)?$")
DAYS_PER_UNIT = {"YEAR": 365, "MONTH": 28, "WEEK": 7, "DAY": 1, "HOUR": 0, "MINUTE": 0, "SECOND": 0}
# How far into the future (days, at least) each partition's projection must reach: sales months
# for pre-dated orders and mistyped years, run dates for a run as of today in a zone ahead of UTC.
PROJECTION_AHEAD_DAYS = {"order_month": 365, "event_month": 365, "run_date": 1}


# ----------------------------------------------------------------- helpers


def load_template(path: Path = TEMPLATE) -> dict:
    """cfn-lint's loader (understands !Ref, !Sub, !GetAtt ...), as plain dicts."""
    return json.loads(json.dumps(cfn_yaml.load(str(path))))


@pytest.fixture(scope="module")
def tpl() -> dict:
    return load_template()


def resources(t: dict, rtype: str) -> dict:
    return {k: v for k, v in t["Resources"].items() if v["Type"] == rtype}


def props(t: dict, logical_id: str) -> dict:
    assert logical_id in t["Resources"], f"{logical_id} missing from the template"
    return t["Resources"][logical_id].get("Properties", {})


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def is_getatt(value, logical_id: str, attr: str = "Arn") -> bool:
    if not isinstance(value, dict) or "Fn::GetAtt" not in value:
        return False
    ga = value["Fn::GetAtt"]
    if isinstance(ga, str):
        ga = ga.split(".", 1)
    return list(ga) == [logical_id, attr]


def is_ref(value, name: str) -> bool:
    return isinstance(value, dict) and value.get("Ref") == name


def references(node) -> set[str]:
    """Logical ids / parameters a value refers to (Ref, GetAtt, Sub)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                ga = value.split(".", 1) if isinstance(value, str) else value
                found.add(ga[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                for var in re.findall(r"\$\{([^!}][^}]*)\}", text):
                    found.add(var.split(".", 1)[0])
                if not isinstance(value, str):
                    found |= references(value[1])
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def statements(policy_document: dict) -> list[dict]:
    return as_list(policy_document.get("Statement"))


def role_statements(t: dict, role: str) -> list[dict]:
    out = []
    for policy in props(t, role).get("Policies", []):
        out.extend(statements(policy["PolicyDocument"]))
    return out


BUCKET_ARN = re.compile(r"^\$\{DataBucket\.Arn\}$")
OBJECT_ARN = re.compile(r"^\$\{DataBucket\.Arn\}/(?P<prefix>[^*]*)\*$")
# One file name in every folder below a prefix: `segments/run_date=*/manifest.json`.
OBJECT_FILE_ARN = re.compile(r"^\$\{DataBucket\.Arn\}/(?P<pattern>[^*]+\*/[^*/]+)$")


def s3_resource(resource) -> tuple[str, str | None]:
    """('bucket', None) or ('object', 'prefix/') for a data-bucket resource; anything else fails."""
    if is_getatt(resource, "DataBucket"):
        return "bucket", None
    if isinstance(resource, dict) and isinstance(resource.get("Fn::Sub"), str):
        text = resource["Fn::Sub"]
        if BUCKET_ARN.match(text):
            return "bucket", None
        m = OBJECT_ARN.match(text)
        if m:
            prefix = m.group("prefix")
            assert prefix and prefix.endswith("/"), f"object ARN {text!r} is not limited to a folder prefix"
            return "object", prefix
        m = OBJECT_FILE_ARN.match(text)
        if m:
            return "object", m.group("pattern")
    raise AssertionError(f"S3 resource {resource!r} is not the data bucket or a prefix of it")


def prefixes_overlap(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


# ----------------------------------------------------------------- checks


def check_trigger_only_incoming(t: dict) -> None:
    bucket = props(t, "DataBucket")
    notif = bucket.get("NotificationConfiguration", {})
    assert set(notif) == {"QueueConfigurations"}, f"unexpected notification targets: {sorted(notif)}"
    seen = []
    for cfg in notif["QueueConfigurations"]:
        assert cfg["Event"] in TRIGGER_EVENTS, cfg["Event"]
        assert is_getatt(cfg["Queue"], "IngestQueue"), cfg["Queue"]
        rules = cfg.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        prefixes = [r["Value"] for r in rules if r["Name"].lower() == "prefix"]
        assert len(prefixes) == 1, f"every notification needs exactly one prefix filter, got {rules}"
        seen.append((cfg["Event"], prefixes[0]))
    # Uploads and deletions (which retract an upload's rows) of each trigger prefix, nothing else.
    expected = sorted((e, p) for e in TRIGGER_EVENTS for p in TRIGGER_PREFIXES)
    assert sorted(seen) == expected, f"trigger events and prefixes {seen}"
    seen = [p for _, p in seen]
    for trigger in seen:
        assert trigger.startswith("incoming/") and trigger.endswith("/"), trigger
        for output in OUTPUT_PREFIXES:
            assert not prefixes_overlap(trigger, output), f"{trigger} can match outputs under {output}"
    # No other way for S3 to start a function.
    for fid in FUNCTIONS:
        for name, event in props(t, fid).get("Events", {}).items():
            assert event["Type"] == "SQS" and fid == "IngestFunction", f"{fid} has event {name} ({event['Type']})"
    for perm in resources(t, "AWS::Lambda::Permission").values():
        assert "s3" not in str(perm["Properties"].get("Principal", "")), "S3 may not invoke a function directly"


def check_no_role_writes_trigger_prefixes(t: dict) -> None:
    for role in resources(t, "AWS::IAM::Role"):
        for st in role_statements(t, role):
            actions = as_list(st.get("Action"))
            if not any(a.startswith("s3:Put") or a == "s3:*" or a == "*" for a in actions):
                continue
            for res in as_list(st.get("Resource")):
                kind, prefix = s3_resource(res)
                assert kind == "object"
                for trigger in TRIGGER_PREFIXES:
                    assert not prefixes_overlap(prefix, trigger), f"{role} can write {prefix}, which re-triggers ingest"


def bucket_policy_for(t: dict, bucket: str) -> dict:
    found = [p for p in resources(t, "AWS::S3::BucketPolicy").values() if is_ref(p["Properties"]["Bucket"], bucket)]
    assert len(found) == 1, f"{bucket} needs exactly one bucket policy"
    return found[0]["Properties"]["PolicyDocument"]


def check_bucket_policies_deny_insecure_transport(t: dict) -> None:
    for bucket in resources(t, "AWS::S3::Bucket"):
        ok = False
        for st in statements(bucket_policy_for(t, bucket)):
            if st.get("Effect") != "Deny" or st.get("Principal") not in ("*", {"AWS": "*"}):
                continue
            if "s3:*" not in as_list(st.get("Action")):
                continue
            res = as_list(st.get("Resource"))
            covers_bucket = any(is_getatt(r, bucket) for r in res)
            covers_objects = any(r == {"Fn::Sub": f"${{{bucket}.Arn}}/*"} for r in res)
            secure = st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
            if covers_bucket and covers_objects and str(secure).lower() == "false":
                ok = True
        assert ok, f"{bucket} policy does not deny non-TLS requests to the bucket and all objects"


def check_buckets_locked_down(t: dict) -> None:
    for bucket, res in resources(t, "AWS::S3::Bucket").items():
        p = res["Properties"]
        pab = p.get("PublicAccessBlockConfiguration", {})
        for key in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
            assert pab.get(key) is True, f"{bucket}: {key} is not true"
        assert p.get("VersioningConfiguration", {}).get("Status") == "Enabled", f"{bucket}: versioning off"
        rules = p.get("OwnershipControls", {}).get("Rules", [])
        assert [r.get("ObjectOwnership") for r in rules] == ["BucketOwnerEnforced"], f"{bucket}: ACLs not disabled"
        sse = p.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
        algos = [r.get("ServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in sse]
        assert algos and all(a in ("AES256", "aws:kms", "aws:kms:dsse") for a in algos), f"{bucket}: no default encryption"
        assert res.get("DeletionPolicy") == "Retain", f"{bucket}: a stack delete would try to remove the data"
    data = props(t, "DataBucket")
    assert is_ref(data.get("LoggingConfiguration", {}).get("DestinationBucketName"), "AccessLogBucket"), \
        "data bucket access logs must go to the log bucket"


def check_lifecycle(t: dict) -> None:
    rules = props(t, "DataBucket")["LifecycleConfiguration"]["Rules"]
    by_prefix = {r.get("Prefix", r.get("Filter", {}).get("Prefix", "")): r for r in rules if r["Status"] == "Enabled"}
    incoming = by_prefix.get("incoming/")
    assert incoming and incoming.get("NoncurrentVersionExpiration"), "old upload versions are never expired"
    assert incoming.get("Transitions"), "uploads are never moved to a cheaper storage class"
    quarantine = by_prefix.get("quarantine/")
    assert quarantine and quarantine.get("ExpirationInDays"), "quarantine/ never expires"
    assert any(r.get("AbortIncompleteMultipartUpload") for r in rules), "incomplete multipart uploads are never aborted"
    # Copies of the whole customer base with contact lists, one per night, must age out.
    for prefix in RUN_HISTORY_PREFIXES:
        rule = by_prefix.get(prefix)
        assert rule and rule.get("ExpirationInDays"), f"{prefix} (every night's customer files) never expires"
    # Only those and quarantined rows may expire; uploads, curated data, state, the summaries and
    # segments/latest/ are the product.
    for prefix, rule in by_prefix.items():
        if rule.get("ExpirationInDays") or rule.get("ExpirationDate"):
            assert prefix == "quarantine/" or prefix in RUN_HISTORY_PREFIXES, \
                f"lifecycle rule {rule['Id']} deletes current objects under {prefix!r}"


def check_role_s3_permissions(t: dict) -> None:
    for role in resources(t, "AWS::IAM::Role"):
        granted: dict[str, set[str]] = {}
        for st in role_statements(t, role):
            assert "NotAction" not in st and "NotResource" not in st, f"{role}: NotAction/NotResource"
            actions = as_list(st.get("Action"))
            for action in actions:
                assert action != "*" and not action.endswith(":*"), f"{role}: wildcard action {action}"
            s3_actions = [a for a in actions if a.lower().startswith("s3:")]
            if not s3_actions:
                assert "*" not in as_list(st.get("Resource")), f"{role}: statement {st.get('Sid')} on every resource"
                continue
            assert st.get("Effect") == "Allow"
            for action in s3_actions:
                assert "*" not in action and "?" not in action, f"{role}: wildcard S3 action {action}"
            for res in as_list(st.get("Resource")):
                kind, prefix = s3_resource(res)
                if kind == "bucket":
                    assert s3_actions == ["s3:ListBucket"], f"{role}: {s3_actions} on the bucket itself"
                    cond = st.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
                    assert cond, f"{role}: ListBucket without an s3:prefix condition"
                    for pattern in as_list(cond):
                        assert pattern.endswith("/*") and "*" not in pattern[:-1], f"{role}: list prefix {pattern}"
                        granted.setdefault("s3:ListBucket", set()).add(pattern[:-1])
                else:
                    assert "s3:ListBucket" not in s3_actions
                    for action in s3_actions:
                        granted.setdefault(action, set()).add(prefix)
        expected = EXPECTED_S3.get(role, {})
        assert granted == expected, f"{role}: S3 grants {granted} != expected {expected}"
        for arn in as_list(props(t, role).get("ManagedPolicyArns")):
            name = arn["Fn::Sub"].rsplit("/", 1)[-1] if isinstance(arn, dict) else arn.rsplit("/", 1)[-1]
            assert name in ALLOWED_MANAGED_POLICIES, f"{role}: managed policy {name}"


def check_function_logs_scoped(t: dict) -> None:
    for fid, name in FUNCTIONS.items():
        role = props(t, fid)["Role"]["Fn::GetAtt"][0]
        log_statements = [s for s in role_statements(t, role) if any(a.startswith("logs:") for a in as_list(s["Action"]))]
        assert log_statements, f"{role} cannot write logs"
        for st in log_statements:
            assert "logs:CreateLogGroup" not in as_list(st["Action"]), "the stack owns the log groups"
            for res in as_list(st["Resource"]):
                assert res["Fn::Sub"].endswith(f":log-group:/aws/lambda/${{NamePrefix}}-{name}:*"), res
        assert props(t, fid)["FunctionName"] == {"Fn::Sub": f"${{NamePrefix}}-{name}"}


def dead_letter_targets(t: dict) -> set[str]:
    targets = set()
    for q in resources(t, "AWS::SQS::Queue").values():
        rp = q["Properties"].get("RedrivePolicy")
        if rp:
            targets |= references(rp.get("deadLetterTargetArn"))
    for s in resources(t, "AWS::Scheduler::Schedule").values():
        targets |= references(s["Properties"]["Target"].get("DeadLetterConfig", {}).get("Arn"))
    for fid in FUNCTIONS:
        targets |= references(props(t, fid).get("DeadLetterQueue", {}).get("TargetArn"))
    return targets


def tls_only_queues(t: dict) -> set[str]:
    """Queues a queue policy denies every request that is not over TLS."""
    covered: set[str] = set()
    for policy in resources(t, "AWS::SQS::QueuePolicy").values():
        p = policy["Properties"]
        for st in statements(p["PolicyDocument"]):
            insecure = st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
            if (st.get("Effect") == "Deny" and st.get("Principal") in ("*", {"AWS": "*"})
                    and "sqs:*" in as_list(st.get("Action")) and str(insecure).lower() == "false"):
                denied: set[str] = set()
                for r in as_list(st.get("Resource")):
                    denied |= references(r)
                covered |= set().union(*(references(q) for q in as_list(p["Queues"]))) & denied
    return covered


def check_queues(t: dict) -> None:
    queues = resources(t, "AWS::SQS::Queue")
    dlqs = dead_letter_targets(t)
    assert queues, "no queues"
    tls = tls_only_queues(t)
    for qid, q in queues.items():
        p = q["Properties"]
        assert p.get("SqsManagedSseEnabled") is True or p.get("KmsMasterKeyId"), f"{qid} is not encrypted"
        assert qid in tls, f"{qid} accepts requests without TLS"
        if qid in dlqs:
            assert "RedrivePolicy" not in p, f"dead-letter queue {qid} redrives further"
            assert p.get("MessageRetentionPeriod") == 1209600, f"dead-letter queue {qid} keeps messages < 14 days"
            continue
        rp = p.get("RedrivePolicy")
        assert rp, f"{qid} is neither a dead-letter queue nor has a RedrivePolicy"
        target = rp["deadLetterTargetArn"]
        assert isinstance(target, dict) and references(target) & set(queues), f"{qid} redrives outside the stack"
        assert 1 <= int(rp["maxReceiveCount"]) <= 10, f"{qid}: maxReceiveCount {rp['maxReceiveCount']}"


def check_visibility_timeout(t: dict) -> None:
    param = t["Parameters"]["IngestTimeout"]
    allowed = [int(v) for v in param["AllowedValues"]]
    assert int(param["Default"]) in allowed
    assert max(allowed) <= 900
    mapping = t["Mappings"]["IngestTimeouts"]
    assert sorted(int(k) for k in mapping) == sorted(allowed), "every allowed ingest timeout needs a mapping row"
    for timeout, row in mapping.items():
        assert int(row["VisibilityTimeout"]) >= 6 * int(timeout), f"visibility {row} < 6 x {timeout}"
        assert int(row["VisibilityTimeout"]) <= 43200
    queue = props(t, "IngestQueue")
    assert queue["VisibilityTimeout"] == {
        "Fn::FindInMap": ["IngestTimeouts", {"Ref": "IngestTimeout"}, "VisibilityTimeout"]
    }, "the queue must take its visibility timeout from the ingest timeout"
    assert is_ref(props(t, "IngestFunction")["Timeout"], "IngestTimeout")


def check_ingest_event_source(t: dict) -> None:
    events = props(t, "IngestFunction")["Events"]
    assert len(events) == 1
    (event,) = events.values()
    assert event["Type"] == "SQS"
    ep = event["Properties"]
    assert is_getatt(ep["Queue"], "IngestQueue")
    assert ep.get("FunctionResponseTypes") == ["ReportBatchItemFailures"]
    assert is_ref(ep.get("BatchSize"), "IngestBatchSize")
    batch = t["Parameters"]["IngestBatchSize"]
    assert 1 <= int(batch["Default"]) <= int(batch["MaxValue"]) <= 10, "batches > 10 need a batching window"
    assert is_ref(ep.get("ScalingConfig", {}).get("MaximumConcurrency"), "IngestMaxConcurrency")


def check_functions(t: dict) -> None:
    arch = t["Parameters"]["Architecture"]
    assert arch["Default"] == "x86_64" and sorted(arch["AllowedValues"]) == ["arm64", "x86_64"]
    for fid, binary in FUNCTIONS.items():
        p = props(t, fid)
        assert p["Runtime"] == "provided.al2023" and p["Handler"] == "bootstrap"
        assert p["Architectures"] == [{"Ref": "Architecture"}]
        assert p["CodeUri"] == f"../target/lambda/{binary}/bootstrap.zip", p["CodeUri"]
        assert "ReservedConcurrentExecutions" in p
        assert p.get("Tracing") == "Active"
        assert p.get("LoggingConfig", {}).get("LogFormat") == "JSON", f"{fid}: logs must be structured JSON"
        # Lambda drops JSON lines below ApplicationLogLevel (INFO unset) and passes it on as
        # AWS_LAMBDA_LOG_LEVEL: LogLevel must reach it.
        assert p["LoggingConfig"].get("ApplicationLogLevel") == {
            "Fn::FindInMap": ["LogLevels", {"Ref": "LogLevel"}, "Application"]
        }, f"{fid}: LogLevel does not reach Lambda's log-level filter"
        for key in ("MemorySize", "Timeout", "EphemeralStorage"):
            assert key in p, f"{fid}: {key} missing"
    levels = t["Mappings"]["LogLevels"]
    assert {k: v["Application"] for k, v in levels.items()} == {
        v: v.upper() for v in t["Parameters"]["LogLevel"]["AllowedValues"]
    }
    ingest_storage = t["Parameters"]["IngestEphemeralStorageSize"]
    assert int(ingest_storage["Default"]) >= 10240, "ingest needs the largest /tmp for multi-GB uploads"
    seg_env = props(t, "SegmentFunction")["Environment"]["Variables"]
    assert is_ref(seg_env["SEGFLOW_DATA_BUCKET"], "DataBucket")
    for key in ("SEGFLOW_K", "SEGFLOW_MIN_GROUP_SIZE", "SEGFLOW_CURRENCY_RATES", "SEGFLOW_PSEUDONYM_KEY",
                "SEGFLOW_TIMEZONE", "SEGFLOW_IDEAL_RFM_GROUPS", "SEGFLOW_IDEAL_MIN_SHARE", "SEGFLOW_RFM_RULES",
                "RUST_LOG"):
        assert key in seg_env, key
    # Optional settings default to empty, which the segment function reads as unset.
    for param in ("SegmentIdealRfmGroups", "SegmentIdealMinShare", "SegmentRfmRules"):
        assert t["Parameters"][param]["Default"] == "", param
    share = re.compile(t["Parameters"]["SegmentIdealMinShare"]["AllowedPattern"])
    assert all(share.match(v) for v in ["", "0.2", ".35", "1", "20%"])
    assert not any(share.match(v) for v in ["0,2", "a lot", "-0.1"])
    groups = re.compile(t["Parameters"]["SegmentIdealRfmGroups"]["AllowedPattern"])
    assert all(groups.match(v) for v in ["", "Champions,Loyal", "Can't Lose Them"])
    assert not groups.match("Champions:R5:F4-5"), "a rule table in the groups parameter"
    # The template accepts exactly the k the segment function accepts (2–10 or auto).
    k_pattern = re.compile(t["Parameters"]["SegmentK"]["AllowedPattern"])
    assert all(k_pattern.match(v) for v in ["auto"] + [str(k) for k in range(2, 11)])
    assert not any(k_pattern.match(v) for v in ["1", "11", "50", "0"])
    rates = re.compile(t["Parameters"]["SegmentCurrencyRates"]["AllowedPattern"])
    assert all(rates.match(v) for v in ["", "EUR=1", "EUR=1,GBP=1.17", "eur=1, IRT=0.00002"])
    assert not any(rates.match(v) for v in ["EUR", "EURO=1", "EUR=1;GBP=2"])
    ingest_env = props(t, "IngestFunction")["Environment"]["Variables"]
    for key in ("SEGFLOW_TIMEZONE", "SEGFLOW_DATE_ORDER", "SEGFLOW_PHONE_COUNTRY", "SEGFLOW_MAX_INPUT_BYTES", "SEGFLOW_QUERYABLE_FROM_YEAR", "RUST_LOG"):
        assert key in ingest_env, key
    # The countries the ingest function knows, and no others (an unknown one fails every upload).
    engine = (INFRA.parent / "functions/engine/src/values/phone.rs").read_text()
    known = set(re.findall(r'country\("([A-Z]{2})"', engine))
    assert set(t["Parameters"]["IngestPhoneCountry"]["AllowedValues"]) == known | {""}
    assert t["Parameters"]["PseudonymKey"].get("NoEcho") is True, "the pseudonym key parameter must be NoEcho"
    # The function refuses a key shorter than 16 bytes: the template must not deploy one.
    key = re.compile(t["Parameters"]["PseudonymKey"]["AllowedPattern"])
    assert key.fullmatch("") and key.fullmatch("0123456789abcdef")
    assert not key.fullmatch("s3cret")
    config = (INFRA.parent / "functions/segment/src/config.rs").read_text()
    assert "const PSEUDONYM_KEY_MIN_BYTES: usize = 16;" in config


def check_scheduler(t: dict) -> None:
    schedules = resources(t, "AWS::Scheduler::Schedule")
    assert len(schedules) == 1
    (s,) = schedules.values()
    p = s["Properties"]
    assert is_ref(p["ScheduleExpression"], "ScheduleExpression")
    # Read in ScheduleTimezone, else (empty, the default) in the shop's own zone: a run read in
    # UTC for a Los Angeles shop would start before its midnight and lag a day.
    assert p.get("ScheduleExpressionTimezone") == {
        "Fn::If": ["ScheduleInDataTimezone", {"Ref": "DataTimezone"}, {"Ref": "ScheduleTimezone"}]
    }, p.get("ScheduleExpressionTimezone")
    assert t["Conditions"]["ScheduleInDataTimezone"] == {"Fn::Equals": [{"Ref": "ScheduleTimezone"}, ""]}
    assert t["Parameters"]["ScheduleTimezone"]["Default"] == ""
    # The default time exists every night, once: the spring-forward night skips 02:00-02:59 in
    # Central Europe and North America and 03:00-03:59 in Eastern Europe (the autumn repeats
    # them), and the scheduler then runs nothing, without an error.
    default = re.match(r"cron\((\S+) (\S+) ", t["Parameters"]["ScheduleExpression"]["Default"])
    assert default and int(default.group(2)) >= 4, t["Parameters"]["ScheduleExpression"]["Default"]
    target = p["Target"]
    assert is_getatt(target["Arn"], "SegmentFunction")
    # The segment function recognises the nightly run by an EventBridge-style
    # "Scheduled Event" and dates it from `time`, which must be the scheduled time.
    payload = json.loads(target["Input"])
    assert payload.get("detail-type") == "Scheduled Event", payload
    assert payload.get("time") == "<aws.scheduler.scheduled-time>", payload
    retry = target.get("RetryPolicy", {})
    assert int(retry.get("MaximumRetryAttempts", 0)) >= 1, "no retries"
    assert int(retry.get("MaximumEventAgeInSeconds", 0)) >= 60
    dlq = target.get("DeadLetterConfig", {}).get("Arn")
    assert dlq and references(dlq) & set(resources(t, "AWS::SQS::Queue")), "scheduler without a DLQ"
    (dlq_id,) = references(dlq)
    role = target["RoleArn"]["Fn::GetAtt"][0]
    trust = statements(props(t, role)["AssumeRolePolicyDocument"])
    assert [st["Principal"] for st in trust] == [{"Service": "scheduler.amazonaws.com"}]
    grants = {a: as_list(st["Resource"]) for st in role_statements(t, role) for a in as_list(st["Action"])}
    assert set(grants) == {"lambda:InvokeFunction", "sqs:SendMessage"}, grants
    assert all(references(r) == {"SegmentFunction"} for r in grants["lambda:InvokeFunction"])
    assert all(is_getatt(r, dlq_id) for r in grants["sqs:SendMessage"])


def check_log_groups(t: dict) -> None:
    groups = resources(t, "AWS::Logs::LogGroup")
    assert groups
    covered = set()
    for gid, g in groups.items():
        p = g["Properties"]
        retention = p.get("RetentionInDays")
        if isinstance(retention, dict):
            assert set(retention) == {"Ref"} and retention["Ref"] in t["Parameters"], f"{gid}: retention {retention}"
            retention = t["Parameters"][retention["Ref"]].get("Default")
        assert retention and int(retention) > 0, f"{gid} keeps logs forever"
        name = p.get("LogGroupName", {})
        m = re.fullmatch(r"/aws/lambda/\$\{(\w+)\}", name.get("Fn::Sub", "") if isinstance(name, dict) else "")
        if m:
            covered.add(m.group(1))
    assert covered == set(FUNCTIONS), f"functions without a log group: {set(FUNCTIONS) - covered}"
    retention = t["Parameters"]["LogRetentionDays"]
    assert int(retention["Default"]) in [int(v) for v in retention["AllowedValues"]]


def check_alarms(t: dict) -> None:
    alarms = [a["Properties"] for a in resources(t, "AWS::CloudWatch::Alarm").values()]

    def watched(namespace: str, metric: str) -> set[str]:
        out = set()
        for a in alarms:
            if a["Namespace"] == namespace and a["MetricName"] == metric:
                for d in a.get("Dimensions", []):
                    out |= references(d["Value"])
        return out

    dlqs = dead_letter_targets(t)
    assert dlqs <= watched("AWS/SQS", "ApproximateNumberOfMessagesVisible"), "a DLQ has no depth alarm"
    assert set(FUNCTIONS) <= watched("AWS/Lambda", "Errors"), "a function has no Errors alarm"
    # Defects are acknowledged with a report, so only their log line shows them: a metric filter
    # on the ingest log group for the line pipeline.rs writes, and an alarm on its metric.
    filters = [f["Properties"] for f in resources(t, "AWS::Logs::MetricFilter").values()]
    defect = [f for f in filters if "failed with a defect" in f["FilterPattern"]]
    assert defect and references(defect[0]["LogGroupName"]) == {"IngestLogGroup"}, "no defect metric filter"
    metric = defect[0]["MetricTransformations"][0]
    assert any(
        a["Namespace"] == metric["MetricNamespace"] and a["MetricName"] == metric["MetricName"] for a in alarms
    ), "no alarm on the defect metric"
    pipeline = (INFRA.parent / "functions/ingest/src/pipeline.rs").read_text()
    assert "failed with a defect" in pipeline, "the log line the filter matches is gone"


def check_no_notification_cycle(t: dict) -> None:
    assert "DataBucket" not in references(t["Resources"]["IngestQueuePolicy"]), \
        "the queue policy must name the bucket without referencing it (dependency cycle)"
    assert "IngestQueuePolicy" in as_list(t["Resources"]["DataBucket"].get("DependsOn")), \
        "the bucket must wait for the queue policy, or S3 rejects the notification"
    # The queue policy must name exactly the bucket the stack creates.
    bucket_name = props(t, "DataBucket")["BucketName"]["Fn::Sub"]
    cond = statements(props(t, "IngestQueuePolicy")["PolicyDocument"])[0]["Condition"]
    source = next(iter(cond["ArnEquals"].values()))["Fn::Sub"]
    assert source == f"arn:${{AWS::Partition}}:s3:::{bucket_name}", source
    # And the whole template has no dependency cycle.
    graph = {}
    for rid, res in t["Resources"].items():
        deps = references(res.get("Properties", {})) | set(as_list(res.get("DependsOn")))
        graph[rid] = {d for d in deps if d in t["Resources"]}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2:
            return
        assert state.get(node) != 1, f"dependency cycle: {' -> '.join(path + [node])}"
        state[node] = 1
        for dep in graph[node]:
            visit(dep, path + [node])
        state[node] = 2

    for rid in graph:
        visit(rid, [])


def glue_table(t: dict, name: str) -> dict:
    for table in resources(t, "AWS::Glue::Table").values():
        if table["Properties"]["TableInput"]["Name"] == name:
            return table["Properties"]["TableInput"]
    raise AssertionError(f"Glue table {name} missing")


def projection_days_ahead(end: str) -> int:
    """How many days past today a projection range's end reaches (0 for NOW or a fixed date)."""
    m = RELATIVE_DATE.match(end)
    if not m:
        return 0
    sign, amount, unit = m.groups()
    if sign is None:
        return 0
    days = int(amount) * DAYS_PER_UNIT[unit.rstrip("S")]
    return days if sign == "+" else -days


def check_glue_tables(t: dict) -> None:
    tables = {r["Properties"]["TableInput"]["Name"] for r in resources(t, "AWS::Glue::Table").values()}
    assert tables == set(ATHENA_TABLES), f"Glue tables {sorted(tables)} != athena_tables.json {sorted(ATHENA_TABLES)}"
    for name, spec in ATHENA_TABLES.items():
        table = glue_table(t, name)
        params = table["Parameters"]
        key, location, fmt = spec["partition"], spec["location"], spec["partition_format"]
        storage = table["StorageDescriptor"]
        assert storage["Location"] == {"Fn::Sub": f"s3://${{DataBucket}}/{location}"}, f"{name}: Location"
        assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == [tuple(c) for c in spec["columns"]], name
        assert storage["SerdeInfo"]["SerializationLibrary"] == PARQUET_SERDE, f"{name}: not the Parquet SerDe"
        assert storage["InputFormat"] == PARQUET_INPUT, f"{name}: not the Parquet input format"
        assert params.get("classification") == "parquet", name
        if key is None:
            # One file per source in the location itself: nothing to project.
            assert not table.get("PartitionKeys"), f"{name}: partition keys without partition folders"
            assert not any(p.startswith("projection.") or p == "storage.location.template" for p in params), name
            continue
        assert params.get("projection.enabled") == "true", f"{name}: partition projection off"
        assert params.get(f"projection.{key}.type") == "date" and params.get(f"projection.{key}.format") == fmt
        assert params["storage.location.template"] == {"Fn::Sub": f"s3://${{DataBucket}}/{location}{key}=${{!{key}}}/"}, name
        assert [(k["Name"], k["Type"]) for k in table["PartitionKeys"]] == [(key, "string")]
        # The range: from ProjectionStartYear, into the future.
        text = params[f"projection.{key}.range"]["Fn::Sub"]
        start, end = text.split(",")
        assert start.startswith("${ProjectionStartYear}-01"), f"{name}: range starts at {start}"
        ahead = projection_days_ahead(end)
        assert RELATIVE_DATE.match(end) and ahead >= PROJECTION_AHEAD_DAYS[key], (
            f"{name}: range ends at {end!r}: {key} values after today are invisible"
        )
    # Athena reads every object under a table's location: no table may see another's files or
    # a run folder's CSV/JSON (segments/run_date=…/, segments/latest/).
    locations = {name: spec["location"] for name, spec in ATHENA_TABLES.items()}
    for name, location in locations.items():
        assert location.endswith("/") and location.count("/") >= 2, f"{name}: location {location}"
        for other, other_location in locations.items():
            if other != name:
                assert not prefixes_overlap(location, other_location), f"{name} and {other} share files"
        if location.startswith("segments/"):
            assert location.startswith("segments/athena/"), f"{name}: {location} holds more than its copies"
    assert not resources(t, "AWS::Glue::Crawler"), "partition projection replaces crawlers"


def declared_skips(t: dict) -> set[tuple[str, str]]:
    out = set()
    for rid, res in t["Resources"].items():
        meta = res.get("Metadata", {})
        for skip in meta.get("checkov", {}).get("skip", []):
            assert skip.get("comment"), f"{rid}: checkov skip {skip['id']} without a reason"
            out.add((skip["id"], rid))
        for rule in meta.get("cfn-lint", {}).get("config", {}).get("ignore_checks", []):
            out.add((rule, rid))
    return out


def check_skips_documented(t: dict, doc: str | None = None) -> None:
    doc = (INFRA / "SKIPPED_CHECKS.md").read_text() if doc is None else doc
    rows = set()
    for line in doc.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"[A-Z]+[A-Z_]*\d+", cells[0]):
            for rid in re.split(r"[,\s]+", cells[2]):
                if rid:
                    rows.add((cells[0], rid.strip("`")))
    declared = declared_skips(t)
    assert declared == rows, (
        f"undocumented skips: {sorted(declared - rows)}; documented but not in the template: {sorted(rows - declared)}"
    )


# ----------------------------------------------------------------- tests on the real template

CHECKS = [
    check_trigger_only_incoming,
    check_no_role_writes_trigger_prefixes,
    check_bucket_policies_deny_insecure_transport,
    check_buckets_locked_down,
    check_lifecycle,
    check_role_s3_permissions,
    check_function_logs_scoped,
    check_queues,
    check_visibility_timeout,
    check_ingest_event_source,
    check_functions,
    check_scheduler,
    check_log_groups,
    check_alarms,
    check_no_notification_cycle,
    check_glue_tables,
    check_skips_documented,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_template(tpl, check):
    check(tpl)


def test_build_script_writes_where_code_uri_points():
    build = (INFRA / "build").read_text()
    assert "--output-format zip" in build
    assert "--bin ingest" in build and "--bin segment" in build
    # The workspace root is a package too; without -p cargo looks for the bins only there.
    assert "--package segflow-ingest-fn" in build and "--package segflow-segment-fn" in build
    assert '--lambda-dir "$LAMBDA_DIR"' in build and 'LAMBDA_DIR="${LAMBDA_DIR:-$ROOT/target/lambda}"' in build
    assert os.access(INFRA / "build", os.X_OK) and os.access(INFRA / "check", os.X_OK)


def test_check_script_has_no_soft_fail():
    check = (INFRA / "check").read_text()
    assert "set -euo pipefail" in check
    for forbidden in ("--soft-fail", "|| true", "--skip-check"):
        assert forbidden not in check, f"infra/check must not contain {forbidden}"


# ----------------------------------------------------------------- the checks catch regressions


def _res(t, rid):
    return t["Resources"][rid]["Properties"]


def _ingest_statement(t, sid):
    return next(s for s in role_statements(t, "IngestRole") if s["Sid"] == sid)


def _segment_statement(t, sid):
    return next(s for s in role_statements(t, "SegmentRole") if s["Sid"] == sid)


def _queue_rules(t):
    return _res(t, "DataBucket")["NotificationConfiguration"]["QueueConfigurations"]


REGRESSIONS = {
    "trigger on the whole bucket": (
        check_trigger_only_incoming,
        lambda t: _queue_rules(t)[0]["Filter"]["S3Key"]["Rules"].__setitem__(0, {"Name": "prefix", "Value": ""}),
    ),
    "trigger on all of incoming/": (
        check_trigger_only_incoming,
        lambda t: _queue_rules(t)[0]["Filter"]["S3Key"]["Rules"].__setitem__(0, {"Name": "prefix", "Value": "incoming/"}),
    ),
    "trigger on curated output": (
        check_trigger_only_incoming,
        lambda t: _queue_rules(t).append(copy.deepcopy(_queue_rules(t)[0]) | {
            "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "curated/sales/"}]}}}),
    ),
    "suffix filter instead of prefix": (
        check_trigger_only_incoming,
        lambda t: _queue_rules(t)[1]["Filter"]["S3Key"]["Rules"].__setitem__(0, {"Name": "suffix", "Value": ".csv"}),
    ),
    "extra EventBridge notifications": (
        check_trigger_only_incoming,
        lambda t: _res(t, "DataBucket")["NotificationConfiguration"].update(EventBridgeConfiguration={"EventBridgeEnabled": True}),
    ),
    "ingest writes into incoming/": (
        check_no_role_writes_trigger_prefixes,
        lambda t: _ingest_statement(t, "WriteOutputs")["Resource"].append({"Fn::Sub": "${DataBucket.Arn}/incoming/*"}),
    ),
    "TLS condition dropped": (
        check_bucket_policies_deny_insecure_transport,
        lambda t: statements(_res(t, "DataBucketPolicy")["PolicyDocument"])[0].pop("Condition"),
    ),
    "TLS deny only on objects": (
        check_bucket_policies_deny_insecure_transport,
        lambda t: statements(_res(t, "AccessLogBucketPolicy")["PolicyDocument"])[0]["Resource"].pop(0),
    ),
    "public policy allowed": (
        check_buckets_locked_down,
        lambda t: _res(t, "DataBucket")["PublicAccessBlockConfiguration"].update(BlockPublicPolicy=False),
    ),
    "versioning suspended": (
        check_buckets_locked_down,
        lambda t: _res(t, "DataBucket")["VersioningConfiguration"].update(Status="Suspended"),
    ),
    "ACLs back on": (
        check_buckets_locked_down,
        lambda t: _res(t, "AccessLogBucket")["OwnershipControls"]["Rules"][0].update(ObjectOwnership="ObjectWriter"),
    ),
    "no default encryption": (
        check_buckets_locked_down,
        lambda t: _res(t, "DataBucket").pop("BucketEncryption"),
    ),
    "uploads expire": (
        check_lifecycle,
        lambda t: _res(t, "DataBucket")["LifecycleConfiguration"]["Rules"][1].update(ExpirationInDays=30),
    ),
    "run history kept forever": (
        check_lifecycle,
        lambda t: [r.pop("ExpirationInDays") for r in _res(t, "DataBucket")["LifecycleConfiguration"]["Rules"]
                   if r.get("Prefix") == "segments/run_date="],
    ),
    "latest segments expire": (
        check_lifecycle,
        lambda t: _res(t, "DataBucket")["LifecycleConfiguration"]["Rules"].append(
            {"Id": "x", "Status": "Enabled", "Prefix": "segments/latest/", "ExpirationInDays": 30}),
    ),
    "quarantine kept forever": (
        check_lifecycle,
        lambda t: _res(t, "DataBucket")["LifecycleConfiguration"]["Rules"][2].pop("ExpirationInDays"),
    ),
    "s3:* for ingest": (
        check_role_s3_permissions,
        lambda t: _ingest_statement(t, "ReadUploads")["Action"].append("s3:*"),
    ),
    "s3:Put* wildcard": (
        check_role_s3_permissions,
        lambda t: _ingest_statement(t, "WriteOutputs").update(Action=["s3:Put*"]),
    ),
    "resource *": (
        check_role_s3_permissions,
        lambda t: _segment_statement(t, "ReadInputs").update(Resource="*"),
    ),
    "whole bucket objects": (
        check_role_s3_permissions,
        lambda t: _segment_statement(t, "ReadInputs")["Resource"].append({"Fn::Sub": "${DataBucket.Arn}/*"}),
    ),
    "segment may read uploads": (
        check_role_s3_permissions,
        lambda t: _segment_statement(t, "ReadInputs")["Resource"].append({"Fn::Sub": "${DataBucket.Arn}/incoming/*"}),
    ),
    "segment may delete all segments": (
        check_role_s3_permissions,
        lambda t: _segment_statement(t, "RefreshLatest").update(Resource={"Fn::Sub": "${DataBucket.Arn}/segments/*"}),
    ),
    "ListBucket without prefix condition": (
        check_role_s3_permissions,
        lambda t: _segment_statement(t, "ListInputs").pop("Condition"),
    ),
    "ListBucket on every prefix": (
        check_role_s3_permissions,
        lambda t: _segment_statement(t, "ListInputs")["Condition"]["StringLike"].update({"s3:prefix": ["*"]}),
    ),
    "admin managed policy": (
        check_role_s3_permissions,
        lambda t: _res(t, "SegmentRole")["ManagedPolicyArns"].append("arn:aws:iam::aws:policy/AdministratorAccess"),
    ),
    "function may create its log group": (
        check_function_logs_scoped,
        lambda t: _ingest_statement(t, "Logs")["Action"].append("logs:CreateLogGroup"),
    ),
    "ingest queue without redrive": (
        check_queues,
        lambda t: _res(t, "IngestQueue").pop("RedrivePolicy"),
    ),
    "unencrypted queue": (
        check_queues,
        lambda t: _res(t, "IngestDeadLetterQueue").pop("SqsManagedSseEnabled"),
    ),
    "dead-letter queue without TLS": (
        check_queues,
        lambda t: _res(t, "DeadLetterQueuePolicy")["Queues"].pop(),
    ),
    "stray queue": (
        check_queues,
        lambda t: t["Resources"].update(Stray={"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": True}}),
    ),
    "visibility timeout below 6x": (
        check_visibility_timeout,
        lambda t: t["Mappings"]["IngestTimeouts"]["900"].update(VisibilityTimeout=900),
    ),
    "fixed visibility timeout": (
        check_visibility_timeout,
        lambda t: _res(t, "IngestQueue").update(VisibilityTimeout=5400),
    ),
    "timeout allowed without mapping row": (
        check_visibility_timeout,
        lambda t: t["Parameters"]["IngestTimeout"]["AllowedValues"].append(450),
    ),
    "no partial batch responses": (
        check_ingest_event_source,
        lambda t: _res(t, "IngestFunction")["Events"]["Uploads"]["Properties"].pop("FunctionResponseTypes"),
    ),
    "wrong CodeUri": (
        check_functions,
        lambda t: _res(t, "SegmentFunction").update(CodeUri="../target/lambda/segment/"),
    ),
    "small /tmp for ingest": (
        check_functions,
        lambda t: t["Parameters"]["IngestEphemeralStorageSize"].update(Default=512),
    ),
    "scheduler without DLQ": (
        check_scheduler,
        lambda t: _res(t, "NightlySegmentSchedule")["Target"].pop("DeadLetterConfig"),
    ),
    "scheduler without retries": (
        check_scheduler,
        lambda t: _res(t, "NightlySegmentSchedule")["Target"].pop("RetryPolicy"),
    ),
    "scheduler sends an empty payload": (
        check_scheduler,
        lambda t: _res(t, "NightlySegmentSchedule")["Target"].update(Input="{}"),
    ),
    "log level not passed to Lambda": (
        check_functions,
        lambda t: _res(t, "IngestFunction")["LoggingConfig"].pop("ApplicationLogLevel"),
    ),
    "nightly run in the hour daylight saving skips": (
        check_scheduler,
        lambda t: t["Parameters"]["ScheduleExpression"].update(Default="cron(30 3 * * ? *)"),
    ),
    "schedule in UTC whatever the shop's zone": (
        check_scheduler,
        lambda t: _res(t, "NightlySegmentSchedule").update(ScheduleExpressionTimezone={"Ref": "ScheduleTimezone"}),
    ),
    "scheduler without time zone": (
        check_scheduler,
        lambda t: _res(t, "NightlySegmentSchedule").pop("ScheduleExpressionTimezone"),
    ),
    "log group without retention": (
        check_log_groups,
        lambda t: _res(t, "SegmentLogGroup").pop("RetentionInDays"),
    ),
    "log group retention removed by NoValue": (
        check_log_groups,
        lambda t: _res(t, "IngestLogGroup").update(RetentionInDays={"Ref": "AWS::NoValue"}),
    ),
    "log group missing": (
        check_log_groups,
        lambda t: t["Resources"].pop("IngestLogGroup"),
    ),
    "DLQ alarm missing": (
        check_alarms,
        lambda t: t["Resources"].pop("SegmentDeadLetterQueueAlarm"),
    ),
    "errors alarm missing": (
        check_alarms,
        lambda t: t["Resources"].pop("IngestErrorsAlarm"),
    ),
    "queue policy references the bucket": (
        check_no_notification_cycle,
        lambda t: statements(_res(t, "IngestQueuePolicy")["PolicyDocument"])[0]["Condition"].update(
            ArnEquals={"aws:SourceArn": {"Fn::GetAtt": ["DataBucket", "Arn"]}}),
    ),
    "bucket does not wait for the queue policy": (
        check_no_notification_cycle,
        lambda t: t["Resources"]["DataBucket"].update(DependsOn=["AccessLogBucketPolicy"]),
    ),
    "queue policy names another bucket": (
        check_no_notification_cycle,
        lambda t: statements(_res(t, "IngestQueuePolicy")["PolicyDocument"])[0]["Condition"].update(
            ArnEquals={"aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:s3:::other-bucket"}}),
    ),
    "Glue projection off": (
        check_glue_tables,
        lambda t: _res(t, "CuratedSalesTable")["TableInput"]["Parameters"].update({"projection.enabled": "false"}),
    ),
    "Glue column type drift": (
        check_glue_tables,
        lambda t: _res(t, "SegmentCustomersTable")["TableInput"]["StorageDescriptor"]["Columns"][1].update(Type="string"),
    ),
    "Glue table lacks a column of its file": (
        check_glue_tables,
        lambda t: _res(t, "SegmentCustomersTable")["TableInput"]["StorageDescriptor"]["Columns"].pop(),
    ),
    "segment summary read as CSV": (
        check_glue_tables,
        lambda t: _res(t, "SegmentSummaryTable")["TableInput"]["StorageDescriptor"]["SerdeInfo"].update(
            SerializationLibrary="org.apache.hadoop.hive.serde2.OpenCSVSerde"),
    ),
    "segment table over the whole segments folder": (
        check_glue_tables,
        lambda t: _res(t, "SegmentSummaryTable")["TableInput"]["StorageDescriptor"].update(
            Location={"Fn::Sub": "s3://${DataBucket}/segments/"}),
    ),
    "segment copies inside the run folders": (
        check_glue_tables,
        lambda t: _res(t, "SegmentCustomersTable")["TableInput"]["Parameters"].update({
            "storage.location.template": {"Fn::Sub": "s3://${DataBucket}/segments/run_date=${!run_date}/athena/customers/"}}),
    ),
    "sales projection ends today": (
        check_glue_tables,
        lambda t: _res(t, "CuratedSalesTable")["TableInput"]["Parameters"].update({
            "projection.order_month.range": {"Fn::Sub": "${ProjectionStartYear}-01,NOW"}}),
    ),
    "sales projection reaches only a month ahead": (
        check_glue_tables,
        lambda t: _res(t, "CuratedSalesTable")["TableInput"]["Parameters"].update({
            "projection.order_month.range": {"Fn::Sub": "${ProjectionStartYear}-01,NOW+1MONTH"}}),
    ),
    "run date projection ends in the past": (
        check_glue_tables,
        lambda t: _res(t, "SegmentSummaryTable")["TableInput"]["Parameters"].update({
            "projection.run_date.range": {"Fn::Sub": "${ProjectionStartYear}-01-01,NOW-1DAYS"}}),
    ),
    "stray Glue table": (
        check_glue_tables,
        lambda t: t["Resources"].update(Stray=copy.deepcopy(t["Resources"]["SegmentSummaryTable"]))
        or t["Resources"]["Stray"]["Properties"]["TableInput"].update(Name="stray"),
    ),
    "undocumented skip": (
        check_skips_documented,
        lambda t: t["Resources"]["DataBucket"].setdefault("Metadata", {}).setdefault("checkov", {}).setdefault(
            "skip", []).append({"id": "CKV_AWS_18", "comment": "x"}),
    ),
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_regression_is_caught(tpl, name):
    check, mutate = REGRESSIONS[name]
    broken = copy.deepcopy(tpl)
    mutate(broken)
    assert broken != tpl, "the mutation changed nothing"
    with pytest.raises(AssertionError):
        check(broken)
