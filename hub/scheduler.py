"""Scheduled background work: in-process for the embedded default, arq workers in production.

Without Redis there is one process, so it runs the sync itself. With Redis
the app processes run nothing in the background: `hub worker` processes take
the cron jobs from Redis (arq), and any number of them can run side by side
since arq runs each cron slot once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from hub.resources import Hub
from hub.services.sync import sync_activity
from hub.settings import Settings

log = logging.getLogger("hub.scheduler")


async def _sync_forever(hub: Hub, interval: float) -> None:
    while True:
        try:
            await sync_activity(hub.db, hub.backends)
        except Exception:
            log.exception("sync pass failed")
        await asyncio.sleep(interval)


@asynccontextmanager
async def in_process(hub: Hub) -> AsyncIterator[None]:
    """Run the periodic sync inside this process while the app is up (embedded default)."""
    minutes = hub.settings.sync_interval_minutes
    if hub.settings.redis_url is not None or minutes == 0:
        yield
        return
    task = asyncio.create_task(_sync_forever(hub, minutes * 60), name="hub-sync")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


# --- arq worker (production) -------------------------------------------------


async def sync_backends(ctx: dict[str, Any]) -> dict[str, int]:
    """The arq job: one sync pass."""
    hub: Hub = ctx["hub"]
    report = await sync_activity(hub.db, hub.backends)
    return {"seen": report.seen, "recorded": report.recorded, "failures": report.failures}


def worker_settings(settings: Settings) -> dict[str, Any]:
    """arq's worker settings for ``hub worker``; needs HUB_REDIS_URL."""
    from arq import cron
    from arq.connections import RedisSettings

    if settings.redis_url is None:
        raise ValueError("HUB_REDIS_URL: `hub worker` needs Redis to take jobs from")

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["hub"] = Hub.from_settings(settings)

    async def shutdown(ctx: dict[str, Any]) -> None:
        await ctx["hub"].close()

    minutes = settings.sync_interval_minutes
    cron_jobs = (
        [cron(sync_backends, minute=set(range(0, 60, minutes)), run_at_startup=False)]
        if 0 < minutes < 60
        else [cron(sync_backends, hour={0}, minute={0})]
        if minutes
        else []
    )
    return {
        "functions": [sync_backends],
        "cron_jobs": cron_jobs,
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url.get_secret_value()),
        "queue_name": "hub:queue",
        "health_check_key": "hub:worker:health",
    }
