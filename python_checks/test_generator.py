"""Checks of the synthetic data generator against the raw data contract and its brief."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from statistics import mean

import pytest

from expansion_metrics import generator
from expansion_metrics.contract import STAGES, TABLES, TABLES_BY_NAME, normalise_enum
from expansion_metrics.generator import generate

DEMO = Path(__file__).resolve().parent.parent / "seeds" / "demo"
END_MONTH = date(2026, 10, 1)
DATA_END = date(2026, 11, 1)  # first day after END_MONTH
TIER_RANK = {"starter": 1, "professional": 2, "enterprise": 3}
OPEN = set(STAGES[:5])
FAR = date.max

Rows = list[dict[str, str]]


def read(folder: Path, table: str) -> Rows:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def day(text: str) -> date:
    return date.fromisoformat(text)


def until(item: dict[str, str]) -> date:
    return day(item["valid_to"]) if item["valid_to"] else FAR


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "set"
    generate(out, customers=300, months=36, seed=7, end_month=END_MONTH)
    return out


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate(tmp_path / name, customers=60, months=12, seed=3)
    for table in TABLES:
        first = (tmp_path / "a" / f"{table.name}.csv").read_bytes()
        assert first == (tmp_path / "b" / f"{table.name}.csv").read_bytes(), table.name
    generate(tmp_path / "c", customers=60, months=12, seed=4)
    items = "subscription_items.csv"
    assert (tmp_path / "a" / items).read_bytes() != (tmp_path / "c" / items).read_bytes()


def test_a_customer_does_not_depend_on_how_many_are_generated(tmp_path: Path) -> None:
    generate(tmp_path / "small", customers=20, months=12, seed=5)
    generate(tmp_path / "large", customers=40, months=12, seed=5)
    for table in ("customers", "subscription_items", "product_usage", "opportunities"):
        small = read(tmp_path / "small", table)
        large = read(tmp_path / "large", table)
        assert large[: len(small)] == small, table


def test_worker_processes_write_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(tmp_path / "serial", customers=30, months=12, seed=8)
    monkeypatch.setattr(generator, "PARALLEL_FROM", 1)
    monkeypatch.setattr(generator, "CHUNK", 7)
    generate(tmp_path / "parallel", customers=30, months=12, seed=8)
    for table in TABLES:
        name = f"{table.name}.csv"
        serial = (tmp_path / "serial" / name).read_bytes()
        assert serial == (tmp_path / "parallel" / name).read_bytes(), name


def test_row_counts_are_returned(tmp_path: Path) -> None:
    counts = generate(tmp_path, customers=30, months=6, seed=1, usage_granularity="month")
    assert list(counts) == [t.name for t in TABLES]
    for table, count in counts.items():
        assert count == len(read(tmp_path, table)), table


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"customers": 0}, "customers"),
        ({"months": 0}, "months"),
        ({"usage_granularity": "day"}, "usage_granularity"),
        ({"end_month": "2026-10"}, "end_month"),
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict, message: str) -> None:
    args = {"customers": 5, "months": 3, "seed": 1} | kwargs
    with pytest.raises(ValueError, match=message):
        generate(tmp_path, **args)


def test_month_granularity_has_one_usage_row_per_month_end(tmp_path: Path) -> None:
    generate(tmp_path, customers=40, months=6, seed=2, usage_granularity="month")
    for row in read(tmp_path, "product_usage"):
        assert (day(row["usage_date"]) + timedelta(days=1)).day == 1


def test_granularity_changes_only_product_usage(tmp_path: Path) -> None:
    for granularity in ("week", "month"):
        generate(
            tmp_path / granularity, customers=40, months=6, seed=2, usage_granularity=granularity
        )
    for table in TABLES:
        name = f"{table.name}.csv"
        same = (tmp_path / "week" / name).read_bytes() == (tmp_path / "month" / name).read_bytes()
        assert same == (table.name != "product_usage"), name


def test_weeks_end_on_sunday(dataset: Path) -> None:
    assert all(day(r["usage_date"]).weekday() == 6 for r in read(dataset, "product_usage"))


def test_headers_match_the_contract(dataset: Path) -> None:
    for table in TABLES:
        with (dataset / f"{table.name}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == table.column_names, table.name
        assert all(len(r) == len(table.columns) for r in rows), table.name


def test_files_use_plain_formats(dataset: Path) -> None:
    for table in TABLES:
        raw = (dataset / f"{table.name}.csv").read_bytes()
        assert b"\r" not in raw and raw.endswith(b"\n"), table.name
        for row in read(dataset, table.name):
            for column in table.columns:
                value = row[column.name]
                if column.required:
                    assert value != "", (table.name, column.name)
                if value and column.kind == "date":
                    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), (table.name, value)
                if value and column.kind in ("number", "integer"):
                    assert re.fullmatch(r"-?\d+(\.\d+)?", value), (table.name, value)
                if value and column.kind == "integer":
                    assert value.isdigit(), (table.name, value)


def test_keys_are_unique(dataset: Path) -> None:
    for table in TABLES:
        keys = [tuple(r[k] for k in table.key) for r in read(dataset, table.name)]
        assert len(keys) == len(set(keys)), table.name


def test_enum_values_are_allowed_and_canonical(dataset: Path) -> None:
    for table in TABLES:
        enums = [c for c in table.columns if c.kind == "enum"]
        for row in read(dataset, table.name):
            for column in enums:
                value = row[column.name]
                if value or column.required:
                    assert normalise_enum(value) in column.values, (table.name, value)
                    assert value in STAGES or value == normalise_enum(value), value


def test_stages_move_forward(dataset: Path) -> None:
    history: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in read(dataset, "opportunity_stage_history"):
        history[row["opportunity_id"]].append(row)
    for opp in read(dataset, "opportunities"):
        steps = sorted(history[opp["opportunity_id"]], key=lambda r: r["entered_at"])
        orders = [STAGES.index(s["stage"]) for s in steps]
        assert orders == sorted(set(orders)) and orders[0] == 0
        assert steps[-1]["stage"] == opp["stage"]
        assert steps[0]["entered_at"] == opp["created_date"]
        assert len({s["entered_at"] for s in steps}) == len(steps)


def test_valid_to_is_after_valid_from(dataset: Path) -> None:
    for item in read(dataset, "subscription_items"):
        assert until(item) > day(item["valid_from"])


def test_fx_rates_cover_every_currency_and_month(dataset: Path) -> None:
    rates = read(dataset, "fx_rates")
    currencies = {r["currency"] for r in read(dataset, "subscription_items")}
    months = {r["month"] for r in rates}
    assert len(months) == 36 and min(months) == "2023-11-01" and max(months) == "2026-10-01"
    assert {(c, m) for c in currencies | {"USD"} for m in months} <= {
        (r["currency"], r["month"]) for r in rates
    }
    assert all(float(r["rate_to_reporting"]) == 1 for r in rates if r["currency"] == "USD")


def test_open_pipeline_closes_this_quarter_or_the_next(dataset: Path) -> None:
    closes = [
        day(o["close_date"])
        for o in read(dataset, "opportunities")
        if o["opportunity_type"] == "expansion" and o["stage"] in OPEN
    ]
    assert closes and all(date(2026, 10, 1) <= d < date(2027, 4, 1) for d in closes)
    assert any(d < date(2027, 1, 1) for d in closes) and any(d >= date(2027, 1, 1) for d in closes)


def test_targets_cover_every_quarter_and_the_next(dataset: Path) -> None:
    targets = read(dataset, "expansion_targets")
    quarters = sorted({r["fiscal_quarter"] for r in targets})
    assert quarters[0] == "2023-Q4" and quarters[-1] == "2027-Q1" and len(quarters) == 14
    assert len(targets) == 14 * 3


# ---- edge cases -----------------------------------------------------------------------


def _by_customer(items: Rows) -> dict[str, Rows]:
    grouped: dict[str, Rows] = defaultdict(list)
    for item in items:
        grouped[item["customer_id"]].append(item)
    return grouped


def _successions(items: Rows) -> list[tuple[dict[str, str], dict[str, str]]]:
    """Pairs (old, new) of one customer's item versions of one product, back to back."""
    pairs = []
    for rows in _by_customer(items).values():
        starts: dict[tuple[str, str], Rows] = defaultdict(list)
        for row in rows:
            starts[(row["product"], row["valid_from"])].append(row)
        for old in rows:
            pairs += [(old, new) for new in starts[(old["product"], old["valid_to"])]]
    return pairs


def _active_spans(rows: Rows) -> list[tuple[date, date]]:
    """A customer's periods with at least one item active, back-to-back items merged."""
    spans: list[tuple[date, date]] = []
    for row in sorted(rows, key=lambda r: r["valid_from"]):
        start, end = day(row["valid_from"]), until(row)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def churn_dates(folder: Path) -> list[tuple[str, date]]:
    """(customer, day) when a customer's last active item ended, within the data."""
    return [
        (customer, end)
        for customer, rows in _by_customer(read(folder, "subscription_items")).items()
        for _, end in _active_spans(rows)
        if end < DATA_END
    ]


def _overlap(rows: Rows) -> bool:
    rows = sorted(rows, key=lambda r: r["valid_from"])
    return any(until(a) > day(b["valid_from"]) for a, b in zip(rows, rows[1:], strict=False))


def edge_cases(folder: Path) -> dict[str, bool]:
    """Each edge case of the brief and whether the data set in `folder` has it."""
    items = read(folder, "subscription_items")
    recurring = [i for i in items if i["pricing_model"] != "usage"]
    pairs = _successions(recurring)
    platform = [(a, b) for a, b in pairs if a["product"] == "platform"]
    rank = [(TIER_RANK[a["plan_tier"]], TIER_RANK[b["plan_tier"]]) for a, b in platform]
    qty = [(float(a["quantity"]), float(b["quantity"])) for a, b in platform]
    same_tier = [q for q, r in zip(qty, rank, strict=True) if r[0] == r[1]]
    by_product: dict[tuple[str, str], Rows] = defaultdict(list)
    for item in recurring:
        by_product[(item["customer_id"], item["product"])].append(item)
    change_months: dict[str, set[str]] = defaultdict(set)
    for a, _ in pairs:
        change_months[f"{a['customer_id']} {a['valid_to'][:7]}"].add(a["valid_to"])
    removals = []
    for rows in _by_customer(recurring).values():
        for row in rows:
            if row["valid_to"] and row["valid_to"] < DATA_END.isoformat():
                ends = day(row["valid_to"])
                live = [r for r in rows if day(r["valid_from"]) <= ends < until(r)]
                products = {r["product"] for r in live}
                removals.append(bool(live) and row["product"] not in products)
    usage = [i for i in items if i["pricing_model"] == "usage"]
    expansions = [o for o in read(folder, "opportunities") if o["opportunity_type"] == "expansion"]
    names = [c["customer_name"] for c in read(folder, "customers")]
    return {
        "mid-month valid_from": any(day(i["valid_from"]).day > 1 for i in items),
        "back-to-back versions": bool(pairs),
        "two changes in one month": any(len(d) > 1 for d in change_months.values()),
        "overlapping items of one product": any(_overlap(r) for r in by_product.values()),
        "churn then reactivation": any(
            len(_active_spans(rows)) > 1 for rows in _by_customer(items).values()
        ),
        "all billing intervals": {i["billing_interval"] for i in items}
        == {"day", "week", "month", "quarter", "year"},
        "billed every six months": any(
            i["billing_interval"] == "month" and i["interval_count"] == "6" for i in items
        ),
        "whole amounts in a zero-decimal currency": any(i["currency"] == "JPY" for i in items)
        and all(float(i["amount"]).is_integer() for i in items if i["currency"] == "JPY"),
        "three or more currencies": len({i["currency"] for i in items}) >= 3,
        "all pricing models": {i["pricing_model"] for i in items} == {"seat", "flat", "usage"},
        "tier upgrade": any(b > a for a, b in rank),
        "tier downgrade": any(b < a for a, b in rank),
        "upgrade with fewer seats": any(
            r[1] > r[0] and q[1] < q[0] for r, q in zip(rank, qty, strict=True)
        ),
        "seat increase": any(b > a for a, b in same_tier),
        "seat reduction": any(b < a for a, b in same_tier),
        "price change": any(
            a["plan_tier"] == b["plan_tier"]
            and a["quantity"] == b["quantity"]
            and float(b["amount"]) > float(a["amount"])
            for a, b in pairs
        ),
        "product removed while others stay": any(removals),
        "item inside one month": any(
            i["valid_to"]
            and day(i["valid_from"]).day > 1
            and i["valid_to"][:7] == i["valid_from"][:7]
            for i in items
        ),
        "usage items one per month, amounts varying": bool(usage)
        and all(
            day(i["valid_to"]) <= day(i["valid_from"][:8] + "01") + timedelta(31) for i in usage
        )
        and len({i["amount"] for i in usage}) > 10,
        "active items (empty valid_to)": any(not i["valid_to"] for i in items),
        "expansion won": any(o["stage"] == "Closed Won" for o in expansions),
        "expansion lost": any(o["stage"] == "Closed Lost" for o in expansions),
        "expansion open": any(o["stage"] in OPEN for o in expansions),
        "all opportunity types": {o["opportunity_type"] for o in read(folder, "opportunities")}
        == {"new_business", "expansion", "renewal"},
        "name with comma and quote": any("," in n and '"' in n for n in names),
    }


def assert_edge_cases(folder: Path) -> None:
    missing = [case for case, present in edge_cases(folder).items() if not present]
    assert not missing, f"{folder}: missing edge cases: {', '.join(missing)}"


def test_generated_set_has_every_edge_case(dataset: Path) -> None:
    assert_edge_cases(dataset)


def test_demo_set_has_every_edge_case() -> None:
    assert_edge_cases(DEMO)


def test_demo_set_is_what_the_generator_writes(tmp_path: Path) -> None:
    generate(tmp_path, customers=300, months=36, seed=42)
    for table in TABLES:
        name = f"{table.name}.csv"
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_demo_set_is_small() -> None:
    assert sum(p.stat().st_size for p in DEMO.glob("*.csv")) < 3_000_000
    assert {p.stem for p in DEMO.glob("*.csv")} == set(TABLES_BY_NAME)


# ---- health signals precede churn ---------------------------------------------------


def _windows(folder: Path, table: str, date_column: str) -> tuple[Rows, Rows, Rows]:
    """Rows of a table in the 60 days before a churn, the 60 days before those, and all."""
    by_customer = _by_customer(read(folder, table))
    recent, earlier = [], []
    for customer, churned in churn_dates(folder):
        for row in by_customer.get(customer, []):
            days_before = (churned - day(row[date_column])).days
            if 0 < days_before <= 60:
                recent.append(row)
            elif 60 < days_before <= 120:
                earlier.append(row)
    return recent, earlier, [r for rows in by_customer.values() for r in rows]


def test_usage_falls_before_churn(dataset: Path) -> None:
    usage = _by_customer(read(dataset, "product_usage"))
    changes = []
    for customer, churned in churn_dates(dataset):
        windows: dict[bool, list[int]] = {True: [], False: []}
        for row in usage.get(customer, []):
            days_before = (churned - day(row["usage_date"])).days
            if 0 < days_before <= 120:
                windows[days_before <= 60].append(int(row["active_users"]))
        if windows[True] and windows[False] and mean(windows[False]) > 0:
            changes.append(mean(windows[True]) / mean(windows[False]))
    assert len(changes) >= 20
    assert mean(changes) < 0.9, "active users should fall in the 60 days before churn"


def test_other_signals_turn_before_churn(dataset: Path) -> None:
    recent, _, everything = _windows(dataset, "nps_responses", "responded_at")

    def detractors(rows: Rows) -> float:
        return mean(int(r["score"]) <= 6 for r in rows)

    assert detractors(recent) > detractors(everything) + 0.2

    recent, _, everything = _windows(dataset, "invoices", "due_date")

    def unpaid(rows: Rows) -> float:
        return mean(r["status"] in ("failed", "overdue") for r in rows)

    assert unpaid(recent) > 2 * unpaid(everything)

    recent, _, everything = _windows(dataset, "support_tickets", "created_at")

    def severe(rows: Rows) -> float:
        return mean(r["priority"] in ("high", "urgent") for r in rows)

    assert severe(recent) > severe(everything) + 0.1


def test_usage_nears_the_limit_before_won_expansions(dataset: Path) -> None:
    usage = _by_customer(read(dataset, "product_usage"))
    before = []
    for opp in read(dataset, "opportunities"):
        if opp["opportunity_type"] == "expansion" and opp["stage"] == "Closed Won":
            close = day(opp["close_date"])
            before += [
                float(r["usage_quantity"]) / float(r["usage_limit"])
                for r in usage.get(opp["customer_id"], [])
                if 0 < (close - day(r["usage_date"])).days <= 30 and float(r["usage_limit"]) > 0
            ]
    assert len(before) >= 20 and mean(before) >= 0.8
