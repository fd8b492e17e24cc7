"""the hub as identity provider: its rotated signing keys

Revision ID: 0012_idp_keys
Revises: 0011_content
Create Date: 2026-12-07 10:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision = "0012_idp_keys"
down_revision = "0011_content"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idp_signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=100), nullable=False),
        sa.Column("slot", sa.String(length=10), nullable=True),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("created_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", hub.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idp_signing_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_idp_signing_keys_kid")),
        sa.UniqueConstraint("slot", name=op.f("uq_idp_signing_keys_slot")),
    )


def downgrade() -> None:
    op.drop_table("idp_signing_keys")
