"""A local stand-in for Alpha Storage's OAuth 2.0 server.

The sandbox speaks the provider's contract exactly (Passport's codes,
tokens, rotation and error shapes) so that an application, its tests and
the demo can sign in without the real provider. It is built on Authlib's
authorization server and runs only on 127.0.0.1.

In tests::

    from flask_astorage.sandbox import start_sandbox

    with start_sandbox() as sandbox:
        callback_url = sandbox.approve(authorize_url, username="alice")
        sandbox.fail_next("bad_gateway", grant_type="refresh_token")
        assert sandbox.token_calls(grant_type="refresh_token") == 1

From a shell: ``python -m flask_astorage.sandbox --port 8765``.
"""

from __future__ import annotations

from .app import create_app
from .faults import Fault
from .faults import FaultKind
from .login import SandboxLoginError
from .login import approve
from .login import deny
from .recorder import RecordedRequest
from .runner import SandboxServer
from .runner import start_sandbox
from .server import RunningServer
from .server import serve_in_thread
from .settings import SandboxSettings
from .state import SandboxState
from .state import sandbox_state

__all__ = [
    "Fault",
    "FaultKind",
    "RecordedRequest",
    "RunningServer",
    "SandboxLoginError",
    "SandboxServer",
    "SandboxSettings",
    "SandboxState",
    "approve",
    "create_app",
    "deny",
    "sandbox_state",
    "serve_in_thread",
    "start_sandbox",
]
