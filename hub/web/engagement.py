"""JSON endpoints of the engagement engine: kudos, actions, surveys, boards, badges, notices.

Every endpoint answers JSON (errors as ``application/problem+json`` with the engine's
``code``), takes form fields or JSON, and needs a signed-in user; unsafe methods pass the
CSRF middleware like any other (``X-CSRF-Token`` header or ``csrf_token`` field). Wire
with ``*engagement.routes(hub)`` in ``create_app``. The homepage widgets call the same
services directly; these are for htmx posts and outside callers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import Principal, require_admin, require_principal
from hub.db import PartnerOrg
from hub.db.types import utcnow
from hub.resources import Hub
from hub.services.engagement import (
    badges,
    budgets,
    credentials,
    leaderboards,
    ledger,
    nba,
    notifications,
    recognition,
    surveys,
)
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.levels import level_for

Endpoint = Callable[[Request], Awaitable[Response]]


def problem(error: EngagementError) -> JSONResponse:
    """An engine error as problem+json, its ``code`` kept for callers."""
    return JSONResponse(
        {
            "type": "about:blank",
            "title": error.code.replace("_", " "),
            "status": error.http_status,
            "detail": error.message,
            "code": error.code,
        },
        status_code=error.http_status,
        media_type="application/problem+json",
    )


def _guarded(endpoint: Endpoint) -> Endpoint:
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except EngagementError as error:
            return problem(error)

    return run


async def _fields(request: Request) -> dict[str, Any]:
    """The request's form fields or JSON object."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise EngagementError("invalid_request", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise EngagementError("invalid_request", "send a JSON object")
        return body
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _whole(value: Any, name: str, default: int = 0) -> int:
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        raise EngagementError("invalid_request", f"{name}: a whole number")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise EngagementError("invalid_request", f"{name}: a whole number") from None


async def _segment(hub: Hub, principal: Principal) -> tuple[str, str, str]:
    """The caller's org tier, partner type and region ("" for vendor staff)."""
    if principal.partner_org_id is None:
        return "", "", ""
    async with hub.db.session() as session:
        org = await session.scalar(
            select(PartnerOrg).where(PartnerOrg.id == principal.partner_org_id)
        )
    return (org.tier, org.partner_type, org.region) if org else ("", "", "")


def routes(hub: Hub) -> list[BaseRoute]:
    """The engagement endpoints over ``hub``'s database and store."""

    async def me(request: Request) -> Response:
        principal = require_principal(request)
        now = utcnow()
        async with hub.db.session() as session:
            points = await ledger.balance(session, ledger.user_account(principal.id))
            gallery = await badges.badge_gallery(session, principal.id)
        level = level_for(points)
        budget = await budgets.budget_status(hub.db, principal.id, now=now)
        return JSONResponse(
            {
                "points": points,
                "level": {**asdict(level), "progress": level.progress(points)},
                "badges": [
                    {**asdict(b), "earned_at": b.earned_at.isoformat() if b.earned_at else None}
                    for b in gallery
                ],
                "unread_notifications": await notifications.unread_count(hub.db, principal.id),
                "budget": {**asdict(budget), "closes_at": budget.closes_at.isoformat()}
                if budget.granted
                else None,
            }
        )

    async def board(request: Request) -> Response:
        principal = require_principal(request)
        scope = request.query_params.get("scope", "program")
        period = request.query_params.get("period", "month")
        if scope not in leaderboards.SCOPES or period not in ("week", "month", "quarter", "all"):
            raise EngagementError("invalid_board", f"no leaderboard for {scope!r} by {period!r}")
        result = await leaderboards.leaderboard(
            hub.db,
            hub.store,
            user_id=principal.id,
            scope=scope,
            period=period,  # type: ignore[arg-type]
            now=utcnow(),
            limit=_whole(request.query_params.get("limit"), "limit", 10),
        )
        return JSONResponse(
            {
                "scope": result.scope,
                "period": result.period.key,
                "top": [asdict(line) for line in result.top],
                "me": asdict(result.me) if result.me else None,
            }
        )

    async def opt_out(request: Request) -> Response:
        principal = require_principal(request)
        fields = await _fields(request)
        choice = str(fields.get("opt_out", "1")).lower() in ("1", "true", "yes", "on")
        await leaderboards.set_opt_out(hub.db, hub.store, principal.id, choice)
        return JSONResponse({"opt_out": choice})

    async def give(request: Request) -> Response:
        principal = require_principal(request)
        fields = await _fields(request)
        outcome = await recognition.give_kudos(
            hub.db,
            hub.store,
            recognition.Kudos(
                giver_id=principal.id,
                recipient_id=_whole(fields.get("recipient_id"), "recipient_id"),
                message=str(fields.get("message", "")),
                idempotency_key=str(fields.get("submission", "")),
                value_tag=str(fields.get("value_tag", "")),
                points=_whole(fields.get("points"), "points"),
            ),
            now=utcnow(),
        )
        return JSONResponse(
            asdict(outcome), status_code=201 if outcome.status == "approved" else 202
        )

    async def decide(request: Request) -> Response:
        principal = require_admin(request)
        fields = await _fields(request)
        outcome = await recognition.decide_kudos(
            hub.db,
            hub.store,
            int(request.path_params["recognition_id"]),
            approver_id=principal.id,
            approve=str(fields.get("decision", "")) == "approve",
            now=utcnow(),
        )
        return JSONResponse(asdict(outcome))

    async def feed(request: Request) -> Response:
        principal = require_principal(request)
        mine = request.query_params.get("scope") == "org"
        items = await recognition.recognition_feed(
            hub.db, partner_org_id=principal.partner_org_id if mine else None
        )
        return JSONResponse(
            [{**asdict(item), "created_at": item.created_at.isoformat()} for item in items]
        )

    async def act(request: Request) -> Response:
        principal = require_principal(request)
        step = request.path_params["step"]
        if step not in ("clicked", "done", "dismissed", "snoozed"):
            raise HTTPException(404)
        fields = await _fields(request)
        days = _whole(fields.get("days"), "days") or None
        await nba.act_on_action(
            hub.db,
            hub.store,
            user_id=principal.id,
            slug=request.path_params["slug"],
            step=step,
            now=utcnow(),
            snooze_days=days,
        )
        return JSONResponse({"slug": request.path_params["slug"], "step": step})

    async def answer(request: Request) -> Response:
        principal = require_principal(request)
        tier, partner_type, region = await _segment(hub, principal)
        fields = await _fields(request)
        fields.pop("csrf_token", None)
        subject = surveys.SurveySubject(principal.id, principal.persona, tier, partner_type, region)
        await surveys.answer_survey(
            hub.db, hub.store, subject, request.path_params["slug"], fields, now=utcnow()
        )
        return JSONResponse(
            {"survey": request.path_params["slug"], "answered": True}, status_code=201
        )

    async def due(request: Request) -> Response:
        principal = require_principal(request)
        tier, partner_type, region = await _segment(hub, principal)
        subject = surveys.SurveySubject(principal.id, principal.persona, tier, partner_type, region)
        survey = await surveys.due_survey(hub.db, subject, now=utcnow())
        if survey is None:
            return JSONResponse(None)
        return JSONResponse(
            {
                "slug": survey.slug,
                "title": survey.title,
                "questions": [question.model_dump() for question in survey.questions],
            }
        )

    async def results(request: Request) -> Response:
        require_admin(request)
        found = await surveys.survey_results(hub.db, request.path_params["slug"])
        return JSONResponse(
            {
                "survey": found.slug,
                "targeted": found.targeted,
                "responses": found.responses,
                "response_rate": found.response_rate,
                "distribution": found.distribution,
            }
        )

    async def results_csv(request: Request) -> Response:
        require_admin(request)
        slug = request.path_params["slug"]
        body = await surveys.survey_csv(hub.db, slug)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{slug}.csv"'},
        )

    async def credential(request: Request) -> Response:
        principal = require_principal(request)
        exported = await credentials.badge_credential(
            hub.db, hub.settings, user_id=principal.id, slug=request.path_params["slug"]
        )
        if request.query_params.get("format") == "json":
            return JSONResponse(exported.credential, media_type="application/vc+ld+json")
        return Response(
            exported.jwt,
            media_type="application/vc+jwt",
            headers={
                "Content-Disposition": f'attachment; filename="{request.path_params["slug"]}.jwt"'
            },
        )

    async def jwks(request: Request) -> Response:
        return JSONResponse(credentials.issuer_jwks(hub.settings))

    async def notices(request: Request) -> Response:
        principal = require_principal(request)
        items = await notifications.notifications_for(hub.db, principal.id)
        return JSONResponse(
            {
                "unread": await notifications.unread_count(hub.db, principal.id),
                "items": [{**asdict(n), "created_at": n.created_at.isoformat()} for n in items],
            }
        )

    async def read_all(request: Request) -> Response:
        principal = require_principal(request)
        changed = await notifications.mark_read(hub.db, principal.id, at=utcnow())
        return JSONResponse({"marked_read": changed})

    table: list[tuple[str, Endpoint, list[str]]] = [
        ("/api/engagement/me", me, ["GET"]),
        ("/api/engagement/leaderboard", board, ["GET"]),
        ("/api/engagement/leaderboard/opt-out", opt_out, ["POST"]),
        ("/api/engagement/kudos", give, ["POST"]),
        ("/api/engagement/kudos/{recognition_id:int}/decision", decide, ["POST"]),
        ("/api/engagement/feed", feed, ["GET"]),
        ("/api/engagement/actions/{slug}/{step}", act, ["POST"]),
        ("/api/engagement/surveys/due", due, ["GET"]),
        ("/api/engagement/surveys/{slug}/answers", answer, ["POST"]),
        ("/api/engagement/surveys/{slug}/results", results, ["GET"]),
        ("/api/engagement/surveys/{slug}/results.csv", results_csv, ["GET"]),
        ("/api/engagement/badges/{slug}/credential", credential, ["GET"]),
        ("/engagement/issuer/jwks.json", jwks, ["GET"]),
        ("/api/engagement/notifications", notices, ["GET"]),
        ("/api/engagement/notifications/read", read_all, ["POST"]),
    ]
    return [Route(path, _guarded(endpoint), methods=methods) for path, endpoint, methods in table]
