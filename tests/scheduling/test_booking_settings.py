"""予約動作設定 for bookings (予約時の選考ステータス) and the booking counts the scheduling pages show."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from scheduling.models import Slot
from tests.applicants.factories import ApplicantFactory, stage_named
from tests.booking.helpers import slot_for, staff_book
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory

pytestmark = pytest.mark.django_db


def settings_form(**overrides) -> dict:
    data = {
        "name": "対面面接",
        "web_meeting": "none",
        "zoom_host": "",
        "duration_minutes": "60",
        "default_capacity": "1",
        "booking_closes_hours_before": "24",
        "cancel_deadline_hours_before": "24",
        "place": "本社",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_the_event_settings_offer_and_save_the_stage_set_when_booked(as_recruiter, world):
    company = world.acme.company
    event = EventFactory(selection_meeting=SelectionMeetingFactory(company=company))
    stage = stage_named(company, "一次面接")

    page = as_recruiter.get(reverse("scheduling:event_settings", args=[event.pk])).content.decode()
    response = as_recruiter.post(
        reverse("scheduling:event_settings", args=[event.pk]), settings_form(booking_stage=stage.pk)
    )

    assert "予約時の選考ステータス" in page and "変更しない" in page
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.booking_stage == stage
    entry = AuditEntry.objects.get(action="event.settings_changed", target_id=str(event.pk))
    assert entry.details["changed"]["booking_stage"] == ["None", "一次面接"]


def test_another_companys_stage_cannot_be_chosen(as_recruiter, world):
    event = EventFactory(selection_meeting=SelectionMeetingFactory(company=world.acme.company))
    foreign = stage_named(world.other.company, "一次面接")

    response = as_recruiter.post(
        reverse("scheduling:event_settings", args=[event.pk]), settings_form(booking_stage=foreign.pk)
    )

    assert response.status_code == 200
    event.refresh_from_db()
    assert event.booking_stage is None


def test_slot_lists_count_only_active_bookings(as_recruiter, world):
    from booking.services import cancel_booking

    company = world.acme.company
    event = EventFactory(selection_meeting=SelectionMeetingFactory(company=company))
    slot = slot_for(event, capacity=3)
    staff_book(slot, ApplicantFactory(company=company))
    cancel_booking(booking=staff_book(slot, ApplicantFactory(company=company)), actor=None)

    schedule = as_recruiter.get(
        reverse("scheduling:schedule", args=[event.selection_meeting_id])
    ).content.decode()

    assert Slot.objects.get(pk=slot.pk).booked_count == 1
    assert "1 / 3" in schedule


def test_the_slot_page_runs_a_fixed_number_of_queries(as_recruiter, world, django_assert_max_num_queries):
    company = world.acme.company
    event = EventFactory(selection_meeting=SelectionMeetingFactory(company=company))
    slot = slot_for(event, capacity=30)
    for _ in range(3):
        staff_book(slot, ApplicantFactory(company=company))
    url = reverse("scheduling:slot_detail", args=[slot.pk])
    with django_assert_max_num_queries(20) as few:
        as_recruiter.get(url)
    for _ in range(10):
        staff_book(slot, ApplicantFactory(company=company))

    with django_assert_max_num_queries(len(few.captured_queries)):
        as_recruiter.get(url)
