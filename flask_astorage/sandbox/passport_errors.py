"""OAuth errors in the shape Laravel Passport gives them.

Passport answers errors through league/oauth2-server: a fixed sentence per
error code in ``error_description``, the specific reason in ``hint``, and,
up to league 8 (Passport 11 and 12), the sentence again as ``message``.
Clients key their decisions on ``error`` and the HTTP status, so the
sandbox copies both exactly; the sentences are copied for realism.
"""

from __future__ import annotations

from authlib.consts import default_json_headers
from authlib.oauth2 import OAuth2Error

from .parameters import append_query

#: The sentence league/oauth2-server writes for a dead refresh token.
INVALID_REFRESH_TOKEN_DESCRIPTION = "The refresh token is invalid."

#: The hint Passport gives when a refresh token was used or revoked.
REVOKED_TOKEN_HINT = "Token has been revoked"

#: Status and ``error_description`` of each error code, per league.
_PASSPORT_ERRORS: dict[str, tuple[int, str]] = {
    "invalid_request": (
        400,
        "The request is missing a required parameter, includes an invalid"
        " parameter value, includes a parameter more than once, or is"
        " otherwise malformed.",
    ),
    "invalid_client": (401, "Client authentication failed"),
    "invalid_grant": (
        400,
        "The provided authorization grant (e.g., authorization code, resource"
        " owner credentials) or refresh token is invalid, expired, revoked,"
        " does not match the redirection URI used in the authorization"
        " request, or was issued to another client.",
    ),
    "invalid_scope": (400, "The requested scope is invalid, unknown, or malformed"),
    "unsupported_grant_type": (
        400,
        "The authorization grant type is not supported by the authorization server.",
    ),
    "access_denied": (
        401,
        "The resource owner or authorization server denied the request.",
    ),
}

#: Codes whose Passport answer carries no hint.
_HINTLESS_ERRORS = frozenset({"invalid_client"})


class PassportError(OAuth2Error):
    """An OAuth 2.0 error that renders as Passport renders it.

    :param error: the OAuth error code, e.g. ``"invalid_grant"``.
    :param hint: the specific reason, Passport's ``hint``.
    :param description: replaces the standard sentence for ``error``.
    :param status_code: replaces the standard status for ``error``.
    :param redirect_uri: on the authorize endpoint, where to send the error.
    :param state: the ``state`` to send back with a redirected error.
    """

    def __init__(
        self,
        error: str,
        *,
        hint: str | None = None,
        description: str | None = None,
        status_code: int | None = None,
        redirect_uri: str | None = None,
        state: str | None = None,
    ) -> None:
        standard_status, standard_description = _PASSPORT_ERRORS.get(
            error, (400, error)
        )
        super().__init__(
            description=description or standard_description,
            status_code=status_code or standard_status,
            redirect_uri=redirect_uri,
            state=state,
            error=error,
        )
        self.hint = hint

    @classmethod
    def from_oauth2_error(cls, error: OAuth2Error) -> PassportError:
        """Restate one of Authlib's errors the way Passport would say it.

        Authlib's description becomes the hint; the status comes from
        Passport, which answers every ``invalid_client`` with 401 where
        Authlib sometimes says 400.
        """
        if isinstance(error, cls):
            return error

        hint = None
        if error.error not in _HINTLESS_ERRORS:
            hint = error.get_error_description()
        return cls(
            error.error,
            hint=hint,
            redirect_uri=error.redirect_uri,
            state=error.state,
        )

    def passport_body(self, *, include_message: bool) -> dict[str, str]:
        """Return the JSON body Passport sends for this error."""
        body = {"error": self.error, "error_description": self.description}
        if self.hint:
            body["hint"] = self.hint
        if include_message:
            body["message"] = self.description
        return body

    def passport_response(
        self, *, include_message: bool
    ) -> tuple[int, dict[str, str] | str, list[tuple[str, str]]]:
        """Return ``(status, body, headers)`` for Authlib's ``handle_response``.

        An error on the authorize endpoint with a known-good redirect URI
        travels back to the client in the query, with the ``state``.
        """
        body = self.passport_body(include_message=include_message)
        if not self.redirect_uri:
            return self.status_code, body, list(default_json_headers)

        params = list(body.items())
        if self.state:
            params.append(("state", self.state))
        location = append_query(self.redirect_uri, params)
        return 302, "", [("Location", location)]


def invalid_refresh_token(hint: str, *, passport_version: int) -> PassportError:
    """Return the error for a refresh token that is unknown, used or expired.

    league/oauth2-server 8 (Passport 11 and 12) called this HTTP 401
    ``invalid_request``; league 9 (Passport 13) calls it HTTP 400
    ``invalid_grant``. Clients must treat both as "log in again".
    """
    if passport_version >= 13:
        return PassportError(
            "invalid_grant",
            description=INVALID_REFRESH_TOKEN_DESCRIPTION,
            hint=hint,
        )
    return PassportError(
        "invalid_request",
        status_code=401,
        description=INVALID_REFRESH_TOKEN_DESCRIPTION,
        hint=hint,
    )
