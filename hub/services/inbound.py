"""Backend events pushed to the hub (webhooks), matched to people and kept as activity."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.db import Database
from hub.services import activity
from hub.services.conflicts.matching import Registration, domain_of, record_registrations
from hub.services.conflicts.policy import conflict_policy
from hub.services.users import user_by_email


async def record_backend_event(db: Database, email: str, event: activity.Activity) -> bool:
    """Record ``event`` for the hub user with ``email`` (or for nobody); ``True`` when new."""
    async with db.transaction() as session:
        user = await user_by_email(session, email)
        if user is not None:
            event = replace(event, user_id=user.id, partner_org_id=user.partner_org_id)
        return await activity.record(session, event)


async def record_registration_event(
    db: Database, source: str, email: str, deal_id: str, data: dict[str, Any], at: datetime
) -> int:
    """A ``deal.registered`` webhook that names its customer (``customer``, optionally
    ``customer_domain`` or ``website``, ``customer_account_id``, ``amount``, ``currency``,
    ``name``): kept for conflict detection; how many conflicts it opened."""
    customer = str(data.get("customer") or "").strip()
    if not customer or not deal_id:
        return 0
    try:
        amount = Decimal(str(data.get("amount") or 0))
    except InvalidOperation:
        amount = Decimal(0)
    currency = str(data.get("currency") or "USD").upper()
    async with db.transaction() as session:
        user = await user_by_email(session, email)
        if user is None or user.partner_org_id is None:
            return 0
        registration = Registration(
            partner_org_id=user.partner_org_id,
            source=source,
            external_id=deal_id,
            deal_name=str(data.get("name") or customer)[:300],
            customer=customer[:300],
            registered_at=at,
            amount=amount,
            currency=currency if len(currency) == 3 and currency.isalpha() else "USD",
            domain=domain_of(str(data.get("customer_domain") or data.get("website") or "")),
            customer_account_id=str(data.get("customer_account_id") or "") or None,
        )
        policy = await conflict_policy(session)
        found = await record_registrations(session, [registration], policy, datetime.now(UTC))
    return len(found)
