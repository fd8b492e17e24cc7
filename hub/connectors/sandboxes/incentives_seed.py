"""The incentive sandbox's programme: goals, SPIFs, claims, points and rewards per demo person.

Deterministic: each person's figures come from a generator seeded with their
email; dates count back from ``today``. Acme sells in USD, Globex in EUR,
Initech in AUD; Initech's people have done nothing for months, so their
current goals stand at zero and their last claims are old. The population's
people (:mod:`hub.demo.population`) claim as often as their org's story says,
and stand against their goals as it would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from babel.numbers import format_currency

from hub.demo.population import (
    Channel,
    Plan,
    Story,
    all_orgs,
    all_users,
    history_end,
    inactive,
    moments,
    quiet_for,
)

# A population person's share of each current goal, by the org's story (low, high).
GOAL_SHARE = {
    Story.STAR: (85, 160),
    Story.RAMPING: (40, 95),
    Story.DECLINING: (15, 45),
    Story.NO_DEAL: (0, 15),
    Story.SEASONAL: (10, 40),
}
GOALS = (
    ("REV", "Revenue", "money", 180_000, 420_000),
    ("NEW", "New logos", "units", 4, 12),
    ("REN", "Renewals booked", "money", 60_000, 150_000),
    ("ATT", "Services attach", "units", 5, 15),
    ("CRT", "Certified sellers", "units", 2, 6),
    ("PIP", "Pipeline created", "money", 300_000, 900_000),
    ("PTS", "Engagement points", "points", 2_000, 6_000),
)
SPIFFS = (
    (
        "Cloud Migration Accelerator",
        750,
        ("Register a cloud migration deal", "Close it this quarter"),
    ),
    ("Security Bundle Kicker", 400, ("Attach Security Essentials to a new deal",)),
    ("Net-New Logo Bonus", 1_000, ("Close a deal with a new customer", "Minimum 25,000 deal size")),
    ("Renewal Early Bird", 250, ("Renew 60 days before term end",)),
    ("Certification Sprint", 150, ("Pass the Solution Selling assessment",)),
    ("Year-End Push", 1_500, ("Close 3 deals", "Register each deal 30 days before close")),
    ("SMB Blitz", 200, ("Close 5 SMB deals",)),
    ("Data Platform Launch", 600, ("Demo the Data Platform to 3 customers", "Close 1 deal")),
    ("EMEA Expansion", 500, ("Close a deal in a new EMEA country",)),
    ("APAC Starter", 300, ("Register a first deal",)),
    ("Services Attach Booster", 350, ("Attach implementation services",)),
    ("Gold Tier Exclusive", 2_000, ("Reach 150% of the revenue goal",)),
    ("Referral Reward", 100, ("Refer a customer who buys",)),
    ("AI Assistant Pilot", 450, ("Run a pilot with 2 customers", "Log feedback")),
)
STATUSES = ("submitted", "in_review", "approved", "paid", "paid", "paid", "rejected")
REWARDS = (
    "Wireless headphones", "Coffee grinder", "Weekend hotel voucher", "Smart watch",
    "Backpack", "E-reader", "Conference pass", "Restaurant voucher", "Bluetooth speaker",
    "Fitness tracker", "Online course credit", "Charity donation", "Noise-cancelling earbuds",
    "Drone", "Camera", "Standing desk", "Monitor", "Mechanical keyboard", "Tablet",
    "Gift card 50", "Gift card 100", "Gift card 250", "Spa day", "Cooking class",
    "Airline miles", "Concert tickets", "Team lunch",
)  # fmt: skip


@dataclass(frozen=True)
class Programme:
    """Everything the incentive sandbox serves, in its API's own shapes."""

    name: str
    participants: dict[str, dict[str, Any]]
    goals: dict[str, list[dict[str, Any]]]
    spiffs: dict[str, list[dict[str, Any]]]
    claims: dict[str, list[dict[str, Any]]]
    rewards: list[dict[str, Any]]


def seed(today: date) -> Programme:
    """The demo programme; the same figures for the same ``today``."""
    now = history_end(today)
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    quarter_end = _quarter_end(quarter_start)
    orgs = {org.slug: org for org in all_orgs(today)}
    participants, goals, spiffs, claims = {}, {}, {}, {}
    people = [(user, orgs[user.org]) for user in all_users(today) if user.org]
    for number, (user, org) in enumerate(people, start=1001):
        draw = random.Random(f"incentives:{user.email}")  # noqa: S311 - seeded demo figures
        currency = org.currency
        quiet = timedelta(days=160) if org.dormant else quiet_for(org)
        seller = "sales_rep" in user.roles or "partner_owner" in user.roles
        dormant = inactive(org)
        participants[user.email] = {
            "id": f"P-{number}",
            "email": user.email,
            "name": user.name,
            "company": {"id": f"C-{org.slug.upper()}", "name": org.name, "tier": org.tier},
            "balance": {
                "points": draw.randint(800, 4_000) if dormant else draw.randint(6_000, 42_000),
                "as_of": _iso(now - quiet - timedelta(hours=draw.randint(1, 30))),
            },
        }
        goals[user.email] = _goals(
            draw, user.email, currency, quarter_start, quarter_end, dormant, seller, org.plan, today
        )
        spiffs[user.email] = _spiffs(draw, org, user.roles, currency, today)
        times = None
        if org.plan is not None:
            rate = None if seller else 0.3
            own = random.Random(f"incentives:claims:{user.email}")  # noqa: S311
            times = moments(org.plan, Channel.CLAIMS, today, own, rate)
        claims[user.email] = _claims(
            draw, now - quiet, currency, 23 if seller else 6, org.dormant, times
        )
    rewards = [
        {"sku": f"RW-{100 + i}", "title": title, "cost": {"points": 1_500 + 750 * ((i * 7) % 23)},
         "in_stock": i % 9 != 8}
        for i, title in enumerate(REWARDS)
    ]  # fmt: skip
    return Programme("Partner Rewards (sandbox)", participants, goals, spiffs, claims, rewards)


def _goals(
    draw: random.Random,
    email: str,
    currency: str,
    start: date,
    end: date,
    dormant: bool,
    seller: bool,
    plan: Plan | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:
    rows = []
    previous_start = _quarter_start(start - timedelta(days=1))
    for current, (first, last) in (
        (True, (start, end)),
        (False, (previous_start, start - timedelta(days=1))),
    ):
        for code, title, kind, low, high in GOALS if seller else GOALS[3:]:
            target = Decimal(draw.randrange(low, high, max(1, low // 10)))
            share = Decimal(0) if dormant and current else Decimal(draw.randint(25, 135)) / 100
            if current and plan is not None and plan.story in GOAL_SHARE:
                share = Decimal(draw.randint(*GOAL_SHARE[plan.story])) / 100
            achieved = (target * share).quantize(Decimal(1) if kind != "money" else Decimal("0.01"))
            unit = currency if kind == "money" else kind
            goal_id = f"G-{first:%Y%m}-{code}-{email.split('@')[0]}-{email.split('@')[1][:4]}"
            rows.append(
                {
                    "goal_id": goal_id,
                    "title": f"{title} ({_quarter_label(first)})",
                    "period": {
                        "start": first.isoformat(),
                        "end": last.isoformat(),
                        "current": current,
                    },
                    "target": {"value": f"{target:.2f}", "unit": unit},
                    "achieved": {"value": f"{achieved:.2f}", "unit": unit},
                    "progress": _progress(
                        goal_id,
                        first,
                        min(last, today or last),
                        achieved,
                        Decimal("0.01") if kind == "money" else Decimal(1),
                        plan.story if plan is not None else None,
                    ),
                }
            )
    return rows


# How a story's weeks weigh against each other, first week to last: a rising star or a
# ramping org earns more each week, a declining one less.
TREND_SLOPE = {Story.STAR: 0.08, Story.RAMPING: 0.15, Story.DECLINING: -0.06}


def _progress(
    goal_id: str, first: date, through: date, achieved: Decimal, step: Decimal, story: Story | None
) -> list[dict[str, str]]:
    """What the goal stood at by the end of each week of its period so far, and on
    ``through`` (today, for a current goal): the last point is ``achieved`` exactly, and no
    point is below the one before. Drawn from the goal's id alone, so adding the series
    moved none of the programme's other figures."""
    days = [first + timedelta(days=6 + 7 * n) for n in range((through - first).days // 7 + 1)]
    days = [day for day in days if day < through] + [through]
    own = random.Random(f"incentives:progress:{goal_id}")  # noqa: S311 - seeded demo figures
    slope = TREND_SLOPE.get(story, 0.0) if story is not None else 0.0
    weights = [max(0.05, own.uniform(0.4, 1.6) * (1 + slope * n)) for n in range(len(days))]
    total, running, points = sum(weights), 0.0, []
    for weight in weights:
        running += weight
        reached = (achieved * Decimal(running / total)).quantize(step, rounding=ROUND_DOWN)
        points.append(reached)
    points[-1] = achieved
    return [
        {"as_of": day.isoformat(), "achieved": f"{value:.2f}"}
        for day, value in zip(days, points, strict=True)
    ]


def _spiffs(
    draw: random.Random, org: Any, roles: tuple[str, ...], currency: str, today: date
) -> list[dict[str, Any]]:
    rows = []
    for number, (name, reward, requirements) in enumerate(SPIFFS, start=1):
        reasons = []
        if name.startswith("EMEA") and org.region != "EMEA":
            reasons.append("EMEA partners only")
        if name.startswith("APAC") and org.region != "APAC":
            reasons.append("APAC partners only")
        if name.startswith("Gold") and org.tier != "Gold":
            reasons.append("Gold tier only")
        if "sales_rep" not in roles and "partner_owner" not in roles:
            reasons.append("for sellers")
        opens = today - timedelta(days=draw.randint(5, 60))
        rows.append(
            {
                "id": number,
                "name": name,
                # As the program's (English-writing) vendor words it in the backend.
                "summary": "Earn "
                + format_currency(reward, currency, "¤#,##0", locale="en_US", currency_digits=False)
                + " per qualifying deal.",
                "eligibility": {"eligible": not reasons, "reasons": reasons},
                "payout": {"amount": f"{reward}.00", "currency": currency},
                "requirements": [{"text": text} for text in requirements],
                "window": {
                    "opens": opens.isoformat(),
                    "closes": (opens + timedelta(days=draw.randint(45, 120))).isoformat(),
                },
                "progress": 0 if org.dormant or reasons else round(draw.random(), 2),
            }
        )
    return rows


def _claims(
    draw: random.Random,
    latest: datetime,
    currency: str,
    count: int,
    dormant: bool,
    times: list[datetime] | None = None,
) -> list[dict[str, Any]]:
    """Claims newest first, walking back from ``latest``; or at ``times`` (a story's)."""
    rows = []
    moment = latest - timedelta(days=draw.randint(1, 6))
    ordered = sorted(times or (), reverse=True)
    for number in range((count if not dormant else 3) if times is None else len(ordered)):
        if times is not None:
            moment = ordered[number]
        status = (
            STATUSES[draw.randrange(len(STATUSES))]
            if number > 1
            else ("submitted", "in_review")[number]
        )
        updated = (
            moment + timedelta(days=draw.randint(1, 9)) if status not in ("submitted",) else None
        )
        rows.append(
            {
                "claim_no": f"CLM-{draw.randint(100_000, 999_999)}",
                "program": {
                    "id": draw.randint(1, len(SPIFFS)),
                    "name": SPIFFS[number % len(SPIFFS)][0],
                },
                "amount": {
                    "value": f"{draw.choice((150, 250, 400, 500, 750, 1000))}.00",
                    "currency": currency,
                },
                "state": status,
                "submitted": _iso(moment),
                "last_update": _iso(updated) if updated and updated < latest else None,
            }
        )
        moment -= timedelta(days=draw.randint(4, 16), hours=draw.randint(0, 20))
    return rows


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _quarter_end(start: date) -> date:
    following = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    return following - timedelta(days=1)


def _quarter_label(start: date) -> str:
    return f"Q{(start.month - 1) // 3 + 1} {start.year}"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
