"""The benchmark: generate, load and build data sets of growing size, and write down how long.

A benchmark, not a test: it prints and records figures, it asserts nothing. Data sets
are generated once with the project's generator (month usage granularity) and cached.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from expansion_metrics import settings
from expansion_metrics.generator import generate

BENCH_DIR = settings.PROJECT_DIR / "data" / "bench"
RESULTS_JSON = settings.PROJECT_DIR / "docs" / "benchmarks.json"
RESULTS_MD = settings.PROJECT_DIR / "docs" / "benchmarks.md"
AS_OF_DATE = "2026-10-31"
TARGET = BENCH_DIR / "target"  # dbt artefacts of the benchmark builds, apart from target/


@dataclass
class SizeResult:
    customers: int
    months: int
    raw_rows: int
    generate_seconds: float | None
    load_seconds: float
    build_seconds: float
    build_peak_rss_mb: float
    models_seconds: float
    tests_seconds: float
    slowest_models: list[tuple[str, float]] = field(default_factory=list)
    fct_mrr_movements_rows: int = 0
    build_ok: bool = True
    # Incremental refresh after one more month arrives (`dbt build`, all tests): with the
    # fx rates unchanged, and when that month also brings new fx rates (which restate the
    # constant-currency MRR of every non-USD item).
    incremental_seconds: float | None = None
    incremental_window: str = ""
    incremental_fx_seconds: float | None = None
    incremental_fx_window: str = ""
    load_peak_rss_mb: float | None = None


def _dataset(customers: int, months: int) -> tuple[Path, float | None]:
    folder = BENCH_DIR / f"raw_{customers}_{months}"
    marker = folder / ".complete"
    if marker.exists():
        return folder, None
    started = time.perf_counter()
    generate(folder, customers=customers, months=months, seed=42, usage_granularity="month",
             progress=True)  # fmt: skip
    marker.touch()
    return folder, time.perf_counter() - started


def _run(command: list[str], database: Path) -> tuple[float, float, int]:
    """Run a CLI command in a child; return (seconds, peak RSS MB of that child, exit code)."""
    env = {**os.environ, "EXPANSION_METRICS_DB": str(database), "DBT_TARGET_PATH": str(TARGET)}
    started = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-m", "expansion_metrics.cli", *command],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as child:  # fmt: skip
        output = child.stdout.read() if child.stdout else ""
        # wait4 gives this child's own resource use (ru_maxrss in KB on Linux).
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        print(output[-6000:], file=sys.stderr)
    return seconds, usage.ru_maxrss / 1024, child.returncode


def _timings() -> tuple[float, float, list[tuple[str, float]]]:
    results = json.loads((TARGET / "run_results.json").read_text())
    models, tests = 0.0, 0.0
    per_model: list[tuple[str, float]] = []
    for node in results["results"]:
        seconds = float(node.get("execution_time") or 0)
        if node["unique_id"].startswith("model."):
            models += seconds
            per_model.append((node["unique_id"].split(".")[-1], round(seconds, 2)))
        elif node["unique_id"].startswith(("test.", "unit_test.")):
            tests += seconds
    per_model.sort(key=lambda item: -item[1])
    return models, tests, per_model[:5]


def _window(database: Path) -> str:
    with duckdb.connect(str(database), read_only=True) as con:
        query = "select * from intermediate.int_mrr_refresh_window"
        first, reason = con.execute(query).fetchone()  # type: ignore[misc]
    return f"{reason} (from {first})"


def _incremental(raw: Path, database: Path) -> tuple[float, str, float, str]:
    """Time incremental builds after the full one: one more month without, then with, fx.

    The warehouse is first rebuilt as of the month before AS_OF_DATE without that last
    month's fx rates (untimed); then built as of AS_OF_DATE (one more month: the window
    starts at the new month); then the month's fx rates are loaded and it is built again.
    """
    last_month = AS_OF_DATE[:8] + "01"
    previous_day = (date.fromisoformat(last_month) - timedelta(days=1)).isoformat()
    rates = (raw / "fx_rates.csv").read_text().splitlines(keepends=True)
    earlier = BENCH_DIR / "fx_without_last_month"
    earlier.mkdir(exist_ok=True)
    (earlier / "fx_rates.csv").write_text(
        "".join([rates[0], *(r for r in rates[1:] if f",{last_month}," not in r)])
    )
    _run(["load", str(earlier)], database)
    _run(["build", "--as-of-date", previous_day], database)
    month_seconds, _, _ = _run(["build", "--as-of-date", AS_OF_DATE], database)
    month_window = _window(database)
    with_rates = BENCH_DIR / "fx_with_last_month"
    with_rates.mkdir(exist_ok=True)
    (with_rates / "fx_rates.csv").write_text("".join(rates))
    _run(["load", str(with_rates)], database)
    fx_seconds, _, _ = _run(["build", "--as-of-date", AS_OF_DATE], database)
    return round(month_seconds, 2), month_window, round(fx_seconds, 2), _window(database)


def bench_size(customers: int, months: int) -> SizeResult:
    raw, generate_seconds = _dataset(customers, months)
    database = BENCH_DIR / f"warehouse_{customers}_{months}.duckdb"
    database.unlink(missing_ok=True)
    load_seconds, load_peak_mb, _ = _run(["load", str(raw)], database)
    build_seconds, peak_mb, code = _run(["build", "--as-of-date", AS_OF_DATE], database)
    models, tests, slowest = _timings()
    with duckdb.connect(str(database), read_only=True) as con:
        raw_rows = sum(
            con.execute(f'select count(*) from raw."{t}"').fetchone()[0]  # type: ignore[index]
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        )
        fct_rows = 0
        if code == 0:
            fct_rows = con.execute("select count(*) from marts.fct_mrr_movements").fetchone()[0]  # type: ignore[index]
    result = SizeResult(
        customers, months, raw_rows, generate_seconds, round(load_seconds, 2),
        round(build_seconds, 2), round(peak_mb, 1), round(models, 2), round(tests, 2),
        slowest, fct_rows, code == 0,
    )  # fmt: skip
    result.load_peak_rss_mb = round(load_peak_mb, 1)
    if code == 0:
        incremental = _incremental(raw, database)
        result.incremental_seconds, result.incremental_window = incremental[:2]
        result.incremental_fx_seconds, result.incremental_fx_window = incremental[2:]
    print(json.dumps(asdict(result)), flush=True)
    return result


def _exponent(results: list[SizeResult]) -> float | None:
    points = [(r.customers, r.build_seconds) for r in results if r.build_ok]
    if len(points) < 2:
        return None
    (n1, t1), (n2, t2) = points[0], points[-1]
    return math.log(t2 / t1) / math.log(n2 / n1)


def write_results(results: list[SizeResult]) -> None:
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )
    exponent = _exponent(results)
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(
        json.dumps(
            {"date": date.today().isoformat(), "machine": machine,
             "build_time_exponent": exponent, "sizes": [asdict(r) for r in results]},
            indent=2,
        ) + "\n"
    )  # fmt: skip
    lines = [
        "| customers | months | raw rows | load s | build s (all models + tests) | models s | "
        "tests s | peak RSS MB | fct_mrr_movements rows | slowest models (s) | "
        "incremental s: one more month | incremental s: its fx rates too |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        slowest = ", ".join(f"{name} {s}" for name, s in r.slowest_models)
        lines.append(
            f"| {r.customers:,} | {r.months} | {r.raw_rows:,} | {r.load_seconds} | "
            f"{r.build_seconds}{'' if r.build_ok else ' (failed)'} | {r.models_seconds} | "
            f"{r.tests_seconds} | {r.build_peak_rss_mb:,.0f} | {r.fct_mrr_movements_rows:,} | "
            f"{slowest} | {r.incremental_seconds} ({r.incremental_window}) | "
            f"{r.incremental_fx_seconds} ({r.incremental_fx_window}) |"
        )
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else "# Benchmarks\n"
    marker = "<!-- results -->"
    table = (
        f"{marker}\nMeasured {date.today().isoformat()} on {machine} with "
        "`expansion-metrics bench`. Build time grows with customers as n^"
        f"{'n/a' if exponent is None else f'{exponent:.2f}'} (first to last size). "
        "Models and tests seconds are the sums of dbt's per-node times (threads overlap "
        "them); the rest of the build is parsing, compilation and start-up.\n\n"
        + "\n".join(lines) + f"\n{marker}"
    )  # fmt: skip
    if marker in text:
        head, _, rest = text.partition(marker)
        _, _, tail = rest.partition(marker)
        text = head + table + tail
    else:
        text = text.rstrip() + "\n\n" + table + "\n"
    RESULTS_MD.write_text(text)


def run(sizes: list[int], months: int) -> list[SizeResult]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    results = [bench_size(n, months) for n in sizes]
    write_results(results)
    print(f"wrote {RESULTS_MD} and {RESULTS_JSON}")
    return results
