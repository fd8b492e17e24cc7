"""The way every connector call is made: cache, coalescing, retries and a circuit breaker.

:class:`Resilience` is the ``call`` of :class:`~hub.connectors.backends.Backends`.
For ``operation(subject)`` on a connector it

0. shares one answer between the widgets of a page rendering, and inside a
   cache-only rendering raises ``NotWarm`` rather than wait for the backend
   (:mod:`hub.per_page`);
1. answers from the cache while the entry is younger than ``cache_ttl``;
2. past that, serves the cached value marked ``stale`` with its ``fetched_at``
   and refreshes it in the background (stale-while-revalidate);
3. with no entry, fetches now; concurrent callers for the same key share one
   fetch (request coalescing, per process);
4. a fetch retries retryable failures (timeouts, 5xx, rate limits) with
   exponential backoff and full jitter, up to ``retries`` extra attempts;
   every operation routed here is an idempotent read;
5. a breaker per connector stops calls after repeated failures;
6. when the backend fails, the last good value (up to ``stale_ttl`` old) is
   served marked ``stale`` with the error, or the error is raised.

An answer that fails to serialise into its declared type is a
:class:`MalformedResponse` and never reaches the cache.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub import per_page
from hub.connectors import cache
from hub.connectors.backends import Subject
from hub.connectors.base import BackendError, BackendUnavailable, Connector, NotConfigured
from hub.connectors.breaker import BreakerState, CircuitBreaker
from hub.connectors.records import Fetched
from hub.connectors.standing import Standing, Standings
from hub.store import KeyValueStore

log = logging.getLogger("hub.connectors")


class CircuitOpen(BackendUnavailable):
    """The connector's breaker is open: the backend is not called for a while."""


@dataclass(frozen=True)
class ConnectorMetrics:
    """One connector's figures since the process started, for the admin page and ``hub check``."""

    connector: str
    calls: int
    errors: int
    cache_hits: int
    stale_served: int
    coalesced: int
    p50_ms: float | None
    p95_ms: float | None
    breaker: BreakerState

    def summary(self) -> str:
        if not self.calls and not self.cache_hits:
            return f"breaker {self.breaker.value}"
        latency = (
            f"p50 {self.p50_ms:.0f} ms, p95 {self.p95_ms:.0f} ms"
            if self.p50_ms is not None and self.p95_ms is not None
            else "no calls yet"
        )
        return (
            f"breaker {self.breaker.value}; {self.calls} calls, {self.errors} errors;"
            f" {latency}; {self.cache_hits} cache hits, {self.stale_served} stale"
        )


class _Tally:
    """Counters and a window of recent latencies for one connector."""

    def __init__(self) -> None:
        self.calls = 0
        self.errors = 0
        self.cache_hits = 0
        self.stale_served = 0
        self.coalesced = 0
        self.latencies: deque[float] = deque(maxlen=1000)


class Resilience:
    """Cache, coalescing, retries and a breaker around connector reads. See the module docs."""

    # Reads answer from the cache, so a cache-only rendering can use them (hub.per_page).
    keeps_answers = True

    def __init__(
        self,
        store: KeyValueStore,
        *,
        breaker_threshold: int = 5,
        breaker_cooldown: float = 30.0,
        backoff_base: float = 0.1,
        backoff_cap: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        jitter: random.Random | None = None,
    ) -> None:
        self._store = store
        self._breaker_threshold = breaker_threshold
        self._breaker_cooldown = breaker_cooldown
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._clock = clock
        self._now = now
        self._jitter = jitter or random.Random()  # noqa: S311 - jitter, not security
        self._breakers: dict[str, CircuitBreaker] = {}
        self._tallies: dict[str, _Tally] = {}
        self._in_flight: dict[str, asyncio.Task[Fetched[Any]]] = {}
        self._refreshes: set[asyncio.Task[Fetched[Any]]] = set()
        self._standings = Standings(now)

    async def __call__(
        self, connector: Connector, operation: str, subject: Subject
    ) -> Fetched[Any]:
        key = cache.cache_key(connector.config.name, operation, subject)
        # The widgets of one page that need the same read share one answer.
        return await per_page.once(
            ("connector", key), lambda: self._answer(connector, operation, subject, key)
        )

    async def _answer(
        self, connector: Connector, operation: str, subject: Subject, key: str
    ) -> Fetched[Any]:
        name = connector.config.name
        cached = await cache.read(self._store, connector.config.kind, operation, key)
        tally = self._tally(name)
        if cached is None and per_page.cache_only():
            raise per_page.NotWarm(f"{name}: {operation} is not in the cache")
        if cached is not None:
            age = (self._now() - cached.fetched_at).total_seconds()
            if age < connector.config.cache_ttl:
                tally.cache_hits += 1
                return Fetched(cached.value, cached.fetched_at, sources=(name,))
            tally.stale_served += 1
            self._standings.stood_in(name, cached.fetched_at)
            if key not in self._in_flight:
                refresh = self._fetch_once(connector, operation, subject, key)
                self._refreshes.add(refresh)
                served = cached.fetched_at
                refresh.add_done_callback(lambda done: self._refresh_done(name, served, done))
            return Fetched(
                cached.value,
                cached.fetched_at,
                stale=True,
                sources=(name,),
                refreshing=self._standings.of(name).answering,
            )
        try:
            return await asyncio.shield(self._fetch_once(connector, operation, subject, key))
        except BackendError as exc:
            # Another process (or a refresh) may have written a value meanwhile.
            fallback = await cache.read(self._store, connector.config.kind, operation, key)
            if fallback is None:
                raise
            tally.stale_served += 1
            self._standings.stood_in(name, fallback.fetched_at)
            return Fetched(
                fallback.value,
                fallback.fetched_at,
                stale=True,
                sources=(name,),
                errors=(f"{name}: {exc}",),
            )

    async def write(
        self,
        connector: Connector,
        operation: str,
        subject: Subject,
        *args: Any,
        invalidates: tuple[str, ...] = (),
    ) -> Any:
        """Call a write (``register_deal`` …) once: through the breaker and metrics, never
        retried (it is not idempotent) nor cached. Afterwards the cached answers of the
        ``invalidates`` operations for ``subject`` are dropped, so the next read shows it.
        """
        config = connector.config
        breaker = self._breaker(config.name)
        tally = self._tally(config.name)
        if not breaker.allow():
            raise CircuitOpen(f"{config.name}: circuit open after repeated failures")
        started = self._clock()
        tally.calls += 1
        try:
            result = await asyncio.wait_for(
                getattr(connector, operation)(subject, *args), config.timeout
            )
        except TimeoutError as exc:
            tally.errors += 1
            breaker.record_failure()
            self._standings.failed(config.name, exc)
            # The write may have landed: say so rather than invite a blind retry.
            raise BackendUnavailable(
                f"{config.name}: no answer within {config.timeout:g}s; the {operation} may"
                " or may not have been recorded"
            ) from None
        except NotConfigured:
            breaker.record_success()
            self._standings.answered(config.name)
            raise
        except asyncio.CancelledError:
            breaker.abandon_trial()
            raise
        except Exception as exc:
            tally.errors += 1
            breaker.record_failure()
            self._standings.failed(config.name, exc)
            raise
        finally:
            tally.latencies.append(self._clock() - started)
        breaker.record_success()
        self._standings.answered(config.name)
        stale = [cache.cache_key(config.name, name, subject) for name in invalidates]
        if stale:
            await self._store.delete(*stale)
        return result

    def _fetch_once(
        self, connector: Connector, operation: str, subject: Subject, key: str
    ) -> asyncio.Task[Fetched[Any]]:
        """The one in-flight fetch for ``key``, started if there is none."""
        task = self._in_flight.get(key)
        if task is not None:
            self._tally(connector.config.name).coalesced += 1
            return task
        task = asyncio.ensure_future(self._fetch(connector, operation, subject, key))
        self._in_flight[key] = task
        task.add_done_callback(lambda done: self._fetch_done(key, done))
        return task

    def _fetch_done(self, key: str, task: asyncio.Task[Fetched[Any]]) -> None:
        self._in_flight.pop(key, None)
        # Callers await the fetch through a shield; one that timed out has left, and its
        # failure would otherwise reach the loop as "Task exception was never retrieved".
        if not task.cancelled() and task.exception() is not None:
            log.debug("connector fetch failed: %s", task.exception())

    def _refresh_done(self, name: str, served: datetime, task: asyncio.Task[Fetched[Any]]) -> None:
        self._refreshes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("background refresh failed: %s", task.exception())
            # The value served while it refreshed now stands in for a backend that is down.
            self._standings.stood_in(name, served)

    async def _fetch(
        self, connector: Connector, operation: str, subject: Subject, key: str
    ) -> Fetched[Any]:
        config = connector.config
        breaker = self._breaker(config.name)
        tally = self._tally(config.name)
        attempt = 0
        while True:
            if not breaker.allow():
                refused = CircuitOpen(
                    f"{config.name}: circuit open after repeated failures; next try in"
                    f" {breaker.seconds_until_trial():.0f}s"
                )
                self._standings.failed(config.name, refused)
                raise refused
            started = self._clock()
            tally.calls += 1
            try:
                value = await asyncio.wait_for(
                    getattr(connector, operation)(subject), config.timeout
                )
                fetched_at = self._now()
                encoded = cache.encode(config.kind, operation, value, fetched_at)
            except TimeoutError:
                failure: BackendError = BackendUnavailable(
                    f"{config.name}: no answer within {config.timeout:g}s"
                )
            except NotConfigured:
                # The partner is unknown there: the backend itself is fine.
                breaker.record_success()
                self._standings.answered(config.name)
                raise
            except asyncio.CancelledError:
                breaker.abandon_trial()
                raise
            except BackendError as exc:
                failure = exc
            except Exception as exc:
                tally.errors += 1
                breaker.record_failure()
                self._standings.failed(config.name, exc)
                raise
            else:
                tally.latencies.append(self._clock() - started)
                breaker.record_success()
                self._standings.answered(config.name)
                ttl = max(config.stale_ttl, config.cache_ttl)
                if ttl > 0:
                    await self._store.set(key, encoded, ttl=ttl)
                return Fetched(value, fetched_at, sources=(config.name,))
            tally.latencies.append(self._clock() - started)
            tally.errors += 1
            breaker.record_failure()
            if not failure.retryable or attempt >= config.retries:
                self._standings.failed(config.name, failure)
                raise failure
            await asyncio.sleep(self._backoff(attempt))
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        # Full jitter: spreads retries from many processes over the whole window.
        return self._jitter.uniform(0, min(self._backoff_cap, self._backoff_base * 2**attempt))

    def _breaker(self, name: str) -> CircuitBreaker:
        if name not in self._breakers:
            self._breakers[name] = CircuitBreaker(
                self._breaker_threshold, self._breaker_cooldown, self._clock
            )
        return self._breakers[name]

    def _tally(self, name: str) -> _Tally:
        return self._tallies.setdefault(name, _Tally())

    def standing_of(self, connector: str) -> Standing:
        """Whether ``connector`` answers, as this process last saw it."""
        return self._standings.of(connector)

    def breaker_state(self, connector: str) -> BreakerState:
        return self._breaker(connector).state

    def metrics(self) -> list[ConnectorMetrics]:
        """Figures per connector that has been called, sorted by name."""
        return [self.metrics_of(name) for name in sorted(self._tallies)]

    def metrics_of(self, connector: str) -> ConnectorMetrics:
        tally = self._tally(connector)
        ordered = sorted(tally.latencies)
        return ConnectorMetrics(
            connector=connector,
            calls=tally.calls,
            errors=tally.errors,
            cache_hits=tally.cache_hits,
            stale_served=tally.stale_served,
            coalesced=tally.coalesced,
            p50_ms=_percentile(ordered, 0.50),
            p95_ms=_percentile(ordered, 0.95),
            breaker=self._breaker(connector).state,
        )

    async def close(self) -> None:
        """Cancel fetches and background refreshes still running (at shutdown)."""
        running = {*self._refreshes, *self._in_flight.values()}
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


def _percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    index = min(len(ordered) - 1, round(share * (len(ordered) - 1)))
    return ordered[index] * 1000
