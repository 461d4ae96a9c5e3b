"""Access tokens shaped like Passport's: RS256 JWTs with float timestamps.

Passport signs with an RSA key and puts exactly seven claims in the
payload: ``aud`` (the client id), ``jti``, ``iat``, ``nbf``, ``exp``,
``sub`` (the user id, a string) and ``scopes`` (a list). Its timestamps
carry fractional seconds (``1683315398.521027``), which trips JWT
libraries that insist on integers; the sandbox reproduces that on purpose.

The key pair is made when the sandbox starts and lives only in memory;
:attr:`AccessTokenSigner.public_key_pem` lets tests verify signatures.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

#: Passport's header, in Passport's key order.
JWT_HEADER = {"typ": "JWT", "alg": "RS256"}

#: The payload's claims, in Passport's order. Nothing else is added.
ACCESS_TOKEN_CLAIMS = ("aud", "jti", "iat", "nbf", "exp", "sub", "scopes")

#: Passport's ``jti`` is 80 hexadecimal characters.
JTI_BYTES = 40

#: Big enough to be realistic, small enough to start in milliseconds.
DEFAULT_KEY_SIZE = 2048


@dataclass(frozen=True)
class AccessTokenClaims:
    """The claims of one access token, as read back from a verified JWT."""

    audience: str
    jti: str
    issued_at: float
    not_before: float
    expires_at: float
    subject: str
    scopes: list[str]


def build_claims(
    *, client_id: str, user_id: str, scopes: list[str], now: float, lifetime: float
) -> dict[str, Any]:
    """Return the payload of a new access token, exactly Passport's claims.

    The timestamps are the clock's float, unrounded, so that the sandbox's
    own expiry checks agree to the last bit with what the token says.
    """
    return {
        "aud": client_id,
        "jti": secrets.token_hex(JTI_BYTES),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "sub": user_id,
        "scopes": list(scopes),
    }


class AccessTokenSigner:
    """Signs and verifies access tokens with the sandbox's RSA key.

    :param key: a private RSA key to reuse; a new one is made if omitted.
    """

    def __init__(self, key: RSAKey | None = None) -> None:
        self._key = key or RSAKey.generate_key(DEFAULT_KEY_SIZE)

    @property
    def public_key_pem(self) -> str:
        """The public key, PEM encoded, to verify the tokens with."""
        return self._key.as_pem(private=False).decode("ascii")

    def sign(self, claims: dict[str, Any]) -> str:
        """Return ``claims`` as a compact RS256 JWT."""
        return jwt.encode(dict(JWT_HEADER), claims, self._key)

    def verify(self, token: str) -> AccessTokenClaims | None:
        """Check the signature and shape of ``token`` and return its claims.

        Expiry and revocation are the caller's business: they depend on
        the sandbox's clock and records. Returns ``None`` for a token this
        sandbox did not sign or that lacks Passport's claims.
        """
        try:
            payload = jwt.decode(token, self._key, algorithms=["RS256"]).claims
        except (JoseError, ValueError):
            return None

        try:
            return AccessTokenClaims(
                audience=str(payload["aud"]),
                jti=str(payload["jti"]),
                issued_at=float(payload["iat"]),
                not_before=float(payload["nbf"]),
                expires_at=float(payload["exp"]),
                subject=str(payload["sub"]),
                scopes=list(payload["scopes"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
