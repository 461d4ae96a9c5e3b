"""``@astorage.login_required`` and the unauthorized handler."""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlsplit

import pytest

from ..support import callback_path
from ..support import log_in
from ..support import query_of

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from flask_astorage import AStorage
    from flask_astorage.sandbox import SandboxServer

BROWSER_HEADERS: list[dict[str, str]] = [
    {},
    {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    {"Accept": "text/html, application/json;q=0.5"},
]
JSON_HEADERS: list[dict[str, str]] = [
    {"Accept": "application/json"},
    {"Accept": "application/json, text/html;q=0.5"},
    {"X-Requested-With": "XMLHttpRequest"},
]


@pytest.mark.parametrize("headers", BROWSER_HEADERS)
@pytest.mark.parametrize("path", ["/protected", "/protected?page=2&sort=a%20b"])
def test_a_browser_is_sent_to_log_in_and_back(
    path: str, headers: dict[str, str], client: FlaskClient
) -> None:
    response = client.get(path, headers=headers)

    assert response.status_code == 302
    location = response.headers["Location"]
    assert urlsplit(location).path == "/astorage/login"
    assert query_of(location) == {"next": [path]}


def test_after_login_the_browser_lands_where_it_wanted_to_go(
    client: FlaskClient, sandbox: SandboxServer
) -> None:
    wanted = "/protected?page=2&sort=a%20b"
    login_url = client.get(wanted).headers["Location"]

    authorize_url = client.get(login_url).headers["Location"]
    callback = client.get(callback_path(sandbox.approve(authorize_url)))

    assert callback.headers["Location"] == wanted
    assert client.get(wanted).get_json()["user_id"] == "1"


@pytest.mark.parametrize("headers", JSON_HEADERS)
def test_a_json_client_gets_401(headers: dict[str, str], client: FlaskClient) -> None:
    response = client.get("/protected", headers=headers)

    assert response.status_code == 401
    assert response.is_json
    assert response.get_json() == {
        "error": "login_required",
        "error_description": "Please sign in with Alpha Storage.",
    }


def test_options_requests_pass_through(
    app: Flask, astorage: AStorage, client: FlaskClient
) -> None:
    @app.route("/cors", methods=["GET", "OPTIONS"])
    @astorage.login_required
    def cors() -> str:
        return "view ran"

    assert client.options("/cors").get_data(as_text=True) == "view ran"
    assert client.get("/cors").status_code == 302


def test_views_run_through_ensure_sync(
    app: Flask,
    astorage: AStorage,
    client: FlaskClient,
    sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The wrapped view goes through ``app.ensure_sync``, as Flask-Login's does.

    Flask needs ``asgiref`` to run async views; this spy runs them with
    ``asyncio`` instead, so that the test does not depend on it.
    """
    handed_over: list[Callable[..., Any]] = []
    flask_ensure_sync = app.ensure_sync

    def ensure_sync(view: Callable[..., Any]) -> Callable[..., Any]:
        handed_over.append(view)
        if inspect.iscoroutinefunction(view):
            return lambda *args, **kwargs: asyncio.run(view(*args, **kwargs))
        return flask_ensure_sync(view)

    monkeypatch.setattr(app, "ensure_sync", ensure_sync)

    @app.get("/async/<name>")
    @astorage.login_required
    async def async_view(name: str) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"name": name, "user_id": astorage.user_id}

    assert client.get("/async/files").status_code == 302
    assert not any(inspect.iscoroutinefunction(view) for view in handed_over)

    log_in(client, sandbox)
    answer = client.get("/async/files").get_json()

    assert answer == {"name": "files", "user_id": "1"}
    assert sum(inspect.iscoroutinefunction(view) for view in handed_over) == 1


@pytest.mark.skipif(
    importlib.util.find_spec("asgiref") is None,
    reason="Flask runs async views only with asgiref, which is not installed"
    " (pip install 'flask[async]').",
)
def test_an_async_view_with_flask_async_support(
    app: Flask, astorage: AStorage, client: FlaskClient, sandbox: SandboxServer
) -> None:
    @app.get("/async")
    @astorage.login_required
    async def async_view() -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"user_id": astorage.user_id}

    log_in(client, sandbox)

    assert client.get("/async").get_json() == {"user_id": "1"}


@pytest.mark.parametrize("headers", [BROWSER_HEADERS[0], JSON_HEADERS[0]])
@pytest.mark.parametrize("path", ["/protected", "/_test/api?path=/api/user"])
def test_the_unauthorized_handler_can_be_replaced(
    path: str,
    headers: dict[str, str],
    app: Flask,
    astorage: AStorage,
    client: FlaskClient,
) -> None:
    """Both ways in use it: the decorator, and an API call made without a login."""

    def answer_teapot() -> tuple[dict[str, str], int]:
        return {"custom": "please log in"}, 418

    registered = astorage.unauthorized_handler(answer_teapot)
    response = client.get(path, headers=headers)

    assert registered is answer_teapot
    assert response.status_code == 418
    assert response.get_json() == {"custom": "please log in"}
