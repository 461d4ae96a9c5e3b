"""Where a user may be sent after logging in.

The ``next`` parameter comes from a URL anyone can craft, so following it
blindly makes the site an open redirect (:rfc:`6749#section-10.15`).  Only a
path on this site is followed.  Browsers are lenient in ways that turn
innocent-looking values into other hosts: ``//host`` and ``/\\host`` are
network-path references, tabs and newlines are stripped from URLs, and a
percent-encoded backslash may be decoded along the way, so each of those is
refused outright rather than cleaned.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote
from urllib.parse import urlsplit

__all__ = ["MAX_NEXT_LENGTH", "safe_next_url"]

#: A longer ``next`` is ignored: it would not fit in the session cookie.
MAX_NEXT_LENGTH = 512


def safe_next_url(value: object, *, own_origin: str) -> str | None:
    """Return ``value`` as a path on this site, or ``None`` if it is not one.

    :param value: The untrusted ``next`` value.
    :param own_origin: This site's ``scheme://host[:port]``; an absolute URL
        with exactly that origin is accepted and reduced to its path.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_NEXT_LENGTH:
        return None
    if any(_is_unsafe_character(char) for char in value + unquote(value)):
        return None

    if not value.startswith("/"):
        value = _path_of_own_url(value, own_origin)
        if value is None:
            return None

    for form in (value, unquote(value)):
        if form.startswith("//") or "\\" in form:
            return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def _path_of_own_url(value: str, own_origin: str) -> str | None:
    try:
        parts = urlsplit(value)
        origin = urlsplit(own_origin)
    except ValueError:
        # An unbalanced bracket in the host, such as "http://[evil".
        return None
    if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
        return None
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if parts.fragment:
        path = f"{path}#{parts.fragment}"
    return path


def _is_unsafe_character(char: str) -> bool:
    # Category Cc is C0, DEL and the C1 controls (such as U+0085, a line
    # break to some parsers); none belongs in a path.
    return char == "\\" or unicodedata.category(char) == "Cc"
