"""The meeting issuance state machine against a fake Zoom (HTTP level): claim, lifecycle, errors, limits,
sweeper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from scheduling import issuance, limits, services, tasks
from scheduling.models import HostDailyUsage, MeetingState, Slot, WaitReason
from tests.plugins.scheduling import Fault
from tests.scheduling.factories import ZoomEventFactory
from tests.scheduling.helpers import make_slot, tomorrow_at
from zoom_integration.models import ConnectionStatus, ZoomConnection

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(django_capture_on_commit_callbacks):
    """Run a service and its after-commit tasks (Celery is eager in tests)."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


def reload(slot: Slot) -> Slot:
    return Slot.all_objects.get(pk=slot.pk)


def set_link_status(company, status: str) -> None:
    ZoomConnection.objects.filter(company=company).update(status=status)


def test_a_zoom_slot_shown_gets_one_meeting_with_utc_start_and_the_event_options(
    world, linked, zoom_event, fake_zoom, issue
):
    starts = tomorrow_at(10, tz=world.acme.company.tzinfo)

    slot = reload(issue(make_slot, zoom_event, starts))

    assert slot.meeting_state == MeetingState.ISSUED
    assert fake_zoom.count("create") == 1
    call = fake_zoom.calls[0][1]
    body = call["body"]
    assert call["host_id"] == "zhost0001"
    assert body["start_time"] == starts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["start_time"].endswith("T01:00:00Z")  # 10:00 JST
    assert body["timezone"] == "Asia/Tokyo"
    assert body["duration"] == 60
    assert body["topic"].startswith("一次面接 Web面接 ")
    assert body["topic"].endswith(" 10:00")
    assert body["agenda"].endswith(f"e2rpro-slot:{slot.uuid}")
    assert body["default_password"] is True
    assert body["settings"]["waiting_room"] is True
    assert body["settings"]["join_before_host"] is False
    assert body["settings"]["use_pmi"] is False
    [request] = fake_zoom.requests
    assert (request.method, request.path) == ("POST", "/users/zhost0001/meetings")
    assert request.token == "at-initial"  # the stored token, still valid: no refresh
    assert slot.join_url.startswith("https://zoom.us/j/")
    assert slot.meeting_passcode == "Ab12Cd"
    assert AuditEntry.objects.filter(action="meeting.issued", target_id=str(slot.pk)).exists()
    assert AuditEntry.objects.filter(
        action="slot.meeting_changed", target_id=str(slot.pk), details__reason="issued"
    ).exists()


def test_topic_and_agenda_stay_within_zooms_lengths(world, linked, fake_zoom, issue):
    event = ZoomEventFactory(
        selection_meeting__company=world.acme.company, selection_meeting__name="説" * 100, name="会" * 100
    )
    event.notes = "議" * 3000
    event.save()

    slot = reload(issue(make_slot, event))

    body = fake_zoom.calls[0][1]["body"]
    assert len(body["topic"]) <= 200
    assert len(body["agenda"]) <= 2000
    assert body["agenda"].endswith(slot.marker)


def test_a_hidden_slot_gets_no_meeting_until_it_is_shown(world, linked, zoom_event, fake_zoom, issue):
    slot = issue(make_slot, zoom_event, published=False)
    assert reload(slot).meeting_state == MeetingState.NONE
    assert fake_zoom.count("create") == 0

    issue(
        services.update_slot,
        slot=reload(slot),
        actor=world.acme.recruiter,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        capacity=1,
        is_published=True,
    )

    assert reload(slot).meeting_state == MeetingState.ISSUED
    assert fake_zoom.count("create") == 1


def test_hiding_a_slot_keeps_its_meeting(world, linked, zoom_event, fake_zoom, issue):
    slot = reload(issue(make_slot, zoom_event))

    issue(
        services.update_slot,
        slot=slot,
        actor=world.acme.recruiter,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        capacity=2,
        is_published=False,
    )

    slot = reload(slot)
    assert slot.meeting_state == MeetingState.ISSUED and slot.meeting_id in fake_zoom.meetings
    assert fake_zoom.count("delete") == 0


def test_moving_a_slot_updates_its_meeting_and_calls_the_booking_hook(
    world, linked, zoom_event, fake_zoom, issue
):
    slot = reload(issue(make_slot, zoom_event))
    new_start = slot.starts_at + timedelta(hours=3)

    issue(
        services.update_slot,
        slot=slot,
        actor=world.acme.recruiter,
        starts_at=new_start,
        ends_at=new_start + timedelta(minutes=90),
        capacity=1,
        is_published=True,
    )

    slot = reload(slot)
    assert slot.meeting_state == MeetingState.ISSUED
    update = fake_zoom.calls[-1]
    assert update[0] == "update"
    assert update[1]["body"]["start_time"] == new_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert update[1]["body"]["duration"] == 90
    request = fake_zoom.requests[-1]
    assert (request.method, request.path) == ("PATCH", f"/meetings/{slot.meeting_id}")
    assert slot.meeting_start == new_start and slot.meeting_end == slot.ends_at
    assert fake_zoom.count("create") == 1
    assert AuditEntry.objects.filter(action="meeting.updated", target_id=str(slot.pk)).exists()
    assert AuditEntry.objects.filter(
        action="slot.meeting_changed", target_id=str(slot.pk), details__reason="moved"
    ).exists()


def test_moving_a_slot_whose_meeting_was_deleted_in_zoom_marks_it_for_reissue(
    world, linked, zoom_event, fake_zoom, issue
):
    slot = reload(issue(make_slot, zoom_event))
    fake_zoom.meetings.clear()  # deleted in Zoom, no webhook seen

    issue(
        services.update_slot,
        slot=slot,
        actor=world.acme.recruiter,
        starts_at=slot.starts_at + timedelta(hours=1),
        ends_at=slot.ends_at + timedelta(hours=1),
        capacity=1,
        is_published=True,
    )

    slot = reload(slot)
    assert slot.meeting_state == MeetingState.DELETED
    assert "再発行" in slot.meeting_error
    assert slot.meeting_id is None and slot.join_url == ""
    assert fake_zoom.count("create") == 1

    issue(services.reissue_slot_meeting, slot=slot, actor=world.acme.recruiter)

    slot = reload(slot)
    assert slot.meeting_state == MeetingState.ISSUED and slot.meeting_id in fake_zoom.meetings
    assert AuditEntry.objects.filter(
        action="slot.meeting_changed", target_id=str(slot.pk), details__reason="reissued"
    ).exists()


def test_deleting_a_slot_deletes_its_meeting_and_a_404_counts_as_done(
    world, linked, zoom_event, fake_zoom, issue
):
    first = reload(issue(make_slot, zoom_event, tomorrow_at(10)))
    second = reload(issue(make_slot, zoom_event, tomorrow_at(12)))
    del fake_zoom.meetings[second.meeting_id]

    issue(services.delete_slot, slot=first, actor=world.acme.recruiter)
    issue(services.delete_slot, slot=second, actor=world.acme.recruiter)

    assert fake_zoom.meetings == {}
    deletes = [r for r in fake_zoom.requests if r.method == "DELETE"]
    assert [r.path for r in deletes] == [
        f"/meetings/{first.meeting_id}",
        f"/meetings/{second.meeting_id}",
    ]
    assert all(r.query == {"schedule_for_reminder": "false"} for r in deletes)
    for slot in (first, second):
        slot = reload(slot)
        assert slot.deleted_at is not None
        assert slot.meeting_id is None and slot.meeting_state == MeetingState.NONE
    assert not Slot.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert AuditEntry.objects.filter(action="meeting.deleted").count() == 2


def test_changing_the_host_reissues_future_slots_on_the_new_host(world, linked, zoom_event, fake_zoom, issue):
    slot = reload(issue(make_slot, zoom_event))
    old_meeting = slot.meeting_id

    queued = issue(
        services.update_event_settings,
        event=zoom_event,
        actor=world.acme.recruiter,
        settings={"meeting_host_id": "zhost0002", "meeting_host_email": "interviewer@acme.example.com"},
    )

    slot = reload(slot)
    assert queued == [slot.pk]
    assert old_meeting not in fake_zoom.meetings
    assert fake_zoom.meetings[slot.meeting_id]["host_id"] == "zhost0002"
    assert slot.meeting_host_id == "zhost0002" and slot.meeting_state == MeetingState.ISSUED
    assert [name for name, _ in fake_zoom.calls] == ["create", "delete", "create"]
    assert [(r.method, r.path) for r in fake_zoom.requests] == [
        ("POST", "/users/zhost0001/meetings"),
        ("DELETE", f"/meetings/{old_meeting}"),
        ("POST", "/users/zhost0002/meetings"),
    ]


def test_switching_an_event_off_zoom_deletes_future_meetings_and_back_on_issues_again(
    world, linked, zoom_event, fake_zoom, issue
):
    slot = reload(issue(make_slot, zoom_event))
    actor = world.acme.recruiter

    issue(services.update_event_settings, event=zoom_event, actor=actor, settings={"web_meeting": "none"})
    assert reload(slot).meeting_state == MeetingState.NONE and fake_zoom.meetings == {}

    issue(services.update_event_settings, event=zoom_event, actor=actor, settings={"web_meeting": "zoom"})
    assert reload(slot).meeting_state == MeetingState.ISSUED and len(fake_zoom.meetings) == 1


def test_the_task_twice_makes_one_meeting(world, linked, zoom_event, fake_zoom, issue):
    slot = issue(make_slot, zoom_event)

    assert issuance.sync_slot_meeting(slot_id=slot.pk).status == "busy"  # not pending any more
    Slot.all_objects.filter(pk=slot.pk).update(meeting_state=MeetingState.PENDING)
    issuance.sync_slot_meeting(slot_id=slot.pk)

    assert fake_zoom.count("create") == 1 and len(fake_zoom.meetings) == 1


def test_a_claimed_slot_is_left_to_the_worker_that_holds_it(world, linked, zoom_event, fake_zoom):
    slot = make_slot(zoom_event)  # no after-commit: pending, not yet run
    assert reload(slot).meeting_state == MeetingState.PENDING
    token = issuance.claim(slot.pk)

    assert token is not None
    assert issuance.claim(slot.pk) is None
    assert issuance.sync_slot_meeting(slot_id=slot.pk).status == "busy"
    assert fake_zoom.count("create") == 0


def test_an_expired_claim_is_taken_over(world, linked, zoom_event, fake_zoom):
    slot = make_slot(zoom_event)
    issuance.claim(slot.pk)
    Slot.all_objects.filter(pk=slot.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))

    assert issuance.sync_slot_meeting(slot_id=slot.pk).status == "done"
    assert reload(slot).meeting_state == MeetingState.ISSUED


def test_after_a_lost_answer_the_retry_adopts_the_meeting_instead_of_creating_another(
    world, linked, zoom_event, fake_zoom
):
    slot = make_slot(zoom_event)
    fake_zoom.fail["create_lost"] = [Fault.timeout()]  # made in Zoom, the answer never arrives

    outcome = issuance.sync_slot_meeting(slot_id=slot.pk)

    assert outcome.status == "retry"
    pending = reload(slot)
    assert pending.meeting_state == MeetingState.PENDING and pending.create_in_doubt
    assert pending.wait_reason == WaitReason.TEMPORARY and pending.not_before > timezone.now()
    Slot.all_objects.filter(pk=slot.pk).update(not_before=None)

    assert issuance.sync_slot_meeting(slot_id=slot.pk).status == "done"

    slot = reload(slot)
    assert fake_zoom.count("create") == 1 and len(fake_zoom.meetings) == 1
    assert fake_zoom.count("list") == 1
    lookup = next(r for r in fake_zoom.requests if r.method == "GET" and r.path.startswith("/users/"))
    assert lookup.path == "/users/zhost0001/meetings" and lookup.query["type"] == "scheduled"
    assert slot.meeting_state == MeetingState.ISSUED and slot.meeting_id in fake_zoom.meetings
    assert not slot.create_in_doubt
    assert AuditEntry.objects.filter(action="meeting.issued", details__adopted=True).exists()


def test_a_lookup_that_finds_nothing_creates_the_meeting(world, linked, zoom_event, fake_zoom):
    slot = make_slot(zoom_event)
    fake_zoom.fail["create"] = [Fault.timeout()]  # never reached Zoom (but the product cannot know)
    issuance.sync_slot_meeting(slot_id=slot.pk)
    Slot.all_objects.filter(pk=slot.pk).update(not_before=None)

    issuance.sync_slot_meeting(slot_id=slot.pk)

    assert [name for name, _ in fake_zoom.calls] == ["create", "list", "create"]
    assert [r.method for r in fake_zoom.requests] == ["POST", "GET", "POST"]
    assert reload(slot).meeting_state == MeetingState.ISSUED and len(fake_zoom.meetings) == 1


def test_duplicates_found_by_the_lookup_are_deleted(world, linked, zoom_event, fake_zoom):
    slot = make_slot(zoom_event)
    fake_zoom.fail["create_lost"] = [Fault.timeout()]
    issuance.sync_slot_meeting(slot_id=slot.pk)
    # An older bug (or another app) made a second meeting with our marker.
    meeting = next(iter(fake_zoom.meetings.values()))
    fake_zoom.meetings[meeting["id"] + 1] = {**meeting, "id": meeting["id"] + 1}
    Slot.all_objects.filter(pk=slot.pk).update(not_before=None)

    issuance.sync_slot_meeting(slot_id=slot.pk)

    assert len(fake_zoom.meetings) == 1 and reload(slot).meeting_id in fake_zoom.meetings
    assert fake_zoom.count("delete") == 1


def test_temporary_errors_retry_with_backoff_honouring_retry_after(world, linked, zoom_event, fake_zoom):
    slot = make_slot(zoom_event)
    retry_after = timezone.now() + timedelta(seconds=30)
    fake_zoom.fail["create"] = [Fault.status(429, retry_after=retry_after)]

    outcome = issuance.sync_slot_meeting(slot_id=slot.pk)

    slot = reload(slot)
    assert outcome.status == "retry" and outcome.retry_in >= 29
    assert slot.not_before >= retry_after - timedelta(seconds=1)
    assert slot.attempts == 1 and not slot.create_in_doubt  # a 429 made nothing: no lookup needed
    assert limits.host_budget_left(company_id=slot.company_id, host_id="zhost0001") == 100  # refunded


def test_backoff_grows_and_has_jitter():
    delays = [issuance.backoff_seconds(attempt) for attempt in range(1, 8)]
    assert delays[0] <= 2 and delays[-1] >= 32
    assert len({round(issuance.backoff_seconds(3), 6) for _ in range(10)}) > 1


def test_repeated_temporary_errors_end_as_a_failure_with_the_reason(
    world, linked, zoom_event, fake_zoom, settings
):
    settings.SCHEDULING_MAX_TEMPORARY_ATTEMPTS = 2
    slot = make_slot(zoom_event)
    fake_zoom.fail["create"] = [Fault.status(503)] * 2
    issuance.sync_slot_meeting(slot_id=slot.pk)
    Slot.all_objects.filter(pk=slot.pk).update(not_before=None, create_in_doubt=False)

    assert issuance.sync_slot_meeting(slot_id=slot.pk).status == "failed"

    slot = reload(slot)
    assert slot.meeting_state == MeetingState.FAILED and "HTTP 503" in slot.meeting_error
    assert fake_zoom.count("create") == 2 and fake_zoom.meetings == {}


def test_a_permanent_error_fails_with_the_reason_and_retry_issues(
    world, linked, zoom_event, fake_zoom, issue
):
    fake_zoom.fail["create"] = [Fault.status(400, code=300, message="Invalid field: start_time")]

    slot = reload(issue(make_slot, zoom_event))

    assert slot.meeting_state == MeetingState.FAILED
    assert "Invalid field: start_time" in slot.meeting_error
    assert not slot.create_in_doubt
    assert AuditEntry.objects.filter(action="meeting.failed", target_id=str(slot.pk)).exists()

    issue(services.reissue_slot_meeting, slot=slot, actor=world.acme.recruiter)

    assert reload(slot).meeting_state == MeetingState.ISSUED


def test_a_host_that_left_the_account_fails_without_calling_zoom(world, linked, fake_zoom, issue):
    event = ZoomEventFactory(
        selection_meeting__company=world.acme.company,
        meeting_host_id="zgone0003",
        meeting_host_email="gone@x.jp",
    )

    slot = reload(issue(make_slot, event))

    assert slot.meeting_state == MeetingState.FAILED
    assert "gone@zoom.example.com" in slot.meeting_error
    assert fake_zoom.count("create") == 0


def test_an_unlinked_company_waits_with_the_reason_and_resumes_after_relinking(
    world, linked, zoom_event, fake_zoom, issue
):
    set_link_status(world.acme.company, ConnectionStatus.RELEASED)

    slot = reload(issue(make_slot, zoom_event))

    assert slot.meeting_state == MeetingState.PENDING and slot.wait_reason == WaitReason.LINK
    assert "Zoom連携は解除されています" in slot.meeting_error
    assert fake_zoom.calls == []  # no HTTP call without a usable link

    set_link_status(world.acme.company, ConnectionStatus.LINKED)
    issue(services.resume_issuance, company=world.acme.company, provider="zoom")

    assert reload(slot).meeting_state == MeetingState.ISSUED


def test_a_link_needing_reauthorization_stops_issuance_with_a_clear_reason(
    world, linked, zoom_event, fake_zoom, issue
):
    fake_zoom.fail["create"] = [Fault.scope_missing()]

    slot = reload(issue(make_slot, zoom_event))

    assert slot.meeting_state == MeetingState.PENDING and slot.wait_reason == WaitReason.LINK
    assert "スコープ" in slot.meeting_error and "4711" in slot.meeting_error
    assert ZoomConnection.objects.get(company=world.acme.company).status == ConnectionStatus.ERROR
    assert fake_zoom.meetings == {}
    assert not slot.create_in_doubt  # refused: after relinking, the next attempt creates without a lookup


def test_the_host_daily_budget_holds_slots_as_pending_until_midnight_utc(
    world, linked, zoom_event, fake_zoom, issue, settings, monkeypatch, client
):
    settings.SCHEDULING_ZOOM_DAILY_LIMIT = 3
    now = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 23:00 JST
    monkeypatch.setattr(timezone, "now", lambda: now)
    starts = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)

    slots = [issue(make_slot, zoom_event, starts + timedelta(hours=i)) for i in range(5)]

    states = [reload(s).meeting_state for s in slots]
    assert states.count(MeetingState.ISSUED) == 3 and fake_zoom.count("create") == 3
    waiting = [reload(s) for s in slots if reload(s).meeting_state == MeetingState.PENDING]
    assert len(waiting) == 2
    assert all(s.wait_reason == WaitReason.DAILY_LIMIT for s in waiting)
    assert all(s.not_before == datetime(2026, 11, 26, 0, 0, tzinfo=UTC) for s in waiting)
    client.force_login(world.acme.recruiter)
    page = client.get(f"/selection/slots/{waiting[0].pk}/").content.decode()
    assert "Zoomの1日の発行上限に達しました。09:00以降に自動で再開します" in page
    assert tasks.sweep() == 0  # not before midnight

    now = datetime(2026, 11, 26, 0, 0, 30, tzinfo=UTC)  # past 00:00 UTC
    tasks.sweep()

    assert all(reload(s).meeting_state == MeetingState.ISSUED for s in slots)
    assert HostDailyUsage.objects.get(host_id="zhost0001", day="2026-11-26").used == 2


def test_zoom_saying_the_host_is_at_its_daily_limit_stops_every_worker_for_the_day(
    world, linked, zoom_event, fake_zoom, issue
):
    fake_zoom.fail["create"] = [Fault.daily_limit()]

    slot = reload(issue(make_slot, zoom_event))

    assert slot.meeting_state == MeetingState.PENDING and slot.wait_reason == WaitReason.DAILY_LIMIT
    assert limits.host_budget_left(company_id=slot.company_id, host_id="zhost0001") == 0
    assert slot.not_before == limits.next_utc_midnight()


def test_the_budget_is_counted_per_host_and_day_and_never_exceeded(world, settings):
    settings.SCHEDULING_ZOOM_DAILY_LIMIT = 2
    company = world.acme.company
    taken = [limits.consume_host_budget(company_id=company.pk, host_id="a") for _ in range(3)]
    assert taken == [True, True, False]
    assert limits.consume_host_budget(company_id=company.pk, host_id="b")
    tomorrow = timezone.now() + timedelta(days=1)
    assert limits.consume_host_budget(company_id=company.pk, host_id="a", now=tomorrow)


def test_the_sweeper_recovers_slots_whose_task_was_lost(world, linked, zoom_event, fake_zoom, monkeypatch):
    from scheduling import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis down")

    slot = make_slot(zoom_event)
    with monkeypatch.context() as broker:
        broker.setattr(tasks.sync_slot_meeting, "apply_async", broker_down)
        assert tasks.enqueue([slot.pk]) == 0
    assert reload(slot).enqueued_at is None  # the row remembers nothing was queued
    assert fake_zoom.calls == []

    assert tasks.sweep() == 1

    assert reload(slot).meeting_state == MeetingState.ISSUED
    assert fake_zoom.count("create") == 1


def test_the_sweeper_leaves_recently_queued_and_claimed_slots_alone(world, linked, zoom_event, fake_zoom):
    queued = make_slot(zoom_event, tomorrow_at(9))
    Slot.all_objects.filter(pk=queued.pk).update(enqueued_at=timezone.now())
    claimed = make_slot(zoom_event, tomorrow_at(11))
    issuance.claim(claimed.pk)
    stuck = make_slot(zoom_event, tomorrow_at(13))
    Slot.all_objects.filter(pk=stuck.pk).update(enqueued_at=timezone.now() - timedelta(minutes=10))

    assert tasks.sweep() == 1

    assert reload(stuck).meeting_state == MeetingState.ISSUED
    assert reload(queued).meeting_state == MeetingState.PENDING


def test_a_change_made_while_the_worker_runs_is_not_lost(world, linked, zoom_event, fake_zoom):
    slot = make_slot(zoom_event)
    moved_to = slot.starts_at + timedelta(hours=2)

    def staff_moves_the_slot(_meeting):  # while Zoom makes the meeting, before it answers
        services.update_slot(
            slot=reload(slot),
            actor=world.acme.recruiter,
            starts_at=moved_to,
            ends_at=moved_to + timedelta(hours=1),
            capacity=1,
            is_published=True,
        )

    fake_zoom.hooks["create"] = [staff_moves_the_slot]

    issuance.sync_slot_meeting(slot_id=slot.pk)

    slot = reload(slot)
    assert slot.meeting_state == MeetingState.ISSUED
    assert [name for name, _ in fake_zoom.calls] == ["create", "update"]
    assert fake_zoom.meetings[slot.meeting_id]["start_time"] == moved_to.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_a_slot_over_before_it_could_be_issued_fails_with_a_reason(world, linked, zoom_event, fake_zoom):
    slot = make_slot(zoom_event)
    Slot.all_objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )

    issuance.sync_slot_meeting(slot_id=slot.pk)

    slot = reload(slot)
    assert slot.meeting_state == MeetingState.FAILED and "終了時刻を過ぎた" in slot.meeting_error
    assert fake_zoom.count("create") == 0


def test_in_person_events_never_touch_zoom(world, fake_zoom, issue):
    from tests.scheduling.factories import EventFactory

    slot = reload(issue(make_slot, EventFactory(selection_meeting__company=world.acme.company)))

    assert slot.meeting_state == MeetingState.NONE and fake_zoom.calls == [] and fake_zoom.requests == []


# --- webhooks (contract with zoom_integration) ----------------------------------------------


def test_a_meeting_deleted_in_zoom_is_shown_and_reissued_with_one_click(
    world, linked, zoom_event, fake_zoom, issue
):
    slot = reload(issue(make_slot, zoom_event))
    del fake_zoom.meetings[slot.meeting_id]

    for _ in range(2):  # a redelivery changes nothing
        issue(
            services.handle_meeting_change,
            company=world.acme.company,
            provider="zoom",
            change="deleted",
            meeting_id=slot.meeting_id,
        )

    deleted = reload(slot)
    assert deleted.meeting_state == MeetingState.DELETED and deleted.join_url == ""
    assert "Zoom上でミーティングが削除されました" in deleted.meeting_error
    assert AuditEntry.objects.filter(action="meeting.deleted_in_zoom").count() == 1

    issue(services.reissue_slot_meeting, slot=deleted, actor=world.acme.recruiter)

    assert reload(slot).meeting_state == MeetingState.ISSUED and len(fake_zoom.meetings) == 1


def test_a_meeting_moved_in_zoom_is_flagged_and_reissue_moves_it_back(
    world, linked, zoom_event, fake_zoom, issue
):
    slot = reload(issue(make_slot, zoom_event))
    moved = slot.starts_at + timedelta(hours=5)

    issue(
        services.handle_meeting_change,
        company=world.acme.company,
        provider="zoom",
        change="updated",
        meeting_id=slot.meeting_id,
        start=moved,
    )

    flagged = reload(slot)
    assert flagged.meeting_out_of_sync and flagged.can_reissue

    issue(services.reissue_slot_meeting, slot=flagged, actor=world.acme.recruiter)

    fixed = reload(slot)
    assert not fixed.meeting_out_of_sync and fixed.meeting_state == MeetingState.ISSUED
    assert fake_zoom.calls[-1][0] == "update" and fake_zoom.count("create") == 1


def test_a_webhook_for_another_companys_meeting_changes_nothing(world, linked, zoom_event, fake_zoom, issue):
    slot = reload(issue(make_slot, zoom_event))

    services.handle_meeting_change(
        company=world.other.company, provider="zoom", change="deleted", meeting_id=slot.meeting_id
    )

    assert reload(slot).meeting_state == MeetingState.ISSUED


def test_the_event_settings_give_each_slot_its_booking_window_deadline_and_reminder(world):
    from tests.scheduling.factories import EventFactory, SlotFactory

    event = EventFactory(
        selection_meeting__company=world.acme.company,
        booking_opens_hours_before=72,
        booking_closes_hours_before=24,
        cancel_deadline_hours_before=12,
        reminder_hours_before=3,
    )
    starts = timezone.now() + timedelta(hours=48)
    slot = SlotFactory(event=event, starts_at=starts, ends_at=starts + timedelta(hours=1))

    assert slot.booking_opens_at == starts - timedelta(hours=72)
    assert slot.booking_closes_at == starts - timedelta(hours=24)
    assert slot.cancel_deadline == starts - timedelta(hours=12)
    assert slot.reminder_at == starts - timedelta(hours=3)
    assert slot.is_open_for_booking()
    assert not slot.is_open_for_booking(now=starts - timedelta(hours=23))
    assert not slot.is_open_for_booking(now=starts - timedelta(hours=73))
    slot.is_published = False
    assert not slot.is_open_for_booking()
