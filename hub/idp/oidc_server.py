"""The OpenID Provider: Authlib's authorization server behind a thin Starlette adapter.

Authlib has no Starlette integration and its grant hooks are synchronous, while the
hub's store is async. So every request is prepared first (the form read, the one-time
authorization code taken from the store, the signing key loaded) into an
:class:`Exchange`; Authlib then runs synchronously against it, and what it wants kept
(a new code, an access token) is written back to the store afterwards.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode
from starlette.datastructures import FormData, Headers, QueryParams
from starlette.responses import JSONResponse, Response

from hub.idp.keys import ALGORITHM, SigningKey
from hub.idp.people import Person
from hub.idp.portals import PortalClient, PortalRegistry

# An authorization code is good for this long, once (RFC 6749 4.1.2: short-lived).
CODE_SECONDS = 120
ACCESS_TOKEN_SECONDS = 600
ID_TOKEN_SECONDS = 600


@dataclass
class StoredCode:
    """An authorization code as Authlib's ``AuthorizationCodeMixin`` sees it."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    person: dict[str, Any]
    sid: str

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str | None:
        return None  # the hub does not learn an assurance level from every IdP

    def get_amr(self) -> list[str] | None:
        return None


@dataclass
class Exchange:
    """What one request brought to Authlib, and what Authlib asks to be kept."""

    signing_key: SigningKey | None = None
    person: Person | None = None
    auth_time: int = 0
    sid: str = ""
    nonce_seen: bool = False
    code: StoredCode | None = None
    issued_code: StoredCode | None = None
    issued_token: dict[str, Any] | None = None


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, query: QueryParams, form: FormData | None) -> None:
        lists: defaultdict[str, list[Any]] = defaultdict(list)
        for key, value in query.multi_items():
            lists[key].append(value)
        for name, item in form.multi_items() if form is not None else []:
            if isinstance(item, str):
                lists[name].append(item)
        self._lists = lists
        self._data = {key: values[0] for key, values in lists.items()}

    @property
    def data(self) -> dict[str, Any]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[Any]]:
        return self._lists


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]
    """A Starlette request, already read, in the shape Authlib's grants expect."""

    def __init__(
        self,
        method: str,
        url: str,
        headers: Headers,
        query: QueryParams,
        form: FormData | None,
        exchange: Exchange,
    ) -> None:
        super().__init__(method, url, headers=headers)
        self.payload = _Payload(query, form)
        self._query = query
        self._form = {k: v for k, v in (form or {}).items() if isinstance(v, str)}
        self.exchange = exchange

    @property
    def args(self) -> QueryParams:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self._form


class HubCodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def save_authorization_code(self, code: str, request: StarletteOAuth2Request) -> None:
        exchange = request.exchange
        assert exchange.person is not None  # noqa: S101 - the route sets it before granting
        data = request.payload.data
        exchange.issued_code = StoredCode(
            code=code,
            client_id=request.client.get_client_id(),
            redirect_uri=request.payload.redirect_uri or request.client.get_default_redirect_uri(),
            scope=request.scope,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            auth_time=exchange.auth_time,
            person=exchange.person.to_json(),
            sid=exchange.sid,
        )

    def query_authorization_code(self, code: str, client: PortalClient) -> StoredCode | None:
        stored: StoredCode | None = self.request.exchange.code
        if stored is None or stored.code != code or stored.client_id != client.get_client_id():
            return None
        return stored

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        """Nothing left to do: the route took the code out of the store before Authlib ran."""

    def authenticate_user(self, authorization_code: StoredCode) -> Person:
        person = Person.from_json(authorization_code.person)
        self.request.exchange.sid = authorization_code.sid
        return person


class HubOpenIDCode(OpenIDCode):  # type: ignore[misc]
    """ID tokens signed with the hub's current key, with the claims the portal registered."""

    def __init__(self, issuer: str) -> None:
        super().__init__(require_nonce=False)
        self.issuer = issuer
        self.request: StarletteOAuth2Request | None = None

    def exists_nonce(self, nonce: str, request: StarletteOAuth2Request) -> bool:
        return request.exchange.nonce_seen

    def resolve_client_private_key(self, client: PortalClient) -> Any:
        assert self.request is not None  # noqa: S101 - set in process_token
        key = self.request.exchange.signing_key
        assert key is not None  # noqa: S101 - the token route loads it
        return key.key

    def get_client_algorithm(self, client: PortalClient) -> str:
        return ALGORITHM

    def get_encode_header(self, client: PortalClient) -> dict[str, str]:
        assert self.request is not None  # noqa: S101
        key = self.request.exchange.signing_key
        assert key is not None  # noqa: S101
        return {"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}

    def get_client_claims(self, client: PortalClient) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": client.get_client_id(),
            "azp": client.get_client_id(),
            "iat": now,
            "exp": now + ID_TOKEN_SECONDS,
        }

    def generate_user_info(self, user: Person, scope: str) -> dict[str, Any]:
        assert self.request is not None  # noqa: S101
        client: PortalClient = self.request.client
        info: dict[str, Any] = {"sub": str(user.id), **user.claims(client.sign_on)}
        if self.request.exchange.sid:
            info["sid"] = self.request.exchange.sid
        return info

    def process_token(self, grant: HubCodeGrant, response: Any) -> Any:
        self.request = grant.request
        return super().process_token(grant, response)


class HubAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's server over the registered portals; requests come prepared."""

    def __init__(self, portals: PortalRegistry, issuer: str) -> None:
        super().__init__(scopes_supported=["openid", "email", "profile"])
        self.portals = portals
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_kw: generate_token(43),
                expires_generator=lambda *_args: ACCESS_TOKEN_SECONDS,
            ),
        )
        self.register_grant(HubCodeGrant, [CodeChallenge(required=True), HubOpenIDCode(issuer)])

    def query_client(self, client_id: str) -> PortalClient | None:
        return self.portals.client(client_id)

    def save_token(self, token: dict[str, Any], request: StarletteOAuth2Request) -> None:
        request.exchange.issued_token = dict(token)

    def create_oauth2_request(self, request: StarletteOAuth2Request) -> StarletteOAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        if isinstance(body, dict):
            return JSONResponse(body, status_code=status, headers=dict(headers))
        return Response(body or "", status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's hook for framework signals; the hub audits in its routes instead."""
