"""The content library's common language: what a backend's document, asset or course is.

A backend that holds content partners should find (Mautic assets, Salesforce
Files, Moodle resources) implements :class:`ContentSource`: one call that
lists what it has now. The hub keeps its own index of these records and links
to the item in its system instead of copying files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from hub.connectors.base import Connector


class ContentKind(StrEnum):
    """What an item is, as the library's type filter offers it."""

    DOCUMENT = "document"
    VIDEO = "video"
    CAMPAIGN_KIT = "campaign_kit"
    COURSE = "course"
    ASSESSMENT = "assessment"  # a test of what a course taught (xAPI)
    ANNOUNCEMENT = "announcement"
    ANSWER = "answer"  # an expert's published answer to a partner's question


@dataclass(frozen=True, slots=True)
class ContentRecord:
    """One item as its source has it.

    ``external_id`` is stable in the source; ``url`` is where the item opens (the
    backend's portal); ``tags`` are the source's tags or categories, of which
    ``persona:…``, ``tier:…``, ``region:…``, ``type:…`` and ``language:…`` carry
    targeting; ``supersedes`` names the external id of an older item this one
    replaces; ``activity_id`` is the xAPI activity id a learning record store
    reports its completion under.
    """

    external_id: str
    title: str
    summary: str
    kind: ContentKind
    language: str
    url: str
    published_at: datetime
    updated_at: datetime
    duration_seconds: int | None = None
    collection: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    supersedes: str | None = None
    activity_id: str | None = None


@runtime_checkable
class ContentSource(Connector, Protocol):
    """A backend whose documents, assets or courses belong in the library."""

    async def content(self) -> list[ContentRecord]:
        """Every item the backend publishes to partners now (unpublished ones left out)."""
        ...


@runtime_checkable
class CompletionSource(Connector, Protocol):
    """A learning record store: who finished an activity the library links to."""

    async def completed_by(self, activity_id: str) -> list[tuple[str, datetime]]:
        """The emails of the people who completed ``activity_id``, with when."""
        ...
