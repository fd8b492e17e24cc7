"""Program insight's running rollups: the worker folds only new events into them.

Per partner org the rollups hold, by event kind and day, how many events there were and
their decay weight (:class:`~hub.db.program.ProgramRollup`); by kind, the first and last
moment and the first few moments (:class:`~hub.db.program.ProgramRollupKind`); and every
deal registered or won with its amount (:class:`~hub.db.program.ProgramDeal`). Windows
that depend on today are sums over whole days, kept per kind as of a day and moved on as
days pass (:mod:`hub.services.program.windows`), so they stay right without refolding.

A high-water mark of the activity log (the last event id folded) says what is new. On
PostgreSQL an id below the mark can still commit later (its transaction was slower), so
the ids missing below the mark are kept for a while and looked at again: every event is
folded exactly once. A rebuild reads the log a few partners at a time, each batch in its
own short transaction, so on SQLite the demo's sync is never locked out for long.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import ActivityEvent, Database, PartnerOrg
from hub.db.engagement import ProgramSetting
from hub.db.program import ProgramDeal, ProgramRollup, ProgramRollupKind, ProgramRollupWindow
from hub.db.writes import insert_ignoring_duplicates
from hub.services.activity import STATE_KINDS
from hub.services.program import windows
from hub.services.program.config import ProgramConfig

STATE_KEY = "program_rollup_state"
CHUNK = 5_000  # events folded per committed transaction
ORG_BATCH = 25  # partner orgs read per committed transaction of a rebuild
# Weights grow as 2 ** (half-lives since the epoch); well before a float overflows (about
# 1,000), the rollups are rebuilt on a new epoch.
SPAN = 600
# An id missing below the mark is looked for again this long (a slow transaction's event).
GAP_KEEP = timedelta(minutes=15)
GAPS_KEPT = 2_000
# A rebuild that started longer ago than this is taken to have died; the next run redoes it.
REBUILD_STALE = timedelta(hours=1)
MILLION = 10**6


@dataclass(frozen=True)
class Basis:
    """What the rollups were built under: the decay epoch and half-life, and how many first
    moments of each kind are kept (the largest ``nth`` the stages or the KPI count)."""

    epoch: datetime
    half_life_days: float
    firsts: int

    def _half_lives(self, at: datetime) -> float:
        return (at - self.epoch).total_seconds() / 86_400 / self.half_life_days

    def weight(self, at: datetime) -> float:
        return float(2.0 ** self._half_lives(at))

    def factor(self, until: datetime) -> float:
        """What a summed weight is multiplied by to give the decayed count at ``until``."""
        return float(0.5 ** self._half_lives(until))

    def serves(self, config: ProgramConfig, now: datetime) -> bool:
        """Whether rollups built under this basis can answer for ``config`` at ``now``."""
        return (
            self.half_life_days == config.half_life_days
            and self.firsts >= firsts_needed(config)
            and abs(self._half_lives(now)) < SPAN
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch.isoformat(),
            "half_life_days": self.half_life_days,
            "firsts": self.firsts,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Basis:
        return cls(
            datetime.fromisoformat(value["epoch"]),
            float(value["half_life_days"]),
            int(value["firsts"]),
        )


def firsts_needed(config: ProgramConfig) -> int:
    """The most first moments of one kind a stage or the activation KPI reads."""
    counts = [stage.nth for stage in config.stages]
    if config.activation.kind == "deals_won":
        counts.append(config.activation.count)
    return max([1, *counts])


def basis_for(config: ProgramConfig, now: datetime) -> Basis:
    """A new basis for a rebuild at ``now``: the epoch is the start of that day."""
    epoch = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return Basis(epoch, config.half_life_days, firsts_needed(config))


@dataclass
class RollupState:
    """Where folding stands: the mark, the ids missing below it, the basis, a rebuild."""

    hwm: int = 0
    gaps: list[tuple[int, int, str]] = field(default_factory=list)  # [low, high], when seen
    basis: Basis | None = None
    rebuilding: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "hwm": self.hwm,
            "gaps": [list(gap) for gap in self.gaps],
            "basis": self.basis.to_json() if self.basis else None,
            "rebuilding": self.rebuilding.isoformat() if self.rebuilding else None,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> RollupState:
        if not value:
            return cls()
        return cls(
            int(value.get("hwm", 0)),
            [(int(low), int(high), str(seen)) for low, high, seen in value.get("gaps", [])],
            Basis.from_json(value["basis"]) if value.get("basis") else None,
            datetime.fromisoformat(value["rebuilding"]) if value.get("rebuilding") else None,
        )

    def rebuild_running(self, now: datetime) -> bool:
        return self.rebuilding is not None and now - self.rebuilding < REBUILD_STALE


async def read_state(session: AsyncSession, *, lock: bool = False) -> RollupState:
    row = await session.get(ProgramSetting, STATE_KEY, with_for_update=lock)
    return RollupState.from_json(dict(row.value) if row else None)


async def _save_state(session: AsyncSession, state: RollupState) -> None:
    row = await session.get(ProgramSetting, STATE_KEY)
    if row is None:
        session.add(ProgramSetting(key=STATE_KEY, value=state.to_json()))
    else:
        row.value = state.to_json()


# --- folding ------------------------------------------------------------------------------

EventRow = tuple[int, int, str, datetime, str, "str | None", "str | None"]


def _e6(text: str | None) -> int | None:
    """An amount in millionths, or ``None`` when it does not parse."""
    if text is None:
        return None
    try:
        amount = Decimal(text)
    except (InvalidOperation, TypeError):
        return None
    if not amount.is_finite():
        return None
    return int((amount * MILLION).to_integral_value())


@dataclass
class Fold:
    """New events, folded in memory: what :func:`apply` adds to the stored rollups."""

    buckets: dict[tuple[int, str, date], list[float]] = field(default_factory=dict)
    kinds: dict[tuple[int, str], list[datetime]] = field(default_factory=dict)
    deals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def orgs(self) -> set[int]:
        return {org for org, _ in self.kinds}


def fold(rows: Iterable[EventRow], basis: Basis) -> Fold:
    """Fold events (id, org, kind, occurred at, object, amount, currency) into rollups."""
    found = Fold()
    for event_id, org_id, kind, at, obj, amount, currency in rows:
        at = at.astimezone(UTC)
        bucket = found.buckets.setdefault((org_id, kind, at.date()), [0, 0.0])
        bucket[0] += 1
        bucket[1] += basis.weight(at)
        found.kinds.setdefault((org_id, kind), []).append(at)
        if kind in ("deal_registered", "deal_won"):
            found.deals.append(
                {
                    "event_id": event_id,
                    "partner_org_id": org_id,
                    "won": kind == "deal_won",
                    "object": obj or "",
                    "at": at,
                    "amount_e6": _e6(amount),
                    "currency": currency or "",
                }
            )
    return found


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def apply(session: AsyncSession, found: Fold, basis: Basis) -> None:
    """Add a fold to the stored rollups (in the caller's transaction)."""
    if not found.kinds:
        return
    insert = _insert(session)
    table = ProgramRollup.__table__
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["partner_org_id", "kind", "day"],
        set_={
            "events": table.c.events + statement.excluded.events,
            "weight": table.c.weight + statement.excluded.weight,
        },
    )
    await session.execute(
        statement,
        [
            {"partner_org_id": org, "kind": kind, "day": day, "events": int(n), "weight": w}
            for (org, kind, day), (n, w) in found.buckets.items()
        ],
    )
    stored = {
        (row.partner_org_id, row.kind): row
        for row in (
            await session.scalars(
                select(ProgramRollupKind).where(
                    ProgramRollupKind.partner_org_id.in_(sorted(found.orgs)),
                    ProgramRollupKind.kind.in_(sorted({kind for _, kind in found.kinds})),
                )
            )
        ).all()
    }
    kinds_table = ProgramRollupKind.__table__
    upsert = insert(kinds_table)
    upsert = upsert.on_conflict_do_update(
        index_elements=["partner_org_id", "kind"],
        set_={
            "first_at": upsert.excluded.first_at,
            "last_at": upsert.excluded.last_at,
            "firsts": upsert.excluded.firsts,
        },
    )
    merged = []
    for (org, kind), moments in found.kinds.items():
        old = stored.get((org, kind))
        every = sorted(moments)
        last = every[-1]
        if old is not None:
            every = sorted([*every, *(datetime.fromisoformat(t) for t in old.firsts)])
            last = max(last, old.last_at)
        merged.append(
            {
                "partner_org_id": org,
                "kind": kind,
                "first_at": min(every[0], old.first_at) if old is not None else every[0],
                "last_at": last,
                "firsts": [t.isoformat() for t in every[: basis.firsts]],
            }
        )
    await session.execute(upsert, merged)
    await insert_ignoring_duplicates(session, ProgramDeal, found.deals, unique=["event_id"])
    await windows.add(session, found.buckets)


def _events_query() -> Any:
    return select(
        ActivityEvent.id,
        ActivityEvent.partner_org_id,
        ActivityEvent.kind,
        ActivityEvent.occurred_at,
        ActivityEvent.object,
        ActivityEvent.payload["amount"].as_string(),
        ActivityEvent.payload["currency"].as_string(),
    ).where(ActivityEvent.partner_org_id.is_not(None), ActivityEvent.kind.not_in(STATE_KINDS))


def _gaps_between(low: int, ids: Sequence[int], seen: str) -> list[tuple[int, int, str]]:
    """The ranges of ids missing between ``low`` (folded) and each id of ``ids`` (sorted)."""
    found = []
    previous = low
    for event_id in ids:
        if event_id > previous + 1:
            found.append((previous + 1, event_id - 1, seen))
        previous = event_id
    return found


def _without(
    gaps: Sequence[tuple[int, int, str]], ids: Iterable[int]
) -> list[tuple[int, int, str]]:
    """``gaps`` with ``ids`` (now folded) taken out of them."""
    remaining = list(gaps)
    for event_id in sorted(set(ids)):
        split: list[tuple[int, int, str]] = []
        for low, high, seen in remaining:
            if low <= event_id <= high:
                split.extend(
                    gap
                    for gap in ((low, event_id - 1, seen), (event_id + 1, high, seen))
                    if gap[0] <= gap[1]
                )
            else:
                split.append((low, high, seen))
        remaining = split
    return remaining


async def fold_new(db: Database, now: datetime) -> set[int] | None:
    """Fold the events recorded since the last fold; the partner orgs they touched.

    ``None`` when there are no rollups to fold into (no basis yet, or a rebuild is under
    way): the caller rebuilds, or leaves it to the rebuild."""
    changed: set[int] = set()
    first = True
    while True:
        async with db.transaction() as session:
            state = await read_state(session, lock=True)
            if state.basis is None or state.rebuilding is not None:
                return None
            rows: list[EventRow] = list(
                (
                    await session.execute(
                        _events_query()
                        .where(ActivityEvent.id > state.hwm)
                        .order_by(ActivityEvent.id)
                        .limit(CHUNK)
                    )
                ).all()
            )
            late: list[EventRow] = []
            if first and state.gaps:
                late = list(
                    (
                        await session.execute(
                            _events_query().where(
                                or_(
                                    *(
                                        ActivityEvent.id.between(low, high)
                                        for low, high, _ in state.gaps
                                    )
                                )
                            )
                        )
                    ).all()
                )
            found = fold([*late, *rows], state.basis)
            await apply(session, found, state.basis)
            keep_after = (now - GAP_KEEP).isoformat()
            gaps = [
                gap
                for gap in _without(state.gaps, (row[0] for row in late))
                if gap[2] >= keep_after
            ]
            ids = [row[0] for row in rows]
            gaps.extend(_gaps_between(state.hwm, ids, now.isoformat()))
            state.gaps = gaps[-GAPS_KEPT:]
            state.hwm = ids[-1] if ids else state.hwm
            await _save_state(session, state)
            changed |= found.orgs
        first = False
        if len(rows) < CHUNK:
            return changed


async def rebuild(db: Database, config: ProgramConfig, now: datetime) -> Basis | None:
    """Rebuild every rollup from the activity log, a few partners per transaction; the new
    basis, or ``None`` when another rebuild is under way."""
    basis = basis_for(config, now)
    async with db.transaction() as session:
        state = await read_state(session, lock=True)
        if state.rebuild_running(now):
            return None
        hwm = await session.scalar(select(func.max(ActivityEvent.id))) or 0
        await _save_state(session, RollupState(hwm, [], basis, now))
    for model in (ProgramRollupWindow, ProgramRollup, ProgramRollupKind, ProgramDeal):
        async with db.transaction() as session:
            await session.execute(delete(model))
    async with db.session() as session:
        org_ids = list((await session.scalars(select(PartnerOrg.id).order_by(PartnerOrg.id))).all())
    for start in range(0, len(org_ids), ORG_BATCH):
        batch = org_ids[start : start + ORG_BATCH]
        async with db.transaction() as session:
            condition: ColumnElement[bool] = and_(
                ActivityEvent.partner_org_id.in_(batch), ActivityEvent.id <= hwm
            )
            rows = (await session.execute(_events_query().where(condition))).all()
            await apply(session, fold(rows, basis), basis)
    async with db.transaction() as session:
        state = await read_state(session, lock=True)
        state.rebuilding = None
        await _save_state(session, state)
    return basis
