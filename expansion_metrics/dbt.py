"""Run dbt in-process (dbtRunner) against the project and report what failed."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from expansion_metrics import settings

# The exit status of `build --source-freshness` when the build passed and only the
# freshness check failed (1: the build itself failed).
FRESHNESS_FAILED = 3
# What failed in the last run, written to dbt's target path beside run_results.json: a
# list of {resource_type, name, message, failing_rows} (resource_type "project" when dbt
# could not run at all), empty when nothing failed. The refresh reads it.
FAILURES_FILE = "failures.json"


def _write_failures(failures: list[dict[str, Any]]) -> None:
    # dbt reads a relative target path from the project's folder
    target = settings.PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")
    with contextlib.suppress(OSError):
        target.mkdir(parents=True, exist_ok=True)
        (target / FAILURES_FILE).write_text(json.dumps(failures, indent=1) + "\n")


def _cannot_run(exception: object) -> list[dict[str, Any]]:
    print(f"dbt failed to run: {exception}", file=sys.stderr)
    return [_failure("project", "", exception)]


def _failure(
    resource_type: str, name: str, message: object, failing_rows: list[str] | None = None
) -> dict[str, Any]:
    return {"resource_type": resource_type, "name": name, "message": str(message),
            "failing_rows": failing_rows or []}  # fmt: skip


# A failing data test is reported with its first failing rows (as `dbt show` gives them).
FAILING_ROWS_SHOWN = 5


def _report_failures(
    result: Any, failing_rows: Callable[[str], list[str]] | None = None
) -> list[dict[str, Any]]:
    """Print each failed node; under a failed data test, its first failing rows. Returns
    them as records for FAILURES_FILE."""
    failures = []
    for node_result in result.result or []:
        status = getattr(node_result, "status", None)
        if status in ("error", "fail", "runtime error"):
            node = node_result.node
            print(f"FAILED {node.resource_type} {node.name}: {node_result.message}",
                  file=sys.stderr)  # fmt: skip
            sql = getattr(node, "compiled_code", None)
            rows = []
            if status == "fail" and node.resource_type == "test" and sql and failing_rows:
                rows = failing_rows(sql)
                for line in rows:
                    print(f"  {line}", file=sys.stderr)
            failures.append(_failure(str(node.resource_type), node.name, node_result.message, rows))
    return failures


def _failing_rows(manifest: Any, common: list[str]) -> Callable[[str], list[str]]:
    """A function giving the first FAILING_ROWS_SHOWN rows of a failed test's compiled
    SQL, one `column=value, ...` line each, run through `dbt show` on the same parse."""
    from dbt.cli.main import dbtRunner

    def rows(sql: str) -> list[str]:
        shown = dbtRunner(manifest=manifest).invoke(
            ["--log-level", "none", "show", "--inline", sql,
             "--limit", str(FAILING_ROWS_SHOWN), *common]
        )  # fmt: skip
        if shown.exception is not None or not shown.success or not shown.result:
            return []
        table = shown.result.results[0].agate_table
        names = table.column_names
        return [
            ", ".join(f"{name}={value}" for name, value in zip(names, row, strict=True))
            for row in table.rows
        ]

    return rows


def run_dbt(
    args: list[str], variables: dict[str, Any] | None = None, source_freshness: bool = False
) -> int:
    """Invoke dbt with the project's own profile and print failed nodes (a failed data
    test with its first failing rows). With source_freshness, after a successful `args`,
    `dbt source freshness` runs on the same parse in this process (a refresh's build: a
    second dbt process would import and load the parse again). Returns 0, 1 (dbt failed)
    or FRESHNESS_FAILED, and writes what failed to FAILURES_FILE."""
    # The profile reads the warehouse path from the environment. Unset, the default is
    # made absolute (the profile's own default is relative to the project); a path given
    # is left as given: dbt opens it from the working directory, as the loader does, and
    # dbt's parse state includes it (the checks build through one relative name to reuse
    # one parse).
    os.environ.setdefault("EXPANSION_METRICS_DB", str(settings.database_path()))
    project = str(settings.PROJECT_DIR)
    common = ["--project-dir", project, "--profiles-dir", project]
    if variables:
        common += ["--vars", json.dumps(variables)]
    status, failures = _run_dbt(args, common, source_freshness)
    _write_failures(failures)
    return status


def _run_dbt(
    args: list[str], common: list[str], source_freshness: bool
) -> tuple[int, list[dict[str, Any]]]:
    from dbt.cli.main import dbtRunner

    # Parsed once: the build, the failing rows of its failed tests and the freshness check
    # run on the same parse in this process.
    parsed = dbtRunner().invoke(["parse", *common])
    if parsed.exception is not None or not parsed.success:
        return 1, _cannot_run(parsed.exception or "the project did not parse")
    manifest = parsed.result
    result = dbtRunner(manifest=manifest).invoke([*args, *common])
    if result.exception is not None:
        return 1, _cannot_run(result.exception)
    failures = _report_failures(result, _failing_rows(manifest, common))
    if not result.success:
        return 1, failures
    if source_freshness:
        fresh = dbtRunner(manifest=manifest).invoke(["source", "freshness", *common])
        if fresh.exception is not None:
            print(f"FAILED source freshness: {fresh.exception}", file=sys.stderr)
            return FRESHNESS_FAILED, [_failure("source freshness", "", fresh.exception)]
        failures = _report_failures(fresh)
        if not fresh.success:
            return FRESHNESS_FAILED, failures
    return 0, []


# dbt's own advice: unit tests read only their fixed rows, so they belong in development
# and CI, not in every production build (docs.getdbt.com, "Unit tests": excluding unit
# tests from production builds). `build` leaves them out unless asked (`make test` and
# `make build-demo` ask); on the 100,000-customer benchmark they were 40 of 288 nodes and
# 8.3 s of node time.
EXCLUDE_ENV = "DBT_EXCLUDE_RESOURCE_TYPES"


def build(
    as_of_date: str | None = None,
    select: str | None = None,
    earliest_date: str | None = None,
    other_vars: dict[str, Any] | None = None,
    source_freshness: bool = False,
    unit_tests: bool = False,
    full_refresh: bool = False,
) -> int:
    """`dbt build` (seeds, models and data tests; unit tests too with unit_tests) for an
    optional as_of_date and earliest_date (the vars of the same names) and any other vars,
    then, with source_freshness, `dbt source freshness` (see run_dbt); with full_refresh, dbt's
    --full-refresh. Resource types
    excluded through $DBT_EXCLUDE_RESOURCE_TYPES stay excluded. Returns run_dbt's status."""
    args = ["build"]
    if not unit_tests:
        excluded = {*os.environ.get(EXCLUDE_ENV, "").split(), "unit_test"}
        args += ["--exclude-resource-type", *sorted(excluded)]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        args += ["--select", select]
    variables: dict[str, Any] = dict(other_vars or {})
    if as_of_date:
        variables["as_of_date"] = as_of_date
    if earliest_date:
        variables["earliest_date"] = earliest_date
    return run_dbt(args, variables or None, source_freshness)
