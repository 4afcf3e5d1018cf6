"""The Salesforce adapter (crm_source: salesforce), on hand-written connector tables.

Billing is the raw contract (loaded with `expansion-metrics load`), so each account's
billing customer comes from the customer_crosswalk seed or from a billing customer with
the account's own id. The Salesforce tables are created with SQL as Fivetran syncs them.
Every expected value is worked out by hand from the rules in
models/sources/salesforce/_salesforce__models.yml (the issue's rules).

Warehouse A: default vars (ARR in amount, multi-currency org with currency_iso_code and
dated_conversion_rate, no expansion type field), built in full to the marts.
Warehouse B: a custom ARR field (var salesforce_arr_field), an expansion type field,
no currency_iso_code and only currency_type; the adapters alone are built. B also
serves the refusals: corporate currency mismatch, a required table missing.
"""

from __future__ import annotations

import datetime as dt
import json
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
        # a billing customer whose id is a Salesforce account id (same_id link) ...
        {"customer_id": "001SAME", "customer_name": "Same", "segment": "smb",
         "created_at": "2025-01-01"},
        # ... and one with the id of account 001B, which the crosswalk links to cus_2:
        # the crosswalk comes first.
        {"customer_id": "001B", "customer_name": "Decoy", "segment": "smb",
         "created_at": "2025-01-01"},
    ],
    "expansion_targets": [{"fiscal_quarter": "2026-Q1", "segment": "smb", "target_arr": 100_000}],
}  # fmt: skip
CROSSWALK = [("cus_1", "001A"), ("cus_2", "001B")]

TABLES_A = """
create schema salesforce;
create table salesforce.account (
    id varchar, name varchar, is_deleted boolean, segment__c varchar, industry varchar);
insert into salesforce.account values
    ('001A', 'Acme', false, 'SMB', 'Software'),
    ('001B', 'Beta', false, null, null),
    ('001SAME', 'Same', false, null, null),
    ('001NONE', 'Nobody', false, null, null),
    ('001DEL', 'Gone', true, null, null);
create table salesforce."user" (id varchar, name varchar);
insert into salesforce."user" values ('005U1', 'Ada Owner');
create table salesforce.opportunity (
    id varchar, account_id varchar, type varchar, stage_name varchar,
    created_date timestamp, close_date date, owner_id varchar, is_won boolean,
    is_closed boolean, is_deleted boolean, amount double, currency_iso_code varchar);
insert into salesforce.opportunity values
    ('O1', '001A', 'Existing Customer - Upgrade', 'Negotiation/Review',
     '2026-01-10 09:00:00', '2026-03-31', '005U1', false, false, false, 120000, 'eur'),
    ('O2', '001B', ' existing customer - UPGRADE ', 'Signed',
     '2026-01-05 08:00:00', '2026-03-10', '005U1', true, true, false, 50000, 'USD'),
    ('O3', '001SAME', 'Renewal', 'Proposal/Price Quote',
     '2026-02-01 08:00:00', '2026-03-20', '005U404', false, true, false, 30000, null),
    ('O4', '001A', 'New Business', 'Legal Review',
     '2026-02-01 08:00:00', '2026-05-01', '005U1', false, false, false, 10000, 'USD'),
    ('O5', '001NONE', 'Existing Customer - Upgrade', 'Prospecting',
     '2026-02-01 08:00:00', '2026-05-01', '005U1', false, false, false, 10000, 'USD'),
    ('O6', '001A', 'Partner Deal', 'Prospecting',
     '2026-02-01 08:00:00', '2026-05-01', '005U1', false, false, false, 10000, 'USD'),
    ('O7', '001A', null, 'Prospecting',
     '2026-02-01 08:00:00', '2026-05-01', '005U1', false, false, false, 10000, 'USD'),
    ('O8', '001A', 'Renewal', 'Prospecting',
     '2026-02-01 08:00:00', '2026-05-01', '005U1', false, false, true, 10000, 'USD'),
    ('O9', '001B', 'Existing Customer - Downgrade', 'Closed Won',
     '2026-01-15 08:00:00', '2026-02-28', '005U1', false, true, false, 2000, 'usd');
create table salesforce.opportunity_history (
    id varchar, opportunity_id varchar, stage_name varchar, amount double,
    close_date date, created_date timestamp, is_deleted boolean);
insert into salesforce.opportunity_history values
    ('H1', 'O1', 'Prospecting', 100000, '2026-03-31', '2026-01-10 09:00:00', false),
    ('H2', 'O1', 'Prospecting', 120000, '2026-03-31', '2026-01-20 10:00:00', false),
    ('H3', 'O1', 'Qualification', 120000, '2026-03-31', '2026-02-01 10:00:00', false),
    ('H4', 'O1', 'Prospecting', 120000, '2026-03-31', '2026-02-15 10:00:00', false),
    ('H7', 'O1', 'Mystery', 120000, '2026-03-31', '2026-02-20 10:00:00', false),
    ('H5', 'O1', 'Negotiation/Review', 120000, '2026-03-31', '2026-03-01 10:00:00', false),
    ('H6', 'O1', 'Negotiation/Review', 120000, '2026-04-30', '2026-03-05 10:00:00', false),
    ('H8', 'O1', 'Closed Lost', 120000, '2026-03-10', '2026-03-10 10:00:00', true),
    ('H9', 'O2', 'Prospecting', 50000, '2026-03-10', '2026-01-05 08:00:00', false),
    ('H10', 'O2', 'Signed', 50000, '2026-03-10', '2026-03-10 12:00:00', false),
    ('H11', 'O4', 'Legal Review', 10000, '2026-05-01', '2026-02-01 08:00:00', false),
    ('H12', 'O9', 'Prospecting', 2000, '2026-02-28', '2026-01-15 08:00:00', false),
    ('H13', 'O9', 'Closed Won', 2000, '2026-02-28', '2026-02-28 08:00:00', false);
create table salesforce.currency_type (
    iso_code varchar, conversion_rate double, is_corporate boolean, is_active boolean);
insert into salesforce.currency_type values
    ('USD', 1.0, true, true), ('EUR', 0.9, false, true);
create table salesforce.dated_conversion_rate (
    iso_code varchar, conversion_rate double, start_date date, next_start_date date);
insert into salesforce.dated_conversion_rate values
    ('USD', 1.0, '2026-01-01', null),
    ('EUR', 0.8, '2026-01-01', '2026-01-20'),
    ('EUR', 0.9, '2026-01-20', '2026-03-01'),
    ('EUR', 1.25, '2026-03-01', null),
    ('GBP', 0.0, '2026-01-01', null);
"""

# Warehouse B: ARR in a custom field, an expansion type field, no currency_iso_code and
# no dated_conversion_rate (currency_type alone); sf_partial lacks opportunity_history.
TABLES_B = """
create schema sf_custom;
create table sf_custom.account (id varchar, name varchar, is_deleted boolean);
insert into sf_custom.account values ('001A', 'Acme', false);
create table sf_custom."user" (id varchar, name varchar);
insert into sf_custom."user" values ('005U1', 'Ada Owner');
create table sf_custom.opportunity (
    id varchar, account_id varchar, type varchar, stage_name varchar,
    created_date varchar, close_date varchar, owner_id varchar, is_won boolean,
    is_closed boolean, is_deleted boolean, amount double, arr__c double,
    expansion_type__c varchar);
insert into sf_custom.opportunity values
    ('P1', '001A', 'Existing Customer - Upgrade', 'Qualification',
     '2026-02-03T23:30:00.000Z', '2026-06-30', '005U1', false, false, false, 999, 60000,
     ' Cross-Sell'),
    ('P2', '001A', 'Existing Customer - Upgrade', 'Prospecting',
     '2026-02-03T08:00:00.000Z', '2026-06-30', '005U1', false, false, false, 5, null, null);
create table sf_custom.opportunity_history (
    id varchar, opportunity_id varchar, stage_name varchar, amount double,
    close_date date, created_date timestamp, is_deleted boolean);
create table sf_custom.currency_type (
    iso_code varchar, conversion_rate double, is_corporate boolean, is_active boolean);
insert into sf_custom.currency_type values ('USD', 1.0, true, true), ('EUR', 0.5, false, true);
create schema sf_partial;
create table sf_partial.account as select * from sf_custom.account;
create table sf_partial."user" as select * from sf_custom."user";
create table sf_partial.opportunity as select * from sf_custom.opportunity;
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_copy(tmp_path_factory.mktemp("sf") / "project", CROSSWALK)


@pytest.fixture(scope="module")
def warehouse_a(project: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Warehouse A built in full; a read-only connection (no dbt runs on it afterwards)."""
    database = project.parent / "a.duckdb"
    load_billing(database, project.parent / "raw_a", BILLING)
    run_sql(database, TABLES_A)
    # Unit tests included: those of connector models run only in a connector build.
    done = dbt(project, database, "build",
               variables={"as_of_date": AS_OF, "crm_source": "salesforce"})  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr
    with duckdb.connect(str(database), read_only=True) as con:
        yield con


@pytest.fixture(scope="module")
def warehouse_b(project: Path) -> Path:
    """Warehouse B with the adapters built; later runs on it refuse to start."""
    database = project.parent / "b.duckdb"
    load_billing(database, project.parent / "raw_b", BILLING)
    run_sql(database, TABLES_B)
    done = dbt(
        project, database, "build", "--select", "+path:models/sources/salesforce",
        "--indirect-selection", "cautious",
        variables={"as_of_date": AS_OF, "crm_source": "salesforce",
                   "salesforce_schema": "sf_custom", "salesforce_arr_field": "arr__c"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr
    return database


# ---------------------------------------------------------------------------------------
# Warehouse A: the adapter's relations


def test_opportunities_map_type_stage_customer_currency_and_owner(warehouse_a):
    got = {r["opportunity_id"]: r for r in rows(
        warehouse_a, "select * from staging.base_salesforce__opportunities")}  # fmt: skip
    # O4-O7 are quarantined (below), O8 is deleted: not records.
    assert sorted(got) == ["O1", "O2", "O3", "O9"]
    expected = {
        # 001A -> cus_1 by the crosswalk; type 'Existing Customer - Upgrade' -> expansion;
        # 'Negotiation/Review' -> negotiation; currency 'eur' -> EUR.
        "O1": ("cus_1", "expansion", None, "negotiation", 120_000.0, "EUR",
               D("2026-01-10"), D("2026-03-31"), "Ada Owner"),
        # 001B -> cus_2 by the crosswalk, not the billing customer '001B' (crosswalk comes
        # first); type compared after lower(trim()); is_closed and is_won -> closed_won
        # whatever the name 'Signed' (not in the seed).
        "O2": ("cus_2", "expansion", None, "closed_won", 50_000.0, "USD",
               D("2026-01-05"), D("2026-03-10"), "Ada Owner"),
        # 001SAME is itself a billing customer id; is_closed and not is_won -> closed_lost
        # whatever 'Proposal/Price Quote'; currency_iso_code empty -> the corporate USD;
        # owner 005U404 is no user -> null.
        "O3": ("001SAME", "renewal", None, "closed_lost", 30_000.0, "USD",
               D("2026-02-01"), D("2026-03-20"), None),
        # 'Closed Won' by name, but is_closed and not is_won: closed_lost; Downgrade -> renewal.
        "O9": ("cus_2", "renewal", None, "closed_lost", 2_000.0, "USD",
               D("2026-01-15"), D("2026-02-28"), "Ada Owner"),
    }  # fmt: skip
    columns = ["customer_id", "opportunity_type", "expansion_type", "stage", "amount",
               "currency", "created_date", "close_date", "owner"]  # fmt: skip
    for opportunity_id, values in expected.items():
        assert tuple(got[opportunity_id][c] for c in columns) == values, opportunity_id


def test_contract_columns_and_types(warehouse_a):
    described = warehouse_a.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'staging' and table_name = ? order by ordinal_position",
        ["base_salesforce__opportunities"],
    ).fetchall()
    assert described == [
        ("opportunity_id", "VARCHAR"), ("customer_id", "VARCHAR"),
        ("opportunity_type", "VARCHAR"), ("expansion_type", "VARCHAR"), ("stage", "VARCHAR"),
        ("amount", "DOUBLE"), ("currency", "VARCHAR"), ("created_date", "DATE"),
        ("close_date", "DATE"), ("owner", "VARCHAR"),
    ]  # fmt: skip


def test_stage_history_collapses_repeats_and_keeps_reentries(warehouse_a):
    got = warehouse_a.execute(
        "select opportunity_id, stage, entered_at "
        "from staging.base_salesforce__opportunity_stage_history order by all"
    ).fetchall()
    assert got == [
        # H1 Prospecting 01-10, H2 only changes the amount (same stage: nothing), H3
        # Qualification 02-01, H4 back to Prospecting 02-15 (a new entry), H7 'Mystery'
        # is quarantined, H5 Negotiation/Review 03-01, H6 changes only the close date,
        # H8 is deleted.
        ("O1", "identified", D("2026-01-10")),
        ("O1", "identified", D("2026-02-15")),
        ("O1", "negotiation", D("2026-03-01")),
        ("O1", "qualified", D("2026-02-01")),
        # 'Signed' is O2's current stage name and O2 is closed and won.
        ("O2", "closed_won", D("2026-03-10")),
        ("O2", "identified", D("2026-01-05")),
        # 'Closed Won' is O9's current stage name, and O9 is closed and not won.
        ("O9", "closed_lost", D("2026-02-28")),
        ("O9", "identified", D("2026-01-15")),
    ]


def test_fx_rates_from_dated_conversion_rate(warehouse_a):
    got = warehouse_a.execute(
        "select currency, month, rate_to_reporting from staging.base_salesforce__fx_rates "
        "order by all"
    ).fetchall()
    # January: two EUR rates start (0.8 on the 1st, 0.9 on the 20th): the later counts,
    # 1 / 0.9. March: 1 / 1.25 = 0.8. GBP's 0 is no rate (quarantined).
    assert [(c, m) for c, m, _ in got] == [
        ("EUR", D("2026-01-01")), ("EUR", D("2026-03-01")), ("USD", D("2026-01-01"))
    ]  # fmt: skip
    assert [r for _, _, r in got] == pytest.approx([1 / 0.9, 0.8, 1.0])


def test_quarantined_rows_name_table_column_and_value(warehouse_a):
    got = warehouse_a.execute(
        "select source_table, row_key, reason from staging.base_salesforce__quarantined_rows "
        "order by row_key"
    ).fetchall()
    assert got == [
        ("fx_rates", "GBP@2026-01-01",
         "salesforce.dated_conversion_rate GBP 2026-01-01 conversion_rate 0.0 "
         "is not a positive number"),
        ("opportunity_stage_history", "H7",
         "salesforce.opportunity_history H7 (opportunity O1) stage_name 'Mystery' "
         "is not in the crm_stages seed"),
        ("opportunities", "O4",
         "salesforce.opportunity O4 stage_name 'Legal Review' is not in the crm_stages seed"),
        ("opportunities", "O5",
         "salesforce.opportunity O5 account 001NONE has no billing customer "
         "(no customer_crosswalk row, and no billing customer has that id)"),
        ("opportunities", "O6",
         "salesforce.opportunity O6 type 'Partner Deal' is not in the crm_opportunity_types "
         "seed"),
        ("opportunities", "O7",
         "salesforce.opportunity O7 type empty is not in the crm_opportunity_types seed"),
    ]  # fmt: skip
    # int_quarantined_rows lists them with the rest.
    listed = warehouse_a.execute(
        "select count(*) from intermediate.int_quarantined_rows where reason like 'salesforce.%'"
    ).fetchone()[0]
    assert listed == 6


def test_account_links_and_attributes(warehouse_a):
    links = warehouse_a.execute(
        "select crm_account_id, customer_id, link from staging.base_salesforce__account_customers "
        "order by all"
    ).fetchall()
    assert links == [
        ("001A", "cus_1", "crosswalk"),
        ("001B", "cus_2", "crosswalk"),  # not ('001B', '001B', 'same_id')
        ("001SAME", "001SAME", "same_id"),
    ]
    accounts = warehouse_a.execute(
        "select * from staging.base_salesforce__accounts order by crm_account_id"
    ).fetchall()
    # segment__c / industry (vars salesforce_segment_field, _industry_field) as they are;
    # region__c is not a column: null. 001DEL is deleted.
    assert accounts[0] == ("001A", "Acme", "SMB", "Software", None)
    assert [a[0] for a in accounts] == ["001A", "001B", "001NONE", "001SAME"]


# ---------------------------------------------------------------------------------------
# Warehouse A: the marts


def test_fct_opportunities_from_salesforce(warehouse_a):
    got = {r["opportunity_id"]: r for r in rows(
        warehouse_a, "select * from marts.fct_opportunities")}  # fmt: skip
    # Only expansion opportunities: O1 and O2 (O3, O9 are renewals).
    assert sorted(got) == ["O1", "O2"]
    o1 = got["O1"]
    # EUR at its latest rate on or before 2026-03-31: March's 1 / 1.25 = 0.8;
    # 120,000 x 0.8 = 96,000. Stage as of 03-31: negotiation, entered 03-01.
    assert (o1["stage"], o1["stage_entered_date"], o1["opportunity_status"]) == (
        "negotiation",
        D("2026-03-01"),
        "open",
    )
    assert (float(o1["arr"]), o1["arr_local"], o1["currency"]) == (96_000.0, 120_000, "EUR")
    assert (o1["owner"], o1["segment"], o1["close_fiscal_quarter"]) == (
        "Ada Owner",
        "smb",
        "2026-Q1",
    )
    o2 = got["O2"]
    assert (o2["stage"], o2["opportunity_status"], float(o2["arr"])) == (
        "closed_won",
        "won",
        50_000.0,
    )


def test_pipeline_coverage_from_salesforce(warehouse_a):
    (coverage,) = rows(
        warehouse_a,
        "select * from marts.mart_pipeline_coverage where fiscal_quarter = '2026-Q1' "
        "and segment = 'smb' and snapshot_kind = 'current'",
    )
    # Open: O1 96,000 in negotiation; won in the quarter: O2 50,000; target 100,000.
    assert float(coverage["open_pipeline_arr"]) == pytest.approx(96_000)
    assert float(coverage["negotiation_arr"]) == pytest.approx(96_000)
    assert float(coverage["closed_won_arr"]) == pytest.approx(50_000)
    assert coverage["target_arr"] == pytest.approx(100_000)


# ---------------------------------------------------------------------------------------
# Warehouse B: custom fields, currency_type only, refusals


def test_custom_arr_and_expansion_type_fields_and_corporate_currency(warehouse_b):
    got = rows(warehouse_b, "select * from staging.base_salesforce__opportunities")
    assert len(got) == 1
    p1 = got[0]
    # ARR from arr__c (60,000), not amount (999); ' Cross-Sell' normalised -> cross_sell;
    # no currency_iso_code column -> the corporate currency USD; created 23:30 UTC on
    # 02-03 (ISO text) -> 2026-02-03.
    assert (p1["amount"], p1["expansion_type"], p1["currency"], p1["stage"]) == (
        60_000.0,
        "cross_sell",
        "USD",
        "qualified",
    )
    assert (p1["created_date"], p1["close_date"]) == (D("2026-02-03"), D("2026-06-30"))
    quarantined = query(
        warehouse_b, "select row_key, reason from staging.base_salesforce__quarantined_rows"
    )
    assert quarantined == [("P2", "salesforce.opportunity P2 arr__c (ARR) is empty")]


def test_fx_rates_from_currency_type_without_dated_rates(warehouse_b):
    got = query(
        warehouse_b,
        "select currency, month, rate_to_reporting from staging.base_salesforce__fx_rates "
        "order by all",
    )
    # One rate for all time from the month of earliest_date (2000-01-01): EUR 1 / 0.5.
    assert got == [("EUR", D("2000-01-01"), 2.0), ("USD", D("2000-01-01"), 1.0)]


def test_corporate_currency_other_than_reporting_currency_stops_the_run(project, warehouse_b):
    variables = {"as_of_date": AS_OF, "crm_source": "salesforce",
                 "salesforce_schema": "sf_custom", "reporting_currency": "EUR"}  # fmt: skip
    done = dbt(project, warehouse_b, "run", "--select", "base_salesforce__accounts",
               variables=variables)  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Salesforce corporate currency is USD but reporting_currency is EUR" in output
    assert "Set reporting_currency to USD" in output


def test_missing_required_table_names_it_and_crm_source(project, warehouse_b):
    done = dbt(project, warehouse_b, "run", "--select", "base_salesforce__accounts",
               variables={"as_of_date": AS_OF, "crm_source": "salesforce",
                          "salesforce_schema": "sf_partial"})  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "table opportunity_history is missing from" in output
    assert "sf_partial (crm_source is 'salesforce'" in output


def test_contract_build_has_no_crm_connector_nodes(project, warehouse_b):
    """Unselected connectors stay out of the manifest: a contract-only docs/build is unchanged."""
    done = dbt(project, warehouse_b, "ls", "--output", "json", "--output-keys", "name",
               "--resource-types", "model", "source", "seed",
               variables={"as_of_date": AS_OF})  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    names = [json.loads(line)["name"] for line in done.stdout.splitlines()
             if line.startswith("{")]  # fmt: skip
    assert not [n for n in names if "salesforce" in n or "hubspot" in n]
    assert "stg_crm__opportunities" in names


STRIPE_B = """
create schema stripe;
create table stripe.customer (id varchar, name varchar, created timestamp, metadata varchar);
insert into stripe.customer values
    ('cus_a', 'A', '2025-01-01', '{"salesforce_account_id": "001A"}'),
    ('cus_b', 'B', '2025-01-01', '{"salesforce_account_id": "001A"}'),
    ('cus_c', 'C', '2025-01-01', null);
"""
# Tables the Stripe adapter requires (checked when the run starts); none is read here.
STRIPE_UNREAD = ("subscription_history", "price", "product", "invoice", "invoice_line_item")


def test_account_with_several_stripe_customers_is_quarantined(project, warehouse_b):
    """Run last: rebuilds warehouse B's adapters with billing_source stripe."""
    run_sql(
        warehouse_b,
        STRIPE_B + "".join(f"create table stripe.{t} (id varchar);\n" for t in STRIPE_UNREAD),
    )
    done = dbt(
        project, warehouse_b, "run", "--select", "+base_salesforce__quarantined_rows",
        variables={"as_of_date": AS_OF, "crm_source": "salesforce", "billing_source": "stripe",
                   "salesforce_schema": "sf_custom", "salesforce_arr_field": "arr__c"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr
    # Both cus_a and cus_b carry 001A in their metadata: neither is guessed. The
    # crosswalk's cus_1 for 001A is not consulted (Stripe metadata comes first).
    assert query(
        warehouse_b,
        "select crm_account_id, customer_id, link from staging.base_salesforce__account_customers "
        "order by all",
    ) == [("001A", "cus_a", "stripe_metadata"), ("001A", "cus_b", "stripe_metadata")]
    assert query(
        warehouse_b,
        "select row_key, reason from staging.base_salesforce__quarantined_rows order by all",
    ) == [
        ("P1", "salesforce.opportunity P1 account 001A is linked to 2 billing customers by "
               "stripe_metadata (cus_a ... cus_b): link it to one"),
        ("P2", "salesforce.opportunity P2 account 001A is linked to 2 billing customers by "
               "stripe_metadata (cus_a ... cus_b): link it to one"),
        ("P2", "salesforce.opportunity P2 arr__c (ARR) is empty"),
    ]  # fmt: skip
    assert query(warehouse_b, "select * from staging.base_salesforce__opportunities") == []
