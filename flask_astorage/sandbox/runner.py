"""A sandbox running on a loopback port, with handles for tests.

::

    with start_sandbox() as sandbox:
        callback_url = sandbox.approve(authorize_url, username="alice")
        ...
        assert sandbox.token_calls(grant_type="refresh_token") == 1
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import quote
from urllib.parse import urlencode

from . import login
from .app import create_app
from .faults import DEFAULT_DELAY_SECONDS
from .faults import DEFAULT_RETRY_AFTER
from .faults import Fault
from .faults import FaultKind
from .server import StopsOnExit
from .server import serve_in_thread
from .state import sandbox_state

if TYPE_CHECKING:
    from flask import Flask

    from .recorder import EndpointName
    from .recorder import RecordedRequest
    from .server import RunningServer
    from .settings import SandboxSettings
    from .state import SandboxState


class SandboxServer(StopsOnExit):
    """A sandbox app served in a background thread.

    Made by :func:`start_sandbox`. Use it as a context manager, or call
    :meth:`shutdown`.

    :param app: a sandbox app from
        :func:`~flask_astorage.sandbox.app.create_app`.
    :param server: the loopback server running ``app``.
    """

    def __init__(self, app: Flask, server: RunningServer) -> None:
        #: The sandbox's Flask app.
        self.app = app
        #: Its records, recorder, fault queue and settings.
        self.state: SandboxState = sandbox_state(app)
        self._server = server

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``; use it as the
        provider's base URL in the client's configuration."""
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def authorize_endpoint(self) -> str:
        return f"{self.url}/oauth/authorize"

    @property
    def token_endpoint(self) -> str:
        return f"{self.url}/oauth/token"

    @property
    def user_endpoint(self) -> str:
        return f"{self.url}/api/user"

    @property
    def client_id(self) -> str:
        return self.state.store.client.client_id

    @property
    def client_secret(self) -> str:
        return self.state.store.client.client_secret

    @property
    def redirect_uri(self) -> str:
        """The first registered redirect URI."""
        return self.state.store.client.redirect_uris[0]

    @property
    def public_key_pem(self) -> str:
        """The PEM public key that verifies the access tokens."""
        return self.state.signer.public_key_pem

    def authorization_url(
        self,
        *,
        state: str = "sandbox-state",
        scope: str = "",
        redirect_uri: str | None = None,
        **extra: str,
    ) -> str:
        """Build an authorize URL with all five contract parameters.

        :param extra: more parameters, e.g. ``code_challenge``.
        """
        params = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri or self.redirect_uri,
            "response_type": "code",
            "scope": scope,
            "state": state,
            **extra,
        }
        # %20 for spaces, as in the provider's example ("state=Error%20Tets").
        query = urlencode(params, quote_via=quote, safe="")
        return f"{self.authorize_endpoint}?{query}"

    def approve(self, authorize_url: str, username: str = "alice") -> str:
        """Sign in and approve over real HTTP; return the callback URL.

        See :func:`~flask_astorage.sandbox.login.approve`.
        """
        return login.approve(authorize_url, username)

    def deny(self, authorize_url: str) -> str:
        """Press Deny over real HTTP; return the callback URL.

        See :func:`~flask_astorage.sandbox.login.deny`.
        """
        return login.deny(authorize_url)

    def recorded(self, endpoint: EndpointName | None = None) -> list[RecordedRequest]:
        """Return the recorded requests, optionally of ``"authorize"``,
        ``"token"`` or ``"user"`` only."""
        return self.state.recorder.records(endpoint)

    def token_calls(self, grant_type: str | None = None) -> int:
        """Count token endpoint requests (faulted ones too), optionally of
        one grant type."""
        return self.state.recorder.token_calls(grant_type)

    def clear_records(self) -> None:
        self.state.recorder.clear()

    def fail_next(
        self,
        kind: FaultKind | str,
        times: int = 1,
        *,
        grant_type: str | None = None,
        retry_after: int = DEFAULT_RETRY_AFTER,
        delay_seconds: float = DEFAULT_DELAY_SECONDS,
    ) -> Fault:
        """Make the next ``times`` token requests fail as ``kind``.

        :param grant_type: spoil only requests of this grant type.
        :param retry_after: ``Retry-After`` of ``rate_limited``.
        :param delay_seconds: how long ``delay`` stalls before its 503.
        """
        fault = Fault(
            kind=FaultKind(kind),
            times=times,
            grant_type=grant_type,
            retry_after=retry_after,
            delay_seconds=delay_seconds,
        )
        self.state.faults.add(fault)
        return fault

    def update_settings(self, **changes: Any) -> SandboxSettings:
        """Change settings while running, e.g. ``access_token_lifetime=2``."""
        return self.state.update_settings(**changes)

    def reset(self) -> None:
        """Forget users, codes, tokens, records and faults."""
        self.state.reset()

    def shutdown(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()


def start_sandbox(port: int = 0, **create_app_kwargs: Any) -> SandboxServer:
    """Create a sandbox app and serve it on 127.0.0.1 in the background.

    :param port: the port; ``0`` picks a free one (see
        :attr:`SandboxServer.url`).
    :param create_app_kwargs: passed to
        :func:`~flask_astorage.sandbox.app.create_app`.
    """
    app = create_app(**create_app_kwargs)
    return SandboxServer(app, serve_in_thread(app, port=port))
