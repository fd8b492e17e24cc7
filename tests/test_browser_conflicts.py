"""In a real browser: the channel manager finds the Umbrella Corporation conflict and decides it."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import DemoServer
from tests.test_browser_program import sign_in

pytestmark = pytest.mark.browser


def test_the_umbrella_conflict_is_decided_and_acme_is_told(
    demo_server: DemoServer, browser: Browser
) -> None:
    context = browser.new_context()
    page = context.new_page()
    base = demo_server.base_url
    sign_in(page, base, "cam@vendor.example")
    deadline = time.monotonic() + 60
    while True:  # the demo's first sync puts the conflict in the queue
        page.goto(base + "/program")
        if "1 deal-registration conflict waits" in (page.text_content("main") or ""):
            break
        if time.monotonic() > deadline:
            pytest.fail("the Umbrella conflict never reached the queue")
        time.sleep(1)
    page.get_by_role("link", name="1 deal-registration conflict waits for a decision").click()
    conflict = page.locator("article.conflict").filter(has_text="Umbrella Corp.")
    expect(conflict).to_contain_text("Umbrella Corporation Ltd")
    expect(conflict).to_contain_text("Acme Corporation")
    expect(conflict).to_contain_text("similar company name")
    expect(conflict).to_contain_text("The policy suggests: approve Acme Corporation")
    # Accepting both without a note is refused, with the reason.
    conflict.get_by_label("Accept both (say why below)").check()
    conflict.get_by_role("button", name="Decide and write to the PRM").click()
    expect(page.get_by_role("alert")).to_contain_text("needs a note")
    conflict = page.locator("article.conflict").filter(has_text="Umbrella Corp.")
    conflict.get_by_label("Approve Acme Corporation's, reject the other").check()
    conflict.get_by_role("button", name="Decide and write to the PRM").click()
    expect(page.get_by_role("status").first).to_contain_text("written to the PRM")
    decided = page.get_by_role("region", name="Decided recently")
    expect(decided).to_contain_text("Acme Corporation (approved)")
    expect(decided).to_contain_text("Globex (not approved)")
    context.close()

    # Acme's rep is told about its own registration, and nothing of Globex's.
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, base, "rep@acme.example")
    page.goto(base + "/notifications")
    main = page.locator("main")
    expect(main).to_contain_text("Your deal registration for Umbrella Corp. was approved")
    expect(main).not_to_contain_text("Globex")
    context.close()
