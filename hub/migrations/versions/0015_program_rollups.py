"""program insight: running rollups per partner org (by kind and day), first moments, deals

Revision ID: 0015_program_rollups
Revises: 0014_trust_written_texts
Create Date: 2026-12-07 16:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision = "0015_program_rollups"
down_revision = "0014_trust_written_texts"
branch_labels = None
depends_on = None


def _org(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["partner_org_id"],
        ["partner_orgs.id"],
        name=op.f(f"fk_{table}_partner_org_id_partner_orgs"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "program_rollups",
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        _org("program_rollups"),
        sa.PrimaryKeyConstraint("partner_org_id", "kind", "day", name=op.f("pk_program_rollups")),
    )
    op.create_table(
        "program_rollup_kinds",
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("first_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("firsts", sa.JSON(), nullable=False),
        _org("program_rollup_kinds"),
        sa.PrimaryKeyConstraint("partner_org_id", "kind", name=op.f("pk_program_rollup_kinds")),
    )
    op.create_table(
        "program_deals",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("won", sa.Boolean(), nullable=False),
        sa.Column("object", sa.String(length=500), nullable=False),
        sa.Column("at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("amount_e6", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=60), nullable=False),
        _org("program_deals"),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_program_deals")),
    )
    op.create_index("ix_program_deals_org_won_at", "program_deals", ["partner_org_id", "won", "at"])
    op.create_index("ix_program_deals_org_object", "program_deals", ["partner_org_id", "object"])


def downgrade() -> None:
    op.drop_index("ix_program_deals_org_object", table_name="program_deals")
    op.drop_index("ix_program_deals_org_won_at", table_name="program_deals")
    op.drop_table("program_deals")
    op.drop_table("program_rollup_kinds")
    op.drop_table("program_rollups")
