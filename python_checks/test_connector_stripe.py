"""The Stripe adapter's rules on small hand-written Stripe tables, through the real build.

The tables are created with DuckDB SQL in schema stripe of a temporary warehouse, as
Fivetran's connector writes them; the contract tables no connector gives come from the
real loader (a folder with fx_rates only). One `dbt build` with billing_source stripe
serves every rule below; a second, smaller run of the adapter models alone switches
discounts_reducing_mrr to all. Every expected value is computed by hand from the rules
in models/sources/stripe/_stripe__models.yml, in the comments.

as_of_date is 2026-06-30. Monthly lines run from the 1st of January 2026 unless said.
USD and KWD amounts are minor units (cents, fils); JPY has no minor unit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import warehouse_fingerprint, write_table

from expansion_metrics.settings import PROJECT_DIR

AS_OF = "2026-06-30"
DBT = str(Path(sys.executable).parent / "dbt")

# ---------------------------------------------------------------- the Stripe tables

COLUMNS = {
    "customer": "id varchar, name varchar, created timestamp, metadata varchar, "
    "is_deleted boolean",
    "subscription_history": "id varchar, customer_id varchar, status varchar, "
    "_fivetran_active boolean, created timestamp, start_date timestamp, "
    "trial_start timestamp, trial_end timestamp, cancel_at_period_end boolean, "
    "canceled_at timestamp, ended_at timestamp, current_period_start timestamp, "
    "current_period_end timestamp",
    "price": "id varchar, product_id varchar, currency varchar, nickname varchar, "
    "metadata varchar, billing_scheme varchar, recurring_interval varchar, "
    "recurring_interval_count bigint, recurring_usage_type varchar, unit_amount bigint",
    "product": "id varchar, name varchar, metadata varchar",
    "invoice": "id varchar, customer_id varchar, subscription_id varchar, status varchar, "
    "created timestamp, due_date timestamp, amount_due bigint, currency varchar, "
    "attempt_count bigint",
    "invoice_line_item": "id varchar, invoice_id varchar, subscription_id varchar, "
    "subscription_item_id varchar, price_id varchar, type varchar, proration boolean, "
    "period_start timestamp, period_end timestamp, quantity bigint, amount bigint, "
    "currency varchar",
    "coupon": "id varchar, duration varchar, duration_in_months bigint, "
    "percent_off double, amount_off bigint, currency varchar",
    "subscription_discount": 'id varchar, coupon_id varchar, subscription_id varchar, '
    'customer_id varchar, start timestamp, "end" timestamp',
}


class Stripe:
    """Collects rows of the Stripe tables; writes them into schema stripe."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {table: [] for table in COLUMNS}

    def add(self, table: str, **row: object) -> None:
        self.rows[table].append(row)

    def customer(self, customer_id: str, **metadata: str) -> None:
        self.add("customer", id=customer_id, name=f"Name {customer_id}",
                 created="2025-12-01 10:00:00", metadata=json.dumps(metadata),
                 is_deleted=False)  # fmt: skip

    def price(self, price_id: str, product: str, unit_amount: int, interval: str = "month",
              count: int = 1, currency: str = "usd", nickname: str | None = None,
              usage: str = "licensed", scheme: str = "per_unit", **metadata: str) -> None:  # fmt: skip
        self.add("price", id=price_id, product_id=product, currency=currency,
                 nickname=nickname, metadata=json.dumps(metadata), billing_scheme=scheme,
                 recurring_interval=interval, recurring_interval_count=count,
                 recurring_usage_type=usage, unit_amount=unit_amount)  # fmt: skip

    def subscription(self, sub_id: str, customer_id: str, current_period_end: str,
                     status: str = "active", **extra: object) -> None:  # fmt: skip
        # an older, inactive history row with another status must not count
        base = {"id": sub_id, "customer_id": customer_id, "created": "2025-12-20 09:00:00",
                "start_date": "2025-12-20 09:00:00",
                "current_period_end": current_period_end}  # fmt: skip
        self.add("subscription_history", **base, status="incomplete", _fivetran_active=False)
        self.add("subscription_history", **base, status=status, _fivetran_active=True, **extra)

    def lines(self, sub_id: str, item: str, price: str, customer_id: str,
              periods: list[tuple[str, str]], amount: int, quantity: int = 1,
              currency: str = "usd", invoice_status: str = "paid", **extra: object) -> None:  # fmt: skip
        """One invoice (of the given status) and one subscription line per period."""
        for start, end in periods:
            invoice = f"in_{sub_id}_{start}"
            if not any(row["id"] == invoice for row in self.rows["invoice"]):
                self.add("invoice", id=invoice, customer_id=customer_id, subscription_id=sub_id,
                         status=invoice_status, created=start, due_date=start,
                         amount_due=amount, currency=currency, attempt_count=1)  # fmt: skip
            self.add("invoice_line_item", id=f"il_{item}_{start}", invoice_id=invoice,
                     subscription_id=sub_id, subscription_item_id=item, price_id=price,
                     type="subscription", proration=False, period_start=start,
                     period_end=end, quantity=quantity, amount=amount, currency=currency,
                     **extra)  # fmt: skip

    def write(self, database: Path, leave_out: tuple[str, ...] = ()) -> None:
        with duckdb.connect(str(database)) as con:
            con.execute("create schema if not exists stripe")
            for table, columns in COLUMNS.items():
                if table in leave_out:
                    continue
                con.execute(f"create or replace table stripe.{table} ({columns})")
                names = [c.split()[0] for c in columns.split(", ")]
                for row in self.rows[table]:
                    marks = ", ".join("?" for _ in names)
                    con.execute(f"insert into stripe.{table} values ({marks})",
                                [row.get(n.strip('"')) for n in names])  # fmt: skip


def months(first: str, count: int, day: int = 1) -> list[tuple[str, str]]:
    """`count` monthly periods starting on `first` (YYYY-MM) at day `day`."""
    year, month = (int(p) for p in first.split("-"))
    periods = []
    for _ in range(count):
        start = date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        periods.append((start.isoformat(), date(year, month, day).isoformat()))
    return periods


def every(first: str, days: int, count: int) -> list[tuple[str, str]]:
    """`count` periods of `days` days from `first`."""
    start = datetime.fromisoformat(first)
    return [((start + timedelta(days * i)).date().isoformat(),
             (start + timedelta(days * (i + 1))).date().isoformat()) for i in range(count)]  # fmt: skip


def stripe_set() -> Stripe:
    s = Stripe()
    s.add("product", id="prod_platform", name="Platform", metadata="{}")
    s.add("product", id="prod_seats", name="Seats", metadata="{}")
    s.add("product", id="prod_api", name="API", metadata="{}")
    s.add("product", id="prod_addon", name="Addon",
          metadata=json.dumps({"pricing_model": "seat", "plan_tier": "starter"}))  # fmt: skip

    # 1. Zero-decimal currency: 12,000 JPY a month is 12000 yen (not 120), flat (quantity
    #    1). Customer metadata gives segment, industry, region.
    s.customer("cus_jp", segment="Enterprise", industry="Software", region="APAC")
    s.price("price_jpy", "prod_platform", 12000, currency="jpy", nickname="Legacy")
    s.subscription("sub_jpy", "cus_jp", "2026-07-01")
    s.lines("sub_jpy", "si_jpy", "price_jpy", "cus_jp", months("2026-01", 6), 12000,
            currency="jpy")  # fmt: skip

    # 2. Weekly price, 12.00 USD a week from 2026-06-01; billed up to the current period.
    s.customer("cus_week")
    s.price("price_week", "prod_platform", 1200, interval="week")
    s.subscription("sub_week", "cus_week", "2026-07-06")
    s.lines("sub_week", "si_week", "price_week", "cus_week", every("2026-06-01", 7, 5), 1200)

    # 3. Six-month price, 600.00 USD per 6 months from 2026-01-15.
    s.customer("cus_6m")
    s.price("price_6m", "prod_platform", 60000, interval="month", count=6)
    s.subscription("sub_6m", "cus_6m", "2026-07-15")
    s.lines("sub_6m", "si_6m", "price_6m", "cus_6m", [("2026-01-15", "2026-07-15")], 60000)

    # 4. Daily price, 1.00 USD a day from 2026-06-28.
    s.customer("cus_day")
    s.price("price_day", "prod_platform", 100, interval="day")
    s.subscription("sub_day", "cus_day", "2026-07-01")
    s.lines("sub_day", "si_day", "price_day", "cus_day", every("2026-06-28", 1, 3), 100)

    # 5. Trial March (a 0 line), then 50.00 USD a month from April.
    s.customer("cus_trial")
    s.price("price_trial", "prod_platform", 5000)
    s.subscription("sub_trial", "cus_trial", "2026-07-01", trial_start="2026-03-01",
                   trial_end="2026-04-01")  # fmt: skip
    s.lines("sub_trial", "si_trial", "price_trial", "cus_trial", months("2026-03", 1), 0)
    s.lines("sub_trial", "si_trial", "price_trial", "cus_trial", months("2026-04", 3), 5000)

    # 6. Cancel at period end: 30.00 USD a month from 2026-01-10, canceled on 2026-04-20,
    #    ended at the period end 2026-05-10.
    s.customer("cus_cancel")
    s.price("price_cancel", "prod_platform", 3000)
    s.subscription("sub_cancel", "cus_cancel", "2026-05-10", status="canceled",
                   cancel_at_period_end=True, canceled_at="2026-04-20",
                   ended_at="2026-05-10")  # fmt: skip
    s.lines("sub_cancel", "si_cancel", "price_cancel", "cus_cancel", months("2026-01", 4, 10),
            3000)  # fmt: skip

    # 7. Forever 25% coupon from 2026-03-01 on 100.00 USD a month.
    s.customer("cus_forever")
    s.price("price_forever", "prod_platform", 10000)
    s.subscription("sub_forever", "cus_forever", "2026-07-01")
    s.lines("sub_forever", "si_forever", "price_forever", "cus_forever", months("2026-01", 6),
            10000)  # fmt: skip
    s.add("coupon", id="co_forever", duration="forever", percent_off=25.0)
    s.add("subscription_discount", id="di_forever", coupon_id="co_forever",
          subscription_id="sub_forever", customer_id="cus_forever", start="2026-03-01")  # fmt: skip

    # 8. Repeating 50% coupon for January-March on 80.00 USD a month.
    s.customer("cus_repeat")
    s.price("price_repeat", "prod_platform", 8000)
    s.subscription("sub_repeat", "cus_repeat", "2026-07-01")
    s.lines("sub_repeat", "si_repeat", "price_repeat", "cus_repeat", months("2026-01", 6), 8000)
    s.add("coupon", id="co_repeat", duration="repeating", duration_in_months=3,
          percent_off=50.0)  # fmt: skip
    s.add("subscription_discount", id="di_repeat", coupon_id="co_repeat",
          subscription_id="sub_repeat", customer_id="cus_repeat", start="2026-01-01",
          end="2026-04-01")  # fmt: skip

    # 9. Forever amount_off 10.00 USD shared over two items of one invoice: 100.00 and
    #    200.00 a month -> shares round(1000 x 1/3) = 333 and round(1000 x 2/3) = 667.
    s.customer("cus_off")
    s.price("price_off_a", "prod_platform", 10000)
    s.price("price_off_b", "prod_api", 20000, pricing_model="usage")
    s.subscription("sub_off", "cus_off", "2026-07-01")
    s.lines("sub_off", "si_off_a", "price_off_a", "cus_off", months("2026-01", 6), 10000)
    s.lines("sub_off", "si_off_b", "price_off_b", "cus_off", months("2026-01", 6), 20000)
    s.add("coupon", id="co_off", duration="forever", amount_off=1000, currency="usd")
    s.add("subscription_discount", id="di_off", coupon_id="co_off", subscription_id="sub_off",
          customer_id="cus_off", start="2026-01-01")  # fmt: skip

    # 10. Seats: 10.00 USD per seat (nickname Starter) x 5 in Jan-Feb, x 8 in Mar-Apr, then
    #     15.00 per seat (nickname 'professional ') x 8 from May. A proration line and a
    #     draft invoice's line are not history.
    s.customer("cus_seat")
    s.price("price_seat_s", "prod_seats", 1000, nickname="Starter")
    s.price("price_seat_p", "prod_seats", 1500, nickname="professional ")
    s.subscription("sub_seat", "cus_seat", "2026-07-01")
    s.lines("sub_seat", "si_seat", "price_seat_s", "cus_seat", months("2026-01", 2), 5000, 5)
    s.lines("sub_seat", "si_seat", "price_seat_s", "cus_seat", months("2026-03", 2), 8000, 8)
    s.lines("sub_seat", "si_seat", "price_seat_p", "cus_seat", months("2026-05", 2), 12000, 8)
    s.add("invoice_line_item", id="il_proration", invoice_id="in_sub_seat_2026-05-01",
          subscription_id="sub_seat", subscription_item_id="si_seat", price_id="price_seat_p",
          type="subscription", proration=True, period_start="2026-05-01",
          period_end="2026-06-01", quantity=8, amount=4000, currency="usd")  # fmt: skip
    s.lines("sub_seat", "si_seat", "price_seat_p", "cus_seat", months("2026-07", 1), 99900, 8,
            invoice_status="draft")  # fmt: skip

    # 11. Pricing model and tier from metadata: the product's (seat, starter) under a
    #     price without metadata; the price's (flat, enterprise) over the product's.
    #     A metered price without metadata is usage. Quantity 3 with billing_scheme
    #     tiered is flat.
    s.customer("cus_meta")
    s.price("price_addon", "prod_addon", 2000)
    s.price("price_addon_ent", "prod_addon", 4000, pricing_model="flat", plan_tier="enterprise")
    s.price("price_metered", "prod_api", 700, usage="metered")
    s.price("price_tiered", "prod_platform", 900, scheme="tiered")
    s.subscription("sub_meta", "cus_meta", "2026-07-01")
    for item, price, amount, quantity in (("si_addon", "price_addon", 2000, 1),
                                          ("si_addon_ent", "price_addon_ent", 4000, 1),
                                          ("si_metered", "price_metered", 700, 1),
                                          ("si_tiered", "price_tiered", 900, 3)):  # fmt: skip
        s.lines("sub_meta", item, price, "cus_meta", months("2026-06", 1), amount, quantity)

    # 12. An incomplete subscription never counts.
    s.customer("cus_incomplete")
    s.price("price_incomplete", "prod_platform", 4400)
    s.subscription("sub_incomplete", "cus_incomplete", "2026-07-01", status="incomplete")
    s.lines("sub_incomplete", "si_incomplete", "price_incomplete", "cus_incomplete",
            months("2026-06", 1), 4400, invoice_status="open")  # fmt: skip

    # 13. A fortnightly price: quarantined, its item left out.
    s.customer("cus_fort")
    s.price("price_fort", "prod_platform", 2500, interval="fortnight")
    s.subscription("sub_fort", "cus_fort", "2026-07-01")
    s.lines("sub_fort", "si_fort", "price_fort", "cus_fort", months("2026-06", 1), 2500)

    # 14. Invoices of every status (customer cus_inv, no subscription).
    s.customer("cus_inv", salesforce_account_id="001INV")
    for invoice_id, status, due, amount, currency, attempts, created in (
        ("in_paid", "paid", "2026-06-01", 10000, "usd", 1, "2026-05-25"),
        ("in_kwd", "paid", "2026-06-01", 12345, "kwd", 1, "2026-05-25"),
        ("in_uncollectible", "uncollectible", "2026-05-01", 500, "usd", 4, "2026-04-25"),
        ("in_open_failed", "open", "2026-07-15", 700, "usd", 1, "2026-06-25"),
        ("in_open_past", "open", "2026-06-15", 800, "usd", 0, "2026-06-01"),
        ("in_open_future", "open", "2026-07-15", 900, "usd", 0, "2026-06-25"),
        ("in_open_no_due", "open", None, 1000, "usd", 0, "2026-06-20"),
        ("in_draft", "draft", "2026-07-15", 1100, "usd", 0, "2026-06-25"),
        ("in_void", "void", "2026-06-15", 1200, "usd", 0, "2026-06-01"),
        ("in_odd", "mystery", "2026-06-15", 1300, "usd", 0, "2026-06-01"),
    ):
        s.add("invoice", id=invoice_id, customer_id="cus_inv", status=status, created=created,
              due_date=due, amount_due=amount, currency=currency, attempt_count=attempts)  # fmt: skip
    return s


def _dbt(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EXPANSION_METRICS_DB": str(database)}
    project = str(PROJECT_DIR)
    return subprocess.run(
        [DBT, *args, "--project-dir", project, "--profiles-dir", project],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def _vars(**extra: object) -> str:
    return json.dumps({"billing_source": "stripe", "as_of_date": AS_OF, **extra})


def _warehouse(folder: Path, leave_out: tuple[str, ...] = ()) -> Path:
    """Contract tables from the real loader (fx_rates only), then the Stripe tables."""
    raw = folder / "raw"
    write_table(raw, "fx_rates", [
        {"currency": "USD", "month": "2026-01-01", "rate_to_reporting": 1},
        {"currency": "JPY", "month": "2026-01-01", "rate_to_reporting": 0.01},
        {"currency": "KWD", "month": "2026-01-01", "rate_to_reporting": 3.25},
    ])  # fmt: skip
    database = folder / "wh.duckdb"
    env = {**os.environ, "EXPANSION_METRICS_DB": str(database)}
    done = subprocess.run([sys.executable, "-m", "expansion_metrics.cli", "load", str(raw)],
                          env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    stripe_set().write(database, leave_out)
    return database


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = _warehouse(tmp_path_factory.mktemp("stripe"))
    done = _dbt(database, "build", "--vars", _vars())
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    return database


def _rows(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return [tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in row)
                for row in con.execute(sql).fetchall()]  # fmt: skip


def _items(database: Path, where: str) -> list[tuple]:
    return _rows(database, "select subscription_item_id, product, plan_tier, pricing_model, "
                           "quantity, round(amount, 6), currency, billing_interval, "
                           "interval_count, valid_from, valid_to "
                           f"from staging.base_stripe__subscription_items where {where} "
                           "order by valid_from, subscription_item_id")  # fmt: skip


ITEM = "subscription_item_id like '{}@%'"
