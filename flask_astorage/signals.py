"""Blinker signals sent by flask-astorage.

Connect to them to react to logins without touching the views, for instance
to create a local user record at the first login::

    from flask_astorage.signals import logged_in

    @logged_in.connect
    def remember_user(app, user_id, token):
        ...

Every signal's sender is the Flask application object.
"""

from __future__ import annotations

from blinker import Namespace

__all__ = ["logged_in", "logged_out", "login_failed", "token_refreshed"]

_signals = Namespace()

#: Sent when a user has logged in and their token is stored.  Keyword
#: arguments: ``user_id`` (str or None) and ``token`` (the new token).
logged_in = _signals.signal("logged-in")

#: Sent when a login attempt ends without a token.  Keyword arguments:
#: ``error`` (an :class:`~flask_astorage.errors.AStorageError`).
login_failed = _signals.signal("login-failed")

#: Sent after a refresh stored a new token.  Keyword arguments: ``user_id``
#: and ``token`` (the new token).
token_refreshed = _signals.signal("token-refreshed")

#: Sent when a user logged out, or their token was found dead and was
#: forgotten.  Keyword arguments: ``user_id`` (str or None) and ``reason``
#: (``"logout"`` or ``"token_rejected"``).
logged_out = _signals.signal("logged-out")
