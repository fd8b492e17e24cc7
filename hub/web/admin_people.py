"""The people admin page: each backend's last answer about each person, failures first.

``GET /admin/people`` lists, per person, what every backend that keeps people's accounts
last took or refused (by its product name), with the error and the next retry;
``POST /admin/people/{user_id}/retry`` pushes that person's current state to every backend
now. Admin only; the CSRF middleware guards the POST like every other.
"""

from __future__ import annotations

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import require_admin
from hub.connectors.writes import PersonProvisioner
from hub.resources import Hub
from hub.services.account_push import people_pushes, retry_person

PATH = "/admin/people"


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    provisioners = [c for c in hub.backends.all() if isinstance(c, PersonProvisioner)]

    async def page(request: Request) -> Response:
        require_admin(request)
        people = await people_pushes(hub.db)
        names = [c.config.name for c in provisioners]
        for person in people:  # a backend since removed from the configuration still shows
            names += [p.connector for p in person.pushes if p.connector not in names]
        products = {c.config.name: c.config.product for c in hub.backends.all()}
        retried = request.query_params.get("retried", "")
        return templates.TemplateResponse(
            request,
            "admin_people.html",
            {
                "people": people,
                "connectors": [(name, products.get(name, name)) for name in names],
                "failing": sum(person.failing for person in people),
                "retried": retried if retried.isdigit() else "",
            },
            headers={"Cache-Control": "no-store"},
        )

    async def retry(request: Request) -> Response:
        admin = require_admin(request)
        user_id = int(request.path_params["user_id"])
        report = await retry_person(hub.db, hub.backends, user_id)
        if report is None:
            raise HTTPException(404, "Nothing was ever pushed for that person.")
        await hub.audit.record(
            request,
            actor=admin.email,
            action="account_push_retried",
            target=str(user_id),
            reason=f"{report.done} done, {report.failed} failed",
        )
        return RedirectResponse(f"{PATH}?retried={user_id}#person-{user_id}", status_code=303)

    return [
        Route(PATH, page, methods=["GET"]),
        Route(PATH + "/{user_id:int}/retry", retry, methods=["POST"]),
    ]
