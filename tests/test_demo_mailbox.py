"""The demo's mail server: the digest goes out over SMTP and each person reads only their own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hub.app import create_app
from hub.db import Database
from hub.demo import mailbox
from hub.digest_delivery import digest_pass
from hub.resources import Hub
from hub.store import KeyValueStore
from tests.conftest import BASE_URL, make_settings
from tests.helpers import demo_sign_in
from tests.test_digest import prepare

pytestmark = pytest.mark.anyio

LETTER = re.compile(r'href="/demo/mailbox\?letter=([^"]+)"')


@pytest.fixture
def mail_server(tmp_path: Path) -> Iterator[int]:
    server, port = mailbox.start(tmp_path)
    yield port
    server.stop()


async def test_the_digest_arrives_in_the_demo_mailbox_of_its_manager_only(
    tmp_path: Path, database_url: str, db: Database, store: KeyValueStore, mail_server: int
) -> None:
    await prepare(db)
    settings = make_settings(
        tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=mail_server,
        smtp_security="none", digest_weekday=0, digest_hour=7,
    )  # fmt: skip
    async with httpx.AsyncClient() as http:
        hub = Hub(settings=settings, db=db, store=store, http=http)
        report = await digest_pass(hub, datetime(2026, 12, 7, 8, tzinfo=UTC))
        assert report is not None
        assert report.sent == 2, "Casey's and Dana's digests went out over SMTP"
        transport = httpx.ASGITransport(app=create_app(settings, hub), client=("203.0.113.9", 1))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as web:
            await demo_sign_in(web, "cam@vendor.example")
            page = await web.get("/demo/mailbox")
            assert page.status_code == 200
            assert "Your partners this week" in page.text
            assert "dana@vendor.example" not in page.text, "Casey sees only Casey's letter"
            (casey,) = LETTER.findall(page.text)
            html = await web.get(f"/demo/mailbox/{casey}/html")
            assert html.status_code == 200
            assert html.headers["content-security-policy"].startswith("sandbox;")
            assert "/program/partners?status=dormant" in html.text

            web.cookies.clear()
            await demo_sign_in(web, "dana@vendor.example")
            dana = await web.get("/demo/mailbox")
            assert "Ihre Partner diese Woche" in dana.text
            assert (await web.get(f"/demo/mailbox?letter={casey}")).status_code == 404
            assert (await web.get(f"/demo/mailbox/{casey}/html")).status_code == 404

            web.cookies.clear()
            await demo_sign_in(web, "owner@acme.example")
            partner = await web.get("/demo/mailbox")
            assert "No letters yet" in partner.text, "a partner sees no vendor mail"
            assert (await web.get("/demo/mailbox?letter=../../etc/passwd")).status_code == 404

            web.cookies.clear()
            await demo_sign_in(web, "admin@vendor.example")
            everything = await web.get("/demo/mailbox")
            assert len(LETTER.findall(everything.text)) == 2, "the administrator sees every letter"


async def test_the_mailbox_is_not_there_outside_the_demo(
    tmp_path: Path, database_url: str, db: Database, store: KeyValueStore
) -> None:
    settings = make_settings(tmp_path, database_url, demo=False, secret_key="s" * 40)
    async with httpx.AsyncClient() as http:
        hub = Hub(settings=settings, db=db, store=store, http=http)
        transport = httpx.ASGITransport(app=create_app(settings, hub))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as web:
            assert (await web.get("/demo/mailbox")).status_code == 404
