"""Connector rows for ``hub check`` and the admin page: reachability plus the resilience figures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hub.connectors.backends import Backends
from hub.connectors.base import Connector
from hub.connectors.resilience import ConnectorMetrics, Resilience
from hub.connectors.standing import Standing

Probe = Callable[[], Awaitable[str]]


def connector_probes(backends: Backends) -> list[tuple[str, Probe]]:
    """One named probe per connector: its ``probe()`` line, then its breaker and latency figures."""
    return [
        (
            f"connector {c.config.name} ({c.config.kind.value}, {c.config.adapter})",
            _probe(c, backends),
        )
        for c in backends.all()
    ]


def connector_metrics(backends: Backends) -> list[ConnectorMetrics]:
    """Per-connector calls, errors, latency and breaker state (empty without a resilience layer)."""
    call = backends.call
    if not isinstance(call, Resilience):
        return []
    return [call.metrics_of(c.config.name) for c in backends.all()]


def standings(backends: Backends) -> list[tuple[Connector, Standing]]:
    """Every connector with how it is doing (all answering without a resilience layer)."""
    call = backends.call
    return [
        (
            c,
            call.standing_of(c.config.name)
            if isinstance(call, Resilience)
            else Standing(c.config.name),
        )
        for c in backends.all()
    ]


def outages(backends: Backends) -> list[tuple[Connector, Standing]]:
    """The connectors not answering right now, the longest down first."""
    down = [(c, s) for c, s in standings(backends) if s.down_since is not None]
    return sorted(down, key=lambda pair: (pair[1].down_since, pair[0].config.name))


def _probe(connector: Connector, backends: Backends) -> Probe:
    async def probe() -> str:
        detail = await connector.probe()
        call = backends.call
        if isinstance(call, Resilience):
            return f"{detail}; {call.metrics_of(connector.config.name).summary()}"
        return detail

    return probe
