"""The OpenID Provider's routes: discovery, keys, authorization, token and userinfo."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import principal_of
from hub.i18n import N_, choose_locale, translate
from hub.idp.keys import ALGORITHM, SigningKeys
from hub.idp.oidc_server import (
    ACCESS_TOKEN_SECONDS,
    CODE_SECONDS,
    ID_TOKEN_SECONDS,
    Exchange,
    HubAuthorizationServer,
    StarletteOAuth2Request,
    StoredCode,
)
from hub.idp.people import Person, person_of
from hub.idp.portals import PortalRegistry
from hub.idp.sessions import remember_portal, session_sid
from hub.middleware.sessions import session_of
from hub.resources import Hub

CODE_PREFIX = "idp:code:"
TOKEN_PREFIX = "idp:token:"  # noqa: S105 - a store key prefix, not a secret
NONCE_PREFIX = "idp:nonce:"
AUTHORIZE_PATH = "/idp/oidc/authorize"


def _hashed(prefix: str, value: str) -> str:
    # Store keys are hashes, so a store dump holds no usable code or token.
    return prefix + hashlib.sha256(value.encode()).hexdigest()


def discovery_document(base_url: str) -> dict[str, Any]:
    """The OpenID Provider Metadata (OpenID Connect Discovery 1.0, section 3)."""
    return {
        "issuer": base_url,
        "authorization_endpoint": f"{base_url}{AUTHORIZE_PATH}",
        "token_endpoint": f"{base_url}/idp/oidc/token",
        "userinfo_endpoint": f"{base_url}/idp/oidc/userinfo",
        "jwks_uri": f"{base_url}/idp/oidc/jwks.json",
        "scopes_supported": ["openid", "email", "profile"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid",
            "email", "name", "roles", "partner_org", "locale",
        ],
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
    }  # fmt: skip


def routes(hub: Hub, portals: PortalRegistry, keys: SigningKeys) -> list[BaseRoute]:
    base_url = hub.settings.base_url
    server = HubAuthorizationServer(portals, base_url)

    def oauth_request(
        request: Request, form: FormData | None, exchange: Exchange
    ) -> StarletteOAuth2Request:
        return StarletteOAuth2Request(
            request.method,
            f"{base_url}{request.url.path}"
            + (f"?{request.url.query}" if request.url.query else ""),
            request.headers,
            request.query_params,
            form,
            exchange,
        )

    def refused(request: Request, message: str) -> HTTPException:
        principal = principal_of(request)
        locale = choose_locale(
            principal.locale if principal else None, request.headers.get("accept-language")
        )
        return HTTPException(400, translate(locale, message))

    async def discovery(request: Request) -> Response:
        return JSONResponse(discovery_document(base_url))

    async def jwks(request: Request) -> Response:
        ring = await keys.ring()
        return JSONResponse(ring.jwks(), headers={"Cache-Control": "public, max-age=300"})

    async def authorize(request: Request) -> Response:
        principal = principal_of(request)
        person: Person | None = None
        if principal is not None:
            person = await person_of(hub.db, principal.id)
        exchange = Exchange(person=person)
        prepared = oauth_request(request, None, exchange)
        try:
            grant = server.get_consent_grant(prepared, end_user=person)
        except OAuth2Error as error:
            if error.redirect_uri:  # validated against the client's registration
                return server.handle_error_response(prepared, error)  # type: ignore[no-any-return]
            # Unknown client or unregistered redirect URI: a page, never a redirect.
            raise refused(
                request,
                N_(
                    "This sign-in link is not valid: the portal that sent you here is not"
                    " registered with the hub, or asked to return to an address it did not"
                    " register."
                ),
            ) from None
        client = grant.request.client
        if principal is None or person is None:
            target = f"{AUTHORIZE_PATH}?{request.url.query}"
            return RedirectResponse(f"/auth/login?{urlencode({'next': target})}", status_code=303)
        if not person.may_use(client.sign_on):
            await hub.audit.record(
                request,
                actor=person.email,
                action="portal_sign_in",
                target=client.portal.connector,
                outcome="refused",
                reason="no role this portal serves",
            )
            return server.create_authorization_response(prepared, grant_user=None, grant=grant)  # type: ignore[no-any-return]
        nonce = prepared.payload.data.get("nonce")
        if nonce:
            stored = await hub.store.set_if_absent(
                _hashed(NONCE_PREFIX, f"{client.get_client_id()}:{nonce}"),
                "1",
                ttl=ID_TOKEN_SECONDS * 2,
            )
            exchange.nonce_seen = not stored
        session = session_of(request)
        exchange.auth_time = int(float(session.get("created") or 0))
        exchange.sid = session_sid(session)
        response: Response = server.create_authorization_response(
            prepared, grant_user=person, grant=grant
        )
        issued = exchange.issued_code
        if issued is not None:
            await hub.store.set(
                _hashed(CODE_PREFIX, issued.code), json.dumps(asdict(issued)), ttl=CODE_SECONDS
            )
            remember_portal(session, "oidc", client.portal.connector)
        return response

    async def token(request: Request) -> Response:
        form = await request.form()
        exchange = Exchange(signing_key=(await keys.ring()).current)
        code = form.get("code")
        if isinstance(code, str) and 0 < len(code) <= 200:
            key = _hashed(CODE_PREFIX, code)
            raw = await hub.store.get(key)
            # Taken out before use: a second redemption of the same code finds nothing.
            if raw is not None and await hub.store.delete(key) == 1:
                exchange.code = StoredCode(**json.loads(raw))
        response: Response = server.create_token_response(oauth_request(request, form, exchange))
        token = exchange.issued_token
        if token is not None and exchange.code is not None:
            await hub.store.set(
                _hashed(TOKEN_PREFIX, str(token["access_token"])),
                json.dumps({"client_id": exchange.code.client_id, "person": exchange.code.person}),
                ttl=ACCESS_TOKEN_SECONDS,
            )
        return response

    async def userinfo(request: Request) -> Response:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        raw = None
        if scheme.lower() == "bearer" and 0 < len(credential) <= 200:
            raw = await hub.store.get(_hashed(TOKEN_PREFIX, credential.strip()))
        client = None
        if raw is not None:
            grant = json.loads(raw)
            client = portals.client(grant["client_id"])
        if raw is None or client is None:
            return JSONResponse(
                {"error": "invalid_token", "error_description": "unknown or expired token"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        person = Person.from_json(grant["person"])
        return JSONResponse({"sub": str(person.id), **person.claims(client.sign_on)})

    return [
        Route("/.well-known/openid-configuration", discovery),
        Route("/idp/oidc/jwks.json", jwks),
        Route(AUTHORIZE_PATH, authorize),
        Route("/idp/oidc/token", token, methods=["POST"]),
        Route("/idp/oidc/userinfo", userinfo, methods=["GET", "POST"]),
    ]
