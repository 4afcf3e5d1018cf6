"""A private copy of the project and a warehouse for the CRM connector checks.

The customer_crosswalk seed is the user's file: a check writes its own rows into a copy
of the project (never into the repository's seed), loads the billing side with the real
loader (raw contract, so billing_source stays contract) and creates the connector's
tables with plain SQL, as a connector would have synced them.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import duckdb
from conftest import write_table

from expansion_metrics.settings import PROJECT_DIR

IGNORED = shutil.ignore_patterns(
    ".venv", ".git", "target", "data", "logs", "__pycache__", ".pytest_cache", "*.egg-info"
)


def project_copy(destination: Path, crosswalk: Iterable[tuple[str, str]]) -> Path:
    """The project copied to `destination` with these (billing_customer_id, crm_account_id)
    rows in its customer_crosswalk seed."""
    shutil.copytree(PROJECT_DIR, destination, ignore=IGNORED)
    seed = destination / "seeds" / "reference" / "customer_crosswalk.csv"
    with seed.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["billing_customer_id", "crm_account_id"])
        writer.writerows(crosswalk)
    return destination


def load_billing(database: Path, raw_dir: Path, tables: dict[str, list[dict]]) -> None:
    """Write the raw contract tables given and load them with `expansion-metrics load`."""
    for table, rows in tables.items():
        write_table(raw_dir, table, rows)
    done = subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", "load", str(raw_dir)],
        env={**os.environ, "EXPANSION_METRICS_DB": str(database)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def run_sql(database: Path, statements: str) -> None:
    with duckdb.connect(str(database)) as con:
        con.execute(statements)


def dbt(project: Path, database: Path, *args: str, variables: dict[str, object]):
    """Run the dbt CLI on the project copy; returns the finished process."""
    executable = str(Path(sys.executable).parent / "dbt")
    return subprocess.run(
        [executable, *args, "--vars", json.dumps(variables),
         "--project-dir", str(project), "--profiles-dir", str(project)],
        env={**os.environ, "EXPANSION_METRICS_DB": str(database)},
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip


def rows(warehouse: duckdb.DuckDBPyConnection | Path, sql: str) -> list[dict]:
    """The rows of a query as dicts, on a connection or a warehouse file (opened read-only
    for this query only, so that dbt can write to it afterwards)."""
    if isinstance(warehouse, Path):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return rows(con, sql)
    cursor = warehouse.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def query(warehouse: duckdb.DuckDBPyConnection | Path, sql: str) -> list[tuple]:
    """The rows of a query as tuples (see rows)."""
    return [tuple(r.values()) for r in rows(warehouse, sql)]
