"""In a real browser: the demo comes up and a person signs in and sees their page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import DemoServer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("email", "name"),
    [("rep@acme.example", "Raj Patel"), ("cam@vendor.example", "Casey Morgan")],
)
def test_demo_person_signs_in_and_sees_their_homepage(
    demo_server: DemoServer, browser: Browser, email: str, name: str
) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(demo_server.base_url + "/")
    expect(page.get_by_role("heading", name="Sign in to Partner Hub")).to_be_visible()
    page.get_by_role("link", name="Try the demo").click()
    page.locator(f'button[data-email="{email}"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    assert page.url.rstrip("/") == demo_server.base_url
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.locator(".profile-menu summary").click()  # sign-out lives in the profile menu
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in to Partner Hub")).to_be_visible()
    context.close()


def test_skip_link_moves_focus_to_main(demo_server: DemoServer, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(demo_server.base_url + "/auth/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.close()
