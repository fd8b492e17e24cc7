"""The web shell: security headers, CSRF, body limits, error pages, health."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from hub.resources import Hub
from hub.settings import Settings
from tests.helpers import csrf_from, demo_sign_in

pytestmark = pytest.mark.anyio


async def test_security_headers_on_pages_and_errors(client: httpx.AsyncClient) -> None:
    for path in ("/auth/login", "/no/such/page", "/api/me"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert len(response.headers["x-request-id"]) >= 8


async def test_pages_carry_no_inline_script(client: httpx.AsyncClient) -> None:
    html = (await client.get("/auth/login")).text
    assert "<script>" not in html
    assert 'src="/static/vendor/htmx.min.js' in html


async def test_htmx_is_served_by_the_hub(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/vendor/htmx.min.js")
    assert response.status_code == 200
    assert "htmx" in response.text[:2000]


async def test_request_id_is_echoed_when_sane(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "abc12345-trace"})
    assert response.headers["x-request-id"] == "abc12345-trace"
    forged = await client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert forged.headers["x-request-id"] != "<script>alert(1)</script>"


async def test_not_found_and_method_not_allowed_pages(
    client: httpx.AsyncClient, seeded: Hub
) -> None:
    page = await client.get("/nowhere")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "There is nothing at this address" in page.text
    api = await client.get("/api/nowhere")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["title"] == "Not Found"
    wrong = await client.delete("/healthz")
    assert wrong.status_code in (403, 405)  # CSRF guards unsafe methods before routing
    token = csrf_from((await client.get("/auth/demo")).text)
    wrong = await client.put("/healthz", headers={"X-CSRF-Token": token})
    assert wrong.status_code == 405


async def test_post_without_csrf_token_is_refused(client: httpx.AsyncClient, seeded: Hub) -> None:
    await demo_sign_in(client, "owner@acme.example")
    response = await client.post("/auth/logout")
    assert response.status_code == 403
    assert "security token" in response.text
    assert (await client.get("/api/me")).status_code == 200  # still signed in


async def test_wrong_csrf_token_and_htmx_header(client: httpx.AsyncClient, seeded: Hub) -> None:
    token = await demo_sign_in(client, "owner@acme.example")
    assert (await client.post("/auth/logout", data={"csrf_token": "guess"})).status_code == 403
    refused = await client.post("/auth/logout", headers={"HX-Request": "true"})
    assert refused.status_code == 403
    accepted = await client.post(
        "/auth/logout", headers={"HX-Request": "true", "X-CSRF-Token": token}
    )
    assert accepted.status_code == 303


async def test_cross_origin_post_is_refused_even_with_a_token(
    client: httpx.AsyncClient, seeded: Hub
) -> None:
    token = await demo_sign_in(client, "owner@acme.example")
    response = await client.post(
        "/auth/logout",
        data={"csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "another site" in response.text


async def test_oversized_body_is_413(client: httpx.AsyncClient, settings: Settings) -> None:
    body = b"x" * (settings.max_body_bytes + 1)
    response = await client.post("/auth/demo", content=body)
    assert response.status_code == 413
    assert "larger than" in response.text


async def test_streamed_oversized_body_is_413(
    client: httpx.AsyncClient, settings: Settings, seeded: Hub
) -> None:
    token = csrf_from((await client.get("/auth/demo")).text)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"y" * 65536

    # No Content-Length: the limit must hold while the body streams in.
    response = await client.post(
        "/auth/demo",
        content=chunks(),
        headers={"X-CSRF-Token": token, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


async def test_malformed_form_is_a_clear_4xx(client: httpx.AsyncClient, seeded: Hub) -> None:
    page = await client.get("/auth/demo")
    response = await client.post(
        "/auth/demo",
        content=b"email=%ZZ%&&=&csrf_token=" + csrf_from(page.text).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= response.status_code < 500


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "store": "ok"}


async def test_readiness_fails_when_the_database_is_gone(settings: Settings, hub: Hub) -> None:
    from hub.app import create_app
    from hub.db import Database

    broken = Hub(
        settings=settings,
        db=Database("sqlite+aiosqlite:////nonexistent-dir/hub.db"),
        store=hub.store,
        http=hub.http,
    )
    transport = httpx.ASGITransport(app=create_app(settings, broken))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")


async def test_unhandled_error_is_a_500_page_without_internals(
    settings: Settings, hub: Hub
) -> None:
    from hub.app import create_app

    app = create_app(settings, hub)

    async def explode(request: Request) -> PlainTextResponse:
        raise RuntimeError("secret internal detail")

    app.router.routes.append(Route("/explode", explode))
    app.router.routes.append(Route("/api/explode", explode))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        page = await http.get("/explode")
        api = await http.get("/api/explode")
    assert page.status_code == 500
    assert "secret internal detail" not in page.text
    assert "Traceback" not in page.text
    assert "content-security-policy" in page.headers
    assert api.status_code == 500
    assert api.headers["content-type"] == "application/problem+json"


async def test_session_cookie_flags(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/login")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


async def test_secure_cookie_name_and_flag_over_https(
    tmp_path: object, database_url: str, hub: Hub
) -> None:
    from pathlib import Path

    from hub.app import create_app
    from tests.conftest import make_settings

    assert isinstance(tmp_path, Path)
    settings = make_settings(
        tmp_path, database_url, base_url="https://hub.example.com", demo_allow_remote=True
    )
    app: Starlette = create_app(settings, hub)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://hub.example.com") as http:
        response = await http.get("/auth/login")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-hub_session=")
    assert "Secure" in cookie
    assert "max-age=31536000" in response.headers["strict-transport-security"]


async def test_error_pages_speak_the_browsers_language(client: httpx.AsyncClient) -> None:
    page = await client.get("/nowhere", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert page.status_code == 404
    assert "Nicht gefunden" in page.text
    assert "Unter dieser Adresse gibt es nichts." in page.text
    api = await client.get("/api/nowhere", headers={"Accept-Language": "de"})
    assert api.json()["title"] == "Not Found"  # machines read the standard phrase
