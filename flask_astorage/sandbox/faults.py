"""Fault switches: make the token endpoint misbehave on purpose.

A client that refreshes tokens must tell "the provider is in trouble, keep
the token" from "the token is dead, log the user out". Each
:class:`FaultKind` is one way the provider, or something in front of it,
answers the token endpoint instead of the real grant. Queue faults with
:meth:`FaultQueue.add` (Python), ``POST /_sandbox/faults`` (HTTP) or
``--fail-next KIND[:TIMES[:GRANT_TYPE]]`` (command line).

A faulted request never reaches the grant, so it consumes no code and no
refresh token; it is still recorded, with the fault's kind.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from dataclasses import replace
from enum import Enum
from typing import Any

#: ``Retry-After`` sent with :attr:`FaultKind.RATE_LIMITED` unless set.
DEFAULT_RETRY_AFTER = 7

#: Seconds :attr:`FaultKind.DELAY` waits unless set: past any sane timeout.
DEFAULT_DELAY_SECONDS = 30.0


class FaultKind(str, Enum):
    """Ways the token endpoint can fail."""

    #: HTTP 500 with an HTML error page, as Laravel shows an exception.
    HTML_500 = "html_500"
    #: HTTP 502 from a proxy in front of the provider.
    BAD_GATEWAY = "bad_gateway"
    #: HTTP 429 with a ``Retry-After`` header.
    RATE_LIMITED = "rate_limited"
    #: HTTP 200 whose body is an HTML page, not JSON.
    NOT_JSON = "not_json"
    #: HTTP 200 JSON that lacks ``access_token``.
    NO_ACCESS_TOKEN = "no_access_token"
    #: Wait ``delay_seconds``, then answer HTTP 503 without running the
    #: grant: a client that timed out meanwhile still holds a live token.
    DELAY = "delay"
    #: Close the TCP connection without sending a response.
    CLOSE_CONNECTION = "close_connection"
    #: HTTP 400 ``invalid_grant``, Passport's error JSON.
    INVALID_GRANT = "invalid_grant"
    #: HTTP 401 ``invalid_request``, hint "Token has been revoked": what
    #: Passport 11 and 12 answer for a dead refresh token.
    INVALID_REQUEST = "invalid_request"
    #: HTTP 401 ``invalid_client``.
    INVALID_CLIENT = "invalid_client"
    #: HTTP 400 ``invalid_scope``.
    INVALID_SCOPE = "invalid_scope"


#: The fields a fault accepts from JSON.
_FAULT_FIELDS = frozenset(
    {"kind", "times", "grant_type", "retry_after", "delay_seconds"}
)


@dataclass(frozen=True)
class Fault:
    """A queued fault and how many more token requests it will spoil.

    :param kind: how to fail.
    :param times: how many matching requests fail, at least 1.
    :param grant_type: fail only requests of this grant type; ``None``
        for any request to the token endpoint.
    :param retry_after: the ``Retry-After`` seconds of ``rate_limited``.
    :param delay_seconds: how long ``delay`` waits before answering.
    """

    kind: FaultKind
    times: int = 1
    grant_type: str | None = None
    retry_after: int = DEFAULT_RETRY_AFTER
    delay_seconds: float = DEFAULT_DELAY_SECONDS

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FaultKind(self.kind))
        _require_whole_number("times", self.times, minimum=1)
        _require_whole_number("retry_after", self.retry_after, minimum=0)
        _require_seconds("delay_seconds", self.delay_seconds)
        if self.grant_type is not None and not isinstance(self.grant_type, str):
            raise ValueError(
                f"A fault's 'grant_type' must be a string, not {self.grant_type!r}."
            )

    @classmethod
    def from_json(cls, data: object) -> Fault:
        """Build a fault from a ``POST /_sandbox/faults`` body.

        :raises ValueError: for a body that is not an object, an unknown
            field or kind, or a bad value.
        """
        if not isinstance(data, dict):
            raise ValueError("A fault must be a JSON object with at least 'kind'.")

        unknown = sorted(set(data) - _FAULT_FIELDS)
        if unknown:
            raise ValueError(
                f"Unknown fault field(s) {unknown!r}; the known ones are"
                f" {sorted(_FAULT_FIELDS)!r}."
            )

        if "kind" not in data:
            raise ValueError("A fault needs a 'kind', such as 'html_500'.")
        return cls(**{**data, "kind": _fault_kind(data["kind"])})

    def matches(self, grant_type: str | None) -> bool:
        return self.grant_type is None or self.grant_type == grant_type

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "times": self.times,
            "grant_type": self.grant_type,
            "retry_after": self.retry_after,
            "delay_seconds": self.delay_seconds,
        }


class FaultQueue:
    """Faults waiting for token requests, first queued first used."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._pending.append(fault)

    def take(self, grant_type: str | None) -> Fault | None:
        """Use up one turn of the first fault matching ``grant_type``.

        The check and the count-down happen under one lock, so ``times=1``
        spoils exactly one of several concurrent requests.
        """
        with self._lock:
            for index, fault in enumerate(self._pending):
                if not fault.matches(grant_type):
                    continue

                if fault.times == 1:
                    del self._pending[index]
                else:
                    self._pending[index] = replace(fault, times=fault.times - 1)
                return fault
            return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._pending)

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()


def parse_fault_spec(spec: str, **options: Any) -> Fault:
    """Parse ``KIND[:TIMES[:GRANT_TYPE]]`` as given to ``--fail-next``.

    :param options: ``retry_after`` or ``delay_seconds`` for the fault.
    :raises ValueError: for an unknown kind or a bad count.
    """
    kind_name, _, rest = spec.strip().partition(":")
    times_text, _, grant_type = rest.partition(":")

    kind = _fault_kind(kind_name)

    try:
        times = int(times_text) if times_text else 1
    except ValueError:
        raise ValueError(
            f"The count in fault {spec!r} must be a whole number, as in"
            f" '{kind.value}:2'."
        ) from None

    return Fault(kind=kind, times=times, grant_type=grant_type or None, **options)


def _fault_kind(name: object) -> FaultKind:
    try:
        return FaultKind(name)
    except ValueError:
        known = ", ".join(kind.value for kind in FaultKind)
        raise ValueError(f"Unknown fault kind {name!r}; use one of: {known}.") from None


def _require_whole_number(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(
            f"A fault's {name!r} must be a whole number of at least {minimum},"
            f" not {value!r}."
        )


def _require_seconds(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(
            f"A fault's {name!r} must be a number of seconds, at least 0, not"
            f" {value!r}."
        )
