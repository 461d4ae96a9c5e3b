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


def take(state: str) -> PendingLogin:
    """Remove and return the pending login of ``state``.

    :raises StateError: No login of this browser has that state, or it
        expired.  Either way it cannot be used again.
    """
    logins = _pending_logins()
    # Bytes, since compare_digest refuses str with non-ASCII characters.
    wanted = state.encode("utf-8")
    found = next(
        (
            login
            for login in logins
            if hmac.compare_digest(login.state.encode("utf-8"), wanted)
        ),
        None,
    )
    if found is None:
        raise StateError(
            "This sign-in link is not valid for this browser, or was already"
            " used. Please sign in again."
        )

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
