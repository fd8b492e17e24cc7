"""Connector benchmark: fan-out across backends, warm cache against cold, request coalescing.

Run: ``.venv/bin/python benchmarks/connectors.py [--latency-ms 100] [--rounds 5] [--redis URL]
[--sockets]``

Every installed sandbox runs in-process (mounted on one shared httpx client,
as ``hub demo`` does; with ``--sockets``, each behind uvicorn on a loopback
port, as ``hub sandbox`` runs them) with ``--latency-ms`` added to each HTTP
answer, and the real adapters and resilience layer read from them. Prints,
in one run:

1. all four kinds for one user at once, against the slowest single backend
   alone (goal: at most 1.2 times; fan-out, not a sum);
2. the same reads from a warm cache against cold (goal: at least 20 times faster);
3. 100 concurrent identical reads: fetches that reached the backend (goal: 1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from hub.connectors import operations as ops
from hub.connectors.backends import Backends
from hub.connectors.demo import demo_backends, demo_config, demo_setup, sandbox_app
from hub.connectors.records import Kind, PartnerRef, PersonRef
from hub.connectors.registry import ConnectorSetup, adapters, build_connectors
from hub.connectors.resilience import Resilience
from hub.connectors.sandboxes.knobs import Knobs
from hub.store import KeyValueStore, MemoryStore
from hub.store.redis import RedisStore

ACME = PartnerRef("acme", "Acme Corporation", "acme.example")
REP = PersonRef("rep@acme.example", ACME)
# One widget-sized read per kind, for the sales rep of Acme.
READS: list[tuple[ops.Operation[Any, Any], PartnerRef | PersonRef]] = [
    (ops.DEALS, ACME),
    (ops.ENROLMENTS, REP),
    (ops.GOALS, REP),
    (ops.LEADS, ACME),
]


async def _timed(action: Awaitable[Any]) -> float:
    started = time.perf_counter()
    await action
    return time.perf_counter() - started


class Bench:
    def __init__(
        self, setup: ConnectorSetup, http: httpx.AsyncClient, store_url: str | None
    ) -> None:
        self.setup = setup
        self.http = http
        self.store_url = store_url
        self.connectors = build_connectors(setup.configs, http)

    async def fresh(self) -> tuple[Backends, Resilience, KeyValueStore]:
        """Backends over an empty cache, so the next reads are cold."""
        store: KeyValueStore = MemoryStore()
        if self.store_url:
            # A prefix of our own, emptied each time: nobody else's keys are touched.
            redis_store = RedisStore.from_url(self.store_url, prefix="bench-connectors:")
            await redis_store.clear()
            store = redis_store
        resilience = Resilience(store)
        return Backends(self.connectors, call=resilience), resilience, store

    def reads(
        self, backends: Backends
    ) -> list[tuple[ops.Operation[Any, Any], PartnerRef | PersonRef]]:
        return [read for read in READS if backends.has(read[0].kind)]

    async def all_kinds(self, backends: Backends) -> None:
        await asyncio.gather(*(backends.fetch(*read) for read in self.reads(backends)))


@contextlib.asynccontextmanager
async def sandboxes(latency: float, over_sockets: bool) -> AsyncIterator[ConnectorSetup]:
    """The demo's sandboxes, mounted in-process or each served by uvicorn on a free port."""
    setup = demo_setup(adapters(), latency=latency)
    if not over_sockets:
        yield setup
        return
    async with contextlib.AsyncExitStack() as stack:
        by_socket = ConnectorSetup([], {}, {})
        for backend in demo_backends():
            if backend.name not in setup.knobs:
                continue
            knobs = Knobs(latency=latency)
            app = sandbox_app(backend, knobs)
            assert app is not None
            url = await stack.enter_async_context(_serving(app))
            by_socket.configs.append(demo_config(backend, url))
            by_socket.knobs[backend.name] = knobs
        yield by_socket


@contextlib.asynccontextmanager
async def _serving(app: ASGIApp) -> AsyncIterator[str]:
    # IPPROTO_TCP explicitly, or asyncio leaves Nagle on and each answer waits for a delayed ACK.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        listener.close()


async def run(latency_ms: float, rounds: int, store_url: str | None, over_sockets: bool) -> None:
    async with (
        sandboxes(latency_ms / 1000, over_sockets) as setup,
        httpx.AsyncClient(mounts=setup.mounts, timeout=30) as http,
    ):
        bench = Bench(setup, http, store_url)
        backends, _, store = await bench.fresh()
        kinds = [read[0].kind.value for read in bench.reads(backends)]
        missing = [kind.value for kind in Kind if kind.value not in kinds]
        print(f"connectors: {', '.join(c.config.name for c in bench.connectors)}")
        print(
            f"kinds read: {', '.join(kinds)}"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
        print(
            f"sandboxes {'over loopback sockets' if over_sockets else 'in-process'},"
            f" {latency_ms:g} ms per HTTP answer; store: {store.name}; rounds: {rounds}"
        )
        await store.close()
        # Warm-up: tokens fetched, imports done, so rounds measure steady state.
        warm_backends, _, warm_store = await bench.fresh()
        await bench.all_kinds(warm_backends)
        await warm_store.close()

        singles: dict[str, list[float]] = {}
        together: list[float] = []
        warm: list[float] = []
        for _ in range(rounds):
            for operation, subject in READS:
                backends, _, store = await bench.fresh()
                if backends.has(operation.kind):
                    seconds = await _timed(backends.fetch(operation, subject))
                    name = f"{operation.kind.value}.{operation.name}"
                    singles.setdefault(name, []).append(seconds)
                await store.close()
            backends, _, store = await bench.fresh()
            together.append(await _timed(bench.all_kinds(backends)))
            warm.append(await _timed(bench.all_kinds(backends)))
            await store.close()

        medians = {name: statistics.median(times) for name, times in singles.items()}
        slowest_name = max(medians, key=lambda name: medians[name])
        slowest = medians[slowest_name]
        cold = statistics.median(together)
        hot = statistics.median(warm)
        print()
        print("single backends alone, cold cache (median):")
        for name, seconds in sorted(medians.items()):
            print(f"  {name:<22} {seconds * 1000:8.1f} ms")
        print()
        print(f"{'figure':<46} {'measured':>12} {'goal':>10}  ok")
        fan_out = cold / slowest
        print(
            f"{'all kinds at once / slowest alone':<46} {fan_out:>11.2f}x {'<= 1.2x':>10}"
            f"  {'yes' if fan_out <= 1.2 else 'NO'}"
            f"   ({cold * 1000:.0f} ms vs {slowest * 1000:.0f} ms, {slowest_name})"
        )
        speedup = cold / hot
        print(
            f"{'cold / warm cache (all kinds)':<46} {speedup:>11.0f}x {'>= 20x':>10}"
            f"  {'yes' if speedup >= 20 else 'NO'}"
            f"   ({cold * 1000:.0f} ms vs {hot * 1000:.2f} ms)"
        )

        backends, resilience, store = await bench.fresh()
        single_knobs = setup.knobs["salesforce"]
        before = single_knobs.requests
        await backends.fetch(ops.REBATES, ACME)
        one_read_requests = single_knobs.requests - before
        await store.close()
        backends, resilience, store = await bench.fresh()
        before = single_knobs.requests
        await asyncio.gather(*(backends.fetch(ops.REBATES, ACME) for _ in range(100)))
        fetches = resilience.metrics_of("salesforce").calls
        http_requests = single_knobs.requests - before
        print(
            f"{'backend fetches for 100 concurrent reads':<46} {fetches:>12} {'1':>10}"
            f"  {'yes' if fetches == 1 else 'NO'}"
            f"   ({http_requests} HTTP requests; one uncached read makes {one_read_requests})"
        )
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--redis",
        help="redis:// URL for the cache (keys under bench-connectors:); default in-process",
    )
    parser.add_argument("--sockets", action="store_true", help="serve each sandbox with uvicorn")
    args = parser.parse_args()
    asyncio.run(run(args.latency_ms, args.rounds, args.redis, args.sockets))


if __name__ == "__main__":
    main()
