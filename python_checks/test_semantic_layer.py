"""The semantic layer: NRR by region through MetricFlow equals mart_nrr and the hand values.

Builds the worked examples of the ARR engine (each isolated in its own region), then
asks MetricFlow (`mf query`, on DuckDB) for the trailing-twelve-month NRR by region.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import build_warehouse
from test_arr_worked_examples import AS_OF, worked_examples

from expansion_metrics.settings import PROJECT_DIR

# Hand values of the worked examples (see test_arr_worked_examples.py).
EXPECTED_TTM_NRR_PCT = {"ex1": 1_357 / 1_200 * 100, "ex2": 105.0, "ex5": 120.0, "ex8": 110.0}


def mf(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run MetricFlow's CLI (installed beside this interpreter) on `database`."""
    env = {**os.environ, "EXPANSION_METRICS_DB": str(database), "DBT_PROFILES_DIR": "."}
    return subprocess.run(
        [str(Path(sys.executable).parent / "mf"), *args],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_ttm_nrr_by_region_through_metricflow_matches_mart_nrr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # MetricFlow reads the semantic manifest from the project's own target/, whatever
    # $DBT_TARGET_PATH says: this build writes there (the only check that does; the others
    # keep to their private target folders, see conftest.private_dbt_paths).
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    database = build_warehouse(
        worked_examples().write(tmp_path / "raw"), tmp_path / "wh.duckdb", AS_OF, artefacts=True
    )
    out = tmp_path / "nrr.csv"
    done = mf(
        database, "query", "--metrics", "ttm_nrr",
        "--group-by", "nrr_window__dimension_value,metric_time__month",
        "--where", "{{ Dimension('nrr_window__dimension') }} = 'region'",
        "--where", "{{ TimeDimension('metric_time', 'month') }} = '2025-12-01'",
        "--csv", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    with out.open(newline="") as handle:
        via_metricflow = {
            r["nrr_window__dimension_value"]: float(r["ttm_nrr"]) * 100
            for r in csv.DictReader(handle)
        }

    with duckdb.connect(str(database), read_only=True) as con:
        in_mart = dict(
            con.execute(
                "select dimension_value, nrr_pct from marts.mart_nrr where window_months = 12 "
                "and dimension = 'region' and month = '2025-12-01'"
            ).fetchall()
        )
    assert set(via_metricflow) == set(in_mart)
    for region, nrr in in_mart.items():
        assert via_metricflow[region] == pytest.approx(nrr, abs=1e-6), region
    for region, nrr in EXPECTED_TTM_NRR_PCT.items():
        assert via_metricflow[region] == pytest.approx(nrr, abs=1e-4), region
