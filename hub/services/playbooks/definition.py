"""What an administrator writes for one playbook: its steps, audience, window and holdout.

Checked whole before anything is stored (``PlaybookDefinition``); a mistake names its
field (``steps.1.amount``) so the form can show it beside the field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hub.i18n import N_
from hub.services.engagement.rules import by_field, describe

StepKind = Literal["next_action", "incentive", "message", "expert_help"]
STEP_KINDS: tuple[StepKind, ...] = ("next_action", "incentive", "message", "expert_help")
MAX_STEPS = 6
MAX_HOLDOUT = 0.5


class InvalidPlaybook(ValueError):
    """The definition does not validate; ``problems`` maps each field to what is wrong."""

    def __init__(self, message: str, problems: dict[str, str]) -> None:
        super().__init__(message)
        self.problems = problems


class PlaybookStepDefinition(BaseModel):
    """One step. Which fields count depends on ``kind``:

    * ``next_action``: ``title``, ``text`` (the "because …"), ``link``, ``points``;
    * ``incentive``: ``title`` (the SPIF's name), ``text``, ``amount``, ``currency``,
      ``days`` (how long it runs);
    * ``message``: ``title`` (subject), ``text`` (body; ``{name}``, ``{partner}``,
      ``{manager}`` are filled in), ``email_id`` (the marketing platform's email to send,
      when one is configured; else the hub sends it by SMTP);
    * ``expert_help``: ``title`` (the offer), ``text`` (what the manager arranges).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: StepKind
    title: str = Field(min_length=1, max_length=120)
    text: str = Field(default="", max_length=2000)
    link: str = Field(default="", max_length=500)
    points: int = Field(default=0, ge=0, le=10_000)
    amount: Decimal = Field(default=Decimal(0), ge=0, le=1_000_000)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    days: int = Field(default=30, ge=1, le=365)
    email_id: str = Field(default="", max_length=40, pattern=r"^[0-9]*$")

    @field_validator("link")
    @classmethod
    def _safe_link(cls, link: str) -> str:
        if link and not (
            (link.startswith("/") and not link.startswith("//")) or link.startswith("https://")
        ):
            raise ValueError(N_("a path in the hub (/…) or an https:// address"))
        return link

    @model_validator(mode="after")
    def _complete(self) -> PlaybookStepDefinition:
        if self.kind == "next_action" and not (self.link and self.text):
            raise ValueError(N_("a next best action needs its reason and a link"))
        if self.kind == "incentive" and self.amount <= 0:
            raise ValueError(N_("an incentive needs an amount above zero"))
        if self.kind == "message" and not self.text.strip():
            raise ValueError(N_("a message needs its text"))
        return self


class PlaybookDefinition(BaseModel):
    """A playbook as data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=500)
    # Which of the partner's personas get the steps (empty: all of its people).
    audience: tuple[str, ...] = ()
    window_days: int = Field(default=60, ge=7, le=365)
    holdout_share: float = Field(default=0.2, ge=0, le=MAX_HOLDOUT)
    steps: tuple[PlaybookStepDefinition, ...] = Field(min_length=1, max_length=MAX_STEPS)


def parse_playbook(values: Any) -> PlaybookDefinition:
    """Validate a definition; :class:`InvalidPlaybook` says what is wrong, field by field."""
    try:
        return PlaybookDefinition.model_validate(values)
    except ValidationError as error:
        raise InvalidPlaybook(describe(error), by_field(error)) from None


# Sensible playbooks to start from; ``hub seed-demo`` adds them, an administrator edits them.
DEFAULTS: dict[str, dict[str, Any]] = {
    "win-back": {
        "name": "Win-back: SPIF + email",
        "description": "For a partner that has gone quiet: a time-boxed bonus on the next "
        "deal registered, and a personal note from its channel manager.",
        "audience": ["partner_owner", "sales_rep"],
        "window_days": 60,
        "holdout_share": 0.2,
        "steps": [
            {
                "kind": "incentive",
                "title": "Comeback bonus: your next registered deal",
                "text": "A bonus on the next deal you register within the window.",
                "amount": "250",
                "currency": "USD",
                "days": 45,
            },
            {
                "kind": "message",
                "title": "We miss you: a bonus on your next deal",
                "text": "Hello {name},\n\nit has been a while since {partner} registered a "
                "deal with us. For the next 45 days there is a comeback bonus on your next "
                "registered deal. Shall we talk about your pipeline?\n\n{manager}",
            },
            {
                "kind": "next_action",
                "title": "Register your next deal and earn the comeback bonus",
                "text": "a comeback bonus is waiting for {partner}'s next deal",
                "link": "/go/prm/",
                "points": 100,
            },
        ],
    },
    "onboarding-rescue": {
        "name": "Onboarding rescue: expert session + training nudge",
        "description": "For a partner stuck in onboarding or training: a session with a "
        "solutions expert and a nudge towards the first course.",
        "audience": ["partner_owner", "support", "sales_rep"],
        "window_days": 45,
        "holdout_share": 0.2,
        "steps": [
            {
                "kind": "expert_help",
                "title": "A one-hour session with a solutions expert",
                "text": "Call the partner, agree a date, and run the onboarding session.",
            },
            {
                "kind": "next_action",
                "title": "Finish your onboarding course",
                "text": "an expert session is being arranged for {partner}; the course "
                "makes the most of it",
                "link": "/go/lms/",
                "points": 50,
            },
        ],
    },
    "re-engage-marketing": {
        "name": "Re-engage marketing: campaign nudge + email",
        "description": "For a partner whose marketing went quiet: this quarter's campaign "
        "to share, and a note on what it brings.",
        "audience": ["marketer", "partner_owner"],
        "window_days": 30,
        "holdout_share": 0.25,
        "steps": [
            {
                "kind": "next_action",
                "title": "Share this quarter's campaign",
                "text": "partners who share it see leads within weeks",
                "link": "/go/tcma/",
                "points": 50,
            },
            {
                "kind": "message",
                "title": "A campaign ready for {partner}",
                "text": "Hello {name},\n\nthis quarter's campaign is ready to share, "
                "co-branded for {partner}. It takes five minutes.\n\n{manager}",
            },
        ],
    },
}
