"""The form for one next best action: its fields, audience pickers and condition lines.

The lines are one list of comparisons joined by all or any, each possibly turned
round (``{"not": …}``); a condition that nests deeper is kept as it was and shown
as JSON. The definition built here is validated by the engine (``nba.parse_action``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import ValidationError

from hub.i18n import N_
from hub.services.engagement.conditions import Comparison, Operator
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.nba import ActionDefinition, parse_action
from hub.services.engagement.rules import by_field
from hub.services.engagement.seed_facts import DEMO_FACTS
from hub.web.rule_forms import (
    KEY_PROBLEM,
    field_of,
    form_text,
    merge_problems,
    read_fields,
    read_written,
    scalar,
    schema_fields,
)

MAX_ROWS = 20

# The facts the action rules may read (docs/engagement.md lists where each comes from).
FACTS: tuple[str, ...] = tuple(sorted(DEMO_FACTS))
OPERATORS: tuple[str, ...] = get_args(Operator)
OPERATOR_LABELS: Mapping[str, str] = {
    "eq": N_("equals"),
    "ne": N_("is not"),
    "lt": N_("is less than"),
    "le": N_("is at most"),
    "gt": N_("is more than"),
    "ge": N_("is at least"),
    "in": N_("is one of (comma-separated)"),
    "truthy": N_("is yes / not zero"),
    "falsy": N_("is no / zero"),
}


@dataclass
class ConditionRow:
    """One comparison of the condition: a fact, an operator, a value."""

    fact: str = ""
    op: str = "gt"
    value: str = ""
    # ``{"not": …}``: unlike the opposite operator, it holds when the fact is missing.
    negated: bool = False

    @classmethod
    def of(cls, comparison: Mapping[str, Any], *, negated: bool = False) -> ConditionRow:
        op = str(comparison.get("op", "truthy"))
        value = comparison.get("value")
        shown = (
            ", ".join(json.dumps(v) if not isinstance(v, str) else v for v in value)
            if isinstance(value, list)
            else (
                ""
                if value is None
                else (json.dumps(value) if not isinstance(value, str) else value)
            )
        )
        return cls(str(comparison.get("fact", "")), op, shown, negated)

    def condition(self) -> dict[str, Any]:
        """The row as the engine reads it."""
        return {"not": self.comparison()} if self.negated else self.comparison()

    def comparison(self) -> dict[str, Any]:
        found: dict[str, Any] = {"fact": self.fact, "op": self.op}
        if self.op == "in":
            found["value"] = [scalar(item) for item in self.value.split(",") if item.strip()]
        elif self.op not in ("truthy", "falsy"):
            found["value"] = scalar(self.value)
        return found


# What a suggestion says that an administrator may write in each language.
ACTION_TEXTS = ("title", "reason")

ACTION_FIELDS = schema_fields(
    ActionDefinition,
    (
        "title",
        "reason",
        "link",
        "points_bonus",
        "self_report_points",
        "value",
        "priority",
        "snooze_days",
    ),
)
AUDIENCE_FIELDS = ("personas", "tiers", "partner_types", "regions")


def _rows_of(when: Any) -> tuple[str, list[ConditionRow]] | None:
    """The condition as one list of comparisons joined by all/any, if it is one."""

    def row(item: Any) -> ConditionRow | None:
        if isinstance(item, dict) and "fact" in item:
            return ConditionRow.of(item)
        if isinstance(item, dict) and set(item) == {"not"}:
            inner = item["not"]
            if isinstance(inner, dict) and "fact" in inner:
                return ConditionRow.of(inner, negated=True)
        return None

    if when is None:
        return "all", []
    single = row(when)
    if single is not None:
        return "all", [single]
    if isinstance(when, dict) and len(when) == 1 and set(when) <= {"all", "any"}:
        match = next(iter(when))
        rows = [row(item) for item in when[match]] if isinstance(when[match], list) else [None]
        if all(r is not None for r in rows):
            return match, [r for r in rows if r is not None]
    return None


@dataclass
class ActionForm:
    """What the admin typed for one action rule, kept as typed until it is saved."""

    slug: str = ""
    new: bool = True
    raw: dict[str, str] = field(default_factory=dict)
    audience: dict[str, list[str]] = field(default_factory=dict)
    match: str = "all"
    rows: list[ConditionRow] = field(default_factory=list)
    when_json: str = ""  # a condition too deep for the rows, kept as it was
    active: bool = True
    confirm_json: str = ""  # what confirms the action from the data, kept as it was
    # The title and reason in the other languages, by locale (``{"de": {"title": …}}``).
    texts: dict[str, dict[str, str]] = field(default_factory=dict)

    @staticmethod
    def _confirm_of(definition: Mapping[str, Any]) -> str:
        confirm = definition.get("confirm")
        return json.dumps(confirm) if confirm is not None else ""

    @classmethod
    def of(
        cls,
        slug: str,
        definition: Mapping[str, Any],
        *,
        active: bool,
        texts: Mapping[str, Mapping[str, str]] | None = None,
    ) -> ActionForm:
        written = {locale: dict(fields) for locale, fields in (texts or {}).items()}
        raw = {
            spec.name: spec.shown(definition.get(spec.name, spec.default)) for spec in ACTION_FIELDS
        }
        audience = {name: [str(v) for v in definition.get(name) or []] for name in AUDIENCE_FIELDS}
        rows = _rows_of(definition.get("when"))
        if rows is None:
            return cls(
                slug,
                False,
                raw,
                audience,
                when_json=json.dumps(definition.get("when")),
                active=active,
                confirm_json=cls._confirm_of(definition),
                texts=written,
            )
        return cls(
            slug,
            False,
            raw,
            audience,
            rows[0],
            rows[1],
            active=active,
            confirm_json=cls._confirm_of(definition),
            texts=written,
        )

    @classmethod
    def blank(cls) -> ActionForm:
        raw = {spec.name: spec.shown(spec.default) for spec in ACTION_FIELDS}
        return cls(raw=raw, audience={name: [] for name in AUDIENCE_FIELDS})

    @classmethod
    def read(cls, form: Any) -> ActionForm:
        """The form as posted (a Starlette ``FormData``); nothing is validated yet."""
        rows = []
        for index in range(MAX_ROWS):
            fact = form_text(form, f"when-{index}-fact")
            if f"when-{index}-op" not in form:
                break
            if fact:
                rows.append(
                    ConditionRow(
                        fact,
                        form_text(form, f"when-{index}-op"),
                        form_text(form, f"when-{index}-value"),
                        form.get(f"when-{index}-not") == "on",
                    )
                )
        return cls(
            slug=form_text(form, "slug").strip(),
            new=form.get("new") == "1",
            raw={spec.name: form_text(form, spec.name) for spec in ACTION_FIELDS},
            audience={
                name: [v for v in form.getlist(name) if isinstance(v, str) and len(v) <= 80][:50]
                for name in AUDIENCE_FIELDS
            },
            match="any" if form.get("match") == "any" else "all",
            rows=rows,
            when_json=form_text(form, "when_json"),
            active=form.get("active") == "on",
            confirm_json=form_text(form, "confirm_json"),
            texts=read_written(form, ACTION_TEXTS),
        )

    def definition(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The definition the engine validates, and problems found on the way (by field)."""
        values, problems = read_fields(ACTION_FIELDS, self.raw)
        values.update({name: items for name, items in self.audience.items() if items})
        if self.when_json:
            try:
                values["when"] = json.loads(self.when_json)
            except json.JSONDecodeError:
                problems["when"] = N_("The condition kept from before is not JSON any more.")
        elif self.rows:
            comparisons = []
            for index, row in enumerate(self.rows):
                try:
                    Comparison.model_validate(row.comparison())
                except ValidationError as error:
                    for key, message in by_field(error).items():
                        problems.setdefault(f"when-{index}-{field_of(key)}", message)
                comparisons.append(row.condition())
            values["when"] = comparisons[0] if len(comparisons) == 1 else {self.match: comparisons}
        if self.confirm_json:
            try:
                values["confirm"] = json.loads(self.confirm_json)
            except json.JSONDecodeError:
                problems["confirm"] = N_("The confirmation kept from before is not JSON any more.")
        try:
            parse_action(values)
        except EngagementError as error:
            merge_problems(problems, error.fields)
        if any(key.startswith("when-") for key in problems):
            problems.pop("when", None)  # said at the line already
        return values, problems

    def problem_for_slug(self) -> str | None:
        if not self.new:
            return None
        slug = self.slug
        ok = 0 < len(slug) <= 64 and slug[0].isalnum()
        ok = ok and all(c.isdigit() or c == "-" or "a" <= c <= "z" for c in slug)
        return None if ok else KEY_PROBLEM
