"""Scheduled background work: in-process for the embedded default, arq workers in production.

The jobs: indexing the content library's sources (every ``CONTENT_EVERY`` seconds
in-process, every 15 minutes on workers), retrying failed account pushes to backends
(every 30 s), evaluating recorded activity for points, badges and streaks
(every 15 s), bringing program insight's summaries up to date (every minute),
carrying out reactivation playbooks' pending steps and ending runs whose window is
over (every 30 s),
pulling backend activity (every ``HUB_SYNC_INTERVAL_MINUTES``), lapsing
closed giving budgets (hourly) and the channel managers' weekly digest (a pass
every 30 minutes sends what is due and not sent yet, recorded in the database,
so a restart or a second worker sends nothing twice). Without Redis there is one
process, so it runs them itself. With Redis the app processes run nothing in
the background: `hub worker` processes take the cron jobs from Redis (arq),
and any number of them can run side by side since arq runs each cron slot
once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from hub.digest_delivery import digest_pass
from hub.resources import Hub
from hub.services.account_push import retry_failed
from hub.services.content.completions import record_completions
from hub.services.content.index import IndexReport, refresh_index
from hub.services.engagement.budgets import lapse_budgets
from hub.services.engagement.processing import IngestReport, drain_pending
from hub.services.playbooks.steps import Executor, finish_due
from hub.services.program.summaries import RefreshReport, refresh
from hub.services.sync import SyncReport, sync_activity
from hub.settings import Settings

log = logging.getLogger("hub.scheduler")

# Seconds before a failed scheduled run is tried again (doubling, capped at its period).
RETRY_FIRST = 10.0


async def _every(
    seconds: float,
    job: Callable[[Hub], Awaitable[object]],
    hub: Hub,
    wake: asyncio.Event | None = None,
    first_after: float = 0.0,
    retry_first: float = RETRY_FIRST,
) -> None:
    """Run ``job`` every ``seconds`` (the first time after ``first_after``), and at once
    whenever ``wake`` is set. A run that failed is tried again sooner: after
    ``retry_first`` seconds, doubling on each further failure, never later than the
    job's own period (a sync pass that hit a busy database does not wait an hour)."""
    await asyncio.sleep(first_after)
    retry = retry_first
    while True:
        if wake is not None:
            wake.clear()
        pause = seconds
        try:
            await job(hub)
        except Exception:
            log.exception("scheduled job failed", extra={"job": job.__name__})
            pause = min(seconds, retry)
            retry *= 2
        else:
            retry = retry_first
        if wake is None:
            await asyncio.sleep(pause)
        else:
            with suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), pause)


async def run_sync(hub: Hub) -> SyncReport:
    """Pull backend activity, then evaluate and summarise what it brought in."""
    report = await sync_activity(hub.db, hub.backends)
    evaluated = await drain_pending(hub.db, hub.store)
    if report.recorded:
        await refresh(hub.db)  # program insight shows what the pass brought in, now
    log.info(
        "sync pass done",
        extra={
            "seen": report.seen,
            "recorded": report.recorded,
            "failures": report.failures,
            "evaluated": evaluated.processed,
            "caught_up": evaluated.caught_up,
        },
    )
    return report


async def run_content(hub: Hub) -> IndexReport:
    """Refresh the content library's index from every content source."""
    report = await refresh_index(hub.db, hub.backends)
    completed = await record_completions(hub.db, hub.backends)
    if completed:
        hub.evaluate_soon()
    log.info(
        "content indexed",
        extra={"indexed": report.indexed, "failed": report.failed, "completed": completed},
    )
    return report


async def run_engagement(hub: Hub) -> IngestReport:
    """Evaluate recorded events (sign-ins, webhooks …) for points, badges and streaks."""
    report = await drain_pending(hub.db, hub.store)
    if report.processed:
        log.info(
            "events evaluated",
            extra={"evaluated": report.processed, "caught_up": report.caught_up},
        )
    return report


async def run_summaries(hub: Hub) -> RefreshReport:
    """Recompute program insight's summaries for what changed (all, after new settings)."""
    return await refresh(hub.db)


async def run_playbooks(hub: Hub) -> int:
    """Carry out pending playbook steps, fail steps stuck mid-send, end runs that are due."""
    now = datetime.now(UTC)
    executor = Executor(hub.db, hub.backends, hub.settings)
    await executor.recover_stale(now)
    ended = await finish_due(hub.db, now)  # first: a run whose window is over sends nothing
    done = await executor.run_pending(now)
    if done or ended:
        log.info("playbooks", extra={"steps": done, "ended": ended})
    return done


async def run_account_push(hub: Hub) -> int:
    """Retry the account pushes to backends that failed and are due (provisioning fan-out)."""
    return await retry_failed(hub.db, hub.backends)


async def run_lapse(hub: Hub) -> int:
    """Return what is left of closed giving budgets to the program."""
    return await lapse_budgets(hub.db, now=datetime.now(UTC))


async def run_digest(hub: Hub) -> int:
    """Send this week's digests once they are due; how many went out."""
    report = await digest_pass(hub, datetime.now(UTC))
    return report.sent if report else 0


# (job, seconds between runs in-process); the sync interval comes from the settings.
ENGAGEMENT_EVERY = 15.0
SUMMARIES_EVERY = 60.0
LAPSE_EVERY = 3600.0
DIGEST_EVERY = 1800.0
# In-process, the first digest pass waits until the first sync has filled the activity
# log: a digest composed from an empty log would call every partner dormant.
DIGEST_FIRST_AFTER = 600.0
PLAYBOOKS_EVERY = 30.0
CONTENT_EVERY = 900.0
ACCOUNT_PUSH_EVERY = 30.0


@asynccontextmanager
async def in_process(hub: Hub) -> AsyncIterator[None]:
    """Run the scheduled jobs inside this process while the app is up (embedded default)."""
    if hub.settings.redis_url is not None:
        yield
        return
    jobs: list[tuple[float, Callable[[Hub], Awaitable[object]], asyncio.Event | None]] = [
        (ENGAGEMENT_EVERY, run_engagement, hub.evaluation_wanted),
        (SUMMARIES_EVERY, run_summaries, hub.summaries_wanted),
        (LAPSE_EVERY, run_lapse, None),
        (DIGEST_EVERY, run_digest, None),
        (PLAYBOOKS_EVERY, run_playbooks, None),
        (CONTENT_EVERY, run_content, hub.content_wanted),
        (ACCOUNT_PUSH_EVERY, run_account_push, None),
    ]
    if hub.settings.sync_interval_minutes:
        jobs.append((hub.settings.sync_interval_minutes * 60.0, run_sync, None))
    tasks = [
        asyncio.create_task(
            _every(seconds, job, hub, wake, DIGEST_FIRST_AFTER if job is run_digest else 0.0),
            name=f"hub-{job.__name__}",
        )
        for seconds, job, wake in jobs
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task


# --- arq worker (production) -------------------------------------------------


async def sync_backends(ctx: dict[str, Any]) -> dict[str, int]:
    """The arq job: one sync pass."""
    report = await run_sync(ctx["hub"])
    return {"seen": report.seen, "recorded": report.recorded, "failures": report.failures}


async def index_content(ctx: dict[str, Any]) -> int:
    """The arq job: refresh the content library's index; how many sources failed."""
    return len((await run_content(ctx["hub"])).failed)


async def evaluate_engagement(ctx: dict[str, Any]) -> int:
    """The arq job: evaluate recorded events."""
    return (await run_engagement(ctx["hub"])).processed


async def refresh_summaries(ctx: dict[str, Any]) -> int:
    """The arq job: bring program insight's summaries up to date."""
    return (await run_summaries(ctx["hub"])).partners


async def carry_out_playbooks(ctx: dict[str, Any]) -> int:
    """The arq job: pending playbook steps, and runs that are due to end."""
    return await run_playbooks(ctx["hub"])


async def retry_account_pushes(ctx: dict[str, Any]) -> int:
    """The arq job: retry failed account pushes that are due."""
    return await run_account_push(ctx["hub"])


async def lapse_giving_budgets(ctx: dict[str, Any]) -> int:
    """The arq job: lapse closed budgets."""
    return await run_lapse(ctx["hub"])


async def weekly_digest(ctx: dict[str, Any]) -> int:
    """The arq job: send the weekly digests that are due."""
    return await run_digest(ctx["hub"])


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
    cron_jobs = [
        cron(evaluate_engagement, second={0, 15, 30, 45}),
        cron(lapse_giving_budgets, minute={5}),
        cron(refresh_summaries, second={30}),
        cron(weekly_digest, minute={20, 50}),
        cron(carry_out_playbooks, second={10, 40}),
        cron(index_content, minute={2, 17, 32, 47}),
        cron(retry_account_pushes, second={20, 50}),
    ]
    if 0 < minutes < 60:
        cron_jobs.append(cron(sync_backends, minute=set(range(0, 60, minutes))))
    elif minutes:
        cron_jobs.append(cron(sync_backends, hour={0}, minute={0}))
    return {
        "functions": [
            sync_backends,
            evaluate_engagement,
            refresh_summaries,
            lapse_giving_budgets,
            weekly_digest,
            carry_out_playbooks,
            index_content,
            retry_account_pushes,
        ],
        "cron_jobs": cron_jobs,
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url.get_secret_value()),
        "queue_name": "hub:queue",
        "health_check_key": "hub:worker:health",
    }
