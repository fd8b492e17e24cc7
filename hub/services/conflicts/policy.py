"""The conflict policy an administrator sets: who wins by default, the window, the threshold.

One validated document in ``program_settings`` (key ``deal_conflicts``); the defaults hold
until an administrator saves another, and nothing is stored unless the whole of it is valid.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.engagement import ProgramSetting
from hub.services.engagement.rules import describe

SETTING_KEY = "deal_conflicts"


class InvalidConflictPolicy(ValueError):
    """The policy does not validate; the message says which field and why."""


class ConflictPolicy(BaseModel):
    """How conflicts are found and what the queue suggests."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # first_to_register: suggest approving the earlier registration; vendor_decides: no
    # suggestion, the channel manager weighs each one.
    policy: Literal["first_to_register", "vendor_decides"] = "first_to_register"
    # Two registrations of one customer conflict when registered this close together, and
    # only while the later one is this young.
    window_days: int = Field(default=90, ge=1, le=730)
    # Least similarity (0-100, rapidfuzz's token sort ratio of the normalised names) for two
    # names to be one company.
    threshold: float = Field(default=90, ge=50, le=100)


def parse_policy(values: Any) -> ConflictPolicy:
    """Validate a policy document; :class:`InvalidConflictPolicy` says what is wrong."""
    try:
        return ConflictPolicy.model_validate(values)
    except ValidationError as error:
        raise InvalidConflictPolicy(describe(error)) from None


async def conflict_policy(session: AsyncSession) -> ConflictPolicy:
    """The policy in force: the stored one, or the defaults."""
    row = await session.get(ProgramSetting, SETTING_KEY)
    return ConflictPolicy() if row is None else parse_policy(row.value)


async def save_conflict_policy(session: AsyncSession, values: Any) -> ConflictPolicy:
    """Store a new policy after validating it whole; nothing is stored if it fails."""
    policy = parse_policy(values)
    row = await session.get(ProgramSetting, SETTING_KEY)
    document = policy.model_dump(mode="json")
    if row is None:
        session.add(ProgramSetting(key=SETTING_KEY, value=document))
    else:
        row.value = document
    return policy
