"""Cold-start measurement of the two Lambda binaries (called by bench/coldstart; see there).

Every run starts a fresh process of the binary, exactly as Lambda starts `bootstrap`, with
AWS_LAMBDA_RUNTIME_API pointing at a Runtime API server in this script, and a local S3 (moto)
as AWS_ENDPOINT_URL. The Runtime API server implements what lambda_runtime calls
(GET .../invocation/next, POST .../invocation/<id>/response and .../error, POST .../init/error)
and timestamps each request with time.perf_counter(), the same clock as the spawn time. Per run:

  init     spawn -> the binary's first GET /runtime/invocation/next (everything main() does before
           the runtime loop: tracing, configuration, the S3 client; the binary is paged in from disk)
  handled  spawn -> the POST of the first event's response (the cold start a caller sees, less
           Lambda's own sandbox start-up)
  handler  first event delivered -> its response (the handler's work on the first event)

Scenarios:
  ingest-test   ingest, an s3:TestEvent: acknowledged without touching S3 (the cold start alone)
  ingest-put    ingest, one ObjectCreated record for a small CSV uploaded under a fresh key per run
                (download, convert, Parquet + report + state upload to moto)
  segment-sched segment, the scheduled event, on the data the ingest-put runs converted
  *-uncached    the same, with the binary's pages dropped from the page cache first
                (posix_fadvise DONTNEED), so the exec reads it from disk as on a fresh sandbox
"""

import argparse
import http.server
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

BUCKET = "segflow-data"
HOST = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class RuntimeApi:
    """A Lambda Runtime API for one function process at a time."""

    def __init__(self):
        self.lock = threading.Condition()
        self.gen = 0
        self.reset(None)
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle(self):
                try:
                    super().handle()
                except (ConnectionError, BrokenPipeError):
                    pass  # the function process was killed while it polled for the next event

            def _reply(self, code, body=b"", headers=()):
                self.send_response(code)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                now = time.perf_counter()
                if not self.path.endswith("/runtime/invocation/next"):
                    return self._reply(404)
                with api.lock:
                    gen = api.gen
                    if api.t_next is None:
                        api.t_next = now
                    # One event per process: later polls wait until the process is stopped.
                    while api.event is None:
                        api.lock.wait(timeout=600)
                        if api.gen != gen:
                            self.close_connection = True
                            return
                    event, api.event = api.event, None
                    api.t_delivered = time.perf_counter()
                    rid = api.request_id
                deadline = int(time.time() * 1000) + 900_000
                self._reply(200, event, [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", rid),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn",
                     "arn:aws:lambda:eu-central-1:123456789012:function:coldstart"),
                    ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"),
                ])

            def do_POST(self):
                now = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                kind = "response" if self.path.endswith("/response") else "error"
                with api.lock:
                    if api.t_answer is None:
                        api.t_answer, api.kind, api.answer = now, kind, body
                        api.lock.notify_all()
                self._reply(202, b'{"status":"OK"}', [("Content-Type", "application/json")])

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer((HOST, self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self, event):
        with self.lock:
            self.gen += 1
            self.event = event
            self.request_id = str(uuid.uuid4())
            self.t_next = self.t_delivered = self.t_answer = None
            self.kind = self.answer = None
            self.lock.notify_all()

    def wait_answer(self, proc, timeout):
        end = time.monotonic() + timeout
        with self.lock:
            while self.t_answer is None:
                if proc.poll() is not None:
                    return False
                if time.monotonic() > end:
                    return False
                self.lock.wait(timeout=0.05)
        return True


def s3_client(endpoint):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=endpoint,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))


def put_event(key, size):
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-central-1",
        "eventTime": "2026-11-23T05:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "segflow-incoming",
               "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
               "object": {"key": key, "size": size, "eTag": "0", "sequencer": "0"}}}]}


def evict(path):
    """Drops the file's pages from the page cache, so the exec reads it from disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def run_once(api, binary, fn, memory, event, env, logdir, name, timeout, cold_cache=False):
    api.reset(json.dumps(event).encode())
    if cold_cache:
        evict(binary)
    fenv = dict(env)
    fenv.update({
        "AWS_LAMBDA_RUNTIME_API": f"{HOST}:{api.port}",  # the form Lambda sets
        "AWS_LAMBDA_FUNCTION_NAME": fn, "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn}", "AWS_LAMBDA_LOG_STREAM_NAME": "coldstart",
    })
    tmp = os.path.join(logdir, f"tmp-{name}")
    os.makedirs(tmp, exist_ok=True)
    fenv["SEGFLOW_TMP_DIR"] = tmp
    log = open(os.path.join(logdir, f"{name}.log"), "wb")
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary], env=fenv, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    ok = api.wait_answer(proc, timeout)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    log.close()
    shutil.rmtree(tmp, ignore_errors=True)
    if not ok:
        sys.exit(f"FAIL: {name}: no answer (process exit {proc.returncode}); see {log.name}")
    if api.kind != "response":
        sys.exit(f"FAIL: {name}: the function reported an error: {api.answer[:500]!r}")
    return {
        "init_ms": (api.t_next - t0) * 1000,
        "handled_ms": (api.t_answer - t0) * 1000,
        "handler_ms": (api.t_answer - api.t_delivered) * 1000,
        "answer": json.loads(api.answer or b"null"),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--work", required=True)
    ap.add_argument("--csv", required=True, help="small CSV uploaded for ingest-put")
    ap.add_argument("--json-out")
    ap.add_argument("--label", default="")
    a = ap.parse_args()

    ingest = os.path.join(a.bin_dir, "ingest")
    segment = os.path.join(a.bin_dir, "segment")
    for b in (ingest, segment):
        if not os.access(b, os.X_OK):
            sys.exit(f"error: {b} is missing")

    # Hermetic AWS environment: dummy credentials, everything to moto, no IMDS or profile files.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    moto_port = free_port()
    endpoint = f"http://{HOST}:{moto_port}"
    env.update({
        "AWS_ACCESS_KEY_ID": "coldstart", "AWS_SECRET_ACCESS_KEY": "coldstart",
        "AWS_SESSION_TOKEN": "coldstart",
        "AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_ENDPOINT_URL": endpoint,
        "NO_PROXY": f"{HOST},localhost", "no_proxy": f"{HOST},localhost",
        "SEGFLOW_DATA_BUCKET": BUCKET, "SEGFLOW_TIMEZONE": "Asia/Tehran",
        "RUST_LOG": "info", "NO_COLOR": "1",
    })
    os.environ.update({k: env[k] for k in env if k.startswith("AWS_")})
    moto_log = open(os.path.join(a.work, "moto.log"), "wb")
    moto_bin = os.path.join(os.path.dirname(sys.executable), "moto_server")
    moto = subprocess.Popen([moto_bin, "-H", HOST, "-p", str(moto_port)], stdout=moto_log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(endpoint, timeout=1)
                break
            except Exception:
                if moto.poll() is not None:
                    sys.exit("FAIL: moto_server exited")
                time.sleep(0.1)
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket=BUCKET,
                         CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        size = os.path.getsize(a.csv)
        api = RuntimeApi()
        test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-11-23T05:00:00.000Z",
                      "Bucket": BUCKET, "RequestId": "0", "HostId": "0"}
        sched = {"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
                 "source": "aws.scheduler", "account": "123456789012", "time": "2023-12-09T01:00:00Z",
                 "region": "eu-central-1",
                 "resources": ["arn:aws:scheduler:eu-central-1:123456789012:schedule/default/segflow-nightly"],
                 "detail": "{}"}
        results = {"ingest-test": [], "ingest-test-uncached": [], "ingest-put": [], "segment-sched": [],
                   "segment-sched-uncached": []}
        # Runs of the scenarios alternate, so a burst of load on the machine hits all of them.
        for i in range(a.runs):
            r = run_once(api, ingest, "ingest", 1024, test_event, env, a.work, f"ingest-test-{i}", 60)
            assert r["answer"].get("processed") == [], r["answer"]
            results["ingest-test"].append(r)
            r = run_once(api, ingest, "ingest", 1024, test_event, env, a.work, f"ingest-test-uncached-{i}", 60,
                         cold_cache=True)
            assert r["answer"].get("processed") == [], r["answer"]
            results["ingest-test-uncached"].append(r)

            key = f"incoming/sales/coldstart-{i}.csv"
            s3.upload_file(a.csv, BUCKET, key)
            r = run_once(api, ingest, "ingest", 1024, put_event(key, size), env, a.work, f"ingest-put-{i}", 300)
            outcomes = [p.get("outcome") for p in r["answer"].get("processed", [])]
            if outcomes != ["ok"]:
                sys.exit(f"FAIL: ingest-put-{i}: outcomes {outcomes}: {r['answer']}")
            results["ingest-put"].append(r)

            r = run_once(api, segment, "segment", 2048, sched, env, a.work, f"segment-sched-{i}", 300)
            if r["answer"].get("as_of") != "2023-12-08":
                sys.exit(f"FAIL: segment-sched-{i}: unexpected answer {r['answer']}")
            results["segment-sched"].append(r)
            r = run_once(api, segment, "segment", 2048, sched, env, a.work, f"segment-sched-uncached-{i}", 300,
                         cold_cache=True)
            if r["answer"].get("as_of") != "2023-12-08":
                sys.exit(f"FAIL: segment-sched-uncached-{i}: unexpected answer {r['answer']}")
            results["segment-sched-uncached"].append(r)
            print(f"  run {i + 1}/{a.runs}: " + ", ".join(
                f"{k} {v[-1]['init_ms']:.0f}/{v[-1]['handled_ms']:.0f}"
                for k, v in results.items()) + " ms (init/handled)", flush=True)
    finally:
        os.killpg(moto.pid, signal.SIGKILL)
        moto.wait()

    sizes = {b: os.path.getsize(os.path.join(a.bin_dir, b)) for b in ("ingest", "segment")}
    summary = {"label": a.label, "runs": a.runs, "bin_dir": a.bin_dir, "binary_bytes": sizes,
               "load_after": open("/proc/loadavg").read().split()[:3], "scenarios": {}}
    print()
    print(f"cold start, {a.runs} fresh processes per scenario ({a.label or a.bin_dir}); median [min-max] ms")
    print("| scenario | init: spawn -> 1st GET next | spawn -> 1st answer | handler (1st event) |")
    print("| --- | ---: | ---: | ---: |")
    for k, rs in results.items():
        row = {}
        cells = []
        for m in ("init_ms", "handled_ms", "handler_ms"):
            xs = [r[m] for r in rs]
            row[m] = {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "all": xs}
            cells.append(f"{row[m]['median']:.1f} [{min(xs):.1f}-{max(xs):.1f}]")
        summary["scenarios"][k] = row
        print(f"| {k} | " + " | ".join(cells) + " |")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
