"""Tests of :func:`flask_astorage.redirects.safe_next_url`."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from flask_astorage.redirects import MAX_NEXT_LENGTH
from flask_astorage.redirects import safe_next_url

OWN_ORIGIN = "http://app.example"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("//evil.example", id="network-path"),
        pytest.param("///evil.example", id="three-slashes"),
        pytest.param("https://evil.example/", id="other-host"),
        pytest.param("http://evil.example/files", id="other-host-same-scheme"),
        pytest.param("http:evil.example", id="scheme-without-slashes"),
        pytest.param("\\\\evil.example", id="two-backslashes"),
        pytest.param("/\\evil.example", id="slash-backslash"),
        pytest.param("/%5Cevil.example", id="encoded-backslash"),
        pytest.param("/%5cevil.example", id="encoded-backslash-lowercase"),
        pytest.param("%2F%2Fevil.example", id="encoded-network-path"),
        pytest.param("/%2F%2Fevil.example", id="slash-encoded-slashes"),
        pytest.param("/%2Fevil.example", id="slash-encoded-slash"),
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("JavaScript:alert(1)", id="javascript-mixed-case"),
        pytest.param("data:text/html,<script>alert(1)</script>", id="data"),
        pytest.param("/pa\tth", id="tab"),
        pytest.param("/pa\nth", id="newline"),
        pytest.param("/pa\rth", id="carriage-return"),
        pytest.param("/\t/evil.example", id="tab-between-slashes"),
        pytest.param("/%09/evil.example", id="encoded-tab-between-slashes"),
        pytest.param("/x%0D%0ASet-Cookie:%20a=b", id="encoded-crlf"),
        pytest.param("/pa\x00th", id="nul"),
        pytest.param("/pa\x7fth", id="delete"),
        pytest.param("/pa\x85th", id="c1-next-line"),
        pytest.param(" //evil.example", id="leading-space-network-path"),
        pytest.param("https://app.example:8443/x", id="own-host-other-port"),
        pytest.param("http://app.example:8080/x", id="own-host-own-scheme-other-port"),
        pytest.param("https://app.example/x", id="own-host-other-scheme"),
        pytest.param("http://app.example.evil.example/x", id="own-host-as-prefix"),
        pytest.param("http://app.example@evil.example/x", id="own-host-as-userinfo"),
        pytest.param("http://evil.example#@app.example/x", id="own-host-in-fragment"),
        pytest.param("http://app.example//evil.example", id="own-origin-network-path"),
        pytest.param("http://app.example/\\evil.example", id="own-origin-backslash"),
        pytest.param("http://app.example/%5Cevil", id="own-origin-encoded-backslash"),
        pytest.param("files", id="relative-path"),
        pytest.param("", id="empty"),
        pytest.param("/" + "a" * MAX_NEXT_LENGTH, id="over-long"),
    ],
)
def test_unsafe_values_are_refused(value: str) -> None:
    assert safe_next_url(value, own_origin=OWN_ORIGIN) is None


@pytest.mark.parametrize(
    "value",
    [None, 3, 3.5, b"/files", ["/files"], {"next": "/files"}, object()],
)
def test_values_that_are_not_text_are_refused(value: object) -> None:
    assert safe_next_url(value, own_origin=OWN_ORIGIN) is None


@pytest.mark.parametrize(
    "value",
    [
        "/files?id=3#top",
        "/",
        "/a/b?x=1&y=2",
        "/files/My%20Report.pdf",
        "/search?q=a%2Fb",
        "/files/\u0444\u0430\u0439\u043b",
        "/" + "a" * (MAX_NEXT_LENGTH - 1),
    ],
)
def test_paths_on_this_site_are_kept(value: str) -> None:
    assert safe_next_url(value, own_origin=OWN_ORIGIN) == value


@pytest.mark.parametrize(
    ("value", "own_origin", "expected"),
    [
        ("http://app.example/files?id=3", OWN_ORIGIN, "/files?id=3"),
        ("http://app.example/files?id=3#top", OWN_ORIGIN, "/files?id=3#top"),
        ("http://app.example", OWN_ORIGIN, "/"),
        ("http://app.example?tab=2", OWN_ORIGIN, "/?tab=2"),
        ("https://app.example:8443/x", "https://app.example:8443", "/x"),
    ],
)
def test_absolute_urls_of_this_origin_become_paths(
    value: str, own_origin: str, expected: str
) -> None:
    assert safe_next_url(value, own_origin=own_origin) == expected


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


@settings(database=None, max_examples=500)
@given(
    st.one_of(
        st.text(),
        st.text().map(lambda text: "/" + text),
        st.text().map(lambda text: OWN_ORIGIN + "/" + text),
        st.text(alphabet="/\\%25CcFf:.evil\t\n\r @?#").map(lambda text: "/" + text),
    )
)
def test_any_result_is_a_plain_path(value: str) -> None:
    result = safe_next_url(value, own_origin=OWN_ORIGIN)

    assert result is None or (
        result.startswith("/")
        and not result.startswith("//")
        and "\\" not in result
        and not any(_is_control(char) for char in result)
    )
