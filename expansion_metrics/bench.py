"""The benchmark: generate, load and build data sets of growing size, and write down how long.

A benchmark, not a test: it prints and records figures, it asserts nothing. Data sets
are generated once with the project's generator (month usage granularity) and cached.
With --playbook-shape it compares instead with dbt Labs' mrr-playbook on equal input: the
same subscription periods as the playbook's CSV and as this project's raw contract.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
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
# Every build of the benchmark converts at fixed rates (fx_rate_policy): a month's new fx
# rates then restate nothing, and the incremental build after them stays incremental.
FIXED_RATES = ["--var", "fx_rate_policy=fixed", "--var", "fx_rate_date=2026-01-01"]
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
    # Every mart after the two incremental builds equals the full build's (doubles to 4
    # decimals: DuckDB sums them in parallel), row for row.
    incremental_equals_full: bool | None = None
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


def _child(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run a command in a child; return (seconds, peak RSS MB of that child, exit code)."""
    started = time.perf_counter()
    with subprocess.Popen(
        argv, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    ) as child:  # fmt: skip
        output = child.stdout.read() if child.stdout else ""
        # wait4 gives this child's own resource use (ru_maxrss in KB on Linux).
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        print(output[-6000:], file=sys.stderr)
    return seconds, usage.ru_maxrss / 1024, child.returncode


def _run(command: list[str], database: Path, target: Path = TARGET) -> tuple[float, float, int]:
    """Run a CLI command in a child; return (seconds, peak RSS MB of that child, exit code)."""
    env = {
        "EXPANSION_METRICS_DB": str(database),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": os.environ.get("DBT_LOG_PATH", str(BENCH_DIR / "logs")),
    }
    return _child([sys.executable, "-m", "expansion_metrics.cli", *command], env)


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
    _run(["build", "--as-of-date", previous_day, *FIXED_RATES], database)
    month_seconds, _, _ = _run(["build", "--as-of-date", AS_OF_DATE, *FIXED_RATES], database)
    month_window = _window(database)
    with_rates = BENCH_DIR / "fx_with_last_month"
    with_rates.mkdir(exist_ok=True)
    (with_rates / "fx_rates.csv").write_text("".join(rates))
    _run(["load", str(with_rates)], database)
    fx_seconds, _, _ = _run(["build", "--as-of-date", AS_OF_DATE, *FIXED_RATES], database)
    return round(month_seconds, 2), month_window, round(fx_seconds, 2), _window(database)


def _copy_marts(database: Path, copy: Path) -> None:
    copy.unlink(missing_ok=True)
    with duckdb.connect(str(copy)) as con:
        con.execute(f"attach '{database}' as built (read_only)")
        for (table,) in con.execute(
            "select table_name from duckdb_tables() "
            "where database_name = 'built' and schema_name = 'marts'"
        ).fetchall():
            con.execute(f'create table "{table}" as select * from built.marts."{table}"')


def _same_marts(database: Path, copy: Path) -> bool:
    """Every mart of `database` equals its copy in `copy`, row for row (doubles rounded)."""
    with duckdb.connect(str(copy)) as con:
        con.execute(f"attach '{database}' as built (read_only)")
        tables = [t for (t,) in con.execute("select table_name from duckdb_tables() "
                                           "where database_name = 'built' "
                                           "and schema_name = 'marts'").fetchall()]  # fmt: skip
        for table in tables:
            columns = con.execute(
                "select column_name, data_type from duckdb_columns() where database_name = "
                "'built' and schema_name = 'marts' and table_name = ? order by column_index",
                [table],
            ).fetchall()
            shown = ", ".join(
                f'round("{c}", 4)' if kind == "DOUBLE" else f'"{c}"' for c, kind in columns
            )
            differing = con.execute(
                f"""select count(*) from (
                    (select {shown} from "{table}" except all
                     select {shown} from built.marts."{table}")
                    union all
                    (select {shown} from built.marts."{table}" except all
                     select {shown} from "{table}"))"""
            ).fetchone()
            if differing is None or differing[0] != 0:
                print(f"{table}: {differing} rows differ from the full build", file=sys.stderr)
                return False
        return bool(tables)


def bench_size(customers: int, months: int) -> SizeResult:
    raw, generate_seconds = _dataset(customers, months)
    database = BENCH_DIR / f"warehouse_{customers}_{months}.duckdb"
    database.unlink(missing_ok=True)
    load_seconds, load_peak_mb, _ = _run(["load", str(raw)], database)
    build_seconds, peak_mb, code = _run(
        ["build", "--as-of-date", AS_OF_DATE, *FIXED_RATES], database
    )
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
        full_marts = BENCH_DIR / f"full_marts_{customers}_{months}.duckdb"
        _copy_marts(database, full_marts)
        incremental = _incremental(raw, database)
        result.incremental_seconds, result.incremental_window = incremental[:2]
        result.incremental_fx_seconds, result.incremental_fx_window = incremental[2:]
        result.incremental_equals_full = _same_marts(database, full_marts)
    print(json.dumps(asdict(result)), flush=True)
    return result


def _exponent(results: list[SizeResult]) -> float | None:
    points = [(r.customers, r.build_seconds) for r in results if r.build_ok]
    if len(points) < 2:
        return None
    (n1, t1), (n2, t2) = points[0], points[-1]
    return math.log(t2 / t1) / math.log(n2 / n1)


def _machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )


def _update_json(figures: dict[str, object]) -> None:
    """Write these keys of docs/benchmarks.json, keeping the others (each mode its own)."""
    kept = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps({**kept, **figures}, indent=2) + "\n")


def _replace_marked(text: str, marker: str, block: str) -> str:
    """The text with what lies between the two markers replaced by block (marked)."""
    head, _, rest = text.partition(marker)
    _, _, tail = rest.partition(marker)
    return head + f"{marker}\n{block}\n{marker}" + tail


def _yes_no(value: bool | None) -> str:
    return "n/a" if value is None else "yes" if value else "NO"


def write_results(results: list[SizeResult]) -> None:
    machine = _machine()
    exponent = _exponent(results)
    _update_json(
        {"date": date.today().isoformat(), "machine": machine,
         "build_time_exponent": exponent, "sizes": [asdict(r) for r in results]}
    )  # fmt: skip
    lines = [
        "| customers | months | raw rows | load s | build s (all models + tests) | models s | "
        "tests s | peak RSS MB | fct_mrr_movements rows | slowest models (s) | "
        "incremental s: one more month | incremental s: its fx rates too | "
        "incremental marts = full |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        slowest = ", ".join(f"{name} {s}" for name, s in r.slowest_models)
        lines.append(
            f"| {r.customers:,} | {r.months} | {r.raw_rows:,} | {r.load_seconds} | "
            f"{r.build_seconds}{'' if r.build_ok else ' (failed)'} | {r.models_seconds} | "
            f"{r.tests_seconds} | {r.build_peak_rss_mb:,.0f} | {r.fct_mrr_movements_rows:,} | "
            f"{slowest} | {r.incremental_seconds} ({r.incremental_window}) | "
            f"{r.incremental_fx_seconds} ({r.incremental_fx_window}) | "
            f"{_yes_no(r.incremental_equals_full)} |"
        )
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else "# Benchmarks\n"
    marker = "<!-- results -->"
    table = (
        f"Measured {date.today().isoformat()} on {machine} with "
        "`expansion-metrics bench`. Build time grows with customers as n^"
        f"{'n/a' if exponent is None else f'{exponent:.2f}'} (first to last size). "
        "Models and tests seconds are the sums of dbt's per-node times (threads overlap "
        "them); the rest of the build is parsing, compilation and start-up.\n\n"
        + "\n".join(lines)
    )  # fmt: skip
    if marker not in text:
        text = text.rstrip() + f"\n\n{marker}\n{marker}\n"
    RESULTS_MD.write_text(_replace_marked(text, marker, table))


# Against dbt Labs' mrr-playbook (--playbook-shape): the same subscription periods as the
# playbook's input CSV and as this project's raw contract, each side loaded and built with
# every model and test. The playbook itself is not in this repository: --playbook-project
# names a port of it to DuckDB (docs/benchmarks.md says what the port needs).

PLAYBOOK_COLUMNS = ("subscription_id", "customer_id", "start_date", "end_date", "monthly_amount")
ITEM_COLUMNS = (
    "subscription_item_id", "subscription_id", "customer_id", "product", "pricing_model",
    "quantity", "amount", "currency", "billing_interval", "interval_count", "valid_from",
    "valid_to",
)  # fmt: skip
# Monthly amounts as in the playbook's sample data: multiples of 5, mostly 25 and 50.
PLAYBOOK_AMOUNTS = (25, 25, 25, 30, 35, 40, 45, 50, 50, 50, 55, 60, 65, 75, 85, 90, 100, 125)
ANSWER = {True: "yes", False: "NO", None: "n/a"}
PLAYBOOK_MARKER = "<!-- playbook -->"
PLAYBOOK_HEADING = "## Against dbt Labs' mrr-playbook"


@dataclass
class PlaybookResult:
    customers: int
    months: int
    periods: int
    date: str
    generate_seconds: float | None
    ours_load_seconds: float
    ours_build_seconds: float
    ours_build_peak_rss_mb: float
    ours_ok: bool
    ours_nodes: str
    playbook_load_seconds: float | None = None
    playbook_build_seconds: float | None = None
    playbook_build_peak_rss_mb: float | None = None
    playbook_ok: bool | None = None
    playbook_nodes: str = ""
    ratio: float | None = None  # our load + build time over the playbook's
    build_ratio: float | None = None  # our build time over the playbook's
    same_movements: bool | None = None  # see _same_movements
    revision: str = ""  # this project's commit, -dirty when the work tree had changes


def _month_starts(months: int) -> list[date]:
    """First days of the `months` months ending with AS_OF_DATE's month, and of the next."""
    end = date.fromisoformat(AS_OF_DATE)
    last = end.year * 12 + end.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(last - months + 1, last + 2)]


def playbook_periods(
    customers: int, months: int, seed: int = 42
) -> Iterator[tuple[int, int, date, date, int]]:
    """Subscription periods shaped like the playbook's sample data: (subscription_id,
    customer_id, start_date, end_date, monthly_amount), whole months (the first of a month
    to the first of a later one, end exclusive), one customer's periods never overlapping.
    1, 2 or 3 periods per customer (1.3 on average) within the `months` months ending with
    AS_OF_DATE's; 60% of last periods run to its end (end_date: the next month's first
    day). A later period follows on with another amount (an upgrade or downgrade), or one
    in four times (when there is room) after a gap (churn, then reactivation)."""
    rng = random.Random(seed)
    starts = _month_starts(months)
    subscription_id = 0
    for customer_id in range(1, customers + 1):
        draw = rng.random()
        count = min(1 if draw < 0.75 else 2 if draw < 0.95 else 3, months)
        first = rng.randrange(months - count + 1)
        begins = [first, *sorted(rng.sample(range(first + 1, months), count - 1))]
        amount = rng.choice(PLAYBOOK_AMOUNTS)
        for number, begin in enumerate(begins):
            if number + 1 < count:
                following = begins[number + 1]
                gap = following - begin > 1 and rng.random() < 0.25
                end = rng.randrange(begin + 1, following) if gap else following
            else:
                end = months if rng.random() < 0.6 else rng.randrange(begin + 1, months + 1)
            subscription_id += 1
            yield subscription_id, customer_id, starts[begin], starts[end], amount
            amount = rng.choice([a for a in PLAYBOOK_AMOUNTS if a != amount])


def write_playbook_shape(folder: Path, customers: int, months: int, seed: int = 42) -> int:
    """Write the same periods twice: folder/subscription_periods.csv, the playbook's input,
    and folder/contract/ (customers.csv, subscription_items.csv: one flat monthly USD item
    of product `platform` per period, same ids and dates). Returns the number of periods."""
    contract = folder / "contract"
    contract.mkdir(parents=True, exist_ok=True)
    periods, previous_customer = 0, 0
    with (
        (folder / "subscription_periods.csv").open("w", newline="") as playbook_file,
        (contract / "customers.csv").open("w", newline="") as customers_file,
        (contract / "subscription_items.csv").open("w", newline="") as items_file,
    ):
        playbook = csv.writer(playbook_file, lineterminator="\n")
        customers_csv = csv.writer(customers_file, lineterminator="\n")
        items = csv.writer(items_file, lineterminator="\n")
        playbook.writerow(PLAYBOOK_COLUMNS)
        customers_csv.writerow(("customer_id", "customer_name", "created_at"))
        items.writerow(ITEM_COLUMNS)
        for period in playbook_periods(customers, months, seed):
            subscription_id, customer_id, start, end, amount = period
            playbook.writerow(period)
            if customer_id != previous_customer:  # a customer's periods come in date order
                customers_csv.writerow((customer_id, f"Customer {customer_id}", start))
                previous_customer = customer_id
            items.writerow(
                (subscription_id, subscription_id, customer_id, "platform", "flat", 1, amount,
                 "USD", "month", 1, start, end)
            )  # fmt: skip
            periods += 1
    return periods


def _playbook_dataset(customers: int, months: int) -> tuple[Path, int, float | None]:
    folder = BENCH_DIR / f"playbook_{customers}_{months}"
    marker = folder / ".complete"  # holds the number of periods
    if marker.exists():
        return folder, int(marker.read_text()), None
    started = time.perf_counter()
    periods = write_playbook_shape(folder, customers, months)
    marker.write_text(str(periods))
    return folder, periods, round(time.perf_counter() - started, 2)


def _nodes(target: Path) -> str:
    """What a dbt build ran, from its run_results.json: '4 models, 21 tests'."""
    results = target / "run_results.json"
    if not results.exists():
        return ""
    kinds = Counter(
        r["unique_id"].split(".")[0] for r in json.loads(results.read_text())["results"]
    )
    return ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))


# The playbook's change categories and the fct_mrr_movements columns they correspond to.
MOVEMENTS = {
    "new": "new_mrr",
    "reactivation": "reactivation_mrr",
    "upgrade": "expansion_mrr",
    "downgrade": "contraction_mrr",
    "churn": "churned_mrr",
}


def _same_movements(ours: Path, theirs: Path) -> bool | None:
    """Whether the two builds agree: in every month up to AS_OF_DATE's, the same total MRR
    and the same new, reactivation, expansion, contraction and churned MRR (the playbook's
    `mrr` summed by change_category; amounts compared without sign). None if unreadable."""
    ours_sql = ", ".join(f"round(abs(coalesce(sum({c}), 0)), 2)" for c in MOVEMENTS.values())
    theirs_sql = ", ".join(
        f"round(abs(coalesce(sum(mrr_change) filter (where change_category = '{k}'), 0)), 2)"
        for k in MOVEMENTS
    )
    try:
        with duckdb.connect() as con:
            con.execute(f"attach '{ours}' as ours (read_only)")
            con.execute(f"attach '{theirs}' as theirs (read_only)")
            mine = con.execute(
                f"select month, round(sum(ending_mrr), 2), {ours_sql} "
                "from ours.marts.fct_mrr_movements group by 1 order by 1"
            ).fetchall()
            playbook = con.execute(
                f"select date_month, round(sum(mrr), 2), {theirs_sql} from theirs.main.mrr "
                "where date_month <= ? group by 1 order by 1",
                [date.fromisoformat(AS_OF_DATE)],
            ).fetchall()
    except duckdb.Error as exc:
        print(f"cannot compare the MRR movements: {exc}", file=sys.stderr)
        return None
    as_floats = [tuple(float(v) if i else v for i, v in enumerate(row)) for row in mine]
    return bool(mine) and as_floats == playbook


def bench_playbook(customers: int, months: int, project: Path | None) -> PlaybookResult:
    """One interleaved run: this project's load + build, then the playbook's, same data."""
    data, periods, generate_seconds = _playbook_dataset(customers, months)
    work = BENCH_DIR / f"playbook_run_{customers}_{months}"
    ours, ours_target = work / "ours.duckdb", work / "ours_target"
    theirs, target = work / "playbook.duckdb", work / "playbook_target"
    for stale in (ours, theirs, Path(f"{ours}.wal"), Path(f"{theirs}.wal"),
                  ours_target / "run_results.json", target / "run_results.json"):  # fmt: skip
        stale.unlink(missing_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    load_s, _, load_code = _run(["load", str(data / "contract")], ours, ours_target)
    build_s, build_mb, code = _run(["build", "--as-of-date", AS_OF_DATE], ours, ours_target)
    result = PlaybookResult(
        customers, months, periods, date.today().isoformat(), generate_seconds,
        round(load_s, 2), round(build_s, 2), round(build_mb, 1), load_code == code == 0,
        _nodes(ours_target),
    )  # fmt: skip
    result.revision = subprocess.run(
        ["git", "-C", str(settings.PROJECT_DIR), "describe", "--always", "--dirty"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    if project is not None:
        config = settings.duckdb_config()  # the same DuckDB cap and threads as this project
        env = {
            "PLAYBOOK_DB": str(theirs),
            "PLAYBOOK_THREADS": config["threads"],
            "PLAYBOOK_MEMORY_LIMIT": config["memory_limit"],
            "PLAYBOOK_TEMP_DIR": str(Path(config["temp_directory"]) / "playbook"),
        }
        csv_path = data / "subscription_periods.csv"
        p_load, _, p_load_code = _child(
            [sys.executable, str(project / "load.py"), str(csv_path)], env
        )
        dbt = str(Path(sys.executable).with_name("dbt"))
        p_build, p_mb, p_code = _child(
            [dbt, "build", "--project-dir", str(project), "--profiles-dir", str(project),
             "--target-path", str(target), "--log-path", str(work / "playbook_logs")],
            env,
        )  # fmt: skip
        result.playbook_load_seconds = round(p_load, 2)
        result.playbook_build_seconds = round(p_build, 2)
        result.playbook_build_peak_rss_mb = round(p_mb, 1)
        result.playbook_ok = p_load_code == p_code == 0
        result.playbook_nodes = _nodes(target)
        result.ratio = round((load_s + build_s) / (p_load + p_build), 2)
        result.build_ratio = round(build_s / p_build, 2)
        if result.ours_ok and result.playbook_ok:
            result.same_movements = _same_movements(ours, theirs)
    print(json.dumps(asdict(result)), flush=True)
    return result


def write_playbook_results(results: list[PlaybookResult], project: Path) -> None:
    """The comparison into docs/benchmarks.json (key playbook) and docs/benchmarks.md (its
    section, between markers); rows of other sizes from earlier runs are kept."""
    machine = _machine()
    earlier = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    sizes = {(r.customers, r.months) for r in results}
    rows = [
        PlaybookResult(**row)
        for row in earlier.get("playbook", {}).get("sizes", [])
        if (row["customers"], row["months"]) not in sizes
    ]
    rows = sorted([*rows, *results], key=lambda r: (r.months, r.customers))
    _update_json({"playbook": {"machine": machine, "sizes": [asdict(r) for r in rows]}})

    def failed(ok: bool | None) -> str:
        return "" if ok else " (failed)"

    lines = [
        "| customers | months | periods | this project: load s + build s | its build peak "
        "RSS MB | mrr-playbook: load s + build s | its build peak RSS MB | ratio (load + build) "
        "| ratio (build) | same MRR movements | measured | revision |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.customers:,} | {r.months} | {r.periods:,} | {r.ours_load_seconds} + "
            f"{r.ours_build_seconds}{failed(r.ours_ok)} | {r.ours_build_peak_rss_mb:,.0f} | "
            f"{r.playbook_load_seconds} + {r.playbook_build_seconds}{failed(r.playbook_ok)} | "
            f"{r.playbook_build_peak_rss_mb or 0:,.0f} | **{r.ratio}x** | {r.build_ratio}x | "
            f"{ANSWER[r.same_movements]} | {r.date} | {r.revision} |"
        )
    block = (
        f"Measured on {machine}; each row is one interleaved run: "
        f"`expansion-metrics bench --playbook-shape --playbook-project {project} --sizes N`. "
        f"dbt nodes of this project's build: {results[-1].ours_nodes}; of the playbook's: "
        f"{results[-1].playbook_nodes}.\n\n" + "\n".join(lines)
    )
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else "# Benchmarks\n"
    if PLAYBOOK_MARKER not in text:
        text = text.rstrip() + f"\n\n{PLAYBOOK_HEADING}\n\n{PLAYBOOK_MARKER}\n{PLAYBOOK_MARKER}\n"
    RESULTS_MD.write_text(_replace_marked(text, PLAYBOOK_MARKER, block))


def run_playbook(sizes: list[int], months: int, project: Path | None) -> list[PlaybookResult]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    results = [bench_playbook(n, months, project) for n in sizes]
    if project is not None:
        write_playbook_results(results, project)
        print(f"wrote {RESULTS_MD} and {RESULTS_JSON}")
    return results


def run(sizes: list[int], months: int) -> list[SizeResult]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    results = [bench_size(n, months) for n in sizes]
    write_results(results)
    print(f"wrote {RESULTS_MD} and {RESULTS_JSON}")
    return results
