"""A slot's seat counter (Slot.booked_count) follows every booking writer and can be repaired."""

from __future__ import annotations

import contextlib
import random

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connections, transaction
from django.db.models import Count, Q

from applicants.services import anonymize_applicant
from booking import seats
from booking import services as booking_services
from booking.models import Booking, BookingStatus
from scheduling import services as scheduling_services
from scheduling.models import Slot
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import invite, slot_for, staff_book
from tests.concurrency import run_in_threads

pytestmark = pytest.mark.django_db


def counters_match_bookings() -> dict[int, tuple[int, int]]:
    """Slots whose counter differs from their active bookings: {slot id: (counter, active bookings)}."""
    rows = Slot.all_objects.annotate(
        active=Count("bookings", filter=Q(bookings__status=BookingStatus.ACTIVE))
    ).values_list("pk", "booked_count", "active")
    return {pk: (counter, active) for pk, counter, active in rows if counter != active}


def test_the_counter_follows_book_move_cancel_waitlist_and_anonymisation(event, company, world):
    first, second = slot_for(event, capacity=2), slot_for(event, days=6, capacity=2)
    people = [ApplicantFactory(company=company) for _ in range(4)]
    a, b = staff_book(first, people[0]), staff_book(first, people[1])
    assert Slot.objects.get(pk=first.pk).booked_count == 2
    waiting = booking_services.join_waitlist(
        slot=first, applicant=people[2], invitation=invite(people[2], event)
    )

    booking_services.move_booking(booking=a, slot=second, actor=None)  # frees a seat: the waitlist takes it
    assert (Slot.objects.get(pk=first.pk).booked_count, Slot.objects.get(pk=second.pk).booked_count) == (2, 1)
    waiting.refresh_from_db()
    assert waiting.booking is not None

    booking_services.cancel_booking(booking=b, actor=None)
    booking_services.cancel_booking(booking=b, actor=None)  # twice is once
    assert Slot.objects.get(pk=first.pk).booked_count == 1

    staff_book(second, people[3])
    anonymize_applicant(applicant=people[3], actor=world.acme.admin)  # cancels their future booking
    assert Slot.objects.get(pk=second.pk).booked_count == 1
    assert counters_match_bookings() == {}
    assert seats.recount_booked_seats() == 0


def test_seats_added_by_staff_go_to_the_waitlist_and_are_counted(event, company, world):
    full = slot_for(event, capacity=1)
    staff_book(full, ApplicantFactory(company=company))
    waiter = ApplicantFactory(company=company)
    booking_services.join_waitlist(slot=full, applicant=waiter, invitation=invite(waiter, event))

    scheduling_services.update_slot(
        slot=full,
        actor=world.acme.recruiter,
        starts_at=full.starts_at,
        ends_at=full.ends_at,
        capacity=2,
        is_published=True,
    )

    assert Slot.objects.get(pk=full.pk).booked_count == 2
    assert Booking.objects.filter(slot=full, applicant=waiter, status=BookingStatus.ACTIVE).exists()


def test_the_database_keeps_the_counter_within_the_capacity(event):
    slot = slot_for(event, capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked_count=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked_count=-1)


def test_recount_repairs_counters_written_around_the_services(event, company, capsys):
    slot, other = slot_for(event, capacity=3), slot_for(event, days=7, capacity=3)
    staff_book(slot, ApplicantFactory(company=company))
    Slot.objects.filter(pk=slot.pk).update(booked_count=3)  # e.g. a restore of an older slots table
    Slot.objects.filter(pk=other.pk).update(booked_count=1)

    call_command("recount_booked_seats")

    assert "2 slot(s)" in capsys.readouterr().out
    assert counters_match_bookings() == {}
    assert seats.recount_booked_seats() == 0


@pytest.fixture
def postgres():
    if connections["default"].vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_books_moves_and_cancels_keep_every_counter_exact(postgres, event, company):
    slots = [slot_for(event, days=5 + i, capacity=3) for i in range(3)]
    people = [ApplicantFactory(company=company) for _ in range(24)]
    rng = random.Random(7)
    plan = [(person, rng.choice(slots), rng.choice(slots), rng.random()) for person in people]

    def act(index: int) -> None:
        person, first, second, roll = plan[index]
        try:
            booking = staff_book(first, person)
        except booking_services.BookingError:
            return
        if roll < 0.4:
            booking_services.cancel_booking(booking=booking, actor=None)
        elif roll < 0.8:
            with contextlib.suppress(booking_services.BookingError):  # full, or the same slot
                booking_services.move_booking(booking=booking, slot=second, actor=None)

    _results, errors = run_in_threads(len(plan), act)

    assert errors == []
    assert counters_match_bookings() == {}
    assert all(slot.booked_count <= slot.capacity for slot in Slot.objects.all())
