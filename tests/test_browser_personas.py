"""In chromium: every persona's homepage fills from the sandboxes; a dead backend
degrades only the widgets that read it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import DemoServer, run_demo

pytestmark = pytest.mark.browser

PERSONAS = {
    "owner@acme.example": ("Program Status", "Gold"),
    "rep@acme.example": ("Progress to Goal", "$"),
    "marketer@globex.example": ("MDF Available", "available to request"),
    "support@acme.example": ("Certification Level", "Updated"),
    "cam@vendor.example": ("My Partners", "No meaningful activity for"),
    "admin@vendor.example": ("Connector Health", "Salesforce"),
    "expert@vendor.example": ("Expert Questions", "analytics add-on"),
}
# PRM widgets whose reads the demo's start-up sync does not warm (it reads deals),
# so with Salesforce down from the start they have nothing cached to show.
PRM_WIDGETS = ("rebates_earned", "coop_earned")


def sign_in(browser: Browser, server: DemoServer, email: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(server.base_url + "/auth/demo")
    page.locator(f'button[data-email="{email}"]').click()
    page.wait_for_url(server.base_url + "/")
    return page


def wait_for_widgets(page: Page) -> int:
    widgets = page.locator("section.widget")
    count = widgets.count()
    assert count >= 4, "a homepage shows at least four widgets"
    expect(page.locator('section.widget[aria-busy="true"]')).to_have_count(0, timeout=20_000)
    return count


@pytest.mark.parametrize(("email", "expected"), PERSONAS.items(), ids=list(PERSONAS))
def test_every_persona_sees_their_widgets_filled(
    demo_server: DemoServer, browser: Browser, email: str, expected: tuple[str, str]
) -> None:
    page = sign_in(browser, demo_server, email)
    wait_for_widgets(page)
    assert page.locator(".widget-notice-bad").count() == 0, "no widget failed"
    title, figure = expected
    widget = page.locator("section.widget", has=page.get_by_role("heading", name=title))
    expect(widget).to_contain_text(figure)
    page.context.close()


def test_a_backend_that_is_down_degrades_only_its_widgets(browser: Browser, tmp_path: Path) -> None:
    with run_demo(tmp_path) as server:
        admin = sign_in(browser, server, "admin@vendor.example")
        admin.goto(server.base_url + "/admin")
        form = admin.locator('form[action="/admin/sandboxes/salesforce"]')
        form.locator('input[name="down"]').check()
        form.get_by_role("button").click()
        admin.wait_for_url(server.base_url + "/admin#sandboxes")
        admin.context.close()

        page = sign_in(browser, server, "owner@acme.example")
        wait_for_widgets(page)
        for name in PRM_WIDGETS:
            expect(page.locator(f"#widget-{name} .widget-notice-bad")).to_be_visible()
        for name in ("field_team", "quick_links", "points_badges"):
            expect(page.locator(f"#widget-{name}")).not_to_contain_text("cannot be loaded")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Alice Archer")
        page.context.close()
