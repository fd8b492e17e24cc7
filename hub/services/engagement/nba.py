"""Next best action: rules as data, filtered by eligibility, applicability and suitability.

Eligibility is who the rule is for (persona, tier, partner type, region); applicability is
a condition on facts the caller gathers from the connectors (deals this month, fund claims
expiring …); suitability is the user's own history with the action (not done, not
dismissed, not snoozed). What is left is ranked by value × program priority. Each shown,
clicked and completed step lands in the rule's funnel once per user.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database
from hub.db.engagement import ActionFunnelStep, ActionRule, ActionState
from hub.db.types import utcnow
from hub.db.writes import insert_ignoring_duplicates
from hub.personas.audience import Requester, reaches
from hub.services import activity
from hub.services.activity import Activity
from hub.services.engagement import ledger
from hub.services.engagement.conditions import Condition
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.leaderboards import Credit, placements, record_credits
from hub.services.engagement.rules import by_field, describe
from hub.store import KeyValueStore

Step = Literal["clicked", "done", "dismissed", "snoozed"]
STEPS: tuple[Step, ...] = ("clicked", "done", "dismissed", "snoozed")
FUNNEL_STEPS = ("shown", "clicked", "completed")


class ActionDefinition(BaseModel):
    """What an administrator writes for one action."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=120)
    reason: str = Field(min_length=1, max_length=300, description="'because …', may use {fact}")
    link: str = Field(min_length=1, max_length=500)
    points_bonus: int = Field(default=0, ge=0, le=10_000)
    value: float = Field(default=1, gt=0, le=1_000_000)
    priority: float = Field(default=1, gt=0, le=100)
    personas: list[str] = Field(default_factory=list)
    tiers: list[str] = Field(default_factory=list)
    partner_types: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    when: Condition | None = None
    snooze_days: int = Field(default=7, ge=1, le=365)

    @field_validator("link")
    @classmethod
    def _safe_link(cls, link: str) -> str:
        if not (link.startswith("/") and not link.startswith("//")) and not link.startswith(
            "https://"
        ):
            raise ValueError("a path in the hub (/…) or an https:// address")
        return link

    @field_validator("reason")
    @classmethod
    def _plain_placeholders(cls, reason: str) -> str:
        for _, name, _, _ in string.Formatter().parse(reason):
            if name is not None and not name.isidentifier():
                raise ValueError(f"placeholders are plain fact names, not {name!r}")
        return reason


@dataclass(frozen=True)
class SuggestedAction:
    """One suggestion: what, why ("because …"), where, the bonus, its rank score."""

    slug: str
    title: str
    reason: str
    link: str
    points_bonus: int
    score: float


@dataclass(frozen=True)
class FunnelLine:
    """How one rule does: users shown, clicked, completed, and dismissed."""

    slug: str
    shown: int
    clicked: int
    completed: int
    dismissed: int


def parse_action(definition: Any) -> ActionDefinition:
    """Validate an action rule; ``EngagementError("invalid_rule")`` says what is wrong."""
    try:
        return ActionDefinition.model_validate(definition)
    except ValidationError as error:
        raise EngagementError("invalid_rule", describe(error), by_field(error)) from None


async def save_action_rule(
    session: AsyncSession, slug: str, definition: dict[str, Any], *, active: bool = True
) -> ActionRule:
    """Create or change an action rule after validating it."""
    parse_action(definition)
    if not slug or len(slug) > 64:
        raise EngagementError("invalid_rule", "slug: 1–64 characters", {"slug": "1–64 characters"})
    rule = await session.scalar(select(ActionRule).where(ActionRule.slug == slug))
    if rule is None:
        rule = ActionRule(slug=slug)
        session.add(rule)
    rule.definition, rule.active, rule.updated_at = definition, active, utcnow()
    await session.flush()
    return rule


class _Facts(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


async def next_best_actions(
    db: Database,
    subject: Requester,
    facts: Mapping[str, Any],
    *,
    now: datetime,
    limit: int = 3,
    record_shown: bool = True,
) -> list[SuggestedAction]:
    """The best ``limit`` actions for ``subject`` given ``facts``; recorded as shown."""
    async with db.session() as session:
        rules = (await session.scalars(select(ActionRule).where(ActionRule.active))).all()
        states = {
            state.rule_id: state
            for state in (
                await session.scalars(
                    select(ActionState).where(ActionState.user_id == subject.user_id)
                )
            ).all()
        }
    ranked: list[tuple[float, str, int, SuggestedAction]] = []
    for rule in rules:
        try:
            action = parse_action(rule.definition)
        except EngagementError:
            continue
        state = states.get(rule.id)
        if state is not None and (
            state.status in ("done", "dismissed")
            or (state.status == "snoozed" and state.snoozed_until and state.snoozed_until > now)
        ):
            continue
        if not reaches(action, subject) or (action.when and not action.when.holds(facts)):
            continue
        score = action.value * action.priority
        reason = action.reason.format_map(_Facts(facts))
        suggestion = SuggestedAction(
            rule.slug, action.title, reason, action.link, action.points_bonus, score
        )
        ranked.append((-score, rule.slug, rule.id, suggestion))
    ranked.sort(key=lambda item: (item[0], item[1]))
    chosen = ranked[:limit]
    if record_shown and chosen:
        async with db.transaction() as session:
            await insert_ignoring_duplicates(
                session,
                ActionFunnelStep,
                [
                    {
                        "rule_id": rule_id,
                        "user_id": subject.user_id,
                        "step": "shown",
                        "occurred_at": now,
                    }
                    for _, _, rule_id, _ in chosen
                ],
                unique=["rule_id", "user_id", "step"],
            )
    return [suggestion for *_, suggestion in chosen]


async def action_for(
    session: AsyncSession, slug: str, requester: Requester
) -> tuple[ActionRule, ActionDefinition] | None:
    """The active rule ``slug`` and its action, if it is meant for ``requester``."""
    rule = await session.scalar(
        select(ActionRule).where(ActionRule.slug == slug, ActionRule.active)
    )
    if rule is None:
        return None
    action = parse_action(rule.definition)
    return (rule, action) if reaches(action, requester) else None


async def act_on_action(
    db: Database,
    store: KeyValueStore,
    requester: Requester,
    *,
    slug: str,
    step: Step,
    now: datetime,
    snooze_days: int | None = None,
) -> ActionDefinition:
    """Record a click, completion, dismissal or snooze of an action meant for ``requester``.

    An action that is inactive or not meant for them is ``not_found``, the same answer as
    one that does not exist. Completing pays the points bonus once and records an
    ``action_completed`` event (badges can ask for it) for the worker to evaluate.
    """
    if step not in STEPS:
        raise EngagementError("invalid_action", f"step: one of {', '.join(STEPS)}")
    user_id = requester.user_id
    credits: list[Credit] = []
    async with db.transaction() as session:
        found = await action_for(session, slug, requester)
        if found is None:
            raise EngagementError("not_found", f"no action {slug!r} for you")
        rule, action = found
        funnel = {"clicked": "clicked", "done": "completed"}.get(step)
        if funnel:
            await insert_ignoring_duplicates(
                session,
                ActionFunnelStep,
                [{"rule_id": rule.id, "user_id": user_id, "step": funnel, "occurred_at": now}],
                unique=["rule_id", "user_id", "step"],
            )
        if step != "clicked":
            await _set_state(
                session, rule.id, user_id, step, now, snooze_days or action.snooze_days
            )
        if step == "done":
            await activity.record_all(
                session,
                [
                    Activity(
                        key=f"action:{slug}:{user_id}:done",
                        kind="action_completed",
                        occurred_at=now,
                        user_id=user_id,
                        partner_org_id=requester.partner_org_id,
                        object=f"action:{slug}",
                    )
                ],
            )
        if step == "done" and action.points_bonus:
            award = ledger.Award(
                user_id, action.points_bonus, "action_bonus", f"action:{rule.id}:{user_id}", now
            )
            posted = await ledger.post_awards(session, [award])
            credits = [Credit(a.user_id, a.points, a.occurred_at) for a in posted]
        where = await placements(session, {credit.user_id for credit in credits})
    await record_credits(store, credits, where)
    return action


async def _set_state(
    session: AsyncSession, rule_id: int, user_id: int, step: Step, now: datetime, days: int
) -> None:
    if step == "snoozed" and not 1 <= days <= 365:
        raise EngagementError("invalid_action", "snooze for 1–365 days")
    state = await session.scalar(
        select(ActionState).where(ActionState.rule_id == rule_id, ActionState.user_id == user_id)
    )
    if state is None:
        state = ActionState(rule_id=rule_id, user_id=user_id, status=step)
        session.add(state)
    if state.status == "done" and step != "done":
        return  # done stays done
    state.status, state.updated_at = step, now
    state.snoozed_until = now + timedelta(days=days) if step == "snoozed" else None


async def action_funnel(db: Database) -> list[FunnelLine]:
    """Per rule, how many users were shown, clicked, completed and dismissed it."""
    async with db.session() as session:
        steps = await session.execute(
            select(ActionFunnelStep.rule_id, ActionFunnelStep.step, func.count()).group_by(
                ActionFunnelStep.rule_id, ActionFunnelStep.step
            )
        )
        dismissed = await session.execute(
            select(ActionState.rule_id, func.count())
            .where(ActionState.status == "dismissed")
            .group_by(ActionState.rule_id)
        )
        rules = (await session.execute(select(ActionRule.id, ActionRule.slug))).all()
    counts: dict[tuple[int, str], int] = {(r, s): int(n) for r, s, n in steps}
    counts.update({(r, "dismissed"): int(n) for r, n in dismissed})
    return [
        FunnelLine(
            slug,
            counts.get((rule_id, "shown"), 0),
            counts.get((rule_id, "clicked"), 0),
            counts.get((rule_id, "completed"), 0),
            counts.get((rule_id, "dismissed"), 0),
        )
        for rule_id, slug in sorted(rules, key=lambda row: row[1])
    ]
