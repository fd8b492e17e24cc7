"""OIDC sign-in routes: ``GET /auth/oidc/login`` and ``GET /auth/oidc/callback``."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.failures import SignInRefused
from hub.auth.flow import SignInFlow
from hub.auth.oidc_client import OIDCClient
from hub.auth.profile import profile_from_claims
from hub.auth.redirects import safe_next
from hub.i18n import N_
from hub.middleware.sessions import session_of

# A browser has this long to come back from the provider.
PENDING_SECONDS = 600
# Sign-ins started in other tabs that are still allowed to finish.
MAX_PENDING = 5


def routes(flow: SignInFlow, client: OIDCClient) -> list[BaseRoute]:
    redirect_uri = f"{flow.hub.settings.base_url}/auth/oidc/callback"

    async def login(request: Request) -> Response:
        name = request.query_params.get("idp") or "oidc"
        try:
            await flow.limiter.check_ip(request)
            provider = await flow.providers.get(name, "oidc")
            if provider is None or not provider.client_id:
                raise SignInRefused(
                    f"unknown OIDC provider {name[:64]!r}",
                    N_("That sign-in option does not exist. Go back to the sign-in page."),
                    status=400,
                )
            if not provider.client_secret:
                raise SignInRefused(
                    f"OIDC provider {provider.name!r} has no client secret configured",
                    N_("This sign-in option is not fully set up. Tell your administrator."),
                    status=503,
                )
            hint = request.query_params.get("login_hint")
            auth = await client.authorization_request(provider, redirect_uri, hint)
        except SignInRefused as refusal:
            return await flow.refuse(request, refusal, provider=name)
        session = session_of(request)
        pending: dict[str, Any] = dict(session.get("oidc_pending") or {})
        pending[auth.state] = {
            "idp": provider.name,
            "nonce": auth.nonce,
            "verifier": auth.code_verifier,
            "next": safe_next(request.query_params.get("next")),
            "at": time.time(),
        }
        newest = sorted(pending.items(), key=lambda item: item[1]["at"])[-MAX_PENDING:]
        session["oidc_pending"] = dict(newest)
        return RedirectResponse(auth.url, status_code=303)

    async def callback(request: Request) -> Response:
        session = session_of(request)
        state = request.query_params.get("state", "")
        pending_all: dict[str, Any] = dict(session.get("oidc_pending") or {})
        # Single use: whatever happens next, this state cannot be used again.
        pending = pending_all.pop(state, None)
        session["oidc_pending"] = pending_all
        name = pending["idp"] if pending else ""
        try:
            await flow.limiter.check_ip(request)
            if pending is None:
                raise SignInRefused(
                    "unknown, reused or tampered OIDC state",
                    N_(
                        "This sign-in link has expired or was already used. Start again from the"
                        " sign-in page."
                    ),
                    status=400,
                )
            if time.time() - float(pending["at"]) > PENDING_SECONDS:
                raise SignInRefused("the sign-in took too long (state expired)", status=400)
            error = request.query_params.get("error")
            if error:
                raise SignInRefused(
                    f"provider answered error {error[:64]!r}",
                    N_(
                        "Your identity provider did not sign you in. Try again, or ask your"
                        " administrator whether you may use the hub."
                    ),
                )
            provider = await flow.providers.get(name, "oidc")
            if provider is None:
                raise SignInRefused(f"OIDC provider {name!r} was removed", status=400)
            code = request.query_params.get("code")
            if not code:
                raise SignInRefused("callback without a code", status=400)
            tokens = await client.exchange_code(provider, code, pending["verifier"], redirect_uri)
            id_token = tokens.get("id_token")
            if not isinstance(id_token, str):
                raise SignInRefused("the token endpoint returned no ID token")
            access_token = tokens.get("access_token")
            claims = await client.verify_id_token(
                provider,
                id_token,
                pending["nonce"],
                access_token=access_token if isinstance(access_token, str) else None,
                code=code,
            )
            if isinstance(access_token, str):
                discovery = await client.discover(provider)
                extra = await client.userinfo(discovery, access_token)
                if extra and extra.get("sub") != claims["sub"]:
                    raise SignInRefused("userinfo is about another subject than the ID token")
                # The signed ID token wins where both say something.
                claims = {**extra, **claims}
            profile = profile_from_claims(provider, claims["iss"], claims["sub"], claims)
            await flow.finish(request, provider, profile)
        except SignInRefused as refusal:
            return await flow.refuse(request, refusal, provider=name)
        session["oidc"] = {"idp": provider.name, "id_token": id_token}
        return RedirectResponse(pending["next"], status_code=303)

    return [
        Route("/auth/oidc/login", login, name="oidc_login"),
        Route("/auth/oidc/callback", callback, name="oidc_callback"),
    ]
