"""Open Badges 3.0 export: the credential's shape, its Ed25519 signature, tampering caught."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.resources import Hub
from hub.services.activity import Activity
from hub.services.engagement import badges, credentials
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.processing import ingest
from tests.conftest import make_settings
from tests.engagement_helpers import user_id

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


async def _earn(hub: Hub) -> int:
    rep = await user_id(hub.db, "rep@acme.example")
    async with hub.db.transaction() as session:
        await badges.save_badge_rule(
            session,
            slug="first-deal",
            name="First deal",
            description="Registered a first deal",
            definition={"kind": "first", "event": "deal_registered"},
        )
    await ingest(
        hub.db,
        hub.store,
        [Activity(key="d1", kind="deal_registered", occurred_at=NOW, user_id=rep)],
    )
    return rep


async def test_an_earned_badge_exports_as_a_signed_open_badge(seeded: Hub) -> None:
    rep = await _earn(seeded)
    exported = await credentials.badge_credential(
        seeded.db, seeded.settings, user_id=rep, slug="first-deal"
    )
    vc = exported.credential
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert vc["validFrom"] == "2026-11-22T18:00:00Z"
    assert vc["issuer"]["id"] == "http://127.0.0.1:8000/engagement/issuer"
    subject = vc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["achievement"]["name"] == "First deal"
    assert "rep@acme.example" not in json.dumps(vc)  # the email is only hashed
    header_part, payload_part, signature_part = exported.jwt.split(".")
    header = json.loads(_b64(header_part))
    assert (header["alg"], header["typ"]) == ("Ed25519", "vc+jwt")
    assert json.loads(_b64(payload_part)) == vc
    # Any verifier with the published key (and nothing else) can check it.
    [jwk] = credentials.issuer_jwks(seeded.settings)["keys"]
    assert "d" not in jwk
    Ed25519PublicKey.from_public_bytes(_b64(jwk["x"])).verify(
        _b64(signature_part), f"{header_part}.{payload_part}".encode()
    )
    assert credentials.verify_badge_credential(seeded.settings, exported.jwt) == vc


async def test_tampering_or_another_hub_key_fails(seeded: Hub, tmp_path: Path) -> None:
    rep = await _earn(seeded)
    token = (
        await credentials.badge_credential(
            seeded.db, seeded.settings, user_id=rep, slug="first-deal"
        )
    ).jwt
    header, payload, signature = token.split(".")
    forged = json.loads(_b64(payload))
    forged["name"] = "Platinum partner"
    forged_part = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(EngagementError, match="does not verify"):
        credentials.verify_badge_credential(seeded.settings, f"{header}.{forged_part}.{signature}")
    other = make_settings(
        tmp_path / "elsewhere", "sqlite+aiosqlite:///:memory:", secret_key="x" * 40
    )
    with pytest.raises(EngagementError, match="does not verify"):
        credentials.verify_badge_credential(other, token)


async def test_only_earned_badges_export(seeded: Hub) -> None:
    await _earn(seeded)
    owner = await user_id(seeded.db, "owner@acme.example")
    with pytest.raises(EngagementError) as missing:
        await credentials.badge_credential(
            seeded.db, seeded.settings, user_id=owner, slug="first-deal"
        )
    assert missing.value.http_status == 404
