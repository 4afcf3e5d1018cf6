"""The loader refuses what it used to mangle silently, and accepts what real exports write.

Each refusal goes through `expansion-metrics load` (cli.main, in process): exit status 1,
one message naming the file, row (1 = first data row, 0 = the header), column and value,
no traceback, and the warehouse byte-identical (conftest.warehouse_fingerprint). Expected
values are worked out by hand from the rules in the README ("What the loader checks").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import warehouse_fingerprint, write_table
from test_loader import CUSTOMERS, FX, ITEMS, OPPORTUNITIES, good_set

from expansion_metrics import cli


def _with(rows: list[dict[str, str]], index: int, **changes: str) -> list[dict[str, str]]:
    copy = [dict(r) for r in rows]
    copy[index].update(changes)
    return copy


def run_load(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["load", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_refused(
    capsys: pytest.CaptureFixture[str],
    warehouse: Path,
    directory: Path,
    fragments: list[str],
    *flags: str,
) -> str:
    """Load `directory` through the CLI: refused with every fragment named, nothing written."""
    before = warehouse_fingerprint(warehouse)
    code, out, err = run_load(capsys, str(directory), *flags)
    assert code == 1, f"loaded, expected a refusal:\n{out}{err}"
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert warehouse_fingerprint(warehouse) == before
    return err


def assert_loads(capsys: pytest.CaptureFixture[str], directory: Path, *flags: str) -> str:
    code, out, err = run_load(capsys, str(directory), *flags)
    assert code == 0, err
    return out


@pytest.fixture
def seeded(tmp_path: Path, warehouse: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A warehouse holding the good set: a refused load must leave exactly this."""
    assert_loads(capsys, good_set(tmp_path / "good"))
    return warehouse


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


NPS = [{"response_id": "R1", "customer_id": "C1", "responded_at": "2024-05-01", "score": "9"}]
USAGE = [{"customer_id": "C1", "usage_date": "2024-05-01", "active_users": "4", "logins": "9",
          "key_actions": "20", "usage_quantity": "1.5", "usage_limit": "10"}]  # fmt: skip
INVOICES = [{"invoice_id": "V1", "customer_id": "C1", "due_date": "2024-02-01", "amount": "500",
             "currency": "USD", "status": "paid"}]  # fmt: skip
TARGETS = [{"fiscal_quarter": "2026-Q1", "segment": "smb", "target_arr": "1000"}]


# ---------------------------------------------------------------------------------------
# 1. Whole numbers are plain integers; numbers are decimal numbers

# table, column, value -> the row is refused as not a whole number / not a number
NOT_WHOLE = [
    ("nps_responses", "score", "6.5"),
    ("nps_responses", "score", "10.4"),
    ("nps_responses", "score", "-0.4"),
    ("nps_responses", "score", "0x0A"),
    ("nps_responses", "score", "1e1"),
    ("product_usage", "active_users", "2.5"),
    ("product_usage", "logins", "1_000"),
    ("product_usage", "key_actions", "99999999999999999999"),  # beyond a 64-bit integer
]
NOT_A_NUMBER = [
    ("subscription_items", "amount", "0x0A"),
    ("subscription_items", "amount", "1_000"),
    ("subscription_items", "amount", " inf"),
    ("subscription_items", "amount", "nan"),
    ("subscription_items", "amount", "Infinity"),
    ("subscription_items", "quantity", "1e"),
    ("product_usage", "usage_quantity", "0x10"),
]
BASE = {"nps_responses": NPS, "product_usage": USAGE, "subscription_items": ITEMS}


@pytest.mark.parametrize(("table", "column", "value"), NOT_WHOLE + NOT_A_NUMBER)
def test_numbers_that_would_be_rounded_or_misread_are_refused(
    table: str, column: str, value: str, tmp_path: Path, seeded: Path, capsys
):
    bad = good_set(tmp_path / "bad")
    write_table(bad, table, _with(BASE[table], 0, **{column: value}))
    why = "not a whole number" if (table, column, value) in NOT_WHOLE else "not a number"
    assert_refused(capsys, seeded, bad, [f"{table}.csv, row 1, column {column}: {value!r}", why])


def test_plain_integers_and_decimal_numbers_load_with_their_exact_value(
    tmp_path: Path, warehouse: Path, capsys
):
    """+5 and 007 are 5 and 7; 7.0 (a float-typed export's whole number) is 7; a decimal
    number may carry an exponent (1e5 = 100000, 1.5E+3 = 1500) or start with '.'."""
    raw = good_set(tmp_path / "raw")
    write_table(raw, "nps_responses", [
        {**NPS[0], "response_id": "R1", "score": "+5"},
        {**NPS[0], "response_id": "R2", "score": "007"},
        {**NPS[0], "response_id": "R3", "score": "10.0"},
        {**NPS[0], "response_id": "R4", "score": "-0"},
    ])  # fmt: skip
    write_table(raw, "subscription_items", [
        _with(ITEMS, 0, amount="1e5")[0],
        _with(ITEMS, 1, amount="1.5E+3", quantity=".5")[1],
    ])  # fmt: skip
    assert_loads(capsys, raw)
    assert query(warehouse, "select response_id, score from raw.nps_responses order by 1") == [
        ("R1", 5), ("R2", 7), ("R3", 10), ("R4", 0),
    ]  # fmt: skip
    assert query(warehouse, "select amount, quantity from raw.subscription_items order by 1") == [
        (1500.0, 0.5),
        (100000.0, 5.0),
    ]


# ---------------------------------------------------------------------------------------
# 2. Files the loader did not read


def _directory(path: Path) -> None:
    path.mkdir()


def _file(path: Path) -> None:
    write_table(path.parent, "customers", CUSTOMERS)
    (path.parent / "customers.csv").rename(path)


# name, how to make it, what the message says
NEAR_MISSES = {
    "a directory named customers.csv": ("customers.csv", _directory, "is a directory"),
    "a directory named customers.parquet": ("customers.parquet", _directory, "is a directory"),
    "Customers.CSV": ("Customers.CSV", _file, "named like raw table customers"),
    "customers .csv": ("customers .csv", _file, "named like raw table customers"),
    "customer.csv": ("customer.csv", _file, "named like raw table customers"),
    "subscription-items.csv": (
        "subscription-items.csv", _file, "named like raw table subscription_items"),
    "Opportunity.parquet": ("Opportunity.parquet", _file, "named like raw table opportunities"),
    "a directory named customers": ("customers", _directory, "named like raw table customers"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(NEAR_MISSES))
@pytest.mark.parametrize("flags", [(), ("--allow-unknown-files",)], ids=["strict", "allowed"])
def test_a_near_miss_of_a_table_file_fails_the_load_even_when_extras_are_allowed(
    case: str, flags: tuple[str, ...], tmp_path: Path, seeded: Path, capsys
):
    name, make, why = NEAR_MISSES[case]
    bad = tmp_path / "bad"
    bad.mkdir()
    write_table(bad, "fx_rates", FX)  # the folder also holds a good file
    make(bad / name)
    assert_refused(capsys, seeded, bad, [str(bad), repr(name), why], *flags)
    # the previous customers stay, and nothing else changed either
    assert query(seeded, "select count(*) from raw.customers") == [(2,)]


def test_unrelated_files_fail_the_load_unless_allowed_and_are_then_listed(
    tmp_path: Path, seeded: Path, capsys
):
    raw = tmp_path / "raw"
    write_table(raw, "customers", CUSTOMERS[:1])
    (raw / "README.txt").write_text("exported 2026-10-31\n")
    (raw / "archive").mkdir()
    (raw / ".DS_Store").write_bytes(b"\x00\x01")  # hidden: ignored silently
    err = assert_refused(
        capsys, seeded, raw,
        ["'README.txt' is not a raw table's file", "'archive' is a directory",
         "--allow-unknown-files"],
    )  # fmt: skip
    assert ".DS_Store" not in err

    out = assert_loads(capsys, raw, "--allow-unknown-files")
    assert "loaded raw.customers: 1 rows" in out
    assert "not loaded: 'README.txt': not a raw table's file" in out
    assert "not loaded: 'archive': a directory" in out
    assert ".DS_Store" not in out


# ---------------------------------------------------------------------------------------
# 3. Keys compared as the models compare them; 'all' is reserved


def test_keys_duplicated_only_after_normalisation_are_refused(tmp_path: Path, seeded: Path, capsys):
    cases = {
        "fx_rates": (
            [{"currency": "eur", "month": "2024-01-01", "rate_to_reporting": "1.1"},
             {"currency": "EUR", "month": "2024-01-01", "rate_to_reporting": "1.2"}],
            "fx_rates.csv, row 2, column currency, month: 'EUR / 2024-01-01' duplicates the "
            "key (currency, month) of row 1 ('eur / 2024-01-01')",
        ),
        "opportunity_stage_history": (
            [{"opportunity_id": "O1", "stage": "IDENTIFIED", "entered_at": "2024-03-01"},
             {"opportunity_id": "O1 ", "stage": "Identified", "entered_at": "2024-03-01"}],
            "opportunity_stage_history.csv, row 2, column opportunity_id, stage, entered_at: "
            "'O1  / Identified / 2024-03-01' duplicates the key",
        ),
        "expansion_targets": (
            [{"fiscal_quarter": "2026-Q1", "segment": "a", "target_arr": "1"},
             {"fiscal_quarter": "2026-Q1", "segment": " A ", "target_arr": "2"}],
            "expansion_targets.csv, row 2, column fiscal_quarter, segment: '2026-Q1 /  A ' "
            "duplicates the key (fiscal_quarter, segment) of row 1",
        ),
        "opportunities": (
            [OPPORTUNITIES[0], {**OPPORTUNITIES[0], "opportunity_id": " O1"}],
            "opportunities.csv, row 2, column opportunity_id: ' O1' duplicates the key",
        ),
    }  # fmt: skip
    for table, (rows, message) in cases.items():
        bad = good_set(tmp_path / f"bad_{table}")
        write_table(bad, table, rows)
        assert_refused(capsys, seeded, bad, [message])


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [("customers", "segment", "All"), ("customers", "industry", " ALL "),
     ("customers", "region", "all"), ("expansion_targets", "segment", "all")],
)  # fmt: skip
def test_the_total_rows_value_all_is_refused_as_a_dimension_value(
    table: str, column: str, value: str, tmp_path: Path, seeded: Path, capsys
):
    bad = good_set(tmp_path / "bad")
    rows = CUSTOMERS if table == "customers" else TARGETS
    write_table(bad, table, _with(rows, 0, **{column: value}))
    assert_refused(
        capsys, seeded, bad,
        [f"{table}.csv, row 1, column {column}: {value!r}",
         "'all' is reserved for the total rows of the marts"],
    )  # fmt: skip


def test_values_that_merely_contain_all_load(tmp_path: Path, warehouse: Path, capsys):
    raw = good_set(tmp_path / "raw")
    write_table(raw, "customers", _with(CUSTOMERS, 0, segment="small", industry="Allied Health"))
    assert_loads(capsys, raw)


# ---------------------------------------------------------------------------------------
# 4. Amounts that overflow once converted


GBP = [{"currency": "GBP", "month": "2024-01-01", "rate_to_reporting": "1.20"},
       {"currency": "gbp", "month": "2024-02-01", "rate_to_reporting": "1.27"}]  # fmt: skip


def test_an_amount_beyond_1e12_after_conversion_is_refused_with_the_rate(
    tmp_path: Path, seeded: Path, capsys
):
    # 9e11 GBP x 1.27 (GBP's largest rate) = 1.143e12, beyond the 1e12 the models carry.
    bad = good_set(tmp_path / "bad")
    write_table(bad, "fx_rates", GBP)
    write_table(bad, "subscription_items", _with(ITEMS, 1, amount="900000000000", currency="GBP"))
    write_table(bad, "invoices", _with(INVOICES, 0, amount="800000000000", currency=" gbp"))
    write_table(bad, "opportunities", _with(OPPORTUNITIES, 0, amount="-7.9e11", currency="GBP"))
    assert_refused(
        capsys, seeded, bad,
        ["subscription_items.csv, row 2, column amount: '900000000000' is 1.143e+12 once "
         "converted at the largest GBP rate 1.27 (fx_rates.csv)",
         # 8e11 x 1.27 = 1.016e12
         "invoices.csv, row 1, column amount: '800000000000' is 1.016e+12",
         # |-7.9e11| x 1.27 = 1.0033e12
         "opportunities.csv, row 1, column amount: '-7.9e11' is 1.0033e+12"],
    )  # fmt: skip


def test_rates_already_in_the_warehouse_are_used_when_the_load_has_none(
    tmp_path: Path, warehouse: Path, capsys
):
    first = tmp_path / "first"
    write_table(first, "fx_rates", GBP)
    assert_loads(capsys, first)
    bad = tmp_path / "bad"
    write_table(bad, "subscription_items", _with(ITEMS, 0, amount="9e11", currency="GBP"))
    assert_refused(
        capsys, warehouse, bad,
        ["subscription_items.csv, row 1, column amount: '9e11' is 1.143e+12 once converted at "
         "the largest GBP rate 1.27 (raw.fx_rates in the warehouse)"],
    )  # fmt: skip


def test_amounts_that_fit_after_conversion_load(tmp_path: Path, warehouse: Path, capsys):
    raw = good_set(tmp_path / "raw")
    write_table(raw, "fx_rates", GBP)
    # 7.8e11 x 1.27 = 9.906e11 < 1e12; 999999999999 USD (no rate, reporting currency) fits.
    write_table(raw, "subscription_items", [
        _with(ITEMS, 0, amount="7.8e11", currency="GBP")[0],
        _with(ITEMS, 1, amount="999999999999", currency="USD")[1],
    ])  # fmt: skip
    assert_loads(capsys, raw)


def test_an_amount_of_exactly_1e12_is_refused_as_it_overflows_decimal_18_6(
    tmp_path: Path, seeded: Path, capsys
):
    bad = good_set(tmp_path / "bad")
    write_table(bad, "subscription_items", _with(ITEMS, 0, amount="1000000000000"))
    assert_refused(
        capsys,
        seeded,
        bad,
        ["subscription_items.csv, row 1, column amount: '1000000000000' is not below 1e+12"],
    )


# ---------------------------------------------------------------------------------------
# 5. Timestamps as real exports write them: the calendar date as written is kept

TIMESTAMPS = {
    "2025-01-01T23:30:00.000+0000": "2025-01-01",  # Salesforce
    "2025-01-02T23:30:00.123456": "2025-01-02",
    "2025-01-03T23:30:00Z": "2025-01-03",
    "2025-01-04T23:30:00+02:00": "2025-01-04",
    "2025-01-05 23:30:00": "2025-01-05",
    "2025-01-06T23:30:00-05:00": "2025-01-06",  # no shift to UTC (it would be 01-07)
    "2025-01-07T00:30+14": "2025-01-07",
    "2025-01-08T10:00": "2025-01-08",
    "2025-01-09": "2025-01-09",
}


def test_iso_timestamps_load_keeping_the_date_as_written(tmp_path: Path, warehouse: Path, capsys):
    raw = tmp_path / "raw"
    write_table(raw, "customers", [
        {"customer_id": f"C{n}", "created_at": text} for n, text in enumerate(TIMESTAMPS)
    ])  # fmt: skip
    assert_loads(capsys, raw)
    got = query(warehouse, "select customer_id, created_at::varchar from raw.customers")
    assert sorted(got) == sorted((f"C{n}", day) for n, day in enumerate(TIMESTAMPS.values()))


@pytest.mark.parametrize(
    "value",
    ["2025-01-01T25:00", "2025-01-01 junk", "2025-02-30", "2025-01-01T10:60:00",
     "2025-01-01T10:00:00+25:00", "2025-1-01", "20250101"],
)  # fmt: skip
def test_what_is_not_a_timestamp_is_refused(value: str, tmp_path: Path, seeded: Path, capsys):
    bad = good_set(tmp_path / "bad")
    write_table(bad, "subscription_items", _with(ITEMS, 1, valid_from=value))
    assert_refused(
        capsys,
        seeded,
        bad,
        [f"subscription_items.csv, row 2, column valid_from: {value!r} is not a date"],
    )


def test_parquet_timestamps_load_deterministically_whatever_the_time_zone(tmp_path: Path):
    """A Parquet `timestamp` keeps its date; a `timestamp with time zone` is an instant and
    is read as its UTC date (23:30 at -05:00 on 2025-01-01 is 04:30 UTC on 2025-01-02),
    the same on a machine in New York as in Tokyo."""
    raw = tmp_path / "raw"
    raw.mkdir()
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(
            "copy (select 'C1' as customer_id, timestamp '2025-01-01 23:30:00.123' as created_at"
            " union all select 'C2', timestamp '2025-03-31 00:00:00') "
            f"to '{raw / 'customers.parquet'}' (format parquet)"
        )
        con.execute(
            "copy (select 'O1' as opportunity_id, 'Identified' as stage, "
            "timestamptz '2025-01-01 23:30:00-05:00' as entered_at) "
            f"to '{raw / 'opportunity_stage_history.parquet'}' (format parquet)"
        )
    got = []
    for zone in ("America/New_York", "Asia/Tokyo"):
        database = tmp_path / f"{zone.replace('/', '_')}.duckdb"
        done = subprocess.run(
            [sys.executable, "-m", "expansion_metrics.cli", "load", str(raw)],
            env={**os.environ, "EXPANSION_METRICS_DB": str(database), "TZ": zone},
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        got.append(
            query(database, "select customer_id, created_at::varchar from raw.customers order by 1")
            + query(database, "select entered_at::varchar from raw.opportunity_stage_history")
        )
    assert got[0] == got[1] == [("C1", "2025-01-01"), ("C2", "2025-03-31"), ("2025-01-02",)]


# ---------------------------------------------------------------------------------------
# 6. Implausible dates


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [("subscription_items", "valid_from", "1900-01-01"),
     ("subscription_items", "valid_from", "0001-01-01"),
     ("subscription_items", "valid_from", "1925-03-01"),  # a typo for 2025
     ("subscription_items", "valid_to", "1999-12-31T23:00:00"),
     ("fx_rates", "month", "1999-12-01")],
)  # fmt: skip
def test_a_date_before_the_earliest_date_is_refused_naming_the_option(
    table: str, column: str, value: str, tmp_path: Path, seeded: Path, capsys
):
    bad = good_set(tmp_path / "bad")
    rows = ITEMS if table == "subscription_items" else FX
    write_table(bad, table, _with(rows, 0, **{column: value}))
    assert_refused(
        capsys, seeded, bad,
        [f"{table}.csv, row 1, column {column}: {value!r} is before 2000-01-01, the earliest "
         "date accepted (--earliest-date)"],
    )  # fmt: skip


def test_earliest_date_can_be_moved_back_for_old_history(tmp_path: Path, warehouse: Path, capsys):
    raw = good_set(tmp_path / "raw")
    write_table(raw, "subscription_items", _with(ITEMS, 0, valid_from="1995-03-01"))
    assert_loads(capsys, raw, "--earliest-date", "1990-01-01")
    got = query(warehouse, "select min(valid_from)::varchar from raw.subscription_items")
    assert got == [("1995-03-01",)]
    err = assert_refused(capsys, warehouse, raw, ["is before 1996-01-01"], "--earliest-date",
                         "1996-01-01")  # fmt: skip
    assert "row 1, column valid_from: '1995-03-01'" in err


@pytest.mark.parametrize(
    ("column", "value"),
    [("valid_from", "3025-01-01"), ("valid_to", "3000-01-01"), ("valid_from", "9999-12-31")],
)
def test_a_date_after_2999_is_refused(
    column: str, value: str, tmp_path: Path, seeded: Path, capsys
):
    bad = good_set(tmp_path / "bad")
    write_table(bad, "subscription_items", _with(ITEMS, 0, **{column: value}))
    assert_refused(
        capsys,
        seeded,
        bad,
        [f"subscription_items.csv, row 1, column {column}: {value!r} is after 2999-12-31"],
    )


def test_valid_to_9999_12_31_means_no_end(tmp_path: Path, warehouse: Path, capsys):
    raw = good_set(tmp_path / "raw")
    write_table(raw, "subscription_items", _with(ITEMS, 1, valid_to="9999-12-31"))
    assert_loads(capsys, raw)
    got = query(
        warehouse, "select subscription_item_id, valid_to from raw.subscription_items order by 1"
    )
    assert got == [("I1", None), ("I2", None)]


# ---------------------------------------------------------------------------------------
# 7. Headers


@pytest.mark.parametrize("extra", ["_em_row", "_EM_ROW", "rowid", "c1", "scratch_customers"])
def test_extra_columns_of_any_name_are_ignored(extra: str, tmp_path: Path, warehouse: Path, capsys):
    raw = tmp_path / "raw"
    columns = [extra, *CUSTOMERS[0]]  # the extra column first, so positions shift too
    write_table(raw, "customers", [dict(r, **{extra: "x"}) for r in CUSTOMERS], columns)
    assert_loads(capsys, raw)
    got = query(warehouse, "select customer_id, segment, created_at::varchar from raw.customers")
    assert sorted(got) == [("C1", "smb", "2024-01-03"), ("C2", "Enterprise", "2024-02-01")]


@pytest.mark.parametrize(
    ("header", "fragments"),
    [
        ("customer_id,customer_name,segment,industry,region,created_at,",
         ["customers.csv, row 0 (header), column 7: '' is an empty column name"]),
        ("customer_id,customer_name, ,industry,region,created_at",
         ["customers.csv, row 0 (header), column 3: ' ' is an empty column name"]),
        ("customer_id,notes,customer_name,segment,industry,region,created_at,Notes",
         ["customers.csv, row 0 (header), column 8: 'Notes' repeats the name of column 2"]),
    ],
)  # fmt: skip
def test_blank_and_duplicated_header_names_are_refused_by_position(
    header: str, fragments: list[str], tmp_path: Path, seeded: Path, capsys
):
    bad = good_set(tmp_path / "bad")
    fields = header.count(",") + 1
    row = ",".join(["C9", "Acme", "smb", "retail", "emea", "2024-01-03", "x", "y"][:fields])
    (bad / "customers.csv").write_text(f"{header}\n{row}\n")
    assert_refused(capsys, seeded, bad, fragments)


# ---------------------------------------------------------------------------------------
# 8. Symbolic links and file content in messages


def test_a_symlink_out_of_the_folder_is_refused_without_reading_it(tmp_path: Path, seeded: Path):
    outside = tmp_path / "secret.csv"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\ncustomer_id\nC1\n")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "customers.csv").symlink_to(outside)
    (bad / "fx_rates.csv").symlink_to("/etc/passwd")
    before = warehouse_fingerprint(seeded)
    done = subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", "load", str(bad)],
        env={**os.environ, "EXPANSION_METRICS_DB": str(seeded)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "'customers.csv' is a symbolic link to a file outside" in done.stderr
    assert "'fx_rates.csv' is a symbolic link to a file outside" in done.stderr
    assert "root:x" not in done.stderr and "/bin/" not in done.stderr
    assert warehouse_fingerprint(seeded) == before


def test_a_symlink_inside_the_folder_is_followed(tmp_path: Path, warehouse: Path, capsys):
    raw = tmp_path / "raw"
    write_table(raw / "exports", "customers", CUSTOMERS)
    (raw / "customers.csv").symlink_to(Path("exports") / "customers.csv")
    out = assert_loads(capsys, raw, "--allow-unknown-files")
    assert "loaded raw.customers: 2 rows" in out


@pytest.mark.parametrize(
    ("line", "why"),
    [("C3,SECRET-TOKEN-42,smb,retail,emea,2024-01-03,,extra",
      "customers.csv, row 3: has 8 fields, but the header has 7"),
     ('C3,"SECRET-TOKEN-42,smb,retail,emea,2024-01-03',
      "customers.csv, row 3: a quoted value is not closed"),
     ("C3,SECRET-TOKEN-42\udcff,smb,retail,emea,2024-01-03", "customers.csv, row 3: not UTF-8")],
)  # fmt: skip
def test_unreadable_rows_are_named_without_echoing_the_file(
    line: str, why: str, tmp_path: Path, seeded: Path, capsys
):
    bad = good_set(tmp_path / "bad")
    path = bad / "customers.csv"
    text = path.read_text() + line + "\n"
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    err = assert_refused(capsys, seeded, bad, [why])
    assert "SECRET" not in err


def test_a_folder_that_cannot_be_read_is_a_clear_error(
    tmp_path: Path, warehouse: Path, capsys, monkeypatch: pytest.MonkeyPatch
):
    # A folder without read permission (root reads through chmod 000, so the operating
    # system's refusal is raised where the loader lists the folder).
    folder = good_set(tmp_path / "raw")
    listing = Path.iterdir

    def refuse(self: Path):
        if self == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return listing(self)

    monkeypatch.setattr(Path, "iterdir", refuse)
    assert_refused(capsys, warehouse, folder, [str(folder), "cannot be read", "Permission denied"])
