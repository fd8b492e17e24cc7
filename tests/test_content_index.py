"""The library's index from the demo sandboxes: every source's items, a failing source's kept
stale, superseding and targeting carried from the source, and the seam other sources use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hub.connectors.content import ContentKind, ContentRecord
from hub.db import Database
from hub.db.content import ContentItem, ContentRule
from hub.resources import Hub
from hub.services.content.index import apply_rules, refresh_index, upsert, withdraw
from hub.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
async def demo_hub(settings: Settings, db: Database) -> AsyncIterator[Hub]:
    """The hub with the demo sandboxes in process (``db`` empties the tables afterwards)."""
    built = Hub.from_settings(settings)
    yield built
    await built.close()


async def _items(hub: Hub) -> list[ContentItem]:
    async with hub.db.session() as session:
        return list(await session.scalars(select(ContentItem).order_by(ContentItem.id)))


async def test_refresh_reads_every_source_and_keeps_a_failing_ones_items(demo_hub: Hub) -> None:
    """One test, since the sandboxes take seconds to seed: every source, then one down."""
    hub = demo_hub
    report = await refresh_index(hub.db, hub.backends)
    assert report.failed == []
    assert report.indexed == {
        "mautic": 7, "salesforce": 9, "moodle": 4, "lrs": 29, "questions": 0
    }  # fmt: skip
    items = await _items(hub)
    assert {item.language for item in items} == {"en", "de"}
    video = next(item for item in items if item.title == "Cloud Backup 5 in three minutes")
    assert (video.kind, video.duration_seconds) == (ContentKind.VIDEO, 185)
    assert video.collection == "Sales"
    assert video.url.endswith("/lightning/r/ContentDocument/069000000000027AAA/view")
    kit = next(item for item in items if item.title == "Cloud Backup 5 launch kit")
    assert (kit.kind, kit.source) == (ContentKind.CAMPAIGN_KIT, "mautic")
    gold = next(item for item in items if item.title == "Gold partner rebate schedule")
    assert gold.aud_tiers == "|gold|"  # from the file's tag ``tier:Gold``
    recording = next(item for item in items if item.source == "moodle" and item.kind == "video")
    assert recording.activity_id == recording.url
    assert recording.summary.startswith("The recorded live session")  # HTML intro read as text

    short = next(
        item for item in items if item.title == "Einen Server in vier Minuten wiederherstellen"
    )
    assert (short.source, short.kind, short.language, short.duration_seconds) == (
        "lrs", ContentKind.VIDEO, "de", 238
    )  # fmt: skip
    assert short.url == "https://academy.vendor.example/watch/restore-a-server-in-four-minutes"
    assert str(short.activity_id).startswith("https://academy.vendor.example/xapi/activities/")
    explained = next(item for item in items if item.title == "Deal registration explained")
    assert explained.aud_personas == "|partner_owner|sales_rep|"  # from the LRS's tags

    before = {item.id: item for item in await _items(hub)}
    down = {"salesforce", "lrs"}
    for name in down:
        hub.sandbox_knobs[name].update({"down": True})
    report = await refresh_index(hub.db, hub.backends)
    assert set(report.failed) == down
    after = await _items(hub)
    assert len(after) == len(before)
    for item in after:
        assert item.stale == (item.source in down)
        if item.source not in down:
            assert item.indexed_at > before[item.id].indexed_at
    for name in down:
        hub.sandbox_knobs[name].update({"down": False})
    await refresh_index(hub.db, hub.backends)
    assert not any(item.stale for item in await _items(hub))


async def test_another_source_feeds_items_through_upsert(hub: Hub) -> None:
    """The seam for answered public questions or any other source of the hub's own."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    record = ContentRecord(
        external_id="q-1",
        title="How do I renew a licence?",
        summary="Answered by the licensing team.",
        kind=ContentKind.DOCUMENT,
        language="en",
        url="/questions/1",
        published_at=now,
        updated_at=now,
        tags=("persona:sales_rep",),
    )
    newer = replace(record, external_id="q-2", supersedes="q-1")
    async with hub.db.transaction() as session:
        await upsert(session, "questions", [record, newer])
        session.add(ContentRule(scope="source", source="questions", regions=["EMEA"]))
        await session.flush()
        await apply_rules(session)
    items = {item.external_id: item for item in await _items(hub)}
    assert items["q-1"].superseded_by_id == items["q-2"].id
    assert (items["q-2"].aud_personas, items["q-2"].aud_regions) == ("|sales_rep|", "|emea|")
    async with hub.db.transaction() as session:
        await withdraw(session, "questions", ["q-1", "q-2"])
    assert await _items(hub) == []
