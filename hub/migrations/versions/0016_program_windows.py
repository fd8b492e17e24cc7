"""program insight: each partner's rollups summed over the summary's windows, as of a day;
day buckets indexed by day, for moving the sums on

Revision ID: 0016_program_windows
Revises: 0015_program_rollups
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_program_windows"
down_revision = "0015_program_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "program_rollup_windows",
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("spec", sa.String(length=120), nullable=False),
        sa.Column("current", sa.Float(), nullable=False),
        sa.Column("earlier", sa.Float(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("recent", sa.Integer(), nullable=False),
        sa.Column("quiet", sa.Integer(), nullable=False),
        sa.Column("back", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_org_id"],
            ["partner_orgs.id"],
            name=op.f("fk_program_rollup_windows_partner_org_id_partner_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partner_org_id", "kind", name=op.f("pk_program_rollup_windows")),
    )
    op.create_index("ix_program_rollups_day_org", "program_rollups", ["day", "partner_org_id"])


def downgrade() -> None:
    op.drop_index("ix_program_rollups_day_org", table_name="program_rollups")
    op.drop_table("program_rollup_windows")
