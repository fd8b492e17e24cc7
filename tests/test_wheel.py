"""The built wheel carries templates and static files and serves pages outside the repo."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_wheel_installs_and_serves_a_page(tmp_path: Path) -> None:
    if not (ROOT / "static" / "vendor" / "htmx.min.js").exists():
        pytest.fail("static/vendor/htmx.min.js is missing: run `make static` (npm ci) first")
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("partner_hub-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False, system_site_packages=False)
    python = env_dir / "bin" / "python"
    # Reuse this environment's already-installed dependencies instead of downloading them.
    site = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    (next((env_dir / "lib").glob("python3*")) / "site-packages" / "deps.pth").write_text(
        f"{site}\n"
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HUB_DATA_DIR": str(elsewhere),
        "HOME": str(tmp_path),
    }
    server = subprocess.Popen(
        [str(python), "-m", "hub", "demo", "--port", str(port)],
        cwd=elsewhere,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        page = _wait_for(f"http://127.0.0.1:{port}/auth/login", server)
        assert page.status_code == 200
        assert "Sign in to Partner Hub" in page.text
        css = httpx.get(f"http://127.0.0.1:{port}/static/css/hub.css")
        assert css.status_code == 200
        htmx = httpx.get(f"http://127.0.0.1:{port}/static/vendor/htmx.min.js")
        assert htmx.status_code == 200
        imported = subprocess.run(
            [str(python), "-c", "import hub, sys; print(hub.__file__)"],
            cwd=elsewhere,
            capture_output=True,
            text=True,
            check=True,
        )
        assert str(ROOT) not in imported.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = server.stdout.read().decode() if server.stdout else ""
            pytest.fail(f"the installed hub exited: {output[-2000:]}")
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail("the installed hub did not answer within 30 s")
