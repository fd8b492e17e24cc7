"""Ask an expert, the program's side: topics and their experts, the wait before experts
are reminded (``/admin/questions``, administrators), and response times per topic over a
named period (``/program/questions``, the vendor's staff)."""

from __future__ import annotations

from datetime import timedelta

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_admin, require_principal
from hub.db.types import utcnow
from hub.i18n import N_, format_period, translate
from hub.personas.catalogue import roles
from hub.resources import Hub
from hub.services.questions import timing
from hub.services.questions.topics import InvalidTopic, all_topics, save_topic, vendor_users
from hub.web.viewer import locale_of

NO_STORE = {"Cache-Control": "private, no-store"}
TOPIC_PROBLEMS = {
    "slug": N_("The key takes lower-case letters, digits and hyphens, at most 64."),
    "name": N_("The name takes 1 to 120 characters."),
    "description": N_("The description takes at most 500 characters."),
    "partner_types": N_("Each partner type takes at most 40 characters."),
    "tiers": N_("Each tier takes at most 40 characters."),
    "regions": N_("Each region takes at most 40 characters."),
    "experts": N_("Only the vendor's own staff can be experts."),
}
PERIOD_NAMES = {
    30: N_("Last 30 days"),
    90: N_("Last 90 days"),
    365: N_("Last 12 months"),
}


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    async def admin_page(request: Request, *, problem: str = "", status: int = 200) -> Response:
        require_admin(request)
        async with hub.db.session() as session:
            topics = await all_topics(session)
            people = await vendor_users(session)
            policy = await timing.wait_policy(session)
        return templates.TemplateResponse(
            request,
            "questions/admin.html",
            {"topics": topics, "people": people, "policy": policy, "problem": problem},
            status_code=status,
            headers=NO_STORE,
        )

    async def admin_get(request: Request) -> Response:
        return await admin_page(request)

    async def topic_save(request: Request) -> Response:
        principal = require_admin(request)
        locale = locale_of(request)
        form = await request.form()
        try:
            experts = [int(str(value)) for value in form.getlist("experts")]
        except ValueError:
            return await admin_page(
                request, problem=translate(locale, TOPIC_PROBLEMS["experts"]), status=422
            )
        fields = {
            name: str(form.get(name) or "")
            for name in ("slug", "name", "description", "partner_types", "tiers", "regions")
        }
        try:
            async with hub.db.transaction() as session:
                await save_topic(
                    session, **fields, active=form.get("active") == "on", expert_ids=experts,
                    by=principal.email, now=utcnow(),
                )  # fmt: skip
        except InvalidTopic as error:
            return await admin_page(
                request, problem=translate(locale, TOPIC_PROBLEMS[error.field]), status=422
            )
        await hub.audit.record(
            request, actor=principal.email, action="question_topic_saved",
            target=f"topic:{fields['slug']}", reason=f"{len(experts)} experts",
        )  # fmt: skip
        return RedirectResponse("/admin/questions", status_code=303)

    async def wait_save(request: Request) -> Response:
        principal = require_admin(request)
        form = await request.form()
        try:
            async with hub.db.transaction() as session:
                saved = await timing.save_wait_policy(
                    session, {"wait_hours": str(form.get("wait_hours") or "").strip()}
                )
        except timing.InvalidWaitPolicy:
            problem = translate(
                locale_of(request), N_("The wait takes a whole number of hours, 1 to 720.")
            )
            return await admin_page(request, problem=problem, status=422)
        await hub.audit.record(
            request, actor=principal.email, action="question_wait_saved",
            target=timing.SETTING_KEY, reason=f"{saved.wait_hours} hours",
        )  # fmt: skip
        return RedirectResponse("/admin/questions", status_code=303)

    async def response_times(request: Request) -> Response:
        principal = require_principal(request)
        locale = locale_of(request)
        if principal.persona not in roles().vendor:
            raise HTTPException(
                403, translate(locale, N_("Program insight is for the vendor's staff."))
            )
        try:
            days = int(request.query_params.get("days", "30"))
        except ValueError:
            days = 0
        if days not in timing.PERIOD_DAYS:
            raise HTTPException(
                400, translate(locale, N_("Choose a period of 30 days, 90 days or 12 months."))
            )
        now = utcnow()
        since = now - timedelta(days=days)
        return templates.TemplateResponse(
            request,
            "questions/times.html",
            {
                "times": await timing.response_times(hub.db, since=since, now=now),
                "days": days,
                "periods": {key: translate(locale, name) for key, name in PERIOD_NAMES.items()},
                "period": format_period(since.date(), now.date(), locale),
            },
            headers=NO_STORE,
        )

    return [
        Route("/admin/questions", admin_get, name="admin_questions"),
        Route("/admin/questions/topics", topic_save, methods=["POST"]),
        Route("/admin/questions/wait", wait_save, methods=["POST"]),
        Route("/program/questions", response_times, name="program_questions"),
    ]
