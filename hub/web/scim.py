"""``/scim/v2``: the SCIM 2.0 service provider (RFC 7644) an IdP's SCIM client talks to.

Every request carries ``Authorization: Bearer <token>``, a token issued to one
stored identity provider (admin page or ``hub idp scim-token``); the session
cookie is never read here, which is why ``/scim/v2/`` may skip the CSRF check.
Answers are ``application/scim+json``; every refusal is a SCIM Error message
with its ``scimType``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from scim2_models import (
    Context,
    EnterpriseUser,
    Error,
    Group,
    InvalidFilterException,
    InvalidSyntaxException,
    ListResponse,
    NotFoundException,
    PatchOp,
    ResourceType,
    Schema,
    SCIMException,
    ScimFilter,
    ServiceProviderConfig,
)
from scim2_models.path import CompareOperator, Comparison
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hub.db.models import IdentityProvider
from hub.middleware.sessions import end_all_sessions
from hub.resources import Hub
from hub.services.account_push import push_person
from hub.services.scim.groups import ScimGroups
from hub.services.scim.tokens import provider_for_token
from hub.services.scim.users import MAX_COUNT, PATCH_POLICY, Change, Resource, ScimUsers

PREFIX = "/scim/v2"
MEDIA_TYPE = "application/scim+json"
DEFAULT_COUNT = 100


def scim_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, default=str), status_code=status, media_type=MEDIA_TYPE, headers=headers
    )


def error_response(status: int, detail: str, scim_type: str | None = None) -> Response:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if status == 401 else None
    return scim_response(error.model_dump(), status, headers)


def _service_provider_config(base_url: str) -> dict[str, Any]:
    config = ServiceProviderConfig.model_validate(
        {
            "documentationUri": f"{base_url}/docs/scim",
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_COUNT},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": True},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "A token issued to one identity provider by the hub",
                    "primary": True,
                }
            ],
        }
    )
    dumped: dict[str, Any] = config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    return dumped


def _schemas() -> list[Schema]:
    return [Resource.to_schema(), EnterpriseUser.to_schema(), Group.to_schema()]


class BadPaging(ValueError):
    """``startIndex`` or ``count`` is not an integer."""


def routes(hub: Hub) -> list[BaseRoute]:
    base_url = hub.settings.base_url

    async def authenticated(request: Request) -> IdentityProvider | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return await provider_for_token(hub.db, token.strip())

    async def body_of(request: Request) -> Any:
        try:
            return json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise InvalidSyntaxException(detail="the body is not JSON") from None

    async def after(change: Change) -> None:
        if change.change == "deactivated":
            await end_all_sessions(hub.store, change.user_id)
        # Each backend's answer is recorded; what failed, the scheduler retries.
        await push_person(hub.db, hub.backends, change.user_id, change.change)

    def endpoint(handler: Any) -> Any:
        async def run(request: Request) -> Response:
            provider = await authenticated(request)
            if provider is None:
                return error_response(401, "a valid SCIM bearer token is required")
            try:
                response: Response = await handler(request, provider)
            except SCIMException as exc:
                error = exc.to_error()
                return scim_response(error.model_dump(), error.status or 400)
            except ValidationError as exc:
                errors = Error.from_validation_errors(exc)
                first = errors[0]
                return scim_response(first.model_dump(), first.status or 400)
            return response

        return run

    def resource_body(resource: Any, status: int = 200) -> Response:
        """A User or Group as SCIM answers with it, its version as the ETag."""
        body = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        return scim_response(body, status, {"ETag": resource.meta.version})

    def paging(request: Request) -> tuple[int, int]:
        """``startIndex`` and ``count`` of a list request (RFC 7644 3.4.2.4)."""
        params = request.query_params
        try:
            return int(params.get("startIndex", "1")), int(params.get("count", str(DEFAULT_COUNT)))
        except ValueError:
            raise BadPaging from None

    def listing(kind: Any, total: int, start: int, page: list[Any]) -> Response:
        found = ListResponse[kind](
            total_results=total,
            start_index=max(start, 1),
            items_per_page=len(page),
            resources=page or None,
        )
        return scim_response(found.model_dump(scim_ctx=Context.SEARCH_RESPONSE))

    async def list_users(request: Request, provider: IdentityProvider) -> Response:
        try:
            start, count = paging(request)
        except BadPaging:
            return error_response(400, "startIndex and count are integers", "invalidValue")
        users = ScimUsers(hub.db, provider, base_url)
        total, page = await users.search(request.query_params.get("filter"), start, count)
        return listing(Resource, total, start, page)

    async def create_user(request: Request, provider: IdentityProvider) -> Response:
        resource = Resource.model_validate(
            await body_of(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST
        )
        created, change = await ScimUsers(hub.db, provider, base_url).create(resource)
        await after(change)
        return resource_body(created, 201)

    async def get_user(request: Request, provider: IdentityProvider) -> Response:
        resource = await ScimUsers(hub.db, provider, base_url).get(request.path_params["id"])
        if request.headers.get("if-none-match") == resource.meta.version:
            return Response(status_code=304, headers={"ETag": resource.meta.version})
        return resource_body(resource)

    async def replace_user(request: Request, provider: IdentityProvider) -> Response:
        resource = Resource.model_validate(
            await body_of(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
        )
        stored, change = await ScimUsers(hub.db, provider, base_url).replace(
            request.path_params["id"], resource, request.headers.get("if-match")
        )
        await after(change)
        return resource_body(stored)

    async def patch_user(request: Request, provider: IdentityProvider) -> Response:
        operations = PatchOp[Resource].model_validate(
            await body_of(request),
            scim_ctx=Context.RESOURCE_PATCH_REQUEST,
            scim_policy=PATCH_POLICY,
        )
        stored, change = await ScimUsers(hub.db, provider, base_url).patch(
            request.path_params["id"], operations, request.headers.get("if-match")
        )
        await after(change)
        return resource_body(stored)

    async def delete_user(request: Request, provider: IdentityProvider) -> Response:
        change = await ScimUsers(hub.db, provider, base_url).delete(request.path_params["id"])
        await after(change)
        return Response(status_code=204)

    async def after_all(changes: list[Change]) -> None:
        for change in changes:
            await after(change)

    async def list_groups(request: Request, provider: IdentityProvider) -> Response:
        try:
            start, count = paging(request)
        except BadPaging:
            return error_response(400, "startIndex and count are integers", "invalidValue")
        display_name = None
        text = request.query_params.get("filter")
        if text:
            # Okta and Entra look groups up by name only; that is the filter served here.
            node = ScimFilter[Group](text).ast
            if not (
                isinstance(node, Comparison)
                and str(node.attr_path).lower() == "displayname"
                and node.op == CompareOperator.eq
                and isinstance(node.value, str)
            ):
                raise InvalidFilterException(detail='Groups take displayName eq "…" only')
            display_name = node.value
        total, page = await ScimGroups(hub.db, provider, base_url).search(
            display_name, start, count
        )
        return listing(Group, total, start, page)

    async def create_group(request: Request, provider: IdentityProvider) -> Response:
        resource = Group.model_validate(
            await body_of(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST
        )
        created, changes = await ScimGroups(hub.db, provider, base_url).create(resource)
        await after_all(changes)
        return resource_body(created, 201)

    async def get_group(request: Request, provider: IdentityProvider) -> Response:
        return resource_body(
            await ScimGroups(hub.db, provider, base_url).get(request.path_params["id"])
        )

    async def patch_group(request: Request, provider: IdentityProvider) -> Response:
        operations = PatchOp[Group].model_validate(
            await body_of(request),
            scim_ctx=Context.RESOURCE_PATCH_REQUEST,
            scim_policy=PATCH_POLICY,
        )
        stored, changes = await ScimGroups(hub.db, provider, base_url).patch(
            request.path_params["id"], operations, request.headers.get("if-match")
        )
        await after_all(changes)
        return resource_body(stored)

    async def delete_group(request: Request, provider: IdentityProvider) -> Response:
        changes = await ScimGroups(hub.db, provider, base_url).delete(request.path_params["id"])
        await after_all(changes)
        return Response(status_code=204)

    async def unknown(request: Request, provider: IdentityProvider) -> Response:
        raise NotFoundException(detail=f"no SCIM endpoint {request.url.path[:100]}")

    async def service_provider_config(request: Request, provider: IdentityProvider) -> Response:
        return scim_response(_service_provider_config(base_url))

    async def schemas(request: Request, provider: IdentityProvider) -> Response:
        found = [s.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE) for s in _schemas()]
        wanted = request.path_params.get("id")
        if wanted is None:
            return scim_response(_listing(found))
        match = next((s for s in found if s["id"] == wanted), None)
        if match is None:
            raise NotFoundException(detail=f"no schema {wanted[:100]}")
        return scim_response(match)

    async def resource_types(request: Request, provider: IdentityProvider) -> Response:
        found = [
            ResourceType.from_resource(model).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
            for model in (Resource, Group)
        ]
        wanted = request.path_params.get("id")
        if wanted is None:
            return scim_response(_listing(found))
        match = next((s for s in found if s["id"] == wanted), None)
        if match is None:
            raise NotFoundException(detail=f"no resource type {wanted[:100]}")
        return scim_response(match)

    return [
        Route(f"{PREFIX}/Users", endpoint(list_users), methods=["GET"]),
        Route(f"{PREFIX}/Users", endpoint(create_user), methods=["POST"]),
        Route(f"{PREFIX}/Users/{{id}}", endpoint(get_user), methods=["GET"]),
        Route(f"{PREFIX}/Users/{{id}}", endpoint(replace_user), methods=["PUT"]),
        Route(f"{PREFIX}/Users/{{id}}", endpoint(patch_user), methods=["PATCH"]),
        Route(f"{PREFIX}/Users/{{id}}", endpoint(delete_user), methods=["DELETE"]),
        Route(f"{PREFIX}/ServiceProviderConfig", endpoint(service_provider_config)),
        Route(f"{PREFIX}/Schemas", endpoint(schemas)),
        Route(f"{PREFIX}/Schemas/{{id:path}}", endpoint(schemas)),
        Route(f"{PREFIX}/ResourceTypes", endpoint(resource_types)),
        Route(f"{PREFIX}/ResourceTypes/{{id}}", endpoint(resource_types)),
        Route(f"{PREFIX}/Groups", endpoint(list_groups), methods=["GET"]),
        Route(f"{PREFIX}/Groups", endpoint(create_group), methods=["POST"]),
        Route(f"{PREFIX}/Groups/{{id}}", endpoint(get_group), methods=["GET"]),
        Route(f"{PREFIX}/Groups/{{id}}", endpoint(patch_group), methods=["PATCH"]),
        Route(f"{PREFIX}/Groups/{{id}}", endpoint(delete_group), methods=["DELETE"]),
        Route(
            f"{PREFIX}/{{rest:path}}",
            endpoint(unknown),
            methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        ),
    ]


def _listing(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
