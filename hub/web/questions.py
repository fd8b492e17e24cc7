"""Ask an expert, the partner's side: ``/questions`` and one question's page.

Any partner user asks about a topic meant for their org, sees their org's questions and
the answers experts published to partners like them. Another org's question that is not
published to the caller is a 404, the same answer as no such question. Vendor staff who
open a question's link are sent to its expert page. A refused question keeps what was typed.
"""

from __future__ import annotations

from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_principal
from hub.db.types import utcnow
from hub.i18n import N_, format_number, translate
from hub.resources import Hub
from hub.services.questions import asking
from hub.services.questions.records import BODY_MAX, TITLE_MAX, TITLE_MIN, NotFound, QuestionError
from hub.services.questions.topics import topics_for_partner
from hub.web.viewer import Viewer, load_viewer, locale_of

NO_STORE = {"Cache-Control": "private, no-store"}
NO_SUCH = N_("There is no such question among yours or those published to you.")
PROBLEMS = {
    "title": N_("Give your question a title of %(min)s to %(max)s characters."),
    "body": N_("The details may be at most %(body)s characters."),
    "topic": N_("Choose one of the topics listed."),
}


def problem_text(locale: str, field: str) -> str:
    return translate(
        locale, PROBLEMS[field], min=TITLE_MIN, max=TITLE_MAX, body=format_number(BODY_MAX, locale)
    )


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    async def partner(request: Request) -> Viewer:
        principal = require_principal(request)
        locale = locale_of(request)
        viewer = await load_viewer(hub.db, principal, locale)
        if viewer.org is None:
            raise HTTPException(
                403,
                translate(
                    locale, N_("Asking the experts is for partner users; yours is the queue.")
                ),
            )
        return viewer

    async def page(
        request: Request,
        viewer: Viewer,
        *,
        problem: str = "",
        typed: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        assert viewer.org is not None  # noqa: S101 - partner() checked
        async with hub.db.session() as session:
            topics = await topics_for_partner(session, viewer.segment)
        context: dict[str, Any] = {
            "topics": topics,
            "mine": await asking.org_questions(hub.db, viewer.org.id),
            "published": await asking.public_for(hub.db, viewer.org.id, viewer.segment),
            "problem": problem,
            "typed": typed or {},
            "limits": {"title_min": TITLE_MIN, "title": TITLE_MAX, "body": BODY_MAX},
        }
        return templates.TemplateResponse(
            request, "questions/list.html", context, status_code=status, headers=NO_STORE
        )

    async def overview(request: Request) -> Response:
        principal = require_principal(request)
        if principal.partner_org_id is None:
            return RedirectResponse("/experts/questions", status_code=303)
        return await page(request, await partner(request))

    async def ask(request: Request) -> Response:
        viewer = await partner(request)
        assert viewer.org is not None  # noqa: S101
        locale = locale_of(request)
        form = await request.form()
        typed = {name: str(form.get(name) or "") for name in ("topic", "title", "body")}
        try:
            topic_id = int(typed["topic"])
        except ValueError:
            topic_id = 0
        try:
            question_id = await asking.ask(
                hub.db, user_id=viewer.principal.id, org_id=viewer.org.id,
                segment=viewer.segment, topic_id=topic_id, title=typed["title"],
                body=typed["body"], language=locale, now=utcnow(),
            )  # fmt: skip
        except QuestionError as error:
            return await page(
                request, viewer, problem=problem_text(locale, error.field), typed=typed, status=422
            )
        return RedirectResponse(f"/questions/{question_id}?asked=1", status_code=303)

    async def question(request: Request) -> Response:
        principal = require_principal(request)
        question_id = int(request.path_params["id"])
        if principal.partner_org_id is None:
            return RedirectResponse(f"/experts/questions/{question_id}", status_code=303)
        viewer = await partner(request)
        assert viewer.org is not None  # noqa: S101
        try:
            found = await asking.question_for_partner(
                hub.db, question_id, viewer.org.id, viewer.segment
            )
        except NotFound:
            raise HTTPException(404, translate(locale_of(request), NO_SUCH)) from None
        return templates.TemplateResponse(
            request,
            "questions/question.html",
            {"question": found, "asked": request.query_params.get("asked") == "1"},
            headers=NO_STORE,
        )

    return [
        Route("/questions", overview, name="questions"),
        Route("/questions", ask, methods=["POST"]),
        Route("/questions/{id:int}", question, name="question"),
    ]
