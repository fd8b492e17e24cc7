"""The shared resources of one hub process, opened and closed by the app's lifespan."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from hub import __version__
from hub.audit import AuditLog
from hub.connectors.backends import Backends
from hub.connectors.registry import build_backends, configured_connectors
from hub.db import Database
from hub.settings import Settings
from hub.store import KeyValueStore, open_store

if TYPE_CHECKING:  # demo code, never imported by a production process
    from hub.connectors.sandboxes.knobs import Knobs


@dataclass
class Hub:
    """Everything a request handler may use, typed; made once in ``create_app``."""

    settings: Settings
    db: Database
    store: KeyValueStore
    http: httpx.AsyncClient
    backends: Backends = field(default_factory=lambda: Backends([]))
    # Demo only: each in-process sandbox's fault knobs, by connector name.
    sandbox_knobs: dict[str, Knobs] = field(default_factory=dict)
    audit: AuditLog = field(init=False)
    # Set when a request recorded activity; the in-process scheduler evaluates it at once.
    evaluation_wanted: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    summaries_wanted: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    content_wanted: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.audit = AuditLog(self.db)

    def evaluate_soon(self) -> None:
        """Ask for recorded activity to be evaluated now rather than on the next tick.

        The in-process scheduler wakes at once; ``hub worker`` processes keep their
        15-second cron, so with Redis a request's points arrive within that.
        """
        self.evaluation_wanted.set()

    def summarize_soon(self) -> None:
        """Ask for program insight's summaries to be brought up to date now (after a
        change of settings); ``hub worker`` processes do it on their next minute."""
        self.summaries_wanted.set()

    @classmethod
    def from_settings(cls, settings: Settings) -> Hub:
        redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
        # Raises ConnectorsError for a bad connectors file, before anything is opened.
        setup = configured_connectors(settings.connectors_file, settings.demo)
        store = open_store(redis_url)
        http = httpx.AsyncClient(
            timeout=httpx.Timeout(10.0, connect=3.0),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            headers={"User-Agent": f"partner-hub/{__version__}"},
            follow_redirects=False,
            mounts=setup.mounts,  # the demo's sandboxes, in-process
        )
        return cls(
            settings=settings,
            db=Database(settings.effective_database_url),
            store=store,
            http=http,
            backends=build_backends(setup.configs, http, store),
            sandbox_knobs=setup.knobs,
        )

    async def close(self) -> None:
        await self.backends.close()
        await self.http.aclose()
        await self.store.close()
        await self.db.close()
