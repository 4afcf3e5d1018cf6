"""The scheduled refresh: build a candidate warehouse beside the published one, publish by rename.

BI tools read the published file. A refresh copies it to a candidate, loads new raw data
into the candidate (if given), builds and tests it, checks source freshness, and only
then renames the candidate over the published file. Readers holding the old file keep
reading it; a failure leaves the published file untouched and keeps the candidate as
`<name>.failed.duckdb` for inspection. A lock (flock, released by the kernel if the
process dies) keeps two refreshes from running at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from expansion_metrics import settings


class RefreshError(Exception):
    """A refresh step failed; the message is the one-line reason."""


@dataclass(frozen=True)
class Paths:
    published: Path

    @property
    def candidate(self) -> Path:
        return self.published.with_name(self.published.stem + ".candidate.duckdb")

    @property
    def failed(self) -> Path:
        return self.published.with_name(self.published.stem + ".failed.duckdb")

    @property
    def lock(self) -> Path:
        return self.published.with_name(self.published.name + ".lock")

    @property
    def log(self) -> Path:
        return self.published.parent / "refresh_log.txt"

    def run_dir(self, stamp: str) -> Path:
        return self.published.parent / "runs" / stamp


def _step(name: str, command: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
        detail = next(
            (ln for ln in reversed(lines) if "FAIL" in ln or "ERROR" in ln or "error" in ln),
            lines[-1] if lines else "no output",
        )
        raise RefreshError(f"{name} failed: {detail[-300:]}")
    return output


def _summary(database: Path, run_dir: Path) -> str:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("select count(*) from marts.fct_mrr_movements").fetchone()
    results = json.loads((run_dir / "target" / "run_results.json").read_text())["results"]
    tests = [r for r in results if r["unique_id"].startswith(("test.", "unit_test."))]
    passed = sum(1 for r in tests if r["status"] == "pass")
    warned = sum(1 for r in tests if r["status"] == "warn")
    return (
        f"fct_mrr_movements {rows[0] if rows else 0:,} rows, tests {passed} passed, {warned} warned"
    )


def refresh(raw: Path | None = None, as_of_date: str | None = None) -> str:
    """Run one refresh; return the one-line summary, or raise RefreshError."""
    paths = Paths(settings.database_path())
    paths.published.parent.mkdir(parents=True, exist_ok=True)
    with paths.lock.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RefreshError(
                f"another refresh is running (lock {paths.lock}); not starting a second one"
            ) from None
        started = time.monotonic()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        run_dir = paths.run_dir(stamp)
        run_dir.mkdir(parents=True, exist_ok=True)
        try:
            summary = _build_candidate(paths, raw, as_of_date, run_dir)
            os.replace(paths.candidate, paths.published)  # the atomic publish
            line = f"{stamp} ok {time.monotonic() - started:.1f}s {summary}"
        except RefreshError as exc:
            if paths.candidate.exists():
                os.replace(paths.candidate, paths.failed)
            line = f"{stamp} FAILED {time.monotonic() - started:.1f}s {exc}"
            _append(paths.log, line)
            raise RefreshError(f"{exc} (published warehouse unchanged; candidate kept at "
                               f"{paths.failed})") from None  # fmt: skip
        _append(paths.log, line)
        return line


def _build_candidate(paths: Paths, raw: Path | None, as_of_date: str | None, run_dir: Path) -> str:
    paths.candidate.unlink(missing_ok=True)
    if paths.published.exists():
        shutil.copy2(paths.published, paths.candidate)
    env = {
        **os.environ,
        "EXPANSION_METRICS_DB": str(paths.candidate),
        "DBT_TARGET_PATH": str(run_dir / "target"),
        "DBT_LOG_PATH": str(run_dir / "logs"),
    }
    cli = [sys.executable, "-m", "expansion_metrics.cli"]
    project = settings.PROJECT_DIR
    if raw is not None:
        _step("load", [*cli, "load", str(raw)], env, project)
    elif not paths.published.exists():
        raise RefreshError("no published warehouse yet: give --raw DIR for the first refresh")
    build = [*cli, "build"] + (["--as-of-date", as_of_date] if as_of_date else [])
    output = _step("build", build, env, project)
    (run_dir / "build.log").write_text(output)
    summary = _summary(paths.candidate, run_dir)
    dbt = str(Path(sys.executable).parent / "dbt")
    freshness = _step(
        "source freshness",
        [dbt, "source", "freshness", "--project-dir", str(project), "--profiles-dir", str(project)],
        env,
        project,
    )
    (run_dir / "freshness.log").write_text(freshness)
    stale = re.findall(r"WARN freshness of (\S+)", freshness)
    if stale:
        summary += f", raw data older than the freshness warning: {', '.join(stale)}"
    return summary


def _append(log: Path, line: str) -> None:
    with log.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
