"""The SQLite store's refresh lock, which must hold across processes."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from flask_astorage.stores import RefreshLockTimeout
from flask_astorage.stores import SQLiteTokenStore
from flask_astorage.tokens import Token

LOCK_TAKEN = "held the refresh lock of this login"


def _increment(store: SQLiteTokenStore, login_id: str) -> None:
    """Add one to a counter kept as the access token, read-modify-write."""
    with store.refresh_lock(login_id, timeout=20):
        token = store.load(login_id)
        count = 0 if token is None else int(token.access_token)
        # Give any other holder of the lock time to read the same count.
        time.sleep(0.002)
        store.save(login_id, Token(access_token=str(count + 1), refresh_token=None))


def _increment_many(store: SQLiteTokenStore, rounds: int) -> None:
    for _ in range(rounds):
        _increment(store, "login-1")


def _increment_in_process(path: str, rounds: int, start: Any) -> None:
    """The body of each worker process: a fresh store on the shared file."""
    store = SQLiteTokenStore(path)
    start.wait()
    _increment_many(store, rounds)


def _count(path: Path) -> int:
    token = SQLiteTokenStore(path).load("login-1")
    assert token is not None
    return int(token.access_token)


def test_refresh_lock_excludes_other_processes(sqlite_path: Path) -> None:
    # The processes start together on a file that does not exist yet, so
    # they also race to create the folder, the file and its tables.
    process_count, rounds = 4, 25
    context = multiprocessing.get_context("spawn")
    # A worker that fails to start breaks the barrier instead of hanging.
    start = context.Barrier(process_count, timeout=30)
    processes = [
        context.Process(
            target=_increment_in_process, args=(str(sqlite_path), rounds, start)
        )
        for _ in range(process_count)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        if process.is_alive():
            process.kill()
            process.join()

    assert [process.exitcode for process in processes] == [0] * process_count
    assert _count(sqlite_path) == process_count * rounds


def test_refresh_lock_excludes_threads_with_their_own_store(
    sqlite_path: Path,
) -> None:
    # Separate store objects share no thread lock, so only the lease row in
    # the file keeps these threads apart, as it does for processes.
    thread_count, rounds = 8, 5
    threads = [
        threading.Thread(
            target=_increment_many, args=(SQLiteTokenStore(sqlite_path), rounds)
        )
        for _ in range(thread_count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert _count(sqlite_path) == thread_count * rounds


def test_waiting_past_the_timeout_raises(sqlite_path: Path) -> None:
    holder = SQLiteTokenStore(sqlite_path)
    waiter = SQLiteTokenStore(sqlite_path)

    with (
        holder.refresh_lock("login-1", timeout=1),
        pytest.raises(RefreshLockTimeout, match=f"{LOCK_TAKEN} for more than 0.1"),
        waiter.refresh_lock("login-1", timeout=0.1),
    ):
        pytest.fail("The waiter entered a lock that another store held.")

    with waiter.refresh_lock("login-1", timeout=0):
        pass


def test_lease_of_a_crashed_process_is_taken_over(
    sqlite_path: Path, run_sql: Callable[..., list[Any]]
) -> None:
    store = SQLiteTokenStore(sqlite_path)
    store.save("login-1", Token(access_token="access-1", refresh_token=None))
    run_sql(
        "INSERT INTO refresh_locks VALUES (?, ?, ?)",
        "login-1",
        "crashed-owner",
        time.time() - 1,
    )

    with store.refresh_lock("login-1", timeout=1):
        owners = run_sql("SELECT owner FROM refresh_locks WHERE login_id = 'login-1'")
        assert len(owners) == 1
        assert owners != [("crashed-owner",)]

    assert run_sql("SELECT * FROM refresh_locks") == []


def test_late_release_of_an_expired_lease_keeps_the_new_holders(
    sqlite_path: Path, run_sql: Callable[..., list[Any]]
) -> None:
    slow_holder = SQLiteTokenStore(sqlite_path, lock_lease_seconds=0.2)
    next_holder = SQLiteTokenStore(sqlite_path)
    third_store = SQLiteTokenStore(sqlite_path)

    with ExitStack() as slow_holders_lock:
        slow_holders_lock.enter_context(slow_holder.refresh_lock("login-1", timeout=1))

        # The slow holder's lease runs out while it still works.
        with next_holder.refresh_lock("login-1", timeout=5):
            slow_holders_lock.close()

            with (
                pytest.raises(RefreshLockTimeout, match=LOCK_TAKEN),
                third_store.refresh_lock("login-1", timeout=0.1),
            ):
                pytest.fail("The slow holder released a lease it no longer held.")

    assert run_sql("SELECT * FROM refresh_locks") == []


def test_taking_a_lease_removes_the_expired_ones(
    sqlite_path: Path, run_sql: Callable[..., list[Any]]
) -> None:
    store = SQLiteTokenStore(sqlite_path)
    # The first use creates the tables that the rows below go into.
    assert store.load("login-1") is None
    now = time.time()
    for login_id, expires_at in [
        ("login-2", now - 60),
        ("login-3", now - 1),
        ("login-4", now + 60),
    ]:
        run_sql(
            "INSERT INTO refresh_locks VALUES (?, ?, ?)",
            login_id,
            "other-owner",
            expires_at,
        )

    with store.refresh_lock("login-1", timeout=1):
        pass

    assert run_sql("SELECT login_id FROM refresh_locks") == [("login-4",)]
