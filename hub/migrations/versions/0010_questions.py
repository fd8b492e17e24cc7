"""ask an expert: topics, their experts, questions and answers

Revision ID: 0010_questions
Revises: 0009_playbooks
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision = "0010_questions"
down_revision = "0009_playbooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("partner_types", sa.JSON(), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_topics")),
        sa.UniqueConstraint("slug", name=op.f("uq_question_topics_slug")),
    )
    op.create_table(
        "question_topic_experts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["question_topics.id"],
            name=op.f("fk_question_topic_experts_topic_id_question_topics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_question_topic_experts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_topic_experts")),
        sa.UniqueConstraint("topic_id", "user_id", name="uq_question_topic_experts_pair"),
    )
    with op.batch_alter_table("question_topic_experts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_question_topic_experts_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("asked_by", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("asked_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_answered_at", hub.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("public_scope", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("published_at", hub.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["asked_by"],
            ["users.id"],
            name=op.f("fk_questions_asked_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_org_id"],
            ["partner_orgs.id"],
            name=op.f("fk_questions_partner_org_id_partner_orgs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["question_topics.id"],
            name=op.f("fk_questions_topic_id_question_topics"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_questions_org_asked", ["partner_org_id", "asked_at"], unique=False
        )
        batch_op.create_index("ix_questions_public", ["public_scope", "published_at"], unique=False)
        batch_op.create_index("ix_questions_topic_status", ["topic_id", "status"], unique=False)

    op.create_table(
        "question_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=True),
        sa.Column("expert_name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("answered_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["expert_id"],
            ["users.id"],
            name=op.f("fk_question_answers_expert_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_answers_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_answers")),
    )
    with op.batch_alter_table("question_answers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_question_answers_question", ["question_id", "answered_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("question_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_question_answers_question")

    op.drop_table("question_answers")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index("ix_questions_topic_status")
        batch_op.drop_index("ix_questions_public")
        batch_op.drop_index("ix_questions_org_asked")

    op.drop_table("questions")
    with op.batch_alter_table("question_topic_experts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_topic_experts_user_id"))

    op.drop_table("question_topic_experts")
    op.drop_table("question_topics")
