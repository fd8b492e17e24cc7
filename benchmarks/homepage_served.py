"""Persona homepages at N concurrent users against the hub as production runs it.

Run: ``.venv/bin/python benchmarks/homepage_served.py [--workers 2] [--users 1 10 50]
[--pages 10] [--personas ...] [--compare DIR] [--widgets 4 16] [--profile FILE]``

Starts ``hub serve --workers N`` on PostgreSQL and Redis (``HUB_TEST_DATABASE_URL``
and ``HUB_TEST_REDIS_URL``, defaulting to the local services; the script makes
and drops its own database and key space) with the demo's sandboxes, so
several processes share sessions and caches as they would behind a load
balancer. The clients run in this process, over real sockets. Per persona,
each virtual user signs in as a different demo person of that persona (the
cast's first, then the demo population's; the vendor personas have only one
or two people, so their users share them) and loads the
homepage twice (warming the backend caches, then keeping the page); then all
users load their page at the same moment, ``--pages`` rounds in a row: ``GET /``
and every widget the page left to load, at once, as htmx does. Two cases, each
with p50 and p95 of the time to a complete page and of the shell alone, pages
per second, the server processes' CPU per complete page (from ``/proc``) and
requests per page and SQL statements per page (counted in every server process by
``benchmarks/statement_count/sitecustomize.py``, so the other checkout is counted alike):

- kept: pages come whole from what the hub kept (``hub.web.page_cache``);
- rendered: before each round every kept copy is retired (as an
  administrator's change does), so the page renders from the warm backend
  caches: the state once widgets' reuse windows passed.

``--compare DIR`` serves a checkout of another revision alongside (``git worktree
add --detach DIR main``; its own database and Redis database), and every round
runs on both, alternating, so a noisy machine affects both alike. ``--widgets 4 16``
then times the rendered partner-owner page with that many widgets on it.
``--profile FILE`` runs one worker under pyinstrument and writes its text report.

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
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from redis.asyncio import Redis
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from hub.demo.population import all_users
from hub.web.page_cache import EVERYONE

PEOPLE = {
    "partner_owner": "owner@acme.example",
    "sales_rep": "rep@acme.example",
    "marketer": "marketer@globex.example",
    "support": "support@acme.example",
    "channel_manager": "cam@vendor.example",
    "admin": "admin@vendor.example",
}
# The widget-count case: partner owners' pages with their first 4, then all 16, of these.
GROWTH_PERSONA = "partner_owner"
GROWTH_WIDGETS = [
    "program_status",
    "dollars_spent",
    "rebates_earned",
    "coop_earned",
    "next_best_action",
    "points_badges",
    "leaderboard",
    "recognition_feed",
    "field_team",
    "quick_links",
    "whats_new",
    "mdf_spent",
    "mdf_available",
    "progress_to_goal",
    "claim_status",
    "certification_level",
]
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# Widgets the page left to load (kept ones are already in it).
WIDGET = re.compile(r'hx-get="(/widgets/\w+)"\s+hx-trigger="load')
ON_PAGE = re.compile(r'<section id="widget-(\w+)"')
# Put on the servers' PYTHONPATH: its sitecustomize counts each process's SQL statements.
COUNTER = Path(__file__).resolve().parent / "statement_count"


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
        reused = bool(self.idle)
        try:
            return await self._get(path, htmx, reused)
        except asyncio.IncompleteReadError:
            if not reused:
                raise
            # The server closed a kept-alive connection (a worker restarting): as a browser
            # does, ask once more on a new one.
            return await self._get(path, htmx, False)

    async def _get(self, path: str, htmx: bool, reuse: bool) -> tuple[int, str]:
        reader, writer = (
            self.idle.pop() if reuse else await asyncio.open_connection(self.host, self.port)
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


async def complete_page(client: PageClient) -> tuple[float, float, int]:
    """Milliseconds to the whole page and to the shell, and how many requests it took."""
    started = time.perf_counter()
    status, shell = await client.get("/")
    shell_done = time.perf_counter()
    assert status == 200, status
    urls = WIDGET.findall(shell)
    answers = await asyncio.gather(*(client.get(url, htmx=True) for url in urls))
    assert all(status == 200 for status, _ in answers)
    return (time.perf_counter() - started) * 1000, (shell_done - started) * 1000, 1 + len(urls)


def server_cpu(pid: int) -> float:
    """CPU seconds (user and system) of process ``pid`` and every process under it."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        pending += [int(child) for child in children]
    return total


@dataclass
class Timings:
    totals: list[float] = field(default_factory=list)
    shells: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0
    statements: int = 0

    @property
    def statements_per_page(self) -> float:
        return self.statements / len(self.totals)

    @property
    def cpu_per_page(self) -> float:
        return self.cpu / len(self.totals) * 1000

    def row(self, label: str, persona: str, users: int, case: str) -> str:
        return (
            f"{label:<8}{persona:<16}{users:5d}  {case:<9}"
            f"{statistics.median(self.totals):9.1f} ms {percentile(self.totals, 0.95):9.1f} ms"
            f"{statistics.median(self.shells):8.1f} ms {percentile(self.shells, 0.95):7.1f} ms"
            f"{len(self.totals) / self.seconds:8.1f}{self.cpu_per_page:8.1f} ms"
            f"{statistics.mean(self.requests):6.1f}{self.statements_per_page:7.1f}"
        )


@dataclass
class Server:
    """One hub being measured: its label, URL, process and the Redis database it uses."""

    label: str
    base_url: str
    process: subprocess.Popen[bytes]
    redis: str
    counts: Path

    def cpu(self) -> float:
        return server_cpu(self.process.pid)

    def statements(self) -> int:
        """SQL statements the server's processes have sent so far (``statement_count``)."""
        return sum(
            int.from_bytes(path.read_bytes()[:8], "little") for path in self.counts.iterdir()
        )


async def timed_round(server: Server, clients: list[PageClient], timings: Timings) -> None:
    cpu, sent = server.cpu(), server.statements()
    started = time.perf_counter()
    loads = await asyncio.gather(*(complete_page(c) for c in clients))
    timings.seconds += time.perf_counter() - started
    timings.cpu += server.cpu() - cpu
    timings.statements += server.statements() - sent
    for total, shell, requests in loads:
        timings.totals.append(total)
        timings.shells.append(shell)
        timings.requests.append(requests)


def people(persona: str) -> list[str]:
    """The demo's people of ``persona``: the cast's first, then the population's."""
    found = [u.email for u in all_users(datetime.now(UTC).date()) if u.roles[0] == persona]
    return [PEOPLE[persona], *(email for email in found if email != PEOPLE[persona])]


async def run_users(
    servers: list[Server], emails: list[str], users: int, pages: int
) -> dict[str, dict[str, Timings]]:
    """Kept and rendered timings per server, their rounds alternating between the servers.

    Virtual user ``i`` is ``emails[i]``: a burst of different people, as a Monday-morning
    email brings; only where the demo has fewer people than users do some share a person.
    """
    clients = {
        s.label: [
            PageClient(s.base_url, await sign_in(s.base_url, emails[i % len(emails)]))
            for i in range(users)
        ]
        for s in servers
    }
    stores = {s.label: Redis.from_url(s.redis) for s in servers}
    results = {s.label: {"kept": Timings(), "rendered": Timings()} for s in servers}
    try:
        for server in servers:
            for _ in range(2):  # warm the backend caches, then keep each page
                for client in clients[server.label]:
                    await complete_page(client)
        for case in ("kept", "rendered"):
            for _ in range(pages):
                for server in servers:
                    if case == "rendered":
                        await stores[server.label].incr(EVERYONE)
                    await timed_round(server, clients[server.label], results[server.label][case])
        return results
    finally:
        for store in stores.values():
            await store.aclose()
        for group in clients.values():
            for client in group:
                await client.close()


async def set_layout(base_url: str, email: str, widgets: list[str]) -> None:
    """Give ``email`` a saved layout of exactly ``widgets``, through the layout form."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        page = await http.get("/auth/demo")
        token = TOKEN.search(page.text)
        assert token
        await http.post("/auth/demo", data={"email": email, "csrf_token": token[1]})
        home = await http.get("/")
        csrf = TOKEN.search(home.text)
        assert csrf
        for name in ON_PAGE.findall(home.text):
            answer = await http.post(
                "/home/layout", data={"action": "remove", "widget": name, "csrf_token": csrf[1]}
            )
            assert answer.status_code == 303, answer.status_code
        for name in widgets:
            answer = await http.post(
                "/home/layout", data={"action": "add", "widget": name, "csrf_token": csrf[1]}
            )
            assert answer.status_code == 303, (name, answer.status_code)
        if not widgets:
            await http.post("/home/layout", data={"action": "reset", "csrf_token": csrf[1]})


async def run_growth(
    servers: list[Server], counts: list[int], users: int, pages: int
) -> dict[str, dict[int, Timings]]:
    """Rendered pages of partner owners with ``counts`` widgets on their page."""
    results: dict[str, dict[int, Timings]] = {s.label: {} for s in servers}
    owners = people(GROWTH_PERSONA)[:users]
    for count in counts:
        for server in servers:
            for email in owners:
                await set_layout(server.base_url, email, GROWTH_WIDGETS[:count])
        timed = await run_users(servers, owners, users, pages)
        for server in servers:
            results[server.label][count] = timed[server.label]["rendered"]
    for server in servers:
        for email in owners:
            await set_layout(server.base_url, email, [])  # back to the default
    return results


def serve(
    label: str, workers: int, env: dict[str, str], data_dir: Path, profile: Path | None = None
) -> Server:
    port = free_port()
    counts = data_dir / "statements"
    counts.mkdir()
    # Every process of this server counts the SQL statements it sends (statement_count).
    path = [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []
    env = {
        **env,
        "PYTHONPATH": os.pathsep.join([*path, str(COUNTER)]),
        "BENCH_STATEMENTS_DIR": str(counts),
    }
    hub = [sys.executable, "-m", "hub"]
    for command in (["migrate"], ["seed-demo"]):
        subprocess.run(hub + command, env=env, cwd=data_dir, check=True, capture_output=True)
    # Profiled: one worker in the profiler's own process, so every sample is the server's.
    profiler = (
        [sys.executable, "-m", "pyinstrument", "-r", "text", "--show-all", "-o", str(profile)]
        if profile
        else [sys.executable]
    )
    server = subprocess.Popen(
        [*profiler, "-m", "hub", "serve", "--port", str(port), "--workers", str(workers)],
        env={**env, "HUB_LOG_LEVEL": "WARNING"},
        cwd=data_dir,
        stdout=(data_dir / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    # Two workers importing the hub on a busy machine take 25 s and more to answer.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base_url + "/readyz", timeout=1).status_code == 200:
                return Server(label, base_url, server, env["HUB_REDIS_URL"], counts)
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the hub did not come up")


def revision(folder: Path) -> str:
    found = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or folder.name


def other_database(url: str, offset: int) -> str:
    """The Redis URL ``offset`` databases further on, so two hubs never share keys."""
    parts = httpx.URL(url)
    number = int(parts.path.strip("/") or 0) + offset
    return str(parts.copy_with(path=f"/{number}"))


HEADER = (
    f"{'hub':<8}{'persona':<16}{'users':>5}  {'case':<9}{'complete p50':>12} {'p95':>12}"
    f"{'shell p50':>11} {'p95':>10}{'pages/s':>8}{'cpu/page':>11}{'reqs':>6}{'stmts':>7}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--pages", type=int, default=10, help="timed rounds per case")
    parser.add_argument("--personas", nargs="+", default=list(PEOPLE), choices=list(PEOPLE))
    parser.add_argument(
        "--compare",
        type=Path,
        help="a checkout of another revision (git worktree add DIR main): served alongside,"
        " its rounds alternating with this one's",
    )
    parser.add_argument("--widgets", type=int, nargs="*", default=[4, 16])
    parser.add_argument("--widget-users", type=int, default=10)
    parser.add_argument(
        "--profile",
        type=Path,
        help="write pyinstrument's text report of one profiled worker (no --compare) here",
    )
    args = parser.parse_args()
    if args.profile:
        args.compare, args.workers = None, 1
    base_db = os.environ.get(
        "HUB_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    redis = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    checkouts: list[tuple[str, Path | None]] = [("this", None)]
    if args.compare:
        checkouts.insert(0, (revision(args.compare), args.compare.resolve()))
    names = [f"hub_bench_served_{uuid.uuid4().hex[:8]}" for _ in checkouts]
    with tempfile.TemporaryDirectory() as folder:
        servers: list[Server] = []
        try:
            for index, ((label, checkout), name) in enumerate(zip(checkouts, names, strict=True)):
                asyncio.run(admin_sql(base_db, f'CREATE DATABASE "{name}"'))
                url = make_url(base_db).set(database=name)
                env = {
                    **{k: v for k, v in os.environ.items() if not k.startswith("HUB_")},
                    "HUB_DEMO": "1",
                    "HUB_DATABASE_URL": url.render_as_string(hide_password=False),
                    "HUB_REDIS_URL": other_database(redis, index),
                    "HUB_SYNC_INTERVAL_MINUTES": "0",
                }
                if checkout is not None:
                    env["PYTHONPATH"] = str(checkout)
                data_dir = Path(folder) / label
                data_dir.mkdir()
                profile = args.profile.resolve() if args.profile else None
                servers.append(serve(label, args.workers, env, data_dir, profile))
            print(
                f"hub serve --workers {args.workers}, PostgreSQL + Redis, {args.pages} rounds"
                f" per case; hubs: {', '.join(s.label for s in servers)} (rounds alternate)"
            )
            print(
                "cpu/page: the server processes' CPU per complete page; reqs: requests per page;"
                " stmts: SQL statements per page"
            )
            print(HEADER)
            for persona in args.personas:
                for users in args.users:
                    results = asyncio.run(run_users(servers, people(persona), users, args.pages))
                    for case in ("kept", "rendered"):
                        for server in servers:
                            print(
                                results[server.label][case].row(server.label, persona, users, case)
                            )
                    sys.stdout.flush()
            if args.widgets:
                growth = asyncio.run(
                    run_growth(servers, args.widgets, args.widget_users, args.pages)
                )
                print(f"\nrendered partner-owner page by widget count, {args.widget_users} users")
                print(HEADER)
                for server in servers:
                    timings = growth[server.label]
                    for count in args.widgets:
                        print(
                            timings[count].row(
                                server.label, f"{count} widgets", args.widget_users, "rendered"
                            )
                        )
                    first, last = timings[args.widgets[0]], timings[args.widgets[-1]]
                    for what, pick in (("p50", 0.5), ("p95", 0.95)):
                        grows = percentile(last.totals, pick) / percentile(first.totals, pick) - 1
                        print(
                            f"{server.label:<8}{args.widgets[0]} -> {args.widgets[-1]} widgets:"
                            f" complete {what} {grows:+.0%}"
                        )
                    grows = last.cpu_per_page / first.cpu_per_page - 1
                    print(
                        f"{server.label:<8}{args.widgets[0]} -> {args.widgets[-1]} widgets: cpu/page {grows:+.0%}"
                    )
        except Exception:
            for server in servers:
                log = Path(folder) / server.label / "server.log"
                print(log.read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            for server in servers:
                # SIGINT: uvicorn stops cleanly, so the profiler writes its report.
                server.process.send_signal(signal.SIGINT if args.profile else signal.SIGTERM)
                server.process.wait(timeout=60)
                subprocess.run(
                    ["redis-cli", "-u", server.redis, "FLUSHDB"], check=False, capture_output=True
                )
            for name in names:
                asyncio.run(admin_sql(base_db, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
