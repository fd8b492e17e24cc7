"""The recognition policy an administrator sets: approval threshold, limits, value tags."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.engagement import ProgramSetting
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.rules import describe

POLICY_KEY = "recognition"
# Roles whose holders may be given a giving budget: the vendor's field team.


class RecognitionPolicy(BaseModel):
    """Limits on kudos; stored as JSON in ``program_settings`` under ``recognition``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    approval_threshold: int = Field(default=200, ge=0, description="awards above wait for approval")
    max_points: int = Field(default=1_000, ge=1, le=100_000, description="most points one award")
    rate_limit_per_hour: int = Field(default=20, ge=1, le=1_000)
    cooldown_hours: float = Field(default=24, ge=0, le=24 * 90)
    max_message_length: int = Field(default=500, ge=20, le=5_000)
    budget_period: Literal["month", "quarter"] = "quarter"
    value_tags: tuple[str, ...] = (
        "customer_first",
        "teamwork",
        "above_and_beyond",
        "expertise",
        "partnership",
    )


async def recognition_policy(session: AsyncSession) -> RecognitionPolicy:
    """The policy in force: the stored one, or the defaults."""
    row = await session.get(ProgramSetting, POLICY_KEY)
    if row is None:
        return RecognitionPolicy()
    return RecognitionPolicy.model_validate(row.value)


async def set_recognition_policy(
    session: AsyncSession, values: dict[str, Any]
) -> RecognitionPolicy:
    """Change the policy; a value that does not validate is refused and nothing stored."""
    try:
        policy = RecognitionPolicy.model_validate(values)
    except ValidationError as error:
        raise EngagementError("invalid_policy", describe(error)) from None
    row = await session.get(ProgramSetting, POLICY_KEY)
    if row is None:
        session.add(ProgramSetting(key=POLICY_KEY, value=policy.model_dump(mode="json")))
    else:
        row.value = policy.model_dump(mode="json")
    return policy
