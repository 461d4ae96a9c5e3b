"""Login with Alpha Storage for Flask, and a self-refreshing API client.

::

    from flask_astorage import AStorage

    astorage = AStorage(app)
"""

from __future__ import annotations

from .errors import AStorageError
from .errors import AuthorizationDenied
from .errors import CallbackError
from .errors import ClientMisconfigured
from .errors import ConfigurationError
from .errors import LoginRequired
from .errors import ProviderError
from .errors import ProviderTimeout
from .errors import ProviderUnavailable
from .errors import StateError
from .errors import TokenRejected
from .extension import AStorage
from .stores.base import TokenStore
from .tokens import Token

__all__ = [
    "AStorage",
    "AStorageError",
    "AuthorizationDenied",
    "CallbackError",
    "ClientMisconfigured",
    "ConfigurationError",
    "LoginRequired",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "StateError",
    "Token",
    "TokenRejected",
    "TokenStore",
]
