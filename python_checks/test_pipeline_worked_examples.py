"""Expansion pipeline coverage worked examples, through the real loader and dbt build.

Three segments each need $100K of expansion in 2026-Q1 and hold $350K, $180K and $270K
of open expansion pipeline on as_of_date 2026-02-15. Expected values are computed by
hand from the definitions in the pipeline issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import build_warehouse, write_table

AS_OF = "2026-02-15"


def raw_files(directory: Path) -> Path:
    write_table(
        directory,
        "customers",
        [{"customer_id": f"c_{s}", "segment": s, "created_at": "2025-01-01"} for s in "abc"],
    )
    targets = [{"fiscal_quarter": "2026-Q1", "segment": s, "target_arr": 100_000} for s in "abc"]
    write_table(directory, "expansion_targets", targets)
    # EUR converts at its latest rate on or before as_of_date (1.25); March's 1.50 is later.
    write_table(
        directory,
        "fx_rates",
        [
            {"currency": "EUR", "month": "2026-01-01", "rate_to_reporting": 1.25},
            {"currency": "EUR", "month": "2026-03-01", "rate_to_reporting": 1.50},
        ],
    )
    deals = [
        ("a1", "c_a", "expansion", 350_000, "USD"),
        ("a2", "c_a", "renewal", 5_000_000, "USD"),  # renewals never count
        ("a3", "c_a", "new_business", 900_000, "USD"),  # nor new business
        ("b1", "c_b", "expansion", 180_000, "USD"),
        ("c1", "c_c", "expansion", 170_000, "USD"),
        ("c2", "c_c", "expansion", 80_000, "EUR"),  # 80,000 x 1.25 = 100,000 USD
    ]
    write_table(
        directory,
        "opportunities",
        [
            {"opportunity_id": oid, "customer_id": cid, "opportunity_type": kind,
             "expansion_type": "upsell" if kind == "expansion" else None,
             "stage": "Qualified", "amount": amount, "currency": currency,
             "created_date": "2026-01-05", "close_date": "2026-03-20"}
            for oid, cid, kind, amount, currency in deals
        ],
    )  # fmt: skip
    history = []
    for oid, *_ in deals:
        history += [
            {"opportunity_id": oid, "stage": "Identified", "entered_at": "2026-01-05"},
            {"opportunity_id": oid, "stage": "Qualified", "entered_at": "2026-02-01"},
        ]
    write_table(directory, "opportunity_stage_history", history)
    return directory


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    root = tmp_path_factory.mktemp("pipeline")
    database = build_warehouse(raw_files(root / "raw"), root / "wh.duckdb", AS_OF)
    with duckdb.connect(str(database), read_only=True) as con:
        yield con


def coverage(con: duckdb.DuckDBPyConnection, segment: str, kind: str = "current"):
    cursor = con.execute(
        "select * from marts.mart_pipeline_coverage where fiscal_quarter = '2026-Q1' "
        "and segment = ? and snapshot_kind = ?",
        [segment, kind],
    )
    row = cursor.fetchone()
    assert row is not None, f"no coverage row for {segment} {kind}"
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


@pytest.mark.parametrize(
    ("segment", "pipeline", "ratio", "status"),
    [("a", 350_000, 3.5, "healthy"), ("b", 180_000, 1.8, "alert"), ("c", 270_000, 2.7, "watch")],
)
def test_coverage_ratio_and_status(marts, segment, pipeline, ratio, status):
    row = coverage(marts, segment)
    assert str(row["as_of_date"]) == AS_OF
    assert row["target_arr"] == pytest.approx(100_000)
    assert float(row["open_pipeline_arr"]) == pytest.approx(pipeline, abs=0.01)
    assert float(row["qualified_arr"]) == pytest.approx(pipeline, abs=0.01)
    assert row["coverage_ratio"] == pytest.approx(ratio, abs=1e-9)
    assert row["remaining_coverage_ratio"] == pytest.approx(ratio, abs=1e-9)  # nothing won yet
    assert row["coverage_status"] == status


def test_renewal_and_new_business_change_nothing(marts):
    # Segment a holds a $5M renewal and a $900K new-business deal besides its $350K expansion.
    assert float(coverage(marts, "a")["open_pipeline_arr"]) == pytest.approx(350_000, abs=0.01)
    ids = {
        r[0] for r in marts.execute("select opportunity_id from marts.fct_opportunities").fetchall()
    }
    assert ids == {"a1", "b1", "c1", "c2"}


def test_deal_in_another_currency_is_converted(marts):
    arr, local, currency = marts.execute(
        "select arr, arr_local, currency from marts.fct_opportunities where opportunity_id = 'c2'"
    ).fetchone()
    assert (float(arr), local, currency) == (pytest.approx(100_000), 80_000, "EUR")


def test_total_row_sums_the_segments(marts):
    row = coverage(marts, "all")
    assert row["target_arr"] == pytest.approx(300_000)
    assert float(row["open_pipeline_arr"]) == pytest.approx(800_000, abs=0.01)
    assert row["coverage_ratio"] == pytest.approx(800 / 300, abs=1e-9)
    assert row["coverage_status"] == "watch"


def test_quarter_start_snapshot_sees_only_what_existed_then(marts):
    # On 2026-01-01 none of the deals (created 2026-01-05) existed yet.
    row = coverage(marts, "a", kind="quarter_start")
    assert str(row["as_of_date"]) == "2026-01-01"
    assert float(row["open_pipeline_arr"]) == 0
    assert row["coverage_status"] == "alert"
