"""The portals registered with the hub's identity provider, from the connectors file."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from hub.connectors.backends import Backends
from hub.connectors.sign_on import PortalSignOn


@dataclass(frozen=True)
class RegisteredPortal:
    """One backend portal and how it signs people in through the hub."""

    connector: str
    product: str
    sign_on: PortalSignOn


class PortalClient:
    """A portal as Authlib's ``ClientMixin``: a confidential client using code + PKCE."""

    def __init__(self, portal: RegisteredPortal) -> None:
        self.portal = portal
        self.sign_on = portal.sign_on

    def get_client_id(self) -> str:
        return self.sign_on.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Only a client with one registered URI may leave it out of the request.
        uris = self.sign_on.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = {"openid", "email", "profile"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string comparison, as OpenID Connect Core 3.1.2.1 demands.
        return redirect_uri in self.sign_on.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode(), self.sign_on.client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class PortalRegistry:
    """Registered portals by OIDC client id and by SAML entity id."""

    def __init__(self, backends: Backends, base_url: str) -> None:
        self.portals: list[RegisteredPortal] = [
            RegisteredPortal(c.config.name, c.config.product, c.config.sign_on.resolved(base_url))
            for c in backends.all()
            if c.config.sign_on is not None
        ]
        self._clients = {
            p.sign_on.client_id: PortalClient(p)
            for p in self.portals
            if p.sign_on.protocol == "oidc"
        }
        self._providers = {
            p.sign_on.entity_id: p for p in self.portals if p.sign_on.protocol == "saml"
        }

    def client(self, client_id: str | None) -> PortalClient | None:
        return self._clients.get(client_id or "")

    def clients(self) -> list[PortalClient]:
        return list(self._clients.values())

    def service_provider(self, entity_id: str | None) -> RegisteredPortal | None:
        return self._providers.get(entity_id or "")

    def service_providers(self) -> list[RegisteredPortal]:
        return list(self._providers.values())
