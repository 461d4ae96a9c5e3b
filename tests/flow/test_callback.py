"""``GET /astorage/callback``: the code exchange, refusals and error pages."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from flask_astorage import CallbackError
from flask_astorage import StateError
from flask_astorage.signals import login_failed

from ..support import callback_path
from ..support import current_token
from ..support import log_in
from ..support import make_test_app
from ..support import query_of
from ..support import record_signal
from ..support import start_login

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

    from flask_astorage import AStorage
    from flask_astorage.sandbox import SandboxServer

EXCHANGE_PARAMS = {"grant_type", "client_id", "client_secret", "redirect_uri", "code"}


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@pytest.mark.parametrize(
    ("app_config", "names"),
    [
        ({}, EXCHANGE_PARAMS | {"code_verifier"}),
        ({"ASTORAGE_USE_PKCE": False}, EXCHANGE_PARAMS),
    ],
    ids=["pkce", "no-pkce"],
)
def test_the_code_exchange_sends_exactly_the_contract_parameters(
    names: set[str], client: FlaskClient, sandbox: SandboxServer
) -> None:
    authorize_url = start_login(client)
    callback_url = sandbox.approve(authorize_url)

    client.get(callback_path(callback_url))

    [exchange] = sandbox.recorded("token")
    assert exchange.method == "POST"
    assert exchange.content_type is not None
    assert exchange.content_type.startswith("application/x-www-form-urlencoded")
    assert exchange.authorization_scheme is None
    assert sorted(exchange.param_names) == sorted(names)
    assert exchange.get("grant_type") == "authorization_code"
    assert exchange.get("client_id") == sandbox.client_id
    assert exchange.get("client_secret") == sandbox.client_secret
    assert exchange.get("redirect_uri") == query_of(authorize_url)["redirect_uri"][0]
    assert exchange.get("code") == query_of(callback_url)["code"][0]
    assert exchange.status == 200
    if "code_verifier" in names:
        assert (
            s256(exchange.get("code_verifier"))
            == (query_of(authorize_url)["code_challenge"][0])
        )


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/files?page=2", "/files?page=2"),
        ("http://localhost/files", "/files"),
        ("//evil.example/files", "/"),
        ("https://evil.example/files", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_next_is_followed_only_on_this_site(
    next_url: str, landing: str, client: FlaskClient, sandbox: SandboxServer
) -> None:
    authorize_url = client.get(
        "/astorage/login", query_string={"next": next_url}
    ).headers["Location"]

    callback = client.get(callback_path(sandbox.approve(authorize_url)))

    assert callback.status_code == 302
    assert callback.headers["Location"] == landing


def test_deny_stores_nothing_and_calls_no_token_endpoint(
    app: Flask, astorage: AStorage, client: FlaskClient, sandbox: SandboxServer
) -> None:
    callback_url = sandbox.deny(start_login(client, "/protected"))

    with record_signal(login_failed) as sent:
        response = client.get(callback_path(callback_url))

    assert query_of(callback_url)["error"] == ["access_denied"]
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert sandbox.token_calls() == 0
    assert current_token(client, astorage) is None
    assert [entry.kwargs["error"].error for entry in sent] == ["access_denied"]


def _altered(state: str, other_state: str) -> str:
    return state[:-1] + ("A" if state[-1] != "A" else "B")


def _foreign(state: str, other_state: str) -> str:
    return other_state


@pytest.mark.parametrize(
    "forge", [_altered, _foreign, None], ids=["altered", "foreign", "missing"]
)
def test_a_tampered_state_is_refused_before_any_token_call(
    forge: Callable[[str, str], str] | None,
    app: Flask,
    astorage: AStorage,
    client: FlaskClient,
    sandbox: SandboxServer,
) -> None:
    callback_url = sandbox.approve(start_login(client))
    other_state = query_of(start_login(app.test_client()))["state"][0]
    params = {name: values[0] for name, values in query_of(callback_url).items()}
    genuine = dict(params)
    if forge is None:
        del params["state"]
    else:
        params["state"] = forge(params["state"], other_state)

    with record_signal(login_failed) as sent:
        response = client.get("/astorage/callback", query_string=params)

    assert response.status_code == 400
    assert sandbox.token_calls() == 0
    assert current_token(client, astorage) is None
    assert len(sent) == 1
    # The genuine answer still completes the login it belongs to.
    assert client.get("/astorage/callback", query_string=genuine).status_code == 302
    assert current_token(client, astorage) is not None


def test_reloading_the_callback_does_not_send_the_code_again(
    astorage: AStorage, client: FlaskClient, sandbox: SandboxServer
) -> None:
    callback_url = sandbox.approve(start_login(client, "/files"))
    client.get(callback_path(callback_url))
    token = current_token(client, astorage)

    reloaded = client.get(callback_path(callback_url))

    assert (reloaded.status_code, reloaded.headers["Location"]) == (302, "/files")
    assert sandbox.token_calls() == 1
    assert current_token(client, astorage) == token


def test_a_code_replayed_in_another_browser_is_refused(
    app: Flask, astorage: AStorage, client: FlaskClient, sandbox: SandboxServer
) -> None:
    callback_url = sandbox.approve(start_login(client))
    client.get(callback_path(callback_url))
    other = app.test_client()
    start_login(other)

    replayed = other.get(callback_path(callback_url))

    assert replayed.status_code == 400
    assert sandbox.token_calls() == 1
    assert current_token(other, astorage) is None


def test_a_cookie_copied_from_before_the_login_cannot_send_the_code_again(
    app: Flask, astorage: AStorage, client: FlaskClient, sandbox: SandboxServer
) -> None:
    """A copy of the cookie from before the login still holds the pending
    state; the process remembers claiming it, so the code is not sent twice."""
    callback_url = sandbox.approve(start_login(client))
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.get(callback_path(callback_url))
    other = app.test_client()
    other.set_cookie("session", cookie.value)

    with record_signal(login_failed) as sent:
        replayed = other.get(callback_path(callback_url))

    assert replayed.status_code == 400
    assert "Set-Cookie" not in replayed.headers
    assert [record.status for record in sandbox.recorded("token")] == [200]
    assert current_token(other, astorage) is None
    assert len(sent) == 1
    assert isinstance(sent[0].kwargs["error"], StateError)


def test_a_used_code_is_refused_by_the_provider(
    app: Flask, astorage: AStorage, client: FlaskClient, sandbox: SandboxServer
) -> None:
    """Another process (no shared claims) with a copy of the cookie sends the
    code again; the provider refuses it, and no token is stored."""
    callback_url = sandbox.approve(start_login(client))
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.get(callback_path(callback_url))
    other_process, _ = make_test_app(sandbox, app.instance_path)
    other = other_process.test_client()
    other.set_cookie("session", cookie.value)

    with record_signal(login_failed) as sent:
        replayed = other.get(callback_path(callback_url))

    assert replayed.status_code == 400
    assert "the code was refused" in replayed.get_data(as_text=True)
    assert [record.status for record in sandbox.recorded("token")] == [200, 400]
    assert current_token(other, astorage) is None
    assert len(sent) == 1
    assert isinstance(sent[0].kwargs["error"], CallbackError)
    assert sent[0].kwargs["error"].error == "invalid_grant"


def provider_error(client: FlaskClient, **headers: str) -> TestResponse:
    state = query_of(start_login(client))["state"][0]
    return client.get(
        "/astorage/callback",
        query_string={
            "state": state,
            "error": "server_error",
            "error_description": "<b>x</b>",
        },
        headers=headers,
    )


def test_a_provider_error_is_shown_as_escaped_text(
    client: FlaskClient, sandbox: SandboxServer
) -> None:
    response = provider_error(client)
    page = response.get_data(as_text=True)

    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>" not in page
    assert sandbox.token_calls() == 0


def test_a_callback_error_page_takes_the_code_out_of_the_address_bar(
    client: FlaskClient, sandbox: SandboxServer
) -> None:
    sandbox.fail_next("bad_gateway", grant_type="authorization_code")

    response = log_in(client, sandbox)
    page = response.get_data(as_text=True)

    assert response.status_code == 502
    assert 'history.replaceState(null, "", location.pathname)' in page
    assert "Try again" in page


def test_try_again_after_a_failed_callback_keeps_the_destination(
    client: FlaskClient, sandbox: SandboxServer
) -> None:
    sandbox.fail_next("bad_gateway", grant_type="authorization_code")

    response = log_in(client, sandbox, next_url="/files")

    assert response.status_code == 502
    assert 'href="/astorage/login?next=/files"' in response.get_data(as_text=True)


def test_other_error_pages_keep_their_address(
    app: Flask, client: FlaskClient, sandbox: SandboxServer
) -> None:
    log_in(client, sandbox)
    with client.session_transaction() as session:
        login_id = session["_astorage_login"]
    store = app.extensions["astorage"].keeper.store
    token = store.load(login_id)
    store.save(login_id, token.replace(expires_at=1.0))
    sandbox.fail_next("bad_gateway", grant_type="refresh_token")

    response = client.get("/protected?page=2")

    assert response.status_code == 503
    assert "replaceState" not in response.get_data(as_text=True)


def test_a_provider_error_is_json_for_json_clients(client: FlaskClient) -> None:
    response = provider_error(client, Accept="application/json")

    assert response.status_code == 400
    assert response.is_json
    assert response.get_json() == {
        "error": "server_error",
        "error_description": "Alpha Storage did not sign you in: <b>x</b>",
    }


def _login(client: FlaskClient, sandbox: SandboxServer) -> TestResponse:
    return client.get("/astorage/login?next=/files")


def _callback(client: FlaskClient, sandbox: SandboxServer) -> TestResponse:
    return log_in(client, sandbox)


def _denied(client: FlaskClient, sandbox: SandboxServer) -> TestResponse:
    return client.get(callback_path(sandbox.deny(start_login(client))))


def _error_page(client: FlaskClient, sandbox: SandboxServer) -> TestResponse:
    return provider_error(client)


def _json_error(client: FlaskClient, sandbox: SandboxServer) -> TestResponse:
    return provider_error(client, Accept="application/json")


def _logout(client: FlaskClient, sandbox: SandboxServer) -> TestResponse:
    log_in(client, sandbox)
    return client.post("/astorage/logout")


def _logout_by_get(client: FlaskClient, sandbox: SandboxServer) -> TestResponse:
    response = client.get("/astorage/logout")
    assert response.status_code == 405
    return response


@pytest.mark.parametrize(
    "scenario",
    [_login, _callback, _denied, _error_page, _json_error, _logout, _logout_by_get],
    ids=[
        "login",
        "callback",
        "denied",
        "error-page",
        "json-error",
        "logout",
        "logout-by-get",
    ],
)
def test_every_answer_is_kept_out_of_caches_and_referers(
    scenario: Callable[[FlaskClient, SandboxServer], TestResponse],
    client: FlaskClient,
    sandbox: SandboxServer,
) -> None:
    response = scenario(client, sandbox)

    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
