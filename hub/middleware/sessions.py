"""Server-side sessions in the key-value store; the cookie carries only a random id.

The store key is a hash of the id, so a leaked store dump cannot be replayed
as cookies. Sessions end after ``idle`` seconds unused and ``absolute``
seconds after they began, whichever is first.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.store import KeyValueStore

SESSION_PREFIX = "session:"
USER_SESSIONS_PREFIX = "user-sessions:"
# Refresh the idle deadline at most this often, to spare a store write per request.
_TOUCH_EVERY = 60.0


def session_key(session_id: str) -> str:
    return SESSION_PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


class Session(dict[str, Any]):
    """The session's data, with the bookkeeping the middleware needs.

    A plain ``dict`` to the code that reads it (Authlib keeps its OAuth state
    here); ``rotate`` and ``end`` change the id behind it.
    """

    def __init__(self, session_id: str | None, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.id = session_id
        self.previous_ids: list[str] = []
        self.ended = False
        self._loaded = json.dumps(data, sort_keys=True, default=str)

    def rotate(self) -> None:
        """Issue a new id for the same data: call at sign-in so a planted id is useless."""
        if self.id is not None:
            self.previous_ids.append(self.id)
        self.id = None
        self.pop("created", None)

    def end(self) -> None:
        """Forget the session (sign out)."""
        self.rotate()
        self.clear()
        self.ended = True

    @property
    def changed(self) -> bool:
        return (
            self.id is None or json.dumps(dict(self), sort_keys=True, default=str) != self._loaded
        )


def session_of(conn: HTTPConnection) -> Session:
    session = conn.scope.get("session")
    if not isinstance(session, Session):
        raise RuntimeError("SessionMiddleware is not installed")
    return session


class SessionMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        store: KeyValueStore,
        secure: bool,
        idle: float,
        absolute: float,
    ) -> None:
        self.app = app
        self.store = store
        self.secure = secure
        self.idle = idle
        self.absolute = absolute
        # The __Host- prefix pins the cookie to our host and path over HTTPS.
        self.cookie_name = "__Host-hub_session" if secure else "hub_session"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = await self._load(HTTPConnection(scope).cookies.get(self.cookie_name))
        scope["session"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = await self._save(session)
                if cookie is not None:
                    MutableHeaders(scope=message).append("Set-Cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _load(self, session_id: str | None) -> Session:
        if not session_id or len(session_id) > 100:
            return Session(None, {})
        raw = await self.store.get(session_key(session_id))
        if raw is None:
            return Session(None, {})
        data = json.loads(raw)
        now = time.time()
        if now - float(data.get("created", 0)) > self.absolute:
            await self.store.delete(session_key(session_id))
            return Session(None, {})
        session = Session(session_id, data)
        if now - float(data.get("seen", 0)) > _TOUCH_EVERY:
            session["seen"] = now
        return session

    async def _save(self, session: Session) -> str | None:
        for old in session.previous_ids:
            await self.store.delete(session_key(old))
        session.previous_ids.clear()
        if session.ended and not session:
            return self._cookie("", max_age=0)
        if not session.changed or not session:
            return None
        fresh = session.id is None
        session_id = session.id = session.id or secrets.token_urlsafe(32)
        if fresh:
            session.setdefault("created", time.time())
            session.setdefault("seen", time.time())
        await self.store.set(
            session_key(session_id), json.dumps(dict(session), default=str), ttl=self.idle
        )
        user_id = session.get("user", {}).get("id")
        if fresh and user_id is not None:
            index = f"{USER_SESSIONS_PREFIX}{user_id}"
            await self.store.zadd(index, {session_key(session_id): time.time()})
            await self.store.expire(index, self.absolute)
        return self._cookie(session_id, max_age=None) if fresh else None

    def _cookie(self, value: str, *, max_age: int | None) -> str:
        parts = [f"{self.cookie_name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if self.secure:
            parts.append("Secure")
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        return "; ".join(parts)


async def end_all_sessions(store: KeyValueStore, user_id: int) -> int:
    """Sign a user out everywhere: drop every session recorded for them."""
    index = f"{USER_SESSIONS_PREFIX}{user_id}"
    keys = [key for key, _ in await store.zrevrange(index, 0, -1)]
    ended = await store.delete(*keys) if keys else 0
    await store.delete(index)
    return ended
