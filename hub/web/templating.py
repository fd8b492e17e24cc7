"""Jinja2 with fragment rendering: an htmx request gets one named block of the same page."""

from __future__ import annotations

from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request

from hub.auth.principal import principal_of
from hub.middleware.csrf import csrf_token
from hub.paths import TEMPLATES
from hub.settings import Settings


def make_templates(settings: Settings) -> Jinja2Blocks:
    def hub_context(request: Request) -> dict[str, Any]:
        return {
            "csrf_token": lambda: csrf_token(request),
            "principal": principal_of(request),
            "demo": settings.demo,
        }

    templates = Jinja2Blocks(directory=str(TEMPLATES), context_processors=[hub_context])
    templates.env.globals["static_version"] = _static_version()
    return templates


def _static_version() -> str:
    from hub import __version__

    return __version__
