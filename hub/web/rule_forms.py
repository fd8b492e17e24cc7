"""Rule editors as forms: the fields come from the rules' own pydantic models.

A field's input (text, number with its bounds, select, checkbox, list) is read
off the model's annotation and constraints, and what the admin typed is turned
back into a definition that the engine validates as it always has; its
problems come back keyed by field so the form shows each next to its input.
Nothing here decides whether a rule is valid.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union, cast, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError

from hub.i18n import N_, translate
from hub.services.engagement.conditions import Comparison, Operator
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.nba import ActionDefinition, parse_action
from hub.services.engagement.rules import BadgeCriteria, by_field, parse_criteria
from hub.services.engagement.seed_facts import DEMO_FACTS

FieldKind = Literal["text", "number", "select", "check", "list"]
MAX_FIELD = 2_000
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

LABELS: Mapping[str, str] = {
    "slug": N_("Key (lowercase letters, digits and dashes)"),
    "title": N_("Title"),
    "reason": N_("Reason shown (“because …”; {fact} puts in a figure)"),
    "link": N_("Link target"),
    "points_bonus": N_("Bonus points when done"),
    "value": N_("Value to the program"),
    "priority": N_("Priority"),
    "snooze_days": N_("Snooze for (days)"),
    "personas": N_("Personas"),
    "tiers": N_("Tiers"),
    "partner_types": N_("Partner types"),
    "regions": N_("Regions"),
    "when": N_("Condition"),
    "name": N_("Name"),
    "description": N_("Description"),
    "points": N_("Points"),
    "kind": N_("Earned for"),
    "event": N_("Activity"),
    "days": N_("Days in a row"),
    "freeze_days": N_("Days off that do not break it"),
    "count": N_("How many"),
    "distinct_objects": N_("Count each object once"),
    "courses": N_("Course ids (comma-separated)"),
    "within_days": N_("Within (days, empty for no limit)"),
    "field": N_("Figure of the activity"),
    "min_score": N_("Minimum score (percent)"),
}
BADGE_KIND_LABELS: Mapping[str, str] = {
    "streak": N_("a streak of active days"),
    "count": N_("a number of activities"),
    "first": N_("the first activity of a kind"),
    "courses": N_("completing courses"),
    "personal_best": N_("a personal best"),
    "quiz_aced": N_("a quiz aced"),
}
NOT_A_NUMBER = N_("Enter a number.")
TOO_LONG = N_("Too long.")
KEY_PROBLEM = N_("Use lowercase letters, digits and dashes (up to 64).")
KEY_TAKEN = N_("There is already a rule with this key.")


# The engine's problems come from pydantic in English; these say them in the reader's words.
READABLE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (r"^Input should be greater than or equal to (?P<limit>\S+)$", N_("At least %(limit)s.")),
        (r"^Input should be greater than (?P<limit>\S+)$", N_("More than %(limit)s.")),
        (r"^Input should be less than or equal to (?P<limit>\S+)$", N_("At most %(limit)s.")),
        (r"^Input should be less than (?P<limit>\S+)$", N_("Less than %(limit)s.")),
        (r"^(String should have at least 1 character|Field required)$", N_("Required.")),
        (
            r"^String should have at least (?P<limit>\d+) characters$",
            N_("At least %(limit)s characters."),
        ),
        (
            r"^String should have at most (?P<limit>\d+) characters$",
            N_("At most %(limit)s characters."),
        ),
        (r"^List should have at least 1 item", N_("Choose at least one.")),
        (r"^List should have at most (?P<limit>\d+) items", N_("At most %(limit)s entries.")),
        (
            r"^String should match pattern",
            N_("Use lowercase letters, digits and underscores, starting with a letter."),
        ),
        (r"^Input should be '", N_("Choose one of the options offered.")),
        (r"^Input should be a valid (integer|number)", NOT_A_NUMBER),
        (
            r"^Value error, a path in the hub",
            N_("A page of the hub (/…), a portal page (/go/…) or an https:// address."),
        ),
        (
            r"^Value error, placeholders are plain fact names, not (?P<name>.+)$",
            N_("Placeholders in braces are plain fact names, not %(name)s."),
        ),
    )
)


def readable(locale: str, message: str) -> str:
    """A problem in the reader's language: the engine's known phrasings, or ours as they are."""
    for pattern, said in READABLE:
        found = pattern.match(message)
        if found:
            return translate(locale, said, **found.groupdict())
    return translate(locale, message)


@dataclass(frozen=True)
class SchemaField:
    """One input, as the model declares it: kind, bounds, choices, default."""

    name: str
    kind: FieldKind
    required: bool
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    choices: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    def shown(self, value: Any) -> str:
        """A stored value as the input shows it."""
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)


def _plain(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None``, and whether ``None`` was allowed."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def schema_fields(model: type[BaseModel], names: Sequence[str]) -> list[SchemaField]:
    """The inputs for ``names`` of ``model``, from its annotations and constraints."""
    found = []
    for name in names:
        info = model.model_fields[name]
        annotation, optional = _plain(info.annotation)
        minimum = maximum = None
        for rule in info.metadata:
            if isinstance(rule, annotated_types.Ge):
                minimum = float(cast(float, rule.ge))
            elif isinstance(rule, annotated_types.Gt):
                minimum = float(cast(float, rule.gt))
            elif isinstance(rule, annotated_types.Le):
                maximum = float(cast(float, rule.le))
            elif isinstance(rule, annotated_types.Lt):
                maximum = float(cast(float, rule.lt))
        kind: FieldKind = "text"
        choices: tuple[str, ...] = ()
        if get_origin(annotation) is Literal:
            kind, choices = "select", tuple(str(arg) for arg in get_args(annotation))
        elif annotation is bool:
            kind = "check"
        elif annotation in (int, float):
            kind = "number"
        elif get_origin(annotation) is list:
            kind = "list"
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        found.append(
            SchemaField(
                name,
                kind,
                info.is_required() and not optional,
                default,
                minimum,
                maximum,
                annotation is int,
                choices,
            )
        )
    return found


def _scalar(text: str) -> Any:
    """A typed value: true/false, a whole or decimal number, else the text itself."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            continue
    return text.strip()


def read_fields(
    specs: Sequence[SchemaField], raw: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """What ``raw`` says for each field, and what could not even be read (not a number)."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for spec in specs:
        text = raw.get(spec.name, "")
        if spec.kind == "check":
            values[spec.name] = text == "on"
        elif spec.kind == "list":
            items = [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]
            if items or spec.required:
                values[spec.name] = items
        elif text.strip() == "":
            if spec.required:
                values[spec.name] = ""  # the model says what is missing
        elif spec.kind == "number":
            try:
                number = float(text) if not spec.integer else int(text)
            except ValueError:
                problems[spec.name] = NOT_A_NUMBER
            else:
                values[spec.name] = number
        else:
            values[spec.name] = text.strip()
    return values, problems


def _field_of(key: str) -> str:
    """The form field a dotted model location belongs to (``personas.0`` → ``personas``)."""
    return key.split(".", 1)[0]


def merge_problems(problems: dict[str, str], fields: Mapping[str, str]) -> None:
    """Add the engine's per-field problems to ``problems``, the first per form field."""
    for key, message in fields.items():
        problems.setdefault(_field_of(key), message)


def form_text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value[:MAX_FIELD] if isinstance(value, str) else ""


# Next best actions


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
            found["value"] = [_scalar(item) for item in self.value.split(",") if item.strip()]
        elif self.op not in ("truthy", "falsy"):
            found["value"] = _scalar(self.value)
        return found


ACTION_FIELDS = schema_fields(
    ActionDefinition,
    ("title", "reason", "link", "points_bonus", "value", "priority", "snooze_days"),
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

    @classmethod
    def of(cls, slug: str, definition: Mapping[str, Any], *, active: bool) -> ActionForm:
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
            )
        return cls(slug, False, raw, audience, rows[0], rows[1], active=active)

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
                        problems.setdefault(f"when-{index}-{_field_of(key)}", message)
                comparisons.append(row.condition())
            values["when"] = comparisons[0] if len(comparisons) == 1 else {self.match: comparisons}
        try:
            parse_action(values)
        except EngagementError as error:
            merge_problems(problems, error.fields)
        return values, problems

    def problem_for_slug(self) -> str | None:
        if not self.new:
            return None
        slug = self.slug
        ok = 0 < len(slug) <= 64 and slug[0].isalnum()
        ok = ok and all(c.isdigit() or c == "-" or "a" <= c <= "z" for c in slug)
        return None if ok else KEY_PROBLEM


def engine_problems(error: EngagementError) -> dict[str, str]:
    """An engine refusal by form field; one that names no field goes on the form."""
    problems: dict[str, str] = {}
    merge_problems(problems, error.fields)
    return problems or {"form": error.message}


# Badges

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
    ) -> BadgeForm:
        kind = str(definition.get("kind", "count"))
        specs = BADGE_FIELDS.get(kind, [])
        criteria = {
            spec.name: spec.shown(definition.get(spec.name, spec.default)) for spec in specs
        }
        if spec_check := [s.name for s in specs if s.kind == "check"]:
            criteria.update({n: "on" if definition.get(n) else "" for n in spec_check})
        return cls(slug, False, name, description, str(points), kind, criteria, active)

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
