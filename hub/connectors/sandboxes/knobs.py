"""Fault knobs shared by every sandbox: latency, error rate, hangs, malformed bodies, outage.

Usage, in a sandbox module::

    knobs = Knobs(latency=0.1)
    app = with_knobs(Starlette(routes=...), knobs)

``with_knobs`` wraps any ASGI app in :class:`KnobsMiddleware`, which answers
the control route itself (``GET``/``POST /__sandbox/knobs``, JSON; never
subject to the faults) and applies the knobs to every other HTTP request, in
this order: ``down`` (503 at once), ``latency`` (sleep), ``hang`` (never
answer), ``error_rate`` (503 for that share of requests), ``malformed``
(200 with a body that is not the API's shape). A sandbox may pass its own
``fault_response`` so errors look like its vendor's.

The API of this module is stable: other sandboxes depend on it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

CONTROL_PATH = "/__sandbox/knobs"
MALFORMED_BODY = b'{"unexpected": ["this is not'
"""What a malformed answer carries: truncated JSON, as a cut connection would leave it."""

FaultResponse = Callable[[int, str], Response]
"""Builds the response for an injected failure from its status code and a reason."""


class KnobsError(ValueError):
    """A knob was given a value it cannot take; the message names the knob."""


@dataclass
class Knobs:
    """How badly a sandbox behaves; change it at any time, requests see it at once.

    ``latency`` is seconds added before every answer; ``error_rate`` the share
    (0..1) of requests answered 503; ``hang`` makes every request wait forever
    (a client timeout is the only way out); ``malformed`` answers 200 with a
    truncated body; ``down`` answers 503 at once, as a load balancer in front
    of a dead backend would. ``seed`` makes the error rate reproducible.
    """

    latency: float = 0.0
    error_rate: float = 0.0
    hang: bool = False
    malformed: bool = False
    down: bool = False
    seed: int | None = None
    requests: int = 0
    """How many requests reached the sandbox (not counting the control route)."""
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.update({})
        self._random.seed(self.seed)

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply ``changes`` (knob name → value) after checking all of them."""
        allowed = {"latency", "error_rate", "hang", "malformed", "down", "seed", "requests"}
        unknown = set(changes) - allowed
        if unknown:
            raise KnobsError(f"unknown knob(s): {', '.join(sorted(unknown))}")
        merged = {**self.as_dict(), **changes}
        for name in ("latency", "error_rate"):
            value = merged[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise KnobsError(f"{name}: expected a number >= 0, got {value!r}")
        if merged["error_rate"] > 1:
            raise KnobsError(f"error_rate: expected 0..1, got {merged['error_rate']!r}")
        for name in ("hang", "malformed", "down"):
            if not isinstance(merged[name], bool):
                raise KnobsError(f"{name}: expected true or false, got {merged[name]!r}")
        for name in ("seed", "requests"):
            value = merged[name]
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise KnobsError(f"{name}: expected an integer, got {value!r}")
        self.latency = float(merged["latency"])
        self.error_rate = float(merged["error_rate"])
        self.hang = merged["hang"]
        self.malformed = merged["malformed"]
        self.down = merged["down"]
        self.requests = merged["requests"] or 0
        if "seed" in changes:
            self.seed = merged["seed"]
            self._random.seed(self.seed)

    def as_dict(self) -> dict[str, Any]:
        """The knobs as JSON-ready values."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    def fails_now(self) -> bool:
        """Draw whether this request is one of the ``error_rate`` failures."""
        return self.error_rate > 0 and self._random.random() < self.error_rate


def default_fault_response(status: int, reason: str) -> Response:
    return JSONResponse({"error": reason}, status_code=status)


class KnobsMiddleware:
    """Pure ASGI middleware applying :class:`Knobs` and serving the control route."""

    def __init__(
        self,
        app: ASGIApp,
        knobs: Knobs,
        fault_response: FaultResponse = default_fault_response,
        control_path: str = CONTROL_PATH,
    ) -> None:
        self.app = app
        self.knobs = knobs
        self.fault_response = fault_response
        self.control_path = control_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == self.control_path:
            response = await self._control(Request(scope, receive))
            await response(scope, receive, send)
            return
        knobs = self.knobs
        knobs.requests += 1
        if knobs.down:
            await self.fault_response(503, "sandbox is down")(scope, receive, send)
            return
        if knobs.latency:
            await anyio.sleep(knobs.latency)
        if knobs.hang:
            await anyio.sleep_forever()
        if knobs.fails_now():
            await self.fault_response(503, "injected failure")(scope, receive, send)
            return
        if knobs.malformed:
            await self._malformed(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _control(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                changes = json.loads(await request.body() or b"{}")
                if not isinstance(changes, dict):
                    raise KnobsError("expected a JSON object of knob names to values")
                self.knobs.update(changes)
            except (ValueError, KnobsError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        elif request.method != "GET":
            return JSONResponse({"error": "GET or POST"}, status_code=405)
        return JSONResponse(self.knobs.as_dict())

    async def _malformed(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Run the real handler (so writes still happen) but swap its body.
        status = 200

        async def discard(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(scope, receive, discard)
        body = MALFORMED_BODY
        await send(
            {
                "type": "http.response.start",
                "status": status if status >= 400 else 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def with_knobs(
    app: ASGIApp, knobs: Knobs, fault_response: FaultResponse = default_fault_response
) -> KnobsMiddleware:
    """Wrap ``app`` so ``knobs`` apply to it and ``/__sandbox/knobs`` controls them."""
    return KnobsMiddleware(app, knobs, fault_response)


__all__ = [
    "CONTROL_PATH",
    "MALFORMED_BODY",
    "FaultResponse",
    "Knobs",
    "KnobsError",
    "KnobsMiddleware",
    "default_fault_response",
    "with_knobs",
]
