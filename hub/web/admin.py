"""The administration page: connector health and metrics, links to the other admin pages,
and in demo mode the sandboxes' fault controls (to watch the hub degrade and recover)."""

from __future__ import annotations

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_admin
from hub.connectors.health import connector_metrics
from hub.idp.portals import PortalRegistry
from hub.resources import Hub
from hub.services.engagement import recognition


def _number(value: object, name: str, upper: float) -> float:
    try:
        number = float(str(value))
    except ValueError:
        raise HTTPException(422, f"{name}: expected a number, got {value!r}.") from None
    if not 0 <= number <= upper:
        raise HTTPException(422, f"{name}: expected a number from 0 to {upper:g}.")
    return number


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    async def overview(request: Request) -> Response:
        require_admin(request)
        metrics = {m.connector: m for m in connector_metrics(hub.backends)}
        connectors = [
            {"config": c.config, "metrics": metrics.get(c.config.name)} for c in hub.backends.all()
        ]
        return templates.TemplateResponse(
            request,
            "admin.html",
            {
                "connectors": connectors,
                "knobs": hub.sandbox_knobs,
                "pending": await recognition.pending_kudos(hub.db),
                "sign_on": PortalRegistry(hub.backends, hub.settings.base_url).portals,
                "discovery_url": f"{hub.settings.base_url}/.well-known/openid-configuration",
                "saml_metadata_url": f"{hub.settings.base_url}/idp/saml/metadata",
            },
        )

    async def update_sandbox(request: Request) -> Response:
        principal = require_admin(request)
        name = request.path_params["name"]
        knobs = hub.sandbox_knobs.get(name)
        if knobs is None:
            raise HTTPException(404, f"There is no demo sandbox named {name!r}.")
        form = await request.form()
        changes = {
            "latency": _number(form.get("latency_ms", "0"), "latency_ms", 10_000) / 1000,
            "error_rate": _number(form.get("error_rate", "0"), "error_rate", 1),
            "down": form.get("down") == "on",
            "malformed": form.get("malformed") == "on",
        }
        try:
            knobs.update(changes)
        except ValueError as exc:  # KnobsError: a knob out of range; nothing was changed
            raise HTTPException(422, str(exc)) from None
        await hub.audit.record(
            request,
            actor=principal.email,
            action="sandbox_knobs",
            target=name,
            reason=", ".join(f"{key}={value}" for key, value in changes.items()),
        )
        return RedirectResponse("/admin#sandboxes", status_code=303)

    routes: list[BaseRoute] = [
        Route("/admin", overview, name="admin"),
    ]
    if hub.settings.demo:
        routes += [
            Route("/admin/sandboxes/{name}", update_sandbox, methods=["POST"]),
        ]
    return routes
