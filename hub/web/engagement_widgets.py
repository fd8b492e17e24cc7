"""The engagement widgets' forms: act on a suggestion, thank a colleague, answer a survey.

Each endpoint re-checks the caller against the database, their persona's right to the
widget and every id in the form against what that caller may use (a recipient outside
the people they may thank is refused), then calls the engagement engine. An htmx post
gets the widget re-rendered, its outcome shown inline (a refusal with its 4xx status;
``hub.js`` swaps those in for forms marked ``data-swap-errors``); a plain form post is
redirected back to ``/``. One-time ``submission`` tokens and the engine's own
idempotency keys make a double click count once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_principal
from hub.db.types import utcnow
from hub.i18n import N_, translate
from hub.personas.catalogue import PersonaBook
from hub.resources import Hub
from hub.services import engagement_home
from hub.services.activity import Activity
from hub.services.engagement import leaderboards, nba, notifications, recognition, surveys
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.processing import ingest, process_pending
from hub.web.viewer import Viewer, load_viewer, locale_of, refuse_foreign_ids
from hub.web.widgets import WidgetRenderer, settings_from_values
from hub.widgets.base import Widget

MAX_FIELD = 2_000
POINTS_CHANGED = "hub-points-changed"
STEPS: Mapping[str, nba.Step] = {"done": "done", "dismissed": "dismissed", "snoozed": "snoozed"}

# What the engine's refusals say to a person (its own messages are for logs and APIs).
REFUSALS: Mapping[str, str] = {
    "self_award": N_("You cannot thank yourself."),
    "invalid_kudos": N_("Say what you are thanking them for, in at most 500 characters."),
    "absurd_amount": N_("That is more points than one award may give."),
    "no_budget": N_("You have no giving budget this period, so you cannot give points."),
    "insufficient_points": N_(
        "Your budget does not have that many points left. Nothing was given."
    ),
    "cooldown": N_("You thanked them less than a day ago. Try again tomorrow."),
    "rate_limited": N_("You have sent a lot of kudos this hour. Try again later."),
    "not_found": N_("That is no longer available. Reload the page."),
    "forbidden": N_("That is not for you."),
    "survey_closed": N_("This survey has closed."),
    "invalid_answer": N_("Answer each question with one of the choices offered."),
    "invalid_action": N_("That action cannot be done here."),
    "invalid_board": N_("That choice is not available for this widget."),
    # A repeat of the same form (a double click): already done once, so not an error.
    "duplicate": N_("Already sent. Nothing was sent twice."),
}


@dataclass(frozen=True)
class Caller:
    """Who posted, re-checked, and the widget they posted from."""

    viewer: Viewer
    widget: Widget
    locale: str

    @property
    def user_id(self) -> int:
        return self.viewer.principal.id


# A form's work: what to tell the person, and the widget settings to re-render with.
Action = Callable[[Request, "Caller"], Awaitable[tuple[str, Mapping[str, Any] | None]]]


class Refused(Exception):
    """A form the endpoint will not act on: its status and what to tell the person."""

    def __init__(self, status: int, message: str, **variables: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.variables = status, message, variables


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {
        key: value[:MAX_FIELD]
        for key, value in form.items()
        if isinstance(value, str) and key != "csrf_token"
    }


def _points(raw: str | None) -> int:
    if raw in (None, ""):
        return 0
    try:
        return int(raw)
    except ValueError:
        raise Refused(400, N_("Points must be a whole number.")) from None


def _recipient(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        raise Refused(400, N_("Choose whom to thank from the list.")) from None


def routes(hub: Hub, templates: Jinja2Blocks, book: PersonaBook) -> list[BaseRoute]:
    """The form endpoints of the engagement widgets over ``hub``."""
    renderer = WidgetRenderer(hub, templates)

    async def caller(request: Request, name: str) -> Caller:
        principal = require_principal(request)
        locale = locale_of(request)
        widget = book.registry[name]
        refuse_foreign_ids(request, principal)
        if not widget.allows(principal.persona):
            raise HTTPException(
                403, translate(locale, N_("That widget is not available on this homepage."))
            )
        # A write re-checks the caller against the database every time, never from a memo.
        return Caller(await load_viewer(hub.db, principal, locale), widget, locale)

    async def answer(
        request: Request,
        who: Caller,
        *,
        notice: str = "",
        error: str = "",
        status: int = 200,
        settings: Mapping[str, Any] | None = None,
    ) -> Response:
        if not _is_htmx(request):
            if error:
                raise HTTPException(status, error)
            return RedirectResponse("/", status_code=303)
        rendered = await renderer.render(
            who.viewer,
            who.widget,
            who.locale,
            settings=settings,
            extra={"notice": notice, "error": error},
            remember=not (notice or error),
        )
        headers = {"Cache-Control": "private, no-store", "X-Widget": who.widget.name}
        if status < 400 and who.widget.name != "leaderboard":
            # Points may have moved: hub.js reloads the points and leaderboard widgets.
            headers["HX-Trigger"] = POINTS_CHANGED
        return HTMLResponse(
            renderer.html_for(rendered, request), status_code=status, headers=headers
        )

    async def guarded(request: Request, name: str, act: Action) -> Response:
        who = await caller(request, name)
        try:
            notice, settings = await act(request, who)
        except Refused as refused:
            message = translate(who.locale, refused.message, **refused.variables)
            return await answer(request, who, error=message, status=refused.status)
        except EngagementError as failed:
            message = translate(who.locale, REFUSALS.get(failed.code, N_("That did not work.")))
            if failed.code == "duplicate":
                return await answer(request, who, notice=message)
            return await answer(request, who, error=message, status=failed.http_status)
        return await answer(request, who, notice=notice, settings=settings)

    def subject_of(who: Caller) -> nba.ActionSubject:
        org = who.viewer.org
        return nba.ActionSubject(
            who.user_id,
            who.viewer.principal.persona,
            org.tier if org else "",
            org.partner_type if org else "",
            org.region if org else "",
        )

    async def act_on_action(request: Request, who: Caller) -> tuple[str, None]:
        slug = request.path_params["slug"]
        step = STEPS.get((await _form(request)).get("step", ""))
        if step is None:
            raise Refused(400, N_("That action cannot be done here."))
        if await engagement_home.action_for(hub.db, slug, subject_of(who)) is None:
            raise Refused(404, N_("That is no longer available. Reload the page."))
        now = utcnow()
        await nba.act_on_action(
            hub.db, hub.store, user_id=who.user_id, slug=slug, step=step, now=now
        )
        earned: list[str] = []
        if step == "done":
            # Doing it is activity too (badges can ask for it); recorded once per user and action.
            done = Activity(
                key=f"action:{slug}:{who.user_id}:done",
                kind="action_completed",
                occurred_at=now,
                user_id=who.user_id,
                partner_org_id=who.viewer.principal.partner_org_id,
                object=f"action:{slug}",
            )
            report = await ingest(hub.db, hub.store, [done])
            earned = [b.badge_name for b in report.badges if b.user_id == who.user_id]
        await process_pending(hub.db, hub.store)
        if earned:
            return translate(
                who.locale, N_("Well done! You earned the %(badge)s badge."), badge=earned[0]
            ), None
        said = {
            "done": N_("Well done! Your points are on their way."),
            "dismissed": N_("Dismissed. It will not be suggested again."),
            "snoozed": N_("Snoozed. It comes back in a week."),
        }
        return translate(who.locale, said[step]), None

    async def follow_action(request: Request) -> Response:
        who = await caller(request, "next_best_action")
        slug = request.path_params["slug"]
        action = await engagement_home.action_for(hub.db, slug, subject_of(who))
        if action is None:
            raise HTTPException(404)
        await nba.act_on_action(
            hub.db, hub.store, user_id=who.user_id, slug=slug, step="clicked", now=utcnow()
        )
        return RedirectResponse(deep_link(hub, action.link), status_code=303)

    async def opt_out(request: Request, who: Caller) -> tuple[str, dict[str, Any]]:
        fields = await _form(request)
        choice = fields.get("opt_out", "")
        if choice not in ("0", "1"):
            raise Refused(400, N_("That choice is not available for this widget."))
        settings = settings_from_values(fields, who.widget)
        if settings is None:
            raise Refused(400, N_("That choice is not available for this widget."))
        await leaderboards.set_opt_out(hub.db, hub.store, who.user_id, choice == "1")
        said = (
            N_("You are off the leaderboards.")
            if choice == "1"
            else N_("You are back on the leaderboards.")
        )
        return translate(who.locale, said), settings

    async def give(request: Request, who: Caller, *, partners_only: bool) -> tuple[str, None]:
        fields = await _form(request)
        recipient_id = _recipient(fields.get("recipient_id"))
        points = _points(fields.get("points"))
        if partners_only and points < 1:
            raise Refused(422, N_("Give at least one point."))
        async with hub.db.session() as session:
            allowed = await engagement_home.recipients_for(
                session, who.user_id, partners_only=partners_only
            )
        person = next((p for p in allowed if p.id == recipient_id), None)
        if person is None:
            raise Refused(403, N_("You cannot thank that person from here."))
        outcome = await recognition.give_kudos(
            hub.db,
            hub.store,
            recognition.Kudos(
                giver_id=who.user_id,
                recipient_id=recipient_id,
                message=fields.get("message", ""),
                idempotency_key=fields.get("submission", ""),
                value_tag=fields.get("value_tag", ""),
                points=points,
            ),
            now=utcnow(),
        )
        await process_pending(hub.db, hub.store)
        if outcome.status == "pending":
            said = N_("Kudos to %(name)s sent; the points wait for an administrator's approval.")
        else:
            said = N_("Kudos sent to %(name)s.")
        return translate(who.locale, said, name=person.name), None

    async def read_notices(request: Request, who: Caller) -> tuple[str, None]:
        await notifications.mark_read(hub.db, who.user_id, at=utcnow())
        return translate(who.locale, N_("Notices marked as read.")), None

    async def answer_survey(request: Request, who: Caller) -> tuple[str, None]:
        fields = await _form(request)
        org = who.viewer.org
        subject = surveys.SurveySubject(
            who.user_id,
            who.viewer.principal.persona,
            org.tier if org else "",
            org.partner_type if org else "",
            org.region if org else "",
        )
        answers: dict[str, Any] = dict(fields)
        await surveys.answer_survey(
            hub.db, hub.store, subject, request.path_params["slug"], answers, now=utcnow()
        )
        await process_pending(hub.db, hub.store)
        return "", None

    async def post_action(request: Request) -> Response:
        return await guarded(request, "next_best_action", act_on_action)

    async def post_opt_out(request: Request) -> Response:
        return await guarded(request, "leaderboard", opt_out)

    async def post_kudos(request: Request) -> Response:
        async def run(request: Request, who: Caller) -> tuple[str, None]:
            return await give(request, who, partners_only=False)

        return await guarded(request, "recognition_feed", run)

    async def post_reward(request: Request) -> Response:
        async def run(request: Request, who: Caller) -> tuple[str, None]:
            return await give(request, who, partners_only=True)

        return await guarded(request, "recognition_budget", run)

    async def post_read(request: Request) -> Response:
        return await guarded(request, "recognition_feed", read_notices)

    async def post_survey(request: Request) -> Response:
        return await guarded(request, "pulse_survey", answer_survey)

    return [
        Route("/widgets/next_best_action/{slug:str}", post_action, methods=["POST"]),
        Route("/widgets/next_best_action/{slug:str}/go", follow_action, methods=["GET"]),
        Route("/widgets/leaderboard/opt-out", post_opt_out, methods=["POST"]),
        Route("/widgets/recognition_feed/kudos", post_kudos, methods=["POST"]),
        Route("/widgets/recognition_feed/read", post_read, methods=["POST"]),
        Route("/widgets/recognition_budget/reward", post_reward, methods=["POST"]),
        Route("/widgets/pulse_survey/{slug:str}", post_survey, methods=["POST"]),
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
