"""Error responses: an HTML page for people, ``application/problem+json`` under ``/api/``."""

from __future__ import annotations

from http import HTTPStatus

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from hub.middleware.request_id import request_id_of

# Machine callers (the JSON API, backends calling webhooks) get problem+json.
JSON_PREFIXES = ("/api/", "/webhooks/")

DEFAULT_DETAIL = {
    400: "The request could not be understood.",
    401: "Sign in to continue.",
    403: "You do not have access to this.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request is too large.",
    422: "Some of what was sent is not valid.",
    429: "Too many requests; wait a moment and try again.",
    500: "Something went wrong on our side. It has been logged.",
    502: "A backend did not answer properly. Try again shortly.",
    503: "The service is not ready. Try again shortly.",
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
        return self.templates.TemplateResponse(
            request,
            "error.html",
            {"status": status, "title": title, "detail": detail, "request_id": request_id},
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
