"""The :class:`AStorage` extension object."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from authlib.integrations.flask_client import FlaskIntegration
from authlib.integrations.flask_client import FlaskOAuth2App
from flask import Flask
from flask import current_app
from flask import request
from joserfc.errors import JoseError

from . import signals
from .api import ApiClient
from .config import load_settings
from .errors import AStorageError
from .errors import ConfigurationError
from .errors import LoginRequired
from .log_redaction import install_log_redaction
from .login_state import StateClaims
from .provider import TokenEndpoint
from .provider import install_token_response_checks
from .refresh import TokenKeeper
from .responses import error_response
from .responses import login_redirect
from .responses import wants_json
from .state import ExtensionState
from .state import current_login_id
from .state import extension_state
from .stores.base import TokenStore
from .tokens import read_claims
from .views import blueprint
from .views import forbid_caching

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

    from .config import Settings
    from .tokens import Token

__all__ = ["AStorage"]

F = TypeVar("F", bound=Callable[..., Any])

#: The file name of the default store, in the application's instance folder.
SQLITE_FILE_NAME = "astorage-tokens.sqlite3"


class AStorage:
    """Login with Alpha Storage, and the Alpha Storage API, for a Flask app.

    ::

        astorage = AStorage(app)

        @app.get("/files")
        @astorage.login_required
        def files():
            return astorage.api.get("/api/files").json()

    With an application factory, create it without an app and call
    :meth:`init_app` later.  The configuration keys are listed in
    :data:`flask_astorage.config.DEFAULTS` and in the README;
    ``ASTORAGE_CLIENT_ID`` and ``ASTORAGE_CLIENT_SECRET`` are required.

    :param app: The application to register on now, if any.
    :param store: The token store to use instead of ``ASTORAGE_TOKEN_STORE``.
    """

    def __init__(self, app: Flask | None = None, *, store: TokenStore | None = None):
        self._store = store
        self._unauthorized_callback: Callable[[], ResponseReturnValue] | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the extension, its blueprint and its error handler on ``app``.

        :raises ConfigurationError: A required key is missing or a value is
            wrong; the message names the key.
        :raises RuntimeError: An AStorage is already registered on ``app``.
        """
        if "astorage" in app.extensions:
            raise RuntimeError(
                "An AStorage extension is already registered on this app."
                " Create one AStorage per app, and call 'init_app' once."
            )
        settings = load_settings(app.config)
        # "is None", not "or": an empty store may be falsy (it has __len__).
        store = (
            self._store
            if self._store is not None
            else _make_store(settings.token_store, app)
        )
        remote_app = _make_remote_app(settings)
        endpoint = TokenEndpoint(settings, remote_app)
        keeper = TokenKeeper(settings, store, endpoint)
        api = ApiClient(
            base_url=settings.api_base_url,
            timeout=settings.timeout,
            keeper=keeper,
            login_id=current_login_id,
        )

        app.extensions["astorage"] = ExtensionState(
            extension=self,
            settings=settings,
            remote_app=remote_app,
            endpoint=endpoint,
            keeper=keeper,
            api=api,
            state_claims=StateClaims(),
        )
        app.register_blueprint(blueprint, url_prefix=settings.url_prefix)
        app.after_request(forbid_caching)
        app.register_error_handler(AStorageError, self._handle_error)
        install_log_redaction()

    @property
    def api(self) -> ApiClient:
        """The Alpha Storage API client, acting as the current user."""
        return extension_state().api

    @property
    def token(self) -> Token | None:
        """The current user's stored token, or ``None``; never refreshes."""
        login_id = current_login_id()
        if login_id is None:
            return None
        return extension_state().keeper.load(login_id)

    @property
    def authorized(self) -> bool:
        """Whether the current user has logged in and kept a token."""
        return self.token is not None

    @property
    def user_id(self) -> str | None:
        """The current user's Alpha Storage id (the token's ``sub`` claim).

        With ``ASTORAGE_PUBLIC_KEY`` set, the token's signature and times are
        verified first, and a token failing that has no user id.
        """
        token = self.token
        if token is None:
            return None
        public_key = extension_state().settings.public_key
        if public_key is None:
            return token.user_id
        try:
            subject = read_claims(token.access_token, public_key).get("sub")
        except JoseError:
            return None
        return None if subject is None else str(subject)

    @property
    def scopes(self) -> list[str]:
        """The scopes granted to the current user's token."""
        token = self.token
        return token.scopes if token is not None else []

    @property
    def settings(self) -> Settings:
        """The current application's checked ``ASTORAGE_*`` configuration."""
        return extension_state().settings

    @property
    def remote_app(self) -> FlaskOAuth2App:
        """The Authlib client registered for the current application."""
        return extension_state().remote_app

    def login_required(self, view: F) -> F:
        """Let only users with a usable token into ``view``.

        A token about to expire is refreshed before the view runs.  Without
        a usable token, browsers are sent to log in and come back, and JSON
        clients get 401; see :meth:`unauthorized_handler`.  ``OPTIONS``
        requests pass through, for CORS preflights.
        """

        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if request.method != "OPTIONS":
                login_id = current_login_id()
                try:
                    if login_id is None:
                        raise LoginRequired("Please sign in with Alpha Storage.")
                    extension_state().keeper.usable_token(login_id)
                except LoginRequired:
                    return self.unauthorized()
            return current_app.ensure_sync(view)(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    def unauthorized_handler(
        self, callback: Callable[[], ResponseReturnValue]
    ) -> Callable[[], ResponseReturnValue]:
        """Register the function that answers requests without a usable token."""
        self._unauthorized_callback = callback
        return callback

    def unauthorized(self) -> ResponseReturnValue:
        """Answer a request that needs a login it does not have."""
        if self._unauthorized_callback is not None:
            return self._unauthorized_callback()
        if wants_json():
            return error_response(LoginRequired("Please sign in with Alpha Storage."))
        return login_redirect()

    def token_refreshed_handler(
        self, callback: Callable[[str | None, Token], None]
    ) -> Callable[[str | None, Token], None]:
        """Register ``callback(user_id, token)`` to run after every refresh.

        A shortcut for connecting to :data:`flask_astorage.signals.token_refreshed`
        for the applications this extension is registered on.
        """

        def receiver(app: Flask, user_id: str | None, token: Token) -> None:
            state = app.extensions.get("astorage")
            if state is not None and state.extension is self:
                callback(user_id, token)

        signals.token_refreshed.connect(receiver, weak=False)
        return callback

    def _handle_error(self, error: AStorageError) -> ResponseReturnValue:
        if isinstance(error, LoginRequired) and request.blueprint != "astorage":
            return self.unauthorized()
        return error_response(error)


def _make_remote_app(settings: Settings) -> FlaskOAuth2App:
    """Build Authlib's client for the provider, credentials sent in the body."""
    client_kwargs: dict[str, Any] = {
        "token_endpoint_auth_method": "client_secret_post",
        "default_timeout": settings.timeout,
    }
    if settings.use_pkce:
        client_kwargs["code_challenge_method"] = "S256"
    return FlaskOAuth2App(
        FlaskIntegration("astorage"),
        name="astorage",
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        authorize_url=settings.authorize_url,
        access_token_url=settings.token_url,
        api_base_url=settings.api_base_url,
        client_kwargs=client_kwargs,
        compliance_fix=install_token_response_checks,
    )


def _make_store(choice: Any, app: Flask) -> TokenStore:
    """Turn ``ASTORAGE_TOKEN_STORE`` into a store object."""
    if isinstance(choice, TokenStore):
        return choice
    if choice == "sqlite":
        from .stores.sqlite import SQLiteTokenStore

        return SQLiteTokenStore(os.path.join(app.instance_path, SQLITE_FILE_NAME))
    if choice == "session":
        from .stores.session import SessionTokenStore

        return SessionTokenStore()
    if choice == "memory":
        from .stores.memory import MemoryTokenStore

        return MemoryTokenStore()
    raise ConfigurationError(
        "'ASTORAGE_TOKEN_STORE' must be 'sqlite', 'session', 'memory' or a"
        f" TokenStore object; got {choice!r}."
    )
