"""Fixtures for the extension tests: a sandbox that knows other URL prefixes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from flask_astorage.sandbox import start_sandbox

from ..support import TEST_CLIENT_ORIGIN
from ..support import TEST_CLIENT_REDIRECT_URI

if TYPE_CHECKING:
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
