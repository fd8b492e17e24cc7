"""The next-best-action facts gathered from connector records: each rule's input, exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hub.connectors.records import (
    Campaign,
    Deal,
    FundClaim,
    FundType,
    Money,
    Rebate,
    Redistribution,
    Spiff,
)
from hub.services.action_facts import (
    deal_facts,
    expiring_claims,
    not_redistributed,
    rebate_facts,
    spiff_facts,
)

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
        "rebate_amount": usd,
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


def test_a_zero_rebate_asks_for_no_invoice() -> None:
    nothing = Rebate("r0", "Q3", Money(Decimal(0), "AUD"), "earned", TODAY - timedelta(days=20))
    assert rebate_facts([nothing]) == {"rebate_invoice_missing": False}


def spiff(name: str, reward: int, *, eligible: bool = True, progress: str = "0.5") -> Spiff:
    return Spiff(
        id=name,
        name=name,
        description="",
        eligible=eligible,
        reward=Money(Decimal(reward), "EUR"),
        requirements=("Register a deal",),
        starts=TODAY - timedelta(days=10),
        ends=TODAY + timedelta(days=20),
        progress=Decimal(progress),
    )


def test_open_spiffs_the_person_qualifies_for_richest_first() -> None:
    facts = spiff_facts(
        [
            spiff("Small", 100),
            spiff("Big", 900),
            spiff("Not for you", 5000, eligible=False),
            spiff("Done already", 3000, progress="1"),
        ],
        TODAY,
    )
    assert facts == {
        "spiffs_to_finish": 2,
        "spiff_name": "Big",
        "spiff_reward": Money(Decimal("900"), "EUR"),
        "spiff_ends": TODAY + timedelta(days=20),
    }
    assert spiff_facts([spiff("Done already", 3000, progress="1")], TODAY) == {
        "spiffs_to_finish": 0
    }


def test_this_months_deals_are_the_persons_own_and_the_orgs() -> None:
    def deal(owner: str | None, days_ago: int) -> Deal:
        registered = NOW - timedelta(days=days_ago)
        return Deal(
            "d", "Deal", "Customer", Money(Decimal(1000), "USD"), "Prospecting",
            False, False, registered, None, "acct", owner_email=owner,
        )  # fmt: skip

    deals = [deal("Rep@Acme.example", 3), deal("colleague@acme.example", 1), deal(None, 2)]
    deals.append(deal("rep@acme.example", 30))  # last month
    assert deal_facts(deals, "rep@acme.example", TODAY) == {
        "deals_registered_this_month": 1,
        "org_deals_registered_this_month": 3,
    }
    # A colleague's deal does not confirm "register a deal" for the person.
    assert deal_facts(deals[1:3], "rep@acme.example", TODAY)["deals_registered_this_month"] == 0
