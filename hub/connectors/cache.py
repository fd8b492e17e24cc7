"""Cached connector answers in the key-value store, one entry per connector, operation and subject.

The key always carries whose data it is, so one partner's (or person's)
figures can never be served to another: ``connector-cache:v1:<connector>:
<operation>:org=<slug>[,ext=<id there>]`` for a partner, ``…:person=<email>,
org=<slug>`` for a person. Values are JSON written through a pydantic
``TypeAdapter`` for the operation's answer type (:mod:`hub.connectors.operations`) (records are
dataclasses with ``Decimal`` and aware ``datetime``); an entry that no longer
reads back is dropped, never served.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError

from hub.connectors.base import MalformedResponse
from hub.connectors.operations import named
from hub.connectors.records import Kind, PartnerRef, PersonRef
from hub.store import KeyValueStore

log = logging.getLogger("hub.connectors.cache")

PREFIX = "connector-cache:v1"


def cache_key(connector: str, operation: str, subject: PartnerRef | PersonRef) -> str:
    """The store key for ``operation(subject)`` on ``connector``; unique per partner and person."""
    if isinstance(subject, PersonRef):
        org = subject.partner.slug if subject.partner else "-"
        owner = f"person={_part(subject.email.strip().lower())},org={_part(org)}"
    else:
        owner = f"org={_part(subject.slug)}"
        external_id = subject.external_id(connector)
        if external_id:
            owner += f",ext={_part(external_id)}"
    return f"{PREFIX}:{_part(connector)}:{_part(operation)}:{owner}"


def _part(text: str) -> str:
    # Percent-encode separators so no slug or email can forge another's key.
    return quote(text, safe="@.-_")


def answer_type(kind: Kind, operation: str) -> TypeAdapter[Any]:
    """The TypeAdapter for what ``operation`` of a ``kind`` connector returns."""
    return named(kind, operation).adapter


@dataclass(frozen=True)
class CachedAnswer:
    value: Any
    fetched_at: datetime


def encode(kind: Kind, operation: str, value: Any, fetched_at: datetime) -> str:
    """JSON for the cache; :class:`MalformedResponse` if ``value`` is not what the type says.

    The value must read back equal to itself, so nothing the adapter let
    through by mistake (a wrong type, a float for a Decimal) enters the cache.
    """
    adapter = answer_type(kind, operation)
    try:
        dumped = adapter.dump_json(value, warnings="error")
        if adapter.validate_json(dumped) != value:
            raise MalformedResponse(f"{operation}: answer does not survive a round trip")
    except (PydanticSerializationError, ValidationError):
        raise MalformedResponse(f"{operation}: answer is not a valid {adapter}") from None
    return json.dumps({"fetched_at": fetched_at.isoformat(), "value": json.loads(dumped)})


def decode(kind: Kind, operation: str, text: str) -> CachedAnswer | None:
    """The cached answer, or ``None`` when the entry does not read back (then it is ignored)."""
    try:
        entry = json.loads(text)
        fetched_at = datetime.fromisoformat(entry["fetched_at"])
        value = answer_type(kind, operation).validate_python(entry["value"])
    except (ValueError, KeyError, TypeError, ValidationError):
        return None
    if fetched_at.tzinfo is None:
        return None
    return CachedAnswer(value, fetched_at)


async def read(store: KeyValueStore, kind: Kind, operation: str, key: str) -> CachedAnswer | None:
    text = await store.get(key)
    if text is None:
        return None
    answer = decode(kind, operation, text)
    if answer is None:
        log.warning("dropping an unreadable cache entry", extra={"cache_key": key})
        await store.delete(key)
    return answer
