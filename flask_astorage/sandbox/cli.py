"""``python -m flask_astorage.sandbox``: run the sandbox in the foreground.

Prints the base URL and the client's credentials, then serves on
127.0.0.1 until Ctrl-C. Faults can be queued from the start::

    python -m flask_astorage.sandbox --port 8765 --fail-next rate_limited:2
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any
from typing import TextIO

from .app import create_app
from .faults import DEFAULT_DELAY_SECONDS
from .faults import DEFAULT_RETRY_AFTER
from .faults import Fault
from .faults import FaultKind
from .faults import parse_fault_spec
from .server import make_loopback_server
from .settings import DEFAULT_ACCESS_TOKEN_LIFETIME
from .settings import DEFAULT_CLIENT_ID
from .settings import DEFAULT_CLIENT_SECRET
from .settings import DEFAULT_PASSPORT_VERSION
from .settings import DEFAULT_REDIRECT_URI
from .settings import SUPPORTED_PASSPORT_VERSIONS
from .state import sandbox_state

#: The port the command line listens on unless told otherwise.
DEFAULT_PORT = 8765


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for the sandbox's command line."""
    parser = argparse.ArgumentParser(
        prog="python -m flask_astorage.sandbox",
        description="Run a local stand-in for Alpha Storage's OAuth server.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port on 127.0.0.1; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--redirect-uri",
        dest="redirect_uris",
        action="append",
        metavar="URI",
        help=f"a registered redirect URI; repeatable (default: {DEFAULT_REDIRECT_URI})",
    )
    parser.add_argument(
        "--token-lifetime",
        type=int,
        default=DEFAULT_ACCESS_TOKEN_LIFETIME,
        metavar="SECONDS",
        help="access token lifetime and expires_in (default: %(default)s)",
    )
    parser.add_argument(
        "--passport-version",
        type=int,
        choices=SUPPORTED_PASSPORT_VERSIONS,
        default=DEFAULT_PASSPORT_VERSION,
        help="whose error shapes to copy (default: %(default)s)",
    )
    parser.add_argument(
        "--fail-next",
        dest="fault_specs",
        action="append",
        default=[],
        metavar="KIND[:TIMES[:GRANT_TYPE]]",
        help=(
            "fail the next token requests; repeatable. Kinds: "
            + ", ".join(kind.value for kind in FaultKind)
        ),
    )
    parser.add_argument(
        "--retry-after",
        type=int,
        default=DEFAULT_RETRY_AFTER,
        metavar="SECONDS",
        help="Retry-After of rate_limited faults (default: %(default)s)",
    )
    parser.add_argument(
        "--delay-seconds",
        type=float,
        default=DEFAULT_DELAY_SECONDS,
        metavar="SECONDS",
        help="how long delay faults stall (default: %(default)s)",
    )
    return parser


def app_options(arguments: argparse.Namespace) -> dict[str, Any]:
    """Return the ``create_app`` keyword arguments the command line asks for."""
    return {
        "client_id": arguments.client_id,
        "client_secret": arguments.client_secret,
        "redirect_uris": arguments.redirect_uris or [DEFAULT_REDIRECT_URI],
        "access_token_lifetime": arguments.token_lifetime,
        "passport_version": arguments.passport_version,
    }


def queued_faults(arguments: argparse.Namespace) -> list[Fault]:
    """Return the faults the command line asks for, in order.

    :raises ValueError: for a malformed ``--fail-next`` value.
    """
    return [
        parse_fault_spec(
            spec,
            retry_after=arguments.retry_after,
            delay_seconds=arguments.delay_seconds,
        )
        for spec in arguments.fault_specs
    ]


def main(argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout) -> int:
    """Run the sandbox until interrupted; return the exit status."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        faults = queued_faults(arguments)
        app = create_app(**app_options(arguments))
    except ValueError as error:
        parser.error(str(error))

    state = sandbox_state(app)
    for fault in faults:
        state.faults.add(fault)

    server = make_loopback_server(app, arguments.port)
    base_url = f"http://127.0.0.1:{server.server_port}"
    _print_banner(out, base_url, app_options(arguments), faults)
    # Werkzeug's serve_forever() returns on Ctrl-C and closes the socket.
    server.serve_forever()
    print("Sandbox stopped.", file=out)
    return 0


def _print_banner(
    out: TextIO, base_url: str, options: dict[str, Any], faults: list[Fault]
) -> None:
    # The secret is the sandbox's own, for a local stand-in; printing it is
    # how a developer copies it into the client's configuration.
    lines = [
        f"Alpha Storage sandbox running at {base_url}",
        f"  client_id:     {options['client_id']}",
        f"  client_secret: {options['client_secret']}",
        *(f"  redirect_uri:  {uri}" for uri in options["redirect_uris"]),
        f"  authorize:     {base_url}/oauth/authorize",
        f"  token:         {base_url}/oauth/token",
        f"  control:       {base_url}/_sandbox/requests",
        *(f"  queued fault:  {fault.kind.value} x{fault.times}" for fault in faults),
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), file=out, flush=True)
