"""Demo sign-in, sessions and /api/me through the ASGI app."""

from __future__ import annotations

import httpx
import pytest

from hub.demo.cast import USERS
from hub.resources import Hub
from tests.helpers import csrf_from, demo_sign_in

pytestmark = pytest.mark.anyio


async def test_signed_out_home_redirects_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/login?next=/"


async def test_api_me_is_401_problem_json_when_signed_out(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


@pytest.mark.parametrize("person", USERS, ids=lambda person: person.email)
async def test_every_demo_person_can_sign_in(
    client: httpx.AsyncClient, seeded: Hub, person: object
) -> None:
    from hub.demo.cast import DemoUser

    assert isinstance(person, DemoUser)
    await demo_sign_in(client, person.email)
    me = (await client.get("/api/me")).json()
    assert me == {
        "email": person.email,
        "name": person.name,
        "roles": list(person.roles),
        "persona": person.roles[0],
        "partner_org": person.org,
    }
    home = await client.get("/")
    assert home.status_code == 200
    assert person.name in home.text


async def test_sign_in_issues_a_new_session_id(client: httpx.AsyncClient, seeded: Hub) -> None:
    page = await client.get("/auth/demo")
    planted = client.cookies.get("hub_session")
    assert planted is not None
    await client.post(
        "/auth/demo",
        data={"email": "rep@acme.example", "csrf_token": csrf_from(page.text)},
    )
    assert client.cookies.get("hub_session") not in (None, planted)


async def test_sign_out_ends_the_session(client: httpx.AsyncClient, seeded: Hub) -> None:
    token = await demo_sign_in(client, "owner@acme.example")
    response = await client.post("/auth/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert (await client.get("/api/me")).status_code == 401


async def test_next_after_sign_in_never_leaves_the_hub(
    client: httpx.AsyncClient, seeded: Hub
) -> None:
    page = await client.get("/auth/demo")
    response = await client.post(
        "/auth/demo",
        data={
            "email": "rep@acme.example",
            "next": "//evil.example/steal",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.headers["location"] == "/"


async def test_unknown_demo_person_is_a_clear_400(client: httpx.AsyncClient, seeded: Hub) -> None:
    page = await client.get("/auth/demo")
    response = await client.post(
        "/auth/demo", data={"email": "mallory@evil.example", "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 400
    assert "Choose one of the demo people" in response.text


async def test_a_person_of_the_demo_population_signs_in_by_email(
    client: httpx.AsyncClient, seeded: Hub
) -> None:
    from datetime import UTC, datetime

    from hub.demo.population import population
    from hub.demo.seed import seed_demo

    await seed_demo(seeded.db, population_too=True)
    owner = next(
        p for p in population(datetime.now(UTC).date()).users if p.roles == ("partner_owner",)
    )
    page = await client.get("/auth/demo")
    assert owner.email not in page.text, "the page lists only the cast"
    await demo_sign_in(client, owner.email)
    me = (await client.get("/api/me")).json()
    assert me["email"] == owner.email
    assert me["partner_org"] == owner.org
