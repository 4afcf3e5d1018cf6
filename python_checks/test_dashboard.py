"""The dashboard as a person sees it: rendered in headless Chromium from a real build.

The data is the demo set with hostile names: every customer is called
`<script>alert(N)</script>` and the industry `retail` becomes `<b>retail</b>`, so the
script-injection case runs through the real loader, build and report.

The charts are drawn by Vega in the page (report.ChartPage): the checks read the DOM
after Chromium has run the page's scripts (--virtual-time-budget lets the asynchronous
drawing finish before --dump-dom).
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import vl_convert
from conftest import build_warehouse

from expansion_metrics.report import DRAW, SCRIPT, script_json
from expansion_metrics.settings import DEMO_AS_OF_DATE, DEMO_DIR

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
]  # fmt: skip
# No network at all: every connection goes to a closed port on this machine and no name
# resolves, so a page that needed anything from outside would show it.
OFFLINE_FLAGS = [
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]  # fmt: skip
# The URL strings inside the Vega bundle (vl-convert-python, pinned), none of them fetched
# by the page: SVG/XLink/XMLNS namespace names (createElementNS), the link of vega-embed's
# editor action (the page sets actions: false), the schema URL vega-embed writes into the
# specs it hands that editor, and a Vega-Lite warning's issue link.
BUNDLE_URLS = {
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/2000/xmlns/",
    "https://vega.github.io/editor/",
    "https://vega.github.io/schema/vega/v6.json",
    "https://github.com/vega/vega-lite/issues/2415",
}
SVG = "{http://www.w3.org/2000/svg}"


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
    yield out, browser, database


def rendered(browser: str, page: Path, profile: Path, *flags: str) -> str:
    """The page's DOM once its scripts have run, checked free of console messages."""
    done = run_chromium(browser, profile, *flags, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == []
    return done.stdout


def charts(dom: str) -> dict[str, tuple[ET.Element, str]]:
    """Each chart placeholder's drawn <svg> (parsed) and its opening tag, by id."""
    found = {}
    for match in re.finditer(r'<div class="chart[^"]*" id="(chart-\d+)"[^>]*>', dom):
        drawn = re.match(r"(?:<[^s][^>]*>)*(<svg.*?</svg>)", dom[match.end() :], re.S)
        assert drawn, f"{match.group(1)} holds no drawn <svg>"
        found[match.group(1)] = (ET.fromstring(drawn.group(1)), match.group(0))
    return found


def marks(svg: ET.Element) -> list[ET.Element]:
    """The data marks Vega drew: one bar or point per data row (axes, legends and
    decoration are other roles or hidden from the accessibility tree)."""
    return [
        e
        for e in svg.iter()
        if e.get("role") == "graphics-symbol" and e.get("aria-roledescription") in ("bar", "point")
    ]


def y_tick_labels(svg: ET.Element) -> list[str]:
    for axis in svg.iter(f"{SVG}g"):
        if axis.get("aria-roledescription") == "axis" and axis.get("aria-label", "").startswith(
            "Y-axis"
        ):
            for group in axis.iter(f"{SVG}g"):
                if "role-axis-label" in group.get("class", ""):
                    return [t.text or "" for t in group.iter(f"{SVG}text")]
    raise AssertionError("no y axis")


def test_browser_detects_console_errors_at_all(tmp_path: Path):
    """The console check below can fail: a page that throws is caught."""
    browser = chromium()
    page = tmp_path / "broken.html"
    page.write_text("<p>x</p><script>throw new Error('kaput')</script>", encoding="utf-8")
    done = run_chromium(browser, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert any("kaput" in m for m in console_messages(done.stderr))


def test_dashboard_renders_without_console_errors_or_empty_charts(dashboard, tmp_path: Path):
    out, browser, _ = dashboard
    dom = rendered(browser, out, tmp_path / "profile")
    drawn = charts(dom)
    assert len(drawn) >= 7, "every chart section should be drawn"
    for name, (svg, tag) in drawn.items():
        points = int(re.search(r'data-points="(\d+)"', tag).group(1))
        assert points > 0, f"{name}: an empty chart"
        # Every data row is drawn: a bar or a point each, counted in the rendered SVG.
        assert len(marks(svg)) == points, name
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
    # python_checks/test_report_config.py), drawn as SVG text and mark labels.
    assert "Amounts are USD ARR at constant currency" in dom
    assert ">alert line 2.5x</text>" in dom and ">healthy line 3x</text>" in dom
    assert "NRR tier: strong: 100% to below 120%" in dom
    assert ">strong</text>" in dom and ">world class</text>" in dom  # the bands' labels
    assert dom.count('aria-roledescription="legend"') >= 3  # NRR/GRR twice, expansion types


def test_axis_ticks_are_round_and_tooltips_exact(dashboard, tmp_path: Path):
    """The bridge's y axis steps by a round amount (the old hand-written axis read
    4,435,258 / 8,870,517 / ...), and its bars carry exact amounts, computed here from
    the warehouse, in the accessible labels Vega writes from the tooltip encoding."""
    out, browser, database = dashboard
    dom = rendered(browser, out, tmp_path / "profile")
    (svg, _), *others = [c for c in charts(dom).values() if 'aria-label="ARR (USD)"' in c[1]]
    assert not others
    ticks = [int(t.removeprefix("$").replace(",", "")) for t in y_tick_labels(svg)]
    assert len(ticks) >= 3 and ticks[0] == 0, ticks
    step = ticks[1] - ticks[0]
    assert all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False)), ticks
    digits = str(step).rstrip("0")
    assert digits in ("1", "2", "5", "25"), f"not a round step: {ticks}"

    with duckdb.connect(str(database), read_only=True) as con:
        (last,) = con.execute("select max(month) from marts.mart_executive_summary").fetchone()
        (ending,) = con.execute(
            "select sum(ending_mrr) * 12 from marts.fct_mrr_movements where month = ?", [last]
        ).fetchone()
    labels = [e.get("aria-label", "") for e in marks(svg)]
    end = f"amount: ${ending:,.2f}"
    assert any(
        label.startswith(f"step: ARR {last:%b %Y} end;") and end in label for label in labels
    ), (
        end,
        labels,
    )
    assert all(re.search(r"amount: \$[\d,]+\.\d\d;", label) for label in labels), labels


def test_data_text_is_escaped_and_runs_nothing(dashboard, tmp_path: Path):
    out, browser, _ = dashboard
    source = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in source
    assert "<script>alert(" not in source
    assert "&lt;b&gt;retail&lt;/b&gt;" in source
    dom = rendered(browser, out, tmp_path / "profile")
    assert "<script>alert(" not in dom
    assert "<b>retail</b>" not in dom
    # Every script element is the dashboard's own: the Vega bundle, one JSON spec per chart,
    # the lines that draw them and the cohort switch; nothing injected.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", dom, re.S)
    code = [body for attributes, body in scripts if not attributes]
    assert code == [vl_convert.javascript_bundle(), DRAW, SCRIPT]
    specs = [(a, body) for a, body in scripts if a]
    assert [a for a, _ in specs] == [
        f' type="application/json" id="chart-spec-{n}"' for n in range(len(specs))
    ]
    assert len(specs) == len(charts(dom)) >= 7
    for _, body in specs:
        assert "<" not in body and ">" not in body
        json.loads(body)


def test_spec_json_cannot_end_its_script_element():
    hostile = {"name": "</script><script>alert(1)</script><!-- & -->"}
    text = script_json(hostile)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == hostile


def test_screenshot_and_size(dashboard, tmp_path: Path):
    out, browser, _ = dashboard
    shot = tmp_path / "dashboard.png"
    run_chromium(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=900,3000",
                 out.as_uri())  # fmt: skip
    assert shot.exists() and shot.stat().st_size > 20_000
    assert out.stat().st_size < 2_000_000, "small enough to email"


def test_nothing_is_fetched_at_view_time(dashboard, tmp_path: Path):
    """Self-contained: no URL outside the inlined Vega bundle, whose URL strings are
    namespace names and links nothing follows; no src or href to anywhere; and the page,
    opened with the network cut off, fetches no resource at all and draws every chart."""
    out, browser, _ = dashboard
    source = out.read_text(encoding="utf-8")
    bundle = vl_convert.javascript_bundle()
    assert source.count(bundle) == 1
    ours = source.replace(bundle, "")
    assert not re.findall(r"https?://", ours)
    assert set(re.findall(r"https?://[^\s\"'`)]+", bundle)) <= BUNDLE_URLS
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", source, re.I)
    assert not re.search(r"url\(\s*[\"']?(?:https?:)?//", source, re.I)

    # The page itself records what it loaded (the Resource Timing entries of every
    # script, image, style and fetch), once the charts are drawn.
    probe = tmp_path / "probe.html"
    head, end, tail = source.rpartition("</body>")  # the bundle's strings hold one too
    probe.write_text(
        head + "<script>window.addEventListener('load', function () { setTimeout(function () {"
        "document.body.setAttribute('data-fetched', JSON.stringify("
        "performance.getEntriesByType('resource').map(function (e) { return e.name; })));"
        "}, 2000); });</script>" + end + tail,
        encoding="utf-8",
    )
    dom = rendered(browser, probe, tmp_path / "profile", *OFFLINE_FLAGS)
    fetched = re.search(r'data-fetched="([^"]*)"', dom)
    assert fetched and json.loads(html.unescape(fetched.group(1))) == []
    drawn = charts(dom)
    assert len(drawn) >= 7 and all(marks(svg) for svg, _ in drawn.values())
