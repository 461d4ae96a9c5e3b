"""Helpers of the resilience tests: clocks, browsers, cookies, a canned provider."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import quote

import requests
from flask import Flask
from flask import Response
from flask import jsonify
from flask import request
from flask import session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from joserfc import jwt
from joserfc.jwk import OctKey

from flask_astorage import AStorage
from flask_astorage.state import LOGIN_ID_KEY
from flask_astorage.stores.session import SESSION_KEY
from flask_astorage.stores.session import SessionTokenStore
from flask_astorage.tokens import Token
from tests.support import callback_path

if TYPE_CHECKING:
    from flask_astorage.refresh import TokenKeeper
    from flask_astorage.sandbox import SandboxServer

#: Seconds any one request of a test may take before the test fails.
REQUEST_TIMEOUT = 20.0

#: Seconds the sandbox's access tokens live in these tests: past the
#: client's refresh leeway (60 s), so a fresh token is not refreshed at once.
ACCESS_TOKEN_LIFETIME = 300

#: The name of Flask's session cookie.
SESSION_COOKIE = "session"


class ShiftableClock:
    """The wall clock plus an offset: the sandbox's view of time, movable."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def shift(self, seconds: float) -> None:
        self.offset += seconds


class Browser:
    """A browser stand-in over real HTTP that keeps one session cookie.

    Redirects are never followed, so each step of a flow can be checked.
    """

    def __init__(self, base_url: str, cookie: str | None = None) -> None:
        self.base_url = base_url
        self.cookie = cookie

    def get(self, path: str, **headers: str) -> requests.Response:
        return self.request("GET", path, headers)

    def post(self, path: str, **headers: str) -> requests.Response:
        return self.request("POST", path, headers)

    def request(
        self, method: str, path: str, headers: dict[str, str]
    ) -> requests.Response:
        sent = dict(headers)
        if self.cookie is not None:
            sent["Cookie"] = f"{SESSION_COOKIE}={self.cookie}"
        response = requests.request(
            method,
            self.base_url + path,
            headers=sent,
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )
        self._keep_cookie(response)
        return response

    def log_in(
        self, sandbox: SandboxServer, *, next_url: str | None = None
    ) -> requests.Response:
        """Log in through the app and the sandbox; return the callback's answer."""
        path = "/astorage/login"
        if next_url is not None:
            path += "?next=" + quote(next_url, safe="")
        login = self.get(path)
        assert login.status_code == 302, login.text
        callback_url = sandbox.approve(login.headers["Location"])
        return self.get(callback_path(callback_url))

    def _keep_cookie(self, response: requests.Response) -> None:
        for header in response.raw.headers.getlist("Set-Cookie"):
            morsel = SimpleCookie(header).get(SESSION_COOKIE)
            if morsel is not None:
                self.cookie = morsel.value or None


def read_session(app: Flask, cookie: str) -> dict[str, Any]:
    """Return the contents of a signed session cookie of ``app``."""
    data: dict[str, Any] = _session_signer(app).loads(cookie)
    return data


def sign_session(app: Flask, data: dict[str, Any]) -> str:
    """Return a session cookie of ``app`` holding ``data``."""
    return str(_session_signer(app).dumps(data))


def _session_signer(app: Flask) -> URLSafeTimedSerializer:
    interface = app.session_interface
    assert isinstance(interface, SecureCookieSessionInterface)
    signer = interface.get_signing_serializer(app)
    assert signer is not None, "the app has no SECRET_KEY"
    return signer


def keeper_of(app: Flask) -> TokenKeeper:
    keeper: TokenKeeper = app.extensions["astorage"].keeper
    return keeper


def stored_token(app: Flask, cookie: str) -> Token | None:
    """Return the token of the login whose session cookie is ``cookie``."""
    data = read_session(app, cookie)
    store = keeper_of(app).store
    if isinstance(store, SessionTokenStore):
        stored = data.get(SESSION_KEY)
        return None if stored is None else Token.from_dict(stored["token"])
    login_id = data.get(LOGIN_ID_KEY)
    return None if login_id is None else store.load(login_id)


def set_expiry(app: Flask, cookie: str, expires_at: float) -> str:
    """Make the app believe the login's access token expires at ``expires_at``.

    :returns: The session cookie to send from now on, which changes only
        with the session store.
    """
    data = read_session(app, cookie)
    store = keeper_of(app).store
    if isinstance(store, SessionTokenStore):
        data[SESSION_KEY]["token"]["expires_at"] = expires_at
        return sign_session(app, data)

    login_id = data[LOGIN_ID_KEY]
    token = store.load(login_id)
    assert token is not None
    store.save(login_id, token.replace(expires_at=expires_at))
    return cookie


def expire_at_provider(provider_clock: ShiftableClock) -> None:
    """Move the sandbox past the life of every access token issued so far."""
    provider_clock.shift(ACCESS_TOKEN_LIFETIME + 1)


def set_stored_expiry(app: Flask, login_id: str, expires_at: float) -> None:
    """Make the app believe the login's access token expires at ``expires_at``."""
    store = keeper_of(app).store
    token = store.load(login_id)
    assert token is not None
    store.save(login_id, token.replace(expires_at=expires_at))


def expire_login(app: Flask, login_id: str, provider_clock: ShiftableClock) -> None:
    """Expire the login's access token, for the app and for the sandbox."""
    set_stored_expiry(app, login_id, time.time() - 1)
    expire_at_provider(provider_clock)


def wait_for(condition: Callable[[], bool], *, seconds: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the awaited condition never held"
        time.sleep(0.02)


def fake_jwt(**claims: Any) -> str:
    """Return a signed JWT with ``claims``, as an access token stand-in."""
    return jwt.encode({"alg": "HS256"}, claims, _FAKE_JWT_KEY)


_FAKE_JWT_KEY = OctKey.generate_key(256)

#: What a :class:`CannedProvider` answers a token request with: a status
#: and a JSON body, or a function run in the server that returns them.
CannedAnswer = tuple[int, dict[str, Any]] | Callable[[], tuple[int, dict[str, Any]]]


class CannedProvider:
    """A token endpoint and an API that answer what the test queued.

    ``/oauth/token`` pops the next of :attr:`token_answers`; ``/api/...``
    pops the next of :attr:`api_statuses` (200 when none is left), after
    :attr:`api_delay` seconds and a call to :attr:`api_hook`.  Every request
    is recorded.
    """

    def __init__(self) -> None:
        #: Set by the test once the provider is served.
        self.url = ""
        self.token_answers: list[CannedAnswer] = []
        self.token_requests: list[dict[str, str]] = []
        self.api_statuses: list[int] = []
        self.api_requests: list[tuple[str, str]] = []
        self.api_delay = 0.0
        self.api_hook: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self.app = Flask("canned_provider")
        self.app.add_url_rule("/oauth/token", "token", self._token, methods=["POST"])
        self.app.add_url_rule(
            "/api/<path:name>",
            "api",
            self._api,
            methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        )

    def _token(self) -> Response:
        with self._lock:
            self.token_requests.append(request.form.to_dict())
            answer = self.token_answers.pop(0)
        status, body = answer() if callable(answer) else answer
        response = jsonify(body)
        response.status_code = status
        return response

    def _api(self, name: str) -> Response:
        with self._lock:
            self.api_requests.append(
                (request.method, request.headers.get("Authorization", ""))
            )
            status = self.api_statuses.pop(0) if self.api_statuses else 200
        if self.api_hook is not None:
            self.api_hook()
        time.sleep(self.api_delay)
        response = jsonify(path=name)
        response.status_code = status
        return response


def token_answer(**fields: Any) -> tuple[int, dict[str, Any]]:
    """A successful token answer with ``fields``; ``None`` values are left out."""
    return 200, {name: value for name, value in fields.items() if value is not None}


class RecordCollector(logging.Handler):
    """Keep every record as the formatted line a log file would get.

    Records written by :attr:`ignored_thread` (the test's browser stand-in)
    are skipped: what the browser sends is not the server's log.
    """

    def __init__(self, ignored_thread: int | None = None) -> None:
        super().__init__(logging.DEBUG)
        self.ignored_thread = ignored_thread
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.ignored_thread:
            return
        self.lines.append(self.format(record))


@contextmanager
def everything_logged(ignored_thread: int | None = None) -> Iterator[RecordCollector]:
    """Capture every record of every logger at DEBUG, for the duration."""
    collector = RecordCollector(ignored_thread)
    names = ["", "authlib", "werkzeug", "urllib3", "flask_astorage"]
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield collector
    finally:
        root.removeHandler(collector)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def app_for_provider(
    base_url: str, instance_path: str, **config: Any
) -> tuple[Flask, AStorage]:
    """Build an app on the memory store whose provider lives at ``base_url``."""
    app = Flask(__name__, instance_path=instance_path)
    app.config.update(
        SECRET_KEY="test-secret-key",
        ASTORAGE_CLIENT_ID="client-1",
        ASTORAGE_CLIENT_SECRET="secret-1",
        ASTORAGE_BASE_URL=base_url,
        ASTORAGE_TOKEN_STORE="memory",
        **config,
    )
    return app, AStorage(app)


#: The login id, and the refresh token it starts with, of tests that store a
#: login directly instead of signing in.
LOGIN = "login-1"
OLD_REFRESH_TOKEN = "refresh-old"


def store_login(app: Flask, *, expires_at: float | None) -> Token:
    """Give ``LOGIN`` a token with an old refresh token; return it."""
    token = Token(
        access_token="access-old",
        refresh_token=OLD_REFRESH_TOKEN,
        expires_at=expires_at,
    )
    keeper_of(app).store.save(LOGIN, token)
    return token


def stored(app: Flask, login_id: str = LOGIN) -> Token | None:
    """The token the app keeps for ``login_id``."""
    return keeper_of(app).store.load(login_id)


@contextmanager
def as_the_user(app: Flask) -> Iterator[None]:
    """A request of the browser whose login is ``LOGIN``."""
    with app.test_request_context("/files"):
        session[LOGIN_ID_KEY] = LOGIN
        yield
