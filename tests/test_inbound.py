"""Inbound activity: Standard Webhooks deliveries and the scheduled sync, both idempotent."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from hub.app import create_app
from hub.connectors.backends import Backends
from hub.connectors.records import (
    ActivityKind,
    Completion,
    Course,
    Deal,
    IncentiveClaim,
    IncentiveGoal,
    Kind,
    Lead,
    Money,
    QuizResult,
    Redistribution,
    SalesActivity,
    VendorEmail,
)
from hub.db import ActivityEvent, PartnerOrg, User
from hub.resources import Hub
from hub.services.sync import sync_activity
from tests.conftest import BASE_URL
from tests.fakes.connectors import FakeIncentives, FakeLMS, FakePRM, FakeTCMA, config

pytestmark = pytest.mark.anyio

SECRET = "whsec_" + base64.b64encode(b"a test signing secret of 32 bytes").decode()
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def signed(
    body: dict[str, Any],
    *,
    msg_id: str = "msg_1",
    when: datetime | None = None,
    secret: str = SECRET,
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body)
    stamp = when or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, stamp, raw)
    return raw.encode(), {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def event(kind: str = "course.completed", email: str = "rep@acme.example") -> dict[str, Any]:
    return {
        "type": kind,
        "timestamp": NOW.isoformat(),
        "data": {"email": email, "object": "course-42", "occurred_at": NOW.isoformat()},
    }


@pytest.fixture
async def webhook_client(seeded: Hub) -> Any:
    seeded.backends = Backends([FakeLMS(config("moodle", Kind.LMS, webhook_secret=SECRET))])
    transport = httpx.ASGITransport(app=create_app(seeded.settings, seeded))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


async def events(hub: Hub) -> list[ActivityEvent]:
    async with hub.db.session() as session:
        return list(
            (
                await session.scalars(select(ActivityEvent).where(ActivityEvent.kind != "sign_in"))
            ).all()
        )


async def test_a_signed_delivery_becomes_one_activity_event(
    webhook_client: httpx.AsyncClient, seeded: Hub
) -> None:
    body, headers = signed(event())
    response = await webhook_client.post("/webhooks/moodle", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"recorded": True, "kind": "course_completed"}
    [recorded] = await events(seeded)
    assert recorded.kind == "course_completed"
    assert recorded.object == "course-42"
    assert recorded.source == "moodle"
    assert recorded.occurred_at == NOW
    assert recorded.user_id is not None
    assert recorded.partner_org_id is not None


async def test_a_retried_delivery_records_nothing_twice(
    webhook_client: httpx.AsyncClient, seeded: Hub
) -> None:
    body, headers = signed(event(), msg_id="msg_same")
    first = await webhook_client.post("/webhooks/moodle", content=body, headers=headers)
    again = await webhook_client.post("/webhooks/moodle", content=body, headers=headers)
    assert first.json()["recorded"] is True
    assert again.status_code == 200
    assert again.json()["recorded"] is False
    assert len(await events(seeded)) == 1


@pytest.mark.parametrize(
    "tamper",
    ["wrong-secret", "old", "future", "body-changed", "no-signature", "garbage-signature"],
)
async def test_bad_signatures_are_refused(
    webhook_client: httpx.AsyncClient, seeded: Hub, tamper: str
) -> None:
    other = "whsec_" + base64.b64encode(b"some other secret entirely!!").decode()
    when = {
        "old": datetime.now(UTC) - timedelta(minutes=10),
        "future": datetime.now(UTC) + timedelta(minutes=10),
    }.get(tamper)
    body, headers = signed(event(), when=when, secret=other if tamper == "wrong-secret" else SECRET)
    if tamper == "body-changed":
        body = body.replace(b"course-42", b"course-43")
    if tamper == "no-signature":
        del headers["webhook-signature"]
    if tamper == "garbage-signature":
        headers["webhook-signature"] = "v1-no-comma"
    response = await webhook_client.post("/webhooks/moodle", content=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert await events(seeded) == []


async def test_unknown_connector_is_404(webhook_client: httpx.AsyncClient) -> None:
    body, headers = signed(event())
    response = await webhook_client.post("/webhooks/nobody", content=body, headers=headers)
    assert response.status_code == 404


async def test_an_invalid_event_is_a_clear_422(
    webhook_client: httpx.AsyncClient, seeded: Hub
) -> None:
    bad = event()
    bad["data"]["email"] = "not an email"
    body, headers = signed(bad)
    response = await webhook_client.post("/webhooks/moodle", content=body, headers=headers)
    assert response.status_code == 422
    assert "data.email" in response.json()["detail"]
    assert await events(seeded) == []


async def test_an_unhandled_event_type_is_acknowledged_not_recorded(
    webhook_client: httpx.AsyncClient, seeded: Hub
) -> None:
    body, headers = signed(event(kind="user.birthday"))
    response = await webhook_client.post("/webhooks/moodle", content=body, headers=headers)
    assert response.status_code == 202
    assert await events(seeded) == []


async def test_webhooks_need_no_csrf_token_but_a_signature(
    webhook_client: httpx.AsyncClient,
) -> None:
    response = await webhook_client.post("/webhooks/moodle", json=event())
    assert response.status_code == 401


def deal(deal_id: str, won: bool) -> Deal:
    return Deal(
        id=deal_id,
        name="Renewal",
        customer="Hooli",
        amount=Money(Decimal("12000.00"), "USD"),
        stage="Closed Won" if won else "Proposal",
        is_closed=won,
        is_won=won,
        registered_at=NOW - timedelta(days=30),
        closed_at=NOW if won else None,
        partner_account_id="001A",
        owner_email="rep@acme.example",
    )


async def test_sync_records_each_fact_once(seeded: Hub) -> None:
    course = Course("c1", "Selling the platform")
    backends = Backends(
        [
            FakePRM(
                config("sf", Kind.PRM),
                given={"deals": {"acme": [deal("006A", won=True), deal("006B", won=False)]}},
            ),
            FakeLMS(
                config("moodle", Kind.LMS),
                given={
                    "completions": {
                        "rep@acme.example": [Completion(course, "rep@acme.example", NOW)]
                    },
                    "quiz_results": {
                        "rep@acme.example": [
                            QuizResult(
                                "q1", "Quiz", "rep@acme.example", Decimal("0.95"), True, NOW
                            ),
                            QuizResult(
                                "q2", "Quiz 2", "rep@acme.example", Decimal("0.3"), False, NOW
                            ),
                        ]
                    },
                },
            ),
            FakeIncentives(
                config("inc", Kind.INCENTIVES),
                given={
                    "goals": {},
                    "claims": {
                        "rep@acme.example": [
                            IncentiveClaim(
                                "cl1", "Q4 SPIF", Money(Decimal(500), "USD"), "submitted", NOW
                            )
                        ]
                    },
                },
            ),
            FakeTCMA(
                config("mautic", Kind.TCMA),
                given={
                    "redistributions": {
                        "globex": [
                            Redistribution("camp1", "marketer@globex.example", "email", NOW, 120)
                        ]
                    },
                    "leads": {"globex": [Lead("L1", "Dana", "Umbrella", NOW, "camp1")]},
                },
            ),
        ]
    )
    first = await sync_activity(seeded.db, backends)
    kinds = sorted(e.kind for e in await events(seeded))
    assert kinds == sorted(
        [
            "deal_registered",
            "deal_registered",
            "deal_won",
            "course_completed",
            "quiz_passed",
            "claim_submitted",
            "campaign_redistributed",
            "lead_shared",
            *["partner_joined"] * 3,  # each org's agreement start, from the PRM
            *["agreement_state"] * 3,  # and how each agreement stands today
        ]
    )
    assert first.recorded == 14
    joined = {e.occurred_at.date() for e in await events(seeded) if e.kind == "partner_joined"}
    assert joined == {datetime.now(UTC).date() - timedelta(days=300)}
    again = await sync_activity(seeded.db, backends)
    assert again.recorded == 0
    assert again.seen == first.seen
    async with seeded.db.session() as session:
        assert (
            await session.scalar(
                select(func.count())
                .select_from(ActivityEvent)
                .where(ActivityEvent.kind != "sign_in")
            )
            == 14
        )


async def test_sync_records_meetings_held_and_calls_logged_once(seeded: Hub) -> None:
    activities = [
        SalesActivity("00U1", ActivityKind.MEETING, "QBR", NOW, "Rep@Acme.example", True),
        SalesActivity("00T1", ActivityKind.CALL, "Call: Hooli", NOW, "nobody@acme.example"),
        SalesActivity("00T2", ActivityKind.EMAIL, "Pricing", NOW - timedelta(days=1), None),
        SalesActivity("00T3", ActivityKind.TASK, "Send deck", NOW - timedelta(days=2)),
    ]
    prm = FakePRM(
        config("sf", Kind.PRM),
        given={"deals": {}, "partner_account": {}, "sales_activities": {"acme": activities}},
    )
    first = await sync_activity(seeded.db, Backends([prm]))
    assert (first.recorded, first.failures) == (4, 0)
    async with seeded.db.session() as session:
        acme = await session.scalar(select(PartnerOrg).where(PartnerOrg.slug == "acme"))
        rep = await session.scalar(select(User).where(User.email == "rep@acme.example"))
    assert acme is not None
    assert rep is not None
    recorded = {e.idempotency_key: e for e in await events(seeded)}
    assert sorted(recorded) == [
        "call_logged:00T1", "call_logged:00T2", "call_logged:00T3", "meeting_held:00U1",
    ]  # fmt: skip
    meeting = recorded["meeting_held:00U1"]
    assert (meeting.kind, meeting.user_id, meeting.partner_org_id) == (
        "meeting_held",
        rep.id,
        acme.id,
    )
    assert meeting.payload == {"with_vendor": True, "subject": "QBR", "type": "meeting"}
    assert meeting.occurred_at.replace(tzinfo=UTC) == NOW
    call = recorded["call_logged:00T1"]
    assert (call.kind, call.user_id, call.partner_org_id) == ("call_logged", None, acme.id)
    assert call.payload == {"with_vendor": False, "subject": "Call: Hooli", "type": "call"}
    assert {recorded[k].payload["type"] for k in ("call_logged:00T2", "call_logged:00T3")} == {
        "email",
        "task",
    }
    again = await sync_activity(seeded.db, Backends([prm]))
    assert (again.seen, again.recorded) == (4, 0)
    assert len(await events(seeded)) == 4


async def test_sync_records_vendor_emails_and_one_goal_snapshot_a_day(seeded: Hub) -> None:
    today = datetime.now(UTC).date()
    rep = "rep@acme.example"
    goals = [
        IncentiveGoal("g1", "Revenue", rep, today - timedelta(days=9), today + timedelta(days=10),
                      Decimal(200), Decimal(50), "USD"),
        IncentiveGoal("g0", "Last quarter", rep, today - timedelta(days=120),
                      today - timedelta(days=30), Decimal(200), Decimal(20), "USD"),
        IncentiveGoal("gz", "No target", rep, today, today, Decimal(0), Decimal(0), "units"),
    ]  # fmt: skip
    sends = [
        VendorEmail("s1", "e1", rep, NOW - timedelta(days=3), NOW - timedelta(days=2)),
        VendorEmail("s2", "e2", rep, NOW - timedelta(days=17)),
    ]
    backends = Backends(
        [
            FakeIncentives(
                config("inc", Kind.INCENTIVES), given={"goals": {rep: goals}, "claims": {}}
            ),
            FakeTCMA(
                config("mautic", Kind.TCMA),
                given={"vendor_emails": {rep: sends}, "leads": {}, "redistributions": {}},
            ),
        ]
    )
    first = await sync_activity(seeded.db, backends)
    again = await sync_activity(seeded.db, backends)
    assert (first.recorded, again.recorded) == (4, 0)  # 2 sends, 1 opened, 1 current goal
    found = {e.idempotency_key: e for e in await events(seeded)}
    snapshot = found[f"goal_progress:{rep}:g1:{today.isoformat()}"]
    assert snapshot.payload == {"share": "0.2500", "elapsed": "0.5000"}  # day 10 of 20
    assert snapshot.object == "g1"
    assert sorted(k for k in found if k.startswith("vendor_email")) == [
        "vendor_email_opened:s1", "vendor_email_sent:s1", "vendor_email_sent:s2",
    ]  # fmt: skip
    assert found["vendor_email_opened:s1"].occurred_at.replace(tzinfo=UTC) == NOW - timedelta(
        days=2
    )


async def test_sync_survives_a_backend_that_is_down(seeded: Hub) -> None:
    prm = FakePRM(
        config("sf", Kind.PRM), given={"deals": {"acme": [deal("006A", won=False)]}}, fail=True
    )
    report = await sync_activity(seeded.db, Backends([prm]))
    assert report.failures == 9  # three reads per org (account, deals, activities), refused
    assert report.recorded == 0
    prm.fail = False
    # acme's deal, and each org's agreement start and state today
    assert (await sync_activity(seeded.db, Backends([prm]))).recorded == 1 + 3 + 3


async def test_worker_settings_need_redis(seeded: Hub) -> None:
    from hub.scheduler import worker_settings

    with pytest.raises(ValueError, match="HUB_REDIS_URL"):
        worker_settings(seeded.settings)
    with_redis = seeded.settings.model_copy(
        update={"redis_url": SecretStr("redis://127.0.0.1:6379/0")}
    )
    options = worker_settings(with_redis)
    assert {f.__name__ for f in options["functions"]} == {
        "sync_backends",
        "evaluate_engagement",
        "refresh_summaries",
        "lapse_giving_budgets",
        "weekly_digest",
        "carry_out_playbooks",
        "index_content",
        "retry_account_pushes",
    }
    assert len(options["cron_jobs"]) == 8
