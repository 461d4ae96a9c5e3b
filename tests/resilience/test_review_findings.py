"""Inputs found by a security review that the other resilience tests missed.

Each test names what went wrong before its fix: a stream sent again empty
after a 401, a logout undone by a refresh in flight, odd members of a token
answer, session data of the wrong type, the sandbox failing on odd
authorize parameters, secrets in a ``repr``, a key that is not a key, and a
redirect loop in the API.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest
from flask import Flask
from flask import redirect
from flask import request

from flask_astorage import AStorage
from flask_astorage import ConfigurationError
from flask_astorage import ProviderUnavailable
from flask_astorage.config import load_settings
from flask_astorage.login_state import PendingLogin
from flask_astorage.sandbox import serve_in_thread
from flask_astorage.state import LOGIN_ID_KEY
from tests.support import TEST_CLIENT_REDIRECT_URI
from tests.support import log_in
from tests.support import query_of
from tests.support import start_login

from .resilience_support import LOGIN
from .resilience_support import CannedAnswer
from .resilience_support import CannedProvider
from .resilience_support import app_for_provider
from .resilience_support import as_the_user
from .resilience_support import fake_jwt
from .resilience_support import store_login
from .resilience_support import stored
from .resilience_support import token_answer

if TYPE_CHECKING:
    from flask.testing import FlaskClient
    from werkzeug.wrappers import Response

    from flask_astorage.sandbox import SandboxServer

NEW_REFRESH_TOKEN = "refresh-new"
#: Seconds a test waits for a request that must not finish on its own.
BLOCKED_FOR = 0.5


@pytest.fixture
def canned() -> Iterator[CannedProvider]:
    provider = CannedProvider()
    with serve_in_thread(provider.app) as server:
        provider.url = server.url
        yield provider


@pytest.fixture(params=["sqlite", "memory"])
def server_store_name(request: pytest.FixtureRequest) -> str:
    """The stores that keep tokens on the server."""
    return str(request.param)


@pytest.fixture
def canned_app(
    canned: CannedProvider, tmp_path: Path, server_store_name: str
) -> Iterator[Flask]:
    """An app talking to the canned provider, with a protected ``/files``."""
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(
        SECRET_KEY="test-secret-key",
        ASTORAGE_CLIENT_ID="client-1",
        ASTORAGE_CLIENT_SECRET="secret-1",
        ASTORAGE_BASE_URL=canned.url,
        ASTORAGE_TOKEN_STORE=server_store_name,
    )
    astorage = AStorage(app)

    @app.get("/files")
    @astorage.login_required
    def files() -> str:
        return "files"

    yield app
    app.extensions["astorage"].api.close()


@pytest.fixture
def canned_astorage(canned_app: Flask) -> AStorage:
    extension: AStorage = canned_app.extensions["astorage"].extension
    return extension


def browser_of(app: Flask, login_id: str = LOGIN) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as cookie_session:
        cookie_session[LOGIN_ID_KEY] = login_id
    return client


class StalledAnswer:
    """A token answer that waits, in the provider, until the test releases it."""

    def __init__(self, answer: tuple[int, dict[str, Any]]) -> None:
        self.answer = answer
        self.arrived = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> tuple[int, dict[str, Any]]:
        self.arrived.set()
        self.release.wait(10)
        return self.answer


def in_thread(call: Callable[[], Response]) -> tuple[threading.Thread, list[Response]]:
    answers: list[Response] = []
    thread = threading.Thread(target=lambda: answers.append(call()), daemon=True)
    thread.start()
    return thread, answers


# A stream is not sent twice -----------------------------------------------------


STREAMED_BODIES: dict[str, Callable[[], dict[str, Any]]] = {
    "file": lambda: {"data": io.BytesIO(b"file contents")},
    "generator": lambda: {"data": (part for part in [b"file ", b"contents"])},
    "multipart-file": lambda: {"files": {"upload": io.BytesIO(b"file contents")}},
}


@pytest.fixture
def bodies_refused_once(canned_app: Flask, canned: CannedProvider) -> list[bytes]:
    """A valid login whose API refuses the first call with 401, then accepts.

    Returns the bodies the API received, in order.
    """
    store_login(canned_app, expires_at=time.time() + 3600)
    canned.token_answers.append(
        token_answer(access_token="access-new", expires_in=3600)
    )
    canned.api_statuses.extend([401, 200])
    bodies: list[bytes] = []
    canned.api_hook = lambda: bodies.append(request.get_data())
    return bodies


@pytest.mark.parametrize("body_kind", STREAMED_BODIES)
def test_a_streamed_body_refused_401_is_not_sent_again_empty(
    canned_app: Flask,
    canned_astorage: AStorage,
    bodies_refused_once: list[bytes],
    body_kind: str,
) -> None:
    # Before the fix the PUT was retried after the refresh with the stream
    # already read, and the API stored an empty upload with a 200.
    bodies = bodies_refused_once

    with as_the_user(canned_app):
        response = canned_astorage.api.put(
            "/api/files/report.txt", **STREAMED_BODIES[body_kind]()
        )

    assert response.status_code == 401
    assert len(bodies) == 1
    assert b"file contents" in bodies[0]


def test_a_body_that_can_be_read_twice_is_still_retried(
    canned_app: Flask, canned_astorage: AStorage, bodies_refused_once: list[bytes]
) -> None:
    bodies = bodies_refused_once

    with as_the_user(canned_app):
        response = canned_astorage.api.put(
            "/api/files/report.txt",
            data={"name": "file contents", "size": 13},
            files={"upload": ("report.txt", b"more")},
        )

    assert response.status_code == 200
    assert len(bodies) == 2
    assert all(b"file contents" in sent and b"more" in sent for sent in bodies)


# A logout or a new login is not undone by a refresh in flight --------------------


def start_canned_login(client: FlaskClient) -> str:
    """Start a login against the canned provider; return its state."""
    [state] = query_of(start_login(client))["state"]
    return state


@pytest.mark.parametrize("ending", ["logout", "new login"])
def test_a_refresh_in_flight_does_not_bring_an_ended_login_back(
    canned_app: Flask, canned: CannedProvider, ending: str
) -> None:
    # Before the fix the logout (or the new login) deleted the token while
    # the refresh waited for the provider; the refresh then stored its new
    # token, and the old session cookie worked again.
    store_login(canned_app, expires_at=time.time() - 60)
    stalled = StalledAnswer(
        token_answer(
            access_token=fake_jwt(sub="7"),
            refresh_token=NEW_REFRESH_TOKEN,
            expires_in=3600,
        )
    )
    canned.token_answers.append(stalled)
    refreshing, _ = in_thread(lambda: browser_of(canned_app).get("/files"))
    assert stalled.arrived.wait(10)

    browser = browser_of(canned_app)
    if ending == "logout":
        ending_thread, answers = in_thread(lambda: browser.post("/astorage/logout"))
    else:
        state = start_canned_login(browser)
        canned.token_answers.append(
            token_answer(
                access_token=fake_jwt(sub="7"), refresh_token="r", expires_in=9
            )
        )
        ending_thread, answers = in_thread(
            lambda: browser.get(f"/astorage/callback?code=c&state={state}")
        )
    ending_thread.join(BLOCKED_FOR)
    stalled.release.set()
    refreshing.join(10)
    ending_thread.join(10)

    assert [answer.status_code for answer in answers] == [302]
    assert stored(canned_app) is None
    assert browser_of(canned_app).get("/files").status_code == 302


# Odd members of a successful token answer --------------------------------------

ODD_MEMBERS = [
    {"error": ""},
    {"error": None},
    {"error": 0},
    {"expires_at": [1]},
    {"expires_at": {"at": 1}},
    {"expires_at": float("inf")},
]


@pytest.mark.parametrize("odd", ODD_MEMBERS, ids=repr)
def test_a_successful_refresh_with_odd_members_is_kept(
    canned_app: Flask,
    canned: CannedProvider,
    canned_astorage: AStorage,
    odd: dict[str, Any],
) -> None:
    # Before the fix Authlib raised on these (an OAuthError, a TypeError,
    # an OverflowError): a 500, and the rotated refresh token was dropped,
    # so the next refresh sent a dead one and ended the login.
    store_login(canned_app, expires_at=time.time() - 60)
    answer: CannedAnswer = (
        200,
        {
            "access_token": "access-new",
            "refresh_token": NEW_REFRESH_TOKEN,
            "expires_in": 3600,
            **odd,
        },
    )
    canned.token_answers.append(answer)

    response = browser_of(canned_app).get("/files")

    assert response.status_code == 200, response.get_data(as_text=True)
    token = stored(canned_app)
    assert token is not None
    assert token.refresh_token == NEW_REFRESH_TOKEN


@pytest.mark.parametrize("odd", ODD_MEMBERS[:2] + ODD_MEMBERS[3:4], ids=repr)
def test_a_code_exchange_with_odd_members_logs_in(
    canned_app: Flask, canned: CannedProvider, odd: dict[str, Any]
) -> None:
    client = canned_app.test_client()
    state = start_canned_login(client)
    canned.token_answers.append(
        (200, {"access_token": "access-new", "refresh_token": "r", **odd})
    )

    response = client.get(f"/astorage/callback?code=c&state={state}")

    assert response.status_code == 302, response.get_data(as_text=True)
    with client.session_transaction() as cookie_session:
        login_id = cookie_session[LOGIN_ID_KEY]
    assert stored(canned_app, login_id) is not None


# Session data of the wrong type ---------------------------------------------------


def pending_entry(**changes: Any) -> dict[str, Any]:
    """A pending login as the session stores it, with ``changes``."""
    return {
        "state": "s",
        "redirect_uri": TEST_CLIENT_REDIRECT_URI,
        "code_verifier": None,
        "next_url": None,
        "started_at": time.time(),
        **changes,
    }


WRONG_PENDING_LOGINS = [
    pytest.param([pending_entry(state=1)], id="state"),
    pytest.param([pending_entry(redirect_uri=3)], id="redirect_uri"),
    pytest.param([pending_entry(code_verifier=4)], id="code_verifier"),
    pytest.param([pending_entry(next_url=5)], id="next_url"),
    pytest.param([pending_entry(started_at="2024-01-01")], id="started_at-text"),
    pytest.param([pending_entry(started_at=None)], id="started_at-null"),
    pytest.param([pending_entry(started_at=True)], id="started_at-bool"),
    pytest.param(["s"], id="list-of-text"),
    pytest.param({"s": 1}, id="object"),
]


@pytest.mark.parametrize("pending", WRONG_PENDING_LOGINS)
def test_pending_logins_of_the_wrong_type_are_ignored(
    client: FlaskClient, pending: Any
) -> None:
    # A validly signed session from another version of the extension, or
    # the app, may hold these; before the fix some answered 500 at every
    # login, so the browser could not sign in until its cookie expired.
    with client.session_transaction() as cookie_session:
        cookie_session["_astorage_pending"] = pending

    callback = client.get("/astorage/callback?state=s&code=c")
    login = client.get("/astorage/login")

    assert callback.status_code == 400, callback.get_data(as_text=True)
    assert login.status_code == 302, login.get_data(as_text=True)


@pytest.mark.parametrize("completed", [5, "s", {"d": "/"}, [[1, 2], ["d"], 3]])
def test_finished_logins_of_the_wrong_type_are_ignored(
    client: FlaskClient, sandbox: SandboxServer, completed: Any
) -> None:
    # Before the fix a number here answered 500 after the code was traded:
    # the code was spent and the user was not logged in.
    with client.session_transaction() as cookie_session:
        cookie_session["_astorage_completed"] = completed

    refused = client.get("/astorage/callback?state=s&code=c")
    response = log_in(client, sandbox)

    assert refused.status_code == 400, refused.get_data(as_text=True)
    assert response.status_code == 302, response.get_data(as_text=True)
    with client.session_transaction() as cookie_session:
        assert isinstance(cookie_session.get(LOGIN_ID_KEY), str)


# The sandbox under odd authorize parameters ----------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"response_type": 'code"'},
        {"response_type": "c\\ode"},
        {"response_type": "cöde"},
        {"response_type": "code\x7f"},
        {"redirect_uri": 'http://localhost/"'},
        {"redirect_uri": "http://localhost/é"},
        {"redirect_uri": "http://localhost/\\"},
    ],
    ids=repr,
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_sandbox_refuses_odd_authorize_parameters_with_a_page(
    sandbox: SandboxServer, changes: dict[str, str], method: str
) -> None:
    # Authlib writes the value into an error description, then refuses its
    # own description, raising ValueError: the sandbox answered 500.
    params = {
        "client_id": sandbox.client_id,
        "redirect_uri": TEST_CLIENT_REDIRECT_URI,
        "response_type": "code",
        "scope": "",
        "state": "s",
        "username": "alice",
        "decision": "approve",
        **changes,
    }
    client = sandbox.app.test_client()

    if method == "GET":
        response = client.get("/oauth/authorize", query_string=params)
    else:
        response = client.post("/oauth/authorize", data=params)

    assert response.status_code == 400, response.get_data(as_text=True)
    assert "Location" not in response.headers


# Secrets in a repr, and a key that is not a key -----------------------------------


def test_a_pending_login_does_not_show_its_secrets_in_its_repr() -> None:
    pending = PendingLogin(
        state="the-state-value",
        redirect_uri=TEST_CLIENT_REDIRECT_URI,
        code_verifier="the-code-verifier",
        next_url="/files",
        started_at=0.0,
    )

    shown = repr(pending)

    assert "the-state-value" not in shown
    assert "the-code-verifier" not in shown


@pytest.mark.parametrize(
    "pem",
    [
        "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----",
    ],
)
def test_a_public_key_that_does_not_load_is_refused_at_init_app(pem: str) -> None:
    # Before the fix every read of astorage.user_id answered 500 instead.
    config = {
        "ASTORAGE_CLIENT_ID": "client-1",
        "ASTORAGE_CLIENT_SECRET": "secret-1",
        "ASTORAGE_PUBLIC_KEY": pem,
    }

    with pytest.raises(ConfigurationError, match="'ASTORAGE_PUBLIC_KEY'"):
        load_settings(config)


# An API that redirects forever ------------------------------------------------------


@pytest.fixture
def looping_app(tmp_path: Path) -> Iterator[Flask]:
    """An app whose API answers every path with a redirect to itself."""
    api = Flask("looping_api")

    @api.get("/<path:name>")
    def loop(name: str) -> Response:
        return redirect(request.path)

    with serve_in_thread(api) as server:
        app, _ = app_for_provider(server.url, str(tmp_path))
        yield app
        app.extensions["astorage"].api.close()


def test_an_api_redirect_loop_is_a_provider_error(looping_app: Flask) -> None:
    # Before the fix requests' TooManyRedirects reached the view: a 500.
    astorage: AStorage = looping_app.extensions["astorage"].extension
    store_login(looping_app, expires_at=time.time() + 3600)

    with (
        as_the_user(looping_app),
        pytest.raises(ProviderUnavailable, match="Alpha Storage"),
    ):
        astorage.api.get("/api/files")


# An API that redirects out of its base path ---------------------------------


@pytest.fixture
def leaving_api(tmp_path: Path) -> Iterator[tuple[Flask, list[str | None]]]:
    """An app whose API, below ``/api``, redirects to ``/outside``.

    ``/outside`` is on the same host but not below ``ASTORAGE_API_BASE_URL``;
    it records the ``Authorization`` it receives and answers 401.
    """
    api = Flask("leaving_api")
    received: list[str | None] = []

    @api.get("/api/leave")
    def leave() -> Response:
        return redirect("/outside")

    @api.get("/outside")
    def outside() -> tuple[str, int]:
        received.append(request.headers.get("Authorization"))
        return "", 401

    with serve_in_thread(api) as server:
        app, _ = app_for_provider(
            server.url, str(tmp_path), ASTORAGE_API_BASE_URL=f"{server.url}/api"
        )
        yield app, received
        app.extensions["astorage"].api.close()


def test_a_redirect_out_of_the_api_path_carries_no_token_and_refreshes_nothing(
    leaving_api: tuple[Flask, list[str | None]],
) -> None:
    app, received = leaving_api
    astorage: AStorage = app.extensions["astorage"].extension
    store_login(app, expires_at=time.time() + 3600)
    before = stored(app)

    with as_the_user(app):
        response = astorage.api.get("leave")

    # Not the API's own 401: no refresh, no retry, the token untouched.
    assert response.status_code == 401
    assert received == [None]
    assert stored(app) == before
