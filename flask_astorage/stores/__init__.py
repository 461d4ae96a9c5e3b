"""Where the extension keeps each login's token, and which store to choose.

* :class:`SQLiteTokenStore`, the default: tokens stay on the server, in a
  SQLite file that every worker process and thread of one machine shares.
* :class:`SessionTokenStore`: the token rides in the signed session cookie,
  so the server keeps nothing; but the cookie is readable, near its size
  limit, and a refresh done by one process is unknown to the others.
* :class:`MemoryTokenStore`: a dict in one process, for tests and demos.

Another backend subclasses :class:`TokenStore`.
"""

from __future__ import annotations

from .base import RefreshLockTimeout
from .base import TokenStore
from .memory import MemoryTokenStore
from .session import SessionTokenStore
from .sqlite import SQLiteTokenStore

__all__ = [
    "MemoryTokenStore",
    "RefreshLockTimeout",
    "SQLiteTokenStore",
    "SessionTokenStore",
    "TokenStore",
]
