"""Capacity: never more bookings than seats, one active booking per applicant and event, double submits.

The thread tests need PostgreSQL (row locks, concurrent writers); the rest also run on SQLite.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import IntegrityError, connections, transaction

from booking import services as booking_services
from booking.models import Booking, BookingSource, BookingStatus, WaitlistEntry
from booking.rules import BookingError, SlotFull
from scheduling.models import Slot
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import invite, slot_for, staff_book
from tests.concurrency import run_in_threads
from tests.scheduling.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_a_full_slot_refuses_staff_and_applicants_alike(slot, applicant, other_applicant, company, event):
    third = ApplicantFactory(company=company)
    staff_book(slot, applicant)
    staff_book(slot, other_applicant)

    with pytest.raises(SlotFull):
        staff_book(slot, third)
    with pytest.raises(SlotFull):
        booking_services.book_slot(
            slot=slot,
            applicant=third,
            actor=None,
            source=BookingSource.APPLICANT,
            invitation=invite(third, event),
        )
    assert Booking.objects.filter(slot=slot).count() == 2


def test_the_database_refuses_a_second_active_booking_of_an_applicant_in_an_event(slot, event, applicant):
    other = slot_for(event, days=6)
    staff_book(slot, applicant)

    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            company=slot.company, applicant=applicant, event=event, slot=other, source=BookingSource.STAFF
        )


def test_cancelled_bookings_free_their_seat_and_do_not_count(slot, applicant, other_applicant, company):
    first = staff_book(slot, applicant)
    staff_book(slot, other_applicant)
    booking_services.cancel_booking(booking=first, actor=None)

    assert Slot.objects.get(pk=slot.pk).booked_count == 1
    assert staff_book(slot, ApplicantFactory(company=company)).status == BookingStatus.ACTIVE
    # and the applicant who cancelled may book the event again
    assert staff_book(slot_for(slot.event, days=9), applicant).status == BookingStatus.ACTIVE


def test_capacity_cannot_be_lowered_below_the_current_bookings(
    as_recruiter, slot, applicant, other_applicant
):
    from django.urls import reverse

    staff_book(slot, applicant)
    staff_book(slot, other_applicant)
    local = slot.starts_at.astimezone(slot.company.tzinfo)

    response = as_recruiter.post(
        reverse("scheduling:slot_edit", args=[slot.pk]),
        {
            "date": local.date().isoformat(),
            "start_time": local.strftime("%H:%M"),
            "end_time": "15:00",
            "capacity": "1",
            "visibility": "show",
        },
    )

    assert "定員は現在の予約数（2名）以上にしてください。" in response.content.decode()
    slot.refresh_from_db()
    assert slot.capacity == 2


def test_a_slot_with_bookings_cannot_be_deleted(as_recruiter, slot, applicant):
    from django.urls import reverse

    staff_book(slot, applicant)

    as_recruiter.post(reverse("scheduling:slot_delete", args=[slot.pk]))

    assert Slot.objects.filter(pk=slot.pk).exists()


# --- concurrency on PostgreSQL --------------------


@pytest.fixture
def postgres():
    if connections["default"].vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_applicants_at_once_on_five_seats_make_exactly_five_bookings(postgres, event, company):
    seats = slot_for(event, capacity=5)
    people = [ApplicantFactory(company=company) for _ in range(30)]
    links = [invite(person, event) for person in people]

    def book(index: int):
        return booking_services.book_slot(
            slot=seats.pk,
            applicant=people[index],
            actor=None,
            source=BookingSource.APPLICANT,
            invitation=links[index],
        ).booking.pk

    results, errors = run_in_threads(30, book)

    assert len(results) == 5
    assert Counter(type(error) for error in errors) == {SlotFull: 25}
    assert Booking.objects.filter(slot=seats, status=BookingStatus.ACTIVE).count() == 5
    assert Slot.objects.get(pk=seats.pk).booked_count == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_applicant_submitting_ten_times_at_once_gets_one_booking(postgres, event, applicant):
    seats = slot_for(event, capacity=5)
    link = invite(applicant, event)

    def book(_index: int):
        result = booking_services.book_slot(
            slot=seats.pk, applicant=applicant, actor=None, source=BookingSource.APPLICANT, invitation=link
        )
        return result.booking.pk, result.created

    results, errors = run_in_threads(10, book)

    assert errors == []
    assert len({pk for pk, _created in results}) == 1
    assert sorted(created for _pk, created in results) == [False] * 9 + [True]
    assert Booking.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_applicant_booking_two_slots_of_an_event_at_once_gets_one_booking(postgres, event, applicant):
    slots = [slot_for(event, days=5 + i, capacity=3) for i in range(6)]
    link = invite(applicant, event)

    def book(index: int):
        return booking_services.book_slot(
            slot=slots[index].pk,
            applicant=applicant,
            actor=None,
            source=BookingSource.APPLICANT,
            invitation=link,
        ).booking.pk

    results, errors = run_in_threads(6, book)

    assert len(results) == 1 and len(errors) == 5
    assert all(isinstance(error, BookingError) for error in errors)
    assert Booking.objects.filter(applicant=applicant, status=BookingStatus.ACTIVE).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_seats_freed_during_a_rush_go_to_the_waitlist_first_and_capacity_holds(postgres, event, company):
    seats = slot_for(event, capacity=3)
    holders = [ApplicantFactory(company=company) for _ in range(3)]
    bookings = [staff_book(seats, person) for person in holders]
    waiting = [ApplicantFactory(company=company) for _ in range(3)]
    for person in waiting:
        booking_services.join_waitlist(slot=seats, applicant=person, invitation=invite(person, event))
    rushers = [ApplicantFactory(company=company) for _ in range(10)]
    rusher_links = [invite(person, event) for person in rushers]

    def act(index: int):
        if index < 3:
            return booking_services.cancel_booking(booking=bookings[index], actor=None).status
        person = rushers[index - 3]
        return booking_services.book_slot(
            slot=seats.pk,
            applicant=person,
            actor=None,
            source=BookingSource.APPLICANT,
            invitation=rusher_links[index - 3],
        ).booking.pk

    _results, errors = run_in_threads(13, act)

    active = Booking.objects.filter(slot=seats, status=BookingStatus.ACTIVE)
    assert active.count() == 3
    assert set(active.values_list("applicant_id", flat=True)) == {person.pk for person in waiting}
    assert Counter(type(error) for error in errors) == {SlotFull: 10}
    assert not WaitlistEntry.objects.filter(status="waiting").exists()


def test_an_applicant_cannot_be_booked_twice_at_the_same_time_across_events(event, applicant, company):
    other_event = EventFactory(selection_meeting=event.selection_meeting, name="Web面接")
    first = slot_for(event, days=5, hour=14)
    clash = slot_for(other_event, days=5, hour=14)  # 14:00-15:00, the same hour
    staff_book(first, applicant)

    with pytest.raises(BookingError, match="同じ時間帯に別の予約"):
        staff_book(clash, applicant)
    assert staff_book(slot_for(other_event, days=5, hour=15), applicant).status == BookingStatus.ACTIVE


def test_a_move_onto_a_time_already_booked_elsewhere_is_refused(event, applicant):
    other_event = EventFactory(selection_meeting=event.selection_meeting, name="Web面接")
    staff_book(slot_for(other_event, days=6, hour=10), applicant)
    booking = staff_book(slot_for(event, days=5), applicant)

    with pytest.raises(BookingError, match="同じ時間帯"):
        booking_services.move_booking(booking=booking, slot=slot_for(event, days=6, hour=10), actor=None)
    # a move within its own time is not a clash with itself
    later = slot_for(event, days=5, hour=14)
    booking_services.move_booking(booking=booking, slot=later, actor=None)
    booking.refresh_from_db()
    assert booking.slot == later
