"""content library: the index of items, targeting rules, readers' visits, full-text search

Revision ID: 0011_content
Revises: 0010_questions
Create Date: 2026-12-07 10:00:00

Full-text search is made per dialect, outside the models: on PostgreSQL a
generated ``search_vector`` column (title weighted A, summary B, stemmed in the
item's language) with a GIN index; on SQLite an FTS5 table over
``content_items.search_text`` kept in step by triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision = "0011_content"
down_revision = "0010_questions"
branch_labels = None
depends_on = None

PG_CONFIG = "CASE language WHEN 'de' THEN 'german'::regconfig ELSE 'english'::regconfig END"

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE content_fts USING fts5(search_text, content='content_items',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER content_items_fts_insert AFTER INSERT ON content_items BEGIN"
    " INSERT INTO content_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER content_items_fts_delete AFTER DELETE ON content_items BEGIN"
    " INSERT INTO content_fts(content_fts, rowid, search_text)"
    " VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER content_items_fts_update AFTER UPDATE OF search_text ON content_items BEGIN"
    " INSERT INTO content_fts(content_fts, rowid, search_text)"
    " VALUES ('delete', old.id, old.search_text);"
    " INSERT INTO content_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)


def upgrade() -> None:
    op.create_table(
        "content_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("published_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("collection", sa.String(length=200), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("activity_id", sa.String(length=1000), nullable=True),
        sa.Column("supersedes", sa.String(length=200), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("pinned_until", hub.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("indexed_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("aud_personas", sa.String(length=500), nullable=False),
        sa.Column("aud_partner_types", sa.String(length=500), nullable=False),
        sa.Column("aud_tiers", sa.String(length=500), nullable=False),
        sa.Column("aud_regions", sa.String(length=500), nullable=False),
        sa.Column("aud_languages", sa.String(length=500), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["content_items.id"],
            name=op.f("fk_content_items_superseded_by_id_content_items"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_items")),
        sa.UniqueConstraint(
            "source", "external_id", name="uq_content_items_source_external_id"
        ),
    )
    op.create_index(
        "ix_content_items_published_at", "content_items", ["published_at"], unique=False
    )
    op.create_index(
        "ix_content_items_pinned_until", "content_items", ["pinned_until"], unique=False
    )
    op.create_table(
        "content_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("collection", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("personas", sa.JSON(), nullable=False),
        sa.Column("partner_types", sa.JSON(), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("pinned_until", hub.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("superseded_by", sa.String(length=200), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_rules")),
        sa.UniqueConstraint(
            "scope", "source", "collection", "external_id", name="uq_content_rules_target"
        ),
    )
    op.create_table(
        "content_visits",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("visited_at", hub.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_content_visits_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_content_visits")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE content_items ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            f"setweight(to_tsvector({PG_CONFIG}, title), 'A') || "
            f"setweight(to_tsvector({PG_CONFIG}, summary), 'B')) STORED"
        )
        op.execute(
            "CREATE INDEX ix_content_items_search_vector ON content_items USING gin (search_vector)"
        )
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS content_items_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS content_fts")
    op.drop_table("content_visits")
    op.drop_table("content_rules")
    op.drop_index("ix_content_items_pinned_until", table_name="content_items")
    op.drop_index("ix_content_items_published_at", table_name="content_items")
    op.drop_table("content_items")
