"""In a real browser: sign in through a real OpenID provider on a loopback port, then sign out."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, expect, sync_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS, free_port, require_chromium, run_demo
from tests.sso.conftest import PEOPLE
from tests.sso.oidc_provider import OpenIDProvider

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def in_browser_thread(drive: Callable[[Browser], None]) -> None:
    """Run ``drive`` with chromium in a thread of its own.

    Playwright's sync API keeps an event loop running in its thread for as long
    as it is open; kept off the main thread, it cannot upset the anyio tests.
    """
    failure: list[BaseException] = []

    def run() -> None:
        try:
            with sync_playwright() as playwright:
                chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    drive(chromium)
                finally:
                    chromium.close()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test thread
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=90)
    assert not thread.is_alive(), "the browser did not finish within 90 s"
    if failure:
        raise failure[0]


@pytest.fixture
def live_op() -> Iterator[OpenIDProvider]:
    """The test provider served by uvicorn on a free loopback port, in a thread of its own."""
    port = free_port()
    provider = OpenIDProvider(
        issuer=f"http://127.0.0.1:{port}",
        client_id="partner-hub",
        client_secret="op-client-secret",
        redirect_uri="set once the hub is up",
        users={sub: dict(claims) for sub, claims in PEOPLE.items()},
    )
    server = uvicorn.Server(
        uvicorn.Config(
            provider.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            pytest.fail("the test OpenID provider did not start")
        threading.Event().wait(0.02)
    yield provider
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize(
    ("person", "heading"), [("owner-acme", "Olivia Owner"), ("cam-vendor", "Casey Channel")]
)
def test_a_person_signs_in_through_the_provider_and_out_again(
    live_op: OpenIDProvider, tmp_path: Path, person: str, heading: str
) -> None:
    require_chromium()
    environment = {
        "HUB_OIDC_ISSUER": live_op.issuer,
        "HUB_OIDC_CLIENT_ID": live_op.client_id,
        "HUB_OIDC_CLIENT_SECRET": live_op.client_secret,
    }
    with run_demo(tmp_path, environment) as hub:
        live_op.redirect_uri = f"{hub.base_url}/auth/oidc/callback"
        live_op.signed_in = person

        def drive(browser: Browser) -> None:
            context = browser.new_context()
            page = context.new_page()
            page.goto(hub.base_url + "/")
            page.get_by_role("link", name="Sign in with your company account").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
            assert page.url.rstrip("/") == hub.base_url
            me = context.request.get(hub.base_url + "/api/me").json()
            assert me["email"] == PEOPLE[person]["email"]
            assert me["roles"] == PEOPLE[person]["roles"]
            page.locator(".profile-menu summary").click()  # sign-out lives in the profile menu
            page.get_by_role("button", name="Sign out", exact=True).click()
            expect(page.get_by_role("heading", name="Sign in to Partner Hub")).to_be_visible()
            assert context.request.get(hub.base_url + "/api/me").status == 401
            context.close()

        in_browser_thread(drive)
        assert live_op.signed_in is None  # RP-initiated logout ended the provider's session too
