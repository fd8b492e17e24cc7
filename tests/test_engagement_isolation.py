"""Every engagement action, through every format, refused alike across orgs and after revocation.

Each action has one endpoint that answers htmx, a browser's form post or JSON. Signed in as
acme's owner, each is called with something of another org's (a recipient, an action or a
survey meant for another segment, an id in the URL), and again after the owner's access
was revoked: the status is the same in every format, and nothing is written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import anyio
import httpx
import pytest
from sqlalchemy import func, select

from hub import scheduler
from hub.app import create_app
from hub.db import ActivityEvent, PartnerOrg, User
from hub.db.engagement import (
    ActionFunnelStep,
    ActionState,
    EngagementPreference,
    Notification,
    ProcessedEvent,
    Recognition,
    SurveyResponse,
)
from hub.db.types import utcnow
from hub.personas.audience import Requester, Segment
from hub.resources import Hub
from hub.services.engagement import budgets, nba, surveys
from hub.services.engagement.recognition import Kudos, give_kudos
from hub.services.engagement.seed import seed_engagement
from hub.settings import Settings
from tests.conftest import BASE_URL
from tests.engagement_helpers import user_id
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio

OWNER = "owner@acme.example"
FORMATS: dict[str, dict[str, str]] = {
    "htmx": {"HX-Request": "true"},
    "form": {"Accept": "text/html,application/xhtml+xml"},
    "json": {"Accept": "application/json"},
}


@dataclass(frozen=True)
class Ids:
    """Another org's things, and a held award only an administrator may decide."""

    globex_owner: int
    globex_org: int
    held_kudos: int


@dataclass(frozen=True)
class Call:
    """One engagement action as a partner owner might try it against another org."""

    name: str
    method: str
    path: Callable[[Ids], str]
    fields: Callable[[Ids], dict[str, str]]
    refused_with: int  # across orgs; a revoked caller always gets 403


CALLS = [
    Call(
        "thank someone of another org",
        "POST",
        lambda ids: "/engagement/kudos",
        lambda ids: {"recipient_id": str(ids.globex_owner), "message": "Hi", "submission": "s"},
        403,
    ),
    Call(
        "reward from a budget (vendor staff only)",
        "POST",
        lambda ids: "/engagement/rewards",
        lambda ids: {
            "recipient_id": str(ids.globex_owner),
            "message": "Hi",
            "points": "5",
            "submission": "r",
        },
        403,
    ),
    Call(
        "complete another segment's action",
        "POST",
        lambda ids: "/engagement/actions/globex-only",
        lambda ids: {"step": "done"},
        404,
    ),
    Call(
        "follow another segment's action",
        "GET",
        lambda ids: "/engagement/actions/globex-only/go",
        lambda ids: {},
        404,
    ),
    Call(
        "answer another segment's survey",
        "POST",
        lambda ids: "/engagement/surveys/globex-pulse/answers",
        lambda ids: {"ease": "5"},
        403,
    ),
    Call(
        "opt another org's user out",
        "POST",
        lambda ids: f"/engagement/leaderboard/opt-out?user_id={ids.globex_owner}",
        lambda ids: {"opt_out": "1"},
        404,
    ),
    Call(
        "read another org's notices",
        "POST",
        lambda ids: f"/engagement/notifications/read?partner_org_id={ids.globex_org}",
        lambda ids: {},
        404,
    ),
    Call(
        "decide on held kudos (administrators only)",
        "POST",
        lambda ids: f"/engagement/kudos/{ids.held_kudos}/decision",
        lambda ids: {"decision": "approve"},
        403,
    ),
]


@pytest.fixture
async def hub_with_targets(seeded: Hub) -> Hub:
    """Seeded engagement plus an action and a survey meant only for globex's tier."""
    await seed_engagement(seeded.db)
    now = utcnow()
    async with seeded.db.transaction() as session:
        globex = await session.scalar(select(PartnerOrg).where(PartnerOrg.slug == "globex"))
        acme = await session.scalar(select(PartnerOrg).where(PartnerOrg.slug == "acme"))
        assert globex is not None
        assert acme is not None
        assert globex.tier != acme.tier
        await nba.save_action_rule(
            session,
            "globex-only",
            {"title": "Globex's task", "reason": "because", "link": "/", "points_bonus": 100,
             "tiers": [globex.tier]},
        )  # fmt: skip
    await surveys.create_survey(
        seeded.db,
        slug="globex-pulse",
        title="For globex",
        questions=[{"id": "ease", "kind": "scale", "prompt": "How easy?"}],
        audience={"tiers": [globex.tier], "cool_off_days": 0},
        opens_at=now - timedelta(days=1),
    )
    return seeded


@pytest.fixture
async def client(
    settings: Settings, hub_with_targets: Hub
) -> AsyncIterator[tuple[httpx.AsyncClient, str, Ids]]:
    hub = hub_with_targets
    cam, rep = (
        await user_id(hub.db, "cam@vendor.example"),
        await user_id(hub.db, "rep@acme.example"),
    )
    now = utcnow()
    await budgets.grant_budget(hub.db, giver_id=cam, points=1000, now=now)
    held = await give_kudos(
        hub.db, hub.store, Kudos(cam, rep, "Big help", "held", points=900), now=now
    )
    assert held.status == "pending"
    async with hub.db.session() as session:
        globex_org = await session.scalar(select(PartnerOrg.id).where(PartnerOrg.slug == "globex"))
    ids = Ids(
        await user_id(hub.db, "owner@globex.example"), int(globex_org or 0), held.recognition_id
    )
    transport = httpx.ASGITransport(app=create_app(settings, hub), client=("203.0.113.9", 1))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        token = await demo_sign_in(http, OWNER)
        yield http, token, ids


async def written(hub: Hub) -> dict[str, int]:
    """What an action could have written; the funnel's "shown" steps are a page's own."""
    async with hub.db.session() as session:

        async def rows(query: object) -> int:
            return int(await session.scalar(query) or 0)  # type: ignore[call-overload]

        return {
            "recognitions": await rows(select(func.count(Recognition.id))),
            "responses": await rows(select(func.count(SurveyResponse.id))),
            "states": await rows(select(func.count()).select_from(ActionState)),
            "funnel": await rows(
                select(func.count())
                .select_from(ActionFunnelStep)
                .where(ActionFunnelStep.step != "shown")
            ),
            "preferences": await rows(select(func.count()).select_from(EngagementPreference)),
            "read": await rows(
                select(func.count(Notification.id)).where(Notification.read_at.is_not(None))
            ),
            "events": await rows(
                select(func.count(ActivityEvent.id)).where(ActivityEvent.kind != "sign_in")
            ),
        }


async def send(
    http: httpx.AsyncClient, token: str, call: Call, ids: Ids, headers: dict[str, str]
) -> httpx.Response:
    all_headers = {"X-CSRF-Token": token, **headers}
    if call.method == "GET":
        return await http.get(call.path(ids), headers=all_headers)
    if headers.get("Accept") == "application/json":
        return await http.post(call.path(ids), json=call.fields(ids), headers=all_headers)
    return await http.post(call.path(ids), data=call.fields(ids), headers=all_headers)


def assert_refused(response: httpx.Response, status: int, kind: str, call: Call) -> None:
    where = f"{call.name} as {kind}"
    assert response.status_code == status, f"{where}: {response.status_code} {response.text[:300]}"
    if kind == "json" and call.method == "POST":
        assert response.headers["content-type"] == "application/problem+json", where
        assert response.json()["status"] == status, where


Check = Callable[[httpx.AsyncClient, str, Ids], Awaitable[None]]


@pytest.mark.parametrize("kind", FORMATS)
async def test_every_action_across_orgs_is_refused_alike_and_writes_nothing(
    client: tuple[httpx.AsyncClient, str, Ids], hub_with_targets: Hub, kind: str
) -> None:
    http, token, ids = client
    before = await written(hub_with_targets)
    for call in CALLS:
        response = await send(http, token, call, ids, FORMATS[kind])
        assert_refused(response, call.refused_with, kind, call)
    assert await written(hub_with_targets) == before


@pytest.mark.parametrize("kind", FORMATS)
async def test_every_action_after_revoked_access_is_refused_alike(
    client: tuple[httpx.AsyncClient, str, Ids], hub_with_targets: Hub, kind: str
) -> None:
    http, token, ids = client
    async with hub_with_targets.db.transaction() as session:
        user = await session.scalar(select(User).where(User.email == OWNER))
        assert user is not None
        user.roles = ["support"]  # no longer the partner owner they signed in as
    before = await written(hub_with_targets)
    for call in CALLS:
        response = await send(http, token, call, ids, FORMATS[kind])
        # A call naming another org's id in its URL is refused before the caller is read.
        status = 404 if "?" in call.path(ids) else 403
        assert_refused(response, status, kind, call)
    me = await http.get("/api/engagement/me")
    assert me.status_code == 403
    assert await written(hub_with_targets) == before


@pytest.mark.parametrize("kind", FORMATS)
async def test_the_same_calls_for_the_callers_own_org_go_through(
    client: tuple[httpx.AsyncClient, str, Ids], hub_with_targets: Hub, kind: str
) -> None:
    # The refusals above are about whose ids they are: the same calls with acme's own work.
    http, token, _ = client
    hub = hub_with_targets
    rep = await user_id(hub.db, "rep@acme.example")
    headers = FORMATS[kind]
    own: list[tuple[str, dict[str, str]]] = [
        ("/engagement/kudos", {"recipient_id": str(rep), "message": "Thanks", "submission": kind}),
        ("/engagement/actions/submit-rebate-invoice", {"step": "dismissed"}),
        ("/engagement/leaderboard/opt-out", {"opt_out": "1"}),
        ("/engagement/notifications/read", {}),
    ]
    for path, fields in own:
        all_headers = {"X-CSRF-Token": token, **headers}
        if kind == "json":
            response = await http.post(path, json=fields, headers=all_headers)
        else:
            response = await http.post(path, data=fields, headers=all_headers)
        expected = {"htmx": (200,), "form": (303,), "json": (200, 201)}[kind]
        assert response.status_code in expected, f"{path} as {kind}: {response.text[:300]}"
    async with hub.db.session() as session:
        assert await session.scalar(select(func.count(Recognition.id))) == 2  # held + this one


async def test_a_request_leaves_evaluation_to_the_scheduler_which_runs_at_once(
    client: tuple[httpx.AsyncClient, str, Ids], hub_with_targets: Hub
) -> None:
    http, token, _ = client
    hub = hub_with_targets

    async def unevaluated() -> int:
        async with hub.db.session() as session:
            return int(
                await session.scalar(
                    select(func.count(ActivityEvent.id))
                    .outerjoin(ProcessedEvent, ProcessedEvent.event_id == ActivityEvent.id)
                    .where(ProcessedEvent.event_id.is_(None))
                )
                or 0
            )

    async def evaluated_within(seconds: float) -> bool:
        with anyio.move_on_after(seconds):
            while await unevaluated():  # noqa: ASYNC110 - polling the database, not an event
                await anyio.sleep(0.05)
            return True
        return False

    async with scheduler.in_process(hub):  # the embedded default's scheduler
        assert await evaluated_within(5)  # its first pass, at start
        # Offered first (an unchecked action: "done" completes it and records its event).
        owner = await user_id(hub.db, OWNER)
        shown = await nba.next_best_actions(
            hub.db,
            Requester(owner, "partner_owner", Segment(tier="Gold")),
            {"fund_claims_expiring": 1},
            now=utcnow(),
        )
        assert "claim-expiring-funds" in [a.slug for a in shown]
        response = await http.post(
            "/engagement/actions/claim-expiring-funds",
            json={"step": "done"},
            headers={"X-CSRF-Token": token},
        )
        assert response.status_code == 200, response.text
        # The request recorded its event and evaluated nothing; the scheduler, woken by
        # it, does so well within its own 15-second period.
        assert await evaluated_within(5)
    async with hub.db.session() as session:
        kinds = (await session.scalars(select(ActivityEvent.kind))).all()
    assert "action_completed" in kinds
