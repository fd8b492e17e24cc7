"""Salesforce OAuth 2.0: the client credentials flow and the JWT bearer flow.

Both post to ``/services/oauth2/token`` and receive ``access_token`` and
``instance_url`` (the host every later API call goes to). Configure with
``[connectors.NAME.auth]``:

- ``method = "client_credentials"``: ``client_id`` (or ``client_id_env``) and
  ``client_secret_env``; the token URL must be the org's My Domain.
- ``method = "jwt_bearer"``: ``client_id`` (the connected app's consumer
  key), ``username`` (the integration user) and ``private_key_env`` (the PEM
  RSA key whose certificate the connected app holds); ``audience`` defaults
  to ``https://login.salesforce.com`` (``https://test.salesforce.com`` for a
  sandbox org). The assertion is signed RS256 and lives three minutes.

``token_url`` overrides ``<base_url>/services/oauth2/token``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from hub.connectors import shapes
from hub.connectors.base import BackendAuthError, ConnectorConfig
from hub.connectors.wire import json_body, raise_for_status, send

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
METHODS = ("client_credentials", "jwt_bearer")


@dataclass(frozen=True)
class AccessToken:
    value: str
    instance_url: str


class SalesforceTokens:
    """Gets and keeps one access token; :meth:`refresh` replaces it after a 401."""

    def __init__(self, config: ConnectorConfig, http: httpx.AsyncClient) -> None:
        auth, secrets = config.auth, config.secrets
        self._config = config
        self._http = http
        self.method = auth.get("method", "client_credentials")
        if self.method not in METHODS:
            raise ValueError(
                f"auth.method must be one of {', '.join(METHODS)}, not {self.method!r}"
            )
        self._client_id = secrets.get("client_id") or auth.get("client_id", "")
        if not self._client_id:
            raise ValueError("auth.client_id (or client_id_env) is required")
        self._token_url = auth.get("token_url") or f"{config.base_url}/services/oauth2/token"
        self._audience = auth.get("audience", "https://login.salesforce.com")
        self._username = auth.get("username", "")
        self._secret = secrets.get("client_secret", "")
        self._key: RSAKey | None = None
        if self.method == "client_credentials" and not self._secret:
            raise ValueError("auth.client_secret_env is required for client_credentials")
        if self.method == "jwt_bearer":
            if not self._username or "private_key" not in secrets:
                raise ValueError("jwt_bearer needs auth.username and auth.private_key_env")
            try:
                self._key = RSAKey.import_key(secrets["private_key"])
            except (JoseError, ValueError, TypeError):
                raise ValueError(
                    "auth.private_key_env does not hold a PEM RSA private key"
                ) from None
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> AccessToken:
        """The token in use, fetched on first need."""
        if self._token is None:
            async with self._lock:
                if self._token is None:
                    self._token = await self._fetch()
        return self._token

    async def refresh(self, rejected: AccessToken) -> AccessToken:
        """A new token, unless another caller already replaced ``rejected``."""
        async with self._lock:
            if self._token is None or self._token == rejected:
                self._token = await self._fetch()
            return self._token

    def _form(self) -> dict[str, str]:
        if self._key is not None:
            now = int(time.time())
            claims = {"iss": self._client_id, "sub": self._username, "aud": self._audience}
            assertion = jwt.encode({"alg": "RS256"}, {**claims, "exp": now + 180}, self._key)
            return {"grant_type": JWT_GRANT, "assertion": assertion}
        return {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._secret,
        }

    async def _fetch(self) -> AccessToken:
        name = self._config.name
        response = await send(
            self._http,
            name,
            "POST",
            self._token_url,
            time_limit=self._config.timeout,
            data=self._form(),
            headers={"Accept": "application/json"},
        )
        if response.status_code >= 500 or response.status_code == 429:
            # The token endpoint is down or busy: that is an outage, not a refusal.
            raise_for_status(response, name)
        if response.status_code >= 400:
            # OAuth errors: {"error": "invalid_grant", "error_description": "..."}.
            reason = "refused"
            try:
                body = response.json()
                reason = f"{body.get('error')}: {body.get('error_description', '')}".strip()
            except (ValueError, AttributeError):
                pass
            raise BackendAuthError(f"{name}: token request {reason[:200]}")
        body = shapes.obj(json_body(response, name), "token response")
        instance_url = shapes.text(body, "instance_url", "token response").rstrip("/")
        if not instance_url.startswith(("https://", "http://")):
            raise BackendAuthError(f"{name}: token response has no usable instance_url")
        return AccessToken(shapes.text(body, "access_token", "token response"), instance_url)
