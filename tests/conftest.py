"""Fixtures: a sandbox provider on a real loopback port, and apps using it.

A test module or test changes the app's configuration by overriding
``app_config``, for instance with the ``token_store_name`` fixture to run
against every token store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Any

import pytest

from flask_astorage.sandbox import start_sandbox

from .support import TEST_CLIENT_REDIRECT_URI
from .support import make_test_app

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Flask
    from flask.testing import FlaskClient

    from flask_astorage import AStorage
    from flask_astorage.sandbox import SandboxServer


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox that accepts the test client's callback URL."""
    with start_sandbox(redirect_uris=[TEST_CLIENT_REDIRECT_URI]) as server:
        yield server


@pytest.fixture(params=["sqlite", "session", "memory"])
def token_store_name(request: pytest.FixtureRequest) -> str:
    """Each built-in token store in turn."""
    return str(request.param)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra ``app.config`` values for the app under test; override to change."""
    return {}


@pytest.fixture
def app_and_extension(
    sandbox: SandboxServer, tmp_path: Path, app_config: dict[str, Any]
) -> Iterator[tuple[Flask, AStorage]]:
    """An app logging in against the sandbox, with inspection routes."""
    app, astorage = make_test_app(sandbox, str(tmp_path), **app_config)
    yield app, astorage
    app.extensions["astorage"].api.close()


@pytest.fixture
def app(app_and_extension: tuple[Flask, AStorage]) -> Flask:
    return app_and_extension[0]


@pytest.fixture
def astorage(app_and_extension: tuple[Flask, AStorage]) -> AStorage:
    return app_and_extension[1]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
