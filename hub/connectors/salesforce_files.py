"""Salesforce Files and Libraries as content library items.

The latest version of each file (``ContentVersion`` with ``IsLatest = true``) is
one item: ``Title``, ``Description``, ``TagCsv`` (the file's tags, which carry
targeting), ``Language`` (a locale such as ``de`` or ``en_US``), ``FileType``
(``MP4`` and other video types make a video) and ``LastModifiedDate``. The
library it sits in (``FirstPublishLocationId``, a ``ContentWorkspace``) is its
collection. A video's length is a custom field on ContentVersion, named by the
``file_duration_field`` option (default ``Duration_Seconds__c``; ``""`` where the
org keeps none). An item opens at the file's page in Lightning,
``/lightning/r/ContentDocument/<ContentDocumentId>/view``.
"""

from __future__ import annotations

from typing import Any

from hub.connectors import shapes
from hub.connectors.content import ContentKind, ContentRecord
from hub.connectors.salesforce_api import SalesforceAPI
from hub.connectors.soql import field

VIDEO_TYPES = frozenset({"MP4", "MOV", "WEBM", "M4V", "AVI", "WMV"})


async def read_files(
    salesforce: SalesforceAPI, portal: str, duration_field: str
) -> list[ContentRecord]:
    """The latest version of every file, with the name of the library it was published to."""
    libraries = {
        str(row["Id"]): str(row.get("Name") or "")
        for row in await salesforce.query("SELECT Id, Name FROM ContentWorkspace")
    }
    duration = f", {field(duration_field)}" if duration_field else ""
    fields = "Id, ContentDocumentId, Title, Description, FileType, Language, TagCsv"
    fields += f", FirstPublishLocationId, CreatedDate, LastModifiedDate{duration}"
    soql = f"SELECT {fields} FROM ContentVersion WHERE IsLatest = true"  # noqa: S608 - field() checked
    rows = await salesforce.query(soql)
    return [_record(row, libraries, portal, duration_field) for row in rows]


def _record(
    row: dict[str, Any], libraries: dict[str, str], portal: str, duration_field: str
) -> ContentRecord:
    where = f"ContentVersion {row.get('Id')}"
    created = shapes.iso_datetime(row.get("CreatedDate"), f"{where}.CreatedDate")
    modified = row.get("LastModifiedDate")
    file_type = (shapes.optional_text(row, "FileType", where) or "").upper()
    duration = row.get(duration_field) if duration_field else None
    document = shapes.text(row, "ContentDocumentId", where)
    tags = shapes.optional_text(row, "TagCsv", where) or ""
    return ContentRecord(
        external_id=document,
        title=shapes.text(row, "Title", where),
        summary=shapes.optional_text(row, "Description", where) or "",
        kind=ContentKind.VIDEO if file_type in VIDEO_TYPES else ContentKind.DOCUMENT,
        language=(shapes.optional_text(row, "Language", where) or "en")[:2].lower(),
        url=f"{portal}/lightning/r/ContentDocument/{document}/view",
        published_at=created,
        updated_at=shapes.iso_datetime(modified, f"{where}.LastModifiedDate")
        if modified
        else created,
        duration_seconds=shapes.as_int(duration, f"{where}.{duration_field}")
        if isinstance(duration, int | float)
        else None,
        collection=libraries.get(str(row.get("FirstPublishLocationId") or ""), ""),
        tags=tuple(tag.strip() for tag in tags.split(",") if tag.strip()),
    )
