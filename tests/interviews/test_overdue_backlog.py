"""The overdue evaluations' backlog record: a count after the first walks only the slots that ended since
its cutoff and the bookings it listed, and stays equal to a full count through every change that can add
an expected evaluation to an earlier slot (each voids the record)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role
from interviews import assignments, evaluation_backlog
from interviews.evaluation_backlog import EVERY_BOOKING
from interviews.evaluation_selectors import (
    _evaluated_bookings,
    _overdue_pairs,
    _submitted_by,
    evaluations_due,
    overdue_evaluations,
)
from interviews.models import OverdueBacklog, SlotInterviewer
from interviews.selectors import assigned_slots_q
from scheduling import services as scheduling_services
from scheduling.models import MAX_SLOT_LENGTH, Slot
from tests.applicants.factories import ApplicantFactory
from tests.factories import UserFactory
from tests.interviews.helpers_evaluations import book, hours_ago, make_scene, make_slot, submit

pytestmark = pytest.mark.django_db


def _listed(company, now=None) -> list[tuple[int, int]]:
    result = overdue_evaluations(company, now=now, limit=1000)
    assert result.count == len(result.items)
    return [(item.booking.pk, item.evaluator.pk) for item in result.items]


def _full(company, now=None) -> list[tuple[int, int]]:
    rows = _overdue_pairs(company.pk, now=now or timezone.now(), hours=24, walk=EVERY_BOOKING)
    return [(booking_id, evaluator_id) for booking_id, evaluator_id, _ends in rows]


def _due(user) -> list[int]:
    due = evaluations_due(user, limit=1000)
    assert due.count == len(due.items)
    return sorted(item.booking.pk for item in due.items)


def _due_in_full(user) -> list[int]:
    """The bookings ``user`` owes an evaluation for, by the query before the record (every booking)."""
    if not user.is_active:
        return []
    assigned = Slot.all_objects.filter(company_id=user.company_id).filter(assigned_slots_q(user)).values("pk")
    pending = _evaluated_bookings(user.company_id, now=timezone.now()).filter(slot__in=assigned)
    return sorted(pending.filter(~_submitted_by(user.pk)).values_list("pk", flat=True))


def _record(company) -> OverdueBacklog:
    return OverdueBacklog.objects.get(company=company)


@pytest.fixture
def scene(world):
    """acme's 一次面接: one booking 31 h ago owed by two interviewers, one from 10 days ago fully evaluated,
    and one from last month owed by nobody yet (its slot has its own interviewer, inactive)."""
    scene = make_scene(world.acme)
    scene.old_slot = make_slot(scene.event, starts=hours_ago(24 * 10))
    scene.old_booking = book(scene.old_slot, ApplicantFactory(company=world.acme.company))
    for user in (scene.first, scene.second):
        submit_for(scene, user, scene.old_booking)
    scene.month_slot = make_slot(scene.event, starts=hours_ago(24 * 30))
    scene.month_booking = book(scene.month_slot, ApplicantFactory(company=world.acme.company))
    scene.retired = UserFactory(company=world.acme.company, role=Role.INTERVIEWER, is_active=False)
    SlotInterviewer.objects.create(company=world.acme.company, slot=scene.month_slot, user=scene.retired)
    return scene


def submit_for(scene, user, booking):
    """``user``'s evaluation of ``booking``'s applicant, submitted through the service."""
    from interviews import evaluations

    evaluations.save_evaluation(
        applicant=booking.applicant,
        meeting=scene.meeting,
        evaluator=user,
        slot=booking.slot,
        answers=scene.answers(),
        recommendation="B",
        comment="",
        submit=True,
    )


def test_the_first_count_records_what_it_proved_and_the_next_walks_only_that(scene):
    company = scene.company
    owed = [(scene.booking.pk, scene.first.pk), (scene.booking.pk, scene.second.pk)]
    assert sorted(_listed(company)) == sorted(owed)

    record = _record(company)
    assert record.settled_generation == record.generation
    assert record.open_booking_ids == [scene.booking.pk]
    assert timezone.now() - timedelta(hours=24, seconds=30) < record.settled_before <= timezone.now()

    # An expected evaluation written behind the services' back, on a slot before the cutoff, stays
    # unseen while the record holds: the count walks only what the record left open.
    SlotInterviewer.objects.create(company=company, slot=scene.old_slot, user=scene.retired)
    type(scene.retired).objects.filter(pk=scene.retired.pk).update(is_active=True)
    assert sorted(_listed(company)) == sorted(owed)
    assert len(_full(company)) == 4  # the full count sees them
    retired = type(scene.retired).objects.get(pk=scene.retired.pk)
    assert _due(retired) == [] and len(_due_in_full(retired)) == 2

    # A submission of a listed booking counts at once.
    submit(scene, scene.first)
    assert _listed(company) == [(scene.booking.pk, scene.second.pk)]


@pytest.mark.parametrize("change", ["event", "slot", "reset", "reactivate", "move"])
def test_every_change_that_adds_an_expected_evaluation_to_an_earlier_slot_counts_at_once(
    scene, change, django_capture_on_commit_callbacks
):
    company = scene.company
    admin = scene.tenant.admin
    _listed(company)  # the record
    newcomer = UserFactory(company=company, role=Role.INTERVIEWER, name="新任 面接官")
    _listed(company)  # recorded again after the new user
    if change == "event":
        assignments.set_event_interviewers(
            event=scene.event, users=[scene.first, scene.second, newcomer], actor=admin
        )
    elif change == "slot":
        assignments.set_slot_interviewers(slot=scene.old_slot, users=[newcomer], actor=admin)
    elif change == "reset":
        # Last month's slot falls back to the event's two interviewers, who never evaluated it.
        assignments.reset_slot_interviewers(slot=scene.month_slot, actor=admin)
    elif change == "reactivate":
        retired = scene.retired
        account_services.update_user(
            user=retired, actor=admin, name=retired.name, role=retired.role, is_active=True
        )
    else:
        # A slot that started nearly two days ago (about the longest a slot may last) and ended only now
        # (before the cutoff after the change), its booking owed by both interviewers.
        long_slot = make_slot(scene.event, starts=hours_ago(47), minutes=47 * 60 - 5)
        long_booking = book(long_slot, ApplicantFactory(company=company))
        assert (long_booking.pk, scene.first.pk) not in _listed(company)
        with django_capture_on_commit_callbacks(execute=True):
            scheduling_services.update_slot(
                slot=long_slot,
                actor=admin,
                starts_at=long_slot.starts_at,
                ends_at=long_slot.starts_at + timedelta(hours=1),
                capacity=long_slot.capacity,
                is_published=long_slot.is_published,
            )

    listed = _listed(company)
    assert sorted(listed) == sorted(_full(company))
    assert len(listed) > 2
    # What each interviewer owes (their dashboard and マイ面接) walks the same record.
    for user in (scene.first, scene.second, newcomer, type(scene.retired).objects.get(pk=scene.retired.pk)):
        assert _due(user) == _due_in_full(user)
    assert any(_due(user) for user in (scene.first, newcomer))


def test_a_change_during_the_count_leaves_a_record_that_does_not_hold(scene):
    company = scene.company
    walks = []

    def count(_company_id, *, now, hours, walk):
        walks.append(walk)
        evaluation_backlog.invalidate(company.pk)  # an assignment committed while the count walked
        return []

    now = timezone.now()
    evaluation_backlog.overdue_rows(company.pk, now=now, hours=24, count=count)
    evaluation_backlog.overdue_rows(company.pk, now=now, hours=24, count=count)
    assert walks == [EVERY_BOOKING, EVERY_BOOKING]


def test_a_record_is_counted_again_in_full_after_an_hour(scene):
    company = scene.company
    newcomer = UserFactory(company=company, role=Role.INTERVIEWER)
    now = timezone.now()
    _listed(company, now=now)
    SlotInterviewer.objects.create(company=company, slot=scene.old_slot, user=newcomer)  # unseen for now
    assert len(_listed(company, now=now + timedelta(minutes=59))) == 2
    assert len(_listed(company, now=now + timedelta(minutes=61))) == 3
    assert _record(company).computed_at == now + timedelta(minutes=61)


def test_a_record_lists_at_most_max_open_bookings_and_walks_from_the_next(scene, monkeypatch):
    company = scene.company
    earlier = [make_slot(scene.event, starts=hours_ago(24 * 3 + index)) for index in range(3)]
    bookings = [book(slot, ApplicantFactory(company=company)) for slot in earlier]
    monkeypatch.setattr(evaluation_backlog, "MAX_OPEN", 2)

    first = _listed(company)
    record = _record(company)
    # Ordered by slot end: the three earlier bookings (two pairs each), then the scene's.
    assert record.open_booking_ids == [bookings[2].pk]
    assert record.settled_before == earlier[1].ends_at
    assert sorted(first) == sorted(_full(company)) and len(first) == 8
    assert _listed(company) == first


def test_the_walk_finds_a_slot_of_the_longest_length_that_started_before_the_cutoff(scene):
    """The walk reads the slots that end after the record's cutoff by their start, bounded by the longest
    a slot may last: one that started nearly that long before the cutoff, and ended after it, is due."""
    company = scene.company
    _listed(company)  # the record: its cutoff is a day ago
    longest = MAX_SLOT_LENGTH - timedelta(minutes=1)
    cutoff = _record(company).settled_before
    long_slot = make_slot(
        scene.event,
        starts=cutoff - longest + timedelta(minutes=30),
        minutes=int(longest / timedelta(minutes=1)),
    )
    booking = book(long_slot, ApplicantFactory(company=company))

    assert booking.pk in _due(scene.first)
    assert _due(scene.first) == _due_in_full(scene.first)
