"""Who is looking at a homepage or widget, re-checked against the database on every call.

The subject a widget reads about (partner org, person) is built here from the
session principal and the database, never from the URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from hub.auth.principal import Principal, known_roles, principal_of
from hub.connectors.records import PartnerRef, PersonRef
from hub.db import Database, PartnerOrg, User
from hub.i18n import DEFAULT_LOCALE, N_, choose_locale, translate
from hub.personas.layouts import Segment
from hub.services.partner_activity import partner_ref
from hub.widgets.base import OrgProfile

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
        if self.org is None:
            return Segment()
        return Segment(self.org.partner_type, self.org.tier, self.org.region)


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


# The caller and their org in one row: this read runs on every page and widget call, so
# it is one statement object, bound per call (no new expression and cache key each time).
_CALLER = (
    select(
        User.email,
        User.roles,
        User.partner_org_id,
        PartnerOrg.slug,
        PartnerOrg.name,
        PartnerOrg.tier,
        PartnerOrg.region,
        PartnerOrg.partner_type,
        PartnerOrg.domain,
        PartnerOrg.external_ids,
    )
    .outerjoin(PartnerOrg, User.partner_org_id == PartnerOrg.id)
    .where(User.id == bindparam("user_id"))
)


async def load_viewer(db: Database, principal: Principal, locale: str = DEFAULT_LOCALE) -> Viewer:
    """The caller as the database has them now; 403 when their org or role changed."""
    changed = translate(locale, N_("Your access has changed. Sign out and sign in again."))
    row = db.callers.get(principal.id)
    if row is None:
        generation = db.callers.generation
        async with db.reading() as conn:
            row = (await conn.execute(_CALLER, {"user_id": principal.id})).first()
        if row is not None:
            db.callers.keep(principal.id, row, generation)
    if row is None or row.partner_org_id != principal.partner_org_id:
        raise HTTPException(403, changed)
    if principal.persona not in known_roles(row.roles):
        raise HTTPException(403, changed)
    profile = partner = None
    if row.partner_org_id is not None:
        org = PartnerOrg(
            id=row.partner_org_id,
            slug=row.slug,
            name=row.name,
            tier=row.tier,
            region=row.region,
            partner_type=row.partner_type,
            domain=row.domain,
            external_ids=row.external_ids,
        )
        profile = OrgProfile(org.id, org.slug, org.name, org.tier, org.region, org.partner_type)
        partner = partner_ref(org)
    return Viewer(principal, profile, partner, PersonRef(email=row.email, partner=partner))
