"""The engagement endpoints over HTTP, signed in as the demo cast: kudos, actions, surveys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from hub.app import create_app
from hub.db.types import utcnow
from hub.personas.audience import Requester, Segment
from hub.resources import Hub
from hub.services.activity import Activity
from hub.services.engagement import credentials, nba
from hub.services.engagement.processing import ingest, process_pending
from hub.services.engagement.seed import seed_engagement
from hub.settings import Settings
from tests.conftest import BASE_URL
from tests.engagement_helpers import user_id
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
async def web(settings: Settings, seeded: Hub) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app with the engagement routes, over seeded demo content."""
    await seed_engagement(seeded.db)
    app = create_app(settings, seeded)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


async def test_a_channel_manager_rewards_a_partner_and_not_beyond_the_budget(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "cam@vendor.example")
    rep = await user_id(seeded.db, "rep@acme.example")
    headers = {"X-CSRF-Token": token}
    sent = await web.post(
        "/engagement/kudos",
        data={"recipient_id": str(rep), "message": "Thanks for the call-a-thon", "points": "150",
              "value_tag": "partnership", "submission": "s1"},
        headers=headers,
    )  # fmt: skip
    assert sent.status_code == 201, sent.text
    me = (await web.get("/api/engagement/me")).json()
    assert me["budget"]["available"] == 850
    too_much = await web.post(
        "/engagement/kudos",
        json={"recipient_id": await user_id(seeded.db, "owner@acme.example"), "message": "Huge",
              "points": 900, "submission": "s2"},
        headers=headers,
    )  # fmt: skip
    assert too_much.status_code == 422
    assert too_much.headers["content-type"] == "application/problem+json"
    assert (
        too_much.json()["code"] == "absurd_amount"
        or too_much.json()["code"] == "insufficient_points"
    )
    again = await web.post(
        "/engagement/kudos",
        data={"recipient_id": str(rep), "message": "Thanks", "submission": "s1"},
        headers=headers,
    )
    assert again.status_code == 409


async def test_the_recipient_sees_points_a_notice_and_the_feed(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    owner = await user_id(seeded.db, "owner@acme.example")
    token = await demo_sign_in(web, "rep@acme.example")
    sent = await web.post(
        "/engagement/kudos",
        data={"recipient_id": str(owner), "message": "Great QBR deck", "submission": "k1"},
        headers={"X-CSRF-Token": token},
    )
    assert sent.status_code == 201, sent.text
    feed = (await web.get("/api/engagement/feed")).json()
    assert feed[0]["message"] == "Great QBR deck"
    await web.post("/auth/logout", headers={"X-CSRF-Token": token})
    await process_pending(seeded.db, seeded.store)  # what the worker does within seconds
    await demo_sign_in(web, "owner@acme.example")
    notices = (await web.get("/api/engagement/notifications")).json()
    assert notices["unread"] == 1
    me = (await web.get("/api/engagement/me")).json()
    assert me["points"] == 10  # recognition_received earns its seeded points
    assert me["level"]["name"] == "Newcomer"


async def test_dismissing_an_action_and_answering_the_pulse_survey(
    web: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(web, "rep@acme.example")
    headers = {"X-CSRF-Token": token}
    await process_pending(seeded.db, seeded.store)
    before = (await web.get("/api/engagement/me")).json()["points"]
    unseen = await web.post(
        "/engagement/actions/register-deal", data={"step": "done"}, headers=headers
    )
    assert unseen.status_code == 404  # never offered to them: nothing to report
    rep = await user_id(seeded.db, "rep@acme.example")
    shown = await nba.next_best_actions(
        seeded.db,
        Requester(rep, "sales_rep", Segment(tier="Gold")),
        {"deals_registered_this_month": 0},
        now=utcnow(),
    )
    assert "register-deal" in [a.slug for a in shown]
    no_csrf = await web.post("/engagement/actions/register-deal", data={"step": "done"})
    assert no_csrf.status_code == 403
    done = await web.post(
        "/engagement/actions/register-deal", data={"step": "done"}, headers=headers
    )
    assert done.status_code == 202
    assert done.json() == {"slug": "register-deal", "step": "done", "status": "reported"}
    replay = await web.post(
        "/engagement/actions/register-deal", data={"step": "done"}, headers=headers
    )
    assert (replay.status_code, replay.json()["code"]) == (409, "already_done")
    missing = await web.post(
        "/engagement/actions/no-such", data={"step": "dismissed"}, headers=headers
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    due = (await web.get("/api/engagement/surveys/due")).json()
    assert due["slug"] == "hub-pulse"
    bad = await web.post(
        "/engagement/surveys/hub-pulse/answers", data={"relevance": "9"}, headers=headers
    )
    assert bad.status_code == 422
    assert "relevance" in bad.json()["detail"]
    good = await web.post(
        "/engagement/surveys/hub-pulse/answers",
        data={"relevance": "4", "most_useful": "Next best action", "csrf_token": token},
    )
    assert good.status_code == 201, good.text
    assert (await web.get("/api/engagement/surveys/due")).json() is None
    await process_pending(seeded.db, seeded.store)  # what the worker does within seconds
    me = (await web.get("/api/engagement/me")).json()
    # A deal is checkable: their word alone pays nothing and earns no Go-getter badge
    # until Salesforce shows the deal; the survey pays its points.
    assert me["points"] == before + 10
    assert "go-getter" not in {b["slug"] for b in me["badges"] if b["earned_at"]}
    forbidden = await web.get("/api/engagement/surveys/hub-pulse/results")
    assert forbidden.status_code == 403


async def test_an_admin_reads_results_and_csv(web: httpx.AsyncClient) -> None:
    await demo_sign_in(web, "admin@vendor.example")
    results = (await web.get("/api/engagement/surveys/hub-pulse/results")).json()
    assert results["responses"] == 0
    assert results["targeted"] > 0
    exported = await web.get("/api/engagement/surveys/hub-pulse/results.csv")
    assert exported.text.startswith("answered_at,persona,segment,relevance")


async def test_leaderboard_opt_out_and_badge_export(web: httpx.AsyncClient, seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    await ingest(
        seeded.db,
        seeded.store,
        [Activity("d1", "deal_registered", datetime.now(UTC), rep)],
    )
    token = await demo_sign_in(web, "rep@acme.example")
    board = (await web.get("/api/engagement/leaderboard?scope=org&period=week")).json()
    assert board["me"]["rank"] == 1
    assert (await web.get("/api/engagement/leaderboard?scope=galaxy")).status_code == 422
    await web.post(
        "/engagement/leaderboard/opt-out",
        data={"opt_out": "1"},
        headers={"X-CSRF-Token": token},
    )
    board = (await web.get("/api/engagement/leaderboard?scope=org&period=week")).json()
    assert board["me"] is None
    assert board["top"] == []
    exported = await web.get("/api/engagement/badges/first-deal/credential")
    assert exported.headers["content-type"] == "application/vc+jwt"
    assert (
        credentials.verify_badge_credential(seeded.settings, exported.text)["name"] == "First deal"
    )
    jwks = (await web.get("/engagement/issuer/jwks.json")).json()
    assert jwks["keys"][0]["crv"] == "Ed25519"
    assert (await web.get("/api/engagement/badges/quiz-ace/credential")).status_code == 404


async def test_signed_out_callers_get_401(web: httpx.AsyncClient) -> None:
    assert (await web.get("/api/engagement/me")).status_code == 401
