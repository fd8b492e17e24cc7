"""The hub's one typed settings object, read from ``HUB_*`` environment variables.

Every field carries its help text; the README's settings table is checked
against these fields by ``tests/test_docs.py`` so none goes undocumented.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "HUB_"
# Variables under the prefix that are not settings of the hub process: the test suite's own.
RESERVED_PREFIXES = (ENV_PREFIX + "TEST_",)


class SettingsError(Exception):
    """Start-up configuration is invalid; the message names each variable at fault."""


class Settings(BaseSettings):
    """Configuration for one hub process. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    demo: bool = Field(
        default=False,
        description="Demo mode: built-in sandboxes, seeded data and the demo sign-in page.",
    )
    demo_allow_remote: bool = Field(
        default=False,
        description="Let demo mode start although HUB_BASE_URL is not a loopback address.",
    )
    template_reload: bool = Field(
        default=False,
        description="Re-read a template when its file changes (for working on them; on in"
        " `hub demo`). Off: each template is read once per process.",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public URL of the hub; used for SSO redirects, cookies and origin checks.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key for signing (badges, tokens). Required outside demo mode; 32+ chars.",
    )
    data_dir: Path = Field(
        default=Path("."),
        description="Folder for the embedded SQLite database and demo files.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL: sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db."
            " Default: SQLite file hub.db in HUB_DATA_DIR."
        ),
    )
    redis_url: SecretStr | None = Field(
        default=None,
        description="redis://host:6379/0 for sessions, cache, rate limits. Default: in-process.",
    )
    oidc_issuer: str | None = Field(
        default=None, description="OIDC issuer URL; discovery is read from it."
    )
    oidc_client_id: str | None = Field(default=None, description="OIDC client id.")
    oidc_client_secret: SecretStr | None = Field(default=None, description="OIDC client secret.")
    saml_idp_metadata_url: SecretStr | None = Field(
        default=None,
        description="URL of the SAML IdP's metadata XML (a secret: such URLs often carry a token).",
    )
    saml_idp_metadata_file: Path | None = Field(
        default=None, description="Path of the SAML IdP's metadata XML (instead of a URL)."
    )
    saml_allow_idp_initiated: bool = Field(
        default=False,
        description="Accept unsolicited (IdP-initiated) SAML responses from the environment's IdP.",
    )
    saml_sp_key_file: Path | None = Field(
        default=None,
        description="PEM private key of the hub as SAML SP (signs AuthnRequests). Optional.",
    )
    saml_sp_cert_file: Path | None = Field(
        default=None,
        description="PEM certificate matching HUB_SAML_SP_KEY_FILE, published in the SP metadata.",
    )
    signin_limit_per_ip: Annotated[int, Field(gt=0)] = Field(
        default=200,
        description="Sign-in steps allowed per client IP in 10 minutes (429 above); offices share IPs.",
    )
    signin_limit_per_account: Annotated[int, Field(gt=0)] = Field(
        default=10, description="Sign-ins allowed per account in 10 minutes (429 above)."
    )
    connectors_file: Path | None = Field(
        default=None,
        description="TOML file naming the backend connectors. Default in demo: the sandboxes.",
    )
    sync_interval_minutes: Annotated[int, Field(ge=0, le=1440)] = Field(
        default=15,
        description=(
            "Minutes between syncs of backend activity (0: never). In-process without Redis;"
            " with Redis, `hub worker` processes run it."
        ),
    )
    max_body_bytes: Annotated[int, Field(gt=0)] = Field(
        default=1_048_576, description="Largest request body accepted, in bytes (413 above it)."
    )
    session_idle_minutes: Annotated[int, Field(gt=0)] = Field(
        default=60, description="A session unused this long ends."
    )
    session_absolute_hours: Annotated[int, Field(gt=0)] = Field(
        default=12, description="A session ends this long after sign-in, used or not."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level for the structured logs."
    )
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server for the hub's own email (the weekly digest, playbook messages when no"
        " marketing platform sends them); none: no email.",
    )
    smtp_port: Annotated[int, Field(gt=0, lt=65536)] = Field(
        default=587, description="Port of the SMTP server."
    )
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="How to secure the SMTP connection: STARTTLS, TLS from the start, or none.",
    )
    smtp_username: str | None = Field(default=None, description="SMTP user name, if it needs one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_from: str = Field(
        default="Partner Hub <partner-hub@localhost>",
        description="Sender address of the hub's email.",
    )
    digest_weekday: Annotated[int, Field(ge=0, le=6)] = Field(
        default=0, description="Weekday the weekly digest goes out (0 Monday … 6 Sunday)."
    )
    digest_hour: Annotated[int, Field(ge=0, le=23)] = Field(
        default=7, description="Hour (UTC) from which the weekly digest goes out that day."
    )
    digest_webhook_url: SecretStr | None = Field(
        default=None,
        description="Chat webhook (Slack-compatible JSON POST) that also gets each digest.",
    )
    smtp_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = Field(
        default=10.0, description="How long one SMTP send may take before it counts as failed."
    )

    @field_validator("base_url")
    @classmethod
    def _base_url_is_http(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an absolute http(s) URL such as https://hub.example.com")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url_is_async(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if not value.get_secret_value().startswith(
            ("sqlite+aiosqlite://", "postgresql+asyncpg://")
        ):
            raise ValueError(
                "expected sqlite+aiosqlite:///file.db or postgresql+asyncpg://user@host/db"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ValueError("expected redis://host:port/db, rediss://… or unix://…")
        return value

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if not self.demo:
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if len(key) < 32:
                raise ValueError(
                    "HUB_SECRET_KEY: required outside demo mode, at least 32 characters"
                )
        elif not self.demo_allow_remote and not self.base_url_is_loopback:
            raise ValueError(
                "HUB_BASE_URL: demo mode only serves a loopback address (127.0.0.1, localhost);"
                " set HUB_DEMO_ALLOW_REMOTE=1 to force it"
            )
        return self

    @property
    def base_url_is_loopback(self) -> bool:
        host = urlsplit(self.base_url).hostname or ""
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{(self.data_dir / 'hub.db').resolve()}"

    @property
    def signing_key(self) -> bytes:
        """The key for HMACs and signatures; demo mode derives a per-folder one."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        return b"partner-hub-demo-only:" + str(self.data_dir.resolve()).encode()


_SECRET_FIELDS = frozenset(
    name for name, field in Settings.model_fields.items() if "SecretStr" in str(field.annotation)
)


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def load_settings(environ: Mapping[str, str] | None = None, /, **overrides: object) -> Settings:
    """Read settings from the environment (and ``.env``), or raise :class:`SettingsError`.

    A ``HUB_`` variable that is no setting stops start-up: a typo such as ``HUB_REDIS_URI``
    would otherwise run production on the embedded defaults without a word.
    """
    env_file = overrides.get("_env_file", ".env")
    names = set(os.environ if environ is None else environ)
    if isinstance(env_file, str | Path) and Path(env_file).is_file():
        names |= {name for name in dotenv_values(env_file) if name}
    unknown = unknown_variables(names)
    if unknown:
        raise SettingsError("invalid configuration:\n" + "\n".join(unknown))
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def unknown_variables(names: set[str]) -> list[str]:
    """One line per ``HUB_`` name in ``names`` that is no setting, with the nearest known name."""
    known = [env_name(field) for field in Settings.model_fields]
    # Compared without the prefix, which every name shares and would make anything look near.
    stems = {name.removeprefix(ENV_PREFIX): name for name in known}
    lines = []
    for name in sorted(names):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known:
            continue
        if upper.startswith(RESERVED_PREFIXES):
            continue
        nearest = difflib.get_close_matches(upper.removeprefix(ENV_PREFIX), stems, n=1, cutoff=0.7)
        hint = f"; did you mean {stems[nearest[0]]}?" if nearest else ""
        lines.append(f"  {name}: not a setting of the hub{hint}")
    return lines


def describe_errors(exc: ValidationError) -> str:
    lines = ["invalid configuration:"]
    for error in exc.errors():
        location = [str(part) for part in error["loc"]]
        message = str(error["msg"]).removeprefix("Value error, ")
        if location:
            field = location[0]
            shown = "" if field in _SECRET_FIELDS else f" (got {error['input']!r})"
            lines.append(f"  {env_name(field)}: {message}{shown}")
        else:
            lines.append(f"  {message}")
    return "\n".join(lines)
