"""Fixtures for the sandbox's own tests: a live sandbox and its callers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from flask_astorage.sandbox import SandboxServer
from flask_astorage.sandbox import start_sandbox
from tests.sandbox.sandbox_support import FakeClock
from tests.sandbox.sandbox_support import Provider


@pytest.fixture(scope="session")
def signing_key() -> RSAKey:
    """One RSA key for the whole run: making one per test is slow."""
    return RSAKey.generate_key(2048)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    """Extra ``create_app`` options; override to change the sandbox."""
    return {}


@pytest.fixture
def sandbox(
    signing_key: RSAKey, clock: FakeClock, sandbox_options: dict[str, Any]
) -> Iterator[SandboxServer]:
    options = {"signing_key": signing_key, "clock": clock, **sandbox_options}
    with start_sandbox(**options) as running:
        yield running


@pytest.fixture
def provider(sandbox: SandboxServer) -> Provider:
    return Provider(sandbox)
