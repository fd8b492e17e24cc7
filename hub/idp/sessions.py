"""Which portal sessions a hub session started, so signing out of the hub can end them."""

from __future__ import annotations

import secrets

from hub.middleware.sessions import Session

SID_KEY = "idp_sid"
PORTALS_KEY = "idp_portals"


def session_sid(session: Session) -> str:
    """The session id the hub tells portals (OIDC ``sid``, SAML ``SessionIndex``)."""
    sid = session.get(SID_KEY)
    if not isinstance(sid, str):
        sid = session[SID_KEY] = secrets.token_urlsafe(16)
    return sid


def remember_portal(session: Session, protocol: str, connector: str) -> None:
    """Note that this hub session signed the person in to ``connector``."""
    started = [entry for entry in session.get(PORTALS_KEY) or [] if isinstance(entry, list)]
    if [protocol, connector] not in started:
        started.append([protocol, connector])
    session[PORTALS_KEY] = started


def started_portals(session: Session) -> list[tuple[str, str]]:
    """``(protocol, connector)`` of every portal this session signed the person in to."""
    return [
        (str(entry[0]), str(entry[1]))
        for entry in session.get(PORTALS_KEY) or []
        if isinstance(entry, list) and len(entry) == 2
    ]
