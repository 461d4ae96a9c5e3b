"""Fixtures of the resilience tests: a sandbox whose clock tests can move."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from joserfc.jwk import RSAKey

from flask_astorage.sandbox import start_sandbox
from flask_astorage.state import LOGIN_ID_KEY
from tests.support import TEST_CLIENT_REDIRECT_URI
from tests.support import log_in

from .resilience_support import ACCESS_TOKEN_LIFETIME
from .resilience_support import ShiftableClock

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from flask_astorage.sandbox import SandboxServer


@pytest.fixture(scope="session")
def signing_key() -> RSAKey:
    """One RSA key for every sandbox of the run: making one is slow."""
    return RSAKey.generate_key(2048)


@pytest.fixture
def provider_clock() -> ShiftableClock:
    """The sandbox's clock; shift it to expire its tokens without waiting."""
    return ShiftableClock()


@pytest.fixture
def sandbox(
    signing_key: RSAKey, provider_clock: ShiftableClock
) -> Iterator[SandboxServer]:
    with start_sandbox(
        redirect_uris=[TEST_CLIENT_REDIRECT_URI],
        signing_key=signing_key,
        clock=provider_clock,
        access_token_lifetime=ACCESS_TOKEN_LIFETIME,
    ) as server:
        yield server


@pytest.fixture
def login_id(client: FlaskClient, sandbox: SandboxServer) -> str:
    """Log the test client in as alice; return the id of the login."""
    callback = log_in(client, sandbox)
    assert callback.status_code == 302, callback.get_data(as_text=True)
    with client.session_transaction() as session:
        value = session[LOGIN_ID_KEY]
    assert isinstance(value, str)
    return value
