"""The hub command: migrate, seed-demo and check report truthfully."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.cli import main
from hub.demo.cast import ORGS
from hub.demo.population import population


@pytest.fixture
def demo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("HUB_DATABASE_URL", "HUB_REDIS_URL", "HUB_CONNECTORS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUB_DEMO", "1")
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_migrate_seed_and_check_on_the_embedded_defaults(
    demo_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    assert (demo_env / "hub.db").exists()
    assert main(["seed-demo"]) == 0
    everyone = len(ORGS) + len(population(datetime.now(UTC).date()).orgs)
    assert f"{everyone} partner orgs" in capsys.readouterr().out
    assert main(["seed-demo"]) == 0
    assert "0 partner orgs and 0 users added" in capsys.readouterr().out
    status = main(["check"])
    out = capsys.readouterr().out
    assert "database" in out
    assert "schema current" in out
    assert "in-process" in out
    assert "portal sign-on" in out  # the demo's stand-ins: keys readable, xmlsec1 there
    assert status == 0, out
    assert main(["signing-keys", "rotate"]) == 0
    rotated = capsys.readouterr().out
    assert "current" in rotated
    assert "retired" in rotated


def test_check_fails_before_migrations(demo_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 1
    assert "migration(s) pending" in capsys.readouterr().out


def test_check_reports_redis_down(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    monkeypatch.setenv("HUB_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert main(["check"]) == 1
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "FAILED" in rows["key-value"]
    assert "OK" in rows["database"]


def test_check_reports_an_unreachable_oidc_provider(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    monkeypatch.setenv("HUB_OIDC_ISSUER", "http://127.0.0.1:1/realms/partners")
    monkeypatch.setenv("HUB_OIDC_CLIENT_ID", "hub")
    monkeypatch.setenv("HUB_OIDC_CLIENT_SECRET", "not-a-real-secret")
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "OIDC" in out
    assert "FAILED" in out
    assert "not-a-real-secret" not in out


def test_demo_refuses_a_public_address(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUB_BASE_URL", "https://partners.example.com")
    assert main(["demo"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_digest_previews_without_sending_and_refuses_without_smtp(
    demo_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    assert main(["seed-demo"]) == 0
    capsys.readouterr()
    assert main(["digest", "--preview", "dana@vendor.example"]) == 0
    preview = capsys.readouterr().out
    assert "Subject: Ihre Partner diese Woche" in preview
    assert "multipart/alternative" in preview
    assert main(["digest", "--preview", "owner@acme.example"]) == 1
    assert "no channel manager" in capsys.readouterr().err
    assert main(["digest"]) == 2
    assert "no SMTP server configured" in capsys.readouterr().err
