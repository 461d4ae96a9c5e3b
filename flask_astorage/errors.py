"""The one error hierarchy of flask-astorage.

Every failure the extension can meet is an :class:`AStorageError`.  Each
subclass carries the HTTP status the extension answers with, so that one
error handler renders them all, and callers can catch the kinds one by one:
a dead login (:class:`LoginRequired`, :class:`TokenRejected`) is not a
provider in trouble (:class:`ProviderUnavailable`), and neither is our own
misconfiguration (:class:`ClientMisconfigured`).

Messages never contain a token, a code, a state or a secret.
"""

from __future__ import annotations

__all__ = [
    "AStorageError",
    "AuthorizationDenied",
    "CallbackError",
    "ClientMisconfigured",
    "ConfigurationError",
    "LoginRequired",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "StateError",
    "TokenRejected",
]


class AStorageError(Exception):
    """Base class of every error raised by flask-astorage.

    :param description: A sentence for people, safe to show on a page.
    :param error: A short machine-readable code, in the style of
        :rfc:`6749#section-5.2`.
    """

    #: The HTTP status the extension's error handler answers with.
    status_code: int = 500
    #: The default machine-readable code of this kind of error.
    default_error: str = "astorage_error"

    def __init__(self, description: str, *, error: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.error = error or self.default_error

    def __str__(self) -> str:
        return self.description

    @property
    def public_description(self) -> str:
        """What the user is shown: the description, unless it is for operators."""
        return self.description


class ConfigurationError(AStorageError):
    """The application's configuration is missing or wrong.

    Raised at ``init_app`` for a missing key, and by a call to the provider
    that reveals a wrong client id or secret.
    """

    default_error = "configuration_error"

    @property
    def public_description(self) -> str:
        # The description names settings and values for the operator, who
        # reads it in the server log; the visitor learns only what happened.
        return "This site's sign-in with Alpha Storage is misconfigured."


class ClientMisconfigured(ConfigurationError):
    """The provider refused our client: ``invalid_client`` or ``invalid_scope``.

    The details go to the server log at ERROR; the page says only that the
    site is misconfigured.
    """

    default_error = "invalid_client"


class LoginRequired(AStorageError):
    """There is no usable token for the current user."""

    status_code = 401
    default_error = "login_required"


class TokenRejected(LoginRequired):
    """The provider said the refresh token or the code is dead.

    Passport answers a used or revoked refresh token with HTTP 401
    ``invalid_request`` (versions 11 and 12) or HTTP 400 ``invalid_grant``
    (version 13): any 400 or 401 other than ``invalid_client`` lands here.
    The stored token has been forgotten when this is raised at refresh.
    """

    default_error = "invalid_grant"


class CallbackError(AStorageError):
    """The callback request cannot complete a login: bad or missing input."""

    status_code = 400
    default_error = "invalid_callback"


class StateError(CallbackError):
    """The ``state`` is missing, unknown, expired, reused or not this browser's."""

    default_error = "invalid_state"


class AuthorizationDenied(CallbackError):
    """The provider sent the user back with ``error=...`` (for instance Deny)."""

    default_error = "access_denied"


class ProviderError(AStorageError):
    """The provider is in trouble; the token, if any, is kept.

    :param retry_after: Seconds the client should wait before trying again,
        taken from the provider's ``Retry-After`` when it sent one.
    :param status_code: The status to answer with, instead of the class's.
    """

    status_code = 502
    default_error = "provider_error"

    def __init__(
        self,
        description: str,
        *,
        error: str | None = None,
        retry_after: int | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(description, error=error)
        self.retry_after = retry_after
        if status_code is not None:
            self.status_code = status_code


class ProviderUnavailable(ProviderError):
    """The provider answered 5xx, 429, or something that is not a token."""


class ProviderTimeout(ProviderError):
    """The provider did not answer in time, or closed the connection."""

    status_code = 504
    default_error = "provider_timeout"
