"""What one channel manager's weekly digest says, from program insight and last week's snapshot.

"Newly dormant" and "came back" compare each partner's state now with the state the
previous digest week recorded (:class:`DormancySnapshot`, one row per partner and week,
written once per week by whichever worker gets there first). The first digest week has
nothing to compare with, and the digest says so instead of calling every dormant partner
new. Movers are program insight's: the score against a period ago.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database, PartnerOrg, User
from hub.db.timeline import DigestOptOut, DormancySnapshot
from hub.services import conflicts
from hub.services.handover import assignment
from hub.services.handover.timeline import Simple
from hub.services.program.views import PartnerInsight, Program

# (session, the manager's partner ids or None for all, locale) -> what waits for them.
Waiting = Callable[
    [AsyncSession, frozenset[int] | None, str], Awaitable[list[tuple[datetime, str, str]]]
]


def per_partner(entries_of: Simple) -> Waiting:
    """A digest source from a capability's per-partner ``(session, org_id)`` entries."""

    async def waiting(
        session: AsyncSession, org_ids: frozenset[int] | None, locale: str = "en"
    ) -> list[tuple[datetime, str, str]]:
        ids = (
            org_ids if org_ids is not None else (await session.scalars(select(PartnerOrg.id))).all()
        )
        found: list[tuple[datetime, str, str]] = []
        for org_id in ids:
            found += await entries_of(session, org_id, locale=locale)
        return found

    return waiting


# (section id, source of what waits for the manager's partners). The lead adds
# ("conflicts", per_partner(conflicts.waiting_entries)) when deal conflicts land.
DIGEST_SOURCES: tuple[tuple[str, Waiting], ...] = (("conflicts", conflicts.waiting_entries),)
LIST_LIMIT = 10


def week_of(now: datetime, weekday: int, hour: int) -> tuple[str, datetime]:
    """The digest week due at ``now``: the latest scheduled moment not after it, and its key."""
    day = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    moment = day - timedelta(days=(now.weekday() - weekday) % 7)
    if moment > now:
        moment -= timedelta(days=7)
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}", moment


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    name: str
    locale: str


@dataclass(frozen=True)
class Digest:
    """One manager's digest for one week."""

    week: str
    recipient: Recipient
    partners: int
    first_week: bool
    newly_dormant: list[PartnerInsight]
    came_back: list[PartnerInsight]
    moved_up: list[PartnerInsight]
    moved_down: list[PartnerInsight]
    dormant_now: int
    waiting: list[tuple[str, list[tuple[datetime, str, str]]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.newly_dormant or self.came_back or self.moved_up or self.moved_down) and (
            not any(items for _, items in self.waiting)
        )


async def recipients(session: AsyncSession) -> list[Recipient]:
    """Channel managers who have not turned the digest off."""
    off = set((await session.scalars(select(DigestOptOut.user_id))).all())
    users = (
        await session.scalars(select(User).where(User.partner_org_id.is_(None)).order_by(User.id))
    ).all()
    return [
        Recipient(user.id, user.email, user.name or user.email, user.locale or "en")
        for user in users
        if "channel_manager" in (user.roles or []) and user.id not in off
    ]


async def snapshot(
    db: Database, week: str, found: Program, now: datetime, *, record: bool = True
) -> dict[int, str]:
    """Record this week's states once (the first worker to get here wins; nothing with
    ``record`` off, for a preview); the previous digest week's states by partner org id,
    empty when there is none yet."""
    async with db.session() as session:
        taken = await session.scalar(
            select(func.count()).select_from(DormancySnapshot).where(DormancySnapshot.week == week)
        )
    if record and not taken:
        try:
            async with db.transaction() as session:
                session.add_all(
                    DormancySnapshot(
                        week=week,
                        partner_org_id=p.org.id,
                        status=p.dormancy.status,
                        score=round(p.score.total, 2),
                        taken_at=now,
                    )
                    for p in found.partners
                )
        except IntegrityError:
            pass  # another worker took this week's snapshot at the same time: theirs stands
    async with db.session() as session:
        before = await session.scalar(
            select(func.max(DormancySnapshot.week)).where(DormancySnapshot.week < week)
        )
        if before is None:
            return {}
        rows = (
            await session.execute(
                select(DormancySnapshot.partner_org_id, DormancySnapshot.status).where(
                    DormancySnapshot.week == before
                )
            )
        ).all()
    return {int(org_id): status for org_id, status in rows}


async def compose(
    db: Database,
    week: str,
    found: Program,
    previous: dict[int, str],
    people: Sequence[Recipient],
    sources: Sequence[tuple[str, Waiting]] = DIGEST_SOURCES,
) -> list[Digest]:
    """Each recipient's digest, over the partners they manage now."""
    async with db.session() as session:
        owned = await assignment.portfolios(session, [r.email for r in people])
        digests = []
        order = {p.org.id: n for n, p in enumerate(found.partners)}
        for person in people:
            visible = owned[person.email.lower()]
            if visible is None:
                mine = list(found.partners)
            else:
                mine = [found.partners[n] for n in sorted(order[i] for i in visible if i in order)]
            waiting = [
                (name, await source(session, visible, person.locale)) for name, source in sources
            ]
            digests.append(_digest(week, person, mine, previous, waiting))
    return digests


def _digest(
    week: str,
    person: Recipient,
    mine: list[PartnerInsight],
    previous: dict[int, str],
    waiting: list[tuple[str, list[tuple[datetime, str, str]]]],
) -> Digest:
    first = not previous
    newly = [
        p
        for p in mine
        if not first
        and p.dormancy.status == "dormant"
        and previous.get(p.org.id, "dormant") != "dormant"
    ]
    back = [
        p
        for p in mine
        if not first and previous.get(p.org.id) == "dormant" and p.dormancy.status != "dormant"
    ]
    ordered = sorted(mine, key=lambda p: p.score.moved)
    up = [p for p in reversed(ordered) if p.score.moved >= 1][:LIST_LIMIT]
    down = [p for p in ordered if p.score.moved <= -1][:LIST_LIMIT]
    by_value = sorted(newly, key=lambda p: -p.value.at_risk)
    return Digest(
        week,
        person,
        len(mine),
        first,
        by_value,
        sorted(back, key=lambda p: p.org.name),
        up,
        down,
        sum(1 for p in mine if p.dormancy.status == "dormant"),
        waiting,
    )


async def opted_out(db: Database, user_id: int) -> bool:
    async with db.session() as session:
        return await session.get(DigestOptOut, user_id) is not None


async def set_opt_out(db: Database, user_id: int, off: bool, now: datetime) -> None:
    async with db.transaction() as session:
        row = await session.get(DigestOptOut, user_id)
        if off and row is None:
            session.add(DigestOptOut(user_id=user_id, at=now))
        elif not off and row is not None:
            await session.delete(row)
