"""The identity providers admin page: list, add and remove stored providers (admin role only)."""

from __future__ import annotations

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.idp_records import (
    ProviderSpec,
    ProviderSpecError,
    add_provider,
    list_providers,
    parse_list,
    parse_mapping,
    remove_provider,
)
from hub.auth.principal import require_admin
from hub.auth.providers import env_providers
from hub.resources import Hub
from hub.services.account_push import out_of_step
from hub.services.scim.tokens import issue_token, token_counts

PATH = "/admin/identity-providers"


def spec_from_form(form: FormData) -> ProviderSpec:
    """A :class:`ProviderSpec` from the add form's fields."""

    def text(key: str) -> str:
        value = form.get(key)
        return value.strip() if isinstance(value, str) else ""

    return ProviderSpec(
        name=text("name").lower(),
        kind=text("kind"),
        title=text("title"),
        issuer=text("issuer"),
        metadata_url=text("metadata_url"),
        metadata_xml=text("metadata_xml"),
        client_id=text("client_id"),
        client_secret_env=text("client_secret_env"),
        claim_mapping=parse_mapping(text("claim_mapping"), "claim mapping"),
        group_roles=parse_mapping(text("group_roles"), "group roles"),
        allowed_orgs=parse_list(text("allowed_orgs")),
        email_domains=parse_list(text("email_domains")),
        allow_idp_initiated=text("allow_idp_initiated") == "on",
        trusted_for_all_orgs=text("trusted_for_all_orgs") == "on",
    )


def routes(hub: Hub, templates: Jinja2Blocks) -> list[BaseRoute]:
    async def render(
        request: Request,
        error: str = "",
        status: int = 200,
        scim_token: dict[str, str] | None = None,
    ) -> Response:
        return templates.TemplateResponse(
            request,
            "admin_idps.html",
            {
                "environment": env_providers(hub.settings),
                "stored": await list_providers(hub.db),
                "error": error,
                "acs_url": f"{hub.settings.base_url}/auth/saml/acs",
                "metadata_url": f"{hub.settings.base_url}/auth/saml/metadata",
                "callback_url": f"{hub.settings.base_url}/auth/oidc/callback",
                "scim_url": f"{hub.settings.base_url}/scim/v2",
                "scim_tokens": await token_counts(hub.db),
                "scim_token": scim_token,
                "out_of_step": await out_of_step(hub.db),
                "products": {c.config.name: c.config.product for c in hub.backends.all()},
            },
            status_code=status,
        )

    async def page(request: Request) -> Response:
        require_admin(request)
        return await render(request)

    async def add(request: Request) -> Response:
        admin = require_admin(request)
        try:
            spec = spec_from_form(await request.form())
            await add_provider(hub.db, spec)
        except ProviderSpecError as exc:
            return await render(request, str(exc), status=422)
        await hub.audit.record(
            request,
            actor=admin.email,
            action="idp_added",
            target=spec.name,
            reason=f"{spec.kind}; orgs {spec.allowed_orgs or 'all'}",
        )
        return RedirectResponse(PATH, status_code=303)

    async def remove(request: Request) -> Response:
        admin = require_admin(request)
        name = request.path_params["name"]
        if not await remove_provider(hub.db, name):
            raise HTTPException(404, "There is no stored identity provider of that name.")
        await hub.audit.record(request, actor=admin.email, action="idp_removed", target=name)
        return RedirectResponse(PATH, status_code=303)

    async def scim_token(request: Request) -> Response:
        admin = require_admin(request)
        name = request.path_params["name"]
        token = await issue_token(hub.db, name, admin.email)
        if token is None:
            raise HTTPException(404, "There is no stored identity provider of that name.")
        await hub.audit.record(request, actor=admin.email, action="scim_token_issued", target=name)
        # Shown in this answer only; never stored, so never cached either.
        response = await render(request, scim_token={"name": name, "value": token})
        response.headers["Cache-Control"] = "no-store"
        return response

    return [
        Route(PATH, page, name="admin_idps"),
        Route(PATH + "/{name}/scim-token", scim_token, methods=["POST"]),
        Route(PATH, add, methods=["POST"]),
        Route(PATH + "/{name}/remove", remove, methods=["POST"]),
    ]
