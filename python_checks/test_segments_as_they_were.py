"""Segments as they were (customer_attribute_history), worked by hand.

M (monthly items, amount = MRR) pays 1,000 from November 2024 and 1,200 from 2025-06-15:
20% expansion in the trailing year. Its attribute history says smb from 2024-01-01 and
enterprise from 2025-06-15 (the customers table already says enterprise). E is
enterprise throughout at 500 (no history rows). as_of_date 2025-12-31.

- TTM NRR of December 2025: the window starts on 2025-01-01, when M was smb: the smb
  cohort is M alone, 12,000 -> 14,400 = 120%; the enterprise cohort is E alone, 6,000 ->
  6,000 = 100% (M in no enterprise cohort). Without the history, today's attributes
  would put M in the enterprise cohort: (12,000 + 6,000 -> 14,400 + 6,000) = 113.33%.
- The monthly bridge: June's 200 of expansion is smb's (June 1: still smb); from July M
  counts in enterprise. No new or churn anywhere; mart_segment_moves shows July 2025
  smb -> enterprise, 1 customer, 1,200 MRR.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import build_warehouse, write_table
from test_arr_worked_examples import RawSet

AS_OF = "2025-12-31"


def raw(directory: Path) -> Path:
    data = RawSet()
    data.customer("M", "emea", segment="enterprise")
    data.customer("E", "emea", segment="enterprise")
    monthly = {"interval": "month"}
    data.item("M", 1_000, "2024-11-01", "2025-06-15", **monthly)
    data.item("M", 1_200, "2025-06-15", **monthly)
    data.item("E", 500, "2024-11-01", **monthly)
    data.write(directory)
    history = [
        {"customer_id": "M", "valid_from": "2024-01-01", "segment": "smb",
         "industry": "other", "region": "emea"},
        {"customer_id": "M", "valid_from": "2025-06-15", "segment": "Enterprise",
         "industry": "other", "region": "emea"},
    ]  # fmt: skip
    write_table(directory, "customer_attribute_history", history)
    return directory


def test_a_customer_moving_segment_stays_in_its_starting_cohort(tmp_path: Path):
    database = build_warehouse(raw(tmp_path / "raw"), tmp_path / "wh.duckdb", AS_OF)
    with duckdb.connect(str(database), read_only=True) as con:
        cohorts = {
            value: (float(start), float(end), nrr, customers)
            for value, start, end, nrr, customers in con.execute(
                "select dimension_value, starting_arr, ending_arr, nrr_pct, starting_customers "
                "from marts.mart_nrr where month = '2025-12-01' and window_months = 12 "
                "and dimension = 'segment'"
            ).fetchall()
        }
        total = con.execute(
            "select nrr_pct from marts.mart_nrr where month = '2025-12-01' "
            "and window_months = 12 and dimension = 'all'"
        ).fetchone()
        bridge = {
            (str(month), value): (float(start), float(expansion), float(new), float(churn))
            for month, value, start, expansion, new, churn in con.execute(
                "select month, dimension_value, starting_mrr, expansion_mrr, new_mrr, "
                "churned_mrr from marts.mart_expansion where dimension = 'segment' "
                "and month in ('2025-06-01', '2025-07-01')"
            ).fetchall()
        }
        moves = con.execute(
            "select month, dimension, from_value, to_value, moved_customers, moved_mrr "
            "from marts.mart_segment_moves order by all"
        ).fetchall()
    assert cohorts == {
        "smb": (12_000.0, 14_400.0, pytest.approx(120.0), 1),
        "enterprise": (6_000.0, 6_000.0, pytest.approx(100.0), 1),
    }
    assert total == (pytest.approx(20_400 / 18_000 * 100),)
    assert bridge == {
        ("2025-06-01", "smb"): (1_000.0, 200.0, 0.0, 0.0),
        ("2025-06-01", "enterprise"): (500.0, 0.0, 0.0, 0.0),
        ("2025-07-01", "enterprise"): (1_700.0, 0.0, 0.0, 0.0),
    }
    assert [(str(m), d, f, t, n, float(mrr)) for m, d, f, t, n, mrr in moves] == [
        ("2025-07-01", "segment", "smb", "enterprise", 1, 1_200.0)
    ]
