"""Administrators' default layouts per persona and partner segment: ``/admin/layouts``.

An override replaces a persona's built-in default for partners of one type,
tier and region (empty fields match any); the most specific one wins. Every
change is checked against the widget registry and written to the audit log.
"""

from __future__ import annotations

from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_admin
from hub.i18n import N_, translate
from hub.personas.catalogue import PersonaBook
from hub.personas.layouts import MAX_WIDGETS, Override
from hub.resources import Hub
from hub.services import layouts as layout_store
from hub.web.viewer import locale_of

FIELD_LIMIT = 40


def routes(hub: Hub, templates: Jinja2Blocks, book: PersonaBook) -> list[BaseRoute]:
    async def page(
        request: Request, *, form: dict[str, str] | None = None, problems: list[str] | None = None
    ) -> Response:
        overrides = await layout_store.all_overrides(hub.db)
        context: dict[str, Any] = {
            "overrides": overrides,
            "personas": [book[p] for p in book],
            "registry": book.registry,
            "form": form or {},
            "problems": problems or [],
        }
        return templates.TemplateResponse(
            request, "admin_layouts.html", context, status_code=422 if problems else 200
        )

    async def list_overrides(request: Request) -> Response:
        require_admin(request)
        return await page(request)

    async def save_override(request: Request) -> Response:
        principal = require_admin(request)
        locale = locale_of(request)
        data = await request.form()
        form = {
            key: str(data.get(key) or "").strip()
            for key in ("persona", "partner_type", "tier", "region", "widgets")
        }
        widgets = [
            line.strip() for line in form["widgets"].replace(",", "\n").splitlines() if line.strip()
        ]
        problems: list[str] = []
        if form["persona"] not in book:
            problems.append(translate(locale, N_("Choose one of the personas listed.")))
        elif not widgets:
            problems.append(translate(locale, N_("List at least one widget.")))
        else:
            problems += _problems(book, form["persona"], widgets, locale)
        if len(widgets) > MAX_WIDGETS or any(
            len(form[key]) > FIELD_LIMIT for key in ("partner_type", "tier", "region")
        ):
            problems.append(translate(locale, N_("Too long: shorten the segment or the list.")))
        if problems:
            return await page(request, form=form, problems=problems)
        override = Override(
            0, form["persona"], form["partner_type"], form["tier"], form["region"], 1, widgets
        )
        await layout_store.put_override(hub.db, override, updated_by=principal.email)
        await hub.audit.record(
            request,
            actor=principal.email,
            action="layout_override_saved",
            target=f"{override.persona}/{override.partner_type}/{override.tier}/{override.region}",
        )
        return RedirectResponse("/admin/layouts", status_code=303)

    async def remove_override(request: Request) -> Response:
        principal = require_admin(request)
        override_id = request.path_params["override_id"]
        if not await layout_store.delete_override(hub.db, override_id):
            raise HTTPException(404)
        await hub.audit.record(
            request,
            actor=principal.email,
            action="layout_override_removed",
            target=str(override_id),
        )
        return RedirectResponse("/admin/layouts", status_code=303)

    return [
        Route("/admin/layouts", list_overrides, name="admin_layouts"),
        Route("/admin/layouts", save_override, methods=["POST"]),
        Route("/admin/layouts/{override_id:int}/remove", remove_override, methods=["POST"]),
    ]


def _problems(book: PersonaBook, persona: str, widgets: list[str], locale: str) -> list[str]:
    """What is wrong with ``widgets`` for ``persona``, in the reader's language."""
    problems: list[str] = []
    seen: set[str] = set()
    for name in widgets:
        shown = "".join(c for c in name if c.isalnum() or c in "_-")[:60]
        if name not in book.registry:
            problems.append(
                translate(locale, N_("There is no widget called “%(name)s”."), name=shown)
            )
        elif not book.allows(persona, book.registry[name]):
            problems.append(
                translate(locale, N_("%(name)s is not available to this persona."), name=shown)
            )
        elif name in seen:
            problems.append(translate(locale, N_("%(name)s is listed twice."), name=shown))
        seen.add(name)
    return problems
