"""The dashboard as a person sees it: rendered in headless Chromium from a real build.

The data is the demo set with hostile names: every customer is called
`<script>alert(N)</script>` and the industry `retail` becomes `<b>retail</b>`, so the
script-injection case runs through the real loader, build and report.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import build_warehouse

from expansion_metrics.settings import DEMO_AS_OF_DATE, DEMO_DIR

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
]  # fmt: skip


def chromium() -> str:
    """Chromium's path, installing Debian's package when it is missing (root only)."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "chromium"],
        ):
            subprocess.run(command, env=env, capture_output=True, check=False, timeout=900)
        found = shutil.which("chromium")
        if found:
            return found
    pytest.skip("the dashboard browser test needs Chromium: `apt-get install chromium` failed")


def run_chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def hostile_demo(directory: Path) -> Path:
    shutil.copytree(DEMO_DIR, directory)
    path = directory / "customers.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for n, row in enumerate(rows):
        row["customer_name"] = f"<script>alert({n})</script>"
        if row["industry"] == "retail":
            row["industry"] = "<b>retail</b>"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return directory


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    browser = chromium()
    root = tmp_path_factory.mktemp("dashboard")
    database = build_warehouse(hostile_demo(root / "raw"), root / "wh.duckdb", DEMO_AS_OF_DATE)
    out = root / "dashboard.html"
    done = subprocess.run(
        [sys.executable, "-m", "expansion_metrics.cli", "report", "--out", str(out)],
        env={**os.environ, "EXPANSION_METRICS_DB": str(database)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "dashboard:" in done.stdout and "KB" in done.stdout
    yield out, browser


def test_browser_detects_console_errors_at_all(tmp_path: Path):
    """The console check below can fail: a page that throws is caught."""
    browser = chromium()
    page = tmp_path / "broken.html"
    page.write_text("<p>x</p><script>throw new Error('kaput')</script>", encoding="utf-8")
    done = run_chromium(browser, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert any("kaput" in m for m in console_messages(done.stderr))


def test_dashboard_renders_without_console_errors_or_empty_charts(dashboard, tmp_path: Path):
    out, browser = dashboard
    done = run_chromium(browser, tmp_path / "profile", "--dump-dom", out.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == []
    dom = done.stdout
    points = [int(p) for p in re.findall(r'<svg class="chart" data-points="(\d+)"', dom)]
    assert len(points) >= 7, "every chart section should be drawn"
    assert all(p > 0 for p in points), f"an empty chart: {points}"
    for finding in (
        "NRR (trailing twelve months) is",
        "ARR went from",
        "Cohort NRR %",
        "drove most expansion ARR",
        "open expansion pipeline",
        "customers are red",
        "SaaS KPIs, last twelve months",
        "Committed MRR: what contracts known today add and take away",
        "Quick ratio, Oct 2026",
        "ARPA, Oct 2026",
        "Renewals: ARR up for renewal",
        "(coming)",
        "Coming renewals by customer: the largest 15",
        # The demo closes no month: the section says how to.
        "No month closed yet: expansion-metrics close --month YYYY-MM",
    ):
        assert finding in dom  # fmt: skip
    assert "Data as of 2026-10-31" in dom
    # The default vars of dbt_project.yml, read back from the build (other values:
    # python_checks/test_report_config.py).
    assert "Amounts are USD ARR at constant currency" in dom
    assert "alert line 2.5x" in dom and "healthy line 3x" in dom
    assert "strong: 100% to below 120%" in dom


def test_data_text_is_escaped_and_runs_nothing(dashboard, tmp_path: Path):
    out, browser = dashboard
    source = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in source
    assert "<script>alert(" not in source
    assert "&lt;b&gt;retail&lt;/b&gt;" in source
    done = run_chromium(browser, tmp_path / "profile", "--dump-dom", out.as_uri())
    assert done.stdout.count("<script") == 1  # the dashboard's own script, nothing injected
    assert "<b>retail</b>" not in done.stdout


def test_screenshot_and_size(dashboard, tmp_path: Path):
    out, browser = dashboard
    shot = tmp_path / "dashboard.png"
    run_chromium(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=900,3000",
                 out.as_uri())  # fmt: skip
    assert shot.exists() and shot.stat().st_size > 20_000
    assert out.stat().st_size < 2_000_000, "small enough to email"
    assert "http://" not in out.read_text() and "https://" not in out.read_text()
