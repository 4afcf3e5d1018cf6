"""Incremental refresh equals a full build, back-dated changes included.

One warehouse is built incrementally through five loads of the demo data; after each, its
marts (and the incremental intermediate tables) must equal those of a fresh full build of
the same raw data, and the months the MRR and health chains recomputed from must be the
ones the definitions give (computed here from the raw files, not read from the project):

1. September: the demo without October's items and fx rates, as of 2026-09-30 (first
   build: every month, both chains; it is the full build of that data, so it is not
   compared with a second one).
2. October arrives (its items, not yet its fx rates) together with an add-on item
   back-dated to 2025-06-12: both chains recompute from June 2025, not from the start.
3. October's fx rates arrive: every non-USD item's constant-currency MRR moves, so both
   chains recompute from the first month a non-USD item counts in.
4. An existing customer moves segment: the MRR chain recomputes every month (segment is
   on every fct_mrr_movements row); the health chain nothing.
5. A support ticket back-dated to 2026-03-10: the health chain recomputes from March
   2026; the MRR chain nothing (its window starts after the last month).
"""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import WITHOUT_UNIT_TESTS, build_warehouse

DEMO = Path(__file__).resolve().parents[1] / "seeds" / "demo"
INCREMENTAL = [
    "intermediate.int_customer_product_months",
    "intermediate.int_customer_months",
    "intermediate.int_customer_health_signals",
    "intermediate.int_customer_health_scores",
]
NOTHING = date(9999, 12, 1)


def read(table: str, folder: Path = DEMO) -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write(folder: Path, table: str, rows: list[dict[str, str]]) -> None:
    with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def raw_folder(root: Path, name: str, **tables: list[dict[str, str]]) -> Path:
    """The demo data with the given tables replaced."""
    folder = root / name
    shutil.copytree(DEMO, folder)
    for table, rows in tables.items():
        write(folder, table, rows)
    return folder


def contents(database: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every marts table and the chain's intermediate tables, rows sorted."""
    with duckdb.connect(str(database), read_only=True) as con:
        marts = [
            f"marts.{name}"
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {
            table: con.execute(f"select * from {table} order by all").fetchall()
            for table in marts + INCREMENTAL
        }


def same_row(got: tuple[object, ...], want: tuple[object, ...]) -> bool:
    """Equal cell by cell; doubles (rates, scores) to 1e-12 relative: DuckDB sums doubles
    in parallel, so even two full builds can differ in the last bits. Decimals exactly."""
    return len(got) == len(want) and all(
        math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)
        if isinstance(a, float) and isinstance(b, float)
        else a == b
        for a, b in zip(got, want, strict=True)
    )


def windows(database: Path) -> tuple[date, date, str]:
    """(MRR chain's first recomputed month, health chain's, MRR window reason)."""
    with duckdb.connect(str(database), read_only=True) as con:
        mrr = con.execute("select * from intermediate.int_mrr_refresh_window").fetchone()
        health = con.execute("select * from intermediate.int_health_refresh_window").fetchone()
    assert mrr is not None and health is not None
    return mrr[0], health[0], mrr[1]


def month_of(day: str) -> date:
    return date.fromisoformat(day).replace(day=1)


def first_counted_month(item: dict[str, str]) -> date | None:
    """The first month an item is active on the last day of (None: never)."""
    first = month_of(item["valid_from"])
    last_day = (first.replace(year=first.year + 1, month=1) if first.month == 12
                else first.replace(month=first.month + 1)) - timedelta(days=1)  # fmt: skip
    ends = item["valid_to"]
    return first if not ends or date.fromisoformat(ends) > last_day else None


@pytest.fixture(scope="module")
def steps(
    tmp_path_factory: pytest.TempPathFactory,
) -> list[tuple[str, Path, str, date, date]]:
    """(name, raw folder, as_of_date, first month the MRR / health chain recomputes)."""
    root = tmp_path_factory.mktemp("incremental")
    items, fx_rates, customers = read("subscription_items"), read("fx_rates"), read("customers")
    known = {c["customer_id"] for c in customers}
    september_items = [i for i in items if i["valid_from"] < "2026-10-01"]
    september_rates = [r for r in fx_rates if r["month"] < "2026-10-01"]
    assert len(september_items) < len(items), "the demo has items starting in October"
    assert len(september_rates) < len(fx_rates), "the demo has October fx rates"

    customer = next(i["customer_id"] for i in items if i["currency"] == "USD")
    backdated = {
        **items[0], "subscription_item_id": "LATE-ADDON-1", "customer_id": customer,
        "product": "platform", "plan_tier": "starter", "pricing_model": "seat",
        "quantity": "3", "amount": "90.00", "currency": "USD", "billing_interval": "month",
        "valid_from": "2025-06-12", "valid_to": "2026-02-01",
    }  # fmt: skip
    october_items = [*items, backdated]
    # Step 3 moves the constant rate of every non-USD currency: every non-USD item's MRR
    # changes, so the MRR chain recomputes from the month of the earliest such item's
    # valid_from, and customer MRR (hence the health evaluations) from the first month a
    # non-USD item counts in (the first month-end it is active on).
    non_usd = [i for i in october_items if i["currency"] != "USD" and i["customer_id"] in known]
    mrr_fx_from = min(month_of(i["valid_from"]) for i in non_usd)
    health_fx_from = min(m for i in non_usd if (m := first_counted_month(i)) is not None)
    moved = [dict(c) for c in customers]
    moved[0]["segment"] = "enterprise" if moved[0]["segment"] != "enterprise" else "smb"
    tickets = read("support_tickets")
    late_ticket = {
        **tickets[0], "ticket_id": "LATE-TICKET-1", "customer_id": customer,
        "created_at": "2026-03-10", "priority": "urgent", "status": "open",
    }  # fmt: skip
    return [
        ("september", raw_folder(root, "september", subscription_items=september_items,
                                 fx_rates=september_rates),
         "2026-09-30", date(1900, 1, 1), date(1900, 1, 1)),
        ("october", raw_folder(root, "october", subscription_items=october_items,
                               fx_rates=september_rates),
         "2026-10-31", date(2025, 6, 1), date(2025, 6, 1)),
        ("october fx", raw_folder(root, "october_fx", subscription_items=october_items),
         "2026-10-31", mrr_fx_from, health_fx_from),
        ("segment", raw_folder(root, "segment", subscription_items=october_items,
                               customers=moved),
         "2026-10-31", date(1900, 1, 1), NOTHING),
        ("late ticket", raw_folder(root, "late_ticket", subscription_items=october_items,
                                   customers=moved, support_tickets=[*tickets, late_ticket]),
         "2026-10-31", date(2026, 11, 1), date(2026, 3, 1)),
    ]  # fmt: skip


def test_incremental_refresh_equals_full_build(steps, tmp_path: Path):
    incremental = tmp_path / "incremental.duckdb"
    recomputed_from = []
    for step, (name, raw, as_of_date, mrr_from, health_from) in enumerate(steps):
        build_warehouse(raw, incremental, as_of_date)
        got_windows = windows(incremental)
        recomputed_from.append(got_windows)
        assert got_windows[:2] == (mrr_from, health_from), (name, got_windows)
        if step == 0:
            # The first build of a new warehouse is itself the full build of its raw data
            # (both chains from 1900-01-01, asserted above): nothing to compare it with.
            continue
        full = build_warehouse(raw, tmp_path / f"full_{name.replace(' ', '_')}.duckdb", as_of_date)

        got, want = contents(incremental), contents(full)
        assert set(got) == set(want)
        for table in want:
            assert len(got[table]) == len(want[table]), f"{name}: {table} row count"
            for got_row, want_row in zip(got[table], want[table], strict=True):
                assert same_row(got_row, want_row), f"{name}: {table}: {got_row} != {want_row}"
    assert recomputed_from[1][2] == "subscription items changed"
    assert recomputed_from[3][2] == "customer attributes changed: every month"
    assert recomputed_from[4][2] == "new months only"


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
    incremental = build_warehouse(DEMO, tmp_path / "incremental.duckdb", "2026-10-31")

    def refreshes() -> int:
        with duckdb.connect(str(incremental), read_only=True) as con:
            found = con.execute("select count(*) from intermediate.int_completed_refreshes")
            return found.fetchone()[0]  # type: ignore[index]

    assert refreshes() == 1
    env = {**os.environ, **WITHOUT_UNIT_TESTS, "EXPANSION_METRICS_DB": str(incremental)}
    run(["load", str(with_late_ticket)], env)
    # A run selecting the record and a window but not the chain models records nothing.
    run(["build", "--as-of-date", "2026-10-31",
         "--select", "int_health_refresh_window int_completed_refreshes"], env)  # fmt: skip
    assert refreshes() == 1, "a run that rebuilt no chain model recorded a refresh"
    # So the next full run still recomputes the health history from the ticket's month.
    build_warehouse(with_late_ticket, incremental, "2026-10-31")
    assert refreshes() == 2
    assert windows(incremental)[1] == date(2026, 2, 1), "the skipped load was not recomputed"
    full = build_warehouse(with_late_ticket, tmp_path / "full.duckdb", "2026-10-31")
    assert_same(contents(incremental), contents(full), "after a partial run")

    # as_of_date moves back a month: every month recomputed, October's rows deleted.
    build_warehouse(with_late_ticket, incremental, "2026-09-30")
    assert windows(incremental)[2] == "as_of_date moved back: every month"
    full_september = build_warehouse(with_late_ticket, tmp_path / "full_sep.duckdb",
                                     "2026-09-30")  # fmt: skip
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
    done = subprocess.run([sys.executable, "-m", "expansion_metrics.cli", *command],
                          env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"


def assert_same(
    got: dict[str, list[tuple[object, ...]]], want: dict[str, list[tuple[object, ...]]], name: str
) -> None:
    assert set(got) == set(want)
    for table in want:
        assert len(got[table]) == len(want[table]), f"{name}: {table} row count"
        for got_row, want_row in zip(got[table], want[table], strict=True):
            assert same_row(got_row, want_row), f"{name}: {table}: {got_row} != {want_row}"
