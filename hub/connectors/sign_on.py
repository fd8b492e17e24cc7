"""How a backend portal trusts the hub to sign people in: its ``[connectors.NAME.sso]`` table.

::

    [connectors.salesforce.sso]
    protocol = "oidc"                          # oidc | saml
    client_id = "salesforce-portal"
    client_secret_env = "SF_PORTAL_SECRET"     # environment variable with the secret
    redirect_uris = ["https://example.my.site.com/services/authcallback/hub"]
    frontchannel_logout_uri = "https://example.my.site.com/secur/logout.jsp"  # optional
    entity_id = "https://moodle.example/auth/saml2/sp/metadata.php"   # saml
    acs_url = "https://moodle.example/auth/saml2/sp/saml2-acs.php"    # saml: HTTP-POST
    claims = ["email", "name", "roles", "partner_org"]   # what the portal is told
    identifier = "federation_id"               # the per-portal id's claim / attribute name
    identifier_from = "email"                  # email | email_local_part | user_id
    roles = ["partner_owner", "sales_rep"]     # who may sign in to this portal
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# What the hub can tell a portal about a person, by claim name.
CLAIMS = frozenset({"email", "name", "roles", "partner_org", "locale"})
IDENTIFIER_SOURCES = frozenset({"email", "email_local_part", "user_id"})
_KEYS = frozenset(
    {
        "protocol",
        "client_id",
        "client_secret_env",
        "redirect_uris",
        "frontchannel_logout_uri",
        "entity_id",
        "acs_url",
        "claims",
        "identifier",
        "identifier_from",
        "roles",
    }
)


@dataclass(frozen=True)
class PortalSignOn:
    """A portal registered as OIDC client or SAML service provider of the hub."""

    protocol: str
    roles: tuple[str, ...]
    claims: tuple[str, ...] = ("email", "name", "roles", "partner_org")
    identifier: str = ""
    identifier_from: str = "email"
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    redirect_uris: tuple[str, ...] = ()
    frontchannel_logout_uri: str = ""
    entity_id: str = ""
    acs_url: str = ""

    def identifier_of(self, email: str, user_id: int) -> str:
        """The person's id at the portal, taken from their hub record."""
        if self.identifier_from == "user_id":
            return str(user_id)
        if self.identifier_from == "email_local_part":
            return email.partition("@")[0]
        return email

    def resolved(self, base_url: str) -> PortalSignOn:
        """The same registration with hub-relative URLs (``/demo/…``) made absolute."""

        def absolute(url: str) -> str:
            return base_url.rstrip("/") + url if url.startswith("/") else url

        return PortalSignOn(
            **{
                **self.__dict__,
                "redirect_uris": tuple(absolute(uri) for uri in self.redirect_uris),
                "frontchannel_logout_uri": absolute(self.frontchannel_logout_uri),
                "entity_id": absolute(self.entity_id),
                "acs_url": absolute(self.acs_url),
            }
        )


Problem = Callable[[str, str], Exception]


def parse_sign_on(table: Any, environ: Mapping[str, str], problem: Problem) -> PortalSignOn:
    """Check one ``sso`` table; ``problem(key, message)`` builds the error to raise."""
    if not isinstance(table, dict):
        raise problem("sso", "expected a table [connectors.NAME.sso]")
    unknown = set(table) - _KEYS
    if unknown:
        raise problem(f"sso.{sorted(unknown)[0]}", f"unknown key; expected one of {sorted(_KEYS)}")
    protocol = table.get("protocol")
    if protocol not in ("oidc", "saml"):
        raise problem("sso.protocol", f"expected 'oidc' or 'saml', got {protocol!r}")
    roles = _strings(table.get("roles"), "sso.roles", problem)
    if not roles:
        raise problem("sso.roles", "name at least one role the portal serves")
    claims = _strings(
        table.get("claims", ["email", "name", "roles", "partner_org"]), "sso.claims", problem
    )
    if set(claims) - CLAIMS:
        raise problem("sso.claims", f"expected some of {sorted(CLAIMS)}")
    source = table.get("identifier_from", "email")
    if source not in IDENTIFIER_SOURCES:
        raise problem("sso.identifier_from", f"expected one of {sorted(IDENTIFIER_SOURCES)}")
    identifier = table.get("identifier", "")
    if not isinstance(identifier, str) or len(identifier) > 100:
        raise problem("sso.identifier", "expected a claim or attribute name")
    values: dict[str, Any] = {
        "protocol": protocol,
        "roles": roles,
        "claims": claims,
        "identifier": identifier,
        "identifier_from": source,
    }
    if protocol == "saml":
        for key in ("entity_id", "acs_url"):
            if not isinstance(table.get(key), str) or not table[key]:
                raise problem(f"sso.{key}", "required for protocol 'saml'")
        _url(table["acs_url"], "sso.acs_url", problem)
        return PortalSignOn(**values, entity_id=table["entity_id"], acs_url=table["acs_url"])
    client_id = table.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise problem("sso.client_id", "required for protocol 'oidc'")
    variable = table.get("client_secret_env")
    if not isinstance(variable, str) or variable not in environ:
        raise problem(
            "sso.client_secret_env",
            f"name an environment variable that is set (got {variable!r})",
        )
    uris = _strings(table.get("redirect_uris"), "sso.redirect_uris", problem)
    if not uris:
        raise problem("sso.redirect_uris", "register at least one redirect URI")
    for uri in uris:
        _url(uri, "sso.redirect_uris", problem)
    logout = table.get("frontchannel_logout_uri", "")
    if logout:
        _url(logout, "sso.frontchannel_logout_uri", problem)
    values.update(
        client_id=client_id,
        client_secret=environ[variable],
        redirect_uris=uris,
        frontchannel_logout_uri=logout,
    )
    return PortalSignOn(**values)


def _strings(value: Any, key: str, problem: Problem) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise problem(key, "expected a list of strings")
    return tuple(value)


def _url(value: Any, key: str, problem: Problem) -> None:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise problem(key, f"expected an absolute http(s) URL, got {value!r}")
    if parts.fragment:
        raise problem(key, "a URL without a #fragment")
