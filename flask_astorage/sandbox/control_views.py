"""``/_sandbox/``: inspect and steer a running sandbox over HTTP.

For tests in another process (a browser test, the demo's end-to-end
suite) and for people poking at the sandbox with ``curl``. Every route
answers JSON, except the public key, and only to loopback clients:

==========  ========================  ====================================
method      path                      effect
==========  ========================  ====================================
GET         /_sandbox/requests        recorded requests, ``?endpoint=token``
DELETE      /_sandbox/requests        forget the recorded requests
GET         /_sandbox/faults          faults still queued
POST        /_sandbox/faults          queue ``{"kind", "times", ...}``
DELETE      /_sandbox/faults          drop every queued fault
GET         /_sandbox/settings        the current settings
POST        /_sandbox/settings        change some, e.g.
                                      ``{"access_token_lifetime": 2}``
POST        /_sandbox/reset           (body ``{}``) forget users, codes,
                                      tokens, records and faults; restore
                                      the settings
GET         /_sandbox/public-key      the token signing key, PEM
==========  ========================  ====================================

The recorded requests hold codes, tokens and the client secret as
clients sent them: this is a test tool on a loopback port.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from .faults import Fault

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

    from .recorder import EndpointName
    from .state import SandboxState

#: Where the control routes live; far from anything the provider serves.
URL_PREFIX = "/_sandbox"

_RECORDED_ENDPOINTS: tuple[EndpointName, ...] = ("authorize", "token", "user")


class ControlViews:
    """The ``/_sandbox/`` routes of one sandbox app."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state

    def register(self, app: Flask) -> None:
        """Add the control routes to ``app`` as the ``sandbox_control`` blueprint."""
        blueprint = Blueprint("sandbox_control", __name__, url_prefix=URL_PREFIX)
        blueprint.before_request(_only_from_loopback)
        blueprint.add_url_rule("/requests", view_func=self.list_requests)
        blueprint.add_url_rule(
            "/requests", view_func=self.clear_requests, methods=["DELETE"]
        )
        blueprint.add_url_rule("/faults", view_func=self.list_faults)
        blueprint.add_url_rule("/faults", view_func=self.add_fault, methods=["POST"])
        blueprint.add_url_rule(
            "/faults", view_func=self.clear_faults, methods=["DELETE"]
        )
        blueprint.add_url_rule("/settings", view_func=self.show_settings)
        blueprint.add_url_rule(
            "/settings", view_func=self.change_settings, methods=["POST"]
        )
        blueprint.add_url_rule("/reset", view_func=self.reset, methods=["POST"])
        blueprint.add_url_rule("/public-key", view_func=self.public_key)
        app.register_blueprint(blueprint)

    def list_requests(self) -> ResponseReturnValue:
        endpoint = request.args.get("endpoint")
        if endpoint is not None and endpoint not in _RECORDED_ENDPOINTS:
            return _bad_request(
                f"Unknown endpoint {endpoint!r}; use one of {_RECORDED_ENDPOINTS!r}."
            )

        records = self._state.recorder.records(_as_endpoint_name(endpoint))
        return jsonify(requests=[record.to_json() for record in records])

    def clear_requests(self) -> ResponseReturnValue:
        self._state.recorder.clear()
        return Response(status=204)

    def list_faults(self) -> ResponseReturnValue:
        faults = self._state.faults.pending()
        return jsonify(faults=[fault.to_json() for fault in faults])

    def add_fault(self) -> ResponseReturnValue:
        try:
            fault = Fault.from_json(request.get_json(silent=True))
        except (TypeError, ValueError) as error:
            return _bad_request(str(error))

        self._state.faults.add(fault)
        return jsonify(fault=fault.to_json()), 201

    def clear_faults(self) -> ResponseReturnValue:
        self._state.faults.clear()
        return Response(status=204)

    def show_settings(self) -> ResponseReturnValue:
        return jsonify(self._state.settings.to_json())

    def change_settings(self) -> ResponseReturnValue:
        changes = request.get_json(silent=True)
        if not isinstance(changes, dict):
            return _bad_request("Send the settings to change as a JSON object.")

        try:
            settings = self._state.update_settings(**changes)
        except (TypeError, ValueError) as error:
            return _bad_request(str(error))
        return jsonify(settings.to_json())

    def reset(self) -> ResponseReturnValue:
        self._state.reset()
        return Response(status=204)

    def public_key(self) -> ResponseReturnValue:
        return Response(self._state.signer.public_key_pem, mimetype="text/plain")


def _only_from_loopback() -> ResponseReturnValue | None:
    """Refuse control requests that do not come from this machine.

    The sandbox server binds to 127.0.0.1 anyway; this guards an app
    served some other way, since the records hold secrets.  A web page in
    the developer's browser is on this machine too, so the ``Host`` must
    name the loopback (against DNS rebinding), and a change must be sent as
    JSON or with DELETE, which a page on another site cannot send without
    the browser asking first (against cross-site forms).
    """
    try:
        is_loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        is_loopback = False
    named_loopback = (request.host.rpartition(":")[0] or request.host) in (
        "127.0.0.1",
        "localhost",
        "[::1]",
    )
    safe_method = request.method != "POST" or request.is_json

    if is_loopback and named_loopback and safe_method:
        return None
    response = jsonify(
        error="The sandbox control API answers loopback clients only, at a"
        " loopback address, with JSON bodies."
    )
    response.status_code = 403
    return response


def _bad_request(message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = 400
    return response


def _as_endpoint_name(endpoint: str | None) -> EndpointName | None:
    for name in _RECORDED_ENDPOINTS:
        if endpoint == name:
            return name
    return None
