"""Jinja2 with fragment rendering: an htmx request gets one named block of the same page."""

from __future__ import annotations

from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request

from hub import i18n
from hub.auth.principal import principal_of
from hub.middleware.csrf import csrf_token
from hub.paths import TEMPLATES
from hub.settings import Settings
from hub.web.viewer import locale_of
from hub.widgets.connector_words import KIND_WORDS


def make_templates(settings: Settings) -> Jinja2Blocks:
    def hub_context(request: Request) -> dict[str, Any]:
        # Error pages rendered by middleware outside the session layer have no session.
        has_session = "session" in request.scope
        return {
            "csrf_token": (lambda: csrf_token(request)) if has_session else (lambda: ""),
            "principal": principal_of(request) if has_session else None,
            "demo": settings.demo,
            "locale": locale_of(request),
        }

    templates = Jinja2Blocks(directory=str(TEMPLATES), context_processors=[hub_context])
    # Checking each template file's age costs a stat call per template, per render.
    templates.env.auto_reload = settings.template_reload
    templates.env.globals["static_version"] = _static_version()
    templates.env.globals["language_names"] = i18n.LANGUAGE_NAMES
    templates.env.globals["kind_words"] = KIND_WORDS
    i18n.install(templates.env)
    return templates


def _static_version() -> str:
    from hub import __version__

    return __version__
