"""日程の一括操作: show, hide or delete many slots as a background job with progress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from scheduling import batches, tasks
from scheduling.models import MeetingState, Slot, SlotBatch
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory, SlotFactory
from tests.scheduling.helpers import make_slot, tomorrow_at

pytestmark = pytest.mark.django_db


class AfterCommit:
    """Runs after-commit work (the batch task, Zoom issuance) in-process, as with an eager Celery."""

    capture = None


@pytest.fixture(autouse=True)
def _after_commit(django_capture_on_commit_callbacks):
    AfterCommit.capture = django_capture_on_commit_callbacks
    yield
    AfterCommit.capture = None


def committed():
    assert AfterCommit.capture is not None
    return AfterCommit.capture(execute=True)


def zoom_slots(event, count: int, *, published: bool = True) -> list[Slot]:
    with committed():
        return [
            make_slot(event, tomorrow_at(9) + timedelta(hours=index), published=published)
            for index in range(count)
        ]


def start(client, meeting, action: str, slots=(), **extra):
    data = {"action": action, "slot": [slot.pk for slot in slots], **extra}
    with committed():
        return client.post(reverse("scheduling:slot_batch_create", args=[meeting.pk]), data)


def test_hide_then_show_through_the_services(as_recruiter, world, fake_zoom, zoom_event):
    slots = zoom_slots(zoom_event, 3)
    assert fake_zoom.count("create") == 3

    response = start(as_recruiter, zoom_event.selection_meeting, "hide", slots[:2])

    batch = SlotBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "scheduling:slot_batch_detail", args=[batch.pk]
    )
    assert (batch.total, batch.done, batch.failed, batch.is_finished) == (2, 2, 0, True)
    assert [s.is_published for s in Slot.objects.order_by("starts_at")] == [False, False, True]
    assert fake_zoom.count("delete") == 0  # 日程を表示しない keeps the meeting

    start(as_recruiter, zoom_event.selection_meeting, "show", scope="all")
    assert all(s.is_published for s in Slot.objects.all())
    assert SlotBatch.objects.count() == 2
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"slot.batch_started", "slot.batch_finished", "slot.changed"} <= actions


def test_show_issues_the_meetings_of_hidden_slots(as_recruiter, world, fake_zoom, zoom_event):
    slots = zoom_slots(zoom_event, 2, published=False)
    assert fake_zoom.count("create") == 0

    start(as_recruiter, zoom_event.selection_meeting, "show", slots)

    assert fake_zoom.count("create") == 2
    assert set(Slot.objects.values_list("meeting_state", flat=True)) == {MeetingState.ISSUED}


def test_delete_deletes_the_meetings_and_refuses_booked_slots(as_recruiter, world, fake_zoom, zoom_event):
    slots = zoom_slots(zoom_event, 3)
    Slot.objects.filter(pk=slots[1].pk).update(booked_count=1)

    start(as_recruiter, zoom_event.selection_meeting, "delete", slots)

    batch = SlotBatch.objects.get()
    assert (batch.done, batch.failed) == (3, 1)
    assert batch.failures[0]["slot_id"] == slots[1].pk
    assert "予約がある日程は削除できません" in batch.failures[0]["reason"]
    assert list(Slot.objects.values_list("pk", flat=True)) == [slots[1].pk]
    assert fake_zoom.count("delete") == 2

    page = as_recruiter.get(reverse("scheduling:slot_batch_detail", args=[batch.pk]))
    assert "予約がある日程は削除できません" in page.content.decode()


def test_a_second_run_does_nothing_more_and_a_lost_run_resumes(as_recruiter, world, fake_zoom, zoom_event):
    slots = zoom_slots(zoom_event, 3)
    start(as_recruiter, zoom_event.selection_meeting, "delete", slots)
    batch = SlotBatch.objects.get()
    calls, audits = len(fake_zoom.calls), AuditEntry.objects.count()

    assert batches.run_slot_batch(batch_id=batch.pk) == 0
    assert len(fake_zoom.calls) == calls and AuditEntry.objects.count() == audits

    # A worker died after the first slot: the next run does the rest, once.
    more = zoom_slots(zoom_event, 3)
    lost = SlotBatch.objects.create(
        company=world.acme.company,
        selection_meeting=zoom_event.selection_meeting,
        action="hide",
        slot_ids=[s.pk for s in more],
        processed=[more[0].pk],
        total=3,
        done=1,
        created_by=world.acme.recruiter,
    )
    with committed():
        assert batches.run_slot_batch(batch_id=lost.pk) == 2
    lost.refresh_from_db()
    assert (lost.done, lost.failed, lost.is_finished) == (3, 0, True)
    assert [s.is_published for s in Slot.objects.filter(pk__in=lost.slot_ids).order_by("starts_at")] == [
        True,
        False,
        False,
    ]
    assert batches.run_slot_batch(batch_id=lost.pk) == 0


def test_the_status_json_and_the_page(as_recruiter, world):
    event = EventFactory(company=world.acme.company, selection_meeting__company=world.acme.company)
    slot = SlotFactory(event=event)
    start(as_recruiter, event.selection_meeting, "hide", [slot])
    batch = SlotBatch.objects.get()

    data = as_recruiter.get(reverse("scheduling:slot_batch_status", args=[batch.pk])).json()

    assert data == {"total": 1, "done": 1, "failed": 0, "finished": True}
    page = as_recruiter.get(reverse("scheduling:slot_batch_detail", args=[batch.pk])).content.decode()
    assert "data-batch-poll" in page and "<script>" not in page


def test_nothing_selected_or_an_unknown_action_is_refused(as_recruiter, world):
    event = EventFactory(company=world.acme.company, selection_meeting__company=world.acme.company)
    slot = SlotFactory(event=event)
    assert start(as_recruiter, event.selection_meeting, "hide").status_code == 302
    assert start(as_recruiter, event.selection_meeting, "explode", [slot]).status_code == 302
    assert not SlotBatch.objects.exists()


def test_interviewers_are_refused(as_interviewer, world):
    event = EventFactory(company=world.acme.company, selection_meeting__company=world.acme.company)
    slot = SlotFactory(event=event)
    assert start(as_interviewer, event.selection_meeting, "delete", [slot]).status_code == 403
    batch = SlotBatch.objects.create(
        company=world.acme.company, selection_meeting=event.selection_meeting, action="hide", total=0
    )
    assert as_interviewer.get(reverse("scheduling:slot_batch_detail", args=[batch.pk])).status_code == 403
    assert as_interviewer.get(reverse("scheduling:slot_batch_status", args=[batch.pk])).status_code == 403
    assert Slot.objects.filter(pk=slot.pk).exists()


def test_other_companies_slots_and_batches_are_out_of_reach(as_recruiter, world):
    mine = SelectionMeetingFactory(company=world.acme.company)
    my_slot = SlotFactory(event=EventFactory(selection_meeting=mine))
    theirs = SelectionMeetingFactory(company=world.other.company)
    their_slot = SlotFactory(event=EventFactory(selection_meeting=theirs))

    assert start(as_recruiter, theirs, "delete", [their_slot]).status_code == 404
    start(as_recruiter, mine, "delete", [their_slot])  # their id through my meeting: ignored
    assert not SlotBatch.objects.exists()
    start(as_recruiter, mine, "delete", [their_slot, my_slot])
    assert SlotBatch.objects.get().slot_ids == [my_slot.pk]
    assert Slot.objects.filter(pk=their_slot.pk, is_published=True).exists()

    their_batch = SlotBatch.objects.create(
        company=world.other.company, selection_meeting=theirs, action="delete", total=0
    )
    assert as_recruiter.get(reverse("scheduling:slot_batch_detail", args=[their_batch.pk])).status_code == 404
    assert as_recruiter.get(reverse("scheduling:slot_batch_status", args=[their_batch.pk])).status_code == 404


def test_hostile_slot_values_are_ignored(as_recruiter, world):
    event = EventFactory(company=world.acme.company, selection_meeting__company=world.acme.company)
    slot = SlotFactory(event=event)
    url = reverse("scheduling:slot_batch_create", args=[event.selection_meeting_id])
    response = as_recruiter.post(url, {"action": "hide", "slot": ["²", "-1", "9" * 30, "x"]})
    assert response.status_code == 302 and not SlotBatch.objects.exists()
    assert Slot.objects.get(pk=slot.pk).is_published


def test_the_sweeper_resumes_a_batch_whose_task_was_lost(world):
    event = EventFactory(company=world.acme.company, selection_meeting__company=world.acme.company)
    slot = SlotFactory(event=event)
    batch = SlotBatch.objects.create(
        company=world.acme.company,
        selection_meeting=event.selection_meeting,
        action="hide",
        slot_ids=[slot.pk],
        total=1,
        created_by=world.acme.recruiter,
    )
    assert tasks.resume_slot_batches() == 0  # just made: its task may still be on its way
    SlotBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(minutes=10))

    with committed():
        tasks.sweep_pending_meetings()

    batch.refresh_from_db()
    assert (batch.done, batch.is_finished) == (1, True)
    assert not Slot.objects.get(pk=slot.pk).is_published
