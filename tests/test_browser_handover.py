"""In a real browser: a channel manager writes a note and hands a partner over; the other
manager (who reads German) finds it among the inherited partners and reads the briefing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect

from hub.demo.population import Story, population
from tests.browser import DemoServer
from tests.test_browser_program import sign_in, wait_for_the_sync

pytestmark = pytest.mark.browser


def test_hand_over_a_partner_and_the_new_manager_reads_the_briefing(
    demo_server: DemoServer, browser: Browser
) -> None:
    # A steady partner nothing else in the browser tests looks at.
    org = next(
        o
        for o in population(datetime.now(UTC).date()).orgs
        if o.plan and o.plan.story == Story.STEADY
    )
    base = demo_server.base_url
    casey = browser.new_context()
    page = casey.new_page()
    sign_in(page, base, "cam@vendor.example")
    wait_for_the_sync(page, base)
    page.goto(f"{base}/program/partners/{org.slug}")
    expect(page.get_by_role("heading", name=org.name, level=1)).to_be_visible()
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.locator("li.timeline-entry").first).to_be_visible()  # the sync's activity
    page.get_by_label("Add a note").fill("Budget freeze until March <b>no bold</b>")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_role("status")).to_contain_text("Only the vendor's staff can read it")
    expect(timeline.locator("li.timeline-note").first).to_contain_text(
        "Budget freeze until March <b>no bold</b>"
    )
    page.get_by_label("New channel manager").select_option("dana@vendor.example")
    page.get_by_label("Hand-over note").fill("Owner wants a QBR in January.")
    page.get_by_role("button", name="Hand over").click()
    expect(page.get_by_role("status")).to_contain_text("The partner is handed over")
    assert page.url.endswith("/program?said=handed")
    casey.close()

    dana = browser.new_context()
    page = dana.new_page()
    sign_in(page, base, "dana@vendor.example")
    page.goto(f"{base}/program")
    inherited = page.get_by_role("region", name="Übernommene Partner, noch nicht gelesen")
    inherited.get_by_role("link", name=org.name).click()
    expect(page.get_by_role("heading", name=f"Übergabe-Briefing: {org.name}")).to_be_visible()
    expect(page.locator(".handover-note")).to_have_text("Owner wants a QBR in January.")
    expect(page.get_by_role("region", name="Die letzten Notizen")).to_contain_text(
        "Budget freeze until March"
    )
    expect(
        page.get_by_role("region", name="Wichtige Personen").locator("tbody tr").first
    ).to_be_visible()
    page.get_by_role("link", name="Seite des Partners öffnen").click()
    expect(page.get_by_role("heading", name=org.name, level=1)).to_be_visible()
    timeline = page.get_by_role("region", name="Zeitleiste")
    expect(timeline).to_contain_text("Von cam@vendor.example an Dana Weber übergeben")
    shown = timeline.locator("li.timeline-entry").count()
    # Eighteen months of activity: more than a page. With htmx, the older entries join
    # the list and the page stays.
    url = page.url
    timeline.get_by_role("link", name="Ältere anzeigen").first.click()
    expect(timeline.locator("li.timeline-entry")).not_to_have_count(shown)
    assert page.url == url
    page.goto(f"{base}/program")
    expect(
        page.get_by_role("region", name="Übernommene Partner, noch nicht gelesen")
    ).to_have_count(0)
    # Hand it back, so the demo is as it was for the other browser tests.
    page.goto(f"{base}/program/partners/{org.slug}")
    page.get_by_label("Neuer Channel Manager").select_option("cam@vendor.example")
    page.get_by_label("Übergabenotiz").fill("Zurück an Casey.")
    page.get_by_role("button", name="Übergeben", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Der Partner ist übergeben")
    dana.close()
