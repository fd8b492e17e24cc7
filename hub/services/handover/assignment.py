"""Who manages a partner: the PRM's default, unless the hub reassigned it.

The default is the partner's field contacts with the role ``channel_manager`` (a contact
without a partner org covers every partner). The sync keeps each partner's own one equal
to the owner of its account in the PRM (:func:`record_account_owner`). A reassignment in the hub is an
:class:`AssignmentChange` row; the latest one per partner wins over the default. Nothing
that syncs from the backends writes that table, so an override survives every sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database, PartnerOrg, User
from hub.db.models import FieldContact
from hub.db.timeline import AssignmentChange
from hub.personas.catalogue import roles

NOTE_MAX = 2000


class AssignmentRefused(ValueError):
    """A reassignment the rules do not allow; ``code`` says which rule."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Manager:
    """A channel manager one may hand a partner to."""

    email: str
    name: str


async def overrides(session: AsyncSession) -> dict[int, AssignmentChange]:
    """The latest reassignment of each partner reassigned in the hub."""
    rows = (
        await session.scalars(
            select(AssignmentChange).order_by(AssignmentChange.changed_at, AssignmentChange.id)
        )
    ).all()
    return {row.partner_org_id: row for row in rows}


async def default_managers(session: AsyncSession) -> dict[int | None, list[tuple[str, str]]]:
    """The PRM's channel managers (email, name) by partner org id; ``None``: every partner."""
    rows = (
        await session.execute(
            select(FieldContact.partner_org_id, FieldContact.email, FieldContact.name).where(
                FieldContact.role == "channel_manager"
            )
        )
    ).all()
    found: dict[int | None, list[tuple[str, str]]] = {}
    for org_id, email, name in rows:
        found.setdefault(org_id, []).append((email.lower(), name))
    return found


async def record_account_owner(db: Database, org_id: int, email: str, name: str) -> bool:
    """Make the PRM's account owner the partner's default channel manager; whether it changed.

    The partner's own ``channel_manager`` contacts become exactly that person (a contact
    covering every partner stays). A hub reassignment still wins over it, and an owner
    the PRM does not name (``email`` empty) leaves the contacts as they are.
    """
    email = email.strip().lower()
    if not email:
        return False
    async with db.transaction() as session:
        current = (
            await session.scalars(
                select(FieldContact).where(
                    FieldContact.partner_org_id == org_id,
                    FieldContact.role == "channel_manager",
                )
            )
        ).all()
        if [(c.email.lower(), c.name) for c in current] == [(email, name or email)]:
            return False
        for contact in current:
            await session.delete(contact)
        session.add(
            FieldContact(
                partner_org_id=org_id, role="channel_manager", name=name or email, email=email
            )
        )
    return True


async def managers_of(session: AsyncSession) -> dict[int, list[tuple[str, str]]]:
    """Each partner's current channel managers (email, name): the override, else the default."""
    defaults = await default_managers(session)
    changed = await overrides(session)
    everyone = defaults.get(None, [])
    org_ids = (await session.scalars(select(PartnerOrg.id))).all()
    found: dict[int, list[tuple[str, str]]] = {}
    for org_id in org_ids:
        if org_id in changed:
            found[org_id] = [(changed[org_id].to_email, changed[org_id].to_name)]
        else:
            both = defaults.get(org_id, []) + everyone
            # The account's owner may also be the contact covering every partner.
            found[org_id] = list({email: (email, name) for email, name in both}.values())
    return found


async def managed_by(session: AsyncSession, email: str) -> frozenset[int] | None:
    """The partner org ids ``email`` manages now; ``None`` for every partner (no override)."""
    return (await portfolios(session, [email]))[email.lower()]


async def portfolios(session: AsyncSession, emails: list[str]) -> dict[str, frozenset[int] | None]:
    """What each of ``emails`` manages now (lower-cased keys), from one read of the tables."""
    defaults = await default_managers(session)
    changed = await overrides(session)
    everyone = {e for e, _ in defaults.get(None, [])}
    by_email: dict[str, set[int]] = {}
    for org_id, contacts in defaults.items():
        if org_id is not None:
            for e, _ in contacts:
                by_email.setdefault(e, set()).add(org_id)
    all_ids: frozenset[int] | None = None
    found: dict[str, frozenset[int] | None] = {}
    for email in (e.lower() for e in emails):
        if email in everyone and not changed:
            found[email] = None
            continue
        if email in everyone:
            if all_ids is None:
                all_ids = frozenset((await session.scalars(select(PartnerOrg.id))).all())
            own = set(all_ids)
        else:
            own = set(by_email.get(email, ()))
        for org_id, change in changed.items():
            if change.to_email == email:
                own.add(org_id)
            else:
                own.discard(org_id)
        found[email] = frozenset(own)
    return found


async def channel_managers(session: AsyncSession) -> list[Manager]:
    """Vendor staff with the channel manager role, by name."""
    users = (
        await session.scalars(select(User).where(User.partner_org_id.is_(None)).order_by(User.name))
    ).all()
    return [
        Manager(user.email.lower(), user.name or user.email)
        for user in users
        if "channel_manager" in (user.roles or [])
    ]


async def reassign(
    db: Database,
    org_id: int,
    *,
    to_email: str,
    note: str,
    by_email: str,
    by_roles: tuple[str, ...] | list[str],
    may_see: bool,
    now: datetime,
) -> AssignmentChange:
    """Hand ``org_id`` to another channel manager with a hand-over note.

    ``may_see`` is whether ``by`` sees the partner now (its current manager); an
    administrator may reassign any partner. The note is required.
    """
    note = note.replace("\x00", "").strip()
    if not note:
        raise AssignmentRefused("note_missing", "a hand-over note is required")
    if len(note) > NOTE_MAX:
        raise AssignmentRefused("note_too_long", f"at most {NOTE_MAX} characters")
    is_admin = bool(roles().admin.intersection(by_roles))
    if not (is_admin or may_see):
        raise AssignmentRefused("not_yours", "only its manager or an administrator may")
    async with db.transaction() as session:
        candidates = {m.email: m for m in await channel_managers(session)}
        target = candidates.get(to_email.strip().lower())
        if target is None:
            raise AssignmentRefused("no_such_manager", "not one of the channel managers")
        current = (await managers_of(session)).get(org_id, [])
        if [e for e, _ in current] == [target.email]:
            raise AssignmentRefused("same_manager", "already this partner's manager")
        change = AssignmentChange(
            partner_org_id=org_id,
            from_email=", ".join(e for e, _ in current),
            to_email=target.email,
            to_name=target.name,
            note=note,
            changed_by=by_email,
            changed_at=now,
        )
        session.add(change)
    return change


@dataclass(frozen=True)
class Inherited:
    """A partner handed to this manager that they have not opened yet."""

    org_id: int
    slug: str
    name: str
    from_email: str
    changed_at: datetime


async def latest_handover(db: Database, org_id: int, email: str) -> AssignmentChange | None:
    """The hand-over that made ``email`` the partner's manager, if that is how they got it."""
    async with db.session() as session:
        change = (await overrides(session)).get(org_id)
    return change if change is not None and change.to_email == email.lower() else None


async def pending_briefing(db: Database, org_id: int, email: str) -> AssignmentChange | None:
    """The hand-over of ``org_id`` to ``email`` whose briefing is still unread, if any."""
    change = await latest_handover(db, org_id, email)
    return change if change is not None and change.read_at is None else None


async def inherited_unread(db: Database, email: str) -> list[Inherited]:
    """Partners handed to ``email`` whose briefing they have not opened yet, newest first."""
    async with db.session() as session:
        changed = await overrides(session)
        waiting = [c for c in changed.values() if c.to_email == email.lower() and c.read_at is None]
        orgs = {
            org.id: org
            for org in (
                await session.scalars(
                    select(PartnerOrg).where(PartnerOrg.id.in_([c.partner_org_id for c in waiting]))
                )
            ).all()
        }
    return sorted(
        (
            Inherited(
                c.partner_org_id,
                orgs[c.partner_org_id].slug,
                orgs[c.partner_org_id].name,
                c.from_email,
                c.changed_at,
            )
            for c in waiting
            if c.partner_org_id in orgs
        ),
        key=lambda item: item.changed_at,
        reverse=True,
    )


async def mark_read(db: Database, change_id: int, now: datetime) -> None:
    async with db.transaction() as session:
        change = await session.get(AssignmentChange, change_id)
        if change is not None and change.read_at is None:
            change.read_at = now
