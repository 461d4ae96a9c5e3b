"""The provider's endpoints: authorize, token and the user API.

``/oauth/authorize`` shows a small sign-in page. Its form posts back to
``/oauth/authorize`` and carries, so that tests can post it directly:

* every query parameter of the authorize URL, as hidden fields with the
  same names (``client_id``, ``redirect_uri``, ``response_type``,
  ``scope``, ``state`` and, with PKCE, ``code_challenge`` and
  ``code_challenge_method``);
* ``username``: the user to sign in as; each name is a user, the first
  one a fresh sandbox sees gets id ``"1"``;
* ``decision``: ``approve`` or ``deny`` (the two submit buttons).

``/oauth/token`` runs the grants, unless a fault is queued.
``/api/user`` returns ``{"id", "name", "scopes"}`` for a live access token.
Every request to these three is recorded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.util import scope_to_list
from flask import g
from flask import jsonify
from flask import make_response
from flask import render_template
from flask import request

from .fault_responses import CONNECTION_CLOSED_FLAG
from .fault_responses import answer_with_fault
from .parameters import normalize_parameters
from .parameters import received_parameters
from .passport_errors import PassportError
from .recorder import RecordedRequest

if TYPE_CHECKING:
    from authlib.oauth2.rfc6749 import AuthorizationCodeGrant
    from flask import Flask
    from flask import Response
    from flask.typing import ResponseReturnValue

    from .access_tokens import AccessTokenClaims
    from .authorization_server import SandboxAuthorizationServer
    from .faults import FaultKind
    from .recorder import EndpointName
    from .state import SandboxState

#: Fields of the sign-in form that are not authorize parameters.
CONSENT_FIELDS = frozenset({"username", "decision"})

#: Where the token view leaves the fault it answered with, for the recorder.
_FAULT_ON_G = "sandbox_fault"

_View = Callable[[], "ResponseReturnValue"]


class OAuthViews:
    """The provider-facing views of one sandbox app.

    :param state: the sandbox's records, settings and faults.
    :param server: the Authlib server that runs the grants.
    """

    def __init__(self, state: SandboxState, server: SandboxAuthorizationServer) -> None:
        self._state = state
        self._server = server

    def register(self, app: Flask) -> None:
        """Add the three endpoints to ``app``."""
        app.add_url_rule(
            "/oauth/authorize",
            "authorize",
            self._recorded("authorize", self.authorize),
            methods=["GET", "POST"],
        )
        app.add_url_rule(
            "/oauth/token",
            "token",
            self._recorded("token", self.token),
            methods=["POST"],
        )
        app.add_url_rule(
            "/api/user",
            "api_user",
            self._recorded("user", self.current_user),
            methods=["GET"],
        )

    def authorize(self) -> ResponseReturnValue:
        """Show the sign-in page (GET) or act on its decision (POST)."""
        try:
            grant = self._server.get_consent_grant()
        except OAuth2Error as error:
            return self._refuse_authorization(error)
        except ValueError:
            # Authlib writes an unsupported response_type or an unknown
            # redirect_uri into its error description, then refuses that
            # description if the value holds a quote, a backslash or
            # non-ASCII text.  Neither value can be trusted to redirect to.
            return self._refuse_authorization(PassportError("invalid_request"))

        if request.method == "GET":
            return self._consent_page(
                grant, hidden_fields=list(request.args.items(multi=True))
            )
        return self._decide(grant)

    def token(self) -> ResponseReturnValue:
        """Issue tokens, or answer with the next queued fault."""
        params = normalize_parameters(received_parameters(request))
        fault = self._state.faults.take(params.get("grant_type"))
        if fault is not None:
            setattr(g, _FAULT_ON_G, fault.kind)
            return answer_with_fault(fault, self._state.settings)
        return self._server.create_token_response()

    def current_user(self) -> ResponseReturnValue:
        """Describe the user of a live bearer token, as the demo's API."""
        claims = self._live_access_token_claims()
        user = None if claims is None else self._state.store.find_user(claims.subject)
        if claims is None or user is None:
            # Laravel's answer for a request its "auth:api" guard rejects.
            response = jsonify(message="Unauthenticated.")
            response.status_code = 401
            response.headers["WWW-Authenticate"] = "Bearer"
            return response

        return jsonify(id=claims.subject, name=user.name, scopes=claims.scopes)

    def _refuse_authorization(self, error: OAuth2Error) -> ResponseReturnValue:
        # RFC 6749 section 4.1.2.1: with an unknown client or an unregistered
        # redirect URI, tell the user, never redirect. Other errors go back
        # to the client's (validated) redirect URI.
        if error.redirect_uri:
            return self._server.handle_error_response(None, error)

        passport_error = PassportError.from_oauth2_error(error)
        return render_template("sandbox/error.html", error=passport_error), 400

    def _consent_page(
        self,
        grant: AuthorizationCodeGrant,
        *,
        hidden_fields: list[tuple[str, str]],
        problem: str | None = None,
    ) -> ResponseReturnValue:
        page = render_template(
            "sandbox/authorize.html",
            client=grant.client,
            redirect_uri=grant.redirect_uri,
            scopes=scope_to_list(grant.request.scope) or [],
            hidden_fields=hidden_fields,
            problem=problem,
        )
        return page, 400 if problem else 200

    def _decide(self, grant: AuthorizationCodeGrant) -> ResponseReturnValue:
        decision = request.form.get("decision", "").strip()
        username = request.form.get("username", "").strip()
        if decision == "deny":
            user = None
        elif decision == "approve" and username:
            user = self._state.store.user_named(username)
        else:
            hidden_fields = [
                (name, value)
                for name, value in request.form.items(multi=True)
                if name not in CONSENT_FIELDS
            ]
            problem = "Enter a user name, then choose Approve or Deny."
            return self._consent_page(
                grant, hidden_fields=hidden_fields, problem=problem
            )

        response: Response = self._server.create_authorization_response(
            grant.request, grant_user=user, grant=grant
        )
        return response

    def _live_access_token_claims(self) -> AccessTokenClaims | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None

        claims = self._state.signer.verify(token.strip())
        if claims is None:
            return None

        now = self._state.clock()
        record = self._state.store.find_access_token(claims.jti)
        is_live = (
            record is not None
            and not record.revoked
            and claims.not_before <= now < claims.expires_at
        )
        return claims if is_live else None

    def _recorded(self, endpoint: EndpointName, view: _View) -> _View:
        """Wrap ``view`` so that each request and its outcome are recorded."""

        @functools.wraps(view)
        def recorded_view() -> Response:
            response = make_response(view())
            self._state.recorder.add(_record_of_current_request(endpoint, response))
            return response

        return recorded_view


def _record_of_current_request(
    endpoint: EndpointName, response: Response
) -> RecordedRequest:
    params = received_parameters(request)
    fault: FaultKind | None = g.get(_FAULT_ON_G)
    scheme = request.headers.get("Authorization", "").partition(" ")[0]

    grant_type = None
    if endpoint == "token":
        grant_type = normalize_parameters(params).get("grant_type")

    status: int | None = response.status_code
    if g.get(CONNECTION_CLOSED_FLAG):
        status = None
    return RecordedRequest(
        endpoint=endpoint,
        method=request.method,
        content_type=request.headers.get("Content-Type"),
        params=tuple(params),
        authorization_scheme=scheme or None,
        grant_type=grant_type,
        status=status,
        fault=fault.value if fault else None,
    )
