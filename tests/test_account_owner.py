"""A partner's channel manager comes from its account's owner in the PRM, unless the hub reassigned it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from hub.connectors.backends import Backends
from hub.connectors.demo import demo_backends, demo_config
from hub.connectors.registry import build_backends
from hub.connectors.sandboxes.knobs import Knobs
from hub.connectors.sandboxes.salesforce import SalesforceSandbox
from hub.db import Database, PartnerOrg
from hub.db.models import FieldContact
from hub.demo.seed import seed_demo
from hub.services.handover import assignment
from hub.services.sync import sync_activity
from hub.store import KeyValueStore

pytestmark = pytest.mark.anyio

CASEY, DANA = "cam@vendor.example", "dana@vendor.example"


@dataclass
class Prm:
    sandbox: SalesforceSandbox
    backends: Backends

    def own(self, slug: str, email: str, name: str) -> None:
        """The PRM's administrator gives ``slug``'s account to another owner."""
        account = next(a for a in self.sandbox.objects["Account"] if a["Partner_Key__c"] == slug)
        account["Owner"] = {"Email": email, "Name": name}


@pytest.fixture
async def prm(db: Database, store: KeyValueStore) -> AsyncIterator[Prm]:
    sandbox = SalesforceSandbox(Knobs())
    backend = next(b for b in demo_backends() if b.name == "salesforce")
    async with httpx.AsyncClient(
        mounts={backend.host: httpx.ASGITransport(app=sandbox.app)}
    ) as http:
        # Nothing kept between syncs: each one reads what the PRM says now.
        config = replace(demo_config(backend), cache_ttl=0.0, stale_ttl=0.0)
        backends = build_backends([config], http, store)
        await seed_demo(db)
        yield Prm(sandbox, backends)
        await backends.close()


async def _org_id(db: Database, slug: str) -> int:
    async with db.session() as session:
        found = await session.scalar(select(PartnerOrg.id).where(PartnerOrg.slug == slug))
    assert found is not None
    return int(found)


async def _contacts(db: Database, org_id: int) -> list[tuple[str, str]]:
    async with db.session() as session:
        rows = await session.scalars(
            select(FieldContact).where(
                FieldContact.partner_org_id == org_id, FieldContact.role == "channel_manager"
            )
        )
        return [(c.email, c.name) for c in rows]


async def _manages(db: Database, email: str) -> frozenset[int] | None:
    async with db.session() as session:
        return await assignment.managed_by(session, email)


async def test_the_sync_makes_the_account_owner_the_partners_channel_manager(
    db: Database, prm: Prm
) -> None:
    globex = await _org_id(db, "globex")
    prm.own("globex", "Dana@Vendor.example", "Dana Weber")

    await sync_activity(db, prm.backends)

    assert await _contacts(db, globex) == [(DANA, "Dana Weber")]
    assert await _manages(db, DANA) == frozenset({globex})
    async with db.session() as session:
        managers = (await assignment.managers_of(session))[globex]
    assert [email for email, _ in managers] == [DANA, CASEY], "Casey still covers every partner"

    await sync_activity(db, prm.backends)
    assert await _contacts(db, globex) == [(DANA, "Dana Weber")], "a second sync changes nothing"


async def test_a_reassignment_in_the_hub_outlasts_every_sync(db: Database, prm: Prm) -> None:
    acme = await _org_id(db, "acme")
    prm.own("acme", DANA, "Dana Weber")
    await sync_activity(db, prm.backends)
    assert acme in (await _manages(db, DANA) or frozenset())

    await assignment.reassign(
        db, acme, to_email=CASEY, note="Casey takes the healthcare partners back",
        by_email="admin@vendor.example", by_roles=("admin",), may_see=False,
        now=datetime.now(UTC),
    )  # fmt: skip
    prm.own("acme", "sam@vendor.example", "Sam Lee")  # the PRM changes its mind meanwhile
    await sync_activity(db, prm.backends)

    assert await _contacts(db, acme) == [("sam@vendor.example", "Sam Lee")], "the default moved"
    async with db.session() as session:
        managers = (await assignment.managers_of(session))[acme]
    assert [email for email, _ in managers] == [CASEY], "the hub's reassignment wins"
    assert acme not in (await _manages(db, "sam@vendor.example") or frozenset())
    assert acme not in (await _manages(db, DANA) or frozenset())


async def test_an_account_without_an_owner_leaves_the_default_as_it_was(
    db: Database, prm: Prm
) -> None:
    initech = await _org_id(db, "initech")
    prm.own("initech", DANA, "Dana Weber")
    await sync_activity(db, prm.backends)
    account = next(a for a in prm.sandbox.objects["Account"] if a["Partner_Key__c"] == "initech")
    account["Owner"] = None

    await sync_activity(db, prm.backends)

    assert await _contacts(db, initech) == [(DANA, "Dana Weber")]
