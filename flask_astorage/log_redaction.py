"""Keep secrets that Authlib logs at DEBUG out of the application's logs.

Authlib logs the PKCE code verifier when it builds an authorization URL, and
its authorization-server grants log every issued token.  Debug logging gets
turned on during production incidents, so :func:`install_log_redaction`
attaches a filter to those loggers that rewrites such records before any
handler sees them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

__all__ = ["SecretRedactingFilter", "install_log_redaction"]

#: Authlib's loggers known to log a verifier, a code or a token.
AUTHLIB_LOGGERS = (
    "authlib.integrations.base_client.sync_app",
    "authlib.oauth2.rfc6749.grants.authorization_code",
    "authlib.oauth2.rfc6749.grants.refresh_token",
    "authlib.oauth2.rfc6749.grants.implicit",
    "authlib.oauth2.rfc6749.authorization_server",
)

_QUOTED_AFTER_COLON = re.compile(r"(:\s*)(['\"]).*?\2")
REDACTED = "[redacted]"


class SecretRedactingFilter(logging.Filter):
    """Replace every argument of a record, and quoted values in its message.

    The records these loggers write name what happened ("Issue token %r to
    %r", "Using code_verifier: '...'"); the values are the secrets, so all
    of them are replaced while the sentence is kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, Mapping):
            record.args = {name: REDACTED for name in record.args}
        elif record.args:
            record.args = tuple(REDACTED for _ in record.args)
        if isinstance(record.msg, str):
            record.msg = _QUOTED_AFTER_COLON.sub(rf"\1{REDACTED}", record.msg)
        return True


_FILTER = SecretRedactingFilter()


def install_log_redaction() -> None:
    """Attach the redacting filter to Authlib's loggers; safe to call again."""
    for name in AUTHLIB_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
