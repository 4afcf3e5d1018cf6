"""Compare every mart built on Spark (exported as Parquet) with the DuckDB build of the same data.

Rows are matched after sorting on every column; every number must agree within 0.01 and
every other value exactly. Prints a table (mart, rows, cells compared, cells different)
and exits 1 on any difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

TOLERANCE = 0.01
NUMERIC = ("DOUBLE", "DECIMAL", "FLOAT", "REAL")


def compare(database: Path, exported: Path) -> int:
    con = duckdb.connect(str(database), read_only=True)
    marts = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' "
        "order by 1").fetchall()]  # fmt: skip
    print(f"{'mart':32} {'rows':>8} {'cells compared':>15} {'cells different':>16}")
    failures = 0
    for mart in marts:
        folder = exported / mart
        if not folder.exists():
            print(f"{mart:32} {'missing on Spark':>41}")
            failures += 1
            continue
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = ? order by ordinal_position",
            [mart],
        ).fetchall()
        names = [c for c, _ in columns]
        numeric = {c for c, t in columns if t.startswith(NUMERIC)}
        # Sort on the exact columns first, then on the numbers rounded to the tolerance.
        order = ", ".join(
            [f'"{c}"' for c in names if c not in numeric]
            + [f'round(cast("{c}" as double), 1)' for c in names if c in numeric]
        )
        select = ", ".join(f'"{c}"' for c in names)
        duck = con.execute(f'select {select} from marts."{mart}" order by {order}').fetchall()
        spark = con.execute(
            f"select {select} from read_parquet('{folder}/*.parquet') order by {order}"
        ).fetchall()
        different = abs(len(duck) - len(spark)) * len(names)
        for left, right in zip(duck, spark, strict=False):
            for name, a, b in zip(names, left, right, strict=True):
                if a is None or b is None:
                    different += (a is None) != (b is None)
                elif name in numeric:
                    different += abs(float(a) - float(b)) > TOLERANCE
                else:
                    different += a != b
        compared = min(len(duck), len(spark)) * len(names)
        print(f"{mart:32} {len(duck):>8} {compared:>15} {different:>16}")
        failures += different > 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(compare(Path(sys.argv[1]), Path(sys.argv[2])))
