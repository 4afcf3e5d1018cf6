"""Hardening: malformed configuration executes nothing; fuzzed raw files never crash the loader.

The fuzz run prints its counts (cases tried, loaded, rejected, crashed): crashed must be 0.
"""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from conftest import SUMMARY, build_warehouse, warehouse_fingerprint, write_table

from expansion_metrics.loader import LoadError, load
from expansion_metrics.settings import PROJECT_DIR

# ---------------------------------------------------------------------------------------
# Safe configuration


NAME = 'O\'Brien; drop table raw.customers; -- <b>"x"</b>'
SEGMENT = "smb'; --"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One built warehouse for this part: its names carry quotes, SQL and angle brackets
    (read back by the data check), and the malformed vars must leave it byte-identical."""
    raw = tmp_path_factory.mktemp("hardening") / "raw"
    write_table(raw, "customers", [{"customer_id": "c1", "customer_name": NAME,
                                    "segment": SEGMENT}])  # fmt: skip
    write_table(raw, "subscription_items", [
        {"subscription_item_id": "i1", "customer_id": "c1", "product": "p'; --",
         "pricing_model": "flat", "amount": 100, "currency": "USD", "billing_interval": "month",
         "valid_from": "2026-01-01"},
    ])  # fmt: skip
    return build_warehouse(raw, raw.parent / "wh.duckdb", "2026-03-31")


MALICIOUS_VARS = {
    "as_of_date": ("{as_of_date: \"2025-01-01'; drop table raw.customers; --\"}", "as_of_date"),
    "reporting_currency": ("{reporting_currency: \"USD'; drop table raw.customers; --\"}",
                           "reporting_currency"),
    "threshold": ('{coverage_alert_ratio: "0 or 1=1); drop table raw.customers; --"}',
                  "coverage_alert_ratio"),
    "window": ('{health_usage_recent_days: "30; drop table raw.customers"}',
               "health_usage_recent_days"),
    "segment name": ("{logo_churn_targets_pct: {\"smb'; drop table raw.customers; --\": 5}}",
                     "logo_churn_targets_pct"),
    "fiscal month": ("{fiscal_year_start_month: 13}", "fiscal_year_start_month"),
    "reactivation window": ("{reactivation_window_months: \"3 or 1=1\"}",
                            "reactivation_window_months"),
    "past-due days": ("{past_due_churn_days: \"7 day\"}", "past_due_churn_days"),
    "gross margin": ("{gross_margin_pct: 150}", "gross_margin_pct must be a percentage"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MALICIOUS_VARS))
def test_malformed_var_stops_the_build_and_executes_nothing(case: str, built: Path):
    variables, named = MALICIOUS_VARS[case]
    before = warehouse_fingerprint(built)
    dbt = str(Path(sys.executable).parent / "dbt")
    done = subprocess.run(
        [dbt, "build", "--vars", variables, "--project-dir", str(PROJECT_DIR),
         "--profiles-dir", str(PROJECT_DIR)],
        env={**os.environ, "EXPANSION_METRICS_DB": str(built)},
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert named in output
    assert "Traceback" not in output
    assert warehouse_fingerprint(built) == before


def test_quotes_and_angle_brackets_in_data_flow_through_unchanged(built: Path):
    """Names from the data never become SQL: they reach the marts exactly as written."""
    with duckdb.connect(str(built), read_only=True) as con:
        assert con.execute("select customer_name from marts.mart_customer_health").fetchone() == (
            NAME,
        )
        segments = con.execute(
            "select distinct dimension_value from marts.mart_nrr where dimension = 'segment'"
        ).fetchall()
        # normalised (trimmed, lower case, spaces and hyphens as _), never executed
        assert segments == [("smb';___",)]


# ---------------------------------------------------------------------------------------
# Fuzzed input files

HEADER = "customer_id,customer_name,segment,industry,region,created_at"
GOOD_CUSTOMERS = (
    f"{HEADER}\n"
    "C1,Acme,smb,retail,emea,2024-01-03\n"
    'C2,"Smith, Jones & ""Partners""",enterprise,healthcare,apac,2024-02-01\n'
    "C3,Initech,mid_market,software,latam,2024-03-15\n"
)
ITEMS_HEADER = (
    "subscription_item_id,customer_id,product,pricing_model,amount,currency,"
    "billing_interval,valid_from,valid_to"
)
GOOD_ITEMS = (
    f"{ITEMS_HEADER}\n"
    "I1,C1,platform,seat,500,USD,month,2024-01-15,\n"
    "I2,C2,platform,flat,1200.50,USD,year,2024-02-01,2025-02-01\n"
)

Mutation = Callable[[str], str]


def swap(old: str, new: str) -> Mutation:
    return lambda text: text.replace(old, new)


def _reversed_columns(text: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([list(reversed(r)) for r in rows])
    return out.getvalue()


# name -> (file, mutation, "load" when the meaning is unambiguous, else "reject")
NAMED_CASES: dict[str, tuple[str, Mutation, str]] = {
    "byte-order mark": ("customers", lambda t: "\ufeff" + t, "load"),
    "windows line endings": ("customers", swap("\n", "\r\n"), "load"),
    "quoted comma and newline in a name": (
        "customers", swap("Initech", '"Ini,\ntech"'), "load"),
    "headers in another order": ("customers", lambda t: _reversed_columns(t), "load"),
    "headers in another case": ("customers", swap(HEADER, HEADER.upper()), "load"),
    "iso timestamp for a date": (
        "customers", swap("2024-01-03", "2024-01-03T10:00:00"), "load"),
    "truncated line": ("customers", swap("Initech,mid_market,software,latam,", "In"), "reject"),
    "truncated file mid-line": ("customers", lambda t: t[: t.index("C3") + 5], "reject"),
    "semicolon delimiter": ("customers", swap(",", ";"), "reject"),
    "tab delimiter": ("customers", swap(",", "\t"), "reject"),
    "non-utf-8 bytes": ("customers", swap("Acme", "Ac\udcffme"), "reject"),
    "latin-1 name": ("customers", swap("Acme", "Ac\udce9me"), "reject"),
    "empty file": ("customers", lambda t: "", "reject"),
    "header only": ("customers", lambda t: HEADER + "\n", "load"),
    "duplicated header": ("customers", swap(HEADER, HEADER + ",segment"), "reject"),
    "date as dd/mm/yyyy": ("customers", swap("2024-03-15", "15/03/2024"), "reject"),
    "date as mm/dd/yyyy": ("customers", swap("2024-03-15", "03/15/2024"), "reject"),
    "date with month name": ("customers", swap("2024-03-15", "15-Mar-2024"), "reject"),
    "thousand separator in an amount": ("subscription_items", swap(",500,", ',"1,500",'), "reject"),
    "decimal comma in an amount": ("subscription_items", swap("1200.50", '"1200,50"'), "reject"),
    "huge number": ("subscription_items", swap(",500,", ",1e400,"), "reject"),
    "amount beyond the supported range": ("subscription_items", swap(",500,", ",2e12,"), "reject"),
    "negative zero amount": ("subscription_items", swap(",500,", ",-0,"), "load"),
}  # fmt: skip


def _write(directory: Path, table: str, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8", errors="surrogateescape")
    (directory / f"{table}.csv").write_bytes(data)


class Tally:
    def __init__(self) -> None:
        self.tried = self.loaded = self.rejected = self.crashed = 0

    def __str__(self) -> str:
        return (f"cases tried {self.tried}, loaded {self.loaded}, rejected {self.rejected}, "
                f"crashed {self.crashed}")  # fmt: skip


def _attempt(directory: Path, database: Path, tally: Tally) -> str:
    """Load; return 'load' or 'reject'; a rejection must leave the warehouse unchanged."""
    before = warehouse_fingerprint(database)
    tally.tried += 1
    try:
        load(directory, database)
    except LoadError as exc:
        tally.rejected += 1
        message = str(exc)
        assert ".csv" in message, message  # names the file
        assert warehouse_fingerprint(database) == before
        return "reject"
    except Exception:  # noqa: BLE001 - any other exception is a crash, counted and failed
        tally.crashed += 1
        raise
    tally.loaded += 1
    return "load"


@pytest.fixture
def seeded_warehouse(tmp_path: Path) -> Path:
    database = tmp_path / "wh.duckdb"
    good = tmp_path / "good"
    _write(good, "customers", GOOD_CUSTOMERS)
    _write(good, "subscription_items", GOOD_ITEMS)
    load(good, database)
    return database


def test_fuzzed_files_load_or_are_rejected_never_crash(seeded_warehouse: Path, tmp_path: Path):
    tally = Tally()
    outcomes = {}
    for n, (name, (table, mutate, expected)) in enumerate(sorted(NAMED_CASES.items())):
        directory = tmp_path / f"case{n}"
        _write(directory, "customers", GOOD_CUSTOMERS)
        _write(directory, "subscription_items", GOOD_ITEMS)
        source = GOOD_CUSTOMERS if table == "customers" else GOOD_ITEMS
        _write(directory, table, mutate(source))
        outcomes[name] = (_attempt(directory, seeded_warehouse, tally), expected)
    SUMMARY.append(f"fuzz, named cases: {tally}")
    wrong = {k: v for k, v in outcomes.items() if v[0] != v[1]}
    assert wrong == {}, wrong
    assert tally.crashed == 0


def test_loaded_mutations_keep_their_meaning(tmp_path: Path):
    """Where a mutated file loads, it loads the same data as the original."""
    for name in ("byte-order mark", "windows line endings", "headers in another case",
                 "headers in another order"):  # fmt: skip
        table, mutate, _ = NAMED_CASES[name]
        directory = tmp_path / name.replace(" ", "_")
        _write(directory, "customers", mutate(GOOD_CUSTOMERS))
        database = tmp_path / f"{directory.name}.duckdb"
        load(directory, database)
        with duckdb.connect(str(database), read_only=True) as con:
            rows = con.execute(
                "select customer_id, customer_name, segment, created_at from raw.customers "
                "order by 1"
            ).fetchall()
        assert [r[0] for r in rows] == ["C1", "C2", "C3"][: len(rows)], name
        assert rows[0][1:3] == ("Acme", "smb"), name
        assert str(rows[0][3]) == "2024-01-03", name


RANDOM_CASES = int(os.environ.get("FUZZ_CASES", "100"))  # FUZZ_CASES=5000 for a long run


def test_random_byte_mutations_never_crash(seeded_warehouse: Path, tmp_path: Path):
    rng = random.Random(20261123)
    tally = Tally()
    alphabet = [",", '"', "\n", "\r", ";", "\t", "\x00", "\xff", "é", "-", "9", "e", " ", "'"]
    for n in range(RANDOM_CASES):
        text = GOOD_ITEMS if n % 2 else GOOD_CUSTOMERS
        chars = list(text)
        for _ in range(rng.randint(1, 4)):
            where = rng.randrange(len(chars))
            action = rng.choice(("delete", "insert", "replace", "duplicate_line"))
            if action == "delete":
                del chars[where]
            elif action == "insert":
                chars.insert(where, rng.choice(alphabet))
            elif action == "replace":
                chars[where] = rng.choice(alphabet)
            else:
                lines = "".join(chars).splitlines(keepends=True)
                lines.insert(rng.randrange(len(lines)), rng.choice(lines))
                chars = list("".join(lines))
        directory = tmp_path / f"random{n}"
        _write(directory, "customers" if n % 2 == 0 else "subscription_items", "".join(chars))
        _attempt(directory, seeded_warehouse, tally)
        shutil.rmtree(directory)
    SUMMARY.append(f"fuzz, random mutations: {tally}")
    assert tally.crashed == 0
    assert tally.loaded > 0 and tally.rejected > 0  # the mutations exercise both paths
