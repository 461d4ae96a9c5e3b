"""``astorage.api``: URLs, the Bearer header, the timeout, pooling, no cookies.

The API here is :class:`~tests.support.RecordingApi`, which keeps
connections alive (the sandbox's server closes each one) and records what
it received; logins still go through the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Any

import pytest

from flask_astorage import ProviderTimeout

from ..support import RecordingApi
from ..support import current_token
from ..support import log_in

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from flask_astorage import AStorage
    from flask_astorage.sandbox import SandboxServer

JSON_CLIENT = {"Accept": "application/json"}


@pytest.fixture
def api_server() -> Iterator[RecordingApi]:
    with RecordingApi() as server:
        yield server


@pytest.fixture
def timeout() -> float:
    """``ASTORAGE_TIMEOUT``; the default is left alone unless a test says."""
    return 10


@pytest.fixture
def app_config(api_server: RecordingApi, timeout: float) -> dict[str, Any]:
    return {
        "ASTORAGE_API_BASE_URL": f"{api_server.url}/v1",
        "ASTORAGE_TIMEOUT": timeout,
    }


@pytest.fixture
def logged_in(client: FlaskClient, sandbox: SandboxServer) -> FlaskClient:
    log_in(client, sandbox)
    return client


@pytest.mark.parametrize(
    "path",
    ["api/user", "/api/user", "{base}/v1/api/user"],
    ids=["relative", "rooted", "absolute-below-base"],
)
def test_paths_are_relative_to_the_api_base_url(
    path: str,
    api_server: RecordingApi,
    astorage: AStorage,
    logged_in: FlaskClient,
) -> None:
    with logged_in:
        logged_in.get("/_test/peek")
        response = astorage.api.get(path.format(base=api_server.url))

    assert response.json() == {"path": "/v1/api/user"}
    assert [call.path for call in api_server.calls] == ["/v1/api/user"]


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_each_method_sends_the_bearer_token(
    method: str,
    api_server: RecordingApi,
    astorage: AStorage,
    logged_in: FlaskClient,
) -> None:
    with logged_in:
        logged_in.get("/_test/peek")
        token = astorage.token
        getattr(astorage.api, method)("api/files", json={"name": "a.txt"})

    assert token is not None
    [call] = api_server.calls
    assert (call.method, call.path) == (method.upper(), "/v1/api/files")
    assert call.headers["authorization"] == f"Bearer {token.access_token}"


@pytest.mark.parametrize(
    "url",
    [
        lambda api, sandbox: "https://evil.example/v1/api/user",
        lambda api, sandbox: f"{sandbox.url}/v1/api/user",
        lambda api, sandbox: f"{api.url}/v2/api/user",
        lambda api, sandbox: f"{api.url}/v1/../admin",
        lambda api, sandbox: "%2e%2e/admin",
        lambda api, sandbox: "files/%2E%2E/%2e%2e/admin",
    ],
    ids=[
        "other-host",
        "other-port",
        "other-path",
        "dot-segments",
        "encoded-dots",
        "encoded-dots-inside",
    ],
)
def test_a_url_outside_the_api_base_url_is_refused_unsent(
    url: Callable[[RecordingApi, SandboxServer], str],
    api_server: RecordingApi,
    astorage: AStorage,
    logged_in: FlaskClient,
    sandbox: SandboxServer,
) -> None:
    with logged_in:
        logged_in.get("/_test/peek")
        with pytest.raises(ValueError, match="is not below 'ASTORAGE_API_BASE_URL'"):
            astorage.api.get(url(api_server, sandbox))

    assert api_server.calls == []
    assert sandbox.recorded("user") == []


@pytest.mark.parametrize("timeout", [0.5])
@pytest.mark.parametrize("headers", [{}, JSON_CLIENT], ids=["browser", "json"])
def test_a_slow_api_is_cut_off_by_the_timeout(
    headers: dict[str, str],
    app: Flask,
    astorage: AStorage,
    logged_in: FlaskClient,
) -> None:
    response = logged_in.get("/_test/api?path=slow", headers=headers)

    assert app.extensions["astorage"].api.timeout == 0.5
    assert response.status_code in (503, 504)
    assert int(response.headers["Retry-After"]) > 0
    if headers:
        assert response.get_json()["error"] == "provider_timeout"
    # The token is not to blame and stays.
    assert current_token(logged_in, astorage) is not None


@pytest.mark.parametrize("timeout", [0.5])
def test_the_timeout_raises_provider_timeout_to_the_caller(
    astorage: AStorage, logged_in: FlaskClient
) -> None:
    with logged_in:
        logged_in.get("/_test/peek")
        with pytest.raises(ProviderTimeout, match="did not answer in time"):
            astorage.api.get("slow")


def test_connections_are_reused_across_calls_and_requests(
    api_server: RecordingApi, logged_in: FlaskClient
) -> None:
    first = logged_in.get("/_test/api?path=api/user&path=api/files")
    second = logged_in.get("/_test/api?path=api/user")

    assert first.status_code == second.status_code == 200
    assert len(api_server.calls) == 3
    assert len({call.client_port for call in api_server.calls}) == 1


def test_the_shared_session_keeps_no_cookies(
    app: Flask, api_server: RecordingApi, logged_in: FlaskClient, sandbox: SandboxServer
) -> None:
    other = app.test_client()
    log_in(other, sandbox, username="bob")

    logged_in.get("/_test/api?path=set-cookie&path=api/user")
    other.get("/_test/api?path=api/user")

    assert [call.path for call in api_server.calls] == [
        "/v1/set-cookie",
        "/v1/api/user",
        "/v1/api/user",
    ]
    assert all("cookie" not in call.headers for call in api_server.calls)
    assert len(app.extensions["astorage"].api.session.cookies) == 0
    # Each call carried its own user's token.
    assert (
        api_server.calls[1].headers["authorization"]
        != (api_server.calls[2].headers["authorization"])
    )
