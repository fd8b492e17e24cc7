"""What the rules page shows and saves: action rules with their funnel, badges, points.

Rules are data an administrator edits: each is saved through the engine's own
validating ``save_*`` call inside one transaction, so a rule that does not
parse is refused with the engine's message and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select

from hub.db import Database, PartnerOrg, User
from hub.db.engagement import ActionRule, ActionState, BadgeAward, BadgeRule, PointRule
from hub.personas.audience import Requester, Segment, reaches
from hub.services.engagement import badges, nba
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.nba import ActionDefinition, FunnelLine


@dataclass(frozen=True)
class ActionRuleView:
    slug: str
    definition: str  # pretty JSON, ready for the editor
    active: bool
    funnel: FunnelLine


@dataclass(frozen=True)
class BadgeRuleView:
    slug: str
    name: str
    description: str
    points: int
    definition: str
    active: bool
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RulesOverview:
    actions: list[ActionRuleView]
    badges: list[BadgeRuleView]
    points: list[tuple[str, int, bool]]


def _pretty(definition: dict[str, Any]) -> str:
    return json.dumps(definition, indent=2, ensure_ascii=False, sort_keys=True)


def parse_definition(text: str) -> dict[str, Any]:
    """A rule's JSON definition, or ``EngagementError`` saying where it does not parse."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EngagementError(
            "invalid_rule", f"definition: not JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(value, dict):
        raise EngagementError("invalid_rule", "definition: expected a JSON object")
    return value


PLAYBOOK_ACTION_PREFIX = "playbook-run-"


async def overview(db: Database) -> RulesOverview:
    funnel = {line.slug: line for line in await nba.action_funnel(db)}
    async with db.session() as session:
        # A playbook's targeted actions belong to its runs (see /program/playbooks), not here.
        actions = (
            await session.scalars(
                select(ActionRule)
                .where(ActionRule.slug.not_like(f"{PLAYBOOK_ACTION_PREFIX}%"))
                .order_by(ActionRule.slug)
            )
        ).all()
        badge_rules = (await session.scalars(select(BadgeRule).order_by(BadgeRule.slug))).all()
        points = (await session.scalars(select(PointRule).order_by(PointRule.event_kind))).all()
    return RulesOverview(
        actions=[
            ActionRuleView(
                rule.slug,
                _pretty(rule.definition),
                rule.active,
                funnel.get(rule.slug, FunnelLine(rule.slug, 0, 0, 0, 0)),
            )
            for rule in actions
        ],
        badges=[_badge_view(rule) for rule in badge_rules],
        points=[(rule.event_kind, rule.points, rule.active) for rule in points],
    )


async def save_action(db: Database, slug: str, definition: str, *, active: bool) -> None:
    await save_action_definition(db, slug, parse_definition(definition), active=active)


async def save_action_definition(
    db: Database,
    slug: str,
    definition: dict[str, Any],
    *,
    active: bool,
    texts: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Create or change an action rule from its definition, validated by the engine;
    ``texts`` (title and reason in other languages) are kept as stored when ``None``."""
    async with db.transaction() as session:
        await nba.save_action_rule(session, slug.strip(), definition, active=active, texts=texts)


class StoredAction(NamedTuple):
    """An action rule as stored: its definition, whether it is active, and its title and
    reason in the other languages."""

    definition: dict[str, Any]
    active: bool
    texts: dict[str, dict[str, str]]


async def action_rule(db: Database, slug: str) -> StoredAction | None:
    """Action rule ``slug`` as stored, or ``None``."""
    async with db.session() as session:
        rule = await session.scalar(select(ActionRule).where(ActionRule.slug == slug))
    if rule is None:
        return None
    texts = {locale: dict(fields) for locale, fields in (rule.texts or {}).items()}
    return StoredAction(dict(rule.definition), rule.active, texts)


async def badge_rule(db: Database, slug: str) -> BadgeRuleView | None:
    """Badge rule ``slug`` as the editor shows it."""
    async with db.session() as session:
        rule = await session.scalar(select(BadgeRule).where(BadgeRule.slug == slug))
    return None if rule is None else _badge_view(rule)


def _badge_view(rule: BadgeRule) -> BadgeRuleView:
    return BadgeRuleView(
        rule.slug,
        rule.name,
        rule.description,
        rule.points,
        _pretty(rule.definition),
        rule.active,
        rule.texts or {},
    )


async def delete_action(db: Database, slug: str) -> bool:
    """Remove action rule ``slug`` with its funnel and people's states; ``False`` if absent."""
    async with db.transaction() as session:
        deleted = await session.execute(delete(ActionRule).where(ActionRule.slug == slug))
    return bool(getattr(deleted, "rowcount", 0))


async def delete_badge(db: Database, slug: str) -> bool:
    """Remove badge rule ``slug``; refused (``in_use``) once someone has earned it."""
    async with db.transaction() as session:
        rule = await session.scalar(select(BadgeRule).where(BadgeRule.slug == slug))
        if rule is None:
            return False
        earned = await session.scalar(
            select(func.count()).select_from(BadgeAward).where(BadgeAward.rule_id == rule.id)
        )
        if earned:
            raise EngagementError(
                "in_use", f"{earned} people have earned this badge: switch it off instead"
            )
        await session.delete(rule)
    return True


@dataclass(frozen=True)
class AudienceLine:
    """People of one persona a rule reaches, and the partner orgs they work for."""

    persona: str
    people: int
    orgs: list[str]  # by name; empty for the vendor's staff


@dataclass(frozen=True)
class ActionPreview:
    """Whom a rule would be offered to now, before its condition on their own figures."""

    action: ActionDefinition
    reached: int
    finished: int  # of those, people who did or dismissed it already
    lines: list[AudienceLine]


async def preview_action(
    db: Database, slug: str, definition: dict[str, Any], personas: set[str]
) -> ActionPreview:
    """Who ``definition`` reaches among everyone with a persona role, per persona and org.

    Validated by the engine (``EngagementError`` as a save would raise); the condition is
    left to each person's live figures when their page loads.
    """
    action = nba.parse_action(definition)
    async with db.session() as session:
        people = (
            await session.execute(
                select(User.id, User.roles, PartnerOrg).outerjoin(
                    PartnerOrg, PartnerOrg.id == User.partner_org_id
                )
            )
        ).all()
        finished_ids = set(
            (
                await session.scalars(
                    select(ActionState.user_id)
                    .join(ActionRule, ActionRule.id == ActionState.rule_id)
                    .where(ActionRule.slug == slug, ActionState.status.in_(("done", "dismissed")))
                )
            ).all()
        )
    counts: dict[str, int] = {}
    orgs: dict[str, set[str]] = {}
    reached: set[int] = set()
    for user_id, roles, org in people:
        segment = Segment(org.partner_type, org.tier, org.region) if org else Segment()
        for persona in roles or []:
            if persona in personas and reaches(action, Requester(user_id, persona, segment)):
                counts[persona] = counts.get(persona, 0) + 1
                orgs.setdefault(persona, set()).update([org.name] if org else [])
                reached.add(user_id)
    return ActionPreview(
        action,
        len(reached),
        len(reached & finished_ids),
        [AudienceLine(p, counts[p], sorted(orgs[p])) for p in sorted(counts)],
    )


async def segment_values(db: Database) -> dict[str, list[str]]:
    """The tiers, partner types and regions partner orgs have now, for pickers."""
    async with db.session() as session:
        orgs = (
            await session.execute(
                select(PartnerOrg.tier, PartnerOrg.partner_type, PartnerOrg.region)
            )
        ).all()
    return {
        "tiers": sorted({t for t, _, _ in orgs if t}),
        "partner_types": sorted({p for _, p, _ in orgs if p}),
        "regions": sorted({r for _, _, r in orgs if r}),
    }


async def save_badge(
    db: Database,
    *,
    slug: str,
    name: str,
    description: str,
    points: int,
    definition: str,
    active: bool,
) -> None:
    await save_badge_definition(
        db,
        slug=slug,
        name=name,
        description=description,
        points=points,
        definition=parse_definition(definition),
        active=active,
    )


async def save_badge_definition(
    db: Database,
    *,
    slug: str,
    name: str,
    description: str,
    points: int,
    definition: dict[str, Any],
    active: bool,
    texts: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Create or change a badge rule from its criteria, validated by the engine;
    ``texts`` (name and description in other languages) are kept as stored when ``None``."""
    async with db.transaction() as session:
        await badges.save_badge_rule(
            session,
            slug=slug.strip(),
            name=name,
            description=description,
            points=points,
            definition=definition,
            active=active,
            texts=texts,
        )


async def save_points(db: Database, event_kind: str, points: int) -> None:
    async with db.transaction() as session:
        await badges.set_point_rule(session, event_kind, points)
