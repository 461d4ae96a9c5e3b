"""Where the browser lands after a real login: ``next`` only if it is on this site.

Each value goes through the whole flow (login view, the sandbox's consent
page, the callback), so the test sees what a browser would be sent to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

from tests.support import TEST_CLIENT_ORIGIN
from tests.support import callback_path
from tests.support import start_login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from flask_astorage.sandbox import SandboxServer

#: ``ASTORAGE_LOGIN_REDIRECT``'s default.
LOGIN_REDIRECT = "/"


def land_after_login(client: FlaskClient, sandbox: SandboxServer, next_url: str) -> str:
    """Log in with ``next_url``; return where the callback sends the browser."""
    authorize_url = start_login(client, quote(next_url, safe=""))
    response = client.get(callback_path(sandbox.approve(authorize_url)))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example",
        "///evil.example",
        "https://evil.example/",
        "HTTPS://evil.example/",
        "http:evil.example",
        "\\\\evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "/%5cevil.example",
        "%2F%2Fevil.example",
        "/%2F/evil.example",
        "javascript:alert(1)",
        "/pa\tth",
        "/pa\nth",
        "/pa\rth",
        "//evil.example/\t",
        f"https://{TEST_CLIENT_ORIGIN.partition('://')[2]}/files",
        f"{TEST_CLIENT_ORIGIN}:8080/files",
        "http://localhost.evil.example/files",
        "http://[evil.example/files",
        " //evil.example",
    ],
)
def test_a_next_url_off_this_site_is_refused(
    client: FlaskClient, sandbox: SandboxServer, next_url: str
) -> None:
    assert land_after_login(client, sandbox, next_url) == LOGIN_REDIRECT


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/files?id=3#top", "/files?id=3#top"),
        ("/protected", "/protected"),
        ("/files/a%20b?q=x%26y", "/files/a%20b?q=x%26y"),
        (f"{TEST_CLIENT_ORIGIN}/files?id=3", "/files?id=3"),
    ],
)
def test_a_path_on_this_site_is_followed(
    client: FlaskClient, sandbox: SandboxServer, next_url: str, landing: str
) -> None:
    assert land_after_login(client, sandbox, next_url) == landing
