"""Just enough SOQL for the Salesforce sandbox: what the hub's adapter sends, nothing more.

``SELECT f1, Rel.f2 FROM Object [WHERE cond AND cond …] [ORDER BY f [ASC|DESC]]
[LIMIT n]`` where a condition is ``field op value`` with ``=``, ``!=`` or
``LIKE`` and a value that is a quoted string (with SOQL escapes), ``true``,
``false``, ``null``, a number, or ``LAST_N_DAYS:n``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<op>!=|=|,)|(?P<word>[A-Za-z0-9_.:%]+))",
    re.DOTALL,
)
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


class SOQLError(ValueError):
    """``code`` is Salesforce's errorCode: MALFORMED_QUERY or INVALID_FIELD."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...]
    sobject: str
    conditions: tuple[Condition, ...]
    order_by: str | None
    descending: bool
    limit: int | None


@dataclass(frozen=True)
class LastNDays:
    days: int


def _tokens(soql: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(soql):
        if soql[position:].strip() == "":
            break
        match = _TOKEN.match(soql, position)
        if match is None or match.end() == position:
            raise SOQLError("MALFORMED_QUERY", f"unexpected text at {position}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def parse(soql: str) -> Query:
    tokens = _tokens(soql)
    at = 0

    def take(expected: str | None = None) -> str:
        nonlocal at
        if at >= len(tokens):
            raise SOQLError("MALFORMED_QUERY", "unexpected end of query")
        value = tokens[at][1]
        if expected is not None and value.upper() != expected:
            raise SOQLError("MALFORMED_QUERY", f"expected {expected}, found {value!r}")
        at += 1
        return value

    def peek() -> str:
        return tokens[at][1].upper() if at < len(tokens) else ""

    take("SELECT")
    fields = [take()]
    while peek() == ",":
        take(",")
        fields.append(take())
    take("FROM")
    sobject = take()
    conditions: list[Condition] = []
    if peek() == "WHERE":
        take("WHERE")
        while True:
            name = take()
            op = take().upper()
            if op not in ("=", "!=", "LIKE"):
                raise SOQLError("MALFORMED_QUERY", f"unsupported operator {op!r}")
            kind, raw = tokens[at] if at < len(tokens) else ("", "")
            take()
            conditions.append(Condition(name, op, _value(kind, raw)))
            if peek() != "AND":
                break
            take("AND")
    order_by, descending, limit = None, False, None
    if peek() == "ORDER":
        take("ORDER")
        take("BY")
        order_by = take()
        if peek() in ("ASC", "DESC"):
            descending = take().upper() == "DESC"
    if peek() == "LIMIT":
        take("LIMIT")
        text = take()
        if not text.isdigit():
            raise SOQLError("MALFORMED_QUERY", "LIMIT takes a number")
        limit = int(text)
    if at != len(tokens):
        raise SOQLError("MALFORMED_QUERY", f"unexpected token {tokens[at][1]!r}")
    return Query(tuple(fields), sobject, tuple(conditions), order_by, descending, limit)


def _value(kind: str, raw: str) -> Any:
    if kind == "string":
        body, text, escaped = raw[1:-1], [], False
        for char in body:
            if escaped:
                text.append(_UNESCAPE.get(char, char))
                escaped = False
            elif char == "\\":
                escaped = True
            else:
                text.append(char)
        return "".join(text)
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if lowered.startswith("last_n_days:") and raw.split(":", 1)[1].isdigit():
        return LastNDays(int(raw.split(":", 1)[1]))
    try:
        return float(raw)
    except ValueError:
        raise SOQLError("MALFORMED_QUERY", f"unexpected value {raw!r}") from None


def read_field(row: dict[str, Any], name: str) -> Any:
    value: Any = row
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def matches(row: dict[str, Any], condition: Condition, now: datetime) -> bool:
    actual = read_field(row, condition.field)
    wanted = condition.value
    if isinstance(wanted, LastNDays):
        if not isinstance(actual, str):
            return False
        since = (now - timedelta(days=wanted.days)).date()
        day = date.fromisoformat(actual[:10])
        return since <= day <= now.astimezone(UTC).date()
    if condition.op == "LIKE":
        # '%' is the only wildcard the adapter sends; '_' stays literal here.
        pattern = "".join(".*" if char == "%" else re.escape(char) for char in str(wanted))
        return isinstance(actual, str) and re.fullmatch(pattern, actual, re.I) is not None
    if isinstance(wanted, float) and isinstance(actual, int | float):
        equal = float(actual) == wanted
    elif isinstance(wanted, str) and isinstance(actual, str):
        equal = actual.lower() == wanted.lower()  # SOQL compares text case-insensitively
    else:
        equal = actual == wanted
    return equal if condition.op == "=" else not equal
