"""Provider faults at the callback and at refresh: clear answers, nothing lost.

Each fault kind of the sandbox is tried at both places, and the answer is
checked against the table of issue 3, section 2.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest

from flask_astorage import signals
from flask_astorage.provider import DEFAULT_RETRY_AFTER
from flask_astorage.state import LOGIN_ID_KEY
from flask_astorage.stores import MemoryTokenStore
from tests.support import callback_path
from tests.support import log_in
from tests.support import make_app
from tests.support import query_of
from tests.support import start_login

from .resilience_support import expire_login
from .resilience_support import keeper_of
from .resilience_support import set_stored_expiry
from .resilience_support import wait_for

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

    from flask_astorage import AStorage
    from flask_astorage.sandbox import SandboxServer

    from .resilience_support import ShiftableClock

#: The client's ``ASTORAGE_TIMEOUT``, and a sandbox delay well past it.
CLIENT_TIMEOUT = 0.5
DELAY_SECONDS = 1.5
#: The ``Retry-After`` the sandbox sends with ``rate_limited``.
PROVIDER_RETRY_AFTER = 7

#: The provider is in trouble: 5xx, 429, HTML, not JSON, no token.
TROUBLE = ["html_500", "bad_gateway", "rate_limited", "not_json", "no_access_token"]
#: The provider did not answer.
SILENCE = ["delay", "close_connection"]
#: The code or the refresh token is dead.
REFUSALS = ["invalid_grant", "invalid_request"]
#: Our own configuration is wrong; the provider's words for it.
MISCONFIGURATIONS = {
    "invalid_client": "Client authentication failed",
    "invalid_scope": "The requested scope is invalid",
}

JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html"}


@pytest.fixture
def app_and_extension(sandbox: SandboxServer, tmp_path: Path) -> tuple[Flask, AStorage]:
    """An app with a short timeout, on the memory store (which can be counted)."""
    return make_app(
        sandbox,
        str(tmp_path),
        ASTORAGE_TIMEOUT=CLIENT_TIMEOUT,
        ASTORAGE_TOKEN_STORE="memory",
    )


@pytest.fixture
def logouts(app: Flask) -> Iterator[list[dict[str, Any]]]:
    """The ``logged_out`` signals the app sends during the test."""
    sent: list[dict[str, Any]] = []

    def receiver(sender: Flask, **details: Any) -> None:
        sent.append(details)

    signals.logged_out.connect(receiver, sender=app, weak=False)
    yield sent
    signals.logged_out.disconnect(receiver, sender=app)


def stored_logins(app: Flask) -> int:
    store = keeper_of(app).store
    assert isinstance(store, MemoryTokenStore)
    return len(store)


def fail_next(sandbox: SandboxServer, kind: str, grant_type: str) -> None:
    sandbox.fail_next(
        kind,
        grant_type=grant_type,
        retry_after=PROVIDER_RETRY_AFTER,
        delay_seconds=DELAY_SECONDS,
    )


def wait_for_token_calls(
    sandbox: SandboxServer, count: int, grant_type: str | None = None
) -> None:
    """Wait for a delayed call to be recorded: it is, once the sandbox answers."""
    wait_for(lambda: sandbox.token_calls(grant_type) >= count)


def expected_retry_after(kind: str) -> str:
    return str(PROVIDER_RETRY_AFTER if kind == "rate_limited" else DEFAULT_RETRY_AFTER)


def assert_not_cached(response: TestResponse) -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


# At the callback ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "retry_after"),
    [
        ("html_500", 502, None),
        ("bad_gateway", 502, None),
        ("rate_limited", 503, str(PROVIDER_RETRY_AFTER)),
        ("not_json", 502, None),
        ("no_access_token", 502, None),
        ("delay", 504, None),
        ("close_connection", 504, None),
    ],
)
def test_a_provider_in_trouble_at_the_callback_gets_a_retry_page(
    client: FlaskClient,
    sandbox: SandboxServer,
    kind: str,
    status: int,
    retry_after: str | None,
) -> None:
    callback_url = sandbox.approve(start_login(client))
    fail_next(sandbox, kind, "authorization_code")

    response = client.get(callback_path(callback_url))

    assert response.status_code == status
    assert response.headers.get("Retry-After") == retry_after
    assert_not_cached(response)
    page = response.get_data(as_text=True)
    assert 'href="/astorage/login"' in page
    assert "Try again" in page
    assert stored_logins(client.application) == 0
    with client.session_transaction() as session:
        assert LOGIN_ID_KEY not in session

    # The code is never sent again, not even when the callback is reopened.
    wait_for_token_calls(sandbox, 1)
    reopened = client.get(callback_path(callback_url))
    assert reopened.status_code == 400
    assert sandbox.token_calls("authorization_code") == 1

    # The retry link starts a new login, which completes.
    assert log_in(client, sandbox, next_url="/protected").status_code == 302
    assert client.get("/protected").status_code == 200
    assert sandbox.token_calls("authorization_code") == 2


@pytest.mark.parametrize("kind", REFUSALS)
def test_a_refused_code_gets_a_sign_in_again_page(
    client: FlaskClient, sandbox: SandboxServer, kind: str
) -> None:
    callback_url = sandbox.approve(start_login(client))
    fail_next(sandbox, kind, "authorization_code")

    response = client.get(callback_path(callback_url))

    assert response.status_code == 400
    assert_not_cached(response)
    page = response.get_data(as_text=True)
    assert "Sign in again" in page
    assert 'href="/astorage/login"' in page
    assert stored_logins(client.application) == 0
    assert client.get(callback_path(callback_url)).status_code == 400
    assert sandbox.token_calls("authorization_code") == 1


@pytest.mark.parametrize(("kind", "details"), MISCONFIGURATIONS.items())
def test_a_misconfigured_client_at_the_callback_gets_a_500_page(
    client: FlaskClient,
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    details: str,
) -> None:
    callback_url = sandbox.approve(start_login(client))
    fail_next(sandbox, kind, "authorization_code")

    with caplog.at_level(logging.DEBUG):
        response = client.get(callback_path(callback_url))

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "misconfigured" in page
    assert details not in page
    assert "hint" not in page
    assert [
        record.levelno for record in caplog.records if details in record.getMessage()
    ] == [logging.ERROR]
    assert stored_logins(client.application) == 0
    assert sandbox.token_calls("authorization_code") == 1


# At refresh -----------------------------------------------------------------


@pytest.mark.parametrize("headers", [BROWSER, JSON], ids=["browser", "json"])
@pytest.mark.parametrize("kind", TROUBLE + SILENCE)
def test_a_provider_in_trouble_at_refresh_of_an_expired_token_answers_503(
    app: Flask,
    client: FlaskClient,
    sandbox: SandboxServer,
    provider_clock: ShiftableClock,
    login_id: str,
    logouts: list[dict[str, Any]],
    kind: str,
    headers: dict[str, str],
) -> None:
    expire_login(app, login_id, provider_clock)
    before = keeper_of(app).store.load(login_id)
    fail_next(sandbox, kind, "refresh_token")

    response = client.get("/protected", headers=headers)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == expected_retry_after(kind)
    if headers is JSON:
        assert set(response.get_json()) == {"error", "error_description"}
    else:
        assert "Try again" in response.get_data(as_text=True)
    assert keeper_of(app).store.load(login_id) == before
    assert logouts == []

    # The next request tries again, and succeeds.
    wait_for_token_calls(sandbox, 1, "refresh_token")
    again = client.get("/protected", headers=headers)
    assert again.status_code == 200
    assert again.get_json()["api"]["name"] == "alice"
    assert sandbox.token_calls("refresh_token") == 2
    assert keeper_of(app).store.load(login_id) != before


@pytest.mark.parametrize("kind", TROUBLE)
def test_a_provider_in_trouble_at_refresh_of_a_valid_token_serves_the_view(
    app: Flask,
    client: FlaskClient,
    sandbox: SandboxServer,
    login_id: str,
    logouts: list[dict[str, Any]],
    kind: str,
) -> None:
    # Inside the refresh leeway, but not expired yet.
    set_stored_expiry(app, login_id, time.time() + 30)
    before = keeper_of(app).store.load(login_id)
    fail_next(sandbox, kind, "refresh_token")

    response = client.get("/protected")

    assert response.status_code == 200
    assert response.get_json()["api"]["name"] == "alice"
    assert keeper_of(app).store.load(login_id) == before
    assert logouts == []
    wait_for_token_calls(sandbox, 1, "refresh_token")
    assert sandbox.token_calls("refresh_token") == 1


@pytest.mark.parametrize("kind", SILENCE)
def test_a_silent_provider_at_refresh_of_a_valid_token_answers_503(
    app: Flask,
    client: FlaskClient,
    sandbox: SandboxServer,
    login_id: str,
    logouts: list[dict[str, Any]],
    kind: str,
) -> None:
    # The provider may have rotated the tokens before going silent, so the
    # table of issue 3 answers 503 here even though the token looks valid.
    set_stored_expiry(app, login_id, time.time() + 30)
    before = keeper_of(app).store.load(login_id)
    fail_next(sandbox, kind, "refresh_token")

    response = client.get("/protected", headers=JSON)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == expected_retry_after(kind)
    assert keeper_of(app).store.load(login_id) == before
    assert logouts == []


@pytest.mark.parametrize("still_valid", [False, True], ids=["expired", "valid"])
@pytest.mark.parametrize("kind", REFUSALS)
def test_a_refused_refresh_forgets_the_token_and_sends_the_browser_to_login(
    app: Flask,
    client: FlaskClient,
    sandbox: SandboxServer,
    provider_clock: ShiftableClock,
    login_id: str,
    logouts: list[dict[str, Any]],
    kind: str,
    still_valid: bool,
) -> None:
    if still_valid:
        set_stored_expiry(app, login_id, time.time() + 30)
    else:
        expire_login(app, login_id, provider_clock)
    fail_next(sandbox, kind, "refresh_token")

    response = client.get("/protected", headers=BROWSER)

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/astorage/login?")
    assert query_of(location) == {"next": ["/protected"]}
    assert keeper_of(app).store.load(login_id) is None
    assert logouts == [{"user_id": "1", "reason": "token_rejected"}]


@pytest.mark.parametrize("kind", REFUSALS)
def test_a_refused_refresh_answers_a_json_client_401(
    app: Flask,
    client: FlaskClient,
    sandbox: SandboxServer,
    provider_clock: ShiftableClock,
    login_id: str,
    kind: str,
) -> None:
    expire_login(app, login_id, provider_clock)
    fail_next(sandbox, kind, "refresh_token")

    response = client.get("/protected", headers=JSON)

    assert response.status_code == 401
    assert response.get_json()["error"] == "login_required"
    assert keeper_of(app).store.load(login_id) is None


@pytest.mark.parametrize("still_valid", [False, True], ids=["expired", "valid"])
@pytest.mark.parametrize(("kind", "details"), MISCONFIGURATIONS.items())
def test_a_misconfigured_client_at_refresh_answers_500_and_keeps_the_token(
    app: Flask,
    client: FlaskClient,
    sandbox: SandboxServer,
    provider_clock: ShiftableClock,
    login_id: str,
    logouts: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
    kind: str,
    details: str,
    still_valid: bool,
) -> None:
    if still_valid:
        set_stored_expiry(app, login_id, time.time() + 30)
    else:
        expire_login(app, login_id, provider_clock)
    before = keeper_of(app).store.load(login_id)
    fail_next(sandbox, kind, "refresh_token")

    with caplog.at_level(logging.DEBUG):
        response = client.get("/protected")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "misconfigured" in page
    assert details not in page
    assert [
        record.levelno for record in caplog.records if details in record.getMessage()
    ] == [logging.ERROR]
    assert keeper_of(app).store.load(login_id) == before
    assert logouts == []
