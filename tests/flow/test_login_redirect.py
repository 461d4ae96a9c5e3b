"""``GET /astorage/login``: the redirect to the authorize page and what it carries."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from ..support import TEST_CLIENT_REDIRECT_URI
from ..support import callback_path
from ..support import current_token
from ..support import login_id_of
from ..support import query_of
from ..support import start_login

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from flask_astorage import AStorage
    from flask_astorage.sandbox import SandboxServer

CONTRACT_PARAMS = {"client_id", "redirect_uri", "response_type", "scope", "state"}
PKCE_PARAMS = {"code_challenge", "code_challenge_method"}


def single_values(url: str) -> dict[str, str]:
    """Return the query of ``url``, checking that no parameter repeats."""
    query = query_of(url)
    assert all(len(values) == 1 for values in query.values()), query
    return {name: values[0] for name, values in query.items()}


@pytest.mark.parametrize(
    ("app_config", "scope", "names"),
    [
        ({}, "", CONTRACT_PARAMS | PKCE_PARAMS),
        ({"ASTORAGE_SCOPE": "a b"}, "a b", CONTRACT_PARAMS | PKCE_PARAMS),
        ({"ASTORAGE_USE_PKCE": False}, "", CONTRACT_PARAMS),
    ],
    ids=["default", "scope", "no-pkce"],
)
def test_the_redirect_carries_exactly_the_contract_parameters(
    scope: str, names: set[str], client: FlaskClient, sandbox: SandboxServer
) -> None:
    location = start_login(client)
    params = single_values(location)
    parts = urlsplit(location)

    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == sandbox.authorize_endpoint
    assert set(params) == names
    assert params["client_id"] == sandbox.client_id
    assert params["redirect_uri"] == TEST_CLIENT_REDIRECT_URI
    assert params["response_type"] == "code"
    assert params["scope"] == scope
    assert 0 < len(params["state"]) <= 200
    if names >= PKCE_PARAMS:
        assert params["code_challenge_method"] == "S256"
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", params["code_challenge"])


@pytest.mark.parametrize(
    "app_config",
    [{}, {"ASTORAGE_SCOPE": "a b"}, {"ASTORAGE_USE_PKCE": False}],
    ids=["default", "scope", "no-pkce"],
)
def test_the_sandbox_receives_exactly_those_parameters(
    client: FlaskClient, sandbox: SandboxServer
) -> None:
    location = start_login(client)
    sandbox.approve(location)

    received = sandbox.recorded("authorize")[0]
    assert received.method == "GET"
    assert sorted(received.param_names) == sorted(single_values(location))
    assert dict(received.params) == single_values(location)


def test_states_are_unpredictable(app: Flask, sandbox: SandboxServer) -> None:
    clients = [app.test_client() for _ in range(3)]
    states = [
        single_values(start_login(client))["state"]
        for client in clients
        for _ in range(2)
    ]

    assert len(set(states)) == len(states)
    assert all(len(state) >= 22 and state == state.strip() for state in states)


def test_two_tabs_can_log_in_at_once(
    app: Flask, astorage: AStorage, client: FlaskClient, sandbox: SandboxServer
) -> None:
    first_tab = sandbox.approve(start_login(client, "/first"))
    second_tab = sandbox.approve(start_login(client, "/second"))

    second = client.get(callback_path(second_tab))
    second_login_id = login_id_of(app, client)
    first = client.get(callback_path(first_tab))

    assert (second.status_code, second.headers["Location"]) == (302, "/second")
    assert (first.status_code, first.headers["Location"]) == (302, "/first")
    assert sandbox.token_calls("authorization_code") == 2
    assert current_token(client, astorage) is not None
    # Each login replaces the one before.
    assert second_login_id is not None
    assert login_id_of(app, client) != second_login_id
    assert app.extensions["astorage"].keeper.store.load(second_login_id) is None


def test_login_without_a_secret_key_tells_the_operator_what_to_set(
    app: Flask,
    client: FlaskClient,
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.secret_key = None

    with caplog.at_level(logging.ERROR, logger="flask_astorage"):
        response = client.get("/astorage/login")

    # The visitor learns that the site is misconfigured; the log says how.
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "misconfigured" in page
    assert "SECRET_KEY" not in page
    assert "Sign in again" not in page
    assert any("'SECRET_KEY'" in record.getMessage() for record in caplog.records)
    assert sandbox.recorded() == []
