"""The reporting calendar never loses months, and values the loader passes never break a build.

Small raw sets written by hand go through the real loader and `expansion-metrics build`.
Rows the loader refuses (dates before its floor, amounts it can tell overflow) are
inserted into raw directly after a normal load, as an EL tool could write them: the
models must cope on their own. Every expected value is computed by hand below.
CALENDAR_SWEEP=each builds once per old date instead of once for the three.

The hand-computed base set (as_of_date 2026-06-30): customer c1 has platform 100 USD a
month from 2026-01-01 and analytics 50 USD a month from 2026-03-01 to 2026-05-01 (valid_to
exclusive: active on April 30, not on May 31). MRR at each month end: January 100,
February 100, March 150, April 150, May 100, June 100 (ARR x 12).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import WITHOUT_UNIT_TESTS, warehouse_fingerprint, write_table

from expansion_metrics.settings import PROJECT_DIR

AS_OF = "2026-06-30"
MONTHS = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01"]
MRR = {"2026-01-01": 100, "2026-02-01": 100, "2026-03-01": 150, "2026-04-01": 150,
       "2026-05-01": 100, "2026-06-01": 100}  # fmt: skip


def _cli(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **WITHOUT_UNIT_TESTS, "EXPANSION_METRICS_DB": str(database)}
    return subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", *args],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def _item(item_id: str, customer: str, amount: float, valid_from: str, **extra: object) -> dict:
    return {"subscription_item_id": item_id, "customer_id": customer, "product": "platform",
            "pricing_model": "flat", "quantity": 1, "amount": amount, "currency": "USD",
            "billing_interval": "month", "valid_from": valid_from, **extra}  # fmt: skip


def _load_base(tmp_path: Path, **tables: list[dict]) -> Path:
    """Write and load the base set (plus `tables`); return the warehouse."""
    raw = tmp_path / "raw"
    write_table(raw, "customers", [{"customer_id": "c1", "customer_name": "One",
                                    "segment": "smb", "created_at": "2025-12-01"}])  # fmt: skip
    write_table(raw, "subscription_items", [
        _item("i1", "c1", 100, "2026-01-01"),
        _item("i2", "c1", 50, "2026-03-01", product="analytics", valid_to="2026-05-01"),
    ])  # fmt: skip
    for table, rows in tables.items():
        write_table(raw, table, rows)
    database = tmp_path / "wh.duckdb"
    done = _cli(database, "load", str(raw))
    assert done.returncode == 0, done.stdout + done.stderr
    return database


def _insert(database: Path, table: str, row: dict) -> None:
    """Write one row straight into raw, past the loader's checks."""
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    with duckdb.connect(str(database)) as con:
        con.execute(f"insert into raw.{table} ({columns}) values ({marks})", list(row.values()))


def _build(database: Path, as_of: str = AS_OF) -> None:
    done = _cli(database, "build", "--as-of-date", as_of)
    assert done.returncode == 0, f"build failed:\n{done.stdout}\n{done.stderr}"


def _rows(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return [tuple(str(v) if hasattr(v, "isoformat") else v for v in row)
                for row in con.execute(sql).fetchall()]  # fmt: skip


def _assert_base_months(database: Path) -> None:
    """Every mart holds January-June 2026 with the hand-computed MRR, nothing else."""
    calendar = _rows(database, "select month from intermediate.int_calendar_months order by 1")
    assert [m for (m,) in calendar] == MONTHS
    totals = _rows(database, "select month, sum(ending_mrr) from marts.fct_mrr_movements "
                             "group by 1 order by 1")  # fmt: skip
    assert [(m, float(v)) for m, v in totals] == [(m, MRR[m]) for m in MONTHS]
    expansion = _rows(
        database,
        "select month, expansion_mrr, contraction_mrr from marts.mart_expansion "
        "where dimension = 'all' order by 1",
    )
    # analytics added in March (+50), removed in May (-50)
    assert [(m, float(e), float(c)) for m, e, c in expansion] == [
        (m, 50.0 if m == "2026-03-01" else 0.0, 50.0 if m == "2026-05-01" else 0.0) for m in MONTHS
    ]
    nrr = _rows(database, "select month, starting_arr from marts.mart_nrr "
                          "where dimension = 'all' and window_months = 1 order by 1")  # fmt: skip
    # the cohort of month M is M-1's: ARR = 12 x MRR of the month before
    assert [(m, float(a)) for m, a in nrr] == [
        (m, 12.0 * MRR[previous]) for previous, m in zip(MONTHS, MONTHS[1:], strict=False)
    ]
    cohort = _rows(database, "select months_since_start, arr from marts.mart_cohort_retention "
                             "where dimension = 'all' and cohort_month = '2026-01-01' "
                             "order by 1")  # fmt: skip
    assert [(k, float(a)) for k, a in cohort] == [(k, 12.0 * MRR[m]) for k, m in enumerate(MONTHS)]


OPPORTUNITY = {"opportunity_type": "expansion", "expansion_type": "seat", "stage": "closed_won",
               "amount": 1200, "currency": "USD", "owner": "Ana"}  # fmt: skip


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base set plus values the loader may pass (or refuse, so written straight into
    raw) that must not break the build: a GBP amount that fits the loader's limit but not
    decimal(18, 6) once converted (900,000,000,000 x 1.27 = 1.143e12) and an opportunity
    closed before it was created, beside a sound one. Built once; tests that change it
    work on a copy."""
    database = _load_base(
        tmp_path_factory.mktemp("base"),
        fx_rates=[{"currency": "GBP", "month": "2026-01-01", "rate_to_reporting": 1.27}],
        opportunities=[{"opportunity_id": "o_good", "customer_id": "c1",
                        "created_date": "2026-02-01", "close_date": "2026-03-10",
                        **OPPORTUNITY}],
    )  # fmt: skip
    _insert(database, "subscription_items",
            _item("huge", "c1", 900_000_000_000, "2026-02-01", currency="GBP"))  # fmt: skip
    _insert(database, "opportunities", {"opportunity_id": "o_bad", "customer_id": "c1",
                                        "created_date": "2026-02-01",
                                        "close_date": "2026-01-10", **OPPORTUNITY})  # fmt: skip
    _build(database)
    return database


def test_base_set_reports_every_month(base: Path):
    _assert_base_months(base)  # the huge item is left out of MRR


def test_values_beyond_the_range_and_impossible_dates_are_quarantined(base: Path):
    """The build passed; the huge item and the opportunity closed before it was created
    are quarantined with their reason and reach no mart."""
    reasons = _rows(base, "select source_table, row_key, reason "
                          "from intermediate.int_quarantined_rows order by 1, 2")  # fmt: skip
    assert reasons == [
        ("opportunities", "o_bad", "close_date 2026-01-10 is before created_date 2026-02-01"),
        ("subscription_items", "huge",
         "mrr in the reporting currency is beyond the supported limit of 999,999,999,999 "
         "(amount 900000000000.0 GBP per month)"),
    ]  # fmt: skip
    assert _rows(base, "select opportunity_id from marts.fct_opportunities") == [("o_good",)]
    snapshots = _rows(base, "select count(*) from intermediate.int_opportunity_snapshots "
                            "where opportunity_id = 'o_bad'")  # fmt: skip
    assert snapshots == [(0,)]


# CI: the three dates in one build. CALENDAR_SWEEP=each: one build per date.
OLD_DATES = ["1900-01-01", "0001-01-01", "1925-03-01"]
OLD_DATE_SETS = (
    [[d] for d in OLD_DATES] if os.environ.get("CALENDAR_SWEEP") == "each" else [OLD_DATES]
)


@pytest.mark.parametrize("old_dates", OLD_DATE_SETS, ids=lambda dates: ",".join(dates))
def test_old_items_never_cut_or_empty_the_marts(old_dates: list[str], tmp_path: Path):
    """Items dated long ago, for an unknown customer (quarantined) and for c1, plus an
    unknown customer's item in 2001: the calendar still starts at the first countable
    month (January 2026) and runs to June 2026; the old items are quarantined with their
    reason, never counted."""
    database = _load_base(tmp_path)
    expected = [("ghost_2001", "unknown customer_id")]
    for number, old_date in enumerate(old_dates):
        _insert(database, "subscription_items", _item(f"old{number}_c1", "c1", 1000, old_date))
        _insert(database, "subscription_items",
                _item(f"old{number}_ghost", "ghost", 1000, old_date))  # fmt: skip
        before = f"valid_from {old_date} is before earliest_date 2000-01-01"
        expected += [(f"old{number}_c1", before), (f"old{number}_ghost", before),
                     (f"old{number}_ghost", "unknown customer_id")]  # fmt: skip
    _insert(database, "subscription_items", _item("ghost_2001", "ghost", 1000, "2001-05-01"))
    _build(database)
    _assert_base_months(database)
    reasons = _rows(
        database,
        "select row_key, reason from intermediate.int_quarantined_rows "
        "where source_table = 'subscription_items' order by 1, 2",
    )
    assert reasons == sorted(expected)


def test_as_of_date_before_all_data_fails_the_build_saying_so(base: Path, tmp_path: Path):
    """The first countable item starts 2026-01-01: as_of_date 2026-01-30 has no complete
    month with MRR (January ends on the 31st), so every finance mart would be empty."""
    database = tmp_path / "copy.duckdb"
    shutil.copyfile(base, database)
    done = _cli(database, "build", "--as-of-date", "2026-01-30",
                "--select", "+assert_as_of_date_is_not_before_all_data")  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "as_of_date 2026-01-30 is before all data" in output
    assert "first countable subscription item starts on 2026-01-01" in output
    assert "Traceback" not in output


def test_a_lost_month_or_an_empty_mart_fails_the_completeness_tests(base: Path, tmp_path: Path):
    """The guards themselves: with a month deleted from int_reporting_months and from
    fct_mrr_movements, or mart_nrr emptied, the data tests stop `dbt test` naming it."""
    database = tmp_path / "copy.duckdb"
    shutil.copyfile(base, database)
    with duckdb.connect(str(database)) as con:
        con.execute("delete from intermediate.int_reporting_months where month = '2026-03-01'")
        con.execute("delete from marts.fct_mrr_movements where month = '2026-04-01'")
        con.execute("delete from marts.mart_nrr")
    dbt = str(Path(sys.executable).parent / "dbt")
    done = subprocess.run(
        [dbt, "test", "--select", "assert_reporting_months_are_complete",
         "assert_marts_have_rows_when_there_is_mrr", "--vars", f"{{as_of_date: {AS_OF}}}",
         "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
        env={**os.environ, "EXPANSION_METRICS_DB": str(database)},
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "int_reporting_months holds 5 months from 2026-01-01 to 2026-06-01" in output
    assert "fct_mrr_movements ending MRR in 2026-04-01 is 0" in output
    assert "mart_nrr is empty while" in output


def test_refused_build_leaves_the_warehouse_unchanged(base: Path):
    """as_of_date before earliest_date (2000-01-01) is refused before anything runs."""
    database = base
    before = warehouse_fingerprint(database)
    done = _cli(database, "build", "--as-of-date", "1999-12-31")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "as_of_date 1999-12-31 is before earliest_date 2000-01-01" in output
    assert "Traceback" not in output
    assert warehouse_fingerprint(database) == before
