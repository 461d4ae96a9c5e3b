"""``/api/user``: the demo's API, guarded by the access token."""

from __future__ import annotations

import pytest
import requests

from flask_astorage.sandbox import start_sandbox
from tests.sandbox.sandbox_support import REQUEST_TIMEOUT
from tests.sandbox.sandbox_support import FakeClock
from tests.sandbox.sandbox_support import Provider


def test_a_live_token_describes_its_user(provider: Provider) -> None:
    tokens = provider.tokens("dilnoza", scope="files.read")

    response = provider.current_user(tokens["access_token"])

    assert response.status_code == 200
    assert response.json() == {"id": "1", "name": "dilnoza", "scopes": ["files.read"]}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer a.b.c"],
    ids=["missing", "empty", "garbage", "basic", "bad-signature"],
)
def test_requests_without_a_valid_token_are_unauthenticated(
    provider: Provider, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = requests.get(
        provider.sandbox.user_endpoint, headers=headers, timeout=REQUEST_TIMEOUT
    )

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthenticated."}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_signed_by_another_key_is_refused(provider: Provider) -> None:
    with start_sandbox() as other_sandbox:
        foreign = Provider(other_sandbox).tokens()["access_token"]

    assert provider.current_user(foreign).status_code == 401


def test_an_expired_token_is_refused(provider: Provider, clock: FakeClock) -> None:
    tokens = provider.tokens()
    clock.advance(1_296_000)

    assert provider.current_user(tokens["access_token"]).status_code == 401


def test_a_shorter_lifetime_applies_to_new_tokens(
    provider: Provider, clock: FakeClock
) -> None:
    provider.sandbox.update_settings(access_token_lifetime=2)
    tokens = provider.tokens()
    assert tokens["expires_in"] == 2
    assert provider.current_user(tokens["access_token"]).status_code == 200

    clock.advance(2)

    assert provider.current_user(tokens["access_token"]).status_code == 401
