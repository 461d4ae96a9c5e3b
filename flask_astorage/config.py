"""The ``ASTORAGE_*`` configuration keys, their defaults and their checks.

:func:`load_settings` fills every key once with ``setdefault`` and turns the
application's config into an immutable :class:`Settings`, so that a mistake
is reported at ``init_app``, naming the key, rather than at the first login.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from .errors import ConfigurationError

__all__ = ["DEFAULTS", "Settings", "load_settings"]

#: The provider's page limits what a client *sends* to 200 characters.
SENT_VALUE_LIMIT = 200

#: Every key and its default.  ``None`` means "derived" (see :class:`Settings`).
DEFAULTS: dict[str, Any] = {
    "ASTORAGE_CLIENT_ID": None,
    "ASTORAGE_CLIENT_SECRET": None,
    "ASTORAGE_SCOPE": "",
    "ASTORAGE_BASE_URL": "https://api.astorage.uz",
    "ASTORAGE_AUTHORIZE_URL": None,
    "ASTORAGE_TOKEN_URL": None,
    "ASTORAGE_API_BASE_URL": None,
    "ASTORAGE_REDIRECT_URI": None,
    "ASTORAGE_URL_PREFIX": "/astorage",
    "ASTORAGE_LOGIN_REDIRECT": "/",
    "ASTORAGE_REFRESH_LEEWAY": 60,
    "ASTORAGE_REFRESH_GRACE": 60,
    "ASTORAGE_USE_PKCE": True,
    "ASTORAGE_TIMEOUT": 10,
    "ASTORAGE_TOKEN_STORE": "sqlite",
    "ASTORAGE_PUBLIC_KEY": None,
}


@dataclass(frozen=True)
class Settings:
    """The checked configuration of one application.

    The URLs are complete: ``authorize_url`` and ``token_url`` default to
    ``{base_url}/oauth/authorize`` and ``{base_url}/oauth/token``, and
    ``api_base_url`` to ``base_url``.  ``redirect_uri`` stays ``None`` when
    it is to be the callback view's external URL, worked out per request.
    """

    client_id: str
    client_secret: str
    scope: str
    base_url: str
    authorize_url: str
    token_url: str
    api_base_url: str
    redirect_uri: str | None
    url_prefix: str
    login_redirect: str
    refresh_leeway: float
    refresh_grace: float
    use_pkce: bool
    timeout: float
    token_store: Any
    public_key: RSAKey | None

    def __repr__(self) -> str:
        # Settings turn up in tracebacks and debuggers; keep the secret out.
        return f"<Settings client_id={self.client_id!r} base_url={self.base_url!r}>"


def load_settings(config: dict[str, Any]) -> Settings:
    """Fill in the defaults of ``config`` and check every ``ASTORAGE_*`` key.

    :raises ConfigurationError: A key is missing or holds a bad value; the
        message names the key and says what to do.
    """
    for key, default in DEFAULTS.items():
        config.setdefault(key, default)

    base_url = _url(config, "ASTORAGE_BASE_URL").rstrip("/")
    return Settings(
        client_id=_required_text(config, "ASTORAGE_CLIENT_ID"),
        client_secret=_required_text(config, "ASTORAGE_CLIENT_SECRET"),
        scope=_scope(config),
        base_url=base_url,
        authorize_url=_url(
            config, "ASTORAGE_AUTHORIZE_URL", f"{base_url}/oauth/authorize"
        ),
        token_url=_url(config, "ASTORAGE_TOKEN_URL", f"{base_url}/oauth/token"),
        api_base_url=_url(config, "ASTORAGE_API_BASE_URL", base_url).rstrip("/"),
        redirect_uri=_redirect_uri(config),
        url_prefix=_url_prefix(config),
        login_redirect=_login_redirect(config),
        refresh_leeway=_seconds(config, "ASTORAGE_REFRESH_LEEWAY", minimum=0),
        refresh_grace=_seconds(config, "ASTORAGE_REFRESH_GRACE", minimum=0),
        use_pkce=_flag(config, "ASTORAGE_USE_PKCE"),
        timeout=_seconds(config, "ASTORAGE_TIMEOUT", minimum=0.001),
        token_store=config["ASTORAGE_TOKEN_STORE"],
        public_key=_public_key(config),
    )


def _text(config: dict[str, Any], key: str) -> str:
    value = config[key]
    if not isinstance(value, str):
        raise ConfigurationError(
            f"{key!r} must be a string, not {type(value).__name__}."
        )
    return value


def _required_text(config: dict[str, Any], key: str) -> str:
    value = config[key]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ConfigurationError(
            f"{key!r} is not set. Register your application with Alpha Storage"
            f" and put the value it gives you in app.config[{key!r}]."
        )
    if isinstance(value, int) and not isinstance(value, bool):
        # Passport's older client ids are numbers, and Flask's
        # from_prefixed_env() reads "3" from the environment as the integer 3.
        value = str(value)
    if not isinstance(value, str):
        raise ConfigurationError(
            f"{key!r} must be a string, not {type(value).__name__}."
        )
    if value != value.strip() or len(value) > SENT_VALUE_LIMIT:
        # Values are not shown: this may be the client secret.
        raise ConfigurationError(
            f"{key!r} must have no spaces at either end and at most"
            f" {SENT_VALUE_LIMIT} characters. Copy it again from Alpha Storage."
        )
    return value


def _scope(config: dict[str, Any]) -> str:
    value = config["ASTORAGE_SCOPE"]
    if isinstance(value, (list, tuple)):
        value = " ".join(str(scope) for scope in value)
    if not isinstance(value, str) or len(value) > SENT_VALUE_LIMIT:
        raise ConfigurationError(
            "'ASTORAGE_SCOPE' must be a space-separated string or a list of"
            f" scope names, at most {SENT_VALUE_LIMIT} characters; got {value!r}."
        )
    return " ".join(value.split())


def _url(config: dict[str, Any], key: str, derived: str | None = None) -> str:
    value = config[key]
    if value is None and derived is not None:
        return derived
    if (
        not isinstance(value, str)
        or not value.startswith(("https://", "http://"))
        or not _has_host(value)
    ):
        raise ConfigurationError(
            f"{key!r} must be an absolute http(s) URL; got {value!r}."
        )
    return value


def _has_host(url: str) -> bool:
    # A value such as "https://" passes the scheme check but has no host, and
    # would only fail at the first login, as "https:/oauth/token".
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:
        return False


def _redirect_uri(config: dict[str, Any]) -> str | None:
    if config["ASTORAGE_REDIRECT_URI"] is None:
        return None
    value = _url(config, "ASTORAGE_REDIRECT_URI")
    if len(value) > SENT_VALUE_LIMIT:
        raise ConfigurationError(
            f"'ASTORAGE_REDIRECT_URI' must be at most {SENT_VALUE_LIMIT}"
            f" characters; got {len(value)}."
        )
    return value


def _url_prefix(config: dict[str, Any]) -> str:
    value = _text(config, "ASTORAGE_URL_PREFIX")
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        raise ConfigurationError(
            f"'ASTORAGE_URL_PREFIX' must start with '/'; got {value!r}."
        )
    return value.rstrip("/")


def _seconds(config: dict[str, Any], key: str, *, minimum: float) -> float:
    value = config[key]
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < minimum
    ):
        raise ConfigurationError(
            f"{key!r} must be a number of seconds, at least {minimum}; got {value!r}."
        )
    return float(value)


def _flag(config: dict[str, Any], key: str) -> bool:
    value = config[key]
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
    if isinstance(value, bool):
        return value
    if value in (0, 1) and isinstance(value, int):
        # Flask's from_prefixed_env() reads "0" and "1" as integers.
        return bool(value)
    raise ConfigurationError(f"{key!r} must be true or false; got {value!r}.")


def _login_redirect(config: dict[str, Any]) -> str:
    value = _text(config, "ASTORAGE_LOGIN_REDIRECT")
    is_path = value.startswith("/") and not value.startswith("//")
    is_web_url = value.startswith(("https://", "http://")) and _has_host(value)
    if "\\" in value or not (is_path or is_web_url):
        raise ConfigurationError(
            "'ASTORAGE_LOGIN_REDIRECT' must be a path on this site such as '/',"
            f" or an absolute http(s) URL; got {value!r}."
        )
    return value


def _public_key(config: dict[str, Any]) -> RSAKey | None:
    value = config["ASTORAGE_PUBLIC_KEY"]
    if value is None or value == "":
        return None
    if not isinstance(value, str) or "-----BEGIN" not in value:
        raise ConfigurationError(
            "'ASTORAGE_PUBLIC_KEY' must be the provider's public key as PEM text"
            " ('-----BEGIN PUBLIC KEY-----...'), or None."
        )

    # Loaded once here, so that a bad key fails at init_app, and no read of
    # ``astorage.user_id`` parses the PEM again.
    try:
        return RSAKey.import_key(value)
    except (ValueError, JoseError) as err:
        raise ConfigurationError(
            "'ASTORAGE_PUBLIC_KEY' does not load as an RSA public key. Copy the"
            " provider's PEM key again, with its BEGIN and END lines."
        ) from err
