"""A rule's reason worded for its reader: facts in the reader's format, words by count.

A reason puts in a fact with ``{fact}`` ("because {dormant_partners} of your partners …")
and may choose words by that fact's count with ``{fact:singular|plural}`` ("… {dormant_partners:is|are}
dormant"): the plural rule of the reader's language (Babel's CLDR rules) picks the
first form for its "one" category and the last for every other. A fact the caller did
not gather is shown as typed, never an error.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError

from hub.connectors.records import Money
from hub.i18n import DEFAULT_LOCALE, format_date, format_money, format_number


def word_reason(reason: str, facts: Mapping[str, Any], locale: str) -> str:
    """``reason`` with its facts put in, formatted and counted for ``locale``."""
    out: list[str] = []
    try:
        parsed = list(string.Formatter().parse(reason))
    except ValueError:  # an unmatched brace: as typed
        return reason
    for literal, name, spec, _ in parsed:
        out.append(literal)
        if name is None:
            continue
        if name not in facts:
            out.append("{" + name + (":" + spec if spec else "") + "}")
        elif spec and "|" in spec:
            out.append(_by_count(facts[name], spec.split("|"), locale))
        else:
            out.append(shown(facts[name], locale))
    return "".join(out)


def _by_count(value: Any, forms: list[str], locale: str) -> str:
    try:
        rules = Locale.parse(locale).plural_form
    except (ValueError, UnknownLocaleError):
        rules = Locale.parse(DEFAULT_LOCALE).plural_form
    count: Any = value.amount if isinstance(value, Money) else value
    if isinstance(count, bool) or not isinstance(count, int | float | Decimal):
        return forms[-1]
    return forms[0] if rules(abs(Decimal(count))) == "one" else forms[-1]


def shown(value: Any, locale: str) -> str:
    """A fact as a reason shows it: money, dates and numbers in the reader's format."""
    if isinstance(value, Money):
        return format_money(value, locale)
    if isinstance(value, date):
        return format_date(value, locale)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    return format_number(value, locale, 0 if value == int(value) else 1)
