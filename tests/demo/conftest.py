"""One demo subprocess, with its own sandbox, shared by the demo tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..support import free_port
from .demo_process import DemoProcess


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoProcess]:
    """``python demo_app.py --port <free port>``, serving until the tests end.

    Every test signs in as "alice", the sandbox's user "1", so the tests may
    share the demo in any order.
    """
    instance_path = tmp_path_factory.mktemp("demo-instance")
    running = DemoProcess(free_port(), instance_path).wait_until_serving()
    yield running
    assert running.stop() == 0, running.output
