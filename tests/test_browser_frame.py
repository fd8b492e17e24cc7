"""The page frame in a real browser: menus that open by keyboard, one line on a phone."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import DemoServer

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def sign_in(browser: Browser, server: DemoServer, email: str, viewport: dict[str, int]) -> Page:
    page = browser.new_context(viewport=viewport).new_page()  # type: ignore[arg-type]
    page.goto(server.base_url + "/auth/demo")
    page.locator(f'button[data-email="{email}"]').click()
    page.wait_for_url(server.base_url + "/")
    return page


def shot(page: Page, name: str) -> None:
    """Keep a picture when asked to (HUB_SCREENSHOTS=dir), for the README and for review."""
    folder = os.environ.get("HUB_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"))


def test_portals_and_profile_menus_open_by_keyboard(
    demo_server: DemoServer, browser: Browser
) -> None:
    page = sign_in(browser, demo_server, "owner@acme.example", DESKTOP)
    portals = page.locator(".portals-menu")
    portals.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(portals.locator(".menu-panel")).to_be_visible()
    expect(portals.locator(".menu-panel")).to_contain_text("Salesforce")
    expect(portals.locator(".menu-panel")).to_contain_text("Moodle")
    shot(page, "frame-portals")
    profile = page.locator(".profile-menu")
    profile.locator("summary").click()
    panel = profile.locator(".menu-panel")
    expect(panel.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    expect(panel.get_by_role("button", name="Sign out everywhere")).to_be_visible()
    page.select_option("#language-choice", "de")
    panel.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator(".notifications-link")).to_contain_text("Benachrichtigungen")
    # The choice is kept in the profile: put it back for the other tests of this demo.
    page.locator(".profile-menu summary").click()
    page.select_option("#language-choice", "en")
    page.locator(".profile-menu .language-form button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_on_a_phone_the_frame_takes_one_line(demo_server: DemoServer, browser: Browser) -> None:
    page = sign_in(browser, demo_server, "cam@vendor.example", PHONE)
    header = page.locator(".site-header")
    box = header.bounding_box()
    assert box is not None
    assert box["height"] <= 64, box
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the frame does not scroll sideways"
    page.locator(".profile-menu summary").click()
    program = page.locator(".profile-menu .menu-panel").get_by_role("link", name="Program")
    expect(program).to_be_visible()
    shot(page, "frame-phone")
    program.click()
    page.wait_for_url(demo_server.base_url + "/program")


SMALLEST_PHONE = {"width": 375, "height": 844}


@pytest.mark.parametrize(
    ("email", "paths"),
    [
        ("owner@globex.example", ("/", "/profile", "/content", "/questions")),
        ("cam@vendor.example", ("/program", "/program/partners", "/program/partners/initech")),
        ("admin@vendor.example", ("/", "/admin/content", "/admin/layouts", "/admin/program")),
    ],
)
def test_no_page_scrolls_sideways_on_a_small_phone(
    demo_server: DemoServer, browser: Browser, email: str, paths: tuple[str, ...]
) -> None:
    """Wide tables scroll inside their own box; nothing else (a long email address, a
    select with long options, the customise panel) may widen the page."""
    page = sign_in(browser, demo_server, email, SMALLEST_PHONE)
    try:
        wide = {}
        for path in paths:
            page.goto(demo_server.base_url + path)
            expect(page.locator('[aria-busy="true"]')).to_have_count(0, timeout=20_000)
            if path == "/":
                page.locator(".layout-editor summary").click()  # the customise panel too
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > SMALLEST_PHONE["width"]:
                wide[path] = width
        assert wide == {}
    finally:
        page.context.close()
