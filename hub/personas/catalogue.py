"""The six personas: who they are, where they land and which widgets they start with."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from hub.i18n import N_
from hub.widgets.catalogue import WidgetRegistry, build_registry


@dataclass(frozen=True)
class Persona:
    """A role's homepage: its title, landing portal and ordered default widgets.

    ``landing`` is the backend kind whose portal the role works in most
    (``prm``, ``lms``, ``incentives``, ``tcma``), or ``None`` for the hub's own views.
    """

    id: str
    title: str
    focus: str
    landing: str | None
    widgets: tuple[str, ...]


class InvalidPersonas(ValueError):
    """A persona names a widget that does not exist or does not allow it: a start-up error."""


# What every partner persona's page has after its own figures: engagement, news,
# people and links.
PARTNER_COMMON = (
    "points_badges",
    "leaderboard",
    "whats_new",
    "field_team",
    "quick_links",
    "recognition_feed",
    "pulse_survey",
)


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
        ),
        Persona(
            "sales_rep",
            N_("Sales rep"),
            N_("Sales goals, personal income and customer impact"),
            "incentives",
            (
                "next_best_action",
                "progress_to_goal",
                "spiff_eligibility",
                "requirements_to_earn",
                "claim_status",
                *PARTNER_COMMON,
            ),
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
        ),
        Persona(
            "support",
            N_("Support"),
            N_("Implementation, support and service"),
            "lms",
            (
                "next_best_action",
                "satisfaction_rates",
                "certification_level",
                "velocity",
                "retention",
                *PARTNER_COMMON,
            ),
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
                "whats_new",
                "quick_links",
            ),
        ),
        Persona(
            "admin",
            N_("Administrator"),
            N_("Configuration"),
            None,
            ("connector_health", "next_best_action", "my_partners", "whats_new", "quick_links"),
        ),
    ]


class PersonaBook(Mapping[str, Persona]):
    """The personas by id, each checked against the widget registry when built."""

    def __init__(self, personas: Iterable[Persona], registry: WidgetRegistry) -> None:
        self._personas: dict[str, Persona] = {}
        for persona in personas:
            if persona.id in self._personas:
                raise InvalidPersonas(f"persona {persona.id!r} is declared twice")
            problems = layout_problems(persona.id, persona.widgets, registry)
            if problems:
                raise InvalidPersonas(f"persona {persona.id!r}: {'; '.join(problems)}")
            self._personas[persona.id] = persona
        self.registry = registry

    def __getitem__(self, persona_id: str) -> Persona:
        return self._personas[persona_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._personas)

    def __len__(self) -> int:
        return len(self._personas)


def layout_problems(persona: str, widgets: Iterable[str], registry: WidgetRegistry) -> list[str]:
    """What is wrong with ``widgets`` as a layout for ``persona``; empty when it is valid."""
    problems: list[str] = []
    seen: set[str] = set()
    for name in widgets:
        if not isinstance(name, str) or name not in registry:
            problems.append(f"unknown widget {name!r}")
        elif not registry[name].allows(persona):
            problems.append(f"widget {name!r} is not for this persona")
        elif name in seen:
            problems.append(f"widget {name!r} is listed twice")
        else:
            seen.add(name)
    return problems


def default_book() -> PersonaBook:
    """The built-in personas checked against the widget registry: a start-up error if they disagree."""
    return PersonaBook(default_personas(), build_registry())
