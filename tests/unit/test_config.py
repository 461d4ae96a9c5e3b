"""Tests of :func:`flask_astorage.config.load_settings`."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from flask_astorage.config import DEFAULTS
from flask_astorage.config import SENT_VALUE_LIMIT
from flask_astorage.config import Settings
from flask_astorage.config import load_settings
from flask_astorage.errors import ConfigurationError

CLIENT_ID = "99188b51-9abe-4028-8893-4905d7df9438"
CLIENT_SECRET = "MfmUvvZlS20SDSV2VF8w32zUFrcuV7CI9A2SHhdj"


def _config(**overrides: Any) -> dict[str, Any]:
    """A minimal valid configuration, with some keys changed."""
    config: dict[str, Any] = {
        "ASTORAGE_CLIENT_ID": CLIENT_ID,
        "ASTORAGE_CLIENT_SECRET": CLIENT_SECRET,
    }
    config.update(overrides)
    return config


def _refused(config: dict[str, Any], key: str) -> ConfigurationError:
    """Load ``config``, expecting an error that names ``key`` in quotes."""
    with pytest.raises(ConfigurationError, match=re.escape(repr(key))) as caught:
        load_settings(config)
    return caught.value


def test_defaults_are_filled_into_the_config() -> None:
    config = _config()

    load_settings(config)

    assert set(DEFAULTS) <= set(config)
    assert config["ASTORAGE_BASE_URL"] == "https://api.astorage.uz"
    assert config["ASTORAGE_URL_PREFIX"] == "/astorage"
    assert config["ASTORAGE_REFRESH_LEEWAY"] == 60
    assert config["ASTORAGE_USE_PKCE"] is True
    assert config["ASTORAGE_CLIENT_SECRET"] == CLIENT_SECRET


def test_values_already_set_are_not_overwritten() -> None:
    config = _config(ASTORAGE_TIMEOUT=3, ASTORAGE_SCOPE="files")

    settings = load_settings(config)

    assert config["ASTORAGE_TIMEOUT"] == 3
    assert config["ASTORAGE_SCOPE"] == "files"
    assert settings.timeout == 3.0
    assert settings.scope == "files"


def test_default_settings() -> None:
    settings = load_settings(_config())

    assert settings.client_id == CLIENT_ID
    assert settings.client_secret == CLIENT_SECRET
    assert settings.scope == ""
    assert settings.base_url == "https://api.astorage.uz"
    assert settings.authorize_url == "https://api.astorage.uz/oauth/authorize"
    assert settings.token_url == "https://api.astorage.uz/oauth/token"
    assert settings.api_base_url == "https://api.astorage.uz"
    assert settings.redirect_uri is None
    assert settings.url_prefix == "/astorage"
    assert settings.login_redirect == "/"
    assert settings.refresh_leeway == 60.0
    assert settings.refresh_grace == 60.0
    assert settings.use_pkce is True
    assert settings.timeout == 10.0
    assert settings.token_store == "sqlite"
    assert settings.public_key is None


@pytest.mark.parametrize(
    ("base_url", "expected_base"),
    [
        ("http://127.0.0.1:5001", "http://127.0.0.1:5001"),
        ("http://127.0.0.1:5001/", "http://127.0.0.1:5001"),
        ("https://staging.example/sandbox//", "https://staging.example/sandbox"),
    ],
)
def test_urls_are_derived_from_the_base_url(base_url: str, expected_base: str) -> None:
    settings = load_settings(_config(ASTORAGE_BASE_URL=base_url))

    assert settings.base_url == expected_base
    assert settings.authorize_url == f"{expected_base}/oauth/authorize"
    assert settings.token_url == f"{expected_base}/oauth/token"
    assert settings.api_base_url == expected_base


def test_explicit_urls_win_over_derived_ones() -> None:
    settings = load_settings(
        _config(
            ASTORAGE_BASE_URL="https://auth.example",
            ASTORAGE_AUTHORIZE_URL="https://login.example/authorize",
            ASTORAGE_TOKEN_URL="https://tokens.example/token",
            ASTORAGE_API_BASE_URL="https://files.example/api/",
            ASTORAGE_REDIRECT_URI="https://app.example/astorage/callback",
        )
    )

    assert settings.authorize_url == "https://login.example/authorize"
    assert settings.token_url == "https://tokens.example/token"
    assert settings.api_base_url == "https://files.example/api"
    assert settings.redirect_uri == "https://app.example/astorage/callback"


@pytest.mark.parametrize(
    "key",
    [
        "ASTORAGE_BASE_URL",
        "ASTORAGE_AUTHORIZE_URL",
        "ASTORAGE_TOKEN_URL",
        "ASTORAGE_API_BASE_URL",
        "ASTORAGE_REDIRECT_URI",
    ],
)
@pytest.mark.parametrize(
    "value", ["api.astorage.uz", "/oauth/token", "ftp://api.astorage.uz", 443]
)
def test_urls_must_be_absolute_http(key: str, value: object) -> None:
    _refused(_config(**{key: value}), key)


@pytest.mark.parametrize("base_url", ["https://", "http:///oauth"])
def test_a_base_url_needs_a_host(base_url: str) -> None:
    _refused(_config(ASTORAGE_BASE_URL=base_url), "ASTORAGE_BASE_URL")


@pytest.mark.parametrize("key", ["ASTORAGE_CLIENT_ID", "ASTORAGE_CLIENT_SECRET"])
@pytest.mark.parametrize("value", ["missing", None, "", "   "])
def test_credentials_are_required(key: str, value: str | None) -> None:
    config = _config()
    if value == "missing":
        del config[key]
    else:
        config[key] = value

    error = _refused(config, key)

    assert "is not set" in str(error)


@pytest.mark.parametrize("key", ["ASTORAGE_CLIENT_ID", "ASTORAGE_CLIENT_SECRET"])
@pytest.mark.parametrize(
    "value",
    [
        " padded-value",
        "padded-value\n",
        "x" * (SENT_VALUE_LIMIT + 1),
    ],
)
def test_bad_credentials_are_refused_without_showing_them(key: str, value: str) -> None:
    error = _refused(_config(**{key: value}), key)

    assert value.strip() not in str(error)
    assert value.strip() not in repr(error.args)


@pytest.mark.parametrize("key", ["ASTORAGE_CLIENT_ID", "ASTORAGE_CLIENT_SECRET"])
def test_credentials_of_exactly_the_limit_are_accepted(key: str) -> None:
    value = "x" * SENT_VALUE_LIMIT

    settings = load_settings(_config(**{key: value}))

    assert value in (settings.client_id, settings.client_secret)


@pytest.mark.parametrize(
    ("value", "visible"),
    [
        (b"MfmUvvZlS20SDSV2", "MfmUvvZlS20SDSV2"),
        (["MfmUvvZlS20SDSV2"], "MfmUvvZlS20SDSV2"),
    ],
)
def test_a_secret_that_is_not_text_is_refused_without_showing_it(
    value: object, visible: str
) -> None:
    error = _refused(_config(ASTORAGE_CLIENT_SECRET=value), "ASTORAGE_CLIENT_SECRET")

    assert "must be a string" in str(error)
    assert visible not in str(error)


def test_errors_about_other_keys_do_not_show_the_secret() -> None:
    error = _refused(_config(ASTORAGE_TIMEOUT="abc"), "ASTORAGE_TIMEOUT")

    assert CLIENT_SECRET not in str(error)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ASTORAGE_SCOPE", "s" * (SENT_VALUE_LIMIT + 1)),
        ("ASTORAGE_SCOPE", ["files"] * 40),
        ("ASTORAGE_REDIRECT_URI", "https://app.example/" + "c" * SENT_VALUE_LIMIT),
    ],
)
def test_sent_values_over_the_limit_are_refused(key: str, value: object) -> None:
    error = _refused(_config(**{key: value}), key)

    assert str(SENT_VALUE_LIMIT) in str(error)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ASTORAGE_REFRESH_LEEWAY", "abc"),
        ("ASTORAGE_REFRESH_LEEWAY", ""),
        ("ASTORAGE_REFRESH_LEEWAY", -1),
        ("ASTORAGE_REFRESH_LEEWAY", math.nan),
        ("ASTORAGE_REFRESH_LEEWAY", "nan"),
        ("ASTORAGE_REFRESH_LEEWAY", math.inf),
        ("ASTORAGE_REFRESH_LEEWAY", True),
        ("ASTORAGE_REFRESH_LEEWAY", None),
        ("ASTORAGE_REFRESH_GRACE", "-5"),
        ("ASTORAGE_REFRESH_GRACE", [60]),
        ("ASTORAGE_TIMEOUT", -1),
        ("ASTORAGE_TIMEOUT", 0),
        ("ASTORAGE_TIMEOUT", "0"),
        ("ASTORAGE_TIMEOUT", False),
        ("ASTORAGE_TIMEOUT", "ten"),
    ],
)
def test_bad_numbers_are_refused(key: str, value: object) -> None:
    error = _refused(_config(**{key: value}), key)

    assert "number of seconds" in str(error)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("ASTORAGE_REFRESH_LEEWAY", "30", 30.0),
        ("ASTORAGE_REFRESH_LEEWAY", " 45.5 ", 45.5),
        ("ASTORAGE_REFRESH_LEEWAY", 0, 0.0),
        ("ASTORAGE_REFRESH_GRACE", "0", 0.0),
        ("ASTORAGE_REFRESH_GRACE", 12.5, 12.5),
        ("ASTORAGE_TIMEOUT", "2.5", 2.5),
        ("ASTORAGE_TIMEOUT", 3, 3.0),
    ],
)
def test_numbers_and_numeric_strings_are_accepted(
    key: str, value: object, expected: float
) -> None:
    settings = load_settings(_config(**{key: value}))

    attribute = key.removeprefix("ASTORAGE_").lower()
    assert getattr(settings, attribute) == expected
    assert isinstance(getattr(settings, attribute), float)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("True", True),
        (" yes ", True),
        ("on", True),
        ("1", True),
        ("false", False),
        ("FALSE", False),
        ("no", False),
        ("off", False),
        ("0", False),
    ],
)
def test_use_pkce_accepts_booleans_and_their_spellings(
    value: object, expected: bool
) -> None:
    settings = load_settings(_config(ASTORAGE_USE_PKCE=value))

    assert settings.use_pkce is expected


@pytest.mark.parametrize("value", ["maybe", "", 2, -1, None])
def test_use_pkce_refuses_anything_else(value: object) -> None:
    error = _refused(_config(ASTORAGE_USE_PKCE=value), "ASTORAGE_USE_PKCE")

    assert "true or false" in str(error)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        ("files", "files"),
        ("  files   profile ", "files profile"),
        ("files\tprofile\nadmin", "files profile admin"),
        (["files", "profile"], "files profile"),
        (("files", " profile "), "files profile"),
        ([], ""),
    ],
)
def test_scope_as_string_or_list_is_normalised(value: object, expected: str) -> None:
    settings = load_settings(_config(ASTORAGE_SCOPE=value))

    assert settings.scope == expected


@pytest.mark.parametrize("value", [None, 42, {"files": True}])
def test_scope_of_another_type_is_refused(value: object) -> None:
    _refused(_config(ASTORAGE_SCOPE=value), "ASTORAGE_SCOPE")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("/astorage", "/astorage"), ("/auth/", "/auth"), ("/", "")],
)
def test_url_prefix_is_a_path(value: str, expected: str) -> None:
    settings = load_settings(_config(ASTORAGE_URL_PREFIX=value))

    assert settings.url_prefix == expected


@pytest.mark.parametrize("value", ["astorage", "", "https://app.example/astorage"])
def test_url_prefix_must_start_with_a_slash(value: str) -> None:
    error = _refused(_config(ASTORAGE_URL_PREFIX=value), "ASTORAGE_URL_PREFIX")

    assert "must start with '/'" in str(error)


def test_url_prefix_must_be_text() -> None:
    _refused(_config(ASTORAGE_URL_PREFIX=None), "ASTORAGE_URL_PREFIX")


def test_an_empty_public_key_means_none() -> None:
    settings = load_settings(_config(ASTORAGE_PUBLIC_KEY=""))

    assert settings.public_key is None


def test_settings_are_immutable() -> None:
    settings = load_settings(_config())

    with pytest.raises(AttributeError, match="client_secret"):
        settings.client_secret = "changed"  # type: ignore[misc]


def test_repr_of_settings_hides_the_secret() -> None:
    settings = load_settings(_config())

    assert isinstance(settings, Settings)
    assert CLIENT_SECRET not in repr(settings)
    assert CLIENT_SECRET not in str(settings)
    assert CLIENT_ID in repr(settings)


@pytest.mark.parametrize(("value", "expected"), [(1, True), (0, False)])
def test_use_pkce_reads_the_integers_of_from_prefixed_env(
    value: int, expected: bool
) -> None:
    # Flask's from_prefixed_env() turns FLASK_ASTORAGE_USE_PKCE=0 into 0.
    assert load_settings(_config(ASTORAGE_USE_PKCE=value)).use_pkce is expected


def test_a_numeric_client_id_is_read_as_text() -> None:
    # Passport's older client ids are numbers; from_prefixed_env() reads
    # FLASK_ASTORAGE_CLIENT_ID=3 as the integer 3.
    assert load_settings(_config(ASTORAGE_CLIENT_ID=3)).client_id == "3"


@pytest.mark.parametrize(
    "value", ["javascript://x/%0aalert(1)", "ftp://example.com/", "data:,x"]
)
def test_login_redirect_refuses_other_schemes(value: str) -> None:
    error = _refused(_config(ASTORAGE_LOGIN_REDIRECT=value), "ASTORAGE_LOGIN_REDIRECT")

    assert "http(s)" in str(error)
