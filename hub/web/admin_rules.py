"""``/admin/rules``: the engagement rules administrators edit, and how each nudge does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_admin
from hub.resources import Hub
from hub.services.engagement import admin_rules
from hub.services.engagement.errors import EngagementError

MAX_FIELD = 20_000


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    if not isinstance(value, str) or len(value) > MAX_FIELD:
        raise HTTPException(422, f"{name}: expected text of at most {MAX_FIELD} characters.")
    return value


def _whole(form: FormData, name: str) -> int:
    try:
        return int(_text(form, name) or "0")
    except ValueError:
        raise HTTPException(422, f"{name}: expected a whole number.") from None


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        require_admin(request)
        return templates.TemplateResponse(
            request, "admin_rules.html", {"rules": await admin_rules.overview(hub.db)}
        )

    def saving(
        kind: str, save: Callable[[FormData], Awaitable[str]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            principal = require_admin(request)
            form = await request.form()
            try:
                target = await save(form)
            except EngagementError as exc:
                raise HTTPException(422, exc.message) from None
            await hub.audit.record(
                request, actor=principal.email, action=f"{kind}_rule_saved", target=target
            )
            return RedirectResponse(f"/admin/rules#{kind}-{target}", status_code=303)

        return endpoint

    async def save_action(form: FormData) -> str:
        slug = _text(form, "slug")
        await admin_rules.save_action(
            hub.db, slug, _text(form, "definition"), active=form.get("active") == "on"
        )
        return slug

    async def save_badge(form: FormData) -> str:
        slug = _text(form, "slug")
        await admin_rules.save_badge(
            hub.db,
            slug=slug,
            name=_text(form, "name"),
            description=_text(form, "description"),
            points=_whole(form, "points"),
            definition=_text(form, "definition"),
            active=form.get("active") == "on",
        )
        return slug

    async def save_points(form: FormData) -> str:
        kind = _text(form, "event_kind")
        await admin_rules.save_points(hub.db, kind, _whole(form, "points"))
        return kind

    return [
        Route("/admin/rules", page, name="admin_rules"),
        Route("/admin/rules/actions", saving("action", save_action), methods=["POST"]),
        Route("/admin/rules/badges", saving("badge", save_badge), methods=["POST"]),
        Route("/admin/rules/points", saving("points", save_points), methods=["POST"]),
    ]
