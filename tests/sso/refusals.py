"""What every refused sign-in must look like: a clear page, no session, an audit entry."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from hub.db import AuditEntry
from hub.resources import Hub

SECRETS = ("op-client-secret", "acme-secret", "test-secret-key-that-is-long-enough")


async def assert_refused(
    client: httpx.AsyncClient,
    hub: Hub,
    response: httpx.Response,
    status: int,
    reason: str,
    *,
    earlier_sign_ins: int = 0,
) -> AuditEntry:
    """Check the refusal and return its audit entry; ``earlier_sign_ins`` the test made itself."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text
    for secret in SECRETS:
        assert secret not in response.text
    assert (await client.get("/api/me")).status_code == 401
    async with hub.db.session() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.outcome == "refused").order_by(AuditEntry.id)
            )
        ).all()
        sign_ins = (
            await session.scalars(select(AuditEntry).where(AuditEntry.outcome == "ok"))
        ).all()
    assert len([entry for entry in sign_ins if entry.action == "sign_in"]) == earlier_sign_ins
    assert entries, "no refusal was audited"
    assert reason in entries[-1].reason, entries[-1].reason
    assert entries[-1].action == "sign_in"
    return entries[-1]
