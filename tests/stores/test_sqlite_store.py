"""What the SQLite store adds to the shared contract: a file on disk."""

from __future__ import annotations

import math
import os
import sqlite3
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flask_astorage.stores import SQLiteTokenStore
from flask_astorage.tokens import Token

TOKEN = Token(access_token="access-1", refresh_token="refresh-1", expires_at=1e9)


def test_first_use_creates_the_folder_and_a_wal_file(
    sqlite_path: Path, run_sql: Callable[..., list[Any]]
) -> None:
    store = SQLiteTokenStore(sqlite_path)
    assert not sqlite_path.parent.exists()

    store.save("login-1", TOKEN)

    assert store.path == str(sqlite_path)
    assert run_sql("PRAGMA journal_mode") == [("wal",)]


def test_two_stores_on_one_file_see_each_others_writes(sqlite_path: Path) -> None:
    writer = SQLiteTokenStore(sqlite_path)
    reader = SQLiteTokenStore(sqlite_path)

    writer.save("login-1", TOKEN)
    assert reader.load("login-1") == TOKEN

    reader.delete("login-1")
    assert writer.load("login-1") is None


@pytest.mark.parametrize(
    "stored_text",
    [
        "{not json",
        "null",
        '"access-1"',
        '["access-1", "refresh-1"]',
        '{"refresh_token": "refresh-1"}',
    ],
    ids=["not-json", "null", "string", "list", "no-access-token"],
)
def test_corrupt_row_loads_as_no_token(
    sqlite_path: Path, run_sql: Callable[..., list[Any]], stored_text: str
) -> None:
    store = SQLiteTokenStore(sqlite_path)
    store.save("login-1", TOKEN)
    run_sql("UPDATE tokens SET token = ? WHERE login_id = ?", stored_text, "login-1")

    assert store.load("login-1") is None

    store.save("login-1", TOKEN)
    assert store.load("login-1") == TOKEN


@pytest.mark.parametrize("lock_lease_seconds", [0, -1.5, math.nan])
def test_lease_must_last_a_positive_time(
    sqlite_path: Path, lock_lease_seconds: float
) -> None:
    expected = "'lock_lease_seconds' must be a positive number of seconds, not"
    with pytest.raises(ValueError, match=f"{expected} {lock_lease_seconds!r}"):
        SQLiteTokenStore(sqlite_path, lock_lease_seconds=lock_lease_seconds)


def test_calls_reuse_pooled_connections(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SQLiteTokenStore(sqlite_path)
    store.save("login-1", TOKEN)
    opened: list[object] = []
    real_connect = sqlite3.connect

    def counting_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = real_connect(*args, **kwargs)
        opened.append(connection)
        return connection

    monkeypatch.setattr(sqlite3, "connect", counting_connect)
    for _ in range(5):
        assert store.load("login-1") == TOKEN

    assert len(opened) <= 1
    store.close()


def test_a_forked_process_does_not_reuse_the_parents_connections(
    sqlite_path: Path,
) -> None:
    store = SQLiteTokenStore(sqlite_path)
    store.save("login-1", TOKEN)
    parent_connections = list(store._pool)
    assert parent_connections

    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a threaded process may deadlock;
        # the child here only touches this store.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        # The child checks out a connection of its own, then reports.
        with store._connect() as connection:
            reused = any(connection is parent for parent in parent_connections)
        os._exit(1 if reused or store.load("login-1") != TOKEN else 0)

    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    store.close()
