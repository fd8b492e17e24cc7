"""The administrator's playbook form: what was typed, as a definition to validate.

Steps are rows ``step_<n>_<field>`` (a row whose kind is empty is left out); the
holdout is typed in per cent. The form keeps what was typed, so a mistake comes back with
every field as it was and each problem beside its own field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.i18n import N_
from hub.services.playbooks.definition import MAX_STEPS, STEP_KINDS, PlaybookDefinition

STEP_FIELDS = ("kind", "title", "text", "link", "points", "amount", "currency", "days", "email_id")
KIND_NAMES = {
    "next_action": N_("Next best action for the partner's people"),
    "incentive": N_("Time-boxed incentive (a SPIF on the incentive platform)"),
    "message": N_("Personal email from the channel manager"),
    "expert_help": N_("Offer of expert help (a task for the channel manager)"),
}


@dataclass
class PlaybookForm:
    slug: str = ""
    new: bool = True
    active: bool = True
    name: str = ""
    description: str = ""
    audience: list[str] = field(default_factory=list)
    window_days: str = "60"
    holdout_percent: str = "20"
    steps: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        while len(self.steps) < MAX_STEPS:
            self.steps.append(dict.fromkeys(STEP_FIELDS, ""))

    @classmethod
    def of(cls, slug: str, definition: PlaybookDefinition, *, active: bool) -> PlaybookForm:
        steps = [
            {name: str(value) for name, value in step.model_dump(mode="json").items()}
            for step in definition.steps
        ]
        return cls(
            slug=slug,
            new=False,
            active=active,
            name=definition.name,
            description=definition.description,
            audience=list(definition.audience),
            window_days=str(definition.window_days),
            holdout_percent=f"{definition.holdout_share * 100:g}",
            steps=steps,
        )

    @classmethod
    def read(cls, posted: Any) -> PlaybookForm:
        def text(name: str) -> str:
            value = posted.get(name, "")
            return value.strip() if isinstance(value, str) else ""

        steps = [{name: text(f"step_{n}_{name}") for name in STEP_FIELDS} for n in range(MAX_STEPS)]
        return cls(
            slug=text("slug").lower(),
            new=text("new") == "1",
            active=posted.get("active") == "on",
            name=text("name"),
            description=text("description"),
            audience=[str(v) for v in posted.getlist("audience")],
            window_days=text("window_days"),
            holdout_percent=text("holdout_percent"),
            steps=steps,
        )

    def definition(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The definition to validate, and the problems the form itself finds (numbers)."""
        problems: dict[str, str] = {}

        def number(raw: str, key: str, whole: bool = True) -> Any:
            try:
                return int(raw) if whole else float(raw)
            except ValueError:
                problems[key] = N_("a number")
                return None

        steps = []
        for n, row in enumerate(self.steps):
            if not row.get("kind"):
                continue
            if row["kind"] not in STEP_KINDS:
                problems[f"step_{n}_kind"] = N_("not one of the choices")
                continue
            step: dict[str, Any] = {"kind": row["kind"], "title": row.get("title", "")}
            for name in ("text", "link", "email_id"):
                if row.get(name):
                    step[name] = row[name]
            if row.get("currency"):
                step["currency"] = row["currency"].upper()
            for name in ("points", "days"):
                if row.get(name):
                    step[name] = number(row[name], f"step_{n}_{name}")
            if row.get("amount"):
                step["amount"] = row["amount"]
            steps.append((n, step))
        self._rows = [n for n, _ in steps]  # definition index → form row, for problems
        window = number(self.window_days, "window_days") if self.window_days else 60
        share = number(self.holdout_percent, "holdout_percent", whole=False)
        return (
            {
                "name": self.name,
                "description": self.description,
                "audience": self.audience,
                "window_days": window,
                "holdout_share": share / 100 if isinstance(share, float) else share,
                "steps": [step for _, step in steps],
            },
            problems,
        )

    def field_of(self, path: str) -> str:
        """The form field a validation path (``steps.1.amount``) belongs to."""
        parts = path.split(".")
        if parts[0] == "steps" and len(parts) > 1 and parts[1].isdigit():
            rows = getattr(self, "_rows", [])
            index = int(parts[1])
            row = rows[index] if index < len(rows) else index
            return f"step_{row}_{parts[2] if len(parts) > 2 else 'kind'}"
        if parts[0] == "holdout_share":
            return "holdout_percent"
        return parts[0]

    def problem_for_slug(self) -> str | None:
        if not self.new:
            return None
        slug = self.slug
        ok = 0 < len(slug) <= 64 and slug[0].isalnum()
        ok = ok and all(c.isdigit() or c == "-" or "a" <= c <= "z" for c in slug)
        return None if ok else N_("lower-case letters, digits and dashes, at most 64")


def problems_by_field(form: PlaybookForm, found: Mapping[str, str]) -> dict[str, str]:
    """The definition's problems, keyed by the form's fields."""
    return {form.field_of(path): message for path, message in found.items()}
