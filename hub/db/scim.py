"""Tables of SCIM provisioning: tokens per identity provider, its users and groups, and
what each backend was told about each person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import utcnow


class ScimToken(Base):
    """A bearer token an identity provider's SCIM client presents; only its SHA-256 is kept."""

    __tablename__ = "scim_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by: Mapped[str] = mapped_column(String(320), default="")
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class ScimUser(Base):
    """A user as one identity provider provisioned them: its ids and the resource's version."""

    __tablename__ = "scim_users"
    __table_args__ = (
        UniqueConstraint("provider_id", "user_id", name="uq_scim_users_provider_user"),
        Index("ix_scim_users_provider_external", "provider_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(500), default="")
    given_name: Mapped[str] = mapped_column(String(200), default="")
    family_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScimGroup(Base):
    """A group an identity provider pushed; ``role`` is the hub role its members get."""

    __tablename__ = "scim_groups"
    __table_args__ = (
        UniqueConstraint("provider_id", "display_name", name="uq_scim_groups_provider_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(500), default="")
    role: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScimMember(Base):
    """One user in one SCIM group."""

    __tablename__ = "scim_members"
    __table_args__ = (UniqueConstraint("group_id", "user_id", name="uq_scim_members_group_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("scim_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class ProvisioningPush(Base):
    """What one backend was last asked about one person, and whether it took it.

    ``status`` is ``done`` or ``failed``; a failed push is retried from ``next_attempt_at``
    with backoff, and always carries the latest state of the person, never an old one."""

    __tablename__ = "provisioning_pushes"
    __table_args__ = (
        UniqueConstraint("user_id", "connector", name="uq_provisioning_pushes_user_connector"),
        Index("ix_provisioning_pushes_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    connector: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(20))  # created | changed | deactivated
    status: Mapped[str] = mapped_column(String(20), default="failed")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    backend_id: Mapped[str] = mapped_column(String(200), default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
