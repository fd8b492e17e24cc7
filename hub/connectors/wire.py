"""One HTTP exchange with a backend, its failures translated into :class:`BackendError`.

Adapters call :func:`send` for the request and :func:`json_body` for the
answer; vendor-specific error bodies (Moodle's HTTP 200 exceptions, Mautic's
``errors`` array) are read by the adapter between the two. Messages never
include request headers, query strings or bodies, which may carry secrets.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from hub.connectors.base import (
    BackendAuthError,
    BackendError,
    BackendRateLimited,
    BackendUnavailable,
    MalformedResponse,
)

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Bodies above this are refused: no API we read documents answers that large."""


async def send(
    http: httpx.AsyncClient,
    backend: str,
    method: str,
    url: str,
    *,
    time_limit: float,
    **request: Any,
) -> httpx.Response:
    """Send one request; network failures and timeouts become :class:`BackendUnavailable`."""
    try:
        return await http.request(method, url, timeout=time_limit, **request)
    except httpx.TimeoutException:
        raise BackendUnavailable(f"{backend}: timed out after {time_limit:g}s") from None
    except httpx.HTTPError as exc:
        raise BackendUnavailable(f"{backend}: {type(exc).__name__}") from None


def raise_for_status(response: httpx.Response, backend: str) -> None:
    """Translate a non-2xx status into the matching :class:`BackendError`."""
    status = response.status_code
    if status < 300:
        return
    where = f"{backend}: HTTP {status} from {response.request.url.path}"
    if status in (401, 403):
        raise BackendAuthError(where)
    if status == 429:
        raise BackendRateLimited(where)
    if status >= 500:
        raise BackendUnavailable(where)
    raise BackendError(where)


def json_body(response: httpx.Response, backend: str) -> Any:
    """The response's JSON, refusing oversized, empty or unparseable bodies."""
    body = response.content
    if len(body) > MAX_BODY_BYTES:
        raise MalformedResponse(f"{backend}: body of {len(body)} bytes is too large")
    if not body.strip():
        raise MalformedResponse(f"{backend}: empty body")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedResponse(f"{backend}: body is not valid JSON") from None
