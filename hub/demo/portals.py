"""The demo's backend portals: stand-in pages that are real relying parties of the hub.

A stand-in whose connector registers ``sign_on`` keeps its own session (its own cookie)
and, without one, signs the person in through the hub exactly as the real portal would:
the Salesforce stand-in as an OpenID Connect client (code flow with PKCE, ID token checked
with joserfc and Authlib's ``CodeIDToken`` claims: iss, aud, exp, nonce, at_hash). It then lands on
the exact page the deep link named.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from jinja2_fragments.starlette import Jinja2Blocks
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from hub.auth.principal import require_principal
from hub.auth.redirects import safe_next
from hub.connectors.base import Connector
from hub.demo import portal_saml
from hub.demo.player import watched
from hub.demo.portal_sessions import PortalSessions, refusal
from hub.i18n import N_
from hub.resources import Hub

# The stand-in's page may be shown in the hub's sign-out page (front-channel logout).
FRAMEABLE = {
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'self'",
}


class Loopback:
    """An HTTP client to the hub itself, for the stand-ins' back-channel calls (token, keys).

    In-process like the sandboxes, so the demo and the tests need no listening port."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._app: ASGIApp | None = None

    def bind(self, app: ASGIApp) -> None:
        self._app = app

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        if self._app is None:
            raise RuntimeError("the loopback client is not bound to the app yet")
        transport = httpx.ASGITransport(app=self._app, client=("127.0.0.1", 0))
        return httpx.AsyncClient(transport=transport, base_url=self.base_url, **kwargs)


def routes(hub: Hub, templates: Jinja2Blocks, loopback: Loopback) -> list[BaseRoute]:
    base_url = hub.settings.base_url
    sessions = {
        c.config.name: PortalSessions(hub.store, c.config.name, hub.settings.secure_cookies)
        for c in hub.backends.all()
    }

    def connector_of(request: Request) -> Connector:
        connector = hub.backends.named(request.path_params["name"])
        if connector is None:
            raise refusal(request, 404, N_("There is no such demo portal."))
        return connector

    def page_path(name: str, page: str) -> str:
        return safe_next(f"/demo/portals/{name}/{page}", f"/demo/portals/{name}")

    async def discovery() -> dict[str, Any]:
        async with loopback.client() as http:
            document: dict[str, Any] = (await http.get("/.well-known/openid-configuration")).json()
        return document

    async def portal(request: Request) -> Response:
        connector = connector_of(request)
        config = connector.config
        page = request.path_params.get("page", "")
        sign_on = config.sign_on
        if sign_on is None:  # a portal that does not trust the hub: the hub's session shows it
            principal = require_principal(request)
            await played(request, connector, page, principal.email, principal.name)
            return templates.TemplateResponse(
                request, "demo_portal.html", {"config": config, "page": page, "person": None}
            )
        person = await sessions[config.name].current(request)
        if person is None:
            # The exact page, its query included (a video's id, a record's filter).
            query = request.url.query
            target = page_path(config.name, f"{page}?{query}" if query else page)
            if sign_on.protocol == "saml":
                url = await portal_saml.login_url(config, loopback, sessions[config.name], target)
                return RedirectResponse(url, status_code=303)
            return await start_oidc(config.name, target)
        await played(request, connector, page, str(person["email"]), str(person["name"]))
        return templates.TemplateResponse(
            request,
            "demo_portal.html",
            {"config": config, "page": page, "person": person},
        )

    async def played(
        request: Request, connector: Connector, page: str, email: str, name: str
    ) -> None:
        """The LMS stand-in plays a video to its end, as a learner would: its LRS records
        the completion (:mod:`hub.demo.player`) and the library picks it up soon after."""
        if connector.config.adapter != "moodle" or not page.startswith("mod/resource/view.php"):
            return
        activity_id = f"/demo/portals/{connector.config.name}/{page}?{request.url.query}"
        if await watched(hub, email, name, activity_id):
            hub.content_wanted.set()

    async def start_oidc(name: str, target: str) -> Response:
        registered = hub.backends.named(name).config.sign_on  # type: ignore[union-attr]
        assert registered is not None  # noqa: S101 - only called for a registered portal
        sign_on = registered.resolved(base_url)
        document = await discovery()
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        query = {
            "response_type": "code",
            "client_id": sign_on.client_id,
            "redirect_uri": sign_on.redirect_uris[0],
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        url = f"{document['authorization_endpoint']}?{urlencode(query)}"
        await sessions[name].remember(
            state, {"nonce": nonce, "verifier": verifier, "target": target}
        )
        return RedirectResponse(url, status_code=303)

    async def oidc_callback(request: Request) -> Response:
        connector = connector_of(request)
        name, registered = connector.config.name, connector.config.sign_on
        if registered is None or registered.protocol != "oidc":
            raise refusal(request, 404, N_("This portal does not sign in with OpenID Connect."))
        sign_on = registered.resolved(base_url)
        pending = await sessions[name].recall(request.query_params.get("state", "")[:200])
        if pending is None:
            raise refusal(request, 400, N_("This sign-in has expired or was already used."))
        if request.query_params.get("error"):
            raise refusal(
                request,
                403,
                N_("The hub did not sign you in to %(portal)s: %(reason)s"),
                portal=connector.config.product,
                reason=request.query_params.get("error_description")
                or request.query_params["error"],
            )
        document = await discovery()
        try:
            async with loopback.client() as http:
                answer = await http.post(
                    document["token_endpoint"],
                    data={
                        "grant_type": "authorization_code",
                        "code": request.query_params.get("code", ""),
                        "redirect_uri": sign_on.redirect_uris[0],
                        "code_verifier": pending["verifier"],
                    },
                    auth=(sign_on.client_id, sign_on.client_secret),
                )
                token = answer.json()
                if answer.status_code != 200:
                    raise ValueError(token.get("error_description") or token.get("error"))
                keys = KeySet.import_key_set((await http.get(document["jwks_uri"])).json())
            decoded = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                options={
                    "iss": {"essential": True, "value": document["issuer"]},
                    "aud": {"essential": True, "value": sign_on.client_id},
                    "nonce": {"essential": True, "value": pending["nonce"]},
                },
                params={"access_token": token["access_token"]},
            )
            claims.validate(leeway=30)
        except (JoseError, KeyError, ValueError) as failed:
            raise refusal(
                request, 400, N_("The sign-in could not be checked: %(reason)s"), reason=str(failed)
            ) from None
        response = RedirectResponse(safe_next(pending["target"]), status_code=303)
        person = {
            "email": claims.get("email", ""),
            "name": claims.get("name", ""),
            "identifier_name": sign_on.identifier,
            "identifier": claims.get(sign_on.identifier, "") if sign_on.identifier else "",
            "protocol": "OpenID Connect",
        }
        await sessions[name].start(response, person, str(claims.get("sid", "")))
        return response

    async def oidc_logout(request: Request) -> Response:
        """OpenID Connect Front-Channel Logout: the hub's sign-out page loads this in a frame."""
        connector = connector_of(request)
        if request.query_params.get("iss") not in (None, base_url):
            raise refusal(request, 400, N_("Sign-out from an unknown issuer."))
        sid = request.query_params.get("sid", "")[:100]
        if sid:
            await sessions[connector.config.name].end_for_sid(sid)
        response = Response("signed out", media_type="text/plain", headers=FRAMEABLE)
        await sessions[connector.config.name].end(request, response)
        return response

    return [
        *portal_saml.routes(hub, loopback, sessions),
        Route("/demo/portals/{name}/oidc/callback", oidc_callback),
        Route("/demo/portals/{name}/oidc/logout", oidc_logout),
        Route("/demo/portals/{name}", portal, name="demo_portal"),
        # A next best action's deep link into a portal lands on the same stand-in.
        Route("/demo/portals/{name}/{page:path}", portal),
    ]
