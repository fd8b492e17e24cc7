"""OAuth 2.0 client credentials (RFC 6749 §4.4): an access token fetched when needed.

One :class:`ClientCredentials` per connector holds the current token and
fetches a new one when there is none, when it is about to expire, or after
the backend refused it (:meth:`invalidate`). Concurrent callers share one
fetch. The client secret and tokens never appear in errors.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Literal

import httpx

from hub.connectors import shapes
from hub.connectors.base import BackendAuthError, MalformedResponse
from hub.connectors.wire import json_body, raise_for_status, send

EXPIRY_MARGIN = 30.0
"""Seconds before its stated expiry that a token is treated as expired."""


class ClientCredentials:
    """A token source for one OAuth 2.0 client.

    ``client_auth`` chooses how the client authenticates to the token
    endpoint: ``"basic"`` (HTTP Basic, the method RFC 6749 requires servers
    to support) or ``"post"`` (``client_id``/``client_secret`` in the form,
    as Mautic documents).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        backend: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        client_auth: Literal["basic", "post"] = "basic",
        time_limit: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._backend = backend
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._client_auth = client_auth
        self._time_limit = time_limit
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        """A current access token, fetching one if needed."""
        if self._token and self._clock() < self._expires_at:
            return self._token
        async with self._lock:
            if self._token and self._clock() < self._expires_at:
                return self._token
            self._token, lifetime = await self._fetch()
            self._expires_at = self._clock() + max(0.0, lifetime - EXPIRY_MARGIN)
            return self._token

    def invalidate(self) -> None:
        """Forget the token (the backend refused it); the next call fetches a new one."""
        self._token = None
        self._expires_at = 0.0

    async def _fetch(self) -> tuple[str, float]:
        form = {"grant_type": "client_credentials"}
        if self._scope:
            form["scope"] = self._scope
        auth: httpx.BasicAuth | None = None
        if self._client_auth == "basic":
            auth = httpx.BasicAuth(self._client_id, self._client_secret)
        else:
            form.update(client_id=self._client_id, client_secret=self._client_secret)
        response = await send(
            self._http,
            self._backend,
            "POST",
            self._token_url,
            time_limit=self._time_limit,
            data=form,
            auth=auth,
            headers={"Accept": "application/json"},
        )
        if response.status_code in (400, 401):
            # RFC 6749 §5.2: invalid_client, unauthorized_client … come back as 400 or 401.
            raise BackendAuthError(f"{self._backend}: the token endpoint refused the client")
        raise_for_status(response, self._backend)
        answer = shapes.obj(json_body(response, self._backend), "token response")
        token = shapes.text(answer, "access_token", "token response")
        token_type = shapes.optional_text(answer, "token_type", "token response") or "bearer"
        if token_type.lower() != "bearer" or not token:
            raise MalformedResponse(f"{self._backend}: token response is not a bearer token")
        expires_in = answer.get("expires_in", 3600)
        lifetime = float(shapes.as_int(expires_in, "token response.expires_in"))
        return token, lifetime
