"""The authorize endpoint: sign-in page, errors, approval and refusal."""

from __future__ import annotations

import pytest
import requests

from flask_astorage.sandbox import SandboxServer
from tests.sandbox.sandbox_support import REQUEST_TIMEOUT
from tests.sandbox.sandbox_support import Provider
from tests.sandbox.sandbox_support import callback_params


def _get(url: str) -> requests.Response:
    return requests.get(url, allow_redirects=False, timeout=REQUEST_TIMEOUT)


def test_authorize_page_shows_the_sign_in_form(sandbox: SandboxServer) -> None:
    page = _get(sandbox.authorization_url(state="xyz"))

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'id="consent-form"' in page.text
    assert 'name="username"' in page.text
    assert 'name="decision" value="approve"' in page.text
    assert 'name="decision" value="deny"' in page.text
    # The first submit button is what Enter in the user name field presses.
    assert page.text.index('value="approve"') < page.text.index('value="deny"')
    assert '<input type="hidden" name="state" value="xyz">' in page.text


@pytest.mark.parametrize(
    ("change", "expected_text"),
    [
        ({"client_id": "no-such-client"}, "Client authentication failed"),
        (
            {"redirect_uri": "http://127.0.0.1:5000/astorage/callback/"},
            "is not supported by client",
        ),
        (
            {"redirect_uri": "http://127.0.0.1:5000/ASTORAGE/callback"},
            "is not supported by client",
        ),
        ({"redirect_uri": "https://evil.example/callback"}, "not supported"),
    ],
    ids=["unknown-client", "trailing-slash", "other-case", "other-host"],
)
def test_bad_client_or_redirect_uri_shows_an_error_page_without_redirect(
    sandbox: SandboxServer, change: dict[str, str], expected_text: str
) -> None:
    url = sandbox.authorization_url(state="s", **change)

    page = _get(url)

    assert page.status_code == 400
    assert "Location" not in page.headers
    assert expected_text in page.text


def test_state_with_a_space_round_trips_exactly(sandbox: SandboxServer) -> None:
    callback = sandbox.approve(sandbox.authorization_url(state="Error Tets"))

    assert "state=Error%20Tets" in callback
    assert callback_params(callback)["state"] == "Error Tets"


def test_state_with_reserved_characters_round_trips(sandbox: SandboxServer) -> None:
    state = "a+b&c=d/é?%20"

    callback = sandbox.approve(sandbox.authorization_url(state=state))

    assert callback_params(callback)["state"] == state


def test_empty_scope_is_accepted(sandbox: SandboxServer) -> None:
    url = sandbox.authorization_url(scope="")
    assert "scope=&" in url

    callback = sandbox.approve(url)

    assert callback.startswith(sandbox.redirect_uri + "?code=def50200")


def test_approve_redirects_with_a_passport_shaped_code(sandbox: SandboxServer) -> None:
    callback = sandbox.approve(sandbox.authorization_url(state="s1"))

    params = callback_params(callback)
    assert list(params) == ["code", "state"]
    assert params["code"].startswith("def50200")
    assert len(params["code"]) == 778
    assert int(params["code"], 16) >= 0
    assert params["state"] == "s1"


def test_deny_redirects_with_access_denied_and_the_state(
    sandbox: SandboxServer,
) -> None:
    callback = sandbox.deny(sandbox.authorization_url(state="Error Tets"))

    assert callback.startswith(sandbox.redirect_uri + "?")
    params = callback_params(callback)
    assert params["error"] == "access_denied"
    assert params["error_description"]
    assert params["hint"] == "The user denied the request"
    assert params["state"] == "Error Tets"
    assert "code" not in params


@pytest.mark.parametrize("sandbox_options", [{"passport_version": 12}])
def test_deny_on_old_passport_also_sends_message(sandbox: SandboxServer) -> None:
    params = callback_params(sandbox.deny(sandbox.authorization_url()))

    assert params["message"] == params["error_description"]


def test_user_ids_are_stable_and_start_at_one(provider: Provider) -> None:
    alice = provider.tokens("alice")
    bob = provider.tokens("bob")
    alice_again = provider.tokens("alice")

    def user_id(tokens: dict[str, str]) -> str:
        response = provider.current_user(tokens["access_token"])
        user_id: str = response.json()["id"]
        return user_id

    assert [user_id(alice), user_id(bob), user_id(alice_again)] == ["1", "2", "1"]


def _post_form(sandbox: SandboxServer, **fields: str) -> requests.Response:
    """Post the consent form directly, for the sandbox's own client."""
    return requests.post(
        f"{sandbox.url}/oauth/authorize",
        data={
            "client_id": sandbox.client_id,
            "redirect_uri": sandbox.redirect_uri,
            "response_type": "code",
            "decision": "approve",
            **fields,
        },
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT,
    )


def test_form_can_be_posted_directly(sandbox: SandboxServer) -> None:
    answer = _post_form(sandbox, scope="", state="direct", username="carol")

    assert answer.status_code == 302
    assert callback_params(answer.headers["Location"])["state"] == "direct"


def test_approve_without_a_user_name_shows_the_form_again(
    sandbox: SandboxServer,
) -> None:
    answer = _post_form(sandbox, state="kept", username="   ")

    assert answer.status_code == 400
    assert "Enter a user name" in answer.text
    assert '<input type="hidden" name="state" value="kept">' in answer.text


def test_unsupported_response_type_goes_back_to_the_client(
    sandbox: SandboxServer,
) -> None:
    url = sandbox.authorization_url(state="s").replace(
        "response_type=code", "response_type=token"
    )

    answer = _get(url)

    assert answer.status_code == 302
    params = callback_params(answer.headers["Location"])
    assert params["error"] == "unsupported_response_type"
    assert params["state"] == "s"
