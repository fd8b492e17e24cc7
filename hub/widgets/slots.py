"""Named slots the engagement work fills: declared now, empty until then.

To fill one, declare a :class:`~hub.widgets.base.Widget` with the same
``name`` in your own module (with a real loader and template), add that
module's ``WIDGETS`` to :func:`hub.widgets.catalogue.catalogue`, and delete
the slot here. Personas already list these names, so pages pick the real
widget up without further change; a name declared twice fails at start-up.
"""

from __future__ import annotations

from hub.i18n import N_
from hub.personas.audience import Audience
from hub.widgets.base import Widget, nothing


def slot(name: str, title: str, description: str, audiences: frozenset[Audience]) -> Widget:
    return Widget(
        name=name,
        title=title,
        description=description,
        audiences=audiences,
        loader=nothing,
        empty_hint=N_("Coming soon: this part of the hub is being switched on."),
        refresh=0,
        slot=True,
    )


# Every slot is filled now (engagement.py); declare new ones here with `slot(...)`.
WIDGETS: tuple[Widget, ...] = ()
