"""The provider against the Google emulator: create (idempotent by the marker-derived id), get, patch,
delete, list, quota errors, refresh and invalid_grant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from google_meet.models import GoogleGrant, GrantStatus
from google_meet.provider import LIMITS, event_id
from tests.google_meet.helpers import CONNECT, HOST_EMAIL, PAGE
from tests.helpers import client_for
from web_meetings.errors import NotFound, NotLinked, ReauthorizationRequired, TemporaryError
from web_meetings.providers import MeetingSpec, provider_for

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 24, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo


def spec(marker: str = "e2rpro-slot:0001", **changes) -> MeetingSpec:
    values = {
        "topic": "一次面接（山田 太郎 様）",
        "start": START,
        "duration_minutes": 60,
        "time_zone": "Asia/Tokyo",
        "agenda": f"面接のご案内\n{marker}",
        "marker": marker,
        **changes,
    }
    return MeetingSpec(**values)


@pytest.fixture
def provider():
    return provider_for("google")


@pytest.fixture
def connection(provider, host_grant):
    return provider.connection(host_grant.company)


def test_the_provider_is_registered_with_its_interface(provider):
    assert provider.key == "google" and provider.display_name == "Google Meet"
    assert provider.settings_url() == PAGE
    assert LIMITS.daily_host_limit is None
    assert set(LIMITS.rates) == {"write", "read"} and LIMITS.rates["write"] <= 5
    operations = {"create_meeting", "get_meeting", "update_meeting", "delete_meeting", "list_user_meetings"}
    assert operations <= set(LIMITS.categories)
    assert set(LIMITS.categories.values()) <= set(LIMITS.rates)


def test_connection_needs_google_meet_linked(provider, google_world, google):
    with pytest.raises(NotLinked):
        provider.connection(google_world.acme.company)


def test_event_ids_are_base32hex_and_deterministic():
    first = event_id("e2rpro-slot:abc")
    assert first == event_id("e2rpro-slot:abc") != event_id("e2rpro-slot:abd")
    assert set(first) <= set("0123456789abcdefghijklmnopqrstuv") and 5 <= len(first) <= 1024


def test_create_makes_an_event_with_a_meet_and_a_second_create_finds_it(
    provider, connection, host_grant, google
):
    host = str(host_grant.pk)
    created = provider.create_meeting(connection, host_id=host, spec=spec())
    again = provider.create_meeting(connection, host_id=host, spec=spec())

    assert created.id == event_id("e2rpro-slot:0001") == again.id
    assert created.join_url.startswith("https://meet.google.com/") and again.join_url == created.join_url
    assert created.start == START and created.duration_minutes == 60
    assert "e2rpro-slot:0001" in (created.agenda or "")
    events = google.events(HOST_EMAIL)
    assert len(events) == 1
    inserts = [
        r for r in google.recorded if r.method == "POST" and r.path.endswith("/calendars/primary/events")
    ]
    assert len(inserts) == 2 and all(r.query.get("conferenceDataVersion") == "1" for r in inserts)
    # The lost-answer path: issuance looks the meeting up by marker.
    listed = provider.list_host_meetings(connection, host_id=host, marker="e2rpro-slot:0001")
    assert [m.id for m in listed] == [created.id]
    assert provider.list_host_meetings(connection, host_id=host, marker="e2rpro-slot:other") == []


def test_a_lost_insert_answer_is_retried_without_a_duplicate(provider, connection, host_grant, google):
    google.configure(faults=[{"group": "insert_event", "mode": "timeout", "after": True, "times": 1}])
    host = str(host_grant.pk)
    with pytest.raises(TemporaryError):
        provider.create_meeting(connection, host_id=host, spec=spec())
    created = provider.create_meeting(connection, host_id=host, spec=spec())
    assert created.join_url
    assert len(google.events(HOST_EMAIL)) == 1


def test_get_patch_delete(provider, connection, host_grant, google):
    host = str(host_grant.pk)
    created = provider.create_meeting(connection, host_id=host, spec=spec())
    moved = START + timedelta(hours=3)

    provider.update_meeting(
        connection, host_id=host, meeting_id=created.id, spec=spec(start=moved, duration_minutes=30)
    )
    fetched = provider.get_meeting(connection, host_id=host, meeting_id=created.id)
    assert fetched.start == moved and fetched.duration_minutes == 30
    assert provider.host_start_url(connection, host_id=host, meeting_id=created.id) == created.join_url

    provider.delete_meeting(connection, host_id=host, meeting_id=created.id)
    with pytest.raises(NotFound):
        provider.get_meeting(connection, host_id=host, meeting_id=created.id)
    with pytest.raises(NotFound):
        provider.delete_meeting(connection, host_id=host, meeting_id=created.id)
    with pytest.raises(NotFound):
        provider.get_meeting(connection, host_id=host, meeting_id="0" * 40)


@pytest.mark.parametrize(
    "fault",
    [
        {"group": "insert_event", "mode": "rate_limit", "times": 1},
        {"group": "insert_event", "mode": "rate_limit", "reason": "userRateLimitExceeded", "times": 1},
        {"group": "insert_event", "mode": "rate_limit", "status": 429, "times": 1},
        {"group": "insert_event", "mode": "status", "status": 503, "times": 1},
    ],
)
def test_quota_and_server_errors_are_temporary(provider, connection, host_grant, google, fault):
    google.configure(faults=[fault])
    with pytest.raises(TemporaryError):
        provider.create_meeting(connection, host_id=str(host_grant.pk), spec=spec())
    assert google.events(HOST_EMAIL) == []
    assert provider.create_meeting(connection, host_id=str(host_grant.pk), spec=spec()).join_url


def test_the_user_quota_answers_temporary(provider, connection, host_grant, google):
    google.configure(user_quota=1, quota_window=60)
    provider.create_meeting(connection, host_id=str(host_grant.pk), spec=spec("m-1"))
    with pytest.raises(TemporaryError) as caught:
        provider.create_meeting(connection, host_id=str(host_grant.pk), spec=spec("m-2"))
    assert caught.value.status == 403


def test_an_expiring_token_is_refreshed_once(provider, connection, host_grant, google):
    GoogleGrant.objects.filter(pk=host_grant.pk).update(expires_at=timezone.now() + timedelta(minutes=1))
    provider.create_meeting(connection, host_id=str(host_grant.pk), spec=spec("m-1"))
    provider.get_meeting(connection, host_id=str(host_grant.pk), meeting_id=event_id("m-1"))
    refreshes = [
        r for r in google.recorded if r.path == "/token" and r.form().get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 1
    host_grant.refresh_from_db()
    assert host_grant.expires_at > timezone.now() + timedelta(minutes=30)


def test_a_revoked_grant_becomes_error_mails_once_and_the_host_waits(
    provider, connection, host_grant, google, enabled, django_capture_on_commit_callbacks, caplog
):
    host = str(host_grant.pk)
    google.revoke(HOST_EMAIL)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ReauthorizationRequired) as caught:
        provider.create_meeting(connection, host_id=host, spec=spec())
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ReauthorizationRequired):
        provider.create_meeting(connection, host_id=host, spec=spec())

    host_grant.refresh_from_db()
    assert host_grant.status == GrantStatus.ERROR and not host_grant.refresh_token_encrypted
    assert "再連携が必要" in caught.value.message
    assert "再連携が必要" in provider.host_problem(enabled.acme.company.pk, host)
    assert [(h.id, h.usable) for h in provider.hosts(enabled.acme.company)] == [(host, False)]
    # Pages that name the event's host problem say to connect again, not to choose another host.
    [unusable] = provider.hosts(enabled.acme.company)
    assert unusable.problem == provider.host_problem(enabled.acme.company.pk, host)
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {enabled.acme.interviewer.email, enabled.acme.admin.email}
    assert "Googleアカウントの再連携が必要です" in mail.outbox[0].subject
    assert "/web-interview/google/connect/" in mail.outbox[0].body
    page = client_for(enabled.acme.admin).get(PAGE).content.decode()
    assert "エラー（再認可が必要）" in page

    # Connecting again makes the host usable under the same id.
    from tests.google_meet.helpers import connect_via_views

    with django_capture_on_commit_callbacks(execute=True):
        connect_via_views(google, client_for(enabled.acme.interviewer))
    assert provider.host_problem(enabled.acme.company.pk, host) == ""
    assert provider.create_meeting(connection, host_id=host, spec=spec()).join_url
    assert "連携中" in client_for(enabled.acme.interviewer).get(CONNECT).content.decode()


def test_a_host_of_another_company_is_not_found(provider, host_grant, google, enabled):
    from google_meet.models import GoogleMeetLink

    GoogleMeetLink.objects.create(company=enabled.other.company, status="linked")
    other = provider.connection(enabled.other.company)
    with pytest.raises(NotFound):
        provider.create_meeting(other, host_id=str(host_grant.pk), spec=spec())
    assert provider.host_problem(enabled.other.company.pk, str(host_grant.pk))
