"""Fault injection: SIGKILL a refresh's whole process group at random points.

As systemd stopping the service or the OOM killer would: the refresh and every child it
started die at once, wherever they are (copying, loading, building, testing, checking
freshness, publishing). After each kill the published file must be byte-identical to
before or be the complete new version (its contents equal those of a refresh of the same
data that ran to the end), never hold data of a load the build refused, be readable by a
new read-only connection, and the next refresh must succeed.

REFRESH_KILLS sets the number of kills (2 in CI; the long run uses 30 or more),
REFRESH_KILLS_SEED the random delays. Kinds of kill, in turn: after the build and its
freshness check (checkpoint and rename), right after the load's commit of data that fails
a data test, at a random point of a refresh of such data, at a random point of the whole
refresh, during the load. After each kill the next refresh runs with no new data and must publish
exactly what a complete refresh of the published raw data publishes.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import SUMMARY, WITHOUT_UNIT_TESTS, warehouse_fingerprint
from test_pipeline_worked_examples import raw_files
from test_refresh import (
    AS_OF,
    KILL_LOAD_AFTER_COMMIT,
    group_members,
    read_back,
    refresh,
    refused_at_build,
    sha256,
    wait_for_step,
    wal,
)

KILLS = int(os.environ.get("REFRESH_KILLS", "2"))
SEED = int(os.environ.get("REFRESH_KILLS_SEED", "20261123"))
# late: within 0.1 s after the build and its freshness check (checkpoint, rename);
# commit: the whole group right after the load's COMMIT, before DuckDB checkpoints (data
# that fails a test); refused: at a random point of a refresh whose data fails a test;
# any: at a random point of the whole refresh; load: at a random point of the load. CI's
# two kills are the publish window and the refused load's commit.
KINDS = ("late", "commit", "refused", "any", "load")


def content_fingerprint(database: Path) -> str:
    """Every table's and view's name and contents except the logs of when loads and
    refreshes ran (raw._load_log, intermediate.int_completed_refreshes) and the views that
    read them (which loads came after the last refresh)."""
    return warehouse_fingerprint(database, leave_out=[
        "raw._load_log", "intermediate.int_completed_refreshes",
        "staging.stg_loader__table_loads", "intermediate.int_pending_changes",
    ])  # fmt: skip


def other_amounts(directory: Path) -> Path:
    """The small raw set with segment b's expansion deal at $220K instead of $180K."""
    raw_files(directory)
    deals = directory / "opportunities.csv"
    text = deals.read_text()
    assert text.count(",180000,") == 1
    deals.write_text(text.replace(",180000,", ",220000,"))
    return directory


def phase_of(pgid: int) -> str:
    """Which step the refresh is in: the child running, else the refresh's own work."""
    commands = " | ".join(group_members(pgid).values())
    for needle, phase in (("cli load", "load"), ("cli build", "build")):
        if needle in commands:
            return phase
    return "copy/checkpoint/publish" if commands else "finished"


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fault_sets")
    return {
        "a": raw_files(root / "a"),
        "b": other_amounts(root / "b"),
        "refused": refused_at_build(root / "refused"),
    }


def start(published: Path, data: Path, hook: Path | None) -> subprocess.Popen[str]:
    path = os.pathsep.join(filter(None, [str(hook or ""), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "expansion_metrics.cli", "refresh", "--as-of-date", AS_OF,
         "--raw", str(data)],
        env={**os.environ, **WITHOUT_UNIT_TESTS, "EXPANSION_METRICS_DB": str(published),
             "PYTHONPATH": path},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def test_sigkill_of_the_whole_refresh_at_random_points(sets, tmp_path: Path):
    published = tmp_path / "published" / "wh.duckdb"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        KILL_LOAD_AFTER_COMMIT.replace(
            "os.kill(os.getpid(), signal.SIGKILL)", "os.killpg(os.getpgid(0), signal.SIGKILL)"
        )
    )
    reference = {}
    for data in ("b", "a"):  # what a complete refresh of each data set publishes
        started = time.monotonic()
        done = refresh(published, "--raw", str(sets[data]))
        one_refresh = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        reference[data] = content_fingerprint(published)
    assert reference["a"] != reference["b"]
    current = "a"
    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    for kill in range(KILLS):
        kind = KINDS[kill % len(KINDS)]
        data = "refused" if kind in ("commit", "refused") else ("b" if current == "a" else "a")
        before = sha256(published)
        running = start(published, sets[data], hook if kind == "commit" else None)
        if kind == "commit":  # the hook kills the whole group right after the load's COMMIT
            running.wait(timeout=600)
        elif kind == "load":
            wait_for_step(running.pid, "load")
            time.sleep(rng.uniform(0, 0.5))
        elif kind == "late":
            wait_for_step(running.pid, "build", ended=True)  # ~0.1 s before the refresh ends
            time.sleep(rng.uniform(0, 0.1))
        else:
            time.sleep(rng.uniform(0, one_refresh))
        phases["load commit" if kind == "commit" else phase_of(running.pid)] += 1
        with contextlib.suppress(ProcessLookupError):
            os.killpg(running.pid, signal.SIGKILL)
        running.communicate()
        deadline = time.monotonic() + 10
        while group_members(running.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert group_members(running.pid) == {}, f"kill {kill}: processes outlived the kill"

        seen = read_back(published)  # a new read-only connection reads it, no .wal beside it
        assert "c_refused" not in seen["customers"], f"kill {kill}: refused data published"
        if sha256(published) == before:
            outcome = "unchanged"
        elif data != "refused" and content_fingerprint(published) == reference[data]:
            outcome, current = "new version", data
        else:
            outcome = "bad"
        outcomes[outcome] += 1
        assert outcome != "bad", f"kill {kill} ({kind}): published is neither old nor new"

        # The next scheduled refresh, with no new data, succeeds and publishes exactly what
        # the published raw data builds: nothing of the killed run leaks into it.
        done = refresh(published)
        assert done.returncode == 0, f"kill {kill} ({kind}): next refresh failed: {done.stderr}"
        assert content_fingerprint(published) == reference[current], (
            f"kill {kill} ({kind}): the next refresh published something else"
        )
    assert not wal(published).exists()
    SUMMARY.append(
        f"refresh kills {KILLS} (seed {SEED}, one refresh {one_refresh:.0f}s): published "
        f"unchanged {outcomes['unchanged']}, new version {outcomes['new version']}, "
        f"bad {outcomes['bad']}; killed during "
        + ", ".join(f"{phase} {n}" for phase, n in sorted(phases.items()))
        + f"; next refresh ok {KILLS}/{KILLS}"
    )
