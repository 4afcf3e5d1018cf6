"""The connector tables (Fivetran's Stripe, Salesforce and HubSpot schemas) the adapters read.

The single source of truth for `expansion-metrics load --source <connector>` and for the
generator's connector export: table and column names (the connectors' own), column kinds,
which tables and columns are required. Only the columns the adapters read are listed;
a file's other columns are ignored by the loader.
"""

from __future__ import annotations

from dataclasses import dataclass

from expansion_metrics.contract import Column, Kind, Table


@dataclass(frozen=True)
class Connector:
    name: str  # also the warehouse schema its tables load into
    tables: tuple[Table, ...]
    # Each group must have at least one of its tables in a load (alternatives such as
    # subscription_history / subscription); tables in no group are optional.
    required: tuple[tuple[str, ...], ...]
    # Tables a load must hold both or neither of.
    together: tuple[tuple[str, ...], ...] = ()

    @property
    def tables_by_name(self) -> dict[str, Table]:
        return {t.name: t for t in self.tables}

    @property
    def optional(self) -> tuple[str, ...]:
        grouped = {name for group in self.required for name in group}
        return tuple(t.name for t in self.tables if t.name not in grouped)


def _col(name: str, kind: Kind, optional: bool = False) -> Column:
    """A column the file must have as a header (unless optional); values may be empty."""
    if kind == "date":  # Salesforce writes 9999-12-31 for "no end": no date range check
        return Column(name, kind, header=not optional, bounded=False)
    return Column(name, kind, header=not optional)


def _id(name: str) -> Column:
    """An id that must be present and non-empty on every row."""
    return Column(name, "id", required=True)


def _subscription(name: str, history: bool) -> Table:
    active = (_col("_fivetran_active", "boolean"),) if history else ()
    return Table(
        name,
        (
            _id("id"),
            _id("customer_id"),
            _col("status", "text"),
            *active,
            *(_col(c, "timestamp") for c in ("created", "start_date", "trial_start", "trial_end")),
            _col("cancel_at_period_end", "boolean"),
            *(
                _col(c, "timestamp")
                for c in ("canceled_at", "ended_at", "current_period_start", "current_period_end")
            ),
        ),
        key=() if history else ("id",),
    )


STRIPE = Connector(
    "stripe",
    (
        Table(
            "customer",
            (
                _id("id"),
                _col("name", "text"),
                _col("created", "timestamp"),
                _col("metadata", "text"),
                _col("is_deleted", "boolean", optional=True),
            ),
            key=("id",),
        ),
        _subscription("subscription_history", history=True),
        _subscription("subscription", history=False),
        Table(
            "price",
            (
                _id("id"),
                _id("product_id"),
                _col("currency", "currency"),
                _col("nickname", "text"),
                _col("metadata", "text"),
                _col("billing_scheme", "text"),
                _col("recurring_interval", "text"),
                _col("recurring_interval_count", "integer"),
                _col("recurring_usage_type", "text"),
                _col("unit_amount", "integer"),
            ),
            key=("id",),
        ),
        Table(  # the legacy Plans API
            "plan",
            (
                _id("id"),
                _id("product_id"),
                _col("currency", "currency"),
                _col("nickname", "text", optional=True),
                _col("metadata", "text", optional=True),
                _col("billing_scheme", "text", optional=True),
                _col("interval", "text"),
                _col("interval_count", "integer"),
                _col("usage_type", "text"),
                _col("amount", "integer"),
            ),
            key=("id",),
        ),
        Table("product", (_id("id"), _col("name", "text"), _col("metadata", "text")), key=("id",)),
        Table(
            "invoice",
            (
                _id("id"),
                _id("customer_id"),
                _col("subscription_id", "id"),
                _col("status", "text"),
                _col("created", "timestamp"),
                _col("due_date", "timestamp"),
                _col("amount_due", "integer"),
                _col("currency", "currency"),
                _col("attempt_count", "integer"),
                _col("status_transitions_paid_at", "timestamp", optional=True),
            ),
            key=("id",),
        ),
        Table(
            "invoice_line_item",
            (
                _id("id"),
                _id("invoice_id"),
                _col("subscription_id", "id"),
                _col("subscription_item_id", "id"),
                _col("price_id", "id", optional=True),  # one of price_id / plan_id (legacy)
                _col("plan_id", "id", optional=True),
                _col("type", "text"),
                _col("proration", "boolean"),
                _col("period_start", "timestamp"),
                _col("period_end", "timestamp"),
                _col("quantity", "integer"),
                _col("amount", "integer"),
                _col("currency", "currency"),
            ),
            key=("id", "invoice_id"),
        ),
        Table(
            "coupon",
            (
                _id("id"),
                _col("duration", "text"),
                _col("duration_in_months", "integer"),
                _col("percent_off", "number"),
                _col("amount_off", "integer"),
                _col("currency", "currency"),
            ),
            key=("id",),
        ),
        Table(
            "subscription_discount",
            (
                _id("id"),
                _id("coupon_id"),
                _col("subscription_id", "id"),
                _col("customer_id", "id"),
                _col("start", "timestamp"),
                _col("end", "timestamp"),
            ),
            key=("id",),
        ),
    ),
    required=(
        ("customer",),
        ("subscription_history", "subscription"),
        ("price", "plan"),
        ("product",),
        ("invoice",),
        ("invoice_line_item",),
    ),
    together=(("coupon", "subscription_discount"),),
)

SALESFORCE = Connector(
    "salesforce",
    (
        Table(
            "account",
            (
                _id("id"),
                _col("name", "text"),
                _col("is_deleted", "boolean"),
                # the default names of the salesforce_segment/industry/region_field vars
                _col("segment__c", "text", optional=True),
                _col("industry", "text", optional=True),
                _col("region__c", "text", optional=True),
            ),
            key=("id",),
        ),
        Table(
            "opportunity",
            (
                _id("id"),
                _col("account_id", "id"),
                _col("type", "text"),
                _col("stage_name", "text"),
                _col("created_date", "timestamp"),
                _col("close_date", "date"),
                _col("owner_id", "id"),
                _col("is_won", "boolean"),
                _col("is_closed", "boolean"),
                _col("is_deleted", "boolean"),
                _col("amount", "number", optional=True),  # salesforce_arr_field's default
                _col("currency_iso_code", "currency", optional=True),
                _col("expansion_type__c", "text", optional=True),
            ),
            key=("id",),
        ),
        Table(
            "opportunity_history",
            (
                _id("id"),
                _id("opportunity_id"),
                _col("stage_name", "text"),
                _col("amount", "number"),
                _col("close_date", "date"),
                _col("created_date", "timestamp"),
                _col("is_deleted", "boolean"),
            ),
            key=("id",),
        ),
        Table("user", (_id("id"), _col("name", "text")), key=("id",)),
        Table(
            "dated_conversion_rate",
            (
                _col("iso_code", "currency"),
                _col("conversion_rate", "number"),
                _col("start_date", "date"),
                _col("next_start_date", "date"),
            ),
        ),
        Table(
            "currency_type",
            (
                _col("iso_code", "currency"),
                _col("conversion_rate", "number"),
                _col("is_corporate", "boolean"),
                _col("is_active", "boolean"),
            ),
        ),
    ),
    required=(("account",), ("opportunity",), ("opportunity_history",), ("user",)),
)

HUBSPOT = Connector(
    "hubspot",
    (
        Table(
            "company",
            (
                _id("id"),
                _col("is_deleted", "boolean"),
                _col("property_name", "text"),
                # the default names of the hubspot_segment/industry/region_property vars
                _col("property_segment", "text", optional=True),
                _col("property_industry", "text", optional=True),
                _col("property_region", "text", optional=True),
            ),
            key=("id",),
        ),
        Table(
            "deal",
            (
                _id("deal_id"),
                _col("deal_pipeline_stage_id", "text"),
                _col("owner_id", "id"),
                _col("is_deleted", "boolean"),
                _col("property_createdate", "timestamp"),
                _col("property_closedate", "timestamp"),
                # the default names of the hubspot_*_property vars
                _col("property_amount", "number", optional=True),
                _col("property_dealtype", "text", optional=True),
                _col("property_expansion_type", "text", optional=True),
                _col("property_deal_currency_code", "currency", optional=True),
            ),
            key=("deal_id",),
        ),
        Table(
            "deal_stage",
            (_id("deal_id"), _col("value", "text"), _col("date_entered", "timestamp")),
        ),
        Table(
            "deal_pipeline_stage",
            (
                _id("stage_id"),
                _col("label", "text"),
                _col("is_closed", "boolean"),
                _col("closed_won", "boolean"),
            ),
            key=("stage_id",),
        ),
        Table("deal_company", (_id("deal_id"), _id("company_id")), key=("deal_id", "company_id")),
        Table(
            "owner",
            (_id("owner_id"), _col("first_name", "text"), _col("last_name", "text")),
            key=("owner_id",),
        ),
    ),
    required=(
        ("company",),
        ("deal",),
        ("deal_stage",),
        ("deal_pipeline_stage",),
        ("deal_company",),
        ("owner",),
    ),
)

CONNECTORS: dict[str, Connector] = {c.name: c for c in (STRIPE, SALESFORCE, HUBSPOT)}
