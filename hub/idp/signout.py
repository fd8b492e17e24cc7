"""Signing out of the hub ends the portal sessions it started (OIDC Front-Channel Logout)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from hub.idp.portals import PortalRegistry
from hub.idp.sessions import SID_KEY, started_portals
from hub.middleware.security_headers import CSP
from hub.middleware.sessions import Session


@dataclass(frozen=True)
class PortalSignOut:
    """The front-channel logout URLs to load, and the page's CSP allowing them in frames."""

    urls: tuple[str, ...]
    csp: str


def portal_signout(session: Session, portals: PortalRegistry, base_url: str) -> PortalSignOut:
    """What the sign-out page loads for the portals ``session`` signed the person in to.

    Read before the session ends: it holds the ``sid`` the portals were told."""
    sid = session.get(SID_KEY)
    started = {connector for protocol, connector in started_portals(session) if protocol == "oidc"}
    urls = []
    for client in portals.clients():
        uri = client.sign_on.frontchannel_logout_uri
        if uri and client.portal.connector in started and isinstance(sid, str):
            joiner = "&" if "?" in uri else "?"
            urls.append(f"{uri}{joiner}{urlencode({'iss': base_url, 'sid': sid})}")
    origins = sorted({f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in urls})
    csp = f"{CSP}; frame-src 'self' {' '.join(origins)}".rstrip()
    return PortalSignOut(tuple(urls), csp)
