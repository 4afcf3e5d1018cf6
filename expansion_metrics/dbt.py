"""Run dbt in-process (dbtRunner) against the project and report what failed."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from expansion_metrics import settings


def run_dbt(args: list[str], variables: dict[str, Any] | None = None) -> bool:
    """Invoke dbt with the project's own profile; print failed nodes; return success."""
    from dbt.cli.main import dbtRunner

    # The profile reads the warehouse path from the environment; make it absolute so dbt
    # builds into the same file whatever the working directory.
    os.environ["EXPANSION_METRICS_DB"] = str(settings.database_path())
    project = str(settings.PROJECT_DIR)
    command = [*args, "--project-dir", project, "--profiles-dir", project]
    if variables:
        command += ["--vars", json.dumps(variables)]
    result = dbtRunner().invoke(command)
    if result.exception is not None:
        print(f"dbt failed to run: {result.exception}", file=sys.stderr)
        return False
    failed = [
        r
        for r in (result.result or [])
        if getattr(r, "status", None) in ("error", "fail", "runtime error")
    ]
    for node_result in failed:
        node = node_result.node
        print(f"FAILED {node.resource_type} {node.name}: {node_result.message}", file=sys.stderr)
    return bool(result.success)


def build(
    as_of_date: str | None = None,
    select: str | None = None,
    earliest_date: str | None = None,
    other_vars: dict[str, Any] | None = None,
) -> bool:
    """`dbt build` (seeds, models, unit and data tests) for an optional as_of_date and
    earliest_date (the vars of the same names) and any other vars."""
    args = ["build"]
    if select:
        args += ["--select", select]
    variables: dict[str, Any] = dict(other_vars or {})
    if as_of_date:
        variables["as_of_date"] = as_of_date
    if earliest_date:
        variables["earliest_date"] = earliest_date
    return run_dbt(args, variables or None)
