"""What the extension keeps per application, and the current login's id.

Everything an application needs is built once at ``init_app`` and kept in
``app.extensions["astorage"]``, never on the extension object, so one
:class:`~flask_astorage.AStorage` can serve several applications and the
last ``init_app`` does not win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask
from flask import current_app
from flask import session

if TYPE_CHECKING:
    from authlib.integrations.flask_client import FlaskOAuth2App

    from .api import ApiClient
    from .config import Settings
    from .extension import AStorage
    from .login_state import StateClaims
    from .provider import TokenEndpoint
    from .refresh import TokenKeeper

__all__ = [
    "LOGIN_ID_KEY",
    "ExtensionState",
    "current_app_object",
    "current_login_id",
    "extension_state",
]

#: The session key holding the opaque id of the current login.
LOGIN_ID_KEY = "_astorage_login"


@dataclass(frozen=True)
class ExtensionState:
    """The parts the extension built for one application."""

    extension: AStorage
    settings: Settings
    remote_app: FlaskOAuth2App
    endpoint: TokenEndpoint
    keeper: TokenKeeper
    api: ApiClient
    state_claims: StateClaims


def extension_state() -> ExtensionState:
    """Return the current application's state.

    :raises RuntimeError: ``init_app`` was not called for this application.
    """
    try:
        return current_app.extensions["astorage"]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError(
            "AStorage is not registered on this application."
            " Call 'AStorage(app)' or 'astorage.init_app(app)' first."
        ) from None


def current_login_id() -> str | None:
    """Return the current browser's login id, or ``None`` if it has none."""
    login_id = session.get(LOGIN_ID_KEY)
    return login_id if isinstance(login_id, str) and login_id else None


def current_app_object() -> Flask:
    """Return the real application behind ``current_app``, to send signals."""
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
