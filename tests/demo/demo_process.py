"""Run ``python demo_app.py`` as a real subprocess, the way a newcomer does.

The demo starts its own sandbox; :class:`DemoProcess` reads both base URLs
from what the demo prints, so tests can drive the demo and ask the sandbox's
control routes what it received.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

#: The folder holding ``demo_app.py``.
PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: Seconds the demo may take to start: imports, an RSA key, two servers.
START_TIMEOUT = 30.0

#: Seconds the demo may take to stop after Ctrl-C or a plain ``kill``.
STOP_TIMEOUT = 10.0

_SANDBOX_LINE = re.compile(r"Sandbox Alpha Storage running at (http://\S+?)[\s(]")
_DEMO_LINE = re.compile(r"Demo running: open (http://\S+?)/ ")


class DemoProcess:
    """A ``demo_app.py`` subprocess and what it printed so far.

    :param port: the ``--port`` to pass.
    :param instance_path: where the demo keeps its SQLite token file.
    :param provider_environment: ``ASTORAGE_*`` variables for the demo.
        Without ``ASTORAGE_CLIENT_ID`` among them, it starts its own sandbox.
    """

    def __init__(
        self,
        port: int,
        instance_path: Path,
        provider_environment: dict[str, str] | None = None,
    ) -> None:
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("ASTORAGE_")
        }
        environment.update(provider_environment or {})
        environment.update(DEMO_INSTANCE_PATH=str(instance_path), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "demo_app.py", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._lines: list[str] = []
        self._guard = threading.Lock()
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()

        #: The demo's base URL, such as ``http://127.0.0.1:5000``.
        self.url = ""
        #: The sandbox's base URL, for its ``/_sandbox/`` control routes.
        self.sandbox_url = ""

    @property
    def output(self) -> str:
        """Everything the demo printed so far, stdout and stderr together."""
        with self._guard:
            return "".join(self._lines)

    def wait_until_serving(self) -> DemoProcess:
        """Wait for the demo's "open this URL" line; return ``self``.

        :raises RuntimeError: the demo exited or stayed silent too long.
        """
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            demo = _DEMO_LINE.search(self.output)
            if demo:
                sandbox = _SANDBOX_LINE.search(self.output)
                self.url = demo.group(1)
                self.sandbox_url = sandbox.group(1) if sandbox else ""
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"The demo did not start. It printed:\n{self.output}")

    def stop(self, signal_number: int = signal.SIGINT) -> int:
        """Stop the demo as Ctrl-C does; return its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal_number)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=STOP_TIMEOUT)
        return self.process.returncode

    def sandbox_requests(self, endpoint: str) -> list[dict[str, Any]]:
        """Return what the demo's sandbox recorded for ``endpoint``."""
        answer = requests.get(
            f"{self.sandbox_url}/_sandbox/requests",
            params={"endpoint": endpoint},
            timeout=5,
        )
        answer.raise_for_status()
        records: list[dict[str, Any]] = answer.json()["requests"]
        return records

    def clear_sandbox_requests(self) -> None:
        """Make the sandbox forget what it recorded, before a new scenario."""
        requests.delete(f"{self.sandbox_url}/_sandbox/requests", timeout=5)

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                with self._guard:
                    self._lines.append(line)
