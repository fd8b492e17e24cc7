"""How each connector is doing as this process last saw it: answering, or since when not.

The resilience layer records every backend call's outcome here. The homepage's
notice and the Connector Health widget both read it, so they tell one story:
which backend stopped answering, since when, why (as a :class:`Problem`, never
an exception's name), and how old the last good figures standing in for it are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from hub.connectors.base import (
    BackendAuthError,
    BackendRateLimited,
    BackendUnavailable,
    MalformedResponse,
)


class Problem(StrEnum):
    """Why a backend failed, in the few kinds people need told apart."""

    NO_ANSWER = "no-answer"  # timeout, network, 5xx, circuit open
    RATE_LIMITED = "rate-limited"
    CREDENTIALS = "credentials"
    MALFORMED = "malformed"
    FAILED = "failed"  # anything else

    @classmethod
    def of(cls, error: BaseException) -> Problem:
        """The problem an exception stands for; the one place errors are classified."""
        if isinstance(error, BackendRateLimited):
            return cls.RATE_LIMITED
        if isinstance(error, BackendUnavailable | TimeoutError | OSError):
            return cls.NO_ANSWER
        if isinstance(error, BackendAuthError):
            return cls.CREDENTIALS
        if isinstance(error, MalformedResponse):
            return cls.MALFORMED
        return cls.FAILED


@dataclass(frozen=True)
class Standing:
    """One connector as last seen: ``down_since`` is set while it is not answering.

    ``stand_in_from`` is when the oldest last good value served in its place
    during the current outage was fetched: the age of what people are shown.
    """

    connector: str
    last_answer: datetime | None = None
    down_since: datetime | None = None
    problem: Problem | None = None
    stand_in_from: datetime | None = None

    @property
    def answering(self) -> bool:
        return self.down_since is None


class Standings:
    """Every connector's :class:`Standing`, updated as calls succeed or fail (per process)."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._standings: dict[str, Standing] = {}

    def of(self, connector: str) -> Standing:
        return self._standings.get(connector) or Standing(connector)

    def answered(self, connector: str) -> None:
        self._standings[connector] = Standing(connector, last_answer=self._now())

    def failed(self, connector: str, error: BaseException) -> None:
        standing = self.of(connector)
        self._standings[connector] = replace(
            standing, down_since=standing.down_since or self._now(), problem=Problem.of(error)
        )

    def stood_in(self, connector: str, fetched_at: datetime) -> None:
        """A last good value was served for ``connector``; remembered while it is down."""
        standing = self.of(connector)
        if standing.answering:
            return
        oldest = min(fetched_at, standing.stand_in_from or fetched_at)
        self._standings[connector] = replace(standing, stand_in_from=oldest)
