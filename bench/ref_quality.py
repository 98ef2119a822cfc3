#!/usr/bin/env python3
"""Task 3: k-means quality reference (scikit-learn inertia).

    python ref_quality.py --features rfm3 --matrix FEATURES.npy
    python ref_quality.py --features ours --data DATA_ROOT --as-of YYYY-MM-DD [--check CUSTOMERS.csv]

rfm3: the shared standardized log-RFM matrix written by `ref_segment.py duckdb --export-features`.
ours: rebuilds segflow's six clustering features in pandas from the curated sales Parquet, following
      the engine's definitions (functions/engine/src/segment/{sales,features,cluster}.rs):
        orders     = distinct (customer, order_id) among purchase rows (is_return = false) with a
                     customer id and order_ts before the end of AS_OF; an order's time is its
                     earliest line, its value the sum of line_amount, and it is "multi-item" when
                     it has more than one distinct product_id
        returned   = sum of |line_amount| of the customer's return rows
        recency    = days from the end of AS_OF to the last order
        frequency  = orders; monetary = gross - returned (gross = sum of order values)
        aov        = gross / orders
        return_rate = min(returned / gross, 1) (1 if gross <= 0 < returned, else 0)
        multi_item_share = multi-item orders / orders
      features = log1p(max(recency, 0)), log1p(frequency), log1p(max(monetary, 0)),
                 log1p(max(aov, 0)), clip(return_rate, 0, 1), multi_item_share
      z-scored with the population std (a std <= 1e-9 is left at 1), customers with an order only.
      --check compares the rebuilt raw features with segflow's customers.csv of the same run.

Fits KMeans(n_clusters=6, n_init=10, random_state=0) and prints one JSON line.
"""

import argparse
import glob
import json
import os

import numpy as np

from ref_segment import US_PER_DAY, cutoff_us, scale

K = 6


def our_features(root, as_of):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    cutoff = cutoff_us(as_of)
    cols = ["customer_id", "order_id", "order_ts", "product_id", "quantity", "line_amount", "is_return"]
    tables = []
    for f in sorted(glob.glob(os.path.join(root, "curated", "sales", "*", "*.parquet"))):
        t = pq.read_table(f, columns=cols)
        t = t.set_column(t.schema.get_field_index("order_ts"), "order_ts", t["order_ts"].cast(pa.int64()))
        tables.append(t)
    df = pa.concat_tables(tables).to_pandas()
    df = df[df["order_ts"].notna() & (df["order_ts"] < cutoff) & df["quantity"].notna() & df["line_amount"].notna()]
    df = df[df["customer_id"].notna() & (df["customer_id"] != "")]
    returned = df[df["is_return"]].assign(a=lambda d: d["line_amount"].abs()).groupby("customer_id")["a"].sum()
    buys = df[~df["is_return"]]
    orders = buys.groupby(["customer_id", "order_id"], sort=False).agg(
        ts=("order_ts", "min"), value=("line_amount", "sum"), products=("product_id", "nunique")
    )
    orders["multi"] = orders["products"] > 1
    per = orders.groupby(level="customer_id").agg(
        n=("value", "size"), last=("ts", "max"), gross=("value", "sum"), multi=("multi", "sum")
    )
    per = per.join(returned.rename("returned"), how="left").fillna({"returned": 0.0}).sort_index()
    n = per["n"].to_numpy(dtype=np.float64)
    gross = per["gross"].to_numpy()
    ret = per["returned"].to_numpy()
    recency = (cutoff - per["last"].to_numpy(dtype=np.float64)) / US_PER_DAY
    monetary = gross - ret
    aov = gross / n
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(gross > 0, np.minimum(ret / gross, 1.0), np.where(ret > 0, 1.0, 0.0))
    multi = per["multi"].to_numpy(dtype=np.float64) / n
    raw = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": n,
            "monetary": monetary,
            "avg_order_value": aov,
            "return_rate": rate,
            "multi_item_share": multi,
        },
        index=per.index,
    )
    x = np.column_stack(
        [
            np.log1p(np.maximum(recency, 0.0)),
            np.log1p(n),
            np.log1p(np.maximum(monetary, 0.0)),
            np.log1p(np.maximum(aov, 0.0)),
            np.clip(rate, 0.0, 1.0),
            multi,
        ]
    )
    return raw, scale(x)


def check_against(raw, customers_csv):
    """Largest differences between the rebuilt features and segflow's customers.csv (rounded there)."""
    import pandas as pd

    ours = pd.read_csv(customers_csv, encoding="utf-8-sig", dtype={"customer_id": str}).set_index("customer_id")
    ours = ours[ours["frequency"].notna() & (ours["frequency"] > 0)]
    common = raw.index.intersection(ours.index)
    out = {"customers_rebuilt": int(len(raw)), "customers_segflow": int(len(ours)), "customers_common": int(len(common))}
    diffs = {}
    for c in raw.columns:
        if c in ours.columns:
            a = raw.loc[common, c].to_numpy(dtype=np.float64)
            b = ours.loc[common, c].to_numpy(dtype=np.float64)
            diffs[c] = float(np.nanmax(np.abs(a - b))) if len(common) else None
    out["max_abs_diff"] = diffs
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features", choices=["rfm3", "ours"], default="rfm3")
    ap.add_argument("--matrix", help="rfm3: .npy written by ref_segment.py duckdb --export-features")
    ap.add_argument("--data", help="ours: data root holding curated/sales")
    ap.add_argument("--as-of", help="ours: run date YYYY-MM-DD")
    ap.add_argument("--check", metavar="CUSTOMERS_CSV", help="ours: compare with segflow's customers.csv")
    a = ap.parse_args()

    from sklearn.cluster import KMeans

    result = {"features": a.features}
    if a.features == "rfm3":
        if not a.matrix:
            ap.error("--features rfm3 needs --matrix")
        x = np.load(a.matrix)
    else:
        if not (a.data and a.as_of):
            ap.error("--features ours needs --data and --as-of")
        raw, x = our_features(a.data, a.as_of)
        if a.check:
            result["check"] = check_against(raw, a.check)
    km = KMeans(n_clusters=K, n_init=10, random_state=0).fit(x)
    result.update({"customers": int(x.shape[0]), "n_features": int(x.shape[1]), "inertia": float(km.inertia_), "n_iter": int(km.n_iter_)})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
