"""The person's own settings: the language of their pages, kept in their profile.

Whatever the IdP's claim or the browser asks for, a language chosen here wins from the
next page on, on every device: it is stored on the user, and the session is updated.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_principal
from hub.auth.redirects import safe_next
from hub.db import User
from hub.i18n import N_, SUPPORTED_LOCALES, translate
from hub.middleware.sessions import session_of
from hub.resources import Hub
from hub.web.viewer import locale_of


def routes(hub: Hub) -> list[BaseRoute]:
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

    return [Route("/profile/language", choose_language, methods=["POST"], name="profile_language")]
