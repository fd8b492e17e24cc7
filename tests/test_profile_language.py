"""The person chooses the language of their pages; the choice is kept in their profile."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from hub.db import Database, User
from hub.settings import Settings
from hub.store import KeyValueStore
from tests.fakes.home import HomeRig, home_rig

pytestmark = pytest.mark.anyio
REP = "rep@acme.example"


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store) as made:
        yield made


async def stored_locale(db: Database, email: str) -> str | None:
    async with db.session() as session:
        return await session.scalar(select(User.locale).where(User.email == email))


async def test_a_person_switches_to_german_and_it_stays(rig: HomeRig, db: Database) -> None:
    token = await rig.sign_in(REP)
    english = await rig.client.get("/")
    assert '<html lang="en">' in english.text
    assert 'lang="de">Deutsch</option>' in english.text
    moved = await rig.client.post(
        "/profile/language", data={"locale": "de", "next": "/program", "csrf_token": token}
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == "/program"
    german = await rig.client.get("/")
    assert '<html lang="de">' in german.text
    assert "Sprache ändern" in german.text
    assert await stored_locale(db, REP) == "de"
    # Kept in the profile: a new sign-in, whatever the browser asks for, is in German.
    await rig.sign_in(REP)
    again = await rig.client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="de">' in again.text


async def test_bad_choices_are_refused_and_nothing_changes(rig: HomeRig, db: Database) -> None:
    token = await rig.sign_in(REP)
    before = await stored_locale(db, REP)
    unknown = await rig.client.post("/profile/language", data={"locale": "xx", "csrf_token": token})
    assert unknown.status_code == 400
    assert "not offered" in unknown.text
    forged = await rig.client.post("/profile/language", data={"locale": "de"})
    assert forged.status_code == 403
    assert await stored_locale(db, REP) == before
    away = await rig.client.post(
        "/profile/language",
        data={"locale": "de", "next": "https://evil.example/x", "csrf_token": token},
    )
    assert away.headers["location"] == "/"
    rig.client.cookies.clear()
    signed_out = await rig.client.post("/profile/language", data={"locale": "de"})
    assert signed_out.status_code in (401, 403)
