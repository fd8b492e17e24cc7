"""Whom an item is meant for: its source's tags and administrators' rules, merged.

An item's audience has five dimensions (persona, partner type, tier, region,
language). Each place that targets it (tags on the item in its source, a rule for
the whole source, for its collection, for the item itself) may name values per
dimension; an empty list matches anyone. A reader must match every place that
names a dimension, so the places' lists intersect: a rule for Gold partners on a
file tagged ``tier:Silver`` leaves it meant for nobody.

The merged audience is kept on the item as ``|a|b|`` strings (``""`` for anyone)
so search and the homepage filter in SQL; :func:`meant_for` is the same decision
in Python, straight from the tags and rules, the reference the tests hold SQL to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, true

from hub.db.content import ContentItem, ContentRule

DIMENSIONS = ("personas", "partner_types", "tiers", "regions", "languages")
# Tag prefixes a source may carry targeting in: ``tier:Gold``, ``persona:support``.
TAG_PREFIXES = {
    "persona": "personas",
    "partner_type": "partner_types",
    "type": "partner_types",
    "tier": "tiers",
    "region": "regions",
    "language": "languages",
}
NOBODY = "|-|"  # matches no reader: the places that target an item share no value


@dataclass(frozen=True)
class Reader:
    """Who reads the library: the persona in use and their org's segment; vendor staff see all."""

    persona: str
    partner_type: str = ""
    tier: str = ""
    region: str = ""
    language: str = "en"
    vendor: bool = False

    def value(self, dimension: str) -> str:
        return {
            "personas": self.persona,
            "partner_types": self.partner_type,
            "tiers": self.tier,
            "regions": self.region,
            "languages": self.language,
        }[dimension].lower()


Audience = dict[str, frozenset[str] | None]  # dimension → values that match; None: anyone


def tag_audience(tags: Iterable[str]) -> Audience:
    """The targeting an item's source tags carry."""
    found: dict[str, set[str]] = {}
    for tag in tags:
        prefix, sep, value = tag.partition(":")
        dimension = TAG_PREFIXES.get(prefix.strip().lower())
        if sep and dimension and value.strip():
            found.setdefault(dimension, set()).add(value.strip().lower())
    return {d: frozenset(found[d]) if d in found else None for d in DIMENSIONS}


def rule_audience(rule: ContentRule) -> Audience:
    return {
        d: frozenset(v.lower() for v in getattr(rule, d)) if getattr(rule, d) else None
        for d in DIMENSIONS
    }


def applies(rule: ContentRule, item: ContentItem) -> bool:
    """Whether ``rule`` targets ``item``: its whole source, its collection, or the item."""
    if rule.source != item.source:
        return False
    if rule.scope == "collection":
        return rule.collection == item.collection
    if rule.scope == "item":
        return rule.external_id == item.external_id
    return rule.scope == "source"


def merge(audiences: Iterable[Audience]) -> Audience:
    """Every audience at once: per dimension, the values all that name it share."""
    merged: Audience = dict.fromkeys(DIMENSIONS)
    for audience in audiences:
        for dimension, values in audience.items():
            if values is None:
                continue
            have = merged[dimension]
            merged[dimension] = values if have is None else have & values
    return merged


def encode(values: frozenset[str] | None) -> str:
    """The column form: ``""`` for anyone, ``|a|b|`` for some, :data:`NOBODY` for none."""
    if values is None:
        return ""
    if not values:
        return NOBODY
    return "|" + "|".join(sorted(values)) + "|"


def audience_columns(item: ContentItem, rules: Sequence[ContentRule]) -> dict[str, str]:
    """The ``aud_*`` values of ``item`` under ``rules``."""
    merged = merge(
        [tag_audience(item.tags), *(rule_audience(r) for r in rules if applies(r, item))]
    )
    return {f"aud_{d}": encode(merged[d]) for d in DIMENSIONS}


def visible_to(reader: Reader) -> ColumnElement[bool]:
    """The SQL condition: the item is meant for ``reader``."""
    if reader.vendor:
        return true()
    return and_(
        *(
            or_(
                getattr(ContentItem, f"aud_{d}") == "",
                getattr(ContentItem, f"aud_{d}").contains(f"|{reader.value(d)}|", autoescape=True),
            )
            for d in DIMENSIONS
        )
    )


def meant_for(tags: Iterable[str], rules: Iterable[Audience], reader: Reader) -> bool:
    """The reference decision, from the tags and the applicable rules' audiences directly."""
    if reader.vendor:
        return True
    for audience in (tag_audience(tags), *rules):
        for dimension, values in audience.items():
            if values is not None and reader.value(dimension) not in values:
                return False
    return True
