"""From connector configs to live adapters: adapter names, classes, and the :class:`Backends`."""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from hub.connectors.backends import Backends
from hub.connectors.base import PROTOCOL_OF_KIND, Connector, ConnectorConfig
from hub.connectors.config import ConnectorsError, load_connectors
from hub.connectors.resilience import Resilience
from hub.store import KeyValueStore

if TYPE_CHECKING:  # demo code, never imported by a production process
    from hub.connectors.sandboxes.knobs import Knobs

log = logging.getLogger("hub.connectors")


@dataclass
class ConnectorSetup:
    """Connectors to run, transports to mount on the shared client, and (demo) sandbox knobs."""

    configs: list[ConnectorConfig]
    mounts: dict[str, httpx.AsyncBaseTransport]
    knobs: dict[str, Knobs]


# Adapter name → module holding its class; the class is found by name (or as the
# one ``*Connector`` class the module defines), so adapters need no registration.
ADAPTER_MODULES: Mapping[str, tuple[str, str]] = {
    "salesforce": ("hub.connectors.salesforce", "SalesforceConnector"),
    "moodle": ("hub.connectors.moodle", "MoodleConnector"),
    "xapi": ("hub.connectors.xapi", "XAPIConnector"),
    "mautic": ("hub.connectors.mautic", "MauticConnector"),
    "rest": ("hub.connectors.rest", "RestConnector"),
}


def adapters() -> dict[str, type[Any]]:
    """Every adapter class this installation has, by adapter name.

    An adapter whose module is not there yet is left out (and logged), so a
    partial installation still starts with the adapters it has.
    """
    found: dict[str, type[Any]] = {}
    for name, (module_name, class_name) in ADAPTER_MODULES.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            log.debug("adapter %s is not installed", name)
            continue
        adapter = getattr(module, class_name, None) or _only_connector_class(module)
        if adapter is not None:
            found[name] = adapter
    return found


def _only_connector_class(module: Any) -> type[Any] | None:
    classes = [
        value
        for attribute, value in vars(module).items()
        if inspect.isclass(value)
        and value.__module__ == module.__name__
        and attribute.endswith("Connector")
        and hasattr(value, "probe")
    ]
    return classes[0] if len(classes) == 1 else None


def build_connectors(
    configs: Sequence[ConnectorConfig],
    http: httpx.AsyncClient,
    available: Mapping[str, type[Any]] | None = None,
) -> list[Connector]:
    """One adapter per config; :class:`ConnectorsError` for an unknown adapter or wrong kind."""
    available = adapters() if available is None else available
    connectors: list[Connector] = []
    for config in configs:
        adapter = available.get(config.adapter)
        if adapter is None:
            known = ", ".join(sorted(available)) or "none"
            raise ConnectorsError(
                f"connector {config.name!r}, key 'adapter': unknown adapter {config.adapter!r}"
                f" (installed: {known})"
            )
        try:
            connector = adapter(config, http)
        except (KeyError, ValueError, TypeError) as exc:
            raise ConnectorsError(f"connector {config.name!r}: {exc}") from None
        if not isinstance(connector, PROTOCOL_OF_KIND[config.kind]):
            raise ConnectorsError(
                f"connector {config.name!r}, key 'kind': adapter {config.adapter!r}"
                f" is not a {config.kind.value} connector"
            )
        connectors.append(connector)
    return connectors


def build_backends(
    configs: Sequence[ConnectorConfig],
    http: httpx.AsyncClient,
    store: KeyValueStore,
    available: Mapping[str, type[Any]] | None = None,
) -> Backends:
    """The hub's :class:`Backends`: every configured adapter behind one :class:`Resilience`."""
    return Backends(build_connectors(configs, http, available), call=Resilience(store))


def configured_connectors(connectors_file: Path | None, demo: bool) -> ConnectorSetup:
    """The connectors to run, transports to mount on the shared client, sandbox knobs.

    A connectors file wins; without one, demo mode runs every installed
    sandbox in-process (mounted by host), and production runs none.
    """
    if connectors_file is not None:
        return ConnectorSetup(load_connectors(connectors_file), {}, {})
    if demo:
        from hub.connectors.demo import demo_setup

        return demo_setup(adapters())
    return ConnectorSetup([], {}, {})
