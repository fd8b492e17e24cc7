"""In chromium against the demo: an administrator changes a suggestion in its form,
previews whom it reaches, saves it, and a marketer is offered the new wording."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import DemoServer, run_demo

pytestmark = pytest.mark.browser

WIDGET_WAIT = 20_000
NEW_TITLE = "Share the autumn launch campaign"


@pytest.fixture(scope="module")
def own_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """A demo of its own: the rule changed here must not reach other browser tests."""
    with run_demo(tmp_path_factory.mktemp("rule-editors")) as server:
        yield server


def signed_in(browser: Browser, server: DemoServer, email: str) -> tuple[Page, list[str]]:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(server.base_url + "/auth/demo")
    page.locator(f'button[data-email="{email}"]').click()
    page.wait_for_url(server.base_url + "/")
    return page, problems


def test_an_admin_edits_a_suggestion_in_its_form_and_marketers_get_it(
    own_demo: DemoServer, browser: Browser
) -> None:
    admin, problems = signed_in(browser, own_demo, "admin@vendor.example")
    admin.goto(own_demo.base_url + "/admin/rules")
    admin.get_by_role("link", name="Share the new product campaign").click()
    admin.get_by_label("Title", exact=True).fill(NEW_TITLE)
    admin.get_by_label("Bonus points when confirmed from the data", exact=True).fill("45")
    # Nothing confirms a shared campaign from the data: what "I did this" pays is shown.
    admin.get_by_label("Points for “I did this”", exact=True).fill("45")
    admin.get_by_role("button", name="Preview who gets it").click()
    preview = admin.locator("#rule-preview")
    expect(preview).to_contain_text("Preview: nothing is saved yet")
    expect(preview).to_contain_text(NEW_TITLE)
    expect(preview).to_contain_text(re.compile(r"It reaches \d+ people now"))
    expect(preview.get_by_role("row", name=re.compile("^Marketer"))).to_contain_text(
        re.compile(r"and \d+ more")
    )
    # The preview came through htmx: the page did not reload, the form keeps what was typed.
    expect(admin.get_by_label("Title", exact=True)).to_have_value(NEW_TITLE)
    admin.get_by_role("button", name="Save suggestion").click()
    admin.wait_for_url(own_demo.base_url + "/admin/rules#action-redistribute-campaign")
    expect(admin.locator("#action-redistribute-campaign")).to_contain_text(NEW_TITLE)
    expect(admin.locator("#action-redistribute-campaign")).to_contain_text("45")
    assert not [p for p in problems if "Content Security Policy" in p]

    marketer, _ = signed_in(browser, own_demo, "marketer@globex.example")
    action = marketer.locator("#widget-next_best_action")
    expect(action).to_contain_text(NEW_TITLE, timeout=WIDGET_WAIT)
    expect(action).to_contain_text("+45 points")
