"""Alembic environment: runs on the connection ``hub.db.migrate`` hands in."""

from __future__ import annotations

from alembic import context

from hub.db.migrate import include_name
from hub.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `hub migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
