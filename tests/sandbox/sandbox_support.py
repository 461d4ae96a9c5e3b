"""Helpers shared by the sandbox's tests: a fake clock and client calls."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import requests

from flask_astorage.sandbox import SandboxServer

#: Seconds any single request of these tests may take.
REQUEST_TIMEOUT = 5.0


class FakeClock:
    """A clock that moves only when told, for expiry tests."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Provider:
    """Makes the calls an OAuth client makes, against one sandbox."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox

    def authorize_url(self, **params: str) -> str:
        return self.sandbox.authorization_url(**params)

    def login(self, username: str = "alice", **params: str) -> str:
        """Approve an authorize URL and return the code from the callback."""
        callback = self.sandbox.approve(self.authorize_url(**params), username)
        return callback_params(callback)["code"]

    def exchange(
        self, code: str, *, as_json: bool = False, **overrides: Any
    ) -> requests.Response:
        body = {
            "grant_type": "authorization_code",
            "client_id": self.sandbox.client_id,
            "client_secret": self.sandbox.client_secret,
            "redirect_uri": self.sandbox.redirect_uri,
            "code": code,
            **overrides,
        }
        return self.post_token(body, as_json=as_json)

    def refresh(
        self, refresh_token: str, *, as_json: bool = False, **overrides: Any
    ) -> requests.Response:
        body = {
            "grant_type": "refresh_token",
            "client_id": self.sandbox.client_id,
            "client_secret": self.sandbox.client_secret,
            "refresh_token": refresh_token,
            "scope": "",
            **overrides,
        }
        return self.post_token(body, as_json=as_json)

    def post_token(
        self,
        body: dict[str, Any],
        *,
        as_json: bool = False,
        timeout: float = REQUEST_TIMEOUT,
        **options: Any,
    ) -> requests.Response:
        body = {name: value for name, value in body.items() if value is not None}
        url = self.sandbox.token_endpoint
        if as_json:
            return requests.post(url, json=body, timeout=timeout, **options)
        return requests.post(url, data=body, timeout=timeout, **options)

    def tokens(self, username: str = "alice", **params: str) -> dict[str, Any]:
        """Log in and exchange the code; return the token response."""
        response = self.exchange(self.login(username, **params))
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    def current_user(self, access_token: str) -> requests.Response:
        return requests.get(
            self.sandbox.user_endpoint,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=REQUEST_TIMEOUT,
        )


def callback_params(callback_url: str) -> dict[str, str]:
    """Return the single-valued query parameters of a callback URL."""
    query = parse_qs(urlsplit(callback_url).query, keep_blank_values=True)
    return {name: values[0] for name, values in query.items()}
