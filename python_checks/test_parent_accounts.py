"""Retention at the parent account (var retention_grain), worked by hand.

Parent account P (enterprise, no items of its own) has two subsidiaries, S1 and S2
(smb). Monthly items, amount = MRR: S1 1,000 and S2 500 from November 2024; in June 2025
S1 cancels and S2 takes over its seats (1,500). T, a customer without parent, is 100
throughout. as_of_date 2025-12-31; the trailing twelve months ending December 2025.

- Parent grain: P is 1,500 in December 2024 and 1,500 in December 2025, T 100 and 100:
  NRR = GRR = 1,600 / 1,600 = 100%, no churn and no expansion anywhere, logo retention
  2 / 2 = 100%; P counts in segment enterprise (its own attributes), ARR 18,000.
- Customer grain: S1's 1,000 churns (12,000 ARR) and S2 expands by 1,000 (12,000 ARR):
  NRR = (1,600 - 1,000 + 1,000) / 1,600 = 100%, GRR = 600 / 1,600 = 37.5%, logo
  retention 2 / 3 = 66.67%; the segment is smb.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import build_warehouse, write_table
from test_arr_worked_examples import RawSet

AS_OF = "2025-12-31"
DEC = "2025-12-01"


def hierarchy() -> RawSet:
    raw = RawSet()
    raw.customer("P", "na", segment="enterprise")
    for subsidiary in ("S1", "S2"):
        raw.customer(subsidiary, "na")
    raw.customer("T", "na")
    parents = {"S1": "P", "S2": "P"}
    for row in raw.customers:
        row["parent_customer_id"] = parents.get(str(row["customer_id"]))
    monthly = {"interval": "month"}
    raw.item("S1", 1_000, "2024-11-01", "2025-06-01", **monthly)
    raw.item("S2", 500, "2024-11-01", "2025-06-01", **monthly)
    raw.item("S2", 1_500, "2025-06-01", **monthly)
    raw.item("T", 100, "2024-11-01", **monthly)
    return raw


def ttm(con: duckdb.DuckDBPyConnection, dimension: str, value: str) -> dict:
    cursor = con.execute(
        "select starting_customers, retained_customers, starting_arr, expansion_arr, "
        "churned_arr, ending_arr, nrr_pct, grr_pct, logo_retention_pct from marts.mart_nrr "
        "where month = ? and window_months = 12 and dimension = ? and dimension_value = ?",
        [DEC, dimension, value],
    )
    rows = cursor.fetchall()
    assert len(rows) == 1, (dimension, value, rows)
    return dict(zip([c[0] for c in cursor.description], rows[0], strict=True))


@pytest.mark.parametrize("grain", ["parent", "customer"])
def test_a_move_between_subsidiaries_is_no_churn_at_the_parent(tmp_path: Path, grain: str):
    # The data tests at the parent grain only (the hierarchy's own tests among them);
    # every other build of the suite runs them at the customer grain.
    raw = hierarchy().write(tmp_path / "raw")
    # Both subsidiaries used the product on one day: at the parent grain that is the
    # parent's day, 3 + 4 = 7 active users (one row per customer and day either way).
    write_table(raw, "product_usage", [
        {"customer_id": "S1", "usage_date": "2025-12-10", "active_users": 3},
        {"customer_id": "S2", "usage_date": "2025-12-10", "active_users": 4},
    ])  # fmt: skip
    database = build_warehouse(
        raw, tmp_path / "wh.duckdb", AS_OF,
        data_tests=grain == "parent", variables={"retention_grain": grain},
    )  # fmt: skip
    with duckdb.connect(str(database), read_only=True) as con:
        total = ttm(con, "all", "all")
        customers = [c for (c,) in con.execute(
            "select distinct customer_id from marts.fct_mrr_movements order by 1"
        ).fetchall()]  # fmt: skip
        june = con.execute(
            "select sum(churned_mrr), sum(expansion_mrr), sum(new_mrr) "
            "from marts.fct_mrr_movements where month = '2025-06-01'"
        ).fetchone()
        usage = con.execute(
            "select customer_id, active_users from staging.stg_product__product_usage order by 1"
        ).fetchall()
        grain_setting = con.execute(
            "select retention_grain from marts.mart_reporting_settings"
        ).fetchone()
        if grain == "parent":
            enterprise = ttm(con, "segment", "enterprise")
            smb_rows = con.execute(
                "select count(*) from marts.mart_nrr where dimension = 'segment' "
                "and dimension_value = 'smb' and window_months = 12 and month = ?",
                [DEC],
            ).fetchone()
    assert grain_setting == (grain,)
    assert float(total["starting_arr"]) == 19_200 and float(total["ending_arr"]) == 19_200
    assert total["nrr_pct"] == pytest.approx(100.0)
    assert usage == ([("P", 7)] if grain == "parent" else [("S1", 3), ("S2", 4)])
    if grain == "parent":
        assert customers == ["P", "T"]
        assert tuple(float(v) for v in june) == (0.0, 0.0, 0.0)
        assert (total["starting_customers"], total["retained_customers"]) == (2, 2)
        assert float(total["churned_arr"]) == 0 and float(total["expansion_arr"]) == 0
        assert total["grr_pct"] == pytest.approx(100.0)
        assert total["logo_retention_pct"] == pytest.approx(100.0)
        assert float(enterprise["starting_arr"]) == 18_000
        assert enterprise["nrr_pct"] == pytest.approx(100.0)
        assert smb_rows == (1,)  # T alone
    else:
        assert customers == ["S1", "S2", "T"]
        assert tuple(float(v) for v in june) == (1_000.0, 1_000.0, 0.0)
        assert (total["starting_customers"], total["retained_customers"]) == (3, 2)
        assert float(total["churned_arr"]) == 12_000 and float(total["expansion_arr"]) == 12_000
        assert total["grr_pct"] == pytest.approx(37.5)
        assert total["logo_retention_pct"] == pytest.approx(200 / 3)
