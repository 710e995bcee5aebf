"""Webhooks: Zoom's signature (reference vectors), compact bodies, retries, URL validation, events."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from zoom_emulator.webhooks import encrypted_token, signature

from .helpers import INTERVIEW, Receiver
from .sdk_shapes import (
    APP_DEAUTHORIZED_PAYLOAD,
    MEETING_DELETED_OBJECT,
    MEETING_DELETED_PAYLOAD,
    MEETING_UPDATED_PAYLOAD,
)

SECRET = "s3cr3t_w3bh00k_t0k3n"


def test_url_validation_vector():
    assert encrypted_token(SECRET, "qgg8vlvZRS6UYooatFL8Aw") == (
        "dfd481f3f282338434e55374dfe9914fab07ec16496503a146f0344f1a6dd0b3"
    )


def test_signature_vector_for_url_validation():
    body = (
        '{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},'
        '"event_ts":1654503849680}'
    )
    assert signature(SECRET, 1654503849, body) == (
        "v0=2b7fd6a71295456ffa64baae54cbfc285011008f9622010928299282cca128bf"
    )


def test_signature_vector_for_app_deauthorized():
    body = (
        '{"event":"app_deauthorized","event_ts":1740439732278,"payload":{"account_id":"EabCDEFghiLHMA",'
        '"user_id":"z9jkdsfsdfjhdkfjQ","signature":"827edc3452044f0bc86bdd5684afb7d1e6becfa1a767f24df1b287853cf73000",'
        '"deauthorization_time":"2025-02-24T23:28:52.278Z","client_id":"ADZ9k9bTWmGUoUbECUKU_a"}}'
    )
    assert signature(SECRET, "1740439732", body.encode()) == (
        "v0=631e684403eb4818fcc980744c3f3a4c6681b1c937c414cc147e6b9c1bd0583e"
    )


def _verify(emu, body: bytes, headers: dict[str, str]) -> bool:
    message = b"v0:" + headers["x-zm-request-timestamp"].encode() + b":" + body
    expected = "v0=" + hmac.new(emu.config.webhook_secret_token.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-zm-signature"])


def test_app_deauthorized_on_remove_is_signed_compact_and_has_zoom_fields(emu, linked, receiver):
    emu.remove_app()
    assert emu.deliver_webhooks() == [("app_deauthorized", 200)]
    url, body, headers = receiver.calls[0]
    assert url == "http://127.0.0.1:9/zoom/webhook/"
    assert _verify(emu, body, headers)
    assert headers["x-zm-request-timestamp"] == str(int(datetime(2026, 11, 25, 3, 0, tzinfo=UTC).timestamp()))
    assert headers["Content-Type"].startswith("application/json")
    event = json.loads(body)
    assert body == json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    assert list(event) == ["event", "event_ts", "payload"]
    assert event["event"] == "app_deauthorized"
    assert set(event["payload"]) <= APP_DEAUTHORIZED_PAYLOAD
    assert event["payload"]["account_id"] == "SmplAcct01JP"
    assert event["payload"]["client_id"] == emu.config.client_id
    assert event["payload"]["user_id"] == "u8AdmSmplOwner0000001A"
    assert event["payload"]["deauthorization_time"] == "2026-11-25T03:00:00.000Z"


def test_non_ascii_bodies_are_sent_as_utf8_so_reserialized_json_breaks_the_signature(emu, linked, receiver):
    meeting_id = linked.api("POST", "/users/me/meetings", body=INTERVIEW).json()["id"]
    emu.delete_meeting(meeting_id)
    emu.deliver_webhooks()
    _, body, headers = receiver.calls[0]
    assert "一次面接".encode() in body
    reserialized = json.dumps(json.loads(body), separators=(",", ":")).encode()  # ensure_ascii: \\u escapes
    assert _verify(emu, body, headers)
    assert not _verify(emu, reserialized, headers)


def test_meeting_deleted_behind_the_back_carries_the_meeting(emu, linked, receiver):
    meeting = linked.api("POST", "/users/me/meetings", body=INTERVIEW).json()
    emu.delete_meeting(meeting["id"])
    emu.deliver_webhooks()
    event = receiver.bodies()[0]
    assert event["event"] == "meeting.deleted"
    assert set(event["payload"]) <= MEETING_DELETED_PAYLOAD
    assert set(event["payload"]["object"]) <= MEETING_DELETED_OBJECT
    assert event["payload"]["object"]["id"] == meeting["id"]
    assert event["payload"]["object"]["uuid"] == meeting["uuid"]
    assert event["payload"]["operator"] == emu.admin_email


def test_meeting_updated_carries_only_the_changed_fields_and_old_object(emu, linked, receiver):
    meeting = linked.api("POST", "/users/me/meetings", body=INTERVIEW).json()
    emu.move_meeting(meeting["id"], datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    emu.deliver_webhooks()
    event = receiver.bodies()[0]
    assert event["event"] == "meeting.updated"
    payload = event["payload"]
    assert set(payload) <= MEETING_UPDATED_PAYLOAD
    assert payload["object"] == {
        "id": meeting["id"],
        "uuid": meeting["uuid"],
        "start_time": "2026-12-01T05:00:00Z",
    }
    assert payload["old_object"] == {
        "id": meeting["id"],
        "uuid": meeting["uuid"],
        "start_time": "2026-12-01T01:00:00Z",
    }


def test_api_changes_send_no_events_unless_configured(emu, linked, receiver):
    meeting_id = linked.api("POST", "/users/me/meetings", body=INTERVIEW).json()["id"]
    linked.api("PATCH", f"/meetings/{meeting_id}", body={"duration": 45})
    emu.deliver_webhooks()
    assert receiver.calls == []
    emu.configure(api_change_webhooks=True)
    linked.api("PATCH", f"/meetings/{meeting_id}", body={"duration": 30})
    linked.api("DELETE", f"/meetings/{meeting_id}")
    emu.deliver_webhooks()
    assert receiver.events() == ["meeting.updated", "meeting.deleted"]
    assert receiver.bodies()[0]["payload"]["object"] == {
        "id": meeting_id,
        "uuid": receiver.bodies()[1]["payload"]["object"]["uuid"],
        "duration": 30,
    }


def test_events_are_not_sent_to_an_app_that_is_not_installed(emu, linked, receiver):
    meeting_id = linked.api("POST", "/users/me/meetings", body=INTERVIEW).json()["id"]
    emu.remove_app()
    emu.delete_meeting(meeting_id)
    emu.deliver_webhooks()
    assert receiver.events() == ["app_deauthorized"]


def test_failed_deliveries_are_retried_on_the_schedule_then_given_up(emu, linked):
    failing = Receiver(status=500)
    emu.configure(webhook_url="http://127.0.0.1:9/hook", webhook_retry_schedule=[5, 20])
    emu.webhook_sender = failing
    emu.remove_app()
    assert emu.deliver_webhooks() == [("app_deauthorized", 500)]
    assert emu.deliver_webhooks() == []  # not due yet
    emu.advance(5)
    assert emu.deliver_webhooks() == [("app_deauthorized", 500)]
    emu.advance(20)
    failing.status = 204
    assert emu.deliver_webhooks() == [("app_deauthorized", 204)]
    assert emu.pending_webhooks() == []
    first, second, third = failing.calls
    assert first[1] == second[1] == third[1]  # the same event body each time...
    assert first[2]["x-zm-request-timestamp"] != third[2]["x-zm-request-timestamp"]  # ...signed anew


def test_deliveries_stop_after_the_last_retry(emu, linked):
    emu.configure(webhook_url="http://127.0.0.1:9/hook", webhook_retry_schedule=[1])
    emu.webhook_sender = Receiver(status=404)
    emu.remove_app()
    emu.deliver_webhooks()
    emu.advance(1)
    emu.deliver_webhooks()
    emu.advance(100)
    assert emu.deliver_webhooks() == []
    assert emu.snapshot()["webhooks"][0]["status"] == "failed"


def test_sender_exceptions_count_as_failed_attempts(emu, linked):
    def broken(url, body, headers):
        raise ConnectionError("refused")

    emu.configure(webhook_url="http://127.0.0.1:9/hook")
    emu.webhook_sender = broken
    emu.remove_app()
    assert emu.deliver_webhooks() == [("app_deauthorized", None)]
    assert "refused" in emu.snapshot()["webhooks"][0]["attempts"][0]["error"]


def test_url_validation_on_demand_checks_the_encrypted_token(emu):
    emu.configure(webhook_url="http://127.0.0.1:9/hook")
    seen = []

    def good(url, body, headers):
        seen.append((body, headers))
        plain = json.loads(body)["payload"]["plainToken"]
        answer = {
            "plainToken": plain,
            "encryptedToken": encrypted_token(emu.config.webhook_secret_token, plain),
        }
        return 200, json.dumps(answer).encode()

    assert emu.validate_webhook_endpoint(good) is True
    body, headers = seen[0]
    assert list(json.loads(body)) == ["event", "payload", "event_ts"]
    assert _verify(emu, body, headers)
    assert emu.snapshot()["webhook_endpoint"]["status"] == "validated"


def test_failed_url_validation_stops_deliveries_until_validated_again(emu, linked, receiver):
    assert emu.validate_webhook_endpoint(lambda url, body, headers: (200, b'{"plainToken":"x"}')) is False
    emu.remove_app()
    assert emu.deliver_webhooks() == []
    assert receiver.calls == []

    def good(url, body, headers):
        plain = json.loads(body)["payload"]["plainToken"]
        token = encrypted_token(emu.config.webhook_secret_token, plain)
        return 200, json.dumps({"plainToken": plain, "encryptedToken": token}).encode()

    assert emu.validate_webhook_endpoint(good) is True
    assert emu.deliver_webhooks() == [("app_deauthorized", 200)]


def test_webhook_timestamps_follow_the_emulator_clock(emu, linked, receiver):
    emu.set_clock(datetime(2026, 11, 25, 2, 50, tzinfo=UTC), frozen=True)  # ten minutes in the past
    emu.remove_app()
    emu.deliver_webhooks()
    assert receiver.calls[0][2]["x-zm-request-timestamp"] == str(
        int(datetime(2026, 11, 25, 2, 50, tzinfo=UTC).timestamp())
    )
