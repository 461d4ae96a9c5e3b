"""Helpers shared by the test modules: ports, apps and logins."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

from flask import Flask
from flask import request
from flask import session

from flask_astorage import AStorage
from flask_astorage.state import LOGIN_ID_KEY

if TYPE_CHECKING:
    from blinker import NamedSignal
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

    from flask_astorage import Token
    from flask_astorage.sandbox import SandboxServer

#: Where Flask's test client says the app lives.
TEST_CLIENT_ORIGIN = "http://localhost"
TEST_CLIENT_REDIRECT_URI = f"{TEST_CLIENT_ORIGIN}/astorage/callback"


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_app(
    sandbox: SandboxServer, instance_path: str, **config: Any
) -> tuple[Flask, AStorage]:
    """Build an app logging in against ``sandbox``, with a protected view.

    ``/protected`` answers the user id and what the sandbox's ``/api/user``
    said, so a test sees the token at work.
    """
    app = Flask(__name__, instance_path=instance_path)
    app.config.update(
        SECRET_KEY="test-secret-key",
        ASTORAGE_CLIENT_ID=sandbox.client_id,
        ASTORAGE_CLIENT_SECRET=sandbox.client_secret,
        ASTORAGE_BASE_URL=sandbox.url,
        **config,
    )
    astorage = AStorage(app)

    @app.get("/protected")
    @astorage.login_required
    def protected() -> dict[str, Any]:
        answer = astorage.api.get("/api/user")
        return {"user_id": astorage.user_id, "api": answer.json()}

    return app, astorage


def query_of(url: str) -> dict[str, list[str]]:
    """Return the query parameters of ``url``, keeping empty values."""
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def start_login(client: FlaskClient, next_url: str | None = None) -> str:
    """Press "Login with Alpha Storage"; return the provider's authorize URL."""
    path = "/astorage/login" if next_url is None else f"/astorage/login?next={next_url}"
    response = client.get(path)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def callback_path(callback_url: str) -> str:
    """Turn the sandbox's redirect into a path the test client can open."""
    parts = urlsplit(callback_url)
    return f"{parts.path}?{parts.query}"


def log_in(
    client: FlaskClient,
    sandbox: SandboxServer,
    *,
    next_url: str | None = None,
    username: str = "alice",
) -> TestResponse:
    """Log in through the test client and the sandbox; return the callback's answer."""
    authorize_url = start_login(client, next_url)
    callback_url = sandbox.approve(authorize_url, username=username)
    return client.get(callback_path(callback_url))


# Helpers for tests/extension and tests/flow: an app with inspection routes,
# the session cookie decoded, signal recording and a keep-alive API server.


def make_test_app(
    sandbox: SandboxServer, instance_path: str, **config: Any
) -> tuple[Flask, AStorage]:
    """Build :func:`make_app`'s app, plus routes that let tests reach inside.

    * ``GET /_test/peek`` does nothing: with ``with client:`` it leaves a
      request context behind, in which ``astorage.token`` can be read.
    * ``POST /_test/expire`` rewrites the stored token so that it expired a
      minute ago; a ``refresh_token`` form field replaces the refresh token.
    * ``GET /_test/api?path=...`` calls ``astorage.api.get`` for each
      ``path`` and answers each status and JSON body.  It is not protected,
      so a refresh happens at the first API call, not before the view.
    """
    app, astorage = make_app(sandbox, instance_path, **config)

    @app.get("/_test/peek")
    def peek() -> tuple[str, int]:
        return "", 204

    @app.post("/_test/expire")
    def expire() -> tuple[str, int]:
        keeper = app.extensions["astorage"].keeper
        login_id = session[LOGIN_ID_KEY]
        changes: dict[str, Any] = {"expires_at": time.time() - 60}
        if "refresh_token" in request.form:
            changes["refresh_token"] = request.form["refresh_token"]
        keeper.store.save(login_id, keeper.store.load(login_id).replace(**changes))
        return "", 204

    @app.get("/_test/api")
    def call_api() -> dict[str, Any]:
        answers = []
        for path in request.args.getlist("path"):
            response = astorage.api.get(path)
            answers.append({"status": response.status_code, "body": response.json()})
        return {"answers": answers}

    return app, astorage


def current_token(client: FlaskClient, astorage: AStorage) -> Token | None:
    """Return ``astorage.token`` as the browser behind ``client`` sees it."""
    with client:
        client.get("/_test/peek")
        return astorage.token


def expire_token(client: FlaskClient, refresh_token: str | None = None) -> None:
    """Make the stored token of ``client``'s login look expired."""
    form = {} if refresh_token is None else {"refresh_token": refresh_token}
    response = client.post("/_test/expire", data=form)
    assert response.status_code == 204, response.get_data(as_text=True)


def session_of(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """Decode the signed session cookie ``client`` holds ({} if none)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return dict(serializer.loads(cookie.value))


def login_id_of(app: Flask, client: FlaskClient) -> str | None:
    """Return the opaque login id in ``client``'s session cookie, if any."""
    login_id = session_of(app, client).get(LOGIN_ID_KEY)
    return login_id if isinstance(login_id, str) else None


@dataclass(frozen=True)
class SignalSent:
    """One sending of a blinker signal: its sender and keyword arguments."""

    sender: Any
    kwargs: dict[str, Any]


@contextmanager
def record_signal(signal: NamedSignal) -> Iterator[list[SignalSent]]:
    """Collect every sending of ``signal`` while the block runs."""
    sent: list[SignalSent] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        sent.append(SignalSent(sender, kwargs))

    with signal.connected_to(receiver):
        yield sent


@dataclass(frozen=True)
class ApiCall:
    """One request :class:`RecordingApi` received.

    :param headers: the request headers, names lowercased.
    :param client_port: the caller's TCP port: the same port means the same
        connection was used again.
    """

    method: str
    path: str
    headers: dict[str, str]
    client_port: int


class RecordingApi:
    """A tiny JSON API on loopback that keeps connections alive.

    Werkzeug's development server closes every connection after one
    response, so it cannot show connection reuse; this server speaks
    HTTP/1.1 with keep-alive.  Every request is recorded and answered
    ``{"path": ...}``; a path ending in ``/set-cookie`` also sets a cookie,
    and one ending in ``/slow`` waits until the server shuts down.
    """

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self._release = threading.Event()
        self._server = _QuietHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def shutdown(self) -> None:
        """Release slow requests, stop serving and close the socket."""
        self._release.set()
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def __enter__(self) -> RecordingApi:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Idle keep-alive connections end after this many seconds.
            timeout = 5

            def do_GET(self) -> None:
                api._answer(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        # Read the body, so that the connection is ready for the next request.
        handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        self.calls.append(
            ApiCall(
                method=handler.command,
                path=handler.path,
                headers={
                    name.lower(): value for name, value in handler.headers.items()
                },
                client_port=handler.client_address[1],
            )
        )
        if handler.path.endswith("/slow"):
            self._release.wait(10)

        body = json.dumps({"path": handler.path}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        if handler.path.endswith("/set-cookie"):
            handler.send_header("Set-Cookie", "tracker=alice-only; Path=/")
        handler.end_headers()
        handler.wfile.write(body)


class _QuietHTTPServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out has gone; writing to it fails, as expected.
        pass
