"""The loader: good files load; each kind of bad file is refused, named, and changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import warehouse_fingerprint, write_table

from expansion_metrics.contract import TABLES
from expansion_metrics.loader import LoadError, load

CUSTOMERS = [
    {"customer_id": "C1", "customer_name": 'Smith, Jones & "Partners"', "segment": "smb",
     "industry": "retail", "region": "emea", "created_at": "2024-01-03"},
    {"customer_id": "C2", "customer_name": "Acme", "segment": "Enterprise ",
     "industry": "healthcare", "region": "north_america", "created_at": "2024-02-01"},
]  # fmt: skip
ITEMS = [
    {"subscription_item_id": "I1", "subscription_id": "S1", "customer_id": "C1",
     "product": "platform", "plan_tier": "starter", "pricing_model": "seat", "quantity": "5",
     "amount": "500", "currency": "USD", "billing_interval": "month",
     "valid_from": "2024-01-15", "valid_to": ""},
    {"subscription_item_id": "I2", "subscription_id": "S2", "customer_id": "C2",
     "product": "platform", "plan_tier": "enterprise", "pricing_model": " Seat",
     "quantity": "50", "amount": "24000", "currency": "eur", "billing_interval": "Year",
     "valid_from": "2024-02-01", "valid_to": "2025-02-01"},
]  # fmt: skip
FX = [
    {"currency": "EUR", "month": "2024-01-01", "rate_to_reporting": "1.10"},
    {"currency": "EUR", "month": "2024-02-01", "rate_to_reporting": "1.08"},
]
OPPORTUNITIES = [
    {"opportunity_id": "O1", "customer_id": "C1", "opportunity_type": "expansion",
     "expansion_type": "upsell", "stage": "Closed Won", "amount": "1200", "currency": "USD",
     "created_date": "2024-03-01", "close_date": "2024-04-01", "owner": "ana"},
]  # fmt: skip
HISTORY = [
    {"opportunity_id": "O1", "stage": "Identified", "entered_at": "2024-03-01"},
    {"opportunity_id": "O1", "stage": "closed won", "entered_at": "2024-04-01"},
]


def good_set(directory: Path) -> Path:
    write_table(directory, "customers", CUSTOMERS)
    write_table(directory, "subscription_items", ITEMS)
    write_table(directory, "fx_rates", FX)
    write_table(directory, "opportunities", OPPORTUNITIES)
    write_table(directory, "opportunity_stage_history", HISTORY)
    return directory


def test_good_files_load_and_absent_tables_are_created_empty(tmp_path: Path, warehouse: Path):
    result = load(good_set(tmp_path / "raw"), warehouse)

    assert result.loaded == {
        "customers": 2,
        "subscription_items": 2,
        "fx_rates": 2,
        "opportunities": 1,
        "opportunity_stage_history": 2,
    }
    assert sorted(result.created_empty) == sorted(
        ["expansion_targets", "product_usage", "support_tickets", "nps_responses", "invoices",
         "account_events", "customer_attribute_history"]
    )  # fmt: skip
    with duckdb.connect(str(warehouse), read_only=True) as con:
        name = con.execute("select customer_name from raw.customers where customer_id = 'C1'")
        assert name.fetchone() == ('Smith, Jones & "Partners"',)
        item = con.execute(
            "select amount, valid_from, valid_to from raw.subscription_items "
            "where subscription_item_id = 'I2'"
        ).fetchone()
        assert item is not None
        assert item[0] == 24000.0
        assert str(item[1]) == "2024-02-01" and str(item[2]) == "2025-02-01"
        for table in TABLES:  # every contract table exists with the contract's columns
            columns = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_schema = "
                    "'raw' and table_name = ? order by ordinal_position",
                    [table.name],
                ).fetchall()
            ]
            assert columns == table.column_names


def test_parquet_files_load_like_csv(tmp_path: Path, warehouse: Path):
    csv_dir = good_set(tmp_path / "csv")
    parquet_dir = tmp_path / "parquet"
    parquet_dir.mkdir()
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from read_csv('{csv_dir / 'customers.csv'}', all_varchar = true)) "
            f"to '{parquet_dir / 'customers.parquet'}' (format parquet)"
        )
    result = load(parquet_dir, warehouse)
    assert result.loaded == {"customers": 2}


def test_typed_parquet_is_validated_like_csv(tmp_path: Path, warehouse: Path):
    """A Parquet file with native types (dates, doubles) loads; a bad value is named."""
    directory = tmp_path / "typed"
    directory.mkdir()
    with duckdb.connect() as con:
        con.execute(
            "copy (select 'I1' as subscription_item_id, 'C1' as customer_id, 'platform' as product,"
            " 'seat' as pricing_model, 500.0 as amount, 'USD' as currency, 'month' as "
            "billing_interval, date '2024-01-15' as valid_from, cast(null as date) as valid_to, "
            f"-2.0 as quantity) to '{directory / 'subscription_items.parquet'}' (format parquet)"
        )
    with pytest.raises(LoadError, match=r"subscription_items\.parquet, row 1, column quantity"):
        load(directory, warehouse)


def test_a_second_load_replaces_tables_and_keeps_others(tmp_path: Path, warehouse: Path):
    load(good_set(tmp_path / "first"), warehouse)
    second = tmp_path / "second"
    write_table(second, "customers", CUSTOMERS[:1])
    result = load(second, warehouse)
    assert result.loaded == {"customers": 1}
    assert result.created_empty == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.customers").fetchone() == (1,)
        assert con.execute("select count(*) from raw.subscription_items").fetchone() == (2,)


def _with(rows: list[dict[str, str]], index: int, **changes: str) -> list[dict[str, str]]:
    copy = [dict(r) for r in rows]
    copy[index].update(changes)
    return copy


# Each case: the table to spoil, its spoiled rows, and what the message must name.
# Rows are numbered from the first data row after the header (row 1).
BAD_CASES = {
    "unparseable date": (
        "subscription_items", _with(ITEMS, 1, valid_from="2024-13-01"),
        ["subscription_items.csv", "row 2", "column valid_from", "'2024-13-01'", "not a date"],
    ),
    "date in another format": (
        "customers", _with(CUSTOMERS, 0, created_at="03/01/2024"),
        ["customers.csv", "row 1", "column created_at", "'03/01/2024'", "not a date"],
    ),
    "unparseable number": (
        "subscription_items", _with(ITEMS, 0, amount="five hundred"),
        ["subscription_items.csv", "row 1", "column amount", "'five hundred'", "not a number"],
    ),
    "unknown pricing_model": (
        "subscription_items", _with(ITEMS, 1, pricing_model="per_user"),
        ["subscription_items.csv", "row 2", "column pricing_model", "'per_user'",
         "seat, flat, usage"],
    ),
    "unknown billing_interval": (
        "subscription_items", _with(ITEMS, 0, billing_interval="weekly"),
        ["subscription_items.csv", "row 1", "column billing_interval", "'weekly'", "not one of"],
    ),
    "unknown opportunity_type": (
        "opportunities", _with(OPPORTUNITIES, 0, opportunity_type="upgrade"),
        ["opportunities.csv", "row 1", "column opportunity_type", "'upgrade'", "not one of"],
    ),
    "unknown stage": (
        "opportunity_stage_history", _with(HISTORY, 1, stage="Won"),
        ["opportunity_stage_history.csv", "row 2", "column stage", "'Won'", "not one of"],
    ),
    "parent account that is not a customer": (
        "customers", _with(CUSTOMERS, 1, parent_customer_id="C9"),
        ["customers.csv", "row 2", "column parent_customer_id", "'C9'", "not a customer_id"],
    ),
    "cycle in the account hierarchy": (
        "customers", _with(_with(CUSTOMERS, 0, parent_customer_id="C2"), 1,
                           parent_customer_id=" C1"),
        ["customers.csv", "row 1", "column parent_customer_id", "'C2'",
         "makes a cycle in the account hierarchy: C1 -> C2 -> C1"],
    ),
    "customer its own parent": (
        "customers", _with(CUSTOMERS, 0, parent_customer_id="C1"),
        ["customers.csv", "row 1", "column parent_customer_id", "'C1'", "C1 -> C1"],
    ),
    "hierarchy deeper than ten levels": (
        "customers",
        [{"customer_id": f"D{n}", "parent_customer_id": f"D{n - 1}" if n else ""}
         for n in range(12)],
        ["customers.csv", "row 12", "column parent_customer_id", "'D10'",
         "puts D11 more than 10 levels below its top account"],
    ),
    "duplicate key": (
        "customers", _with(CUSTOMERS, 1, customer_id="C1"),
        ["customers.csv", "row 2", "column customer_id", "'C1'", "duplicates the key"],
    ),
    "valid_to before valid_from": (
        "subscription_items", _with(ITEMS, 1, valid_to="2024-01-31"),
        ["subscription_items.csv", "row 2", "column valid_to", "'2024-01-31'", "before valid_from"],
    ),
    "negative quantity": (
        "subscription_items", _with(ITEMS, 0, quantity="-3"),
        ["subscription_items.csv", "row 1", "column quantity", "'-3'", "negative"],
    ),
    "unparseable trial_end": (
        "subscription_items", _with(ITEMS, 0, trial_end="next month"),
        ["subscription_items.csv", "row 1", "column trial_end", "'next month'", "not a date"],
    ),
    "canceled_at before earliest_date": (
        "subscription_items", _with(ITEMS, 1, canceled_at="1990-05-01"),
        ["subscription_items.csv", "row 2", "column canceled_at", "'1990-05-01'"],
    ),
    "unparseable list_amount": (
        "subscription_items", _with(ITEMS, 0, list_amount="1,200"),
        ["subscription_items.csv", "row 1", "column list_amount", "'1,200'", "not a number"],
    ),
    "unparseable discount_end": (
        "subscription_items", _with(ITEMS, 1, discount_end="2024-02-30"),
        ["subscription_items.csv", "row 2", "column discount_end", "'2024-02-30'", "not a date"],
    ),
    "unparseable paid_at": (
        "invoices", [{"invoice_id": "V1", "customer_id": "C1", "due_date": "2024-02-01",
                      "amount": "500", "currency": "USD", "status": "paid", "paid_at": "paid"}],
        ["invoices.csv", "row 1", "column paid_at", "'paid'", "not a date"],
    ),
    "empty required value": (
        "subscription_items", _with(ITEMS, 0, customer_id=" "),
        ["subscription_items.csv", "row 1", "column customer_id", "required"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_file_is_refused_with_a_clear_message_and_nothing_changes(
    case: str, tmp_path: Path, warehouse: Path
):
    load(good_set(tmp_path / "good"), warehouse)
    before = warehouse_fingerprint(warehouse)

    table, rows, expected = BAD_CASES[case]
    bad = good_set(tmp_path / "bad")
    write_table(bad, table, rows)
    with pytest.raises(LoadError) as refused:
        load(bad, warehouse)

    message = str(refused.value)
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert warehouse_fingerprint(warehouse) == before


def test_missing_required_column_is_refused(tmp_path: Path, warehouse: Path):
    load(good_set(tmp_path / "good"), warehouse)
    before = warehouse_fingerprint(warehouse)
    bad = good_set(tmp_path / "bad")
    columns = [c for c in ITEMS[0] if c != "valid_from"]
    write_table(bad, "subscription_items", ITEMS, columns=columns)

    with pytest.raises(
        LoadError, match=r"subscription_items\.csv, header: missing required .*valid_from"
    ):
        load(bad, warehouse)
    assert warehouse_fingerprint(warehouse) == before


def test_a_bad_file_among_good_ones_writes_none_of_them(tmp_path: Path, warehouse: Path):
    """One transaction: the good files of a refused load are not written either."""
    bad = good_set(tmp_path / "bad")
    write_table(bad, "fx_rates", _with(FX, 0, rate_to_reporting="0"))
    with pytest.raises(LoadError, match=r"fx_rates\.csv, row 1, column rate_to_reporting: '0'"):
        load(bad, warehouse)
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute(
                "select count(*) from information_schema.tables where table_schema = 'raw'"
            ).fetchone() == (0,)


def test_extra_columns_and_header_case_are_accepted(tmp_path: Path, warehouse: Path):
    directory = tmp_path / "raw"
    rows = [dict(r, notes="ignored") for r in CUSTOMERS]
    columns = [
        "Customer_ID",
        "customer_name",
        "SEGMENT",
        "industry",
        "region",
        "created_at",
        "notes",
    ]
    for row in rows:
        row["Customer_ID"] = row.pop("customer_id")
        row["SEGMENT"] = row.pop("segment")
    write_table(directory, "customers", rows, columns=columns)
    assert load(directory, warehouse).loaded == {"customers": 2}


def test_cli_reports_a_bad_file_without_a_traceback(tmp_path: Path, warehouse: Path):
    bad = good_set(tmp_path / "bad")
    write_table(bad, "subscription_items", _with(ITEMS, 0, valid_from="yesterday"))
    done = subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", "load", str(bad)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "subscription_items.csv, row 1, column valid_from: 'yesterday'" in done.stderr
    assert not warehouse.exists() or warehouse_fingerprint(warehouse) != "absent"


def test_cli_loads_good_files(tmp_path: Path, warehouse: Path):
    done = subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", "load", str(good_set(tmp_path / "raw"))],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "loaded raw.subscription_items: 2 rows" in done.stdout
    assert str(warehouse) in done.stdout
