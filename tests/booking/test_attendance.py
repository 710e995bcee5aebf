"""出欠 (attendance): recorded from the slot page by staff for many bookings at once, and by a 面接官 for the
slots they interview; only for active bookings of slots that have started. Each change writes the booking
history (the applicant's timeline) and the audit log; the booking page shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from booking import attendance
from booking import services as booking_services
from booking.models import Attendance, Booking, BookingLog, BookingLogKind
from booking.rules import BookingError
from booking.timeline import booking_items
from scheduling.models import Slot
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import slot_for, staff_book
from tests.helpers import client_for
from tests.scheduling.factories import SelectionMeetingFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db


def started(slot: Slot, minutes: int = 10) -> Slot:
    """Move a booked slot so it started ``minutes`` ago (bookings are only made for future slots)."""
    starts = timezone.now() - timedelta(minutes=minutes)
    Slot.all_objects.filter(pk=slot.pk).update(starts_at=starts, ends_at=starts + timedelta(hours=1))
    slot.refresh_from_db()
    return slot


def url(slot: Slot) -> str:
    return reverse("booking_staff:slot_attendance", args=[slot.pk])


def marks(*pairs: tuple[Booking, str], **extra: str) -> dict:
    """The slot form's body: a hidden ``booking`` and an ``attendance`` select per row, in order."""
    return {"booking": [str(b.pk) for b, _v in pairs], "attendance": [v for _b, v in pairs], **extra}


def row(booking: Booking) -> str:
    return f'name="booking" value="{booking.pk}"'


@pytest.fixture
def two_booked(slot, applicant, other_applicant):
    first, second = staff_book(slot, applicant), staff_book(slot, other_applicant)
    started(slot)
    return first, second


@pytest.fixture
def hosted_slot(company, linked):
    """A slot of a Zoom event hosted by world.acme.interviewer (zhost0002 has their email)."""
    meeting = SelectionMeetingFactory(company=company, name="二次面接")
    event = ZoomEventFactory(
        selection_meeting=meeting,
        name="Web面接",
        meeting_host_id="zhost0002",
        meeting_host_email="interviewer@acme.example.com",
    )
    return slot_for(event, capacity=3)


# --- the service -------------------------------------------------------------------------------------


def test_recording_writes_the_booking_the_history_and_the_audit_log(world, two_booked):
    booking, _other = two_booked
    recruiter = world.acme.recruiter

    changed = attendance.record_attendance(booking=booking, attendance=Attendance.LATE, actor=recruiter)

    booking.refresh_from_db()
    assert changed is True
    assert booking.attendance == Attendance.LATE
    assert booking.attendance_recorded_by == recruiter and booking.attendance_recorded_at is not None
    log = BookingLog.objects.get(booking=booking, kind=BookingLogKind.ATTENDANCE)
    assert log.title.startswith("出欠: 一次面接 / 対面面接") and "未記録 → 遅刻" in log.body
    entry = AuditEntry.objects.get(action="booking.attendance_recorded")
    assert entry.details["attendance"] == "late" and entry.details["previous"] == ""
    # Recording the same again changes nothing and writes nothing.
    assert attendance.record_attendance(booking=booking, attendance=Attendance.LATE, actor=recruiter) is False
    assert BookingLog.objects.filter(kind=BookingLogKind.ATTENDANCE).count() == 1


def test_back_to_not_recorded_clears_who_and_when(world, two_booked):
    booking, _other = two_booked
    attendance.record_attendance(booking=booking, attendance=Attendance.ABSENT, actor=world.acme.recruiter)

    attendance.record_attendance(booking=booking, attendance="", actor=world.acme.recruiter)

    booking.refresh_from_db()
    assert booking.attendance == "" and booking.attendance_recorded_at is None
    assert booking.attendance_recorded_by is None
    assert BookingLog.objects.filter(kind=BookingLogKind.ATTENDANCE).count() == 2


def test_before_the_slot_starts_attendance_is_refused(world, slot, applicant):
    booking = staff_book(slot, applicant)

    with pytest.raises(BookingError) as refused:
        attendance.record_attendance(booking=booking, attendance=Attendance.ATTENDED, actor=world.acme.admin)

    assert refused.value.code == "not_started" and "開始前" in refused.value.messages[0]
    booking.refresh_from_db()
    assert booking.attendance == "" and not BookingLog.objects.filter(kind=BookingLogKind.ATTENDANCE).exists()


def test_a_cancelled_booking_takes_no_attendance(world, slot, applicant):
    booking = staff_book(slot, applicant)
    booking_services.cancel_booking(booking=booking, actor=world.acme.recruiter, notify=False)
    started(slot)

    with pytest.raises(BookingError) as refused:
        attendance.record_attendance(booking=booking, attendance=Attendance.ATTENDED, actor=world.acme.admin)

    assert refused.value.code == "cancelled"
    assert Booking.objects.get(pk=booking.pk).attendance == ""


def test_an_unknown_value_is_refused(world, two_booked):
    with pytest.raises(BookingError):
        attendance.record_attendance(booking=two_booked[0], attendance="present", actor=world.acme.admin)


def test_one_refused_booking_refuses_the_whole_batch(world, two_booked, event, company):
    first, _second = two_booked
    later = staff_book(slot_for(event, days=3), ApplicantFactory(company=company))

    with pytest.raises(BookingError):
        attendance.record_attendances(
            marks={first.pk: Attendance.ATTENDED, later.pk: Attendance.ATTENDED}, actor=world.acme.admin
        )

    assert not Booking.objects.exclude(attendance="").exists()


# --- the slot page ---------------------------------------------------------------------------------


def test_the_slot_page_offers_one_select_per_active_booking_once_started(world, two_booked, slot):
    first, second = two_booked

    page = client_for(world.acme.recruiter).get(reverse("scheduling:slot_detail", args=[slot.pk]))

    content = page.content.decode()
    assert url(slot) in content and "一括で出席" in content
    assert row(first) in content and row(second) in content and " disabled" not in content.split(url(slot))[1]


def test_before_the_start_the_attendance_form_is_disabled_and_says_when(world, slot, applicant):
    booking = staff_book(slot, applicant)

    content = client_for(world.acme.recruiter).get(reverse("scheduling:slot_detail", args=[slot.pk]))

    form = content.content.decode().split(url(slot))[1].split("</form>")[0]
    assert f"{row(booking)} disabled" in form and '<select name="attendance"' in form
    assert "出欠は日程の開始後に記録できます。" in form


def test_staff_mark_many_at_once_and_mark_all_fills_the_rest_with_attended(world, slot, company, applicant):
    bookings = [staff_book(slot_capacity(slot, 3), applicant)]
    bookings += [staff_book(slot, ApplicantFactory(company=company)) for _ in range(2)]
    started(slot)

    response = client_for(world.acme.recruiter).post(
        url(slot),
        marks((bookings[0], ""), (bookings[1], Attendance.NO_SHOW), (bookings[2], ""), mark_all="1"),
    )

    assert response.status_code == 302
    values = dict(Booking.objects.filter(slot=slot).values_list("pk", "attendance"))
    assert values == {bookings[0].pk: "attended", bookings[1].pk: "no_show", bookings[2].pk: "attended"}
    assert AuditEntry.objects.filter(action="booking.attendance_recorded").count() == 3


def slot_capacity(slot: Slot, capacity: int) -> Slot:
    Slot.all_objects.filter(pk=slot.pk).update(capacity=capacity)
    slot.refresh_from_db()
    return slot


def test_posting_before_the_start_writes_nothing_and_says_why(world, slot, applicant):
    booking = staff_book(slot, applicant)

    response = client_for(world.acme.recruiter).post(url(slot), marks((booking, "attended")), follow=True)

    assert "出欠は日程の開始後に記録できます。" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).attendance == ""


def test_mismatched_or_repeated_rows_are_refused_and_nothing_is_written(world, two_booked, slot):
    first, second = two_booked
    client = client_for(world.acme.recruiter)

    for body in (
        {"booking": [first.pk, second.pk], "attendance": ["attended"]},
        {"booking": [first.pk, first.pk], "attendance": ["attended", "absent"]},
    ):
        response = client.post(url(slot), body, follow=True)
        assert "出欠の送信内容が正しくありません" in response.content.decode()
    assert not Booking.objects.exclude(attendance="").exists()


def test_a_cancelled_booking_posted_answers_404_and_nothing_is_written(world, two_booked, slot):
    first, second = two_booked
    booking_services.cancel_booking(booking=second, actor=world.acme.recruiter, notify=False)

    response = client_for(world.acme.recruiter).post(
        url(slot), marks((first, "attended"), (second, "attended"))
    )

    assert response.status_code == 404
    assert not Booking.objects.exclude(attendance="").exists()


def test_a_booking_of_another_slot_posted_answers_404(world, two_booked, slot, event, company):
    elsewhere = slot_for(event, days=2)
    other = staff_book(elsewhere, ApplicantFactory(company=company))
    started(elsewhere, minutes=30)

    response = client_for(world.acme.admin).post(url(slot), marks((other, "attended")))

    assert response.status_code == 404
    assert Booking.objects.get(pk=other.pk).attendance == ""


def test_another_companys_slot_and_bookings_answer_404(world, two_booked, slot):
    first, _second = two_booked
    for user in (world.other.admin, world.other.recruiter, world.other.interviewer):
        response = client_for(user).post(url(slot), marks((first, "attended")))
        assert response.status_code == 404
    assert Booking.objects.get(pk=first.pk).attendance == ""


# --- 面接官 ------------------------------------------------------------------------------------------


def test_the_interviewer_of_the_slot_records_attendance(world, hosted_slot, applicant):
    booking = staff_book(hosted_slot, applicant)
    started(hosted_slot)
    client = client_for(world.acme.interviewer)

    page = client.get(reverse("scheduling:slot_detail", args=[hosted_slot.pk])).content.decode()
    response = client.post(url(hosted_slot), marks((booking, "attended")))

    assert row(booking) in page
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.attendance == "attended" and booking.attendance_recorded_by == world.acme.interviewer


def test_an_interviewer_of_another_slot_is_refused_and_nothing_is_written(
    world, hosted_slot, two_booked, slot
):
    first, _second = two_booked

    response = client_for(world.acme.interviewer).post(url(slot), marks((first, "attended")))

    assert response.status_code in (403, 404)
    assert Booking.objects.get(pk=first.pk).attendance == ""


# --- where it shows ----------------------------------------------------------------------------------


def test_the_timeline_and_the_booking_page_show_the_attendance(world, two_booked, applicant):
    booking, _other = two_booked
    attendance.record_attendance(booking=booking, attendance=Attendance.NO_SHOW, actor=world.acme.recruiter)

    items = [item for item in booking_items(applicant) if item.title.startswith("出欠")]
    detail = client_for(world.acme.recruiter).get(reverse("booking_staff:booking_detail", args=[booking.pk]))
    timeline = client_for(world.acme.recruiter).get(reverse("applicants:detail", args=[applicant.pk]))

    assert len(items) == 1 and "無断欠席" in items[0].body
    assert items[0].url == reverse("booking_staff:booking_detail", args=[booking.pk])
    assert (
        "無断欠席" in detail.content.decode() and world.acme.recruiter.display_name in detail.content.decode()
    )
    assert "無断欠席" in timeline.content.decode()
