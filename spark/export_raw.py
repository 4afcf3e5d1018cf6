"""Export the input tables of a DuckDB warehouse to Parquet, for loading into Spark.

Schema raw (the contract, with the loader's log raw._load_log, which the refresh windows
read) and the connector schemas the loader writes (stripe, salesforce, hubspot) go to
<out>/<schema>/<table>.parquet; empty schemas are skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

SCHEMAS = ("raw", "stripe", "salesforce", "hubspot")
# Spark reads no file whose name starts with '_' (Hadoop's hidden files): the loader's log
# travels as loader_log.parquet, and load_raw.py names the table _load_log again.
SPARK_VISIBLE = {"_load_log": "loader_log"}


def main(database: Path, out_dir: Path) -> None:
    with duckdb.connect(str(database), read_only=True) as con:
        for schema in SCHEMAS:
            tables = con.execute(
                "select table_name from information_schema.tables where table_schema = ? "
                "and (table_name not like '\\_%' escape '\\' or table_name = '_load_log') "
                "order by 1",
                [schema],
            ).fetchall()
            for (table,) in tables:
                (out_dir / schema).mkdir(parents=True, exist_ok=True)
                target = out_dir / schema / f"{SPARK_VISIBLE.get(table, table)}.parquet"
                con.execute(f"copy {schema}.\"{table}\" to '{target}' (format parquet)")
                print(f"exported {schema}.{table}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
