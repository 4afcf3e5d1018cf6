"""Load raw CSV / Parquet files into schema ``raw`` of the DuckDB warehouse.

Validation happens before anything is written, and the writes run in one transaction:
a bad file fails the whole load and leaves the warehouse exactly as it was.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb

from expansion_metrics import settings
from expansion_metrics.contract import SQL_TYPES, TABLES, Column, Table

MAX_REPORTED_ERRORS = 20
_ROW = "_em_row"  # row number column added while validating
LOAD_LOG = "_load_log"  # raw.<this>: one row per table written by a load, with its time


class LoadError(Exception):
    """A user-facing load failure; the message says what is wrong and where."""


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
        value = "" if self.value is None else f" {self.value!r}"
        return f"{where}:{value} {self.reason}"


@dataclass(frozen=True)
class LoadResult:
    loaded: dict[str, int]  # table -> rows loaded from a file
    created_empty: list[str]  # tables created empty because no file and no table existed


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def find_file(directory: Path, table: Table) -> Path | None:
    """The file for a table in a directory: <table>.csv or <table>.parquet (not both)."""
    candidates = [directory / f"{table.name}.{ext}" for ext in ("csv", "parquet")]
    present = [p for p in candidates if p.is_file()]
    if len(present) > 1:
        raise LoadError(
            f"{directory}: both {table.name}.csv and {table.name}.parquet exist; keep one"
        )
    return present[0] if present else None


def _read_as_text(con: duckdb.DuckDBPyConnection, path: Path, scratch: str) -> list[str]:
    """Read a file into a scratch table of text columns, in file order; return its headers."""
    if path.suffix == ".csv":
        if path.stat().st_size == 0:
            raise LoadError(f"{path.name}: the file is empty (expected a header row)")
        source = (
            f"read_csv({_literal(str(path))}, header = true, all_varchar = true, "
            "delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
            "null_padding = false, auto_detect = false, columns = "
            f"{_csv_columns(path)})"
        )
    else:
        source = f"read_parquet({_literal(str(path))})"
    try:
        # Every column as text, so typed Parquet is validated like CSV.
        con.execute(f"create temp table {scratch} as select columns(*)::varchar from {source}")
    except duckdb.Error as exc:
        detail = " ".join(line.strip() for line in str(exc).strip().splitlines()[:2])
        raise LoadError(f"{path.name}: cannot be read as {path.suffix[1:]}: {detail}") from exc
    headers = [row[0] for row in con.execute(f"describe {scratch}").fetchall()]
    return headers


def _csv_columns(path: Path) -> str:
    """The CSV's header as a DuckDB struct of varchar columns (names as written)."""

    with path.open("rb") as handle:
        first_line = handle.readline()
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
    pairs = ", ".join(f"{_literal(h)}: 'VARCHAR'" for h in header)
    return "{" + pairs + "}"


def _match_headers(file: str, headers: list[str], table: Table) -> dict[str, str]:
    """Map contract column -> file header (trimmed, case-insensitive). Extra headers ignored."""
    by_norm: dict[str, str] = {}
    for header in headers:
        norm = header.strip().lower()
        if norm in by_norm:
            raise LoadError(f"{file}, header: column {header!r} appears more than once")
        by_norm[norm] = header
    mapping = {c.name: by_norm[c.name] for c in table.columns if c.name in by_norm}
    missing = [c.name for c in table.columns if c.required and c.name not in mapping]
    if missing:
        raise LoadError(
            f"{file}, header: missing required column(s) {', '.join(missing)} "
            f"(found: {', '.join(headers)})"
        )
    return mapping


def _value_sql(column: Column, text: str) -> str:
    """SQL turning a trimmed text expression into the column's type (null if it does not parse)."""
    if column.kind == "date":
        return (
            f"coalesce(try_strptime({text}, '%Y-%m-%d')::date, "
            f"try_strptime({text}, '%Y-%m-%d %H:%M:%S')::date, "
            f"try_strptime({text}, '%Y-%m-%dT%H:%M:%S')::date, "
            f"try_strptime({text}, '%Y-%m-%dT%H:%M:%SZ')::date)"
        )
    if column.kind == "number":
        return f"try_cast({text} as double)"
    if column.kind == "integer":
        return f"try_cast({text} as bigint)"
    return text


_EXPECTED: dict[str, str] = {
    "date": "is not a date (expected YYYY-MM-DD)",
    "number": "is not a number (expected digits with an optional '.' decimal point)",
    "integer": "is not a whole number",
}


def _problems(
    con: duckdb.DuckDBPyConnection, file: str, sql: str, column: str | None, why: str
) -> list[Problem]:
    rows = con.execute(
        f"select {_ROW}, v from ({sql}) order by {_ROW} limit {MAX_REPORTED_ERRORS}"
    ).fetchall()
    return [Problem(file, row, column, value, why) for row, value in rows]


def validate(
    con: duckdb.DuckDBPyConnection, path: Path, table: Table, scratch: str
) -> tuple[str, list[Problem]]:
    """Validate one file; return the typed SELECT over the scratch table and any problems."""
    file = path.name
    headers = _read_as_text(con, path, scratch)
    mapping = _match_headers(file, headers, table)
    con.execute(f"alter table {scratch} add column {_ROW} bigint")
    con.execute(f"update {scratch} set {_ROW} = rowid + 1")

    problems: list[Problem] = []
    typed: dict[str, str] = {}
    for column in table.columns:
        if column.name not in mapping:
            typed[column.name] = f"cast(null as {SQL_TYPES[column.kind]})"
            continue
        raw = _quote(mapping[column.name])
        text = f"nullif(trim({raw}), '')"
        value = _value_sql(column, text)
        typed[column.name] = f"{value}::{SQL_TYPES[column.kind]}"
        checks: list[tuple[str, str]] = []
        if column.required:
            checks.append((f"{text} is null", "is empty, but the column is required"))
        if column.kind in _EXPECTED:
            checks.append((f"{text} is not null and {value} is null", _EXPECTED[column.kind]))
        if column.kind in ("number", "integer"):
            checks.append((f"not isfinite({value})", "is not a finite number"))
            if column.non_negative:
                checks.append((f"{value} < 0", "is negative"))
            if column.positive:
                checks.append((f"{value} <= 0", "must be greater than zero"))
            if column.max_value is not None:
                checks.append(
                    (f"abs({value}) > {column.max_value}", f"is beyond ±{column.max_value:g}")
                )
        if column.kind == "enum":
            allowed = ", ".join(_literal(v) for v in column.values)
            norm = f"replace(replace(lower({text}), '-', '_'), ' ', '_')"
            checks.append(
                (
                    f"{text} is not null and {norm} not in ({allowed})",
                    f"is not one of: {', '.join(column.values)}",
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
        for condition, why in checks:
            sql = f"select {_ROW}, {raw} as v from {scratch} where {condition}"
            found = _problems(con, file, sql, column.name, why)
            if found:
                problems += found
                break  # the first failing rule of a column is enough to act on

    if problems:
        return "", problems

    for later, earlier in table.checks:
        if later in mapping and earlier in mapping:
            sql = (
                f"select {_ROW}, {_quote(mapping[later])} as v from {scratch} "
                f"where {typed[later]} < {typed[earlier]}"
            )
            problems += _problems(con, file, sql, later, f"is before {earlier}")

    if table.key and all(k in mapping for k in table.key):
        key_text = " || ' / ' || ".join(f"coalesce({typed[k]}::varchar, '')" for k in table.key)
        sql = (
            f"select {_ROW}, v from (select {_ROW}, {key_text} as v, "
            f"row_number() over (partition by {', '.join(typed[k] for k in table.key)} "
            f"order by {_ROW}) as occurrence from {scratch}) where occurrence > 1"
        )
        why = f"duplicates the key ({', '.join(table.key)}) of an earlier row"
        problems += _problems(con, file, sql, ", ".join(table.key), why)

    select = ", ".join(f"{expr} as {_quote(name)}" for name, expr in typed.items())
    return f"select {select} from {scratch} order by {_ROW}", problems


def _empty_table_sql(table: Table) -> str:
    columns = ", ".join(f"{_quote(c.name)} {SQL_TYPES[c.kind]}" for c in table.columns)
    return f"create table raw.{_quote(table.name)} ({columns})"


def load(directory: Path, database: Path) -> LoadResult:
    """Validate every contract file in `directory`, then replace the raw tables in one go."""
    if not directory.is_dir():
        raise LoadError(f"{directory}: no such directory")
    files = {t.name: p for t in TABLES if (p := find_file(directory, t)) is not None}
    if not files:
        expected = ", ".join(f"{t.name}.csv" for t in TABLES)
        raise LoadError(f"{directory}: no raw files found (expected some of: {expected})")

    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(database), config=settings.duckdb_config())
    except duckdb.Error as exc:
        raise LoadError(f"{database}: cannot open the warehouse: {exc}") from exc
    try:
        # Validation reads into temp tables, which never reach the database file.
        selects: dict[str, str] = {}
        problems: list[Problem] = []
        for table in TABLES:
            if table.name in files:
                sql, found = validate(con, files[table.name], table, f"scratch_{table.name}")
                selects[table.name] = sql
                problems += found
        if problems:
            shown = "\n".join(f"  {p}" for p in problems[:MAX_REPORTED_ERRORS])
            more = len(problems) - MAX_REPORTED_ERRORS
            tail = f"\n  ... and more ({more} not shown)" if more > 0 else ""
            raise LoadError(f"the load was refused, nothing was written:\n{shown}{tail}")
        return _replace_raw_tables(con, selects)
    finally:
        con.close()


def _replace_raw_tables(con: duckdb.DuckDBPyConnection, selects: dict[str, str]) -> LoadResult:
    """One transaction: replace the tables that have a file, create missing ones empty."""
    loaded: dict[str, int] = {}
    created: list[str] = []
    try:
        con.execute("begin transaction")
        con.execute("create schema if not exists raw")
        existing = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        for table in TABLES:
            name = f"raw.{_quote(table.name)}"
            if table.name in selects:
                con.execute(f"create or replace table {name} as {selects[table.name]}")
                count = con.execute(f"select count(*) from {name}").fetchone()
                loaded[table.name] = count[0] if count else 0
            elif table.name not in existing:
                con.execute(_empty_table_sql(table))
                created.append(table.name)
        # When each raw table was last written: dbt source freshness reads this log.
        con.execute(
            f"create table if not exists raw.{LOAD_LOG} "
            "(table_name varchar, loaded_at timestamptz, loaded_rows bigint)"
        )
        for table_name in [*loaded, *created]:
            con.execute(
                f"insert into raw.{LOAD_LOG} values (?, current_timestamp, ?)",
                [table_name, loaded.get(table_name, 0)],
            )
        con.execute("commit")
    except duckdb.Error as exc:
        con.execute("rollback")
        raise LoadError(f"the load failed and was rolled back, nothing was written: {exc}") from exc
    return LoadResult(loaded, created)
