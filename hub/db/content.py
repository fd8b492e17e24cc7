"""The content library's tables: the index of items, administrators' rules, readers' visits.

``content_items`` is the hub's index of what the backends publish (and the
announcements administrators write, source ``hub``). Its ``aud_*`` columns hold
who an item is meant for once its source's tags and every rule that applies are
merged (:mod:`hub.services.content.audience`): ``|a|b|`` lists the values that
match, ``""`` matches anyone. ``search_text`` holds the title and summary as
stems of the item's language, for SQLite's FTS5 table; PostgreSQL indexes a
generated ``tsvector`` column instead. Both are made by migration 0010.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import utcnow


class ContentItem(Base):
    """One item of the library, as last indexed from its source."""

    __tablename__ = "content_items"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_content_items_source_external_id"),
        Index("ix_content_items_published_at", "published_at"),
        Index("ix_content_items_pinned_until", "pinned_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(8), default="en")
    duration_seconds: Mapped[int | None] = mapped_column(default=None)
    published_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    url: Mapped[str] = mapped_column(String(2000))
    collection: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    activity_id: Mapped[str | None] = mapped_column(String(1000), default=None)
    supersedes: Mapped[str | None] = mapped_column(String(200), default=None)
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("content_items.id", ondelete="SET NULL"), default=None
    )
    pinned_until: Mapped[datetime | None] = mapped_column(default=None)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow)
    aud_personas: Mapped[str] = mapped_column(String(500), default="")
    aud_partner_types: Mapped[str] = mapped_column(String(500), default="")
    aud_tiers: Mapped[str] = mapped_column(String(500), default="")
    aud_regions: Mapped[str] = mapped_column(String(500), default="")
    aud_languages: Mapped[str] = mapped_column(String(500), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")


class ContentRule(Base):
    """An administrator's targeting for a whole source, one collection of it, or one item.

    Empty lists match anyone. An item rule may also pin the item until a time, or
    mark it superseded by another item of its source (``superseded_by``, an external id).
    """

    __tablename__ = "content_rules"
    __table_args__ = (
        UniqueConstraint(
            "scope", "source", "collection", "external_id", name="uq_content_rules_target"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))  # source | collection | item
    source: Mapped[str] = mapped_column(String(64))
    collection: Mapped[str] = mapped_column(String(200), default="")
    external_id: Mapped[str] = mapped_column(String(200), default="")
    personas: Mapped[list[str]] = mapped_column(default=list)
    partner_types: Mapped[list[str]] = mapped_column(default=list)
    tiers: Mapped[list[str]] = mapped_column(default=list)
    regions: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    pinned_until: Mapped[datetime | None] = mapped_column(default=None)
    superseded_by: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContentVisit(Base):
    """When a person last opened the library: what is "new for you" is newer than this."""

    __tablename__ = "content_visits"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    visited_at: Mapped[datetime] = mapped_column()
