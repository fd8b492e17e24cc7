"""Take the README's screenshots from a fresh `hub demo`, with Debian's chromium.

    .venv/bin/python docs/screenshots/take.py [--only home-sales_rep ...]

Starts `hub demo` on a free port with its data in a temporary folder, waits for the
first sync to be evaluated, signs in as each persona through the demo sign-in and saves
the pages as they are now into docs/screenshots/ (same file names the README uses,
1280 × 900, PNG). Stops the demo at the end, also when a page fails.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settled(log: Path) -> bool:
    """A sync pass is done and every event it brought in has been evaluated."""
    caught_up: bool | None = None
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        message = entry.get("message") if isinstance(entry, dict) else None
        if message == "sync pass done" or (message == "events evaluated" and caught_up is not None):
            caught_up = bool(entry.get("caught_up"))
    return bool(caught_up)


def wait_for(server: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 300
    while True:
        if server.poll() is not None:
            sys.exit(f"hub demo exited:\n{log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            sys.exit("hub demo did not settle within 300 s")
        try:
            up = httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            up = False
        if up and settled(log):
            return
        time.sleep(0.5)


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
    with tempfile.TemporaryDirectory(prefix="hub-shots-") as folder:
        data, port = Path(folder), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env["HUB_DATA_DIR"] = str(data)
        log = data / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                [sys.executable, "-m", "hub", "demo", "--port", str(port)],
                cwd=data,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            base_url = f"http://127.0.0.1:{port}"
            try:
                wait_for(server, base_url, log)
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                    )
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
            finally:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()


if __name__ == "__main__":
    main()
