"""``serve_in_thread``: any WSGI app on a loopback port, quietly logged."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pytest
import requests

from flask_astorage.sandbox import serve_in_thread

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIEnvironment


def hello_app(
    environ: WSGIEnvironment, start_response: StartResponse
) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello " + environ.get("QUERY_STRING", "").encode()]


def test_serves_any_wsgi_app_on_a_free_loopback_port() -> None:
    with serve_in_thread(hello_app) as server:
        response = requests.get(f"{server.url}/?x=1", timeout=5)

    assert server.host == "127.0.0.1"
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert response.text == "hello x=1"


def test_shutdown_frees_the_port() -> None:
    server = serve_in_thread(hello_app)
    url = server.url

    server.shutdown()
    server.shutdown()

    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=1)


def test_request_log_leaves_out_the_query_string(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")

    with serve_in_thread(hello_app) as server:
        requests.get(f"{server.url}/cb?code=secret-code&state=secret-state", timeout=5)

    assert '"GET /cb" 200' in caplog.text
    assert "secret" not in caplog.text
