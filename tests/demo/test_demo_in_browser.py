"""The demo in a real browser: Debian's chromium, driven by Playwright.

Playwright's own browser download is never used (no ``playwright install``):
the test drives ``/usr/bin/chromium`` from the distribution.  Without it the
test is skipped, except under CI (``CI`` set), which must run it.

Set ``DEMO_SCREENSHOT_DIR`` to keep screenshots of the pages, to look at
them; otherwise they go to the test's temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Page

    from .demo_process import DemoProcess

#: Debian's chromium, from ``apt-get install chromium``.
CHROMIUM = Path("/usr/bin/chromium")

#: Headless, offline, with nothing that phones home or slows the start.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Milliseconds any one browser step may take.
STEP_TIMEOUT_MS = 10_000


def _skip_unless_ci(reason: str) -> None:
    """Skip with ``reason``; under CI fail instead, since CI must run it."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} CI must run the browser test.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, for the tests of this module."""
    if not CHROMIUM.exists():
        _skip_unless_ci(f"{CHROMIUM} is missing; run 'apt-get install chromium'.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_unless_ci("Playwright is missing; run \"pip install -e '.[test]'\".")

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab with no cookies; any script error or failed load fails the test.

    Browsers ask every site for ``/favicon.ico`` by themselves; the
    sandbox has none, and that 404 is no fault of the pages.
    """
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(STEP_TIMEOUT_MS)

    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    tab.on(
        "requestfailed",
        lambda request: problems.append(f"{request.url} failed: {request.failure}"),
    )
    tab.on(
        "response",
        lambda response: (
            problems.append(f"{response.url} answered {response.status}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    yield tab

    context.close()
    assert problems == []


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: ``DEMO_SCREENSHOT_DIR``, else a temporary folder."""
    folder = Path(os.environ.get("DEMO_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_login_call_the_api_and_log_out(
    page: Page, demo: DemoProcess, screenshot_dir: Path
) -> None:
    from playwright.sync_api import expect

    _open_the_sandbox_login(demo, page)
    page.get_by_label("User name").fill("alice")
    page.get_by_role("button", name="Approve").click()

    page.wait_for_url(f"{demo.url}/profile")
    expect(page.locator("#user-id")).to_have_text("1")
    expect(page.locator("#expires")).to_contain_text("UTC (in 15 days)")
    page.screenshot(path=screenshot_dir / "profile.png", full_page=True)

    page.get_by_role("link", name="Call the API").click()
    answer = page.locator("#api-answer")
    expect(answer).to_contain_text("HTTP 200")
    expect(answer).to_contain_text('"name": "alice"')
    page.screenshot(path=screenshot_dir / "profile-api.png", full_page=True)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{demo.url}/")
    expect(page.get_by_role("link", name="Login with Alpha Storage")).to_be_visible()


def test_enter_in_the_user_name_field_approves(page: Page, demo: DemoProcess) -> None:
    from playwright.sync_api import expect

    _open_the_sandbox_login(demo, page)
    page.get_by_label("User name").fill("frank")
    page.get_by_label("User name").press("Enter")

    page.wait_for_url(f"{demo.url}/profile")
    expect(page.locator("#user-id")).not_to_be_empty()


def test_deny_comes_back_home_with_a_message(
    page: Page, demo: DemoProcess, screenshot_dir: Path
) -> None:
    from playwright.sync_api import expect

    _open_the_sandbox_login(demo, page)
    page.get_by_role("button", name="Deny").click()

    page.wait_for_url(f"{demo.url}/")
    expect(page.get_by_role("status")).to_have_text("Sign-in was cancelled.")
    expect(page.get_by_role("link", name="Login with Alpha Storage")).to_be_visible()
    page.screenshot(path=screenshot_dir / "home-cancelled.png", full_page=True)


def _open_the_sandbox_login(demo: DemoProcess, page: Page) -> None:
    """From the demo's home page, press Login and wait for the sandbox's form."""
    page.goto(f"{demo.url}/")
    page.get_by_role("link", name="Login with Alpha Storage").click()
    page.wait_for_url(f"{demo.sandbox_url}/oauth/authorize?**")
