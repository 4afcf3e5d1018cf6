"""The month close: as-reported figures that no build changes, and the restatements.

Worked example (monthly items, amount = MRR; as_of_date 2025-12-31): p1 600 from
November 2024, 650 from June 2025; p2 400 from November 2024. November 2025 is closed:
trailing-twelve-month NRR (1) = (650 + 400) / (600 + 400) = 105%, ARR 12 x 1,050 =
12,600. Then a back-dated add-on of p2 (10 from March 2025) arrives: NRR (12) becomes
1,060 / 1,000 = 106%, one point more, past the 0.5-point threshold; ARR 12,720 (+0.95%,
past 0.5%); the monthly NRR stays 100% (1,060 / 1,060) and the customer count 2:
neither is restated.

Every step runs the real CLI: two refreshes, the close, a refused close, a full rebuild
with the marts schema dropped, and a reopened close.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import MODELS_ONLY, warehouse_fingerprint
from test_arr_worked_examples import RawSet

AS_OF = "2025-12-31"
NOV = "2025-11-01"


def raw(directory: Path, back_dated_add_on: bool) -> Path:
    data = RawSet()
    for customer_id in ("p1", "p2"):
        data.customer(customer_id, "emea")
    monthly = {"interval": "month"}
    data.item("p1", 600, "2024-11-01", "2025-06-01", **monthly)
    data.item("p1", 650, "2025-06-01", **monthly)
    data.item("p2", 400, "2024-11-01", **monthly)
    if back_dated_add_on:
        data.item("p2", 10, "2025-03-01", product="add_on", **monthly)
    return data.write(directory)


def run(database: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", *arguments],
        # models only: the data tests run in every other build of the suite
        env={**os.environ, **MODELS_ONLY, "EXPANSION_METRICS_DB": str(database)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def reported_fingerprint(database: Path) -> str:
    """A digest of every table of schema reported (names and rows); the schema must hold
    tables, or two empty digests would compare equal."""
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'reported'"
        ).fetchone()
    assert found and found[0], "no reported tables"
    return warehouse_fingerprint(database, schema="reported")


def restated(database: Path, mart: str, metric: str, window: int | None = None) -> dict:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(
            "select reported_value, current_value, difference, difference_pct, is_restated, "
            "close_id from marts.mart_restatements where month = ? and mart = ? and "
            "metric = ? and dimension = 'all' and window_months is not distinct from ?",
            [NOV, mart, metric, window],
        )
        rows = cursor.fetchall()
        names = [column[0] for column in cursor.description]
    assert len(rows) == 1, (mart, metric, rows)
    return dict(zip(names, rows[0], strict=True))


def test_a_closed_month_keeps_its_figures_and_shows_what_changed_since(tmp_path: Path):
    database = tmp_path / "published" / "wh.duckdb"
    first = run(database, "refresh", "--as-of-date", AS_OF,
                "--raw", str(raw(tmp_path / "raw1", back_dated_add_on=False)))  # fmt: skip
    assert first.returncode == 0, first.stderr

    # Nothing closed yet: the mart is empty, and a month the marts lack is refused.
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from marts.mart_restatements").fetchone() == (0,)
    before = warehouse_fingerprint(database)
    for month, reason in (("2026-01", "not a reporting month"), ("2023-06", "not a reporting")):
        refused = run(database, "close", "--month", month)
        assert refused.returncode == 1 and reason in refused.stderr, refused.stderr
    assert warehouse_fingerprint(database) == before

    closed = run(database, "close", "--month", "2025-11")
    assert closed.returncode == 0, closed.stderr
    assert "closed 2025-11 (close 1, as_of_date 2025-12-31)" in closed.stdout, closed.stdout
    with duckdb.connect(str(database), read_only=True) as con:
        close = con.execute(
            "select close_id, month, as_of_date, reopen_reason, "
            "json_extract_string(settings_json, '$.churn_recognition') from reported.month_closes"
        ).fetchall()
        nrr = con.execute(
            "select nrr_pct from reported.mart_nrr where dimension = 'all' and window_months = 12"
        ).fetchall()
    assert [tuple(map(str, row)) for row in close] == [("1", NOV, AS_OF, "None", "service_end")]
    assert nrr == [(pytest.approx(105.0),)]

    # Closing it again without a reason is refused and changes nothing.
    after_close = warehouse_fingerprint(database)
    again = run(database, "close", "--month", "2025-11")
    assert again.returncode == 1 and "--reopen" in again.stderr, again.stderr
    assert "Traceback" not in again.stderr
    assert warehouse_fingerprint(database) == after_close
    frozen = reported_fingerprint(database)

    # The back-dated add-on: the refresh names the closed month it changed.
    second = run(database, "refresh", "--as-of-date", AS_OF,
                 "--raw", str(raw(tmp_path / "raw2", back_dated_add_on=True)))  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "closed months changed (marts.mart_restatements): 2025-11" in second.stdout
    log = (database.parent / "refresh_log.txt").read_text().splitlines()
    assert "closed months changed (marts.mart_restatements): 2025-11" in log[-1]
    assert "closed months changed" not in log[0]
    assert reported_fingerprint(database) == frozen

    ttm = restated(database, "mart_nrr", "nrr_pct", 12)
    assert ttm["reported_value"] == pytest.approx(105.0)
    assert ttm["current_value"] == pytest.approx(106.0)
    assert ttm["difference"] == pytest.approx(1.0)
    assert ttm["is_restated"] is True
    monthly = restated(database, "mart_nrr", "nrr_pct", 1)
    assert (monthly["reported_value"], monthly["current_value"]) == (100.0, 100.0)
    assert monthly["is_restated"] is False
    arr = restated(database, "mart_saas_kpis", "arr")
    assert (arr["reported_value"], arr["current_value"]) == (12_600.0, 12_720.0)
    assert arr["difference_pct"] == pytest.approx(120 / 12_600 * 100)
    assert arr["is_restated"] is True
    customers = restated(database, "mart_saas_kpis", "customers")
    assert (customers["reported_value"], customers["is_restated"]) == (2.0, False)
    ending = restated(database, "bridge_totals", "ending_mrr")
    assert (ending["reported_value"], ending["current_value"]) == (1_050.0, 1_060.0)

    # The dashboard shows the month as reported and today, marked, and lists the figures.
    dashboard = tmp_path / "dashboard.html"
    shown = run(database, "report", "--out", str(dashboard))
    assert shown.returncode == 0, shown.stderr
    html = dashboard.read_text()
    closes_table = html[html.index("<h2>Month close</h2>") :]
    assert "Nov 2025 (restated)" in closes_table
    assert "105.0%" in closes_table and "106.0%" in closes_table
    for figure in ("nrr_pct", "all = all, 12 months", "+1.00 pp", "+120.00", "12,720.00"):
        assert figure in closes_table, figure
    assert "customers" not in closes_table.split("Restatements")[1]

    # Reopened with a reason: the first close's rows stay, the second is compared.
    reopened = run(database, "close", "--month", "2025-11", "--reopen", "p2 add-on back-dated")
    assert reopened.returncode == 0, reopened.stderr
    refrozen = reported_fingerprint(database)
    with duckdb.connect(str(database), read_only=True) as con:
        closes = con.execute(
            "select close_id, reopen_reason from reported.month_closes order by close_id"
        ).fetchall()
        by_close = con.execute(
            "select close_id, nrr_pct from reported.mart_nrr where dimension = 'all' "
            "and window_months = 12 order by close_id"
        ).fetchall()
    assert closes == [(1, None), (2, "p2 add-on back-dated")]
    assert by_close == [(1, pytest.approx(105.0)), (2, pytest.approx(106.0))]

    # The marts schema dropped and everything rebuilt from scratch: reported untouched.
    with duckdb.connect(str(database)) as con:
        con.execute("drop schema marts cascade")
    rebuilt = run(database, "build", "--as-of-date", AS_OF, "--full-refresh")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert reported_fingerprint(database) == refrozen
    ttm = restated(database, "mart_nrr", "nrr_pct", 12)
    assert (ttm["close_id"], ttm["reported_value"], ttm["is_restated"]) == (
        2, pytest.approx(106.0), False
    )  # fmt: skip
