"""Partner timeline, notes and hand-over through the ASGI app: order, paging, isolation."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select
from starlette.routing import Route

from hub.app import create_app
from hub.connectors.demo import demo_setup
from hub.connectors.registry import adapters, build_backends
from hub.db import Database, PartnerOrg, User
from hub.db.engagement import PulseSurvey, Recognition, SurveyResponse
from hub.db.types import utcnow
from hub.resources import Hub
from hub.services import activity
from hub.services.activity import Activity
from hub.services.handover import assignment, timeline
from hub.services.handover.timeline import Entry, whole
from hub.services.program import views
from hub.services.sync import sync_activity
from hub.settings import Settings
from tests.conftest import BASE_URL
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio
SECRET = "Reorg at initech <script>alert(1)</script> SECRET-7731"


async def org_ids(db: Database) -> dict[str, int]:
    async with db.session() as session:
        return {o.slug: o.id for o in (await session.scalars(select(PartnerOrg))).all()}


async def user_id(db: Database, email: str) -> int:
    async with db.session() as session:
        found = await session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


@pytest.fixture
async def web(settings: Settings, seeded: Hub) -> AsyncIterator[httpx.AsyncClient]:
    async with seeded.db.transaction() as session:  # Dana reads German; these tests English
        dana = await session.scalar(select(User).where(User.email == "dana@vendor.example"))
        assert dana is not None
        dana.locale = "en"
    transport = httpx.ASGITransport(app=create_app(settings, seeded), client=("203.0.113.5", 1))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


async def add_history(db: Database) -> None:
    """Initech: 40 deals a day apart, a survey answer, kudos; what the timeline merges."""
    orgs = await org_ids(db)
    now = utcnow()
    owner = await user_id(db, "owner@initech.example")
    async with db.transaction() as session:
        await activity.record_all(
            session,
            [
                Activity(
                    key=f"test:deal:{n}",
                    kind="deal_registered",
                    occurred_at=now - timedelta(days=n + 1),
                    partner_org_id=orgs["initech"],
                    user_id=owner,
                    object=f"006{n:03d}",
                    payload={"amount": "1200", "currency": "AUD", "customer": f"Customer {n}"},
                )
                for n in range(40)
            ],
        )
        survey = PulseSurvey(slug="pulse", title="How is the program?", audience={}, questions={})
        session.add(survey)
        await session.flush()
        session.add(
            SurveyResponse(
                survey_id=survey.id,
                user_id=owner,
                persona="partner_owner",
                segment="Registered",
                answers={"score": 2, "why": "PRIVATE-ANSWER"},
                answered_at=now - timedelta(hours=30),
            )
        )
        session.add(
            Recognition(
                idempotency_key="test:kudos",
                giver_id=await user_id(db, "rep@acme.example"),
                recipient_id=owner,
                message="Thanks for the joint webinar",
                created_at=now - timedelta(hours=50),
            )
        )


async def test_the_timeline_merges_every_source_newest_first_and_pages(seeded: Hub) -> None:
    await add_history(seeded.db)
    orgs = await org_ids(seeded.db)
    far = utcnow() + timedelta(days=1)
    first = await timeline.timeline(seeded.db, orgs["initech"], before=far, limit=10)
    kinds = [e.kind for e in first.entries]
    assert kinds[:4] == ["deal_registered", "survey_answered", "deal_registered", "kudos"]
    assert [e.at for e in first.entries] == sorted((e.at for e in first.entries), reverse=True)
    assert first.older == first.entries[-1].at
    survey = first.entries[1]
    assert survey.text == "How is the program?"
    assert survey.who == ""  # anonymous by design: neither who nor the answers
    assert "PRIVATE-ANSWER" not in repr(survey)
    seen = list(first.entries)
    page = first
    while page.older is not None:
        page = await timeline.timeline(seeded.db, orgs["initech"], before=page.older, limit=10)
        seen += page.entries
    assert len(seen) == 42
    assert len({(e.at, e.kind, e.text) for e in seen}) == 42
    assert seen[-1].text == "006039"


async def test_a_capabilitys_entries_join_the_timeline_and_a_broken_source_is_named(
    seeded: Hub,
) -> None:
    orgs = await org_ids(seeded.db)
    now = utcnow()

    async def playbook_entries(
        session: object, org_id: int, locale: str = "en"
    ) -> list[tuple[datetime, str, str]]:
        return [(now - timedelta(minutes=m), "playbook", f"step {m}") for m in (5, 1, 3)]

    async def broken(
        session: object, org_id: int, before: object, limit: int, locale: str = "en"
    ) -> list[Entry]:
        raise RuntimeError("backend down")

    page = await timeline.timeline(
        seeded.db,
        orgs["acme"],
        before=now,
        sources=(*timeline.SOURCES, whole(playbook_entries), broken),
    )
    assert [e.text for e in page.entries] == ["step 1", "step 3", "step 5"]
    assert page.failed == ("broken",)


async def test_the_partner_page_shows_the_timeline_with_product_names_and_pages_without_js(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    await add_history(seeded.db)
    await demo_sign_in(web, "cam@vendor.example")
    page = await web.get("/program/partners/initech")
    assert page.status_code == 200
    section = page.text.split('id="timeline"')[1]
    assert "Deal registered for Customer 0" in section
    # The backend in words (this app has no connectors configured: the kind's name),
    # never its id.
    assert "(Partner portal (PRM))" in section
    assert "(prm)" not in section
    assert "Answered the pulse survey" in section
    assert "PRIVATE-ANSWER" not in page.text
    assert "Kudos: Raj Patel → Ian Novak" in section
    older = re.search(r'href="(/program/partners/initech/timeline\?before=[^"]+)"', section)
    assert older, "a Show older link"
    full = await web.get(older.group(1).replace("&amp;", "&"))
    assert full.status_code == 200
    assert "<html" in full.text
    assert "Customer 0<" not in full.text
    assert "Customer 39" in full.text
    fragment = await web.get(older.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert fragment.text.strip().startswith("<li")
    for bad in ("yesterday", "2026-01-01T00:00:00", quote("0001-01-01T00:00:00+14:00")):
        assert (
            await web.get(f"/program/partners/initech/timeline?before={bad}")
        ).status_code == 400


async def test_notes_are_saved_escaped_limited_and_need_csrf(web: httpx.AsyncClient) -> None:
    token = await demo_sign_in(web, "cam@vendor.example")
    url = "/program/partners/initech/notes"
    assert (await web.post(url, data={"body": SECRET})).status_code == 403  # no CSRF token
    saved = await web.post(url, data={"body": SECRET, "csrf_token": token})
    assert saved.status_code == 303
    page = await web.get(saved.headers["location"])
    assert "Only the vendor&#39;s staff can read it" in page.text
    assert "SECRET-7731" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
    assert "Note by Casey Morgan" in page.text
    long = await web.post(url, data={"body": "x" * 2001, "csrf_token": token})
    assert long.status_code == 422
    assert "at most 2,000 characters" in long.text
    empty = await web.post(url, data={"body": "  \x00 ", "csrf_token": token})
    assert empty.status_code == 422
    nul = await web.post(url, data={"body": "a\x00b", "csrf_token": token})
    assert nul.status_code == 303
    assert "Note by Casey Morgan" in (await web.get("/program/partners/initech")).text


async def partner_facing_paths(web: httpx.AsyncClient) -> list[str]:
    app = web._transport.app  # type: ignore[attr-defined]
    paths = []
    for route in app.routes:
        if not isinstance(route, Route) or "{" in route.path or "GET" not in (route.methods or ()):
            continue
        if route.path.startswith(("/program", "/admin", "/auth/logout")):
            continue
        paths.append(route.path)
    return paths


async def test_no_partner_facing_route_or_api_ever_returns_a_note(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "cam@vendor.example")
    for slug in ("initech", "acme"):
        await web.post(
            f"/program/partners/{slug}/notes", data={"body": SECRET, "csrf_token": token}
        )
    paths = await partner_facing_paths(web)
    assert "/api/me" in paths
    assert "/" in paths
    assert len(paths) > 10
    widgets = [f"/widgets/{name}" for name in ("field_team", "whats_new", "recognition_feed")]
    for email in ("owner@initech.example", "owner@acme.example", "rep@globex.example"):
        web.cookies.clear()
        await demo_sign_in(web, email)
        for path in [*paths, *widgets]:
            response = await web.get(path)
            assert "SECRET-7731" not in response.text, (email, path)
        for path in ("/program/partners/initech", "/program/partners/initech/timeline"):
            response = await web.get(path)
            assert response.status_code == 403
            assert "SECRET-7731" not in response.text


async def test_another_manager_gets_404_on_every_route_of_a_partner_not_theirs(
    web: httpx.AsyncClient,
) -> None:
    token = await demo_sign_in(web, "dana@vendor.example")  # Dana manages nobody yet
    for path in ("/program/partners/initech", "/program/partners/initech/timeline",
                 "/program/partners/initech/briefing", "/program/partners/nosuch"):  # fmt: skip
        response = await web.get(path)
        assert response.status_code == 404, path
    for path, data in (
        ("/program/partners/initech/notes", {"body": "mine now"}),
        ("/program/partners/initech/assign", {"manager": "dana@vendor.example", "note": "x"}),
    ):
        response = await web.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 404, path


async def test_reassignment_moves_the_partner_and_the_new_manager_reads_a_briefing(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "cam@vendor.example")
    await web.post(
        "/program/partners/initech/notes",
        data={"body": "Ian prefers calls on Fridays", "csrf_token": token},
    )
    url = "/program/partners/initech/assign"
    no_note = await web.post(url, data={"manager": "dana@vendor.example", "csrf_token": token})
    assert no_note.status_code == 422
    assert "Write a hand-over note" in no_note.text
    not_a_manager = await web.post(
        url, data={"manager": "owner@acme.example", "note": "x", "csrf_token": token}
    )
    assert not_a_manager.status_code == 422
    assert (
        await web.post(url, data={"manager": "dana@vendor.example", "note": "x"})
    ).status_code == 403
    handed = await web.post(
        url,
        data={
            "manager": "dana@vendor.example",
            "note": "Owner <b>keen</b> on APAC",
            "csrf_token": token,
        },
    )
    assert handed.status_code == 303
    assert handed.headers["location"] == "/program?said=handed"
    assert (await web.get("/program/partners/initech")).status_code == 404  # no longer Casey's
    assert (await web.get("/program/partners/acme")).status_code == 200  # the rest still is

    web.cookies.clear()
    await demo_sign_in(web, "dana@vendor.example")
    overview = await web.get("/program")
    inherited = overview.text.split('id="inherited-title"')[1].split("</section>")[0]
    assert "Initech" in inherited
    first = await web.get("/program/partners/initech")
    assert "Briefing: Initech" in first.text
    assert "Owner &lt;b&gt;keen&lt;/b&gt; on APAC" in first.text
    assert "Ian prefers calls on Fridays" in first.text
    assert "Ian Novak" in first.text  # the people to know
    open_items = first.text.split('id="open-title"')[1].split("</section>")[0]
    assert "Deal conflicts waiting" in open_items
    assert "None open." in open_items  # initech has no conflict
    health = first.text.split('id="health-title"')[1].split("</section>")[0]
    assert "Health: " in health, health
    again = await web.get("/program/partners/initech")
    assert "Briefing: Initech" not in again.text
    assert 'id="timeline"' in again.text
    assert "Handed over from cam@vendor.example to Dana Weber" in again.text
    assert "Initech" not in (await web.get("/program")).text.split("</h1>")[1].split("Who needs")[0]
    assert (await web.get("/program/partners/initech/briefing")).status_code == 200
    assert (await web.get("/program/partners/acme")).status_code == 404

    async with seeded.db.session() as session:
        dana = await views.visible_orgs(session, await user_id(seeded.db, "dana@vendor.example"))
        cam = await views.visible_orgs(session, await user_id(seeded.db, "cam@vendor.example"))
    orgs = await org_ids(seeded.db)
    assert dana == frozenset({orgs["initech"]})
    assert cam is not None
    assert orgs["initech"] not in cam
    assert orgs["acme"] in cam


async def test_the_new_manager_may_hand_it_on_and_the_partner_sees_its_new_manager(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    orgs = await org_ids(seeded.db)
    await assignment.reassign(
        seeded.db, orgs["globex"], to_email="dana@vendor.example", note="yours",
        by_email="admin@vendor.example", by_roles=("admin",), may_see=False, now=utcnow(),
    )  # fmt: skip
    web.cookies.clear()
    await demo_sign_in(web, "owner@globex.example")
    team = await web.get("/widgets/field_team")
    assert "Dana Weber" in team.text
    assert "Casey Morgan" not in team.text
    assert "yours" not in team.text
    with pytest.raises(assignment.AssignmentRefused) as refused:
        await assignment.reassign(
            seeded.db, orgs["acme"], to_email="dana@vendor.example", note="grab",
            by_email="dana@vendor.example", by_roles=("channel_manager",), may_see=False,
            now=utcnow(),
        )  # fmt: skip
    assert refused.value.code == "not_yours"


async def test_an_override_survives_the_next_sync(hub: Hub) -> None:
    from hub.demo.seed import seed_demo

    await seed_demo(hub.db)
    orgs = await org_ids(hub.db)
    await assignment.reassign(
        hub.db, orgs["acme"], to_email="dana@vendor.example", note="coverage",
        by_email="admin@vendor.example", by_roles=("admin",), may_see=False, now=utcnow(),
    )  # fmt: skip
    setup = demo_setup(adapters())
    async with httpx.AsyncClient(mounts=setup.mounts) as http:
        backends = build_backends(setup.configs, http, hub.store)
        report = await sync_activity(hub.db, backends)
        await backends.close()
        await seed_demo(hub.db)  # and the demo seed, run again
    assert report.recorded > 0
    async with hub.db.session() as session:
        managers = await assignment.managers_of(session)
        dana = await views.visible_orgs(session, await user_id(hub.db, "dana@vendor.example"))
    assert managers[orgs["acme"]] == [("dana@vendor.example", "Dana Weber")]
    assert dana == frozenset({orgs["acme"]})
