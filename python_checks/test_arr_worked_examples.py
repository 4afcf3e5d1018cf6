"""The source articles' worked examples, run through the real loader and dbt build.

All examples live in one small raw data set, each isolated in its own region (and, where
the example is about segments or industries, its own segment or industry values), so
one build serves them all. Expected values are computed by hand from the definitions in
the ARR engine issue, never read back from the models.

as_of_date is 2025-12-31: the trailing-twelve-month window ending December 2025 starts
from the cohort of customers with MRR in December 2024.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import build_warehouse, write_table

AS_OF = "2025-12-31"
DEC_2025 = "2025-12-01"


class RawSet:
    """Collects customers and subscription items, then writes the raw CSV files."""

    def __init__(self) -> None:
        self.customers: list[dict[str, object]] = []
        self.items: list[dict[str, object]] = []

    def customer(
        self, customer_id: str, region: str, segment: str = "smb", industry: str = "other"
    ) -> str:
        self.customers.append(
            {"customer_id": customer_id, "customer_name": customer_id, "segment": segment,
             "industry": industry, "region": region, "created_at": "2024-11-01"}
        )  # fmt: skip
        return customer_id

    def item(
        self,
        customer_id: str,
        amount: float,
        valid_from: str,
        valid_to: str | None = None,
        *,
        product: str = "platform",
        tier: str | None = None,
        pricing_model: str = "flat",
        quantity: int = 1,
        interval: str = "year",
    ) -> None:
        self.items.append(
            {"subscription_item_id": f"i{len(self.items) + 1}", "customer_id": customer_id,
             "product": product, "plan_tier": tier, "pricing_model": pricing_model,
             "quantity": quantity, "amount": amount, "currency": "USD",
             "billing_interval": interval, "valid_from": valid_from, "valid_to": valid_to}
        )  # fmt: skip

    def write(self, directory: Path) -> Path:
        write_table(directory, "customers", self.customers)
        write_table(directory, "subscription_items", self.items)
        return directory


def worked_examples() -> RawSet:
    raw = RawSet()

    # 1. A cohort starting the year at $1.2M ARR: +$340K expansion, -$68K downgrades,
    #    -$115K churn over the year (annual items: amount = ARR).
    x1, x2, x3 = (raw.customer(c, "ex1") for c in ("x1", "x2", "x3"))
    raw.item(x1, 685_000, "2024-12-01", "2025-06-15", tier="starter")
    raw.item(x1, 1_025_000, "2025-06-15", tier="professional")
    raw.item(x2, 400_000, "2024-12-01", "2025-03-10", tier="professional")
    raw.item(x2, 332_000, "2025-03-10", tier="starter")
    raw.item(x3, 115_000, "2024-12-01", "2025-09-01")

    # 2. $10M starting ARR, $2M expansion, $0.5M contraction, $1M churn.
    y1, y2, y3 = (raw.customer(c, "ex2") for c in ("y1", "y2", "y3"))
    raw.item(y1, 5_000_000, "2024-12-01", "2025-04-01")
    raw.item(y1, 7_000_000, "2025-04-01")
    raw.item(y2, 4_000_000, "2024-12-01", "2025-07-20")
    raw.item(y2, 3_500_000, "2025-07-20")
    raw.item(y3, 1_000_000, "2024-12-01", "2025-10-01")

    # 3. March starts at $487K MRR and adds $23K of expansion (monthly billing).
    z1 = raw.customer("z1", "ex3")
    raw.item(z1, 487_000, "2025-01-01", "2025-03-10", interval="month")
    raw.item(z1, 510_000, "2025-03-10", interval="month")

    # 4. May's expansion: $600 upsell, $300 cross-sell, $100 usage (60% / 30% / 10%).
    w1, w2, w3 = (raw.customer(c, "ex4") for c in ("w1", "w2", "w3"))
    raw.item(w1, 1_000, "2025-01-01", "2025-05-05", tier="starter", interval="month",
             pricing_model="seat", quantity=10)  # fmt: skip
    raw.item(w1, 1_600, "2025-05-05", tier="professional", interval="month",
             pricing_model="seat", quantity=10)  # fmt: skip
    raw.item(w2, 2_000, "2025-01-01", interval="month")
    raw.item(w2, 300, "2025-05-12", product="analytics", interval="month")
    raw.item(w3, 500, "2025-01-01", interval="month")
    for month, amount in (("04", 200), ("05", 300)):
        raw.item(w3, amount, f"2025-{month}-01", f"2025-{int(month) + 1:02d}-01",
                 product="api_calls", pricing_model="usage", interval="month")  # fmt: skip
    raw.item(w3, 300, "2025-06-01", product="api_calls", pricing_model="usage", interval="month")

    # 5. 120% NRR compounds $1M: $1.2M after a year, then $1.44M, $1.728M.
    v1 = raw.customer("v1", "ex5")
    raw.item(v1, 1_000_000, "2024-12-01", "2025-08-01")
    raw.item(v1, 1_200_000, "2025-08-01")

    # 6. Upsell mix: enterprise upsells are $32K ARR each, SMB upsells $4K each.
    #    June: 1 enterprise + 1 SMB upsell -> average $18K; July: 1 + 3 -> average $11K.
    upsells = [("e1", "ex6_enterprise", "06"), ("s1", "ex6_smb", "06"),
               ("e2", "ex6_enterprise", "07"), ("s2", "ex6_smb", "07"),
               ("s3", "ex6_smb", "07"), ("s4", "ex6_smb", "07")]  # fmt: skip
    for customer_id, segment, month in upsells:
        raw.customer(customer_id, "ex6", segment=segment)
        before, after = (100_000, 132_000) if segment == "ex6_enterprise" else (10_000, 14_000)
        raw.item(customer_id, before, "2025-01-01", f"2025-{month}-10", tier="starter")
        raw.item(customer_id, after, f"2025-{month}-10", tier="professional")

    # 7. Healthcare at 130% NRR, retail at 95% over the trailing twelve months.
    h1 = raw.customer("h1", "ex7", industry="healthcare")
    r1 = raw.customer("r1", "ex7", industry="retail")
    raw.item(h1, 100_000, "2024-12-01", "2025-05-01")
    raw.item(h1, 130_000, "2025-05-01")
    raw.item(r1, 100_000, "2024-12-01", "2025-05-01")
    raw.item(r1, 95_000, "2025-05-01")

    # 8. 90% logo retention with 110% NRR: one large customer expands by $119K ARR and
    #    one of nine $10K customers churns: (1,090K - 10K + 119K) / 1,090K = 110%.
    large = raw.customer("l0", "ex8")
    raw.item(large, 1_000_000, "2024-12-01", "2025-06-01")
    raw.item(large, 1_119_000, "2025-06-01")
    for n in range(1, 10):
        small = raw.customer(f"l{n}", "ex8")
        raw.item(small, 10_000, "2024-12-01", "2025-02-01" if n == 1 else None)

    # 9. Mixed pricing models inside one product (monthly items, amount = MRR): each
    #    change is classified by the item that changed, not by one model for the product.
    #    m1: seats 10 -> 15 (+500) in March while its usage add-on stays at 200: seat.
    #    m2: a flat add-on (quantity 1, 100) beside 10 seats from April: price; removed
    #    in June: price_decrease. m3: in March seats 10 -> 15 (+500) and usage 200 -> 250
    #    (+50) together: 500 seat and 50 usage; in May usage alone 250 -> 150: usage_decline.
    m1, m2, m3 = (raw.customer(c, "ex9") for c in ("m1", "m2", "m3"))
    seats = {"pricing_model": "seat", "interval": "month"}
    usage = {"pricing_model": "usage", "interval": "month"}
    flat = {"pricing_model": "flat", "interval": "month"}
    raw.item(m1, 1_000, "2024-12-01", "2025-03-01", quantity=10, **seats)
    raw.item(m1, 1_500, "2025-03-01", quantity=15, **seats)
    raw.item(m1, 200, "2024-12-01", **usage)
    raw.item(m2, 1_000, "2024-12-01", quantity=10, **seats)
    raw.item(m2, 100, "2025-04-01", "2025-06-01", quantity=1, **flat)
    raw.item(m3, 1_000, "2024-12-01", "2025-03-01", quantity=10, **seats)
    raw.item(m3, 1_500, "2025-03-01", quantity=15, **seats)
    raw.item(m3, 200, "2024-12-01", "2025-03-01", **usage)
    raw.item(m3, 250, "2025-03-01", "2025-05-01", **usage)
    raw.item(m3, 150, "2025-05-01", **usage)
    return raw


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    root = tmp_path_factory.mktemp("worked_examples")
    database = build_warehouse(worked_examples().write(root / "raw"), root / "wh.duckdb", AS_OF)
    with duckdb.connect(str(database), read_only=True) as con:
        yield con


def nrr_row(con: duckdb.DuckDBPyConnection, dimension: str, value: str, window: int = 12):
    row = con.execute(
        "select starting_arr, expansion_arr, contraction_arr, churned_arr, ending_arr, "
        "nrr_pct, grr_pct, logo_retention_pct, nrr_tier, projected_arr_1y, projected_arr_2y "
        "from marts.mart_nrr where month = ? and window_months = ? and dimension = ? "
        "and dimension_value = ?",
        [DEC_2025, window, dimension, value],
    ).fetchone()
    assert row is not None, f"no mart_nrr row for {dimension}={value}"
    names = ["starting", "expansion", "contraction", "churned", "ending", "nrr", "grr",
             "logo", "tier", "proj1", "proj2"]  # fmt: skip
    return dict(zip(names, row, strict=True))


def expansion_row(con: duckdb.DuckDBPyConnection, month: str, dimension: str, value: str):
    cursor = con.execute(
        "select * from marts.mart_expansion where month = ? and dimension = ? "
        "and dimension_value = ?",
        [month, dimension, value],
    )
    row = cursor.fetchone()
    assert row is not None, f"no mart_expansion row for {month} {dimension}={value}"
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def test_ttm_nrr_of_the_1_2m_cohort_is_113_08_not_the_articles_114(marts):
    # (1,200 + 340 - 68 - 115) / 1,200 = 1,357 / 1,200 = 113.083%. The article prints
    # 114% for these inputs: an arithmetic slip in the article (see the README).
    row = nrr_row(marts, "region", "ex1")
    assert float(row["starting"]) == pytest.approx(1_200_000, abs=0.01)
    assert float(row["expansion"]) == pytest.approx(340_000, abs=0.01)
    assert float(row["contraction"]) == pytest.approx(68_000, abs=0.01)
    assert float(row["churned"]) == pytest.approx(115_000, abs=0.01)
    assert row["nrr"] == pytest.approx(1_357 / 1_200 * 100, abs=1e-4)
    assert round(row["nrr"], 2) == 113.08
    assert row["tier"] == "strong"


def test_10m_cohort_has_105_nrr_and_85_grr(marts):
    row = nrr_row(marts, "region", "ex2")
    assert row["nrr"] == pytest.approx(105.0, abs=1e-6)
    assert row["grr"] == pytest.approx(85.0, abs=1e-6)
    assert row["tier"] == "strong"


def test_march_expansion_rate_is_4_72_pct(marts):
    row = expansion_row(marts, "2025-03-01", "region", "ex3")
    assert float(row["starting_mrr"]) == pytest.approx(487_000, abs=0.01)
    assert float(row["expansion_mrr"]) == pytest.approx(23_000, abs=0.01)
    assert round(row["expansion_rate_pct"], 2) == 4.72
    assert row["price_rate_pct"] == pytest.approx(23 / 487 * 100, abs=1e-9)


def test_expansion_split_shows_60_30_10(marts):
    row = expansion_row(marts, "2025-05-01", "region", "ex4")
    assert float(row["expansion_mrr"]) == pytest.approx(1_000, abs=0.01)
    assert row["upsell_share_pct"] == pytest.approx(60.0, abs=1e-9)
    assert row["cross_sell_share_pct"] == pytest.approx(30.0, abs=1e-9)
    assert row["usage_share_pct"] == pytest.approx(10.0, abs=1e-9)
    assert row["seat_share_pct"] == 0 and row["price_share_pct"] == 0
    assert (row["upsell_events"], row["cross_sell_events"], row["usage_events"]) == (1, 1, 1)


def test_120_pct_nrr_compounds_1m_to_1_2m_1_44m_1_728m(marts):
    row = nrr_row(marts, "region", "ex5")
    assert float(row["starting"]) == pytest.approx(1_000_000, abs=0.01)
    assert float(row["ending"]) == pytest.approx(1_200_000, abs=0.01)
    assert row["nrr"] == pytest.approx(120.0, abs=1e-6)
    assert row["tier"] == "world_class"
    assert row["proj1"] == pytest.approx(1_440_000, abs=0.05)
    assert row["proj2"] == pytest.approx(1_728_000, abs=0.05)
    monthly = nrr_row(marts, "region", "ex5", window=1)
    assert monthly["proj1"] is None  # projections only compound an annual NRR


def test_average_upsell_falls_on_mix_while_each_segment_holds(marts):
    june = expansion_row(marts, "2025-06-01", "region", "ex6")
    july = expansion_row(marts, "2025-07-01", "region", "ex6")
    assert june["avg_upsell_arr"] == pytest.approx(18_000, abs=0.01)
    assert july["avg_upsell_arr"] == pytest.approx(11_000, abs=0.01)
    for month in ("2025-06-01", "2025-07-01"):
        enterprise = expansion_row(marts, month, "segment", "ex6_enterprise")
        smb = expansion_row(marts, month, "segment", "ex6_smb")
        assert enterprise["avg_upsell_arr"] == pytest.approx(32_000, abs=0.01)
        assert smb["avg_upsell_arr"] == pytest.approx(4_000, abs=0.01)


def test_healthcare_at_130_and_retail_at_95(marts):
    assert nrr_row(marts, "industry", "healthcare")["nrr"] == pytest.approx(130.0, abs=1e-6)
    assert nrr_row(marts, "industry", "retail")["nrr"] == pytest.approx(95.0, abs=1e-6)
    assert nrr_row(marts, "industry", "healthcare")["tier"] == "world_class"
    assert nrr_row(marts, "industry", "retail")["tier"] == "needs_improvement"
    cohorts = dict(
        marts.execute(
            "select dimension_value, nrr_pct from marts.mart_cohort_retention "
            "where dimension = 'industry' and cohort_month = '2024-12-01' "
            "and months_since_start = 12 and dimension_value in ('healthcare', 'retail')"
        ).fetchall()
    )
    assert cohorts["healthcare"] == pytest.approx(130.0, abs=1e-6)
    assert cohorts["retail"] == pytest.approx(95.0, abs=1e-6)


def test_90_pct_logo_retention_with_110_pct_nrr(marts):
    row = nrr_row(marts, "region", "ex8")
    assert row["logo"] == pytest.approx(90.0, abs=1e-9)
    assert row["nrr"] == pytest.approx(110.0, abs=1e-6)
    assert row["grr"] == pytest.approx((1_090_000 - 10_000) / 1_090_000 * 100, abs=1e-6)


def movement_types(con: duckdb.DuckDBPyConnection, customer_id: str, month: str):
    """The customer's non-zero change types in the month, as {type: MRR}."""
    types = ["upsell", "seat", "cross_sell", "usage", "price", "downgrade", "seat_reduction",
             "product_removal", "usage_decline", "price_decrease"]  # fmt: skip
    columns = ", ".join(f"{t}_mrr" for t in types)
    row = con.execute(
        f"select {columns} from marts.fct_mrr_movements where customer_id = ? and month = ?",
        [customer_id, month],
    ).fetchone()
    assert row is not None, f"no fct_mrr_movements row for {customer_id} {month}"
    return {t: float(v) for t, v in zip(types, row, strict=True) if v != 0}


def test_mixed_pricing_models_in_one_product_are_classified_by_the_item_that_changed(marts):
    # m1: 5 more seats beside a flat usage add-on: all of the +500 is seat.
    assert movement_types(marts, "m1", "2025-03-01") == {"seat": 500.0}
    # m2: a flat add-on appears in a seat product (seats unchanged): price, not seat.
    # It ends on 2025-06-01 (valid_to is exclusive: last counted on May 31), so June
    # shows price_decrease, not seat_reduction.
    assert movement_types(marts, "m2", "2025-04-01") == {"price": 100.0}
    assert movement_types(marts, "m2", "2025-05-01") == {}
    assert movement_types(marts, "m2", "2025-06-01") == {"price_decrease": 100.0}
    # m3: seats and usage move together, each by its own type; later usage alone.
    assert movement_types(marts, "m3", "2025-03-01") == {"seat": 500.0, "usage": 50.0}
    assert movement_types(marts, "m3", "2025-05-01") == {"usage_decline": 100.0}
