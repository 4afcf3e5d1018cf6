"""Export every table of schema `marts` in the local Spark warehouse to Parquet.

With a second argument (a month, 2026-10-01), first check that the build was the
incremental step `make spark-check` expects: Spark's MRR refresh window recomputed from
that month, not every month.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from load_raw import session


def main(out_dir: Path, expected_window: str | None = None) -> int:
    spark = session(Path(os.environ["EXPANSION_METRICS_SPARK_DIR"]))
    spark.sparkContext.setLogLevel("ERROR")
    if expected_window:
        windows = {
            chain: spark.table(f"intermediate.int_{chain}_refresh_window").first()
            for chain in ("mrr", "health")
        }
        for chain, window in windows.items():
            print(f"Spark {chain} window: from {window['recompute_from_month']} "
                  f"({window['reason']})")  # fmt: skip
        if str(windows["mrr"]["recompute_from_month"]) != expected_window:
            print(f"expected the MRR window to start at {expected_window}", file=sys.stderr)
            spark.stop()
            return 1
    out_dir.mkdir(parents=True, exist_ok=True)
    for row in spark.sql("show tables in marts").collect():
        name = row["tableName"]
        spark.table(f"marts.{name}").coalesce(1).write.mode("overwrite").parquet(
            str(out_dir / name)
        )
        print(f"exported marts.{name}")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None))
