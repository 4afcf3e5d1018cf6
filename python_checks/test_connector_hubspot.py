"""The HubSpot adapter (crm_source: hubspot), on hand-written connector tables.

Billing is the raw contract (loaded with `expansion-metrics load`, fx_rates included:
HubSpot gives no rates), so each company's billing customer comes from the
customer_crosswalk seed or from a billing customer with the company's own id. The HubSpot
tables are created with SQL as Fivetran syncs them (integer ids). Every expected value
is worked out by hand from the rules in models/sources/hubspot/_hubspot__models.yml.

Warehouse A: default vars, built in full to the marts. Warehouse B: custom deal
properties (vars hubspot_arr_property, hubspot_deal_type_property), an expansion type
property and no currency property; the adapters alone are built; B also serves the
missing-table refusal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from crm_project import dbt, load_billing, project_copy, query, rows, run_sql

AS_OF = "2026-03-31"
D = dt.date.fromisoformat

BILLING = {
    "customers": [
        {"customer_id": "cus_1", "customer_name": "Acme", "segment": "smb",
         "created_at": "2025-01-01"},
        {"customer_id": "cus_2", "customer_name": "Beta", "segment": "smb",
         "created_at": "2025-01-01"},
        # a billing customer whose id is a HubSpot company id (same_id link)
        {"customer_id": "300", "customer_name": "Same", "segment": "smb",
         "created_at": "2025-01-01"},
    ],
    "fx_rates": [{"currency": "EUR", "month": "2026-01-01", "rate_to_reporting": 1.1}],
    "expansion_targets": [{"fiscal_quarter": "2026-Q1", "segment": "smb", "target_arr": 100_000}],
}  # fmt: skip
CROSSWALK = [("cus_1", "101"), ("cus_2", "102")]

PIPELINE = """
create table {schema}.deal_pipeline_stage (
    stage_id varchar, label varchar, is_closed boolean, closed_won boolean);
insert into {schema}.deal_pipeline_stage values
    ('appointmentscheduled', 'Appointment scheduled', false, false),
    ('qualifiedtobuy', 'Qualified to buy', false, false),
    ('presentationscheduled', 'Presentation scheduled', false, false),
    ('decisionmakerboughtin', 'Decision maker bought-In', false, false),
    ('contractsent', 'Contract sent', false, false),
    ('closedwon', 'Closed won', true, true),
    ('closedlost', 'Closed lost', true, false),
    ('signed_custom', 'Signed', true, true),
    ('legal_review', 'Legal Review', false, false);
"""

TABLES_A = """
create schema hubspot;
create table hubspot.company (
    id bigint, is_deleted boolean, property_name varchar, property_segment varchar,
    property_industry varchar);
insert into hubspot.company values
    (101, false, 'Acme', 'SMB', 'Software'), (102, false, 'Beta', null, null),
    (300, false, 'Same', null, null), (404, false, 'Nobody', null, null),
    (999, true, 'Gone', null, null);
create table hubspot.owner (owner_id bigint, first_name varchar, last_name varchar);
insert into hubspot.owner values (7, 'Ada', 'Owner'), (8, 'Solo', null);
create table hubspot.deal (
    deal_id bigint, deal_pipeline_stage_id varchar, owner_id bigint, is_deleted boolean,
    property_createdate timestamp, property_closedate timestamp, property_amount double,
    property_dealtype varchar, property_deal_currency_code varchar);
insert into hubspot.deal values
    (1, 'contractsent', 7, false, '2026-01-10 09:00', '2026-03-31 00:00', 120000,
     'existingbusiness', 'eur'),
    (2, 'signed_custom', 8, false, '2026-01-05 09:00', '2026-03-10 00:00', 50000,
     ' ExistingBusiness ', 'USD'),
    (3, 'qualifiedtobuy', 99, false, '2026-02-01 09:00', '2026-05-01 00:00', 30000,
     'newbusiness', null),
    (4, 'legal_review', 7, false, '2026-02-01 09:00', '2026-05-01 00:00', 10000,
     'existingbusiness', 'USD'),
    (5, 'qualifiedtobuy', 7, false, '2026-02-01 09:00', '2026-05-01 00:00', 10000,
     'existingbusiness', 'USD'),
    (6, 'qualifiedtobuy', 7, false, '2026-02-01 09:00', '2026-05-01 00:00', 10000,
     'partner', 'USD'),
    (7, 'qualifiedtobuy', 7, false, '2026-02-01 09:00', '2026-05-01 00:00', 10000,
     'existingbusiness', 'USD'),
    (8, 'qualifiedtobuy', 7, true, '2026-02-01 09:00', '2026-05-01 00:00', 10000,
     'existingbusiness', 'USD'),
    (9, 'appointmentscheduled', 7, false, '2026-03-01 09:00', '2026-06-30 00:00', 1000,
     'existingbusiness', 'usd');
create table hubspot.deal_company (deal_id bigint, company_id bigint, type_id integer);
insert into hubspot.deal_company values
    (1, 101, 5), (2, 102, 5), (3, 300, 5), (4, 101, 5), (5, 404, 5), (6, 101, 5),
    (8, 101, 5), (9, 102, 341), (9, 101, 5);
create table hubspot.deal_stage (deal_id bigint, value varchar, date_entered timestamp);
insert into hubspot.deal_stage values
    (1, 'appointmentscheduled', '2026-01-10 09:00'),
    (1, 'qualifiedtobuy', '2026-02-01 10:00'),
    (1, 'appointmentscheduled', '2026-02-15 10:00'),
    (1, 'mystery_stage', '2026-02-20 10:00'),
    (1, 'contractsent', '2026-03-01 10:00'),
    (2, 'appointmentscheduled', '2026-01-05 09:00'),
    (2, 'appointmentscheduled', '2026-01-20 09:00'),
    (2, 'signed_custom', '2026-03-10 12:00'),
    (4, 'legal_review', '2026-02-01 09:00'),
    (9, 'appointmentscheduled', '2026-03-01 09:00');
""" + PIPELINE.format(schema="hubspot")

# Warehouse B: ARR and deal type in custom properties, an expansion type property, no
# currency property; hs_partial lacks deal_stage.
TABLES_B = (
    """
create schema hs_custom;
create table hs_custom.company (id bigint, is_deleted boolean, property_name varchar);
insert into hs_custom.company values (101, false, 'Acme');
create table hs_custom.owner (owner_id bigint, first_name varchar, last_name varchar);
create table hs_custom.deal (
    deal_id bigint, deal_pipeline_stage_id varchar, owner_id bigint, is_deleted boolean,
    property_createdate varchar, property_closedate varchar, property_amount double,
    property_arr double, property_kind varchar, property_expansion_type varchar);
insert into hs_custom.deal values
    (11, 'presentationscheduled', null, false, '2026-02-03T23:30:00Z',
     '2026-06-30T00:00:00Z', 999, 60000, 'existingbusiness', 'Cross-Sell ');
create table hs_custom.deal_company (deal_id bigint, company_id bigint);
insert into hs_custom.deal_company values (11, 101);
create table hs_custom.deal_stage (deal_id bigint, value varchar, date_entered timestamp);
create schema hs_partial;
create table hs_partial.company as select * from hs_custom.company;
create table hs_partial.owner as select * from hs_custom.owner;
create table hs_partial.deal as select * from hs_custom.deal;
create table hs_partial.deal_company as select * from hs_custom.deal_company;
"""
    + PIPELINE.format(schema="hs_custom")
    + PIPELINE.format(schema="hs_partial")
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_copy(tmp_path_factory.mktemp("hs") / "project", CROSSWALK)


@pytest.fixture(scope="module")
def warehouse_a(project: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Warehouse A built in full; a read-only connection (no dbt runs on it afterwards)."""
    database = project.parent / "a.duckdb"
    load_billing(database, project.parent / "raw_a", BILLING)
    run_sql(database, TABLES_A)
    # Unit tests included: those of connector models run only in a connector build.
    done = dbt(project, database, "build",
               variables={"as_of_date": AS_OF, "crm_source": "hubspot"})  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr
    with duckdb.connect(str(database), read_only=True) as con:
        yield con


@pytest.fixture(scope="module")
def warehouse_b(project: Path) -> Path:
    """Warehouse B with the adapters built; a later run on it refuses to start."""
    database = project.parent / "b.duckdb"
    load_billing(database, project.parent / "raw_b", BILLING)
    run_sql(database, TABLES_B)
    done = dbt(
        project, database, "build", "--select", "+path:models/sources/hubspot",
        "--indirect-selection", "cautious",
        variables={"as_of_date": AS_OF, "crm_source": "hubspot",
                   "hubspot_schema": "hs_custom", "hubspot_arr_property": "property_arr",
                   "hubspot_deal_type_property": "property_kind"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr
    return database


# ---------------------------------------------------------------------------------------
# Warehouse A: the adapter's relations


def test_deals_map_type_stage_customer_currency_and_owner(warehouse_a):
    got = {r["opportunity_id"]: r for r in rows(
        warehouse_a, "select * from staging.base_hubspot__opportunities")}  # fmt: skip
    # 4-7 are quarantined (below), 8 is deleted.
    assert sorted(got) == ["1", "2", "3", "9"]
    expected = {
        # company 101 -> cus_1 by the crosswalk; existingbusiness -> expansion;
        # contractsent -> negotiation; 'eur' -> EUR; owner 7 'Ada' 'Owner'.
        "1": ("cus_1", "expansion", None, "negotiation", 120_000.0, "EUR",
              D("2026-01-10"), D("2026-03-31"), "Ada Owner"),
        # signed_custom is not in the seed but its pipeline stage is closed and won;
        # ' ExistingBusiness ' compared after lower(trim()); owner 8 has no last name.
        "2": ("cus_2", "expansion", None, "closed_won", 50_000.0, "USD",
              D("2026-01-05"), D("2026-03-10"), "Solo"),
        # company 300 is itself a billing customer id; no currency -> reporting USD;
        # owner 99 is no owner -> null.
        "3": ("300", "new_business", None, "qualified", 30_000.0, "USD",
              D("2026-02-01"), D("2026-05-01"), None),
        # two companies: the primary association (type_id 5, company 101) counts.
        "9": ("cus_1", "expansion", None, "identified", 1_000.0, "USD",
              D("2026-03-01"), D("2026-06-30"), "Ada Owner"),
    }  # fmt: skip
    columns = ["customer_id", "opportunity_type", "expansion_type", "stage", "amount",
               "currency", "created_date", "close_date", "owner"]  # fmt: skip
    for opportunity_id, values in expected.items():
        assert tuple(got[opportunity_id][c] for c in columns) == values, opportunity_id


def test_stage_history_collapses_repeats_and_keeps_reentries(warehouse_a):
    got = query(
        warehouse_a,
        "select opportunity_id, stage, entered_at "
        "from staging.base_hubspot__opportunity_stage_history order by all",
    )
    assert got == [
        # appointmentscheduled 01-10, qualifiedtobuy 02-01, appointmentscheduled again
        # 02-15 (a new entry), mystery_stage quarantined, contractsent 03-01.
        ("1", "identified", D("2026-01-10")),
        ("1", "identified", D("2026-02-15")),
        ("1", "negotiation", D("2026-03-01")),
        ("1", "qualified", D("2026-02-01")),
        # the second appointmentscheduled row (01-20) follows the same stage: nothing.
        ("2", "closed_won", D("2026-03-10")),
        ("2", "identified", D("2026-01-05")),
        ("9", "identified", D("2026-03-01")),
    ]


def test_quarantined_rows_name_table_column_and_value(warehouse_a):
    got = query(
        warehouse_a,
        "select source_table, row_key, reason from staging.base_hubspot__quarantined_rows "
        "order by row_key",
    )
    assert got == [
        ("opportunity_stage_history", "1@2026-02-20 10:00:00",
         "hubspot.deal_stage 1@2026-02-20 10:00:00 value 'mystery_stage' "
         "is not in the crm_stages seed"),
        ("opportunities", "4",
         "hubspot.deal 4 deal_pipeline_stage_id 'legal_review' (label 'Legal Review') "
         "is not in the crm_stages seed"),
        ("opportunities", "5",
         "hubspot.deal 5 company 404 has no billing customer "
         "(no customer_crosswalk row, and no billing customer has that id)"),
        ("opportunities", "6",
         "hubspot.deal 6 property_dealtype 'partner' is not in the crm_opportunity_types seed"),
        ("opportunities", "7", "hubspot.deal 7 has no company (no deal_company row)"),
    ]  # fmt: skip
    listed = query(
        warehouse_a,
        "select count(*) from intermediate.int_quarantined_rows where reason like 'hubspot.%'",
    )
    assert listed == [(5,)]


def test_company_links_and_attributes(warehouse_a):
    links = query(
        warehouse_a,
        "select crm_account_id, customer_id, link from staging.base_hubspot__account_customers "
        "order by all",
    )
    assert links == [
        ("101", "cus_1", "crosswalk"),
        ("102", "cus_2", "crosswalk"),
        ("300", "300", "same_id"),
    ]
    accounts = query(
        warehouse_a, "select * from staging.base_hubspot__accounts order by crm_account_id"
    )
    # property_segment / property_industry as they are; no property_region: null; 999 deleted.
    assert accounts[0] == ("101", "Acme", "SMB", "Software", None)
    assert [a[0] for a in accounts] == ["101", "102", "300", "404"]


# ---------------------------------------------------------------------------------------
# Warehouse A: the marts


def test_fct_opportunities_from_hubspot(warehouse_a):
    got = {r["opportunity_id"]: r for r in rows(
        warehouse_a, "select * from marts.fct_opportunities")}  # fmt: skip
    assert sorted(got) == ["1", "2", "9"]  # 3 is new business
    # EUR at the raw contract's fx_rates (HubSpot has none): 120,000 x 1.1 = 132,000.
    one = got["1"]
    assert (one["stage"], one["stage_entered_date"], one["opportunity_status"]) == (
        "negotiation",
        D("2026-03-01"),
        "open",
    )
    assert float(one["arr"]) == pytest.approx(132_000)
    assert (got["2"]["opportunity_status"], float(got["2"]["arr"])) == ("won", 50_000.0)


def test_pipeline_coverage_from_hubspot(warehouse_a):
    (coverage,) = rows(
        warehouse_a,
        "select * from marts.mart_pipeline_coverage where fiscal_quarter = '2026-Q1' "
        "and segment = 'smb' and snapshot_kind = 'current'",
    )
    # Open and closing in Q1: deal 1 (132,000, negotiation); deal 9 closes in Q2.
    # Won in Q1: deal 2, 50,000.
    assert float(coverage["open_pipeline_arr"]) == pytest.approx(132_000)
    assert float(coverage["negotiation_arr"]) == pytest.approx(132_000)
    assert float(coverage["closed_won_arr"]) == pytest.approx(50_000)
    assert coverage["target_arr"] == pytest.approx(100_000)


# ---------------------------------------------------------------------------------------
# Warehouse B: custom properties, refusal


def test_custom_properties(warehouse_b):
    got = rows(warehouse_b, "select * from staging.base_hubspot__opportunities")
    assert len(got) == 1
    deal = got[0]
    # ARR from property_arr (60,000), not property_amount (999); type from property_kind;
    # 'Cross-Sell ' -> cross_sell; no currency property -> reporting USD; ISO text dates.
    assert (deal["amount"], deal["opportunity_type"], deal["expansion_type"]) == (
        60_000.0,
        "expansion",
        "cross_sell",
    )
    assert (deal["currency"], deal["stage"], deal["owner"]) == ("USD", "engaged", None)
    assert (deal["created_date"], deal["close_date"]) == (D("2026-02-03"), D("2026-06-30"))
    assert query(warehouse_b, "select * from staging.base_hubspot__quarantined_rows") == []


def test_missing_required_table_names_it_and_crm_source(project, warehouse_b):
    done = dbt(project, warehouse_b, "run", "--select", "base_hubspot__accounts",
               variables={"as_of_date": AS_OF, "crm_source": "hubspot",
                          "hubspot_schema": "hs_partial"})  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "table deal_stage is missing from" in output
    assert "hs_partial (crm_source is 'hubspot'" in output
