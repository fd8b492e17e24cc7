"""Warm homepages at N concurrent users against the hub as production runs it.

Run: ``.venv/bin/python benchmarks/homepage_served.py [--workers 2] [--users 1 50] [--pages 10]``

Starts ``hub serve --workers N`` on PostgreSQL and Redis (``HUB_TEST_DATABASE_URL``
and ``HUB_TEST_REDIS_URL``, defaulting to the local services; the script makes
and drops its own database and key space) with the demo's sandboxes, so
several processes share sessions and caches as they would behind a load
balancer. The clients run in this process, over real sockets. Each virtual
user signs in as a demo persona and loads its homepage twice (warming the
backend caches, then keeping the page); then all users load their page at
the same moment, ``--pages`` rounds in a row: ``GET /`` and every widget the
page left to load, at once, as htmx does. Two cases, each with p50 and p95
of the time to a complete page and of the shell alone, and pages per second
over the timed rounds:

- kept: pages come whole from what the hub kept (``hub.web.page_cache``);
- rendered: before each round every kept copy is retired (as an
  administrator's change does), so the shell renders and every widget loads
  from the warm backend caches: the state once widgets' reuse windows passed.

Sign-in goes through httpx; the timed page loads use ``PageClient``, a bare
HTTP/1.1 keep-alive client on asyncio streams, so that the instrument's own
CPU (which shares this machine's two cores with the server) stays small
next to what it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from redis.asyncio import Redis
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from hub.web.page_cache import EVERYONE

PEOPLE = (
    "owner@acme.example",
    "rep@acme.example",
    "marketer@globex.example",
    "support@acme.example",
    "cam@vendor.example",
    "rep@globex.example",
)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# Widgets the page left to load (kept ones are already in it).
WIDGET = re.compile(r'hx-get="(/widgets/\w+)"\s+hx-trigger="load')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def admin_sql(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def sign_in(base_url: str, email: str) -> str:
    """The session cookie of ``email`` signed in through the demo page."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        page = await http.get("/auth/demo")
        token = TOKEN.search(page.text)
        assert token, "demo page without a CSRF token"
        response = await http.post("/auth/demo", data={"email": email, "csrf_token": token[1]})
        assert response.status_code == 303, response.status_code
        return "; ".join(f"{name}={value}" for name, value in http.cookies.items())


class PageClient:
    """One browser's connections: bare HTTP/1.1 GETs with its cookie, kept alive."""

    def __init__(self, base_url: str, cookie: str) -> None:
        parts = httpx.URL(base_url)
        self.host, self.port = parts.host, parts.port or 80
        self.cookie = cookie
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def get(self, path: str, *, htmx: bool = False) -> tuple[int, str]:
        reader, writer = (
            self.idle.pop() if self.idle else await asyncio.open_connection(self.host, self.port)
        )
        extra = "HX-Request: true\r\n" if htmx else ""
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nCookie: {self.cookie}\r\n"
            f"{extra}\r\n".encode()
        )
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in head[1:] if ": " in line)
        body = await reader.readexactly(int(headers["content-length"]))
        self.idle.append((reader, writer))
        return int(head[0].split()[1]), body.decode()

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def complete_page(client: PageClient) -> tuple[float, float]:
    started = time.perf_counter()
    status, shell = await client.get("/")
    shell_done = time.perf_counter()
    assert status == 200, status
    answers = await asyncio.gather(*(client.get(url, htmx=True) for url in WIDGET.findall(shell)))
    assert all(status == 200 for status, _ in answers)
    return (time.perf_counter() - started) * 1000, (shell_done - started) * 1000


@dataclass
class Timings:
    totals: list[float] = field(default_factory=list)
    shells: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def row(self, users: int, case: str) -> str:
        return (
            f"{users:5d}  {case:<9}{statistics.median(self.totals):9.1f} ms  "
            f"{percentile(self.totals, 0.95):9.1f} ms  {statistics.median(self.shells):6.1f} ms  "
            f"{percentile(self.shells, 0.95):6.1f} ms  {len(self.totals) / self.seconds:7.1f}"
        )


async def run_users(base_url: str, redis: str, users: int, pages: int) -> dict[str, Timings]:
    clients = [
        PageClient(base_url, await sign_in(base_url, PEOPLE[n % len(PEOPLE)])) for n in range(users)
    ]
    store = Redis.from_url(redis)
    results = {"kept": Timings(), "rendered": Timings()}
    try:
        for _ in range(2):  # warm the backend caches, then keep each page
            for client in clients:
                await complete_page(client)
        for case, timings in results.items():
            for _ in range(pages):
                if case == "rendered":
                    await store.incr(EVERYONE)
                started = time.perf_counter()
                for total, shell in await asyncio.gather(*(complete_page(c) for c in clients)):
                    timings.totals.append(total)
                    timings.shells.append(shell)
                timings.seconds += time.perf_counter() - started
        return results
    finally:
        await store.aclose()
        for client in clients:
            await client.close()


def serve(workers: int, env: dict[str, str], data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    hub = [sys.executable, "-m", "hub"]
    for command in (["migrate"], ["seed-demo"]):
        subprocess.run(hub + command, env=env, cwd=data_dir, check=True, capture_output=True)
    server = subprocess.Popen(
        [*hub, "serve", "--port", str(port), "--workers", str(workers)],
        env={**env, "HUB_LOG_LEVEL": "WARNING"},
        cwd=data_dir,
        stdout=(data_dir / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base_url + "/readyz", timeout=1).status_code == 200:
                return server, base_url
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the hub did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--pages", type=int, default=10, help="timed rounds per case")
    args = parser.parse_args()
    base_db = os.environ.get(
        "HUB_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    redis = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    name = f"hub_bench_served_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin_sql(base_db, f'CREATE DATABASE "{name}"'))
    database = make_url(base_db).set(database=name).render_as_string(hide_password=False)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HUB_")},
        "HUB_DEMO": "1",
        "HUB_DATABASE_URL": database,
        "HUB_REDIS_URL": redis,
        "HUB_SYNC_INTERVAL_MINUTES": "0",
    }
    with tempfile.TemporaryDirectory() as folder:
        server, base_url = serve(args.workers, env, Path(folder))
        try:
            print(
                f"hub serve --workers {args.workers}, PostgreSQL + Redis, {args.pages} pages/user"
            )
            print("users  case     complete p50  complete p95  shell p50  shell p95  pages/s")
            for users in args.users:
                results = asyncio.run(run_users(base_url, redis, users, args.pages))
                for case, timings in results.items():
                    print(timings.row(users, case))
        except Exception:
            print((Path(folder) / "server.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(timeout=15)
            asyncio.run(admin_sql(base_db, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            subprocess.run(["redis-cli", "-u", redis, "FLUSHDB"], check=False, capture_output=True)


if __name__ == "__main__":
    main()
