"""The dashboard says what the build decided: thresholds, statuses and currency come from
the warehouse, never from constants in the report code.

One demo build with non-default vars (alert below 1x, healthy from 1.25x, world-class NRR
from 125%, red below a health score of 60 and green from 75, reporting in EUR with the
demo's fx rates restated to EUR) serves every end-to-end check here; the expected figures
are counted from the mart rows against those var values, by hand in the test.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import vl_convert
from conftest import warehouse_fingerprint

from expansion_metrics.report import MONEY_AXIS, MONEY_EXACT, money
from expansion_metrics.settings import DEMO_AS_OF_DATE, DEMO_DIR

ALERT, HEALTHY = 1.0, 1.25
VARS = {
    "as_of_date": DEMO_AS_OF_DATE,
    "coverage_alert_ratio": ALERT,
    "coverage_healthy_ratio": HEALTHY,
    "nrr_world_class_pct": 125,
    "health_yellow_min_score": 60,
    "health_green_min_score": 75,
    "reporting_currency": "EUR",
}


def cli(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", *args],
        env={**os.environ, "EXPANSION_METRICS_DB": str(database)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def demo_in_eur(directory: Path) -> Path:
    """The demo raw data with fx_rates restated to EUR: X->EUR = (X->USD) / (EUR->USD)."""
    shutil.copytree(DEMO_DIR, directory)
    path = directory / "fx_rates.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    eur = {r["month"]: float(r["rate_to_reporting"]) for r in rows if r["currency"] == "EUR"}
    restated = [
        {**r, "rate_to_reporting": f"{float(r['rate_to_reporting']) / eur[r['month']]:.8f}"}
        for r in rows
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(restated)
    return directory


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(warehouse, dashboard HTML) of the demo built with VARS through the project's dbt.

    Every model, unit test and data test runs: unit tests pin the vars they depend on."""
    root = tmp_path_factory.mktemp("report_config")
    database = root / "wh.duckdb"
    loaded = cli(database, "load", str(demo_in_eur(root / "raw")))
    assert loaded.returncode == 0, loaded.stderr
    done = subprocess.run(
        [sys.executable, "-c",
         "import json, sys\nfrom expansion_metrics.dbt import run_dbt\n"
         "sys.exit(run_dbt(['build'], json.loads(sys.argv[1])))",
         json.dumps(VARS)],
        env={**os.environ, "EXPANSION_METRICS_DB": str(database)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = root / "dashboard.html"
    report = cli(database, "report", "--out", str(out))
    assert report.returncode == 0, report.stderr
    return database, out.read_text(encoding="utf-8")


def ours(page: str) -> str:
    """The page less the inlined Vega bundle (library code, full of `$`) and the charts'
    money formats, where `$` stands for the currency of the spec's locale."""
    bundle = vl_convert.javascript_bundle()
    assert page.count(bundle) == 1
    page = page.replace(bundle, "")
    for money_format in (MONEY_EXACT, MONEY_AXIS):
        page = page.replace(f'"format":"{money_format}"', "")
    return page


def rows(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_coverage_alerts_and_lines_follow_the_build(built):
    database, page = built
    history = rows(
        database,
        "select coverage_ratio, coverage_status from marts.mart_pipeline_coverage "
        "where snapshot_kind = 'quarter_start' and segment = 'all' "
        "and coverage_ratio is not null",
    )
    # The marts' statuses against the vars of this build, by hand.
    alert = sum(1 for ratio, _ in history if ratio < ALERT)
    watch = sum(1 for ratio, _ in history if ALERT <= ratio < HEALTHY)
    healthy = sum(1 for ratio, _ in history if ratio >= HEALTHY)
    assert [s for _, s in history].count("alert") == alert
    assert [s for _, s in history].count("watch") == watch
    assert [s for _, s in history].count("healthy") == healthy
    assert 0 < alert < len(history), "the check needs quarters on both sides of the line"
    assert (
        f"Coverage at the start of {alert} of {len(history)} quarters was below the 1x alert "
        f"line; {watch} on watch (1x to below 1.25x), {healthy} healthy (1.25x or more)"
    ) in page
    assert "alert line 1x" in page and "healthy line 1.25x" in page
    for default in ("alert line 2.5x", "the 2.5x", "below 2.5x", "line 3x", "below 3x"):
        assert default not in page  # the default thresholds are not repeated

    # The headline card and the current-quarter finding carry the mart's own status.
    (status,) = rows(
        database,
        "select coverage_status from marts.mart_executive_summary where segment = 'all' "
        "and month = (select max(month) from marts.mart_executive_summary)",
    )[0]
    rule = {"alert": "below 1x", "watch": "1x to below 1.25x", "healthy": "1.25x or more"}
    assert f"status: {status} ({rule[status]})" in page
    current = rows(
        database,
        "select coverage_status from marts.mart_pipeline_coverage where snapshot_kind = "
        "'current' and segment = 'all' order by fiscal_quarter limit 1",
    )[0][0]
    assert f"target ({current}: {rule[current]})" in page


def test_nrr_tiers_and_red_customers_follow_the_build(built):
    database, page = built
    # nrr_world_class_pct 125: 'strong' is 100 to below 125 in the band (its tooltip, in
    # the chart's spec) and the card.
    assert '"band":"strong: 100% to below 125%"' in page
    assert "to below 120%" not in page and "120% or more" not in page
    (tier,) = rows(
        database,
        "select nrr_tier from marts.mart_executive_summary where segment = 'all' "
        "and month = (select max(month) from marts.mart_executive_summary)",
    )[0]
    spans = {
        "critical": "below 90%",
        "needs_improvement": "90% to below 100%",
        "strong": "100% to below 125%",
        "world_class": "125% or more",
    }
    assert f"tier: {tier.replace('_', ' ')} ({spans[tier]})" in page
    # health_yellow_min_score 60: red = a score below 60, counted from the mart by hand.
    scored = rows(database, "select health_score, health_status from marts.mart_customer_health")
    red = sum(1 for score, _ in scored if score is not None and score < 60)
    assert red == sum(1 for _, status in scored if status == "red") > 0
    assert f"{red} customers are red (health score below 60)" in page
    assert "green customers (health score 75 or more)" in page


def test_configured_currency_and_symbol_replace_usd(built):
    _, page = built
    assert "Amounts are EUR ARR at constant currency" in page
    assert "ARR (EUR)" in page and "open pipeline ARR (EUR)" in page
    assert re.search(r"ARR went from €[\d.,]+[KM]? to €[\d.,]+[KM]? in twelve months", page)
    assert re.search(r"€[\d.,]+[KM]? open expansion pipeline", page)
    assert "USD" not in page and "$" not in ours(page)
    # Vega formats money with the spec's currency ("$" in "$,.2f" means the locale's).
    assert '"currency":["€",""]' in page


def test_unlisted_currency_is_shown_by_its_code(built, tmp_path: Path):
    """A currency without a symbol in the table: amounts read '1.23M CHF'. The currency is
    changed in a copy of the settings row only, to show it is read from the warehouse."""
    database, _ = built
    copy = tmp_path / "wh.duckdb"
    shutil.copyfile(database, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("update marts.mart_reporting_settings set reporting_currency = 'CHF'")
    out = tmp_path / "dashboard.html"
    done = cli(copy, "report", "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "Amounts are CHF ARR" in page and "ARR (CHF)" in page
    assert re.search(r"ARR went from [\d.,]+[KM]? CHF to [\d.,]+[KM]? CHF", page)
    assert "€" not in page and "EUR" not in page and "$" not in ours(page)
    assert '"currency":[""," CHF"]' in page


def test_warehouse_without_settings_is_a_clear_error_and_unchanged(built, tmp_path: Path):
    database, _ = built
    copy = tmp_path / "old.duckdb"
    shutil.copyfile(database, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("drop table marts.mart_reporting_settings")
    before = warehouse_fingerprint(copy)
    out = tmp_path / "dashboard.html"
    done = cli(copy, "report", "--out", str(out))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(copy) in lines[0] and "marts.mart_reporting_settings is missing" in lines[0]
    assert "expansion-metrics build" in lines[0]
    assert not out.exists()
    assert warehouse_fingerprint(copy) == before


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        (1_500_000, "EUR", "€1.50M"),
        (2_500, "GBP", "£2.50K"),
        (-2_500, "USD", "-$2.50K"),
        (980, "JPY", "¥980"),
        (1_234, "CHF", "1.23K CHF"),
        (999, "CHF", "999 CHF"),
        (None, "EUR", "n/a"),
    ],
)
def test_money_formats_the_reporting_currency(value, currency, shown):
    assert money(value, currency) == shown
