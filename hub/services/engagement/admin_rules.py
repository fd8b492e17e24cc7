"""What the rules page shows and saves: action rules with their funnel, badges, points.

Rules are data an administrator edits: each is saved through the engine's own
validating ``save_*`` call inside one transaction, so a rule that does not
parse is refused with the engine's message and nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from hub.db import Database
from hub.db.engagement import ActionRule, BadgeRule, PointRule
from hub.services.engagement import badges, nba
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.nba import FunnelLine


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


async def overview(db: Database) -> RulesOverview:
    funnel = {line.slug: line for line in await nba.action_funnel(db)}
    async with db.session() as session:
        actions = (await session.scalars(select(ActionRule).order_by(ActionRule.slug))).all()
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
        badges=[
            BadgeRuleView(
                rule.slug,
                rule.name,
                rule.description,
                rule.points,
                _pretty(rule.definition),
                rule.active,
            )
            for rule in badge_rules
        ],
        points=[(rule.event_kind, rule.points, rule.active) for rule in points],
    )


async def save_action(db: Database, slug: str, definition: str, *, active: bool) -> None:
    parsed = parse_definition(definition)
    async with db.transaction() as session:
        await nba.save_action_rule(session, slug.strip(), parsed, active=active)


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
    parsed = parse_definition(definition)
    async with db.transaction() as session:
        await badges.save_badge_rule(
            session,
            slug=slug.strip(),
            name=name,
            description=description,
            points=points,
            definition=parsed,
            active=active,
        )


async def save_points(db: Database, event_kind: str, points: int) -> None:
    async with db.transaction() as session:
        await badges.set_point_rule(session, event_kind, points)
