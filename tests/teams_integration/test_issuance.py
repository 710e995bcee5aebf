"""Slots of a Microsoft Teams event through scheduling's issuance, against the in-process Microsoft emulator:
one Teams meeting per shown slot (never two), moves and deletes at both ends, a switch between services,
the applicant's mail carrying the Teams join URL, and a withdrawn consent making slots wait."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from scheduling import issuance, services
from scheduling.models import MeetingState, Slot, WaitReason
from scheduling.services import SlotSpec
from teams_integration.models import TeamsUser
from tests.scheduling.factories import SelectionMeetingFactory
from tests.teams_integration.helpers import INTERVIEWER_ID

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams_event(linked, teams_world):
    host = TeamsUser.objects.get(company=teams_world.acme.company, user_id=INTERVIEWER_ID)
    meeting = SelectionMeetingFactory(company=teams_world.acme.company, name="一次面接")
    return services.create_event(
        selection_meeting=meeting,
        actor=teams_world.acme.recruiter,
        settings={
            "name": "Web面接",
            "web_meeting": "teams",
            "meeting_host_id": host.user_id,
            "meeting_host_email": host.email,
            "meeting_host_name": host.display_name,
            "notes": "カメラをオンにしてご参加ください。",
        },
    )


@pytest.fixture
def publish(teams_world, django_capture_on_commit_callbacks):
    """Create a shown slot of ``event`` and run its issuance (as the worker would after commit)."""

    def create(event, *, days: int = 3, hour: int = 10) -> Slot:
        local = timezone.localtime(timezone.now()) + timedelta(days=days)
        starts = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        spec = SlotSpec(
            starts_at=starts, ends_at=starts + timedelta(minutes=60), capacity=2, is_published=True
        )
        with django_capture_on_commit_callbacks(execute=True):
            slot = services.create_slot(event=event, actor=teams_world.acme.recruiter, spec=spec)
        return run(slot)

    return create


def run(slot: Slot) -> Slot:
    for _ in range(5):
        if issuance.sync_slot_meeting(slot_id=slot.pk).status != "retry":
            break
    return Slot.all_objects.get(pk=slot.pk)


def test_a_shown_slot_gets_one_teams_meeting_on_the_hosts_calendar(teams_event, publish, ms):
    slot = publish(teams_event)

    assert slot.meeting_state == MeetingState.ISSUED and slot.meeting_provider == "teams"
    [event] = ms.events()
    assert event["id"] == slot.meeting_id and event["user_id"] == INTERVIEWER_ID
    assert event["transactionId"] == slot.marker
    assert slot.join_url == event["joinUrl"] and slot.join_url.startswith("https://teams.microsoft.com/")
    assert slot.meeting_start == slot.starts_at and slot.meeting_end == slot.ends_at

    assert run(slot).meeting_state == MeetingState.ISSUED  # a second run changes nothing
    assert len(ms.events()) == 1


def test_a_create_whose_answer_was_lost_is_found_again_not_made_twice(teams_event, publish, ms):
    slot = publish(teams_event)
    Slot.all_objects.filter(pk=slot.pk).update(
        meeting_id=None, join_url="", meeting_state=MeetingState.PENDING, create_in_doubt=True
    )

    found = run(slot)

    assert found.meeting_state == MeetingState.ISSUED and found.meeting_id == slot.meeting_id
    assert len(ms.events()) == 1


def test_moving_the_slot_moves_the_teams_event_and_deleting_it_deletes_the_event(
    teams_event, publish, ms, teams_world, django_capture_on_commit_callbacks
):
    slot = publish(teams_event)
    later = slot.starts_at + timedelta(hours=2)

    with django_capture_on_commit_callbacks(execute=True):
        services.update_slot(
            slot=slot,
            actor=teams_world.acme.recruiter,
            starts_at=later,
            ends_at=later + timedelta(minutes=60),
            capacity=slot.capacity,
            is_published=True,
        )
    moved = run(slot)

    [event] = ms.events()
    assert moved.meeting_state == MeetingState.ISSUED and event["start"].startswith(
        later.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_slot(slot=moved, actor=teams_world.acme.recruiter)
    run(moved)

    assert ms.events() == []


def test_a_move_in_outlook_shows_on_the_slot(teams_event, publish, ms, django_capture_on_commit_callbacks):
    slot = publish(teams_event)
    moved_to = slot.starts_at + timedelta(days=1)

    ms.move_event(slot.meeting_id, moved_to)
    with django_capture_on_commit_callbacks(execute=True):
        ms.deliver_notifications()

    flagged = Slot.all_objects.get(pk=slot.pk)
    assert flagged.meeting_out_of_sync and flagged.meeting_start == moved_to and flagged.can_reissue


def test_a_delete_in_outlook_shows_as_deleted_and_reissue_makes_a_new_meeting(
    teams_event, publish, ms, teams_world, django_capture_on_commit_callbacks
):
    slot = publish(teams_event)

    ms.delete_event(slot.meeting_id)
    with django_capture_on_commit_callbacks(execute=True):
        ms.deliver_notifications()
    deleted = Slot.all_objects.get(pk=slot.pk)
    assert deleted.meeting_state == MeetingState.DELETED
    assert "Microsoft Teams上でミーティングが削除されました" in deleted.meeting_error

    with django_capture_on_commit_callbacks(execute=True):
        services.reissue_slot_meeting(slot=deleted, actor=teams_world.acme.recruiter)
    reissued = run(deleted)

    [event] = ms.events()
    assert (
        reissued.meeting_state == MeetingState.ISSUED
        and reissued.meeting_id == event["id"] != slot.meeting_id
    )


def test_switching_the_event_from_teams_to_none_deletes_the_future_meetings(
    teams_event, publish, ms, teams_world, django_capture_on_commit_callbacks
):
    slot = publish(teams_event)

    with django_capture_on_commit_callbacks(execute=True):
        services.update_event_settings(
            event=teams_event,
            actor=teams_world.acme.recruiter,
            settings={
                "web_meeting": "none",
                "meeting_host_id": "",
                "meeting_host_email": "",
                "meeting_host_name": "",
            },
        )
    cleared = run(slot)

    assert ms.events() == []
    assert cleared.meeting_id is None and cleared.meeting_provider == "" and cleared.join_url == ""


def test_withdrawn_consent_makes_new_slots_wait_for_the_link(teams_event, publish, ms):
    ms.revoke_consent()

    slot = publish(teams_event)

    assert slot.meeting_state == MeetingState.PENDING and slot.wait_reason == WaitReason.LINK
    assert ms.events() == []


def test_the_booked_applicant_is_mailed_the_teams_join_url(
    teams_event, publish, ms, teams_world, django_capture_on_commit_callbacks
):
    from booking import services as booking_services
    from booking.models import BookingSource
    from tests.applicants.factories import ApplicantFactory

    slot = publish(teams_event)
    applicant = ApplicantFactory(company=teams_world.acme.company, email="hanako@example.com")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        booking_services.book_slot(
            slot=slot, applicant=applicant, actor=teams_world.acme.recruiter, source=BookingSource.STAFF
        )

    [message] = [m for m in mail.outbox if "hanako@example.com" in m.to]
    assert f"Microsoft TeamsミーティングURL: {slot.join_url}" in message.body
    assert "Zoom" not in message.body


def event_settings(web_meeting: str, **hosts: str) -> dict[str, str]:
    return {
        "name": "Web面接",
        "web_meeting": web_meeting,
        **hosts,
        "duration_minutes": "60",
        "default_capacity": "1",
        "booking_closes_hours_before": "24",
        "cancel_deadline_hours_before": "24",
        "waiting_room": "on",
        "use_passcode": "on",
    }


def test_the_event_settings_offer_teams_with_its_users_and_switch_the_event(
    teams_event, teams_world, publish, ms, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from tests.helpers import client_for

    recruiter = client_for(teams_world.acme.recruiter)
    url = reverse("scheduling:event_settings", args=[teams_event.pk])
    page = recruiter.get(url).content.decode()
    assert 'value="teams"' in page and 'name="teams_host"' in page
    assert 'data-show-when="web_meeting=teams"' in page
    assert "interviewer@demo.example.com" in page  # a tenant user offered as the host
    assert 'value="zoom"' not in page  # Zoom is not linked for this company

    refused = recruiter.post(url, event_settings("teams", teams_host=""))
    assert "Microsoft Teamsを使う場合は、Microsoft Teamsユーザ選択でホストを選んでください。" in (
        refused.content.decode()
    )

    slot = publish(teams_event)
    with django_capture_on_commit_callbacks(execute=True):
        response = recruiter.post(url, event_settings("none"))
    assert response.status_code == 302
    assert run(slot).meeting_id is None and ms.events() == []
