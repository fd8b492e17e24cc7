"""The conflict queue: what a channel manager sees, and deciding a conflict.

A decision is written back to the PRM first, and recorded only once the PRM took it:
the conflict is claimed with a conditional update (``open`` → ``resolving``), so of two
managers deciding at once exactly one goes on and the other is told; the write-back runs;
then the decision, the registrations' states and each partner's notification are
committed together. When the PRM refuses or is down, a status already written is set back
to pending, the conflict returns to the queue with the failure shown, and nothing else is
recorded; deciding again retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.connectors.backends import Backends
from hub.connectors.base import BackendError
from hub.db import Database, PartnerOrg, User
from hub.db.conflicts import DealConflict, DealRegistrationRow
from hub.i18n import N_, translate
from hub.services.conflicts.policy import ConflictPolicy, conflict_policy
from hub.services.engagement.notifications import notify
from hub.services.partner_activity import partner_ref

DECISIONS = ("first", "second", "both")
MAX_NOTE = 1000
# A claim older than this was left by a process that died mid-write: it may be taken again.
STALE_CLAIM = timedelta(minutes=5)
MATCH_NAMES = {
    "account": N_("same customer account"),
    "domain": N_("same customer domain"),
    "name": N_("similar company name"),
}


class NotYours(LookupError):
    """No such conflict among the caller's (one answer for unknown and another's)."""


class AlreadyDecided(RuntimeError):
    """Someone else decided (or is deciding) this conflict first."""


class BadDecision(ValueError):
    """The decision is not one of the choices, or accepting both lacks its note."""


class WriteBackFailed(RuntimeError):
    """The PRM did not take the decision; the conflict stays open with this message."""


@dataclass(frozen=True)
class Side:
    """One registration of a conflict, as the queue shows it."""

    id: int
    org_id: int
    org_slug: str
    partner: str
    customer: str
    deal_name: str
    external_id: str
    source: str
    amount: Decimal
    currency: str
    registered_at: datetime
    state: str


@dataclass(frozen=True)
class ConflictView:
    id: int
    first: Side
    second: Side
    matched_by: str
    score: float
    detected_at: datetime
    status: str
    suggestion: str  # first | "" (the vendor decides)
    decision: str
    note: str
    decided_by: str
    decided_at: datetime | None
    failure: str

    @property
    def sides(self) -> tuple[Side, Side]:
        return (self.first, self.second)


def _visible(query: object, visible: frozenset[int] | None) -> object:
    if visible is None:
        return query
    ids = list(visible)
    return query.where(  # type: ignore[attr-defined]
        or_(DealConflict.first_org_id.in_(ids), DealConflict.second_org_id.in_(ids))
    )


async def conflicts_for(
    db: Database, visible: frozenset[int] | None, *, include_resolved: bool = True
) -> tuple[ConflictPolicy, list[ConflictView]]:
    """The conflicts touching the caller's partners (all, for ``visible=None``): open
    first, oldest first, then the 50 decided most recently."""
    async with db.session() as session:
        policy = await conflict_policy(session)
        query = _visible(select(DealConflict), visible)
        rows = list((await session.scalars(query.order_by(DealConflict.detected_at))).all())  # type: ignore[attr-defined]
        views = await _views(session, rows, policy)
    waiting = [v for v in views if v.status != "resolved"]
    decided = sorted(
        (v for v in views if v.status == "resolved"),
        key=lambda v: v.decided_at or v.detected_at,
        reverse=True,
    )
    return policy, waiting + (decided[:50] if include_resolved else [])


async def open_count(db: Database, visible: frozenset[int] | None) -> int:
    """How many conflicts wait for a decision among the caller's partners (one query)."""
    async with db.session() as session:
        query = _visible(
            select(func.count(DealConflict.id)).where(DealConflict.status != "resolved"), visible
        )
        return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


async def _views(
    session: AsyncSession, rows: Sequence[DealConflict], policy: ConflictPolicy
) -> list[ConflictView]:
    ids = {r.first_id for r in rows} | {r.second_id for r in rows}
    if not ids:
        return []
    registrations = {
        row.id: row
        for row in (
            await session.scalars(
                select(DealRegistrationRow).where(DealRegistrationRow.id.in_(ids))
            )
        ).all()
    }
    org_ids = {r.partner_org_id for r in registrations.values()}
    orgs = {
        org.id: org
        for org in (
            await session.scalars(select(PartnerOrg).where(PartnerOrg.id.in_(org_ids)))
        ).all()
    }

    def side(registration_id: int) -> Side:
        row = registrations[registration_id]
        org = orgs[row.partner_org_id]
        try:
            amount = Decimal(row.amount)
        except InvalidOperation:
            amount = Decimal(0)
        return Side(
            id=row.id, org_id=org.id, org_slug=org.slug, partner=org.name,
            customer=row.customer, deal_name=row.deal_name, external_id=row.external_id,
            source=row.source, amount=amount, currency=row.currency,
            registered_at=row.registered_at, state=row.state,
        )  # fmt: skip

    return [
        ConflictView(
            id=r.id,
            first=side(r.first_id),
            second=side(r.second_id),
            matched_by=r.matched_by,
            score=r.score,
            detected_at=r.detected_at,
            status=r.status,
            suggestion="first" if policy.policy == "first_to_register" else "",
            decision=r.decision,
            note=r.note,
            decided_by=r.decided_by,
            decided_at=r.decided_at,
            failure=r.failure,
        )
        for r in rows
    ]


async def conflict_of(
    db: Database, conflict_id: int, visible: frozenset[int] | None
) -> ConflictView:
    """One conflict the caller may see; :class:`NotYours` otherwise."""
    async with db.session() as session:
        row = await session.get(DealConflict, conflict_id)
        if row is None or not _may_see(row, visible):
            raise NotYours(conflict_id)
        policy = await conflict_policy(session)
        return (await _views(session, [row], policy))[0]


def _may_see(row: DealConflict, visible: frozenset[int] | None) -> bool:
    return visible is None or row.first_org_id in visible or row.second_org_id in visible


def _statuses(decision: str) -> tuple[str, str]:
    """What each registration becomes: (first, second)."""
    return {
        "first": ("approved", "rejected"),
        "second": ("rejected", "approved"),
        "both": ("approved", "approved"),
    }[decision]


async def resolve(
    db: Database,
    backends: Backends,
    conflict_id: int,
    *,
    decision: str,
    note: str,
    by: str,
    visible: frozenset[int] | None,
    now: datetime,
) -> ConflictView:
    """Decide a conflict: write back to the PRM, then record. Raises :class:`NotYours`,
    :class:`BadDecision`, :class:`AlreadyDecided` or :class:`WriteBackFailed`."""
    note = note.strip()
    if decision not in DECISIONS:
        raise BadDecision("decision")
    if len(note) > MAX_NOTE or (decision == "both" and not note):
        raise BadDecision("note")
    async with db.transaction() as session:
        row = await session.get(DealConflict, conflict_id)
        if row is None or not _may_see(row, visible):
            raise NotYours(conflict_id)
        claimed = await session.execute(
            update(DealConflict)
            .where(
                DealConflict.id == conflict_id,
                or_(
                    DealConflict.status == "open",
                    (DealConflict.status == "resolving")
                    & (DealConflict.claimed_at < now - STALE_CLAIM),
                ),
            )
            .values(status="resolving", claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(claimed, "rowcount", 0):
            raise AlreadyDecided(conflict_id)
        sides = [
            await session.get(DealRegistrationRow, row.first_id),
            await session.get(DealRegistrationRow, row.second_id),
        ]
        targets = []
        for registration in sides:
            assert registration is not None  # noqa: S101 - a conflict's registrations cascade
            org = await session.get(PartnerOrg, registration.partner_org_id)
            assert org is not None  # noqa: S101
            targets.append((registration.source, partner_ref(org), registration.external_id))
    statuses = _statuses(decision)
    written: list[int] = []
    try:
        for n, ((source, partner, deal_id), status) in enumerate(
            zip(targets, statuses, strict=True)
        ):
            await backends.decide_registration(source, partner, deal_id, status)
            written.append(n)
    except (BackendError, ValueError) as error:
        undone = await _undo(backends, [targets[n] for n in written])
        message = str(error)[:500] + (
            "" if undone else " (a status already written could not be set back)"
        )
        async with db.transaction() as session:
            await session.execute(
                update(DealConflict)
                .where(DealConflict.id == conflict_id)
                .values(status="open", claimed_at=None, failure=message)
            )
        raise WriteBackFailed(message) from None
    async with db.transaction() as session:
        row = await session.get(DealConflict, conflict_id)
        assert row is not None  # noqa: S101 - claimed above, never deleted while claimed
        row.status, row.decision, row.note = "resolved", decision, note
        row.decided_by, row.decided_at, row.failure, row.claimed_at = by[:320], now, "", None
        for registration_id, status in zip((row.first_id, row.second_id), statuses, strict=True):
            registration = await session.get(DealRegistrationRow, registration_id)
            assert registration is not None  # noqa: S101
            registration.state = status
            await _tell_partner(session, registration, status, now)
        policy = await conflict_policy(session)
        return (await _views(session, [row], policy))[0]


async def _undo(backends: Backends, targets: Sequence[tuple[str, object, str]]) -> bool:
    """Set statuses already written back to pending; whether all of them were."""
    done = True
    for source, partner, deal_id in targets:
        try:
            await backends.decide_registration(source, partner, deal_id, "pending")  # type: ignore[arg-type]
        except (BackendError, ValueError):
            done = False
    return done


async def _tell_partner(
    session: AsyncSession, registration: DealRegistrationRow, status: str, now: datetime
) -> None:
    """Each of the partner's people learns about its own registration only: never the other
    partner's name or deal, nor the manager's note (vendor-internal)."""
    people = (
        await session.scalars(
            select(User).where(User.partner_org_id == registration.partner_org_id)
        )
    ).all()
    for person in people:
        locale = person.locale or "en"
        title = translate(
            locale,
            N_("Your deal registration for %(customer)s was approved")
            if status == "approved"
            else N_("Your deal registration for %(customer)s was not approved"),
            customer=registration.customer,
        )
        body = translate(
            locale,
            N_("Deal %(deal)s, registered on %(day)s. The vendor's decision is in the PRM too."),
            deal=registration.deal_name,
            day=registration.registered_at.date().isoformat(),
        )
        notify(session, person.id, kind="deal_registration", title=title, body=body, at=now)


async def timeline_entries(
    session: AsyncSession, org_id: int, locale: str = "en"
) -> list[tuple[datetime, str, str]]:
    """The conflicts involving ``org_id`` for the partner's (vendor-only) timeline: when,
    ``"conflict"`` and a short text in ``locale``, detection and decision each an entry."""
    rows = (
        await session.scalars(
            select(DealConflict).where(
                or_(DealConflict.first_org_id == org_id, DealConflict.second_org_id == org_id)
            )
        )
    ).all()
    return await _entries(session, rows, org_id, locale)


async def open_entries(
    session: AsyncSession, org_id: int, locale: str = "en"
) -> list[tuple[datetime, str, str]]:
    """The conflicts involving ``org_id`` that wait for a decision (a briefing's open items)."""
    rows = (
        await session.scalars(
            select(DealConflict).where(
                DealConflict.status != "resolved",
                or_(DealConflict.first_org_id == org_id, DealConflict.second_org_id == org_id),
            )
        )
    ).all()
    return await _entries(session, rows, org_id, locale)


async def waiting_entries(
    session: AsyncSession, org_ids: frozenset[int] | None, locale: str = "en"
) -> list[tuple[datetime, str, str]]:
    """The conflicts waiting among ``org_ids`` (every partner for ``None``), in one query:
    what a manager's weekly digest lists."""
    query = _visible(select(DealConflict).where(DealConflict.status != "resolved"), org_ids)
    rows = (await session.scalars(query.order_by(DealConflict.detected_at))).all()  # type: ignore[attr-defined]
    entries: list[tuple[datetime, str, str]] = []
    for row in rows:
        entries += await _entries(session, [row], row.first_org_id, locale)
    return entries


async def _entries(
    session: AsyncSession, rows: Sequence[DealConflict], org_id: int, locale: str
) -> list[tuple[datetime, str, str]]:
    """Each conflict in ``rows`` from ``org_id``'s side: its detection and any decision."""
    views = await _views(session, rows, await conflict_policy(session))
    entries: list[tuple[datetime, str, str]] = []
    for view in views:
        own, other = view.sides if view.first.org_id == org_id else view.sides[::-1]
        entries.append(
            (
                view.detected_at,
                "conflict",
                translate(
                    locale,
                    N_("Registration for %(customer)s conflicts with %(other)s's (%(how)s)"),
                    customer=own.customer,
                    other=other.partner,
                    how=translate(locale, MATCH_NAMES.get(view.matched_by, view.matched_by)),
                ),
            )
        )
        if view.status == "resolved" and view.decided_at is not None:
            outcome = (
                N_("both approved")
                if view.decision == "both"
                else N_("this partner's approved")
                if (view.decision == "first") == (own is view.first)
                else N_("the other partner's approved")
            )
            entries.append(
                (
                    view.decided_at,
                    "conflict",
                    translate(
                        locale,
                        N_("Conflict over %(customer)s decided by %(who)s: %(outcome)s"),
                        customer=own.customer,
                        who=view.decided_by,
                        outcome=translate(locale, outcome),
                    ),
                )
            )
    return sorted(entries, key=lambda entry: entry[0], reverse=True)


async def visible_to(db: Database, user_id: int) -> frozenset[int] | None:
    """The partner org ids whose conflicts ``user_id`` may see (``None``: all of them)."""
    from hub.services.program.views import visible_orgs

    async with db.session() as session:
        return await visible_orgs(session, user_id)
