"""Turn an unhandled exception into the 500 page inside our middleware stack.

Starlette's own server-error handler sits outside every user middleware, so
its response would miss the security headers and request id; this one does not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.middleware.request_id import request_id_of

log = logging.getLogger("hub.errors")
ErrorResponder = Callable[[Scope, int, str | None], Response]


class CrashGuardMiddleware:
    def __init__(self, app: ASGIApp, *, error: ErrorResponder) -> None:
        self.app = app
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception(
                "unhandled error",
                extra={"request_id": request_id_of(scope), "path": scope.get("path")},
            )
            if started:
                raise
            await self.error(scope, 500, None)(scope, receive, send)
