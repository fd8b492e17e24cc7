"""Small steps tests share: reading a page's CSRF token, signing in as a demo person."""

from __future__ import annotations

import re

import httpx

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


async def demo_sign_in(client: httpx.AsyncClient, email: str, next_path: str = "/") -> str:
    """Sign in through the demo page as a person; the session's CSRF token afterwards."""
    page = await client.get("/auth/demo")
    assert page.status_code == 200
    response = await client.post(
        "/auth/demo",
        data={"email": email, "next": next_path, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303, response.text
    home = await client.get("/auth/login")  # any page: it carries the new session's token
    follow = await client.get(home.headers.get("location", "/")) if home.is_redirect else home
    return csrf_from(follow.text)
