"""The administration page: admins only; connector metrics; demo sandbox controls."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from hub.app import create_app
from hub.connectors.backends import Backends
from hub.connectors.records import Kind
from hub.connectors.sandboxes.knobs import Knobs
from hub.db.types import utcnow
from hub.resources import Hub
from hub.services.engagement import budgets, ledger, recognition
from hub.services.engagement.recognition import Kudos, give_kudos
from tests.conftest import BASE_URL
from tests.engagement_helpers import user_id
from tests.fakes.connectors import FakePRM, config
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
async def admin_client(seeded: Hub) -> httpx.AsyncClient:
    seeded.backends = Backends([FakePRM(config("salesforce", Kind.PRM))])
    seeded.sandbox_knobs = {"salesforce": Knobs()}
    app: Starlette = create_app(seeded.settings, seeded)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


async def test_only_admins_see_the_admin_page(admin_client: httpx.AsyncClient) -> None:
    async with admin_client as http:
        assert (await http.get("/admin")).status_code == 401
        await demo_sign_in(http, "cam@vendor.example")
        assert (await http.get("/admin")).status_code == 403


async def test_admin_sees_connectors_and_changes_a_sandbox(
    admin_client: httpx.AsyncClient, seeded: Hub
) -> None:
    async with admin_client as http:
        token = await demo_sign_in(http, "admin@vendor.example")
        page = await http.get("/admin")
        assert page.status_code == 200
        assert "salesforce" in page.text
        assert "/admin/identity-providers" in page.text
        changed = await http.post(
            "/admin/sandboxes/salesforce",
            data={"csrf_token": token, "latency_ms": "250", "error_rate": "0.5", "down": "on"},
        )
        assert changed.status_code == 303
        knobs = seeded.sandbox_knobs["salesforce"]
        assert (knobs.latency, knobs.error_rate, knobs.down) == (0.25, 0.5, True)


@pytest.mark.parametrize(
    ("field", "value"), [("latency_ms", "-5"), ("error_rate", "2"), ("latency_ms", "soon")]
)
async def test_bad_sandbox_values_are_422_and_change_nothing(
    admin_client: httpx.AsyncClient, seeded: Hub, field: str, value: str
) -> None:
    async with admin_client as http:
        token = await demo_sign_in(http, "admin@vendor.example")
        response = await http.post(
            "/admin/sandboxes/salesforce", data={"csrf_token": token, field: value}
        )
        assert response.status_code == 422
        assert field in response.text
    assert seeded.sandbox_knobs["salesforce"] == Knobs()


async def test_unknown_sandbox_is_404(admin_client: httpx.AsyncClient) -> None:
    async with admin_client as http:
        token = await demo_sign_in(http, "admin@vendor.example")
        response = await http.post("/admin/sandboxes/nope", data={"csrf_token": token})
        assert response.status_code == 404


async def test_demo_portal_stand_in(admin_client: httpx.AsyncClient) -> None:
    async with admin_client as http:
        await demo_sign_in(http, "rep@acme.example")
        page = await http.get("/demo/portals/salesforce")
        assert page.status_code == 200
        assert "The Partner relationship management portal" in page.text
        assert (await http.get("/demo/portals/elsewhere")).status_code == 404
        deep = await http.get("/demo/portals/salesforce/funds/claims")
        assert deep.status_code == 200
        assert "The Partner relationship management portal" in deep.text
        assert (await http.get("/demo/portals/elsewhere/funds")).status_code == 404


async def test_a_name_quoted_in_an_error_page_is_escaped(admin_client: httpx.AsyncClient) -> None:
    async with admin_client as http:
        token = await demo_sign_in(http, "admin@vendor.example")
        response = await http.post(
            "/admin/sandboxes/<img src=x onerror=alert(1)>", data={"csrf_token": token}
        )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<img src=x onerror=alert(1)>" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text


async def test_admin_approves_and_declines_awards_waiting(
    admin_client: httpx.AsyncClient, seeded: Hub
) -> None:
    cam, rep, owner = [
        await user_id(seeded.db, email)
        for email in ("cam@vendor.example", "rep@acme.example", "owner@acme.example")
    ]
    now = utcnow()
    await budgets.grant_budget(seeded.db, giver_id=cam, points=1000, now=now)
    held = await give_kudos(
        seeded.db, seeded.store, Kudos(cam, rep, "Onsite training", "k1", points=400), now=now
    )
    other = await give_kudos(
        seeded.db, seeded.store, Kudos(cam, owner, "Call-a-thon", "k2", points=300), now=now
    )
    async with admin_client as http:
        token = await demo_sign_in(http, "admin@vendor.example")
        page = await http.get("/admin")
        assert "Onsite training" in page.text
        assert "Call-a-thon" in page.text
        decide = f"/engagement/kudos/{held.recognition_id}/decision"
        page_form = {"Accept": "text/html"}  # a browser's form post
        assert (
            await http.post(
                decide, data={"csrf_token": token, "decision": "maybe"}, headers=page_form
            )
        ).status_code == 400
        approved = await http.post(
            decide, data={"csrf_token": token, "decision": "approve"}, headers=page_form
        )
        assert approved.status_code == 303
        declined = await http.post(
            f"/engagement/kudos/{other.recognition_id}/decision",
            data={"csrf_token": token, "decision": "decline"},
            headers=page_form,
        )
        assert declined.status_code == 303
        again = await http.post(
            decide, json={"decision": "approve"}, headers={"X-CSRF-Token": token}
        )
        assert again.status_code == 409  # already decided
        assert again.json()["code"] == "duplicate"
    assert await recognition.pending_kudos(seeded.db) == []
    async with seeded.db.session() as session:
        assert await ledger.balance(session, ledger.user_account(rep)) == 400
        assert await ledger.balance(session, ledger.user_account(owner)) == 0
    assert (await budgets.budget_status(seeded.db, cam, now=now)).available == 600


async def test_only_admins_decide_awards(admin_client: httpx.AsyncClient) -> None:
    async with admin_client as http:
        token = await demo_sign_in(http, "cam@vendor.example")
        response = await http.post(
            "/engagement/kudos/1/decision", data={"csrf_token": token, "decision": "approve"}
        )
    assert response.status_code == 403
