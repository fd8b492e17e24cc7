"""Every setting the code reads is documented in the README's settings table."""

from __future__ import annotations

import re
from pathlib import Path

from hub.settings import Settings, env_name

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\|\s*`(HUB_[A-Z0-9_]+)`\s*\|\s*(.+?)\s*\|\s*(.+?)\s*\|\s*$", re.MULTILINE)


def documented() -> dict[str, tuple[str, str]]:
    readme = (ROOT / "README.md").read_text()
    return {match[1]: (match[2], match[3]) for match in ROW.finditer(readme)}


def variables_read_by_code() -> set[str]:
    names = {env_name(field) for field in Settings.model_fields}
    # Any HUB_ variable named in the code outside the settings object counts too.
    for path in (ROOT / "hub").rglob("*.py"):
        names.update(re.findall(r"[\"'](HUB_[A-Z0-9_]+)[\"']", path.read_text()))
    return names


def test_every_setting_is_in_the_readme_table_with_default_and_meaning() -> None:
    table = documented()
    missing = sorted(variables_read_by_code() - set(table))
    assert missing == [], f"settings missing from README.md's table: {missing}"
    for name, (default, meaning) in table.items():
        assert default, f"{name} has no default column"
        assert len(meaning) > 10, f"{name} needs a meaning"


def test_readme_documents_no_setting_that_does_not_exist() -> None:
    stale = sorted(set(documented()) - variables_read_by_code())
    assert stale == [], f"README documents settings the code does not read: {stale}"


def test_every_setting_has_help_text() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"Settings.{name} has no description"
