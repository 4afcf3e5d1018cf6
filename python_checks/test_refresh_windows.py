"""Incremental refresh around the completed-refresh record and a moved as_of_date.

Beside test_incremental.py (five loads): a run that did not rebuild every chain model
records no refresh, so the loads it skipped are recomputed by the next one; as_of_date
moved back deletes the later months; moved forward recomputes the last month's health
and, under fx_rate_policy latest, the items the new rates restate. Each step's marts
must equal a fresh full build of the same raw data.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import duckdb
from conftest import build_env, build_warehouse, cli
from test_incremental import (
    DEMO,
    contents,
    first_counted_month,
    month_of,
    raw_folder,
    read,
    same_row,
    windows,
)


def test_a_run_that_leaves_out_a_chain_model_records_no_refresh(tmp_path: Path):
    """The completed-refresh record is what the windows count loads from: a run that did
    not rebuild every chain model must not write it, or the loads it skipped would never
    be recomputed. And as_of_date moved back deletes the months after it (the
    recompute_window strategy), moved forward recomputes the last month's health, so the
    result still equals a full build."""
    tickets = read("support_tickets")
    customer = tickets[0]["customer_id"]
    late = {**tickets[0], "ticket_id": "LATE-TICKET-2", "customer_id": customer,
            "created_at": "2026-02-14", "priority": "urgent", "status": "open"}  # fmt: skip
    with_late_ticket = raw_folder(tmp_path, "late", support_tickets=[*tickets, late])
    # The first build is a full build of the demo (tested by `make test`'s own): models only.
    incremental = build_warehouse(DEMO, tmp_path / "incremental.duckdb", "2026-10-31",
                                  data_tests=False)  # fmt: skip

    def refreshes() -> int:
        with duckdb.connect(str(incremental), read_only=True) as con:
            found = con.execute("select count(*) from intermediate.int_completed_refreshes")
            return found.fetchone()[0]  # type: ignore[index]

    assert refreshes() == 1
    env = build_env(incremental)
    run(["load", str(with_late_ticket)], env)
    # A run selecting the record and a window but not the chain models records nothing.
    run(["build", "--as-of-date", "2026-10-31",
         "--select", "int_health_refresh_window int_completed_refreshes"], env)  # fmt: skip
    assert refreshes() == 1, "a run that rebuilt no chain model recorded a refresh"
    # So the next full run still recomputes the health history from the ticket's month.
    build_warehouse(with_late_ticket, incremental, "2026-10-31")
    assert refreshes() == 2
    assert windows(incremental)[1] == date(2026, 2, 1), "the skipped load was not recomputed"
    full = build_warehouse(with_late_ticket, tmp_path / "full.duckdb", "2026-10-31",
                           data_tests=False)  # fmt: skip
    assert_same(contents(incremental), contents(full), "after a partial run")

    # as_of_date moves back a month: every month recomputed, October's rows deleted.
    build_warehouse(with_late_ticket, incremental, "2026-09-30")
    assert windows(incremental)[2] == "as_of_date moved back: every month"
    full_september = build_warehouse(with_late_ticket, tmp_path / "full_sep.duckdb",
                                     "2026-09-30", data_tests=False)  # fmt: skip
    assert_same(contents(incremental), contents(full_september), "as_of_date moved back")

    # And forward again: September's evaluations lose is_current (the one on as_of_date),
    # so health recomputes from September at the latest; and under fx_rate_policy latest
    # the new as_of_date takes October's fx rates, restating every non-USD item.
    build_warehouse(with_late_ticket, incremental, "2026-10-31")
    known = {c["customer_id"] for c in read("customers")}
    non_usd = [i for i in read("subscription_items")
               if i["currency"] != "USD" and i["customer_id"] in known]  # fmt: skip
    mrr_from = min(month_of(i["valid_from"]) for i in non_usd)
    health_from = min(m for i in non_usd if (m := first_counted_month(i)) is not None)
    assert windows(incremental) == (mrr_from, min(health_from, date(2026, 9, 1)),
                                    "fx rates changed")  # fmt: skip
    assert_same(contents(incremental), contents(full), "as_of_date moved forward")


def run(command: list[str], env: dict[str, str]) -> None:
    done = cli(env, *command)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"


def assert_same(
    got: dict[str, list[tuple[object, ...]]], want: dict[str, list[tuple[object, ...]]], name: str
) -> None:
    assert set(got) == set(want)
    for table in want:
        assert len(got[table]) == len(want[table]), f"{name}: {table} row count"
        for got_row, want_row in zip(got[table], want[table], strict=True):
            assert same_row(got_row, want_row), f"{name}: {table}: {got_row} != {want_row}"


def test_a_row_dated_after_the_last_month_reaches_the_as_of_evaluation(tmp_path: Path):
    """As of 2026-10-17 the last complete month is September, whose evaluations include
    one on 2026-10-17 (the current health row). A ticket dated 2026-10-05 changes that
    evaluation, so the health window starts at September, not October."""
    tickets = read("support_tickets")
    ticket = {**tickets[0], "ticket_id": "OCT-TICKET-1", "created_at": "2026-10-05",
              "priority": "urgent", "status": "open"}  # fmt: skip
    raw = raw_folder(tmp_path, "october_ticket", support_tickets=[*tickets, ticket])
    incremental = build_warehouse(DEMO, tmp_path / "incremental.duckdb", "2026-10-17",
                                  data_tests=False)  # fmt: skip
    build_warehouse(raw, incremental, "2026-10-17")
    assert windows(incremental)[1] == date(2026, 9, 1)
    full = build_warehouse(raw, tmp_path / "full.duckdb", "2026-10-17", data_tests=False)
    assert_same(contents(incremental), contents(full), "ticket after the last month's end")
    check_tests_cover_the_recomputed_months_and_the_identity_every_month(incremental)


def check_tests_cover_the_recomputed_months_and_the_identity_every_month(warehouse: Path) -> None:
    """In a `dbt build`, generic tests of a chain model check only the months it
    recomputed (get_where_subquery in macros/incremental_months.sql); `dbt test` on its
    own and the singular bridge-identity test check every month. A flat row of January
    2025 given the movement type 'sideways' by hand breaks the accepted values of
    fct_mrr_movements.movement_type: a build with nothing new to load (window: October,
    after the last month) does not look at January and passes, `dbt test` fails on it.
    Then that row's ending MRR raised by 1 breaks the identity (starting + movements =
    ending), which the next build must catch. And a null in a composite key (a
    mart_expansion row with no dimension_value) fails that mart's key test, which checks
    uniqueness and non-null key columns in one query (macros/tests/primary_key.sql)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("""
            update marts.fct_mrr_movements set movement_type = 'sideways'
            where month = date '2025-01-01' and customer_id = (
                select min(customer_id) from marts.fct_mrr_movements
                where month = date '2025-01-01' and movement_type = 'flat')""")
    env = build_env(warehouse)
    run(["build", "--as-of-date", "2026-10-17"], env)
    assert windows(warehouse)[0] == date(2026, 10, 1)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("""
            update marts.mart_expansion set dimension_value = null
            where (month, dimension, dimension_value) = (
                select (month, dimension, dimension_value) from marts.mart_expansion
                where dimension = 'segment' order by all limit 1)""")
    project = Path(__file__).resolve().parents[1]
    alone = cli(
        env, "test", "--select", "fct_mrr_movements mart_expansion", "--project-dir", str(project),
        "--profiles-dir", str(project), "--vars", "{as_of_date: 2026-10-17}",
        program=[str(Path(sys.executable).with_name("dbt"))],
    )  # fmt: skip
    assert alone.returncode == 1, alone.stdout
    failed = [line for line in alone.stdout.splitlines() if "FAIL 1 " in line]
    assert len(failed) == 2, alone.stdout
    for name in ("accepted_values_fct_mrr_movements", "primary_key_mart_expansion"):
        assert any(name in line for line in failed), (name, alone.stdout)
    with duckdb.connect(str(warehouse)) as con:
        broken = con.execute("""
            update marts.fct_mrr_movements set ending_mrr = ending_mrr + 1
            where month = date '2025-01-01' and movement_type = 'sideways'
            returning customer_id, starting_mrr, ending_mrr""").fetchall()
    done = cli(env, "build", "--as-of-date", "2026-10-17")
    assert done.returncode != 0
    assert "FAILED test assert_mrr_bridge_identity" in done.stderr, done.stderr
    # The failed test is reported with its failing row (the test selects month,
    # customer_id, starting_mrr and ending_mrr).
    [(customer, starting, ending)] = broken
    row = (f"  month=2025-01-01, customer_id={customer}, starting_mrr={starting}, "
           f"ending_mrr={ending}")  # fmt: skip
    assert row in done.stderr.splitlines(), done.stderr
    # ... and recorded for the refresh in the target folder's failures.json.
    target = warehouse.with_name(warehouse.name + ".dbt_target")
    recorded = json.loads((target / "failures.json").read_text())
    [identity] = [f for f in recorded if f["name"] == "assert_mrr_bridge_identity"]
    assert identity["resource_type"] == "test" and identity["failing_rows"] == [row.strip()]
