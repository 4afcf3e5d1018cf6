"""Any valid configuration builds green; an unknown or implausible var stops the run cleanly.

- The demo (seeds/demo, as_of_date 2026-10-31) builds with every var of dbt_project.yml
  changed at once to another valid value (the README's own examples among them), and the
  total MRR in EUR is checked against a hand computation from the demo's CSV files.
- The unit tests run under a second combination of changed values (they pin the vars
  they depend on). CONFIG_SWEEP=all runs a full demo build per var changed alone
  instead (about 30 s each), and the unit tests under each of the issue's examples.
- A var name with a typo, and an as_of_date before earliest_date, in year 0, far in the
  future or not a real date, stop the run naming the problem, with the warehouse
  byte-identical.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import SUMMARY, warehouse_fingerprint

from expansion_metrics.settings import PROJECT_DIR

AS_OF = "2026-10-31"
DEMO = PROJECT_DIR / "seeds" / "demo"

# Every var of dbt_project.yml at another valid value (the thresholds kept in order).
CHANGED: dict[str, object] = {
    "as_of_date": AS_OF,
    "earliest_date": "2001-01-01",
    "reporting_currency": "EUR",
    "fx_rate_policy": "fixed",
    "fx_rate_date": "2026-01-01",
    "include_usage_in_mrr": False,
    "churn_recognition": "cancellation",
    "discounts_in_mrr": "all",
    "reactivation_window_months": 6,
    # ten years: no demo invoice is that late, so the hand total below still holds
    "past_due_churn_days": 3650,
    "nrr_world_class_pct": 130,
    "nrr_strong_pct": 105,
    "nrr_needs_improvement_pct": 85,
    "fiscal_year_start_month": 2,
    "coverage_healthy_ratio": 3.5,
    "coverage_alert_ratio": 2.0,
    "conversion_lookback_months": 6,
    "health_usage_recent_days": 14,
    "health_usage_baseline_days": 45,
    "health_usage_decline_pct": 25,
    "health_support_recent_days": 14,
    "health_support_baseline_days": 90,
    "health_payment_days": 60,
    "health_sponsor_change_days": 60,
    "health_qbr_days": 120,
    "health_renewal_days": 60,
    "health_upgrade_prompt_pct": 75,
    "health_weight_usage": 40,
    "health_weight_support": 20,
    "health_weight_payments": 10,
    "health_weight_relationship": 15,
    "health_weight_renewal": 15,
    "health_green_min_score": 75,
    "health_yellow_min_score": 45,
    "logo_churn_targets_pct": {"enterprise": 4, "mid_market": 6, "smb": 12},
    "logo_churn_target_default_pct": 8,
    "gross_margin_pct": 65,
    "retention_grain": "parent",
    "restatement_threshold_points": 1,
    "restatement_threshold_pct": 2,
    "raw_freshness_warn_hours": 48,
    "raw_freshness_error_hours": 240,
}

# The examples of the issue: each made `dbt build` fail on the project's own unit tests.
ISSUE_EXAMPLES: list[dict[str, object]] = [
    {"coverage_alert_ratio": 2.0, "fiscal_year_start_month": 2},
    {"health_weight_usage": 40},
    {"health_green_min_score": 75},
    {"health_usage_recent_days": 14},
    {"reporting_currency": "EUR"},
]


def _project_vars() -> dict[str, object]:
    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def _dbt(database: Path, *args: str, env: dict[str, str] | None = None):
    dbt = str(Path(sys.executable).parent / "dbt")
    return subprocess.run(
        [dbt, *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
        env={**os.environ, "EXPANSION_METRICS_DB": str(database), **(env or {})},
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip


def _vars(values: dict[str, object]) -> str:
    return json.dumps({"as_of_date": AS_OF, **values})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo raw data, loaded with the real loader (not built)."""
    database = tmp_path_factory.mktemp("configuration") / "wh.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", "load", str(DEMO)],
        env={**os.environ, "EXPANSION_METRICS_DB": str(database)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return database


# ---------------------------------------------------------------------------------------
# The list of vars


# Vars that only matter when a connector is selected (billing_source, crm_source): the
# demo is contract data, so the connector checks (test_connectors*.py) change these.
CONNECTOR_VARS = {"billing_source", "crm_source", "discounts_reducing_mrr"}
CONNECTOR_PREFIXES = ("stripe_", "salesforce_", "hubspot_")


def test_every_project_var_is_changed_in_the_combination():
    defaults = _project_vars()
    connector = {
        name for name in defaults if name in CONNECTOR_VARS or name.startswith(CONNECTOR_PREFIXES)
    }
    assert set(CHANGED) == set(defaults) - connector
    assert [name for name in CHANGED if CHANGED[name] == defaults[name]] == []


def test_the_validator_knows_exactly_the_project_vars():
    """known_var_names() (what --vars may name) lists the vars of dbt_project.yml."""
    macro = (PROJECT_DIR / "macros" / "validate_configuration.sql").read_text()
    body = macro[macro.index("macro known_var_names") :]
    listed = re.findall(r"'([a-z_]+)'", body[: body.index("]")])
    assert sorted(listed) == sorted(_project_vars())


# ---------------------------------------------------------------------------------------
# Valid settings build green


def _hand_total_mrr_eur(month_end: str) -> float:
    """Total MRR at `month_end` without usage lines, in EUR, from the demo CSV files:
    amount x billing periods a year / 12 x (currency's rate / EUR's rate), both the latest
    rates on or before CHANGED's fx_rate_date (fx_rate_policy fixed), for items of known
    customers active on month_end."""
    assert CHANGED["fx_rate_policy"] == "fixed"
    rate_date = str(CHANGED["fx_rate_date"])
    rates: dict[str, tuple[str, float]] = {}
    with (DEMO / "fx_rates.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["month"] <= rate_date and row["month"] > rates.get(row["currency"], ("",))[0]:
                rates[row["currency"]] = (row["month"], float(row["rate_to_reporting"]))
    with (DEMO / "customers.csv").open() as handle:
        customers = {row["customer_id"] for row in csv.DictReader(handle)}
    per_year = {"day": 365, "week": 52, "month": 12, "quarter": 4, "year": 1}
    total = 0.0
    with (DEMO / "subscription_items.csv").open() as handle:
        for row in csv.DictReader(handle):
            active = row["valid_from"] <= month_end and (
                not row["valid_to"] or row["valid_to"] > month_end
            )
            if active and row["pricing_model"] != "usage" and row["customer_id"] in customers:
                rate = rates[row["currency"]][1] / rates["EUR"][1]
                periods = per_year[row["billing_interval"]] / int(row["interval_count"] or 1)
                total += float(row["amount"]) * periods / 12 * rate
    return total


def test_demo_builds_green_with_every_var_changed(demo: Path):
    done = _dbt(demo, "build", "--vars", _vars(CHANGED))
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr
    with duckdb.connect(str(demo), read_only=True) as con:
        (total,) = con.execute(
            "select sum(ending_mrr) from marts.fct_mrr_movements where month = '2026-10-01'"
        ).fetchone()
        quarantined = con.execute(
            "select count(*) from intermediate.int_quarantined_rows "
            "where source_table = 'subscription_items'"
        ).fetchone()
    expected = _hand_total_mrr_eur("2026-10-31")
    assert expected > 0
    # each item is rounded to 6 decimals in the warehouse
    assert float(total) == pytest.approx(expected, abs=0.01)
    assert quarantined == (0,)


# A second valid combination, for the unit tests alone (each value differs from both the
# default and CHANGED where the var has room).
COMBINATION_B: dict[str, object] = {
    "reporting_currency": "GBP", "include_usage_in_mrr": True, "nrr_world_class_pct": 110,
    "nrr_strong_pct": 95, "nrr_needs_improvement_pct": 80, "fiscal_year_start_month": 11,
    "coverage_healthy_ratio": 2.0, "coverage_alert_ratio": 1.0,
    "conversion_lookback_months": 24, "health_usage_recent_days": 7,
    "health_usage_baseline_days": 21, "health_usage_decline_pct": 10,
    "health_support_recent_days": 60, "health_support_baseline_days": 365,
    "health_payment_days": 30, "health_sponsor_change_days": 30, "health_qbr_days": 365,
    "health_renewal_days": 30, "health_upgrade_prompt_pct": 95, "health_weight_usage": 20,
    "health_weight_support": 20, "health_weight_payments": 20,
    "health_weight_relationship": 20, "health_weight_renewal": 20,
    "health_green_min_score": 60, "health_yellow_min_score": 30,
    "gross_margin_pct": 72.5, "restatement_threshold_points": 0.25, "retention_grain": "parent",
    "restatement_threshold_pct": 1.5,
}  # fmt: skip

SWEEP = os.environ.get("CONFIG_SWEEP", "") == "all"
# (what to run, vars): "unit" = the unit tests alone, "build" = a full demo build.
CASES: list[tuple[str, dict[str, object]]] = (
    [("unit", example) for example in ISSUE_EXAMPLES]
    + [("build", {name: value}) for name, value in CHANGED.items() if name != "as_of_date"]
    if SWEEP
    else [("unit", COMBINATION_B)]
)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}:{','.join(c[1])[:60]}")
def test_other_settings_build_green(
    case: tuple[str, dict[str, object]], demo: Path, tmp_path: Path
):
    """CI: the unit tests under COMBINATION_B. CONFIG_SWEEP=all: the unit tests under each
    of the issue's examples, and a full demo build (into a copy of the loaded warehouse)
    per var changed alone."""
    kind, values = case
    if kind == "build":
        database = tmp_path / "wh.duckdb"
        database.write_bytes(demo.read_bytes())
        done = _dbt(database, "build", "--vars", _vars(values))
    else:
        done = _dbt(demo, "test", "--select", "test_type:unit", "--vars", _vars(values))
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr
    SUMMARY.append(f"configuration ({'full build' if kind == 'build' else 'unit tests'}): {values}")


# ---------------------------------------------------------------------------------------
# Refused before anything runs

REFUSED = {
    "typo in a var name, and a date from the environment that is not real": (
        {"vars": "{as_of_dat: 2026-10-31}", "env": {"EXPANSION_METRICS_AS_OF_DATE": "2026-02-30"}},
        ["unknown var 'as_of_dat' (did you mean 'as_of_date'?)",
         "as_of_date ($EXPANSION_METRICS_AS_OF_DATE) is not a real date: '2026-02-30'"],
    ),
    "typos and year 0": (
        {"vars": '{as_of_date: "0000-01-01", helth_weight_usage: 40, colour: blue}'},
        ["unknown var 'helth_weight_usage' (did you mean 'health_weight_usage'?)",
         "unknown var 'colour' (known vars: as_of_date, earliest_date,",
         "as_of_date 0000-01-01 is before earliest_date 2000-01-01"],
    ),
    "far future and a malformed earliest_date": (
        {"vars": '{as_of_date: 9999-12-31, earliest_date: "2000-13-01"}'},
        ["as_of_date 9999-12-31 is more than a year after today",
         "earliest_date must be a real date like 2000-01-01, got '2000-13-01'"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSED))
def test_unknown_or_implausible_var_stops_the_run_and_changes_nothing(case: str, demo: Path):
    given, messages = REFUSED[case]
    before = warehouse_fingerprint(demo)
    args = ["build"] + (["--vars", str(given["vars"])] if "vars" in given else [])
    done = _dbt(demo, *args, env=dict(given.get("env", {})))  # type: ignore[arg-type]
    output = done.stdout + done.stderr
    assert done.returncode != 0
    for message in messages:
        assert message in output
    assert "Traceback" not in output
    assert warehouse_fingerprint(demo) == before


# ---------------------------------------------------------------------------------------
# Unit tests in a production build


def test_a_production_build_leaves_out_unit_tests_unless_asked(demo: Path, tmp_path: Path):
    """`expansion-metrics build` is the scheduler's build: dbt's unit tests (fixed rows,
    the same answer on any data) are left out, as dbt recommends, and `--unit-tests`
    brings them back. A type excluded through $DBT_EXCLUDE_RESOURCE_TYPES (here the data
    tests) stays excluded either way."""
    database = tmp_path / "wh.duckdb"
    database.write_bytes(demo.read_bytes())
    ran: dict[str, set[str]] = {}
    for flags in ([], ["--unit-tests"]):
        target = tmp_path / ("target" + "".join(flags))
        done = subprocess.run(
            [sys.executable, "-m", "expansion_metrics.cli", "build", "--as-of-date", AS_OF,
             "--select", "stg_billing__subscription_items", *flags],
            env={**os.environ, "EXPANSION_METRICS_DB": str(database),
                 "DBT_TARGET_PATH": str(target), "DBT_WRITE_JSON": "true",
                 "DBT_EXCLUDE_RESOURCE_TYPES": "test"},
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr
        results = json.loads((target / "run_results.json").read_text())["results"]
        assert all(r["status"] in ("success", "pass") for r in results), results
        # (the project's on-run-start hooks are "operation" results of every run)
        ran[" ".join(flags)] = {r["unique_id"].split(".")[0] for r in results} - {"operation"}
    assert ran[""] == {"model"}
    assert ran["--unit-tests"] == {"model", "unit_test"}
