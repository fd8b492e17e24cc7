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


def like_ending(value: str) -> str:
    """A LIKE pattern literal matching text that ends with ``value`` taken literally.

    SOQL's LIKE escapes (``\\%``, ``\\_``) go inside the string literal, after
    quoting, so a ``_`` in a domain is not a wildcard.
    """
    escaped = quote(value)[1:-1].replace("%", "\\%").replace("_", "\\_")
    return f"'%{escaped}'"


def field(name: str) -> str:
    """``name`` if it is a plain (possibly dotted) API field name; configuration goes here."""
    if not _FIELD.match(name):
        raise ValueError(f"not a Salesforce field name: {name!r}")
    return name
