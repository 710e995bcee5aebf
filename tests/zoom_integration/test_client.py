"""zoom_integration.client: the exact requests sent to Zoom and how every answer is translated."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from responses import matchers

from web_meetings.crypto import decrypt_token
from zoom_integration import client
from zoom_integration.client import (
    ZoomDailyLimitExceeded,
    ZoomNotFound,
    ZoomPermanentError,
    ZoomReauthorizationRequired,
    ZoomTemporaryError,
)
from zoom_integration.models import ConnectionStatus

from .helpers import API, CLIENT_ID, CLIENT_SECRET, OAUTH, form, token_json, users_page, zoom_user

pytestmark = pytest.mark.django_db

BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
MEETING = {
    "id": 91033400269,
    "uuid": "V1MIniokQsWFElPmiVbp6Q==",
    "join_url": "https://zoom.us/j/91033400269?pwd=abc",
    "start_url": "https://zoom.us/s/91033400269?zak=zzz",
}


# --- OAuth ------------------------------------------------------------------------------------------------


def test_authorization_url_asks_for_a_code_with_state_and_an_s256_challenge():
    url = client.authorization_url(
        redirect_uri="http://testserver/web-interview/zoom/callback/",
        state="the-state",
        code_verifier="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    )
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{OAUTH}/oauth/authorize"
    assert query == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "http://testserver/web-interview/zoom/callback/",
        "state": "the-state",
        # RFC 7636 appendix B
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }


def test_exchange_code_posts_the_code_and_verifier_with_basic_client_auth(zoom_http):
    zoom_http.post(f"{OAUTH}/oauth/token", json=token_json("at-1", "rt-1"))
    tokens = client.exchange_code(
        code="the-code", redirect_uri="http://testserver/cb/", code_verifier="v" * 50
    )

    call = zoom_http.calls[0]
    assert call.request.headers["Authorization"] == BASIC
    assert form(call) == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": "http://testserver/cb/",
        "code_verifier": "v" * 50,
    }
    assert (tokens.access_token, tokens.refresh_token) == ("at-1", "rt-1")
    assert tokens.expires_at - datetime.now(UTC) > timedelta(minutes=59)
    assert "at-1" not in repr(tokens) and "rt-1" not in repr(tokens)


def test_refresh_posts_the_refresh_token_with_basic_client_auth(zoom_http):
    zoom_http.post(f"{OAUTH}/oauth/token", json=token_json("at-2", "rt-2"))
    tokens = client.refresh_tokens(refresh_token="rt-1")
    call = zoom_http.calls[0]
    assert call.request.headers["Authorization"] == BASIC
    assert form(call) == {"grant_type": "refresh_token", "refresh_token": "rt-1"}
    assert (tokens.access_token, tokens.refresh_token) == ("at-2", "rt-2")


def test_a_refused_refresh_token_means_reauthorization(zoom_http):
    zoom_http.post(
        f"{OAUTH}/oauth/token", status=400, json={"reason": "Invalid Token!", "error": "invalid_grant"}
    )
    with pytest.raises(ZoomReauthorizationRequired) as caught:
        client.refresh_tokens(refresh_token="rt-dead")
    assert "Invalid Token!" in caught.value.message
    assert caught.value.status == 400


def test_bad_client_credentials_are_a_permanent_error_not_a_reauthorization(zoom_http):
    zoom_http.post(
        f"{OAUTH}/oauth/token",
        status=400,
        json={"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
    )
    with pytest.raises(ZoomPermanentError) as caught:
        client.refresh_tokens(refresh_token="rt")
    assert not isinstance(caught.value, ZoomReauthorizationRequired)


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 503, "body": "<html>Service Unavailable</html>", "content_type": "text/html"},
        {"status": 502, "body": "bad gateway", "content_type": "text/plain"},
        {"status": 200, "body": "<xml/>", "content_type": "application/xml"},
        {"body": requests.ConnectionError("refused")},
        {"body": requests.ReadTimeout("slow")},
    ],
    ids=["html-503", "text-502", "non-json-200", "connection-refused", "timeout"],
)
def test_token_endpoint_outages_are_temporary(zoom_http, answer):
    zoom_http.post(f"{OAUTH}/oauth/token", **answer)
    with pytest.raises(ZoomTemporaryError):
        client.refresh_tokens(refresh_token="rt")


def test_revoke_posts_the_access_token_with_basic_client_auth(zoom_http):
    zoom_http.post(f"{OAUTH}/oauth/revoke", json={"status": "success"})
    client.revoke_token(token="at-1")
    call = zoom_http.calls[0]
    assert call.request.headers["Authorization"] == BASIC
    assert form(call) == {"token": "at-1"}


def test_every_request_carries_the_configured_timeout(zoom_http, connection, monkeypatch):
    seen = []
    original = requests.Session.request

    def spy(self, method, url, **kwargs):
        seen.append(kwargs.get("timeout"))
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    zoom_http.post(f"{OAUTH}/oauth/token", json=token_json())
    zoom_http.get(f"{API}/users/me", json={"id": "me", "account_id": "A"})
    client.refresh_tokens(refresh_token="rt")
    client.get_me(connection)
    assert seen == [(5.0, 7.0), (5.0, 7.0)]


# --- REST ---------------------------------------------------------------------------------------------------


def test_create_meeting_posts_the_body_with_the_bearer_token_and_returns_the_meeting(zoom_http, connection):
    body = {"topic": "一次面接", "type": 2, "start_time": "2026-12-01T01:00:00Z", "duration": 60}
    zoom_http.post(
        f"{API}/users/host%40example.com/meetings",
        status=201,
        json=MEETING,
        match=[
            matchers.json_params_matcher(body),
            matchers.header_matcher({"Authorization": "Bearer at-initial"}),
        ],
    )
    assert client.create_meeting(connection, host_id="host@example.com", body=body) == MEETING


def test_update_and_delete_accept_an_empty_204(zoom_http, connection):
    zoom_http.patch(f"{API}/meetings/91033400269", status=204, body="")
    zoom_http.delete(
        f"{API}/meetings/91033400269",
        status=204,
        body="",
        match=[matchers.query_param_matcher({"schedule_for_reminder": "false"})],
    )
    assert client.update_meeting(connection, meeting_id=91033400269, body={"duration": 30}) is None
    assert client.delete_meeting(connection, meeting_id=91033400269) is None
    assert zoom_http.calls[0].request.body == b'{"duration": 30}'


def test_get_meeting_returns_the_fresh_meeting(zoom_http, connection):
    zoom_http.get(f"{API}/meetings/91033400269", json=MEETING)
    assert client.get_meeting(connection, meeting_id=91033400269)["start_url"].endswith("zak=zzz")


def test_list_users_follows_every_page(zoom_http, connection):
    zoom_http.get(
        f"{API}/users",
        json=users_page([zoom_user(1), zoom_user(2)], next_page_token="page-2"),
        match=[matchers.query_param_matcher({"status": "active", "page_size": "300"})],
    )
    zoom_http.get(
        f"{API}/users",
        json=users_page([zoom_user(3)]),
        match=[
            matchers.query_param_matcher(
                {"status": "active", "page_size": "300", "next_page_token": "page-2"}
            )
        ],
    )
    users = client.list_users(connection)
    assert [u["id"] for u in users] == ["zuser001", "zuser002", "zuser003"]


def test_list_user_meetings_follows_every_page(zoom_http, connection):
    zoom_http.get(
        f"{API}/users/zuser001/meetings",
        json={"meetings": [{"id": 1}], "next_page_token": "p2"},
        match=[matchers.query_param_matcher({"type": "scheduled", "page_size": "300"})],
    )
    zoom_http.get(
        f"{API}/users/zuser001/meetings",
        json={"meetings": [{"id": 2}], "next_page_token": ""},
        match=[
            matchers.query_param_matcher({"type": "scheduled", "page_size": "300", "next_page_token": "p2"})
        ],
    )
    assert [m["id"] for m in client.list_user_meetings(connection, host_id="zuser001")] == [1, 2]


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [(404, 3001, ZoomNotFound), (404, 1001, ZoomNotFound), (400, 300, ZoomPermanentError)],
)
def test_zoom_refusals_become_permanent_errors_with_zoom_s_reason(zoom_http, connection, status, code, error):
    zoom_http.patch(
        f"{API}/meetings/1",
        status=status,
        json={
            "code": code,
            "message": "Meeting does not exist.",
            "errors": [{"field": "topic", "message": "long"}],
        },
    )
    with pytest.raises(error) as caught:
        client.update_meeting(connection, meeting_id=1, body={})
    assert (caught.value.status, caught.value.code) == (status, code)
    assert "Meeting does not exist." in caught.value.message and "topic" in caught.value.message


def test_a_per_second_429_is_temporary_with_retry_after_from_the_iso_header(zoom_http, connection):
    zoom_http.post(
        f"{API}/users/h/meetings",
        status=429,
        json={"code": 429, "message": "You have reached the maximum per-second rate limit for this API."},
        headers={"Retry-After": "2026-11-25T10:00:05Z", "X-RateLimit-Type": "QPS"},
    )
    with pytest.raises(ZoomTemporaryError) as caught:
        client.create_meeting(connection, host_id="h", body={})
    assert not isinstance(caught.value, ZoomDailyLimitExceeded)
    assert caught.value.retry_after == datetime(2026, 11, 25, 10, 0, 5, tzinfo=UTC)
    assert len(zoom_http.calls) == 1  # never retried by the client


def test_the_per_host_daily_limit_waits_until_next_utc_midnight(zoom_http, connection):
    zoom_http.post(
        f"{API}/users/h/meetings",
        status=429,
        json={
            "code": 429,
            "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
            "permitted for this particular user. You may resume these requests at GMT 00:00:00.",
        },
    )
    with pytest.raises(ZoomDailyLimitExceeded) as caught:
        client.create_meeting(connection, host_id="h", body={})
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert caught.value.retry_after == datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC)


@pytest.mark.parametrize(
    "answer",
    [
        {
            "status": 500,
            "body": "<?xml version='1.0'?><error>oops</error>",
            "content_type": "application/xml",
        },
        {"body": requests.ReadTimeout("slow")},
        {"body": requests.ConnectionError("reset")},
    ],
    ids=["xml-500", "timeout", "connection-reset"],
)
def test_a_create_that_fails_temporarily_is_never_retried(zoom_http, connection, answer):
    zoom_http.post(f"{API}/users/h/meetings", **answer)
    with pytest.raises(ZoomTemporaryError):
        client.create_meeting(connection, host_id="h", body={})
    assert len(zoom_http.calls) == 1


def test_an_idempotent_get_is_retried_once_after_a_503(zoom_http, connection, monkeypatch):
    monkeypatch.setattr(client, "GET_RETRY_DELAY_SECONDS", 0)
    zoom_http.get(f"{API}/meetings/5", status=503, body="unavailable")
    zoom_http.get(f"{API}/meetings/5", json={"id": 5})
    assert client.get_meeting(connection, meeting_id=5) == {"id": 5}
    assert len(zoom_http.calls) == 2


def test_a_401_refreshes_once_and_retries_the_call_with_the_new_token(zoom_http, connection):
    zoom_http.post(
        f"{API}/users/h/meetings",
        status=401,
        json={"code": 124, "message": "Invalid access token."},
        match=[matchers.header_matcher({"Authorization": "Bearer at-initial"})],
    )
    zoom_http.post(f"{OAUTH}/oauth/token", json=token_json("at-2", "rt-2"))
    zoom_http.post(
        f"{API}/users/h/meetings",
        status=201,
        json=MEETING,
        match=[matchers.header_matcher({"Authorization": "Bearer at-2"})],
    )
    assert client.create_meeting(connection, host_id="h", body={}) == MEETING
    assert [c.request.url.split("?")[0] for c in zoom_http.calls] == [
        f"{API}/users/h/meetings",
        f"{OAUTH}/oauth/token",
        f"{API}/users/h/meetings",
    ]
    connection.refresh_from_db()
    assert decrypt_token(connection.refresh_token_encrypted) == "rt-2"


def test_a_second_401_after_the_refresh_marks_the_link_for_reauthorization(zoom_http, connection):
    zoom_http.get(f"{API}/users/me", status=401, json={"code": 124, "message": "Invalid access token."})
    zoom_http.post(f"{OAUTH}/oauth/token", json=token_json("at-2", "rt-2"))
    with pytest.raises(ZoomReauthorizationRequired):
        client.get_me(connection)
    assert len([c for c in zoom_http.calls if "/oauth/token" in c.request.url]) == 1
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ERROR
    assert connection.access_token_encrypted == connection.refresh_token_encrypted == ""


def test_a_missing_scope_marks_the_link_for_reauthorization(zoom_http, connection):
    zoom_http.post(
        f"{API}/users/h/meetings",
        status=400,
        json={
            "code": 4711,
            "message": "Invalid access token, does not contain scopes:[meeting:write:meeting:admin]",
        },
    )
    with pytest.raises(ZoomReauthorizationRequired) as caught:
        client.create_meeting(connection, host_id="h", body={})
    assert "meeting:write:meeting:admin" in caught.value.message
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ERROR
    assert "スコープ" in connection.last_error


def test_a_non_json_error_body_is_survived(zoom_http, connection):
    zoom_http.get(f"{API}/meetings/7", status=403, body="<html>Forbidden</html>", content_type="text/html")
    with pytest.raises(ZoomPermanentError) as caught:
        client.get_meeting(connection, meeting_id=7)
    assert caught.value.status == 403


def test_no_call_is_made_for_a_connection_that_is_not_linked(zoom_http, connection):
    connection.status = ConnectionStatus.RELEASED
    connection.save()
    with pytest.raises(client.ZoomNotLinked):
        client.get_me(connection)
    assert len(zoom_http.calls) == 0
