"""deal-registration conflicts: registrations with their matching keys, and the conflicts

Revision ID: 0008_deal_conflicts
Revises: 0007_timeline_digest
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision = "0008_deal_conflicts"
down_revision = "0007_timeline_digest"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, hub.db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "deal_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("deal_name", sa.String(length=300), nullable=False),
        sa.Column("customer", sa.String(length=300), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("block_key", sa.String(length=16), nullable=False),
        sa.Column("domain", sa.String(length=200), nullable=True),
        sa.Column("customer_account_id", sa.String(length=100), nullable=True),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _when("registered_at"),
        sa.Column("state", sa.String(length=20), nullable=False),
        _when("seen_at"),
        sa.ForeignKeyConstraint(
            ["partner_org_id"],
            ["partner_orgs.id"],
            name=op.f("fk_deal_registrations_partner_org_id_partner_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_registrations")),
        sa.UniqueConstraint("source", "external_id", name="uq_deal_registrations_source_external"),
    )
    for name, column in (
        ("block", "block_key"),
        ("domain", "domain"),
        ("account", "customer_account_id"),
    ):
        op.create_index(
            f"ix_deal_registrations_{name}_registered",
            "deal_registrations",
            [column, "registered_at"],
        )
    op.create_table(
        "deal_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("second_id", sa.Integer(), nullable=False),
        sa.Column("first_org_id", sa.Integer(), nullable=False),
        sa.Column("second_org_id", sa.Integer(), nullable=False),
        sa.Column("matched_by", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        _when("detected_at"),
        sa.Column("status", sa.String(length=20), nullable=False),
        _when("claimed_at", nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=320), nullable=False),
        _when("decided_at", nullable=True),
        sa.Column("failure", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["deal_registrations.id"],
            name=op.f("fk_deal_conflicts_first_id_deal_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["deal_registrations.id"],
            name=op.f("fk_deal_conflicts_second_id_deal_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_conflicts")),
        sa.UniqueConstraint("first_id", "second_id", name="uq_deal_conflicts_pair"),
    )
    op.create_index("ix_deal_conflicts_status", "deal_conflicts", ["status"])
    op.create_index("ix_deal_conflicts_first_org", "deal_conflicts", ["first_org_id"])
    op.create_index("ix_deal_conflicts_second_org", "deal_conflicts", ["second_org_id"])


def downgrade() -> None:
    op.drop_table("deal_conflicts")
    op.drop_table("deal_registrations")
