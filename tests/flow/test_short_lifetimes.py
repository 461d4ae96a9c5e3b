"""Tokens granted for less than ``ASTORAGE_REFRESH_LEEWAY`` are not refreshed
on every use: the leeway shrinks to half the token's lifetime."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..support import log_in
from ..support import make_app

if TYPE_CHECKING:
    from pathlib import Path

    from flask_astorage.sandbox import SandboxServer


def test_a_short_lived_token_is_refreshed_once_when_due(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.update_settings(access_token_lifetime=30)
    app, _ = make_app(sandbox, str(tmp_path), ASTORAGE_REFRESH_LEEWAY=60)
    client = app.test_client()
    assert log_in(client, sandbox).status_code == 302

    # Fresh: two protected requests, each with an API call, refresh nothing.
    for _ in range(2):
        assert client.get("/protected").status_code == 200
    assert sandbox.token_calls(grant_type="refresh_token") == 0

    # Half its life gone: due; one refresh, and the new token is not due.
    keeper = app.extensions["astorage"].keeper
    with client.session_transaction() as session:
        login_id = session["_astorage_login"]
    token = keeper.store.load(login_id)
    assert token is not None and token.expires_at is not None
    keeper.store.save(login_id, token.replace(expires_at=token.expires_at - 20))

    for _ in range(2):
        assert client.get("/protected").status_code == 200
    assert sandbox.token_calls(grant_type="refresh_token") == 1
