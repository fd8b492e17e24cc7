"""The resilience layer over a scripted backend: cache, staleness, coalescing, retries, breaker."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from hub.connectors.backends import Backends
from hub.connectors.base import (
    BackendAuthError,
    BackendError,
    BackendRateLimited,
    BackendUnavailable,
    ConnectorConfig,
    MalformedResponse,
)
from hub.connectors.breaker import BreakerState
from hub.connectors.cache import cache_key
from hub.connectors.health import outages
from hub.connectors.records import Kind, Money, PartnerRef, PersonRef, Rebate
from hub.connectors.resilience import CircuitOpen, Resilience
from hub.connectors.standing import Problem, Standing
from hub.store import KeyValueStore

pytestmark = pytest.mark.anyio

ACME = PartnerRef("acme", "Acme Corporation")
GLOBEX = PartnerRef("globex", "Globex")


class ScriptedPRM:
    """A PRM backend whose answers the test scripts: values per org, or failures to raise."""

    def __init__(self, config: ConnectorConfig, http: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.calls = 0
        self.delay = 0.0
        self.failures: list[BaseException] = []
        self.answer: Callable[[PartnerRef], object] = _rebates_of

    async def probe(self) -> str:
        return "scripted"

    async def rebates(self, partner: PartnerRef) -> object:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            raise self.failures.pop(0)
        return self.answer(partner)


def _rebates_of(partner: PartnerRef) -> list[Rebate]:
    amount = Decimal(len(partner.slug) * 1000) + Decimal("0.50")
    return [
        Rebate(f"r-{partner.slug}", f"{partner.name} Q1", Money(amount, "USD"), "earned",
               datetime(2026, 3, 31, tzinfo=UTC).date())
    ]  # fmt: skip


def _config(**overrides: object) -> ConnectorConfig:
    values: dict[str, object] = {
        "name": "prm-one", "kind": Kind.PRM, "adapter": "scripted",
        "base_url": "https://prm.example", "timeout": 1.0, "cache_ttl": 60.0,
        "stale_ttl": 3600.0, "retries": 2,
    }  # fmt: skip
    values.update(overrides)
    return ConnectorConfig(**values)  # type: ignore[arg-type]


class Clock:
    """Wall and monotonic time the test moves by hand."""

    def __init__(self) -> None:
        self.wall = datetime(2026, 11, 22, 12, tzinfo=UTC)
        self.seconds = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.seconds += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def resilience(store: KeyValueStore, clock: Clock) -> Resilience:
    return Resilience(
        store,
        breaker_threshold=3,
        breaker_cooldown=30.0,
        backoff_base=0.001,
        clock=lambda: clock.seconds,
        now=lambda: clock.wall,
    )


async def test_a_fresh_answer_comes_from_the_cache(resilience: Resilience) -> None:
    backend = ScriptedPRM(_config())
    first = await resilience(backend, "rebates", ACME)
    second = await resilience(backend, "rebates", ACME)
    assert backend.calls == 1
    assert second.value == first.value == _rebates_of(ACME)
    assert second.value[0].amount.amount == Decimal("4000.50")
    assert not second.stale
    assert second.fetched_at == first.fetched_at
    assert resilience.metrics_of("prm-one").cache_hits == 1


async def test_two_orgs_never_share_a_cached_value(resilience: Resilience) -> None:
    backend = ScriptedPRM(_config())
    acme = await resilience(backend, "rebates", ACME)
    globex = await resilience(backend, "rebates", GLOBEX)
    assert backend.calls == 2
    assert acme.value[0].id == "r-acme"
    assert globex.value[0].id == "r-globex"
    assert (await resilience(backend, "rebates", GLOBEX)).value[0].id == "r-globex"
    assert (await resilience(backend, "rebates", ACME)).value[0].id == "r-acme"


def test_cache_keys_name_connector_operation_and_owner() -> None:
    key = cache_key("salesforce", "rebates", ACME)
    assert key.split(":")[2:] == ["salesforce", "rebates", "org=acme"]
    # Separators in a slug or email are encoded, so one owner cannot forge another's key.
    assert cache_key("c", "op", PartnerRef("acme,ext=1")) != cache_key(
        "c", "op", PartnerRef("acme", external_ids=(("c", "1"),))
    )
    rep = PersonRef("Rep@Acme.example", ACME)
    assert cache_key("lms", "enrolments", rep) == cache_key(
        "lms", "enrolments", PersonRef("rep@acme.example", ACME)
    )
    assert cache_key("lms", "enrolments", rep) != cache_key(
        "lms", "enrolments", PersonRef("rep@acme.example", GLOBEX)
    )


async def test_past_its_lifetime_the_last_value_is_served_stale_and_refreshed(
    resilience: Resilience, clock: Clock
) -> None:
    backend = ScriptedPRM(_config())
    first = await resilience(backend, "rebates", ACME)
    clock.advance(61)
    backend.answer = lambda partner: []
    stale = await resilience(backend, "rebates", ACME)
    assert stale.stale
    assert stale.value == first.value
    assert stale.fetched_at == first.fetched_at
    for _ in range(100):  # the refresh runs in the background
        if backend.calls == 2:
            break
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.01)
    refreshed = await resilience(backend, "rebates", ACME)
    assert backend.calls == 2
    assert refreshed.value == []
    assert not refreshed.stale


async def test_when_the_backend_fails_the_last_good_value_stands_in(
    resilience: Resilience, clock: Clock
) -> None:
    backend = ScriptedPRM(_config(retries=0))
    await resilience(backend, "rebates", ACME)
    await resilience.close()
    clock.advance(3000)
    backend.failures = [BackendUnavailable("prm-one: HTTP 503")]
    with pytest.raises(BackendUnavailable):
        await resilience(backend, "rebates", GLOBEX)  # nothing to fall back on


async def test_backends_read_reports_a_failure_but_serves_the_stale_value(
    resilience: Resilience, clock: Clock
) -> None:
    backend = ScriptedPRM(_config(retries=0))
    backends = Backends([backend], call=resilience)
    await backends.prm.rebates(ACME)
    clock.advance(61)
    backend.failures = [BackendUnavailable("prm-one: HTTP 503")] * 2
    served = await backends.prm.rebates(ACME)
    assert served.stale
    assert served.value == _rebates_of(ACME)
    assert served.fetched_at == clock.wall - timedelta(seconds=61)


async def test_a_hundred_identical_reads_reach_the_backend_once(resilience: Resilience) -> None:
    backend = ScriptedPRM(_config())
    backend.delay = 0.02
    answers = await asyncio.gather(*(resilience(backend, "rebates", ACME) for _ in range(100)))
    assert backend.calls == 1
    assert all(answer.value == _rebates_of(ACME) for answer in answers)
    assert resilience.metrics_of("prm-one").coalesced >= 90


async def test_retryable_failures_are_retried_and_others_are_not(resilience: Resilience) -> None:
    backend = ScriptedPRM(_config(retries=2))
    backend.failures = [BackendUnavailable("503"), BackendUnavailable("503")]
    assert (await resilience(backend, "rebates", ACME)).value == _rebates_of(ACME)
    assert backend.calls == 3
    other = ScriptedPRM(_config(name="prm-two"))
    other.failures = [BackendError("prm-two: INVALID_FIELD")]
    with pytest.raises(BackendError, match="INVALID_FIELD"):
        await resilience(other, "rebates", ACME)
    assert other.calls == 1


async def test_a_hanging_backend_times_out_as_unavailable(resilience: Resilience) -> None:
    backend = ScriptedPRM(_config(timeout=0.02, retries=0))
    backend.delay = 5
    with pytest.raises(BackendUnavailable, match=r"no answer within 0\.02s"):
        await resilience(backend, "rebates", ACME)


async def test_the_breaker_opens_then_lets_one_trial_through(
    resilience: Resilience, clock: Clock
) -> None:
    backend = ScriptedPRM(_config(retries=0))
    backend.failures = [BackendUnavailable("down")] * 3
    for _ in range(3):
        with pytest.raises(BackendUnavailable):
            await resilience(backend, "rebates", ACME)
    assert resilience.breaker_state("prm-one") is BreakerState.OPEN
    with pytest.raises(CircuitOpen):
        await resilience(backend, "rebates", ACME)
    assert backend.calls == 3  # the open breaker spared the backend
    clock.advance(31)
    assert resilience.breaker_state("prm-one") is BreakerState.HALF_OPEN
    assert (await resilience(backend, "rebates", ACME)).value == _rebates_of(ACME)
    assert resilience.breaker_state("prm-one") is BreakerState.CLOSED
    metrics = resilience.metrics_of("prm-one")
    assert (metrics.calls, metrics.errors) == (4, 3)
    assert metrics.p50_ms is not None
    assert "breaker closed" in metrics.summary()


async def test_a_malformed_answer_never_enters_the_cache(
    resilience: Resilience, clock: Clock, store: KeyValueStore
) -> None:
    backend = ScriptedPRM(_config(retries=0))
    good = await resilience(backend, "rebates", ACME)
    clock.advance(61)
    backend.answer = lambda partner: ["not a rebate"]
    await resilience(backend, "rebates", ACME)  # stale, and refreshes in the background
    await asyncio.sleep(0.02)
    await resilience.close()
    served = await resilience(backend, "rebates", ACME)
    assert served.value == good.value  # the bad refresh did not replace it
    fresh = ScriptedPRM(_config(name="prm-two", retries=0))
    fresh.answer = lambda partner: [{"id": 1}]
    with pytest.raises(MalformedResponse):
        await resilience(fresh, "rebates", ACME)
    assert await store.get(cache_key("prm-two", "rebates", ACME)) is None


async def test_an_unreadable_cache_entry_is_dropped_not_served(
    resilience: Resilience, store: KeyValueStore
) -> None:
    backend = ScriptedPRM(_config())
    key = cache_key("prm-one", "rebates", ACME)
    await store.set(key, '{"fetched_at": "2026-11-22T12:00:00+00:00", "value": [{"id": 7}]}')
    answer = await resilience(backend, "rebates", ACME)
    assert backend.calls == 1
    assert answer.value == _rebates_of(ACME)


async def test_a_cancelled_trial_call_does_not_wedge_the_breaker(
    resilience: Resilience, clock: Clock
) -> None:
    backend = ScriptedPRM(_config(retries=0))
    backend.failures = [BackendUnavailable("down")] * 3
    for _ in range(3):
        with pytest.raises(BackendUnavailable):
            await resilience(backend, "rebates", ACME)
    clock.advance(31)
    backend.delay = 5
    trial = asyncio.ensure_future(resilience(backend, "rebates", ACME))
    await asyncio.sleep(0.01)
    assert resilience.breaker_state("prm-one") is BreakerState.HALF_OPEN
    await resilience.close()  # shutting down cancels the trial fetch
    with pytest.raises(asyncio.CancelledError):
        await trial
    backend.delay = 0
    assert (await resilience(backend, "rebates", GLOBEX)).value == _rebates_of(GLOBEX)
    assert resilience.breaker_state("prm-one") is BreakerState.CLOSED


class RegisteringPRM(ScriptedPRM):
    """A scripted PRM that also takes deal registrations."""

    registered: int = 0

    async def register_deal(self, partner: PartnerRef, note: str) -> str:
        self.registered += 1
        if self.failures:
            raise self.failures.pop(0)
        return f"deal for {partner.slug}: {note}"


async def test_a_write_is_never_retried_and_clears_the_partners_cached_reads(
    resilience: Resilience, store: KeyValueStore
) -> None:
    backend = RegisteringPRM(_config(retries=3))
    await resilience(backend, "rebates", ACME)
    await resilience(backend, "rebates", GLOBEX)
    backend.failures = [BackendUnavailable("prm-one: HTTP 503")]
    with pytest.raises(BackendUnavailable):
        await resilience.write(backend, "register_deal", ACME, "first", invalidates=("rebates",))
    assert backend.registered == 1  # not retried, although the failure is retryable
    assert await store.get(cache_key("prm-one", "rebates", ACME)) is not None
    answer = await resilience.write(
        backend, "register_deal", ACME, "second", invalidates=("rebates",)
    )
    assert answer == "deal for acme: second"
    assert await store.get(cache_key("prm-one", "rebates", ACME)) is None
    assert await store.get(cache_key("prm-one", "rebates", GLOBEX)) is not None
    assert resilience.metrics_of("prm-one").errors == 1


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, object]]]:
    """What reaches the event loop's exception handler ("Task exception was never retrieved")."""
    loop = asyncio.get_running_loop()
    caught: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: caught.append(context))
    yield caught
    gc.collect()
    loop.set_exception_handler(previous)


async def test_a_fetch_whose_callers_gave_up_leaves_no_unretrieved_exception(
    resilience: Resilience, loop_errors: list[dict[str, object]]
) -> None:
    backend = ScriptedPRM(_config(retries=0))
    backend.delay = 0.02
    backend.failures = [BackendUnavailable("prm-one: HTTP 503")]
    with pytest.raises(TimeoutError):
        # The widget's own timeout is shorter than the backend's failure.
        await asyncio.wait_for(resilience(backend, "rebates", ACME), 0.005)
    await asyncio.sleep(0.05)  # the shielded fetch fails after its caller left
    gc.collect()
    assert backend.calls == 1
    assert [context.get("message") for context in loop_errors] == []


async def test_a_failed_background_refresh_leaves_no_unretrieved_exception(
    resilience: Resilience, clock: Clock, loop_errors: list[dict[str, object]]
) -> None:
    backend = ScriptedPRM(_config(retries=0))
    await resilience(backend, "rebates", ACME)
    clock.advance(61)
    backend.failures = [BackendUnavailable("prm-one: HTTP 503")]
    assert (await resilience(backend, "rebates", ACME)).stale
    await asyncio.sleep(0.01)
    gc.collect()
    assert backend.calls == 2
    assert [context.get("message") for context in loop_errors] == []


async def test_a_connector_not_answering_is_known_since_when_and_what_stood_in(
    resilience: Resilience, clock: Clock
) -> None:
    backend = ScriptedPRM(_config(retries=0))
    backends = Backends([backend], call=resilience)
    await backends.prm.rebates(ACME)
    answered_at = clock.wall
    assert resilience.standing_of("prm-one") == Standing("prm-one", last_answer=answered_at)
    clock.advance(120)
    backend.failures = [BackendUnavailable("prm-one: HTTP 503")] * 2
    await resilience(backend, "rebates", ACME)  # stale now; the refresh fails behind it
    await asyncio.sleep(0.01)
    await backends.prm.rebates(ACME)
    standing = resilience.standing_of("prm-one")
    assert standing.down_since == clock.wall
    assert standing.problem is Problem.NO_ANSWER
    assert standing.stand_in_from == answered_at
    assert standing.last_answer == answered_at
    assert [s for _c, s in outages(backends)] == [standing]
    clock.advance(61)
    await backends.prm.rebates(GLOBEX)
    assert resilience.standing_of("prm-one").answering
    assert outages(backends) == []


def test_errors_are_classified_in_one_place() -> None:
    assert Problem.of(TimeoutError()) is Problem.NO_ANSWER
    assert Problem.of(CircuitOpen("open")) is Problem.NO_ANSWER
    assert Problem.of(BackendRateLimited("slow down")) is Problem.RATE_LIMITED
    assert Problem.of(BackendAuthError("refused")) is Problem.CREDENTIALS
    assert Problem.of(MalformedResponse("odd")) is Problem.MALFORMED
    assert Problem.of(BackendError("INVALID_FIELD")) is Problem.FAILED


async def test_the_value_served_while_a_refresh_failed_is_known_to_stand_in(
    resilience: Resilience, clock: Clock
) -> None:
    backend = ScriptedPRM(_config(retries=0))
    await resilience(backend, "rebates", ACME)
    fetched_at = clock.wall
    clock.advance(61)
    backend.failures = [BackendUnavailable("prm-one: HTTP 503")]
    await resilience(backend, "rebates", ACME)  # served stale before anyone knew
    await asyncio.sleep(0.01)
    assert resilience.standing_of("prm-one").stand_in_from == fetched_at
