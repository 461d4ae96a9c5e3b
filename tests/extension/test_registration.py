"""Registering AStorage on apps: factories, several apps, config checks."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from typing import Any

import pytest
from flask import Flask
from flask import url_for

from flask_astorage import AStorage
from flask_astorage import ConfigurationError
from flask_astorage.extension import SQLITE_FILE_NAME
from flask_astorage.state import LOGIN_ID_KEY
from flask_astorage.stores.memory import MemoryTokenStore
from flask_astorage.stores.session import SessionTokenStore
from flask_astorage.stores.sqlite import SQLiteTokenStore

from ..support import TEST_CLIENT_ORIGIN
from ..support import callback_path
from ..support import current_token
from ..support import log_in
from ..support import query_of
from ..support import session_of
from .conftest import OTHER_PREFIXES

if TYPE_CHECKING:
    from pathlib import Path

    from flask.testing import FlaskClient

    from flask_astorage.sandbox import SandboxServer


def base_config(sandbox: SandboxServer) -> dict[str, Any]:
    """The least configuration that logs in against ``sandbox``."""
    return {
        "SECRET_KEY": "test-secret-key",
        "ASTORAGE_CLIENT_ID": sandbox.client_id,
        "ASTORAGE_CLIENT_SECRET": sandbox.client_secret,
        "ASTORAGE_BASE_URL": sandbox.url,
    }


def bare_app(instance_path: Path, config: dict[str, Any]) -> Flask:
    app = Flask(__name__, instance_path=str(instance_path))
    app.config.update(config)
    return app


def log_in_under(
    client: FlaskClient, sandbox: SandboxServer, prefix: str, username: str
) -> str:
    """Log in through the blueprint mounted at ``prefix``; return the landing page."""
    authorize_url = client.get(f"{prefix}/login").headers["Location"]
    callback_url = sandbox.approve(authorize_url, username=username)
    response = client.get(callback_path(callback_url))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


@pytest.mark.parametrize("style", ["constructor", "factory"])
def test_registers_itself_on_the_app(
    style: str, sandbox: SandboxServer, tmp_path: Path
) -> None:
    if style == "constructor":
        app = bare_app(tmp_path, base_config(sandbox))
        astorage = AStorage(app)
    else:
        astorage = AStorage()

        def create_app() -> Flask:
            app = bare_app(tmp_path, base_config(sandbox))
            astorage.init_app(app)
            return app

        app = create_app()

    assert app.extensions["astorage"].extension is astorage
    assert {"astorage.login", "astorage.callback", "astorage.logout"} <= set(
        app.view_functions
    )
    assert not hasattr(astorage, "app")
    assert log_in(app.test_client(), sandbox).headers["Location"] == "/"


def test_one_extension_serves_two_apps_with_their_own_config(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    astorage = AStorage()
    apps: dict[str, Flask] = {}
    for prefix, landing, scope in [
        ("/astorage", "/first", ""),
        ("/auth", "/second", "files.read"),
    ]:
        app = bare_app(
            tmp_path / landing.strip("/"),
            {
                **base_config(sandbox),
                "ASTORAGE_URL_PREFIX": prefix,
                "ASTORAGE_LOGIN_REDIRECT": landing,
                "ASTORAGE_SCOPE": scope,
            },
        )
        astorage.init_app(app)

        @app.get("/whoami")
        def whoami() -> dict[str, Any]:
            return {"user_id": astorage.user_id, "scopes": astorage.scopes}

        apps[prefix] = app
    first = apps["/astorage"].test_client()
    second = apps["/auth"].test_client()

    assert log_in_under(first, sandbox, "/astorage", "alice") == "/first"
    assert second.get("/whoami").get_json() == {"user_id": None, "scopes": []}
    assert log_in_under(second, sandbox, "/auth", "bob") == "/second"

    assert first.get("/whoami").get_json() == {"user_id": "1", "scopes": []}
    assert second.get("/whoami").get_json() == {
        "user_id": "2",
        "scopes": ["files.read"],
    }
    assert apps["/astorage"].extensions["astorage"].extension is astorage
    assert apps["/auth"].extensions["astorage"].extension is astorage
    assert not hasattr(astorage, "app")


@pytest.mark.parametrize("which", ["same", "another"])
def test_a_second_registration_on_one_app_is_refused(
    which: str, app: Flask, astorage: AStorage
) -> None:
    extension = astorage if which == "same" else AStorage()

    with pytest.raises(RuntimeError, match=r"already registered.*call 'init_app' once"):
        extension.init_app(app)
    assert app.extensions["astorage"].extension is astorage


@pytest.mark.parametrize("key", ["ASTORAGE_CLIENT_ID", "ASTORAGE_CLIENT_SECRET"])
@pytest.mark.parametrize("value", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_missing_credentials_are_named_at_init_app(
    key: str, value: str | None, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = base_config(sandbox)
    if value is None:
        del config[key]
    else:
        config[key] = value
    app = bare_app(tmp_path, config)
    astorage = AStorage()

    with pytest.raises(ConfigurationError, match=f"'{key}' is not set"):
        astorage.init_app(app)
    assert "astorage" not in app.extensions
    assert "astorage" not in app.blueprints


def test_defaults_are_filled_in_without_overwriting(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = bare_app(
        tmp_path,
        {**base_config(sandbox), "ASTORAGE_TIMEOUT": 3, "ASTORAGE_SCOPE": "a b"},
    )

    AStorage(app)

    assert {
        key: app.config[key] for key in app.config if key.startswith("ASTORAGE_")
    } == {
        "ASTORAGE_CLIENT_ID": sandbox.client_id,
        "ASTORAGE_CLIENT_SECRET": sandbox.client_secret,
        "ASTORAGE_SCOPE": "a b",
        "ASTORAGE_BASE_URL": sandbox.url,
        "ASTORAGE_AUTHORIZE_URL": None,
        "ASTORAGE_TOKEN_URL": None,
        "ASTORAGE_API_BASE_URL": None,
        "ASTORAGE_REDIRECT_URI": None,
        "ASTORAGE_URL_PREFIX": "/astorage",
        "ASTORAGE_LOGIN_REDIRECT": "/",
        "ASTORAGE_REFRESH_LEEWAY": 60,
        "ASTORAGE_REFRESH_GRACE": 60,
        "ASTORAGE_USE_PKCE": True,
        "ASTORAGE_TIMEOUT": 3,
        "ASTORAGE_TOKEN_STORE": "sqlite",
        "ASTORAGE_PUBLIC_KEY": None,
    }


def test_provider_urls_are_derived_from_the_base_url(
    app: Flask, astorage: AStorage, sandbox: SandboxServer
) -> None:
    with app.app_context():
        settings = astorage.settings

    assert settings.authorize_url == sandbox.authorize_endpoint
    assert settings.token_url == sandbox.token_endpoint
    assert settings.api_base_url == sandbox.url


@pytest.mark.parametrize(
    ("app_config", "mounted"),
    [
        ({"ASTORAGE_URL_PREFIX": "/auth/"}, "/auth"),
        ({"ASTORAGE_URL_PREFIX": OTHER_PREFIXES[1]}, OTHER_PREFIXES[1]),
    ],
)
def test_url_prefix_moves_the_routes(
    mounted: str, app: Flask, client: FlaskClient, sandbox: SandboxServer
) -> None:
    with app.test_request_context():
        urls = [url_for(f"astorage.{name}") for name in ("login", "callback", "logout")]
    authorize_url = client.get(f"{mounted}/login").headers["Location"]

    assert urls == [f"{mounted}/login", f"{mounted}/callback", f"{mounted}/logout"]
    assert client.get("/astorage/login").status_code == 404
    assert query_of(authorize_url)["redirect_uri"] == [
        f"{TEST_CLIENT_ORIGIN}{mounted}/callback"
    ]
    callback = client.get(callback_path(sandbox.approve(authorize_url)))
    assert callback.status_code == 302
    assert client.post(f"{mounted}/logout").status_code == 302


@pytest.mark.parametrize(
    ("app_config", "store_class"),
    [
        ({}, SQLiteTokenStore),
        ({"ASTORAGE_TOKEN_STORE": "sqlite"}, SQLiteTokenStore),
        ({"ASTORAGE_TOKEN_STORE": "session"}, SessionTokenStore),
        ({"ASTORAGE_TOKEN_STORE": "memory"}, MemoryTokenStore),
    ],
    ids=["default", "sqlite", "session", "memory"],
)
def test_token_store_is_chosen_by_name(app: Flask, store_class: type) -> None:
    assert type(app.extensions["astorage"].keeper.store) is store_class


def test_sqlite_store_lives_in_the_instance_folder(
    app: Flask, client: FlaskClient, sandbox: SandboxServer, tmp_path: Path
) -> None:
    log_in(client, sandbox)

    assert (tmp_path / SQLITE_FILE_NAME).is_file()
    assert app.extensions["astorage"].keeper.store.path == str(
        tmp_path / SQLITE_FILE_NAME
    )


@pytest.mark.parametrize(
    ("app_config", "token_in_cookie"),
    [
        ({"ASTORAGE_TOKEN_STORE": "sqlite"}, False),
        ({"ASTORAGE_TOKEN_STORE": "memory"}, False),
        ({"ASTORAGE_TOKEN_STORE": "session"}, True),
    ],
    ids=["sqlite", "memory", "session"],
)
def test_only_the_session_store_puts_the_token_in_the_cookie(
    token_in_cookie: bool,
    app: Flask,
    astorage: AStorage,
    client: FlaskClient,
    sandbox: SandboxServer,
) -> None:
    log_in(client, sandbox)
    token = current_token(client, astorage)
    session = session_of(app, client)
    cookie_text = json.dumps(session)

    assert token is not None
    assert token.refresh_token is not None
    assert (token.access_token in cookie_text) is token_in_cookie
    assert (token.refresh_token in cookie_text) is token_in_cookie
    assert len(session[LOGIN_ID_KEY]) >= 32


def test_each_login_gets_a_new_opaque_login_id(
    app: Flask, client: FlaskClient, sandbox: SandboxServer
) -> None:
    store = app.extensions["astorage"].keeper.store
    log_in(client, sandbox)
    first = session_of(app, client)[LOGIN_ID_KEY]
    log_in(client, sandbox)
    second = session_of(app, client)[LOGIN_ID_KEY]

    assert first != second
    assert store.load(first) is None
    assert store.load(second) is not None


@pytest.mark.parametrize("how", ["config", "argument"])
def test_a_store_object_is_used_as_it_is(
    how: str, sandbox: SandboxServer, tmp_path: Path
) -> None:
    store = MemoryTokenStore()
    app = bare_app(tmp_path, base_config(sandbox))
    if how == "config":
        app.config["ASTORAGE_TOKEN_STORE"] = store
        AStorage(app)
    else:
        AStorage(app, store=store)

    log_in(app.test_client(), sandbox)

    assert app.extensions["astorage"].keeper.store is store
    assert len(store) == 1


@pytest.mark.parametrize("choice", ["redis", "SQLite", 42, None])
def test_an_unknown_token_store_is_refused(
    choice: object, sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = bare_app(tmp_path, {**base_config(sandbox), "ASTORAGE_TOKEN_STORE": choice})

    with pytest.raises(
        ConfigurationError,
        match=re.escape(
            "'ASTORAGE_TOKEN_STORE' must be 'sqlite', 'session', 'memory' or a"
            f" TokenStore object; got {choice!r}."
        ),
    ):
        AStorage(app)
    assert "astorage" not in app.extensions
