"""A small but real OpenID provider for tests, served as an ASGI app.

It speaks the wire protocol the hub relies on: discovery, JWKS, the
authorization endpoint (code flow, PKCE S256 required), the token endpoint
(client authentication, single-use codes), userinfo and end_session. Tests
choose who is "signed in" at the provider and may replace ``mint`` to issue
hostile ID tokens.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

Mint = Callable[[dict[str, Any]], str]


@dataclass
class OpenIDProvider:
    """One issuer with one registered client."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    signed_in: str | None = None
    down: bool = False
    # Claims the ID token leaves out and only userinfo tells.
    userinfo_only: frozenset[str] = frozenset()
    # Okta and Entra put at_hash in the code flow's ID token; it is optional there.
    hash_access_token: bool = True

    def __post_init__(self) -> None:
        self.key = _new_key("key-1")
        self.published = [self.key]
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}
        self.mint: Mint = self.sign
        self.jwks_requests = 0
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.userinfo),
                Route("/logout", self.end_session),
            ]
        )

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None, alg: str = "RS256") -> str:
        """An ID token signed like a well-behaved provider signs it."""
        key = key or self.key
        return jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])

    def rotate_key(self) -> None:
        """Start signing with a new key, published next to the old one."""
        self.key = _new_key(f"key-{len(self.published) + 1}")
        self.published.append(self.key)

    def standard_claims(self, sub: str, nonce: str) -> dict[str, Any]:
        now = int(time.time())
        claims = {k: v for k, v in self.users[sub].items() if k not in self.userinfo_only}
        return {
            **claims,
            "iss": self.issuer,
            "sub": sub,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
        }

    async def discovery(self, request: Request) -> Response:
        if self.down:
            return PlainTextResponse("maintenance", status_code=503)
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "end_session_endpoint": f"{self.issuer}/logout",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        self.jwks_requests += 1
        return JSONResponse({"keys": [key.as_dict(private=False) for key in self.published]})

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        if (
            query.get("client_id") != self.client_id
            or query.get("redirect_uri") != self.redirect_uri
            or query.get("response_type") != "code"
            or query.get("code_challenge_method") != "S256"
            or not query.get("code_challenge")
            or "openid" not in query.get("scope", "").split()
        ):
            return PlainTextResponse("bad authorization request", status_code=400)
        params = {"state": query.get("state", "")}
        if self.signed_in is None:
            params["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "sub": self.signed_in,
                "nonce": query.get("nonce", ""),
                "challenge": query["code_challenge"],
            }
            params["code"] = code
        return RedirectResponse(f"{self.redirect_uri}?{urlencode(params)}", status_code=302)

    async def token(self, request: Request) -> Response:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        form = await request.form()
        grant = self.codes.pop(str(form.get("code", "")), None)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if (
            grant is None
            or form.get("redirect_uri") != self.redirect_uri
            or challenge.rstrip(b"=").decode() != grant["challenge"]
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access_token = secrets.token_urlsafe(16)
        self.tokens[access_token] = grant["sub"]
        claims = self.standard_claims(grant["sub"], grant["nonce"])
        if self.hash_access_token:
            claims["at_hash"] = half_hash(access_token)
        id_token = self.mint(claims)
        return JSONResponse(
            {"access_token": access_token, "token_type": "Bearer", "id_token": id_token}
        )

    async def userinfo(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        sub = self.tokens.get(token)
        if sub is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse({"sub": sub, **self.users[sub]})

    async def end_session(self, request: Request) -> Response:
        """RP-initiated logout: forget who is signed in, go back where the client asked."""
        self.signed_in = None
        target = request.query_params.get("post_logout_redirect_uri", "")
        if request.query_params.get("client_id") != self.client_id or not target.startswith(
            self.redirect_uri.rsplit("/auth/", 1)[0] + "/"
        ):
            return PlainTextResponse("bad logout request", status_code=400)
        return RedirectResponse(target, status_code=302)


def half_hash(value: str) -> str:
    """OpenID Connect's at_hash / c_hash for RS256: the left half of SHA-256, base64url."""
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def _new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
