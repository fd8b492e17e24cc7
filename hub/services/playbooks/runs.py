"""Starting playbooks on partners, and reading runs back: for pages, the timeline, briefings.

A partner is in at most one running playbook. The database says so (a partial unique
index over running runs), and :func:`start` checks first so a second start gets a clear
answer instead of an error: a partner already in one is *skipped*, with the playbook it is
in and until when. Of the partners a start takes on, a share is *held out* (recorded, no
step executed) so outcomes can be compared: over all runs of a playbook the held-out
count is its share rounded half up (:func:`outcomes.holdouts_due`), chosen within a start
by a hash of playbook and partner, so the same start holds out the same partners.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database, PartnerOrg
from hub.db.playbooks import Playbook, PlaybookRun, PlaybookStep
from hub.db.writes import take_write_lock
from hub.i18n import N_, format_date, translate
from hub.services.playbooks.definition import PlaybookDefinition, parse_playbook
from hub.services.playbooks.outcomes import holdouts_due

RUNNING = "running"
# Steps that are the channel manager's to do start open; the others wait for the executor.
TASK_KINDS = frozenset({"expert_help"})


class PlaybookNotFound(LookupError):
    """No active playbook of that key."""


@dataclass(frozen=True)
class Target:
    """A partner a start is asked for (already checked to be the caller's)."""

    org_id: int
    slug: str
    name: str


@dataclass(frozen=True)
class Started:
    target: Target
    run_id: int
    holdout: bool


@dataclass(frozen=True)
class Skipped:
    """A partner not started: it is in ``playbook`` (a run or its holdout) until ``until``."""

    target: Target
    playbook: str
    until: datetime
    run_id: int


@dataclass
class StartReport:
    playbook: str
    started: list[Started] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def run_ids(self) -> list[int]:
        return [s.run_id for s in self.started if not s.holdout]


def step_key(run_id: int, position: int) -> str:
    """The idempotency key of one step of one run: what backends see for it."""
    return f"playbook-run:{run_id}:{position}"


def _order(slug: str, target: Target) -> str:
    return hashlib.sha256(f"{slug}:{target.slug}".encode()).hexdigest()


async def start(
    db: Database, slug: str, targets: Sequence[Target], *, by: str, now: datetime
) -> StartReport:
    """Start playbook ``slug`` on ``targets``: each gets a run, a holdout, or is skipped."""
    for attempt in (1, 2, 3):
        try:
            return await _start(db, slug, targets, by=by, now=now)
        except IntegrityError:
            # A start of another playbook on one of these partners committed first (the
            # index refused ours): look again, and that partner is skipped this time.
            if attempt == 3:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def _start(
    db: Database, slug: str, targets: Sequence[Target], *, by: str, now: datetime
) -> StartReport:
    async with db.transaction() as session:
        await take_write_lock(session)
        # One start of a playbook at a time (PostgreSQL: the row lock), so holdout counts
        # are read and written together.
        playbook = await session.scalar(
            select(Playbook).where(Playbook.slug == slug, Playbook.active).with_for_update()
        )
        if playbook is None:
            raise PlaybookNotFound(slug)
        definition = parse_playbook(playbook.definition)
        report = StartReport(definition.name)
        unique = list({t.org_id: t for t in targets}.values())
        busy = await _running(session, [t.org_id for t in unique])
        fresh = []
        for target in unique:
            if target.org_id in busy:
                run, name = busy[target.org_id]
                report.skipped.append(Skipped(target, name, run.ends_at, run.id))
            else:
                fresh.append(target)
        if not fresh:
            return report
        total, held = (
            await session.execute(
                select(
                    func.count(PlaybookRun.id),
                    func.coalesce(func.sum(case((PlaybookRun.holdout, 1), else_=0)), 0),
                ).where(PlaybookRun.playbook_id == playbook.id)
            )
        ).one()
        fresh.sort(key=lambda t: _order(slug, t))
        due = holdouts_due(int(total), int(held), len(fresh), definition.holdout_share)
        document = definition.model_dump(mode="json")
        for index, target in enumerate(fresh):
            run = PlaybookRun(
                playbook_id=playbook.id,
                partner_org_id=target.org_id,
                holdout=index < due,
                status=RUNNING,
                started_by=by,
                started_at=now,
                ends_at=now + timedelta(days=definition.window_days),
                definition=document,
            )
            session.add(run)
            await session.flush()
            if not run.holdout:
                session.add_all(
                    PlaybookStep(
                        run_id=run.id,
                        position=position,
                        kind=step.kind,
                        idempotency_key=step_key(run.id, position),
                        status="open" if step.kind in TASK_KINDS else "pending",
                        updated_at=now,
                    )
                    for position, step in enumerate(definition.steps, start=1)
                )
            report.started.append(Started(target, run.id, run.holdout))
        await session.flush()
    return report


async def _running(
    session: AsyncSession, org_ids: Sequence[int]
) -> dict[int, tuple[PlaybookRun, str]]:
    rows = (
        await session.execute(
            select(PlaybookRun, Playbook.definition)
            .join(Playbook, Playbook.id == PlaybookRun.playbook_id)
            .where(PlaybookRun.status == RUNNING, PlaybookRun.partner_org_id.in_(org_ids))
        )
    ).all()
    return {run.partner_org_id: (run, str(doc.get("name", ""))) for run, doc in rows}


# --- reading runs back --------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    position: int
    kind: str
    title: str
    status: str  # pending | sending | done | failed | open
    reason: str
    attempts: int
    result: dict[str, object]
    updated_at: datetime
    done_at: datetime | None


@dataclass(frozen=True)
class RunSummary:
    """One run as lists, the partner page, the timeline and a briefing show it."""

    id: int
    playbook_slug: str
    playbook: str
    org_id: int
    org_slug: str
    org_name: str
    holdout: bool
    status: str
    started_by: str
    started_at: datetime
    ends_at: datetime
    ended_at: datetime | None
    definition: PlaybookDefinition
    steps: tuple[StepView, ...] = ()

    @property
    def failed(self) -> int:
        return sum(1 for s in self.steps if s.status == "failed")

    @property
    def open_tasks(self) -> int:
        return sum(1 for s in self.steps if s.status == "open")


async def runs(
    session: AsyncSession,
    *,
    org_ids: Iterable[int] | None = None,
    run_ids: Iterable[int] | None = None,
    status: str | None = None,
    with_steps: bool = False,
) -> list[RunSummary]:
    """Runs (newest first), narrowed to orgs, ids or a status."""
    query = (
        select(PlaybookRun, Playbook.slug, PartnerOrg.slug, PartnerOrg.name)
        .join(Playbook, Playbook.id == PlaybookRun.playbook_id)
        .join(PartnerOrg, PartnerOrg.id == PlaybookRun.partner_org_id)
        .order_by(PlaybookRun.started_at.desc(), PlaybookRun.id.desc())
    )
    if org_ids is not None:
        query = query.where(PlaybookRun.partner_org_id.in_(sorted(set(org_ids))))
    if run_ids is not None:
        query = query.where(PlaybookRun.id.in_(sorted(set(run_ids))))
    if status is not None:
        query = query.where(PlaybookRun.status == status)
    rows = (await session.execute(query)).all()
    steps: dict[int, list[PlaybookStep]] = {}
    if with_steps and rows:
        for step in (
            await session.scalars(
                select(PlaybookStep)
                .where(PlaybookStep.run_id.in_([run.id for run, *_ in rows]))
                .order_by(PlaybookStep.run_id, PlaybookStep.position)
            )
        ).all():
            steps.setdefault(step.run_id, []).append(step)
    found = []
    for run, playbook_slug, org_slug, org_name in rows:
        definition = parse_playbook(run.definition)
        found.append(
            RunSummary(
                run.id, playbook_slug, definition.name, run.partner_org_id, org_slug, org_name,
                run.holdout, run.status, run.started_by, run.started_at, run.ends_at,
                run.ended_at, definition,
                tuple(
                    StepView(
                        s.position, s.kind, definition.steps[s.position - 1].title, s.status,
                        s.reason, s.attempts, dict(s.result), s.updated_at, s.done_at,
                    )
                    for s in steps.get(run.id, [])
                ),
            )
        )  # fmt: skip
    return found


async def running_for(session: AsyncSession, org_ids: Iterable[int]) -> dict[int, RunSummary]:
    """The running playbook (or holdout) of each of ``org_ids`` that is in one."""
    return {
        run.org_id: run
        for run in await runs(session, org_ids=org_ids, status=RUNNING, with_steps=True)
    }


async def timeline_entries(
    session: AsyncSession, org_id: int, locale: str = "en"
) -> list[tuple[datetime, str, str]]:
    """The partner's playbook runs for its timeline: (when, "playbook", a short text in
    ``locale``)."""
    entries: list[tuple[datetime, str, str]] = []
    for run in await runs(session, org_ids=[org_id], with_steps=True):
        entries += _run_entries(run, locale)
    return sorted(entries, key=lambda entry: entry[0], reverse=True)


async def open_entries(
    session: AsyncSession, org_id: int, locale: str = "en"
) -> list[tuple[datetime, str, str]]:
    """The playbook the partner is in now, if any (a briefing's open item)."""
    running = (await running_for(session, [org_id])).get(org_id)
    if running is None:
        return []
    return [
        (
            running.started_at,
            "playbook",
            translate(
                locale,
                N_("“%(playbook)s” running until %(day)s"),
                playbook=running.playbook,
                day=format_date(running.ends_at, locale),
            ),
        )
    ]


def _run_entries(run: RunSummary, locale: str) -> list[tuple[datetime, str, str]]:
    def said(message: str, **values: str) -> str:
        return translate(locale, message, playbook=run.playbook, **values)

    if run.holdout:
        found = [
            (
                run.started_at,
                "playbook",
                said(N_("Held out of “%(playbook)s” by %(who)s"), who=run.started_by),
            )
        ]
    else:
        found = [
            (
                run.started_at,
                "playbook",
                said(N_("“%(playbook)s” started by %(who)s"), who=run.started_by),
            )
        ]
        found += [
            (step.done_at, "playbook", said(N_("“%(playbook)s”: %(step)s"), step=step.title))
            for step in run.steps
            if step.status == "done" and step.done_at is not None
        ]
    if run.ended_at is not None:
        message = (
            N_("“%(playbook)s” stopped") if run.status == "stopped" else N_("“%(playbook)s” ended")
        )
        found.append((run.ended_at, "playbook", said(message)))
    return found
