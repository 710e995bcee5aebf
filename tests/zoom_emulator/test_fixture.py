"""The pytest fixtures the product's tests use: settings, approve(), recorded requests, webhooks delivered
through django.test.Client, faults surfacing as requests exceptions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.conf import settings as django_settings

from zoom_emulator.browser import ApprovalError
from zoom_emulator.oauth import pkce_challenge
from zoom_emulator.webhooks import signature

from . import webhook_urls
from .helpers import CALLBACK, INTERVIEW, VERIFIER


@pytest.fixture
def captured():
    webhook_urls.RECEIVED.clear()
    webhook_urls.ANSWER["status"] = 200
    return webhook_urls.RECEIVED


def product_authorize_url(oauth_base: str, client_id: str, state: str = "st") -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "state": state,
            "code_challenge": pkce_challenge(VERIFIER),
            "code_challenge_method": "S256",
        }
    )
    return f"{oauth_base}/oauth/authorize?{query}"


def product_link(emu) -> dict:
    """What zoom_integration does: authorize, exchange the code, read /users/me."""
    location = emu.approve(
        product_authorize_url(django_settings.ZOOM_OAUTH_BASE_URL, django_settings.ZOOM_CLIENT_ID)
    )
    code = parse_qs(urlsplit(location).query)["code"][0]
    response = requests.post(
        f"{django_settings.ZOOM_OAUTH_BASE_URL}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
        },
        auth=(django_settings.ZOOM_CLIENT_ID, django_settings.ZOOM_CLIENT_SECRET),
        timeout=5,
    )
    assert response.status_code == 200
    return response.json()


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_fixture_sets_the_products_zoom_settings(zoom_emulator, settings):
    assert settings.ZOOM_CLIENT_ID == zoom_emulator.client_id == "e2rpro-demo-client"
    assert settings.ZOOM_CLIENT_SECRET == zoom_emulator.client_secret == "e2rpro-demo-secret"
    assert (
        settings.ZOOM_WEBHOOK_SECRET_TOKEN
        == zoom_emulator.webhook_secret_token
        == "e2rpro-demo-webhook-token"
    )
    assert (settings.ZOOM_OAUTH_BASE_URL, settings.ZOOM_API_BASE_URL) == (
        "https://zoom.us",
        "https://api.zoom.us/v2",
    )
    assert (zoom_emulator.account_id, zoom_emulator.admin_email) == (
        "SmplAcct01JP",
        "zoom-admin@sample.example.com",
    )


def test_approve_returns_the_callback_url_with_code_and_state(zoom_emulator):
    location = zoom_emulator.approve(product_authorize_url("https://zoom.us", zoom_emulator.client_id, "abc"))
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    assert parse_qs(parts.query)["state"] == ["abc"]


def test_approve_with_deny_returns_access_denied(zoom_emulator):
    location = zoom_emulator.approve(
        product_authorize_url("https://zoom.us", zoom_emulator.client_id), deny=True
    )
    assert parse_qs(urlsplit(location).query)["error"] == ["access_denied"]


def test_approve_as_a_member_raises(zoom_emulator):
    with pytest.raises(ApprovalError):
        zoom_emulator.approve(
            product_authorize_url("https://zoom.us", zoom_emulator.client_id),
            email="interviewer@demo.example.com",
        )


def test_requests_are_recorded_for_asserting_the_outgoing_call(zoom_emulator):
    tokens = product_link(zoom_emulator)
    requests.post(
        "https://api.zoom.us/v2/users/me/meetings", json=INTERVIEW, headers=bearer(tokens), timeout=5
    )
    token_call, create_call = zoom_emulator.requests
    assert token_call.method == "POST"
    assert token_call.path == "/oauth/token"
    assert token_call.headers["Authorization"].startswith("Basic ")
    assert token_call.form()["code_verifier"] == VERIFIER
    assert (create_call.method, create_call.path) == ("POST", "/v2/users/me/meetings")
    assert create_call.json()["agenda"] == INTERVIEW["agenda"]
    assert create_call.headers["authorization"] == f"Bearer {tokens['access_token']}"
    assert zoom_emulator.meetings()[0]["agenda"] == INTERVIEW["agenda"]


def test_timeout_fault_raises_read_timeout_in_process(zoom_emulator):
    tokens = product_link(zoom_emulator)
    zoom_emulator.configure(faults=[{"group": "create_meeting", "mode": "timeout", "after": True}])
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            "https://api.zoom.us/v2/users/me/meetings", json=INTERVIEW, headers=bearer(tokens), timeout=5
        )
    assert len(zoom_emulator.meetings()) == 1  # created, answer lost


def test_disconnect_fault_raises_connection_error_in_process(zoom_emulator):
    zoom_emulator.configure(faults=[{"group": "refresh", "mode": "disconnect"}])
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(
            "https://zoom.us/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": "x"},
            timeout=5,
        )


def test_204_answers_have_no_body_in_process(zoom_emulator):
    tokens = product_link(zoom_emulator)
    meeting = requests.post(
        "https://api.zoom.us/v2/users/me/meetings", json=INTERVIEW, headers=bearer(tokens), timeout=5
    )
    response = requests.delete(
        f"https://api.zoom.us/v2/meetings/{meeting.json()['id']}", headers=bearer(tokens), timeout=5
    )
    assert (response.status_code, response.content) == (204, b"")


@pytest.mark.urls("tests.zoom_emulator.webhook_urls")
def test_remove_app_delivers_app_deauthorized_through_the_test_client(zoom_emulator, captured, db):
    product_link(zoom_emulator)
    zoom_emulator.remove_app()
    assert zoom_emulator.webhook_responses == [("app_deauthorized", 200)]
    body, headers = captured[0]
    assert headers["x-zm-signature"] == signature(
        zoom_emulator.webhook_secret_token, headers["x-zm-request-timestamp"], body
    )
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(body)["payload"]["account_id"] == zoom_emulator.account_id
    assert zoom_emulator.state()["installations"][0]["installed"] is False


@pytest.mark.urls("tests.zoom_emulator.webhook_urls")
def test_meeting_changes_behind_the_back_reach_the_product(zoom_emulator, captured, db):
    tokens = product_link(zoom_emulator)
    ids = [
        requests.post(
            "https://api.zoom.us/v2/users/me/meetings", json=INTERVIEW, headers=bearer(tokens), timeout=5
        ).json()["id"]
        for _ in range(2)
    ]
    zoom_emulator.move_meeting_in_zoom(ids[0], datetime(2026, 12, 4, 2, 0, tzinfo=UTC))
    zoom_emulator.delete_meeting_in_zoom(ids[1])
    events = [json.loads(body) for body, _ in captured]
    assert [e["event"] for e in events] == ["meeting.updated", "meeting.deleted"]
    assert events[0]["payload"]["object"]["start_time"] == "2026-12-04T02:00:00Z"
    assert events[1]["payload"]["object"]["id"] == ids[1]


@pytest.mark.urls("tests.zoom_emulator.webhook_urls")
def test_revoke_by_the_product_queues_app_deauthorized_until_delivered(zoom_emulator, captured, db):
    tokens = product_link(zoom_emulator)
    response = requests.post(
        "https://zoom.us/oauth/revoke",
        data={"token": tokens["access_token"]},
        auth=(zoom_emulator.client_id, zoom_emulator.client_secret),
        timeout=5,
    )
    assert response.json() == {"status": "success"}
    assert captured == []
    assert [w["event"] for w in zoom_emulator.pending_webhooks()] == ["app_deauthorized"]
    assert zoom_emulator.deliver_webhooks() == [("app_deauthorized", 200)]
    assert len(captured) == 1


@pytest.mark.urls("tests.zoom_emulator.webhook_urls")
def test_a_failing_receiver_gets_the_event_again_after_the_retry_delay(zoom_emulator, captured, db):
    product_link(zoom_emulator)
    webhook_urls.ANSWER["status"] = 500
    zoom_emulator.remove_app()
    webhook_urls.ANSWER["status"] = 200
    assert zoom_emulator.deliver_webhooks() == []
    zoom_emulator.advance(5)
    assert zoom_emulator.deliver_webhooks() == [("app_deauthorized", 200)]
    assert zoom_emulator.webhook_responses == [("app_deauthorized", 500), ("app_deauthorized", 200)]
    assert captured[0][0] == captured[1][0]


def test_server_fixture_serves_over_http_and_points_settings_at_it(zoom_emulator_server, settings):
    base = zoom_emulator_server.base_url
    assert base.startswith("http://127.0.0.1:")
    assert (base, f"{base}/v2") == (settings.ZOOM_OAUTH_BASE_URL, settings.ZOOM_API_BASE_URL)
    tokens = product_link(zoom_emulator_server)
    me = requests.get(f"{base}/v2/users/me", headers=bearer(tokens), timeout=5).json()
    assert me["account_id"] == zoom_emulator_server.account_id
    assert zoom_emulator_server.requests[-1].path == "/v2/users/me"


def test_loopback_urls_pass_through_the_in_process_mock(zoom_emulator, zoom_emulator_server):
    # The in-process mock is active, yet a loopback server (the product's own e2e stack) stays reachable.
    response = requests.get(f"{zoom_emulator_server.base_url}/_emulator/state", timeout=5)
    assert response.status_code == 200
