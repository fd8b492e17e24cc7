"""reactivation playbooks: definitions, runs (one running per partner), steps

Revision ID: 0009_playbooks
Revises: 0008_deal_conflicts
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision = "0009_playbooks"
down_revision = "0008_deal_conflicts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "playbooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbooks")),
        sa.UniqueConstraint("slug", name=op.f("uq_playbooks_slug")),
    )
    op.create_table(
        "playbook_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sa.Integer(), nullable=False),
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("holdout", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_by", sa.String(length=320), nullable=False),
        sa.Column("started_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", hub.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_org_id"],
            ["partner_orgs.id"],
            name=op.f("fk_playbook_runs_partner_org_id_partner_orgs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbooks.id"],
            name=op.f("fk_playbook_runs_playbook_id_playbooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_runs")),
    )
    op.create_index(
        "ix_playbook_runs_partner_org_id", "playbook_runs", ["partner_org_id"], unique=False
    )
    op.create_index(
        "ix_playbook_runs_playbook", "playbook_runs", ["playbook_id", "started_at"], unique=False
    )
    op.create_index(
        "uq_playbook_runs_running",
        "playbook_runs",
        ["partner_org_id"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )
    op.create_table(
        "playbook_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", hub.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["playbook_runs.id"],
            name=op.f("fk_playbook_steps_run_id_playbook_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_steps")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_playbook_steps_idempotency_key")),
        sa.UniqueConstraint("run_id", "position", name="uq_playbook_steps_run_position"),
    )


def downgrade() -> None:
    op.drop_table("playbook_steps")
    op.drop_index("uq_playbook_runs_running", table_name="playbook_runs")
    op.drop_index("ix_playbook_runs_playbook", table_name="playbook_runs")
    op.drop_index("ix_playbook_runs_partner_org_id", table_name="playbook_runs")
    op.drop_table("playbook_runs")
    op.drop_table("playbooks")
