"""Finding two partners' registrations of one customer.

Every registration the PRM reports is kept in ``deal_registrations`` with its keys: the
customer's name normalised (legal suffixes such as "Corp." or "GmbH & Co. KG" removed by
``cleanco``, accents, punctuation and case folded), a blocking key (the first four letters
of the normalised name), the customer's website or email domain, and its account id in
the PRM. A new registration's candidates are the registrations of other partners with the
same account id, domain or blocking key registered within the protection window, found by
index; only those few are scored with ``rapidfuzz``. Two names whose first word starts
differently are never compared: the price of a lookup that stays fast at a million rows.

Not conflicts: registrations of the same partner, lost deals, registrations the PRM
marks rejected or expired, and a registration older than the window (history is not
re-opened).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from cleanco import basename
from rapidfuzz import fuzz
from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hub.connectors.records import Deal
from hub.db.conflicts import DealConflict, DealRegistrationRow
from hub.services.conflicts.policy import ConflictPolicy

MAX_CANDIDATES = 200  # per incoming registration: the newest within the window
# States in which a registration protects its customer.
PROTECTING = ("open", "approved")
# Mail and site hosts many unrelated companies share: a domain there says nothing.
SHARED_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
        "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net", "web.de", "proton.me",
        "protonmail.com", "mail.com", "yandex.ru", "qq.com", "163.com",
    }
)  # fmt: skip
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise_name(name: str) -> str:
    """A customer's name as the matcher compares it: no legal suffix, no punctuation."""
    text = name.strip()
    for _ in range(4):  # "Umbrella Corporation Ltd": one suffix at a time
        shorter = basename(text)
        if not shorter or shorter == text:
            break
        text = shorter
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = folded.replace("&", " and ")
    words = _NOT_WORD.sub(" ", folded).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)[:300]


def block_key(name_key: str) -> str:
    """The blocking key candidates are looked up by: the name's first four letters."""
    return name_key.replace(" ", "")[:4]


def domain_of(value: str | None) -> str | None:
    """The registrable host of a website or an email address, or ``None`` if it says nothing."""
    if not value:
        return None
    text = value.strip().lower()
    if "@" in text and "//" not in text:
        host = text.rsplit("@", 1)[1]
    else:
        host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    host = host.removeprefix("www.").strip(".")
    if "." not in host or host in SHARED_DOMAINS or len(host) > 200:
        return None
    return host


def similarity(a: str, b: str) -> float:
    """How alike two normalised names are, 0-100 (word order does not matter)."""
    return float(fuzz.token_sort_ratio(a, b))


@dataclass(frozen=True)
class Registration:
    """One registration as the PRM reported it."""

    partner_org_id: int
    source: str
    external_id: str
    deal_name: str
    customer: str
    registered_at: datetime
    amount: Decimal
    currency: str
    state: str = "open"
    domain: str | None = None
    customer_account_id: str | None = None


def state_of(deal: Deal) -> str:
    """Whether a deal's registration still protects its customer, in one word."""
    if deal.is_closed and not deal.is_won:
        return "lost"
    if deal.registration_status in ("rejected", "expired", "approved"):
        return deal.registration_status
    return "open"


def registration_of(deal: Deal, partner_org_id: int, source: str) -> Registration:
    return Registration(
        partner_org_id=partner_org_id,
        source=source,
        external_id=deal.id,
        deal_name=deal.name,
        customer=deal.customer,
        registered_at=deal.registered_at,
        amount=deal.amount.amount,
        currency=deal.amount.currency,
        state=state_of(deal),
        domain=domain_of(deal.customer_domain),
        customer_account_id=deal.customer_account_id or None,
    )


@dataclass(frozen=True)
class Match:
    """A registration a new one conflicts with, and how they matched."""

    other: DealRegistrationRow
    matched_by: str  # account | domain | name
    score: float


async def find_matches(
    session: AsyncSession, row: DealRegistrationRow, policy: ConflictPolicy
) -> list[Match]:
    """Other partners' protecting registrations of the same customer within the window."""
    window = timedelta(days=policy.window_days)
    arms = []
    if row.block_key:
        arms.append(DealRegistrationRow.block_key == row.block_key)
    if row.domain:
        arms.append(DealRegistrationRow.domain == row.domain)
    if row.customer_account_id:
        arms.append(DealRegistrationRow.customer_account_id == row.customer_account_id)
    if not arms:
        return []
    query = (
        select(DealRegistrationRow)
        .where(
            or_(*arms),
            DealRegistrationRow.registered_at >= row.registered_at - window,
            DealRegistrationRow.registered_at <= row.registered_at + window,
            DealRegistrationRow.partner_org_id != row.partner_org_id,
            DealRegistrationRow.state.in_(PROTECTING),
        )
        .order_by(DealRegistrationRow.registered_at.desc())
        .limit(MAX_CANDIDATES)
    )
    matches = []
    for other in (await session.scalars(query)).all():
        if other.id == row.id:
            continue
        score = similarity(row.name_key, other.name_key)
        if row.customer_account_id and other.customer_account_id == row.customer_account_id:
            matches.append(Match(other, "account", 100.0))
        elif row.domain and other.domain == row.domain:
            matches.append(Match(other, "domain", 100.0))
        elif score >= policy.threshold:
            matches.append(Match(other, "name", round(score, 1)))
    return matches


def _row_of(registration: Registration, now: datetime) -> DealRegistrationRow:
    key = normalise_name(registration.customer)
    return DealRegistrationRow(
        partner_org_id=registration.partner_org_id,
        source=registration.source[:60],
        external_id=registration.external_id[:100],
        deal_name=registration.deal_name[:300],
        customer=registration.customer[:300],
        name_key=key,
        block_key=block_key(key),
        domain=registration.domain,
        customer_account_id=(registration.customer_account_id or "")[:100] or None,
        amount=str(registration.amount)[:40],
        currency=registration.currency,
        registered_at=registration.registered_at,
        state=registration.state,
        seen_at=now,
    )


async def record_registrations(
    session: AsyncSession,
    registrations: Sequence[Registration],
    policy: ConflictPolicy,
    now: datetime,
) -> list[DealConflict]:
    """Keep what the PRM reported, and open a conflict for each new clash (inside the
    caller's transaction). A registration seen before only has its state brought up to
    date; one that becomes protecting again is checked again. The new conflicts."""
    if not registrations:
        return []
    keys = [(r.source[:60], r.external_id[:100]) for r in registrations]
    known = {
        (row.source, row.external_id): row
        for row in (
            await session.scalars(
                select(DealRegistrationRow).where(
                    tuple_(DealRegistrationRow.source, DealRegistrationRow.external_id).in_(keys)
                )
            )
        ).all()
    }
    to_check: list[DealRegistrationRow] = []
    for registration in registrations:
        row = known.get((registration.source[:60], registration.external_id[:100]))
        if row is None:
            row = _row_of(registration, now)
            session.add(row)
            known[(row.source, row.external_id)] = row
            to_check.append(row)
            continue
        if row.state != registration.state:
            if registration.state in PROTECTING and row.state not in PROTECTING:
                to_check.append(row)
            row.state = registration.state
        row.seen_at = now
    await session.flush()
    young = now - timedelta(days=policy.window_days)
    found: list[DealConflict] = []
    for row in to_check:
        if row.state not in PROTECTING or row.registered_at < young:
            continue
        for match in await find_matches(session, row, policy):
            conflict = await _open_conflict(session, row, match, now)
            if conflict is not None:
                found.append(conflict)
    return found


async def _open_conflict(
    session: AsyncSession, row: DealRegistrationRow, match: Match, now: datetime
) -> DealConflict | None:
    first, second = sorted((row, match.other), key=lambda r: (r.registered_at, r.id))
    exists = await session.scalar(
        select(DealConflict.id).where(
            DealConflict.first_id == first.id, DealConflict.second_id == second.id
        )
    )
    if exists is not None:
        return None
    conflict = DealConflict(
        first_id=first.id,
        second_id=second.id,
        first_org_id=first.partner_org_id,
        second_org_id=second.partner_org_id,
        matched_by=match.matched_by,
        score=match.score,
        detected_at=now,
        status="open",
        decision="",
        note="",
        decided_by="",
        failure="",
    )
    session.add(conflict)
    await session.flush()
    return conflict
