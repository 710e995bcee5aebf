"""面接官への通知 for assigned interviewers: one mail per address with the booking's invite (REQUEST when
booked or moved in, CANCEL when cancelled or moved out), never twice, never a start URL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from booking import services as booking_services
from booking import slot_changes
from notifications.models import MailKind, SentMail
from notifications.rendering import contains_start_url
from scheduling import services as scheduling_services
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import staff_book
from tests.interviews.helpers_assignments import (
    assign_event,
    assign_slot,
    interviewer,
    method_of,
    notices_to,
    slot_in,
    vevent,
    zoom_slot,
)
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db

TANAKA, YAMADA = "tanaka@acme.example.com", "yamada@acme.example.com"


@pytest.fixture(autouse=True)
def _fast_pacing(fast_pacing):
    return fast_pacing


@pytest.fixture
def company(world):
    return world.acme.company


@pytest.fixture
def event(company):
    meeting = SelectionMeetingFactory(company=company, name="一次面接")
    return EventFactory(selection_meeting=meeting, name="対面面接", place="東京本社 8F 面接室A")


@pytest.fixture
def tanaka(company):
    return interviewer(company, "田中 一郎", TANAKA)


@pytest.fixture
def yamada(company):
    return interviewer(company, "山田 花子", YAMADA)


@pytest.fixture
def applicant(company):
    return ApplicantFactory(
        company=company, name="佐藤 花子", email="hanako.sato@example.jp", phone="090-1111-2222"
    )


def test_each_interviewer_of_the_slot_is_told_of_a_booking_with_an_invite(
    event, tanaka, yamada, world, applicant
):
    slot = slot_in(event, 5)
    assign_event(event, tanaka, yamada, actor=world.acme.recruiter)

    booking = staff_book(slot, applicant)

    for person in (tanaka, yamada):
        [notice] = notices_to(person.email)
        assert "予約が入りました" in notice.subject and "佐藤 花子" in notice.body
        assert f"{person.display_name} 様" in notice.body
        assert f"/interviews/mine/#slot-{slot.pk}" in notice.body  # a page a 面接官 may open
        assert method_of(notice.ics) == "REQUEST" and notice.ics_method == "REQUEST"
        invite = vevent(notice.ics)
        assert str(invite["ATTENDEE"]) == f"mailto:{person.email}"
        assert str(invite["UID"]) == f"e2rpro-booking-{booking.pk}-interviewer@testserver"
        assert invite.decoded("DTSTART") == slot.starts_at and invite.decoded("DTEND") == slot.ends_at
        assert "佐藤 花子" in str(invite["SUMMARY"]) and str(invite["LOCATION"]) == "東京本社 8F 面接室A"
        assert "hanako.sato@example.jp" not in notice.ics and "090-1111-2222" not in notice.ics
        assert notice.applicant_id == applicant.pk  # on the applicant's timeline, erased with their data


def test_a_recruiter_interviewer_gets_the_slot_page(event, world, applicant):
    slot = slot_in(event, 5)
    assign_slot(slot, world.acme.recruiter, actor=world.acme.admin)

    staff_book(slot, applicant)

    [notice] = notices_to(world.acme.recruiter.email)
    assert f"/selection/slots/{slot.pk}/" in notice.body


def test_a_cancelled_booking_sends_a_cancel_of_the_same_invite(event, tanaka, world, applicant):
    slot = slot_in(event, 5)
    assign_slot(slot, tanaka, actor=world.acme.recruiter)
    booking = staff_book(slot, applicant)

    booking_services.cancel_booking(booking=booking, actor=world.acme.recruiter)

    booked, cancelled = notices_to(TANAKA)
    assert "キャンセル" in cancelled.subject
    assert method_of(cancelled.ics) == "CANCEL" and vevent(cancelled.ics)["STATUS"] == "CANCELLED"
    assert vevent(cancelled.ics)["UID"] == vevent(booked.ics)["UID"]
    assert vevent(cancelled.ics).decoded("SEQUENCE") > vevent(booked.ics).decoded("SEQUENCE")


def test_a_move_updates_the_new_slots_interviewers_and_cancels_for_those_of_the_old_one(
    event, tanaka, yamada, world, applicant
):
    old, new = slot_in(event, 5), slot_in(event, 6)
    assign_slot(old, tanaka, yamada, actor=world.acme.recruiter)
    assign_slot(new, tanaka, actor=world.acme.recruiter)
    booking = staff_book(old, applicant)

    booking_services.move_booking(booking=booking, slot=new, actor=world.acme.recruiter)

    _booked, moved = notices_to(TANAKA)  # in both slots: one mail, the invite moved
    assert method_of(moved.ics) == "REQUEST" and vevent(moved.ics).decoded("DTSTART") == new.starts_at
    assert "予約の日程が変更されました" in moved.subject
    _booked, dropped = notices_to(YAMADA)  # only in the old slot: the invite cancelled
    assert method_of(dropped.ics) == "CANCEL" and "別の日程へ変更" in dropped.subject
    assert vevent(dropped.ics)["UID"] == vevent(moved.ics)["UID"]


def test_the_zoom_host_who_is_also_assigned_gets_one_mail_with_the_invite(company, linked, world, applicant):
    hosted = ZoomEventFactory(
        selection_meeting=SelectionMeetingFactory(company=company),
        meeting_host_id="zhost0002",
        meeting_host_email=world.acme.interviewer.email,
    )
    slot = slot_in(hosted, 5)
    assign_slot(slot, world.acme.interviewer, actor=world.acme.recruiter)

    staff_book(slot, applicant)

    [notice] = notices_to(world.acme.interviewer.email)
    assert notice.ics and f"/selection/slots/{slot.pk}/" in notice.body  # the host's link, and the invite


def test_the_host_alone_is_told_as_before_without_an_invite(company, linked, world, applicant):
    hosted = ZoomEventFactory(
        selection_meeting=SelectionMeetingFactory(company=company),
        meeting_host_id="zhost0002",
        meeting_host_email=world.acme.interviewer.email,
    )

    staff_book(slot_in(hosted, 5), applicant)

    [notice] = notices_to(world.acme.interviewer.email)
    assert notice.ics == ""


def test_inactive_interviewers_are_not_mailed(event, tanaka, world, applicant):
    slot = slot_in(event, 5)
    assign_slot(slot, tanaka, actor=world.acme.recruiter)
    tanaka.is_active = False
    tanaka.save(update_fields=["is_active"])

    staff_book(slot, applicant)

    assert notices_to(TANAKA) == []


def test_a_moved_slot_updates_each_interviewers_invite_once_even_when_the_task_runs_twice(
    event, tanaka, world, applicant, django_capture_on_commit_callbacks
):
    slot = slot_in(event, 5)
    assign_slot(slot, tanaka, actor=world.acme.recruiter)
    staff_book(slot, applicant)
    previous = slot.starts_at
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.update_slot(
            slot=slot,
            actor=world.acme.recruiter,
            starts_at=slot.starts_at + timedelta(hours=2),
            ends_at=slot.ends_at + timedelta(hours=2),
            capacity=1,
            is_published=True,
        )
    change_id = str(uuid.uuid4())
    details = {
        "previous_start": previous.isoformat(),
        "previous_end": (previous + timedelta(hours=1)).isoformat(),
    }
    for _run in range(2):
        slot_changes.notify_slot_change(slot_id=slot.pk, reason="moved", change_id=change_id, details=details)

    moved = [mail for mail in notices_to(TANAKA) if "日時が変更されました" in mail.subject]
    assert len(moved) == 2  # the recruiter's move, and the change replayed twice with one id
    assert all(method_of(mail.ics) == "REQUEST" for mail in moved)
    assert vevent(moved[-1].ics).decoded("DTSTART") == previous + timedelta(hours=2)


def test_an_issued_zoom_url_reaches_the_interviewers_invite_but_never_the_start_url(
    company, linked, fake_zoom, world, applicant, django_capture_on_commit_callbacks
):
    event = ZoomEventFactory(selection_meeting=SelectionMeetingFactory(company=company), name="Web面接")
    slot = zoom_slot(event, 5, django_capture_on_commit_callbacks)
    assign_slot(slot, world.acme.interviewer, actor=world.acme.recruiter)

    staff_book(slot, applicant)

    [notice] = notices_to(world.acme.interviewer.email)
    assert str(vevent(notice.ics)["LOCATION"]) == slot.join_url and "Ab12Cd" in notice.ics
    for mail in SentMail.objects.filter(kind=MailKind.HOST_NOTICE):
        assert not contains_start_url(mail.body + mail.ics.replace("\r\n ", ""))
