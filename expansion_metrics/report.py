"""The executive dashboard: one self-contained HTML file drawn from the marts.

Charts are inline SVG written here (no chart library, nothing fetched at view time);
the only script is a few lines that switch the cohort heat map between cuts. Every text
that comes from the data goes through `esc` (html.escape), so a customer named
`<script>...</script>` is shown as text and runs nothing.

Nothing the build decides is repeated here: the reporting currency and every threshold
line come from `marts.mart_reporting_settings` (the vars of the build that wrote the
marts), and statuses and tiers from the marts' own columns (`coverage_status`,
`nrr_tier`, `health_status`). Only presentation lives here: colours, wording and the
symbol of a few common currencies.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

WIDTH, HEIGHT = 760, 280
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 20, 20, 50
COLOURS = ["#2563eb", "#16a34a", "#f59e0b", "#9333ea", "#dc2626", "#0891b2"]
TIER_COLOURS = {  # nrr_tier values of mart_nrr, lowest first
    "critical": "#fee2e2",
    "needs_improvement": "#fef3c7",
    "strong": "#dcfce7",
    "world_class": "#bbf7d0",
}
EXPANSION_TYPES = ["upsell", "seat", "cross_sell", "usage", "price"]
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


def money_axis_format(currency: str) -> str:
    """A str.format pattern for whole amounts on an axis: ${:,.0f} or {:,.0f} CHF."""
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{{:,.0f}}" if symbol else f"{{:,.0f}} {currency}"


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


@dataclass
class Axis:
    low: float
    high: float

    def y(self, value: float) -> float:
        span = (self.high - self.low) or 1.0
        inner = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
        return MARGIN_TOP + inner * (1 - (value - self.low) / span)


def _x_positions(count: int) -> list[float]:
    inner = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    if count == 1:
        return [MARGIN_LEFT + inner / 2]
    return [MARGIN_LEFT + inner * i / (count - 1) for i in range(count)]


def _frame(axis: Axis, x_labels: Sequence[str], y_label: str, y_format: str = "{:,.0f}") -> str:
    parts = []
    for i in range(5):
        value = axis.low + (axis.high - axis.low) * i / 4
        y = axis.y(value)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e5e7eb"/><text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end" class="tick">{esc(y_format.format(value))}</text>'
        )
    xs = _x_positions(len(x_labels))
    step = max(1, len(x_labels) // 8)
    for i, (x, label) in enumerate(zip(xs, x_labels, strict=True)):
        if i % step == 0 or i == len(x_labels) - 1:
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle" '
                f'class="tick">{esc(label)}</text>'
            )
    parts.append(
        f'<text x="14" y="{HEIGHT / 2:.0f}" transform="rotate(-90 14 {HEIGHT / 2:.0f})" '
        f'text-anchor="middle" class="axis">{esc(y_label)}</text>'
    )
    return "".join(parts)


def _svg(body: str, points: int, label: str) -> str:
    return (
        f'<svg class="chart" data-points="{points}" role="img" aria-label="{esc(label)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%">{body}</svg>'
    )


def _legend(names: Sequence[str]) -> str:
    items = "".join(
        f'<span><i style="background:{COLOURS[i % len(COLOURS)]}"></i>{esc(n)}</span>'
        for i, n in enumerate(names)
    )
    return f'<div class="legend">{items}</div>'


def line_chart(
    x_labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    y_label: str,
    bands: Sequence[tuple[float, float, str, str, str]] = (),
    references: Sequence[tuple[float, str, str]] = (),
) -> str:
    """bands: (low, high, label, range, colour) shaded behind the lines;
    references: (value, label, colour) dashed horizontal lines."""
    values = [v for s in series.values() for v in s if v is not None]
    if not values:
        return _svg("", 0, y_label)
    low, high = min(values), max(values)
    for value, _, _ in references:
        low, high = min(low, value), max(high, value)
    pad = (high - low) * 0.1 or 1.0
    axis = Axis(low - pad, high + pad)
    body = []
    for band_low, band_high, name, span, colour in bands:
        top, bottom = min(band_high, axis.high), max(band_low, axis.low)
        if top > bottom:
            body.append(
                f'<rect x="{MARGIN_LEFT}" width="{WIDTH - MARGIN_LEFT - MARGIN_RIGHT}" '
                f'y="{axis.y(top):.1f}" height="{axis.y(bottom) - axis.y(top):.1f}" '
                f'fill="{colour}"><title>{esc(name)}: {esc(span)}</title></rect>'
                f'<text x="{WIDTH - MARGIN_RIGHT - 4}" y="{axis.y(top) + 12:.1f}" '
                f'text-anchor="end" class="band">{esc(name)}</text>'
            )
    body.append(_frame(axis, x_labels, y_label))
    for value, label, colour in references:
        y = axis.y(value)
        body.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-dasharray="6 4"/><text x="{MARGIN_LEFT + 4}" '
            f'y="{y - 4:.1f}" class="band">{esc(label)}</text>'
        )
    xs = _x_positions(len(x_labels))
    points = 0
    for i, (name, data) in enumerate(series.items()):
        coords = [(x, axis.y(v)) for x, v in zip(xs, data, strict=True) if v is not None]
        points += len(coords)
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        colour = COLOURS[i % len(COLOURS)]
        body.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}">'
            f"<title>{esc(name)}</title></polyline>"
        )
        body.extend(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>' for x, y in coords
        )
    return _svg("".join(body), points, y_label) + _legend(list(series))


def bar_chart(
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    y_label: str,
    stacked: bool = False,
    y_format: str = "{:,.0f}",
    reference: tuple[float, str] | None = None,
) -> str:
    count = len(labels)
    if count == 0:
        return _svg("", 0, y_label)
    totals = [sum(s[i] for s in series.values()) for i in range(count)]
    tallest = max(totals if stacked else [v for s in series.values() for v in s] or [0])
    if reference is not None:
        tallest = max(tallest, reference[0])
    axis = Axis(0, (tallest or 1) * 1.1)
    body = [_frame(axis, labels, y_label, y_format)]
    inner = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    slot = inner / count
    width = slot * 0.7 / (1 if stacked else len(series))
    points = 0
    for i in range(count):
        base = 0.0
        for j, (name, data) in enumerate(series.items()):
            value = float(data[i] or 0)
            x = MARGIN_LEFT + slot * i + slot * 0.15 + (0 if stacked else j * width)
            bottom = base if stacked else 0.0
            top = bottom + value
            body.append(
                f'<rect x="{x:.1f}" y="{axis.y(top):.1f}" width="{width:.1f}" '
                f'height="{max(0.0, axis.y(bottom) - axis.y(top)):.1f}" '
                f'fill="{COLOURS[j % len(COLOURS)]}"><title>{esc(labels[i])} {esc(name)}: '
                f"{esc(y_format.format(value))}</title></rect>"
            )
            points += 1
            if stacked:
                base = top
    if reference is not None:
        y = axis.y(reference[0])
        body.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#dc2626" stroke-dasharray="6 4"/><text x="{WIDTH - MARGIN_RIGHT - 4}" '
            f'y="{y - 4:.1f}" text-anchor="end" class="band">{esc(reference[1])}</text>'
        )
    legend = _legend(list(series)) if len(series) > 1 else ""
    return _svg("".join(body), points, y_label) + legend


def waterfall(steps: Sequence[tuple[str, float, str]], y_label: str, currency: str) -> str:
    """steps: (label, amount, kind) with kind 'total', 'up' or 'down'."""
    running, bars = 0.0, []
    for label, amount, kind in steps:
        if kind == "total":
            bars.append((label, 0.0, amount, "#2563eb"))
            running = amount
        elif kind == "up":
            bars.append((label, running, running + amount, "#16a34a"))
            running += amount
        else:
            bars.append((label, running - amount, running, "#dc2626"))
            running -= amount
    top = max(max(b[2] for b in bars), 1.0)
    axis = Axis(0, top * 1.1)
    body = [_frame(axis, [b[0] for b in bars], y_label, money_axis_format(currency))]
    slot = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / len(bars)
    for i, (label, low, high, colour) in enumerate(bars):
        x = MARGIN_LEFT + slot * i + slot * 0.15
        body.append(
            f'<rect x="{x:.1f}" y="{axis.y(high):.1f}" width="{slot * 0.7:.1f}" '
            f'height="{max(1.0, axis.y(low) - axis.y(high)):.1f}" fill="{colour}">'
            f"<title>{esc(label)}: {esc(money(high - low, currency))}</title></rect>"
            f'<text x="{x + slot * 0.35:.1f}" y="{axis.y(high) - 4:.1f}" text-anchor="middle" '
            f'class="tick">{esc(money(high - low, currency))}</text>'
        )
    return _svg("".join(body), len(bars), y_label)


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
        "select dimension_value as segment, sum(expansion_mrr) * 100.0 / "
        "nullif(sum(starting_mrr), 0) as rate from marts.mart_expansion "
        "where dimension = 'segment' and month > ? - interval 12 month group by 1 order by 1",
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


def _retention(marts: Marts, cfg: ReportSettings) -> str:
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
        chart = line_chart(
            labels,
            {"NRR %": [r["nrr_pct"] for r in rows], "GRR %": [r["grr_pct"] for r in rows]},
            "% of starting ARR",
            bands=cfg.tier_bands(),
        )
        out.append(f"<figure><h3>{esc(finding)}</h3>{chart}</figure>")
    return "".join(out)


def _bridge(marts: Marts, cfg: ReportSettings, last: date) -> str:
    rows = marts.rows(
        "select month, sum(starting_mrr) * 12 as starting, sum(new_mrr) * 12 as new, "
        "sum(reactivation_mrr) * 12 as reactivation, sum(expansion_mrr) * 12 as expansion, "
        "sum(contraction_mrr) * 12 as contraction, sum(churned_mrr) * 12 as churned, "
        "sum(ending_mrr) * 12 as ending from marts.fct_mrr_movements "
        "where month > ? - interval 12 month group by 1 order by 1",
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
    chart = waterfall(steps, f"ARR ({cfg.reporting_currency})", cfg.reporting_currency)
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


def _expansion(marts: Marts, cfg: ReportSettings, last: date) -> str:
    rows = marts.rows(
        "select month, "
        + ", ".join(f"12 * {t}_mrr as {t}" for t in EXPANSION_TYPES)
        + " from marts.mart_expansion where dimension = 'all' and month > ? - interval 24 month "
        "order by month",
        [last],
    )
    labels = [_month_label(r["month"]) for r in rows]
    totals = {t: sum(float(r[t]) for r in rows) for t in EXPANSION_TYPES}
    leader = max(totals, key=lambda t: totals[t]) if rows else "n/a"
    by_type = bar_chart(
        labels,
        {t.replace("_", "-"): [float(r[t]) for r in rows] for t in EXPANSION_TYPES},
        f"expansion ARR ({cfg.reporting_currency})",
        stacked=True,
    )
    segments = marts.rows(
        "select dimension_value as segment, sum(expansion_mrr) * 100.0 / "
        "nullif(sum(starting_mrr), 0) as rate, 12 * sum(upsell_mrr) / nullif(sum(upsell_events), 0)"
        " as avg_upsell, 12 * sum(expansion_mrr) / nullif(sum(expanding_customers), 0) as avg_exp "
        "from marts.mart_expansion where dimension in ('all', 'segment') "
        "and month > ? - interval 12 month group by 1 order by 1",
        [last],
    )
    rate_chart = bar_chart(
        [str(s["segment"]) for s in segments],
        {"monthly expansion rate %": [float(s["rate"] or 0) for s in segments]},
        "% of starting MRR per month",
        y_format="{:.2f}",
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


def _pipeline(marts: Marts, cfg: ReportSettings) -> str:
    current = marts.rows(
        "select * from marts.mart_pipeline_coverage where snapshot_kind = 'current' "
        "and segment = 'all' order by fiscal_quarter limit 1"
    )
    parts = []
    if current:
        row = current[0]
        stages = ["identified", "engaged", "qualified", "proposal", "negotiation"]
        target = float(row["target_arr"] or 0)
        chart = bar_chart(
            stages,
            {"open pipeline ARR": [float(row[f"{s}_arr"]) for s in stages]},
            f"open pipeline ARR ({cfg.reporting_currency})",
            reference=(target, f"quarter target {cfg.money(target)}") if target else None,
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
    chart = line_chart(
        [h["fiscal_quarter"] for h in history],
        {"coverage at quarter start (x target)": [h["coverage_ratio"] for h in history]},
        "pipeline / target (x)",
        references=[
            (cfg.coverage_alert_ratio, f"alert line {alert}x", "#dc2626"),
            (cfg.coverage_healthy_ratio, f"healthy line {healthy}x", "#16a34a"),
        ],
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
figure{margin:16px 0}.tick{font-size:11px;fill:#6b7280}.axis{font-size:12px;fill:#374151}
.band{font-size:10px;fill:#6b7280}.legend span{margin-right:12px}.legend i{display:inline-block;
width:10px;height:10px;margin-right:4px}table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #e5e7eb;padding:3px 6px;text-align:right}.scroll{overflow-x:auto}
.hidden{display:none}.empty{color:#6b7280;font-style:italic}
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
        sections = [
            ("Retention", _retention(marts, cfg)),
            ("ARR bridge, last twelve months", _bridge(marts, cfg, last)),
            ("Cohorts", _cohorts(marts)),
            ("Expansion", _expansion(marts, cfg, last)),
            ("Expansion pipeline", _pipeline(marts, cfg)),
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
        f"{cards}{body}<script>{SCRIPT}</script></body></html>"
    )


def write_report(database: Path, out: Path) -> int:
    """Write the dashboard to `out`; return its size in bytes."""
    document = render(database)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    return out.stat().st_size
