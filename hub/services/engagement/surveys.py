"""Pulse surveys: one to three questions, a target audience, at most one due at a time.

A survey is due to a user when it is open, aimed at them (persona, tier, partner type,
region, and optionally a trigger: an activity they have done, like a first deal), they
have not answered it, and their last answer to any survey is older than its cool-off.
Results carry no identities: persona and segment (the org's tier) only.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import and_, func, select

from hub.db import ActivityEvent, Database, PartnerOrg, User
from hub.db.engagement import PulseSurvey, SurveyResponse
from hub.i18n import written_texts
from hub.personas.audience import Requester, Segment, reaches
from hub.services import activity
from hub.services.activity import Activity
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.rules import EventKind, describe

VENDOR_SEGMENT = "vendor"


class Question(BaseModel):
    """A scale (``scale_min``–``scale_max``), a choice among ``choices``, or short text."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    kind: Literal["scale", "choice", "text"]
    prompt: str = Field(min_length=1, max_length=300)
    scale_min: int = Field(default=1, ge=0, le=10)
    scale_max: int = Field(default=5, ge=1, le=10)
    choices: list[str] = Field(default_factory=list, max_length=8)
    max_length: int = Field(default=280, ge=1, le=2_000)
    required: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.kind == "choice" and len(self.choices) < 2:
            raise ValueError("a choice question needs at least two choices")
        if self.kind == "scale" and self.scale_min >= self.scale_max:
            raise ValueError("scale_min must be below scale_max")
        return self

    def check(self, answer: Any) -> Any:
        """The answer, cleaned; ``ValueError`` saying what is wrong."""
        if answer is None or answer == "":
            if self.required:
                raise ValueError(f"{self.id}: an answer is needed")
            return None
        if self.kind == "scale":
            try:
                value = int(answer)
            except (TypeError, ValueError):
                raise ValueError(f"{self.id}: a number") from None
            if not self.scale_min <= value <= self.scale_max:
                raise ValueError(f"{self.id}: between {self.scale_min} and {self.scale_max}")
            return value
        if self.kind == "choice":
            if answer not in self.choices:
                raise ValueError(f"{self.id}: one of {', '.join(self.choices)}")
            return answer
        text = str(answer).strip()
        if len(text) > self.max_length:
            raise ValueError(f"{self.id}: at most {self.max_length} characters")
        return text


class Questions(BaseModel):
    """One to three questions with distinct ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    questions: list[Question] = Field(min_length=1, max_length=3)

    @model_validator(mode="after")
    def _distinct(self) -> Questions:
        if len({question.id for question in self.questions}) != len(self.questions):
            raise ValueError("question ids must differ")
        return self


class Audience(BaseModel):
    """Who a survey is for; empty lists mean everyone."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    personas: list[str] = Field(default_factory=list)
    tiers: list[str] = Field(default_factory=list)
    partner_types: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    trigger: EventKind | None = None
    cool_off_days: int = Field(default=14, ge=0, le=365)


@dataclass(frozen=True)
class DueSurvey:
    """A survey to show now."""

    slug: str
    title: str
    questions: list[Question]
    # The title, prompts and choices in other languages (see ``PulseSurvey.texts``).
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SurveyResults:
    """Response rate and, per question, the answers counted by segment."""

    slug: str
    targeted: int
    responses: int
    distribution: dict[str, dict[str, dict[str, int]]]

    @property
    def response_rate(self) -> float:
        return self.responses / self.targeted if self.targeted else 0.0


async def create_survey(
    db: Database,
    *,
    slug: str,
    title: str,
    questions: list[dict[str, Any]],
    audience: dict[str, Any],
    opens_at: datetime,
    closes_at: datetime | None = None,
    texts: Mapping[str, Mapping[str, str]] | None = None,
) -> int:
    """Store a new survey after validating it; its id. The slug must be new.

    ``texts`` gives the title, prompts and choices in other languages:
    ``{"de": {"title": …, "<question id>.prompt": …, "<question id>.choice.<n>": …}}``."""
    try:
        checked = Questions.model_validate({"questions": questions})
        aimed = Audience.model_validate(audience)
    except ValidationError as error:
        raise EngagementError("invalid_survey", describe(error)) from None
    if not title.strip() or not slug or len(slug) > 64:
        raise EngagementError("invalid_survey", "a survey needs a title and a slug (≤64)")
    async with db.transaction() as session:
        if await session.scalar(select(PulseSurvey.id).where(PulseSurvey.slug == slug)):
            raise EngagementError("duplicate", f"a survey {slug!r} exists already")
        survey = PulseSurvey(
            slug=slug,
            title=title.strip(),
            questions=checked.model_dump(mode="json"),
            texts=written_texts(texts or {}),
            audience=aimed.model_dump(mode="json"),
            opens_at=opens_at,
            closes_at=closes_at,
        )
        session.add(survey)
        await session.flush()
        return survey.id


async def close_survey(db: Database, slug: str) -> None:
    """Stop taking answers."""
    async with db.transaction() as session:
        survey = await session.scalar(select(PulseSurvey).where(PulseSurvey.slug == slug))
        if survey is None:
            raise EngagementError("not_found", f"no survey {slug!r}")
        survey.closed = True


def _is_open(survey: PulseSurvey, now: datetime) -> bool:
    return (
        not survey.closed
        and survey.opens_at <= now
        and (survey.closes_at is None or survey.closes_at > now)
    )


@dataclass(frozen=True)
class SurveyState:
    """The survey due for a person now, if any, and when they last answered one."""

    due: DueSurvey | None
    last_answered: datetime | None


async def due_survey(db: Database, subject: Requester, *, now: datetime) -> DueSurvey | None:
    """The one survey to show ``subject`` now, if any (the longest open first)."""
    return (await survey_state(db, subject, now=now)).due


async def survey_state(db: Database, subject: Requester, *, now: datetime) -> SurveyState:
    """:func:`due_survey` and ``subject``'s last answer, in one statement.

    One row per survey open by now (the longest open first), each saying whether the
    person answered it, with their last answer's time alongside; one row of nulls but
    that time when no survey is open. A survey with a trigger reads the person's
    activity for it too.
    """
    last_answer = (
        select(func.max(SurveyResponse.answered_at))
        .where(SurveyResponse.user_id == subject.user_id)
        .scalar_subquery()
    )
    answered = (
        select(SurveyResponse.id)
        .where(
            SurveyResponse.survey_id == PulseSurvey.id, SurveyResponse.user_id == subject.user_id
        )
        .exists()
    )
    anchor = select(last_answer.label("last")).subquery()
    async with db.session() as session:
        rows = (
            await session.execute(
                select(anchor.c.last, PulseSurvey, answered.label("answered"))
                .select_from(anchor)
                .outerjoin(
                    PulseSurvey, and_(PulseSurvey.closed.is_(False), PulseSurvey.opens_at <= now)
                )
                .order_by(PulseSurvey.opens_at, PulseSurvey.id)
            )
        ).all()
        last = rows[0].last if rows else None
        for row in rows:
            survey = row.PulseSurvey
            if survey is None or row.answered or not _is_open(survey, now):
                continue
            audience = Audience.model_validate(survey.audience)
            if not reaches(audience, subject):
                continue
            if last is not None and now - last < timedelta(days=audience.cool_off_days):
                continue
            if audience.trigger and not await session.scalar(
                select(ActivityEvent.id)
                .where(
                    ActivityEvent.user_id == subject.user_id,
                    ActivityEvent.kind == audience.trigger,
                )
                .limit(1)
            ):
                continue
            questions = Questions.model_validate(survey.questions).questions
            return SurveyState(
                DueSurvey(survey.slug, survey.title, questions, survey.texts or {}), last
            )
    return SurveyState(None, last)


async def answer_survey(
    db: Database,
    subject: Requester,
    slug: str,
    answers: dict[str, Any],
    *,
    now: datetime,
) -> None:
    """Store ``subject``'s answers; a closed survey, a repeat or a bad answer is refused."""
    async with db.transaction() as session:
        survey = await session.scalar(select(PulseSurvey).where(PulseSurvey.slug == slug))
        if survey is None:
            raise EngagementError("not_found", f"no survey {slug!r}")
        if not _is_open(survey, now):
            raise EngagementError("survey_closed", "this survey is closed")
        if not reaches(Audience.model_validate(survey.audience), subject):
            raise EngagementError("forbidden", "this survey is not for you")
        questions = Questions.model_validate(survey.questions).questions
        if unknown := set(answers) - {question.id for question in questions}:
            raise EngagementError("invalid_answer", f"no such questions: {sorted(unknown)}")
        try:
            cleaned = {q.id: q.check(answers.get(q.id)) for q in questions}
        except ValueError as error:
            raise EngagementError("invalid_answer", str(error)) from None
        if await session.scalar(
            select(SurveyResponse.id).where(
                SurveyResponse.survey_id == survey.id, SurveyResponse.user_id == subject.user_id
            )
        ):
            raise EngagementError("duplicate", "you have answered this survey already")
        session.add(
            SurveyResponse(
                survey_id=survey.id,
                user_id=subject.user_id,
                persona=subject.persona,
                segment=subject.tier or VENDOR_SEGMENT,
                answers=cleaned,
                answered_at=now,
            )
        )
        await activity.record_all(
            session,
            [
                Activity(
                    key=f"survey:{survey.id}:{subject.user_id}",
                    kind="survey_answered",
                    occurred_at=now,
                    user_id=subject.user_id,
                    partner_org_id=subject.partner_org_id,
                    object=f"survey:{survey.slug}",
                )
            ],
        )


async def survey_results(db: Database, slug: str) -> SurveyResults:
    """Response rate against everyone the survey is aimed at, and answers by segment."""
    async with db.session() as session:
        survey = await session.scalar(select(PulseSurvey).where(PulseSurvey.slug == slug))
        if survey is None:
            raise EngagementError("not_found", f"no survey {slug!r}")
        audience = Audience.model_validate(survey.audience)
        questions = Questions.model_validate(survey.questions).questions
        people = (
            await session.execute(
                select(
                    User.roles, PartnerOrg.tier, PartnerOrg.partner_type, PartnerOrg.region
                ).outerjoin(PartnerOrg, PartnerOrg.id == User.partner_org_id)
            )
        ).all()
        responses = (
            await session.scalars(
                select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
            )
        ).all()
    targeted = sum(
        1
        for roles, tier, partner_type, region in people
        if any(
            reaches(
                audience, Requester(0, role, Segment(partner_type or "", tier or "", region or ""))
            )
            for role in roles or [""]
        )
    )
    distribution: dict[str, dict[str, dict[str, int]]] = {
        q.id: defaultdict(lambda: defaultdict(int)) for q in questions if q.kind != "text"
    }
    for response in responses:
        for question_id, counts in distribution.items():
            answer = response.answers.get(question_id)
            if answer is not None:
                counts[response.segment][str(answer)] += 1
    plain = {q: {s: dict(c) for s, c in by.items()} for q, by in distribution.items()}
    return SurveyResults(slug, targeted, len(responses), plain)


async def survey_csv(db: Database, slug: str) -> str:
    """Every response as CSV: when, persona, segment, then one column per question."""
    async with db.session() as session:
        survey = await session.scalar(select(PulseSurvey).where(PulseSurvey.slug == slug))
        if survey is None:
            raise EngagementError("not_found", f"no survey {slug!r}")
        questions = Questions.model_validate(survey.questions).questions
        responses = (
            await session.scalars(
                select(SurveyResponse)
                .where(SurveyResponse.survey_id == survey.id)
                .order_by(SurveyResponse.answered_at, SurveyResponse.id)
            )
        ).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["answered_at", "persona", "segment", *(q.id for q in questions)])
    for response in responses:
        writer.writerow(
            [
                response.answered_at.isoformat(),
                response.persona,
                response.segment,
                *(_cell(response.answers.get(q.id)) for q in questions),
            ]
        )
    return out.getvalue()


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
