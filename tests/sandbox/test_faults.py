"""Fault switches on the token endpoint."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from flask_astorage.sandbox import Fault
from flask_astorage.sandbox import FaultKind
from flask_astorage.sandbox import SandboxServer
from tests.sandbox.sandbox_support import Provider

#: Short enough for a quick test, longer than the client's timeout below.
DELAY_SECONDS = 1.5
CLIENT_TIMEOUT = 0.5


def _wait_for_token_records(sandbox: SandboxServer, count: int) -> None:
    deadline = time.monotonic() + DELAY_SECONDS + 3
    while sandbox.token_calls() < count:
        assert time.monotonic() < deadline, "the delayed request never finished"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("kind", "status", "content_type"),
    [
        ("html_500", 500, "text/html"),
        ("bad_gateway", 502, "text/html"),
        ("not_json", 200, "text/html"),
        ("no_access_token", 200, "application/json"),
        ("invalid_grant", 400, "application/json"),
        ("invalid_request", 401, "application/json"),
        ("invalid_client", 401, "application/json"),
        ("invalid_scope", 400, "application/json"),
    ],
)
def test_a_fault_answers_once_and_leaves_the_refresh_token_alive(
    provider: Provider, kind: str, status: int, content_type: str
) -> None:
    refresh_token = provider.tokens()["refresh_token"]
    provider.sandbox.fail_next(kind)

    faulted = provider.refresh(refresh_token)

    assert faulted.status_code == status
    assert faulted.headers["Content-Type"].startswith(content_type)
    assert provider.refresh(refresh_token).status_code == 200


def test_not_json_is_really_not_json(provider: Provider) -> None:
    provider.sandbox.fail_next(FaultKind.NOT_JSON)

    response = provider.refresh("any")

    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_no_access_token_answers_json_without_the_token(provider: Provider) -> None:
    provider.sandbox.fail_next(FaultKind.NO_ACCESS_TOKEN)

    body = provider.refresh("any").json()

    assert "access_token" not in body
    assert body["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "invalid_grant",
            {
                "error": "invalid_grant",
                "error_description": "The refresh token is invalid.",
                "hint": "Token has been revoked",
            },
        ),
        (
            "invalid_request",
            {
                "error": "invalid_request",
                "error_description": "The refresh token is invalid.",
                "hint": "Token has been revoked",
                "message": "The refresh token is invalid.",
            },
        ),
        (
            "invalid_client",
            {
                "error": "invalid_client",
                "error_description": "Client authentication failed",
            },
        ),
    ],
)
def test_error_faults_copy_passports_json(
    provider: Provider, kind: str, expected: dict[str, str]
) -> None:
    provider.sandbox.fail_next(kind)

    assert provider.refresh("any").json() == expected


def test_rate_limited_sends_retry_after(provider: Provider) -> None:
    provider.sandbox.fail_next("rate_limited")
    provider.sandbox.fail_next("rate_limited", retry_after=30)

    first = provider.refresh("any")
    second = provider.refresh("any")

    assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
    assert (second.status_code, second.headers["Retry-After"]) == (429, "30")


def test_close_connection_drops_the_request_without_an_answer(
    provider: Provider,
) -> None:
    refresh_token = provider.tokens()["refresh_token"]
    provider.sandbox.fail_next("close_connection")

    with pytest.raises(requests.ConnectionError):
        provider.refresh(refresh_token)

    record = provider.sandbox.recorded("token")[-1]
    assert (record.fault, record.status) == ("close_connection", None)
    assert provider.refresh(refresh_token).status_code == 200


def test_delay_outlasts_the_client_and_keeps_the_refresh_token(
    provider: Provider,
) -> None:
    sandbox = provider.sandbox
    refresh_token = provider.tokens()["refresh_token"]
    sandbox.fail_next("delay", delay_seconds=DELAY_SECONDS)
    calls_before = sandbox.token_calls()

    with pytest.raises(requests.Timeout):
        provider.post_token(
            {
                "grant_type": "refresh_token",
                "client_id": sandbox.client_id,
                "client_secret": sandbox.client_secret,
                "refresh_token": refresh_token,
            },
            timeout=CLIENT_TIMEOUT,
        )

    assert provider.refresh(refresh_token).status_code == 200
    _wait_for_token_records(sandbox, calls_before + 2)
    delayed = [record for record in sandbox.recorded("token") if record.fault]
    assert [(record.fault, record.status) for record in delayed] == [("delay", 503)]


def test_a_fault_can_target_one_grant_type(provider: Provider) -> None:
    provider.sandbox.fail_next("bad_gateway", 2, grant_type="refresh_token")

    tokens = provider.tokens()
    first = provider.refresh(tokens["refresh_token"])
    second = provider.refresh(tokens["refresh_token"])
    third = provider.refresh(tokens["refresh_token"])

    assert [first.status_code, second.status_code, third.status_code] == [502, 502, 200]


def test_a_faulted_code_exchange_leaves_the_code_alive(provider: Provider) -> None:
    code = provider.login()
    provider.sandbox.fail_next("html_500", grant_type="authorization_code")

    assert provider.exchange(code).status_code == 500
    assert provider.exchange(code).status_code == 200


def test_faulted_calls_are_recorded_with_their_kind(provider: Provider) -> None:
    provider.sandbox.fail_next("html_500")

    provider.refresh("some-token")

    (record,) = provider.sandbox.recorded("token")
    assert (record.fault, record.status, record.grant_type) == (
        "html_500",
        500,
        "refresh_token",
    )
    assert provider.sandbox.token_calls(grant_type="refresh_token") == 1


def test_faults_can_be_queued_over_http(provider: Provider) -> None:
    sandbox = provider.sandbox
    queued = requests.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"kind": "rate_limited", "times": 2, "retry_after": 3},
        timeout=5,
    )
    assert queued.status_code == 201
    pending = requests.get(f"{sandbox.url}/_sandbox/faults", timeout=5).json()
    assert pending["faults"][0]["kind"] == "rate_limited"

    statuses = [provider.refresh("x").status_code for _ in range(3)]

    assert statuses == [429, 429, 400]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "explode"}, "Unknown fault kind 'explode'"),
        ({"times": 2}, "needs a 'kind'"),
        ({"kind": "html_500", "times": 0}, "'times' must be a whole number"),
        ({"kind": "html_500", "times": "2"}, "'times' must be a whole number"),
        ({"kind": "delay", "delay_seconds": -1}, "'delay_seconds' must be"),
        ({"kind": "html_500", "grant_type": 3}, "'grant_type' must be a string"),
        ({"kind": "html_500", "colour": "red"}, "Unknown fault field"),
        (["html_500"], "must be a JSON object"),
    ],
)
def test_bad_fault_requests_are_refused_with_a_reason(
    sandbox: SandboxServer, body: Any, message: str
) -> None:
    response = requests.post(f"{sandbox.url}/_sandbox/faults", json=body, timeout=5)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert sandbox.state.faults.pending() == []


def test_fault_rejects_a_bad_count_in_python() -> None:
    with pytest.raises(ValueError, match="'times' must be a whole number"):
        Fault(kind=FaultKind.HTML_500, times=0)
