"""The form for one badge: name, points, and the criteria fields of the kind chosen.

The kinds and their fields come from the criteria models in ``engagement.rules``;
the criteria built here are validated by the engine (``rules.parse_criteria``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel

from hub.i18n import N_
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.rules import BadgeCriteria, parse_criteria
from hub.web.rule_forms import (
    NOT_A_NUMBER,
    SchemaField,
    form_text,
    merge_problems,
    read_fields,
    read_written,
    schema_fields,
)

# What a badge says that an administrator may write in each language.
BADGE_TEXTS = ("name", "description")

BADGE_KIND_LABELS: Mapping[str, str] = {
    "streak": N_("a streak of active days"),
    "count": N_("a number of activities"),
    "first": N_("the first activity of a kind"),
    "courses": N_("completing courses"),
    "personal_best": N_("a personal best"),
    "quiz_aced": N_("a quiz aced"),
}

BADGE_MODELS: dict[str, type[BaseModel]] = {
    str(get_args(model.model_fields["kind"].annotation)[0]): model
    for model in get_args(get_args(BadgeCriteria)[0])
}
BADGE_FIELDS: dict[str, list[SchemaField]] = {
    kind: schema_fields(model, [name for name in model.model_fields if name != "kind"])
    for kind, model in BADGE_MODELS.items()
}


@dataclass
class BadgeForm:
    """What the admin typed for one badge, kept as typed until it is saved."""

    slug: str = ""
    new: bool = True
    name: str = ""
    description: str = ""
    points: str = "0"
    kind: str = "count"
    criteria: dict[str, str] = field(default_factory=dict)
    active: bool = True
    # The name and description in the other languages, by locale (``{"de": {"name": …}}``).
    texts: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def fields(self) -> list[SchemaField]:
        return BADGE_FIELDS.get(self.kind, [])

    @classmethod
    def of(
        cls,
        slug: str,
        name: str,
        description: str,
        points: int,
        definition: Mapping[str, Any],
        *,
        active: bool,
        texts: Mapping[str, Mapping[str, str]] | None = None,
    ) -> BadgeForm:
        kind = str(definition.get("kind", "count"))
        specs = BADGE_FIELDS.get(kind, [])
        criteria = {
            spec.name: spec.shown(definition.get(spec.name, spec.default)) for spec in specs
        }
        if spec_check := [s.name for s in specs if s.kind == "check"]:
            criteria.update({n: "on" if definition.get(n) else "" for n in spec_check})
        written = {locale: dict(fields) for locale, fields in (texts or {}).items()}
        return cls(slug, False, name, description, str(points), kind, criteria, active, written)

    @classmethod
    def read(cls, form: Any) -> BadgeForm:
        kind = form_text(form, "kind")
        kind = kind if kind in BADGE_MODELS else "count"
        return cls(
            slug=form_text(form, "slug").strip(),
            new=form.get("new") == "1",
            name=form_text(form, "name"),
            description=form_text(form, "description"),
            points=form_text(form, "points"),
            kind=kind,
            criteria={spec.name: form_text(form, spec.name) for spec in BADGE_FIELDS[kind]},
            active=form.get("active") == "on",
            texts=read_written(form, BADGE_TEXTS),
        )

    def definition(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """The criteria the engine validates, the points, and problems found on the way."""
        values, problems = read_fields(self.fields, self.criteria)
        values["kind"] = self.kind
        try:
            points = int(self.points or "0")
        except ValueError:
            points, problems["points"] = 0, NOT_A_NUMBER
        try:
            parse_criteria(values)
        except EngagementError as error:
            merge_problems(problems, error.fields)
        return values, points, problems
