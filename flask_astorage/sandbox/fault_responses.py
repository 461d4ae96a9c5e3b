"""How the token endpoint answers when a fault is queued.

Each answer imitates what a client would really meet: Laravel's error
page, nginx's 502 page, Laravel's throttle, a proxy's stray HTML page, a
stalled upstream, a dropped connection, or one of Passport's error JSONs.
None of them runs the grant, so codes and refresh tokens stay live.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from collections.abc import Iterator
from typing import TYPE_CHECKING

from flask import Response
from flask import g
from flask import jsonify
from flask import request

from .faults import FaultKind
from .passport_errors import REVOKED_TOKEN_HINT
from .passport_errors import PassportError
from .passport_errors import invalid_refresh_token

if TYPE_CHECKING:
    from .faults import Fault
    from .settings import SandboxSettings

_LARAVEL_ERROR_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Server Error</title></head>
<body><div class="code">500</div><div class="message">Server Error</div></body>
</html>
"""

_NGINX_BAD_GATEWAY_PAGE = """<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""

_STRAY_HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Alpha Storage</title></head>
<body><h1>Alpha Storage</h1><p>Please sign in to continue.</p></body>
</html>
"""

_UNAVAILABLE_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Service Unavailable</title></head>
<body><div class="code">503</div><div class="message">Service Unavailable</div></body>
</html>
"""

#: Set on ``flask.g`` once the connection is shut: there is no status.
CONNECTION_CLOSED_FLAG = "sandbox_connection_closed"

#: Keys of the WSGI environ under which servers expose the client socket.
_SOCKET_ENVIRON_KEYS = ("werkzeug.socket", "gunicorn.socket")

_FaultAnswer = Callable[["Fault", "SandboxSettings"], Response]


def answer_with_fault(fault: Fault, settings: SandboxSettings) -> Response:
    """Return the response for ``fault`` instead of running the grant."""
    return _ANSWERS[fault.kind](fault, settings)


def _html(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/html")


def _server_error(fault: Fault, settings: SandboxSettings) -> Response:
    return _html(_LARAVEL_ERROR_PAGE, 500)


def _bad_gateway(fault: Fault, settings: SandboxSettings) -> Response:
    return _html(_NGINX_BAD_GATEWAY_PAGE, 502)


def _rate_limited(fault: Fault, settings: SandboxSettings) -> Response:
    response = jsonify(message="Too Many Attempts.")
    response.status_code = 429
    response.headers["Retry-After"] = str(fault.retry_after)
    response.headers["X-RateLimit-Remaining"] = "0"
    return response


def _not_json(fault: Fault, settings: SandboxSettings) -> Response:
    return _html(_STRAY_HTML_PAGE, 200)


def _no_access_token(fault: Fault, settings: SandboxSettings) -> Response:
    return jsonify(token_type="Bearer", expires_in=settings.access_token_lifetime)


def _delay(fault: Fault, settings: SandboxSettings) -> Response:
    # The answer comes after the client has given up. It is a 503 rather
    # than a late success: the grant never runs, so the refresh token the
    # client still holds stays valid, which is what a client must assume
    # after a timeout.
    time.sleep(fault.delay_seconds)
    return _html(_UNAVAILABLE_PAGE, 503)


def _close_connection(fault: Fault, settings: SandboxSettings) -> Response:
    connection = _client_socket()
    if connection is None:
        return Response(
            "The 'close_connection' fault needs a server that exposes the"
            " client socket (Werkzeug's or Gunicorn's); Flask's test client"
            " has none.",
            status=501,
            mimetype="text/plain",
        )

    # The socket is shut down only when the server starts sending the
    # (empty) body, after this request has been recorded. Shut down, not
    # closed: the server closes it itself, and its write to a shut-down
    # socket fails with a broken pipe, which Werkzeug takes for a client
    # that went away and does not log.
    def shut_connection() -> Iterator[bytes]:
        connection.shutdown(socket.SHUT_RDWR)
        yield from ()

    # The status never reaches the client, only the request log: 444 is
    # nginx's code for "closed without a response". (Not 204: Werkzeug
    # never iterates the body of a 204, so the socket would stay open.)
    setattr(g, CONNECTION_CLOSED_FLAG, True)
    return Response(shut_connection(), status=444)


def _client_socket() -> socket.socket | None:
    for key in _SOCKET_ENVIRON_KEYS:
        connection = request.environ.get(key)
        if isinstance(connection, socket.socket):
            return connection
    return None


def _passport_json(error: PassportError, *, include_message: bool) -> Response:
    status, body, headers = error.passport_response(include_message=include_message)
    response = jsonify(body)
    response.status_code = status
    for name, value in headers:
        response.headers[name] = value
    return response


def _invalid_grant(fault: Fault, settings: SandboxSettings) -> Response:
    error = invalid_refresh_token(REVOKED_TOKEN_HINT, passport_version=13)
    return _passport_json(error, include_message=settings.includes_message_in_errors)


def _invalid_request(fault: Fault, settings: SandboxSettings) -> Response:
    # Passport 12's answer to a revoked refresh token, ``message`` included.
    error = invalid_refresh_token(REVOKED_TOKEN_HINT, passport_version=12)
    return _passport_json(error, include_message=True)


def _invalid_client(fault: Fault, settings: SandboxSettings) -> Response:
    return _passport_json(
        PassportError("invalid_client"),
        include_message=settings.includes_message_in_errors,
    )


def _invalid_scope(fault: Fault, settings: SandboxSettings) -> Response:
    error = PassportError(
        "invalid_scope",
        hint="Specify a scope in the request or set a default scope",
    )
    return _passport_json(error, include_message=settings.includes_message_in_errors)


_ANSWERS: dict[FaultKind, _FaultAnswer] = {
    FaultKind.HTML_500: _server_error,
    FaultKind.BAD_GATEWAY: _bad_gateway,
    FaultKind.RATE_LIMITED: _rate_limited,
    FaultKind.NOT_JSON: _not_json,
    FaultKind.NO_ACCESS_TOKEN: _no_access_token,
    FaultKind.DELAY: _delay,
    FaultKind.CLOSE_CONNECTION: _close_connection,
    FaultKind.INVALID_GRANT: _invalid_grant,
    FaultKind.INVALID_REQUEST: _invalid_request,
    FaultKind.INVALID_CLIENT: _invalid_client,
    FaultKind.INVALID_SCOPE: _invalid_scope,
}
