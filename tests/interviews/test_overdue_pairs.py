"""The overdue evaluations' query (expected pairs less a materialized set of the submitted evaluations)
gives the rows of the per-pair NOT EXISTS it replaced, kept here: on a scene with submitted evaluations,
drafts, inactive interviewers, a slot's own interviewers, a cancelled booking, a deleted slot, an
anonymized applicant, a slot not yet due and another company."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from applicants.models import Applicant
from booking import services as booking_services
from booking.models import Booking
from interviews import evaluation_selectors
from interviews.evaluation_selectors import _evaluated_bookings, _overdue_pairs
from interviews.models import Evaluation, SlotInterviewer
from tests.applicants.factories import ApplicantFactory
from tests.factories import UserFactory
from tests.interviews.helpers_evaluations import (
    assign_event,
    assign_slot,
    book,
    draft,
    hours_ago,
    make_scene,
    make_slot,
    submit,
)

pytestmark = pytest.mark.django_db


def _submitted_by(evaluator: Any) -> Exists:
    return Exists(
        Evaluation.objects.filter(
            applicant_id=OuterRef("applicant_id"),
            selection_meeting_id=OuterRef("slot__event__selection_meeting_id"),
            evaluator_id=evaluator,
            submitted_at__isnull=False,
        )
    )


def _pending_pairs(bookings: QuerySet[Booking], path: str) -> QuerySet[Any]:
    pairs = bookings.annotate(
        evaluator=F(f"{path}__user_id"),
        evaluator_active=F(f"{path}__user__is_active"),
        ends=F("slot__ends_at"),
    ).filter(evaluator__isnull=False, evaluator_active=True)
    return (
        pairs.filter(~_submitted_by(OuterRef("evaluator"))).order_by().values_list("pk", "evaluator", "ends")
    )


def _previous_pairs(company_id: int, *, now: datetime, hours: int, since: datetime | None = None):
    """The query before: a union of two NOT EXISTS per pair, sorted here."""
    cutoff = now - timedelta(hours=hours)
    bookings = _evaluated_bookings(company_id, now=now).filter(slot__ends_at__lte=cutoff)
    if since is not None:
        bookings = bookings.filter(slot__ends_at__gt=since)
    own = _pending_pairs(bookings, "slot__interviewer_assignments")
    by_event = _pending_pairs(
        bookings.filter(~Exists(SlotInterviewer.objects.filter(slot_id=OuterRef("slot_id")))),
        "slot__event__interviewer_assignments",
    )
    return sorted(own.union(by_event, all=True), key=lambda row: (row[2], row[0], row[1]))


def test_the_overdue_pairs_are_those_of_the_previous_query(world):
    acme = world.acme
    scene = make_scene(acme)
    submit(scene, scene.first)
    draft(scene, scene.second)  # a draft is still owed
    # More applicants in the same slot: one evaluated by both, one by nobody, one anonymized.
    both, nobody, gone = (ApplicantFactory(company=acme.company) for _ in range(3))
    for applicant in (both, nobody, gone):
        book(scene.slot, applicant)
    for user in (scene.first, scene.second):
        Evaluation.objects.create(
            company=acme.company,
            applicant=both,
            selection_meeting=scene.meeting,
            evaluator=user,
            submitted_at=timezone.now(),
        )
    Applicant.objects.filter(pk=gone.pk).update(anonymized_at=timezone.now())
    # A slot with its own interviewers (the event's are not expected there), one of them inactive.
    own_slot = make_slot(scene.event, starts=hours_ago(50))
    own_one, own_inactive = (
        UserFactory(company=acme.company),
        UserFactory(company=acme.company, is_active=False),
    )
    assign_slot(own_slot, own_one, own_inactive)
    book(own_slot, ApplicantFactory(company=acme.company))
    # Not due yet, cancelled, deleted slot.
    book(make_slot(scene.event, starts=hours_ago(3)), ApplicantFactory(company=acme.company))
    cancelled_slot = make_slot(scene.event, starts=hours_ago(60))
    cancelled = book(cancelled_slot, ApplicantFactory(company=acme.company))
    booking_services.cancel_booking(
        booking=cancelled, actor=None, now=cancelled_slot.starts_at - timedelta(days=1)
    )
    deleted_slot = make_slot(scene.event, starts=hours_ago(70))
    book(deleted_slot, ApplicantFactory(company=acme.company))
    type(deleted_slot).all_objects.filter(pk=deleted_slot.pk).update(deleted_at=timezone.now())
    # A long-past interview (outside the reminders' window) and another company's.
    book(make_slot(scene.event, starts=hours_ago(24 * 30)), ApplicantFactory(company=acme.company))
    other = make_scene(world.other)
    assign_event(other.event, UserFactory(company=world.other.company))

    now = timezone.now()
    for company in (acme.company, world.other.company):
        for hours, since in ((24, None), (24, now - timedelta(days=8)), (1, None), (200, None)):
            expected = _previous_pairs(company.pk, now=now, hours=hours, since=since)
            assert _overdue_pairs(company.pk, now=now, hours=hours, since=since) == expected
    rows = _overdue_pairs(acme.company.pk, now=now, hours=24)
    assert len(rows) >= 5 and all(isinstance(row[2], datetime) and timezone.is_aware(row[2]) for row in rows)
    listed = evaluation_selectors.overdue_evaluations(acme.company, now=now)
    assert [(item.booking.pk, item.evaluator.pk) for item in listed.items] == [row[:2] for row in rows][:10]
    assert listed.count == len(rows)
