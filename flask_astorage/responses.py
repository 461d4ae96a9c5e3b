"""How the extension answers when something goes wrong.

Browsers get a small, escaped HTML page (the template
``astorage/error.html``, which an application may override); JSON clients
get ``{"error": ..., "error_description": ...}``.  Provider text, such as an
``error_description``, is always shown as text, never as markup.
"""

from __future__ import annotations

import logging

from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.wrappers import Response

from .errors import AStorageError
from .errors import CallbackError
from .errors import ClientMisconfigured
from .errors import ConfigurationError
from .errors import ProviderError
from .state import extension_state

__all__ = ["error_response", "login_redirect", "wants_json"]

log = logging.getLogger(__name__)

#: The ``flask.g`` key of where a failed login was going, for "Try again".
RETRY_NEXT_KEY = "_astorage_retry_next"

_TITLES = {
    400: "Sign-in failed",
    401: "Sign-in required",
    500: "Sign-in is misconfigured",
    502: "Alpha Storage is having trouble",
    503: "Alpha Storage is unavailable",
    504: "Alpha Storage did not answer",
}


def wants_json() -> bool:
    """Tell whether the client prefers JSON to HTML.

    True for ``X-Requested-With: XMLHttpRequest``, and when ``Accept`` ranks
    ``application/json`` above ``text/html``.
    """
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return True
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/json"], default="text/html"
    )
    return best == "application/json"


def error_response(error: AStorageError) -> Response:
    """Render ``error`` as a page or as JSON, with its status code."""
    status = error.status_code
    if isinstance(error, ConfigurationError) and not isinstance(
        error, ClientMisconfigured
    ):
        # The provider's refusals are logged where they are judged.
        log.error("flask-astorage is misconfigured: %s", error.description)

    response: Response
    description = error.public_description
    if wants_json():
        response = jsonify(error=error.error, error_description=description)
    else:
        page = render_template(
            "astorage/error.html",
            title=_TITLES.get(status, "Sign-in problem"),
            error=error,
            description=description,
            retry_url=_retry_url(error),
            retry_label=_retry_label(error),
            home_url=extension_state().settings.login_redirect,
            # The callback's URL holds a code and a state; the page takes
            # them out of the address bar and the history.
            forget_query=request.endpoint == "astorage.callback",
        )
        response = Response(page, mimetype="text/html")
    response.status_code = status

    retry_after = getattr(error, "retry_after", None)
    if retry_after and status in (429, 503):
        response.headers["Retry-After"] = str(retry_after)
    return response


def login_redirect() -> Response:
    """Send a browser to the login view, coming back here afterwards."""
    target = None
    if request.method in ("GET", "HEAD"):
        target = request.path
        if request.query_string:
            target += "?" + request.query_string.decode("utf-8", "replace")
    return redirect(url_for("astorage.login", next=target))


def _retry_url(error: AStorageError) -> str | None:
    if isinstance(error, ConfigurationError):
        return None
    if isinstance(error, CallbackError) or request.blueprint == "astorage":
        return url_for("astorage.login", next=g.get(RETRY_NEXT_KEY))
    if isinstance(error, ProviderError) and request.method == "GET":
        return request.path
    return None


def _retry_label(error: AStorageError) -> str:
    if isinstance(error, ProviderError):
        return "Try again"
    return "Sign in again"
