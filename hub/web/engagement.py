"""The engagement engine's endpoints: one per action, answering in the format asked for.

Each action (thank, reward, act on a suggestion, opt out, answer a survey, read notices,
decide on held kudos) has one endpoint under ``/engagement/``. What the action may do is
the service's rule; this module only reads the request, re-checks the caller against the
database, and answers in one of three formats:

- an htmx post (``HX-Request``) gets the widget the action belongs to re-rendered, its
  outcome shown inline (a refusal with its 4xx status; ``hub.js`` swaps those in);
- a JSON caller (a JSON body, or ``Accept: application/json``) gets JSON, refusals as
  ``application/problem+json`` with the engine's ``code``;
- a plain form post is redirected back (303), a refusal is an error page.

A refusal has the same status in every format. Nothing here evaluates activity: the
actions record it, and the worker (or, on the embedded default, the in-process scheduler,
woken by :meth:`Hub.evaluate_soon`) turns it into points, badges and streaks. The reads
under ``/api/engagement/`` are JSON only. Unsafe methods pass the CSRF middleware like
any other (``X-CSRF-Token`` header or ``csrf_token`` field).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import Principal, require_admin, require_principal
from hub.db.types import utcnow
from hub.i18n import N_, translate
from hub.personas.catalogue import PersonaBook
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
from hub.web.viewer import Viewer, load_viewer, locale_of, refuse_foreign_ids
from hub.web.widgets import WidgetRenderer, settings_from_values

Format = Literal["htmx", "json", "html"]
MAX_FIELD = 2_000
POINTS_CHANGED = "hub-points-changed"

# What the engine's refusals say to a person (its own messages are for logs and APIs).
REFUSALS: Mapping[str, str] = {
    "self_award": N_("You cannot thank yourself."),
    "invalid_kudos": N_("Say what you are thanking them for, in at most 500 characters."),
    "no_points": N_("Give at least one point."),
    "absurd_amount": N_("That is more points than one award may give."),
    "no_budget": N_("You have no giving budget this period, so you cannot give points."),
    "insufficient_points": N_(
        "Your budget does not have that many points left. Nothing was given."
    ),
    "cooldown": N_("You thanked them less than a day ago. Try again tomorrow."),
    "rate_limited": N_("You have sent a lot of kudos this hour. Try again later."),
    "not_found": N_("That is no longer available. Reload the page."),
    "forbidden": N_("You cannot thank that person from here."),
    "survey_closed": N_("This survey has closed."),
    "invalid_answer": N_("Answer each question with one of the choices offered."),
    "invalid_action": N_("That action cannot be done here."),
    "invalid_board": N_("That choice is not available for this widget."),
    "invalid_choice": N_("That choice is not available for this widget."),
    "invalid_step": N_("That action cannot be done here."),
    "already_done": N_("You have already reported this. Nothing was counted twice."),
    "invalid_request": N_("That request could not be understood."),
    "no_recipient": N_("Choose whom to thank from the list."),
    "invalid_points": N_("Points must be a whole number."),
    # A repeat of the same form (a double click): already done once, so not an error.
    "duplicate": N_("Already sent. Nothing was sent twice."),
}
# Where a survey refuses with "forbidden", it is not the person's to answer.
SURVEY_REFUSALS: Mapping[str, str] = {**REFUSALS, "forbidden": N_("That is not for you.")}


@dataclass(frozen=True)
class Done:
    """What an action did: its JSON answer and what to tell a person."""

    data: Any
    notice: str = ""
    variables: Mapping[str, Any] = field(default_factory=dict)
    status: int = 200
    settings: Mapping[str, Any] | None = None  # the widget's settings to re-render with


@dataclass(frozen=True)
class Asked:
    """A checked caller and what they sent."""

    viewer: Viewer
    fields: dict[str, Any]
    locale: str

    @property
    def user_id(self) -> int:
        return self.viewer.principal.id


Work = Callable[[Request, Asked], Awaitable[Done]]


def format_of(request: Request) -> Format:
    """How to answer: htmx fragment, JSON, or a page for a plain form post."""
    if request.headers.get("hx-request") == "true":
        return "htmx"
    if request.headers.get("content-type", "").startswith("application/json"):
        return "json"
    accept = request.headers.get("accept", "")
    if "text/html" in accept or "application/xhtml" in accept:
        return "html"
    return "json"


async def read_fields(request: Request) -> dict[str, Any]:
    """The request's JSON object or form fields (without the CSRF token)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise EngagementError("invalid_request", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise EngagementError("invalid_request", "send a JSON object")
        body.pop("csrf_token", None)
        return body
    form = await request.form()
    return {
        key: value[:MAX_FIELD]
        for key, value in form.items()
        if isinstance(value, str) and key != "csrf_token"
    }


def whole(value: Any, name: str, default: int = 0, *, code: str = "invalid_request") -> int:
    """A whole number from a form or JSON field; an ``EngagementError(code)`` otherwise."""
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        raise EngagementError(code, f"{name}: a whole number")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise EngagementError(code, f"{name}: a whole number") from None


def problem(status: int, detail: str, code: str) -> JSONResponse:
    """A refusal as problem+json, the engine's ``code`` kept for callers."""
    return JSONResponse(
        {
            "type": "about:blank",
            "title": code.replace("_", " "),
            "status": status,
            "detail": detail,
            "code": code,
        },
        status_code=status,
        media_type="application/problem+json",
    )


def _code_for(status: int) -> str:
    return {401: "unauthorized", 403: "forbidden", 404: "not_found"}.get(status, "invalid_request")


def routes(hub: Hub, book: PersonaBook, renderer: WidgetRenderer) -> list[BaseRoute]:
    """The engagement endpoints over ``hub``'s database and store."""

    async def checked(request: Request, widget: str | None) -> Viewer:
        """The caller re-checked against the database; 403 when their access changed."""
        principal = require_principal(request)
        locale = locale_of(request)
        refuse_foreign_ids(request, principal)
        if widget is not None and not book.allows(principal.persona, book.registry[widget]):
            raise HTTPException(
                403, translate(locale, N_("That widget is not available on this homepage."))
            )
        # A write re-checks the caller against the database every time, never from a memo.
        return await load_viewer(hub.db, principal, locale)

    async def fragment(
        request: Request,
        viewer: Viewer,
        widget: str,
        *,
        notice: str = "",
        error: str = "",
        status: int = 200,
        settings: Mapping[str, Any] | None = None,
    ) -> Response:
        locale = locale_of(request)
        rendered = await renderer.render(
            viewer,
            book.registry[widget],
            locale,
            settings=settings,
            extra={"notice": notice, "error": error},
            remember=not (notice or error),
        )
        headers = {"Cache-Control": "private, no-store", "X-Widget": widget}
        if status < 400 and widget != "leaderboard":
            # Points may move: hub.js reloads the points and leaderboard widgets.
            headers["HX-Trigger"] = POINTS_CHANGED
        return HTMLResponse(
            renderer.html_for(rendered, request), status_code=status, headers=headers
        )

    async def perform(
        request: Request,
        widget: str | None,
        work: Work,
        *,
        back: str = "/",
        refusals: Mapping[str, str] = REFUSALS,
        admin: bool = False,
    ) -> Response:
        """Check the caller, run ``work``, answer in the request's format."""
        kind = format_of(request)
        locale = locale_of(request)
        try:
            if admin:
                require_admin(request)
            viewer = await checked(request, widget)
        except HTTPException as refused:
            if kind == "json":
                return problem(
                    refused.status_code, str(refused.detail), _code_for(refused.status_code)
                )
            raise
        try:
            done = await work(request, Asked(viewer, await read_fields(request), locale))
        except EngagementError as failed:
            said = translate(locale, refusals.get(failed.code, N_("That did not work.")))
            if kind == "json":
                return problem(failed.http_status, failed.message, failed.code)
            if kind == "htmx" and widget is not None:
                if failed.code == "duplicate":
                    return await fragment(request, viewer, widget, notice=said)
                return await fragment(
                    request, viewer, widget, error=said, status=failed.http_status
                )
            if failed.code == "duplicate":
                return RedirectResponse(back, status_code=303)
            raise HTTPException(failed.http_status, said) from None
        hub.evaluate_soon()
        if kind == "json":
            return JSONResponse(done.data, status_code=done.status)
        if kind == "htmx" and widget is not None:
            notice = translate(locale, done.notice, **done.variables) if done.notice else ""
            return await fragment(request, viewer, widget, notice=notice, settings=done.settings)
        return RedirectResponse(back, status_code=303)

    # --- actions ---------------------------------------------------------------------

    async def give(request: Request, asked: Asked, *, reward: bool) -> Done:
        fields = asked.fields
        recipient_id = whole(fields.get("recipient_id"), "recipient_id", code="no_recipient")
        if not recipient_id:
            raise EngagementError("no_recipient", "recipient_id: whom to thank")
        outcome = await recognition.give_kudos(
            hub.db,
            hub.store,
            recognition.Kudos(
                giver_id=asked.user_id,
                recipient_id=recipient_id,
                message=str(fields.get("message", "")),
                idempotency_key=str(fields.get("submission", "")),
                value_tag=str(fields.get("value_tag", "")),
                points=whole(fields.get("points"), "points", code="invalid_points"),
                reward=reward,
            ),
            now=utcnow(),
        )
        name = await recognition.display_name(hub.db, recipient_id)
        if outcome.status == "pending":
            said = N_("Kudos to %(name)s sent; the points wait for an administrator's approval.")
        else:
            said = N_("Kudos sent to %(name)s.")
        return Done(
            asdict(outcome),
            said,
            {"name": name},
            status=201 if outcome.status == "approved" else 202,
        )

    async def thank(request: Request, asked: Asked) -> Done:
        return await give(request, asked, reward=False)

    async def reward(request: Request, asked: Asked) -> Done:
        return await give(request, asked, reward=True)

    async def act(request: Request, asked: Asked) -> Done:
        slug = request.path_params["slug"]
        step = str(asked.fields.get("step", ""))
        if step not in nba.STEPS:
            raise EngagementError("invalid_step", f"step: one of {', '.join(nba.STEPS)}")
        action = await nba.act_on_action(
            hub.db,
            hub.store,
            asked.viewer.requester,
            slug=slug,
            step=step,
            now=utcnow(),
            snooze_days=whole(asked.fields.get("days"), "days") or None,
        )
        if step == "done" and action.confirm is not None:
            return Done(
                {"slug": slug, "step": step, "status": "reported"},
                N_("Noted. The points are credited when the portal shows it is done."),
                status=202,
            )
        said = {
            "clicked": "",
            "done": N_("Well done! Your points are on their way.")
            if action.self_report_points
            else N_("Well done! Marked as done."),
            "dismissed": N_("Dismissed. It will not be suggested again."),
            "snoozed": N_("Snoozed. It comes back in a week."),
        }
        return Done({"slug": slug, "step": step}, said[step])

    async def opt_out(request: Request, asked: Asked) -> Done:
        raw = asked.fields.get("opt_out", "")
        choice = {"1": True, "0": False, True: True, False: False}.get(raw)
        settings = settings_from_values(
            {k: v for k, v in asked.fields.items() if isinstance(v, str)},
            book.registry["leaderboard"],
        )
        if choice is None or settings is None:
            raise EngagementError("invalid_choice", "opt_out: 1 or 0")
        await leaderboards.set_opt_out(hub.db, hub.store, asked.user_id, choice)
        said = (
            N_("You are off the leaderboards.")
            if choice
            else N_("You are back on the leaderboards.")
        )
        return Done({"opt_out": choice}, said, settings=settings)

    async def answer(request: Request, asked: Asked) -> Done:
        slug = request.path_params["slug"]
        await surveys.answer_survey(
            hub.db, asked.viewer.requester, slug, dict(asked.fields), now=utcnow()
        )
        return Done({"survey": slug, "answered": True}, status=201)

    async def read_all(request: Request, asked: Asked) -> Done:
        changed = await notifications.mark_read(hub.db, asked.user_id, at=utcnow())
        return Done({"marked_read": changed}, N_("Notices marked as read."))

    async def decide(request: Request, asked: Asked) -> Done:
        decision = asked.fields.get("decision")
        if decision not in ("approve", "decline"):
            raise EngagementError("invalid_request", "decision: approve or decline")
        recognition_id = int(request.path_params["recognition_id"])
        outcome = await recognition.decide_kudos(
            hub.db,
            hub.store,
            recognition_id,
            approver_id=asked.user_id,
            approve=decision == "approve",
            now=utcnow(),
        )
        await hub.audit.record(
            request,
            actor=asked.viewer.person.email,
            action=f"kudos_{decision}",
            target=str(recognition_id),
        )
        return Done(asdict(outcome))

    async def post_kudos(request: Request) -> Response:
        return await perform(request, "recognition_feed", thank)

    async def post_reward(request: Request) -> Response:
        return await perform(request, "recognition_budget", reward)

    async def post_action(request: Request) -> Response:
        return await perform(request, "next_best_action", act)

    async def post_opt_out(request: Request) -> Response:
        return await perform(request, "leaderboard", opt_out)

    async def post_answer(request: Request) -> Response:
        return await perform(request, "pulse_survey", answer, refusals=SURVEY_REFUSALS)

    async def post_read(request: Request) -> Response:
        return await perform(request, "recognition_feed", read_all)

    async def post_decision(request: Request) -> Response:
        return await perform(request, None, decide, back="/admin#approvals", admin=True)

    async def follow(request: Request) -> Response:
        """A suggestion's link: the click is counted, then the person goes where it leads."""
        viewer = await checked(request, "next_best_action")
        slug = request.path_params["slug"]
        try:
            action = await nba.act_on_action(
                hub.db, hub.store, viewer.requester, slug=slug, step="clicked", now=utcnow()
            )
        except EngagementError as failed:
            raise HTTPException(failed.http_status) from None
        return RedirectResponse(deep_link(hub, action.link), status_code=303)

    # --- reads (JSON) -------------------------------------------------------------------

    async def reader(request: Request) -> Principal:
        """The caller of a JSON read, re-checked like a write."""
        return (await checked(request, None)).principal

    async def me(request: Request) -> Response:
        principal = await reader(request)
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
                "budget": {
                    **asdict(budget),
                    "opens_at": budget.opens_at.isoformat(),
                    "closes_at": budget.closes_at.isoformat(),
                }
                if budget.granted
                else None,
            }
        )

    async def board(request: Request) -> Response:
        principal = await reader(request)
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
            limit=whole(request.query_params.get("limit"), "limit", 10),
        )
        return JSONResponse(
            {
                "scope": result.scope,
                "period": result.period.key,
                "top": [asdict(line) for line in result.top],
                "me": asdict(result.me) if result.me else None,
            }
        )

    async def feed(request: Request) -> Response:
        principal = await reader(request)
        mine = request.query_params.get("scope") == "org"
        items = await recognition.recognition_feed(
            hub.db, partner_org_id=principal.partner_org_id if mine else None
        )
        return JSONResponse(
            [{**asdict(item), "created_at": item.created_at.isoformat()} for item in items]
        )

    async def due(request: Request) -> Response:
        viewer = await checked(request, None)
        survey = await surveys.due_survey(hub.db, viewer.requester, now=utcnow())
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
        await reader(request)
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
        await reader(request)
        slug = request.path_params["slug"]
        body = await surveys.survey_csv(hub.db, slug)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{slug}.csv"'},
        )

    async def credential(request: Request) -> Response:
        principal = await reader(request)
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
        principal = await reader(request)
        items = await notifications.notifications_for(hub.db, principal.id)
        return JSONResponse(
            {
                "unread": await notifications.unread_count(hub.db, principal.id),
                "items": [{**asdict(n), "created_at": n.created_at.isoformat()} for n in items],
            }
        )

    def json_read(endpoint: Callable[[Request], Awaitable[Response]]) -> Any:
        async def run(request: Request) -> Response:
            try:
                return await endpoint(request)
            except EngagementError as error:
                return problem(error.http_status, error.message, error.code)

        return run

    writes: list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]] = [
        ("/engagement/kudos", post_kudos, ["POST"]),
        ("/engagement/rewards", post_reward, ["POST"]),
        ("/engagement/kudos/{recognition_id:int}/decision", post_decision, ["POST"]),
        ("/engagement/actions/{slug:str}", post_action, ["POST"]),
        ("/engagement/actions/{slug:str}/go", follow, ["GET"]),
        ("/engagement/leaderboard/opt-out", post_opt_out, ["POST"]),
        ("/engagement/surveys/{slug:str}/answers", post_answer, ["POST"]),
        ("/engagement/notifications/read", post_read, ["POST"]),
    ]
    reads: list[tuple[str, Callable[[Request], Awaitable[Response]]]] = [
        ("/api/engagement/me", me),
        ("/api/engagement/leaderboard", board),
        ("/api/engagement/feed", feed),
        ("/api/engagement/surveys/due", due),
        ("/api/engagement/surveys/{slug}/results", results),
        ("/api/engagement/surveys/{slug}/results.csv", results_csv),
        ("/api/engagement/badges/{slug}/credential", credential),
        ("/api/engagement/notifications", notices),
        ("/engagement/issuer/jwks.json", jwks),
    ]
    return [
        *(Route(path, endpoint, methods=methods) for path, endpoint, methods in writes),
        *(Route(path, json_read(endpoint), methods=["GET"]) for path, endpoint in reads),
    ]


def deep_link(hub: Hub, link: str) -> str:
    """Where an action's link leads: ``/go/<kind>/<path>`` opens that path in the kind's portal."""
    if link.startswith("/go/"):
        kind, _, rest = link.removeprefix("/go/").partition("/")
        portal = next((p for p in hub.backends.portals() if p.kind.value == kind), None)
        if portal is not None:
            return f"{portal.url.rstrip('/')}/{rest}"
        return "/"
    return link
