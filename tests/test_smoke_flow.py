"""A first pass through the whole login with the test client and the sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .support import log_in

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from flask_astorage.sandbox import SandboxServer


def test_login_then_protected_view_calls_the_api(
    client: FlaskClient, sandbox: SandboxServer
) -> None:
    callback = log_in(client, sandbox, next_url="/protected")

    assert callback.status_code == 302
    assert callback.headers["Location"] == "/protected"
    answer = client.get("/protected").get_json()
    assert answer == {"user_id": "1", "api": {"id": "1", "name": "alice", "scopes": []}}
