"""The callback under hostile and unlucky input: 400s, never a 5xx or a stray call.

Every test counts the sandbox's token calls: a callback that should fail
must fail before the code reaches the provider, and a code is never sent
twice.
"""

from __future__ import annotations

import secrets
import time
from types import SimpleNamespace
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from markupsafe import escape

from flask_astorage import login_state
from flask_astorage.login_state import MAX_PENDING
from flask_astorage.login_state import PENDING_LIFETIME
from flask_astorage.redirects import MAX_NEXT_LENGTH
from flask_astorage.state import LOGIN_ID_KEY
from tests.support import callback_path
from tests.support import log_in
from tests.support import make_app
from tests.support import query_of
from tests.support import start_login

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Flask
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

    from flask_astorage.sandbox import SandboxServer

#: A value of one megabyte.
HUGE = "a" * 1_000_000
#: Browsers drop a cookie larger than this.
COOKIE_LIMIT = 4096


def callback_query(callback_url: str) -> dict[str, str]:
    return {name: values[0] for name, values in query_of(callback_url).items()}


def session_cookie_header(response: TestResponse) -> str:
    [header] = [
        header
        for header in response.headers.getlist("Set-Cookie")
        if header.startswith("session=")
    ]
    return header


def assert_refused(response: TestResponse) -> None:
    """A 400 page that offers a fresh sign-in."""
    assert response.status_code == 400, response.get_data(as_text=True)
    assert 'href="/astorage/login"' in response.get_data(as_text=True)


# Deny, and errors ------------------------------------------------------------


def test_pressing_deny_flashes_a_notice_and_uses_up_the_state(
    client: FlaskClient, sandbox: SandboxServer
) -> None:
    callback_url = sandbox.deny(start_login(client, "/protected"))
    assert callback_query(callback_url)["error"] == "access_denied"

    response = client.get(callback_path(callback_url))

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert session["_flashes"] == [("info", "Sign-in was cancelled.")]
        assert LOGIN_ID_KEY not in session
    assert_refused(client.get(callback_path(callback_url)))
    assert sandbox.token_calls() == 0


@pytest.mark.parametrize(
    "query",
    [
        "error=access_denied",
        "error=access_denied&state=not-a-pending-state",
        "error=server_error&error_description=Boom",
        "error=server_error&error_description=Boom&state=not-a-pending-state",
    ],
)
def test_an_error_without_a_pending_state_is_refused(
    client: FlaskClient, sandbox: SandboxServer, query: str
) -> None:
    start_login(client)

    response = client.get("/astorage/callback", query_string=query)

    assert_refused(response)
    with client.session_transaction() as session:
        assert "_flashes" not in session
    assert sandbox.token_calls() == 0


@pytest.mark.parametrize("parameter", ["error_description", "error"])
@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "</p><a href='javascript:alert(1)'>continue</a>",
    ],
)
def test_provider_text_is_shown_escaped(
    client: FlaskClient, sandbox: SandboxServer, parameter: str, payload: str
) -> None:
    state = callback_query(start_login(client))["state"]
    values = {"error": "server_error", "state": state, parameter: payload}
    query = "&".join(f"{name}={quote(value)}" for name, value in values.items())

    response = client.get("/astorage/callback", query_string=query)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert payload not in page
    assert str(escape(payload)) in page
    assert sandbox.token_calls() == 0


# Reloads and replays -------------------------------------------------------


def test_a_reloaded_callback_sends_a_logged_in_user_on_quietly(
    client: FlaskClient, sandbox: SandboxServer
) -> None:
    callback_url = sandbox.approve(start_login(client, "/protected"))
    first = client.get(callback_path(callback_url))

    reloaded = client.get(callback_path(callback_url))

    assert first.status_code == reloaded.status_code == 302
    assert reloaded.headers["Location"] == "/protected"
    assert client.get("/protected").status_code == 200
    assert sandbox.token_calls("authorization_code") == 1


def test_a_reloaded_callback_after_logout_asks_to_sign_in_again(
    client: FlaskClient, sandbox: SandboxServer
) -> None:
    callback_url = sandbox.approve(start_login(client, "/protected"))
    assert client.get(callback_path(callback_url)).status_code == 302
    assert client.post("/astorage/logout").status_code == 302

    reloaded = client.get(callback_path(callback_url))

    assert_refused(reloaded)
    assert "Sign in again" in reloaded.get_data(as_text=True)
    assert sandbox.token_calls("authorization_code") == 1


def test_a_callback_replayed_in_another_browser_is_refused(
    app: Flask, client: FlaskClient, sandbox: SandboxServer
) -> None:
    callback_url = sandbox.approve(start_login(client))
    assert client.get(callback_path(callback_url)).status_code == 302

    other_browser = app.test_client()
    start_login(other_browser)
    assert_refused(other_browser.get(callback_path(callback_url)))
    assert sandbox.token_calls("authorization_code") == 1


def test_a_callback_replayed_after_a_refused_code_is_refused(
    client: FlaskClient, sandbox: SandboxServer
) -> None:
    callback_url = sandbox.approve(start_login(client))
    sandbox.fail_next("invalid_grant", grant_type="authorization_code")
    assert_refused(client.get(callback_path(callback_url)))

    assert_refused(client.get(callback_path(callback_url)))
    assert sandbox.token_calls("authorization_code") == 1


# The state ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("code={code}", id="missing"),
        pytest.param("code={code}&state=not-a-pending-state", id="unknown"),
        pytest.param("code={code}&state={state}x", id="altered"),
        pytest.param("code={code}&state=%C3%A9t%C3%A9", id="unknown-non-ascii"),
    ],
)
def test_a_callback_without_this_browsers_state_is_refused(
    client: FlaskClient, sandbox: SandboxServer, query: str
) -> None:
    genuine = callback_query(sandbox.approve(start_login(client)))

    response = client.get("/astorage/callback", query_string=query.format(**genuine))

    assert_refused(response)
    assert sandbox.token_calls() == 0


def test_an_expired_state_is_refused(
    client: FlaskClient, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    callback_url = sandbox.approve(start_login(client))
    later = time.time() + PENDING_LIFETIME + 1
    monkeypatch.setattr(
        login_state,
        "time",
        SimpleNamespace(time=lambda: later, monotonic=time.monotonic),
    )

    response = client.get(callback_path(callback_url))

    assert_refused(response)
    assert "took too long" in response.get_data(as_text=True)
    assert sandbox.token_calls() == 0
    monkeypatch.undo()
    assert_refused(client.get(callback_path(callback_url)))


def test_a_state_from_another_browser_session_is_refused(
    app: Flask, client: FlaskClient, sandbox: SandboxServer
) -> None:
    callback_url = sandbox.approve(start_login(client, "/protected"))
    other_browser = app.test_client()
    start_login(other_browser)

    assert_refused(other_browser.get(callback_path(callback_url)))
    assert sandbox.token_calls() == 0

    # The browser that started the login still finishes it.
    finished = client.get(callback_path(callback_url))
    assert finished.headers["Location"] == "/protected"


@pytest.mark.parametrize("order", [(0, 1), (1, 0)], ids=["in-order", "reversed"])
def test_two_tabs_that_start_logins_both_finish(
    client: FlaskClient, sandbox: SandboxServer, order: tuple[int, int]
) -> None:
    next_urls = ["/protected?tab=1", "/protected?tab=2"]
    callback_urls = [
        sandbox.approve(start_login(client, quote(next_url, safe="")))
        for next_url in next_urls
    ]

    for tab in order:
        finished = client.get(callback_path(callback_urls[tab]))
        assert finished.status_code == 302
        assert finished.headers["Location"] == next_urls[tab]
        assert client.get("/protected").status_code == 200
    assert sandbox.token_calls("authorization_code") == 2


@pytest.mark.parametrize("store", ["sqlite", "session"])
@pytest.mark.parametrize("next_length", [0, 40, MAX_NEXT_LENGTH])
def test_abandoned_logins_keep_the_session_cookie_small(
    sandbox: SandboxServer, tmp_path: Path, store: str, next_length: int
) -> None:
    app, _ = make_app(sandbox, str(tmp_path), ASTORAGE_TOKEN_STORE=store)
    client = app.test_client()
    # A few finished logins, each going somewhere long, are remembered too.
    for _ in range(3):
        log_in(client, sandbox, next_url=_random_path(next_length))

    authorize_urls = [start_login(client, _random_path(next_length)) for _ in range(50)]
    newest = client.get("/astorage/login", query_string={"next": "/protected"})

    assert len(session_cookie_header(newest)) < COOKIE_LIMIT
    with client.session_transaction() as session:
        assert 1 <= len(session["_astorage_pending"]) <= MAX_PENDING
    assert_refused(client.get(callback_path(sandbox.approve(authorize_urls[0]))))
    finished = client.get(callback_path(sandbox.approve(newest.headers["Location"])))
    assert finished.headers["Location"] == "/protected"
    assert len(session_cookie_header(finished)) < COOKIE_LIMIT


def _random_path(length: int) -> str | None:
    if length == 0:
        return None
    return "/" + secrets.token_urlsafe(length)[: length - 1]


# Malformed values ---------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("state=" + HUGE, id="huge-state"),
        pytest.param("code=" + HUGE + "&state={state}", id="huge-code"),
        pytest.param(
            "error=access_denied&error_description=" + HUGE + "&state={state}",
            id="huge-description",
        ),
        pytest.param("code={code}&state={state}&state={state}", id="state-twice"),
        pytest.param("code={code}&state=a&state=b", id="two-states"),
        pytest.param("code={code}&code={code}&state={state}", id="code-twice"),
        pytest.param("code={code}&state=", id="empty-state"),
        pytest.param("code=&state={state}", id="empty-code"),
        pytest.param("error=&state={state}", id="empty-error"),
        pytest.param("state=%ff", id="non-utf8-state"),
        pytest.param("code=%ff%fe{code}&state={state}", id="non-utf8-code"),
        pytest.param("code={code}&state={state}%c3", id="truncated-utf8-state"),
        pytest.param("code={code}&state=%00{state}", id="nul-in-state"),
        pytest.param("code={code}%00&state={state}", id="nul-in-code"),
        pytest.param("code={code}&state={state}%0a", id="newline-in-state"),
        pytest.param("code=%07{code}&state={state}", id="bell-in-code"),
        pytest.param("code={code}%7f&state={state}", id="del-in-code"),
        pytest.param("code={code}%c2%85&state={state}", id="c1-in-code"),
        pytest.param("error=access_denied%0d%0a&state={state}", id="crlf-in-error"),
    ],
)
def test_malformed_callback_values_are_refused_before_any_token_call(
    client: FlaskClient, sandbox: SandboxServer, query: str
) -> None:
    genuine = callback_query(sandbox.approve(start_login(client)))

    response = client.get("/astorage/callback", query_string=query.format(**genuine))

    assert response.status_code == 400
    assert sandbox.token_calls() == 0


# Anything at all ----------------------------------------------------------

PARAMETER_NAMES = st.sampled_from(
    ["state", "code", "error", "error_description", "next", "scope", "hint"]
) | st.text(max_size=8)
VALUES = st.text(max_size=300) | st.binary(max_size=64)
ENCODED_QUERIES = st.lists(st.tuples(PARAMETER_NAMES, VALUES), max_size=6).map(
    lambda pairs: "&".join(
        f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs
    )
)
QUERIES = ENCODED_QUERIES | st.text(max_size=300)
HYPOTHESIS_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@HYPOTHESIS_SETTINGS
@given(query=QUERIES, with_pending_state=st.booleans())
def test_no_callback_query_gets_a_server_error(
    client: FlaskClient, query: str, with_pending_state: bool
) -> None:
    state = callback_query(start_login(client))["state"]
    if with_pending_state:
        query += f"&state={state}"

    response = client.get("/astorage/callback", query_string=query)

    assert response.status_code < 500, response.get_data(as_text=True)


@HYPOTHESIS_SETTINGS
@given(query=QUERIES)
def test_no_login_query_gets_a_server_error(client: FlaskClient, query: str) -> None:
    response = client.get("/astorage/login", query_string=query)

    assert response.status_code == 302, response.get_data(as_text=True)
