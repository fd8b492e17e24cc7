"""Ingesting activity and evaluating it: points, badges and streaks, once per event.

Every event is written by :func:`hub.services.activity.record_all` (a duplicate key is
skipped). ``process_pending``, run by the worker or the in-process scheduler, evaluates
the events nobody has evaluated yet; ``ingest`` records and evaluates at once, for the
worker's own writes and for tests. Either way an event
is claimed in ``engagement_processed_events`` inside the transaction that applies its
effects, so a late or repeated delivery, or two workers racing, changes nothing twice, and
a crash midway leaves nothing half-written.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import JSON, Table, bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import ActivityEvent, Database
from hub.db.engagement import BadgeAward, BadgeProgress, PointRule, ProcessedEvent
from hub.db.types import utcnow
from hub.db.writes import insert_ignoring_duplicates, take_write_lock
from hub.services import activity
from hub.services.activity import Activity
from hub.services.engagement import leaderboards, ledger
from hub.services.engagement.badges import (
    ActiveRule,
    EventFacts,
    Progress,
    active_rules,
    advance,
)
from hub.store import KeyValueStore


@dataclass(frozen=True)
class EarnedBadge:
    """A badge one event earned."""

    user_id: int
    rule_slug: str
    badge_name: str
    event_id: int


@dataclass
class IngestReport:
    """What one call did: events new and repeated, events evaluated, points and badges given."""

    recorded: int = 0
    duplicates: int = 0
    processed: int = 0
    points: int = 0
    badges: list[EarnedBadge] = field(default_factory=list)
    # False when a budget ran out with events still waiting (drain_pending).
    caught_up: bool = True
    credits: list[leaderboards.Credit] = field(default_factory=list, repr=False)


async def ingest(
    db: Database, store: KeyValueStore, activities: Sequence[Activity]
) -> IngestReport:
    """Record ``activities`` and evaluate the new ones, in one transaction; then move boards.

    For the worker's side and for tests: a request records with
    :func:`hub.services.activity.record_all` and leaves the evaluation to the worker.
    """
    async with db.transaction() as session:
        report = await ingest_in(session, activities)
        where = await leaderboards.placements(session, {c.user_id for c in report.credits})
    await leaderboards.record_credits(store, report.credits, where)
    return report


async def ingest_in(session: AsyncSession, activities: Sequence[Activity]) -> IngestReport:
    """``ingest`` inside the caller's transaction (the caller moves the boards after commit)."""
    if not activities:
        return IngestReport()
    await take_write_lock(session)
    ids = await activity.record_all(session, activities)
    unique = {item.key: item for item in activities}
    events = [
        EventFacts(
            ids[key],
            item.user_id or 0,
            item.kind,
            item.object,
            item.occurred_at,
            dict(item.payload),
        )
        for key, item in unique.items()
        if key in ids
    ]
    events.sort(key=lambda event: event.id)
    report = await evaluate(session, events)
    report.recorded = len(ids)
    report.duplicates = len(activities) - len(ids)
    return report


async def process_pending(db: Database, store: KeyValueStore, *, limit: int = 1000) -> IngestReport:
    """Evaluate up to ``limit`` recorded events nobody has evaluated yet, oldest first."""
    async with db.transaction() as session:
        await take_write_lock(session)
        rows = (
            await session.scalars(
                select(ActivityEvent)
                .outerjoin(ProcessedEvent, ProcessedEvent.event_id == ActivityEvent.id)
                .where(ProcessedEvent.event_id.is_(None))
                .order_by(ActivityEvent.id)
                .limit(limit)
            )
        ).all()
        events = [
            EventFacts(row.id, row.user_id or 0, row.kind, row.object, row.occurred_at, row.payload)
            for row in rows
        ]
        report = await evaluate(session, events)
        where = await leaderboards.placements(session, {c.user_id for c in report.credits})
    await leaderboards.record_credits(store, report.credits, where)
    return report


async def drain_pending(
    db: Database, store: KeyValueStore, *, budget_seconds: float = 20.0, limit: int = 1000
) -> IngestReport:
    """Evaluate pending events batch by batch until none is left or the budget is spent:
    a first sync that brings in a program's history must not leave what a person does
    now waiting behind it for many runs."""
    total = IngestReport()
    deadline = time.monotonic() + budget_seconds
    while True:
        report = await process_pending(db, store, limit=limit)
        total.processed += report.processed
        total.points += report.points
        total.badges += report.badges
        if report.processed < limit:
            return total
        if time.monotonic() >= deadline:
            total.caught_up = False
            return total


async def evaluate(session: AsyncSession, events: Sequence[EventFacts]) -> IngestReport:
    """Claim each event and apply its points, badge progress and badges; skip claimed ones."""
    report = IngestReport()
    if not events:
        return report
    claimed = {
        event_id
        for (event_id,) in await insert_ignoring_duplicates(
            session,
            ProcessedEvent,
            [{"event_id": event.id} for event in events],
            unique=["event_id"],
            returning=["event_id"],
        )
    }
    mine = [event for event in events if event.id in claimed and event.user_id]
    report.processed = len(claimed)
    if not mine:
        return report
    points = {
        str(kind): int(amount)
        for kind, amount in (
            await session.execute(
                select(PointRule.event_kind, PointRule.points).where(PointRule.active)
            )
        )
    }
    rules = await active_rules(session)
    awards: list[ledger.Award] = [
        ledger.Award(
            event.user_id,
            points[event.kind],
            f"event:{event.kind}",
            f"event:{event.id}",
            event.occurred_at,
            event.id,
        )
        for event in mine
        if points.get(event.kind, 0) > 0
    ]
    earned = await _advance_badges(session, mine, rules)
    by_id = {rule.id: rule for rule in rules}
    for badge in earned:
        rule = by_id[badge[1]]
        event = badge[2]
        report.badges.append(EarnedBadge(event.user_id, rule.slug, rule.name, event.id))
        if rule.points > 0:
            awards.append(
                ledger.Award(
                    event.user_id,
                    rule.points,
                    "badge",
                    f"badge:{rule.id}:{event.user_id}",
                    event.occurred_at,
                    event.id,
                )
            )
    posted = await ledger.post_awards(session, awards)
    report.points = sum(award.points for award in posted)
    report.credits = [
        leaderboards.Credit(award.user_id, award.points, award.occurred_at) for award in posted
    ]
    return report


async def _advance_badges(
    session: AsyncSession, events: Sequence[EventFacts], rules: Sequence[ActiveRule]
) -> list[tuple[int, int, EventFacts]]:
    """Move progress for every (user, rule) the events touch; the badges newly earned."""
    kinds = {event.kind for event in events}
    watching = [rule for rule in rules if rule.watches & kinds]
    if not watching:
        return []
    users = sorted({event.user_id for event in events})
    rule_ids = [rule.id for rule in watching]
    awarded: set[tuple[int, int]] = set(
        await session.execute(
            select(BadgeAward.user_id, BadgeAward.rule_id).where(
                BadgeAward.user_id.in_(users), BadgeAward.rule_id.in_(rule_ids)
            )
        )
    )
    pairs = {
        (event.user_id, rule.id)
        for event in events
        for rule in watching
        if event.kind in rule.watches and (event.user_id, rule.id) not in awarded
    }
    if not pairs:
        return []
    await insert_ignoring_duplicates(
        session,
        BadgeProgress,
        [
            {"user_id": user, "rule_id": rule, "count": 0, "detail": {}}
            for user, rule in sorted(pairs)
        ],
        unique=["user_id", "rule_id"],
    )
    table = cast(Table, BadgeProgress.__table__)
    rows = await session.execute(
        select(
            table.c.id,
            table.c.user_id,
            table.c.rule_id,
            table.c.count,
            table.c.best,
            table.c.detail,
        )
        .where(tuple_(table.c.user_id, table.c.rule_id).in_(sorted(pairs)))
        .order_by(table.c.id)
        .with_for_update()
    )
    progress = {
        (user, rule): Progress(row_id, count or 0, best, dict(detail or {}))
        for row_id, user, rule, count, best, detail in rows
    }
    earned: list[tuple[int, int, EventFacts]] = []
    for event in events:
        for rule in watching:
            pair = (event.user_id, rule.id)
            if event.kind not in rule.watches or pair in awarded:
                continue
            if advance(rule, progress[pair], event):
                awarded.add(pair)
                earned.append((event.user_id, rule.id, event))
    # One executemany for every row moved: the ORM would send one UPDATE per row.
    now = utcnow()
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("row"))
        .values(
            count=bindparam("new_count"),
            best=bindparam("new_best"),
            detail=bindparam("new_detail", type_=JSON),
            updated_at=now,
        ),
        [
            {"row": p.id, "new_count": p.count, "new_best": p.best, "new_detail": p.detail}
            for p in progress.values()
        ],
    )
    if earned:
        written = await insert_ignoring_duplicates(
            session,
            BadgeAward,
            [
                {
                    "user_id": user,
                    "rule_id": rule,
                    "event_id": event.id,
                    "awarded_at": event.occurred_at,
                }
                for user, rule, event in earned
            ],
            unique=["user_id", "rule_id"],
            returning=["user_id", "rule_id"],
        )
        new = set(written_pairs(written))
        earned = [item for item in earned if (item[0], item[1]) in new]
    return earned


def written_pairs(rows: Sequence[Any]) -> list[tuple[int, int]]:
    return [(int(row[0]), int(row[1])) for row in rows]
