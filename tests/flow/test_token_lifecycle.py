"""A token's life on every store: stored at login, refreshed, forgotten."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlsplit

import pytest

from flask_astorage.signals import logged_out
from flask_astorage.signals import token_refreshed
from flask_astorage.state import LOGIN_ID_KEY

from ..support import current_token
from ..support import expire_token
from ..support import log_in
from ..support import login_id_of
from ..support import query_of
from ..support import record_signal
from ..support import session_of

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from flask_astorage import AStorage
    from flask_astorage.sandbox import RecordedRequest
    from flask_astorage.sandbox import SandboxServer

LANDING = "/welcome"
REFRESH_PARAMS = ["client_id", "client_secret", "grant_type", "refresh_token", "scope"]
JSON_CLIENT = {"Accept": "application/json"}


@pytest.fixture
def app_config(token_store_name: str) -> dict[str, Any]:
    return {
        "ASTORAGE_TOKEN_STORE": token_store_name,
        "ASTORAGE_LOGIN_REDIRECT": LANDING,
    }


def refresh_calls(sandbox: SandboxServer) -> list[RecordedRequest]:
    return [
        record
        for record in sandbox.recorded("token")
        if record.grant_type == "refresh_token"
    ]


def revoke_at_provider(sandbox: SandboxServer, refresh_token: str) -> None:
    """Revoke a refresh token at the provider, as a user revoking the app does."""
    store = sandbox.state.store
    record = store.find_refresh_token(refresh_token)
    assert record is not None
    store.revoke_refresh_token(record, with_access_token=False)


@pytest.mark.parametrize(
    ("next_url", "landing"), [("/files", "/files"), (None, LANDING)]
)
def test_the_callback_stores_the_token_and_redirects(
    next_url: str | None,
    landing: str,
    app: Flask,
    astorage: AStorage,
    client: FlaskClient,
    sandbox: SandboxServer,
) -> None:
    response = log_in(client, sandbox, next_url=next_url)
    token = current_token(client, astorage)

    assert response.status_code == 302
    assert response.headers["Location"] == landing
    assert token is not None
    assert token.user_id == "1"
    assert token.refresh_token
    assert login_id_of(app, client) is not None


def test_logout_forgets_the_token(
    app: Flask, astorage: AStorage, client: FlaskClient, sandbox: SandboxServer
) -> None:
    log_in(client, sandbox)
    login_id = login_id_of(app, client)
    assert login_id is not None

    with record_signal(logged_out) as sent:
        response = client.post("/astorage/logout")

    assert response.status_code == 302
    assert response.headers["Location"] == LANDING
    assert LOGIN_ID_KEY not in session_of(app, client)
    with client:
        client.get("/_test/peek")
        assert app.extensions["astorage"].keeper.store.load(login_id) is None
        assert astorage.token is None
    assert [entry.kwargs for entry in sent] == [{"user_id": "1", "reason": "logout"}]
    assert client.get("/protected").status_code == 302


def test_logout_by_get_is_not_allowed(
    astorage: AStorage, client: FlaskClient, sandbox: SandboxServer
) -> None:
    log_in(client, sandbox)

    response = client.get("/astorage/logout")

    assert response.status_code == 405
    assert current_token(client, astorage) is not None


def test_an_expired_token_is_refreshed_once_before_the_view(
    astorage: AStorage, client: FlaskClient, sandbox: SandboxServer
) -> None:
    log_in(client, sandbox)
    old = current_token(client, astorage)
    assert old is not None
    expire_token(client)

    with record_signal(token_refreshed) as sent:
        response = client.get("/protected")
    new = current_token(client, astorage)

    assert response.status_code == 200
    assert response.get_json()["api"]["id"] == "1"
    [refresh] = refresh_calls(sandbox)
    assert refresh.content_type is not None
    assert refresh.content_type.startswith("application/x-www-form-urlencoded")
    assert sorted(refresh.param_names) == REFRESH_PARAMS
    assert dict(refresh.params) == {
        "grant_type": "refresh_token",
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "refresh_token": old.refresh_token,
        "scope": "",
    }
    assert new is not None
    assert new.refresh_token != old.refresh_token
    assert new.access_token != old.access_token
    assert new.expires_at is not None and new.expires_at > time.time()
    assert [entry.kwargs["token"] for entry in sent] == [new]

    # The rotated token was stored: the next request needs no refresh.
    assert client.get("/protected").status_code == 200
    assert len(refresh_calls(sandbox)) == 1


def test_a_second_api_call_in_the_request_uses_the_new_token(
    client: FlaskClient, sandbox: SandboxServer
) -> None:
    """The sandbox revokes the old access token at refresh, as Passport does:
    a call with it would be answered 401 and cause a second refresh."""
    log_in(client, sandbox)
    expire_token(client)

    response = client.get("/_test/api?path=/api/user&path=/api/user")

    assert [answer["status"] for answer in response.get_json()["answers"]] == [
        200,
        200,
    ]
    assert len(refresh_calls(sandbox)) == 1
    assert [record.status for record in sandbox.recorded("user")] == [200, 200]


@pytest.mark.parametrize(
    ("passport_version", "status", "error"),
    [(11, 401, "invalid_request"), (13, 400, "invalid_grant")],
)
@pytest.mark.parametrize("headers", [{}, JSON_CLIENT], ids=["browser", "json"])
def test_a_dead_refresh_token_logs_the_user_out(
    passport_version: int,
    status: int,
    error: str,
    headers: dict[str, str],
    astorage: AStorage,
    client: FlaskClient,
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="flask_astorage.provider")
    sandbox.update_settings(passport_version=passport_version)
    log_in(client, sandbox)
    token = current_token(client, astorage)
    assert token is not None and token.refresh_token is not None
    revoke_at_provider(sandbox, token.refresh_token)
    expire_token(client)

    with record_signal(logged_out) as sent:
        response = client.get("/protected", headers=headers)

    assert [record.status for record in refresh_calls(sandbox)] == [status]
    assert current_token(client, astorage) is None
    assert [entry.kwargs for entry in sent] == [
        {"user_id": "1", "reason": "token_rejected"}
    ]
    if headers:
        assert response.status_code == 401
        assert response.get_json()["error"] == "login_required"
    else:
        assert response.status_code == 302
        location = response.headers["Location"]
        assert urlsplit(location).path == "/astorage/login"
        assert query_of(location) == {"next": ["/protected"]}
    # The provider's status and code for it depend on its version.
    assert f"HTTP {status}, {error};" in caplog.text


@pytest.mark.parametrize("headers", [{}, JSON_CLIENT], ids=["browser", "json"])
def test_a_provider_down_at_refresh_keeps_the_token(
    headers: dict[str, str],
    astorage: AStorage,
    client: FlaskClient,
    sandbox: SandboxServer,
) -> None:
    log_in(client, sandbox)
    expire_token(client)
    expired = current_token(client, astorage)
    sandbox.fail_next("bad_gateway", grant_type="refresh_token")

    response = client.get("/protected", headers=headers)

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert [record.fault for record in refresh_calls(sandbox)] == ["bad_gateway"]
    assert current_token(client, astorage) == expired
    if headers:
        assert response.get_json()["error"] == "temporarily_unavailable"
    else:
        assert response.mimetype == "text/html"
    # Once the provider is back, the kept refresh token still works.
    assert client.get("/protected").status_code == 200
    assert len(refresh_calls(sandbox)) == 2
