"""In chromium against the demo: act on a suggestion, thank a colleague, answer the survey,
reward a partner from a budget, all from the homepage and updated in place."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import DemoServer

pytestmark = pytest.mark.browser

WIDGET_WAIT = 20_000


def home_as(browser: Browser, server: DemoServer, email: str) -> tuple[Page, list[str]]:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(server.base_url + "/auth/demo")
    page.locator(f'button[data-email="{email}"]').click()
    page.wait_for_url(server.base_url + "/")
    expect(page.locator('section.widget[aria-busy="true"]')).to_have_count(0, timeout=WIDGET_WAIT)
    return page, problems


def csp_errors(problems: list[str]) -> list[str]:
    return [p for p in problems if "Content Security Policy" in p]


def test_doing_the_next_best_action_moves_the_points_balance(
    demo_server: DemoServer, browser: Browser
) -> None:
    page, problems = home_as(browser, demo_server, "marketer@globex.example")
    action = page.locator("#widget-next_best_action")
    expect(action).to_contain_text("Share the new product campaign")
    expect(action).to_contain_text("because")
    expect(action).to_contain_text("+30 points")
    # Its link records the click and opens the campaign portal (the demo's stand-in).
    link = action.get_by_role("link", name="Share the new product campaign")  # the primary button
    opened = page.request.get(demo_server.base_url + (link.get_attribute("href") or ""))
    assert opened.ok
    assert opened.url.startswith(demo_server.base_url + "/demo/portals/mautic/")
    balance = page.locator("#widget-points_badges .points-balance")
    before = int(balance.inner_text().replace(",", ""))
    action.get_by_role(
        "button", name=re.compile(r"^I did this\W+Share the new product campaign")
    ).click()
    expect(action).to_contain_text("Your points are on their way")
    expect(action).not_to_contain_text("Share the new product campaign")
    # The points widget reloads itself, and again once the scheduler has evaluated the
    # action's event (its Go-getter badge); a sign-in evaluated meanwhile may add its 5.
    page.wait_for_function(
        """least => {
          const shown = document.querySelector("#widget-points_badges .points-balance");
          return shown && parseInt(shown.textContent.replace(/,/g, ""), 10) >= least;
        }""",
        arg=before + 40,
        timeout=WIDGET_WAIT,
    )
    after = int(balance.inner_text().replace(",", ""))
    # The action's 30, the Go-getter badge's 10, perhaps a sign-in's 5.
    assert before + 40 <= after <= before + 45
    expect(page.locator("#widget-points_badges")).to_contain_text("Go-getter")
    page.reload()
    expect(page.locator("#widget-points_badges .points-balance")).to_have_text(
        f"{after:,}", timeout=WIDGET_WAIT
    )
    assert not csp_errors(problems), problems
    page.context.close()


def test_dismissing_an_action_removes_it(demo_server: DemoServer, browser: Browser) -> None:
    page, problems = home_as(browser, demo_server, "owner@initech.example")
    action = page.locator("#widget-next_best_action")
    expect(action).to_contain_text("Register a deal")
    action.get_by_role("button", name=re.compile(r"^Dismiss\W+Register a deal")).click()
    expect(action).to_contain_text("It will not be suggested again")
    expect(action).not_to_contain_text("Register a deal")
    page.reload()
    expect(page.locator("#widget-next_best_action")).not_to_contain_text(
        "Register a deal", timeout=WIDGET_WAIT
    )
    assert not csp_errors(problems), problems
    page.context.close()


def test_answering_the_survey_and_thanking_a_colleague(
    demo_server: DemoServer, browser: Browser
) -> None:
    page, problems = home_as(browser, demo_server, "rep@globex.example")
    survey = page.locator("#widget-pulse_survey")
    expect(survey).to_contain_text("How relevant is your homepage to your work?")
    survey.get_by_label("4", exact=True).check()
    survey.get_by_label("Recognition", exact=True).check()
    survey.get_by_label("One thing we should add?").fill("A dark theme")
    survey.get_by_role("button", name="Send answers").click()
    expect(survey).to_contain_text("Thank you for your answers")

    feed = page.locator("#widget-recognition_feed")
    feed.get_by_text("Thank a colleague", exact=True).click()
    feed.get_by_label("Who").select_option(label="Marco Rossi (Globex)")
    feed.get_by_label("What for").fill("Thanks for the launch deck")
    feed.get_by_label("Value").select_option("teamwork")
    feed.get_by_role("button", name="Send kudos").click()
    expect(feed).to_contain_text("Kudos sent to Marco Rossi")
    expect(feed.locator(".kudos-list")).to_contain_text("Thanks for the launch deck")
    # An empty message is refused in place, with its reason, and the form stays.
    feed.get_by_text("Thank a colleague", exact=True).click()
    feed.get_by_label("What for").fill("   ")
    feed.get_by_role("button", name="Send kudos").click()
    expect(feed.locator(".widget-notice-bad")).to_contain_text("Say what you are thanking")
    assert not csp_errors(problems), problems
    page.context.close()


def test_a_channel_manager_rewards_a_partner_and_not_beyond_the_budget(
    demo_server: DemoServer, browser: Browser
) -> None:
    page, problems = home_as(browser, demo_server, "cam@vendor.example")
    budget = page.locator("#widget-recognition_budget")
    left = int(budget.locator(".budget-left").inner_text().replace(",", ""))
    assert left > 100
    budget.get_by_label("Who").select_option(label="Ian Novak (Initech)")
    budget.get_by_label("Points").fill("100")
    budget.get_by_label("What for").fill("Back in the program")
    budget.get_by_role("button", name="Reward").click()
    expect(budget).to_contain_text("Kudos sent to Ian Novak")
    expect(budget.locator(".budget-left")).to_have_text(f"{left - 100:,}")

    budget.get_by_label("Who").select_option(label="Marco Rossi (Globex)")
    budget.get_by_label("Points").fill(str(min(left - 99, 1000)))
    budget.get_by_label("What for").fill("Too generous")
    budget.get_by_role("button", name="Reward").click()
    expect(budget.locator(".widget-notice-bad")).to_contain_text(
        "Your budget does not have that many points left"
    )
    expect(budget.locator(".budget-left")).to_have_text(f"{left - 100:,}")
    assert not csp_errors(problems), problems
    page.context.close()


def test_an_expired_agreement_is_renewed_before_any_deal(
    demo_server: DemoServer, browser: Browser
) -> None:
    page, problems = home_as(browser, demo_server, "owner@initech.example")
    action = page.locator("#widget-next_best_action")
    expect(action).to_contain_text("Renew your partner agreement", timeout=WIDGET_WAIT)
    first = action.locator(".action-item").first
    expect(first).to_contain_text("because your partner agreement has expired")
    renew = first.get_by_role("link", name="Renew your partner agreement")
    assert "button" in (renew.get_attribute("class") or "")  # the primary button
    opened = page.request.get(demo_server.base_url + (renew.get_attribute("href") or ""))
    assert opened.ok
    assert "/agreements/renew" in opened.url
    assert not csp_errors(problems), problems
    page.context.close()
