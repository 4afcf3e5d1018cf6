"""The scheduled refresh: atomic publish, a failure changes nothing, one at a time, freshness."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import warehouse_fingerprint, write_table
from test_pipeline_worked_examples import raw_files


def refresh(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", "refresh", "--as-of-date", "2026-02-15",
         *args],
        env={**os.environ, "EXPANSION_METRICS_DB": str(database)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("refresh")
    database = root / "published" / "wh.duckdb"
    done = refresh(database, "--raw", str(raw_files(root / "raw")))
    assert done.returncode == 0, done.stderr
    assert " ok " in done.stdout and "tests" in done.stdout
    return database


def test_failing_data_test_leaves_the_published_marts_unchanged(published, tmp_path: Path):
    before = warehouse_fingerprint(published)
    bad = raw_files(tmp_path / "raw")
    # Passes the loader (the raw keys differ) but staging normalises both to 2026-Q1/a:
    # the unique (fiscal_quarter, segment) data test fails the build.
    write_table(bad, "expansion_targets", [
        {"fiscal_quarter": "2026-Q1", "segment": "a", "target_arr": 1},
        {"fiscal_quarter": "2026-Q1", "segment": " A ", "target_arr": 2},
    ])  # fmt: skip
    with duckdb.connect(str(published), read_only=True) as reader:
        done = refresh(published, "--raw", str(bad))
        still = reader.execute("select count(*) from marts.mart_pipeline_coverage").fetchone()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "build failed" in done.stderr and "published warehouse unchanged" in done.stderr
    assert still is not None and still[0] > 0
    assert warehouse_fingerprint(published) == before
    assert published.with_name("wh.failed.duckdb").exists()
    log = (published.parent / "refresh_log.txt").read_text().splitlines()
    assert " FAILED " in log[-1]


def test_reader_keeps_reading_while_a_refresh_publishes(published):
    reader = duckdb.connect(str(published), read_only=True)
    try:
        first = reader.execute("select sum(open_pipeline_arr) from marts.mart_pipeline_coverage")
        expected = first.fetchone()
        done = refresh(published)
        assert done.returncode == 0, done.stderr
        again = reader.execute("select sum(open_pipeline_arr) from marts.mart_pipeline_coverage")
        assert again.fetchone() == expected
    finally:
        reader.close()
    with duckdb.connect(str(published), read_only=True) as fresh:
        assert fresh.execute("select count(*) from marts.fct_opportunities").fetchone() == (4,)


def test_a_second_refresh_is_refused_while_one_runs(published):
    lock_path = published.with_name(published.name + ".lock")
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running refresh holds it
        done = refresh(published)
    assert done.returncode == 1
    assert "another refresh is running" in done.stderr
    # The lock dies with its holder: the next refresh runs.
    assert refresh(published).returncode == 0


def _age_raw_loads(database: Path, hours: int) -> None:
    with duckdb.connect(str(database)) as con:
        con.execute(
            f"update raw._load_log set loaded_at = current_timestamp - interval {hours} hour"
        )


def test_stale_raw_data_warns_then_fails_the_refresh(published):
    _age_raw_loads(published, 48)  # past the 36-hour warning, before the 7-day error
    done = refresh(published)
    assert done.returncode == 0, done.stderr
    assert "older than the freshness warning" in done.stdout
    _age_raw_loads(published, 24 * 8)
    before = warehouse_fingerprint(published)
    done = refresh(published)
    assert done.returncode == 1
    assert "source freshness failed" in done.stderr
    assert warehouse_fingerprint(published) == before
