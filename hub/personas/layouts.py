"""Which widgets a user sees, in which order: persona default, segment override, own changes.

Pure rules over plain records; ``hub.services.layouts`` reads and writes them.
A saved layout carries the layout format's ``version``. One that no longer
parses (another version, a name that is gone, a widget the persona may no
longer use, edited by hand in the database) is ignored: the user gets the
default and a notice, and their next change starts from that default.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.i18n import N_
from hub.personas.audience import Segment
from hub.personas.catalogue import PersonaBook, layout_problems

log = logging.getLogger("hub.personas")

LAYOUT_VERSION = 1
MAX_WIDGETS = 30
ACTIONS = ("add", "remove", "up", "down", "reset")


@dataclass(frozen=True)
class SavedLayout:
    """A layout as stored: its format version and whatever the widget list now holds."""

    version: int
    widgets: Any


@dataclass(frozen=True)
class Override:
    """An administrator's layout for a persona in a segment; empty fields match anything."""

    id: int
    persona: str
    partner_type: str
    tier: str
    region: str
    version: int
    widgets: Any

    def matches(self, segment: Segment) -> bool:
        pairs = (
            (self.partner_type, segment.partner_type),
            (self.tier, segment.tier),
            (self.region, segment.region),
        )
        return all(not wanted or wanted.lower() == actual.lower() for wanted, actual in pairs)

    @property
    def specificity(self) -> tuple[int, bool, bool, bool]:
        """More fields set wins; on a tie, tier before region before partner type."""
        fields = (self.tier, self.region, self.partner_type)
        return (sum(1 for f in fields if f), *(bool(f) for f in fields))  # type: ignore[return-value]


@dataclass(frozen=True)
class Layout:
    """The widgets on a user's page and where that list came from."""

    persona: str
    widgets: tuple[str, ...]
    origin: str  # default | segment | own
    fell_back: bool = False


class LayoutError(Exception):
    """A change that cannot be made; nothing was saved. ``message`` is translatable."""

    def __init__(self, status: int, message: str, **variables: Any) -> None:
        super().__init__(message % variables if variables else message)
        self.status = status
        self.message = message
        self.variables = variables


def _valid(book: PersonaBook, persona: str, version: int, widgets: Any) -> bool:
    return (
        version == LAYOUT_VERSION
        and isinstance(widgets, list)
        and len(widgets) <= MAX_WIDGETS
        and not layout_problems(persona, widgets, book)
    )


def resolve(
    book: PersonaBook,
    persona: str,
    segment: Segment,
    overrides: Sequence[Override],
    saved: SavedLayout | None,
) -> Layout:
    """The layout to show: the user's own if it parses, else the segment's, else the default."""
    default, origin = book[persona].widgets, "default"
    for override in sorted(overrides, key=lambda o: o.specificity, reverse=True):
        if override.persona != persona or not override.matches(segment):
            continue
        if _valid(book, persona, override.version, override.widgets):
            default, origin = tuple(override.widgets), "segment"
            break
        log.warning("ignoring an invalid layout override", extra={"override_id": override.id})
    if saved is None:
        return Layout(persona, default, origin)
    if _valid(book, persona, saved.version, saved.widgets):
        return Layout(persona, tuple(saved.widgets), "own")
    log.warning("a saved layout no longer parses; showing the default", extra={"persona": persona})
    return Layout(persona, default, origin, fell_back=True)


def restored(book: PersonaBook, persona: str, widgets: list[str]) -> tuple[str, ...]:
    """The layout a person had before a reset, posted back by "Undo"; a
    :class:`LayoutError` when it is not a valid layout for ``persona``."""
    if not widgets or len(widgets) > MAX_WIDGETS or layout_problems(persona, widgets, book):
        raise LayoutError(422, N_("That layout cannot be restored on this homepage."))
    return tuple(widgets)


def edit(book: PersonaBook, layout: Layout, action: str, name: str) -> tuple[str, ...]:
    """``layout`` after one change; raises :class:`LayoutError` for a change that is not valid."""
    widgets = list(layout.widgets)
    if action not in ACTIONS or action == "reset":
        shown = re.sub(r"[^A-Za-z0-9_-]", "", action)[:40]
        raise LayoutError(400, N_("Unknown layout change: %(action)s."), action=shown)
    if name not in book.registry:
        shown = re.sub(r"[^A-Za-z0-9_-]", "", name)[:60]  # never echo markup back
        raise LayoutError(400, N_("There is no widget called “%(name)s”."), name=shown)
    if not book.allows(layout.persona, book.registry[name]):
        raise LayoutError(403, N_("That widget is not available on this homepage."))
    if action == "add":
        if name in widgets:
            raise LayoutError(409, N_("That widget is already on your page."))
        if len(widgets) >= MAX_WIDGETS:
            raise LayoutError(422, N_("Your page is full; remove a widget first."))
        return (*widgets, name)
    if name not in widgets:
        raise LayoutError(409, N_("That widget is not on your page."))
    index = widgets.index(name)
    if action == "remove":
        widgets.pop(index)
    elif action == "up" and index > 0:
        widgets[index - 1], widgets[index] = widgets[index], widgets[index - 1]
    elif action == "down" and index < len(widgets) - 1:
        widgets[index + 1], widgets[index] = widgets[index], widgets[index + 1]
    return tuple(widgets)
