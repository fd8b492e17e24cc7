"""The Mautic sandbox's contact writes, in Mautic's shapes.

``POST /api/contacts/new`` (201, ``{"contact": …}``; an ``email`` is required here),
``PATCH /api/contacts/{id}/edit`` (only the fields given change; unknown field aliases are
Mautic's 400), ``POST /api/contacts/{id}/dnc/{channel}/add`` with ``reason`` (1
unsubscribed, 2 bounced, 3 manual) and ``comments``, and ``…/dnc/{channel}/remove``. Each
answers the contact with its ``doNotContact`` entries. An unknown contact is Mautic's 404.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CHANNELS = ("email", "sms")
REASONS = (1, 2, 3)
FIELDS = ("firstname", "lastname", "email", "company")

Fault = Callable[[int, str], Response]


def contact_routes(
    contacts: dict[int, dict[str, Any]], authorised: Callable[[Request], bool], fault: Fault
) -> list[Route]:
    """The routes, over the sandbox's ``contacts`` (changed in place)."""
    numbers = itertools.count(max(contacts, default=0) + 1)

    def guarded(
        handler: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            if not authorised(request):
                return fault(401, "API authorization denied.")
            try:
                body = await request.json() if await request.body() else {}
            except ValueError:
                return fault(400, "The request body is not JSON.")
            if not isinstance(body, dict):
                return fault(400, "Expected a JSON object.")
            request.state.body = body
            return await handler(request)

        return run

    def found(request: Request) -> dict[str, Any] | None:
        return contacts.get(int(request.path_params["contact_id"]))

    async def new(request: Request) -> Response:
        body: dict[str, Any] = request.state.body
        problem = _unknown(body)
        if problem:
            return fault(400, problem)
        if not body.get("email"):
            return fault(400, "email: A value is required.")
        contact_id = next(numbers)
        contacts[contact_id] = _contact(contact_id, body)
        return JSONResponse({"contact": contacts[contact_id]}, status_code=201)

    async def edit(request: Request) -> Response:
        contact = found(request)
        if contact is None:
            return fault(404, "Item was not found.")
        body: dict[str, Any] = request.state.body
        problem = _unknown(body)
        if problem:
            return fault(400, problem)
        for alias, value in body.items():
            contact["fields"]["all"][alias] = value
            contact["fields"]["core"].setdefault(alias, {"alias": alias, "group": "core"})
            contact["fields"]["core"][alias]["value"] = value
        contact["dateModified"] = _now()
        return JSONResponse({"contact": contact})

    async def dnc(request: Request) -> Response:
        contact = found(request)
        channel, action = request.path_params["channel"], request.path_params["action"]
        if contact is None:
            return fault(404, "Item was not found.")
        if channel not in CHANNELS or action not in ("add", "remove"):
            return fault(400, f"{channel}/{action} is not a do-not-contact action")
        body: dict[str, Any] = request.state.body
        marks: list[dict[str, Any]] = contact["doNotContact"]
        if action == "remove":
            contact["doNotContact"] = [m for m in marks if m["channel"] != channel]
            return JSONResponse({"contact": contact})
        try:
            reason = int(body.get("reason", 3))
        except (TypeError, ValueError):
            reason = 0
        if reason not in REASONS:
            return fault(400, "reason: expected 1 (unsubscribed), 2 (bounced) or 3 (manual)")
        if not any(m["channel"] == channel for m in marks):
            marks.append(
                {
                    "id": sum(len(c["doNotContact"]) for c in contacts.values()) + 1,
                    "reason": reason,
                    "comments": str(body.get("comments") or ""),
                    "channel": channel,
                    "channelId": body.get("channelId"),
                }
            )
        return JSONResponse({"contact": contact})

    return [
        Route("/api/contacts/new", guarded(new), methods=["POST"]),
        Route("/api/contacts/{contact_id:int}/edit", guarded(edit), methods=["PATCH"]),
        Route(
            "/api/contacts/{contact_id:int}/dnc/{channel}/{action}", guarded(dnc), methods=["POST"]
        ),
    ]


def _unknown(body: dict[str, Any]) -> str:
    unknown = sorted(set(body) - set(FIELDS))
    return f"{', '.join(unknown)}: This form should not contain extra fields." if unknown else ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _contact(contact_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    core = {alias: fields.get(alias) for alias in FIELDS}
    return {
        "id": contact_id,
        "dateAdded": _now(),
        "dateModified": _now(),
        "createdBy": 1,
        "createdByUser": "Partner Hub",
        "isPublished": True,
        "owner": None,
        "points": 0,
        "lastActive": None,
        "dateIdentified": _now(),
        "ipAddresses": {},
        "fields": {
            "core": {
                alias: {"alias": alias, "group": "core", "type": "text", "value": value}
                for alias, value in core.items()
            },
            "social": [],
            "personal": [],
            "professional": [],
            "all": {"id": contact_id, **core, "points": 0},
        },
        "tags": [],
        "utmtags": [],
        "stage": {"id": 1, "name": "Partner", "description": None, "isPublished": True},
        "doNotContact": [],
        "frequencyRules": [],
    }
