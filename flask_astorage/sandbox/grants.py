"""Authlib grants that behave like Alpha Storage's Passport server.

Both grants authenticate the client with ``client_secret_post`` (as the
provider's page shows) or ``client_secret_basic`` (as OAuth 2.0 prefers),
and fail the way league/oauth2-server fails, with its hints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from authlib.oauth2.rfc6749 import grants

from .models import AuthorizationCode
from .parameters import append_query
from .passport_errors import REVOKED_TOKEN_HINT
from .passport_errors import PassportError
from .passport_errors import invalid_refresh_token
from .token_issuer import AUTHORIZATION_CODE_BYTES
from .token_issuer import opaque_token

if TYPE_CHECKING:
    from authlib.oauth2.rfc6749 import OAuth2Request

    from .models import RefreshTokenRecord
    from .models import SandboxClient
    from .models import SandboxUser
    from .state import SandboxState

#: Passport accepts the client's credentials in the body or in the header.
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _SandboxGrantMixin:
    server: Any

    @property
    def sandbox(self) -> SandboxState:
        """The state of the sandbox this grant runs in."""
        state: SandboxState = self.server.state
        return state


class SandboxAuthorizationCodeGrant(_SandboxGrantMixin, grants.AuthorizationCodeGrant):
    """The authorization code grant, with Passport's codes and errors.

    Codes are single use, expire after the ``authorization_code_lifetime``
    setting, and are bound to the client and the exact redirect URI.
    """

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def create_authorization_response(
        self, redirect_uri: str, grant_user: SandboxUser | None
    ) -> tuple[int, str, list[tuple[str, str]]]:
        """Redirect back with a new code, or with ``access_denied``.

        Authlib's version does the same but writes a space in ``state`` as
        ``+``; the provider's example writes ``%20``.
        """
        if grant_user is None:
            raise PassportError(
                "access_denied",
                hint="The user denied the request",
                redirect_uri=redirect_uri,
            )

        self.request.user = grant_user
        code = self.generate_authorization_code()
        self.save_authorization_code(code, self.request)

        params = [("code", code)]
        if self.request.payload.state:
            params.append(("state", self.request.payload.state))
        return 302, "", [("Location", append_query(redirect_uri, params))]

    def generate_authorization_code(self) -> str:
        return opaque_token(AUTHORIZATION_CODE_BYTES)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        lifetime = self.sandbox.settings.authorization_code_lifetime
        self.sandbox.store.save_authorization_code(
            AuthorizationCode(
                code=code,
                client_id=request.client.client_id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                user_id=request.user.user_id,
                expires_at=self.sandbox.clock() + lifetime,
                code_challenge=request.payload.data.get("code_challenge"),
                code_challenge_method=request.payload.data.get("code_challenge_method"),
            )
        )

    def authenticate_token_endpoint_client(self) -> SandboxClient:
        """Authenticate the client, then check its redirect URI.

        league/oauth2-server checks the redirect URI against the client's
        registered ones while it authenticates the client, so an
        unregistered one is ``invalid_client`` (HTTP 401). A registered URI
        that differs from the authorize request's fails later, in Authlib's
        own check, as ``invalid_grant``.
        """
        client: SandboxClient = super().authenticate_token_endpoint_client()
        redirect_uri = self.request.payload.redirect_uri
        if redirect_uri is not None and not client.check_redirect_uri(redirect_uri):
            raise PassportError("invalid_client")
        return client

    def query_authorization_code(
        self, code: str, client: SandboxClient
    ) -> AuthorizationCode:
        """Return the live code, or fail with league's hint for why not."""
        authorization_code = self.sandbox.store.find_authorization_code(code)
        if authorization_code is None:
            raise PassportError(
                "invalid_request", hint="Cannot decrypt the authorization code"
            )

        hint = _code_problem(authorization_code, client, now=self.sandbox.clock())
        if hint is not None:
            raise PassportError("invalid_grant", hint=hint)
        return authorization_code

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        self.sandbox.store.mark_code_used(authorization_code)

    def authenticate_user(
        self, authorization_code: AuthorizationCode
    ) -> SandboxUser | None:
        return self.sandbox.store.find_user(authorization_code.user_id)


class SandboxRefreshTokenGrant(_SandboxGrantMixin, grants.RefreshTokenGrant):
    """The refresh grant, with rotation and Passport's version-bound errors.

    Each refresh issues a new refresh token and revokes the one used (and,
    per the ``revoke_old_access_token`` setting, its access token). The
    token endpoint runs under the store's lock, so of two concurrent
    refreshes with one token exactly one succeeds.
    """

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshTokenRecord:
        """Return the live refresh token, or fail as Passport's version does."""
        record = self.sandbox.store.find_refresh_token(refresh_token)
        if record is None:
            raise self._dead_refresh_token("Cannot decrypt the refresh token")

        hint = _refresh_token_problem(
            record, self.request.client, now=self.sandbox.clock()
        )
        if hint is not None:
            raise self._dead_refresh_token(hint)
        return record

    def authenticate_user(
        self, refresh_token: RefreshTokenRecord
    ) -> SandboxUser | None:
        return self.sandbox.store.find_user(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token: RefreshTokenRecord) -> None:
        self.sandbox.store.revoke_refresh_token(
            refresh_token,
            with_access_token=self.sandbox.settings.revoke_old_access_token,
        )

    def _dead_refresh_token(self, hint: str) -> PassportError:
        return invalid_refresh_token(
            hint, passport_version=self.sandbox.settings.passport_version
        )


def _code_problem(
    authorization_code: AuthorizationCode, client: SandboxClient, *, now: float
) -> str | None:
    """Return league's hint for why a known code cannot be used, if any."""
    if authorization_code.client_id != client.client_id:
        return "Authorization code was not issued to this client"
    if authorization_code.used:
        return "Authorization code has been revoked"
    if now >= authorization_code.expires_at:
        return "Authorization code has expired"
    return None


def _refresh_token_problem(
    record: RefreshTokenRecord, client: SandboxClient, *, now: float
) -> str | None:
    """Return league's hint for why a known refresh token is dead, if any."""
    if record.client_id != client.client_id:
        return "Token is not linked to client"
    if record.revoked:
        return REVOKED_TOKEN_HINT
    if now >= record.expires_at:
        return "Token has expired"
    return None
