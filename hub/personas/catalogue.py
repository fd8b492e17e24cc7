"""The seven personas: who they are, where they land, what they see and what they may use.

A persona is data, and this is its one place: adding one is an entry in
:func:`default_personas` plus its translations. The role sets sign-in uses
(:data:`hub.auth.principal.KNOWN_ROLES`, ``VENDOR_ROLES``), which widgets a persona may
have, which facts its next best actions read and what its "What's New" shows all
derive from these entries; no code outside this module branches on a persona's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

from hub.i18n import N_
from hub.personas.audience import Audience

if TYPE_CHECKING:  # the registry is handed in; personas import no widget code
    from hub.widgets.base import Widget
    from hub.widgets.catalogue import WidgetRegistry

# What a persona's "What's New" is made of.
News = Literal["spiffs", "campaigns", "funds_and_deals", "courses", "hub_activity"]


@dataclass(frozen=True)
class Persona:
    """A role's homepage and what the role may use.

    ``id`` is also the role name IdPs send. ``landing`` is the backend kind whose
    portal the role works in most (``prm``, ``lms``, ``incentives``, ``tcma``), or
    ``None`` for the hub's own views. ``widgets`` is the default page, in order;
    ``may_add`` the other widgets the role may put on it (every widget a persona may
    have is in one of the two). ``fact_reads`` names what its next best actions need:
    backend operations (:mod:`hub.connectors.operations`) and the hub's own facts
    (``dormant_partners``, ``giving_budget``, ``kudos_awaiting_approval``,
    ``identity_providers``). ``administers`` marks the program administrator.
    """

    id: str
    title: str
    focus: str
    landing: str | None
    widgets: tuple[str, ...]
    audience: Audience = Audience.PARTNER
    may_add: tuple[str, ...] = ()
    fact_reads: tuple[str, ...] = ()
    news: News = "hub_activity"
    administers: bool = False

    @property
    def allowed(self) -> frozenset[str]:
        """Every widget this persona may have on its page."""
        return frozenset(self.widgets) | frozenset(self.may_add)


class InvalidPersonas(ValueError):
    """A persona names a widget that does not exist or is not for its audience: a start-up error."""


# What every partner persona's page has after its own figures: engagement, news,
# people and links.
PARTNER_COMMON = (
    "content_for_you",
    "points_badges",
    "leaderboard",
    "whats_new",
    "field_team",
    "quick_links",
    "recognition_feed",
    "pulse_survey",
)


INCENTIVE_WIDGETS = (
    "progress_to_goal",
    "spiff_eligibility",
    "requirements_to_earn",
    "claim_status",
)
MARKETING_WIDGETS = ("leads_earned", "campaigns_to_redistribute")
SERVICE_WIDGETS = ("satisfaction_rates", "certification_level", "velocity", "retention")
# Every vendor user may be named an expert for a topic, so each reads the waiting questions.
VENDOR_FACTS = ("dormant_partners", "giving_budget", "expert_questions")


def default_personas() -> list[Persona]:
    """The built-in personas (see the persona table in DESIGN.md)."""
    return [
        Persona(
            "partner_owner",
            N_("Partner owner"),
            N_("Agreements, planning and rebates"),
            "prm",
            (
                "next_best_action",
                "program_status",
                "dollars_spent",
                "rebates_earned",
                "coop_earned",
                *PARTNER_COMMON,
            ),
            may_add=(
                "mdf_spent",
                "mdf_available",
                *INCENTIVE_WIDGETS,
                *MARKETING_WIDGETS,
                *SERVICE_WIDGETS,
            ),
            fact_reads=(
                "partner_account",
                "deals",
                "fund_claims",
                "rebates",
                "certifications",
            ),
            news="funds_and_deals",
        ),
        Persona(
            "sales_rep",
            N_("Sales rep"),
            N_("Sales goals, personal income and customer impact"),
            "incentives",
            ("next_best_action", *INCENTIVE_WIDGETS, *PARTNER_COMMON),
            may_add=("program_status", *MARKETING_WIDGETS, "certification_level"),
            fact_reads=("deals", "certifications", "spiffs"),
            news="spiffs",
        ),
        Persona(
            "marketer",
            N_("Marketer"),
            N_("Campaigns, leads and funds"),
            "tcma",
            (
                "next_best_action",
                "leads_earned",
                "mdf_spent",
                "mdf_available",
                "campaigns_to_redistribute",
                *PARTNER_COMMON,
            ),
            may_add=("program_status", "coop_earned", *INCENTIVE_WIDGETS, "certification_level"),
            fact_reads=("fund_claims", "campaigns", "redistributions"),
            news="campaigns",
        ),
        Persona(
            "support",
            N_("Support"),
            N_("Implementation, support and service"),
            "lms",
            ("next_best_action", *SERVICE_WIDGETS, *PARTNER_COMMON),
            may_add=("program_status",),
            fact_reads=("certifications", "completions"),
            news="courses",
        ),
        Persona(
            "channel_manager",
            N_("Channel manager"),
            N_("Partner performance, adoption and relationships"),
            None,
            (
                "next_best_action",
                "my_partners",
                "quiet_partners",
                "recognition_budget",
                "recognition_feed",
                "content_for_you",
                "whats_new",
                "quick_links",
            ),
            audience=Audience.VENDOR,
            may_add=("points_badges", "leaderboard", "pulse_survey", "expert_questions"),
            fact_reads=VENDOR_FACTS,
        ),
        Persona(
            "expert",
            N_("Vendor expert"),
            N_("Answering partners' questions on their topics"),
            None,
            ("next_best_action", "expert_questions", "content_for_you", "whats_new", "quick_links"),
            audience=Audience.VENDOR,
            may_add=("recognition_feed",),
            fact_reads=("expert_questions",),
        ),
        Persona(
            "admin",
            N_("Administrator"),
            N_("Configuration"),
            None,
            (
                "connector_health",
                "next_best_action",
                "my_partners",
                "content_for_you",
                "whats_new",
                "quick_links",
            ),
            audience=Audience.VENDOR,
            may_add=(
                "quiet_partners",
                "points_badges",
                "leaderboard",
                "recognition_feed",
                "pulse_survey",
                "recognition_budget",
                "expert_questions",
            ),
            fact_reads=(*VENDOR_FACTS, "kudos_awaiting_approval", "identity_providers"),
            administers=True,
        ),
    ]


class PersonaBook(Mapping[str, Persona]):
    """The personas by id, each checked against the widget registry when built."""

    def __init__(self, personas: Iterable[Persona], registry: WidgetRegistry) -> None:
        self.registry = registry
        self._personas: dict[str, Persona] = {}
        for persona in personas:
            if persona.id in self._personas:
                raise InvalidPersonas(f"persona {persona.id!r} is declared twice")
            self._personas[persona.id] = persona
            problems = [
                f"unknown widget {name!r}"
                if name not in registry
                else f"widget {name!r} is not for the {persona.audience.value} audience"
                for name in sorted(persona.allowed)
                if name not in registry or persona.audience not in registry[name].audiences
            ]
            problems += layout_problems(persona.id, persona.widgets, self)
            if problems:
                raise InvalidPersonas(f"persona {persona.id!r}: {'; '.join(problems)}")

    def allows(self, persona_id: str, widget: Widget) -> bool:
        """Whether ``persona_id`` may have ``widget`` on its page."""
        persona = self._personas.get(persona_id)
        return persona is not None and widget.name in persona.allowed

    def available(self, persona_id: str) -> list[Widget]:
        """The widgets ``persona_id`` may put on its page, in the registry's order."""
        return [widget for widget in self.registry.values() if self.allows(persona_id, widget)]

    def ids(self, audience: Audience | None = None) -> tuple[str, ...]:
        """The persona ids, or those of one audience."""
        return tuple(
            persona.id
            for persona in self._personas.values()
            if audience is None or persona.audience is audience
        )

    def __getitem__(self, persona_id: str) -> Persona:
        return self._personas[persona_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._personas)

    def __len__(self) -> int:
        return len(self._personas)


def layout_problems(persona: str, widgets: Iterable[str], book: PersonaBook) -> list[str]:
    """What is wrong with ``widgets`` as a layout for ``persona``; empty when it is valid."""
    problems: list[str] = []
    seen: set[str] = set()
    registry = book.registry
    for name in widgets:
        if not isinstance(name, str) or name not in registry:
            problems.append(f"unknown widget {name!r}")
        elif not book.allows(persona, registry[name]):
            problems.append(f"widget {name!r} is not for this persona")
        elif name in seen:
            problems.append(f"widget {name!r} is listed twice")
        else:
            seen.add(name)
    return problems


@dataclass(frozen=True)
class Roles:
    """The role sets sign-in and the services use, derived from the catalogue."""

    known: tuple[str, ...]
    vendor: frozenset[str]
    admin: frozenset[str]


@cache
def roles() -> Roles:
    """The roles the hub knows (each a persona), those of vendor staff and administrators."""
    personas = default_personas()
    return Roles(
        tuple(persona.id for persona in personas),
        frozenset(persona.id for persona in personas if persona.audience is Audience.VENDOR),
        frozenset(persona.id for persona in personas if persona.administers),
    )
