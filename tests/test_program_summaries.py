"""The worker's summaries: the incremental path equals a full recompute, pages read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from hub.cli import main
from hub.db import ActivityEvent, Database, PartnerOrg
from hub.db.program import ProgramSummary
from hub.demo.cast import ORGS
from hub.demo.population import population
from hub.resources import Hub
from hub.services import activity
from hub.services.activity import Activity
from hub.services.program import summaries, views
from hub.services.program.config import save_program_config

pytestmark = pytest.mark.anyio
NOW = datetime.now(UTC).replace(microsecond=0)


async def orgs_of(db: Database) -> dict[str, int]:
    async with db.session() as session:
        return {o.slug: o.id for o in (await session.scalars(select(PartnerOrg))).all()}


async def record(db: Database, slug: str, *ages: int, kind: str = "deal_registered") -> None:
    orgs = await orgs_of(db)
    async with db.transaction() as session:
        await activity.record_all(
            session,
            [
                Activity(
                    key=f"{slug}:{kind}:{age}",
                    kind=kind,
                    occurred_at=NOW - timedelta(days=age),
                    partner_org_id=orgs[slug],
                    object=f"{slug}-{kind}-{age}",
                    payload={"amount": "2500", "currency": "EUR"},
                )
                for age in ages
            ],
        )


async def docs(db: Database) -> dict[int, dict[str, object]]:
    async with db.session() as session:
        rows = (await session.scalars(select(ProgramSummary))).all()
        return {row.partner_org_id: row.doc for row in rows}


async def test_the_incremental_path_equals_a_full_recompute(seeded: Hub) -> None:
    db = seeded.db
    await record(db, "acme", 3, 30, 200)
    await record(db, "globex", 10, 70, kind="campaign_redistributed")
    first = await summaries.refresh(db, NOW)
    assert (first.full, first.partners) == (True, 3)
    # The rollups keep a mark of what they folded: nothing changed, nothing redone.
    again = await summaries.refresh(db, NOW)
    assert (again.full, again.partners) == (False, 0)

    await record(db, "acme", 1, 2, kind="deal_won")
    await record(db, "initech", 400, kind="quiz_passed")
    step = await summaries.refresh(db, NOW)
    orgs = await orgs_of(db)
    assert (step.full, step.partners) == (False, 2)  # only the two that changed
    incremental = await docs(db)
    won = incremental[orgs["acme"]]["value"]
    assert Decimal(won["revenue"]) == Decimal("5400")  # type: ignore[index]  # 2 x 2500 EUR

    full = await summaries.refresh(db, NOW, full=True)
    assert (full.full, full.partners) == (True, 3)
    assert await docs(db) == incremental


async def test_new_settings_make_the_next_run_redo_everything(seeded: Hub) -> None:
    db = seeded.db
    await record(db, "acme", 3)
    await summaries.refresh(db, NOW)
    async with db.transaction() as session:
        await save_program_config(session, {"window_days": 60})
    async with db.session() as session:
        from hub.services.program.config import program_config

        assert await summaries.status(session, await program_config(session)) == (0, 3)
    redo = await summaries.refresh(db, NOW)
    assert (redo.full, redo.partners) == (True, 3)


async def test_pages_read_the_summaries_and_fill_in_a_partner_without_one(seeded: Hub) -> None:
    db = seeded.db
    await record(db, "acme", 3, 10, 20)
    await summaries.refresh(db, NOW)
    orgs = await orgs_of(db)
    async with db.transaction() as session:
        # The log is gone but the summary stays: the page shows what the worker computed.
        await session.execute(delete(ActivityEvent))
        await session.execute(
            delete(ProgramSummary).where(ProgramSummary.partner_org_id == orgs["globex"])
        )
    admin = await _user_id(db, "admin@vendor.example")
    found = await views.program(db, admin, NOW)
    acme = views.partner_of(found, "acme")
    assert acme.summary.events == 3
    assert views.partner_of(found, "globex").summary.events == 0  # filled in, from the log
    assert found.computed_at == NOW
    assert found.outdated == 0


async def _user_id(db: Database, email: str) -> int:
    from hub.db import User

    async with db.session() as session:
        found = await session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


def test_the_recompute_command_summarises_every_partner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("HUB_DATABASE_URL", "HUB_REDIS_URL", "HUB_CONNECTORS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUB_DEMO", "1")
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["migrate"]) == 0
    assert main(["seed-demo"]) == 0
    capsys.readouterr()
    assert main(["program-recompute"]) == 0
    everyone = len(ORGS) + len(population(datetime.now(UTC).date()).orgs)
    assert f"{everyone} partners summarised" in capsys.readouterr().out
    # Nothing was recorded since: the rollups' mark says so, and nothing is redone.
    assert main(["program-recompute", "--changed"]) == 0
    assert "program insight: 0 partners summarised" in capsys.readouterr().out
