"""Alembic, driven from code so ``hub migrate`` works from an installed wheel."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from hub.db.engine import Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Tables a migration makes outside the models: SQLite's FTS5 table for the content
# library and the shadow tables FTS5 keeps for it.
SEARCH_TABLE_PREFIX = "content_fts"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's filter: compare everything but the search tables the models do not hold."""
    return not (type_ == "table" and (name or "").startswith(SEARCH_TABLE_PREFIX))


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(db: Database, revision: str = "heads") -> None:
    """Bring the schema up to ``revision`` in one transaction per migration run."""

    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)


async def pending(db: Database) -> list[str]:
    """Revisions not yet applied; empty when the schema is current."""

    def read(connection: Connection) -> list[str]:
        script = ScriptDirectory.from_config(alembic_config())
        current = set(MigrationContext.configure(connection).get_current_heads())
        if current == set(script.get_heads()):
            return []
        applied: set[str] = set()
        for head in current:
            applied.update(rev.revision for rev in script.iterate_revisions(head, "base"))
        return [rev.revision for rev in script.walk_revisions() if rev.revision not in applied]

    async with db.engine.connect() as conn:
        return await conn.run_sync(read)
