"""The interface every token store implements.

A store keeps one :class:`~flask_astorage.tokens.Token` per *login*: the
opaque, random id the extension puts in the user's session cookie at each
login.  The extension reads and writes tokens only through this interface,
so a store for PostgreSQL or Redis needs these few methods and nothing else.
"""

from __future__ import annotations

import threading
import zlib
from abc import ABC
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import AStorageError

if TYPE_CHECKING:
    from ..tokens import Token

__all__ = ["RefreshLockTimeout", "TokenStore"]

#: How many thread locks the logins of one store share.  Logins are spread
#: over a fixed set, so the set does not grow with the number of logins.
LOCK_STRIPES = 64


class RefreshLockTimeout(AStorageError):
    """Another request held the refresh lock of a login for too long."""

    status_code = 503
    default_error = "refresh_in_progress"

    def __init__(self, description: str | None = None) -> None:
        super().__init__(
            description
            or "The sign-in is being renewed by another request; try again shortly."
        )


class TokenStore(ABC):
    """Load, save and delete the token of a login, and serialise refreshes.

    Subclasses implement :meth:`load`, :meth:`save` and :meth:`delete`.  The
    default :meth:`refresh_lock` serialises the threads of one process; a
    store shared by several processes overrides it with a lock they all see.
    """

    def __init__(self) -> None:
        self._lock_stripes = [threading.Lock() for _ in range(LOCK_STRIPES)]

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
        stripe = zlib.crc32(login_id.encode("utf-8")) % LOCK_STRIPES
        lock = self._lock_stripes[stripe]
        if not lock.acquire(timeout=max(timeout, 0.0)):
            raise RefreshLockTimeout()
        try:
            yield
        finally:
            lock.release()
