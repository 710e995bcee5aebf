"""POST /zoom/webhook/: signature on the raw body, timestamp window, url_validation, once-only handling."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from web_meetings import signals
from zoom_integration import tasks, webhooks
from zoom_integration.models import ConnectionStatus, WebhookEvent, ZoomConnection, ZoomUser

from .factories import ZoomConnectionFactory, ZoomUserFactory
from .helpers import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

URL = reverse("zoom_webhook:receive")
VALIDATION_BODY = (
    b'{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},'
    b'"event_ts":1654503849680}'
)
DEAUTH_BODY = (
    b'{"event":"app_deauthorized","event_ts":1740439732278,"payload":{"account_id":"EabCDEFghiLHMA",'
    b'"user_id":"z9jkdsfsdfjhdkfjQ","signature":"827edc3452044f0bc86bdd5684afb7d1e6becfa1a767f24df1b287853cf73000",'
    b'"deauthorization_time":"2025-02-24T23:28:52.278Z","client_id":"ADZ9k9bTWmGUoUbECUKU_a"}}'
)


def deliver(
    body: bytes, *, timestamp: int | None = None, signature: str | None = None, secret=WEBHOOK_SECRET
):
    timestamp = int(time.time()) if timestamp is None else timestamp
    if signature is None:
        signature = webhooks.signature_for(secret=secret, timestamp=str(timestamp), body=body)
    return Client().post(
        URL,
        data=body,
        content_type="application/json",
        headers={"x-zm-request-timestamp": str(timestamp), "x-zm-signature": signature},
    )


def event_body(event: str, payload: dict, event_ts: int | None = None) -> bytes:
    # Non-ASCII kept as-is (ensure_ascii=False): the signature covers the exact bytes Zoom sent.
    message = {"event": event, "event_ts": event_ts or int(time.time() * 1000), "payload": payload}
    return json.dumps(message, ensure_ascii=False).encode()


# --- Zoom's test vectors ------------------------------------------------------------------------------------


def test_signature_matches_zoom_s_test_vectors():
    assert (
        webhooks.signature_for(secret=WEBHOOK_SECRET, timestamp="1654503849", body=VALIDATION_BODY)
        == "v0=2b7fd6a71295456ffa64baae54cbfc285011008f9622010928299282cca128bf"
    )
    assert (
        webhooks.signature_for(secret=WEBHOOK_SECRET, timestamp="1740439732", body=DEAUTH_BODY)
        == "v0=631e684403eb4818fcc980744c3f3a4c6681b1c937c414cc147e6b9c1bd0583e"
    )


def test_verify_accepts_the_vector_within_five_minutes_and_refuses_it_later():
    signature = "v0=631e684403eb4818fcc980744c3f3a4c6681b1c937c414cc147e6b9c1bd0583e"
    webhooks.verify_signature(
        secret=WEBHOOK_SECRET,
        timestamp="1740439732",
        signature=signature,
        body=DEAUTH_BODY,
        now=1740439732 + 299,
    )
    with pytest.raises(webhooks.SignatureRejected):
        webhooks.verify_signature(
            secret=WEBHOOK_SECRET,
            timestamp="1740439732",
            signature=signature,
            body=DEAUTH_BODY,
            now=1740439732 + 301,
        )


def test_url_validation_answer_matches_zoom_s_test_vector():
    message = json.loads(VALIDATION_BODY)
    assert webhooks.url_validation_response(secret=WEBHOOK_SECRET, message=message) == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": "dfd481f3f282338434e55374dfe9914fab07ec16496503a146f0344f1a6dd0b3",
    }


# --- the endpoint ---------------------------------------------------------------------------------------


def test_the_endpoint_answers_url_validation(db):
    response = deliver(VALIDATION_BODY)
    assert response.status_code == 200
    assert response.json() == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": "dfd481f3f282338434e55374dfe9914fab07ec16496503a146f0344f1a6dd0b3",
    }
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        {"signature": "v0=" + "0" * 64},
        {"signature": ""},
        {"secret": "another-secret"},
        {"offset": -301},
        {"offset": 301},
    ],
    ids=["wrong-signature", "no-signature", "other-secret", "stale", "future"],
)
def test_bad_signatures_and_stale_timestamps_are_refused_with_401(connection, tamper):
    body = event_body("app_deauthorized", {"account_id": connection.zoom_account_id})
    if "offset" in tamper:
        tamper = {"timestamp": int(time.time()) + tamper["offset"]}
    response = deliver(body, **tamper)
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
    assert ZoomConnection.objects.get(pk=connection.pk).status == ConnectionStatus.LINKED


def test_the_signature_covers_the_raw_body_not_re_serialized_json(connection):
    body = event_body("app_deauthorized", {"account_id": connection.zoom_account_id})
    signature = webhooks.signature_for(secret=WEBHOOK_SECRET, timestamp=str(int(time.time())), body=body)
    reformatted = json.dumps(json.loads(body), indent=2).encode()
    assert deliver(reformatted, signature=signature).status_code == 401


def test_a_request_without_timestamp_header_is_refused(db):
    response = Client().post(URL, data=VALIDATION_BODY, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"payload": {}}',
        b'{"event": "app_deauthorized", "payload": []}',
        b"\xff\xfe",
    ],
    ids=["not-json", "array", "no-event", "payload-not-object", "not-utf8"],
)
def test_a_signed_but_malformed_body_is_refused_with_400(db, body):
    assert deliver(body).status_code == 400


def test_url_validation_without_plain_token_is_malformed(db):
    assert deliver(b'{"event":"endpoint.url_validation","payload":{}}').status_code == 400


def test_only_post_is_accepted(db):
    assert Client().get(URL).status_code == 405


def test_without_a_secret_token_deliveries_are_refused(db, settings):
    settings.ZOOM_WEBHOOK_SECRET_TOKEN = ""
    assert deliver(VALIDATION_BODY, secret="").status_code == 503


# --- app_deauthorized -------------------------------------------------------------------------------------


def test_app_deauthorized_releases_the_account_s_link_and_deletes_tokens_and_users(
    connection, world, django_capture_on_commit_callbacks
):
    ZoomUserFactory(company=world.acme.company)
    other = ZoomConnectionFactory(company=world.other.company)
    body = event_body(
        "app_deauthorized",
        {
            "account_id": connection.zoom_account_id,
            "user_id": "z9",
            "deauthorization_time": timezone.now().isoformat().replace("+00:00", "Z"),
            "client_id": "cid",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(body).status_code == 200

    stored = ZoomConnection.objects.get(pk=connection.pk)
    assert stored.status == ConnectionStatus.RELEASED and stored.released_at is not None
    assert stored.access_token_encrypted == stored.refresh_token_encrypted == ""
    assert not ZoomUser.objects.filter(company=world.acme.company).exists()
    assert ZoomConnection.objects.get(pk=other.pk).status == ConnectionStatus.LINKED
    assert AuditEntry.objects.filter(action="zoom.deauthorized", company=world.acme.company).count() == 1
    event = WebhookEvent.objects.get()
    assert event.processed_at is not None and event.result == "released 1"
    page = Client()
    page.force_login(world.acme.admin)
    content = page.get(reverse("zoom_integration:zoom")).content.decode()
    assert "連携解除" in content and "認可開始" in content


def test_a_redelivered_event_is_handled_once(connection, django_capture_on_commit_callbacks, monkeypatch):
    handled = []
    real = webhooks.handle_event
    monkeypatch.setattr(webhooks, "handle_event", lambda event: handled.append(event.pk) or real(event))
    body = event_body("app_deauthorized", {"account_id": connection.zoom_account_id})
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(body).status_code == 200
        assert deliver(body, timestamp=int(time.time()) + 2).status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert len(handled) == 1
    assert AuditEntry.objects.filter(action="zoom.deauthorized").count() == 1


def test_a_redelivery_of_an_event_never_handled_is_handled_then(
    connection, django_capture_on_commit_callbacks
):
    body = event_body("app_deauthorized", {"account_id": connection.zoom_account_id})
    deliver(body)  # its on-commit task was lost (e.g. the broker was down)
    assert ZoomConnection.objects.get(pk=connection.pk).status == ConnectionStatus.LINKED
    with django_capture_on_commit_callbacks(execute=True):
        deliver(body)
    assert ZoomConnection.objects.get(pk=connection.pk).status == ConnectionStatus.RELEASED


def test_an_unknown_account_gets_200_and_a_log_line(db, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.INFO)
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(event_body("app_deauthorized", {"account_id": "NobodyAcct"}))
    assert response.status_code == 200
    assert "unknown account NobodyAcct" in caplog.text
    assert WebhookEvent.objects.get(account_id="NobodyAcct").result == "ignored: unknown account"


def test_a_deauthorization_older_than_the_current_link_is_ignored(
    connection, django_capture_on_commit_callbacks
):
    connection.linked_at = timezone.now()
    connection.save()
    old = (connection.linked_at - timedelta(minutes=3)).isoformat().replace("+00:00", "Z")
    body = event_body(
        "app_deauthorized", {"account_id": connection.zoom_account_id, "deauthorization_time": old}
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(body).status_code == 200
    assert ZoomConnection.objects.get(pk=connection.pk).status == ConnectionStatus.LINKED


def test_a_link_in_error_is_released_by_deauthorization_too(connection, django_capture_on_commit_callbacks):
    connection.status = ConnectionStatus.ERROR
    connection.save()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(event_body("app_deauthorized", {"account_id": connection.zoom_account_id}))
    assert ZoomConnection.objects.get(pk=connection.pk).status == ConnectionStatus.RELEASED


# --- meeting events ----------------------------------------------------------------------------------------


@pytest.fixture
def scheduling_hook():
    """Records what zoom_integration announces with signals.meeting_changed (scheduling's receiver stays)."""
    calls = []

    def record(**kwargs):
        calls.append(kwargs)

    signals.meeting_changed.connect(record, weak=False, dispatch_uid="test-recorder")
    yield calls
    signals.meeting_changed.disconnect(dispatch_uid="test-recorder")


def test_meeting_events_are_announced_for_the_account_s_company(
    connection, world, scheduling_hook, django_capture_on_commit_callbacks
):
    payload = {
        "account_id": connection.zoom_account_id,
        "object": {"id": 91033400269, "uuid": "u==", "topic": "一次面接（山田様）", "host_id": "h"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(event_body("meeting.deleted", payload)).status_code == 200
        assert deliver(event_body("meeting.deleted", payload, event_ts=1)).status_code == 200
        deliver(event_body("meeting.deleted", payload, event_ts=1))  # the same delivery again
    assert len(scheduling_hook) == 2
    call = scheduling_hook[0]
    assert call["company"] == world.acme.company
    assert (call["provider"], call["change"], call["meeting_id"]) == ("zoom", "deleted", "91033400269")


def test_meeting_events_of_unknown_accounts_are_not_passed_on(
    db, scheduling_hook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(event_body("meeting.updated", {"account_id": "Nobody", "object": {"id": 5}}))
    assert response.status_code == 200
    assert scheduling_hook == []


def test_other_events_are_stored_and_ignored(connection, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            event_body("meeting.started", {"account_id": connection.zoom_account_id, "object": {"id": 1}})
        )
    assert WebhookEvent.objects.get().result == "ignored: event not used"


@pytest.fixture
def failing_receiver():
    """A receiver of meeting_event that fails while ``state["fail"]`` is true."""
    state = {"fail": True, "calls": 0}

    def receive(**kwargs):
        state["calls"] += 1
        if state["fail"]:
            raise RuntimeError("database went away")

    signals.meeting_changed.connect(receive, weak=False, dispatch_uid="test-failing")
    yield state
    signals.meeting_changed.disconnect(dispatch_uid="test-failing")


def test_a_meeting_event_whose_handling_fails_stays_unprocessed_and_is_retried(
    connection, failing_receiver, django_capture_on_commit_callbacks, caplog
):
    payload = {"account_id": connection.zoom_account_id, "object": {"id": 91033400269}}
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(event_body("meeting.deleted", payload))
    assert response.status_code == 200  # Zoom is answered: the delivery is ours to finish
    event = WebhookEvent.objects.get()
    assert event.processed_at is None and event.attempts == 1
    assert "RuntimeError" in event.last_error

    # Not yet: the retry waits (1 minute after the first failure).
    assert tasks.retry_unprocessed_webhook_events() == 0
    WebhookEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(minutes=5),
        last_attempt_at=timezone.now() - timedelta(minutes=2),
    )
    failing_receiver["fail"] = False
    assert tasks.retry_unprocessed_webhook_events() == 1

    event.refresh_from_db()
    assert event.processed_at is not None and failing_receiver["calls"] == 2
    assert tasks.retry_unprocessed_webhook_events() == 0  # done: never handled again


def test_retries_back_off_and_stop_after_the_configured_attempts(connection, failing_receiver, settings):
    settings.ZOOM_WEBHOOK_MAX_ATTEMPTS = 3
    long_ago = timezone.now() - timedelta(hours=3)
    event = WebhookEvent.objects.create(
        body_sha256="f" * 64,
        event="meeting.deleted",
        account_id=connection.zoom_account_id,
        payload={
            "event": "meeting.deleted",
            "payload": {"account_id": connection.zoom_account_id, "object": {"id": 7}},
        },
        received_at=long_ago,
    )
    for attempt in (1, 2, 3):
        WebhookEvent.objects.filter(pk=event.pk).update(last_attempt_at=long_ago)
        assert tasks.retry_unprocessed_webhook_events() == 1
        event.refresh_from_db()
        assert event.attempts == attempt and event.processed_at is None
    WebhookEvent.objects.filter(pk=event.pk).update(last_attempt_at=long_ago)
    assert tasks.retry_unprocessed_webhook_events() == 0  # given up: it stays visible, unprocessed
    assert [tasks.webhook_retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 7, 12)] == [1, 2, 4, 60, 60]
