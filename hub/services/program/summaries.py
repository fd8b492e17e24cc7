"""Program insight's summaries: derived by the worker from running rollups, read by pages.

One row per partner org (:class:`~hub.db.program.ProgramSummary`) holds its
:class:`~hub.services.program.insight.Summary` as of the run that wrote it. A run folds
the events recorded since the last one into the rollups (:mod:`.rollups`) and derives
(:mod:`.derive`) the summaries of the partners they touched, of partners with no row yet,
and of rows older than a day (scores decay and dormancy grows with time even when nothing
happens), never re-reading a partner's history. A change of settings changes the digest
and makes every row stale: the next run derives them all again, and rebuilds the rollups
first when the new settings need it (another half-life, a later nth event).
``hub program-recompute`` rebuilds the rollups and every summary.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import ActivityEvent, Database, PartnerOrg
from hub.db.engagement import ProgramSetting
from hub.db.program import ProgramSummary
from hub.services.activity import STATE_KINDS
from hub.services.program import derive, rollups
from hub.services.program.config import ProgramConfig, program_config
from hub.services.program.derive import snapshots
from hub.services.program.insight import Event, History, Summary
from hub.services.program.rollups import Basis
from hub.services.program.windows import HISTORY_DAYS

log = logging.getLogger("hub.program")

STATE_KEY = "program_summary_state"
# Rows older than this are recomputed even without new events (decay, days quiet).
MAX_AGE = timedelta(days=1)
BATCH = 200

SUMMARY: TypeAdapter[Summary] = TypeAdapter(Summary)


def config_digest(config: ProgramConfig) -> str:
    """A digest of the settings a summary depends on."""
    document = json.dumps(config.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(document.encode()).hexdigest()


def _amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        return None


async def histories(
    session: AsyncSession, now: datetime, org_ids: Iterable[int] | None = None
) -> list[History]:
    """Partner orgs (every one, or ``org_ids``) with their events of the last two years."""
    orgs_query = select(PartnerOrg).order_by(PartnerOrg.name)
    events_query = (
        select(
            ActivityEvent.partner_org_id,
            ActivityEvent.kind,
            ActivityEvent.occurred_at,
            ActivityEvent.user_id,
            ActivityEvent.object,
            # Only deals carry money: the two fields, not the whole payload, per row.
            ActivityEvent.payload["amount"].as_string(),
            ActivityEvent.payload["currency"].as_string(),
        )
        .where(
            ActivityEvent.partner_org_id.is_not(None),
            ActivityEvent.occurred_at > now - timedelta(days=HISTORY_DAYS),
            ActivityEvent.occurred_at <= now,
            ActivityEvent.kind.not_in(sorted(STATE_KINDS)),
        )
        .order_by(ActivityEvent.occurred_at, ActivityEvent.id)
    )
    # When each joined, by its PRM agreement, however long ago that was.
    joined_query = (
        select(ActivityEvent.partner_org_id, func.min(ActivityEvent.occurred_at))
        .where(ActivityEvent.kind == "partner_joined", ActivityEvent.partner_org_id.is_not(None))
        .group_by(ActivityEvent.partner_org_id)
    )
    if org_ids is not None:
        wanted = sorted(set(org_ids))
        orgs_query = orgs_query.where(PartnerOrg.id.in_(wanted))
        events_query = events_query.where(ActivityEvent.partner_org_id.in_(wanted))
        joined_query = joined_query.where(ActivityEvent.partner_org_id.in_(wanted))
    orgs = (await session.scalars(orgs_query)).all()
    joined = {org_id: at for org_id, at in (await session.execute(joined_query)).all() if org_id}
    events: dict[int, list[Event]] = {}
    for org_id, kind, at, user_id, obj, amount, currency in (
        await session.execute(events_query)
    ).all():
        events.setdefault(int(org_id), []).append(
            Event(kind, at, user_id, obj or "", _amount(amount), currency or "")
        )
    goals, agreements = await snapshots(
        session, now, sorted(set(org_ids)) if org_ids is not None else None
    )
    # Joined: its agreement's start, or when any backend first saw the partner, or when the
    # hub did, whichever is earliest.
    return [
        History(
            org.id,
            org.slug,
            org.name,
            org.tier,
            org.region,
            org.partner_type,
            min(
                [
                    org.created_at,
                    *(e.at for e in events.get(org.id, [])[:1]),
                    *([joined[org.id]] if org.id in joined else []),
                ]
            ),
            tuple(events.get(org.id, ())),
            tuple(goals.get(org.id, {}).values()),
            agreements.get(org.id),
        )
        for org in orgs
    ]


@dataclass(frozen=True)
class Stored:
    """One summary row as the pages read it."""

    summary: Summary
    computed_at: datetime
    current: bool  # computed under the settings in force


# The last decoded set of rows per database, and what it was decoded from: a page for ten
# thousand partners then costs one count instead of decoding every row again.
_decoded: dict[str, tuple[tuple[Any, ...], dict[int, Stored]]] = {}
_writes = [0]  # this process's own writes, for rows rewritten within the same instant


async def version(session: AsyncSession, config: ProgramConfig) -> tuple[Any, ...]:
    """What changes whenever any summary does (or the settings): a key for what is kept."""
    count, latest = (
        await session.execute(
            select(func.count(ProgramSummary.partner_org_id), func.max(ProgramSummary.computed_at))
        )
    ).one()
    return version_of(count, latest, config)


def version_of(count: int, latest: datetime | None, config: ProgramConfig) -> tuple[Any, ...]:
    """:func:`version` from the summaries' count and latest computation, read elsewhere."""
    return (count, latest, config_digest(config), _writes[0])


def version_reads() -> tuple[Any, Any]:
    """What :func:`version_of` needs, as two scalar subqueries for a caller's statement."""
    return (
        select(func.count(ProgramSummary.partner_org_id)).scalar_subquery(),
        select(func.max(ProgramSummary.computed_at)).scalar_subquery(),
    )


async def load(session: AsyncSession, config: ProgramConfig) -> dict[int, Stored]:
    """Every stored summary, by partner org id."""
    digest = config_digest(config)
    key = await version(session, config)
    where = str(session.get_bind().engine.url)
    kept = _decoded.get(where)
    if kept is not None and kept[0] == key:
        return kept[1]
    rows = (await session.execute(select(ProgramSummary))).scalars().all()
    found = {
        row.partner_org_id: Stored(
            SUMMARY.validate_python(row.doc), row.computed_at, row.digest == digest
        )
        for row in rows
    }
    _decoded[where] = (key, found)
    return found


async def status(session: AsyncSession, config: ProgramConfig) -> tuple[int, int]:
    """How many partners have a summary under the settings in force, of how many."""
    digest = config_digest(config)
    total = len((await session.scalars(select(PartnerOrg.id))).all())
    current = len(
        (
            await session.scalars(
                select(ProgramSummary.partner_org_id).where(ProgramSummary.digest == digest)
            )
        ).all()
    )
    return current, total


@dataclass
class RefreshReport:
    """What one run did: partners recomputed and whether it was everything."""

    partners: int = 0
    full: bool = False


async def _write(
    db: Database, found: dict[int, Summary], config: ProgramConfig, now: datetime
) -> None:
    _writes[0] += 1
    digest = config_digest(config)
    async with db.transaction() as session:
        await session.execute(
            delete(ProgramSummary).where(ProgramSummary.partner_org_id.in_(sorted(found)))
        )
        session.add_all(
            ProgramSummary(
                partner_org_id=org_id,
                computed_at=now,
                digest=digest,
                doc=SUMMARY.dump_python(summary, mode="json"),
            )
            for org_id, summary in found.items()
        )


async def recompute(
    db: Database, org_ids: Iterable[int], config: ProgramConfig, basis: Basis, now: datetime
) -> int:
    """Derive the summaries of ``org_ids`` from the rollups as of ``now``, a batch at a
    time, each written in its own short transaction; how many were written."""
    ordered = sorted(set(org_ids))
    written = 0
    for start in range(0, len(ordered), BATCH):
        async with db.transaction() as session:
            # Deriving keeps window sums up to date: no fold may add to them meanwhile.
            await rollups.read_state(session, lock=True)
            found = await derive.summaries(
                session, ordered[start : start + BATCH], config, basis, now
            )
        await _write(db, found, config, now)
        written += len(found)
    return written


# One run at a time per database in this process (the scheduler's timer and a sync pass
# may both ask); across processes the rollups' own state keeps folds and rebuilds apart.
_running: dict[tuple[str, int], asyncio.Lock] = {}


async def refresh(
    db: Database, now: datetime | None = None, *, full: bool = False
) -> RefreshReport:
    """Bring the summaries up to date: fold what is new into the rollups and derive what
    changed; with ``full`` (the recompute command) rebuild the rollups and derive every
    partner. New settings make every partner's summary derived again."""
    key = (str(db.engine.url), id(asyncio.get_running_loop()))
    lock = _running.setdefault(key, asyncio.Lock())
    async with lock:
        return await _refresh(db, now, full)


async def _refresh(db: Database, now: datetime | None, full: bool) -> RefreshReport:
    began = datetime.now(UTC)
    now = now or began
    async with db.session() as session:
        config = await program_config(session)
        digest = config_digest(config)
        state_row = await session.get(ProgramSetting, STATE_KEY)
        state = dict(state_row.value) if state_row else {}
        rollup_state = await rollups.read_state(session)
    if rollup_state.rebuild_running(now):
        return RefreshReport()  # another process is rebuilding: its run derives everything
    basis = rollup_state.basis
    changed: set[int] | None = None
    if not full and basis is not None and basis.serves(config, now):
        changed = await rollups.fold_new(db, now)
    if changed is None or basis is None:  # nothing to fold into, or asked to: rebuild
        rebuilt = await rollups.rebuild(db, config, now)
        if rebuilt is None:
            return RefreshReport()
        basis, full = rebuilt, True
    full = full or state.get("digest") != digest
    async with db.session() as session:
        every = set((await session.scalars(select(PartnerOrg.id))).all())
        if full:
            targets = every
        else:
            rows = (
                await session.execute(
                    select(
                        ProgramSummary.partner_org_id,
                        ProgramSummary.computed_at,
                        ProgramSummary.digest,
                    )
                )
            ).all()
            kept = {
                org_id
                for org_id, computed_at, row_digest in rows
                if row_digest == digest and now - computed_at < MAX_AGE
            }
            targets = (every - kept) | ((changed or set()) & every)
    report = RefreshReport(await recompute(db, targets, config, basis, now), full)
    async with db.transaction() as session:
        row = await session.get(ProgramSetting, STATE_KEY)
        value = {"since": began.isoformat(), "digest": digest}
        if row is None:
            session.add(ProgramSetting(key=STATE_KEY, value=value))
        else:
            row.value = value
    if report.partners:
        log.info("program summaries", extra={"partners": report.partners, "full": full})
    return report
