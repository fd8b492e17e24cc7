"""Tables of the hub's own database. Schema changes go through Alembic migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hub.db.types import UTCDateTime, utcnow

# Stable constraint names so migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class PartnerOrg(Base):
    """A partner organisation; ``slug`` is the value of the ``partner_org`` claim."""

    __tablename__ = "partner_orgs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(40), default="Registered")
    region: Mapped[str] = mapped_column(String(40), default="")
    partner_type: Mapped[str] = mapped_column(String(40), default="Reseller")
    status: Mapped[str] = mapped_column(String(20), default="active")
    domain: Mapped[str | None] = mapped_column(String(200), default=None)
    # The id this org has in each backend, by connector name (a Salesforce Account Id …).
    external_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="partner_org")


class User(Base):
    """A person who signs in; vendor staff have no partner org."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    partner_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_orgs.id", ondelete="RESTRICT"), default=None, index=True
    )
    roles: Mapped[list[str]] = mapped_column(default=list)
    locale: Mapped[str | None] = mapped_column(String(35), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    # False once their IdP (SCIM) or an administrator deactivates them: no sign-in, no session.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    partner_org: Mapped[PartnerOrg | None] = relationship(back_populates="users")
    identities: Mapped[list[Identity]] = relationship(back_populates="user")


class Identity(Base):
    """Who a user is at one identity provider: issuer and subject, stable across email changes."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_identities_issuer_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(back_populates="identities")


class AuditEntry(Base):
    """Who did what to what, from where; written for every security-relevant decision."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_occurred_at", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(500), default="")
    outcome: Mapped[str] = mapped_column(String(20), default="ok")
    reason: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")


class ActivityEvent(Base):
    """Something a user or org did, from the hub or a backend. Append-only, idempotent by key."""

    __tablename__ = "activity_events"
    __table_args__ = (
        Index("ix_activity_events_org_time", "partner_org_id", "occurred_at"),
        Index("ix_activity_events_user_time", "user_id", "occurred_at"),
        # Program insight's worker finds what changed since its last run by this.
        Index("ix_activity_events_recorded_at", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    partner_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_orgs.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(60))
    object: Mapped[str] = mapped_column(String(500), default="")
    occurred_at: Mapped[datetime] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(60), default="hub")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class IdentityProvider(Base):
    """An OIDC provider or SAML IdP stored by an administrator, next to the environment's one.

    A client secret is never stored: ``client_secret_env`` names the variable
    that holds it. ``allowed_orgs`` are the partner org slugs this provider may
    sign users into; ``trusted_for_all_orgs`` lifts that limit (vendor IdPs only).
    """

    __tablename__ = "identity_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200), default="")
    # OIDC: the issuer URL. SAML: the IdP's entityID (read from its metadata).
    issuer: Mapped[str] = mapped_column(String(500), default="")
    metadata_url: Mapped[str] = mapped_column(String(1000), default="")
    metadata_xml: Mapped[str] = mapped_column(Text, default="")
    client_id: Mapped[str] = mapped_column(String(500), default="")
    client_secret_env: Mapped[str] = mapped_column(String(200), default="")
    claim_mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    group_roles: Mapped[dict[str, Any]] = mapped_column(default=dict)
    allowed_orgs: Mapped[list[str]] = mapped_column(default=list)
    email_domains: Mapped[list[str]] = mapped_column(default=list)
    allow_idp_initiated: Mapped[bool] = mapped_column(Boolean, default=False)
    trusted_for_all_orgs: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserLayout(Base):
    """A user's own homepage layout for one persona; ``version`` is the layout format's."""

    __tablename__ = "user_layouts"
    __table_args__ = (UniqueConstraint("user_id", "persona", name="uq_user_layouts_user_persona"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    persona: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    # Bumped on every save, so two tabs can tell their edits apart.
    revision: Mapped[int] = mapped_column(default=1)
    widgets: Mapped[list[str]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LayoutOverride(Base):
    """An administrator's default layout for a persona in one partner segment.

    Empty ``partner_type``, ``tier`` or ``region`` match any value; the most
    specific matching override wins over the persona's built-in default.
    """

    __tablename__ = "layout_overrides"
    __table_args__ = (
        UniqueConstraint(
            "persona", "partner_type", "tier", "region", name="uq_layout_overrides_segment"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    persona: Mapped[str] = mapped_column(String(40))
    partner_type: Mapped[str] = mapped_column(String(40), default="")
    tier: Mapped[str] = mapped_column(String(40), default="")
    region: Mapped[str] = mapped_column(String(40), default="")
    version: Mapped[int] = mapped_column(default=1)
    widgets: Mapped[list[str]] = mapped_column(default=list)
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FieldContact(Base):
    """A vendor field-team contact shown to partners; no ``partner_org_id``: every partner."""

    __tablename__ = "field_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_orgs.id", ondelete="CASCADE"), default=None, index=True
    )
    role: Mapped[str] = mapped_column(String(40))  # channel_manager | support
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
