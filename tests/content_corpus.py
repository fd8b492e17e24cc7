"""A small targeted catalogue for the content library's page and widget tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.connectors.content import ContentKind, ContentRecord
from hub.db import Database
from hub.db.content import ContentRule
from hub.services.content.index import apply_rules, upsert

NOW = datetime.now(UTC)


def record(
    key: str,
    title: str,
    *,
    tags: tuple[str, ...] = (),
    language: str = "en",
    kind: ContentKind = ContentKind.DOCUMENT,
    days: int = 1,
    url: str | None = None,
    duration: int | None = None,
) -> ContentRecord:
    return ContentRecord(
        external_id=key,
        title=title,
        summary=f"About {title.lower()}.",
        kind=kind,
        language=language,
        url=url or f"https://files.example/{key}",
        published_at=NOW - timedelta(days=days),
        updated_at=NOW - timedelta(days=days),
        duration_seconds=duration,
        tags=tags,
    )


CATALOGUE = [
    record("everyone", "Price list for everyone"),
    record("gold", "Gold rebate schedule", tags=("tier:Gold",)),
    record("silver", "Silver onboarding guide", tags=("tier:Silver",)),
    record("support", "Support escalation handbook", tags=("persona:support",)),
    record("german", "Preisliste für alle", language="de"),
    record("video", "Launch in three minutes", kind=ContentKind.VIDEO, duration=180),
    record("evil", "A link elsewhere", url="//evil.example/phish"),
    record("old", "Old launch kit", days=300),
]


async def load_catalogue(db: Database, *, pin: str | None = None) -> dict[str, int]:
    """The catalogue indexed as source ``files``; ids by external id. ``old`` is superseded."""
    async with db.transaction() as session:
        ids = await upsert(session, "files", CATALOGUE, complete=True)
        session.add(
            ContentRule(scope="item", source="files", external_id="old", superseded_by="everyone")
        )
        if pin:
            session.add(
                ContentRule(
                    scope="item",
                    source="files",
                    external_id=pin,
                    pinned_until=NOW + timedelta(days=7),
                )
            )
        await session.flush()
        await apply_rules(session)
    return {r.external_id: i for r, i in zip(CATALOGUE, ids, strict=True)}
