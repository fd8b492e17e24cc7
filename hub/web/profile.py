"""The person's own pages: their profile and settings, and their notifications.

Whatever the IdP's claim or the browser asks for, a language chosen here wins from the
next page on, on every device: it is stored on the user, and the session is updated.
The header's bell counts what waits for the person: unread notices and, for an
administrator, awards held for approval.
"""

from __future__ import annotations

from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from markupsafe import escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import Principal, require_principal
from hub.auth.redirects import safe_next
from hub.db import User
from hub.db.engagement import EngagementPreference
from hub.db.types import utcnow
from hub.i18n import N_, SUPPORTED_LOCALES, translate
from hub.middleware.sessions import session_of
from hub.personas.catalogue import PersonaBook
from hub.resources import Hub
from hub.services.digest import compose as digest
from hub.services.engagement import leaderboards, notifications, recognition
from hub.web.viewer import locale_of

NO_STORE = {"Cache-Control": "private, no-store"}


def routes(hub: Hub, templates: Jinja2Blocks, book: PersonaBook) -> list[BaseRoute]:
    def on_boards(principal: Principal) -> bool:
        """Whether the person's homepage has leaderboards they could be hidden from."""
        return principal.persona in book and book.allows(
            principal.persona, book.registry["leaderboard"]
        )

    async def awaiting(principal: Principal) -> int:
        """Awards held for an administrator's approval; nobody else decides them."""
        if "admin" not in principal.roles:
            return 0
        return len(await recognition.pending_kudos(hub.db))

    async def choose_language(request: Request) -> Response:
        principal = require_principal(request)
        form = await request.form()
        wanted = str(form.get("locale") or "")[:16]
        if wanted not in SUPPORTED_LOCALES:
            raise HTTPException(
                400, translate(locale_of(request), N_("That language is not offered."))
            )
        async with hub.db.transaction() as session:
            user = await session.get(User, principal.id)
            if user is None:
                raise HTTPException(401)
            user.locale = wanted
        data = session_of(request)
        data["user"] = {**data["user"], "locale": wanted}
        return RedirectResponse(safe_next(str(form.get("next") or "/")), status_code=303)

    async def profile(request: Request) -> Response:
        principal = require_principal(request)
        async with hub.db.session() as session:
            preference = await session.get(EngagementPreference, principal.id)
            opted_out = bool(preference and preference.leaderboard_opt_out)
        context: dict[str, Any] = {
            "on_boards": on_boards(principal),
            "opted_out": opted_out,
            "gets_digest": gets_digest(principal),
            "digest_off": gets_digest(principal) and await digest.opted_out(hub.db, principal.id),
            "said": said(request),
            "roles": [book[role] for role in principal.roles if role in book],
        }
        return templates.TemplateResponse(request, "profile.html", context, headers=NO_STORE)

    async def choose_visibility(request: Request) -> Response:
        principal = require_principal(request)
        locale = locale_of(request)
        if not on_boards(principal):
            raise HTTPException(403, translate(locale, N_("Your homepage has no leaderboards.")))
        form = await request.form()
        choice = {"1": True, "0": False}.get(str(form.get("opt_out") or ""))
        if choice is None:
            raise HTTPException(
                400, translate(locale, N_("Choose to be shown on leaderboards or hidden."))
            )
        await leaderboards.set_opt_out(hub.db, hub.store, principal.id, choice)
        return RedirectResponse(f"/profile?said={'hidden' if choice else 'shown'}", status_code=303)

    async def choose_digest(request: Request) -> Response:
        principal = require_principal(request)
        locale = locale_of(request)
        if not gets_digest(principal):
            raise HTTPException(
                403, translate(locale, N_("The weekly digest is for channel managers."))
            )
        form = await request.form()
        choice = {"off": True, "on": False}.get(str(form.get("digest") or ""))
        if choice is None:
            raise HTTPException(400, translate(locale, N_("Choose to get the digest or not.")))
        await digest.set_opt_out(hub.db, principal.id, choice, utcnow())
        return RedirectResponse(
            f"/profile?said={'digest_off' if choice else 'digest_on'}#digest", status_code=303
        )

    async def notices(request: Request) -> Response:
        principal = require_principal(request)
        items = await notifications.notifications_for(hub.db, principal.id, limit=50)
        context = {
            "items": items,
            "unread": sum(1 for item in items if not item.read),
            "awaiting": await awaiting(principal),
            "link_of": safe_link,
            "now": utcnow(),
        }
        return templates.TemplateResponse(request, "notifications.html", context, headers=NO_STORE)

    async def count(request: Request) -> Response:
        principal = require_principal(request)
        waiting = await notifications.unread_count(hub.db, principal.id) + await awaiting(principal)
        locale = locale_of(request)
        if not waiting:
            return HTMLResponse("", headers=NO_STORE)
        said = translate(locale, N_("%(num)s waiting for you"), num=waiting)
        html = (
            f'<span class="count-badge" aria-hidden="true">{waiting}</span>'
            f'<span class="visually-hidden">{escape(said)}</span>'
        )
        return HTMLResponse(html, headers=NO_STORE)

    async def read_all(request: Request) -> Response:
        principal = require_principal(request)
        await notifications.mark_read(hub.db, principal.id, at=utcnow())
        return RedirectResponse("/notifications", status_code=303)

    return [
        Route("/profile", profile, methods=["GET"], name="profile"),
        Route("/profile/language", choose_language, methods=["POST"], name="profile_language"),
        Route("/profile/leaderboard", choose_visibility, methods=["POST"]),
        Route("/profile/digest", choose_digest, methods=["POST"]),
        Route("/notifications", notices, methods=["GET"], name="notifications"),
        Route("/notifications/count", count, methods=["GET"]),
        Route("/notifications/read", read_all, methods=["POST"]),
    ]


SAID = {
    "hidden": N_("You are off the leaderboards."),
    "shown": N_("You are back on the leaderboards."),
    "digest_off": N_("The weekly digest is off. You can turn it back on here at any time."),
    "digest_on": N_("You get the weekly digest again."),
}


def gets_digest(principal: Principal) -> bool:
    """Channel managers get the weekly digest about their partners."""
    return principal.partner_org_id is None and "channel_manager" in principal.roles


def said(request: Request) -> str:
    """What the last change did, from its redirect (only the hub's own sentences)."""
    key = request.query_params.get("said", "")
    return translate(locale_of(request), SAID[key]) if key in SAID else ""


def safe_link(link: str) -> str:
    """A notice's link if it stays in the hub, else none (a notice never sends people away)."""
    return safe_next(link, "") if link else ""
