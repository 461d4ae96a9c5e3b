"""Issuing token responses shaped exactly like the provider's.

Registered with Authlib as the token generator for every grant, so that a
response holds exactly ``token_type``, ``expires_in``, ``access_token`` and
``refresh_token``, in Passport's order, and nothing Authlib would add.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from typing import Any

from authlib.oauth2.rfc6749.util import scope_to_list

from .access_tokens import build_claims
from .models import AccessTokenRecord
from .models import RefreshTokenRecord

if TYPE_CHECKING:
    from authlib.oauth2.rfc6749 import OAuth2Request

    from .models import SandboxClient
    from .models import SandboxUser
    from .state import SandboxState

#: Passport's codes and refresh tokens are Defuse-encrypted payloads, whose
#: hex form starts with this version header.
OPAQUE_TOKEN_PREFIX = "def50200"

#: Random bytes in a code: 778 characters in all, as in the provider's docs.
AUTHORIZATION_CODE_BYTES = 385

#: Random bytes in a refresh token: 776 characters in all, as in the docs.
REFRESH_TOKEN_BYTES = 384


def opaque_token(random_bytes: int) -> str:
    """Return a random token that looks like one of Passport's."""
    return OPAQUE_TOKEN_PREFIX + secrets.token_hex(random_bytes)


class TokenIssuer:
    """Makes and remembers the tokens of one sandbox."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state

    def generate(
        self,
        *,
        grant_type: str,
        client: SandboxClient,
        user: SandboxUser,
        scope: str | None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """Return a token response body; Authlib's generator signature.

        ``expires_in`` is ignored: the lifetime comes from the sandbox
        settings, so tests can shorten it while the sandbox runs.
        """
        lifetime = self._state.settings.access_token_lifetime
        claims = build_claims(
            client_id=client.client_id,
            user_id=user.user_id,
            scopes=scope_to_list(scope) or [],
            now=self._state.clock(),
            lifetime=lifetime,
        )

        token: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "access_token": self._state.signer.sign(claims),
        }
        if include_refresh_token:
            token["refresh_token"] = opaque_token(REFRESH_TOKEN_BYTES)
        return token

    def save(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Remember a token pair just generated; Authlib's ``save_token``."""
        claims = self._state.signer.verify(token["access_token"])
        if claims is None:
            raise RuntimeError("The sandbox cannot read an access token it signed.")

        access_token = AccessTokenRecord(
            jti=claims.jti,
            client_id=claims.audience,
            user_id=claims.subject,
            expires_at=claims.expires_at,
        )
        refresh_token = None
        if "refresh_token" in token:
            refresh_lifetime = self._state.settings.refresh_token_lifetime
            refresh_token = RefreshTokenRecord(
                refresh_token=token["refresh_token"],
                client_id=claims.audience,
                user_id=claims.subject,
                scope=" ".join(claims.scopes),
                access_token_id=claims.jti,
                expires_at=claims.issued_at + refresh_lifetime,
            )
        self._state.store.save_token_pair(access_token, refresh_token)
