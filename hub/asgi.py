"""Entry point for ASGI servers: ``uvicorn --factory hub.asgi:create``."""

from __future__ import annotations

from starlette.applications import Starlette

from hub import logs
from hub.app import create_app
from hub.connectors.config import ConnectorsError
from hub.settings import load_settings


def create() -> Starlette:
    settings = load_settings()
    logs.configure(settings.log_level)
    try:
        return create_app(settings)
    except ConnectorsError as exc:
        # One clear line instead of a traceback: the file, line, connector and key.
        raise SystemExit(f"hub: {exc}") from None
