"""Incremental refresh of the MRR chain equals a full build, back-dated changes included.

One warehouse is built incrementally through four loads of the demo data; after each, its
marts must equal those of a fresh full build of the same raw data, and the month the
incremental run recomputed from must be the one the definitions give (computed here from
the raw files, not read from the project):

1. September: the demo without October's items and fx rates, as of 2026-09-30 (first build:
   every month).
2. October arrives (its items, not yet its fx rates) together with an add-on item
   back-dated to 2025-06-12: recompute from June 2025, not from the start.
3. October's fx rates arrive: every non-USD item's constant-currency MRR moves, so the
   run recomputes from the first month of a non-USD item.
4. An existing customer moves segment: every month.
"""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

DEMO = Path(__file__).resolve().parents[1] / "seeds" / "demo"
CHAIN = [
    "intermediate.int_customer_product_months",
    "intermediate.int_customer_months",
]


def read(table: str, folder: Path = DEMO) -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write(folder: Path, table: str, rows: list[dict[str, str]]) -> None:
    with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def raw_folder(root: Path, name: str, items: list[dict[str, str]],
               fx_rates: list[dict[str, str]],
               customers: list[dict[str, str]] | None = None) -> Path:  # fmt: skip
    folder = root / name
    shutil.copytree(DEMO, folder)
    write(folder, "subscription_items", items)
    write(folder, "fx_rates", fx_rates)
    if customers is not None:
        write(folder, "customers", customers)
    return folder


def cli(database: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", *args],
        env={**os.environ, "EXPANSION_METRICS_DB": str(database)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


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
            for table in marts + CHAIN
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


def window(database: Path) -> tuple[date, str]:
    with duckdb.connect(str(database), read_only=True) as con:
        row = con.execute("select * from intermediate.int_mrr_refresh_window").fetchone()
    assert row is not None
    return row[0], row[1]


def month_of(day: str) -> date:
    return date.fromisoformat(day).replace(day=1)


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path, str, date]]:
    """(name, raw folder, as_of_date, expected first recomputed month) per load."""
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
    first_non_usd = min(
        month_of(i["valid_from"])
        for i in october_items
        if i["currency"] != "USD" and i["customer_id"] in known
    )
    moved = [dict(c) for c in customers]
    moved[0]["segment"] = "enterprise" if moved[0]["segment"] != "enterprise" else "smb"
    return [
        ("september", raw_folder(root, "september", september_items, september_rates),
         "2026-09-30", date(1900, 1, 1)),
        ("october", raw_folder(root, "october", october_items, september_rates),
         "2026-10-31", date(2025, 6, 1)),
        ("october fx", raw_folder(root, "october_fx", october_items, fx_rates),
         "2026-10-31", first_non_usd),
        ("segment", raw_folder(root, "segment", october_items, fx_rates, moved),
         "2026-10-31", date(1900, 1, 1)),
    ]  # fmt: skip


def test_incremental_refresh_equals_full_build(steps, tmp_path: Path):
    incremental = tmp_path / "incremental.duckdb"
    recomputed_from = []
    for name, raw, as_of_date, expected_window in steps:
        cli(incremental, "load", str(raw))
        cli(incremental, "build", "--as-of-date", as_of_date)
        full = tmp_path / f"full_{name.replace(' ', '_')}.duckdb"
        cli(full, "load", str(raw))
        cli(full, "build", "--as-of-date", as_of_date)

        first_month, reason = window(incremental)
        recomputed_from.append((name, first_month, reason))
        assert first_month == expected_window, (name, first_month, reason)

        got, want = contents(incremental), contents(full)
        assert set(got) == set(want)
        for table in want:
            assert len(got[table]) == len(want[table]), f"{name}: {table} row count"
            for got_row, want_row in zip(got[table], want[table], strict=True):
                assert same_row(got_row, want_row), f"{name}: {table}: {got_row} != {want_row}"
    # The partial path was taken where it should be: only the back-dated month onwards.
    assert recomputed_from[1][2] == "subscription items changed"
    assert recomputed_from[3][2] == "customer attributes changed: every month"
