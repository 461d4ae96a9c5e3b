"""A token store in Flask's signed session cookie, for stateless deployments.

Limits, which the README repeats:

* A cookie holds about 4 KB, and an Alpha Storage token takes about 2 KB, so
  there is little room left for the application's own session data.
* Flask's session cookie is signed, not encrypted: the browser, and anything
  that can read its cookies, can read the tokens.
* Each request carries its own copy of the token.  A request that arrives
  with a copy from before a refresh is given the new token for a short grace
  period by the process that did the refresh; a different worker process does
  not know of that refresh.  Run one process, or use the SQLite store.
"""

from __future__ import annotations

from flask import session

from ..tokens import Token
from .base import TokenStore

__all__ = ["SessionTokenStore"]

#: The session key that holds the token.
SESSION_KEY = "_astorage_token"


class SessionTokenStore(TokenStore):
    """Keep the token of the current user's login in the session cookie.

    The ``login_id`` must be the current request's, since the cookie is the
    only place this store looks.
    """

    def load(self, login_id: str) -> Token | None:
        stored = session.get(SESSION_KEY)
        if not isinstance(stored, dict) or stored.get("login_id") != login_id:
            return None
        try:
            return Token.from_dict(stored["token"])
        except (KeyError, TypeError, ValueError):
            return None

    def save(self, login_id: str, token: Token) -> None:
        session[SESSION_KEY] = {"login_id": login_id, "token": token.to_dict()}

    def delete(self, login_id: str) -> None:
        stored = session.get(SESSION_KEY)
        if isinstance(stored, dict) and stored.get("login_id") == login_id:
            session.pop(SESSION_KEY, None)
