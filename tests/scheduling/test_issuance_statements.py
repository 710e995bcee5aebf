"""What issuing one slot costs the database, so it cannot creep back (issue 18: Business 3,000 slots with two
workers is CPU-bound), and the guarantees of the one-UPDATE finish: a booked slot still gets its URL mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEntry
from scheduling import issuance, services
from scheduling.models import MeetingState, Slot
from scheduling.signals import slot_changed
from tests.scheduling.helpers import spec, tomorrow_at

pytestmark = pytest.mark.django_db

# claim, the slot (with company, event, 選考会), the interview policy (registry), the Zoom connection, the
# host's Zoom user, the host's daily budget, create_in_doubt, store + finish, both audit entries.
STATEMENTS_PER_ISSUED_SLOT = 9


def pending_slots(world, event, count: int) -> list[int]:
    """Published slots whose sync task was not run (after-commit callbacks are not executed here)."""
    base = tomorrow_at(9, tz=world.acme.company.tzinfo)
    specs = [spec(base + timedelta(days=n // 8, hours=n % 8), minutes=45) for n in range(count)]
    services.create_slots(event=event, actor=world.acme.recruiter, specs=specs)
    ids = list(Slot.objects.filter(event=event).order_by("pk").values_list("pk", flat=True))
    assert Slot.objects.filter(pk__in=ids, meeting_state=MeetingState.PENDING).count() == count
    return ids


def counted(queries: list[dict]) -> list[str]:
    """The statements issuance pays for in production: pacing runs in Redis there (the tests pace through
    the database), and savepoints are no statements of their own."""
    return [
        q["sql"]
        for q in queries
        if "scheduling_pacingstate" not in q["sql"] and not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]


def test_issuing_a_slot_takes_a_fixed_small_number_of_statements(
    world, linked, zoom_event, fake_zoom, django_capture_on_commit_callbacks
):
    ids = pending_slots(world, zoom_event, 6)
    issuance.sync_slot_meeting(slot_id=ids[0])  # the host's first create of the day makes its budget row

    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        for slot_id in ids[1:]:
            assert issuance.sync_slot_meeting(slot_id=slot_id).status == "done"

    statements = counted(queries.captured_queries)
    assert len(statements) == STATEMENTS_PER_ISSUED_SLOT * 5, "\n".join(s[:160] for s in statements)
    assert sum(s.startswith('SELECT "scheduling_slot"') for s in statements) == 5  # read once per slot
    assert sum(s.startswith('UPDATE "scheduling_slot"') for s in statements) == 15  # claim, doubt, done
    assert sum(s.startswith('INSERT INTO "accounts_auditentry"') for s in statements) == 5
    assert sum("interviews_interviewpolicy" in s for s in statements) == 5
    assert callbacks == []  # nobody booked: no booking-notice task to run
    assert Slot.objects.filter(pk__in=ids, meeting_state=MeetingState.ISSUED).count() == 6
    assert fake_zoom.count("create") == 6
    for slot_id in ids[1:]:
        actions = set(AuditEntry.objects.filter(target_id=str(slot_id)).values_list("action", flat=True))
        assert {"meeting.issued", "slot.meeting_changed"} <= actions


def test_a_booking_made_while_zoom_creates_the_meeting_still_gets_the_url_announced(
    world, linked, zoom_event, fake_zoom, django_capture_on_commit_callbacks
):
    [slot_id] = pending_slots(world, zoom_event, 1)
    announced: list[tuple[int, str]] = []

    def receiver(*, slot_id: int, change, **_kwargs) -> None:
        announced.append((slot_id, str(change)))

    def applicant_books(_meeting) -> None:  # after the worker read the slot (booked_count 0)
        Slot.all_objects.filter(pk=slot_id).update(booked_count=1)

    fake_zoom.hooks["create"] = [applicant_books]
    slot_changed.connect(receiver, dispatch_uid="test-statements")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert issuance.sync_slot_meeting(slot_id=slot_id).status == "done"
    finally:
        slot_changed.disconnect(dispatch_uid="test-statements")

    slot = Slot.all_objects.get(pk=slot_id)
    assert slot.meeting_state == MeetingState.ISSUED and slot.join_url and slot.claim_token is None
    assert announced == [(slot_id, "issued")]
    assert fake_zoom.count("create") == 1


def test_a_booked_slot_is_announced_and_issued_once(
    world, linked, zoom_event, fake_zoom, django_capture_on_commit_callbacks
):
    [slot_id] = pending_slots(world, zoom_event, 1)
    Slot.all_objects.filter(pk=slot_id).update(booked_count=1)
    announced: list[int] = []
    slot_changed.connect(lambda **kw: announced.append(kw["slot_id"]), dispatch_uid="test-booked", weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert issuance.sync_slot_meeting(slot_id=slot_id).status == "done"
            assert issuance.sync_slot_meeting(slot_id=slot_id).status == "busy"  # run twice: nothing more
    finally:
        slot_changed.disconnect(dispatch_uid="test-booked")

    assert announced == [slot_id]
    assert Slot.all_objects.get(pk=slot_id).meeting_state == MeetingState.ISSUED
    assert fake_zoom.count("create") == 1
    assert AuditEntry.objects.filter(target_id=str(slot_id), action="meeting.issued").count() == 1
