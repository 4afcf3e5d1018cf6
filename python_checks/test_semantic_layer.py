"""The semantic layer: MetricFlow's answers equal the marts and the hand values.

Builds the worked examples of the ARR engine (each isolated in its own region) and the
SaaS KPI example of the board-pack issue (region kpi), then asks MetricFlow (`mf query`,
on DuckDB) for the trailing-twelve-month NRR by region, and for the quick ratio and the
customer churn rate by region and month (computed by MetricFlow from fct_mrr_movements,
compared with mart_saas_kpis).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import build_warehouse
from test_arr_worked_examples import AS_OF, RawSet, worked_examples

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


def with_kpi_example(raw: RawSet) -> RawSet:
    """June 2025 in region kpi (monthly items, amount = MRR): 10 new (e), 5 expansion
    (a 100 -> 105), 2 reactivation (d, gone since March), 4 contraction (b 50 -> 46) and
    3 churned (c), f flat at 40. Quick ratio (10 + 5 + 2) / (4 + 3) = 17 / 7 = 2.43;
    customers at the start of June a, b, c, f = 4, one churned: customer churn rate 25%.
    """
    for customer_id in ("ka", "kb", "kc", "kd", "ke", "kf"):
        raw.customer(customer_id, "kpi")
    monthly = {"interval": "month"}
    raw.item("ka", 100, "2025-01-01", "2025-06-01", **monthly)
    raw.item("ka", 105, "2025-06-01", **monthly)
    raw.item("kb", 50, "2025-01-01", "2025-06-01", **monthly)
    raw.item("kb", 46, "2025-06-01", **monthly)
    raw.item("kc", 3, "2025-01-01", "2025-06-01", **monthly)
    raw.item("kd", 2, "2025-01-01", "2025-03-01", **monthly)
    raw.item("kd", 2, "2025-06-01", **monthly)
    raw.item("ke", 10, "2025-06-01", **monthly)
    raw.item("kf", 40, "2025-01-01", **monthly)
    return raw


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # MetricFlow reads the semantic manifest from the project's own target/, whatever
    # $DBT_TARGET_PATH says: this build writes there (the only check that does; the others
    # keep to their private target folders, see conftest.private_dbt_paths).
    root = tmp_path_factory.mktemp("semantic_layer")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DBT_TARGET_PATH", raising=False)
        yield build_warehouse(
            with_kpi_example(worked_examples()).write(root / "raw"), root / "wh.duckdb", AS_OF,
            artefacts=True,
        )  # fmt: skip


def mf_rows(database: Path, out: Path, *args: str) -> list[dict[str, str]]:
    """`mf query ... --csv out`, its rows."""
    done = mf(database, "query", *args, "--csv", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    with out.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_ttm_nrr_by_region_through_metricflow_matches_mart_nrr(database: Path, tmp_path: Path):
    rows = mf_rows(
        database, tmp_path / "nrr.csv", "--metrics", "ttm_nrr",
        "--group-by", "nrr_window__dimension_value,metric_time__month",
        "--where", "{{ Dimension('nrr_window__dimension') }} = 'region'",
        "--where", "{{ TimeDimension('metric_time', 'month') }} = '2025-12-01'",
    )  # fmt: skip
    via_metricflow = {r["nrr_window__dimension_value"]: float(r["ttm_nrr"]) * 100 for r in rows}

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


def test_quick_ratio_and_customer_churn_rate_through_metricflow_match_mart_saas_kpis(
    database: Path, tmp_path: Path
):
    rows = mf_rows(
        database, tmp_path / "kpis.csv", "--metrics", "quick_ratio,customer_churn_rate",
        "--group-by", "customer_month__region,metric_time__month",
    )  # fmt: skip
    via_metricflow = {
        (r["customer_month__region"], r["metric_time__month"][:10]): (
            float(r["quick_ratio"]) if r["quick_ratio"] else None,
            100 * float(r["customer_churn_rate"]) if r["customer_churn_rate"] else None,
        )
        for r in rows
    }
    with duckdb.connect(str(database), read_only=True) as con:
        in_mart = {
            (region, str(month)): (quick_ratio, churn_rate)
            for region, month, quick_ratio, churn_rate in con.execute(
                "select dimension_value, month, quick_ratio, customer_churn_rate_pct "
                "from marts.mart_saas_kpis where dimension = 'region' and customers_at_start "
                "+ customers + new_customers + reactivated_customers + churned_customers > 0"
            ).fetchall()
        }
    assert set(in_mart) <= set(via_metricflow)
    for key, (quick_ratio, churn_rate) in in_mart.items():
        assert via_metricflow[key] == (
            pytest.approx(quick_ratio, abs=1e-9) if quick_ratio is not None else None,
            pytest.approx(churn_rate, abs=1e-9) if churn_rate is not None else None,
        ), key

    # The hand values of the worked example.
    assert via_metricflow[("kpi", "2025-06-01")] == (
        pytest.approx(17 / 7, abs=1e-12),
        pytest.approx(25.0, abs=1e-12),
    )
    assert in_mart[("kpi", "2025-06-01")] == (pytest.approx(17 / 7), pytest.approx(25.0))
    # March: d's 2 churned, nothing gained: quick ratio 0, churn rate 1 in 5 = 20%.
    assert via_metricflow[("kpi", "2025-03-01")] == (0.0, pytest.approx(20.0, abs=1e-12))
