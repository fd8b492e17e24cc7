"""Deal-registration conflicts: matching, detection on sync, the queue, write-back to the PRM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import delete, func, select

from hub.app import create_app
from hub.connectors.backends import Backends
from hub.connectors.demo import demo_backends, demo_config
from hub.connectors.records import Kind, PartnerRef
from hub.connectors.registry import build_backends
from hub.connectors.sandboxes.knobs import Knobs
from hub.connectors.sandboxes.salesforce import SalesforceSandbox
from hub.db import AuditEntry, Database, PartnerOrg, User
from hub.db.conflicts import DealConflict, DealRegistrationRow
from hub.db.engagement import Notification, ProgramSetting
from hub.db.models import FieldContact
from hub.demo.seed import seed_demo
from hub.resources import Hub
from hub.services.conflicts import queue, timeline_entries
from hub.services.conflicts.matching import (
    Registration,
    domain_of,
    normalise_name,
    record_registrations,
    similarity,
)
from hub.services.conflicts.policy import ConflictPolicy
from hub.services.sync import sync_activity
from hub.settings import Settings
from hub.store import KeyValueStore
from tests.conftest import BASE_URL
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)

# (name a, name b, same company?) with the defaults' threshold of 90.
NAME_PAIRS = [
    ("Umbrella Corp.", "Umbrella Corporation Ltd", True),
    ("Umbrella Corp", "The Umbrella Corporation, Inc.", True),
    ("Umbrella GmbH & Co. KG", "UMBRELLA", True),
    ("Umbrella Corp", "Umbrella Health", False),
    ("Stark Logistics", "Stark Logistic", True),
    ("Stark Logistics", "Stark Foods", False),
    ("Wayne Foods", "Wayne Enterprises", False),
    ("Société Générale S.A.", "Societe Generale", True),
    ("Cyberdyne Systems", "Cyberdyne Systems Corp", True),
    ("Hooli Cloud", "Hooli XYZ", False),
]
DOMAINS = [
    ("https://www.umbrella.example/about", "umbrella.example"),
    ("buyer@umbrella.example", "umbrella.example"),
    ("umbrella.example", "umbrella.example"),
    ("someone@gmail.com", None),
    ("", None),
    ("not a domain", None),
]


@pytest.mark.parametrize(("a", "b", "same"), NAME_PAIRS)
def test_names_match_by_their_normalised_form(a: str, b: str, same: bool) -> None:
    assert (similarity(normalise_name(a), normalise_name(b)) >= 90) is same, (
        normalise_name(a),
        normalise_name(b),
    )


@pytest.mark.parametrize(("value", "domain"), DOMAINS)
def test_domains_come_from_websites_and_emails(value: str, domain: str | None) -> None:
    assert domain_of(value) == domain


async def _orgs(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        for slug in ("acme", "globex", "initech", "hooli"):
            session.add(PartnerOrg(slug=slug, name=slug.title()))
    async with db.session() as session:
        return {o.slug: o.id for o in (await session.scalars(select(PartnerOrg))).all()}


def _reg(
    org: int, deal: str, customer: str, days: int, *, state: str = "open",
    domain: str | None = None, account: str | None = None,
) -> Registration:  # fmt: skip
    return Registration(
        partner_org_id=org, source="salesforce", external_id=deal, deal_name=f"{customer} deal",
        customer=customer, registered_at=NOW - timedelta(days=days), amount=Decimal(1000),
        currency="USD", state=state, domain=domain, customer_account_id=account,
    )  # fmt: skip


async def test_detection_finds_the_clash_and_leaves_the_decoys(db: Database) -> None:
    orgs = await _orgs(db)
    acme, globex, initech, hooli = (orgs[s] for s in ("acme", "globex", "initech", "hooli"))
    history = [
        _reg(initech, "I1", "Umbrella Corporation", 30, state="expired"),  # expired
        _reg(hooli, "H1", "Umbrella Corp", 40, state="lost"),  # lost
        _reg(initech, "I2", "Umbrella Corporation", 200),  # outside the window
        _reg(globex, "G1", "Nakatomi Trading", 30),  # one partner, one customer, twice
        _reg(globex, "G2", "Nakatomi Trading Co.", 9),
        _reg(hooli, "H2", "Umbrella Health", 5),  # a different company, a similar name
        _reg(hooli, "H3", "Something Else", 5, domain="umbrella-health.example"),
        _reg(initech, "I3", "Initrode", 3, account="001CUSTOMER"),
    ]
    policy = ConflictPolicy()
    async with db.transaction() as session:
        assert await record_registrations(session, history, policy, NOW) == []
    async with db.transaction() as session:
        found = await record_registrations(
            session,
            [
                _reg(acme, "A1", "Umbrella Corp.", 20),
                _reg(globex, "G3", "Umbrella Corporation Ltd", 12, domain="umbrella.example"),
                _reg(acme, "A2", "Renamed Customer", 2, account="001CUSTOMER"),
                _reg(acme, "A3", "Anything", 2, domain="umbrella-health.example"),
            ],
            policy,
            NOW,
        )
        rows = {
            r.id: r.external_id for r in (await session.scalars(select(DealRegistrationRow))).all()
        }
        pairs = {(rows[c.first_id], rows[c.second_id], c.matched_by) for c in found}
    assert pairs == {("A1", "G3", "name"), ("I3", "A2", "account"), ("H3", "A3", "domain")}
    # The same registrations again: nothing new.
    async with db.transaction() as session:
        again = [_reg(acme, "A1", "Umbrella Corp.", 20)]
        assert await record_registrations(session, again, policy, NOW) == []


@dataclass
class Demo:
    hub: Hub
    sandbox: SalesforceSandbox
    client: httpx.AsyncClient


@pytest.fixture
async def demo(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[Demo]:
    """The cast, the Salesforce sandbox over its REST wire format, one sync pass."""
    sandbox = SalesforceSandbox(Knobs())
    backend = next(b for b in demo_backends() if b.name == "salesforce")
    mounts = {backend.host: httpx.ASGITransport(app=sandbox.app)}
    async with httpx.AsyncClient(mounts=mounts) as http:
        backends = build_backends([demo_config(backend)], http, store)
        hub = Hub(settings=settings, db=db, store=store, http=http, backends=backends)
        await seed_demo(db)
        report = await sync_activity(db, backends)
        assert report.conflicts == 1
        transport = httpx.ASGITransport(app=create_app(settings, hub), client=("203.0.113.9", 1))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield Demo(hub, sandbox, client)
        await backends.close()


async def _conflict_id(db: Database) -> int:
    async with db.session() as session:
        found = await session.scalar(select(DealConflict.id))
    assert found is not None
    return int(found)


def _status(sandbox: SalesforceSandbox, deal_name: str) -> str:
    row = next(r for r in sandbox.objects["Opportunity"] if r["Name"] == deal_name)
    return str(row["Registration_Status__c"])


async def test_the_manager_resolves_umbrella_and_salesforce_shows_it(demo: Demo) -> None:
    client, db = demo.client, demo.hub.db
    token = await demo_sign_in(client, "cam@vendor.example")
    overview = await client.get("/program")
    assert "1 deal-registration conflict waits for a decision" in overview.text
    page = await client.get("/program/conflicts")
    assert page.status_code == 200
    assert "Umbrella Corp." in page.text
    assert "Umbrella Corporation Ltd" in page.text
    assert "Acme Corporation" in page.text
    assert "Globex" in page.text
    assert "similar company name, score 100" in page.text
    assert "The policy suggests: approve Acme Corporation" in page.text
    conflict = await _conflict_id(db)
    refused = await client.post(
        f"/program/conflicts/{conflict}/resolve", data={"decision": "both", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert "needs a note" in refused.text
    done = await client.post(
        f"/program/conflicts/{conflict}/resolve", data={"decision": "first", "csrf_token": token}
    )
    assert done.status_code == 303
    assert _status(demo.sandbox, "Umbrella Corp. - Platform") == "Approved"
    assert _status(demo.sandbox, "Umbrella Corporation Ltd - Pilot") == "Rejected"
    # A later read of the PRM shows it, and a second sync opens nothing again.
    acme = next(
        d
        for d in (await demo.hub.backends.prm.deals(_ref("acme"))).value
        if d.customer == "Umbrella Corp."
    )
    assert acme.registration_status == "approved"
    assert (await sync_activity(db, demo.hub.backends)).conflicts == 0
    after = await client.get("/program/conflicts")
    assert "No conflict waits for a decision." in after.text
    assert "cam@vendor.example" in after.text
    async with db.session() as session:
        audit = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "conflict_resolved")
            )
        ).all()
        assert [(a.actor, a.outcome) for a in audit] == [("cam@vendor.example", "ok")]
        told = (
            await session.execute(
                select(User.email, Notification.title, Notification.body).join(
                    User, User.id == Notification.user_id
                )
            )
        ).all()
    acme_told = [t for t in told if t.email.endswith("@acme.example")]
    globex_told = [t for t in told if t.email.endswith("@globex.example")]
    assert acme_told
    assert globex_told
    assert all("was approved" in t.title for t in acme_told)
    # Each in their own language (owner@globex.example reads German).
    assert all(
        ("wurde nicht genehmigt" if t.email == "owner@globex.example" else "was not approved")
        in t.title
        for t in globex_told
    )
    for email, title, body in told:  # never the other partner's name or deal
        other = "Globex" if email.endswith("@acme.example") else "Acme"
        assert other not in title + body
        assert ("Ltd" in title + body) is email.endswith("@globex.example")
    async with db.session() as session:
        acme_id = await session.scalar(select(PartnerOrg.id).where(PartnerOrg.slug == "acme"))
        assert acme_id is not None
        entries = await timeline_entries(session, acme_id)
    assert [kind for _, kind, _ in entries] == ["conflict", "conflict"]
    assert "Globex" in entries[1][2]
    assert "this partner's approved" in entries[0][2]


def _ref(slug: str) -> PartnerRef:
    return PartnerRef(slug=slug)


async def test_a_rejected_write_back_keeps_the_conflict_open(demo: Demo) -> None:
    client, db = demo.client, demo.hub.db
    token = await demo_sign_in(client, "cam@vendor.example")
    conflict = await _conflict_id(db)
    globex_deal = next(
        r
        for r in demo.sandbox.objects["Opportunity"]
        if r["Name"].startswith("Umbrella Corporation Ltd")
    )
    demo.sandbox.locked.add(globex_deal["Id"])  # the second write is refused
    failed = await client.post(
        f"/program/conflicts/{conflict}/resolve", data={"decision": "first", "csrf_token": token}
    )
    assert failed.status_code == 502
    assert "nothing was recorded" in failed.text
    assert "ENTITY_IS_LOCKED" in failed.text
    # The first write was set back: the PRM and the hub agree nothing was decided.
    assert _status(demo.sandbox, "Umbrella Corp. - Platform") == "Submitted"
    assert _status(demo.sandbox, "Umbrella Corporation Ltd - Pilot") == "Submitted"
    async with db.session() as session:
        row = await session.get(DealConflict, conflict)
        assert row is not None
        assert (row.status, row.decision) == ("open", "")
        assert await session.scalar(select(func.count(Notification.id))) == 0
    page = await client.get("/program/conflicts")
    assert "Decide again to retry" in page.text
    # The PRM down altogether: the same.
    demo.sandbox.locked.clear()
    demo.hub.sandbox_knobs = {}
    demo.sandbox.knobs.update({"down": True})
    down = await client.post(
        f"/program/conflicts/{conflict}/resolve", data={"decision": "second", "csrf_token": token}
    )
    assert down.status_code == 502
    demo.sandbox.knobs.update({"down": False})
    retried = await client.post(
        f"/program/conflicts/{conflict}/resolve", data={"decision": "second", "csrf_token": token}
    )
    assert retried.status_code == 303
    assert _status(demo.sandbox, "Umbrella Corporation Ltd - Pilot") == "Approved"


async def test_two_managers_at_once_one_wins_the_other_gets_409(demo: Demo) -> None:
    db = demo.hub.db
    conflict = await _conflict_id(db)
    outcomes = await asyncio.gather(
        *(
            queue.resolve(
                db,
                demo.hub.backends,
                conflict,
                decision=decision,
                note="",
                by=who,
                visible=None,
                now=datetime.now(UTC),
            )
            for decision, who in (("first", "one@vendor.example"), ("second", "two@vendor.example"))
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(o, queue.ConflictView) for o in outcomes) == 1
    assert sum(isinstance(o, queue.AlreadyDecided) for o in outcomes) == 1
    # Over HTTP, the loser reads a clear message.
    token = await demo_sign_in(demo.client, "cam@vendor.example")
    late = await demo.client.post(
        f"/program/conflicts/{conflict}/resolve", data={"decision": "first", "csrf_token": token}
    )
    assert late.status_code == 409
    assert "Someone else decided this conflict" in late.text


async def test_isolation_on_every_conflict_route(demo: Demo) -> None:
    client, db = demo.client, demo.hub.db
    conflict = await _conflict_id(db)
    token = await demo_sign_in(client, "owner@acme.example")
    assert (await client.get("/program/conflicts")).status_code == 403
    refused = await client.post(
        f"/program/conflicts/{conflict}/resolve", data={"decision": "first", "csrf_token": token}
    )
    assert refused.status_code == 403
    assert (await client.get("/admin/program/conflicts")).status_code == 403
    # A manager of initech only: the acme/globex conflict is not theirs, like an unknown id.
    async with db.transaction() as session:
        initech = await session.scalar(select(PartnerOrg.id).where(PartnerOrg.slug == "initech"))
        await session.execute(
            delete(FieldContact).where(FieldContact.email == "cam@vendor.example")
        )
        session.add(
            FieldContact(partner_org_id=initech, role="channel_manager", name="Casey",
                         email="cam@vendor.example")
        )  # fmt: skip
    token = await demo_sign_in(client, "cam@vendor.example")
    page = await client.get("/program/conflicts")
    assert page.status_code == 200
    assert "Umbrella" not in page.text
    for target in (conflict, 999_999):
        missing = await client.post(
            f"/program/conflicts/{target}/resolve", data={"decision": "first", "csrf_token": token}
        )
        assert missing.status_code == 404
        assert "There is no such conflict among yours." in missing.text
    # Without the CSRF token, nothing happens.
    await demo_sign_in(client, "admin@vendor.example")
    forged = await client.post(f"/program/conflicts/{conflict}/resolve", data={"decision": "first"})
    assert forged.status_code == 403
    assert _status(demo.sandbox, "Umbrella Corp. - Platform") == "Submitted"


@pytest.mark.parametrize(
    "form",
    [
        {"policy": "loudest_wins", "window_days": "90", "threshold": "90"},
        {"policy": "first_to_register", "window_days": "0", "threshold": "90"},
        {"policy": "first_to_register", "window_days": "ninety", "threshold": "90"},
        {"policy": "vendor_decides", "window_days": "90", "threshold": "101"},
    ],
)
async def test_a_bad_policy_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, hub: Hub, form: dict[str, str]
) -> None:
    await seed_demo(hub.db)
    token = await demo_sign_in(client, "admin@vendor.example")
    refused = await client.post("/admin/program/conflicts", data={**form, "csrf_token": token})
    assert refused.status_code == 422
    assert "Nothing was saved" in refused.text
    async with hub.db.session() as session:
        assert await session.get(ProgramSetting, "deal_conflicts") is None


async def test_the_administrator_sets_the_policy_and_the_queue_follows(demo: Demo) -> None:
    token = await demo_sign_in(demo.client, "admin@vendor.example")
    saved = await demo.client.post(
        "/admin/program/conflicts",
        data={"policy": "vendor_decides", "window_days": "30", "threshold": "85",
              "csrf_token": token},
    )  # fmt: skip
    assert saved.status_code == 303
    page = await demo.client.get("/program/conflicts")
    assert "The policy leaves this to you." in page.text
    assert "within 30 days" in page.text


async def test_a_deal_registered_webhook_is_checked_for_conflicts(seeded: Hub) -> None:
    from tests.fakes.connectors import FakePRM, config
    from tests.test_inbound import SECRET, signed

    seeded.backends = Backends([FakePRM(config("prm", Kind.PRM, webhook_secret=SECRET))])
    transport = httpx.ASGITransport(app=create_app(seeded.settings, seeded))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        for n, (email, customer) in enumerate(
            (("rep@acme.example", "Umbrella Corp."), ("rep@globex.example", "Umbrella Corp Ltd")),
            1,
        ):
            body, headers = signed(
                {
                    "type": "deal.registered",
                    "timestamp": datetime.now(UTC).isoformat(),
                    "data": {
                        "email": email,
                        "object": f"D{n}",
                        "customer": customer,
                        "amount": "12000",
                        "currency": "EUR",
                    },
                },
                msg_id=f"msg_{n}",
            )
            answer = await http.post("/webhooks/prm", content=body, headers=headers)
            assert answer.status_code == 200, answer.text
    async with seeded.db.session() as session:
        conflicts = (await session.scalars(select(DealConflict))).all()
    assert [(c.matched_by, c.score) for c in conflicts] == [("name", 100.0)]
