"""The layers of docs/architecture.md, enforced: who may import whom.

Walks every module's imports (including those inside functions) with ``ast``,
so a violation fails here instead of surfacing as a tangle months later.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

HUB = Path(__file__).resolve().parent.parent / "hub"

# package prefix -> imports it must never make (prefix match on the module name)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "hub.connectors": (
        "hub.web",
        "hub.widgets",
        "hub.personas",
        "hub.auth",
        "hub.app",
        "hub.services",
        "hub.middleware",
        "starlette.templating",
        "jinja2",
        "jinja2_fragments",
        "sqlalchemy",
    ),
    "hub.widgets": ("httpx", "sqlalchemy", "hub.db", "redis", "hub.store", "hub.web", "hub.app"),
    "hub.personas": (
        "httpx",
        "sqlalchemy",
        "hub.db",
        "redis",
        "hub.store",
        "hub.connectors",
        "hub.services",
        "hub.web",
        "hub.app",
        "asyncio",
    ),
    "hub.store": ("hub.web", "hub.widgets", "hub.personas", "hub.connectors", "hub.services"),
    "hub.db": (
        "hub.web",
        "hub.widgets",
        "hub.personas",
        "hub.connectors",
        "hub.auth",
        "hub.services",
        "hub.app",
    ),
    "hub.services": ("hub.web", "hub.widgets", "hub.app", "httpx"),
    # The web layer reads requests and renders; its SQL lives in the services below it.
    "hub.web": ("sqlalchemy", "hub.connectors.sandboxes", "redis"),
    # Sign-in knows people and sessions, not homepages, widgets or backends.
    "hub.auth": (
        "hub.widgets",
        "hub.connectors",
        "hub.app",
        "hub.scheduler",
        "hub.services.engagement",
        "hub.web.home",
        "hub.web.widgets",
        "hub.web.engagement",
    ),
    # Middleware sees requests and the session store only.
    "hub.middleware": (
        "sqlalchemy",
        "hub.db",
        "hub.services",
        "hub.web",
        "hub.widgets",
        "hub.personas",
        "hub.connectors",
        "hub.auth",
        "hub.app",
    ),
}


def module_name(path: Path) -> str:
    relative = path.relative_to(HUB.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def violations() -> list[str]:
    problems = []
    for path in sorted(HUB.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        name = module_name(path)
        for layer, banned in FORBIDDEN.items():
            if name != layer and not name.startswith(layer + "."):
                continue
            for imported in sorted(imports_of(path)):
                for prefix in banned:
                    if imported == prefix or imported.startswith(prefix + "."):
                        problems.append(f"{name} imports {imported} ({layer} must not)")
    return problems


def test_layers_import_only_what_they_may() -> None:
    assert violations() == []


def test_the_check_catches_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "hub"
    (fake / "widgets").mkdir(parents=True)
    (fake / "widgets" / "sneaky.py").write_text("import httpx\nfrom sqlalchemy import select\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["HUB"]), "HUB", fake)
    found = violations()
    assert "hub.widgets.sneaky imports httpx (hub.widgets must not)" in found
    assert any("sqlalchemy" in problem for problem in found)


DEMO_MODULES = ("hub.connectors.sandboxes", "hub.connectors.demo", "hub.demo", "hub.auth.demo")


def test_a_production_process_never_imports_demo_code(tmp_path: Path) -> None:
    # A fresh interpreter: this test process has long imported the sandboxes for other tests.
    script = tmp_path / "production.py"
    script.write_text(
        "import sys\n"
        "from hub.app import create_app\n"
        "from hub.cli import build_parser\n"
        "from hub.settings import Settings\n"
        "build_parser()\n"
        f"create_app(Settings(secret_key='k' * 40, data_dir={str(tmp_path)!r}, _env_file=None))\n"
        f"print(sorted(m for m in sys.modules if m.startswith({DEMO_MODULES!r})))\n"
    )
    found = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60
    )
    assert found.stdout.strip() == "[]"


def test_the_new_layers_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "hub"
    for package, source in {
        "web": "from sqlalchemy import select\n",
        "db": "from hub.services import activity\n",
        "middleware": "from hub.db import Database\n",
        "auth": "from hub.widgets.base import Widget\n",
    }.items():
        (fake / package).mkdir(parents=True)
        (fake / package / "sneaky.py").write_text(source)
    monkeypatch.setattr(__import__(__name__, fromlist=["HUB"]), "HUB", fake)
    found = " ".join(violations())
    for layer in ("hub.web", "hub.db", "hub.middleware", "hub.auth"):
        assert f"({layer} must not)" in found, layer
