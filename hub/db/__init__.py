"""The hub's own database: SQLAlchemy 2 async, SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from hub.db.engine import Database
from hub.db.models import ActivityEvent, AuditEntry, Base, Identity, PartnerOrg, User

__all__ = ["ActivityEvent", "AuditEntry", "Base", "Database", "Identity", "PartnerOrg", "User"]

# The engagement engine's tables live in their own module, on this same Base, so Alembic
# and the test fixtures see them whenever the database package is imported.
import hub.db.conflicts
import hub.db.content
import hub.db.engagement
import hub.db.idp
import hub.db.playbooks
import hub.db.program
import hub.db.questions
import hub.db.scim
import hub.db.timeline  # noqa: F401
