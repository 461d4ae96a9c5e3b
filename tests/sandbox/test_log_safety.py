"""Nothing the sandbox logs reveals a code, a token, a state or the secret."""

from __future__ import annotations

import logging

import pytest

from tests.sandbox.sandbox_support import Provider
from tests.sandbox.sandbox_support import callback_params


def test_a_whole_session_logs_no_secret_at_debug_level(
    provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox = provider.sandbox

    callback = sandbox.approve(sandbox.authorization_url(state="state-secret"))
    code = callback_params(callback)["code"]
    tokens = provider.exchange(code).json()
    renewed = provider.refresh(tokens["refresh_token"]).json()
    provider.refresh(tokens["refresh_token"])
    provider.current_user(renewed["access_token"])

    server_lines = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("urllib3")
    )
    assert "Issue token" in server_lines
    secrets = [
        "state-secret",
        code,
        sandbox.client_secret,
        tokens["access_token"],
        tokens["refresh_token"],
        renewed["access_token"],
        renewed["refresh_token"],
    ]
    for secret in secrets:
        assert secret not in server_lines
