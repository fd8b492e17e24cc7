"""Provisioning fan-out: a deactivation reaches Moodle's sandbox; a failure is kept and retried."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from hub.connectors.backends import Backends
from hub.connectors.base import ConnectorConfig
from hub.connectors.moodle import MoodleConnector
from hub.connectors.records import Kind, PersonRef
from hub.connectors.sandboxes import moodle as sandbox
from hub.connectors.sandboxes.knobs import Knobs
from hub.connectors.writes import PersonAccount, PersonProvisioner
from hub.db import User
from hub.db.scim import ProvisioningPush
from hub.resources import Hub
from hub.services.account_push import out_of_step, push_person, retry_failed

pytestmark = pytest.mark.anyio


def _moodle(knobs: Knobs, name: str = "academy") -> MoodleConnector:
    app = sandbox.create_app(knobs, today=date(2026, 11, 22))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    config = ConnectorConfig(
        name=name,
        kind=Kind.LMS,
        adapter="moodle",
        base_url="https://academy.sandbox",
        secrets={"token": sandbox.DEMO_TOKEN},
    )
    return MoodleConnector(config, http)


async def _suspended(moodle: MoodleConnector, email: str) -> bool:
    answer = await moodle._call("core_user_get_users_by_field", field="email", values=[email])
    return bool(answer[0]["suspended"])


async def test_moodle_suspends_renames_and_creates_over_its_web_service() -> None:
    moodle = _moodle(Knobs())
    assert isinstance(moodle, PersonProvisioner)
    rep = PersonRef("rep@acme.example")
    moodle_id = await moodle.provision_person(
        rep, PersonAccount("rep@acme.example", "Raj", "Patel", active=False)
    )
    assert moodle_id.isdigit()
    assert await _suspended(moodle, "rep@acme.example")
    await moodle.provision_person(rep, PersonAccount("rep@acme.example", "Raj", "P.", True))
    assert not await _suspended(moodle, "rep@acme.example")
    new = PersonRef("dana.lee@acme.example")
    assert await moodle.provision_person(new, PersonAccount(new.email, "", "", False)) == ""
    created = await moodle.provision_person(new, PersonAccount(new.email, "Dana", "Lee", True))
    assert created.isdigit()
    assert not await _suspended(moodle, new.email)


async def test_a_failing_backend_is_recorded_then_retried(seeded: Hub) -> None:
    healthy, broken = Knobs(), Knobs(down=True)
    backends = Backends([_moodle(healthy, "academy"), _moodle(broken, "academy-eu")])
    async with seeded.db.transaction() as tx:
        rep = await tx.scalar(select(User).where(User.email == "rep@acme.example"))
        assert rep is not None
        rep.active = False
        rep_id = rep.id
    now = datetime.now(UTC)
    report = await push_person(seeded.db, backends, rep_id, "deactivated", now=now)
    assert (report.done, report.failed) == (1, 1)
    stale = await out_of_step(seeded.db)
    assert [(push.connector, email) for push, email in stale] == [
        ("academy-eu", "rep@acme.example")
    ]
    assert stale[0][0].error
    # Not due yet: nothing is retried before its backoff.
    assert await retry_failed(seeded.db, backends, now=now) == 0
    broken.down = False
    assert await retry_failed(seeded.db, backends, now=now + timedelta(minutes=5)) == 1
    assert await out_of_step(seeded.db) == []
    for connector in backends.all():
        assert isinstance(connector, MoodleConnector)
        assert await _suspended(connector, "rep@acme.example")
    async with seeded.db.session() as session:
        pushes = (await session.scalars(select(ProvisioningPush))).all()
    assert {(p.connector, p.status, p.change) for p in pushes} == {
        ("academy", "done", "deactivated"),
        ("academy-eu", "done", "deactivated"),
    }


async def test_the_admin_page_shows_what_is_out_of_step(
    seeded: Hub, client: httpx.AsyncClient
) -> None:
    from tests.helpers import demo_sign_in

    broken = Backends([_moodle(Knobs(down=True), "academy")])
    async with seeded.db.session() as session:
        rep = await session.scalar(select(User).where(User.email == "rep@acme.example"))
    assert rep is not None
    await push_person(seeded.db, broken, rep.id, "changed")
    await demo_sign_in(client, "admin@vendor.example")
    page = await client.get("/admin/identity-providers")
    section = page.text.split("data-out-of-step")[1].split("</section>")[0]
    assert "rep@acme.example" in section
    assert "changed" in section
