"""benchmarks/seed_scale.py at a tiny scale writes a data set that keeps the product's rules."""

from __future__ import annotations

import pytest
from django.db import connections
from django.db.models import Count

from accounts.models import Company
from applicants import normalize
from applicants.models import Applicant, StatusChange
from benchmarks import seed_scale
from booking.models import Booking, BookingStatus
from scheduling.models import Slot


@pytest.fixture
def postgres():
    if connections["default"].vendor != "postgresql":
        pytest.skip("the scale seed writes with PostgreSQL's COPY")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_tiny_scale_seed_is_consistent_and_reused(postgres):
    summary = seed_scale.seed(scale=0.001, progress=lambda text: None)

    assert summary["consistent"], summary["checks"]
    assert summary["applicants"] == Applicant.objects.count() == 1000
    big = Company.objects.get(slug=seed_scale.BIG_SLUG)
    assert Applicant.objects.filter(company=big).count() == summary["big_company_applicants"] == 300
    assert summary["slots"] == Slot.all_objects.count() == 200
    assert summary["big_event_slots"] == 5
    # Every applicant has its history, ending at its current stage.
    assert not Applicant.objects.filter(status_changes__isnull=True).exists()
    for applicant in Applicant.objects.order_by("pk")[:50]:
        assert applicant.status_changes.order_by("created_at", "pk").last().to_stage_id == applicant.stage_id
    # The search keys are the product's own.
    for applicant in Applicant.objects.order_by("?")[:50]:
        stored = [getattr(applicant, field) for field in ("name_key", "kana_key", "email_key", "phone_key")]
        applicant.set_search_keys()
        assert stored == [applicant.name_key, applicant.kana_key, applicant.email_key, applicant.phone_key]
    assert normalize.kana_key("さとう") == "サトウ"
    # Seats: one active booking per applicant and event, counters equal to the active bookings.
    active = Booking.objects.filter(status=BookingStatus.ACTIVE)
    assert not active.values("applicant", "event").annotate(n=Count("pk")).filter(n__gt=1).exists()
    counts = dict(active.values("slot").annotate(n=Count("pk")).values_list("slot", "n"))
    for slot_id, booked, capacity in Slot.all_objects.values_list("pk", "booked_count", "capacity"):
        assert booked == counts.get(slot_id, 0) <= capacity
    long = Applicant.objects.get(email_key=seed_scale.LONG_TIMELINE_EMAIL)
    assert StatusChange.objects.filter(applicant=long).count() > seed_scale.LONG_HISTORY

    again = seed_scale.seed(scale=0.001, reuse=True, progress=lambda text: None)
    assert again["reused"] and again["applicants"] == 1000
