"""In a real browser: reorder the homepage with the keyboard alone; the layout survives reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import DemoServer

pytestmark = pytest.mark.browser

PERSON = "support@acme.example"


def widget_order(page: Page) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(
        ".widget-grid > section.widget", "nodes => nodes.map(n => n.id.replace('widget-', ''))"
    )
    return ids


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until ``selector`` has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_reorder_survives_a_reload(demo_server: DemoServer, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(demo_server.base_url + "/auth/demo")
    page.locator(f'button[data-email="{PERSON}"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sam Okafor")
    try:
        # Every widget loads on its own and stops being busy.
        expect(page.locator('.widget-grid [aria-busy="true"]')).to_have_count(0, timeout=15_000)
        expect(page.locator("#widget-satisfaction_rates .stat-value")).to_contain_text("%")
        before = widget_order(page)
        first, second, third = before[:3]

        tab_to(page, ".layout-editor summary")
        page.keyboard.press("Enter")
        tab_to(page, '.layout-item button[value="down"]')  # the first item's "up" is disabled
        page.keyboard.press("Enter")
        expect(page.locator("#live-region")).to_contain_text("moved down")
        assert widget_order(page)[:3] == [second, first, third]
        # Focus stays on the moved widget's button, so Enter moves it again.
        focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
        assert focused is not None
        assert focused.startswith("Move ")
        assert focused.endswith(" down")
        page.keyboard.press("Enter")
        # Wait for the swap itself (reading an item's text first would race it).
        page.wait_for_function(
            "first => document.querySelectorAll('.widget-grid > section')[2].id === 'widget-' + first",
            arg=first,
        )
        after = widget_order(page)
        assert after[:3] == [second, third, first]

        page.reload()
        assert widget_order(page) == after
        expect(page.locator('.widget-grid [aria-busy="true"]')).to_have_count(0, timeout=15_000)
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        page.evaluate("document.querySelector('.layout-editor').open = true")
        page.get_by_role("button", name="Reset to default").click()
        page.wait_for_timeout(300)
        context.close()
