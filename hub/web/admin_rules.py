"""``/admin/rules``: the list of engagement rules, points per activity, the JSON export.

Each suggestion and badge is edited in its own form (``hub/web/admin_rule_editors.py``);
this page lists them compactly. Every change is admin-only, CSRF-checked (by the
middleware) and written to the audit log.
"""

from __future__ import annotations

import json
from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_admin
from hub.i18n import translate
from hub.personas.catalogue import PersonaBook
from hub.resources import Hub
from hub.services.engagement import admin_rules
from hub.services.engagement.errors import EngagementError
from hub.web import admin_rule_editors
from hub.web.rule_forms import NOT_A_NUMBER, form_text
from hub.web.viewer import locale_of


def routes(hub: Hub, templates: Jinja2Blocks, book: PersonaBook) -> list[BaseRoute]:
    async def page(
        request: Request,
        *,
        problems: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
    ) -> Response:
        rules = await admin_rules.overview(hub.db)
        actions = []
        for rule in rules.actions:
            definition: dict[str, Any] = json.loads(rule.definition)
            actions.append((rule, definition))
        context = {
            "rules": rules,
            "actions": actions,
            "problems": problems or {},
            "typed": typed or {},
        }
        return templates.TemplateResponse(
            request, "admin_rules.html", context, status_code=422 if problems else 200
        )

    async def list_rules(request: Request) -> Response:
        require_admin(request)
        return await page(request)

    async def save_points(request: Request) -> Response:
        principal = require_admin(request)
        locale = locale_of(request)
        form = await request.form()
        kind, typed = form_text(form, "event_kind"), form_text(form, "points")
        try:
            points = int(typed or "0")
        except ValueError:
            return await page(
                request, problems={kind: translate(locale, NOT_A_NUMBER)}, typed={kind: typed}
            )
        try:
            await admin_rules.save_points(hub.db, kind, points)
        except EngagementError as exc:
            return await page(
                request, problems={kind or "points": exc.message}, typed={kind: typed}
            )
        await hub.audit.record(
            request, actor=principal.email, action="points_rule_saved", target=kind
        )
        return RedirectResponse(f"/admin/rules#points-{kind}", status_code=303)

    async def export(request: Request) -> Response:
        require_admin(request)
        rules = await admin_rules.overview(hub.db)
        body = {
            "actions": {
                rule.slug: {"active": rule.active, "definition": json.loads(rule.definition)}
                for rule in rules.actions
            },
            "badges": {
                rule.slug: {
                    "name": rule.name,
                    "description": rule.description,
                    "points": rule.points,
                    "active": rule.active,
                    "definition": json.loads(rule.definition),
                }
                for rule in rules.badges
            },
            "points": {kind: points for kind, points, _ in rules.points},
        }
        return Response(
            json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="engagement-rules.json"'},
        )

    return [
        Route("/admin/rules", list_rules, name="admin_rules"),
        Route("/admin/rules/points", save_points, methods=["POST"]),
        Route("/admin/rules/export.json", export),
        *admin_rule_editors.routes(hub, templates, book),
    ]
