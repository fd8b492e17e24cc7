"""Building SOQL safely: every value the hub puts in a query goes through :func:`quote`."""

from __future__ import annotations

import re

_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")


def quote(value: str) -> str:
    """``value`` as a SOQL string literal, quotes and backslashes escaped."""
    return "'" + "".join(_ESCAPES.get(char, char) for char in value) + "'"


def field(name: str) -> str:
    """``name`` if it is a plain (possibly dotted) API field name; configuration goes here."""
    if not _FIELD.match(name):
        raise ValueError(f"not a Salesforce field name: {name!r}")
    return name
