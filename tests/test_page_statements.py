"""A rendered homepage sends a small number of SQL statements, not one more per row.

Each persona's rendered page (backend caches warm, nothing kept: what a person coming
back after a minute gets) is counted statement by statement through SQLAlchemy's
``before_cursor_execute`` hook. The bounds catch an N+1 (the count must not move when
the org gains people, contacts and reassignments), a read that several widgets share
being made again (no statement with the same parameters twice on one page), and a
page that slowly collects reads (an absolute cap per persona).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from hub.db import Database, PartnerOrg, User
from hub.db.models import FieldContact
from hub.db.timeline import AssignmentChange
from hub.settings import Settings
from hub.store import KeyValueStore
from hub.web.page_cache import EVERYONE
from tests.fakes.home import HomeRig, home_rig

pytestmark = pytest.mark.anyio

FAILED = 'class="widget-notice widget-notice-bad"'
LEFT_TO_LOAD = re.compile(r'<section id="widget-(\w+)"[^>]*aria-busy="true"')
# Each persona's demo person and the most statements their rendered page may send
# (today's count plus a little room, so one unrelated extra read does not fail it).
PEOPLE = {
    "partner_owner": ("owner@acme.example", 12),
    "sales_rep": ("rep@acme.example", 12),
    "marketer": ("marketer@globex.example", 12),
    "support": ("support@acme.example", 12),
    "channel_manager": ("cam@vendor.example", 16),
    "admin": ("admin@vendor.example", 12),
}


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store, resilient=True, cache_ttl=300.0) as made:
        yield made


@contextmanager
def statements(db: Database) -> Iterator[list[tuple[str, str]]]:
    """Every SQL statement sent while inside, with its parameters, in order."""
    sent: list[tuple[str, str]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, repr(parameters)))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def rendered_page(rig: HomeRig, db: Database, store: KeyValueStore) -> list[tuple[str, str]]:
    """The statements of the signed-in person's page rendered whole from warm caches.

    A first rendering settles what a change of data sets off once (the program summaries
    are recomputed when partners or their managers changed); the second is counted.
    """
    await store.incr(EVERYONE)
    page = (await rig.client.get("/")).text
    for name in LEFT_TO_LOAD.findall(page):
        assert (await rig.widget(name)).status_code == 200
    await store.incr(EVERYONE)  # as an administrator's change does: nothing kept is shown
    with statements(db) as sent:
        page = (await rig.client.get("/")).text
    assert LEFT_TO_LOAD.findall(page) == [], "every widget rendered into the page"
    # A widget that crashed sends fewer statements: that must never pass for a saving.
    assert FAILED not in page, "a widget of the page failed"
    return sent


async def grow_every_org(db: Database, extra: int) -> None:
    """Give every partner org ``extra`` more people, field contacts and reassignments."""
    async with db.transaction() as session:
        orgs = (await session.scalars(select(PartnerOrg))).all()
        for org in orgs:
            for n in range(extra):
                session.add(
                    User(
                        email=f"grown{extra}-{n}@{org.slug}.example",
                        name=f"Grown {n}",
                        partner_org_id=org.id,
                        roles=["sales_rep"],
                    )
                )
                session.add(
                    FieldContact(
                        partner_org_id=org.id,
                        role="support",
                        name=f"Helper {n}",
                        email=f"helper{extra}-{n}@vendor.example",
                    )
                )
                session.add(
                    AssignmentChange(
                        partner_org_id=org.id,
                        to_email="cam@vendor.example",
                        to_name="Casey Manager",
                        note="",
                        changed_by="admin@vendor.example",
                    )
                )


@pytest.mark.parametrize("persona", list(PEOPLE))
async def test_a_rendered_page_sends_a_few_statements_that_do_not_grow_with_the_data(
    rig: HomeRig, db: Database, store: KeyValueStore, persona: str
) -> None:
    email, cap = PEOPLE[persona]
    await rig.sign_in(email)
    await grow_every_org(db, 2)
    before = await rendered_page(rig, db, store)

    await grow_every_org(db, 12)
    after = await rendered_page(rig, db, store)

    assert len(before) <= cap, [statement for statement, _ in before]
    assert len(after) == len(before), "a statement per row somewhere (an N+1)"
    repeated = [sent for sent, times in Counter(after).items() if times > 1]
    assert repeated == [], "a read the page's widgets share was made again"
