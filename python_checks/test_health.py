"""Customer health: worked cases and a back-test, through the real loader and dbt build.

Expected values are computed by hand from the definitions in the leading-indicators
issue and the weights documented in the README (usage 35, support 15, payments 15,
relationship 25, renewal 10; green >= 70, red < 40).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import build_warehouse, write_table

from expansion_metrics.generator import generate

AS_OF = "2026-06-30"


def weekly(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=7)


def worked_cases(directory: Path) -> Path:
    customers, items, usage, invoices, nps = [], [], [], [], []

    def customer(customer_id: str, segment: str = "smb", valid_to: str | None = None) -> None:
        customers.append({"customer_id": customer_id, "segment": segment})
        items.append(
            {"subscription_item_id": f"i_{customer_id}_{len(items)}", "customer_id": customer_id,
             "product": "platform", "pricing_model": "flat", "quantity": 1, "amount": 1000,
             "currency": "USD", "billing_interval": "month", "valid_from": "2025-01-01",
             "valid_to": valid_to}
        )  # fmt: skip

    def usage_rows(customer_id: str, recent: tuple[int, int], quantity: int) -> None:
        # Baseline (April 2 - May 31): 10 users, 100 key actions a week; then `recent`.
        for day in weekly(date(2026, 4, 5), date(2026, 6, 28)):
            users, actions = recent if day > date(2026, 5, 31) else (10, 100)
            usage.append(
                {"customer_id": customer_id, "usage_date": day.isoformat(),
                 "active_users": users, "key_actions": actions,
                 "usage_quantity": quantity, "usage_limit": 100}
            )  # fmt: skip

    # At 82% of the usage limit an upgrade prompt shows; at 79% it does not.
    customer("u82")
    usage_rows("u82", (10, 100), quantity=82)
    customer("u79")
    usage_rows("u79", (10, 100), quantity=79)

    # A detractor with failed payments and falling usage: usage -50% users / -60% key
    # actions -> usage 40; two failed invoices -> payments 0; NPS 3 -> relationship 30.
    # Score (35 x 40 + 15 x 0 + 25 x 30) / 75 = 28.67 -> red.
    customer("d1")
    usage_rows("d1", (5, 40), quantity=10)
    invoices += [
        {"invoice_id": f"inv{n}", "customer_id": "d1", "due_date": due, "amount": 1000,
         "currency": "USD", "status": "failed"}
        for n, due in enumerate(("2026-05-15", "2026-06-15"))
    ]  # fmt: skip
    nps.append({"response_id": "n1", "customer_id": "d1", "responded_at": "2026-06-01", "score": 3})

    # Win-back: 20 customers churn in March 2025 (2025-Q1); 3 of them return in September.
    for n in range(1, 21):
        customer(f"w{n}", segment="winback", valid_to="2025-03-15")
        if n <= 3:
            items.append(
                {"subscription_item_id": f"back{n}", "customer_id": f"w{n}",
                 "product": "platform", "pricing_model": "flat", "quantity": 1, "amount": 800,
                 "currency": "USD", "billing_interval": "month", "valid_from": "2025-09-01"}
            )  # fmt: skip

    write_table(directory, "customers", customers)
    write_table(directory, "subscription_items", items)
    write_table(directory, "product_usage", usage)
    write_table(directory, "invoices", invoices)
    write_table(directory, "nps_responses", nps)
    return directory


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    root = tmp_path_factory.mktemp("health")
    database = build_warehouse(worked_cases(root / "raw"), root / "wh.duckdb", AS_OF)
    with duckdb.connect(str(database), read_only=True) as con:
        yield con


def health(con: duckdb.DuckDBPyConnection, customer_id: str) -> dict[str, object]:
    cursor = con.execute(
        "select * from marts.mart_customer_health where customer_id = ?", [customer_id]
    )
    row = cursor.fetchone()
    assert row is not None, f"{customer_id} is not in mart_customer_health"
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def test_upgrade_prompt_at_82_pct_not_at_79_pct(marts):
    assert health(marts, "u82")["usage_limit_utilization_pct"] == pytest.approx(82.0)
    assert health(marts, "u82")["has_upgrade_prompt"] is True
    assert health(marts, "u79")["has_upgrade_prompt"] is False


def test_detractor_with_failed_payments_and_falling_usage_is_red(marts):
    row = health(marts, "d1")
    assert row["active_users_change_pct"] == pytest.approx(-50.0)
    assert row["key_actions_change_pct"] == pytest.approx(-60.0)
    assert row["is_usage_declining"] is True
    assert row["recent_payment_failures"] == 2
    assert row["is_nps_detractor"] is True
    assert row["components_present"] == "usage,payments,relationship"
    assert row["health_score"] == pytest.approx((35 * 40 + 15 * 0 + 25 * 30) / 75)
    assert row["health_status"] == "red"
    assert row["arr_at_risk"] == pytest.approx(12_000)
    assert row["play"].startswith("executive engagement")


def test_healthy_customer_with_only_usage_is_green_and_an_expansion_candidate(marts):
    row = health(marts, "u82")
    assert row["components_present"] == "usage"
    assert row["health_score"] == pytest.approx(100.0)
    assert row["health_status"] == "green"
    assert row["is_expansion_candidate"] is True  # an upgrade prompt, no open opportunity


def test_three_of_twenty_churned_customers_back_is_15_pct_winback(marts):
    row = marts.execute(
        "select churned_customers, won_back_customers, winback_rate_pct, churned_arr, "
        "recovered_arr from marts.mart_winback where churn_quarter = '2025-Q1' "
        "and segment = 'winback'"
    ).fetchone()
    assert row is not None
    churned, back, rate, churned_arr, recovered_arr = row
    assert (churned, back) == (20, 3)
    assert rate == pytest.approx(15.0)
    assert float(churned_arr) == pytest.approx(20 * 12_000)
    assert float(recovered_arr) == pytest.approx(3 * 12 * 800)


def test_back_test_red_customers_churn_or_contract_more_often_than_green(tmp_path: Path):
    """On generated data, a red month is followed by churn or contraction within three
    months more often than a green month (the generator makes signals precede churn)."""
    raw = tmp_path / "raw"
    generate(raw, customers=1500, months=24, seed=7)
    database = build_warehouse(raw, tmp_path / "wh.duckdb", "2026-10-31")
    with duckdb.connect(str(database), read_only=True) as con:
        rates = dict(
            con.execute(
                """
                with last_month as (select max(month) as month from marts.fct_mrr_movements)
                select
                    health.health_status,
                    avg(case when exists (
                        select 1 from marts.fct_mrr_movements as later
                        where later.customer_id = health.customer_id
                          and later.month > health.month
                          and later.month <= health.month + interval 3 month
                          and later.movement_type in ('churn', 'contraction')
                    ) then 1.0 else 0.0 end) as bad_outcome_rate
                from marts.fct_customer_health_monthly as health, last_month
                where health.month <= last_month.month - interval 3 month
                  and health.health_status in ('red', 'green')
                group by 1
                """
            ).fetchall()
        )
        red_months = con.execute(
            "select count(*) from marts.fct_customer_health_monthly where health_status = 'red'"
        ).fetchone()
    assert red_months is not None and red_months[0] >= 10, "too few red months to back-test"
    assert rates["red"] > rates["green"] * 1.5, rates
