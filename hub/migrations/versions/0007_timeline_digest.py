"""partner timeline, hand-over and weekly digest: notes, assignment changes, digest sends, weekly snapshots, opt-outs

Revision ID: 0007_timeline_digest
Revises: 0006_program_summaries
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision = "0007_timeline_digest"
down_revision = "0006_program_summaries"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, hub.db.types.UTCDateTime(timezone=True), nullable=nullable)


def _org(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["partner_org_id"],
        ["partner_orgs.id"],
        name=op.f(f"fk_{table}_partner_org_id_partner_orgs"),
        ondelete="CASCADE",
    )


def _user(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "partner_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("author_email", sa.String(length=320), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _when("created_at"),
        _org("partner_notes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_notes")),
    )
    op.create_index("ix_partner_notes_org_time", "partner_notes", ["partner_org_id", "created_at"])
    op.create_table(
        "assignment_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("from_email", sa.String(length=320), nullable=False),
        sa.Column("to_email", sa.String(length=320), nullable=False),
        sa.Column("to_name", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=320), nullable=False),
        _when("changed_at"),
        _when("read_at", nullable=True),
        _org("assignment_changes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_changes")),
    )
    op.create_index(
        "ix_assignment_changes_org_time", "assignment_changes", ["partner_org_id", "changed_at"]
    )
    op.create_index("ix_assignment_changes_to", "assignment_changes", ["to_email"])
    op.create_table(
        "digest_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        _when("claimed_at"),
        _when("sent_at", nullable=True),
        _user("digest_sends"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_sends")),
        sa.UniqueConstraint("user_id", "week", name="uq_digest_sends_user_week"),
    )
    op.create_table(
        "dormancy_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        _when("taken_at"),
        _org("dormancy_snapshots"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dormancy_snapshots")),
        sa.UniqueConstraint("week", "partner_org_id", name="uq_dormancy_snapshots_week_org"),
    )
    op.create_table(
        "digest_opt_outs",
        sa.Column("user_id", sa.Integer(), nullable=False),
        _when("at"),
        _user("digest_opt_outs"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_digest_opt_outs")),
    )


def downgrade() -> None:
    op.drop_table("digest_opt_outs")
    op.drop_table("dormancy_snapshots")
    op.drop_table("digest_sends")
    op.drop_index("ix_assignment_changes_to", table_name="assignment_changes")
    op.drop_index("ix_assignment_changes_org_time", table_name="assignment_changes")
    op.drop_table("assignment_changes")
    op.drop_index("ix_partner_notes_org_time", table_name="partner_notes")
    op.drop_table("partner_notes")
