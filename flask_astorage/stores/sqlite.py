"""A token store in a SQLite file, shared by the worker processes of one machine.

This is the extension's default store: tokens stay on the server, in a file
in the application's instance folder, and every process and thread of the
application sees the same tokens and the same refresh locks.  It needs only
the standard library.

Limits: the processes must share one machine, since SQLite's locking is not
reliable over network file systems; and the token of a login that never logs
out stays in the file until it is deleted.
"""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import closing
from contextlib import contextmanager

from ..tokens import Token
from .base import RefreshLockTimeout
from .base import TokenStore

__all__ = ["SQLiteTokenStore"]

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    login_id TEXT PRIMARY KEY,
    token TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_locks (
    login_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""

#: How many idle connections a store keeps for reuse.
_POOL_SIZE = 8

#: How long a waiter sleeps between two tries at a refresh lease, in seconds.
#: The jitter keeps the waiting processes from retrying in step.
_POLL_INTERVAL = (0.010, 0.025)


class SQLiteTokenStore(TokenStore):
    """Keep tokens as JSON rows of a SQLite file, keyed by login id.

    Connections are pooled: a connection's first query reads the schema and
    the WAL index, which costs some hundreds of microseconds, while a warm
    connection answers in a few.  A connection is lent to one call at a
    time, by any thread, and returned afterwards; the pool is emptied, not
    reused, in a process forked from the one that filled it
    (``gunicorn --preload``), since SQLite connections must not cross a fork.

    The file runs in WAL mode, so readers never wait for the writer, and each
    connection waits up to :attr:`busy_timeout` seconds for another one's
    write to finish instead of failing at once.

    :meth:`refresh_lock` works across processes: whoever holds it owns a
    lease row in the ``refresh_locks`` table.  The lease expires after
    :attr:`lock_lease_seconds`, so that a process which dies while holding it
    blocks that login's refreshes for a while, not for ever.  Leases use the
    wall clock, which all processes of a machine share.

    :param path: The SQLite file, created with its folder on first use.
    :param lock_lease_seconds: How long a refresh lock lasts if its holder
        never releases it.  It must outlast a refresh, whose call to the
        provider may take 10 seconds.
    :param busy_timeout: Seconds a statement waits for another connection's
        write before it fails with :class:`sqlite3.OperationalError`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lock_lease_seconds: float = 30.0,
        busy_timeout: float = 5.0,
    ) -> None:
        # Written so that NaN fails too.
        if not lock_lease_seconds > 0:
            raise ValueError(
                "'lock_lease_seconds' must be a positive number of seconds,"
                f" not {lock_lease_seconds!r}."
            )
        super().__init__()

        #: The SQLite file, as a string; tools such as ``sqlite3`` can open it.
        self.path = os.fspath(path)
        #: Seconds after which another process may take over a refresh lock
        #: whose holder has not released it, because it crashed or hung.
        self.lock_lease_seconds = lock_lease_seconds
        #: Seconds a statement waits for another connection's write.
        self.busy_timeout = busy_timeout
        self._schema_ready = False
        self._pool: list[sqlite3.Connection] = []
        self._pool_guard = threading.Lock()
        self._pool_pid = os.getpid()
        weakref.finalize(self, _close_all, self._pool)

    def load(self, login_id: str) -> Token | None:
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT token FROM tokens WHERE login_id = ?", (login_id,)
            ).fetchall()
        if not rows:
            return None

        try:
            stored = json.loads(rows[0][0])
            if not isinstance(stored, dict):
                raise TypeError("The stored token is not a JSON object.")
            return Token.from_dict(stored)
        except (KeyError, TypeError, ValueError):
            # A row that no longer reads as a token, whatever wrote it, is
            # a login without a token: the user logs in again.
            logger.warning("A stored token could not be read; it is ignored.")
            return None

    def save(self, login_id: str, token: Token) -> None:
        with self._connect() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO tokens (login_id, token) VALUES (?, ?)",
                (login_id, json.dumps(token.to_dict())),
            )

    def delete(self, login_id: str) -> None:
        with self._connect() as connection:
            connection.execute("DELETE FROM tokens WHERE login_id = ?", (login_id,))

    @contextmanager
    def refresh_lock(self, login_id: str, *, timeout: float) -> Iterator[None]:
        """Hold the lock that lets one request at a time refresh ``login_id``.

        The threads of this process first queue on the base class's thread
        lock, so that only one of them at a time polls the file for the
        lease.  Nothing holds a SQLite transaction while the caller works:
        the lease is a committed row, released by deleting it.

        :param timeout: Seconds to wait for both stages together.
        :raises RefreshLockTimeout: The lock was not free in time.
        """
        deadline = time.monotonic() + timeout
        with super().refresh_lock(login_id, timeout=timeout):
            owner = self._acquire_lease(login_id, timeout, deadline)
            try:
                yield
            finally:
                self._release_lease(login_id, owner)

    def _acquire_lease(self, login_id: str, timeout: float, deadline: float) -> str:
        """Poll until the lease of ``login_id`` is ours; return our owner id."""
        owner = secrets.token_hex(16)
        with self._connect() as connection:
            while not self._try_lease(connection, login_id, owner):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RefreshLockTimeout(
                        "Another request held the refresh lock of this login for"
                        f" more than {timeout!r} seconds."
                    )
                time.sleep(min(random.uniform(*_POLL_INTERVAL), remaining))
        return owner

    def _try_lease(
        self, connection: sqlite3.Connection, login_id: str, owner: str
    ) -> bool:
        """Take the lease of ``login_id`` if it is free or expired."""
        # A plain read first: while a holder works, its waiters should not
        # compete with it for the write lock it needs to save the new token.
        rows = connection.execute(
            "SELECT expires_at FROM refresh_locks WHERE login_id = ?", (login_id,)
        ).fetchall()
        if rows and rows[0][0] > time.time():
            return False

        # One write transaction removes every expired lease, this login's
        # included, and inserts ours unless a live one is there; it commits
        # at once, before the caller starts its refresh.  The clock is read
        # after BEGIN, which may have waited for another writer.
        connection.execute("BEGIN IMMEDIATE")
        try:
            now = time.time()
            expired = connection.execute(
                "DELETE FROM refresh_locks WHERE expires_at <= ?", (now,)
            ).rowcount
            inserted = connection.execute(
                "INSERT OR IGNORE INTO refresh_locks (login_id, owner, expires_at)"
                " VALUES (?, ?, ?)",
                (login_id, owner, now + self.lock_lease_seconds),
            ).rowcount
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

        if expired:
            logger.debug("Removed %d expired refresh lock leases.", expired)
        return inserted == 1

    def _release_lease(self, login_id: str, owner: str) -> None:
        """Delete the lease of ``login_id`` if it is still ours.

        A holder that outlived its lease may find another one's lease in its
        place, which it must leave alone.  A failure is logged, not raised,
        so that it does not hide the caller's own exception; the lease then
        expires on its own.
        """
        try:
            with self._connect() as connection:
                connection.execute(
                    "DELETE FROM refresh_locks WHERE login_id = ? AND owner = ?",
                    (login_id, owner),
                )
        except sqlite3.OperationalError:
            logger.warning(
                "Could not release a refresh lock; it expires in %s seconds.",
                self.lock_lease_seconds,
                exc_info=True,
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """Lend a pooled connection in autocommit mode for one call."""
        if not self._schema_ready:
            self._create_schema()

        connection = self._checkout()
        try:
            yield connection
        except BaseException:
            connection.close()
            raise
        self._checkin(connection)

    def close(self) -> None:
        """Close the pooled connections; the store stays usable."""
        with self._pool_guard:
            _close_all(self._pool)

    def _checkout(self) -> sqlite3.Connection:
        with self._pool_guard:
            if self._pool_pid != os.getpid():
                # Inherited through a fork: drop them without touching them.
                self._pool.clear()
                self._pool_pid = os.getpid()
            if self._pool:
                return self._pool.pop()
        return self._open()

    def _checkin(self, connection: sqlite3.Connection) -> None:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        with self._pool_guard:
            if self._pool_pid == os.getpid() and len(self._pool) < _POOL_SIZE:
                self._pool.append(connection)
                return
        connection.close()

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None leaves transactions to us: each statement
        # commits by itself unless we BEGIN.  Pooled connections move
        # between threads, one call at a time.
        return sqlite3.connect(
            self.path,
            timeout=self.busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )

    def _create_schema(self) -> None:
        """Create the folder, the file and the tables, if they are missing.

        Every step is idempotent, so processes that start at the same time
        may all run it: the busy timeout queues their writes.
        """
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)

        with closing(self._open()) as connection:
            self._use_wal(connection)
            connection.executescript(_SCHEMA)
        self._schema_ready = True

    def _use_wal(self, connection: sqlite3.Connection) -> None:
        """Switch the file to WAL mode, which is stored in the file itself.

        While another process switches a new file, SQLite answers "database
        is locked" at once rather than calling its busy handler, so we retry
        for up to :attr:`busy_timeout` seconds ourselves.
        """
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                connection.execute("PRAGMA journal_mode = WAL").fetchall()
                return
            except sqlite3.OperationalError:
                if time.monotonic() >= deadline:
                    raise
            time.sleep(random.uniform(*_POLL_INTERVAL))


def _close_all(pool: list[sqlite3.Connection]) -> None:
    while pool:
        pool.pop().close()
