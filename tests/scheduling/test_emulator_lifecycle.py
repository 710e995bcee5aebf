"""The slot meeting lifecycle against the local Zoom emulator (in-process): issue, move, delete, webhooks,
faults, daily limit, relink. Tasks run eagerly after commit, as in the demo without a broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling import issuance, services, tasks
from scheduling.models import MeetingState, Slot, WaitReason
from scheduling.services import SlotSpec
from tests.helpers import client_for
from tests.scheduling.factories import SelectionMeetingFactory
from zoom_integration.models import ZoomConnection, ZoomUser

pytestmark = pytest.mark.django_db(transaction=True)

RECRUITER_HOST = "recruiter@demo.example.com"  # a licensed user of the emulator's seeded account


def link(world, emu) -> None:
    admin = client_for(world.acme.admin)
    location = admin.post(reverse("zoom_integration:authorize"))["Location"]
    back = urlsplit(emu.approve(location))
    admin.get(f"{back.path}?{back.query}", follow=True)
    assert ZoomConnection.objects.get(company=world.acme.company).is_linked


def zoom_event(world, *, host_email: str = RECRUITER_HOST):
    host = ZoomUser.objects.get(company=world.acme.company, email=host_email)
    meeting = SelectionMeetingFactory(company=world.acme.company, name="一次面接")
    return services.create_event(
        selection_meeting=meeting,
        actor=world.acme.recruiter,
        settings={
            "name": "Web面接",
            "web_meeting": "zoom",
            "meeting_host_id": host.zoom_user_id,
            "meeting_host_email": host.email,
            "meeting_host_name": host.display_name,
            "notes": "カメラをオンにしてご参加ください。",
        },
    )


def jst(day_offset: int, hour: int) -> datetime:
    tz = timezone.get_default_timezone()
    local = timezone.localtime(timezone.now(), tz) + timedelta(days=day_offset)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def new_slot(world, event, starts_at, *, minutes=60, published=True) -> Slot:
    spec = SlotSpec(
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        capacity=2,
        is_published=published,
    )
    return services.create_slot(event=event, actor=world.acme.recruiter, spec=spec)


def reload(slot) -> Slot:
    return Slot.all_objects.get(pk=slot.pk)


def test_a_slot_is_issued_moved_and_deleted_in_zoom(world, zoom_emulator):
    link(world, zoom_emulator)
    event = zoom_event(world)
    starts = jst(3, 10)

    slot = reload(new_slot(world, event, starts))

    assert slot.meeting_state == MeetingState.ISSUED
    [meeting] = zoom_emulator.meetings()
    assert str(meeting["id"]) == slot.meeting_id
    assert meeting["start_time"] == starts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert meeting["start_time"].endswith("T01:00:00Z")  # 10:00 JST
    assert meeting["timezone"] == "Asia/Tokyo" and meeting["duration"] == 60
    assert slot.marker in meeting["agenda"] and "カメラ" in meeting["agenda"]
    assert meeting["settings"]["waiting_room"] is True and meeting["settings"]["join_before_host"] is False
    assert slot.join_url == meeting["join_url"] and "pwd=" in slot.join_url
    create = next(r for r in zoom_emulator.requests if r.method == "POST" and r.path.endswith("/meetings"))
    assert create.json()["start_time"].endswith("Z")

    moved = starts + timedelta(days=1, hours=4)
    services.update_slot(
        slot=slot,
        actor=world.acme.recruiter,
        starts_at=moved,
        ends_at=moved + timedelta(minutes=45),
        capacity=2,
        is_published=True,
    )

    [meeting] = zoom_emulator.meetings()
    assert meeting["start_time"] == moved.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert meeting["duration"] == 45
    assert reload(slot).meeting_state == MeetingState.ISSUED and not reload(slot).meeting_out_of_sync

    services.delete_slot(slot=reload(slot), actor=world.acme.recruiter)

    assert zoom_emulator.meetings() == []
    assert reload(slot).meeting_state == MeetingState.NONE


def test_hiding_keeps_the_meeting_and_a_hidden_slot_waits_for_show(world, zoom_emulator):
    link(world, zoom_emulator)
    event = zoom_event(world)
    hidden = new_slot(world, event, jst(2, 13), published=False)
    shown = new_slot(world, event, jst(2, 15))
    assert len(zoom_emulator.meetings()) == 1

    services.update_slot(
        slot=reload(shown),
        actor=world.acme.recruiter,
        starts_at=shown.starts_at,
        ends_at=shown.ends_at,
        capacity=2,
        is_published=False,
    )
    services.update_slot(
        slot=reload(hidden),
        actor=world.acme.recruiter,
        starts_at=hidden.starts_at,
        ends_at=hidden.ends_at,
        capacity=2,
        is_published=True,
    )

    assert len(zoom_emulator.meetings()) == 2
    assert reload(shown).meeting_state == reload(hidden).meeting_state == MeetingState.ISSUED


def test_a_meeting_deleted_in_zoom_shows_on_the_slot_and_is_reissued_with_one_click(world, zoom_emulator):
    link(world, zoom_emulator)
    slot = reload(new_slot(world, zoom_event(world), jst(2, 10)))

    zoom_emulator.delete_meeting_in_zoom(slot.meeting_id)  # webhook delivered to /zoom/webhook/

    assert ("meeting.deleted", 200) in zoom_emulator.webhook_responses
    deleted = reload(slot)
    assert deleted.meeting_state == MeetingState.DELETED and deleted.join_url == ""
    recruiter = client_for(world.acme.recruiter)
    page = recruiter.get(reverse("scheduling:slot_detail", args=[slot.pk])).content.decode()
    assert "削除済み" in page and "再発行" in page

    recruiter.post(reverse("scheduling:slot_reissue", args=[slot.pk]))

    reissued = reload(slot)
    [meeting] = zoom_emulator.meetings()
    assert reissued.meeting_state == MeetingState.ISSUED and str(meeting["id"]) == reissued.meeting_id
    assert reissued.join_url and reissued.join_url != slot.join_url


def test_a_meeting_moved_in_zoom_is_flagged_and_moved_back(world, zoom_emulator):
    link(world, zoom_emulator)
    slot = reload(new_slot(world, zoom_event(world), jst(2, 10)))

    zoom_emulator.move_meeting_in_zoom(slot.meeting_id, slot.starts_at + timedelta(hours=2))

    flagged = reload(slot)
    assert flagged.meeting_out_of_sync
    recruiter = client_for(world.acme.recruiter)
    assert "Zoom上で日時が変更されています" in recruiter.get(reverse("dashboard")).content.decode()

    recruiter.post(reverse("scheduling:slot_reissue", args=[slot.pk]))

    [meeting] = zoom_emulator.meetings()
    assert meeting["start_time"] == slot.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert not reload(slot).meeting_out_of_sync


def test_changing_the_host_reissues_future_slots_on_the_new_host(world, zoom_emulator):
    link(world, zoom_emulator)
    event = zoom_event(world)
    slots = [new_slot(world, event, jst(2, hour)) for hour in (10, 11)]
    new_host = ZoomUser.objects.get(company=world.acme.company, email="interviewer@demo.example.com")

    services.update_event_settings(
        event=event,
        actor=world.acme.recruiter,
        settings={"meeting_host_id": new_host.zoom_user_id, "meeting_host_email": new_host.email},
    )

    meetings = zoom_emulator.meetings()
    assert len(meetings) == 2 and {m["host_id"] for m in meetings} == {new_host.zoom_user_id}
    assert {reload(s).meeting_id for s in slots} == {str(m["id"]) for m in meetings}


def test_the_host_start_link_comes_fresh_from_zoom(world, zoom_emulator):
    link(world, zoom_emulator)
    slot = reload(new_slot(world, zoom_event(world, host_email="interviewer@demo.example.com"), jst(2, 10)))
    zoom_emulator.clear_requests()
    interviewer = client_for(world.acme.interviewer)
    world.acme.interviewer.email = "interviewer@demo.example.com"
    world.acme.interviewer.save(update_fields=["email"])

    response = interviewer.get(reverse("scheduling:slot_start", args=[slot.pk]))

    assert response.status_code == 302 and "zak=" in response["Location"]
    assert [r.method for r in zoom_emulator.requests] == ["GET"]
    assert "zak=" not in interviewer.get(reverse("scheduling:slot_detail", args=[slot.pk])).content.decode()


def test_a_lost_create_answer_never_makes_a_second_meeting(world, zoom_emulator):
    link(world, zoom_emulator)
    event = zoom_event(world)
    zoom_emulator.configure(
        faults=[{"group": "create_meeting", "mode": "timeout", "after": True, "times": 1}]
    )

    slot = reload(new_slot(world, event, jst(2, 10)))

    assert slot.meeting_state == MeetingState.PENDING and slot.create_in_doubt
    assert len(zoom_emulator.meetings()) == 1  # made, but the answer was lost
    Slot.all_objects.filter(pk=slot.pk).update(not_before=None)

    issuance.sync_slot_meeting(slot_id=slot.pk)

    [meeting] = zoom_emulator.meetings()
    slot = reload(slot)
    assert slot.meeting_state == MeetingState.ISSUED and slot.meeting_id == str(meeting["id"])
    assert zoom_emulator.state()["request_counts"]["create_meeting"] == 1


def test_the_daily_limit_is_respected_and_resumes_after_midnight_utc(
    world, zoom_emulator, settings, monkeypatch
):
    settings.SCHEDULING_ZOOM_DAILY_LIMIT = 100
    link(world, zoom_emulator)
    event = zoom_event(world)
    now = timezone.now()
    zoom_emulator.configure(daily_limit=2)  # Zoom counts other apps' use too: it refuses before we think so

    slots = [new_slot(world, event, jst(3, 9) + timedelta(hours=i)) for i in range(3)]

    assert [reload(s).meeting_state for s in slots].count(MeetingState.ISSUED) == 2
    waiting = next(reload(s) for s in slots if reload(s).meeting_state == MeetingState.PENDING)
    assert waiting.wait_reason == WaitReason.DAILY_LIMIT
    midnight = datetime.combine(
        now.astimezone(UTC).date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC
    )
    assert waiting.not_before == midnight
    assert tasks.sweep() == 0 and len(zoom_emulator.meetings()) == 2

    zoom_emulator.set_clock(midnight + timedelta(minutes=1))
    monkeypatch.setattr(timezone, "now", lambda: midnight + timedelta(minutes=1))
    tasks.sweep()

    assert all(reload(s).meeting_state == MeetingState.ISSUED for s in slots)
    assert len(zoom_emulator.meetings()) == 3
    assert zoom_emulator.state()["rate_limited_counts"]["create_meeting"] == 1


def test_issuance_stops_when_the_app_is_removed_and_resumes_after_relinking(world, zoom_emulator):
    link(world, zoom_emulator)
    event = zoom_event(world)
    zoom_emulator.remove_app()  # Marketplace → Remove: the link is released, Zoom users purged

    slot = reload(new_slot(world, event, jst(2, 10)))

    assert slot.meeting_state == MeetingState.PENDING and slot.wait_reason == WaitReason.LINK
    assert slot.meeting_error
    page = (
        client_for(world.acme.recruiter)
        .get(reverse("scheduling:slot_detail", args=[slot.pk]))
        .content.decode()
    )
    assert "再連携後に自動で再開します" in page
    assert "見つかりません" in page  # the host's Zoom user row went with the link

    link(world, zoom_emulator)  # resume_zoom_issuance runs after the relink

    slot = reload(slot)
    assert slot.meeting_state == MeetingState.ISSUED
    [meeting] = zoom_emulator.meetings()
    assert str(meeting["id"]) == slot.meeting_id


def test_temporary_faults_are_retried_until_issued_without_duplicates(world, zoom_emulator):
    link(world, zoom_emulator)
    event = zoom_event(world)
    zoom_emulator.configure(
        faults=[
            {"group": "create_meeting", "mode": "status", "status": 503, "times": 1},
            {"group": "create_meeting", "mode": "timeout", "after": True, "times": 1},
            {"group": "list_meetings", "mode": "status", "status": 502, "times": 1},
        ]
    )
    slot = new_slot(world, event, jst(2, 10))

    for _ in range(6):
        if reload(slot).meeting_state != MeetingState.PENDING:
            break
        Slot.all_objects.filter(pk=slot.pk).update(not_before=None)
        issuance.sync_slot_meeting(slot_id=slot.pk)

    slot = reload(slot)
    assert slot.meeting_state == MeetingState.ISSUED
    assert len(zoom_emulator.meetings()) == 1 and str(zoom_emulator.meetings()[0]["id"]) == slot.meeting_id
