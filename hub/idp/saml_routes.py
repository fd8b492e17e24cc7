"""The SAML IdP's routes: ``GET /idp/saml/metadata`` and ``GET /idp/saml/sso``."""

from __future__ import annotations

from urllib.parse import urlencode

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.principal import principal_of
from hub.i18n import N_, choose_locale, translate
from hub.idp.people import person_of
from hub.idp.saml_idp import SAMLIdentityProvider, SAMLRequestRefused
from hub.idp.sessions import remember_portal, session_sid
from hub.middleware.sessions import session_of
from hub.resources import Hub

SSO_PATH = "/idp/saml/sso"


def routes(hub: Hub, templates: Jinja2Blocks, idp: SAMLIdentityProvider) -> list[BaseRoute]:
    def refusal(request: Request, status: int, message: str) -> HTTPException:
        principal = principal_of(request)
        locale = choose_locale(
            principal.locale if principal else None, request.headers.get("accept-language")
        )
        return HTTPException(status, translate(locale, message))

    async def metadata(request: Request) -> Response:
        return Response(await idp.metadata(), media_type="application/samlmetadata+xml")

    async def sso(request: Request) -> Response:
        saml_request = request.query_params.get("SAMLRequest")
        relay_state = request.query_params.get("RelayState", "")
        if not saml_request or len(saml_request) > 20_000 or len(relay_state) > 2000:
            raise refusal(request, 400, N_("This sign-in request is missing or too long."))
        try:
            authn = await idp.parse(saml_request)
        except SAMLRequestRefused as refused:
            await hub.audit.record(
                request, actor="anonymous", action="portal_sign_in", outcome="refused",
                reason=refused.reason,
            )  # fmt: skip
            raise refusal(
                request,
                400,
                N_(
                    "This sign-in link is not valid: the portal that sent you here is not"
                    " registered with the hub, or asked to return to an address it did not"
                    " register."
                ),
            ) from None
        principal = principal_of(request)
        person = await person_of(hub.db, principal.id) if principal else None
        if principal is None or person is None:
            target = f"{SSO_PATH}?{request.url.query}"
            return RedirectResponse(f"/auth/login?{urlencode({'next': target})}", status_code=303)
        if not person.may_use(authn.portal.sign_on):
            await hub.audit.record(
                request, actor=person.email, action="portal_sign_in",
                target=authn.portal.connector, outcome="refused", reason="no role this portal serves",
            )  # fmt: skip
            raise refusal(request, 403, N_("Your role does not give you access to this portal."))
        if not await idp.claim(authn):
            await hub.audit.record(
                request, actor=person.email, action="portal_sign_in",
                target=authn.portal.connector, outcome="refused", reason="replayed AuthnRequest",
            )  # fmt: skip
            raise refusal(
                request,
                400,
                N_("This sign-in request was already answered. Open the portal link again."),
            )
        session = session_of(request)
        post = await idp.respond(authn, person, session_sid(session))
        remember_portal(session, "saml", authn.portal.connector)
        return templates.TemplateResponse(
            request,
            "saml_post.html",
            {"post": post, "relay_state": relay_state, "product": authn.portal.product},
        )

    return [
        Route("/idp/saml/metadata", metadata),
        Route(SSO_PATH, sso),
    ]
