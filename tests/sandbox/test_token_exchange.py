"""The code exchange: body formats, response shape, JWT claims, code rules."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.sandbox.sandbox_support import FakeClock
from tests.sandbox.sandbox_support import Provider


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _assert_passport_error(
    response: requests.Response, status: int, error: str, hint: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error
    assert body["error_description"]
    if hint is not None:
        assert body["hint"] == hint
    return body


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_code_exchange_returns_exactly_the_contract_fields(
    provider: Provider, as_json: bool
) -> None:
    response = provider.exchange(provider.login(), as_json=as_json)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json()
    assert list(tokens) == ["token_type", "expires_in", "access_token", "refresh_token"]
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 1_296_000
    assert isinstance(tokens["expires_in"], int)
    assert tokens["refresh_token"].startswith("def50200")
    assert len(tokens["refresh_token"]) == 776


def test_client_secret_basic_is_accepted(provider: Provider) -> None:
    sandbox = provider.sandbox
    body = {
        "grant_type": "authorization_code",
        "redirect_uri": sandbox.redirect_uri,
        "code": provider.login(),
    }

    response = provider.post_token(
        body, auth=(sandbox.client_id, sandbox.client_secret)
    )

    assert response.status_code == 200
    assert sandbox.recorded("token")[-1].authorization_scheme == "Basic"


def test_access_token_is_an_rs256_jwt_with_exactly_passports_claims(
    provider: Provider, clock: FakeClock
) -> None:
    tokens = provider.tokens(scope="read write")

    public_key = RSAKey.import_key(provider.sandbox.public_key_pem)
    token = jwt.decode(tokens["access_token"], public_key, algorithms=["RS256"])

    raw_header = tokens["access_token"].split(".")[0]
    assert base64.urlsafe_b64decode(raw_header + "==") == b'{"typ":"JWT","alg":"RS256"}'
    assert list(token.claims) == ["aud", "jti", "iat", "nbf", "exp", "sub", "scopes"]
    assert token.claims["aud"] == provider.sandbox.client_id
    assert len(token.claims["jti"]) == 80
    assert int(token.claims["jti"], 16) >= 0
    assert token.claims["sub"] == "1"
    assert token.claims["scopes"] == ["read", "write"]
    for name in ("iat", "nbf", "exp"):
        assert isinstance(token.claims[name], float)
    assert token.claims["iat"] == pytest.approx(clock.now, abs=1e-5)
    assert token.claims["exp"] - token.claims["iat"] == pytest.approx(1_296_000)


def test_empty_scope_gives_an_empty_scope_list(provider: Provider) -> None:
    tokens = provider.tokens(scope="")

    response = provider.current_user(tokens["access_token"])

    assert response.json()["scopes"] == []


def test_a_code_works_once(provider: Provider) -> None:
    code = provider.login()
    assert provider.exchange(code).status_code == 200

    replay = provider.exchange(code)

    _assert_passport_error(
        replay, 400, "invalid_grant", "Authorization code has been revoked"
    )


def test_a_code_expires_after_ten_minutes(provider: Provider, clock: FakeClock) -> None:
    code = provider.login()
    clock.advance(600)

    response = provider.exchange(code)

    _assert_passport_error(
        response, 400, "invalid_grant", "Authorization code has expired"
    )


def test_a_code_is_live_just_before_it_expires(
    provider: Provider, clock: FakeClock
) -> None:
    code = provider.login()
    clock.advance(599)

    assert provider.exchange(code).status_code == 200


def test_an_unknown_code_is_refused(provider: Provider) -> None:
    response = provider.exchange("def50200" + "ab" * 385)

    _assert_passport_error(
        response, 400, "invalid_request", "Cannot decrypt the authorization code"
    )


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:5000/astorage/callback/",
        "http://127.0.0.1:5000/astorage/callback?x=1",
        "http://localhost:5000/astorage/callback",
    ],
)
def test_an_unregistered_redirect_uri_at_exchange_is_invalid_client(
    provider: Provider, redirect_uri: str
) -> None:
    code = provider.login()

    response = provider.exchange(code, redirect_uri=redirect_uri)

    body = _assert_passport_error(response, 401, "invalid_client")
    assert body["error_description"] == "Client authentication failed"
    assert provider.exchange(code).status_code == 200


@pytest.mark.parametrize(
    "sandbox_options",
    [{"redirect_uris": ["http://127.0.0.1:5000/a", "http://127.0.0.1:5000/b"]}],
)
def test_a_code_is_bound_to_its_redirect_uri(provider: Provider) -> None:
    code = provider.login(redirect_uri="http://127.0.0.1:5000/a")

    other = provider.exchange(code, redirect_uri="http://127.0.0.1:5000/b")
    missing = provider.exchange(code, redirect_uri=None)

    _assert_passport_error(other, 400, "invalid_grant")
    _assert_passport_error(missing, 400, "invalid_grant")
    assert provider.exchange(code, redirect_uri="http://127.0.0.1:5000/a").ok


@pytest.mark.parametrize(
    "credentials",
    [
        {"client_secret": "wrong"},
        {"client_id": "no-such-client"},
        {"client_secret": None},
        {"client_secret": ""},
    ],
    ids=["wrong-secret", "unknown-client", "no-secret", "empty-secret"],
)
def test_bad_client_credentials_are_invalid_client(
    provider: Provider, credentials: dict[str, Any]
) -> None:
    response = provider.exchange(provider.login(), **credentials)

    body = _assert_passport_error(response, 401, "invalid_client")
    assert "hint" not in body
    assert "message" not in body


@pytest.mark.parametrize("sandbox_options", [{"passport_version": 11}])
def test_old_passport_errors_repeat_the_description_as_message(
    provider: Provider,
) -> None:
    response = provider.exchange(provider.login(), client_secret="wrong")

    body = _assert_passport_error(response, 401, "invalid_client")
    assert body["message"] == body["error_description"]


def test_parameters_are_trimmed(provider: Provider) -> None:
    sandbox = provider.sandbox
    body = {
        "grant_type": " authorization_code ",
        "client_id": f"  {sandbox.client_id}",
        "client_secret": f"{sandbox.client_secret}\t",
        "redirect_uri": f" {sandbox.redirect_uri} ",
        "code": f"\n{provider.login()} ",
    }

    assert provider.post_token(body, as_json=True).status_code == 200


def test_an_unknown_grant_type_is_refused(provider: Provider) -> None:
    response = provider.post_token({"grant_type": "password"})

    _assert_passport_error(response, 400, "unsupported_grant_type")


def test_a_json_body_that_is_not_an_object_is_refused(provider: Provider) -> None:
    response = requests.post(
        provider.sandbox.token_endpoint, json=["grant_type"], timeout=5
    )

    _assert_passport_error(response, 400, "unsupported_grant_type")


class TestPKCE:
    verifier = secrets.token_urlsafe(48)

    def _code(self, provider: Provider) -> str:
        return provider.login(
            code_challenge=_s256(self.verifier), code_challenge_method="S256"
        )

    def test_the_right_verifier_is_accepted(self, provider: Provider) -> None:
        response = provider.exchange(self._code(provider), code_verifier=self.verifier)

        assert response.status_code == 200

    def test_a_wrong_verifier_is_refused(self, provider: Provider) -> None:
        wrong_verifier = secrets.token_urlsafe(48)

        response = provider.exchange(self._code(provider), code_verifier=wrong_verifier)

        _assert_passport_error(response, 400, "invalid_grant", "Code challenge failed.")

    def test_a_missing_verifier_is_refused(self, provider: Provider) -> None:
        code = self._code(provider)

        response = provider.exchange(code)

        _assert_passport_error(response, 400, "invalid_request")
        assert provider.exchange(code, code_verifier=self.verifier).ok

    def test_a_verifier_without_a_challenge_is_refused(
        self, provider: Provider
    ) -> None:
        response = provider.exchange(provider.login(), code_verifier=self.verifier)

        _assert_passport_error(response, 400, "invalid_request")
