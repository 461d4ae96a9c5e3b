"""A token store in this process's memory, for tests and single-process demos."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .base import TokenStore

if TYPE_CHECKING:
    from ..tokens import Token

__all__ = ["MemoryTokenStore"]


class MemoryTokenStore(TokenStore):
    """Keep tokens in a dict; everything is lost when the process ends.

    Each worker process has its own dict, so use it only where one process
    serves every request: tests, and the demo.
    """

    def __init__(self) -> None:
        super().__init__()
        self._tokens: dict[str, Token] = {}
        self._guard = threading.Lock()

    def load(self, login_id: str) -> Token | None:
        with self._guard:
            return self._tokens.get(login_id)

    def save(self, login_id: str, token: Token) -> None:
        with self._guard:
            self._tokens[login_id] = token

    def delete(self, login_id: str) -> None:
        with self._guard:
            self._tokens.pop(login_id, None)

    def __len__(self) -> int:
        """Return how many logins have a token, which tests find handy."""
        with self._guard:
            return len(self._tokens)
