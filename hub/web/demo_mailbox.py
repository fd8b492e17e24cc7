"""``/demo/mailbox``: the letters the demo's mail server received, each person's own.

Mounted only in demo mode. A person sees the mail addressed to them (an administrator,
who runs the demo, sees all of it); a letter of someone else's is a 404 like one that
does not exist. A letter's HTML version is its own page under a sandboxing CSP, so
nothing in a message runs or loads anything.
"""

from __future__ import annotations

import re

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import Principal, require_principal
from hub.demo import mailbox
from hub.demo.mailbox import Letter
from hub.i18n import N_, translate
from hub.resources import Hub
from hub.web.viewer import locale_of

NO_STORE = {"Cache-Control": "private, no-store"}
# A message's own HTML: shown, never run, nothing fetched.
LETTER_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
KEY = re.compile(r"^[A-Za-z0-9._,:=-]{1,200}$")


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    def own(principal: Principal) -> list[Letter]:
        found = mailbox.letters(hub.settings.data_dir)
        if "admin" in principal.roles:
            return found
        return [letter for letter in found if letter.addressed_to(principal.email)]

    def one(request: Request, principal: Principal, key: str) -> Letter:
        letter = next((x for x in own(principal) if x.key == key), None) if KEY.match(key) else None
        if letter is None:
            raise HTTPException(
                404, translate(locale_of(request), N_("There is no such letter in your mailbox."))
            )
        return letter

    async def inbox(request: Request) -> Response:
        principal = require_principal(request)
        letters = own(principal)
        wanted = request.query_params.get("letter")
        chosen = one(request, principal, wanted) if wanted else (letters[0] if letters else None)
        return templates.TemplateResponse(
            request,
            "demo/mailbox.html",
            {"letters": letters, "chosen": chosen, "everyone": "admin" in principal.roles},
            headers=NO_STORE,
        )

    async def letter_html(request: Request) -> Response:
        principal = require_principal(request)
        letter = one(request, principal, request.path_params["key"])
        if not letter.html:
            raise HTTPException(
                404, translate(locale_of(request), N_("This letter has no HTML version."))
            )
        return HTMLResponse(
            letter.html, headers={**NO_STORE, "Content-Security-Policy": LETTER_CSP}
        )

    return [
        Route("/demo/mailbox", inbox, name="demo_mailbox"),
        Route("/demo/mailbox/{key}/html", letter_html),
    ]
