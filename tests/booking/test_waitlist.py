"""キャンセル待ち: first come first served, promoted in the transaction that frees the seat, and mailed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from booking import services as booking_services
from booking.models import Booking, BookingStatus, WaitlistEntry, WaitStatus
from booking.rules import BookingError
from notifications.models import MailKind, SentMail
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import invite, slot_for, staff_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def full(event, other_applicant):
    slot = slot_for(event, capacity=1)
    staff_book(slot, other_applicant)
    return slot


def wait(slot, applicant):
    return booking_services.join_waitlist(
        slot=slot, applicant=applicant, invitation=invite(applicant, slot.event)
    )


def test_the_first_to_wait_gets_the_freed_seat_and_a_confirmation_mail(full, company, other_applicant):
    first, second = ApplicantFactory(company=company), ApplicantFactory(company=company)
    wait(full, first)
    wait(full, second)

    booking_services.cancel_booking(booking=Booking.objects.get(applicant=other_applicant), actor=None)

    promoted = Booking.objects.get(slot=full, status=BookingStatus.ACTIVE)
    assert promoted.applicant == first
    assert WaitlistEntry.objects.get(applicant=first).status == WaitStatus.PROMOTED
    assert WaitlistEntry.objects.get(applicant=second).status == WaitStatus.WAITING
    mail = SentMail.objects.get(kind=MailKind.BOOKING_CONFIRMED, to_email=first.email)
    assert mail.ics_method == "REQUEST" and mail.booking_id == promoted.pk
    first.refresh_from_db()
    assert first.stage.name == "一次面接"


def test_a_booking_moved_away_frees_its_seat_for_the_waitlist(full, event, company, other_applicant):
    waiting = ApplicantFactory(company=company)
    wait(full, waiting)
    elsewhere = slot_for(event, days=8)

    booking_services.move_booking(
        booking=Booking.objects.get(applicant=other_applicant), slot=elsewhere, actor=None
    )

    assert Booking.objects.get(applicant=waiting).slot == full


def test_raising_the_capacity_books_the_waiting_applicants(full, company, world):
    from scheduling.services import update_slot

    waiting = [ApplicantFactory(company=company) for _ in range(3)]
    for person in waiting:
        wait(full, person)

    update_slot(
        slot=full,
        actor=world.acme.recruiter,
        starts_at=full.starts_at,
        ends_at=full.ends_at,
        capacity=3,
        is_published=True,
    )

    assert Booking.objects.filter(slot=full, status=BookingStatus.ACTIVE).count() == 3
    assert WaitlistEntry.objects.filter(status=WaitStatus.WAITING).count() == 1


def test_an_applicant_booked_elsewhere_in_the_event_is_skipped_when_a_seat_frees(
    full, event, company, other_applicant
):
    first, second = ApplicantFactory(company=company), ApplicantFactory(company=company)
    wait(full, first)
    wait(full, second)
    staff_book(slot_for(event, days=9), first)  # closes the first one's waiting entry

    booking_services.cancel_booking(
        booking=Booking.objects.get(applicant=other_applicant, slot=full), actor=None
    )

    assert Booking.objects.get(slot=full, status=BookingStatus.ACTIVE).applicant == second
    assert WaitlistEntry.objects.get(applicant=first).status == WaitStatus.CLOSED


def test_no_one_is_promoted_after_the_booking_window_closed(event, company, other_applicant):
    soon = slot_for(event, days=2, capacity=1)
    taken = staff_book(soon, other_applicant)
    waiting = ApplicantFactory(company=company)
    wait(soon, waiting)
    event.booking_closes_hours_before = 24 * 5
    event.save()

    booking_services.cancel_booking(booking=taken, actor=None)

    assert not Booking.objects.filter(applicant=waiting).exists()
    assert WaitlistEntry.objects.get(applicant=waiting).status == WaitStatus.WAITING


def test_an_applicant_with_a_booking_in_the_event_cannot_wait(full, event, applicant):
    staff_book(slot_for(event, days=9), applicant)

    with pytest.raises(BookingError, match="予約済み"):
        wait(full, applicant)


def test_waiting_twice_for_the_same_slot_keeps_one_entry(full, applicant):
    link = invite(applicant, full.event)
    booking_services.join_waitlist(slot=full, applicant=applicant, invitation=link)
    booking_services.join_waitlist(slot=full, applicant=applicant, invitation=link)

    assert WaitlistEntry.objects.filter(applicant=applicant).count() == 1


def test_deleting_a_slot_closes_its_waitlist(event, company, world):
    from scheduling.services import delete_slot

    slot = slot_for(event, capacity=1)
    entry = WaitlistEntry.objects.create(
        company=company, applicant=ApplicantFactory(company=company), event=event, slot=slot
    )

    delete_slot(slot=slot, actor=world.acme.recruiter)

    entry.refresh_from_db()
    assert entry.status == WaitStatus.CLOSED


def test_the_slot_page_lists_the_waitlist_and_staff_can_remove_an_entry(as_recruiter, full, company):
    waiting = ApplicantFactory(company=company, name="待機 太郎")
    entry = wait(full, waiting)

    page = as_recruiter.get(reverse("scheduling:slot_detail", args=[full.pk])).content.decode()
    as_recruiter.post(reverse("booking_staff:wait_withdraw", args=[entry.pk]))

    assert "キャンセル待ち（1名）" in page and "待機 太郎" in page
    entry.refresh_from_db()
    assert entry.status == WaitStatus.WITHDRAWN


def test_the_waitlist_keeps_arrival_order_across_many_entries(full, company, other_applicant):
    people = [ApplicantFactory(company=company) for _ in range(5)]
    for index, person in enumerate(people):
        entry = wait(full, person)
        WaitlistEntry.objects.filter(pk=entry.pk).update(
            created_at=entry.created_at - timedelta(minutes=10 - index)
        )

    booking_services.cancel_booking(booking=Booking.objects.get(applicant=other_applicant), actor=None)

    assert Booking.objects.get(slot=full, status=BookingStatus.ACTIVE).applicant == people[0]
