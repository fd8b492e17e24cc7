"""Inbound webhooks from backends, signed as the Standard Webhooks specification says.

``POST /webhooks/<connector>`` carries ``webhook-id``, ``webhook-timestamp``
and ``webhook-signature`` headers (HMAC-SHA256 over id, timestamp and body,
five-minute replay window). The body is ``{"type", "timestamp", "data"}``;
``data`` names the person by ``email`` and the ``object`` acted on. Each
delivery becomes one activity event keyed by the webhook id, so a retried
delivery records nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from hub.resources import Hub
from hub.services import activity
from hub.services.inbound import record_backend_event, record_registration_event

log = logging.getLogger("hub.webhooks")

# Event types a backend may send, and the activity kind each becomes. A
# connector's ``webhook_events`` option adds to or overrides these.
EVENT_KINDS = {
    "deal.registered": "deal_registered",
    "deal.won": "deal_won",
    "course.completed": "course_completed",
    "quiz.passed": "quiz_passed",
    "campaign.redistributed": "campaign_redistributed",
    "claim.submitted": "claim_submitted",
    "asset.viewed": "asset_viewed",
}
# The name under which a connector holds its webhook signing secret (not the secret).
SECRET_NAME = "webhook_secret"  # noqa: S105


class WebhookData(BaseModel):
    model_config = ConfigDict(extra="allow")

    email: str = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    object: str = Field(default="", max_length=500)
    occurred_at: datetime | None = None


class WebhookEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str = Field(max_length=100)
    timestamp: datetime
    data: WebhookData


def routes(hub: Hub) -> list[BaseRoute]:
    async def receive(request: Request) -> JSONResponse:
        name = request.path_params["connector"]
        connector = hub.backends.named(name)
        secret = connector.config.secrets.get(SECRET_NAME) if connector else None
        if connector is None or not secret:
            raise HTTPException(404, f"No connector named {name!r} takes webhooks.")
        body = await request.body()
        try:
            payload: Any = Webhook(secret).verify(body, dict(request.headers))
        except (WebhookVerificationError, ValueError) as exc:
            await hub.audit.record(
                request,
                actor=f"connector:{name}",
                action="webhook",
                outcome="refused",
                reason=f"signature: {exc}",
            )
            raise HTTPException(
                401, "The webhook signature is missing, wrong or too old."
            ) from None
        try:
            event = WebhookEvent.model_validate(payload)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]
            )
            raise HTTPException(422, f"The event is not valid: {problems}") from None
        kinds = {**EVENT_KINDS, **dict(connector.config.options.get("webhook_events", {}))}
        kind = kinds.get(event.type)
        if kind is None:
            # Acknowledge, so the backend does not retry an event we will never use.
            return JSONResponse({"recorded": False, "reason": f"{event.type} is not handled"}, 202)
        occurred_at = event.data.occurred_at or event.timestamp
        if occurred_at.tzinfo is None:
            raise HTTPException(422, "Times must carry a timezone offset.")
        recorded = await record_backend_event(
            hub.db,
            event.data.email,
            activity.Activity(
                key=f"webhook:{name}:{request.headers['webhook-id']}",
                kind=kind,
                occurred_at=occurred_at,
                object=event.data.object,
                source=name,
                payload=event.data.model_dump(mode="json", exclude={"email", "object"}),
            ),
        )
        if kind == "deal_registered":
            await record_registration_event(
                hub.db,
                name,
                event.data.email,
                event.data.object,
                event.data.model_dump(mode="json", exclude={"email", "object", "occurred_at"}),
                occurred_at,
            )
        log.info("webhook", extra={"connector": name, "kind": kind, "recorded": recorded})
        return JSONResponse({"recorded": recorded, "kind": kind})

    return [Route("/webhooks/{connector}", receive, methods=["POST"])]
