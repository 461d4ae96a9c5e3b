"""The request recorder: exact parameters, formats and counts."""

from __future__ import annotations

import requests

from flask_astorage.sandbox import SandboxServer
from tests.sandbox.sandbox_support import Provider


def test_authorize_parameters_are_recorded_exactly(sandbox: SandboxServer) -> None:
    sandbox.approve(sandbox.authorization_url(state="Error Tets", scope=""))

    visit, decision = sandbox.recorded("authorize")

    assert (visit.method, visit.status) == ("GET", 200)
    assert visit.param_names == [
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
    ]
    assert visit.has("scope")
    assert visit.get("scope") == ""
    assert visit.get("state") == "Error Tets"
    assert (decision.method, decision.status) == ("POST", 302)
    assert decision.get("decision") == "approve"


def test_a_missing_parameter_is_told_apart_from_an_empty_one(
    provider: Provider,
) -> None:
    tokens = provider.tokens()
    provider.refresh(tokens["refresh_token"], scope="")
    provider.refresh(tokens["refresh_token"], scope=None)

    with_empty, without = provider.sandbox.recorded("token")[1:]

    assert with_empty.has("scope")
    assert with_empty.get("scope") == ""
    assert not without.has("scope")
    assert without.get("scope", "absent") == "absent"


def test_token_requests_record_format_grant_and_outcome(provider: Provider) -> None:
    code = provider.login()
    provider.exchange(code, as_json=True)
    provider.exchange(code)

    json_call, form_call = provider.sandbox.recorded("token")

    assert json_call.content_type == "application/json"
    assert json_call.grant_type == "authorization_code"
    assert json_call.status == 200
    assert json_call.get("code") == code
    assert form_call.content_type == "application/x-www-form-urlencoded"
    assert form_call.status == 400
    assert form_call.fault is None


def test_values_are_recorded_untrimmed(provider: Provider) -> None:
    provider.post_token({"grant_type": " refresh_token ", "scope": "  "})

    (record,) = provider.sandbox.recorded("token")

    assert record.get("grant_type") == " refresh_token "
    assert record.grant_type == "refresh_token"
    assert record.get("scope") == "  "


def test_token_calls_count_by_grant_type(provider: Provider) -> None:
    tokens = provider.tokens()
    provider.refresh(tokens["refresh_token"])
    provider.refresh(tokens["refresh_token"])

    assert provider.sandbox.token_calls() == 3
    assert provider.sandbox.token_calls(grant_type="authorization_code") == 1
    assert provider.sandbox.token_calls(grant_type="refresh_token") == 2


def test_user_api_calls_record_the_scheme_not_the_token(provider: Provider) -> None:
    provider.current_user("some-token")

    (record,) = provider.sandbox.recorded("user")

    assert (record.authorization_scheme, record.status) == ("Bearer", 401)
    assert "some-token" not in repr(record)


def test_records_can_be_read_and_cleared_over_http(provider: Provider) -> None:
    sandbox = provider.sandbox
    provider.refresh("some-token")
    sandbox.approve(sandbox.authorization_url())

    listed = requests.get(
        f"{sandbox.url}/_sandbox/requests", params={"endpoint": "token"}, timeout=5
    ).json()["requests"]
    cleared = requests.delete(f"{sandbox.url}/_sandbox/requests", timeout=5)

    assert len(listed) == 1
    assert listed[0]["grant_type"] == "refresh_token"
    assert ["scope", ""] in listed[0]["params"]
    assert cleared.status_code == 204
    assert sandbox.recorded() == []


def test_clear_records_forgets_everything(provider: Provider) -> None:
    provider.refresh("x")

    provider.sandbox.clear_records()

    assert provider.sandbox.token_calls() == 0
