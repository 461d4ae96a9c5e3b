"""``python -m flask_astorage.sandbox``: arguments, faults and the banner."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests

from flask_astorage.sandbox import Fault
from flask_astorage.sandbox import FaultKind
from flask_astorage.sandbox.cli import app_options
from flask_astorage.sandbox.cli import build_parser
from flask_astorage.sandbox.cli import main
from flask_astorage.sandbox.cli import queued_faults
from flask_astorage.sandbox.faults import parse_fault_spec


def test_defaults_match_the_documented_ones() -> None:
    arguments = build_parser().parse_args([])

    assert arguments.port == 8765
    assert app_options(arguments) == {
        "client_id": "9a5c7f2e-3b1d-4c8a-9e6f-2d4b8a1c0e57",
        "client_secret": "sandbox-secret-change-me",
        "redirect_uris": ["http://127.0.0.1:5000/astorage/callback"],
        "access_token_lifetime": 1_296_000,
        "passport_version": 13,
    }
    assert queued_faults(arguments) == []


def test_options_reach_the_app() -> None:
    arguments = build_parser().parse_args(
        [
            "--client-id=abc",
            "--client-secret=xyz",
            "--redirect-uri=http://127.0.0.1:8000/a",
            "--redirect-uri=http://127.0.0.1:8000/b",
            "--token-lifetime=60",
            "--passport-version=11",
        ]
    )

    assert app_options(arguments) == {
        "client_id": "abc",
        "client_secret": "xyz",
        "redirect_uris": ["http://127.0.0.1:8000/a", "http://127.0.0.1:8000/b"],
        "access_token_lifetime": 60,
        "passport_version": 11,
    }


def test_fail_next_queues_faults_in_order() -> None:
    arguments = build_parser().parse_args(
        [
            "--fail-next=html_500",
            "--fail-next",
            "rate_limited:2:refresh_token",
            "--fail-next=delay:1",
            "--retry-after=9",
            "--delay-seconds=2.5",
        ]
    )

    html_500, rate_limited, delay = queued_faults(arguments)

    assert (html_500.kind, html_500.times, html_500.grant_type) == (
        FaultKind.HTML_500,
        1,
        None,
    )
    assert rate_limited == Fault(
        kind=FaultKind.RATE_LIMITED,
        times=2,
        grant_type="refresh_token",
        retry_after=9,
        delay_seconds=2.5,
    )
    assert (delay.kind, delay.delay_seconds) == (FaultKind.DELAY, 2.5)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("explode", "Unknown fault kind 'explode'"),
        ("html_500:x", "must be a whole number"),
        ("html_500:0", "'times' must be a whole number of at least 1"),
    ],
)
def test_bad_fault_specs_are_explained(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fault_spec(spec)


def test_a_bad_fault_spec_stops_the_command_with_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--port=0", "--fail-next=explode"])

    assert exit_info.value.code == 2
    assert "Unknown fault kind 'explode'" in capsys.readouterr().err


def test_the_module_runs_prints_its_url_and_serves_faults() -> None:
    command = [
        sys.executable,
        "-m",
        "flask_astorage.sandbox",
        "--port=0",
        "--client-id=cli-client",
        "--fail-next=bad_gateway",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        banner = list(iter(process.stdout.readline, "Press Ctrl-C to stop.\n"))
        base_url = banner[0].rsplit(" ", 1)[-1].strip()
        try:
            response = requests.post(f"{base_url}/oauth/token", timeout=5)
        finally:
            process.send_signal(signal.SIGINT)
            farewell = process.stdout.read()

    assert banner[0].startswith("Alpha Storage sandbox running at http://127.0.0.1:")
    assert "  client_id:     cli-client\n" in banner
    assert "  client_secret: sandbox-secret-change-me\n" in banner
    assert "  queued fault:  bad_gateway x1\n" in banner
    assert response.status_code == 502
    assert farewell == "Sandbox stopped.\n"
    assert process.returncode == 0
