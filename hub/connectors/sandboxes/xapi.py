"""A Learning Record Store speaking the xAPI 1.0.3 statements API, seeded from the demo cast.

``GET /xapi/about``, ``GET /xapi/activities`` (canonical definitions: courses,
assessments and short videos, in English and German) and ``GET /xapi/statements``
with the ``agent``,
``verb``, ``activity``, ``since``, ``until``, ``limit`` and ``ascending``
filters, HTTP Basic auth, the ``X-Experience-API-Version`` header required
and echoed, newest first, and at most ``page_cap`` statements a page with a
relative ``more`` IRL to the next. Statements are deterministic (seeded by
each person's email) and dated back from ``today``; Initech's stopped months
ago.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from hub.connectors.sandboxes.knobs import Knobs, with_knobs
from hub.connectors.sandboxes.xapi_seed import (
    ACTIVITIES,
    ADL,
    ASSESSMENT_TYPE,
    BADGE_TYPE,
    CERTIFICATIONS,
    COURSE_TYPE,
    COURSES,
    EARNED,
    LEVEL,
    PROGRESS,
    VIDEO_TYPE,
    WATCHED,
    definitions,
    video_names,
)
from hub.demo.cast import ORGS, USERS
from hub.demo.population import RATES, Channel, Story, history_end, moments, population

DEMO_KEY = "sandbox-lrs-key"
DEMO_SECRET = "sandbox-lrs-secret"  # noqa: S105 - a public demo credential


def statements(today: date) -> list[dict[str, Any]]:
    """Every statement in the store, newest ``stored`` first."""
    now = history_end(today)
    dormant = {org.slug for org in ORGS if org.dormant}
    store: list[dict[str, Any]] = []
    for user in (u for u in USERS if u.org is not None):
        draw = random.Random(f"xapi:{user.email}")  # noqa: S311 - seeded demo figures
        shift = timedelta(days=160) if user.org in dormant else timedelta(0)
        completed = []
        for slug, name in draw.sample(COURSES, draw.randint(3, 5)):
            at = now - shift - timedelta(days=draw.randint(30, 240), minutes=draw.randint(0, 600))
            if _course(store, draw, user, slug, name, at, (100, 100, 75, 40), (52, 98)):
                completed.append(slug)
        for slug, name, level in CERTIFICATIONS:
            if draw.random() < 0.6 and completed:
                badge = (ACTIVITIES + "badge/" + slug, name, BADGE_TYPE)
                earned = now - shift - timedelta(days=draw.randint(5, 25))
                store.append(_statement(draw, user, EARNED, badge, earned, None, level))
    crowd = population(today)
    plans = {org.slug: org.plan for org in crowd.orgs}
    for user in crowd.users:
        plan = plans[user.org or ""]
        assert plan is not None  # noqa: S101 - every population org has a story
        draw = random.Random(f"xapi:{user.email}")  # noqa: S311
        stalled = plan.story == Story.STALLED_TRAINING
        # The academy's short courses: about one in three of what a person starts.
        # (Each takes a little over two weeks, so only those started before then are in.)
        starts = moments(plan, Channel.TRAINING, today, draw, RATES[Channel.TRAINING] / 3)
        begun = [at for at in starts if at < now - timedelta(days=17)]
        for at, (slug, name) in zip(begun, draw.sample(COURSES, len(COURSES)), strict=False):
            progress = (75, 40, 25) if stalled else (100, 100, 75)
            grades = (30, 68) if stalled else (55, 98)
            _course(store, draw, user, slug, name, at, progress, grades)
    draw = random.Random("xapi:videos")  # noqa: S311
    people = {user.email: user for user in USERS}
    for email, slug, days, verb in WATCHED:
        video = (ACTIVITIES + "video/" + slug, video_names(slug)["en-US"][0], VIDEO_TYPE)
        at = now - timedelta(days=days, minutes=draw.randint(0, 600))
        store.append(_statement(draw, people[email], ADL + verb, video, at, None))
    store.sort(key=lambda s: s["stored"], reverse=True)
    return store


def _course(
    store: list[dict[str, Any]],
    draw: random.Random,
    user: Any,
    slug: str,
    name: str,
    at: datetime,
    progress_choices: tuple[int, ...],
    raw_range: tuple[int, int],
) -> bool:
    """One course taken: registered, attempted, its assessment sat, maybe completed."""
    course = (ACTIVITIES + "course/" + slug, name, COURSE_TYPE)
    store.append(_statement(draw, user, ADL + "registered", course, at, None))
    progress = draw.choice(progress_choices)
    for visit in range(draw.randint(2, 4)):
        store.append(
            _statement(
                draw,
                user,
                ADL + "attempted",
                course,
                at + timedelta(days=visit * 3 + 1),
                {"extensions": {PROGRESS: min(progress, 25 * (visit + 1))}},
            )
        )
    quiz = (ACTIVITIES + "assessment/" + slug, f"{name}: final assessment", ASSESSMENT_TYPE)
    for attempt in range(draw.randint(1, 3)):
        raw = draw.randint(*raw_range)
        store.append(
            _statement(
                draw,
                user,
                ADL + ("passed" if raw >= 70 else "failed"),
                quiz,
                at + timedelta(days=12 + attempt * 2),
                {
                    "score": {"scaled": raw / 100, "raw": raw, "min": 0, "max": 100},
                    "success": raw >= 70,
                },
            )
        )
    if progress != 100:
        return False
    store.append(
        _statement(
            draw, user, ADL + "completed", course, at + timedelta(days=16), {"completion": True}
        )
    )
    return True


def _statement(
    draw: random.Random,
    user: Any,
    verb: str,
    activity: tuple[str, str, str],
    at: datetime,
    result: dict[str, Any] | None,
    level: str | None = None,
) -> dict[str, Any]:
    activity_id, name, kind = activity
    definition: dict[str, Any] = {"name": {"en-US": name}, "type": kind}
    if level:
        definition["extensions"] = {LEVEL: level}
    statement: dict[str, Any] = {
        "id": str(uuid.UUID(int=draw.getrandbits(128), version=4)),
        "actor": {"objectType": "Agent", "name": user.name, "mbox": f"mailto:{user.email}"},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": activity_id, "definition": definition},
        "timestamp": _iso(at),
        "stored": _iso(at + timedelta(seconds=2)),
        "authority": {
            "objectType": "Agent",
            "name": "Partner Academy",
            "account": {"homePage": "https://academy.vendor.example", "name": "academy"},
        },
        "version": "1.0.0",
    }
    if result is not None:
        statement["result"] = result
    return statement


def create_app(
    knobs: Knobs | None = None,
    *,
    key: str = DEMO_KEY,
    secret: str = DEMO_SECRET,
    today: date | None = None,
    page_cap: int = 20,
) -> ASGIApp:
    """The LRS as an ASGI app under ``/xapi``; ``knobs`` (shared, mutable) dial in faults."""
    lrs = _LRS(statements(today or datetime.now(UTC).date()), key, secret, page_cap)
    lrs.definitions = definitions()
    app = Starlette(
        routes=[
            Route("/xapi/about", lrs.about),
            Route("/xapi/activities", lrs.activities),
            Route("/xapi/statements", lrs.statements, methods=["GET"]),
            Route("/xapi/statements", lrs.store_statements, methods=["POST"]),
        ]
    )
    return with_knobs(app, knobs or Knobs())


class _LRS:
    def __init__(self, store: list[dict[str, Any]], key: str, secret: str, page_cap: int) -> None:
        self.store = store
        self.credentials = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.page_cap = page_cap
        self.definitions: dict[str, dict[str, Any]] = {}

    async def about(self, request: Request) -> Response:
        return _json({"version": ["1.0.3", "1.0.2"], "extensions": {}})

    async def activities(self, request: Request) -> Response:
        """``GET /activities?activityId=``: the canonical definition; just the id if unknown."""
        if request.headers.get("authorization") != self.credentials:
            return _error(401, "Unauthorized")
        activity_id = request.query_params.get("activityId")
        if not activity_id:
            return _error(400, "activityId is required")
        activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
        if activity_id in self.definitions:
            activity["definition"] = self.definitions[activity_id]
        return _json(activity)

    async def store_statements(self, request: Request) -> Response:
        """``POST /statements``: one statement or a list, stored; their ids, as xAPI answers."""
        if request.headers.get("authorization") != self.credentials:
            return _error(401, "Unauthorized")
        try:
            body = await request.json()
            given = body if isinstance(body, list) else [body]
            now = _iso(datetime.now(UTC))
            stored = []
            for statement in given:
                if not isinstance(statement, dict):
                    raise ValueError("a statement is an object")
                if not {"actor", "verb", "object"} <= statement.keys():
                    raise ValueError("a statement needs an actor, a verb and an object")
                stored.append(
                    {
                        "id": str(statement.get("id") or uuid.uuid4()),
                        "timestamp": statement.get("timestamp") or now,
                        **statement,
                        "stored": now,
                    }
                )
        except ValueError as exc:
            return _error(400, str(exc))
        self.store[:0] = stored  # newest first, as the LRS answers by default
        return _json([statement["id"] for statement in stored])

    async def statements(self, request: Request) -> Response:
        if request.headers.get("authorization") != self.credentials:
            return _error(401, "Unauthorized")
        if request.headers.get("x-experience-api-version", "")[:3] != "1.0":
            return _error(400, "X-Experience-API-Version header missing or unsupported")
        query = dict(request.query_params)
        offset = 0
        if "more" in query:
            try:
                saved = json.loads(base64.urlsafe_b64decode(query["more"]))
                query, offset = dict(saved["query"]), int(saved["offset"])
            except (ValueError, KeyError, TypeError, binascii.Error):
                return _error(400, "unknown 'more' token")
        try:
            matching = [s for s in self.store if _matches(s, query)]
            limit = int(query.get("limit", "0")) or self.page_cap
        except ValueError as exc:
            return _error(400, str(exc))
        if query.get("ascending") == "true":
            matching.reverse()
        size = min(limit, self.page_cap)
        page = matching[offset : offset + size]
        more = ""
        if offset + size < len(matching):
            token = json.dumps({"query": query, "offset": offset + size}).encode()
            more = "/xapi/statements?more=" + base64.urlsafe_b64encode(token).decode()
        return _json({"statements": page, "more": more})


def _matches(statement: dict[str, Any], query: dict[str, str]) -> bool:
    if "agent" in query:
        try:
            agent = json.loads(query["agent"])
        except ValueError:
            raise ValueError("agent is not JSON") from None
        if not isinstance(agent, dict) or "mbox" not in agent:
            raise ValueError("agent must identify an Agent by mbox")
        if statement["actor"].get("mbox") != agent["mbox"]:
            return False
    if "verb" in query and statement["verb"]["id"] != query["verb"]:
        return False
    if "activity" in query and statement["object"]["id"] != query["activity"]:
        return False
    stored = datetime.fromisoformat(statement["stored"].replace("Z", "+00:00"))
    for bound, after in (("since", True), ("until", False)):
        if bound in query:
            limit = datetime.fromisoformat(query[bound].replace("Z", "+00:00"))
            if limit.tzinfo is None:
                raise ValueError(f"{bound} needs a time zone")
            if (stored <= limit) if after else (stored > limit):
                return False
    return True


def _json(body: Any) -> Response:
    return JSONResponse(body, headers={"X-Experience-API-Version": "1.0.3"})


def _error(status: int, message: str) -> Response:
    return JSONResponse(
        {"error": True, "message": message, "code": status},
        status_code=status,
        headers={"X-Experience-API-Version": "1.0.3"},
    )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
