"""What every adapter shares: HTTP failures as BackendErrors, strict shape readers, OAuth tokens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from hub.connectors import shapes
from hub.connectors.base import (
    BackendAuthError,
    BackendError,
    BackendRateLimited,
    BackendUnavailable,
    MalformedResponse,
)
from hub.connectors.client_credentials import ClientCredentials
from hub.connectors.wire import MAX_BODY_BYTES, json_body, raise_for_status, send

pytestmark = pytest.mark.anyio


def answered(status: int, body: bytes = b"{}") -> httpx.Response:
    return httpx.Response(
        status, content=body, request=httpx.Request("GET", "https://b.example/x?token=s3cret")
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, BackendAuthError),
        (403, BackendAuthError),
        (429, BackendRateLimited),
        (500, BackendUnavailable),
        (503, BackendUnavailable),
        (400, BackendError),
        (404, BackendError),
    ],
)
def test_statuses_become_backend_errors_without_the_query(
    status: int, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        raise_for_status(answered(status), "backend")
    assert "s3cret" not in str(raised.value)
    assert str(status) in str(raised.value)


def test_2xx_passes() -> None:
    raise_for_status(answered(204), "backend")


@pytest.mark.parametrize(
    "body", [b"", b"  ", b"{", b"\xff\xfe", b"[" * 100_000, b"x" * (MAX_BODY_BYTES + 1)]
)
def test_unusable_bodies_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        json_body(answered(200, body), "backend")


async def test_network_failures_and_timeouts_are_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        with pytest.raises(BackendUnavailable, match="ConnectError"):
            await send(http, "backend", "GET", "https://b.example/", time_limit=1.0)


def test_shape_readers_name_where_things_went_wrong() -> None:
    with pytest.raises(MalformedResponse, match=r"contacts\[3\]: expected an object, got an array"):
        shapes.obj([], "contacts[3]")
    with pytest.raises(MalformedResponse, match="missing 'id'"):
        shapes.integer({}, "id", "course")
    assert shapes.as_int("42", "n") == 42
    with pytest.raises(MalformedResponse):
        shapes.as_int(True, "n")
    with pytest.raises(MalformedResponse):
        shapes.as_decimal("NaN", "n")
    assert shapes.as_decimal(0.1, "n") == Decimal("0.1")
    assert shapes.unix_time(0, "t") is None
    with pytest.raises(MalformedResponse):
        shapes.unix_time(10**20, "t")
    assert shapes.iso_datetime("2026-11-22T10:00:00+02:00", "t") == datetime(
        2026, 11, 22, 8, tzinfo=UTC
    )
    assert shapes.iso_datetime("2026-11-22T10:00:00+02:00", "t").tzinfo == timezone(
        timedelta(hours=2)
    )
    with pytest.raises(MalformedResponse, match="without a time zone"):
        shapes.iso_datetime("2026-11-22 10:00:00", "t")
    assert shapes.iso_datetime("2026-11-22 10:00:00", "t", naive_is_utc=True).tzinfo == UTC
    assert shapes.iso_date("2026-11-22T23:30:00Z", "d") == date(2026, 11, 22)
    with pytest.raises(MalformedResponse):
        shapes.iso_date("22/11/2026", "d")


async def test_client_credentials_cache_the_token_until_it_nearly_expires() -> None:
    now = [1000.0]
    fetched: list[str] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        fetched.append(request.headers["Authorization"])
        return httpx.Response(
            200,
            json={"access_token": f"t{len(fetched)}", "token_type": "bearer", "expires_in": 120},
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(token_endpoint)) as http:
        tokens = ClientCredentials(
            http, "b", "https://b.example/token", "id", "secret", clock=lambda: now[0]
        )
        assert await tokens.token() == "t1"
        now[0] += 80  # within 120 s less the 30 s margin
        assert await tokens.token() == "t1"
        now[0] += 15
        assert await tokens.token() == "t2"
        tokens.invalidate()
        assert await tokens.token() == "t3"
    assert all(header.startswith("Basic ") for header in fetched)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, json={"token_type": "bearer"}),
        httpx.Response(200, json={"access_token": "x", "token_type": "mac"}),
        httpx.Response(200, json={"access_token": "x", "expires_in": "soon"}),
        httpx.Response(200, text="<html>"),
    ],
)
async def test_odd_token_answers_are_malformed(answer: httpx.Response) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda request: answer)) as http:
        with pytest.raises(MalformedResponse):
            await ClientCredentials(http, "b", "https://b.example/token", "id", "secret").token()
