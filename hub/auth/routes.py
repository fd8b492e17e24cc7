"""The sign-in page and sign-out; each sign-in method adds its own routes."""

from __future__ import annotations

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import principal_of
from hub.auth.redirects import safe_next
from hub.auth.signin import end_session
from hub.resources import Hub


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    async def login_page(request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        if principal_of(request) is not None:
            return RedirectResponse(target, status_code=303)
        return templates.TemplateResponse(
            request,
            "login.html",
            {
                "next": target,
                "oidc": hub.settings.oidc_issuer is not None,
                "saml": bool(
                    hub.settings.saml_idp_metadata_url or hub.settings.saml_idp_metadata_file
                ),
            },
        )

    async def logout(request: Request) -> Response:
        await end_session(request, hub.audit, reason="user signed out")
        return RedirectResponse("/auth/login", status_code=303)

    return [
        Route("/auth/login", login_page, name="login"),
        Route("/auth/logout", logout, methods=["POST"], name="logout"),
    ]
