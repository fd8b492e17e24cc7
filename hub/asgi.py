"""Entry point for ASGI servers: ``uvicorn --factory hub.asgi:create``."""

from __future__ import annotations

from starlette.applications import Starlette

from hub import logs
from hub.app import create_app
from hub.settings import load_settings


def create() -> Starlette:
    settings = load_settings()
    logs.configure(settings.log_level)
    return create_app(settings)
