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

Every build runs under non-default billing policies (POLICY_VARS: each month at its own
fx rates, a return after more than 2 months at 0 counted as new, churn at cancellation,
MRR as billed); the default policies' refreshes are compared with full builds in
test_refresh_windows.py. Under historical rates October's rates move only October's
MRR, but a rate change recomputes from the same month as under the constant-rate
policies (the window does not tell the policies apart).
"""

from __future__ import annotations

import csv
import math
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import build_warehouse

DEMO = Path(__file__).resolve().parents[1] / "seeds" / "demo"
INCREMENTAL = [
    "intermediate.int_customer_product_months",
    "intermediate.int_customer_product_changes",
    "intermediate.int_customer_months",
    "intermediate.int_customer_health_signals",
    "intermediate.int_customer_health_scores",
]
NOTHING = date(9999, 12, 1)
POLICY_VARS = {
    "fx_rate_policy": "historical",
    "reactivation_window_months": 2,
    "churn_recognition": "cancellation",
    "discounts_in_mrr": "all",
}


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
        # The first build is the full build of its data: models only (data tests run in
        # every incremental build after it, on the months it recomputed).
        build_warehouse(raw, incremental, as_of_date, data_tests=step > 0, variables=POLICY_VARS)
        got_windows = windows(incremental)
        recomputed_from.append(got_windows)
        assert got_windows[:2] == (mrr_from, health_from), (name, got_windows)
        if step == 0:
            # The first build of a new warehouse is itself the full build of its raw data
            # (both chains from 1900-01-01, asserted above): nothing to compare it with.
            continue
        # A new warehouse at the same path each step: a full build, whose dbt parse the
        # next step's reuses (dbt parses again when the warehouse path changes).
        full = tmp_path / "full.duckdb"
        full.unlink(missing_ok=True)
        build_warehouse(raw, full, as_of_date, data_tests=False, variables=POLICY_VARS)

        got, want = contents(incremental), contents(full)
        assert set(got) == set(want)
        for table in want:
            assert len(got[table]) == len(want[table]), f"{name}: {table} row count"
            for got_row, want_row in zip(got[table], want[table], strict=True):
                assert same_row(got_row, want_row), f"{name}: {table}: {got_row} != {want_row}"
    assert recomputed_from[1][2] == "subscription items changed"
    assert recomputed_from[3][2] == "customer attributes changed: every month"
    assert recomputed_from[4][2] == "new months only"
