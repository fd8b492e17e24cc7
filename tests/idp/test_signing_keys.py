"""The identity provider's keys: made once, rotated, published, and stored encrypted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.db import Database
from hub.db.idp import IdpSigningKey
from hub.idp.keys import RETIRED_KEPT, SigningKeys

pytestmark = pytest.mark.anyio


async def test_rotation_moves_next_to_current_and_keeps_retired_published(db: Database) -> None:
    keys = SigningKeys(db, b"k" * 32)
    first = await keys.ring()
    # A second process reads the same keys instead of making its own.
    assert (await SigningKeys(db, b"k" * 32).ring()).current.kid == first.current.kid
    rotated = await keys.rotate()
    assert rotated.current.kid == first.next.kid
    assert rotated.retired[0].kid == first.current.kid
    published = {key["kid"] for key in rotated.jwks()["keys"]}  # type: ignore[attr-defined]
    assert {first.current.kid, first.next.kid, rotated.next.kid} <= published
    for _ in range(RETIRED_KEPT + 1):
        rotated = await keys.rotate()
    assert len(rotated.retired) == RETIRED_KEPT
    assert first.current.kid not in {key.kid for key in rotated.retired}


async def test_private_keys_are_stored_encrypted(db: Database) -> None:
    await SigningKeys(db, b"k" * 32).ring()
    async with db.session() as session:
        pems = list(await session.scalars(select(IdpSigningKey.private_pem)))
    assert pems
    assert all("ENCRYPTED PRIVATE KEY" in pem for pem in pems)
    with pytest.raises(ValueError, match=r"(?i)password|decrypt|bad"):
        await SigningKeys(db, b"another secret key, not the hub's").ring()
