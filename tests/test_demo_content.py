"""The demo library's own part: each launch pinned once per reader, in the reader's language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from hub.db import Database
from hub.demo.content import seed_demo_content
from hub.resources import Hub
from hub.services.content.audience import Reader
from hub.services.content.for_you import for_you
from hub.services.content.index import refresh_index
from hub.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
async def demo_hub(settings: Settings, db: Database) -> AsyncIterator[Hub]:
    built = Hub.from_settings(settings)
    yield built
    await built.close()


async def test_a_reader_sees_the_launch_pinned_in_their_language_only(demo_hub: Hub) -> None:
    now = datetime.now(UTC)
    await seed_demo_content(demo_hub.db, now)
    await refresh_index(demo_hub.db, demo_hub.backends)
    await seed_demo_content(demo_hub.db, now)  # a second start changes nothing
    pinned = {}
    for language in ("en", "de"):
        reader = Reader("marketer", "Reseller", "Gold", "EMEA", language)
        async with demo_hub.db.session() as session:
            found = await for_you(session, reader, user_id=1, now=now)
        pinned[language] = sorted(item.title for item in found.pinned)
    assert pinned == {
        "en": ["Cloud Backup 5 is here", "Cloud Backup 5 launch kit"],
        "de": ["Cloud Backup 5 Launch-Kit", "Cloud Backup 5 ist da"],
    }
