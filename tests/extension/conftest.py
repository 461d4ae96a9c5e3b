"""Fixtures for the extension tests: an app with inspection routes.

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

from ..support import TEST_CLIENT_ORIGIN
from ..support import TEST_CLIENT_REDIRECT_URI
from ..support import make_test_app

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Flask

    from flask_astorage import AStorage
    from flask_astorage.sandbox import SandboxServer


#: URL prefixes the tests mount the blueprint under, besides the default.
OTHER_PREFIXES = ("/auth", "/sso/alpha")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox accepting the callback URL under every prefix tested."""
    redirect_uris = [TEST_CLIENT_REDIRECT_URI] + [
        f"{TEST_CLIENT_ORIGIN}{prefix}/callback" for prefix in OTHER_PREFIXES
    ]
    with start_sandbox(redirect_uris=redirect_uris) as server:
        yield server


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra ``app.config`` values for the app under test."""
    return {}


@pytest.fixture
def app_and_extension(
    sandbox: SandboxServer, tmp_path: Path, app_config: dict[str, Any]
) -> Iterator[tuple[Flask, AStorage]]:
    app, astorage = make_test_app(sandbox, str(tmp_path), **app_config)
    yield app, astorage
    app.extensions["astorage"].api.close()
