"""An xAPI LRS's activities as library items: short videos, courses and assessments.

xAPI has no list of activities, so the library's are those statements referenced
lately: ``GET /statements?since=…&format=ids`` over the last ``library_days`` (default
90), every page. Each activity's definition then comes from the Activities resource
(``GET /activities?activityId=…``: the LRS's canonical definition, all its languages)
and the time it was first used from its oldest statement
(``GET /statements?activity=…&ascending=true&limit=1``), which dates the item.

An activity whose ``type`` is in :data:`KINDS` becomes one item per language of its
``name`` (``en-US`` → ``en``), with the ``description`` in that language as summary,
``moreInfo`` (else an ``http(s)`` activity id) as where it opens, and a video's
length from the xAPI Video Profile's ``length`` extension (seconds), and tags (which
carry targeting, as other sources' tags do) from the extension named by the
``library_tags_extension`` option. Activities of
other types (badges, questions) and those with nowhere to open stay out. The item
carries the activity id, so completions recorded in the LRS count for it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hub.connectors import shapes
from hub.connectors.base import MalformedResponse
from hub.connectors.content import ContentKind, ContentRecord

if TYPE_CHECKING:
    from hub.connectors.xapi import XAPIConnector

KINDS = {
    "https://w3id.org/xapi/video/activity-type/video": ContentKind.VIDEO,
    "http://adlnet.gov/expapi/activities/media": ContentKind.VIDEO,
    "http://adlnet.gov/expapi/activities/course": ContentKind.COURSE,
    "http://adlnet.gov/expapi/activities/module": ContentKind.COURSE,
    "http://adlnet.gov/expapi/activities/assessment": ContentKind.ASSESSMENT,
}
VIDEO_LENGTH = "https://w3id.org/xapi/video/extensions/length"
AT_ONCE = 8  # requests to the LRS in flight while reading definitions
LONGEST_ID = 190  # external ids above this are hashed (the index keeps 200 characters)


async def library(lrs: XAPIConnector) -> list[ContentRecord]:
    """The library items of the activities ``lrs``'s statements referenced lately."""
    since = (datetime.now(UTC) - lrs.library_window).isoformat().replace("+00:00", "Z")
    used = await _referenced(lrs, {"since": since, "format": "ids", "limit": str(lrs.page_size)})
    gate = asyncio.Semaphore(AT_ONCE)

    async def read(activity_id: str) -> list[ContentRecord]:
        async with gate:
            definition = await _definition(lrs, activity_id)
            kind = KINDS.get(str(definition.get("type") or ""))
            if kind is None:
                return []
            first = await _first_used(lrs, activity_id)
        return _records(activity_id, definition, kind, first, lrs.tags_extension)

    found = await asyncio.gather(*(read(activity_id) for activity_id in used))
    return [record for records in found for record in records]


async def _referenced(lrs: XAPIConnector, query: dict[str, str]) -> list[str]:
    """The ids of the activities the statements' objects name, newest use first, once each."""
    seen: dict[str, None] = {}
    for page in await lrs.pages(query):
        for i, raw in enumerate(page):
            target = shapes.obj(shapes.member(shapes.obj(raw, "statement"), "object", "statement"),
                                f"statements[{i}].object")  # fmt: skip
            if target.get("objectType", "Activity") == "Activity":
                seen.setdefault(shapes.text(target, "id", f"statements[{i}].object"), None)
    return list(seen)


async def _definition(lrs: XAPIConnector, activity_id: str) -> Mapping[str, Any]:
    where = f"activity {activity_id}"
    activity = shapes.obj(
        await lrs.get(lrs.base.join("activities"), {"activityId": activity_id}), where
    )
    if activity.get("id", activity_id) != activity_id:
        raise MalformedResponse(f"{lrs.config.name}: {where}: the LRS answered another activity")
    return shapes.obj(activity.get("definition") or {}, f"{where}.definition")


async def _first_used(lrs: XAPIConnector, activity_id: str) -> datetime:
    query = {"activity": activity_id, "ascending": "true", "limit": "1"}
    result = shapes.obj(await lrs.get(lrs.base.join("statements"), query), "StatementResult")
    oldest = shapes.arr(shapes.member(result, "statements", "StatementResult"), "statements")
    if not oldest:  # referenced a moment ago, so it has one; the LRS says otherwise
        raise MalformedResponse(f"{lrs.config.name}: no statement about {activity_id}")
    statement = shapes.obj(oldest[0], "statements[0]")
    when = statement.get("timestamp") or shapes.member(statement, "stored", "statements[0]")
    return shapes.iso_datetime(when, "statements[0].timestamp")


def _records(
    activity_id: str,
    definition: Mapping[str, Any],
    kind: ContentKind,
    first: datetime,
    tags_extension: str,
) -> list[ContentRecord]:
    where = f"activity {activity_id}.definition"
    names = _language_map(definition.get("name"), f"{where}.name")
    descriptions = _language_map(definition.get("description"), f"{where}.description")
    url = shapes.optional_text(definition, "moreInfo", where) or activity_id
    if not url.startswith(("https://", "http://")):
        return []  # nowhere to open it
    extensions = shapes.obj(definition.get("extensions") or {}, f"{where}.extensions")
    length = extensions.get(VIDEO_LENGTH)
    duration = None
    if length is not None and kind is ContentKind.VIDEO:
        duration = round(shapes.as_decimal(length, f"{where}.extensions.length"))
        if duration <= 0:
            raise MalformedResponse(f"{where}: a video length must be positive")
    tags = _tags(extensions.get(tags_extension), f"{where}.extensions") if tags_extension else ()
    by_language: dict[str, tuple[str, str]] = {}
    for tag, name in names.items():
        language = tag.split("-", 1)[0].lower()
        summary = descriptions.get(tag) or _in_language(descriptions, language)
        by_language.setdefault(language, (name, summary))
    return [
        ContentRecord(
            external_id=_external_id(activity_id, language),
            title=name,
            summary=summary,
            kind=kind,
            language=language,
            url=url,
            published_at=first,
            updated_at=first,
            duration_seconds=duration,
            tags=tags,
            activity_id=activity_id,
        )
        for language, (name, summary) in sorted(by_language.items())
    ]


def _language_map(value: Any, where: str) -> dict[str, str]:
    """An xAPI language map's non-empty entries (tag → text)."""
    if value is None:
        return {}
    return {
        str(tag): text.strip()
        for tag, text in shapes.obj(value, where).items()
        if isinstance(text, str) and text.strip()
    }


def _tags(value: Any, where: str) -> tuple[str, ...]:
    """An activity's library tags: a list of strings, or one comma-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    found = shapes.arr(value, where)
    if not all(isinstance(tag, str) for tag in found):
        raise MalformedResponse(f"{where}: tags must be strings")
    return tuple(tag.strip() for tag in found if tag.strip())


def _in_language(texts: Mapping[str, str], language: str) -> str:
    return next((text for tag, text in texts.items() if tag.lower().startswith(language)), "")


def _external_id(activity_id: str, language: str) -> str:
    key = f"{language}:{activity_id}"
    if len(key) <= LONGEST_ID:
        return key
    return f"{language}:sha256:{hashlib.sha256(activity_id.encode()).hexdigest()}"
