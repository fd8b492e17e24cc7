"""Video completion from the learning record store: in the demo, following a video's "watch"
link into the Moodle portal records an xAPI ``completed`` statement, and the next index pass
turns it into a ``content_completed`` event of the person's own, once."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape

import httpx
import pytest
from sqlalchemy import select

from hub.app import create_app
from hub.db import ActivityEvent, Database, User
from hub.db.content import ContentItem
from hub.demo.seed import seed_demo
from hub.resources import Hub
from hub.scheduler import run_content
from hub.settings import Settings
from tests.conftest import BASE_URL
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
async def demo_hub(settings: Settings, db: Database) -> AsyncIterator[Hub]:
    built = Hub.from_settings(settings)
    await seed_demo(built.db)
    yield built
    await built.close()


async def test_watching_a_video_records_its_completion_once(demo_hub: Hub) -> None:
    await run_content(demo_hub)
    async with demo_hub.db.session() as session:
        video = await session.scalar(
            select(ContentItem).where(ContentItem.source == "moodle", ContentItem.kind == "video")
        )
        support = await session.scalar(select(User).where(User.email == "support@acme.example"))
    assert video is not None
    assert support is not None
    transport = httpx.ASGITransport(app=create_app(demo_hub.settings, demo_hub))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        await demo_sign_in(client, "support@acme.example")
        opened = await client.get(f"/content/{video.id}/open")
        assert opened.status_code == 303
        assert opened.headers["location"] == video.url
        # The LMS stand-in signs the person in through the hub (SAML), then plays the video.
        start = await client.get(opened.headers["location"], follow_redirects=True)
        assert str(start.url).startswith(f"{BASE_URL}/idp/saml/sso?")
        posted = {
            name: unescape(value)
            for name, value in re.findall(
                r'name="(SAMLResponse|RelayState)" value="([^"]+)"', start.text
            )
        }
        portal = await client.post("/demo/saml-acs/moodle", data=posted, follow_redirects=True)
        assert portal.status_code == 200
        assert str(portal.url) == BASE_URL + video.url, "it lands on the video, query and all"
    assert demo_hub.content_wanted.is_set()
    await run_content(demo_hub)
    await run_content(demo_hub)  # a second pass records nothing twice
    async with demo_hub.db.session() as session:
        done = list(
            await session.scalars(
                select(ActivityEvent).where(ActivityEvent.kind == "content_completed")
            )
        )
    assert [
        (e.user_id, e.partner_org_id, e.object) for e in done if e.object == f"content:{video.id}"
    ] == [(support.id, support.partner_org_id, f"content:{video.id}")]
    # The LRS's own short video, in English and German: in the sandbox support@acme.example
    # and marketer@globex.example finished it lately; each recorded for both items, once.
    async with demo_hub.db.session() as session:
        lrs_video = list(
            await session.scalars(
                select(ContentItem).where(
                    ContentItem.source == "lrs", ContentItem.activity_id.like("%restore-a-server%")
                )
            )
        )
        marketer = await session.scalar(select(User).where(User.email == "marketer@globex.example"))
    assert {item.language for item in lrs_video} == {"en", "de"}
    watched = [e for e in done if e.object in {f"content:{item.id}" for item in lrs_video}]
    assert marketer is not None
    assert sorted(e.user_id or 0 for e in watched) == sorted([support.id, marketer.id] * 2)
