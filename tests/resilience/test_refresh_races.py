"""One refresh, however many requests: threads, a stale cookie, worker processes.

The provider rotates refresh tokens, so a second refresh with the same token
is refused and would log the user out.  These tests fire many requests of
one login at once, over real loopback HTTP, and count the sandbox's refresh
calls.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest
import requests
from flask import Flask

from flask_astorage import signals
from flask_astorage.extension import SQLITE_FILE_NAME
from flask_astorage.sandbox import serve_in_thread
from flask_astorage.state import LOGIN_ID_KEY
from flask_astorage.stores import SQLiteTokenStore
from tests.support import TEST_CLIENT_REDIRECT_URI
from tests.support import free_port
from tests.support import make_app

from .resilience_support import ACCESS_TOKEN_LIFETIME
from .resilience_support import Browser
from .resilience_support import expire_at_provider
from .resilience_support import read_session
from .resilience_support import set_expiry
from .resilience_support import stored_token
from .resilience_support import wait_for

if TYPE_CHECKING:
    from flask_astorage.sandbox import SandboxServer
    from flask_astorage.tokens import Token

    from .resilience_support import ShiftableClock

#: Where ``demo_app.py`` lives.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The demo's ``SECRET_KEY``, so that the test can read its cookies.
DEMO_SECRET_KEY = "resilience-demo-secret"


@pytest.fixture
def logouts() -> Iterator[list[dict[str, Any]]]:
    """Every ``logged_out`` signal sent during the test, by any app."""
    sent: list[dict[str, Any]] = []

    def receiver(sender: Flask, **details: Any) -> None:
        sent.append(details)

    signals.logged_out.connect(receiver, weak=False)
    yield sent
    signals.logged_out.disconnect(receiver)


def race_app(
    sandbox: SandboxServer, tmp_path: Path, store: str, **config: Any
) -> Flask:
    app, _ = make_app(
        sandbox,
        str(tmp_path),
        ASTORAGE_TOKEN_STORE=store,
        # The sandbox knows the test client's callback; the browser below
        # carries the callback's query to the served app instead.
        ASTORAGE_REDIRECT_URI=TEST_CLIENT_REDIRECT_URI,
        **config,
    )
    return app


def fire_at_once(count: int, send: Any) -> list[requests.Response]:
    """Call ``send()`` from ``count`` threads released together."""
    start = threading.Barrier(count)

    def one(_: int) -> requests.Response:
        start.wait()
        response: requests.Response = send()
        return response

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


@pytest.mark.parametrize("store", ["sqlite", "memory", "session"])
def test_fifty_threads_with_an_expired_token_cause_one_refresh(
    sandbox: SandboxServer,
    provider_clock: ShiftableClock,
    tmp_path: Path,
    logouts: list[dict[str, Any]],
    store: str,
) -> None:
    app = race_app(sandbox, tmp_path, store)
    with serve_in_thread(app) as server:
        browser = Browser(server.url)
        assert browser.log_in(sandbox).status_code == 302
        assert browser.cookie is not None
        expired = set_expiry(app, browser.cookie, time.time() - 1)
        expire_at_provider(provider_clock)

        responses = fire_at_once(
            50, lambda: Browser(server.url, expired).get("/protected")
        )

    assert [response.status_code for response in responses] == [200] * 50
    assert all(response.json()["api"]["name"] == "alice" for response in responses)
    assert sandbox.token_calls("refresh_token") == 1
    assert logouts == []
    new_tokens = {_token_in(app, response, expired) for response in responses}
    assert len(new_tokens) == 1
    [new_token] = new_tokens
    assert new_token.expires_at is not None
    assert new_token.expires_at > time.time() + ACCESS_TOKEN_LIFETIME / 2


def _token_in(app: Flask, response: requests.Response, sent_cookie: str) -> Token:
    """The token a response left the login with (in its cookie, or stored)."""
    cookie = response.cookies.get("session") or sent_cookie
    token = stored_token(app, cookie)
    assert token is not None
    return token


@pytest.mark.parametrize(
    ("grace", "served"), [(60, True), (0, False)], ids=["grace", "no-grace"]
)
def test_a_cookie_from_before_the_refresh_gets_the_new_token(
    sandbox: SandboxServer,
    provider_clock: ShiftableClock,
    tmp_path: Path,
    logouts: list[dict[str, Any]],
    grace: int,
    served: bool,
) -> None:
    app = race_app(sandbox, tmp_path, "session", ASTORAGE_REFRESH_GRACE=grace)
    with serve_in_thread(app) as server:
        browser = Browser(server.url)
        assert browser.log_in(sandbox).status_code == 302
        assert browser.cookie is not None
        stale_cookie = set_expiry(app, browser.cookie, time.time() - 1)
        expire_at_provider(provider_clock)

        first_tab = Browser(server.url, stale_cookie)
        assert first_tab.get("/protected").status_code == 200
        second_tab = Browser(server.url, stale_cookie)
        late = second_tab.get("/protected")

    assert sandbox.token_calls("refresh_token") == (1 if served else 2)
    assert first_tab.cookie is not None
    refreshed = stored_token(app, first_tab.cookie)
    if served:
        assert late.status_code == 200
        assert late.json()["api"]["name"] == "alice"
        assert second_tab.cookie is not None
        assert stored_token(app, second_tab.cookie) == refreshed
        assert logouts == []
    else:
        # Without the grace period the stale refresh token is sent, refused,
        # and the login ends: what the grace period is there to prevent.
        assert late.status_code == 302
        assert logouts == [{"user_id": "1", "reason": "token_rejected"}]


# Worker processes -----------------------------------------------------------


@pytest.fixture
def demo_server(sandbox: SandboxServer, tmp_path: Path) -> Iterator[str]:
    """The demo app under ``gunicorn -w 4``, on the default SQLite store."""
    port = free_port()
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ASTORAGE_")
    }
    environment.update(
        ASTORAGE_CLIENT_ID=sandbox.client_id,
        ASTORAGE_CLIENT_SECRET=sandbox.client_secret,
        ASTORAGE_BASE_URL=sandbox.url,
        ASTORAGE_REDIRECT_URI=TEST_CLIENT_REDIRECT_URI,
        SECRET_KEY=DEMO_SECRET_KEY,
        DEMO_INSTANCE_PATH=str(tmp_path / "instance"),
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers=4",
        f"--bind=127.0.0.1:{port}",
        f"--chdir={PROJECT_ROOT}",
        "demo_app:create_app()",
    ]
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "gunicorn.log").open("w") as log:
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=log)
        try:
            wait_for(lambda: _answers(url, process), seconds=30)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def _answers(url: str, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, "gunicorn exited; see gunicorn.log"
    try:
        return requests.get(url + "/", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


def test_forty_requests_to_four_worker_processes_cause_one_refresh(
    sandbox: SandboxServer, demo_server: str, tmp_path: Path
) -> None:
    store = SQLiteTokenStore(tmp_path / "instance" / SQLITE_FILE_NAME)
    sandbox.update_settings(access_token_lifetime=1)
    browser = Browser(demo_server)
    assert browser.log_in(sandbox, next_url="/profile").status_code == 302
    assert browser.cookie is not None
    login_id = read_session_login_id(browser.cookie)
    issued = store.load(login_id)
    assert issued is not None
    assert issued.expires_at is not None
    expires_at = issued.expires_at
    wait_for(lambda: time.time() > expires_at + 0.1, seconds=5)
    sandbox.update_settings(access_token_lifetime=ACCESS_TOKEN_LIFETIME)

    cookie = browser.cookie
    responses = fire_at_once(40, lambda: Browser(demo_server, cookie).get("/profile"))

    assert [response.status_code for response in responses] == [200] * 40
    assert all('id="user-id">1<' in response.text for response in responses)
    assert sandbox.token_calls("refresh_token") == 1
    refreshed = store.load(login_id)
    assert refreshed is not None
    assert refreshed.refresh_token != issued.refresh_token
    assert Browser(demo_server, cookie).get("/profile").status_code == 200
    assert sandbox.token_calls("refresh_token") == 1


def read_session_login_id(cookie: str) -> str:
    """The login id in a cookie of the demo app, signed with its secret key."""
    signer = Flask(__name__)
    signer.secret_key = DEMO_SECRET_KEY
    login_id: str = read_session(signer, cookie)[LOGIN_ID_KEY]
    return login_id
