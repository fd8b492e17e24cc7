"""The demo's expert questions: topics with their experts, a few questions answered (some
published for other partners) and one still waiting past the reminder, so the demo's
expert has a next best action and partners find answers already there.

Everything goes through the same services a partner's and an expert's clicks do, at the
moments given, so response times and notices are what they would have been. Added once:
nothing is seeded when a topic exists already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from hub.db import Database, PartnerOrg, User
from hub.db.questions import QuestionTopic
from hub.i18n import N_
from hub.personas.audience import Segment
from hub.services.questions import answering, asking
from hub.services.questions.topics import save_topic

# (key, name, description, tiers, experts)
TOPICS = (
    ("pricing-licensing", N_("Pricing and licensing"), N_("Quotes, discounts, renewals"), "",
     ("expert@vendor.example",)),
    ("technical-integration", N_("Technical integration"), N_("APIs, connectors, set-up"), "",
     ("expert@vendor.example",)),
    ("marketing-funds", N_("Marketing and MDF"), N_("Campaigns and market development funds"),
     "", ("expert@vendor.example", "dana@vendor.example")),
    ("deal-registration", N_("Deal registration"), N_("Registering and protecting deals"),
     "Gold, Silver", ("cam@vendor.example",)),
)  # fmt: skip


@dataclass(frozen=True)
class DemoQuestion:
    asker: str
    topic: str
    title: str
    body: str
    hours_ago: float
    expert: str = ""
    answer: str = ""
    answered_after_hours: float = 0
    scope: str = ""
    summary: str = ""


QUESTIONS = (
    DemoQuestion(
        "rep@acme.example", "pricing-licensing",
        "How do I quote a three-year subscription with the launch discount?",
        "A customer wants to sign for three years. Does the launch discount apply to all years?",
        hours_ago=24 * 12, expert="expert@vendor.example",
        answer="The launch discount applies to the first year only. For years two and three, "
        "use the multi-year price book in the PRM: it takes 8 % off each renewal year.",
        answered_after_hours=5, scope="topic",
        summary="Launch discount: first year only; the multi-year price book takes 8 % off "
        "years two and three.",
    ),
    DemoQuestion(
        "support@acme.example", "technical-integration",
        "Which API version should a new integration use?",
        "We are starting an integration for a customer. v2 or v3?",
        hours_ago=24 * 9, expert="expert@vendor.example",
        answer="Use v3: v2 is supported until the end of next year but gets no new "
        "endpoints. The v3 guide is in the LMS under 'Integration basics'.",
        answered_after_hours=2.5, scope="topic",
        summary="New integrations use API v3; v2 gets no new endpoints.",
    ),
    DemoQuestion(
        "owner@globex.example", "deal-registration",
        "Wie lange ist ein registrierter Deal geschützt?",
        "Wir haben einen Deal für einen Bestandskunden registriert.",
        hours_ago=24 * 6, expert="cam@vendor.example",
        answer="Ein genehmigter Deal ist 90 Tage geschützt; Sie können die Frist im PRM "
        "einmal um 30 Tage verlängern.",
        answered_after_hours=20, scope="segment",
        summary="Geschützt für 90 Tage, einmal um 30 Tage verlängerbar.",
    ),
    DemoQuestion(
        "marketer@globex.example", "marketing-funds",
        "Can MDF pay for a booth at a regional trade show?",
        "",
        hours_ago=24 * 4, expert="dana@vendor.example",
        answer="Yes, if the show is in your region and you request the funds at least "
        "30 days before it. Attach the exhibitor quote to the fund request.",
        answered_after_hours=30,
    ),
    DemoQuestion(
        "owner@acme.example", "pricing-licensing",
        "Is there a partner discount for the new analytics add-on?",
        "We have three customers asking about it this quarter.",
        hours_ago=30,
    ),
)  # fmt: skip


async def seed_demo_questions(db: Database, *, now: datetime | None = None) -> int:
    """Add the demo's topics and questions once; how many questions were added."""
    now = now or datetime.now(UTC)
    async with db.transaction() as session:
        if await session.scalar(select(func.count(QuestionTopic.id))):
            return 0
        people = {u.email: u for u in (await session.scalars(select(User))).all()}
        for slug, name, description, tiers, experts in TOPICS:
            await save_topic(
                session, slug=slug, name=name, description=description, tiers=tiers,
                expert_ids=[people[e].id for e in experts if e in people], by="demo", now=now,
            )  # fmt: skip
        topics = {t.slug: t.id for t in (await session.scalars(select(QuestionTopic))).all()}
        orgs = {o.id: o for o in (await session.scalars(select(PartnerOrg))).all()}
    added = 0
    for demo in QUESTIONS:
        asker = people.get(demo.asker)
        if asker is None or asker.partner_org_id is None:
            continue
        org = orgs[asker.partner_org_id]
        asked_at = now - timedelta(hours=demo.hours_ago)
        question_id = await asking.ask(
            db, user_id=asker.id, org_id=org.id,
            segment=Segment(org.partner_type, org.tier, org.region),
            topic_id=topics[demo.topic], title=demo.title, body=demo.body,
            language=asker.locale or "en", now=asked_at,
        )  # fmt: skip
        added += 1
        expert = people.get(demo.expert)
        if expert is None:
            continue
        answered_at = asked_at + timedelta(hours=demo.answered_after_hours)
        await answering.answer(
            db, question_id, expert_id=expert.id, body=demo.answer, now=answered_at
        )
        if demo.scope:
            await answering.publish(
                db, question_id, expert_id=expert.id, scope=demo.scope, summary=demo.summary,
                by=expert.email, now=answered_at,
            )  # fmt: skip
    return added
