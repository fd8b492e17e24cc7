"""The hub's own signing keys as identity provider, rotated: ``next`` → ``current`` → retired.

``slot`` is ``current`` or ``next`` for the two live keys and NULL once retired; its unique
constraint lets only one process win when two create the first keys at the same moment.
The private key is stored as PKCS#8 PEM encrypted with the hub's signing key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import utcnow


class IdpSigningKey(Base):
    __tablename__ = "idp_signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    slot: Mapped[str | None] = mapped_column(String(10), unique=True, default=None)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)
