"""The refresh grant: rotation, scopes, version-bound errors, concurrency."""

from __future__ import annotations

import threading

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from flask_astorage.sandbox import SandboxServer
from tests.sandbox.sandbox_support import FakeClock
from tests.sandbox.sandbox_support import Provider

CONCURRENT_REFRESHES = 20


def _scopes(sandbox: SandboxServer, access_token: str) -> list[str]:
    public_key = RSAKey.import_key(sandbox.public_key_pem)
    scopes: list[str] = jwt.decode(access_token, public_key).claims["scopes"]
    return scopes


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_refresh_rotates_the_refresh_token(provider: Provider, as_json: bool) -> None:
    tokens = provider.tokens()

    response = provider.refresh(tokens["refresh_token"], as_json=as_json)

    assert response.status_code == 200
    renewed = response.json()
    assert list(renewed) == [
        "token_type",
        "expires_in",
        "access_token",
        "refresh_token",
    ]
    assert renewed["refresh_token"] != tokens["refresh_token"]
    assert renewed["access_token"] != tokens["access_token"]
    assert provider.refresh(renewed["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    ("sandbox_options", "status", "error", "has_message"),
    [
        ({"passport_version": 13}, 400, "invalid_grant", False),
        ({"passport_version": 12}, 401, "invalid_request", True),
        ({"passport_version": 11}, 401, "invalid_request", True),
    ],
    ids=["passport-13", "passport-12", "passport-11"],
)
def test_a_used_refresh_token_dies_with_the_versions_error(
    provider: Provider, status: int, error: str, has_message: bool
) -> None:
    tokens = provider.tokens()
    assert provider.refresh(tokens["refresh_token"]).status_code == 200

    replay = provider.refresh(tokens["refresh_token"])

    assert replay.status_code == status
    body = replay.json()
    assert body["error"] == error
    assert body["error_description"] == "The refresh token is invalid."
    assert body["hint"] == "Token has been revoked"
    assert ("message" in body) is has_message


@pytest.mark.parametrize("sandbox_options", [{"passport_version": 12}])
def test_an_unknown_refresh_token_is_refused(provider: Provider) -> None:
    response = provider.refresh("def50200" + "cd" * 384)

    assert response.status_code == 401
    assert response.json()["hint"] == "Cannot decrypt the refresh token"


def test_an_expired_refresh_token_is_refused(
    provider: Provider, clock: FakeClock
) -> None:
    tokens = provider.tokens()
    clock.advance(2_592_000)

    response = provider.refresh(tokens["refresh_token"])

    assert response.status_code == 400
    assert response.json()["hint"] == "Token has expired"


def test_a_wrong_secret_does_not_consume_the_refresh_token(
    provider: Provider,
) -> None:
    tokens = provider.tokens()

    refused = provider.refresh(tokens["refresh_token"], client_secret="wrong")

    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert provider.refresh(tokens["refresh_token"]).status_code == 200


def test_empty_scope_keeps_the_granted_scopes(provider: Provider) -> None:
    tokens = provider.tokens(scope="read write")

    renewed = provider.refresh(tokens["refresh_token"], scope="").json()

    assert _scopes(provider.sandbox, renewed["access_token"]) == ["read", "write"]


def test_a_narrower_scope_narrows_the_access_token(provider: Provider) -> None:
    tokens = provider.tokens(scope="read write")

    renewed = provider.refresh(tokens["refresh_token"], scope="read").json()

    assert _scopes(provider.sandbox, renewed["access_token"]) == ["read"]


def test_a_wider_scope_is_invalid_scope(provider: Provider) -> None:
    tokens = provider.tokens(scope="read")

    response = provider.refresh(tokens["refresh_token"], scope="read admin")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert provider.refresh(tokens["refresh_token"]).status_code == 200


def test_refresh_revokes_the_old_access_token_like_passport(
    provider: Provider,
) -> None:
    tokens = provider.tokens()

    renewed = provider.refresh(tokens["refresh_token"]).json()

    assert provider.current_user(tokens["access_token"]).status_code == 401
    assert provider.current_user(renewed["access_token"]).status_code == 200


@pytest.mark.parametrize("sandbox_options", [{"revoke_old_access_token": False}])
def test_old_access_token_can_be_left_alive(provider: Provider) -> None:
    tokens = provider.tokens()

    provider.refresh(tokens["refresh_token"])

    assert provider.current_user(tokens["access_token"]).status_code == 200


def test_concurrent_refreshes_with_one_token_let_exactly_one_through(
    provider: Provider,
) -> None:
    refresh_token = provider.tokens()["refresh_token"]
    start_together = threading.Barrier(CONCURRENT_REFRESHES)
    statuses: list[int] = []

    def refresh() -> None:
        start_together.wait()
        response = provider.refresh(refresh_token)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=refresh) for _ in range(CONCURRENT_REFRESHES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] + [400] * (CONCURRENT_REFRESHES - 1)
    assert provider.sandbox.token_calls(grant_type="refresh_token") == 20
