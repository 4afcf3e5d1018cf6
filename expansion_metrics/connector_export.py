"""The generated business as connector tables: Stripe, Salesforce and HubSpot exports.

Reads the contract files the generator wrote (OUT/*.csv) and writes the same business as
Fivetran's connector tables (OUT/stripe/*.csv, OUT/salesforce/*.csv, OUT/hubspot/*.csv,
named and shaped as :mod:`expansion_metrics.connectors` says) and OUT/customer_crosswalk.csv.
Read back by the adapters of models/sources/, they give exactly the contract rows the marts
see, while exercising each rule of the adapters: zero-decimal currencies, weekly, daily
and six-month prices, trials, cancel at period end, forever and repeating coupons, pricing
models and tiers from metadata and from the fallbacks, the crosswalk by metadata and by
seed, Salesforce history rows that change only the amount, dated conversion rates, and
rows the adapters must leave out (void invoices, prorations, incomplete subscriptions,
deleted records) or quarantine (one opportunity in a stage no seed knows).

Choices are made by hashing ids, so the output depends only on the contract files.
"""

from __future__ import annotations

import csv
import json
import math
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from expansion_metrics.connectors import CONNECTORS

FORMATS = ("contract", "stripe", "salesforce", "hubspot")
ZERO_DECIMAL = {"JPY", "KRW"}  # the generator's currencies without minor units
UNKNOWN_STAGE_OPPORTUNITY = "006UNKNOWNSTAGE001"  # quarantined by the CRM adapters
SALESFORCE_STAGES = {  # contract stage -> Salesforce standard stage names (Engaged: several)
    "Identified": ("Prospecting",),
    "Qualified": ("Qualification",),
    "Engaged": (
        "Needs Analysis",
        "Value Proposition",
        "Id. Decision Makers",
        "Perception Analysis",
    ),
    "Proposal": ("Proposal/Price Quote",),
    "Negotiation": ("Negotiation/Review",),
    "Closed Won": ("Closed Won",),
    "Closed Lost": ("Closed Lost",),
}
HUBSPOT_STAGES = {
    "Identified": "appointmentscheduled",
    "Qualified": "qualifiedtobuy",
    "Engaged": "presentationscheduled",
    "Proposal": "decisionmakerboughtin",
    "Negotiation": "contractsent",
    "Closed Won": "closedwon",
    "Closed Lost": "closedlost",
}
SALESFORCE_TYPES = {
    "new_business": ("New Business", "New Customer"),
    "expansion": ("Existing Customer - Upgrade",),
    "renewal": ("Renewal", "Existing Customer - Replacement"),
}
# HubSpot's default dealtype has no renewal: the org adds "renewal" to its dealtype
# property and a row (hubspot, renewal, renewal) to the crm_opportunity_types seed.
HUBSPOT_TYPES = {
    "new_business": "newbusiness",
    "expansion": "existingbusiness",
    "renewal": "renewal",
}
EXPANSION_TYPES = {"upsell": "Upsell", "cross_sell": "Cross-sell", "seat": "Seat", "usage": "Usage"}
PRODUCTS = {"platform": "Platform", "analytics": "Analytics", "automation": "Automation",
            "api_calls": "API calls"}  # fmt: skip
ADVERBS = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly",
           "year": "yearly"}  # fmt: skip
TIME = " 08:00:00"  # the time of day of every billing period boundary

Row = dict[str, str]


def _hash(*parts: object) -> int:
    return zlib.crc32(" ".join(str(p) for p in parts).encode())


def _read(folder: Path, table: str) -> list[Row]:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(folder: Path, connector: str, table: str, rows: Iterable[Sequence[object]]) -> int:
    """Write rows (in the connector table's column order) as <folder>/<table>.csv."""
    columns = CONNECTORS[connector].tables_by_name[table].column_names
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            assert len(row) == len(columns), (table, row)
            writer.writerow(["" if v is None else _text(v) for v in row])
            count += 1
    return count


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _minor(amount: str, currency: str) -> int:
    """A contract amount in the currency's minor unit (whole yen; cents otherwise)."""
    value = float(amount)
    if currency.upper() in ZERO_DECIMAL:
        if not value.is_integer():
            raise ValueError(f"{currency} amount {amount} is not a whole number of units")
        return int(value)
    minor = round(value * 100)
    if float(f"{minor / 100:.2f}") != value:
        raise ValueError(f"{currency} amount {amount} has more than two decimals")
    return minor


def _add_months(day: date, months: int) -> date:
    years, month = divmod(day.month - 1 + months, 12)
    target = date(day.year + years, month + 1, 1)
    last = (date(target.year + (target.month == 12), target.month % 12 + 1, 1) - target).days
    return target.replace(day=min(day.day, last))


def _step(day: date, interval: str, count: int) -> date:
    if interval == "day":
        return day + timedelta(days=count)
    if interval == "week":
        return day + timedelta(days=7 * count)
    return _add_months(day, {"month": 1, "quarter": 3, "year": 12}[interval] * count)


def _round_half_away(value: float) -> int:
    return int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)


def _list_amount(net: int, percent: int) -> int | None:
    """A list amount L with L - round(L x percent / 100) = net (never on a .5 tie)."""
    if net == 0:
        return 0
    guess = round(net / (1 - percent / 100))
    for candidate in range(guess - 3, guess + 4):
        if (candidate * percent) % 100 == 50:
            continue
        if candidate - _round_half_away(candidate * percent / 100) == net:
            return candidate
    return None


# ---------------------------------------------------------------------------------------
# Accounts: how each customer is linked to its CRM account


@dataclass(frozen=True)
class _Account:
    salesforce_id: str
    hubspot_id: str
    by_crosswalk: bool  # linked by the customer_crosswalk seed, not Stripe metadata
    dimensions_from_crm: bool  # segment / industry / region only on the CRM account


def _accounts(customers: list[Row]) -> dict[str, _Account]:
    accounts = {}
    for row in customers:
        cid = row["customer_id"]
        h = _hash("account", cid)
        if h % 11 == 3:  # one id in both CRMs, linked by the seed
            crm = f"XW-{cid}"
            accounts[cid] = _Account(crm, crm, True, h % 5 == 0)
        else:
            number = int("".join(ch for ch in cid if ch.isdigit()) or "0")
            accounts[cid] = _Account(
                f"0015g{number:013d}", str(9_000_000_000 + number), False, h % 6 == 1
            )
    return accounts


def _display(value: str) -> str:
    """A contract enumeration as a CRM picklist shows it ('mid_market' -> 'Mid Market')."""
    return value.replace("_", " ").title()


# ---------------------------------------------------------------------------------------
# Stripe


@dataclass
class _Version:
    row: Row
    start: date
    end: date | None
    quantity: int
    net: int  # minor units


@dataclass
class _Chain:
    """One Stripe subscription item: contract versions back to back."""

    item_id: str
    product: str
    versions: list[_Version]


def _chains(subscription_id: str, items: list[Row]) -> list[_Chain]:
    """Back-to-back versions of one product chained into one Stripe item when they differ
    in price, quantity or amount (identical neighbours would merge into one version)."""
    chains: list[_Chain] = []
    open_ends: dict[tuple[str, date], list[_Chain]] = defaultdict(list)
    for row in sorted(items, key=lambda r: (r["valid_from"], r["subscription_item_id"])):
        currency = row["currency"]
        version = _Version(
            row,
            _day(row["valid_from"]),
            _day(row["valid_to"]) if row["valid_to"] else None,
            int(float(row["quantity"] or "1")),
            _minor(row["amount"], currency),
        )
        candidates = open_ends.get((row["product"], version.start), [])
        chain = None
        for candidate in candidates:
            last = candidate.versions[-1]
            same = (
                last.row["plan_tier"] == row["plan_tier"]
                and last.row["pricing_model"] == row["pricing_model"]
                and last.quantity == version.quantity
                and last.net == version.net
            )
            if not same and last.row["billing_interval"] == row["billing_interval"]:
                chain = candidate
                break
        if chain is None:
            chain = _Chain(f"si_{subscription_id}_{len(chains) + 1}", row["product"], [])
            chains.append(chain)
        else:
            candidates.remove(chain)
        chain.versions.append(version)
        if version.end is not None:
            open_ends[(row["product"], version.end)].append(chain)
    return chains


class _Stripe:
    def __init__(self, contract: dict[str, list[Row]], accounts: dict[str, _Account],
                 as_of: date) -> None:  # fmt: skip
        self.contract, self.accounts, self.as_of = contract, accounts, as_of
        self.tables: dict[str, list[list[object]]] = defaultdict(list)
        self.prices: dict[tuple, str] = {}
        self.invoices: dict[str, list[tuple[date, str]]] = defaultdict(list)
        self.line_count = 0

    # ---- customers and invoices
    def customers(self) -> None:
        for row in self.contract["customers"]:
            cid, account = row["customer_id"], self.accounts[row["customer_id"]]
            metadata: dict[str, str] = {}
            if not account.dimensions_from_crm:
                metadata |= {k: row[k] for k in ("segment", "industry", "region") if row[k]}
            if not account.by_crosswalk:
                metadata["salesforce_account_id"] = account.salesforce_id
                metadata["hubspot_company_id"] = account.hubspot_id
            created = row["created_at"] + f" {_hash('created', cid) % 24:02d}:15:00"
            deleted = _hash("deleted", cid) % 40 == 0
            self.tables["customer"].append(
                [cid, row["customer_name"], created, json.dumps(metadata), deleted]
            )

    def invoice_rows(self, first_subscription: dict[str, str]) -> None:
        for row in self.contract["invoices"]:
            cid, due = row["customer_id"], _day(row["due_date"])
            status, attempts, paid_at = "open", 0, None
            if row["status"] == "paid":
                status, attempts, paid_at = "paid", 1, f"{due}{TIME}"
            elif row["status"] == "failed":
                if _hash("failed", row["invoice_id"]) % 2:
                    status, attempts = "uncollectible", 4
                else:
                    attempts = 1  # open after a failed attempt
            elif row["status"] == "overdue" and not due < self.as_of:
                raise ValueError(f"invoice {row['invoice_id']} is overdue but due {due}")
            elif row["status"] == "open" and due < self.as_of:
                raise ValueError(f"invoice {row['invoice_id']} is open but was due {due}")
            self.tables["invoice"].append([
                row["invoice_id"], cid, first_subscription.get(cid), status,
                f"{due - timedelta(days=14)}{TIME}", f"{due}{TIME}",
                _minor(row["amount"], row["currency"]), row["currency"].lower(), attempts,
                paid_at,
            ])  # fmt: skip
            self.invoices[cid].append((due, row["invoice_id"]))
        for found in self.invoices.values():
            found.sort()

    def _invoice_for(self, cid: str, period_start: date) -> str:
        """The customer's invoice of a period: the last one due by two weeks after it."""
        found = self.invoices.get(cid)
        if not found:
            raise ValueError(f"customer {cid} has subscription items but no invoice")
        chosen = found[0][1]
        for due, invoice_id in found:
            if due <= period_start + timedelta(days=14):
                chosen = invoice_id
        return chosen

    # ---- prices
    def _price(self, chain: _Chain, version: _Version, seats_ever: bool) -> str:
        row = version.row
        interval, count = row["billing_interval"], int(row["interval_count"] or "1")
        if interval == "quarter":  # Stripe has no quarter: every 3 months (same MRR)
            interval, count = "month", 3 * count
        model, tier = row["pricing_model"], row["plan_tier"]
        fallback = "usage" if model == "usage" else ("seat" if seats_ever else "flat")
        if row["product"] == "analytics" and model == "flat":
            fallback = "flat"  # the product's metadata says flat
        h = _hash("price", chain.item_id)
        metadata = {}
        if model != fallback or h % 3 == 0:
            metadata["pricing_model"] = model
        nickname = f"{PRODUCTS[row['product']]} {ADVERBS[interval]}"
        if tier:
            if h % 2:
                metadata["plan_tier"] = tier
            else:
                nickname = f" {tier.title()} "  # matched to the plan_tiers seed, any case
        unit: int | None = version.net  # per unit and period (informational: lines count)
        if model == "seat":
            unit = round(version.net / max(version.quantity, 1))
        elif model == "usage":
            unit = None  # metered: the lines carry each month's amount
        key = (row["product"], row["currency"], interval, count, model == "usage",
               json.dumps(metadata, sort_keys=True), nickname, unit)  # fmt: skip
        if key not in self.prices:
            price_id = f"price_{len(self.prices) + 1:06d}"
            self.prices[key] = price_id
            self.tables["price"].append([
                price_id, f"prod_{row['product']}", row["currency"].lower(), nickname,
                json.dumps(metadata), "per_unit", interval, count,
                "metered" if model == "usage" else "licensed", unit,
            ])  # fmt: skip
        return self.prices[key]

    # ---- subscriptions, items and lines
    def subscriptions(self) -> dict[str, str]:
        """Every subscription with its history rows, items' invoice lines and discounts;
        returns each customer's first subscription id."""
        by_subscription: dict[str, list[Row]] = defaultdict(list)
        for row in self.contract["subscription_items"]:
            by_subscription[row["subscription_id"]].append(row)
        first: dict[str, str] = {}
        for sid in sorted(by_subscription):
            items = by_subscription[sid]
            cid = items[0]["customer_id"]
            first.setdefault(cid, sid)
            self._subscription(sid, cid, items)
        return first

    def _subscription(self, sid: str, cid: str, items: list[Row]) -> None:
        h = _hash("subscription", sid)
        start = min(_day(r["valid_from"]) for r in items)
        ends = [_day(r["valid_to"]) for r in items if r["valid_to"]]
        ended = len(ends) == len(items) and max(ends) <= self.as_of
        ended_at = max(ends) if ended else None
        at_period_end = ended and h % 3 == 0
        trial = h % 9 == 2
        trial_start = start - timedelta(days=14) if trial else None
        chains = _chains(sid, items)
        # Paid through: active items bill past as_of; every active item reaches this date.
        through = self.as_of + timedelta(days=1)
        for chain in chains:
            last = chain.versions[-1]
            if last.end is None:
                day = last.start
                while day <= self.as_of + timedelta(days=1):
                    day = _step(
                        day, last.row["billing_interval"], int(last.row["interval_count"] or 1)
                    )
                through = max(through, day)
        lines: list[tuple[_Chain, _Version, date, date, int]] = []  # chain, version, period
        for chain in chains:
            for k, version in enumerate(chain.versions):
                last_of_chain = k == len(chain.versions) - 1
                lines += [
                    (chain, version, a, b, version.net)
                    for a, b in self._periods(
                        version, through, ended_at, at_period_end, last_of_chain
                    )  # fmt: skip
                ]
        # Forever percent-off coupon: list amounts whose discount leaves the contract's
        # amount; only when every line of the subscription has one.
        percent = (10, 15, 20, 25)[h % 4]
        if h % 7 == 1:
            listed = [_list_amount(net, percent) for *_, net in lines]
            if all(amount is not None for amount in listed):
                self._discount(sid, cid, "forever", percent, trial_start or start, None)
                lines = [(c, v, a, b, amount) for (c, v, a, b, _), amount in
                         zip(lines, listed, strict=True)]  # fmt: skip
        elif h % 7 == 4:  # a repeating coupon: no effect on MRR by default
            self._discount(sid, cid, "repeating", percent, start, _add_months(start, 3))
        for chain in chains:
            seats_ever = any(v.quantity > 1 for v in chain.versions)
            for version in chain.versions:
                version.row["_price"] = self._price(chain, version, seats_ever)
        if trial and trial_start is not None:  # zero lines before the first paid period
            for chain in chains:
                version = chain.versions[0]
                if version.start == start:
                    self._line(cid, sid, chain, version, trial_start, start, 0)
        for chain, version, a, b, amount in lines:
            self._line(cid, sid, chain, version, a, b, amount)
        if h % 10 == 5 and len(lines) > 1:  # a proration line: never MRR
            chain, version, a, b, amount = lines[1]
            self._line(cid, sid, chain, version, a, b, amount // 3 + 1, proration=True)

        status = "canceled" if ended else ("past_due" if h % 13 == 0 else "active")
        canceled_at = None
        if ended_at is not None:
            canceled_at = ended_at - timedelta(days=10) if at_period_end else ended_at
            canceled_at = max(canceled_at, start)
        period_end = ended_at if ended_at is not None else through
        current = [
            sid, cid, status, True, f"{trial_start or start}{TIME}",
            f"{trial_start or start}{TIME}",
            f"{trial_start}{TIME}" if trial_start else None, f"{start}{TIME}" if trial else None,
            at_period_end, f"{canceled_at}{TIME}" if canceled_at else None,
            f"{ended_at}{TIME}" if ended_at else None,
            f"{_add_months(period_end, -1)}{TIME}", f"{period_end}{TIME}",
        ]  # fmt: skip
        earlier = list(current)  # the subscription as first synced: active, nothing ended
        earlier[2:4] = ["trialing" if trial else "active", False]
        earlier[8:11] = [False, None, None]
        earlier[11:13] = [f"{start}{TIME}", f"{_step(start, 'month', 1)}{TIME}"]
        self.tables["subscription_history"] += [earlier, current]

    def _periods(self, version: _Version, through: date, ended_at: date | None,
                 at_period_end: bool, last_of_chain: bool) -> list[tuple[date, date]]:  # fmt: skip
        """Billing periods of a version: stepped from valid_from, the last one cut at
        valid_to (a canceled subscription's last period runs on unless it was canceled at
        period end: ended_at cuts it); an active version bills up to `through`."""
        interval = version.row["billing_interval"]
        count = int(version.row["interval_count"] or "1")
        periods = []
        day = version.start
        end = version.end
        run_on = end is not None and end == ended_at and not at_period_end and last_of_chain
        while True:
            nxt = _step(day, interval, count)
            if end is None:
                periods.append((day, nxt))
                if nxt >= through:
                    return periods
            elif nxt >= end:
                periods.append((day, nxt if run_on else end))
                return periods
            else:
                periods.append((day, nxt))
            day = nxt

    def _line(self, cid: str, sid: str, chain: _Chain, version: _Version, a: date, b: date,
              amount: int, proration: bool = False) -> None:  # fmt: skip
        self.line_count += 1
        self.tables["invoice_line_item"].append([
            f"il_{self.line_count:08d}", self._invoice_for(cid, a), sid, chain.item_id,
            version.row["_price"], None, "subscription", proration, f"{a}{TIME}", f"{b}{TIME}",
            version.quantity, amount, version.row["currency"].lower(),
        ])  # fmt: skip

    def _discount(self, sid: str, cid: str, duration: str, percent: int, start: date,
                  end: date | None) -> None:  # fmt: skip
        coupon = f"{duration.upper()}{percent}"
        if coupon not in {c[0] for c in self.tables["coupon"]}:
            months = 3 if duration == "repeating" else None
            self.tables["coupon"].append([coupon, duration, months, float(percent), None, None])
        self.tables["subscription_discount"].append([
            f"di_{sid}", coupon, sid, cid, f"{start}{TIME}", f"{end}{TIME}" if end else None,
        ])  # fmt: skip

    # ---- rows every adapter must leave out
    def left_out(self) -> None:
        """A void invoice with a line, and an incomplete_expired subscription with a line,
        for a few customers; a one-off invoice item line."""
        for row in self.contract["customers"]:
            cid = row["customer_id"]
            if not self.invoices.get(cid) or not self.prices or _hash("void", cid) % 15:
                continue
            due, invoice_id = self.invoices[cid][0]
            self.tables["invoice"].append([
                f"{invoice_id}-VOID", cid, None, "void", f"{due}{TIME}", f"{due}{TIME}",
                99900, "usd", 0, None,
            ])  # fmt: skip
            sid = f"sub_incomplete_{cid}"
            self.tables["subscription_history"].append([
                sid, cid, "incomplete_expired", True, f"{due}{TIME}", f"{due}{TIME}", None, None,
                False, None, None, f"{due}{TIME}", f"{_add_months(due, 1)}{TIME}",
            ])  # fmt: skip
            price = next(iter(self.prices.values()))
            for k, (line_invoice, line_sid, kind) in enumerate((
                (f"{invoice_id}-VOID", sid, "subscription"),
                (invoice_id, sid, "subscription"),
                (invoice_id, None, "invoiceitem"),
            )):  # fmt: skip
                self.tables["invoice_line_item"].append([
                    f"il_x_{cid}_{k}", line_invoice, line_sid, f"si_x_{cid}", price, None, kind,
                    False, f"{due}{TIME}", f"{_add_months(due, 1)}{TIME}", 3, 99900, "usd",
                ])  # fmt: skip

    def products(self) -> None:
        for product, name in PRODUCTS.items():
            metadata = {"pricing_model": "flat"} if product == "analytics" else {}
            self.tables["product"].append([f"prod_{product}", name, json.dumps(metadata)])


def _stripe(out: Path, contract: dict[str, list[Row]], accounts: dict[str, _Account],
            as_of: date) -> dict[str, int]:  # fmt: skip
    stripe = _Stripe(contract, accounts, as_of)
    stripe.customers()
    # invoices first (lines name them), with each customer's first subscription
    first: dict[str, str] = {}
    for row in sorted(contract["subscription_items"], key=lambda r: r["subscription_id"]):
        first.setdefault(row["customer_id"], row["subscription_id"])
    stripe.invoice_rows(first)
    stripe.subscriptions()
    stripe.products()
    stripe.left_out()
    folder = out / "stripe"
    names = ("customer", "subscription_history", "price", "product", "invoice",
             "invoice_line_item", "coupon", "subscription_discount")  # fmt: skip
    return {
        str(folder / f"{name}.csv"): _write(folder, "stripe", name, stripe.tables[name])
        for name in names
    }


# ---------------------------------------------------------------------------------------
# CRM


def _stage_history(contract: dict[str, list[Row]]) -> dict[str, list[tuple[date, str]]]:
    history: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for row in contract["opportunity_stage_history"]:
        history[row["opportunity_id"]].append((_day(row["entered_at"]), row["stage"]))
    order = {stage: k for k, stage in enumerate(SALESFORCE_STAGES)}
    for entries in history.values():
        entries.sort(key=lambda e: (e[0], order[e[1]]))
    return history


def _owners(contract: dict[str, list[Row]]) -> dict[str, str]:
    names = sorted({row["owner"] for row in contract["opportunities"] if row["owner"]})
    return {name: f"{k:03d}" for k, name in enumerate(names, 1)}


def _salesforce_fx(fx_rates: list[Row]) -> tuple[list[list[object]], list[list[object]]]:
    """dated_conversion_rate rows whose 1 / conversion_rate is exactly the contract's
    rate, starting within each month (an earlier row of the same month superseded), and
    currency_type rows (USD corporate)."""
    by_currency: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for row in fx_rates:
        by_currency[row["currency"].upper()].append(
            (_day(row["month"]), float(row["rate_to_reporting"]))
        )
    dated: list[list[object]] = []
    types: list[list[object]] = []
    for currency, rates in sorted(by_currency.items()):
        rates.sort()
        starts: list[tuple[date, float]] = []
        for month, rate in rates:
            conversion = _inverse(rate)
            offset = _hash("fx", currency, month) % 4
            if offset == 3:  # a first rate of the month, superseded later that month
                starts.append((month, conversion * 1.5))
            starts.append((month + timedelta(days=offset), conversion))
        for k, (start, conversion) in enumerate(starts):
            nxt = starts[k + 1][0] if k + 1 < len(starts) else date(9999, 12, 31)
            dated.append([currency, conversion, start.isoformat(), nxt.isoformat()])
        types.append([currency, starts[-1][1], currency == "USD", True])
    return dated, types


def inverse(rate: float) -> float | None:
    """A conversion rate c with 1 / c == rate exactly, if one exists (1 / rate, nudged by a
    few ulps if need be): for some rates no double c gives them back."""
    down = up = 1 / rate
    if 1 / down == rate:
        return down
    for _ in range(8):
        down, up = math.nextafter(down, 0), math.nextafter(up, math.inf)
        for candidate in (down, up):
            if 1 / candidate == rate:
                return candidate
    return None


def _inverse(rate: float) -> float:
    found = inverse(rate)
    if found is None:
        raise ValueError(
            f"no Salesforce conversion rate gives back the rate {rate!r} (1 / c is never "
            "exactly it); the generator writes only rates that have one"
        )
    return found


def _salesforce(out: Path, contract: dict[str, list[Row]], accounts: dict[str, _Account],
                ) -> dict[str, int]:  # fmt: skip
    tables: dict[str, list[list[object]]] = defaultdict(list)
    for row in contract["customers"]:
        account = accounts[row["customer_id"]]
        tables["account"].append([
            account.salesforce_id, row["customer_name"], False,
            _display(row["segment"]), _display(row["industry"]), _display(row["region"]),
        ])  # fmt: skip
    owners = _owners(contract)
    tables["user"] = [[f"0055g{number}", name] for name, number in owners.items()]
    history = _stage_history(contract)
    count = 0
    for row in contract["opportunities"]:
        oid, h = row["opportunity_id"], _hash("opportunity", row["opportunity_id"])
        names = SALESFORCE_STAGES[row["stage"]]
        types = SALESFORCE_TYPES[row["opportunity_type"]]
        owner = f"0055g{owners[row['owner']]}" if row["owner"] else None
        tables["opportunity"].append([
            oid, accounts[row["customer_id"]].salesforce_id, types[h % len(types)],
            names[h % len(names)], f"{row['created_date']} 10:{h % 60:02d}:00",
            row["close_date"], owner, row["stage"] == "Closed Won",
            row["stage"] in ("Closed Won", "Closed Lost"), False, float(row["amount"]),
            row["currency"], EXPANSION_TYPES.get(row["expansion_type"], ""),
        ])  # fmt: skip
        entries = history[oid]
        for k, (entered, stage) in enumerate(entries):
            name = SALESFORCE_STAGES[stage][h % len(SALESFORCE_STAGES[stage])]
            count += 1
            tables["opportunity_history"].append([
                f"hist{count:08d}", oid, name, float(row["amount"]), row["close_date"],
                f"{entered} 09:{k:02d}:00", False,
            ])  # fmt: skip
            following = entries[k + 1][0] if k + 1 < len(entries) else None
            if _hash("amount change", oid, k) % 3 == 0 and (
                following is None or following > entered
            ):
                count += 1  # the amount changed, the stage did not: adds no stage entry
                tables["opportunity_history"].append([
                    f"hist{count:08d}", oid, name, round(float(row["amount"]) * 0.9, 2),
                    row["close_date"], f"{entered} 18:30:00", False,
                ])  # fmt: skip
    first = contract["opportunities"][0]
    account = accounts[first["customer_id"]].salesforce_id
    tables["opportunity"] += [
        [UNKNOWN_STAGE_OPPORTUNITY, account, "New Business", "Legal Review",  # quarantined
         f"{first['created_date']} 10:00:00", first["close_date"], None, False, False, False,
         1000.0, first["currency"], ""],
        ["006DELETED0000001", account, "Pipeline Review", "Legal Review",  # deleted: left out
         f"{first['created_date']} 10:00:00", first["close_date"], None, False, False, True,
         1000.0, first["currency"], ""],
    ]  # fmt: skip
    tables["opportunity_history"].append([
        "hist_unknown", UNKNOWN_STAGE_OPPORTUNITY, "Legal Review", 1000.0, first["close_date"],
        f"{first['created_date']} 10:00:00", False,
    ])  # fmt: skip
    tables["dated_conversion_rate"], tables["currency_type"] = _salesforce_fx(contract["fx_rates"])
    folder = out / "salesforce"
    return {
        str(folder / f"{name}.csv"): _write(folder, "salesforce", name, tables[name])
        for name in (
            "account",
            "opportunity",
            "opportunity_history",
            "user",
            "dated_conversion_rate",
            "currency_type",
        )  # fmt: skip
    }


def _hubspot(out: Path, contract: dict[str, list[Row]], accounts: dict[str, _Account],
             ) -> dict[str, int]:  # fmt: skip
    tables: dict[str, list[list[object]]] = defaultdict(list)
    for row in contract["customers"]:
        tables["company"].append([
            accounts[row["customer_id"]].hubspot_id, False, row["customer_name"],
            _display(row["segment"]), _display(row["industry"]), _display(row["region"]),
        ])  # fmt: skip
    owners = _owners(contract)
    for name, number in owners.items():
        first_name, _, last_name = name.partition(" ")
        tables["owner"].append([number, first_name, last_name])
    history = _stage_history(contract)
    for row in contract["opportunities"]:
        oid, h = row["opportunity_id"], _hash("deal", row["opportunity_id"])
        tables["deal"].append([
            oid, HUBSPOT_STAGES[row["stage"]], owners.get(row["owner"]), False,
            f"{row['created_date']}T10:{h % 60:02d}:00Z", f"{row['close_date']}T12:00:00Z",
            float(row["amount"]), HUBSPOT_TYPES[row["opportunity_type"]],
            EXPANSION_TYPES.get(row["expansion_type"], ""), row["currency"],
        ])  # fmt: skip
        tables["deal_company"].append([oid, accounts[row["customer_id"]].hubspot_id])
        for k, (entered, stage) in enumerate(history[oid]):
            tables["deal_stage"].append([oid, HUBSPOT_STAGES[stage], f"{entered}T09:{k:02d}:00Z"])
            if h % 4 == 0 and k == 0:  # the same stage entered again: collapses
                tables["deal_stage"].append([oid, HUBSPOT_STAGES[stage], f"{entered}T09:30:00Z"])
    first = contract["opportunities"][0]
    tables["deal"].append([
        UNKNOWN_STAGE_OPPORTUNITY, "legalreview", None, False, f"{first['created_date']}T10:00:00Z",
        f"{first['close_date']}T12:00:00Z", 1000.0, "newbusiness", "", first["currency"],
    ])  # fmt: skip
    tables["deal"].append([  # deleted: not a record, left out (never quarantined)
        "deleted-deal-1", "legalreview", None, True, f"{first['created_date']}T10:00:00Z",
        f"{first['close_date']}T12:00:00Z", 1000.0, "partnership", "", first["currency"],
    ])  # fmt: skip
    tables["deal_company"].append(
        [UNKNOWN_STAGE_OPPORTUNITY, accounts[first["customer_id"]].hubspot_id]
    )
    tables["deal_stage"].append(
        [UNKNOWN_STAGE_OPPORTUNITY, "legalreview", f"{first['created_date']}T10:00:00Z"]
    )
    tables["deal_pipeline_stage"] = [
        [stage_id, stage, stage.startswith("Closed"), stage == "Closed Won"]
        for stage, stage_id in HUBSPOT_STAGES.items()
    ]
    folder = out / "hubspot"
    return {
        str(folder / f"{name}.csv"): _write(folder, "hubspot", name, tables[name])
        for name in (
            "company",
            "deal",
            "deal_stage",
            "deal_pipeline_stage",
            "deal_company",
            "owner",
        )  # fmt: skip
    }


def export(out: Path, connectors: Sequence[str], as_of_date: date) -> dict[str, int]:
    """Write the connector tables of the contract files in `out`; rows written per file.

    `as_of_date` is the build's: open invoices due before it read as overdue in Stripe.
    """
    unknown = [c for c in connectors if c not in CONNECTORS]
    if unknown:
        raise ValueError(f"unknown connector format(s): {', '.join(unknown)}")
    needed = ("customers", "subscription_items", "invoices", "opportunities",
              "opportunity_stage_history", "fx_rates")  # fmt: skip
    contract = {name: _read(out, name) for name in needed}
    accounts = _accounts(contract["customers"])
    written: dict[str, int] = {}
    crosswalk = out / "customer_crosswalk.csv"
    with crosswalk.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["billing_customer_id", "crm_account_id"])
        rows = [[cid, a.salesforce_id] for cid, a in accounts.items() if a.by_crosswalk]
        writer.writerows(rows)
    written[str(crosswalk)] = len(rows)
    if "stripe" in connectors:
        written |= _stripe(out, contract, accounts, as_of_date)
    if "salesforce" in connectors:
        written |= _salesforce(out, contract, accounts)
    if "hubspot" in connectors:
        written |= _hubspot(out, contract, accounts)
    return written
