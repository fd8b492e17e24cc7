"""What worked: each run's outcome within its window, and each playbook against its holdout.

Pure functions of partner histories (the activity log, as program insight reads it) and
the run's dates, so hand-built histories give known answers. "Came back" is meaningful
activity as program insight's dormancy defines it (:func:`insight.meaningful`); a deal
registered and a course or quiz passed are counted too. A run still inside its window that
has not come back yet is *open*: it counts in no rate until it does or its window ends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.services.program import insight
from hub.services.program.config import ProgramConfig
from hub.services.program.insight import History

# Below this many decided runs on either side, a difference says nothing.
MIN_DECIDED = 20
Z_95 = 1.96


@dataclass(frozen=True)
class Outcome:
    """One run's outcome as of ``now``: when (if) the partner came back, registered a deal,
    completed training, within the window; and whether the window is over."""

    came_back_at: datetime | None
    deal_at: datetime | None
    training_at: datetime | None
    window_over: bool

    @property
    def decided(self) -> bool:
        """It counts in a rate: it came back, or its window ended without."""
        return self.came_back_at is not None or self.window_over


def outcome(
    history: History, config: ProgramConfig, started: datetime, ends: datetime, now: datetime
) -> Outcome:
    """What the partner did after ``started``, up to the window's end (or ``now``)."""
    until = min(ends, now)

    def first(events: Sequence[insight.Event]) -> datetime | None:
        return next((e.at for e in events if started < e.at <= until), None)

    return Outcome(
        came_back_at=first(insight.meaningful(history.events, config)),
        deal_at=first(history.of(["deal_registered"])),
        training_at=first(history.of(insight.TRAINING_KINDS)),
        window_over=now >= ends,
    )


@dataclass(frozen=True)
class Rate:
    """One group's figures: runs, decided, came back (and deals, training) among them."""

    runs: int
    decided: int
    came_back: int
    deals: int
    trained: int

    @property
    def share(self) -> float | None:
        return self.came_back / self.decided if self.decided else None

    @property
    def open(self) -> int:
        return self.runs - self.decided


def rate(outcomes: Sequence[Outcome]) -> Rate:
    decided = [o for o in outcomes if o.decided]
    return Rate(
        len(outcomes),
        len(decided),
        sum(1 for o in decided if o.came_back_at is not None),
        sum(1 for o in decided if o.deal_at is not None),
        sum(1 for o in decided if o.training_at is not None),
    )


@dataclass(frozen=True)
class Verdict:
    """Treated against holdout: ``too_few`` (not enough decided runs to conclude),
    ``better``, ``worse`` or ``no_difference`` (at 95 %), and the difference in points."""

    code: str
    difference: float | None  # treated share minus holdout share


def compare(treated: Rate, holdout: Rate) -> Verdict:
    """A two-proportion z-test, once each side has at least ``MIN_DECIDED`` decided runs."""
    if treated.share is None or holdout.share is None:
        return Verdict("too_few", None)
    difference = treated.share - holdout.share
    if treated.decided < MIN_DECIDED or holdout.decided < MIN_DECIDED:
        return Verdict("too_few", difference)
    pooled = (treated.came_back + holdout.came_back) / (treated.decided + holdout.decided)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / treated.decided + 1 / holdout.decided))
    if spread == 0:
        return Verdict("no_difference", difference)
    z = difference / spread
    if z >= Z_95:
        return Verdict("better", difference)
    if z <= -Z_95:
        return Verdict("worse", difference)
    return Verdict("no_difference", difference)


def holdouts_due(total_before: int, held_before: int, starting: int, share: float) -> int:
    """How many of ``starting`` new runs go to holdout so that, over every run of the
    playbook, the held-out count is the share rounded half up: ``⌊(n · share) + ½⌋``.

    One start at a time still gets its share over time (with 20 %, the third, eighth,
    thirteenth … run is held out), and a bulk start of ten gets two at once.
    """
    target = math.floor((total_before + starting) * share + 0.5)
    return max(0, min(starting, target - held_before))
