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


def test_a_reloaded_page_comes_whole_and_its_forms_still_work(
    demo_server: DemoServer, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(demo_server.base_url + "/auth/demo")
    page.locator('button[data-email="rep@acme.example"]').click()
    expect(page.locator('.widget-grid [aria-busy="true"]')).to_have_count(0, timeout=15_000)

    asked: list[str] = []
    page.on(
        "request", lambda request: asked.append(request.url) if "/widgets/" in request.url else None
    )
    page.reload()
    page.wait_for_load_state("networkidle")
    assert asked == [], "every widget came in the page itself"
    expect(page.locator('.widget-grid [aria-busy="true"]')).to_have_count(0)
    expect(page.locator("#widget-progress_to_goal")).to_contain_text("$")

    # A form inside a widget that came with the page carries this session's token.
    feed = page.locator("#widget-recognition_feed")
    feed.get_by_text("Thank a colleague", exact=True).click()
    feed.get_by_label("Who").select_option(index=1)
    feed.get_by_label("What for").fill("Thanks for covering the Tuesday demo")
    feed.get_by_label("Value").select_option("teamwork")
    feed.get_by_role("button", name="Send kudos").click()
    expect(feed).to_contain_text("Kudos sent to")
    # The sender's own change is on the page at the next load, not a minute later.
    page.reload()
    expect(page.locator("#widget-recognition_feed .kudos-list")).to_contain_text(
        "Thanks for covering the Tuesday demo", timeout=15_000
    )
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()


def test_customising_keeps_the_widgets_in_view_and_a_reset_can_be_undone(
    demo_server: DemoServer, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(demo_server.base_url + "/auth/demo")
    page.locator(f'button[data-email="{PERSON}"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sam Okafor")
    try:
        expect(page.locator('.widget-grid [aria-busy="true"]')).to_have_count(0, timeout=15_000)
        page.locator(".layout-editor summary").click()
        panel = page.locator(".layout-panel")
        box = panel.bounding_box()
        grid = page.locator(".widget-grid").bounding_box()
        assert box is not None
        assert grid is not None
        # The panel sits at the side, beside the widgets, not above them.
        assert box["x"] >= grid["x"] + grid["width"] - 1
        assert grid["y"] < 900
        # A widget added lands at the end of the page and is brought into view.
        page.locator("#add-widget").select_option(index=0)
        added = page.locator("#add-widget").input_value()
        page.locator('.layout-add button[value="add"]').click()
        section = page.locator(f"#widget-{added}")
        expect(section).to_have_attribute("data-just-added", "")
        expect(section).to_be_in_viewport(timeout=5_000)
        order = widget_order(page)
        # Reset, then undo: the page is back as it was.
        page.get_by_role("button", name="Reset to default").click()
        undo = page.get_by_role("button", name="Undo")
        expect(undo).to_be_focused()
        assert added not in widget_order(page)
        undo.click()
        expect(page.locator("#live-region")).to_contain_text("Your own layout is back.")
        assert widget_order(page) == order
        page.get_by_role("button", name="Done").click()
        expect(panel).to_be_hidden()
    finally:
        page.evaluate("document.querySelector('.layout-editor').open = true")
        page.get_by_role("button", name="Reset to default").click()
        page.wait_for_timeout(300)
        context.close()
