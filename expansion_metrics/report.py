"""The executive dashboard: one self-contained HTML file drawn from the marts.

Charts are Vega-Lite specs built with altair, drawn in the browser by Vega (the
JavaScript of vl-convert-python, inlined once in the page: nothing is fetched at view
time), with round axis ticks, legends and tooltips giving exact values; `theme` is the one
place they are styled. The only other script switches the cohort heat map between cuts.
Every text that comes from the data goes through `esc` (html.escape) in the HTML, and
into a chart's spec as JSON with <, > and & escaped (`script_json`), which Vega draws as
SVG text and its tooltips escape; so a customer named `<script>...</script>` is shown as
text and runs nothing.

Nothing the build decides is repeated here: the reporting currency and every threshold
line come from `marts.mart_reporting_settings` (the vars of the build that wrote the
marts), statuses and tiers from the marts' own columns (`coverage_status`, `nrr_tier`,
`health_status`), the expansion types from the columns of `marts.mart_expansion` and
the open pipeline stages from `marts.mart_pipeline_conversion` (as the
`opportunity_stages` seed built them). Only presentation lives here: colours, wording
and the symbol of a few common currencies.
"""

from __future__ import annotations

import functools
import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import altair as alt
import duckdb
import vl_convert

THEME = "expansion_metrics"  # the altair theme `theme` registers
WIDTH, HEIGHT = 660, 240  # a chart's plot area, in pixels
FONT = "system-ui, sans-serif"
COLOURS = ["#2563eb", "#16a34a", "#f59e0b", "#9333ea", "#dc2626", "#0891b2"]
TOTAL, UP, DOWN = COLOURS[0], COLOURS[1], COLOURS[4]
MONEY_EXACT = "$,.2f"  # Vega formats: "$" is the currency of the spec's locale (money_format)
MONEY_AXIS = "$,~f"
TIER_COLOURS = {  # nrr_tier values of mart_nrr, lowest first
    "critical": "#fee2e2",
    "needs_improvement": "#fef3c7",
    "strong": "#dcfce7",
    "world_class": "#bbf7d0",
}
# Presentation only: the symbol shown before an amount. A currency not listed is shown by
# its ISO code after the amount ("1,234 CHF").
CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "CNY": "CN¥",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "BRL": "R$",
    "MXN": "MX$",
}


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def money(value: float | None, currency: str) -> str:
    """An amount in `currency` (ISO code), shortened to K / M: $1.50M, €980, 1,234 CHF."""
    if value is None:
        return "n/a"
    value = float(value)
    sign, value = ("-" if value < 0 else ""), abs(value)
    number = f"{value:,.0f}"
    for unit, size in (("M", 1e6), ("K", 1e3)):
        if value >= size:
            number = f"{value / size:,.2f}{unit}"
            break
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"


def pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{float(value):.{digits}f}%"


def number(value: float) -> str:
    """A threshold as written in the vars: 2.5, 3, 1, 70."""
    return f"{float(value):g}"


@dataclass(frozen=True)
class ReportSettings:
    """The one row of marts.mart_reporting_settings: how the marts were built."""

    as_of_date: date
    reporting_currency: str
    nrr_world_class_pct: float
    nrr_strong_pct: float
    nrr_needs_improvement_pct: float
    coverage_healthy_ratio: float
    coverage_alert_ratio: float
    health_green_min_score: float
    health_yellow_min_score: float
    restatement_threshold_points: float
    restatement_threshold_pct: float

    def money(self, value: float | None) -> str:
        return money(value, self.reporting_currency)

    def tier_bands(self) -> list[tuple[float, float, str, str, str]]:
        """(low, high, label, range, colour) per NRR tier, in NRR %, from the build."""
        edges = [
            0.0,
            self.nrr_needs_improvement_pct,
            self.nrr_strong_pct,
            self.nrr_world_class_pct,
            math.inf,
        ]
        bands = []
        for i, (tier, colour) in enumerate(TIER_COLOURS.items()):
            low, high = edges[i], edges[i + 1]
            if i == 0:
                span = f"below {number(high)}%"
            elif high == math.inf:
                span = f"{number(low)}% or more"
            else:
                span = f"{number(low)}% to below {number(high)}%"
            if high > low:
                bands.append((low, high, tier.replace("_", " "), span, colour))
        return bands

    def tier_rule(self, tier: str | None) -> str:
        """What an nrr_tier means in this build, e.g. '100% to below 120%'."""
        spans = {label: span for _, _, label, span, _ in self.tier_bands()}
        return spans.get(str(tier or "").replace("_", " "), "")

    def coverage_rule(self, status: str | None) -> str:
        """What a coverage_status means in this build, e.g. 'below 2.5x'."""
        alert, healthy = number(self.coverage_alert_ratio), number(self.coverage_healthy_ratio)
        return {
            "alert": f"below {alert}x",
            "watch": f"{alert}x to below {healthy}x",
            "healthy": f"{healthy}x or more",
        }.get(status or "", "")


Series = dict[str, Sequence[float | None]]
VegaLite = alt.Chart | alt.LayerChart
Band = tuple[float, float, str, str, str]


@alt.theme.register(THEME, enable=False)
def theme() -> alt.theme.ThemeConfig:
    """The one place the charts are styled: size, font, palette, axes, legends, marks."""
    grey, dark = "#6b7280", "#374151"
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "config": {
            "font": FONT,
            "background": "#ffffff",
            "view": {"stroke": None},
            "range": {"category": COLOURS},
            "axis": {
                "labelColor": grey,
                "labelFontSize": 11,
                "titleColor": dark,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "gridColor": "#e5e7eb",
                "domainColor": "#d1d5db",
                "tickColor": "#d1d5db",
            },
            "axisX": {"labelAngle": 0, "labelLimit": 120, "grid": False},
            "scale": {"bandPaddingInner": 0.3},
            "legend": {
                "orient": "top",
                "title": None,
                "labelFontSize": 12,
                "labelColor": dark,
                "symbolType": "square",
            },
            "line": {"strokeWidth": 2},
            "point": {"size": 20, "filled": True},
            "rule": {"strokeDash": [6, 4], "strokeWidth": 1.5},
            "text": {"fontSize": 10, "color": grey},
        },
    }


def money_format(currency: str) -> dict[str, Any]:
    """Vega's number locale for `currency`: its symbol before the amount ("$" in a "$,.2f"
    format), or its ISO code after it for a currency without a listed symbol."""
    symbol = CURRENCY_SYMBOLS.get(currency)
    return {
        "decimal": ".",
        "thousands": ",",
        "grouping": [3],
        "currency": [symbol, ""] if symbol else ["", f" {currency}"],
    }


def vega_lite(chart: VegaLite, currency: str) -> dict[str, Any]:
    """The Vega-Lite spec of `chart` in the dashboard's theme and currency."""
    with alt.theme.enable(THEME):
        spec = chart.configure(locale={"number": money_format(currency)}).to_dict()
    spec.pop("$schema", None)  # a URL only; the inlined Vega-Lite compiles it as it is
    return spec


@dataclass(frozen=True)
class Chart:
    """A chart to place in the page: its Vega-Lite chart and the data rows it draws."""

    chart: VegaLite
    points: int


def _data(rows: Sequence[dict[str, Any]]) -> alt.Data:
    return alt.Data(values=list(rows))


def _x(temporal: bool, order: Sequence[str]) -> tuple[alt.X, alt.Tooltip]:
    """Months (ISO dates, shown 'Oct 2026') on a time axis, or labels in their order; the
    field is `x` either way."""
    if temporal:
        month = {"timeUnit": "utcyearmonth", "title": "month"}
        return (
            alt.X("x:T", axis=alt.Axis(format="%b %Y", title=None), **month),
            alt.Tooltip("x:T", format="%b %Y", **month),
        )
    return alt.X("x:N", sort=list(order), title=""), alt.Tooltip("x:N", title="")


def _colour(series: Series) -> alt.Color:
    legend = alt.Legend() if len(series) > 1 else None
    return alt.Color("series:N", sort=list(series), legend=legend)


def _references(
    references: Sequence[tuple[float, str, str]], value_format: str, align: str = "left"
) -> list[alt.Chart]:
    """Dashed horizontal rules at (value, label, colour), labelled on the plot."""
    if not references:
        return []
    rows = _data([{"value": v, "label": label, "colour": c} for v, label, c in references])
    rules = (
        alt.Chart(rows)
        .mark_rule()
        .encode(
            y="value:Q",
            stroke=alt.Stroke("colour:N", scale=None),
            tooltip=[alt.Tooltip("label:N", title=""), alt.Tooltip("value:Q", format=value_format)],
        )
    )
    left = align == "left"
    labels = (
        alt.Chart(rows)
        .mark_text(align=align, baseline="bottom", dy=-3, aria=False)
        .encode(
            x=alt.value(4 if left else WIDTH - 4),
            y="value:Q",
            text="label:N",
            fill=alt.Fill("colour:N", scale=None),
        )
    )
    return [rules, labels]


def line_chart(
    x: Sequence[str],
    series: Series,
    y_title: str,
    *,
    temporal: bool = True,
    value_format: str = ",.2f",
    bands: Sequence[Band] = (),
    references: Sequence[tuple[float, str, str]] = (),
) -> Chart:
    """Lines with points, one per series; bands: (low, high, label, range, colour) shaded
    behind them, references: (value, label, colour) dashed rules."""
    rows = [
        {"x": at, "series": name, "value": float(value)}
        for name, values in series.items()
        for at, value in zip(x, values, strict=True)
        if value is not None
    ]
    x_axis, x_tip = _x(temporal, x)
    known = [r["value"] for r in rows] + [value for value, _, _ in references]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    pad = (high - low) * 0.1 or 1.0
    # Padded either side, but not below zero for values that never are (ratios, rates).
    low, high = (low - pad if low < 0 else max(0.0, low - pad)), high + pad
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(domain=[low, high], nice=True, zero=False))
    layers: list[alt.Chart] = []
    shown = [b for b in bands if b[1] > low and b[0] < high]
    if shown:
        reach = (high - low) * 10  # past the axis either side; the marks are clipped
        band_rows = _data(
            [
                {"low": max(b_low, low - reach), "high": min(b_high, high + reach),
                 "top": min(b_high, high), "band": f"{name}: {span}", "name": name,
                 "colour": colour}
                for b_low, b_high, name, span, colour in shown
            ]
        )  # fmt: skip
        layers += [
            alt.Chart(band_rows)
            .mark_rect(clip=True)
            .encode(
                y=alt.Y("low:Q", scale=alt.Scale(domain=[low, high], nice=True, zero=False)),
                y2="high:Q",
                fill=alt.Fill("colour:N", scale=None),
                tooltip=[alt.Tooltip("band:N", title="NRR tier")],
            ),
            alt.Chart(band_rows)
            .mark_text(align="right", baseline="top", dy=3, aria=False)
            .encode(x=alt.value(WIDTH - 4), y="top:Q", text="name:N"),
        ]
    layers += _references(references, value_format)
    layers.append(
        alt.Chart(_data(rows))
        .mark_line(point=True)
        .encode(
            x=x_axis,
            y=y,
            color=_colour(series),
            tooltip=[
                x_tip,
                alt.Tooltip("series:N", title=""),
                alt.Tooltip("value:Q", title=y_title, format=value_format),
            ],
        )
    )
    return Chart(alt.layer(*layers).properties(description=y_title), len(rows))


def bar_chart(
    x: Sequence[str],
    series: Series,
    y_title: str,
    *,
    temporal: bool = False,
    stacked: bool = False,
    value_format: str = ",.2f",
    axis_format: str | None = None,
    reference: tuple[float, str] | None = None,
) -> Chart:
    """Bars per x, one per series side by side, or stacked; reference: (value, label), a
    dashed rule."""
    rows = [
        {"x": at, "series": name, "value": float(value or 0)}
        for name, values in series.items()
        for at, value in zip(x, values, strict=True)
    ]
    x_axis, x_tip = _x(temporal, x)
    axis = alt.Axis(format=axis_format) if axis_format else alt.Axis()
    bars = (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            x=x_axis,
            y=alt.Y("value:Q", title=y_title, axis=axis, stack="zero" if stacked else None),
            color=_colour(series),
            tooltip=[
                x_tip,
                alt.Tooltip("series:N", title=""),
                alt.Tooltip("value:Q", title=y_title, format=value_format),
            ],
        )
    )
    if len(series) > 1 and not stacked:
        bars = bars.encode(xOffset=alt.XOffset("series:N", sort=list(series)))
    references = [(reference[0], reference[1], DOWN)] if reference else []
    layers = [bars, *_references(references, value_format, align="right")]
    return Chart(alt.layer(*layers).properties(description=y_title), len(rows))


def waterfall(steps: Sequence[tuple[str, float, str]], y_title: str, currency: str) -> Chart:
    """steps: (label, amount, kind) with kind 'total', 'up' or 'down': bars from the running
    total, totals blue, increases green, decreases red, each labelled with its amount."""
    kinds = {"total": ("total", TOTAL), "up": ("increase", UP), "down": ("decrease", DOWN)}
    running, rows = 0.0, []
    for label, amount, kind in steps:
        if kind == "total":
            low, high = 0.0, amount
        elif kind == "up":
            low, high = running, running + amount
        else:
            low, high = running - amount, running
        running = low if kind == "down" else high
        rows.append(
            {"step": label, "low": low, "high": high, "amount": amount, "arr": running,
             "kind": kinds[kind][0], "label": money(amount, currency)}
        )  # fmt: skip
    base = alt.Chart(_data(rows)).encode(x=alt.X("step:N", sort=[s[0] for s in steps], title=None))
    colours = alt.Scale(domain=[k for k, _ in kinds.values()], range=[c for _, c in kinds.values()])
    bars = base.mark_bar().encode(
        y=alt.Y("low:Q", title=y_title, axis=alt.Axis(format=MONEY_AXIS)),
        y2="high:Q",
        color=alt.Color("kind:N", scale=colours, legend=alt.Legend()),
        tooltip=[
            alt.Tooltip("step:N", title=""),
            alt.Tooltip("amount:Q", title="amount", format=MONEY_EXACT),
            alt.Tooltip("arr:Q", title="ARR after", format=MONEY_EXACT),
        ],
    )
    labels = base.mark_text(baseline="bottom", dy=-3, aria=False).encode(y="high:Q", text="label:N")
    return Chart(alt.layer(bars, labels).properties(description=y_title), len(rows))


@functools.cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script (vl-convert's bundle), inlined once."""
    bundle = vl_convert.javascript_bundle()
    if "</script" in bundle.lower() or "<!--" in bundle:
        raise ValueError("the Vega bundle cannot be inlined in a <script> element")
    return bundle


def script_json(value: object) -> str:
    """JSON for a <script type="application/json">: <, > and & escaped (\\u003c ...), so no
    text from the data can end the element or open another."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class ChartPage:
    """The charts of one page: `place` returns a chart's placeholder, `scripts` the Vega
    bundle, every chart's spec and the few lines that draw them into the placeholders."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.specs: list[dict[str, Any]] = []

    def place(self, chart: Chart) -> str:
        n = len(self.specs)
        self.specs.append(vega_lite(chart.chart, self.currency))
        return f'<div class="chart" id="chart-{n}" data-points="{chart.points}"></div>'

    def scripts(self) -> str:
        specs = "".join(
            f'<script type="application/json" id="chart-spec-{n}">{script_json(spec)}</script>'
            for n, spec in enumerate(self.specs)
        )
        return f"<script>{vega_bundle()}</script>{specs}<script>{DRAW}</script>"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def heat_colour(value: float | None) -> str:
    if value is None:
        return "#f3f4f6"
    # 60% red ... 100% white ... 140% green
    shift = max(-1.0, min(1.0, (value - 100) / 40))
    if shift < 0:
        return f"rgb(255,{int(255 + 120 * shift)},{int(255 + 120 * shift)})"
    return f"rgb({int(255 - 140 * shift)},255,{int(255 - 140 * shift)})"


class Marts:
    """Read-only access to the marts."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.con = duckdb.connect(str(database), read_only=True)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

    def settings(self) -> ReportSettings:
        """The build's settings; a clear error for a warehouse built without them."""
        fields = list(ReportSettings.__dataclass_fields__)
        try:
            rows = self.rows(f"select {', '.join(fields)} from marts.mart_reporting_settings")
        except duckdb.CatalogException as exc:
            raise ValueError(
                f"{self.database}: marts.mart_reporting_settings is missing (the warehouse "
                "was built by an older version or the build stopped early); run "
                "`expansion-metrics build` again"
            ) from exc
        if len(rows) != 1:
            raise ValueError(
                f"{self.database}: marts.mart_reporting_settings has {len(rows)} rows, "
                "expected exactly one; run `expansion-metrics build` again"
            )
        return ReportSettings(**rows[0])

    def expansion_types(self) -> list[str]:
        """The expansion types of the build, in its order: marts.mart_expansion has an
        `<type>_mrr` and an `<type>_events` column for each (the dbt macro
        expansion_types)."""
        columns = [
            r["column_name"]
            for r in self.rows(
                "select column_name from information_schema.columns where table_schema = "
                "'marts' and table_name = 'mart_expansion' order by ordinal_position"
            )
        ]
        return [
            c.removesuffix("_mrr")
            for c in columns
            if c.endswith("_mrr") and c.removesuffix("_mrr") + "_events" in columns
        ]

    def open_stages(self) -> list[str]:
        """The open pipeline stages in funnel order, as the build knows them (the
        opportunity_stages seed): the stages of marts.mart_pipeline_conversion, by
        stage_order, that have an `<stage>_arr` column in marts.mart_pipeline_coverage."""
        columns = {
            r["column_name"]
            for r in self.rows(
                "select column_name from information_schema.columns where table_schema = "
                "'marts' and table_name = 'mart_pipeline_coverage'"
            )
        }
        stages = self.rows(
            "select stage, min(stage_order) as stage_order from marts.mart_pipeline_conversion "
            "group by stage order by stage_order"
        )
        return [r["stage"] for r in stages if f"{r['stage']}_arr" in columns]

    def close(self) -> None:
        self.con.close()


def _month_label(value: date) -> str:
    return value.strftime("%b %Y")


def _headline(marts: Marts, cfg: ReportSettings, last: date) -> tuple[str, dict[str, Any]]:
    summary = marts.rows(
        "select * from marts.mart_executive_summary where month = ? and segment = 'all'", [last]
    )
    top = summary[0] if summary else {}
    rates = marts.rows(
        "select dimension_value as segment, ttm_expansion_rate_pct as rate "
        "from marts.mart_expansion where dimension = 'segment' and month = ? order by 1",
        [last],
    )
    status = top.get("coverage_status")
    rule = cfg.coverage_rule(status)
    cards = [
        ("Trailing-twelve-month NRR", pct(top.get("ttm_nrr_pct")),
         f"tier: {str(top['nrr_tier']).replace('_', ' ')} ({cfg.tier_rule(top['nrr_tier'])})"
         if top.get("nrr_tier") else "tier: n/a"),
        ("Expansion pipeline coverage, current quarter",
         "n/a" if top.get("coverage_ratio") is None else f"{top['coverage_ratio']:.2f}x",
         f"status: {status} ({rule})" if status else "status: no target"),
        ("Expansion rate by segment (monthly average, last 12 months)",
         " · ".join(f"{r['segment']} {pct(r['rate'], 2)}" for r in rates) or "n/a",
         "expansion MRR / starting MRR"),
    ]  # fmt: skip
    return _cards(cards), top


def _cards(cards: Sequence[tuple[str, str, str]]) -> str:
    """A strip of headline cards: (label, figure, what it is) each, escaped."""
    html_cards = "".join(
        f'<div class="card"><div class="label">{esc(a)}</div><div class="big">{esc(b)}</div>'
        f'<div class="sub">{esc(c)}</div></div>'
        for a, b, c in cards
    )
    return f'<section class="cards">{html_cards}</section>'


def _retention(marts: Marts, cfg: ReportSettings, charts: ChartPage) -> str:
    out = []
    for window, name in ((12, "trailing twelve months"), (1, "monthly")):
        rows = marts.rows(
            "select month, nrr_pct, grr_pct from marts.mart_nrr where window_months = ? "
            "and dimension = 'all' order by month",
            [window],
        )
        if window == 12:
            rows = rows[-24:]
        labels = [_month_label(r["month"]) for r in rows]
        first, last = (rows[0], rows[-1]) if rows else ({}, {})
        finding = (
            f"NRR ({name}) is {pct(last.get('nrr_pct'))}, from {pct(first.get('nrr_pct'))} in "
            f"{labels[0] if labels else 'n/a'}; GRR {pct(last.get('grr_pct'))}"
        )
        chart = charts.place(
            line_chart(
                [r["month"].isoformat() for r in rows],
                {"NRR %": [r["nrr_pct"] for r in rows], "GRR %": [r["grr_pct"] for r in rows]},
                "% of starting ARR",
                bands=cfg.tier_bands(),
            )
        )
        out.append(f"<figure><h3>{esc(finding)}</h3>{chart}</figure>")
    return "".join(out)


def _bridge(marts: Marts, cfg: ReportSettings, last: date, charts: ChartPage) -> str:
    rows = marts.rows(  # the bridge's monthly totals (ARR = 12 x MRR)
        "select month, starting_mrr * 12 as starting, new_mrr * 12 as new, "
        "reactivation_mrr * 12 as reactivation, expansion_mrr * 12 as expansion, "
        "contraction_mrr * 12 as contraction, churned_mrr * 12 as churned, "
        "ending_mrr * 12 as ending from marts.mart_expansion "
        "where dimension = 'all' and month > ? - interval 12 month order by 1",
        [last],
    )
    if not rows:
        return '<p class="empty">No ARR movements yet.</p>'
    total = {k: sum(float(r[k]) for r in rows) for k in rows[0] if k != "month"}
    start, end = float(rows[0]["starting"]), float(rows[-1]["ending"])
    steps = [
        (f"ARR {_month_label(rows[0]['month'])} start", start, "total"),
        ("+ new", total["new"], "up"),
        ("+ reactivation", total["reactivation"], "up"),
        ("+ expansion", total["expansion"], "up"),
        ("- contraction", total["contraction"], "down"),
        ("- churn", total["churned"], "down"),
        (f"ARR {_month_label(rows[-1]['month'])} end", end, "total"),
    ]
    finding = (
        f"ARR went from {cfg.money(start)} to {cfg.money(end)} in twelve months: expansion "
        f"{cfg.money(total['expansion'])} against contraction "
        f"{cfg.money(total['contraction'])} and churn {cfg.money(total['churned'])}"
    )
    chart = charts.place(
        waterfall(steps, f"ARR ({cfg.reporting_currency})", cfg.reporting_currency)
    )
    return f"<figure><h3>{esc(finding)}</h3>{chart}</figure>"


def _cohorts(marts: Marts) -> str:
    cuts = []
    for dimension in ("all", "segment", "industry"):
        values = marts.rows(
            "select distinct dimension_value from marts.mart_cohort_retention "
            "where dimension = ? order by 1",
            [dimension],
        )
        for value in (v["dimension_value"] for v in values):
            rows = marts.rows(
                "select cohort_month, months_since_start, nrr_pct, cohort_customers "
                "from marts.mart_cohort_retention where dimension = ? and dimension_value = ? "
                "and cohort_month >= (select max(cohort_month) from marts.mart_cohort_retention)"
                " - interval 23 month order by 1, 2",
                [dimension, value],
            )
            cuts.append((dimension, value, rows))
    options = "".join(
        f'<option value="{i}">{esc(d)}: {esc(v)}</option>' for i, (d, v, _) in enumerate(cuts)
    )
    grids = []
    for i, (_, _, rows) in enumerate(cuts):
        ages = sorted({r["months_since_start"] for r in rows})
        by_cohort: dict[date, dict[int, float]] = {}
        sizes: dict[date, int] = {}
        for r in rows:
            by_cohort.setdefault(r["cohort_month"], {})[r["months_since_start"]] = r["nrr_pct"]
            sizes[r["cohort_month"]] = r["cohort_customers"]
        head = "<th>cohort (customers)</th>" + "".join(f"<th>{a}</th>" for a in ages)
        body = "".join(
            f"<tr><th>{esc(_month_label(c))} ({sizes[c]})</th>"
            + "".join(
                f'<td style="background:{heat_colour(v)}">{"" if v is None else f"{v:.0f}"}</td>'
                for v in (ages_map.get(a) for a in ages)
            )
            + "</tr>"
            for c, ages_map in by_cohort.items()
        )
        hidden = "" if i == 0 else " hidden"
        grids.append(
            f'<table class="heat{hidden}" data-cut="{i}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>"
        )
    return (
        "<figure><h3>Cohort NRR % by months since start (last 24 cohorts): green above "
        "100%, red below</h3>"
        f'<label>Cut: <select id="cohort-cut">{options}</select></label>'
        f'<div class="scroll">{"".join(grids)}</div></figure>'
    )


def _expansion(marts: Marts, cfg: ReportSettings, last: date, charts: ChartPage) -> str:
    types = marts.expansion_types()
    rows = marts.rows(
        "select month, "
        + ", ".join(f"12 * {t}_mrr as {t}" for t in types)
        + " from marts.mart_expansion where dimension = 'all' and month > ? - interval 24 month "
        "order by month",
        [last],
    )
    totals = {t: sum(float(r[t]) for r in rows) for t in types}
    leader = max(totals, key=lambda t: totals[t]) if rows else "n/a"
    by_type = charts.place(
        bar_chart(
            [r["month"].isoformat() for r in rows],
            {t.replace("_", "-"): [float(r[t]) for r in rows] for t in types},
            f"expansion ARR ({cfg.reporting_currency})",
            temporal=True,
            stacked=True,
            value_format=MONEY_EXACT,
            axis_format=MONEY_AXIS,
        )
    )
    segments = marts.rows(
        "select dimension_value as segment, ttm_expansion_rate_pct as rate, "
        "ttm_avg_upsell_arr as avg_upsell, "
        "ttm_avg_expansion_arr_per_expanding_customer as avg_exp "
        "from marts.mart_expansion where dimension in ('all', 'segment') and month = ? "
        "order by 1",
        [last],
    )
    rate_chart = charts.place(
        bar_chart(
            [str(s["segment"]) for s in segments],
            {"monthly expansion rate %": [float(s["rate"] or 0) for s in segments]},
            "% of starting MRR per month",
        )
    )
    averages = table(
        ["segment", "expansion rate / month", "average upsell (ARR)",
         "average per expanding customer (ARR)"],
        [[s["segment"], pct(s["rate"], 2), cfg.money(s["avg_upsell"]),
          cfg.money(s["avg_exp"])]
         for s in segments],
        "No expansion yet.",
    )  # fmt: skip
    return (
        f"<figure><h3>{esc(leader.replace('_', '-'))} drove most expansion ARR over the last "
        f"24 months</h3>{by_type}</figure>"
        f"<figure><h3>Expansion rate by segment, last 12 months</h3>{rate_chart}</figure>"
        "<figure><h3>Average expansion amounts, overall and per segment (compare segments "
        f"before reading a falling average as a decline)</h3>{averages}</figure>"
    )


def _pipeline(marts: Marts, cfg: ReportSettings, charts: ChartPage) -> str:
    current = marts.rows(
        "select * from marts.mart_pipeline_coverage where snapshot_kind = 'current' "
        "and segment = 'all' order by fiscal_quarter limit 1"
    )
    parts = []
    if current:
        row = current[0]
        stages = marts.open_stages()
        target = float(row["target_arr"] or 0)
        chart = charts.place(
            bar_chart(
                stages,
                {"open pipeline ARR": [float(row[f"{s}_arr"]) for s in stages]},
                f"open pipeline ARR ({cfg.reporting_currency})",
                value_format=MONEY_EXACT,
                axis_format=MONEY_AXIS,
                reference=(target, f"quarter target {cfg.money(target)}") if target else None,
            )
        )
        ratio = row["coverage_ratio"]
        versus = (
            f"{ratio:.2f}x the {cfg.money(target)} target ({row['coverage_status']}: "
            f"{cfg.coverage_rule(row['coverage_status'])})"
            if ratio
            else "no target"
        )
        finding = (
            f"{row['fiscal_quarter']}: {cfg.money(row['open_pipeline_arr'])} open expansion "
            f"pipeline, {versus}"
        )
        parts.append(f"<figure><h3>{esc(finding)}</h3>{chart}</figure>")
    history = marts.rows(
        "select fiscal_quarter, coverage_ratio, coverage_status, target_attainment_pct from "
        "marts.mart_pipeline_coverage where snapshot_kind = 'quarter_start' and segment = 'all' "
        "and coverage_ratio is not null order by fiscal_quarter"
    )
    counts = {
        status: sum(1 for h in history if h["coverage_status"] == status)
        for status in ("alert", "watch", "healthy")
    }
    alert, healthy = number(cfg.coverage_alert_ratio), number(cfg.coverage_healthy_ratio)
    chart = charts.place(
        line_chart(
            [h["fiscal_quarter"] for h in history],
            {"coverage at quarter start (x target)": [h["coverage_ratio"] for h in history]},
            "pipeline / target (x)",
            temporal=False,
            references=[
                (cfg.coverage_alert_ratio, f"alert line {alert}x", DOWN),
                (cfg.coverage_healthy_ratio, f"healthy line {healthy}x", UP),
            ],
        )
    )
    finding = (
        f"Coverage at the start of {counts['alert']} of {len(history)} quarters was below "
        f"the {alert}x alert line; {counts['watch']} on watch "
        f"({cfg.coverage_rule('watch')}), {counts['healthy']} healthy "
        f"({cfg.coverage_rule('healthy')})"
    )
    parts.append(f"<figure><h3>{esc(finding)}</h3>{chart}</figure>")
    conversion = marts.rows(
        "select stage, opportunities_reached, win_rate_pct, next_stage_conversion_pct, "
        "median_days_in_stage from marts.mart_pipeline_conversion where segment = 'all' "
        "order by stage_order"
    )
    parts.append(
        "<figure><h3>Stage conversion of expansion deals closed in the last four quarters</h3>"
        + table(
            ["stage", "reached", "win rate", "moved on", "median days in stage"],
            [
                [
                    c["stage"],
                    c["opportunities_reached"],
                    pct(c["win_rate_pct"]),
                    pct(c["next_stage_conversion_pct"]),
                    c["median_days_in_stage"],
                ]
                for c in conversion
            ],
            "No closed expansion deals in the last four quarters.",
        )  # fmt: skip
        + "</figure>"
    )
    return "".join(parts)


def _board_pack(marts: Marts, cfg: ReportSettings, last: date) -> str:
    """The SaaS KPI set of the last twelve months, committed MRR and renewals, as read
    from mart_saas_kpis, mart_committed_mrr and mart_renewals (totals only), and the
    largest coming renewals by customer (mart_upcoming_renewals)."""

    def ratio(value: float | None) -> str:
        return "n/a" if value is None else f"{float(value):.2f}"

    kpis = marts.rows(
        "select month, customers, arr, arpa, customer_churn_rate_pct, gross_mrr_churn_rate_pct, "
        "net_mrr_churn_rate_pct, quick_ratio, ltv from marts.mart_saas_kpis "
        "where dimension = 'all' and month <= ? and month > ? - interval 12 month "
        "order by month desc",
        [last, last],
    )
    committed = marts.rows(
        "select month, current_mrr, signed_future_mrr, scheduled_increase_mrr, "
        "scheduled_churn_mrr, scheduled_decrease_mrr, committed_mrr "
        "from marts.mart_committed_mrr where dimension = 'all' order by month"
    )
    renewals = marts.rows(
        "select month, is_upcoming, available_to_renew_arr, gross_renewal_rate_pct, "
        "net_renewal_rate_pct, upcoming_green_arr, upcoming_yellow_arr, upcoming_red_arr, "
        "upcoming_unknown_arr from marts.mart_renewals where dimension = 'all' "
        "and month > ? - interval 6 month order by month",
        [last],
    )
    upcoming = marts.rows(
        "select month, customer_id, customer_name, segment, available_to_renew_arr, "
        "health_status, health_score from marts.mart_upcoming_renewals "
        "order by available_to_renew_arr desc, month, customer_id limit 15"
    )
    latest = kpis[0] if kpis else {}
    strip = [
        ("ARPA", cfg.money(latest.get("arpa")), "ARR / customers"),
        ("Quick ratio", ratio(latest.get("quick_ratio")),
         "(new + reactivation + expansion) / (contraction + churned) MRR"),
        ("Customer churn", pct(latest.get("customer_churn_rate_pct"), 2),
         "churned / customers at the month's start"),
        ("Gross / net MRR churn",
         f"{pct(latest.get('gross_mrr_churn_rate_pct'), 2)} / "
         f"{pct(latest.get('net_mrr_churn_rate_pct'), 2)}",
         "of starting MRR; net subtracts expansion and reactivation"),
        ("LTV", cfg.money(latest.get("ltv")), "ARPA x gross margin / average monthly churn"),
    ]  # fmt: skip
    month = _month_label(latest["month"]) if latest else "no month"
    return (
        _cards([(f"{label}, {month}", figure, what) for label, figure, what in strip])
        + "<figure><h3>SaaS KPIs, last twelve months (ARPA and LTV per account)</h3>"
        + table(
            [
                "month",
                "customers",
                "ARR",
                "ARPA",
                "customer churn",
                "gross MRR churn",
                "net MRR churn",
                "quick ratio",
                "LTV",
            ],
            [
                [
                    _month_label(r["month"]),
                    r["customers"],
                    cfg.money(r["arr"]),
                    cfg.money(r["arpa"]),
                    pct(r["customer_churn_rate_pct"], 2),
                    pct(r["gross_mrr_churn_rate_pct"], 2),
                    pct(r["net_mrr_churn_rate_pct"], 2),
                    ratio(r["quick_ratio"]),
                    cfg.money(r["ltv"]),
                ]
                for r in kpis
            ],
            "No months with MRR yet.",
        )  # fmt: skip
        + "</figure><figure><h3>Committed MRR: what contracts known today add and take away "
        "over the next twelve months (monthly amounts)</h3>"
        + table(
            [
                "month",
                "MRR today",
                "signed future",
                "scheduled increases",
                "scheduled churn",
                "scheduled decreases",
                "committed MRR",
            ],
            [
                [
                    _month_label(r["month"]),
                    cfg.money(r["current_mrr"]),
                    cfg.money(r["signed_future_mrr"]),
                    cfg.money(r["scheduled_increase_mrr"]),
                    cfg.money(-r["scheduled_churn_mrr"]),
                    cfg.money(-r["scheduled_decrease_mrr"]),
                    cfg.money(r["committed_mrr"]),
                ]
                for r in committed
            ],
            "No MRR today and nothing signed for the coming year.",
        )  # fmt: skip
        + "</figure><figure><h3>Renewals: ARR up for renewal, renewal rates, and the coming "
        "months by health status today</h3>"
        + table(
            [
                "month",
                "ARR up for renewal",
                "gross renewal",
                "net renewal",
                "green",
                "yellow",
                "red",
                "no health data",
            ],
            [
                [
                    _month_label(r["month"]) + (" (coming)" if r["is_upcoming"] else ""),
                    cfg.money(r["available_to_renew_arr"]),
                    pct(r["gross_renewal_rate_pct"]),
                    pct(r["net_renewal_rate_pct"]),
                    *(
                        cfg.money(r[f"upcoming_{s}_arr"]) if r["is_upcoming"] else ""
                        for s in ("green", "yellow", "red", "unknown")
                    ),
                ]
                for r in renewals
            ],
            "No quarterly or annual terms end in these months.",
        )  # fmt: skip
        + "</figure><figure><h3>Coming renewals by customer: the largest 15, with health "
        "today</h3>"
        + table(
            ["month", "customer", "segment", "ARR up for renewal", "health", "score"],
            [
                [
                    _month_label(r["month"]),
                    r["customer_name"] or r["customer_id"],
                    r["segment"],
                    cfg.money(r["available_to_renew_arr"]),
                    r["health_status"],
                    "n/a" if r["health_score"] is None else f"{float(r['health_score']):.0f}",
                ]
                for r in upcoming
            ],
            "No quarterly or annual terms end in the coming months.",
        )  # fmt: skip
        + "</figure>"
    )


def _month_close(marts: Marts, cfg: ReportSettings) -> str:
    """Closed months as reported beside today (TTM NRR and ARR, totals), marked when any
    figure was restated, and the restated figures (mart_restatements)."""
    closed = marts.rows(
        "select month, max(closed_at) as closed_at, max(reported_as_of_date) as as_of_date, "
        "max(case when mart = 'mart_nrr' and metric = 'nrr_pct' and window_months = 12 "
        "and dimension = 'all' then reported_value end) as nrr_reported, "
        "max(case when mart = 'mart_nrr' and metric = 'nrr_pct' and window_months = 12 "
        "and dimension = 'all' then current_value end) as nrr_today, "
        "max(case when mart = 'mart_saas_kpis' and metric = 'arr' and dimension = 'all' "
        "then reported_value end) as arr_reported, "
        "max(case when mart = 'mart_saas_kpis' and metric = 'arr' and dimension = 'all' "
        "then current_value end) as arr_today, "
        "sum(case when is_restated then 1 else 0 end) as restated "
        "from marts.mart_restatements group by month order by month desc"
    )
    restated = marts.rows(
        "select month, mart, metric, dimension, dimension_value, window_months, detail, unit, "
        "reported_value, current_value, difference from marts.mart_restatements "
        "where is_restated order by month desc, abs(difference_pct) desc nulls first, mart, "
        "metric, dimension, dimension_value limit 40"
    )

    def figure(value: float | None, unit: str, change: bool = False) -> str:
        if value is None:
            return "none"
        if change:
            return f"{float(value):+,.2f}" + (" pp" if unit == "rate" else "")
        return pct(value, 2) if unit == "rate" else f"{float(value):,.2f}"

    def key(r: dict[str, Any]) -> str:
        window = f", {r['window_months']} months" if r["window_months"] is not None else ""
        detail = f", {r['detail']}" if r["detail"] else ""
        return f"{r['dimension']} = {r['dimension_value']}{window}{detail}"

    return (
        "<figure><h3>Closed months: the figures as reported (expansion-metrics close) and "
        "today</h3>"
        + table(
            ["month", "closed", "as of", "TTM NRR reported", "TTM NRR today",
             "ARR reported", "ARR today", "figures restated"],
            [
                [
                    _month_label(r["month"]) + (" (restated)" if r["restated"] else ""),
                    f"{r['closed_at']:%Y-%m-%d}", r["as_of_date"],
                    pct(r["nrr_reported"]), pct(r["nrr_today"]),
                    cfg.money(r["arr_reported"]), cfg.money(r["arr_today"]), r["restated"],
                ]
                for r in closed
            ],
            "No month closed yet: expansion-metrics close --month YYYY-MM freezes a month's "
            "figures as reported.",
        )
        + "</figure><figure><h3>Restatements: closed-month figures that moved past the "
        f"threshold ({cfg.restatement_threshold_points:g} percentage points for rates, "
        f"{cfg.restatement_threshold_pct:g}% for amounts)</h3>"
        + table(
            ["month", "mart", "figure", "of", "reported", "today", "difference"],
            [
                [
                    _month_label(r["month"]), r["mart"], r["metric"], key(r),
                    figure(r["reported_value"], r["unit"]),
                    figure(r["current_value"], r["unit"]),
                    figure(r["difference"], r["unit"], change=True),
                ]
                for r in restated
            ],
            "No closed month has changed past the threshold.",
        )
        + "</figure>"
    )  # fmt: skip


def _customers(marts: Marts, cfg: ReportSettings) -> str:
    risk = marts.rows(
        "select customer_name, customer_id, segment, arr_at_risk, health_score, "
        "components_present, is_usage_declining, is_nps_detractor, recent_payment_failures, "
        "has_exec_sponsor_change, play from marts.mart_customer_health "
        "where health_status = 'red' order by arr_at_risk desc limit 25"
    )

    def signals(r: dict[str, Any]) -> str:
        found = [
            name
            for name, on in (
                ("usage falling", r["is_usage_declining"]),
                ("NPS detractor", r["is_nps_detractor"]),
                ("payment failures", (r["recent_payment_failures"] or 0) > 0),
                ("sponsor change", r["has_exec_sponsor_change"]),
            )
            if on
        ]
        return ", ".join(found) or "low scores"

    red = marts.rows(
        "select count(*) as customers, coalesce(sum(arr_at_risk), 0) as arr_at_risk "
        "from marts.mart_customer_health where health_status = 'red'"
    )[0]
    listed = (
        f" (the {len(risk)} with most ARR at risk below)" if red["customers"] > len(risk) else ""
    )
    candidates = marts.rows(
        "select customer_name, customer_id, segment, arr, health_score, "
        "usage_limit_utilization_pct, open_expansion_opportunities from "
        "marts.mart_customer_health where is_expansion_candidate order by arr desc limit 15"
    )
    return (
        f"<figure><h3>{red['customers']} customers are red (health score below "
        f"{number(cfg.health_yellow_min_score)}), with {esc(cfg.money(red['arr_at_risk']))} ARR "
        f"at risk{listed}</h3>"
        + table(
            ["customer", "segment", "ARR at risk", "score", "signals", "play"],
            [
                [
                    r["customer_name"] or r["customer_id"],
                    r["segment"],
                    cfg.money(r["arr_at_risk"]),
                    f"{r['health_score']:.0f}",
                    signals(r),
                    r["play"],
                ]
                for r in risk
            ],
            "No customer is red.",
        )  # fmt: skip
        + "</figure><figure><h3>Expansion candidates: green customers (health score "
        f"{number(cfg.health_green_min_score)} or more) to grow (top 15 by ARR)</h3>"
        + table(
            ["customer", "segment", "ARR", "score", "usage limit used", "open expansion deals"],
            [
                [
                    c["customer_name"] or c["customer_id"],
                    c["segment"],
                    cfg.money(c["arr"]),
                    f"{c['health_score']:.0f}",
                    pct(c["usage_limit_utilization_pct"], 0),
                    c["open_expansion_opportunities"],
                ]
                for c in candidates
            ],
            "No expansion candidates.",
        )  # fmt: skip
        + "</figure>"
    )


STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:820px;color:#111827}
h1{font-size:22px;margin:0}h2{margin-top:32px;border-bottom:1px solid #e5e7eb}
h3{font-size:15px;margin:8px 0}.asof{color:#6b7280}
.cards{display:flex;gap:12px;margin-top:16px}.card{flex:1;border:1px solid #e5e7eb;
border-radius:8px;padding:12px}.big{font-size:22px;font-weight:600}.label,.sub{color:#6b7280}
figure{margin:16px 0}.chart{min-height:120px}table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #e5e7eb;padding:3px 6px;text-align:right}.scroll{overflow-x:auto}
.hidden{display:none}.empty{color:#6b7280;font-style:italic}
"""

# Draws each chart's spec (chart-spec-N) into its placeholder (chart-N) with the inlined
# vega-embed; a chart that fails is a console error.
DRAW = """
(function () {
  document.querySelectorAll('div.chart').forEach(function (div) {
    var spec = JSON.parse(document.getElementById('chart-spec-' + div.id.slice(6)).textContent);
    vegaEmbed(div, spec, {mode: 'vega-lite', renderer: 'svg', actions: false})
      .catch(function (error) { console.error('chart ' + div.id + ': ' + error); });
  });
})();
"""

SCRIPT = """
document.getElementById('cohort-cut').addEventListener('change', function (event) {
  document.querySelectorAll('table.heat').forEach(function (grid) {
    grid.classList.toggle('hidden', grid.dataset.cut !== event.target.value);
  });
});
"""


def render(database: Path) -> str:
    """The dashboard's HTML for the warehouse at `database`."""
    marts = Marts(database)
    try:
        cfg = marts.settings()
        months = marts.rows("select max(month) as month from marts.mart_executive_summary")
        last = months[0]["month"] if months else None
        if last is None:
            raise ValueError(f"{database}: the marts are empty; run a build first")
        cards, _ = _headline(marts, cfg, last)
        charts = ChartPage(cfg.reporting_currency)
        sections = [
            ("Retention", _retention(marts, cfg, charts)),
            ("ARR bridge, last twelve months", _bridge(marts, cfg, last, charts)),
            ("Cohorts", _cohorts(marts)),
            ("Expansion", _expansion(marts, cfg, last, charts)),
            ("Expansion pipeline", _pipeline(marts, cfg, charts)),
            ("Customers", _customers(marts, cfg)),
            ("Board pack", _board_pack(marts, cfg, last)),
            ("Month close", _month_close(marts, cfg)),
        ]
    finally:
        marts.close()
    body = "".join(f"<h2>{esc(title)}</h2>{content}" for title, content in sections)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Expansion metrics</title>"
        f"<style>{STYLE}</style></head><body>"
        f'<h1>Expansion metrics</h1><div class="asof">Data as of {esc(cfg.as_of_date)} '
        f"(last complete month: {esc(_month_label(last))}). Amounts are "
        f"{esc(cfg.reporting_currency)} ARR at constant currency.</div>"
        f"{cards}{body}{charts.scripts()}<script>{SCRIPT}</script></body></html>"
    )


def write_report(database: Path, out: Path) -> int:
    """Write the dashboard to `out`; return its size in bytes."""
    document = render(database)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    return out.stat().st_size
