"""Authlib's authorization server, wired to the sandbox's records.

This is where the sandbox departs from a stock Authlib server:

* parameters are trimmed and read from JSON bodies too
  (:mod:`~flask_astorage.sandbox.parameters`);
* token responses hold exactly the provider's fields
  (:mod:`~flask_astorage.sandbox.token_issuer`);
* errors come out in Passport's shape
  (:mod:`~flask_astorage.sandbox.passport_errors`);
* the token endpoint handles one request at a time, which makes refresh
  token rotation atomic.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from typing import Any

from authlib.common.security import is_secure_transport
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import request as flask_request

from .grants import SandboxAuthorizationCodeGrant
from .grants import SandboxRefreshTokenGrant
from .parameters import SandboxOAuth2Request
from .passport_errors import PassportError
from .token_issuer import TokenIssuer

if TYPE_CHECKING:
    from authlib.oauth2 import OAuth2Error
    from flask import Response

    from .state import SandboxState


class SandboxAuthorizationServer(AuthorizationServer):
    """An Authlib server speaking the Alpha Storage contract.

    :param state: the sandbox whose records the server reads and writes.
    """

    def __init__(self, state: SandboxState) -> None:
        _allow_plain_http_on_loopback()
        issuer = TokenIssuer(state)
        super().__init__(query_client=state.store.find_client, save_token=issuer.save)
        self.state = state

        # Registered directly rather than through init_app(), whose
        # load_config() would install Authlib's own bearer token generator.
        self.register_token_generator("default", issuer.generate)
        self.register_grant(
            SandboxAuthorizationCodeGrant, [CodeChallenge(required=False)]
        )
        self.register_grant(SandboxRefreshTokenGrant)

    def create_oauth2_request(self, request: Any) -> SandboxOAuth2Request:
        return SandboxOAuth2Request.from_flask(flask_request)

    def create_token_response(self, request: Any = None) -> Response:
        """Run the token endpoint while holding the store's lock.

        Authlib checks a refresh token in ``validate_token_request`` and
        revokes it later in ``create_token_response``. Holding one lock
        across both makes the pair atomic: of two concurrent requests with
        the same refresh token (or code), one succeeds and the other finds
        it revoked. A sandbox can afford the lost parallelism.
        """
        with self.state.store.lock:
            response: Response = super().create_token_response(request)
        return response

    def handle_error_response(self, request: Any, error: OAuth2Error) -> Response:
        """Answer every OAuth error the way Passport does."""
        passport_error = PassportError.from_oauth2_error(error)
        include_message = self.state.settings.includes_message_in_errors
        response: Response = self.handle_response(
            *passport_error.passport_response(include_message=include_message)
        )
        return response


def _allow_plain_http_on_loopback() -> None:
    """Let Authlib serve plain HTTP, which the loopback sandbox speaks.

    Authlib refuses OAuth over plain HTTP unless the address is loopback
    (recent releases) or ``AUTHLIB_INSECURE_TRANSPORT`` is set. The sandbox
    listens on 127.0.0.1 only, so on releases that already accept loopback
    the process environment is left alone; older releases get the variable,
    which affects the whole process and is why it is not set needlessly.
    """
    if not is_secure_transport("http://127.0.0.1/"):
        os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
