"""Every widget the hub ships, and the registry built from them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from hub.widgets import (
    admin,
    channel,
    content,
    engagement,
    everyone,
    funds,
    incentives,
    marketing,
    program,
    questions,
    service,
    slots,
)
from hub.widgets.base import Widget


class DuplicateWidget(ValueError):
    """Two widgets were declared with one name: a start-up error."""


class WidgetRegistry(Mapping[str, Widget]):
    """Widgets by name, in declaration order; read-only once built."""

    def __init__(self, widgets: Iterable[Widget]) -> None:
        self._widgets: dict[str, Widget] = {}
        for widget in widgets:
            if widget.name in self._widgets:
                raise DuplicateWidget(f"two widgets are named {widget.name!r}")
            self._widgets[widget.name] = widget

    def __getitem__(self, name: str) -> Widget:
        return self._widgets[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._widgets)

    def __len__(self) -> int:
        return len(self._widgets)


def catalogue() -> list[Widget]:
    """All shipped widget declarations."""
    return [
        *program.WIDGETS,
        *funds.WIDGETS,
        *incentives.WIDGETS,
        *marketing.WIDGETS,
        *service.WIDGETS,
        *channel.WIDGETS,
        *questions.WIDGETS,
        *everyone.WIDGETS,
        *content.WIDGETS,
        *admin.WIDGETS,
        *engagement.WIDGETS,
        *slots.WIDGETS,
    ]


def build_registry(widgets: Iterable[Widget] | None = None) -> WidgetRegistry:
    """The registry of ``widgets`` (default: the catalogue); a duplicate name raises."""
    return WidgetRegistry(catalogue() if widgets is None else widgets)
