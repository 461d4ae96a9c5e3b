"""A small site that logs in with Alpha Storage: ``python demo_app.py``.

With no ``ASTORAGE_CLIENT_ID`` in the environment, the demo starts the
sandbox (a local Alpha Storage) on another loopback port and uses it, so it
runs offline.  With real credentials in the environment (``ASTORAGE_CLIENT_ID``,
``ASTORAGE_CLIENT_SECRET``, and ``ASTORAGE_REDIRECT_URI`` as registered), it
talks to the real provider.

Every ``ASTORAGE_*`` environment variable is copied into the app's config,
so the demo can also be served by several worker processes, for example
``gunicorn -w 4 'demo_app:create_app()'`` with ``SECRET_KEY`` set: without
it, each worker makes up its own key and rejects the others' cookies.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import secrets
import signal
import socket
import sys
import time
from datetime import datetime
from datetime import timezone
from typing import TYPE_CHECKING
from typing import Any
from typing import NoReturn

from flask import Flask
from flask import get_flashed_messages
from flask import render_template_string
from flask import url_for

from flask_astorage import AStorage
from flask_astorage import config as astorage_config

if TYPE_CHECKING:
    import requests

    from flask_astorage.sandbox import SandboxServer

astorage = AStorage()

#: Where the demo listens; the registered redirect URI must match it exactly.
DEMO_HOST = "127.0.0.1"
DEMO_PORT = 5000

#: What "Call the API" asks for: the sandbox's answer about the current user.
API_PATH = "/api/user"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the demo app from the environment, then from ``overrides``.

    ``SECRET_KEY`` and every ``ASTORAGE_*`` key come from the environment
    when set there.  ``DEMO_INSTANCE_PATH`` moves the instance folder, where
    the default token store keeps its SQLite file.
    """
    instance_path = os.environ.get("DEMO_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
    )
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    for key in astorage_config.DEFAULTS:
        if key in os.environ:
            app.config[key] = os.environ[key]
    app.config.update(overrides or {})

    astorage.init_app(app)
    app.add_url_rule("/", view_func=home)
    app.add_url_rule("/profile", view_func=astorage.login_required(profile))
    # GET, so that reloading the answer does not ask to resend a form; POST
    # stays accepted for scripts written against earlier versions.
    app.add_url_rule(
        "/profile/api",
        view_func=astorage.login_required(call_api),
        methods=["GET", "POST"],
    )
    return app


def home() -> str:
    """The landing page, with the login button or a link to the profile."""
    return _page(
        """
        <h1>Welcome</h1>
        <p>This site lets you sign in with your Alpha Storage account.</p>
        {% if astorage.authorized %}
          <a class="button" href="{{ url_for('profile') }}">Your profile</a>
        {% else %}
          <a class="button" id="login"
             href="{{ url_for('astorage.login', next=url_for('profile')) }}">
            Login with Alpha Storage</a>
        {% endif %}
        """
    )


def profile(api_answer: str | None = None) -> str:
    """The protected page: who the user is, and what their token allows."""
    token = astorage.token
    return _page(
        """
        <h1>Your profile</h1>
        <dl>
          <dt>User id</dt><dd id="user-id">{{ astorage.user_id }}</dd>
          <dt>Scopes</dt>
          <dd id="scopes">{{ astorage.scopes | join(", ") or "(none)" }}</dd>
          <dt>Token expires</dt><dd id="expires">{{ expires }}</dd>
        </dl>
        <p>
          <a class="button" id="call-api" href="{{ url_for('call_api') }}">
            Call the API</a>
        </p>
        {% if api_answer is not none %}
          <h2>The API answered</h2>
          <pre id="api-answer">{{ api_answer }}</pre>
        {% endif %}
        <form method="post" action="{{ url_for('astorage.logout') }}">
          <button type="submit" id="logout" class="secondary">Log out</button>
        </form>
        """,
        expires=_expiry_text(token.expires_at if token else None),
        api_answer=api_answer,
    )


def call_api() -> str:
    """Call the provider's API as the user and show the answer on the profile."""
    response = astorage.api.get(API_PATH)
    return profile(api_answer=_describe(response))


def _describe(response: requests.Response) -> str:
    """Show an API answer as its status line and its body, JSON indented."""
    try:
        body = json.dumps(response.json(), indent=2, ensure_ascii=False)
    except ValueError:
        body = response.text
    return f"GET {API_PATH}: HTTP {response.status_code}\n{body}"


def _expiry_text(expires_at: float | None, now: float | None = None) -> str:
    """Say when a token expires, in UTC and from now: "… UTC (in 15 days)"."""
    if expires_at is None:
        return "unknown"

    moment = datetime.fromtimestamp(expires_at, tz=timezone.utc)
    remaining = expires_at - (time.time() if now is None else now)
    return f"{moment:%Y-%m-%d %H:%M} UTC ({_duration_text(remaining)})"


def _duration_text(seconds: float) -> str:
    if seconds <= 0:
        return "expired"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            # Rounded, so that a fresh 15-day token reads "in 15 days".
            count = round(seconds / size)
            return f"in {count} {unit}{'s' if count != 1 else ''}"
    return "in less than a minute"


_LAYOUT = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>flask-astorage demo</title>
  <link rel="icon" href="data:,">
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; color: #1f2933;
           max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }
    header { border-bottom: 1px solid #e4e7eb; padding-bottom: .5rem; }
    header a { color: inherit; text-decoration: none; font-weight: 600; }
    h1 { font-size: 1.5rem; } h2 { font-size: 1.1rem; }
    .flash { background: #fff7e6; border: 1px solid #f0c36d;
             padding: .5rem 1rem; border-radius: .4rem; }
    .button, button { display: inline-block; padding: .5rem 1rem; border: 0;
                      border-radius: .4rem; background: #1f6feb; color: #fff;
                      font: inherit; text-decoration: none; cursor: pointer; }
    button.secondary { background: #616e7c; margin-top: 1.5rem; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
    dt { font-weight: 600; } dd { margin: 0; }
    pre { background: #f5f7fa; padding: 1rem; overflow-x: auto; }
  </style>
</head>
<body>
  <header><a href="{{ url_for('home') }}">flask-astorage demo</a></header>
  {% for message in get_flashed_messages() %}
    <p class="flash" role="status">{{ message }}</p>
  {% endfor %}
  <main>{{ content | safe }}</main>
</body>
</html>
"""


def _page(body: str, **context: Any) -> str:
    """Render ``body`` (autoescaped, like any template) inside the layout."""
    content = render_template_string(body, astorage=astorage, **context)
    return render_template_string(
        _LAYOUT,
        content=content,
        get_flashed_messages=get_flashed_messages,
        url_for=url_for,
    )


def main(argv: list[str] | None = None) -> int:
    """Serve the demo, on the sandbox unless real credentials are set."""
    args = _parse_arguments(argv)
    own_url = f"http://{DEMO_HOST}:{args.port}"
    _check_port_is_free(args.port)
    # A plain "kill" stops the demo as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)

    sandbox: SandboxServer | None = None
    try:
        overrides: dict[str, Any] = {}
        if not os.environ.get("ASTORAGE_CLIENT_ID"):
            sandbox, overrides = _start_sandbox(own_url)
        app = create_app(overrides)
        if sandbox is None:
            _describe_provider(app, own_url)
        _serve(app, args.port, own_url)
    except KeyboardInterrupt:
        pass
    finally:
        if sandbox is not None:
            sandbox.shutdown()
    print("Demo stopped.")
    return 0


def _serve(app: Flask, port: int, own_url: str) -> None:
    """Serve ``app`` on the loopback ``port`` until interrupted."""
    from flask_astorage.sandbox.server import make_loopback_server

    server = make_loopback_server(app, port=port)
    print(f"Demo running: open {own_url}/ in your browser (Ctrl-C stops it).")
    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()


def _describe_provider(app: Flask, own_url: str) -> None:
    """Say which provider the demo uses, and the redirect URI to register."""
    with app.app_context():
        settings = astorage.settings
    redirect_uri = settings.redirect_uri or f"{own_url}/astorage/callback"
    print(f"Signing in with Alpha Storage at {settings.base_url}")
    print(f"  registered redirect URI must be: {redirect_uri}")


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python demo_app.py",
        description="Serve a small site that logs in with Alpha Storage.",
    )
    parser.add_argument(
        "--port",
        type=_port_number,
        default=DEMO_PORT,
        help="port on 127.0.0.1 (default: %(default)s)",
    )
    return parser.parse_args(argv)


def _port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port from 1 to 65535")
    return port


def _start_sandbox(own_url: str) -> tuple[SandboxServer, dict[str, Any]]:
    """Start the sandbox provider and return it with the config that uses it."""
    from flask_astorage.sandbox import start_sandbox

    # The sandbox matches redirect URIs byte for byte, like the provider.
    redirect_uri = f"{own_url}/astorage/callback"
    sandbox = start_sandbox(redirect_uris=[redirect_uri])
    print(f"Sandbox Alpha Storage running at {sandbox.url} (any user name works).")
    return sandbox, {
        "ASTORAGE_CLIENT_ID": sandbox.client_id,
        "ASTORAGE_CLIENT_SECRET": sandbox.client_secret,
        "ASTORAGE_BASE_URL": sandbox.url,
        "ASTORAGE_REDIRECT_URI": redirect_uri,
    }


def _check_port_is_free(port: int) -> None:
    """Exit with a sentence, before starting anything, if ``port`` is taken.

    Werkzeug would say so too, but only after the sandbox started, and
    without naming ``--port``.
    """
    with socket.socket() as probe:
        # The server sets SO_REUSEADDR too: a port that only holds closed
        # connections of a previous run is free for it, and so for us.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((DEMO_HOST, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                other_port = port + 1 if port < 65535 else DEMO_PORT
                _fail(
                    f"port {port} on {DEMO_HOST} is already in use. Stop the"
                    " program using it, or pick another port, for example:"
                    f" python demo_app.py --port {other_port}"
                )
            _fail(f"cannot listen on {DEMO_HOST}:{port}: {err.strerror or err}.")


def _fail(message: str) -> NoReturn:
    """Leave with ``message`` on stderr and exit status 1, without a traceback."""
    print(f"demo_app.py: error: {message}", file=sys.stderr)
    raise SystemExit(1)


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
