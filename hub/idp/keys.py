"""The identity provider's RSA signing keys: made, rotated and published.

Three states: ``next`` (published, not yet signing: relying parties that cache the JWKS
already know it when it takes over), ``current`` (signs ID tokens and SAML responses) and
retired (still published for :data:`RETIRED_KEPT` rotations, so tokens signed just before
a rotation still verify). Keys live in the database, encrypted with ``HUB_SECRET_KEY``, so
every app process signs with the same key; ``hub idp-keys rotate`` moves them along.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.db import Database
from hub.db.idp import IdpSigningKey

ALGORITHM = "RS256"
KEY_BITS = 2048
# Retired keys still published: enough to outlive an ID token (10 minutes) many times over.
RETIRED_KEPT = 2
# How long a process trusts what it loaded before asking the database again (rotation).
RELOAD_SECONDS = 60.0


@dataclass(frozen=True)
class SigningKey:
    """One key of the ring with its key id and its self-signed certificate (for SAML)."""

    kid: str
    key: RSAKey
    certificate_pem: str
    private_pem: bytes


@dataclass(frozen=True)
class KeyRing:
    """The published keys: the one that signs now, the next one, the retired ones."""

    current: SigningKey
    next: SigningKey
    retired: tuple[SigningKey, ...]

    def jwks(self) -> dict[str, object]:
        """The public JWK set, for ``/idp/oidc/jwks.json``."""
        keys = []
        for entry in (self.current, self.next, *self.retired):
            public = entry.key.as_dict(private=False)
            public.update(kid=entry.kid, alg=ALGORITHM, use="sig")
            keys.append(public)
        return {"keys": keys}


def _new_private_pem(password: bytes) -> tuple[str, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )
    kid = RSAKey.import_key(private).thumbprint()
    return kid, pem.decode()


def _certificate(private: rsa.RSAPrivateKey, kid: str, created: dt.datetime) -> str:
    """A self-signed certificate for the key, the same in every process (dates from the row)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Partner Hub identity provider")])
    serial = int.from_bytes(kid.encode()[:16].ljust(16, b"0"), "big") >> 1
    not_before = created.replace(microsecond=0)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=3650))
        .sign(private, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _load(row: IdpSigningKey, password: bytes) -> SigningKey:
    private = serialization.load_pem_private_key(row.private_pem.encode(), password)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ValueError(f"signing key {row.kid} is not an RSA key")
    plain = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SigningKey(
        kid=row.kid,
        key=RSAKey.import_key(private),
        certificate_pem=_certificate(private, row.kid, row.created_at),
        private_pem=plain,
    )


class SigningKeys:
    """Reads the ring from the database (made on first use), cached per process."""

    def __init__(self, db: Database, password: bytes) -> None:
        self.db = db
        self.password = password
        self._ring: KeyRing | None = None
        self._loaded_at = 0.0

    async def ring(self) -> KeyRing:
        """The current ring; the first call in a fresh database creates current and next."""
        if self._ring is None or time.monotonic() - self._loaded_at > RELOAD_SECONDS:
            self._ring = await self._read()
            self._loaded_at = time.monotonic()
        return self._ring

    async def _read(self) -> KeyRing:
        for _attempt in range(3):
            async with self.db.session() as session:
                rows = list(await session.scalars(select(IdpSigningKey)))
            slots = {row.slot: row for row in rows if row.slot}
            if "current" in slots and "next" in slots:
                retired = sorted(
                    (row for row in rows if row.slot is None),
                    key=lambda row: row.retired_at or row.created_at,
                    reverse=True,
                )[:RETIRED_KEPT]
                return KeyRing(
                    current=_load(slots["current"], self.password),
                    next=_load(slots["next"], self.password),
                    retired=tuple(_load(row, self.password) for row in retired),
                )
            await self._fill(set(slots))
        raise RuntimeError("could not create the identity provider's signing keys")

    async def _fill(self, present: set[str]) -> None:
        try:
            async with self.db.transaction() as tx:
                for slot in ("current", "next"):
                    if slot not in present:
                        kid, pem = _new_private_pem(self.password)
                        tx.add(IdpSigningKey(kid=kid, slot=slot, private_pem=pem))
        except IntegrityError:
            pass  # another process made them first: read theirs

    async def rotate(self) -> KeyRing:
        """Retire the current key, let the next one sign, make a new next; drop old retirees."""
        await self.ring()
        now = dt.datetime.now(dt.UTC)
        async with self.db.transaction() as tx:
            rows = list(await tx.scalars(select(IdpSigningKey).with_for_update()))
            slots = {row.slot: row for row in rows if row.slot}
            slots["current"].slot = None
            slots["current"].retired_at = now
            await tx.flush()
            slots["next"].slot = "current"
            await tx.flush()
            kid, pem = _new_private_pem(self.password)
            tx.add(IdpSigningKey(kid=kid, slot="next", private_pem=pem))
            retired = sorted(
                (row for row in rows if row.slot is None),
                key=lambda row: row.retired_at or row.created_at,
                reverse=True,
            )
            for old in retired[RETIRED_KEPT:]:
                await tx.delete(old)
        self._ring = None
        return await self.ring()
