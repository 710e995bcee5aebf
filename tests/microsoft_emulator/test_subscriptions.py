"""Change notifications: the validation handshake, subscription lifecycle, notifications with clientState
for changes behind the product's back, lifecycle notifications, retries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from microsoft_emulator.seed import OTHER_TENANT_ID

from .helpers import (
    HOOK,
    INTERVIEW,
    INTERVIEWER,
    LIFECYCLE_HOOK,
    RECRUITER,
    admin_consent_url,
    api,
    browse,
    client_credentials,
    subscription_body,
)


def subscribe(app, **extra):
    return app.api("POST", "/subscriptions", body=subscription_body(**extra))


def test_create_validates_both_urls_then_answers_201(app, receiver):
    response = subscribe(app)
    assert response.status == 201
    sub = response.json()
    assert sub["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity"
    assert sub["resource"] == f"/users/{INTERVIEWER}/events"
    assert sub["changeType"] == "created,updated,deleted"
    assert sub["clientState"] == "s3cr3t-client-state"
    assert sub["applicationId"] == app.emu.config.client_id
    assert sub["expirationDateTime"] == "2026-11-27T03:00:00.0000000Z"
    assert sub["lifecycleNotificationUrl"] == LIFECYCLE_HOOK
    assert [urlsplit(u)._replace(query="").geturl() for u in receiver.validations] == [HOOK, LIFECYCLE_HOOK]
    token = parse_qs(urlsplit(receiver.validations[0]).query)["validationToken"][0]
    assert token.startswith("Validation: Testing client application reachability")


def test_a_wrong_echo_a_json_answer_a_500_or_a_timeout_fail_the_create(app, emu, receiver):
    for mode, message in (
        ("wrong", "Response must exactly match validationToken"),
        ("json", "Response must exactly match validationToken"),
        ("500", "must respond with 200 OK"),
        ("timeout", "timed out"),
    ):
        receiver.validation = mode
        response = subscribe(app)
        assert response.status == 400, mode
        error = response.json()["error"]
        assert error["code"] == "ValidationError"
        assert message in error["message"]
    assert emu.subscriptions() == []


def test_without_any_receiver_the_handshake_fails(app, emu):
    assert subscribe(app).status == 400


def test_expiration_is_limited_to_4230_minutes_and_must_be_in_the_future(app, receiver):
    too_far = subscribe(app, expirationDateTime="2026-11-28T01:31:00Z")  # 4231 minutes
    assert too_far.status == 400
    assert "4230 minutes" in too_far.json()["error"]["message"]
    assert subscribe(app, expirationDateTime="2026-11-28T01:30:00Z").status == 201
    assert subscribe(app, expirationDateTime="2026-11-25T02:59:00Z").status == 400
    assert subscribe(app, resource="/users/x/messages").status == 400
    assert subscribe(app, changeType="moved").status == 400


def test_renew_list_reauthorize_and_delete(app, emu, receiver):
    sub_id = subscribe(app).json()["id"]
    renewed = app.api(
        "PATCH", f"/subscriptions/{sub_id}", body={"expirationDateTime": "2026-11-28T00:00:00Z"}
    )
    assert renewed.status == 200
    assert renewed.json()["expirationDateTime"] == "2026-11-28T00:00:00.0000000Z"
    assert [s["id"] for s in app.api("GET", "/subscriptions").json()["value"]] == [sub_id]
    assert app.api("POST", f"/subscriptions/{sub_id}/reauthorize").status == 204
    assert app.api("DELETE", f"/subscriptions/{sub_id}").status == 204
    assert app.api("GET", f"/subscriptions/{sub_id}").status == 404


def test_an_expired_subscription_is_gone_and_gets_no_notifications(app, emu, receiver):
    sub_id = subscribe(app).json()["id"]
    event_id = app.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW).json()["id"]
    emu.advance(3 * 86400)
    fresh = client_credentials(emu).json()["access_token"]
    assert api(emu, "GET", f"/subscriptions/{sub_id}", fresh).status == 404
    emu.deliver_notifications()
    receiver.calls.clear()
    emu.delete_event(event_id)
    emu.deliver_notifications()
    assert receiver.calls == []


def test_another_tenant_cannot_see_the_subscription(app, emu, receiver):
    sub_id = subscribe(app).json()["id"]
    browse(emu, admin_consent_url(emu), email="admin@other.example.com")
    other = client_credentials(emu, tenant=OTHER_TENANT_ID).json()["access_token"]
    assert api(emu, "GET", f"/subscriptions/{sub_id}", other).status == 404
    assert api(emu, "GET", "/subscriptions", other).json()["value"] == []


def test_changes_through_the_api_are_notified_with_the_client_state(app, emu, receiver):
    sub_id = subscribe(app).json()["id"]
    event = app.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW).json()
    app.api("PATCH", f"/users/{INTERVIEWER}/events/{event['id']}", body={"subject": "変更"})
    app.api("DELETE", f"/users/{INTERVIEWER}/events/{event['id']}")
    app.api("POST", f"/users/{RECRUITER}/events", body=INTERVIEW)  # another calendar: not subscribed
    assert emu.deliver_notifications() == [("created", 202), ("updated", 202), ("deleted", 202)]
    items = receiver.items(HOOK)
    assert [i["changeType"] for i in items] == ["created", "updated", "deleted"]
    first = items[0]
    assert first["subscriptionId"] == sub_id
    assert first["clientState"] == "s3cr3t-client-state"
    assert first["tenantId"] == emu.tenant_id
    assert first["resource"] == f"Users/{INTERVIEWER}/Events/{event['id']}"
    assert first["resourceData"]["id"] == event["id"]
    assert first["resourceData"]["@odata.type"] == "#Microsoft.Graph.Event"
    assert first["subscriptionExpirationDateTime"] == "2026-11-27T03:00:00.0000000Z"
    assert receiver.calls[0][2]["Content-Type"].startswith("application/json")


def test_change_types_filter_what_is_sent(app, emu, receiver):
    subscribe(app, changeType="updated,deleted")
    event_id = app.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW).json()["id"]
    emu.move_event(event_id, datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    assert [e for e, _ in emu.deliver_notifications()] == ["updated"]


def test_a_move_behind_the_back_is_notified_and_visible_through_graph(app, emu, receiver):
    subscribe(app)
    event = app.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW).json()
    emu.deliver_notifications()
    receiver.calls.clear()
    emu.move_event(event["id"], datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    emu.deliver_notifications()
    [item] = receiver.items()
    assert item["changeType"] == "updated"
    assert item["resourceData"]["@odata.etag"] != event["@odata.etag"]
    moved = app.api("GET", f"/users/{INTERVIEWER}/events/{event['id']}").json()
    assert moved["start"]["dateTime"] == "2026-12-01T06:00:00.0000000"
    assert moved["end"]["dateTime"] == "2026-12-01T07:00:00.0000000"  # the length is kept


def test_failed_deliveries_are_retried_on_the_schedule(app, emu, receiver):
    subscribe(app)
    receiver.status = 500
    app.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW)
    assert emu.deliver_notifications() == [("created", 500)]
    assert emu.deliver_notifications() == []  # not due yet
    emu.advance(5)
    receiver.status = 202
    assert emu.deliver_notifications() == [("created", 202)]
    assert emu.pending_notifications() == []


def test_consent_withdrawal_sends_lifecycle_notifications_and_removes_subscriptions(app, emu, receiver):
    sub_id = subscribe(app).json()["id"]
    emu.revoke_consent()
    emu.deliver_notifications()
    items = receiver.items(LIFECYCLE_HOOK)
    assert [i["lifecycleEvent"] for i in items] == ["reauthorizationRequired", "subscriptionRemoved"]
    assert items[0]["subscriptionId"] == sub_id
    assert items[0]["clientState"] == "s3cr3t-client-state"
    assert emu.subscriptions() == []
    assert app.api("GET", "/subscriptions").status == 401


def test_lifecycle_notifications_on_demand(app, emu, receiver):
    sub_id = subscribe(app).json()["id"]
    response = emu.handle(
        "POST",
        f"/_emulator/subscriptions/{sub_id}/lifecycle",
        "",
        {"Content-Type": "application/json"},
        json.dumps({"event": "missed"}),
    )
    assert response.json() == {"queued": True}
    emu.deliver_notifications()
    assert receiver.items(LIFECYCLE_HOOK)[0]["lifecycleEvent"] == "missed"
    bad = emu.handle("POST", f"/_emulator/subscriptions/{sub_id}/lifecycle", "", {}, '{"event": "boom"}')
    assert bad.status == 400


def test_without_a_lifecycle_url_no_lifecycle_notification_is_sent(app, emu, receiver):
    body = subscription_body()
    del body["lifecycleNotificationUrl"]
    sub_id = app.api("POST", "/subscriptions", body=body).json()["id"]
    assert emu.trigger_lifecycle(sub_id, "reauthorizationRequired") is False
