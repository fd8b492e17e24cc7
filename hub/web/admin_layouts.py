"""Administrators' default layouts per persona and partner segment: ``/admin/layouts``.

An override replaces a persona's built-in default for partners of one type,
tier and region (empty fields match any); the most specific one wins. The
editor is a picker of the widget catalogue: each button (add, move up or
down, remove) posts the whole form and gets it back changed, unsaved, so it
works without JavaScript; "Save layout" checks the list against the widget
registry and writes it to the audit log.
"""

from __future__ import annotations

from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.datastructures import FormData
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
from hub.services.engagement import admin_rules
from hub.web.viewer import locale_of

FIELD_LIMIT = 40
SEGMENT = ("partner_type", "tier", "region")


def _widgets_of(data: FormData) -> list[str]:
    """The list as posted: ``widget`` fields in order, or (older clients) ``widgets`` text."""
    if "widgets" in data:
        text = str(data.get("widgets") or "")
        return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]
    return [str(w).strip() for w in data.getlist("widget") if str(w).strip()][: MAX_WIDGETS * 2]


def _moved(widgets: list[str], op: str, name: str) -> list[str]:
    """``widgets`` after one button: add, up, down or remove ``name``."""
    changed = list(widgets)
    if op == "add" and name not in changed:
        changed.append(name)
    elif name in changed:
        index = changed.index(name)
        if op == "remove":
            del changed[index]
        elif op == "up" and index > 0:
            changed[index - 1], changed[index] = changed[index], changed[index - 1]
        elif op == "down" and index < len(changed) - 1:
            changed[index + 1], changed[index] = changed[index], changed[index + 1]
    return changed


def routes(hub: Hub, templates: Jinja2Blocks, book: PersonaBook) -> list[BaseRoute]:
    async def page(
        request: Request,
        *,
        form: dict[str, str] | None = None,
        widgets: list[str] | None = None,
        problems: dict[str, list[str]] | None = None,
        moved: str = "",
    ) -> Response:
        overrides = await layout_store.all_overrides(hub.db)
        form = form or {"persona": next(iter(book)), "partner_type": "", "tier": "", "region": ""}
        persona = form.get("persona", "")
        catalogue = [
            {
                "widget": widget,
                "personas": [book[p] for p in book if book.allows(p, widget)],
                "allowed": persona in book and book.allows(persona, widget),
            }
            for widget in book.registry.values()
        ]
        context: dict[str, Any] = {
            "overrides": overrides,
            "personas": [book[p] for p in book],
            "registry": book.registry,
            "catalogue": catalogue,
            "segments": await admin_rules.segment_values(hub.db),
            "form": form,
            "widgets": widgets if widgets is not None else [],
            "problems": problems or {},
            "moved": moved,
        }
        return templates.TemplateResponse(
            request, "admin_layouts.html", context, status_code=422 if problems else 200
        )

    async def list_overrides(request: Request) -> Response:
        require_admin(request)
        edit = request.query_params.get("edit", "")
        for override in await layout_store.all_overrides(hub.db) if edit.isdigit() else []:
            if override.id == int(edit) and isinstance(override.widgets, list):
                form = {"persona": override.persona}
                form.update({key: getattr(override, key) for key in SEGMENT})
                return await page(request, form=form, widgets=[str(w) for w in override.widgets])
        return await page(request)

    async def save_override(request: Request) -> Response:
        principal = require_admin(request)
        locale = locale_of(request)
        data = await request.form()
        form = {key: str(data.get(key) or "").strip() for key in ("persona", *SEGMENT)}
        widgets = _widgets_of(data)
        op, _, name = str(data.get("op") or "save").partition(":")
        if op in ("add", "up", "down", "remove"):
            return await page(request, form=form, widgets=_moved(widgets, op, name), moved=name)
        if op == "persona":  # show the catalogue for the persona chosen
            return await page(request, form=form, widgets=widgets)
        problems: dict[str, list[str]] = {}
        if form["persona"] not in book:
            problems["persona"] = [translate(locale, N_("Choose one of the personas listed."))]
        elif not widgets:
            problems["widgets"] = [translate(locale, N_("List at least one widget."))]
        else:
            found = _problems(book, form["persona"], widgets, locale)
            if found:
                problems["widgets"] = found
        if len(widgets) > MAX_WIDGETS:
            problems.setdefault("widgets", []).append(
                translate(locale, N_("Too long: shorten the segment or the list."))
            )
        for key in SEGMENT:
            if len(form[key]) > FIELD_LIMIT:
                problems[key] = [
                    translate(locale, N_("Too long: shorten the segment or the list."))
                ]
        if problems:
            return await page(request, form=form, widgets=widgets, problems=problems)
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
            title = translate(locale, book.registry[name].title)
            problems.append(
                translate(locale, N_("%(name)s is not available to this persona."), name=title)
            )
        elif name in seen:
            title = translate(locale, book.registry[name].title)
            problems.append(translate(locale, N_("%(name)s is listed twice."), name=title))
        seen.add(name)
    return problems
