"""The next-best-action facts gathered from connector records: each rule's input, exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hub.connectors.records import Campaign, FundClaim, FundType, Money, Rebate, Redistribution
from hub.services.action_facts import expiring_claims, not_redistributed, rebate_facts

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def claim(status: str, deadline: date | None) -> FundClaim:
    return FundClaim("c", FundType.MDF, "Ads", Money(Decimal(100), "USD"), status, None, deadline)


def test_only_approved_claims_due_within_two_weeks_are_expiring() -> None:
    claims = [
        claim("approved", TODAY + timedelta(days=3)),
        claim("approved", TODAY + timedelta(days=14)),
        claim("approved", TODAY + timedelta(days=15)),
        claim("approved", TODAY - timedelta(days=1)),
        claim("paid", TODAY + timedelta(days=3)),
        claim("approved", None),
    ]
    assert expiring_claims(claims, TODAY) == 2


def test_an_earned_rebate_without_invoice_is_missing_its_invoice() -> None:
    usd = Money(Decimal("4200.00"), "USD")
    assert rebate_facts([Rebate("r", "Q3", usd, "earned", TODAY)]) == {
        "rebate_invoice_missing": True,
        "rebate_amount": "USD 4,200",
    }
    invoiced = Rebate("r", "Q3", usd, "earned", TODAY, invoice_submitted=True)
    assert rebate_facts([invoiced, Rebate("a", "Q4", usd, "accrued", TODAY)]) == {
        "rebate_invoice_missing": False
    }


def test_recent_published_campaigns_nobody_shared_are_counted() -> None:
    def campaign(id: str, days_ago: int, published: bool = True) -> Campaign:
        return Campaign(id, id, "", NOW - timedelta(days=days_ago), published)

    campaigns = [campaign("a", 5), campaign("b", 5), campaign("c", 200), campaign("d", 1, False)]
    shared = [Redistribution("a", "x@acme.example", "email", NOW)]
    assert not_redistributed(campaigns, shared, NOW) == 1
