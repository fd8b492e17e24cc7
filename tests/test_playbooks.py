"""Playbooks below the web: holdout arithmetic, outcomes on hand-built histories, one running
run per partner (also when two starts race), and the steps carried out through the sandboxes
over their real wire formats, and by SMTP to a real server the test runs."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from hub.connectors.backends import Backends
from hub.connectors.demo import demo_setup
from hub.connectors.records import PartnerRef, PersonRef
from hub.connectors.registry import adapters, build_backends
from hub.db import Database, PartnerOrg, User
from hub.db.engagement import ActionRule
from hub.db.playbooks import PlaybookRun, PlaybookStep
from hub.demo.seed import seed_demo
from hub.personas.audience import Requester, Segment
from hub.services.engagement import nba
from hub.services.playbooks import catalogue, outcomes, running_for, runs, timeline_entries
from hub.services.playbooks.definition import DEFAULTS
from hub.services.playbooks.outcomes import Outcome
from hub.services.playbooks.steps import Executor, end_runs, finish_due
from hub.services.program.config import ProgramConfig
from hub.services.program.insight import Event, History
from hub.store import KeyValueStore
from tests.conftest import make_settings

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


# --- holdout arithmetic ---------------------------------------------------------------


def test_holdouts_keep_the_share_over_single_starts() -> None:
    held, chosen = 0, []
    for n in range(20):
        due = outcomes.holdouts_due(n, held, 1, 0.2)
        held += due
        if due:
            chosen.append(n + 1)
    assert chosen == [3, 8, 13, 18]
    assert held == 4  # exactly 20 % of 20


@pytest.mark.parametrize(
    ("before", "held", "starting", "share", "due"),
    [
        (0, 0, 10, 0.2, 2),
        (0, 0, 10, 0.0, 0),
        (0, 0, 10, 0.5, 5),
        (0, 0, 3, 0.5, 2),  # 1.5 rounds half up
        (10, 2, 5, 0.2, 1),  # 15 × 0.2 = 3, two already held
        (10, 5, 5, 0.2, 0),  # over-held earlier: none now, never negative
        (0, 0, 1, 0.5, 1),
    ],
)
def test_holdouts_due(before: int, held: int, starting: int, share: float, due: int) -> None:
    assert outcomes.holdouts_due(before, held, starting, share) == due


# --- outcomes on hand-built histories ----------------------------------------------------


def history(*events: tuple[str, int]) -> History:
    """A partner with events ``(kind, days after NOW)`` (negative: before)."""
    return History(
        1, "p", "P", "Silver", "EMEA", "Reseller", NOW - timedelta(days=400),
        tuple(sorted((Event(kind, NOW + timedelta(days=d)) for kind, d in events),
                     key=lambda e: e.at)),
    )  # fmt: skip


CONFIG = ProgramConfig()
ENDS = NOW + timedelta(days=60)


def test_a_bare_sign_in_or_an_email_is_not_coming_back() -> None:
    found = outcomes.outcome(
        history(("sign_in", 3), ("vendor_email_opened", 4), ("page_viewed", 5)),
        CONFIG, NOW, ENDS, NOW + timedelta(days=90),
    )  # fmt: skip
    assert found == Outcome(None, None, None, window_over=True)
    assert found.decided


def test_meaningful_activity_deal_and_training_in_the_window_count() -> None:
    found = outcomes.outcome(
        history(("deal_registered", -5), ("campaign_redistributed", 10),
                ("quiz_passed", 20), ("deal_registered", 30), ("course_completed", 70)),
        CONFIG, NOW, ENDS, NOW + timedelta(days=90),
    )  # fmt: skip
    assert found.came_back_at == NOW + timedelta(days=10)
    assert found.deal_at == NOW + timedelta(days=30)  # the one before the start does not count
    assert found.training_at == NOW + timedelta(days=20)


def test_activity_after_the_window_is_not_the_playbooks() -> None:
    found = outcomes.outcome(history(("deal_won", 61)), CONFIG, NOW, ENDS, NOW + timedelta(days=90))
    assert found.came_back_at is None
    assert found.window_over


def test_an_open_window_without_return_counts_in_no_rate() -> None:
    quiet = outcomes.outcome(history(), CONFIG, NOW, ENDS, NOW + timedelta(days=10))
    back = outcomes.outcome(
        history(("lead_shared", 2)), CONFIG, NOW, ENDS, NOW + timedelta(days=10)
    )
    assert not quiet.decided
    assert back.decided
    found = outcomes.rate([quiet, back, Outcome(None, None, None, True)])
    assert (found.runs, found.decided, found.came_back, found.open) == (3, 2, 1, 1)
    assert found.share == 0.5


def rate_of(back: int, decided: int) -> outcomes.Rate:
    return outcomes.Rate(decided, decided, back, 0, 0)


def test_comparison_says_too_few_below_twenty_each() -> None:
    assert outcomes.compare(rate_of(9, 10), rate_of(1, 10)).code == "too_few"
    assert outcomes.compare(rate_of(0, 0), rate_of(1, 30)) == outcomes.Verdict("too_few", None)


def test_comparison_at_95_percent() -> None:
    better = outcomes.compare(rate_of(30, 50), rate_of(5, 25))
    assert better.code == "better"
    assert better.difference == pytest.approx(0.4)
    assert outcomes.compare(rate_of(12, 40), rate_of(6, 20)).code == "no_difference"
    assert outcomes.compare(rate_of(2, 40), rate_of(12, 20)).code == "worse"


# --- the database: starts, holdouts, one at a time ----------------------------------------


@pytest.fixture
async def orgs(db: Database) -> dict[str, PartnerOrg]:
    await seed_demo(db)
    async with db.transaction() as session:
        await catalogue.seed_playbooks(session, email_id="9000")
        return {o.slug: o for o in (await session.scalars(select(PartnerOrg))).all()}


def target(org: PartnerOrg) -> runs.Target:
    return runs.Target(org.id, org.slug, org.name)


@pytest.mark.anyio
async def test_a_partner_is_in_one_running_playbook(
    db: Database, orgs: dict[str, PartnerOrg]
) -> None:
    first = await runs.start(db, "win-back", [target(orgs["initech"])], by="cam", now=NOW)
    assert [s.target.slug for s in first.started] == ["initech"]
    again = await runs.start(
        db, "onboarding-rescue", [target(orgs["initech"]), target(orgs["globex"])], by="cam",
        now=NOW,
    )  # fmt: skip
    assert [s.target.slug for s in again.started] == ["globex"]
    (skipped,) = again.skipped
    assert skipped.target.slug == "initech"
    assert skipped.playbook == "Win-back: SPIF + email"
    assert skipped.until == NOW + timedelta(days=60)
    # The database itself refuses a second running run, whoever writes it.
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(
                PlaybookRun(
                    playbook_id=1, partner_org_id=orgs["initech"].id, status="running",
                    ends_at=NOW, definition={},
                )
            )  # fmt: skip
    # Once it ends, the partner is free again.
    await end_runs(db, [first.started[0].run_id], "stopped", NOW)
    later = await runs.start(db, "onboarding-rescue", [target(orgs["initech"])], by="cam", now=NOW)
    assert len(later.started) == 1


@pytest.mark.anyio
async def test_two_starts_at_once_make_one_run(db: Database, orgs: dict[str, PartnerOrg]) -> None:
    one = target(orgs["initech"])
    reports = await asyncio.gather(
        runs.start(db, "win-back", [one], by="a", now=NOW),
        runs.start(db, "onboarding-rescue", [one], by="b", now=NOW),
        runs.start(db, "win-back", [one], by="c", now=NOW),
        return_exceptions=True,
    )
    assert not [r for r in reports if isinstance(r, BaseException)], reports
    started = [s for r in reports if isinstance(r, runs.StartReport) for s in r.started]
    skipped = [s for r in reports if isinstance(r, runs.StartReport) for s in r.skipped]
    assert len(started) == 1
    assert len(skipped) == 2
    async with db.session() as session:
        count = await session.scalar(
            select(func.count(PlaybookRun.id)).where(PlaybookRun.status == "running")
        )
    assert count == 1


@pytest.mark.anyio
async def test_a_bulk_start_holds_out_its_share_and_they_get_no_steps(db: Database) -> None:
    await seed_demo(db, population_too=True, today=NOW)
    async with db.transaction() as session:
        await catalogue.seed_playbooks(session)
        found = (await session.scalars(select(PartnerOrg).order_by(PartnerOrg.slug))).all()
    targets = [target(o) for o in found[:10]]
    report = await runs.start(db, "win-back", targets, by="cam", now=NOW)
    held = [s for s in report.started if s.holdout]
    assert len(report.started) == 10
    assert len(held) == 2
    again_db_targets = [target(o) for o in found[10:15]]
    more = await runs.start(db, "win-back", again_db_targets, by="cam", now=NOW)
    assert sum(s.holdout for s in more.started) == 1  # 15 × 0.2 = 3 in all
    async with db.session() as session:
        steps = (await session.scalars(select(PlaybookStep))).all()
        summaries = await running_for(session, [o.id for o in found])
    held_ids = {s.run_id for s in held}
    assert not [s for s in steps if s.run_id in held_ids]
    assert {s.run_id for s in steps} == {s.run_id for s in report.started + more.started} - {
        s.run_id for s in more.started if s.holdout
    } - held_ids
    assert len(summaries) == 15
    # The same partners are held out for the same start: the choice is a hash, not luck.
    assert {s.target.slug for s in held} == {
        t.slug for t in sorted(targets, key=lambda t: runs._order("win-back", t))[:2]
    }


# --- steps through the sandboxes and SMTP ----------------------------------------------------


@dataclass
class Inbox:
    """What a real SMTP server (aiosmtpd) received."""

    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd checks it is up by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
async def sandboxes(store: KeyValueStore) -> AsyncIterator[Backends]:
    setup = demo_setup(adapters())
    async with httpx.AsyncClient(mounts=setup.mounts) as http:
        backends = build_backends(setup.configs, http, store)
        yield backends
        await backends.close()


def only(backends: Backends, *names: str) -> Backends:
    return Backends([c for c in backends.all() if c.config.name in names], backends.call)


async def steps_of(db: Database, run_id: int) -> dict[str, PlaybookStep]:
    async with db.session() as session:
        found = (
            await session.scalars(select(PlaybookStep).where(PlaybookStep.run_id == run_id))
        ).all()
    return {step.kind: step for step in found}


async def started_run(db: Database, org: PartnerOrg, slug: str = "win-back") -> int:
    report = await runs.start(db, slug, [target(org)], by="cam@vendor.example", now=NOW)
    (started,) = report.started
    assert not started.holdout
    return started.run_id


@pytest.mark.anyio
async def test_win_back_creates_the_spif_sends_through_mautic_and_suggests_the_action(
    db: Database, orgs: dict[str, PartnerOrg], sandboxes: Backends, tmp_path: Any
) -> None:
    settings = make_settings(tmp_path, db.url)
    run_id = await started_run(db, orgs["initech"])
    executor = Executor(db, sandboxes, settings)
    today = datetime.now(UTC)
    assert await executor.run_pending(today) == 3
    assert await executor.run_pending(today) == 0  # nothing twice
    steps = await steps_of(db, run_id)
    assert {k: s.status for k, s in steps.items()} == {
        "incentive": "done", "message": "done", "next_action": "done",
    }  # fmt: skip
    # The SPIF is on the incentive platform: the owner's SPIF list, read over its API, has it.
    owner = PersonRef("owner@initech.example", PartnerRef("initech"))
    spiffs = (await sandboxes.incentives.spiffs(owner)).value
    created = [s for s in spiffs if s.id == steps["incentive"].result["spiff"]]
    assert created
    assert created[0].name == "Comeback bonus: your next registered deal"
    assert created[0].reward.amount == Decimal("250.00")
    # Retrying the same key creates nothing new (the platform's idempotency).
    again = await sandboxes.create_spiff(
        PartnerRef("initech"),
        _offer(steps["incentive"].idempotency_key),
    )
    assert again.id == created[0].id
    # The email went through Mautic: its send log (the stats API) shows the send to the owner.
    assert steps["message"].result == {"sent": ["owner@initech.example"], "via": "tcma"}
    sent = (await sandboxes.tcma.vendor_emails(owner)).value
    assert [e.email_id for e in sent if e.read_at is None][:1] == ["9000"]  # newest first
    # The suggestion is the owner's, and nobody else's.
    async with db.session() as session:
        owner_id = await session.scalar(
            select(User.id).where(User.email == "owner@initech.example")
        )
        acme_owner = await session.scalar(select(User.id).where(User.email == "owner@acme.example"))
    assert owner_id is not None
    assert acme_owner is not None
    mine = await nba.next_best_actions(
        db, Requester(owner_id, "partner_owner", Segment("Reseller", "Registered", "APAC"),
                      orgs["initech"].id),
        {}, now=today, record_shown=False,
    )  # fmt: skip
    assert "Register your next deal and earn the comeback bonus" in [a.title for a in mine]
    theirs = await nba.next_best_actions(
        db, Requester(acme_owner, "partner_owner", Segment(), orgs["acme"].id), {}, now=today,
        record_shown=False,
    )  # fmt: skip
    assert "Register your next deal and earn the comeback bonus" not in [a.title for a in theirs]
    # When the run ends, the suggestion goes with it.
    await end_runs(db, [run_id], "finished", today)
    after = await nba.next_best_actions(
        db, Requester(owner_id, "partner_owner", Segment(), orgs["initech"].id), {}, now=today,
        record_shown=False,
    )  # fmt: skip
    assert "Register your next deal and earn the comeback bonus" not in [a.title for a in after]
    async with db.session() as session:
        entries = await timeline_entries(session, orgs["initech"].id)
    assert entries[0][1] == "playbook"
    assert any("started by cam@vendor.example" in text for _, _, text in entries)


def _offer(key: str) -> Any:
    from hub.connectors.records import Money
    from hub.connectors.writes import SpiffOffer

    today = datetime.now(UTC).date()
    return SpiffOffer(
        key, "again", "", Money(Decimal(250), "USD"), today, today + timedelta(days=5),
        ("owner@initech.example",),
    )  # fmt: skip


@pytest.mark.anyio
async def test_a_refused_incentive_is_failed_with_the_reason_and_retried_after_a_fix(
    db: Database, orgs: dict[str, PartnerOrg], sandboxes: Backends, tmp_path: Any
) -> None:
    document = dict(DEFAULTS["win-back"])
    document["steps"] = [{**document["steps"][0], "amount": "9000"}]
    async with db.transaction() as session:
        await catalogue.save_playbook(
            session, "big-bonus", document, active=True, by="admin", new=True
        )
    run_id = await started_run(db, orgs["initech"], "big-bonus")
    executor = Executor(db, only(sandboxes, "incentives"), make_settings(tmp_path, db.url))
    await executor.run_pending(datetime.now(UTC))
    step = (await steps_of(db, run_id))["incentive"]
    assert step.status == "failed"
    assert "over the programme's budget of 5000 per SPIF" in step.reason
    assert "spiff" not in step.result
    owner = PersonRef("owner@initech.example", PartnerRef("initech"))
    names = [s.name for s in (await sandboxes.incentives.spiffs(owner)).value]
    assert "Comeback bonus: your next registered deal" not in names  # hub and platform agree
    # A retry asks again; refused again, it stays failed (never done).
    await executor.retry(run_id, 1, datetime.now(UTC))
    step = (await steps_of(db, run_id))["incentive"]
    assert (step.status, step.attempts) == ("failed", 2)


@pytest.mark.anyio
async def test_without_a_marketing_platform_the_message_goes_by_smtp(
    db: Database, orgs: dict[str, PartnerOrg], sandboxes: Backends, tmp_path: Any,
    smtp: tuple[Inbox, int],
) -> None:  # fmt: skip
    inbox, port = smtp
    settings = make_settings(
        tmp_path, db.url, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
        smtp_from="Partner Program <partners@vendor.example>",
    )  # fmt: skip
    run_id = await started_run(db, orgs["initech"])
    executor = Executor(db, only(sandboxes, "incentives"), settings)
    await executor.run_pending(datetime.now(UTC))
    step = (await steps_of(db, run_id))["message"]
    assert step.status == "done", step.reason
    assert step.result["via"] == "smtp"
    (message,) = inbox.messages
    assert message["To"] == "owner@initech.example"
    assert message["Subject"] == "We miss you: a bonus on your next deal"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert "Hello Ian Novak" in body.decode()
    assert "since Initech registered" in body.decode()
    assert "Casey Morgan" in body.decode()


@pytest.mark.anyio
async def test_smtp_down_fails_the_step_and_a_retry_sends_once(
    db: Database, orgs: dict[str, PartnerOrg], sandboxes: Backends, tmp_path: Any,
    smtp: tuple[Inbox, int],
) -> None:  # fmt: skip
    inbox, port = smtp
    down = make_settings(
        tmp_path, db.url, smtp_host="127.0.0.1", smtp_port=1, smtp_security="none",
        smtp_timeout_seconds=2,
    )  # fmt: skip
    run_id = await started_run(db, orgs["initech"])
    await Executor(db, only(sandboxes, "incentives"), down).run_pending(datetime.now(UTC))
    step = (await steps_of(db, run_id))["message"]
    assert step.status == "failed"
    assert "SMTP server did not send it" in step.reason
    assert "unreachable" in step.reason
    assert inbox.messages == []
    up = make_settings(
        tmp_path, db.url, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none"
    )
    executor = Executor(db, only(sandboxes, "incentives"), up)
    await executor.retry(run_id, 2, datetime.now(UTC))
    assert (await steps_of(db, run_id))["message"].status == "done"
    with pytest.raises(LookupError):
        await executor.retry(run_id, 2, datetime.now(UTC))  # done: nothing to retry
    assert len(inbox.messages) == 1


@pytest.mark.anyio
async def test_no_way_to_send_is_said_and_the_window_end_finishes_the_run(
    db: Database, orgs: dict[str, PartnerOrg], tmp_path: Any
) -> None:
    run_id = await started_run(db, orgs["initech"])
    await Executor(db, Backends([]), make_settings(tmp_path, db.url)).run_pending(NOW)
    steps = await steps_of(db, run_id)
    assert steps["incentive"].reason == "no incentive platform is configured"
    assert "no marketing platform and no SMTP server" in steps["message"].reason
    assert await finish_due(db, NOW + timedelta(days=61)) == 1
    async with db.session() as session:
        run = await session.get(PlaybookRun, run_id)
        rule = await session.scalar(
            select(ActionRule).where(ActionRule.slug == f"playbook-run-{run_id}-3")
        )
    assert run is not None
    assert run.status == "finished"
    assert rule is not None
    assert not rule.active


@pytest.mark.anyio
async def test_the_demo_history_is_started_from_the_stories(db: Database) -> None:
    from hub.demo.playbooks import history_starts, seed_demo_playbooks

    today = datetime.now(UTC).date()
    await seed_demo(db, population_too=True)
    starts = history_starts(today)
    assert starts == history_starts(today)  # deterministic
    assert {slug for _, slug, _ in starts} == {"win-back", "onboarding-rescue"}
    added = await seed_demo_playbooks(db)
    assert added == len(starts)
    assert await seed_demo_playbooks(db) == 0  # once
    async with db.session() as session:
        found = await runs.runs(session)
    assert all(r.status == "finished" for r in found)
    assert any(r.holdout for r in found)
    assert "initech" not in {r.org_slug for r in found}


def test_a_write_mapping_is_checked_whole() -> None:
    from hub.connectors.rest import _parse_writes

    with pytest.raises(ValueError, match=r"writes\.delete_all: unknown write"):
        _parse_writes({"delete_all": {}})
    with pytest.raises(ValueError, match=r"body: expected a JMESPath expression"):
        _parse_writes({"create_spiff": {"path": "/v2/spiffs"}})
    with pytest.raises(ValueError, match=r"path: expected a path"):
        _parse_writes({"create_spiff": {"path": "/v2/{email}", "body": "@"}})
    with pytest.raises(ValueError, match=r"unknown key\(s\) method"):
        _parse_writes({"create_spiff": {"path": "/v2/spiffs", "body": "@", "method": "PUT"}})


def test_the_audit_line_of_a_large_bulk_start_fits() -> None:
    from hub.web.playbooks import _audit_target

    text = _audit_target("win-back", [f"partner-number-{n}" for n in range(200)])
    assert len(text) <= 500
    assert text.endswith("(200 partners)")


@pytest.mark.anyio
async def test_the_worker_carries_out_what_a_start_left_pending(
    db: Database, orgs: dict[str, PartnerOrg], sandboxes: Backends, store: KeyValueStore,
    tmp_path: Any,
) -> None:  # fmt: skip
    from hub.resources import Hub
    from hub.scheduler import run_playbooks

    now = datetime.now(UTC)
    report = await runs.start(db, "win-back", [target(orgs["initech"])], by="cam", now=now)
    old = await runs.start(db, "win-back", [target(orgs["globex"])], by="cam", now=NOW)
    async with httpx.AsyncClient() as http:
        hub = Hub(make_settings(tmp_path, db.url), db, store, http, backends=sandboxes)
        assert await run_playbooks(hub) == 3
        assert await run_playbooks(hub) == 0
    steps = await steps_of(db, report.started[0].run_id)
    assert {s.status for s in steps.values()} == {"done"}
    # A run whose window ended before the worker came round is finished, nothing sent.
    async with db.session() as session:
        run = await session.get(PlaybookRun, old.started[0].run_id)
    assert run is not None
    assert run.status == "finished"
    assert {s.status for s in (await steps_of(db, run.id)).values()} == {"pending"}
