"""Helpers shared by the test modules: ports, apps and logins."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

from flask import Flask

from flask_astorage import AStorage

if TYPE_CHECKING:
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

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
