"""The connectors file: which backends the hub talks to, read once at start-up.

A TOML file (``HUB_CONNECTORS_FILE``) with one table per connector, keyed by
its name::

    [connectors.salesforce]
    kind = "prm"                      # prm | lms | incentives | tcma
    adapter = "salesforce"
    display_name = "Salesforce"       # optional: the name people know it by
    base_url = "https://example.my.salesforce.com"
    portal_url = "https://example.my.site.com/partners"   # optional, for deep links
    timeout = 5.0                     # seconds per backend call
    cache_ttl = 300                   # seconds a cached answer is fresh
    stale_ttl = 86400                 # seconds a last good value may stand in
    retries = 2                       # extra attempts for a failed read

    [connectors.salesforce.auth]
    method = "client_credentials"
    client_id_env = "SF_CLIENT_ID"          # keys ending in _env name environment
    client_secret_env = "SF_CLIENT_SECRET"  # variables; their values become secrets

    [connectors.salesforce.options]
    tier_field = "Partner_Tier__c"    # adapter-specific

    [connectors.salesforce.sso]       # optional: the portal signs people in through the hub
    protocol = "oidc"                 # see hub.connectors.sign_on for every key

Secrets never sit in the file: an ``auth`` key ending in ``_env`` names the
environment variable holding the secret, which is read at load time (a
missing variable is an error naming it); the secret is known to the adapter
by the key without ``_env``. Any error raises :class:`ConnectorsError` with
the file, the line where it can be placed, the connector and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hub.connectors.base import ConnectorConfig
from hub.connectors.records import Kind
from hub.connectors.sign_on import parse_sign_on

ENV_SUFFIX = "_env"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_KEYS = frozenset(
    {
        "kind",
        "adapter",
        "display_name",
        "base_url",
        "portal_url",
        "timeout",
        "cache_ttl",
        "stale_ttl",
        "retries",
        "auth",
        "options",
        "sso",
    }
)


class ConnectorsError(Exception):
    """The connectors file cannot be used; the message says where and what is wrong."""


def load_connectors(path: Path, environ: Mapping[str, str] | None = None) -> list[ConnectorConfig]:
    """Read and check ``path``; secrets come from ``environ`` (default ``os.environ``)."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConnectorsError(f"{path}: cannot read the connectors file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConnectorsError(f"{path}: not UTF-8 text") from None
    return parse_connectors(source, str(path), os.environ if environ is None else environ)


def parse_connectors(source: str, where: str, environ: Mapping[str, str]) -> list[ConnectorConfig]:
    """Parse connectors-file text; ``where`` names it in messages."""
    try:
        document = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line N, column M)".
        raise ConnectorsError(f"{where}: invalid TOML: {exc}") from None
    unknown = set(document) - {"connectors"}
    if unknown:
        raise ConnectorsError(
            f"{where}: unknown top-level key(s) {', '.join(sorted(unknown))};"
            " expected only [connectors.NAME] tables"
        )
    tables = document.get("connectors", {})
    if not isinstance(tables, dict):
        raise ConnectorsError(f"{where}: 'connectors' must be a table of [connectors.NAME]")
    lines = source.splitlines()
    return [
        _connector(name, table, _Place(where, lines, name), environ)
        for name, table in tables.items()
    ]


class _Place:
    """Builds messages that point at a connector's table in the file."""

    def __init__(self, where: str, lines: list[str], name: str) -> None:
        self.where = where
        self.name = name
        header = re.compile(rf"^\s*\[\s*connectors\s*\.\s*\"?{re.escape(name)}\"?\s*(\.|\])")
        self.line = next((n for n, line in enumerate(lines, 1) if header.match(line)), None)

    def error(self, key: str | None, problem: str) -> ConnectorsError:
        at = f"{self.where}:{self.line}" if self.line else self.where
        subject = f"connector {self.name!r}" + (f", key {key!r}" if key else "")
        return ConnectorsError(f"{at}: {subject}: {problem}")


def _connector(name: str, table: Any, place: _Place, environ: Mapping[str, str]) -> ConnectorConfig:
    if not _NAME.match(name):
        raise place.error(None, "names are lower-case letters, digits, '-' and '_', up to 40")
    if not isinstance(table, dict):
        raise place.error(None, "expected a table [connectors.NAME]")
    unknown = set(table) - _KEYS
    if unknown:
        raise place.error(sorted(unknown)[0], f"unknown key; expected one of {sorted(_KEYS)}")
    for key in ("kind", "adapter", "base_url"):
        if key not in table:
            raise place.error(key, "required")
    kind_value = table["kind"]
    try:
        kind = Kind(kind_value)
    except ValueError:
        choices = ", ".join(k.value for k in Kind)
        raise place.error("kind", f"expected one of {choices}, got {kind_value!r}") from None
    adapter = table["adapter"]
    if not isinstance(adapter, str) or not adapter:
        raise place.error("adapter", "expected the adapter's name as a string")
    display_name = table.get("display_name")
    if display_name is not None and (
        not isinstance(display_name, str) or not 0 < len(display_name.strip()) <= 60
    ):
        raise place.error("display_name", "expected a name of 1 to 60 characters")
    base_url = _url(table["base_url"], "base_url", place)
    portal_url = _url(table["portal_url"], "portal_url", place) if "portal_url" in table else None
    timeout = _number(table.get("timeout", 5.0), "timeout", place, minimum=0.001)
    cache_ttl = _number(table.get("cache_ttl", 300.0), "cache_ttl", place, minimum=0)
    stale_ttl = _number(table.get("stale_ttl", 86_400.0), "stale_ttl", place, minimum=0)
    if stale_ttl < cache_ttl:
        raise place.error("stale_ttl", "must be at least cache_ttl")
    retries = table.get("retries", 2)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
        raise place.error("retries", f"expected a whole number 0..10, got {retries!r}")
    auth, secrets = _auth(table.get("auth", {}), place, environ)
    options = table.get("options", {})
    if not isinstance(options, dict):
        raise place.error("options", "expected a table [connectors.NAME.options]")
    sign_on = parse_sign_on(table["sso"], environ, place.error) if "sso" in table else None
    return ConnectorConfig(
        name=name,
        kind=kind,
        adapter=adapter,
        base_url=base_url,
        portal_url=portal_url,
        auth=auth,
        secrets=secrets,
        options=options,
        timeout=timeout,
        cache_ttl=cache_ttl,
        stale_ttl=stale_ttl,
        retries=retries,
        display_name=display_name.strip() if display_name else None,
        sign_on=sign_on,
    )


def _url(value: Any, key: str, place: _Place) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise place.error(key, f"expected an absolute http(s) URL, got {value!r}")
    return str(value).rstrip("/")


def _number(value: Any, key: str, place: _Place, *, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise place.error(key, f"expected a number of seconds >= {minimum:g}, got {value!r}")
    return float(value)


def _auth(
    table: Any, place: _Place, environ: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    if not isinstance(table, dict):
        raise place.error("auth", "expected a table [connectors.NAME.auth]")
    auth: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str):
            raise place.error(f"auth.{key}", f"expected a string, got {type(value).__name__}")
        if key.endswith(ENV_SUFFIX):
            secret_name = key.removesuffix(ENV_SUFFIX)
            if value not in environ:
                raise place.error(
                    f"auth.{key}",
                    f"environment variable {value} is not set (it holds {secret_name})",
                )
            secrets[secret_name] = environ[value]
        else:
            auth[key] = value
    return auth, secrets
