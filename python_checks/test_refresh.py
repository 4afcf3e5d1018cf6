"""The scheduled refresh: atomic publish, a failure changes nothing, one at a time, freshness.

And what must hold when a refresh is killed, the disk fills or someone writes the
published file by hand: nothing of a failed load is ever published, leftovers of a killed
run are never reused, the published file stays readable, children die with the refresh.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import WITHOUT_UNIT_TESTS, warehouse_fingerprint, write_table
from test_pipeline_worked_examples import raw_files

from expansion_metrics import cli
from expansion_metrics import refresh as refresh_module

AS_OF = "2026-02-15"


def refresh(
    database: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", "refresh", "--as-of-date", AS_OF, *args],
        env={**os.environ, **WITHOUT_UNIT_TESTS, "EXPANSION_METRICS_DB": str(database),
             **(env or {})},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def start_refresh(database: Path, *args: str) -> subprocess.Popen[str]:
    """A refresh in its own process group (as a scheduler starts it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "expansion_metrics.cli", "refresh", "--as-of-date", AS_OF, *args],
        env={**os.environ, **WITHOUT_UNIT_TESTS, "EXPANSION_METRICS_DB": str(database)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


def wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def candidate(published: Path) -> Path:
    return published.with_name(published.stem + ".candidate.duckdb")


def one_line_reason(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def read_back(published: Path) -> dict[str, object]:
    """What a new read-only connection (a BI tool) reads from the published file."""
    assert not wal(published).exists(), "a .wal beside the published file"
    with duckdb.connect(str(published), read_only=True) as con:
        customers = {r[0] for r in con.execute("select customer_id from raw.customers").fetchall()}
        items = con.execute("select count(*) from raw.subscription_items").fetchone()
        deals = con.execute("select count(*) from marts.fct_opportunities").fetchone()
    return {"customers": customers, "items": items, "deals": deals}


def refused_at_build(directory: Path) -> Path:
    """Raw files that pass the loader but fail the build: customer c_refused has one item
    starting 2026-06-01, after as_of_date 2026-02-15, so no month has MRR and the error
    test assert_as_of_date_is_not_before_all_data fails. None of it may be published."""
    raw_files(directory)
    write_table(directory, "customers", [
        *({"customer_id": f"c_{s}", "segment": s, "created_at": "2025-01-01"} for s in "abc"),
        {"customer_id": "c_refused", "segment": "a", "created_at": "2025-01-01"},
    ])  # fmt: skip
    write_table(directory, "subscription_items", [
        {"subscription_item_id": "refused_item", "customer_id": "c_refused",
         "product": "platform", "pricing_model": "flat", "quantity": 1, "amount": 1000,
         "currency": "USD", "billing_interval": "year", "valid_from": "2026-06-01"},
    ])  # fmt: skip
    return directory


# A sitecustomize for the children: the load dies by SIGKILL right after its COMMIT, before
# DuckDB checkpoints, as when the machine loses power or the OOM killer strikes there.
KILL_LOAD_AFTER_COMMIT = """
import os, signal, sys
if "load" in sys.orig_argv:
    import duckdb
    _connect = duckdb.connect
    class _DiesAfterCommit:
        def __init__(self, con):
            self._con = con
        def __getattr__(self, name):
            return getattr(self._con, name)
        def _die(self):
            os.kill(os.getpid(), signal.SIGKILL)
        def execute(self, sql, *args, **kwargs):
            result = self._con.execute(sql, *args, **kwargs)
            if str(sql).strip().lower() == "commit":
                self._die()
            return result
        def commit(self):
            self._con.commit()
            self._die()
    duckdb.connect = lambda *args, **kwargs: _DiesAfterCommit(_connect(*args, **kwargs))
"""


def group_members(pgid: int) -> dict[int, str]:
    """Live (not zombie) processes of a process group, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found[int(entry.name)] = cmdline
    return found


def wait_for_step(pgid: int, step: str, timeout: float = 120, ended: bool = False) -> None:
    """Wait until the refresh's child for `step` (load, build) is running or, with
    `ended`, has been running and is gone (the build ends with the freshness check)."""
    needle = {"load": "expansion_metrics.cli load", "build": "expansion_metrics.cli build"}[step]
    deadline = time.monotonic() + timeout
    seen = False
    while time.monotonic() < deadline:
        running = any(needle in cmd for cmd in group_members(pgid).values())
        if running and not ended:
            return
        if seen and not running:
            return
        seen = seen or running
        time.sleep(0.02)
    raise AssertionError(f"the refresh never {'ended' if ended else 'started'} its {step} step")


@pytest.fixture(scope="module")
def good_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return raw_files(tmp_path_factory.mktemp("good") / "raw")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, good_raw: Path) -> Path:
    root = tmp_path_factory.mktemp("refresh")
    database = root / "published" / "wh.duckdb"
    # The first refresh's folder also holds a note: the load refuses it unless the refresh
    # passes --allow-unknown-files on to the load.
    with_note = shutil.copytree(good_raw, root / "raw_with_note")
    (with_note / "notes.txt").write_text("exported by hand\n")
    refused = refresh(database, "--raw", str(with_note))
    assert refused.returncode == 1 and "notes.txt" in refused.stderr, refused.stderr
    assert not database.exists()
    done = refresh(database, "--raw", str(with_note), "--allow-unknown-files")
    assert done.returncode == 0, done.stderr
    assert " ok " in done.stdout and "tests" in done.stdout
    return database


def test_failing_data_test_leaves_the_published_marts_unchanged(published, tmp_path: Path):
    before = warehouse_fingerprint(published)
    bad = refused_at_build(tmp_path / "raw")
    with duckdb.connect(str(published), read_only=True) as reader:
        done = refresh(published, "--raw", str(bad))
        still = reader.execute("select count(*) from marts.mart_pipeline_coverage").fetchone()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "build failed" in done.stderr and "published warehouse unchanged" in done.stderr
    assert "assert_as_of_date_is_not_before_all_data" in done.stderr  # the test that failed
    assert "is before all data" in done.stderr  # and why, not dbt's "Runtime Error in test"
    assert still is not None and still[0] > 0
    assert warehouse_fingerprint(published) == before
    assert "c_refused" not in read_back(published)["customers"]
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


# --- a crashed or concurrent refresh never publishes what a load refused ---------------


def test_a_load_killed_after_its_commit_is_never_published(published, tmp_path):
    """Item 1: the killed load's commit sits in the candidate's .wal; the next refresh copies
    the published file to a fresh candidate and must not replay that .wal into it."""
    before = sha256(published)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(KILL_LOAD_AFTER_COMMIT)
    bad = refused_at_build(tmp_path / "bad")
    path = os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")]))
    killed = refresh(published, "--raw", str(bad), env={"PYTHONPATH": path})
    assert killed.returncode == 1
    assert sha256(published) == before

    done = refresh(published)  # a scheduled refresh with no new data
    assert done.returncode == 0, done.stderr
    seen = read_back(published)
    assert seen["customers"] == {"c_a", "c_b", "c_c"} and seen["items"] == (0,)
    assert not candidate(published).exists() and not wal(candidate(published)).exists()
    # The killed load's commit went with the failed candidate, and the reason says so.
    reason = one_line_reason(killed)
    assert "load was killed by SIGKILL" in reason and "published warehouse unchanged" in reason
    assert wal(published.with_name("wh.failed.duckdb")).exists()


def test_leftovers_of_a_killed_build_do_not_block_the_next_refresh(published):
    """Item 2: a refresh killed during its build leaves the candidate and a .wal of it that
    no new copy of the published file matches (DuckDB: "WAL does not match database
    file"); the next refresh must start clean rather than fail on it."""
    other = published.with_name("other.duckdb")
    subprocess.run(
        [sys.executable, "-c", "import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); "
         "c.execute('create table t as select 1 as x'); os._exit(0)", str(other)],
        check=True,
    )  # fmt: skip
    shutil.copyfile(wal(other), wal(candidate(published)))
    candidate(published).write_bytes(b"half a copy")
    done = refresh(published)
    assert done.returncode == 0, done.stderr
    assert read_back(published)["deals"] == (4,)
    assert not wal(candidate(published)).exists()


def test_a_failure_names_its_real_cause(published):
    """Item 2: the one-line reason is DuckDB's own error, not dbt's 'Encountered an error'."""
    before = sha256(published)
    done = refresh(published, env={"EXPANSION_METRICS_MEMORY_LIMIT": "plenty"})
    reason = one_line_reason(done)
    assert "build failed" in reason
    assert "Memory must have a number" in reason, reason
    assert "Encountered an error" not in reason and "\x1b[" not in reason
    assert sha256(published) == before


def test_a_failed_data_test_is_reported_with_its_first_failing_row():
    """A failed build's one-line reason comes from the records the build wrote
    (expansion_metrics.dbt, failures.json), not from its printed output: the first failed
    node, the line of its message that says why, and its first failing row."""
    rows = [
        "month=2025-01-01, customer_id=c7, starting_mrr=100.000000, ending_mrr=101.000000",
        "month=2025-02-01, customer_id=c7, starting_mrr=101.000000, ending_mrr=100.000000",
    ]
    failures = [
        {"resource_type": "test", "name": "assert_mrr_bridge_identity",
         "message": "Got 2 results, configured to fail if != 0", "failing_rows": rows},
        {"resource_type": "test", "name": "primary_key_mart_expansion",
         "message": "Got 1 result, configured to fail if != 0",
         "failing_rows": ["month=2025-01-01, dimension=segment, dimension_value=None"]},
    ]  # fmt: skip
    assert refresh_module.failure_reason(failures) == (
        "FAILED test assert_mrr_bridge_identity: Got 2 results, configured to fail if != 0; "
        "first failing row: month=2025-01-01, customer_id=c7, starting_mrr=100.000000, "
        "ending_mrr=101.000000 (and 1 more)"
    )
    # An error (no rows): dbt's "Runtime Error in test x (path)" line gives way to why.
    error = {"resource_type": "test", "name": "assert_as_of_date_is_not_before_all_data",
             "failing_rows": [],
             "message": "Runtime Error in test assert_as_of_date_is_not_before_all_data "
                        "(tests/assert_as_of_date_is_not_before_all_data.sql)\n"
                        "  as_of_date 2020-01-31 is before all data"}  # fmt: skip
    assert refresh_module.failure_reason([error]) == (
        "FAILED test assert_as_of_date_is_not_before_all_data: "
        "as_of_date 2020-01-31 is before all data"
    )
    project = {"resource_type": "project", "name": "", "failing_rows": [],
               "message": "Parser Error: Memory must have a number (e.g. 1GB)"}  # fmt: skip
    assert refresh_module.failure_reason([project]) == (
        "dbt failed to run: Parser Error: Memory must have a number (e.g. 1GB)"
    )


def test_refuses_to_publish_over_a_file_another_process_writes(published):
    """Item 3: a hand `dbt build` holds the published file open read-write."""
    before = sha256(published)
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(300)", str(published)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "open"
        done = refresh(published)
    finally:
        writer.kill()
        writer.wait()
    reason = one_line_reason(done)
    assert "open for writing by another process" in reason and "expansion-metrics build" in reason
    assert sha256(published) == before
    log = (published.parent / "refresh_log.txt").read_text().splitlines()
    assert " FAILED " in log[-1] and "open for writing" in log[-1]


def test_a_hand_build_cannot_write_the_published_file_during_a_refresh(published, good_raw):
    """Item 3: a hand writer killed after its commit left a .wal beside the published file
    (readers replay it); a refresh takes it in and never leaves a .wal beside the file it
    renames. While the refresh runs, `expansion-metrics build` and any other writer of
    the published file are refused, and afterwards a new reader reads the new file."""
    subprocess.run(
        [sys.executable, "-c", "import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); "
         "c.execute(\"create or replace table main.hand_note as select 'kept' as note\"); "
         "os._exit(0)", str(published)],
        check=True,
    )  # fmt: skip
    assert wal(published).exists()
    running = start_refresh(published, "--raw", str(good_raw))
    try:
        wait_for_step(running.pid, "build")
        hand = subprocess.run(
            [sys.executable, "-m", "expansion_metrics.cli", "build", "--as-of-date", AS_OF],
            env={**os.environ, "EXPANSION_METRICS_DB": str(published)},
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        writer = subprocess.run(
            [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1])",
             str(published)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        out, err = running.communicate(timeout=600)
    finally:
        if running.poll() is None:
            os.killpg(running.pid, signal.SIGKILL)
            running.wait()
    assert running.returncode == 0, err
    assert hand.returncode == 1
    assert hand.stderr.strip().splitlines() == [
        f"expansion-metrics build: a refresh or another build of {published} is running "
        f"(lock {published}.lock); build into a copy, or try again when it is done"
    ]
    assert writer.returncode != 0 and "Could not set lock" in writer.stderr
    assert read_back(published)["deals"] == (4,)
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select note from main.hand_note").fetchall() == [("kept",)]
    assert not published.with_name("wh.duckdb.wal.folded").exists()


def test_the_warehouse_path_is_a_directory(tmp_path: Path):
    """Item 4: one line, a line in the run log, exit 1, never a traceback."""
    database = tmp_path / "wh.duckdb"
    database.mkdir()
    reason = one_line_reason(refresh(database))
    assert f"{database} is not a warehouse file" in reason
    log = (tmp_path / "refresh_log.txt").read_text().splitlines()
    assert len(log) == 1 and " FAILED " in log[0] and "is not a warehouse file" in log[0]


def _without_root_powers() -> None:
    """preexec_fn: root writes anywhere; drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from
    the bounding set so that the child, after exec, obeys file permissions like a user."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_an_unwritable_warehouse_directory(published, good_raw, tmp_path):
    """Item 4: the folder of the warehouse is read-only for the user running the refresh."""
    folder = tmp_path / "warehouse"
    folder.mkdir()
    database = folder / "wh.duckdb"
    shutil.copyfile(published, database)
    folder.chmod(0o555)
    before = sha256(database)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "expansion_metrics.cli", "refresh", "--raw", str(good_raw)],
            env={**os.environ, "EXPANSION_METRICS_DB": str(database)},
            capture_output=True, text=True, check=False, preexec_fn=_without_root_powers,
        )  # fmt: skip
    finally:
        folder.chmod(0o755)
    reason = one_line_reason(done)
    assert "Permission denied" in reason and f"{database}.lock" in reason, reason
    assert "published warehouse unchanged" in reason
    assert "could not write the run log" in reason  # it says so rather than fail silently
    assert sha256(database) == before
    assert sorted(p.name for p in folder.iterdir()) == ["wh.duckdb"]


def test_the_disk_fills_during_the_copy(published, monkeypatch, capsys):
    """Item 4: ENOSPC half-way through copying the published file to the candidate."""
    before = sha256(published)
    log = published.parent / "refresh_log.txt"
    lines_before = len(log.read_text().splitlines())

    def disk_full(out_fd: int, in_fd: int, offset: int, count: int) -> int:
        os.write(out_fd, os.pread(in_fd, 65536, offset))  # some bytes land, then none
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setenv("EXPANSION_METRICS_DB", str(published))
    monkeypatch.setattr(os, "sendfile", disk_full)  # the copy's system call
    assert cli.main(["refresh", "--as-of-date", AS_OF]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0], err
    assert "published warehouse unchanged" in err[0]
    assert sha256(published) == before
    assert not candidate(published).exists()  # the partial copy is not left filling the disk
    log_lines = log.read_text().splitlines()
    assert len(log_lines) == lines_before + 1 and "No space left on device" in log_lines[-1]


def test_killing_the_refresh_kills_its_build(published, good_raw):
    """Item 5: SIGKILL to the refresh alone (not its group): the build it started must not
    go on writing the candidate without the lock."""
    running = start_refresh(published, "--raw", str(good_raw))
    try:
        wait_for_step(running.pid, "build")
        time.sleep(1.0)
        os.kill(running.pid, signal.SIGKILL)
        running.wait()
        deadline = time.monotonic() + 5
        while group_members(running.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        survivors = group_members(running.pid)
    finally:
        for pid in group_members(running.pid):
            os.kill(pid, signal.SIGKILL)
    assert survivors == {}, f"children outlived the refresh: {survivors}"
    with open(published.with_name("wh.duckdb.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free, and nobody writes the candidate
    fd = os.open(candidate(published), os.O_RDWR)  # and no orphan holds DuckDB's file lock
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)
    assert read_back(published)["deals"] == (4,)


def _age_raw_loads(database: Path, hours: int) -> None:
    with duckdb.connect(str(database)) as con:
        con.execute(
            f"update raw._load_log set loaded_at = current_timestamp - interval {hours} hour"
        )


def test_stale_raw_data_warns_then_fails_the_refresh(published):
    _age_raw_loads(published, 48)  # past the 36-hour warning, before the 7-day error
    done = refresh(published)
    assert done.returncode == 0, done.stderr
    # Named from dbt's sources.json: every raw table with a freshness check (the attribute
    # history has none: it is event-dated and rarely reloaded).
    line = next(ln for ln in done.stdout.splitlines() if "older than the freshness" in ln)
    stale = [name.strip() for name in line.split("freshness warning: ", 1)[1].split(",")]
    assert "billing.customers" in stale and "billing.subscription_items" in stale, stale
    assert not any("customer_attribute_history" in name for name in stale), stale
    _age_raw_loads(published, 24 * 8)
    before = warehouse_fingerprint(published)
    done = refresh(published)
    assert done.returncode == 1
    assert "source freshness failed" in done.stderr
    assert warehouse_fingerprint(published) == before


def test_earliest_date_reaches_both_the_load_and_the_build(tmp_path: Path):
    # One item from June 1998: refused by the load's default floor (2000-01-01); with
    # --earliest-date 1995-01-01 the load takes it and so must the build (its
    # earliest_date var), not quarantine it behind a warning while the refresh publishes.
    raw = raw_files(tmp_path / "raw")
    write_table(raw, "subscription_items", [
        {"subscription_item_id": "old", "customer_id": "c_a", "product": "platform",
         "pricing_model": "flat", "quantity": 1, "amount": 100, "currency": "USD",
         "billing_interval": "month", "valid_from": "1998-06-01"},
    ])  # fmt: skip
    database = tmp_path / "wh.duckdb"
    refused = refresh(database, "--raw", str(raw))
    assert refused.returncode == 1 and "--earliest-date" in refused.stderr, refused.stderr
    done = refresh(database, "--raw", str(raw), "--earliest-date", "1995-01-01")
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(database), read_only=True) as con:
        quarantined = con.execute("select count(*) from intermediate.int_quarantined_rows")
        assert quarantined.fetchone() == (0,)
        first = con.execute(
            "select min(month), min(ending_mrr) from marts.fct_mrr_movements"
        ).fetchone()
    assert first is not None and str(first[0]) == "1998-06-01" and float(first[1]) == 100.0
