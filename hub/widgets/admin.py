"""The administrator's widget: is every connector answering, and how fast?"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from hub.connectors.base import Connector
from hub.connectors.health import standings
from hub.connectors.resilience import Resilience
from hub.connectors.standing import Problem, Standing
from hub.i18n import N_, translate
from hub.widgets.base import VENDOR, Size, Widget, WidgetContext, WidgetView
from hub.widgets.connector_words import KIND_WORDS, backend_name, health_status

PROBE_TIMEOUT = 3.0


@dataclass(frozen=True)
class ConnectorState:
    """One row of the widget, already in words."""

    name: str
    kind: str
    ok: bool
    status: str
    last_answer: datetime | None  # the state says the typical answer time


async def _probe(connector: Connector) -> Problem | None:
    """What a cheap call finds wrong with the backend right now, if anything."""
    try:
        await asyncio.wait_for(connector.probe(), PROBE_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - any failure is this connector's state
        return Problem.of(exc)
    return None


def _row(
    connector: Connector,
    standing: Standing,
    problem: Problem | None,
    typical_ms: float | None,
    context: WidgetContext,
) -> ConnectorState:
    config = connector.config
    return ConnectorState(
        name=backend_name(config, context.locale),
        kind=translate(context.locale, KIND_WORDS[config.kind]),
        ok=problem is None and standing.answering,
        status=health_status(standing, problem, typical_ms, context.locale, context.now),
        last_answer=standing.last_answer,
    )


async def load_connector_health(context: WidgetContext) -> WidgetView:
    seen = standings(context.backends)
    problems = await asyncio.gather(*(_probe(c) for c, _standing in seen))
    call = context.backends.call
    rows = [
        _row(
            connector,
            standing,
            problem,
            call.metrics_of(connector.config.name).p50_ms if isinstance(call, Resilience) else None,
            context,
        )
        for (connector, standing), problem in zip(seen, problems, strict=True)
    ]
    return WidgetView(
        figures={"connectors": rows, "failing": sum(1 for row in rows if not row.ok)},
        fetched_at=context.now,
        empty=not rows,
    )


WIDGETS = (
    Widget(
        name="connector_health",
        title=N_("Connector Health"),
        description=N_("Whether each backend connector answers right now."),
        audiences=VENDOR,
        loader=load_connector_health,
        empty_hint=N_("No connectors are configured. Add them to the connectors file."),
        size=Size.MEDIUM,
        refresh=60,
        # An administrator watching an outage wants it now, not a minute later.
        reuse=10,
    ),
)
