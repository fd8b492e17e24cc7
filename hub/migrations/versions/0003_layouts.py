"""homepage layouts: user layouts, admin overrides by segment, field-team contacts

Revision ID: 0003_layouts
Revises: 0001
Create Date: 2026-11-22 18:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision = "0003_layouts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_layouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("persona", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("widgets", sa.JSON(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_layouts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_layouts")),
        sa.UniqueConstraint("user_id", "persona", name="uq_user_layouts_user_persona"),
    )
    op.create_table(
        "layout_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("persona", sa.String(length=40), nullable=False),
        sa.Column("partner_type", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("widgets", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_layout_overrides")),
        sa.UniqueConstraint(
            "persona", "partner_type", "tier", "region", name="uq_layout_overrides_segment"
        ),
    )
    op.create_table(
        "field_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_org_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_org_id"],
            ["partner_orgs.id"],
            name=op.f("fk_field_contacts_partner_org_id_partner_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_contacts")),
    )
    with op.batch_alter_table("field_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_field_contacts_partner_org_id"), ["partner_org_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("field_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_field_contacts_partner_org_id"))
    op.drop_table("field_contacts")
    op.drop_table("layout_overrides")
    op.drop_table("user_layouts")
