"""Serve any WSGI app on a loopback port, in the background or foreground.

Tests, the demo and the sandbox's command line need a real HTTP server:
OAuth is redirects and back-channel POSTs between two servers, and some
failures (a dropped connection, a timeout) only exist on a real socket.
:func:`serve_in_thread` runs Werkzeug's threaded development server in a
daemon thread::

    with serve_in_thread(app) as server:
        requests.get(server.url + "/")

The server binds to 127.0.0.1 only, and its request log leaves out query
strings, which carry authorization codes and states.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from types import TracebackType

    from _typeshed.wsgi import WSGIApplication
    from typing_extensions import Self

#: The only address the servers here listen on.
LOOPBACK_HOST = "127.0.0.1"

#: How often the serving loop checks for shutdown, in seconds. Werkzeug's
#: default of 0.5 makes each shutdown take up to half a second.
_SHUTDOWN_POLL_INTERVAL = 0.05

_logger = logging.getLogger(__name__)


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, logging method, path and status only.

    Werkzeug logs the whole request line, query string included; OAuth
    puts codes, states and errors there. Lines that fail to parse are not
    echoed either.
    """

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(getattr(self, "path", "")).path or "-"
        # Named after the app, since the demo logs its own requests and its
        # sandbox's to one terminal.
        served = getattr(self.server.app, "name", "app")
        self.log("info", '%s "%s %s" %s', served, self.command or "-", path, code)

    def log_error(self, format: str, *args: object) -> None:
        # The standard library passes the raw request line in ``args`` for
        # malformed requests, so only the status code is kept.
        code = args[0] if args and isinstance(args[0], int) else "-"
        self.log("error", "Rejected a malformed request with status %s", code)


def make_loopback_server(app: WSGIApplication, port: int = 0) -> BaseWSGIServer:
    """Bind a threaded Werkzeug server for ``app`` to 127.0.0.1.

    :param port: the port to listen on; ``0`` picks a free one.
    """
    return make_server(
        LOOPBACK_HOST,
        port,
        app,
        threaded=True,
        request_handler=QuietRequestHandler,
    )


class StopsOnExit:
    """Makes a server with a ``shutdown`` method a context manager."""

    def shutdown(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()


class RunningServer(StopsOnExit):
    """A WSGI app served on a loopback port by a background daemon thread.

    Use :func:`serve_in_thread` to make one. Usable as a context manager,
    which shuts the server down on exit.
    """

    def __init__(self, app: WSGIApplication, *, port: int = 0) -> None:
        self._server = make_loopback_server(app, port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _SHUTDOWN_POLL_INTERVAL},
            name=f"loopback-server-{self.port}",
            daemon=True,
        )

    @property
    def host(self) -> str:
        """Always ``127.0.0.1``."""
        return LOOPBACK_HOST

    @property
    def port(self) -> int:
        """The port actually listened on, also when ``0`` was asked for."""
        return self._server.server_port

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``, no trailing slash."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> RunningServer:
        """Start serving; return ``self`` for chaining."""
        self._thread.start()
        _logger.debug("Serving on %s", self.url)
        return self

    def shutdown(self) -> None:
        """Stop serving, close the socket and wait for the serving thread.

        Requests still running in their own threads are abandoned; they are
        daemon threads and do not keep the process alive.
        """
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()


def serve_in_thread(app: WSGIApplication, *, port: int = 0) -> RunningServer:
    """Serve ``app`` on 127.0.0.1 in a daemon thread and return at once.

    :param app: any WSGI application, such as a Flask app.
    :param port: the port to listen on; ``0`` picks a free one, readable
        afterwards from :attr:`RunningServer.port`.
    """
    return RunningServer(app, port=port).start()
