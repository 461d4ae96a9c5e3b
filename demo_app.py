"""A small site that logs in with Alpha Storage: ``python demo_app.py``.

With no ``ASTORAGE_CLIENT_ID`` in the environment, the demo starts the
sandbox (a local Alpha Storage) on another loopback port and uses it, so it
runs offline.  With real credentials in the environment (``ASTORAGE_CLIENT_ID``,
``ASTORAGE_CLIENT_SECRET``, and ``ASTORAGE_REDIRECT_URI`` as registered), it
talks to the real provider.

Every ``ASTORAGE_*`` environment variable is copied into the app's config,
so the demo can also be served by several worker processes, for example
``gunicorn -w 4 'demo_app:create_app()'`` with ``SECRET_KEY`` set.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from datetime import datetime
from datetime import timezone
from typing import Any

from flask import Flask
from flask import get_flashed_messages
from flask import render_template_string
from flask import url_for

from flask_astorage import AStorage
from flask_astorage import config as astorage_config

astorage = AStorage()

#: Where the demo listens; the registered redirect URI must match it exactly.
DEMO_HOST = "127.0.0.1"
DEMO_PORT = 5000


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the demo app from the environment, then from ``overrides``.

    ``DEMO_INSTANCE_PATH`` moves the instance folder, where the default
    token store keeps its SQLite file.
    """
    app = Flask(__name__, instance_path=os.environ.get("DEMO_INSTANCE_PATH"))
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    for key in astorage_config.DEFAULTS:
        if key in os.environ:
            app.config[key] = os.environ[key]
    app.config.update(overrides or {})

    astorage.init_app(app)
    app.add_url_rule("/", view_func=home)
    app.add_url_rule("/profile", view_func=astorage.login_required(profile))
    app.add_url_rule(
        "/profile/api", view_func=astorage.login_required(call_api), methods=["POST"]
    )
    return app


def home() -> str:
    """The landing page, with the login button or a link to the profile."""
    return _page(
        """
        <p>This site lets you sign in with your Alpha Storage account.</p>
        {% if astorage.authorized %}
          <a class="button" href="{{ url_for('profile') }}">Your profile</a>
        {% else %}
          <a class="button" href="{{ url_for('astorage.login', next='/profile') }}">
            Login with Alpha Storage</a>
        {% endif %}
        """
    )


def profile(api_answer: str | None = None) -> str:
    """The protected page: who the user is, and what their token allows."""
    token = astorage.token
    return _page(
        """
        <dl>
          <dt>User id</dt><dd id="user-id">{{ astorage.user_id }}</dd>
          <dt>Scopes</dt>
          <dd id="scopes">{{ astorage.scopes | join(", ") or "(none)" }}</dd>
          <dt>Token expires</dt><dd id="expires">{{ expires }}</dd>
        </dl>
        <form method="post" action="{{ url_for('call_api') }}">
          <button type="submit" id="call-api">Call the API</button>
        </form>
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
    """Call the provider's ``/api/user`` as the user and show the answer."""
    response = astorage.api.get("/api/user")
    return profile(api_answer=f"HTTP {response.status_code}\n{response.text}")


def _expiry_text(expires_at: float | None) -> str:
    if expires_at is None:
        return "unknown"
    moment = datetime.fromtimestamp(expires_at, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


_LAYOUT = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>flask-astorage demo</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; color: #1f2933;
           max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }
    header a { color: inherit; text-decoration: none; font-weight: 600; }
    .flash { background: #fff7e6; border: 1px solid #f0c36d;
             padding: .5rem 1rem; border-radius: .4rem; }
    .button, button { display: inline-block; padding: .5rem 1rem; border: 0;
                      border-radius: .4rem; background: #1f6feb; color: #fff;
                      font: inherit; text-decoration: none; cursor: pointer; }
    button.secondary { background: #616e7c; margin-top: 1.5rem; }
    dt { font-weight: 600; } dd { margin: 0 0 .5rem; }
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
    content = render_template_string(body, astorage=astorage, **context)
    return render_template_string(
        _LAYOUT,
        content=content,
        get_flashed_messages=get_flashed_messages,
        url_for=url_for,
    )


def main(argv: list[str] | None = None) -> None:
    """Serve the demo, on the sandbox unless real credentials are set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEMO_PORT)
    args = parser.parse_args(argv)

    from flask_astorage.sandbox import start_sandbox
    from flask_astorage.sandbox.server import make_loopback_server

    own_url = f"http://{DEMO_HOST}:{args.port}"
    overrides: dict[str, Any] = {}
    if not os.environ.get("ASTORAGE_CLIENT_ID"):
        redirect_uri = f"{own_url}/astorage/callback"
        sandbox = start_sandbox(redirect_uris=[redirect_uri])
        overrides = {
            "ASTORAGE_CLIENT_ID": sandbox.client_id,
            "ASTORAGE_CLIENT_SECRET": sandbox.client_secret,
            "ASTORAGE_BASE_URL": sandbox.url,
            "ASTORAGE_REDIRECT_URI": redirect_uri,
        }
        print(f"Sandbox Alpha Storage running at {sandbox.url}")

    app = create_app(overrides)
    server = make_loopback_server(app, port=args.port)
    print(f"Demo running: open {own_url}/ in your browser (Ctrl-C stops it).")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
