"""Who is looking at a homepage or widget, re-checked against the database on every call.

The subject a widget reads about (partner org, person) is built here from the
session principal and the database, never from the URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from hub.auth.principal import Principal, principal_of
from hub.connectors.records import PartnerRef, PersonRef
from hub.db import Database
from hub.i18n import DEFAULT_LOCALE, N_, choose_locale, translate
from hub.personas.audience import OrgProfile, Requester, Segment
from hub.services.callers import read_caller

# Query parameters that would name an org or a person; any value but the caller's own is refused.
IDENTIFYING_PARAMS = frozenset(
    {"org", "org_id", "partner", "partner_org", "partner_org_id", "user", "user_id", "email"}
)


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    org: OrgProfile | None
    partner: PartnerRef | None
    person: PersonRef

    @property
    def segment(self) -> Segment:
        return self.org.segment if self.org else Segment()

    @property
    def requester(self) -> Requester:
        """Who is asking, as the services take it."""
        return Requester.of(self.principal.id, self.principal.persona, self.org)


def locale_of(conn: HTTPConnection) -> str:
    """The caller's locale: their IdP's claim, else the browser's Accept-Language."""
    principal = principal_of(conn) if "session" in conn.scope else None
    return choose_locale(
        principal.locale if principal else None, conn.headers.get("accept-language")
    )


def refuse_foreign_ids(conn: HTTPConnection, principal: Principal) -> None:
    """404 for any org or user named in the URL that is not the caller's own."""
    own = {
        value
        for value in (
            principal.partner_org,
            str(principal.partner_org_id) if principal.partner_org_id is not None else None,
            str(principal.id),
            principal.email,
        )
        if value
    }
    for key, value in conn.query_params.multi_items():
        if key.lower() in IDENTIFYING_PARAMS and value not in own:
            raise HTTPException(404)


async def load_viewer(db: Database, principal: Principal, locale: str = DEFAULT_LOCALE) -> Viewer:
    """The caller as the database has them now; 403 when their org or role changed."""
    caller = db.callers.get(principal.id)
    if caller is None:
        generation = db.callers.generation
        caller = await read_caller(db, principal.id)
        if caller is not None:
            db.callers.keep(principal.id, caller, generation)
    if (
        caller is None
        or caller.partner_org_id != principal.partner_org_id
        or principal.persona not in caller.roles
    ):
        changed = N_("Your access has changed. Sign out and sign in again.")
        raise HTTPException(403, translate(locale, changed))
    person = PersonRef(email=caller.email, partner=caller.partner)
    return Viewer(principal, caller.org, caller.partner, person)
