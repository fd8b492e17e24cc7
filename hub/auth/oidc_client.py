"""An OpenID Connect relying party: discovery, code flow with PKCE, and strict ID token checks.

Authlib supplies the OAuth pieces (PKCE challenge, tokens, URL building);
joserfc (Authlib's JOSE library) verifies signatures. Every call to the
provider goes through the hub's shared ``httpx.AsyncClient``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from hub.auth.failures import ProviderUnavailable, SignInRefused
from hub.auth.id_token import check_id_token_claims
from hub.auth.providers import Provider

# Only public-key algorithms: "none" and HMAC (which an attacker could key with
# our copy of the public key) are never accepted for ID tokens.
ASYMMETRIC_ALGS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
DISCOVERY_TTL = 3600


@dataclass(frozen=True)
class Discovery:
    """The parts of a provider's discovery document the hub uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None
    algorithms: frozenset[str]
    token_auth_methods: tuple[str, ...]


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the browser, and what the callback must find again in the session."""

    url: str
    state: str
    nonce: str
    code_verifier: str


class OIDCClient:
    """Talks to OIDC providers for the hub; caches discovery and keys per issuer."""

    def __init__(self, http: httpx.AsyncClient, clock: Callable[[], float] = time.time) -> None:
        self.http = http
        self.clock = clock
        self._discovery: dict[str, tuple[float, Discovery]] = {}
        self._jwks: dict[str, KeySet] = {}

    async def _get_json(self, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self.http.get(url, **kwargs)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"{what}: {type(exc).__name__}") from None
        return _json_object(response, what)

    async def discover(self, provider: Provider) -> Discovery:
        """The provider's discovery document; its issuer must be exactly the configured one."""
        issuer = provider.issuer.rstrip("/")
        cached = self._discovery.get(issuer)
        if cached and self.clock() - cached[0] < DISCOVERY_TTL:
            return cached[1]
        doc = await self._get_json(f"{issuer}/.well-known/openid-configuration", "discovery")
        if str(doc.get("issuer", "")).rstrip("/") != issuer:
            raise SignInRefused(f"discovery names issuer {doc.get('issuer')!r}, not {issuer!r}")
        try:
            found = Discovery(
                issuer=str(doc["issuer"]),
                authorization_endpoint=str(doc["authorization_endpoint"]),
                token_endpoint=str(doc["token_endpoint"]),
                jwks_uri=str(doc["jwks_uri"]),
                userinfo_endpoint=doc.get("userinfo_endpoint"),
                end_session_endpoint=doc.get("end_session_endpoint"),
                algorithms=frozenset(doc.get("id_token_signing_alg_values_supported", ["RS256"])),
                token_auth_methods=tuple(
                    doc.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
                ),
            )
        except KeyError as exc:
            raise ProviderUnavailable(f"discovery document lacks {exc.args[0]}") from None
        self._discovery[issuer] = (self.clock(), found)
        return found

    async def authorization_request(
        self, provider: Provider, redirect_uri: str, login_hint: str | None = None
    ) -> AuthorizationRequest:
        """A code-flow request with state, nonce and an S256 PKCE challenge."""
        discovery = await self.discover(provider)
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        params = [
            ("response_type", "code"),
            ("client_id", provider.client_id),
            ("redirect_uri", redirect_uri),
            ("scope", "openid email profile"),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", create_s256_code_challenge(verifier)),
            ("code_challenge_method", "S256"),
        ]
        if login_hint:
            params.append(("login_hint", login_hint))
        url = add_params_to_uri(discovery.authorization_endpoint, params)
        return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    async def exchange_code(
        self, provider: Provider, code: str, code_verifier: str, redirect_uri: str
    ) -> dict[str, Any]:
        """Trade the authorization code for tokens at the token endpoint."""
        discovery = await self.discover(provider)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        auth: httpx.BasicAuth | None = None
        if "client_secret_basic" not in discovery.token_auth_methods and (
            "client_secret_post" in discovery.token_auth_methods
        ):
            form.update(client_id=provider.client_id, client_secret=provider.client_secret)
        else:
            # RFC 6749 2.3.1: id and secret are form-encoded before Basic encoding.
            auth = httpx.BasicAuth(
                quote(provider.client_id, safe=""), quote(provider.client_secret, safe="")
            )
        try:
            response = await self.http.post(
                discovery.token_endpoint, data=form, auth=auth or httpx.USE_CLIENT_DEFAULT
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"token endpoint: {type(exc).__name__}") from None
        if response.status_code in (400, 401):
            error = _json_object(response, "token endpoint", strict=False).get("error", "")
            raise SignInRefused(f"token endpoint refused the code: {str(error)[:100]}")
        return _json_object(response, "token endpoint")

    async def verify_id_token(
        self,
        provider: Provider,
        id_token: str,
        nonce: str,
        *,
        access_token: str | None = None,
        code: str | None = None,
    ) -> dict[str, Any]:
        """The ID token's claims once its signature and every claim check pass.

        ``access_token`` and ``code`` are what the token's ``at_hash`` and
        ``c_hash`` must match (see :mod:`hub.auth.id_token`).
        """
        discovery = await self.discover(provider)
        try:
            header = jws.extract_compact(id_token.encode()).headers()
        except (JoseError, ValueError, UnicodeError):
            raise SignInRefused("the ID token is not a well-formed JWS") from None
        alg = header.get("alg")
        if alg not in ASYMMETRIC_ALGS or alg not in discovery.algorithms:
            raise SignInRefused(f"ID token algorithm {str(alg)[:20]!r} is not accepted")
        key = await self._signing_key(discovery, header.get("kid"), str(alg))
        try:
            token = jwt.decode(id_token, key, algorithms=[str(alg)])
        except JoseError as exc:
            raise SignInRefused(f"ID token signature check failed: {exc.error}") from None
        check_id_token_claims(
            token.claims,
            dict(token.header),
            issuer=discovery.issuer,
            client_id=provider.client_id,
            nonce=nonce,
            access_token=access_token,
            code=code,
            now=self.clock(),
        )
        return token.claims

    async def _signing_key(self, discovery: Discovery, kid: Any, alg: str) -> Key:
        # An unknown kid may mean the provider rotated its keys: refetch once.
        for refresh in (False, True):
            keys = await self._keys(discovery, refresh=refresh)
            candidates = [
                key
                for key in keys
                if (kid is None or key.kid == kid) and _key_fits(key.key_type, alg)
            ]
            if len(candidates) == 1 or (candidates and kid is not None):
                return candidates[0]
        raise SignInRefused(f"no signing key {str(kid)[:80]!r} in the provider's JWKS")

    async def _keys(self, discovery: Discovery, *, refresh: bool) -> KeySet:
        if not refresh and discovery.jwks_uri in self._jwks:
            return self._jwks[discovery.jwks_uri]
        document = await self._get_json(discovery.jwks_uri, "JWKS")
        try:
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError):
            raise ProviderUnavailable("the provider's JWKS cannot be read") from None
        self._jwks[discovery.jwks_uri] = keys
        return keys

    async def userinfo(self, discovery: Discovery, access_token: str) -> dict[str, Any]:
        """Claims from the userinfo endpoint (empty when the provider has none)."""
        if not discovery.userinfo_endpoint:
            return {}
        return await self._get_json(
            discovery.userinfo_endpoint,
            "userinfo",
            headers={"Authorization": f"Bearer {access_token}"},
        )

    async def end_session_url(
        self, provider: Provider, id_token: str, post_logout_redirect_uri: str
    ) -> str | None:
        """RP-initiated logout at the provider, where it offers an end_session_endpoint."""
        try:
            discovery = await self.discover(provider)
        except SignInRefused:
            return None
        if not discovery.end_session_endpoint:
            return None
        url: str = add_params_to_uri(
            discovery.end_session_endpoint,
            [
                ("id_token_hint", id_token),
                ("post_logout_redirect_uri", post_logout_redirect_uri),
                ("client_id", provider.client_id),
            ],
        )
        return url


def _key_fits(key_type: str, alg: str) -> bool:
    if alg.startswith(("RS", "PS")):
        return key_type == "RSA"
    if alg.startswith("ES"):
        return key_type == "EC"
    return key_type == "OKP"


def _json_object(response: httpx.Response, what: str, *, strict: bool = True) -> dict[str, Any]:
    if strict and response.status_code != 200:
        raise ProviderUnavailable(f"{what} answered HTTP {response.status_code}")
    try:
        value = response.json()
    except ValueError:
        if not strict:
            return {}
        raise ProviderUnavailable(f"{what} did not answer JSON") from None
    if not isinstance(value, dict):
        if not strict:
            return {}
        raise ProviderUnavailable(f"{what} did not answer a JSON object")
    return value
