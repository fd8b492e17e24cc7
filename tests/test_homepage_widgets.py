"""Widget fragments through the ASGI app, over fake connectors: figures, isolation, failures."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from hub.connectors.records import (
    Campaign,
    IncentiveGoal,
    Kind,
    Lead,
    Money,
    PartnerAccount,
    Rebate,
    Spiff,
)
from hub.db import Database, PartnerOrg, User
from hub.demo.cast import USERS
from hub.personas.audience import Audience
from hub.personas.catalogue import PersonaBook, default_personas
from hub.services import activity
from hub.services.activity import Activity
from hub.settings import Settings
from hub.store import KeyValueStore
from hub.widgets.catalogue import build_registry
from tests.fakes.home import HomeRig, home_rig

pytestmark = pytest.mark.anyio

REGISTRY = build_registry()
BOOK = PersonaBook(default_personas(), REGISTRY)
PARTNER_OWNER = "owner@acme.example"


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store) as made:
        yield made


def person_for(widget_name: str, org: str | None = "acme") -> tuple[str, str]:
    """A demo person of ``org`` with a role that may use the widget, and that role."""
    widget = REGISTRY[widget_name]
    for person in USERS:
        if person.org != org:
            continue
        for role in person.roles:
            if BOOK.allows(role, widget):
                return person.email, role
    raise LookupError(widget_name)


async def as_persona(rig: HomeRig, email: str, persona: str) -> str:
    token = await rig.sign_in(email)
    if persona != next(p.roles[0] for p in USERS if p.email == email):
        response = await rig.client.post(
            "/home/persona", data={"persona": persona, "csrf_token": token}
        )
        assert response.status_code == 303
    return token


def vendor_only(name: str) -> bool:
    return not any(BOOK.allows(p, REGISTRY[name]) for p in BOOK.ids(Audience.PARTNER))


EXPECTED = {
    "program_status": [
        "Silver",
        "To reach Gold this year",
        "$440,000 more closed-won revenue",
        "12 more won deals",
        "45 days left",
    ],
    "dollars_spent": ["$60,000", "3 won deals", "$90,000"],
    "rebates_earned": [
        "$2,000",
        "Paid out: $766",
        "Waiting for your invoice: $1,234 (1 rebate)",
        "Not earned yet: $400 accruing until",
    ],
    "coop_earned": ["$8,000", "co-op earned for ", "Claimed: $2,500", "Left to claim: $5,500"],
    "mdf_spent": ["$3,000", "spent in 1 approved claim"],
    "mdf_available": ["$15,000", "Allocated: $20,000"],
    "progress_to_goal": [
        "Goal of {email}",
        'class="chart chart-kind-target"',
        "$64,000 of $100,000",
        "Ahead of pace",
        "34% of the period gone",
    ],
    "spiff_eligibility": ["SPIF for {email}", "$500"],
    "requirements_to_earn": ["Register 2 deals", "Finish the course"],
    "claim_status": ["In review: 1", "Paid: 1", "Claim of {email}"],
    "leads_earned": [">7<", "leads in the last 90 days", "ACME campaign 0: 7"],
    "campaigns_to_redistribute": ["ACME campaign 0", "ACME campaign 2"],
    "satisfaction_rates": ["87%", "120 survey answers"],
    "velocity": ["7.5 h", "310 cases closed"],
    "retention": ["92%", "23 of 25 renewals due were renewed"],
    "certification_level": ["Professional", "Certified {email}", "expires"],
    "quick_links": ["https://prm.fake.example/portal", "https://tcma.fake.example/portal"],
    "field_team": ["Casey Morgan", "mailto:cam@vendor.example", "tel:+15550100", "Partner support"],
    "whats_new": ["New"],
    # The rig indexes no content (tests/test_content_widget.py fills the library).
    "content_for_you": [
        "Nothing new in the library for you since your last visit."
    ],  # per persona: SPIFs, campaigns, allocations and won deals, courses
    # The rig's orgs joined just now: recruited recently, so nobody is flagged yet.
    "my_partners": ["Acme Corporation", "Globex", "Initech", "Recruited recently"],
    "quiet_partners": ["None of your partners is dormant"],
    # The rig seeds no topics: nobody answers one yet (tests/test_questions.py fills it).
    "expert_questions": ["You answer no topic yet"],
    "connector_health": [
        "Partner relationship management",
        "Partner portal (PRM)",
        "Every connector answers",
    ],
    # Engagement, before any engagement content is seeded (tests/test_engagement_widgets.py
    # covers them seeded): no rules, no points, no budget.
    "next_best_action": ["Nothing to suggest right now"],
    "points_badges": ["points-balance", "Level 1: Newcomer", "No badges yet."],
    "leaderboard": ['name="period"', "You have no points in this period yet."],
    "recognition_feed": ["Thank a colleague", 'name="recipient_id"', "Send kudos"],
    "recognition_budget": ["You have no giving budget this period"],
}
FILLED = [name for name in REGISTRY if not REGISTRY[name].slot]
SLOTS = [name for name in REGISTRY if REGISTRY[name].slot]


def test_every_filled_widget_has_expectations() -> None:
    assert sorted(EXPECTED) == sorted(FILLED)


@pytest.mark.parametrize("name", FILLED)
async def test_widget_shows_figures_from_the_connectors(rig: HomeRig, name: str) -> None:
    org = None if vendor_only(name) else "acme"
    email, persona = person_for(name, org)
    await as_persona(rig, email, persona)
    response = await rig.widget(name)
    assert response.status_code == 200
    for expected in EXPECTED[name]:
        assert expected.replace("{email}", email) in response.text, (name, expected)
    assert "Updated" in response.text or "Live from the hub" in response.text
    assert "widget-notice" not in response.text
    if REGISTRY[name].source is not None:
        portal = f"https://{REGISTRY[name].source.value}.fake.example/portal"  # type: ignore[union-attr]
        assert f'href="{portal}"' in response.text


@pytest.mark.parametrize("name", SLOTS)
async def test_an_unfilled_slot_renders_nothing(rig: HomeRig, name: str) -> None:
    email, persona = person_for(name, None if vendor_only(name) else "acme")
    await as_persona(rig, email, persona)
    response = await rig.widget(name)
    assert response.status_code == 200
    assert response.text == ""


@pytest.mark.parametrize("name", list(REGISTRY))
async def test_no_widget_gives_one_org_another_orgs_data(
    rig: HomeRig, db: Database, name: str
) -> None:
    async with db.session() as session:
        globex = await session.scalar(select(PartnerOrg).where(PartnerOrg.slug == "globex"))
        other = await session.scalar(select(User).where(User.email == "owner@globex.example"))
    assert globex is not None
    assert other is not None
    if vendor_only(name):
        await rig.sign_in(PARTNER_OWNER)
        assert (await rig.widget(name)).status_code == 403
        assert (await rig.widget(name, org="globex")).status_code in (403, 404)
        return
    email, persona = person_for(name, "acme")
    await as_persona(rig, email, persona)
    for params in (
        {"org": "globex"},
        {"partner_org": "globex"},
        {"partner_org_id": str(globex.id)},
        {"org_id": str(globex.id)},
        {"user_id": str(other.id)},
        {"email": "owner@globex.example"},
    ):
        response = await rig.widget(name, **params)
        assert response.status_code in (403, 404), (name, params)
    own = await rig.widget(name, org="acme")
    assert own.status_code == 200
    assert "GLOBEX" not in own.text
    assert "globex.example" not in own.text
    for connector in rig.connectors.values():
        assert all("globex" not in subject for _, subject in connector.calls), connector.calls


async def test_rebates_earned_are_the_sum_of_their_parts(rig: HomeRig) -> None:
    await rig.sign_in(PARTNER_OWNER)
    text = (await rig.widget("rebates_earned")).text

    # What the widget calls earned is what it says was paid plus what waits for the
    # invoice; what still accrues is shown apart, as not earned yet.
    def amount(pattern: str) -> Decimal:
        found = re.search(pattern + r"\$([\d,]+(?:\.\d\d)?)", text)
        assert found, pattern
        return Decimal(found.group(1).replace(",", ""))

    earned = amount(r'class="stat-value">\s*')
    assert amount("Paid out: ") + amount("Waiting for your invoice: ") == earned
    assert amount("Not earned yet: ") == Decimal(400)


async def test_a_rebate_of_nothing_is_not_waiting_for_an_invoice(rig: HomeRig) -> None:
    today = datetime.now(UTC).date()

    def rebate(key: str, amount: int, status: str, submitted: bool = False) -> Rebate:
        return Rebate(key, key, Money(Decimal(amount), "USD"), status, today, submitted)

    rig.connectors[Kind.PRM].given["rebates"] = {
        "acme": [rebate("zero", 0, "earned"), rebate("paid", 300, "paid")]
    }
    await rig.sign_in(PARTNER_OWNER)
    text = (await rig.widget("rebates_earned")).text
    assert "Paid out: $300" in text
    assert "Waiting for your invoice" not in text  # a rebate of $0 needs no invoice
    assert "Invoiced, not paid yet" not in text


async def test_a_goal_shows_over_achievement_and_whether_it_is_on_pace(rig: HomeRig) -> None:
    today = datetime.now(UTC).date()
    start, end = today - timedelta(days=59), today + timedelta(days=40)  # 60% of 100 days gone

    def goal(name: str, achieved: int) -> IncentiveGoal:
        return IncentiveGoal(
            name, name, PARTNER_OWNER, start, end, Decimal(14), Decimal(achieved), "units"
        )

    rig.connectors[Kind.INCENTIVES].given["goals"] = {
        PARTNER_OWNER: [goal("Over", 18), goal("Behind", 4), goal("On", 8)]
    }
    await rig.sign_in(PARTNER_OWNER)
    text = (await rig.widget("progress_to_goal")).text
    over, behind, on = (
        text[text.index(f"<strong>{n}</strong>") :] for n in ("Over", "Behind", "On")
    )
    assert "18 of 14 units · 129%" in over  # not capped at 100%
    assert "Goal met" in over.split("</li>")[0]
    assert "Behind pace" in behind.split("</li>")[0]  # 29% with 60% of the time gone
    assert "On pace" in on.split("</li>")[0]  # 57%: within a tenth of the 60%
    assert "60% of the period gone" in text


async def test_leads_name_their_campaign_or_count_the_unnamed_together(rig: HomeRig) -> None:
    now = datetime.now(UTC)
    leads = [Lead(f"L{i}", "Lead", "Co", now, c) for i, c in enumerate([*"AAB99CCDE", ""])]
    tcma = rig.connectors[Kind.TCMA]
    tcma.given["leads"] = {"acme": leads}
    tcma.given["campaigns"] = {
        "acme": [
            Campaign("A", "Cloud Migration Webinar", "", now, True),
            Campaign("B", "Zero Trust Kit", "", now, True),
            Campaign("C", "Partner Summit", "", now, True),
            Campaign("D", "SMB Bundle", "", now, True),
            Campaign("E", "Year-End Push", "", now, True),
        ]
    }
    await rig.sign_in(PARTNER_OWNER)
    text = (await rig.widget("leads_earned")).text
    # 10 leads: the top three campaigns 2 + 2 + 1, then the other two named ones, the two
    # of a campaign no longer offered and the one without a campaign: 2 + 2 + 1.
    assert ">10<" in text
    assert "Cloud Migration Webinar: 2" in text
    assert "Partner Summit: 2" in text
    assert text.count(": 1<") == 1  # one of the campaigns with one lead is in the top
    assert "2 leads from other campaigns" in text
    assert "2 leads from campaigns no longer offered" in text
    assert "1 lead from no campaign" in text
    assert "9:" not in text


async def test_an_expired_agreement_says_expired_not_negative_days(rig: HomeRig) -> None:
    prm = rig.connectors[Kind.PRM]
    today = datetime.now(UTC).date()
    account = PartnerAccount(
        "ACME-ACCOUNT", "Acme", "Registered", "active", "Expired",
        today - timedelta(days=400), today - timedelta(days=30),
    )  # fmt: skip
    prm.given["partner_account"] = {"acme": [account]}
    await rig.sign_in(PARTNER_OWNER)
    text = (await rig.widget("program_status")).text
    assert "Expired" in text
    assert "-30" not in text
    assert "days left" not in text


async def test_a_widget_the_persona_may_not_use_is_403(rig: HomeRig) -> None:
    await rig.sign_in("support@acme.example")
    response = await rig.widget("rebates_earned")
    assert response.status_code == 403
    assert rig.connectors[Kind.PRM].calls == []


async def test_an_unknown_widget_is_404(rig: HomeRig) -> None:
    await rig.sign_in(PARTNER_OWNER)
    assert (await rig.widget("no_such_widget")).status_code == 404


async def test_signed_out_widget_is_401(rig: HomeRig) -> None:
    assert (await rig.widget("program_status")).status_code == 401


async def test_without_htmx_a_widget_is_a_whole_page(rig: HomeRig) -> None:
    await rig.sign_in(PARTNER_OWNER)
    response = await rig.client.get("/widgets/dollars_spent")
    assert response.status_code == 200
    assert "<html" in response.text
    assert "$60,000" in response.text
    assert "Back to your homepage" in response.text


async def test_a_failing_backend_degrades_only_its_widgets(rig: HomeRig) -> None:
    await rig.sign_in(PARTNER_OWNER)
    rig.connectors[Kind.PRM].fail = True
    page = await rig.client.get("/")
    assert page.status_code == 200
    broken = await rig.widget("dollars_spent")
    assert broken.status_code == 200
    assert "cannot be loaded right now" in broken.text
    assert "Try again" in broken.text
    fine = await rig.widget("quick_links")
    assert "widget-notice" not in fine.text


async def test_a_failing_backend_shows_the_last_good_value_with_its_age(rig: HomeRig) -> None:
    await rig.sign_in(PARTNER_OWNER)
    good = await rig.widget("rebates_earned")
    assert "$2,000" in good.text
    rig.connectors[Kind.PRM].fail = True
    stale = await rig.widget("rebates_earned")
    assert stale.status_code == 200
    assert "$2,000" in stale.text
    assert "Out of date" in stale.text
    assert re.search(r"Figures from \d+ \w+ ago", stale.text)
    assert "just now" not in stale.text


async def test_a_slow_backend_times_the_widget_out(
    settings: Settings, db: Database, store: KeyValueStore
) -> None:
    async with home_rig(settings, db, store, delay=3.0) as slow:
        await slow.sign_in(PARTNER_OWNER)
        response = await slow.widget("dollars_spent")  # the fake connector's timeout is 2 s
        assert response.status_code == 200
        assert "cannot be loaded right now" in response.text


async def test_what_is_new_for_the_vendor_leaves_out_states_that_are_not_activity(
    rig: HomeRig, db: Database
) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as session:
        initech = await session.scalar(select(PartnerOrg.id).where(PartnerOrg.slug == "initech"))
        await activity.record_all(
            session,
            [
                Activity("s1", "agreement_state", now, partner_org_id=initech),
                Activity("s2", "goal_progress", now, partner_org_id=initech),
                Activity("d1", "deal_registered", now - timedelta(hours=1), partner_org_id=initech),
            ],
        )
    await rig.sign_in("cam@vendor.example")
    news = (await rig.widget("whats_new")).text
    assert "registered a deal" in news
    assert "agreement state" not in news
    assert "goal progress" not in news


async def test_a_vendor_user_sees_every_partner(rig: HomeRig) -> None:
    await rig.sign_in("cam@vendor.example")
    response = await rig.widget("my_partners")
    assert all(name in response.text for name in ("Acme Corporation", "Globex", "Initech"))


async def test_a_german_user_gets_german_figures(rig: HomeRig) -> None:
    await rig.sign_in("owner@globex.example")  # the demo gives Greta the "de" locale
    response = await rig.widget("dollars_spent")
    assert "60.000" in response.text
    assert "Aktualisiert" in response.text


async def test_a_user_moved_to_another_org_is_refused_until_signed_in_again(
    rig: HomeRig, db: Database
) -> None:
    await rig.sign_in(PARTNER_OWNER)
    async with db.transaction() as session:
        globex = await session.scalar(select(PartnerOrg).where(PartnerOrg.slug == "globex"))
        user = await session.scalar(select(User).where(User.email == PARTNER_OWNER))
        assert globex is not None
        assert user is not None
        user.partner_org_id = globex.id
    assert (await rig.widget("dollars_spent")).status_code == 403
    assert (await rig.client.get("/")).status_code == 403
    assert rig.connectors[Kind.PRM].calls == []


async def test_a_revoked_role_is_refused(rig: HomeRig, db: Database) -> None:
    await rig.sign_in(PARTNER_OWNER)
    async with db.transaction() as session:
        user = await session.scalar(select(User).where(User.email == PARTNER_OWNER))
        assert user is not None
        user.roles = ["support"]
    assert (await rig.widget("program_status")).status_code == 403


async def test_the_homepage_refuses_another_orgs_id_in_the_url(rig: HomeRig) -> None:
    await rig.sign_in(PARTNER_OWNER)
    assert (await rig.client.get("/", params={"org": "globex"})).status_code == 404
    assert (await rig.client.get("/", params={"org": "acme"})).status_code == 200


async def test_without_assigned_contacts_the_vendors_channel_managers_are_shown(
    rig: HomeRig, db: Database
) -> None:
    from sqlalchemy import delete

    from hub.db.models import FieldContact

    async with db.transaction() as session:
        await session.execute(delete(FieldContact))
    await rig.sign_in(PARTNER_OWNER)
    response = await rig.widget("field_team")
    assert "mailto:cam@vendor.example" in response.text
    assert "tel:" not in response.text


async def test_the_account_owner_who_also_covers_every_partner_is_listed_once(
    rig: HomeRig, db: Database
) -> None:
    """The PRM names the program-wide channel manager as acme's account owner (without a
    phone): the widget lists that person once, with the phone the wider entry has."""
    from hub.db.models import FieldContact, PartnerOrg

    await rig.sign_in(PARTNER_OWNER)
    async with db.transaction() as session:
        acme = await session.scalar(select(PartnerOrg).where(PartnerOrg.slug == "acme"))
        assert acme is not None
        everyone = (await session.scalars(select(FieldContact))).all()
        assert any(c.email == "cam@vendor.example" and c.partner_org_id is None for c in everyone)
        session.add(
            FieldContact(
                partner_org_id=acme.id,
                role="channel_manager",
                name="Casey Morgan",
                email="cam@vendor.example",
            )
        )
    response = await rig.widget("field_team")
    assert response.text.count("mailto:cam@vendor.example") == 1
    assert "tel:+15550100" in response.text
    assert "Partner support" in response.text


async def test_spifs_not_listed_are_counted_so_the_listed_ones_add_up_to_the_total(
    rig: HomeRig,
) -> None:
    today = datetime.now(UTC).date()

    def spiff(n: int, dollars: int, eligible: bool = True) -> Spiff:
        reward = Money(Decimal(dollars), "USD")
        ends = today + timedelta(days=n)
        return Spiff(f"s{n}", f"SPIF {n}", "", eligible, reward, (), today, ends)

    rewards = [2000, 450, 350, 750, 1000, 1200, 2000]
    rig.connectors[Kind.INCENTIVES].given["spiffs"] = {
        PARTNER_OWNER: [spiff(n, d) for n, d in enumerate(rewards, 1)] + [spiff(9, 500, False)]
    }
    await rig.sign_in(PARTNER_OWNER)
    text = (await rig.widget("spiff_eligibility")).text
    assert "$7,750" in text
    assert "to earn from 7 SPIFs you qualify for" in text
    assert [f"SPIF {n}" in text for n in range(1, 8)] == [True] * 4 + [False] * 3
    assert "and 3 more SPIFs you qualify for: $4,200" in text  # 3,550 listed + 4,200 = 7,750
    assert "1 more SPIF is open, but you do not qualify yet." in text
