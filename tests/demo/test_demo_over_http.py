"""The demo's login, API call, logout and Deny, over real HTTP without a browser.

``requests`` plays the browser: it keeps the demo's cookie and follows the
same links a person would, while the sandbox's recorder shows what the demo
sent to the provider at each step.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import requests

from flask_astorage.sandbox import approve
from flask_astorage.sandbox import deny

if TYPE_CHECKING:
    from .demo_process import DemoProcess

_LOGIN_LINK = re.compile(r'id="login"\s+href="([^"]+)"')


def test_login_profile_api_call_and_logout(demo: DemoProcess) -> None:
    demo.clear_sandbox_requests()
    with requests.Session() as browser:
        _log_in_use_the_api_and_log_out(demo, browser)


def test_deny_returns_home_with_a_message(demo: DemoProcess) -> None:
    demo.clear_sandbox_requests()
    with requests.Session() as browser:
        authorize_url = _press_login(demo, browser)
        home = browser.get(deny(authorize_url), timeout=10)

    assert home.status_code == 200
    assert home.url == f"{demo.url}/"
    assert "Sign-in was cancelled." in home.text
    assert _LOGIN_LINK.search(home.text)
    assert demo.sandbox_requests("token") == []


def _log_in_use_the_api_and_log_out(
    demo: DemoProcess, browser: requests.Session
) -> None:
    authorize_url = _press_login(demo, browser)
    callback_url = approve(authorize_url, username="alice")
    assert callback_url.startswith(f"{demo.url}/astorage/callback?")

    finished = browser.get(callback_url, allow_redirects=False, timeout=10)
    assert finished.status_code == 302
    assert finished.headers["Location"] == "/profile"
    assert finished.headers["Cache-Control"] == "no-store"
    assert finished.headers["Referrer-Policy"] == "no-referrer"

    profile = browser.get(f"{demo.url}/profile", timeout=10)
    assert profile.status_code == 200
    assert '<dd id="user-id">1</dd>' in profile.text
    assert "UTC (in 15 days)" in profile.text

    api_page = browser.get(f"{demo.url}/profile/api", timeout=10)
    assert api_page.status_code == 200
    assert "GET /api/user: HTTP 200" in api_page.text
    assert "&#34;name&#34;: &#34;alice&#34;" in api_page.text
    # The page shows what the token allows, never the token itself.
    assert "eyJ" not in profile.text + api_page.text

    _assert_the_demo_spoke_the_contract(demo)

    logged_out = browser.post(
        f"{demo.url}/astorage/logout", allow_redirects=False, timeout=10
    )
    assert logged_out.status_code == 302
    assert logged_out.headers["Location"] == "/"
    assert _LOGIN_LINK.search(browser.get(f"{demo.url}/", timeout=10).text)

    again = browser.get(f"{demo.url}/profile", allow_redirects=False, timeout=10)
    assert again.status_code == 302
    assert urlsplit(again.headers["Location"]).path == "/astorage/login"
    assert _query(again.headers["Location"]) == {"next": ["/profile"]}


def _press_login(demo: DemoProcess, browser: requests.Session) -> str:
    """Open the home page, follow its login button; return the authorize URL."""
    home = browser.get(f"{demo.url}/", timeout=10)
    link = _LOGIN_LINK.search(home.text)
    assert link, home.text

    to_provider = browser.get(
        f"{demo.url}{link.group(1)}", allow_redirects=False, timeout=10
    )
    assert to_provider.status_code == 302
    authorize_url = to_provider.headers["Location"]
    assert authorize_url.startswith(f"{demo.sandbox_url}/oauth/authorize?")
    return authorize_url


def _assert_the_demo_spoke_the_contract(demo: DemoProcess) -> None:
    """Check the authorize, token and API requests the sandbox received."""
    redirect_uri = f"{demo.url}/astorage/callback"

    authorize = demo.sandbox_requests("authorize")[0]
    assert authorize["method"] == "GET"
    sent = dict(authorize["params"])
    assert sorted(sent) == [
        "client_id",
        "code_challenge",
        "code_challenge_method",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
    ]
    assert sent["redirect_uri"] == redirect_uri
    assert sent["response_type"] == "code"
    assert sent["scope"] == ""
    assert sent["code_challenge_method"] == "S256"

    (exchange,) = demo.sandbox_requests("token")
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["status"] == 200
    assert sorted(name for name, _ in exchange["params"]) == [
        "client_id",
        "client_secret",
        "code",
        "code_verifier",
        "grant_type",
        "redirect_uri",
    ]
    assert dict(exchange["params"])["redirect_uri"] == redirect_uri

    (user_call,) = demo.sandbox_requests("user")
    assert user_call["authorization_scheme"] == "Bearer"
    assert user_call["status"] == 200


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)
