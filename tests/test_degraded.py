"""Honest degraded states: a backend that stops answering is named once, figures keep their age."""

from __future__ import annotations

import asyncio
import gc
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hub.connectors.records import Kind, PartnerRef, PersonRef
from hub.connectors.standing import Problem, Standing
from hub.db import Database
from hub.settings import Settings
from hub.store import KeyValueStore
from hub.widgets.connector_words import health_status, outage_notice
from tests.fakes.connectors import fake_config
from tests.fakes.home import HomeRig, home_rig

pytestmark = pytest.mark.anyio

REP = "rep@acme.example"  # the sales rep's page is mostly incentive widgets
INCENTIVE_WIDGETS = ("progress_to_goal", "spiff_eligibility", "claim_status")
NOT_ANSWERING = "Rewards is not answering"


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    loop = asyncio.get_running_loop()
    unretrieved: list[object] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unretrieved.append(context.get("message")))
    async with home_rig(settings, db, store, resilient=True) as made:
        yield made
    gc.collect()
    loop.set_exception_handler(previous)
    assert unretrieved == []  # no "Task exception was never retrieved"


async def _incentives_stop_answering(rig: HomeRig) -> None:
    for name in INCENTIVE_WIDGETS:
        assert (await rig.widget(name)).status_code == 200  # cached while it answers
    rig.connectors[Kind.INCENTIVES].fail = True
    for name in INCENTIVE_WIDGETS:
        await rig.widget(name)  # served stale; the refresh behind it fails
    await asyncio.sleep(0.2)


async def test_a_backend_not_answering_is_named_once_on_the_page(rig: HomeRig) -> None:
    await rig.sign_in(REP)
    assert "is not answering" not in (await rig.client.get("/")).text
    await _incentives_stop_answering(rig)
    page = (await rig.client.get("/")).text
    assert page.count("is not answering") == 1
    notice = re.search(rf"{re.escape(NOT_ANSWERING)}; its figures are from (\d+ \w+) ago\.", page)
    assert notice is not None, page
    assert "because a backend is not answering" not in page


async def test_each_widget_answer_brings_the_notice_out_of_band(rig: HomeRig) -> None:
    await rig.sign_in(REP)
    await _incentives_stop_answering(rig)
    answer = (await rig.widget("claim_status")).text
    assert answer.count('id="backend-notices"') == 1
    assert 'hx-swap-oob="innerHTML"' in answer
    assert answer.count(NOT_ANSWERING) == 1
    rig.connectors[Kind.INCENTIVES].fail = False
    await rig.widget("claim_status")  # stale once more; this refresh succeeds
    await asyncio.sleep(0.2)
    assert "is not answering" not in (await rig.widget("claim_status")).text
    assert "is not answering" not in (await rig.client.get("/")).text


async def test_without_javascript_the_widget_page_has_no_out_of_band_notice(rig: HomeRig) -> None:
    await rig.sign_in(REP)
    await _incentives_stop_answering(rig)
    page = (await rig.client.get("/widgets/claim_status")).text
    assert "hx-swap-oob" not in page
    assert "Out of date" in page


async def test_a_widget_that_could_not_refresh_states_the_real_age(rig: HomeRig) -> None:
    await rig.sign_in(REP)
    await _incentives_stop_answering(rig)
    widget = (await rig.widget("spiff_eligibility")).text
    frame = widget.split('id="backend-notices"')[0]
    assert "just now" not in frame
    assert "Updated" not in frame
    assert re.search(r"Out of date</span> Figures from \d+ seconds? ago", frame), frame
    assert "is not answering" not in frame


async def test_a_widget_shown_from_its_last_good_value_states_its_age(
    settings: Settings, db: Database, store: KeyValueStore
) -> None:
    async with home_rig(settings, db, store) as rig:  # no cache: the widget's own last good
        await rig.sign_in(REP)
        assert "Updated just now" in (await rig.widget("claim_status")).text
        rig.connectors[Kind.INCENTIVES].fail = True
        stale = (await rig.widget("claim_status")).text
        assert "just now" not in stale
        assert re.search(r"Figures from \d+ seconds? ago", stale)


async def test_connector_health_speaks_in_words(rig: HomeRig) -> None:
    await rig.sign_in("admin@vendor.example")
    rep = PersonRef(REP)
    await rig.hub.backends.incentives.goals(rep)
    await rig.hub.backends.prm.deals(PartnerRef("acme", "Acme Corporation"))
    rig.connectors[Kind.INCENTIVES].fail = True
    for _ in range(2):  # stale, then the refresh behind it fails
        await rig.hub.backends.incentives.goals(rep)
        await asyncio.sleep(0.1)
    health = (await rig.widget("connector_health")).text
    frame = health.split('id="backend-notices"')[0]
    assert re.search(r"Not answering since \d{1,2}:\d\d\s?[AP]M UTC", frame), frame
    assert "Rewards" in frame
    assert re.search(r"Answering: \d+ ms typical", frame)
    for name in ("TimeoutError", "BackendUnavailable", "CircuitOpen", "Exception"):
        assert name not in health


def test_connector_words_in_german() -> None:
    now = datetime(2026, 12, 6, 10, 50, tzinfo=UTC)
    down = Standing("incentives", down_since=now - timedelta(minutes=8), problem=Problem.NO_ANSWER)
    assert health_status(down, None, None, "de", now) == "Antwortet nicht seit 10:42 UTC"
    assert health_status(down, None, None, "en", now) == "Not answering since 10:42\u202fAM UTC"
    slow = Standing("incentives", last_answer=now)
    assert health_status(slow, None, 2300.0, "en", now) == "Slow: 2.3 s typical"
    assert health_status(slow, None, 2300.0, "de", now) == "Langsam: typisch 2,3 s"
    config = fake_config(Kind.INCENTIVES)
    stood_in = replace(down, stand_in_from=now - timedelta(minutes=14))
    assert outage_notice(config, stood_in, "en", now) == (
        "Rewards is not answering; its figures are from 14 minutes ago."
    )
    assert outage_notice(config, stood_in, "de", now) == (
        "Prämien antwortet nicht; die Zahlen daraus stammen von vor 14 Minuten."
    )


async def test_figures_past_their_time_from_an_answering_backend_are_not_called_out_of_date(
    rig: HomeRig,
) -> None:
    await rig.sign_in(REP)
    assert "Updated just now" in (await rig.widget("spiff_eligibility")).text
    await asyncio.sleep(0.05)
    # Past the cache's lifetime: the cached copy is shown while a fresh one is fetched.
    again = (await rig.widget("spiff_eligibility")).text.split('id="backend-notices"')[0]
    assert "Out of date" not in again
    assert re.search(r"Updated (just now|\d+ seconds? ago)", again)
    assert 'hx-trigger="load delay:3s"' in again  # asks again once the copy is here
    await asyncio.sleep(0.2)
    fresh = (await rig.widget("spiff_eligibility")).text
    assert "Out of date" not in fresh
    # With the backend failing, the same figures are called out of date.
    await _incentives_stop_answering(rig)
    failed = (await rig.widget("spiff_eligibility")).text
    assert "Out of date" in failed
    assert 'hx-trigger="load delay:3s"' not in failed
