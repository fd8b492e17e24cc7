"""Languages: locale choice, a complete German catalogue, per-locale figures on the page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import update

from hub import i18n
from hub.connectors.records import Money
from hub.db import Database, User
from hub.settings import Settings
from hub.store import KeyValueStore
from tests.fakes.home import HomeRig, home_rig

ROOT = Path(__file__).resolve().parent.parent
GERMAN = ROOT / "hub" / "locale" / "de" / "LC_MESSAGES" / "messages.po"


@pytest.mark.parametrize(
    ("claim", "header", "expected"),
    [
        ("de", None, "de"),
        ("de-CH", "en", "de"),
        (None, "de-AT,en;q=0.5", "de"),
        (None, "fr, en;q=0.1", "en"),
        (None, "fr;q=0.9, de;q=0.8", "de"),
        ("fr", "de", "de"),
        (None, "*", "en"),
        (None, "de;q=0, en", "en"),
        (None, "x" * 500, "en"),
        (None, None, "en"),
    ],
)
def test_the_locale_comes_from_the_claim_then_the_browser(
    claim: str | None, header: str | None, expected: str
) -> None:
    assert i18n.choose_locale(claim, header) == expected


def _extracted() -> set[str]:
    method_map = [("hub/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_the_german_catalogue_translates_every_message() -> None:
    with GERMAN.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id): m
        for m in catalogue
        if m.id and "fuzzy" not in m.flags
    }

    def done(msgid: str) -> bool:
        entry = translated.get(msgid)
        if entry is None:
            return False
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        return all(isinstance(text, str) and text for text in strings)

    missing = sorted(msgid for msgid in _extracted() if not done(msgid))
    assert missing == [], "run pybabel extract/update and translate these (docs/i18n.md)"
    assert [(m.id, errors) for m, errors in catalogue.check()] == []


def test_german_calls_a_deal_a_deal_everywhere() -> None:
    """One word for one thing: "Deal" (and "Deal-Registrierung"), as German channel
    programmes say, never "Abschluss" beside it on another page."""
    with GERMAN.open("rb") as handle:
        catalogue = read_po(handle)
    wrong = []
    for m in catalogue:
        if not m.id:
            continue
        english = " ".join(m.id) if isinstance(m.id, tuple) else str(m.id)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for german in (str(text) for text in strings):
            closing = "abschluss" in german.lower() or "abschlüss" in german.lower()
            deal = re.search(r"\bdeals?\b", english, re.I) and "Deal" not in german
            registration = re.search(r"\bdeal[- ]registrations?\b", english, re.I) and (
                "Deal-Registrierung" not in german
            )
            if closing or deal or registration:
                wrong.append((english, german))
    assert wrong == []


def test_the_catalogue_compiles_from_the_po_without_a_build_step() -> None:
    assert i18n.compile_catalogue(GERMAN).startswith(b"\xde\x12\x04\x95")
    assert i18n.translate("de", "Program Status") == "Programmstatus"
    assert i18n.translate("en", "Program Status") == "Program Status"
    assert i18n.translate("xx", "Program Status") == "Program Status"


def test_money_numbers_and_dates_follow_the_locale() -> None:
    money = Money(Decimal("1234567.5"), "EUR")
    # Large sums in whole units, smaller ones with their cents, whole ones without.
    assert i18n.format_money(money, "en") == "€1,234,568"
    assert i18n.format_money(money, "de") == "1.234.568\xa0€"
    assert i18n.format_money(Money(Decimal("5316.89"), "EUR"), "de") == "5.316,89\xa0€"
    assert i18n.format_money(Money(Decimal("2000.00"), "USD"), "en") == "$2,000"
    assert i18n.format_money(Money(Decimal("12.5"), "USD"), "en") == "$12.50"
    # A part of a total is shown as precisely as the total: 43,000 = 5,317 + 37,683.
    total = [Money(Decimal("43000"), "EUR")]
    assert i18n.format_money(Money(Decimal("5316.89"), "EUR"), "de", total) == "5.317\xa0€"
    assert i18n.format_money(Money(Decimal("37683.11"), "EUR"), "de", total) == "37.683\xa0€"
    with_cents = [Money(Decimal("9000.50"), "EUR")]
    assert i18n.format_money(Money(Decimal("12.5"), "EUR"), "en", with_cents) == "€12.50"
    dollars = [Money(Decimal("43000"), "USD")]  # a total in another currency says nothing
    assert i18n.format_money(Money(Decimal("12.5"), "EUR"), "en", dollars) == "€12.50"
    assert i18n.format_number(Decimal("7.5"), "de", 1) == "7,5"
    assert i18n.format_percent(Decimal("0.87"), "de") == "87\xa0%"
    assert i18n.format_date(date(2026, 3, 1), "de") == "01.03.2026"
    assert i18n.format_date(date(2026, 3, 1), "en") == "Mar 1, 2026"
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert i18n.format_age(now - timedelta(minutes=3), "de", now) == "vor 3 Minuten"
    assert i18n.format_age(now - timedelta(seconds=5), "en", now) == "just now"


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store) as made:
        yield made


@pytest.mark.anyio
async def test_the_homepage_speaks_the_users_idp_language(rig: HomeRig) -> None:
    await rig.sign_in("owner@globex.example")  # locale "de" in the demo cast
    page = await rig.client.get("/", headers={"Accept-Language": "en"})
    assert "Willkommen, Greta Lindqvist" in page.text
    assert "Diese Seite anpassen" in page.text
    assert '<html lang="de">' in page.text


@pytest.mark.anyio
async def test_without_a_claim_the_browser_language_is_used(rig: HomeRig, db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(User).where(User.email == "owner@acme.example").values(locale=None)
        )
    await rig.sign_in("owner@acme.example")
    page = await rig.client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert "Willkommen" in page.text
    widget = await rig.client.get(
        "/widgets/dollars_spent", headers={"HX-Request": "true", "Accept-Language": "de"}
    )
    assert "60.000\xa0$" in widget.text
    english = await rig.client.get("/", headers={"Accept-Language": "en-GB"})
    assert "Welcome, Alice Archer" in english.text


def test_figures_that_could_not_be_refreshed_never_sound_fresh() -> None:
    now = datetime(2026, 12, 6, 10, 50, tzinfo=UTC)
    assert i18n.format_stale_age(now - timedelta(seconds=25), "en", now) == "25 seconds ago"
    assert i18n.format_stale_age(now, "en", now) == "1 second ago"
    assert i18n.format_stale_age(now - timedelta(minutes=14), "de", now) == "vor 14 Minuten"
    assert i18n.format_moment(now - timedelta(minutes=8), "de", now) == "10:42 UTC"
    assert i18n.format_moment(now - timedelta(days=2), "de", now) == "04.12.26, 10:50 UTC"


@pytest.mark.parametrize(
    ("start", "end", "english", "german"),
    [
        (date(2026, 10, 1), date(2026, 12, 31), "Q4 2026", "Q4 2026"),
        (date(2026, 12, 1), date(2026, 12, 31), "December 2026", "Dezember 2026"),
        (date(2026, 1, 1), date(2026, 12, 31), "2026", "2026"),
        (date(2026, 11, 1), date(2026, 12, 15), "Nov 1 – Dec 15, 2026", "1. Nov. – 15. Dez. 2026"),
    ],
)
def test_a_period_goes_by_its_usual_name(start: date, end: date, english: str, german: str) -> None:
    assert i18n.format_period(start, end, "en").replace("\u2009", " ") == english
    assert i18n.format_period(start, end, "de").replace("\u2009", " ") == german


@pytest.mark.parametrize(
    ("key", "english", "german"),
    [
        ("2026-Q1", "Q1 2026", "Q1 2026"),
        ("2025-07", "Jul 2025", "Jul 2025"),
        ("2026-12", "Dec 2026", "Dez 2026"),
        ("2026-13", "2026-13", "2026-13"),  # not a period: shown as it is
        ("all", "all", "all"),
    ],
)
def test_a_period_key_is_shown_by_its_name(key: str, english: str, german: str) -> None:
    assert (i18n.format_period_key(key, "en"), i18n.format_period_key(key, "de")) == (
        english,
        german,
    )
