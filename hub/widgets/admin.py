"""The administrator's widget: is every connector answering?"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from hub.connectors.base import Connector
from hub.i18n import N_
from hub.widgets.base import VENDOR, Size, Widget, WidgetContext, WidgetView

PROBE_TIMEOUT = 3.0


@dataclass(frozen=True)
class ConnectorState:
    name: str
    kind: str
    ok: bool
    detail: str


async def _probe(connector: Connector) -> ConnectorState:
    config = connector.config
    try:
        detail = await asyncio.wait_for(connector.probe(), PROBE_TIMEOUT)
        return ConnectorState(config.name, config.kind.value, True, detail)
    except Exception as exc:  # noqa: BLE001 - any failure is this connector's state
        return ConnectorState(config.name, config.kind.value, False, type(exc).__name__)


async def load_connector_health(context: WidgetContext) -> WidgetView:
    states = list(await asyncio.gather(*(_probe(c) for c in context.backends.all())))
    return WidgetView(
        figures={"connectors": states, "failing": sum(1 for s in states if not s.ok)},
        fetched_at=context.now,
        empty=not states,
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
