"""The issue's story against the local Zoom emulator, tasks eager after commit as in `make demo`:
the applicant opens the mailed link, books a Zoom slot and receives the join URL with an invite; the
recruiter moves the slot and the applicant gets the new time; the meeting is deleted in Zoom, re-issued,
and the applicant gets the new URL. Nothing an applicant sees ever carries the host's start URL."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import icalendar
import pytest
from django.core import mail as django_mail
from django.test import Client
from django.urls import reverse

from booking.models import Booking
from notifications.models import MailKind, SentMail
from scheduling.models import MeetingState, Slot
from tests.applicants.factories import ApplicantFactory
from tests.helpers import client_for
from tests.scheduling.test_emulator_lifecycle import jst, link, new_slot, zoom_event

pytestmark = pytest.mark.django_db(transaction=True)

START_URL = re.compile(r"zak=|/s/\d")


def attachment_calendar(message) -> icalendar.Calendar:
    [part] = [
        p for p in message.attachments if getattr(p, "get_content_type", lambda: "")() == "text/calendar"
    ]
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def test_applicant_books_a_zoom_slot_by_the_mailed_link_and_follows_the_recruiters_changes(
    world, zoom_emulator
):
    emu = zoom_emulator
    link(world, emu)
    event = zoom_event(world)
    slot = new_slot(world, event, jst(5, 10))
    slot = Slot.objects.get(pk=slot.pk)
    assert slot.meeting_state == MeetingState.ISSUED
    applicant = ApplicantFactory(company=world.acme.company, name="佐藤 花子", email="hanako@example.jp")
    recruiter = client_for(world.acme.recruiter)

    # 日程選択案内 → the mailed link
    recruiter.post(
        reverse("booking_staff:applicant_invite", args=[applicant.pk]),
        {"events": [event.pk], "days": "30", "send_mail": "on"},
    )
    [invitation_mail] = [m for m in django_mail.outbox if "日程のご案内" in m.subject]
    url = re.search(r"http://testserver(/b/\S+/)", invitation_mail.body).group(1)

    # the applicant books on the phone
    phone = Client()
    assert "残り2席" in phone.get(url).content.decode()
    done = phone.post(f"{url}slots/{slot.pk}/", follow=True).content.decode()
    assert "ご予約が完了しました" in done and slot.join_url in done and slot.meeting_passcode in done
    booking = Booking.objects.get()
    [confirmation] = [m for m in django_mail.outbox if "ご予約完了" in m.subject]
    assert confirmation.to == ["hanako@example.jp"]
    assert slot.join_url in confirmation.body and f"パスコード: {slot.meeting_passcode}" in confirmation.body
    calendar = attachment_calendar(confirmation)
    assert calendar["METHOD"] == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    assert vevent.decoded("DTSTART") == slot.starts_at and vevent.decoded("SEQUENCE") == 0

    # the recruiter moves the slot: Zoom follows, the applicant gets the new time and an updated invite
    moved = slot.starts_at + timedelta(days=1, hours=3)
    local = moved.astimezone(world.acme.company.tzinfo)
    response = recruiter.post(
        reverse("scheduling:slot_edit", args=[slot.pk]),
        {
            "date": local.date().isoformat(),
            "start_time": local.strftime("%H:%M"),
            "end_time": (local + timedelta(hours=1)).strftime("%H:%M"),
            "capacity": "2",
            "visibility": "show",
        },
    )
    assert response.status_code == 302
    [meeting] = emu.meetings()
    assert meeting["start_time"] == moved.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    [change] = [m for m in django_mail.outbox if "予約内容変更" in m.subject]
    assert (
        f"{local:%H:%M}〜" in change.body and "変更前の日時" in change.body and slot.join_url in change.body
    )
    [vevent] = attachment_calendar(change).walk("VEVENT")
    assert vevent.decoded("DTSTART") == moved and vevent.decoded("SEQUENCE") == 1
    assert str(vevent["UID"]) == f"e2rpro-booking-{booking.pk}@testserver"

    # the meeting is deleted in Zoom (webhook); the recruiter re-issues; the applicant gets the new URL
    emu.delete_meeting_in_zoom(slot.meeting_id)
    assert Slot.objects.get(pk=slot.pk).meeting_state == MeetingState.DELETED
    recruiter.post(reverse("scheduling:slot_reissue", args=[slot.pk]))
    fresh = Slot.objects.get(pk=slot.pk)
    assert fresh.meeting_state == MeetingState.ISSUED and fresh.join_url != slot.join_url
    [url_changed] = [m for m in django_mail.outbox if "URL変更" in m.subject]
    assert fresh.join_url in url_changed.body and slot.join_url not in url_changed.body
    [vevent] = attachment_calendar(url_changed).walk("VEVENT")
    assert vevent.decoded("SEQUENCE") == 2 and str(vevent["LOCATION"]) == fresh.join_url
    assert fresh.join_url in phone.get(f"{url}bookings/{booking.pk}/").content.decode()

    # no start URL anywhere the applicant looks
    for message in django_mail.outbox:
        raw = message.message().as_string()
        assert not START_URL.search(raw), message.subject
    for page in ("", f"slots/{slot.pk}/", f"bookings/{booking.pk}/", f"bookings/{booking.pk}/cancel/"):
        assert not START_URL.search(phone.get(f"{url}{page}").content.decode())
    kinds = set(SentMail.objects.filter(applicant_id=applicant.pk).values_list("kind", flat=True))
    assert kinds == {
        MailKind.SCHEDULE_INVITATION,
        MailKind.BOOKING_CONFIRMED,
        MailKind.BOOKING_CHANGED,
        MailKind.URL_CHANGED,
    }
