"""Texts administrators write, per locale: badge_rules, action_rules and pulse_surveys .texts

Revision ID: 0014_trust_written_texts
Revises: 0013_scim
Create Date: 2026-12-07 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_trust_written_texts"
down_revision = "0013_scim"
branch_labels = None
# badge_rules, action_rules and pulse_surveys come from the engagement branch.
depends_on = ("0004_engagement",)

TABLES = ("badge_rules", "action_rules", "pulse_surveys")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("texts", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("texts")
