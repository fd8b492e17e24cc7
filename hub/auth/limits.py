"""Sign-in rate limits per client IP and per account, counted in the key-value store."""

from __future__ import annotations

import hashlib

from starlette.requests import HTTPConnection

from hub.auth.failures import TooManyAttempts
from hub.middleware.request_id import client_ip
from hub.store import KeyValueStore

WINDOW_SECONDS = 600


class SignInLimiter:
    """Fixed-window counters: the first attempt starts a window of ``window`` seconds."""

    def __init__(
        self, store: KeyValueStore, *, per_ip: int, per_account: int, window: int = WINDOW_SECONDS
    ) -> None:
        self.store = store
        self.per_ip = per_ip
        self.per_account = per_account
        self.window = window

    async def check_ip(self, conn: HTTPConnection) -> None:
        """Count one attempt from the caller's IP; raise once over the limit."""
        ip = client_ip(conn.scope) or "unknown"
        count = await self.store.incr(f"signin-ip:{ip}", ttl=self.window)
        if count > self.per_ip:
            raise TooManyAttempts(f"more than {self.per_ip} sign-in attempts from {ip}")

    async def check_account(self, email: str) -> None:
        """Count one sign-in for the account; raise once over the limit."""
        # Hashed so the store holds no email addresses.
        digest = hashlib.sha256(email.lower().encode()).hexdigest()
        count = await self.store.incr(f"signin-account:{digest}", ttl=self.window)
        if count > self.per_account:
            raise TooManyAttempts(f"more than {self.per_account} sign-ins for {email}")
