"""Open Badges 3.0: a badge a user earned as a signed, portable Verifiable Credential.

The credential (W3C VC Data Model 2.0 with the ``OpenBadgeCredential`` type) is secured as
a compact JWS (``typ: vc+jwt``, the credential itself as payload) signed with Ed25519.

Why Ed25519 rather than HS256: a badge is shown elsewhere, and whoever checks it must not
need the hub's secret, so the signature has to be asymmetric; the public key is published
as a JWKS. The key is derived (HKDF-SHA256) from the hub's ``signing_key``, so every app
process signs with the same key and there is no key file to store or lose; rotating the
hub's secret rotates the badge key. Ed25519 is deterministic (no nonce to get wrong), fast
and small. Open Badges names RS256 as its interoperability minimum for JWTs; a consumer
that accepts only RS256 would need a stored RSA key, which this module can grow later.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from sqlalchemy import select

from hub.db import Database, User
from hub.db.engagement import BadgeAward, BadgeRule
from hub.services.engagement.errors import EngagementError
from hub.settings import Settings

# RFC 9864's fully specified name; the older "EdDSA" is deprecated.
ALGORITHM = "Ed25519"
CONTEXTS = (
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
)


def issuer_key(settings: Settings) -> OKPKey:
    """The hub's Ed25519 badge-signing key, derived from its signing key."""
    seed = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"partner-hub/open-badges/v1",
        info=b"ed25519 issuer key",
    ).derive(settings.signing_key)
    return OKPKey.import_key(Ed25519PrivateKey.from_private_bytes(seed))


def issuer_jwks(settings: Settings) -> dict[str, Any]:
    """The public key set a verifier fetches (serve it at ``/engagement/issuer/jwks.json``)."""
    key = issuer_key(settings)
    public = key.as_dict(private=False)
    public.update(kid=key.thumbprint(), alg=ALGORITHM, use="sig")
    return {"keys": [public]}


def issuer_profile(settings: Settings) -> dict[str, Any]:
    """The issuer as Open Badges describes it."""
    base = settings.base_url.rstrip("/")
    return {
        "id": f"{base}/engagement/issuer",
        "type": ["Profile"],
        "name": "Partner Hub",
        "url": base,
    }


@dataclass(frozen=True)
class BadgeCredential:
    """The credential as JSON and as the signed compact JWS (what a user downloads)."""

    credential: dict[str, Any]
    jwt: str


def _identity_hash(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email.lower() + salt).encode()).hexdigest()


async def badge_credential(
    db: Database, settings: Settings, *, user_id: int, slug: str
) -> BadgeCredential:
    """Export a badge ``user_id`` earned as an Open Badges 3.0 credential, signed."""
    async with db.session() as session:
        found = (
            await session.execute(
                select(BadgeAward, BadgeRule, User)
                .join(BadgeRule, BadgeRule.id == BadgeAward.rule_id)
                .join(User, User.id == BadgeAward.user_id)
                .where(BadgeAward.user_id == user_id, BadgeRule.slug == slug)
            )
        ).first()
    if found is None:
        raise EngagementError("not_found", f"no badge {slug!r} earned by this user")
    award, rule, user = found
    base = settings.base_url.rstrip("/")
    salt = hashlib.sha256(f"{award.id}:{settings.signing_key.hex()}".encode()).hexdigest()[:16]
    credential: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": f"{base}/engagement/badges/awards/{award.id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile(settings),
        "validFrom": _z(award.awarded_at),
        "name": rule.name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": _identity_hash(user.email, salt),
                    "salt": salt,
                }
            ],
            "achievement": {
                "id": f"{base}/engagement/badges/{rule.slug}",
                "type": ["Achievement"],
                "name": rule.name,
                "description": rule.description or rule.name,
                "criteria": {"narrative": rule.description or rule.name},
                **({"image": {"id": rule.image, "type": "Image"}} if rule.image else {}),
            },
        },
    }
    key = issuer_key(settings)
    header = {"alg": ALGORITHM, "typ": "vc+jwt", "cty": "vc", "kid": key.thumbprint()}
    payload = json.dumps(credential, separators=(",", ":"), ensure_ascii=False)
    token = jws.serialize_compact(header, payload, key, algorithms=[ALGORITHM])
    return BadgeCredential(credential, token)


def verify_badge_credential(settings: Settings, token: str) -> dict[str, Any]:
    """The credential inside ``token`` if the hub's key signed it; ``EngagementError`` if not."""
    public = OKPKey.import_key(issuer_jwks(settings)["keys"][0])
    try:
        signed = jws.deserialize_compact(token, public, algorithms=[ALGORITHM])
    except (JoseError, ValueError) as error:
        raise EngagementError(
            "invalid_credential", f"the signature does not verify: {error}"
        ) from None
    credential: dict[str, Any] = json.loads(signed.payload)
    return credential


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
