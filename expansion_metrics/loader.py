"""Load raw CSV / Parquet files into schema ``raw`` of the DuckDB warehouse, or a
connector's exported tables (:mod:`expansion_metrics.connectors`) into its schema.

Validation happens before anything is written, and the writes run in one transaction:
a bad file fails the whole load and leaves the warehouse exactly as it was.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import duckdb

from expansion_metrics import settings
from expansion_metrics.connectors import CONNECTORS, Connector
from expansion_metrics.contract import (
    MAX_AMOUNT,
    OPEN_END_SENTINEL,
    SQL_TYPES,
    TABLES,
    Column,
    Table,
)

MAX_REPORTED_ERRORS = 20
MAX_SHOWN_CHARS = 80  # a value longer than this is cut in messages
# The scratch table holds the file's columns as c1..cN (by position) and this row number,
# so no header of the file can collide with it.
_ROW = "_em_row"
LOAD_LOG = "_load_log"  # raw.<this>: one row per table written by a load, with its time
# The date of a row that decides the first month its addition or removal can change, per
# raw table feeding the incremental models (the refresh window models read the log). A
# table without one (customers) records how many existing rows were edited or removed.
CHANGE_DATES = {
    "subscription_items": "least(valid_from, coalesce(valid_to, valid_from))",
    "fx_rates": "month",
    "product_usage": "usage_date",
    "support_tickets": "created_at",
    "invoices": "due_date",
    "nps_responses": "responded_at",
    "account_events": "event_date",
}

DEFAULT_EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2999, 12, 31)

# Plain whole number: optional sign, digits, optionally ".0" (a whole number written by a
# float-typed export); 6.5, 1e3, 0x0A and 1_000 are refused.
_INTEGER_RE = r"[+-]?[0-9]+(\.0+)?"
# Decimal number: optional sign, digits with an optional '.' part, optional exponent (1e5,
# 1.5E+07 as spreadsheets write large numbers); hex, '_', inf and nan are refused.
_NUMBER_RE = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
# YYYY-MM-DD, optionally followed by a time (T or space, HH:MM[:SS[.fraction]]) and an
# offset (Z, +HH, +HHMM, +HH:MM). Only the date as written is kept: no timezone shift.
_DATE_RE = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?"
    r"(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?"
)


class LoadError(Exception):
    """A user-facing load failure; the message says what is wrong and where."""


def _shown(value: str) -> str:
    if len(value) > MAX_SHOWN_CHARS:
        value = value[:MAX_SHOWN_CHARS] + "..."
    return repr(value)


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # data row, 1 = first row after the header
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        value = "" if self.value is None else f" {_shown(self.value)}"
        return f"{where}:{value} {self.reason}"


@dataclass(frozen=True)
class LoadResult:
    loaded: dict[str, int]  # table -> rows loaded from a file
    created_empty: list[str]  # tables created empty because no file and no table existed
    # (name, why) of every entry of the folder that was not loaded (hidden files aside)
    not_loaded: list[tuple[str, str]] = field(default_factory=list)
    schema: str = "raw"  # where the tables were written
    # connector loads: tables of an earlier load dropped because this folder lacks them
    dropped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Checked:
    """A validated file: its scratch table and a query of its typed contract columns."""

    path: Path
    scratch: str
    mapping: dict[str, str]  # contract column -> scratch column (c1..cN)
    # select: the row number, the scratch's text columns c1..cN and every contract column
    # typed (quoted by its name)
    relation: str
    columns: tuple[str, ...]

    @property
    def select(self) -> str:
        names = ", ".join(_quote(c) for c in self.columns)
        return f"select {names} from ({self.relation}) order by {_ROW}"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------
# Which files to load


def _name_key(name: str) -> str:
    """A name compared loosely: no case, spaces, '-' or '_', and in the singular."""
    key = re.sub(r"[\s_\-]+", "", name.lower())
    if key.endswith("ies"):
        return key[:-3] + "y"
    if key.endswith("s") and not key.endswith("ss"):
        return key[:-1]
    return key


def _near_table(entry: Path, tables: tuple[Table, ...]) -> str | None:
    """The table an entry seems meant for, when its name is a near miss of one."""
    keys = {_name_key(t.name): t.name for t in tables}
    stem, dot, extension = entry.name.rpartition(".")
    if not dot:
        stem, extension = entry.name, ""
    if entry.is_dir() or extension.strip().lower() in ("csv", "parquet", ""):
        for candidate in {stem, entry.name}:
            if (table := keys.get(_name_key(candidate))) is not None:
                return table
    return None


def find_files(
    directory: Path,
    allow_unknown_files: bool = False,
    tables: tuple[Table, ...] = TABLES,
    label: str = "raw",
) -> tuple[dict[str, Path], list[tuple[str, str]]]:
    """The file of each raw table present in `directory`, and the entries not loaded.

    Refused (LoadError): a table's name used by a directory or another non-regular file,
    a symbolic link that leaves the folder, both <table>.csv and <table>.parquet, a name
    that is a near miss of a table's file (case, spaces, '-', singular), and, unless
    allow_unknown_files, any other entry. Hidden entries (.name) are ignored.
    """
    root = directory.resolve()
    files: dict[str, Path] = {}
    refused: list[str] = []
    others: list[tuple[str, str]] = []
    exact = {f"{t.name}.{ext}": t.name for t in tables for ext in ("csv", "parquet")}
    try:
        entries = sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise LoadError(f"{directory}: cannot be read ({exc.strerror})") from None
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        if entry.is_symlink():
            target = Path(os.path.realpath(entry))
            if target != root and root not in target.parents:
                refused.append(
                    f"{name!r} is a symbolic link to a file outside {directory}; copy the "
                    "file into the folder instead"
                )
                continue
            if not target.exists():
                refused.append(f"{name!r} is a symbolic link to nothing (its target is missing)")
                continue
        table = exact.get(name)
        if table is not None:
            if not entry.is_file():
                kind = "a directory" if entry.is_dir() else "not a regular file"
                refused.append(
                    f"{name!r} is {kind}; the loader reads one file per table, "
                    f"{table}.csv or {table}.parquet"
                )
            elif table in files:
                refused.append(f"both {table}.csv and {table}.parquet exist; keep one")
            else:
                files[table] = entry
            continue
        near = _near_table(entry, tables)
        if near is not None:
            kind = "a directory" if entry.is_dir() else "a file"
            refused.append(
                f"{name!r} is {kind} named like {label} table {near} but not exactly "
                f"{near}.csv or {near}.parquet (names are matched exactly, in lower case); "
                "rename or remove it"
            )
            continue
        why = "a directory" if entry.is_dir() else f"not a {label} table's file"
        others.append((name, f"{why} (expected <table>.csv or <table>.parquet)"))
    if refused or (others and not allow_unknown_files):
        lines = [*refused]
        if others and not allow_unknown_files:
            lines += [f"{name!r} is {why}" for name, why in others]
            lines.append(
                f"move the files that are not {label} tables out of the folder, or pass "
                "--allow-unknown-files to load without them"
            )
        shown = "\n".join(f"  {line}" for line in lines)
        raise LoadError(f"{directory}: the load was refused, nothing was written:\n{shown}")
    return files, others


# ---------------------------------------------------------------------------------------
# Reading a file as text


def _duckdb_error(file: str, exc: duckdb.Error) -> LoadError:
    """A clear message for a file DuckDB cannot read, quoting none of the file's lines."""
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    where = f"{file}, row {int(line.group(1)) - 1}" if line else file
    if found := re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text):
        return LoadError(
            f"{where}: has {found.group(2)} fields, but the header has {found.group(1)}"
        )
    if "unterminated quote" in text:
        return LoadError(f"{where}: a quoted value is not closed (unterminated quote)")
    if "Invalid unicode" in text:
        return LoadError(f"{where}: not UTF-8 text")
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    first = re.sub(r"Original Line:.*", "", first)[:200]
    return LoadError(f"{where}: cannot be read as {Path(file).suffix[1:]}: {first}")


def _check_headers(file: str, headers: list[str]) -> None:
    """Refuse empty and duplicated column names, naming their position (1 = first)."""
    seen: dict[str, int] = {}
    for position, header in enumerate(headers, start=1):
        where = f"{file}, row 0 (header), column {position}"
        norm = header.strip().lower()
        if not norm:
            raise LoadError(
                f"{where}: {header!r} is an empty column name (a trailing comma at the end "
                "of the header?); every column needs a name"
            )
        if norm in seen:
            raise LoadError(
                f"{where}: {_shown(header)} repeats the name of column {seen[norm]}; "
                "column names must be unique"
            )
        seen[norm] = position


def _csv_header(path: Path) -> list[str]:
    """The CSV's header row, as written."""
    try:
        with path.open("rb") as handle:
            first_line = handle.readline()
    except OSError as exc:
        raise LoadError(f"{path.name}: cannot be read ({exc.strerror})") from None
    try:
        header_text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path.name}, row 0 (header): not UTF-8 text ({exc.reason})") from None
    try:
        header = next(csv.reader([header_text.rstrip("\r\n")]), [])
    except csv.Error as exc:
        raise LoadError(f"{path.name}, row 0 (header): not a CSV header ({exc})") from None
    if not header or all(not h.strip() for h in header):
        raise LoadError(f"{path.name}, row 0 (header): the header row is empty")
    return header


def _read_as_text(con: duckdb.DuckDBPyConnection, path: Path, scratch: str) -> list[str]:
    """Read a file into a scratch table of text columns c1..cN plus the row number, in file
    order; return the file's headers (position i is column c{i+1})."""
    if path.suffix == ".csv":
        if path.stat().st_size == 0:
            raise LoadError(f"{path.name}: the file is empty (expected a header row)")
        headers = _csv_header(path)
        _check_headers(path.name, headers)
        columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, len(headers) + 1))
        source = (
            f"read_csv({_literal(str(path))}, header = true, all_varchar = true, "
            "delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
            "null_padding = false, auto_detect = false, columns = {" + columns + "})"
        )
        select = ", ".join(f"c{i}" for i in range(1, len(headers) + 1))
    else:
        source = f"read_parquet({_literal(str(path))})"
        try:
            described = con.execute(f"describe select * from {source}").fetchall()
        except duckdb.Error as exc:
            raise _duckdb_error(path.name, exc) from None
        headers = [row[0] for row in described]
        _check_headers(path.name, headers)
        # Every column as text, so typed Parquet is validated like CSV; the session time
        # zone is UTC, so a timestamp with time zone reads as its UTC date.
        select = ", ".join(f"{_quote(h)}::varchar as c{i}" for i, h in enumerate(headers, start=1))
    try:
        con.execute(f"create temp table {scratch} as select {select} from {source}")
    except duckdb.Error as exc:
        raise _duckdb_error(path.name, exc) from None
    con.execute(f"alter table {scratch} add column {_ROW} bigint")
    con.execute(f"update {scratch} set {_ROW} = rowid + 1")
    return headers


def _match_headers(file: str, headers: list[str], table: Table) -> dict[str, str]:
    """Map contract column -> scratch column (trimmed, case-insensitive). Extras ignored."""
    by_norm = {h.strip().lower(): f"c{i}" for i, h in enumerate(headers, start=1)}
    mapping = {c.name: by_norm[c.name] for c in table.columns if c.name in by_norm}
    missing = [c.name for c in table.columns if (c.required or c.header) and c.name not in mapping]
    if missing:
        found = ", ".join(_shown(h)[1:-1] for h in headers[:30])
        more = ", ..." if len(headers) > 30 else ""
        raise LoadError(
            f"{file}, header: missing required column(s) {', '.join(missing)} "
            f"(found: {found}{more})"
        )
    return mapping


# ---------------------------------------------------------------------------------------
# Validating values


def _normalise_sql(text: str) -> str:
    """The staging macro normalise_enum: trimmed, lower case, spaces and hyphens as '_'."""
    return f"replace(replace(lower(trim({text})), '-', '_'), ' ', '_')"


def _parsed_sql(column: Column, text: str) -> str:
    """SQL turning a trimmed text expression into the column's type (null if it does not parse)."""
    if column.kind == "date":
        return (
            f"case when regexp_full_match({text}, {_literal(_DATE_RE)}) "
            f"then try_strptime(left({text}, 10), '%Y-%m-%d')::date end"
        )
    if column.kind == "number":
        return (
            f"case when regexp_full_match({text}, {_literal(_NUMBER_RE)}) "
            f"then try_cast({text} as double) end"
        )
    if column.kind == "timestamp":  # as UTC (the load's session time zone)
        return (
            f"case when regexp_full_match({text}, {_literal(_DATE_RE)}) "
            f"then try_cast(try_cast({text} as timestamptz) as timestamp) end"
        )
    if column.kind == "boolean":
        return (
            f"case when lower({text}) in ('true', 't', '1', 'yes', 'y') then true "
            f"when lower({text}) in ('false', 'f', '0', 'no', 'n') then false end"
        )
    if column.kind == "integer":
        return (
            f"case when regexp_full_match({text}, {_literal(_INTEGER_RE)}) "
            rf"then try_cast(regexp_replace({text}, '\.0+$', '') as bigint) end"
        )
    return text


def _key_sql(column: Column, typed: str) -> str:
    """A key column (its typed value) as the models compare it (see models/staging)."""
    if column.kind == "enum" or column.normalised:
        return _normalise_sql(typed)
    if column.kind in ("currency", "quarter"):
        return f"upper({typed})"
    return typed


_EXPECTED: dict[str, str] = {
    "date": "is not a date (expected YYYY-MM-DD, or an ISO timestamp such as "
    "2025-01-31T23:30:00+02:00)",
    "number": "is not a number (expected digits with an optional sign, '.' decimal point "
    "and exponent, like -1234.5 or 1.5e6)",
    "integer": "is not a whole number (expected digits with an optional sign)",
    "timestamp": "is not a timestamp (expected YYYY-MM-DD or an ISO timestamp such as "
    "2025-01-31T23:30:00+02:00)",
    "boolean": "is not a boolean (expected true or false)",
}


def _problems(
    con: duckdb.DuckDBPyConnection, file: str, sql: str, column: str | None, why: str
) -> list[Problem]:
    rows = con.execute(
        f"select {_ROW}, v from ({sql}) order by {_ROW} limit {MAX_REPORTED_ERRORS}"
    ).fetchall()
    return [Problem(file, row, column, value, why) for row, value in rows]


def _column_checks(column: Column, text: str, parsed: str, earliest: date) -> list[tuple[str, str]]:
    """(condition, reason) rules of one column, in the order they are reported."""
    checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((f"{text} is null", "is empty, but the column is required"))
    if column.kind in _EXPECTED:
        checks.append((f"{text} is not null and {parsed} is null", _EXPECTED[column.kind]))
    if column.kind == "date" and column.bounded:
        checks.append(
            (
                f"{parsed} < date '{earliest.isoformat()}'",
                f"is before {earliest.isoformat()}, the earliest date accepted (--earliest-date)",
            )
        )
        beyond = f"{parsed} > date '{LATEST_DATE.isoformat()}'"
        why = f"is after {LATEST_DATE.isoformat()}, the latest date accepted"
        if column.open_end:
            beyond += f" and {parsed} <> date '{OPEN_END_SENTINEL}'"
            why += f" (leave {column.name} empty, or write {OPEN_END_SENTINEL}, for no end)"
        checks.append((beyond, why))
    if column.kind in ("number", "integer"):
        checks.append((f"not isfinite({parsed})", "is not a finite number"))
        if column.non_negative:
            checks.append((f"{parsed} < 0", "is negative"))
        if column.positive:
            checks.append((f"{parsed} <= 0", "must be greater than zero"))
        if column.max_value is not None:
            checks.append(
                (f"abs({parsed}) > {column.max_value}", f"is beyond ±{column.max_value:g}")
            )
    if column.kind == "enum":
        allowed = ", ".join(_literal(v) for v in column.values)
        checks.append(
            (
                f"{text} is not null and {_normalise_sql(text)} not in ({allowed})",
                f"is not one of: {', '.join(column.values)}",
            )
        )
    for reserved in column.reserved:
        checks.append(
            (
                f"{text} is not null and {_normalise_sql(text)} = {_literal(reserved)}",
                f"is not allowed: '{reserved}' is reserved for the total rows of the marts",
            )
        )
    if column.kind == "currency":
        checks.append(
            (
                f"{text} is not null and not regexp_full_match({text}, '[A-Za-z]{{3}}')",
                "is not a three-letter ISO 4217 currency code",
            )
        )
    if column.kind == "quarter":
        checks.append(
            (
                f"{text} is not null and not regexp_full_match({text}, '[0-9]{{4}}-Q[1-4]')",
                "is not a fiscal quarter like 2026-Q1",
            )
        )
    return checks


def validate(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: Table,
    scratch: str,
    earliest_date: date = DEFAULT_EARLIEST_DATE,
) -> tuple[Checked, list[Problem]]:
    """Validate one file: the checked file (typed columns) and any problems."""
    file = path.name
    headers = _read_as_text(con, path, scratch)
    mapping = _match_headers(file, headers, table)

    problems: list[Problem] = []
    texts: list[str] = []  # each mapped column trimmed, empty as null, named __t_<column>
    typed: list[str] = []
    for column in table.columns:
        sql_type = SQL_TYPES[column.kind]
        if column.name not in mapping:
            typed.append(f"cast(null as {sql_type}) as {_quote(column.name)}")
            continue
        raw = mapping[column.name]
        text = _quote(f"__t_{column.name}")
        texts.append(f"nullif(trim({raw}), '') as {text}")
        value = _parsed_sql(column, text)
        if column.open_end:
            value = f"nullif({value}, date '{OPEN_END_SENTINEL}')"
        typed.append(f"{value}::{sql_type} as {_quote(column.name)}")
        # One scan per column: the rows breaking its first broken rule (enough to act on).
        # The text and the parsed value are projected once, then tested.
        rules = _column_checks(column, "t", "p", earliest_date)
        if rules:
            whens = " ".join(f"when {condition} then {n}" for n, (condition, _) in enumerate(rules))
            sql = (
                f"select {_ROW}, v, rule from (select {_ROW}, v, case {whens} end as rule "
                f"from (select {_ROW}, v, t, {_parsed_sql(column, 't')} as p "
                f"from (select {_ROW}, {raw} as v, nullif(trim({raw}), '') as t "
                f"from {scratch}))) where rule is not null qualify rule = min(rule) over () "
                f"order by {_ROW} limit {MAX_REPORTED_ERRORS}"
            )
            for row, found_value, rule in con.execute(sql).fetchall():
                problems.append(Problem(file, row, column.name, found_value, rules[rule][1]))

    passthrough = ", ".join([_ROW, *sorted(set(mapping.values()))])
    relation = (
        f"select {passthrough}, {', '.join(typed)} "
        f"from (select {', '.join([passthrough, *texts])} from {scratch})"
    )
    checked = Checked(path, scratch, mapping, relation, tuple(table.column_names))
    if problems:
        return checked, problems

    for later, earlier in table.checks:
        if later in mapping and earlier in mapping:
            sql = (
                f"select {_ROW}, {mapping[later]} as v from ({relation}) "
                f"where {_quote(later)} < {_quote(earlier)}"
            )
            problems += _problems(con, file, sql, later, f"is before {earlier}")

    if table.key and all(k in mapping for k in table.key):
        # Compared as staging compares them, so a key unique here is unique in the models.
        partition = ", ".join(_key_sql(table.column(k), _quote(k)) for k in table.key)
        duplicated = con.execute(
            f"select count(*) from (select 1 from ({relation}) group by {partition} "
            "having count(*) > 1 limit 1)"
        ).fetchone()
        if duplicated and duplicated[0]:
            problems += _duplicates(con, file, table, mapping, relation, partition)
    return checked, problems


def _duplicates(
    con: duckdb.DuckDBPyConnection,
    file: str,
    table: Table,
    mapping: dict[str, str],
    relation: str,
    partition: str,
) -> list[Problem]:
    """Each row repeating an earlier row's key, naming that row."""
    raw_key = " || ' / ' || ".join(f"coalesce({mapping[k]}, '')" for k in table.key)
    sql = (
        f"select {_ROW}, v, first_row, first_v from (select {_ROW}, {raw_key} as v, "
        f"first_value({_ROW}) over w as first_row, first_value({raw_key}) over w as "
        f"first_v, row_number() over w as occurrence from ({relation}) "
        f"window w as (partition by {partition} order by {_ROW})) where occurrence > 1 "
        f"order by {_ROW} limit {MAX_REPORTED_ERRORS}"
    )
    problems = []
    for row, value, first_row, first_value in con.execute(sql).fetchall():
        why = f"duplicates the key ({', '.join(table.key)}) of row {first_row}"
        if first_value != value:
            why += (
                f" ({_shown(first_value)}): keys are compared as the models compare them "
                "(trimmed; currencies and quarters in any case; enumerations and segments "
                "in any case with spaces and hyphens as '_'; timestamps by their date)"
            )
        problems.append(Problem(file, row, ", ".join(table.key), value, why))
    return problems


def _amount_problems(
    con: duckdb.DuckDBPyConnection,
    checked: dict[str, Checked],
) -> list[Problem]:
    """Amounts that pass ±1e12 but overflow the models' decimal(18, 6) once converted at the
    largest rate of their currency (from this load's fx_rates, else the warehouse's)."""
    rates: str | None = None
    source = ""
    if "fx_rates" in checked:
        fx = checked["fx_rates"]
        rates = (
            "select upper(currency) as currency, max(rate_to_reporting) as rate "
            f"from ({fx.relation}) group by 1"
        )
        source = fx.path.name
    else:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = 'fx_rates'"
        ).fetchone()
        if exists and exists[0]:
            rates = (
                "select upper(trim(currency)) as currency, max(rate_to_reporting) as rate "
                "from raw.fx_rates group by 1"
            )
            source = "raw.fx_rates in the warehouse"
    problems: list[Problem] = []
    for file in checked.values():
        if "amount" not in file.mapping or "currency" not in file.mapping:
            continue
        join = (
            f"left join ({rates}) as rates on upper(checked.currency) = rates.currency"
            if rates
            else ""
        )
        rate = "rates.rate" if rates else "cast(null as double)"
        factor = f"greatest(coalesce({rate}, 1), 1)"
        sql = (
            f"select {_ROW}, {file.mapping['amount']}, upper(checked.currency), {rate}, "
            f"abs(amount) * {factor} from ({file.relation}) as checked {join} "
            f"where abs(amount) * {factor} >= {MAX_AMOUNT} "
            f"order by {_ROW} limit {MAX_REPORTED_ERRORS}"
        )
        for row, value, code, found_rate, converted in con.execute(sql).fetchall():
            if found_rate is not None and found_rate > 1:
                why = (
                    f"is {converted:.6g} once converted at the largest {code} rate "
                    f"{found_rate:g} ({source}), beyond the ±{MAX_AMOUNT:g} the models carry"
                )
            else:
                why = f"is not below {MAX_AMOUNT:g}, the largest amount the models carry"
            problems.append(Problem(file.path.name, row, "amount", value, why))
    return problems


# How many levels of parent accounts the models walk (stg_billing__customer_accounts).
MAX_HIERARCHY_DEPTH = 10


def _hierarchy_problems(
    con: duckdb.DuckDBPyConnection, checked: dict[str, Checked]
) -> list[Problem]:
    """customers.parent_customer_id: each parent a customer of the same file, no account
    its own ancestor, at most MAX_HIERARCHY_DEPTH levels (ids compared trimmed, as the
    models compare them)."""
    customers = checked.get("customers")
    if customers is None or "parent_customer_id" not in customers.mapping:
        return []
    file = customers.path.name
    rows = con.execute(
        f"select {_ROW}, trim(customer_id), trim(parent_customer_id), "
        f"{customers.mapping['parent_customer_id']} from ({customers.relation}) "
        f"order by {_ROW}"
    ).fetchall()
    parents = {customer: parent for _, customer, parent, _ in rows if parent is not None}
    known = {customer for _, customer, _, _ in rows}
    problems: list[Problem] = []
    for row, customer, parent, raw in rows:
        if parent is None:
            continue
        if parent not in known:
            why = "is not a customer_id of this file: a parent account must be a customer"
            problems.append(Problem(file, row, "parent_customer_id", raw, why))
            continue
        chain = [customer]
        while chain[-1] in parents and len(chain) <= MAX_HIERARCHY_DEPTH + 1:
            chain.append(parents[chain[-1]])
            if chain[-1] in chain[:-1]:
                why = f"makes a cycle in the account hierarchy: {' -> '.join(chain)}"
                problems.append(Problem(file, row, "parent_customer_id", raw, why))
                break
        else:
            if len(chain) > MAX_HIERARCHY_DEPTH + 1:
                why = (
                    f"puts {customer} more than {MAX_HIERARCHY_DEPTH} levels below its top "
                    f"account, deeper than the models walk"
                )
                problems.append(Problem(file, row, "parent_customer_id", raw, why))
        if len(problems) >= MAX_REPORTED_ERRORS:
            break
    return problems


def _empty_table_sql(table: Table) -> str:
    columns = ", ".join(f"{_quote(c.name)} {SQL_TYPES[c.kind]}" for c in table.columns)
    return f"create table raw.{_quote(table.name)} ({columns})"


def load(
    directory: Path,
    database: Path,
    *,
    allow_unknown_files: bool = False,
    earliest_date: date = DEFAULT_EARLIEST_DATE,
    source: str = "contract",
) -> LoadResult:
    """Validate every file in `directory`, then replace the tables in one go.

    source "contract": the raw contract's files into schema raw (a contract table with no
    file and no table yet is created empty). A connector's name (stripe, salesforce,
    hubspot): that connector's exported tables into the schema of that name, which then
    holds exactly the folder's tables (a table of an earlier load the folder lacks is
    dropped); its required tables must all be there.
    """
    connector = CONNECTORS.get(source)
    if connector is None and source != "contract":
        known = ", ".join(["contract", *CONNECTORS])
        raise LoadError(f"unknown source {source!r} (expected one of: {known})")
    tables = connector.tables if connector else TABLES
    if not directory.is_dir():
        raise LoadError(f"{directory}: no such directory")
    files, not_loaded = find_files(
        directory, allow_unknown_files, tables, connector.name if connector else "raw"
    )
    if connector:
        _check_connector_tables(directory, connector, files)
    elif not files:
        expected = ", ".join(f"{t.name}.csv" for t in TABLES)
        raise LoadError(f"{directory}: no raw files found (expected some of: {expected})")

    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(database), config=settings.duckdb_config())
    except duckdb.Error as exc:
        raise LoadError(f"{database}: cannot open the warehouse: {exc}") from exc
    try:
        # Deterministic text for Parquet timestamps with time zone, whatever the machine's.
        # (Without the ICU extension DuckDB shows timestamps in UTC anyway.)
        with contextlib.suppress(duckdb.Error):
            con.execute("set TimeZone = 'UTC'")
        # Validation reads into temp tables, which never reach the database file.
        checked: dict[str, Checked] = {}
        problems: list[Problem] = []
        for table in tables:
            if table.name in files:
                scratch = f"scratch_{table.name}"
                found_file, found = validate(con, files[table.name], table, scratch, earliest_date)
                checked[table.name] = found_file
                problems += found
        if not problems and not connector:
            problems += _amount_problems(con, checked)
            problems += _hierarchy_problems(con, checked)
        if problems:
            shown = "\n".join(f"  {p}" for p in problems[:MAX_REPORTED_ERRORS])
            more = len(problems) - MAX_REPORTED_ERRORS
            tail = f"\n  ... and more ({more} not shown)" if more > 0 else ""
            raise LoadError(f"the load was refused, nothing was written:\n{shown}{tail}")
        selects = {n: c.select for n, c in checked.items()}
        if connector:
            result = _replace_tables(con, connector.name, connector.tables, selects, exact=True)
        else:
            result = _replace_tables(con, "raw", TABLES, selects, exact=False)
        return replace(result, not_loaded=not_loaded)
    finally:
        con.close()


def _check_connector_tables(directory: Path, connector: Connector, files: dict[str, Path]) -> None:
    """Refuse a connector folder lacking a required table or holding half of a pair."""
    lines = []
    for group in connector.required:
        if not any(name in files for name in group):
            names = " or ".join(f"{name}.csv (or .parquet)" for name in group)
            lines.append(f"{names} is missing; the {connector.name} adapters need it")
    for pair in connector.together:
        present = [name for name in pair if name in files]
        if present and len(present) < len(pair):
            lines.append(
                f"{' and '.join(pair)} go together (both or neither): only "
                f"{', '.join(present)} is there"
            )
    if lines:
        shown = "\n".join(f"  {line}" for line in lines)
        raise LoadError(f"{directory}: the load was refused, nothing was written:\n{shown}")


def _replace_tables(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    tables: tuple[Table, ...],
    selects: dict[str, str],
    *,
    exact: bool,
) -> LoadResult:
    """One transaction: replace the tables that have a file. exact: drop the schema's other
    tables of the list (a connector's schema mirrors the folder); else create the missing
    ones empty and give older tables the columns they lack (empty)."""
    loaded: dict[str, int] = {}
    created: list[str] = []
    dropped: list[str] = []
    changes: dict[str, Changes] = {}
    try:
        con.execute("begin transaction")
        con.execute(f"create schema if not exists {_quote(schema)}")
        existing: dict[str, set[str]] = {}
        for table_name, column_name in con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = ?",
            [schema],
        ).fetchall():
            existing.setdefault(table_name, set()).add(column_name)
        for table in tables:
            name = f"{_quote(schema)}.{_quote(table.name)}"
            if table.name in selects:
                if schema == "raw":
                    changes[table.name] = _changes(con, table, selects[table.name], existing)
                con.execute(f"create or replace table {name} as {selects[table.name]}")
                count = con.execute(f"select count(*) from {name}").fetchone()
                loaded[table.name] = count[0] if count else 0
            elif exact:
                if table.name in existing:
                    con.execute(f"drop table {name}")
                    dropped.append(table.name)
            elif table.name not in existing:
                con.execute(_empty_table_sql(table))
                created.append(table.name)
            else:  # a table of an older contract: add the columns it lacks, empty
                for column in table.columns:
                    if column.name not in existing[table.name]:
                        con.execute(
                            f"alter table {name} add column {_quote(column.name)} "
                            f"{SQL_TYPES[column.kind]}"
                        )
        if schema == "raw":
            _log_loads(con, loaded, created, changes)
        con.execute("commit")
    except duckdb.Error as exc:
        con.execute("rollback")
        raise LoadError(f"the load failed and was rolled back, nothing was written: {exc}") from exc
    return LoadResult(loaded, created, schema=schema, dropped=dropped)


@dataclass(frozen=True)
class Changes:
    """How a load changed one raw table: rows added and rows removed against the table it
    replaces (an edited row is one of each), and the earliest CHANGE_DATES date among them.
    A table that did not exist, or had other columns, counts all its rows as changed."""

    added_rows: int
    removed_rows: int
    first_changed_date: date | None


def _changes(
    con: duckdb.DuckDBPyConnection, table: Table, select: str, existing: dict[str, set[str]]
) -> Changes:
    columns = ", ".join(_quote(c) for c in table.column_names)
    date_sql = CHANGE_DATES.get(table.name, "cast(null as date)")
    if existing.get(table.name) != set(table.column_names):
        old = f"select {columns} from ({select}) where false"
        removed_all = 0 if table.name not in existing else 1
    else:
        old = f"select {columns} from raw.{_quote(table.name)}"
        removed_all = 0
    if table.name == "customers":
        # New customer ids only: an edited customer is a removed row (every month).
        con.execute(
            "create or replace temp table __added_customers as "
            f"select customer_id from ({select}) except select customer_id from ({old})"
        )
    row = con.execute(
        f"""
        with
        new_rows as (select {columns} from ({select})),
        old_rows as ({old}),
        added as (select * from new_rows except all select * from old_rows),
        removed as (select * from old_rows except all select * from new_rows)
        select
            (select count(*) from added),
            (select count(*) from removed),
            (
                select min({date_sql})
                from (select * from added union all select * from removed)
            )
        """
    ).fetchone()
    assert row is not None
    added, removed, first = row
    # Older columns: every old row counts as removed (the window recomputes every month).
    return Changes(added, max(removed, removed_all), first)


def _log_loads(
    con: duckdb.DuckDBPyConnection,
    loaded: dict[str, int],
    created: list[str],
    changes: dict[str, Changes],
) -> None:
    """Append one row per table written to raw._load_log: when (dbt source freshness reads
    it) and what changed (the incremental models' refresh windows read it). A new
    customer id can make items count that were quarantined for lacking it, so the
    customers' change date is the earliest date of the new customers' items."""
    con.execute(
        f"create table if not exists raw.{LOAD_LOG} "
        "(table_name varchar, loaded_at timestamptz, loaded_rows bigint)"
    )
    for column, kind in (
        ("added_rows", "bigint"),
        ("removed_rows", "bigint"),
        ("first_changed_date", "date"),
    ):
        con.execute(f"alter table raw.{LOAD_LOG} add column if not exists {column} {kind}")
    for table_name in [*loaded, *created]:
        change = changes.get(table_name, Changes(0, 0, None))
        first = change.first_changed_date
        if table_name == "customers" and change.added_rows:
            found = con.execute(
                f"""
                select min({CHANGE_DATES["subscription_items"]})
                from raw.subscription_items
                where customer_id in (select customer_id from __added_customers)
                """
            ).fetchone()
            first = found[0] if found else None
        con.execute(
            f"insert into raw.{LOAD_LOG} "
            "(table_name, loaded_at, loaded_rows, added_rows, removed_rows, first_changed_date) "
            "values (?, current_timestamp, ?, ?, ?, ?)",
            [table_name, loaded.get(table_name, 0), change.added_rows, change.removed_rows, first],
        )
