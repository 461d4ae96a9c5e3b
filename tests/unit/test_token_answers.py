"""Tests of how :mod:`flask_astorage.provider` judges token endpoint answers.

The answers are real :class:`requests.Response` objects built by hand, so
the checks read them exactly as they read the provider's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
from requests.adapters import HTTPAdapter

from flask_astorage.config import load_settings
from flask_astorage.errors import ClientMisconfigured
from flask_astorage.errors import ProviderTimeout
from flask_astorage.errors import ProviderUnavailable
from flask_astorage.errors import TokenRejected
from flask_astorage.provider import DEFAULT_RETRY_AFTER
from flask_astorage.provider import TokenEndpoint
from flask_astorage.provider import _checked_answer
from flask_astorage.tokens import Token

CLIENT_ID = "99188b51-9abe-4028-8893-4905d7df9438"
CLIENT_SECRET = "MfmUvvZlS20SDSV2VF8w32zUFrcuV7CI9A2SHhdj"
TOKEN_URL = "https://api.astorage.test/oauth/token"
HTML_ERROR_PAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"

#: Passport 11 and 12 answer a used or revoked refresh token like this.
PASSPORT_12_REVOKED = {
    "error": "invalid_request",
    "error_description": "The refresh token is invalid.",
    "hint": "Token has been revoked",
    "message": "The refresh token is invalid.",
}
#: Passport 13 answers the same fault like this.
PASSPORT_13_REVOKED = {
    "error": "invalid_grant",
    "error_description": "The refresh token is invalid.",
    "hint": "Token has been revoked",
}
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": "Client authentication failed",
    "message": "Client authentication failed",
}
INVALID_SCOPE = {
    "error": "invalid_scope",
    "error_description": "The requested scope is invalid, unknown, or malformed",
    "hint": "Check the `admin` scope",
}


def _response(
    status_code: int,
    body: Mapping[str, Any] | list[Any] | bytes,
    *,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """Build the answer of the token endpoint to a refresh with our secret."""
    response = requests.Response()
    response.status_code = status_code
    response.url = TOKEN_URL
    if isinstance(body, bytes):
        response._content = body
        response.headers["Content-Type"] = "text/html; charset=UTF-8"
    else:
        response._content = json.dumps(body).encode("utf-8")
        response.headers["Content-Type"] = "application/json"
    response.headers.update(headers or {})
    response.request = requests.Request(
        "POST",
        TOKEN_URL,
        data={
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": "def50200refresh",
        },
    ).prepare()
    return response


def test_a_good_answer_passes(page_answer: dict[str, Any]) -> None:
    checked = _checked_answer(_response(200, page_answer))

    assert checked.status_code == 200
    assert checked.json() == page_answer
    checked.raise_for_status()


@pytest.mark.parametrize(
    ("expires_in", "expected"),
    [(1296000, 1296000), ("1296000", 1296000), (1295999.2, 1296000), ("60", 60)],
)
def test_expires_in_is_normalised_to_whole_seconds(
    page_answer: dict[str, Any], expires_in: object, expected: int
) -> None:
    page_answer["expires_in"] = expires_in

    payload = _checked_answer(_response(200, page_answer)).json()

    assert payload["expires_in"] == expected
    assert type(payload["expires_in"]) is int


@pytest.mark.parametrize("expires_in", [0, -5, "soon", None, True, "nan"])
def test_a_bad_expires_in_is_dropped(
    page_answer: dict[str, Any], expires_in: object
) -> None:
    page_answer["expires_in"] = expires_in

    payload = _checked_answer(_response(200, page_answer)).json()

    assert "expires_in" not in payload
    assert payload["access_token"] == page_answer["access_token"]


def test_the_checked_json_is_a_copy(page_answer: dict[str, Any]) -> None:
    checked = _checked_answer(_response(200, page_answer))

    checked.json()["access_token"] = "changed"

    assert checked.json()["access_token"] == page_answer["access_token"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<html>Welcome</html>", id="html"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"access_token": ', id="truncated-json"),
        pytest.param(["access_token"], id="json-list"),
        pytest.param(b"\xff\xfe\x00garbage", id="binary"),
    ],
)
def test_a_200_that_is_not_a_json_object_means_the_provider_is_in_trouble(
    body: bytes | list[Any],
) -> None:
    with pytest.raises(ProviderUnavailable, match="could not read") as caught:
        _checked_answer(_response(200, body))

    assert caught.value.error == "invalid_token_response"
    assert caught.value.status_code == 502


def test_a_200_without_access_token_passes_the_check_but_makes_no_token(
    page_answer: dict[str, Any],
) -> None:
    del page_answer["access_token"]

    payload = _checked_answer(_response(200, page_answer)).json()

    assert payload["refresh_token"] == page_answer["refresh_token"]
    with pytest.raises(ProviderUnavailable, match="without an access token"):
        Token.from_response(payload)


@pytest.mark.parametrize(
    ("status_code", "body"),
    [
        (500, b"<html><body>Whoops, something went wrong.</body></html>"),
        (502, HTML_ERROR_PAGE),
        (503, {"message": "Service Unavailable"}),
        (504, b""),
        (500, {"error": "server_error", "error_description": "Oops"}),
    ],
)
def test_server_errors_mean_the_provider_is_in_trouble(
    status_code: int, body: bytes | dict[str, Any]
) -> None:
    with pytest.raises(ProviderUnavailable, match="not available right now") as caught:
        _checked_answer(_response(status_code, body))

    assert caught.value.status_code == 502
    assert caught.value.error == "temporarily_unavailable"
    assert caught.value.retry_after == DEFAULT_RETRY_AFTER


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        ("7", 7),
        (" 7 ", 7),
        ("0", 1),
        ("999999", 3600),
        ("soon", DEFAULT_RETRY_AFTER),
        ("7.5", DEFAULT_RETRY_AFTER),
        ("Wed, 21 Oct 2015 07:28:00 GMT", DEFAULT_RETRY_AFTER),
        ("", DEFAULT_RETRY_AFTER),
        (None, DEFAULT_RETRY_AFTER),
    ],
)
def test_rate_limiting_is_answered_503_with_retry_after(
    retry_after: str | None, expected: int
) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    answer = _response(429, {"message": "Too Many Attempts."}, headers=headers)

    with pytest.raises(ProviderUnavailable, match="try again shortly") as caught:
        _checked_answer(answer)

    assert caught.value.status_code == 503
    assert caught.value.retry_after == expected


@pytest.mark.parametrize(
    ("status_code", "body"),
    [
        pytest.param(400, PASSPORT_13_REVOKED, id="passport-13-invalid-grant"),
        pytest.param(401, PASSPORT_12_REVOKED, id="passport-12-invalid-request"),
        pytest.param(400, PASSPORT_12_REVOKED, id="400-invalid-request"),
        pytest.param(401, {"error": "invalid_grant"}, id="401-bare-invalid-grant"),
    ],
)
def test_a_dead_grant_is_rejected(status_code: int, body: dict[str, Any]) -> None:
    with pytest.raises(TokenRejected, match="sign in again") as caught:
        _checked_answer(_response(status_code, body))

    assert caught.value.error == body["error"]
    assert caught.value.status_code == 401


@pytest.mark.parametrize(
    ("status_code", "body"),
    [
        pytest.param(401, INVALID_CLIENT, id="401-invalid-client"),
        pytest.param(400, INVALID_CLIENT, id="400-invalid-client"),
        pytest.param(400, INVALID_SCOPE, id="400-invalid-scope"),
    ],
)
def test_a_refused_client_is_our_misconfiguration(
    caplog: pytest.LogCaptureFixture, status_code: int, body: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG, logger="flask_astorage.provider")

    with pytest.raises(ClientMisconfigured, match="misconfigured") as caught:
        _checked_answer(_response(status_code, body))

    assert caught.value.error == body["error"]
    assert CLIENT_SECRET not in str(caught.value)
    [record] = [item for item in caplog.records if item.levelno == logging.ERROR]
    message = record.getMessage()
    assert record.name == "flask_astorage.provider"
    for key in ("'ASTORAGE_CLIENT_ID'", "'ASTORAGE_CLIENT_SECRET'", "'ASTORAGE_SCOPE'"):
        assert key in message
    assert body["error"] in message
    assert CLIENT_SECRET not in caplog.text


@pytest.mark.parametrize(
    ("status_code", "body"),
    [
        pytest.param(400, b"<html><body>Bad Request</body></html>", id="400-html"),
        pytest.param(401, b"Unauthorized", id="401-text"),
        pytest.param(
            400, {"message": "The given data was invalid."}, id="400-no-error"
        ),
        pytest.param(401, {"error": ""}, id="401-empty-error"),
        pytest.param(400, {"error": ["invalid_grant"]}, id="400-error-not-text"),
    ],
)
def test_a_4xx_without_an_oauth_error_keeps_the_token(
    status_code: int, body: bytes | dict[str, Any]
) -> None:
    # A proxy's error page says nothing about the token: it must be kept.
    with pytest.raises(ProviderUnavailable, match="could not read") as caught:
        _checked_answer(_response(status_code, body))

    assert not isinstance(caught.value, TokenRejected)


@pytest.mark.parametrize(
    ("status_code", "body"),
    [
        (403, {"error": "access_denied", "error_description": "Forbidden"}),
        (404, {"error": "not_found"}),
        (200, {"error": "invalid_grant"}),
    ],
)
def test_other_oauth_errors_keep_the_token(
    status_code: int, body: dict[str, Any]
) -> None:
    with pytest.raises(ProviderUnavailable, match="could not complete") as caught:
        _checked_answer(_response(status_code, body))

    assert caught.value.error == body["error"]
    assert not isinstance(caught.value, TokenRejected)


@pytest.mark.parametrize(
    ("status_code", "body"),
    [(204, b""), (301, b"Moved"), (302, {"access_token": "eyJ.eyJ.sig"})],
)
def test_other_statuses_without_error_are_not_tokens(
    status_code: int, body: bytes | dict[str, Any]
) -> None:
    with pytest.raises(ProviderUnavailable, match="could not read"):
        _checked_answer(_response(status_code, body))


class _FakeProvider:
    """A transport that answers every request with one prepared outcome."""

    def __init__(self, answer: Callable[[], requests.Response]) -> None:
        self.answer = answer
        self.requests: list[requests.PreparedRequest] = []
        self.timeouts: list[object] = []

    def send(
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        self.requests.append(request)
        self.timeouts.append(kwargs.get("timeout"))
        response = self.answer()
        response.request = request
        return response


Install = Callable[[Callable[[], requests.Response]], _FakeProvider]


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Install:
    """Answer every HTTP request of the test with a fake, never the network."""

    def install(answer: Callable[[], requests.Response]) -> _FakeProvider:
        fake = _FakeProvider(answer)
        monkeypatch.setattr(HTTPAdapter, "send", fake.send)
        return fake

    return install


def _endpoint() -> TokenEndpoint:
    settings = load_settings(
        {
            "ASTORAGE_CLIENT_ID": CLIENT_ID,
            "ASTORAGE_CLIENT_SECRET": CLIENT_SECRET,
            "ASTORAGE_TOKEN_URL": TOKEN_URL,
        }
    )
    return TokenEndpoint(settings, remote_app=None)


OLD_TOKEN = Token(
    access_token="old-access", refresh_token="def50200refresh", scope="files"
)


def test_a_refresh_sends_the_page_request_and_keeps_the_new_token(
    provider: Install,
    page_answer: dict[str, Any],
) -> None:
    page_answer["expires_in"] = "1296000"
    fake = provider(lambda: _response(200, page_answer))

    token = _endpoint().refresh(OLD_TOKEN)

    assert token.access_token == page_answer["access_token"]
    assert token.refresh_token == page_answer["refresh_token"]
    assert token.scope == "files"
    assert token.expires_at is not None
    [sent] = fake.requests
    assert sent.url == TOKEN_URL
    assert fake.timeouts == [10.0]
    assert isinstance(sent.body, str)
    assert dict(parse_qsl(sent.body, keep_blank_values=True)) == {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": "def50200refresh",
        "scope": "",
    }


@pytest.mark.parametrize(
    ("answer", "error_class", "match"),
    [
        (lambda: _response(401, PASSPORT_12_REVOKED), TokenRejected, "sign in again"),
        (lambda: _response(400, PASSPORT_13_REVOKED), TokenRejected, "sign in again"),
        (lambda: _response(401, INVALID_CLIENT), ClientMisconfigured, "misconfigured"),
        (lambda: _response(502, HTML_ERROR_PAGE), ProviderUnavailable, "not available"),
        (
            lambda: _response(400, HTML_ERROR_PAGE),
            ProviderUnavailable,
            "could not read",
        ),
    ],
)
def test_a_refresh_judges_the_answer(
    provider: Install,
    answer: Callable[[], requests.Response],
    error_class: type[Exception],
    match: str,
) -> None:
    provider(answer)

    with pytest.raises(error_class, match=match):
        _endpoint().refresh(OLD_TOKEN)


@pytest.mark.parametrize(
    "failure", [requests.ConnectTimeout, requests.ReadTimeout, requests.ConnectionError]
)
def test_a_refresh_that_gets_no_answer_times_out(
    provider: Install,
    failure: type[requests.RequestException],
) -> None:
    def lost() -> requests.Response:
        raise failure("connection lost")

    provider(lost)

    with pytest.raises(ProviderTimeout, match="did not answer in time") as caught:
        _endpoint().refresh(OLD_TOKEN)

    assert caught.value.retry_after == DEFAULT_RETRY_AFTER


def test_a_token_without_refresh_token_cannot_be_refreshed() -> None:
    with pytest.raises(TokenRejected, match="no refresh token"):
        _endpoint().refresh(Token(access_token="old-access", refresh_token=None))
