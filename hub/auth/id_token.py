"""An ID token's claims checked by Authlib's OpenID Connect claim classes.

The code flow's rules (OpenID Connect Core 3.1.3.7) come from
:class:`authlib.oidc.core.CodeIDToken` on joserfc's claims registry: issuer,
audience, azp, expiry, not-before, issued-at, nonce, and ``at_hash`` against
the access token when the provider sends one (optional in the code flow, so
a missing one is no refusal). A ``c_hash`` is checked against the code the
same way whenever it is present. What the library leaves to the relying party
stays here: how old a token may be, and a non-empty subject.
"""

from __future__ import annotations

from typing import Any

from authlib.oidc.core import CodeIDToken, HybridIDToken
from joserfc.errors import ClaimError, ExpiredTokenError

from hub.auth.failures import SignInRefused

CLOCK_SKEW = 60
MAX_ID_TOKEN_AGE = 600

# What a refusal says, by the claim the library found at fault.
_REASONS = {
    "iss": "ID token issuer is wrong",
    "aud": "ID token audience does not include our client id",
    "azp": "ID token authorized party (azp) is not our client id",
    "exp": "ID token has expired",
    "iat": "ID token was issued in the future",
    "nbf": "ID token is not valid yet",
    "sub": "ID token has no subject",
    "nonce": "ID token nonce does not match this sign-in",
    "at_hash": "ID token at_hash does not match the access token",
    "c_hash": "ID token c_hash does not match the authorization code",
}


class _CodeFlowIDToken(CodeIDToken):  # type: ignore[misc]
    """The code flow's claim rules, plus ``c_hash`` whenever the provider sends one."""

    def validate(self, now: int | None = None, leeway: int = 0) -> None:
        super().validate(now, leeway)
        if "c_hash" in self:
            HybridIDToken.validate_c_hash(self)


def check_id_token_claims(
    claims: dict[str, Any],
    header: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: str | None,
    code: str | None,
    now: float,
) -> None:
    """Raise :class:`SignInRefused` unless every claim of the ID token holds."""
    token = _CodeFlowIDToken(
        claims,
        header,
        options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
        },
        params={"nonce": nonce, "client_id": client_id, "access_token": access_token, "code": code},
    )
    try:
        token.validate(now=int(now), leeway=CLOCK_SKEW)
    except ExpiredTokenError:
        raise SignInRefused(_REASONS["exp"]) from None
    except ClaimError as exc:
        claim = exc.claim.split(",")[0]
        if exc.error == "missing_claim" and claim in ("exp", "iat"):
            raise SignInRefused("ID token lacks exp or iat") from None
        reason = _REASONS.get(claim, f"ID token claim {claim[:40]!r} is not acceptable")
        raise SignInRefused(reason) from None
    # Not the library's business: how long after issue a relying party still takes a token.
    if claims["iat"] < now - MAX_ID_TOKEN_AGE:
        raise SignInRefused("ID token was issued too long ago")
