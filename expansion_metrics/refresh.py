"""The scheduled refresh: build a candidate warehouse beside the published one, publish by rename.

BI tools read the published file. A refresh copies it to a candidate, loads new raw data
into the candidate (if given), builds and tests it, checks source freshness, checkpoints
it, and only then renames the candidate over the published file. Readers holding the old
file keep reading it; a failure leaves the published file untouched and keeps the
candidate as `<name>.failed.duckdb` for inspection.

What makes that hold when a refresh is killed, the disk fills or someone writes the
published file by hand:

- A lock (`<name>.lock`, flock, released by the kernel if the process dies) keeps two
  refreshes, or a refresh and an `expansion-metrics build` of the same file, apart. The
  children (the load; the build, which then checks source freshness) die with the refresh
  (PR_SET_PDEATHSIG) and inherit the lock, so the lock is never free while one of them
  still writes the candidate.
- Nothing left by an earlier run is reused: the candidate, its `.wal` and the refresh's
  DuckDB spill folder are deleted first, and a failed candidate moves to `.failed`
  together with its own `.wal` (an old `.failed.duckdb.wal` is removed first). DuckDB
  replays a `.wal` into any file of the same lineage, so a stale one would bring back
  the data of a load that was refused.
- The refresh never opens the published file for writing. It holds the read lock DuckDB
  readers take (fcntl F_RDLCK on the whole file) from start to rename and copies the
  file through that descriptor: no DuckDB writer (a `dbt build` run by hand) can open it
  meanwhile, and a writer already inside makes the refresh refuse at once.
- A `.wal` beside the published file is what a killed writer leaves; a reader replays it.
  The refresh copies it with the file, so the candidate starts from exactly what readers
  see, and moves it away just before the rename: a `.wal` must never sit beside a
  renamed file, which DuckDB would refuse or, worse, replay into it.
- The candidate is CHECKPOINTed and closed before the rename, so the rename carries the
  whole warehouse and no `.wal`.

The load and the build run as children (`expansion-metrics load` / `build`), not in this
process: a child can be killed with the refresh and holds nothing of the refresh's memory,
and DuckDB's file handles of a failed build close with its process. dbt itself still runs
one way only, through dbtRunner in expansion_metrics.dbt (inside the child); the refresh
reads what it did from the run folder's JSON (run_results.json, sources.json) and, when
it fails, its first failed node and that node's first failing rows from failures.json
(written by expansion_metrics.dbt; the whole output is the run folder's build.log).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha1
from pathlib import Path
from typing import Any

import duckdb

from expansion_metrics import settings
from expansion_metrics.close import changed_months, closed_month_values
from expansion_metrics.dbt import FAILURES_FILE, FRESHNESS_FAILED

# Set by the refresh for its children: the database whose lock the refresh already holds
# (a child `expansion-metrics build` of the candidate must not try to take it again).
LOCK_HELD_ENV = "EXPANSION_METRICS_LOCK_HELD"


class RefreshError(Exception):
    """A refresh step failed; the message is the one-line reason."""


def wal(database: Path) -> Path:
    """DuckDB's write-ahead log of a database file."""
    return database.with_name(database.name + ".wal")


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
    def folded_wal(self) -> Path:
        """Where the published file's own .wal waits during the rename (deleted after)."""
        return self.published.with_name(self.published.name + ".wal.folded")

    @property
    def lock(self) -> Path:
        return lock_path(self.published)

    @property
    def log(self) -> Path:
        return self.published.parent / "refresh_log.txt"

    @property
    def runs(self) -> Path:
        return self.published.parent / "runs"

    @property
    def spill(self) -> Path:
        """DuckDB's spill folder for this refresh's children, under the configured one."""
        tag = sha1(str(self.published).encode()).hexdigest()[:8]
        base = Path(settings.duckdb_config()["temp_directory"]).resolve()
        return base / f"refresh-{self.published.stem}-{tag}"


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def take_lock(database: Path) -> int | None:
    """Take `<database>.lock` (flock) without waiting: its fd, or None if another holds it.

    Close the fd to release it. A child started with the fd in `pass_fds` holds the lock
    too, for as long as it lives.
    """
    fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _os_reason(what: str, error: OSError) -> str:
    where = f" ({error.filename})" if error.filename else ""
    return f"{what}: {error.strerror or _first_line(error)}{where}"


# --- what a failing child said --------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CLOCK = re.compile(r"^\d{2}:\d{2}:\d{2}(?:\.\d+)?\s+")
_GENERIC = re.compile(
    r"^(Encountered an error:?|(Runtime|Database|Compilation|Parsing) Error|"
    r"Completed with \d+ errors?.*|Done\..*|Traceback .*|File \".*|[\^~ ]+|"
    r"Finished running .*|Failure in .*|Error in .*)$"
)
_GENERIC_NODE = re.compile(r"^(Runtime|Database|Compilation) Error in \w+ \S+( \(.*\))?$")
_ERROR_LINE = re.compile(r"(?:[A-Z]\w*(?: \w+)*|\w+\.\w+)(?:Error|Exception): \S")


def _clean(text: str) -> list[str]:
    lines = (_CLOCK.sub("", _ANSI.sub("", line)).strip() for line in text.splitlines())
    return [line for line in lines if line]


def failure_reason(failures: list[dict[str, Any]]) -> str:
    """What a failed build says in one line, from the records expansion_metrics.dbt wrote
    (FAILURES_FILE): the first failed node, the line of its message that says why (not
    dbt's "Runtime Error in test x (path)"), its first failing row, and how many more
    nodes failed."""
    first = failures[0]
    lines = [line.strip() for line in str(first.get("message", "")).splitlines() if line.strip()]
    specific = [ln for ln in lines if not (_GENERIC.match(ln) or _GENERIC_NODE.match(ln))]
    why = (specific or lines or ["no message"])[0]
    what = (
        f"FAILED {first.get('resource_type')} {first.get('name')}".rstrip()
        if first.get("resource_type") != "project"
        else "dbt failed to run"
    )
    rows = first.get("failing_rows") or []
    row = f"; first failing row: {rows[0]}" if rows else ""
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    return f"{what}: {why}{row}{more}"


def _recorded_failures(path: Path | None) -> list[dict[str, Any]]:
    try:
        found = json.loads(path.read_text()) if path is not None else []
    except (OSError, ValueError):
        return []
    return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


def cause(stdout: str, stderr: str) -> str:
    """The line of a failed child's output that names the problem, when it recorded
    nothing (a refused load names it on its own line; otherwise the last specific error)."""
    err, out = _clean(stderr), _clean(stdout)
    for i, line in enumerate(err):  # the CLI's own message: `expansion-metrics load: ...`
        if line.startswith("expansion-metrics ") and ": " in line:
            message = line.split(": ", 1)[1]
            if message.endswith(":") and i + 1 < len(err):
                message += " " + err[i + 1]  # the first problem of a refused load
            return message
    lines = err + out
    specific = [ln for ln in lines if _ERROR_LINE.search(ln) and not _GENERIC.match(ln)]
    if specific:
        return specific[-1]
    flagged = [
        ln for ln in lines if re.search(r"FAIL|ERROR|[Ee]rror", ln) and not _GENERIC.match(ln)
    ]
    if flagged:
        return flagged[-1]
    plain = [ln for ln in lines if not _GENERIC.match(ln)]
    return plain[-1] if plain else "no output"


# --- children ---------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _die_with(parent: int):  # noqa: ANN202 - a preexec_fn
    """preexec_fn: the child gets SIGKILL when the refresh dies, however it dies."""
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None

    def preexec() -> None:
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the refresh died before prctl: do not start at all
            os._exit(1)

    return preexec


def _step(
    name: str,
    command: list[str],
    env: dict[str, str],
    cwd: Path,
    lock_fd: int,
    named_failures: dict[int, str] | None = None,
    log: Path | None = None,
    failures: Path | None = None,
) -> None:
    """Run one child; a failure raises RefreshError naming the step (or, for an exit
    status in named_failures, the part of the step that failed). log: where its whole
    output is written, whether it failed or not; failures: the FAILURES_FILE a dbt step
    writes (its reason when it failed; the child's output is the fallback)."""
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, check=False,
        preexec_fn=_die_with(os.getpid()), pass_fds=(lock_fd,),
    )  # fmt: skip
    if done.returncode < 0:
        try:
            how = f"was killed by {signal.Signals(-done.returncode).name}"
        except ValueError:
            how = f"was killed by signal {-done.returncode}"
        raise RefreshError(f"{name} {how}")
    if log is not None:  # the whole output, failing rows included, kept in the run folder
        with contextlib.suppress(OSError):
            log.write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        name = (named_failures or {}).get(done.returncode, name)
        recorded = _recorded_failures(failures)
        reason = failure_reason(recorded) if recorded else cause(done.stdout, done.stderr)
        raise RefreshError(f"{name} failed: {reason if len(reason) <= 300 else reason[:299] + '…'}")


# --- the published file ---------------------------------------------------------------


@dataclass(frozen=True)
class FileId:
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileId | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        return cls(st.st_ino, st.st_size, st.st_mtime_ns)


@contextmanager
def _hold_published(paths: Paths) -> Iterator[int | None]:
    """Hold a shared lock on the published file for the whole refresh; yield its fd.

    The lock is the one DuckDB takes: a read lock (fcntl F_RDLCK) on the whole file, so a
    writer cannot open the file while the refresh holds it, and a writer already inside
    makes this refuse. Yields None when there is no published warehouse yet. POSIX drops
    every lock a process holds on a file when it closes any descriptor of that file: so
    the refresh reads the published file only through this descriptor, and never opens it
    with DuckDB.
    """
    published = paths.published
    if not published.exists():
        yield None
        return
    if not published.is_file():
        raise RefreshError(
            f"{published} is not a warehouse file (it is a directory or special file)"
        )
    fd = os.open(published, os.O_RDONLY)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            raise RefreshError(
                f"{published} is open for writing by another process (DuckDB's lock on it "
                "is held); not publishing over it: run ad-hoc builds with "
                "`expansion-metrics build` or on a copy"
            ) from None
        yield fd
    finally:
        os.close(fd)


def _copy_from(source_fd: int, source: Path, target: Path) -> None:
    """Copy the file open as `source_fd` to `target`, without opening `source` again."""
    try:
        size = os.fstat(source_fd).st_size
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            offset = 0
            while offset < size:
                sent = os.sendfile(out, source_fd, offset, min(size - offset, 1 << 30))
                if sent == 0:
                    raise OSError(errno.EIO, f"{source} ended at byte {offset} of {size}")
                offset += sent
        finally:
            os.close(out)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise RefreshError(
            _os_reason(f"copying {source} to {target} failed", exc)
            + "; the partial copy was removed"
        ) from None


def _copy(source: Path, target: Path) -> None:
    fd = os.open(source, os.O_RDONLY)
    try:
        _copy_from(fd, source, target)
    finally:
        os.close(fd)


def _checkpoint(database: Path, spill: Path) -> None:
    """Replay and CHECKPOINT `database`, close it: afterwards the file alone is the warehouse."""
    config = {**settings.duckdb_config(), "temp_directory": str(spill)}
    try:
        with duckdb.connect(str(database), config=config) as con:
            con.execute("checkpoint")
    except duckdb.Error as exc:
        raise RefreshError(f"checkpoint of {database.name} failed: {_first_line(exc)}") from None
    if wal(database).exists():
        raise RefreshError(f"{wal(database)} is still there after CHECKPOINT; not publishing")


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(paths: Paths, folded: FileId | None) -> None:
    """Rename the checkpointed candidate over the published file, with no .wal on either side."""
    now = FileId.of(wal(paths.published))
    if now != folded:
        raise RefreshError(
            f"{wal(paths.published)} {'appeared' if folded is None else 'changed'} during the "
            f"refresh: another process wrote {paths.published}; not publishing over it"
        )
    if wal(paths.candidate).exists():
        raise RefreshError(f"{wal(paths.candidate)} exists; not publishing a file with a .wal")
    _fsync(paths.candidate)
    if folded is not None:
        # Readers opening the published file in between see its last checkpoint: consistent.
        os.replace(wal(paths.published), paths.folded_wal)
    try:
        os.replace(paths.candidate, paths.published)  # the atomic publish
    except OSError:
        if folded is not None:
            os.replace(paths.folded_wal, wal(paths.published))
        raise
    # Published: what follows is tidying, and may fail without undoing that.
    try:
        paths.folded_wal.unlink(missing_ok=True)
        _fsync(paths.published.parent, directory=True)
    except OSError:
        pass


# --- the refresh ----------------------------------------------------------------------


def _clear_leftovers(paths: Paths) -> None:
    """Delete what an earlier, killed run may have left: nothing of it is ever reused."""
    for path in (paths.candidate, wal(paths.candidate), paths.folded_wal):
        path.unlink(missing_ok=True)
    shutil.rmtree(paths.spill, ignore_errors=True)
    if paths.spill.exists():
        raise RefreshError(f"cannot clear the spill folder {paths.spill}")


def _keep_failed(paths: Paths) -> str:
    """Move the candidate and its own .wal to `.failed`; say where it is."""
    try:
        if not paths.candidate.exists():
            wal(paths.candidate).unlink(missing_ok=True)
            return "no candidate was made"
        wal(paths.failed).unlink(missing_ok=True)
        os.replace(paths.candidate, paths.failed)
        if wal(paths.candidate).exists():
            os.replace(wal(paths.candidate), wal(paths.failed))
        return f"candidate kept at {paths.failed}"
    except OSError as exc:
        return _os_reason("the candidate could not be kept", exc)
    finally:
        shutil.rmtree(paths.spill, ignore_errors=True)


def _new_run_dir(paths: Paths, stamp: str) -> Path:
    for n in range(1, 1000):
        run_dir = paths.runs / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            run_dir.mkdir(parents=True)
            return run_dir
        except FileExistsError:
            continue
    raise RefreshError(f"no free run folder for {stamp} under {paths.runs}")


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


def _stale_sources(run_dir: Path) -> list[str]:
    """The raw tables (source.table) whose freshness check warned, from dbt's artefact of
    the build's `dbt source freshness` (target/sources.json), not from its printed log."""
    results = json.loads((run_dir / "target" / "sources.json").read_text())["results"]
    return sorted(r["unique_id"].split(".", 2)[2] for r in results if r.get("status") == "warn")


def _append(log: Path, line: str) -> str:
    """Append to the run log; '' or the reason it could not be written."""
    try:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError as exc:
        return _os_reason("could not write the run log", exc)
    return ""


def refresh(
    raw: Path | None = None,
    as_of_date: str | None = None,
    load_options: Sequence[str] = (),
    build_options: Sequence[str] = (),
) -> str:
    """Run one refresh; return the one-line summary, or raise RefreshError.

    `load_options` go to `expansion-metrics load` (--allow-unknown-files, --earliest-date),
    `build_options` to `expansion-metrics build` (--earliest-date).
    """
    paths = Paths(settings.database_path())
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    def failed(reason: str, kept: str) -> RefreshError:
        line = f"{stamp} FAILED {time.monotonic() - started:.1f}s {reason}"
        unlogged = _append(paths.log, line)
        tail = f"; {unlogged}" if unlogged else ""
        return RefreshError(f"{reason} (published warehouse unchanged; {kept}{tail})")

    try:
        paths.published.parent.mkdir(parents=True, exist_ok=True)
        lock_fd = take_lock(paths.published)
    except OSError as exc:
        raise failed(_os_reason("cannot take the refresh lock", exc), "nothing was done") from None
    if lock_fd is None:
        raise RefreshError(
            f"another refresh is running, or an `expansion-metrics build` of the same file "
            f"(lock {paths.lock}); not starting a second one"
        )
    try:
        summary = _run(paths, raw, as_of_date, stamp, lock_fd, load_options, build_options)
    except RefreshError as exc:
        raise failed(str(exc), _keep_failed(paths)) from None
    except OSError as exc:
        raise failed(_os_reason("refresh failed", exc), _keep_failed(paths)) from None
    except duckdb.Error as exc:
        raise failed(f"refresh failed: {_first_line(exc)}", _keep_failed(paths)) from None
    finally:
        os.close(lock_fd)
    line = f"{stamp} ok {time.monotonic() - started:.1f}s {summary}"
    unlogged = _append(paths.log, line)
    return f"{line} ({unlogged})" if unlogged else line


def _run(
    paths: Paths,
    raw: Path | None,
    as_of_date: str | None,
    stamp: str,
    lock_fd: int,
    load_options: Sequence[str] = (),
    build_options: Sequence[str] = (),
) -> str:
    _clear_leftovers(paths)
    run_dir = _new_run_dir(paths, stamp)
    with _hold_published(paths) as published_fd:
        if raw is None and published_fd is None:
            raise RefreshError("no published warehouse yet: give --raw DIR for the first refresh")
        folded = None
        if published_fd is not None:
            folded = FileId.of(wal(paths.published))
            _copy_from(published_fd, paths.published, paths.candidate)
            if folded is not None:  # what readers see is the file plus its .wal: take both
                _copy(wal(paths.published), wal(paths.candidate))
                try:
                    _checkpoint(paths.candidate, paths.spill)
                except RefreshError as exc:
                    raise RefreshError(
                        f"{wal(paths.published)}, left by a writer killed before it "
                        f"checkpointed, cannot be replayed ({exc}); moving it away returns "
                        f"{paths.published} to its last checkpoint"
                    ) from None
        summary = _build_candidate(
            paths, raw, as_of_date, run_dir, lock_fd, load_options, build_options
        )
        _checkpoint(paths.candidate, paths.spill)
        _publish(paths, folded)
    shutil.rmtree(paths.spill, ignore_errors=True)
    return summary


# dbt's partial-parse file, carried from one refresh's run folder to the next: the
# candidate path, the project and the vars are the same from one scheduled refresh to the
# next, so dbt reuses the parse (about 4 seconds of each build); when anything differs,
# dbt sees it in the file's own state check and parses everything again.
PARSE_FILE = "partial_parse.msgpack"


def reuse_parse(source: Path, target: Path) -> None:
    """Copy dbt's partial-parse file (atomically); a missing or unreadable one is skipped."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(target.name + ".tmp")
        shutil.copyfile(source, staged)
        staged.replace(target)
    except OSError:
        return


def _build_candidate(
    paths: Paths,
    raw: Path | None,
    as_of_date: str | None,
    run_dir: Path,
    lock_fd: int,
    load_options: Sequence[str] = (),
    build_options: Sequence[str] = (),
) -> str:
    env = {
        **os.environ,
        "EXPANSION_METRICS_DB": str(paths.candidate),
        "EXPANSION_METRICS_TEMP_DIR": str(paths.spill),
        LOCK_HELD_ENV: str(paths.candidate),
        "DBT_TARGET_PATH": str(run_dir / "target"),
        "DBT_LOG_PATH": str(run_dir / "logs"),
        # The summary reads target/run_results.json, whatever the caller's environment.
        "DBT_WRITE_JSON": "true",
    }
    if as_of_date:
        # Given as the macro's environment variable rather than --vars: the vars are part
        # of dbt's parse state, and the next refresh reuses this one's parse.
        env["EXPANSION_METRICS_AS_OF_DATE"] = as_of_date
    cli = [sys.executable, "-m", "expansion_metrics.cli"]
    project = settings.PROJECT_DIR
    if raw is not None:
        _step("load", [*cli, "load", str(raw), *load_options], env, project, lock_fd)
    reuse_parse(paths.runs / PARSE_FILE, run_dir / "target" / PARSE_FILE)
    # What the closed months read today, to name those this refresh changes.
    closed_before = closed_month_values(paths.candidate)
    # The build runs dbt source freshness after it, on the same parse in the same process.
    _step(
        "build", [*cli, "build", "--source-freshness", *build_options], env, project, lock_fd,
        named_failures={FRESHNESS_FAILED: "source freshness"}, log=run_dir / "build.log",
        failures=run_dir / "target" / FAILURES_FILE,
    )  # fmt: skip
    reuse_parse(run_dir / "target" / PARSE_FILE, paths.runs / PARSE_FILE)
    summary = _summary(paths.candidate, run_dir)
    changed = changed_months(closed_before, closed_month_values(paths.candidate))
    if changed:
        summary += f", closed months changed (marts.mart_restatements): {', '.join(changed)}"
    stale = _stale_sources(run_dir)
    if stale:
        summary += f", raw data older than the freshness warning: {', '.join(stale)}"
    return summary
