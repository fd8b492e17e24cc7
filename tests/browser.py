"""Browser test support: a real `hub demo` process and Debian's chromium via Playwright."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class DemoServer:
    base_url: str
    data_dir: Path


@contextmanager
def run_demo(
    data_dir: Path, extra_env: dict[str, str] | None = None, *, settled: bool = False
) -> Iterator[DemoServer]:
    """Start `hub demo` on a free port with its data in ``data_dir``; stop it afterwards.

    With ``settled`` it also waits for the first sync pass and for every event that pass
    brought in to be evaluated, so that points a test earns are not mixed with the
    program's history still being credited."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("HUB_") or key.startswith("HUB_TEST_")
    }
    env.update({"HUB_DATA_DIR": str(data_dir), **(extra_env or {})})
    log = (data_dir / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "demo", "--port", str(port)],
        cwd=data_dir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # migrations and seeding, on a busy machine
        while True:
            if server.poll() is not None:
                pytest.fail(f"hub demo exited: {(data_dir / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("hub demo did not come up within 90 s")
            time.sleep(0.2)
        if settled:
            wait_until_settled(server, data_dir / "server.log")
        yield DemoServer(base_url, data_dir)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def settled(log_text: str) -> bool:
    """Whether the scheduler's log shows a sync pass and, since, nothing left to evaluate."""
    caught_up: bool | None = None
    for line in log_text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        message = entry.get("message") if isinstance(entry, dict) else None
        if message == "sync pass done" or (message == "events evaluated" and caught_up is not None):
            caught_up = bool(entry.get("caught_up"))
    return bool(caught_up)


def wait_until_settled(server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 300  # two test workers share the machine meanwhile
    while not settled(log_path.read_text(errors="replace")):
        if server.poll() is not None:
            pytest.fail(f"hub demo exited: {log_path.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail("hub demo's first sync was not evaluated within 300 s")
        time.sleep(0.5)


def require_chromium() -> None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Debian's chromium is not installed (apt-get install chromium)")
