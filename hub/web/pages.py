"""The pages people land on."""

from __future__ import annotations

from urllib.parse import quote

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import principal_of
from hub.resources import Hub


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    async def home(request: Request) -> Response:
        principal = principal_of(request)
        if principal is None:
            return RedirectResponse(f"/auth/login?next={quote('/')}", status_code=303)
        if not principal.roles:
            return templates.TemplateResponse(request, "no_access.html", {}, status_code=403)
        return templates.TemplateResponse(request, "home.html", {})

    return [Route("/", home, name="home")]
