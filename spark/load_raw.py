"""Load exported Parquet files into the local Spark warehouse (make spark-check): schema
`raw` and any connector schemas (stripe, salesforce, hubspot).

Run with the Spark virtual environment's Python: the raw tables were validated by the
project's loader into DuckDB and exported as Parquet, so Spark gets exactly the same rows.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

# export_raw.py writes raw._load_log as loader_log.parquet (Spark skips files named _*).
TABLE_NAMES = {"loader_log": "_load_log"}


def session(spark_dir: Path) -> SparkSession:
    return (
        SparkSession.builder.appName("expansion_metrics_load")
        .config("spark.sql.warehouse.dir", str(spark_dir / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={spark_dir / 'metastore_db'};create=true",
        )
        .config(
            "spark.driver.extraJavaOptions",
            # As in profiles.yml: less JIT and GC work for a short job on small data.
            "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC "
            f"-Dderby.system.home={spark_dir} -Djava.io.tmpdir={spark_dir / 'tmp'}",
        )
        .config("spark.ui.enabled", "false")
        .config("spark.sql.catalogImplementation", "hive")
        .enableHiveSupport()
        .getOrCreate()
    )


def main(parquet_dir: Path) -> None:
    """Each <parquet_dir>/<schema>/<table>.parquet becomes table <schema>.<table>."""
    spark_dir = Path(os.environ["EXPANSION_METRICS_SPARK_DIR"])
    spark = session(spark_dir)
    spark.sparkContext.setLogLevel("ERROR")
    for schema_dir in sorted(p for p in parquet_dir.iterdir() if p.is_dir()):
        schema = schema_dir.name
        spark.sql(f"create database if not exists {schema}")
        for path in sorted(schema_dir.glob("*.parquet")):
            name = f"{schema}.{TABLE_NAMES.get(path.stem, path.stem)}"
            spark.read.parquet(str(path)).write.mode("overwrite").saveAsTable(name)
            print(f"{name}: {spark.table(name).count()} rows")
    spark.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
