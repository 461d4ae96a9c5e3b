"""The one path by which a login's token is read, refreshed and forgotten.

The provider rotates refresh tokens: the one just used stops working at once.
Clients that refresh once per request therefore lose logins when requests
race: every request but the first sends a dead refresh token and the user is
logged out.  :class:`TokenKeeper` prevents that:

1. A request reads the token; if it does not expire within the leeway, it is
   used as it is.
2. Otherwise the request takes the store's refresh lock for this login, then
   reads the token *again*.  If a sibling refreshed it meanwhile, the
   sibling's token is used and the provider is not called.
3. Only the holder of the lock refreshes.  The new token is stored before it
   is used, and remembered for a grace period under the refresh token it
   replaced, so that a request still carrying the old token (a cookie from
   before the refresh, with the session store) gets the new one without a
   second refresh.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flask import g
from flask import has_app_context

from . import signals
from .errors import LoginRequired
from .errors import ProviderError
from .errors import ProviderTimeout
from .errors import ProviderUnavailable
from .errors import TokenRejected
from .provider import DEFAULT_RETRY_AFTER
from .state import current_app_object
from .stores.base import RefreshLockTimeout

if TYPE_CHECKING:
    from .config import Settings
    from .provider import TokenEndpoint
    from .stores.base import TokenStore
    from .tokens import Token

__all__ = ["TokenKeeper"]

log = logging.getLogger(__name__)

#: Seconds beyond the provider timeout to wait for a sibling's refresh.
_LOCK_MARGIN = 5
#: How many rotations to follow from an old token to the newest.
_MAX_ROTATION_CHAIN = 8
#: The ``flask.g`` key of the logins whose refresh failed in this request.
_FAILED_REFRESHES_KEY = "_astorage_failed_refreshes"


class TokenKeeper:
    """Hand out usable tokens for logins, refreshing each at most once.

    :param settings: The application's configuration.
    :param store: Where tokens live.
    :param endpoint: The provider's token endpoint.
    """

    def __init__(
        self, settings: Settings, store: TokenStore, endpoint: TokenEndpoint
    ) -> None:
        self.settings = settings
        self.store = store
        self.endpoint = endpoint
        self._rotations = _RotationMemory(settings.refresh_grace)

    def load(self, login_id: str) -> Token | None:
        """Return the newest known token of ``login_id``, without refreshing.

        A token that was rotated within the grace period is replaced by its
        successor, which is stored in place of the old copy.
        """
        token = self.store.load(login_id)
        if token is None:
            return None
        newest = self._rotations.newest(login_id, token)
        if newest is not token:
            self.store.save(login_id, newest)
        return newest

    def usable_token(self, login_id: str) -> Token:
        """Return a token of ``login_id`` that is good for the next call.

        :raises LoginRequired: There is no token, or the provider said it is
            dead (it has been forgotten).
        :raises ProviderUnavailable: The token must be refreshed and the
            provider cannot do it now; the token is kept.
        """
        token = self.load(login_id)
        if token is None:
            raise LoginRequired("Please sign in with Alpha Storage.")
        if not token.due_for_refresh(self.settings.refresh_leeway):
            return token
        if login_id in _failed_refreshes() and _still_valid(token):
            # One try per request: a second one (the view's API call after
            # ``login_required``) would make a stalled provider hold the
            # worker for twice ``ASTORAGE_TIMEOUT``.
            return token
        return self.refresh(login_id, token)

    def refresh(self, login_id: str, stale: Token, *, forced: bool = False) -> Token:
        """Replace ``stale`` by a new token, unless a sibling already did.

        :param stale: The token the caller found too old (or that the API
            refused, when ``forced``).
        :param forced: Refresh even if the stored token does not look
            expired, because the API answered 401 to it.
        """
        timeout = self.settings.timeout + _LOCK_MARGIN
        try:
            with self.store.refresh_lock(login_id, timeout=timeout):
                token, refreshed = self._refresh_locked(login_id, stale, forced=forced)
        except RefreshLockTimeout as err:
            raise ProviderUnavailable(
                "Your sign-in is being renewed. Please try again in a moment.",
                error="refresh_in_progress",
                status_code=503,
                retry_after=DEFAULT_RETRY_AFTER,
            ) from err

        if refreshed:
            # Sent once the lock is released, so that a receiver may log
            # the user out (which takes the lock) without waiting for it.
            signals.token_refreshed.send(
                current_app_object(), user_id=token.user_id, token=token
            )
        return token

    def forget(self, login_id: str, *, reason: str) -> None:
        """Delete the token of ``login_id`` and announce the logout.

        A refresh of this login still waiting for the provider is let
        finish first: it would store its new token after the delete, and
        bring back a login that was just ended.
        """
        with self._refreshes_settled(login_id):
            self._forget(login_id, reason=reason)

    def discard(self, login_id: str) -> None:
        """Delete the token of ``login_id`` quietly, as a new login replaces it.

        Like :meth:`forget`, it waits for a refresh of the login in flight.
        """
        with self._refreshes_settled(login_id):
            self.store.delete(login_id)

    @contextmanager
    def _refreshes_settled(self, login_id: str) -> Iterator[None]:
        with ExitStack() as held:
            try:
                held.enter_context(
                    self.store.refresh_lock(
                        login_id, timeout=self.settings.timeout + _LOCK_MARGIN
                    )
                )
            except RefreshLockTimeout:
                # A holder that outlives the provider timeout has hung; ending
                # the login matters more than waiting for it.
                log.warning("A refresh held its lock too long; deleting anyway.")
            yield

    def _forget(self, login_id: str, *, reason: str) -> None:
        token = self.store.load(login_id)
        self.store.delete(login_id)
        user_id = token.user_id if token is not None else None
        log.info("Login of user %s ended (%s).", user_id, reason)
        signals.logged_out.send(current_app_object(), user_id=user_id, reason=reason)

    def _refresh_locked(
        self, login_id: str, stale: Token, *, forced: bool
    ) -> tuple[Token, bool]:
        """Refresh under the lock; return the token and whether it is new."""
        current = self.load(login_id)
        if current is None:
            raise LoginRequired("Please sign in with Alpha Storage.")
        if current.access_token != stale.access_token:
            log.debug("A sibling request already refreshed this login.")
            return current, False
        if not forced and not current.due_for_refresh(self.settings.refresh_leeway):
            return current, False

        try:
            fresh = self.endpoint.refresh(current)
        except TokenRejected:
            return self._after_rejection(login_id, current), False
        except ProviderError as err:
            kept = self._after_provider_error(login_id, current, err, forced=forced)
            return kept, False

        self.store.save(login_id, fresh)
        self._rotations.remember(login_id, current, fresh)
        log.info("Refreshed the token of user %s.", fresh.user_id)
        return fresh, True

    def _after_rejection(self, login_id: str, sent: Token) -> Token:
        # A token stored since we read it (a lease that ran out, another
        # store writer) is newer than the one the provider refused.
        latest = self.store.load(login_id)
        if latest is not None and latest.refresh_token != sent.refresh_token:
            log.info("Refresh refused, but a newer token was stored; using it.")
            return latest
        # The refresh lock is held here already.
        self._forget(login_id, reason="token_rejected")
        raise TokenRejected(
            "Your Alpha Storage sign-in has expired. Please sign in again."
        )

    def _after_provider_error(
        self, login_id: str, current: Token, err: ProviderError, *, forced: bool
    ) -> Token:
        # After a timeout the provider may have rotated the tokens without
        # our hearing of it, revoking this access token too; so only an
        # answered failure lets the current token serve on.
        answered = not isinstance(err, ProviderTimeout)
        if answered and _still_valid(current) and not forced:
            log.warning(
                "Refresh failed (%s); the current token is still valid.", err.error
            )
            _failed_refreshes().add(login_id)
            return current
        raise ProviderUnavailable(
            "Alpha Storage is not available right now, so your sign-in could not"
            " be renewed. Please try again shortly.",
            error=err.error,
            status_code=503,
            retry_after=err.retry_after or DEFAULT_RETRY_AFTER,
        ) from err


def _still_valid(token: Token) -> bool:
    return token.expires_at is None or token.expires_at > time.time()


def _failed_refreshes() -> set[str]:
    """The logins whose refresh failed during the current request."""
    if not has_app_context():
        return set()
    return g.setdefault(_FAILED_REFRESHES_KEY, set())  # type: ignore[no-any-return]


class _RotationMemory:
    """Which token replaced which, for ``grace`` seconds after each refresh.

    Keys are digests of the login id and the replaced refresh token, so no
    token is kept here that is not also in the store.
    """

    def __init__(self, grace: float) -> None:
        self._grace = grace
        self._guard = threading.Lock()
        self._successors: dict[str, tuple[float, Token]] = {}

    def remember(self, login_id: str, old: Token, new: Token) -> None:
        if self._grace <= 0 or not old.refresh_token:
            return
        now = time.monotonic()
        with self._guard:
            self._successors = {
                key: entry for key, entry in self._successors.items() if entry[0] > now
            }
            self._successors[_key(login_id, old)] = (now + self._grace, new)

    def newest(self, login_id: str, token: Token) -> Token:
        if not self._successors:
            return token
        now = time.monotonic()
        with self._guard:
            for _ in range(_MAX_ROTATION_CHAIN):
                entry = self._successors.get(_key(login_id, token))
                if entry is None or entry[0] <= now:
                    break
                token = entry[1]
        return token


def _key(login_id: str, token: Token) -> str:
    material = f"{login_id}\0{token.refresh_token}".encode()
    return hashlib.sha256(material).hexdigest()
