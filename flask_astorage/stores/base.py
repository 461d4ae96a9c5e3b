"""The interface every token store implements.

A store keeps one :class:`~flask_astorage.tokens.Token` per *login*: the
opaque, random id the extension puts in the user's session cookie at each
login.  The extension reads and writes tokens only through this interface,
so a store for PostgreSQL or Redis needs these few methods and nothing else.
"""

from __future__ import annotations

import threading
from abc import ABC
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..tokens import Token

__all__ = ["RefreshLockTimeout", "TokenStore"]


class RefreshLockTimeout(Exception):
    """Another request held the refresh lock of a login for too long."""


class TokenStore(ABC):
    """Load, save and delete the token of a login, and serialise refreshes.

    Subclasses implement :meth:`load`, :meth:`save` and :meth:`delete`.  The
    default :meth:`refresh_lock` serialises the threads of one process; a
    store shared by several processes overrides it with a lock they all see.
    """

    def __init__(self) -> None:
        self._locks_guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @abstractmethod
    def load(self, login_id: str) -> Token | None:
        """Return the token of ``login_id``, or ``None`` if there is none."""

    @abstractmethod
    def save(self, login_id: str, token: Token) -> None:
        """Store ``token`` as the token of ``login_id``, replacing any other."""

    @abstractmethod
    def delete(self, login_id: str) -> None:
        """Forget the token of ``login_id``; forgetting nothing is not an error."""

    @contextmanager
    def refresh_lock(self, login_id: str, *, timeout: float) -> Iterator[None]:
        """Hold the lock that lets one request at a time refresh ``login_id``.

        The refresh token rotates, so two requests that refresh at once send
        the same refresh token twice, and the second one is refused.  The
        caller takes this lock, then reads the token again: a sibling that
        held the lock before may already have refreshed it.

        :param timeout: Seconds to wait for the lock.
        :raises RefreshLockTimeout: The lock was not free in time.
        """
        with self._locks_guard:
            lock = self._locks.setdefault(login_id, threading.Lock())
        if not lock.acquire(timeout=timeout):
            raise RefreshLockTimeout(login_id)
        try:
            yield
        finally:
            lock.release()
