"""Ask an expert, the experts' side: their queue, a question's page, answering, publishing.

Vendor staff only (a partner user gets a 403); a question outside the topics the caller
answers is a 404, the same answer as no such question, and nothing is written. A refused
answer keeps what the expert typed.
"""

from __future__ import annotations

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import Principal, require_principal
from hub.db.types import utcnow
from hub.i18n import N_, format_number, translate
from hub.resources import Hub
from hub.services.content.index import refresh_answers
from hub.services.questions import answering
from hub.services.questions.records import ANSWER_MAX, SUMMARY_MAX, NotFound, QuestionError
from hub.web.viewer import load_viewer, locale_of

NO_STORE = {"Cache-Control": "private, no-store"}
NOT_YOURS = N_("There is no such question in the topics you answer.")
PROBLEMS = {
    "answer": N_("Write an answer of at most %(answer)s characters."),
    "summary": N_("Publishing needs a summary of at most %(summary)s characters."),
    "scope": N_("Choose whom to publish the answer to."),
    "unanswered": N_("Answer the question before publishing it."),
}
SAID = {
    "answered": N_("Answer sent; the partner who asked has a notice."),
    "published": N_("Published: partners it is meant for can now find it."),
    "withdrawn": N_("Withdrawn: only the asking organisation sees it now."),
}


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    async def expert(request: Request) -> Principal:
        principal = require_principal(request)
        locale = locale_of(request)
        if principal.partner_org_id is not None:
            raise HTTPException(
                403, translate(locale, N_("Answering questions is for the vendor's experts."))
            )
        return (await load_viewer(hub.db, principal, locale)).principal

    async def queue(request: Request) -> Response:
        principal = await expert(request)
        found = await answering.expert_queue(hub.db, principal.id)
        return templates.TemplateResponse(
            request, "questions/queue.html", {"queue": found}, headers=NO_STORE
        )

    async def page(
        request: Request,
        principal: Principal,
        question_id: int,
        *,
        problem: str = "",
        typed: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        locale = locale_of(request)
        try:
            found = await answering.question_for_expert(hub.db, question_id, principal.id)
        except NotFound:
            raise HTTPException(404, translate(locale, NOT_YOURS)) from None
        said = request.query_params.get("said", "")
        return templates.TemplateResponse(
            request,
            "questions/answer.html",
            {
                "question": found,
                "problem": problem,
                "typed": typed or {},
                "said": translate(locale, SAID[said]) if said in SAID else "",
                "limits": {"answer": ANSWER_MAX, "summary": SUMMARY_MAX},
            },
            status_code=status,
            headers=NO_STORE,
        )

    async def question(request: Request) -> Response:
        principal = await expert(request)
        return await page(request, principal, int(request.path_params["id"]))

    def problem_text(locale: str, field: str) -> str:
        return translate(
            locale, PROBLEMS[field], answer=format_number(ANSWER_MAX, locale),
            summary=format_number(SUMMARY_MAX, locale),
        )  # fmt: skip

    async def post_answer(request: Request) -> Response:
        principal = await expert(request)
        question_id = int(request.path_params["id"])
        form = await request.form()
        body = str(form.get("answer") or "")
        try:
            await answering.answer(
                hub.db, question_id, expert_id=principal.id, body=body, now=utcnow()
            )
        except NotFound:
            raise HTTPException(404, translate(locale_of(request), NOT_YOURS)) from None
        except QuestionError as error:
            return await page(
                request, principal, question_id,
                problem=problem_text(locale_of(request), error.field),
                typed={"answer": body}, status=422,
            )  # fmt: skip
        return RedirectResponse(f"/experts/questions/{question_id}?said=answered", 303)

    async def post_publish(request: Request) -> Response:
        principal = await expert(request)
        question_id = int(request.path_params["id"])
        form = await request.form()
        scope, summary = str(form.get("scope") or ""), str(form.get("summary") or "")
        try:
            await answering.publish(
                hub.db, question_id, expert_id=principal.id, scope=scope, summary=summary,
                by=principal.email, now=utcnow(),
            )  # fmt: skip
        except NotFound:
            raise HTTPException(404, translate(locale_of(request), NOT_YOURS)) from None
        except QuestionError as error:
            return await page(
                request, principal, question_id,
                problem=problem_text(locale_of(request), error.field),
                typed={"summary": summary, "scope": scope}, status=422,
            )  # fmt: skip
        await hub.audit.record(
            request, actor=principal.email, action="question_published",
            target=f"question:{question_id}", reason=scope or "withdrawn",
        )  # fmt: skip
        # Partners find it in the library at once (and no longer, once withdrawn).
        await refresh_answers(hub.db)
        said = "published" if scope else "withdrawn"
        return RedirectResponse(f"/experts/questions/{question_id}?said={said}", 303)

    return [
        Route("/experts/questions", queue, name="expert_questions"),
        Route("/experts/questions/{id:int}", question),
        Route("/experts/questions/{id:int}/answer", post_answer, methods=["POST"]),
        Route("/experts/questions/{id:int}/publish", post_publish, methods=["POST"]),
    ]
