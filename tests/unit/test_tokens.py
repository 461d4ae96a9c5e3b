"""Tests of :class:`flask_astorage.tokens.Token` and :func:`read_claims`."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.errors import ExpiredTokenError
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from flask_astorage.errors import ProviderUnavailable
from flask_astorage.tokens import Token
from flask_astorage.tokens import read_claims

#: The ``exp`` claim of the page's example access token.
PAGE_EXP = 1684611398.47893
#: A fixed "now" for the tests that compute an expiry.
NOW = 1683315400.25
OPAQUE_ACCESS_TOKEN = "not-a-jwt-but-an-opaque-access-token"


def _sign(key: RSAKey, claims: dict[str, Any]) -> str:
    return jwt.encode({"alg": "RS256", "typ": "JWT"}, claims, key)


def test_the_page_example_answer_becomes_a_token(
    page_answer: dict[str, Any],
) -> None:
    token = Token.from_response(page_answer, scope="files", now=NOW)

    assert token.access_token == page_answer["access_token"]
    assert token.refresh_token == page_answer["refresh_token"]
    assert token.token_type == "Bearer"
    assert token.scope == "files"
    assert token.expires_at == NOW + 1296000
    assert token.user_id == "1"
    assert token.scopes == []
    assert token.claims["aud"] == "99188b51-9abe-4028-8893-4905d7df9438"
    assert token.claims["exp"] == PAGE_EXP


def test_expires_at_uses_the_clock_without_now(page_answer: dict[str, Any]) -> None:
    before = time.time()

    token = Token.from_response(page_answer)

    assert token.expires_at is not None
    assert before + 1296000 <= token.expires_at <= time.time() + 1296000


@pytest.mark.parametrize(
    ("expires_in", "expected"),
    [
        (1296000, NOW + 1296000),
        ("1296000", NOW + 1296000),
        (" 3600 ", NOW + 3600),
        (1295999.5, NOW + 1295999.5),
        ("1.5", NOW + 1.5),
    ],
)
def test_expires_in_as_number_or_numeric_string(
    page_answer: dict[str, Any], expires_in: object, expected: float
) -> None:
    page_answer["expires_in"] = expires_in

    token = Token.from_response(page_answer, now=NOW)

    assert token.expires_at == expected


BAD_EXPIRES_IN = [
    pytest.param("missing", id="missing"),
    pytest.param(None, id="null"),
    pytest.param(0, id="zero"),
    pytest.param("0", id="zero-string"),
    pytest.param(-30, id="negative"),
    pytest.param("-1296000", id="negative-string"),
    pytest.param("soon", id="garbage"),
    pytest.param("", id="empty"),
    pytest.param(True, id="bool"),
    pytest.param("nan", id="nan"),
    pytest.param("inf", id="infinity"),
    pytest.param([3600], id="list"),
]


def _set_expires_in(answer: dict[str, Any], expires_in: object) -> None:
    if expires_in == "missing":
        del answer["expires_in"]
    else:
        answer["expires_in"] = expires_in


@pytest.mark.parametrize("expires_in", BAD_EXPIRES_IN)
def test_bad_expires_in_falls_back_to_the_jwt_exp(
    page_answer: dict[str, Any], expires_in: object
) -> None:
    _set_expires_in(page_answer, expires_in)

    token = Token.from_response(page_answer, now=NOW)

    assert token.expires_at == PAGE_EXP
    assert isinstance(token.expires_at, float)


@pytest.mark.parametrize("expires_in", BAD_EXPIRES_IN)
def test_bad_expires_in_with_an_opaque_token_is_unknown(
    page_answer: dict[str, Any], expires_in: object
) -> None:
    page_answer["access_token"] = OPAQUE_ACCESS_TOKEN
    _set_expires_in(page_answer, expires_in)

    token = Token.from_response(page_answer, now=NOW)

    assert token.expires_at is None
    assert token.expires_within(10**9, now=NOW) is False
    assert token.user_id is None
    assert token.claims == {}


def test_an_opaque_token_with_expires_in_still_expires(
    page_answer: dict[str, Any],
) -> None:
    page_answer["access_token"] = OPAQUE_ACCESS_TOKEN

    token = Token.from_response(page_answer, now=NOW)

    assert token.expires_at == NOW + 1296000


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(59.0, False), (60.0, True), (61.0, True), (0.0, False)],
)
def test_expires_within(
    page_answer: dict[str, Any], seconds: float, expected: bool
) -> None:
    page_answer["expires_in"] = 60
    token = Token.from_response(page_answer, now=NOW)

    assert token.expires_within(seconds, now=NOW) is expected


def test_an_expired_token_expires_within_any_leeway(
    page_answer: dict[str, Any],
) -> None:
    token = Token.from_response(page_answer, now=NOW)

    assert token.expires_within(0, now=NOW + 1296001) is True


@pytest.mark.parametrize("refresh_token", ["missing", None, ""])
def test_an_answer_without_refresh_token_keeps_the_previous_one(
    page_answer: dict[str, Any], refresh_token: str | None
) -> None:
    previous = Token(
        access_token="old-access", refresh_token="old-refresh", scope="files"
    )
    if refresh_token == "missing":
        del page_answer["refresh_token"]
    else:
        page_answer["refresh_token"] = refresh_token

    token = Token.from_response(page_answer, previous=previous, now=NOW)

    assert token.refresh_token == "old-refresh"
    assert token.access_token == page_answer["access_token"]
    assert token.scope == "files"


def test_a_rotated_refresh_token_replaces_the_previous_one(
    page_answer: dict[str, Any],
) -> None:
    previous = Token(access_token="old-access", refresh_token="old-refresh")

    token = Token.from_response(page_answer, previous=previous, now=NOW)

    assert token.refresh_token == page_answer["refresh_token"]


def test_a_first_answer_without_refresh_token_has_none(
    page_answer: dict[str, Any],
) -> None:
    del page_answer["refresh_token"]

    token = Token.from_response(page_answer, now=NOW)

    assert token.refresh_token is None


@pytest.mark.parametrize("access_token", ["missing", None, "", 42, ["token"]])
def test_an_answer_without_access_token_is_refused(
    page_answer: dict[str, Any], access_token: object
) -> None:
    if access_token == "missing":
        del page_answer["access_token"]
    else:
        page_answer["access_token"] = access_token

    with pytest.raises(ProviderUnavailable, match="without an access token") as caught:
        Token.from_response(page_answer, now=NOW)

    assert caught.value.error == "invalid_token_response"
    assert page_answer["refresh_token"] not in str(caught.value)


@pytest.mark.parametrize("token_type", ["Bearer", "bearer", "BEARER", "BeArEr", None])
def test_token_type_is_always_stored_as_bearer(
    page_answer: dict[str, Any], token_type: str | None
) -> None:
    page_answer["token_type"] = token_type

    token = Token.from_response(page_answer, now=NOW)

    assert token.token_type == "Bearer"
    assert token.to_dict()["token_type"] == "Bearer"


def test_scopes_fall_back_to_the_requested_scope_without_the_claim() -> None:
    token = Token(access_token=OPAQUE_ACCESS_TOKEN, refresh_token=None, scope="a b")

    assert token.scopes == ["a", "b"]


def test_to_dict_and_from_dict_round_trip(page_answer: dict[str, Any]) -> None:
    token = Token.from_response(page_answer, scope="files profile", now=NOW)

    stored = token.to_dict()
    restored = Token.from_dict(stored)

    assert restored == token
    assert stored == {
        "access_token": page_answer["access_token"],
        "refresh_token": page_answer["refresh_token"],
        "token_type": "Bearer",
        "scope": "files profile",
        "expires_at": NOW + 1296000,
        "lifetime": 1296000,
    }


@pytest.mark.parametrize(
    ("lifetime", "seconds_left", "due"),
    [
        (1296000, 61, False),  # a 15-day token: the full 60 s leeway
        (1296000, 59, True),
        (30, 29, False),  # granted for less than the leeway: half its life
        (30, 14, True),
        (None, 59, True),  # lifetime unknown: the full leeway
    ],
)
def test_due_for_refresh_caps_the_leeway_at_half_the_lifetime(
    lifetime: float | None, seconds_left: float, due: bool
) -> None:
    token = Token(
        access_token=OPAQUE_ACCESS_TOKEN,
        refresh_token="refresh",
        expires_at=NOW + seconds_left,
        lifetime=lifetime,
    )

    assert token.due_for_refresh(60, now=NOW) is due


def test_the_lifetime_comes_from_the_claims_without_expires_in(
    page_answer: dict[str, Any],
) -> None:
    answer = {key: value for key, value in page_answer.items() if key != "expires_in"}

    token = Token.from_response(answer, now=NOW)

    # The page's token: iat 1683315398.521027, exp 1684611398.47893.
    assert token.lifetime == pytest.approx(1684611398.47893 - 1683315398.521027)


@pytest.mark.parametrize(
    ("stored_expiry", "expected"),
    [(None, None), ("1700000000.5", 1700000000.5), ("never", None), (True, None)],
)
def test_from_dict_reads_the_expiry_defensively(
    stored_expiry: object, expected: float | None
) -> None:
    token = Token.from_dict(
        {"access_token": OPAQUE_ACCESS_TOKEN, "expires_at": stored_expiry}
    )

    assert token.expires_at == expected
    assert token.refresh_token is None
    assert token.scope == ""


def test_replace_changes_only_the_given_fields(page_answer: dict[str, Any]) -> None:
    token = Token.from_response(page_answer, scope="files", now=NOW)

    changed = token.replace(expires_at=NOW)

    assert changed.expires_at == NOW
    assert changed.access_token == token.access_token
    assert changed.refresh_token == token.refresh_token
    assert changed.scope == "files"
    assert token.expires_at == NOW + 1296000


def test_repr_never_shows_a_token(page_answer: dict[str, Any]) -> None:
    token = Token.from_response(page_answer, scope="files", now=NOW)

    for text in (repr(token), str(token), f"{token!r}"):
        assert page_answer["access_token"] not in text
        assert page_answer["refresh_token"] not in text
        # Even a fragment would be a leak: check the tokens' distinctive parts.
        assert page_answer["access_token"][-20:] not in text
        assert page_answer["refresh_token"][:20] not in text
    assert "files" in repr(token)


def test_read_claims_without_a_key_reads_the_page_token(
    page_answer: dict[str, Any],
) -> None:
    claims = read_claims(page_answer["access_token"])

    assert claims["sub"] == "1"
    assert claims["scopes"] == []
    assert claims["iat"] == 1683315398.521027
    assert claims["exp"] == PAGE_EXP


@pytest.mark.parametrize(
    "access_token",
    [OPAQUE_ACCESS_TOKEN, "", "a.b.c", "é.x.y", "eyJhbGciOiJub25lIn0.WzFd.x"],
)
def test_read_claims_refuses_what_is_not_a_jwt_object(access_token: str) -> None:
    with pytest.raises(JoseError, match=r"."):
        read_claims(access_token)


def test_read_claims_accepts_float_times_a_moment_in_the_future(
    signing_key: RSAKey, public_key_pem: str
) -> None:
    # The provider writes iat with fractional seconds, so a token fresh from
    # the token endpoint can be "issued" a fraction of a second from now.
    issued = time.time() + 0.5
    access_token = _sign(
        signing_key,
        {
            "aud": "client-id",
            "sub": "1",
            "scopes": [],
            "iat": issued,
            "nbf": issued,
            "exp": issued + 1296000.25,
        },
    )
    zero_leeway = jwt.JWTClaimsRegistry(leeway=0)
    with pytest.raises(JoseError, match="issued in the future"):
        zero_leeway.validate(jwt.decode(access_token, signing_key).claims)

    claims = read_claims(access_token, public_key_pem)

    assert claims["sub"] == "1"
    assert claims["iat"] == issued
    assert isinstance(claims["exp"], float)


def test_read_claims_refuses_a_token_signed_by_another_key(
    public_key_pem: str,
) -> None:
    other_key = RSAKey.generate_key(2048)
    now = time.time()
    access_token = _sign(other_key, {"sub": "1", "iat": now, "exp": now + 3600.5})

    with pytest.raises(BadSignatureError, match="bad_signature"):
        read_claims(access_token, public_key_pem)


def test_read_claims_refuses_an_expired_token(
    signing_key: RSAKey, public_key_pem: str
) -> None:
    issued = time.time() - 2 * 86400.5
    access_token = _sign(
        signing_key,
        {"sub": "1", "iat": issued, "nbf": issued, "exp": issued + 86400.25},
    )

    with pytest.raises(ExpiredTokenError, match="expired"):
        read_claims(access_token, public_key_pem)


def test_read_claims_refuses_an_unsigned_token(public_key_pem: str) -> None:
    access_token = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxIn0."

    with pytest.raises(JoseError, match=r"."):
        read_claims(access_token, public_key_pem)
