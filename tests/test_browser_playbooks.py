"""In a real browser: the channel manager starts a playbook for Initech from the dormant list
and finds it on the partner's page, then on what worked."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import DemoServer
from tests.test_browser_program import sign_in, wait_for_the_sync

pytestmark = pytest.mark.browser


def test_start_win_back_for_initech_from_the_dormant_list(
    demo_server: DemoServer, browser: Browser
) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, demo_server.base_url, "cam@vendor.example")
    wait_for_the_sync(page, demo_server.base_url)  # leaves the page on the dormant list

    page.locator("#playbook-start select[name=playbook]").select_option(
        label="Win-back: SPIF + email"
    )
    page.get_by_role("button", name="Start the playbook for Initech").click()
    expect(page.get_by_role("heading", name="Started for 1 partner")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Initech")
    expect(page.get_by_text("through the marketing platform", exact=False).first).to_be_visible()

    page.get_by_role("link", name="The partner's page").first.click()
    expect(page.get_by_role("heading", name="Initech", level=1)).to_be_visible()
    playbook = page.get_by_role("region", name="Reactivation playbook")
    expect(playbook).to_contain_text("In “Win-back: SPIF + email” since")
    expect(playbook).to_contain_text("Done")

    # Back on the dormant list, Initech is in the playbook rather than offered a start.
    page.goto(demo_server.base_url + "/program/partners?status=dormant")
    expect(page.get_by_role("button", name="Start the playbook for Initech")).to_have_count(0)

    page.goto(demo_server.base_url + "/program/playbooks")
    expect(page.get_by_role("heading", name="Playbooks: what worked", level=1)).to_be_visible()
    assert page.locator("figure svg").count() >= 1
    expect(page.get_by_text("Too few runs to conclude", exact=False).first).to_be_visible()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
