"""One widget for the signed-in user: ``GET /widgets/<name>``, an htmx fragment or a page.

Every call re-checks the caller's persona and partner org; the subject the
widget reads about comes from the session and the database, never the URL.
The widget runs under its own timeout; a failure renders its error state
(the last good body with its age, or a clear notice) with status 200, so
htmx swaps it in and the rest of the page carries on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from hub import per_page
from hub.auth.principal import Principal, require_principal
from hub.connectors.backends import Portal
from hub.connectors.base import BackendError
from hub.i18n import N_, translate
from hub.middleware.csrf import csrf_token
from hub.personas.catalogue import PersonaBook
from hub.resources import Hub
from hub.services.homepage import HomepageServices
from hub.web.page_cache import Epochs, PageCache
from hub.web.viewer import Viewer, load_viewer, locale_of, refuse_foreign_ids
from hub.widgets.base import Setting, Widget, WidgetContext, WidgetView
from hub.widgets.connector_words import page_notices

log = logging.getLogger("hub.widgets")

LAST_GOOD_TTL = 7 * 86_400
# A key, its value and its time to live, as `KeyValueStore.set_many` takes them.
StoreEntry = tuple[str, str, float | None]
# A good value already kept is written again at most this often (seconds).
REMEMBER_EVERY = 60.0
# How long a caller checked against the database stays checked (seconds): a
# page's dozen widget calls then cost one lookup, and a change of org or role
# still takes effect within moments.
VIEWER_TTL = 5.0
MEMO_LIMIT = 50_000
# How long ``GET /`` waits for the widgets it renders into itself (seconds); one that
# takes longer is left to load on its own, so a slow database never holds the page.
INLINE_BUDGET = 5.0


@dataclass(frozen=True)
class Rendered:
    """A widget's fragment and the state it ended in (ok, stale, empty, failed).

    ``html`` carries the page cache's slot where the session's CSRF token goes
    (``WidgetRenderer.html_for`` fills it), so it can be kept and shown again.
    """

    html: str
    state: str

    @property
    def keepable(self) -> bool:
        return self.state in {"ok", "empty"}


def portal_for(hub: Hub, widget: Widget) -> Portal | None:
    if widget.source is None:
        return None
    return next((p for p in hub.backends.portals() if p.kind == widget.source), None)


def _last_good_key(viewer: Viewer, widget: Widget, locale: str) -> str:
    org = viewer.principal.partner_org_id or 0
    return f"widget-last:{viewer.principal.id}:{org}:{widget.name}:{locale}"


class WidgetRenderer:
    """Runs a widget's loader for a viewer and renders its frame."""

    def __init__(
        self, hub: Hub, templates: Jinja2Blocks, pages: PageCache, book: PersonaBook
    ) -> None:
        self.hub = hub
        self.book = book
        self.templates = templates
        self.services = HomepageServices(hub.db, hub.store, hub.backends)
        self.pages = pages
        self._viewers: dict[Principal, tuple[float, Viewer]] = {}
        self._remembered: dict[str, tuple[float, str]] = {}

    async def viewer(self, principal: Principal, locale: str) -> Viewer:
        """The caller re-checked against the database, at most every ``VIEWER_TTL`` seconds.

        Where PostgreSQL reports access changes (``hub.db.callers``) every call
        checks, from memory, and a change counts at once instead.
        """
        if self.hub.db.callers.listening:
            return await load_viewer(self.hub.db, principal, locale)
        now = time.monotonic()
        cached = self._viewers.get(principal)
        if cached is not None and now - cached[0] < VIEWER_TTL:
            return cached[1]
        viewer = await load_viewer(self.hub.db, principal, locale)
        if len(self._viewers) > MEMO_LIMIT:
            self._viewers.clear()
        self._viewers[principal] = (now, viewer)
        return viewer

    def context(
        self,
        viewer: Viewer,
        widget: Widget,
        locale: str,
        settings: Mapping[str, Any] | None = None,
    ) -> WidgetContext:
        return WidgetContext(
            principal=viewer.principal,
            persona=self.book[viewer.principal.persona],
            org=viewer.org,
            partner=viewer.partner,
            person=viewer.person,
            backends=self.hub.backends,
            services=self.services,
            locale=locale,
            now=datetime.now(UTC),
            settings={**widget.default_settings(), **(settings or {})},
        )

    async def render(
        self,
        viewer: Viewer,
        widget: Widget,
        locale: str,
        *,
        settings: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        remember: bool = True,
        last_good: list[StoreEntry] | None = None,
    ) -> Rendered:
        """The widget's frame; ``extra`` goes to its body (a form's notice or error).

        ``remember=False`` keeps a one-off body (one carrying a form's outcome) from
        becoming the last good value shown when the widget later fails. With
        ``last_good``, a body to remember is added to it for the caller to write with
        others in one round trip, instead of written at once.
        """
        context = self.context(viewer, widget, locale, settings)
        frame: dict[str, Any] = {
            "widget": widget,
            "locale": locale,
            "now": context.now,
            "portal": portal_for(self.hub, widget),
        }
        try:
            view = await asyncio.wait_for(widget.loader(context), widget.timeout)
            body = "" if view.empty else self._body(widget, view, context, extra or {})
        except PermissionError:
            raise HTTPException(403) from None
        except per_page.NotWarm:
            raise  # nothing failed: the page leaves this widget to load on its own
        except (TimeoutError, BackendError) as exc:
            log.warning("widget failed", extra={"widget": widget.name, "error": str(exc)})
            return await self._failed(viewer, widget, locale, frame)
        except Exception:
            log.exception("widget crashed", extra={"widget": widget.name})
            return await self._failed(viewer, widget, locale, frame)
        if view.empty and widget.slot:
            return Rendered("", "empty")
        if body and remember:
            entry = self._last_good(viewer, widget, locale, body, view)
            if entry is not None and last_good is not None:
                last_good.append(entry)
            elif entry is not None:
                try:
                    await self.hub.store.set(*entry)
                except Exception:
                    log.warning("could not keep the widget's last good value", exc_info=True)
        # Figures a backend could not refresh (or left out) are never passed off as fresh;
        # figures past their time whose fresh copy is on its way say their age, and the
        # frame asks for the widget again in a moment (not kept meanwhile).
        degraded = (view.stale and not view.refreshing) or bool(view.errors)
        state = (
            "empty"
            if view.empty
            else ("stale" if degraded else ("refreshing" if view.refreshing else "ok"))
        )
        html = self._frame(
            {**frame, "view": view, "state": state, "body": Markup(body)}  # noqa: S704 - our template's output
        )
        return Rendered(html, state)

    async def inline(
        self, viewer: Viewer, widgets: Sequence[Widget], locale: str, epochs: Epochs
    ) -> dict[str, Rendered]:
        """The widgets among ``widgets`` whose data is at hand, rendered for the page itself.

        They render at once in one :func:`~hub.per_page.page_scope`: each connector read
        and shared service read is made once for all of them, and only from the cache.
        A widget that would wait for a backend, or is not done within ``INLINE_BUDGET``,
        is left out and loads on its own. Good renderings are kept, as the widget
        endpoint keeps them, in one store round trip.
        """
        if not widgets or not self.hub.backends.keeps_answers:
            return {}
        last_good: list[StoreEntry] = []
        with per_page.page_scope(cache_only=True):
            tasks = {
                w.name: asyncio.ensure_future(self.render(viewer, w, locale, last_good=last_good))
                for w in widgets
            }
        done, pending = await asyncio.wait(tasks.values(), timeout=INLINE_BUDGET)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        drawn = {
            name: task.result()
            for name, task in tasks.items()
            if task in done and not task.cancelled() and task.exception() is None
        }
        keep = [
            (widget.name, drawn[widget.name].html, widget.fresh_for)
            for widget in widgets
            if widget.name in drawn and drawn[widget.name].keepable and widget.fresh_for
        ]
        if keep or last_good:  # the frames and the last good bodies: one round trip
            await self.pages.keep_frames(viewer.principal, locale, keep, epochs, also=last_good)
        return drawn

    def _body(
        self, widget: Widget, view: WidgetView, context: WidgetContext, extra: Mapping[str, Any]
    ) -> str:
        template = self.templates.env.get_template(widget.template)
        return template.render(
            {
                **extra,
                "csrf": self.pages.slot,
                "figures": view.figures,
                "view": view,
                "widget": widget,
                "locale": context.locale,
                "now": context.now,
            }
        )

    def _frame(self, values: dict[str, Any]) -> str:
        return self.templates.env.get_template("widgets/_frame.html").render(values)

    def html_for(self, rendered: Rendered, request: Request) -> str:
        """The fragment as this caller's browser gets it: their CSRF token in its forms."""
        return self.pages.fill(rendered.html, csrf_token(request))

    def notices_oob(self, locale: str) -> str:
        """The page's backend notices as of now, for htmx to swap in out of band."""
        notices = page_notices(self.hub.backends, locale, datetime.now(UTC))
        template = self.templates.env.get_template("_backend_notices.html")
        return template.render({"notices": notices, "oob": True, "locale": locale})

    def _last_good(
        self, viewer: Viewer, widget: Widget, locale: str, body: str, view: WidgetView
    ) -> StoreEntry | None:
        """The store entry keeping ``body`` as the widget's last good value; ``None`` when
        the same figures were kept lately."""
        fetched_at = (view.fetched_at or datetime.now(UTC)).isoformat()
        key = _last_good_key(viewer, widget, locale)
        now = time.monotonic()
        kept = self._remembered.get(key)
        if kept is not None and kept[1] == fetched_at and now - kept[0] < REMEMBER_EVERY:
            return None
        if len(self._remembered) > MEMO_LIMIT:
            self._remembered.clear()
        self._remembered[key] = (now, fetched_at)
        return key, json.dumps({"html": body, "fetched_at": fetched_at}), LAST_GOOD_TTL

    async def _failed(
        self, viewer: Viewer, widget: Widget, locale: str, frame: dict[str, Any]
    ) -> Rendered:
        last: dict[str, Any] | None = None
        try:
            raw = await self.hub.store.get(_last_good_key(viewer, widget, locale))
            last = json.loads(raw) if raw else None
        except Exception:  # noqa: BLE001 - without a last good value we show the notice
            last = None
        if last:
            frame |= {
                "state": "stale",
                "body": Markup(str(last["html"])),  # noqa: S704 - our own rendered output
                "view": WidgetView(
                    figures={}, fetched_at=datetime.fromisoformat(last["fetched_at"]), stale=True
                ),
                "failed": True,
            }
            return Rendered(self._frame(frame), "stale")
        frame |= {"state": "failed", "body": Markup(""), "view": None, "failed": True}
        return Rendered(self._frame(frame), "failed")


def _setting_value(setting: Setting, raw: str) -> int | str | bool | None:
    if setting.choices:
        return raw if raw in setting.choices else None
    if isinstance(setting.default, bool):
        return {"1": True, "true": True, "0": False, "false": False}.get(raw.lower())
    if isinstance(setting.default, int):
        try:
            number = int(raw)
        except ValueError:
            return None
        low = setting.minimum if setting.minimum is not None else number
        high = setting.maximum if setting.maximum is not None else number
        return number if low <= number <= high else None
    return raw[:200]


def settings_from_values(values: Mapping[str, str], widget: Widget) -> dict[str, Any] | None:
    """The widget's declared settings found in ``values``; ``None`` if one is not allowed."""
    chosen: dict[str, Any] = {}
    for setting in widget.settings:
        raw = values.get(setting.name)
        if raw is None:
            continue
        value = _setting_value(setting, raw)
        if value is None:
            return None
        chosen[setting.name] = value
    return chosen


def settings_from(request: Request, widget: Widget, locale: str) -> dict[str, Any]:
    """The widget's settings given in the query; 400 for a value it does not allow."""
    chosen = settings_from_values(request.query_params, widget)
    if chosen is None:
        raise HTTPException(
            400, translate(locale, N_("That choice is not available for this widget."))
        )
    return chosen


def routes(
    hub: Hub, templates: Jinja2Blocks, book: PersonaBook, renderer: WidgetRenderer
) -> list[BaseRoute]:
    async def widget_endpoint(request: Request) -> Response:
        principal = require_principal(request)
        locale = locale_of(request)
        widget = book.registry.get(request.path_params["name"])
        if widget is None:
            raise HTTPException(404, translate(locale, N_("There is no such widget.")))
        refuse_foreign_ids(request, principal)
        if not book.allows(principal.persona, widget):
            raise HTTPException(
                403, translate(locale, N_("That widget is not available on this homepage."))
            )
        settings = settings_from(request, widget, locale)
        viewer = await renderer.viewer(principal, locale)
        pages = renderer.pages
        epochs = await pages.epochs(principal)
        rendered = await renderer.render(viewer, widget, locale, settings=settings)
        if rendered.keepable and not settings and widget.fresh_for:
            # The homepage shows this copy again instead of asking for the widget.
            await pages.keep_frame(
                principal, locale, widget.name, rendered.html, epochs, widget.fresh_for
            )
        html = renderer.html_for(rendered, request)
        headers = {"Cache-Control": "private, no-store", "Vary": "HX-Request"}
        if request.headers.get("hx-request") == "true":
            # An empty slot stays empty, so its shell hides itself.
            notices = renderer.notices_oob(locale) if html else ""
            return HTMLResponse(html + notices, headers=headers)
        return templates.TemplateResponse(
            request,
            "widget_page.html",
            {"widget": widget, "fragment": Markup(html)},  # noqa: S704
            headers=headers,
        )

    return [Route("/widgets/{name:str}", widget_endpoint, name="widget")]
