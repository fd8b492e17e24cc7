"""The SAML 2.0 IdP toward the portals, on pysaml2: metadata, SP-initiated SSO.

An AuthnRequest comes in over HTTP-Redirect; a signed Response (signed assertion too)
goes out over HTTP-POST to the ACS URL the portal registered, and only there. Each
request ID is answered once: seen IDs are kept in the hub's store until they could no
longer be valid. pysaml2 signs through the ``xmlsec1`` binary, which reads the key from
a file: the current signing key is written to a private temporary folder (mode 0700)
for the life of the process.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from typing import Any

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_UNSPECIFIED, NameID
from saml2.server import Server
from starlette.concurrency import run_in_threadpool

from hub.idp.keys import SigningKey, SigningKeys
from hub.idp.people import Person
from hub.idp.portals import PortalRegistry, RegisteredPortal
from hub.store import KeyValueStore

XMLSEC = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"
REQUEST_SECONDS = 600
SEEN_PREFIX = "idp:saml-request:"
AUTHN_CONTEXT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


class SAMLRequestRefused(Exception):
    """The AuthnRequest cannot be answered; ``message`` is for the person."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class AuthnRequest:
    """A parsed AuthnRequest from a registered portal."""

    id: str
    portal: RegisteredPortal
    acs_url: str


@dataclass(frozen=True)
class PostResponse:
    """What the browser posts to the portal's ACS URL."""

    acs_url: str
    saml_response: str


def _sp_metadata(portal: RegisteredPortal) -> str:
    sign_on = portal.sign_on
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"'
        f' entityID="{_attr(sign_on.entity_id)}"><md:SPSSODescriptor'
        ' protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"'
        ' WantAssertionsSigned="true"><md:AssertionConsumerService'
        f' Binding="{BINDING_HTTP_POST}" Location="{_attr(sign_on.acs_url)}" index="0"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


class SAMLIdentityProvider:
    """pysaml2's ``Server`` for the current signing key, rebuilt when the key rotates."""

    def __init__(
        self, keys: SigningKeys, portals: PortalRegistry, store: KeyValueStore, base_url: str
    ) -> None:
        self.keys = keys
        self.portals = portals
        self.store = store
        self.base_url = base_url
        self.entity_id = f"{base_url}/idp/saml/metadata"
        self._folder = tempfile.mkdtemp(prefix="hub-idp-")  # mode 0700
        weakref.finalize(self, shutil.rmtree, self._folder, True)
        self._server: tuple[str, Server, IdPConfig] | None = None

    def _config(self, key: SigningKey) -> IdPConfig:
        key_file = os.path.join(self._folder, f"{key.kid}.key")
        cert_file = os.path.join(self._folder, f"{key.kid}.crt")
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key.private_pem)
        with open(cert_file, "w", encoding="ascii") as handle:
            handle.write(key.certificate_pem)
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [
                                (f"{self.base_url}/idp/saml/sso", BINDING_HTTP_REDIRECT)
                            ]
                        },
                        "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
                        "want_authn_requests_signed": False,
                        "sign_response": True,
                        "sign_assertion": True,
                        "policy": {
                            "default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_BASIC}
                        },
                    }
                },
                "key_file": key_file,
                "cert_file": cert_file,
                "xmlsec_binary": XMLSEC,
                "metadata": {"inline": [_sp_metadata(p) for p in self.portals.service_providers()]},
            }
        )
        return config

    async def server(self) -> tuple[Server, IdPConfig]:
        key = (await self.keys.ring()).current
        if self._server is None or self._server[0] != key.kid:
            config = await run_in_threadpool(self._config, key)
            self._server = (key.kid, Server(config=config), config)
        return self._server[1], self._server[2]

    async def metadata(self) -> str:
        """The IdP's metadata XML (entity ID, SSO endpoint, signing certificate)."""
        _, config = await self.server()
        xml = create_metadata_string(None, config=config, valid=None, sign=False)
        return xml.decode() if isinstance(xml, bytes) else str(xml)

    async def parse(self, saml_request: str) -> AuthnRequest:
        """The AuthnRequest, from a registered portal, asking for its registered ACS URL."""
        server, _ = await self.server()
        try:
            parsed = await run_in_threadpool(
                server.parse_authn_request, saml_request, BINDING_HTTP_REDIRECT
            )
            message = parsed.message
        except Exception as exc:  # noqa: BLE001 - pysaml2 raises many kinds for bad input
            raise SAMLRequestRefused(
                f"unreadable AuthnRequest ({type(exc).__name__})",
                "This sign-in request could not be read.",
            ) from None
        issuer = message.issuer.text if message.issuer is not None else None
        portal = self.portals.service_provider(issuer)
        if portal is None:
            raise SAMLRequestRefused(
                f"AuthnRequest from unregistered entity {str(issuer)[:200]!r}",
                "The portal that sent you here is not registered with the hub.",
            )
        asked = message.assertion_consumer_service_url
        if asked is not None and asked != portal.sign_on.acs_url:
            raise SAMLRequestRefused(
                f"AuthnRequest asks for unregistered ACS URL {str(asked)[:200]!r}",
                "The portal asked to return to an address it did not register.",
            )
        if not message.id or len(message.id) > 200:
            raise SAMLRequestRefused("AuthnRequest without a usable ID", "Bad sign-in request.")
        return AuthnRequest(id=message.id, portal=portal, acs_url=portal.sign_on.acs_url)

    async def claim(self, request: AuthnRequest) -> bool:
        """Mark the request ID answered; ``False`` if it was answered before (a replay)."""
        digest = hashlib.sha256(f"{request.portal.connector}:{request.id}".encode()).hexdigest()
        return await self.store.set_if_absent(SEEN_PREFIX + digest, "1", ttl=REQUEST_SECONDS)

    async def respond(self, request: AuthnRequest, person: Person, sid: str) -> PostResponse:
        """A signed Response with a signed assertion about ``person`` for the portal."""
        server, _ = await self.server()
        sign_on = request.portal.sign_on
        claims = person.claims(sign_on)
        identity: dict[str, Any] = {
            ("displayName" if name == "name" else name): value
            if isinstance(value, list)
            else [value]
            for name, value in claims.items()
        }
        name_id = NameID(
            format=NAMEID_FORMAT_UNSPECIFIED,
            text=sign_on.identifier_of(person.email, person.id),
        )

        def create() -> str:
            response = server.create_authn_response(
                identity,
                in_response_to=request.id,
                destination=request.acs_url,
                sp_entity_id=sign_on.entity_id,
                name_id=name_id,
                authn={"class_ref": AUTHN_CONTEXT, "authn_auth": self.entity_id},
                sign_response=True,
                sign_assertion=True,
                session_index=sid,
            )
            return str(response)

        xml = await run_in_threadpool(create)
        return PostResponse(request.acs_url, base64.b64encode(xml.encode()).decode())
