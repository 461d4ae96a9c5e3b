"""A thread-safe log of the requests the sandbox received, for tests.

Tests of an OAuth client need to see what the client *sent*: which grant,
which parameters, in which body format, and whether ``scope`` was sent empty
or left out. The recorder keeps every request to the three provider
endpoints exactly as received, before the sandbox trims or drops anything.

Records hold codes, tokens and the client secret as sent. They stay in
memory and are served only by the loopback control endpoint; nothing here
writes them to a log.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

#: Names of the recorded endpoints: ``/oauth/authorize``, ``/oauth/token``
#: and ``/api/user``.
EndpointName = Literal["authorize", "token", "user"]

#: A parameter exactly as received. JSON bodies may carry non-string values.
Parameter = tuple[str, Any]


@dataclass(frozen=True)
class RecordedRequest:
    """One request to a provider endpoint, as the sandbox received it.

    :param endpoint: ``"authorize"``, ``"token"`` or ``"user"``.
    :param method: the HTTP method.
    :param content_type: the request's ``Content-Type`` header, if any.
    :param params: every query (GET) or body (POST, form or JSON)
        parameter in the order received, untrimmed; ``("scope", "")`` means
        the scope was sent empty, no ``scope`` pair means it was left out.
    :param authorization_scheme: the scheme of the ``Authorization`` header
        (``"Basic"``, ``"Bearer"``), never its credentials.
    :param grant_type: for the token endpoint, the grant type the sandbox
        understood (trimmed), else ``None``.
    :param status: the HTTP status answered, or ``None`` when the
        connection was closed without an answer.
    :param fault: the fault kind that answered instead of the provider, if
        any (see :class:`~flask_astorage.sandbox.faults.FaultKind`).
    """

    endpoint: EndpointName
    method: str
    content_type: str | None
    params: tuple[Parameter, ...] = field(repr=False)
    authorization_scheme: str | None = None
    grant_type: str | None = None
    status: int | None = None
    fault: str | None = None

    def get(self, name: str, default: Any = None) -> Any:
        """Return the first value sent for ``name``, or ``default``."""
        for param_name, value in self.params:
            if param_name == name:
                return value
        return default

    def has(self, name: str) -> bool:
        """Tell whether ``name`` was sent at all, even with an empty value."""
        return any(param_name == name for param_name, _ in self.params)

    @property
    def param_names(self) -> list[str]:
        """The names of the parameters sent, in order, repeats included."""
        return [name for name, _ in self.params]

    def to_json(self) -> dict[str, Any]:
        """Return the record as a JSON-ready dict (``params`` as pairs)."""
        return {
            "endpoint": self.endpoint,
            "method": self.method,
            "content_type": self.content_type,
            "params": [list(pair) for pair in self.params],
            "authorization_scheme": self.authorization_scheme,
            "grant_type": self.grant_type,
            "status": self.status,
            "fault": self.fault,
        }


class RequestRecorder:
    """Collects :class:`RecordedRequest` objects from many server threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RecordedRequest] = []

    def add(self, record: RecordedRequest) -> None:
        with self._lock:
            self._records.append(record)

    def records(self, endpoint: EndpointName | None = None) -> list[RecordedRequest]:
        """Return the records so far, oldest first, optionally of one endpoint."""
        with self._lock:
            snapshot = list(self._records)
        return _of_endpoint(snapshot, endpoint)

    def token_calls(self, grant_type: str | None = None) -> int:
        """Count token endpoint requests, faulted ones included.

        :param grant_type: count only requests of this grant type.
        """
        token_records = self.records("token")
        if grant_type is None:
            return len(token_records)
        return sum(record.grant_type == grant_type for record in token_records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


def _of_endpoint(
    records: Iterable[RecordedRequest], endpoint: EndpointName | None
) -> list[RecordedRequest]:
    if endpoint is None:
        return list(records)
    return [record for record in records if record.endpoint == endpoint]
