"""``astorage.token``, ``authorized``, ``user_id`` and ``scopes``, on every store."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from ..support import current_token
from ..support import log_in
from ..support import make_test_app

if TYPE_CHECKING:
    from pathlib import Path

    from flask.testing import FlaskClient

    from flask_astorage import AStorage
    from flask_astorage.sandbox import SandboxServer

#: The sandbox's default access-token lifetime: 15 days, as the provider's.
FIFTEEN_DAYS = 1_296_000


@pytest.fixture
def app_config(token_store_name: str) -> dict[str, Any]:
    return {"ASTORAGE_TOKEN_STORE": token_store_name}


def test_nothing_is_known_before_login(client: FlaskClient, astorage: AStorage) -> None:
    with client:
        client.get("/_test/peek")

        assert astorage.token is None
        assert astorage.authorized is False
        assert astorage.user_id is None
        assert astorage.scopes == []


def test_the_token_and_its_user_after_login(
    client: FlaskClient, astorage: AStorage, sandbox: SandboxServer
) -> None:
    log_in(client, sandbox, username="alice")

    with client:
        client.get("/_test/peek")
        token = astorage.token

        assert token is not None
        assert astorage.authorized is True
        assert astorage.user_id == "1"
        assert astorage.scopes == []
    assert token.token_type == "Bearer"
    assert token.refresh_token
    assert token.expires_at is not None
    # expires_at is absolute: login time plus the provider's expires_in.
    assert abs(token.expires_at - token.claims["exp"]) < 60
    assert token.claims["exp"] - token.claims["iat"] == pytest.approx(FIFTEEN_DAYS)


@pytest.mark.parametrize("app_config", [{"ASTORAGE_SCOPE": "files.read files.write"}])
def test_scopes_are_those_granted(
    client: FlaskClient, astorage: AStorage, sandbox: SandboxServer
) -> None:
    log_in(client, sandbox)

    with client:
        client.get("/_test/peek")
        assert astorage.scopes == ["files.read", "files.write"]
    token = current_token(client, astorage)
    assert token is not None
    assert token.scope == "files.read files.write"


@pytest.mark.parametrize(
    ("key_owner", "user_id"), [("sandbox", "1"), ("someone else", None)]
)
def test_user_id_is_verified_with_the_public_key(
    key_owner: str, user_id: str | None, sandbox: SandboxServer, tmp_path: Path
) -> None:
    if key_owner == "sandbox":
        public_key = sandbox.public_key_pem
    else:
        public_key = RSAKey.generate_key(2048).as_pem(private=False).decode()
    app, astorage = make_test_app(
        sandbox, str(tmp_path), ASTORAGE_PUBLIC_KEY=public_key
    )
    client = app.test_client()
    log_in(client, sandbox)

    with client:
        client.get("/_test/peek")

        assert astorage.user_id == user_id
        assert astorage.token is not None
        # Unverified, the token still names its user.
        assert astorage.token.user_id == "1"
