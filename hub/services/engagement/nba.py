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
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database
from hub.db.engagement import ActionFunnelStep, ActionRule, ActionState, PointsTransfer
from hub.db.types import utcnow
from hub.db.writes import insert_ignoring_duplicates
from hub.i18n import DEFAULT_LOCALE, written_text, written_texts
from hub.personas.audience import Requester, reaches
from hub.services import activity
from hub.services.activity import Activity
from hub.services.engagement import ledger
from hub.services.engagement.conditions import Condition
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.leaderboards import Credit, placements, record_credits
from hub.services.engagement.rules import by_field, describe
from hub.services.engagement.wording import word_reason
from hub.store import KeyValueStore

Step = Literal["clicked", "done", "dismissed", "snoozed"]
STEPS: tuple[Step, ...] = ("clicked", "done", "dismissed", "snoozed")
FUNNEL_STEPS = ("shown", "clicked", "completed")
CONFIRMED_SHOWN_FOR = timedelta(days=3)


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
    # Only the people of these partner orgs (a reactivation playbook's targeted action);
    # empty: any partner's.
    partner_orgs: list[int] = Field(default_factory=list)
    when: Condition | None = None
    # A condition on the same facts that shows the action was done (a deal registered,
    # the invoice submitted); a rule with one is "checkable" and pays on confirmation.
    confirm: Condition | None = None
    # What "I did this" pays: on a checkable rule, before (and counted against) the
    # confirmed bonus, and never the badge; on another rule, all it ever pays.
    self_report_points: int = Field(default=0, ge=0, le=10_000)
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
    checkable: bool = False
    status: Literal["offered", "reported", "confirmed"] = "offered"

    @property
    def system(self) -> str:
        """The backend kind the link opens (``prm`` for ``/go/prm/…``), else ``""``."""
        if not self.link.startswith("/go/"):
            return ""
        return self.link.removeprefix("/go/").partition("/")[0]


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
    session: AsyncSession,
    slug: str,
    definition: dict[str, Any],
    *,
    active: bool = True,
    texts: Mapping[str, Mapping[str, str]] | None = None,
) -> ActionRule:
    """Create or change an action rule after validating it.

    ``texts`` gives the title and reason in other languages (``{"de": {"title": …}}``);
    left out, those already stored are kept. A reason's placeholders are checked alike."""
    action = parse_action(definition)
    if not slug or len(slug) > 64:
        raise EngagementError("invalid_rule", "slug: 1–64 characters", {"slug": "1–64 characters"})
    for locale, fields in written_texts(texts or {}).items():
        if unknown := _placeholders(fields.get("reason", "")) - _placeholders(action.reason):
            message = "uses facts the reason does not: " + ", ".join(sorted(unknown))
            raise EngagementError("invalid_rule", message, {f"reason_{locale}": message})
    rule = await session.scalar(select(ActionRule).where(ActionRule.slug == slug))
    if rule is None:
        rule = ActionRule(slug=slug)
        session.add(rule)
    rule.definition, rule.active, rule.updated_at = definition, active, utcnow()
    if texts is not None:
        rule.texts = written_texts(texts)
    await session.flush()
    return rule


def _placeholders(reason: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(reason) if name}
    except ValueError:  # an unmatched brace: shown as typed, so nothing it names
        return set()


async def next_best_actions(
    db: Database,
    subject: Requester,
    facts: Mapping[str, Any],
    *,
    now: datetime,
    limit: int = 3,
    record_shown: bool = True,
    store: KeyValueStore | None = None,
    locale: str = DEFAULT_LOCALE,
) -> list[SuggestedAction]:
    """The best ``limit`` actions for ``subject`` given ``facts``, worded in ``locale``;
    recorded as shown.

    First come the actions the facts now confirm (a checkable rule shown to them whose
    ``confirm`` holds): each is paid its bonus once and listed as ``confirmed`` for
    ``CONFIRMED_SHOWN_FOR``. A self-reported checkable action stays listed as ``reported``.
    """
    # The active rules with the person's state of each and whether it was shown to them,
    # in one statement (a state and a "shown" step are unique per person and rule).
    was_shown = (
        select(ActionFunnelStep.id)
        .where(
            ActionFunnelStep.rule_id == ActionRule.id,
            ActionFunnelStep.user_id == subject.user_id,
            ActionFunnelStep.step == "shown",
        )
        .exists()
    )
    async with db.session() as session:
        found = (
            await session.execute(
                select(ActionRule, ActionState, was_shown.label("shown"))
                .outerjoin(
                    ActionState,
                    and_(
                        ActionState.rule_id == ActionRule.id, ActionState.user_id == subject.user_id
                    ),
                )
                .where(ActionRule.active == true())
                .order_by(ActionRule.id)
            )
        ).all()
    rules = [row.ActionRule for row in found]
    states = {row.ActionState.rule_id: row.ActionState for row in found if row.ActionState}
    shown = {row.ActionRule.id for row in found if row.shown}
    ranked: list[tuple[float, str, int, SuggestedAction]] = []
    confirmed: list[SuggestedAction] = []
    newly_confirmed: list[tuple[ActionRule, ActionDefinition]] = []
    for rule in rules:
        try:
            action = parse_action(rule.definition)
        except EngagementError:
            continue
        state = states.get(rule.id)
        if state is not None and state.status == "confirmed":
            if state.updated_at and _aware(state.updated_at) > now - CONFIRMED_SHOWN_FOR:
                confirmed.append(_suggest(rule, action, facts, 0, "confirmed", locale))
            continue
        if (
            action.confirm is not None
            and rule.id in shown
            and (state is None or state.status != "dismissed")
            and action.confirm.holds(facts)
        ):
            newly_confirmed.append((rule, action))
            confirmed.append(_suggest(rule, action, facts, 0, "confirmed", locale))
            continue
        if state is not None and (
            state.status in ("done", "dismissed")
            or (state.status == "snoozed" and state.snoozed_until and state.snoozed_until > now)
        ):
            continue
        if not _for(action, subject) or (action.when and not action.when.holds(facts)):
            continue
        score = action.value * action.priority
        reported = state is not None and state.status == "reported"
        suggestion = _suggest(
            rule, action, facts, score, "reported" if reported else "offered", locale
        )
        ranked.append((-score, rule.slug, rule.id, suggestion))
    ranked.sort(key=lambda item: (item[0], item[1]))
    chosen = ranked[:limit]
    # Only what was not shown before: a page showing the same actions again writes nothing.
    first_shown = [rule_id for _, _, rule_id, _ in chosen if rule_id not in shown]
    if record_shown and first_shown:
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
                    for rule_id in first_shown
                ],
                unique=["rule_id", "user_id", "step"],
            )
    if newly_confirmed:
        await _confirm(db, store, subject, newly_confirmed, now)
    return confirmed + [suggestion for *_, suggestion in chosen]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _suggest(
    rule: ActionRule,
    action: ActionDefinition,
    facts: Mapping[str, Any],
    score: float,
    status: str,
    locale: str = DEFAULT_LOCALE,
) -> SuggestedAction:
    texts = rule.texts or {}
    return SuggestedAction(
        rule.slug,
        written_text(action.title, locale, texts, "title"),
        word_reason(written_text(action.reason, locale, texts, "reason"), facts, locale),
        action.link,
        # What it can earn them: the confirmed bonus, or all that their word pays.
        action.points_bonus if action.confirm is not None else action.self_report_points,
        score,
        checkable=action.confirm is not None,
        status=status,  # type: ignore[arg-type]
    )


async def _confirm(
    db: Database,
    store: KeyValueStore | None,
    subject: Requester,
    found: list[tuple[ActionRule, ActionDefinition]],
    now: datetime,
) -> None:
    """Mark actions the facts show were done as confirmed and pay them, each once."""
    credits: list[Credit] = []
    async with db.transaction() as session:
        for rule, action in found:
            state = await session.scalar(
                select(ActionState).where(
                    ActionState.rule_id == rule.id, ActionState.user_id == subject.user_id
                )
            )
            if state is not None and state.status in ("confirmed", "dismissed"):
                continue  # another request confirmed it meanwhile
            await _complete(session, rule, action, subject, now)
            if state is None:
                session.add(
                    ActionState(
                        rule_id=rule.id, user_id=subject.user_id, status="confirmed", updated_at=now
                    )
                )
            else:
                state.status, state.updated_at, state.snoozed_until = "confirmed", now, None
            paid = action.points_bonus - (
                action.self_report_points if await _reported(session, rule, subject) else 0
            )
            posted = await ledger.post_awards(
                session,
                [
                    ledger.Award(
                        subject.user_id,
                        max(0, paid),
                        "action_bonus",
                        f"action:{rule.id}:{subject.user_id}",
                        now,
                    )
                ],
            )
            credits += [Credit(a.user_id, a.points, a.occurred_at) for a in posted]
        where = await placements(session, {credit.user_id for credit in credits})
    if store is not None:
        await record_credits(store, credits, where)


async def _reported(session: AsyncSession, rule: ActionRule, subject: Requester) -> bool:
    key = f"action:{rule.id}:{subject.user_id}:reported"
    return bool(
        await session.scalar(select(func.count()).where(PointsTransfer.idempotency_key == key))
    )


async def _complete(
    session: AsyncSession,
    rule: ActionRule,
    action: ActionDefinition,
    requester: Requester,
    now: datetime,
) -> None:
    """The completed step of the funnel and the ``action_completed`` event badges read."""
    await insert_ignoring_duplicates(
        session,
        ActionFunnelStep,
        [
            {
                "rule_id": rule.id,
                "user_id": requester.user_id,
                "step": "completed",
                "occurred_at": now,
            }
        ],
        unique=["rule_id", "user_id", "step"],
    )
    await activity.record_all(
        session,
        [
            Activity(
                key=f"action:{rule.slug}:{requester.user_id}:done",
                kind="action_completed",
                occurred_at=now,
                user_id=requester.user_id,
                partner_org_id=requester.partner_org_id,
                object=f"action:{rule.slug}",
            )
        ],
    )


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
    return (rule, action) if _for(action, requester) else None


def _for(action: ActionDefinition, requester: Requester) -> bool:
    """Meant for them: their persona and segment, and their org when it names orgs."""
    if action.partner_orgs and requester.partner_org_id not in action.partner_orgs:
        return False
    return reaches(action, requester)


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
    """Record a click, a self-reported completion, a dismissal or a snooze.

    An action that is inactive or not meant for them is ``not_found``, the same answer as
    one that does not exist, and so is "done" on one never shown to them. "Done" is their
    word only: it pays ``self_report_points``; on a rule without ``confirm`` it also
    completes the action (``action_completed``, which badges may ask for), while a
    checkable rule waits as ``reported`` until the facts confirm it. A second "done" is
    ``already_done``, with nothing paid twice.
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
        if step == "done":
            await _check_reportable(session, rule, user_id)
        if step == "clicked":
            await insert_ignoring_duplicates(
                session,
                ActionFunnelStep,
                [{"rule_id": rule.id, "user_id": user_id, "step": "clicked", "occurred_at": now}],
                unique=["rule_id", "user_id", "step"],
            )
        else:
            status: str = step
            if step == "done" and action.confirm is not None:
                status = "reported"
            await _set_state(
                session, rule.id, user_id, status, now, snooze_days or action.snooze_days
            )
        if step == "done" and action.confirm is None:
            await _complete(session, rule, action, requester, now)
        if step == "done" and action.self_report_points:
            award = ledger.Award(
                user_id,
                action.self_report_points,
                "action_bonus",
                f"action:{rule.id}:{user_id}:reported",
                now,
            )
            posted = await ledger.post_awards(session, [award])
            credits = [Credit(a.user_id, a.points, a.occurred_at) for a in posted]
        where = await placements(session, {credit.user_id for credit in credits})
    await record_credits(store, credits, where)
    return action


async def _check_reportable(session: AsyncSession, rule: ActionRule, user_id: int) -> None:
    """Only an action offered to this person, and not yet reported or done, can be reported."""
    shown = await session.scalar(
        select(func.count()).where(
            ActionFunnelStep.rule_id == rule.id,
            ActionFunnelStep.user_id == user_id,
            ActionFunnelStep.step == "shown",
        )
    )
    if not shown:
        raise EngagementError("not_found", f"action {rule.slug!r} was not offered to you")
    state = await session.scalar(
        select(ActionState.status).where(
            ActionState.rule_id == rule.id, ActionState.user_id == user_id
        )
    )
    if state in ("done", "reported", "confirmed"):
        raise EngagementError("already_done", f"action {rule.slug!r} is already {state}")


async def _set_state(
    session: AsyncSession, rule_id: int, user_id: int, step: str, now: datetime, days: int
) -> None:
    if step == "snoozed" and not 1 <= days <= 365:
        raise EngagementError("invalid_action", "snooze for 1–365 days")
    state = await session.scalar(
        select(ActionState).where(ActionState.rule_id == rule_id, ActionState.user_id == user_id)
    )
    if state is None:
        state = ActionState(rule_id=rule_id, user_id=user_id, status=step)
        session.add(state)
    if state.status in ("done", "confirmed"):
        return  # done stays done
    if state.status == "reported" and step != "dismissed":
        return  # waiting for confirmation; only dismissing gives it up
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
