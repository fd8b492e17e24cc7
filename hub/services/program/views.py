"""Program insight for the vendor's side, read from the activity log: what the pages show.

Scores are relative to the whole program (full marks are its 90th percentile), so every
partner is measured against every other; what a caller sees is scoped: an administrator
sees every partner, a channel manager the partners they are the field contact for.
Figures are computed on each call from the activity log (the sync keeps it fed from the
backends); summary tables the worker keeps are the step for programs of thousands.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import ActivityEvent, Database, PartnerOrg, User
from hub.db.engagement import ProgramSetting
from hub.db.models import FieldContact
from hub.personas.catalogue import roles
from hub.services.program import insight
from hub.services.program.config import ProgramConfig, program_config
from hub.services.program.insight import Dormancy, Event, History, Score, Snooze, Value

HISTORY_DAYS = 800  # two years and a little: revenue growth compares two years
SNOOZE_KEY = "program_snoozes"
MAX_SNOOZE_DAYS = 180
STAR_SHARE = 0.1


class NotYours(LookupError):
    """The partner does not exist or is not one the caller may see (one answer for both)."""


@dataclass(frozen=True)
class PartnerInsight:
    """Everything the list and a partner's page say about one partner."""

    history: History
    score: Score
    stage: str
    stage_dates: dict[str, datetime | None]
    dormancy: Dormancy
    value: Value
    owners: tuple[str, ...]
    star: bool = False

    @property
    def slug(self) -> str:
        return self.history.slug


@dataclass(frozen=True)
class Common:
    """What a group of partners did: courses, campaigns, days to the first won deal."""

    partners: int
    courses: float | None
    campaigns: float | None
    days_to_first_win: float | None


@dataclass(frozen=True)
class Program:
    """The whole program as one caller may see it."""

    now: datetime
    config: ProgramConfig
    scale: insight.Norms
    partners: tuple[PartnerInsight, ...]
    funnel: insight.Funnel
    activation: tuple[insight.ActivationPoint, ...]
    cohorts: tuple[insight.Cohort, ...]
    stars: Common
    stalled: Common

    def counts(self) -> dict[str, int]:
        found = {"dormant": 0, "at_risk": 0, "active": 0}
        for partner in self.partners:
            found[partner.dormancy.status] += 1
        return found

    def score_buckets(self) -> list[tuple[str, int]]:
        edges = (0, 20, 40, 60, 80, 101)
        return [
            (
                f"{low}–{min(high, 100)}",
                sum(1 for p in self.partners if low <= p.score.total < high),
            )
            for low, high in pairwise(edges)
        ]

    def movers(self, limit: int = 5) -> tuple[list[PartnerInsight], list[PartnerInsight]]:
        ordered = sorted(self.partners, key=lambda p: p.score.moved)
        up = [p for p in reversed(ordered) if p.score.moved > 0][:limit]
        down = [p for p in ordered if p.score.moved < 0][:limit]
        return up, down


def _amount(payload: dict[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(payload["amount"])) if "amount" in payload else None
    except (InvalidOperation, TypeError):
        return None


async def histories(session: AsyncSession, now: datetime) -> list[History]:
    """Every partner org with its events of the last two years, oldest first."""
    orgs = (await session.scalars(select(PartnerOrg).order_by(PartnerOrg.name))).all()
    rows = await session.execute(
        select(
            ActivityEvent.partner_org_id,
            ActivityEvent.kind,
            ActivityEvent.occurred_at,
            ActivityEvent.user_id,
            ActivityEvent.object,
            ActivityEvent.payload,
        )
        .where(
            ActivityEvent.partner_org_id.is_not(None),
            ActivityEvent.occurred_at > now - timedelta(days=HISTORY_DAYS),
            ActivityEvent.occurred_at <= now,
        )
        .order_by(ActivityEvent.occurred_at, ActivityEvent.id)
    )
    events: dict[int, list[Event]] = {}
    for org_id, kind, at, user_id, obj, payload in rows.all():
        data = payload or {}
        events.setdefault(int(org_id), []).append(
            Event(kind, at, user_id, obj or "", _amount(data), str(data.get("currency", "")))
        )
    # Joined: when any backend first saw the partner, or when the hub did if that is earlier.
    return [
        History(
            org.id,
            org.slug,
            org.name,
            org.tier,
            org.region,
            org.partner_type,
            min([org.created_at, *(e.at for e in events.get(org.id, [])[:1])]),
            tuple(events.get(org.id, ())),
        )
        for org in orgs
    ]


async def visible_orgs(session: AsyncSession, user_id: int) -> frozenset[int] | None:
    """The partner org ids ``user_id`` may see; ``None`` for every one (administrators)."""
    user = await session.get(User, user_id)
    if user is None or user.partner_org_id is not None:
        return frozenset()
    if roles().admin.intersection(user.roles or []):
        return None
    contacts = (
        await session.scalars(
            select(FieldContact.partner_org_id).where(
                FieldContact.role == "channel_manager",
                FieldContact.email == user.email,
            )
        )
    ).all()
    if any(org_id is None for org_id in contacts):  # the field contact of every partner
        return None
    return frozenset(int(org_id) for org_id in contacts if org_id is not None)


async def _owners(session: AsyncSession) -> dict[int | None, list[str]]:
    rows = (
        await session.execute(
            select(FieldContact.partner_org_id, FieldContact.name).where(
                FieldContact.role == "channel_manager"
            )
        )
    ).all()
    owners: dict[int | None, list[str]] = {}
    for org_id, name in rows:
        owners.setdefault(org_id, []).append(name)
    return owners


async def snoozes(session: AsyncSession) -> dict[str, Snooze]:
    row = await session.get(ProgramSetting, SNOOZE_KEY)
    found: dict[str, Snooze] = {}
    for slug, data in (row.value if row else {}).items():
        found[slug] = Snooze(datetime.fromisoformat(data["until"]), data["reason"], data["by"])
    return found


async def snooze_partner(
    session: AsyncSession, slug: str, *, days: int, reason: str, by: str, now: datetime
) -> Snooze:
    """Stop flagging ``slug`` for ``days`` days, with the manager's reason."""
    if not 1 <= days <= MAX_SNOOZE_DAYS:
        raise ValueError(f"days: 1 to {MAX_SNOOZE_DAYS}")
    reason = reason.strip()
    if not reason or len(reason) > 300:
        raise ValueError("reason: say why, in at most 300 characters")
    row = await session.get(ProgramSetting, SNOOZE_KEY)
    if row is None:
        row = ProgramSetting(key=SNOOZE_KEY, value={})
        session.add(row)
    snooze = Snooze(now + timedelta(days=days), reason, by)
    row.value = {
        **row.value,
        slug: {"until": snooze.until.isoformat(), "reason": reason, "by": by},
    }
    return snooze


def _common(partners: Sequence[PartnerInsight]) -> Common:
    def mean(values: list[float]) -> float | None:
        return statistics.fmean(values) if values else None

    firsts = [
        won - p.history.joined_at
        for p in partners
        if (won := p.stage_dates.get("first_deal_won")) is not None
    ]
    return Common(
        len(partners),
        mean([float(len(p.history.of(insight.TRAINING_KINDS))) for p in partners]),
        mean([float(len(p.history.of(["campaign_redistributed"]))) for p in partners]),
        statistics.median([d.total_seconds() / 86_400 for d in firsts]) if firsts else None,
    )


def _stars(partners: Sequence[PartnerInsight]) -> set[str]:
    """The top tenth by revenue, growth, score and training together (ranks summed)."""
    if not partners:
        return set()

    def rank(key: Any) -> dict[str, int]:
        ordered = sorted(partners, key=key, reverse=True)
        return {p.slug: index for index, p in enumerate(ordered)}

    ranks = [
        rank(lambda p: p.value.revenue),
        rank(lambda p: p.value.revenue - p.value.revenue_before),
        rank(lambda p: p.score.total),
        rank(lambda p: len(p.history.of(insight.TRAINING_KINDS))),
    ]
    earning = [p for p in partners if p.value.revenue > 0]
    ordered = sorted(earning, key=lambda p: sum(r[p.slug] for r in ranks))
    return {p.slug for p in ordered[: max(1, round(len(partners) * STAR_SHARE))]}


async def program(db: Database, user_id: int, now: datetime) -> Program:
    """The program as ``user_id`` may see it, computed now."""
    async with db.session() as session:
        config = await program_config(session)
        everyone = await histories(session, now)
        visible = await visible_orgs(session, user_id)
        owners = await _owners(session)
        snoozed = await snoozes(session)
    scale = insight.norms(everyone, config, now)
    shown = [h for h in everyone if visible is None or h.org_id in visible]
    partners = [
        PartnerInsight(
            history,
            insight.score(history, config, scale, now),
            insight.current_stage(dates := insight.stage_dates(history, config.stages)),
            dates,
            insight.dormancy(history, config, now, snoozed.get(history.slug)),
            insight.value(history, now, config.rates),
            tuple(owners.get(history.org_id, []) + owners.get(None, [])),
        )
        for history in shown
    ]
    stars = _stars(partners)
    partners = [
        PartnerInsight(
            p.history, p.score, p.stage, p.stage_dates, p.dormancy, p.value, p.owners,
            p.slug in stars,
        )
        for p in partners
    ]  # fmt: skip
    stalled = [p for p in partners if p.dormancy.status != "active"]
    return Program(
        now,
        config,
        scale,
        tuple(partners),
        insight.funnel(shown, config.stages),
        tuple(insight.activation_trend(shown, config.activation, now)),
        tuple(insight.cohorts(shown, config.activation)),
        _common([p for p in partners if p.star]),
        _common(stalled),
    )


def partner_of(found: Program, slug: str) -> PartnerInsight:
    """One partner of the caller's program; :class:`NotYours` for any other key."""
    for partner in found.partners:
        if partner.slug == slug:
            return partner
    raise NotYours(slug)


@dataclass(frozen=True)
class Person:
    """One of a partner's people: their events in the last 90 days and the latest."""

    name: str
    email: str
    events: int
    last_at: datetime | None


async def people_of(db: Database, org_id: int, now: datetime) -> list[Person]:
    since = now - timedelta(days=90)
    async with db.session() as session:
        users = (
            await session.scalars(
                select(User).where(User.partner_org_id == org_id).order_by(User.name)
            )
        ).all()
        rows = (
            await session.execute(
                select(ActivityEvent.user_id, ActivityEvent.occurred_at).where(
                    ActivityEvent.partner_org_id == org_id,
                    or_(ActivityEvent.occurred_at > since, ActivityEvent.kind == "sign_in"),
                )
            )
        ).all()
    counts: dict[int, int] = {}
    last: dict[int, datetime] = {}
    for uid, at in rows:
        if uid is None:
            continue
        if at > since:
            counts[uid] = counts.get(uid, 0) + 1
        last[uid] = max(last.get(uid, at), at)
    return [Person(u.name or u.email, u.email, counts.get(u.id, 0), last.get(u.id)) for u in users]


def score_over_time(found: Program, partner: PartnerInsight) -> list[tuple[str, float]]:
    """The partner's score at each of the last twelve month ends, on today's scale."""
    return [
        (
            end.strftime("%Y-%m"),
            insight.score(partner.history, found.config, found.scale, end).total,
        )
        for end in insight.month_ends(found.now, 12)
    ]
