"""Badges: administrators' rules, evaluation against one event, the gallery.

``advance`` is the whole rule engine: given a rule, a user's progress towards it and one
event, it moves the progress and says whether the badge is now earned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.engagement import BadgeAward, BadgeProgress, BadgeRule, PointRule, PointsAccount
from hub.db.types import utcnow
from hub.i18n import written_texts
from hub.services.engagement import streaks
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.rules import (
    EVENT_KINDS,
    BadgeCriteria,
    CountCriteria,
    CourseCriteria,
    FirstCriteria,
    PersonalBestCriteria,
    QuizAcedCriteria,
    StreakCriteria,
    events_watched,
    parse_criteria,
)


@dataclass(frozen=True)
class ActiveRule:
    """A badge rule ready to evaluate."""

    id: int
    slug: str
    name: str
    points: int
    criteria: BadgeCriteria
    watches: frozenset[str]


@dataclass(frozen=True)
class EventFacts:
    """What the rules may read of an activity event."""

    id: int
    user_id: int
    kind: str
    object: str
    occurred_at: datetime
    payload: dict[str, Any]


async def active_rules(session: AsyncSession) -> list[ActiveRule]:
    """The badge rules in force; a stored rule that no longer parses is skipped, not fatal."""
    rules = []
    for row in (await session.scalars(select(BadgeRule).where(BadgeRule.active))).all():
        try:
            criteria = parse_criteria(row.definition)
        except EngagementError:
            continue
        rules.append(
            ActiveRule(row.id, row.slug, row.name, row.points, criteria, events_watched(criteria))
        )
    return rules


async def save_badge_rule(
    session: AsyncSession,
    *,
    slug: str,
    name: str,
    definition: dict[str, Any],
    description: str = "",
    points: int = 0,
    image: str = "",
    active: bool = True,
    texts: Mapping[str, Mapping[str, str]] | None = None,
) -> BadgeRule:
    """Create or change a badge rule; ``EngagementError("invalid_rule")`` if it does not parse.

    ``texts`` gives the name and description in other languages (``{"de": {"name": …}}``);
    left out, those already stored are kept."""
    parse_criteria(definition)
    if not slug or len(slug) > 64 or not name.strip():
        raise EngagementError(
            "invalid_rule",
            "a badge needs a slug (≤64 characters) and a name",
            {"slug": "1–64 characters"} if not slug or len(slug) > 64 else {"name": "required"},
        )
    if not 0 <= points <= 100_000:
        raise EngagementError(
            "invalid_rule",
            "points: must be between 0 and 100000",
            {"points": "must be between 0 and 100000"},
        )
    rule = await session.scalar(select(BadgeRule).where(BadgeRule.slug == slug))
    if rule is None:
        rule = BadgeRule(slug=slug)
        session.add(rule)
    rule.name, rule.description, rule.definition = name.strip(), description, definition
    rule.points, rule.image, rule.active, rule.updated_at = points, image, active, utcnow()
    if texts is not None:
        rule.texts = written_texts(texts)
    await session.flush()
    return rule


async def set_point_rule(session: AsyncSession, event_kind: str, points: int) -> PointRule:
    """How many points one event of ``event_kind`` earns (0 turns it off)."""
    if event_kind not in EVENT_KINDS:
        raise EngagementError("invalid_rule", f"event_kind: unknown kind {event_kind!r}")
    if not 0 <= points <= 100_000:
        raise EngagementError("invalid_rule", "points: must be between 0 and 100000")
    rule = await session.scalar(select(PointRule).where(PointRule.event_kind == event_kind))
    if rule is None:
        rule = PointRule(event_kind=event_kind, points=points)
        session.add(rule)
    rule.points, rule.active = points, points > 0
    await session.flush()
    return rule


@dataclass
class Progress:
    """One user's progress towards one badge, as ``advance`` moves it (a ``badge_progress`` row)."""

    id: int
    count: int = 0
    best: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def advance(rule: ActiveRule, progress: Progress, event: EventFacts) -> bool:
    """Move ``progress`` by ``event``; ``True`` when the badge is earned by it."""
    criteria = rule.criteria
    detail = dict(progress.detail or {})
    earned = False
    if isinstance(criteria, StreakCriteria):
        day = event.occurred_at.date()
        detail["days"] = streaks.add_day(detail.get("days", []), day)
        run = streaks.run_containing(detail["days"], day, criteria.freeze_days)
        progress.count = max(progress.count or 0, run)
        earned = run >= criteria.days
    elif isinstance(criteria, CountCriteria):
        if criteria.distinct_objects:
            seen = set(detail.get("objects", []))
            seen.add(event.object)
            detail["objects"] = sorted(seen)[: criteria.count]
            progress.count = len(detail["objects"])
        else:
            progress.count = (progress.count or 0) + 1
        earned = progress.count >= criteria.count
    elif isinstance(criteria, FirstCriteria):
        progress.count = (progress.count or 0) + 1
        earned = True
    elif isinstance(criteria, CourseCriteria):
        earned = _track_step(criteria, detail, event)
        progress.count = len(detail.get("done", {}))
    elif isinstance(criteria, PersonalBestCriteria):
        value = _number(event.payload.get(criteria.field))
        if value is not None:
            earned = progress.best is not None and value > progress.best
            progress.best = value if progress.best is None else max(progress.best, value)
            progress.count = (progress.count or 0) + 1
    elif isinstance(criteria, QuizAcedCriteria):
        score = _number(event.payload.get("score"))
        earned = score is not None and score >= criteria.min_score
    progress.detail = detail
    return earned


def _track_step(criteria: CourseCriteria, detail: dict[str, Any], event: EventFacts) -> bool:
    if event.object not in criteria.courses:
        return False
    done: dict[str, str] = dict(detail.get("done", {}))
    started: dict[str, str] = dict(detail.get("started", {}))
    done.setdefault(event.object, event.occurred_at.isoformat())
    enrolled = event.payload.get("enrolled_at")
    started.setdefault(event.object, enrolled if isinstance(enrolled, str) else done[event.object])
    detail["done"], detail["started"] = done, started
    if set(criteria.courses) - set(done):
        return False
    if criteria.within_days is None:
        return True
    try:
        first = min(datetime.fromisoformat(value) for value in started.values())
    except ValueError:
        return False
    last = max(datetime.fromisoformat(value) for value in done.values())
    return last - first <= timedelta(days=criteria.within_days)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class GalleryBadge:
    """One badge as the gallery shows it: earned (with when) or the progress towards it."""

    slug: str
    name: str
    description: str
    image: str
    points: int
    earned_at: datetime | None
    award_id: int | None
    progress: int
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class BadgeState:
    """One user's standing against the active badge rules, read in three statements."""

    rules: Sequence[BadgeRule]
    awards: dict[int, BadgeAward]
    progress: dict[int, BadgeProgress]


async def badge_state(session: AsyncSession, user_id: int) -> BadgeState:
    """The active rules, the user's awards and their progress; the gallery and the streaks
    are both made from it."""
    rules = (await session.scalars(select(BadgeRule).where(BadgeRule.active))).all()
    awards = (await session.scalars(select(BadgeAward).where(BadgeAward.user_id == user_id))).all()
    progress = (
        await session.scalars(select(BadgeProgress).where(BadgeProgress.user_id == user_id))
    ).all()
    return BadgeState(rules, {a.rule_id: a for a in awards}, {row.rule_id: row for row in progress})


async def badge_gallery(session: AsyncSession, user_id: int) -> list[GalleryBadge]:
    """Every active badge for ``user_id``: earned ones first (newest first), then the rest."""
    return gallery_of(await badge_state(session, user_id))


async def standing_state(
    session: AsyncSession, user_id: int, account: str
) -> tuple[int, BadgeState]:
    """The balance of ``account`` and :func:`badge_state`, in one statement.

    One row per active rule, with the user's award and progress for it joined on (both are
    unique per user and rule) and the balance alongside; one row of nulls but the balance
    when no rule is active.
    """
    balance = select(PointsAccount.balance).where(PointsAccount.key == account).scalar_subquery()
    anchor = select(literal(1).label("one")).subquery()
    found = (
        await session.execute(
            select(balance.label("balance"), BadgeRule, BadgeAward, BadgeProgress)
            .select_from(anchor)
            .outerjoin(BadgeRule, BadgeRule.active == true())
            .outerjoin(
                BadgeAward, and_(BadgeAward.rule_id == BadgeRule.id, BadgeAward.user_id == user_id)
            )
            .outerjoin(
                BadgeProgress,
                and_(BadgeProgress.rule_id == BadgeRule.id, BadgeProgress.user_id == user_id),
            )
            .order_by(BadgeRule.id)
        )
    ).all()
    rules = [row.BadgeRule for row in found if row.BadgeRule is not None]
    awards = {row.BadgeAward.rule_id: row.BadgeAward for row in found if row.BadgeAward}
    progress = {row.BadgeProgress.rule_id: row.BadgeProgress for row in found if row.BadgeProgress}
    points = int(found[0].balance or 0) if found else 0
    return points, BadgeState(rules, awards, progress)


def gallery_of(state: BadgeState) -> list[GalleryBadge]:
    """The gallery of :func:`badge_gallery` from a state already read."""
    awards = state.awards
    gallery = [
        GalleryBadge(
            rule.slug,
            rule.name,
            rule.description,
            rule.image,
            rule.points,
            awards[rule.id].awarded_at if rule.id in awards else None,
            awards[rule.id].id if rule.id in awards else None,
            state.progress[rule.id].count if rule.id in state.progress else 0,
            rule.texts or {},
        )
        for rule in state.rules
    ]
    earned = sorted(
        (badge for badge in gallery if badge.earned_at), key=lambda badge: badge.earned_at or 0
    )
    waiting = sorted((badge for badge in gallery if not badge.earned_at), key=lambda b: b.name)
    return [*reversed(earned), *waiting]


@dataclass(frozen=True)
class StreakStatus:
    """A user's run towards one streak badge, as it stands today."""

    slug: str
    name: str
    days: int
    target: int
    earned: bool


async def streaks_for(session: AsyncSession, user_id: int, today: date) -> list[StreakStatus]:
    """Every active streak badge with the user's current run (0 once broken)."""
    return streaks_of(await badge_state(session, user_id), today)


def streaks_of(state: BadgeState, today: date) -> list[StreakStatus]:
    """The streaks of :func:`streaks_for` from a state already read; a rule whose stored
    definition no longer parses is skipped."""
    found = []
    for rule in state.rules:
        try:
            criteria = parse_criteria(rule.definition)
        except EngagementError:
            continue
        if not isinstance(criteria, StreakCriteria):
            continue
        detail = state.progress[rule.id].detail if rule.id in state.progress else None
        days = (detail or {}).get("days", [])
        run = streaks.current_run(days, today, criteria.freeze_days)
        found.append(
            StreakStatus(rule.slug, rule.name, run, criteria.days, rule.id in state.awards)
        )
    return found
