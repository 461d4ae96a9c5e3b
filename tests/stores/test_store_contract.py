"""The behaviour every token store shares, run against each of them."""

from __future__ import annotations

import threading
import time

import pytest

from flask_astorage.stores import TokenStore
from flask_astorage.tokens import Token

FULL_TOKEN = Token(
    access_token="access-1",
    refresh_token="refresh-1",
    scope="files.read files.write",
    expires_at=1_900_000_000.25,
)


@pytest.mark.parametrize(
    "token",
    [
        FULL_TOKEN,
        FULL_TOKEN.replace(refresh_token=None),
        FULL_TOKEN.replace(expires_at=None),
        Token(access_token="access-2", refresh_token=None),
    ],
    ids=["full", "no-refresh-token", "no-expiry", "bare"],
)
def test_saved_token_loads_back_equal(token_store: TokenStore, token: Token) -> None:
    token_store.save("login-1", token)

    loaded = token_store.load("login-1")

    assert loaded == token
    assert loaded is not None
    assert loaded.refresh_token == token.refresh_token
    assert loaded.expires_at == token.expires_at


def test_unknown_login_has_no_token(token_store: TokenStore) -> None:
    assert token_store.load("login-1") is None

    token_store.save("login-1", FULL_TOKEN)

    assert token_store.load("login-2") is None


def test_save_replaces_the_previous_token(token_store: TokenStore) -> None:
    refreshed = FULL_TOKEN.replace(access_token="access-2", refresh_token="refresh-2")
    token_store.save("login-1", FULL_TOKEN)

    token_store.save("login-1", refreshed)

    assert token_store.load("login-1") == refreshed


def test_delete_forgets_the_token(token_store: TokenStore) -> None:
    token_store.save("login-1", FULL_TOKEN)

    token_store.delete("login-1")

    assert token_store.load("login-1") is None


def test_delete_of_unknown_login_changes_nothing(token_store: TokenStore) -> None:
    token_store.delete("login-1")
    token_store.save("login-1", FULL_TOKEN)

    token_store.delete("login-2")

    assert token_store.load("login-1") == FULL_TOKEN


def test_refresh_lock_lets_one_thread_in_at_a_time(token_store: TokenStore) -> None:
    # Each thread reads the counter, sleeps, then writes it back: any two
    # threads inside the lock at once would lose an increment.
    thread_count, rounds = 20, 5
    counter = [0]

    def increment() -> None:
        for _ in range(rounds):
            with token_store.refresh_lock("login-1", timeout=10):
                seen = counter[0]
                time.sleep(0.001)
                counter[0] = seen + 1

    threads = [threading.Thread(target=increment) for _ in range(thread_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert counter[0] == thread_count * rounds


def test_refresh_lock_is_released_when_the_body_raises(
    token_store: TokenStore,
) -> None:
    with (
        pytest.raises(RuntimeError, match="refresh failed"),
        token_store.refresh_lock("login-1", timeout=1),
    ):
        raise RuntimeError("refresh failed")

    with token_store.refresh_lock("login-1", timeout=0.5):
        token_store.save("login-1", FULL_TOKEN)

    assert token_store.load("login-1") == FULL_TOKEN


def test_refresh_locks_of_two_logins_are_independent(
    token_store: TokenStore,
) -> None:
    with (
        token_store.refresh_lock("login-1", timeout=1),
        token_store.refresh_lock("login-2", timeout=0.5),
    ):
        token_store.save("login-2", FULL_TOKEN)

    assert token_store.load("login-2") == FULL_TOKEN
