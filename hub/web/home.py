"""The persona homepage: the shell with its widgets, layout changes, persona switching.

One URL, one view: an htmx request to a layout change gets the ``layout``
block of ``home.html``; without JavaScript the forms post and redirect back.
Widgets rendered moments ago for the caller are put straight into the page,
the rest as skeletons that load on their own; a page whose every widget was
at hand is kept whole for a moment (``hub.web.page_cache``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from jinja2_fragments.starlette import Jinja2Blocks
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import Principal, principal_of, require_principal
from hub.i18n import N_, translate
from hub.middleware.csrf import csrf_token
from hub.middleware.sessions import session_of
from hub.personas.catalogue import PersonaBook
from hub.personas.layouts import MAX_WIDGETS, Layout, LayoutError, edit, resolve, restored
from hub.resources import Hub
from hub.services import layouts as layout_store
from hub.web.page_cache import Epochs, now
from hub.web.viewer import Viewer, load_viewer, locale_of, refuse_foreign_ids
from hub.web.widgets import WidgetRenderer
from hub.widgets.connector_words import page_notices

MAX_FIELD = 80


async def current_layout(hub: Hub, book: PersonaBook, viewer: Viewer) -> Layout:
    principal = viewer.principal
    overrides, saved = await layout_store.layout_records(hub.db, principal.id, principal.persona)
    return resolve(book, principal.persona, viewer.segment, overrides, saved)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def routes(
    hub: Hub, templates: Jinja2Blocks, book: PersonaBook, renderer: WidgetRenderer
) -> list[BaseRoute]:
    """The homepage: the page, its layout changes and the persona switch."""
    pages = renderer.pages
    no_store = {"Cache-Control": "private, no-store"}

    def page_context(
        viewer: Viewer,
        layout: Layout,
        frames: dict[str, str],
        locale: str,
        *,
        editing: bool = False,
        focus: str = "",
        said: str = "",
        undo: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        persona = book[layout.persona]
        on_page = [book.registry[name] for name in layout.widgets]
        addable = [w for w in book.available(persona.id) if w.name not in layout.widgets]
        portals = hub.backends.portals()
        landing = next((p for p in portals if p.kind.value == persona.landing), None)
        return {
            "persona": persona,
            "personas": [book[role] for role in viewer.principal.roles if role in book],
            "layout": layout,
            "widgets": on_page,
            # Widgets rendered moments ago or just now go straight in; the rest load on their own.
            "frames": {name: Markup(html) for name, html in frames.items()},  # noqa: S704
            "addable": addable,
            "landing": landing,
            "editing": editing,
            "focus": focus,
            "said": said,
            "undo": undo,
            "notices": page_notices(hub.backends, locale, datetime.now(UTC)),
        }

    async def signed_in_viewer(request: Request) -> tuple[Principal, Viewer]:
        principal = require_principal(request)
        if principal.persona not in book:
            raise HTTPException(403)
        return principal, await load_viewer(hub.db, principal, locale_of(request))

    async def home(request: Request) -> Response:
        principal = principal_of(request)
        if principal is None:
            return RedirectResponse(f"/auth/login?next={quote('/')}", status_code=303)
        if not principal.roles or principal.persona not in book:
            return templates.TemplateResponse(request, "no_access.html", {}, status_code=403)
        refuse_foreign_ids(request, principal)
        locale = locale_of(request)
        viewer = await load_viewer(hub.db, principal, locale)
        token = csrf_token(request)
        kept, epochs = await pages.page(principal, locale)
        if kept is not None:
            return HTMLResponse(pages.fill(kept.html, token), headers=no_store)
        layout = await current_layout(hub, book, viewer)
        frames, expires = await assembled(viewer, layout, locale, epochs)
        context = page_context(viewer, layout, frames, locale)
        html = render(request, context)
        whole = expires is not None and not layout.fell_back
        # A page naming a backend that is down is not kept: its notice must go when it is back.
        if whole and expires is not None and not context["notices"]:
            await pages.keep_page(
                principal, locale, html.replace(token, pages.slot), epochs, expires
            )
        return HTMLResponse(pages.fill(html, token), headers=no_store)

    async def assembled(
        viewer: Viewer, layout: Layout, locale: str, epochs: Epochs
    ) -> tuple[dict[str, str], float | None]:
        """The page's widget frames at hand: kept ones, and those rendered now from warm data.

        The second value is when the first of them goes stale if every widget is there in
        a state that may be kept (the page may then be kept until then), else ``None``.
        """
        principal = viewer.principal
        kept = await pages.frames(principal, locale, list(layout.widgets), epochs)
        left = [book.registry[name] for name in layout.widgets if name not in kept]
        drawn = await renderer.inline(viewer, left, locale, epochs)
        frames = {name: frame.html for name, frame in kept.items()}
        frames |= {name: rendered.html for name, rendered in drawn.items()}
        until = [frame.expires for frame in kept.values()] + [
            now() + widget.fresh_for
            for widget in left
            if widget.name in drawn and drawn[widget.name].keepable and widget.fresh_for
        ]
        whole = bool(layout.widgets) and len(until) == len(layout.widgets)
        return frames, (min(until) if whole else None)

    def render(request: Request, context: dict[str, Any], block: str | None = None) -> str:
        response = templates.TemplateResponse(request, "home.html", context, block_name=block)
        return bytes(response.body).decode()

    async def layout_block(
        request: Request,
        viewer: Viewer,
        epochs: Epochs,
        *,
        focus: str,
        said: str,
        undo: tuple[str, ...] = (),
    ) -> Response:
        """The page's ``layout`` block after a change, its widgets' kept frames in place."""
        layout = await current_layout(hub, book, viewer)
        frames, _ = await assembled(viewer, layout, locale_of(request), epochs)
        locale = locale_of(request)
        context = page_context(
            viewer, layout, frames, locale, editing=True, focus=focus, said=said, undo=undo
        )
        html = render(request, context, "layout")
        return HTMLResponse(pages.fill(html, csrf_token(request)), headers=no_store)

    async def change_layout(request: Request) -> Response:
        principal, viewer = await signed_in_viewer(request)
        form = await request.form()
        action = str(form.get("action") or "")[:MAX_FIELD]
        name = str(form.get("widget") or "")[:MAX_FIELD]
        locale = locale_of(request)
        # Read before the change: the kept widget frames are still right after a layout edit.
        epochs = await pages.epochs(principal)
        layout = await current_layout(hub, book, viewer)
        undo: tuple[str, ...] = ()
        try:
            if action == "reset":
                await layout_store.reset_layout(hub.db, principal.id, principal.persona)
                said = translate(locale, N_("Your page is back to its default layout."))
                # Undo puts back what the person had, if it was their own.
                undo = layout.widgets if layout.origin == "own" else ()
            elif action == "restore":
                names = [str(n)[:MAX_FIELD] for n in form.getlist("widgets")][: MAX_WIDGETS + 1]
                widgets = restored(book, principal.persona, names)
                await layout_store.save_layout(hub.db, principal.id, principal.persona, widgets)
                said = translate(locale, N_("Your own layout is back."))
            else:
                widgets = edit(book, layout, action, name)
                await layout_store.save_layout(hub.db, principal.id, principal.persona, widgets)
                said = _said(locale, action, _title(book, name, locale))
        except LayoutError as exc:
            message = translate(locale, exc.message, **exc.variables)
            if _is_htmx(request):
                return PlainTextResponse(message, status_code=exc.status)
            raise HTTPException(exc.status, message) from None
        if not _is_htmx(request):
            return RedirectResponse("/", status_code=303)
        return await layout_block(
            request, viewer, epochs, focus=f"{action}:{name}", said=said, undo=undo
        )

    async def switch_persona(request: Request) -> Response:
        principal = require_principal(request)
        form = await request.form()
        wanted = str(form.get("persona") or "")[:MAX_FIELD]
        locale = locale_of(request)
        if wanted not in principal.roles or wanted not in book:
            raise HTTPException(403, translate(locale, N_("You do not have that role.")))
        # Still who the session says, and the role is still theirs.
        await load_viewer(hub.db, replace(principal, persona=wanted), locale)
        session = session_of(request)
        session["user"] = {**session["user"], "persona": wanted}
        return RedirectResponse("/", status_code=303)

    return [
        Route("/", home, name="home"),
        Route("/home/layout", change_layout, methods=["POST"], name="home_layout"),
        Route("/home/persona", switch_persona, methods=["POST"], name="home_persona"),
    ]


def _title(book: PersonaBook, name: str, locale: str) -> str:
    widget = book.registry.get(name)
    return translate(locale, widget.title) if widget else name


def _said(locale: str, action: str, title: str) -> str:
    messages = {
        "add": N_("%(title)s added at the end of your page."),
        "remove": N_("%(title)s removed from your page."),
        "up": N_("%(title)s moved up."),
        "down": N_("%(title)s moved down."),
    }
    return translate(locale, messages[action], title=title)
