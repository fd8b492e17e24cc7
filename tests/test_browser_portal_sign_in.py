"""In chromium against the demo: a widget's deep link into the Salesforce stand-in goes
through the hub's OpenID Provider and lands, signed in without a password, on its page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import DemoServer
from tests.test_browser_engagement import WIDGET_WAIT, csp_errors, home_as

pytestmark = pytest.mark.browser


def test_a_deep_link_from_a_widget_arrives_signed_in(
    demo_server: DemoServer, browser: Browser
) -> None:
    page, problems = home_as(browser, demo_server, "owner@initech.example")
    action = page.locator("#widget-next_best_action")
    renew = action.get_by_role("link", name="Renew your partner agreement").first
    expect(renew).to_be_visible(timeout=WIDGET_WAIT)
    renew.click()
    page.wait_for_url(demo_server.base_url + "/demo/portals/salesforce/agreements/renew")
    signed_in = page.locator("[data-portal-signed-in]")
    expect(signed_in).to_contain_text("owner@initech.example")
    expect(signed_in).to_contain_text("OpenID Connect")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["portal_salesforce"]["path"] == "/demo/portals/salesforce"
    assert not csp_errors(problems), problems
    page.context.close()


def test_the_saml_portal_signs_in_through_the_auto_posted_response(
    demo_server: DemoServer, browser: Browser
) -> None:
    page, problems = home_as(browser, demo_server, "support@acme.example")
    page.goto(demo_server.base_url + "/demo/portals/moodle/certifications")
    # The hub's page posts the signed response on by itself (static/js/hub.js).
    page.wait_for_url(demo_server.base_url + "/demo/portals/moodle/certifications")
    expect(page.locator("[data-portal-signed-in]")).to_contain_text("SAML 2.0")
    assert not csp_errors(problems), problems
    page.context.close()
