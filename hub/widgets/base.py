"""What a widget is: a declaration (data) plus one async loader that gathers its figures.

A widget never talks HTTP or SQL itself: its loader asks
the typed backend facade (``context.backends.prm.deals(partner)``) and the hub's
services,
and returns a :class:`WidgetView`. The subject (``context.partner``,
``context.person``) is built from the signed-in principal by the web layer,
never from the URL, so a loader cannot be pointed at another org.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from hub.auth.principal import Principal
from hub.connectors.backends import Backends
from hub.connectors.records import Fetched, Kind, PartnerRef, PersonRef, only_refreshing
from hub.personas.audience import Audience, OrgProfile, Requester
from hub.personas.catalogue import Persona
from hub.services.content.audience import Reader
from hub.services.content.for_you import ForYou
from hub.services.engagement.budgets import BudgetStatus
from hub.services.engagement.leaderboards import Scope
from hub.services.engagement.nba import SuggestedAction
from hub.services.engagement.periods import PeriodKind
from hub.services.engagement.recognition import Recipient
from hub.services.engagement.surveys import DueSurvey
from hub.services.engagement_home import BoardView, RecognitionView, Standing
from hub.services.field_team import Contact
from hub.services.partner_activity import ActivityItem
from hub.services.program.views import Program
from hub.services.questions.answering import ExpertQueue

# Whom a widget is for; which personas may have it is the persona catalogue's to say.
PARTNER = frozenset({Audience.PARTNER})
VENDOR = frozenset({Audience.VENDOR})
EVERYONE = PARTNER | VENDOR


class Size(StrEnum):
    """How many grid columns a widget takes on a wide screen (one column on a phone)."""

    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


@dataclass(frozen=True)
class Setting:
    """One entry of a widget's settings schema: a name, a label and a default."""

    name: str
    label: str
    default: int | str | bool
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()


class HubServices(Protocol):
    """The hub's own domain services a widget may call, bound to this request's resources.

    Widgets never touch the database or store themselves; a new service a
    widget needs is added here and to its implementation in ``hub.services``.
    """

    async def program(self, user_id: int, now: datetime) -> Program:
        """The program insight as ``user_id`` may see it (their partners; all for an admin)."""
        ...

    async def field_team(self, partner_org_id: int | None) -> list[Contact]:
        """The vendor contacts a partner org can reach."""
        ...

    async def recent_activity(self, limit: int) -> list[ActivityItem]:
        """The newest activity across partner orgs."""
        ...

    async def content_for_you(self, reader: Reader, user_id: int, now: datetime) -> ForYou:
        """Pinned library items and those new since the user's last visit, meant for them."""
        ...

    async def next_actions(
        self,
        subject: Requester,
        *,
        reads: Sequence[str],
        partner: PartnerRef | None,
        person: PersonRef,
        now: datetime,
        limit: int,
        locale: str,
    ) -> list[SuggestedAction]:
        """The best next actions for the subject, from facts gathered from the connectors."""
        ...

    async def standing(self, user_id: int, now: datetime) -> Standing:
        """Points, level, recent badges and streak of one user."""
        ...

    async def leaderboard(
        self, user_id: int, scope: Scope, period: PeriodKind, now: datetime
    ) -> BoardView:
        """The user's board for ``scope`` and ``period``, with names."""
        ...

    async def recognition(
        self, user_id: int, partner_org_id: int | None, now: datetime
    ) -> RecognitionView:
        """The recognition feed, unread notices and whom the user may thank."""
        ...

    async def pulse_survey(
        self, subject: Requester, now: datetime
    ) -> tuple[DueSurvey | None, bool]:
        """The pulse survey due to the user now, if any, and whether they have just
        answered one (the widget says thank you)."""
        ...

    async def giving_budget(
        self, user_id: int, now: datetime
    ) -> tuple[BudgetStatus, list[Recipient], tuple[str, ...]]:
        """A field-team member's budget, the partner users they may reward, the value tags."""
        ...

    async def expert_queue(self, user_id: int) -> ExpertQueue:
        """The questions of the topics ``user_id`` answers: waiting, and lately answered."""
        ...

    async def questions_overdue(self, user_id: int, now: datetime) -> tuple[int, int]:
        """How many of those have waited past the administrators' limit, and the limit in hours."""
        ...


@dataclass(frozen=True)
class WidgetContext:
    """Everything a loader may use, built per request from the session principal."""

    principal: Principal
    persona: Persona
    org: OrgProfile | None
    partner: PartnerRef | None
    person: PersonRef
    backends: Backends
    services: HubServices
    locale: str
    now: datetime
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def requester(self) -> Requester:
        """Who is asking, as the services take it."""
        return Requester.of(self.principal.id, self.principal.persona, self.org)

    def require_partner(self) -> PartnerRef:
        """The caller's partner; loaders of partner widgets call this first."""
        if self.partner is None:
            raise PermissionError("this widget needs a partner org")
        return self.partner


@dataclass(frozen=True)
class WidgetView:
    """What a loader found: figures for the template and how fresh they are."""

    figures: Mapping[str, Any]
    fetched_at: datetime | None = None
    stale: bool = False
    sources: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    empty: bool = False
    # Stale only because fresh copies are on their way from backends that answer.
    refreshing: bool = False

    @classmethod
    def of(
        cls, fetched: list[Fetched[Any] | None], figures: Mapping[str, Any], *, empty: bool
    ) -> WidgetView:
        """A view whose freshness is that of the oldest read it used."""
        used = [f for f in fetched if f is not None]
        return cls(
            figures=figures,
            fetched_at=min((f.fetched_at for f in used), default=None),
            stale=any(f.stale for f in used),
            sources=tuple(dict.fromkeys(s for f in used for s in f.sources)),
            errors=tuple(dict.fromkeys(e for f in used for e in f.errors)),
            empty=empty,
            refreshing=only_refreshing(used),
        )


Loader = Callable[[WidgetContext], Awaitable[WidgetView]]
A = TypeVar("A")
B = TypeVar("B")


@dataclass(frozen=True)
class Widget:
    """A homepage widget, declared as data.

    ``audiences`` says whose side it serves (the persona catalogue says which
    personas have it, and refuses one of another audience); ``source`` is the backend whose portal the widget links to; ``refresh``
    is how often an open page reloads it, in seconds (0: never); ``reuse``
    is how long a rendered copy may be put straight into a page again
    instead of loading the widget once more, in seconds (0: never; never
    longer than ``refresh``), the bound on how old a warm page's figures can
    be beyond what the caller changed (their own changes show at once);
    ``slot`` marks a named placeholder another part of the hub fills later.
    """

    name: str
    title: str
    description: str
    audiences: frozenset[Audience]
    loader: Loader
    empty_hint: str
    source: Kind | None = None
    size: Size = Size.SMALL
    refresh: int = 300
    timeout: float = 6.0
    settings: tuple[Setting, ...] = ()
    slot: bool = False
    reuse: int = 60

    @property
    def template(self) -> str:
        return f"widgets/{self.name}.html"

    @property
    def fresh_for(self) -> int:
        """Seconds a rendered copy may be put into a page again."""
        return min(self.reuse, self.refresh) if self.refresh else self.reuse

    def default_settings(self) -> dict[str, Any]:
        return {setting.name: setting.default for setting in self.settings}


async def both(
    first: Awaitable[Fetched[A]], second: Awaitable[Fetched[B]]
) -> tuple[Fetched[A], Fetched[B]]:
    """Two reads at once; the first failure propagates."""
    one, two = await asyncio.gather(first, second)
    return one, two


async def with_optional(
    primary: Awaitable[Fetched[A]], secondary: Awaitable[Fetched[B] | None]
) -> tuple[Fetched[A], Fetched[B] | None]:
    """A read the widget needs and one it can do without (``Read.optional``), at once."""
    first, second = await asyncio.gather(primary, secondary)
    return first, second


async def nothing(context: WidgetContext) -> WidgetView:
    """The loader of an unfilled slot: always empty."""
    return WidgetView(figures={}, empty=True)
