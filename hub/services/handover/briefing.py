"""The briefing a channel manager gets on first opening a partner handed to them.

Health and reasons come from program insight; the hand-over note and the last notes
from this package; the people to know are the partner's people, busiest first. Open
playbooks and deal conflicts come from :data:`BRIEFING_SOURCES`, one named source per
capability, each ``timeline_entries``-shaped; until those capabilities are wired in it
is empty and the briefing says that the hub tracks neither yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.db import Database
from hub.db.timeline import AssignmentChange
from hub.services import conflicts, playbooks
from hub.services.handover.notes import Note, last_notes
from hub.services.handover.timeline import Simple
from hub.services.program.views import PartnerInsight, PartnerPage, Person

# (section id, source). The lead adds e.g. ("playbooks", playbooks.open_entries) and
# ("conflicts", conflicts.open_entries); each returns what is open now.
BRIEFING_SOURCES: tuple[tuple[str, Simple], ...] = (
    ("playbooks", playbooks.open_entries),
    ("conflicts", conflicts.open_entries),
)


@dataclass(frozen=True)
class Briefing:
    partner: PartnerInsight
    handover: AssignmentChange
    notes: list[Note]
    people: list[Person]
    open_items: list[tuple[str, list[tuple[datetime, str, str]]]]


async def briefing(
    db: Database,
    partner: PartnerInsight,
    page: PartnerPage,
    handover: AssignmentChange,
    sources: Sequence[tuple[str, Simple]] = BRIEFING_SOURCES,
    locale: str = "en",
) -> Briefing:
    open_items = []
    async with db.session() as session:
        for name, source in sources:
            open_items.append((name, await source(session, partner.org.id, locale=locale)))
    people = sorted(page.people, key=lambda p: (-p.events, p.name))
    return Briefing(partner, handover, await last_notes(db, partner.org.id, 5), people, open_items)
