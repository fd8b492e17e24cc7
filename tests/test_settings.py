"""Settings: valid values load, bad ones stop start-up naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.cli import main
from hub.settings import Settings, SettingsError, load_settings

KEY = "k" * 40


def load(**values: object) -> Settings:
    return load_settings(_env_file=None, **values)


def test_demo_needs_no_secret() -> None:
    settings = load(demo=True)
    assert settings.demo
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")


def test_production_requires_a_long_secret_key() -> None:
    with pytest.raises(SettingsError, match="HUB_SECRET_KEY"):
        load(demo=False)
    with pytest.raises(SettingsError, match="at least 32"):
        load(demo=False, secret_key="short")
    assert load(demo=False, secret_key=KEY).signing_key == KEY.encode()


@pytest.mark.parametrize(
    ("field", "value", "variable"),
    [
        ("base_url", "not a url", "HUB_BASE_URL"),
        ("database_url", "mysql://root@localhost/hub", "HUB_DATABASE_URL"),
        ("redis_url", "http://localhost:6379", "HUB_REDIS_URL"),
        ("max_body_bytes", 0, "HUB_MAX_BODY_BYTES"),
        ("session_idle_minutes", "soon", "HUB_SESSION_IDLE_MINUTES"),
        ("log_level", "LOUD", "HUB_LOG_LEVEL"),
    ],
)
def test_bad_values_name_the_variable(field: str, value: object, variable: str) -> None:
    with pytest.raises(SettingsError) as error:
        load(secret_key=KEY, **{field: value})
    assert variable in str(error.value)


def test_secrets_never_appear_in_errors_or_reprs() -> None:
    with pytest.raises(SettingsError) as error:
        load(secret_key=KEY, redis_url="http://user:hunter2@redis:6379")
    assert "hunter2" not in str(error.value)
    settings = load(secret_key=KEY, oidc_client_secret="s3cr3t-value")
    assert "s3cr3t-value" not in repr(settings)
    assert KEY not in repr(settings)


def test_demo_refuses_a_public_base_url_unless_forced() -> None:
    with pytest.raises(SettingsError, match="loopback"):
        load(demo=True, base_url="https://hub.example.com")
    assert load(demo=True, base_url="https://hub.example.com", demo_allow_remote=True).demo
    assert load(demo=True, base_url="http://localhost:8000").base_url_is_loopback


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_SECRET_KEY", KEY)
    monkeypatch.setenv("HUB_MAX_BODY_BYTES", "2048")
    assert load().max_body_bytes == 2048


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"HUB_SECRET_KEY={KEY}\nHUB_LOG_LEVEL=DEBUG\n")
    settings = load_settings(_env_file=env_file)
    assert settings.log_level == "DEBUG"


def test_cli_reports_bad_settings_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUB_DEMO", "0")
    monkeypatch.delenv("HUB_SECRET_KEY", raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no .env here
    assert main(["check"]) == 2
    assert "HUB_SECRET_KEY" in capsys.readouterr().err


def test_an_unknown_variable_stops_start_up_naming_the_nearest_setting() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"HUB_REDIS_URI": "redis://cache:6379/0"}, _env_file=None, secret_key=KEY)
    assert "HUB_REDIS_URI" in str(error.value)
    assert "did you mean HUB_REDIS_URL?" in str(error.value)
    with pytest.raises(SettingsError, match=r"HUB_NONSENSE_FLAG: not a setting of the hub$"):
        load_settings({"HUB_NONSENSE_FLAG": "1"}, _env_file=None, secret_key=KEY)


def test_other_variables_and_the_test_suites_own_are_not_settings_errors() -> None:
    environ = {"PATH": "/bin", "HUB_TEST_DATABASE_URL": "x", "HUB_LOG_LEVEL": "DEBUG"}
    assert load_settings(environ, _env_file=None, secret_key=KEY).secret_key is not None


def test_an_unknown_variable_in_the_dotenv_file_stops_start_up(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"HUB_SECRET_KEY={KEY}\nHUB_DATABSE_URL=sqlite+aiosqlite:///x.db\n")
    with pytest.raises(SettingsError, match="did you mean HUB_DATABASE_URL"):
        load_settings({}, _env_file=env_file)


def test_cli_check_names_a_misspelt_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUB_REDIS_URI", "x")
    monkeypatch.chdir(Path(__file__).parent)  # no .env here
    assert main(["check"]) == 2
    assert "HUB_REDIS_URL" in capsys.readouterr().err


def test_urls_with_credentials_never_print() -> None:
    settings = load(
        secret_key=KEY,
        database_url="postgresql+asyncpg://hub:db-pa55word@db.internal/hub",
        redis_url="redis://:redis-pa55word@cache:6379/0",
        saml_idp_metadata_url="https://idp.example/metadata?token=metadata-t0ken",
    )
    for shown in (repr(settings), str(settings), str(settings.model_dump())):
        for secret in ("db-pa55word", "redis-pa55word", "metadata-t0ken"):
            assert secret not in shown
    assert "db-pa55word" in settings.effective_database_url
    with pytest.raises(SettingsError) as error:
        load(secret_key=KEY, database_url="mysql://root:db-pa55word@db/hub")
    assert "db-pa55word" not in str(error.value)
