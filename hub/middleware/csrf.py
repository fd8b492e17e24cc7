"""CSRF protection for every unsafe method, htmx requests included.

A synchronizer token lives in the session; a request proves it knows it in the
``X-CSRF-Token`` header (htmx sends it from ``hx-headers``) or a ``csrf_token``
form field. A cross-origin ``Origin`` header is refused outright. Paths that
carry their own proof (a signed SAML response, a signed webhook) are exempt.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.middleware.sessions import session_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
HEADER = "x-csrf-token"
FIELD = "csrf_token"

ErrorResponder = Callable[[Scope, int, str], Response]


def csrf_token(conn: HTTPConnection) -> str:
    """This session's token, created on first use."""
    session = session_of(conn)
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class CSRFMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        base_url: str,
        exempt_prefixes: Sequence[str],
        error: ErrorResponder,
    ) -> None:
        self.app = app
        self.origin = _origin(base_url)
        self.exempt = tuple(exempt_prefixes)
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or scope["path"].startswith(self.exempt)
        ):
            await self.app(scope, receive, send)
            return

        conn = HTTPConnection(scope)
        origin = conn.headers.get("origin")
        if origin is not None and origin.lower() != self.origin:
            await self._refuse(scope, receive, send, "The request came from another site.")
            return

        expected = session_of(conn).get("csrf")
        sent = conn.headers.get(HEADER)
        body: list[Message] = []
        if sent is None and conn.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            sent, body = await self._token_from_form(scope, receive)
        if not (
            isinstance(expected, str)
            and isinstance(sent, str)
            and hmac.compare_digest(expected.encode(), sent.encode())
        ):
            await self._refuse(
                scope, receive, send, "The form's security token is missing or out of date."
            )
            return

        if body:
            replay = iter(body)

            async def replay_receive() -> Message:
                return next(replay, None) or await receive()

            await self.app(scope, replay_receive, send)
        else:
            await self.app(scope, receive, send)

    async def _token_from_form(
        self, scope: Scope, receive: Receive
    ) -> tuple[str | None, list[Message]]:
        # Read the whole body once (its size is already capped upstream) and
        # replay it to the app, so the endpoint can parse the form again.
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        sent = iter(replayed.copy())

        async def once() -> Message:
            return next(sent, {"type": "http.disconnect"})

        try:
            form = await Request(scope, once).form()
        except Exception:  # noqa: BLE001 - an unparsable form has no token
            return None, replayed
        token = form.get(FIELD)
        await form.close()
        return (token if isinstance(token, str) else None), replayed

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, detail: str) -> None:
        await self.error(scope, 403, detail + " Reload the page and try again.")(
            scope, receive, send
        )
