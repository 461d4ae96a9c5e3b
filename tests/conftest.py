"""Fixtures: a sandbox provider on a real loopback port, and apps using it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from flask_astorage.sandbox import start_sandbox

from .support import TEST_CLIENT_REDIRECT_URI
from .support import make_app

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
def app_and_extension(sandbox: SandboxServer, tmp_path: Path) -> tuple[Flask, AStorage]:
    """An app on the default (SQLite) store, logging in against the sandbox."""
    return make_app(sandbox, str(tmp_path))


@pytest.fixture
def app(app_and_extension: tuple[Flask, AStorage]) -> Flask:
    return app_and_extension[0]


@pytest.fixture
def astorage(app_and_extension: tuple[Flask, AStorage]) -> AStorage:
    return app_and_extension[1]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
