"""A partner's timeline: everything that happened with it, newest first, from every source.

A source is one async function ``(session, org_id, before, limit) -> entries`` returning
at most ``limit`` entries strictly older than ``before``, newest first. :data:`SOURCES`
lists them; :func:`whole` adapts a capability's simpler
``timeline_entries(session, org_id) -> [(at, kind, text)]`` (playbooks, conflicts) into
one, so wiring another capability in is one line in :data:`SOURCES`.

The timeline is vendor-only: notes, hand-overs and the rest are read through the
program pages, which only a partner's manager or an administrator reaches.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.db import ActivityEvent, Database, User
from hub.db.engagement import PulseSurvey, Recognition, SurveyResponse
from hub.db.timeline import AssignmentChange, PartnerNote
from hub.services import conflicts, playbooks
from hub.services.activity import STATE_KINDS

PAGE_SIZE = 25

# Which kind of backend each activity comes from (the page names its products);
# "hub" for what people did in the hub itself.
ACTIVITY_SOURCES = {
    "deal_registered": "prm",
    "deal_won": "prm",
    "meeting_held": "prm",
    "call_logged": "prm",
    "partner_joined": "prm",
    "course_completed": "lms",
    "quiz_passed": "lms",
    "campaign_redistributed": "tcma",
    "lead_shared": "tcma",
    "vendor_email_sent": "tcma",
    "vendor_email_opened": "tcma",
    "claim_submitted": "incentives",
}
# Shown by a source of their own (with what the design allows), or noise on a timeline:
# a daily goal snapshot is not something that happened.
NOT_ACTIVITY = (
    "survey_answered",
    "recognition_given",
    "recognition_received",
    *sorted(STATE_KINDS),
)


@dataclass(frozen=True)
class Entry:
    """One thing on the timeline; ``text`` is shown as given (escaped)."""

    at: datetime
    kind: str
    text: str = ""
    who: str = ""
    source: str = ""  # backend kind ("prm", …) or "hub"
    detail: dict[str, Any] = field(default_factory=dict)


# A source: (session, org id, before, limit, locale) -> entries. A capability's simpler
# ``timeline_entries(session, org_id, locale=…)`` words its own texts in the reader's
# language.
Source = Callable[[AsyncSession, int, datetime, int, str], Awaitable[Sequence[Entry]]]
Simple = Callable[..., Awaitable[list[tuple[datetime, str, str]]]]


def whole(entries_of: Simple) -> Source:
    """A source from a capability's ``timeline_entries(session, org_id)`` (all entries)."""

    async def source(
        session: AsyncSession, org_id: int, before: datetime, limit: int, locale: str = "en"
    ) -> list[Entry]:
        found = [
            Entry(at, kind, text)
            for at, kind, text in await entries_of(session, org_id, locale=locale)
            if at < before
        ]
        return sorted(found, key=lambda e: e.at, reverse=True)[:limit]

    source.__name__ = getattr(entries_of, "__module__", "source")
    return source


async def activity_entries(
    session: AsyncSession, org_id: int, before: datetime, limit: int, locale: str = "en"
) -> list[Entry]:
    """The activity log: deals, courses, campaigns, leads, claims, meetings, sign-ins."""
    person = aliased(User)
    rows = (
        await session.execute(
            select(ActivityEvent, person.name, person.email)
            .outerjoin(person, person.id == ActivityEvent.user_id)
            .where(
                ActivityEvent.partner_org_id == org_id,
                ActivityEvent.occurred_at < before,
                ActivityEvent.kind.not_in(NOT_ACTIVITY),
            )
            .order_by(ActivityEvent.occurred_at.desc(), ActivityEvent.id.desc())
            .limit(limit)
        )
    ).all()
    return [
        Entry(
            event.occurred_at,
            event.kind,
            event.object,
            (name or email or ""),
            ACTIVITY_SOURCES.get(event.kind, "hub"),
            dict(event.payload or {}),
        )
        for event, name, email in rows
    ]


async def survey_entries(
    session: AsyncSession, org_id: int, before: datetime, limit: int, locale: str = "en"
) -> list[Entry]:
    """That someone of the partner answered a pulse survey. Surveys are anonymous by
    design (results carry persona and segment only), so neither who nor what."""
    rows = (
        await session.execute(
            select(SurveyResponse.answered_at, PulseSurvey.title)
            .join(PulseSurvey, PulseSurvey.id == SurveyResponse.survey_id)
            .join(User, User.id == SurveyResponse.user_id)
            .where(User.partner_org_id == org_id, SurveyResponse.answered_at < before)
            .order_by(SurveyResponse.answered_at.desc())
            .limit(limit)
        )
    ).all()
    return [Entry(at, "survey_answered", title, source="hub") for at, title in rows]


async def kudos_entries(
    session: AsyncSession, org_id: int, before: datetime, limit: int, locale: str = "en"
) -> list[Entry]:
    """Recognition given to or by the partner's people (approved kudos only)."""
    giver, recipient = aliased(User), aliased(User)
    rows = (
        await session.execute(
            select(Recognition, giver.name, recipient.name)
            .join(giver, giver.id == Recognition.giver_id)
            .join(recipient, recipient.id == Recognition.recipient_id)
            .where(
                or_(giver.partner_org_id == org_id, recipient.partner_org_id == org_id),
                Recognition.status == "approved",
                Recognition.created_at < before,
            )
            .order_by(Recognition.created_at.desc())
            .limit(limit)
        )
    ).all()
    return [
        Entry(
            kudos.created_at,
            "kudos",
            kudos.message,
            f"{from_name} → {to_name}",
            "hub",
            {"value": kudos.value_tag, "points": kudos.points},
        )
        for kudos, from_name, to_name in rows
    ]


async def assignment_entries(
    session: AsyncSession, org_id: int, before: datetime, limit: int, locale: str = "en"
) -> list[Entry]:
    """Hand-overs to another channel manager, with the note."""
    rows = (
        await session.scalars(
            select(AssignmentChange)
            .where(AssignmentChange.partner_org_id == org_id, AssignmentChange.changed_at < before)
            .order_by(AssignmentChange.changed_at.desc())
            .limit(limit)
        )
    ).all()
    return [
        Entry(
            row.changed_at,
            "reassigned",
            row.note,
            row.changed_by,
            "hub",
            {"from": row.from_email, "to": row.to_name or row.to_email},
        )
        for row in rows
    ]


async def note_entries(
    session: AsyncSession, org_id: int, before: datetime, limit: int, locale: str = "en"
) -> list[Entry]:
    """Channel managers' notes (vendor-only)."""
    rows = (
        await session.scalars(
            select(PartnerNote)
            .where(PartnerNote.partner_org_id == org_id, PartnerNote.created_at < before)
            .order_by(PartnerNote.created_at.desc(), PartnerNote.id.desc())
            .limit(limit)
        )
    ).all()
    return [Entry(row.created_at, "note", row.body, row.author_name, "hub") for row in rows]


# Every source of the timeline; a capability joins with ``whole(its timeline_entries)``.
SOURCES: tuple[Source, ...] = (
    activity_entries,
    survey_entries,
    kudos_entries,
    assignment_entries,
    note_entries,
    whole(conflicts.timeline_entries),
    whole(playbooks.timeline_entries),
)


@dataclass(frozen=True)
class Page:
    """One page of the timeline; ``older`` is the ``before`` of the next page, if any."""

    entries: list[Entry]
    older: datetime | None
    failed: tuple[str, ...] = ()  # sources that could not be read this time


async def timeline(
    db: Database,
    org_id: int,
    *,
    before: datetime,
    limit: int = PAGE_SIZE,
    sources: Sequence[Source] = SOURCES,
    locale: str = "en",
) -> Page:
    """The ``limit`` newest entries before ``before`` across every source, newest first.

    A source that fails is left out and named in ``failed``; the rest still show.
    """
    found: list[Entry] = []
    failed: list[str] = []
    async with db.session() as session:
        for source in sources:  # one session: its statements run one after another
            try:
                found += await source(session, org_id, before, limit + 1, locale)
            except Exception:  # noqa: BLE001 - one broken source must not hide the others
                failed.append(source.__name__)
    found.sort(key=lambda entry: entry.at, reverse=True)
    page = found[:limit]
    # Entries at the same moment as the page's last stay together, so none falls between
    # two pages (the next page asks for strictly older ones).
    while len(page) < len(found) and page and found[len(page)].at == page[-1].at:
        page.append(found[len(page)])
    older = page[-1].at if len(found) > len(page) else None
    return Page(page, older, tuple(failed))
