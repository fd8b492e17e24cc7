"""The JSON API; ``/api/me`` is part of the SSO contract."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_principal
from hub.resources import Hub


def routes(hub: Hub) -> list[BaseRoute]:
    async def me(request: Request) -> JSONResponse:
        principal = require_principal(request)
        return JSONResponse(
            {
                "email": principal.email,
                "name": principal.name,
                "roles": list(principal.roles),
                "persona": principal.persona,
                "partner_org": principal.partner_org,
            }
        )

    return [Route("/api/me", me)]
