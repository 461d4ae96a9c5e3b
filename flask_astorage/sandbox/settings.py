"""Tunable behaviour of a running sandbox.

The settings are one frozen object. A request reads the current object once
and sees a consistent set of values even if a test changes the settings in
the middle of it; a change replaces the whole object.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

#: A fixed client id, so that a developer can copy it into a config file once.
DEFAULT_CLIENT_ID = "9a5c7f2e-3b1d-4c8a-9e6f-2d4b8a1c0e57"

#: The sandbox's own client secret. It guards nothing: the sandbox is local.
DEFAULT_CLIENT_SECRET = "sandbox-secret-change-me"

#: Where Flask's development server runs the demo's callback view.
DEFAULT_REDIRECT_URI = "http://127.0.0.1:5000/astorage/callback"

#: Alpha Storage issues access tokens for 15 days.
DEFAULT_ACCESS_TOKEN_LIFETIME = 1_296_000

#: Passport keeps refresh tokens longer than access tokens; 30 days here.
DEFAULT_REFRESH_TOKEN_LIFETIME = 2_592_000

#: RFC 6749 section 4.1.2 recommends ten minutes at most for a code.
DEFAULT_AUTHORIZATION_CODE_LIFETIME = 600.0

#: The Passport major version whose error shapes the sandbox copies.
DEFAULT_PASSPORT_VERSION = 13

#: Passport versions whose error shapes the sandbox knows.
SUPPORTED_PASSPORT_VERSIONS = (11, 12, 13)


@dataclass(frozen=True)
class SandboxSettings:
    """Lifetimes and provider-version quirks, changeable while running.

    :param access_token_lifetime: seconds an access token lives; also the
        ``expires_in`` of every token response.
    :param refresh_token_lifetime: seconds a refresh token lives.
    :param authorization_code_lifetime: seconds a code can be exchanged.
    :param passport_version: 11 or 12 answer a dead refresh token with
        HTTP 401 ``invalid_request`` and add ``message`` to every error;
        13 answers HTTP 400 ``invalid_grant``.
    :param revoke_old_access_token: whether a refresh revokes the access
        token issued with the refresh token it consumes. Passport does (its
        refresh grant revokes both), so this defaults to ``True``; turn it
        off to let old access tokens live until they expire.
    """

    access_token_lifetime: int = DEFAULT_ACCESS_TOKEN_LIFETIME
    refresh_token_lifetime: int = DEFAULT_REFRESH_TOKEN_LIFETIME
    authorization_code_lifetime: float = DEFAULT_AUTHORIZATION_CODE_LIFETIME
    passport_version: int = DEFAULT_PASSPORT_VERSION
    revoke_old_access_token: bool = True

    def __post_init__(self) -> None:
        for name in (
            "access_token_lifetime",
            "refresh_token_lifetime",
            "authorization_code_lifetime",
        ):
            _require_positive_number(name, getattr(self, name))

        for name in ("access_token_lifetime", "refresh_token_lifetime"):
            if not isinstance(getattr(self, name), int):
                raise ValueError(
                    f"The sandbox setting {name!r} must be a whole number of"
                    f" seconds, not {getattr(self, name)!r}."
                )

        if self.passport_version not in SUPPORTED_PASSPORT_VERSIONS:
            raise ValueError(
                f"The sandbox setting 'passport_version' must be one of"
                f" {SUPPORTED_PASSPORT_VERSIONS}, not {self.passport_version!r}."
            )

        if not isinstance(self.revoke_old_access_token, bool):
            raise ValueError(
                "The sandbox setting 'revoke_old_access_token' must be true or"
                f" false, not {self.revoke_old_access_token!r}."
            )

    @property
    def includes_message_in_errors(self) -> bool:
        """Whether error bodies repeat the description as ``message``.

        league/oauth2-server 8 (Passport 11 and 12) still sent the deprecated
        ``message`` key; version 9 (Passport 13) dropped it.
        """
        return self.passport_version < 13

    def replace(self, **changes: Any) -> SandboxSettings:
        """Return a copy with ``changes`` applied, refusing unknown names."""
        known = {field.name for field in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(
                f"Unknown sandbox setting(s) {unknown!r}; the known ones are"
                f" {sorted(known)!r}."
            )
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """Return the settings as a JSON-ready dict."""
        return dataclasses.asdict(self)


def _require_positive_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(
            f"The sandbox setting {name!r} must be a positive number of"
            f" seconds, not {value!r}."
        )
