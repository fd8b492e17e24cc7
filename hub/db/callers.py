"""Callers' access rows kept in process, for exactly as long as PostgreSQL vouches for them.

Every page and widget call checks its caller against the database (roles,
org). On PostgreSQL a trigger (migration ``0005_access_notify``) sends
``NOTIFY hub_access`` with the user's id when their roles, org or email
change, and ``*`` when any org changes. ``watch_callers`` keeps one
connection per process listening; while it listens, ``CallerMemo`` answers
the check from memory and drops a row the moment it is told. While it does
not listen (SQLite, a lost connection, before start-up), the memo holds
nothing and every check reads the database.

A read that started before a change and finishes after its notice must not
be kept: ``generation`` counts notices, and ``keep`` refuses a row read under
an older generation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from sqlalchemy import make_url

log = logging.getLogger("hub.db.callers")

CHANNEL = "hub_access"
LIMIT = 100_000
RETRY_SECONDS = (0.5, 1, 2, 5, 10, 30)


class CallerMemo:
    def __init__(self) -> None:
        self._rows: dict[int, Any] = {}
        self.generation = 0
        self.listening = False

    def get(self, user_id: int) -> Any | None:
        return self._rows.get(user_id) if self.listening else None

    def keep(self, user_id: int, row: Any, generation: int) -> None:
        if not self.listening or generation != self.generation:
            return
        if len(self._rows) >= LIMIT:
            self._rows.clear()
        self._rows[user_id] = row

    def told(self, payload: str) -> None:
        """A notice: one user's access changed, or (``*``) an org did."""
        self.generation += 1
        if payload.isdigit():
            self._rows.pop(int(payload), None)
        else:
            self._rows.clear()

    def listen(self, on: bool) -> None:
        """Start or stop trusting kept rows; either way, what was kept is dropped."""
        self.generation += 1
        self._rows.clear()
        self.listening = on


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def watch_callers(url: str, memo: CallerMemo) -> AsyncIterator[None]:
    """Listen for access changes while the app runs (PostgreSQL only)."""
    if not url.startswith("postgresql"):
        yield
        return
    task = asyncio.create_task(_listen(_dsn(url), memo), name="hub-caller-watch")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        memo.listen(False)


async def _listen(dsn: str, memo: CallerMemo) -> None:
    import asyncpg

    failures = 0
    while True:
        lost = asyncio.Event()
        try:
            conn = await asyncpg.connect(dsn, timeout=5)
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            wait = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
            failures += 1
            log.warning("cannot listen for access changes", extra={"error": str(exc)})
            await asyncio.sleep(wait)
            continue
        try:
            conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
            await conn.add_listener(CHANNEL, lambda _c, _pid, _ch, payload: memo.told(payload))
            memo.listen(True)  # only now: nothing changed unheard since the rows were dropped
            failures = 0
            await lost.wait()
            log.warning("lost the access-change listener; checking the database meanwhile")
        finally:
            memo.listen(False)
            with suppress(Exception):
                await conn.close(timeout=2)
