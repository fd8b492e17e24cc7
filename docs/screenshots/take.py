"""Take the README's screenshots from a fresh `hub demo`, with Debian's chromium.

    .venv/bin/python docs/screenshots/take.py [--only home-sales_rep ...]

Starts `hub demo` on a free port with its data in a temporary folder, waits for the
first sync to be evaluated, signs in as each persona through the demo sign-in and saves
the pages as they are now into docs/screenshots/ (same file names the README uses,
1280 × 900, PNG). Stops the demo at the end, also when a page fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the checkout: the browser tests' demo runner

from tests.browser import CHROMIUM, CHROMIUM_ARGS, run_demo  # noqa: E402

VIEWPORT = {"width": 1280, "height": 900}
# File stem -> (who signs in, page, the element to shoot, or "" for the viewport).
SHOTS: dict[str, tuple[str, str, str]] = {
    "home-sales_rep": ("rep@acme.example", "/", ""),
    "home-partner_owner": ("owner@acme.example", "/", ""),
    "home-marketer": ("marketer@globex.example", "/", ""),
    "home-support": ("support@acme.example", "/", ""),
    "home-channel_manager": ("cam@vendor.example", "/", ""),
    "home-admin": ("admin@vendor.example", "/", ""),
    "program": ("cam@vendor.example", "/program", ""),
    "program-journey": (
        "cam@vendor.example",
        "/program",
        'section[aria-labelledby="funnel-title"]',
    ),
    "program-conflicts": ("cam@vendor.example", "/program/conflicts", ""),
    "program-playbooks": ("cam@vendor.example", "/program/playbooks", ""),
}


def shoot(page: Page, base_url: str, path: str, element: str, target: Path) -> None:
    page.goto(base_url + path)
    page.wait_for_load_state("networkidle")
    busy = page.locator('section.widget[aria-busy="true"]')
    deadline = time.monotonic() + 20
    while busy.count() and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    page.wait_for_timeout(300)  # let the last swapped-in widget lay out
    if element:
        page.locator(element).first.screenshot(path=str(target))
    else:
        page.screenshot(path=str(target))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SHOTS), help="just these shots")
    wanted = parser.parse_args().only or list(SHOTS)
    with (
        tempfile.TemporaryDirectory(prefix="hub-shots-") as folder,
        run_demo(Path(folder), settled=True) as demo,  # stopped at the end, also on failure
        sync_playwright() as playwright,
    ):
        base_url = demo.base_url
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for email in dict.fromkeys(SHOTS[name][0] for name in wanted):
            context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            page = context.new_page()
            page.goto(base_url + "/auth/demo")
            page.locator(f'button[data-email="{email}"]').click()
            page.wait_for_url(base_url + "/")
            for name in wanted:
                who, path, element = SHOTS[name]
                if who == email:
                    shoot(page, base_url, path, element, HERE / f"{name}.png")
                    print(name, (HERE / f"{name}.png").stat().st_size, "bytes")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
