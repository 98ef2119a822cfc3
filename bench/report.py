#!/usr/bin/env python3
"""Summarises one bench/run: medians, ratios, targets; prints Markdown tables, writes the JSON.

    python report.py WORK_DIR OUT.json

WORK_DIR holds what bench/run collected: meta.json, runs.jsonl (one measured process per line),
quality.json (task 3) and sizes.json (task 4). Only the standard library is used.
"""

import json
import os
import statistics
import sys

MIB = 1024 * 1024
TOOL_LABEL = {
    "ours": "segflow",
    "polars": "Polars",
    "duckdb": "DuckDB",
    "pyarrow": "pyarrow",
    "pandas": "pandas",
    "duckdb+sklearn": "DuckDB + scikit-learn",
    "polars+sklearn": "Polars + scikit-learn",
    "pandas+sklearn": "pandas + scikit-learn",
}
# Targets from the product issue.
CONVERT_SPEEDUP = 1.4
CONVERT_RSS_MB = 256
SEGMENT_SPEEDUP = 2.0
INERTIA_TOL = 0.001
BINARY_MB = 20


def load(work, name, default):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        return default
    with open(path) as f:
        if name.endswith(".jsonl"):
            return [json.loads(line) for line in f if line.strip()]
        return json.load(f)


def med(values):
    return statistics.median(values) if values else None


def summarise(runs):
    groups = {}
    for r in runs:
        groups.setdefault((r["task"], r["size"], r["tool"]), []).append(r)
    out = []
    for (task, size, tool), rs in groups.items():
        wall = med([r["wall_s"] for r in rs])
        s = {
            "task": task,
            "size": size,
            "tool": tool,
            "reps": len(rs),
            "wall_s": wall,
            "wall_s_all": [r["wall_s"] for r in rs],
            "max_rss_mib": med([r["max_rss_kb"] / 1024 for r in rs]),
            "max_rss_mib_max": max(r["max_rss_kb"] / 1024 for r in rs),
            "cpu_s": med([r["user_s"] + r["sys_s"] for r in rs]),
            "cpu_pct": med([r["cpu_pct"] for r in rs]),
            "input_bytes": rs[0].get("input_bytes"),
            "rows": rs[0].get("rows"),
            "output_bytes": med([r["output_bytes"] for r in rs if r.get("output_bytes") is not None]),
            "load1_at_start": [r.get("load1") for r in rs],
        }
        if s["input_bytes"] and wall:
            s["mb_per_s"] = s["input_bytes"] / 1e6 / wall
        if s["rows"] and wall:
            s["rows_per_s"] = s["rows"] / wall
        out.append(s)
    order = ["ours", "polars", "duckdb", "pyarrow", "pandas", "duckdb+sklearn", "polars+sklearn", "pandas+sklearn"]
    out.sort(key=lambda s: (s["task"], s["size"], order.index(s["tool"]) if s["tool"] in order else 99))
    return out


def fmt(x, nd=2):
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return f"{x:,}"


def main():
    work, out_path = sys.argv[1], sys.argv[2]
    meta = load(work, "meta.json", {})
    runs = load(work, "runs.jsonl", [])
    quality = load(work, "quality.json", None)
    sizes = load(work, "sizes.json", None)
    summary = summarise(runs)
    lines = []
    p = lines.append
    targets = {}

    def find(task, size, tool):
        return next((s for s in summary if (s["task"], s["size"], s["tool"]) == (task, size, tool)), None)

    # Task 1
    conv_sizes = sorted({s["size"] for s in summary if s["task"] == "convert"})
    for size in conv_sizes:
        rows = [s for s in summary if s["task"] == "convert" and s["size"] == size]
        ours = find("convert", size, "ours")
        first = rows[0]
        p(f"### Task 1 — CSV → typed Parquet ({size}: {fmt(first['rows'])} rows, {fmt(first['input_bytes'] / 1e6, 1)} MB)")
        p("")
        p("| tool | median wall (s) | runs (s) | peak RSS (MiB) | CPU time (s) | CPU % | MB/s | rows/s | output (MB) | segflow speed-up |")
        p("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for s in rows:
            speed = (s["wall_s"] / ours["wall_s"]) if ours and s is not ours else None
            p(
                f"| {TOOL_LABEL.get(s['tool'], s['tool'])} | {fmt(s['wall_s'])} | {', '.join(f'{w:.2f}' for w in s['wall_s_all'])} | "
                f"{fmt(s['max_rss_mib'], 0)} | {fmt(s['cpu_s'])} | {fmt(s['cpu_pct'], 0)} | {fmt(s.get('mb_per_s'), 1)} | "
                f"{fmt(s.get('rows_per_s'), 0)} | {fmt((s['output_bytes'] or 0) / 1e6, 1)} | {'–' if speed is None else f'{speed:.2f}×'} |"
            )
        p("")
        refs = [s for s in rows if s["tool"] != "ours"]
        if ours and refs:
            fastest = max(refs, key=lambda s: s.get("mb_per_s", 0))
            ratio = ours["mb_per_s"] / fastest["mb_per_s"]
            targets[f"convert_{size}_throughput"] = {
                "target": f">= {CONVERT_SPEEDUP}x the fastest reference's throughput",
                "fastest_reference": fastest["tool"],
                "ratio": ratio,
                "met": ratio >= CONVERT_SPEEDUP,
            }
            targets[f"convert_{size}_rss"] = {
                "target": f"peak RSS <= {CONVERT_RSS_MB} MB",
                "max_rss_mib": ours["max_rss_mib_max"],
                "max_rss_mb": ours["max_rss_mib_max"] * MIB / 1e6,
                "met": ours["max_rss_mib_max"] * MIB / 1e6 <= CONVERT_RSS_MB,
            }
    if len(conv_sizes) > 1:
        a, b = find("convert", conv_sizes[0], "ours"), find("convert", conv_sizes[-1], "ours")
        if a and b:
            growth = b["max_rss_mib_max"] / a["max_rss_mib_max"]
            targets["convert_rss_flat"] = {
                "target": "peak RSS flat as files grow (taken as: the larger file needs at most 1.25x the RSS)",
                "sizes": [conv_sizes[0], conv_sizes[-1]],
                "rss_ratio": growth,
                "met": growth <= 1.25,
            }

    # Task 2
    seg_sizes = sorted({s["size"] for s in summary if s["task"] == "segment"})
    for size in seg_sizes:
        rows = [s for s in summary if s["task"] == "segment" and s["size"] == size]
        ours = find("segment", size, "ours")
        p(f"### Task 2 — curated Parquet → RFM + k-means (k = 6) → segment file ({size})")
        p("")
        p("| tool | median wall (s) | runs (s) | peak RSS (MiB) | CPU time (s) | CPU % | segflow speed-up | segflow RSS / tool RSS |")
        p("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
        for s in rows:
            speed = (s["wall_s"] / ours["wall_s"]) if ours and s is not ours else None
            mem = (ours["max_rss_mib"] / s["max_rss_mib"]) if ours and s is not ours else None
            p(
                f"| {TOOL_LABEL.get(s['tool'], s['tool'])} | {fmt(s['wall_s'])} | {', '.join(f'{w:.2f}' for w in s['wall_s_all'])} | "
                f"{fmt(s['max_rss_mib'], 0)} | {fmt(s['cpu_s'])} | {fmt(s['cpu_pct'], 0)} | "
                f"{'–' if speed is None else f'{speed:.2f}×'} | {'–' if mem is None else f'{mem:.2f}'} |"
            )
        p("")
        duck = find("segment", size, "duckdb+sklearn")
        if ours and duck:
            targets[f"segment_{size}_speed"] = {
                "target": f">= {SEGMENT_SPEEDUP}x faster than DuckDB + scikit-learn",
                "ratio": duck["wall_s"] / ours["wall_s"],
                "met": duck["wall_s"] / ours["wall_s"] >= SEGMENT_SPEEDUP,
            }
            targets[f"segment_{size}_rss"] = {
                "target": "no more memory than DuckDB + scikit-learn",
                "ours_mib": ours["max_rss_mib"],
                "duckdb_mib": duck["max_rss_mib"],
                "met": ours["max_rss_mib"] <= duck["max_rss_mib"],
            }

    # Task 3
    if quality:
        p("### Task 3 — k-means quality (k = 6)")
        p("")
        p("| model | features | customers | inertia | note |")
        p("| --- | --- | ---: | ---: | --- |")
        o = quality.get("ours", {})
        r3 = quality.get("sklearn_rfm3", {})
        r6 = quality.get("sklearn_ours", {})
        if o:
            p(
                f"| segflow (linfa, n_runs {o.get('n_runs')}, fit on a {fmt(o.get('fit_sample'))}-customer sample) | 6 (ours) | "
                f"{fmt(o.get('purchasers'))} | {fmt(o.get('inertia'), 3)} | from segments/latest/manifest.json |"
            )
        if r6:
            p(f"| scikit-learn KMeans(n_init=10, random_state=0) | 6 (ours, rebuilt in pandas) | {fmt(r6.get('customers'))} | {fmt(r6.get('inertia'), 3)} | same features as segflow |")
        if r3:
            p(f"| scikit-learn KMeans(n_init=10, random_state=0) | 3 (log-RFM, DuckDB export) | {fmt(r3.get('customers'))} | {fmt(r3.get('inertia'), 3)} | different feature set: not comparable with segflow's inertia |")
        p("")
        if o and r6 and r6.get("inertia"):
            rel = o["inertia"] / r6["inertia"] - 1
            targets["kmeans_inertia"] = {
                "target": f"segflow inertia within {INERTIA_TOL:.1%} of scikit-learn (same features)",
                "relative_difference": rel,
                "met": abs(rel) <= INERTIA_TOL or rel < 0,
            }
            p(f"segflow inertia vs scikit-learn on the same six features: {rel:+.3%}.")
        chk = r6.get("check") if r6 else None
        if chk:
            p(f"Rebuilt features vs segflow's customers.csv: {chk['customers_common']:,} of {chk['customers_segflow']:,} customers matched; "
              f"largest differences {json.dumps({k: (round(v, 6) if v is not None else None) for k, v in chk['max_abs_diff'].items()})} (customers.csv rounds).")
        p("")

    # Task 4
    if sizes:
        p("### Task 4 — binary size")
        p("")
        p("| binary | bytes | MiB | note |")
        p("| --- | ---: | ---: | --- |")
        for b in sizes.get("binaries", []):
            p(f"| {b['name']} | {b['bytes']:,} | {b['bytes'] / MIB:.2f} | {b.get('note', '')} |")
        p("")
        stripped = [b for b in sizes.get("binaries", []) if b.get("stripped")]
        if stripped:
            biggest = max(b["bytes"] for b in stripped)
            targets["binary_size"] = {
                "target": f"stripped binaries <= {BINARY_MB} MB",
                "largest_bytes": biggest,
                "met": biggest <= BINARY_MB * 1e6,
            }

    if targets:
        p("### Targets")
        p("")
        p("| target | measured | met |")
        p("| --- | --- | --- |")
        for name, t in targets.items():
            shown = {k: (float(f"{v:.4g}") if isinstance(v, float) else v) for k, v in t.items() if k not in ("target", "met")}
            p(f"| {t['target']} ({name}) | {json.dumps(shown)} | {'yes' if t['met'] else '**no**'} |")
        p("")

    text = "\n".join(lines)
    print(text)
    result = {"meta": meta, "summary": summary, "targets": targets, "quality": quality, "sizes": sizes, "runs": runs, "tables_markdown": text}
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"raw results: {out_path}")


if __name__ == "__main__":
    main()
