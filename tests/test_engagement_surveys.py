"""Pulse surveys: targeting, one due at a time with a cool-off, answers, results, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.db.engagement import SurveyResponse
from hub.personas.audience import Requester, Segment
from hub.resources import Hub
from hub.services.activity import Activity
from hub.services.engagement import surveys
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.processing import ingest
from tests.engagement_helpers import user_id

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
QUESTIONS: list[dict[str, Any]] = [
    {"id": "ease", "kind": "scale", "prompt": "How easy was registering a deal?"},
    {"id": "where", "kind": "choice", "prompt": "Where?", "choices": ["hub", "prm"]},
    {"id": "note", "kind": "text", "prompt": "Anything else?", "required": False},
]


async def _survey(hub: Hub, slug: str = "pulse", **audience: Any) -> None:
    await surveys.create_survey(
        hub.db,
        slug=slug,
        title="Deal registration",
        questions=QUESTIONS,
        audience=audience,
        opens_at=NOW - timedelta(days=1),
    )


async def _subjects(hub: Hub) -> tuple[Requester, Requester, Requester]:
    return (
        Requester(await user_id(hub.db, "rep@acme.example"), "sales_rep", Segment(tier="Gold")),
        Requester(await user_id(hub.db, "rep@globex.example"), "sales_rep", Segment(tier="Silver")),
        Requester(
            await user_id(hub.db, "marketer@globex.example"), "marketer", Segment(tier="Silver")
        ),
    )


async def test_targeting_answers_results_and_csv(seeded: Hub) -> None:
    await _survey(seeded, personas=["sales_rep"])
    acme, globex, marketer = await _subjects(seeded)
    assert await surveys.due_survey(seeded.db, marketer, now=NOW) is None
    due = await surveys.due_survey(seeded.db, acme, now=NOW)
    assert due is not None
    assert [q.id for q in due.questions] == ["ease", "where", "note"]
    await surveys.answer_survey(seeded.db, acme, "pulse", {"ease": "4", "where": "hub"}, now=NOW)
    await surveys.answer_survey(
        seeded.db,
        globex,
        "pulse",
        {"ease": 2, "where": "prm", "note": "=1+1"},
        now=NOW,
    )
    assert await surveys.due_survey(seeded.db, acme, now=NOW) is None
    results = await surveys.survey_results(seeded.db, "pulse")
    assert (results.targeted, results.responses) == (2, 2)
    assert results.response_rate == 1.0
    assert results.distribution["ease"] == {"Gold": {"4": 1}, "Silver": {"2": 1}}
    assert results.distribution["where"] == {"Gold": {"hub": 1}, "Silver": {"prm": 1}}
    rows = list(csv.reader(io.StringIO(await surveys.survey_csv(seeded.db, "pulse"))))
    assert rows[0] == ["answered_at", "persona", "segment", "ease", "where", "note"]
    assert rows[2][3:] == ["2", "prm", "'=1+1"]


async def test_one_due_at_a_time_and_a_cool_off(seeded: Hub) -> None:
    await _survey(seeded, "first", cool_off_days=14)
    await _survey(seeded, "second", cool_off_days=14)
    acme, *_ = await _subjects(seeded)
    due = await surveys.due_survey(seeded.db, acme, now=NOW)
    assert due is not None
    assert due.slug == "first"
    await surveys.answer_survey(seeded.db, acme, "first", {"ease": 5, "where": "hub"}, now=NOW)
    assert await surveys.due_survey(seeded.db, acme, now=NOW + timedelta(days=3)) is None
    later = await surveys.due_survey(seeded.db, acme, now=NOW + timedelta(days=15))
    assert later is not None
    assert later.slug == "second"


async def test_a_trigger_makes_it_due_after_the_first_deal(seeded: Hub) -> None:
    await _survey(seeded, trigger="deal_registered", cool_off_days=0)
    acme, *_ = await _subjects(seeded)
    assert await surveys.due_survey(seeded.db, acme, now=NOW) is None
    await ingest(
        seeded.db,
        seeded.store,
        [Activity(key="d1", kind="deal_registered", occurred_at=NOW, user_id=acme.user_id)],
    )
    assert await surveys.due_survey(seeded.db, acme, now=NOW) is not None


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({"ease": 9, "where": "hub"}, "invalid_answer"),
        ({"ease": "lots", "where": "hub"}, "invalid_answer"),
        ({"ease": 3, "where": "fax"}, "invalid_answer"),
        ({"where": "hub"}, "invalid_answer"),
        ({"ease": 3, "where": "hub", "extra": 1}, "invalid_answer"),
        ({"ease": 3, "where": "hub", "note": "x" * 281}, "invalid_answer"),
    ],
)
async def test_bad_answers_write_nothing(seeded: Hub, answers: dict[str, Any], code: str) -> None:
    await _survey(seeded)
    acme, *_ = await _subjects(seeded)
    with pytest.raises(EngagementError) as refused:
        await surveys.answer_survey(seeded.db, acme, "pulse", answers, now=NOW)
    assert refused.value.code == code
    async with seeded.db.session() as session:
        assert await session.scalar(select(func.count(SurveyResponse.id))) == 0


async def test_closed_surveys_and_repeats_are_refused(seeded: Hub) -> None:
    await _survey(seeded)
    acme, globex, marketer = await _subjects(seeded)
    good = {"ease": 3, "where": "hub"}
    await surveys.answer_survey(seeded.db, acme, "pulse", good, now=NOW)
    with pytest.raises(EngagementError) as repeat:
        await surveys.answer_survey(seeded.db, acme, "pulse", good, now=NOW)
    assert repeat.value.code == "duplicate"
    await surveys.close_survey(seeded.db, "pulse")
    with pytest.raises(EngagementError) as closed:
        await surveys.answer_survey(seeded.db, globex, "pulse", good, now=NOW)
    assert closed.value.code == "survey_closed"
    assert await surveys.due_survey(seeded.db, marketer, now=NOW) is None


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        ([], "questions"),
        ([*QUESTIONS, {"id": "four", "kind": "text", "prompt": "?"}], "questions"),
        ([{"id": "c", "kind": "choice", "prompt": "?", "choices": ["one"]}], "two choices"),
        (
            [
                {"id": "a", "kind": "text", "prompt": "?"},
                {"id": "a", "kind": "text", "prompt": "?"},
            ],
            "differ",
        ),
    ],
)
async def test_a_survey_that_does_not_parse_is_refused(
    seeded: Hub, questions: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(EngagementError, match=message):
        await surveys.create_survey(
            seeded.db, slug="bad", title="Bad", questions=questions, audience={}, opens_at=NOW
        )
