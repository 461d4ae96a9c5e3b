"""Tests of :func:`flask_astorage.log_redaction.install_log_redaction`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Iterator

import pytest

from flask_astorage.log_redaction import AUTHLIB_LOGGERS
from flask_astorage.log_redaction import SecretRedactingFilter
from flask_astorage.log_redaction import install_log_redaction

VERIFIER = "k3Yv9QzR1aX0uN6tWfL2mS8cB5dH7jE4pG-oI._~xyzAbCdEfGh"
ACCESS_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
REFRESH_TOKEN = "def50200cbd6c6fd51f1f985a5e7626c5b4cf184b75dfcf057dc6672"
CLIENT_SECRET = "MfmUvvZlS20SDSV2VF8w32zUFrcuV7CI9A2SHhdj"
SECRETS = (VERIFIER, ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET)


class _Client:
    """Stands in for an Authlib client model whose repr shows its secret."""

    def __repr__(self) -> str:
        return f"<Client id='abc' secret={CLIENT_SECRET!r}>"


def _log_verifier(logger: logging.Logger) -> None:
    # As Authlib's base_client/sync_app.py does when it builds the URL.
    logger.debug(f"Using code_verifier: {VERIFIER!r}")


def _log_issued_token(logger: logging.Logger) -> None:
    # As Authlib's grants do when they issue a token.
    token_dict = {
        "token_type": "Bearer",
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "expires_in": 1296000,
    }
    logger.debug("Issue token %r to %r", token_dict, _Client())


def _log_token_mapping(logger: logging.Logger) -> None:
    # A lone mapping argument becomes record.args itself.
    logger.debug("Issue token %(access_token)s", {"access_token": ACCESS_TOKEN})


LogCall = Callable[[logging.Logger], None]


def _redacting_filters(logger: logging.Logger) -> list[logging.Filter]:
    return [item for item in logger.filters if isinstance(item, SecretRedactingFilter)]


@pytest.fixture
def bare_loggers() -> Iterator[None]:
    """Authlib's loggers without the filter; their filters restored after."""
    saved = {name: list(logging.getLogger(name).filters) for name in AUTHLIB_LOGGERS}
    for name in AUTHLIB_LOGGERS:
        logger = logging.getLogger(name)
        for item in _redacting_filters(logger):
            logger.removeFilter(item)

    yield

    for name, filters in saved.items():
        logging.getLogger(name).filters[:] = filters


@pytest.mark.usefixtures("bare_loggers")
@pytest.mark.parametrize(
    ("logger_name", "log_call", "kept"),
    [
        (
            "authlib.integrations.base_client.sync_app",
            _log_verifier,
            "Using code_verifier:",
        ),
        (
            "authlib.oauth2.rfc6749.grants.refresh_token",
            _log_issued_token,
            "Issue token",
        ),
        (
            "authlib.oauth2.rfc6749.grants.authorization_code",
            _log_issued_token,
            "Issue token",
        ),
        (
            "authlib.oauth2.rfc6749.grants.refresh_token",
            _log_token_mapping,
            "Issue token",
        ),
    ],
)
def test_secrets_never_reach_a_handler(
    caplog: pytest.LogCaptureFixture,
    logger_name: str,
    log_call: LogCall,
    kept: str,
) -> None:
    install_log_redaction()
    caplog.set_level(logging.DEBUG, logger=logger_name)

    log_call(logging.getLogger(logger_name))

    [record] = [item for item in caplog.records if item.name == logger_name]
    message = record.getMessage()
    assert kept in message
    assert "[redacted]" in message
    for secret in SECRETS:
        assert secret not in message
        assert secret not in caplog.text


@pytest.mark.usefixtures("bare_loggers")
@pytest.mark.parametrize(
    "log_call", [_log_verifier, _log_issued_token, _log_token_mapping]
)
def test_without_the_filter_the_secrets_would_leak(
    caplog: pytest.LogCaptureFixture, log_call: LogCall
) -> None:
    # Proves the records above really carry the secrets to be removed.
    name = "authlib.oauth2.rfc6749.grants.refresh_token"
    caplog.set_level(logging.DEBUG, logger=name)

    log_call(logging.getLogger(name))

    assert any(secret in caplog.text for secret in SECRETS)


@pytest.mark.usefixtures("bare_loggers")
def test_installing_twice_adds_the_filter_once() -> None:
    install_log_redaction()
    install_log_redaction()

    for name in AUTHLIB_LOGGERS:
        assert len(_redacting_filters(logging.getLogger(name))) == 1


@pytest.mark.usefixtures("bare_loggers")
@pytest.mark.parametrize(
    "logger_name",
    ["authlib", "authlib.oauth2", "flask_astorage.provider", "tests.app", ""],
)
def test_other_loggers_are_untouched(
    caplog: pytest.LogCaptureFixture, logger_name: str
) -> None:
    logger = logging.getLogger(logger_name)
    filters_before = list(logger.filters)
    install_log_redaction()
    caplog.set_level(logging.DEBUG, logger=logger_name)

    logger.debug("Exchanging a code for client %s.", "99188b51")
    _log_verifier(logger)

    assert logger.filters == filters_before
    messages = [record.getMessage() for record in caplog.records]
    assert "Exchanging a code for client 99188b51." in messages
    assert f"Using code_verifier: {VERIFIER!r}" in messages


@pytest.mark.usefixtures("bare_loggers")
def test_records_without_secrets_keep_their_meaning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = "authlib.integrations.base_client.sync_app"
    install_log_redaction()
    caplog.set_level(logging.DEBUG, logger=name)

    logging.getLogger(name).debug("Authorization URL built.")

    assert [record.getMessage() for record in caplog.records] == [
        "Authorization URL built."
    ]
