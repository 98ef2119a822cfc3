#!/usr/bin/env python3
"""Task 2 references: segflow's curated sales Parquet -> RFM -> k-means (k = 6) -> segment file.

    python ref_segment.py TOOL DATA_ROOT AS_OF OUT.csv [--export-features FEATURES.npy]

TOOL is one of duckdb, polars, pandas (each with scikit-learn for the clustering). DATA_ROOT is the
root of a segflow bucket layout (the `--out` of `segflow ingest`); the sales rows are read from
DATA_ROOT/curated/sales/order_month=*/*.parquet, the same files `segflow segment` reads.

Per customer (rows with a customer id and order_ts before the end of AS_OF, UTC):
  recency   = days from the end of AS_OF to the last purchase (non-return row)
  frequency = distinct invoices among purchase (non-return) rows
  monetary  = net sum of quantity * unit_price, returns (negative quantities) netted
Customers with at least one purchase are clustered on log1p(recency, frequency, max(monetary, 0)),
standard-scaled (z-score, population std), with KMeans(n_clusters=6, n_init=4, random_state=42).
Writes customer_id,cluster to OUT.csv and one JSON line with counts on stdout.

--export-features writes the scaled matrix (customers sorted by id) for task 3.
"""

import argparse
import datetime as dt
import glob
import json
import os

import numpy as np

K = 6
US_PER_DAY = 86_400_000_000


def cutoff_us(as_of):
    end = dt.datetime.combine(dt.date.fromisoformat(as_of) + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    return int(end.timestamp()) * 1_000_000


def sales_glob(root):
    pattern = os.path.join(root, "curated", "sales", "*", "*.parquet")
    if not glob.glob(pattern):
        raise SystemExit(f"no sales Parquet under {pattern}")
    return pattern


def rfm_duckdb(root, cutoff):
    import duckdb

    con = duckdb.connect()
    rel = con.execute(
        f"""
        WITH s AS (
            SELECT customer_id, order_id, epoch_us(order_ts) AS ts,
                   quantity * unit_price AS amount, is_return
            FROM read_parquet(?, hive_partitioning = false)
            WHERE customer_id IS NOT NULL AND epoch_us(order_ts) < {cutoff}
        )
        SELECT customer_id,
               ({cutoff} - max(ts) FILTER (WHERE NOT is_return)) / {US_PER_DAY}::DOUBLE AS recency,
               count(DISTINCT order_id) FILTER (WHERE NOT is_return) AS frequency,
               coalesce(sum(amount), 0) AS monetary
        FROM s
        GROUP BY customer_id
        HAVING count(*) FILTER (WHERE NOT is_return) > 0
        ORDER BY customer_id
        """,
        [sales_glob(root)],
    )
    cols = rel.fetchnumpy()
    return (
        np.asarray(cols["customer_id"], dtype=object),
        np.asarray(cols["recency"], dtype=np.float64),
        np.asarray(cols["frequency"], dtype=np.float64),
        np.asarray(cols["monetary"], dtype=np.float64),
    )


def rfm_polars(root, cutoff):
    import polars as pl

    purchase = ~pl.col("is_return")
    df = (
        pl.scan_parquet(sales_glob(root), hive_partitioning=False)
        .select(
            "customer_id",
            "order_id",
            pl.col("order_ts").dt.epoch("us").alias("ts"),
            (pl.col("quantity") * pl.col("unit_price")).alias("amount"),
            "is_return",
        )
        .filter(pl.col("customer_id").is_not_null() & (pl.col("ts") < cutoff))
        .group_by("customer_id")
        .agg(
            last=pl.col("ts").filter(purchase).max(),
            frequency=pl.col("order_id").filter(purchase).n_unique(),
            purchases=purchase.sum(),
            monetary=pl.col("amount").sum(),
        )
        .filter(pl.col("purchases") > 0)
        .sort("customer_id")
        .collect()
    )
    recency = (cutoff - df["last"].to_numpy().astype(np.float64)) / US_PER_DAY
    return (
        df["customer_id"].to_numpy(),
        recency,
        df["frequency"].to_numpy().astype(np.float64),
        df["monetary"].fill_null(0.0).to_numpy().astype(np.float64),
    )


def rfm_pandas(root, cutoff):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(glob.glob(sales_glob(root)))
    cols = ["customer_id", "order_id", "order_ts", "quantity", "unit_price", "is_return"]
    tables = []
    for f in files:
        t = pq.read_table(f, columns=cols)
        t = t.set_column(t.schema.get_field_index("order_ts"), "order_ts", t["order_ts"].cast(pa.int64()))
        tables.append(t)
    df = pa.concat_tables(tables).to_pandas()
    df = df[df["customer_id"].notna() & (df["order_ts"] < cutoff)]
    df["amount"] = df["quantity"] * df["unit_price"]
    buys = df[~df["is_return"]]
    per = buys.groupby("customer_id").agg(last=("order_ts", "max"), frequency=("order_id", "nunique"))
    per = per.join(df.groupby("customer_id")["amount"].sum().rename("monetary"), how="left").sort_index()
    recency = (cutoff - per["last"].to_numpy(dtype=np.float64)) / US_PER_DAY
    return (
        per.index.to_numpy(dtype=object),
        recency,
        per["frequency"].to_numpy(dtype=np.float64),
        per["monetary"].fillna(0.0).to_numpy(dtype=np.float64),
    )


TOOLS = {"duckdb": rfm_duckdb, "polars": rfm_polars, "pandas": rfm_pandas}


def scale(x):
    mean = x.mean(axis=0)
    std = x.std(axis=0)  # population std, as StandardScaler and segflow
    std[std <= 1e-9] = 1.0
    return (x - mean) / std


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tool", choices=sorted(TOOLS))
    ap.add_argument("data_root")
    ap.add_argument("as_of")
    ap.add_argument("out_csv")
    ap.add_argument("--export-features", metavar="NPY")
    a = ap.parse_args()

    from sklearn.cluster import KMeans

    cutoff = cutoff_us(a.as_of)
    ids, recency, frequency, monetary = TOOLS[a.tool](a.data_root, cutoff)
    x = np.column_stack([np.log1p(np.maximum(recency, 0.0)), np.log1p(frequency), np.log1p(np.maximum(monetary, 0.0))])
    x = scale(x)
    if a.export_features:
        np.save(a.export_features, x)
    km = KMeans(n_clusters=K, n_init=4, random_state=42).fit(x)
    with open(a.out_csv, "w", encoding="utf-8") as f:
        f.write("customer_id,cluster\n")
        f.writelines(f"{c},{l}\n" for c, l in zip(ids, km.labels_))
    print(json.dumps({"tool": a.tool, "customers": int(len(ids)), "inertia": float(km.inertia_)}))


if __name__ == "__main__":
    main()
