"""Administrators' targeting rules for the library: for a whole source, a collection, an item.

A rule names, per dimension (persona, partner type, tier, region, language), the
readers it keeps; an empty list keeps anyone. An item rule may also pin the item to
the top until a time, or mark it superseded by a newer item of its source. Saving a
rule for a target that has one replaces it; every change recomputes the audiences
(:func:`~hub.services.content.index.apply_rules`) at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database
from hub.db.content import ContentItem, ContentRule
from hub.i18n import N_
from hub.services.content.index import apply_rules

SCOPES = ("source", "collection", "item")
MAX_VALUES = 20
MAX_WORD = 80


class RuleRefused(ValueError):
    """A rule that cannot be stored: ``message`` (a catalogue message) and its ``variables``
    say why, in the administrator's language."""

    def __init__(self, message: str, **variables: object) -> None:
        super().__init__(message % variables if variables else message)
        self.message = message
        self.variables = variables


@dataclass(frozen=True)
class RuleSpec:
    """What an administrator asks for, before it is checked."""

    scope: str
    source: str
    collection: str = ""
    external_id: str = ""
    personas: tuple[str, ...] = ()
    partner_types: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    pinned_until: datetime | None = None
    superseded_by: str = ""

    def dimensions(self) -> dict[str, tuple[str, ...]]:
        return {
            "personas": self.personas,
            "partner_types": self.partner_types,
            "tiers": self.tiers,
            "regions": self.regions,
            "languages": self.languages,
        }


async def sources(session: AsyncSession) -> list[str]:
    """The sources the library holds items of, by name."""
    found = await session.scalars(select(ContentItem.source).distinct())
    return sorted(found)


async def all_rules(session: AsyncSession) -> list[ContentRule]:
    """Every rule, by source, scope and target."""
    rules = await session.scalars(select(ContentRule))
    order = {scope: n for n, scope in enumerate(SCOPES)}
    return sorted(
        rules, key=lambda r: (r.source, order.get(r.scope, 9), r.collection, r.external_id)
    )


async def save_rule(
    db: Database, spec: RuleSpec, *, known_personas: Sequence[str], by: str, now: datetime
) -> int:
    """Store ``spec`` (replacing the rule of the same target); its id. :class:`RuleRefused`
    when the target or a value is not one the library has or allows."""
    _check_values(spec, known_personas)
    async with db.transaction() as session:
        await _check_target(session, spec)
        target = (spec.scope, spec.source, spec.collection, spec.external_id)
        rule = await session.scalar(
            select(ContentRule).where(
                ContentRule.scope == target[0],
                ContentRule.source == target[1],
                ContentRule.collection == target[2],
                ContentRule.external_id == target[3],
            )
        )
        if rule is None:
            rule = ContentRule(
                scope=spec.scope,
                source=spec.source,
                collection=spec.collection,
                external_id=spec.external_id,
            )
            session.add(rule)
        for dimension, values in spec.dimensions().items():
            setattr(rule, dimension, list(values))
        rule.pinned_until = spec.pinned_until
        rule.superseded_by = spec.superseded_by
        rule.updated_by = by
        rule.updated_at = now
        await session.flush()
        await apply_rules(session, now)
        return rule.id


async def delete_rule(db: Database, rule_id: int) -> bool:
    """Remove a rule; whether there was one. Its items' audiences follow at once."""
    async with db.transaction() as session:
        rule = await session.get(ContentRule, rule_id)
        if rule is None:
            return False
        await session.delete(rule)
        await session.flush()
        await apply_rules(session)
        return True


def _check_values(spec: RuleSpec, known_personas: Sequence[str]) -> None:
    if spec.scope not in SCOPES:
        raise RuleRefused(N_("Choose whether the rule is for a source, a collection or an item."))
    for values in spec.dimensions().values():
        if len(values) > MAX_VALUES or any(len(v) > MAX_WORD for v in values):
            raise RuleRefused(
                N_("Name at most %(count)s values of at most %(length)s characters each."),
                count=MAX_VALUES,
                length=MAX_WORD,
            )
    if unknown := set(spec.personas) - set(known_personas):
        raise RuleRefused(N_("There is no role %(name)s."), name=sorted(unknown)[0])
    if unknown := {v for v in spec.languages if v not in {"en", "de"}}:
        raise RuleRefused(N_("The library offers no language %(name)s."), name=sorted(unknown)[0])
    if spec.scope != "item" and (spec.pinned_until is not None or spec.superseded_by):
        raise RuleRefused(N_("Only a rule for one item can pin it or mark it superseded."))


async def _check_target(session: AsyncSession, spec: RuleSpec) -> None:
    """The target must be in the index: a rule for a typo would silently match nothing."""
    query = select(ContentItem.id).where(ContentItem.source == spec.source)
    if spec.scope == "collection":
        if not spec.collection:
            raise RuleRefused(N_("Name the collection."))
        query = query.where(ContentItem.collection == spec.collection)
    if spec.scope == "item":
        if not spec.external_id:
            raise RuleRefused(N_("Name the item by its id in its source."))
        query = query.where(ContentItem.external_id == spec.external_id)
    if await session.scalar(query.limit(1)) is None:
        raise RuleRefused(N_("The library holds no such source, collection or item."))
    if spec.superseded_by:
        newer = await session.scalar(
            select(ContentItem.id).where(
                ContentItem.source == spec.source, ContentItem.external_id == spec.superseded_by
            )
        )
        if newer is None or spec.superseded_by == spec.external_id:
            raise RuleRefused(N_("The newer item must be another item of the same source."))
