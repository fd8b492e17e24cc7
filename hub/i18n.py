"""Languages: which locale a request gets, its translations, and locale-aware formatting.

Catalogues live in ``hub/locale/<lang>/LC_MESSAGES/messages.po``. A compiled
``.mo`` next to it is used when present (a wheel build may ship one);
otherwise the ``.po`` is compiled in memory with Babel on first use, so a
checkout works without a build step. Templates get ``_``/``gettext``/
``ngettext`` through Jinja's i18n extension, bound to the ``locale`` in the
template context, plus the formatting filters installed by :func:`install`.
"""

from __future__ import annotations

import functools
import io
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError, dates, lists, numbers
from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from hub.connectors.records import Money

log = logging.getLogger("hub.i18n")

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LOCALE = "en"
SUPPORTED_LOCALES = ("en", "de")
# Each language named in itself, as people look for their own.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, where the locale is known."""
    return message


def parse_accept_language(header: str) -> list[str]:
    """Language tags from an ``Accept-Language`` header, most wanted first."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, position, tag.replace("_", "-")))
    return [tag for _, _, tag in sorted(weighted)]


def choose_locale(claimed: str | None, accept_language: str | None) -> str:
    """The user's IdP locale claim if we speak it, else the browser's choice, else English."""
    wanted = ([claimed] if claimed else []) + parse_accept_language(accept_language or "")
    chosen = negotiate_locale(
        [tag.replace("-", "_") for tag in wanted], list(SUPPORTED_LOCALES), sep="_"
    )
    if chosen is None:  # "de-AT" matches "de" by its language part
        for tag in wanted:
            language = tag.replace("_", "-").split("-")[0].lower()
            if language in SUPPORTED_LOCALES:
                return language
        return DEFAULT_LOCALE
    return chosen


@functools.cache
def translations(locale: str) -> NullTranslations:
    """The catalogue for ``locale`` (English is the source language: no catalogue)."""
    if locale not in SUPPORTED_LOCALES or locale == DEFAULT_LOCALE:
        return NullTranslations()
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    mo = folder / f"{DOMAIN}.mo"
    po = folder / f"{DOMAIN}.po"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    if not po.is_file():
        log.warning("no catalogue for locale", extra={"locale": locale})
        return NullTranslations()
    return Translations(io.BytesIO(compile_catalogue(po)), domain=DOMAIN)


def compile_catalogue(po: Path) -> bytes:
    """The ``.mo`` bytes for a ``.po`` file (fuzzy entries left out, as msgfmt does)."""
    with po.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def translate(locale: str, message: str, **variables: Any) -> str:
    """``message`` in ``locale``, with ``%(name)s`` placeholders filled from ``variables``."""
    text = translations(locale).gettext(message)
    return text % variables if variables else text


def translate_data(text: str, locale: str) -> str:
    """A text that is data (a rule's title, a survey question, a level's name) in
    ``locale`` when the catalogue has it, as written otherwise: the program's own texts
    come translated, and what an administrator writes shows as they wrote it."""
    return translations(locale).gettext(text) if text else text


# What an administrator wrote in other languages than the default: locale -> field -> text,
# kept on the rule's row beside the default-language text (``texts`` columns).
WrittenTexts = Mapping[str, Mapping[str, str]]


def written_text(default: str, locale: str, texts: WrittenTexts | None, field: str) -> str:
    """A written text (a badge's name, a rule's reason) in ``locale``: the text written
    for that locale, else the default one (translated when the catalogue knows it)."""
    own = (texts or {}).get(locale, {}).get(field, "")
    return own.strip() or translate_data(default, locale)


def written_texts(given: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """``given`` cleaned for storing: supported locales other than the default, no blanks."""
    return {
        locale: fields
        for locale, fields in (
            (locale, {f: t.strip() for f, t in given.get(locale, {}).items() if t.strip()})
            for locale in SUPPORTED_LOCALES
            if locale != DEFAULT_LOCALE
        )
        if fields
    }


def _locale_of(context: Context) -> str:
    value = context.get("locale")
    return value if isinstance(value, str) and value in SUPPORTED_LOCALES else DEFAULT_LOCALE


@functools.cache
def _babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LOCALE)


def format_names(names: Sequence[str], locale: str) -> str:
    """Names joined as the language joins them: "Moodle and Learning Record Store"."""
    return lists.format_list(list(names), locale=_babel_locale(locale)) if names else ""


# From this amount up, money is shown in whole units: nobody reads the cents of $172,260.
WHOLE_UNITS_FROM = Decimal(10_000)


def format_money(money: Money, locale: str, like: Sequence[Money] | None = None) -> str:
    """``money`` in the reader's format; given ``like`` (the total it is a part of), in
    whole units when the total is shown so, so that the parts read as adding up to it
    ("43,000 = 5,317 + 37,683", not "5,316.89 + 37,683")."""
    totals = [total.amount for total in like or () if total.currency == money.currency]
    whole = bool(totals) and all(_shown_whole(total) for total in totals)
    return format_amount(money.amount, locale, money.currency, whole=whole)


def _shown_whole(amount: Decimal) -> bool:
    return amount == amount.to_integral_value() or abs(amount) >= WHOLE_UNITS_FROM


def format_number(value: int | float | Decimal, locale: str, digits: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return numbers.format_decimal(value, format=pattern, locale=_babel_locale(locale))


def format_amount(amount: Decimal, locale: str, currency: str, *, whole: bool = False) -> str:
    """An amount of ``currency`` in the reader's format: with its cents where it has
    them, in whole units when it is whole or reaches ``WHOLE_UNITS_FROM`` (or ``whole``)."""
    where = _babel_locale(locale)
    amount = Decimal(amount)
    if not whole and not _shown_whole(amount):
        return numbers.format_currency(amount, currency, locale=where)
    pattern = where.currency_formats["standard"].pattern
    units = re.sub(r"(?<=0)\.0+", "", pattern)  # "¤#,##0.00" -> "¤#,##0"
    return numbers.format_currency(
        amount.quantize(Decimal(1)), currency, format=units, locale=where, currency_digits=False
    )


def format_percent(share: float | Decimal, locale: str) -> str:
    """A 0..1 share as a percentage."""
    return numbers.format_percent(share, locale=_babel_locale(locale))


def format_period(start: date, end: date, locale: str) -> str:
    """A period by its usual name: a calendar quarter "Q4 2026", a month "December 2026",
    a year "2026", else the two dates ("Nov 1 – Dec 15, 2026")."""
    where = _babel_locale(locale)
    following = end + timedelta(days=1)
    if start.day == 1 and following.day == 1:
        months = (following.year - start.year) * 12 + following.month - start.month
        if months == 3 and start.month % 3 == 1:
            return dates.format_date(start, "QQQ y", locale=where)
        if months == 1:
            return dates.format_date(start, "LLLL y", locale=where)
        if months == 12 and start.month == 1:
            return dates.format_date(start, "y", locale=where)
    return dates.format_interval(start, end, "yMMMd", locale=where)


_PERIOD_KEY = re.compile(r"(?P<year>\d{4})-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2]))")


def format_period_key(key: str, locale: str) -> str:
    """A period the code keys as ``2026-Q1`` or ``2026-07``, named as a person would
    ("Q1 2026", "Jul 2026"); any other key as it is."""
    found = _PERIOD_KEY.fullmatch(key)
    if found is None:
        return key
    year = int(found["year"])
    if found["quarter"]:
        first = date(year, 3 * int(found["quarter"]) - 2, 1)
        return dates.format_date(first, "QQQ y", locale=_babel_locale(locale))
    return dates.format_date(
        date(year, int(found["month"]), 1), "LLL y", locale=_babel_locale(locale)
    )


def format_date(value: date | datetime, locale: str) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return dates.format_date(value, format="medium", locale=_babel_locale(locale))


def format_short_date(value: date, locale: str) -> str:
    """A day without its year ("Oct 4", "4. Okt."), for a chart's axis under a named period."""
    return dates.format_skeleton("MMMd", value, locale=_babel_locale(locale))


def format_age(
    moment: datetime, locale: str, now: datetime | None = None, *, exact: bool = False
) -> str:
    """How long ago ``moment`` was, in words ("3 minutes ago").

    Under a minute it is "just now", unless ``exact``: figures that could not be
    refreshed give their seconds ("25 seconds ago"), never sound fresh.
    """
    delta = (now or datetime.now(UTC)) - moment
    if delta < timedelta(minutes=1):
        if not exact:
            return translate(locale, N_("just now"))
        delta = max(delta, timedelta(seconds=1))
    return translate(
        locale,
        N_("%(age)s ago"),
        age=dates.format_timedelta(delta, threshold=1.0, locale=_babel_locale(locale)),
    )


def format_stale_age(moment: datetime, locale: str, now: datetime | None = None) -> str:
    """The age of figures that could not be refreshed: :func:`format_age`, exact."""
    return format_age(moment, locale, now, exact=True)


def format_moment(moment: datetime, locale: str, now: datetime | None = None) -> str:
    """A recent moment as a time of day ("10:42 UTC"), an older one with its date.

    The hub knows no one's time zone, so times are UTC and say so.
    """
    instant = moment.astimezone(UTC)
    at = _babel_locale(locale)
    if (now or datetime.now(UTC)) - instant < timedelta(hours=20):
        return dates.format_time(instant, format="short", tzinfo=UTC, locale=at) + " UTC"
    return dates.format_datetime(instant, format="short", tzinfo=UTC, locale=at) + " UTC"


def install(env: Environment) -> None:
    """Add the i18n extension, locale-bound gettext and the formatting filters to ``env``."""
    env.add_extension("jinja2.ext.i18n")

    @pass_context
    def _gettext(context: Context, message: str) -> str:
        return translations(_locale_of(context)).gettext(message)

    @pass_context
    def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
        return translations(_locale_of(context)).ngettext(singular, plural, count)

    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )

    def bind(format_value: Any) -> Any:
        @pass_context
        def bound(context: Context, value: Any, *args: Any, **kwargs: Any) -> str:
            if value is None:
                return ""
            return str(format_value(value, _locale_of(context), *args, **kwargs))

        return bound

    env.filters.update(
        money=bind(format_money),
        money_of=bind(format_amount),
        number=bind(format_number),
        percent=bind(format_percent),
        day=bind(format_date),
        period_key=bind(format_period_key),
        short_day=bind(format_short_date),
        age=bind(format_age),
        stale_age=bind(format_stale_age),
        moment=bind(format_moment),
        translated=bind(translate_data),
    )

    @pass_context
    def _written(context: Context, default: str, texts: WrittenTexts | None, field: str) -> str:
        return written_text(default or "", _locale_of(context), texts, field)

    env.filters["written"] = _written
