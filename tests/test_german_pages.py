"""Every persona's homepage in German is German: no sentence of the catalogue left in English.

Each persona's person switches to German and loads the page and every widget on it; any
English message of the catalogue (three words or more, whose German differs) that still
shows is a place where a text missed its translation.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import pytest

from hub.db import Database
from hub.demo.cast import USERS
from hub.i18n import translations
from hub.personas.catalogue import default_personas
from hub.settings import Settings
from hub.store import KeyValueStore
from tests.fakes.home import HomeRig, home_rig

pytestmark = pytest.mark.anyio


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store) as made:
        yield made


def english_sentences() -> list[str]:
    """The catalogue's messages that read as English sentences and have their own German."""
    found = []
    german = translations("de")
    for message in german._catalog:
        text = message[0] if isinstance(message, tuple) else message
        if not text or "%(" in text or "{" in text:
            continue
        if len(text.split()) >= 3 and german.gettext(text) != text:
            found.append(text)
    return found


def plain(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def pages_text(rig: HomeRig) -> str:
    """The homepage and every widget on it, as text."""
    page = (await rig.client.get("/")).text
    texts = [plain(page)]
    for name in dict.fromkeys(re.findall(r'hx-get="/widgets/([a-z_]+)"', page)):
        answer = await rig.widget(name)
        assert answer.status_code == 200, name
        texts.append(plain(answer.text))
    return " ".join(texts)


PEOPLE = {
    persona.id: next(u.email for u in USERS if persona.id in u.roles)
    for persona in default_personas()
    if any(persona.id in u.roles for u in USERS)
}


@pytest.mark.parametrize(("persona", "email"), PEOPLE.items(), ids=list(PEOPLE))
async def test_every_widget_of_a_persona_reads_german(
    rig: HomeRig, persona: str, email: str
) -> None:
    token = await rig.sign_in(email)
    if persona != next(u.roles[0] for u in USERS if u.email == email):
        chosen = await rig.client.post(
            "/home/persona", data={"persona": persona, "csrf_token": token}
        )
        assert chosen.status_code == 303
    english = await pages_text(rig)
    # The check can fail: the English page shows many of these sentences.
    assert [sentence for sentence in english_sentences() if sentence in english]
    moved = await rig.client.post("/profile/language", data={"locale": "de", "csrf_token": token})
    assert moved.status_code == 303
    shown = await pages_text(rig)
    assert "Abmelden" in shown
    left = [sentence for sentence in english_sentences() if sentence in shown]
    assert left == [], f"{persona}: still in English: {left}"
