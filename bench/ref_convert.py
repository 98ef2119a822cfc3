#!/usr/bin/env python3
"""Task 1 references: UCI-layout sales CSV -> typed, zstd-compressed Parquet.

    python ref_convert.py TOOL INPUT.csv OUTPUT.parquet

TOOL is one of polars, duckdb, pyarrow, pandas. Every tool writes one Parquet file with the same
typed columns (as close to segflow's curated/sales as the source allows):

    InvoiceNo string, StockCode string, Description string, Quantity int64,
    InvoiceDate timestamp[us] (parsed month-first, "%m/%d/%Y %H:%M"), UnitPrice double,
    CustomerID string (empty -> null), Country string

Prints one JSON line with the row count on stdout, so bench/run can check that nothing was lost.
"""

import json
import sys

DATE_FORMAT = "%m/%d/%Y %H:%M"
STRING_COLUMNS = ["InvoiceNo", "StockCode", "Description", "CustomerID", "Country"]


def polars_convert(src, dst):
    import polars as pl

    schema = {
        "InvoiceNo": pl.Utf8,
        "StockCode": pl.Utf8,
        "Description": pl.Utf8,
        "Quantity": pl.Int64,
        "InvoiceDate": pl.Utf8,
        "UnitPrice": pl.Float64,
        "CustomerID": pl.Utf8,
        "Country": pl.Utf8,
    }
    lf = pl.scan_csv(src, schema=schema).with_columns(
        pl.col("InvoiceDate").str.strptime(pl.Datetime("us"), DATE_FORMAT, strict=True),
    )
    lf.sink_parquet(dst, compression="zstd")
    return pl.scan_parquet(dst).select(pl.len()).collect().item()


def duckdb_convert(src, dst):
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
            SELECT InvoiceNo, StockCode, Description,
                   CAST(Quantity AS BIGINT) AS Quantity,
                   CAST(strptime(InvoiceDate, '{DATE_FORMAT}') AS TIMESTAMP) AS InvoiceDate,
                   CAST(UnitPrice AS DOUBLE) AS UnitPrice,
                   CustomerID, Country
            FROM read_csv(?, header = true, auto_detect = false, quote = '"', escape = '"',
                columns = {{'InvoiceNo': 'VARCHAR', 'StockCode': 'VARCHAR', 'Description': 'VARCHAR',
                           'Quantity': 'BIGINT', 'InvoiceDate': 'VARCHAR', 'UnitPrice': 'DOUBLE',
                           'CustomerID': 'VARCHAR', 'Country': 'VARCHAR'}})
        ) TO '{dst}' (FORMAT parquet, COMPRESSION zstd)
        """,
        [src],
    )
    return con.execute("SELECT count(*) FROM read_parquet(?)", [dst]).fetchone()[0]


def _arrow_schema():
    import pyarrow as pa

    return pa.schema(
        [
            ("InvoiceNo", pa.string()),
            ("StockCode", pa.string()),
            ("Description", pa.string()),
            ("Quantity", pa.int64()),
            ("InvoiceDate", pa.timestamp("us")),
            ("UnitPrice", pa.float64()),
            ("CustomerID", pa.string()),
            ("Country", pa.string()),
        ]
    )


def pyarrow_convert(src, dst):
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    schema = _arrow_schema()
    reader = pcsv.open_csv(
        src,
        read_options=pcsv.ReadOptions(block_size=16 << 20),
        convert_options=pcsv.ConvertOptions(
            column_types={f.name: f.type for f in schema},
            timestamp_parsers=[DATE_FORMAT],
            strings_can_be_null=True,
        ),
    )
    rows = 0
    with pq.ParquetWriter(dst, schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def pandas_convert(src, dst):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema()
    dtypes = {c: "string" for c in STRING_COLUMNS}
    dtypes.update({"Quantity": "int64", "UnitPrice": "float64", "InvoiceDate": "string"})
    rows = 0
    writer = None
    try:
        for chunk in pd.read_csv(src, dtype=dtypes, chunksize=1_000_000, keep_default_na=False, na_values={"CustomerID": [""]}):
            chunk["InvoiceDate"] = pd.to_datetime(chunk["InvoiceDate"], format=DATE_FORMAT).astype("datetime64[us]")
            table = pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(dst, schema, compression="zstd")
            writer.write_table(table)
            rows += len(chunk)
    finally:
        if writer is not None:
            writer.close()
    return rows


TOOLS = {
    "polars": polars_convert,
    "duckdb": duckdb_convert,
    "pyarrow": pyarrow_convert,
    "pandas": pandas_convert,
}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in TOOLS:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(TOOLS)}}} INPUT.csv OUTPUT.parquet")
    tool, src, dst = sys.argv[1:]
    rows = TOOLS[tool](src, dst)
    print(json.dumps({"tool": tool, "rows": int(rows)}))


if __name__ == "__main__":
    main()
