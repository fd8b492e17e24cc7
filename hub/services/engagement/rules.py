"""Badge criteria as data: the JSON an administrator writes, validated before it is stored.

A rule that does not parse is refused with ``EngagementError("invalid_rule")`` naming the
field at fault, so a typo never reaches the engine.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from hub.services.engagement.errors import EngagementError

EVENT_KINDS = (
    "sign_in",
    "asset_viewed",
    "page_viewed",
    "course_completed",
    "quiz_passed",
    "deal_registered",
    "deal_won",
    "campaign_redistributed",
    "claim_submitted",
    "survey_answered",
    "recognition_given",
    "recognition_received",
    "action_completed",
    # The library's uses (hub.services.content.usage): a finished video is worth more
    # than a page looked at, so rules can weigh use above downloads.
    "content_viewed",
    "content_opened",
    "content_completed",
)
EventKind = Literal[
    "sign_in",
    "asset_viewed",
    "page_viewed",
    "course_completed",
    "quiz_passed",
    "deal_registered",
    "deal_won",
    "campaign_redistributed",
    "claim_submitted",
    "survey_answered",
    "recognition_given",
    "recognition_received",
    "action_completed",
    "content_viewed",
    "content_opened",
    "content_completed",
]


class _Criteria(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StreakCriteria(_Criteria):
    """Active on ``days`` distinct days in a row; gaps of up to ``freeze_days`` do not break it."""

    kind: Literal["streak"]
    event: EventKind = "sign_in"
    days: int = Field(ge=2, le=366)
    freeze_days: int = Field(default=0, ge=0, le=7)


class CountCriteria(_Criteria):
    """``count`` events of one kind (assets viewed, campaigns redistributed …), optionally distinct objects."""

    kind: Literal["count"]
    event: EventKind
    count: int = Field(ge=1, le=1_000_000)
    distinct_objects: bool = False


class FirstCriteria(_Criteria):
    """The first event of a kind: the first deal registered."""

    kind: Literal["first"]
    event: EventKind


class CourseCriteria(_Criteria):
    """Every course of a track completed (one course is a track of one), optionally in a time limit."""

    kind: Literal["courses"]
    courses: list[str] = Field(min_length=1, max_length=50)
    within_days: int | None = Field(default=None, ge=1, le=3650)


class PersonalBestCriteria(_Criteria):
    """A new personal best in a payload figure (deal size): beats every earlier one of the user's."""

    kind: Literal["personal_best"]
    event: EventKind = "deal_won"
    field: str = Field(default="amount", min_length=1, max_length=60)


class QuizAcedCriteria(_Criteria):
    """A quiz passed with at least ``min_score`` percent (``payload.score``)."""

    kind: Literal["quiz_aced"]
    min_score: float = Field(default=100, gt=0, le=100)


BadgeCriteria = Annotated[
    StreakCriteria
    | CountCriteria
    | FirstCriteria
    | CourseCriteria
    | PersonalBestCriteria
    | QuizAcedCriteria,
    Field(discriminator="kind"),
]
_CRITERIA: TypeAdapter[BadgeCriteria] = TypeAdapter(BadgeCriteria)


def parse_criteria(definition: Any) -> BadgeCriteria:
    """Validate a badge rule's JSON definition; ``EngagementError`` says what is wrong."""
    try:
        return _CRITERIA.validate_python(definition)
    except ValidationError as error:
        raise EngagementError(
            "invalid_rule", describe(error), by_field(error, skip_tag=True)
        ) from None


def by_field(error: ValidationError, *, skip_tag: bool = False) -> dict[str, str]:
    """A validation error as ``{dotted field: what is wrong}``, the first problem per field.

    ``skip_tag`` drops the leading tag a discriminated union puts in each location.
    """
    found: dict[str, str] = {}
    for problem in error.errors(include_url=False):
        loc = [str(part) for part in problem["loc"]]
        if skip_tag and loc:
            loc = loc[1:]
        found.setdefault(".".join(loc) or "definition", problem["msg"])
    return found


def describe(error: ValidationError) -> str:
    """A validation error as one readable line per problem: ``field: what is wrong``."""
    problems = []
    for problem in error.errors(include_url=False):
        where = ".".join(str(part) for part in problem["loc"]) or "definition"
        problems.append(f"{where}: {problem['msg']}")
    return "; ".join(problems)


def events_watched(criteria: BadgeCriteria) -> frozenset[str]:
    """The event kinds that can move this rule."""
    if isinstance(criteria, CourseCriteria):
        return frozenset({"course_completed"})
    if isinstance(criteria, QuizAcedCriteria):
        return frozenset({"quiz_passed"})
    return frozenset({criteria.event})
