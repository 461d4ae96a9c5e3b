"""Timeouts everywhere: every call to the provider carries ``ASTORAGE_TIMEOUT``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask

from flask_astorage import AStorage
from flask_astorage import ProviderTimeout
from flask_astorage.sandbox import serve_in_thread
from flask_astorage.state import LOGIN_ID_KEY
from flask_astorage.tokens import Token
from tests.support import log_in
from tests.support import make_app

from .resilience_support import CannedProvider
from .resilience_support import app_for_provider
from .resilience_support import expire_login
from .resilience_support import keeper_of
from .resilience_support import set_stored_expiry
from .resilience_support import wait_for

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from flask_astorage.sandbox import SandboxServer

    from .resilience_support import ShiftableClock

#: An unusual value, so that no library default can pass for it.
CONFIGURED_TIMEOUT = 2.75
#: A short timeout, and a stall well past it.
SHORT_TIMEOUT = 0.5
STALL_SECONDS = 1.5


@pytest.fixture
def app_and_extension(sandbox: SandboxServer, tmp_path: Path) -> tuple[Flask, AStorage]:
    return make_app(sandbox, str(tmp_path), ASTORAGE_TIMEOUT=CONFIGURED_TIMEOUT)


@pytest.fixture
def provider_calls(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, Any]]:
    """``(path, timeout)`` of every request sent to the sandbox's token or API."""
    calls: list[tuple[str, Any]] = []
    send = requests.Session.send

    def spy(
        session: requests.Session, prepared: requests.PreparedRequest, **options: Any
    ) -> requests.Response:
        path = urlsplit(prepared.url or "").path
        if (
            prepared.url
            and prepared.url.startswith(sandbox.url)
            and path != ("/oauth/authorize")
        ):
            calls.append((path, options.get("timeout")))
        return send(session, prepared, **options)

    monkeypatch.setattr(requests.Session, "send", spy)
    return calls


def test_every_call_to_the_provider_carries_the_configured_timeout(
    app: Flask,
    client: FlaskClient,
    sandbox: SandboxServer,
    provider_clock: ShiftableClock,
    provider_calls: list[tuple[str, Any]],
) -> None:
    assert log_in(client, sandbox).status_code == 302
    login_id = _login_id(client)
    expire_login(app, login_id, provider_clock)

    assert client.get("/protected").status_code == 200

    assert provider_calls == [
        ("/oauth/token", CONFIGURED_TIMEOUT),
        ("/oauth/token", CONFIGURED_TIMEOUT),
        ("/api/user", CONFIGURED_TIMEOUT),
    ]
    assert sandbox.token_calls("authorization_code") == 1
    assert sandbox.token_calls("refresh_token") == 1


def _login_id(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        login_id: str = session[LOGIN_ID_KEY]
    return login_id


def test_a_stalled_refresh_is_tried_once_per_request(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app, _ = make_app(sandbox, str(tmp_path), ASTORAGE_TIMEOUT=SHORT_TIMEOUT)
    client = app.test_client()
    assert log_in(client, sandbox).status_code == 302
    login_id = _login_id(client)
    # Due for a refresh, and still valid.
    set_stored_expiry(app, login_id, time.time() + 30)
    sandbox.fail_next(
        "delay", times=2, grant_type="refresh_token", delay_seconds=STALL_SECONDS
    )

    for attempt in (1, 2):
        response = client.get("/protected")
        # A silent provider may have rotated the tokens: 503, token kept.
        assert response.status_code == 503
        assert _login_id(client) == login_id
        wait_for(lambda: sandbox.token_calls("refresh_token") >= attempt)  # noqa: B023
        assert sandbox.token_calls("refresh_token") == attempt


@pytest.fixture
def stalled_api(tmp_path: Path) -> Iterator[tuple[Flask, CannedProvider]]:
    """An app whose provider's API answers only after the client gave up."""
    provider = CannedProvider()
    provider.api_delay = STALL_SECONDS
    with serve_in_thread(provider.app) as server:
        app, astorage = app_for_provider(
            server.url, str(tmp_path), ASTORAGE_TIMEOUT=SHORT_TIMEOUT
        )

        @app.get("/files")
        @astorage.login_required
        def files() -> dict[str, Any]:
            return dict(astorage.api.get("/api/files").json())

        yield app, provider


def test_a_stalled_api_call_gives_up_after_the_timeout(
    stalled_api: tuple[Flask, CannedProvider],
) -> None:
    app, provider = stalled_api
    keeper_of(app).store.save(
        "login-1", Token(access_token="access-1", refresh_token="refresh-1")
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session[LOGIN_ID_KEY] = "login-1"

    response = client.get("/files", headers={"Accept": "application/json"})

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.get_json()["error"] == ProviderTimeout.default_error
    assert provider.api_requests == [("GET", "Bearer access-1")]
