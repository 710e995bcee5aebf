"""The booking POST's statements, as a regression guard for the booking rush (benchmarks/booking_rush.py):
a refusal on a full slot reads one row (the link's invitation joined to the slot, with the applicant's
booking in its event) and takes no lock; a booking locks the slot row last, by the UPDATE that takes the
seat, so the lock is held for that statement and the commit whatever else the booking writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test.utils import CaptureQueriesContext

from booking import rules, selectors
from booking.models import Booking, BookingStatus
from booking.rules import BookingError
from notifications.models import SentMail
from scheduling.models import Slot
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import applicant_book, invite, link, slot_for, staff_book

pytestmark = pytest.mark.django_db

# Statements of one POST, savepoints included (the same on SQLite and PostgreSQL). Before the lock was
# taken last: 35 for a booking, 31 of them under the slot's lock; 5 for a refusal. Then 30 and 3, then 14
# and 2 (the link and its slot read apart), then 13 and 1 (the status moved by a SELECT … FOR UPDATE and an
# UPDATE).
BOOKING_POST_STATEMENTS = 12
REFUSAL_POST_STATEMENTS = 1


def _sql(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries if "SAVEPOINT" not in query["sql"]]


def _warm_up(slot, company, event):
    """The company's mail settings and templates exist after its first booking: count the next one."""
    other = ApplicantFactory(company=company)
    applicant_book(slot, other, invite(other, event))


def test_a_booking_post_stays_within_its_statements_and_locks_the_slot_last(
    browser, invitation, slot, company, event, django_assert_max_num_queries
):
    Slot.objects.filter(pk=slot.pk).update(capacity=3)
    _warm_up(slot, company, event)

    with django_assert_max_num_queries(BOOKING_POST_STATEMENTS) as context:
        response = browser.post(link(invitation, f"slots/{slot.pk}/"))

    assert response.status_code == 302
    statements = _sql(context)
    slot_table = Slot._meta.db_table
    # The seat is taken by the statement that locks the row, the last one: the lock lasts it and the commit.
    assert statements[-1].startswith(f'UPDATE "{slot_table}" SET "booked_count"')
    assert "RETURNING" in statements[-1]
    assert not any(slot_table in statement for statement in statements[1:-1])
    assert Booking.objects.filter(slot=slot, status=BookingStatus.ACTIVE).count() == 2


def test_a_refusal_on_a_full_slot_reads_one_row_and_writes_nothing(
    browser, invitation, slot, company, django_assert_max_num_queries
):
    for _seat in range(slot.capacity):
        staff_book(slot, ApplicantFactory(company=company))
    mails = SentMail.objects.count()

    with django_assert_max_num_queries(REFUSAL_POST_STATEMENTS) as context:
        response = browser.post(link(invitation, f"slots/{slot.pk}/"))

    assert response.status_code == 409
    assert "満席" in response.content.decode()
    assert all(statement.startswith("SELECT") for statement in _sql(context))
    assert SentMail.objects.count() == mails


def test_a_slot_moved_while_it_was_being_booked_refuses_and_writes_nothing(applicant, invitation, slot):
    read = Slot.objects.get(pk=slot.pk)  # what the booking read before the staff member moved the slot
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=slot.starts_at + timedelta(hours=2), ends_at=slot.ends_at + timedelta(hours=2)
    )

    with pytest.raises(BookingError) as refused:
        applicant_book(read, applicant, invitation)

    assert refused.value.code == "stale"
    assert not Booking.objects.exists() and not SentMail.objects.exists()
    assert Slot.objects.get(pk=slot.pk).booked_count == 0


def test_a_refusal_shows_the_applicants_booking_in_another_slot_of_the_event(
    browser, invitation, slot, applicant, company, event
):
    other = slot_for(event, days=6)
    mine = applicant_book(other, applicant, invitation)
    staff_book(slot, ApplicantFactory(company=company))
    staff_book(slot, ApplicantFactory(company=company))

    response = browser.post(link(invitation, f"slots/{slot.pk}/"))

    assert response.status_code == 409
    assert f"/bookings/{mine.pk}/" in response.content.decode()


def test_a_second_submit_after_taking_the_last_seat_shows_the_booking_not_a_refusal(
    browser, invitation, slot, applicant, company
):
    for _seat in range(slot.capacity - 1):
        staff_book(slot, ApplicantFactory(company=company))
    first = browser.post(link(invitation, f"slots/{slot.pk}/"))
    assert first.status_code == 302

    again = browser.post(link(invitation, f"slots/{slot.pk}/"))

    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert Booking.objects.filter(applicant=applicant, status=BookingStatus.ACTIVE).count() == 1


def test_booking_through_the_link_closes_the_applicants_wait_for_another_slot_of_the_event(
    browser, invitation, slot, applicant, company, event
):
    from booking.models import WaitStatus
    from booking.services import join_waitlist

    full = slot_for(event, days=6)
    for _seat in range(full.capacity):
        staff_book(full, ApplicantFactory(company=company))
    entry = join_waitlist(slot=full, applicant=applicant, invitation=invitation)

    response = browser.post(link(invitation, f"slots/{slot.pk}/"))

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitStatus.CLOSED


def test_booking_through_the_link_a_time_booked_in_another_event_is_refused(
    browser, invitation, slot, applicant, event
):
    from tests.scheduling.factories import EventFactory

    other_event = EventFactory(selection_meeting=event.selection_meeting, name="Web面接")
    staff_book(slot_for(other_event, days=5, hour=14), applicant)  # as the slot fixture
    clash = Slot.objects.filter(event=other_event).get()
    assert clash.starts_at < slot.ends_at and clash.ends_at > slot.starts_at  # the same hour

    response = browser.post(link(invitation, f"slots/{slot.pk}/"))

    assert response.status_code == 409
    assert "同じ時間帯に別の予約" in response.content.decode()
    assert not Booking.objects.filter(slot=slot).exists()


def test_a_slot_filled_while_it_was_being_booked_refuses_as_full_and_writes_nothing(
    applicant, invitation, slot, company
):
    from booking.rules import SlotFull

    read = Slot.objects.get(pk=slot.pk)  # not full when the booking read it
    for _seat in range(slot.capacity):
        staff_book(slot, ApplicantFactory(company=company))
    mails = SentMail.objects.count()

    with pytest.raises(SlotFull):
        applicant_book(read, applicant, invitation)

    assert not Booking.objects.filter(applicant=applicant).exists()
    assert SentMail.objects.count() == mails
    assert Slot.objects.get(pk=slot.pk).booked_count == slot.capacity


def test_the_link_and_slot_read_is_one_row_of_the_links_own_invitation_among_many(
    browser, company, event, slot, applicant
):
    """Everyone invited to the event shares the slot's join to the invitations: the read keeps only the
    link's own invitation (one row), and each link's page and booking are its own applicant's."""
    others = [ApplicantFactory(company=company) for _other in range(3)]
    invitations = [invite(person, event) for person in [*others, applicant]]

    for invitation in invitations:
        rows = selectors._SLOT_WITH_LINK.fetch(slot_id=slot.pk, invitation_id=invitation.pk)
        assert [(row.pk, row.link.pk) for row in rows] == [(slot.pk, invitation.pk)]
        read_invitation, chosen = selectors.slot_with_link(invitation.pk, slot.pk)
        assert (read_invitation.pk, read_invitation.applicant_id) == (invitation.pk, invitation.applicant_id)
        assert rules.link_read(chosen).applicant_id == invitation.applicant_id

    response = browser.post(link(invitations[-1], f"slots/{slot.pk}/"))

    assert response.status_code == 302
    assert list(Booking.objects.filter(slot=slot).values_list("applicant_id", flat=True)) == [applicant.pk]
