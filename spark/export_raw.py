"""Export the raw tables of a DuckDB warehouse to Parquet, for loading into Spark."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb


def main(database: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' "
            "and table_name not like '\\_%' escape '\\'"
        ).fetchall()
        for (table,) in tables:
            con.execute(f"copy raw.\"{table}\" to '{out_dir / table}.parquet' (format parquet)")
            print(f"exported raw.{table}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
