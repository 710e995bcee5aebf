"""Graph change notifications: the validation handshake, clientState checks, storage once, the
meeting_changed signal, lifecycle events and consent withdrawal."""

from __future__ import annotations

import json
import logging
from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from teams_integration import tasks
from teams_integration.models import (
    ConnectionStatus,
    GraphNotification,
    GraphSubscription,
    TeamsConnection,
)
from tests.teams_integration.helpers import INTERVIEWER_ID, LIFECYCLE, NOTIFY
from web_meetings import signals
from web_meetings.providers import MeetingSpec, provider_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed():
    """The meeting_changed signals sent (a test receiver, as scheduling connects one)."""
    received: list[dict] = []

    def receiver(sender, **kwargs):
        kwargs.pop("signal")
        received.append(kwargs)

    signals.meeting_changed.connect(receiver, dispatch_uid="test-teams-changed")
    yield received
    signals.meeting_changed.disconnect(dispatch_uid="test-teams-changed")


@pytest.fixture
def meeting(linked, ms, django_capture_on_commit_callbacks):
    """A Teams meeting on the interviewer's calendar, its calendar subscribed."""
    start = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    spec = MeetingSpec(
        topic="一次面接", start=start, duration_minutes=60, time_zone="Asia/Tokyo", agenda="m", marker="m-1"
    )
    provider = provider_for("teams")
    with django_capture_on_commit_callbacks(execute=True):
        created = provider.create_meeting(
            provider.connection(linked.company), host_id=INTERVIEWER_ID, spec=spec
        )
    assert GraphSubscription.objects.get(host_id=INTERVIEWER_ID).subscription_id
    return created


def deliver(ms, capture) -> list[tuple[str, int | None]]:
    with capture(execute=True):
        return ms.deliver_notifications()


def test_the_validation_handshake_echoes_the_token_as_plain_text():
    response = Client().post(
        f"{NOTIFY}?validationToken=Validation%3A+Testing+client+%26+%E6%97%A5",
        data=b"",
        content_type="text/plain",
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "Validation: Testing client & 日"
    assert Client().post(f"{LIFECYCLE}?validationToken=abc", content_type="text/plain").content == b"abc"


def test_a_move_in_outlook_sends_meeting_changed_with_the_new_time(
    meeting, ms, changed, linked, django_capture_on_commit_callbacks
):
    new_start = (meeting.start + timedelta(days=1)).astimezone(UTC)
    ms.move_event(meeting.id, new_start)

    attempts = deliver(ms, django_capture_on_commit_callbacks)

    assert ("updated", 202) in attempts
    assert changed == [
        {
            "company": linked.company,
            "provider": "teams",
            "meeting_id": meeting.id,
            "change": "updated",
            "start": new_start,
            "duration_minutes": 60,
        }
    ]
    stored = GraphNotification.objects.get()
    assert stored.processed_at is not None and "clientState" not in stored.payload


def test_a_delete_in_outlook_sends_deleted(meeting, ms, changed, django_capture_on_commit_callbacks):
    ms.delete_event(meeting.id)

    deliver(ms, django_capture_on_commit_callbacks)

    assert [(c["meeting_id"], c["change"], c["start"]) for c in changed] == [(meeting.id, "deleted", None)]


def test_an_update_for_an_event_gone_meanwhile_is_deleted(
    meeting, ms, changed, django_capture_on_commit_callbacks
):
    ms.move_event(meeting.id, meeting.start + timedelta(hours=1))
    with ms.lock:
        ms.state["events"].pop(meeting.id)  # gone before we fetch it (no second notification)

    deliver(ms, django_capture_on_commit_callbacks)

    assert [c["change"] for c in changed] == ["deleted"]


def recording(ms) -> list[tuple[str, bytes]]:
    """Record what Graph POSTs (url, body) while still delivering it to the site."""
    seen: list[tuple[str, bytes]] = []
    send = ms.notification_sender

    def sender(url, body, headers):
        seen.append((url, body))
        return send(url, body, headers)

    ms.notification_sender = sender
    return seen


def post_json(path: str, payload: dict | bytes):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Client().generic("POST", path, data=body, content_type="application/json")


def test_a_redelivered_notification_is_stored_and_handled_once(
    meeting, ms, changed, django_capture_on_commit_callbacks
):
    seen = recording(ms)
    ms.move_event(meeting.id, meeting.start + timedelta(hours=1))
    deliver(ms, django_capture_on_commit_callbacks)
    [(_url, body)] = seen

    with django_capture_on_commit_callbacks(execute=True):
        again = post_json(NOTIFY, body)

    assert again.status_code == 202
    assert GraphNotification.objects.count() == 1 and len(changed) == 1


def test_a_wrong_client_state_is_ignored_and_not_logged(
    meeting, ms, changed, caplog, django_capture_on_commit_callbacks
):
    seen = recording(ms)
    ms.move_event(meeting.id, meeting.start + timedelta(hours=1))
    deliver(ms, django_capture_on_commit_callbacks)
    GraphNotification.objects.all().delete()
    changed.clear()
    forged = json.loads(seen[0][1])
    forged["value"][0]["clientState"] = "forged-secret-value"
    forged["value"][0]["resourceData"]["@odata.etag"] = 'W/"other"'
    caplog.set_level(logging.INFO)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(NOTIFY, forged)

    assert response.status_code == 202
    assert not GraphNotification.objects.exists() and changed == []
    assert "clientState mismatch" in caplog.text and "forged-secret-value" not in caplog.text


def test_the_client_state_is_stored_only_as_a_hash(meeting, ms):
    [remote] = ms.subscriptions()
    row = GraphSubscription.objects.get()
    secret = ms.state["subscriptions"][remote["id"]]["client_state"]
    assert secret and secret not in row.client_state_hash and len(row.client_state_hash) == 64


def test_a_malformed_body_is_refused():
    assert post_json(NOTIFY, b"not json").status_code == 400
    assert post_json(NOTIFY, {"value": "x"}).status_code == 400


def test_unknown_subscriptions_are_ignored():
    response = post_json(
        NOTIFY, {"value": [{"subscriptionId": "nope", "clientState": "x", "changeType": "updated"}]}
    )

    assert response.status_code == 202 and not GraphNotification.objects.exists()


def test_reauthorization_required_reauthorizes_the_subscription(
    meeting, ms, django_capture_on_commit_callbacks
):
    [remote] = ms.subscriptions()
    ms.recorded.clear()
    ms.trigger_lifecycle(remote["id"], "reauthorizationRequired")

    deliver(ms, django_capture_on_commit_callbacks)

    assert any(r.path.endswith(f"/subscriptions/{remote['id']}/reauthorize") for r in ms.recorded)
    assert GraphNotification.objects.get().result == "reauthorized"


def test_subscription_removed_while_linked_recreates_it(meeting, ms, django_capture_on_commit_callbacks):
    [remote] = ms.subscriptions()
    ms.trigger_lifecycle(remote["id"], "subscriptionRemoved")

    deliver(ms, django_capture_on_commit_callbacks)

    [recreated] = ms.subscriptions()
    assert recreated["id"] != remote["id"]
    row = GraphSubscription.objects.get()
    assert row.subscription_id == recreated["id"] and row.status == "active"


def test_withdrawn_consent_turns_the_link_to_error_once(
    meeting, ms, linked, teams_world, django_capture_on_commit_callbacks
):
    ms.revoke_consent()  # reauthorizationRequired then subscriptionRemoved

    attempts = deliver(ms, django_capture_on_commit_callbacks)

    assert [a[0] for a in attempts] == ["reauthorizationRequired", "subscriptionRemoved"]
    assert all(status == 202 for _, status in attempts)
    connection = TeamsConnection.objects.get(pk=linked.pk)
    assert connection.status == ConnectionStatus.ERROR
    assert len(mail.outbox) == 1
    assert GraphSubscription.objects.get().status == "removed"
    assert ms.subscriptions() == []


def test_withdrawn_consent_found_by_subscription_removed_alone_turns_the_link_to_error_once(
    meeting, ms, linked, teams_world, django_capture_on_commit_callbacks
):
    # Two workers take the two lifecycle notifications; say subscriptionRemoved is handled first (or alone,
    # reauthorizationRequired's handling having failed). Recreating the subscription fails at the token fetch
    # inside the subscription's block: the link's エラー must outlive that block's rollback.
    ms.revoke_consent()
    with django_capture_on_commit_callbacks(execute=False):  # stored, not yet handled
        ms.deliver_notifications()
    removed, reauthorize = (
        GraphNotification.objects.get(change_type=change).pk
        for change in ("subscriptionRemoved", "reauthorizationRequired")
    )

    with django_capture_on_commit_callbacks(execute=True):
        tasks.process_notification(removed)

    connection = TeamsConnection.objects.get(pk=linked.pk)
    assert connection.status == ConnectionStatus.ERROR and connection.last_error
    assert len(mail.outbox) == 1
    assert GraphSubscription.objects.get().status == "removed"

    with django_capture_on_commit_callbacks(execute=True):
        tasks.process_notification(reauthorize)

    assert TeamsConnection.objects.get(pk=linked.pk).status == ConnectionStatus.ERROR
    assert len(mail.outbox) == 1
    assert not GraphNotification.objects.filter(processed_at__isnull=True).exists()


def test_renewal_patches_subscriptions_close_to_expiry(meeting, ms, linked):
    row = GraphSubscription.objects.get()
    GraphSubscription.objects.filter(pk=row.pk).update(expires_at=timezone.now() + timedelta(hours=2))
    ms.recorded.clear()

    assert tasks.renew_due_subscriptions() == 1

    patch = next(r for r in ms.recorded if r.method == "PATCH")
    assert patch.path.endswith(f"/subscriptions/{row.subscription_id}")
    renewed = GraphSubscription.objects.get(pk=row.pk)
    assert renewed.subscription_id == row.subscription_id
    assert renewed.expires_at > timezone.now() + timedelta(days=2)


def test_a_renewal_locks_the_links_row_before_the_subscriptions(meeting, ms, linked):
    """The order every other path takes (linking, unlinking, lifecycle notices): the renewal's token fetch
    locks the link's row, and an unlink deletes subscriptions under it, so the reverse order deadlocks."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not connection.features.has_select_for_update:
        pytest.skip("row locks are PostgreSQL's")
    GraphSubscription.objects.update(expires_at=timezone.now() + timedelta(hours=2))

    with CaptureQueriesContext(connection) as captured:
        assert tasks.ensure_subscription(linked.company_id, INTERVIEWER_ID)

    locked = [q["sql"].split(" FROM ")[1].split()[0] for q in captured if q["sql"].endswith("FOR UPDATE")]
    assert locked[:2] == ['"teams_integration_teamsconnection"', '"teams_integration_graphsubscription"']


def test_ensure_is_idempotent(meeting, ms, linked):
    ms.recorded.clear()

    assert tasks.ensure_subscription(linked.company_id, INTERVIEWER_ID)

    assert not [r for r in ms.recorded if "/subscriptions" in r.path]
    assert len(ms.subscriptions()) == 1


def test_a_failed_handling_stays_unprocessed_and_is_retried(
    meeting, ms, changed, django_capture_on_commit_callbacks
):
    ms.move_event(meeting.id, meeting.start + timedelta(hours=1))
    ms.configure(faults=[{"group": "get_event", "mode": "status", "status": 503, "times": 1}])

    deliver(ms, django_capture_on_commit_callbacks)

    stored = GraphNotification.objects.get()
    assert stored.processed_at is None and stored.attempts == 1 and changed == []
    GraphNotification.objects.filter(pk=stored.pk).update(
        received_at=timezone.now() - timedelta(minutes=5),
        last_attempt_at=timezone.now() - timedelta(minutes=2),
    )

    assert tasks.process_pending_notifications() == 1

    assert GraphNotification.objects.get().processed_at is not None and len(changed) == 1
