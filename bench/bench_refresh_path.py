"""Measure what ``astorage.api.get`` costs on top of a bare ``requests`` call.

Run by hand, not by pytest::

    .venv/bin/python bench/bench_refresh_path.py [--calls 500] [--rounds 7]

Both sides call the sandbox's ``GET /api/user`` over loopback HTTP with the
same Bearer token and a kept-alive connection.  The baseline is a plain
``requests.Session().get``; the measured side is ``astorage.api.get``, which
also loads the login's token from the store, checks whether it is due for a
refresh and builds the request.  The two alternate round by round, so that
a machine that speeds up or slows down affects both, and the result is a
ratio of medians measured in the same run, not an absolute time.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import requests
from flask import Flask
from flask import session

from flask_astorage import AStorage
from flask_astorage.sandbox import start_sandbox
from flask_astorage.state import LOGIN_ID_KEY

#: Where Flask's test client says the app lives, for the redirect URI.
TEST_CLIENT_CALLBACK = "http://localhost/astorage/callback"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for each store asked for and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="calls per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per side")
    parser.add_argument(
        "--store",
        action="append",
        choices=["memory", "sqlite", "session"],
        help="token store to measure; repeatable (default: memory and sqlite)",
    )
    args = parser.parse_args(argv)
    # The sandbox's server logs every request; thousands of lines would
    # drown the results and slow both sides.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    print(f"{args.rounds} rounds of {args.calls} calls to GET /api/user per side")
    print(f"{'store':<8} {'baseline':>12} {'astorage':>12} {'overhead':>12} ratio")
    with start_sandbox(redirect_uris=[TEST_CLIENT_CALLBACK]) as sandbox:
        for store in args.store or ["memory", "sqlite"]:
            with tempfile.TemporaryDirectory() as instance_path:
                baseline, measured = _measure(
                    sandbox, store, instance_path, args.calls, args.rounds
                )
            print(
                f"{store:<8} {_micros(baseline):>12} {_micros(measured):>12}"
                f" {_micros(measured - baseline):>12} {measured / baseline:.3f}x"
            )
    return 0


def _measure(
    sandbox: Any, store: str, instance_path: str, calls: int, rounds: int
) -> tuple[float, float]:
    """Return the median seconds per call of the baseline and of astorage."""
    app, astorage = _make_app(sandbox, store, instance_path)
    client = app.test_client()
    authorize_url = client.get("/astorage/login").headers["Location"]
    client.get(sandbox.approve(authorize_url, username="bench"))

    # The same request context for every astorage call: what is measured is
    # the API client's own work, not Flask's request handling.
    # The cookie's contents are copied in: the login id, and with the
    # session store the token too.
    with client.session_transaction() as cookie_session:
        stored = dict(cookie_session)
    assert LOGIN_ID_KEY in stored, "the benchmark could not log in"
    with app.test_request_context():
        session.update(stored)
        token = astorage.token
        assert token is not None, "the benchmark's login did not store a token"

        bare = requests.Session()
        headers = {"Authorization": f"Bearer {token.access_token}"}
        url = f"{sandbox.url}/api/user"

        def baseline_call() -> None:
            bare.get(url, headers=headers, timeout=10).raise_for_status()

        def astorage_call() -> None:
            astorage.api.get("/api/user").raise_for_status()

        # Warm both connections and caches before timing.
        _time_per_call(baseline_call, 20)
        _time_per_call(astorage_call, 20)

        baseline_rounds: list[float] = []
        measured_rounds: list[float] = []
        for _ in range(rounds):
            baseline_rounds.append(_time_per_call(baseline_call, calls))
            measured_rounds.append(_time_per_call(astorage_call, calls))
        bare.close()

    return statistics.median(baseline_rounds), statistics.median(measured_rounds)


def _make_app(sandbox: Any, store: str, instance_path: str) -> tuple[Flask, AStorage]:
    app = Flask(__name__, instance_path=instance_path)
    app.config.update(
        SECRET_KEY="bench",
        ASTORAGE_CLIENT_ID=sandbox.client_id,
        ASTORAGE_CLIENT_SECRET=sandbox.client_secret,
        ASTORAGE_BASE_URL=sandbox.url,
        ASTORAGE_TOKEN_STORE=store,
    )
    return app, AStorage(app)


def _time_per_call(call: Callable[[], None], calls: int) -> float:
    """Return the mean seconds per call over ``calls`` calls."""
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls


def _micros(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


if __name__ == "__main__":
    sys.exit(main())
