"""The loader records what each load changed in raw._load_log (issue 15).

The incremental refresh windows read these rows instead of diffing copies of every
input: rows added, rows removed (an edit is one of each) and the earliest date among
them on the table's own date. Expected values are worked out here from the CSV rows.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from expansion_metrics.loader import LoadError, load

DEMO = Path(__file__).resolve().parents[1] / "seeds" / "demo"


def rows(folder: Path, table: str) -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write(folder: Path, table: str, table_rows: list[dict[str, str]]) -> None:
    with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table_rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(table_rows)


def last_load(database: Path) -> dict[str, tuple[int, int, int, date | None]]:
    """table -> (loaded rows, added, removed, first changed date) of the latest load."""
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            "select table_name, loaded_rows, added_rows, removed_rows, first_changed_date "
            "from raw._load_log where loaded_at = (select max(loaded_at) from raw._load_log)"
        ).fetchall()
    return {name: (loaded, added, removed, first) for name, loaded, added, removed, first in found}


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    database = tmp_path / "warehouse.duckdb"
    load(DEMO, database)
    return database


def test_a_first_load_counts_every_row_as_added(warehouse: Path):
    logged = last_load(warehouse)
    items = rows(DEMO, "subscription_items")
    earliest = min(
        min(i["valid_from"], i["valid_to"] or i["valid_from"]) for i in items
    )  # the earlier of valid_from and valid_to, over every item
    assert logged["subscription_items"] == (len(items), len(items), 0, date.fromisoformat(earliest))
    tickets = rows(DEMO, "support_tickets")
    assert logged["support_tickets"][1:] == (
        len(tickets), 0, date.fromisoformat(min(t["created_at"] for t in tickets))
    )  # fmt: skip


def test_a_reload_logs_only_what_changed(warehouse: Path, tmp_path: Path):
    folder = tmp_path / "second"
    shutil.copytree(DEMO, folder)
    items = rows(DEMO, "subscription_items")
    # One item edited: its valid_to moves; old row and new row both change from the
    # earlier of their dates.
    edited = next(i for i in items if i["valid_to"] and i["valid_from"] > "2025-06-01")
    changed = [dict(i) for i in items]
    index = items.index(edited)
    changed[index]["valid_to"] = "2026-09-15"
    expected_item_date = min(edited["valid_from"], edited["valid_to"], "2026-09-15")
    # A new customer and an item of it starting 2024-03-07 (counted from that month on).
    customers = rows(DEMO, "customers")
    new_customer = {**customers[0], "customer_id": "CNEW0001", "customer_name": "New Co"}
    new_item = {**items[0], "subscription_item_id": "SINEW-1", "customer_id": "CNEW0001",
                "valid_from": "2024-03-07", "valid_to": ""}  # fmt: skip
    write(folder, "customers", [*customers, new_customer])
    write(folder, "subscription_items", [*changed, new_item])
    # One back-dated support ticket.
    tickets = rows(DEMO, "support_tickets")
    late = {**tickets[0], "ticket_id": "LATE-1", "created_at": "2025-02-10"}
    write(folder, "support_tickets", [*tickets, late])

    load(folder, warehouse)
    logged = last_load(warehouse)
    assert logged["subscription_items"][1:] == (
        2,
        1,
        date.fromisoformat(min(expected_item_date, "2024-03-07")),
    )  # edit (1 added + 1 removed) and the new item
    # The new customer's change date is its item's: it can make that item count.
    assert logged["customers"][1:] == (1, 0, date(2024, 3, 7))
    assert logged["support_tickets"][1:] == (1, 0, date(2025, 2, 10))
    assert logged["fx_rates"][1:] == (0, 0, None)
    assert logged["product_usage"][1:] == (0, 0, None)


def test_an_edited_customer_is_a_removed_row_without_a_date(warehouse: Path, tmp_path: Path):
    folder = tmp_path / "moved"
    shutil.copytree(DEMO, folder)
    customers = rows(DEMO, "customers")
    customers[3] = {
        **customers[3],
        "segment": "enterprise" if customers[3]["segment"] != "enterprise" else "smb",
    }
    write(folder, "customers", customers)
    load(folder, warehouse)
    assert last_load(warehouse)["customers"][1:] == (1, 1, None)


def test_a_refused_load_logs_nothing(warehouse: Path, tmp_path: Path):
    folder = tmp_path / "bad"
    shutil.copytree(DEMO, folder)
    items = rows(DEMO, "subscription_items")
    items[0] = {**items[0], "valid_from": "not a date"}
    write(folder, "subscription_items", items)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = con.execute("select count(*) from raw._load_log").fetchone()
    with pytest.raises(LoadError):
        load(folder, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw._load_log").fetchone() == before
