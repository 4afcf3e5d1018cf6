"""The `expansion-metrics` command: load, generate, build."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

import duckdb

from expansion_metrics import settings


def _month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month like 2026-10") from None


def _iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-10-31") from None


def _var(text: str) -> tuple[str, object]:
    """NAME=VALUE of `build --var`: the value read as YAML, as dbt reads --vars."""
    import yaml

    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE, e.g. fx_rate_policy=fixed")
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
    # A date stays text: the vars take dates as 'YYYY-MM-DD' strings.
    return name.strip(), parsed.isoformat() if isinstance(parsed, date) else parsed


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _cmd_load(args: argparse.Namespace) -> int:
    from expansion_metrics.loader import LoadError, load

    database = settings.database_path()
    try:
        result = load(
            Path(args.directory),
            database,
            allow_unknown_files=args.allow_unknown_files,
            earliest_date=date.fromisoformat(args.earliest_date),
            source=args.source,
        )
    except LoadError as exc:
        print(f"expansion-metrics load: {exc}", file=sys.stderr)
        return 1
    for table, rows in result.loaded.items():
        print(f"loaded {result.schema}.{table}: {rows:,} rows")
    for table in result.created_empty:
        print(f"created {result.schema}.{table} empty (no file for it)")
    for table in result.dropped:
        print(f"dropped {result.schema}.{table} (an earlier load's; no file for it now)")
    for name, why in result.not_loaded:
        print(f"not loaded: {name!r}: {why}")
    print(f"warehouse: {database}")
    return 0


def _formats(text: str) -> tuple[str, ...]:
    from expansion_metrics.connector_export import FORMATS

    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"{text!r}: formats are a comma-separated list of {', '.join(FORMATS)}"
        )
    return chosen


def _cmd_generate(args: argparse.Namespace) -> int:
    from expansion_metrics.connector_export import export
    from expansion_metrics.generator import generate

    out = Path(args.out)
    try:
        counts = generate(
            out,
            customers=args.customers,
            months=args.months,
            seed=args.seed,
            end_month=args.end_month,
            usage_granularity=args.usage_granularity,
            progress=not args.quiet,
        )
        connectors = [f for f in args.format if f != "contract"]
        # the build's as_of_date: the last day of end_month (open invoices due before it
        # are overdue in Stripe's terms)
        end = args.end_month
        as_of = date(end.year + end.month // 12, end.month % 12 + 1, 1) - timedelta(days=1)
        written = export(out, connectors, as_of_date=as_of) if connectors else {}
    except (ValueError, OSError) as exc:
        print(f"expansion-metrics generate: {exc}", file=sys.stderr)
        return 1
    for table, rows in counts.items():
        print(f"{out / (table + '.csv')}: {rows:,} rows")
    for path, rows in written.items():
        print(f"{path}: {rows:,} rows")
    return 0


def _locked(command: str, run: Callable[[], int], busy: str, advice: str) -> int:
    """run() holding the refresh's lock on the warehouse: a build or a close never writes
    a file a refresh is about to publish over. `busy` names what else may hold the lock
    and `advice` what to do, in the message when it is held."""
    from expansion_metrics.refresh import LOCK_HELD_ENV, lock_path, take_lock

    database = settings.database_path()
    if os.environ.get(LOCK_HELD_ENV) == str(database):  # a refresh's own build of its candidate
        return run()
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        lock = take_lock(database)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"expansion-metrics {command}: cannot take the lock: {exc.strerror}{where}",
              file=sys.stderr)  # fmt: skip
        return 1
    if lock is None:
        print(
            f"expansion-metrics {command}: a refresh or {busy} of {database} is running "
            f"(lock {lock_path(database)}); {advice} when it is done",
            file=sys.stderr,
        )
        return 1
    try:
        return run()
    finally:
        os.close(lock)


def _cmd_build(args: argparse.Namespace) -> int:
    from expansion_metrics.dbt import build

    return _locked(
        "build",
        lambda: build(args.as_of_date, args.select, args.earliest_date, dict(args.var),
                      args.source_freshness, args.unit_tests, args.full_refresh),
        busy="another build", advice="build into a copy, or try again",
    )  # fmt: skip


def _cmd_close(args: argparse.Namespace) -> int:
    from expansion_metrics.close import CloseError, close_month

    def run() -> int:
        try:
            print(close_month(settings.database_path(), args.month, args.reopen))
        except CloseError as exc:
            print(f"expansion-metrics close: {exc} (warehouse unchanged)", file=sys.stderr)
            return 1
        except duckdb.Error as exc:
            print(f"expansion-metrics close: {exc} (warehouse unchanged)", file=sys.stderr)
            return 1
        return 0

    return _locked("close", run, busy="a build", advice="try again")


def _cmd_report(args: argparse.Namespace) -> int:
    from expansion_metrics.report import write_report

    database = settings.database_path()
    if not database.exists():
        print(f"expansion-metrics report: {database} does not exist; build first", file=sys.stderr)
        return 1
    try:
        size = write_report(database, Path(args.out))
    except (ValueError, OSError) as exc:
        print(f"expansion-metrics report: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        print(f"expansion-metrics report: cannot read the marts: {exc}", file=sys.stderr)
        return 1
    print(f"dashboard: {Path(args.out).resolve()} ({size / 1024:,.0f} KB, opens offline)")
    return 0


def _cmd_refresh(args: argparse.Namespace) -> int:
    from expansion_metrics.refresh import RefreshError, refresh

    try:
        # --earliest-date goes to the load and, as the var earliest_date, to the build,
        # so the two never disagree.
        dates = ["--earliest-date", args.earliest_date] if args.earliest_date else []
        unknown = ["--allow-unknown-files"] if args.allow_unknown_files else []
        line = refresh(
            Path(args.raw) if args.raw else None, args.as_of_date, [*dates, *unknown], dates
        )
    except RefreshError as exc:
        print(f"expansion-metrics refresh: {exc}", file=sys.stderr)
        return 1
    print(line)
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from expansion_metrics.bench import run, run_playbook

    sizes = [int(n) for n in args.sizes.split(",")]
    project = Path(args.playbook_project).resolve() if args.playbook_project else None
    if project is not None and not args.playbook_shape:
        print("expansion-metrics bench: --playbook-project needs --playbook-shape", file=sys.stderr)
        return 2
    if project is not None and not (project / "load.py").is_file():
        print(f"expansion-metrics bench: {project} has no load.py (see docs/benchmarks.md)",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.playbook_shape:
        compared = run_playbook(sizes, args.months, project)
        return 0 if all(r.ours_ok and r.playbook_ok is not False for r in compared) else 1
    results = run(sizes, args.months)
    return 0 if all(r.build_ok for r in results) else 1


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="expansion-metrics",
        description="Revenue-retention marts on dbt + DuckDB. The warehouse file is "
        "$EXPANSION_METRICS_DB (default data/expansion_metrics.duckdb in the project).",
    )
    commands = root.add_subparsers(dest="command", required=True)

    load = commands.add_parser("load", help="validate and load raw CSV/Parquet files into raw")
    load.add_argument("directory", help="folder holding <table>.csv or <table>.parquet files")
    load.add_argument(
        "--source",
        choices=("contract", "stripe", "salesforce", "hubspot"),
        default="contract",
        help="contract (default): the raw contract's tables into schema raw; stripe, "
        "salesforce or hubspot: that connector's exported tables (Fivetran's names) into "
        "the schema of that name, which then holds exactly the folder's tables",
    )
    load.add_argument(
        "--allow-unknown-files",
        action="store_true",
        help="load even when the folder holds other files (they are listed, not loaded)",
    )
    load.add_argument(
        "--earliest-date",
        type=_iso_date,
        default="2000-01-01",
        help="refuse any date before this one (default 2000-01-01)",
    )
    load.set_defaults(run=_cmd_load)

    generate = commands.add_parser("generate", help="write a synthetic raw data set")
    generate.add_argument("--customers", type=_positive, required=True)
    generate.add_argument("--months", type=_positive, required=True)
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--out", required=True, help="folder to write the CSV files to")
    generate.add_argument(
        "--end-month", type=_month, default=date(2026, 10, 1), help="last month, e.g. 2026-10"
    )
    generate.add_argument("--usage-granularity", choices=("week", "month"), default="week")
    generate.add_argument("--quiet", action="store_true", help="no progress bar")
    generate.add_argument(
        "--format",
        type=_formats,
        default=("contract",),
        help="comma-separated: contract (always written: OUT/*.csv), stripe, salesforce, "
        "hubspot (the same business as connector tables in OUT/<connector>/, with "
        "OUT/customer_crosswalk.csv for the seed); default contract",
    )
    generate.set_defaults(run=_cmd_generate)

    build = commands.add_parser(
        "build", help="run dbt build (seeds, models, data tests; --unit-tests: unit tests too)"
    )
    build.add_argument("--as-of-date", type=_iso_date, help="the as_of_date var, e.g. 2026-10-31")
    build.add_argument("--select", help="dbt node selection")
    build.add_argument(
        "--earliest-date", type=_iso_date, help="the earliest_date var (default 2000-01-01)"
    )
    build.add_argument(
        "--var",
        action="append",
        default=[],
        type=_var,
        metavar="NAME=VALUE",
        help="set a var of dbt_project.yml (value read as YAML), e.g. fx_rate_policy=fixed",
    )
    build.add_argument(
        "--source-freshness",
        action="store_true",
        help="after a successful build, run dbt source freshness on the same parse (as a "
        "refresh does); exit status 3 when only the freshness check fails",
    )
    build.add_argument(
        "--unit-tests",
        action="store_true",
        help="run dbt's unit tests too (development and CI: they read only their own fixed "
        "rows, so a production build leaves them out, as dbt recommends)",
    )
    build.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental models from scratch (dbt's --full-refresh)",
    )
    build.set_defaults(run=_cmd_build)

    close = commands.add_parser(
        "close",
        help="freeze a month's board figures as reported (schema reported; see "
        "marts.mart_restatements)",
    )
    close.add_argument("--month", type=_month, required=True, help="the month, e.g. 2026-09")
    close.add_argument(
        "--reopen",
        metavar="REASON",
        help="close a closed month again, replacing its as-reported figures; the reason is "
        "stored with the close",
    )
    close.set_defaults(run=_cmd_close)

    report = commands.add_parser("report", help="write the executive dashboard (one HTML file)")
    report.add_argument("--out", default="reports/dashboard.html", help="HTML file to write")
    report.set_defaults(run=_cmd_report)

    refresh = commands.add_parser(
        "refresh",
        help="load (optional), build and test a candidate, then publish it atomically",
    )
    refresh.add_argument(
        "--raw",
        help="folder of raw contract files to load first (contract only: load connector "
        "tables with `load --source`, then refresh without --raw)",
    )
    refresh.add_argument("--as-of-date", type=_iso_date, help="the as_of_date var")
    refresh.add_argument(
        "--allow-unknown-files", action="store_true", help="passed to the load (see load)"
    )
    refresh.add_argument(
        "--earliest-date",
        type=_iso_date,
        help="passed to the load and, as the var earliest_date, to the build (default 2000-01-01)",
    )
    refresh.set_defaults(run=_cmd_refresh)

    bench = commands.add_parser("bench", help="benchmark load and build at growing sizes")
    bench.add_argument("--sizes", default="10000,100000,1000000", help="customers per run")
    bench.add_argument("--months", type=_positive, default=36)
    bench.add_argument(
        "--playbook-shape",
        action="store_true",
        help="instead: equal input against dbt Labs' mrr-playbook. Generates (cached in "
        "data/bench/) N customers of subscription periods shaped like the playbook's, as its "
        "CSV and as raw contract files, and times this project's load + dbt build on them",
    )
    bench.add_argument(
        "--playbook-project",
        metavar="PATH",
        help="with --playbook-shape: a DuckDB port of the playbook (a dbt project with its "
        "profiles.yml and a load.py that loads the CSV into $PLAYBOOK_DB); times its load + "
        "dbt build in the same run and records both in docs/benchmarks.md and .json",
    )
    bench.set_defaults(run=_cmd_bench)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
