"""A demo portal stand-in's own sessions: its own cookie, its own records in the store.

A stand-in never reads the hub's session: it knows a person only from what the hub told
it over OIDC or SAML, as the real portal would.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from hub.i18n import choose_locale, translate
from hub.store import KeyValueStore

SESSION_SECONDS = 8 * 3600
PENDING_SECONDS = 600


class PortalSessions:
    """Sessions of one stand-in portal, under ``/demo/portals/<name>``."""

    def __init__(self, store: KeyValueStore, name: str, secure: bool) -> None:
        self.store = store
        self.name = name
        self.secure = secure
        self.cookie = f"portal_{name}"
        self.path = f"/demo/portals/{name}"

    def _key(self, kind: str, value: str) -> str:
        return f"demo-portal:{self.name}:{kind}:{hashlib.sha256(value.encode()).hexdigest()}"

    async def current(self, conn: HTTPConnection) -> dict[str, Any] | None:
        """The person signed in to this portal, or ``None``."""
        session_id = conn.cookies.get(self.cookie)
        if not session_id or len(session_id) > 100:
            return None
        raw = await self.store.get(self._key("session", session_id))
        return json.loads(raw) if raw else None

    async def start(self, response: Response, person: dict[str, Any], sid: str) -> None:
        """Sign ``person`` in: a new session id in this portal's cookie."""
        session_id = secrets.token_urlsafe(32)
        key = self._key("session", session_id)
        await self.store.set(key, json.dumps(person), ttl=SESSION_SECONDS)
        if sid:  # the hub's session id: its sign-out ends this session too
            await self.store.set(self._key("sid", sid), key, ttl=SESSION_SECONDS)
        response.set_cookie(
            self.cookie,
            session_id,
            path=self.path,
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    async def end_for_sid(self, sid: str) -> bool:
        """End the session the hub's session ``sid`` started; ``True`` if there was one."""
        key = await self.store.get(self._key("sid", sid))
        if key is None:
            return False
        await self.store.delete(key, self._key("sid", sid))
        return True

    async def end(self, conn: HTTPConnection, response: Response) -> None:
        session_id = conn.cookies.get(self.cookie)
        if session_id:
            await self.store.delete(self._key("session", session_id))
        response.delete_cookie(self.cookie, path=self.path)

    async def remember(self, state: str, pending: dict[str, Any]) -> None:
        """Keep a started sign-in (state, nonce, PKCE verifier, target page) until it returns."""
        await self.store.set(self._key("pending", state), json.dumps(pending), ttl=PENDING_SECONDS)

    async def recall(self, state: str) -> dict[str, Any] | None:
        """The started sign-in for ``state``, once: a second use finds nothing."""
        key = self._key("pending", state)
        raw = await self.store.get(key)
        if raw is None or await self.store.delete(key) != 1:
            return None
        return dict(json.loads(raw))


def refusal(request: Request, status: int, message: str, **variables: str) -> HTTPException:
    """An error page in the browser's language (the stand-in knows no hub profile)."""
    locale = choose_locale(None, request.headers.get("accept-language"))
    return HTTPException(status, translate(locale, message, **variables))
