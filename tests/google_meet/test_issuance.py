"""Slots of a Google Meet event through scheduling's issuance, against the in-process Google emulator: one
Meet event per shown slot on the host's calendar (never two), a move in Google Calendar shown on the slot, the
applicant mailed the Meet link, and a revoked grant making the slot wait with the reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from scheduling import issuance, services
from scheduling.models import MeetingState, Slot, WaitReason
from scheduling.services import SlotSpec
from tests.google_meet.helpers import HOST_EMAIL
from tests.helpers import client_for
from tests.scheduling.factories import SelectionMeetingFactory
from web_meetings.providers import provider_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def google_event(host_grant, enabled):
    [host] = [h for h in provider_for("google").hosts(enabled.acme.company) if h.email == HOST_EMAIL]
    meeting = SelectionMeetingFactory(company=enabled.acme.company, name="一次面接")
    return services.create_event(
        selection_meeting=meeting,
        actor=enabled.acme.recruiter,
        settings={
            "name": "Web面接",
            "web_meeting": "google",
            "meeting_host_id": host.id,
            "meeting_host_email": host.email,
            "meeting_host_name": host.name,
        },
    )


def run(slot: Slot) -> Slot:
    for _ in range(5):
        if issuance.sync_slot_meeting(slot_id=slot.pk).status != "retry":
            break
    return Slot.all_objects.get(pk=slot.pk)


@pytest.fixture
def publish(enabled, django_capture_on_commit_callbacks):
    def create(event) -> Slot:
        local = timezone.localtime(timezone.now()) + timedelta(days=3)
        starts = local.replace(hour=10, minute=0, second=0, microsecond=0)
        spec = SlotSpec(
            starts_at=starts, ends_at=starts + timedelta(minutes=60), capacity=2, is_published=True
        )
        with django_capture_on_commit_callbacks(execute=True):
            slot = services.create_slot(event=event, actor=enabled.acme.recruiter, spec=spec)
        return run(slot)

    return create


def test_a_shown_slot_gets_one_meet_event_on_the_hosts_calendar(google_event, publish, google):
    slot = publish(google_event)

    assert slot.meeting_state == MeetingState.ISSUED and slot.meeting_provider == "google"
    [event] = google.events()
    assert event["id"] == slot.meeting_id and event["user"] == HOST_EMAIL
    assert slot.join_url == event["meetUrl"] and slot.join_url.startswith("https://meet.google.com/")

    Slot.all_objects.filter(pk=slot.pk).update(
        meeting_id=None, join_url="", meeting_state=MeetingState.PENDING, create_in_doubt=True
    )
    assert run(slot).meeting_id == event["id"]  # the answer was lost: found again, not made twice
    assert len(google.events()) == 1


def test_a_move_in_google_calendar_shows_on_the_slot(
    google_event, publish, google, django_capture_on_commit_callbacks
):
    slot = publish(google_event)
    moved_to = slot.starts_at + timedelta(hours=3)

    google.move_event(slot.meeting_id, moved_to, user=HOST_EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        google.deliver_notifications()

    flagged = Slot.all_objects.get(pk=slot.pk)
    assert flagged.meeting_out_of_sync and flagged.meeting_start == moved_to
    page = client_for(google_event.company.users.get(role="recruiter")).get(
        reverse("scheduling:slot_detail", args=[slot.pk])
    )
    assert "Google Meet上で日時が変更されています" in page.content.decode()


def test_the_booked_applicant_is_mailed_the_meet_link(
    google_event, publish, enabled, django_capture_on_commit_callbacks
):
    from booking import services as booking_services
    from booking.models import BookingSource
    from tests.applicants.factories import ApplicantFactory

    slot = publish(google_event)
    applicant = ApplicantFactory(company=enabled.acme.company, email="hanako@example.com")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.book_slot(
            slot=slot, applicant=applicant, actor=enabled.acme.recruiter, source=BookingSource.STAFF
        )

    [message] = [m for m in mail.outbox if "hanako@example.com" in m.to]
    assert f"Google MeetミーティングURL: {slot.join_url}" in message.body


def test_a_revoked_grant_makes_the_slot_wait_with_the_reason(google_event, publish, google):
    google.revoke(HOST_EMAIL)

    slot = publish(google_event)

    assert slot.meeting_state == MeetingState.PENDING and slot.wait_reason == WaitReason.LINK
    assert "Googleアカウント" in slot.meeting_error
    assert [e for e in google.events() if e["status"] != "cancelled"] == []
