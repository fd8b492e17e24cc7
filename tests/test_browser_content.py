"""In a real browser: a partner searches the library as they type, opens a new item, and the
homepage shows the pinned launch."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import DemoServer

pytestmark = pytest.mark.browser


def test_partner_searches_and_opens_a_new_item(demo_server: DemoServer, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(demo_server.base_url + "/auth/demo")
    page.locator('button[data-email="rep@acme.example"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Raj Patel")
    widget = page.locator("#widget-content_for_you")
    expect(widget).to_contain_text("Cloud Backup 5 is here", timeout=30_000)  # pinned
    expect(widget).to_contain_text("Pinned")
    for _ in range(120):  # the worker indexes the sandboxes once the demo is up
        page.goto(demo_server.base_url + "/content")
        if page.get_by_text("Cloud Backup 5 in three minutes").count():
            break
        page.wait_for_timeout(1000)
    else:
        pytest.fail("the library never listed the sandboxes' items: their index was not refreshed")
    box = page.get_by_role("searchbox")
    box.press_sequentially("three minut", delay=40)  # htmx updates the results as one types
    results = page.locator("#content-results")
    expect(results).to_contain_text("best match first")
    best = results.locator("h2").first  # the title match ranks above the summary's mention
    expect(best).to_have_text("Cloud Backup 5 in three minutes", timeout=15_000)
    expect(best.locator("mark").first).to_have_text("three")
    assert "q=three" in page.url  # the search is in the address, so it works without JS too
    results.get_by_role("link", name="Cloud Backup 5 in three minutes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cloud Backup 5 in three minutes")
    page.get_by_role("link", name="Watch in Salesforce").click()
    # The Salesforce stand-in signs the rep in through the hub and lands on the file.
    expect(page.get_by_role("heading", level=1)).to_contain_text("The Salesforce portal")
    expect(page.locator("[data-portal-signed-in]")).to_contain_text("rep@acme.example")
    assert "/lightning/r/ContentDocument/" in page.url
    context.close()
