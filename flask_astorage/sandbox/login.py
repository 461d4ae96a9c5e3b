"""Sign in on the sandbox's authorize page without a browser.

:func:`approve` and :func:`deny` do what a user's browser would: fetch the
authorize URL, fill in the sign-in form, press a button, and stop at the
redirect back to the client. They return that redirect's URL, the one the
client's callback view would receive::

    callback_url = approve(authorize_url, username="alice")
    client.get(callback_url)  # drive the client's callback view
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

#: The ``id`` of the sign-in form on the authorize page.
CONSENT_FORM_ID = "consent-form"

#: Seconds to wait for each of the two HTTP requests.
DEFAULT_TIMEOUT = 10.0


class SandboxLoginError(RuntimeError):
    """The authorize page did not lead back to the client."""


def approve(
    authorize_url: str, username: str = "alice", *, timeout: float = DEFAULT_TIMEOUT
) -> str:
    """Sign in as ``username``, approve, and return the callback URL.

    The callback URL carries ``code`` and ``state``. If the authorize URL
    itself redirects (an error the sandbox sends back to the client), that
    redirect is returned instead.

    :raises SandboxLoginError: if the sandbox answers with its error page.
    """
    return _submit_consent(
        authorize_url, {"username": username, "decision": "approve"}, timeout
    )


def deny(authorize_url: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Press Deny and return the callback URL, carrying ``access_denied``.

    :raises SandboxLoginError: if the sandbox answers with its error page.
    """
    return _submit_consent(authorize_url, {"decision": "deny"}, timeout)


def _submit_consent(authorize_url: str, choice: dict[str, str], timeout: float) -> str:
    page = requests.get(authorize_url, allow_redirects=False, timeout=timeout)
    if page.is_redirect:
        return page.headers["Location"]
    if page.status_code != 200:
        raise SandboxLoginError(
            f"The sandbox showed its error page (HTTP {page.status_code}) instead"
            " of the sign-in form; check the client id and the redirect URI."
        )

    form = _ConsentFormParser.parse(page.text)
    answer = requests.post(
        urljoin(page.url, form.action),
        data=[*form.hidden_fields, *choice.items()],
        allow_redirects=False,
        timeout=timeout,
    )
    if not answer.is_redirect:
        raise SandboxLoginError(
            f"The sandbox did not redirect after the sign-in form (HTTP"
            f" {answer.status_code})."
        )
    return answer.headers["Location"]


class _ConsentFormParser(HTMLParser):
    """Finds the sign-in form's action and hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.hidden_fields: list[tuple[str, str]] = []
        self._in_form = False
        self._found_form = False

    @classmethod
    def parse(cls, page: str) -> _ConsentFormParser:
        parser = cls()
        parser.feed(page)
        parser.close()
        if not parser._found_form:
            raise SandboxLoginError(
                f"The authorize page has no form with id {CONSENT_FORM_ID!r}."
            )
        return parser

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and attributes.get("id") == CONSENT_FORM_ID:
            self._in_form = self._found_form = True
            self.action = attributes.get("action", "")
        elif tag == "input" and self._in_form and attributes.get("type") == "hidden":
            self.hidden_fields.append(
                (attributes.get("name", ""), attributes.get("value", ""))
            )

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
