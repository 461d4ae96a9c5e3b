"""``python demo_app.py`` as a command: its port, its errors and its stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
import requests

from flask_astorage.sandbox import approve
from flask_astorage.sandbox import start_sandbox

from ..support import free_port
from .demo_process import PROJECT_ROOT
from .demo_process import DemoProcess

if TYPE_CHECKING:
    from pathlib import Path


def _run_demo(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the demo with ``arguments``, expecting it to exit by itself."""
    return subprocess.run(
        [sys.executable, "demo_app.py", *arguments],
        cwd=PROJECT_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_port_in_use_gives_a_sentence_not_a_traceback() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]

        finished = _run_demo("--port", str(port))

    assert finished.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in finished.stderr
    assert "--port" in finished.stderr
    assert "Traceback" not in finished.stderr
    # Nothing was started before the port was found taken.
    assert "Sandbox" not in finished.stdout


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_bad_port_is_refused_by_the_argument_parser(port: str) -> None:
    finished = _run_demo("--port", port)

    assert finished.returncode == 2
    assert "is not a port from 1 to 65535" in finished.stderr


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_kill_stop_the_demo_cleanly(
    stop_signal: signal.Signals, tmp_path: Path
) -> None:
    port = free_port()
    demo = DemoProcess(port, tmp_path).wait_until_serving()
    assert demo.url == f"http://127.0.0.1:{port}"

    assert demo.stop(stop_signal) == 0
    assert demo.output.rstrip().endswith("Demo stopped.")
    assert "Traceback" not in demo.output


def test_with_credentials_in_the_environment_it_uses_that_provider(
    tmp_path: Path,
) -> None:
    port = free_port()
    redirect_uri = f"http://127.0.0.1:{port}/astorage/callback"
    # A sandbox of our own stands in for the real Alpha Storage.
    with start_sandbox(redirect_uris=[redirect_uri]) as provider:
        demo = DemoProcess(
            port,
            tmp_path,
            provider_environment={
                "ASTORAGE_CLIENT_ID": provider.client_id,
                "ASTORAGE_CLIENT_SECRET": provider.client_secret,
                "ASTORAGE_BASE_URL": provider.url,
                "ASTORAGE_REDIRECT_URI": redirect_uri,
            },
        ).wait_until_serving()
        try:
            with requests.Session() as browser:
                to_provider = browser.get(
                    f"{demo.url}/astorage/login?next=/profile",
                    allow_redirects=False,
                    timeout=10,
                )
                callback_url = approve(to_provider.headers["Location"], "carol")
                profile = browser.get(callback_url, timeout=10)
        finally:
            assert demo.stop() == 0

    assert demo.sandbox_url == ""
    assert f"Signing in with Alpha Storage at {provider.url}" in demo.output
    assert profile.url == f"{demo.url}/profile"
    assert '<dd id="user-id">1</dd>' in profile.text
    assert provider.token_calls(grant_type="authorization_code") == 1
