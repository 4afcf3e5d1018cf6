"""The raw data contract: the tables a user loads into schema ``raw``.

This module is the single source of truth for table and column names, column kinds,
keys and allowed enumeration values. The loader validates against it, the generator
writes to it, and the README documents it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Literal

from expansion_metrics.settings import PROJECT_DIR

Kind = Literal[
    "id", "text", "enum", "date", "number", "integer", "currency", "quarter", "timestamp", "boolean"
]

# SQL type each kind is stored as in schema raw.
SQL_TYPES: dict[str, str] = {
    "id": "varchar",
    "text": "varchar",
    "enum": "varchar",
    "currency": "varchar",
    "quarter": "varchar",
    "date": "date",
    "number": "double",
    "integer": "bigint",
    "timestamp": "timestamp",  # connector tables only (expansion_metrics.connectors)
    "boolean": "boolean",  # connector tables only
}

# Amounts are carried as decimal(18, 6) in the models: up to a trillion per row.
MAX_AMOUNT = 1e12

# Dimension value the marts use for their total rows: no customer may carry it.
TOTAL = "all"
# A date column with open_end=True reads this as "no end" (empty).
OPEN_END_SENTINEL = "9999-12-31"


def _stages() -> tuple[str, ...]:
    """The opportunity stages in funnel order, spelled as the raw contract writes them
    ('Closed Won' for closed_won), from the opportunity_stages seed: the one list of
    stages, which the pipeline models read too."""
    seed = PROJECT_DIR / "seeds" / "reference" / "opportunity_stages.csv"
    with seed.open(newline="", encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: int(row["stage_order"]))
    return tuple(row["stage"].replace("_", " ").title() for row in rows)


STAGES: tuple[str, ...] = _stages()


def normalise_enum(value: str) -> str:
    """How an enumeration value is compared: trimmed, lower case, spaces and hyphens as
    underscores ('Closed Won' -> 'closed_won'); the staging macro normalise_enum matches."""
    return value.strip().lower().replace("-", "_").replace(" ", "_")


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False  # must be a header of the file and non-empty on every row
    values: tuple[str, ...] = ()  # allowed values (normalised) for kind == "enum"
    non_negative: bool = False
    positive: bool = False
    max_value: float | None = None  # largest absolute value accepted
    # text compared as staging compares it: normalise_enum (trimmed, lower case, spaces
    # and hyphens as underscores); used for keys and reserved values
    normalised: bool = False
    reserved: tuple[str, ...] = ()  # normalised values refused (the marts' total rows)
    open_end: bool = False  # a date where 9999-12-31 means "no end" and loads as empty
    # the column must be a header of the file even when its values may be empty (connector
    # tables; a contract column must be a header only when required)
    header: bool = False
    # dates outside --earliest-date .. 2999-12-31 are refused (connector tables: False, as
    # Salesforce writes 9999-12-31 for "no end")
    bounded: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    checks: tuple[tuple[str, str], ...] = field(default=())  # (later_date, earlier_date)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _dimension(name: str, required: bool = False) -> Column:
    """A segment / industry / region: normalised like an enum, never the total rows' value."""
    return Column(name, "text", required=required, normalised=True, reserved=(TOTAL,))


def _enum(name: str, values: tuple[str, ...], required: bool = True) -> Column:
    return Column(name, "enum", required=required, values=tuple(normalise_enum(v) for v in values))


TABLES: tuple[Table, ...] = (
    Table(
        "customers",
        (
            Column("customer_id", "id", required=True),
            Column("customer_name", "text"),
            _dimension("segment"),
            _dimension("industry"),
            _dimension("region"),
            Column("created_at", "date"),
            # optional: the account hierarchy (a subsidiary's parent account, itself a
            # customer); the var retention_grain parent counts every customer at its top
            Column("parent_customer_id", "id"),
        ),
        key=("customer_id",),
        description="One row per customer account.",
    ),
    Table(
        "customer_attribute_history",
        (
            Column("customer_id", "id", required=True),
            Column("valid_from", "date", required=True),
            _dimension("segment"),
            _dimension("industry"),
            _dimension("region"),
        ),
        key=("customer_id", "valid_from"),
        description=(
            "Optional: the customer's segment, industry and region from valid_from until "
            "its next row (each row gives all three)."
        ),
    ),
    Table(
        "subscription_items",
        (
            Column("subscription_item_id", "id", required=True),
            Column("subscription_id", "id"),
            Column("customer_id", "id", required=True),
            Column("product", "text", required=True, normalised=True),
            Column("plan_tier", "text", normalised=True),
            _enum("pricing_model", ("seat", "flat", "usage")),
            Column("quantity", "number", non_negative=True),
            Column("amount", "number", required=True, max_value=MAX_AMOUNT),
            Column("currency", "currency", required=True),
            _enum("billing_interval", ("day", "week", "month", "quarter", "year")),
            # billed every interval_count intervals (6 with month: every six months)
            Column("interval_count", "integer", positive=True),
            Column("valid_from", "date", required=True),
            Column("valid_to", "date", open_end=True),
            # billing policies (all optional): the free trial ends on trial_end
            # (exclusive); canceled_at = when the customer asked to cancel; list_amount =
            # the undiscounted charge, discount_end = when a temporary discount stops
            Column("trial_end", "date"),
            Column("canceled_at", "date"),
            Column("list_amount", "number", max_value=MAX_AMOUNT),
            Column("discount_end", "date", open_end=True),
        ),
        key=("subscription_item_id",),
        description=(
            "One row per version of a subscription line. amount is the recurring charge for "
            "one billing period (interval_count billing_intervals; empty interval_count = 1), "
            "net of discounts, excluding tax; valid_from is inclusive, valid_to exclusive and "
            "empty while the item is active. Optional: trial_end (exclusive end of a free "
            "trial), canceled_at (cancellation requested), list_amount (the charge before "
            "discounts) and discount_end (exclusive end of a temporary discount)."
        ),
        checks=(("valid_to", "valid_from"),),
    ),
    Table(
        "fx_rates",
        (
            Column("currency", "currency", required=True),
            Column("month", "date", required=True),
            Column("rate_to_reporting", "number", required=True, positive=True),
        ),
        key=("currency", "month"),
        description="Units of the reporting currency for one unit of currency, per month.",
    ),
    Table(
        "opportunities",
        (
            Column("opportunity_id", "id", required=True),
            Column("customer_id", "id", required=True),
            _enum("opportunity_type", ("new_business", "expansion", "renewal")),
            _enum("expansion_type", ("upsell", "cross_sell", "seat", "usage"), required=False),
            _enum("stage", STAGES),
            Column("amount", "number", required=True, max_value=MAX_AMOUNT),
            Column("currency", "currency", required=True),
            Column("created_date", "date", required=True),
            Column("close_date", "date", required=True),
            Column("owner", "text"),
        ),
        key=("opportunity_id",),
        description="CRM opportunities; amount is the ARR of the deal.",
    ),
    Table(
        "opportunity_stage_history",
        (
            Column("opportunity_id", "id", required=True),
            _enum("stage", STAGES),
            Column("entered_at", "date", required=True),
        ),
        key=("opportunity_id", "stage", "entered_at"),
        description="One row each time an opportunity entered a stage.",
    ),
    Table(
        "expansion_targets",
        (
            Column("fiscal_quarter", "quarter", required=True),
            _dimension("segment", required=True),
            Column("target_arr", "number", required=True, non_negative=True, max_value=MAX_AMOUNT),
        ),
        key=("fiscal_quarter", "segment"),
        description="Expansion ARR target per fiscal quarter and segment, reporting currency.",
    ),
    Table(
        "product_usage",
        (
            Column("customer_id", "id", required=True),
            Column("usage_date", "date", required=True),
            Column("active_users", "integer", non_negative=True),
            Column("logins", "integer", non_negative=True),
            Column("key_actions", "integer", non_negative=True),
            Column("usage_quantity", "number", non_negative=True),
            Column("usage_limit", "number", non_negative=True),
        ),
        key=("customer_id", "usage_date"),
        description="Product usage per customer per day (or per reporting period ending that day).",
    ),
    Table(
        "support_tickets",
        (
            Column("ticket_id", "id", required=True),
            Column("customer_id", "id", required=True),
            Column("created_at", "date", required=True),
            Column("priority", "text", normalised=True),
            Column("status", "text", normalised=True),
        ),
        key=("ticket_id",),
    ),
    Table(
        "nps_responses",
        (
            Column("response_id", "id", required=True),
            Column("customer_id", "id", required=True),
            Column("responded_at", "date", required=True),
            Column("score", "integer", required=True, non_negative=True, max_value=10),
        ),
        key=("response_id",),
    ),
    Table(
        "invoices",
        (
            Column("invoice_id", "id", required=True),
            Column("customer_id", "id", required=True),
            Column("due_date", "date", required=True),
            Column("amount", "number", required=True, max_value=MAX_AMOUNT),
            Column("currency", "currency", required=True),
            _enum("status", ("paid", "open", "overdue", "failed")),
            Column("paid_at", "date"),  # optional: when it was paid
        ),
        key=("invoice_id",),
    ),
    Table(
        "account_events",
        (
            Column("event_id", "id", required=True),
            Column("customer_id", "id", required=True),
            Column("event_date", "date", required=True),
            Column("event_type", "text", required=True, normalised=True),
        ),
        key=("event_id",),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
