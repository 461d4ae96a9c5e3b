"""The blinker signals, their sender and their keyword arguments."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from flask_astorage import AuthorizationDenied
from flask_astorage import StateError
from flask_astorage import Token
from flask_astorage.signals import logged_in
from flask_astorage.signals import logged_out
from flask_astorage.signals import login_failed
from flask_astorage.signals import token_refreshed

from ..support import callback_path
from ..support import current_token
from ..support import expire_token
from ..support import log_in
from ..support import login_id_of
from ..support import make_test_app
from ..support import record_signal
from ..support import start_login

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Flask
    from flask.testing import FlaskClient

    from flask_astorage import AStorage
    from flask_astorage.sandbox import SandboxServer


def test_logged_in_names_the_user_and_the_token(
    app: Flask, astorage: AStorage, client: FlaskClient, sandbox: SandboxServer
) -> None:
    with record_signal(logged_in) as sent:
        log_in(client, sandbox, username="alice")

    assert len(sent) == 1
    assert sent[0].sender is app
    assert sent[0].kwargs == {"user_id": "1", "token": current_token(client, astorage)}


def test_logged_out_gives_the_reason(
    app: Flask, client: FlaskClient, sandbox: SandboxServer
) -> None:
    log_in(client, sandbox)

    with record_signal(logged_out) as sent:
        client.post("/astorage/logout")

    assert [(entry.sender, entry.kwargs) for entry in sent] == [
        (app, {"user_id": "1", "reason": "logout"})
    ]


def test_login_failed_when_the_user_denies(
    app: Flask, client: FlaskClient, sandbox: SandboxServer
) -> None:
    callback_url = sandbox.deny(start_login(client))

    with record_signal(login_failed) as sent:
        client.get(callback_path(callback_url))

    assert len(sent) == 1
    assert sent[0].sender is app
    assert list(sent[0].kwargs) == ["error"]
    error = sent[0].kwargs["error"]
    assert isinstance(error, AuthorizationDenied)
    assert error.error == "access_denied"


def test_login_failed_on_a_bad_state(
    app: Flask, client: FlaskClient, sandbox: SandboxServer
) -> None:
    callback_url = sandbox.approve(start_login(client))
    forged = callback_path(callback_url).replace("state=", "state=forged", 1)

    with record_signal(login_failed) as sent:
        client.get(forged)

    assert len(sent) == 1
    assert sent[0].sender is app
    error = sent[0].kwargs["error"]
    assert isinstance(error, StateError)
    assert error.error == "invalid_state"


def test_token_refreshed_and_its_handler_get_the_new_token(
    app: Flask,
    astorage: AStorage,
    client: FlaskClient,
    sandbox: SandboxServer,
    tmp_path: Path,
) -> None:
    handled: list[tuple[str | None, Token]] = []
    other_app, other_astorage = make_test_app(sandbox, str(tmp_path / "other"))
    other_handled: list[tuple[str | None, Token]] = []

    @astorage.token_refreshed_handler
    def on_refresh(user_id: str | None, token: Token) -> None:
        handled.append((user_id, token))

    other_astorage.token_refreshed_handler(
        lambda user_id, token: other_handled.append((user_id, token))
    )
    log_in(client, sandbox)
    old = current_token(client, astorage)
    expire_token(client)

    with record_signal(token_refreshed) as sent:
        assert client.get("/protected").status_code == 200
    new = current_token(client, astorage)

    assert old is not None
    assert new is not None
    assert new.refresh_token != old.refresh_token
    assert [(entry.sender, entry.kwargs) for entry in sent] == [
        (app, {"user_id": "1", "token": new})
    ]
    assert handled == [("1", new)]
    assert other_handled == []

    other_client = other_app.test_client()
    log_in(other_client, sandbox, username="bob")
    expire_token(other_client)
    assert other_client.get("/protected").status_code == 200
    assert [user_id for user_id, _ in other_handled] == ["2"]
    assert len(handled) == 1


def test_a_token_refreshed_receiver_may_end_the_login_at_once(
    app: Flask,
    astorage: AStorage,
    client: FlaskClient,
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The signal is sent after the refresh lock is released; a receiver
    # that ends the login takes that lock, and must not find it held.
    keeper = app.extensions["astorage"].keeper
    ended: list[str] = []

    @astorage.token_refreshed_handler
    def end_login(user_id: str | None, token: Token) -> None:
        login_id = login_id_of(app, client)
        assert login_id is not None
        keeper.forget(login_id, reason="logout")
        ended.append(login_id)

    log_in(client, sandbox)
    expire_token(client)

    with caplog.at_level(logging.WARNING, logger="flask_astorage"):
        client.get("/protected")

    assert len(ended) == 1
    assert keeper.store.load(ended[0]) is None
    assert not [r for r in caplog.records if "held its lock" in r.getMessage()]
