"""Rule editors as forms: the fields come from the rules' own pydantic models.

A field's input (text, number with its bounds, select, checkbox, list) is read
off the model's annotation and constraints, and what the admin typed is turned
back into a definition that the engine validates as it always has; its
problems come back keyed by field so the form shows each next to its input.
Nothing here decides whether a rule is valid. The forms themselves are
``action_form.py`` and ``badge_form.py``.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Union, cast, get_args, get_origin

import annotated_types
from pydantic import BaseModel

from hub.i18n import DEFAULT_LOCALE, LANGUAGE_NAMES, N_, SUPPORTED_LOCALES, translate
from hub.services.engagement.errors import EngagementError

FieldKind = Literal["text", "number", "select", "check", "list"]
MAX_FIELD = 2_000

LABELS: Mapping[str, str] = {
    "slug": N_("Key (lowercase letters, digits and dashes)"),
    "title": N_("Title"),
    "reason": N_("Reason shown (“because …”; {fact} puts in a figure)"),
    "link": N_("Link target"),
    "points_bonus": N_("Bonus points when confirmed from the data"),
    "self_report_points": N_("Points for “I did this”"),
    "value": N_("Value to the program"),
    "priority": N_("Priority"),
    "snooze_days": N_("Snooze for (days)"),
    "personas": N_("Personas"),
    "tiers": N_("Tiers"),
    "partner_types": N_("Partner types"),
    "regions": N_("Regions"),
    "when": N_("Condition"),
    "confirm": N_("Confirmed when"),
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
NOT_A_NUMBER = N_("Enter a number.")
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
        (r"^(String should have at least 1 character|Field required|required)$", N_("Required.")),
        (r"^1–64 characters$", N_("1 to 64 characters.")),
        (
            r"^must be between (?P<low>\d+) and (?P<high>\d+)$",
            N_("Between %(low)s and %(high)s."),
        ),
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
        (
            r"^uses facts the reason does not: (?P<names>.+)$",
            N_("Uses figures the default reason does not: %(names)s."),
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


def scalar(text: str) -> Any:
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


def field_of(key: str) -> str:
    """The form field a dotted model location belongs to (``personas.0`` → ``personas``)."""
    return key.split(".", 1)[0]


def merge_problems(problems: dict[str, str], fields: Mapping[str, str]) -> None:
    """Add the engine's per-field problems to ``problems``, the first per form field."""
    for key, message in fields.items():
        problems.setdefault(field_of(key), message)


# The languages an administrator may write a rule's texts in beside the default one.
WRITTEN_LANGUAGES: tuple[tuple[str, str], ...] = tuple(
    (locale, LANGUAGE_NAMES[locale]) for locale in SUPPORTED_LOCALES if locale != DEFAULT_LOCALE
)


def read_written(form: Mapping[str, Any], fields: Sequence[str]) -> dict[str, dict[str, str]]:
    """The texts typed for the other languages (``name_de`` …), as typed, by locale."""
    return {
        locale: {name: form_text(form, f"{name}_{locale}") for name in fields}
        for locale, _ in WRITTEN_LANGUAGES
    }


def form_text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def engine_problems(error: EngagementError) -> dict[str, str]:
    """An engine refusal by form field; one that names no field goes on the form."""
    problems: dict[str, str] = {}
    merge_problems(problems, error.fields)
    return problems or {"form": error.message}
