"""The worker's rollups: folding events in any batches equals a full rebuild, and a summary
derived from the rollups equals one computed from the partner's history."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select

from hub.db import ActivityEvent, Database, PartnerOrg
from hub.db.program import ProgramRollupWindow, ProgramSummary
from hub.services import activity
from hub.services.activity import Activity
from hub.services.program import derive, insight, rollups, summaries
from hub.services.program.config import program_config, save_program_config
from hub.services.program.insight import Summary

pytestmark = pytest.mark.anyio
# Noon, and every event a whole number of days before it: windows by whole days then cut
# exactly where a history's windows do, so the two ways must agree to the last figure.
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
KINDS = (
    "sign_in", "page_viewed", "course_completed", "quiz_passed", "deal_registered",
    "deal_won", "campaign_redistributed", "lead_shared", "meeting_held", "call_logged",
    "vendor_email_sent", "vendor_email_opened", "asset_viewed", "partner_joined",
)  # fmt: skip
CURRENCIES = ("EUR", "USD", "GBP", "XTS")  # XTS: a currency without a rate


async def _orgs(db: Database, count: int) -> list[int]:
    async with db.transaction() as session:
        orgs = [
            PartnerOrg(
                slug=f"p{i}",
                name=f"Partner {i}",
                tier="Gold",
                region="EMEA",
                partner_type="Reseller",
                created_at=NOW - timedelta(days=400 + 60 * i),
            )
            for i in range(count)
        ]
        session.add_all(orgs)
        await session.flush()
        return [org.id for org in orgs]


def _events(rng: random.Random, org_ids: list[int], count: int, tag: str) -> list[Activity]:
    found = []
    for n in range(count):
        kind = rng.choice(KINDS)
        deal = rng.randrange(40)  # deal ids repeat: some registered deals are won
        found.append(
            Activity(
                key=f"{tag}:{n}",
                kind=kind,
                occurred_at=NOW
                - timedelta(days=rng.choice([rng.randrange(760), rng.randrange(90)])),
                partner_org_id=rng.choice(org_ids),
                object=f"deal-{deal}" if kind.startswith("deal") else f"o{n}",
                payload={
                    "amount": str(rng.randrange(1, 90_000)) + ".25",
                    "currency": rng.choice(CURRENCIES),
                }
                if kind.startswith("deal")
                else {},
            )
        )
    return found


async def _record(db: Database, events: list[Activity]) -> None:
    async with db.transaction() as session:
        await activity.record_all(session, events)


async def _docs(db: Database) -> dict[int, dict[str, Any]]:
    async with db.session() as session:
        return {r.partner_org_id: r.doc for r in (await session.scalars(select(ProgramSummary)))}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_folding_events_in_any_batches_equals_a_full_rebuild(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    org_ids = await _orgs(db, 5)
    events = _events(rng, org_ids, 600, f"s{seed}")
    cuts = sorted(rng.sample(range(1, len(events)), 4))
    batches = [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]
    await _record(db, batches[0])
    assert (await summaries.refresh(db, NOW)).full  # the first run builds the rollups
    for batch in batches[1:]:
        await _record(db, batch)
        step = await summaries.refresh(db, NOW)
        assert not step.full
        assert step.partners == len({event.partner_org_id for event in batch})
    assert (await summaries.refresh(db, NOW)).partners == 0  # nothing new, nothing redone
    folded = await _docs(db)
    assert (await summaries.refresh(db, NOW, full=True)).partners == 5
    assert await _docs(db) == folded


async def test_an_event_that_commits_after_a_later_one_is_folded_once(db: Database) -> None:
    """On PostgreSQL a slow transaction's event can commit after the mark has passed its id:
    the missing id is looked for again, and found once."""
    rng = random.Random(7)
    org_ids = await _orgs(db, 2)
    await _record(db, _events(rng, org_ids, 50, "a"))
    await summaries.refresh(db, NOW)
    await _record(db, _events(rng, org_ids, 30, "b"))
    async with db.transaction() as session:
        ids = sorted((await session.scalars(select(ActivityEvent.id))).all())
        late = await session.get(ActivityEvent, ids[-10])  # not yet committed, as it were
        assert late is not None
        kept = {c.key: getattr(late, c.key) for c in ActivityEvent.__mapper__.column_attrs}
        await session.execute(delete(ActivityEvent).where(ActivityEvent.id == late.id))
    await summaries.refresh(db, NOW)
    async with db.transaction() as session:
        session.add(ActivityEvent(**kept))  # it commits now, below the mark
    assert (await summaries.refresh(db, NOW)).partners == 1
    assert (await summaries.refresh(db, NOW)).partners == 0  # and only once
    folded = await _docs(db)
    await summaries.refresh(db, NOW, full=True)
    assert await _docs(db) == folded


def _same(derived: Summary, computed: Summary) -> None:
    assert derived.current == pytest.approx(computed.current, rel=1e-9, abs=1e-9)
    assert derived.earlier == pytest.approx(computed.earlier, rel=1e-9, abs=1e-9)
    for name in ("joined_at", "with_data", "stage_dates", "activated_at", "dormancy"):
        assert getattr(derived, name) == getattr(computed, name), name
    for name in ("trainings", "campaigns", "events"):
        assert getattr(derived, name) == getattr(computed, name), name
    assert derived.value.pipeline == computed.value.pipeline
    assert derived.value.revenue == computed.value.revenue
    assert derived.value.revenue_before == computed.value.revenue_before
    assert derived.value.unconverted == computed.value.unconverted


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"half_life_days": 7, "window_days": 60, "period_days": 14},
        {"activation": {"kind": "revenue", "amount": 150000}},
        {"activation": {"kind": "monthly_revenue", "months": 2, "amount": 1000}},
        {"activation": {"kind": "deals_won", "count": 3, "within_days": 300}},
    ],
)
@pytest.mark.parametrize("seed", [11, 12])
async def test_a_summary_from_the_rollups_equals_one_from_the_history(
    db: Database, seed: int, settings: dict[str, Any]
) -> None:
    rng = random.Random(seed)
    org_ids = await _orgs(db, 6)
    await _record(db, _events(rng, org_ids, 900, f"h{seed}"))
    # A partner quiet for the last months but busy a year ago: the seasonal rule's figures.
    await _record(
        db,
        [
            Activity(
                f"season:{d}", "meeting_held", NOW - timedelta(days=d), partner_org_id=org_ids[0]
            )
            for d in (300, 310, 420, 430)
        ],
    )
    if settings:
        async with db.transaction() as session:
            await save_program_config(session, settings)
    await summaries.refresh(db, NOW)
    async with db.session() as session:
        config = await program_config(session)
        state = await rollups.read_state(session)
        assert state.basis is not None
        derived = await derive.summaries(session, org_ids, config, state.basis, NOW)
        histories = await summaries.histories(session, NOW, org_ids)
    assert len(histories) == len(derived) == 6
    for history in histories:
        _same(derived[history.org_id], insight.summarize(history, config, NOW))
    assert any(s.value.unconverted for s in derived.values())
    assert any(s.value.pipeline > Decimal(0) for s in derived.values())


async def test_new_settings_rebuild_the_rollups_only_when_they_must(db: Database) -> None:
    org_ids = await _orgs(db, 3)
    await _record(db, _events(random.Random(5), org_ids, 200, "c"))
    await summaries.refresh(db, NOW)
    async with db.session() as session:
        first = (await rollups.read_state(session)).basis
    async with db.transaction() as session:
        await save_program_config(session, {"window_days": 60})
    redo = await summaries.refresh(db, NOW + timedelta(hours=1))
    assert (redo.full, redo.partners) == (True, 3)
    async with db.session() as session:
        assert (await rollups.read_state(session)).basis == first  # a window: same rollups
    async with db.transaction() as session:
        await save_program_config(session, {"half_life_days": 10})
    await summaries.refresh(db, NOW + timedelta(hours=2))
    async with db.session() as session:
        second = (await rollups.read_state(session)).basis
    assert second is not None
    assert second.half_life_days == 10  # another half-life: rebuilt under it
    derived = await _docs(db)
    await summaries.refresh(db, NOW + timedelta(hours=2), full=True)
    assert await _docs(db) == derived


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"half_life_days": 7, "window_days": 60, "period_days": 14, "dormancy": {"quiet_days": 20}},
    ],
)
async def test_window_sums_move_on_as_days_pass(db: Database, settings: dict[str, Any]) -> None:
    """The sums kept per kind are moved to each later day by the days entering and leaving
    each window (or summed again when too far behind), with new events folded in between:
    every summary still equals one computed from the history on that day."""
    rng = random.Random(21)
    org_ids = await _orgs(db, 5)
    await _record(db, _events(rng, org_ids, 700, "d0"))
    if settings:
        async with db.transaction() as session:
            await save_program_config(session, settings)
    await summaries.refresh(db, NOW)
    # Up to 37 days on, so no event falls out of the history a summary reads (800 days).
    for step, days in enumerate((1, 2, 9, 37)):  # the last: too far behind, summed again
        later = NOW + timedelta(days=days)
        await _record(db, _events(rng, org_ids[:3], 80, f"d{step + 1}"))
        report = await summaries.refresh(db, later)
        assert (report.full, report.partners) == (False, 5)  # a day on: every row derived
        async with db.session() as session:
            config = await program_config(session)
            histories = await summaries.histories(session, later, org_ids)
            kept = (await session.scalars(select(ProgramRollupWindow.as_of))).all()
        assert set(kept) == {later.date()}
        docs = await _docs(db)
        for history in histories:
            derived = summaries.SUMMARY.validate_python(docs[history.org_id])
            _same(derived, insight.summarize(history, config, later))


async def test_events_folded_into_sums_of_an_earlier_day_count_once(db: Database) -> None:
    """Events folded while the kept sums are as of an earlier day (the day changed between
    two runs), including one that commits late with an older id: the sums moved on to
    today equal a full rebuild's."""
    rng = random.Random(31)
    org_ids = await _orgs(db, 4)
    await _record(db, _events(rng, org_ids, 400, "e0"))
    await summaries.refresh(db, NOW)
    await _record(db, _events(rng, org_ids, 120, "e1"))
    async with db.transaction() as session:
        ids = sorted((await session.scalars(select(ActivityEvent.id))).all())
        late = await session.get(ActivityEvent, ids[-5])
        assert late is not None
        kept = {c.key: getattr(late, c.key) for c in ActivityEvent.__mapper__.column_attrs}
        await session.execute(delete(ActivityEvent).where(ActivityEvent.id == late.id))
    tomorrow = NOW + timedelta(days=1)
    await summaries.refresh(db, tomorrow)
    async with db.transaction() as session:
        session.add(ActivityEvent(**kept))
    await summaries.refresh(db, tomorrow + timedelta(days=2))
    folded = await _docs(db)
    async with db.session() as session:
        sums = {
            (r.partner_org_id, r.kind): (r.events, r.recent, r.quiet, r.back)
            for r in (await session.scalars(select(ProgramRollupWindow))).all()
        }
    await summaries.refresh(db, tomorrow + timedelta(days=2), full=True)
    async with db.session() as session:
        rebuilt = {
            (r.partner_org_id, r.kind): (r.events, r.recent, r.quiet, r.back)
            for r in (await session.scalars(select(ProgramRollupWindow))).all()
        }
    assert sums == rebuilt
    assert sum(events for events, *_ in sums.values()) > 0
    again = await _docs(db)
    for org_id, doc in folded.items():
        _same(
            summaries.SUMMARY.validate_python(doc), summaries.SUMMARY.validate_python(again[org_id])
        )
