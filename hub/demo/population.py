"""The demo program's wider population: about sixty partner orgs, each living one story.

The cast (:mod:`hub.demo.cast`) is who a visitor signs in as; the population is who
a channel manager analyses. Every org is drawn from a generator seeded with its
number, so every run has the same partners, and each has a *story*: how active it is
in each channel (deals, selling, marketing, leads, training, claims, sign-ins) on
any day of the last eighteen months. The sandboxes draw their records from
:func:`moments` and the hub computes everything it shows from what the connectors
return, so a partner "dormant because it registered no deal" is dormant on the
program pages only because the PRM sandbox holds no recent deal for it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache

from hub.demo.cast import ORGS, USERS, DemoOrg, DemoUser

HISTORY_DAYS = 540  # eighteen months of activity in every sandbox
ONBOARDING_DAYS = 30


class Story(StrEnum):
    STAR = "star"  # busy everywhere, and growing
    RAMPING = "ramping"  # joined this year, more active every month
    STEADY = "steady"
    STALLED_ONBOARDING = "stalled_onboarding"  # joined months ago, never started
    STALLED_TRAINING = "stalled_training"  # started courses, finished none, no deal
    QUIET = "quiet"  # active until some months ago, then nothing at all
    NO_DEAL = "no_deal"  # markets and learns, but has registered no deal for months
    DECLINING = "declining"  # deal flow falling quarter on quarter
    SEASONAL = "seasonal"  # pauses at this time every year, and comes back
    NEW = "new"  # recruited in the last weeks


class Channel(StrEnum):
    DEALS = "deals"
    SELLING = "selling"  # calls, tasks and meetings logged on the partner's account
    MARKETING = "marketing"  # vendor campaigns sent on to the partner's customers
    LEADS = "leads"
    TRAINING = "training"
    CLAIMS = "claims"
    SIGN_INS = "sign_ins"


@dataclass(frozen=True)
class Plan:
    """One population org's story and its parameters."""

    story: Story
    joined: date
    quiet_days: int = 0  # QUIET: days since the last activity; SEASONAL: days into the pause
    scale: float = 1.0  # how busy it is when it is busy


# (story, how many, tier choices); a program looks like this: few stars, many steady.
STORIES = (
    (Story.STAR, 5, ("Gold", "Platinum")),
    (Story.RAMPING, 7, ("Registered", "Silver")),
    (Story.STEADY, 14, ("Silver", "Gold", "Registered")),
    (Story.STALLED_ONBOARDING, 5, ("Registered",)),
    (Story.STALLED_TRAINING, 5, ("Registered",)),
    (Story.QUIET, 6, ("Silver", "Registered")),
    (Story.NO_DEAL, 5, ("Silver", "Registered")),
    (Story.DECLINING, 4, ("Gold", "Silver")),
    (Story.SEASONAL, 3, ("Silver",)),
    (Story.NEW, 3, ("Registered",)),
)
REGIONS = (
    ("North America", "USD"),
    ("EMEA", "EUR"),
    ("EMEA", "GBP"),
    ("APAC", "AUD"),
    ("LATAM", "USD"),
)
TYPES = ("Reseller", "Reseller", "Managed Service Provider", "System Integrator", "Referral")
FIRST_WORDS = (
    "Northwind", "Bluepeak", "Ironbridge", "Silverline", "Redwood", "Brightpath", "Cobalt",
    "Evergreen", "Falcon", "Granite", "Harbor", "Juniper", "Keystone", "Lighthouse", "Meridian",
    "Nimbus", "Orchard", "Pinnacle", "Quartz", "Riverside", "Summit", "Tidewater", "Uplink",
    "Vantage", "Westgate", "Zenith", "Aurora", "Beacon", "Cascade", "Delta", "Alder", "Birch",
    "Crest", "Driftwood", "Ember", "Fjord", "Glacier", "Highland", "Indigo", "Jade", "Kestrel",
    "Lantern", "Maple", "Nova", "Onyx", "Prairie", "Quill", "Ridge", "Sable", "Timber", "Vertex",
    "Willow", "Atlas", "Clearwater", "Horizon", "Copperleaf", "Sterling", "Bramble",
)  # fmt: skip
SECOND_WORDS = (
    "Systems", "Solutions", "Networks", "Consulting", "Technologies", "Partners", "Digital",
    "IT Services", "Cloud", "Group",
)  # fmt: skip
PEOPLE_FIRST = (
    "Amara", "Bjorn", "Carla", "Daniel", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Keiko", "Liam", "Maya", "Noah", "Olga", "Pablo", "Ruth", "Stefan", "Tomas", "Uma",
    "Victor", "Wen", "Yara", "Zoe",
)  # fmt: skip
PEOPLE_LAST = (
    "Abbott", "Brandt", "Costa", "Dalton", "Engel", "Flores", "Gupta", "Hansen", "Ibsen",
    "Jansen", "Kim", "Lopez", "Meyer", "Nakamura", "Olsen", "Park", "Quinn", "Reyes",
    "Schmidt", "Tanaka", "Vogel", "Walsh", "Young", "Ziegler",
)  # fmt: skip
ROLES = (
    ("partner_owner", "Owner"),
    ("sales_rep", "Account Executive"),
    ("marketer", "Marketing Manager"),
    ("sales_rep", "Sales Engineer"),
    ("support", "Support Lead"),
)
# Records per month in each channel for a partner at full activity (scale 1).
RATES = {
    Channel.DEALS: 2.0,
    Channel.SELLING: 8.0,
    Channel.MARKETING: 2.0,
    Channel.LEADS: 5.0,
    Channel.TRAINING: 0.6,  # course starts per person
    Channel.CLAIMS: 1.2,  # per seller
    Channel.SIGN_INS: 6.0,  # per person
}
PERSON_CHANNELS = (Channel.TRAINING, Channel.CLAIMS, Channel.SIGN_INS)


def plans(today: date) -> list[tuple[int, Story, str, Plan]]:
    """Every population org's number, story, tier and plan, for ``today``."""
    found = []
    number = 0
    for story, count, tiers in STORIES:
        for index in range(count):
            number += 1
            draw = random.Random(f"population:{number}")  # noqa: S311 - demo figures
            found.append((number, story, tiers[index % len(tiers)], _plan(story, today, draw)))
    return found


def _plan(story: Story, today: date, draw: random.Random) -> Plan:
    months = {
        Story.RAMPING: (5, 10),
        Story.STALLED_ONBOARDING: (3, 8),
        Story.STALLED_TRAINING: (4, 9),
        Story.NEW: (0, 0),
        Story.SEASONAL: (14, 16),  # joined before last year's pause
    }.get(story, (9, 16))
    # Everyone joined within the eighteen months the sandboxes hold, so each partner's
    # whole journey, from joining to its first deal, is in the data.
    joined = today - timedelta(days=30 * draw.randint(*months) + draw.randint(0, 27))
    if story == Story.NEW:
        joined = today - timedelta(days=draw.randint(12, 45))
    quiet = {
        Story.QUIET: draw.randint(70, 220),
        Story.SEASONAL: draw.randint(48, 62),
    }.get(story, 0)
    scale = {Story.STAR: 2.6, Story.STEADY: draw.uniform(0.7, 1.2)}.get(story, 1.0)
    return Plan(story, joined, quiet, round(scale * draw.uniform(0.85, 1.15), 2))


def intensity(plan: Plan, channel: Channel, day: date, today: date) -> float:
    """How active the org is in ``channel`` on ``day`` (0: not at all; 1: at its usual rate)."""
    if day < plan.joined or day > today:
        return 0.0
    age = (day - plan.joined).days
    ago = (today - day).days
    ramp_in = min(1.0, 0.25 + age / 90)  # nobody is at full speed in their first months
    story = plan.story
    if story == Story.STALLED_ONBOARDING:
        return 0.0
    if story == Story.STALLED_TRAINING:
        # Signed in and started courses in the first months; nothing else.
        return {Channel.SIGN_INS: 0.5, Channel.TRAINING: 1.5}.get(channel, 0.0) * (age < 75)
    if story == Story.QUIET and ago < plan.quiet_days:
        return 0.0
    # The first weeks are onboarding: courses first, selling after.
    if age < ONBOARDING_DAYS:
        return {Channel.TRAINING: 3.0, Channel.SIGN_INS: 1.5}.get(channel, 0.0)
    # A seasonal pause began ``quiet_days`` ago and lasts three weeks more; a year ago too.
    if story == Story.SEASONAL and any(-21 <= ago - o <= plan.quiet_days for o in (0, 365)):
        return 0.0
    if story == Story.NO_DEAL and channel == Channel.DEALS and ago < 170:
        return 0.0
    if story == Story.DECLINING and channel in (Channel.DEALS, Channel.SELLING):
        # Usual flow until half a year ago, then falling to a trickle.
        return plan.scale * (1.3 if ago > 180 else 0.15 + 1.15 * (ago / 180) ** 2)
    if story == Story.RAMPING:
        return plan.scale * min(1.6, 0.1 + age / 120)
    if story == Story.STAR:
        return plan.scale * ramp_in * (0.8 + 0.4 * (1 - ago / HISTORY_DAYS))
    if story == Story.NEW:
        return {Channel.SIGN_INS: 1.5, Channel.TRAINING: 2.0}.get(channel, 0.3)
    return plan.scale * ramp_in


def history_end(today: date) -> datetime:
    """Where the sandboxes' histories end: the start of ``today`` (UTC). The same for a
    whole day, so the data is deterministic, and never later than the moment the demo
    starts, so nothing a sandbox holds lies in the future."""
    return datetime.combine(today, time(0), UTC)


def moments(
    plan: Plan, channel: Channel, today: date, draw: random.Random, rate: float | None = None
) -> list[datetime]:
    """When the org (or one person, for per-person channels) did something in ``channel``:
    a Poisson draw per day at ``rate`` a month times the story's intensity, oldest first."""
    per_day = (RATES[channel] if rate is None else rate) / 30
    found = []
    for ago in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=ago)
        expected = per_day * intensity(plan, channel, day, today)
        for _ in range(_poisson(draw, expected)):
            moment = datetime.combine(day, time(8), UTC) + timedelta(minutes=draw.randint(0, 600))
            found.append(moment)
    return sorted(found)


def quiet_for(org: DemoOrg) -> timedelta:
    """How long ago a population org last did anything (gone quiet, or in its seasonal
    pause): its records all end that long ago."""
    plan = org.plan
    paused = plan is not None and plan.story in (Story.QUIET, Story.SEASONAL)
    return timedelta(days=plan.quiet_days) if plan and paused else timedelta(0)


def inactive(org: DemoOrg) -> bool:
    """The cast's dormant org, or a population org that has not done anything for long."""
    if org.plan is None:
        return org.dormant
    return org.plan.story in (Story.QUIET, Story.STALLED_ONBOARDING, Story.STALLED_TRAINING)


def _poisson(draw: random.Random, expected: float) -> int:
    """A Poisson-distributed count (Knuth's method; the expectations here are small)."""
    if expected <= 0:
        return 0
    limit, count, product = math.exp(-expected), 0, draw.random()
    while product > limit:
        count += 1
        product *= draw.random()
    return count


def names(count: int) -> list[str]:
    """``count`` distinct company names (at most one per first word), always the same ones."""
    draw = random.Random("population:names")  # noqa: S311
    firsts = list(FIRST_WORDS)
    draw.shuffle(firsts)
    return [f"{first} {draw.choice(SECOND_WORDS)}" for first in firsts[:count]]


@dataclass(frozen=True)
class Population:
    orgs: tuple[DemoOrg, ...]
    users: tuple[DemoUser, ...]


@lru_cache(maxsize=4)
def population(today: date) -> Population:
    """The population as of ``today``: its orgs (each with its plan) and their people."""
    orgs: list[DemoOrg] = []
    users: list[DemoUser] = []
    chosen = plans(today)
    for (number, story, tier, plan), name in zip(chosen, names(len(chosen)), strict=True):
        draw = random.Random(f"population:org:{number}")  # noqa: S311
        region, currency = REGIONS[draw.randrange(len(REGIONS))]
        slug = name.lower().replace(" ", "-")
        domain = f"{slug}.example"
        orgs.append(
            DemoOrg(
                slug, name, tier, region, draw.choice(TYPES), domain,
                currency=currency, plan=plan,
            )
        )  # fmt: skip
        for role, title in ROLES[: draw.randint(2, 4) if story != Story.STAR else 5]:
            first, last = draw.choice(PEOPLE_FIRST), draw.choice(PEOPLE_LAST)
            local = {"partner_owner": "owner", "sales_rep": "rep"}.get(role, role)
            taken = sum(1 for u in users if u.org == slug and u.email.startswith(local))
            email = f"{local}{taken + 1 if taken else ''}@{domain}"
            locale = "de" if currency == "EUR" and draw.random() < 0.5 else "en"
            users.append(DemoUser(email, f"{first} {last}", (role,), slug, locale, title))
    return Population(tuple(orgs), tuple(users))


def all_orgs(today: date) -> tuple[DemoOrg, ...]:
    """The cast's orgs, then the population's."""
    return ORGS + population(today).orgs


def all_users(today: date) -> tuple[DemoUser, ...]:
    """The cast's people, then the population's."""
    return USERS + population(today).users
