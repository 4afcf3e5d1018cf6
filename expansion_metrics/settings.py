"""Where things live: every path the tooling uses comes from here."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEMO_DIR = PROJECT_DIR / "seeds" / "demo"
DEFAULT_DATABASE = PROJECT_DIR / "data" / "expansion_metrics.duckdb"
DEMO_AS_OF_DATE = "2026-10-31"  # the last day of the demo data set


def database_path() -> Path:
    """The DuckDB warehouse file: $EXPANSION_METRICS_DB, else data/expansion_metrics.duckdb."""
    configured = os.environ.get("EXPANSION_METRICS_DB")
    return Path(configured).expanduser().resolve() if configured else DEFAULT_DATABASE


def duckdb_config() -> dict[str, str]:
    """DuckDB's memory cap, threads and spill folder, from the same variables as the profile."""
    return {
        "memory_limit": os.environ.get("EXPANSION_METRICS_MEMORY_LIMIT", "6GB"),
        "threads": os.environ.get("EXPANSION_METRICS_THREADS", "2"),
        "temp_directory": os.environ.get(
            "EXPANSION_METRICS_TEMP_DIR", str(PROJECT_DIR / "data" / "duckdb_tmp")
        ),
    }
