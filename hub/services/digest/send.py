"""Sending the weekly digests: once per manager and week, however many workers run.

A digest is claimed before it is sent (a ``digest_sends`` row, unique per manager and
week); the claim is released when the SMTP server refuses or is down, so the next pass
tries again, and marked sent once the server took it. A claim left by a worker that died
mid-send is taken over after :data:`STALE_CLAIM`, so a crash can (rarely) send one digest
twice, never none. The chat message goes with the email, best effort: its failure is
logged and never holds the email back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import aiosmtplib
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from hub.db import Database
from hub.db.timeline import DigestSend
from hub.services.digest import compose, render
from hub.services.mail import Send, SmtpMailer
from hub.services.program import views

log = logging.getLogger("hub.digest")
STALE_CLAIM = timedelta(minutes=15)

Chat = Callable[[str], Awaitable[None]]
__all__ = ["Chat", "DigestReport", "SmtpMailer", "send_digests"]


class Mailer(Protocol):
    """Opens one connection to the mail server for a pass of digests."""

    def connection(self) -> AbstractAsyncContextManager[Send]: ...


@dataclass
class DigestReport:
    week: str
    sent: int = 0
    already: int = 0  # sent before, or being sent by another worker
    failed: int = 0
    skipped: list[str] = field(default_factory=list)


async def _claim(db: Database, user_id: int, week: str, now: datetime) -> bool:
    """Take the right to send ``user_id``'s digest for ``week``; False if it is not ours."""
    try:
        async with db.transaction() as session:
            session.add(DigestSend(user_id=user_id, week=week, claimed_at=now))
        return True
    except IntegrityError:
        pass
    async with db.transaction() as session:  # a stale claim of a worker that died is ours
        taken = await session.execute(
            update(DigestSend)
            .where(
                DigestSend.user_id == user_id,
                DigestSend.week == week,
                DigestSend.sent_at.is_(None),
                DigestSend.claimed_at < now - STALE_CLAIM,
            )
            .values(claimed_at=now)
        )
    return bool(getattr(taken, "rowcount", 0))


async def _sent(db: Database, user_id: int, week: str, now: datetime) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(DigestSend)
            .where(DigestSend.user_id == user_id, DigestSend.week == week)
            .values(sent_at=now)
        )


async def _release(db: Database, user_id: int, week: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            delete(DigestSend).where(
                DigestSend.user_id == user_id,
                DigestSend.week == week,
                DigestSend.sent_at.is_(None),
            )
        )


async def already_sent(db: Database, week: str) -> set[int]:
    async with db.session() as session:
        return set(
            (
                await session.scalars(
                    select(DigestSend.user_id).where(
                        DigestSend.week == week, DigestSend.sent_at.is_not(None)
                    )
                )
            ).all()
        )


async def digests_for(
    db: Database, week: str, now: datetime, only: Sequence[str] = (), *, record: bool = True
) -> list[compose.Digest]:
    """This week's digests for every recipient (or only those emails), composed now;
    ``record`` off leaves the week's snapshot unwritten (a preview)."""
    found = await views.whole_program(db, now)
    previous = await compose.snapshot(db, week, found, now, record=record)
    async with db.session() as session:
        people = await compose.recipients(session)
    if only:
        wanted = {email.lower() for email in only}
        people = [p for p in people if p.email.lower() in wanted]
    return await compose.compose(db, week, found, previous, people)


async def send_digests(
    db: Database,
    mailer: Mailer,
    *,
    base_url: str,
    sender: str,
    now: datetime,
    week: str,
    chat: Chat | None = None,
    only: Sequence[str] = (),
) -> DigestReport:
    """Send ``week``'s digest to every manager who has not had it yet."""
    report = DigestReport(week)
    done = await already_sent(db, week)
    async with db.session() as session:
        waiting = [r for r in await compose.recipients(session) if r.user_id not in done]
    if only:
        wanted = {email.lower() for email in only}
        waiting = [r for r in waiting if r.email.lower() in wanted]
    report.already = len(done)
    if not waiting:
        return report
    digests = await digests_for(db, week, now, [r.email for r in waiting])
    try:
        async with mailer.connection() as send:
            for digest in digests:
                person = digest.recipient
                if not await _claim(db, person.user_id, week, now):
                    report.already += 1
                    continue
                message = render.email(digest, base_url=base_url, sender=sender)
                try:
                    await send(message)
                except (aiosmtplib.SMTPException, OSError) as error:
                    await _release(db, person.user_id, week)
                    report.failed += 1
                    log.warning(
                        "digest not sent; next pass retries",
                        extra={"to": person.email, "week": week, "error": str(error)},
                    )
                    continue
                await _sent(db, person.user_id, week, now)
                report.sent += 1
                if chat is not None:
                    try:
                        await chat(render.chat_text(digest, base_url=base_url))
                    except Exception as error:  # noqa: BLE001 - best effort, logged
                        log.warning(
                            "digest chat message failed",
                            extra={"to": person.email, "week": week, "error": str(error)},
                        )
    except (aiosmtplib.SMTPException, OSError) as error:
        report.failed += len(digests) - report.sent - report.failed
        log.warning(
            "mail server unreachable; digests wait for the next pass",
            extra={"week": week, "error": str(error)},
        )
    log.info(
        "weekly digest pass",
        extra={"week": week, "sent": report.sent, "failed": report.failed},
    )
    return report
