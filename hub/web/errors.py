"""Error responses: an HTML page for people, ``application/problem+json`` under ``/api/``."""

from __future__ import annotations

from http import HTTPStatus

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from hub.i18n import N_, translate
from hub.middleware.request_id import request_id_of
from hub.web.viewer import locale_of

# Machine callers (the JSON API, backends calling webhooks) get problem+json.
JSON_PREFIXES = ("/api/", "/webhooks/")

# Our own words for each status, translated for people; a caller's own detail
# (which may quote what was sent) is shown as given, escaped, never translated.
DEFAULT_DETAIL = {
    400: N_("The request could not be understood."),
    401: N_("Sign in to continue."),
    403: N_("You do not have access to this."),
    404: N_("There is nothing at this address."),
    405: N_("This address does not accept that method."),
    413: N_("The request is too large."),
    422: N_("Some of what was sent is not valid."),
    429: N_("Too many requests; wait a moment and try again."),
    500: N_("Something went wrong on our side. It has been logged."),
    502: N_("A backend did not answer properly. Try again shortly."),
    503: N_("The service is not ready. Try again shortly."),
}
TITLES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    409: N_("Conflict"),
    413: N_("Content Too Large"),
    422: N_("Unprocessable Content"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    502: N_("Bad Gateway"),
    503: N_("Service Unavailable"),
}


class ErrorPages:
    """Renders errors in the form the caller can read."""

    def __init__(self, templates: Jinja2Blocks) -> None:
        self.templates = templates

    def response(self, scope: Scope, status: int, detail: str | None = None) -> Response:
        title = HTTPStatus(status).phrase
        if not detail or detail == title:  # Starlette's own exceptions repeat the phrase
            detail = DEFAULT_DETAIL.get(status, title)
        request = Request(scope)
        request_id = request_id_of(scope)
        if scope["path"].startswith(JSON_PREFIXES) or _wants_json(request):
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": title,
                    "status": status,
                    "detail": detail,
                    "instance": scope["path"],
                    "request_id": request_id,
                },
                status_code=status,
                media_type="application/problem+json",
            )
        locale = locale_of(request)
        # A detail that is a catalogue message (the defaults, a refused sign-in's words)
        # reads in the caller's language; anything else shows as it came.
        detail = translate(locale, detail)
        return self.templates.TemplateResponse(
            request,
            "error.html",
            {
                "status": status,
                "title": translate(locale, TITLES.get(status, title)),
                "detail": detail,
                "request_id": request_id,
            },
            status_code=status,
        )

    async def http_exception(self, request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException):  # Starlette routes only these here
            raise exc
        response = self.response(request.scope, exc.status_code, exc.detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept
