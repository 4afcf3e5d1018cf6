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
