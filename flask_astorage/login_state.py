"""The logins a browser has started but not finished, kept in its session.

Each press of "Login with Alpha Storage" makes a :class:`PendingLogin`: an
unpredictable ``state``, the PKCE verifier, the redirect URI and where to go
afterwards.  It lives in the signed session cookie, so it is tied to this
browser; it is used once, expires after ten minutes, and at most
:data:`MAX_PENDING` are kept (oldest first out), within
:data:`MAX_PENDING_BYTES`, so that abandoned logins cannot grow the cookie
past its 4 KB.

After a login completes, a short digest of its state is remembered, so that
opening the same callback URL again (reload, the back button) can be told
apart from a forged one without ever sending the code twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from flask import session

from .errors import StateError

__all__ = [
    "MAX_PENDING",
    "PENDING_LIFETIME",
    "PendingLogin",
    "StateClaims",
    "completed_next",
    "mark_completed",
    "remember",
    "take",
]

#: How many unfinished logins one browser may have at once.
MAX_PENDING = 5
#: Seconds a login may take between the redirect and the callback.
PENDING_LIFETIME = 600
#: How many finished logins are remembered to recognise a reloaded callback.
MAX_COMPLETED = 5
#: The most bytes, as JSON, the pending and the finished logins may each
#: take in the session; the oldest go first.  Each may carry a ``next`` URL
#: of up to 512 characters, so the count alone would not keep the cookie,
#: which may also hold the token, under a browser's 4 KB.
MAX_PENDING_BYTES = 1280
MAX_COMPLETED_BYTES = 640

#: Why a callback whose state is not pending is refused.
UNKNOWN_STATE = (
    "This sign-in link is not valid for this browser, or was already used."
    " Please sign in again."
)

_PENDING_KEY = "_astorage_pending"
_COMPLETED_KEY = "_astorage_completed"


@dataclass(frozen=True)
class PendingLogin:
    """One login between the redirect to the provider and the callback."""

    # Left out of the repr, which error reporters record with the locals
    # of a failed callback.
    state: str = field(repr=False)
    redirect_uri: str
    code_verifier: str | None = field(repr=False)
    next_url: str | None
    started_at: float


def remember(pending: PendingLogin) -> None:
    """Keep ``pending`` in the session, dropping expired and excess logins."""
    logins = [
        login
        for login in _pending_logins()
        if not _expired(login) and login.state != pending.state
    ]
    logins.append(pending)
    stored = [asdict(login) for login in logins[-MAX_PENDING:]]
    session[_PENDING_KEY] = _newest_within(stored, MAX_PENDING_BYTES)


def is_pending(state: str) -> bool:
    """Tell whether this browser has a pending login with ``state``."""
    return _find(_pending_logins(), state) is not None


def take(state: str) -> PendingLogin:
    """Remove and return the pending login of ``state``.

    :raises StateError: No login of this browser has that state, or it
        expired.  Either way it cannot be used again.
    """
    logins = _pending_logins()
    found = _find(logins, state)
    if found is None:
        raise StateError(UNKNOWN_STATE)

    session[_PENDING_KEY] = [asdict(login) for login in logins if login is not found]
    if _expired(found):
        raise StateError("This sign-in took too long. Please sign in again.")
    return found


def mark_completed(pending: PendingLogin) -> None:
    """Remember that ``pending``'s login finished, for a reloaded callback."""
    completed = _completed_logins()
    completed.append([_digest(pending.state), pending.next_url])
    session[_COMPLETED_KEY] = _newest_within(
        completed[-MAX_COMPLETED:], MAX_COMPLETED_BYTES
    )


def completed_next(state: str) -> tuple[bool, str | None]:
    """Tell whether ``state`` belongs to a finished login, and where it led."""
    digest = _digest(state)
    for entry in _completed_logins():
        if entry[0] == digest:
            return True, entry[1] if isinstance(entry[1], str) else None
    return False, None


def _find(logins: list[PendingLogin], state: str) -> PendingLogin | None:
    # Bytes, since compare_digest refuses str with non-ASCII characters.
    wanted = state.encode("utf-8")
    for login in logins:
        if hmac.compare_digest(login.state.encode("utf-8"), wanted):
            return login
    return None


def _pending_logins() -> list[PendingLogin]:
    stored = session.get(_PENDING_KEY, [])
    if not isinstance(stored, list):
        return []
    return [login for login in map(_load, stored) if login is not None]


def _load(stored: Any) -> PendingLogin | None:
    try:
        login = PendingLogin(**stored)
    except TypeError:
        # A cookie from an older version of this extension.
        return None
    # The fields' types too: a value of another type would fail later, at
    # every login of this browser, or reach the provider.
    if (
        isinstance(login.state, str)
        and isinstance(login.redirect_uri, str)
        and isinstance(login.code_verifier, (str, type(None)))
        and isinstance(login.next_url, (str, type(None)))
        and isinstance(login.started_at, (int, float))
        and not isinstance(login.started_at, bool)
    ):
        return login
    return None


def _completed_logins() -> list[list[Any]]:
    """The finished logins of this session, as ``[digest, next_url]`` pairs."""
    stored = session.get(_COMPLETED_KEY, [])
    if not isinstance(stored, list):
        return []
    return [entry for entry in stored if isinstance(entry, list) and len(entry) == 2]


def _newest_within(entries: list[Any], budget: int) -> list[Any]:
    """Drop the oldest ``entries`` until they fit ``budget``; keep the newest."""
    while len(entries) > 1 and len(json.dumps(entries)) > budget:
        entries = entries[1:]
    return entries


def _expired(login: PendingLogin) -> bool:
    return time.time() - login.started_at > PENDING_LIFETIME


def _digest(state: str) -> str:
    # Only a digest is kept: the state itself must not outlive its use.
    return hashlib.sha256(state.encode("utf-8")).hexdigest()[:32]


class StateClaims:
    """The states whose callback this process has begun to handle.

    The pending login lives in the browser's cookie, so two copies of one
    callback that arrive together (a double click, a prefetch) both find it.
    The first to claim its state exchanges the code; the other is refused
    without touching the session, so it cannot overwrite the winner's cookie
    with a logged-out one, and the code is sent once.  Claims are kept for
    :data:`PENDING_LIFETIME`, as digests.  They are per process: copies
    served by two worker processes at the same moment are not caught.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._claimed: dict[str, float] = {}

    def claim(self, state: str) -> bool:
        """Claim ``state``; return ``False`` if it was claimed already."""
        now = time.monotonic()
        digest = _digest(state)
        with self._guard:
            self._claimed = {
                key: until for key, until in self._claimed.items() if until > now
            }
            if digest in self._claimed:
                return False
            self._claimed[digest] = now + PENDING_LIFETIME
            return True
