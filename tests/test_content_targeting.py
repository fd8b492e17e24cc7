"""Targeting on a matrix of personas and segments against a brute-force reference, and the
homepage widget showing each persona the new and pinned items meant for them only."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from hub.connectors.content import ContentKind, ContentRecord
from hub.db import Database
from hub.db.content import ContentItem, ContentRule
from hub.resources import Hub
from hub.services.content.audience import (
    DIMENSIONS,
    Reader,
    applies,
    meant_for,
    rule_audience,
    visible_to,
)
from hub.services.content.index import apply_rules, upsert
from tests.content_corpus import load_catalogue
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 12, 1, tzinfo=UTC)
VALUES = {
    "personas": ["partner_owner", "sales_rep", "marketer", "support"],
    "partner_types": ["Reseller", "MSP"],
    "tiers": ["Gold", "Silver", "Registered"],
    "regions": ["EMEA", "APAC"],
    "languages": ["en", "de"],
}
TAG_OF = {"personas": "persona", "partner_types": "type", "tiers": "tier", "regions": "region",
          "languages": "language"}  # fmt: skip


def _some(draw: random.Random, dimension: str) -> list[str]:
    """No values (anyone), or one or two of the dimension's."""
    return draw.sample(VALUES[dimension], draw.choice([0, 0, 1, 2]))


async def test_sql_targeting_matches_the_reference_on_every_persona_and_segment(
    db: Database,
) -> None:
    draw = random.Random(13)
    collections = ["Sales", "Brand", "Support"]
    records = []
    for number in range(60):
        tags = [
            f"{TAG_OF[d]}:{v}" for d in DIMENSIONS if draw.random() < 0.3 for v in _some(draw, d)
        ]
        records.append(
            ContentRecord(
                external_id=str(number),
                title=f"Item {number}",
                summary="",
                kind=ContentKind.DOCUMENT,
                language="en",
                url=f"https://files.example/{number}",
                published_at=NOW,
                updated_at=NOW,
                collection=draw.choice(collections),
                tags=tuple(tags),
            )
        )
    rules = [ContentRule(scope="source", source="files", tiers=["Gold", "Silver"])]
    for collection in collections[:2]:
        rules.append(
            ContentRule(
                scope="collection",
                source="files",
                collection=collection,
                **{d: _some(draw, d) for d in ("personas", "regions")},
            )
        )
    for number in draw.sample(range(1, 60), 12):
        rules.append(
            ContentRule(
                scope="item",
                source="files",
                external_id=str(number),
                **{d: _some(draw, d) for d in DIMENSIONS},
            )
        )
    rules.append(  # a rule that matches nobody: a tier no org has
        ContentRule(scope="item", source="files", external_id="0", tiers=["Platinum"])
    )
    async with db.transaction() as session:
        await upsert(session, "files", records)
        session.add_all(rules)
        await session.flush()
        await apply_rules(session)
    async with db.session() as session:
        items = list(await session.scalars(select(ContentItem)))
        stored_rules = list(await session.scalars(select(ContentRule)))
        readers = [
            Reader(persona, partner_type, tier, region, language)
            for persona, partner_type, tier, region, language in itertools.product(
                *(VALUES[d] for d in DIMENSIONS)
            )
        ]
        assert len(readers) == 96
        seen_any = 0
        for reader in readers:
            found = set(
                await session.scalars(select(ContentItem.external_id).where(visible_to(reader)))
            )
            expected = {
                item.external_id
                for item in items
                if meant_for(
                    item.tags,
                    [rule_audience(r) for r in stored_rules if applies(r, item)],
                    reader,
                )
            }
            assert found == expected, reader
            assert "0" not in found
            seen_any += bool(found)
        assert seen_any > 48  # the matrix is not trivially empty
        vendor = Reader("channel_manager", vendor=True)
        assert (
            len(set(await session.scalars(select(ContentItem.id).where(visible_to(vendor))))) == 60
        )


async def test_widget_shows_pinned_and_new_items_meant_for_the_persona(
    seeded: Hub, client: httpx.AsyncClient
) -> None:
    await load_catalogue(seeded.db, pin="video")
    await demo_sign_in(client, "support@acme.example")
    widget = await client.get("/widgets/content_for_you")
    assert widget.status_code == 200
    assert "Pinned" in widget.text
    assert "Launch in three minutes" in widget.text
    assert "Support escalation handbook" in widget.text  # meant for support
    assert "Gold rebate schedule" in widget.text  # Acme is Gold
    assert "Silver onboarding guide" not in widget.text
    assert "Old launch kit" not in widget.text
    assert "New in the last 30 days." in widget.text
    await client.get("/content")  # a visit: what was new is seen now
    after = await client.get("/widgets/content_for_you")
    assert "Launch in three minutes" in after.text  # still pinned
    assert "Support escalation handbook" not in after.text
    assert "New since your last visit to the library" in after.text
    await demo_sign_in(client, "marketer@globex.example")
    other = await client.get("/widgets/content_for_you")
    assert "Support escalation handbook" not in other.text
    assert "Gold rebate schedule" not in other.text
    assert "Silver onboarding guide" in other.text
