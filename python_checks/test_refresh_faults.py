"""Fault injection: SIGKILL a refresh's whole process group at random points.

As systemd stopping the service or the OOM killer would: the refresh and every child it
started die at once, wherever they are (copying, loading, building, testing, checking
freshness, publishing). After each kill the published file must be byte-identical to
before or be the complete new version (its contents equal those of a refresh of the same
data that ran to the end), never hold data of a load the build refused, be readable by a
new read-only connection, and the next refresh must succeed.

REFRESH_KILLS sets the number of kills (3 in CI; the long run uses 30 or more),
REFRESH_KILLS_SEED the random delays. Kinds of kill, in turn: during the load, at a random
point of a refresh whose data loads but fails a data test, from the freshness check on
(checkpoint and rename), at a random point of the whole refresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from conftest import SUMMARY
from test_pipeline_worked_examples import raw_files
from test_refresh import (
    group_members,
    read_back,
    refresh,
    refused_at_build,
    sha256,
    start_refresh,
    wait_for_step,
    wal,
)

KILLS = int(os.environ.get("REFRESH_KILLS", "3"))
SEED = int(os.environ.get("REFRESH_KILLS_SEED", "20261123"))
# load: at a random point of the load; refused: at a random point of a refresh whose data
# fails a test; late: at a random point from the freshness check on (checkpoint, rename);
# any: at a random point of the whole refresh.
KINDS = ("load", "refused", "late", "any")


def content_fingerprint(database: Path) -> str:
    """Every table's name and contents except raw._load_log, which records when loads ran."""
    digest = hashlib.sha256()
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where not (table_schema = 'raw' and table_name = '_load_log') "
            "order by table_schema, table_name"
        ).fetchall()
        for schema, name in tables:
            digest.update(f"{schema}.{name}".encode())
            rows = con.execute(f'select * from "{schema}"."{name}" order by all').fetchall()
            digest.update(repr(rows).encode())
    return digest.hexdigest()


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
    for needle, phase in (("cli load", "load"), ("cli build", "build"), ("freshness", "freshness")):
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


def test_sigkill_of_the_whole_refresh_at_random_points(sets, tmp_path: Path):
    published = tmp_path / "published" / "wh.duckdb"
    started = time.monotonic()
    done = refresh(published, "--raw", str(sets["a"]))
    one_refresh = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    current = "a"
    reference = {"a": content_fingerprint(published)}
    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    for kill in range(KILLS):
        kind = KINDS[kill % len(KINDS)]
        data = "refused" if kind == "refused" else ("b" if current == "a" else "a")
        before = sha256(published)
        running = start_refresh(published, "--raw", str(sets[data]))
        if kind == "load":
            wait_for_step(running.pid, "load")
            time.sleep(rng.uniform(0, 0.5))
        elif kind == "late":
            wait_for_step(running.pid, "freshness")
            time.sleep(rng.uniform(0, 4.0))
        else:
            time.sleep(rng.uniform(0, one_refresh))
        phases[phase_of(running.pid)] += 1
        with contextlib.suppress(ProcessLookupError):
            os.killpg(running.pid, signal.SIGKILL)
        running.communicate()
        deadline = time.monotonic() + 10
        while group_members(running.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert group_members(running.pid) == {}, f"kill {kill}: processes outlived the kill"

        seen = read_back(published)  # a new read-only connection reads it, no .wal beside it
        assert "c_refused" not in seen["customers"], f"kill {kill}: refused data published"
        unchanged = sha256(published) == before
        changed_to = None if unchanged else content_fingerprint(published)

        # The next refresh succeeds (with good data: the refused set can never succeed).
        after = data if data != "refused" else ("b" if current == "a" else "a")
        done = refresh(published, "--raw", str(sets[after]))
        assert done.returncode == 0, f"kill {kill} ({kind}): next refresh failed: {done.stderr}"
        assert "c_refused" not in read_back(published)["customers"]
        reference[after] = content_fingerprint(published)
        current = after
        if unchanged:
            outcomes["unchanged"] += 1
        elif data != "refused" and changed_to == reference[data]:
            outcomes["new version"] += 1
        else:
            outcomes["bad"] += 1
        assert outcomes["bad"] == 0, f"kill {kill} ({kind}): published is neither old nor new"
    assert not wal(published).exists()
    SUMMARY.append(
        f"refresh kills {KILLS} (seed {SEED}, one refresh {one_refresh:.0f}s): published "
        f"unchanged {outcomes['unchanged']}, new version {outcomes['new version']}, "
        f"bad {outcomes['bad']}; killed during "
        + ", ".join(f"{phase} {n}" for phase, n in sorted(phases.items()))
        + f"; next refresh ok {KILLS}/{KILLS}"
    )
