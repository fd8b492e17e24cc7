"""Facts the next-best-action rules read, gathered from the connectors for one person.

Only the reads a persona's rules need (its ``fact_reads`` in the persona catalogue)
are made, all at once, each under a short
timeout; a backend that fails or is slow leaves its facts out, and a missing fact
makes its rule's condition false, so one dead backend only hides the actions that
depend on it. The names are those of ``seed_facts.DEMO_FACTS`` and docs/engagement.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from hub.connectors.backends import Backends
from hub.connectors.base import BackendError
from hub.connectors.operations import BY_NAME, Operation
from hub.connectors.records import (
    Campaign,
    Certification,
    Completion,
    Deal,
    FundClaim,
    PartnerAccount,
    PartnerRef,
    PersonRef,
    Rebate,
    Redistribution,
    Spiff,
)

READ_TIMEOUT = 4.0
CLAIM_WINDOW_DAYS = 14
TOP_TIER = "Platinum"


async def _tolerant(backends: Backends, operation: Operation[Any, Any], subject: Any) -> Any:
    """The read's value, or ``None`` when its backend is missing, failing or slow."""
    if not backends.has(operation.kind):
        return None
    try:
        fetched = await asyncio.wait_for(backends.fetch(operation, subject), READ_TIMEOUT)
    except (BackendError, TimeoutError):
        return None
    return fetched.value


async def gather_facts(
    backends: Backends,
    *,
    reads: Sequence[str],
    partner: PartnerRef | None,
    person: PersonRef,
    tier: str,
    now: datetime,
) -> dict[str, Any]:
    """The facts that the backend operations named in ``reads`` (a persona's
    ``fact_reads``) could answer; a partner's operations read its org, the rest the person."""
    wanted = [BY_NAME[name] for name in reads if name in BY_NAME] if partner is not None else []
    values = await asyncio.gather(
        *(
            _tolerant(backends, operation, partner if operation.subject is PartnerRef else person)
            for operation in wanted
        )
    )
    found = {operation.name: value for operation, value in zip(wanted, values, strict=True)}
    facts: dict[str, Any] = {}
    today = now.date()
    if found.get("partner_account") is not None:
        account: PartnerAccount = found["partner_account"]
        ends = account.agreement_end
        facts["agreement_expired"] = (ends is not None and ends < today) or (
            account.agreement_status.lower() == "expired"
        )
    if found.get("deals") is not None:
        facts.update(deal_facts(found["deals"], person.email, today))
    if found.get("fund_claims") is not None:
        facts["fund_claims_expiring"] = expiring_claims(found["fund_claims"], today)
    if found.get("rebates") is not None:
        facts.update(rebate_facts(found["rebates"]))
    if found.get("certifications") is not None:
        certifications: list[Certification] = found["certifications"]
        facts["certification_complete"] = any(
            c.expires_at is None or c.expires_at > now for c in certifications
        )
        facts["certification_unlocks_next_tier"] = bool(tier) and tier != TOP_TIER
    if found.get("spiffs") is not None:
        facts.update(spiff_facts(found["spiffs"], today))
    if found.get("completions") is not None:
        completions: list[Completion] = found["completions"]
        facts["implementation_checklist_adopted"] = any(
            "implementation" in c.course.name.lower() or "checklist" in c.course.name.lower()
            for c in completions
        )
    if found.get("campaigns") is not None and found.get("redistributions") is not None:
        facts["campaigns_not_redistributed"] = not_redistributed(
            found["campaigns"], found["redistributions"], now
        )
    return facts


def expiring_claims(claims: list[FundClaim], today: date) -> int:
    """Approved claims whose deadline falls within the next ``CLAIM_WINDOW_DAYS`` days."""
    until = today + timedelta(days=CLAIM_WINDOW_DAYS)
    return sum(
        1
        for claim in claims
        if claim.status == "approved"
        and claim.claim_deadline is not None
        and today <= claim.claim_deadline <= until
    )


def deal_facts(deals: list[Deal], email: str, today: date) -> dict[str, int]:
    """Deals registered this month: the person's own ("you have not registered a deal" is
    not answered by a colleague's deal), and the whole org's."""
    this_month = [deal for deal in deals if deal.registered_at.date() >= today.replace(day=1)]
    mine = email.lower()
    return {
        "deals_registered_this_month": sum(
            1 for deal in this_month if (deal.owner_email or "").lower() == mine
        ),
        "org_deals_registered_this_month": len(this_month),
    }


def rebate_facts(rebates: list[Rebate]) -> dict[str, Any]:
    """Whether an earned rebate waits for its invoice, and how much it is."""
    waiting = [
        r
        for r in rebates
        if r.status == "earned" and not r.invoice_submitted and r.amount.amount > 0
    ]
    if not waiting:
        return {"rebate_invoice_missing": False}
    amount = waiting[0].amount
    return {
        "rebate_invoice_missing": True,
        "rebate_amount": amount,
    }


def spiff_facts(spiffs: list[Spiff], today: date) -> dict[str, Any]:
    """SPIFs the person qualifies for and has not finished yet, the richest first."""
    open_ = sorted(
        (s for s in spiffs if s.eligible and s.progress < 1 and s.starts <= today <= s.ends),
        key=lambda s: s.reward.amount,
        reverse=True,
    )
    if not open_:
        return {"spiffs_to_finish": 0}
    best = open_[0]
    return {
        "spiffs_to_finish": len(open_),
        "spiff_name": best.name,
        "spiff_reward": best.reward,
        "spiff_ends": best.ends,
    }


def not_redistributed(
    campaigns: list[Campaign], redistributions: list[Redistribution], now: datetime
) -> int:
    """Published campaigns of the last 90 days nobody in the org has sent on yet."""
    shared = {r.campaign_id for r in redistributions}
    since = now - timedelta(days=90)
    return sum(
        1
        for c in campaigns
        if c.is_published
        and c.id not in shared
        and (c.published_at is None or c.published_at >= since)
    )
