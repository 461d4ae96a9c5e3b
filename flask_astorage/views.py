"""The ``astorage`` blueprint: ``/login``, ``/callback`` and ``/logout``.

Every response of the blueprint is sent with ``Cache-Control: no-store`` and
``Referrer-Policy: no-referrer``: the login redirect carries a state, the
callback URL a code, and neither may linger in a cache or leak to another
site in a ``Referer`` header.  The callback redirects away at once
(post/redirect/get), so the code does not stay in the address bar either.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from werkzeug.wrappers import Response

from . import login_state
from . import signals
from .errors import AStorageError
from .errors import AuthorizationDenied
from .errors import CallbackError
from .errors import ConfigurationError
from .errors import StateError
from .errors import TokenRejected
from .redirects import safe_next_url
from .responses import RETRY_NEXT_KEY
from .state import LOGIN_ID_KEY
from .state import current_app_object
from .state import current_login_id
from .state import extension_state

if TYPE_CHECKING:
    from .tokens import Token

__all__ = ["blueprint", "forbid_caching"]

log = logging.getLogger(__name__)

blueprint = Blueprint("astorage", __name__, template_folder="templates")

#: The longest value accepted for each callback parameter.  The provider's
#: codes are about 780 characters, well past the 200 its page lists, so the
#: page's limit is not applied to what the provider returns.
CALLBACK_LIMITS = {
    "state": 200,
    "code": 4096,
    "error": 200,
    "error_description": 1000,
}


def forbid_caching(response: Response) -> Response:
    """Keep every answer under the blueprint's prefix out of caches and referers.

    Registered on the app rather than the blueprint, so that answers no view
    of the blueprint produced (a 405, a 404 below the prefix) get it too.
    """
    prefix = extension_state().settings.url_prefix + "/"
    if request.path.startswith(prefix):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blueprint.get("/login")
def login() -> Response:
    """Send the browser to Alpha Storage's authorize page."""
    if not current_app.secret_key:
        raise ConfigurationError(
            "Set 'SECRET_KEY' in the app config: the login state is kept in"
            " the signed session cookie."
        )
    state = extension_state()
    settings = state.settings
    redirect_uri = settings.redirect_uri or url_for("astorage.callback", _external=True)

    authorization = state.remote_app.create_authorization_url(
        redirect_uri, scope=settings.scope
    )
    login_state.remember(
        login_state.PendingLogin(
            state=authorization["state"],
            redirect_uri=redirect_uri,
            code_verifier=authorization.get("code_verifier"),
            next_url=_requested_next_url(),
            started_at=time.time(),
        )
    )
    log.debug("Sending a browser to authorize client %s.", settings.client_id)
    return redirect(_with_scope(authorization["url"]))


@blueprint.get("/callback")
def callback() -> Response:
    """Finish a login: check the state, trade the code, store the token."""
    try:
        return _finish_login()
    except AStorageError as err:
        signals.login_failed.send(current_app_object(), error=err)
        raise


@blueprint.post("/logout")
def logout() -> Response:
    """Forget the current user's token and leave the session logged out."""
    login_id = session.pop(LOGIN_ID_KEY, None)
    if isinstance(login_id, str):
        extension_state().keeper.forget(login_id, reason="logout")
    return redirect(extension_state().settings.login_redirect)


def _finish_login() -> Response:
    params = _callback_params()
    state_value = params.get("state")
    if state_value is None:
        raise StateError(
            "This sign-in page can no longer be used. Please sign in again."
        )

    claims = extension_state().state_claims
    if login_state.is_pending(state_value) and not claims.claim(state_value):
        # Another copy of this callback is being handled: leave the session
        # alone, so that its answer, not ours, sets the cookie.
        session.modified = False
        raise StateError(login_state.UNKNOWN_STATE)
    try:
        pending = login_state.take(state_value)
    except StateError as err:
        return _repeated_callback(state_value, err)
    # A "Try again" on an error page below starts over toward the same page.
    g.setdefault(RETRY_NEXT_KEY, pending.next_url)

    error = params.get("error")
    if error == "access_denied":
        flash("Sign-in was cancelled.", "info")
        signals.login_failed.send(
            current_app_object(),
            error=AuthorizationDenied("Sign-in was cancelled."),
        )
        return redirect(extension_state().settings.login_redirect)
    if error is not None:
        detail = params.get("error_description") or error
        raise AuthorizationDenied(
            f"Alpha Storage did not sign you in: {detail}", error=error
        )

    code = params.get("code")
    if code is None:
        raise CallbackError("The sign-in answer has no code. Please sign in again.")
    token = _exchange(code, pending)
    _start_session(token)
    login_state.mark_completed(pending)
    return redirect(pending.next_url or extension_state().settings.login_redirect)


def _exchange(code: str, pending: login_state.PendingLogin) -> Token:
    try:
        return extension_state().endpoint.exchange_code(
            code=code,
            redirect_uri=pending.redirect_uri,
            code_verifier=pending.code_verifier,
        )
    except TokenRejected as err:
        raise CallbackError(
            "This sign-in could not be completed: the code was refused."
            " Please sign in again.",
            error=err.error,
        ) from err


def _start_session(token: Token) -> None:
    """Store ``token`` under a new login id, replacing the previous login."""
    keeper = extension_state().keeper
    previous = current_login_id()
    if previous is not None:
        keeper.discard(previous)

    login_id = secrets.token_urlsafe(32)
    keeper.store.save(login_id, token)
    session[LOGIN_ID_KEY] = login_id
    log.info("User %s logged in.", token.user_id)
    signals.logged_in.send(current_app_object(), user_id=token.user_id, token=token)


def _repeated_callback(state_value: str, refusal: StateError) -> Response:
    """Answer a callback whose state is not pending: a reload, or a forgery.

    A reload by a user who is logged in goes quietly where the login went;
    anything else is refused, and the code is never sent a second time.
    """
    completed, next_url = login_state.completed_next(state_value)
    login_id = current_login_id()
    logged_in = login_id is not None and extension_state().keeper.load(login_id)
    if completed and logged_in:
        return redirect(next_url or extension_state().settings.login_redirect)
    raise refusal


def _callback_params() -> dict[str, str]:
    """Read the callback's parameters, refusing anything malformed.

    Each parameter may appear at most once, must not be empty, must fit its
    limit and must be printable text: a repeated, huge, non-UTF-8 or
    control-character value is an attack or a broken link, never a login.
    """
    if not _is_utf8_query():
        raise CallbackError("The sign-in answer is malformed. Please sign in again.")

    params: dict[str, str] = {}
    for name, limit in CALLBACK_LIMITS.items():
        values = request.args.getlist(name)
        if not values:
            continue
        value = values[0]
        if len(values) > 1 or not value or len(value) > limit or not _printable(value):
            raise CallbackError(
                f"The sign-in answer has a malformed {name!r}. Please sign in again."
            )
        params[name] = value
    return params


def _is_utf8_query() -> bool:
    """Tell whether the raw query string, escapes decoded, is valid UTF-8.

    Werkzeug does not refuse bad UTF-8: version 3 keeps the bytes escaped
    (``%FF``), so an altered code would reach the provider.
    """
    try:
        query = request.query_string.decode("utf-8")
        parse_qsl(query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def _printable(value: str) -> bool:
    # Older Werkzeug versions decode bad UTF-8 as U+FFFD, the replacement
    # character.
    return value.isprintable() and "\ufffd" not in value


def _requested_next_url() -> str | None:
    values = request.args.getlist("next")
    if len(values) != 1:
        return None
    return safe_next_url(values[0], own_origin=request.host_url.rstrip("/"))


def _with_scope(url: str) -> str:
    """Add an empty ``scope=`` when Authlib left the scope out.

    Authlib drops an empty scope, but the provider's page marks ``scope``
    as required and its own example sends it empty.
    """
    query = url.partition("?")[2]
    names = {pair.partition("=")[0] for pair in query.split("&")}
    if "scope" in names:
        return url
    return f"{url}&scope=" if query else f"{url}?scope="
