"""The sandbox's records: its client, users, codes and tokens, in memory.

Every record lives in one :class:`SandboxStore`, guarded by one re-entrant
lock. The token endpoint holds that lock for a whole request (see
:meth:`~flask_astorage.sandbox.authorization_server.SandboxAuthorizationServer.create_token_response`),
which makes "check the refresh token, then revoke it" atomic.

Secrets and tokens are excluded from every ``repr``: Authlib logs the client
with ``%r`` at debug level.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from dataclasses import field

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin
from authlib.oauth2.rfc6749 import ClientMixin

#: The only grant types Alpha Storage offers.
SUPPORTED_GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})

#: Client authentication methods accepted at the token endpoint.
SUPPORTED_CLIENT_AUTH_METHODS = frozenset({"client_secret_post", "client_secret_basic"})


@dataclass(frozen=True)
class SandboxClient(ClientMixin):
    """The registered OAuth client, a confidential web application."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]
    name: str = "Sandbox client"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # The contract always sends redirect_uri; a request without one is a
        # client bug that the sandbox should show, not paper over.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        # Alpha Storage's scopes are role based and not listed here, so any
        # requested scope is granted, normalised to single spaces.
        return " ".join((scope or "").split())

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Byte for byte, as the contract requires: no prefix or case games.
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(self.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in SUPPORTED_CLIENT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in SUPPORTED_GRANT_TYPES


@dataclass(frozen=True)
class SandboxUser:
    """A resource owner, created the first time a user name signs in."""

    user_id: str
    name: str


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    """An issued code, bound to its client, redirect URI and user."""

    code: str = field(repr=False)
    client_id: str
    redirect_uri: str
    scope: str
    user_id: str
    expires_at: float
    code_challenge: str | None = field(default=None, repr=False)
    code_challenge_method: str | None = None
    used: bool = False

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class AccessTokenRecord:
    """What the sandbox remembers of an access token, keyed by its ``jti``."""

    jti: str
    client_id: str
    user_id: str
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshTokenRecord:
    """An issued refresh token and the access token issued with it."""

    refresh_token: str = field(repr=False)
    client_id: str
    user_id: str
    scope: str
    access_token_id: str
    expires_at: float
    revoked: bool = False

    def check_client(self, client: SandboxClient) -> bool:
        return self.client_id == client.client_id

    def get_scope(self) -> str:
        return self.scope


class SandboxStore:
    """Thread-safe in-memory storage for every sandbox record.

    :param client: the one registered client.
    """

    def __init__(self, client: SandboxClient) -> None:
        #: Held by every method, and by the token endpoint for a whole request.
        self.lock = threading.RLock()
        self.client = client
        self._users_by_name: dict[str, SandboxUser] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._access_tokens: dict[str, AccessTokenRecord] = {}
        self._refresh_tokens: dict[str, RefreshTokenRecord] = {}

    def find_client(self, client_id: str) -> SandboxClient | None:
        """Return the client registered as ``client_id``, if any."""
        if client_id == self.client.client_id:
            return self.client
        return None

    def user_named(self, name: str) -> SandboxUser:
        """Return the user called ``name``, creating it on first sign-in.

        Ids count up from ``"1"`` in order of first sign-in, so the first
        user of a fresh sandbox is always ``"1"``, as in the provider's docs.
        """
        with self.lock:
            user = self._users_by_name.get(name)
            if user is None:
                user_id = str(len(self._users_by_name) + 1)
                user = SandboxUser(user_id=user_id, name=name)
                self._users_by_name[name] = user
            return user

    def find_user(self, user_id: str) -> SandboxUser | None:
        """Return the user with ``user_id``, if any."""
        with self.lock:
            for user in self._users_by_name.values():
                if user.user_id == user_id:
                    return user
            return None

    def save_authorization_code(self, code: AuthorizationCode) -> None:
        with self.lock:
            self._codes[code.code] = code

    def find_authorization_code(self, code: str) -> AuthorizationCode | None:
        with self.lock:
            return self._codes.get(code)

    def mark_code_used(self, code: AuthorizationCode) -> None:
        """Spend a code; it is kept so that a replay can be told apart."""
        with self.lock:
            code.used = True

    def save_token_pair(
        self,
        access_token: AccessTokenRecord,
        refresh_token: RefreshTokenRecord | None,
    ) -> None:
        with self.lock:
            self._access_tokens[access_token.jti] = access_token
            if refresh_token is not None:
                self._refresh_tokens[refresh_token.refresh_token] = refresh_token

    def find_access_token(self, jti: str) -> AccessTokenRecord | None:
        with self.lock:
            return self._access_tokens.get(jti)

    def find_refresh_token(self, refresh_token: str) -> RefreshTokenRecord | None:
        with self.lock:
            return self._refresh_tokens.get(refresh_token)

    def revoke_refresh_token(
        self, record: RefreshTokenRecord, *, with_access_token: bool
    ) -> None:
        """Revoke a refresh token and, if asked, its access token."""
        with self.lock:
            record.revoked = True
            if not with_access_token:
                return

            access_token = self._access_tokens.get(record.access_token_id)
            if access_token is not None:
                access_token.revoked = True

    def clear(self) -> None:
        """Forget every user, code and token; keep the client."""
        with self.lock:
            self._users_by_name.clear()
            self._codes.clear()
            self._access_tokens.clear()
            self._refresh_tokens.clear()
