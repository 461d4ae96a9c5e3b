"""The sandbox's Flask app factory.

:func:`create_app` returns a WSGI app that speaks the Alpha Storage
contract, for one registered client. Serve it with
:func:`~flask_astorage.sandbox.server.serve_in_thread`, or use
:func:`~flask_astorage.sandbox.runner.start_sandbox`, which does both.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from flask_astorage.log_redaction import install_log_redaction

from .access_tokens import AccessTokenSigner
from .authorization_server import SandboxAuthorizationServer
from .control_views import ControlViews
from .models import SandboxClient
from .models import SandboxStore
from .oauth_views import OAuthViews
from .settings import DEFAULT_ACCESS_TOKEN_LIFETIME
from .settings import DEFAULT_AUTHORIZATION_CODE_LIFETIME
from .settings import DEFAULT_CLIENT_ID
from .settings import DEFAULT_CLIENT_SECRET
from .settings import DEFAULT_PASSPORT_VERSION
from .settings import DEFAULT_REDIRECT_URI
from .settings import DEFAULT_REFRESH_TOKEN_LIFETIME
from .settings import SandboxSettings
from .state import EXTENSION_KEY
from .state import Clock
from .state import SandboxState

if TYPE_CHECKING:
    from joserfc.jwk import RSAKey


class _PassportOrderJSONProvider(DefaultJSONProvider):
    # Keep keys in insertion order, so that token responses list their
    # fields in Passport's order rather than alphabetically.
    sort_keys = False


def create_app(
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    redirect_uris: Sequence[str] = (DEFAULT_REDIRECT_URI,),
    access_token_lifetime: int = DEFAULT_ACCESS_TOKEN_LIFETIME,
    refresh_token_lifetime: int = DEFAULT_REFRESH_TOKEN_LIFETIME,
    authorization_code_lifetime: float = DEFAULT_AUTHORIZATION_CODE_LIFETIME,
    passport_version: int = DEFAULT_PASSPORT_VERSION,
    revoke_old_access_token: bool = True,
    clock: Clock = time.time,
    signing_key: RSAKey | None = None,
) -> Flask:
    """Create a sandbox app with one registered client.

    :param client_id: the client's id.
    :param client_secret: the client's secret, checked at the token endpoint.
    :param redirect_uris: the registered redirect URIs, matched byte for byte.
    :param access_token_lifetime: seconds; also every response's
        ``expires_in``.
    :param refresh_token_lifetime: seconds a refresh token lives.
    :param authorization_code_lifetime: seconds a code can be exchanged.
    :param passport_version: 11, 12 or 13; picks the error shapes (see
        :class:`~flask_astorage.sandbox.settings.SandboxSettings`).
    :param revoke_old_access_token: whether a refresh revokes the previous
        access token, as Passport does.
    :param clock: the time source for every expiry; pass a fake one to test
        expiry without sleeping.
    :param signing_key: a private RSA key to sign access tokens with; a new
        2048-bit key is made if omitted.
    :raises ValueError: for an empty client id, secret or redirect URI
        list, or a bad setting.
    """
    client = _registered_client(client_id, client_secret, redirect_uris)
    settings = SandboxSettings(
        access_token_lifetime=access_token_lifetime,
        refresh_token_lifetime=refresh_token_lifetime,
        authorization_code_lifetime=authorization_code_lifetime,
        passport_version=passport_version,
        revoke_old_access_token=revoke_old_access_token,
    )
    state = SandboxState(
        store=SandboxStore(client),
        signer=AccessTokenSigner(signing_key),
        settings=settings,
        clock=clock,
    )

    app = Flask(__package__ or "flask_astorage.sandbox")
    app.json = _PassportOrderJSONProvider(app)
    app.extensions[EXTENSION_KEY] = state

    OAuthViews(state, SandboxAuthorizationServer(state)).register(app)
    ControlViews(state).register(app)

    # Authlib's grants log each issued token dict at debug level.
    install_log_redaction()
    return app


def _registered_client(
    client_id: str, client_secret: str, redirect_uris: Sequence[str]
) -> SandboxClient:
    if isinstance(redirect_uris, str):
        raise ValueError(
            "'redirect_uris' must be a list of URIs, not one string; write"
            f" redirect_uris=[{redirect_uris!r}]."
        )
    if not client_id or not client_secret:
        raise ValueError(
            "The sandbox needs a non-empty 'client_id' and 'client_secret'."
        )
    if not redirect_uris or not all(redirect_uris):
        raise ValueError("The sandbox needs at least one non-empty redirect URI.")

    return SandboxClient(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uris=tuple(redirect_uris),
    )
