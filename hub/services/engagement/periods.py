"""Calendar periods for leaderboards and giving budgets: week, month, quarter, all time (UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

PeriodKind = Literal["week", "month", "quarter", "all"]
PERIODS: tuple[PeriodKind, ...] = ("week", "month", "quarter", "all")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    """One period: its kind, a stable key (``2026-W47``, ``2026-11``, ``2026-Q4``, ``all``), bounds."""

    kind: PeriodKind
    key: str
    starts_at: datetime
    ends_at: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


def period_of(kind: PeriodKind, moment: datetime) -> Period:
    """The period of ``kind`` that contains ``moment``."""
    if moment.tzinfo is None:
        raise ValueError("periods need timezone-aware times")
    moment = moment.astimezone(UTC)
    if kind == "all":
        return Period("all", "all", _EPOCH, _END_OF_TIME)
    if kind == "week":
        day = moment.date() - timedelta(days=moment.weekday())
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        year, week, _ = day.isocalendar()
        return Period("week", f"{year}-W{week:02d}", start, start + timedelta(days=7))
    if kind == "month":
        start = datetime(moment.year, moment.month, 1, tzinfo=UTC)
        return Period("month", f"{moment.year}-{moment.month:02d}", start, _add_months(start, 1))
    quarter = (moment.month - 1) // 3
    start = datetime(moment.year, quarter * 3 + 1, 1, tzinfo=UTC)
    return Period("quarter", f"{moment.year}-Q{quarter + 1}", start, _add_months(start, 3))


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    return moment.replace(year=moment.year + index // 12, month=index % 12 + 1)
