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
    "customer": "id varchar, name varchar, created timestamp, metadata varchar, is_deleted boolean",
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
    "attempt_count bigint, status_transitions_paid_at timestamp",
    "invoice_line_item": "id varchar, invoice_id varchar, subscription_id varchar, "
    "subscription_item_id varchar, price_id varchar, type varchar, proration boolean, "
    "period_start timestamp, period_end timestamp, quantity bigint, amount bigint, "
    "currency varchar",
    "coupon": "id varchar, duration varchar, duration_in_months bigint, "
    "percent_off double, amount_off bigint, currency varchar",
    "subscription_discount": "id varchar, coupon_id varchar, subscription_id varchar, "
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

    def price(
        self,
        price_id: str,
        product: str,
        unit_amount: int,
        interval: str = "month",
        count: int = 1,
        currency: str = "usd",
        nickname: str | None = None,
        usage: str = "licensed",
        scheme: str = "per_unit",
        **metadata: str,
    ) -> None:
        self.add("price", id=price_id, product_id=product, currency=currency,
                 nickname=nickname, metadata=json.dumps(metadata), billing_scheme=scheme,
                 recurring_interval=interval, recurring_interval_count=count,
                 recurring_usage_type=usage, unit_amount=unit_amount)  # fmt: skip

    def subscription(
        self,
        sub_id: str,
        customer_id: str,
        current_period_end: str,
        status: str = "active",
        **extra: object,
    ) -> None:
        # an older, inactive history row with another status must not count
        base = {"id": sub_id, "customer_id": customer_id, "created": "2025-12-20 09:00:00",
                "start_date": "2025-12-20 09:00:00",
                "current_period_end": current_period_end}  # fmt: skip
        self.add("subscription_history", **base, status="incomplete", _fivetran_active=False)
        self.add("subscription_history", **base, status=status, _fivetran_active=True, **extra)

    def lines(
        self,
        sub_id: str,
        item: str,
        price: str,
        customer_id: str,
        periods: list[tuple[str, str]],
        amount: int,
        quantity: int = 1,
        currency: str = "usd",
        invoice_status: str = "paid",
        line_id: str | None = None,
        **extra: object,
    ) -> None:
        """One invoice (of the given status) and one subscription line per period; the
        lines' id is `line_id` on every invoice when given (Stripe's sli_ ids repeat)."""
        for start, end in periods:
            invoice = f"in_{sub_id}_{start}"
            if not any(row["id"] == invoice for row in self.rows["invoice"]):
                self.add("invoice", id=invoice, customer_id=customer_id, subscription_id=sub_id,
                         status=invoice_status, created=start, due_date=start,
                         amount_due=amount, currency=currency, attempt_count=1)  # fmt: skip
            self.add("invoice_line_item", id=line_id or f"il_{item}_{start}", invoice_id=invoice,
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
    days_from = [(start + timedelta(days * i)).date().isoformat() for i in range(count + 1)]
    return list(zip(days_from, days_from[1:], strict=False))


def stripe_set() -> Stripe:
    s = Stripe()
    s.add("product", id="prod_platform", name="Platform", metadata="{}")
    s.add("product", id="prod_seats", name="Seats", metadata="{}")
    s.add("product", id="prod_api", name="API", metadata="{}")
    s.add("product", id="prod_addon", name="Addon",
          metadata=json.dumps({"pricing_model": "seat", "plan_tier": "starter"}))  # fmt: skip

    # 1. Zero-decimal currency: 12,000 JPY a month is 12000 yen (not 120), flat (quantity
    #    1). Customer metadata gives segment, industry, region.
    #    Its Salesforce account 001JP (read with crm_source salesforce) is overruled.
    s.customer("cus_jp", segment="Enterprise", industry="Software", region="APAC",
               salesforce_account_id="001JP")  # fmt: skip
    s.price("price_jpy", "prod_platform", 12000, currency="jpy", nickname="Legacy")
    s.subscription("sub_jpy", "cus_jp", "2026-07-01")
    s.lines("sub_jpy", "si_jpy", "price_jpy", "cus_jp", months("2026-01", 6), 12000,
            currency="jpy")  # fmt: skip

    #    March is billed twice (a second paid invoice of 2026-03-05): it counts once.
    s.add("invoice", id="in_jpy_again", customer_id="cus_jp", subscription_id="sub_jpy",
          status="paid", created="2026-03-05", due_date="2026-03-05", amount_due=12000,
          currency="jpy", attempt_count=1)  # fmt: skip
    s.add("invoice_line_item", id="il_jpy_again", invoice_id="in_jpy_again",
          subscription_id="sub_jpy", subscription_item_id="si_jpy", price_id="price_jpy",
          type="subscription", proration=False, period_start="2026-03-01",
          period_end="2026-04-01", quantity=1, amount=12000, currency="jpy")  # fmt: skip

    # 2. Weekly price, 12.00 USD a week from 2026-06-01; billed up to the current period.
    #    No dimensions in its metadata: with crm_source salesforce they come from 001WEEK.
    s.customer("cus_week", salesforce_account_id="001WEEK")
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
    #    Its lines have one id on every invoice, as Stripe's subscription lines do.
    s.lines("sub_forever", "si_forever", "price_forever", "cus_forever", months("2026-01", 6),
            10000, line_id="sli_forever")  # fmt: skip
    s.add("coupon", id="co_forever", duration="forever", percent_off=25.0)
    s.add("subscription_discount", id="di_forever", coupon_id="co_forever",
          subscription_id="sub_forever", customer_id="cus_forever", start="2026-03-01")  # fmt: skip

    #    A large line under a forever 15% coupon from 2026-06-01: 96437661 cents -
    #    round(96437661 x 15 / 100 = 14465649.15) = 81972012 -> 819,720.12 (the product
    #    overflowed decimal(18, 6) once).
    s.customer("cus_big")
    s.price("price_big", "prod_platform", 96437661)
    s.subscription("sub_big", "cus_big", "2026-07-01")
    s.lines("sub_big", "si_big", "price_big", "cus_big", months("2026-06", 1), 96437661)
    s.add("coupon", id="co_big", duration="forever", percent_off=15.0)
    s.add("subscription_discount", id="di_big", coupon_id="co_big", subscription_id="sub_big",
          customer_id="cus_big", start="2026-06-01")  # fmt: skip

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

    # 15. A new billing cycle from 2026-04-15 with 2 seats (20.00 each): the April 1 - May 1
    #     version ends when the next one starts (April 15), never overlapping it.
    s.customer("cus_anchor")
    s.price("price_anchor", "prod_seats", 2000)
    s.subscription("sub_anchor", "cus_anchor", "2026-07-15")
    s.lines("sub_anchor", "si_anchor", "price_anchor", "cus_anchor", months("2026-04", 1), 2000)
    s.lines("sub_anchor", "si_anchor", "price_anchor", "cus_anchor", months("2026-04", 3, 15),
            4000, 2)  # fmt: skip

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
        paid_at = {"in_paid": "2026-06-03 18:30:00", "in_kwd": "2026-05-28 09:00:00"}
        s.add("invoice", id=invoice_id, customer_id="cus_inv", status=status,
              created=created, due_date=due, amount_due=amount, currency=currency,
              attempt_count=attempts,
              status_transitions_paid_at=paid_at.get(invoice_id))  # fmt: skip
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
                           "order by subscription_item_id")  # fmt: skip


ITEM = "subscription_item_id like '{}@%'"


def test_items_follow_the_rules_by_hand(built: Path):
    # (id, product, plan_tier, pricing_model, quantity, amount, currency, interval,
    #  interval_count, valid_from, valid_to)
    assert _items(built, "true") == sorted([
        # 1. JPY has no minor unit: 12000 / 10^0 = 12000 (a global /100 would give 120);
        #    nickname 'Legacy' is no plan_tiers tier -> null; per_unit, quantity 1 -> flat;
        #    billed up to current_period_end 2026-07-01, not ended -> open
        ("si_jpy@2026-01-01", "Platform", None, "flat", 1, 12000, "JPY", "month", 1,
         "2026-01-01", None),
        # 10. seats: price Starter x 5 (5000 cents = 50.00) until the quantity change on
        #     March 1 (8 x 10.00 = 80.00), then price Professional x 8 = 120.00 from May 1,
        #     open. Quantity above 1 with per_unit -> seat; the tier from the nickname
        #     ('professional ' trimmed). The proration line (40.00) and the draft July
        #     line (999.00) change nothing.
        ("si_seat@2026-01-01", "Seats", "starter", "seat", 5, 50, "USD", "month", 1,
         "2026-01-01", "2026-03-01"),
        # 7. forever 25% from March 1: 10000 - round(10000 x 25 / 100) = 7500 -> 75.00, a
        #    new version; before it 100.00
        ("si_forever@2026-01-01", "Platform", None, "flat", 1, 100, "USD", "month", 1,
         "2026-01-01", "2026-03-01"),
        ("si_big@2026-06-01", "Platform", None, "flat", 1, 819720.12, "USD", "month", 1,
         "2026-06-01", None),
        # 9. amount_off 1000 cents over 10000 + 20000: 10000 - round(1000 / 3) = 9667 and
        #    20000 - round(2000 / 3) = 19333; price_off_b's metadata says usage
        ("si_off_a@2026-01-01", "Platform", None, "flat", 1, 96.67, "USD", "month", 1,
         "2026-01-01", None),
        ("si_off_b@2026-01-01", "API", None, "usage", 1, 193.33, "USD", "month", 1,
         "2026-01-01", None),
        # 8. repeating coupon: no reduction by default (discounts_reducing_mrr forever)
        ("si_repeat@2026-01-01", "Platform", None, "flat", 1, 80, "USD", "month", 1,
         "2026-01-01", None),
        # 6. canceled at period end: ended_at 2026-05-10 = the last period end
        ("si_cancel@2026-01-10", "Platform", None, "flat", 1, 30, "USD", "month", 1,
         "2026-01-10", "2026-05-10"),
        # 3. 60000 cents per 6 months = 600.00, interval_count 6
        ("si_6m@2026-01-15", "Platform", None, "flat", 1, 600, "USD", "month", 6,
         "2026-01-15", None),
        # 15. cut at the next version's start; quantity 2 on a line of the item -> seat
        ("si_anchor@2026-04-01", "Seats", None, "seat", 1, 20, "USD", "month", 1,
         "2026-04-01", "2026-04-15"),
        ("si_anchor@2026-04-15", "Seats", None, "seat", 2, 40, "USD", "month", 1,
         "2026-04-15", None),
        ("si_forever@2026-03-01", "Platform", None, "flat", 1, 75, "USD", "month", 1,
         "2026-03-01", None),
        ("si_seat@2026-03-01", "Seats", "starter", "seat", 8, 80, "USD", "month", 1,
         "2026-03-01", "2026-05-01"),
        # 5. the March trial line (period_start 2026-03-01 < trial_end 2026-04-01) is out
        ("si_trial@2026-04-01", "Platform", None, "flat", 1, 50, "USD", "month", 1,
         "2026-04-01", None),
        ("si_seat@2026-05-01", "Seats", "professional", "seat", 8, 120, "USD", "month", 1,
         "2026-05-01", None),
        # 11. product metadata (seat, starter) under a price without metadata; the price's
        #     metadata (flat, enterprise) over the product's; metered -> usage; tiered
        #     with quantity 3 -> flat (seat needs per_unit)
        ("si_addon@2026-06-01", "Addon", "starter", "seat", 1, 20, "USD", "month", 1,
         "2026-06-01", None),
        ("si_addon_ent@2026-06-01", "Addon", "enterprise", "flat", 1, 40, "USD", "month", 1,
         "2026-06-01", None),
        ("si_metered@2026-06-01", "API", None, "usage", 1, 7, "USD", "month", 1,
         "2026-06-01", None),
        ("si_tiered@2026-06-01", "Platform", None, "flat", 3, 9, "USD", "month", 1,
         "2026-06-01", None),
        # 2. 1200 cents a week; 4. 100 cents a day
        ("si_week@2026-06-01", "Platform", None, "flat", 1, 12, "USD", "week", 1,
         "2026-06-01", None),
        ("si_day@2026-06-28", "Platform", None, "flat", 1, 1, "USD", "day", 1,
         "2026-06-28", None),
    ])  # fmt: skip
    # 12. the incomplete subscription and 13. the fortnightly price give no item
    assert _items(built, "customer_id in ('cus_incomplete', 'cus_fort')") == []


def test_the_fortnightly_price_and_the_odd_invoice_are_quarantined(built: Path):
    rows = _rows(built, "select source_table, row_key, customer_id, reason "
                        "from intermediate.int_quarantined_rows order by 1, 2")  # fmt: skip
    assert rows == [
        ("invoices", "in_odd", "cus_inv",
         "stripe.invoice in_odd status 'mystery' is not paid, open, uncollectible, draft or "
         "void"),
        ("subscription_items", "si_fort", "cus_fort",
         "stripe.price price_fort recurring_interval 'fortnight' is not day, week, month or "
         "year"),
    ]  # fmt: skip


def test_invoices_in_major_units_with_stripe_statuses_mapped(built: Path):
    rows = _rows(built, "select invoice_id, due_date, amount, currency, status, paid_at "
                        "from staging.base_stripe__invoices where customer_id = 'cus_inv' "
                        "order by 1")  # fmt: skip
    # paid_at = the date of status_transitions_paid_at (paid early or late, as it happened)
    assert rows == [
        ("in_kwd", "2026-06-01", 12.345, "KWD", "paid", "2026-05-28"),  # 12345 fils / 10^3
        ("in_open_failed", "2026-07-15", 7.0, "USD", "failed", None),  # open, 1 attempt
        ("in_open_future", "2026-07-15", 9.0, "USD", "open", None),  # due after as_of_date
        ("in_open_no_due", "2026-06-20", 10.0, "USD", "overdue", None),  # due = created
        ("in_open_past", "2026-06-15", 8.0, "USD", "overdue", None),
        ("in_paid", "2026-06-01", 100.0, "USD", "paid", "2026-06-03"),  # 10000 cents
        ("in_uncollectible", "2026-05-01", 5.0, "USD", "failed", None),
    ]  # in_draft and in_void left out; in_odd quarantined
    # the JPY subscription's invoices: 12000 yen, not 120
    assert _rows(built, "select distinct amount from staging.base_stripe__invoices "
                        "where currency = 'JPY'") == [(12000.0,)]  # fmt: skip


def test_customers_from_stripe_with_metadata_dimensions(built: Path):
    rows = _rows(built, "select customer_id, customer_name, segment, industry, region, "
                        "created_at from staging.base_stripe__customers "
                        "where customer_id in ('cus_jp', 'cus_week') order by 1")  # fmt: skip
    assert rows == [
        ("cus_jp", "Name cus_jp", "Enterprise", "Software", "APAC", "2025-12-01"),
        ("cus_week", "Name cus_week", None, None, None, "2025-12-01"),
    ]
    # staging normalises; the marts see them
    assert _rows(built, "select segment, region from staging.stg_billing__customers "
                        "where customer_id = 'cus_jp'") == [("enterprise", "apac")]  # fmt: skip
    # crm_source contract and stripe_crm_account_key empty: no CRM link
    assert _rows(built, "select count(*) from staging.base_stripe__customer_crm_links "
                        "where crm_account_id is not null") == [(0,)]  # fmt: skip


# Month-end MRR in USD, by hand (JPY at 0.01; staging: amount x intervals a year / 12 /
# interval_count): jpy 12000 x 0.01 = 120; 6m 600 x 12 / 12 / 6 = 100; cancel 30 (to May
# 10); forever 100, then 75 from March; repeat 80; off 96.67 + 193.33 = 290; seat 50, 80
# from March, 120 from May; trial 50 and anchor 40 from April; June adds day
# 1 x 365 / 12 = 30.416667, meta 20 + 40 + 7 + 9 = 76, week 12 x 52 / 12 = 52 and big
# 819720.12.
MONTH_MRR = {
    "2026-01-01": 120 + 100 + 30 + 100 + 80 + 290 + 50,  # 770
    "2026-02-01": 770,
    "2026-03-01": 770 - 25 + 30,  # 775
    "2026-04-01": 775 + 50 + 40,  # 865 (anchor: 40, not 20 + 40)
    "2026-05-01": 865 - 30 + 40,  # 875
    "2026-06-01": 875 + 30.416667 + 76 + 52 + 819720.12,  # 820753.536667
}


def test_the_marts_see_the_stripe_business(built: Path):
    totals = _rows(built, "select month, sum(ending_mrr) from marts.fct_mrr_movements "
                          "group by 1 order by 1")  # fmt: skip
    assert [(m, round(float(v), 6)) for m, v in totals] == [
        (m, round(v, 6)) for m, v in MONTH_MRR.items()
    ]
    movements = _rows(built, "select customer_id, month, movement_type, ending_mrr "
                             "from marts.fct_mrr_movements where month = '2026-05-01' and "
                             "customer_id in ('cus_cancel', 'cus_seat') order by 1")  # fmt: skip
    # cancel at period end: counted at April's end, churned in May; seats 80 -> 120
    assert [(c, m, t, float(v)) for c, m, t, v in movements] == [
        ("cus_cancel", "2026-05-01", "churn", 0.0),
        ("cus_seat", "2026-05-01", "expansion", 120.0),
    ]
    nrr = _rows(built, "select starting_arr, ending_arr, round(nrr_pct, 4) from marts.mart_nrr "
                       "where dimension = 'all' and window_months = 1 "
                       "and month = '2026-05-01'")  # fmt: skip
    # April's cohort: 865 x 12 = 10380 ARR; in May 865 - 30 + 40 = 875 -> 10500;
    # 10500 / 10380 = 101.1561%
    assert [(float(s), float(e), p) for s, e, p in nrr] == [(10380.0, 10500.0, 101.1561)]


@pytest.fixture(scope="module")
def legacy(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy with the legacy tables (plan without metadata, subscription, lines' plan_id)
    and Salesforce accounts; the adapter (and the Salesforce account models it reads) run
    alone with every discount reducing MRR and crm_source salesforce."""
    database = tmp_path_factory.mktemp("legacy") / "wh.duckdb"
    shutil.copy(built, database)
    with duckdb.connect(str(database)) as con:
        con.execute('create table stripe.plan as select id, product_id, currency, nickname, '
                    'billing_scheme, recurring_interval as "interval", '
                    "recurring_interval_count as interval_count, "
                    "recurring_usage_type as usage_type, unit_amount as amount "
                    "from stripe.price")  # fmt: skip
        con.execute("create table stripe.subscription as select * exclude (_fivetran_active) "
                    "from stripe.subscription_history where _fivetran_active")  # fmt: skip
        con.execute("drop table stripe.price")
        con.execute("drop table stripe.subscription_history")
        con.execute("alter table stripe.invoice_line_item rename column price_id to plan_id")
        # an older sync without the flattened status transitions: paid_at stays empty
        con.execute("alter table stripe.invoice drop column status_transitions_paid_at")
        # Salesforce's required tables; two accounts with segment, industry and region
        con.execute("create schema salesforce")
        con.execute("create table salesforce.account (id varchar, name varchar, "
                    "is_deleted boolean, segment__c varchar, industry varchar, "
                    "region__c varchar)")  # fmt: skip
        con.execute("insert into salesforce.account values "
                    "('001WEEK', 'Week Ltd', false, 'Mid Market', 'Retail', 'EMEA'), "
                    "('001JP', 'JP KK', false, 'SMB', 'Other', 'NA')")  # fmt: skip
        con.execute("create table salesforce.opportunity (id varchar, account_id varchar, "
                    "type varchar, stage_name varchar, created_date timestamp, "
                    "close_date date, owner_id varchar, is_won boolean, is_closed boolean, "
                    "is_deleted boolean, amount double)")  # fmt: skip
        con.execute("create table salesforce.opportunity_history (id varchar, "
                    "opportunity_id varchar, stage_name varchar, amount double, "
                    "close_date date, created_date timestamp, is_deleted boolean)")  # fmt: skip
        con.execute('create table salesforce."user" (id varchar, name varchar)')
    adapter = (
        "path:models/sources/stripe base_salesforce__account_customers base_salesforce__accounts"
    )
    done = _dbt(database, "run", "--select", adapter, "--vars",
                _vars(stripe_using_price=False, stripe_using_subscription_history=False,
                      discounts_reducing_mrr="all", crm_source="salesforce"))  # fmt: skip
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    return database


def test_every_discount_reduces_mrr_when_asked(legacy: Path):
    # repeating 50% for January-March: 8000 - 4000 = 4000 -> 40.00 until April 1, then 80.00
    assert _items(legacy, ITEM.format("si_repeat")) == [
        ("si_repeat@2026-01-01", "Platform", None, "flat", 1, 40, "USD", "month", 1,
         "2026-01-01", "2026-04-01"),
        ("si_repeat@2026-04-01", "Platform", None, "flat", 1, 80, "USD", "month", 1,
         "2026-04-01", None),
    ]  # fmt: skip
    # the forever coupon counts either way
    assert [row[5] for row in _items(legacy, ITEM.format("si_forever"))] == [100, 75]


def test_legacy_plan_and_subscription_tables(legacy: Path):
    # plan has no metadata column: the product's metadata decides (prod_addon: seat,
    # starter), and price_off_b's usage metadata is gone -> per_unit, quantity 1 -> flat
    assert _items(legacy, "subscription_item_id in ('si_addon_ent@2026-06-01', "
                          "'si_off_b@2026-01-01')") == [
        ("si_addon_ent@2026-06-01", "Addon", "starter", "seat", 1, 40, "USD", "month", 1,
         "2026-06-01", None),
        ("si_off_b@2026-01-01", "API", None, "flat", 1, 193.33, "USD", "month", 1,
         "2026-01-01", None),
    ]  # fmt: skip
    # everything else as with price and subscription_history: 21 versions plus the
    # repeating coupon's split, the same six-month and cancel-at-period-end rows
    assert len(_items(legacy, "true")) == 22
    ((paid, with_paid_at),) = _rows(
        legacy,
        "select count(*), count(paid_at) from staging.base_stripe__invoices where status = 'paid'",
    )
    assert paid > 0 and with_paid_at == 0
    assert [r[7:] for r in _items(legacy, "customer_id in ('cus_6m', 'cus_cancel')")] == [
        ("month", 6, "2026-01-15", None), ("month", 1, "2026-01-10", "2026-05-10"),
    ]  # fmt: skip


def test_crm_link_and_dimensions_from_salesforce(legacy: Path):
    # crm_source salesforce, stripe_crm_account_key empty: metadata salesforce_account_id
    assert _rows(legacy, "select customer_id, crm_account_id "
                         "from staging.base_stripe__customer_crm_links "
                         "where crm_account_id is not null order by 1") == [
        ("cus_inv", "001INV"), ("cus_jp", "001JP"), ("cus_week", "001WEEK"),
    ]  # fmt: skip
    # cus_jp's metadata beats its account; cus_week takes 001WEEK's fields; 001INV is no
    # Salesforce account: nothing to take
    assert _rows(legacy, "select customer_id, segment, industry, region "
                         "from staging.base_stripe__customers "
                         "where customer_id in ('cus_inv', 'cus_jp', 'cus_week') "
                         "order by 1") == [
        ("cus_inv", None, None, None),
        ("cus_jp", "Enterprise", "Software", "APAC"),
        ("cus_week", "Mid Market", "Retail", "EMEA"),
    ]  # fmt: skip


def test_a_missing_required_table_stops_the_run_naming_it(built: Path, tmp_path: Path):
    database = tmp_path / "wh.duckdb"
    shutil.copy(built, database)
    with duckdb.connect(str(database)) as con:
        con.execute("drop table stripe.invoice_line_item")
    before = warehouse_fingerprint(database)
    done = _dbt(database, "build", "--vars", _vars())
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "table invoice_line_item is missing from wh.stripe" in output
    assert "billing_source is 'stripe'" in output and "stripe_schema" in output
    assert warehouse_fingerprint(database) == before  # marts unchanged


def test_a_contract_build_has_no_stripe_source_or_model(tmp_path: Path):
    """billing_source contract (the default): the stripe source and the adapter's models
    are disabled, so a contract user's manifest and docs do not change."""
    done = _dbt(tmp_path / "wh.duckdb", "ls", "--resource-type", "source", "--resource-type",
                "model", "--output", "name", "-q")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    names = done.stdout.split()
    assert "stg_billing__subscription_items" in names  # the listing is complete
    assert [name for name in names if "stripe" in name] == []


def test_a_cancellation_request_is_the_items_canceled_at(built: Path):
    """Case 6 asked on 2026-04-20 to cancel at the period end (ended 2026-05-10): its item
    carries canceled_at 2026-04-20 (so churn_recognition cancellation ends its MRR in
    April); no other subscription of the fixture has a canceled_at."""
    rows = _rows(built, "select subscription_item_id, canceled_at "
                        "from staging.base_stripe__subscription_items "
                        "where canceled_at is not null order by 1")  # fmt: skip
    assert rows == [("si_cancel@2026-01-10", "2026-04-20")]
