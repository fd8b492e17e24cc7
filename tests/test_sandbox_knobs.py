"""The sandboxes' fault knobs: each one changes what a client sees, and the control route works."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.connectors.sandboxes.knobs import (
    CONTROL_PATH,
    MALFORMED_BODY,
    Knobs,
    KnobsError,
    with_knobs,
)

pytestmark = pytest.mark.anyio


async def _hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "partner"})


def _client(knobs: Knobs) -> httpx.AsyncClient:
    app = with_knobs(Starlette(routes=[Route("/hello", _hello)]), knobs)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox")


async def test_untouched_knobs_pass_requests_through() -> None:
    knobs = Knobs()
    async with _client(knobs) as http:
        response = await http.get("/hello")
    assert response.json() == {"hello": "partner"}
    assert knobs.requests == 1


async def test_down_answers_503_and_control_route_still_works() -> None:
    knobs = Knobs(down=True)
    async with _client(knobs) as http:
        assert (await http.get("/hello")).status_code == 503
        changed = await http.post(CONTROL_PATH, json={"down": False, "latency": 0.01})
        assert changed.json()["down"] is False
        assert (await http.get("/hello")).status_code == 200
    assert knobs.latency == 0.01


async def test_latency_delays_each_answer() -> None:
    async with _client(Knobs(latency=0.05)) as http:
        started = time.perf_counter()
        await http.get("/hello")
        assert time.perf_counter() - started >= 0.05


async def test_error_rate_is_reproducible_with_a_seed() -> None:
    async def statuses() -> list[int]:
        async with _client(Knobs(error_rate=0.5, seed=7)) as http:
            return [(await http.get("/hello")).status_code for _ in range(20)]

    first = await statuses()
    assert first == await statuses()
    assert set(first) == {200, 503}


async def test_malformed_bodies_are_not_json() -> None:
    async with _client(Knobs(malformed=True)) as http:
        response = await http.get("/hello")
    assert response.status_code == 200
    assert response.content == MALFORMED_BODY


async def test_hang_never_answers() -> None:
    # ASGITransport ignores httpx timeouts, so the test bounds the wait itself.
    async with _client(Knobs(hang=True)) as http:
        with pytest.raises(TimeoutError), anyio.fail_after(0.05):
            await http.get("/hello")


async def test_bad_knob_values_are_refused_and_named() -> None:
    with pytest.raises(KnobsError, match="error_rate"):
        Knobs(error_rate=2)
    async with _client(Knobs()) as http:
        response = await http.post(CONTROL_PATH, json={"latency": "slow"})
        assert response.status_code == 400
        assert "latency" in response.json()["error"]
        assert (await http.post(CONTROL_PATH, json={"nope": 1})).status_code == 400
