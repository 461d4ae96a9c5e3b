"""Everything one sandbox app knows, in one object tests can reach.

:func:`~flask_astorage.sandbox.app.create_app` builds a :class:`SandboxState`
and keeps it in ``app.extensions["astorage_sandbox"]``;
:func:`sandbox_state` fetches it back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from .faults import FaultQueue
from .recorder import RequestRecorder

if TYPE_CHECKING:
    from flask import Flask

    from .access_tokens import AccessTokenSigner
    from .models import SandboxStore
    from .settings import SandboxSettings

#: The key of the sandbox state in ``app.extensions``.
EXTENSION_KEY = "astorage_sandbox"

#: A source of the current time, in seconds since the epoch.
Clock = Callable[[], float]


class SandboxState:
    """The store, recorder, fault queue, settings and key of one sandbox.

    :param store: clients, users, codes and tokens.
    :param signer: signs and verifies access tokens.
    :param settings: the initial settings, restored by :meth:`reset`.
    :param clock: the time source for expiry; tests may pass a fake one.
    """

    def __init__(
        self,
        *,
        store: SandboxStore,
        signer: AccessTokenSigner,
        settings: SandboxSettings,
        clock: Clock,
    ) -> None:
        self.store = store
        self.signer = signer
        self.clock = clock
        self.recorder = RequestRecorder()
        self.faults = FaultQueue()
        self._initial_settings = settings
        self._settings = settings
        self._settings_lock = threading.Lock()

    @property
    def settings(self) -> SandboxSettings:
        """The current settings; read once per request for consistency."""
        return self._settings

    def update_settings(self, **changes: Any) -> SandboxSettings:
        """Change some settings and return the new whole.

        :raises ValueError: for an unknown name or a bad value; nothing
            changes then.
        """
        with self._settings_lock:
            self._settings = self._settings.replace(**changes)
            return self._settings

    def reset(self) -> None:
        """Forget users, codes, tokens, records and faults; restore settings.

        The client and the signing key stay, so a running client keeps
        its configuration and its copy of the public key.
        """
        with self._settings_lock:
            self._settings = self._initial_settings
        self.store.clear()
        self.recorder.clear()
        self.faults.clear()


def sandbox_state(app: Flask) -> SandboxState:
    """Return the state of a sandbox app made by ``create_app``.

    :raises LookupError: if ``app`` is not a sandbox app.
    """
    try:
        state: SandboxState = app.extensions[EXTENSION_KEY]
    except KeyError:
        raise LookupError(
            f"The Flask app {app.name!r} is not an Alpha Storage sandbox; make"
            " it with flask_astorage.sandbox.create_app()."
        ) from None
    return state
