"""In a real browser: the channel manager opens program insight, filters, exports, drills in."""

from __future__ import annotations

import csv
import io
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import DemoServer

pytestmark = pytest.mark.browser


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/auth/demo")
    page.locator(f'button[data-email="{email}"]').click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def wait_for_the_sync(page: Page, base_url: str) -> None:
    """The demo's first sync pass fills the activity log moments after it starts."""
    deadline = time.monotonic() + 60
    while True:
        page.goto(base_url + "/program/partners?status=dormant")
        if page.get_by_role("link", name="Initech", exact=True).count():
            return
        if time.monotonic() > deadline:
            pytest.fail("Initech never showed as dormant")
        time.sleep(1)


def test_overview_filter_export_and_one_partner(demo_server: DemoServer, browser: Browser) -> None:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, demo_server.base_url, "cam@vendor.example")
    wait_for_the_sync(page, demo_server.base_url)

    page.goto(demo_server.base_url + "/program")
    expect(page.get_by_role("heading", name="Program insight", level=1)).to_be_visible()
    # Who needs the manager most: dormant partners first, each with its reasons and sources.
    needs = page.get_by_role("region", name="Who needs you this week")
    expect(needs.locator("tbody tr").first).to_contain_text("Dormant")
    expect(needs).to_contain_text("No meaningful activity")
    expect(needs).to_contain_text("Mautic")
    # The charts are real SVG with their data as a table beside them.
    assert page.locator("svg").count() >= 3
    assert not [e for e in errors if "Content Security Policy" in e], errors

    page.get_by_role("link", name="Partners", exact=True).first.click()
    page.get_by_label("State").select_option("dormant")
    page.get_by_role("button", name="Filter").click()
    assert "status=dormant" in page.url
    rows = page.locator("table.data-table tbody tr")
    shown = rows.count()
    assert shown >= 1
    expect(rows.first).to_contain_text("Dormant")

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Export these").click()
    download = waiting.value
    path = download.path()
    assert path is not None
    exported = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(exported) == shown
    assert {row["status"] for row in exported} == {"dormant"}
    assert "initech" in {row["key"] for row in exported}

    page.get_by_role("link", name="Initech", exact=True).first.click()
    expect(page.get_by_role("heading", name="Initech", level=1)).to_be_visible()
    expect(page.get_by_text("No meaningful activity", exact=False).first).to_be_visible()
    context.close()
