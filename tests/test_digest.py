"""The weekly digest, received over a real SMTP server (aiosmtpd) that the test starts."""

from __future__ import annotations

import asyncio
import email
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from email.policy import default as default_policy
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from sqlalchemy import func, select

from hub.app import create_app
from hub.db import Database, PartnerOrg, User
from hub.db.timeline import DigestSend, DormancySnapshot
from hub.db.types import utcnow
from hub.demo.seed import seed_demo
from hub.digest_delivery import digest_pass
from hub.resources import Hub
from hub.services import activity
from hub.services.activity import Activity
from hub.services.digest import compose
from hub.services.digest.send import DigestReport, SmtpMailer, send_digests
from hub.services.handover import assignment
from hub.store import KeyValueStore
from tests.conftest import BASE_URL, make_settings
from tests.helpers import csrf_from, demo_sign_in

pytestmark = pytest.mark.anyio


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        self.messages.append(email.message_from_bytes(content, policy=default_policy))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in str(m["To"])]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    yield inbox, port
    server.stop()


def body(message: Message, subtype: str) -> str:
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


async def prepare(db: Database) -> dict[str, int]:
    """Initech quiet for half a year (dormant), acme busy, globex active; Dana has globex."""
    await seed_demo(db)
    now = utcnow()
    async with db.transaction() as session:
        orgs = {o.slug: o.id for o in (await session.scalars(select(PartnerOrg))).all()}
        await activity.record_all(
            session,
            [
                Activity(
                    key=f"{slug}:{age}",
                    kind="deal_registered",
                    occurred_at=now - timedelta(days=age),
                    partner_org_id=orgs[slug],
                    payload={"amount": "1000", "currency": "USD"},
                )
                for slug, ages in {"acme": (2, 9), "globex": (5, 30), "initech": (190, 400)}.items()
                for age in ages
            ],
        )
    await assignment.reassign(
        db, orgs["globex"], to_email="dana@vendor.example", note="DACH desk",
        by_email="admin@vendor.example", by_roles=("admin",), may_see=False, now=now,
    )  # fmt: skip
    return orgs


async def run(db: Database, port: int, week: str, now: datetime | None = None) -> DigestReport:
    return await send_digests(
        db,
        SmtpMailer("127.0.0.1", port, security="none"),
        base_url=BASE_URL,
        sender="Partner Hub <hub@vendor.example>",
        now=now or utcnow(),
        week=week,
    )


async def test_the_first_digest_says_there_is_nothing_to_compare_and_goes_once(
    db: Database, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await prepare(db)
    first = await run(db, port, "2026-W49")
    again = await run(db, port, "2026-W49")
    assert (first.sent, first.failed) == (2, 0)
    assert (again.sent, again.already) == (0, 2)
    assert len(inbox.messages) == 2
    (casey,) = inbox.to("cam@vendor.example")
    assert casey["Subject"] == "Your partners this week: 1 dormant"
    assert casey.is_multipart()
    assert casey.get_content_type() == "multipart/alternative"
    text = body(casey, "plain")
    assert "This is the first digest, so there is nothing to compare with yet" in text
    assert f"{BASE_URL}/program/partners?status=dormant" in text
    assert f'<a href="{BASE_URL}/profile#digest">' in body(casey, "html")
    (dana,) = inbox.to("dana@vendor.example")
    assert "Dies ist Ihre Wochenübersicht für 2026-W49: 1 Partner betreuen Sie." in body(
        dana, "plain"
    )


async def test_newly_dormant_and_came_back_against_last_weeks_snapshot_in_german(
    db: Database, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    orgs = await prepare(db)
    async with db.transaction() as session:  # last week: initech active, globex dormant
        session.add_all(
            DormancySnapshot(week="2026-W48", partner_org_id=org_id, status=status, score=10.0)
            for org_id, status in (
                (orgs["acme"], "active"),
                (orgs["globex"], "dormant"),
                (orgs["initech"], "active"),
            )
        )
    report = await run(db, port, "2026-W49")
    assert report.sent == 2
    (casey,) = inbox.to("cam@vendor.example")
    assert casey["Subject"] == "Your partners this week: 1 newly dormant, 0 came back"
    text = body(casey, "plain")
    newly = text.split("Newly dormant (1)")[1].split("Came back")[0]
    assert f"Initech: {BASE_URL}/program/partners/initech" in newly
    assert "Globex" not in text  # Dana's now
    (dana,) = inbox.to("dana@vendor.example")  # Dana reads German
    assert dana["Subject"] == "Ihre Partner diese Woche: 0 neu ruhend, 1 zurück"
    german = body(dana, "plain")
    assert f"Globex: {BASE_URL}/program/partners/globex" in german.split("Zurück (1)")[1]
    assert 'lang="de"' in body(dana, "html")
    async with db.session() as session:
        weeks = (await session.scalars(select(DormancySnapshot.week).distinct())).all()
    assert sorted(weeks) == ["2026-W48", "2026-W49"]


async def test_two_workers_at_once_send_each_digest_once(
    db: Database, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await prepare(db)
    reports = await asyncio.gather(run(db, port, "2026-W50"), run(db, port, "2026-W50"))
    assert sum(r.sent for r in reports) == 2
    assert sorted(str(m["To"]) for m in inbox.messages) == sorted(
        ["Casey Morgan <cam@vendor.example>", "Dana Weber <dana@vendor.example>"]
    )
    async with db.session() as session:
        snapshots = await session.scalar(
            select(func.count())
            .select_from(DormancySnapshot)
            .where(DormancySnapshot.week == "2026-W50")
        )
    assert snapshots == 3


async def test_smtp_down_is_logged_not_marked_sent_and_retried_next_pass(
    db: Database, smtp: tuple[Inbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    inbox, port = smtp
    await prepare(db)
    down = await run(db, free_port(), "2026-W51")
    assert (down.sent, down.failed) == (0, 2)
    assert "mail server unreachable" in caplog.text
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(DigestSend)) == 0
    back = await run(db, port, "2026-W51")
    assert back.sent == 2
    assert len(inbox.messages) == 2


async def test_a_stale_claim_of_a_dead_worker_is_taken_over(
    db: Database, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await prepare(db)
    async with db.session() as session:
        cam = await session.scalar(select(User.id).where(User.email == "cam@vendor.example"))
    assert cam is not None
    now = utcnow()
    async with db.transaction() as session:  # claimed a minute ago: another worker is on it
        session.add(DigestSend(user_id=cam, week="2026-W52", claimed_at=now - timedelta(minutes=1)))
    fresh = await run(db, port, "2026-W52", now)
    assert fresh.sent == 1
    later = await run(db, port, "2026-W52", now + timedelta(minutes=20))
    assert later.sent == 1
    assert len(inbox.to("cam@vendor.example")) == 1


async def test_the_opt_out_on_the_profile_stops_the_digest(
    tmp_path: Path, database_url: str, db: Database, store: KeyValueStore, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await prepare(db)
    hooks: list[dict[str, object]] = []

    def chat(request: httpx.Request) -> httpx.Response:
        import json

        hooks.append(json.loads(request.content))
        return httpx.Response(200)

    settings = make_settings(
        tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
        digest_webhook_url="https://chat.example/hook", digest_weekday=0, digest_hour=7,
    )  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.MockTransport(chat)) as http:
        hub = Hub(settings=settings, db=db, store=store, http=http)
        transport = httpx.ASGITransport(app=create_app(settings, hub), client=("203.0.113.9", 1))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as web:
            token = await demo_sign_in(web, "cam@vendor.example")
            profile = await web.get("/profile")
            assert "Turn the weekly digest off" in profile.text
            assert (await web.post("/profile/digest", data={"digest": "off"})).status_code == 403
            off = await web.post("/profile/digest", data={"digest": "off", "csrf_token": token})
            assert off.status_code == 303
            assert off.headers["location"] == "/profile?said=digest_off#digest"
            page = await web.get(off.headers["location"])
            assert "The weekly digest is off" in page.text
            assert "Send me the weekly digest" in page.text
            bad = await web.post(
                "/profile/digest", data={"digest": "maybe", "csrf_token": csrf_from(page.text)}
            )
            assert bad.status_code == 400
            web.cookies.clear()
            partner = await demo_sign_in(web, "owner@acme.example")
            assert "Weekly digest" not in (await web.get("/profile")).text
            refused = await web.post(
                "/profile/digest", data={"digest": "off", "csrf_token": partner}
            )
            assert refused.status_code == 403
        report = await digest_pass(hub, datetime(2026, 12, 7, 8, tzinfo=UTC))
    assert report is not None
    assert report.week == "2026-W50"
    assert report.sent == 1
    assert [str(m["To"]) for m in inbox.messages] == ["Dana Weber <dana@vendor.example>"]
    assert len(hooks) == 1
    assert f"{BASE_URL}/program" in str(hooks[0]["text"])


def test_the_digest_week_is_the_latest_scheduled_moment() -> None:
    monday_8 = datetime(2026, 12, 7, 8, tzinfo=UTC)  # a Monday
    assert compose.week_of(monday_8, 0, 7) == ("2026-W50", datetime(2026, 12, 7, 7, tzinfo=UTC))
    assert compose.week_of(monday_8, 0, 9)[0] == "2026-W49"  # not yet 9: last week's is due
    assert compose.week_of(monday_8, 4, 7)[0] == "2026-W49"  # Friday's slot was last week
    sunday = datetime(2027, 1, 3, 23, tzinfo=UTC)
    assert compose.week_of(sunday, 6, 23)[0] == "2026-W53"
