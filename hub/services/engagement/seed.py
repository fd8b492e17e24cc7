"""Demo content for the engagement engine: point and badge rules, actions, a survey, a budget.

``seed_engagement`` is safe to run again: rules are upserted by slug, the survey is added
once, and the budget grant is once per period. Call it after the demo cast is seeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import select

from hub.db import Database, User
from hub.db.engagement import PulseSurvey
from hub.db.types import utcnow
from hub.i18n import DEFAULT_LOCALE, N_, SUPPORTED_LOCALES, translate
from hub.services.engagement import badges, budgets, nba, surveys

POINTS: Mapping[str, int] = MappingProxyType(
    {
        "sign_in": 5,
        "asset_viewed": 2,
        "page_viewed": 0,
        "course_completed": 50,
        "quiz_passed": 20,
        "deal_registered": 50,
        "deal_won": 100,
        "campaign_redistributed": 30,
        "claim_submitted": 20,
        "survey_answered": 10,
        "recognition_given": 5,
        "recognition_received": 10,
        "action_completed": 0,  # a suggested action pays its own bonus
        # Use above downloads: looking at a library item pays little, finishing it a lot.
        "content_viewed": 1,
        "content_opened": 2,
        "content_completed": 25,
    }
)

BADGES: tuple[tuple[str, str, str, int, dict[str, Any]], ...] = (
    ("five-day-streak", N_("Five-day streak"), N_("Signed in five working days running"), 25,
     {"kind": "streak", "event": "sign_in", "days": 5, "freeze_days": 2}),
    ("avid-reader", N_("Avid reader"), N_("Viewed ten different sales assets"), 25,
     {"kind": "count", "event": "asset_viewed", "count": 10, "distinct_objects": True}),
    ("certified-seller", N_("Certified seller"), N_("Completed the seller track within 90 days"), 100,
     {"kind": "courses", "courses": ["sales-essentials", "product-fundamentals"], "within_days": 90}),
    ("first-deal", N_("First deal"), N_("Registered a first deal"), 50,
     {"kind": "first", "event": "deal_registered"}),
    ("personal-best", N_("Personal best"), N_("Won a deal bigger than any before"), 50,
     {"kind": "personal_best", "event": "deal_won", "field": "amount"}),
    ("quiz-ace", N_("Quiz ace"), N_("Passed a quiz with a perfect score"), 20,
     {"kind": "quiz_aced", "min_score": 100}),
    ("amplifier", N_("Amplifier"), N_("Redistributed three vendor campaigns"), 30,
     {"kind": "count", "event": "campaign_redistributed", "count": 3}),
    ("team-player", N_("Team player"), N_("Thanked colleagues five times"), 20,
     {"kind": "count", "event": "recognition_given", "count": 5}),
    ("quick-study", N_("Quick study"), N_("Finished three short videos or courses from the library"), 30,
     {"kind": "count", "event": "content_completed", "count": 3, "distinct_objects": True}),
    ("go-getter", N_("Go-getter"), N_("Did a suggested next best action"), 10,
     {"kind": "first", "event": "action_completed"}),
)  # fmt: skip

PARTNERS = ("partner_owner", "sales_rep", "marketer", "support")
ACTIONS: Mapping[str, Mapping[str, Any]] = MappingProxyType({
    "renew-agreement": {
        "title": N_("Renew your partner agreement"),
        "reason": N_("because your partner agreement has expired"),
        "link": "/go/prm/agreements/renew",
        "points_bonus": 50, "value": 100, "priority": 3,
        "personas": ["partner_owner"],
        "when": {"fact": "agreement_expired", "op": "truthy"},
        "confirm": {"fact": "agreement_expired", "op": "falsy"},
    },
    "register-deal": {
        "title": N_("Register a deal"),
        "reason": N_("because you have not registered a deal this month"),
        "link": "/go/prm/deals/new",
        "points_bonus": 50, "value": 40, "priority": 2,
        "personas": ["sales_rep", "partner_owner"],
        "when": {"fact": "deals_registered_this_month", "op": "eq", "value": 0},
        "confirm": {"fact": "deals_registered_this_month", "op": "gt", "value": 0},
    },
    "claim-expiring-funds": {
        "title": N_("Claim your expiring funds"),
        "reason": N_("because {fund_claims_expiring} approved fund {fund_claims_expiring:claim expires|claims expire} within 14 days"),
        "link": "/go/prm/funds/claims",
        "points_bonus": 30, "value": 60, "priority": 2,
        "personas": ["partner_owner", "marketer"],
        "when": {"fact": "fund_claims_expiring", "op": "gt", "value": 0},
    },
    "redistribute-campaign": {
        "title": N_("Share the new product campaign"),
        "reason": N_("because {campaigns_not_redistributed} new {campaigns_not_redistributed:campaign is|campaigns are} ready to send as your own"),
        "link": "/go/tcma/campaigns",
        "points_bonus": 30, "value": 30,
        "personas": ["marketer"],
        "when": {"fact": "campaigns_not_redistributed", "op": "gt", "value": 0},
        "self_report_points": 30,
    },
    "finish-certification": {
        "title": N_("Finish your certification"),
        "reason": N_("because it unlocks the next partner tier"),
        "link": "/go/lms/certifications",
        "points_bonus": 100, "value": 50, "priority": 1.5,
        "personas": ["sales_rep", "support", "partner_owner"],
        "when": {"all": [
            {"fact": "certification_unlocks_next_tier", "op": "truthy"},
            {"not": {"fact": "certification_complete", "op": "truthy"}},
        ]},
        "confirm": {"fact": "certification_complete", "op": "truthy"},
    },
    "submit-rebate-invoice": {
        "title": N_("Submit your rebate invoice"),
        "reason": N_("because your rebate of {rebate_amount} is waiting for its invoice"),
        "link": "/go/prm/rebates",
        "points_bonus": 20, "value": 45,
        "personas": ["partner_owner"],
        "when": {"fact": "rebate_invoice_missing", "op": "truthy"},
        "confirm": {"fact": "rebate_invoice_missing", "op": "falsy"},
    },
    "adopt-checklist": {
        "title": N_("Adopt the implementation checklist"),
        "reason": N_("because customers onboarded with it renew more often"),
        "link": "/go/lms/checklists/implementation",
        "points_bonus": 20, "value": 20,
        "personas": ["support"],
        "when": {"fact": "implementation_checklist_adopted", "op": "falsy"},
    },
    "earn-spiff": {
        "title": N_("Finish a SPIF you qualify for"),
        "reason": N_("because {spiff_name} pays {spiff_reward} and ends on {spiff_ends}"),
        "link": "/go/incentives/spiffs",
        "points_bonus": 40, "value": 45, "priority": 2,
        "personas": ["sales_rep"],
        "when": {"fact": "spiffs_to_finish", "op": "gt", "value": 0},
        "self_report_points": 20,
    },
    "approve-kudos": {
        "title": N_("Approve the awards waiting for you"),
        "reason": N_("because {kudos_awaiting_approval} {kudos_awaiting_approval:award|awards} above the threshold {kudos_awaiting_approval:waits|wait} for approval"),
        "link": "/admin#approvals",
        "value": 60, "priority": 2,
        "personas": ["admin"],
        "when": {"fact": "kudos_awaiting_approval", "op": "gt", "value": 0},
    },
    "partner-sso": {
        "title": N_("Let partners sign in with their own accounts"),
        "reason": N_("because no partner organisation has its own identity provider yet"),
        "link": "/admin/identity-providers",
        "value": 30,
        "personas": ["admin"],
        "when": {"fact": "partner_identity_providers", "op": "eq", "value": 0},
    },
    "call-dormant-partners": {
        "title": N_("Call your dormant partners"),
        "reason": N_("because {dormant_partners} of your partners {dormant_partners:is|are} dormant"),
        "link": "/program/partners?status=dormant",
        "value": 50, "priority": 2,
        "personas": ["channel_manager"],
        "when": {"fact": "dormant_partners", "op": "gt", "value": 0},
    },
    "answer-waiting-questions": {
        "title": N_("Answer the partners' questions that wait"),
        "reason": N_("because questions in your topics wait over {question_wait_hours} {question_wait_hours:hour|hours} for an answer ({questions_waiting_too_long} now)"),
        "link": "/experts/questions",
        "value": 55, "priority": 2,
        "personas": ["expert", "channel_manager", "admin"],
        "when": {"fact": "questions_waiting_too_long", "op": "gt", "value": 0},
    },
    "thank-a-partner": {
        "title": N_("Reward a partner from your budget"),
        "reason": N_("because you still have {budget_available} {budget_available:point|points} to give before {budget_available:it lapses|they lapse}"),
        "link": "/#widget-recognition_budget",
        "value": 20,
        "personas": ["channel_manager"],
        "when": {"fact": "budget_available", "op": "gt", "value": 0},
    },
})  # fmt: skip

SURVEY_QUESTIONS: tuple[dict[str, Any], ...] = (
    {"id": "relevance", "kind": "scale", "prompt": N_("How relevant is your homepage to your work?"),
     "scale_min": 1, "scale_max": 5},
    {"id": "most_useful", "kind": "choice", "prompt": N_("What helps you most?"),
     "choices": [N_("Next best action"), N_("Deals and funds"), N_("Training"), N_("Recognition")]},
    {"id": "wish", "kind": "text", "prompt": N_("One thing we should add?"), "required": False},
)  # fmt: skip

SURVEY_TITLE = N_("How is the hub working for you?")

FIELD_TEAM_BUDGET = 1_000


def in_other_languages(**texts: str) -> dict[str, dict[str, str]]:
    """The seeded ``texts`` in every other language, from the catalogue: the program's own
    rules come with German, stored on their rows as an administrator's would be."""
    return {
        locale: {field: translate(locale, text) for field, text in texts.items()}
        for locale in SUPPORTED_LOCALES
        if locale != DEFAULT_LOCALE
    }


def survey_texts() -> dict[str, str]:
    """The seeded survey's title, prompts and choices by their ``texts`` keys."""
    texts = {"title": SURVEY_TITLE}
    for question in SURVEY_QUESTIONS:
        texts[f"{question['id']}.prompt"] = question["prompt"]
        for n, choice in enumerate(question.get("choices", [])):
            texts[f"{question['id']}.choice.{n}"] = choice
    return texts


async def seed_engagement(db: Database, *, now: datetime | None = None) -> None:
    """Add the demo's engagement content; safe to call again."""
    now = now or utcnow()
    # Worded before the write transaction: the first German lookup compiles the catalogue,
    # and on SQLite a write held meanwhile would stall the demo's first sync and sign-ins.
    badge_texts = {slug: in_other_languages(name=n, description=d) for slug, n, d, *_ in BADGES}
    action_texts = {
        slug: in_other_languages(title=action["title"], reason=action["reason"])
        for slug, action in ACTIONS.items()
    }
    survey_in_other_languages = in_other_languages(**survey_texts())
    async with db.transaction() as session:
        for kind, points in POINTS.items():
            await badges.set_point_rule(session, kind, points)
        for slug, name, description, points, definition in BADGES:
            await badges.save_badge_rule(
                session,
                slug=slug,
                name=name,
                description=description,
                points=points,
                definition=definition,
                texts=badge_texts[slug],
            )
        for slug, action in ACTIONS.items():
            await nba.save_action_rule(
                session,
                slug,
                dict(action),
                texts=action_texts[slug],
            )
        survey = await session.scalar(select(PulseSurvey.id).where(PulseSurvey.slug == "hub-pulse"))
        cam = await session.scalar(select(User.id).where(User.email == "cam@vendor.example"))
    if survey is None:
        await surveys.create_survey(
            db,
            slug="hub-pulse",
            title=SURVEY_TITLE,
            questions=list(SURVEY_QUESTIONS),
            audience={"personas": list(PARTNERS), "cool_off_days": 14},
            opens_at=now - timedelta(days=1),
            texts=survey_in_other_languages,
        )
    if cam is not None:
        await budgets.grant_budget(db, giver_id=cam, points=FIELD_TEAM_BUDGET, now=now)
