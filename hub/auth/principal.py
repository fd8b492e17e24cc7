"""The signed-in user as the session remembers them, read without a database trip."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from hub.i18n import N_, choose_locale, translate
from hub.middleware.sessions import session_of
from hub.personas.catalogue import roles as catalogue_roles


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, their roles (primary first) and their partner org."""

    id: int
    email: str
    name: str
    roles: tuple[str, ...]
    partner_org: str | None
    partner_org_id: int | None
    partner_org_name: str | None
    locale: str | None
    persona: str

    def to_session(self) -> dict[str, Any]:
        data = asdict(self)
        data["roles"] = list(self.roles)
        return data

    @classmethod
    def from_session(cls, data: dict[str, Any]) -> Principal:
        return cls(**{**data, "roles": tuple(data["roles"])})


def known_roles(roles: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The roles the hub understands, in the order given, without repeats."""
    return tuple(dict.fromkeys(role for role in roles if role in catalogue_roles().known))


def principal_of(conn: HTTPConnection) -> Principal | None:
    data = session_of(conn).get("user")
    if not isinstance(data, dict):
        return None
    try:
        return Principal.from_session(data)
    except (KeyError, TypeError):
        return None


def require_principal(conn: HTTPConnection) -> Principal:
    """The caller, or 401 (the error page offers sign-in)."""
    principal = principal_of(conn)
    if principal is None:
        raise HTTPException(401)
    return principal


def require_admin(conn: HTTPConnection) -> Principal:
    """The caller if they are a program administrator; 401 signed out, else 403."""
    principal = require_principal(conn)
    if not catalogue_roles().admin.intersection(principal.roles):
        locale = choose_locale(principal.locale, conn.headers.get("accept-language"))
        raise HTTPException(403, translate(locale, N_("Only administrators may do this.")))
    return principal
