"""The frame around every page: portals by name, the bell, the profile and its settings."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from hub.db import Database, User
from hub.db.engagement import EngagementPreference
from hub.db.types import utcnow
from hub.services.engagement.notifications import notify
from hub.settings import Settings
from hub.store import KeyValueStore
from tests.fakes.home import HomeRig, home_rig

pytestmark = pytest.mark.anyio
REP = "rep@acme.example"
OTHER = "rep@globex.example"


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store) as made:
        yield made


async def user_id(db: Database, email: str) -> int:
    async with db.session() as session:
        found = await session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


async def tell(db: Database, email: str, title: str, link: str = "") -> None:
    uid = await user_id(db, email)
    async with db.transaction() as session:
        notify(session, uid, kind="kudos", title=title, body="For the demo", link=link, at=utcnow())


async def opted_out(db: Database, email: str) -> bool:
    uid = await user_id(db, email)
    async with db.session() as session:
        preference = await session.get(EngagementPreference, uid)
    return bool(preference and preference.leaderboard_opt_out)


async def test_the_header_names_each_portal_by_its_product(rig: HomeRig) -> None:
    await rig.sign_in(REP)
    page = (await rig.client.get("/")).text
    header = page[page.index('<header class="site-header">') : page.index("</header>")]
    menu = header[header.index("portals-menu") :]
    assert "Partner relationship management" in menu
    assert "Partner portal (PRM)" in menu
    assert ">fake-prm<" not in page
    assert "Open in fake-prm" not in page
    assert 'href="/program"' not in header  # a partner's rep has no program pages
    assert 'href="/notifications"' in header
    assert 'href="/profile"' in header


async def test_vendor_staff_get_their_pages_in_the_header(rig: HomeRig) -> None:
    await rig.sign_in("cam@vendor.example")
    header = (await rig.client.get("/profile")).text.split("</header>")[0]
    assert 'href="/program"' in header
    assert 'href="/admin"' not in header
    await rig.sign_in("admin@vendor.example")
    header = (await rig.client.get("/profile")).text.split("</header>")[0]
    assert 'href="/admin"' in header


async def test_notices_are_counted_listed_and_marked_read(rig: HomeRig, db: Database) -> None:
    await tell(db, REP, "Greta thanked you <b>twice</b>", link="/#widget-recognition_feed")
    await tell(db, REP, "Away", link="https://evil.example/phish")
    await tell(db, OTHER, "Not for Raj")
    token = await rig.sign_in(REP)
    count = await rig.client.get("/notifications/count")
    assert re.search(r'class="count-badge"[^>]*>2<', count.text)
    assert "2 waiting for you" in count.text
    page = (await rig.client.get("/notifications")).text
    assert "Greta thanked you &lt;b&gt;twice&lt;/b&gt;" in page  # escaped, not markup
    assert 'href="/#widget-recognition_feed"' in page
    assert "evil.example" not in page  # a notice never links away from the hub
    assert "Not for Raj" not in page  # another person's notices stay theirs
    forged = await rig.client.post("/notifications/read")
    assert forged.status_code == 403
    read = await rig.client.post("/notifications/read", data={"csrf_token": token})
    assert read.status_code == 303
    assert read.headers["location"] == "/notifications"
    assert (await rig.client.get("/notifications/count")).text == ""
    assert "Mark 2 unread" not in (await rig.client.get("/notifications")).text


async def test_signed_out_people_get_no_notices(rig: HomeRig) -> None:
    for path in ("/notifications", "/notifications/count", "/profile"):
        answer = await rig.client.get(path)
        assert answer.status_code in (401, 403) or answer.status_code == 303, path


async def test_leaderboard_visibility_is_chosen_in_the_profile(rig: HomeRig, db: Database) -> None:
    token = await rig.sign_in(REP)
    page = (await rig.client.get("/profile")).text
    assert "Raj Patel" in page
    assert "Hide me from leaderboards" in page
    hidden = await rig.client.post(
        "/profile/leaderboard", data={"opt_out": "1", "csrf_token": token}
    )
    assert hidden.status_code == 303
    assert await opted_out(db, REP)
    page = (await rig.client.get(hidden.headers["location"])).text
    assert "You are off the leaderboards." in page
    assert "Show me on leaderboards" in page
    bad = await rig.client.post(
        "/profile/leaderboard", data={"opt_out": "yes", "csrf_token": token}
    )
    assert bad.status_code == 400
    forged = await rig.client.post("/profile/leaderboard", data={"opt_out": "0"})
    assert forged.status_code == 403
    assert await opted_out(db, REP)  # neither changed anything
    await rig.client.post("/profile/leaderboard", data={"opt_out": "0", "csrf_token": token})
    assert not await opted_out(db, REP)


async def test_the_profile_is_in_german(rig: HomeRig) -> None:
    await rig.sign_in("owner@globex.example")  # German from their IdP
    page = (await rig.client.get("/profile")).text
    assert '<html lang="de">' in page
    assert "Ihr Profil" in page
    assert "Benachrichtigungen" in page
