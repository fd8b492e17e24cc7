"""What an administrator sets for program insight: metric weights, windows, stages, the KPI.

One validated document in ``program_settings`` (key ``program_insight``); the defaults
below hold until an administrator saves another. Everything is checked whole before
anything is stored: weights that sum to nothing, an event kind the hub does not know,
stages out of order or repeated are refused with what was wrong.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.engagement import ProgramSetting
from hub.services.engagement.rules import describe

SETTING_KEY = "program_insight"

# Every event kind the activity log holds that program insight can read.
KNOWN_KINDS = frozenset(
    {
        "partner_joined",
        "sign_in",
        "asset_viewed",
        # The content library's uses (hub.services.content.usage): an administrator may
        # weigh a finished video or an opened item above a view.
        "content_viewed",
        "content_opened",
        "content_completed",
        "page_viewed",
        "course_completed",
        "quiz_passed",
        "deal_registered",
        "deal_won",
        "campaign_redistributed",
        "lead_shared",
        "meeting_held",
        "call_logged",
        "claim_submitted",
        "survey_answered",
        "recognition_given",
        "recognition_received",
        "action_completed",
        "vendor_email_sent",
        "vendor_email_opened",
    }
)


class InvalidProgramConfig(ValueError):
    """The settings do not validate; the message says which field and why."""


class Metric(BaseModel):
    """One input of the engagement score: the event kinds it counts and its weight."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    kinds: tuple[str, ...] = Field(min_length=1)
    weight: float = Field(ge=0, le=100)
    # The backend kind the events come from, for "no data" and the source shown.
    source: str


class Stage(BaseModel):
    """A journey stage: reached at the ``nth`` event of one of ``kinds`` (none: on joining)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    kinds: tuple[str, ...] = ()
    nth: int = Field(default=1, ge=1, le=100)


class Activation(BaseModel):
    """What "activated" means for the program, optionally within days of joining."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal[
        "first_deal_registered", "first_deal_won", "deals_won", "revenue", "monthly_revenue"
    ] = "first_deal_won"
    count: int = Field(default=1, ge=1, le=1000)  # for deals_won
    # For revenue: won deal amounts, summed; for monthly_revenue: each month's least.
    amount: float = Field(default=0, ge=0)
    months: int = Field(default=3, ge=1, le=36)  # for monthly_revenue: months in a row
    within_days: int | None = Field(default=None, ge=1, le=3650)


class Dormancy(BaseModel):
    """When a partner counts as dormant or at risk, and who is spared."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Events that do not count as meaningful activity on their own.
    not_meaningful: tuple[str, ...] = (
        "partner_joined",
        "sign_in",
        "page_viewed",
        "survey_answered",
        "vendor_email_sent",
        "vendor_email_opened",
    )
    quiet_days: int = Field(default=45, ge=1, le=3650)
    # A partner agreement ending within this many days puts the partner at risk.
    renewal_days: int = Field(default=60, ge=0, le=365)
    no_deal_days: int = Field(default=120, ge=1, le=3650)
    training_days: int = Field(default=180, ge=1, le=3650)
    # Newly recruited partners are not flagged until this many days after joining.
    grace_days: int = Field(default=60, ge=0, le=3650)


DEFAULT_METRICS = (
    Metric(id="marketing", kinds=("campaign_redistributed",), weight=30, source="tcma"),
    Metric(id="leads", kinds=("lead_shared",), weight=25, source="tcma"),
    Metric(
        id="selling", kinds=("deal_registered", "deal_won", "call_logged"), weight=30, source="prm"
    ),
    Metric(id="meetings", kinds=("meeting_held",), weight=15, source="prm"),
    Metric(id="sign_ins", kinds=("sign_in",), weight=3, source="hub"),
    Metric(
        id="content",
        kinds=("asset_viewed", "course_completed", "quiz_passed"),
        weight=5,
        source="lms",
    ),
)
DEFAULT_STAGES = (
    Stage(id="recruited"),
    Stage(id="onboarded", kinds=("sign_in", "course_completed")),
    Stage(id="trained", kinds=("quiz_passed",)),
    Stage(id="first_deal_registered", kinds=("deal_registered",)),
    Stage(id="first_deal_won", kinds=("deal_won",)),
    Stage(id="repeat_business", kinds=("deal_won",), nth=2),
)


class ProgramConfig(BaseModel):
    """The whole of an administrator's program-insight settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    metrics: tuple[Metric, ...] = DEFAULT_METRICS
    window_days: int = Field(default=90, ge=7, le=730)
    half_life_days: float = Field(default=30, gt=0, le=730)
    period_days: int = Field(default=30, ge=1, le=365)  # "what moved since the last period"
    stages: tuple[Stage, ...] = DEFAULT_STAGES
    activation: Activation = Activation()
    dormancy: Dormancy = Dormancy()
    # Money across partners is compared in one currency, at rates the administrator keeps.
    reporting_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    rates: dict[str, float] = Field(
        default_factory=lambda: {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "AUD": 0.66, "CAD": 0.73}
    )

    @model_validator(mode="after")
    def _consistent(self) -> ProgramConfig:
        if not sum(metric.weight for metric in self.metrics) > 0:
            raise ValueError("metrics: the weights sum to nothing")
        ids = [metric.id for metric in self.metrics]
        if len(ids) != len(set(ids)):
            raise ValueError("metrics: each id once")
        named = [kind for metric in self.metrics for kind in metric.kinds]
        named += [kind for stage in self.stages for kind in stage.kinds]
        named += list(self.dormancy.not_meaningful)
        if unknown := sorted(set(named) - KNOWN_KINDS):
            raise ValueError(f"unknown event kinds: {', '.join(unknown)}")
        stage_ids = [stage.id for stage in self.stages]
        if len(stage_ids) < 2 or len(stage_ids) != len(set(stage_ids)):
            raise ValueError("stages: at least two, each id once (a repeated stage is a cycle)")
        if self.stages[0].kinds:
            raise ValueError("stages: the first stage is joining the program (no kinds)")
        if any(rate <= 0 for rate in self.rates.values()):
            raise ValueError("rates: each rate is above zero")
        return self


def parse_config(values: Any) -> ProgramConfig:
    """Validate a settings document; :class:`InvalidProgramConfig` says what is wrong."""
    try:
        return ProgramConfig.model_validate(values)
    except ValidationError as error:
        raise InvalidProgramConfig(describe(error)) from None


async def program_config(session: AsyncSession) -> ProgramConfig:
    """The settings in force: the stored ones, or the defaults."""
    row = await session.get(ProgramSetting, SETTING_KEY)
    return ProgramConfig() if row is None else parse_config(row.value)


async def save_program_config(session: AsyncSession, values: Any) -> ProgramConfig:
    """Store new settings after validating them whole; nothing is stored if they fail."""
    config = parse_config(values)
    row = await session.get(ProgramSetting, SETTING_KEY)
    document = config.model_dump(mode="json")
    if row is None:
        session.add(ProgramSetting(key=SETTING_KEY, value=document))
    else:
        row.value = document
    return config
