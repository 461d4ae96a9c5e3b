"""The token of one login, as the extension stores and uses it.

The provider answers the code exchange and every refresh with the same JSON
(``token_type``, ``expires_in``, ``access_token``, ``refresh_token``).  This
module turns such an answer into an immutable :class:`Token` with an absolute
``expires_at``, and reads the claims of its access token, a JWT.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from joserfc import jws
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from .errors import ProviderUnavailable

__all__ = ["Token", "positive_seconds", "read_claims"]

#: Clock leeway, in seconds, when verifying the ``iat``, ``nbf`` and ``exp``
#: claims.  The provider writes them as floats with fractional seconds, so a
#: fresh token's ``iat`` can lie in the current second, which a check with no
#: leeway rejects as "issued in the future".
CLAIMS_LEEWAY = 60


@dataclass(frozen=True)
class Token:
    """An access token with the refresh token that renews it.

    :param access_token: The Bearer token sent to the API: an RS256 JWT.
    :param refresh_token: The opaque token that buys the next access token.
        The provider rotates it: each one works once.
    :param token_type: Always ``"Bearer"`` here, whatever case the provider
        wrote it in.
    :param scope: The space-separated scopes this token was asked for.
    :param expires_at: When the access token expires, in seconds since the
        epoch, or ``None`` when the provider did not say (unknown, which is
        not "valid forever": a 401 from the API still triggers a refresh).
    :param lifetime: The seconds the provider granted the access token
        (``expires_in``, else ``exp - iat``), or ``None`` when unknown.
    """

    access_token: str
    refresh_token: str | None
    token_type: str = "Bearer"
    scope: str = ""
    expires_at: float | None = None
    lifetime: float | None = None

    def __repr__(self) -> str:
        # The default dataclass repr would print both tokens into any log
        # line or traceback that shows a Token.
        return f"<Token expires_at={self.expires_at!r} scope={self.scope!r}>"

    @classmethod
    def from_response(
        cls,
        payload: Mapping[str, Any],
        *,
        previous: Token | None = None,
        scope: str = "",
        now: float | None = None,
    ) -> Token:
        """Build a token from the JSON the token endpoint answered.

        :param payload: The decoded JSON object of the answer.
        :param previous: The token this one replaces, at refresh.  When the
            answer carries no ``refresh_token`` the previous one is kept, as
            :rfc:`6749#section-6` allows.
        :param scope: The scopes that were requested.
        :param now: The current time; the clock by default.
        :raises ProviderUnavailable: The answer holds no usable access token.
        """
        access_token = payload.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise ProviderUnavailable(
                "Alpha Storage answered without an access token.",
                error="invalid_token_response",
            )

        refresh_token = payload.get("refresh_token")
        if not isinstance(refresh_token, str) or not refresh_token:
            refresh_token = previous.refresh_token if previous else None

        token = cls(
            access_token=access_token,
            refresh_token=refresh_token,
            scope=scope if previous is None else previous.scope,
        )
        lifetime = positive_seconds(payload.get("expires_in"))
        if lifetime is None:
            # An unknown lifetime is not "forever": the JWT's own expiry
            # stands in, and without one the API's 401 triggers a refresh.
            return token.replace(
                expires_at=_numeric_time(token.claims.get("exp")),
                lifetime=token._lifetime_from_claims(),
            )
        return token.replace(
            expires_at=(time.time() if now is None else now) + lifetime,
            lifetime=lifetime,
        )

    def replace(self, **changes: Any) -> Token:
        """Return a copy of this token with some fields changed."""
        values = self.to_dict()
        values.update(changes)
        return Token.from_dict(values)

    def expires_within(self, seconds: float, *, now: float | None = None) -> bool:
        """Tell whether the access token expires in the next ``seconds``.

        A token whose expiry is unknown is not refreshed ahead of time; the
        API client refreshes it when the API answers 401.
        """
        if self.expires_at is None:
            return False
        current = time.time() if now is None else now
        return self.expires_at - current <= seconds

    def due_for_refresh(self, leeway: float, *, now: float | None = None) -> bool:
        """Tell whether to refresh now, ``leeway`` seconds ahead of expiry.

        The leeway is capped at half the token's lifetime: a token granted
        for less than the leeway would otherwise be due again the moment it
        arrives, and every request would refresh it.
        """
        if self.lifetime is not None:
            leeway = min(leeway, self.lifetime / 2)
        return self.expires_within(leeway, now=now)

    def _lifetime_from_claims(self) -> float | None:
        expires_at = _numeric_time(self.claims.get("exp"))
        issued_at = _numeric_time(self.claims.get("iat"))
        if expires_at is None or issued_at is None:
            return None
        return positive_seconds(expires_at - issued_at)

    @cached_property
    def claims(self) -> dict[str, Any]:
        """The access token's claims, read without checking the signature.

        The token came straight from the provider's token endpoint over TLS,
        so its claims are trusted; use :func:`read_claims` with the
        provider's public key to verify them as well.  A token that is not a
        readable JWT has no claims.
        """
        try:
            return read_claims(self.access_token)
        except JoseError:
            return {}

    @property
    def user_id(self) -> str | None:
        """The ``sub`` claim: the Alpha Storage user id, as a string."""
        subject = self.claims.get("sub")
        return None if subject is None else str(subject)

    @property
    def scopes(self) -> list[str]:
        """The ``scopes`` claim, else the scopes that were requested."""
        scopes = self.claims.get("scopes")
        if isinstance(scopes, list):
            return [str(scope) for scope in scopes]
        return self.scope.split()

    def to_dict(self) -> dict[str, Any]:
        """Return the stored form of this token: a JSON-ready dict."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "scope": self.scope,
            "expires_at": self.expires_at,
            "lifetime": self.lifetime,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Token:
        """Rebuild a token from :meth:`to_dict`'s output."""
        access_token = values["access_token"]
        refresh_token = values.get("refresh_token")
        if not isinstance(access_token, str) or not access_token:
            raise ValueError("A stored token has no access token.")
        if refresh_token is not None and not isinstance(refresh_token, str):
            raise ValueError("A stored token has a malformed refresh token.")
        return cls(
            access_token=access_token,
            refresh_token=refresh_token,
            token_type="Bearer",
            scope=str(values.get("scope") or ""),
            expires_at=_numeric_time(values.get("expires_at")),
            lifetime=positive_seconds(values.get("lifetime")),
        )


def read_claims(
    access_token: str, public_key: RSAKey | str | None = None
) -> dict[str, Any]:
    """Read the claims of an access token, verifying them when a key is given.

    :param access_token: The provider's RS256 JWT.
    :param public_key: The provider's public key, loaded or as PEM.  With it,
        the signature, ``exp``, ``nbf`` and ``iat`` are checked, allowing
        :data:`CLAIMS_LEEWAY` seconds of clock difference.
    :raises joserfc.errors.JoseError: The token is not a JWT, or fails the
        check.
    """
    if public_key is None:
        try:
            payload = jws.extract_compact(access_token.encode("ascii")).payload
            claims = json.loads(payload)
        except (UnicodeError, ValueError) as err:
            raise JoseError("The access token is not a JWT.") from err
        if not isinstance(claims, dict):
            raise JoseError("The access token's payload is not a JSON object.")
        return claims

    if isinstance(public_key, str):
        public_key = RSAKey.import_key(public_key)
    decoded = jwt.decode(access_token, public_key, algorithms=["RS256"])
    registry = jwt.JWTClaimsRegistry(leeway=CLAIMS_LEEWAY)
    registry.validate(decoded.claims)
    return dict(decoded.claims)


def positive_seconds(value: Any) -> float | None:
    """Read a duration such as ``expires_in``: an int or a numeric string.

    Missing, zero, negative or unreadable values give ``None``: unknown.
    """
    seconds = _numeric_time(value)
    return seconds if seconds is not None and seconds > 0 else None


def _numeric_time(value: Any) -> float | None:
    """Read a finite number from an int, a float or a numeric string."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
