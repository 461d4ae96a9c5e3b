"""Refresh bookkeeping, and the API client's one retry after a 401.

Most answers here are not ones the sandbox gives (no ``refresh_token``,
``expires_in`` as a string, ``token_type`` in lower case), so a canned
provider serves them; the real-world 401 case runs against the sandbox.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest
from flask import Flask

from flask_astorage import AStorage
from flask_astorage import LoginRequired
from flask_astorage import signals
from flask_astorage.sandbox import serve_in_thread
from flask_astorage.tokens import Token

from .resilience_support import LOGIN
from .resilience_support import OLD_REFRESH_TOKEN
from .resilience_support import CannedProvider
from .resilience_support import app_for_provider
from .resilience_support import as_the_user
from .resilience_support import expire_at_provider
from .resilience_support import fake_jwt
from .resilience_support import keeper_of
from .resilience_support import store_login
from .resilience_support import stored
from .resilience_support import token_answer

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from flask_astorage.sandbox import SandboxServer

    from .resilience_support import ShiftableClock

NEW_ACCESS_TOKEN = "access-new"
INVALID_GRANT = (
    400,
    {
        "error": "invalid_grant",
        "error_description": "The refresh token is invalid.",
        "hint": "Token has been revoked",
    },
)


@pytest.fixture
def canned() -> Iterator[CannedProvider]:
    provider = CannedProvider()
    with serve_in_thread(provider.app) as server:
        provider.url = server.url
        yield provider


@pytest.fixture
def canned_app(canned: CannedProvider, tmp_path: Path) -> Flask:
    """An app on the memory store, talking to the canned provider."""
    app, _ = app_for_provider(canned.url, str(tmp_path))
    return app


@pytest.fixture
def astorage(canned_app: Flask) -> AStorage:
    extension: AStorage = canned_app.extensions["astorage"].extension
    return extension


@pytest.fixture
def logouts(canned_app: Flask) -> Iterator[list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    def receiver(sender: Flask, **details: Any) -> None:
        sent.append(details)

    signals.logged_out.connect(receiver, sender=canned_app, weak=False)
    yield sent
    signals.logged_out.disconnect(receiver, sender=canned_app)


# What a refresh stores --------------------------------------------------------


def test_the_new_token_is_stored_before_it_is_used(
    canned_app: Flask, canned: CannedProvider, astorage: AStorage
) -> None:
    store_login(canned_app, expires_at=time.time() - 1)
    canned.token_answers.append(
        token_answer(access_token=NEW_ACCESS_TOKEN, refresh_token="refresh-new")
    )
    stored_when_used: list[Token | None] = []
    canned.api_hook = lambda: stored_when_used.append(stored(canned_app))

    with as_the_user(canned_app):
        response = astorage.api.get("/api/files")

    assert response.status_code == 200
    assert canned.api_requests == [("GET", f"Bearer {NEW_ACCESS_TOKEN}")]
    [token] = stored_when_used
    assert token is not None
    assert (token.access_token, token.refresh_token) == (
        NEW_ACCESS_TOKEN,
        "refresh-new",
    )
    assert canned.token_requests[0]["refresh_token"] == OLD_REFRESH_TOKEN
    assert canned.token_requests[0]["grant_type"] == "refresh_token"


@pytest.mark.parametrize("refresh_token", [None, ""], ids=["absent", "empty"])
def test_an_answer_without_a_refresh_token_keeps_the_old_one(
    canned_app: Flask,
    canned: CannedProvider,
    astorage: AStorage,
    refresh_token: str | None,
) -> None:
    store_login(canned_app, expires_at=time.time() - 1)
    canned.token_answers.append(
        token_answer(
            access_token=NEW_ACCESS_TOKEN, refresh_token=refresh_token, expires_in=1
        )
    )
    canned.token_answers.append(token_answer(access_token="access-third"))

    with as_the_user(canned_app):
        astorage.api.get("/api/files")
        token = stored(canned_app)
        # The new token lives one second; past half of it, the next call
        # refreshes again, with the refresh token that was kept.
        time.sleep(0.6)
        astorage.api.get("/api/files")

    assert token is not None
    assert token.access_token == NEW_ACCESS_TOKEN
    assert token.refresh_token == OLD_REFRESH_TOKEN
    assert [sent["refresh_token"] for sent in canned.token_requests] == [
        OLD_REFRESH_TOKEN,
        OLD_REFRESH_TOKEN,
    ]


@pytest.mark.parametrize(
    ("expires_in", "seconds"),
    [(3600, 3600), ("3600", 3600), (" 3600 ", 3600), ("3599.2", 3600), (7200.0, 7200)],
)
def test_expires_in_may_be_a_number_or_a_numeric_string(
    canned_app: Flask,
    canned: CannedProvider,
    astorage: AStorage,
    expires_in: Any,
    seconds: int,
) -> None:
    store_login(canned_app, expires_at=time.time() - 1)
    canned.token_answers.append(
        token_answer(access_token=NEW_ACCESS_TOKEN, expires_in=expires_in)
    )

    before = time.time()
    with as_the_user(canned_app):
        astorage.api.get("/api/files")
    after = time.time()

    token = stored(canned_app)
    assert token is not None
    assert token.expires_at is not None
    assert before + seconds <= token.expires_at <= after + seconds


@pytest.mark.parametrize("token_type", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_token_type_in_any_case_is_sent_as_bearer(
    canned_app: Flask, canned: CannedProvider, astorage: AStorage, token_type: str
) -> None:
    store_login(canned_app, expires_at=time.time() - 1)
    canned.token_answers.append(
        token_answer(
            access_token=NEW_ACCESS_TOKEN, token_type=token_type, expires_in=3600
        )
    )

    with as_the_user(canned_app):
        response = astorage.api.get("/api/files")

    assert response.status_code == 200
    assert canned.api_requests == [("GET", f"Bearer {NEW_ACCESS_TOKEN}")]
    token = stored(canned_app)
    assert token is not None
    assert token.token_type == "Bearer"


@pytest.mark.parametrize(
    "expires_in",
    [None, 0, "0", -60, "-60", "soon", "", float("nan"), float("inf"), True],
    ids=repr,
)
def test_a_missing_or_bad_expires_in_means_unknown_not_forever(
    canned_app: Flask, canned: CannedProvider, astorage: AStorage, expires_in: Any
) -> None:
    store_login(canned_app, expires_at=time.time() - 1)
    canned.token_answers.append(
        token_answer(access_token=NEW_ACCESS_TOKEN, expires_in=expires_in)
    )
    canned.token_answers.append(token_answer(access_token="access-third"))
    # The API refuses the token whose life was unknown: it was not forever.
    canned.api_statuses.extend([200, 401, 200])

    with as_the_user(canned_app):
        first = astorage.api.get("/api/files")
        token = stored(canned_app)
        second = astorage.api.get("/api/files")

    assert token is not None
    assert token.access_token == NEW_ACCESS_TOKEN
    assert token.expires_at is None
    assert first.status_code == second.status_code == 200
    assert len(canned.token_requests) == 2
    assert canned.api_requests[-1] == ("GET", "Bearer access-third")


def test_without_expires_in_the_access_tokens_own_expiry_is_used(
    canned_app: Flask, canned: CannedProvider, astorage: AStorage
) -> None:
    store_login(canned_app, expires_at=time.time() - 1)
    exp = time.time() + 900.25
    canned.token_answers.append(token_answer(access_token=fake_jwt(sub="7", exp=exp)))

    with as_the_user(canned_app):
        astorage.api.get("/api/files")

    token = stored(canned_app)
    assert token is not None
    assert token.expires_at == exp
    assert token.user_id == "7"


# A refused refresh -----------------------------------------------------------


def test_a_refused_refresh_adopts_a_token_stored_meanwhile(
    canned_app: Flask,
    canned: CannedProvider,
    astorage: AStorage,
    logouts: list[dict[str, Any]],
) -> None:
    store_login(canned_app, expires_at=time.time() - 1)
    siblings_token = Token(
        access_token="access-sibling",
        refresh_token="refresh-sibling",
        expires_at=time.time() + 3600,
    )

    def sibling_refreshed_first() -> tuple[int, dict[str, Any]]:
        # Another process refreshed the same login and stored its token
        # while this request's call was on its way.
        keeper_of(canned_app).store.save(LOGIN, siblings_token)
        return INVALID_GRANT

    canned.token_answers.append(sibling_refreshed_first)

    with as_the_user(canned_app):
        response = astorage.api.get("/api/files")

    assert response.status_code == 200
    assert canned.api_requests == [("GET", "Bearer access-sibling")]
    assert stored(canned_app) == siblings_token
    assert logouts == []


def test_a_refused_refresh_with_nothing_newer_stored_ends_the_login(
    canned_app: Flask,
    canned: CannedProvider,
    astorage: AStorage,
    logouts: list[dict[str, Any]],
) -> None:
    store_login(canned_app, expires_at=time.time() - 1)
    canned.token_answers.append(INVALID_GRANT)

    with (
        as_the_user(canned_app),
        pytest.raises(LoginRequired, match="Please sign in again"),
    ):
        astorage.api.get("/api/files")

    assert stored(canned_app) is None
    assert canned.api_requests == []
    assert logouts == [{"user_id": None, "reason": "token_rejected"}]


# A 401 from the API ------------------------------------------------------------


def test_a_401_to_a_token_believed_valid_gets_one_refresh_and_one_retry(
    client: FlaskClient,
    sandbox: SandboxServer,
    provider_clock: ShiftableClock,
    login_id: str,
) -> None:
    # The sandbox's clock runs ahead: it has expired the access token that
    # the app still believes valid.
    expire_at_provider(provider_clock)

    response = client.get("/protected")

    assert response.status_code == 200
    assert response.get_json()["api"]["name"] == "alice"
    assert sandbox.token_calls("refresh_token") == 1
    assert [record.status for record in sandbox.recorded("user")] == [401, 200]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS"])
def test_a_second_401_is_returned_to_the_caller(
    canned_app: Flask, canned: CannedProvider, astorage: AStorage, method: str
) -> None:
    store_login(canned_app, expires_at=time.time() + 3600)
    canned.token_answers.append(
        token_answer(access_token=NEW_ACCESS_TOKEN, expires_in=3600)
    )
    canned.api_statuses.extend([401, 401])

    with as_the_user(canned_app):
        response = astorage.api.request(method, "/api/files")

    assert response.status_code == 401
    assert canned.api_requests == [
        (method, "Bearer access-old"),
        (method, f"Bearer {NEW_ACCESS_TOKEN}"),
    ]
    assert len(canned.token_requests) == 1
    token = stored(canned_app)
    assert token is not None
    assert token.access_token == NEW_ACCESS_TOKEN


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_401_to_a_non_idempotent_call_is_not_retried(
    canned_app: Flask, canned: CannedProvider, astorage: AStorage, method: str
) -> None:
    original = store_login(canned_app, expires_at=time.time() + 3600)
    canned.api_statuses.append(401)

    with as_the_user(canned_app):
        response = astorage.api.request(method, "/api/files", json={"name": "a"})

    assert response.status_code == 401
    assert canned.api_requests == [(method, "Bearer access-old")]
    assert canned.token_requests == []
    assert stored(canned_app) == original
