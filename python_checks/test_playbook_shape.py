"""The playbook-shaped benchmark data is honest: the raw contract files hold exactly the
periods of the mrr-playbook's CSV, in the shape the benchmark claims (one product, USD,
about 1.3 whole-month periods per customer within the 36 months ending at the bench's
as_of month), and the loader accepts them. No dbt build: this reads the files."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from expansion_metrics.bench import AS_OF_DATE, write_playbook_shape
from expansion_metrics.loader import load

CUSTOMERS = 400
MONTHS = 36


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def shape(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    folder = tmp_path_factory.mktemp("playbook_shape")
    return folder, write_playbook_shape(folder, CUSTOMERS, MONTHS)


def test_contract_items_are_the_playbook_periods(shape: tuple[Path, int]) -> None:
    folder, periods = shape
    playbook = _rows(folder / "subscription_periods.csv")
    items = _rows(folder / "contract" / "subscription_items.csv")
    customers = _rows(folder / "contract" / "customers.csv")
    assert list(playbook[0]) == [
        "subscription_id", "customer_id", "start_date", "end_date", "monthly_amount"
    ]  # fmt: skip
    assert len(playbook) == len(items) == periods
    # the same periods, read independently from each file
    theirs = Counter(
        (p["subscription_id"], p["customer_id"], p["start_date"], p["end_date"],
         float(p["monthly_amount"]))
        for p in playbook
    )  # fmt: skip
    ours = Counter(
        (i["subscription_id"], i["customer_id"], i["valid_from"], i["valid_to"], float(i["amount"]))
        for i in items
    )
    assert ours == theirs
    # one flat monthly USD item of one product per period, billed every month
    kinds = {
        (i["product"], i["currency"], i["billing_interval"], i["interval_count"]) for i in items
    }
    assert kinds == {("platform", "USD", "month", "1")}
    assert {i["pricing_model"] for i in items} == {"flat"}
    assert len({i["subscription_item_id"] for i in items}) == len(items)
    # every customer with periods has one customers.csv row, and no other
    assert sorted(c["customer_id"] for c in customers) == sorted(
        {p["customer_id"] for p in playbook}
    )
    assert len(customers) == CUSTOMERS


def test_periods_have_the_playbook_shape(shape: tuple[Path, int]) -> None:
    folder, _ = shape
    playbook = _rows(folder / "subscription_periods.csv")
    per_customer = len(playbook) / len({p["customer_id"] for p in playbook})
    assert 1.2 <= per_customer <= 1.4, per_customer
    as_of = date.fromisoformat(AS_OF_DATE)
    # the 36 months ending with the as_of month (2023-11 to 2026-10 for 2026-10-31):
    # starts from its first, ends (exclusive) at the latest on the next month's first day
    first_index = as_of.year * 12 + as_of.month - MONTHS  # months since year 0, 0-based
    first = date(first_index // 12, first_index % 12 + 1, 1)
    after = date(as_of.year + as_of.month // 12, as_of.month % 12 + 1, 1)
    assert (first, after) == (date(2023, 11, 1), date(2026, 11, 1))
    by_customer: dict[str, list[tuple[date, date]]] = {}
    for p in playbook:
        start, end = date.fromisoformat(p["start_date"]), date.fromisoformat(p["end_date"])
        assert start.day == 1 and end.day == 1, p  # the playbook's tests: first of a month
        assert first <= start < end <= after, p
        assert float(p["monthly_amount"]) > 0
        by_customer.setdefault(p["customer_id"], []).append((start, end))
    # a customer has one subscription at a time (the playbook's mutually exclusive ranges)
    for ranges in by_customer.values():
        ranges.sort()
        assert all(
            end <= next_start for (_, end), (next_start, _) in zip(ranges, ranges[1:], strict=False)
        )
    # some customers are still subscribed at the as_of month, some left before it
    ends = Counter(end == after for ranges in by_customer.values() for _, end in ranges[-1:])
    assert ends[True] > 0 and ends[False] > 0


def test_the_loader_accepts_the_contract_files(shape: tuple[Path, int], tmp_path: Path) -> None:
    folder, periods = shape
    result = load(folder / "contract", tmp_path / "warehouse.duckdb")
    assert result.loaded == {"customers": CUSTOMERS, "subscription_items": periods}
