"""Strict readers for the JSON shapes vendors document.

Every adapter reads its backend's answer through these, so a wrong type, a
missing key or an impossible value becomes :class:`MalformedResponse` with a
reason naming where it was found, never a ``KeyError`` or ``TypeError`` deep
in a widget. ``where`` is a short path such as ``"contacts[3].fields"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.connectors.base import MalformedResponse


def obj(value: Any, where: str) -> Mapping[str, Any]:
    """``value`` as a JSON object."""
    if not isinstance(value, dict):
        raise MalformedResponse(f"{where}: expected an object, got {_kind(value)}")
    return value


def arr(value: Any, where: str) -> list[Any]:
    """``value`` as a JSON array."""
    if not isinstance(value, list):
        raise MalformedResponse(f"{where}: expected an array, got {_kind(value)}")
    return value


def member(parent: Mapping[str, Any], key: str, where: str) -> Any:
    """A required member of an object (``null`` allowed; the reader decides)."""
    if key not in parent:
        raise MalformedResponse(f"{where}: missing {key!r}")
    return parent[key]


def text(parent: Mapping[str, Any], key: str, where: str) -> str:
    value = member(parent, key, where)
    if not isinstance(value, str):
        raise MalformedResponse(f"{where}.{key}: expected a string, got {_kind(value)}")
    return value


def optional_text(parent: Mapping[str, Any], key: str, where: str) -> str | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedResponse(f"{where}.{key}: expected a string, got {_kind(value)}")
    return value


def integer(parent: Mapping[str, Any], key: str, where: str) -> int:
    return as_int(member(parent, key, where), f"{where}.{key}")


def as_int(value: Any, where: str) -> int:
    """An integer; numeric strings count, since PHP backends often send ``"42"``."""
    if isinstance(value, bool):
        raise MalformedResponse(f"{where}: expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise MalformedResponse(f"{where}: expected an integer, got {_kind(value)}")


def as_decimal(value: Any, where: str) -> Decimal:
    """A finite decimal from a JSON number or numeric string."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MalformedResponse(f"{where}: expected a number, got {_kind(value)}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise MalformedResponse(f"{where}: not a number: {str(value)[:40]!r}") from None
    if not number.is_finite():
        raise MalformedResponse(f"{where}: not a finite number")
    return number


def as_bool(value: Any, where: str) -> bool:
    """A boolean; ``0``/``1`` and ``"true"``/``"false"`` count, as PHP backends send them."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "yes", "no"}:
        return value.lower() in {"true", "1", "yes"}
    raise MalformedResponse(f"{where}: expected a boolean, got {_kind(value)}")


def unix_time(value: Any, where: str) -> datetime | None:
    """A Unix timestamp in seconds, UTC; ``0`` and ``null`` mean "never", as in Moodle."""
    if value is None:
        return None
    seconds = as_int(value, where)
    if seconds == 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedResponse(f"{where}: timestamp out of range") from None


def iso_datetime(value: Any, where: str, *, naive_is_utc: bool = False) -> datetime:
    """An ISO 8601 date-time with its offset (``Z`` allowed).

    ``naive_is_utc`` accepts a time without offset as UTC, for backends that
    document their times as UTC but print them bare (Mautic's ``dateAdded``).
    """
    if not isinstance(value, str):
        raise MalformedResponse(f"{where}: expected a date-time string, got {_kind(value)}")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise MalformedResponse(f"{where}: not an ISO 8601 date-time: {value[:40]!r}") from None
    if moment.tzinfo is None:
        if not naive_is_utc:
            raise MalformedResponse(f"{where}: date-time without a time zone")
        moment = moment.replace(tzinfo=UTC)
    return moment


def iso_date(value: Any, where: str) -> date:
    """An ISO 8601 calendar date; a date-time is cut to its date."""
    if not isinstance(value, str):
        raise MalformedResponse(f"{where}: expected a date string, got {_kind(value)}")
    try:
        if len(value.strip()) == 10:
            return date.fromisoformat(value.strip())
    except ValueError:
        raise MalformedResponse(f"{where}: not an ISO 8601 date: {value[:40]!r}") from None
    return iso_datetime(value, where).date()


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)
