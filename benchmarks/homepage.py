"""Homepage benchmark: time to a complete persona homepage, shell plus every widget.

Run: ``.venv/bin/python benchmarks/homepage.py [--rounds 5] [--users 1 50] [--redis URL]``

The demo's sandboxes run in-process with 50 to 300 ms added to every answer
(Salesforce 300, Moodle 200, LRS 150, incentives 100, Mautic 50), behind the
real adapters and resilience layer; the hub app is called in-process over
ASGI, as a browser would: ``GET /``, then every widget the page left to
load, at once. Per persona and for 1 and 50 concurrent users (all loading at
the same moment) it prints p50 and p95 of the time to a complete page:

- cold: empty backend cache, nothing kept (``hub.web.page_cache``);
- warm, kept: the user's page and widgets were loaded moments ago, so the
  page comes whole from what was kept;
- warm, rendered: backend caches warm but nothing kept (the state once the
  widgets' reuse windows have passed): the shell, then every widget renders.

Also the cold page's ratio to the slowest single backend call of the cold
load, and the shell's own time in the rendered case. Goals (issue 5): shell
at most 15 ms warm; cold complete page at most 1.3 times the slowest
backend; warm p95 at most 100 ms at 50 users. Client and server share one
core here; ``homepage_served.py`` measures the served hub on both cores.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from hub.app import create_app
from hub.connectors.backends import Backends, Subject
from hub.connectors.base import Connector
from hub.connectors.demo import demo_setup
from hub.connectors.records import Fetched
from hub.connectors.registry import adapters, build_connectors
from hub.connectors.resilience import Resilience
from hub.db import Database
from hub.db.migrate import upgrade
from hub.demo.seed import seed_demo
from hub.resources import Hub
from hub.settings import Settings
from hub.store import KeyValueStore, MemoryStore
from hub.store.redis import RedisStore
from hub.web.page_cache import PageCache

BASE_URL = "http://127.0.0.1:8000"
LATENCY_MS = {"salesforce": 300, "moodle": 200, "lrs": 150, "incentives": 100, "mautic": 50}
PEOPLE = {
    "partner_owner": "owner@acme.example",
    "sales_rep": "rep@acme.example",
    "marketer": "marketer@globex.example",
    "support": "support@acme.example",
    "channel_manager": "cam@vendor.example",
    "admin": "admin@vendor.example",
}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# Widgets the page left to load (kept ones are already in it).
WIDGET = re.compile(r'hx-get="/widgets/(\w+)"\s+hx-trigger="load')


@dataclass
class CallTimer:
    """Wraps the resilience layer: how long each connector call of a load took."""

    inner: Callable[[Connector, str, Subject], Awaitable[Fetched[Any]]]
    seconds: list[float] = field(default_factory=list)

    async def __call__(
        self, connector: Connector, operation: str, subject: Subject
    ) -> Fetched[Any]:
        started = time.perf_counter()
        try:
            return await self.inner(connector, operation, subject)
        finally:
            self.seconds.append(time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ms(values: list[float], share: float) -> str:
    return f"{percentile(values, share) * 1000:.0f}ms"


async def sign_in(app: Any, email: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
    page = await client.get("/auth/demo")
    match = TOKEN.search(page.text)
    assert match, "demo sign-in page without a CSRF token"
    response = await client.post("/auth/demo", data={"email": email, "csrf_token": match[1]})
    assert response.status_code == 303, response.text
    return client


async def complete_page(client: httpx.AsyncClient) -> tuple[float, float]:
    """Seconds to the shell and to the whole page (shell, then every widget at once)."""
    started = time.perf_counter()
    shell = await client.get("/")
    shell_done = time.perf_counter()
    assert shell.status_code == 200, shell.status_code
    names = WIDGET.findall(shell.text)
    answers = await asyncio.gather(
        *(client.get(f"/widgets/{n}", headers={"HX-Request": "true"}) for n in names)
    )
    assert all(a.status_code == 200 for a in answers)
    failed = [n for n, a in zip(names, answers, strict=True) if "widget-notice-bad" in a.text]
    if failed:
        print(f"    (widgets in their error state: {', '.join(failed)})")
    return shell_done - started, time.perf_counter() - started


class Bench:
    def __init__(self, hub: Hub, connectors: list[Connector], redis_url: str | None) -> None:
        self.hub = hub
        self.connectors = connectors
        self.redis_url = redis_url
        self.timer: CallTimer | None = None

    async def fresh_cache(self) -> KeyValueStore:
        """Point the hub at backends over an empty cache: the next loads are cold."""
        store: KeyValueStore = MemoryStore()
        if self.redis_url:
            redis_store = RedisStore.from_url(self.redis_url, prefix="bench-homepage:")
            await redis_store.clear()
            store = redis_store
        self.timer = CallTimer(Resilience(store))
        self.hub.backends = Backends(self.connectors, call=self.timer)
        await self.forget_pages()
        return store

    async def forget_pages(self) -> None:
        """Retire every kept page and widget, as an administrator's change does."""
        await PageCache(self.hub.store, self.hub.settings.signing_key).changed(None, everyone=True)

    async def load(self, clients: list[httpx.AsyncClient]) -> list[tuple[float, float]]:
        return list(await asyncio.gather(*(complete_page(c) for c in clients)))


async def run(rounds: int, user_counts: list[int], redis_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(  # type: ignore[call-arg]
            demo=True,
            base_url=BASE_URL,
            data_dir=Path(folder),
            database_url=SecretStr(f"sqlite+aiosqlite:///{folder}/bench.db"),
            _env_file=None,
        )
        db = Database(settings.effective_database_url)
        await upgrade(db)
        await seed_demo(db)
        setup = demo_setup(adapters())
        for name, knobs in setup.knobs.items():
            knobs.latency = LATENCY_MS.get(name, 100) / 1000
        async with httpx.AsyncClient(mounts=setup.mounts, timeout=30) as http:
            hub = Hub(settings=settings, db=db, store=MemoryStore(), http=http)
            app = create_app(settings, hub)
            bench = Bench(hub, build_connectors(setup.configs, http), redis_url)
            print(
                "sandboxes in-process, ms per answer: "
                + ", ".join(f"{n} {LATENCY_MS.get(n, 100)}" for n in setup.knobs)
            )
            print(f"rounds: {rounds}; cache: {'Redis' if redis_url else 'in-process'}\n")
            header = (
                f"{'persona':<16}{'users':>6}{'cold p50':>10}{'cold p95':>10}"
                f"{'kept p50':>10}{'kept p95':>10}{'rendered p50':>14}{'rendered p95':>14}"
                f"{'slowest':>9}{'cold/slow':>10}{'shell p50':>11}"
            )
            print(header)
            for persona, email in PEOPLE.items():
                for users in user_counts:
                    clients = [await sign_in(app, email) for _ in range(users)]
                    cold: list[float] = []
                    kept: list[float] = []
                    rendered: list[float] = []
                    shells: list[float] = []
                    slowest: list[float] = []
                    for _ in range(rounds):
                        store = await bench.fresh_cache()
                        cold += [total for _, total in await bench.load(clients)]
                        assert bench.timer is not None
                        slowest.append(max(bench.timer.seconds, default=0.0))
                        await bench.load(clients)  # the page is assembled and kept
                        kept += [total for _, total in await bench.load(clients)]
                        await bench.forget_pages()
                        timings = await bench.load(clients)
                        rendered += [total for _, total in timings]
                        shells += [shell for shell, _ in timings]
                        await store.close()
                    slow = statistics.median(slowest)
                    ratio = statistics.median(cold) / slow if slow else float("nan")
                    print(
                        f"{persona:<16}{users:>6}{ms(cold, 0.5):>10}{ms(cold, 0.95):>10}"
                        f"{ms(kept, 0.5):>10}{ms(kept, 0.95):>10}"
                        f"{ms(rendered, 0.5):>14}{ms(rendered, 0.95):>14}"
                        f"{slow * 1000:>7.0f}ms{ratio:>9.2f}x{percentile(shells, 0.5) * 1000:>9.1f}ms"
                    )
                    for client in clients:
                        await client.aclose()
            await hub.backends.close()
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--users", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--redis", help="redis:// URL for the backend cache (bench-homepage:)")
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.users, args.redis))


if __name__ == "__main__":
    main()
