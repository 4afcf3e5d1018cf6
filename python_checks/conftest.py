"""Shared fixtures: raw files written by hand, a warehouse per test, the real loader and dbt."""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import pytest

from expansion_metrics.contract import TABLES_BY_NAME
from expansion_metrics.refresh import PARSE_FILE, reuse_parse


def write_table(
    directory: Path,
    table: str,
    rows: Iterable[Mapping[str, object]],
    columns: list[str] | None = None,
) -> Path:
    """Write <table>.csv with the contract's header (or `columns`); missing values are empty."""
    directory.mkdir(parents=True, exist_ok=True)
    header = columns or TABLES_BY_NAME[table].column_names
    path = directory / f"{table}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in header})
    return path


def warehouse_fingerprint(
    database: Path, leave_out: Iterable[str] = (), schema: str | None = None
) -> str:
    """A digest of every table's name and full contents: equal digests, unchanged warehouse.

    `leave_out` names tables ("raw._load_log") whose contents do not count; `schema`, when
    given, keeps to that schema's tables."""
    if not database.exists():
        return "absent"
    skipped = set(leave_out)
    digest = hashlib.sha256()
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where ? is null or table_schema = ? order by table_schema, table_name",
            [schema, schema],
        ).fetchall()
        for table_schema, name in tables:
            if f"{table_schema}.{name}" in skipped:
                continue
            digest.update(f"{table_schema}.{name}".encode())
            rows = con.execute(f'select * from "{table_schema}"."{name}" order by all').fetchall()
            digest.update(repr(rows).encode())
    return digest.hexdigest()


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh warehouse file for this test, honoured by the CLI, the loader and dbt."""
    database = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("EXPANSION_METRICS_DB", str(database))
    return database


# dbt's unit tests read only their own given rows and pin every var they depend on, so
# they pass or fail alike whatever raw data and as_of_date a build has: `make test` runs
# them in its demo build, and test_configuration / test_report_config under other vars.
# A build of hand-made raw data for checks about marts leaves them out (a quarter of a
# small build's CPU): `env={**os.environ, **WITHOUT_UNIT_TESTS, ...}`. Builds of a
# connector (billing_source / crm_source) keep them: those unit tests run nowhere else.
WITHOUT_UNIT_TESTS = {"DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"}
# A build whose dbt artefacts no check reads (manifest.json, run_results.json: about 1.5
# seconds of each small build) and, for a reference build that only has to produce the
# marts to compare with, no data tests either (the build it is compared with runs them).
WITHOUT_ARTEFACTS = {**WITHOUT_UNIT_TESTS, "DBT_WRITE_JSON": "false"}
MODELS_ONLY = {**WITHOUT_ARTEFACTS, "DBT_EXCLUDE_RESOURCE_TYPES": "unit_test test"}


# A check's build of warehouse W runs in W's dbt target folder and names the warehouse
# through a hard link there, LINK_NAME: the profile's path (and DuckDB's catalog name,
# which a symbolic link would not keep) is then the same for every warehouse, and dbt's
# parse state (which includes it) lets a build reuse the parse of any earlier build under
# the same vars. cli() copies in the parse this process saved for the same command line
# (so the same vars): a small build skips about 6 of its 20 core-seconds. DuckDB writes
# its file in place, so both names see every write.
LINK_NAME = "warehouse.duckdb"
_PARSES: list[Path] = []  # the session's folder of saved parses, set by private_dbt_paths


def build_env(database: Path, data_tests: bool = True, artefacts: bool = False) -> dict[str, str]:
    """The environment of a build of `database` without unit tests or artefacts (and
    without data tests when not `data_tests`), with dbt's target folder beside the
    warehouse, for cli(). With `artefacts`, dbt writes its JSON artefacts to the target
    folder the caller's environment names (MetricFlow reads the semantic manifest from
    there) and the warehouse is named by its own path."""
    if artefacts:
        return {**os.environ, **WITHOUT_UNIT_TESTS, "EXPANSION_METRICS_DB": str(database)}
    target = database.with_name(database.name + ".dbt_target")
    target.mkdir(parents=True, exist_ok=True)
    link = target / LINK_NAME
    if not database.exists():
        duckdb.connect(str(database)).close()  # a new, empty warehouse to link to
    if not (link.exists() and link.samefile(database)):
        link.unlink(missing_ok=True)  # a warehouse deleted and made again at this path
        os.link(database, link)
    return {
        **os.environ,
        **(WITHOUT_ARTEFACTS if data_tests else MODELS_ONLY),
        "EXPANSION_METRICS_DB": LINK_NAME,
        "DBT_TARGET_PATH": str(target),
    }


def cli(env: dict[str, str], *arguments: str, program: list[str] | None = None):  # noqa: ANN201
    """Run `expansion-metrics ARGUMENTS` (or `program`) as a child process in the
    environment of build_env(): from the target folder when the warehouse is named by the
    link, with the session's last dbt parse of the same arguments (so the same vars)."""
    command = program or [sys.executable, "-m", "expansion_metrics.cli"]
    if env.get("EXPANSION_METRICS_DB") != LINK_NAME:
        return subprocess.run([*command, *arguments], env=env, capture_output=True, text=True,
                              check=False)  # fmt: skip
    target = Path(env["DBT_TARGET_PATH"])
    parse = target / PARSE_FILE
    key = hashlib.sha256("\0".join([*command, *arguments]).encode()).hexdigest()[:16]
    saved = _PARSES[0] / f"{key}.msgpack" if _PARSES else None
    if saved is not None:
        reuse_parse(saved, parse)  # as a scheduled refresh does; a missing file is skipped
    done = subprocess.run([*command, *arguments], env=env, cwd=target, capture_output=True,
                          text=True, check=False)  # fmt: skip
    if saved is not None:
        reuse_parse(parse, saved)
    return done


def build_warehouse(
    raw_dir: Path,
    database: Path,
    as_of_date: str,
    data_tests: bool = True,
    artefacts: bool = False,
    variables: Mapping[str, object] | None = None,
) -> Path:
    """Load raw_dir with the real loader, then run the real `dbt build` into `database`
    (data tests included unless not `data_tests`, unit tests left out: see
    WITHOUT_UNIT_TESTS; dbt's artefacts written only with `artefacts`, see build_env),
    with any other vars given (`build --var NAME=VALUE`).

    Both run as the CLI in a child process (dbt-duckdb keeps its connection open for the
    life of a process), so the test can open the file read-only afterwards.
    """
    env = build_env(database, data_tests, artefacts)
    settings = [f"--var={name}={value}" for name, value in (variables or {}).items()]
    for command in (["load", str(raw_dir.absolute())],
                    ["build", "--as-of-date", as_of_date, *settings]):  # fmt: skip
        done = cli(env, *command)
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return database


@pytest.fixture(scope="session", autouse=True)
def private_dbt_paths(tmp_path_factory: pytest.TempPathFactory) -> None:
    """dbt's target and log folders and DuckDB's spill folder, private to this process.

    `make test` runs the checks in two pytest-xdist workers; two dbt runs writing one
    project's target/ (partial parse, manifest, compiled SQL) would race.
    """
    root = tmp_path_factory.mktemp("dbt_paths")
    # dbt's debug log file (megabytes per build) is read by no check; failures reach
    # stdout and stderr.
    os.environ["DBT_LOG_LEVEL_FILE"] = "none"
    # One dbt thread (and one DuckDB thread) per build: the checks' builds are small,
    # where dbt's second thread only contends for the GIL (a small build measured 20.1
    # CPU-seconds on one thread, 21.8 on two, the same wall time), and `make test` already
    # runs three builds at once on two cores. A check may still set its own.
    os.environ.setdefault("EXPANSION_METRICS_THREADS", "1")
    for variable, name in (
        ("DBT_TARGET_PATH", "target"),
        ("DBT_LOG_PATH", "logs"),
        ("EXPANSION_METRICS_TEMP_DIR", "duckdb_tmp"),
    ):
        os.environ[variable] = str(root / name)
    (root / "parses").mkdir()
    _PARSES.append(root / "parses")


# Figures a check wants shown after the run (fuzz counts, property batch sizes), printed
# in pytest's terminal summary even when output is captured. Under pytest-xdist each
# worker writes its lines to a file in $EXPANSION_METRICS_SUMMARY_DIR, which the
# controller reads back.
SUMMARY: list[str] = []
_SUMMARY_DIR = "EXPANSION_METRICS_SUMMARY_DIR"


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput") and _SUMMARY_DIR not in os.environ:
        os.environ[_SUMMARY_DIR] = tempfile.mkdtemp(prefix="em_summary_")


def pytest_sessionfinish(session: pytest.Session) -> None:
    worker = getattr(session.config, "workerinput", None)
    if worker is not None and SUMMARY and _SUMMARY_DIR in os.environ:
        path = Path(os.environ[_SUMMARY_DIR]) / f"{worker['workerid']}.txt"
        path.write_text("\n".join(SUMMARY) + "\n", encoding="utf-8")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = list(SUMMARY)
    folder = os.environ.get(_SUMMARY_DIR)
    if folder and Path(folder).is_dir():
        for path in sorted(Path(folder).glob("*.txt")):
            lines += path.read_text(encoding="utf-8").splitlines()
    if lines:
        terminalreporter.section("expansion_metrics figures")
        for line in lines:
            terminalreporter.write_line(line)
