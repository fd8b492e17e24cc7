"""The sign-in page (home-realm discovery), sign-out, and the SSO routes of each method."""

from __future__ import annotations

from urllib.parse import urlencode

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth import admin, oidc, saml
from hub.auth.failures import SignInRefused
from hub.auth.flow import SignInFlow
from hub.auth.oidc_client import OIDCClient
from hub.auth.principal import principal_of, require_principal
from hub.auth.providers import Provider
from hub.auth.redirects import safe_next
from hub.auth.saml_sp import SAMLServiceProvider
from hub.auth.signin import end_session
from hub.idp.portals import PortalRegistry
from hub.idp.signout import portal_signout
from hub.middleware.sessions import end_all_sessions, session_of
from hub.resources import Hub


def _start_url(provider: Provider, target: str, login_hint: str | None = None) -> str:
    params = {"idp": provider.name, "next": target}
    if login_hint:
        params["login_hint"] = login_hint
    return f"/auth/{provider.kind}/login?{urlencode(params)}"


def routes(hub: Hub, templates: Jinja2Blocks, portals: PortalRegistry) -> list[BaseRoute]:
    flow = SignInFlow(hub, templates)
    oidc_client = OIDCClient(hub.http)
    saml_sp = SAMLServiceProvider(hub.settings, hub.http)

    async def render_login(request: Request, target: str, notice: str = "") -> Response:
        providers = await flow.providers.all()
        return templates.TemplateResponse(
            request,
            "login.html",
            {
                "next": target,
                "providers": [
                    {"title": provider.title, "url": _start_url(provider, target)}
                    for provider in providers
                ],
                "discovery": any(provider.email_domains for provider in providers),
                "notice": notice,
            },
        )

    async def login_page(request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        if principal_of(request) is not None:
            return RedirectResponse(target, status_code=303)
        return await render_login(request, target)

    async def discover_realm(request: Request) -> Response:
        form = await request.form()
        raw_next, raw_email = form.get("next"), form.get("email")
        target = safe_next(raw_next if isinstance(raw_next, str) else None)
        email = raw_email.strip().lower() if isinstance(raw_email, str) else ""
        try:
            await flow.limiter.check_ip(request)
        except SignInRefused as refusal:
            return await flow.refuse(request, refusal)
        provider = await flow.providers.for_email(email) if "@" in email else None
        if provider is None:
            return await render_login(
                request,
                target,
                "We don't know a single sign-on for that email's domain. Choose how to sign in below.",
            )
        return RedirectResponse(_start_url(provider, target, email), status_code=303)

    async def logout(request: Request) -> Response:
        session = session_of(request)
        remembered = session.get("oidc") or {}
        frames = portal_signout(session, portals, hub.settings.base_url)
        await end_session(request, hub.audit, reason="user signed out")
        landing = f"{hub.settings.base_url}/auth/login"
        onward = "/auth/login"
        if isinstance(remembered, dict) and remembered.get("id_token"):
            provider = await flow.providers.get(str(remembered.get("idp")), "oidc")
            if provider is not None:
                url = await oidc_client.end_session_url(
                    provider, str(remembered["id_token"]), landing
                )
                onward = url or onward
        if frames.urls:
            # The portals this session signed in to end theirs in frames of this page.
            return templates.TemplateResponse(
                request,
                "signed_out_portals.html",
                {"frames": frames.urls, "onward": onward},
                headers={"Content-Security-Policy": frames.csp},
            )
        return RedirectResponse(onward, status_code=303)

    async def logout_everywhere(request: Request) -> Response:
        principal = require_principal(request)
        ended = await end_all_sessions(hub.store, principal.id)
        await end_session(request, hub.audit, reason=f"signed out everywhere ({ended} sessions)")
        return RedirectResponse("/auth/login", status_code=303)

    return [
        Route("/auth/login", login_page, name="login"),
        Route("/auth/login", discover_realm, methods=["POST"]),
        Route("/auth/logout", logout, methods=["POST"], name="logout"),
        Route("/auth/logout-everywhere", logout_everywhere, methods=["POST"]),
        *oidc.routes(flow, oidc_client),
        *saml.routes(flow, saml_sp),
        *admin.routes(hub, templates),
    ]
