"""Channel managers' notes on a partner: vendor-only, never shown to the partner's people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from hub.db import Database
from hub.db.timeline import PartnerNote

NOTE_MAX = 2000


class NoteRefused(ValueError):
    """An empty or over-long note."""


def clean_text(text: str) -> str:
    """Text as stored: trimmed, without NUL characters (PostgreSQL refuses them)."""
    return text.replace("\x00", "").strip()


@dataclass(frozen=True)
class Note:
    author: str
    author_email: str
    body: str
    at: datetime


async def add_note(
    db: Database, org_id: int, body: str, *, author_email: str, author_name: str, now: datetime
) -> Note:
    """Store a note on ``org_id``; the caller has checked that ``author`` manages it."""
    body = clean_text(body)
    if not body:
        raise NoteRefused("empty")
    if len(body) > NOTE_MAX:
        raise NoteRefused("too_long")
    async with db.transaction() as session:
        session.add(
            PartnerNote(
                partner_org_id=org_id,
                author_email=author_email,
                author_name=author_name or author_email,
                body=body,
                created_at=now,
            )
        )
    return Note(author_name or author_email, author_email, body, now)


async def last_notes(db: Database, org_id: int, limit: int = 5) -> list[Note]:
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(PartnerNote)
                .where(PartnerNote.partner_org_id == org_id)
                .order_by(PartnerNote.created_at.desc(), PartnerNote.id.desc())
                .limit(limit)
            )
        ).all()
    return [Note(r.author_name, r.author_email, r.body, r.created_at) for r in rows]
