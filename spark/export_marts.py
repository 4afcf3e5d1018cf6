"""Export every table of schema `marts` in the local Spark warehouse to Parquet."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from load_raw import session


def main(out_dir: Path) -> None:
    spark = session(Path(os.environ["EXPANSION_METRICS_SPARK_DIR"]))
    spark.sparkContext.setLogLevel("ERROR")
    out_dir.mkdir(parents=True, exist_ok=True)
    for row in spark.sql("show tables in marts").collect():
        name = row["tableName"]
        spark.table(f"marts.{name}").coalesce(1).write.mode("overwrite").parquet(
            str(out_dir / name)
        )
        print(f"exported marts.{name}")
    spark.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
