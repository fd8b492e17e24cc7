"""What every sign-in method does once it knows the user: one flow for demo, OIDC and SAML."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from starlette.requests import HTTPConnection

from hub.audit import AuditLog
from hub.auth.principal import Principal
from hub.db import Database, User
from hub.middleware.sessions import session_of
from hub.services import activity
from hub.services.users import principal_for


async def start_session(
    conn: HTTPConnection, db: Database, audit: AuditLog, user: User, *, method: str
) -> Principal:
    """Sign ``user`` in: a fresh session id (no fixation), the audit entry, the activity event."""
    principal = principal_for(user)
    session = session_of(conn)
    session.rotate()
    session.clear()  # the CSRF token too: one planted before sign-in is worthless after
    session["user"] = principal.to_session()
    session["method"] = method
    session["created"] = time.time()
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        stored = await tx.get(User, user.id)
        if stored is not None:
            stored.last_seen_at = now
        await activity.record(
            tx,
            activity.Activity(
                key=f"sign_in:{user.id}:{session['created']}",
                kind="sign_in",
                occurred_at=now,
                user_id=user.id,
                partner_org_id=principal.partner_org_id,
                source=method,
            ),
        )
    await audit.record(conn, actor=user.email, action="sign_in", target=method)
    return principal


async def end_session(conn: HTTPConnection, audit: AuditLog, *, reason: str = "") -> None:
    session = session_of(conn)
    user = session.get("user") or {}
    session.end()
    if user:
        await audit.record(conn, actor=str(user.get("email", "")), action="sign_out", reason=reason)
