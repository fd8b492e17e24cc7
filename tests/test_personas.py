"""A persona is one catalogue entry: adding one needs no code anywhere else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import select

import hub.app
from hub.db import Database, User
from hub.personas import catalogue
from hub.personas.audience import Audience
from hub.personas.catalogue import InvalidPersonas, Persona, PersonaBook, default_personas
from hub.settings import Settings
from hub.store import KeyValueStore
from hub.widgets.catalogue import build_registry
from tests.fakes.home import HomeRig, home_rig

pytestmark = pytest.mark.anyio

# The new persona: an alliance manager on the vendor's side, with a page of their own.
ALLIANCE = Persona(
    "alliance_manager",
    "Alliance manager",
    "Strategic alliances",
    None,
    ("my_partners", "quiet_partners", "whats_new", "quick_links"),
    audience=Audience.VENDOR,
    may_add=("next_best_action",),
    fact_reads=("dormant_partners",),
)


@pytest.fixture
def added() -> Iterator[None]:
    """The catalogue with the new entry, as if it were written into default_personas."""
    original = catalogue.default_personas
    extended = [*original(), ALLIANCE]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(catalogue, "default_personas", lambda: extended)
        patch.setattr(hub.app, "default_personas", lambda: extended)
        catalogue.roles.cache_clear()
        yield
    catalogue.roles.cache_clear()


@pytest.fixture
async def rig(
    added: None, settings: Settings, db: Database, store: KeyValueStore
) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store) as made:
        async with db.transaction() as session:
            user = await session.scalar(select(User).where(User.email == "cam@vendor.example"))
            assert user is not None
            user.roles = ["alliance_manager"]
        yield made


def test_roles_come_from_the_catalogue(added: None) -> None:
    found = catalogue.roles()
    assert "alliance_manager" in found.known
    assert "alliance_manager" in found.vendor
    assert "alliance_manager" not in found.admin


async def test_a_new_persona_gets_its_page_its_widgets_and_nothing_else(rig: HomeRig) -> None:
    await rig.sign_in("cam@vendor.example")
    page = await rig.client.get("/")
    assert page.status_code == 200, page.text
    for name in ALLIANCE.widgets:
        assert f'id="widget-{name}"' in page.text
    assert 'id="widget-recognition_budget"' not in page.text
    assert (await rig.widget("my_partners")).status_code == 200
    suggestions = await rig.widget("next_best_action")  # one it may add
    assert suggestions.status_code == 200
    assert (await rig.widget("recognition_budget")).status_code == 403  # not in its entry
    assert (await rig.widget("dollars_spent")).status_code == 403  # a partner widget


def test_a_persona_listing_a_widget_of_the_other_audience_stops_start_up() -> None:
    wrong = Persona("x", "x", "x", None, ("quick_links",), may_add=("my_partners",))
    with pytest.raises(InvalidPersonas, match="my_partners"):
        PersonaBook([*default_personas(), wrong], build_registry())
