"""Calendar push notifications: the watch channel, the receiver's checks, the incremental sync and the
meeting_changed signal for events moved or deleted in Google Calendar."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from google_meet import tasks
from google_meet.models import GoogleWatch, WatchStatus
from google_meet.provider import event_id
from tests.google_meet.helpers import HOST_EMAIL, NOTIFY
from web_meetings import signals
from web_meetings.crypto import decrypt_token
from web_meetings.errors import ReauthorizationRequired
from web_meetings.providers import MeetingSpec, provider_for

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 24, 1, 0, tzinfo=UTC)


@pytest.fixture
def changed():
    received: list[dict] = []

    def receiver(sender, **kwargs):
        kwargs.pop("signal")
        received.append(kwargs)

    signals.meeting_changed.connect(receiver, dispatch_uid="test-google-changed")
    yield received
    signals.meeting_changed.disconnect(dispatch_uid="test-google-changed")


@pytest.fixture
def meeting(host_grant, google, django_capture_on_commit_callbacks):
    provider = provider_for("google")
    spec = MeetingSpec(
        topic="一次面接", start=START, duration_minutes=60, time_zone="Asia/Tokyo", agenda="m", marker="m-1"
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = provider.create_meeting(
            provider.connection(host_grant.company), host_id=str(host_grant.pk), spec=spec
        )
    return created


def deliver(google, capture) -> list[tuple[str, int | None]]:
    with capture(execute=True):
        return google.deliver_notifications()


def test_sync_then_our_own_insert_are_answered_200_and_announce_the_new_event(
    meeting, google, changed, django_capture_on_commit_callbacks
):
    log = deliver(google, django_capture_on_commit_callbacks)
    assert log and all(status == 200 for _state, status in log)
    assert log[0][0] == "sync"
    assert [c["meeting_id"] for c in changed] == [meeting.id]
    assert changed[0]["change"] == "updated" and changed[0]["start"] == START


def test_an_event_moved_in_google_calendar_is_announced(
    meeting, google, changed, host_grant, django_capture_on_commit_callbacks
):
    deliver(google, django_capture_on_commit_callbacks)
    changed.clear()
    moved = START + timedelta(days=1, hours=2)

    google.move_event(meeting.id, moved, user=HOST_EMAIL)
    log = deliver(google, django_capture_on_commit_callbacks)

    assert log == [("exists", 200)]
    assert changed == [
        {
            "company": host_grant.company,
            "provider": "google",
            "meeting_id": meeting.id,
            "change": "updated",
            "start": moved,
            "duration_minutes": 60,
            "changed_at": changed[0]["changed_at"],
        }
    ]
    # The next sync token was stored: nothing is announced twice.
    changed.clear()
    tasks.sync_calendar(GoogleWatch.objects.get(grant=host_grant).pk)
    assert changed == []


def test_an_event_deleted_in_google_calendar_is_announced(
    meeting, google, changed, django_capture_on_commit_callbacks
):
    deliver(google, django_capture_on_commit_callbacks)
    changed.clear()
    google.delete_event(meeting.id, user=HOST_EMAIL)
    deliver(google, django_capture_on_commit_callbacks)
    assert [(c["meeting_id"], c["change"], c["start"]) for c in changed] == [(meeting.id, "deleted", None)]


def test_events_not_ours_are_not_announced(
    meeting, google, changed, host_grant, django_capture_on_commit_callbacks
):
    deliver(google, django_capture_on_commit_callbacks)
    changed.clear()
    from google_meet import services

    services.calendar_for(host_grant).request(
        "POST",
        "/calendars/primary/events",
        body={
            "summary": "私用",
            "start": {"dateTime": "2026-12-25T10:00:00", "timeZone": "Asia/Tokyo"},
            "end": {"dateTime": "2026-12-25T11:00:00", "timeZone": "Asia/Tokyo"},
        },
    )
    deliver(google, django_capture_on_commit_callbacks)
    assert changed == []


def test_an_expired_sync_token_lists_everything_again(
    meeting, google, changed, host_grant, django_capture_on_commit_callbacks
):
    deliver(google, django_capture_on_commit_callbacks)
    changed.clear()
    watch = GoogleWatch.objects.get(grant=host_grant)
    old_token = watch.sync_token
    google.invalidate_sync_tokens(HOST_EMAIL)
    google.move_event(meeting.id, START + timedelta(hours=5), user=HOST_EMAIL)
    deliver(google, django_capture_on_commit_callbacks)
    watch.refresh_from_db()
    assert watch.sync_token and watch.sync_token != old_token
    assert [(c["meeting_id"], c["start"]) for c in changed] == [(meeting.id, START + timedelta(hours=5))]


def test_a_receiver_that_fails_keeps_the_sync_token(
    meeting, google, host_grant, django_capture_on_commit_callbacks
):
    deliver(google, django_capture_on_commit_callbacks)
    watch = GoogleWatch.objects.get(grant=host_grant)
    before = watch.sync_token

    def failing(sender, **kwargs):
        raise RuntimeError("scheduling is down")

    signals.meeting_changed.connect(failing, dispatch_uid="test-google-failing")
    try:
        google.move_event(meeting.id, START + timedelta(hours=1), user=HOST_EMAIL)
        with pytest.raises(RuntimeError):
            tasks.sync_calendar(watch.pk)
    finally:
        signals.meeting_changed.disconnect(dispatch_uid="test-google-failing")
    watch.refresh_from_db()
    assert watch.sync_token == before


def test_a_wrong_token_or_unknown_channel_is_refused_and_the_token_is_not_logged(
    host_grant, google, caplog, django_capture_on_commit_callbacks
):
    watch = GoogleWatch.objects.get(grant=host_grant)
    caplog.set_level(logging.DEBUG)
    http = Client()
    headers = {"HTTP_X_GOOG_RESOURCE_STATE": "exists", "HTTP_X_GOOG_CHANNEL_ID": watch.channel_id}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        forged = http.post(NOTIFY, HTTP_X_GOOG_CHANNEL_TOKEN="forged-secret-token", **headers)
        unknown = http.post(
            NOTIFY,
            HTTP_X_GOOG_CHANNEL_ID="nope",
            HTTP_X_GOOG_CHANNEL_TOKEN="x",
            HTTP_X_GOOG_RESOURCE_STATE="exists",
        )
    assert forged.status_code == 404 and unknown.status_code == 404
    assert callbacks == []
    assert "forged-secret-token" not in caplog.text
    assert http.get(NOTIFY).status_code == 405
    # Neither tokens nor the channel token appear in the logs of the whole flow.
    for secret in (
        decrypt_token(host_grant.refresh_token_encrypted),
        decrypt_token(host_grant.access_token_encrypted),
    ):
        assert secret not in caplog.text


def test_the_channel_is_renewed_before_expiry_by_beat(host_grant, google, django_capture_on_commit_callbacks):
    watch = GoogleWatch.objects.get(grant=host_grant)
    assert tasks.renew_due_watches() == 0
    GoogleWatch.objects.filter(pk=watch.pk).update(expires_at=timezone.now() + timedelta(hours=3))
    old_channel = watch.channel_id

    assert tasks.renew_due_watches() == 1

    watch.refresh_from_db()
    assert watch.channel_id != old_channel and watch.status == WatchStatus.ACTIVE
    assert watch.expires_at > timezone.now() + timedelta(days=5)
    live = [c["id"] for c in google.channels() if c["live"]]
    assert live == [watch.channel_id]


def test_create_opens_the_channel_when_it_is_missing(host_grant, google, django_capture_on_commit_callbacks):
    GoogleWatch.objects.all().delete()
    provider = provider_for("google")
    spec = MeetingSpec(
        topic="面接", start=START, duration_minutes=30, time_zone="Asia/Tokyo", agenda="m", marker="m-2"
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = provider.create_meeting(
            provider.connection(host_grant.company), host_id=str(host_grant.pk), spec=spec
        )
    assert created.id == event_id("m-2")
    assert GoogleWatch.objects.get(grant=host_grant).status == WatchStatus.ACTIVE


def test_after_a_revoked_grant_is_connected_again_changes_are_announced_again(
    meeting, google, changed, host_grant, enabled, django_capture_on_commit_callbacks
):
    from tests.google_meet.helpers import connect_via_views
    from tests.helpers import client_for

    deliver(google, django_capture_on_commit_callbacks)
    google.revoke(HOST_EMAIL)
    assert not any(c["live"] for c in google.channels())
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ReauthorizationRequired):
        provider_for("google").get_meeting(
            provider_for("google").connection(host_grant.company),
            host_id=str(host_grant.pk),
            meeting_id=meeting.id,
        )
    with django_capture_on_commit_callbacks(execute=True):
        connect_via_views(google, client_for(enabled.acme.interviewer))
    watch = GoogleWatch.objects.get(grant=host_grant)
    assert [c["id"] for c in google.channels() if c["live"]] == [watch.channel_id]
    deliver(google, django_capture_on_commit_callbacks)
    changed.clear()

    google.move_event(meeting.id, START + timedelta(hours=2), user=HOST_EMAIL)
    deliver(google, django_capture_on_commit_callbacks)

    assert [(c["meeting_id"], c["start"]) for c in changed] == [(meeting.id, START + timedelta(hours=2))]


def test_a_failed_first_sync_keeps_the_opened_channel_and_the_next_notification_syncs(
    enabled, google, django_capture_on_commit_callbacks
):
    """Google opened the channel; a quota error on the first full sync must not lose our record of it."""
    from tests.google_meet.helpers import connect_via_views
    from tests.helpers import client_for

    google.configure(faults=[{"group": "list_events", "mode": "rate_limit", "times": 1}])
    with django_capture_on_commit_callbacks(execute=True):
        connect_via_views(google, client_for(enabled.acme.interviewer))

    watch = GoogleWatch.objects.get(grant__user=enabled.acme.interviewer)
    assert watch.status == WatchStatus.ACTIVE and watch.channel_id and watch.sync_token == ""
    assert [c["id"] for c in google.channels() if c.get("active", True)] == [watch.channel_id]

    tasks.sync_calendar(watch.pk)
    assert GoogleWatch.objects.get(pk=watch.pk).sync_token  # the next sync is a full one
