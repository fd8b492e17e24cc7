"""Each partner's rollups summed over the windows a summary reads, kept as of a day.

A summary reads, per event kind, a few sums over runs of whole days that end today or a
fixed number of days before it (:data:`WINDOWS`). Summing a partner's day buckets for
them costs one row per kind and active day, about 800 per kind for a busy partner.
Instead one row per partner and kind (:class:`~hub.db.program.ProgramRollupWindow`) holds
the sums as of a day: folding adds a new event to the sums whose days hold it
(:func:`add`), and when the day changes a row is moved on by the days that enter and
leave each window (:func:`bring`), a few day buckets per window. A row that is missing,
was made for other windows or is too far behind is summed again from the day buckets.

A partner either has rows for every kind it has day buckets of, or none (then it is summed
from its buckets the next time it is derived): folding adds a row for a new kind only to a
partner that has rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.program import ProgramRollup, ProgramRollupWindow
from hub.services.program import insight
from hub.services.program.config import ProgramConfig

HISTORY_DAYS = 800  # two years and a little: revenue growth compares two years
YEAR_DAYS = 365
# A row further behind than this is summed again: moving it would read more days than that.
MOST_DAYS_MOVED = 28


@dataclass(frozen=True)
class Window:
    """Days in (today - ``since``, today - ``until``]: the weight or the count of events."""

    column: str
    since: int
    until: int
    weighted: bool

    def holds(self, day: date, as_of: date) -> bool:
        return as_of - timedelta(days=self.since) < day <= as_of - timedelta(days=self.until)


COLUMNS = ("current", "earlier", "events", "recent", "quiet", "back")
Sums = dict[str, float]  # by column; the counts are whole numbers


def windows_of(config: ProgramConfig) -> tuple[Window, ...]:
    """The windows a summary under ``config`` reads, in the order of :data:`COLUMNS`."""
    period, window, quiet = config.period_days, config.window_days, config.dormancy.quiet_days
    return (
        Window("current", window, 0, True),  # decayed metric values now
        Window("earlier", period + window, period, True),  # and a period ago
        Window("events", HISTORY_DAYS, 0, False),  # the history a summary covers
        Window("recent", insight.UNREAD_DAYS, 0, False),  # vendor emails sent and opened
        Window("quiet", YEAR_DAYS + quiet, YEAR_DAYS, False),  # quiet before a year ago
        Window("back", YEAR_DAYS, YEAR_DAYS - insight.SEASON_RETURN_DAYS, False),  # and back
    )


def spec_of(windows: Sequence[Window]) -> str:
    return ",".join(f"{w.since}-{w.until}" for w in windows)


@cache
def _windows_of_spec(spec: str) -> tuple[Window, ...]:
    found = []
    for column, part in zip(COLUMNS, spec.split(","), strict=True):
        since, until = part.split("-")
        found.append(Window(column, int(since), int(until), column in ("current", "earlier")))
    return tuple(found)


@dataclass(frozen=True)
class _Row:
    org: int
    kind: str
    as_of: date
    spec: str
    sums: Sums


async def _stored(
    session: AsyncSession, where: ColumnElement[bool], *, one_per_partner: bool = False
) -> list[_Row]:
    table = ProgramRollupWindow
    query = select(
        table.partner_org_id,
        table.kind,
        table.as_of,
        table.spec,
        *(table.__table__.c[c] for c in COLUMNS),
    ).where(where)
    if one_per_partner:
        first = (
            select(table.partner_org_id, func.min(table.kind).label("kind"))
            .where(where)
            .group_by(table.partner_org_id)
            .subquery()
        )
        query = query.join(
            first, (first.c.partner_org_id == table.partner_org_id) & (first.c.kind == table.kind)
        )
    return [
        _Row(org, kind, as_of, spec, {c: float(v) for c, v in zip(COLUMNS, values, strict=True)})
        for org, kind, as_of, spec, *values in (await session.execute(query)).all()
    ]


def _values(org: int, kind: str, as_of: date, spec: str, sums: Sums) -> dict[str, Any]:
    return {
        "partner_org_id": org,
        "kind": kind,
        "as_of": as_of,
        "spec": spec,
        **{c: sums[c] if c in ("current", "earlier") else int(sums[c]) for c in COLUMNS},
    }


def _sum_if(condition: ColumnElement[bool], column: Any) -> Any:
    return func.sum(case((condition, column), else_=0))


def _days(low: date, high: date) -> ColumnElement[bool]:
    """Bucket days in (low, high]."""
    return (ProgramRollup.day > low) & (ProgramRollup.day <= high)


def _column(window: Window) -> Any:
    return ProgramRollup.weight if window.weighted else ProgramRollup.events


async def _summed(
    session: AsyncSession, ids: Sequence[int], windows: Sequence[Window], today: date
) -> dict[tuple[int, str], Sums]:
    """Every window summed from the day buckets of ``ids``, as of ``today``."""
    longest = max(w.since for w in windows)
    query = (
        select(
            ProgramRollup.partner_org_id,
            ProgramRollup.kind,
            *(
                _sum_if(
                    _days(today - timedelta(days=w.since), today - timedelta(days=w.until)),
                    _column(w),
                )
                for w in windows
            ),
        )
        .where(
            ProgramRollup.partner_org_id.in_(ids),
            _days(today - timedelta(days=longest), today),
        )
        .group_by(ProgramRollup.partner_org_id, ProgramRollup.kind)
    )
    return {
        (org, kind): {w.column: float(v or 0) for w, v in zip(windows, values, strict=True)}
        for org, kind, *values in (await session.execute(query)).all()
    }


async def _moved(
    session: AsyncSession,
    ids: Sequence[int],
    windows: Sequence[Window],
    since: date,
    today: date,
) -> dict[tuple[int, str], Sums]:
    """What moving rows of ``ids`` from ``since`` to ``today`` adds to each window: the
    days entering at its end less the days leaving at its start."""

    def shifted(offset: int) -> ColumnElement[bool]:
        return _days(since - timedelta(days=offset), today - timedelta(days=offset))

    query = (
        select(
            ProgramRollup.partner_org_id,
            ProgramRollup.kind,
            *(
                _sum_if(shifted(w.until), _column(w)) - _sum_if(shifted(w.since), _column(w))
                for w in windows
            ),
        )
        .where(
            ProgramRollup.partner_org_id.in_(ids),
            or_(*(shifted(offset) for offset in {o for w in windows for o in (w.since, w.until)})),
        )
        .group_by(ProgramRollup.partner_org_id, ProgramRollup.kind)
    )
    return {
        (org, kind): {w.column: float(v or 0) for w, v in zip(windows, values, strict=True)}
        for org, kind, *values in (await session.execute(query)).all()
    }


async def _write(
    session: AsyncSession, rows: Sequence[dict[str, Any]], anew: Sequence[int] = ()
) -> None:
    """Store rows, first dropping every row of the partners ``anew`` (summed again)."""
    if anew:
        await session.execute(
            delete(ProgramRollupWindow).where(ProgramRollupWindow.partner_org_id.in_(anew))
        )
    if not rows:
        return
    table = ProgramRollupWindow
    dialect = session.get_bind().dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    statement = statement.on_conflict_do_update(
        index_elements=["partner_org_id", "kind"],
        set_={name: statement.excluded[name] for name in ("as_of", "spec", *COLUMNS)},
    )
    await session.execute(statement, list(rows))


async def bring(
    session: AsyncSession, ids: Sequence[int], config: ProgramConfig, now: datetime
) -> dict[int, dict[str, Sums]]:
    """The window sums of ``ids`` by kind as of ``now``'s day, brought up to it and kept
    (in the caller's transaction, which should hold the rollups' state lock, so no fold
    runs in between)."""
    today = now.date()
    windows = windows_of(config)
    spec = spec_of(windows)
    stored: dict[int, list[_Row]] = {}
    for row in await _stored(session, ProgramRollupWindow.partner_org_id.in_(ids)):
        stored.setdefault(row.org, []).append(row)
    found: dict[int, dict[str, Sums]] = {}
    resum: list[int] = []
    behind: dict[date, list[int]] = {}
    for org in ids:
        rows = stored.get(org, [])
        days = {row.as_of for row in rows}
        if (
            not rows
            or any(row.spec != spec for row in rows)
            or len(days) != 1
            or not 0 <= (today - min(days)).days <= MOST_DAYS_MOVED
        ):
            resum.append(org)
            continue
        found[org] = {row.kind: dict(row.sums) for row in rows}
        if min(days) != today:
            behind.setdefault(min(days), []).append(org)
    changed: list[dict[str, Any]] = []
    if resum:
        for (org, kind), sums in (await _summed(session, resum, windows, today)).items():
            found.setdefault(org, {})[kind] = sums
        changed.extend(
            _values(org, kind, today, spec, sums)
            for org in resum
            for kind, sums in found.get(org, {}).items()
        )
    for since, orgs in behind.items():
        for (org, kind), delta in (await _moved(session, orgs, windows, since, today)).items():
            sums = found[org].setdefault(kind, dict.fromkeys(COLUMNS, 0.0))
            for column in COLUMNS:
                sums[column] += delta[column]
        changed.extend(
            _values(org, kind, today, spec, sums)
            for org in orgs
            for kind, sums in found[org].items()
        )
    await _write(session, changed, resum)
    return found


async def add(session: AsyncSession, buckets: dict[tuple[int, str, date], list[float]]) -> None:
    """Add new day buckets (events, weight) to the stored window sums of their partners (in
    the fold's transaction); partners without stored sums are summed when derived."""
    orgs = sorted({org for org, _, _ in buckets})
    kinds = sorted({kind for _, kind, _ in buckets})
    stored: dict[int, dict[str, _Row]] = {}
    for row in await _stored(
        session,
        ProgramRollupWindow.partner_org_id.in_(orgs) & ProgramRollupWindow.kind.in_(kinds),
    ):
        stored.setdefault(row.org, {})[row.kind] = row
    # A partner with rows, none of them of these kinds: any one row gives its day and spec.
    others = [org for org in orgs if org not in stored]
    if others:
        for row in await _stored(
            session,
            ProgramRollupWindow.partner_org_id.in_(others),
            one_per_partner=True,
        ):
            stored.setdefault(row.org, {})[""] = row
    sums: dict[tuple[int, str], Sums] = {}
    for (org, kind, day), (events, weight) in buckets.items():
        rows = stored.get(org)
        if not rows:
            continue
        model = next(iter(rows.values()))  # every row of a partner is as of one day
        figures = sums.get((org, kind))
        if figures is None:
            had = rows.get(kind)
            figures = sums[(org, kind)] = (
                dict(had.sums) if had is not None else dict.fromkeys(COLUMNS, 0.0)
            )
        for window in _windows_of_spec(model.spec):
            if window.holds(day, model.as_of):
                figures[window.column] += weight if window.weighted else events
    changed = []
    for (org, kind), figures in sums.items():
        model = next(iter(stored[org].values()))
        changed.append(_values(org, kind, model.as_of, model.spec, figures))
    await _write(session, changed)
