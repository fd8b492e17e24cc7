"""Streaks: runs of active days where a short gap (freeze days, a weekend) does not break the run.

Progress keeps the set of active days rather than a running counter, so an event that
arrives late still lands on the right day and the run is recomputed, never double counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

# Long enough for any streak rule (at most a year), short enough to keep a row small.
DAYS_KEPT = 400


def add_day(days: Iterable[str], day: date) -> list[str]:
    """The sorted ISO days with ``day`` added, keeping the most recent ``DAYS_KEPT``."""
    known = set(days)
    known.add(day.isoformat())
    return sorted(known)[-DAYS_KEPT:]


def run_containing(days: Iterable[str], day: date, freeze_days: int) -> int:
    """How many active days the run through ``day`` has (0 if ``day`` is not active)."""
    ordered = sorted(date.fromisoformat(value) for value in set(days))
    if day not in ordered:
        return 0
    position = ordered.index(day)
    start = position
    while start > 0 and _joined(ordered[start - 1], ordered[start], freeze_days):
        start -= 1
    end = position
    while end + 1 < len(ordered) and _joined(ordered[end], ordered[end + 1], freeze_days):
        end += 1
    return end - start + 1


def current_run(days: Iterable[str], today: date, freeze_days: int) -> int:
    """The streak as it stands ``today``: the last run, if it has not yet been broken."""
    ordered = sorted(date.fromisoformat(value) for value in set(days))
    if not ordered or (today - ordered[-1]).days - 1 > freeze_days:
        return 0
    return run_containing([value.isoformat() for value in ordered], ordered[-1], freeze_days)


def _joined(earlier: date, later: date, freeze_days: int) -> bool:
    return (later - earlier).days - 1 <= freeze_days
