"""Who interviews: 面接官 per event and per slot, the overlap warning, tenants and roles, the Zoom host that
follows the slot's interviewer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from booking import services as booking_services
from booking.models import BookingStatus
from interviews import assignments
from interviews.models import EventInterviewer, InterviewPolicy, SlotInterviewer
from interviews.selectors import interviewers_of_slots
from notifications.models import MailKind, SentMail
from scheduling.models import Slot
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import staff_book
from tests.helpers import client_for
from tests.interviews.helpers_assignments import (
    assign_event,
    assign_slot,
    interviewer,
    slot_at,
    slot_in,
    zoom_slot,
)
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_pacing(fast_pacing):
    return fast_pacing


@pytest.fixture
def company(world):
    return world.acme.company


@pytest.fixture
def event(company):
    meeting = SelectionMeetingFactory(company=company, name="一次面接")
    return EventFactory(selection_meeting=meeting, name="対面面接", place="東京本社 8F 面接室A")


@pytest.fixture
def tanaka(company):
    return interviewer(company, "田中 一郎", "tanaka@acme.example.com")


@pytest.fixture
def yamada(company):
    return interviewer(company, "山田 花子", "yamada@acme.example.com")


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def post_interviewers(client, url: str, *users, **extra):
    return client.post(url, {"interviewers": [user.pk for user in users], **extra})


# --- イベントの面接官 and 日程の面接官 -------------------------------------------------------------------


def test_the_schedule_page_leads_to_the_events_interviewers(as_recruiter, event):
    schedule = page(as_recruiter.get(reverse("scheduling:schedule", args=[event.selection_meeting_id])))

    assert reverse("interviews:event_interviewers", args=[event.pk]) in schedule


def test_a_recruiter_assigns_the_events_interviewers_and_every_slot_shows_them(
    as_recruiter, event, tanaka, yamada, world
):
    first, second = slot_in(event, 3), slot_in(event, 4)
    url = reverse("interviews:event_interviewers", args=[event.pk])

    response = post_interviewers(as_recruiter, url, tanaka, yamada)

    assert response.status_code == 302 and response["Location"] == url
    shown = page(as_recruiter.get(url))
    assert "面接官を保存しました" in shown
    assert shown.count("山田 花子、田中 一郎") == 2  # in the table row of each slot (ordered by name)
    assert interviewers_of_slots([first, second]) == {first.pk: [yamada, tanaka], second.pk: [yamada, tanaka]}
    audits = AuditEntry.objects.filter(action="interview.assigned", actor=world.acme.recruiter)
    assert sorted(entry.details["user"] for entry in audits) == ["山田 花子", "田中 一郎"]
    slot_page = page(as_recruiter.get(reverse("scheduling:slot_detail", args=[first.pk])))
    assert "山田 花子、田中 一郎" in slot_page and "イベントの面接官" in slot_page


def test_removing_an_interviewer_is_recorded(as_recruiter, event, tanaka, yamada, world):
    assign_event(event, tanaka, yamada, actor=world.acme.recruiter)

    post_interviewers(as_recruiter, reverse("interviews:event_interviewers", args=[event.pk]), yamada)

    assert [row.user for row in EventInterviewer.objects.filter(event=event)] == [yamada]
    removed = AuditEntry.objects.get(action="interview.unassigned")
    assert removed.details["user"] == "田中 一郎" and removed.target_id == str(event.pk)


def test_a_slot_with_its_own_interviewers_ignores_the_events(as_recruiter, event, tanaka, yamada, world):
    assign_event(event, tanaka, actor=world.acme.recruiter)
    own, other = slot_in(event, 3), slot_in(event, 4)

    response = post_interviewers(as_recruiter, reverse("interviews:slot_interviewers", args=[own.pk]), yamada)

    assert response.status_code == 302
    assert interviewers_of_slots([own, other]) == {own.pk: [yamada], other.pk: [tanaka]}
    slot_page = page(as_recruiter.get(reverse("scheduling:slot_detail", args=[own.pk])))
    assert "山田 花子" in slot_page and "この日程の面接官" in slot_page and "田中 一郎" not in slot_page
    event_page = page(as_recruiter.get(reverse("interviews:event_interviewers", args=[event.pk])))
    assert "この日程の面接官" in event_page  # the row of the slot with its own


def test_going_back_to_the_events_interviewers(as_recruiter, event, tanaka, yamada, world):
    assign_event(event, tanaka, actor=world.acme.recruiter)
    slot = slot_in(event, 3)
    assign_slot(slot, yamada, actor=world.acme.recruiter)
    url = reverse("interviews:slot_interviewers", args=[slot.pk])
    assert "イベントの面接官に戻す" in page(as_recruiter.get(url))

    response = as_recruiter.post(reverse("interviews:slot_interviewers_reset", args=[slot.pk]))

    assert response.status_code == 302
    assert interviewers_of_slots([slot]) == {slot.pk: [tanaka]}
    assert not SlotInterviewer.objects.exists()
    assert AuditEntry.objects.get(action="interview.slot_reset").details == {"removed": ["山田 花子"]}
    assert "イベントの面接官に戻しました" in page(as_recruiter.get(url))


def test_saving_the_events_interviewers_on_a_slot_page_keeps_the_slot_on_the_event(
    as_recruiter, event, tanaka, world
):
    assign_event(event, tanaka, actor=world.acme.recruiter)
    slot = slot_in(event, 3)

    post_interviewers(as_recruiter, reverse("interviews:slot_interviewers", args=[slot.pk]), tanaka)

    assert not SlotInterviewer.objects.exists()
    assign_event(event, actor=world.acme.recruiter)  # the event's list changes later: the slot follows it
    assert interviewers_of_slots([slot]) == {slot.pk: []}


def test_any_active_user_of_the_company_can_be_chosen_but_not_an_inactive_one(
    as_recruiter, event, company, world
):
    gone = interviewer(company, "退職 太郎", "gone@acme.example.com", is_active=False)
    form = page(as_recruiter.get(reverse("interviews:event_interviewers", args=[event.pk])))

    for user in (world.acme.interviewer, world.acme.recruiter, world.acme.admin):
        assert f"{user.display_name}（{user.get_role_display()}）" in form
    assert "退職 太郎" not in form and world.other.interviewer.display_name not in form
    response = post_interviewers(
        as_recruiter, reverse("interviews:event_interviewers", args=[event.pk]), gone
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not EventInterviewer.objects.exists()


# --- overlaps -----------------------------------------------------------------------------------------------


@pytest.fixture
def busy(company, event, tanaka, world):
    """田中 interviews 一次面接 at 10:00–11:00 in five days; a 二次面接 slot overlaps it (10:30–11:30)."""
    taken = slot_in(event, 5, hour=10)
    assign_slot(taken, tanaka, actor=world.acme.recruiter)
    second = EventFactory(
        selection_meeting=SelectionMeetingFactory(company=company, name="二次面接"), name="役員面接"
    )
    return taken, slot_at(second, taken.starts_at + timedelta(minutes=30))


def test_an_overlapping_slot_is_named_and_nothing_is_saved_until_confirmed(as_recruiter, busy, tanaka):
    taken, clashing = busy
    url = reverse("interviews:slot_interviewers", args=[clashing.pk])

    warned = post_interviewers(as_recruiter, url, tanaka)

    text = page(warned)
    assert "同じ時間帯に別の日程も担当している面接官がいます" in text
    assert f"田中 一郎 さん: {taken}" in text and "重複を承知で保存する" in text
    assert reverse("scheduling:slot_detail", args=[taken.pk]) in text
    assert not SlotInterviewer.objects.filter(slot=clashing).exists()

    confirmed = post_interviewers(as_recruiter, url, tanaka, confirm_overlap="1")

    assert confirmed.status_code == 302
    assert [row.user for row in SlotInterviewer.objects.filter(slot=clashing)] == [tanaka]


def test_an_assignment_without_overlap_is_saved_at_once(as_recruiter, busy, yamada):
    _taken, clashing = busy

    response = post_interviewers(
        as_recruiter, reverse("interviews:slot_interviewers", args=[clashing.pk]), yamada
    )

    assert response.status_code == 302
    assert SlotInterviewer.objects.filter(slot=clashing, user=yamada).exists()


def test_the_events_interviewers_are_warned_of_overlaps_with_each_slot(as_recruiter, busy, tanaka):
    taken, clashing = busy
    url = reverse("interviews:event_interviewers", args=[clashing.event_id])

    text = page(post_interviewers(as_recruiter, url, tanaka))

    assert f"{clashing} と {taken} が重なっています" in text
    assert not EventInterviewer.objects.exists()
    assert post_interviewers(as_recruiter, url, tanaka, confirm_overlap="1").status_code == 302
    assert EventInterviewer.objects.filter(event_id=clashing.event_id, user=tanaka).exists()


def test_an_interviewer_already_on_the_slot_is_not_warned_again(as_recruiter, busy, tanaka, yamada, world):
    _taken, clashing = busy
    assign_slot(clashing, tanaka, actor=world.acme.recruiter)

    response = post_interviewers(
        as_recruiter, reverse("interviews:slot_interviewers", args=[clashing.pk]), tanaka, yamada
    )

    assert response.status_code == 302


def test_overlaps_count_the_zoom_slots_a_user_hosts(company, linked, world):
    """The 面接官 hosts a Zoom event by email: its slots are theirs (interviews.selectors) and overlap."""
    hosted = ZoomEventFactory(
        selection_meeting=SelectionMeetingFactory(company=company),
        meeting_host_id="zhost0002",
        meeting_host_email=world.acme.interviewer.email,
    )
    theirs = slot_in(hosted, 6)
    other = slot_at(
        EventFactory(selection_meeting=SelectionMeetingFactory(company=company)), theirs.starts_at
    )

    [overlap] = assignments.overlaps([world.acme.interviewer], [other])

    assert (overlap.slot, overlap.other) == (other, theirs)


# --- tenants and roles --------------------------------------------------------------------------------------


def test_another_companys_user_is_refused_and_nothing_is_written(as_recruiter, event, world):
    slot = slot_in(event, 3)
    for url in (
        reverse("interviews:event_interviewers", args=[event.pk]),
        reverse("interviews:slot_interviewers", args=[slot.pk]),
    ):
        response = post_interviewers(as_recruiter, url, world.other.interviewer, confirm_overlap="1")
        assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not EventInterviewer.objects.exists() and not SlotInterviewer.objects.exists()
    with pytest.raises(assignments.AssignmentError):
        assign_event(event, world.other.interviewer, actor=world.acme.recruiter)
    assert not EventInterviewer.objects.exists()


def test_a_value_that_names_no_user_is_a_form_error(as_recruiter, event):
    url = reverse("interviews:event_interviewers", args=[event.pk])
    for value in ("9" * 30, "-1", "abc", "²", "１２"):
        response = as_recruiter.post(url, {"interviewers": [value]})
        assert response.status_code == 200 and "errorlist" in response.content.decode(), value
    assert not EventInterviewer.objects.exists()


def test_another_companys_event_and_slot_answer_404_and_change_nothing(world, as_admin):
    other_event = EventFactory(selection_meeting=SelectionMeetingFactory(company=world.other.company))
    other_slot = slot_in(other_event, 3)
    urls = [
        reverse("interviews:event_interviewers", args=[other_event.pk]),
        reverse("interviews:event_zoom_host", args=[other_event.pk]),
        reverse("interviews:slot_interviewers", args=[other_slot.pk]),
        reverse("interviews:slot_interviewers_reset", args=[other_slot.pk]),
    ]
    for url in urls:
        assert as_admin.get(url).status_code in (404, 405)
        data = {"interviewers": [world.acme.interviewer.pk], "zoom_host_follows_interviewer": "on"}
        assert as_admin.post(url, data).status_code == 404
    assert not EventInterviewer.objects.exists() and not SlotInterviewer.objects.exists()
    assert not InterviewPolicy.objects.exists()


def test_an_interviewer_may_not_assign(world, event, tanaka):
    slot = slot_in(event, 3)
    client = client_for(world.acme.interviewer)
    for url in (
        reverse("interviews:event_interviewers", args=[event.pk]),
        reverse("interviews:slot_interviewers", args=[slot.pk]),
        reverse("interviews:slot_interviewers_reset", args=[slot.pk]),
        reverse("interviews:event_zoom_host", args=[event.pk]),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, {"interviewers": [tanaka.pk]}).status_code == 403
    assert not EventInterviewer.objects.exists() and not SlotInterviewer.objects.exists()
    slot_page = page(client_for(world.acme.recruiter).get(reverse("scheduling:slot_detail", args=[slot.pk])))
    assert reverse("interviews:slot_interviewers", args=[slot.pk]) in slot_page


# --- the Zoom host follows the slot's interviewer ----------------------------------------------------------


@pytest.fixture
def zoom_event(company, linked):
    """一次面接 / Web面接 hosted by zhost0001; world.acme.interviewer has the Zoom user zhost0002."""
    return ZoomEventFactory(
        selection_meeting=SelectionMeetingFactory(company=company, name="一次面接"), name="Web面接"
    )


def follow_interviewer(client, event, on: bool = True):
    data = {"zoom_host_follows_interviewer": "on"} if on else {}
    return client.post(reverse("interviews:event_zoom_host", args=[event.pk]), data)


def test_the_meeting_is_hosted_by_the_slots_interviewer_when_the_event_says_so(
    as_recruiter, zoom_event, fake_zoom, world, django_capture_on_commit_callbacks
):
    follow_interviewer(as_recruiter, zoom_event)
    assign_event(zoom_event, world.acme.interviewer, actor=world.acme.recruiter)

    slot = zoom_slot(zoom_event, 5, django_capture_on_commit_callbacks)

    [(_call, created)] = [call for call in fake_zoom.calls if call[0] == "create"]
    assert created["host_id"] == "zhost0002"
    assert fake_zoom.meetings[slot.meeting_id]["host_id"] == "zhost0002"
    assert slot.meeting_host_id == "zhost0002"
    assert AuditEntry.objects.filter(action="interview.zoom_host_policy_changed").exists()
    slot_page = page(as_recruiter.get(reverse("scheduling:slot_detail", args=[slot.pk])))
    assert (
        "Zoomミーティングのホスト" in slot_page
        and "interviewer@acme.example.com&gt;（日程の面接官）" in slot_page
    )


def test_without_the_setting_or_a_zoom_user_of_the_interviewer_the_event_host_hosts(
    as_recruiter, zoom_event, fake_zoom, world, tanaka, django_capture_on_commit_callbacks
):
    assign_event(zoom_event, world.acme.interviewer, actor=world.acme.recruiter)
    without_setting = zoom_slot(zoom_event, 5, django_capture_on_commit_callbacks)
    follow_interviewer(as_recruiter, zoom_event)
    assign_event(zoom_event, tanaka, actor=world.acme.recruiter)  # 田中 has no Zoom user
    without_zoom_user = zoom_slot(zoom_event, 6, django_capture_on_commit_callbacks)

    hosts = [fake_zoom.meetings[s.meeting_id]["host_id"] for s in (without_setting, without_zoom_user)]
    assert hosts == ["zhost0001", "zhost0001"]


def test_turning_the_setting_on_moves_the_future_meetings_to_the_interviewer(
    as_recruiter, zoom_event, fake_zoom, world, company, django_capture_on_commit_callbacks
):
    assign_event(zoom_event, world.acme.interviewer, actor=world.acme.recruiter)
    slot = zoom_slot(zoom_event, 5, django_capture_on_commit_callbacks)
    staff_book(slot, ApplicantFactory(company=company, email="hanako@example.jp"))
    old_meeting = slot.meeting_id

    with django_capture_on_commit_callbacks(execute=True):
        response = follow_interviewer(as_recruiter, zoom_event)

    slot.refresh_from_db()
    assert response.status_code == 302
    assert old_meeting not in fake_zoom.meetings
    assert fake_zoom.meetings[slot.meeting_id]["host_id"] == "zhost0002"
    assert "1件の日程のZoomミーティングを新しいホストで発行し直します" in page(
        as_recruiter.get(response["Location"])
    )
    changed = SentMail.objects.get(kind=MailKind.URL_CHANGED)  # the applicant learns the new URL
    assert slot.join_url in changed.body and changed.to_email == "hanako@example.jp"


def test_a_new_interviewer_of_the_slot_takes_over_its_meeting(
    as_recruiter, zoom_event, fake_zoom, world, tanaka, django_capture_on_commit_callbacks
):
    follow_interviewer(as_recruiter, zoom_event)
    assign_event(zoom_event, tanaka, actor=world.acme.recruiter)
    slot = zoom_slot(zoom_event, 5, django_capture_on_commit_callbacks)
    assert fake_zoom.meetings[slot.meeting_id]["host_id"] == "zhost0001"

    with django_capture_on_commit_callbacks(execute=True):
        post_interviewers(
            as_recruiter, reverse("interviews:slot_interviewers", args=[slot.pk]), world.acme.interviewer
        )

    slot.refresh_from_db()
    assert fake_zoom.meetings[slot.meeting_id]["host_id"] == "zhost0002"


def test_the_interviewer_who_hosts_the_meeting_may_start_it_and_the_event_host_no_longer(
    as_recruiter, zoom_event, fake_zoom, world, company, django_capture_on_commit_callbacks
):
    follow_interviewer(as_recruiter, zoom_event)
    assign_event(zoom_event, world.acme.interviewer, actor=world.acme.recruiter)
    slot = zoom_slot(zoom_event, 5, django_capture_on_commit_callbacks)
    event_host = interviewer(company, "ホスト 太郎", "host@zoom.example.com")
    start = reverse("scheduling:slot_start", args=[slot.pk])

    response = client_for(world.acme.interviewer).get(start)

    assert response.status_code == 302
    assert response["Location"] == fake_zoom.meetings[slot.meeting_id]["start_url"]
    assert client_for(event_host).get(start).status_code == 403


def test_a_cancelled_booking_does_not_make_the_interviewer_a_reader(world, event, company):
    """Assignments widen what booking lets a 面接官 read, never to cancelled bookings (booking's rule)."""
    slot = slot_in(event, 3)
    assign_slot(slot, world.acme.interviewer, actor=world.acme.recruiter)
    booking = staff_book(slot, ApplicantFactory(company=company))
    booking_services.cancel_booking(booking=booking, actor=None)
    booking.refresh_from_db()

    assert booking.status == BookingStatus.CANCELLED
    detail = client_for(world.acme.interviewer).get(
        reverse("booking_staff:booking_detail", args=[booking.pk])
    )
    assert detail.status_code == 404
    assert Slot.objects.filter(pk=slot.pk).exists()


def test_an_assigned_interviewer_reads_the_slot_page_but_cannot_start_its_meeting(world):
    from django.urls import reverse

    from tests.interviews.helpers_evaluations import make_scene

    scene = make_scene(world.acme)
    client = client_for(scene.second)  # assigned to the event, not its Zoom host

    page = client.get(reverse("scheduling:slot_detail", args=[scene.slot.pk]))

    assert page.status_code == 200 and "佐藤 花子" in page.content.decode()
    assert client.get(reverse("scheduling:slot_start", args=[scene.slot.pk])).status_code == 403
    outsider = client_for(
        world.acme.interviewer.__class__.objects.create_user(
            email="outsider@acme.example.com", company=world.acme.company, role="interviewer"
        )
    )
    assert outsider.get(reverse("scheduling:slot_detail", args=[scene.slot.pk])).status_code == 403
