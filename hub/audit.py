"""The audit log: every sign-in, sign-out, refusal and privileged change, with its reason."""

from __future__ import annotations

import logging

from starlette.requests import HTTPConnection

from hub.db import AuditEntry, Database
from hub.middleware.request_id import client_ip, request_id_of

log = logging.getLogger("hub.audit")


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        conn: HTTPConnection | None,
        *,
        actor: str,
        action: str,
        target: str = "",
        outcome: str = "ok",
        reason: str = "",
    ) -> None:
        entry = AuditEntry(
            actor=actor[:320],
            action=action,
            target=target[:500],
            outcome=outcome,
            reason=reason,
            ip=client_ip(conn.scope) if conn else "",
            request_id=request_id_of(conn.scope) if conn else "",
        )
        async with self.db.transaction() as session:
            session.add(entry)
        log.info(
            "audit",
            extra={"actor": entry.actor, "action": action, "outcome": outcome, "reason": reason},
        )
