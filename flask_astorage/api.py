"""``astorage.api``: the Alpha Storage API, as the current user.

One :class:`requests.Session` per application keeps HTTP connections open
across calls and requests.  The Bearer token is attached to each call, not
to the session, since the session is shared by every user; for the same
reason the session keeps no cookies.
"""

from __future__ import annotations

import logging
from http.cookiejar import DefaultCookiePolicy
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import unquote
from urllib.parse import urljoin
from urllib.parse import urlsplit

import requests

from .errors import LoginRequired
from .errors import ProviderTimeout
from .errors import ProviderUnavailable
from .provider import DEFAULT_RETRY_AFTER

if TYPE_CHECKING:
    from collections.abc import Callable

    from .refresh import TokenKeeper
    from .tokens import Token

__all__ = ["ApiClient"]

log = logging.getLogger(__name__)

#: Methods that may be sent again after a refresh (:rfc:`9110#section-9.2.2`).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

#: Failures of the API's answer itself: a redirect loop, a broken body.
_BAD_ANSWERS = (
    requests.TooManyRedirects,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class ApiClient:
    """Call the Alpha Storage API with the current user's token.

    Paths are relative to ``ASTORAGE_API_BASE_URL``; an absolute URL is
    accepted only below it, so the token is never sent to another host.
    A token about to expire is refreshed first.  An idempotent call that
    the API answers 401 gets one refresh and one retry, unless its body is
    a stream (a file, a generator) that the first try used up; a second
    401 is returned to the caller.

    :param keeper: Hands out the current login's token.
    :param login_id: Returns the current login's id, or ``None``.
    """

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float,
        keeper: TokenKeeper,
        login_id: Callable[[], str | None],
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self._keeper = keeper
        self._login_id = login_id
        self.session = _ApiSession(self.base_url)
        self.session.cookies.set_policy(_NoCookies())

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send ``method`` to ``path`` as the current user.

        Keyword arguments are passed to :meth:`requests.Session.request`;
        ``timeout`` defaults to ``ASTORAGE_TIMEOUT``.

        :raises LoginRequired: The current user has no usable token.
        :raises ProviderUnavailable: The API could not be reached.
        """
        method = method.upper()
        url = self._url(path)
        login_id = self._login_id()
        if login_id is None:
            raise LoginRequired("Please sign in with Alpha Storage.")
        token = self._keeper.usable_token(login_id)

        response = self._send(method, url, token, kwargs)
        refused_by_api = response.status_code == 401 and response.url.startswith(
            self.base_url
        )
        if refused_by_api and _can_send_again(method, kwargs):
            log.debug("The API refused a token we believed valid; refreshing.")
            response.close()
            token = self._keeper.refresh(login_id, token, forced=True)
            response = self._send(method, url, token, kwargs)
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """Send a GET request; see :meth:`request`."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """Send a POST request; see :meth:`request`."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        """Send a PUT request; see :meth:`request`."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        """Send a PATCH request; see :meth:`request`."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        """Send a DELETE request; see :meth:`request`."""
        return self.request("DELETE", path, **kwargs)

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def _url(self, path: str) -> str:
        relative = path
        if "://" in path and path.startswith(self.base_url):
            # Resolve "../" in an absolute URL too: urllib3 would, after the
            # check, and send the token outside the base path.
            relative = path[len(self.base_url) :]
        if "://" not in relative:
            relative = relative.lstrip("/")
        url = urljoin(self.base_url, relative)
        # A percent-encoded dot segment ("%2e%2e/") passes urljoin, and a
        # server that decodes it first would resolve it above the base path.
        segments = unquote(urlsplit(url).path).split("/")
        if not url.startswith(self.base_url) or ".." in segments:
            raise ValueError(
                f"{path!r} is not below 'ASTORAGE_API_BASE_URL' ({self.base_url!r});"
                " the user's token is only sent there."
            )
        return url

    def _send(
        self, method: str, url: str, token: Token, kwargs: dict[str, Any]
    ) -> requests.Response:
        options = dict(kwargs)
        headers = dict(options.pop("headers", None) or {})
        headers["Authorization"] = f"Bearer {token.access_token}"
        options.setdefault("timeout", self.timeout)
        try:
            return self.session.request(method, url, headers=headers, **options)
        except (requests.Timeout, requests.ConnectionError) as err:
            log.warning("The Alpha Storage API did not answer: %s.", type(err).__name__)
            raise ProviderTimeout(
                "Alpha Storage did not answer in time. Please try again shortly.",
                status_code=503,
                retry_after=DEFAULT_RETRY_AFTER,
            ) from err
        except _BAD_ANSWERS as err:
            # The API is in trouble, which the caller handles like any other
            # provider error; a bad header or URL of the caller's stays raw.
            log.warning("The Alpha Storage API call failed: %s.", type(err).__name__)
            raise ProviderUnavailable(
                "Alpha Storage gave an answer we could not read. Please try again.",
                error="invalid_api_response",
            ) from err


def _can_send_again(method: str, kwargs: dict[str, Any]) -> bool:
    """Tell whether a call refused with 401 may be sent again after a refresh.

    Only an idempotent method may (:rfc:`9110#section-9.2.2`), and only
    with a body that can be read twice: a file or a generator was used up
    by the first try, and a second try would upload nothing.
    """
    if method not in IDEMPOTENT_METHODS:
        return False
    return _readable_twice(kwargs.get("data")) and _readable_twice(kwargs.get("files"))


def _readable_twice(body: Any) -> bool:
    if body is None or isinstance(body, (str, bytes, bytearray, int, float)):
        return True
    if isinstance(body, dict):
        return all(_readable_twice(value) for value in body.values())
    if isinstance(body, (list, tuple)):
        return all(_readable_twice(value) for value in body)
    return False


class _ApiSession(requests.Session):
    """A session that keeps the Bearer token below the API's base URL.

    requests drops the ``Authorization`` header when a redirect leaves the
    host; this also drops it when a redirect leaves the base URL's path.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        super().rebuild_auth(prepared_request, response)
        if not (prepared_request.url or "").startswith(self.base_url):
            prepared_request.headers.pop("Authorization", None)


class _NoCookies(DefaultCookiePolicy):
    """Accept no cookie: the session is shared by all users of the app."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False

    def return_ok(self, cookie: Any, request: Any) -> bool:
        return False
