"""Synthetic raw data set: one CSV per table of :mod:`expansion_metrics.contract`.

A SaaS company's billing (subscription item versions, invoices, FX rates), CRM
(opportunities, stage history, expansion targets) and customer health signals (product
usage, support tickets, NPS, account events).

Each customer is simulated by its own ``random.Random``, seeded from the seed and the
customer's index, so the same arguments give byte-identical files and no customer depends
on another. Rows are streamed to the files customer by customer (in chunks, rendered by
worker processes for large sets), so memory stays flat whatever the number of customers.

A customer is simulated in two passes. :class:`_Life` plans its subscription history month
by month up to the end of the calendar quarter after ``end_month``; only item versions
before the end of ``end_month`` are written. :class:`_Records` then derives everything else
from that plan, looking ahead as real warning signs do: before a churn or contraction usage
falls, tickets rise, NPS sours, invoices fail and QBRs are missed; before an expansion usage
runs close to the plan limit. Expansions planned after ``end_month`` are open opportunities.
"""

from __future__ import annotations

import csv
import io
import math
import multiprocessing
import os
import random
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from expansion_metrics.connector_export import inverse
from expansion_metrics.contract import STAGES, TABLES, TABLES_BY_NAME

__all__ = ["generate"]

T = TypeVar("T")

GRANULARITIES = ("week", "month")
CHUNK = 1000  # customers per unit of work
PARALLEL_FROM = 20_000  # customers from which chunks are rendered by worker processes
SEGMENTS = ("enterprise", "mid_market", "smb")
INDUSTRIES = ("healthcare", "retail", "fintech", "manufacturing", "education", "software")
EXPANSION_FACTOR = (1.9, 0.5, 1.1, 0.9, 0.8, 1.2)  # by industry
CHURN_FACTOR = (0.85, 1.25, 1.0, 0.95, 1.1, 1.0)  # by industry
REGIONS = ("north_america", "emea", "apac", "latam")
REGION_WEIGHTS = (0.45, 0.30, 0.15, 0.10)
REGION_CURRENCIES = (  # (currencies, weights) by region
    (("USD", "CAD"), (0.85, 0.15)),
    (("EUR", "GBP", "USD"), (0.55, 0.35, 0.10)),
    (("USD", "JPY"), (0.55, 0.45)),
    (("USD",), (1.0,)),
)
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "JPY")
FX_START = {"USD": 1.0, "EUR": 1.09, "GBP": 1.27, "CAD": 0.74, "JPY": 0.0068}
PRICE_BOOK = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "CAD": 1.35, "JPY": 150.0}
TIERS = ("starter", "professional", "enterprise")
SEAT_PRICE = (15.0, 35.0, 70.0)  # USD list price per seat and month, by tier
SEAT_QUOTA = (200, 500, 1000)  # monthly usage allowance per seat, by tier
API_PRICE = 0.5  # USD per thousand API calls
ADDONS = ("analytics", "automation", "api_calls")
INTERVALS = ("month", "quarter", "year")
INTERVAL_MONTHS = (1, 3, 12)
# A few monthly customers are billed otherwise: (billing_interval, interval_count, chance).
# Drawn from a generator of their own, so every other customer stays as it was.
OTHER_BILLING = (("week", 1, 0.04), ("month", 6, 0.03), ("day", 1, 0.02))
ZERO_DECIMAL = ("JPY",)  # currencies without minor units: amounts in whole units
EXPANSION_TYPES = ("upsell", "seat", "cross_sell", "usage")
OPEN_STAGES = STAGES[:5]
WON, LOST = "Closed Won", "Closed Lost"
PRIORITIES = ("low", "normal", "high", "urgent")
CALM_PRIORITY = (0.40, 0.45, 0.12, 0.03)
UPSET_PRIORITY = (0.10, 0.30, 0.35, 0.25)
OWNERS = ("Ana Silva", "Ben Okafor", "Chloe Martin", "Dev Patel", "Elena Rossi", "Farid Haddad")
# fmt: off
NAME_WORDS = (
    "Acme", "Atlas", "Beacon", "Cedar", "Crescent", "Evergreen", "Falcon", "Granite", "Harbor",
    "Horizon", "Juniper", "Keystone", "Lumen", "Maple", "Meridian", "Northwind", "Nova",
    "Orchid", "Pinnacle", "Pioneer", "Quantum", "Redwood", "Silver", "Summit",
)
NAME_CORES = (  # by industry
    ("Health", "Clinics", "Medical"), ("Retail", "Stores", "Outfitters"),
    ("Pay", "Capital", "Ledger"), ("Industries", "Works", "Fabrication"),
    ("Learning", "Academy", "Schools"), ("Labs", "Software", "Cloud"),
)
# fmt: on
NAME_SUFFIXES = ("Inc", "LLC", "Ltd", "GmbH", "Group", "Co")
SURNAMES = ("Smith", "Jones", "Garcia", "Nguyen", "Müller", "O'Brien", "Tanaka", "Kowalski")


@dataclass(frozen=True)
class _Profile:
    """How customers of one segment look and behave."""

    share: float
    annual_churn: float
    seats: tuple[int, int]
    tier_weights: tuple[float, float, float]
    interval_weights: tuple[float, float, float]
    expansion: float  # monthly probability of an expansion
    contraction: float  # monthly probability of a contraction
    tickets: float  # support tickets per active month when healthy
    discount: tuple[float, float]
    analytics: float  # USD per month
    automation: float  # USD per month; per seat when automation_per_seat
    automation_per_seat: bool
    api_units: tuple[int, int]  # thousand API calls per month


# fmt: off
PROFILES = (  # by segment
    _Profile(0.10, 0.05, (150, 1200), (0, 0.4, 0.6), (0.1, 0.25, 0.65), 0.065, 0.010, 1.2,
             (0.7, 0.95), 2500.0, 6.0, True, (2000, 8000)),
    _Profile(0.30, 0.10, (20, 200), (0.3, 0.6, 0.1), (0.35, 0.25, 0.4), 0.045, 0.010, 0.5,
             (0.85, 1.0), 600.0, 400.0, False, (300, 2000)),
    _Profile(0.60, 0.18, (2, 25), (0.75, 0.25, 0), (0.7, 0.1, 0.2), 0.026, 0.008, 0.15,
             (0.95, 1.0), 120.0, 90.0, False, (20, 300)),
)
# fmt: on


@lru_cache(maxsize=16384)
def _iso(day: int) -> str:
    """A day ordinal as YYYY-MM-DD."""
    return date.fromordinal(day).isoformat()


def _add_months(day: int, months: int) -> int:
    """The day `months` calendar months later (day of month capped at 28)."""
    d = date.fromordinal(day)
    years, month = divmod(d.month - 1 + months, 12)
    return date(d.year + years, month + 1, min(d.day, 28)).toordinal()


def _quarter(day: int) -> str:
    d = date.fromordinal(day)
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def _pick(rng: random.Random, values: Sequence[T], weights: Sequence[float]) -> T:
    """A value drawn with the given (not necessarily normalised) weights."""
    x = rng.random() * sum(weights)
    for value, weight in zip(values, weights, strict=True):
        x -= weight
        if x < 0:
            return value
    return values[-1]


def _poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth's method, fine for the small rates used here)."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _ramp(distance: int, lead: int, full: int) -> float:
    """0 more than `lead` days before an event, rising to 1 at `full` days, 0 after it."""
    if distance <= 0 or distance > lead:
        return 0.0
    return 1.0 if distance <= full else (lead - distance) / (lead - full)


def _spread(rng: random.Random, first: int, last: int, n: int) -> list[int]:
    """`n` strictly increasing days from `first` (moved earlier if need be) to `last`."""
    if n == 1:
        return [min(first, last)]
    first = min(first, last - (n - 1))
    return [first, *sorted(rng.sample(range(first + 1, last), n - 2)), last]


def _pieces(
    steps: list[tuple[int, float]], days: list[int], lo: int, hi: int
) -> list[tuple[int, int, float]]:
    """The stretches of [lo, hi) where a step function (`days`, values) is positive."""
    out: list[tuple[int, int, float]] = []
    j = bisect_right(days, lo) - 1
    while j < len(steps) and steps[j][0] < hi:
        a, b = max(lo, steps[j][0]), min(hi, steps[j + 1][0]) if j + 1 < len(steps) else hi
        if steps[j][1] > 0 and b > a:
            if out and out[-1][1] == a:  # merge a change of value into one stretch
                a = out.pop()[0]
            out.append((a, b, steps[j][1]))
        j += 1
    return out


@dataclass(frozen=True)
class _Calendar:
    """Day ordinals of the months covered, then of the planning months up to the horizon."""

    month_starts: tuple[int, ...]
    n_months: int
    periods: tuple[tuple[int, int], ...]  # usage periods: (last day, length in days)
    period_ends: tuple[int, ...]

    @classmethod
    def build(cls, end_month: date, months: int, granularity: str) -> _Calendar:
        first = _add_months(end_month.replace(day=1).toordinal(), 1 - months)
        quarter_start = date(end_month.year, (end_month.month - 1) // 3 * 3 + 1, 1)
        horizon = _add_months(quarter_start.toordinal(), 6)  # end of the next quarter
        starts = [first]
        while starts[-1] < horizon:
            starts.append(_add_months(starts[-1], 1))
        if granularity == "month":
            periods = [(starts[m + 1] - 1, starts[m + 1] - starts[m]) for m in range(months)]
        else:  # weeks ending on Sunday
            periods = [(d, 7) for d in range(first + (6 - (first - 1) % 7), starts[months], 7)]
        return cls(tuple(starts), months, tuple(periods), tuple(d for d, _ in periods))

    @property
    def start(self) -> int:
        return self.month_starts[0]

    @property
    def end(self) -> int:
        """First day after end_month: the exclusive end of the data."""
        return self.month_starts[self.n_months]

    @property
    def horizon(self) -> int:
        """First day after the quarter following end_month's: the end of the plan."""
        return self.month_starts[-1]

    def month_of(self, day: int) -> int:
        return bisect_right(self.month_starts, day) - 1


@dataclass(frozen=True)
class _Customer:
    idx: int
    cid: str
    name: str
    segment: int
    industry: int
    region: int
    currency: str
    interval: int
    discount: float
    owner: str
    tier: int
    api_share: float
    other_billing: int = -1  # index into OTHER_BILLING, -1: billed every `interval`

    @property
    def profile(self) -> _Profile:
        return PROFILES[self.segment]

    @property
    def months(self) -> int:
        """Months between invoices: those of one billing period, at least 1."""
        if self.other_billing >= 0:
            interval, count, _ = OTHER_BILLING[self.other_billing]
            return count if interval == "month" else 1
        return INTERVAL_MONTHS[self.interval]

    @property
    def billing(self) -> tuple[str, str]:
        """(billing_interval, interval_count) as written; interval_count empty for 1."""
        if self.other_billing >= 0:
            interval, count, _ = OTHER_BILLING[self.other_billing]
            return interval, str(count) if count > 1 else ""
        return INTERVALS[self.interval], ""

    @property
    def period_months(self) -> float:
        """Months in one billing period: a charge is the monthly price times this."""
        if self.other_billing >= 0:
            interval, count, _ = OTHER_BILLING[self.other_billing]
            return {"week": 12 / 52, "day": 12 / 365, "month": 1}[interval] * count
        return INTERVAL_MONTHS[self.interval]

    def money(self, value: float) -> float:
        """An amount rounded to the currency's minor unit."""
        return float(round(value)) if self.currency in ZERO_DECIMAL else round(value, 2)


def _name(rng: random.Random, industry: int) -> str:
    """A company name; a few are like `Smith, Jones & "Partners"` to exercise CSV quoting."""
    if rng.random() < 0.04:
        first, second = rng.sample(SURNAMES, 2)
        return f'{first}, {second} & "Partners"'
    word = NAME_WORDS[int(rng.random() * len(NAME_WORDS))]
    core = NAME_CORES[industry][int(rng.random() * 3)]
    return f"{word} {core} {NAME_SUFFIXES[int(rng.random() * len(NAME_SUFFIXES))]}"


def _other_billing(idx: int, seed: int) -> int:
    """Index into OTHER_BILLING for a monthly customer billed otherwise, else -1."""
    x = random.Random(f"billing {seed} {idx}").random()
    for k, (_, _, chance) in enumerate(OTHER_BILLING):
        x -= chance
        if x < 0:
            return k
    return -1


def _customer(idx: int, rng: random.Random, seed: int = 0) -> _Customer:
    segment = _pick(rng, range(3), [p.share for p in PROFILES])
    profile = PROFILES[segment]
    industry = int(rng.random() * len(INDUSTRIES))
    region = _pick(rng, range(4), REGION_WEIGHTS)
    low, high = profile.discount
    customer = _Customer(
        idx=idx,
        cid=f"C{idx:07d}",
        name=_name(rng, industry),
        segment=segment,
        industry=industry,
        region=region,
        currency=_pick(rng, *REGION_CURRENCIES[region]),
        interval=_pick(rng, range(3), profile.interval_weights),
        discount=low + (high - low) * rng.random(),
        owner=OWNERS[int(rng.random() * len(OWNERS))],
        tier=_pick(rng, range(3), profile.tier_weights),
        api_share=0.55 if INDUSTRIES[industry] in ("software", "fintech") else 0.3,
    )
    if customer.interval == 0:
        customer = replace(customer, other_billing=_other_billing(idx, seed))
    return customer


@dataclass(slots=True)
class _Item:
    item_id: str
    product: str
    tier: int  # index into TIERS, -1 for products without tiers
    model: str
    quantity: int
    unit: float  # monthly price of one unit, customer currency
    start: int
    pack: bool = False  # an extra seat pack next to the base platform item


# (day, kind, detail, ARR change in the customer's currency); kind is acquisition,
# reactivation, expansion (detail: its expansion_type), contraction, price or churn.
_Event = tuple[int, str, str, float]


class _Life:
    """Plans one customer's subscription history and writes its item versions."""

    def __init__(self, cust: _Customer, rng: random.Random, cal: _Calendar) -> None:
        self.c, self.rng, self.cal = cust, rng, cal
        self.items: list[_Item] = []  # the active recurring items
        self.rows: list[list[str]] = []  # subscription_items rows written so far
        self.events: list[_Event] = []
        self.spans: list[list[int]] = []  # active [start, end); end = horizon while active
        self.state = [(0, 0, 0, 0.0)]  # (day, seats, usage quota, recurring MRR) from day on
        self.api = [(0, 0.0)]  # (day, thousand API calls a month) from day on; 0 = no api
        self.price_index = 1.0
        self.ids = self.subs = self.created = 0
        self.sub_id = ""
        self.frozen = False
        self.comeback = -1  # month of a planned reactivation
        self.p_expand = cust.profile.expansion * EXPANSION_FACTOR[cust.industry]
        self.p_contract = cust.profile.contraction
        annual_churn = cust.profile.annual_churn * CHURN_FACTOR[cust.industry]
        self.p_churn = 1 - (1 - annual_churn) ** (1 / 12)

    # ---- item versions
    def next_id(self) -> str:
        self.ids += 1
        return f"SI{self.c.idx:07d}-{self.ids:04d}"

    def _price(self, usd: float) -> float:
        book = PRICE_BOOK[self.c.currency]
        return self.c.money(usd * book * self.c.discount * self.price_index)

    def _row(self, item: _Item, end: int | None) -> list[str]:
        amount = self.c.money(item.quantity * item.unit * self.c.period_months)
        return [
            item.item_id, self.sub_id, self.c.cid, item.product,
            TIERS[item.tier] if item.tier >= 0 else "", item.model, str(item.quantity),
            f"{amount:.2f}", self.c.currency, *self.c.billing, _iso(item.start),
            _iso(end) if end else "",
        ]  # fmt: skip

    def _open(self, day: int, product: str, tier: int, model: str, qty: int, unit: float) -> None:
        self.items.append(_Item(self.next_id(), product, tier, model, qty, unit, day))

    def _close(self, item: _Item, day: int) -> None:
        self.items.remove(item)
        if not self.frozen:
            self.rows.append(self._row(item, day))

    def _revise(self, item: _Item, day: int, **changes: object) -> None:
        """Close an item version and open its successor on the same day."""
        pos = self.items.index(item)
        self._close(item, day)
        self.items.insert(pos, replace(item, item_id=self.next_id(), start=day, **changes))

    def freeze(self) -> None:
        """The end of the data: write the open versions; later changes only feed signals."""
        self.rows += [self._row(item, None) for item in self.items]
        self.frozen = True

    # ---- state
    @property
    def base(self) -> _Item:
        return next(i for i in self.items if i.product == "platform" and not i.pack)

    def has(self, product: str) -> bool:
        if product == "api_calls":
            return self.api[-1][1] > 0
        return any(i.product == product for i in self.items)

    def mrr(self) -> float:
        api = self.api[-1][1] * API_PRICE * PRICE_BOOK[self.c.currency]
        return sum(i.quantity * i.unit for i in self.items) + api

    def _record(self, day: int, kind: str, detail: str, mrr_before: float) -> None:
        self.events.append((day, kind, detail, 12 * (self.mrr() - mrr_before)))
        seats = [i for i in self.items if i.product == "platform"]
        quota = sum(i.quantity * SEAT_QUOTA[i.tier] for i in seats)
        recurring = sum(i.quantity * i.unit for i in self.items)
        self.state.append((day, sum(i.quantity for i in seats), quota, recurring))

    # ---- what happens to a customer
    def acquire(self, day: int, existing: bool = False, comeback: bool = False) -> None:
        r, p, tier = self.rng.random, self.c.profile, self.c.tier
        self.subs += 1
        self.sub_id = f"S{self.c.idx:07d}-{self.subs}"
        seats = int(p.seats[0] + (p.seats[1] - p.seats[0]) * r() ** 2)
        if comeback:  # about the size it was when it left
            seats = max(1, round(self.state[-2][1] * (0.6 + 0.5 * r())))
        self._open(day, "platform", tier, "seat", seats, self._price(SEAT_PRICE[tier]))
        addon = 0.35 if existing else 0.15
        for product, chance in zip(ADDONS, (addon, addon * 0.7, self.c.api_share), strict=True):
            if r() < chance:
                self.add_product(day, product)
        if existing and r() < 0.1:
            self.add_seat_pack(day)
        self.spans.append([day, self.cal.horizon])
        self._record(day, "reactivation" if comeback else "acquisition", "", 0.0)

    def add_product(self, day: int, product: str) -> None:
        p = self.c.profile
        if product == "api_calls":
            units = p.api_units[0] + (p.api_units[1] - p.api_units[0]) * self.rng.random()
            self.api.append((day, units))
        elif product == "analytics":
            self._open(day, "analytics", -1, "flat", 1, self._price(p.analytics))
        elif p.automation_per_seat:
            seats = self.base.quantity
            self._open(day, "automation", -1, "seat", seats, self._price(p.automation))
        else:
            self._open(day, "automation", -1, "flat", 1, self._price(p.automation))

    def add_seat_pack(self, day: int, end: int | None = None) -> None:
        """An extra platform item overlapping the base item (until `end` if given)."""
        base = self.base
        qty = max(2, int(base.quantity * (0.1 + 0.3 * self.rng.random())))
        pack = _Item(self.next_id(), "platform", base.tier, "seat", qty, base.unit, day, True)
        if end is None:
            self.items.append(pack)
        else:
            self.rows.append(self._row(pack, end))

    def churn(self, day: int, month: int) -> None:
        before = self.mrr()
        for item in list(self.items):
            self._close(item, day)
        self.api.append((day, 0.0))
        self.spans[-1][1] = day
        self._record(day, "churn", "", before)
        if self.rng.random() < 0.3:
            self.comeback = month + 3 + int(self.rng.random() * 10)

    def expand(self, day: int) -> None:
        base, r, before = self.base, self.rng.random, self.mrr()
        missing = [p for p in ADDONS if not self.has(p)]
        possible = (base.tier < 2, True, bool(missing), self.has("api_calls"))
        options = [k for k, ok in zip(EXPANSION_TYPES, possible, strict=True) if ok]
        kind = options[int(r() * len(options))]
        if kind == "upsell":  # sometimes with fewer seats
            seats = base.quantity if r() < 0.75 else max(1, int(base.quantity * (0.75 + 0.2 * r())))
            unit = self._price(SEAT_PRICE[base.tier + 1])
            self._revise(base, day, tier=base.tier + 1, quantity=seats, unit=unit)
            for pack in [i for i in self.items if i.pack]:
                self._revise(pack, day, tier=base.tier + 1, unit=unit)
        elif kind == "seat" and r() < 0.25:
            self.add_seat_pack(day)
        elif kind == "seat":
            self._revise(base, day, quantity=base.quantity + max(1, int(base.quantity * r() * 0.4)))
        elif kind == "cross_sell":
            self.add_product(day, missing[int(r() * len(missing))])
        else:
            self.api.append((day, self.api[-1][1] * (1.3 + 0.5 * r())))
        self._record(day, "expansion", kind, before)

    def contract(self, day: int) -> None:
        base, r, before = self.base, self.rng.random, self.mrr()
        packs = [i for i in self.items if i.pack]
        addons = [p for p in ADDONS if self.has(p)]
        options = [k for k, ok in (("downgrade", base.tier > 0), ("removal", addons),
                                   ("seats", base.quantity > 1 or packs)) if ok]  # fmt: skip
        if not options:
            return
        kind = options[int(r() * len(options))]
        if kind == "downgrade":
            self._revise(base, day, tier=base.tier - 1, unit=self._price(SEAT_PRICE[base.tier - 1]))
        elif kind == "removal":
            product = addons[int(r() * len(addons))]
            if product == "api_calls":
                self.api.append((day, 0.0))
            else:
                self._close(next(i for i in self.items if i.product == product), day)
        elif packs and (base.quantity == 1 or r() < 0.5):
            self._close(packs[0], day)
        else:
            self._revise(base, day, quantity=max(1, int(base.quantity * (0.6 + 0.3 * r()))))
        self._record(day, "contraction", kind, before)

    def raise_prices(self, day: int) -> None:
        """A list-price increase: every recurring item gets a new version."""
        before, factor = self.mrr(), 1.03 + 0.05 * self.rng.random()
        self.price_index *= factor
        for item in list(self.items):
            self._revise(item, day, unit=self.c.money(item.unit * factor))
        self._record(day, "price", "", before)

    # ---- the month-by-month plan
    def simulate(self) -> None:
        r, cal = self.rng.random, self.cal
        if r() < 0.02:  # a prospect that never subscribed
            self.created = cal.start + int(r() * max(1, cal.end - cal.start - 120))
            return
        existing = r() < 0.4  # already a customer when the data starts
        start = cal.start if existing else cal.start + 1 + int(r() * (cal.end - cal.start - 2))
        self.created = start - (30 + int(r() * 1400) if existing else int(r() * 30))
        self.acquire(start, existing=existing)
        anchor = cal.month_of(start)
        for m in range(anchor + 1, len(cal.month_starts) - 1):
            if m == cal.n_months:
                self.freeze()
            if self.items:
                self._month(m, (m - anchor) % 12 == 0)
            elif m == self.comeback:
                self.acquire(cal.month_starts[m] + 1 + int(r() * 26), comeback=True)
                anchor = m
        if not self.frozen:
            self.freeze()

    def _month(self, m: int, anniversary: bool) -> None:
        r = self.rng.random
        ms, me = self.cal.month_starts[m], self.cal.month_starts[m + 1]
        if r() < self.p_churn:
            self.churn(ms + 1 + int(r() * 26), m)
            return
        changes: list[Callable[[int], None]] = []
        if r() < self.p_expand:
            changes.append(self.expand)
        if r() < self.p_contract:
            changes.append(self.contract)
        if anniversary and r() < 0.5:
            changes.append(self.raise_prices)
        if changes and r() < 0.12:  # two changes in one month
            changes.append(self.expand if r() < 0.6 else self.contract)
        if changes:
            days = sorted(self.rng.sample(range(ms + 1, me - 1), len(changes)))
            for day, change in zip(days, changes, strict=True):
                change(day)
        if not self.frozen and r() < 0.004:  # a seat pack for a few weeks of one month
            self.add_seat_pack(ms + 2 + int(r() * 6), end=ms + 14 + int(r() * 10))


# An opportunity before its id is assigned:
# (stage entry days, stages, opportunity_type, expansion_type, amount, close day).
_Opp = tuple[list[int], list[str], str, str, float, int]


class _Records:
    """Usage items, invoices, health signals and CRM records of one planned life."""

    def __init__(self, life: _Life) -> None:
        self.life, self.c, self.cal, self.rng = life, life.c, life.cal, life.rng
        r, cal = self.rng.random, self.cal
        self.warnings = [  # (day, weight) of the churns and contractions that show coming
            (d, 1.0 if kind == "churn" else 0.7)
            for d, kind, _, _ in life.events
            if kind in ("churn", "contraction") and r() < 0.85
        ]
        if r() < 0.12:  # a scare that blows over
            self.warnings.append((cal.start + int(r() * (cal.end - cal.start)), 0.4))
        self.expansions = [d for d, kind, _, _ in life.events if kind == "expansion"]
        self.state_days = [s[0] for s in life.state]
        self.api_days = [d for d, _ in life.api]
        self.months = [  # months of the data with the customer active at some point
            m
            for a, b in life.spans
            for m in range(cal.month_of(a), cal.month_of(min(b, cal.end) - 1) + 1)
        ]
        self.util, self.ratio, self.actions = 0.55 + 0.3 * r(), 0.4 + 0.25 * r(), 2 + 3 * r()
        self.as_of = cal.end - 1

    # ---- lookups
    def active(self, day: int) -> bool:
        """Whether the customer is active on a day of the data."""
        if not self.cal.start <= day < self.cal.end:
            return False
        for a, b in self.life.spans:  # noqa: SIM110 - faster than any()
            if a <= day < b:
                return True
        return False

    def decline(self, day: int) -> float:
        """How strongly a churn or contraction is looming (0..1)."""
        best = 0.0
        for d, weight in self.warnings:
            if 0 < d - day <= 120:
                best = max(best, weight * _ramp(d - day, 120, 30))
        return best

    def pressure(self, day: int) -> float:
        """How close an expansion is (0..1)."""
        best = 0.0
        for d in self.expansions:
            if 0 < d - day <= 90:
                best = max(best, _ramp(d - day, 90, 40))
        return best

    def state_at(self, day: int) -> tuple[int, int, int, float]:
        return self.life.state[bisect_right(self.state_days, day) - 1]

    def _active_days(self, days: list[int]) -> list[int]:
        return sorted(d for d in days if self.active(d))

    # ---- billing
    def usage_items(self) -> tuple[list[list[str]], dict[int, float]]:
        """One api_calls item per month while the product is on; the charges by month."""
        life, cal, r, c = self.life, self.cal, self.rng.random, self.c
        rows: list[list[str]] = []
        charges: dict[int, float] = {}
        unit = round(API_PRICE * PRICE_BOOK[c.currency] * c.discount, 4)
        for m in self.months if len(life.api) > 1 else ():
            ms, me = cal.month_starts[m], cal.month_starts[m + 1]
            for a, b, base in _pieces(life.api, self.api_days, ms, me):
                share = (1 + 0.08 * math.sin(m * 0.52)) * (b - a) / (me - ms)
                health = 1 - 0.4 * self.decline((a + b) // 2)
                units = max(1, round(base * share * health * (0.85 + 0.3 * r())))
                charge = c.money(units * unit)
                charges[m] = charges.get(m, 0.0) + charge
                sub = sum(1 for s in life.spans if s[0] <= a)
                rows.append([
                    life.next_id(), f"S{c.idx:07d}-{sub}", c.cid, "api_calls", "", "usage",
                    str(units), f"{charge:.2f}", c.currency, "month", "", _iso(a), _iso(b),
                ])  # fmt: skip
        return rows, charges

    def invoices(self, charges: dict[int, float]) -> list[list[str]]:
        """One invoice per billing period: the recurring charge plus usage in arrears."""
        cal, c, r = self.cal, self.c, self.rng.random
        rows: list[list[str]] = []
        for a, b in self.life.spans:
            first = cal.month_of(a)
            day_of_month = min(a - cal.month_starts[first], 27)
            for m in range(first, cal.n_months, c.months):
                start = a if m == first else cal.month_starts[m] + day_of_month
                if start >= b:
                    break
                usage = sum(charges.get(i, 0.0) for i in range(m - c.months, m)) if charges else 0
                amount = c.money(self.state_at(start)[3] * c.months + usage)
                due, dec, x = start + 14, self.decline(start), r()
                if due >= self.as_of:  # due on as_of_date or later: not yet overdue
                    status = "open"
                elif x < 0.01 + 0.35 * dec:
                    status = "failed"
                else:
                    status = "overdue" if x < 0.03 + 0.6 * dec else "paid"
                invoice_id = f"INV{c.idx:07d}-{len(rows) + 1:04d}"
                rows.append([invoice_id, c.cid, _iso(due), f"{amount:.2f}", c.currency, status])
        return rows

    # ---- health signals
    def usage(self, rng: random.Random) -> list[list[str]]:
        """Product usage per period: falls before a churn, nears the limit before expansion."""
        r, cid, cal = rng.random, self.c.cid, self.cal
        first = self.life.spans[0][0]
        rows: list[list[str]] = []
        periods = [
            cal.periods[i]
            for a, b in self.life.spans
            for i in range(bisect_left(cal.period_ends, a), bisect_left(cal.period_ends, b))
        ]
        for end, length in periods:
            _, seats, quota, _ = self.state_at(end)
            dec, exp = self.decline(end), self.pressure(end)
            util = min(0.97, self.util + 0.03 * (end - first) / 365 + 0.15 * exp)
            users = round(seats * util * (1 - 0.55 * dec) * (0.94 + 0.12 * r()))
            logins = round(users * 0.65 * length * (1 - 0.3 * dec) * (0.9 + 0.2 * r()))
            actions = round(logins * self.actions * (1 - 0.3 * dec) * (0.9 + 0.2 * r()))
            limit = round(quota * length / 30.44)
            ratio = min(1.15, max(0.02, self.ratio + 0.45 * exp - 0.3 * dec + 0.08 * (r() - 0.5)))
            rows.append([cid, _iso(end), str(users), str(logins), str(actions),
                         str(round(limit * ratio)), str(limit)])  # fmt: skip
        return rows

    def tickets(self) -> list[list[str]]:
        """Support tickets: more of them, more urgent and more left open when trouble looms."""
        cal, rng, r, c = self.cal, self.rng, self.rng.random, self.c
        days: list[int] = []
        rate = c.profile.tickets
        for m in self.months:
            ms, me = cal.month_starts[m], cal.month_starts[m + 1]
            n = _poisson(rng, rate * (1 + 2.5 * self.decline(ms + 15)))
            days += [ms + int(r() * (me - ms)) for _ in range(n)]
        rows: list[list[str]] = []
        for day in self._active_days(days):
            dec = self.decline(day)
            weights: Sequence[float] = CALM_PRIORITY
            if dec:
                weights = [a + (b - a) * dec for a, b in zip(weights, UPSET_PRIORITY, strict=True)]
            age = self.as_of - day
            if age < 7:
                status = "open" if r() < 0.6 else "pending"
            elif age < 30:
                status = _pick(rng, ("open", "pending", "solved"), (0.2, 0.3, 0.5))
            elif r() < 0.3 * dec:
                status = "open"
            else:
                status = "solved" if r() < 0.3 else "closed"
            ticket_id = f"T{c.idx:07d}-{len(rows) + 1:04d}"
            rows.append([ticket_id, c.cid, _iso(day), _pick(rng, PRIORITIES, weights), status])
        return rows

    def nps(self) -> list[list[str]]:
        """Twice-yearly surveys, plus one in the run-up to a churn or contraction now and then."""
        cal, r, c = self.cal, self.rng.random, self.c
        phase = int(r() * 6)
        days = [
            cal.month_starts[m] + int(r() * 28)
            for m in self.months
            if (m + phase) % 6 == 0 and r() < 0.5
        ]
        days += [d - 30 - int(r() * 60) for d, w in self.warnings if w >= 0.7 and r() < 0.6]
        rows: list[list[str]] = []
        for day in self._active_days(days):
            if r() < 0.1 + 0.8 * self.decline(day):
                score = int(r() * 7)  # a detractor
            else:
                score = 9 + int(r() * 2) if r() < 0.65 else 7 + int(r() * 2)
            rows.append([f"R{c.idx:07d}-{len(rows) + 1:03d}", c.cid, _iso(day), str(score)])
        return rows

    def account_events(self) -> list[list[str]]:
        """Quarterly business reviews (enterprise, mid-market) and executive sponsor changes."""
        cal, r, c = self.cal, self.rng.random, self.c
        found: list[tuple[int, str]] = []
        for m in self.months:
            ms = cal.month_starts[m]
            if c.segment < 2 and date.fromordinal(ms).month % 3 == 2:
                day = ms + int(r() * 27)
                missed = r() < 0.08 + 0.75 * self.decline(day)
                found.append((day, "qbr_missed" if missed else "qbr_held"))
            if r() < 0.006:
                found.append((ms + int(r() * 28), "exec_sponsor_change"))
        found += [
            (d - 40 - int(r() * 60), "exec_sponsor_change")
            for d, w in self.warnings
            if w >= 0.7 and r() < 0.5
        ]
        found = sorted(e for e in found if self.active(e[0]))
        return [
            [f"E{c.idx:07d}-{k:03d}", c.cid, _iso(day), kind]
            for k, (day, kind) in enumerate(found, 1)
        ]

    # ---- CRM
    def _opp(
        self, outcome: str, kind: str, etype: str, amount: float, close: int, lead: int
    ) -> _Opp:
        """An opportunity created `lead` days before `close` that was won, lost (dropping out
        at any stage) or is still open, moving through the stages in order, skipping some."""
        r = self.rng.random
        reach = 4 if outcome == "won" else int(r() * 5)
        path = [s for k, s in enumerate(OPEN_STAGES[: reach + 1]) if k in (0, reach) or r() > 0.12]
        created, last = close - lead, close
        if outcome == "open":
            last = min(close, self.as_of - int(r() * 10))
            created = min(created, last - 10)
        else:
            path.append(WON if outcome == "won" else LOST)
        return _spread(self.rng, created, last, len(path)), path, kind, etype, amount, close

    def _expansion_opps(self) -> list[_Opp]:
        """Won ahead of real expansions (open if after the data), lost ones, open pipeline."""
        r, cal, life = self.rng.random, self.cal, self.life
        opps = []
        for day, kind, detail, delta in life.events:
            if kind == "expansion" and delta > 0 and r() < 0.85:
                outcome = "won" if day < cal.end else "open"
                close, lead = day - int(r() * 8), 15 + int(r() * 75)
                opps.append(self._opp(outcome, "expansion", detail, delta, close, lead))
        for m in self.months:
            if r() < life.p_expand:
                close = cal.month_starts[m] + int(r() * 28)
                if self.active(close):
                    amount = 12 * self.state_at(close)[3] * (0.1 + 0.3 * r())
                    etype, lead = EXPANSION_TYPES[int(r() * 4)], 20 + int(r() * 80)
                    opps.append(self._opp("lost", "expansion", etype, amount, close, lead))
        if self.active(self.as_of):  # pipeline closing this quarter or the next
            first, middle = cal.month_starts[cal.n_months - 1], _add_months(cal.horizon, -3)
            for _ in range(_poisson(self.rng, life.p_expand * 12)):
                amount = 12 * self.state_at(self.as_of)[3] * (0.1 + 0.3 * r())
                lo, hi = (first, middle) if r() < 0.5 else (middle, cal.horizon)
                close = lo + int(r() * (hi - lo))
                lead = close - self.as_of + 10 + int(r() * 90)
                etype = EXPANSION_TYPES[int(r() * 4)]
                opps.append(self._opp("open", "expansion", etype, amount, close, lead))
        return opps

    def _other_opps(self) -> list[_Opp]:
        """New business at acquisition and reactivation; renewals of annual contracts."""
        r, cal, c = self.rng.random, self.cal, self.c
        opps = []
        for day, kind, _, delta in self.life.events:
            if kind in ("acquisition", "reactivation") and day > cal.start:
                close, lead = day - int(r() * 6), 20 + int(r() * 70)
                opps.append(self._opp("won", "new_business", "", delta, close, lead))
            elif kind == "churn" and c.interval == 2 and r() < 0.6:
                close, lead = day - int(r() * 15), 30 + int(r() * 60)
                outcome = "lost" if day < cal.end else "open"
                opps.append(self._opp(outcome, "renewal", "", -delta, close, lead))
        for a, b in self.life.spans if c.interval == 2 else ():
            renewal = _add_months(a, 12)
            while renewal < min(b, cal.horizon):
                if r() < 0.6:
                    close, lead = renewal - int(r() * 20), 30 + int(r() * 60)
                    outcome = "won" if renewal < cal.end else "open"
                    amount = 12 * self.state_at(renewal)[3]
                    opps.append(self._opp(outcome, "renewal", "", amount, close, lead))
                renewal = _add_months(renewal, 12)
        return opps

    def opportunities(self) -> tuple[list[list[str]], list[list[str]]]:
        """Opportunity rows and their stage history, ids in order of creation."""
        c, r = self.c, self.rng.random
        if self.life.spans:
            opps = self._other_opps() + self._expansion_opps()
        elif r() < 0.5:  # a prospect that never bought
            close = min(self.life.created + 30 + int(r() * 60), self.as_of)
            amount = 12 * 50 * SEAT_PRICE[c.tier] * PRICE_BOOK[c.currency]
            opps = [self._opp("lost", "new_business", "", amount, close, close - self.life.created)]
        else:
            opps = []
        rows, history = [], []
        for k, (days, path, kind, etype, amount, close) in enumerate(sorted(opps), 1):
            oid = f"O{c.idx:07d}-{k:03d}"
            rows.append([oid, c.cid, kind, etype, path[-1], f"{amount:.2f}", c.currency,
                         _iso(days[0]), _iso(close), c.owner])  # fmt: skip
            history += [[oid, stage, _iso(day)] for stage, day in zip(path, days, strict=True)]
        return rows, history


def _customer_rows(idx: int, seed: int, cal: _Calendar) -> tuple[dict[str, list], _Life]:
    """Every row of one customer, by table, and its planned life."""
    rng = random.Random(seed * 1_000_003 + idx)
    cust = _customer(idx, rng, seed)
    life = _Life(cust, rng, cal)
    life.simulate()
    customer = [cust.cid, cust.name, SEGMENTS[cust.segment], INDUSTRIES[cust.industry],
                REGIONS[cust.region], _iso(life.created)]  # fmt: skip
    rows: dict[str, list] = {"customers": [customer]}
    records = _Records(life)
    rows["opportunities"], rows["opportunity_stage_history"] = records.opportunities()
    if life.spans:  # only customers active at some point have billing and signals
        usage_items, charges = records.usage_items()
        rows["subscription_items"] = life.rows + usage_items
        rows["invoices"] = records.invoices(charges)
        # its own generator, so that the usage granularity changes nothing else
        rows["product_usage"] = records.usage(random.Random(rng.getrandbits(64)))
        rows["support_tickets"] = records.tickets()
        rows["nps_responses"] = records.nps()
        rows["account_events"] = records.account_events()
    return rows, life


# A rendered chunk of customers: CSV text by table, row counts by table, and expansion ARR
# in USD by segment and month (for the targets).
_Chunk = tuple[dict[str, str], dict[str, int], list[list[float]]]


def _render_chunk(job: tuple[int, int, int, _Calendar, dict[str, float]]) -> _Chunk:
    """Customers first..last-1 as CSV text; `constant` converts to USD for the targets."""
    first, last, seed, cal, constant = job
    buffers = {t.name: io.StringIO() for t in TABLES}
    writers = {name: csv.writer(buffer, lineterminator="\n") for name, buffer in buffers.items()}
    counts = dict.fromkeys(buffers, 0)
    expansion = [[0.0] * (len(cal.month_starts) - 1) for _ in SEGMENTS]
    for idx in range(first, last):
        rows, life = _customer_rows(idx, seed, cal)
        for table, table_rows in rows.items():
            # the contract's optional billing-policy columns (trial_end, canceled_at,
            # list_amount, discount_end, paid_at) are left empty: every file has the
            # contract's header
            width = len(TABLES_BY_NAME[table].columns)
            writers[table].writerows(row + [""] * (width - len(row)) for row in table_rows)
            counts[table] += len(table_rows)
        for day, kind, _, delta in life.events:
            if kind == "expansion" and delta > 0 and day < cal.horizon:
                expansion[life.c.segment][cal.month_of(day)] += delta * constant[life.c.currency]
    return {name: buffer.getvalue() for name, buffer in buffers.items()}, counts, expansion


def _render(jobs: list, parallel: bool) -> Iterator[_Chunk]:
    """Rendered chunks in job order, by worker processes when `parallel` and useful."""
    workers = min(os.cpu_count() or 1, 8)
    if not parallel or workers < 2:
        yield from map(_render_chunk, jobs)
        return
    with multiprocessing.Pool(workers) as pool:
        yield from pool.imap(_render_chunk, jobs)


def _fx_rates(rng: random.Random, months: int) -> dict[str, list[float]]:
    """USD per unit of each currency by month: a gentle random walk."""
    rates: dict[str, list[float]] = {}
    for currency in CURRENCIES:
        value, series = FX_START[currency], []
        for _ in range(months):
            series.append(value)
            if currency != "USD":
                value *= 1 + 0.03 * (rng.random() - 0.5)
        rates[currency] = series
    return rates


def _rate_text(rate: float) -> str:
    """A rate with 8 decimals, the last one moved up until a Salesforce conversion rate c
    gives it back exactly as 1 / c (the connector export writes that c)."""
    units = round(rate * 1e8)
    while inverse(float(f"{units / 1e8:.8f}")) is None:
        units += 1
    return f"{units / 1e8:.8f}".rstrip("0").rstrip(".")


def _targets(expansion: list[list[float]], cal: _Calendar, rng: random.Random) -> list[list[str]]:
    """Expansion ARR targets per quarter and segment: the simulated expansion ARR smoothed
    over the two quarters either side (a plan, not hindsight), give or take 10%."""
    quarters = [_quarter(day) for day in cal.month_starts[:-1]]
    labels = sorted(set(quarters))
    position = [labels.index(q) for q in quarters]
    rows = []
    for k, label in enumerate(labels):
        window = [m for m, p in enumerate(position) if abs(p - k) <= 2]
        for s, segment in enumerate(SEGMENTS):
            monthly = sum(expansion[s][m] for m in window) / len(window)
            target = round(monthly * position.count(k) * (0.9 + 0.2 * rng.random()), -2)
            rows.append([label, segment, f"{target:.2f}"])
    return rows


def _validate(customers: int, months: int, end_month: date, usage_granularity: str) -> None:
    for name, value in (("customers", customers), ("months", months)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    if not isinstance(end_month, date):
        raise ValueError(f"end_month must be a date, got {end_month!r}")
    if usage_granularity not in GRANULARITIES:
        raise ValueError(
            f"usage_granularity must be one of {', '.join(GRANULARITIES)}, "
            f"got {usage_granularity!r}"
        )


def generate(
    out_dir: Path,
    customers: int,
    months: int,
    seed: int,
    end_month: date = date(2026, 10, 1),
    usage_granularity: str = "week",
    progress: bool = False,
) -> dict[str, int]:
    """Write the data set; return row counts per table.

    Covers the `months` calendar months ending with `end_month` (its day is ignored).
    `usage_granularity` is "week" (one product_usage row per active customer and week,
    dated the Sunday ending it) or "month" (one per month, dated its last day). Large sets
    are rendered by worker processes in fixed chunks; the output does not depend on that.
    """
    _validate(customers, months, end_month, usage_granularity)
    cal = _Calendar.build(end_month, months, usage_granularity)
    shared = random.Random(seed * 1_000_003)  # customers use seed * 1_000_003 + index
    rates = _fx_rates(shared, len(cal.month_starts))
    constant = {c: rates[c][cal.n_months - 1] for c in CURRENCIES}  # as of end_month
    expansion = [[0.0] * (len(cal.month_starts) - 1) for _ in SEGMENTS]
    counts = dict.fromkeys((t.name for t in TABLES), 0)
    jobs = [
        (first, min(first + CHUNK, customers + 1), seed, cal, constant)
        for first in range(1, customers + 1, CHUNK)
    ]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        files = {
            t.name: stack.enter_context(
                (out / f"{t.name}.csv").open("w", encoding="utf-8", newline="")
            )
            for t in TABLES
        }
        for table in TABLES:
            csv.writer(files[table.name], lineterminator="\n").writerow(table.column_names)
        bar = stack.enter_context(
            tqdm(total=customers, desc="customers", file=sys.stderr, disable=not progress)
        )
        chunks = _render(jobs, parallel=customers >= PARALLEL_FROM)
        for job, (texts, chunk_counts, chunk_expansion) in zip(jobs, chunks, strict=True):
            for name, text in texts.items():
                files[name].write(text)
                counts[name] += chunk_counts[name]
            for total, part in zip(expansion, chunk_expansion, strict=True):
                total[:] = [a + b for a, b in zip(total, part, strict=True)]
            bar.update(job[1] - job[0])
        fx = [
            [c, _iso(cal.month_starts[m]), _rate_text(rates[c][m])]
            for c in CURRENCIES
            for m in range(cal.n_months)
        ]
        targets = _targets(expansion, cal, shared)
        for name, rows in (("fx_rates", fx), ("expansion_targets", targets)):
            csv.writer(files[name], lineterminator="\n").writerows(rows)
            counts[name] = len(rows)
    return counts
