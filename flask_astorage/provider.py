"""Calls to the provider's token endpoint: the code exchange and the refresh.

Authlib builds both requests (grant type, client credentials in the body as
``client_secret_post``, PKCE verifier) and this module judges the answers.
The judgement follows the provider's contract, because the same fault comes
with different codes depending on the Passport version:

* HTTP 2xx with a JSON object holding an ``access_token``: a token.
* ``invalid_client`` or ``invalid_scope``: our configuration is wrong
  (:class:`~flask_astorage.errors.ClientMisconfigured`).
* any other 400 or 401 with an OAuth error JSON: the code or refresh token is
  dead (:class:`~flask_astorage.errors.TokenRejected`).
* everything else (5xx, 429, a body that is not JSON, no token, a timeout, a
  closed connection): the provider is in trouble and the token is kept
  (:class:`~flask_astorage.errors.ProviderUnavailable`,
  :class:`~flask_astorage.errors.ProviderTimeout`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session

from .errors import ClientMisconfigured
from .errors import ProviderTimeout
from .errors import ProviderUnavailable
from .errors import TokenRejected
from .tokens import Token
from .tokens import positive_seconds

if TYPE_CHECKING:
    from authlib.integrations.flask_client import FlaskOAuth2App

    from .config import Settings

__all__ = ["TokenEndpoint", "install_token_response_checks"]

log = logging.getLogger(__name__)

#: Seconds to suggest in ``Retry-After`` when the provider did not say.
DEFAULT_RETRY_AFTER = 5
_MAX_RETRY_AFTER = 3600
_CONFIGURATION_ERRORS = frozenset({"invalid_client", "invalid_scope"})


class TokenEndpoint:
    """Exchange codes and refresh tokens at ``ASTORAGE_TOKEN_URL``.

    :param settings: The application's checked configuration.
    :param remote_app: The Authlib client registered for the application; it
        makes the code exchange, so that the flow is Authlib's own.
    """

    def __init__(self, settings: Settings, remote_app: FlaskOAuth2App) -> None:
        self._settings = settings
        self._remote_app = remote_app

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str | None
    ) -> Token:
        """Trade an authorization code for a token.

        Sends ``grant_type``, ``client_id``, ``client_secret``,
        ``redirect_uri`` and ``code``, plus ``code_verifier`` with PKCE.
        """
        log.debug("Exchanging a code for client %s.", self._settings.client_id)
        with _translate_transport_errors():
            payload = self._remote_app.fetch_access_token(
                redirect_uri=redirect_uri, code=code, code_verifier=code_verifier
            )
        return Token.from_response(payload, scope=self._settings.scope)

    def refresh(self, token: Token) -> Token:
        """Trade ``token``'s refresh token for a new token.

        Sends ``grant_type``, ``client_id``, ``client_secret``,
        ``refresh_token`` and an empty ``scope``, as the provider's page does:
        the provider reads an empty scope as "the scopes already granted".

        :raises TokenRejected: The token has no refresh token, or the
            provider refused it.
        """
        if not token.refresh_token:
            raise TokenRejected("This login has no refresh token; sign in again.")

        settings = self._settings
        log.debug("Refreshing a token for client %s.", settings.client_id)
        session = OAuth2Session(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            token_endpoint_auth_method="client_secret_post",
            default_timeout=settings.timeout,
        )
        install_token_response_checks(session)
        with session, _translate_transport_errors():
            payload = session.refresh_token(
                settings.token_url, refresh_token=token.refresh_token, body="scope="
            )
        return Token.from_response(payload, previous=token)


def install_token_response_checks(session: OAuth2Session) -> None:
    """Make an Authlib session judge token answers as this module says.

    Used as the remote app's ``compliance_fix`` and for refresh sessions.
    """
    session.register_compliance_hook("access_token_response", _checked_answer)
    session.register_compliance_hook("refresh_token_response", _checked_answer)


class _CheckedAnswer:
    """A token answer that passed the checks, in the shape Authlib reads."""

    def __init__(self, status_code: int, payload: dict[str, Any]) -> None:
        self.status_code = status_code
        self._payload = payload

    def json(self) -> dict[str, Any]:
        return dict(self._payload)

    def raise_for_status(self) -> None:
        """Nothing to raise: only successful answers are wrapped."""


def _checked_answer(response: requests.Response) -> _CheckedAnswer:
    status = response.status_code
    payload = _json_object(response)

    if status == 429 or status >= 500:
        log.warning("Alpha Storage's token endpoint answered HTTP %d.", status)
        raise ProviderUnavailable(
            "Alpha Storage is not available right now. Please try again shortly.",
            error="temporarily_unavailable",
            status_code=503 if status == 429 else 502,
            retry_after=_retry_after(response),
        )

    error = payload.get("error") if payload is not None else None
    if isinstance(error, str) and error:
        _raise_oauth_error(status, error, payload or {})

    if payload is None or not 200 <= status < 300:
        log.warning(
            "Alpha Storage's token endpoint answered HTTP %d without a token.", status
        )
        raise ProviderUnavailable(
            "Alpha Storage gave an answer we could not read. Please try again.",
            error="invalid_token_response",
        )

    # Authlib refuses an answer with any "error" member, even an empty one,
    # and fails on an "expires_at" that int() cannot read.  Passport sends
    # neither with a token, and refusing a successful refresh would drop the
    # refresh token it has just rotated; our expiry comes from "expires_in".
    payload.pop("error", None)
    payload.pop("expires_at", None)
    lifetime = positive_seconds(payload.get("expires_in"))
    payload["expires_in"] = None if lifetime is None else math.ceil(lifetime)
    if payload["expires_in"] is None:
        # Authlib would compute expires_at from a bad value, or fail on it;
        # Token works the expiry out from the JWT instead.
        del payload["expires_in"]
    return _CheckedAnswer(status, payload)


def _raise_oauth_error(status: int, error: str, payload: dict[str, Any]) -> None:
    hint = payload.get("hint")
    if error in _CONFIGURATION_ERRORS:
        log.error(
            "Alpha Storage refused this client (HTTP %d, %s: %s; hint: %s)."
            " Check 'ASTORAGE_CLIENT_ID', 'ASTORAGE_CLIENT_SECRET',"
            " 'ASTORAGE_SCOPE' and the registered redirect URI.",
            status,
            error,
            payload.get("error_description"),
            hint,
        )
        raise ClientMisconfigured(
            "This site's sign-in with Alpha Storage is misconfigured.", error=error
        )
    if status in (400, 401):
        log.warning(
            "Alpha Storage refused a grant (HTTP %d, %s; hint: %s).",
            status,
            error,
            hint,
        )
        raise TokenRejected(
            "Your Alpha Storage sign-in has expired. Please sign in again.",
            error=error,
        )
    log.warning("Alpha Storage's token endpoint answered HTTP %d, %s.", status, error)
    raise ProviderUnavailable(
        "Alpha Storage could not complete the request. Please try again.",
        error=error,
    )


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _retry_after(response: requests.Response) -> int:
    """Read ``Retry-After`` as seconds; an HTTP date or garbage gets the default."""
    value = response.headers.get("Retry-After", "")
    try:
        seconds = int(value.strip())
    except ValueError:
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, 1), _MAX_RETRY_AFTER)


@contextmanager
def _translate_transport_errors() -> Iterator[None]:
    """Turn a timeout or a lost connection into :class:`ProviderTimeout`."""
    try:
        yield
    except (requests.Timeout, requests.ConnectionError) as err:
        log.warning(
            "Alpha Storage's token endpoint did not answer: %s.", type(err).__name__
        )
        raise ProviderTimeout(
            "Alpha Storage did not answer in time. Please try again shortly.",
            retry_after=DEFAULT_RETRY_AFTER,
        ) from err
    except requests.RequestException as err:
        log.warning("The call to Alpha Storage failed: %s.", type(err).__name__)
        raise ProviderUnavailable(
            "Alpha Storage could not be reached. Please try again shortly.",
            retry_after=DEFAULT_RETRY_AFTER,
        ) from err
