"""In a real browser: the homepage widgets' charts show, in English and German, on a
desktop and at phone width, without pushing any card wider than itself."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import DemoServer

pytestmark = pytest.mark.browser


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/auth/demo")
    page.locator(f'button[data-email="{email}"]').click()
    expect(page.locator('.widget-grid [aria-busy="true"]')).to_have_count(0, timeout=20_000)


def overflowing_cards(page: Page) -> list[str]:
    found: list[str] = page.eval_on_selector_all(
        ".widget-grid > section.widget",
        "cards => cards.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.id)",
    )
    return found


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize(
    ("email", "charts", "table_summary"),
    [
        (
            "rep@acme.example",
            ("progress_to_goal", "claim_status"),
            "Figures as a table",
        ),
        ("owner@globex.example", ("program_status",), "Zahlen als Tabelle"),
    ],
)
def test_widget_charts_show_and_fit_their_cards(
    demo_server: DemoServer,
    browser: Browser,
    width: int,
    email: str,
    charts: tuple[str, ...],
    table_summary: str,
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        sign_in(page, demo_server.base_url, email)
        for name in charts:
            figure = page.locator(f"#widget-{name} figure.chart")
            expect(figure.first).to_be_visible()
            svg = figure.first.locator("svg.chart-svg")
            expect(svg).to_be_visible()
            box = svg.bounding_box()
            assert box is not None
            assert box["height"] > 20
            expect(figure.first.locator("summary")).to_have_text(table_summary)
            # Labels are plain text: no stroke leaks into them from the shapes' styles.
            outlined = figure.first.evaluate(
                "f => [...f.querySelectorAll('text')].filter("
                "t => getComputedStyle(t).stroke !== 'none').map(t => t.textContent)"
            )
            assert outlined == [], (name, outlined)
        if "progress_to_goal" in charts:
            # The sandbox reports the goals' weekly progress: the first goal's trend shows too.
            trend = page.locator("#widget-progress_to_goal figure.chart-kind-trend")
            expect(trend).to_be_visible()
            expect(trend.locator("path.chart-pace")).to_have_count(2)  # the line and its legend
        assert overflowing_cards(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        context.close()
