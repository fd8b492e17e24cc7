"""SCIM bearer tokens: one or more per identity provider, shown once, kept as a SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from hub.db import Database
from hub.db.models import IdentityProvider
from hub.db.scim import ScimToken

PREFIX = "scim_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(db: Database, provider_name: str, issued_by: str) -> str | None:
    """A new token for ``provider_name`` (``None`` when no such stored provider).

    The token itself is returned once and never stored; a random 256-bit value
    needs no slow hash, so SHA-256 is what the database keeps."""
    token = PREFIX + secrets.token_urlsafe(32)
    async with db.transaction() as tx:
        provider = await tx.scalar(
            select(IdentityProvider).where(IdentityProvider.name == provider_name)
        )
        if provider is None:
            return None
        tx.add(ScimToken(provider_id=provider.id, token_hash=_digest(token), issued_by=issued_by))
    return token


async def revoke_tokens(db: Database, provider_name: str) -> int:
    """Revoke every SCIM token of ``provider_name``; how many there were."""
    async with db.transaction() as tx:
        provider = await tx.scalar(
            select(IdentityProvider).where(IdentityProvider.name == provider_name)
        )
        if provider is None:
            return 0
        result = await tx.execute(delete(ScimToken).where(ScimToken.provider_id == provider.id))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def provider_for_token(db: Database, token: str) -> IdentityProvider | None:
    """The provider whose SCIM client presents ``token``, or ``None``."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    async with db.transaction() as tx:
        row = await tx.scalar(select(ScimToken).where(ScimToken.token_hash == _digest(token)))
        if row is None:
            return None
        now = datetime.now(UTC)
        # Once a minute is precise enough, and spares a write on every request.
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            row.last_used_at = now
        return await tx.get(IdentityProvider, row.provider_id)


async def token_counts(db: Database) -> dict[int, int]:
    """How many SCIM tokens each provider id has (for the admin page)."""
    async with db.session() as session:
        rows = (await session.execute(select(ScimToken.provider_id))).scalars().all()
    counts: dict[int, int] = {}
    for provider_id in rows:
        counts[provider_id] = counts.get(provider_id, 0) + 1
    return counts
