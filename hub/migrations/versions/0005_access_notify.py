"""tell listening app processes when a user's access or an org changes (PostgreSQL only)

Revision ID: 0005_access_notify
Revises: 0001
Create Date: 2026-11-22 21:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005_access_notify"
down_revision = "0001"
branch_labels = None
depends_on = None

# The payload is the user's id, or "*" when an org changed (every member's view of it).
FUNCTION = """
CREATE OR REPLACE FUNCTION hub_notify_access() RETURNS trigger AS $$
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    PERFORM pg_notify('hub_access', OLD.id::text);
  ELSE
    PERFORM pg_notify('hub_access', '*');
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite is one process: nothing to tell
    op.execute(FUNCTION)
    op.execute(
        "CREATE TRIGGER users_access_changed"
        " AFTER UPDATE OF roles, partner_org_id, email OR DELETE ON users"
        " FOR EACH ROW EXECUTE FUNCTION hub_notify_access()"
    )
    op.execute(
        "CREATE TRIGGER partner_orgs_changed AFTER UPDATE OR DELETE ON partner_orgs"
        " FOR EACH ROW EXECUTE FUNCTION hub_notify_access()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS partner_orgs_changed ON partner_orgs")
    op.execute("DROP TRIGGER IF EXISTS users_access_changed ON users")
    op.execute("DROP FUNCTION IF EXISTS hub_notify_access()")
