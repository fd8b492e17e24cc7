"""program insight: one summary row per partner org, kept by the worker

Revision ID: 0006_program_summaries
Revises: 0001
Create Date: 2026-12-06 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision = "0006_program_summaries"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "program_summaries",
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_org_id"],
            ["partner_orgs.id"],
            name=op.f("fk_program_summaries_partner_org_id_partner_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partner_org_id", name=op.f("pk_program_summaries")),
    )
    op.create_index(
        "ix_activity_events_recorded_at", "activity_events", ["recorded_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_activity_events_recorded_at", table_name="activity_events")
    op.drop_table("program_summaries")
