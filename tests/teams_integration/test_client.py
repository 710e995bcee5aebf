"""client.py's mapping of Microsoft's answers to the web-meeting errors, with exact canned answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses

from teams_integration import client
from web_meetings.errors import NotFound, PermanentError, ReauthorizationRequired, TemporaryError

GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"
TENANT = "5a0e1c7d-3f42-4b8e-9d16-7c2b8e4f0a01"


@pytest.fixture(autouse=True)
def microsoft_settings(settings):
    settings.MICROSOFT_CLIENT_ID = "client-id"
    settings.MICROSOFT_CLIENT_SECRET = "very-secret-value"
    settings.MICROSOFT_LOGIN_BASE_URL = LOGIN
    settings.MICROSOFT_GRAPH_BASE_URL = GRAPH
    settings.MICROSOFT_HTTP_TIMEOUT = 3


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


class Tokens:
    def __init__(self) -> None:
        self.issued = 0
        self.rejected: list[str | None] = []

    def __call__(self, rejected: str | None) -> str:
        self.rejected.append(rejected)
        self.issued += 1
        return f"token-{self.issued}"


def graph_error(status: int, code: str, message: str = "m", **headers) -> dict:
    return {"status": status, "json": {"error": {"code": code, "message": message}}, "headers": headers}


def test_a_401_is_retried_once_with_a_new_token_then_succeeds(http):
    tokens = Tokens()
    http.get(f"{GRAPH}/users", **graph_error(401, "InvalidAuthenticationToken"))
    http.get(f"{GRAPH}/users", json={"value": []})

    assert client.Graph(tokens).request("GET", "/users") == {"value": []}

    assert tokens.rejected == [None, "token-1"]
    assert http.calls[1].request.headers["Authorization"] == "Bearer token-2"


def test_a_second_401_is_reauthorization_and_calls_the_hook(http):
    tokens, seen = Tokens(), []
    http.get(f"{GRAPH}/users", **graph_error(401, "InvalidAuthenticationToken"))

    with pytest.raises(ReauthorizationRequired) as caught:
        client.Graph(tokens, on_reauthorization=seen.append).request("GET", "/users")

    assert caught.value.after_refresh and seen == [caught.value] and len(http.calls) == 2


@pytest.mark.parametrize("code", ["ErrorAccessDenied", "Authorization_RequestDenied"])
def test_a_403_for_a_missing_permission_is_reauthorization_naming_it(http, code):
    http.post(f"{GRAPH}/users/u/events", **graph_error(403, code))

    with pytest.raises(ReauthorizationRequired) as caught:
        client.Graph(Tokens()).request("POST", "/users/u/events", body={})

    assert "アクセス許可が不足しています" in caught.value.message and code in caught.value.message


def test_429_retry_after_seconds_and_http_date(http):
    http.get(f"{GRAPH}/a", **graph_error(429, "ApplicationThrottled", **{"Retry-After": "30"}))
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=2)
    http.get(
        f"{GRAPH}/b",
        **graph_error(429, "TooManyRequests", **{"Retry-After": later.strftime("%a, %d %b %Y %H:%M:%S GMT")}),
    )
    graph = client.Graph(Tokens())

    with pytest.raises(TemporaryError) as seconds:
        graph.request("GET", "/a")
    with pytest.raises(TemporaryError) as date:
        graph.request("GET", "/b")

    assert seconds.value.status == 429
    assert timedelta(seconds=28) < seconds.value.retry_after - datetime.now(UTC) <= timedelta(seconds=30)
    assert date.value.retry_after == later


def test_5xx_with_a_non_json_body_timeouts_and_connection_errors_are_temporary(http):
    http.get(f"{GRAPH}/a", status=502, body="<html>Bad gateway</html>")
    http.get(f"{GRAPH}/b", body=requests.exceptions.ReadTimeout("read timed out"))
    http.get(f"{GRAPH}/c", body=requests.exceptions.ConnectionError("reset"))
    graph = client.Graph(Tokens())

    for path in ("/a", "/b", "/c"):
        with pytest.raises(TemporaryError):
            graph.request("GET", path)


def test_404_is_not_found_and_other_4xx_permanent_with_graphs_message(http):
    http.get(f"{GRAPH}/a", **graph_error(404, "ErrorItemNotFound", "The specified object was not found."))
    http.get(f"{GRAPH}/b", **graph_error(400, "RequestBodyRead", "Invalid property 'x'."))
    graph = client.Graph(Tokens())

    with pytest.raises(NotFound):
        graph.request("GET", "/a")
    with pytest.raises(PermanentError) as caught:
        graph.request("GET", "/b")

    assert not isinstance(caught.value, NotFound) and "Invalid property 'x'." in caught.value.message


def test_an_empty_204_is_not_parsed(http):
    http.delete(f"{GRAPH}/users/u/events/e", status=204)

    assert client.Graph(Tokens()).request("DELETE", "/users/u/events/e") == {}


@pytest.mark.parametrize(
    ("error", "code"),
    [("unauthorized_client", 700016), ("invalid_grant", 65001), ("invalid_request", 7000112)],
)
def test_client_credentials_refused_for_withdrawn_consent_is_reauthorization(http, error, code):
    http.post(
        f"{LOGIN}/{TENANT}/oauth2/v2.0/token",
        status=400,
        json={"error": error, "error_description": f"AADSTS{code}: gone. Trace ID: t", "error_codes": [code]},
    )

    with pytest.raises(ReauthorizationRequired) as caught:
        client.acquire_app_token(tenant_id=TENANT)

    assert f"AADSTS{code}" in caught.value.message and "Trace ID" not in caught.value.message
    sent = http.calls[0].request.body
    assert (
        "grant_type=client_credentials" in sent
        and "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default" in sent
    )
    assert "very-secret-value" not in caught.value.message


def test_a_wrong_secret_is_permanent_not_reauthorization(http):
    http.post(
        f"{LOGIN}/{TENANT}/oauth2/v2.0/token",
        status=401,
        json={
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret.",
            "error_codes": [7000215],
        },
    )

    with pytest.raises(PermanentError) as caught:
        client.acquire_app_token(tenant_id=TENANT)

    assert not isinstance(caught.value, ReauthorizationRequired)


def test_the_app_token_repr_hides_the_token():
    token = client.AppToken(access_token="abc.def.ghi", expires_at=datetime.now(UTC))

    assert "abc.def.ghi" not in repr(token)
