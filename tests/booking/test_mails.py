"""Booking mails: the calendar invite, the slot's changes (moved, URL issued / changed), reminders, hosts."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import icalendar
import pytest
from django.utils import timezone

from booking import services as booking_services
from booking import slot_changes
from booking.models import Booking, BookingLog
from notifications.models import MailKind, SentMail
from notifications.reminders import run_reminder_sources
from scheduling import issuance, services, tasks
from scheduling.models import MeetingState, Slot
from tests.booking.helpers import days_ahead, slot_for, staff_book
from tests.scheduling.factories import SelectionMeetingFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db


def vevent(mail: SentMail) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(mail.ics)
    [event] = calendar.walk("VEVENT")
    return event


def mails(kind: str) -> list[SentMail]:
    return list(SentMail.objects.filter(kind=kind).order_by("pk"))


def test_the_confirmation_carries_an_invite_with_a_stable_uid_and_the_company_zone(slot, applicant, company):
    booking = staff_book(slot, applicant)

    [mail] = mails(MailKind.BOOKING_CONFIRMED)
    calendar = icalendar.Calendar.from_ical(mail.ics)
    event = vevent(mail)
    assert calendar["METHOD"] == "REQUEST" and mail.ics_method == "REQUEST"
    assert event["UID"] == f"e2rpro-booking-{booking.pk}@testserver"
    assert event.decoded("SEQUENCE") == 0
    assert event.decoded("DTSTART") == slot.starts_at and event.decoded("DTEND") == slot.ends_at
    assert "DTSTART;TZID=Asia/Tokyo:" in mail.ics and "BEGIN:VTIMEZONE" in mail.ics
    assert event["LOCATION"] == "東京本社 8F 面接室A"
    assert str(event["ATTENDEE"]) == f"mailto:{applicant.email}"
    assert "/b/" in str(event["URL"])
    local = timezone.localtime(slot.starts_at, company.tzinfo)
    assert f"{local.year}年{local.month}月{local.day}日" in mail.body and "14:00〜15:00" in mail.body
    assert "東京本社 8F 面接室A" in mail.body and "佐藤 花子 様" in mail.body


def test_every_change_keeps_the_uid_and_raises_the_sequence_and_cancel_says_cancel(slot, event, applicant):
    booking = staff_book(slot, applicant)
    booking_services.move_booking(booking=booking, slot=slot_for(event, days=7), actor=None)
    booking_services.cancel_booking(booking=booking, actor=None)

    confirmed, changed, cancelled = (
        mails(MailKind.BOOKING_CONFIRMED)[0],
        mails(MailKind.BOOKING_CHANGED)[0],
        mails(MailKind.BOOKING_CANCELLED)[0],
    )
    uids = {str(vevent(mail)["UID"]) for mail in (confirmed, changed, cancelled)}
    assert len(uids) == 1
    assert [vevent(mail).decoded("SEQUENCE") for mail in (confirmed, changed, cancelled)] == [0, 1, 2]
    assert icalendar.Calendar.from_ical(cancelled.ics)["METHOD"] == "CANCEL"
    assert vevent(cancelled)["STATUS"] == "CANCELLED"


def test_a_recruiter_moving_the_slot_sends_each_booked_applicant_the_new_time_and_invite(
    slot, applicant, other_applicant, world, django_capture_on_commit_callbacks, company
):
    first, second = staff_book(slot, applicant), staff_book(slot, other_applicant)
    moved = days_ahead(8, 16, tz=company.tzinfo)

    with django_capture_on_commit_callbacks(execute=True):
        services.update_slot(
            slot=slot,
            actor=world.acme.recruiter,
            starts_at=moved,
            ends_at=moved + timedelta(minutes=30),
            capacity=2,
            is_published=True,
        )

    changed = mails(MailKind.BOOKING_CHANGED)
    assert {mail.booking_id for mail in changed} == {first.pk, second.pk}
    for mail in changed:
        assert "16:00〜16:30" in mail.body and "変更前の日時" in mail.body and "14:00〜15:00" in mail.body
        event = vevent(mail)
        assert event.decoded("SEQUENCE") == 1 and event.decoded("DTSTART") == moved
    assert BookingLog.objects.filter(kind="slot_moved").count() == 2


def test_the_change_notice_is_sent_once_per_change_even_if_the_task_runs_twice(slot, applicant):
    staff_book(slot, applicant)
    details = {"previous_start": slot.starts_at.isoformat(), "previous_end": slot.ends_at.isoformat()}

    for _ in range(2):
        slot_changes.notify_slot_change(slot_id=slot.pk, reason="moved", change_id="c1", details=details)

    assert len(mails(MailKind.BOOKING_CHANGED)) == 1
    assert Booking.objects.get().ics_sequence == 1


# --- Zoom: URL発行 / URL変更 --------------------


@pytest.fixture
def zoom_event(company, linked):
    meeting = SelectionMeetingFactory(company=company, name="一次面接")
    return ZoomEventFactory(
        selection_meeting=meeting,
        name="Web面接",
        meeting_host_id="zhost0002",
        meeting_host_email="interviewer@acme.example.com",
    )


def zoom_slot(event, capture, days: int = 5):
    starts = days_ahead(days, 10, tz=event.company.tzinfo)
    with capture(execute=True):
        slot = services.create_slot(
            event=event,
            actor=None,
            spec=services.SlotSpec(
                starts_at=starts, ends_at=starts + timedelta(hours=1), capacity=3, is_published=True
            ),
        )
    return Slot.objects.get(pk=slot.pk)


def test_a_booking_of_an_issued_zoom_slot_mails_the_join_url_and_passcode(
    zoom_event, fake_zoom, applicant, django_capture_on_commit_callbacks
):
    slot = zoom_slot(zoom_event, django_capture_on_commit_callbacks)
    assert slot.meeting_state == MeetingState.ISSUED

    staff_book(slot, applicant)

    [mail] = mails(MailKind.BOOKING_CONFIRMED)
    assert slot.join_url in mail.body and "パスコード: Ab12Cd" in mail.body
    assert str(vevent(mail)["LOCATION"]) == slot.join_url
    assert "zak=" not in mail.body + mail.ics and "/s/" not in mail.body + mail.ics


def test_a_meeting_issued_after_the_booking_sends_the_url_by_mail(
    zoom_event, fake_zoom, applicant, django_capture_on_commit_callbacks
):
    with mock.patch.object(tasks, "enqueue", lambda *a, **k: 0):
        slot = zoom_slot(zoom_event, django_capture_on_commit_callbacks)
    assert slot.meeting_state == MeetingState.PENDING
    booking = staff_book(slot, applicant)
    [confirmed] = mails(MailKind.BOOKING_CONFIRMED)
    assert "発行され次第" in confirmed.body

    with django_capture_on_commit_callbacks(execute=True):  # slot_changed is announced after commit
        issuance.sync_slot_meeting(slot_id=slot.pk)

    slot.refresh_from_db()
    [issued] = mails(MailKind.URL_ISSUED)
    assert issued.booking_id == booking.pk and slot.join_url in issued.body and "Ab12Cd" in issued.body
    assert vevent(issued).decoded("SEQUENCE") == 1 and str(vevent(issued)["LOCATION"]) == slot.join_url
    # The timeline names no service: the same kind of line for Zoom, Teams and Google Meet.
    [logged] = BookingLog.objects.filter(booking=booking, kind="url_issued")
    assert logged.title.startswith("Web面接URL発行: ")


def test_a_meeting_deleted_in_zoom_and_reissued_sends_the_new_url(
    zoom_event, fake_zoom, applicant, world, django_capture_on_commit_callbacks
):
    slot = zoom_slot(zoom_event, django_capture_on_commit_callbacks)
    staff_book(slot, applicant)
    old_url = slot.join_url

    with django_capture_on_commit_callbacks(execute=True):
        del fake_zoom.meetings[slot.meeting_id]
        services.handle_meeting_change(
            company=slot.company, provider="zoom", change="deleted", meeting_id=slot.meeting_id
        )
    host_notice = SentMail.objects.filter(kind=MailKind.HOST_NOTICE, body__contains="再発行").get()
    assert host_notice.to_email == "interviewer@acme.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        services.reissue_slot_meeting(slot=slot, actor=world.acme.recruiter)

    slot.refresh_from_db()
    [changed] = mails(MailKind.URL_CHANGED)
    assert slot.join_url != old_url and slot.join_url in changed.body and old_url not in changed.body
    assert vevent(changed).decoded("SEQUENCE") == 1


def test_the_host_gets_notices_with_the_slot_page_and_never_a_start_url(
    zoom_event, fake_zoom, applicant, django_capture_on_commit_callbacks
):
    slot = zoom_slot(zoom_event, django_capture_on_commit_callbacks)
    booking = staff_book(slot, applicant)
    booking_services.cancel_booking(booking=booking, actor=None)

    notices = mails(MailKind.HOST_NOTICE)
    assert [("予約が入りました" in n.body, "キャンセル" in n.body) for n in notices] == [
        (True, False),
        (False, True),
    ]
    for notice in notices:
        assert f"/selection/slots/{slot.pk}/" in notice.body
        assert "zak=" not in notice.body and slot.join_url not in notice.body


# --- リマインド --------------------


@pytest.fixture
def reminding(event):
    event.reminder_hours_before = 48
    event.save()
    return event


def test_a_reminder_goes_out_once_when_its_time_comes_even_if_beat_runs_twice(
    reminding, applicant, django_capture_on_commit_callbacks
):
    slot = slot_for(reminding, days=5)
    booking = staff_book(slot, applicant)

    assert run_reminder_sources(now=timezone.now()) == 0  # not due yet
    later = slot.starts_at - timedelta(hours=47)
    with django_capture_on_commit_callbacks(execute=True):
        run_reminder_sources(now=later)
        run_reminder_sources(now=later + timedelta(minutes=5))

    [reminder] = mails(MailKind.REMINDER)
    assert reminder.booking_id == booking.pk and "東京本社 8F 面接室A" in reminder.body
    booking.refresh_from_db()
    assert booking.reminder_sent_at is not None


def test_a_booking_moved_after_its_reminder_gets_a_new_one(reminding, applicant):
    slot = slot_for(reminding, days=5)
    booking = staff_book(slot, applicant)
    run_reminder_sources(now=slot.starts_at - timedelta(hours=47))
    later = slot_for(reminding, days=9)
    booking_services.move_booking(booking=booking, slot=later, actor=None)

    run_reminder_sources(now=later.starts_at - timedelta(hours=47))

    assert len(mails(MailKind.REMINDER)) == 2


def test_a_booking_made_inside_the_reminder_window_gets_no_extra_reminder(reminding, applicant):
    soon = slot_for(reminding, days=1, hour=23)
    staff_book(soon, applicant)

    run_reminder_sources(now=timezone.now())

    assert mails(MailKind.REMINDER) == []
    assert len(mails(MailKind.BOOKING_CONFIRMED)) == 1


def test_a_cancelled_booking_is_not_reminded(reminding, applicant):
    slot = slot_for(reminding, days=5)
    booking_services.cancel_booking(booking=staff_book(slot, applicant), actor=None)

    run_reminder_sources(now=slot.starts_at - timedelta(hours=47))

    assert mails(MailKind.REMINDER) == []


def test_mails_stay_japanese_when_the_staff_member_works_in_english(slot, applicant, company):
    from django.utils import translation

    with translation.override("en"):
        staff_book(slot, applicant)

    [mail] = mails(MailKind.BOOKING_CONFIRMED)
    description = str(vevent(mail).get("DESCRIPTION", ""))
    assert "会場" in description and "Venue" not in description
    assert "予約の確認・変更・キャンセル" in description


def test_the_sender_name_is_japanese_in_any_language(company):
    from django.utils import translation

    from notifications.services import sender_address

    with translation.override("en"):
        assert "採用担当" in sender_address(company)
