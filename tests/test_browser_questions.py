"""In a real browser: a partner asks an expert, the expert answers from their homepage,
and the partner is told and reads the answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import DemoServer
from tests.test_browser_program import sign_in

pytestmark = pytest.mark.browser
TITLE = "Does the connector support <b>SSO</b> for our customers?"


def test_a_partner_asks_and_the_expert_answers(demo_server: DemoServer, browser: Browser) -> None:
    base = demo_server.base_url
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, base, "rep@acme.example")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ask an expert").click()
    expect(page.get_by_role("heading", name="Ask an expert", level=1)).to_be_visible()
    page.get_by_label("Topic").select_option(label="Technical integration")
    page.get_by_label("Your question").fill(TITLE)
    page.get_by_label("Details").fill("Three customers asked this week.")
    page.get_by_role("button", name="Send to the experts").click()
    expect(page.get_by_role("status")).to_contain_text("went to the experts for Technical")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)  # shown as text
    context.close()

    context = browser.new_context()
    page = context.new_page()
    sign_in(page, base, "expert@vendor.example")
    widget = page.locator(
        "section.widget", has=page.get_by_role("heading", name="Expert Questions")
    )
    widget.get_by_role("link", name=TITLE).click()
    expect(page.get_by_text("Three customers asked this week.")).to_be_visible()
    page.get_by_label("Your answer").fill("Yes: set it up under Connectors, Single sign-on.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_role("status")).to_contain_text("Answer sent")
    context.close()

    context = browser.new_context()
    page = context.new_page()
    sign_in(page, base, "rep@acme.example")
    page.goto(base + "/notifications")
    page.get_by_role("link", name=f"An expert answered your question: {TITLE}").click()
    expect(page.locator(".answer")).to_contain_text("set it up under Connectors")
    expect(page.locator(".answer")).to_contain_text("Erin Fischer")
    context.close()
