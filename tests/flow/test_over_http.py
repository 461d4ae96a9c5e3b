"""The whole login with the app itself served over real HTTP on loopback.

A :class:`requests.Session` plays the browser: it keeps the session cookie
and follows no redirect on its own, so that each hop can be checked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import pytest
import requests

from flask_astorage.sandbox import serve_in_thread
from flask_astorage.sandbox import start_sandbox
from flask_astorage.sandbox.settings import DEFAULT_ACCESS_TOKEN_LIFETIME

from ..support import free_port
from ..support import make_test_app
from ..support import query_of

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Flask

    from flask_astorage.sandbox import SandboxServer

#: Below the app's refresh leeway of 60 seconds: such a token is refreshed
#: at its first use, without waiting for it to expire.
SHORT_LIFETIME = 2


@dataclass
class LiveSite:
    """The app on a real port, the sandbox it logs in against, a browser."""

    app: Flask
    sandbox: SandboxServer
    url: str
    browser: requests.Session

    def get(self, path: str) -> requests.Response:
        return self.browser.get(urljoin(self.url, path), allow_redirects=False)

    def post(self, path: str) -> requests.Response:
        return self.browser.post(urljoin(self.url, path), allow_redirects=False)

    def log_in(self, path: str = "/protected") -> requests.Response:
        """Open ``path``, log in, approve, and follow the way back."""
        login = self.get(self.get(path).headers["Location"])
        callback_url = self.sandbox.approve(login.headers["Location"])
        return self.browser.get(callback_url, allow_redirects=False)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSite]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with start_sandbox(redirect_uris=[f"{url}/astorage/callback"]) as sandbox:
        app, _ = make_test_app(sandbox, str(tmp_path), ASTORAGE_REFRESH_LEEWAY=60)
        with serve_in_thread(app, port=port), requests.Session() as browser:
            yield LiveSite(app, sandbox, url, browser)
        app.extensions["astorage"].api.close()


def test_login_protected_page_and_api_call(live: LiveSite) -> None:
    to_login = live.get("/protected")
    to_provider = live.get(to_login.headers["Location"])
    authorize_url = to_provider.headers["Location"]
    callback_url = live.sandbox.approve(authorize_url)
    back = live.browser.get(callback_url, allow_redirects=False)
    page = live.get("/protected")

    assert to_login.status_code == 302
    assert to_provider.status_code == 302
    assert authorize_url.startswith(live.sandbox.authorize_endpoint + "?")
    assert query_of(authorize_url)["redirect_uri"] == [f"{live.url}/astorage/callback"]
    assert callback_url.startswith(f"{live.url}/astorage/callback?")
    assert (back.status_code, back.headers["Location"]) == (302, "/protected")
    assert back.headers["Cache-Control"] == "no-store"
    assert page.status_code == 200
    assert page.json() == {
        "user_id": "1",
        "api": {"id": "1", "name": "alice", "scopes": []},
    }

    [authorize] = [r for r in live.sandbox.recorded("authorize") if r.method == "GET"]
    [exchange] = live.sandbox.recorded("token")
    [api_call] = live.sandbox.recorded("user")
    assert dict(authorize.params) == {
        name: values[0] for name, values in query_of(authorize_url).items()
    }
    assert exchange.grant_type == "authorization_code"
    assert exchange.get("redirect_uri") == f"{live.url}/astorage/callback"
    assert exchange.get("code") == query_of(callback_url)["code"][0]
    assert (api_call.authorization_scheme, api_call.status) == ("Bearer", 200)


def test_a_short_lived_token_is_refreshed(live: LiveSite) -> None:
    live.sandbox.update_settings(access_token_lifetime=SHORT_LIFETIME)
    live.log_in()
    # A token is due for refresh after half its life, at the latest.
    time.sleep(SHORT_LIFETIME / 2)
    # The refreshed token lives long, so only the first use refreshes.
    live.sandbox.update_settings(access_token_lifetime=DEFAULT_ACCESS_TOKEN_LIFETIME)

    first = live.get("/protected")
    second = live.get("/protected")

    assert first.status_code == second.status_code == 200
    assert live.sandbox.token_calls("refresh_token") == 1
    [refresh] = [
        record
        for record in live.sandbox.recorded("token")
        if record.grant_type == "refresh_token"
    ]
    assert sorted(refresh.param_names) == [
        "client_id",
        "client_secret",
        "grant_type",
        "refresh_token",
        "scope",
    ]
    assert refresh.get("scope") == ""
    assert [record.status for record in live.sandbox.recorded("user")] == [200, 200]


def test_logout_ends_the_login(live: LiveSite) -> None:
    live.log_in()
    assert live.get("/protected").status_code == 200

    refused = live.get("/astorage/logout")
    logout = live.post("/astorage/logout")
    after = live.get("/protected")

    assert refused.status_code == 405
    assert (logout.status_code, logout.headers["Location"]) == (302, "/")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/astorage/login?")


def test_deny_comes_back_without_a_login(live: LiveSite) -> None:
    to_provider = live.get(live.get("/protected").headers["Location"])
    callback_url = live.sandbox.deny(to_provider.headers["Location"])

    back = live.browser.get(callback_url, allow_redirects=False)

    assert query_of(callback_url)["error"] == ["access_denied"]
    assert (back.status_code, back.headers["Location"]) == (302, "/")
    assert live.sandbox.token_calls() == 0
    assert live.get("/protected").status_code == 302
