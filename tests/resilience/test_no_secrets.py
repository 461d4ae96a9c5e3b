"""No secret leaves the server: not in its logs, its pages or its redirects.

Whole flows run over real HTTP with every logger at DEBUG: a login that
meets a provider fault, a login that works, an API call, a refresh that
works, a refresh that meets the same fault, and a logout.  Afterwards no
secret that passed through the server may appear in a formatted log record
written by a server thread, in a response body, or in a ``Location`` header
other than the redirect to the provider's authorize page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from flask_astorage.sandbox import FaultKind
from flask_astorage.sandbox import serve_in_thread
from tests.support import TEST_CLIENT_REDIRECT_URI
from tests.support import callback_path
from tests.support import make_app
from tests.support import query_of

from .resilience_support import Browser
from .resilience_support import everything_logged
from .resilience_support import expire_at_provider
from .resilience_support import set_expiry
from .resilience_support import stored_token
from .resilience_support import wait_for

if TYPE_CHECKING:
    from flask import Flask

    from flask_astorage.sandbox import SandboxServer

    from .resilience_support import RecordCollector
    from .resilience_support import ShiftableClock

CLIENT_TIMEOUT = 0.5
DELAY_SECONDS = 1.5


class Flow:
    """A browser on a served app that keeps every secret and answer it meets."""

    def __init__(self, app: Flask, sandbox: SandboxServer, url: str) -> None:
        self.app = app
        self.sandbox = sandbox
        self.browser = Browser(url)
        self.secrets: set[str] = {sandbox.client_secret}
        self.responses: list[requests.Response] = []
        self.callbacks: list[requests.Response] = []

    def get(self, path: str) -> requests.Response:
        response = self.browser.get(path)
        self.responses.append(response)
        self.remember_token()
        return response

    def post(self, path: str) -> requests.Response:
        response = self.browser.post(path)
        self.responses.append(response)
        return response

    def log_in(self) -> requests.Response:
        login = self.get("/astorage/login?next=/protected")
        authorize_url = login.headers["Location"]
        self.secrets.update(query_of(authorize_url)["state"])
        callback_url = self.sandbox.approve(authorize_url)
        self.secrets.update(query_of(callback_url).get("code", []))
        callback = self.get(callback_path(callback_url))
        self.callbacks.append(callback)
        return callback

    def expire_token(self, provider_clock: ShiftableClock) -> None:
        assert self.browser.cookie is not None
        self.browser.cookie = set_expiry(self.app, self.browser.cookie, time.time() - 1)
        expire_at_provider(provider_clock)

    def remember_token(self) -> None:
        if self.browser.cookie is None:
            return
        token = stored_token(self.app, self.browser.cookie)
        if token is not None:
            self.secrets.add(token.access_token)
            self.secrets.update(filter(None, [token.refresh_token]))

    def remember_sent_secrets(self) -> None:
        """Add what the server sent the provider: codes, verifiers, tokens."""
        for record in self.sandbox.recorded("token"):
            for name in ("code", "code_verifier", "refresh_token", "client_secret"):
                value = record.get(name)
                if isinstance(value, str) and value:
                    self.secrets.add(value)

    def leaks(self, collector: RecordCollector) -> list[str]:
        """Describe each place where a secret turned up."""
        # The redirect to the provider carries the state, in its Location
        # and in the link of its body; nothing else may.
        answers = [
            response
            for response in self.responses
            if not response.headers.get("Location", "").startswith(
                self.sandbox.authorize_endpoint + "?"
            )
        ]
        places = [f"log: {line}" for line in collector.lines]
        places += [f"body: {response.text}" for response in answers]
        places += [
            f"Location: {response.headers['Location']}"
            for response in answers
            if "Location" in response.headers
        ]
        return [
            place
            for place in places
            for secret in self.secrets
            if secret in place or secret[-20:] in place
        ]


def fail_next(sandbox: SandboxServer, kind: str, grant_type: str) -> None:
    sandbox.fail_next(
        kind, grant_type=grant_type, retry_after=3, delay_seconds=DELAY_SECONDS
    )


@pytest.fixture
def served_app(sandbox: SandboxServer, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    app, _ = make_app(
        sandbox,
        str(tmp_path),
        ASTORAGE_REDIRECT_URI=TEST_CLIENT_REDIRECT_URI,
        ASTORAGE_TIMEOUT=CLIENT_TIMEOUT,
    )
    with serve_in_thread(app) as server:
        yield app, server.url


@pytest.mark.parametrize("kind", [kind.value for kind in FaultKind])
def test_no_secret_is_logged_shown_or_redirected_to(
    sandbox: SandboxServer,
    provider_clock: ShiftableClock,
    served_app: tuple[Flask, str],
    kind: str,
) -> None:
    app, url = served_app
    flow = Flow(app, sandbox, url)

    with everything_logged(ignored_thread=threading.get_ident()) as collector:
        fail_next(sandbox, kind, "authorization_code")
        assert flow.log_in().status_code >= 400
        assert flow.log_in().status_code == 302
        assert flow.get("/protected").status_code == 200

        flow.expire_token(provider_clock)
        assert flow.get("/protected").status_code == 200

        flow.expire_token(provider_clock)
        fail_next(sandbox, kind, "refresh_token")
        flow.get("/protected")
        flow.get("/protected")
        flow.post("/astorage/logout")
        wait_for(lambda: len([r for r in sandbox.recorded("token") if r.fault]) == 2)

    flow.remember_sent_secrets()
    assert len(flow.secrets) >= 10
    assert collector.lines
    assert flow.leaks(collector) == []
    for callback in flow.callbacks:
        assert callback.headers["Referrer-Policy"] == "no-referrer"
        assert callback.headers["Cache-Control"] == "no-store"
