"""`expansion-metrics load --source stripe|salesforce|hubspot`: connector tables load typed
into their schema; bad folders and values are refused with file, row, column and value,
and a refused load leaves the warehouse exactly as it was. Also the contract's
interval_count: a file or an older table without the column gets it, empty."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from conftest import warehouse_fingerprint, write_table

from expansion_metrics.connectors import CONNECTORS


def write(folder: Path, table: str, rows: list[dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


SUBSCRIPTION = {
    "id": "sub_1", "customer_id": "cus_1", "status": "active", "_fivetran_active": "true",
    "created": "2025-01-01 10:00:00", "start_date": "2025-01-01T10:00:00Z", "trial_start": "",
    "trial_end": "", "cancel_at_period_end": "false", "canceled_at": "", "ended_at": "",
    "current_period_start": "2025-03-01", "current_period_end": "2025-04-01",
}  # fmt: skip
STRIPE = {
    # no is_deleted (an optional column) and an extra column the loader ignores
    "customer": [{"id": "cus_1", "name": "Acme", "created": "2025-01-01T23:30:00+02:00",
                  "metadata": '{"segment": "smb"}', "email": "a@example.com"}],
    "subscription_history": [SUBSCRIPTION],
    "price": [{"id": "price_1", "product_id": "prod_1", "currency": "jpy", "nickname": "Pro",
               "metadata": "{}", "billing_scheme": "per_unit", "recurring_interval": "week",
               "recurring_interval_count": "2", "recurring_usage_type": "licensed",
               "unit_amount": "1200"}],
    "product": [{"id": "prod_1", "name": "Platform", "metadata": "{}"}],
    "invoice": [{"id": "in_1", "customer_id": "cus_1", "subscription_id": "sub_1",
                 "status": "paid", "created": "2025-01-01", "due_date": "",
                 "amount_due": "1200", "currency": "jpy", "attempt_count": "1"}],
    "invoice_line_item": [{"id": "il_1", "invoice_id": "in_1", "subscription_id": "sub_1",
                           "subscription_item_id": "si_1", "price_id": "price_1",
                           "type": "subscription", "proration": "False",
                           "period_start": "2025-01-01 10:00:00",
                           "period_end": "2025-01-15 10:00:00", "quantity": "3",
                           "amount": "3600", "currency": "jpy"}],
}  # fmt: skip
COUPON = [{"id": "FOREVER10", "duration": "forever", "duration_in_months": "",
           "percent_off": "10.5", "amount_off": "", "currency": ""}]  # fmt: skip
DISCOUNT = [{"id": "di_1", "coupon_id": "FOREVER10", "subscription_id": "sub_1",
             "customer_id": "cus_1", "start": "2025-01-01", "end": ""}]  # fmt: skip


def stripe_folder(root: Path, **changes: list[dict[str, str]] | None) -> Path:
    """The good Stripe folder, with tables replaced (or left out when None)."""
    folder = root / "stripe"
    for table, rows in {**STRIPE, **changes}.items():
        if rows is not None:
            write(folder, table, rows)
    return folder


def run_load(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", "load", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_a_stripe_folder_loads_typed_into_schema_stripe(tmp_path: Path, warehouse: Path):
    folder = stripe_folder(tmp_path, coupon=COUPON, subscription_discount=DISCOUNT)
    done = run_load("--source", "stripe", str(folder))
    assert done.returncode == 0, done.stderr
    assert "loaded stripe.invoice_line_item: 1 rows" in done.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables order by 2"
        ).fetchall()
        assert tables == [
            ("stripe", t) for t in sorted([*STRIPE, "coupon", "subscription_discount"])
        ]
        line = con.execute(
            "select proration, period_start, quantity, amount from stripe.invoice_line_item"
        ).fetchone()
        # 'False' is false; timestamps keep their time; integers are bigint
        assert line == (False, datetime(2025, 1, 1, 10, 0), 3, 3600)
        customer = con.execute("select * from stripe.customer").fetchall()
        # the listed columns only (email ignored); is_deleted absent from the file: empty;
        # 23:30 at +02:00 is 21:30 UTC
        assert customer == [
            ("cus_1", "Acme", datetime(2025, 1, 1, 21, 30), '{"segment": "smb"}', None)
        ]
        (percent,) = con.execute("select percent_off from stripe.coupon").fetchone()
        assert percent == 10.5
        (count,) = con.execute("select recurring_interval_count from stripe.price").fetchone()
        assert count == 2


def test_a_load_without_an_optional_table_drops_the_earlier_one(tmp_path: Path, warehouse: Path):
    """The connector's schema mirrors the folder: coupons of an earlier load would else
    keep discounting after the user's export stopped holding them."""
    first = stripe_folder(tmp_path / "a", coupon=COUPON, subscription_discount=DISCOUNT)
    assert run_load("--source", "stripe", str(first)).returncode == 0
    done = run_load("--source", "stripe", str(stripe_folder(tmp_path / "b")))
    assert done.returncode == 0, done.stderr
    assert "dropped stripe.coupon" in done.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
    assert names == set(STRIPE)


REFUSALS = {
    "required table missing": (
        {"invoice": None},
        "invoice.csv (or .parquet) is missing; the stripe adapters need it",
    ),
    "neither alternative": (
        {"subscription_history": None},
        "subscription_history.csv (or .parquet) or subscription.csv (or .parquet) is missing; "
        "the stripe adapters need it",
    ),
    "half a pair": (
        {"coupon": COUPON},
        "coupon and subscription_discount go together (both or neither): only coupon is there",
    ),
    "bad timestamp": (
        {"customer": [{**STRIPE["customer"][0], "created": "2025-13-01"}]},
        "customer.csv, row 1, column created: '2025-13-01' is not a timestamp (expected "
        "YYYY-MM-DD or an ISO timestamp such as 2025-01-31T23:30:00+02:00)",
    ),
    "bad boolean": (
        {"invoice_line_item": [{**STRIPE["invoice_line_item"][0], "proration": "maybe"}]},
        "invoice_line_item.csv, row 1, column proration: 'maybe' is not a boolean "
        "(expected true or false)",
    ),
    "amount not in minor units": (
        {"invoice": [{**STRIPE["invoice"][0], "amount_due": "12.50"}]},
        "invoice.csv, row 1, column amount_due: '12.50' is not a whole number",
    ),
    "empty id": (
        {"subscription_history": [SUBSCRIPTION, {**SUBSCRIPTION, "customer_id": " "}]},
        "subscription_history.csv, row 2, column customer_id: ' ' is empty, but the column "
        "is required",
    ),
    "listed column missing": (
        {"price": [{k: v for k, v in STRIPE["price"][0].items() if k != "unit_amount"}]},
        "price.csv, header: missing required column(s) unit_amount",
    ),
    "duplicate id": (
        {"product": [STRIPE["product"][0], STRIPE["product"][0]]},
        "product.csv, row 2, column id: 'prod_1' duplicates the key (id) of row 1",
    ),
    "near miss of a table's name": (
        {"Invoice_Line_Items": STRIPE["invoice_line_item"]},
        "'Invoice_Line_Items.csv' is a file named like stripe table invoice_line_item",
    ),
}


@pytest.mark.parametrize("changes, message", REFUSALS.values(), ids=REFUSALS.keys())
def test_bad_stripe_folders_are_refused_and_change_nothing(
    tmp_path: Path, warehouse: Path, changes: dict, message: str
):
    good = stripe_folder(tmp_path / "good", coupon=COUPON, subscription_discount=DISCOUNT)
    assert run_load("--source", "stripe", str(good)).returncode == 0
    before = warehouse_fingerprint(warehouse)
    done = run_load("--source", "stripe", str(stripe_folder(tmp_path / "bad", **changes)))
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    assert message in done.stderr, done.stderr
    assert warehouse_fingerprint(warehouse) == before


SALESFORCE = {
    "account": [{"id": "001A", "name": "Acme", "is_deleted": "false", "segment__c": "SMB"}],
    "opportunity": [{"id": "006A", "account_id": "001A", "type": "New Business",
                     "stage_name": "Closed Won", "created_date": "2025-01-02T09:00:00.000+0000",
                     "close_date": "2025-02-01", "owner_id": "005A", "is_won": "true",
                     "is_closed": "true", "is_deleted": "false", "amount": "1200.5"}],
    "opportunity_history": [{"id": "008A", "opportunity_id": "006A", "stage_name": "Prospecting",
                             "amount": "1000", "close_date": "2025-02-01",
                             "created_date": "2025-01-02", "is_deleted": "false"}],
    "user": [{"id": "005A", "name": "Ana Silva"}],
    # Salesforce writes 9999-12-31 for the open end: accepted
    "dated_conversion_rate": [{"iso_code": "EUR", "conversion_rate": "0.92",
                               "start_date": "2025-01-01", "next_start_date": "9999-12-31"}],
}  # fmt: skip
HUBSPOT = {
    "company": [{"id": "9001", "is_deleted": "false", "property_name": "Acme"}],
    "deal": [{"deal_id": "77", "deal_pipeline_stage_id": "closedwon", "owner_id": "1",
              "is_deleted": "false", "property_createdate": "2025-01-02T09:00:00Z",
              "property_closedate": "2025-02-01T00:00:00Z", "property_amount": "1200"}],
    "deal_stage": [{"deal_id": "77", "value": "closedwon", "date_entered": "2025-02-01"}],
    "deal_pipeline_stage": [{"stage_id": "closedwon", "label": "Closed Won", "is_closed": "1",
                             "closed_won": "yes"}],
    "deal_company": [{"deal_id": "77", "company_id": "9001"}],
    "owner": [{"owner_id": "1", "first_name": "Ana", "last_name": "Silva"}],
}  # fmt: skip


def test_salesforce_and_hubspot_folders_load(tmp_path: Path, warehouse: Path):
    for name, tables in (("salesforce", SALESFORCE), ("hubspot", HUBSPOT)):
        for table, rows in tables.items():
            write(tmp_path / name, table, rows)
        done = run_load("--source", name, str(tmp_path / name))
        assert done.returncode == 0, done.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rate = con.execute("select * from salesforce.dated_conversion_rate").fetchone()
        assert rate == ("EUR", 0.92, datetime(2025, 1, 1).date(), datetime(9999, 12, 31).date())
        opportunity = con.execute(
            "select created_date, is_won, amount, currency_iso_code from salesforce.opportunity"
        ).fetchone()
        # +0000 is UTC; currency_iso_code (optional) absent: empty
        assert opportunity == (datetime(2025, 1, 2, 9, 0), True, 1200.5, None)
        stage = con.execute("select is_closed, closed_won from hubspot.deal_pipeline_stage")
        assert stage.fetchone() == (True, True)


def test_crm_refusals_name_file_row_column_and_value(tmp_path: Path, warehouse: Path):
    write(tmp_path / "sf", "account", SALESFORCE["account"])
    done = run_load("--source", "salesforce", str(tmp_path / "sf"))
    assert done.returncode == 1
    for table in ("opportunity", "opportunity_history", "user"):
        assert (
            f"{table}.csv (or .parquet) is missing; the salesforce adapters need it" in done.stderr
        )
    for table, rows in HUBSPOT.items():
        write(tmp_path / "hs", table, rows)
    write(tmp_path / "hs", "deal", [{**HUBSPOT["deal"][0], "is_deleted": "no way"}])
    done = run_load("--source", "hubspot", str(tmp_path / "hs"))
    assert done.returncode == 1
    assert (
        "deal.csv, row 1, column is_deleted: 'no way' is not a boolean (expected true or false)"
        in done.stderr
    )
    assert (
        not warehouse.exists()
        or not duckdb.connect(str(warehouse))
        .execute("select * from information_schema.tables")
        .fetchall()
    )


def test_every_connector_table_is_known_to_the_loader():
    """The loader and the export read one list (expansion_metrics.connectors)."""
    assert set(CONNECTORS) == {"stripe", "salesforce", "hubspot"}
    assert {t.name for t in CONNECTORS["stripe"].tables} >= {
        "customer", "subscription_history", "subscription", "price", "plan", "product",
        "invoice", "invoice_line_item", "coupon", "subscription_discount",
    }  # fmt: skip


# ---- the contract's interval_count ----------------------------------------------------

ITEM = {"subscription_item_id": "I1", "customer_id": "C1", "product": "platform",
        "pricing_model": "flat", "amount": "70", "currency": "USD",
        "billing_interval": "week", "valid_from": "2025-01-06"}  # fmt: skip


def test_interval_count_is_created_empty_when_a_file_or_an_older_table_lacks_it(
    tmp_path: Path, warehouse: Path
):
    # no interval_count column in the file
    write_table(tmp_path / "raw", "subscription_items", [ITEM], columns=list(ITEM))
    done = run_load(str(tmp_path / "raw"))
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(warehouse)) as con:
        row = con.execute("select billing_interval, interval_count from raw.subscription_items")
        assert row.fetchall() == [("week", None)]
        # a table written by an older loader, without the column
        con.execute("alter table raw.subscription_items drop column interval_count")
    write_table(tmp_path / "other", "customers", [{"customer_id": "C1"}])
    assert run_load(str(tmp_path / "other")).returncode == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("select subscription_item_id, interval_count from raw.subscription_items")
        assert row.fetchall() == [("I1", None)]


@pytest.mark.parametrize(
    "value, message",
    [("0", "must be greater than zero"), ("1.5", "is not a whole number")],
)
def test_interval_count_must_be_a_whole_number_of_at_least_one(
    tmp_path: Path, warehouse: Path, value: str, message: str
):
    write_table(tmp_path, "subscription_items", [{**ITEM, "interval_count": value}])
    done = run_load(str(tmp_path))
    assert done.returncode == 1
    assert (
        f"subscription_items.csv, row 1, column interval_count: '{value}' {message}" in done.stderr
    )


def test_generated_connector_tables_load(tmp_path: Path, warehouse: Path):
    """`generate --format` writes each connector's tables where `load --source` takes them."""
    out = tmp_path / "set"
    done = subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", "generate", "--customers", "12",
         "--months", "6", "--out", str(out), "--format", "contract,stripe,salesforce,hubspot",
         "--quiet"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (
        (out / "customer_crosswalk.csv")
        .read_text()
        .startswith("billing_customer_id,crm_account_id\n")
    )
    for connector in ("stripe", "salesforce", "hubspot"):
        loaded = run_load("--source", connector, str(out / connector))
        assert loaded.returncode == 0, loaded.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (customers,) = con.execute("select count(*) from stripe.customer").fetchone()
    assert customers == 12
    refused = subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", "generate", "--customers", "1",
         "--months", "1", "--out", str(tmp_path / "x"), "--format", "stripe,quickbooks"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "formats are a comma-separated list of contract, stripe, salesforce, hubspot" in (
        refused.stderr
    )


def test_typed_parquet_exports_load_like_csv(tmp_path: Path, warehouse: Path):
    """A Parquet export with real timestamp, boolean and integer columns (as Fivetran's
    warehouse unload writes them) loads to the same values as the CSV."""
    folder = stripe_folder(tmp_path)
    (folder / "customer.csv").unlink()
    with duckdb.connect() as con:
        con.execute(
            "copy (select 'cus_1' as id, 'Acme' as name, "
            "timestamp '2025-01-01 21:30:00' as created, '{}' as metadata, "
            "true as is_deleted) to ? (format parquet)",
            [str(folder / "customer.parquet")],
        )
    done = run_load("--source", "stripe", str(folder))
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("select created, is_deleted from stripe.customer").fetchone()
    assert row == (datetime(2025, 1, 1, 21, 30), True)
