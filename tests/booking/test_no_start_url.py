"""The host's start URL (https://zoom.us/s/<id>?zak=…) never reaches an applicant: every applicant page and
every mail of a Zoom slot's booking life is rendered and searched for it."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client

from booking import invitations
from booking import services as booking_services
from notifications.models import SentMail
from notifications.reminders import run_reminder_sources
from scheduling import issuance, services, tasks
from scheduling.models import Slot
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import days_ahead, invite, link
from tests.scheduling.factories import SelectionMeetingFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db

START_URL = re.compile(r"zak=|/s/\d+")


def zoom_slot(event, capture, *, days: int, capacity: int = 1, issue: bool = True) -> Slot:
    starts = days_ahead(days, 10, tz=event.company.tzinfo)
    spec = services.SlotSpec(
        starts_at=starts, ends_at=starts + timedelta(hours=1), capacity=capacity, is_published=True
    )
    if not issue:
        with mock.patch.object(tasks, "enqueue", lambda *a, **k: 0):
            return services.create_slot(event=event, actor=None, spec=spec)
    with capture(execute=True):
        slot = services.create_slot(event=event, actor=None, spec=spec)
    return Slot.objects.get(pk=slot.pk)


def test_no_applicant_page_or_mail_of_a_zoom_booking_carries_a_start_url(
    world, linked, fake_zoom, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    company = world.acme.company
    event = ZoomEventFactory(
        selection_meeting=SelectionMeetingFactory(company=company, name="一次面接"),
        reminder_hours_before=72,
        meeting_host_id="zhost0002",
        meeting_host_email="interviewer@acme.example.com",
    )
    first = zoom_slot(event, capture, days=5)
    second = zoom_slot(event, capture, days=6)
    pending = zoom_slot(event, capture, days=7, issue=False)
    assert all(
        meeting["start_url"].startswith("https://zoom.us/s/") for meeting in fake_zoom.meetings.values()
    )
    applicant = ApplicantFactory(company=company, email="hanako@example.jp")
    rival = ApplicantFactory(company=company, email="rival@example.jp")
    invitation = invite(applicant, event)
    invitations.create_invitation(applicant=applicant, events=[event], actor=world.acme.recruiter)
    phone = Client()
    pages: list[str] = []

    def visit(suffix: str = "", method: str = "get") -> None:
        response = getattr(phone, method)(link(invitation, suffix), follow=True)
        pages.append(response.content.decode())

    booking_services.book_slot(slot=second, applicant=rival, actor=None, source="staff")  # second is full
    visit()
    visit(f"slots/{first.pk}/")
    visit(f"slots/{second.pk}/")
    visit(f"slots/{second.pk}/wait/", "post")
    visit(f"slots/{first.pk}/", "post")  # booked: the confirmation page with the join URL
    booking = applicant.bookings.get()
    visit(f"bookings/{booking.pk}/")
    visit(f"bookings/{booking.pk}/change/")
    visit(f"bookings/{booking.pk}/change/{pending.pk}/")
    visit(f"bookings/{booking.pk}/change/{pending.pk}/", "post")  # moved to a slot still without a URL
    with capture(execute=True):  # URL発行 (announced after commit)
        issuance.sync_slot_meeting(slot_id=pending.pk)
    visit(f"bookings/{booking.pk}/")
    with capture(execute=True):  # deleted in Zoom, re-issued: URL変更
        pending.refresh_from_db()
        del fake_zoom.meetings[pending.meeting_id]
        services.handle_meeting_change(
            company=company, provider="zoom", change="deleted", meeting_id=pending.meeting_id
        )
        services.reissue_slot_meeting(slot=pending, actor=world.acme.recruiter)
    with capture(execute=True):  # moved by staff: 予約変更
        pending.refresh_from_db()
        services.update_slot(
            slot=pending,
            actor=world.acme.recruiter,
            starts_at=pending.starts_at + timedelta(hours=2),
            ends_at=pending.ends_at + timedelta(hours=2),
            capacity=1,
            is_published=True,
        )
    pending.refresh_from_db()
    run_reminder_sources(now=pending.starts_at - timedelta(hours=71))  # リマインド
    visit(f"bookings/{booking.pk}/")
    visit(f"bookings/{booking.pk}/cancel/")
    visit(f"bookings/{booking.pk}/cancel/", "post")  # キャンセル
    visit(f"bookings/{booking.pk}/")
    phone.get(f"/b/{'x' * 40}/")

    applicant_mails = SentMail.objects.filter(applicant_id=applicant.pk)
    kinds = set(applicant_mails.values_list("kind", flat=True))
    assert kinds == {
        "schedule_invitation",
        "booking_confirmed",
        "booking_changed",
        "url_issued",
        "url_changed",
        "reminder",
        "booking_cancelled",
        "host_notice",  # the 面接官's notices name the applicant, so they are linked to them too
    }
    join_urls = [m["join_url"] for m in fake_zoom.meetings.values()]
    assert any(url in "".join(pages) for url in join_urls)  # the join URL is shown, so the pages are real
    for page in pages:
        assert not START_URL.search(page)
    for mail in SentMail.objects.all():  # applicants' mails, and the host notices too
        assert not START_URL.search(mail.subject + mail.body + mail.ics), mail.get_kind_display()
