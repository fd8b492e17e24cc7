"""A hub over the fake connectors and a client for it: what the homepage tests drive."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from hub.app import create_app
from hub.connectors.backends import Backends
from hub.connectors.records import Kind
from hub.connectors.resilience import Resilience
from hub.db import Database
from hub.demo.seed import seed_demo
from hub.resources import Hub
from hub.settings import Settings
from hub.store import KeyValueStore
from tests.conftest import BASE_URL
from tests.fakes.connectors import FAKES, FakeBase, fake_config
from tests.helpers import demo_sign_in


def fake_backends(
    http: httpx.AsyncClient,
    *,
    failing: frozenset[Kind] = frozenset(),
    delay: float = 0.0,
    resilience: Resilience | None = None,
    cache_ttl: float = 0.0,
) -> Backends:
    """One fake connector of every kind; those in ``failing`` raise like a dead backend.

    With ``resilience`` every call goes through it, as in the app, with answers fresh
    for ``cache_ttl`` seconds (by default none: each read after the first is served
    stale and refreshed behind it).
    """
    ttl = {"cache_ttl": cache_ttl} if resilience is not None else {}
    fakes = [
        FAKES[kind](fake_config(kind, fail=kind in failing, delay=delay, **ttl), http)
        for kind in Kind
    ]
    return Backends(fakes, call=resilience) if resilience is not None else Backends(fakes)


@dataclass
class HomeRig:
    """An app over fake connectors, a client for it, and the fakes to break on purpose."""

    hub: Hub
    client: httpx.AsyncClient
    connectors: dict[Kind, FakeBase]

    async def sign_in(self, email: str) -> str:
        """Sign in as a demo person in a fresh session; their CSRF token."""
        self.client.cookies.clear()
        return await demo_sign_in(self.client, email)

    async def widget(self, name: str, **params: str) -> httpx.Response:
        return await self.client.get(
            f"/widgets/{name}", params=params, headers={"HX-Request": "true"}
        )


@asynccontextmanager
async def home_rig(
    settings: Settings,
    db: Database,
    store: KeyValueStore,
    *,
    delay: float = 0.0,
    resilient: bool = False,
    cache_ttl: float = 0.0,
) -> AsyncIterator[HomeRig]:
    """A seeded hub with one fake connector of each kind, and a client signed out.

    ``resilient`` puts the resilience layer (cache, retries, breaker, standings) in between,
    its answers fresh for ``cache_ttl`` seconds.
    """
    async with httpx.AsyncClient() as http:
        layer = Resilience(store, backoff_base=0.001, breaker_cooldown=0.0) if resilient else None
        backends = fake_backends(http, delay=delay, resilience=layer, cache_ttl=cache_ttl)
        hub = Hub(settings=settings, db=db, store=store, http=http, backends=backends)
        await seed_demo(db)
        app = create_app(settings, hub)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            connectors = {c.config.kind: c for c in backends.all()}
            try:
                yield HomeRig(hub, client, connectors)  # type: ignore[arg-type]
            finally:
                await backends.close()
