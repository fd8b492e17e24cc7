"""Program insight for the vendor's side: what the pages show, read from the summaries.

Scores are relative to the whole program (full marks are its 90th percentile), so every
partner is measured against every other; what a caller sees is scoped: an administrator
sees every partner, a channel manager the partners they are the field contact for.
Figures come from the summaries the worker keeps (:mod:`.summaries`, computed from the
activity log the sync feeds from the backends); a partner the worker has not reached yet
is summarised in memory, so a page is never missing anyone.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.db import Database, PartnerOrg, User
from hub.db.engagement import ProgramSetting
from hub.db.timeline import AssignmentChange
from hub.personas.catalogue import roles
from hub.services.handover import assignment
from hub.services.program import insight, summaries
from hub.services.program.config import (
    SETTING_KEY,
    ProgramConfig,
    parse_config,
    program_config,
)
from hub.services.program.insight import Dormancy, History, Score, Snooze, Summary, Value

SNOOZE_KEY = "program_snoozes"
MAX_SNOOZE_DAYS = 180
STAR_SHARE = 0.1


class NotYours(LookupError):
    """The partner does not exist or is not one the caller may see (one answer for both)."""


@dataclass(frozen=True)
class Org:
    """Who a partner is, from the hub's own record of it."""

    id: int
    slug: str
    name: str
    tier: str
    region: str
    partner_type: str


@dataclass(frozen=True)
class PartnerInsight:
    """Everything the list and a partner's page say about one partner."""

    org: Org
    summary: Summary
    score: Score
    stage: str
    dormancy: Dormancy  # with any snooze applied
    owners: tuple[str, ...]
    star: bool = False

    @property
    def slug(self) -> str:
        return self.org.slug

    @property
    def joined_at(self) -> datetime:
        return self.summary.joined_at

    @property
    def stage_dates(self) -> dict[str, datetime | None]:
        return self.summary.stage_dates

    @property
    def value(self) -> Value:
        return self.summary.value


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
    # When the oldest figure shown was computed (None: all computed for this page), and
    # how many partners' figures predate the settings in force (a recompute is due).
    computed_at: datetime | None = None
    outdated: int = 0

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


async def visible_orgs(session: AsyncSession, user_id: int) -> frozenset[int] | None:
    """The partner org ids ``user_id`` may see; ``None`` for every one (administrators)."""
    return await _visible_to(session, await session.get(User, user_id))


async def _visible_to(session: AsyncSession, user: User | None) -> frozenset[int] | None:
    if user is None or user.partner_org_id is not None:
        return frozenset()
    if roles().admin.intersection(user.roles or []):
        return None
    # The PRM's field contacts by default; a reassignment in the hub overrides them.
    return await assignment.managed_by(session, user.email)


async def _owners(session: AsyncSession) -> dict[int, list[str]]:
    return {
        org_id: [name for _, name in managers]
        for org_id, managers in (await assignment.managers_of(session)).items()
    }


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
        won - p.joined_at
        for p in partners
        if (won := p.stage_dates.get("first_deal_won")) is not None
    ]
    return Common(
        len(partners),
        mean([float(p.summary.trainings) for p in partners]),
        mean([float(p.summary.campaigns) for p in partners]),
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
        rank(lambda p: p.summary.trainings),
    ]
    earning = [p for p in partners if p.value.revenue > 0]
    ordered = sorted(earning, key=lambda p: sum(r[p.slug] for r in ranks))
    return {p.slug for p in ordered[: max(1, round(len(partners) * STAR_SHARE))]}


# Programs computed lately, by everything they were computed from; reused for a minute
# at most (a new event reaches a page through the worker's summaries anyway).
_programs: dict[tuple[Any, ...], tuple[float, Program]] = {}
PROGRAM_REUSE_S = 60.0
PROGRAMS_KEPT = 32


async def program(db: Database, user_id: int, now: datetime) -> Program:
    """The program as ``user_id`` may see it, from the summaries (filled in where missing)."""
    # What the kept copy depends on, in one statement: the settings, the caller's row, and
    # what changes with any summary, partner org or reassignment.
    setting, snoozed = aliased(ProgramSetting), aliased(ProgramSetting)
    count, latest = summaries.version_reads()
    query = (
        select(
            setting,
            snoozed,
            User,
            count,
            latest,
            select(func.count(PartnerOrg.id)).scalar_subquery(),
            select(func.max(PartnerOrg.id)).scalar_subquery(),
            select(func.max(AssignmentChange.id)).scalar_subquery(),  # owners shown
        )
        .select_from(select(literal(1).label("one")).subquery())
        .outerjoin(setting, setting.key == SETTING_KEY)
        .outerjoin(snoozed, snoozed.key == SNOOZE_KEY)
        .outerjoin(User, User.id == user_id)
    )
    async with db.session() as session:
        row = (await session.execute(query)).one()
        config = ProgramConfig() if row[0] is None else parse_config(row[0].value)
        visible = await _visible_to(session, row[2])
        key = (
            id(db),
            summaries.version_of(row[3], row[4], config),
            (row[5], row[6]),
            visible,
            json.dumps(row[1].value if row[1] else {}, sort_keys=True),
            row[7],
        )
        kept_program = _programs.get(key)
        if kept_program is not None and time.monotonic() < kept_program[0]:
            return kept_program[1]
        found_program = await _compute(session, config, visible, now)
    if len(_programs) >= PROGRAMS_KEPT:
        _programs.pop(min(_programs, key=lambda k: _programs[k][0]))
    _programs[key] = (time.monotonic() + PROGRAM_REUSE_S, found_program)
    return found_program


async def whole_program(db: Database, now: datetime) -> Program:
    """Every partner, computed afresh (the weekly digest splits it by manager)."""
    async with db.session() as session:
        return await _compute(session, await program_config(session), None, now)


async def _compute(
    session: AsyncSession, config: ProgramConfig, visible: frozenset[int] | None, now: datetime
) -> Program:
    orgs = (await session.scalars(select(PartnerOrg).order_by(PartnerOrg.name))).all()
    stored = await summaries.load(session, config)
    missing = [org.id for org in orgs if org.id not in stored]
    fresh = {
        history.org_id: insight.summarize(history, config, now)
        for history in (await summaries.histories(session, now, missing) if missing else [])
    }
    owners = await _owners(session)
    snoozed = await snoozes(session)
    found = {org_id: kept.summary for org_id, kept in stored.items()} | fresh
    scale = insight.norms([found[org.id] for org in orgs], config)
    shown = [org for org in orgs if visible is None or org.id in visible]
    partners = []
    for row in shown:
        summary = found[row.id]
        partners.append(
            PartnerInsight(
                Org(row.id, row.slug, row.name, row.tier, row.region, row.partner_type),
                summary,
                insight.score(summary, config, scale),
                insight.current_stage(summary.stage_dates),
                insight.with_snooze(summary.dormancy, snoozed.get(row.slug), now),
                tuple(owners.get(row.id, [])),
            )
        )
    stars = _stars(partners)
    partners = [replace(p, star=p.slug in stars) for p in partners]
    stalled = [p for p in partners if p.dormancy.status != "active"]
    moments = [(p.joined_at, p.summary.activated_at) for p in partners]
    kept = [stored[org.id] for org in shown if org.id in stored]
    return Program(
        now,
        config,
        scale,
        tuple(partners),
        insight.funnel_of([p.stage_dates for p in partners], config.stages),
        tuple(insight.activation_trend_of(moments, now)),
        tuple(insight.cohorts_of(moments)),
        _common([p for p in partners if p.star]),
        _common(stalled),
        min((k.computed_at for k in kept), default=None),
        sum(1 for k in kept if not k.current),
    )


def partner_of(found: Program, slug: str) -> PartnerInsight:
    """One partner of the caller's program; :class:`NotYours` for any other key."""
    for partner in found.partners:
        if partner.slug == slug:
            return partner
    raise NotYours(slug)


@dataclass(frozen=True)
class Person:
    """One of a partner's people: their own engagement score on the program's scale, their
    events in the last 90 days and the latest."""

    name: str
    email: str
    score: float
    events: int
    last_at: datetime | None


@dataclass(frozen=True)
class PartnerPage:
    """What one partner's page adds to the list: the score over time and the people."""

    over_time: list[tuple[str, float]]
    people: list[Person]


async def partner_page(db: Database, found: Program, partner: PartnerInsight) -> PartnerPage:
    """The partner's score at each of the last twelve month ends (on today's scale) and
    each person's score from their own events, read from the activity log."""
    async with db.session() as session:
        (history,) = await summaries.histories(session, found.now, [partner.org.id])
        users = (
            await session.scalars(
                select(User).where(User.partner_org_id == partner.org.id).order_by(User.name)
            )
        ).all()

    def scored(events: History, until: datetime) -> float:
        summary = insight.summarize(events, found.config, until)
        return insight.score(summary, found.config, found.scale).total

    over_time = [
        (end.strftime("%Y-%m"), scored(history, end)) for end in insight.month_ends(found.now, 12)
    ]
    since = found.now - timedelta(days=90)
    people = []
    for user in users:
        own = [event for event in history.events if event.user_id == user.id]
        people.append(
            Person(
                user.name or user.email,
                user.email,
                scored(replace(history, events=tuple(own)), found.now),
                sum(1 for event in own if event.at > since),
                own[-1].at if own else None,
            )
        )
    return PartnerPage(over_time, people)
