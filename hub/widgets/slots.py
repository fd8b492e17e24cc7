"""Named slots the engagement work fills: declared now, empty until then.

To fill one, declare a :class:`~hub.widgets.base.Widget` with the same
``name`` in your own module (with a real loader and template), add that
module's ``WIDGETS`` to :func:`hub.widgets.catalogue.catalogue`, and delete
the slot here. Personas already list these names, so pages pick the real
widget up without further change; a name declared twice fails at start-up.
"""

from __future__ import annotations

from hub.i18n import N_
from hub.widgets.base import EVERYONE, VENDOR_PERSONAS, Widget, nothing


def _slot(name: str, title: str, description: str, personas: frozenset[str]) -> Widget:
    return Widget(
        name=name,
        title=title,
        description=description,
        personas=personas,
        loader=nothing,
        empty_hint=N_("Coming soon: this part of the hub is being switched on."),
        refresh=0,
        slot=True,
    )


WIDGETS = (
    _slot(
        "next_best_action",
        N_("Next Best Action"),
        N_("The one thing worth doing next, and why."),
        EVERYONE,
    ),
    _slot("points_badges", N_("Points and Badges"), N_("Your points and badges."), EVERYONE),
    _slot("leaderboard", N_("Leaderboard"), N_("Where you stand among peers."), EVERYONE),
    _slot(
        "recognition_feed",
        N_("Recognition Feed"),
        N_("Shout-outs from across the program."),
        EVERYONE,
    ),
    _slot(
        "pulse_survey",
        N_("Pulse Survey"),
        N_("A two-question check-in, when one is due."),
        EVERYONE,
    ),
    _slot(
        "recognition_budget",
        N_("Recognition Budget"),
        N_("Points you can still give to partners this period."),
        VENDOR_PERSONAS,
    ),
)
