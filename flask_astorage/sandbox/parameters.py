"""Reading OAuth parameters the way the provider does, and writing them back.

Alpha Storage runs on Laravel, whose middleware trims whitespace at both
ends of every input and turns an empty string into ``null``. So ``scope=``
means "no scope" and a refresh with ``scope=`` keeps the granted scopes.
The provider's page posts the token request as JSON, and the OAuth 2.0
standard posts a form; Laravel reads both the same way.

:class:`SandboxOAuth2Request` hands Authlib the parameters already trimmed,
whatever the body format, so the grants never see the difference.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import quote
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from authlib.oauth2.rfc6749 import OAuth2Payload
from authlib.oauth2.rfc6749 import OAuth2Request
from werkzeug.datastructures import MultiDict

if TYPE_CHECKING:
    from collections.abc import Iterable

    from flask import Request

    from .recorder import Parameter


def received_parameters(request: Request) -> list[Parameter]:
    """Return the parameters of ``request`` exactly as sent, in order.

    A GET carries them in the query; a POST in its body, as a form or as a
    JSON object. Like the provider, the token endpoint ignores the query of
    a POST. A JSON body that is not an object carries no parameters.
    """
    if request.method == "GET":
        return list(request.args.items(multi=True))

    if request.is_json:
        body = request.get_json(silent=True)
        return list(body.items()) if isinstance(body, dict) else []

    return list(request.form.items(multi=True))


def normalize_parameters(params: Iterable[Parameter]) -> MultiDict[str, str]:
    """Trim every value and drop the empty ones, as Laravel does.

    JSON numbers become their text; ``null``, lists and objects are
    dropped, since no OAuth parameter takes them.
    """
    normalized: MultiDict[str, str] = MultiDict()
    for name, value in params:
        text = _as_text(value)
        if text:
            normalized.add(name, text)
    return normalized


def append_query(uri: str, params: Iterable[tuple[str, str]]) -> str:
    """Add ``params`` to the query of ``uri``, keeping what is there.

    Spaces become ``%20``, as in the provider's callback example
    (``state=Error%20Tets``); every standard parser reads that back as a
    space.
    """
    scheme, netloc, path, query, fragment = urlsplit(uri)
    extra = urlencode(list(params), quote_via=quote, safe="")
    query = f"{query}&{extra}" if query and extra else query or extra
    return urlunsplit((scheme, netloc, path, query, fragment))


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


class _NormalizedPayload(OAuth2Payload):
    def __init__(self, params: MultiDict[str, str]) -> None:
        self._params = params

    @property
    def data(self) -> MultiDict[str, str]:
        return self._params

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in self._params.items(multi=True):
            values[name].append(value)
        return values


class SandboxOAuth2Request(OAuth2Request):
    """An Authlib request built from trimmed, non-empty parameters.

    ``args`` holds the query, ``form`` the body (form or JSON) and
    ``payload`` both, so that the authorize endpoint reads the query on GET
    and the consent form on POST.
    """

    def __init__(
        self,
        request: Request,
        query: MultiDict[str, str],
        body: MultiDict[str, str],
    ) -> None:
        super().__init__(request.method, request.url, headers=request.headers)
        self._query_params = query
        self._body_params = body
        combined = MultiDict(list(query.items(multi=True)))
        combined.update(body)
        self.payload = _NormalizedPayload(combined)

    @classmethod
    def from_flask(cls, request: Request) -> SandboxOAuth2Request:
        """Build the Authlib view of the current Flask request."""
        query = normalize_parameters(request.args.items(multi=True))
        body: MultiDict[str, str] = MultiDict()
        if request.method == "POST":
            body = normalize_parameters(received_parameters(request))
        return cls(request, query, body)

    @property
    def args(self) -> MultiDict[str, str]:
        return self._query_params

    @property
    def form(self) -> MultiDict[str, str]:
        return self._body_params
