"""The content library's pages: search at ``/content``, an item's page, opening an item.

One URL, one view: an htmx request (typing in the search box) gets the ``results``
block of the same template, so the page works the same without JavaScript. Every
route looks the item up through the reader's audience: an item not meant for the
caller is a 404, the same as one that does not exist. Opening an item records the
use and redirects to the link the index holds for it, never to one from the URL.
"""

from __future__ import annotations

from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_principal
from hub.connectors.content import ContentKind
from hub.db.content import ContentItem
from hub.db.types import utcnow
from hub.i18n import N_, translate
from hub.personas.catalogue import roles
from hub.resources import Hub
from hub.services.content import library
from hub.services.content.audience import Reader
from hub.services.content.search import MAX_QUERY, Search
from hub.web.viewer import Viewer, load_viewer, locale_of

NO_STORE = {"Cache-Control": "private, no-store"}
KIND_WORDS = {
    ContentKind.DOCUMENT: N_("Document"),
    ContentKind.VIDEO: N_("Video"),
    ContentKind.CAMPAIGN_KIT: N_("Campaign kit"),
    ContentKind.COURSE: N_("Course"),
    ContentKind.ASSESSMENT: N_("Assessment"),
    ContentKind.ANNOUNCEMENT: N_("Announcement"),
    ContentKind.ANSWER: N_("Expert answer"),
}
HUB_PRODUCT = N_("Partner Hub")
ASK_AN_EXPERT = N_("Ask an expert")


def reader_of(viewer: Viewer, locale: str) -> Reader:
    """The reader the library filters for: persona in use, the org's segment, the language."""
    segment = viewer.segment
    return Reader(
        persona=viewer.principal.persona,
        partner_type=segment.partner_type,
        tier=segment.tier,
        region=segment.region,
        language=locale[:2],
        vendor=viewer.principal.persona in roles().vendor,
    )


def safe_link(url: str) -> bool:
    """Whether an indexed link may be redirected to: http(s), or a path of this hub."""
    if url.startswith("/"):
        return not url.startswith("//") and "\\" not in url
    return url.startswith(("https://", "http://"))


def product_names(hub: Hub) -> dict[str, str]:
    """Each library source's product name (catalogue messages for the hub's own sources)."""
    names = {c.config.name: c.config.product for c in hub.backends.all()}
    return {"hub": HUB_PRODUCT, "questions": ASK_AN_EXPERT, **names}


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    def products() -> dict[str, str]:
        return product_names(hub)

    async def caller(request: Request) -> tuple[Viewer, Reader, str]:
        principal = require_principal(request)
        locale = locale_of(request)
        viewer = await load_viewer(hub.db, principal, locale)
        return viewer, reader_of(viewer, locale), locale

    async def search_page(request: Request) -> Response:
        viewer, reader, _ = await caller(request)
        params = request.query_params
        kind = params.get("type", "")
        if kind and kind not in set(ContentKind):
            kind = ""
        language = params.get("language", "")
        search = Search(
            words=params.get("q", ""),
            kind=kind,
            source=params.get("source", "")[:64],
            language=language if language in {"en", "de"} else "",
            short=params.get("short") == "1",
        )
        htmx = request.headers.get("hx-request") == "true"
        found = await library.browse(
            hub.db, search, reader, viewer.principal.id, visit=None if htmx else utcnow()
        )
        context: dict[str, Any] = {
            "search": search,
            "results": found.results,
            "cut": search.cut,
            "max_query": MAX_QUERY,
            "kinds": KIND_WORDS,
            "products": products(),
            "sources": found.sources,
            "previous": found.previous_visit,
            "now": utcnow(),
        }
        return templates.TemplateResponse(
            request,
            "content/library.html",
            context,
            headers={**NO_STORE, "Vary": "HX-Request"},
            block_name="results" if htmx else None,
        )

    async def meant_item(request: Request, reader: Reader, locale: str) -> ContentItem:
        item = await library.meant_item(hub.db, request.path_params["item_id"], reader)
        if item is None:
            raise HTTPException(
                404, translate(locale, N_("There is no such item in your library."))
            )
        return item

    async def show_item(request: Request) -> Response:
        viewer, reader, locale = await caller(request)
        item = await meant_item(request, reader, locale)
        page = await library.view_item(
            hub.db,
            item,
            reader,
            user_id=viewer.principal.id,
            partner_org_id=viewer.org.id if viewer.org else None,
            now=utcnow(),
        )
        hub.evaluation_wanted.set()
        return templates.TemplateResponse(
            request,
            "content/item.html",
            {
                "item": item,
                "newer": page.newer,
                "kinds": KIND_WORDS,
                "products": products(),
                "used_by": page.used_by,
            },
            headers=NO_STORE,
        )

    async def open_item(request: Request) -> Response:
        viewer, reader, locale = await caller(request)
        item = await meant_item(request, reader, locale)
        if not safe_link(item.url):
            raise HTTPException(404, translate(locale, N_("This item has no link to open.")))
        await library.open_item(
            hub.db,
            item,
            user_id=viewer.principal.id,
            partner_org_id=viewer.org.id if viewer.org else None,
            now=utcnow(),
        )
        hub.evaluation_wanted.set()
        return RedirectResponse(item.url, status_code=303, headers=NO_STORE)

    return [
        Route("/content", search_page, name="content"),
        Route("/content/{item_id:int}", show_item, name="content_item"),
        Route("/content/{item_id:int}/open", open_item, name="content_open"),
    ]
