"""Billing policies through the real loader and dbt build, values computed by hand.

Customers with one monthly flat USD item each unless said otherwise, as of 2025-12-31
(reporting months January to December 2025):

- `trial`: from 2025-03-10 with trial_end 2025-04-10, 100 a month. Trial months never
  count (Stripe's rule: a trial is not MRR): nothing in March, `new` 100 in April.
- `coupon`: a forever coupon, list 100, billed 80, no discount_end: MRR 80 from January
  under both discount policies used here (Stripe counts forever coupons), discount 20.
- `intro`: list 100, billed 50 until discount_end 2025-06-01. permanent_only (default):
  100 every month and no expansion when the discount ends; all: 50 January to May, 100
  from June (June's last day is on or after discount_end): `price` expansion of 50 in
  June. discount_mrr 50 January to May, 0 from June, under either.
- `cancel`: 2025-01-01 to valid_to 2025-09-01, canceled_at 2025-06-15. service_end
  (default): counted through August (August 31 is before valid_to), churned 100 in
  September; cancellation: MRR stops at the end of June, churned 100 in June.
- `lapsed`: a trial from 2025-05-05 to trial_end 2025-06-05 whose item ends on
  2025-06-01: never MRR, and a trial that did not convert.

- `seats`: GitLab's example, 10 seats at 1,200 ARR per seat (an annual item of 12,000,
  MRR 1,000) becoming 15 seats at 1,300 per seat on 2025-05-01 (19,500 a year, MRR
  1,625): +7,500 ARR in May = 6,000 of seat (MRR 500) + 1,500 of price (MRR 125).

- `leaving`: 100 a month from 2025-01-01, canceled_at 2025-12-10, valid_to 2026-03-01.
  service_end: still counted in December, scheduled churn 12 x 100 = 1,200 ARR on its
  current-state row (mart_customer_health); cancellation: churned in December, so no
  current-state row.

- `euro`: 100 EUR a month from 2025-01-01, never changed, while the EUR rate moves every
  month (EUR_RATES). latest (default): every month at December's rate, so MRR is flat,
  fx_impact_mrr 0. historical: month m is 100 x m's rate; no expansion or contraction
  in any month, fx_impact_mrr = 100 x (m's rate - the month before's) from February, 0
  in January (new); mart_nrr's one-month December row carries 12 x December's.

- `unpaid`: 100 a month from 2025-01-01 with an invoice due 2025-11-20, still unpaid
  (overdue). Default: payment status never changes MRR. past_due_churn_days 7: on
  November 30 it is 10 days past due -> 0 MRR in November, delinquent churn of 100
  (voluntary 0), and nothing after (still unpaid as of 2025-12-31).
- `paidlate`: the same with its invoice due 2025-11-25 and paid 2025-12-05 (10 days
  late): paid by as_of_date, so November is restated: active every month, no churn.

mart_trial_conversion (total rows): March 1 start; April 1 decided, 1 converted (100%);
May 1 start; June 1 decided, 0 converted (0%).

The default build and one with churn_recognition cancellation, discounts_in_mrr all,
fx_rate_policy historical and past_due_churn_days 7 (OTHER); and that build refreshed
after `unpaid` pays its invoice on 2025-12-15.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import build_warehouse, write_table
from test_incremental import contents
from test_refresh_windows import assert_same

AS_OF = "2025-12-31"
MONTHS = [f"2025-{m:02d}-01" for m in range(1, 13)]
EUR_RATES = ["1.10", "1.20", "1.05", "1.05", "1.10", "1.15", "1.10", "1.00", "1.05", "1.10",
             "1.20", "1.25"]  # fmt: skip


def item(customer: str, **fields: object) -> dict[str, object]:
    return {"subscription_item_id": customer, "customer_id": customer, "product": "platform",
            "pricing_model": "flat", "quantity": 1, "currency": "USD",
            "billing_interval": "month", **fields}  # fmt: skip


def raw_set(directory: Path, unpaid_paid_at: str | None = None) -> Path:
    """The customers above; with `unpaid_paid_at`, `unpaid` has paid its invoice then."""
    customers = ["trial", "coupon", "intro", "cancel", "lapsed", "seats", "leaving", "euro",
                 "unpaid", "paidlate"]  # fmt: skip
    write_table(directory, "customers", [
        {"customer_id": c, "customer_name": c, "segment": "smb", "created_at": "2025-01-01"}
        for c in customers
    ])  # fmt: skip
    write_table(directory, "subscription_items", [
        item("trial", amount=100, valid_from="2025-03-10", trial_end="2025-04-10"),
        item("coupon", amount=80, list_amount=100, valid_from="2025-01-01"),
        item("intro", amount=50, list_amount=100, discount_end="2025-06-01",
             valid_from="2025-01-01"),
        item("cancel", amount=100, valid_from="2025-01-01", valid_to="2025-09-01",
             canceled_at="2025-06-15"),
        item("lapsed", amount=100, valid_from="2025-05-05", valid_to="2025-06-01",
             trial_end="2025-06-05"),
        {**item("seats", amount=12_000, valid_from="2025-01-01", valid_to="2025-05-01",
                pricing_model="seat", quantity=10, billing_interval="year"),
         "subscription_item_id": "seats_10"},
        {**item("seats", amount=19_500, valid_from="2025-05-01", pricing_model="seat",
                quantity=15, billing_interval="year"), "subscription_item_id": "seats_15"},
        item("leaving", amount=100, valid_from="2025-01-01", valid_to="2026-03-01",
             canceled_at="2025-12-10"),
        item("euro", amount=100, currency="EUR", valid_from="2025-01-01"),
        item("unpaid", amount=100, valid_from="2025-01-01"),
        item("paidlate", amount=100, valid_from="2025-01-01"),
    ])  # fmt: skip
    write_table(directory, "invoices", [
        {"invoice_id": "inv_unpaid", "customer_id": "unpaid", "due_date": "2025-11-20",
         "amount": 100, "currency": "USD", "status": "paid" if unpaid_paid_at else "overdue",
         "paid_at": unpaid_paid_at},
        {"invoice_id": "inv_paidlate", "customer_id": "paidlate", "due_date": "2025-11-25",
         "amount": 100, "currency": "USD", "status": "paid", "paid_at": "2025-12-05"},
    ])  # fmt: skip
    write_table(directory, "fx_rates", [
        {"currency": "EUR", "month": month, "rate_to_reporting": rate}
        for month, rate in zip(MONTHS, EUR_RATES, strict=True)
    ])  # fmt: skip
    return directory


Rows = dict[tuple[str, str], dict[str, object]]
OTHER = {"churn_recognition": "cancellation", "discounts_in_mrr": "all",
         "fx_rate_policy": "historical", "past_due_churn_days": 7}  # fmt: skip


def bridge(database: Path) -> Rows:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(
            "select cast(month as varchar) as month, customer_id, movement_type, new_mrr, "
            "expansion_mrr, contraction_mrr, seat_mrr, price_mrr, churned_mrr, ending_mrr, "
            "discount_mrr, fx_impact_mrr, voluntary_churned_mrr, delinquent_churned_mrr "
            "from marts.fct_mrr_movements"
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {(str(r["customer_id"]), str(r["month"])): r for r in rows}


def trials(database: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "select cast(month as varchar), trial_starts, trials_decided, trial_conversions, "
            "trial_conversion_rate_pct from marts.mart_trial_conversion "
            "where dimension = 'all' order by month"
        ).fetchall()


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("billing_policies")
    raw = raw_set(root / "raw")
    default = build_warehouse(raw, root / "default.duckdb", AS_OF)
    other = build_warehouse(raw, root / "other.duckdb", AS_OF, variables=OTHER)
    return {"default": default, "other": other}


@pytest.fixture(scope="module")
def builds(warehouses: dict[str, Path]) -> dict[str, Rows]:
    return {name: bridge(database) for name, database in warehouses.items()}


def months_of(rows: Rows, customer: str) -> list[str]:
    return sorted(month for c, month in rows if c == customer)


@pytest.mark.parametrize("build", ["default", "other"])
def test_trial_months_are_not_mrr(builds, build):
    rows = builds[build]
    assert months_of(rows, "trial") == MONTHS[3:]
    first = rows[("trial", "2025-04-01")]
    assert (first["movement_type"], first["new_mrr"]) == ("new", 100)


@pytest.mark.parametrize("build", ["default", "other"])
def test_a_forever_coupon_counts_net(builds, build):
    rows = builds[build]
    assert months_of(rows, "coupon") == MONTHS
    coupon = [rows[("coupon", month)] for month in MONTHS]
    assert {(r["ending_mrr"], r["discount_mrr"]) for r in coupon} == {(80, 20)}


def test_a_temporary_discount_ending_is_not_expansion_by_default(builds):
    rows = builds["default"]
    intro = [rows[("intro", month)] for month in MONTHS]
    assert [r["ending_mrr"] for r in intro] == [100] * 12
    assert [r["expansion_mrr"] for r in intro] == [0] * 12
    assert [r["discount_mrr"] for r in intro] == [50] * 5 + [0] * 7


def test_a_temporary_discount_ending_is_price_expansion_when_all_discounts_count(builds):
    rows = builds["other"]
    intro = [rows[("intro", month)] for month in MONTHS]
    assert [r["ending_mrr"] for r in intro] == [50] * 5 + [100] * 7
    june = rows[("intro", "2025-06-01")]
    assert (june["movement_type"], june["expansion_mrr"], june["price_mrr"]) == (
        "expansion", 50, 50)  # fmt: skip
    assert [r["discount_mrr"] for r in intro] == [50] * 5 + [0] * 7


def test_churn_at_service_end_by_default(builds):
    rows = builds["default"]
    assert months_of(rows, "cancel") == MONTHS[:9]
    september = rows[("cancel", "2025-09-01")]
    assert (september["movement_type"], september["churned_mrr"]) == ("churn", 100)
    assert rows[("cancel", "2025-08-01")]["ending_mrr"] == 100


def test_churn_in_the_month_of_the_cancellation_request(builds):
    rows = builds["other"]
    assert months_of(rows, "cancel") == MONTHS[:6]
    june = rows[("cancel", "2025-06-01")]
    assert (june["movement_type"], june["churned_mrr"], june["ending_mrr"]) == ("churn", 100, 0)


@pytest.mark.parametrize("build", ["default", "other"])
def test_trial_starts_and_conversions(warehouses, build):
    assert months_of(bridge(warehouses[build]), "lapsed") == []
    assert trials(warehouses[build]) == [
        ("2025-03-01", 1, 0, 0, None),
        ("2025-04-01", 0, 1, 1, 100.0),
        ("2025-05-01", 1, 0, 0, None),
        ("2025-06-01", 0, 1, 0, 0.0),
    ]


@pytest.mark.parametrize("build", ["default", "other"])
def test_seat_and_price_parts_of_the_gitlab_example(builds, build):
    may = builds[build][("seats", "2025-05-01")]
    arr = {k: 12 * may[k] for k in ("expansion_mrr", "seat_mrr", "price_mrr")}
    assert arr == {"expansion_mrr": 7_500, "seat_mrr": 6_000, "price_mrr": 1_500}


def test_scheduled_churn_on_the_current_state(warehouses):
    query = ("select customer_id, scheduled_churn_arr from marts.mart_customer_health "
             "where scheduled_churn_arr != 0")  # fmt: skip
    with duckdb.connect(str(warehouses["default"]), read_only=True) as con:
        assert con.execute(query).fetchall() == [("leaving", 1200)]
    with duckdb.connect(str(warehouses["other"]), read_only=True) as con:
        assert con.execute(query).fetchall() == []
        current = con.execute("select count(*) from marts.mart_customer_health "
                              "where customer_id = 'leaving'").fetchone()  # fmt: skip
    assert current == (0,)
    assert months_of(bridge(warehouses["other"]), "leaving")[-1] == "2025-12-01"


def test_a_currency_swing_is_flat_at_constant_currency(builds):
    euro = [builds["default"][("euro", month)] for month in MONTHS]
    assert [r["ending_mrr"] for r in euro] == [100 * Decimal(EUR_RATES[-1])] * 12
    assert [r["movement_type"] for r in euro] == ["new"] + ["flat"] * 11
    assert {(r["expansion_mrr"], r["contraction_mrr"], r["fx_impact_mrr"]) for r in euro} == {
        (0, 0, 0)
    }


def test_a_currency_swing_is_fx_impact_under_historical_rates(builds, warehouses):
    euro = [builds["other"][("euro", month)] for month in MONTHS]
    rates = [Decimal(rate) for rate in EUR_RATES]
    assert [r["ending_mrr"] for r in euro] == [100 * rate for rate in rates]
    assert [r["movement_type"] for r in euro] == ["new"] + ["flat"] * 11
    assert {(r["expansion_mrr"], r["contraction_mrr"]) for r in euro} == {(0, 0)}
    assert [r["fx_impact_mrr"] for r in euro] == [0] + [
        100 * (rate - before) for before, rate in zip(rates, rates[1:], strict=False)
    ]
    with duckdb.connect(str(warehouses["other"]), read_only=True) as con:
        december = con.execute(
            "select fx_impact_arr, nrr_pct from marts.mart_nrr where month = '2025-12-01' "
            "and window_months = 1 and dimension = 'all'"
        ).fetchone()
    assert december[0] == 12 * 100 * (rates[-1] - rates[-2])


def test_an_unpaid_invoice_is_delinquent_churn_only_when_asked(builds):
    default, other = builds["default"], builds["other"]
    assert months_of(default, "unpaid") == MONTHS
    assert months_of(other, "unpaid") == MONTHS[:11]
    november = other[("unpaid", "2025-11-01")]
    assert (november["movement_type"], november["churned_mrr"],
            november["voluntary_churned_mrr"], november["delinquent_churned_mrr"]) == (
        "churn", 100, 0, 100)  # fmt: skip
    assert other[("unpaid", "2025-10-01")]["ending_mrr"] == 100


@pytest.mark.parametrize("build", ["default", "other"])
def test_an_invoice_paid_by_as_of_date_restates_its_months(builds, build):
    rows = builds[build]
    assert months_of(rows, "paidlate") == MONTHS
    assert {rows[("paidlate", m)]["ending_mrr"] for m in MONTHS} == {100}
    assert [rows[("paidlate", m)]["movement_type"] for m in MONTHS] == ["new"] + ["flat"] * 11


def test_a_voluntary_churn_is_not_delinquent(builds):
    september = builds["default"][("cancel", "2025-09-01")]
    assert (september["voluntary_churned_mrr"], september["delinquent_churned_mrr"]) == (100, 0)


def test_paying_restates_the_delinquent_months_in_an_incremental_refresh(warehouses, tmp_path):
    """`unpaid` pays its invoice on 2025-12-15 (by as_of_date): a refresh of the OTHER
    build restates November, so `unpaid` is 100 every month with no churn of either
    kind, and the refreshed marts equal a full build of the same raw data."""
    refreshed = tmp_path / "refreshed.duckdb"
    shutil.copyfile(warehouses["other"], refreshed)
    raw = raw_set(tmp_path / "paid", unpaid_paid_at="2025-12-15")
    rows = bridge(build_warehouse(raw, refreshed, AS_OF, variables=OTHER))
    assert months_of(rows, "unpaid") == MONTHS
    assert [rows[("unpaid", m)]["movement_type"] for m in MONTHS] == ["new"] + ["flat"] * 11
    assert {rows[("unpaid", m)]["ending_mrr"] for m in MONTHS} == {100}
    assert {r["delinquent_churned_mrr"] for r in rows.values()} == {0}
    full = build_warehouse(raw, tmp_path / "full.duckdb", AS_OF, data_tests=False,
                           variables=OTHER)  # fmt: skip
    assert_same(contents(refreshed), contents(full), "after the invoice was paid")
