"""The Moodle stand-in as a SAML service provider of the hub, on python3-saml (strict).

It reads the hub's IdP metadata (entity ID, SSO URL, signing certificate) over the
loopback client, sends an AuthnRequest over HTTP-Redirect, and accepts at its ACS only a
signed Response to the request it sent (``InResponseTo``), for its audience, in time.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.redirects import safe_next
from hub.connectors.base import ConnectorConfig
from hub.demo.portal_sessions import PortalSessions, refusal
from hub.i18n import N_
from hub.resources import Hub

if TYPE_CHECKING:
    from hub.demo.portals import Loopback

POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
# pysaml2 names well-known attributes in the basic name form.
MACE = "urn:mace:dir:attribute-def:"


async def _settings(config: ConnectorConfig, loopback: Loopback) -> dict[str, Any]:
    sign_on = config.sign_on.resolved(loopback.base_url)  # type: ignore[union-attr]
    async with loopback.client() as http:
        xml = (await http.get("/idp/saml/metadata")).text
    idp = OneLogin_Saml2_IdPMetadataParser.parse(xml)
    return {
        "strict": True,
        "sp": {
            "entityId": sign_on.entity_id,
            "assertionConsumerService": {"url": sign_on.acs_url, "binding": POST},
        },
        "idp": idp["idp"],
        "security": {"wantAssertionsSigned": True, "wantMessagesSigned": True},
    }


def _request_data(base_url: str, path: str, post: dict[str, str] | None = None) -> dict[str, Any]:
    base = urlsplit(base_url)
    return {
        "https": "on" if base.scheme == "https" else "off",
        "http_host": base.netloc,
        "script_name": path,
        "get_data": {},
        "post_data": post or {},
    }


async def login_url(
    config: ConnectorConfig, loopback: Loopback, sessions: PortalSessions, target: str
) -> str:
    """Where to send the browser to sign in at the hub; remembers the request's ID."""
    settings = await _settings(config, loopback)
    auth = OneLogin_Saml2_Auth(_request_data(loopback.base_url, sessions.path), settings)
    url: str = auth.login(return_to=target)
    await sessions.remember(f"saml:{auth.get_last_request_id()}", {"target": target})
    return url


def routes(hub: Hub, loopback: Loopback, sessions: dict[str, PortalSessions]) -> list[BaseRoute]:
    async def acs(request: Request) -> Response:
        connector = hub.backends.named(request.path_params["name"])
        if connector is None or connector.config.sign_on is None:
            raise refusal(request, 404, N_("There is no such demo portal."))
        if connector.config.sign_on.protocol != "saml":
            raise refusal(request, 404, N_("This portal does not sign in with SAML."))
        name = connector.config.name
        form = await request.form()
        post = {k: v for k, v in form.items() if isinstance(v, str)}
        settings = await _settings(connector.config, loopback)
        auth = OneLogin_Saml2_Auth(
            _request_data(loopback.base_url, request.url.path, post), settings
        )
        request_id = _in_response_to(post.get("SAMLResponse", ""))
        pending = await sessions[name].recall(f"saml:{request_id}") if request_id else None
        if pending is None:
            raise refusal(request, 400, N_("This sign-in answers no request this portal sent."))
        await run_in_threadpool(auth.process_response, request_id)
        if auth.get_errors() or not auth.is_authenticated():
            raise refusal(
                request,
                400,
                N_("The sign-in was refused: %(reason)s"),
                reason=str(auth.get_last_error_reason()),
            )
        attributes = {
            key.removeprefix(MACE): values for key, values in auth.get_attributes().items()
        }
        sign_on = connector.config.sign_on
        person = {
            "email": (attributes.get("email") or [""])[0],
            "name": (attributes.get("displayName") or [""])[0],
            "identifier_name": sign_on.identifier,
            "identifier": auth.get_nameid() or "",
            "protocol": "SAML 2.0",
        }
        response = RedirectResponse(safe_next(pending["target"]), status_code=303)
        await sessions[name].start(response, person, auth.get_session_index() or "")
        return response

    return [Route("/demo/saml-acs/{name}", acs, methods=["POST"])]


def _in_response_to(raw: str) -> str | None:
    """The request the posted response claims to answer (checked again by process_response)."""
    try:
        root = OneLogin_Saml2_XML.to_etree(base64.b64decode(raw))
    except Exception:  # noqa: BLE001 - an unreadable response answers nothing
        return None
    value = root.get("InResponseTo")
    return str(value)[:200] if value else None
