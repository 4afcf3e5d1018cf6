"""The month close: freeze a month's board figures as reported, in schema `reported`.

`expansion-metrics close --month 2025-11` copies that month's rows of the marts a board
sees (REPORTED_MARTS) and the month's MRR bridge totals into tables of the same names in
schema `reported`, each row tagged with the close's `close_id`, and records the close in
`reported.month_closes`: when, the warehouse's as_of_date, the settings and billing
policies the marts were built with (marts.mart_reporting_settings, as JSON) and, for a
month closed again, why. No dbt model writes schema `reported`, so no build, full
refresh or model change touches it; a refresh carries it over with the rest of the
file. mart_restatements compares each closed month's latest close with today's marts.

Everything happens in one transaction: a refused or failed close leaves the warehouse
as it was.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

# The marts frozen at close, and how each picks a month's rows.
REPORTED_MARTS = {
    "mart_nrr": "month = {month}",
    "mart_expansion": "month = {month}",
    "mart_saas_kpis": "month = {month}",
    # Its snapshots dated in the month (quarter starts, and today's when as_of_date is in it).
    "mart_pipeline_coverage": "date_trunc('month', as_of_date) = {month}",
}
# The MRR bridge totals of the month: fct_mrr_movements' amounts summed over customers.
BRIDGE_COLUMNS = (
    "starting_mrr", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr",
    "churned_mrr", "voluntary_churned_mrr", "delinquent_churned_mrr", "fx_impact_mrr",
    "ending_mrr",
)  # fmt: skip


class CloseError(Exception):
    """A close refused: the message says why; nothing was written."""


def _last_day(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _built(con: duckdb.DuckDBPyConnection, month: date) -> date:
    """The warehouse's as_of_date, once sure the marts hold `month` as a whole month."""
    try:
        settings = con.execute("select as_of_date from marts.mart_reporting_settings").fetchone()
        rows = con.execute(
            "select count(*), min(month), max(month) from marts.mart_saas_kpis "
            "where dimension = 'all'"
        ).fetchone()
    except duckdb.CatalogException:
        raise CloseError("the marts are not built in this warehouse: build first") from None
    if settings is None or rows is None or rows[0] == 0:
        raise CloseError("the marts are empty: load and build first")
    as_of_date, first, last = settings[0], rows[1], rows[2]
    label = month.strftime("%Y-%m")
    if not first <= month <= last:
        raise CloseError(
            f"{label} is not a reporting month of the marts ({first:%Y-%m} to {last:%Y-%m})"
        )
    if _last_day(month) > as_of_date:
        raise CloseError(
            f"{label} ends after the warehouse's as_of_date {as_of_date}: a month can be "
            f"closed once built with an as_of_date on or after its last day"
        )
    return as_of_date


def _freeze(con: duckdb.DuckDBPyConnection, table: str, select: str) -> int:
    """Append `select` (its first column close_id) to reported.`table`, creating the
    table, or adding the columns the mart gained since, first. Returns the rows added."""
    con.execute(f"create table if not exists reported.{table} as {select} limit 0")
    have = {
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'reported' and table_name = ?",
            [table],
        ).fetchall()
    }
    described = con.execute(f"describe {select}").fetchall()
    for name, data_type, *_ in described:
        if name not in have:
            con.execute(f'alter table reported.{table} add column "{name}" {data_type}')
    before = con.execute(f"select count(*) from reported.{table}").fetchone()[0]
    con.execute(f"insert into reported.{table} by name {select}")
    return con.execute(f"select count(*) from reported.{table}").fetchone()[0] - before


def close_month(database: Path, month: date, reopen: str | None = None) -> str:
    """Close `month` (its first day); return a one-line summary or raise CloseError."""
    if not database.exists():
        raise CloseError(f"{database} does not exist: load and build first")
    if reopen is not None and not reopen.strip():
        raise CloseError("--reopen needs a reason, e.g. --reopen 'late credit note'")
    label = month.strftime("%Y-%m")
    with duckdb.connect(str(database)) as con:
        as_of_date = _built(con, month)
        con.begin()
        try:
            con.execute("create schema if not exists reported")
            con.execute(
                "create table if not exists reported.month_closes (close_id integer, "
                "month date, closed_at timestamp, as_of_date date, reopen_reason varchar, "
                "settings_json varchar)"
            )
            earlier = con.execute(
                "select max(closed_at), count(*) from reported.month_closes where month = ?",
                [month],
            ).fetchone()
            if earlier[1] and reopen is None:
                raise CloseError(
                    f"{label} was closed on {earlier[0]:%Y-%m-%d %H:%M} UTC; closing it again "
                    f"replaces its as-reported figures: say why with --reopen 'REASON'"
                )
            if not earlier[1] and reopen is not None:
                raise CloseError(f"{label} was never closed: close it without --reopen")
            close_id = con.execute(
                "select coalesce(max(close_id), 0) + 1 from reported.month_closes"
            ).fetchone()[0]
            # close_id (an integer) and month (a date) are ours, written into the SQL.
            tag = f"cast({int(close_id)} as integer) as close_id"
            first_day = f"date '{month.isoformat()}'"
            counts = {
                mart: _freeze(
                    con,
                    mart,
                    f"select {tag}, * from marts.{mart} where {where.format(month=first_day)}",
                )  # fmt: skip
                for mart, where in REPORTED_MARTS.items()
            }
            sums = ", ".join(f"sum({column}) as {column}" for column in BRIDGE_COLUMNS)
            counts["bridge_totals"] = _freeze(
                con, "bridge_totals",
                f"select {tag}, month, {sums} from marts.fct_mrr_movements "
                f"where month = {first_day} group by month",
            )  # fmt: skip
            con.execute(
                "insert into reported.month_closes select ?, ?, ?, ?, ?, "
                "(select to_json(s)::varchar from marts.mart_reporting_settings as s)",
                [close_id, month, datetime.now(UTC).replace(tzinfo=None), as_of_date, reopen],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
    rows = ", ".join(f"{table} {n:,}" for table, n in counts.items())
    verb = "reopened and closed" if reopen else "closed"
    return f"{verb} {label} (close {close_id}, as_of_date {as_of_date}): {rows} rows in reported"


Figures = dict[tuple, float | None]


def closed_month_values(database: Path) -> Figures:
    """Today's value of every closed month's figure (marts.mart_restatements), rounded to
    6 decimals; empty when nothing is closed or the mart is not built."""
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            rows = con.execute(
                "select month, mart, metric, dimension, dimension_value, window_months, "
                "detail, round(current_value, 6) from marts.mart_restatements"
            ).fetchall()
    except duckdb.Error:
        return {}
    return {tuple(row[:-1]): row[-1] for row in rows}


def changed_months(before: Figures, after: Figures) -> list[str]:
    """The closed months (YYYY-MM) with a figure that differs between the two readings."""
    keys = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    return sorted({f"{key[0]:%Y-%m}" for key in keys})
