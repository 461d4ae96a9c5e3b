"""``/_sandbox/``: settings, reset, public key and the loopback guard."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from flask import Flask
from joserfc import jwt
from joserfc.jwk import RSAKey

from flask_astorage.sandbox import SandboxServer
from flask_astorage.sandbox import create_app
from flask_astorage.sandbox import sandbox_state
from tests.sandbox.sandbox_support import Provider


def test_settings_can_be_read_and_changed_over_http(provider: Provider) -> None:
    sandbox = provider.sandbox
    changed = requests.post(
        f"{sandbox.url}/_sandbox/settings",
        json={"access_token_lifetime": 2, "passport_version": 12},
        timeout=5,
    )

    assert changed.status_code == 200
    assert changed.json()["access_token_lifetime"] == 2
    assert provider.tokens()["expires_in"] == 2
    assert requests.get(f"{sandbox.url}/_sandbox/settings", timeout=5).json() == (
        changed.json()
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"access_token_lifetime": 0}, "'access_token_lifetime' must be a positive"),
        ({"access_token_lifetime": 2.5}, "must be a whole number of seconds"),
        ({"passport_version": 10}, "'passport_version' must be one of"),
        ({"revoke_old_access_token": "yes"}, "must be true or false"),
        ({"token_lifetime": 5}, "Unknown sandbox setting"),
        ([], "JSON object"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    sandbox: SandboxServer, changes: Any, message: str
) -> None:
    before = sandbox.state.settings

    response = requests.post(
        f"{sandbox.url}/_sandbox/settings", json=changes, timeout=5
    )

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert sandbox.state.settings == before


def test_reset_forgets_tokens_records_faults_and_settings(provider: Provider) -> None:
    sandbox = provider.sandbox
    tokens = provider.tokens()
    sandbox.update_settings(access_token_lifetime=5)
    sandbox.fail_next("html_500")

    response = requests.post(f"{sandbox.url}/_sandbox/reset", json={}, timeout=5)

    assert response.status_code == 204
    assert sandbox.recorded() == []
    assert sandbox.state.faults.pending() == []
    assert sandbox.state.settings.access_token_lifetime == 1_296_000
    refused = provider.refresh(tokens["refresh_token"])
    assert refused.json()["hint"] == "Cannot decrypt the refresh token"
    assert provider.current_user(tokens["access_token"]).status_code == 401


def test_public_key_verifies_the_access_tokens(provider: Provider) -> None:
    access_token = provider.tokens()["access_token"]

    response = requests.get(f"{provider.sandbox.url}/_sandbox/public-key", timeout=5)

    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text.startswith("-----BEGIN PUBLIC KEY-----")
    key = RSAKey.import_key(response.text)
    assert jwt.decode(access_token, key, algorithms=["RS256"]).claims["sub"] == "1"


def test_control_routes_refuse_clients_that_are_not_on_loopback(
    signing_key: RSAKey,
) -> None:
    app = create_app(signing_key=signing_key)
    client = app.test_client()

    remote = client.get(
        "/_sandbox/requests", environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    local = client.get("/_sandbox/requests", environ_base={"REMOTE_ADDR": "::1"})

    assert remote.status_code == 403
    assert local.status_code == 200


def test_sandbox_state_rejects_other_apps() -> None:
    with pytest.raises(LookupError, match="is not an Alpha Storage sandbox"):
        sandbox_state(Flask("elsewhere"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"redirect_uris": "http://127.0.0.1/cb"}, "must be a list of URIs"),
        ({"redirect_uris": []}, "at least one non-empty redirect URI"),
        ({"client_secret": ""}, "non-empty 'client_id' and 'client_secret'"),
        ({"passport_version": 14}, "'passport_version' must be one of"),
    ],
)
def test_create_app_explains_bad_options(
    signing_key: RSAKey, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        create_app(signing_key=signing_key, **options)


@pytest.mark.parametrize(
    ("host", "body"),
    [
        (None, None),  # a cross-site form: not JSON
        ("rebound.example", {}),  # DNS rebinding: the page's own host name
    ],
    ids=["form-post", "foreign-host"],
)
def test_control_changes_need_json_and_a_loopback_host(
    provider: Provider, host: str | None, body: dict[str, Any] | None
) -> None:
    sandbox = provider.sandbox
    sandbox.fail_next("bad_gateway")
    headers = {} if host is None else {"Host": host}

    response = requests.post(
        f"{sandbox.url}/_sandbox/reset",
        json=body,
        data=None if body is not None else {"x": "1"},
        headers=headers,
        timeout=5,
    )

    assert response.status_code == 403
    assert len(sandbox.state.faults.pending()) == 1
