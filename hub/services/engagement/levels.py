"""Levels from points: a name and how far to the next one."""

from __future__ import annotations

from dataclasses import dataclass

from hub.i18n import N_

# (name, points needed): the program's ladder.
LADDER: tuple[tuple[str, int], ...] = (
    (N_("Newcomer"), 0),
    (N_("Contributor"), 250),
    (N_("Achiever"), 1_000),
    (N_("Champion"), 2_500),
    (N_("Legend"), 5_000),
)


@dataclass(frozen=True)
class Level:
    """A user's level: its number (1-based), name, floor and the points the next level needs."""

    number: int
    name: str
    floor: int
    next_at: int | None

    def progress(self, points: int) -> float:
        """How far from this level's floor to the next, 0.0–1.0 (1.0 at the top)."""
        if self.next_at is None:
            return 1.0
        return max(0.0, min(1.0, (points - self.floor) / (self.next_at - self.floor)))


def level_for(points: int) -> Level:
    """The level ``points`` reach."""
    index = 0
    for position, (_, needed) in enumerate(LADDER):
        if points >= needed:
            index = position
    name, floor = LADDER[index]
    next_at = LADDER[index + 1][1] if index + 1 < len(LADDER) else None
    return Level(index + 1, name, floor, next_at)
