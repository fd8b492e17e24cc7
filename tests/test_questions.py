"""Ask an expert: a partner asks, the topic's expert answers, the asker is told; isolation on
every route, bad input, response times, the experts' next best action, published answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from hub.db import Database, User
from hub.db.questions import Question, QuestionAnswer, QuestionTopic, TopicExpert
from hub.demo.questions import seed_demo_questions
from hub.demo.seed import seed_demo
from hub.personas.audience import Requester, Segment
from hub.resources import Hub
from hub.services.engagement.seed import seed_engagement
from hub.services.homepage import HomepageServices
from hub.services.questions import public_questions, timing
from hub.services.questions.timing import percentile
from tests.conftest import BASE_URL
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio
SCRIPT = "<script>alert('x')</script> How do we renew?"
Client = Callable[[str], Awaitable[tuple[httpx.AsyncClient, str]]]


@pytest.fixture
async def people(app: Starlette, hub: Hub) -> AsyncIterator[Client]:
    """Signed-in clients of demo people, over the seeded demo with its questions."""
    await seed_demo(hub.db)
    await seed_demo_questions(hub.db)
    opened: list[httpx.AsyncClient] = []

    async def sign_in(email: str) -> tuple[httpx.AsyncClient, str]:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        client = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
        opened.append(client)
        return client, await demo_sign_in(client, email)

    yield sign_in
    for client in opened:
        await client.aclose()


async def scalar(db: Database, statement: object) -> object:
    async with db.session() as session:
        return await session.scalar(statement)  # type: ignore[call-overload]


async def topic_id(db: Database, slug: str) -> int:
    found = await scalar(db, select(QuestionTopic.id).where(QuestionTopic.slug == slug))
    assert isinstance(found, int)
    return found


async def question_id(db: Database, title: str) -> int:
    found = await scalar(db, select(Question.id).where(Question.title == title))
    assert isinstance(found, int), title
    return found


async def test_a_partner_asks_the_expert_answers_and_the_asker_is_told(
    people: Client, hub: Hub
) -> None:
    rep, token = await people("rep@acme.example")
    page = await rep.get("/questions")
    assert page.status_code == 200
    assert "Technical integration" in page.text
    assert "How do I quote a three-year subscription" in page.text  # the org's own
    assert "Which API version should a new integration use?" in page.text  # published
    asked = await rep.post(
        "/questions",
        data={
            "topic": str(await topic_id(hub.db, "technical-integration")),
            "title": SCRIPT,
            "body": "Line one\n<b>bold?</b>",
            "csrf_token": token,
        },
    )
    assert asked.status_code == 303
    location = asked.headers["location"]
    new_id = int(re.findall(r"/questions/(\d+)", location)[0])
    shown = await rep.get(location)
    assert "<script>alert" not in shown.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in shown.text
    assert "&lt;b&gt;bold?&lt;/b&gt;" in shown.text
    assert "Your question went to the experts for Technical integration" in shown.text

    expert, expert_token = await people("expert@vendor.example")
    queue = await expert.get("/experts/questions")
    assert "&lt;script&gt;" in queue.text
    assert "Acme Corporation" in queue.text
    widget = await expert.get("/widgets/expert_questions")
    assert widget.status_code == 200
    assert f"/experts/questions/{new_id}" in widget.text
    answered = await expert.post(
        f"/experts/questions/{new_id}/answer",
        data={"answer": "Renew in the PRM under Agreements.", "csrf_token": expert_token},
    )
    assert answered.status_code == 303

    notices = await rep.get("/notifications")
    assert "An expert answered your question" in notices.text
    assert f'href="/questions/{new_id}"' in notices.text
    final = await rep.get(f"/questions/{new_id}")
    assert "Renew in the PRM under Agreements." in final.text
    assert "Erin Fischer" in final.text
    async with hub.db.session() as session:
        row = await session.get(Question, new_id)
        assert row is not None
        assert row.status == "answered"
        assert row.first_answered_at is not None
        assert row.language == "en"


async def test_every_route_hides_another_orgs_question(people: Client, hub: Hub) -> None:
    acme_private = await question_id(
        hub.db, "Is there a partner discount for the new analytics add-on?"
    )
    acme_public = await question_id(hub.db, "Which API version should a new integration use?")
    globex_segment = await question_id(hub.db, "Wie lange ist ein registrierter Deal geschützt?")
    missing = 999_999
    greta, token = await people("owner@globex.example")
    assert (await greta.get(f"/questions/{acme_private}")).status_code == 404
    assert (await greta.get(f"/questions/{missing}")).status_code == 404
    # Published to every partner of its topic: readable, naming nobody who asked.
    public = await greta.get(f"/questions/{acme_public}")
    assert public.status_code == 200
    assert "Acme" not in public.text
    assert "Sam Okafor" not in public.text
    listing = await greta.get("/questions")
    assert "analytics add-on" not in listing.text
    # Published to Globex's segment only: Acme (another segment) never sees it.
    raj, _raj_token = await people("rep@acme.example")
    assert (await raj.get(f"/questions/{globex_segment}")).status_code == 404
    assert "registrierter Deal" not in (await raj.get("/questions")).text
    # Partners are not experts: 403 on the queue and its actions, whatever the id.
    for path in ("/experts/questions", f"/experts/questions/{acme_private}"):
        assert (await greta.get(path)).status_code == 403
    post = await greta.post(
        f"/experts/questions/{acme_private}/answer", data={"answer": "x", "csrf_token": token}
    )
    assert post.status_code == 403
    assert (await greta.get("/program/questions")).status_code == 403
    assert (await greta.get("/admin/questions")).status_code == 403
    # A partner may not open the experts' widget, nor change topics or the wait.
    assert (await greta.get("/widgets/expert_questions")).status_code in (403, 404)
    for path, data in (
        ("/admin/questions/topics", {"slug": "sneaky", "name": "Sneaky"}),
        ("/admin/questions/wait", {"wait_hours": "1"}),
    ):
        assert (await greta.post(path, data={**data, "csrf_token": token})).status_code == 403
    # An expert of other topics: 404 alike for a question outside theirs and for none.
    cam, cam_token = await people("cam@vendor.example")
    for target in (acme_private, missing):
        assert (await cam.get(f"/experts/questions/{target}")).status_code == 404
        for action, data in (("answer", {"answer": "x"}), ("publish", {"scope": "topic"})):
            refused = await cam.post(
                f"/experts/questions/{target}/{action}",
                data={**data, "summary": "s", "csrf_token": cam_token},
            )
            assert refused.status_code == 404
    assert "analytics add-on" not in (await cam.get("/experts/questions")).text
    # A channel manager is no administrator: topics and the wait stay as they are.
    refused = await cam.post(
        "/admin/questions/topics",
        data={"slug": "sneaky", "name": "Sneaky", "csrf_token": cam_token},
    )
    assert refused.status_code == 403
    assert await scalar(hub.db, select(func.count()).where(QuestionTopic.slug == "sneaky")) == 0
    answers = await scalar(
        hub.db, select(func.count()).where(QuestionAnswer.question_id == acme_private)
    )
    assert answers == 0


async def test_bad_questions_are_refused_with_what_was_typed(people: Client, hub: Hub) -> None:
    rep, token = await people("rep@acme.example")
    pricing = str(await topic_id(hub.db, "pricing-licensing"))
    before = await scalar(hub.db, select(func.count(Question.id)))
    cases = [
        ({"topic": pricing, "title": "Hm", "body": "kept text"}, "a title of 5 to 200"),
        ({"topic": pricing, "title": "A long one", "body": "x" * 5_001}, "at most 5,000"),
        ({"topic": "nonsense", "title": "A fine title", "body": "kept"}, "Choose one of"),
        # Deal registration is for Gold and Silver partners; Initech is Registered.
        ({"topic": "999999", "title": "A fine title", "body": "kept"}, "Choose one of"),
    ]
    for data, message in cases:
        answer = await rep.post("/questions", data={**data, "csrf_token": token})
        assert answer.status_code == 422, data
        assert message in answer.text
        assert data["body"][:50] in answer.text
    ian, ian_token = await people("owner@initech.example")
    other_audience = await ian.post(
        "/questions",
        data={
            "topic": str(await topic_id(hub.db, "deal-registration")),
            "title": "Can we register?",
            "csrf_token": ian_token,
        },
    )
    assert other_audience.status_code == 422
    no_csrf = await rep.post("/questions", data={"topic": pricing, "title": "No token here"})
    assert no_csrf.status_code == 403
    assert await scalar(hub.db, select(func.count(Question.id))) == before


async def test_publishing_lists_the_question_for_the_library(people: Client, hub: Hub) -> None:
    async with hub.db.session() as session:
        records = await public_questions(session)
    titles = {record.title: record for record in records}
    assert set(titles) == {
        "How do I quote a three-year subscription with the launch discount?",
        "Which API version should a new integration use?",
        "Wie lange ist ein registrierter Deal geschützt?",
    }
    german = titles["Wie lange ist ein registrierter Deal geschützt?"]
    assert german.language == "de"
    assert german.topic == "Deal registration"
    assert german.reaches(Segment("Distributor", "Silver", "EMEA"))
    assert not german.reaches(Segment("Reseller", "Gold", "North America"))
    assert german.url == f"/questions/{german.id}"
    assert german.summary

    marketing = await question_id(hub.db, "Can MDF pay for a booth at a regional trade show?")
    dana, token = await people("dana@vendor.example")
    missing_summary = await dana.post(
        f"/experts/questions/{marketing}/publish",
        data={"scope": "topic", "summary": " ", "csrf_token": token},
    )
    assert missing_summary.status_code == 422
    assert "braucht es eine Zusammenfassung" in missing_summary.text  # Dana reads German
    published = await dana.post(
        f"/experts/questions/{marketing}/publish",
        data={"scope": "topic", "summary": "Yes, in your region.", "csrf_token": token},
    )
    assert published.status_code == 303
    raj, _ = await people("rep@acme.example")
    assert (await raj.get(f"/questions/{marketing}")).status_code == 200
    withdrawn = await dana.post(
        f"/experts/questions/{marketing}/publish",
        data={"scope": "", "summary": "", "csrf_token": token},
    )
    assert withdrawn.status_code == 303
    assert (await raj.get(f"/questions/{marketing}")).status_code == 404
    async with hub.db.session() as session:
        assert len(await public_questions(session)) == 3


def test_percentiles_are_nearest_rank() -> None:
    hours = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert percentile(hours, 0.9) == 9.0
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([*hours, 100.0], 0.9) == 10.0


async def test_response_times_per_topic_over_a_named_period(people: Client, hub: Hub) -> None:
    now = datetime.now(UTC)
    times = {
        t.topic: t
        for t in await timing.response_times(hub.db, since=now - timedelta(days=30), now=now)
    }
    pricing = times["Pricing and licensing"]
    assert (pricing.asked, pricing.answered, pricing.waiting) == (2, 1, 1)
    assert pricing.median_hours == pytest.approx(5)
    assert pricing.p90_hours == pytest.approx(5)
    assert pricing.longest_wait_hours == pytest.approx(30, abs=0.1)
    recent = {
        t.topic: t
        for t in await timing.response_times(hub.db, since=now - timedelta(days=5), now=now)
    }
    assert recent["Technical integration"].asked == 0
    assert recent["Technical integration"].median_hours is None

    cam, _ = await people("cam@vendor.example")
    page = await cam.get("/program/questions", params={"days": "30"})
    assert page.status_code == 200
    assert "Pricing and licensing" in page.text
    assert "5.0 h" in page.text
    assert "20.0 h" in page.text  # deal registration, answered after 20 hours
    assert (await cam.get("/program/questions", params={"days": "7"})).status_code == 400
    assert (await cam.get("/program/questions", params={"days": "x"})).status_code == 400


async def test_a_question_waiting_too_long_is_the_experts_next_best_action(
    people: Client, hub: Hub
) -> None:
    await seed_engagement(hub.db)
    services = HomepageServices(hub.db, hub.store, hub.backends)
    expert = await scalar(hub.db, select(User.id).where(User.email == "expert@vendor.example"))
    cam = await scalar(hub.db, select(User.id).where(User.email == "cam@vendor.example"))
    assert isinstance(expert, int)
    assert isinstance(cam, int)
    now = datetime.now(UTC)

    async def slugs(user_id: int, persona: str) -> list[str]:
        actions = await services.next_actions(
            Requester(user_id, persona), reads=("expert_questions",), partner=None,
            person=None,  # type: ignore[arg-type]
            now=now, limit=5, locale="en",
        )  # fmt: skip
        return [action.slug for action in actions]

    assert "answer-waiting-questions" in await slugs(expert, "expert")
    # Cam answers deal registration, where nothing waits.
    assert "answer-waiting-questions" not in await slugs(cam, "channel_manager")
    admin, token = await people("admin@vendor.example")
    saved = await admin.post(
        "/admin/questions/wait", data={"wait_hours": "48", "csrf_token": token}
    )
    assert saved.status_code == 303
    assert await timing.overdue_for(hub.db, expert, now) == (0, 48)
    refused = await admin.post(
        "/admin/questions/wait", data={"wait_hours": "0", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert "1 to 720" in refused.text


async def test_administrators_keep_topics_and_name_only_vendor_experts(
    people: Client, hub: Hub
) -> None:
    admin, token = await people("admin@vendor.example")
    page = await admin.get("/admin/questions")
    assert page.status_code == 200
    assert "Erin Fischer" in page.text
    assert "Raj Patel" not in page.text  # partner users are never offered as experts
    expert = await scalar(hub.db, select(User.id).where(User.email == "expert@vendor.example"))
    rep = await scalar(hub.db, select(User.id).where(User.email == "rep@acme.example"))
    topic = {
        "slug": "security", "name": "Security and compliance", "tiers": "Gold, Gold , ",
        "active": "on", "csrf_token": token,
    }  # fmt: skip
    refused = await admin.post(
        "/admin/questions/topics", data={**topic, "experts": [str(expert), str(rep)]}
    )
    assert refused.status_code == 422
    assert "own staff can be experts" in refused.text
    assert await scalar(hub.db, select(func.count()).where(QuestionTopic.slug == "security")) == 0
    bad_key = await admin.post("/admin/questions/topics", data={**topic, "slug": "Not A Key"})
    assert bad_key.status_code == 422
    saved = await admin.post("/admin/questions/topics", data={**topic, "experts": [str(expert)]})
    assert saved.status_code == 303
    async with hub.db.session() as session:
        row = await session.scalar(select(QuestionTopic).where(QuestionTopic.slug == "security"))
        assert row is not None
        assert row.tiers == ["Gold"]
        experts = (
            await session.scalars(select(TopicExpert.user_id).where(TopicExpert.topic_id == row.id))
        ).all()
        assert list(experts) == [expert]
    raj, _ = await people("rep@acme.example")
    assert "Security and compliance" in (await raj.get("/questions")).text
    marco, _ = await people("marketer@globex.example")  # Silver: not for them
    assert "Security and compliance" not in (await marco.get("/questions")).text


async def test_the_question_pages_read_german(people: Client, hub: Hub) -> None:
    from tests.test_german_pages import english_sentences, plain

    answered = await question_id(hub.db, "Wie lange ist ein registrierter Deal geschützt?")
    marketing = await question_id(hub.db, "Can MDF pay for a booth at a regional trade show?")
    greta, greta_token = await people("owner@globex.example")  # German
    dana, _ = await people("dana@vendor.example")  # German, answers marketing
    admin, token = await people("admin@vendor.example")
    moved = await admin.post("/profile/language", data={"locale": "de", "csrf_token": token})
    assert moved.status_code == 303
    pages = [
        await greta.get("/questions"),
        await greta.get(f"/questions/{answered}"),
        await greta.post("/questions", data={"title": "Hm", "csrf_token": greta_token}),
        await dana.get("/experts/questions"),
        await dana.get(f"/experts/questions/{marketing}"),
        await dana.get("/widgets/expert_questions"),
        await admin.get("/admin/questions"),
        await admin.get("/program/questions", params={"days": "90"}),
    ]
    text = " ".join(plain(page.text) for page in pages)
    assert "Experten fragen" in text
    assert "Fragen an Experten" in text
    assert "Antwortzeiten je Thema" in text or "Antwortzeiten" in text
    left = [sentence for sentence in english_sentences() if sentence in text]
    assert left == [], f"still in English: {left}"


async def test_a_bad_answer_is_refused_with_what_was_typed(people: Client, hub: Hub) -> None:
    waiting = await question_id(hub.db, "Is there a partner discount for the new analytics add-on?")
    erin, token = await people("expert@vendor.example")
    for body, status in (("   ", 422), ("y" * 10_001, 422)):
        answer = await erin.post(
            f"/experts/questions/{waiting}/answer", data={"answer": body, "csrf_token": token}
        )
        assert answer.status_code == status
        assert "at most 10,000 characters" in answer.text
        assert body.strip()[:40] in answer.text
    unanswered = await erin.post(
        f"/experts/questions/{waiting}/publish",
        data={"scope": "topic", "summary": "Not yet", "csrf_token": token},
    )
    assert unanswered.status_code == 422
    bad_scope = await erin.post(
        f"/experts/questions/{waiting}/publish",
        data={"scope": "everyone", "summary": "x", "csrf_token": token},
    )
    assert bad_scope.status_code == 422
    async with hub.db.session() as session:
        row = await session.get(Question, waiting)
        assert row is not None
        assert (row.status, row.public_scope, row.first_answered_at) == ("open", "", None)
