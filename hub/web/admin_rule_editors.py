"""One form per suggestion and badge: edit, add, preview, delete.

``POST /admin/rules/actions`` (and ``…/badges``) is one endpoint for the form and for
power users' JSON (a ``definition`` field); a mistake answers 422 with the form as
typed and each problem next to its field, never a bare error page. ``intent=preview``
saves nothing and shows whom the rule would reach now; an htmx request gets only the
editor block back.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_admin
from hub.connectors.records import Kind
from hub.db import Database
from hub.i18n import N_, translate
from hub.personas.catalogue import PersonaBook
from hub.resources import Hub
from hub.services.engagement import admin_rules
from hub.services.engagement.errors import EngagementError
from hub.web.action_form import ACTION_FIELDS, FACTS, OPERATOR_LABELS, OPERATORS, ActionForm
from hub.web.badge_form import BADGE_KIND_LABELS, BADGE_MODELS, BadgeForm
from hub.web.rule_forms import (
    KEY_TAKEN,
    WRITTEN_LANGUAGES,
    engine_problems,
    form_text,
    readable,
)
from hub.web.viewer import locale_of

BADGE_EARNED = N_("People have earned this badge, so it stays: switch it off instead.")


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _translated(request: Request, problems: Mapping[str, str]) -> dict[str, str]:
    locale = locale_of(request)
    return {key: readable(locale, message) for key, message in problems.items()}


def routes(hub: Hub, templates: Jinja2Blocks, book: PersonaBook) -> list[BaseRoute]:
    personas = [book[p] for p in book]

    async def action_page(
        request: Request,
        form: ActionForm,
        *,
        problems: Mapping[str, str] | None = None,
        preview: admin_rules.ActionPreview | None = None,
        json_text: str | None = None,
    ) -> Response:
        rules = await admin_rules.overview(hub.db)
        segments = await admin_rules.segment_values(hub.db)
        for name, values in segments.items():
            values.extend(v for v in form.audience.get(name, []) if v not in values)
        facts = list(FACTS) + sorted({row.fact for row in form.rows} - set(FACTS))
        links = sorted(
            {json.loads(rule.definition).get("link", "") for rule in rules.actions}
            | {f"/go/{kind.value}/" for kind in Kind}
        )
        context: dict[str, Any] = {
            "form": form,
            "fields": ACTION_FIELDS,
            "problems": _translated(request, problems or {}),
            "personas": personas,
            "segments": segments,
            "facts": facts,
            "fact_hints": ", ".join("{" + fact + "}" for fact in FACTS),
            "persona_titles": {p.id: p.title for p in personas},
            "operators": [(op, OPERATOR_LABELS[op]) for op in OPERATORS],
            "links": [link for link in links if link],
            "preview": preview,
            "written_languages": WRITTEN_LANGUAGES,
            "json_text": json_text
            if json_text is not None
            else json.dumps(form.definition()[0], indent=2, ensure_ascii=False, sort_keys=True),
        }
        status = 422 if problems else 200
        block = "editor" if _htmx(request) else None
        response = templates.TemplateResponse(
            request, "admin_rule_action.html", context, status_code=status, block_name=block
        )
        if problems:
            response.headers["X-Widget"] = "rule_editor"  # hub.js swaps this 4xx in
        return response

    async def new_action(request: Request) -> Response:
        require_admin(request)
        return await action_page(request, ActionForm.blank())

    async def edit_action(request: Request) -> Response:
        require_admin(request)
        slug = request.path_params["slug"]
        found = await admin_rules.action_rule(hub.db, slug)
        if found is None:
            raise HTTPException(404)
        return await action_page(
            request, ActionForm.of(slug, found.definition, active=found.active, texts=found.texts)
        )

    async def save_action(request: Request) -> Response:
        principal = require_admin(request)
        posted = await request.form()
        if "definition" in posted:  # power users' JSON
            return await save_action_json(request, principal.email, posted)
        form = ActionForm.read(posted)
        definition, problems = form.definition()
        if slug_problem := form.problem_for_slug():
            problems["slug"] = slug_problem
        elif form.new and await admin_rules.action_rule(hub.db, form.slug) is not None:
            problems["slug"] = KEY_TAKEN
        if problems:
            return await action_page(request, form, problems=problems)
        if posted.get("intent") == "preview":
            try:
                preview = await admin_rules.preview_action(hub.db, form.slug, definition, set(book))
            except EngagementError as exc:
                return await action_page(request, form, problems=engine_problems(exc))
            return await action_page(request, form, preview=preview)
        try:
            await admin_rules.save_action_definition(
                hub.db, form.slug, definition, active=form.active, texts=form.texts
            )
        except EngagementError as exc:
            return await action_page(request, form, problems=engine_problems(exc))
        await hub.audit.record(
            request, actor=principal.email, action="action_rule_saved", target=form.slug
        )
        return RedirectResponse(f"/admin/rules#action-{form.slug}", status_code=303)

    async def save_action_json(request: Request, actor: str, posted: Any) -> Response:
        slug, text = form_text(posted, "slug").strip(), form_text(posted, "definition")
        found = await admin_rules.action_rule(hub.db, slug)
        form = (
            ActionForm.of(slug, found.definition, active=posted.get("active") == "on")
            if found
            else ActionForm(slug=slug, new=True)
        )
        try:
            await admin_rules.save_action(hub.db, slug, text, active=posted.get("active") == "on")
        except EngagementError as exc:
            return await action_page(
                request, form, problems={"definition": exc.message}, json_text=text
            )
        await hub.audit.record(request, actor=actor, action="action_rule_saved", target=slug)
        return RedirectResponse(f"/admin/rules#action-{slug}", status_code=303)

    async def confirmed_delete(
        request: Request,
        kind: str,
        title_of: Callable[[str], Awaitable[str | None]],
        remove: Callable[[Database, str], Awaitable[bool]],
    ) -> Response:
        """Delete a rule of ``kind`` after the admin confirmed it; a refusal is said on the page."""
        principal = require_admin(request)
        slug = request.path_params["slug"]
        title = await title_of(slug)
        if title is None:
            raise HTTPException(404)
        posted = await request.form()
        context: dict[str, Any] = {"kind": kind, "slug": slug, "title": title}
        if posted.get("confirm") != "yes":
            return templates.TemplateResponse(request, "admin_rule_delete.html", context)
        try:
            await remove(hub.db, slug)
        except EngagementError as exc:
            context["problem"] = translate(locale_of(request), BADGE_EARNED)
            return templates.TemplateResponse(
                request, "admin_rule_delete.html", context, status_code=exc.http_status
            )
        action = {"actions": "action_rule_deleted", "badges": "badge_rule_deleted"}[kind]
        await hub.audit.record(request, actor=principal.email, action=action, target=slug)
        return RedirectResponse(f"/admin/rules#{kind}-title", status_code=303)

    async def action_title(slug: str) -> str | None:
        found = await admin_rules.action_rule(hub.db, slug)
        return str(found.definition.get("title", slug)) if found is not None else None

    async def badge_title(slug: str) -> str | None:
        rule = await admin_rules.badge_rule(hub.db, slug)
        return rule.name if rule is not None else None

    async def delete_action(request: Request) -> Response:
        return await confirmed_delete(request, "actions", action_title, admin_rules.delete_action)

    async def badge_page(
        request: Request,
        form: BadgeForm,
        *,
        problems: Mapping[str, str] | None = None,
        json_text: str | None = None,
    ) -> Response:
        context: dict[str, Any] = {
            "form": form,
            "problems": _translated(request, problems or {}),
            "kinds": [(kind, BADGE_KIND_LABELS[kind]) for kind in BADGE_MODELS],
            "written_languages": WRITTEN_LANGUAGES,
            "json_text": json_text
            if json_text is not None
            else json.dumps(form.definition()[0], indent=2, ensure_ascii=False, sort_keys=True),
        }
        return templates.TemplateResponse(
            request,
            "admin_rule_badge.html",
            context,
            status_code=422 if problems else 200,
        )

    async def new_badge(request: Request) -> Response:
        require_admin(request)
        return await badge_page(request, BadgeForm())

    async def edit_badge(request: Request) -> Response:
        require_admin(request)
        rule = await admin_rules.badge_rule(hub.db, request.path_params["slug"])
        if rule is None:
            raise HTTPException(404)
        form = BadgeForm.of(
            rule.slug,
            rule.name,
            rule.description,
            rule.points,
            json.loads(rule.definition),
            active=rule.active,
            texts=rule.texts,
        )
        return await badge_page(request, form)

    async def save_badge(request: Request) -> Response:
        principal = require_admin(request)
        posted = await request.form()
        if "definition" in posted and "kind" not in posted:  # power users' JSON
            form = BadgeForm(
                slug=form_text(posted, "slug").strip(),
                new=False,
                name=form_text(posted, "name"),
                description=form_text(posted, "description"),
                points=form_text(posted, "points"),
                active=posted.get("active") == "on",
            )
            text = form_text(posted, "definition")
            try:
                points = int(form.points or "0")
                await admin_rules.save_badge(
                    hub.db,
                    slug=form.slug,
                    name=form.name,
                    description=form.description,
                    points=points,
                    definition=text,
                    active=form.active,
                )
            except ValueError as exc:  # EngagementError is one
                message = exc.message if isinstance(exc, EngagementError) else str(exc)
                return await badge_page(
                    request, form, problems={"definition": message}, json_text=text
                )
        else:
            form = BadgeForm.read(posted)
            criteria, points, problems = form.definition()
            if slug_problem := ActionForm(slug=form.slug, new=form.new).problem_for_slug():
                problems["slug"] = slug_problem
            elif form.new and await admin_rules.badge_rule(hub.db, form.slug) is not None:
                problems["slug"] = KEY_TAKEN
            if posted.get("intent") == "kind":
                return await badge_page(request, form)  # show the chosen kind's fields
            if problems:
                return await badge_page(request, form, problems=problems)
            try:
                await admin_rules.save_badge_definition(
                    hub.db,
                    slug=form.slug,
                    name=form.name,
                    description=form.description,
                    points=points,
                    definition=criteria,
                    active=form.active,
                    texts=form.texts,
                )
            except EngagementError as exc:
                return await badge_page(request, form, problems=engine_problems(exc))
        await hub.audit.record(
            request, actor=principal.email, action="badge_rule_saved", target=form.slug
        )
        return RedirectResponse(f"/admin/rules#badge-{form.slug}", status_code=303)

    async def delete_badge(request: Request) -> Response:
        # Only a badge can be refused (someone earned it): BADGE_EARNED says so.
        return await confirmed_delete(request, "badges", badge_title, admin_rules.delete_badge)

    return [
        Route("/admin/rules/actions", save_action, methods=["POST"]),
        Route("/admin/rules/actions/new", new_action),
        Route("/admin/rules/actions/{slug}", edit_action),
        Route("/admin/rules/actions/{slug}/delete", delete_action, methods=["POST"]),
        Route("/admin/rules/badges", save_badge, methods=["POST"]),
        Route("/admin/rules/badges/new", new_badge),
        Route("/admin/rules/badges/{slug}", edit_badge),
        Route("/admin/rules/badges/{slug}/delete", delete_badge, methods=["POST"]),
    ]
